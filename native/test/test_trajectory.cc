// trajectory kernels: C++ CPU against a plain full-matrix reference written from the textbook
// definitions (no shared code with the kernels), known values, edge cases (one point, identical
// trajectories, band 0, widened band), bit-identical results across threads / row splits /
// one-to-many, guard values around outputs, cancellation and shape errors.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "test_util.h"
#include "waybill/trajectory.h"

using namespace waybill;
using namespace waybill::trajectory;
using waybill::test::haversine_ref;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kR = geo::kEarthRadiusM;
constexpr double kGuard = -12345.678;

struct Traj {
  std::vector<double> c;  // interleaved
  std::size_t size() const { return c.size() / 2; }
};

struct OwnedBatch {
  std::vector<double> coords;
  std::vector<int32_t> offsets{0};
  std::vector<double> times;
  void add(const Traj& t) {
    coords.insert(coords.end(), t.c.begin(), t.c.end());
    offsets.push_back(static_cast<int32_t>(coords.size() / 2));
  }
  Batch view() const { return Batch{coords.data(), offsets.data(), offsets.size() - 1, coords.size() / 2}; }
};

/// A random walk: geographic around Beijing with 5..150 m steps, or planar with unit-ish steps.
Traj random_walk(std::mt19937_64& rng, std::size_t n, bool geographic) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Traj t;
  double y = geographic ? 39.9 + 0.05 * u(rng) : 10 * u(rng);
  double x = geographic ? 116.4 + 0.05 * u(rng) : 10 * u(rng);
  const double step = geographic ? 0.001 : 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    t.c.push_back(y);
    t.c.push_back(x);
    y += step * u(rng);
    x += step * u(rng);
  }
  return t;
}

// ---- independent reference: full matrices, textbook formulas ----

double ground_ref(bool geographic, const double* p, const double* q) {
  return geographic ? haversine_ref(p[0], p[1], q[0], q[1], kR) : std::hypot(p[0] - q[0], p[1] - q[1]);
}

double reference(const MeasureParams& prm, const Traj& a, const Traj& b) {
  const bool g = prm.metric == geo::Metric::kHaversine;
  const std::size_t n = a.size(), m = b.size();
  auto d = [&](std::size_t i, std::size_t j) { return ground_ref(g, &a.c[2 * i], &b.c[2 * j]); };
  std::vector<std::vector<double>> D(n + 1, std::vector<double>(m + 1, kInf));
  switch (prm.measure) {
    case Measure::kDtw:
    case Measure::kFrechet: {
      const long w = prm.band < 0 ? static_cast<long>(std::max(n, m))
                                  : std::max<long>(prm.band, std::labs(static_cast<long>(n) - static_cast<long>(m)));
      D[0][0] = 0;
      for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
          if (std::labs(static_cast<long>(i) - static_cast<long>(j)) > w) continue;
          const double best = std::min({D[i - 1][j - 1], D[i - 1][j], D[i][j - 1]});
          D[i][j] = prm.measure == Measure::kDtw ? d(i - 1, j - 1) + best : std::max(d(i - 1, j - 1), best);
        }
      }
      return D[n][m];
    }
    case Measure::kHausdorff: {
      double h = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double near = kInf;
        for (std::size_t j = 0; j < m; ++j) near = std::min(near, d(i, j));
        h = std::max(h, near);
      }
      for (std::size_t j = 0; j < m; ++j) {
        double near = kInf;
        for (std::size_t i = 0; i < n; ++i) near = std::min(near, d(i, j));
        h = std::max(h, near);
      }
      return h;
    }
    case Measure::kErp: {
      auto ga = [&](std::size_t i) { return ground_ref(g, &a.c[2 * i], prm.gap); };
      auto gb = [&](std::size_t j) { return ground_ref(g, &b.c[2 * j], prm.gap); };
      D[0][0] = 0;
      for (std::size_t i = 1; i <= n; ++i) D[i][0] = D[i - 1][0] + ga(i - 1);
      for (std::size_t j = 1; j <= m; ++j) D[0][j] = D[0][j - 1] + gb(j - 1);
      for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
          D[i][j] = std::min({D[i - 1][j - 1] + d(i - 1, j - 1), D[i - 1][j] + ga(i - 1), D[i][j - 1] + gb(j - 1)});
        }
      }
      return D[n][m];
    }
    case Measure::kEdr: {
      for (std::size_t i = 0; i <= n; ++i) D[i][0] = static_cast<double>(i);
      for (std::size_t j = 0; j <= m; ++j) D[0][j] = static_cast<double>(j);
      for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
          const double sub = d(i - 1, j - 1) <= prm.eps ? 0 : 1;
          D[i][j] = std::min({D[i - 1][j - 1] + sub, D[i - 1][j] + 1, D[i][j - 1] + 1});
        }
      }
      return D[n][m];
    }
    case Measure::kLcss: {
      for (auto& r : D) std::fill(r.begin(), r.end(), 0.0);
      for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
          const bool near = std::labs(static_cast<long>(i) - static_cast<long>(j)) <= prm.delta && d(i - 1, j - 1) <= prm.eps;
          D[i][j] = near ? D[i - 1][j - 1] + 1 : std::max(D[i - 1][j], D[i][j - 1]);
        }
      }
      return 1 - D[n][m] / static_cast<double>(std::min(n, m));
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

