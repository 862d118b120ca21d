// One (series, model) fit of the CUDA AutoETS (ets_fit.cu), written once for the device and,
// compiled by the host compiler, for the CPU-side check in native/test/test_ts_cuda.cc that runs it
// against ets_fit_cpu where no GPU is present. Every function repeats a part of
// native/src/cpu/timeseries/ets.cc with the same operations in the same order (the core is built
// with -ffp-contract=off, CUDA with --fmad=false):
//   non-seasonal models (fit_model): fit_scale and initial_state for a season of 1, the start
//     values and steps of setup_fit, the scalar criterion (criterion_t with kSeason = 0),
//     finish_fit;
//   seasonal models (fit_seasonal, season A or M, m <= kEtsCudaMaxSeason): fit_scale,
//     seasonal_figure and initial_state for season m, admissible (with
//     roots_inside_unit_circle), criterion_t with kSeason = 1 / 2, the second search of fit_ets
//     from the least-squares initial states (season_least_squares, here with the normal matrix
//     packed and factored in place: same values, half the storage) and finish_fit;
//   both: the NelderMead state machine (fixed-size arrays: at most 6 parameters alpha, beta,
//     gamma, phi, l0, b0).
// The seasonal states live in per-thread arrays sized by kEtsCudaMaxSeason (a stack frame of about
// 10 KiB per thread in the seasonal kernel, most of it season_least_squares' design and normal
// matrices).
// The one difference on the device is log(): CUDA's (<= 1 ulp) instead of glibc's, so a criterion
// can differ in its last bit, which now and then sends a Nelder-Mead search down another path (see
// ets_fit.cu).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "waybill/timeseries.h"

#if defined(__CUDACC__)
#define WAYBILL_HD __host__ __device__
#define WAYBILL_NOINLINE __noinline__
#else
#define WAYBILL_HD
#define WAYBILL_NOINLINE
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
constexpr int kMaxDim = 6;     // alpha, beta, gamma, phi, l0, b0
constexpr int kMaxDimNs = 5;   // without gamma
constexpr int kMaxM = kEtsCudaMaxSeason;
/// Bit mask of the seasonal model codes ets_fit_cpu can fit (season A or M, not error A with
/// season M): 1, 4, 7, 10, 11, 13, 14, 16, 17.
constexpr uint32_t kSeasonalMask = (1u << 1) | (1u << 4) | (1u << 7) | (1u << 10) | (1u << 11) | (1u << 13) | (1u << 14) | (1u << 16) | (1u << 17);

WAYBILL_HD inline bool is_seasonal(int code) { return code % 3 != 0; }

WAYBILL_HD inline int popcount32(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __popc(x);
#else
  return __builtin_popcount(x);
#endif
}

WAYBILL_HD inline double squash_d(double u) { return 0.5 + (0.5 * u) / (1 + std::fabs(u)); }
WAYBILL_HD inline double unsquash_d(double p) {
  const double v = 2 * p - 1;
  return v / (1 - std::fabs(v));
}

