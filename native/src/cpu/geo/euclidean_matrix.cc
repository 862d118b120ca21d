// Euclidean (planar) distance matrix, C++ CPU backend. Destinations are de-interleaved once per
// call so the row loop vectorises.
#include <cmath>
#include <vector>

#include "simd_math.h"
#include "waybill/geo.h"

namespace waybill::geo {
namespace {

template <typename Out>
WAYBILL_VECTOR_CLONES void euclidean_row(double ox, double oy, const double* __restrict dx,
                                         const double* __restrict dy, std::size_t m, Out* __restrict out) {
  for (std::size_t j = 0; j < m; ++j) {
    const double ex = ox - dx[j];
    const double ey = oy - dy[j];
    out[j] = static_cast<Out>(std::sqrt(ex * ex + ey * ey));
  }
}

}  // namespace

template <typename Out>
Status euclidean_matrix_cpu(const double* origins, std::size_t n, const double* dests, std::size_t m, Out* out,
                            RowRange rows, CancelToken cancel) {
  if (rows.end > n || rows.begin > rows.end) {
    return Status::Error(StatusCode::kInvalidArgument, "row range outside [0, n]");
  }
  if (m == 0 || rows.begin == rows.end) return Status::Ok();
  std::vector<double> dx(m), dy(m);
  for (std::size_t j = 0; j < m; ++j) {
    dx[j] = dests[2 * j];
    dy[j] = dests[2 * j + 1];
  }
  for (std::size_t i = rows.begin; i < rows.end; ++i) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    euclidean_row<Out>(origins[2 * i], origins[2 * i + 1], dx.data(), dy.data(), m, out + i * m);
  }
  return Status::Ok();
}

template Status euclidean_matrix_cpu<double>(const double*, std::size_t, const double*, std::size_t, double*,
                                             RowRange, CancelToken);
template Status euclidean_matrix_cpu<float>(const double*, std::size_t, const double*, std::size_t, float*,
                                            RowRange, CancelToken);

}  // namespace waybill::geo
