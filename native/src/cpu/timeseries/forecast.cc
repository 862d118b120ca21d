// Batched forecasters, written to give the same numbers as the TS reference
// (src/kernels/timeseries/*.ts): same formulas, same order of operations, same search for alpha.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "waybill/timeseries.h"

namespace waybill::ts {
namespace {

// Lag-m autocorrelation r_m and s = 1 + 2 sum_{k<m} r_k^2 (R's acf: divisor n in both sums).
struct SeasonalAcf {
  double rm, s;
};
SeasonalAcf seasonal_acf(const double* x, int n, int m) {
  double mean = 0;
  for (int i = 0; i < n; ++i) mean += x[i];
  mean /= n;
  double den = 0;
  for (int i = 0; i < n; ++i) den += (x[i] - mean) * (x[i] - mean);
  auto r = [&](int k) {
    double s = 0;
    for (int i = 0; i + k < n; ++i) s += (x[i] - mean) * (x[i + k] - mean);
    return den == 0 ? 0.0 : s / den;
  };
  double s = 1;
  for (int k = 1; k <= m - 1; ++k) {
    const double rk = r(k);
    s += 2 * rk * rk;
  }
  return {r(m), s};
}

// The M4 test: n >= 3m, lag m within R's default acf range, |r_m| > 1.645 / sqrt(n) * sqrt(s).
bool is_seasonal(const double* x, int n, int m) {
  if (m <= 1 || n < 3 * m) return false;
  const int lag_max = static_cast<int>(std::floor(10 * std::log10(static_cast<double>(n))));
  if (m > lag_max) return false;
  const SeasonalAcf a = seasonal_acf(x, n, m);
  const double limit = (1.645 / std::sqrt(static_cast<double>(n))) * std::sqrt(a.s);
  return std::fabs(a.rm) > limit;
}

// R forecast::thetaf's test: n > 2m, not constant, |r_m| / sqrt(s / n) > qnorm(0.95).
bool is_seasonal_thetaf(const double* x, int n, int m) {
  if (m <= 1 || n <= 2 * m) return false;
  bool constant = true;
  for (int i = 1; i < n; ++i)
    if (x[i] != x[0]) constant = false;
  if (constant) return false;
  const SeasonalAcf a = seasonal_acf(x, n, m);
  return std::fabs(a.rm) / std::sqrt(a.s / n) > 1.6448536269514722;
}

// Classical multiplicative decomposition: seasonal index per point (cycle position i mod m).
void seasonal_indices(const double* x, int n, int m, std::vector<double>& out) {
  const bool even = m % 2 == 0;
  const int half = even ? m / 2 : (m - 1) / 2;
  std::vector<double> ratio(static_cast<std::size_t>(n), std::nan(""));
  for (int i = half; i + half < n; ++i) {
    double t = 0;
    if (even) {
      t += 0.5 * x[i - half] + 0.5 * x[i + half];
      for (int k = -half + 1; k <= half - 1; ++k) t += x[i + k];
    } else {
      for (int k = -half; k <= half; ++k) t += x[i + k];
    }
    ratio[static_cast<std::size_t>(i)] = x[i] / (t / m);
  }
  std::vector<double> figure(static_cast<std::size_t>(m));
  for (int p = 0; p < m; ++p) {
    double s = 0;
    int c = 0;
    for (int i = p; i < n; i += m)
      if (!std::isnan(ratio[static_cast<std::size_t>(i)])) s += ratio[static_cast<std::size_t>(i)], ++c;
    figure[static_cast<std::size_t>(p)] = c > 0 ? s / c : std::nan("");
  }
  double mean = 0;
  for (int p = 0; p < m; ++p) mean += figure[static_cast<std::size_t>(p)];
  mean /= m;
  out.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = figure[static_cast<std::size_t>(i % m)] / mean;
}

void least_squares_line(const double* y, int n, double* intercept, double* slope);

struct SesFit {
  double alpha = 0, level = 0, sse = 0, level0 = 0;
};

SesFit ses_for_alpha(const double* y, int n, double alpha) {
  double a = 0, b = 1, scc = 0, scb = 0, sbb = 0;
  for (int t = 0; t < n; ++t) {
    const double yt = y[t];
    const double c = yt - a;
    scc += c * c;
    scb += c * b;
    sbb += b * b;
    a = (1 - alpha) * a + alpha * yt;
    b = (1 - alpha) * b;
  }
  const double level0 = sbb > 0 ? scb / sbb : y[0];
  const double sse = scc - 2 * level0 * scb + level0 * level0 * sbb;
  return {alpha, a + b * level0, std::max(0.0, sse), level0};
}

SesFit ses_fit(const double* y, int n) {
  const double lo = 1e-4, hi = 0.9999;
  SesFit best = ses_for_alpha(y, n, lo);
  const int steps = 50;
  int bi = 0;
  for (int i = 1; i <= steps; ++i) {
    const SesFit f = ses_for_alpha(y, n, lo + ((hi - lo) * i) / steps);
    if (f.sse < best.sse) best = f, bi = i;
  }
  double a = lo + ((hi - lo) * std::max(0, bi - 1)) / steps;
  double b = lo + ((hi - lo) * std::min(steps, bi + 1)) / steps;
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = b - g * (b - a), x2 = a + g * (b - a);
  SesFit f1 = ses_for_alpha(y, n, x1), f2 = ses_for_alpha(y, n, x2);
  for (int it = 0; it < 60 && b - a > 1e-10; ++it) {
    if (f1.sse <= f2.sse) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      f1 = ses_for_alpha(y, n, x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      f2 = ses_for_alpha(y, n, x2);
    }
  }
  if (f1.sse < best.sse) best = f1;
  if (f2.sse < best.sse) best = f2;
  return best;
}

void least_squares_line(const double* y, int n, double* intercept, double* slope) {
  double st = 0, sy = 0, stt = 0, sty = 0;
  for (int t = 0; t < n; ++t) {
    const double tt = t + 1, v = y[t];
    st += tt;
    sy += v;
    stt += tt * tt;
    sty += tt * v;
  }
  const double den = n * stt - st * st;
  *slope = n > 1 && den != 0 ? (n * sty - st * sy) / den : 0;
  *intercept = (sy - *slope * st) / n;
}

}  // namespace

Status forecast_cpu(const double* values, const int32_t* offsets, std::size_t count, Method method, int horizon, int season,
                    double alpha, double beta, double* out, uint8_t* seasonal, RowRange range, CancelToken cancel) {
  if (horizon < 1 || season < 1) return Status::Error(StatusCode::kInvalidArgument, "horizon and season must be >= 1");
  if (range.end > count || range.begin > range.end) return Status::Error(StatusCode::kInvalidArgument, "bad series range");
  const int m = season;
  std::vector<double> si, work;
  for (std::size_t s = range.begin; s < range.end; ++s) {
    if ((s & 255) == 0 && cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const double* x = values + offsets[s];
    const int n = offsets[s + 1] - offsets[s];
    if (n <= 0) return Status::Error(StatusCode::kInvalidArgument, "empty series " + std::to_string(s));
    double* row = out + s * static_cast<std::size_t>(horizon);
    const double last = x[n - 1];
    if (seasonal != nullptr) seasonal[s] = 0;
    switch (method) {
      case Method::kNaive:
        std::fill(row, row + horizon, last);
        break;
      case Method::kSNaive:
        if (m > 1 && n >= m)
          for (int h = 0; h < horizon; ++h) row[h] = x[n - m + (h % m)];
        else
          std::fill(row, row + horizon, last);
        break;
      case Method::kDrift: {
        const double slope = n > 1 ? (last - x[0]) / (n - 1) : 0;
        for (int h = 0; h < horizon; ++h) row[h] = last + slope * (h + 1);
        break;
      }
      case Method::kNaive2:
      case Method::kSes:
      case Method::kTheta:
      case Method::kThetaf:
      case Method::kOptimizedTheta: {
        bool seas = method == Method::kThetaf ? is_seasonal_thetaf(x, n, m) : is_seasonal(x, n, m);
        if (seas) {
          seasonal_indices(x, n, m, si);
          if (method == Method::kThetaf)
            for (int i = 0; i < n; ++i)
              if (std::fabs(si[static_cast<std::size_t>(i)]) < 1e-4) seas = false;
        }
        const double* y = x;
        if (seas) {
          if (seasonal != nullptr) seasonal[s] = 1;
          work.resize(static_cast<std::size_t>(n));
          for (int i = 0; i < n; ++i) work[static_cast<std::size_t>(i)] = x[i] / si[static_cast<std::size_t>(i)];
          y = work.data();
        }
        auto reseason = [&](int h, double v) { return seas ? v * si[static_cast<std::size_t>(n - m + (h % m))] : v; };
        if (method == Method::kNaive2) {
          for (int h = 0; h < horizon; ++h) row[h] = reseason(h, y[n - 1]);
        } else if (method == Method::kSes) {
          const SesFit f = ses_fit(y, n);
          for (int h = 0; h < horizon; ++h) row[h] = reseason(h, f.level);
        } else if (method == Method::kThetaf) {
          const SesFit f = ses_fit(y, n);
          double intercept = 0, slope = 0;
          least_squares_line(y, n, &intercept, &slope);
          const double a = std::max(1e-10, f.alpha);
          const double c = (1 - std::pow(1 - a, n)) / a;
          for (int h = 0; h < horizon; ++h) row[h] = reseason(h, f.level + (slope / 2) * (h + c));
        } else if (method == Method::kOptimizedTheta) {
          double intercept = 0, slope = 0;
          least_squares_line(y, n, &intercept, &slope);
          std::vector<double> z(static_cast<std::size_t>(n));
          double best_mse = std::numeric_limits<double>::infinity(), best_theta = 2, best_level = 0;
          for (int i = 0; i < 17; ++i) {
            const double theta = 1 + i / 4.0;
            for (int t = 0; t < n; ++t) z[static_cast<std::size_t>(t)] = theta * y[t] + (1 - theta) * (intercept + slope * (t + 1));
            const SesFit f = ses_fit(z.data(), n);
            double l = f.level0, mse = 0;
            for (int t = 0; t < n; ++t) {
              const double fitted = (1 - 1 / theta) * (intercept + slope * (t + 1)) + l / theta;
              const double e = y[t] - fitted;
              mse += e * e;
              l += f.alpha * (z[static_cast<std::size_t>(t)] - l);
            }
            mse /= n;
            if (mse < best_mse) {
              best_mse = mse;
              best_theta = theta;
              best_level = f.level;
            }
          }
          for (int h = 0; h < horizon; ++h)
            row[h] = reseason(h, (1 - 1 / best_theta) * (intercept + slope * (n + h + 1)) + best_level / best_theta);
        } else {
          double intercept = 0, slope = 0;
          least_squares_line(y, n, &intercept, &slope);
          std::vector<double> line2(static_cast<std::size_t>(n));
          for (int t = 0; t < n; ++t) line2[static_cast<std::size_t>(t)] = 2 * y[t] - (intercept + slope * (t + 1));
          const SesFit f = ses_fit(line2.data(), n);
          for (int h = 0; h < horizon; ++h) row[h] = reseason(h, 0.5 * f.level + 0.5 * (intercept + slope * (n + h + 1)));
        }
        break;
      }
      case Method::kCroston:
      case Method::kSba:
      case Method::kTsb: {
        double f = 0;
        if (method == Method::kTsb) {
          double z = std::nan("");
          int demands = 0;
          for (int t = 0; t < n; ++t)
            if (x[t] > 0) {
              ++demands;
              if (std::isnan(z)) z = x[t];
            }
          if (demands > 0) {
            double p = static_cast<double>(demands) / n;
            for (int t = 0; t < n; ++t) {
              if (x[t] > 0) {
                p += beta * (1 - p);
                z += alpha * (x[t] - z);
              } else {
                p += beta * (0 - p);
              }
            }
            f = p * z;
          }
        } else {
          double z = std::nan(""), q = std::nan("");
          int last_t = -1;
          for (int t = 0; t < n; ++t) {
            if (x[t] <= 0) continue;
            const double interval = t - last_t;
            last_t = t;
            if (std::isnan(z)) {
              z = x[t];
              q = interval;
            } else {
              z += alpha * (x[t] - z);
              q += alpha * (interval - q);
            }
          }
          if (!std::isnan(z)) f = (z / q) * (method == Method::kSba ? 1 - alpha / 2 : 1);
        }
        std::fill(row, row + horizon, f);
        break;
      }
      case Method::kAdida: {
        int demands = 0, last = -1;
        for (int t = 0; t < n; ++t)
          if (x[t] > 0) {
            ++demands;
            last = t;
          }
        double f = 0;
        if (demands > 0) {
          const double mean_interval = static_cast<double>(last + 1) / demands;
          const int k = std::max(1, std::min(n, static_cast<int>(std::round(mean_interval))));
          const int buckets = n / k;
          const int start = n - buckets * k;
          work.assign(static_cast<std::size_t>(buckets), 0.0);
          for (int b = 0; b < buckets; ++b) {
            double sum = 0;
            for (int i = 0; i < k; ++i) sum += x[start + b * k + i];
            work[static_cast<std::size_t>(b)] = sum;
          }
          f = ses_fit(work.data(), buckets).level / k;
        }
        std::fill(row, row + horizon, f);
        break;
      }
      default:
        return Status::Error(StatusCode::kInvalidArgument, "unknown method");
    }
  }
  return Status::Ok();
}

}  // namespace waybill::ts
