// geo kernels: CPU self-checks against the textbook formula and known distances; CPU vs CUDA
// parity on random and edge-case inputs with guard values around every output buffer.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "test_util.h"
#include "waybill/geo.h"

using namespace waybill;
using namespace waybill::geo;
using waybill::test::haversine_ref;
using waybill::test::random_latlng;

namespace {

constexpr double kGuard = -12345.678;
constexpr std::size_t kPad = 8;

// Tolerance of the per-point half-angle form against the textbook form: 1e-9 relative + 1e-6 m,
// except near antipodes where asin(sqrt(a)) is ill-conditioned (both forms lose ~1e-8 rad).
double tolerance(double ref) {
  const double antipode = 3.14159265358979323846 * kEarthRadiusM;
  return ref > 0.9999 * antipode ? 1.0 : 1e-6 + 1e-9 * ref;
}

template <typename Out>
struct Guarded {
  std::vector<Out> buf;
  explicit Guarded(std::size_t count) : buf(count + 2 * kPad, static_cast<Out>(kGuard)) {}
  Out* data() { return buf.data() + kPad; }
  bool guards_intact() const {
    for (std::size_t i = 0; i < kPad; ++i) {
      if (buf[i] != static_cast<Out>(kGuard) || buf[buf.size() - 1 - i] != static_cast<Out>(kGuard)) return false;
    }
    return true;
  }
};

void check_known_distances() {
  // Paris (48.8566, 2.3522) to London (51.5074, -0.1278): about 343.5 km.
  const double o[] = {48.8566, 2.3522};
  const double d[] = {51.5074, -0.1278, 48.8566, 2.3522, 0.0, 0.0};
  double out[3];
  Status s = haversine_matrix_cpu(o, 1, d, 3, kEarthRadiusM, out, {0, 1});
  CHECK(s.ok(), "%s", s.message.c_str());
  CHECK(std::fabs(out[0] - 343556.0) < 500.0, "Paris-London %.1f m", out[0]);
  CHECK(out[1] == 0.0, "same point distance %.17g", out[1]);
  // Pole to pole is half the circumference.
  const double np[] = {90, 0}, sp[] = {-90, 123};
  double pp;
  haversine_matrix_cpu(np, 1, sp, 1, kEarthRadiusM, &pp, {0, 1});
  CHECK(std::fabs(pp - 3.14159265358979323846 * kEarthRadiusM) < 1e-3, "pole to pole %.6f", pp);
  // Across the date line: (0, 179.5) to (0, -179.5) is 1 degree of the equator.
  const double a[] = {0, 179.5}, b[] = {0, -179.5};
  double dl;
  haversine_matrix_cpu(a, 1, b, 1, kEarthRadiusM, &dl, {0, 1});
  CHECK(std::fabs(dl - kEarthRadiusM * 3.14159265358979323846 / 180) < 1e-6, "date line %.6f", dl);
}

void check_haversine_vs_reference() {
  const std::size_t n = 97, m = 131;
  auto o = random_latlng(n, 1);
  auto d = random_latlng(m, 2);
  // Exact antipodes of the first origins.
  for (std::size_t i = 0; i < 5; ++i) {
    d[2 * (20 + i)] = -o[2 * (10 + i)];
    d[2 * (20 + i) + 1] = o[2 * (10 + i) + 1] > 0 ? o[2 * (10 + i) + 1] - 180 : o[2 * (10 + i) + 1] + 180;
  }
  Guarded<double> out(n * m);
  Status s = haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, out.data(), {0, n});
  CHECK(s.ok(), "%s", s.message.c_str());
  CHECK(out.guards_intact(), "haversine f64 wrote outside its buffer");
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      const double ref = haversine_ref(o[2 * i], o[2 * i + 1], d[2 * j], d[2 * j + 1], kEarthRadiusM);
      const double err = std::fabs(out.data()[i * m + j] - ref);
      worst = std::max(worst, err / tolerance(ref));
    }
  }
  CHECK(worst <= 1.0, "haversine vs reference: worst error %.3g of tolerance", worst);

  // Float32 output is the float64 result rounded once.
  Guarded<float> out32(n * m);
  s = haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, out32.data(), {0, n});
  CHECK(s.ok() && out32.guards_intact(), "haversine f32 guard/status");
  bool same = true;
  for (std::size_t t = 0; t < n * m; ++t) same = same && out32.data()[t] == static_cast<float>(out.data()[t]);
  CHECK(same, "f32 output is not the rounded f64 output");

  // Row blocks: computing [0, 40) and [40, n) separately writes exactly the full result.
  Guarded<double> split(n * m);
  haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, split.data(), {0, 40});
  haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, split.data(), {40, n});
  CHECK(std::memcmp(split.data(), out.data(), n * m * sizeof(double)) == 0, "row-block split differs");

  // Results do not depend on the output buffer's alignment either (the pool writes into a
  // SharedArrayBuffer, a call on the calling thread into an ArrayBuffer: they must agree bit for bit).
  for (std::size_t offset = 1; offset < 4; ++offset) {
    std::vector<double> shifted(n * m + offset);
    haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, shifted.data() + offset, {0, 13});
    haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, shifted.data() + offset, {13, n});
    CHECK(std::memcmp(shifted.data() + offset, out.data(), n * m * sizeof(double)) == 0,
          "result depends on output alignment (offset %zu doubles)", offset);
  }
  CHECK(split.guards_intact(), "row-block split wrote outside its buffer");
}

