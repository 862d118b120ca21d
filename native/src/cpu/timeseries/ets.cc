// AutoETS on the CPU, written to give the same numbers as the TS reference
// (src/kernels/timeseries/ets.ts): same recursions, same parameter maps, same Nelder-Mead, same
// order of floating-point operations (the library is built with -ffp-contract=off).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "waybill/timeseries.h"

namespace waybill::ts {
namespace {

constexpr double kLower = 1e-4;
constexpr double kUpper = 0.9999;
constexpr double kPhiLower = 0.8;
constexpr double kPhiUpper = 0.98;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLn2 = 0.6931471805599453;

enum Trend { kN = 0, kA = 1, kAd = 2 };

struct Spec {
  int error;   // 0 A, 1 M
  int trend;   // Trend
  int season;  // 0 N, 1 A, 2 M
  int code() const { return error * 9 + trend * 3 + season; }
};

struct Smoothing {
  double alpha, beta, gamma, phi;
};

double squash(double u) { return 0.5 + (0.5 * u) / (1 + std::fabs(u)); }
double unsquash(double p) {
  const double v = 2 * p - 1;
  return v / (1 - std::fabs(v));
}

int smoothing_count(const Spec& s) { return 1 + (s.trend == kN ? 0 : 1) + (s.season == 0 ? 0 : 1) + (s.trend == kAd ? 1 : 0); }

Smoothing decode(const Spec& spec, const double* u) {
  int k = 0;
  Smoothing p{};
  p.alpha = kLower + (kUpper - kLower) * squash(u[k++]);
  p.beta = spec.trend == kN ? 0 : kLower + (p.alpha - kLower) * squash(u[k++]);
  p.gamma = spec.season == 0 ? 0 : kLower + (1 - p.alpha - kLower) * squash(u[k++]);
  p.phi = spec.trend == kAd ? kPhiLower + (kPhiUpper - kPhiLower) * squash(u[k++]) : 1;
  return p;
}

bool roots_inside_unit_circle(std::vector<double> a) {
  std::vector<double> next;
  while (a.size() > 1) {
    const std::size_t k = a.size() - 1;
    const double a0 = a[0], ak = a[k];
    if (std::fabs(a0) >= std::fabs(ak)) return false;
    next.assign(k, 0.0);
    for (std::size_t j = 0; j < k; ++j) next[j] = ak * a[j + 1] - a0 * a[k - j - 1];
    const double lead = next[k - 1];
    for (std::size_t j = 0; j < k; ++j) next[j] = next[j] / lead;
    a.swap(next);
  }
  return true;
}

bool admissible(const Smoothing& s, int m, bool has_trend) {
  const double alpha = s.alpha, gamma = s.gamma, phi = s.phi;
  const double beta = has_trend ? s.beta : 0;
  if (gamma < std::max(1 - 1 / phi - alpha, 0.0) || gamma > 1 + 1 / phi - alpha) return false;
  if (alpha < 1 - 1 / phi - (gamma * (1 - m + phi + phi * m)) / (2 * phi * m)) return false;
  if (beta < -(1 - phi) * (gamma / m + alpha)) return false;
  std::vector<double> p(static_cast<std::size_t>(m) + 2);
  p[0] = phi * (1 - alpha - gamma);
  p[1] = alpha + beta - alpha * phi + gamma - 1;
  for (int j = 2; j < m; ++j) p[static_cast<std::size_t>(j)] = alpha + beta - alpha * phi;
  p[static_cast<std::size_t>(m)] = alpha + beta - phi;
  p[static_cast<std::size_t>(m) + 1] = 1;
  if (!has_trend) {
    std::vector<double> q(static_cast<std::size_t>(m) + 1);
    q[static_cast<std::size_t>(m)] = 1;
    for (int j = m; j >= 1; --j) q[static_cast<std::size_t>(j) - 1] = p[static_cast<std::size_t>(j)] + q[static_cast<std::size_t>(j)];
    return roots_inside_unit_circle(std::move(q));
  }
  return roots_inside_unit_circle(std::move(p));
}

struct EndState {
  double level = 0, trend = 0, sse = 0;
};

// Specialised per model class (kHasTrend, kSeason, kMultErr) so the hot loop has no model branches;
// the arithmetic is the same in every instance.
template <bool kHasTrend, int kSeason, bool kMultErr>
double criterion_t(const double* y, int n, int m, const Smoothing& p, double l0, double b0, const double* s0, double* work, EndState* end) {
  constexpr bool has_trend = kHasTrend;
  constexpr int st = kSeason;
  constexpr bool mult_err = kMultErr;
  const int mm = st == 0 ? 1 : m;
  for (int j = 0; j < mm; ++j) work[j] = st == 0 ? 0 : s0[j];
  // The one-step forecast q = l + phi b is carried instead of the level: q' = (1 - alpha - phi beta) q
  // + phi^2 b + (alpha + phi beta) ya (ya = y, y - s or y / s), which is the same recursion with a
  // shorter chain of dependent operations from one step to the next (the level is kept beside it).
  double b = has_trend ? b0 : 0, sse = 0, prod = 1;
  double q = has_trend ? l0 + p.phi * b : l0, l = l0;
  int exp2 = 0, pos = 0;
  const double two500 = std::ldexp(1.0, 500), two_500 = std::ldexp(1.0, -500);
  const double alpha = p.alpha, beta = p.beta, gamma = p.gamma, phi = p.phi;
  const double aq = has_trend ? 1 - alpha - phi * beta : 1 - alpha;
  const double ab = phi * phi;
  const double ay = has_trend ? alpha + phi * beta : alpha;
  for (int t = 0; t < n; ++t) {
    const double yt = y[t];
    const double s = work[pos];
    double f, d, ya, tt = 0;
    if (st == 0) {
      f = q;
      ya = yt;
    } else if (st == 1) {
      f = q + s;
      ya = yt - s;
      tt = yt - q;
    } else {
      if (std::fabs(s) < 1e-10 || std::fabs(q) < 1e-10) return kInf;
      f = q * s;
      ya = yt / s;
      tt = yt / q;
    }
    d = ya - q;
    if (!std::isfinite(f)) return kInf;
    double e;
    if (mult_err) {
      if (std::fabs(f) < 1e-10) return kInf;
      e = (yt - f) / f;
      prod *= std::fabs(f);
      if (prod > two500) {
        prod *= two_500;
        exp2 += 500;
      } else if (prod < two_500) {
        prod *= two500;
        exp2 -= 500;
      }
    } else {
      e = yt - f;
    }
    sse += e * e;
    l = q + alpha * d;
    if (st != 0) work[pos] = s + gamma * (tt - s);
    pos = pos + 1 == mm ? 0 : pos + 1;
    if (has_trend) {
      const double bn = phi * b + beta * d;
      q = aq * q + ab * b + ay * ya;
      b = bn;
    } else {
      q = aq * q + ay * ya;
    }
  }
  if (!std::isfinite(sse)) return kInf;
  if (end) {
    end->sse = sse;
    end->level = l;
    end->trend = b;
  }
  const double lik = n * std::log(std::max(sse, 1e-300));
  return mult_err ? lik + 2 * (std::log(prod) + exp2 * kLn2) : lik;
}

template <bool kHasTrend, int kSeason>
double criterion_e(const double* y, int n, int m, const Spec& spec, const Smoothing& p, double l0, double b0, const double* s0, double* work,
                   EndState* end) {
  return spec.error == 1 ? criterion_t<kHasTrend, kSeason, true>(y, n, m, p, l0, b0, s0, work, end)
                         : criterion_t<kHasTrend, kSeason, false>(y, n, m, p, l0, b0, s0, work, end);
}

// R's criterion; work holds the m running seasonal states; end (optional) receives the final states.
double criterion(const double* y, int n, int m, const Spec& spec, const Smoothing& p, double l0, double b0, const double* s0, double* work,
                 EndState* end) {
  const bool t = spec.trend != kN;
  switch (spec.season) {
    case 0:
      return t ? criterion_e<true, 0>(y, n, m, spec, p, l0, b0, s0, work, end) : criterion_e<false, 0>(y, n, m, spec, p, l0, b0, s0, work, end);
    case 1:
      return t ? criterion_e<true, 1>(y, n, m, spec, p, l0, b0, s0, work, end) : criterion_e<false, 1>(y, n, m, spec, p, l0, b0, s0, work, end);
    default:
      return t ? criterion_e<true, 2>(y, n, m, spec, p, l0, b0, s0, work, end) : criterion_e<false, 2>(y, n, m, spec, p, l0, b0, s0, work, end);
  }
}

// Nelder-Mead as a resumable state machine: next() names the point to evaluate, report() takes
// its criterion. Driven one point at a time it is the TS reference's nelderMead, step for step;
// the lockstep fitter below drives several of them at once (one per model) so that their points
// are evaluated together in one vectorised pass over the series.
class NelderMead {
 public:
  NelderMead(const std::vector<double>& x0, const std::vector<double>& step, int max_iter, double tol)
      : d_(static_cast<int>(x0.size())), max_iter_(max_iter), tol_(tol), pts_(static_cast<std::size_t>(d_) + 1, x0), fv_(pts_.size()), order_(pts_.size()),
        c_(x0.size()), xr_(x0.size()), xe_(x0.size()), xc_(x0.size()) {
    for (int i = 1; i <= d_; ++i) pts_[static_cast<std::size_t>(i)][static_cast<std::size_t>(i) - 1] += step[static_cast<std::size_t>(i) - 1];
    for (int i = 0; i <= d_; ++i) order_[static_cast<std::size_t>(i)] = i;
  }
  bool done() const { return phase_ == kDone; }
  /// The point whose criterion report() expects next.
  const double* next() const {
    switch (phase_) {
      case kInit:
      case kShrink:
        return pts_[static_cast<std::size_t>(k_)].data();
      case kReflect:
        return xr_.data();
      case kExpand:
        return xe_.data();
      case kContract:
        return xc_.data();
      default:
        return nullptr;
    }
  }
  void report(double v) {
    if (std::isnan(v)) v = kInf;
    switch (phase_) {
      case kInit:
        fv_[static_cast<std::size_t>(k_)] = v;
        if (++k_ > d_) iterate();
        return;
      case kReflect: {
        fr_ = v;
        if (fr_ < fv_[best_]) {
          for (std::size_t k = 0; k < c_.size(); ++k) xe_[k] = c_[k] + 2 * (c_[k] - pts_[worst_][k]);
          phase_ = kExpand;
          return;
        }
        if (fr_ < fv_[second_]) {
          pts_[worst_] = xr_;
          fv_[worst_] = fr_;
          iterate();
          return;
        }
        outside_ = fr_ < fv_[worst_];
        const std::vector<double>& xw = pts_[worst_];
        for (std::size_t k = 0; k < c_.size(); ++k) xc_[k] = outside_ ? c_[k] + 0.5 * (xr_[k] - c_[k]) : c_[k] + 0.5 * (xw[k] - c_[k]);
        phase_ = kContract;
        return;
      }
      case kExpand:
        if (v < fr_) {
          pts_[worst_] = xe_;
          fv_[worst_] = v;
        } else {
          pts_[worst_] = xr_;
          fv_[worst_] = fr_;
        }
        iterate();
        return;
      case kContract:
        if (v < (outside_ ? fr_ : fv_[worst_])) {
          pts_[worst_] = xc_;
          fv_[worst_] = v;
          iterate();
          return;
        }
        {
          const std::vector<double> xb = pts_[best_];
          for (std::size_t i = 0; i <= static_cast<std::size_t>(d_); ++i) {
            if (i == best_) continue;
            for (std::size_t k = 0; k < c_.size(); ++k) pts_[i][k] = xb[k] + 0.5 * (pts_[i][k] - xb[k]);
          }
        }
        phase_ = kShrink;
        k_ = best_ == 0 ? 1 : 0;
        return;
      case kShrink:
        fv_[static_cast<std::size_t>(k_)] = v;
        ++k_;
        if (static_cast<std::size_t>(k_) == best_) ++k_;
        if (k_ > d_) iterate();
        return;
      default:
        return;
    }
  }
  /// The best point and its criterion (first of equal values).
  double result(std::vector<double>& x) const {
    std::size_t bi = 0;
    for (std::size_t i = 1; i <= static_cast<std::size_t>(d_); ++i)
      if (fv_[i] < fv_[bi]) bi = i;
    x = pts_[bi];
    return fv_[bi];
  }

