/**
 * The OR kernel family (first part): linear assignment and multiple-choice knapsack budget
 * allocation. Validation and backend choice here; backends get a flat task. These kernels are
 * not split over the pool (one solve is one sequential algorithm); native calls run in an
 * AsyncWorker, off the event loop.
 */
import type { BackendRegistry } from '../../backends/registry.js';
import { toWaybillError, WaybillError } from '../../errors.js';
import type { RunRecord } from '../geo/types.js';
import { assertNotDetached, describeValue, optionsObject } from '../options.js';
import { callbackOption, intOption, OR_MAX_ITERATIONS, TSP_MAX_CITIES, timeLimitOption } from './limits.js';
import { type LinearProgram, type LinearProgramResult, solveLinearProgram } from './linear-program.js';
import { type DistanceConvention, edgeLength } from './routes.js';
import type {
  AssignmentResult,
  BudgetAllocationResult,
  FlowArc,
  MinCostFlowResult,
  OrKernelName,
  OrOptions,
  OrTask,
  TspOptions,
  TspResult,
} from './types.js';

import { solveVrpWith, type VrpSolution, type VrpSolveOptions } from './vrp.js';
import type { CompiledVrp, VrpProblem } from './vrp-model.js';

export { OR_MAX_ITERATIONS, OR_MAX_TIME_LIMIT_MS, TSP_MAX_CITIES } from './limits.js';
export type { LinearProgram, LinearProgramResult } from './linear-program.js';
export * from './types.js';
export type { VrpProgress, VrpRoute, VrpSolution, VrpSolveOptions, VrpUnassigned } from './vrp.js';
export { type CompiledVrp, checkVrpSolution, compileVrp, type VrpProblem, VrpProblemSchema, vrpFromRoutingInstance } from './vrp-model.js';

export interface OrRuntime {
  registry: BackendRegistry;
  isClosed: () => boolean;
  onRun?: (kernel: OrKernelName, record: RunRecord) => void;
}