const char* name_of(Measure m) {
  static const char* names[] = {"dtw", "frechet", "hausdorff", "erp", "edr", "lcss"};
  return names[static_cast<int>(m)];
}

std::vector<MeasureParams> all_params(geo::Metric metric) {
  const bool g = metric == geo::Metric::kHaversine;
  std::vector<MeasureParams> v;
  for (int k = 0; k < 6; ++k) {
    MeasureParams p;
    p.measure = static_cast<Measure>(k);
    p.metric = metric;
    p.eps = g ? 150.0 : 1.5;
    if (p.measure == Measure::kErp) {
      p.gap[0] = g ? 39.9 : 0.0;
      p.gap[1] = g ? 116.4 : 0.0;
    }
    v.push_back(p);
    if (p.measure == Measure::kDtw) {
      for (int64_t band : {0, 3}) {
        p.band = band;
        v.push_back(p);
      }
    }
    if (p.measure == Measure::kLcss) {
      p.delta = 4;
      v.push_back(p);
    }
  }
  return v;
}

bool close(double got, double ref) {
  if (got == ref) return true;
  return std::fabs(got - ref) <= 1e-9 * std::fabs(ref) + 1e-9;
}

// ---- checks ----

void check_known_values() {
  // a = (0,0) (1,0) (2,0), b = (0,0) (2,0) on the plane (see the worked matrices in the comments).
  const Traj a{{0, 0, 1, 0, 2, 0}}, b{{0, 0, 2, 0}};
  MeasureParams p;
  p.metric = geo::Metric::kEuclidean;
  double out = kGuard;
  const auto run = [&](Measure m) {
    p.measure = m;
    Status s = distance_cpu(a.c.data(), 3, b.c.data(), 2, p, &out);
    CHECK(s.ok(), "%s: %s", name_of(m), s.message.c_str());
    return out;
  };
  CHECK(run(Measure::kDtw) == 1.0, "dtw known value %.17g", out);          // 0 + 1 + 0
  CHECK(run(Measure::kFrechet) == 1.0, "frechet known value %.17g", out);  // a1 must couple with a point 1 away
  CHECK(run(Measure::kHausdorff) == 1.0, "hausdorff known value %.17g", out);
  p.eps = 0.5;
  CHECK(run(Measure::kEdr) == 1.0, "edr known value %.17g", out);   // one deletion
  CHECK(run(Measure::kLcss) == 0.0, "lcss known value %.17g", out);  // b matches entirely
  p.eps = 0.0;
  CHECK(run(Measure::kErp) == 1.0, "erp known value %.17g", out);   // a1 against the gap (0, 0)
  // 3-4-5: the Euclidean ground distance is exact (V8's Math.hypot gives 5 too).
  const Traj o{{0, 0}}, f{{3, 4}};
  p.measure = Measure::kDtw;
  distance_cpu(o.c.data(), 1, f.c.data(), 1, p, &out);
  CHECK(out == 5.0, "hypot(3, 4) = %.17g", out);
  // Haversine: one degree of the equator across the date line.
  p.metric = geo::Metric::kHaversine;
  const Traj e1{{0, 179.5}}, e2{{0, -179.5}};
  distance_cpu(e1.c.data(), 1, e2.c.data(), 1, p, &out);
  CHECK(std::fabs(out - kR * 3.14159265358979323846 / 180) < 1e-6, "date line %.9f", out);
}

