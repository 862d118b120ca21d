// Batched time-series forecasters (CPU): the baselines, SES and Theta as the M4 competition ran
// them, and the Croston family. Series i is values[offsets[i] .. offsets[i + 1]); it must be
// non-empty and finite (the TS layer applies the missing-value policy and the fallbacks first).
#pragma once

#include <cstdint>

#include "waybill/common.h"

namespace waybill::ts {

enum class Method : int { kNaive = 0, kSNaive = 1, kNaive2 = 2, kDrift = 3, kSes = 4, kTheta = 5, kCroston = 6, kSba = 7, kTsb = 8, kAdida = 9, kOptimizedTheta = 10, kThetaf = 11 };

/// Forecasts series [range.begin, range.end) into out (count x horizon, row-major; only those
/// rows are written). seasonal[i] = 1 when the M4 seasonality test adjusted series i (may be
/// null). alpha / beta: the Croston-family constants.
Status forecast_cpu(const double* values, const int32_t* offsets, std::size_t count, Method method, int horizon, int season,
                    double alpha, double beta, double* out, uint8_t* seasonal, RowRange range, CancelToken cancel = {});

/// ETS model code: error (0 A, 1 M) * 9 + trend (0 N, 1 A, 2 Ad) * 3 + season (0 N, 1 A, 2 M).
constexpr int kEtsModels = 18;
constexpr int kEtsParams = 16;

struct EtsOptions {
  int max_iter = 800;        ///< Nelder-Mead iterations per search
  double tolerance = 5e-6;   ///< Nelder-Mead stop: criterion spread <= tolerance x n
  int max_season = 24;       ///< seasonal models only when season <= max_season
  uint32_t model_mask = (1u << kEtsModels) - 1;  ///< bit c: model code c may be fitted
  bool all_models = false;  ///< output every candidate's fit (slot = model code), not only the lowest AICc
};

/// AutoETS (src/kernels/timeseries/ets.ts, same numbers): fits every allowed model to each series
/// of [range.begin, range.end) and keeps the lowest AICc. params: count x kEtsParams =
/// [code (-1: none fitted), alpha, beta, gamma, phi, level, trend, sigma2, loglik, aic, aicc, bic,
/// np, n, m used, 0]; season_out: count x season (the m used seasonal states by cycle position).
/// With options.all_models: params count x kEtsModels x kEtsParams and season_out
/// count x kEtsModels x season, slot c holding model code c's fit (code -1 where not fitted).
Status ets_fit_cpu(const double* values, const int32_t* offsets, std::size_t count, int season, const EtsOptions& options,
                   double* params, double* season_out, RowRange range, CancelToken cancel = {});

/// Longest season for which ets_fit_cuda fits the seasonal models (their states are per-thread
/// arrays of this size on the device).
constexpr int kEtsCudaMaxSeason = 24;

/// ets_fit_cpu on a CUDA device (native/src/cuda/timeseries/ets_fit.cu; one thread per series and
/// model): same arguments, same output layout, the same candidate models (non-seasonal and
/// seasonal), model_mask and all_models honoured. Returns kUnsupported when the call could fit a
/// seasonal model for a season above kEtsCudaMaxSeason (season <= options.max_season and a
/// seasonal code in model_mask): run those on the CPU. Same numbers as ets_fit_cpu but for CUDA's
/// log() (<= 1 ulp from glibc's), which can turn a Nelder-Mead comparison; the parity tests allow
/// 1 % of fits to differ and report them. Without a CUDA build: kUnsupported with the reason.
Status ets_fit_cuda(const double* values, const int32_t* offsets, std::size_t count, int season, const EtsOptions& options,
                    double* params, double* season_out, RowRange range, CancelToken cancel = {});

}  // namespace waybill::ts
