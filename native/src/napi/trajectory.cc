// N-API bindings of the trajectory family (C++ CPU kernels of native/include/waybill/trajectory.h).
//
// Each function takes one flat options object, built and validated by
// src/kernels/trajectory/native.ts (values: coordinates, timestamps, options); this layer checks
// only the shapes that keep the core inside the memory it is given:
//   trajectoryPairwise({ aCoords, aOffsets, bCoords, bOffsets, measure, metric, radius?, band?,
//                        eps?, delta?, gap?: Float64Array(2), out: Float64Array(n * m),
//                        rowBegin, rowEnd, threads?, cancel?: Int32Array, sync?,
//                        device?: 'cpu' | 'cuda' })
//     device 'cuda' (dtw, frechet, hausdorff): pairwise_cuda, `threads` unused; a build without
//     CUDA answers UNSUPPORTED with the reason, a machine without a device CUDA_ERROR.
//   trajectoryOneToMany({ query, coords, offsets, <measure options>, out: Float64Array(m),
//                         rowBegin, rowEnd (over the batch's trajectories), threads?, cancel?, sync? })
//   trajectorySimplify({ coords, offsets, times?, method: 'douglas-peucker' | 'td-tr', tolerance,
//                        metric, radius?, keep: Uint8Array(points), rowBegin, rowEnd, ... })
//   trajectoryStayPoints({ coords, offsets, times, distance, duration, metric, radius?,
//                          outLast: Int32Array(points), outMean: Float64Array(2 * points),
//                          rowBegin, rowEnd, ... })
// measure: 'dtw' | 'frechet' | 'hausdorff' | 'erp' | 'edr' | 'lcss'; metric: 'haversine' |
// 'euclidean'. Outputs are written in place. Without `sync` the work runs in a StatusWorker
// (bindings.h) and a Promise is returned; with `sync` it runs on the calling thread.
#include <cmath>
#include <string>
#include <vector>

#include "bindings.h"
#include "waybill/trajectory.h"

