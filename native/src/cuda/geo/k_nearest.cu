// k-nearest destinations, CUDA backend.
//
// Pass 1: the destinations are cut into S contiguous segments; one thread per (origin, segment)
// keeps a sorted list of its k best (distance, index) pairs while the segment streams through
// shared memory in tiles. S is chosen so that about two threads per CUDA core are busy even when
// there are few origins (with S = 1, 4000 origins filled 32 blocks of 132 SMs).
// Pass 2 (S > 1): one thread per origin merges its S lists by the same insertion.
// Candidates are always visited in increasing destination index (segments in order, and within a
// list equal distances are in index order) and inserted after equal distances, so ties resolve
// to the lower index exactly as on the CPU. A segment shorter than k pads with (+inf, INT32_MAX).
#include <math_constants.h>

#include <algorithm>
#include <climits>

#include "../cuda_check.h"
#include "point_prep.cuh"
#include "waybill/geo.h"

namespace waybill::geo {
namespace {

constexpr int kThreads = 128;
constexpr int kTile = 256;

/// Inserts (dist, idx) into the sorted list of `count` (<= k) entries, after equal distances.
__device__ inline void insert_candidate(double* best_d, int32_t* best_i, int& count, int k, double dist, int32_t idx) {
  if (count == k && !(dist < best_d[k - 1])) return;
  int p = count < k ? count++ : k - 1;
  while (p > 0 && best_d[p - 1] > dist) {
    best_d[p] = best_d[p - 1];
    best_i[p] = best_i[p - 1];
    --p;
  }
  best_d[p] = dist;
  best_i[p] = idx;
}

/// Grid: x over origins (kThreads per block), y over segments of `seg_len` destinations.
/// Writes list (i, s) at ((i * S + s) * k) of out_idx / out_dist.
__global__ void k_nearest_kernel(const double* __restrict__ po, const double* __restrict__ o, int no,
                                 const double* __restrict__ pd, const double* __restrict__ d, int nd, int k,
                                 int seg_len, int metric, double two_r, int32_t* __restrict__ out_idx,
                                 double* __restrict__ out_dist) {
  __shared__ double tile[5][kTile];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int seg = blockIdx.y;
  const int seg_begin = seg * seg_len;
  const int seg_end = min(nd, seg_begin + seg_len);
  double best_d[kCudaMaxK];
  int32_t best_i[kCudaMaxK];
  int count = 0;
  double o0 = 0, o1 = 0, o2 = 0, o3 = 0, o4 = 0;
  // 64-bit offsets: n and m may be up to 2^30, so 2 * i or 4 * nd does not fit in an int.
  const std::size_t si = static_cast<std::size_t>(i), sn = static_cast<std::size_t>(no);
  const std::size_t sm = static_cast<std::size_t>(nd);
  if (i < no) {
    if (metric == 0) {
      o0 = po[si]; o1 = po[sn + si]; o2 = po[2 * sn + si]; o3 = po[3 * sn + si]; o4 = po[4 * sn + si];
    } else {
      o0 = o[2 * si]; o1 = o[2 * si + 1];
    }
  }
  for (int base = seg_begin; base < seg_end; base += kTile) {
    const int len = min(kTile, seg_end - base);
    __syncthreads();
    for (int t = threadIdx.x; t < len; t += blockDim.x) {
      const std::size_t j = static_cast<std::size_t>(base + t);
      if (metric == 0) {
        for (int f = 0; f < 5; ++f) tile[f][t] = pd[f * sm + j];
      } else {
        tile[0][t] = d[2 * j];
        tile[1][t] = d[2 * j + 1];
      }
    }
    __syncthreads();
    if (i >= no) continue;
    for (int t = 0; t < len; ++t) {
      double dist;
      if (metric == 0) {
        const double s_dphi = o0 * tile[1][t] - o1 * tile[0][t];
        const double s_dlam = o3 * tile[4][t] - o4 * tile[3][t];
        double a = s_dphi * s_dphi + o2 * tile[2][t] * s_dlam * s_dlam;
        a = a < 1.0 ? a : 1.0;
        dist = two_r * asin(sqrt(a));
      } else {
        const double ex = o0 - tile[0][t];
        const double ey = o1 - tile[1][t];
        dist = sqrt(ex * ex + ey * ey);
      }
      insert_candidate(best_d, best_i, count, k, dist, base + t);
    }
  }
  if (i < no) {
    const std::size_t at = (si * gridDim.y + seg) * k;
    for (int t = 0; t < k; ++t) {
      out_dist[at + t] = t < count ? best_d[t] : CUDART_INF;
      out_idx[at + t] = t < count ? best_i[t] : INT32_MAX;
    }
  }
}

/// One thread per origin merges its `segments` sorted lists (segment order = index order).
__global__ void k_nearest_merge(const int32_t* __restrict__ part_idx, const double* __restrict__ part_dist, int no,
                                int segments, int k, int32_t* __restrict__ out_idx, double* __restrict__ out_dist) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= no) return;
  double best_d[kCudaMaxK];
  int32_t best_i[kCudaMaxK];
  int count = 0;
  const std::size_t base = static_cast<std::size_t>(i) * segments * k;
  for (int c = 0; c < segments * k; ++c) {
    insert_candidate(best_d, best_i, count, k, part_dist[base + c], part_idx[base + c]);
  }
  const std::size_t at = static_cast<std::size_t>(i) * k;
  for (int t = 0; t < k; ++t) {
    out_dist[at + t] = best_d[t];
    out_idx[at + t] = best_i[t];
  }
}

