// waybill_bench, CPU-vs-CUDA section: every CUDA kernel of the core against its CPU counterpart on
// synthetic inputs, timed end to end (host arrays in, host arrays out, transfers included) and
// checked for agreement with the tolerance each kernel documents:
//   geo          haversine / euclidean matrices (1e-9 relative), kNearest (same indices)
//   or           auction assignment (the same optimal total, a permutation)
//   trajectory   pairwise DTW (full, band 10), discrete Fréchet, Hausdorff (1e-12 relative)
//   ts           AutoETS fit, non-seasonal and m = 12 (>= 99 % of series: same model, loglik and
//                AICc within 1e-9 relative; CUDA's log() may turn a Nelder-Mead comparison)
//   gbdt         prediction (bit-identical), training with device kCuda (trees bit for bit)
//   kmeans       assignment step (labels and distances bit-identical), a Lloyd run on the device
// CPU rows run with 1 thread and with Options::threads; the CUDA time is measured once per kernel
// and size and repeated on each row. Without a usable device every CUDA cell says
// "skipped: no CUDA device (<reason>)"; nothing is estimated.
#include <algorithm>
#include <chrono>
#include <memory>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../src/cpu/ml/internal.h"
#include "bench_util.h"
#include "test_util.h"
#include "waybill/geo.h"
#include "waybill/ml.h"
#include "waybill/or.h"
#include "waybill/timeseries.h"
#include "waybill/trajectory.h"

using namespace waybill;
using bench::median_ms;
using bench::Options;
using bench::Report;
using bench::Row;

