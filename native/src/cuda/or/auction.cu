// Dense linear assignment by the auction algorithm on a CUDA device (Jacobi rounds): every
// unassigned row computes its bid in parallel (one block per row reduces best and second best
// over its cost row), bids meet at the columns through a 64-bit atomicMax on the bid's bits
// (prices only rise from 0, so bids are non-negative doubles whose bit patterns order like their
// values), then each column with a winner changes hands. Epsilon scaling runs on the host, as on
// the CPU, so the result is optimal for integer costs.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../cuda_check.h"
#include "waybill/or.h"

namespace waybill::opt {
namespace {

constexpr int kThreads = 128;

__global__ void bid_kernel(const double* __restrict__ cost, int n, const double* __restrict__ price,
                           const int32_t* __restrict__ assigned, double eps, int32_t* __restrict__ bid_col,
                           double* __restrict__ bid_val, unsigned long long* __restrict__ best_bid) {
  const int i = blockIdx.x;
  if (assigned[i] >= 0) {
    if (threadIdx.x == 0) bid_col[i] = -1;
    return;
  }
  __shared__ double s_best[kThreads], s_second[kThreads];
  __shared__ int s_col[kThreads];
  double best = -INFINITY, second = -INFINITY;
  int col = -1;
  const double* row = cost + static_cast<std::size_t>(i) * n;
  for (int j = threadIdx.x; j < n; j += blockDim.x) {
    const double v = -row[j] - price[j];
    if (v > best || (v == best && col > j)) {
      second = best;
      best = v;
      col = j;
    } else if (v > second) {
      second = v;
    }
  }
  s_best[threadIdx.x] = best;
  s_second[threadIdx.x] = second;
  s_col[threadIdx.x] = col;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      const int o = threadIdx.x + stride;
      const double b1 = s_best[threadIdx.x], b2 = s_best[o];
      const int c1 = s_col[threadIdx.x], c2 = s_col[o];
      const bool take_other = b2 > b1 || (b2 == b1 && c2 >= 0 && (c1 < 0 || c2 < c1));
      const double nb = take_other ? b2 : b1;
      const int nc = take_other ? c2 : c1;
      // The second best is the larger of the loser's best and both seconds.
      const double loser = take_other ? b1 : b2;
      const double ns = fmax(loser, fmax(s_second[threadIdx.x], s_second[o]));
      s_best[threadIdx.x] = nb;
      s_col[threadIdx.x] = nc;
      s_second[threadIdx.x] = ns;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const int j = s_col[0];
    const double b = s_best[0];
    const double sec = n == 1 ? b : s_second[0];
    const double bid = price[j] + b - sec + eps;
    bid_col[i] = j;
    bid_val[i] = bid;
    atomicMax(best_bid + j, static_cast<unsigned long long>(__double_as_longlong(bid)));
  }
}

/// Rows whose bid equals their column's best claim it (first one wins a tie via atomicCAS).
__global__ void claim_kernel(int n, const int32_t* __restrict__ bid_col, const double* __restrict__ bid_val,
                             const unsigned long long* __restrict__ best_bid, int32_t* __restrict__ winner) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int j = bid_col[i];
  if (j < 0) return;
  if (static_cast<unsigned long long>(__double_as_longlong(bid_val[i])) == best_bid[j]) atomicCAS(winner + j, -1, i);
}

/// Columns with a winner change hands: the old owner becomes unassigned, the price is the bid.
__global__ void assign_kernel(int n, const int32_t* __restrict__ winner, const unsigned long long* __restrict__ best_bid,
                              double* __restrict__ price, int32_t* __restrict__ owner, int32_t* __restrict__ assigned,
                              int* __restrict__ unassigned) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= n) return;
  const int w = winner[j];
  if (w < 0) return;
  const int prev = owner[j];
  if (prev >= 0) {
    assigned[prev] = -1;
  } else {
    atomicSub(unassigned, 1);  // a previously free column: one row fewer is left without a column
  }
  owner[j] = w;
  assigned[w] = j;
  price[j] = __longlong_as_double(static_cast<long long>(best_bid[j]));
}

}  // namespace