 private:
  enum Phase { kInit, kReflect, kExpand, kContract, kShrink, kDone };
  // The top of one iteration: order the simplex, test convergence, reflect the worst point.
  void iterate() {
    if (it_ >= max_iter_) {
      phase_ = kDone;
      return;
    }
    ++it_;
    for (int i = 1; i <= d_; ++i) {
      const int k = order_[static_cast<std::size_t>(i)];
      int j = i - 1;
      while (j >= 0 && (fv_[static_cast<std::size_t>(order_[static_cast<std::size_t>(j)])] > fv_[static_cast<std::size_t>(k)] ||
                        (fv_[static_cast<std::size_t>(order_[static_cast<std::size_t>(j)])] == fv_[static_cast<std::size_t>(k)] &&
                         order_[static_cast<std::size_t>(j)] > k))) {
        order_[static_cast<std::size_t>(j) + 1] = order_[static_cast<std::size_t>(j)];
        --j;
      }
      order_[static_cast<std::size_t>(j + 1)] = k;
    }
    best_ = static_cast<std::size_t>(order_[0]);
    worst_ = static_cast<std::size_t>(order_[static_cast<std::size_t>(d_)]);
    second_ = static_cast<std::size_t>(order_[static_cast<std::size_t>(d_) - 1]);
    const double fb = fv_[best_], fw = fv_[worst_];
    if (std::isfinite(fw) && fw - fb <= tol_) {
      phase_ = kDone;
      return;
    }
    std::fill(c_.begin(), c_.end(), 0.0);
    for (std::size_t i = 0; i <= static_cast<std::size_t>(d_); ++i) {
      if (i == worst_) continue;
      for (int k = 0; k < d_; ++k) c_[static_cast<std::size_t>(k)] = c_[static_cast<std::size_t>(k)] + pts_[i][static_cast<std::size_t>(k)];
    }
    for (auto& v : c_) v = v / d_;
    const std::vector<double>& xw = pts_[worst_];
    for (std::size_t k = 0; k < c_.size(); ++k) xr_[k] = c_[k] + (c_[k] - xw[k]);
    phase_ = kReflect;
  }