namespace {

constexpr double kGuard = -12345.678;

std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

std::string dims(std::size_t a, std::size_t b) { return std::to_string(a) + " x " + std::to_string(b); }

bool same_bits(const void* a, const void* b, std::size_t bytes) { return bytes == 0 || std::memcmp(a, b, bytes) == 0; }

/// Largest |x - y| / |y| over entries that are not bit-identical (ignoring those within
/// `abs_tol`, e.g. 1e-6 m for distances near 0), and how many entries are not bit-identical.
struct Diff {
  double worst_rel = 0;
  std::size_t not_identical = 0;
};
Diff compare(const std::vector<double>& got, const std::vector<double>& ref, double abs_tol = 0) {
  Diff d;
  for (std::size_t k = 0; k < ref.size(); ++k) {
    if (same_bits(&got[k], &ref[k], sizeof(double))) continue;
    ++d.not_identical;
    if (std::fabs(got[k] - ref[k]) <= abs_tol) continue;
    const double rel = std::fabs(got[k] - ref[k]) / std::max(std::fabs(ref[k]), 1e-300);
    d.worst_rel = std::max(d.worst_rel, std::isnan(rel) ? INFINITY : rel);
  }
  return d;
}

/// "bit-identical" or "k of n differ, max rel x"; agrees when the worst is within `tol`.
void describe(Row* r, const Diff& d, std::size_t n, double tol) {
  if (d.not_identical == 0) {
    r->agreement = "bit-identical";
  } else {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%zu of %zu not bit-identical, max rel %.2e", d.not_identical, n, d.worst_rel);
    r->agreement = buf;
  }
  r->agrees = d.not_identical == 0 || d.worst_rel <= tol;
}

/// Times a CUDA call (1 warm-up, `reps` timed) into r, or says why there is no number.
/// Returns whether the call ran and succeeded (then its outputs may be compared).
bool time_cuda(const Options& opt, Row* r, int reps, const std::function<Status()>& call) {
  if (!opt.cuda) {
    r->cuda_note = "skipped: no CUDA device (" + opt.cuda_reason + ")";
    r->agreement = "n/a";
    return false;
  }
  Status s = Status::Ok();
  const double ms = median_ms([&] {
    if (s.ok()) s = call();
  }, reps);
  if (!s.ok()) {
    r->cuda_note = "error: " + s.message;
    r->agreement = "n/a (CUDA call failed)";
    r->agrees = false;
    return false;
  }
  r->cuda_ms = ms;
  return true;
}

/// Emits one row per CPU thread count in `counts` (1 and Options::threads, usually), each with
/// the same CUDA time and agreement. cpu(threads) runs the CPU kernel once.
void emit(Report* rep, const Row& base, const std::vector<int>& counts, int reps, const std::function<void(int)>& cpu) {
  for (int t : counts) {
    Row r = base;
    r.cpu_threads = t;
    r.cpu_ms = median_ms([&] { cpu(t); }, reps, 0);
    rep->add(r);
  }
}

std::vector<int> thread_counts(const Options& opt, bool single_too = true) {
  std::vector<int> v;
  if (single_too) v.push_back(1);
  if (opt.threads > 1 || v.empty()) v.push_back(opt.threads);
  return v;
}

// ---------------------------------------------------------------- geo

void bench_geo(Report* rep, const Options& opt) {
  const std::size_t n = opt.quick ? 1000 : 4000;
  const auto o = test::random_latlng(n, 11, false), d = test::random_latlng(n, 12, false);
  const int reps = opt.quick ? 3 : 5;
  for (int kind = 0; kind < 2; ++kind) {
    const bool hav = kind == 0;
    std::vector<double> ref(n * n, kGuard), got(n * n, kGuard);
    auto cpu = [&](int t) {
      bench::parallel_rows(n, t, 64, [&](RowRange rr) {
        return hav ? geo::haversine_matrix_cpu(o.data(), n, d.data(), n, geo::kEarthRadiusM, ref.data(), rr)
                   : geo::euclidean_matrix_cpu(o.data(), n, d.data(), n, ref.data(), rr);
      });
    };
    cpu(1);
    Row r{"geo", hav ? "haversineMatrix" : "euclideanMatrix", dims(n, n) + " points", 1};
    if (time_cuda(opt, &r, reps, [&] {
          return hav ? geo::haversine_matrix_cuda(o.data(), n, d.data(), n, geo::kEarthRadiusM, got.data(), {0, n})
                     : geo::euclidean_matrix_cuda(o.data(), n, d.data(), n, got.data(), {0, n});
        })) {
      describe(&r, compare(got, ref, 1e-6), ref.size(), 1e-9);
    }
    emit(rep, r, thread_counts(opt), reps, cpu);
  }
  const std::size_t k = 16;
  std::vector<int32_t> ri(n * k), gi(n * k, -1);
  std::vector<double> rd(n * k), gd(n * k, kGuard);
  auto cpu = [&](int t) {
    bench::parallel_rows(n, t, 64, [&](RowRange rr) {
      return geo::k_nearest_cpu(o.data(), n, d.data(), n, k, geo::Metric::kHaversine, geo::kEarthRadiusM, ri.data(),
                                rd.data(), rr);
    });
  };
  cpu(1);
  Row r{"geo", "kNearest (k = 16, haversine)", dims(n, n) + " points", 1};
  if (time_cuda(opt, &r, reps, [&] {
        return geo::k_nearest_cuda(o.data(), n, d.data(), n, k, geo::Metric::kHaversine, geo::kEarthRadiusM, gi.data(),
                                   gd.data(), {0, n});
      })) {
    std::size_t idx_diff = 0;
    for (std::size_t i = 0; i < ri.size(); ++i) idx_diff += ri[i] != gi[i] ? 1 : 0;
    describe(&r, compare(gd, rd, 1e-6), rd.size(), 1e-9);
    if (idx_diff != 0) {
      // Near-ties may swap under last-ulp differences; the distances must still agree.
      r.agreement += ", " + std::to_string(idx_diff) + " indices differ";
    } else {
      r.agreement = "indices equal, distances " + r.agreement;
    }
  }
  emit(rep, r, thread_counts(opt), reps, cpu);
}

// ---------------------------------------------------------------- or

void bench_auction(Report* rep, const Options& opt) {
  const std::vector<std::size_t> sizes =
      opt.quick ? std::vector<std::size_t>{500} : std::vector<std::size_t>{1000, 2000};
  for (std::size_t n : sizes) {
    std::mt19937 rng(static_cast<uint32_t>(n) + 7);
    std::vector<double> c(n * n);
    for (auto& v : c) v = static_cast<double>(rng() % 1000);
    std::vector<int32_t> xc(n), xg(n, -1);
    waybill::opt::AuctionResult rc, rg;
    waybill::opt::auction_assignment_cpu(c.data(), n, xc.data(), &rc);
    Row r{"or", "auction assignment (integer costs 0..999)", dims(n, n), 1};
    if (time_cuda(opt, &r, 3, [&] { return waybill::opt::auction_assignment_cuda(c.data(), n, xg.data(), &rg); })) {
      std::vector<char> seen(n, 0);
      bool perm = true;
      for (int32_t j : xg) {
        if (j < 0 || static_cast<std::size_t>(j) >= n || seen[static_cast<std::size_t>(j)]) perm = false;
        if (perm) seen[static_cast<std::size_t>(j)] = 1;
      }
      r.agrees = perm && rg.total == rc.total;
      r.agreement = fmt("total %.0f vs CPU %.0f", rg.total, rc.total) +
                    (perm ? " (optimal; assignments may differ)" : ", not a permutation");
    }
    // The CPU auction has no threads parameter: one row, 1 thread.
    emit(rep, r, {1}, 3, [&](int) { waybill::opt::auction_assignment_cpu(c.data(), n, xc.data(), &rc); });
  }
}

// ---------------------------------------------------------------- trajectory

struct OwnedBatch {
  std::vector<double> coords;
  std::vector<int32_t> offsets{0};
  trajectory::Batch view() const {
    return trajectory::Batch{coords.data(), offsets.data(), offsets.size() - 1, coords.size() / 2};
  }
};

/// `count` random walks of 90..110 fixes around Beijing (steps up to ~100 m): the city-scale
/// haversine case, on which CPU and CUDA are documented to be bit-identical.
OwnedBatch random_walks(std::size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_int_distribution<std::size_t> len(90, 110);
  OwnedBatch b;
  for (std::size_t t = 0; t < count; ++t) {
    double y = 39.9 + 0.05 * u(rng), x = 116.4 + 0.05 * u(rng);
    for (std::size_t i = len(rng); i-- > 0;) {
      b.coords.push_back(y);
      b.coords.push_back(x);
      y += 0.001 * u(rng);
      x += 0.001 * u(rng);
    }
    b.offsets.push_back(static_cast<int32_t>(b.coords.size() / 2));
  }
  return b;
}

void bench_trajectory(Report* rep, const Options& opt) {
  struct Size {
    std::size_t n;
    bool single;  // also a 1-thread CPU row (the 1000 x 1000 one would take minutes)
  };
  const std::vector<Size> sizes =
      opt.quick ? std::vector<Size>{{100, true}}
                : std::vector<Size>{{10, true}, {30, true}, {100, true}, {200, true}, {1000, false}};
  struct M {
    const char* name;
    trajectory::Measure measure;
    int64_t band;
  };
  const M measures[] = {{"DTW", trajectory::Measure::kDtw, -1},
                        {"DTW band 10", trajectory::Measure::kDtw, 10},
                        {"discrete Frechet", trajectory::Measure::kFrechet, -1},
                        {"Hausdorff", trajectory::Measure::kHausdorff, -1}};
  for (const Size& sz : sizes) {
    const OwnedBatch a = random_walks(sz.n, 31 + sz.n), b = random_walks(sz.n, 32 + sz.n);
    const std::size_t n = sz.n;
    for (const M& m : measures) {
      trajectory::MeasureParams p;
      p.measure = m.measure;
      p.band = m.band;
      p.metric = geo::Metric::kHaversine;
      std::vector<double> ref(n * n, kGuard), got(n * n, kGuard);
      auto cpu = [&](int t) { trajectory::pairwise_cpu(a.view(), b.view(), p, ref.data(), {0, n}, t); };
      Row r{"trajectory", std::string(m.name) + " (haversine)", dims(n, n) + " walks of 90-110 fixes", 1};
      const int reps = n >= 1000 ? 3 : 5;
      const bool ran = time_cuda(opt, &r, reps, [&] {
        return trajectory::pairwise_cuda(a.view(), b.view(), p, got.data(), {0, n});
      });
      const std::vector<int> counts = thread_counts(opt, sz.single);
      if (!ran) {
        emit(rep, r, counts, n >= 1000 ? 1 : 3, cpu);
        continue;
      }
      // The CPU rows fill `ref`; compare after the first of them has run.
      bool compared = false;
      for (int t : counts) {
        Row rt = r;
        rt.cpu_threads = t;
        rt.cpu_ms = median_ms([&] { cpu(t); }, n >= 1000 ? 1 : 3, 0);
        if (!compared) {
          describe(&r, compare(got, ref), ref.size(), 1e-12);
          compared = true;
        }
        rt.agreement = r.agreement;
        rt.agrees = r.agrees;
        rep->add(rt);
      }
    }
  }
}

// ---------------------------------------------------------------- time series

struct Series {
  std::vector<double> values;
  std::vector<int32_t> offsets{0};
  std::size_t count() const { return offsets.size() - 1; }
};

/// `count` positive series of length 60..120: level, a (sometimes damped) trend, noise and, for
/// m > 1, an additive or a multiplicative season of random shape.
Series synthetic_series(std::size_t count, int m, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> z(0.0, 1.0);
  Series s;
  std::vector<double> shape(static_cast<std::size_t>(std::max(m, 1)));
  for (std::size_t i = 0; i < count; ++i) {
    const int n = 60 + static_cast<int>(u(rng) * 61);
    const double scale = std::pow(10.0, 4 * u(rng));
    const double damp = u(rng) < 0.3 ? 0.95 : 1.0;
    const bool mult = u(rng) < 0.5;
    for (auto& v : shape) v = 0.3 * (u(rng) - 0.5);
    for (int j = 0; j < m; ++j) shape[static_cast<std::size_t>(j)] += 0.3 * std::sin(6.283185307179586 * j / m);
    double level = 10 * scale, slope = (u(rng) - 0.4) * 0.05 * scale;
    const double noise = (0.02 + 0.2 * u(rng)) * scale;
    for (int t = 0; t < n; ++t) {
      level += slope;
      slope *= damp;
      const double season = m > 1 ? shape[static_cast<std::size_t>(t % m)] : 0.0;
      const double y = mult ? level * (1 + season) : level + 5 * scale * season;
      s.values.push_back(std::max(y + noise * z(rng), 0.01 * scale));
    }
    s.offsets.push_back(static_cast<int32_t>(s.values.size()));
  }
  return s;
}

/// Params and seasonal states the same bit for bit.
bool bit_agree(const std::vector<double>& p1, const std::vector<double>& p2, const std::vector<double>& s1,
               const std::vector<double>& s2) {
  return p1.size() == p2.size() && s1.size() == s2.size() &&
         same_bits(p1.data(), p2.data(), p1.size() * sizeof(double)) &&
         same_bits(s1.data(), s2.data(), s1.size() * sizeof(double));
}

void bench_ets(Report* rep, const Options& opt) {
  struct Case {
    int season;
    std::size_t count;
  };
  const std::vector<Case> cases = opt.quick ? std::vector<Case>{{1, 1000}, {12, 200}}
                                            : std::vector<Case>{{1, 100000}, {12, 50000}};
  for (const Case& c : cases) {
    const Series s = synthetic_series(c.count, c.season, 50 + static_cast<uint64_t>(c.season));
    const std::size_t n = s.count(), sw = static_cast<std::size_t>(c.season);
    const ts::EtsOptions o;
    std::vector<double> rp(n * ts::kEtsParams, kGuard), rs(n * sw, kGuard), gp(rp), gs(rs);
    auto cpu = [&](int t) {
      bench::parallel_rows(n, t, 32, [&](RowRange rr) {
        return ts::ets_fit_cpu(s.values.data(), s.offsets.data(), n, c.season, o, rp.data(), rs.data(), rr);
      });
    };
    Row r{"ts", c.season > 1 ? "AutoETS fit (all 18 models, m = 12)" : "AutoETS fit (non-seasonal models)",
          std::to_string(n) + " series of 60-120", 1};
    const bool ran = time_cuda(opt, &r, 3, [&] {
      return ts::ets_fit_cuda(s.values.data(), s.offsets.data(), n, c.season, o, gp.data(), gs.data(), {0, n});
    });
    // Only the all-threads CPU row: one thread would take 16x as long for the same numbers.
    Row rt = r;
    rt.cpu_threads = opt.threads;
    rt.cpu_ms = median_ms([&] { cpu(opt.threads); }, 1, 0);
    if (ran) {
      std::size_t other_model = 0, off = 0;
      double worst = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double* a = &rp[i * ts::kEtsParams];
        const double* b = &gp[i * ts::kEtsParams];
        if (a[0] != b[0]) {
          ++other_model;
          continue;
        }
        double w = 0;
        for (int k : {8, 10}) w = std::max(w, std::fabs(a[k] - b[k]) / std::max(std::fabs(a[k]), 1e-300));
        if (std::isnan(w) || w > 1e-9) ++off;
        worst = std::max(worst, std::isnan(w) ? INFINITY : w);
      }
      const std::size_t bad = other_model + off;
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "%zu of %zu series differ (%zu another model, %zu loglik/AICc > 1e-9 rel); worst rel %.2e", bad,
                    n, other_model, off, worst);
      rt.agreement = bit_agree(rp, gp, rs, gs) ? "bit-identical" : buf;
      rt.agrees = bad * 100 <= n;  // the parity tests allow 1 % of fits to differ (CUDA's log())
    }
    rep->add(rt);
  }
}

