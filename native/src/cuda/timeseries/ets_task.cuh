// One (series, model) fit of the CUDA AutoETS (ets_fit.cu) for the non-seasonal models (error A/M
// x trend N/A/Ad), written once for the device and, compiled by the host compiler, for the
// CPU-side check in native/test/test_ts_cuda.cc that runs it against ets_fit_cpu where no GPU is
// present. Every function repeats native/src/cpu/timeseries/ets.cc for a season of 1: fit_scale,
// initial_state, the start values and steps of setup_fit, the NelderMead state machine (fixed-size
// arrays: at most 5 parameters alpha, beta, phi, l0, b0, so a simplex of 6 points), the scalar
// criterion (criterion_t with kSeason = 0) and finish_fit, with the same operations in the same
// order (the core is built with -ffp-contract=off, CUDA with --fmad=false). The one difference on
// the device is log(): CUDA's (<= 1 ulp) instead of glibc's, so a criterion can differ in its last
// bit, which now and then sends a Nelder-Mead search down another path (see ets_fit.cu).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "waybill/timeseries.h"

#if defined(__CUDACC__)
#define WAYBILL_HD __host__ __device__
#else
#define WAYBILL_HD
#endif

namespace waybill::ts::cuda_detail {

constexpr double kLowerD = 1e-4;
constexpr double kUpperD = 0.9999;
constexpr double kPhiLowerD = 0.8;
constexpr double kPhiUpperD = 0.98;
constexpr double kInfD = __builtin_huge_val();
constexpr double kLn2D = 0.6931471805599453;
constexpr double kTwo500 = 0x1p500;
constexpr double kTwoM500 = 0x1p-500;
constexpr int kMaxDim = 5;
/// The non-seasonal model codes (error * 9 + trend * 3), in the order ets_fit_cpu compares them.
constexpr int kNonSeasonalCodes[6] = {0, 3, 6, 9, 12, 15};
/// Bit mask of the seasonal model codes (season A or M).
constexpr uint32_t kSeasonalMask = 0x36DB6u;  // codes 1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17

WAYBILL_HD inline double squash_d(double u) { return 0.5 + (0.5 * u) / (1 + std::fabs(u)); }
WAYBILL_HD inline double unsquash_d(double p) {
  const double v = 2 * p - 1;
  return v / (1 - std::fabs(v));
}

/// Per-series inputs prepared once (prepare_series): scale = fit_scale(y, n, 1), ys = y / scale,
/// positive = every value > 0.
WAYBILL_HD inline void prepare_series(const double* y, int n, double* ys, double* scale, uint8_t* positive) {
  const int k = n < 10 ? n : 10;  // std::min(n, std::max(10, 2 * 1))
  double s = 0;
  for (int i = 0; i < k; ++i) s += std::fabs(y[i]);
  s /= k;
  if (!(s > 0))
    for (int i = 0; i < n; ++i) s = s < std::fabs(y[i]) ? std::fabs(y[i]) : s;  // std::max(s, |y|)
  const double sc = s > 0 ? s : 1;
  bool pos = true;
  for (int i = 0; i < n; ++i) {
    ys[i] = y[i] / sc;
    if (!(y[i] > 0)) pos = false;
  }
  *scale = sc;
  *positive = pos ? 1 : 0;
}

/// The Nelder-Mead of ets.cc (class NelderMead), same phases and tie rules, fixed-size storage.
struct NelderMeadD {
  enum Phase { kInit, kReflect, kExpand, kContract, kShrink, kDone };
  int d, max_iter;
  double tol;
  double pts[kMaxDim + 1][kMaxDim];
  double fv[kMaxDim + 1];
  int order[kMaxDim + 1];
  double c[kMaxDim], xr[kMaxDim], xe[kMaxDim], xc[kMaxDim];
  int phase, k, it, best, worst, second;
  double fr;
  bool outside;