/// Per-series inputs prepared once per season length m (1 for the non-seasonal models, the season
/// for the seasonal ones): scale = fit_scale(y, n, m), ys = y / scale, positive = every value > 0.
WAYBILL_HD inline void prepare_series(const double* y, int n, int m, double* ys, double* scale, uint8_t* positive) {
  const int km = 10 < 2 * m ? 2 * m : 10;  // std::max(10, 2 * m)
  const int k = n < km ? n : km;           // std::min(n, ...)
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

/// The Nelder-Mead of ets.cc (class NelderMead), same phases and tie rules, storage for at most
/// kDim parameters.
template <int kDim>
struct NelderMeadD {
  enum Phase { kInit, kReflect, kExpand, kContract, kShrink, kDone };
  int d, max_iter;
  double tol;
  double pts[kDim + 1][kDim];
  double fv[kDim + 1];
  int order[kDim + 1];
  double c[kDim], xr[kDim], xe[kDim], xc[kDim];
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

/// One step's error of criterion_t (ets.cc): additive y - f, or relative (y - f) / f with |f|
/// multiplied into prod, kept within 2^-500 .. 2^500 by moving powers of two into exp2. False
/// when |f| < 1e-10 (the criterion is then infinite).
template <bool kMultErr>
WAYBILL_HD inline bool step_error(double yt, double f, double* e, double* prod, int* exp2) {
  if (!kMultErr) {
    *e = yt - f;
    return true;
  }
  if (std::fabs(f) < 1e-10) return false;
  *e = (yt - f) / f;
  *prod *= std::fabs(f);
  if (*prod > kTwo500) {
    *prod *= kTwoM500;
    *exp2 += 500;
  } else if (*prod < kTwoM500) {
    *prod *= kTwo500;
    *exp2 -= 500;
  }
  return true;
}

/// The end of criterion_t: infinite for a non-finite sse; with kEnd the final level, trend and
/// sse into end; n log(max(sse, 1e-300)), plus 2 log prod|f| for multiplicative errors.
template <bool kMultErr, bool kEnd>
WAYBILL_HD inline double finish_criterion(int n, double sse, double prod, int exp2, double level, double trend, EndStateD* end) {
  if (!std::isfinite(sse)) return kInfD;
  if (kEnd) {
    end->sse = sse;
    end->level = level;
    end->trend = trend;
  }
  const double lik = n * std::log(sse < 1e-300 ? 1e-300 : sse);  // std::max(sse, 1e-300)
  return kMultErr ? lik + 2 * (std::log(prod) + exp2 * kLn2D) : lik;
}

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
    if (!step_error<kMultErr>(yt, f, &e, &prod, &exp2)) return kInfD;
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
  return finish_criterion<kMultErr, kEnd>(n, sse, prod, exp2, l, b, end);
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
  double u[kMaxDimNs], step[kMaxDimNs];
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
  NelderMeadD<kMaxDimNs> nm;
  nm.init(u, step, k, max_iter, tolerance * n);
  while (!nm.done()) {
    const double* x = nm.next();
    const Decoded p = decode(x);
    nm.report(criterion_ns<kHasTrend, kMultErr, false>(ys, n, p.alpha, p.beta, p.phi, x[ns], kHasTrend ? x[ns + 1] : 0, nullptr));
  }
  double best[kMaxDimNs];
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

// ---- Seasonal models -------------------------------------------------------------------------

/// roots_inside_unit_circle of ets.cc on a[0 .. size) (the reduction alternates between a and
/// next, both of at least size entries; both are overwritten).
WAYBILL_HD inline bool roots_inside_unit_circle_d(double* a, double* next, int size) {
  while (size > 1) {
    const int k = size - 1;
    const double a0 = a[0], ak = a[k];
    if (std::fabs(a0) >= std::fabs(ak)) return false;
    for (int j = 0; j < k; ++j) next[j] = ak * a[j + 1] - a0 * a[k - j - 1];
    const double lead = next[k - 1];
    for (int j = 0; j < k; ++j) next[j] = next[j] / lead;
    double* t = a;
    a = next;
    next = t;
    size = k;
  }
  return true;
}

/// admissible() of ets.cc: the parameter region of the seasonal models (m <= kMaxM).
WAYBILL_HD inline bool admissible_d(double alpha, double beta_in, double gamma, double phi, int m, bool has_trend) {
  const double beta = has_trend ? beta_in : 0;
  const double g0 = 1 - 1 / phi - alpha;
  if (gamma < (g0 < 0.0 ? 0.0 : g0) || gamma > 1 + 1 / phi - alpha) return false;  // std::max(g0, 0.0)
  if (alpha < 1 - 1 / phi - (gamma * (1 - m + phi + phi * m)) / (2 * phi * m)) return false;
  if (beta < -(1 - phi) * (gamma / m + alpha)) return false;
  double p[kMaxM + 2], other[kMaxM + 2];
  p[0] = phi * (1 - alpha - gamma);
  p[1] = alpha + beta - alpha * phi + gamma - 1;
  for (int j = 2; j < m; ++j) p[j] = alpha + beta - alpha * phi;
  p[m] = alpha + beta - phi;
  p[m + 1] = 1;
  if (!has_trend) {
    other[m] = 1;
    for (int j = m; j >= 1; --j) other[j - 1] = p[j] + other[j];
    return roots_inside_unit_circle_d(other, p, m + 1);
  }
  return roots_inside_unit_circle_d(p, other, m + 2);
}

/// seasonal_figure of ets.cc: the classical-decomposition season of the first 3m values.
WAYBILL_HD inline void seasonal_figure_d(const double* y, int m, bool mult, double* fig) {
  const int n = 3 * m;
  const bool even = m % 2 == 0;
  const int half = even ? m / 2 : (m - 1) / 2;
  double cnt[kMaxM];
  for (int p = 0; p < m; ++p) fig[p] = cnt[p] = 0.0;  // fig holds the sums first
  for (int i = half; i + half < n; ++i) {
    double t = 0;
    if (even) {
      t += 0.5 * y[i - half] + 0.5 * y[i + half];
      for (int k = -half + 1; k <= half - 1; ++k) t += y[i + k];
    } else {
      for (int k = -half; k <= half; ++k) t += y[i + k];
    }
    t /= m;
    const int p = i % m;
    fig[p] = fig[p] + (mult ? y[i] / t : y[i] - t);
    cnt[p] = cnt[p] + 1;
  }
  double mean = 0;
  for (int p = 0; p < m; ++p) {
    fig[p] = fig[p] / cnt[p];
    mean += fig[p];
  }
  mean /= m;
  for (int p = 0; p < m; ++p) fig[p] = mult ? fig[p] / mean : fig[p] - mean;
  if (mult)
    for (int p = 0; p < m; ++p) fig[p] = fig[p] < 1e-2 ? 1e-2 : fig[p];  // std::max(fig[p], 1e-2)
}

/// criterion_t<kHasTrend, kSeason, kMultErr> of ets.cc for a seasonal model (kSeason 1: A, 2: M);
/// work receives the running seasonal states (from s0) and, with kEnd, keeps the final ones.
template <bool kHasTrend, int kSeason, bool kMultErr, bool kEnd>
WAYBILL_HD inline double criterion_s(const double* __restrict__ y, int n, int m, double alpha, double beta, double gamma, double phi, double l0,
                                     double b0, const double* s0, double* work, EndStateD* end) {
  for (int j = 0; j < m; ++j) work[j] = s0[j];
  double b = kHasTrend ? b0 : 0, sse = 0, prod = 1;
  double q = kHasTrend ? l0 + phi * b : l0, l = l0;
  int exp2 = 0, pos = 0;
  const double aq = kHasTrend ? 1 - alpha - phi * beta : 1 - alpha;
  const double ab = phi * phi;
  const double ay = kHasTrend ? alpha + phi * beta : alpha;
  for (int t = 0; t < n; ++t) {
    const double yt = y[t];
    const double s = work[pos];
    double f, ya, tt;
    if (kSeason == 1) {
      f = q + s;
      ya = yt - s;
      tt = yt - q;
    } else {
      if (std::fabs(s) < 1e-10 || std::fabs(q) < 1e-10) return kInfD;
      f = q * s;
      ya = yt / s;
      tt = yt / q;
    }
    const double d = ya - q;
    if (!std::isfinite(f)) return kInfD;
    double e;
    if (!step_error<kMultErr>(yt, f, &e, &prod, &exp2)) return kInfD;
    sse += e * e;
    if (kEnd) l = q + alpha * d;
    work[pos] = s + gamma * (tt - s);
    pos = pos + 1 == m ? 0 : pos + 1;
    if (kHasTrend) {
      const double bn = phi * b + beta * d;
      q = aq * q + ab * b + ay * ya;
      b = bn;
    } else {
      q = aq * q + ay * ya;
    }
  }
  return finish_criterion<kMultErr, kEnd>(n, sse, prod, exp2, l, b, end);
}

/// season_least_squares of ets.cc: the initial level, trend and (additive) seasonal states that
/// minimise the squared one-step errors for the given smoothing parameters. The normal matrix is
/// kept as its lower triangle, packed by rows (entry (i, j), j <= i, at i (i + 1) / 2 + j), and
/// the Cholesky factor overwrites it: ets.cc reads each entry of A once, before the factor entry
/// at the same place is written, so the numbers are the same.
WAYBILL_HD inline bool season_least_squares_d(const double* y, int n, int m, bool has_trend, double alpha, double beta, double gamma, double phi,
                                              double* l0, double* b0, double* season) {
  constexpr int kMaxK = kMaxM + 1;
  const int k0 = 1 + (has_trend ? 1 : 0) + (m - 1);
  const int bi = 1;
  const int s0r = has_trend ? 2 : 1;
  const int rows = s0r + m;
  const int K = k0;
  double G[(kMaxM + 2) * kMaxK];
  double A[kMaxK * (kMaxK + 1) / 2];
  double rhs[kMaxK], dv[kMaxK], S[kMaxM], z[kMaxK], x[kMaxK];
  for (int i = 0; i < rows * K; ++i) G[i] = 0.0;
  for (int i = 0; i < K * (K + 1) / 2; ++i) A[i] = 0.0;
  for (int i = 0; i < K; ++i) rhs[i] = dv[i] = z[i] = x[i] = 0.0;
  for (int j = 0; j < m; ++j) S[j] = 0.0;
  G[0] = 1;
  if (has_trend) G[bi * K + 1] = 1;
  const int c0 = has_trend ? 2 : 1;
  for (int j = 1; j < m; ++j) {
    G[(s0r + j) * K + (c0 + j - 1)] = 1;
    G[s0r * K + (c0 + j - 1)] = -1;
  }
  double l = 0, b = 0;
  int pos = 0;
  for (int t = 0; t < n; ++t) {
    const double yt = y[t];
    const double q = l + phi * b;
    const double ct = yt - q - S[pos];
    const int sr = (s0r + pos) * K;
    for (int k = 0; k < K; ++k) dv[k] = G[k] + (has_trend ? phi * G[bi * K + k] : 0) + G[sr + k];
    for (int i = 0; i < K; ++i) {
      const double di = dv[i];
      if (di == 0) continue;
      rhs[i] = rhs[i] + di * ct;
      for (int j = i; j < K; ++j) A[j * (j + 1) / 2 + i] = A[j * (j + 1) / 2 + i] + di * dv[j];  // A(i, j), stored at (j, i)
    }
    for (int k = 0; k < K; ++k) {
      const double gl = G[k];
      const double gb = has_trend ? G[bi * K + k] : 0;
      const double dk = dv[k];
      G[k] = gl + phi * gb - alpha * dk;
      if (has_trend) G[bi * K + k] = phi * gb - beta * dk;
      G[sr + k] = G[sr + k] - gamma * dk;
    }
    const double phib = phi * b;
    l = l + phib + alpha * ct;
    if (has_trend) b = phib + beta * ct;
    S[pos] = S[pos] + gamma * ct;
    pos = pos + 1 == m ? 0 : pos + 1;
  }
  // Cholesky in place: L(i, j) replaces A(i, j).
  for (int i = 0; i < K; ++i) {
    const int ri = i * (i + 1) / 2;
    for (int j = 0; j <= i; ++j) {
      const int rj = j * (j + 1) / 2;
      double s = A[ri + j];
      for (int k = 0; k < j; ++k) s -= A[ri + k] * A[rj + k];
      if (i == j) {
        if (!(s > 1e-12 * (A[ri + i] + 1e-300))) return false;
        A[ri + i] = std::sqrt(s);
      } else {
        A[ri + j] = s / A[rj + j];
      }
    }
  }
  for (int i = 0; i < K; ++i) {
    const int ri = i * (i + 1) / 2;
    double s = rhs[i];
    for (int k = 0; k < i; ++k) s -= A[ri + k] * z[k];
    z[i] = s / A[ri + i];
  }
  for (int ii = K; ii-- > 0;) {
    double s = z[ii];
    for (int k = ii + 1; k < K; ++k) s -= A[k * (k + 1) / 2 + ii] * x[k];
    x[ii] = s / A[ii * (ii + 1) / 2 + ii];
  }
  double sum = 0;
  for (int j = 1; j < m; ++j) {
    season[j] = x[c0 + j - 1];
    sum += season[j];
  }
  season[0] = -sum;
  for (int i = 0; i < K; ++i)
    if (!std::isfinite(x[i])) return false;
  *l0 = x[0];
  *b0 = has_trend ? x[1] : 0;
  return true;
}

/// Fits seasonal model `code` (kSeason 1: A, 2: M; 2 <= m <= kMaxM) to the series scaled for
/// season m (ys, scale from prepare_series with m) as fit_ets of ets.cc does: a search from the
/// decomposition's initial states, then, when the least-squares initial states give a lower
/// criterion, a second search from those. Writes the kEtsParams row of ets_fit_cpu into out (code
/// -1 and zeros when not fitted) and the m final seasonal states into season_out (zeros when not
/// fitted). The caller has checked positivity (multiplicative error or season). Not inlined on the
/// device: the six instances then share one stack frame (about 10 KiB per thread at m = 24)
/// instead of adding theirs up in the kernel's.
template <bool kHasTrend, int kSeason, bool kMultErr>
WAYBILL_HD WAYBILL_NOINLINE void fit_seasonal(const double* __restrict__ ys, int n, int m, double scale, int code, int max_iter,
                                              double tolerance, double* out, double* season_out) {
  const bool damped = code % 9 / 3 == 2;
  for (int j = 0; j < kEtsParams; ++j) out[j] = 0;
  out[0] = -1;
  for (int j = 0; j < m; ++j) season_out[j] = 0;
  if (m < 2 || m > kMaxM || n < 3 * m) return;
  const int ns = 1 + (kHasTrend ? 1 : 0) + 1 + (damped ? 1 : 0);
  const int npar = ns + 1 + (kHasTrend ? 1 : 0) + (m - 1);
  if (n <= npar + 4) return;
  // initial_state: the decomposition's season, then the mean or the regression line of the first
  // maxn seasonally adjusted values.
  double season0[kMaxM], ls_season[kMaxM], work[kMaxM];
  seasonal_figure_d(ys, m, kSeason == 2, season0);
  const int len = n < 3 * m ? n : 3 * m;                 // std::min(n, 3 * m)
  const int cap = 10 < 2 * m ? 2 * m : 10;               // std::max(10, 2 * m)
  const int maxn = cap < len ? cap : len;                // std::min(cap, len)
  auto sa = [&](int i) { return kSeason == 2 ? ys[i] / season0[i % m] : ys[i] - season0[i % m]; };
  double l0 = 0, b0 = 0;
  if (!kHasTrend) {
    double s = 0;
    for (int i = 0; i < maxn; ++i) s += sa(i);
    l0 = s / maxn;
  } else {
    double st = 0, sy = 0, stt = 0, sty = 0;
    for (int i = 0; i < maxn; ++i) {
      const double t = i + 1;
      const double v = sa(i);
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
  // Start values and steps (setup_fit).
  double u[kMaxDim], step[kMaxDim];
  int k = 0;
  const double alpha0 = kLowerD + (0.2 * (kUpperD - kLowerD)) / m;
  double rel = (alpha0 - kLowerD) / (kUpperD - kLowerD);
  rel = 0.02 < rel ? rel : 0.02;  // std::max(0.02, r)
  rel = rel < 0.98 ? rel : 0.98;  // std::min(0.98, r)
  u[k++] = unsquash_d(rel);
  if (kHasTrend) u[k++] = unsquash_d(0.1);
  u[k++] = unsquash_d(0.05);
  if (damped) u[k++] = unsquash_d(0.9);
  u[k++] = l0;
  if (kHasTrend) u[k++] = b0;
  for (int i = 0; i < ns; ++i) step[i] = 0.5;
  const double al0 = std::fabs(l0) < 0.1 ? 0.1 : std::fabs(l0);  // std::max(|l0|, 0.1)
  step[ns] = 0.1 * al0;
  if (kHasTrend) step[ns + 1] = 0.01 * al0;
  struct Decoded {
    double alpha, beta, gamma, phi;
  };
  auto decode = [&](const double* x) {
    int j = 0;
    Decoded p;
    p.alpha = kLowerD + (kUpperD - kLowerD) * squash_d(x[j++]);
    p.beta = kHasTrend ? kLowerD + (p.alpha - kLowerD) * squash_d(x[j++]) : 0;
    p.gamma = kLowerD + (1 - p.alpha - kLowerD) * squash_d(x[j++]);
    p.phi = damped ? kPhiLowerD + (kPhiUpperD - kPhiLowerD) * squash_d(x[j++]) : 1;
    return p;
  };
  const double* cur = season0;
  auto crit = [&](const double* x) {
    const Decoded p = decode(x);
    if (!admissible_d(p.alpha, p.beta, p.gamma, p.phi, m, kHasTrend)) return kInfD;
    return criterion_s<kHasTrend, kSeason, kMultErr, false>(ys, n, m, p.alpha, p.beta, p.gamma, p.phi, x[ns], kHasTrend ? x[ns + 1] : 0, cur, work,
                                                           nullptr);
  };
  const double tol = tolerance * n;
  NelderMeadD<kMaxDim> nm;
  nm.init(u, step, k, max_iter, tol);
  while (!nm.done()) nm.report(crit(nm.next()));
  double best[kMaxDim];
  double fbest = nm.result(best);
  // The second search, from the least-squares initial states (ets.cc fit_ets).
  double ll = 0, lb = 0;
  {
    const Decoded p = decode(best);
    if (season_least_squares_d(ys, n, m, kHasTrend, p.alpha, p.beta, p.gamma, p.phi, &ll, &lb, ls_season)) {
      if (kSeason == 2)
        for (int j = 0; j < m; ++j) {
          const double v = 1 + ls_season[j] / ll;
          ls_season[j] = 1e-2 < v ? v : 1e-2;  // std::max(1e-2, v)
        }
      double x1[kMaxDim];
      for (int j = 0; j < k; ++j) x1[j] = best[j];
      x1[ns] = ll;
      if (kHasTrend) x1[ns + 1] = lb;
      cur = ls_season;
      const double f1 = crit(x1);
      if (f1 < fbest) {
        nm.init(x1, step, k, max_iter, tol);
        while (!nm.done()) nm.report(crit(nm.next()));
        double again[kMaxDim];
        const double fa = nm.result(again);
        for (int j = 0; j < m; ++j) season0[j] = ls_season[j];
        if (fa <= f1) {
          for (int j = 0; j < k; ++j) best[j] = again[j];
          fbest = fa;
        } else {
          for (int j = 0; j < k; ++j) best[j] = x1[j];
          fbest = f1;
        }
      }
      cur = season0;
    }
  }
  if (!std::isfinite(fbest)) return;
  // finish_fit.
  const Decoded p = decode(best);
  EndStateD end{0, 0, 0};
  const double lik = criterion_s<kHasTrend, kSeason, kMultErr, true>(ys, n, m, p.alpha, p.beta, p.gamma, p.phi, best[ns],
                                                                      kHasTrend ? best[ns + 1] : 0, season0, work, &end);
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
  out[3] = p.gamma;
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
  out[14] = m;
  out[15] = 0;
  for (int j = 0; j < m; ++j) season_out[j] = kSeason == 1 ? work[j] * scale : work[j];
}

// ---- Launches --------------------------------------------------------------------------------

/// The model codes ets_fit_cuda fits for these options and season, ascending (the order in which
/// ets_fit_cpu compares its candidates): the non-seasonal codes in model_mask, and the seasonal
/// ones (kSeasonalMask) when 1 < season <= max_season. Returns how many (at most kEtsModels).
inline int plan_codes(uint32_t model_mask, int season, int max_season, int* codes) {
  const bool seasonal = season > 1 && season <= max_season;
  int count = 0;
  for (int code = 0; code < kEtsModels; ++code) {
    if (!(model_mask & (1u << code))) continue;
    if (is_seasonal(code) && !(seasonal && (kSeasonalMask & (1u << code)))) continue;
    codes[count++] = code;
  }
  return count;
}

/// Everything one launch needs. A fits row holds every planned model (row_models slots, codes
/// ascending); one launch fits either the non-seasonal or the seasonal ones among them. Series i
/// (of the chunk) is ys[offsets[i] .. offsets[i + 1]); order lists the series longest first.
struct TaskArgs {
  const double* ys;           ///< y / fit_scale(y, n, 1): non-seasonal models
  const double* scale;
  const double* ys_season;    ///< y / fit_scale(y, n, season): seasonal models (unused otherwise)
  const double* scale_season;
  const int32_t* offsets;
  const uint8_t* positive;
  const int32_t* order;
  std::size_t count;
  int season;
  int models;                 ///< models of this launch
  int codes[kEtsModels];      ///< their codes
  uint32_t row_mask;          ///< the codes of a fits row (bit c: code c), so code c has slot popcount(row_mask & (2^c - 1))
  int row_models;             ///< slots per fits row
  int max_iter;
  double tolerance;
  double* fits;               ///< count x row_models x kEtsParams
  double* season_fits;        ///< count x row_models x season (written for seasonal slots only)
};

/// Fills a's codes / models / row with the seasonal (or the non-seasonal) codes among the row's
/// `row_models` planned ones (ascending); returns how many.
inline int select_launch(TaskArgs& a, const int* row_codes, int row_models, bool seasonal) {
  a.row_models = row_models;
  a.row_mask = 0;
  a.models = 0;
  for (int k = 0; k < row_models; ++k) {
    a.row_mask |= 1u << row_codes[k];
    if (is_seasonal(row_codes[k]) != seasonal) continue;
    a.codes[a.models++] = row_codes[k];
  }
  return a.models;
}

/// Thread t of a fit launch. Threads go in groups of 32 x models: group g holds the series
/// order[32 g .. 32 g + 32) (similar lengths, as order is sorted), and each warp of the group fits
/// one model to those 32 series, so a warp runs one code path over series of about one length.
/// kSeasonal: the launch holds the seasonal models (else the non-seasonal ones).
template <bool kSeasonal>
WAYBILL_HD inline void fit_task(const TaskArgs& a, std::size_t t) {
  const std::size_t per_group = 32 * static_cast<std::size_t>(a.models);
  const std::size_t g = t / per_group, r = t % per_group;
  const int launch_slot = static_cast<int>(r / 32);
  const std::size_t rank = g * 32 + r % 32;
  if (rank >= a.count) return;
  const std::size_t s = static_cast<std::size_t>(a.order[rank]);
  const int code = a.codes[launch_slot];
  // The slot from a mask, not a per-launch table: indexing a kernel-argument array by a thread's
  // value costs the non-seasonal kernel registers and spills.
  const std::size_t row = s * static_cast<std::size_t>(a.row_models) + static_cast<std::size_t>(popcount32(a.row_mask & ((1u << code) - 1)));
  double* out = a.fits + row * kEtsParams;
  const int n = a.offsets[s + 1] - a.offsets[s];
  const bool mult = code >= 9;
  const bool trend = code % 9 / 3 != 0;
  const int season_type = code % 3;
  if (kSeasonal) {
    double* season_out = a.season_fits + row * static_cast<std::size_t>(a.season);
    const double* ys = a.ys_season + a.offsets[s];
    const double sc = a.scale_season[s];
    const int m = a.season;
    if (season_type == 0 || (!mult && season_type == 2) || ((mult || season_type == 2) && !a.positive[s])) {
      for (int j = 0; j < kEtsParams; ++j) out[j] = 0;
      out[0] = -1;
      for (int j = 0; j < m; ++j) season_out[j] = 0;
      return;
    }
    if (season_type == 1) {
      if (mult) {
        if (trend) fit_seasonal<true, 1, true>(ys, n, m, sc, code, a.max_iter, a.tolerance, out, season_out);
        else fit_seasonal<false, 1, true>(ys, n, m, sc, code, a.max_iter, a.tolerance, out, season_out);
      } else {
        if (trend) fit_seasonal<true, 1, false>(ys, n, m, sc, code, a.max_iter, a.tolerance, out, season_out);
        else fit_seasonal<false, 1, false>(ys, n, m, sc, code, a.max_iter, a.tolerance, out, season_out);
      }
    } else {
      if (trend) fit_seasonal<true, 2, true>(ys, n, m, sc, code, a.max_iter, a.tolerance, out, season_out);
      else fit_seasonal<false, 2, true>(ys, n, m, sc, code, a.max_iter, a.tolerance, out, season_out);
    }
    return;
  }
  const double* ys = a.ys + a.offsets[s];
  if (season_type != 0 || (mult && !a.positive[s])) {
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
/// in code order), each with its seasonal states (season_fits, seasonal codes only; the other
/// models' states are the zeros ets_fit_cpu writes). Rows start at params / season_out (the
/// chunk's first series), zero-filled.
inline void assemble_rows(const double* fits, const double* season_fits, std::size_t count, int row_models, const int* codes, int season,
                          bool all_models, double* params, double* season_out) {
  const std::size_t slots = all_models ? kEtsModels : 1;
  const std::size_t m = static_cast<std::size_t>(season);
  for (std::size_t s = 0; s < count; ++s) {
    double* P = params + s * kEtsParams * slots;
    double* SO = season_out + s * m * slots;
    for (std::size_t j = 0; j < kEtsParams * slots; ++j) P[j] = 0;
    for (std::size_t j = 0; j < m * slots; ++j) SO[j] = 0;
    for (std::size_t k = 0; k < slots; ++k) P[k * kEtsParams] = -1;
    const double* F = fits + s * static_cast<std::size_t>(row_models) * kEtsParams;
    int best = -1;
    auto copy = [&](int k, double* to, double* season_to) {
      const double* f = F + static_cast<std::size_t>(k) * kEtsParams;
      for (int j = 0; j < kEtsParams; ++j) to[j] = f[j];
      if (is_seasonal(codes[k])) {
        const double* src = season_fits + (s * static_cast<std::size_t>(row_models) + static_cast<std::size_t>(k)) * m;
        for (std::size_t j = 0; j < m; ++j) season_to[j] = src[j];
      }
    };
    for (int k = 0; k < row_models; ++k) {
      const double* f = F + static_cast<std::size_t>(k) * kEtsParams;
      if (f[0] < 0) continue;
      if (all_models) {
        copy(k, P + static_cast<std::size_t>(codes[k]) * kEtsParams, SO + static_cast<std::size_t>(codes[k]) * m);
        continue;
      }
      if (std::isfinite(f[10]) && (best < 0 || f[10] < F[static_cast<std::size_t>(best) * kEtsParams + 10])) best = k;
    }
    if (best >= 0) copy(best, P, SO);
  }
}

}  // namespace waybill::ts::cuda_detail
