// GBDT training on the CPU, the C++ port of src/kernels/ml/gbdt.ts (GbdtTrainer): the file
// comment there is the specification. Per iteration: gradients; rows (one mulberry32 draw per
// row when subsample < 1); features (partial Fisher-Yates when colsample < 1); one tree grown
// leaf-wise on binned features with histogram subtraction; leaf values (Newton step or the
// objective's re-fit) times the learning rate; scores, losses, early stopping.
//
// Every floating-point reduction runs in the reference's order: histogram slots and leaf sums
// accumulate rows in ascending order, gains are evaluated term by term as written there, ties
// keep the first candidate (lowest feature, then threshold; lowest leaf index). Threads only
// split independent work (features of a histogram, rows of a score update), never a sum; they
// are the helpers of one detail::WorkPool per training run, started once. The one exception is
// the histogram with rounded gradients (gradient_rounding): every sum of them is exact, so rows
// may be added in any order, by row blocks per thread, or on the CUDA device.
//
// CUDA (params.device kCuda): a detail::HistDevice (native/src/cuda/ml/gbdt_hist.cu) holds the
// bin matrix on the device; per iteration it receives the rounded gradients and the sampled
// features, and it builds the histograms of leaves with at least kDeviceHistWork rows x features
// (smaller ones stay on the CPU: a device round trip costs more). Split search, leaf values and
// scores stay on the CPU threads; so do partitions, unless the device keeps rows (below). The
// sums are exact either way, so the trees are bit-identical to CPU training; without gradient
// rounding the device is refused.
//
// Rows on the device (HistDevice::keeps_rows, the CUDA one does): when the root goes to the
// device, the tree's sampled rows are sent once and the device keeps its own copy of rows_.
// Leaves of at least kDevicePartitionRows rows whose rows are there are partitioned there (the
// same stable partition, checked against the histogram's left count), and their histograms are
// built from that copy; a leaf's rows come back to the CPU only when the CPU needs them (a
// smaller leaf's histogram or partition, and every leaf's rows at the end of the tree for the
// leaf values and scores). Leaf records say where their rows are (Leaf::on_host / on_device).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "internal.h"

namespace waybill::ml {
namespace {

using detail::BinnedMatrix;
using detail::FeatureBins;
using detail::Mulberry32;
using detail::ObjectiveFns;

constexpr double kInf = std::numeric_limits<double>::infinity();
// A histogram build smaller than this (rows x features) stays on the calling thread: each
// thread of a parallel build walks all the leaf's rows for its block of features, and a block
// handed to a helper costs a wake-up; below about 2^18 updates (a few hundred microseconds) that
// did not pay on the 2-core bench machine (bench/ml-real.bench.ts, Hillstrom 51k rows x 9).
constexpr std::size_t kParallelHistWork = std::size_t{1} << 15;
// Row loops (loss terms, score updates) shorter than this stay on the calling thread.
constexpr std::size_t kParallelRows = 8192;
// With rounded gradients, a histogram of at least this many rows is built by row blocks (each
// thread zeroes, fills and merges a whole histogram of the sampled features: O(slots) per thread,
// which below a few thousand rows costs more than it saves); smaller ones by feature blocks.
constexpr std::size_t kRowBlockHistRows = 8192;
// A split search over at least this many sampled features runs by feature blocks on the helpers.
constexpr std::size_t kParallelSplitFeatures = 8;
// A leaf at least this large is partitioned on the helpers (two passes instead of one).
constexpr std::size_t kParallelPartition = 16384;
// Rows ahead whose bins are prefetched while a histogram is built or a leaf partitioned.
constexpr std::size_t kPrefetch = 16;
// A histogram build of at least this much work (rows x sampled features) goes to the HistDevice
// when there is one; below it the copies and the launch (tens of microseconds) cost more than the
// CPU build. Provisional: not yet timed on a GPU (bench/ml-cuda.bench.ts measures training).
constexpr std::size_t kDeviceHistWork = std::size_t{1} << 16;
// A leaf of at least this many rows whose rows are on a device that keeps them is partitioned
// there (a flag pass, a scan and a scatter: a few launches and one 4-byte copy back); smaller
// leaves come back to the CPU. Provisional: not yet timed on a GPU.
constexpr std::size_t kDevicePartitionRows = std::size_t{1} << 14;

Status invalid(const std::string& msg) { return Status::Error(StatusCode::kInvalidArgument, msg); }

struct Split {
  double gain = 0;
  int feature = -1;
  int threshold_bin = 0;  // numeric: bins <= threshold_bin go left; categorical: index into the order
  bool categorical = false;
  std::vector<int32_t> cat_bins;  // categorical: bins going left
  bool default_left = false;
  double gl = 0, hl = 0, cl = 0;
};

using Hist = std::unique_ptr<std::vector<double>>;

struct Leaf {
  std::size_t start = 0, end = 0;
  int depth = 0;
  double g = 0, h = 0, c = 0;
  Hist hist;
  bool has_best = false;
  Split best;
  int parent = -1;  // internal node whose child this leaf is (-1: root)
  bool is_left = false;
  // Where rows_[start, end) is current: on the CPU, in the HistDevice's copy (keeps_rows), or both.
  bool on_host = true, on_device = false;
};

/// Training-side split rule of an internal node, on bins.
struct BinRule {
  int feature = 0;
  int threshold_bin = 0;
  bool has_mask = false;
  std::vector<uint8_t> mask;
  bool default_left = false;
  int missing_bin = 0;
  bool left(int bin) const {
    if (bin == missing_bin) return default_left;
    if (!has_mask) return bin <= threshold_bin;
    // Bins past the mask (above the missing bin) never occur; they go right.
    return static_cast<std::size_t>(bin) < mask.size() && mask[static_cast<std::size_t>(bin)] == 1;
  }
  /// The rule as a table over every byte value: table[b] = 1 when bin b goes left.
  void to_table(uint8_t* table) const {
    for (int b = 0; b < 256; ++b) table[b] = left(b) ? 1 : 0;
  }
};

/// Whether x[0, n) holds an infinity: a branch-free scan (the compiler vectorises it), so a
/// 1e6 x 50 matrix costs a pass over memory rather than a compare-and-branch per value.
bool has_infinity(const double* x, std::size_t n) {
  uint64_t any = 0;
  for (std::size_t i = 0; i < n; ++i) {
    uint64_t b;
    std::memcpy(&b, x + i, sizeof b);
    any |= static_cast<uint64_t>((b & 0x7fffffffffffffffULL) == 0x7ff0000000000000ULL);
  }
  return any != 0;
}

/// No infinities in x (rows x p; NaN is a missing value): row blocks scanned on the pool's
/// threads, then the first infinity, if any, named by a serial pass.
Status check_matrix(const char* field, const double* x, std::size_t rows, std::size_t p, detail::WorkPool* pool) {
  const std::size_t n = rows * p;
  std::atomic<bool> found{false};
  auto scan = [&](std::size_t b, std::size_t e) {
    if (has_infinity(x + b * p, (e - b) * p)) found.store(true, std::memory_order_relaxed);
  };
  if (pool != nullptr && n >= (std::size_t{1} << 20)) pool->run(rows, scan);
  else scan(0, rows);
  if (!found.load()) return Status::Ok();
  for (std::size_t i = 0; i < n; ++i)
    if (std::isinf(x[i]))
      return invalid(std::string(field) + "[" + std::to_string(i) + "] (row " + std::to_string(i / p) + ", feature " +
                     std::to_string(i % p) + ") is " + (x[i] > 0 ? "Infinity" : "-Infinity"));
  return Status::Ok();
}

Status check_params(const GbdtParams& q) {
  const ObjectiveSpec& o = q.objective;
  const int kind = static_cast<int>(o.kind);
  if (kind < 0 || kind > 5) return invalid("objective must be one of l2, l1, quantile, logistic, poisson, tweedie");
  if (o.kind == Objective::kQuantile && !(o.alpha > 0 && o.alpha < 1)) return invalid("objective.alpha must be in (0, 1)");
  if (o.kind == Objective::kTweedie && !(o.tweedie_power > 1 && o.tweedie_power < 2))
    return invalid("objective.tweedieVariancePower must be in (1, 2)");
  if (q.num_iterations < 1) return invalid("numIterations must be >= 1");
  if (!(q.learning_rate > 0 && q.learning_rate <= 1)) return invalid("learningRate must be in (0, 1]");
  if (q.max_leaves < 2 || q.max_leaves > 131072) return invalid("maxLeaves must be in [2, 131072]");
  if (q.max_depth < 0 || q.max_depth > 64) return invalid("maxDepth must be in [0, 64]");
  if (q.min_data_in_leaf < 1) return invalid("minDataInLeaf must be >= 1");
  if (!(q.min_sum_hessian_in_leaf >= 0)) return invalid("minSumHessianInLeaf must be >= 0");
  if (!(q.lambda_l2 >= 0)) return invalid("lambdaL2 must be >= 0");
  if (!(q.min_split_gain >= 0)) return invalid("minSplitGain must be >= 0");
  if (!(q.subsample > 0 && q.subsample <= 1)) return invalid("subsample must be in (0, 1]");
  if (!(q.colsample > 0 && q.colsample <= 1)) return invalid("colsample must be in (0, 1]");
  if (q.max_bins < 2 || q.max_bins > 255) return invalid("maxBins must be in [2, 255]");
  if (q.bin_sample_size < 1) return invalid("binSampleSize must be >= 1");
  if (!(q.cat_smooth >= 0)) return invalid("catSmooth must be >= 0");
  if (q.min_data_per_group < 1) return invalid("minDataPerGroup must be >= 1");
  if (q.max_cat_threshold < 1) return invalid("maxCatThreshold must be >= 1");
  if (!(q.cat_l2 >= 0)) return invalid("catL2 must be >= 0");
  if (q.max_cat_to_onehot < 0) return invalid("maxCatToOnehot must be >= 0");
  if (q.early_stopping_rounds < 0) return invalid("earlyStoppingRounds must be >= 0");
  if (q.threads < 1 || q.threads > 256) return invalid("threads must be in [1, 256]");
  if (q.device != TrainDevice::kCpu && q.device != TrainDevice::kCuda) return invalid("device must be cpu or cuda");
  return Status::Ok();
}

class Trainer {
 public:
  Trainer(const Dataset& train, const Dataset* valid, const GbdtParams& params, CancelToken cancel,
          const std::function<void(const Progress&)>& progress, detail::HistDeviceFactory device)
      : train_(train),
        valid_(valid),
        q_(params),
        cancel_(cancel),
        progress_(progress),
        rng_(params.seed),
        device_factory_(device) {
    obj_.spec = params.objective;
  }