  int d_, max_iter_;
  double tol_;
  std::vector<std::vector<double>> pts_;
  std::vector<double> fv_;
  std::vector<int> order_;
  std::vector<double> c_, xr_, xe_, xc_;
  Phase phase_ = kInit;
  int k_ = 0, it_ = 0;
  std::size_t best_ = 0, worst_ = 0, second_ = 0;
  double fr_ = 0;
  bool outside_ = false;
};

template <class F>
double nelder_mead(F&& fn, std::vector<double>& x0, const std::vector<double>& step, int max_iter, double tol) {
  NelderMead nm(x0, step, max_iter, tol);
  while (!nm.done()) nm.report(fn(nm.next()));
  return nm.result(x0);
}

void seasonal_figure(const double* y, int m, bool mult, double* fig) {
  const int n = 3 * m;
  const bool even = m % 2 == 0;
  const int half = even ? m / 2 : (m - 1) / 2;
  std::vector<double> sum(static_cast<std::size_t>(m), 0.0), cnt(static_cast<std::size_t>(m), 0.0);
  for (int i = half; i + half < n; ++i) {
    double t = 0;
    if (even) {
      t += 0.5 * y[i - half] + 0.5 * y[i + half];
      for (int k = -half + 1; k <= half - 1; ++k) t += y[i + k];
    } else {
      for (int k = -half; k <= half; ++k) t += y[i + k];
    }
    t /= m;
    const std::size_t p = static_cast<std::size_t>(i % m);
    sum[p] = sum[p] + (mult ? y[i] / t : y[i] - t);
    cnt[p] = cnt[p] + 1;
  }
  double mean = 0;
  for (int p = 0; p < m; ++p) {
    fig[p] = sum[static_cast<std::size_t>(p)] / cnt[static_cast<std::size_t>(p)];
    mean += fig[p];
  }
  mean /= m;
  for (int p = 0; p < m; ++p) fig[p] = mult ? fig[p] / mean : fig[p] - mean;
  if (mult)
    for (int p = 0; p < m; ++p) fig[p] = std::max(fig[p], 1e-2);
}

void initial_state(const double* y, int n, int m, const Spec& spec, double* l0, double* b0, double* season) {
  const bool seasonal = spec.season != 0;
  int len = n;
  if (seasonal) {
    seasonal_figure(y, m, spec.season == 2, season);
    len = std::min(len, 3 * m);
  } else {
    season[0] = 0;
  }
  auto sa = [&](int i) {
    if (!seasonal) return y[i];
    return spec.season == 2 ? y[i] / season[i % m] : y[i] - season[i % m];
  };
  const int maxn = std::min(std::max(10, 2 * (seasonal ? m : 1)), len);
  if (spec.trend == kN) {
    double s = 0;
    for (int i = 0; i < maxn; ++i) s += sa(i);
    *l0 = s / maxn;
    *b0 = 0;
    return;
  }
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
  *l0 = l;
  *b0 = b;
}

// Exact least squares for the initial states of an additive season given the smoothing parameters.
bool season_least_squares(const double* y, int n, int m, const Spec& spec, const Smoothing& p, double* l0, double* b0, double* season) {
  const bool has_trend = spec.trend != kN;
  const int k0 = 1 + (has_trend ? 1 : 0) + (m - 1);
  const int bi = 1;
  const int s0r = has_trend ? 2 : 1;
  const int rows = s0r + m;
  const std::size_t K = static_cast<std::size_t>(k0);
  std::vector<double> G(static_cast<std::size_t>(rows) * K, 0.0);
  G[0] = 1;
  if (has_trend) G[static_cast<std::size_t>(bi) * K + 1] = 1;
  const int c0 = has_trend ? 2 : 1;
  for (int j = 1; j < m; ++j) {
    G[static_cast<std::size_t>(s0r + j) * K + static_cast<std::size_t>(c0 + j - 1)] = 1;
    G[static_cast<std::size_t>(s0r) * K + static_cast<std::size_t>(c0 + j - 1)] = -1;
  }
  std::vector<double> A(K * K, 0.0), rhs(K, 0.0), dv(K, 0.0), S(static_cast<std::size_t>(m), 0.0);
  double l = 0, b = 0;
  int pos = 0;
  const double alpha = p.alpha, beta = p.beta, gamma = p.gamma, phi = p.phi;
  for (int t = 0; t < n; ++t) {
    const double yt = y[t];
    const double q = l + phi * b;
    const double ct = yt - q - S[static_cast<std::size_t>(pos)];
    const std::size_t sr = static_cast<std::size_t>(s0r + pos) * K;
    for (std::size_t k = 0; k < K; ++k) dv[k] = G[k] + (has_trend ? phi * G[static_cast<std::size_t>(bi) * K + k] : 0) + G[sr + k];
    for (std::size_t i = 0; i < K; ++i) {
      const double di = dv[i];
      if (di == 0) continue;
      rhs[i] = rhs[i] + di * ct;
      const std::size_t row = i * K;
      for (std::size_t j = i; j < K; ++j) A[row + j] = A[row + j] + di * dv[j];
    }
    for (std::size_t k = 0; k < K; ++k) {
      const double gl = G[k];
      const double gb = has_trend ? G[static_cast<std::size_t>(bi) * K + k] : 0;
      const double dk = dv[k];
      G[k] = gl + phi * gb - alpha * dk;
      if (has_trend) G[static_cast<std::size_t>(bi) * K + k] = phi * gb - beta * dk;
      G[sr + k] = G[sr + k] - gamma * dk;
    }
    const double phib = phi * b;
    l = l + phib + alpha * ct;
    if (has_trend) b = phib + beta * ct;
    S[static_cast<std::size_t>(pos)] = S[static_cast<std::size_t>(pos)] + gamma * ct;
    pos = pos + 1 == m ? 0 : pos + 1;
  }
  for (std::size_t i = 0; i < K; ++i)
    for (std::size_t j = 0; j < i; ++j) A[i * K + j] = A[j * K + i];
  std::vector<double> L(K * K, 0.0), z(K, 0.0), x(K, 0.0);
  for (std::size_t i = 0; i < K; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double s = A[i * K + j];
      for (std::size_t k = 0; k < j; ++k) s -= L[i * K + k] * L[j * K + k];
      if (i == j) {
        if (!(s > 1e-12 * (A[i * K + i] + 1e-300))) return false;
        L[i * K + i] = std::sqrt(s);
      } else {
        L[i * K + j] = s / L[j * K + j];
      }
    }
  }
  for (std::size_t i = 0; i < K; ++i) {
    double s = rhs[i];
    for (std::size_t k = 0; k < i; ++k) s -= L[i * K + k] * z[k];
    z[i] = s / L[i * K + i];
  }
  for (std::size_t ii = K; ii-- > 0;) {
    double s = z[ii];
    for (std::size_t k = ii + 1; k < K; ++k) s -= L[k * K + ii] * x[k];
    x[ii] = s / L[ii * K + ii];
  }
  double sum = 0;
  for (int j = 1; j < m; ++j) {
    season[j] = x[static_cast<std::size_t>(c0 + j - 1)];
    sum += season[j];
  }
  season[0] = -sum;
  for (double v : x)
    if (!std::isfinite(v)) return false;
  *l0 = x[0];
  *b0 = has_trend ? x[1] : 0;
  return true;
}

int param_count(const Spec& spec, int m) { return smoothing_count(spec) + 1 + (spec.trend == kN ? 0 : 1) + (spec.season == 0 ? 0 : m - 1); }

double fit_scale(const double* y, int n, int m) {
  const int k = std::min(n, std::max(10, 2 * m));
  double s = 0;
  for (int i = 0; i < k; ++i) s += std::fabs(y[i]);
  s /= k;
  if (!(s > 0))
    for (int i = 0; i < n; ++i) s = std::max(s, std::fabs(y[i]));
  return s > 0 ? s : 1;
}

struct Fit {
  bool ok = false;
  Spec spec{};
  int m = 1;
  double alpha = 0, beta = 0, gamma = 0, phi = 1, level = 0, trend = 0, sigma2 = 0, loglik = 0, aic = 0, aicc = 0, bic = 0;
  int np = 0;
  std::vector<double> season;
};

// Everything a fit needs before its search: the scaled series, initial states, start and steps.
struct FitSetup {
  bool ok = false;
  Spec spec{};
  int mm = 1, npar = 0, ns = 0;
  bool has_trend = false;
  double scale = 1;
  std::vector<double> ys, season, u, step, work;
};

FitSetup setup_fit(const double* y, int n, int m, const Spec& spec) {
  FitSetup S;
  const bool seasonal = spec.season != 0;
  const int mm = seasonal ? m : 1;
  if (seasonal && (m < 2 || n < 3 * m)) return S;
  if (spec.error == 0 && spec.season == 2) return S;
  const int npar = param_count(spec, mm);
  if (n <= npar + 4) return S;
  if (spec.error == 1 || spec.season == 2)
    for (int i = 0; i < n; ++i)
      if (!(y[i] > 0)) return S;
  S.spec = spec;
  S.mm = mm;
  S.npar = npar;
  S.scale = fit_scale(y, n, mm);
  S.ys.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) S.ys[static_cast<std::size_t>(i)] = y[i] / S.scale;
  double l0 = 0, b0 = 0;
  S.season.resize(static_cast<std::size_t>(mm));
  initial_state(S.ys.data(), n, mm, spec, &l0, &b0, S.season.data());
  S.ns = smoothing_count(spec);
  S.has_trend = spec.trend != kN;
  S.work.resize(static_cast<std::size_t>(mm));
  auto clamp_rel = [](double r) { return std::min(0.98, std::max(0.02, r)); };
  const double alpha0 = kLower + (0.2 * (kUpper - kLower)) / mm;
  S.u = {unsquash(clamp_rel((alpha0 - kLower) / (kUpper - kLower)))};
  if (S.has_trend) S.u.push_back(unsquash(0.1));
  if (seasonal) S.u.push_back(unsquash(0.05));
  if (spec.trend == kAd) S.u.push_back(unsquash(0.9));
  S.u.push_back(l0);
  if (S.has_trend) S.u.push_back(b0);
  S.step.assign(static_cast<std::size_t>(S.ns), 0.5);
  S.step.push_back(0.1 * std::max(std::fabs(l0), 0.1));
  if (S.has_trend) S.step.push_back(0.01 * std::max(std::fabs(l0), 0.1));
  S.ok = true;
  return S;
}