// ---------------------------------------------------------------- GBDT

/// The CUDA HistDevice with wall-clock timers around its calls (each is synchronous): how much of
/// a device training run the device calls take, and so how much is left on the CPU.
/// With keep_rows false it hides the device's kept rows (keeps_rows), so the trainer sends each
/// large leaf's rows and partitions on the CPU, as before rows were kept: both in one run.
class TimedHist final : public ml::detail::HistDevice {
 public:
  static inline double build_ms = 0, grad_ms = 0, large_ms = 0, partition_ms = 0, rows_ms = 0;
  static inline int builds = 0, large = 0, partitions = 0, copies = 0;
  static inline bool keep_rows = true;
  static inline std::size_t min_work = 0, min_partition = 0;  // size limits to run at (0: the device's)
  static constexpr std::size_t kLarge = 100000;  // rows of a "large" build
  static void reset() {
    build_ms = grad_ms = large_ms = partition_ms = rows_ms = 0;
    builds = large = partitions = copies = 0;
  }
  bool keeps_rows() const override { return keep_rows && inner_->keeps_rows(); }
  std::size_t min_hist_work() const override { return min_work > 0 ? min_work : inner_->min_hist_work(); }
  std::size_t min_partition_rows() const override {
    return min_partition > 0 ? min_partition : inner_->min_partition_rows();
  }
  Status set_rows(const int32_t* rows, std::size_t len) override {
    return timed(&rows_ms, &copies, [&] { return inner_->set_rows(rows, len); });
  }
  Status get_rows(std::size_t start, std::size_t end, int32_t* rows) override {
    return timed(&rows_ms, &copies, [&] { return inner_->get_rows(start, end, rows); });
  }
  Status partition(std::size_t start, std::size_t end, int32_t feature, const uint8_t* table,
                   std::size_t expected_left) override {
    return timed(&partition_ms, &partitions,
                 [&] { return inner_->partition(start, end, feature, table, expected_left); });
  }
  Status build_at(std::size_t start, std::size_t end, double* hist) override {
    const auto t0 = std::chrono::steady_clock::now();
    const Status s = inner_->build_at(start, end, hist);
    count_build(end - start, since(t0));
    return s;
  }
  explicit TimedHist(std::unique_ptr<ml::detail::HistDevice> inner) : inner_(std::move(inner)) {}
  Status set_gradients(const double* g, const double* h, double qg, double qh) override {
    const auto t0 = std::chrono::steady_clock::now();
    const Status s = inner_->set_gradients(g, h, qg, qh);
    grad_ms += since(t0);
    return s;
  }
  Status set_features(const int32_t* f, std::size_t nf) override { return inner_->set_features(f, nf); }
  Status build(const int32_t* rows, std::size_t len, double* hist) override {
    const auto t0 = std::chrono::steady_clock::now();
    const Status s = inner_->build(rows, len, hist);
    count_build(len, since(t0));
    return s;
  }

