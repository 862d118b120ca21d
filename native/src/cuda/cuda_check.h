// CUDA error handling: every runtime call goes through WAYBILL_CUDA_TRY, which turns a failure
// into a Status naming the file, line and CUDA error (never an abort).
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "waybill/common.h"

namespace waybill::cuda {

inline Status cuda_status(cudaError_t err, const char* what, const char* file, int line) {
  std::string msg = std::string(what) + " failed: " + cudaGetErrorName(err) + " (" + std::to_string(static_cast<int>(err)) +
                    "): " + cudaGetErrorString(err) + " at " + file + ":" + std::to_string(line);
  return Status::Error(err == cudaErrorMemoryAllocation ? StatusCode::kOutOfMemory : StatusCode::kCudaError, msg);
}

/// Device buffer that frees itself.
template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr != nullptr) cudaFree(ptr);
  }
  cudaError_t alloc(std::size_t count) { return cudaMalloc(reinterpret_cast<void**>(&ptr), count * sizeof(T) + 1); }
};

/// Bytes of device memory one call may use for its output chunk; large matrices go in row chunks.
constexpr std::size_t kMaxChunkBytes = std::size_t{1} << 30;

/// Largest gridDim.y (and gridDim.z) a launch may use. The matrix kernels put output rows on the
/// y axis, so a chunk holds at most kMaxGridY * blockDim.y rows (a tall, thin matrix such as
/// 1e6 origins x 10 depots would otherwise fail to launch with cudaErrorInvalidValue).
constexpr std::size_t kMaxGridY = 65535;

}  // namespace waybill::cuda

#define WAYBILL_CUDA_TRY(expr)                                                        \
  do {                                                                                \
    const cudaError_t waybill_err_ = (expr);                                          \
    if (waybill_err_ != cudaSuccess) {                                                \
      return ::waybill::cuda::cuda_status(waybill_err_, #expr, __FILE__, __LINE__);   \
    }                                                                                 \
  } while (0)

#define WAYBILL_CUDA_TRY_LAUNCH() WAYBILL_CUDA_TRY(cudaGetLastError())