// The fitted model from the search's best point.
Fit finish_fit(FitSetup& S, int n, const std::vector<double>& best, double fbest) {
  Fit out;
  if (!std::isfinite(fbest)) return out;
  const Spec& spec = S.spec;
  const int mm = S.mm, ns = S.ns;
  const Smoothing p = decode(spec, best.data());
  EndState end;
  const double lik = criterion(S.ys.data(), n, mm, spec, p, best[static_cast<std::size_t>(ns)], S.has_trend ? best[static_cast<std::size_t>(ns) + 1] : 0,
                               S.season.data(), S.work.data(), &end);
  const int np = S.npar + 1;
  const double lik_full = lik + 2 * n * std::log(S.scale);
  out.ok = true;
  out.spec = spec;
  out.m = mm;
  out.alpha = p.alpha;
  out.beta = p.beta;
  out.gamma = p.gamma;
  out.phi = p.phi;
  out.level = end.level * S.scale;
  out.trend = end.trend * S.scale;
  out.np = np;
  out.aic = lik_full + 2 * np;
  out.aicc = n - np - 1 > 0 ? out.aic + (2.0 * np * (np + 1)) / (n - np - 1) : kInf;
  out.bic = lik_full + std::log(static_cast<double>(n)) * np;
  out.loglik = -0.5 * lik_full;
  const double err_scale = spec.error == 0 ? S.scale * S.scale : 1;
  out.sigma2 = (end.sse * err_scale) / std::max(1, n - np);
  out.season.assign(static_cast<std::size_t>(mm), 0.0);
  for (int j = 0; j < mm; ++j)
    out.season[static_cast<std::size_t>(j)] = spec.season == 1 ? S.work[static_cast<std::size_t>(j)] * S.scale : S.work[static_cast<std::size_t>(j)];
  return out;
}

