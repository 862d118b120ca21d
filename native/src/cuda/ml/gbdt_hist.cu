// GBDT training histograms on the CUDA device (detail::make_cuda_hist, native/src/cpu/ml/internal.h).
//
// The trainer (gbdt_train.cc) keeps everything but the histograms of large leaves on the CPU. Per
// training run the bin matrix (rows x p uint8, row-major) is copied to the device once; per
// iteration the rounded gradients and hessians (two rows-long double arrays, turned into 64-bit
// fixed point on the device: hist_blocks.cuh) and the sampled features (grouped by plan_hist);
// per build the leaf's row indices (through a pinned buffer). The kernel (hist_blocks.cuh) gives
// each block one feature group and one run of rows: a shared-memory histogram filled with 64-bit
// integer atomicAdd, then added to the global histogram with atomicAdd. The global slots of the
// sampled features are zeroed before and copied back after (one copy of the span they cover
// through a pinned buffer), then turned back into doubles.
//
// Rows kept on the device (keeps_rows): per tree the sampled rows are copied once into a
// position array that mirrors the trainer's; a large leaf is partitioned in place there (flags
// from the split's 256-entry bin table, cub::DeviceScan::ExclusiveSum over them, a stable scatter
// into a scratch array copied back: hist_blocks.cuh partition_flag / partition_target), and its
// histograms read their rows from that array (build_at). The left count found on the device is
// copied back and checked against the trainer's; a leaf's rows are copied back only on request
// (get_rows).
//
// Parity: the gradients are rounded to a grid on which every sum is exact (gradient_rounding;
// the trainer refuses the device without it and builds on the CPU in an iteration whose values
// could not be rounded), so integer sums in any order give the CPU's histogram, hence every
// split, bit for bit (native/test/test_ml_cuda.cc, test/kernels/ml-cuda-parity.test.ts). A value
// off its grid comes back as kCudaError, never as a silently different tree. Every CUDA call is
// checked (cuda_check.h) and comes back as a Status.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include <cub/device/device_scan.cuh>

#include "../../cpu/ml/internal.h"
#include "../cuda_check.h"
#include "hist_blocks.cuh"

namespace waybill::ml::detail {
namespace {

using cuda_detail::HistArgs;
using cuda_detail::HistFeature;
using cuda_detail::HistPlan;
using cuda_detail::PartitionArgs;

constexpr int kThreads = 256;
// A block takes at least this many rows: its flush (up to 3 x kBlockSlots global atomics) should
// stay small next to its items (3 shared atomics per row and feature).
constexpr std::size_t kMinRowsPerBlock = 2048;
// Blocks per multiprocessor aimed at (4 blocks of 48 KiB fit in the shared memory of an SM of
// sm_80 / sm_90); a small leaf gets fewer.
constexpr std::size_t kBlocksPerSm = 8;

using cuda_detail::Fixed;

/// 64-bit integer atomicAdd on the device (shared or global memory: the generic address); += on the host.
struct AtomicAdd {
  WAYBILL_HD void operator()(Fixed* slot, Fixed v) const {
#ifdef __CUDA_ARCH__
    atomicAdd(reinterpret_cast<unsigned long long*>(slot), static_cast<unsigned long long>(v));
#else
    *slot += v;
#endif
  }
};

/// Gradients and hessians to fixed point; *bad = 1 when a value is off its grid.
__global__ void fixed_kernel(const double* grad, const double* hess, std::size_t n, double qg, double qh, Fixed* gi,
                             Fixed* hi, int* bad) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const bool ok = cuda_detail::to_fixed(grad[i], qg, &gi[i]) && cuda_detail::to_fixed(hess[i], qh, &hi[i]);
    if (!ok) *bad = 1;
  }
}

/// Block (blockIdx.x, blockIdx.y): rows [x * rows_per_block, ...) of the leaf, feature group
/// group0 + y. Dynamic shared memory: 3 x max group slots int64.
__global__ void hist_kernel(HistArgs a, std::size_t len, std::size_t rows_per_block, int32_t group0, Fixed* hist) {
  extern __shared__ Fixed block[];
  const int32_t g = group0 + static_cast<int32_t>(blockIdx.y);
  const std::size_t values = 3 * static_cast<std::size_t>(cuda_detail::group_slots(a, g));
  for (std::size_t t = threadIdx.x; t < values; t += blockDim.x) block[t] = 0;
  __syncthreads();
  const std::size_t rb = static_cast<std::size_t>(blockIdx.x) * rows_per_block;
  const std::size_t re = rb + rows_per_block < len ? rb + rows_per_block : len;
  if (rb < re) cuda_detail::add_items(a, g, rb, re, threadIdx.x, blockDim.x, block, AtomicAdd{});
  __syncthreads();
  cuda_detail::flush_block(a, g, block, threadIdx.x, blockDim.x, hist, AtomicAdd{});
}