/// Segments per origin: enough (origin, segment) threads for ~2 per CUDA core, each segment at
/// least one tile and at least k destinations long, at most 1024 segments.
int choose_segments(int no, int nd, int k) {
  int device = 0, sms = 0;
  if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) {
    cudaGetLastError();
    sms = 80;
  }
  const long long target_threads = static_cast<long long>(sms) * 2048;
  long long s = (target_threads + no - 1) / no;
  const long long max_by_len = std::max(1, nd / std::max(k, kTile));
  s = std::min<long long>({s, max_by_len, 1024});
  return static_cast<int>(std::max<long long>(1, s));
}

}  // namespace

Status k_nearest_cuda(const double* origins, std::size_t n, const double* dests, std::size_t m, std::size_t k,
                      Metric metric, double radius_m, int32_t* out_index, double* out_dist, RowRange rows,
                      CancelToken cancel) {
  if (rows.end > n || rows.begin > rows.end) return Status::Error(StatusCode::kInvalidArgument, "row range outside [0, n]");
  if (k == 0 || k > m) return Status::Error(StatusCode::kInvalidArgument, "k must satisfy 1 <= k <= m");
  if (k > kCudaMaxK) return Status::Error(StatusCode::kUnsupported, "k above the CUDA limit of 64");
  if (m > (1u << 30) || n > (1u << 30)) return Status::Error(StatusCode::kInvalidArgument, "n or m too large for CUDA");
  if (rows.begin == rows.end) return Status::Ok();
  if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
  const int no = static_cast<int>(rows.end - rows.begin);
  const int nd = static_cast<int>(m);
  cuda::DeviceBuffer<double> d_o, d_d, d_po, d_pd, d_dist;
  cuda::DeviceBuffer<int32_t> d_idx;
  WAYBILL_CUDA_TRY(d_o.alloc(2 * static_cast<std::size_t>(no)));
  WAYBILL_CUDA_TRY(d_d.alloc(2 * m));
  WAYBILL_CUDA_TRY(d_dist.alloc(static_cast<std::size_t>(no) * k));
  WAYBILL_CUDA_TRY(d_idx.alloc(static_cast<std::size_t>(no) * k));
  WAYBILL_CUDA_TRY(cudaMemcpy(d_o.ptr, origins + 2 * rows.begin, 2 * static_cast<std::size_t>(no) * sizeof(double),
                              cudaMemcpyHostToDevice));
  WAYBILL_CUDA_TRY(cudaMemcpy(d_d.ptr, dests, 2 * m * sizeof(double), cudaMemcpyHostToDevice));
  if (metric == Metric::kHaversine) {
    WAYBILL_CUDA_TRY(d_po.alloc(5 * static_cast<std::size_t>(no)));
    WAYBILL_CUDA_TRY(d_pd.alloc(5 * m));
    cuda_detail::prepare_points<<<(no + 255) / 256, 256>>>(d_o.ptr, no, d_po.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    cuda_detail::prepare_points<<<(nd + 255) / 256, 256>>>(d_d.ptr, nd, d_pd.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
  }
  const int segments = choose_segments(no, nd, static_cast<int>(k));
  const int seg_len = (nd + segments - 1) / segments;
  const dim3 grid((no + kThreads - 1) / kThreads, segments);
  cuda::DeviceBuffer<double> d_part_dist;
  cuda::DeviceBuffer<int32_t> d_part_idx;
  double* pass1_dist = d_dist.ptr;
  int32_t* pass1_idx = d_idx.ptr;
  if (segments > 1) {
    const std::size_t part = static_cast<std::size_t>(no) * segments * k;
    WAYBILL_CUDA_TRY(d_part_dist.alloc(part));
    WAYBILL_CUDA_TRY(d_part_idx.alloc(part));
    pass1_dist = d_part_dist.ptr;
    pass1_idx = d_part_idx.ptr;
  }
  k_nearest_kernel<<<grid, kThreads>>>(d_po.ptr, d_o.ptr, no, d_pd.ptr, d_d.ptr, nd, static_cast<int>(k), seg_len,
                                       static_cast<int>(metric), 2.0 * radius_m, pass1_idx, pass1_dist);
  WAYBILL_CUDA_TRY_LAUNCH();
  if (segments > 1) {
    k_nearest_merge<<<(no + kThreads - 1) / kThreads, kThreads>>>(pass1_idx, pass1_dist, no, segments,
                                                                   static_cast<int>(k), d_idx.ptr, d_dist.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
  }
  WAYBILL_CUDA_TRY(cudaMemcpy(out_dist + rows.begin * k, d_dist.ptr, static_cast<std::size_t>(no) * k * sizeof(double),
                              cudaMemcpyDeviceToHost));
  WAYBILL_CUDA_TRY(cudaMemcpy(out_index + rows.begin * k, d_idx.ptr, static_cast<std::size_t>(no) * k * sizeof(int32_t),
                              cudaMemcpyDeviceToHost));
  return Status::Ok();
}

}  // namespace waybill::geo