void check_euclidean() {
  const double o[] = {0, 0, 3, 4};
  const double d[] = {3, 4, 0, 0, -1, -1};
  Guarded<double> out(6);
  Status s = euclidean_matrix_cpu(o, 2, d, 3, out.data(), {0, 2});
  CHECK(s.ok() && out.guards_intact(), "euclidean status/guards");
  const double expect[] = {5, 0, std::sqrt(2.0), 0, 5, std::sqrt(41.0)};
  for (int t = 0; t < 6; ++t) CHECK(std::fabs(out.data()[t] - expect[t]) < 1e-12, "euclidean[%d]=%.17g", t, out.data()[t]);
}

void check_k_nearest() {
  const std::size_t n = 50, m = 300, k = 7;
  auto o = random_latlng(n, 3);
  auto d = random_latlng(m, 4);
  // Duplicated destinations create exact ties: the lower index must come first.
  d[2 * 200] = d[2 * 100];
  d[2 * 200 + 1] = d[2 * 100 + 1];
  std::vector<int32_t> idx(n * k, -1);
  std::vector<double> dist(n * k, kGuard);
  Status s = k_nearest_cpu(o.data(), n, d.data(), m, k, Metric::kHaversine, kEarthRadiusM, idx.data(), dist.data(), {0, n});
  CHECK(s.ok(), "%s", s.message.c_str());
  std::vector<double> full(n * m);
  haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, full.data(), {0, n});
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, int32_t>> all;
    for (std::size_t j = 0; j < m; ++j) all.emplace_back(full[i * m + j], static_cast<int32_t>(j));
    std::sort(all.begin(), all.end());
    for (std::size_t t = 0; t < k; ++t) {
      CHECK(idx[i * k + t] == all[t].second && dist[i * k + t] == all[t].first, "knn row %zu rank %zu: %d vs %d", i, t,
            idx[i * k + t], all[t].second);
    }
  }
  s = k_nearest_cpu(o.data(), n, d.data(), m, m + 1, Metric::kHaversine, kEarthRadiusM, idx.data(), dist.data(), {0, n});
  CHECK(s.code == StatusCode::kInvalidArgument, "k > m must be rejected");
}

