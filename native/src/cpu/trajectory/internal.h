// Private helpers of the trajectory CPU kernels: ground distances written exactly as the
// TypeScript reference evaluates them, vectorised rows over one trajectory, and a small
// std::thread work splitter.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "../geo/prepared_points.h"
#include "../geo/simd_math.h"
#include "waybill/trajectory.h"

#if defined(WAYBILL_HAVE_LIBMVEC)
extern "C" {
__attribute__((simd("notinbranch"))) double sin(double) noexcept;
}
#endif

namespace waybill::trajectory::detail {

using geo::detail::AlignedDoubles;
// Math.PI / 180 in the reference: the same double.
constexpr double kRad = 3.14159265358979323846 / 180.0;

/// The reference's haversine (src/kernels/geo/haversine-matrix.ts), operation for operation.
inline double haversine(double lat1, double lng1, double lat2, double lng2, double radius) {
  const double s_lat = std::sin((lat2 - lat1) * kRad / 2);
  const double s_lng = std::sin((lng2 - lng1) * kRad / 2);
  const double a = s_lat * s_lat + std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * s_lng * s_lng;
  return 2 * radius * std::asin(std::sqrt(a < 1.0 ? a : 1.0));
}

/// Half-angle differences up to this (radians; ~400 km of latitude) take the series below.
constexpr double kSmallHalfAngle = 1.0 / 32;

/// sin(d) for |d| <= kSmallHalfAngle: Taylor series to d^7 (truncation < 3e-18 relative).
inline double sin_small(double d) {
  const double d2 = d * d;
  return d + d * d2 * (-1.0 / 6 + d2 * (1.0 / 120 + d2 * (-1.0 / 5040)));
}

/// asin(x) for 0 <= x <= sqrt(2) sin(kSmallHalfAngle) < 0.0442: series to x^11 (truncation < 1e-18 relative).
inline double asin_small(double x) {
  const double x2 = x * x;
  return x + x * x2 * (1.0 / 6 + x2 * (3.0 / 40 + x2 * (15.0 / 336 + x2 * (105.0 / 3456 + x2 * (945.0 / 42240)))));
}

/// The reference's haversine with the cosines of both latitudes supplied (cos(lat * kRad), the
/// values the reference computes inline) and, when both half-angle differences are small, the
/// series instead of libm's sin and asin: within a few ulp of the reference, several times faster.
inline double haversine_cos(double lat1, double lng1, double c1, double lat2, double lng2, double c2, double radius) {
  const double dl = (lat2 - lat1) * kRad / 2;
  const double dn = (lng2 - lng1) * kRad / 2;
  const bool small = std::fabs(dl) <= kSmallHalfAngle && std::fabs(dn) <= kSmallHalfAngle;
  const double s_lat = small ? sin_small(dl) : std::sin(dl);
  const double s_lng = small ? sin_small(dn) : std::sin(dn);
  double a = s_lat * s_lat + c1 * c2 * s_lng * s_lng;
  a = a < 1.0 ? a : 1.0;
  return 2 * radius * (small ? asin_small(std::sqrt(a)) : std::asin(std::sqrt(a)));
}

/// V8's Math.hypot for two finite arguments, bit for bit: both magnitudes are divided by the
/// larger one, then sqrt(n0^2 + n1^2) * max (its Kahan compensation is exactly 0 for two terms).
/// std::hypot differs from it in the last ulp on about a third of inputs.
inline double hypot_js(double u, double v) {
  const double au = std::fabs(u), av = std::fabs(v);
  const double mx = au > av ? au : av;
  const double q = mx > 0 ? mx : 1.0;  // mx == 0: 0 * 0 below, as V8's early return
  const double n0 = au / q, n1 = av / q;
  return std::sqrt(n0 * n0 + n1 * n1) * mx;
}

/// Ground distance between two single points, as the reference's distanceBetween.
inline double ground_distance(bool geographic, double radius, double y1, double x1, double y2, double x2) {
  return geographic ? haversine(y1, x1, y2, x2, radius) : hypot_js(y1 - y2, x1 - x2);
}

/// Structure-of-arrays copy of a batch for the vectorised rows: each trajectory starts on a
/// 64-byte boundary, so a row's SIMD / scalar split depends only on the pair, never on where the
/// batch or a thread's scratch happens to sit in memory.
struct PreparedBatch {
  std::vector<std::size_t> start;  // count entries: first slot of trajectory t
  std::vector<double> box;         // 4 per trajectory: min / max of y, min / max of x
  AlignedDoubles y, x, c;          // lat or y, lng or x, cos(lat * kRad) (haversine only)

  PreparedBatch(const Batch& b, bool geographic);
  static std::size_t padded_size(const Batch& b);
};

/// One trajectory of a prepared batch (or of a query): pointers to its SoA arrays.
struct Seg {
  const double* y = nullptr;
  const double* x = nullptr;
  const double* c = nullptr;
  std::size_t size = 0;
  double y_min = 0, y_max = 0, x_min = 0, x_max = 0;  // bounding box (empty: +inf / -inf)
};

/// out[j] = ground distance from point (y1, x1) (cos of latitude c1) to point j of s, for j in
/// [lo, hi). Vectorised (libmvec sin/asin when present).
void ground_row(bool geographic, double radius, double y1, double x1, double c1, const Seg& s, std::size_t lo,
                std::size_t hi, double* out);

/// Runs body(lo, hi) over [begin, end) in chunks of `chunk` on up to `threads` threads (the
/// calling thread included). `make` builds one body per thread (its private scratch). Polls
/// `cancel` between chunks; the first error stops the others. Exceptions become Status.
template <typename Make>
Status parallel_chunks(std::size_t begin, std::size_t end, std::size_t chunk, int threads, CancelToken cancel,
                       Make make) {
  if (begin >= end) return Status::Ok();
  chunk = std::max<std::size_t>(1, chunk);
  const std::size_t chunks = (end - begin + chunk - 1) / chunk;
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(threads < 1 ? 1 : threads, chunks));
  std::atomic<std::size_t> next{begin};
  std::atomic<bool> stop{false};
  std::mutex mu;
  Status first;
  auto fail = [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (first.ok()) first = std::move(s);
    stop.store(true, std::memory_order_relaxed);
  };
  auto loop = [&] {
    try {
      auto body = make();
      for (;;) {
        if (stop.load(std::memory_order_relaxed)) return;
        if (cancel.cancelled()) return fail(Status::Error(StatusCode::kCancelled, "cancelled"));
        const std::size_t lo = next.fetch_add(chunk, std::memory_order_relaxed);
        if (lo >= end) return;
        Status s = body(lo, std::min(end, lo + chunk));
        if (!s.ok()) return fail(std::move(s));
      }
    } catch (const std::bad_alloc&) {
      fail(Status::Error(StatusCode::kOutOfMemory, "out of host memory in a trajectory kernel"));
    } catch (const std::exception& e) {
      fail(Status::Error(StatusCode::kInvalidArgument, std::string("trajectory kernel failed: ") + e.what()));
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(loop);
  loop();
  for (auto& t : pool) t.join();
  return first;
}

/// Row range check shared by the kernels.
inline Status check_range(RowRange r, std::size_t n, const char* what) {
  if (r.begin > r.end || r.end > n) {
    return Status::Error(StatusCode::kInvalidArgument, std::string(what) + " range outside [0, " + std::to_string(n) + "]");
  }
  return Status::Ok();
}

}  // namespace waybill::trajectory::detail