void check_random_vs_reference() {
  std::mt19937_64 rng(7);
  for (geo::Metric metric : {geo::Metric::kHaversine, geo::Metric::kEuclidean}) {
    const bool g = metric == geo::Metric::kHaversine;
    OwnedBatch A, B;
    std::vector<Traj> ta, tb;
    const std::size_t lens_a[] = {1, 2, 7, 30, 41, 64, 5, 12};
    const std::size_t lens_b[] = {1, 3, 30, 29, 50, 8, 64, 2, 17};
    for (std::size_t n : lens_a) ta.push_back(random_walk(rng, n, g));
    for (std::size_t n : lens_b) tb.push_back(random_walk(rng, n, g));
    tb[3] = ta[3];  // identical pair (3, 3)
    for (auto& t : ta) A.add(t);
    for (auto& t : tb) B.add(t);
    const std::size_t n = ta.size(), m = tb.size();
    for (const MeasureParams& p : all_params(metric)) {
      std::vector<double> out(n * m + 16, kGuard);
      Status s = pairwise_cpu(A.view(), B.view(), p, out.data() + 8, {0, n});
      CHECK(s.ok(), "%s: %s", name_of(p.measure), s.message.c_str());
      double worst = 0;
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < m; ++j) {
          const double got = out[8 + i * m + j], ref = reference(p, ta[i], tb[j]);
          CHECK(close(got, ref), "%s %s band %lld (%zu, %zu): %.17g vs reference %.17g", g ? "haversine" : "euclidean",
                name_of(p.measure), static_cast<long long>(p.band), i, j, got, ref);
          if (ref != 0) worst = std::max(worst, std::fabs(got - ref) / std::fabs(ref));
        }
      }
      CHECK(out[8 + 3 * m + 3] == (p.measure == Measure::kErp ? out[8 + 3 * m + 3] : 0.0),
            "%s of identical trajectories = %.17g", name_of(p.measure), out[8 + 3 * m + 3]);
      for (int k = 0; k < 8; ++k) CHECK(out[k] == kGuard && out[8 + n * m + k] == kGuard, "%s wrote outside out", name_of(p.measure));
      CHECK(worst < 1e-12, "%s worst relative error %.3g", name_of(p.measure), worst);

      // Threads and row splits give bit-identical matrices; one-to-many equals a pairwise row.
      for (int threads : {2, 3}) {
        std::vector<double> t(n * m, kGuard);
        pairwise_cpu(A.view(), B.view(), p, t.data(), {0, 3}, threads);
        pairwise_cpu(A.view(), B.view(), p, t.data(), {3, n}, threads);
        CHECK(std::memcmp(t.data(), out.data() + 8, n * m * sizeof(double)) == 0, "%s: %d threads / split differ",
              name_of(p.measure), threads);
      }
      for (std::size_t i : {std::size_t{0}, std::size_t{4}}) {
        std::vector<double> row(m + 2, kGuard);
        s = one_to_many_cpu(ta[i].c.data(), ta[i].size(), B.view(), p, row.data() + 1, {0, m}, 2);
        CHECK(s.ok() && row[0] == kGuard && row[m + 1] == kGuard, "one-to-many status/guards");
        CHECK(std::memcmp(row.data() + 1, out.data() + 8 + i * m, m * sizeof(double)) == 0, "%s one-to-many row %zu differs",
              name_of(p.measure), i);
      }
    }
  }
}