  WAYBILL_HD void init(const double* x0, const double* step, int dim, int iters, double tolerance) {
    d = dim;
    max_iter = iters;
    tol = tolerance;
    for (int i = 0; i <= d; ++i) {
      for (int j = 0; j < d; ++j) pts[i][j] = x0[j];
      fv[i] = 0;
      order[i] = i;
    }
    for (int i = 1; i <= d; ++i) pts[i][i - 1] += step[i - 1];
    phase = kInit;
    k = 0;
    it = 0;
    best = worst = second = 0;
    fr = 0;
    outside = false;
  }
  WAYBILL_HD bool done() const { return phase == kDone; }
  WAYBILL_HD const double* next() const {
    switch (phase) {
      case kInit:
      case kShrink: return pts[k];
      case kReflect: return xr;
      case kExpand: return xe;
      case kContract: return xc;
      default: return nullptr;
    }
  }
  WAYBILL_HD void copy(double* to, const double* from) const {
    for (int j = 0; j < d; ++j) to[j] = from[j];
  }
  WAYBILL_HD void report(double v) {
    if (std::isnan(v)) v = kInfD;
    switch (phase) {
      case kInit:
        fv[k] = v;
        if (++k > d) iterate();
        return;
      case kReflect: {
        fr = v;
        if (fr < fv[best]) {
          for (int j = 0; j < d; ++j) xe[j] = c[j] + 2 * (c[j] - pts[worst][j]);
          phase = kExpand;
          return;
        }
        if (fr < fv[second]) {
          copy(pts[worst], xr);
          fv[worst] = fr;
          iterate();
          return;
        }
        outside = fr < fv[worst];
        const double* xw = pts[worst];
        for (int j = 0; j < d; ++j) xc[j] = outside ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (xw[j] - c[j]);
        phase = kContract;
        return;
      }
      case kExpand:
        if (v < fr) {
          copy(pts[worst], xe);
          fv[worst] = v;
        } else {
          copy(pts[worst], xr);
          fv[worst] = fr;
        }
        iterate();
        return;
      case kContract:
        if (v < (outside ? fr : fv[worst])) {
          copy(pts[worst], xc);
          fv[worst] = v;
          iterate();
          return;
        }
        // Shrink towards the best point (which itself does not move).
        for (int i = 0; i <= d; ++i) {
          if (i == best) continue;
          for (int j = 0; j < d; ++j) pts[i][j] = pts[best][j] + 0.5 * (pts[i][j] - pts[best][j]);
        }
        phase = kShrink;
        k = best == 0 ? 1 : 0;
        return;
      case kShrink:
        fv[k] = v;
        ++k;
        if (k == best) ++k;
        if (k > d) iterate();
        return;
      default: return;
    }
  }
  /// The best point (first of equal values) into x; returns its criterion.
  WAYBILL_HD double result(double* x) const {
    int bi = 0;
    for (int i = 1; i <= d; ++i)
      if (fv[i] < fv[bi]) bi = i;
    for (int j = 0; j < d; ++j) x[j] = pts[bi][j];
    return fv[bi];
  }
  WAYBILL_HD void iterate() {
    if (it >= max_iter) {
      phase = kDone;
      return;
    }
    ++it;
    for (int i = 1; i <= d; ++i) {
      const int kk = order[i];
      int j = i - 1;
      while (j >= 0 && (fv[order[j]] > fv[kk] || (fv[order[j]] == fv[kk] && order[j] > kk))) {
        order[j + 1] = order[j];
        --j;
      }
      order[j + 1] = kk;
    }
    best = order[0];
    worst = order[d];
    second = order[d - 1];
    const double fb = fv[best], fw = fv[worst];
    if (std::isfinite(fw) && fw - fb <= tol) {
      phase = kDone;
      return;
    }
    for (int j = 0; j < d; ++j) c[j] = 0.0;
    for (int i = 0; i <= d; ++i) {
      if (i == worst) continue;
      for (int j = 0; j < d; ++j) c[j] = c[j] + pts[i][j];
    }
    for (int j = 0; j < d; ++j) c[j] = c[j] / d;
    const double* xw = pts[worst];
    for (int j = 0; j < d; ++j) xr[j] = c[j] + (c[j] - xw[j]);
    phase = kReflect;
  }
};

struct EndStateD {
  double level, trend, sse;
};

/// criterion_t<kHasTrend, 0, kMultErr> of ets.cc: -2 log-likelihood (up to constants) of the
/// scaled series; end (kEnd) receives the final level, trend and sum of squared errors.
template <bool kHasTrend, bool kMultErr, bool kEnd>
WAYBILL_HD inline double criterion_ns(const double* __restrict__ y, int n, double alpha, double beta, double phi, double l0, double b0,
                                      EndStateD* end) {
  double b = kHasTrend ? b0 : 0, sse = 0, prod = 1;
  double q = kHasTrend ? l0 + phi * b : l0, l = l0;
  int exp2 = 0;
  const double aq = kHasTrend ? 1 - alpha - phi * beta : 1 - alpha;
  const double ab = phi * phi;
  const double ay = kHasTrend ? alpha + phi * beta : alpha;
  for (int t = 0; t < n; ++t) {
    const double yt = y[t];
    const double f = q;
    const double d = yt - q;
    if (!std::isfinite(f)) return kInfD;
    double e;
    if (kMultErr) {
      if (std::fabs(f) < 1e-10) return kInfD;
      e = (yt - f) / f;
      prod *= std::fabs(f);
      if (prod > kTwo500) {
        prod *= kTwoM500;
        exp2 += 500;
      } else if (prod < kTwoM500) {
        prod *= kTwo500;
        exp2 -= 500;
      }
    } else {
      e = yt - f;
    }
    sse += e * e;
    if (kEnd) l = q + alpha * d;
    if (kHasTrend) {
      const double bn = phi * b + beta * d;
      q = aq * q + ab * b + ay * yt;
      b = bn;
    } else {
      q = aq * q + ay * yt;
    }
  }
  if (!std::isfinite(sse)) return kInfD;
  if (kEnd) {
    end->sse = sse;
    end->level = l;
    end->trend = b;
  }
  const double lik = n * std::log(sse < 1e-300 ? 1e-300 : sse);  // std::max(sse, 1e-300)
  return kMultErr ? lik + 2 * (std::log(prod) + exp2 * kLn2D) : lik;
}

/// Fits model `code` (non-seasonal) to the scaled series ys (n values, scale from prepare_series)
/// and writes the kEtsParams row of ets_fit_cpu into out (code -1 and zeros when not fitted).
template <bool kHasTrend, bool kMultErr>
WAYBILL_HD inline void fit_model(const double* __restrict__ ys, int n, double scale, int code, int max_iter, double tolerance, double* out) {
  const bool damped = code % 9 / 3 == 2;
  for (int j = 0; j < kEtsParams; ++j) out[j] = 0;
  out[0] = -1;
  const int ns = 1 + (kHasTrend ? 1 : 0) + (damped ? 1 : 0);
  const int npar = ns + 1 + (kHasTrend ? 1 : 0);
  if (n <= npar + 4) return;
  // initial_state for a season of 1: the mean or the regression line of the first min(10, n) values.
  const int maxn = n < 10 ? n : 10;
  double l0 = 0, b0 = 0;
  if (!kHasTrend) {
    double s = 0;
    for (int i = 0; i < maxn; ++i) s += ys[i];
    l0 = s / maxn;
  } else {
    double st = 0, sy = 0, stt = 0, sty = 0;
    for (int i = 0; i < maxn; ++i) {
      const double t = i + 1;
      const double v = ys[i];
      st += t;
      sy += v;
      stt += t * t;
      sty += t * v;
    }
    const double den = maxn * stt - st * st;
    const double slope = den != 0 ? (maxn * sty - st * sy) / den : 0;
    double l = (sy - slope * st) / maxn;
    double b = slope;
    if (std::fabs(l + b) < 1e-8) {
      l *= 1 + 1e-3;
      b *= 1 + 1e-3;
    }
    l0 = l;
    b0 = b;
  }
  // Start values and steps (setup_fit with mm = 1).
  double u[kMaxDim], step[kMaxDim];
  int k = 0;
  const double alpha0 = kLowerD + (0.2 * (kUpperD - kLowerD)) / 1;
  double rel = (alpha0 - kLowerD) / (kUpperD - kLowerD);
  rel = 0.02 < rel ? rel : 0.02;  // std::max(0.02, r)
  rel = rel < 0.98 ? rel : 0.98;  // std::min(0.98, r)
  u[k++] = unsquash_d(rel);
  if (kHasTrend) u[k++] = unsquash_d(0.1);
  if (damped) u[k++] = unsquash_d(0.9);
  u[k++] = l0;
  if (kHasTrend) u[k++] = b0;
  for (int i = 0; i < ns; ++i) step[i] = 0.5;
  const double al0 = std::fabs(l0) < 0.1 ? 0.1 : std::fabs(l0);  // std::max(|l0|, 0.1)
  step[ns] = 0.1 * al0;
  if (kHasTrend) step[ns + 1] = 0.01 * al0;
  // decode(): the squashed parameters; beta 0 without a trend, phi 1 unless damped.
  struct Decoded {
    double alpha, beta, phi;
  };
  auto decode = [&](const double* x) {
    int j = 0;
    Decoded p;
    p.alpha = kLowerD + (kUpperD - kLowerD) * squash_d(x[j++]);
    p.beta = kHasTrend ? kLowerD + (p.alpha - kLowerD) * squash_d(x[j++]) : 0;
    p.phi = damped ? kPhiLowerD + (kPhiUpperD - kPhiLowerD) * squash_d(x[j++]) : 1;
    return p;
  };
  NelderMeadD nm;
  nm.init(u, step, k, max_iter, tolerance * n);
  while (!nm.done()) {
    const double* x = nm.next();
    const Decoded p = decode(x);
    nm.report(criterion_ns<kHasTrend, kMultErr, false>(ys, n, p.alpha, p.beta, p.phi, x[ns], kHasTrend ? x[ns + 1] : 0, nullptr));
  }
  double best[kMaxDim];
  const double fbest = nm.result(best);
  if (!std::isfinite(fbest)) return;
  // finish_fit.
  const Decoded p = decode(best);
  EndStateD end{0, 0, 0};
  const double lik = criterion_ns<kHasTrend, kMultErr, true>(ys, n, p.alpha, p.beta, p.phi, best[ns], kHasTrend ? best[ns + 1] : 0, &end);
  const int np = npar + 1;
  const double lik_full = lik + 2 * n * std::log(scale);
  const double aic = lik_full + 2 * np;
  const double aicc = n - np - 1 > 0 ? aic + (2.0 * np * (np + 1)) / (n - np - 1) : kInfD;
  const double bic = lik_full + std::log(static_cast<double>(n)) * np;
  const double err_scale = kMultErr ? 1 : scale * scale;
  const int dof = n - np > 1 ? n - np : 1;  // std::max(1, n - np)
  out[0] = code;
  out[1] = p.alpha;
  out[2] = p.beta;
  out[3] = 0;
  out[4] = p.phi;
  out[5] = end.level * scale;
  out[6] = end.trend * scale;
  out[7] = (end.sse * err_scale) / dof;
  out[8] = -0.5 * lik_full;
  out[9] = aic;
  out[10] = aicc;
  out[11] = bic;
  out[12] = np;
  out[13] = n;
  out[14] = 1;
  out[15] = 0;
}

/// Everything one launch needs. Series i (of the chunk) is ys[offsets[i] .. offsets[i + 1]);
/// order lists the series longest first; codes holds the `models` codes fitted (ascending).
struct TaskArgs {
  const double* ys;
  const int32_t* offsets;
  const double* scale;
  const uint8_t* positive;
  const int32_t* order;
  std::size_t count;
  int models;
  int codes[6];
  int max_iter;
  double tolerance;
  double* fits;  ///< count x models x kEtsParams, slot k of series i for codes[k]
};

/// Thread t of the fit launch. Threads go in groups of 32 x models: group g holds the series
/// order[32 g .. 32 g + 32) (similar lengths, as order is sorted), and each warp of the group fits
/// one model to those 32 series, so a warp runs one code path over series of about one length.
WAYBILL_HD inline void fit_task(const TaskArgs& a, std::size_t t) {
  const std::size_t per_group = 32 * static_cast<std::size_t>(a.models);
  const std::size_t g = t / per_group, r = t % per_group;
  const int slot = static_cast<int>(r / 32);
  const std::size_t rank = g * 32 + r % 32;
  if (rank >= a.count) return;
  const std::size_t s = static_cast<std::size_t>(a.order[rank]);
  const int code = a.codes[slot];
  double* out = a.fits + (s * static_cast<std::size_t>(a.models) + static_cast<std::size_t>(slot)) * kEtsParams;
  const double* ys = a.ys + a.offsets[s];
  const int n = a.offsets[s + 1] - a.offsets[s];
  const bool mult = code >= 9;
  const bool trend = code % 9 / 3 != 0;
  if (mult && !a.positive[s]) {
    for (int j = 0; j < kEtsParams; ++j) out[j] = 0;
    out[0] = -1;
    return;
  }
  if (mult) {
    if (trend) fit_model<true, true>(ys, n, a.scale[s], code, a.max_iter, a.tolerance, out);
    else fit_model<false, true>(ys, n, a.scale[s], code, a.max_iter, a.tolerance, out);
  } else {
    if (trend) fit_model<true, false>(ys, n, a.scale[s], code, a.max_iter, a.tolerance, out);
    else fit_model<false, false>(ys, n, a.scale[s], code, a.max_iter, a.tolerance, out);
  }
}

/// Threads of the fit launch for `count` series and `models` models (whole groups).
inline std::size_t task_threads(std::size_t count, int models) { return (count + 31) / 32 * 32 * static_cast<std::size_t>(models); }

/// Copies the per-model fits of series [0, count) of a chunk into ets_fit_cpu's layout: every
/// candidate in its model-code slot with all_models, else the lowest finite AICc (first of equal,
/// in code order). Rows start at params / season_out (the chunk's first series), zero-filled.
inline void assemble_rows(const double* fits, std::size_t count, int models, const int* codes, int season, bool all_models, double* params,
                          double* season_out) {
  const std::size_t slots = all_models ? kEtsModels : 1;
  for (std::size_t s = 0; s < count; ++s) {
    double* P = params + s * kEtsParams * slots;
    double* SO = season_out + s * static_cast<std::size_t>(season) * slots;
    for (std::size_t j = 0; j < kEtsParams * slots; ++j) P[j] = 0;
    for (std::size_t j = 0; j < static_cast<std::size_t>(season) * slots; ++j) SO[j] = 0;
    for (std::size_t k = 0; k < slots; ++k) P[k * kEtsParams] = -1;
    const double* F = fits + s * static_cast<std::size_t>(models) * kEtsParams;
    const double* best = nullptr;
    for (int k = 0; k < models; ++k) {
      const double* f = F + static_cast<std::size_t>(k) * kEtsParams;
      if (f[0] < 0) continue;
      if (all_models) {
        for (int j = 0; j < kEtsParams; ++j) P[static_cast<std::size_t>(codes[k]) * kEtsParams + static_cast<std::size_t>(j)] = f[j];
        continue;
      }
      if (std::isfinite(f[10]) && (best == nullptr || f[10] < best[10])) best = f;
    }
    if (best != nullptr)
      for (int j = 0; j < kEtsParams; ++j) P[j] = best[j];
  }
}

}  // namespace waybill::ts::cuda_detail
