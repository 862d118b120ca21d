// Device-side per-point trigonometry for the haversine kernels (mirrors cpu/geo/prepared_points.h).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace waybill::geo::cuda_detail {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

/// Five arrays of `count` doubles, laid out back to back: sin(lat/2), cos(lat/2), cos(lat),
/// sin(lng/2), cos(lng/2).
/// Offsets are 64-bit: count may be up to 2^30, and 4 * count does not fit in an int.
static __global__ void prepare_points(const double* __restrict__ latlng, int count, double* __restrict__ prep) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const std::size_t n = static_cast<std::size_t>(count), ii = static_cast<std::size_t>(i);
  const double lat = latlng[2 * ii] * kDegToRad;
  const double lng = latlng[2 * ii + 1] * kDegToRad;
  double s, c;
  sincos(0.5 * lat, &s, &c);
  prep[ii] = s;
  prep[n + ii] = c;
  prep[2 * n + ii] = cos(lat);
  sincos(0.5 * lng, &s, &c);
  prep[3 * n + ii] = s;
  prep[4 * n + ii] = c;
}

__device__ inline double haversine_from_prep(const double* __restrict__ po, int no, int i,
                                             const double* __restrict__ pd, int nd, int j, double two_r) {
  const std::size_t sn = static_cast<std::size_t>(no), sm = static_cast<std::size_t>(nd);
  const std::size_t si = static_cast<std::size_t>(i), sj = static_cast<std::size_t>(j);
  const double s_dphi = po[si] * pd[sm + sj] - po[sn + si] * pd[sj];
  const double s_dlam = po[3 * sn + si] * pd[4 * sm + sj] - po[4 * sn + si] * pd[3 * sm + sj];
  double a = s_dphi * s_dphi + po[2 * sn + si] * pd[2 * sm + sj] * s_dlam * s_dlam;
  a = a < 1.0 ? a : 1.0;
  return two_r * asin(sqrt(a));
}

}  // namespace waybill::geo::cuda_detail
