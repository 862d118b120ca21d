// AutoETS on a CUDA device: one thread per (series, model), each running the whole fit of
// native/src/cpu/timeseries/ets.cc (start values, Nelder-Mead, for the seasonal models the second
// search from the least-squares initial states, final criterion, AIC / AICc / BIC, sigma2) on its
// own; the host then keeps the lowest AICc per series or, with all_models, every candidate in its
// model-code slot (the layout of ets_fit_cpu). Models: error A/M x trend N/A/Ad x season N/A/M as
// ets_fit_cpu allows them (no error A with season M; multiplicative error or season only for
// series > 0; seasonal models for 1 < season <= max_season and n >= 3 season), the seasonal ones
// for season <= kEtsCudaMaxSeason (24: the seasonal states are per-thread arrays of that size);
// a call that would fit a seasonal model with a longer season is kUnsupported.
//
// Layout: a first kernel scales each series (fit_scale, with a season of 1 for the non-seasonal
// models and, when seasonal models are fitted, with the season for those) into device copies and
// flags positive series; then one launch for the non-seasonal models and one for the seasonal ones
// (different register and local-memory needs, so the non-seasonal launch keeps its occupancy).
// A launch's threads go in groups of 32 x models over the series sorted by length (longest first),
// each warp fitting one model to 32 series of about one length, so a warp runs one code path for
// about the same number of steps (ets_task.cuh, fit_task). Launches take at most kSeriesPerLaunch
// series (kSeasonalSeriesPerLaunch with seasonal models: their rows carry the seasonal states),
// with the cancel token checked between them.
//
// Parity with ets_fit_cpu: the same operations in the same order (--fmad=false, the core with
// -ffp-contract=off); ets_task.cuh compiled for the host gives ets_fit_cpu's numbers bit for bit
// (`waybill_tests ts`). On the device, log() is CUDA's (<= 1 ulp) instead of glibc's, so a
// criterion can differ in its last bit; a Nelder-Mead comparison that this flips sends that search
// down another path, and its fit then differs by more than rounding. The parity test
// (`waybill_tests cuda`, test/kernels/ts-cuda-parity.test.ts) asserts loglik / AICc within 1e-9
// relative and parameters within 1e-6 on at least 99 % of (series, model) fits and reports the rest.
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "../cuda_check.h"
#include "ets_task.cuh"
#include "waybill/timeseries.h"

namespace waybill::ts {
namespace {

using cuda_detail::TaskArgs;

constexpr int kThreads = 128;
constexpr std::size_t kSeriesPerLaunch = std::size_t{1} << 17;
// With seasonal models: 2^15 series x up to 15 models is still more threads than an H200 holds at
// once, and the seasonal states of a chunk (up to 15 x 24 doubles per series) stay under 100 MB.
constexpr std::size_t kSeasonalSeriesPerLaunch = std::size_t{1} << 15;

// Scales series s for a season of 1 (ys, scale) and, when ys_season is given, for `season`.
__global__ void prepare_kernel(const double* __restrict__ values, const int32_t* __restrict__ offsets, std::size_t count, int season,
                               double* __restrict__ ys, double* __restrict__ scale, double* __restrict__ ys_season, double* __restrict__ scale_season,
                               uint8_t* __restrict__ positive) {
  const std::size_t s = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  const int32_t a = offsets[s];
  cuda_detail::prepare_series(values + a, offsets[s + 1] - a, 1, ys + a, scale + s, positive + s);
  if (ys_season != nullptr) cuda_detail::prepare_series(values + a, offsets[s + 1] - a, season, ys_season + a, scale_season + s, positive + s);
}

template <bool kSeasonal>
__global__ void __launch_bounds__(kThreads) fit_kernel(TaskArgs args, std::size_t threads) {
  const std::size_t t = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= threads) return;
  cuda_detail::fit_task<kSeasonal>(args, t);
}

}  // namespace

