// CUDA GBDT (native/src/cuda/ml/): prediction parity with gbdt_predict_cpu, training parity
// (histograms on the device) with CPU training.
//
// `waybill_tests ml` runs the device code compiled for the host (forest_eval.cuh: the packed
// forest, the walk with a column stride, the port of V8's exp) against gbdt_predict_cpu and
// ml::js_exp, and the histogram blocks (hist_blocks.cuh: feature groups, items, flushes) in
// scrambled orders inside a host HistDevice that trains through detail::gbdt_train_with, so their
// logic is checked on machines without a GPU. `waybill_tests cuda` runs gbdt_predict_cuda on the
// device against gbdt_predict_cpu: bit-identical, raw and transformed, for random forests with
// numeric and categorical splits, both default directions, single-leaf trees, missing values,
// ties with thresholds and category codes that no node lists; and CUDA training against CPU
// training: the same forests and losses, bit for bit, for every objective, with subsampling,
// categorical columns and missing values.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")  // as the core and nvcc --fmad=false: no fused multiply-add
#endif
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../src/cpu/ml/internal.h"
#include "../src/cuda/ml/forest_eval.cuh"
#include "../src/cuda/ml/hist_blocks.cuh"
#include "test_util.h"
#include "waybill/geo.h"
#include "waybill/ml.h"

using namespace waybill;

namespace {

constexpr double kGuard = -12345.678;
constexpr std::size_t kCatFeatures = 4;  // features 0..3 hold category codes 0..11

/// A random forest over p features: trees of up to `max_depth` levels (some single leaves),
/// categorical splits on features 0..3 (random sorted code sets), numeric ones elsewhere with
/// thresholds on the grid the features are drawn from (so x == threshold happens).
ml::Forest random_forest(std::size_t trees, std::size_t p, int max_depth, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  ml::Forest f;
  f.num_features = p;
  f.init_score = u(rng) - 0.5;
  for (std::size_t t = 0; t < trees; ++t) {
    const int32_t n0 = static_cast<int32_t>(f.split_feature.size());
    int32_t leaves = 0;
    // Preorder: a node's index is taken before its children's, so children come after parents.
    auto grow = [&](auto&& self, int depth) -> int32_t {
      const bool leaf = depth >= max_depth || (depth > 0 && u(rng) < 0.25) || (depth == 0 && t % 7 == 3);
      if (leaf) {
        f.leaf_value.push_back((u(rng) - 0.5) * (t % 3 == 0 ? 1e-3 : 0.7));
        f.leaf_count.push_back(1);
        return ~leaves++;
      }
      const int32_t local = static_cast<int32_t>(f.split_feature.size()) - n0;
      const int32_t feat = static_cast<int32_t>(rng() % p);
      const bool cat = static_cast<std::size_t>(feat) < kCatFeatures;
      f.split_feature.push_back(feat);
      f.threshold.push_back(cat ? 0 : std::round((u(rng) * 4 - 2) * 8) / 8);
      f.split_gain.push_back(1);
      f.internal_value.push_back(0);
      f.internal_count.push_back(1);
      f.default_left.push_back(u(rng) < 0.5 ? 1 : 0);
      f.categorical.push_back(cat ? 1 : 0);
      if (cat) {
        // Every other node's codes straddle 4096: those keep the binary search (cat_bits.h).
        const int32_t base = f.split_feature.size() % 2 == 0 ? 0 : 4090;
        for (int32_t c = 0; c < 12; ++c)
          if (u(rng) < 0.4) f.cat_values.push_back(base + c);
      }
      f.cat_offsets.push_back(static_cast<int32_t>(f.cat_values.size()));
      f.left_child.push_back(0);
      f.right_child.push_back(0);
      const int32_t l = self(self, depth + 1), r = self(self, depth + 1);
      f.left_child[static_cast<std::size_t>(n0 + local)] = l;
      f.right_child[static_cast<std::size_t>(n0 + local)] = r;
      return local;
    };
    grow(grow, 0);
    f.tree_nodes.push_back(static_cast<int32_t>(f.split_feature.size()));
    f.tree_leaves.push_back(f.tree_leaves.back() + leaves);
  }
  return f;
}

/// rows x p features: codes 0..12 or 4090..4102 (12 and 4102 are in no node's set) in the
/// categorical columns, a few non-integer and negative values there too; grid values or uniform
/// noise elsewhere; 10 % NaN.
std::vector<double> random_rows(std::size_t rows, std::size_t p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(rows * p);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t f = 0; f < p; ++f) {
      double v;
      if (f < kCatFeatures) {
        const double w = u(rng);
        v = w < 0.02 ? 2.5 : w < 0.03 ? -1 : w < 0.04 ? 4095.5 : (u(rng) < 0.5 ? 0 : 4090) + std::floor(u(rng) * 13);
      } else {
        v = u(rng) < 0.3 ? std::round((u(rng) * 4 - 2) * 8) / 8 : u(rng) * 5 - 2.5;
      }
      x[i * p + f] = u(rng) < 0.1 ? NAN : v;
    }
  }
  return x;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

/// Index of the first entry that differs bit for bit, or -1.
long first_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i], b[i])) return static_cast<long>(i);
  return -1;
}

std::vector<double> cpu_predict(const ml::Forest& f, ml::Objective o, std::size_t trees, const std::vector<double>& x,
                                std::size_t rows, bool transform, RowRange range) {
  std::vector<double> out(rows, kGuard);
  const Status s = ml::gbdt_predict_cpu(f.view(), o, trees, x.data(), rows, transform, out.data(), range, 3);
  CHECK(s.ok(), "cpu predict: %s", s.message.c_str());
  return out;
}

/// gbdt_predict_cuda into a guard-filled vector of `rows`.
std::vector<double> cuda_predict(const ml::Forest& f, ml::Objective o, std::size_t trees, const std::vector<double>& x,
                                 std::size_t rows, bool transform, RowRange range, Status* s, CancelToken cancel = {}) {
  std::vector<double> out(rows, kGuard);
  *s = ml::gbdt_predict_cuda(f.view(), o, trees, x.data(), rows, transform, out.data(), range, cancel);
  return out;
}

