// Shared helpers of the N-API layer. JavaScript validates values; these helpers only check the
// shapes that keep native code inside the memory it was handed, and map core Status codes to
// JavaScript errors with a stable `code`.
#pragma once

#include <napi.h>

#include <string>

#include "waybill/common.h"

namespace waybill::napi {

inline const char* error_code(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "ABORTED";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kCudaError: return "CUDA_ERROR";
    case StatusCode::kUnsupported: return "UNSUPPORTED";
    case StatusCode::kOutOfMemory: return "OUT_OF_MEMORY";
  }
  return "NATIVE_ERROR";
}

inline Napi::Error make_error(Napi::Env env, const Status& s) {
  Napi::Error err = Napi::Error::New(env, s.message);
  err.Set("code", Napi::String::New(env, error_code(s.code)));
  return err;
}

/// Throws a TypeError with code INVALID_ARGUMENT (used for shape errors found in bindings).
[[noreturn]] inline void throw_invalid(Napi::Env env, const std::string& msg) {
  Napi::TypeError err = Napi::TypeError::New(env, msg);
  err.Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  throw err;
}

void init_geo(Napi::Env env, Napi::Object exports);

}  // namespace waybill::napi