void check_cancel_and_bounds() {
  auto o = random_latlng(10, 5);
  std::vector<double> out(100);
  const int32_t flag = 1;
  Status s = haversine_matrix_cpu(o.data(), 10, o.data(), 10, kEarthRadiusM, out.data(), {0, 10}, CancelToken{&flag});
  CHECK(s.code == StatusCode::kCancelled, "cancel flag ignored");
  s = haversine_matrix_cpu(o.data(), 10, o.data(), 10, kEarthRadiusM, out.data(), {5, 11});
  CHECK(s.code == StatusCode::kInvalidArgument, "row range past n accepted");
  s = haversine_matrix_cpu(o.data(), 0, o.data(), 10, kEarthRadiusM, out.data(), {0, 0});
  CHECK(s.ok(), "n = 0 must succeed");
}

// ---- CUDA parity ----

template <typename Out>
void check_cuda_matrix(bool haversine, std::size_t n, std::size_t m, uint32_t seed) {
  auto o = random_latlng(n, seed);
  auto d = random_latlng(m, seed + 1000);
  Guarded<Out> cpu(n * m), gpu(n * m);
  Status a = haversine ? haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, cpu.data(), {0, n})
                       : euclidean_matrix_cpu(o.data(), n, d.data(), m, cpu.data(), {0, n});
  Status b = haversine ? haversine_matrix_cuda(o.data(), n, d.data(), m, kEarthRadiusM, gpu.data(), {0, n})
                       : euclidean_matrix_cuda(o.data(), n, d.data(), m, gpu.data(), {0, n});
  CHECK(a.ok() && b.ok(), "status cpu=%s cuda=%s", a.message.c_str(), b.message.c_str());
  CHECK(gpu.guards_intact(), "CUDA wrote outside its output buffer (n=%zu m=%zu)", n, m);
  double worst = 0;
  for (std::size_t t = 0; t < n * m; ++t) {
    const double c = cpu.data()[t], g = gpu.data()[t];
    const double tol = sizeof(Out) == 4 ? 1e-6 * std::fabs(c) + 1e-3 : tolerance(c);
    worst = std::max(worst, std::fabs(c - g) / tol);
  }
  CHECK(worst <= 1.0, "%s %s CUDA vs CPU n=%zu m=%zu: worst %.3g of tolerance", haversine ? "haversine" : "euclidean",
        sizeof(Out) == 4 ? "f32" : "f64", n, m, worst);
}

// Sub-range of rows on CUDA: rows outside [begin, end) must keep their guard values, the rest must
// match the CPU result for the same range (exercises the row offsets of the upload and download).
void check_cuda_row_range() {
  const std::size_t n = 301, m = 257, begin = 37, end = 290;
  auto o = random_latlng(n, 21);
  auto d = random_latlng(m, 22);
  Guarded<double> cpu(n * m), gpu(n * m);
  Status a = haversine_matrix_cpu(o.data(), n, d.data(), m, kEarthRadiusM, cpu.data(), {begin, end});
  Status b = haversine_matrix_cuda(o.data(), n, d.data(), m, kEarthRadiusM, gpu.data(), {begin, end});
  CHECK(a.ok() && b.ok(), "row range status cpu=%s cuda=%s", a.message.c_str(), b.message.c_str());
  CHECK(gpu.guards_intact(), "row range: CUDA wrote outside its output buffer");
  std::size_t bad = 0;
  for (std::size_t t = 0; t < n * m; ++t) {
    const std::size_t i = t / m;
    const double c = cpu.data()[t], g = gpu.data()[t];
    if (i < begin || i >= end) {
      bad += g != kGuard;
    } else {
      bad += !(std::fabs(c - g) <= tolerance(c));
    }
  }
  CHECK(bad == 0, "row range [%zu, %zu): %zu of %zu CUDA outputs wrong or written outside the range", begin, end, bad,
        n * m);
  const std::size_t k = 5;
  std::vector<int32_t> ic(n * k, -7), ig(n * k, -7);
  std::vector<double> dc(n * k, kGuard), dg(n * k, kGuard);
  a = k_nearest_cpu(o.data(), n, d.data(), m, k, Metric::kHaversine, kEarthRadiusM, ic.data(), dc.data(), {begin, end});
  b = k_nearest_cuda(o.data(), n, d.data(), m, k, Metric::kHaversine, kEarthRadiusM, ig.data(), dg.data(),
                     {begin, end});
  CHECK(a.ok() && b.ok(), "knn row range status cpu=%s cuda=%s", a.message.c_str(), b.message.c_str());
  bad = 0;
  for (std::size_t t = 0; t < n * k; ++t) {
    const std::size_t i = t / k;
    if (i < begin || i >= end) {
      bad += ig[t] != -7 || dg[t] != kGuard;
    } else {
      bad += !(std::fabs(dc[t] - dg[t]) <= tolerance(dc[t]));
    }
  }
  CHECK(bad == 0, "knn row range [%zu, %zu): %zu of %zu CUDA outputs wrong or written outside the range", begin, end,
        bad, n * k);
}