const ml::Objective kObjectives[] = {ml::Objective::kL2,       ml::Objective::kL1,      ml::Objective::kQuantile,
                                     ml::Objective::kLogistic, ml::Objective::kPoisson, ml::Objective::kTweedie};

/// A trained model (categorical column, missing values) for realistic trees next to the random ones.
ml::Forest trained_forest(std::size_t rows, std::vector<double>* features) {
  const std::size_t p = 6;
  std::vector<double> x = random_rows(rows, p, 99), y(rows);
  // Training accepts only integer codes >= 0 (or NaN) in the categorical columns: random_rows'
  // -1 and 2.5 there become code 12, which prediction then also meets as a seen category.
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t f = 0; f < kCatFeatures; ++f) {
      double& v = x[i * p + f];
      if (!std::isnan(v) && (v < 0 || v != std::floor(v))) v = 12;
    }
  for (std::size_t i = 0; i < rows; ++i) {
    const double a = std::isnan(x[i * p + 4]) ? 0 : x[i * p + 4];
    const double c = std::isnan(x[i * p]) ? 0 : x[i * p];
    y[i] = std::sin(a) + 0.3 * c;
  }
  ml::GbdtParams q;
  q.num_iterations = 25;
  q.max_leaves = 15;
  q.min_data_in_leaf = 5;
  q.categorical_features = {0, 1};
  ml::TrainResult r;
  const Status s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), rows, p}, nullptr, q, &r);
  CHECK(s.ok(), "train: %s", s.message.c_str());
  *features = std::move(x);
  return std::move(r.forest);
}

/// A training set: p features (features 0 and 1 categorical, codes 0..11), 5 % NaN; labels of
/// every objective's domain from one signal (kind: 0 any real, 1 binary, 2 non-negative).
void training_set(std::size_t n, std::size_t p, uint64_t seed, int kind, std::vector<double>* x,
                  std::vector<double>* y) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  x->assign(n * p, 0);
  y->assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    double* row = x->data() + i * p;
    for (std::size_t f = 0; f < p; ++f) row[f] = f < 2 ? std::floor(u(rng) * 12) : u(rng) * 4 - 2;
    const double signal = std::sin(2 * row[2 % p]) + 0.4 * row[0] - 0.3 * row[1] + (p > 3 ? row[3] * row[p - 1] : 0) +
                          0.5 * (u(rng) - 0.5);
    (*y)[i] = kind == 0 ? signal : kind == 1 ? (signal > 0.8 ? 1 : 0) : std::floor(std::exp(0.4 * signal) * 2 * u(rng));
    for (std::size_t f = 0; f < p; ++f)
      if (u(rng) < 0.05) row[f] = NAN;
  }
}

/// Which objective labels a kind: 0 any real, 1 binary, 2 non-negative.
int label_kind(ml::Objective o) {
  if (o == ml::Objective::kLogistic) return 1;
  if (o == ml::Objective::kPoisson || o == ml::Objective::kTweedie) return 2;
  return 0;
}

/// Empty when two training results are the same bit for bit, else what differs first.
std::string result_difference(const ml::TrainResult& a, const ml::TrainResult& b) {
  const ml::Forest &f = a.forest, &g = b.forest;
  auto same_d = [](const std::vector<double>& u, const std::vector<double>& v) {
    return u.size() == v.size() && (u.empty() || std::memcmp(u.data(), v.data(), u.size() * sizeof(double)) == 0);
  };
  if (a.iterations != b.iterations || a.best_iteration != b.best_iteration || a.stop_reason != b.stop_reason)
    return "iterations / best iteration / stop reason";
  if (f.tree_nodes != g.tree_nodes || f.tree_leaves != g.tree_leaves) return "tree sizes";
  if (f.split_feature != g.split_feature) return "split features";
  if (f.left_child != g.left_child || f.right_child != g.right_child) return "children";
  if (f.default_left != g.default_left || f.categorical != g.categorical) return "default directions / categorical";
  if (f.cat_offsets != g.cat_offsets || f.cat_values != g.cat_values) return "category sets";
  if (!same_d(f.threshold, g.threshold)) return "thresholds";
  if (!same_d(f.split_gain, g.split_gain)) return "split gains";
  if (!same_d(f.internal_value, g.internal_value) || !same_d(f.internal_count, g.internal_count))
    return "internal values";
  if (!same_d(f.leaf_value, g.leaf_value) || !same_d(f.leaf_count, g.leaf_count)) return "leaf values";
  if (!same_d({f.init_score}, {g.init_score})) return "init score";
  if (!same_d(a.train_loss, b.train_loss)) return "train loss";
  if (!same_d(a.valid_loss, b.valid_loss)) return "valid loss";
  return "";
}

/// A HistDevice on the host that runs the kernel's steps (hist_blocks.cuh) the way the device
/// may interleave them: groups of at most kEmulatedSlots slots (several per build), the leaf's
/// rows in several blocks taken last first, each block's items and flush in strided "thread"
/// orders, started from the last thread. With rounded gradients this must give the CPU's trees.
/// With keep_rows it also keeps the rows as the CUDA device does (keeps_rows): the partition's
/// flag and scatter steps (hist_blocks.cuh) in reversed and strided orders, the scan serial.
constexpr int32_t kEmulatedSlots = 600;
int g_emulated_builds = 0, g_emulated_builds_at = 0, g_emulated_partitions = 0, g_emulated_gets = 0;
bool g_emulated_fault = false;  // the emulated partition sends its first row the wrong way
// The emulated device's size limits (HistDevice::min_hist_work / min_partition_rows; 0: the trainer's).
std::size_t g_emulated_min_work = 0, g_emulated_min_partition = 0;
void reset_emulated_counts() {
  g_emulated_builds = g_emulated_builds_at = g_emulated_partitions = g_emulated_gets = 0;
}

