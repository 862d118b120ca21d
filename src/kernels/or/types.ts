import type { BackendName } from '../../backends/types.js';
import type { RunRecord } from '../geo/types.js';

export type OrKernelName = 'linearAssignment' | 'budgetAllocation';

/** Task of linearAssignment: a dense n x m (n <= m) row-major cost matrix. */
export interface LinearAssignmentTask {
  kernel: 'linearAssignment';
  cost: Float64Array;
  n: number;
  m: number;
  maximize: boolean;
  outRowToCol: Int32Array;
  outTotal: Float64Array;
  cancel?: Int32Array;
}

/** Task of budgetAllocation: units x options value and cost matrices (NaN value = absent option). */
export interface BudgetAllocationTask {
  kernel: 'budgetAllocation';
  value: Float64Array;
  cost: Float64Array;
  units: number;
  options: number;
  budget: number;
  outChoice: Int32Array;
  /** [value, cost, dualBound, lambda, chosen] */
  outStats: Float64Array;
  cancel?: Int32Array;
}

export type OrTask = LinearAssignmentTask | BudgetAllocationTask;

export interface OrOptions {
  backend?: BackendName;
  signal?: AbortSignal;
}

export interface AssignmentResult extends RunRecord {
  /** rowToCol[i] = column assigned to row i. */
  rowToCol: Int32Array;
  /** Sum of the assigned costs. */
  total: number;
}

export interface BudgetAllocationResult extends RunRecord {
  /** choice[u] = option index given to unit u, or -1 for none. */
  choice: Int32Array;
  /** Total value and cost of the choice (cost <= budget). */
  value: number;
  cost: number;
  /** Lagrangian upper bound on the optimal value; gap = (dualBound - value) / dualBound. */
  dualBound: number;
  gap: number;
  /** Final multiplier of the budget constraint (the marginal value of one more unit of budget). */
  lambda: number;
  /** Units given an option. */
  chosen: number;
}
