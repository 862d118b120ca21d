// Multiple-choice knapsack (budget allocation) by Lagrangian relaxation.
//
// For a multiplier lambda >= 0 every unit independently takes the option maximising
// value - lambda * cost (or none, worth 0). L(lambda) = lambda * B + sum of those maxima is an
// upper bound on the optimum for every lambda (weak duality). Bisection finds the smallest
// lambda whose choices fit the budget; those choices are feasible, and a greedy repair then
// spends what is left on the upgrades with the best value per extra cost. The smallest L seen is
// reported as the dual bound, so (bound - value) / bound is a certified optimality gap.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "waybill/or.h"

namespace waybill::opt {
namespace {

struct Eval {
  double value = 0;
  double cost = 0;
  double lagrangian = 0;  // sum over units of max(0, value - lambda cost)
};

Eval evaluate(const double* value, const double* cost, std::size_t units, std::size_t options, double lambda,
              int32_t* choice) {
  Eval e;
  for (std::size_t u = 0; u < units; ++u) {
    double best = 0;
    double best_cost = 0;
    double best_value = 0;
    int32_t pick = -1;
    const double* vu = value + u * options;
    const double* cu = cost + u * options;
    for (std::size_t k = 0; k < options; ++k) {
      if (std::isnan(vu[k])) continue;
      const double score = vu[k] - lambda * cu[k];
      // Ties go to the cheaper option, then the lower index: deterministic and budget-friendly.
      if (score > best || (score == best && pick >= 0 && cu[k] < best_cost)) {
        best = score;
        best_cost = cu[k];
        best_value = vu[k];
        pick = static_cast<int32_t>(k);
      }
    }
    if (choice != nullptr) choice[u] = pick;
    e.lagrangian += best;
    e.value += best_value;
    e.cost += best_cost;
  }
  return e;
}

}  // namespace

Status budget_allocation_cpu(const double* value, const double* cost, std::size_t units, std::size_t options,
                             double budget, int32_t* choice, BudgetResult* result, CancelToken cancel) {
  if (!(budget >= 0) || !std::isfinite(budget)) return Status::Error(StatusCode::kInvalidArgument, "budget must be >= 0");
  for (std::size_t t = 0; t < units * options; ++t) {
    if (!std::isnan(value[t]) && !(cost[t] >= 0 && std::isfinite(cost[t]) && std::isfinite(value[t]))) {
      return Status::Error(StatusCode::kInvalidArgument, "every present option needs a finite value and a finite cost >= 0");
    }
  }
  BudgetResult r;
  // lambda = 0: the best value per unit. If it fits, it is optimal.
  Eval lo = evaluate(value, cost, units, options, 0.0, choice);
  double bound = lo.lagrangian;
  if (lo.cost <= budget) {
    r.value = lo.value;
    r.cost = lo.cost;
    r.dual_bound = lo.value;
    r.lambda = 0;
  } else {
    // Upper end: twice the best value per unit of cost (nothing with positive cost is worth taking
    // above it). The search stops at a step relative to it, so values of any scale (1e-11 of the
    // costs) are searched as finely as values of 1.
    double hi_lambda = 0.0;
    for (std::size_t t = 0; t < units * options; ++t) {
      if (!std::isnan(value[t]) && cost[t] > 0) hi_lambda = std::max(hi_lambda, value[t] / cost[t] * 2.0);
    }
    if (!(hi_lambda > 0 && std::isfinite(hi_lambda))) hi_lambda = hi_lambda > 0 ? std::numeric_limits<double>::max() : 1.0;
    double lo_lambda = 0.0;
    for (int it = 0; it < 100 && hi_lambda - lo_lambda > 1e-12 * hi_lambda; ++it) {
      if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
      const double mid = 0.5 * (lo_lambda + hi_lambda);
      const Eval e = evaluate(value, cost, units, options, mid, nullptr);
      bound = std::min(bound, mid * budget + e.lagrangian);
      if (e.cost > budget) lo_lambda = mid;
      else hi_lambda = mid;
    }
    const Eval feasible = evaluate(value, cost, units, options, hi_lambda, choice);
    bound = std::min(bound, hi_lambda * budget + feasible.lagrangian);
    r.value = feasible.value;
    r.cost = feasible.cost;
    r.lambda = hi_lambda;
    // Greedy repair: upgrades (to a more valuable option of the same unit) by value per extra cost.
    struct Upgrade {
      double ratio;
      double dv;
      double dc;
      std::size_t unit;
      int32_t option;
    };
    // Only upgrades that fit in what is left can ever be taken: filtering first keeps the sort
    // small (the budget left after the multiplier step is about one option's cost).
    const double left = budget - r.cost;
    std::vector<Upgrade> ups;
    for (std::size_t u = 0; u < units; ++u) {
      const int32_t cur = choice[u];
      const double cv = cur >= 0 ? value[u * options + cur] : 0.0;
      const double cc = cur >= 0 ? cost[u * options + cur] : 0.0;
      for (std::size_t k = 0; k < options; ++k) {
        const double vk = value[u * options + k];
        if (std::isnan(vk) || static_cast<int32_t>(k) == cur) continue;
        const double dv = vk - cv;
        const double dc = cost[u * options + k] - cc;
        if (dv <= 0 || dc > left) continue;
        ups.push_back({dc > 0 ? dv / dc : INFINITY, dv, dc, u, static_cast<int32_t>(k)});
      }
    }
    std::sort(ups.begin(), ups.end(), [](const Upgrade& a, const Upgrade& b) {
      return a.ratio != b.ratio ? a.ratio > b.ratio : (a.unit != b.unit ? a.unit < b.unit : a.option < b.option);
    });
    std::vector<char> touched(units, 0);
    for (const Upgrade& up : ups) {
      if (touched[up.unit] || r.cost + up.dc > budget) continue;
      touched[up.unit] = 1;
      choice[up.unit] = up.option;
      r.cost += up.dc;
      r.value += up.dv;
    }
    r.dual_bound = std::max(bound, r.value);
  }
  r.chosen = 0;
  for (std::size_t u = 0; u < units; ++u) r.chosen += choice[u] >= 0;
  *result = r;
  return Status::Ok();
}

}  // namespace waybill::opt