  /// Why training stopped early with an error (a HistDevice call failed); Ok otherwise.
  const Status& error() const { return error_; }

  Status init() {
    Status s = check_params(q_);
    if (!s.ok()) return s;
    if (device_factory_ != nullptr && !q_.gradient_rounding)
      return Status::Error(StatusCode::kUnsupported,
                           "CUDA GBDT training needs gradientRounding: true (device histograms add rows in any "
                           "order, which gives the CPU's sums only for rounded gradients)");
    n_ = train_.rows;
    p_ = train_.num_features;
    if (p_ < 1) return invalid("numFeatures must be >= 1");
    if (n_ == 0) return invalid("train.labels is empty: zero rows");
    if (n_ > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) return invalid("too many training rows");
    if (train_.features == nullptr || train_.labels == nullptr) return invalid("train.features / train.labels missing");
    s = obj_.check_labels("train.labels", train_.labels, n_);
    if (!s.ok()) return s;
    workers_ = std::make_unique<detail::WorkPool>(q_.threads);
    s = check_matrix("train.features", train_.features, n_, p_, workers_.get());
    if (!s.ok()) return s;
    std::vector<bool> is_cat(p_, false);
    for (std::size_t i = 0; i < q_.categorical_features.size(); ++i) {
      const int32_t f = q_.categorical_features[i];
      if (f < 0 || static_cast<std::size_t>(f) >= p_)
        return invalid("categoricalFeatures[" + std::to_string(i) + "] = " + std::to_string(f) +
                       " is not a feature index in [0, " + std::to_string(p_) + ")");
      is_cat[static_cast<std::size_t>(f)] = true;
    }
    if (valid_ != nullptr) {
      if (valid_->num_features != p_)
        return invalid("valid has " + std::to_string(valid_->num_features) + " features, train has " + std::to_string(p_));
      if (valid_->rows == 0) return invalid("valid.labels is empty: zero rows");
      if (valid_->features == nullptr || valid_->labels == nullptr) return invalid("valid.features / valid.labels missing");
      s = obj_.check_labels("valid.labels", valid_->labels, valid_->rows);
      if (!s.ok()) return s;
      s = check_matrix("valid.features", valid_->features, valid_->rows, p_, workers_.get());
      if (!s.ok()) return s;
    }
    s = detail::bin_features(train_.features, n_, p_, is_cat, q_.max_bins, q_.bin_sample_size, &binned_, q_.threads);
    if (!s.ok()) return s;
    total_slots_ = static_cast<std::size_t>(binned_.offsets[p_]);
    // A feature-major copy of the bins for partitions (histograms read the row-major one); it
    // costs another rows x features bytes.
    bins_by_feature_.resize(n_ * p_);
    // Blocks of rows (each block's bins stay in cache while its p column pieces are written).
    constexpr std::size_t kTransposeRows = 4096;
    workers_->run((n_ + kTransposeRows - 1) / kTransposeRows, [&](std::size_t bb, std::size_t be) {
      const uint8_t* src = binned_.bins.data();
      for (std::size_t blk = bb; blk < be; ++blk) {
        const std::size_t rb = blk * kTransposeRows, re = std::min(n_, rb + kTransposeRows);
        for (std::size_t f = 0; f < p_; ++f) {
          uint8_t* dst = bins_by_feature_.data() + f * n_;
          for (std::size_t r = rb; r < re; ++r) dst[r] = src[r * p_ + f];
        }
      }
    });
    if (device_factory_ != nullptr) {
      s = device_factory_(binned_, n_, p_, &device_);
      if (!s.ok()) return s;
      if (device_->min_hist_work() > 0) hist_work_ = device_->min_hist_work();
      if (device_->min_partition_rows() > 0) partition_rows_ = device_->min_partition_rows();
    }
    grad_.assign(n_, 0);
    hess_.assign(n_, 0);
    init_score_ = obj_.init_score(train_.labels, n_);
    raw_.assign(n_, init_score_);
    if (valid_ != nullptr) valid_raw_.assign(valid_->rows, init_score_);
    rows_.assign(n_, 0);
    scratch_.assign(n_, 0);
    if (obj_.caches_link()) link_.assign(n_, 0);
    forest_.init_score = init_score_;
    forest_.num_features = p_;
    return Status::Ok();
  }

