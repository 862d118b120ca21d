// CUDA device probe: tells the backend registry whether a device is usable, and why not.
#include <cuda_runtime.h>

#include <string>

#include "waybill/geo.h"

namespace waybill::geo {

CudaDeviceInfo cuda_probe() {
  CudaDeviceInfo info;
  info.compiled = true;
  cudaRuntimeGetVersion(&info.runtime_version);
  cudaDriverGetVersion(&info.driver_version);
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.reason = std::string("no CUDA device: ") + cudaGetErrorName(err) + " (" + std::to_string(static_cast<int>(err)) +
                  ")";
    cudaGetLastError();  // clear the sticky-free error so later probes start clean
    return info;
  }
  if (count == 0) {
    info.reason = "no CUDA device: device count is 0";
    return info;
  }
  cudaDeviceProp prop{};
  const cudaError_t perr = cudaGetDeviceProperties(&prop, 0);
  if (perr != cudaSuccess) {
    info.reason = std::string("CUDA device 0 unreadable: ") + cudaGetErrorName(perr);
    return info;
  }
  info.available = true;
  info.device_count = count;
  info.name = prop.name;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.total_mem = prop.totalGlobalMem;
  return info;
}

}  // namespace waybill::geo
