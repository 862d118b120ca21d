// CUDA GBDT prediction (native/src/cuda/ml/): parity with gbdt_predict_cpu.
//
// `waybill_tests ml` runs the device code compiled for the host (forest_eval.cuh: the packed
// forest, the walk with a column stride, the port of V8's exp) against gbdt_predict_cpu and
// ml::js_exp, so its logic is checked on machines without a GPU. `waybill_tests cuda` runs
// gbdt_predict_cuda on the device against gbdt_predict_cpu: bit-identical, raw and transformed,
// for random forests with numeric and categorical splits, both default directions, single-leaf
// trees, missing values, ties with thresholds and category codes that no node lists.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")  // as the core and nvcc --fmad=false: no fused multiply-add
#endif
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../src/cuda/ml/forest_eval.cuh"
#include "test_util.h"
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
        for (int32_t c = 0; c < 12; ++c)
          if (u(rng) < 0.4) f.cat_values.push_back(c);
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

/// rows x p features: codes 0..12 (12 is in no node's set) in the categorical columns, a few
/// non-integer and negative values there too; grid values or uniform noise elsewhere; 10 % NaN.
std::vector<double> random_rows(std::size_t rows, std::size_t p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(rows * p);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t f = 0; f < p; ++f) {
      double v;
      if (f < kCatFeatures) {
        const double w = u(rng);
        v = w < 0.02 ? 2.5 : w < 0.04 ? -1 : std::floor(u(rng) * 13);
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

}  // namespace

int run_ml_cuda_host_suite() {
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
    std::vector<double> x;
    const ml::Forest f = trained_forest(20000, &x);
    const std::size_t p = 6, rows = x.size() / p;
    for (const bool transform : {false, true}) {
      const RowRange all{0, rows};
      const std::vector<double> ref = cpu_predict(f, ml::Objective::kPoisson, f.num_trees(), x, rows, transform, all);
      Status s;
      const std::vector<double> got =
          cuda_predict(f, ml::Objective::kPoisson, f.num_trees(), x, rows, transform, all, &s);
      CHECK(s.ok() && first_difference(got, ref) < 0, "trained model: %s, row %ld differs", s.message.c_str(),
            first_difference(got, ref));
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
