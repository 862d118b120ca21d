// GBDT objectives (src/kernels/ml/objectives.ts): gradients, hessians, starting score, link and
// reported loss with the reference's formulas and order of operations; exp / log are V8's
// (js_math.cc). Only the Tweedie loss value uses libm's pow (V8's Math.pow may differ by an ulp).
#include <cmath>
#include <string>

#include "internal.h"

namespace waybill::ml::detail {
namespace {

constexpr double kPoissonHessianInflation = 2.0137527074704766;  // Math.exp(0.7)

double mean(const double* y, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += y[i];
  return s / static_cast<double>(n);
}

std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

double quantile_sorted(const double* sorted, std::size_t m, double alpha) {
  if (m == 0) return 0;
  const double h = alpha * static_cast<double>(m - 1);
  const double lo = std::floor(h);
  const std::size_t i = static_cast<std::size_t>(lo);
  const double a = sorted[i];
  if (i + 1 >= m) return a;
  return a + (h - lo) * (sorted[i + 1] - a);
}

/// validate.ts MAX_LABEL: sums of labels and gradients, squared residuals and gains stay finite.
constexpr double kMaxLabel = 1e100;

Status ObjectiveFns::check_labels(const char* field, const double* y, std::size_t n) const {
  for (std::size_t i = 0; i < n; ++i) {
    const double v = y[i];
    const bool finite = std::isfinite(v) && std::fabs(v) <= kMaxLabel;
    const bool binary_ok = spec.kind != Objective::kLogistic || v == 0 || v == 1;
    const bool sign_ok = (spec.kind != Objective::kPoisson && spec.kind != Objective::kTweedie) || v >= 0;
    if (finite && binary_ok && sign_ok) continue;  // the message is built only for a bad label
    const std::string at = std::string(field) + "[" + std::to_string(i) + "] is " + number_text(v);
    if (!std::isfinite(v)) return Status::Error(StatusCode::kInvalidArgument, at + ": labels must be finite");
    if (!finite)
      return Status::Error(StatusCode::kInvalidArgument, at + ": labels must be within +-1e+100 (rescale the target)");
    if (spec.kind == Objective::kLogistic && v != 0 && v != 1)
      return Status::Error(StatusCode::kInvalidArgument, at + ": binary labels must be 0 or 1");
    if ((spec.kind == Objective::kPoisson || spec.kind == Objective::kTweedie) && !(v >= 0))
      return Status::Error(StatusCode::kInvalidArgument,
                           at + ": " + (spec.kind == Objective::kPoisson ? "poisson" : "tweedie") + " labels must be >= 0");
  }
  return Status::Ok();
}

double ObjectiveFns::init_score(const double* y, std::size_t n) const {
  switch (spec.kind) {
    case Objective::kL2: return mean(y, n);
    case Objective::kL1:
    case Objective::kQuantile: {
      std::vector<double> s(y, y + n);
      js_sort(s.data(), s.data() + n);
      return quantile_sorted(s.data(), n, alpha());
    }
    case Objective::kLogistic: {
      const double p = std::min(std::max(mean(y, n), 1e-15), 1 - 1e-15);
      return js_log(p / (1 - p));
    }
    case Objective::kPoisson:
    case Objective::kTweedie: return js_log(std::max(mean(y, n), 1e-15));
  }
  return 0;
}

void ObjectiveFns::gradients(const double* y, const double* f, double* g, double* h, std::size_t begin,
                             std::size_t end) const {
  switch (spec.kind) {
    case Objective::kL2:
      for (std::size_t i = begin; i < end; ++i) {
        g[i] = f[i] - y[i];
        h[i] = 1;
      }
      return;
    case Objective::kL1:
    case Objective::kQuantile: {
      const double a = alpha();
      for (std::size_t i = begin; i < end; ++i) {
        g[i] = f[i] >= y[i] ? 1 - a : -a;
        h[i] = 1;
      }
      return;
    }
    case Objective::kLogistic:
      for (std::size_t i = begin; i < end; ++i) {
        const double p = 1 / (1 + js_exp(-f[i]));
        g[i] = p - y[i];
        h[i] = std::max(p * (1 - p), 1e-16);
      }
      return;
    case Objective::kPoisson:
      for (std::size_t i = begin; i < end; ++i) {
        const double mu = js_exp(f[i]);
        g[i] = mu - y[i];
        h[i] = mu * kPoissonHessianInflation;
      }
      return;
    case Objective::kTweedie: {
      const double rho = spec.tweedie_power;
      for (std::size_t i = begin; i < end; ++i) {
        const double a = y[i];
        const double e1 = js_exp((1 - rho) * f[i]);
        const double e2 = js_exp((2 - rho) * f[i]);
        g[i] = -a * e1 + e2;
        h[i] = -a * (1 - rho) * e1 + (2 - rho) * e2;
      }
      return;
    }
  }
}

double ObjectiveFns::refit_leaf(const double* y, const double* f, const int32_t* rows, std::size_t start,
                                std::size_t end, std::vector<double>& scratch) const {
  scratch.resize(end - start);
  for (std::size_t k = start; k < end; ++k) {
    const int32_t i = rows[k];
    scratch[k - start] = y[i] - f[i];
  }
  js_sort(scratch.data(), scratch.data() + scratch.size());
  return quantile_sorted(scratch.data(), scratch.size(), alpha());
}

double ObjectiveFns::transform(double raw) const {
  switch (spec.kind) {
    case Objective::kLogistic: return 1 / (1 + js_exp(-raw));
    case Objective::kPoisson:
    case Objective::kTweedie: return js_exp(raw);
    default: return raw;
  }
}

void ObjectiveFns::loss_terms(const double* y, const double* f, double* term, double* link, std::size_t begin,
                              std::size_t end) const {
  switch (spec.kind) {
    case Objective::kL2:
      for (std::size_t i = begin; i < end; ++i) {
        const double r = y[i] - f[i];
        term[i] = r * r;
      }
      return;
    case Objective::kL1:
    case Objective::kQuantile: {
      const double a = alpha();
      for (std::size_t i = begin; i < end; ++i) {
        const double r = y[i] - f[i];
        term[i] = r >= 0 ? a * r : (a - 1) * r;
      }
      return;
    }
    case Objective::kLogistic:
      // exp(-f) in one batch, each row's log argument, then the logs in one batch.
      for (std::size_t i = begin; i < end; ++i) term[i] = -f[i];
      js_exp_inplace(term + begin, end - begin);
      for (std::size_t i = begin; i < end; ++i) {
        const double raw_p = 1 / (1 + term[i]);
        if (link != nullptr) link[i] = raw_p;
        const double p = std::min(std::max(raw_p, 1e-15), 1 - 1e-15);
        term[i] = y[i] == 1 ? p : 1 - p;
      }
      js_log_inplace(term + begin, end - begin);
      for (std::size_t i = begin; i < end; ++i) term[i] = -term[i];
      return;
    case Objective::kPoisson:
      for (std::size_t i = begin; i < end; ++i) {
        const double a = y[i];
        const double mu = js_exp(f[i]);
        if (link != nullptr) link[i] = mu;
        term[i] = 2 * ((a > 0 ? a * (js_log(a) - f[i]) : 0) - (a - mu));
      }
      return;
    case Objective::kTweedie: {
      const double rho = spec.tweedie_power;
      for (std::size_t i = begin; i < end; ++i) {
        const double a = y[i];
        const double x = f[i];
        term[i] = 2 * (std::pow(a, 2 - rho) / ((1 - rho) * (2 - rho)) - (a * js_exp((1 - rho) * x)) / (1 - rho) +
                       js_exp((2 - rho) * x) / (2 - rho));
      }
      return;
    }
  }
}

void ObjectiveFns::gradients_from_link(const double* y, const double* link, double* g, double* h, std::size_t begin,
                                       std::size_t end) const {
  if (spec.kind == Objective::kLogistic) {
    for (std::size_t i = begin; i < end; ++i) {
      const double p = link[i];
      g[i] = p - y[i];
      h[i] = std::max(p * (1 - p), 1e-16);
    }
  } else {  // Poisson
    for (std::size_t i = begin; i < end; ++i) {
      const double mu = link[i];
      g[i] = mu - y[i];
      h[i] = mu * kPoissonHessianInflation;
    }
  }
}

}  // namespace waybill::ml::detail