void check_band_edges() {
  std::mt19937_64 rng(11);
  const Traj a = random_walk(rng, 20, true), b = random_walk(rng, 20, true), c = random_walk(rng, 26, true);
  MeasureParams p;
  p.band = 0;
  double got;
  // Band 0 with equal lengths: the diagonal sum.
  distance_cpu(a.c.data(), 20, b.c.data(), 20, p, &got);
  double diag = 0;
  for (std::size_t i = 0; i < 20; ++i) diag += haversine_ref(a.c[2 * i], a.c[2 * i + 1], b.c[2 * i], b.c[2 * i + 1], kR);
  CHECK(close(got, diag), "band 0 = diagonal sum: %.17g vs %.17g", got, diag);
  // Band 0 with lengths 20 and 26 is widened to 6: finite, equal to band 6, >= full DTW.
  double b0, b6, full;
  distance_cpu(a.c.data(), 20, c.c.data(), 26, p, &b0);
  p.band = 6;
  distance_cpu(a.c.data(), 20, c.c.data(), 26, p, &b6);
  p.band = -1;
  distance_cpu(a.c.data(), 20, c.c.data(), 26, p, &full);
  CHECK(std::isfinite(b0) && b0 == b6 && b0 >= full, "widened band: %.17g %.17g %.17g", b0, b6, full);
  p.band = 1000;
  double wide;
  distance_cpu(a.c.data(), 20, c.c.data(), 26, p, &wide);
  CHECK(wide == full, "band >= max(n, m) must equal full DTW: %.17g vs %.17g", wide, full);
}

void check_errors_and_cancel() {
  std::mt19937_64 rng(5);
  OwnedBatch A;
  for (int k = 0; k < 40; ++k) A.add(random_walk(rng, 10, true));
  MeasureParams p;
  std::vector<double> out(40 * 40);
  const int32_t flag = 1;
  Status s = pairwise_cpu(A.view(), A.view(), p, out.data(), {0, 40}, 2, CancelToken{&flag});
  CHECK(s.code == StatusCode::kCancelled, "cancel flag ignored (%s)", s.message.c_str());
  s = pairwise_cpu(A.view(), A.view(), p, out.data(), {5, 41});
  CHECK(s.code == StatusCode::kInvalidArgument, "row range past n accepted");
  OwnedBatch bad = A;
  bad.offsets[3] = bad.offsets[2] - 1;
  s = pairwise_cpu(bad.view(), A.view(), p, out.data(), {0, 1});
  CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("offsets[3]") != std::string::npos, "decreasing offsets: %s",
        s.message.c_str());
  OwnedBatch empty = A;
  empty.offsets.push_back(empty.offsets.back());  // trajectory 40 is empty
  s = pairwise_cpu(A.view(), empty.view(), p, out.data(), {0, 1});
  CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("trajectory 40 is empty") != std::string::npos, "empty: %s",
        s.message.c_str());
  Batch short_points = A.view();
  short_points.points -= 1;
  s = pairwise_cpu(short_points, A.view(), p, out.data(), {0, 1});
  CHECK(s.code == StatusCode::kInvalidArgument, "offsets past the points accepted");
  s = pairwise_cpu(A.view(), A.view(), p, out.data(), {0, 0});
  CHECK(s.ok(), "empty row range must succeed");
}

// ---- simplification and stay points ----

