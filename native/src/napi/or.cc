// N-API bindings of the OR family: flat options objects built and validated by src/kernels/or/*.ts.
//   linearAssignment({ cost: Float64Array(n*m), n, m, maximize, outRowToCol: Int32Array(n),
//                      outTotal: Float64Array(1), cancel?, sync? })
//   budgetAllocation({ value, cost: Float64Array(units*options), units, options, budget,
//                      margin?: Float64Array(units*options), marginFloor?,
//                      outChoice: Int32Array(units), outStats: Float64Array(7), cancel?, sync? })
//   outStats = [value, cost, dualBound, lambda, chosen, margin, mu]
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bindings.h"
#include "waybill/or.h"
#include "waybill/timeseries.h"
#include "waybill/vrp.h"

namespace waybill::napi {
namespace {

Napi::Value LinearAssignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t n = size_of(env, o, "n"), m = size_of(env, o, "m");
  const double* cost = array_of<double>(env, o, "cost", napi_float64_array, n * m, keep);
  int32_t* out = array_of<int32_t>(env, o, "outRowToCol", napi_int32_array, n, keep);
  double* total = array_of<double>(env, o, "outTotal", napi_float64_array, 1, keep);
  const bool maximize = o.Get("maximize").ToBoolean().Value();
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o), [=] { return opt::linear_assignment_cpu(cost, n, m, maximize, out, total, cancel); }, std::move(keep));
}

Napi::Value BudgetAllocation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t units = size_of(env, o, "units"), options = size_of(env, o, "options");
  const double* value = array_of<double>(env, o, "value", napi_float64_array, units * options, keep);
  const double* cost = array_of<double>(env, o, "cost", napi_float64_array, units * options, keep);
  int32_t* choice = array_of<int32_t>(env, o, "outChoice", napi_int32_array, units, keep);
  double* stats = array_of<double>(env, o, "outStats", napi_float64_array, 7, keep);
  // Optional margin floor: margin (units x options) and marginFloor.
  const double* margin = o.Get("margin").IsTypedArray() ? array_of<double>(env, o, "margin", napi_float64_array, units * options, keep) : nullptr;
  const Napi::Value f = o.Get("marginFloor");
  const double floor = f.IsNumber() ? f.As<Napi::Number>().DoubleValue() : 0.0;
  const Napi::Value b = o.Get("budget");
  if (!b.IsNumber()) throw_invalid(env, "budget must be a number");
  const double budget = b.As<Napi::Number>().DoubleValue();
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] {
        opt::BudgetResult r;
        const Status s = margin != nullptr
                             ? opt::budget_allocation_margin_cpu(value, cost, margin, units, options, budget, floor, choice, &r, cancel)
                             : opt::budget_allocation_cpu(value, cost, units, options, budget, choice, &r, cancel);
        if (s.ok()) {
          stats[0] = r.value;
          stats[1] = r.cost;
          stats[2] = r.dual_bound;
          stats[3] = r.lambda;
          stats[4] = static_cast<double>(r.chosen);
          stats[5] = r.margin;
          stats[6] = r.mu;
        }
        return s;
      },
      std::move(keep));
}

Napi::Value TspSolve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t n = size_of(env, o, "n");
  const double* dist = array_of<double>(env, o, "dist", napi_float64_array, n * n, keep);
  int32_t* tour = array_of<int32_t>(env, o, "outTour", napi_int32_array, n, keep);
  double* stats = array_of<double>(env, o, "outStats", napi_float64_array, 5, keep);
  double* progress = o.Get("progress").IsTypedArray() ? array_of<double>(env, o, "progress", napi_float64_array, 3, keep) : nullptr;
  opt::TspOptions options;
  options.seed = static_cast<uint64_t>(size_of(env, o, "seed"));
  const Napi::Value iters = o.Get("maxIterations");
  options.max_iterations = iters.IsNumber() ? static_cast<int64_t>(iters.As<Napi::Number>().DoubleValue()) : 0;
  const Napi::Value limit = o.Get("timeLimitMs");
  options.time_limit_ms = limit.IsNumber() ? limit.As<Napi::Number>().DoubleValue() : 0;
  const Napi::Value k = o.Get("neighbours");
  if (k.IsNumber()) options.neighbours = k.As<Napi::Number>().Int32Value();
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] {
        // Progress goes to a shared Float64Array [best, iterations, elapsed ms] that JS polls.
        auto report = [](void* user, double best, int64_t iterations, double ms) {
          double* p = static_cast<double*>(user);
          p[0] = best;
          p[1] = static_cast<double>(iterations);
          p[2] = ms;
        };
        opt::TspResult r;
        const Status s = opt::tsp_solve_cpu(dist, n, options, tour, &r, cancel, progress != nullptr ? +report : nullptr, progress);
        if (s.ok()) {
          stats[0] = r.length;
          stats[1] = static_cast<double>(r.iterations);
          stats[2] = r.elapsed_ms;
          stats[3] = static_cast<double>(r.improvements);
          stats[4] = r.cancelled ? 1 : 0;
        }
        return s;
      },
      std::move(keep));
}

