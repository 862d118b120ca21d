// AutoETS on a CUDA device for the non-seasonal models (error A/M x trend N/A/Ad: ANN, AAN, AAdN,
// MNN, MAN, MAdN): one thread per (series, model), each running the whole fit of
// native/src/cpu/timeseries/ets.cc (start values, Nelder-Mead, final criterion, AIC / AICc / BIC,
// sigma2) on its own; the host then keeps the lowest AICc per series or, with all_models, every
// candidate in its model-code slot (the layout of ets_fit_cpu).
//
// Layout: a first kernel scales each series (fit_scale) into a device copy and flags positive
// series; the fit kernel's threads go in groups of 32 x models over the series sorted by length
// (longest first), each warp fitting one model to 32 series of about one length, so a warp runs
// one code path for about the same number of steps (ets_task.cuh, fit_task). Launches take at
// most kSeriesPerLaunch series, with the cancel token checked between them.
//
// Parity with ets_fit_cpu: the same operations in the same order (--fmad=false, the core with
// -ffp-contract=off); ets_task.cuh compiled for the host gives ets_fit_cpu's numbers bit for bit
// (`waybill_tests ts`). On the device, log() is CUDA's (<= 1 ulp) instead of glibc's, so a
// criterion can differ in its last bit; a Nelder-Mead comparison that this flips sends that search
// down another path, and its fit then differs by more than rounding. The parity test
// (`waybill_tests cuda`, test/kernels/ts-cuda-parity.test.ts) asserts loglik / AICc within 1e-9
// relative and parameters within 1e-6 on at least 99 % of (series, model) fits and reports the rest.
//
// Seasonal models are not here: the call returns kUnsupported when the options allow one for this
// season (season > 1, season <= max_season and a seasonal code in model_mask); the TS layer then
// runs the batch on the CPU (src/kernels/timeseries/index.ts).
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

__global__ void prepare_kernel(const double* __restrict__ values, const int32_t* __restrict__ offsets, std::size_t count, double* __restrict__ ys,
                               double* __restrict__ scale, uint8_t* __restrict__ positive) {
  const std::size_t s = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  const int32_t a = offsets[s];
  cuda_detail::prepare_series(values + a, offsets[s + 1] - a, ys + a, scale + s, positive + s);
}

__global__ void __launch_bounds__(kThreads) fit_kernel(TaskArgs args, std::size_t threads) {
  const std::size_t t = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= threads) return;
  cuda_detail::fit_task(args, t);
}

}  // namespace

Status ets_fit_cuda(const double* values, const int32_t* offsets, std::size_t count, int season, const EtsOptions& o, double* params,
                    double* season_out, RowRange range, CancelToken cancel) {
  if (season < 1) return Status::Error(StatusCode::kInvalidArgument, "season must be >= 1");
  if (o.max_iter < 1 || !(o.tolerance > 0)) return Status::Error(StatusCode::kInvalidArgument, "max_iter must be >= 1 and tolerance > 0");
  if (range.end > count || range.begin > range.end) return Status::Error(StatusCode::kInvalidArgument, "bad series range");
  if (season > 1 && season <= o.max_season && (o.model_mask & cuda_detail::kSeasonalMask) != 0) {
    return Status::Error(StatusCode::kUnsupported, "the CUDA AutoETS fits non-seasonal models only (season " + std::to_string(season) +
                                                       " <= max_season with seasonal models allowed); use the CPU");
  }
  for (std::size_t s = range.begin; s < range.end; ++s)
    if (offsets[s + 1] < offsets[s]) return Status::Error(StatusCode::kInvalidArgument, "offsets must be non-decreasing");
  TaskArgs args{};
  args.models = 0;
  for (int code : cuda_detail::kNonSeasonalCodes)
    if (o.model_mask & (1u << code)) args.codes[args.models++] = code;
  args.max_iter = o.max_iter;
  args.tolerance = o.tolerance;
  const std::size_t slots = o.all_models ? kEtsModels : 1;
  if (range.begin == range.end) return Status::Ok();
  if (args.models == 0) {
    std::vector<double> none;
    cuda_detail::assemble_rows(none.data(), range.end - range.begin, 0, args.codes, season, o.all_models, params + range.begin * kEtsParams * slots,
                               season_out + range.begin * static_cast<std::size_t>(season) * slots);
    return Status::Ok();
  }

  const std::size_t models = static_cast<std::size_t>(args.models);
  const std::size_t chunk = std::min(kSeriesPerLaunch, range.end - range.begin);
  std::size_t longest_values = 0;
  for (std::size_t s0 = range.begin; s0 < range.end; s0 += chunk) {
    const std::size_t s1 = std::min(range.end, s0 + chunk);
    longest_values = std::max(longest_values, static_cast<std::size_t>(offsets[s1] - offsets[s0]));
  }
  cuda::DeviceBuffer<double> d_values, d_ys, d_scale, d_fits;
  cuda::DeviceBuffer<int32_t> d_offsets, d_order;
  cuda::DeviceBuffer<uint8_t> d_positive;
  WAYBILL_CUDA_TRY(d_values.alloc(longest_values));
  WAYBILL_CUDA_TRY(d_ys.alloc(longest_values));
  WAYBILL_CUDA_TRY(d_scale.alloc(chunk));
  WAYBILL_CUDA_TRY(d_positive.alloc(chunk));
  WAYBILL_CUDA_TRY(d_offsets.alloc(chunk + 1));
  WAYBILL_CUDA_TRY(d_order.alloc(chunk));
  WAYBILL_CUDA_TRY(d_fits.alloc(chunk * models * kEtsParams));
  std::vector<int32_t> rel(chunk + 1), order(chunk);
  std::vector<double> fits(chunk * models * kEtsParams);

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
    prepare_kernel<<<static_cast<unsigned>((c + kThreads - 1) / kThreads), kThreads>>>(d_values.ptr, d_offsets.ptr, c, d_ys.ptr, d_scale.ptr,
                                                                                      d_positive.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    args.ys = d_ys.ptr;
    args.offsets = d_offsets.ptr;
    args.scale = d_scale.ptr;
    args.positive = d_positive.ptr;
    args.order = d_order.ptr;
    args.count = c;
    args.fits = d_fits.ptr;
    const std::size_t threads = cuda_detail::task_threads(c, args.models);
    fit_kernel<<<static_cast<unsigned>((threads + kThreads - 1) / kThreads), kThreads>>>(args, threads);
    WAYBILL_CUDA_TRY_LAUNCH();
    WAYBILL_CUDA_TRY(cudaMemcpy(fits.data(), d_fits.ptr, c * models * kEtsParams * sizeof(double), cudaMemcpyDeviceToHost));
    cuda_detail::assemble_rows(fits.data(), c, args.models, args.codes, season, o.all_models, params + s0 * kEtsParams * slots,
                               season_out + s0 * static_cast<std::size_t>(season) * slots);
  }
  return Status::Ok();
}

}  // namespace waybill::ts
