// Haversine distance matrix, C++ CPU backend.
//
// d = 2 R asin(sqrt(a)),  a = sin^2(dphi/2) + cos(phi1) cos(phi2) sin^2(dlambda/2)
// with sin((x - y)/2) = sin(x/2)cos(y/2) - cos(x/2)sin(y/2), so no trigonometry runs per pair.
// a is clamped to [0, 1] (rounding can push antipodal pairs a hair above 1).
#include <algorithm>

#include "prepared_points.h"
#include "simd_math.h"
#include "waybill/geo.h"

namespace waybill::geo {
namespace {

template <typename Out>
WAYBILL_VECTOR_CLONES void haversine_row(double so, double co, double clat, double slo, double clo,
                                         const double* __restrict sd, const double* __restrict cd,
                                         const double* __restrict clatd, const double* __restrict sld,
                                         const double* __restrict cld, std::size_t m, double two_r,
                                         Out* __restrict out) {
  for (std::size_t j = 0; j < m; ++j) {
    const double s_dphi = so * cd[j] - co * sd[j];
    const double s_dlam = slo * cld[j] - clo * sld[j];
    double a = s_dphi * s_dphi + clat * clatd[j] * s_dlam * s_dlam;
    a = a < 1.0 ? a : 1.0;
    out[j] = static_cast<Out>(two_r * std::asin(std::sqrt(a)));
  }
}

}  // namespace

template <typename Out>
Status haversine_matrix_cpu(const double* origins, std::size_t n, const double* dests, std::size_t m,
                            double radius_m, Out* out, RowRange rows, CancelToken cancel) {
  if (rows.end > n || rows.begin > rows.end) {
    return Status::Error(StatusCode::kInvalidArgument, "row range outside [0, n]");
  }
  if (m == 0 || rows.begin == rows.end) return Status::Ok();
  const detail::PreparedPoints o(origins + 2 * rows.begin, rows.end - rows.begin);
  const detail::PreparedPoints d(dests, m);
  const double two_r = 2.0 * radius_m;
  for (std::size_t i = rows.begin; i < rows.end; ++i) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const std::size_t r = i - rows.begin;
    haversine_row<Out>(o.sin_half_lat[r], o.cos_half_lat[r], o.cos_lat[r], o.sin_half_lng[r], o.cos_half_lng[r],
                       d.sin_half_lat.data(), d.cos_half_lat.data(), d.cos_lat.data(), d.sin_half_lng.data(),
                       d.cos_half_lng.data(), m, two_r, out + i * m);
  }
  return Status::Ok();
}

template Status haversine_matrix_cpu<double>(const double*, std::size_t, const double*, std::size_t, double, double*,
                                             RowRange, CancelToken);
template Status haversine_matrix_cpu<float>(const double*, std::size_t, const double*, std::size_t, double, float*,
                                            RowRange, CancelToken);

}  // namespace waybill::geo