void check_simplify() {
  // Planar: a straight line with one spike of 5; tolerance 2 keeps the spike and the ends only (the
  // other points are 0.86, 1.71 and 0.93 from the segments through the spike).
  OwnedBatch b;
  b.add(Traj{{0, 0, 1, 0, 2, 0, 3, 5, 4, 0, 5, 0}});
  b.add(Traj{});            // empty stays empty
  b.add(Traj{{7, 7}});      // one point is kept
  b.times = {0, 1, 2, 3, 4, 5, 0};
  std::vector<uint8_t> keep(b.coords.size() / 2 + 2, 9);
  Status s = simplify_cpu(b.view(), b.times.data(), Simplify::kDouglasPeucker, 2.0, geo::Metric::kEuclidean, kR, keep.data() + 1,
                          {0, 3});
  CHECK(s.ok(), "%s", s.message.c_str());
  const uint8_t expect[] = {1, 0, 0, 1, 0, 1, 1};
  CHECK(std::memcmp(keep.data() + 1, expect, 7) == 0 && keep[0] == 9 && keep[8] == 9, "DP keep mask");
  // TD-TR: even spacing in time along a line is perfectly predicted; a point that is on the line
  // but late in time is not.
  OwnedBatch t;
  t.add(Traj{{0, 0, 0, 1, 0, 2, 0, 3}});
  t.times = {0, 1, 2, 3};
  s = simplify_cpu(t.view(), t.times.data(), Simplify::kTdTr, 0.01, geo::Metric::kEuclidean, kR, keep.data(), {0, 1});
  CHECK(s.ok() && keep[0] == 1 && keep[1] == 0 && keep[2] == 0 && keep[3] == 1, "TD-TR even");
  t.times = {0, 2.5, 2.6, 3};
  simplify_cpu(t.view(), t.times.data(), Simplify::kDouglasPeucker, 0.01, geo::Metric::kEuclidean, kR, keep.data(), {0, 1});
  CHECK(keep[1] == 0 && keep[2] == 0, "DP ignores time");
  simplify_cpu(t.view(), t.times.data(), Simplify::kTdTr, 0.01, geo::Metric::kEuclidean, kR, keep.data(), {0, 1});
  CHECK(keep[1] == 1, "TD-TR keeps a late point");

  // Haversine random walks: thread counts agree, and every dropped point is within the tolerance
  // of the kept segment around it (checked in the same local plane by a direct formula).
  std::mt19937_64 rng(3);
  OwnedBatch w;
  for (int k = 0; k < 30; ++k) w.add(random_walk(rng, 200, true));
  std::vector<uint8_t> k1(w.coords.size() / 2), k2(k1.size());
  simplify_cpu(w.view(), nullptr, Simplify::kDouglasPeucker, 60.0, geo::Metric::kHaversine, kR, k1.data(), {0, 30}, 1);
  simplify_cpu(w.view(), nullptr, Simplify::kDouglasPeucker, 60.0, geo::Metric::kHaversine, kR, k2.data(), {0, 30}, 2);
  CHECK(k1 == k2, "simplify differs across threads");
  std::size_t kept = 0;
  for (auto v : k1) kept += v;
  CHECK(kept > 60 && kept < k1.size() * 9 / 10, "DP kept %zu of %zu", kept, k1.size());
  const double rad = 3.14159265358979323846 / 180;
  for (std::size_t tr = 0; tr < 30; ++tr) {
    std::size_t prev = static_cast<std::size_t>(w.offsets[tr]);
    for (std::size_t p = prev + 1; p < static_cast<std::size_t>(w.offsets[tr + 1]); ++p) {
      if (!k1[p]) continue;
      const double* c = w.coords.data();
      const double lat0 = c[2 * prev], lng0 = c[2 * prev + 1], cs = std::cos(lat0 * rad);
      const double bx = (c[2 * p + 1] - lng0) * rad * kR * cs, by = (c[2 * p] - lat0) * rad * kR;
      for (std::size_t q = prev + 1; q < p; ++q) {
        const double px = (c[2 * q + 1] - lng0) * rad * kR * cs, py = (c[2 * q] - lat0) * rad * kR;
        const double len2 = bx * bx + by * by;
        const double sgm = len2 == 0 ? 0 : std::clamp((px * bx + py * by) / len2, 0.0, 1.0);
        const double dev = std::hypot(px - sgm * bx, py - sgm * by);
        CHECK(dev <= 60.0 + 1e-9, "dropped point %zu is %.3f m from its segment", q, dev);
      }
      prev = p;
    }
  }
}

