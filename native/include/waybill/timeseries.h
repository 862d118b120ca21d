// Batched time-series forecasters (CPU): the baselines, SES and Theta as the M4 competition ran
// them, and the Croston family. Series i is values[offsets[i] .. offsets[i + 1]); it must be
// non-empty and finite (the TS layer applies the missing-value policy and the fallbacks first).
#pragma once

#include <cstdint>

#include "waybill/common.h"

namespace waybill::ts {

enum class Method : int { kNaive = 0, kSNaive = 1, kNaive2 = 2, kDrift = 3, kSes = 4, kTheta = 5, kCroston = 6, kSba = 7, kTsb = 8 };

/// Forecasts series [range.begin, range.end) into out (count x horizon, row-major; only those
/// rows are written). seasonal[i] = 1 when the M4 seasonality test adjusted series i (may be
/// null). alpha / beta: the Croston-family constants.
Status forecast_cpu(const double* values, const int32_t* offsets, std::size_t count, Method method, int horizon, int season,
                    double alpha, double beta, double* out, uint8_t* seasonal, RowRange range, CancelToken cancel = {});

}  // namespace waybill::ts
