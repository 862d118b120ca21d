// Haversine distance matrix, C++ CPU backend.
//
// d = 2 R asin(sqrt(a)),  a = sin^2(dphi/2) + cos(phi1) cos(phi2) sin^2(dlambda/2)
// with sin((x - y)/2) = sin(x/2)cos(y/2) - cos(x/2)sin(y/2), so no trigonometry runs per pair.
// a is clamped to [0, 1] (rounding can push antipodal pairs a hair above 1).
//
// Each row is computed in chunks of 512 straight into a 64-byte aligned float64 output, else
// into an aligned scratch chunk that is then copied out: the vectorised loop then splits every row into SIMD and
// scalar-remainder elements the same way whatever the caller's buffer, so a result does not
// depend on the buffer or on the row-block split (SIMD and scalar asin differ in the last ulp).
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "prepared_points.h"
#include "simd_math.h"
#include "waybill/geo.h"

namespace waybill::geo {
namespace {

WAYBILL_VECTOR_CLONES void haversine_row(double so, double co, double clat, double slo, double clo,
                                         const double* __restrict sd, const double* __restrict cd,
                                         const double* __restrict clatd, const double* __restrict sld,
                                         const double* __restrict cld, std::size_t m, double two_r,
                                         double* __restrict row) {
  for (std::size_t j = 0; j < m; ++j) {
    const double s_dphi = so * cd[j] - co * sd[j];
    const double s_dlam = slo * cld[j] - clo * sld[j];
    double a = s_dphi * s_dphi + clat * clatd[j] * s_dlam * s_dlam;
    a = a < 1.0 ? a : 1.0;
    row[j] = two_r * std::asin(std::sqrt(a));
  }
}

template <typename Out>
void copy_row(const double* __restrict row, std::size_t m, Out* __restrict out) {
  for (std::size_t j = 0; j < m; ++j) out[j] = static_cast<Out>(row[j]);
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
  // Scratch for one chunk of a row: small enough to stay in L1 next to the destination terms.
  constexpr std::size_t kChunk = 512;
  detail::AlignedDoubles scratch(kChunk);
  const double two_r = 2.0 * radius_m;
  for (std::size_t i = rows.begin; i < rows.end; ++i) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const std::size_t r = i - rows.begin;
    Out* dst = out + i * m;
    const bool direct = std::is_same_v<Out, double> && reinterpret_cast<std::uintptr_t>(dst) % 64 == 0;
    for (std::size_t c = 0; c < m; c += kChunk) {
      const std::size_t len = std::min(kChunk, m - c);
      double* target = direct ? reinterpret_cast<double*>(dst + c) : scratch.data();
      haversine_row(o.sin_half_lat[r], o.cos_half_lat[r], o.cos_lat[r], o.sin_half_lng[r], o.cos_half_lng[r],
                    d.sin_half_lat.data() + c, d.cos_half_lat.data() + c, d.cos_lat.data() + c,
                    d.sin_half_lng.data() + c, d.cos_half_lng.data() + c, len, two_r, target);
      if (!direct) copy_row(scratch.data(), len, dst + c);
    }
  }
  return Status::Ok();
}

template Status haversine_matrix_cpu<double>(const double*, std::size_t, const double*, std::size_t, double, double*,
                                             RowRange, CancelToken);
template Status haversine_matrix_cpu<float>(const double*, std::size_t, const double*, std::size_t, double, float*,
                                            RowRange, CancelToken);

}  // namespace waybill::geo
