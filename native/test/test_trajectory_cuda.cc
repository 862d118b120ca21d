// CUDA pairwise trajectory distances (native/src/cuda/trajectory/): parity with pairwise_cpu.
//
// `waybill_tests trajectory` runs the CUDA per-pair recurrence (pair_kernel.cuh) compiled for the
// host against pairwise_cpu, so its logic (one DP row in place, band edges, Hausdorff column
// minima, the choice of the haversine path) is checked on machines without a GPU.
// `waybill_tests cuda` runs the real kernel on the device against pairwise_cpu: bit-identical for
// the Euclidean ground distance and for haversine within ~400 km (only IEEE-exact operations on
// both sides); within a relative 1e-12 for long haversine distances (CUDA's sin / asin instead of
// libmvec's, a few ulp per ground distance).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")  // as the core and nvcc --fmad=false: no fused multiply-add
#endif
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../src/cuda/trajectory/pair_kernel.cuh"
#include "test_util.h"
#include "waybill/trajectory.h"

using namespace waybill;
using namespace waybill::trajectory;

namespace {

constexpr double kGuard = -12345.678;

struct OwnedBatch {
  std::vector<double> coords;
  std::vector<int32_t> offsets{0};
  Batch view() const { return Batch{coords.data(), offsets.data(), offsets.size() - 1, coords.size() / 2}; }
};

enum class Area { kCity, kWorld, kPlane };

/// `count` trajectories of lengths in [min_len, max_len]: random walks around Beijing (every
/// distance on the CPU's small-angle haversine path), points anywhere on the globe (the libm /
/// CUDA sin and asin path) or on the plane.
OwnedBatch random_batch(std::size_t count, std::size_t min_len, std::size_t max_len, Area area, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_int_distribution<std::size_t> len(min_len, max_len);
  OwnedBatch b;
  for (std::size_t t = 0; t < count; ++t) {
    const std::size_t n = len(rng);
    double y = area == Area::kCity ? 39.9 + 0.05 * u(rng) : area == Area::kWorld ? 80 * u(rng) : 10 * u(rng);
    double x = area == Area::kCity ? 116.4 + 0.05 * u(rng) : area == Area::kWorld ? 180 * u(rng) : 10 * u(rng);
    for (std::size_t i = 0; i < n; ++i) {
      b.coords.push_back(y);
      b.coords.push_back(x);
      if (area == Area::kCity) {
        y += 0.001 * u(rng);
        x += 0.001 * u(rng);
      } else if (area == Area::kWorld) {
        y = std::clamp(y + 20 * u(rng), -89.0, 89.0);
        x = 180 * u(rng);
      } else {
        y += u(rng);
        x += u(rng);
      }
    }
    b.offsets.push_back(static_cast<int32_t>(b.coords.size() / 2));
  }
  return b;
}

struct Case {
  const char* name;
  MeasureParams params;
};

std::vector<Case> cases(geo::Metric metric) {
  std::vector<Case> v;
  auto add = [&](const char* name, Measure m, int64_t band) {
    MeasureParams p;
    p.measure = m;
    p.metric = metric;
    p.band = band;
    v.push_back({name, p});
  };
  add("dtw", Measure::kDtw, -1);
  add("dtw band 0", Measure::kDtw, 0);
  add("dtw band 3", Measure::kDtw, 3);
  add("dtw band 10", Measure::kDtw, 10);
  add("dtw band 1000", Measure::kDtw, 1000);
  add("frechet", Measure::kFrechet, -1);
  add("frechet band 2 (ignored)", Measure::kFrechet, 2);
  add("hausdorff", Measure::kHausdorff, -1);
  return v;
}

/// Worst |x - y| / |y| over two matrices, and the number of entries that are not bit-identical.
struct Diff {
  double worst_rel = 0;
  std::size_t not_identical = 0;
};

Diff compare(const std::vector<double>& got, const std::vector<double>& ref, std::size_t lo, std::size_t hi) {
  Diff d;
  for (std::size_t k = lo; k < hi; ++k) {
    if (std::memcmp(&got[k], &ref[k], sizeof(double)) == 0) continue;
    ++d.not_identical;
    const double rel = std::fabs(got[k] - ref[k]) / std::max(std::fabs(ref[k]), 1e-300);
    d.worst_rel = std::max(d.worst_rel, std::isnan(rel) ? INFINITY : rel);
  }
  return d;
}

/// pair_distance (the CUDA recurrence) compiled for the host, over the whole n x m matrix.
std::vector<double> host_recurrence(const Batch& a, const Batch& b, const MeasureParams& p) {
  using namespace waybill::trajectory::cuda_detail;
  const bool g = p.metric == geo::Metric::kHaversine;
  auto soa = [&](const Batch& s, std::vector<double>& y, std::vector<double>& x, std::vector<double>& c,
                 std::vector<double>& box) {
    for (std::size_t q = 0; q < s.points; ++q) {
      y.push_back(s.coords[2 * q]);
      x.push_back(s.coords[2 * q + 1]);
      c.push_back(std::cos(s.coords[2 * q] * kRadD));
    }
    for (std::size_t t = 0; t < s.count; ++t) {
      double bx[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
      for (std::size_t q = s.begin(t); q < s.begin(t) + s.size(t); ++q) {
        bx[0] = std::min(bx[0], y[q]);
        bx[1] = std::max(bx[1], y[q]);
        bx[2] = std::min(bx[2], x[q]);
        bx[3] = std::max(bx[3], x[q]);
      }
      box.insert(box.end(), bx, bx + 4);
    }
  };
  std::vector<double> ay, ax, ac, abox, by, bx, bc, bbox;
  soa(a, ay, ax, ac, abox);
  soa(b, by, bx, bc, bbox);
  const DeviceBatch da{ay.data(), ax.data(), ac.data(), a.offsets, abox.data()};
  const DeviceBatch db{by.data(), bx.data(), bc.data(), b.offsets, bbox.data()};
  const KernelParams k{2 * p.radius_m, static_cast<long long>(p.band)};
  std::size_t longest = 0;
  for (std::size_t t = 0; t < b.count; ++t) longest = std::max(longest, b.size(t));
  // Stride 3 with a guard between cells: the recurrence must touch only its own interleaved cells.
  const std::size_t stride = 3;
  std::vector<double> scratch(stride * (longest + 1), kGuard);
  std::vector<double> out(a.count * b.count);
  for (std::size_t i = 0; i < a.count; ++i) {
    for (std::size_t j = 0; j < b.count; ++j) {
      double v = 0;
      switch (p.measure) {
        case Measure::kDtw:
          v = g ? pair_distance<Measure::kDtw, true>(da, db, i, j, k, scratch.data(), stride)
                : pair_distance<Measure::kDtw, false>(da, db, i, j, k, scratch.data(), stride);
          break;
        case Measure::kFrechet:
          v = g ? pair_distance<Measure::kFrechet, true>(da, db, i, j, k, scratch.data(), stride)
                : pair_distance<Measure::kFrechet, false>(da, db, i, j, k, scratch.data(), stride);
          break;
        default:
          v = g ? pair_distance<Measure::kHausdorff, true>(da, db, i, j, k, scratch.data(), stride)
                : pair_distance<Measure::kHausdorff, false>(da, db, i, j, k, scratch.data(), stride);
      }
      out[i * b.count + j] = v;
    }
  }
  for (std::size_t s = 0; s < scratch.size(); ++s) {
    if (s % stride != 0) CHECK(scratch[s] == kGuard, "host recurrence wrote scratch cell %zu of another thread", s);
  }
  return out;
}

std::vector<double> run_cpu(const Batch& a, const Batch& b, const MeasureParams& p, Status* s) {
  std::vector<double> out(a.count * b.count, kGuard);
  *s = pairwise_cpu(a, b, p, out.data(), RowRange{0, a.count}, 4);
  return out;
}

/// Compares a backend (the host-compiled recurrence or the device) with pairwise_cpu on every
/// case: bit-identical where the argument of the header says so, else within `rel`.
void check_parity(const char* what, std::vector<double> (*backend)(const Batch&, const Batch&, const MeasureParams&),
                  double rel) {
  struct Data {
    const char* name;
    Area area;
    geo::Metric metric;
    bool identical;
  };
  const Data data[] = {
      {"haversine, Beijing walks", Area::kCity, geo::Metric::kHaversine, true},
      {"haversine, whole globe", Area::kWorld, geo::Metric::kHaversine, false},
      {"euclidean", Area::kPlane, geo::Metric::kEuclidean, true},
  };
  for (const Data& d : data) {
    // Different lengths on both sides, single points included, and n != m.
    const OwnedBatch a = random_batch(23, 1, 60, d.area, 11);
    const OwnedBatch b = random_batch(31, 1, 90, d.area, 12);
    for (const Case& c : cases(d.metric)) {
      Status s;
      const std::vector<double> ref = run_cpu(a.view(), b.view(), c.params, &s);
      CHECK(s.ok(), "%s: cpu %s failed: %s", what, c.name, s.message.c_str());
      const std::vector<double> got = backend(a.view(), b.view(), c.params);
      if (got.size() != ref.size()) continue;  // the backend reported its failure
      const Diff diff = compare(got, ref, 0, ref.size());
      if (d.identical) {
        CHECK(diff.not_identical == 0, "%s, %s, %s: %zu of %zu entries differ from the CPU (worst rel %.3g)", what, d.name,
              c.name, diff.not_identical, ref.size(), diff.worst_rel);
      } else {
        CHECK(diff.worst_rel <= rel, "%s, %s, %s: worst rel %.3g > %.3g (%zu entries not identical)", what, d.name, c.name,
              diff.worst_rel, rel, diff.not_identical);
      }
    }
  }
}

std::vector<double> run_host_recurrence(const Batch& a, const Batch& b, const MeasureParams& p) {
  return host_recurrence(a, b, p);
}

std::vector<double> run_device(const Batch& a, const Batch& b, const MeasureParams& p) {
  std::vector<double> out(a.count * b.count, kGuard);
  const Status s = pairwise_cuda(a, b, p, out.data(), RowRange{0, a.count});
  CHECK(s.ok(), "pairwise_cuda (%d) failed: %s", static_cast<int>(p.measure), s.message.c_str());
  return s.ok() ? out : std::vector<double>{};
}

void check_device_rows_and_errors() {
  const OwnedBatch a = random_batch(40, 1, 50, Area::kCity, 21);
  const OwnedBatch b = random_batch(17, 1, 50, Area::kCity, 22);
  MeasureParams p;
  p.measure = Measure::kDtw;
  p.band = 4;
  // Rows [5, 29) only: the rest keeps its guard values.
  std::vector<double> ref(40 * 17, kGuard), got(40 * 17, kGuard);
  Status sa = pairwise_cpu(a.view(), b.view(), p, ref.data(), RowRange{5, 29});
  Status sb = pairwise_cuda(a.view(), b.view(), p, got.data(), RowRange{5, 29});
  CHECK(sa.ok() && sb.ok(), "row range: cpu %s, cuda %s", sa.message.c_str(), sb.message.c_str());
  CHECK(std::memcmp(ref.data(), got.data(), ref.size() * sizeof(double)) == 0, "row range [5, 29): cuda differs from cpu");
  CHECK(got[5 * 17 - 1] == kGuard && got[29 * 17] == kGuard, "row range: guard values overwritten");
  CHECK(pairwise_cuda(a.view(), b.view(), p, nullptr, RowRange{3, 3}).ok(), "empty row range must succeed");

  // Over 2^20 pairs: the kernel runs in more than one launch.
  const OwnedBatch sa2 = random_batch(1100, 1, 6, Area::kPlane, 23);
  const OwnedBatch sb2 = random_batch(1000, 1, 6, Area::kPlane, 24);
  p.metric = geo::Metric::kEuclidean;
  p.band = -1;
  Status s;
  const std::vector<double> big_ref = run_cpu(sa2.view(), sb2.view(), p, &s);
  const std::vector<double> big = run_device(sa2.view(), sb2.view(), p);
  if (s.ok() && big.size() == big_ref.size()) {
    CHECK(compare(big, big_ref, 0, big.size()).not_identical == 0, "1100 x 1000 (two launches): cuda differs from cpu");
  }

  p.measure = Measure::kErp;
  s = pairwise_cuda(a.view(), b.view(), p, got.data(), RowRange{0, 40});
  CHECK(s.code == StatusCode::kUnsupported && s.message.find("erp") != std::string::npos, "erp: %s", s.message.c_str());
  p.measure = Measure::kFrechet;
  OwnedBatch e = random_batch(3, 2, 4, Area::kCity, 25);
  e.offsets.push_back(e.offsets.back());  // an empty fourth trajectory
  s = pairwise_cuda(a.view(), e.view(), p, got.data(), RowRange{0, 1});
  CHECK(s.code == StatusCode::kInvalidArgument && s.message.find("empty") != std::string::npos, "empty b: %s",
        s.message.c_str());
  s = pairwise_cuda(a.view(), b.view(), p, got.data(), RowRange{0, 41});
  CHECK(s.code == StatusCode::kInvalidArgument, "row range past n: %s", s.message.c_str());
}

}  // namespace

/// Part of `waybill_tests trajectory`: the CUDA recurrence, host-compiled, against pairwise_cpu.
int run_trajectory_cuda_host_suite() {
  // Host libm sin / asin instead of libmvec's on the whole-globe case: a few ulp.
  check_parity("host-compiled CUDA recurrence", run_host_recurrence, 1e-13);
  return waybill::test::failures() == 0 ? 0 : 1;
}

/// Part of `waybill_tests cuda` (a device is present): the kernel against pairwise_cpu.
int run_trajectory_cuda_suite() {
  check_parity("cuda", run_device, 1e-12);
  check_device_rows_and_errors();
  return waybill::test::failures() == 0 ? 0 : 1;
}
