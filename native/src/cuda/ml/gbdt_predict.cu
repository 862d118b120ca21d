// GBDT batch prediction, CUDA backend (gbdt_predict_cuda in waybill/ml.h).
//
// Layout: one thread per row, walking every tree in tree order (forest_eval.cuh). A row sums at
// most a few hundred leaves, so a tree-parallel split would need a cross-thread reduction that
// either changes the summation order or serialises it again; rows are plentiful (the kernel is
// meant for 1e5..1e7 rows). The forest is repacked into 32-byte node records (about 100 KB for
// 100 trees of 31 leaves) that stay in L1 / L2; a categorical node's codes become a bitset
// (cat_bits.h) when they are all under 4096, so a row tests one bit instead of a binary search. The features of a chunk of rows are uploaded
// row-major (one contiguous copy of the caller's matrix) and transposed on the device to
// column-major, so at a node where the threads of a warp test the same feature (the root of every
// tree, and wherever they follow the same path) their loads coalesce.
//
// Parity with gbdt_predict_cpu: the same branch at every node, leaves added in tree order,
// v = v + leaf, and the transform (sigmoid / exp) computed with the port of V8's exp
// (forest_eval.cuh js_exp); only +, -, *, / and comparisons, IEEE-exact with --fmad=false, so raw
// and transformed predictions are bit-identical to the CPU (native/test/test_ml_cuda.cc,
// test/kernels/ml-cuda-parity.test.ts).
#include <algorithm>
#include <string>
#include <vector>

#include "../../cpu/ml/internal.h"
#include "../cuda_check.h"
#include "forest_eval.cuh"
#include "waybill/ml.h"

namespace waybill::ml {
namespace {

using cuda_detail::ForestArrays;
using cuda_detail::PackedForest;
using cuda_detail::PackedNode;

constexpr int kThreads = 128;
constexpr int kTile = 32;

/// Column-major copy of a row-major chunk: out[f * rows + r] = in[r * p + f]. 32 x 32 tiles
/// through shared memory (one padding column against bank conflicts); blockDim (32, 8).
__global__ void transpose_kernel(const double* __restrict__ in, std::size_t rows, std::size_t p,
                                 double* __restrict__ out) {
  __shared__ double tile[kTile][kTile + 1];
  const std::size_t r0 = static_cast<std::size_t>(blockIdx.y) * kTile;
  const std::size_t f0 = static_cast<std::size_t>(blockIdx.x) * kTile;
  for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
    const std::size_t r = r0 + k, f = f0 + threadIdx.x;
    if (r < rows && f < p) tile[k][threadIdx.x] = in[r * p + f];
  }
  __syncthreads();
  for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
    const std::size_t f = f0 + k, r = r0 + threadIdx.x;
    if (r < rows && f < p) out[f * rows + r] = tile[threadIdx.x][k];
  }
}

/// out[r] for the rows of a column-major chunk (count rows).
__global__ void predict_kernel(ForestArrays forest, const double* __restrict__ cols, std::size_t count, int objective,
                               bool transform, double* __restrict__ out) {
  const std::size_t r = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= count) return;
  const double v = cuda_detail::forest_raw(forest, cols + r, count);
  out[r] = transform ? cuda_detail::transform_raw(objective, v) : v;
}

/// Allocates `buf` for a host vector and copies it to the device.
template <typename T>
Status upload(const std::vector<T>& host, cuda::DeviceBuffer<T>& buf) {
  WAYBILL_CUDA_TRY(buf.alloc(host.size()));
  WAYBILL_CUDA_TRY(cudaMemcpy(buf.ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  return Status::Ok();
}

/// Rows per chunk: the row-major upload and its column-major copy within kMaxChunkBytes, and at
/// most kMaxGridY x-tiles high for the transpose grid.
std::size_t rows_per_chunk(std::size_t p, std::size_t rows) {
  const std::size_t by_memory = std::max<std::size_t>(1, cuda::kMaxChunkBytes / (2 * p * sizeof(double)));
  return std::min({by_memory, rows, cuda::kMaxGridY * kTile});
}

}  // namespace

Status gbdt_predict_cuda(const ForestView& forest, Objective objective, std::size_t num_trees, const double* features,
                         std::size_t rows, bool transform, double* out, RowRange range, CancelToken cancel) {
  const int kind = static_cast<int>(objective);
  if (kind < 0 || kind > 5) return Status::Error(StatusCode::kInvalidArgument, "unknown objective");
  Status s = detail::check_forest(forest, num_trees, features, rows, range);
  if (!s.ok()) return s;
  if (range.begin == range.end) return Status::Ok();
  if (out == nullptr) return Status::Error(StatusCode::kInvalidArgument, "out is null");
  const std::size_t p = forest.num_features;

  const PackedForest packed = cuda_detail::pack_forest(forest, num_trees);
  cuda::DeviceBuffer<int32_t> d_roots;
  cuda::DeviceBuffer<PackedNode> d_nodes;
  cuda::DeviceBuffer<double> d_cats, d_leaves, d_rows, d_cols, d_out;
  cuda::DeviceBuffer<uint64_t> d_cat_bits;
  s = upload(packed.roots, d_roots);
  if (s.ok()) s = upload(packed.nodes, d_nodes);
  if (s.ok()) s = upload(packed.cat_values, d_cats);
  if (s.ok()) s = upload(packed.cat_bits, d_cat_bits);
  if (s.ok()) s = upload(packed.leaf_value, d_leaves);
  if (!s.ok()) return s;
  const ForestArrays view{d_roots.ptr,  d_nodes.ptr, d_cats.ptr, d_cat_bits.ptr,
                          d_leaves.ptr, static_cast<int32_t>(num_trees), forest.init_score};

  const std::size_t chunk = rows_per_chunk(p, range.end - range.begin);
  WAYBILL_CUDA_TRY(d_rows.alloc(chunk * p));
  WAYBILL_CUDA_TRY(d_cols.alloc(chunk * p));
  WAYBILL_CUDA_TRY(d_out.alloc(chunk));
  for (std::size_t r = range.begin; r < range.end; r += chunk) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "prediction cancelled");
    const std::size_t count = std::min(chunk, range.end - r);
    WAYBILL_CUDA_TRY(cudaMemcpy(d_rows.ptr, features + r * p, count * p * sizeof(double), cudaMemcpyHostToDevice));
    const dim3 tgrid(static_cast<unsigned>((p + kTile - 1) / kTile),
                     static_cast<unsigned>((count + kTile - 1) / kTile));
    transpose_kernel<<<tgrid, dim3(kTile, 8)>>>(d_rows.ptr, count, p, d_cols.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    const unsigned blocks = static_cast<unsigned>((count + kThreads - 1) / kThreads);
    predict_kernel<<<blocks, kThreads>>>(view, d_cols.ptr, count, kind, transform, d_out.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    WAYBILL_CUDA_TRY(cudaMemcpy(out + r, d_out.ptr, count * sizeof(double), cudaMemcpyDeviceToHost));
  }
  return Status::Ok();
}

}  // namespace waybill::ml