 private:
  /// Runs call, adding its wall time to *ms and one to *count.
  template <typename Call>
  static Status timed(double* ms, int* count, Call call) {
    const auto t0 = std::chrono::steady_clock::now();
    const Status s = call();
    *ms += since(t0);
    ++*count;
    return s;
  }
  static void count_build(std::size_t len, double ms) {
    build_ms += ms;
    ++builds;
    if (len >= kLarge) {
      large_ms += ms;
      ++large;
    }
  }
  static double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  std::unique_ptr<ml::detail::HistDevice> inner_;
};

Status make_timed_cuda_hist(const ml::detail::BinnedMatrix& b, std::size_t n, std::size_t p,
                            std::unique_ptr<ml::detail::HistDevice>* out) {
  std::unique_ptr<ml::detail::HistDevice> inner;
  const Status s = ml::detail::make_cuda_hist(b, n, p, &inner);
  if (!s.ok()) return s;
  *out = std::make_unique<TimedHist>(std::move(inner));
  return Status::Ok();
}

/// rows x p features (features 0, 1 categorical codes 0..11), 5 % NaN, a smooth label.
void gbdt_data(std::size_t rows, std::size_t p, uint64_t seed, std::vector<double>* x, std::vector<double>* y) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  x->assign(rows * p, 0);
  y->assign(rows, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    double* row = x->data() + i * p;
    for (std::size_t f = 0; f < p; ++f) row[f] = f < 2 ? std::floor(u(rng) * 12) : u(rng) * 4 - 2;
    (*y)[i] = std::sin(2 * row[2]) + 0.4 * row[0] - 0.3 * row[1] + row[3] * row[p - 1] + 0.2 * row[7] +
              0.5 * (u(rng) - 0.5);
    for (std::size_t f = 0; f < p; ++f)
      if (u(rng) < 0.05) row[f] = NAN;
  }
}

