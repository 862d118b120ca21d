// Budget allocation with a margin floor (two-constraint multiple-choice knapsack).
//
// max sum v  s.t.  sum c <= B,  sum m >= F,  at most one option per unit.
// L(lambda, mu) = lambda B - mu F + sum_u max(0, max_k v - lambda c + mu m) bounds the optimum
// for all lambda, mu >= 0. For each mu the smallest lambda whose choices fit the budget is found
// by bisection; mu is bisected on whether those choices meet the floor. Every evaluation is also
// a candidate plan: the most valuable one meeting both constraints is kept and then repaired with
// the budget left, never letting the margin drop below the floor.
#include <algorithm>
#include <cmath>
#include <vector>

#include "waybill/or.h"

namespace waybill::opt {
namespace {

struct Eval {
  double value = 0, cost = 0, margin = 0, lag = 0;
};

struct Problem {
  const double* v;
  const double* c;
  const double* m;
  std::size_t units, options;

  /// Choices maximising alpha * value - lambda * cost + mu * margin per unit (none when all < 0).
  Eval evaluate(double lambda, double mu, int32_t* choice, double alpha = 1.0) const {
    Eval e;
    for (std::size_t u = 0; u < units; ++u) {
      double best = 0, bc = 0, bv = 0, bm = 0;
      int32_t pick = -1;
      const std::size_t o = u * options;
      for (std::size_t k = 0; k < options; ++k) {
        if (std::isnan(v[o + k])) continue;
        const double score = alpha * v[o + k] - lambda * c[o + k] + mu * m[o + k];
        if (score > best || (score == best && pick >= 0 && c[o + k] < bc)) {
          best = score;
          bc = c[o + k];
          bv = v[o + k];
          bm = m[o + k];
          pick = static_cast<int32_t>(k);
        }
      }
      if (choice != nullptr) choice[u] = pick;
      e.lag += best;
      e.value += bv;
      e.cost += bc;
      e.margin += bm;
    }
    return e;
  }
};

}  // namespace

Status budget_allocation_margin_cpu(const double* value, const double* cost, const double* margin, std::size_t units,
                                    std::size_t options, double budget, double floor, int32_t* choice,
                                    BudgetResult* result, CancelToken cancel) {
  if (!(budget >= 0) || !std::isfinite(budget)) return Status::Error(StatusCode::kInvalidArgument, "budget must be >= 0");
  if (!std::isfinite(floor)) return Status::Error(StatusCode::kInvalidArgument, "the margin floor must be finite");
  for (std::size_t t = 0; t < units * options; ++t) {
    if (!std::isnan(value[t]) && !(cost[t] >= 0 && std::isfinite(cost[t]) && std::isfinite(value[t]) && std::isfinite(margin[t]))) {
      return Status::Error(StatusCode::kInvalidArgument, "every present option needs finite value, margin and cost >= 0");
    }
  }
  const Problem p{value, cost, margin, units, options};
  double bound = INFINITY;
  double best_value = -INFINITY, best_lambda = 0, best_mu = 0;
  bool found = false;
  auto consider = [&](double lambda, double mu, const Eval& e) {
    bound = std::min(bound, lambda * budget - mu * floor + e.lag);
    if (e.cost <= budget && e.margin >= floor && e.value > best_value) {
      best_value = e.value;
      best_lambda = lambda;
      best_mu = mu;
      found = true;
    }
  };
  double ratio_hi = 1.0;  // a lambda above every value / cost ratio (grows with mu)
  for (std::size_t t = 0; t < units * options; ++t) {
    if (std::isnan(value[t])) continue;
    if (cost[t] > 0) ratio_hi = std::max(ratio_hi, std::fabs(value[t]) / cost[t] * 2.0);
  }
  // For a given mu: the smallest lambda whose choices fit the budget (bisection), evaluated.
  auto fit_budget = [&](double mu) -> Eval {
    double lo = 0, hi = ratio_hi;
    for (std::size_t t = 0; t < units * options; ++t) {
      if (!std::isnan(value[t]) && cost[t] > 0) hi = std::max(hi, (std::fabs(value[t]) + mu * std::fabs(margin[t])) / cost[t] * 2.0);
    }
    Eval e0 = p.evaluate(0, mu, nullptr);
    consider(0, mu, e0);
    if (e0.cost <= budget) return e0;
    Eval at_hi = p.evaluate(hi, mu, nullptr);
    consider(hi, mu, at_hi);
    for (int it = 0; it < 50 && hi - lo > 1e-12 * std::max(1.0, hi); ++it) {
      const double mid = 0.5 * (lo + hi);
      const Eval e = p.evaluate(mid, mu, nullptr);
      consider(mid, mu, e);
      if (e.cost > budget) {
        lo = mid;
      } else {
        hi = mid;
        at_hi = e;
      }
    }
    return at_hi;
  };
  // mu = 0 first; raise mu until the floor is met, then bisect.
  double mu_lo = 0, mu_hi = 0;
  Eval e = fit_budget(0);
  if (e.margin < floor) {
    mu_hi = 1.0 / std::max(1e-12, ratio_hi);
    for (int grow = 0; grow < 60; ++grow) {
      if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
      e = fit_budget(mu_hi);
      if (e.margin >= floor) break;
      mu_lo = mu_hi;
      mu_hi *= 4;
    }
    for (int it = 0; it < 30 && mu_hi - mu_lo > 1e-12 * std::max(1.0, mu_hi); ++it) {
      if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
      const double mid = 0.5 * (mu_lo + mu_hi);
      if (fit_budget(mid).margin >= floor) mu_hi = mid;
      else mu_lo = mid;
    }
  }
  Eval cur;
  if (found) {
    cur = p.evaluate(best_lambda, best_mu, choice);
  } else {
    // The multipliers found no plan meeting the floor. Feasibility first: the most margin the
    // budget buys (value ignored) — the smallest lambda whose margin-greedy choices fit, then
    // margin upgrades with the budget left. If even that misses the floor, report infeasible.
    double lo = 0, hi = 1.0;
    for (std::size_t t = 0; t < units * options; ++t)
      if (!std::isnan(value[t]) && cost[t] > 0) hi = std::max(hi, std::fabs(margin[t]) / cost[t] * 2.0);
    if (p.evaluate(0, 1, nullptr, 0).cost <= budget) hi = 0;
    for (int it = 0; it < 60 && hi - lo > 1e-12 * std::max(1.0, hi); ++it) {
      const double mid = 0.5 * (lo + hi);
      if (p.evaluate(mid, 1, nullptr, 0).cost > budget) lo = mid;
      else hi = mid;
    }
    cur = p.evaluate(hi, 1, choice, 0);
    struct Up {
      double ratio, dm, dc, dv;
      std::size_t unit;
      int32_t option;
    };
    std::vector<Up> ups;
    for (std::size_t u = 0; u < units; ++u) {
      const int32_t k0 = choice[u];
      const std::size_t o = u * options;
      const double cc = k0 >= 0 ? cost[o + k0] : 0, cm = k0 >= 0 ? margin[o + k0] : 0, cv = k0 >= 0 ? value[o + k0] : 0;
      for (std::size_t k = 0; k < options; ++k) {
        if (std::isnan(value[o + k]) || static_cast<int32_t>(k) == k0) continue;
        const double dm = margin[o + k] - cm, dc = cost[o + k] - cc;
        if (dm <= 0) continue;
        ups.push_back({dc > 0 ? dm / dc : INFINITY, dm, dc, value[o + k] - cv, u, static_cast<int32_t>(k)});
      }
    }
    std::sort(ups.begin(), ups.end(), [](const Up& a, const Up& b) {
      return a.ratio != b.ratio ? a.ratio > b.ratio : (a.unit != b.unit ? a.unit < b.unit : a.option < b.option);
    });
    std::vector<char> moved(units, 0);
    for (const Up& up : ups) {
      if (moved[up.unit] || cur.cost + up.dc > budget) continue;
      moved[up.unit] = 1;
      choice[up.unit] = up.option;
      cur.cost += up.dc;
      cur.margin += up.dm;
      cur.value += up.dv;
    }
    if (cur.margin < floor || cur.cost > budget)
      return Status::Error(StatusCode::kInfeasible, "no allocation found that meets the margin floor within the budget");
  }
  // Greedy repair: upgrades by value per extra cost that fit the budget left and keep the floor.
  struct Upgrade {
    double ratio, dv, dc, dm;
    std::size_t unit;
    int32_t option;
  };
  const double left = budget - cur.cost;
  std::vector<Upgrade> ups;
  for (std::size_t u = 0; u < units; ++u) {
    const int32_t k0 = choice[u];
    const std::size_t o = u * options;
    const double cv = k0 >= 0 ? value[o + k0] : 0, cc = k0 >= 0 ? cost[o + k0] : 0, cm = k0 >= 0 ? margin[o + k0] : 0;
    for (std::size_t k = 0; k < options; ++k) {
      if (std::isnan(value[o + k]) || static_cast<int32_t>(k) == k0) continue;
      const double dv = value[o + k] - cv, dc = cost[o + k] - cc, dm = margin[o + k] - cm;
      if (dv <= 0 || dc > left) continue;
      ups.push_back({dc > 0 ? dv / dc : INFINITY, dv, dc, dm, u, static_cast<int32_t>(k)});
    }
  }
  std::sort(ups.begin(), ups.end(), [](const Upgrade& a, const Upgrade& b) {
    return a.ratio != b.ratio ? a.ratio > b.ratio : (a.unit != b.unit ? a.unit < b.unit : a.option < b.option);
  });
  std::vector<char> touched(units, 0);
  for (const Upgrade& up : ups) {
    if (touched[up.unit] || cur.cost + up.dc > budget || cur.margin + up.dm < floor) continue;
    touched[up.unit] = 1;
    choice[up.unit] = up.option;
    cur.cost += up.dc;
    cur.value += up.dv;
    cur.margin += up.dm;
  }
  BudgetResult r;
  r.value = cur.value;
  r.cost = cur.cost;
  r.margin = cur.margin;
  r.dual_bound = std::max(bound, cur.value);
  r.lambda = best_lambda;
  r.mu = best_mu;
  for (std::size_t u = 0; u < units; ++u) r.chosen += choice[u] >= 0;
  *result = r;
  return Status::Ok();
}

}  // namespace waybill::opt
