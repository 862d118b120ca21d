/**
 * solveVrp: the engine surface of the native hybrid genetic search. Takes a JSON problem (or an
 * already compiled one), runs the solver with limits, progress and cancellation, and returns the
 * plan with every route checked by the independent TS checker, so an infeasible plan is never
 * returned silently: `feasible: false` comes with the violations.
 */
import type { RunRecord } from '../geo/types.js';
import { assertNotDetached } from '../options.js';
import { callbackOption, intOption, OR_MAX_ITERATIONS, timeLimitOption } from './limits.js';
import type { OrOptions, VrpTask } from './types.js';
import { type CompiledVrp, checkVrpSolution, compileVrp, type VrpCheck, type VrpProblem, type VrpViolation } from './vrp-model.js';

export interface VrpProgress {
  /** Best objective so far (Infinity until a plan exists). */
  best: number;
  /** Whether that plan is feasible. */
  feasible: boolean;
  /** Genetic iterations so far, summed over workers. */
  iterations: number;
  elapsedMs: number;
}

export interface VrpSolveOptions extends OrOptions {
  /** Seed of the search (default 1). Same seed + workers + maxIterations => same plan. */
  seed?: number;
  /** Genetic iterations per worker, at most OR_MAX_ITERATIONS (1e9); 0 = no limit (then the time limit rules). */
  maxIterations?: number;
  /**
   * Wall-clock budget in ms. Default when neither limit is given: 24 ms per customer (a tenth of
   * the DIMACS rule 2.4 n s), at least 1 s and at most 60 s. At most OR_MAX_TIME_LIMIT_MS (one day);
   * more (Infinity included) is INVALID_ARGUMENT.
   */
  timeLimitMs?: number;
  /** Independent populations on threads that exchange their best plans (default 1). */
  workers?: number;
  /** Granular neighbourhood size (default 20). */
  neighbours?: number;
  /** Called about every 200 ms while the search runs. */
  onProgress?: (p: VrpProgress) => void;
}

export interface VrpRoute {
  /** Vehicle slot (0-based, in vehicle type order) and its type. */
  vehicle: number;
  type: number;
  typeId: string;
  /** Node indices (depots first, then customers) served in order; depots excluded. */
  stops: number[];
  /** The customers' ids, in the same order. */
  ids: string[];
  load: number[];
  distance: number;
  duration: number;
  /** Departure from the start depot and return to the end depot (time-dimension problems). */
  departure: number;
  arrival: number;
  cost: number;
}

export interface VrpUnassigned {
  node: number;
  id: string;
  penalty: number;
  reason: string;
}

export interface VrpSolution extends RunRecord {
  /** True when every constraint holds (checked independently of the solver). */
  feasible: boolean;
  /** Objective: fixed + distance + time costs of the routes + penalties of left-out visits. */
  cost: number;
  distance: number;
  duration: number;
  routes: VrpRoute[];
  unassigned: VrpUnassigned[];
  /** Why the plan is infeasible (empty when feasible). */
  violations: VrpViolation[];
  iterations: number;
  elapsedMs: number;
  /** When the returned plan was found. */
  bestFoundMs: number;
  /** True when the signal stopped the search: the plan is the best found until then. */
  cancelled: boolean;
  seed: number;
}

type Execute = <R>(
  task: VrpTask,
  shape: { n: number; m: number },
  options: OrOptions | undefined,
  collect: () => R,
) => Promise<R & RunRecord>;

function isCompiled(p: VrpProblem | CompiledVrp): p is CompiledVrp {
  return (p as CompiledVrp).dist instanceof Float64Array;
}

/**
 * Missing arcs (+Infinity in a user matrix) become a finite big-M the native solver can add up:
 * larger than any plan that avoids them, so one is used only when no plan avoids it — and then
 * the independent check, which reads the original matrix, reports the plan as infeasible.
 */
function withoutMissingArcs(c: CompiledVrp): { dist: Float64Array; time: Float64Array } {
  const big = (m: Float64Array): Float64Array => {
    let missing = false;
    let rowMaxSum = 0;
    for (let i = 0; i < c.n; i++) {
      let rowMax = 0;
      for (let j = 0; j < c.n; j++) {
        const v = m[i * c.n + j] as number;
        if (v === Number.POSITIVE_INFINITY) missing = true;
        else if (v > rowMax) rowMax = v;
      }
      rowMaxSum += rowMax;
    }
    if (!missing) return m;
    let penalties = 0;
    for (const p of c.penalty) if (Number.isFinite(p)) penalties += p;
    const M = 10 * (rowMaxSum + penalties) + 1e6;
    return m.map((v) => (v === Number.POSITIVE_INFINITY ? M : v));
  };
  const dist = big(c.dist);
  return { dist, time: c.time === c.dist ? dist : big(c.time) };
}

/** Decodes the native output: per vehicle slot its stops, then -1. */
export function decodeRoutes(out: Int32Array, slots: number): number[][] {
  const routes: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < out.length && routes.length < slots; i++) {
    const v = out[i] as number;
    if (v < 0) {
      routes.push(cur);
      cur = [];
    } else cur.push(v);
  }
  return routes;
}