Status ets_fit_cuda(const double* values, const int32_t* offsets, std::size_t count, int season, const EtsOptions& o, double* params,
                    double* season_out, RowRange range, CancelToken cancel) {
  if (season < 1) return Status::Error(StatusCode::kInvalidArgument, "season must be >= 1");
  if (o.max_iter < 1 || !(o.tolerance > 0)) return Status::Error(StatusCode::kInvalidArgument, "max_iter must be >= 1 and tolerance > 0");
  if (range.end > count || range.begin > range.end) return Status::Error(StatusCode::kInvalidArgument, "bad series range");
  if (season > kEtsCudaMaxSeason && season <= o.max_season && (o.model_mask & cuda_detail::kSeasonalMask) != 0) {
    return Status::Error(StatusCode::kUnsupported, "the CUDA AutoETS fits seasonal models for season <= " + std::to_string(kEtsCudaMaxSeason) +
                                                       " only (season " + std::to_string(season) + " <= max_season " + std::to_string(o.max_season) +
                                                       " with seasonal models allowed); use the CPU, or max_season < season or non-seasonal models only");
  }
  for (std::size_t s = range.begin; s < range.end; ++s)
    if (offsets[s + 1] < offsets[s]) return Status::Error(StatusCode::kInvalidArgument, "offsets must be non-decreasing");
  int codes[kEtsModels];
  const int row_models = cuda_detail::plan_codes(o.model_mask, season, o.max_season, codes);
  TaskArgs plain{}, seasonal{};
  const int plain_models = cuda_detail::select_launch(plain, codes, row_models, false);
  const int seasonal_models = cuda_detail::select_launch(seasonal, codes, row_models, true);
  for (TaskArgs* a : {&plain, &seasonal}) {
    a->season = season;
    a->max_iter = o.max_iter;
    a->tolerance = o.tolerance;
  }
  const std::size_t slots = o.all_models ? kEtsModels : 1;
  const std::size_t m = static_cast<std::size_t>(season);
  if (range.begin == range.end) return Status::Ok();
  if (row_models == 0) {
    cuda_detail::assemble_rows(nullptr, nullptr, range.end - range.begin, 0, codes, season, o.all_models, params + range.begin * kEtsParams * slots,
                               season_out + range.begin * m * slots);
    return Status::Ok();
  }

  const std::size_t models = static_cast<std::size_t>(row_models);
  const std::size_t chunk = std::min(seasonal_models > 0 ? kSeasonalSeriesPerLaunch : kSeriesPerLaunch, range.end - range.begin);
  const std::size_t season_row = seasonal_models > 0 ? models * m : 0;  // season_fits doubles per series
  std::size_t longest_values = 0;
  for (std::size_t s0 = range.begin; s0 < range.end; s0 += chunk) {
    const std::size_t s1 = std::min(range.end, s0 + chunk);
    longest_values = std::max(longest_values, static_cast<std::size_t>(offsets[s1] - offsets[s0]));
  }
  cuda::DeviceBuffer<double> d_values, d_ys, d_scale, d_ys_season, d_scale_season, d_fits, d_season_fits;
  cuda::DeviceBuffer<int32_t> d_offsets, d_order;
  cuda::DeviceBuffer<uint8_t> d_positive;
  WAYBILL_CUDA_TRY(d_values.alloc(longest_values));
  WAYBILL_CUDA_TRY(d_ys.alloc(longest_values));
  WAYBILL_CUDA_TRY(d_scale.alloc(chunk));
  if (seasonal_models > 0) {
    WAYBILL_CUDA_TRY(d_ys_season.alloc(longest_values));
    WAYBILL_CUDA_TRY(d_scale_season.alloc(chunk));
    WAYBILL_CUDA_TRY(d_season_fits.alloc(chunk * season_row));
  }
  WAYBILL_CUDA_TRY(d_positive.alloc(chunk));
  WAYBILL_CUDA_TRY(d_offsets.alloc(chunk + 1));
  WAYBILL_CUDA_TRY(d_order.alloc(chunk));
  WAYBILL_CUDA_TRY(d_fits.alloc(chunk * models * kEtsParams));
  std::vector<int32_t> rel(chunk + 1), order(chunk);
  std::vector<double> fits(chunk * models * kEtsParams), season_fits(chunk * season_row);

  for (std::size_t s0 = range.begin; s0 < range.end; s0 += chunk) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const std::size_t c = std::min(chunk, range.end - s0);
    const int32_t base = offsets[s0];
    for (std::size_t i = 0; i <= c; ++i) rel[i] = offsets[s0 + i] - base;
    // Longest first (ties by index): similar lengths share a warp, long fits start early.
    std::iota(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(c), 0);
    std::stable_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(c),
                     [&](int32_t a, int32_t b) { return rel[static_cast<std::size_t>(a) + 1] - rel[static_cast<std::size_t>(a)] > rel[static_cast<std::size_t>(b) + 1] - rel[static_cast<std::size_t>(b)]; });
    const std::size_t nv = static_cast<std::size_t>(rel[c]);
    WAYBILL_CUDA_TRY(cudaMemcpy(d_values.ptr, values + base, nv * sizeof(double), cudaMemcpyHostToDevice));
    WAYBILL_CUDA_TRY(cudaMemcpy(d_offsets.ptr, rel.data(), (c + 1) * sizeof(int32_t), cudaMemcpyHostToDevice));
    WAYBILL_CUDA_TRY(cudaMemcpy(d_order.ptr, order.data(), c * sizeof(int32_t), cudaMemcpyHostToDevice));
    prepare_kernel<<<static_cast<unsigned>((c + kThreads - 1) / kThreads), kThreads>>>(d_values.ptr, d_offsets.ptr, c, season, d_ys.ptr, d_scale.ptr,
                                                                                      d_ys_season.ptr, d_scale_season.ptr, d_positive.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    for (TaskArgs* a : {&plain, &seasonal}) {
      a->ys = d_ys.ptr;
      a->scale = d_scale.ptr;
      a->ys_season = d_ys_season.ptr;
      a->scale_season = d_scale_season.ptr;
      a->offsets = d_offsets.ptr;
      a->positive = d_positive.ptr;
      a->order = d_order.ptr;
      a->count = c;
      a->fits = d_fits.ptr;
      a->season_fits = d_season_fits.ptr;
    }
    if (plain_models > 0) {
      const std::size_t threads = cuda_detail::task_threads(c, plain_models);
      fit_kernel<false><<<static_cast<unsigned>((threads + kThreads - 1) / kThreads), kThreads>>>(plain, threads);
      WAYBILL_CUDA_TRY_LAUNCH();
    }
    if (seasonal_models > 0) {
      const std::size_t threads = cuda_detail::task_threads(c, seasonal_models);
      fit_kernel<true><<<static_cast<unsigned>((threads + kThreads - 1) / kThreads), kThreads>>>(seasonal, threads);
      WAYBILL_CUDA_TRY_LAUNCH();
    }
    WAYBILL_CUDA_TRY(cudaMemcpy(fits.data(), d_fits.ptr, c * models * kEtsParams * sizeof(double), cudaMemcpyDeviceToHost));
    if (seasonal_models > 0)
      WAYBILL_CUDA_TRY(cudaMemcpy(season_fits.data(), d_season_fits.ptr, c * season_row * sizeof(double), cudaMemcpyDeviceToHost));
    cuda_detail::assemble_rows(fits.data(), season_fits.data(), c, row_models, codes, season, o.all_models, params + s0 * kEtsParams * slots,
                               season_out + s0 * m * slots);
  }
  return Status::Ok();
}

}  // namespace waybill::ts