class EmulatedHist final : public ml::detail::HistDevice {
 public:
  EmulatedHist(const ml::detail::BinnedMatrix& b, std::size_t n, std::size_t p, bool keep_rows = false)
      : bins_(b.bins),
        offsets_(b.offsets),
        n_(n),
        p_(p),
        keep_rows_(keep_rows),
        global_(3 * static_cast<std::size_t>(b.offsets[p])) {}
  bool keeps_rows() const override { return keep_rows_; }
  std::size_t min_hist_work() const override { return g_emulated_min_work; }
  std::size_t min_partition_rows() const override { return g_emulated_min_partition; }
  Status set_rows(const int32_t* rows, std::size_t len) override {
    pos_.assign(rows, rows + len);
    return Status::Ok();
  }
  Status build_at(std::size_t start, std::size_t end, double* hist) override {
    if (start > end || end > pos_.size()) return Status::Error(StatusCode::kInvalidArgument, "positions not set");
    ++g_emulated_builds_at;
    const std::vector<int32_t> rows(pos_.begin() + static_cast<std::ptrdiff_t>(start),
                                    pos_.begin() + static_cast<std::ptrdiff_t>(end));
    return build(rows.data(), rows.size(), hist);
  }
  Status partition(std::size_t start, std::size_t end, int32_t feature, const uint8_t* table,
                   std::size_t expected_left) override {
    if (start > end || end > pos_.size()) return Status::Error(StatusCode::kInvalidArgument, "positions not set");
    ++g_emulated_partitions;
    const std::size_t len = end - start;
    const ml::cuda_detail::PartitionArgs a{bins_.data(), p_, pos_.data() + start, feature, table};
    std::vector<int32_t> flags(len + 1, 0), scan(len + 1, 0), out(len, -1);
    for (std::size_t i = len; i-- > 0;) flags[i] = ml::cuda_detail::partition_flag(a, i);
    if (g_emulated_fault && len > 0) flags[0] = 1 - flags[0];
    for (std::size_t i = 0; i < len; ++i) scan[i + 1] = scan[i] + flags[i];
    const std::size_t total = static_cast<std::size_t>(scan[len]);
    for (std::size_t first = 5; first-- > 0;)
      for (std::size_t i = first; i < len; i += 5)
        out[ml::cuda_detail::partition_target(flags[i], static_cast<std::size_t>(scan[i]), total, i)] = a.pos[i];
    if (total != expected_left)
      return Status::Error(StatusCode::kCudaError, std::to_string(total) + " rows went left, expected " +
                                                       std::to_string(expected_left));
    std::copy(out.begin(), out.end(), pos_.begin() + static_cast<std::ptrdiff_t>(start));
    return Status::Ok();
  }
  Status get_rows(std::size_t start, std::size_t end, int32_t* rows) override {
    if (start > end || end > pos_.size()) return Status::Error(StatusCode::kInvalidArgument, "positions not set");
    ++g_emulated_gets;
    std::copy(pos_.begin() + static_cast<std::ptrdiff_t>(start), pos_.begin() + static_cast<std::ptrdiff_t>(end), rows);
    return Status::Ok();
  }
  Status set_gradients(const double* grad, const double* hess, double grad_quantum, double hess_quantum) override {
    grad_.resize(n_);
    hess_.resize(n_);
    qg_ = grad_quantum;
    qh_ = hess_quantum;
    for (std::size_t i = 0; i < n_; ++i)
      if (!ml::cuda_detail::to_fixed(grad[i], qg_, &grad_[i]) || !ml::cuda_detail::to_fixed(hess[i], qh_, &hess_[i]))
        return Status::Error(StatusCode::kCudaError, "row " + std::to_string(i) + " is off the grid");
    return Status::Ok();
  }
  Status set_features(const int32_t* feats, std::size_t nf) override {
    plan_ = ml::cuda_detail::plan_hist(offsets_.data(), feats, nf, kEmulatedSlots);
    return Status::Ok();
  }
  Status build(const int32_t* rows, std::size_t len, double* hist) override {
    ++g_emulated_builds;
    std::fill(global_.begin() + 3 * plan_.first_slot, global_.begin() + 3 * plan_.end_slot, 0);
    const ml::cuda_detail::HistArgs a{bins_.data(),     p_, rows, grad_.data(), hess_.data(), plan_.features.data(),
                                      plan_.group_begin.data()};
    auto add = [](Fixed* slot, Fixed v) { *slot += v; };
    const std::size_t blocks = std::min<std::size_t>(len, 5), per = (len + blocks - 1) / blocks;
    std::vector<Fixed> block(3 * static_cast<std::size_t>(plan_.max_group_slots));
    for (std::size_t g = plan_.groups(); g-- > 0;) {
      for (std::size_t bx = blocks; bx-- > 0;) {
        std::fill(block.begin(), block.end(), 0);
        const std::size_t rb = bx * per, re = std::min(len, rb + per);
        for (std::size_t t = 7; t-- > 0;)
          if (rb < re) ml::cuda_detail::add_items(a, static_cast<int32_t>(g), rb, re, t, 7, block.data(), add);
        for (std::size_t t = 5; t-- > 0;)
          ml::cuda_detail::flush_block(a, static_cast<int32_t>(g), block.data(), t, 5, global_.data(), add);
      }
    }
    ml::cuda_detail::fixed_to_hist(plan_, global_.data() + 3 * static_cast<std::size_t>(plan_.first_slot), qg_, qh_,
                                   hist);
    return Status::Ok();
  }

 private:
  using Fixed = ml::cuda_detail::Fixed;
  std::vector<uint8_t> bins_;
  std::vector<int32_t> offsets_;
  std::size_t n_, p_;
  bool keep_rows_;
  double qg_ = 1, qh_ = 1;
  std::vector<Fixed> grad_, hess_, global_;
  std::vector<int32_t> pos_;
  ml::cuda_detail::HistPlan plan_;
};