/// Empty when two training results are the same bit for bit, else the first part that differs.
std::string forest_difference(const ml::TrainResult& a, const ml::TrainResult& b) {
  const ml::Forest &f = a.forest, &g = b.forest;
  auto same_d = [](const std::vector<double>& u, const std::vector<double>& v) {
    return u.size() == v.size() && same_bits(u.data(), v.data(), u.size() * sizeof(double));
  };
  if (a.iterations != b.iterations) return "iterations";
  if (f.tree_nodes != g.tree_nodes || f.tree_leaves != g.tree_leaves) return "tree sizes";
  if (f.split_feature != g.split_feature || f.left_child != g.left_child || f.right_child != g.right_child)
    return "tree structure";
  if (f.default_left != g.default_left || f.categorical != g.categorical || f.cat_offsets != g.cat_offsets ||
      f.cat_values != g.cat_values)
    return "split directions / category sets";
  if (!same_d(f.threshold, g.threshold) || !same_d(f.split_gain, g.split_gain)) return "thresholds / gains";
  if (!same_d(f.internal_value, g.internal_value) || !same_d(f.leaf_value, g.leaf_value)) return "node / leaf values";
  if (!same_d(a.train_loss, b.train_loss)) return "train loss";
  return "";
}

void bench_gbdt(Report* rep, const Options& opt) {
  const std::size_t p = 50;
  // Prediction: 100 trees trained on a 50 000-row sample, evaluated on rows x 50.
  {
    const std::size_t rows = opt.quick ? 100000 : 1000000, train_rows = opt.quick ? 20000 : 50000;
    std::vector<double> tx, ty, x, y;
    gbdt_data(train_rows, p, 71, &tx, &ty);
    ml::GbdtParams q;
    q.num_iterations = 100;
    q.max_leaves = 31;
    q.threads = opt.threads;
    q.categorical_features = {0, 1};
    ml::TrainResult model;
    const Status st = ml::gbdt_train_cpu(ml::Dataset{tx.data(), ty.data(), train_rows, p}, nullptr, q, &model);
    if (!st.ok()) {
      std::fprintf(stderr, "gbdt: training the prediction model failed: %s\n", st.message.c_str());
      return;
    }
    gbdt_data(rows, p, 72, &x, &y);
    const ml::ForestView f = model.forest.view();
    const std::size_t trees = model.forest.num_trees();
    std::vector<double> ref(rows, kGuard), got(rows, kGuard);
    auto cpu = [&](int t) {
      ml::gbdt_predict_cpu(f, ml::Objective::kL2, trees, x.data(), rows, false, ref.data(), {0, rows}, t);
    };
    cpu(opt.threads);
    Row r{"gbdt", "predict (" + std::to_string(trees) + " trees, <= 31 leaves)", dims(rows, p), 1};
    if (time_cuda(opt, &r, 5, [&] {
          return ml::gbdt_predict_cuda(f, ml::Objective::kL2, trees, x.data(), rows, false, got.data(), {0, rows});
        })) {
      describe(&r, compare(got, ref), rows, 0.0);
    }
    emit(rep, r, thread_counts(opt), 3, cpu);
  }
  // Training: histograms on the device with rounded gradients, trees bit for bit; then one more
  // device run through TimedHist says how much of it the device calls took.
  std::vector<std::size_t> train_rows = opt.quick ? std::vector<std::size_t>{100000}
                                                  : std::vector<std::size_t>{100000, 1000000};
  if (!opt.gbdt_rows.empty()) train_rows = bench::size_list(opt.gbdt_rows);
  for (const std::size_t rows : train_rows) {
    const int trees = opt.gbdt_trees > 0 ? opt.gbdt_trees : opt.quick ? 5 : 20;
    std::vector<double> x, y;
    gbdt_data(rows, p, 73, &x, &y);
    ml::GbdtParams q;
    q.num_iterations = trees;
    q.max_leaves = 31;
    q.gradient_rounding = true;
    q.categorical_features = {0, 1};
    const ml::Dataset d{x.data(), y.data(), rows, p};
    ml::TrainResult ref, got;
    Row r{"gbdt", "train (" + std::to_string(trees) + " trees, l2, gradient rounding)", dims(rows, p), 1};
    ml::GbdtParams qc = q;
    qc.threads = opt.threads;
    qc.device = ml::TrainDevice::kCuda;
    const bool ran = time_cuda(opt, &r, 3, [&] {
      got = ml::TrainResult{};
      return ml::gbdt_train_cpu(d, nullptr, qc, &got);
    });
    bool compared = false;
    for (int t : thread_counts(opt, opt.quick)) {  // 1 thread only in --quick (minutes at 1e6 rows)
      Row rt = r;
      rt.cpu_threads = t;
      ml::GbdtParams qt = q;
      qt.threads = t;
      rt.cpu_ms = median_ms([&] {
        ref = ml::TrainResult{};
        ml::gbdt_train_cpu(d, nullptr, qt, &ref);
      }, 1, 0);
      if (ran && !compared) {
        const std::string diff = forest_difference(ref, got);
        r.agrees = diff.empty();
        r.agreement = diff.empty() ? "trees bit-identical" : diff + " differ";
        // One timed device run through TimedHist (its settings made by the caller): the total ms,
        // and the trees checked against the CPU's ("what" names the run in a disagreement).
        const auto timed_run = [&](const std::string& what) {
          TimedHist::reset();
          ml::TrainResult timed;
          Status ts;
          const double total = median_ms([&] {
            timed = ml::TrainResult{};
            ts = ml::detail::gbdt_train_with(d, nullptr, qc, &timed, {}, {}, make_timed_cuda_hist);
          }, 1, 0);
          const std::string tdiff = ts.ok() ? forest_difference(ref, timed) : "training failed: " + ts.message;
          if (!tdiff.empty()) {
            r.agrees = false;
            r.agreement += "; " + what + ": " + tdiff + " differ";
          }
          return total;
        };
        // Rows kept on the device (as the run above) and not kept (each large leaf's rows sent,
        // partitions on the CPU); both must give the same trees.
        for (const bool keep : {true, false}) {
          TimedHist::keep_rows = keep;
          const double total = timed_run(std::string("rows ") + (keep ? "kept" : "sent"));
          char buf[400];
          std::snprintf(buf, sizeof buf,
                        "; rows %s: %.0f ms, device calls %.0f ms (%d builds %.0f ms, of which %d of >= 1e5 rows "
                        "%.0f ms; gradients %.0f ms; %d partitions %.0f ms; %d row copies %.0f ms), CPU side the rest",
                        keep ? "kept on the device" : "sent per build", total,
                        TimedHist::build_ms + TimedHist::grad_ms + TimedHist::partition_ms + TimedHist::rows_ms,
                        TimedHist::builds, TimedHist::build_ms, TimedHist::large, TimedHist::large_ms,
                        TimedHist::grad_ms, TimedHist::partitions, TimedHist::partition_ms, TimedHist::copies,
                        TimedHist::rows_ms);
          r.agreement += buf;
        }
        TimedHist::keep_rows = true;
        // The device size limits asked for (rows kept): one timed run each, the trees checked.
        const std::vector<std::size_t> works = bench::size_list(opt.gbdt_device_work);
        const std::vector<std::size_t> parts = bench::size_list(opt.gbdt_partition_rows);
        for (int kind = 0; kind < 2; ++kind) {
          for (const std::size_t v : kind == 0 ? works : parts) {
            (kind == 0 ? TimedHist::min_work : TimedHist::min_partition) = v;
            const double total =
                timed_run(std::string(kind == 0 ? "device work " : "partition rows ") + std::to_string(v));
            TimedHist::min_work = TimedHist::min_partition = 0;
            char buf[300];
            std::snprintf(buf, sizeof buf,
                          "; rows kept, %s >= %zu: %.0f ms (%d builds %.0f ms, %d partitions %.0f ms, %d row copies "
                          "%.0f ms)",
                          kind == 0 ? "device builds at rows x features" : "device partitions at rows", v, total,
                          TimedHist::builds, TimedHist::build_ms, TimedHist::partitions, TimedHist::partition_ms,
                          TimedHist::copies, TimedHist::rows_ms);
            r.agreement += buf;
          }
        }
        compared = true;
      }
      rt.agreement = r.agreement;
      rt.agrees = r.agrees;
      rep->add(rt);
    }
  }
}