namespace waybill::napi {
namespace {

using trajectory::Batch;
using trajectory::MeasureParams;

std::string string_of(Napi::Env env, const Napi::Object& o, const char* key, const char* fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw_invalid(env, std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

/// A batch from `<prefix>Coords` / `<prefix>Offsets`, or `coords` / `offsets` when prefix is empty.
Batch batch_of(Napi::Env env, const Napi::Object& o, const std::string& prefix, std::vector<Napi::ObjectReference>& keep) {
  const std::string coords_key = prefix.empty() ? "coords" : prefix + "Coords";
  const std::string offsets_key = prefix.empty() ? "offsets" : prefix + "Offsets";
  Batch b;
  std::size_t clen = 0, olen = 0;
  b.coords = array_of<double>(env, o, coords_key.c_str(), napi_float64_array, 0, keep, &clen);
  b.offsets = array_of<int32_t>(env, o, offsets_key.c_str(), napi_int32_array, 1, keep, &olen);
  if (clen % 2 != 0) throw_invalid(env, coords_key + " must hold interleaved pairs");
  b.points = clen / 2;
  b.count = olen - 1;
  const Status s = trajectory::check_batch(b, prefix.empty() ? "batch" : prefix.c_str());
  if (!s.ok()) throw_invalid(env, s.message);
  return b;
}

geo::Metric metric_of(Napi::Env env, const Napi::Object& o) {
  const std::string m = string_of(env, o, "metric", "haversine");
  if (m == "haversine") return geo::Metric::kHaversine;
  if (m == "euclidean") return geo::Metric::kEuclidean;
  throw_invalid(env, "metric must be 'haversine' or 'euclidean'");
}

MeasureParams measure_of(Napi::Env env, const Napi::Object& o, std::vector<Napi::ObjectReference>& keep) {
  MeasureParams p;
  const std::string m = string_of(env, o, "measure", "");
  static const char* names[] = {"dtw", "frechet", "hausdorff", "erp", "edr", "lcss"};
  int found = -1;
  for (int k = 0; k < 6; ++k) found = m == names[k] ? k : found;
  if (found < 0) throw_invalid(env, "measure must be one of dtw, frechet, hausdorff, erp, edr, lcss");
  p.measure = static_cast<trajectory::Measure>(found);
  p.metric = metric_of(env, o);
  p.radius_m = number_or(env, o, "radius", geo::kEarthRadiusM);
  const double band = number_or(env, o, "band", -1);
  if (band != std::floor(band) || band > 9.0e15) throw_invalid(env, "band must be an integer (negative: full DTW)");
  p.band = band < 0 ? -1 : static_cast<int64_t>(band);
  p.eps = number_or(env, o, "eps", 0);
  p.delta = number_or(env, o, "delta", p.delta);
  if (o.Get("gap").IsTypedArray()) {
    const double* g = array_of<double>(env, o, "gap", napi_float64_array, 2, keep);
    p.gap[0] = g[0];
    p.gap[1] = g[1];
  }
  return p;
}

RowRange rows_of(Napi::Env env, const Napi::Object& o, std::size_t n) {
  RowRange r{size_of(env, o, "rowBegin"), size_of(env, o, "rowEnd")};
  if (r.begin > r.end || r.end > n) throw_invalid(env, "rowBegin/rowEnd outside [0, " + std::to_string(n) + "]");
  return r;
}

int threads_of(Napi::Env env, const Napi::Object& o) {
  const double t = number_or(env, o, "threads", 1);
  if (!(t >= 1) || t != std::floor(t) || t > 256) throw_invalid(env, "threads must be an integer in [1, 256]");
  return static_cast<int>(t);
}

Napi::Object options(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(info.Env(), "expected one options object");
  return info[0].As<Napi::Object>();
}

Napi::Value Pairwise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  const Batch a = batch_of(env, o, "a", keep);
  const Batch b = batch_of(env, o, "b", keep);
  const MeasureParams p = measure_of(env, o, keep);
  const RowRange rows = rows_of(env, o, a.count);
  double* out = array_of<double>(env, o, "out", napi_float64_array, a.count * b.count, keep);
  const int threads = threads_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  const bool cuda = cuda_of(env, o);
  return run_status(env, sync_of(o),
                    [=] {
                      return cuda ? trajectory::pairwise_cuda(a, b, p, out, rows, cancel)
                                  : trajectory::pairwise_cpu(a, b, p, out, rows, threads, cancel);
                    },
                    std::move(keep));
}

Napi::Value OneToMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  std::size_t qlen = 0;
  const double* query = array_of<double>(env, o, "query", napi_float64_array, 2, keep, &qlen);
  if (qlen % 2 != 0) throw_invalid(env, "query must hold interleaved pairs");
  const Batch b = batch_of(env, o, "", keep);
  const MeasureParams p = measure_of(env, o, keep);
  const RowRange cols = rows_of(env, o, b.count);
  double* out = array_of<double>(env, o, "out", napi_float64_array, b.count, keep);
  const int threads = threads_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  const std::size_t q = qlen / 2;
  return run_status(env, sync_of(o),
                    [=] { return trajectory::one_to_many_cpu(query, q, b, p, out, cols, threads, cancel); }, std::move(keep));
}

Napi::Value Simplify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  const Batch b = batch_of(env, o, "", keep);
  const std::string method = string_of(env, o, "method", "");
  trajectory::Simplify how;
  if (method == "douglas-peucker") how = trajectory::Simplify::kDouglasPeucker;
  else if (method == "td-tr") how = trajectory::Simplify::kTdTr;
  else throw_invalid(env, "method must be 'douglas-peucker' or 'td-tr'");
  const double* times = nullptr;
  if (how == trajectory::Simplify::kTdTr || o.Get("times").IsTypedArray()) {
    times = array_of<double>(env, o, "times", napi_float64_array, b.points, keep);
  }
  const double tolerance = number_or(env, o, "tolerance", NAN);
  const geo::Metric metric = metric_of(env, o);
  const double radius = number_or(env, o, "radius", geo::kEarthRadiusM);
  uint8_t* mask = array_of<uint8_t>(env, o, "keep", napi_uint8_array, b.points, keep);
  const RowRange rows = rows_of(env, o, b.count);
  const int threads = threads_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] { return trajectory::simplify_cpu(b, times, how, tolerance, metric, radius, mask, rows, threads, cancel); },
      std::move(keep));
}

Napi::Value StayPoints(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  const Batch b = batch_of(env, o, "", keep);
  const double* times = array_of<double>(env, o, "times", napi_float64_array, b.points, keep);
  const double distance = number_or(env, o, "distance", NAN);
  const double duration = number_or(env, o, "duration", NAN);
  const geo::Metric metric = metric_of(env, o);
  const double radius = number_or(env, o, "radius", geo::kEarthRadiusM);
  int32_t* out_last = array_of<int32_t>(env, o, "outLast", napi_int32_array, b.points, keep);
  double* out_mean = array_of<double>(env, o, "outMean", napi_float64_array, 2 * b.points, keep);
  const RowRange rows = rows_of(env, o, b.count);
  const int threads = threads_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(env, sync_of(o),
                    [=] {
                      return trajectory::stay_points_cpu(b, times, distance, duration, metric, radius, out_last, out_mean,
                                                         rows, threads, cancel);
                    },
                    std::move(keep));
}

}  // namespace

void init_trajectory(Napi::Env env, Napi::Object exports) {
  exports.Set("trajectoryPairwise", Napi::Function::New(env, Pairwise, "trajectoryPairwise"));
  exports.Set("trajectoryOneToMany", Napi::Function::New(env, OneToMany, "trajectoryOneToMany"));
  exports.Set("trajectorySimplify", Napi::Function::New(env, Simplify, "trajectorySimplify"));
  exports.Set("trajectoryStayPoints", Napi::Function::New(env, StayPoints, "trajectoryStayPoints"));
  exports.Set("trajectoryDevices", cpu_cuda_devices(env));
}

}  // namespace waybill::napi