void check_stay_points() {
  // Planar fixes every 60 s: a stay of 4 fixes within 2 units (180 s), then movement, then a
  // second stay still open at the end of the trajectory.
  OwnedBatch b;
  b.add(Traj{{0, 0, 1, 0, 0, 1, 1, 1, 10, 10, 20, 20, 30, 30, 30.5, 30, 30, 30.5}});
  b.add(Traj{{5, 5}});
  for (int k = 0; k < 9; ++k) b.times.push_back(60.0 * k);
  b.times.push_back(0);
  std::vector<int32_t> last(b.times.size(), 77);
  std::vector<double> mean(2 * b.times.size(), kGuard);
  Status s = stay_points_cpu(b.view(), b.times.data(), 2.0, 120.0, geo::Metric::kEuclidean, kR, last.data(), mean.data(), {0, 2});
  CHECK(s.ok(), "%s", s.message.c_str());
  const int32_t expect[] = {3, -1, -1, -1, -1, -1, 8, -1, -1, -1};
  CHECK(std::equal(last.begin(), last.end(), expect), "stay last: %d %d %d %d %d %d %d %d %d %d", last[0], last[1], last[2],
        last[3], last[4], last[5], last[6], last[7], last[8], last[9]);
  CHECK(mean[0] == 0.5 && mean[1] == 0.5, "stay mean (%.17g, %.17g)", mean[0], mean[1]);
  CHECK(mean[12] == (30 + 30.5 + 30) / 3.0 && mean[13] == (30 + 30 + 30.5) / 3.0, "open stay mean (%.17g, %.17g)", mean[12], mean[13]);
  // Longer minimum duration: the 120 s stay at the end no longer counts.
  s = stay_points_cpu(b.view(), b.times.data(), 2.0, 150.0, geo::Metric::kEuclidean, kR, last.data(), mean.data(), {0, 2});
  CHECK(last[0] == 3 && last[6] == -1, "duration threshold");
  // Haversine random walks: threads agree; every stay satisfies both thresholds.
  std::mt19937_64 rng(9);
  OwnedBatch w;
  for (int k = 0; k < 20; ++k) {
    Traj t = random_walk(rng, 300, true);
    for (std::size_t p = 0; p < 300; ++p) w.times.push_back(1e9 + 10.0 * static_cast<double>(p));
    w.add(t);
  }
  std::vector<int32_t> l1(w.times.size()), l2(w.times.size());
  std::vector<double> m1(2 * w.times.size()), m2(2 * w.times.size());
  stay_points_cpu(w.view(), w.times.data(), 150.0, 60.0, geo::Metric::kHaversine, kR, l1.data(), m1.data(), {0, 20}, 1);
  stay_points_cpu(w.view(), w.times.data(), 150.0, 60.0, geo::Metric::kHaversine, kR, l2.data(), m2.data(), {0, 20}, 2);
  CHECK(l1 == l2, "stay points differ across threads");
  std::size_t stays = 0;
  for (std::size_t p = 0; p < l1.size(); ++p) {
    if (l1[p] < 0) continue;
    ++stays;
    const std::size_t q = static_cast<std::size_t>(l1[p]);
    CHECK(q > p && w.times[q] - w.times[p] >= 60.0, "stay %zu..%zu too short", p, q);
    for (std::size_t k = p; k <= q; ++k) {
      const double d = haversine_ref(w.coords[2 * p], w.coords[2 * p + 1], w.coords[2 * k], w.coords[2 * k + 1], kR);
      CHECK(d <= 150.0 + 1e-6, "fix %zu is %.3f m from the stay's first fix", k, d);
    }
  }
  CHECK(stays > 0, "no stays found in slow random walks");
}

}  // namespace

int run_trajectory_suite() {
  check_known_values();
  check_random_vs_reference();
  check_band_edges();
  check_errors_and_cancel();
  check_simplify();
  check_stay_points();
  return waybill::test::failures() == 0 ? 0 : 1;
}
