// k-means (CPU, native/src/cpu/ml/kmeans.cc): hand-checked small cases, the tie rule, Elkan ==
// Lloyd bit for bit (also on data full of exact ties), thread invariance and bad input; and, on a
// CUDA device, the device assignment step against the CPU's. The parity with the TypeScript
// reference is in test/kernels/ml-kmeans-native.test.ts.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../src/cpu/ml/internal.h"
#include "test_util.h"
#include "waybill/ml.h"

using namespace waybill;

namespace {

bool bit_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

bool same(const ml::KMeansResult& a, const ml::KMeansResult& b) {
  return a.labels == b.labels && bit_equal(a.centroids, b.centroids) &&
         std::memcmp(&a.inertia, &b.inertia, sizeof(double)) == 0 && a.iterations == b.iterations &&
         a.converged == b.converged;
}

/// `blobs` Gaussian-ish blobs (sums of uniforms) of n rows x p features; with `grid`, values are
/// rounded to integers so that exact distance ties are everywhere.
std::vector<double> blobs(std::size_t n, std::size_t p, int centres, uint32_t seed, bool grid = false) {
  ml::detail::Mulberry32 rng(seed);
  std::vector<double> mu(static_cast<std::size_t>(centres) * p);
  for (double& m : mu) m = rng() * 20 - 10;
  std::vector<double> x(n * p);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = static_cast<std::size_t>(std::floor(rng() * centres));
    for (std::size_t f = 0; f < p; ++f) {
      const double v = mu[c * p + f] + (rng() + rng() + rng() - 1.5) * 2;
      x[i * p + f] = grid ? std::round(v) : v;
    }
  }
  return x;
}

ml::KMeansResult run(const std::vector<double>& x, std::size_t p, const ml::KMeansParams& q, Status* status = nullptr) {
  ml::KMeansResult r;
  const Status s = ml::kmeans_cpu(x.data(), x.size() / p, p, q, &r);
  if (status != nullptr) *status = s;
  else CHECK(s.ok(), "kmeans_cpu: %s", s.message.c_str());
  return r;
}

}  // namespace

