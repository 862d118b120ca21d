// Module entry: registers the kernel families and `info()`.
#include <napi.h>

#include "bindings.h"
#include "waybill/geo.h"

namespace waybill::napi {
namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", waybill::version());
#if defined(WAYBILL_HAVE_LIBMVEC)
  out.Set("simd", "libmvec");
#else
  out.Set("simd", "scalar");
#endif
  const geo::CudaDeviceInfo cu = geo::cuda_probe();
  Napi::Object c = Napi::Object::New(env);
  c.Set("compiled", cu.compiled);
  c.Set("available", cu.available);
  c.Set("deviceCount", cu.device_count);
  c.Set("name", cu.name);
  c.Set("computeCapability", std::to_string(cu.cc_major) + "." + std::to_string(cu.cc_minor));
  c.Set("totalMemBytes", static_cast<double>(cu.total_mem));
  c.Set("runtimeVersion", cu.runtime_version);
  c.Set("driverVersion", cu.driver_version);
  c.Set("reason", cu.reason);
  out.Set("cuda", c);
  return out;
}

}  // namespace
}  // namespace waybill::napi

static Napi::Object InitWaybill(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, waybill::napi::Info, "info"));
  waybill::napi::init_geo(env, exports);
  waybill::napi::init_or(env, exports);
  waybill::napi::init_trajectory(env, exports);
  waybill::napi::init_ml(env, exports);
  return exports;
}

NODE_API_MODULE(waybill, InitWaybill)
