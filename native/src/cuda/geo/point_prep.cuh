// Device-side per-point trigonometry for the haversine kernels (mirrors cpu/geo/prepared_points.h).
#pragma once

#include <cuda_runtime.h>

namespace waybill::geo::cuda_detail {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

/// Five arrays of `count` doubles, laid out back to back: sin(lat/2), cos(lat/2), cos(lat),
/// sin(lng/2), cos(lng/2).
static __global__ void prepare_points(const double* __restrict__ latlng, int count, double* __restrict__ prep) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const double lat = latlng[2 * i] * kDegToRad;
  const double lng = latlng[2 * i + 1] * kDegToRad;
  double s, c;
  sincos(0.5 * lat, &s, &c);
  prep[i] = s;
  prep[count + i] = c;
  prep[2 * count + i] = cos(lat);
  sincos(0.5 * lng, &s, &c);
  prep[3 * count + i] = s;
  prep[4 * count + i] = c;
}

__device__ inline double haversine_from_prep(const double* __restrict__ po, int no, int i,
                                             const double* __restrict__ pd, int nd, int j, double two_r) {
  const double s_dphi = po[i] * pd[nd + j] - po[no + i] * pd[j];
  const double s_dlam = po[3 * no + i] * pd[4 * nd + j] - po[4 * no + i] * pd[3 * nd + j];
  double a = s_dphi * s_dphi + po[2 * no + i] * pd[2 * nd + j] * s_dlam * s_dlam;
  a = a < 1.0 ? a : 1.0;
  return two_r * asin(sqrt(a));
}

}  // namespace waybill::geo::cuda_detail
