// Euclidean distance matrix, CUDA backend: one thread per pair, float64, row chunks of <= 1 GiB.
#include <algorithm>

#include "../cuda_check.h"
#include "waybill/geo.h"

namespace waybill::geo {
namespace {

template <typename Out>
__global__ void euclidean_kernel(const double* __restrict__ o, int no, const double* __restrict__ d, int nd,
                                 Out* __restrict__ out) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  const int i = blockIdx.y * blockDim.y + threadIdx.y;
  if (i >= no || j >= nd) return;
  const std::size_t si = static_cast<std::size_t>(i), sj = static_cast<std::size_t>(j);
  const double ex = o[2 * si] - d[2 * sj];
  const double ey = o[2 * si + 1] - d[2 * sj + 1];
  out[static_cast<std::size_t>(i) * nd + j] = static_cast<Out>(sqrt(ex * ex + ey * ey));
}

}  // namespace

template <typename Out>
Status euclidean_matrix_cuda(const double* origins, std::size_t n, const double* dests, std::size_t m, Out* out,
                             RowRange rows, CancelToken cancel) {
  if (rows.end > n || rows.begin > rows.end) return Status::Error(StatusCode::kInvalidArgument, "row range outside [0, n]");
  if (m == 0 || rows.begin == rows.end) return Status::Ok();
  if (m > (1u << 30) || n > (1u << 30)) return Status::Error(StatusCode::kInvalidArgument, "n or m too large for CUDA");
  const dim3 block(128, 2);
  const std::size_t chunk_rows = std::max<std::size_t>(1, cuda::kMaxChunkBytes / (m * sizeof(Out)));
  const std::size_t max_rows = std::min({chunk_rows, cuda::kMaxGridY * block.y, rows.end - rows.begin});
  cuda::DeviceBuffer<double> d_o, d_d;
  cuda::DeviceBuffer<Out> d_out;
  WAYBILL_CUDA_TRY(d_o.alloc(2 * max_rows));
  WAYBILL_CUDA_TRY(d_d.alloc(2 * m));
  WAYBILL_CUDA_TRY(d_out.alloc(max_rows * m));
  WAYBILL_CUDA_TRY(cudaMemcpy(d_d.ptr, dests, 2 * m * sizeof(double), cudaMemcpyHostToDevice));
  const int nd = static_cast<int>(m);
  for (std::size_t b = rows.begin; b < rows.end; b += max_rows) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const int no = static_cast<int>(std::min(max_rows, rows.end - b));
    WAYBILL_CUDA_TRY(cudaMemcpy(d_o.ptr, origins + 2 * b, 2 * static_cast<std::size_t>(no) * sizeof(double),
                                cudaMemcpyHostToDevice));
    const dim3 grid((nd + block.x - 1) / block.x, (no + block.y - 1) / block.y);
    euclidean_kernel<Out><<<grid, block>>>(d_o.ptr, no, d_d.ptr, nd, d_out.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    WAYBILL_CUDA_TRY(cudaMemcpy(out + b * m, d_out.ptr, static_cast<std::size_t>(no) * m * sizeof(Out),
                                cudaMemcpyDeviceToHost));
  }
  return Status::Ok();
}

template Status euclidean_matrix_cuda<double>(const double*, std::size_t, const double*, std::size_t, double*,
                                              RowRange, CancelToken);
template Status euclidean_matrix_cuda<float>(const double*, std::size_t, const double*, std::size_t, float*,
                                             RowRange, CancelToken);

}  // namespace waybill::geo