// vrpSolve({ n, depots, dims, types, dist, time, demand, service, early, late, penalty, coords?,
//            typeCount: Int32Array, typeCapacity, typeFixed, typeCostDistance, typeCostTime,
//            typeMaxDuration, typeStartDepot: Int32Array, typeEndDepot: Int32Array, typeShiftStart,
//            typeShiftEnd, seed, maxIterations, timeLimitMs, workers, neighbours?,
//            outRoutes: Int32Array(customers + slots), outStats: Float64Array(12), progress?, cancel?, sync? })
// outStats = [cost, distance, duration, excessLoad, timeWarp, feasible, routes, unassigned,
//             iterations, elapsedMs, bestFoundMs, cancelled]; progress = [best, feasible, iterations, elapsedMs]
Napi::Value VrpSolve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t n = size_of(env, o, "n"), depots = size_of(env, o, "depots"), dims = size_of(env, o, "dims");
  const std::size_t types = size_of(env, o, "types");
  if (depots < 1 || depots > n || dims < 1 || dims > opt::kVrpMaxDims || types < 1) throw_invalid(env, "bad n / depots / dims / types");
  opt::VrpProblem p;
  p.n = n;
  p.depots = depots;
  p.dims = dims;
  p.dist = array_of<double>(env, o, "dist", napi_float64_array, n * n, keep);
  p.time = array_of<double>(env, o, "time", napi_float64_array, n * n, keep);
  p.demand = array_of<double>(env, o, "demand", napi_float64_array, n * dims, keep);
  p.service = array_of<double>(env, o, "service", napi_float64_array, n, keep);
  p.early = array_of<double>(env, o, "early", napi_float64_array, n, keep);
  p.late = array_of<double>(env, o, "late", napi_float64_array, n, keep);
  p.penalty = array_of<double>(env, o, "penalty", napi_float64_array, n, keep);
  p.coords = o.Get("coords").IsTypedArray() ? array_of<double>(env, o, "coords", napi_float64_array, 2 * n, keep) : nullptr;
  const int32_t* count = array_of<int32_t>(env, o, "typeCount", napi_int32_array, types, keep);
  const double* cap = array_of<double>(env, o, "typeCapacity", napi_float64_array, types * dims, keep);
  const double* fixed = array_of<double>(env, o, "typeFixed", napi_float64_array, types, keep);
  const double* cdist = array_of<double>(env, o, "typeCostDistance", napi_float64_array, types, keep);
  const double* ctime = array_of<double>(env, o, "typeCostTime", napi_float64_array, types, keep);
  const double* maxdur = array_of<double>(env, o, "typeMaxDuration", napi_float64_array, types, keep);
  const int32_t* sdep = array_of<int32_t>(env, o, "typeStartDepot", napi_int32_array, types, keep);
  const int32_t* edep = array_of<int32_t>(env, o, "typeEndDepot", napi_int32_array, types, keep);
  const double* sstart = array_of<double>(env, o, "typeShiftStart", napi_float64_array, types, keep);
  const double* send = array_of<double>(env, o, "typeShiftEnd", napi_float64_array, types, keep);
  auto vt = std::make_shared<std::vector<opt::VrpVehicleType>>(types);
  for (std::size_t t = 0; t < types; ++t) {
    auto& v = (*vt)[t];
    v.count = count[t];
    v.capacity = cap + t * dims;
    v.fixed_cost = fixed[t];
    v.cost_distance = cdist[t];
    v.cost_time = ctime[t];
    v.max_duration = maxdur[t];
    v.start_depot = sdep[t];
    v.end_depot = edep[t];
    v.shift_start = sstart[t];
    v.shift_end = send[t];
  }
  p.types = vt->data();
  p.n_types = types;
  std::size_t slots = 0;
  for (std::size_t t = 0; t < types; ++t) {
    if (count[t] < 1) throw_invalid(env, "typeCount entries must be >= 1");
    slots += static_cast<std::size_t>(count[t]);
  }
  int32_t* routes = array_of<int32_t>(env, o, "outRoutes", napi_int32_array, n - depots + slots, keep);
  double* stats = array_of<double>(env, o, "outStats", napi_float64_array, 12, keep);
  double* progress = o.Get("progress").IsTypedArray() ? array_of<double>(env, o, "progress", napi_float64_array, 4, keep) : nullptr;
  opt::VrpOptions options;
  options.seed = static_cast<uint64_t>(size_of(env, o, "seed"));
  const Napi::Value iters = o.Get("maxIterations");
  options.max_iterations = iters.IsNumber() ? static_cast<int64_t>(iters.As<Napi::Number>().DoubleValue()) : 0;
  const Napi::Value limit = o.Get("timeLimitMs");
  options.time_limit_ms = limit.IsNumber() ? limit.As<Napi::Number>().DoubleValue() : 0;
  const Napi::Value workers = o.Get("workers");
  options.workers = workers.IsNumber() ? workers.As<Napi::Number>().Int32Value() : 1;
  const Napi::Value k = o.Get("neighbours");
  if (k.IsNumber()) options.neighbours = k.As<Napi::Number>().Int32Value();
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] {
        auto report = [](void* user, double best, bool feasible, int64_t iterations, double ms) {
          double* q = static_cast<double*>(user);
          q[0] = best;
          q[1] = feasible ? 1 : 0;
          q[2] = static_cast<double>(iterations);
          q[3] = ms;
        };
        opt::VrpResult r;
        const Status s = opt::vrp_solve_cpu(p, options, routes, &r, cancel, progress != nullptr ? +report : nullptr, progress);
        (void)vt;  // keeps the vehicle types alive for the call
        if (s.ok()) {
          const double v[12] = {r.cost, r.distance, r.duration, r.excess_load, r.time_warp, r.feasible ? 1.0 : 0.0,
                                static_cast<double>(r.routes), static_cast<double>(r.unassigned), static_cast<double>(r.iterations),
                                r.elapsed_ms, r.best_found_ms, r.cancelled ? 1.0 : 0.0};
          std::copy(v, v + 12, stats);
        }
        return s;
      },
      std::move(keep));
}

