// Operations-research kernels: linear assignment and multiple-choice knapsack budget allocation.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "waybill/common.h"

namespace waybill::opt {

/// Minimum-cost assignment of n rows to m >= n distinct columns on a dense row-major n x m cost
/// matrix (+infinity marks a forbidden pair; NaN is rejected by the caller). With `maximize` the
/// total is maximised instead. Shortest augmenting paths with column-reduction start (Jonker and
/// Volgenant 1987). Writes row_to_col[n] and the total cost; kInvalidArgument when n > m,
/// kInfeasible when no assignment avoids forbidden pairs.
Status linear_assignment_cpu(const double* cost, std::size_t n, std::size_t m, bool maximize, int32_t* row_to_col,
                             double* total, CancelToken cancel = {});

struct AuctionResult {
  double total = 0;
  int64_t bids = 0;
  int phases = 0;
  /// Guarantee: total is within `bound` of the optimum (0 for integer costs: exact).
  double bound = 0;
};

/// Whether the auction can take costs up to `cmax` in magnitude on n rows: its prices stay below
/// about 4 (n + 1) cmax, which must be finite (larger costs: kInvalidArgument).
inline bool auction_costs_fit(double cmax, std::size_t n) { return std::isfinite(4.0 * (static_cast<double>(n) + 1.0) * cmax); }

/// Whether the auction's final epsilon is 1/(n + 1), which makes integer costs exact: only while
/// every bid still moves a price by a representable amount (cmax (n + 1) <= 2^48 keeps epsilon far
/// above the prices' ulp; beyond it, e.g. 1e17 big-M costs, tied bids stopped moving prices and
/// the bidding never ended). Otherwise the final epsilon is 1e-9 max(1, cmax) and the total is
/// within n epsilon of the optimum (reported as the bound).
inline bool auction_exact(double cmax, std::size_t n, bool integral) {
  return integral && cmax * (static_cast<double>(n) + 1.0) <= 281474976710656.0;
}

/// The auction's final epsilon (see auction_exact).
inline double auction_final_epsilon(double cmax, std::size_t n, bool integral) {
  return auction_exact(cmax, n, integral) ? 1.0 / (static_cast<double>(n) + 1.0) : 1e-9 * (cmax > 1.0 ? cmax : 1.0);
}

/// Dense linear assignment (n x n, minimise) by Bertsekas' forward auction with epsilon scaling.
/// With integer costs (|cost| (n + 1) <= 2^48) the final epsilon < 1/n makes the result optimal;
/// otherwise the total is within n * epsilon_final of the optimum (reported). Infinite costs are
/// not allowed here, nor costs beyond auction_costs_fit.
Status auction_assignment_cpu(const double* cost, std::size_t n, int32_t* row_to_col, AuctionResult* result,
                              CancelToken cancel = {});

/// The same auction with Jacobi (all unassigned rows bid at once) rounds on a CUDA device.
Status auction_assignment_cuda(const double* cost, std::size_t n, int32_t* row_to_col, AuctionResult* result,
                               CancelToken cancel = {});

struct BudgetResult {
  double value = 0;        // total value of the chosen options
  double cost = 0;         // total cost (<= budget)
  double dual_bound = 0;   // Lagrangian upper bound on the optimal value
  double lambda = 0;       // multiplier of the budget constraint at the end
  std::size_t chosen = 0;  // units given an option
  double margin = 0;       // total margin of the chosen options (margin-floor variant)
  double mu = 0;           // multiplier of the margin floor (margin-floor variant)
};

/// Multiple-choice knapsack: for each of `units` units choose at most one of `options` options
/// (value and cost row-major units x options; NaN value = option absent) to maximise total value
/// with total cost <= budget. Costs must be >= 0. Lagrangian dual by bisection on the budget
/// multiplier, then greedy repair with the budget left; the dual bound makes the gap known.
/// choice[u] = option index or -1 (none).
Status budget_allocation_cpu(const double* value, const double* cost, std::size_t units, std::size_t options,
                             double budget, int32_t* choice, BudgetResult* result, CancelToken cancel = {});

/// Budget allocation with a margin floor: as budget_allocation_cpu, and the chosen options'
/// margins must sum to at least `floor` (e.g. profit after the subsidy). Two Lagrange multipliers
/// (budget, margin) found by nested bisection; every (lambda, mu) evaluated gives an upper bound
/// and a candidate, the best candidate meeting both constraints is kept and then repaired
/// greedily. kInfeasible when no candidate met the floor.
Status budget_allocation_margin_cpu(const double* value, const double* cost, const double* margin, std::size_t units,
                                    std::size_t options, double budget, double floor, int32_t* choice,
                                    BudgetResult* result, CancelToken cancel = {});

struct FlowResult {
  double cost = 0;
  int64_t pivots = 0;
};

/// Minimum-cost flow by the primal network simplex (artificial root, block-search pricing): nodes
/// 0..n-1 with supplies (sum 0: positive = supply, negative = demand), arcs src -> dst with
/// capacity (+inf allowed) and cost. Writes the flow per arc and the node potentials (duals).
/// kInfeasible when the supplies cannot be routed; kInvalidArgument for bad input or a negative
/// cycle of unbounded capacity (unbounded).
Status min_cost_flow_cpu(std::size_t n, const double* supply, std::size_t m, const int32_t* src, const int32_t* dst,
                         const double* capacity, const double* cost, double* flow, double* potential, FlowResult* result,
                         CancelToken cancel = {});

struct TspOptions {
  uint64_t seed = 1;
  /// ILS iterations (perturbation + local search); <= 0 means no limit (then time_limit_ms rules).
  int64_t max_iterations = 1000;
  /// Wall-clock limit, ms; <= 0 means none.
  double time_limit_ms = 0;
  /// Nearest neighbours per city in the candidate lists.
  int neighbours = 10;
};

struct TspResult {
  double length = 0;
  int64_t iterations = 0;
  double elapsed_ms = 0;
  int64_t improvements = 0;  // ILS iterations that found a better tour
  bool cancelled = false;    // stopped by the cancel flag (the tour is the best so far)
};

/// Called now and then with (best length so far, iterations, elapsed ms); may be empty.
using TspProgress = void (*)(void* user, double best, int64_t iterations, double elapsed_ms);

/// Symmetric TSP on a dense n x n distance matrix: nearest-neighbour start, 2-opt and Or-opt
/// (segments of 1-3 cities, both orientations) and an LK-style sequential 3-opt move (two flips,
/// positive partial gains) on candidate lists with don't-look bits, and
/// iterated local search with local double-bridge kicks, accepting equal-or-better tours.
/// Deterministic for a given seed and iteration limit. Writes the best tour (a permutation of
/// 0..n-1 starting at city 0).
Status tsp_solve_cpu(const double* dist, std::size_t n, const TspOptions& options, int32_t* tour, TspResult* result,
                     CancelToken cancel = {}, TspProgress progress = nullptr, void* progress_user = nullptr);

}  // namespace waybill::opt