int run_kmeans_suite() {
  // Two clusters on a line, by hand. mulberry32(0) draws 0.2664..., 0.00033...: the first seed
  // is row floor(0.266 x 4) = 1 (x = 1); D^2 = {1, 0, 81, 100}, total 182, r = 0.06, so the
  // running sum passes r at row 0 (x = 0): both seeds in the left pair. Iteration 1: centre 0
  // (x = 1) takes 1, 10, 11 -> 22/3, centre 1 (x = 0) keeps 0; iteration 2: 0, 1 | 10, 11 ->
  // 0.5 and 10.5; iteration 3: no row moves, converged. Inertia 4 x 0.25 = 1 exactly.
  {
    const std::vector<double> x{0, 1, 10, 11};
    ml::KMeansParams q;
    q.k = 2;
    for (int algo = 0; algo < 2; ++algo) {
      q.algorithm = static_cast<ml::KMeansAlgorithm>(algo);
      const auto r = run(x, 1, q);
      CHECK(r.centroids == (std::vector<double>{10.5, 0.5}), "centres %g %g", r.centroids[0], r.centroids[1]);
      CHECK(r.labels == (std::vector<int32_t>{1, 1, 0, 0}), "labels");
      CHECK(r.inertia == 1, "inertia %.17g", r.inertia);
      CHECK(r.converged && r.iterations == 3, "converged %d after %d", r.converged, r.iterations);
    }
  }
  // Seeding: k = rows picks every distinct row once (k-means++ never draws a row at distance 0
  // while some row is farther), so the inertia is 0.
  {
    const std::vector<double> x{0, 0, 3, 4, -1, 2, 5, 5, 9, -3};
    ml::KMeansParams q;
    q.k = 5;
    q.seed = 9;
    const auto r = run(x, 2, q);
    CHECK(r.inertia == 0, "k = rows inertia %.17g", r.inertia);
    std::vector<int> seen(5, 0);
    for (int32_t l : r.labels) seen[static_cast<std::size_t>(l)]++;
    CHECK(seen == std::vector<int>(5, 1), "every cluster holds one row");
  }
  // The tie rule of the assignment: equal distances go to the lowest centroid index.
  {
    const std::vector<double> c{3, 1, 1, 5};
    const std::vector<double> x{2, 1, 3, 4};
    std::vector<int32_t> labels(4, -7);
    std::vector<double> d(4, -7);
    const Status s = ml::kmeans_assign_cpu(c.data(), 4, x.data(), 4, 1, labels.data(), d.data());
    CHECK(s.ok(), "assign: %s", s.message.c_str());
    CHECK(labels == (std::vector<int32_t>{0, 1, 0, 0}), "tie labels %d %d %d %d", labels[0], labels[1], labels[2],
          labels[3]);
    CHECK(d == (std::vector<double>{1, 0, 0, 1}), "tie distances");
  }
  // Duplicated rows force an empty cluster (two equal seeds; the higher index gets no row and
  // takes the farthest row): Elkan and Lloyd agree and the result is a valid partition.
  {
    std::vector<double> x(40, 1.0);
    x[38] = 4;
    x[39] = 8;
    for (int algo = 0; algo < 2; ++algo) {
      ml::KMeansParams q;
      q.k = 4;
      q.algorithm = static_cast<ml::KMeansAlgorithm>(algo);
      const auto r = run(x, 1, q);
      CHECK(r.inertia == 0, "duplicates inertia %.17g (algorithm %d)", r.inertia, algo);
    }
  }
  // Elkan == Lloyd bit for bit; threads do not change a bit; Elkan skips distances.
  {
    struct Case {
      std::size_t n, p;
      int k, centres;
      uint32_t seed;
      bool grid;
    };
    const Case cases[] = {{3000, 2, 8, 6, 1, false}, {2000, 5, 16, 10, 2, false}, {2500, 3, 12, 5, 3, true},
                          {1500, 1, 7, 3, 4, true},  {800, 8, 30, 30, 5, false}};
    for (const Case& c : cases) {
      const auto x = blobs(c.n, c.p, c.centres, c.seed, c.grid);
      ml::KMeansParams q;
      q.k = c.k;
      q.seed = c.seed * 7;
      q.tolerance = c.grid ? 0 : 1e-4;
      const auto lloyd = run(x, c.p, q);
      q.threads = 3;
      const auto lloyd3 = run(x, c.p, q);
      q.algorithm = ml::KMeansAlgorithm::kElkan;
      const auto elkan3 = run(x, c.p, q);
      q.threads = 1;
      const auto elkan = run(x, c.p, q);
      CHECK(same(lloyd, lloyd3), "Lloyd threads 1 vs 3 (n %zu p %zu k %d)", c.n, c.p, c.k);
      CHECK(same(lloyd, elkan), "Elkan vs Lloyd (n %zu p %zu k %d): iterations %d vs %d, inertia %.17g vs %.17g", c.n,
            c.p, c.k, elkan.iterations, lloyd.iterations, elkan.inertia, lloyd.inertia);
      CHECK(same(elkan, elkan3), "Elkan threads 1 vs 3 (n %zu p %zu k %d)", c.n, c.p, c.k);
      CHECK(elkan.distance_evaluations < lloyd.distance_evaluations, "Elkan computed %llu distances, Lloyd %llu",
            static_cast<unsigned long long>(elkan.distance_evaluations),
            static_cast<unsigned long long>(lloyd.distance_evaluations));
      CHECK(lloyd.iterations > 1, "more than one iteration (%d)", lloyd.iterations);
    }
  }
  // maxIterations caps the loop (not converged).
  {
    const auto x = blobs(2000, 2, 9, 11);
    ml::KMeansParams q;
    q.k = 9;
    q.max_iterations = 2;
    q.tolerance = 0;
    const auto r = run(x, 2, q);
    CHECK(r.iterations == 2 && !r.converged, "capped: %d iterations, converged %d", r.iterations, r.converged);
  }
  // Bad input: the reference's codes.
  {
    const std::vector<double> x{0, 1, 2, 3};
    ml::KMeansParams q;
    Status s;
    ml::KMeansResult r;
    q.k = 0;
    s = ml::kmeans_cpu(x.data(), 4, 1, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && r.input_error && std::string(r.input_error) == "INVALID_K",
          "k = 0");
    q.k = 5;
    s = ml::kmeans_cpu(x.data(), 4, 1, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && r.input_error && std::string(r.input_error) == "INVALID_K",
          "k > rows");
    q.k = 1;
    const std::vector<double> bad{0, NAN, 2, 3};
    s = ml::kmeans_cpu(bad.data(), 4, 1, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && r.input_error && std::string(r.input_error) == "NOT_FINITE",
          "NaN: %s", s.message.c_str());
    s = ml::kmeans_cpu(x.data(), 0, 1, q, &r);
    CHECK(s.code == StatusCode::kInvalidArgument && r.input_error && std::string(r.input_error) == "INVALID_ARGUMENT",
          "zero rows: %s", s.message.c_str());
    q.device = ml::KMeansDevice::kCuda;
    q.algorithm = ml::KMeansAlgorithm::kElkan;
    s = ml::kmeans_cpu(x.data(), 4, 1, q, &r);
    CHECK(s.code == StatusCode::kUnsupported, "cuda + elkan: %s", s.message.c_str());
  }
  return 0;
}

/// On a CUDA device: kmeans_assign_cuda against kmeans_assign_cpu, and a k-means run with the
/// device assignment step against the CPU's, bit for bit.
int run_kmeans_cuda_suite() {
  const std::size_t n = 20000, p = 6;
  const auto x = blobs(n, p, 12, 21);
  for (int k : {1, 5, 16, 1100}) {
    const auto c = blobs(static_cast<std::size_t>(k), p, 4, 22 + static_cast<uint32_t>(k), true);
    std::vector<int32_t> lc(n), lg(n, -1);
    std::vector<double> dc(n), dg(n, -1);
    Status s = ml::kmeans_assign_cpu(c.data(), static_cast<std::size_t>(k), x.data(), n, p, lc.data(), dc.data(), 2);
    CHECK(s.ok(), "cpu assign: %s", s.message.c_str());
    s = ml::kmeans_assign_cuda(c.data(), static_cast<std::size_t>(k), x.data(), n, p, lg.data(), dg.data());
    CHECK(s.ok(), "cuda assign: %s", s.message.c_str());
    CHECK(lc == lg && bit_equal(dc, dg), "cuda assignment differs from the CPU (k %d)", k);
  }
  ml::KMeansParams q;
  q.k = 16;
  q.threads = 2;
  const auto cpu = run(x, p, q);
  q.device = ml::KMeansDevice::kCuda;
  const auto gpu = run(x, p, q);
  CHECK(same(cpu, gpu), "k-means with the CUDA assignment differs from the CPU (iterations %d vs %d)", gpu.iterations,
        cpu.iterations);
  return 0;
}