/// Partition pass 1: flags[i] = 1 when the leaf's position i goes left (i < len); flags[len] = 0,
/// so the exclusive scan of len + 1 flags ends with the left total.
__global__ void partition_flag_kernel(PartitionArgs a, cuda_detail::RuleTable rule, std::size_t len, int32_t* flags) {
  __shared__ uint8_t table[256];
  for (int t = threadIdx.x; t < 256; t += blockDim.x) table[t] = rule.left[t];
  __syncthreads();
  a.table = table;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i <= len;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    flags[i] = i < len ? cuda_detail::partition_flag(a, i) : 0;
}

/// Partition pass 3: the leaf's positions into out at their stable targets (scan[len] = left total).
__global__ void partition_scatter_kernel(const int32_t* pos, const int32_t* flags, const int32_t* scan,
                                         std::size_t len, int32_t* out) {
  const std::size_t total = static_cast<std::size_t>(scan[len]);
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < len;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    out[cuda_detail::partition_target(flags[i], static_cast<std::size_t>(scan[i]), total, i)] = pos[i];
}

/// Blocks for a grid-stride loop over n items.
unsigned grid_for(std::size_t n) {
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>((n + kThreads - 1) / kThreads, 4096)));
}

/// Page-locked host memory that frees itself (fast copies of row indices and histograms).
template <typename T>
struct PinnedBuffer {
  T* ptr = nullptr;
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() {
    if (ptr != nullptr) cudaFreeHost(ptr);
  }
  cudaError_t alloc(std::size_t count) { return cudaMallocHost(reinterpret_cast<void**>(&ptr), count * sizeof(T) + 1); }
};