  /// One more tree; false once training has stopped.
  bool step() {
    if (stopped_) return false;
    if (cancel_.cancelled()) {
      stopped_ = true;
      stop_ = StopReason::kAborted;
      return false;
    }
    workers_->run(n_, [&](std::size_t b, std::size_t e) {
      if (link_valid_) obj_.gradients_from_link(train_.labels, link_.data(), grad_.data(), hess_.data(), b, e);
      else obj_.gradients(train_.labels, raw_.data(), grad_.data(), hess_.data(), b, e);
    });
    exact_sums_ = false;
    if (q_.gradient_rounding) round_gradients();
    device_gradients_ = device_features_ = false;  // uploaded by the first device build of this iteration
    const std::size_t m = sample_rows();
    if (q_.colsample < 1) {
      const int32_t k = std::max<int32_t>(1, static_cast<int32_t>(std::round(q_.colsample * static_cast<double>(p_))));
      feats_ = detail::sample_without_replacement(rng_, static_cast<int32_t>(p_), k);
    } else {
      feats_.resize(p_);
      for (std::size_t f = 0; f < p_; ++f) feats_[f] = static_cast<int32_t>(f);
    }
    const Status grown = grow_tree(m);
    if (!grown.ok()) {
      error_ = grown;
      stopped_ = true;
      return false;
    }
    const int iteration = static_cast<int>(forest_.num_trees());
    const double train_loss = loss_of(train_.labels, raw_.data(), n_, obj_.caches_link() ? link_.data() : nullptr);
    link_valid_ = obj_.caches_link();  // raw_ changes next in the next tree, after the gradients
    train_loss_.push_back(train_loss);
    double valid_loss = std::numeric_limits<double>::quiet_NaN();
    if (valid_ != nullptr) {
      const ForestView v = forest_.view();
      const std::size_t t = forest_.num_trees() - 1;
      const double* leaf_value = v.leaf_value + v.tree_leaves[t];
      workers_->run(valid_->rows, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i)
          valid_raw_[i] = valid_raw_[i] + leaf_value[detail::leaf_index(v, t, valid_->features + i * p_)];
      });
      valid_loss = loss_of(valid_->labels, valid_raw_.data(), valid_->rows, nullptr);
      valid_loss_.push_back(valid_loss);
      if (valid_loss < best_loss_) {
        best_loss_ = valid_loss;
        best_iteration_ = iteration;
      }
    } else {
      best_iteration_ = iteration;
    }
    if (progress_) progress_(Progress{iteration, train_loss, valid_loss, best_iteration_});
    if (valid_ != nullptr && q_.early_stopping_rounds > 0 && iteration - best_iteration_ >= q_.early_stopping_rounds) {
      stopped_ = true;
      stop_ = StopReason::kEarlyStopping;
    } else if (iteration >= q_.num_iterations) {
      stopped_ = true;
      stop_ = StopReason::kCompleted;
    }
    return !stopped_;
  }

  void result(TrainResult* out) {
    const bool truncate = valid_ != nullptr && (q_.early_stopping_rounds > 0 || stop_ == StopReason::kAborted);
    const int trained = static_cast<int>(forest_.num_trees());
    const int kept = truncate ? best_iteration_ : trained;
    forest_.truncate(static_cast<std::size_t>(kept));
    out->forest = std::move(forest_);
    out->iterations = trained;
    out->best_iteration = kept;
    out->stop_reason = stop_;
    out->train_loss = std::move(train_loss_);
    out->valid_loss = std::move(valid_loss_);
  }

 private:
  std::size_t sample_rows() {
    if (q_.subsample >= 1) {
      for (std::size_t i = 0; i < n_; ++i) rows_[i] = static_cast<int32_t>(i);
      return n_;
    }
    std::size_t m = 0;
    for (std::size_t i = 0; i < n_; ++i)
      if (rng_() < q_.subsample) rows_[m++] = static_cast<int32_t>(i);
    if (m == 0) rows_[m++] = static_cast<int32_t>(std::floor(rng_() * static_cast<double>(n_)));
    return m;
  }