Fit fit_ets(const double* y, int n, int m, const Spec& spec, const EtsOptions& o) {
  FitSetup S = setup_fit(y, n, m, spec);
  if (!S.ok) return Fit{};
  const bool seasonal = spec.season != 0;
  const int mm = S.mm, ns = S.ns;
  const bool has_trend = S.has_trend;
  const std::vector<double>* cur_season = &S.season;
  auto crit = [&](const double* x) {
    const Smoothing p = decode(spec, x);
    if (seasonal && !admissible(p, mm, has_trend)) return kInf;
    return criterion(S.ys.data(), n, mm, spec, p, x[ns], has_trend ? x[ns + 1] : 0, cur_season->data(), S.work.data(), nullptr);
  };
  std::vector<double> best = S.u;
  const double tol = o.tolerance * n;
  double fbest = nelder_mead(crit, best, S.step, o.max_iter, tol);
  std::vector<double> ls_season(static_cast<std::size_t>(mm));
  if (seasonal) {
    double ll = 0, lb = 0;
    if (season_least_squares(S.ys.data(), n, mm, spec, decode(spec, best.data()), &ll, &lb, ls_season.data())) {
      if (spec.season == 2)
        for (int j = 0; j < mm; ++j) ls_season[static_cast<std::size_t>(j)] = std::max(1e-2, 1 + ls_season[static_cast<std::size_t>(j)] / ll);
      std::vector<double> x1 = best;
      x1[static_cast<std::size_t>(ns)] = ll;
      if (has_trend) x1[static_cast<std::size_t>(ns) + 1] = lb;
      cur_season = &ls_season;
      const double f1 = crit(x1.data());
      if (f1 < fbest) {
        std::vector<double> again = x1;
        const double fa = nelder_mead(crit, again, S.step, o.max_iter, tol);
        S.season = ls_season;
        if (fa <= f1) {
          best = again;
          fbest = fa;
        } else {
          best = x1;
          fbest = f1;
        }
      }
      cur_season = &S.season;
    }
  }
  return finish_fit(S, n, best, fbest);
}