class CudaHist final : public HistDevice {
 public:
  Status init(const BinnedMatrix& binned, std::size_t rows, std::size_t p) {
    n_ = rows;
    p_ = p;
    offsets_ = binned.offsets;
    if (offsets_.size() != p + 1 || binned.bins.size() != rows * p)
      return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: the bin matrix does not match rows x p");
    const std::size_t slots = static_cast<std::size_t>(offsets_[p]);
    for (std::size_t f = 0; f < p; ++f)
      if (offsets_[f + 1] - offsets_[f] > cuda_detail::kBlockSlots)
        return Status::Error(StatusCode::kUnsupported, "CUDA histograms: feature " + std::to_string(f) + " has " +
                                                           std::to_string(offsets_[f + 1] - offsets_[f]) +
                                                           " bins, more than a block holds");
    int device = 0;
    WAYBILL_CUDA_TRY(cudaGetDevice(&device));
    WAYBILL_CUDA_TRY(cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, device));
    WAYBILL_CUDA_TRY(d_bins_.alloc(rows * p));
    WAYBILL_CUDA_TRY(cudaMemcpy(d_bins_.ptr, binned.bins.data(), rows * p, cudaMemcpyHostToDevice));
    WAYBILL_CUDA_TRY(d_grad_.alloc(rows));
    WAYBILL_CUDA_TRY(d_hess_.alloc(rows));
    WAYBILL_CUDA_TRY(d_gfix_.alloc(rows));
    WAYBILL_CUDA_TRY(d_hfix_.alloc(rows));
    WAYBILL_CUDA_TRY(d_bad_.alloc(1));
    WAYBILL_CUDA_TRY(d_rows_.alloc(rows));
    WAYBILL_CUDA_TRY(d_hist_.alloc(3 * slots));
    WAYBILL_CUDA_TRY(d_features_.alloc(p));
    WAYBILL_CUDA_TRY(d_groups_.alloc(p + 1));
    WAYBILL_CUDA_TRY(staging_.alloc(3 * slots));
    WAYBILL_CUDA_TRY(rows_staging_.alloc(rows));
    // Rows kept on the device: positions, a scatter copy, flags and their scan (rows + 1 each,
    // the scan's length in an int), the scan's scratch.
    keeps_rows_ = rows < static_cast<std::size_t>(std::numeric_limits<int32_t>::max());
    if (keeps_rows_) {
      WAYBILL_CUDA_TRY(d_pos_.alloc(rows));
      WAYBILL_CUDA_TRY(d_pos_out_.alloc(rows));
      WAYBILL_CUDA_TRY(d_flags_.alloc(rows + 1));
      WAYBILL_CUDA_TRY(d_scan_.alloc(rows + 1));
      WAYBILL_CUDA_TRY(cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes_, d_flags_.ptr, d_scan_.ptr,
                                                     static_cast<int>(rows + 1)));
      WAYBILL_CUDA_TRY(d_scan_temp_.alloc(std::max<std::size_t>(scan_bytes_, 1)));
    }
    return Status::Ok();
  }

  ~CudaHist() override {
    if (grad_registered_ != nullptr) cudaHostUnregister(const_cast<double*>(grad_registered_));
    if (hess_registered_ != nullptr) cudaHostUnregister(const_cast<double*>(hess_registered_));
  }

  bool keeps_rows() const override { return keeps_rows_; }

  Status set_rows(const int32_t* rows, std::size_t len) override {
    if (!keeps_rows_) return Status::Error(StatusCode::kUnsupported, "CUDA histograms: rows are not kept");
    if (len > n_) return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: more rows than the matrix");
    // Rows are the trainer's own sample (indices in [0, n_)), as in build(): not checked one by
    // one, which would cost a pass over a million rows per tree.
    if (len > 0) {
      std::memcpy(rows_staging_.ptr, rows, len * sizeof(int32_t));
      WAYBILL_CUDA_TRY(cudaMemcpy(d_pos_.ptr, rows_staging_.ptr, len * sizeof(int32_t), cudaMemcpyHostToDevice));
    }
    positions_ = len;
    return Status::Ok();
  }

  Status build_at(std::size_t start, std::size_t end, double* hist) override {
    Status bad = check_positions(start, end);
    if (!bad.ok()) return bad;
    return build_device(d_pos_.ptr + start, end - start, hist);
  }

  Status partition(std::size_t start, std::size_t end, int32_t feature, const uint8_t* table,
                   std::size_t expected_left) override {
    Status bad = check_positions(start, end);
    if (!bad.ok()) return bad;
    if (feature < 0 || static_cast<std::size_t>(feature) >= p_)
      return Status::Error(StatusCode::kInvalidArgument, "CUDA partition: feature out of range");
    const std::size_t len = end - start;
    if (len == 0) {
      if (expected_left != 0) return Status::Error(StatusCode::kInvalidArgument, "CUDA partition: empty leaf");
      return Status::Ok();
    }
    const PartitionArgs a{d_bins_.ptr, p_, d_pos_.ptr + start, feature, nullptr};
    cuda_detail::RuleTable rule;
    std::memcpy(rule.left, table, sizeof rule.left);
    partition_flag_kernel<<<grid_for(len + 1), kThreads>>>(a, rule, len, d_flags_.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    std::size_t bytes = scan_bytes_;
    WAYBILL_CUDA_TRY(cub::DeviceScan::ExclusiveSum(d_scan_temp_.ptr, bytes, d_flags_.ptr, d_scan_.ptr,
                                                   static_cast<int>(len + 1)));
    partition_scatter_kernel<<<grid_for(len), kThreads>>>(d_pos_.ptr + start, d_flags_.ptr, d_scan_.ptr, len,
                                                          d_pos_out_.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    WAYBILL_CUDA_TRY(
        cudaMemcpy(d_pos_.ptr + start, d_pos_out_.ptr, len * sizeof(int32_t), cudaMemcpyDeviceToDevice));
    int32_t total = -1;
    WAYBILL_CUDA_TRY(cudaMemcpy(&total, d_scan_.ptr + len, sizeof total, cudaMemcpyDeviceToHost));
    if (total < 0 || static_cast<std::size_t>(total) != expected_left)
      return Status::Error(StatusCode::kCudaError, "CUDA partition: " + std::to_string(total) +
                                                       " rows went left on the device, the histogram says " +
                                                       std::to_string(expected_left) + "; train on the CPU and report this");
    return Status::Ok();
  }

  Status get_rows(std::size_t start, std::size_t end, int32_t* rows) override {
    Status bad = check_positions(start, end);
    if (!bad.ok()) return bad;
    const std::size_t len = end - start;
    if (len == 0) return Status::Ok();
    WAYBILL_CUDA_TRY(
        cudaMemcpy(rows_staging_.ptr, d_pos_.ptr + start, len * sizeof(int32_t), cudaMemcpyDeviceToHost));
    std::memcpy(rows, rows_staging_.ptr, len * sizeof(int32_t));
    return Status::Ok();
  }

  Status set_gradients(const double* grad, const double* hess, double grad_quantum, double hess_quantum) override {
    if (!(grad_quantum > 0) || !(hess_quantum > 0))
      return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: the gradient quanta must be positive");
    qg_ = grad_quantum;
    qh_ = hess_quantum;
    // The trainer passes the same two arrays every iteration: page-locking them once makes each
    // upload a direct transfer instead of one staged by the driver through its own buffers.
    register_host(grad, &grad_registered_);
    register_host(hess, &hess_registered_);
    WAYBILL_CUDA_TRY(cudaMemcpy(d_grad_.ptr, grad, n_ * sizeof(double), cudaMemcpyHostToDevice));
    WAYBILL_CUDA_TRY(cudaMemcpy(d_hess_.ptr, hess, n_ * sizeof(double), cudaMemcpyHostToDevice));
    WAYBILL_CUDA_TRY(cudaMemset(d_bad_.ptr, 0, sizeof(int)));
    const std::size_t blocks = std::min<std::size_t>((n_ + kThreads - 1) / kThreads, 4096);
    fixed_kernel<<<static_cast<unsigned>(std::max<std::size_t>(blocks, 1)), kThreads>>>(
        d_grad_.ptr, d_hess_.ptr, n_, qg_, qh_, d_gfix_.ptr, d_hfix_.ptr, d_bad_.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    int bad = 0;
    WAYBILL_CUDA_TRY(cudaMemcpy(&bad, d_bad_.ptr, sizeof(int), cudaMemcpyDeviceToHost));
    if (bad != 0)
      return Status::Error(StatusCode::kCudaError,
                           "CUDA histograms: a gradient or hessian is not a multiple of its quantum (gradient "
                           "rounding did not hold); train on the CPU and report this");
    return Status::Ok();
  }

  Status set_features(const int32_t* feats, std::size_t nf) override {
    if (nf == 0 || nf > p_) return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: bad feature count");
    for (std::size_t j = 0; j < nf; ++j)
      if (feats[j] < 0 || static_cast<std::size_t>(feats[j]) >= p_ || (j > 0 && feats[j] <= feats[j - 1]))
        return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: sampled features must ascend in [0, p)");
    plan_ = cuda_detail::plan_hist(offsets_.data(), feats, nf);
    WAYBILL_CUDA_TRY(
        cudaMemcpy(d_features_.ptr, plan_.features.data(), nf * sizeof(HistFeature), cudaMemcpyHostToDevice));
    WAYBILL_CUDA_TRY(cudaMemcpy(d_groups_.ptr, plan_.group_begin.data(), plan_.group_begin.size() * sizeof(int32_t),
                                cudaMemcpyHostToDevice));
    return Status::Ok();
  }

  Status build(const int32_t* rows, std::size_t len, double* hist) override {
    if (len > n_) return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: more rows than the matrix");
    if (len > 0) {
      std::memcpy(rows_staging_.ptr, rows, len * sizeof(int32_t));
      WAYBILL_CUDA_TRY(cudaMemcpy(d_rows_.ptr, rows_staging_.ptr, len * sizeof(int32_t), cudaMemcpyHostToDevice));
    }
    return build_device(d_rows_.ptr, len, hist);
  }

 private:
  /// Positions [start, end) must lie within those set for this tree (set_rows).
  Status check_positions(std::size_t start, std::size_t end) const {
    if (keeps_rows_ && start <= end && end <= positions_) return Status::Ok();
    return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: positions [" + std::to_string(start) + ", " +
                                                           std::to_string(end) + ") are not among the " +
                                                           std::to_string(positions_) + " set");
  }

  /// Page-locks the n_ doubles at p (once per pointer; the previous one released). Only a speed-up:
  /// when the driver refuses, the copies stay pageable and its error is cleared.
  void register_host(const double* p, const double** registered) {
    if (p == *registered) return;
    if (*registered != nullptr) cudaHostUnregister(const_cast<double*>(*registered));
    *registered = nullptr;
    if (cudaHostRegister(const_cast<double*>(p), n_ * sizeof(double), cudaHostRegisterDefault) == cudaSuccess)
      *registered = p;
    else
      cudaGetLastError();
  }

  /// The histogram of the len rows at d_rows (device memory) into hist.
  Status build_device(const int32_t* d_rows, std::size_t len, double* hist) {
    if (plan_.groups() == 0) return Status::Error(StatusCode::kInvalidArgument, "CUDA histograms: no features set");
    const std::size_t span = 3 * static_cast<std::size_t>(plan_.end_slot - plan_.first_slot);
    Fixed* d_span = d_hist_.ptr + 3 * static_cast<std::size_t>(plan_.first_slot);
    WAYBILL_CUDA_TRY(cudaMemset(d_span, 0, span * sizeof(Fixed)));
    if (len > 0) {
      const std::size_t groups = plan_.groups();
      const std::size_t target = kBlocksPerSm * static_cast<std::size_t>(std::max(1, sms_));
      const std::size_t by_rows = (len + kMinRowsPerBlock - 1) / kMinRowsPerBlock;
      const std::size_t blocks_x =
          std::max<std::size_t>(1, std::min({by_rows, (target + groups - 1) / groups, cuda::kMaxGridY}));
      const std::size_t rows_per_block = (len + blocks_x - 1) / blocks_x;
      const HistArgs args{d_bins_.ptr, p_, d_rows, d_gfix_.ptr, d_hfix_.ptr, d_features_.ptr, d_groups_.ptr};
      const std::size_t shared = 3 * static_cast<std::size_t>(plan_.max_group_slots) * sizeof(Fixed);
      for (std::size_t g0 = 0; g0 < groups; g0 += cuda::kMaxGridY) {
        const std::size_t gy = std::min(groups - g0, cuda::kMaxGridY);
        hist_kernel<<<dim3(static_cast<unsigned>(blocks_x), static_cast<unsigned>(gy)), kThreads, shared>>>(
            args, len, rows_per_block, static_cast<int32_t>(g0), d_hist_.ptr);
        WAYBILL_CUDA_TRY_LAUNCH();
      }
    }
    WAYBILL_CUDA_TRY(cudaMemcpy(staging_.ptr, d_span, span * sizeof(Fixed), cudaMemcpyDeviceToHost));
    cuda_detail::fixed_to_hist(plan_, staging_.ptr, qg_, qh_, hist);
    return Status::Ok();
  }

  std::size_t n_ = 0, p_ = 0;
  int sms_ = 1;
  double qg_ = 1, qh_ = 1;
  std::vector<int32_t> offsets_;
  HistPlan plan_;
  cuda::DeviceBuffer<uint8_t> d_bins_;
  cuda::DeviceBuffer<double> d_grad_, d_hess_;
  cuda::DeviceBuffer<Fixed> d_gfix_, d_hfix_, d_hist_;
  cuda::DeviceBuffer<int> d_bad_;
  cuda::DeviceBuffer<int32_t> d_rows_, d_groups_;
  cuda::DeviceBuffer<HistFeature> d_features_;
  PinnedBuffer<Fixed> staging_;
  PinnedBuffer<int32_t> rows_staging_;
  const double* grad_registered_ = nullptr;  // page-locked by set_gradients (the trainer's arrays)
  const double* hess_registered_ = nullptr;
  // Rows kept on the device.
  bool keeps_rows_ = false;
  std::size_t positions_ = 0;  // positions set for this tree
  std::size_t scan_bytes_ = 0;
  cuda::DeviceBuffer<int32_t> d_pos_, d_pos_out_, d_flags_, d_scan_;
  cuda::DeviceBuffer<unsigned char> d_scan_temp_;
};

}  // namespace

Status make_cuda_hist(const BinnedMatrix& binned, std::size_t rows, std::size_t p, std::unique_ptr<HistDevice>* out) {
  if (out == nullptr) return Status::Error(StatusCode::kInvalidArgument, "out is null");
  auto dev = std::make_unique<CudaHist>();
  const Status s = dev->init(binned, rows, p);
  if (!s.ok()) return s;
  *out = std::move(dev);
  return Status::Ok();
}

}  // namespace waybill::ml::detail
