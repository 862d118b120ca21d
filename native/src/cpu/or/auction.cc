// Dense linear assignment by Bertsekas' forward auction with epsilon scaling (Gauss-Seidel: one
// unassigned row bids at a time). Rows bid for columns maximising benefit - price, where
// benefit = -cost; a bid raises the column's price by (best - second best + epsilon).
// epsilon-complementary slackness makes the final assignment optimal within n * epsilon; for
// integer costs epsilon < 1/n gives the exact optimum.
#include <algorithm>
#include <cmath>
#include <vector>

#include "waybill/or.h"

namespace waybill::opt {

namespace auction_detail {

/// Whether all costs are integers (then epsilon < 1/n is exact).
bool integer_costs(const double* cost, std::size_t n) {
  for (std::size_t t = 0; t < n * n; ++t) {
    if (cost[t] != std::floor(cost[t])) return false;
  }
  return true;
}

}  // namespace auction_detail

Status auction_assignment_cpu(const double* cost, std::size_t n, int32_t* row_to_col, AuctionResult* result,
                              CancelToken cancel) {
  AuctionResult r;
  if (n == 0) {
    *result = r;
    return Status::Ok();
  }
  double cmax = 0;
  for (std::size_t t = 0; t < n * n; ++t) {
    if (!std::isfinite(cost[t])) return Status::Error(StatusCode::kInvalidArgument, "the auction needs finite costs");
    cmax = std::max(cmax, std::fabs(cost[t]));
  }
  if (!auction_costs_fit(cmax, n)) return Status::Error(StatusCode::kInvalidArgument, "auction costs too large: the prices would overflow");
  const bool exact = auction_exact(cmax, n, auction_detail::integer_costs(cost, n));
  const double eps_final = auction_final_epsilon(cmax, n, exact);
  std::vector<double> price(n, 0.0);
  std::vector<int32_t> owner(n, -1), assigned(n, -1);
  std::vector<int32_t> queue;
  double eps = std::max(eps_final, cmax / 4.0);
  while (true) {
    ++r.phases;
    std::fill(owner.begin(), owner.end(), -1);
    std::fill(assigned.begin(), assigned.end(), -1);
    queue.clear();
    for (std::size_t i = 0; i < n; ++i) queue.push_back(static_cast<int32_t>(n - 1 - i));
    while (!queue.empty()) {
      if ((r.bids & 4095) == 0 && cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
      const int32_t i = queue.back();
      queue.pop_back();
      const double* row = cost + static_cast<std::size_t>(i) * n;
      double best = -INFINITY, second = -INFINITY;
      std::size_t bj = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const double v = -row[j] - price[j];
        if (v > best) {
          second = best;
          best = v;
          bj = j;
        } else if (v > second) {
          second = v;
        }
      }
      if (n == 1) second = best;
      price[bj] += best - second + eps;
      ++r.bids;
      const int32_t prev = owner[bj];
      owner[bj] = i;
      assigned[i] = static_cast<int32_t>(bj);
      if (prev >= 0) {
        assigned[prev] = -1;
        queue.push_back(prev);
      }
    }
    if (eps <= eps_final) break;
    eps = std::max(eps_final, eps / 5.0);
  }
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    row_to_col[i] = assigned[i];
    total += cost[i * n + static_cast<std::size_t>(assigned[i])];
  }
  r.total = total;
  r.bound = exact ? 0.0 : static_cast<double>(n) * eps_final;
  *result = r;
  return Status::Ok();
}

}  // namespace waybill::opt
