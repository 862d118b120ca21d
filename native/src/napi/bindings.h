// Shared helpers of the N-API layer. JavaScript validates values; these helpers only check the
// shapes that keep native code inside the memory it was handed, and map core Status codes to
// JavaScript errors with a stable `code`.
#pragma once

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

void init_geo(Napi::Env env, Napi::Object exports);
void init_or(Napi::Env env, Napi::Object exports);
void init_trajectory(Napi::Env env, Napi::Object exports);
void init_ml(Napi::Env env, Napi::Object exports);

}  // namespace waybill::napi