  /// gbdt.ts roundToGrid on grad_ (any sign) and hess_ (positive): the maxima by blocks (a
  /// maximum does not depend on the order), then every value rounded on the helpers.
  void round_gradients() {
    const std::size_t t = static_cast<std::size_t>(std::max(1, q_.threads));
    block_max_.assign(2 * t, 0.0);
    auto range = [&](std::size_t k) { return std::make_pair(n_ * k / t, n_ * (k + 1) / t); };
    auto maxima = [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        const auto [b, e] = range(k);
        double mg = 0, mh = 0;
        for (std::size_t i = b; i < e; ++i) {
          const double a = std::fabs(grad_[i]), c = std::fabs(hess_[i]);
          if (a > mg) mg = a;
          if (c > mh) mh = c;
        }
        block_max_[2 * k] = mg;
        block_max_[2 * k + 1] = mh;
      }
    };
    if (n_ >= kParallelRows) workers_->run(t, maxima);
    else maxima(0, t);
    double mg = 0, mh = 0;
    for (std::size_t k = 0; k < t; ++k) {
      if (block_max_[2 * k] > mg) mg = block_max_[2 * k];
      if (block_max_[2 * k + 1] > mh) mh = block_max_[2 * k + 1];
    }
    const double rg = detail::grid_anchor(mg, n_), rh = detail::grid_anchor(mh, n_);
    // A zero anchor for non-zero values (n * max too large or not finite) leaves them unrounded.
    exact_sums_ = (rg != 0 || mg == 0) && (rh != 0 || mh == 0);
    grad_quantum_ = detail::gradient_quantum(rg);
    hess_quantum_ = detail::gradient_quantum(rh);
    const double step = rh * 2.220446049250313e-16;  // rh * 2^-52, exact
    auto round = [&](std::size_t b, std::size_t e) {
      if (rg != 0)
        for (std::size_t i = b; i < e; ++i) grad_[i] = (rg + grad_[i]) - rg;
      if (rh != 0)
        for (std::size_t i = b; i < e; ++i) {
          const double r = (rh + hess_[i]) - rh;
          hess_[i] = r < step ? step : r;
        }
    };
    if (n_ >= kParallelRows) workers_->run(n_, round);
    else round(0, n_);
  }

  /// Stable partition of rows_[start, end) by rule on feature's bins: the rows going left first,
  /// each side in its old order; returns the first right position. Large leaves are split into
  /// one block per thread: each block counts its left rows, then writes both sides at offsets
  /// from those counts into scratch_, which is copied back (the same order as one pass).
  std::size_t partition(std::size_t start, std::size_t end, std::size_t feature, const BinRule& rule) {
    // The feature's column of bins_by_feature_: a leaf's rows ascend (stable partitions of an
    // ascending list), so the reads move forward through one column instead of hitting a new
    // cache line of the row-major matrix per row; the rule as a table, so no branch per row.
    const uint8_t* col = bins_by_feature_.data() + feature * n_;
    uint8_t table[256];
    rule.to_table(table);
    int32_t* rows = rows_.data();
    int32_t* scratch = scratch_.data();
    const std::size_t len = end - start;
    const std::size_t t = static_cast<std::size_t>(std::max(1, q_.threads));
    if (t == 1 || len < kParallelPartition) {
      std::size_t l = start, r = 0;
      for (std::size_t k = start; k < end; ++k) {
        const int32_t row = rows[k];
        const std::size_t g = table[col[row]];
        rows[l] = row;  // l <= k: rows[k] has been read
        scratch[r] = row;
        l += g;
        r += 1 - g;
      }
      std::copy(scratch, scratch + r, rows + l);
      return l;
    }
    goes_left_.resize(n_);
    uint8_t* left = goes_left_.data();
    block_left_.assign(t + 1, 0);
    auto range = [&](std::size_t k) { return std::make_pair(start + len * k / t, start + len * (k + 1) / t); };
    workers_->run(t, [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        const auto [b, e] = range(k);
        std::size_t c = 0;
        for (std::size_t i = b; i < e; ++i) {
          const uint8_t g = table[col[rows[i]]];
          left[i] = g;
          c += g;
        }
        block_left_[k + 1] = c;
      }
    });
    for (std::size_t k = 0; k < t; ++k) block_left_[k + 1] += block_left_[k];
    const std::size_t total_left = block_left_[t];
    workers_->run(t, [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        const auto [b, e] = range(k);
        std::size_t l = block_left_[k];
        std::size_t r = total_left + (b - start) - block_left_[k];
        for (std::size_t i = b; i < e; ++i) {
          const std::size_t g = left[i];
          scratch[g != 0 ? l : r] = rows[i];
          l += g;
          r += 1 - g;
        }
      }
    });
    workers_->run(len, [&](std::size_t b, std::size_t e) { std::copy(scratch + b, scratch + e, rows + start + b); });
    return start + total_left;
  }

  /// The objective's mean loss over n rows: the per-row terms on the helpers, then one sum in
  /// ascending row order (the reference's order); link (n values) receives the cached link.
  double loss_of(const double* y, const double* f, std::size_t n, double* link) {
    terms_.resize(n);
    double* term = terms_.data();
    auto work = [&](std::size_t b, std::size_t e) { obj_.loss_terms(y, f, term, link, b, e); };
    if (n >= kParallelRows) workers_->run(n, work);
    else work(0, n);
    double t = 0;
    for (std::size_t i = 0; i < n; ++i) t += term[i];
    return t / static_cast<double>(n);
  }

  Hist take_hist() {
    if (!pool_.empty()) {
      Hist h = std::move(pool_.back());
      pool_.pop_back();
      return h;
    }
    return std::make_unique<std::vector<double>>(3 * total_slots_, 0.0);
  }
  void give_hist(Hist h) {
    if (h) pool_.push_back(std::move(h));
  }

  /// Whether a histogram of len rows goes to the HistDevice in this iteration.
  bool device_hist(std::size_t len) const {
    return device_ && exact_sums_ && grad_quantum_ != 0 && hess_quantum_ != 0 && len * feats_.size() >= hist_work_;
  }

  /// Makes rows_[leaf.start, leaf.end) current on the CPU (copied back from the device's rows).
  Status host_rows(Leaf& leaf) {
    if (leaf.on_host) return Status::Ok();
    const Status s = device_->get_rows(leaf.start, leaf.end, rows_.data() + leaf.start);
    if (!s.ok()) return s;
    leaf.on_host = true;
    return Status::Ok();
  }

  /// Histogram of the leaf's rows_[start, end) over the sampled features: per slot (G, H, count),
  /// rows added in ascending position order (threads take blocks of features, not of rows), or
  /// with exact sums (rounded gradients) by row blocks, or on the HistDevice (from its own copy
  /// of the rows when it has them).
  Status build_hist(std::vector<double>& hist, Leaf& leaf) {
    const std::size_t start = leaf.start, end = leaf.end;
    double* hd = hist.data();
    if (device_hist(end - start)) {
      Status s;
      if (!device_gradients_) {
        s = device_->set_gradients(grad_.data(), hess_.data(), grad_quantum_, hess_quantum_);
        if (!s.ok()) return s;
        device_gradients_ = true;
      }
      if (!device_features_) {
        s = device_->set_features(feats_.data(), feats_.size());
        if (!s.ok()) return s;
        device_features_ = true;
      }
      if (leaf.on_device) return device_->build_at(start, end, hd);
      return device_->build(rows_.data() + start, end - start, hd);
    }
    {
      const Status s = host_rows(leaf);
      if (!s.ok()) return s;
    }
    const uint8_t* bins = binned_.bins.data();
    const int32_t* off = binned_.offsets.data();
    const int32_t* feats = feats_.data();
    const int32_t* rows = rows_.data();
    const double* grad = grad_.data();
    const double* hess = hess_.data();
    const std::size_t p = p_;
    const std::size_t nf = feats_.size();
    // Slot base (3 * offset) of each sampled feature, so the inner loop is one load per value.
    slot_base_.resize(nf);
    for (std::size_t j = 0; j < nf; ++j) slot_base_[j] = 3 * static_cast<uint32_t>(off[feats[j]]);
    const uint32_t* base = slot_base_.data();
    const bool all = nf == p;  // every feature: feats[j] == j
    // Rows [start, end) into histogram hd over sampled features [fb, fe), zeroed first.
    auto work = [&](double* hd, std::size_t start, std::size_t end, std::size_t fb, std::size_t fe) {
      for (std::size_t j = fb; j < fe; ++j) {
        const int32_t f = feats[j];
        std::fill(hd + 3 * off[f], hd + 3 * off[f + 1], 0.0);
      }
      for (std::size_t k = start; k < end; ++k) {
        if (k + kPrefetch < end) {  // rows of a leaf are scattered over the bin matrix: fetch ahead
          const std::size_t ahead = static_cast<std::size_t>(rows[k + kPrefetch]);
          __builtin_prefetch(bins + ahead * p + fb);
          __builtin_prefetch(grad + ahead);
          __builtin_prefetch(hess + ahead);
        }
        const std::size_t r = static_cast<std::size_t>(rows[k]);
        const double g = grad[r], h = hess[r];
        const uint8_t* b = bins + r * p;
        if (all) {
          for (std::size_t j = fb; j < fe; ++j) {
            double* s = hd + base[j] + 3 * static_cast<uint32_t>(b[j]);
            s[0] += g;
            s[1] += h;
            s[2] += 1;
          }
        } else {
          for (std::size_t j = fb; j < fe; ++j) {
            double* s = hd + base[j] + 3 * static_cast<uint32_t>(b[feats[j]]);
            s[0] += g;
            s[1] += h;
            s[2] += 1;
          }
        }
      }
    };
    const std::size_t t = static_cast<std::size_t>(std::max(1, q_.threads));
    if (t == 1 || (end - start) * nf < kParallelHistWork) {
      work(hd, start, end, 0, nf);
    } else if (!exact_sums_ || end - start < kRowBlockHistRows) {
      // Unrounded sums must add rows in ascending order, and a small leaf does not repay the
      // zeroing and merging of per-thread histograms: threads take blocks of features.
      workers_->run(nf, [&](std::size_t fb, std::size_t fe) { work(hd, start, end, fb, fe); });
    } else {
      // Rounded gradients sum exactly in any order: each thread takes a block of rows into its own
      // histogram (the first into hist itself), then the partials are added slot by slot.
      partials_.resize(t - 1);
      for (auto& h : partials_) h.resize(3 * total_slots_);
      const std::size_t len = end - start;
      workers_->run(t, [&](std::size_t kb, std::size_t ke) {
        for (std::size_t k = kb; k < ke; ++k)
          work(k == 0 ? hd : partials_[k - 1].data(), start + len * k / t, start + len * (k + 1) / t, 0, nf);
      });
      workers_->run(nf, [&](std::size_t fb, std::size_t fe) {
        for (std::size_t j = fb; j < fe; ++j) {
          const int32_t f = feats[j];
          for (const auto& h : partials_)
            for (std::size_t sl = 3 * static_cast<std::size_t>(off[f]); sl < 3 * static_cast<std::size_t>(off[f + 1]); ++sl)
              hd[sl] += h[sl];
        }
      });
    }
    return Status::Ok();
  }

  /// parent -= small over the sampled features' slots.
  void subtract_hist(std::vector<double>& parent, const std::vector<double>& small) {
    const int32_t* off = binned_.offsets.data();
    for (const int32_t f : feats_)
      for (std::size_t s = 3 * static_cast<std::size_t>(off[f]); s < 3 * static_cast<std::size_t>(off[f + 1]); ++s)
        parent[s] = parent[s] - small[s];
  }

  /// One block of features' split search: its scratch and its best candidate.
  struct SplitScan {
    std::vector<int32_t> order, reversed, best_order;
    Split best;
    bool found = false, best_onehot = false;
  };

  bool find_best_split(const Leaf& leaf, Split* out) {
    if (q_.max_depth > 0 && leaf.depth >= q_.max_depth) return false;
    if (leaf.c < 2.0 * q_.min_data_in_leaf) return false;
    // Features are scanned by blocks (on the helpers when there are enough of them); each block
    // keeps its first best candidate, and the blocks are merged in feature order with the same
    // strict comparison, so the winner is the serial scan's: the first maximum.
    const std::size_t nf = feats_.size();
    const std::size_t t = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, q_.threads)), nf);
    const std::size_t blocks = nf >= kParallelSplitFeatures && t > 1 ? t : 1;
    if (scans_.size() < blocks) scans_.resize(blocks);
    auto range = [&](std::size_t k) { return std::make_pair(nf * k / blocks, nf * (k + 1) / blocks); };
    auto run = [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        const auto [b, e] = range(k);
        scan_features(leaf, b, e, &scans_[k]);
      }
    };
    if (blocks > 1) workers_->run(blocks, run);
    else run(0, 1);
    SplitScan* winner = nullptr;
    for (std::size_t k = 0; k < blocks; ++k)
      if (scans_[k].found && (winner == nullptr || scans_[k].best.gain > winner->best.gain)) winner = &scans_[k];
    if (winner == nullptr) return false;
    Split best = std::move(winner->best);
    best.cat_bins.clear();
    if (best.categorical) {
      const auto first = winner->best_order.begin() + best.threshold_bin;
      if (winner->best_onehot) best.cat_bins.assign(first, first + 1);
      else best.cat_bins.assign(winner->best_order.begin(), first + 1);
    }
    *out = std::move(best);
    return true;
  }

  /// The split search over sampled features feats_[fb, fe) of a leaf into sc (its best candidate
  /// above min_split_gain, the first one on ties).
  void scan_features(const Leaf& leaf, std::size_t fb, std::size_t fe, SplitScan* sc) {
    std::vector<int32_t>& order_ = sc->order;
    std::vector<int32_t>& reversed_ = sc->reversed;
    sc->found = false;
    sc->best_onehot = false;
    const double* hist = leaf.hist->data();
    const double lambda = q_.lambda_l2;
    const double min_data = q_.min_data_in_leaf;
    const double min_hess = q_.min_sum_hessian_in_leaf;
    const double min_group = q_.min_data_per_group;
    const double G = leaf.g, H = leaf.h, C = leaf.c;
    const double parent_score = (G * G) / (H + lambda);
    const double cat_lambda = lambda + q_.cat_l2;
    const double cat_parent_score = (G * G) / (H + cat_lambda);
    bool& found = sc->found;
    double best_gain = q_.min_split_gain;
    Split& best = sc->best;
    bool& best_onehot = sc->best_onehot;
    for (std::size_t fi = fb; fi < fe; ++fi) {
      const int32_t f = feats_[fi];
      const FeatureBins& mapper = binned_.mappers[static_cast<std::size_t>(f)];
      const std::size_t off = static_cast<std::size_t>(binned_.offsets[f]);
      const int nb = mapper.num_value_bins;
      const std::size_t ms = 3 * (off + static_cast<std::size_t>(nb));
      const double gm = hist[ms], hm = hist[ms + 1], cm = hist[ms + 2];
      const bool cat = mapper.categorical;
      // Scans: order_ (one-vs-rest entries, or ascending prefixes) and reversed_ (descending prefixes).
      int scans = 1;
      bool onehot = false;
      std::size_t max_steps = static_cast<std::size_t>(nb);
      double lam = lambda, parent = parent_score;
      if (cat) {
        const int own = mapper.has_other ? nb - 1 : nb;
        order_.clear();
        for (int b = 0; b < own; ++b)
          if (hist[3 * (off + b) + 2] > 0) order_.push_back(b);
        if (order_.size() <= static_cast<std::size_t>(q_.max_cat_to_onehot)) {
          onehot = true;
        } else {
          auto small = [&](int32_t b) { return hist[3 * (off + b) + 2] < min_group; };
          order_.erase(std::remove_if(order_.begin(), order_.end(), small), order_.end());
          const double smooth = q_.cat_smooth;
          auto ratio = [&](int32_t b) { return hist[3 * (off + b)] / (hist[3 * (off + b) + 1] + smooth); };
          std::sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) {
            const double ra = ratio(a), rb = ratio(b);
            if (ra < rb) return true;
            if (ra > rb) return false;
            return a < b;
          });
          reversed_.assign(order_.rbegin(), order_.rend());
          scans = 2;
          max_steps = std::min(static_cast<std::size_t>(q_.max_cat_threshold), (order_.size() + 1) / 2);
          lam = cat_lambda;
          parent = cat_parent_score;
        }
      }
      int improved_scan = -1;
      for (int dir = 0; dir < 2; ++dir) {
        if (dir == 1 && cm == 0) break;
        const double g0 = dir == 1 ? gm : 0, h0 = dir == 1 ? hm : 0, c0 = dir == 1 ? cm : 0;
        for (int scan = 0; scan < scans; ++scan) {
          const std::vector<int32_t>& order = scan == 0 ? order_ : reversed_;
          const std::size_t steps = std::min(cat ? order.size() : static_cast<std::size_t>(nb), max_steps);
          double gl = g0, hl = h0, cl = c0;
          for (std::size_t t = 0; t < steps; ++t) {
            const std::size_t b = cat ? static_cast<std::size_t>(order[t]) : t;
            const std::size_t s = 3 * (off + b);
            if (onehot) {
              gl = g0 + hist[s];
              hl = h0 + hist[s + 1];
              cl = c0 + hist[s + 2];
            } else {
              gl += hist[s];
              hl += hist[s + 1];
              cl += hist[s + 2];
            }
            const double cr = C - cl;
            if (cr < min_data) {
              if (onehot) continue;  // single categories: a later one may be smaller
              break;
            }
            if (cl < min_data) continue;
            const double hr = H - hl;
            if (hl < min_hess || hr < min_hess) continue;
            const double gr = G - gl;
            const double gain = (gl * gl) / (hl + lam) + (gr * gr) / (hr + lam) - parent;
            if (gain > best_gain) {
              best_gain = gain;
              found = true;
              improved_scan = scan;
              best.gain = gain;
              best.feature = f;
              best.threshold_bin = static_cast<int>(t);
              best.categorical = cat;
              best.default_left = dir == 1 || (cm == 0 && cl >= cr);
              best.gl = gl;
              best.hl = hl;
              best.cl = cl;
            }
          }
        }
      }
      if (improved_scan >= 0 && cat) {
        sc->best_order = improved_scan == 0 ? order_ : reversed_;
        best_onehot = onehot;
      }
    }
  }


  Status grow_tree(std::size_t m) {
    double g = 0, h = 0;
    const std::size_t t = static_cast<std::size_t>(std::max(1, q_.threads));
    if (exact_sums_ && t > 1 && m >= kParallelRows) {
      // Rounded gradients: every partial sum is exact, so blocks summed on the helpers and then
      // added give the in-order sums bit for bit.
      block_max_.assign(2 * t, 0.0);
      workers_->run(t, [&](std::size_t kb, std::size_t ke) {
        for (std::size_t k = kb; k < ke; ++k) {
          double bg = 0, bh = 0;
          for (std::size_t i = m * k / t; i < m * (k + 1) / t; ++i) {
            bg += grad_[static_cast<std::size_t>(rows_[i])];
            bh += hess_[static_cast<std::size_t>(rows_[i])];
          }
          block_max_[2 * k] = bg;
          block_max_[2 * k + 1] = bh;
        }
      });
      for (std::size_t k = 0; k < t; ++k) {
        g += block_max_[2 * k];
        h += block_max_[2 * k + 1];
      }
    } else {
      for (std::size_t k = 0; k < m; ++k) {
        g += grad_[static_cast<std::size_t>(rows_[k])];
        h += hess_[static_cast<std::size_t>(rows_[k])];
      }
    }
    std::vector<Leaf> leaves;
    leaves.reserve(static_cast<std::size_t>(q_.max_leaves));
    {
      Leaf root;
      root.start = 0;
      root.end = m;
      root.g = g;
      root.h = h;
      root.c = static_cast<double>(m);
      root.hist = take_hist();
      if (device_ && device_->keeps_rows() && device_hist(m)) {
        // The tree's rows go to the device once; its leaves are partitioned there while large.
        const Status s = device_->set_rows(rows_.data(), m);
        if (!s.ok()) return s;
        root.on_device = true;
      }
      const Status s = build_hist(*root.hist, root);
      if (!s.ok()) return s;
      root.has_best = find_best_split(root, &root.best);
      leaves.push_back(std::move(root));
    }
    rules_.clear();
    std::vector<int32_t> split_feature, left_child, right_child;
    std::vector<double> threshold, split_gain;
    std::vector<uint8_t> default_left, categorical;
    std::vector<std::vector<int32_t>> cat_left;
    const uint8_t* bins = binned_.bins.data();
    while (leaves.size() < static_cast<std::size_t>(q_.max_leaves)) {
      int j = -1;
      for (std::size_t i = 0; i < leaves.size(); ++i)
        if (leaves[i].has_best && (j < 0 || leaves[i].best.gain > leaves[static_cast<std::size_t>(j)].best.gain))
          j = static_cast<int>(i);
      if (j < 0) break;
      Leaf& leaf = leaves[static_cast<std::size_t>(j)];
      const Split split = std::move(leaf.best);
      const FeatureBins& mapper = binned_.mappers[static_cast<std::size_t>(split.feature)];
      const int node = static_cast<int>(split_feature.size());
      BinRule rule;
      rule.feature = split.feature;
      rule.threshold_bin = split.threshold_bin;
      rule.default_left = split.default_left;
      rule.missing_bin = mapper.num_value_bins;
      std::vector<int32_t> codes;
      if (split.categorical) {
        rule.has_mask = true;
        rule.mask.assign(static_cast<std::size_t>(mapper.num_value_bins) + 1, 0);
        for (const int32_t b : split.cat_bins) {
          rule.mask[static_cast<std::size_t>(b)] = 1;
          codes.push_back(mapper.categories[static_cast<std::size_t>(b)]);
        }
        std::sort(codes.begin(), codes.end());
      }
      split_feature.push_back(split.feature);
      threshold.push_back(split.categorical ? std::numeric_limits<double>::quiet_NaN()
                          : static_cast<std::size_t>(split.threshold_bin) < mapper.upper.size()
                              ? mapper.upper[static_cast<std::size_t>(split.threshold_bin)]
                              : kInf);
      categorical.push_back(split.categorical ? 1 : 0);
      cat_left.push_back(std::move(codes));
      default_left.push_back(split.default_left ? 1 : 0);
      split_gain.push_back(split.gain);
      const int right_index = static_cast<int>(leaves.size());
      left_child.push_back(~j);
      right_child.push_back(~right_index);
      if (leaf.parent >= 0) {
        if (leaf.is_left) left_child[static_cast<std::size_t>(leaf.parent)] = node;
        else right_child[static_cast<std::size_t>(leaf.parent)] = node;
      }
      // Stable partition of the leaf's rows: on the device when they are there and the leaf is
      // large (the left count is the histogram's, checked there), else on the CPU.
      std::size_t l;
      const bool on_device = leaf.on_device && leaf.end - leaf.start >= partition_rows_;
      if (on_device) {
        uint8_t table[256];
        rule.to_table(table);
        const std::size_t expected = static_cast<std::size_t>(split.cl);
        const Status s = device_->partition(leaf.start, leaf.end, split.feature, table, expected);
        if (!s.ok()) return s;
        l = leaf.start + expected;
      } else {
        const Status s = host_rows(leaf);
        if (!s.ok()) return s;
        l = partition(leaf.start, leaf.end, static_cast<std::size_t>(split.feature), rule);
      }
      rules_.push_back(std::move(rule));
      Leaf left, right;
      left.start = leaf.start;
      left.end = l;
      left.depth = leaf.depth + 1;
      left.g = split.gl;
      left.h = split.hl;
      left.c = split.cl;
      left.parent = node;
      left.is_left = true;
      right.start = l;
      right.end = leaf.end;
      right.depth = leaf.depth + 1;
      right.g = leaf.g - split.gl;
      right.h = leaf.h - split.hl;
      right.c = leaf.c - split.cl;
      right.parent = node;
      right.is_left = false;
      left.on_host = right.on_host = !on_device;
      left.on_device = right.on_device = on_device;
      Hist parent_hist = std::move(leaf.hist);
      Leaf& small = left.c <= right.c ? left : right;
      Leaf& large = &small == &left ? right : left;
      small.hist = take_hist();
      const Status s = build_hist(*small.hist, small);
      if (!s.ok()) return s;
      subtract_hist(*parent_hist, *small.hist);
      large.hist = std::move(parent_hist);
      leaves[static_cast<std::size_t>(j)] = std::move(left);
      leaves.push_back(std::move(right));
      for (Leaf* child : {&leaves[static_cast<std::size_t>(j)], &leaves.back()}) {
        child->has_best = find_best_split(*child, &child->best);
        if (!child->has_best) give_hist(std::move(child->hist));
      }
    }
    // The leaf values (a re-fit) and the scores (all rows sampled) read the leaves' rows.
    const bool need_rows = obj_.refits() || m == n_;
    for (Leaf& leaf : leaves) {
      give_hist(std::move(leaf.hist));
      if (!need_rows) continue;
      const Status s = host_rows(leaf);
      if (!s.ok()) return s;
    }
    const std::size_t num_leaves = leaves.size();
    std::vector<double> leaf_value(num_leaves), leaf_count(num_leaves);
    for (std::size_t i = 0; i < num_leaves; ++i) {
      const Leaf& leaf = leaves[i];
      const double v = obj_.refits()
                           ? obj_.refit_leaf(train_.labels, raw_.data(), rows_.data(), leaf.start, leaf.end, refit_scratch_)
                           : -leaf.g / (leaf.h + q_.lambda_l2);
      leaf_value[i] = q_.learning_rate * v;
      leaf_count[i] = leaf.c;
    }
    const std::size_t nodes = split_feature.size();
    std::vector<double> internal_value(nodes), internal_count(nodes);
    for (std::size_t i = nodes; i-- > 0;) {
      const int32_t a = left_child[i], b = right_child[i];
      const double va = a < 0 ? leaf_value[static_cast<std::size_t>(~a)] : internal_value[static_cast<std::size_t>(a)];
      const double ca = a < 0 ? leaf_count[static_cast<std::size_t>(~a)] : internal_count[static_cast<std::size_t>(a)];
      const double vb = b < 0 ? leaf_value[static_cast<std::size_t>(~b)] : internal_value[static_cast<std::size_t>(b)];
      const double cb = b < 0 ? leaf_count[static_cast<std::size_t>(~b)] : internal_count[static_cast<std::size_t>(b)];
      internal_count[i] = ca + cb;
      internal_value[i] = (ca * va + cb * vb) / (ca + cb);
    }
    // Training scores: every row gets its leaf's value (rows outside the sample are routed by bins).
    if (m == n_) {
      // Positions [0, m) of rows_ are the leaves' disjoint ranges: blocks of positions, each row
      // written once.
      auto update = [&](std::size_t b, std::size_t e) {
        for (std::size_t i = 0; i < num_leaves; ++i) {
          const std::size_t lo = std::max(b, leaves[i].start), hi = std::min(e, leaves[i].end);
          for (std::size_t k = lo; k < hi; ++k) {
            const std::size_t row = static_cast<std::size_t>(rows_[k]);
            raw_[row] = raw_[row] + leaf_value[i];
          }
        }
      };
      if (m >= kParallelRows) workers_->run(m, update);
      else update(0, m);
    } else {
      workers_->run(n_, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
          std::size_t leaf = 0;
          if (num_leaves > 1) {
            std::size_t nd = 0;
            for (;;) {
              const BinRule& rule = rules_[nd];
              const int32_t next = rule.left(bins[i * p_ + static_cast<std::size_t>(rule.feature)]) ? left_child[nd]
                                                                                                     : right_child[nd];
              if (next < 0) {
                leaf = static_cast<std::size_t>(~next);
                break;
              }
              nd = static_cast<std::size_t>(next);
            }
          }
          raw_[i] = raw_[i] + leaf_value[leaf];
        }
      });
    }
    // Append the tree to the forest.
    Forest& F = forest_;
    F.tree_nodes.push_back(F.tree_nodes.back() + static_cast<int32_t>(nodes));
    F.tree_leaves.push_back(F.tree_leaves.back() + static_cast<int32_t>(num_leaves));
    F.split_feature.insert(F.split_feature.end(), split_feature.begin(), split_feature.end());
    F.left_child.insert(F.left_child.end(), left_child.begin(), left_child.end());
    F.right_child.insert(F.right_child.end(), right_child.begin(), right_child.end());
    F.threshold.insert(F.threshold.end(), threshold.begin(), threshold.end());
    F.split_gain.insert(F.split_gain.end(), split_gain.begin(), split_gain.end());
    F.internal_value.insert(F.internal_value.end(), internal_value.begin(), internal_value.end());
    F.internal_count.insert(F.internal_count.end(), internal_count.begin(), internal_count.end());
    F.default_left.insert(F.default_left.end(), default_left.begin(), default_left.end());
    F.categorical.insert(F.categorical.end(), categorical.begin(), categorical.end());
    for (const auto& codes : cat_left) {
      F.cat_values.insert(F.cat_values.end(), codes.begin(), codes.end());
      F.cat_offsets.push_back(static_cast<int32_t>(F.cat_values.size()));
    }
    F.leaf_value.insert(F.leaf_value.end(), leaf_value.begin(), leaf_value.end());
    F.leaf_count.insert(F.leaf_count.end(), leaf_count.begin(), leaf_count.end());
    return Status::Ok();
  }

  const Dataset train_;
  const Dataset* valid_;
  const GbdtParams& q_;
  CancelToken cancel_;
  const std::function<void(const Progress&)>& progress_;
  ObjectiveFns obj_;
  Mulberry32 rng_;
  std::size_t n_ = 0, p_ = 0, total_slots_ = 0;
  BinnedMatrix binned_;
  std::vector<double> grad_, hess_, raw_, valid_raw_, refit_scratch_, terms_;
  std::vector<double> link_;  // the objective's link of raw_ (caches_link), valid when link_valid_
  bool link_valid_ = false;
  std::vector<int32_t> rows_, scratch_, feats_;
  std::vector<SplitScan> scans_;  // split search: one per block of features
  std::vector<uint32_t> slot_base_;
  std::vector<std::vector<double>> partials_;  // row-parallel histograms of threads 1.. (rounded gradients)
  std::vector<double> block_max_;  // gradient rounding: per-block maxima; root sums: per-block sums
  std::vector<uint8_t> goes_left_;        // partition: each position's side (threaded path)
  std::vector<uint8_t> bins_by_feature_;  // binned_.bins feature-major (p x n), for partitions
  std::vector<std::size_t> block_left_;   // partition: left rows before each block
  std::vector<Hist> pool_;
  std::unique_ptr<detail::WorkPool> workers_;  // helper threads of this run (threads - 1)
  std::vector<BinRule> rules_;
  detail::HistDeviceFactory device_factory_ = nullptr;
  std::unique_ptr<detail::HistDevice> device_;  // histograms of large leaves (params.device kCuda)
  std::size_t hist_work_ = kDeviceHistWork;         // the device's min_hist_work(), else the default
  std::size_t partition_rows_ = kDevicePartitionRows;  // the device's min_partition_rows(), else the default
  bool device_gradients_ = false, device_features_ = false;  // this iteration's already on the device
  bool exact_sums_ = false;  // this iteration's gradients are rounded: any order of sums is exact
  double grad_quantum_ = 0, hess_quantum_ = 0;  // their grid steps (detail::gradient_quantum)
  Status error_;
  double init_score_ = 0;
  Forest forest_;
  std::vector<double> train_loss_, valid_loss_;
  double best_loss_ = kInf;
  int best_iteration_ = 0;
  bool stopped_ = false;
  StopReason stop_ = StopReason::kCompleted;
};

}  // namespace

namespace detail {

Status gbdt_train_with(const Dataset& train, const Dataset* valid, const GbdtParams& params, TrainResult* out,
                       CancelToken cancel, const std::function<void(const Progress&)>& progress,
                       HistDeviceFactory factory) {
  if (out == nullptr) return invalid("out is null");
  Trainer trainer(train, valid, params, cancel, progress, factory);
  Status s = trainer.init();
  if (!s.ok()) return s;
  while (trainer.step()) {
  }
  if (!trainer.error().ok()) return trainer.error();
  trainer.result(out);
  return Status::Ok();
}

}  // namespace detail

Status gbdt_train_cpu(const Dataset& train, const Dataset* valid, const GbdtParams& params, TrainResult* out,
                      CancelToken cancel, const std::function<void(const Progress&)>& progress) {
  const detail::HistDeviceFactory factory = params.device == TrainDevice::kCuda ? detail::make_cuda_hist : nullptr;
  return detail::gbdt_train_with(train, valid, params, out, cancel, progress, factory);
}

}  // namespace waybill::ml