Status auction_assignment_cuda(const double* cost, std::size_t n, int32_t* row_to_col, AuctionResult* result,
                               CancelToken cancel) {
  AuctionResult r;
  if (n == 0) {
    *result = r;
    return Status::Ok();
  }
  if (n > (1u << 20)) return Status::Error(StatusCode::kInvalidArgument, "n too large for the CUDA auction");
  double cmax = 0;
  bool integral = true;
  for (std::size_t t = 0; t < n * n; ++t) {
    if (!std::isfinite(cost[t])) return Status::Error(StatusCode::kInvalidArgument, "the auction needs finite costs");
    cmax = std::max(cmax, std::fabs(cost[t]));
    integral = integral && cost[t] == std::floor(cost[t]);
  }
  if (!auction_costs_fit(cmax, n)) return Status::Error(StatusCode::kInvalidArgument, "auction costs too large: the prices would overflow");
  const bool exact = auction_exact(cmax, n, integral);
  const double eps_final = auction_final_epsilon(cmax, n, exact);
  const int N = static_cast<int>(n);
  cuda::DeviceBuffer<double> d_cost, d_price, d_bid_val;
  cuda::DeviceBuffer<int32_t> d_assigned, d_owner, d_bid_col, d_winner;
  cuda::DeviceBuffer<unsigned long long> d_best;
  cuda::DeviceBuffer<int> d_unassigned;
  WAYBILL_CUDA_TRY(d_cost.alloc(n * n));
  WAYBILL_CUDA_TRY(d_price.alloc(n));
  WAYBILL_CUDA_TRY(d_bid_val.alloc(n));
  WAYBILL_CUDA_TRY(d_assigned.alloc(n));
  WAYBILL_CUDA_TRY(d_owner.alloc(n));
  WAYBILL_CUDA_TRY(d_bid_col.alloc(n));
  WAYBILL_CUDA_TRY(d_winner.alloc(n));
  WAYBILL_CUDA_TRY(d_best.alloc(n));
  WAYBILL_CUDA_TRY(d_unassigned.alloc(1));
  WAYBILL_CUDA_TRY(cudaMemcpy(d_cost.ptr, cost, n * n * sizeof(double), cudaMemcpyHostToDevice));
  WAYBILL_CUDA_TRY(cudaMemset(d_price.ptr, 0, n * sizeof(double)));
  double eps = std::max(eps_final, cmax / 4.0);
  const int grid = (N + 255) / 256;
  while (true) {
    ++r.phases;
    WAYBILL_CUDA_TRY(cudaMemset(d_assigned.ptr, 0xff, n * sizeof(int32_t)));  // -1
    WAYBILL_CUDA_TRY(cudaMemset(d_owner.ptr, 0xff, n * sizeof(int32_t)));
    int left = N;
    WAYBILL_CUDA_TRY(cudaMemcpy(d_unassigned.ptr, &left, sizeof(int), cudaMemcpyHostToDevice));
    while (left > 0) {
      if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
      WAYBILL_CUDA_TRY(cudaMemset(d_best.ptr, 0, n * sizeof(unsigned long long)));
      WAYBILL_CUDA_TRY(cudaMemset(d_winner.ptr, 0xff, n * sizeof(int32_t)));
      bid_kernel<<<N, kThreads>>>(d_cost.ptr, N, d_price.ptr, d_assigned.ptr, eps, d_bid_col.ptr, d_bid_val.ptr, d_best.ptr);
      WAYBILL_CUDA_TRY_LAUNCH();
      claim_kernel<<<grid, 256>>>(N, d_bid_col.ptr, d_bid_val.ptr, d_best.ptr, d_winner.ptr);
      WAYBILL_CUDA_TRY_LAUNCH();
      assign_kernel<<<grid, 256>>>(N, d_winner.ptr, d_best.ptr, d_price.ptr, d_owner.ptr, d_assigned.ptr, d_unassigned.ptr);
      WAYBILL_CUDA_TRY_LAUNCH();
      WAYBILL_CUDA_TRY(cudaMemcpy(&left, d_unassigned.ptr, sizeof(int), cudaMemcpyDeviceToHost));
      r.bids += 1;  // rounds, on the device
    }
    if (eps <= eps_final) break;
    eps = std::max(eps_final, eps / 5.0);
  }
  WAYBILL_CUDA_TRY(cudaMemcpy(row_to_col, d_assigned.ptr, n * sizeof(int32_t), cudaMemcpyDeviceToHost));
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += cost[i * n + static_cast<std::size_t>(row_to_col[i])];
  r.total = total;
  r.bound = exact ? 0.0 : static_cast<double>(n) * eps_final;
  *result = r;
  return Status::Ok();
}

}  // namespace waybill::opt