void check_cuda_k_nearest(std::size_t n, std::size_t m, std::size_t k, Metric metric) {
  auto o = random_latlng(n, 11);
  auto d = random_latlng(m, 12);
  std::vector<int32_t> ic(n * k), ig(n * k, -7);
  std::vector<double> dc(n * k), dg(n * k, kGuard);
  Status a = k_nearest_cpu(o.data(), n, d.data(), m, k, metric, kEarthRadiusM, ic.data(), dc.data(), {0, n});
  Status b = k_nearest_cuda(o.data(), n, d.data(), m, k, metric, kEarthRadiusM, ig.data(), dg.data(), {0, n});
  CHECK(a.ok() && b.ok(), "knn status cpu=%s cuda=%s", a.message.c_str(), b.message.c_str());
  std::size_t mismatched = 0;
  for (std::size_t t = 0; t < n * k; ++t) {
    // Indices may differ only where two candidates are within rounding of each other.
    if (std::fabs(dc[t] - dg[t]) > tolerance(dc[t])) ++mismatched;
  }
  CHECK(mismatched == 0, "knn CUDA vs CPU: %zu of %zu distances differ (n=%zu m=%zu k=%zu)", mismatched, n * k, n, m, k);
  std::size_t idx_diff = 0;
  for (std::size_t t = 0; t < n * k; ++t) idx_diff += ic[t] != ig[t];
  CHECK(idx_diff * 1000 <= n * k, "knn CUDA vs CPU: %zu index differences", idx_diff);
}

}  // namespace

int run_cpu_suite() {
  check_known_distances();
  check_haversine_vs_reference();
  check_euclidean();
  check_k_nearest();
  check_cancel_and_bounds();
  return 0;
}

int run_cuda_suite() {
  // {140000, 3}: a tall, thin matrix (many origins, few depots) needs more than 65535 rows of 2-row blocks.
  for (auto [n, m] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {1, 1000}, {333, 517}, {2000, 2000},
                                                                      {140000, 3}}) {
    check_cuda_matrix<double>(true, n, m, static_cast<uint32_t>(n * 7 + m));
    check_cuda_matrix<float>(true, n, m, static_cast<uint32_t>(n * 7 + m));
    check_cuda_matrix<double>(false, n, m, static_cast<uint32_t>(n * 3 + m));
  }
  check_cuda_k_nearest(1, 10, 10, Metric::kHaversine);
  check_cuda_k_nearest(1000, 5000, 16, Metric::kHaversine);
  check_cuda_k_nearest(700, 3000, 64, Metric::kEuclidean);
  check_cuda_k_nearest(300, 2000, 64, Metric::kHaversine);
  check_cuda_row_range();
  std::vector<double> empty;
  Status s = haversine_matrix_cuda<double>(empty.data(), 0, empty.data(), 0, kEarthRadiusM, nullptr, {0, 0});
  CHECK(s.ok(), "n = m = 0 on CUDA: %s", s.message.c_str());
  return 0;
}
