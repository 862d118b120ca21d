import type { BackendName } from '../../backends/types.js';
import type { RunRecord } from '../geo/types.js';

export type OrKernelName = 'linearAssignment' | 'auctionAssignment' | 'budgetAllocation' | 'tsp' | 'minCostFlow' | 'vrp';

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
  /** Optional margin per option (units x options) with the floor the chosen margins must reach. */
  margin?: Float64Array;
  marginFloor?: number;
  outChoice: Int32Array;
  /** [value, cost, dualBound, lambda, chosen, margin, mu] */
  outStats: Float64Array;
  cancel?: Int32Array;
}

/** Task of tsp: a dense n x n distance matrix. */
export interface TspTask {
  kernel: 'tsp';
  dist: Float64Array;
  n: number;
  seed: number;
  maxIterations: number;
  timeLimitMs: number;
  outTour: Int32Array;
  /** [length, iterations, elapsed ms, improvements, cancelled] */
  outStats: Float64Array;
  /** Shared [best, iterations, elapsed ms], updated by the solver while it runs. */
  progress?: Float64Array;
  cancel?: Int32Array;
}

/** Task of minCostFlow: n nodes with supplies, m arcs as parallel arrays. */
export interface MinCostFlowTask {
  kernel: 'minCostFlow';
  n: number;
  supply: Float64Array;
  m: number;
  src: Int32Array;
  dst: Int32Array;
  capacity: Float64Array;
  cost: Float64Array;
  outFlow: Float64Array;
  outPotential: Float64Array;
  /** [cost, pivots or augmentations] */
  outStats: Float64Array;
  cancel?: Int32Array;
}

/** Task of auctionAssignment: a dense n x n cost matrix (finite costs). */
export interface AuctionAssignmentTask {
  kernel: 'auctionAssignment';
  cost: Float64Array;
  n: number;
  outRowToCol: Int32Array;
  /** [total, bids (CPU) or rounds (CUDA), phases, bound] */
  outStats: Float64Array;
  cancel?: Int32Array;
}

/**
 * Task of vrp: a compiled problem (see vrp-model.ts `CompiledVrp`, whose fields it carries) and
 * the search limits.
 */
export interface VrpTask {
  kernel: 'vrp';
  n: number;
  depots: number;
  dims: number;
  types: number;
  dist: Float64Array;
  time: Float64Array;
  demand: Float64Array;
  service: Float64Array;
  early: Float64Array;
  late: Float64Array;
  penalty: Float64Array;
  coords?: Float64Array;
  typeCount: Int32Array;
  typeCapacity: Float64Array;
  typeFixed: Float64Array;
  typeCostDistance: Float64Array;
  typeCostTime: Float64Array;
  typeMaxDuration: Float64Array;
  typeStartDepot: Int32Array;
  typeEndDepot: Int32Array;
  typeShiftStart: Float64Array;
  typeShiftEnd: Float64Array;
  seed: number;
  maxIterations: number;
  timeLimitMs: number;
  workers: number;
  neighbours?: number;
  /** Per vehicle slot (type order): its customers in order, then -1. */
  outRoutes: Int32Array;
  /** [cost, distance, duration, excessLoad, timeWarp, feasible, routes, unassigned, iterations, elapsedMs, bestFoundMs, cancelled] */
  outStats: Float64Array;
  /** Shared [best, feasible, iterations, elapsed ms], updated by the solver while it runs. */
  progress?: Float64Array;
  cancel?: Int32Array;
}

export type OrTask = LinearAssignmentTask | AuctionAssignmentTask | BudgetAllocationTask | TspTask | MinCostFlowTask | VrpTask;

export interface FlowArc {
  from: number;
  to: number;
  /** Default: unlimited. */
  capacity?: number;
  cost: number;
}

export interface MinCostFlowResult extends RunRecord {
  /** Flow on each arc, in input order. */
  flow: Float64Array;
  cost: number;
  /**
   * Node potentials (duals): reduced cost cost + p[from] - p[to] is 0 on arcs strictly inside their
   * bounds (native: shifted so that node 0 has 0). Duals are not unique (a shift by a constant, and more on degenerate problems), so the js
   * and native backends may return different but equally valid potentials (and flows, when several
   * are optimal); the cost agrees.
   */
  potentials: Float64Array;
  /** Network simplex pivots (native) or augmenting paths (TS reference). */
  iterations: number;
}

export interface TspOptions extends OrOptions {
  /** Random seed of the perturbations (default 1). Same seed + same maxIterations => same tour. */
  seed?: number;
  /**
   * Iterated-local-search iterations (default 1000 when no time limit is given), an integer in
   * 0..OR_MAX_ITERATIONS (1e9); more is INVALID_ARGUMENT.
   */
  maxIterations?: number;
  /**
   * Wall-clock budget in ms (the search stops at whichever limit comes first), at most
   * OR_MAX_TIME_LIMIT_MS (one day); more, Infinity included, is INVALID_ARGUMENT.
   */
  timeLimitMs?: number;
  /** Called about every 200 ms with the best length so far. */
  onProgress?: (p: { best: number; iterations: number; elapsedMs: number }) => void;
}

export interface TspResult extends RunRecord {
  /** Visiting order, starting at city 0 (closed: the tour returns to it). */
  tour: Int32Array;
  length: number;
  iterations: number;
  improvements: number;
  /** True when the signal stopped the search: the tour is the best found until then. */
  cancelled: boolean;
}

export interface OrOptions {
  backend?: BackendName;
  signal?: AbortSignal;
}

export interface AssignmentResult extends RunRecord {
  /** rowToCol[i] = column assigned to row i. */
  rowToCol: Int32Array;
  /** Sum of the assigned costs. */
  total: number;
  /** Auction only: the total is within this of the optimum (0 for integer costs with max|cost| (n + 1) <= 2^48). */
  bound?: number;
}

export interface BudgetAllocationResult extends RunRecord {
  /** choice[u] = option index given to unit u, or -1 for none. */
  choice: Int32Array;
  /** Total value and cost of the choice (cost <= budget). */
  value: number;
  cost: number;
  /**
   * Lagrangian upper bound on the optimal value; gap = (dualBound - value) / dualBound, or, when
   * dualBound <= 0 (possible with a margin floor), (dualBound - value) / max(|dualBound|, |value|).
   * gap 0 means the value is proven optimal.
   */
  dualBound: number;
  gap: number;
  /** Final multiplier of the budget constraint (the marginal value of one more unit of budget). */
  lambda: number;
  /** Units given an option. */
  chosen: number;
  /** With a margin floor: the total margin of the choice and the floor's multiplier. */
  margin?: number;
  mu?: number;
}
