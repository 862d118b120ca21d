// Operations-research kernels: linear assignment and multiple-choice knapsack budget allocation.
#pragma once

#include <cstdint>

#include "waybill/common.h"

namespace waybill::opt {

/// Minimum-cost assignment of n rows to m >= n distinct columns on a dense row-major n x m cost
/// matrix (+infinity marks a forbidden pair; NaN is rejected by the caller). With `maximize` the
/// total is maximised instead. Shortest augmenting paths with column-reduction start (Jonker and
/// Volgenant 1987). Writes row_to_col[n] and the total cost; kInvalidArgument when n > m,
/// kInfeasible-like kInvalidArgument with a message when no assignment avoids forbidden pairs.
Status linear_assignment_cpu(const double* cost, std::size_t n, std::size_t m, bool maximize, int32_t* row_to_col,
                             double* total, CancelToken cancel = {});

struct BudgetResult {
  double value = 0;        // total value of the chosen options
  double cost = 0;         // total cost (<= budget)
  double dual_bound = 0;   // Lagrangian upper bound on the optimal value
  double lambda = 0;       // multiplier of the budget constraint at the end
  std::size_t chosen = 0;  // units given an option
};

/// Multiple-choice knapsack: for each of `units` units choose at most one of `options` options
/// (value and cost row-major units x options; NaN value = option absent) to maximise total value
/// with total cost <= budget. Costs must be >= 0. Lagrangian dual by bisection on the budget
/// multiplier, then greedy repair with the budget left; the dual bound makes the gap known.
/// choice[u] = option index or -1 (none).
Status budget_allocation_cpu(const double* value, const double* cost, std::size_t units, std::size_t options,
                             double budget, int32_t* choice, BudgetResult* result, CancelToken cancel = {});

}  // namespace waybill::opt