export interface OrKernels {
  /**
   * Minimum-cost (or, with `maximize`, maximum) assignment of n rows to distinct columns of a
   * dense n x m cost matrix (row-major Float64Array or nested arrays), n <= m. +Infinity marks a
   * forbidden pair (-Infinity when maximising). O(n^2 m) worst case; fails with INFEASIBLE when
   * every assignment needs a forbidden pair. `algorithm: 'auction'` (square, finite costs) uses
   * the epsilon-scaling auction instead — exact for integer costs while max|cost| (n + 1) <= 2^48,
   * within `bound` otherwise (e.g. 1e17 big-M costs), and on a CUDA device for n >= 4000 — which is
   * much faster than JV on tie-heavy integer costs. Costs whose prices would overflow (about
   * 4 (n + 1) max|cost| beyond the largest double) are INVALID_ARGUMENT.
   */
  linearAssignment(
    cost: Float64Array | readonly (readonly number[])[],
    options?: OrOptions & { n?: number; m?: number; maximize?: boolean; algorithm?: 'jv' | 'auction' },
  ): Promise<AssignmentResult>;
  /**
   * Budget allocation as a multiple-choice knapsack: give each unit at most one option
   * (treatment) to maximise total value with total cost <= budget. `value` and `cost` are
   * units x options (row-major, or nested arrays); a NaN value marks an option a unit does not
   * have. Costs must be >= 0. Returns the choice, its value and cost, and a Lagrangian dual bound
   * so the optimality gap is known. With a margin floor the search for a plan meeting it is
   * heuristic: INFEASIBLE (details.field 'marginFloor') means none was found, and details.proven
   * says whether the bound on the margin the budget buys (details.marginBound) rules one out.
   */
  budgetAllocation(
    value: Float64Array | readonly (readonly number[])[],
    cost: Float64Array | readonly (readonly number[])[],
    budget: number,
    options?: OrOptions & {
      units?: number;
      options?: number;
      /** Margin per option (units x options): the chosen margins must sum to at least marginFloor. */
      margin?: Float64Array | readonly (readonly number[])[];
      marginFloor?: number;
    },
  ): Promise<BudgetAllocationResult>;
  /**
   * Vehicle routing (CVRP, VRPTW, multi-dimensional capacity, mixed fleet, several depots,
   * optional visits with penalties) by the native hybrid genetic search. Input: a JSON problem
   * (validated; see vrp-model.ts) or a compiled one. Deterministic for a seed, a worker count and
   * `maxIterations`; `timeLimitMs` bounds the wall time; an AbortSignal returns the best plan so
   * far (`cancelled: true`). Every plan is re-checked independently: `feasible` and `violations`
   * say whether it meets every constraint.
   */
  solveVrp(problem: VrpProblem | CompiledVrp, options?: VrpSolveOptions): Promise<VrpSolution>;
  /**
   * A linear or mixed-integer program (JSON model: sense, objective, constraints, bounds,
   * integers, binaries) solved by HiGHS on a worker thread (the event loop stays free).
   * Non-optimal outcomes are a `status`, not an error. With `timeLimitMs`, a solve that runs well
   * past it (highsWatchdogMs: 1.5 x the limit + 5 s) is stopped: TIMEOUT; `signal` aborts: ABORTED.
   */
  linearProgram(
    model: LinearProgram,
    options?: { timeLimitMs?: number; mipGap?: number; signal?: AbortSignal },
  ): Promise<LinearProgramResult>;
  /**
   * Minimum-cost flow: node supplies (positive = supply, negative = demand, summing to 0) and arcs
   * { from, to, capacity?, cost }. Native: network simplex (any costs); TS reference: successive
   * shortest paths (non-negative costs). Fails with INFEASIBLE when the supplies cannot be routed.
   * Costs, supplies and capacities whose sums would overflow are NOT_FINITE. Precision: the native
   * simplex starts from artificial arcs priced at 2 (sum |cost| + 1) and keeps its potentials in
   * double-double, so a huge big-M arc (1e17) beside small costs no longer hides their differences
   * (it once answered 95.2 where 8 was optimal); an arc counts as improving when its reduced cost
   * is below -1e-12 of its own terms (|cost| + |potential difference|), so only improvements
   * through the huge arc itself are limited to that relative precision.
   */
  minCostFlow(
    input: { supply: Float64Array | readonly number[]; arcs: readonly FlowArc[] },
    options?: OrOptions,
  ): Promise<MinCostFlowResult>;
  /**
   * Symmetric travelling salesman: iterated local search (2-opt, Or-opt, an LK-style depth-3 move, double-bridge kicks) on
   * a distance matrix (`distances`, n x n, symmetric) or on coordinates with a distance
   * convention (`coords`: (x, y) interleaved or pairs; default 'exact'). Deterministic for a seed
   * and an iteration limit; an AbortSignal returns the best tour so far.
   */
  tsp(
    input:
      | { distances: Float64Array | readonly (readonly number[])[]; n?: number }
      | { coords: Float64Array | readonly (readonly number[])[]; convention?: DistanceConvention },
    options?: TspOptions,
  ): Promise<TspResult>;
}