// ---------------------------------------------------------------------------------------------
// Non-seasonal models (A/M error x N/A/Ad trend) fitted in lockstep: each model runs its own
// Nelder-Mead, and the points they ask for are evaluated together, one vector lane per model, four
// to a pass over the series. Each lane does the scalar criterion's operations with the same
// results (an undamped trend is phi = 1 and no trend is beta = b0 = 0, which add and multiply
// exact zeros and ones; both error types are computed and one kept), so the fits are the ones
// fit_ets gives, bit for bit; it is faster because the hot loop is bound by arithmetic
// throughput, which the lanes share.

typedef double V4 __attribute__((vector_size(32)));
typedef long long M4 __attribute__((vector_size(32)));

struct Lanes {
  double alpha[4], beta[4], phi[4], l0[4], b0[4];
  long long mult[4];  // -1: multiplicative error
};

__attribute__((always_inline)) inline void nonseasonal_criterion4_body(const double* y, int n, const Lanes& L, double* out) {
  V4 q, b, aq, ab, ay, vph, vbe, sse = {0, 0, 0, 0}, prod = {1, 1, 1, 1}, ex = {0, 0, 0, 0};
  M4 mult, dead = {0, 0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    q[k] = L.l0[k] + L.phi[k] * L.b0[k];
    b[k] = L.b0[k];
    aq[k] = 1 - L.alpha[k] - L.phi[k] * L.beta[k];
    ab[k] = L.phi[k] * L.phi[k];
    ay[k] = L.alpha[k] + L.phi[k] * L.beta[k];
    vph[k] = L.phi[k];
    vbe[k] = L.beta[k];
    mult[k] = L.mult[k];
  }
  const double big = std::numeric_limits<double>::max();
  const V4 vbig = {big, big, big, big}, tiny = {1e-10, 1e-10, 1e-10, 1e-10};
  const double h = std::ldexp(1.0, 500), l = std::ldexp(1.0, -500);
  const V4 two500 = {h, h, h, h}, two_500 = {l, l, l, l}, one = {1, 1, 1, 1}, p500 = {500, 500, 500, 500}, m500 = {-500, -500, -500, -500};
  const M4 abs_mask = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL};
  for (int t = 0; t < n; ++t) {
    const V4 yt = {y[t], y[t], y[t], y[t]};
    const V4 f = q;
    const V4 d = yt - q;
    const V4 af = (V4)((M4)f & abs_mask);
    dead |= ~(af <= vbig);  // f not finite
    dead |= mult & (af < tiny);
    const V4 em = (yt - f) / f;
    const V4 ea = yt - f;
    const V4 e = (V4)(((M4)em & mult) | ((M4)ea & ~mult));
    const V4 pm = prod * af;
    const V4 np = (V4)(((M4)pm & mult) | ((M4)prod & ~mult));
    const M4 hi = np > two500, lo = np < two_500;
    prod = np * (V4)(((M4)two_500 & hi) | ((M4)two500 & lo) | ((M4)one & ~(hi | lo)));
    ex = ex + (V4)(((M4)p500 & hi) | ((M4)m500 & lo));
    sse = sse + e * e;
    const V4 bn = vph * b + vbe * d;
    q = aq * q + ab * b + ay * yt;
    b = bn;
  }
  for (int k = 0; k < 4; ++k) {
    if (dead[k] || !std::isfinite(sse[k])) {
      out[k] = kInf;
      continue;
    }
    const double lik = n * std::log(std::max(sse[k], 1e-300));
    out[k] = L.mult[k] ? lik + 2 * (std::log(prod[k]) + static_cast<int>(ex[k]) * kLn2) : lik;
  }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) void nonseasonal_criterion4_avx2(const double* y, int n, const Lanes& L, double* out) { nonseasonal_criterion4_body(y, n, L, out); }
