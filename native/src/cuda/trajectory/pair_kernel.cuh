// The per-pair dynamic programme of the CUDA pairwise kernel (similarity.cu), written once for
// the device and, compiled by the host compiler, for the CPU-side check in
// native/test/test_trajectory.cc that runs it against pairwise_cpu where no GPU is present.
// See similarity.cu for the layout and the parity argument.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "waybill/trajectory.h"

#if defined(__CUDACC__)
#define WAYBILL_HD __host__ __device__
#else
#define WAYBILL_HD
#endif

namespace waybill::trajectory::cuda_detail {

constexpr double kInfD = __builtin_huge_val();
// Math.PI / 180 and the series of cpu/trajectory/internal.h: the same doubles.
constexpr double kRadD = 3.14159265358979323846 / 180.0;
constexpr double kSmallHalfAngleD = 1.0 / 32;

/// One batch on the device, structure of arrays: y (lat), x (lng), c (cos(lat * rad), haversine
/// only), offsets (count + 1), and for b a bounding box per trajectory (y_min, y_max, x_min, x_max).
struct DeviceBatch {
  const double* y;
  const double* x;
  const double* c;
  const int32_t* offsets;
  const double* box;
};

struct KernelParams {
  double two_r;    // 2 * radius, as the CPU passes it
  long long band;  // < 0: full DTW
};

WAYBILL_HD inline double min3(double a, double b, double c) {
  const double ab = a < b ? a : b;
  return ab < c ? ab : c;
}

WAYBILL_HD inline double sin_small(double d) {
  const double d2 = d * d;
  return d + d * d2 * (-1.0 / 6 + d2 * (1.0 / 120 + d2 * (-1.0 / 5040)));
}

WAYBILL_HD inline double asin_small(double x) {
  const double x2 = x * x;
  return x + x * x2 * (1.0 / 6 + x2 * (3.0 / 40 + x2 * (15.0 / 336 + x2 * (105.0 / 3456 + x2 * (945.0 / 42240)))));
}

/// The point (y1, x1, c1) of a at the start of a row, and which haversine path the CPU takes for it.
struct RowPoint {
  double y, x, c;
  bool small;
};

WAYBILL_HD inline RowPoint row_point(const DeviceBatch& a, std::size_t p, bool geographic, const double* box) {
  RowPoint q{a.y[p], a.x[p], geographic ? a.c[p] : 0.0, false};
  if (geographic) {
    // ground_row(): the bounding box of b bounds every half-angle difference of the row.
    const double lat_span = fmax((box[1] - q.y) * kRadD / 2, (q.y - box[0]) * kRadD / 2);
    const double lng_span = fmax((box[3] - q.x) * kRadD / 2, (q.x - box[2]) * kRadD / 2);
    q.small = lat_span <= kSmallHalfAngleD && lng_span <= kSmallHalfAngleD;
  }
  return q;
}

/// Ground distance from the row point to point p of b: haversine_row / haversine_row_small /
/// euclidean_row of cpu/trajectory/ground.cc, operation for operation.
template <bool kGeo>
WAYBILL_HD inline double ground(const KernelParams& k, const RowPoint& q, const DeviceBatch& b, std::size_t p) {
  const double y = b.y[p], x = b.x[p];
  if (kGeo) {
    const double dl = (y - q.y) * kRadD / 2;
    const double dn = (x - q.x) * kRadD / 2;
    const double s_lat = q.small ? sin_small(dl) : sin(dl);
    const double s_lng = q.small ? sin_small(dn) : sin(dn);
    double h = s_lat * s_lat + q.c * b.c[p] * s_lng * s_lng;
    h = h < 1.0 ? h : 1.0;
    return k.two_r * (q.small ? asin_small(sqrt(h)) : asin(sqrt(h)));
  }
  const double au = fabs(q.y - y), av = fabs(q.x - x);
  const double mx = au > av ? au : av;
  const double qq = mx + static_cast<double>(mx == 0);
  const double n0 = au / qq, n1 = av / qq;
  return sqrt(n0 * n0 + n1 * n1) * mx;
}

/// Distance between trajectory i of a and trajectory j of b; `row` is the pair's scratch of
/// (size of b_j) + 1 doubles, cell c at row[c * stride].
template <Measure kMeasure, bool kGeo>
WAYBILL_HD inline double pair_distance(const DeviceBatch& a, const DeviceBatch& b, std::size_t i, std::size_t j,
                                       const KernelParams& k, double* row, std::size_t stride) {
  const std::size_t a0 = static_cast<std::size_t>(a.offsets[i]);
  const std::size_t n = static_cast<std::size_t>(a.offsets[i + 1]) - a0;
  const std::size_t b0 = static_cast<std::size_t>(b.offsets[j]);
  const std::size_t m = static_cast<std::size_t>(b.offsets[j + 1]) - b0;
  const double* box = b.box + 4 * j;

  if (kMeasure == Measure::kHausdorff) {
    // Row minima give h(a, b), column minima (kept in the row) h(b, a).
    for (std::size_t c = 0; c < m; ++c) row[c * stride] = kInfD;
    double worst = 0;
    for (std::size_t ii = 0; ii < n; ++ii) {
      const RowPoint q = row_point(a, a0 + ii, kGeo, box);
      double nearest = kInfD;
      for (std::size_t c = 0; c < m; ++c) {
        const double d = ground<kGeo>(k, q, b, b0 + c);
        nearest = d < nearest ? d : nearest;
        const double col = row[c * stride];
        row[c * stride] = d < col ? d : col;
      }
      worst = nearest > worst ? nearest : worst;
    }
    for (std::size_t c = 0; c < m; ++c) {
      const double col = row[c * stride];
      worst = col > worst ? col : worst;
    }
    return worst;
  } else {
    // DTW (sum) or Fréchet (max); the band only for DTW, widened to |n - m| as on the CPU.
    constexpr bool sum = kMeasure == Measure::kDtw;
    const std::size_t longer = n > m ? n : m;
    const std::size_t diff = n > m ? n - m : m - n;
    std::size_t w = longer;
    if (sum && k.band >= 0) w = static_cast<std::size_t>(k.band) > diff ? static_cast<std::size_t>(k.band) : diff;
    const bool full = w >= longer;
    row[0] = 0;  // virtual cell (-1, -1) starts the path
    for (std::size_t c = 1; c <= m; ++c) row[c * stride] = kInfD;
    for (std::size_t ii = 1; ii <= n; ++ii) {
      const std::size_t lo = full ? 1 : (ii > w ? ii - w : 1);
      const std::size_t hi = full ? m : (m < ii + w ? m : ii + w);
      const RowPoint q = row_point(a, a0 + ii - 1, kGeo, box);
      // One row in place: `diag` is the previous row's cell j - 1, `left` this row's.
      double diag = row[(lo - 1) * stride];
      row[(lo - 1) * stride] = kInfD;
      double left = kInfD;
      for (std::size_t c = lo; c <= hi; ++c) {
        const double up = row[c * stride];
        const double d = ground<kGeo>(k, q, b, b0 + c - 1);
        const double best = min3(diag, up, left);
        const double v = sum ? d + best : (d > best ? d : best);
        row[c * stride] = v;
        diag = up;
        left = v;
      }
      // Cells right of the window were never written since the fill: the next row reads them as
      // infinite, as the CPU's cur[hi + 1] = inf. Cell lo - 1 was reset above for the same reason.
    }
    return row[m * stride];
  }
}

}  // namespace waybill::trajectory::cuda_detail