Napi::Value MinCostFlow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t n = size_of(env, o, "n"), m = size_of(env, o, "m");
  const double* supply = array_of<double>(env, o, "supply", napi_float64_array, n, keep);
  const int32_t* src = array_of<int32_t>(env, o, "src", napi_int32_array, m, keep);
  const int32_t* dst = array_of<int32_t>(env, o, "dst", napi_int32_array, m, keep);
  const double* capacity = array_of<double>(env, o, "capacity", napi_float64_array, m, keep);
  const double* cost = array_of<double>(env, o, "cost", napi_float64_array, m, keep);
  double* flow = array_of<double>(env, o, "outFlow", napi_float64_array, m, keep);
  double* potential = array_of<double>(env, o, "outPotential", napi_float64_array, n, keep);
  double* stats = array_of<double>(env, o, "outStats", napi_float64_array, 2, keep);
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] {
        opt::FlowResult r;
        const Status s = opt::min_cost_flow_cpu(n, supply, m, src, dst, capacity, cost, flow, potential, &r, cancel);
        if (s.ok()) {
          stats[0] = r.cost;
          stats[1] = static_cast<double>(r.pivots);
        }
        return s;
      },
      std::move(keep));
}

Napi::Value AuctionAssignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t n = size_of(env, o, "n");
  const double* cost = array_of<double>(env, o, "cost", napi_float64_array, n * n, keep);
  int32_t* out = array_of<int32_t>(env, o, "outRowToCol", napi_int32_array, n, keep);
  double* stats = array_of<double>(env, o, "outStats", napi_float64_array, 4, keep);
  const bool cuda = cuda_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] {
        opt::AuctionResult r;
        const Status s = cuda ? opt::auction_assignment_cuda(cost, n, out, &r, cancel) : opt::auction_assignment_cpu(cost, n, out, &r, cancel);
        if (s.ok()) {
          stats[0] = r.total;
          stats[1] = static_cast<double>(r.bids);
          stats[2] = r.phases;
          stats[3] = r.bound;
        }
        return s;
      },
      std::move(keep));
}

// tsForecast({ values: Float64Array, offsets: Int32Array(count + 1), count, method (0..11, see
//              waybill/timeseries.h), horizon, season, alpha, beta, out: Float64Array(count * horizon),
//              outSeasonal?: Uint8Array(count), cancel?, sync? })
// (Kept beside the OR bindings because it shares their argument helpers.)
Napi::Value TsForecast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t count = size_of(env, o, "count");
  const int32_t* offsets = array_of<int32_t>(env, o, "offsets", napi_int32_array, count + 1, keep);
  const std::size_t total = count == 0 ? 0 : static_cast<std::size_t>(std::max(0, offsets[count]));
  const double* values = array_of<double>(env, o, "values", napi_float64_array, total, keep);
  const std::size_t method = size_of(env, o, "method"), horizon = size_of(env, o, "horizon"), season = size_of(env, o, "season");
  if (method > 11 || horizon < 1 || season < 1) throw_invalid(env, "bad method, horizon or season");
  for (std::size_t i = 0; i < count; ++i)
    if (offsets[i] < 0 || offsets[i + 1] < offsets[i] || static_cast<std::size_t>(offsets[i + 1]) > total) throw_invalid(env, "offsets must be non-decreasing within values");
  double* out = array_of<double>(env, o, "out", napi_float64_array, count * horizon, keep);
  uint8_t* seasonal = o.Get("outSeasonal").IsTypedArray() ? array_of<uint8_t>(env, o, "outSeasonal", napi_uint8_array, count, keep) : nullptr;
  const double alpha = o.Get("alpha").IsNumber() ? o.Get("alpha").As<Napi::Number>().DoubleValue() : 0.1;
  const double beta = o.Get("beta").IsNumber() ? o.Get("beta").As<Napi::Number>().DoubleValue() : 0.1;
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] {
        return ts::forecast_cpu(values, offsets, count, static_cast<ts::Method>(method), static_cast<int>(horizon), static_cast<int>(season), alpha,
                                beta, out, seasonal, RowRange{0, count}, cancel);
      },
      std::move(keep));
}

