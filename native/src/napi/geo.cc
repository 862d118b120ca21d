// N-API bindings of the geo family.
//
// Each function takes one flat options object (built and validated by src/kernels/geo/*.ts):
//   { origins: Float64Array, dests: Float64Array, rowBegin, rowEnd, device: 'cpu' | 'cuda',
//     radius?, out?: Float64Array | Float32Array, k?, metric?, outIndex?: Int32Array,
//     outDist?: Float64Array, cancel?: Int32Array, sync?: boolean }
// Outputs are written in place into the caller's arrays (which may view SharedArrayBuffers).
// Without `sync` the work runs in a StatusWorker (bindings.h) and a Promise is returned; with `sync`
// it runs on the calling thread (used by pool workers, which are already off the main thread).
#include <memory>
#include <string>
#include <vector>

#include "bindings.h"
#include "waybill/geo.h"

namespace waybill::napi {
namespace {

enum class Kind { kHaversine, kEuclidean, kNearest };

struct GeoJob {
  Kind kind = Kind::kHaversine;
  bool cuda = false;
  const double* origins = nullptr;
  const double* dests = nullptr;
  std::size_t n = 0, m = 0, k = 0;
  double radius = geo::kEarthRadiusM;
  geo::Metric metric = geo::Metric::kHaversine;
  double* out64 = nullptr;
  float* out32 = nullptr;
  int32_t* out_index = nullptr;
  double* out_dist = nullptr;
  RowRange rows;
  CancelToken cancel;
};

Status run(const GeoJob& j) {
  using namespace waybill::geo;
  switch (j.kind) {
    case Kind::kHaversine:
      if (j.cuda) {
        return j.out64 ? haversine_matrix_cuda(j.origins, j.n, j.dests, j.m, j.radius, j.out64, j.rows, j.cancel)
                       : haversine_matrix_cuda(j.origins, j.n, j.dests, j.m, j.radius, j.out32, j.rows, j.cancel);
      }
      return j.out64 ? haversine_matrix_cpu(j.origins, j.n, j.dests, j.m, j.radius, j.out64, j.rows, j.cancel)
                     : haversine_matrix_cpu(j.origins, j.n, j.dests, j.m, j.radius, j.out32, j.rows, j.cancel);
    case Kind::kEuclidean:
      if (j.cuda) {
        return j.out64 ? euclidean_matrix_cuda(j.origins, j.n, j.dests, j.m, j.out64, j.rows, j.cancel)
                       : euclidean_matrix_cuda(j.origins, j.n, j.dests, j.m, j.out32, j.rows, j.cancel);
      }
      return j.out64 ? euclidean_matrix_cpu(j.origins, j.n, j.dests, j.m, j.out64, j.rows, j.cancel)
                     : euclidean_matrix_cpu(j.origins, j.n, j.dests, j.m, j.out32, j.rows, j.cancel);
    case Kind::kNearest:
      return j.cuda ? k_nearest_cuda(j.origins, j.n, j.dests, j.m, j.k, j.metric, j.radius, j.out_index, j.out_dist,
                                     j.rows, j.cancel)
                    : k_nearest_cpu(j.origins, j.n, j.dests, j.m, j.k, j.metric, j.radius, j.out_index, j.out_dist,
                                    j.rows, j.cancel);
  }
  return Status::Error(StatusCode::kInvalidArgument, "unknown kernel");
}

/// Keeps the JS arrays alive while the work runs off the main thread.
struct Keepalive {
  std::vector<Napi::ObjectReference> refs;
  void hold(const Napi::Value& v) {
    if (v.IsObject()) refs.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
};

template <typename T>
T* typed_data(Napi::Env env, const Napi::Value& v, napi_typedarray_type type, const char* name, std::size_t min_len) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw_invalid(env, std::string(name) + " has the wrong array type");
  }
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  if (arr.ElementLength() < min_len) {
    throw_invalid(env, std::string(name) + " is too short: need " + std::to_string(min_len) + " elements, got " +
                           std::to_string(arr.ElementLength()));
  }
  return arr.Data();
}

std::size_t get_size(Napi::Env env, const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_invalid(env, std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != static_cast<double>(static_cast<std::size_t>(d))) {
    throw_invalid(env, std::string(key) + " must be a non-negative integer");
  }
  return static_cast<std::size_t>(d);
}

Napi::Value dispatch(const Napi::CallbackInfo& info, Kind kind) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  auto keep = std::make_unique<Keepalive>();  // refs move into the worker
  GeoJob job;
  job.kind = kind;