Status make_emulated_hist(const ml::detail::BinnedMatrix& b, std::size_t n, std::size_t p,
                          std::unique_ptr<ml::detail::HistDevice>* out) {
  *out = std::make_unique<EmulatedHist>(b, n, p);
  return Status::Ok();
}

Status make_emulated_hist_rows(const ml::detail::BinnedMatrix& b, std::size_t n, std::size_t p,
                               std::unique_ptr<ml::detail::HistDevice>* out) {
  *out = std::make_unique<EmulatedHist>(b, n, p, true);
  return Status::Ok();
}

/// The training cases of both suites: every objective, row and feature subsampling, both
/// categorical columns, a validation set with early stopping, 1 and 3 threads.
struct TrainCase {
  ml::Objective objective;
  double subsample, colsample;
  int threads;
  int early_stopping;
};
const TrainCase kTrainCases[] = {
    {ml::Objective::kL2, 1, 1, 1, 0},          {ml::Objective::kL1, 0.8, 1, 3, 0},
    {ml::Objective::kQuantile, 1, 0.6, 1, 0},  {ml::Objective::kLogistic, 0.7, 0.8, 3, 4},
    {ml::Objective::kPoisson, 1, 1, 3, 0},     {ml::Objective::kTweedie, 0.9, 0.7, 1, 0},
};

ml::GbdtParams train_params(const TrainCase& c) {
  ml::GbdtParams q;
  q.objective.kind = c.objective;
  q.objective.alpha = 0.7;
  q.objective.tweedie_power = 1.4;
  q.num_iterations = 12;
  q.max_leaves = 31;
  q.min_data_in_leaf = 10;
  q.min_data_per_group = 30;
  q.subsample = c.subsample;
  q.colsample = c.colsample;
  q.threads = c.threads;
  q.early_stopping_rounds = c.early_stopping;
  q.seed = 7;
  q.categorical_features = {0, 1};
  return q;
}

}  // namespace