#endif
void nonseasonal_criterion4_generic(const double* y, int n, const Lanes& L, double* out) { nonseasonal_criterion4_body(y, n, L, out); }

void nonseasonal_criterion4(const double* y, int n, const Lanes& L, double* out) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return nonseasonal_criterion4_avx2(y, n, L, out);
#endif
  nonseasonal_criterion4_generic(y, n, L, out);
}

// Fits the non-seasonal models of one series in lockstep; out[i] for specs[i].
void fit_nonseasonal_lockstep(const double* y, int n, const std::vector<Spec>& specs, const EtsOptions& o, std::vector<Fit>& out) {
  const std::size_t k = specs.size();
  std::vector<FitSetup> S(k);
  std::vector<NelderMead> nm;
  nm.reserve(k);
  std::vector<int> live;
  const double tol = o.tolerance * n;
  for (std::size_t i = 0; i < k; ++i) {
    S[i] = setup_fit(y, n, 1, specs[i]);
    nm.emplace_back(S[i].ok ? S[i].u : std::vector<double>{0.0}, S[i].ok ? S[i].step : std::vector<double>{0.0}, o.max_iter, tol);
    if (S[i].ok) live.push_back(static_cast<int>(i));
  }
  out.assign(k, Fit{});
  if (live.empty()) return;
  const double* ys = S[static_cast<std::size_t>(live[0])].ys.data();
  Lanes L{};
  double val[4];
  // One vector pass per round over at most four running searches, the ones with more parameters
  // (longer searches) first, so the short no-trend searches fill lanes the others leave idle.
  // The order in which searches advance does not change any search's points or values.
  std::vector<int> order = live;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return S[static_cast<std::size_t>(a)].u.size() > S[static_cast<std::size_t>(b)].u.size(); });
  int ask[4];
  for (;;) {
    int used = 0;
    for (int i : order)
      if (used < 4 && !nm[static_cast<std::size_t>(i)].done()) ask[used++] = i;
    if (used == 0) break;
    for (int j = 0; j < 4; ++j) {
      const int i = ask[j < used ? j : 0];  // idle lanes repeat the first
      const FitSetup& s = S[static_cast<std::size_t>(i)];
      const double* x = nm[static_cast<std::size_t>(i)].next();
      const Smoothing p = decode(s.spec, x);
      L.alpha[j] = p.alpha;
      L.beta[j] = p.beta;  // 0 without a trend
      L.phi[j] = p.phi;    // 1 unless damped
      L.l0[j] = x[s.ns];
      L.b0[j] = s.has_trend ? x[s.ns + 1] : 0;
      L.mult[j] = s.spec.error == 1 ? -1 : 0;
    }
    nonseasonal_criterion4(ys, n, L, val);
    for (int j = 0; j < used; ++j) nm[static_cast<std::size_t>(ask[j])].report(val[j]);
  }
  for (int i : live) {
    std::vector<double> best;
    const double f = nm[static_cast<std::size_t>(i)].result(best);
    out[static_cast<std::size_t>(i)] = finish_fit(S[static_cast<std::size_t>(i)], n, best, f);
  }
}

}  // namespace