// ---------------------------------------------------------------- k-means

/// rows x p points around k centres (Gaussian, sd 1 around centres in [-10, 10]^p).
std::vector<double> blobs(std::size_t rows, std::size_t p, std::size_t k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-10.0, 10.0);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> c(k * p), x(rows * p);
  for (auto& v : c) v = u(rng);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t j = rng() % k;
    for (std::size_t f = 0; f < p; ++f) x[i * p + f] = c[j * p + f] + z(rng);
  }
  return x;
}

void bench_kmeans(Report* rep, const Options& opt) {
  const std::size_t rows = opt.quick ? 100000 : 1000000, p = 8, k = 16;
  const std::vector<double> x = blobs(rows, p, k, 81);
  {
    // Centres: k rows of the data (what a k-means++ seeding would pick from).
    std::vector<double> c(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(k * p));
    std::vector<int32_t> lc(rows), lg(rows, -1);
    std::vector<double> dc(rows), dg(rows, kGuard);
    auto cpu = [&](int t) { ml::kmeans_assign_cpu(c.data(), k, x.data(), rows, p, lc.data(), dc.data(), t); };
    cpu(1);
    Row r{"kmeans", "assignment step (k = 16)", dims(rows, p), 1};
    if (time_cuda(opt, &r, 5,
                  [&] { return ml::kmeans_assign_cuda(c.data(), k, x.data(), rows, p, lg.data(), dg.data()); })) {
      const bool labels = lc == lg;
      describe(&r, compare(dg, dc), rows, 0.0);
      r.agrees = r.agrees && labels;
      r.agreement = std::string(labels ? "labels equal" : "LABELS DIFFER") + ", distances " + r.agreement;
    }
    emit(rep, r, thread_counts(opt), 3, cpu);
  }
  {
    ml::KMeansParams q;
    q.k = static_cast<int>(k);
    q.max_iterations = 20;
    q.threads = opt.threads;
    ml::KMeansResult rc, rg;
    Row r{"kmeans", "Lloyd, 20 iterations max (assignment on the device)", dims(rows, p), opt.threads};
    ml::KMeansParams qg = q;
    qg.device = ml::KMeansDevice::kCuda;
    const bool ran = time_cuda(opt, &r, 3, [&] {
      rg = ml::KMeansResult{};
      return ml::kmeans_cpu(x.data(), rows, p, qg, &rg);
    });
    r.cpu_ms = median_ms([&] {
      rc = ml::KMeansResult{};
      ml::kmeans_cpu(x.data(), rows, p, q, &rc);
    }, 3, 0);
    if (ran) {
      const bool same = rc.labels == rg.labels && rc.iterations == rg.iterations &&
                        rc.centroids.size() == rg.centroids.size() &&
                        same_bits(rc.centroids.data(), rg.centroids.data(), rc.centroids.size() * sizeof(double)) &&
                        same_bits(&rc.inertia, &rg.inertia, sizeof(double));
      r.agrees = same;
      r.agreement = same ? "labels, centroids, inertia bit-identical (" + std::to_string(rc.iterations) + " iterations)"
                         : "result differs (iterations " + std::to_string(rg.iterations) + " vs " +
                               std::to_string(rc.iterations) + ")";
    }
    rep->add(r);
  }
}

}  // namespace

/// Every CPU-vs-CUDA comparison selected by opt; false when a CUDA result disagreed.
bool run_cuda_bench(const Options& opt, std::string* json) {
  Report rep;
  std::printf("\n## CPU vs CUDA, every kernel (synthetic inputs; CUDA end to end, transfers included;\n"
              "## median of the timed reps, CUDA after one warm-up; CPU threads: 1 and %d)\n",
              opt.threads);
  rep.header();
  if (opt.wants("geo")) bench_geo(&rep, opt);
  if (opt.wants("or")) bench_auction(&rep, opt);
  if (opt.wants("trajectory")) bench_trajectory(&rep, opt);
  if (opt.wants("ts")) bench_ets(&rep, opt);
  if (opt.wants("gbdt")) bench_gbdt(&rep, opt);
  if (opt.wants("kmeans")) bench_kmeans(&rep, opt);
  *json = rep.json();
  return rep.all_agree();
}
