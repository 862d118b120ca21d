// Shared helpers of the N-API layer. JavaScript validates values; these helpers only check the
// shapes that keep native code inside the memory it was handed, and map core Status codes to
// JavaScript errors with a stable `code`.
#pragma once

#include <cmath>

#include <napi.h>

#include <exception>
#include <functional>
#include <new>
#include <string>
#include <vector>

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
    case StatusCode::kInfeasible: return "INFEASIBLE";
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

/// Runs `work` on a libuv thread and settles a Promise with its Status; keeps `keep` (the JS
/// arrays the work reads and writes) alive until then. C++ exceptions become errors.
class StatusWorker : public Napi::AsyncWorker {
 public:
  StatusWorker(Napi::Env env, std::function<Status()> work, std::vector<Napi::ObjectReference> keep)
      : Napi::AsyncWorker(env, "waybill.kernel"),
        work_(std::move(work)),
        keep_(std::move(keep)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { status_ = guarded(work_); }
  void OnOK() override {
    if (status_.ok()) deferred_.Resolve(Env().Undefined());
    else deferred_.Reject(make_error(Env(), status_).Value());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 public:
  static Status guarded(const std::function<Status()>& work) {
    try {
      return work();
    } catch (const std::bad_alloc&) {
      return Status::Error(StatusCode::kOutOfMemory, "out of host memory in the native kernel");
    } catch (const std::exception& e) {
      return Status::Error(StatusCode::kInvalidArgument, std::string("native kernel failed: ") + e.what());
    } catch (...) {
      return Status::Error(StatusCode::kInvalidArgument, "native kernel failed");
    }
  }

 private:
  std::function<Status()> work_;
  std::vector<Napi::ObjectReference> keep_;
  Napi::Promise::Deferred deferred_;
  Status status_;
};

/// Runs `work` synchronously (sync: true) or in a StatusWorker; returns undefined or a Promise.
inline Napi::Value run_status(Napi::Env env, bool sync, std::function<Status()> work, std::vector<Napi::ObjectReference> keep) {
  if (sync) {
    const Status s = StatusWorker::guarded(work);
    if (!s.ok()) throw make_error(env, s);
    return env.Undefined();
  }
  auto* worker = new StatusWorker(env, std::move(work), std::move(keep));
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

/// The typed array at o[key] (its type checked, at least min_len elements), kept alive in `keep`
/// until the work ends; `length` (optional) receives its element count.
template <typename T>
T* array_of(Napi::Env env, const Napi::Object& o, const char* key, napi_typedarray_type type, std::size_t min_len,
            std::vector<Napi::ObjectReference>& keep, std::size_t* length = nullptr) {
  const Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw_invalid(env, std::string(key) + " is missing or has the wrong array type");
  }
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  if (arr.ElementLength() < min_len) {
    throw_invalid(env, std::string(key) + " is too short: need " + std::to_string(min_len) + " elements, got " +
                           std::to_string(arr.ElementLength()));
  }
  if (length != nullptr) *length = arr.ElementLength();
  keep.push_back(Napi::Persistent(v.As<Napi::Object>()));
  return arr.Data();
}

/// o[key] as a number, `fallback` when absent (undefined or null).
inline double number_or(Napi::Env env, const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw_invalid(env, std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

/// o[key] as a non-negative integer (required unless a fallback >= 0 is given).
inline std::size_t size_of(Napi::Env env, const Napi::Object& o, const char* key, double fallback = -1) {
  const double d = number_or(env, o, key, fallback);
  if (!(d >= 0) || d != std::floor(d) || d > 9.0e15) throw_invalid(env, std::string(key) + " must be a non-negative integer");
  return static_cast<std::size_t>(d);
}

/// The optional shared cancel flag (Int32Array) of a call.
inline CancelToken cancel_of(Napi::Env env, const Napi::Object& o, std::vector<Napi::ObjectReference>& keep) {
  CancelToken c;
  if (o.Get("cancel").IsTypedArray()) c.flag = array_of<int32_t>(env, o, "cancel", napi_int32_array, 1, keep);
  return c;
}

/// Whether the call asked to run on the calling thread (sync: true).
inline bool sync_of(const Napi::Object& o) {
  const Napi::Value v = o.Get("sync");
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

/// device: 'cpu' (default) or 'cuda'; true for 'cuda', anything else is an INVALID_ARGUMENT.
inline bool cuda_of(Napi::Env env, const Napi::Object& o) {
  const Napi::Value v = o.Get("device");
  if (v.IsUndefined()) return false;
  const std::string dev = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (dev != "cpu" && dev != "cuda") throw_invalid(env, "device must be 'cpu' or 'cuda'");
  return dev == "cuda";
}

/// The devices a binding accepts, exported beside it (e.g. trajectoryDevices): lets JavaScript tell
/// this addon from one built before the binding took `device` (which would run on the CPU).
inline Napi::Array cpu_cuda_devices(Napi::Env env) {
  Napi::Array devices = Napi::Array::New(env, 2);
  devices.Set(0u, Napi::String::New(env, "cpu"));
  devices.Set(1u, Napi::String::New(env, "cuda"));
  return devices;
}

void init_geo(Napi::Env env, Napi::Object exports);
void init_or(Napi::Env env, Napi::Object exports);
void init_trajectory(Napi::Env env, Napi::Object exports);
void init_ml(Napi::Env env, Napi::Object exports);

}  // namespace waybill::napi
