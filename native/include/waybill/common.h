// Shared types of the Waybill native core. No N-API types here: the core is a plain C++ library
// linked by both the Node addon and the ctest binaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace waybill {

/// Status of a kernel call. Codes are stable: the N-API layer maps them to JS error codes.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kInvalidArgument = 2,
  kCudaError = 3,
  kUnsupported = 4,
  kOutOfMemory = 5,
  kInfeasible = 6,
};

struct Status {
  StatusCode code = StatusCode::kOk;
  std::string message;

  bool ok() const { return code == StatusCode::kOk; }
  static Status Ok() { return {}; }
  static Status Error(StatusCode c, std::string msg) { return {c, std::move(msg)}; }
};

/// Cooperative cancellation: a 32-bit flag (typically in a SharedArrayBuffer) that another thread
/// sets to non-zero. Kernels poll it between rows; a null flag never cancels.
struct CancelToken {
  const int32_t* flag = nullptr;
  bool cancelled() const { return flag != nullptr && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0; }
};

/// Half-open row range [begin, end) of an n x m output, so a matrix can be split by row blocks.
struct RowRange {
  std::size_t begin = 0;
  std::size_t end = 0;
};

const char* version();

}  // namespace waybill