/** Flattens nested rows (checking they are rectangular) or checks a flat array against n x m. */
function matrix(name: string, data: unknown, rows?: number, cols?: number): { flat: Float64Array; rows: number; cols: number } {
  if (data instanceof Float64Array) {
    assertNotDetached(data, name);
    if (rows === undefined || cols === undefined) {
      throw new WaybillError('INVALID_ARGUMENT', `${name} as a flat Float64Array needs its shape: pass n and m (or units and options)`, {
        argument: name,
        field: name,
      });
    }
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
      throw new WaybillError(
        'INVALID_LENGTH',
        `${name} has ${data.length} elements, shape ${describeValue(rows)} x ${describeValue(cols)} needs ${Number.isInteger(rows) && Number.isInteger(cols) ? rows * cols : 'integers'}`,
        { argument: name, field: name },
      );
    }
    return { flat: data, rows, cols };
  }
  if (!Array.isArray(data))
    throw new WaybillError('INVALID_ARGUMENT', `${name} must be a Float64Array or an array of rows`, { argument: name, field: name });
  const r = data.length;
  const c = r === 0 ? 0 : ((data[0] as unknown[])?.length ?? -1);
  const flat = new Float64Array(r * Math.max(c, 0));
  data.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== c) {
      throw new WaybillError(
        'INVALID_LENGTH',
        `${name} is ragged: row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, row 0 has ${c}`,
        { argument: name, field: `${name}[${i}]`, row: i },
      );
    }
    row.forEach((v, j) => {
      if (typeof v !== 'number')
        throw new WaybillError('INVALID_ARGUMENT', `${name}[${i}][${j}] is not a number`, {
          argument: name,
          field: `${name}[${i}][${j}]`,
          row: i,
          col: j,
        });
      flat[i * c + j] = v;
    });
  });
  return { flat, rows: r, cols: c };
}

/**
 * Upper bound on the margin a budget buys (at most one option per unit):
 * min over lambda >= 0 of lambda B + sum_u max(0, max_k m - lambda c), by bisection on its slope.
 */
function marginBound(value: Float64Array, cost: Float64Array, margin: Float64Array, units: number, options: number, budget: number) {
  const at = (lambda: number) => {
    let total = lambda * budget;
    let spent = 0;
    for (let u = 0; u < units; u++) {
      let best = 0;
      let bestCost = 0;
      for (let k = 0; k < options; k++) {
        const t = u * options + k;
        if (Number.isNaN(value[t] as number)) continue;
        const score = (margin[t] as number) - lambda * (cost[t] as number);
        if (score > best || (score === best && (cost[t] as number) < bestCost)) {
          best = score;
          bestCost = cost[t] as number;
        }
      }
      total += best;
      spent += bestCost;
    }
    return { total, spent };
  };
  let lo = 0;
  let hi = 1;
  for (let t = 0; t < units * options; t++)
    if (!Number.isNaN(value[t] as number) && (cost[t] as number) > 0)
      hi = Math.max(hi, (Math.abs(margin[t] as number) / (cost[t] as number)) * 2);
  let bound = Math.min(at(0).total, at(hi).total);
  for (let it = 0; it < 100 && hi - lo > 1e-12 * Math.max(1, hi); it++) {
    const mid = 0.5 * (lo + hi);
    const e = at(mid);
    bound = Math.min(bound, e.total);
    if (e.spent > budget) lo = mid;
    else hi = mid;
  }
  return bound;
}

