// GBDT (CPU): hand-checked trees on tiny sets, the mulberry32 stream and V8's exp / log, thread
// invariance, cancellation and bad input. The parity against the TypeScript reference on
// synthetic data (every objective, missing values, categorical columns, subsampling) is in
// test/kernels/ml-parity.test.ts.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "../src/cpu/ml/internal.h"
#include "test_util.h"
#include "waybill/ml.h"

using namespace waybill;

namespace {

bool bit_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

ml::GbdtParams tiny_params() {
  ml::GbdtParams q;
  q.num_iterations = 1;
  q.learning_rate = 1;
  q.max_leaves = 2;
  q.min_data_in_leaf = 1;
  return q;
}

double predict_one(const ml::Forest& f, const std::vector<double>& row, bool transform = false,
                   ml::Objective o = ml::Objective::kL2) {
  double out = 0;
  const Status s = ml::gbdt_predict_cpu(f.view(), o, f.num_trees(), row.data(), 1, transform, &out, RowRange{0, 1});
  return s.ok() ? out : NAN;
}

/// A seeded regression set: p features (the last one categorical with 6 codes), NaN sprinkled in.
void make_set(std::size_t n, std::size_t p, std::vector<double>& x, std::vector<double>& y) {
  ml::detail::Mulberry32 rng(123);
  x.assign(n * p, 0);
  y.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f + 1 < p; ++f) x[i * p + f] = rng() * 4 - 2;
    x[i * p + p - 1] = std::floor(rng() * 6);
    y[i] = std::sin(3 * x[i * p]) + x[i * p + 1] * x[i * p + 2] + 0.5 * x[i * p + p - 1] + 0.3 * rng();
    for (std::size_t f = 0; f < p; ++f)
      if (rng() < 0.05) x[i * p + f] = NAN;
  }
}

}  // namespace