// tsEtsFit({ values: Float64Array, offsets: Int32Array(count + 1), count, season, maxIter, tolerance,
//            maxSeason, modelMask, allModels?, outParams: Float64Array(count * 16 [* 18 with allModels]),
//            outSeason: Float64Array(count * season [* 18]), device?: 'cpu' | 'cuda', cancel?, sync? })
//            — AutoETS per series, or every candidate's fit with allModels (see waybill/timeseries.h
//            for the output layout). device 'cuda': ets_fit_cuda, the same models (an UNSUPPORTED
//            error when the options allow a seasonal one for a season above
//            tsEtsCudaMaxSeason).
Napi::Value TsEtsFit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "expected one options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const std::size_t count = size_of(env, o, "count");
  const int32_t* offsets = array_of<int32_t>(env, o, "offsets", napi_int32_array, count + 1, keep);
  const std::size_t total = count == 0 ? 0 : static_cast<std::size_t>(std::max(0, offsets[count]));
  const double* values = array_of<double>(env, o, "values", napi_float64_array, total, keep);
  const std::size_t season = size_of(env, o, "season");
  if (season < 1) throw_invalid(env, "season must be >= 1");
  for (std::size_t i = 0; i < count; ++i)
    if (offsets[i] < 0 || offsets[i + 1] < offsets[i] || static_cast<std::size_t>(offsets[i + 1]) > total) throw_invalid(env, "offsets must be non-decreasing within values");
  ts::EtsOptions opt;
  opt.max_iter = static_cast<int>(size_of(env, o, "maxIter"));
  opt.max_season = static_cast<int>(size_of(env, o, "maxSeason"));
  opt.model_mask = static_cast<uint32_t>(size_of(env, o, "modelMask"));
  opt.tolerance = o.Get("tolerance").IsNumber() ? o.Get("tolerance").As<Napi::Number>().DoubleValue() : 5e-6;
  opt.all_models = o.Get("allModels").IsBoolean() && o.Get("allModels").As<Napi::Boolean>().Value();
  const std::size_t slots = opt.all_models ? ts::kEtsModels : 1;
  double* params = array_of<double>(env, o, "outParams", napi_float64_array, count * ts::kEtsParams * slots, keep);
  double* season_out = array_of<double>(env, o, "outSeason", napi_float64_array, count * season * slots, keep);
  const bool cuda = cuda_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, sync_of(o),
      [=] {
        const int m = static_cast<int>(season);
        return cuda ? ts::ets_fit_cuda(values, offsets, count, m, opt, params, season_out, RowRange{0, count}, cancel)
                    : ts::ets_fit_cpu(values, offsets, count, m, opt, params, season_out, RowRange{0, count}, cancel);
      },
      std::move(keep));
}

}  // namespace

void init_or(Napi::Env env, Napi::Object exports) {
  exports.Set("tsForecast", Napi::Function::New(env, TsForecast, "tsForecast"));
  exports.Set("tsEtsFit", Napi::Function::New(env, TsEtsFit, "tsEtsFit"));
  exports.Set("tsEtsDevices", cpu_cuda_devices(env));
  exports.Set("tsEtsCudaMaxSeason", Napi::Number::New(env, ts::kEtsCudaMaxSeason));
  exports.Set("auctionAssignment", Napi::Function::New(env, AuctionAssignment, "auctionAssignment"));
  exports.Set("minCostFlow", Napi::Function::New(env, MinCostFlow, "minCostFlow"));
  exports.Set("tspSolve", Napi::Function::New(env, TspSolve, "tspSolve"));
  exports.Set("vrpSolve", Napi::Function::New(env, VrpSolve, "vrpSolve"));
  exports.Set("linearAssignment", Napi::Function::New(env, LinearAssignment, "linearAssignment"));
  exports.Set("budgetAllocation", Napi::Function::New(env, BudgetAllocation, "budgetAllocation"));
}

}  // namespace waybill::napi
