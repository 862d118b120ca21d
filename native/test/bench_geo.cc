// waybill_bench, geo section (no Node needed): CPU single thread vs CUDA end to end (host arrays
// in, host arrays out, transfers included), and linear assignment JV / auction CPU / auction CUDA.
// Prints Markdown tables; returns the geo rows as a JSON array for --json. Inputs are synthetic
// uniform random points (labelled as such in the output). bench_main.cc calls it first, then the
// CPU-vs-CUDA comparison of every kernel (bench_cuda.cc).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <random>
#include <vector>

#include "bench_util.h"
#include "test_util.h"
#include "waybill/geo.h"
#include "waybill/or.h"

using namespace waybill;
using namespace waybill::geo;

using waybill::bench::median_ms;

/// The geo and assignment tables (--quick: the two smaller sizes of each); the geo rows as JSON.
std::string run_geo_bench(const waybill::bench::Options& options) {
  const auto cu = cuda_probe();
  std::printf("\n## geo (synthetic uniform points)\n\n");
  if (!cu.available) std::printf("CUDA rows: skipped: no CUDA device (%s)\n\n", cu.reason.c_str());
  std::printf("| kernel | n x m | backend | median ms | Mpairs/s |\n|---|---|---|---|---|\n");
  std::string json = "[";
  auto record = [&](const char* kernel, std::size_t n, std::size_t m, const char* backend, double ms) {
    const double mps = static_cast<double>(n) * m / (ms * 1e3);
    std::printf("| %s | %zux%zu | %s | %.3f | %.1f |\n", kernel, n, m, backend, ms, mps);
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s{\"kernel\":\"%s\",\"n\":%zu,\"m\":%zu,\"backend\":\"%s\",\"medianMs\":%.4f,\"mpairsPerS\":%.2f}",
                  json.size() > 1 ? "," : "", kernel, n, m, backend, ms, mps);
    json += buf;
    std::fflush(stdout);
  };
  const std::vector<std::size_t> geo_sizes = options.quick ? std::vector<std::size_t>{500, 2000}
                                                      : std::vector<std::size_t>{500, 2000, 4000, 10000};
  for (std::size_t size : geo_sizes) {
    const auto o = waybill::test::random_latlng(size, 1, false);
    const auto d = waybill::test::random_latlng(size, 2, false);
    std::vector<double> out(size * size);
    std::vector<float> out32(size * size);
    const int reps = size <= 2000 ? 9 : 5;
    if (size <= 4000) {
      record("haversineMatrix", size, size, "native-cpu-1t", median_ms([&] {
               haversine_matrix_cpu(o.data(), size, d.data(), size, kEarthRadiusM, out.data(), {0, size});
             }, reps));
    }
    if (cu.available) {
      record("haversineMatrix", size, size, "cuda-f64", median_ms([&] {
               haversine_matrix_cuda(o.data(), size, d.data(), size, kEarthRadiusM, out.data(), {0, size});
             }, reps));
      record("haversineMatrix", size, size, "cuda-f32out", median_ms([&] {
               haversine_matrix_cuda(o.data(), size, d.data(), size, kEarthRadiusM, out32.data(), {0, size});
             }, reps));
      record("euclideanMatrix", size, size, "cuda-f64", median_ms([&] {
               euclidean_matrix_cuda(o.data(), size, d.data(), size, out.data(), {0, size});
             }, reps));
    }
    if (size <= 4000) {
      record("euclideanMatrix", size, size, "native-cpu-1t", median_ms([&] {
               euclidean_matrix_cpu(o.data(), size, d.data(), size, out.data(), {0, size});
             }, reps));
    }
    const std::size_t k = 16;
    std::vector<int32_t> idx(size * k);
    std::vector<double> dist(size * k);
    if (size <= 4000) {
      record("kNearest(k=16)", size, size, "native-cpu-1t", median_ms([&] {
               k_nearest_cpu(o.data(), size, d.data(), size, k, Metric::kHaversine, kEarthRadiusM, idx.data(), dist.data(), {0, size});
             }, reps));
    }
    if (cu.available) {
      record("kNearest(k=16)", size, size, "cuda", median_ms([&] {
               k_nearest_cuda(o.data(), size, d.data(), size, k, Metric::kHaversine, kEarthRadiusM, idx.data(), dist.data(), {0, size});
             }, reps));
    }
  }
  // Linear assignment: JV (CPU) vs auction (CPU, CUDA) on integer costs 0..999 (synthetic).
  std::printf("\n| kernel | n | backend | median ms | total |\n|---|---|---|---|---|\n");
  const std::vector<std::size_t> la_sizes = options.quick ? std::vector<std::size_t>{1000}
                                                      : std::vector<std::size_t>{1000, 2000, 4000};
  for (std::size_t n : la_sizes) {
    std::mt19937 rng(static_cast<uint32_t>(n));
    std::vector<double> c(n * n);
    for (auto& v : c) v = static_cast<double>(rng() % 1000);
    std::vector<int32_t> x(n);
    double total = 0;
    opt::AuctionResult ar;
    {  // JV used to degrade on these tie-heavy integer costs (28 s at n = 4000) before free columns won ties
      const double jv = median_ms([&] { opt::linear_assignment_cpu(c.data(), n, n, false, x.data(), &total); }, 3);
      std::printf("| assignment | %zu | native JV | %.2f | %.0f |\n", n, jv, total);
    }
    const double au = median_ms([&] { opt::auction_assignment_cpu(c.data(), n, x.data(), &ar); }, 3);
    std::printf("| assignment | %zu | native auction | %.2f | %.0f |\n", n, au, ar.total);
    if (cu.available) {
      const double ac = median_ms([&] { opt::auction_assignment_cuda(c.data(), n, x.data(), &ar); }, 3);
      std::printf("| assignment | %zu | cuda auction | %.2f | %.0f |\n", n, ac, ar.total);
    }
    std::fflush(stdout);
  }
  return json + "]";
}