  const Napi::Value origins = o.Get("origins");
  const Napi::Value dests = o.Get("dests");
  if (!origins.IsTypedArray() || !dests.IsTypedArray()) throw_invalid(env, "origins and dests must be Float64Array");
  const std::size_t no = origins.As<Napi::TypedArray>().ElementLength();
  const std::size_t nd = dests.As<Napi::TypedArray>().ElementLength();
  if (no % 2 != 0 || nd % 2 != 0) throw_invalid(env, "origins and dests must hold (lat, lng) or (x, y) pairs");
  job.n = no / 2;
  job.m = nd / 2;
  job.origins = typed_data<double>(env, origins, napi_float64_array, "origins", no);
  job.dests = typed_data<double>(env, dests, napi_float64_array, "dests", nd);
  keep->hold(origins);
  keep->hold(dests);
  job.rows.begin = get_size(env, o, "rowBegin");
  job.rows.end = get_size(env, o, "rowEnd");
  if (job.rows.begin > job.rows.end || job.rows.end > job.n) throw_invalid(env, "rowBegin/rowEnd outside [0, n]");

  job.cuda = cuda_of(env, o);
  const Napi::Value radius = o.Get("radius");
  if (radius.IsNumber()) job.radius = radius.As<Napi::Number>().DoubleValue();

  if (kind == Kind::kNearest) {
    job.k = get_size(env, o, "k");
    if (job.k == 0 || job.k > job.m) throw_invalid(env, "k must satisfy 1 <= k <= m");
    const Napi::Value metric = o.Get("metric");
    job.metric = metric.IsString() && metric.As<Napi::String>().Utf8Value() == "euclidean" ? geo::Metric::kEuclidean
                                                                                          : geo::Metric::kHaversine;
    const std::size_t need = job.n * job.k;
    job.out_index = typed_data<int32_t>(env, o.Get("outIndex"), napi_int32_array, "outIndex", need);
    job.out_dist = typed_data<double>(env, o.Get("outDist"), napi_float64_array, "outDist", need);
    keep->hold(o.Get("outIndex"));
    keep->hold(o.Get("outDist"));
  } else {
    const Napi::Value out = o.Get("out");
    const std::size_t need = job.n * job.m;
    if (out.IsTypedArray() && out.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
      job.out32 = typed_data<float>(env, out, napi_float32_array, "out", need);
    } else {
      job.out64 = typed_data<double>(env, out, napi_float64_array, "out", need);
    }
    keep->hold(out);
  }
  const Napi::Value cancel = o.Get("cancel");
  if (cancel.IsTypedArray()) {
    job.cancel.flag = typed_data<int32_t>(env, cancel, napi_int32_array, "cancel", 1);
    keep->hold(cancel);
  }

  const Napi::Value sync = o.Get("sync");
  return run_status(env, sync.IsBoolean() && sync.As<Napi::Boolean>().Value(), [job] { return run(job); }, std::move(keep->refs));
}

Napi::Value HaversineMatrix(const Napi::CallbackInfo& info) { return dispatch(info, Kind::kHaversine); }
Napi::Value EuclideanMatrix(const Napi::CallbackInfo& info) { return dispatch(info, Kind::kEuclidean); }
Napi::Value KNearest(const Napi::CallbackInfo& info) { return dispatch(info, Kind::kNearest); }

}  // namespace

void init_geo(Napi::Env env, Napi::Object exports) {
  exports.Set("haversineMatrix", Napi::Function::New(env, HaversineMatrix, "haversineMatrix"));
  exports.Set("euclideanMatrix", Napi::Function::New(env, EuclideanMatrix, "euclideanMatrix"));
  exports.Set("kNearest", Napi::Function::New(env, KNearest, "kNearest"));
}

}  // namespace waybill::napi