int run_ml_suite() {
  // mulberry32 and the partial Fisher-Yates: the values src/kernels/ml/random.ts gives.
  {
    ml::detail::Mulberry32 r(42);
    const double a = r() * 4294967296.0, b = r() * 4294967296.0, c = r() * 4294967296.0;
    CHECK(a == 2581720956.0 && b == 1925393290.0 && c == 3661312704.0, "mulberry32(42) %.0f %.0f %.0f", a, b, c);
    ml::detail::Mulberry32 r7(7);
    const auto s = ml::detail::sample_without_replacement(r7, 10, 4);
    CHECK(s == (std::vector<int32_t>{0, 1, 7, 9}), "sampleWithoutReplacement(7, 10, 4) %d %d %d %d", s[0], s[1], s[2], s[3]);
  }
  // js_sort on long arrays (the radix path) against the comparison sort with -0 before +0, bit for
  // bit: both zeros, duplicates, infinities, subnormals, wide magnitudes; and lengths around the
  // switch-over.
  {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    const double specials[] = {0.0, -0.0, INFINITY, -INFINITY, 5e-324, -5e-324, 1e308, -1e308, 1.0, -1.0};
    for (const std::size_t n : {std::size_t{4095}, std::size_t{4096}, std::size_t{70001}}) {
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        const double w = u(rng);
        v[i] = i % 7 == 0 ? specials[i % 10] : i % 5 == 0 ? std::round(w * 20) : w * std::pow(10.0, 40 * u(rng));
      }
      std::vector<double> ref = v, got = v;
      std::stable_sort(ref.begin(), ref.end(), ml::detail::js_less);
      ml::detail::js_sort(got.data(), got.data() + n);
      CHECK(std::memcmp(ref.data(), got.data(), n * sizeof(double)) == 0, "js_sort of %zu values differs from the comparison sort", n);
      std::vector<double> radix = v;
      ml::detail::js_sort_radix(radix.data(), radix.data() + n);
      CHECK(std::memcmp(ref.data(), radix.data(), n * sizeof(double)) == 0, "js_sort_radix of %zu values differs", n);
    }
  }
  // bin_features: the blocked, interleaved numeric binning and the threaded bounds give the bins
  // of the definition (the smallest b with v <= upper[b]; NaN to the missing bin), 1 and 3 threads.
  {
    const std::size_t rows = 3001, p = 7;
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> x(rows * p);
    for (std::size_t i = 0; i < rows * p; ++i) {
      const std::size_t f = i % p;
      x[i] = u(rng) < 0.07 ? NAN : f == 1 ? std::floor(u(rng) * 30) : f == 2 ? std::round(u(rng) * 4) : u(rng) * 10 - 5;
    }
    const std::vector<bool> cat = {false, true, false, false, false, false, false};
    ml::detail::BinnedMatrix one, three;
    CHECK(ml::detail::bin_features(x.data(), rows, p, cat, 63, 1000, &one, 1).ok(), "bin_features, 1 thread");
    CHECK(ml::detail::bin_features(x.data(), rows, p, cat, 63, 1000, &three, 3).ok(), "bin_features, 3 threads");
    CHECK(one.bins == three.bins && one.offsets == three.offsets, "bin_features: 1 and 3 threads differ");
    std::size_t bad = 0;
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t f = 0; f < p; ++f) {
        if (cat[f]) continue;
        const auto& m = one.mappers[f];
        const double v = x[r * p + f];
        int want = m.num_value_bins;  // missing
        if (!std::isnan(v)) {
          want = static_cast<int>(m.upper.size());
          for (std::size_t b = 0; b < m.upper.size(); ++b)
            if (v <= m.upper[b]) {
              want = static_cast<int>(b);
              break;
            }
        }
        if (one.bins[r * p + f] != want) ++bad;
      }
    CHECK(bad == 0, "bin_features: %zu numeric bins differ from the definition", bad);
    CHECK(one.mappers[0].upper.size() == 62 && one.mappers[2].upper.size() == 4, "bounds: %zu and %zu",
          one.mappers[0].upper.size(), one.mappers[2].upper.size());
    x[1500 * p + 1] = 2.5;
    x[2000 * p + 1] = -3;
    ml::detail::BinnedMatrix err;
    const Status s = ml::detail::bin_features(x.data(), rows, p, cat, 63, 1000, &err, 3);
    CHECK(!s.ok() && s.message.find("row 1500") != std::string::npos, "the first bad category code: %s",
          s.message.c_str());
  }
  // V8's exp / log: exact at the special points, and values where glibc differs in the last bit.
  {
    CHECK(ml::js_exp(1) == 2.718281828459045 && ml::js_exp(0) == 1 && ml::js_exp(-800) == 0, "js_exp specials");
    CHECK(std::isinf(ml::js_exp(710)) && std::isnan(ml::js_exp(NAN)), "js_exp overflow / NaN");
    CHECK(ml::js_log(1) == 0 && std::isinf(ml::js_log(0)) && std::isnan(ml::js_log(-1)), "js_log specials");
    CHECK(ml::js_exp(0.7) == 2.0137527074704766, "Math.exp(0.7) %.17g", ml::js_exp(0.7));
    CHECK(ml::js_log(10) == 2.302585092994046, "Math.log(10) %.17g", ml::js_log(10));
  }
  // The four-lane js_log_inplace / js_exp_inplace against js_log / js_exp, bit for bit: probabilities (what the logistic
  // loss takes), values near 1 and powers of two (the scalar-only branches), wide magnitudes and
  // the specials (0, negative, subnormal, infinity, NaN) mixed into the groups of four.
  {
    std::vector<double> v;
    ml::detail::Mulberry32 r(11);
    for (int i = 0; i < 20000; ++i) v.push_back(r());
    for (int i = 0; i < 2000; ++i) v.push_back(1 - r() * 1e-15);
    for (int i = 0; i < 2000; ++i) v.push_back(1 + (r() - 0.5) * 4e-6);
    for (int i = 0; i < 2000; ++i) v.push_back(std::ldexp(r() + 0.5, static_cast<int>(r() * 2000) - 1000));
    for (int e = -1074; e <= 1023; e += 7) v.push_back(std::ldexp(1.0, e));
    const double specials[] = {0.0, -0.0, -1.0, 5e-324, 2.2e-308, INFINITY, -INFINITY, NAN, 1.0, 0.5, 2.0, 1e-15};
    for (int i = 0; i < 400; ++i) v.insert(v.begin() + static_cast<std::ptrdiff_t>(r() * static_cast<double>(v.size())), specials[i % 12]);
    std::vector<double> want(v.size()), got = v;
    for (std::size_t i = 0; i < v.size(); ++i) want[i] = ml::js_log(v[i]);
    ml::detail::js_log_inplace(got.data(), got.size());
    std::size_t bad = 0, first = v.size();
    for (std::size_t i = 0; i < v.size(); ++i) {
      const bool same = std::memcmp(&want[i], &got[i], sizeof(double)) == 0;
      if (!same && !bad++) first = i;
    }
    // js_exp_inplace on the same values scaled into exp's range and on logistic margins.
    std::vector<double> e;
    for (std::size_t i = 0; i < v.size(); ++i) e.push_back(std::isfinite(v[i]) ? (v[i] - 0.5) * 30 : v[i]);
    for (int i = 0; i < 4000; ++i) e.push_back((r() - 0.5) * 1500);
    const double exp_specials[] = {0.0, -0.0, 1.0, -1.0, 709.78, -708.5, -745.2, 710.0, 1e-9, 0.3465, 0.3466, 1.0397, 1.0398, 0.5};
    for (int i = 0; i < 400; ++i) e.insert(e.begin() + static_cast<std::ptrdiff_t>(r() * static_cast<double>(e.size())), exp_specials[i % 14]);
    std::vector<double> ewant(e.size()), egot = e;
    for (std::size_t i = 0; i < e.size(); ++i) ewant[i] = ml::js_exp(e[i]);
    ml::detail::js_exp_inplace(egot.data(), egot.size());
    std::size_t ebad = 0, efirst = e.size();
    for (std::size_t i = 0; i < e.size(); ++i)
      if (std::memcmp(&ewant[i], &egot[i], sizeof(double)) != 0 && !ebad++) efirst = i;
    CHECK(ebad == 0, "js_exp_inplace differs from js_exp at %zu values, first x = %.17g: %.17g vs %.17g", ebad,
          efirst < e.size() ? e[efirst] : 0.0, efirst < e.size() ? egot[efirst] : 0.0, efirst < e.size() ? ewant[efirst] : 0.0);
    CHECK(bad == 0, "js_log_inplace differs from js_log at %zu values, first x = %.17g: %.17g vs %.17g", bad,
          first < v.size() ? v[first] : 0.0, first < v.size() ? got[first] : 0.0, first < v.size() ? want[first] : 0.0);
  }
  // L2, one numeric feature: x = 1..4, y = 0 0 10 10 -> split at 2.5 (gain 100), leaves -5 / +5.
  {
    const std::vector<double> x = {1, 2, 3, 4}, y = {0, 0, 10, 10};
    ml::TrainResult r;
    const Status s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 4, 1}, nullptr, tiny_params(), &r);
    CHECK(s.ok(), "train: %s", s.message.c_str());
    const ml::Forest& f = r.forest;
    CHECK(f.init_score == 5 && f.num_trees() == 1 && f.leaf_value.size() == 2, "init %f trees %zu", f.init_score, f.num_trees());
    CHECK(f.threshold.size() == 1 && f.threshold[0] == 2.5 && f.split_gain[0] == 100, "threshold %f gain %f",
          f.threshold.empty() ? NAN : f.threshold[0], f.split_gain.empty() ? NAN : f.split_gain[0]);
    CHECK(f.leaf_value[0] == -5 && f.leaf_value[1] == 5 && f.default_left[0] == 1, "leaves %f %f", f.leaf_value[0],
          f.leaf_value[1]);
    CHECK(predict_one(f, {1.7}) == 0 && predict_one(f, {3.2}) == 10 && predict_one(f, {NAN}) == 0, "predictions");
    CHECK(r.train_loss.size() == 1 && r.train_loss[0] == 0, "train loss %f", r.train_loss[0]);
    // Saabas: bias = 5 + root value 0; the feature carries +-5.
    std::vector<double> c(2);
    const std::vector<double> row = {4};
    CHECK(ml::gbdt_contributions_cpu(f.view(), 1, row.data(), 1, c.data(), RowRange{0, 1}).ok() && c[0] == 5 && c[1] == 5,
          "contributions %f %f", c[0], c[1]);
  }
  // Categorical: codes 7 7 3 3 5 5, y = 1 1 9 9 1 1 -> {3} goes left; unseen codes and NaN right.
  {
    const std::vector<double> x = {7, 7, 3, 3, 5, 5}, y = {1, 1, 9, 9, 1, 1};
    ml::GbdtParams q = tiny_params();
    q.categorical_features = {0};
    ml::TrainResult r;
    CHECK(ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 6, 1}, nullptr, q, &r).ok(), "categorical train");
    const ml::Forest& f = r.forest;
    CHECK(f.categorical.size() == 1 && f.categorical[0] == 1 && f.cat_values == std::vector<int32_t>{3}, "catLeft");
    CHECK(std::fabs(predict_one(f, {3}) - 9) < 1e-12 && std::fabs(predict_one(f, {5}) - 1) < 1e-12, "cat predictions");
    CHECK(std::fabs(predict_one(f, {4}) - 1) < 1e-12 && std::fabs(predict_one(f, {NAN}) - 1) < 1e-12, "unseen / missing");
    // That was a one-vs-rest split (3 categories <= max_cat_to_onehot 4). As a sorted partition,
    // categories under min_data_per_group (default 100) rows cannot be split off at all.
    q.max_cat_to_onehot = 0;
    ml::TrainResult none, some;
    CHECK(ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 6, 1}, nullptr, q, &none).ok(), "partition train");
    CHECK(none.forest.split_feature.empty(), "split on categories with fewer than min_data_per_group rows");
    q.min_data_per_group = 2;
    CHECK(ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 6, 1}, nullptr, q, &some).ok(), "partition train 2");
    CHECK(some.forest.cat_values == std::vector<int32_t>{3}, "partition catLeft");
  }
  // Logistic: a separable set gives probabilities on the right side of 0.5.
  {
    const std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7}, y = {0, 0, 0, 0, 1, 1, 1, 1};
    ml::GbdtParams q = tiny_params();
    q.objective.kind = ml::Objective::kLogistic;
    q.num_iterations = 20;
    q.learning_rate = 0.3;
    ml::TrainResult r;
    CHECK(ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 8, 1}, nullptr, q, &r).ok(), "logistic train");
    const double lo = predict_one(r.forest, {1}, true, ml::Objective::kLogistic);
    const double hi = predict_one(r.forest, {6}, true, ml::Objective::kLogistic);
    CHECK(lo < 0.1 && hi > 0.9, "logistic %f %f", lo, hi);
    CHECK(r.train_loss.back() < r.train_loss.front(), "log loss decreases");
  }
  // Threads, subsampling, every objective: bit-identical results for 1 and 4 threads.
  {
    std::vector<double> x, y;
    const std::size_t n = 3000, p = 7;
    make_set(n, p, x, y);
    for (double& v : y) v = std::fabs(v);  // valid for poisson / tweedie too
    for (int kind = 0; kind < 6; ++kind) {
      ml::GbdtParams q;
      q.objective.kind = static_cast<ml::Objective>(kind);
      q.objective.alpha = 0.8;
      q.num_iterations = 8;
      q.subsample = 0.7;
      q.colsample = 0.8;
      q.categorical_features = {static_cast<int32_t>(p - 1)};
      std::vector<double> yy = y;
      if (q.objective.kind == ml::Objective::kLogistic)
        for (double& v : yy) v = v > 1 ? 1 : 0;
      const ml::Dataset d{x.data(), yy.data(), n - 500, p};
      const ml::Dataset v{x.data() + (n - 500) * p, yy.data() + n - 500, 500, p};
      ml::TrainResult a, b;
      q.threads = 1;
      CHECK(ml::gbdt_train_cpu(d, &v, q, &a).ok(), "objective %d", kind);
      q.threads = 4;
      CHECK(ml::gbdt_train_cpu(d, &v, q, &b).ok(), "objective %d threads", kind);
      CHECK(bit_equal(a.forest.leaf_value, b.forest.leaf_value) && bit_equal(a.forest.split_gain, b.forest.split_gain) &&
                bit_equal(a.valid_loss, b.valid_loss),
            "objective %d: threads change the model", kind);
      CHECK(a.forest.num_trees() == 8 && a.valid_loss.size() == 8, "objective %d trees %zu", kind, a.forest.num_trees());
      std::vector<double> p1(n), p4(n);
      ml::gbdt_predict_cpu(a.forest.view(), q.objective.kind, 8, x.data(), n, true, p1.data(), RowRange{0, n}, 1);
      ml::gbdt_predict_cpu(a.forest.view(), q.objective.kind, 8, x.data(), n, true, p4.data(), RowRange{0, n}, 4);
      CHECK(bit_equal(p1, p4), "objective %d: prediction threads", kind);
    }
  }
  // TreeSHAP: rows sum to the raw prediction, 1 and 3 threads agree bit for bit, the bias is
  // Saabas's, and missing or zero counts are refused. (The values against the enumerated Shapley
  // values and the TS reference: test/kernels/ml-treeshap.test.ts.)
  {
    std::vector<double> x, y;
    const std::size_t n = 2000, p = 6;
    make_set(n, p, x, y);
    ml::GbdtParams q;
    q.num_iterations = 6;
    q.max_leaves = 15;
    q.categorical_features = {static_cast<int32_t>(p - 1)};
    ml::TrainResult r;
    CHECK(ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), n, p}, nullptr, q, &r).ok(), "treeshap: train");
    const ml::ForestView v = r.forest.view();
    const std::size_t rows = 200, w = p + 1;
    std::vector<double> s1(rows * w), s3(rows * w), sa(rows * w), raw(rows);
    CHECK(ml::gbdt_treeshap_cpu(v, 6, x.data(), rows, s1.data(), RowRange{0, rows}, 1).ok(), "treeshap 1 thread");
    CHECK(ml::gbdt_treeshap_cpu(v, 6, x.data(), rows, s3.data(), RowRange{0, rows}, 3).ok(), "treeshap 3 threads");
    CHECK(bit_equal(s1, s3), "treeshap: threads change the values");
    ml::gbdt_contributions_cpu(v, 6, x.data(), rows, sa.data(), RowRange{0, rows});
    ml::gbdt_predict_cpu(v, ml::Objective::kL2, 6, x.data(), rows, false, raw.data(), RowRange{0, rows});
    double worst = 0;
    int differ = 0;
    for (std::size_t i = 0; i < rows; ++i) {
      double sum = 0;
      for (std::size_t f = 0; f < w; ++f) sum += s1[i * w + f];
      worst = std::max(worst, std::fabs(sum - raw[i]));
      for (std::size_t f = 0; f < p; ++f) differ += std::fabs(s1[i * w + f] - sa[i * w + f]) > 1e-9;
      CHECK(s1[i * w + p] == sa[i * w + p], "treeshap bias differs from saabas at row %zu", i);
    }
    CHECK(worst < 1e-9, "treeshap rows miss the raw prediction by up to %g", worst);
    CHECK(differ > static_cast<int>(rows), "treeshap equals saabas (%d values differ)", differ);
    ml::ForestView bad = v;
    bad.leaf_count = nullptr;
    Status s = ml::gbdt_treeshap_cpu(bad, 6, x.data(), rows, s1.data(), RowRange{0, rows});
    CHECK(s.code == StatusCode::kInvalidArgument, "treeshap without counts: %s", s.message.c_str());
    std::vector<double> zero(r.forest.leaf_count.size(), 0);
    bad = v;
    bad.leaf_count = zero.data();
    s = ml::gbdt_treeshap_cpu(bad, 6, x.data(), rows, s1.data(), RowRange{0, rows});
    CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("positive") != std::string::npos,
          "treeshap with zero counts: %s", s.message.c_str());
  }
  // TreeSHAP on a forest of single-leaf trees (constant features): no node has a count to read
  // (internal_count is empty, a null pointer as the binding passes it), so every row is the bias
  // alone, as in Saabas; it used to refuse with "needs the node counts".
  {
    const std::size_t n = 40, p = 2, w = p + 1;
    std::vector<double> x(n * p, 3.5), y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<double>(i % 7);
    ml::GbdtParams q;
    q.num_iterations = 3;
    ml::TrainResult r;
    CHECK(ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), n, p}, nullptr, q, &r).ok(), "stumps: train");
    CHECK(r.forest.num_trees() == 3 && r.forest.internal_count.empty(), "stumps: the trees split");
    ml::ForestView v = r.forest.view();
    v.internal_count = nullptr;
    std::vector<double> shap(n * w, -1), saabas(n * w, -2);
    const Status s = ml::gbdt_treeshap_cpu(v, 3, x.data(), n, shap.data(), RowRange{0, n}, 2);
    CHECK(s.ok(), "treeshap on stumps: %s", s.message.c_str());
    ml::gbdt_contributions_cpu(v, 3, x.data(), n, saabas.data(), RowRange{0, n});
    CHECK(bit_equal(shap, saabas), "treeshap on stumps differs from saabas (the bias alone)");
    CHECK(shap[p] != 0 && shap[0] == 0, "treeshap on stumps: bias %g, feature 0 %g", shap[p], shap[0]);
    const Status none = ml::gbdt_treeshap_cpu(v, 0, x.data(), n, shap.data(), RowRange{0, n}, 1);
    CHECK(none.ok(), "treeshap with no trees: %s", none.message.c_str());
  }
  // TreeSHAP tables (TreeShapPlan::kTables) give the recursion's values bit for bit: deep trees
  // of three features (so features repeat on a path), a categorical split, NaN rows, a sub-range
  // and 1 / 3 threads; kAuto picks tables for this batch and matches too; a set cancel flag stops.
  {
    std::vector<double> x, y;
    const std::size_t n = 3000, p = 3;
    make_set(n, p, x, y);
    for (const int leaves : {7, 63}) {
      ml::GbdtParams q;
      q.num_iterations = 5;
      q.max_leaves = leaves;
      q.min_data_in_leaf = 5;
      q.categorical_features = {static_cast<int32_t>(p - 1)};
      ml::TrainResult r;
      CHECK(ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), n, p}, nullptr, q, &r).ok(), "tables: train");
      const ml::ForestView v = r.forest.view();
      const std::size_t w = p + 1;
      const RowRange part{17, 1900};
      std::vector<double> rec(n * w, -1), tab1(n * w, -1), tab3(n * w, -1), au(n * w, -1);
      using ml::TreeShapPlan;
      CHECK(ml::gbdt_treeshap_cpu(v, 5, x.data(), n, rec.data(), part, 1, {}, TreeShapPlan::kRecursion).ok(),
            "tables: recursion");
      CHECK(ml::gbdt_treeshap_cpu(v, 5, x.data(), n, tab1.data(), part, 1, {}, TreeShapPlan::kTables).ok(),
            "tables: 1 thread");
      CHECK(ml::gbdt_treeshap_cpu(v, 5, x.data(), n, tab3.data(), part, 3, {}, TreeShapPlan::kTables).ok(),
            "tables: 3 threads");
      CHECK(ml::gbdt_treeshap_cpu(v, 5, x.data(), n, au.data(), part, 2).ok(), "tables: auto");
      CHECK(bit_equal(rec, tab1) && bit_equal(rec, tab3) && bit_equal(rec, au),
            "%d leaves: tables differ from the recursion", leaves);
      CHECK(rec[16 * w] == -1 && rec[1900 * w] == -1 && rec[17 * w + p] != -1, "tables: rows outside the range");
      int32_t flag = 1;
      const Status c = ml::gbdt_treeshap_cpu(v, 5, x.data(), n, tab1.data(), part, 2, CancelToken{&flag},
                                             TreeShapPlan::kTables);
      CHECK(c.code == StatusCode::kCancelled, "tables: cancel gave %s", c.message.c_str());
    }
  }
  // Large enough that histograms run on the helper pool (rows x features >= kParallelHistWork
  // = 2^15), leaves are partitioned there (>= 16,384 rows) and row loops too (>= 8,192): with
  // and without subsampling, with gradient rounding (histograms by row blocks) and without (by
  // feature blocks): bit-identical for 1, 2 and 3 threads.
  for (const bool rounding : {true, false}) {
    std::vector<double> x, y;
    const std::size_t n = 40000, p = 8;
    make_set(n, p, x, y);
    for (const double rate : {1.0, 0.8}) {
      ml::GbdtParams q;
      q.gradient_rounding = rounding;
      q.num_iterations = 6;
      q.max_leaves = 63;
      q.subsample = rate;
      q.categorical_features = {static_cast<int32_t>(p - 1)};
      const ml::Dataset d{x.data(), y.data(), n - 4000, p};
      const ml::Dataset v{x.data() + (n - 4000) * p, y.data() + n - 4000, 4000, p};
      ml::TrainResult r[3];
      for (int t = 0; t < 3; ++t) {
        q.threads = t + 1;
        CHECK(ml::gbdt_train_cpu(d, &v, q, &r[t]).ok(), "pool train, %d threads", t + 1);
      }
      for (int t = 1; t < 3; ++t)
        CHECK(bit_equal(r[0].forest.leaf_value, r[t].forest.leaf_value) &&
                  bit_equal(r[0].forest.split_gain, r[t].forest.split_gain) &&
                  bit_equal(r[0].train_loss, r[t].train_loss) && bit_equal(r[0].valid_loss, r[t].valid_loss),
              "rounding %d, subsample %g: %d threads change the model", rounding, rate, t + 1);
    }
  }
  // Early stopping keeps the best iteration; a set cancel flag aborts before the first tree.
  {
    std::vector<double> x, y;
    make_set(2000, 5, x, y);
    ml::GbdtParams q;
    q.num_iterations = 400;
    q.learning_rate = 0.5;
    q.early_stopping_rounds = 5;
    const ml::Dataset d{x.data(), y.data(), 1000, 5}, v{x.data() + 5000, y.data() + 1000, 1000, 5};
    ml::TrainResult r;
    CHECK(ml::gbdt_train_cpu(d, &v, q, &r).ok(), "early stopping train");
    CHECK(r.stop_reason == ml::StopReason::kEarlyStopping && r.iterations == r.best_iteration + 5 &&
              static_cast<int>(r.forest.num_trees()) == r.best_iteration,
          "early stopping: iterations %d best %d", r.iterations, r.best_iteration);
    int32_t flag = 1;
    ml::TrainResult c;
    CHECK(ml::gbdt_train_cpu(d, &v, q, &c, CancelToken{&flag}).ok() && c.stop_reason == ml::StopReason::kAborted &&
              c.forest.num_trees() == 0,
          "cancelled training");
  }
  // Bad input: messages name the problem.
  {
    const std::vector<double> x = {1, 2, 3}, y = {0, 1, 2};
    ml::GbdtParams q;
    ml::TrainResult r;
    q.objective.kind = ml::Objective::kLogistic;
    Status s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 3, 1}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("binary labels") != std::string::npos, "%s",
          s.message.c_str());
    q.objective.kind = ml::Objective::kL2;
    const std::vector<double> nan_y = {0, NAN, 1};
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), nan_y.data(), 3, 1}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("finite") != std::string::npos, "%s", s.message.c_str());
    const std::vector<double> huge_y = {0, 1e308, 1};  // the mean overflowed: NaN predictions, no error
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), huge_y.data(), 3, 1}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("1e+100") != std::string::npos, "%s", s.message.c_str());
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 0, 1}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("zero rows") != std::string::npos, "%s", s.message.c_str());
    q.categorical_features = {0};
    const std::vector<double> bad = {1, 2.5, 3};
    s = ml::gbdt_train_cpu(ml::Dataset{bad.data(), y.data(), 3, 1}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("not an integer code") != std::string::npos, "%s",
          s.message.c_str());
    q.categorical_features = {3};
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 3, 1}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument, "categorical index out of range accepted");
    q.categorical_features.clear();
    q.max_bins = 300;
    s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 3, 1}, nullptr, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("maxBins") != std::string::npos, "%s", s.message.c_str());
    q.max_bins = 255;
    // The categorical guards name themselves.
    const std::pair<const char*, void (*)(ml::GbdtParams&)> guards[] = {
        {"minDataPerGroup", [](ml::GbdtParams& g) { g.min_data_per_group = 0; }},
        {"maxCatThreshold", [](ml::GbdtParams& g) { g.max_cat_threshold = 0; }},
        {"catL2", [](ml::GbdtParams& g) { g.cat_l2 = -1; }},
        {"catL2", [](ml::GbdtParams& g) { g.cat_l2 = NAN; }},
        {"maxCatToOnehot", [](ml::GbdtParams& g) { g.max_cat_to_onehot = -1; }},
    };
    for (const auto& [name, spoil] : guards) {
      ml::GbdtParams g = q;
      spoil(g);
      s = ml::gbdt_train_cpu(ml::Dataset{x.data(), y.data(), 3, 1}, nullptr, g, &r);
      CHECK(s.code == StatusCode::kInvalidArgument && s.message.find(name) != std::string::npos, "%s: %s", name,
            s.message.c_str());
    }
    // Prediction with more trees than the model has.
    ml::Forest empty;
    empty.num_features = 1;
    double out = 0;
    s = ml::gbdt_predict_cpu(empty.view(), ml::Objective::kL2, 1, x.data(), 1, false, &out, RowRange{0, 1});
    CHECK(s.code == StatusCode::kInvalidArgument, "too many trees accepted");
  }
  // Categorical bitsets (internal.h CatBits, used by prediction and contributions) answer exactly as
  // the binary search over the node's codes, for every kind of value; nodes with a negative code or
  // one >= kCatBitsMaxCode keep the binary search.
  {
    ml::Forest f;
    f.num_features = 1;
    const std::vector<std::vector<int32_t>> sets = {{},           {0},    {63},        {64},         {0, 1, 2, 63, 64, 65, 127},
                                                    {5, 200, 4095}, {4096}, {-3, 7, 9}, {3, 100000}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
    for (const auto& set : sets) {
      // One tree per set: a categorical root with two leaves; the other node kinds appear below.
      f.split_feature.push_back(0);
      f.threshold.push_back(0);
      f.split_gain.push_back(0);
      f.internal_value.push_back(0);
      f.internal_count.push_back(1);
      f.default_left.push_back(static_cast<uint8_t>(set.size() % 2));
      f.categorical.push_back(1);
      f.left_child.push_back(~0);
      f.right_child.push_back(~1);
      for (const int32_t c : set) f.cat_values.push_back(c);
      f.cat_offsets.push_back(static_cast<int32_t>(f.cat_values.size()));
      f.leaf_value.push_back(1);
      f.leaf_value.push_back(-1);
      f.leaf_count.assign(f.leaf_value.size(), 1);
      f.tree_nodes.push_back(static_cast<int32_t>(f.split_feature.size()));
      f.tree_leaves.push_back(static_cast<int32_t>(f.leaf_value.size()));
    }
    // A numeric node too: CatBits leaves it to the threshold.
    f.split_feature.push_back(0);
    f.threshold.push_back(2.5);
    f.split_gain.push_back(0);
    f.internal_value.push_back(0);
    f.internal_count.push_back(1);
    f.default_left.push_back(1);
    f.categorical.push_back(0);
    f.left_child.push_back(~0);
    f.right_child.push_back(~1);
    f.cat_offsets.push_back(static_cast<int32_t>(f.cat_values.size()));
    f.leaf_value.insert(f.leaf_value.end(), {1, -1});
    f.leaf_count.assign(f.leaf_value.size(), 1);
    f.tree_nodes.push_back(static_cast<int32_t>(f.split_feature.size()));
    f.tree_leaves.push_back(static_cast<int32_t>(f.leaf_value.size()));
    const ml::ForestView v = f.view();
    CHECK(ml::detail::check_forest(v, v.num_trees, nullptr, 0, RowRange{0, 0}).ok(), "hand-made forest rejected");
    ml::detail::CatBits bits;
    bits.build(v, v.num_trees);
    CHECK(bits.base[6] < 0 && bits.base[7] < 0 && bits.base[8] < 0, "a node with a code < 0 or >= 4096 got a bitset");
    CHECK(bits.base[0] >= 0 && bits.base[4] >= 0 && bits.base[5] >= 0 && bits.words[5] == 64, "bitsets missing or mis-sized");
    std::vector<double> xs = {NAN, -0.0, 0.0, 0.5, -1, -3, 1, 2, 2.5, 3, 7, 9, 10, 10.5, 11, 62, 63, 63.0000001, 64, 65, 127, 128, 200,
                              4095, 4095.5, 4096, 4097, 1e9, 1e300, -1e300, INFINITY, -INFINITY, 100000, 2147483647.0, 4294967296.0};
    for (int k = 0; k < 5000; ++k) xs.push_back(std::floor((k * 7919) % 9000) - 500);
    int mismatches = 0;
    for (std::size_t g = 0; g < f.split_feature.size(); ++g)
      for (const double x : xs)
        if (bits.goes_left(v, g, x) != ml::detail::goes_left(v, g, x)) ++mismatches;
    CHECK(mismatches == 0, "CatBits disagrees with the binary search %d times", mismatches);
    // Through gbdt_predict_cpu: each tree adds +1 (left) or -1 (right), as the binary search walks.
    std::vector<double> pred(xs.size());
    CHECK(ml::gbdt_predict_cpu(v, ml::Objective::kL2, v.num_trees, xs.data(), xs.size(), false, pred.data(), RowRange{0, xs.size()}).ok(),
          "predict failed");
    int wrong = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      double want = 0;
      for (std::size_t t = 0; t < v.num_trees; ++t) want = want + (ml::detail::goes_left(v, static_cast<std::size_t>(v.tree_nodes[t]), xs[i]) ? 1 : -1);
      if (pred[i] != want) ++wrong;
    }
    CHECK(wrong == 0, "prediction with bitsets differs from the binary-search walk on %d rows", wrong);
  }
  return waybill::test::failures() == 0 ? 0 : 1;
}