Status ets_fit_cpu(const double* values, const int32_t* offsets, std::size_t count, int season, const EtsOptions& o, double* params, double* season_out,
                   RowRange range, CancelToken cancel) {
  if (season < 1) return Status::Error(StatusCode::kInvalidArgument, "season must be >= 1");
  if (o.max_iter < 1 || !(o.tolerance > 0)) return Status::Error(StatusCode::kInvalidArgument, "max_iter must be >= 1 and tolerance > 0");
  if (range.end > count || range.begin > range.end) return Status::Error(StatusCode::kInvalidArgument, "bad series range");
  for (std::size_t s = range.begin; s < range.end; ++s) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const double* y = values + offsets[s];
    const int n = offsets[s + 1] - offsets[s];
    const std::size_t slots = o.all_models ? kEtsModels : 1;
    double* P = params + s * kEtsParams * slots;
    double* SO = season_out + s * static_cast<std::size_t>(season) * slots;
    std::fill(P, P + kEtsParams * slots, 0.0);
    std::fill(SO, SO + static_cast<std::size_t>(season) * slots, 0.0);
    for (std::size_t k = 0; k < slots; ++k) P[k * kEtsParams] = -1;
    if (n <= 0) continue;
    auto write = [&](const Fit& f, double* to, double* season_to) {
      const double vals[kEtsParams] = {static_cast<double>(f.spec.code()),
                                       f.alpha,
                                       f.beta,
                                       f.gamma,
                                       f.phi,
                                       f.level,
                                       f.trend,
                                       f.sigma2,
                                       f.loglik,
                                       f.aic,
                                       f.aicc,
                                       f.bic,
                                       static_cast<double>(f.np),
                                       static_cast<double>(n),
                                       static_cast<double>(f.m),
                                       0};
      std::copy(vals, vals + kEtsParams, to);
      std::copy(f.season.begin(), f.season.end(), season_to);
    };
    bool positive = true;
    for (int i = 0; i < n; ++i)
      if (!(y[i] > 0)) positive = false;
    const bool season_ok = season > 1 && season <= o.max_season && n >= 3 * season;
    // The candidates in the TS reference's order; the non-seasonal ones fitted in lockstep
    // (same fits), then all compared in that order (the first of equal AICc wins).
    std::vector<Spec> cand, lock;
    for (int e = 0; e < 2; ++e)
      for (int t = 0; t < 3; ++t)
        for (int sn = 0; sn < 3; ++sn) {
          const Spec spec{e, t, sn};
          if (!(o.model_mask & (1u << spec.code()))) continue;
          if (sn != 0 && !season_ok) continue;
          if (!positive && (e == 1 || sn == 2)) continue;
          if (e == 0 && sn == 2) continue;
          cand.push_back(spec);
          if (sn == 0) lock.push_back(spec);
        }
    std::vector<Fit> locked;
    if (lock.size() >= 2) fit_nonseasonal_lockstep(y, n, lock, o, locked);
    Fit best;
    std::size_t li = 0;
    for (const Spec& spec : cand) {
      Fit f;
      if (lock.size() >= 2 && li < lock.size() && lock[li].code() == spec.code())
        f = std::move(locked[li++]);
      else
        f = fit_ets(y, n, season, spec, o);
      if (o.all_models) {
        if (f.ok) write(f, P + static_cast<std::size_t>(spec.code()) * kEtsParams, SO + static_cast<std::size_t>(spec.code()) * static_cast<std::size_t>(season));
        continue;
      }
      if (f.ok && std::isfinite(f.aicc) && (!best.ok || f.aicc < best.aicc)) best = std::move(f);
    }
    if (!best.ok) continue;
    write(best, P, SO);
  }
  return Status::Ok();
}

}  // namespace waybill::ts