export function createOrKernels(rt: OrRuntime): OrKernels {
  async function execute<R>(
    task: OrTask,
    shape: { n: number; m: number },
    options: OrOptions | undefined,
    collect: () => R,
  ): Promise<R & RunRecord> {
    if (rt.isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
    if (options?.signal?.aborted) throw new WaybillError('ABORTED');
    const backend = rt.registry.select(task.kernel, shape, options?.backend);
    const cancel = task.cancel ?? new Int32Array(new SharedArrayBuffer(4));
    const onAbort = () => Atomics.store(cancel, 0, 1);
    options?.signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = performance.now();
    try {
      await backend.run({ ...task, cancel }, false);
    } catch (err) {
      // Native and TS errors carry catalogue codes (INFEASIBLE, INVALID_ARGUMENT, ...).
      throw toWaybillError(err);
    } finally {
      options?.signal?.removeEventListener('abort', onAbort);
    }
    if (Atomics.load(cancel, 0) !== 0 && task.kernel !== 'tsp' && task.kernel !== 'vrp') throw new WaybillError('ABORTED');
    const ms = performance.now() - t0;
    const record: RunRecord = { backend: backend.name, workers: 0, timings: { totalMs: ms, computeMs: ms, queueMs: 0 } };
    rt.onRun?.(task.kernel, record);
    return { ...collect(), ...record };
  }

  return {
    async minCostFlow(input, optionsIn) {
      const options = optionsObject(optionsIn);
      if (typeof input !== 'object' || input === null)
        throw new WaybillError('INVALID_ARGUMENT', 'minCostFlow needs { supply, arcs }', { field: 'input' });
      const supplyIn = input.supply;
      if (!(supplyIn instanceof Float64Array) && !Array.isArray(supplyIn))
        throw new WaybillError('INVALID_ARGUMENT', 'supply must be an array of numbers (or a Float64Array)', { field: 'supply' });
      assertNotDetached(supplyIn, 'supply');
      const supply = new Float64Array(supplyIn.length);
      let balance = 0;
      let scale = 0;
      for (let i = 0; i < supply.length; i++) {
        const b = supplyIn[i];
        if (typeof b !== 'number')
          throw new WaybillError('INVALID_ARGUMENT', `supply[${i}] is not a number`, { field: `supply[${i}]`, node: i });
        if (!Number.isFinite(b)) throw new WaybillError('NOT_FINITE', `supply[${i}] is ${b}`, { field: `supply[${i}]`, node: i });
        supply[i] = b;
        balance += b;
        scale += Math.abs(b);
      }
      const n = supply.length;
      if (Math.abs(balance) > 1e-9 * Math.max(1, scale)) {
        throw new WaybillError(
          'INVALID_ARGUMENT',
          `supplies must sum to 0 (they sum to ${balance}): add a slack node for unbalanced problems`,
          { field: 'supply' },
        );
      }
      if (!Array.isArray(input.arcs))
        throw new WaybillError('INVALID_ARGUMENT', 'arcs must be an array of { from, to, capacity?, cost }', { field: 'arcs' });
      const m = input.arcs.length;
      const src = new Int32Array(m);
      const dst = new Int32Array(m);
      const capacity = new Float64Array(m);
      const cost = new Float64Array(m);
      // Sums the solvers build from the input (flow bounds, path costs, potentials) must stay finite.
      let capacitySum = scale;
      let costSum = 0;
      input.arcs.forEach((a, i) => {
        const where = { arc: i, field: `arcs[${i}]` };
        if (!Number.isInteger(a?.from) || !Number.isInteger(a?.to) || a.from < 0 || a.to < 0 || a.from >= n || a.to >= n) {
          throw new WaybillError('INVALID_ARGUMENT', `arc ${i}: from and to must be node indices in 0..${n - 1}`, where);
        }
        const cap = a.capacity ?? Number.POSITIVE_INFINITY;
        if (typeof cap !== 'number' || Number.isNaN(cap) || cap < 0)
          throw new WaybillError('INVALID_ARGUMENT', `arc ${i}: capacity must be >= 0`, { ...where, field: `arcs[${i}].capacity` });
        if (typeof a.cost !== 'number' || !Number.isFinite(a.cost))
          throw new WaybillError('NOT_FINITE', `arc ${i}: cost is ${describeValue(a.cost)}`, { ...where, field: `arcs[${i}].cost` });
        src[i] = a.from;
        dst[i] = a.to;
        capacity[i] = cap;
        cost[i] = a.cost;
        if (cap !== Number.POSITIVE_INFINITY) capacitySum += cap;
        costSum += Math.abs(a.cost);
      });
      // The network simplex prices its artificial arcs at 2 (sum |cost| + 1) and bounds unlimited
      // arcs by 8 (supplies + capacities): beyond about 1e300 these overflowed, and a 1e308 cost
      // read as INFEASIBLE or left infinite potentials behind.
      if (!(costSum * (n + 2) * 4 < Number.MAX_VALUE))
        throw new WaybillError('NOT_FINITE', `arc costs too large: their magnitudes sum to ${costSum}, which overflows path costs`, {
          field: 'arcs',
        });
      if (!(capacitySum * 16 < Number.MAX_VALUE))
        throw new WaybillError(
          'NOT_FINITE',
          'supplies and finite capacities too large: their sum overflows (use Infinity for unlimited arcs)',
          {
            field: 'arcs',
          },
        );
      const outFlow = new Float64Array(m);
      const outPotential = new Float64Array(n);
      const outStats = new Float64Array(2);
      return execute(
        { kernel: 'minCostFlow', n, supply, m, src, dst, capacity, cost, outFlow, outPotential, outStats },
        { n, m },
        options,
        () => {
          const total = outStats[0] as number;
          if (!Number.isFinite(total))
            throw new WaybillError('NOT_FINITE', `the cost of the flow is ${total}: flows times costs overflow`, { field: 'cost' });
          return { flow: outFlow, cost: total, potentials: outPotential, iterations: outStats[1] as number };
        },
      );
    },

    async tsp(input, optionsIn) {
      const options = optionsObject(optionsIn);
      // Limits first: they are cheap, and a bad one should not wait for a large matrix to be checked.
      const seed = intOption('seed', options.seed, 1, 0, Number.MAX_SAFE_INTEGER);
      const timeLimitMs = timeLimitOption(options.timeLimitMs);
      const onProgress = callbackOption('onProgress', options.onProgress);
      const maxIterations = intOption('maxIterations', options.maxIterations, timeLimitMs > 0 ? 0 : 1000, 0, OR_MAX_ITERATIONS);
      if (typeof input !== 'object' || input === null)
        throw new WaybillError('INVALID_ARGUMENT', 'tsp needs { distances } or { coords }', { field: 'input' });
      let dist: Float64Array;
      let n: number;
      if ('coords' in input) {
        if (input.coords instanceof Float64Array) assertNotDetached(input.coords, 'coords');
        const pts = input.coords instanceof Float64Array ? input.coords : matrix('coords', input.coords).flat;
        if (pts.length % 2 !== 0) throw new WaybillError('INVALID_LENGTH', 'coords must hold (x, y) pairs', { field: 'coords' });
        for (let t = 0; t < pts.length; t++)
          if (!Number.isFinite(pts[t]))
            throw new WaybillError('NOT_FINITE', `coords[${t}] is ${pts[t]}`, { field: `coords[${t}]`, index: t });
        n = pts.length / 2;
        if (n > TSP_MAX_CITIES)
          throw new WaybillError('TOO_LARGE', `${n} cities: the solver keeps an n x n matrix and takes at most ${TSP_MAX_CITIES}`, {
            field: 'coords',
            limit: TSP_MAX_CITIES,
          });
        const convention = input.convention ?? 'exact';
        if (!['nint', 'exact', 'trunc1', 'att', 'ceil'].includes(convention))
          throw new WaybillError('INVALID_ARGUMENT', `unknown distance convention ${describeValue(convention)}`, { field: 'convention' });
        dist = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            const d = edgeLength(pts, i, j, convention);
            if (!Number.isFinite(d))
              throw new WaybillError('NOT_FINITE', `the distance between cities ${i} and ${j} is ${d}: coordinates too large`, {
                field: 'coords',
                row: i,
                col: j,
              });
            dist[i * n + j] = dist[j * n + i] = d;
          }
        }
      } else if ('distances' in input) {
        const m = matrix('distances', input.distances, input.n, input.n);
        if (m.rows !== m.cols)
          throw new WaybillError('INVALID_LENGTH', `distances must be square, got ${m.rows} x ${m.cols}`, { field: 'distances' });
        n = m.rows;
        dist = m.flat;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const v = dist[i * n + j] as number;
            if (!Number.isFinite(v) || v < 0)
              throw new WaybillError('NOT_FINITE', `distances[${i}][${j}] is ${v}: distances must be finite and >= 0`, {
                field: `distances[${i}][${j}]`,
                row: i,
                col: j,
              });
            if (j > i && Math.abs(v - (dist[j * n + i] as number)) > 1e-9 * Math.max(1, v)) {
              throw new WaybillError(
                'INVALID_ARGUMENT',
                `distances are not symmetric at [${i}][${j}] (this solver is for the symmetric TSP)`,
                { field: `distances[${i}][${j}]`, row: i, col: j },
              );
            }
          }
        }
      } else {
        throw new WaybillError('INVALID_ARGUMENT', 'tsp needs { distances } or { coords }', { field: 'input' });
      }
      // A tour sums n edges: its length (and every move's gain) must stay finite.
      let longest = 0;
      for (let t = 0; t < dist.length; t++) longest = Math.max(longest, dist[t] as number);
      if (!Number.isFinite(longest * n))
        throw new WaybillError('NOT_FINITE', `a tour of ${n} edges up to ${longest} long overflows: distances too large`, {
          field: 'distances' in input ? 'distances' : 'coords',
          longest,
          n,
        });
      const outTour = new Int32Array(n);
      const outStats = new Float64Array(5);
      const progress = new Float64Array(new SharedArrayBuffer(24));
      const poll = onProgress
        ? setInterval(() => {
            if ((progress[1] as number) > 0)
              onProgress({ best: progress[0] as number, iterations: progress[1] as number, elapsedMs: progress[2] as number });
          }, 200)
        : undefined;
      try {
        // Cancellation is not an error here: the solver returns its best tour so far.
        const { signal, ...rest } = options;
        const cancel = new Int32Array(new SharedArrayBuffer(4));
        const onAbort = () => Atomics.store(cancel, 0, 1);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (signal?.aborted) onAbort();
        try {
          return await execute(
            { kernel: 'tsp', dist, n, seed, maxIterations, timeLimitMs, outTour, outStats, progress, cancel },
            { n, m: n },
            rest,
            () => ({
              tour: outTour,
              length: outStats[0] as number,
              iterations: outStats[1] as number,
              improvements: outStats[3] as number,
              cancelled: outStats[4] === 1,
            }),
          );
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      } finally {
        if (poll) clearInterval(poll);
      }
    },

    async solveVrp(problem, options) {
      return solveVrpWith(execute, problem, optionsObject(options));
    },

    async linearProgram(model, options) {
      if (rt.isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      return solveLinearProgram(model, optionsObject(options));
    },

    async linearAssignment(costInput, optionsIn) {
      const options = optionsObject(optionsIn);
      const { flat, rows: n, cols: m } = matrix('cost', costInput, options.n, options.m);
      // The infinity that means "forbidden" is +Infinity when minimising, -Infinity when maximising;
      // the other one (a "must take" pair) once gave a total of -Infinity (or +Infinity) silently.
      const wrongInfinity = options.maximize === true ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
      for (let t = 0; t < flat.length; t++) {
        if (flat[t] === wrongInfinity) {
          throw new WaybillError(
            'NOT_FINITE',
            `cost[${Math.floor(t / m)}][${t % m}] is ${wrongInfinity}: only ${-wrongInfinity} (a forbidden pair) may be infinite when ${options.maximize === true ? 'maximising' : 'minimising'}`,
            { field: `cost[${Math.floor(t / m)}][${t % m}]`, row: Math.floor(t / m), col: t % m },
          );
        }
        if (Number.isNaN(flat[t])) {
          throw new WaybillError('NOT_FINITE', `cost[${Math.floor(t / m)}][${t % m}] is NaN (use +Infinity for a forbidden pair)`, {
            field: `cost[${Math.floor(t / m)}][${t % m}]`,
            row: Math.floor(t / m),
            col: t % m,
          });
        }
      }
      if (n > m)
        throw new WaybillError(
          'INVALID_ARGUMENT',
          `more rows (${n}) than columns (${m}): every row needs its own column; transpose the matrix`,
          { field: 'cost', n, m },
        );
      const maximize = options.maximize === true;
      const algorithm = options.algorithm ?? 'jv';
      if (algorithm !== 'jv' && algorithm !== 'auction')
        throw new WaybillError('INVALID_ARGUMENT', `algorithm must be 'jv' or 'auction', got ${String(algorithm)}`, {
          field: 'algorithm',
        });
      if (algorithm === 'auction') {
        if (n !== m)
          throw new WaybillError('INVALID_ARGUMENT', `the auction needs a square matrix, got ${n} x ${m}`, {
            field: 'cost',
            n,
            m,
          });
        const cost = maximize ? flat.map((v) => -v) : flat;
        for (let t = 0; t < cost.length; t++) {
          if (!Number.isFinite(cost[t]))
            throw new WaybillError('NOT_FINITE', `the auction needs finite costs: cost[${Math.floor(t / m)}][${t % m}] is ${flat[t]}`, {
              field: `cost[${Math.floor(t / m)}][${t % m}]`,
            });
        }
        const outRowToCol = new Int32Array(n);
        const outStats = new Float64Array(4);
        return execute({ kernel: 'auctionAssignment', cost, n, outRowToCol, outStats }, { n, m: n }, options, () => ({
          rowToCol: outRowToCol,
          total: (maximize ? -1 : 1) * (outStats[0] as number),
          bound: outStats[3] as number,
        }));
      }
      const outRowToCol = new Int32Array(n);
      const outTotal = new Float64Array(1);
      return execute({ kernel: 'linearAssignment', cost: flat, n, m, maximize, outRowToCol, outTotal }, { n, m }, options, () => {
        const total = outTotal[0] as number;
        // Finite costs near the float64 limit can still sum past it.
        if (!Number.isFinite(total))
          throw new WaybillError('NOT_FINITE', `the total of the assignment is ${total}: costs too large`, { field: 'cost' });
        return { rowToCol: outRowToCol, total };
      });
    },

    async budgetAllocation(valueInput, costInput, budget, optionsIn) {
      const options = optionsObject(optionsIn);
      const v = matrix('value', valueInput, options.units, options.options);
      const c = matrix('cost', costInput, options.units, options.options);
      if (v.rows !== c.rows || v.cols !== c.cols) {
        throw new WaybillError('INVALID_LENGTH', `value is ${v.rows} x ${v.cols} but cost is ${c.rows} x ${c.cols}`, {
          field: 'cost',
        });
      }
      if (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0) {
        throw new WaybillError('INVALID_ARGUMENT', `budget must be a finite number >= 0, got ${String(budget)}`, {
          argument: 'budget',
          field: 'budget',
        });
      }
      for (let t = 0; t < v.flat.length; t++) {
        const val = v.flat[t] as number;
        const cost = c.flat[t] as number;
        const where = { unit: Math.floor(t / v.cols), option: t % v.cols };
        if (!Number.isNaN(val) && !Number.isFinite(val))
          throw new WaybillError('NOT_FINITE', `value[${where.unit}][${where.option}] is ${val}`, {
            ...where,
            field: `value[${where.unit}][${where.option}]`,
          });
        if (!Number.isNaN(val) && !(Number.isFinite(cost) && cost >= 0)) {
          throw new WaybillError('INVALID_ARGUMENT', `cost[${where.unit}][${where.option}] is ${cost}: costs must be finite and >= 0`, {
            ...where,
            field: `cost[${where.unit}][${where.option}]`,
          });
        }
      }
      const units = v.rows;
      let margin: Float64Array | undefined;
      if (options.margin !== undefined || options.marginFloor !== undefined) {
        if (options.margin === undefined || options.marginFloor === undefined) {
          throw new WaybillError('INVALID_ARGUMENT', 'margin and marginFloor go together', {
            field: options.margin === undefined ? 'margin' : 'marginFloor',
          });
        }
        const mm = matrix('margin', options.margin, options.units, options.options);
        if (mm.rows !== v.rows || mm.cols !== v.cols)
          throw new WaybillError('INVALID_LENGTH', `margin is ${mm.rows} x ${mm.cols}, value is ${v.rows} x ${v.cols}`, {
            field: 'margin',
          });
        if (typeof options.marginFloor !== 'number' || !Number.isFinite(options.marginFloor)) {
          throw new WaybillError('INVALID_ARGUMENT', `marginFloor must be a finite number, got ${String(options.marginFloor)}`, {
            field: 'marginFloor',
          });
        }
        for (let t = 0; t < mm.flat.length; t++) {
          if (!Number.isNaN(v.flat[t] as number) && !Number.isFinite(mm.flat[t] as number)) {
            throw new WaybillError('NOT_FINITE', `margin[${Math.floor(t / v.cols)}][${t % v.cols}] is ${mm.flat[t]}`, {
              field: `margin[${Math.floor(t / v.cols)}][${t % v.cols}]`,
              unit: Math.floor(t / v.cols),
              option: t % v.cols,
            });
          }
        }
        // With no options at all the native binding saw an empty margin array as no margin (its
        // data pointer is null) and ignored the floor: 0 units with marginFloor 1000 came back as a
        // plan with margin 0. One spare element keeps the floor; no solver reads it.
        margin = mm.flat.length > 0 ? mm.flat : new Float64Array(1);
      }
      const outChoice = new Int32Array(units);
      const outStats = new Float64Array(7);
      const floor = options.marginFloor as number;
      return execute(
        {
          kernel: 'budgetAllocation',
          value: v.flat,
          cost: c.flat,
          units,
          options: v.cols,
          budget,
          ...(margin ? { margin, marginFloor: options.marginFloor as number } : {}),
          outChoice,
          outStats,
        },
        { n: units, m: v.cols },
        options,
        () => {
          const [value = 0, cost = 0, dualBound = 0, lambda = 0, chosen = 0, marginTotal = 0, mu = 0] = outStats;
          // With a margin floor the value and its bound can be <= 0, where the gap was reported 0
          // (optimal) whatever the value: -5 under a bound of -1.25 while -2 was optimal.
          const gap =
            dualBound > 0 ? (dualBound - value) / dualBound : dualBound > value ? (dualBound - value) / Math.max(-dualBound, -value) : 0;
          // Values or costs near the float64 limit overflow the sums and the Lagrangian search.
          for (const [field, x] of Object.entries({ value, cost, dualBound, gap, lambda, ...(margin ? { margin: marginTotal } : {}) })) {
            if (!Number.isFinite(x))
              throw new WaybillError('NOT_FINITE', `the ${field} of the allocation is ${x}: values, costs or margins are too large`, {
                field,
              });
          }
          const base = { choice: outChoice, value, cost, dualBound, gap, lambda, chosen };
          return margin ? { ...base, margin: marginTotal, mu } : base;
        },
      ).catch((err: unknown) => {
        // The search for a plan meeting the floor is heuristic: INFEASIBLE is proven only when even
        // the Lagrangian bound on the margin the budget buys is below the floor. Say which.
        if (!margin || !(err instanceof WaybillError) || err.code !== 'INFEASIBLE') throw err;
        const bound = marginBound(v.flat, c.flat, margin, units, v.cols, budget);
        const proven = bound + 1e-9 * Math.max(Math.abs(bound), Math.abs(floor)) < floor;
        throw new WaybillError(
          'INFEASIBLE',
          proven
            ? `no allocation meets the margin floor ${floor} within the budget: at most ${bound} margin is reachable`
            : `no allocation found that meets the margin floor ${floor} within the budget (the search is heuristic; up to ${bound} margin may be reachable)`,
          { field: 'marginFloor', marginBound: bound, proven },
        );
      });
    },
  };
}