export async function solveVrpWith(execute: Execute, input: VrpProblem | CompiledVrp, options: VrpSolveOptions = {}): Promise<VrpSolution> {
  // A compiled problem's arrays may have been transferred since (typeCount then threw a raw TypeError).
  if (isCompiled(input)) for (const [field, v] of Object.entries(input)) assertNotDetached(v, field);
  const c = isCompiled(input) ? input : compileVrp(input);
  const customers = c.n - c.depots;
  const seed = intOption('seed', options.seed, 1, 0, 2 ** 52);
  const maxIterations = intOption('maxIterations', options.maxIterations, 0, 0, OR_MAX_ITERATIONS);
  const workers = intOption('workers', options.workers, 1, 1, 64);
  const neighbours = intOption('neighbours', options.neighbours, 20, 1, 1000);
  let timeLimitMs = timeLimitOption(options.timeLimitMs);
  const onProgress = callbackOption('onProgress', options.onProgress);
  if (timeLimitMs === 0 && maxIterations === 0) timeLimitMs = Math.min(60_000, Math.max(1000, 24 * customers));
  let slots = 0;
  for (const k of c.typeCount) slots += k;
  const { dist, time } = withoutMissingArcs(c);
  const outRoutes = new Int32Array(customers + slots);
  const outStats = new Float64Array(12);
  const progress = new Float64Array(new SharedArrayBuffer(32));
  progress[0] = Number.POSITIVE_INFINITY;
  const poll = onProgress
    ? setInterval(() => {
        if ((progress[3] as number) > 0)
          onProgress({
            best: progress[0] as number,
            feasible: progress[1] === 1,
            iterations: progress[2] as number,
            elapsedMs: progress[3] as number,
          });
      }, 200)
    : undefined;
  const task: VrpTask = {
    kernel: 'vrp',
    n: c.n,
    depots: c.depots,
    dims: c.dims,
    types: c.types,
    dist,
    time,
    demand: c.demand,
    service: c.service,
    early: c.early,
    late: c.late,
    penalty: c.penalty,
    ...(c.coords ? { coords: c.coords } : {}),
    typeCount: c.typeCount,
    typeCapacity: c.typeCapacity,
    typeFixed: c.typeFixed,
    typeCostDistance: c.typeCostDistance,
    typeCostTime: c.typeCostTime,
    typeMaxDuration: c.typeMaxDuration,
    typeStartDepot: c.typeStartDepot,
    typeEndDepot: c.typeEndDepot,
    typeShiftStart: c.typeShiftStart,
    typeShiftEnd: c.typeShiftEnd,
    seed,
    maxIterations,
    timeLimitMs,
    workers,
    neighbours,
    outRoutes,
    outStats,
    progress,
  };
  const { onProgress: _p, ...rest } = options;
  try {
    const run = await execute(task, { n: c.n, m: c.n }, rest, () => ({}));
    const slotsRoutes = decodeRoutes(outRoutes, slots);
    const typeOfSlot: number[] = [];
    for (let t = 0; t < c.types; t++) for (let k = 0; k < (c.typeCount[t] as number); k++) typeOfSlot.push(t);
    const planned = slotsRoutes
      .map((stops, vehicle) => ({ vehicle, type: typeOfSlot[vehicle] as number, stops }))
      .filter((r) => r.stops.length > 0);
    const routed = new Uint8Array(c.n);
    for (const r of planned) for (const s of r.stops) routed[s] = 1;
    const unassignedNodes: number[] = [];
    for (let v = c.depots; v < c.n; v++) if (!routed[v]) unassignedNodes.push(v);
    const check: VrpCheck = checkVrpSolution(
      c,
      planned.map((r) => ({ type: r.type, stops: r.stops })),
      unassignedNodes,
    );
    const routes: VrpRoute[] = planned.map((r, i) => {
      const st = check.routes[i];
      return {
        vehicle: r.vehicle,
        type: r.type,
        typeId: c.typeIds[r.type] as string,
        stops: r.stops,
        ids: r.stops.map((s) => c.customerIds[s - c.depots] as string),
        load: st?.load ?? [],
        distance: st?.distance ?? 0,
        duration: st?.duration ?? 0,
        departure: st?.departure ?? 0,
        arrival: st?.arrival ?? 0,
        cost: st?.cost ?? 0,
      };
    });
    const unassigned: VrpUnassigned[] = unassignedNodes.map((node) => {
      const penalty = c.penalty[node] as number;
      return {
        node,
        id: c.customerIds[node - c.depots] as string,
        penalty,
        reason: Number.isFinite(penalty)
          ? `optional visit left out: serving it would cost more than its penalty ${penalty} (or the fleet has no room for it)`
          : 'required visit the solver could not place (the plan is infeasible)',
      };
    });
    return {
      feasible: check.feasible,
      cost: check.cost,
      distance: check.distance,
      duration: check.duration,
      routes,
      unassigned,
      violations: check.violations,
      iterations: outStats[8] as number,
      elapsedMs: outStats[9] as number,
      bestFoundMs: outStats[10] as number,
      cancelled: outStats[11] === 1,
      seed,
      backend: run.backend,
      workers,
      timings: run.timings,
    };
  } finally {
    if (poll) clearInterval(poll);
  }
}