int run_ml_cuda_host_suite() {
  // Feature groups: in order, within the slot budget, local slots packed, the span of the
  // sampled features' global slots.
  {
    const std::vector<int32_t> offsets = {0, 256, 300, 556, 812, 813, 1069};
    const std::vector<int32_t> feats = {0, 1, 2, 3, 4, 5};
    const ml::cuda_detail::HistPlan plan = ml::cuda_detail::plan_hist(offsets.data(), feats.data(), 6, 600);
    CHECK(plan.group_begin == (std::vector<int32_t>{0, 3, 6}), "groups %zu", plan.groups());
    CHECK(plan.features[2].local_slot == 300 && plan.features[3].local_slot == 0 && plan.features[5].local_slot == 257,
          "local slots %d %d %d", plan.features[2].local_slot, plan.features[3].local_slot,
          plan.features[5].local_slot);
    CHECK(plan.max_group_slots == 556 && plan.first_slot == 0 && plan.end_slot == 1069, "max %d span %d..%d",
          plan.max_group_slots, plan.first_slot, plan.end_slot);
    const std::vector<int32_t> some = {1, 4};
    const ml::cuda_detail::HistPlan two = ml::cuda_detail::plan_hist(offsets.data(), some.data(), 2);
    CHECK(two.groups() == 1 && two.features[1].global_slot == 812 && two.features[1].local_slot == 44 &&
              two.first_slot == 256 && two.end_slot == 813,
          "sampled plan");
  }
  // The blocks in a scrambled order against rows added in order: bit-identical with rounded
  // gradients; with raw ones the order shows (so the comparison can fail).
  {
    const std::size_t n = 6000, p = 5;
    std::vector<double> x, y;
    training_set(n, p, 3, 0, &x, &y);
    ml::detail::BinnedMatrix b;
    CHECK(ml::detail::bin_features(x.data(), n, p, {true, true, false, false, false}, 255, n, &b).ok(), "bins");
    std::mt19937_64 rng(4);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<double> g(n), h(n);
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = u(rng) * (i % 3 == 0 ? 1e3 : 1e-3);
      h[i] = std::fabs(u(rng)) + 1e-9;
    }
    std::vector<int32_t> rows;  // a leaf: every third row, shuffled
    for (std::size_t i = 0; i < n; i += 3) rows.push_back(static_cast<int32_t>(i));
    std::shuffle(rows.begin(), rows.end(), rng);
    const std::vector<int32_t> feats = {0, 2, 3, 4};
    const std::size_t values = 3 * static_cast<std::size_t>(b.offsets[p]);
    auto in_order = [&](const std::vector<double>& gg, const std::vector<double>& hh) {
      std::vector<double> hist(values, 0.0);
      for (const int32_t r : rows)
        for (const int32_t f : feats) {
          double* s = hist.data() + 3 * (b.offsets[f] + b.bins[static_cast<std::size_t>(r) * p + f]);
          s[0] += gg[r];
          s[1] += hh[r];
          s[2] += 1;
        }
      return hist;
    };
    const double rg = ml::detail::grid_anchor(1e3, n), rh = ml::detail::grid_anchor(1.0 + 1e-9, n);
    const double qg = ml::detail::gradient_quantum(rg), qh = ml::detail::gradient_quantum(rh);
    CHECK(qg == rg * 0x1p-53 && qh == rh * 0x1p-53, "quanta %g %g of anchors %g %g", qg, qh, rg, rh);
    auto emulated = [&](const std::vector<double>& gg, const std::vector<double>& hh, Status* st) {
      std::unique_ptr<ml::detail::HistDevice> dev;
      make_emulated_hist(b, n, p, &dev);
      *st = dev->set_gradients(gg.data(), hh.data(), qg, qh);
      std::vector<double> hist(values, kGuard);
      if (!st->ok()) return hist;
      dev->set_features(feats.data(), feats.size());
      dev->build(rows.data(), rows.size(), hist.data());
      return hist;
    };
    Status raw_status;
    emulated(g, h, &raw_status);
    CHECK(raw_status.code == StatusCode::kCudaError, "raw gradients (off the grid) were not refused");
    std::vector<double> gr(n), hr(n);
    for (std::size_t i = 0; i < n; ++i) {
      gr[i] = (rg + g[i]) - rg;
      hr[i] = (rh + h[i]) - rh;
    }
    std::vector<double> off_grid = gr;
    off_grid[n / 2] += qg / 2;  // half a quantum: exact in a double, not a multiple of qg
    Status off_status;
    emulated(off_grid, hr, &off_status);
    CHECK(off_status.code == StatusCode::kCudaError, "a value half a quantum off the grid was not refused");
    Status st;
    const std::vector<double> ref = in_order(gr, hr), got = emulated(gr, hr, &st);
    CHECK(st.ok(), "rounded gradients refused: %s", st.message.c_str());
    bool same = true;
    for (const int32_t f : feats)
      for (int32_t v = 3 * b.offsets[f]; v < 3 * b.offsets[f + 1]; ++v) same = same && same_bits(got[v], ref[v]);
    CHECK(same, "rounded gradients: the scrambled fixed-point blocks differ from the ordered histogram");
    CHECK(got[3 * b.offsets[1]] == kGuard, "an unsampled feature's slots were written");
    double count = 0;
    for (int32_t v = 3 * b.offsets[0] + 2; v < 3 * b.offsets[1]; v += 3) count += got[v];
    CHECK(count == static_cast<double>(rows.size()), "feature 0 counts %g rows of %zu", count, rows.size());
  }
  // Training through the emulated device: the trees of CPU training, bit for bit, with the
  // device taking the large histograms; refused without gradient rounding.
  {
    const std::size_t n = 24000, p = 8, nv = 3000;
    for (const TrainCase& c : kTrainCases) {
      std::vector<double> x, y;
      training_set(n + nv, p, 11 + static_cast<int>(c.objective), label_kind(c.objective), &x, &y);
      const ml::Dataset d{x.data(), y.data(), n, p}, v{x.data() + n * p, y.data() + n, nv, p};
      const ml::GbdtParams q = train_params(c);
      ml::TrainResult ref, got;
      Status s = ml::gbdt_train_cpu(d, &v, q, &ref);
      CHECK(s.ok(), "cpu train: %s", s.message.c_str());
      reset_emulated_counts();
      s = ml::detail::gbdt_train_with(d, &v, q, &got, {}, {}, make_emulated_hist);
      CHECK(s.ok(), "emulated train: %s", s.message.c_str());
      const std::string diff = result_difference(ref, got);
      CHECK(diff.empty(), "objective %d, subsample %g, colsample %g: %s differ", static_cast<int>(c.objective),
            c.subsample, c.colsample, diff.c_str());
      CHECK(g_emulated_builds >= static_cast<int>(ref.iterations), "objective %d: %d device builds for %d trees",
            static_cast<int>(c.objective), g_emulated_builds, ref.iterations);
      CHECK(g_emulated_partitions == 0 && g_emulated_builds_at == 0, "a device without kept rows was asked for them");
      // The same with the rows kept on the emulated device: the root partitioned there, its
      // children's rows copied back when they fall under the device's sizes.
      ml::TrainResult kept;
      reset_emulated_counts();
      s = ml::detail::gbdt_train_with(d, &v, q, &kept, {}, {}, make_emulated_hist_rows);
      CHECK(s.ok(), "emulated train, rows kept: %s", s.message.c_str());
      const std::string kept_diff = result_difference(ref, kept);
      CHECK(kept_diff.empty(), "rows kept, objective %d, subsample %g, colsample %g: %s differ",
            static_cast<int>(c.objective), c.subsample, c.colsample, kept_diff.c_str());
      CHECK(g_emulated_partitions >= static_cast<int>(ref.iterations) && g_emulated_builds_at > 0 &&
                g_emulated_gets > 0,
            "rows kept, objective %d: %d device partitions, %d builds from kept rows, %d copies back for %d trees",
            static_cast<int>(c.objective), g_emulated_partitions, g_emulated_builds_at, g_emulated_gets,
            ref.iterations);
      CHECK(ref.forest.num_trees() > 0 && ref.forest.tree_nodes.back() > 20, "objective %d: too few splits to compare",
            static_cast<int>(c.objective));
    }
    // Larger: leaves below the root partitioned on the device too (more than one a tree).
    {
      const std::size_t big = 90000;
      std::vector<double> x, y;
      training_set(big, p, 17, 0, &x, &y);
      const ml::Dataset d{x.data(), y.data(), big, p};
      ml::GbdtParams q = train_params(kTrainCases[0]);
      q.threads = 2;
      ml::TrainResult ref, kept;
      Status s = ml::gbdt_train_cpu(d, nullptr, q, &ref);
      CHECK(s.ok(), "cpu train: %s", s.message.c_str());
      reset_emulated_counts();
      s = ml::detail::gbdt_train_with(d, nullptr, q, &kept, {}, {}, make_emulated_hist_rows);
      CHECK(s.ok(), "emulated train, rows kept: %s", s.message.c_str());
      const std::string diff = result_difference(ref, kept);
      CHECK(diff.empty(), "rows kept, %zu rows: %s differ", big, diff.c_str());
      CHECK(g_emulated_partitions > 2 * static_cast<int>(ref.iterations), "%d device partitions for %d trees",
            g_emulated_partitions, ref.iterations);
      // Few leaves: the last leaves are large, their rows still on the device when the tree ends.
      ml::GbdtParams few = q;
      few.max_leaves = 4;
      ml::TrainResult ref4, kept4;
      s = ml::gbdt_train_cpu(d, nullptr, few, &ref4);
      CHECK(s.ok(), "cpu train, 4 leaves: %s", s.message.c_str());
      s = ml::detail::gbdt_train_with(d, nullptr, few, &kept4, {}, {}, make_emulated_hist_rows);
      CHECK(s.ok(), "emulated train, 4 leaves, rows kept: %s", s.message.c_str());
      const std::string diff4 = result_difference(ref4, kept4);
      CHECK(diff4.empty(), "rows kept, 4 leaves: %s differ", diff4.c_str());
      // The device's size limits move work between it and the CPU, never the trees: every build
      // and partition on the device (limits 1), or only the largest (limits above the root's
      // size for partitions: none on the device, every leaf's rows copied back).
      const std::pair<std::size_t, std::size_t> limits[] = {{1, 1}, {1, big + 1}, {std::size_t{1} << 19, 1}};
      int builds_at_all[3] = {0, 0, 0}, partitions_at[3] = {0, 0, 0};
      for (int k = 0; k < 3; ++k) {
        g_emulated_min_work = limits[k].first;
        g_emulated_min_partition = limits[k].second;
        reset_emulated_counts();
        ml::TrainResult lim;
        s = ml::detail::gbdt_train_with(d, nullptr, q, &lim, {}, {}, make_emulated_hist_rows);
        builds_at_all[k] = g_emulated_builds + g_emulated_builds_at;
        partitions_at[k] = g_emulated_partitions;
        const std::string dl = s.ok() ? result_difference(ref, lim) : "training failed: " + s.message;
        CHECK(dl.empty(), "device limits %zu / %zu: %s differ", limits[k].first, limits[k].second, dl.c_str());
      }
      g_emulated_min_work = g_emulated_min_partition = 0;
      CHECK(partitions_at[1] == 0 && partitions_at[0] > partitions_at[2] / 2 && partitions_at[0] > 0,
            "partition limits not applied: %d, %d, %d device partitions", partitions_at[0], partitions_at[1],
            partitions_at[2]);
      CHECK(builds_at_all[0] > builds_at_all[2] && builds_at_all[2] > 0,
            "build limits not applied: %d builds at work >= 1, %d at >= 2^19", builds_at_all[0], builds_at_all[2]);
      // A device whose partition disagrees with the histogram stops training with its error.
      g_emulated_fault = true;
      s = ml::detail::gbdt_train_with(d, nullptr, q, &kept, {}, {}, make_emulated_hist_rows);
      g_emulated_fault = false;
      CHECK(s.code == StatusCode::kCudaError, "a faulty device partition: code %d: %s", static_cast<int>(s.code),
            s.message.c_str());
    }
    std::vector<double> x, y;
    training_set(2000, 4, 5, 0, &x, &y);
    ml::GbdtParams q;
    q.gradient_rounding = false;
    ml::TrainResult r;
    Status s = ml::detail::gbdt_train_with(ml::Dataset{x.data(), y.data(), 2000, 4}, nullptr, q, &r, {}, {},
                                           make_emulated_hist);
    CHECK(s.code == StatusCode::kUnsupported && s.message.find("gradientRounding") != std::string::npos,
          "unrounded device training: %s", s.message.c_str());
    q.device = ml::TrainDevice::kCuda;
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 2000, 4}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kUnsupported && s.message.find("gradientRounding") != std::string::npos,
          "unrounded cuda training: %s", s.message.c_str());
    if (!geo::cuda_probe().available) {
      q.gradient_rounding = true;
      s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 2000, 4}, nullptr, q, &r);
      CHECK((s.code == StatusCode::kUnsupported || s.code == StatusCode::kCudaError) && !s.message.empty(),
            "cuda training without a device: code %d: %s", static_cast<int>(s.code), s.message.c_str());
    }
  }

  // The exp port against ml::js_exp, bit for bit: random arguments over the whole range, the
  // reduction boundaries, the special values.
  {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> wide(-760.0, 760.0), narrow(-2.0, 2.0);
    std::vector<double> args = {0.0,  -0.0, 1.0,   -1.0,   0.5 * 0.6931471805599453, 1.5 * 0.6931471805599453,
                                1e-9, -1e-9, 709.7, 709.79, -745.1,                  -745.2,
                                -708.5, -720, 1e-300, NAN,  INFINITY,                -INFINITY};
    for (int i = 0; i < 200000; ++i) args.push_back(i % 2 ? wide(rng) : narrow(rng));
    int bad = 0;
    for (const double a : args)
      if (!same_bits(ml::cuda_detail::js_exp(a), ml::js_exp(a)) && bad++ < 3)
        CHECK(false, "exp port differs at %.17g: %.17g vs %.17g", a, ml::cuda_detail::js_exp(a), ml::js_exp(a));
    CHECK(bad == 0, "exp port differs from js_exp at %d of %zu arguments", bad, args.size());
  }
  // The walk over the packed forest (row-major stride 1 and column-major stride rows), raw and
  // transformed for every objective, against gbdt_predict_cpu.
  {
    const std::size_t p = 9, rows = 3000;
    const ml::Forest f = random_forest(60, p, 7, 21);
    const std::vector<double> x = random_rows(rows, p, 22);
    std::vector<double> cols(rows * p);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t k = 0; k < p; ++k) cols[k * rows + i] = x[i * p + k];
    {
      // Both kinds of categorical node: bitsets (codes < 4096) and the binary search (the others).
      const ml::cuda_detail::PackedForest all = ml::cuda_detail::pack_forest(f.view(), 60);
      int bitsets = 0, searched = 0;
      for (const auto& n : all.nodes)
        if (n.flags & ml::cuda_detail::kCategorical) ++((n.flags & ml::cuda_detail::kCatBits) ? bitsets : searched);
      CHECK(bitsets > 20 && searched > 20, "packed forest: %d bitset nodes, %d searched", bitsets, searched);
    }
    for (const std::size_t trees : {std::size_t{0}, std::size_t{1}, std::size_t{37}, std::size_t{60}}) {
      const ml::cuda_detail::PackedForest packed = ml::cuda_detail::pack_forest(f.view(), trees);
      const ml::cuda_detail::ForestArrays view = packed.host_view();
      for (const ml::Objective o : kObjectives) {
        for (const bool transform : {false, true}) {
          const std::vector<double> ref = cpu_predict(f, o, trees, x, rows, transform, RowRange{0, rows});
          std::vector<double> by_row(rows), by_col(rows);
          for (std::size_t i = 0; i < rows; ++i) {
            const double a = ml::cuda_detail::forest_raw(view, x.data() + i * p, 1);
            const double b = ml::cuda_detail::forest_raw(view, cols.data() + i, rows);
            by_row[i] = transform ? ml::cuda_detail::transform_raw(static_cast<int>(o), a) : a;
            by_col[i] = transform ? ml::cuda_detail::transform_raw(static_cast<int>(o), b) : b;
          }
          const long d1 = first_difference(by_row, ref), d2 = first_difference(by_col, ref);
          CHECK(d1 < 0 && d2 < 0, "host walk: %zu trees, objective %d, transform %d: row %ld / %ld differs", trees,
                static_cast<int>(o), transform, d1, d2);
        }
      }
    }
    // A wrong walk would not match: the forest must actually depend on the features.
    const std::vector<double> ref = cpu_predict(f, ml::Objective::kL2, 60, x, rows, false, RowRange{0, rows});
    const auto [lo, hi] = std::minmax_element(ref.begin(), ref.end());
    CHECK(*hi - *lo > 0.5, "random forest predictions barely vary (%g .. %g)", *lo, *hi);
  }
  return waybill::test::failures() == 0 ? 0 : 1;
}

