// Haversine distance matrix, CUDA backend: one thread per (origin, destination) pair, float64
// arithmetic (same formula as the CPU backend), output written in row chunks of <= 1 GiB.
#include <algorithm>

#include "../cuda_check.h"
#include "point_prep.cuh"
#include "waybill/geo.h"

namespace waybill::geo {
namespace {

template <typename Out>
__global__ void haversine_kernel(const double* __restrict__ po, int no, const double* __restrict__ pd, int nd,
                                 double two_r, Out* __restrict__ out) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  const int i = blockIdx.y * blockDim.y + threadIdx.y;
  if (i >= no || j >= nd) return;
  out[static_cast<std::size_t>(i) * nd + j] = static_cast<Out>(cuda_detail::haversine_from_prep(po, no, i, pd, nd, j, two_r));
}

}  // namespace

template <typename Out>
Status haversine_matrix_cuda(const double* origins, std::size_t n, const double* dests, std::size_t m,
                             double radius_m, Out* out, RowRange rows, CancelToken cancel) {
  if (rows.end > n || rows.begin > rows.end) return Status::Error(StatusCode::kInvalidArgument, "row range outside [0, n]");
  if (m == 0 || rows.begin == rows.end) return Status::Ok();
  if (m > (1u << 30) || n > (1u << 30)) return Status::Error(StatusCode::kInvalidArgument, "n or m too large for CUDA");
  const dim3 block(128, 2);
  const std::size_t chunk_rows = std::max<std::size_t>(1, cuda::kMaxChunkBytes / (m * sizeof(Out)));
  const std::size_t max_rows = std::min({chunk_rows, cuda::kMaxGridY * block.y, rows.end - rows.begin});
  cuda::DeviceBuffer<double> d_latlng, d_po, d_pd;
  cuda::DeviceBuffer<Out> d_out;
  WAYBILL_CUDA_TRY(d_latlng.alloc(2 * std::max(m, max_rows)));
  WAYBILL_CUDA_TRY(d_po.alloc(5 * max_rows));
  WAYBILL_CUDA_TRY(d_pd.alloc(5 * m));
  WAYBILL_CUDA_TRY(d_out.alloc(max_rows * m));
  const int nd = static_cast<int>(m);
  WAYBILL_CUDA_TRY(cudaMemcpy(d_latlng.ptr, dests, 2 * m * sizeof(double), cudaMemcpyHostToDevice));
  cuda_detail::prepare_points<<<(nd + 255) / 256, 256>>>(d_latlng.ptr, nd, d_pd.ptr);
  WAYBILL_CUDA_TRY_LAUNCH();
  for (std::size_t b = rows.begin; b < rows.end; b += max_rows) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const int no = static_cast<int>(std::min(max_rows, rows.end - b));
    WAYBILL_CUDA_TRY(cudaMemcpy(d_latlng.ptr, origins + 2 * b, 2 * static_cast<std::size_t>(no) * sizeof(double),
                                cudaMemcpyHostToDevice));
    cuda_detail::prepare_points<<<(no + 255) / 256, 256>>>(d_latlng.ptr, no, d_po.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    const dim3 grid((nd + block.x - 1) / block.x, (no + block.y - 1) / block.y);
    haversine_kernel<Out><<<grid, block>>>(d_po.ptr, no, d_pd.ptr, nd, 2.0 * radius_m, d_out.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    WAYBILL_CUDA_TRY(cudaMemcpy(out + b * m, d_out.ptr, static_cast<std::size_t>(no) * m * sizeof(Out),
                                cudaMemcpyDeviceToHost));
  }
  return Status::Ok();
}

template Status haversine_matrix_cuda<double>(const double*, std::size_t, const double*, std::size_t, double,
                                              double*, RowRange, CancelToken);
template Status haversine_matrix_cuda<float>(const double*, std::size_t, const double*, std::size_t, double, float*,
                                             RowRange, CancelToken);

}  // namespace waybill::geo