int run_ml_cuda_suite() {
  // Random forests: deep and shallow, many rows, every objective, raw and transformed, some
  // tree counts, bit for bit.
  struct Shape {
    std::size_t trees, p;
    int depth;
    std::size_t rows;
  };
  const Shape shapes[] = {{1, 5, 1, 1000}, {100, 20, 6, 200003}, {40, 50, 12, 50000}, {300, 8, 4, 70001}};
  uint64_t seed = 100;
  for (const Shape& sh : shapes) {
    const ml::Forest f = random_forest(sh.trees, sh.p, sh.depth, ++seed);
    const std::vector<double> x = random_rows(sh.rows, sh.p, ++seed);
    for (const ml::Objective o : kObjectives) {
      for (const bool transform : {false, true}) {
        for (const std::size_t trees : {sh.trees, sh.trees / 2}) {
          const RowRange all{0, sh.rows};
          const std::vector<double> ref = cpu_predict(f, o, trees, x, sh.rows, transform, all);
          Status s;
          const std::vector<double> got = cuda_predict(f, o, trees, x, sh.rows, transform, all, &s);
          CHECK(s.ok(), "cuda predict: %s", s.message.c_str());
          const long d = first_difference(got, ref);
          CHECK(d < 0, "%zu trees, depth %d, %zu x %zu, objective %d, transform %d, %zu used: row %ld: %.17g vs %.17g",
                sh.trees, sh.depth, sh.rows, sh.p, static_cast<int>(o), transform, trees, d,
                d < 0 ? 0.0 : got[static_cast<std::size_t>(d)], d < 0 ? 0.0 : ref[static_cast<std::size_t>(d)]);
        }
      }
    }
  }
  // A trained model (the trees the trainer grows: categorical partitions, learned default
  // directions) on its own rows and on fresh ones.
  {
    std::vector<double> own;
    const ml::Forest f = trained_forest(20000, &own);
    const std::size_t p = 6;
    CHECK(f.num_trees() > 0, "trained model: no trees");
    // Fresh rows keep random_rows' negative and non-integer codes (unseen categories at predict time).
    const std::vector<double> fresh = random_rows(7000, p, 100);
    for (const std::vector<double>* x : {static_cast<const std::vector<double>*>(&own), &fresh}) {
      const std::size_t rows = x->size() / p;
      for (const bool transform : {false, true}) {
        const RowRange all{0, rows};
        const std::vector<double> ref =
            cpu_predict(f, ml::Objective::kPoisson, f.num_trees(), *x, rows, transform, all);
        Status s;
        const std::vector<double> got =
            cuda_predict(f, ml::Objective::kPoisson, f.num_trees(), *x, rows, transform, all, &s);
        CHECK(s.ok() && first_difference(got, ref) < 0, "trained model, %zu rows: %s, row %ld differs", rows,
              s.message.c_str(), first_difference(got, ref));
      }
    }
  }
  // Row ranges: only [begin, end) written, the guards around it untouched.
  {
    const std::size_t p = 7, rows = 5000;
    const ml::Forest f = random_forest(30, p, 5, 7);
    const std::vector<double> x = random_rows(rows, p, 8);
    const RowRange range{1234, 4321};
    const std::vector<double> ref = cpu_predict(f, ml::Objective::kLogistic, 30, x, rows, true, range);
    Status s;
    const std::vector<double> got = cuda_predict(f, ml::Objective::kLogistic, 30, x, rows, true, range, &s);
    CHECK(s.ok(), "range: %s", s.message.c_str());
    CHECK(first_difference(got, ref) < 0, "range: row %ld differs", first_difference(got, ref));
    CHECK(got[1233] == kGuard && got[4321] == kGuard && got[1234] != kGuard, "range: guards overwritten");
  }
  // Training with the histograms on the device: the CPU's forests and losses, bit for bit, for
  // every objective with subsampling and categorical columns; then a large set (several blocks
  // per leaf, 20 features of 256 slots: three groups) on 2 threads; refused without rounding.
  {
    const std::size_t n = 40000, p = 8, nv = 4000;
    for (const TrainCase& c : kTrainCases) {
      std::vector<double> x, y;
      training_set(n + nv, p, 31 + static_cast<int>(c.objective), label_kind(c.objective), &x, &y);
      const ml::Dataset d{x.data(), y.data(), n, p}, v{x.data() + n * p, y.data() + n, nv, p};
      ml::GbdtParams q = train_params(c);
      ml::TrainResult ref, got;
      Status s = ml::gbdt_train_cpu(d, &v, q, &ref);
      CHECK(s.ok(), "cpu train: %s", s.message.c_str());
      q.device = ml::TrainDevice::kCuda;
      s = ml::gbdt_train_cpu(d, &v, q, &got);
      CHECK(s.ok(), "cuda train: %s", s.message.c_str());
      const std::string diff = result_difference(ref, got);
      CHECK(diff.empty(), "cuda training, objective %d, subsample %g, colsample %g: %s differ",
            static_cast<int>(c.objective), c.subsample, c.colsample, diff.c_str());
    }
    const std::size_t big = 300000, wide = 20;
    std::vector<double> x, y;
    training_set(big, wide, 41, 0, &x, &y);
    ml::GbdtParams q;
    q.num_iterations = 8;
    q.max_leaves = 63;
    q.threads = 2;
    q.subsample = 0.9;
    q.categorical_features = {0, 1};
    ml::TrainResult ref, got;
    Status s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), big, wide}, nullptr, q, &ref);
    CHECK(s.ok(), "cpu train (large): %s", s.message.c_str());
    q.device = ml::TrainDevice::kCuda;
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), big, wide}, nullptr, q, &got);
    CHECK(s.ok(), "cuda train (large): %s", s.message.c_str());
    const std::string diff = result_difference(ref, got);
    CHECK(diff.empty(), "cuda training, %zu x %zu: %s differ", big, wide, diff.c_str());
    q.gradient_rounding = false;
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), big, wide}, nullptr, q, &got);
    CHECK(s.code == StatusCode::kUnsupported, "unrounded cuda training: %s", s.message.c_str());
  }
  // Rows kept on the device: a partition there is the CPU's stable partition; a left count that
  // disagrees with the caller's is refused; positions outside the set ones are refused.
  {
    const std::size_t n = 50000, p = 4;
    std::vector<double> x, y;
    training_set(n, p, 43, 0, &x, &y);
    ml::detail::BinnedMatrix b;
    CHECK(ml::detail::bin_features(x.data(), n, p, {true, false, false, false}, 255, n, &b).ok(), "bins");
    std::unique_ptr<ml::detail::HistDevice> dev;
    Status s = ml::detail::make_cuda_hist(b, n, p, &dev);
    CHECK(s.ok() && dev->keeps_rows(), "cuda hist with kept rows: %s", s.message.c_str());
    if (s.ok() && dev->keeps_rows()) {
      std::vector<int32_t> rows;
      std::mt19937_64 rng(44);
      for (std::size_t i = 0; i < n; ++i)
        if (rng() % 4 != 0) rows.push_back(static_cast<int32_t>(i));
      std::shuffle(rows.begin(), rows.end(), rng);
      CHECK(dev->set_rows(rows.data(), rows.size()).ok(), "set_rows");
      uint8_t table[256];
      for (int k = 0; k < 256; ++k) table[k] = (k % 3 == 0 || k > 200) ? 1 : 0;
      const std::size_t start = 777, end = rows.size() - 333;
      std::vector<int32_t> want(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(start)), right;
      for (std::size_t i = start; i < end; ++i) {
        const int32_t r = rows[i];
        if (table[b.bins[static_cast<std::size_t>(r) * p + 2]]) want.push_back(r);
        else right.push_back(r);
      }
      const std::size_t left = want.size() - start;
      want.insert(want.end(), right.begin(), right.end());
      want.insert(want.end(), rows.begin() + static_cast<std::ptrdiff_t>(end), rows.end());
      s = dev->partition(start, end, 2, table, left + 1);
      CHECK(s.code == StatusCode::kCudaError, "a wrong left count was not refused: %s", s.message.c_str());
      CHECK(dev->set_rows(rows.data(), rows.size()).ok(), "set_rows again");
      s = dev->partition(start, end, 2, table, left);
      CHECK(s.ok(), "device partition: %s", s.message.c_str());
      std::vector<int32_t> got(rows.size(), -1);
      CHECK(dev->get_rows(0, rows.size(), got.data()).ok(), "get_rows");
      CHECK(got == want, "the device partition is not the stable partition");
      s = dev->partition(0, rows.size() + 1, 2, table, 0);
      CHECK(s.code == StatusCode::kInvalidArgument, "positions past the set ones: %s", s.message.c_str());
      s = dev->get_rows(10, 5, got.data());
      CHECK(s.code == StatusCode::kInvalidArgument, "a reversed range: %s", s.message.c_str());
    }
  }
  // Errors: too many trees, a bad row range, a set cancel flag.
  {
    const std::size_t p = 3, rows = 100;
    const ml::Forest f = random_forest(4, p, 3, 9);
    const std::vector<double> x = random_rows(rows, p, 10);
    Status s;
    cuda_predict(f, ml::Objective::kL2, 5, x, rows, false, RowRange{0, rows}, &s);
    CHECK(s.code == StatusCode::kInvalidArgument, "5 of 4 trees: %s", s.message.c_str());
    cuda_predict(f, ml::Objective::kL2, 4, x, rows, false, RowRange{0, rows + 1}, &s);
    CHECK(s.code == StatusCode::kInvalidArgument, "range past the rows: %s", s.message.c_str());
    const int32_t flag = 1;
    const std::vector<double> out = cuda_predict(f, ml::Objective::kL2, 4, x, rows, false, RowRange{0, rows}, &s,
                                                 CancelToken{&flag});
    CHECK(s.code == StatusCode::kCancelled, "cancelled: %s", s.message.c_str());
    CHECK(out[0] == kGuard, "a cancelled call wrote rows");
  }
  return waybill::test::failures() == 0 ? 0 : 1;
}
