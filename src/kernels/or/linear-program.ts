/**
 * Linear and mixed-integer programs through HiGHS (the `highs` package: the University of
 * Edinburgh's solver compiled to WebAssembly). We do not write an LP solver: this module turns a
 * checked JSON model into CPLEX LP text, runs HiGHS, and maps its answer back.
 * The solve runs on a worker thread (highs-worker.ts), so the event loop stays free; with
 * `timeLimitMs` a solve that overruns it (highsWatchdogMs) is stopped, and `signal` aborts one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { WaybillError } from '../../errors.js';
import { OR_MAX_TIME_LIMIT_MS } from './limits.js';

export interface LinearProgram {
  sense: 'min' | 'max';
  /** Objective coefficients by variable name. */
  objective: Record<string, number>;
  constraints: Array<{ name?: string; terms: Record<string, number>; op: '<=' | '>=' | '='; rhs: number }>;
  /** [lower, upper] by variable; null for -inf / +inf. Default [0, +inf]. */
  bounds?: Record<string, [number | null, number | null]>;
  /** Integer variables (general integers); `binaries` are 0/1. */
  integers?: string[];
  binaries?: string[];
}

export interface LinearProgramResult {
  status: 'optimal' | 'infeasible' | 'unbounded' | 'time-limit' | 'other';
  /** HiGHS's own status text. */
  solverStatus: string;
  objective: number;
  /** Primal value by variable. */
  values: Record<string, number>;
  /** Row duals by constraint name (LPs; absent for MIPs). */
  duals?: Record<string, number>;
  solver: string;
  timings: { totalMs: number };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

export interface HighsSolution {
  Status: string;
  ObjectiveValue: number;
  Columns: Record<string, { Primal?: number; Type?: string }>;
  Rows: Array<{ Name: string; Dual?: number }>;
}
let highsVersion: string | undefined;

/** The version of the installed `highs` package (it does not export its package.json: found above its entry point). */
function highsPackageVersion(): string {
  if (highsVersion !== undefined) return highsVersion;
  let dir = dirname(createRequire(import.meta.url).resolve('highs'));
  highsVersion = 'unknown';
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const f = join(dir, 'package.json');
    if (!existsSync(f)) continue;
    const pkg = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'highs') {
      highsVersion = pkg.version ?? highsVersion;
      break;
    }
  }
  return highsVersion;
}

/**
 * A new HiGHS thread: the built highs-worker.js, or from source highs-worker.ts loaded through
 * tsx (registered in the thread first: a worker's entry is resolved before `--import` hooks run).
 */
function newHighsThread(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./highs-worker.js', here));
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./highs-worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}));`, {
    eval: true,
  });
}

/**
 * HiGHS threads at once: each holds a WebAssembly heap, and 50 concurrent solves once started 50
 * threads (30 s of start-up). Further solves wait for a free one, first come first served. Idle
 * threads are kept for the next solves, unreferenced (they do not hold the process open).
 */
export const HIGHS_MAX_THREADS = Math.max(1, Math.min(4, availableParallelism()));
const idleThreads: Worker[] = [];
let busyThreads = 0;
const waiting: Array<() => void> = [];

/** Takes a thread slot (waiting for one when all are busy); rejects with ABORTED if `signal` fires first. */
function acquireSlot(signal: AbortSignal | undefined): Promise<void> {
  if (busyThreads < HIGHS_MAX_THREADS) {
    busyThreads++;
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      const at = waiting.indexOf(grant);
      if (at >= 0) waiting.splice(at, 1);
      reject(new WaybillError('ABORTED', 'the solve was aborted', { field: 'signal' }));
    };
    const grant = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(grant);
  });
}

/** Gives a slot back: to the first waiting solve, else frees it. */
function releaseSlot(): void {
  const next = waiting.shift();
  if (next) next();
  else busyThreads--;
}

/**
 * Extra time past `timeLimitMs` before a solve is stopped by terminating its thread: HiGHS checks
 * its own limit between phases, and its MIP presolve once looped past it without end.
 */
export function highsWatchdogMs(timeLimitMs: number): number {
  return Math.ceil(timeLimitMs * 1.5) + 5000;
}

/**
 * One HiGHS solve on a worker thread (the idle one, else a new one): the event loop stays free,
 * and the thread is terminated when `deadlineMs` passes (TIMEOUT) or `signal` aborts (ABORTED).
 * Concurrent solves get a thread each, up to HIGHS_MAX_THREADS, so a solve that hangs holds up no
 * other while threads are free. Exported for the tests (raw LP text); callers use solveLinearProgram.
 */
export function solveOnThread(
  lp: string,
  options: Record<string, unknown>,
  deadlineMs: number | undefined,
  signal?: AbortSignal,
): Promise<HighsSolution> {
  if (signal?.aborted) return Promise.reject(new WaybillError('ABORTED', 'the solve was aborted', { field: 'signal' }));
  return acquireSlot(signal).then(() => solveOnSlot(lp, options, deadlineMs, signal));
}

/** solveOnThread once a slot is held; the slot is given back when the solve ends, however it ends. */
function solveOnSlot(
  lp: string,
  options: Record<string, unknown>,
  deadlineMs: number | undefined,
  signal?: AbortSignal,
): Promise<HighsSolution> {
  let w: Worker;
  try {
    w = idleThreads.pop() ?? newHighsThread();
  } catch (err) {
    releaseSlot();
    throw new WaybillError('INTERNAL', `HiGHS thread failed to start: ${(err as Error).message}`);
  }
  w.ref();
  return new Promise<HighsSolution>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (keep: boolean) => {
      if (timer !== undefined) clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      if (keep && idleThreads.length < HIGHS_MAX_THREADS) {
        w.unref();
        idleThreads.push(w);
      } else void w.terminate();
      releaseSlot();
    };
    const onMessage = (m: { ok: boolean; solution?: HighsSolution; message?: string }) => {
      finish(m.ok);
      if (m.ok) resolve(m.solution as HighsSolution);
      else reject(new WaybillError('INTERNAL', `HiGHS failed: ${m.message}`));
    };
    const onError = (err: Error) => {
      finish(false);
      reject(new WaybillError('INTERNAL', `HiGHS failed: ${err.message}`));
    };
    const onExit = (code: number) => {
      finish(false);
      reject(new WaybillError('INTERNAL', `the HiGHS thread exited (code ${code}) during a solve`));
    };
    const onAbort = () => {
      finish(false);
      reject(new WaybillError('ABORTED', 'the solve was aborted', { field: 'signal' }));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadlineMs !== undefined)
      timer = setTimeout(() => {
        finish(false);
        reject(
          new WaybillError('TIMEOUT', `HiGHS did not stop at its time limit: the solve was stopped after ${deadlineMs} ms`, {
            field: 'timeLimitMs',
          }),
        );
      }, deadlineMs);
    w.postMessage({ lp, options });
  });
}

/**
 * Largest magnitudes HiGHS reads as they are: constraint coefficients at or above 1e15 make it
 * refuse the model (`large_matrix_value`); costs, right-hand sides and bounds at or above 1e20 it
 * takes as infinite (`infinite_cost`, `infinite_bound`), which changes the model or makes it fail.
 */
const MAX_COEFFICIENT = 1e15;
/**
 * Smallest non-zero constraint coefficient: HiGHS takes |a| <= 1e-9 as zero (`small_matrix_value`,
 * which its LP reader applies whatever the option says), so max x s.t. 1e-10 x <= 1 came back with
 * x at its bound instead of 1e10, reported optimal. Such a model must be rescaled by the caller.
 */
const MIN_COEFFICIENT = 1e-9;
const MAX_VALUE = 1e20;

function num(v: number, where: string, limit = MAX_VALUE, details: Record<string, unknown> = {}): string {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new WaybillError('NOT_FINITE', `${where}: ${String(v)} is not finite`, { where, ...details });
  if (Math.abs(v) >= limit) {
    throw new WaybillError('INVALID_ARGUMENT', `${where}: ${v} is too large: magnitudes must be below ${limit.toExponential()}`, {
      where,
      ...details,
      limit,
    });
  }
  // Full precision, no exponent surprises for the LP reader.
  return Number.isInteger(v) ? String(v) : v.toPrecision(17);
}

/**
 * Variable and constraint names as HiGHS sees them. Caller names never reach the LP text: the LP
 * reader takes words such as `inf`, `free`, `bounds` or `st` (and names starting with them) as
 * keywords, so each name is replaced by `x<i>` (variables) or `r<i>` (constraints).
 */
class Names {
  readonly names: string[] = [];
  private readonly ids = new Map<string, string>();
  constructor(private readonly prefix: string) {}
  id(name: string): string {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = `${this.prefix}${this.names.length}`;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }
  has(name: string): boolean {
    return this.ids.has(name);
  }
}

/** A map of names (objective, terms, bounds) as its entries, else INVALID_ARGUMENT naming `field`. */
function entries<T>(v: unknown, field: string, what: string): Array<[string, T]> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be an object mapping variable names to ${what}`, { field });
  return Object.entries(v) as Array<[string, T]>;
}

/** Terms of an expression (`+ 2 x0 - 1 x3`); empty when every coefficient is 0 (the caller fills in). */
function expression(terms: unknown, where: string, field: string, vars: Names, limit: number, smallest = 0): string[] {
  const parts: string[] = [];
  for (const [name, coeff] of entries<unknown>(terms, field, 'coefficients')) {
    const at = { where, name, field: `${field}.${name}` };
    if (!NAME.test(name)) throw new WaybillError('INVALID_ARGUMENT', `${where}: variable name "${name}" must match ${NAME}`, at);
    if (typeof coeff !== 'number' || !Number.isFinite(coeff))
      throw new WaybillError('NOT_FINITE', `${where}: coefficient of ${name} is ${String(coeff)}`, at);
    const id = vars.id(name);
    if (coeff === 0) continue;
    if (Math.abs(coeff) <= smallest)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `${where}: coefficient of ${name} is ${coeff}: HiGHS takes magnitudes at or below ${smallest.toExponential()} as zero; rescale the variable or the constraint`,
        { ...at, limit: smallest },
      );
    parts.push(`${coeff < 0 ? '-' : '+'} ${num(Math.abs(coeff), `${where}: coefficient of ${name}`, limit, at)} ${id}`);
  }
  return parts;
}

/**
 * The same string for equations a.x = b that are multiples of each other (undefined when empty):
 * each coefficient and b divided by the first coefficient, to 12 significant digits, so that
 * multiples that are not exact in binary (a row times 0.1) match too.
 */
function parallelKey(terms: Record<string, number>, rhs: number, vars: Names): string | undefined {
  const t = Object.entries(terms)
    .filter(([, a]) => a !== 0)
    .map(([name, a]) => [Number(vars.id(name).slice(1)), a] as const)
    .sort((p, q) => p[0] - q[0]);
  const first = t[0]?.[1];
  if (first === undefined) return undefined;
  const r = (x: number) => (x === 0 ? '0' : x.toPrecision(12));
  return `${t.map(([j, a]) => `${j}:${r(a / first)}`).join(' ')} = ${r(rhs / first)}`;
}

/** CPLEX LP text of a model, and the caller's names of its columns (`x<i>`) and rows (`r<i>`). */
function compile(model: LinearProgram): { text: string; columns: string[]; rows: string[] } {
  // A null model once threw a raw TypeError here.
  if (typeof model !== 'object' || model === null || Array.isArray(model))
    throw new WaybillError('INVALID_ARGUMENT', 'the model must be an object { sense, objective, constraints, ... }', { field: 'model' });
  if (model.sense !== 'min' && model.sense !== 'max')
    throw new WaybillError('INVALID_ARGUMENT', `sense must be 'min' or 'max', got ${String(model.sense)}`, { field: 'sense' });
  if (typeof model.objective !== 'object' || model.objective === null)
    throw new WaybillError('INVALID_ARGUMENT', 'objective must map variable names to coefficients', { field: 'objective' });
  if (!Array.isArray(model.constraints))
    throw new WaybillError('INVALID_ARGUMENT', 'constraints must be an array', { field: 'constraints' });
  const vars = new Names('x');
  const rows = new Names('r');
  const objective = expression(model.objective, 'objective', 'objective', vars, MAX_VALUE);
  const constraints = model.constraints.map((c, i) => {
    const field = `constraints[${i}]`;
    // A null constraint (or a bounds entry that is not a pair, or integers that are not an array)
    // once threw a raw TypeError.
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${i} must be an object { terms, op, rhs }`, { index: i, field });
    const name = c.name ?? `c${i}`;
    if (typeof name !== 'string' || !NAME.test(name) || rows.has(name))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${i}: name "${name}" is invalid or repeated`, {
        index: i,
        field: `${field}.name`,
      });
    const row = rows.id(name);
    if (!['<=', '>=', '='].includes(c.op))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${name}: op must be <=, >= or =`, { index: i, field: `${field}.op` });
    if (typeof c.rhs !== 'number' || !Number.isFinite(c.rhs))
      throw new WaybillError('NOT_FINITE', `constraint ${name}: rhs is ${String(c.rhs)}`, { index: i, field: `${field}.rhs` });
    const terms = expression(c.terms ?? {}, `constraint ${name}`, `${field}.terms`, vars, MAX_COEFFICIENT, MIN_COEFFICIENT);
    return {
      row,
      terms,
      op: c.op,
      rhs: num(c.rhs, `constraint ${name}: rhs`, MAX_VALUE, { index: i, field: `${field}.rhs` }),
      key: c.op === '=' ? parallelKey(c.terms ?? {}, c.rhs, vars) : undefined,
    };
  });
  const lists = { integers: model.integers ?? [], binaries: model.binaries ?? [] };
  for (const [field, list] of Object.entries(lists)) {
    if (!Array.isArray(list)) throw new WaybillError('INVALID_ARGUMENT', `${field} must be an array of variable names`, { field });
    list.forEach((v, j) => {
      if (typeof v !== 'string' || !NAME.test(v))
        throw new WaybillError('INVALID_ARGUMENT', `${field} variable "${String(v)}" is invalid`, { field: `${field}[${j}]` });
    });
  }
  const binaries = new Set<string>(lists.binaries);
  const bounded = new Set<string>();
  const boundLines: string[] = [];
  for (const [name, pair] of entries<unknown>(model.bounds ?? {}, 'bounds', '[lower, upper] pairs')) {
    const field = `bounds.${name}`;
    if (!NAME.test(name)) throw new WaybillError('INVALID_ARGUMENT', `bounds: variable name "${name}" is invalid`, { name, field });
    if (!Array.isArray(pair) || pair.length !== 2)
      throw new WaybillError('INVALID_ARGUMENT', `bounds of ${name} must be [lower, upper] (null for infinite)`, { name, field });
    const id = vars.id(name);
    bounded.add(name);
    let [lo, hi] = pair as [number | null, number | null];
    const at = `bounds of ${name}`;
    const lower = lo === null ? '-inf' : num(lo, at, MAX_VALUE, { name, field });
    const upper = hi === null ? '+inf' : num(hi, at, MAX_VALUE, { name, field });
    if (lo !== null && hi !== null && lo > hi)
      throw new WaybillError('INVALID_ARGUMENT', `bounds of ${name}: lower ${lo} > upper ${hi}`, { name, field });
    if (!binaries.has(name)) {
      boundLines.push(` ${lower} <= ${id} <= ${upper}`);
      continue;
    }
    // HiGHS lets explicit bounds replace a binary's [0, 1]: with bounds [-3, 5] a binary came
    // back as 5 (or -3), reported optimal. A binary keeps its bounds within [0, 1].
    lo = Math.max(lo ?? 0, 0);
    hi = Math.min(hi ?? 1, 1);
    if (lo > hi)
      throw new WaybillError('INVALID_ARGUMENT', `bounds of ${name} leave a binary variable no value in [0, 1]`, { name, field });
    boundLines.push(` ${num(lo, at)} <= ${id} <= ${num(hi, at)}`);
  }
  for (const v of [...lists.integers, ...lists.binaries]) vars.id(v);
  // A variable that only ever has coefficient 0 never reaches the LP text, so HiGHS had no column
  // for it and its value was missing: declare every variable in Bounds (default [0, +inf)).
  for (const name of vars.names) if (!bounded.has(name) && !binaries.has(name)) boundLines.push(` ${vars.id(name)} >= 0`);
  // Empty expressions need a column: one fixed at 0 that is not the caller's (an empty objective
  // once added a variable "x" to the answer).
  const zero = `x${vars.names.length}`;
  let zeroUsed = false;
  const filled = (parts: string[]) => {
    if (parts.length > 0) return parts.join(' ');
    zeroUsed = true;
    return `+ 0 ${zero}`;
  };
  const lines = [model.sense === 'max' ? 'Maximize' : 'Minimize', ` obj: ${filled(objective)}`, 'Subject To'];
  // HiGHS's MIP presolve looped without end (its time limit did not stop it) on some models with
  // two parallel equations (x - y = 2 twice, or 2x - 2y = 4 beside it). A MIP has no duals to
  // report, so an equation parallel to an earlier one with the same right-hand side is left out.
  const isMip = lists.integers.length + lists.binaries.length > 0;
  const equations = new Set<string>();
  for (const c of constraints) {
    if (isMip && c.key !== undefined) {
      if (equations.has(c.key)) continue;
      equations.add(c.key);
    }
    lines.push(` ${c.row}: ${filled(c.terms)} ${c.op} ${c.rhs}`);
  }
  if (zeroUsed) boundLines.push(` 0 <= ${zero} <= 0`);
  if (boundLines.length > 0) lines.push('Bounds', ...boundLines);
  const general = lists.integers.filter((v) => !binaries.has(v));
  if (general.length > 0) lines.push('General', ` ${general.map((v) => vars.id(v)).join(' ')}`);
  if (binaries.size > 0) lines.push('Binary', ` ${[...binaries].map((v) => vars.id(v)).join(' ')}`);
  lines.push('End');
  return { text: lines.join('\n'), columns: vars.names, rows: rows.names };
}

/** Builds CPLEX LP text from a model, checking every name and number (variables x<i>, constraints r<i>). */
export function toLpText(model: LinearProgram): string {
  return compile(model).text;
}

/**
 * Solves a linear or mixed-integer program with HiGHS. An 'Infeasible' or 'Primal infeasible or
 * unbounded' answer is checked by solving the constraints again with a zero objective (and, when
 * they are feasible after all, the model again without presolve): such outcomes take up to three
 * solves, each under `timeLimitMs`.
 */
export async function solveLinearProgram(
  model: LinearProgram,
  options: { timeLimitMs?: number; mipGap?: number; signal?: AbortSignal } = {},
): Promise<LinearProgramResult> {
  const { text, columns, rows } = compile(model);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw new WaybillError('INVALID_ARGUMENT', 'signal must be an AbortSignal', { field: 'signal' });
  const version = highsPackageVersion();
  const highsOptions: Record<string, unknown> = {};
  if (options.timeLimitMs !== undefined) {
    if (typeof options.timeLimitMs !== 'number' || !(options.timeLimitMs > 0 && options.timeLimitMs <= OR_MAX_TIME_LIMIT_MS))
      throw new WaybillError('INVALID_ARGUMENT', `timeLimitMs must be > 0 and at most ${OR_MAX_TIME_LIMIT_MS} (one day)`, {
        field: 'timeLimitMs',
      });
    highsOptions.time_limit = options.timeLimitMs / 1000;
  }
  if (options.mipGap !== undefined) {
    // HiGHS takes any double here: a NaN or negative gap reached the WebAssembly solver unchecked.
    if (typeof options.mipGap !== 'number' || !(options.mipGap >= 0 && options.mipGap <= 1))
      throw new WaybillError('INVALID_ARGUMENT', 'mipGap must be a number in [0, 1]', { field: 'mipGap' });
    highsOptions.mip_rel_gap = options.mipGap;
  }
  const t0 = performance.now();
  const deadline = options.timeLimitMs === undefined ? undefined : highsWatchdogMs(options.timeLimitMs);
  const run = (lp: string, extra: Record<string, unknown> = {}): Promise<HighsSolution> =>
    solveOnThread(lp, { ...highsOptions, ...extra }, deadline, options.signal);
  const statusOf = (text: string): LinearProgramResult['status'] =>
    text === 'Optimal'
      ? 'optimal'
      : text === 'Infeasible'
        ? 'infeasible'
        : text === 'Unbounded'
          ? 'unbounded'
          : /time limit/i.test(text)
            ? 'time-limit'
            : 'other';
  let sol = await run(text);
  let status = statusOf(sol.Status);
  if (sol.Status === 'Primal infeasible or unbounded' || sol.Status === 'Infeasible') {
    // HiGHS's presolve cannot always tell which (an infeasible MIP with an unbounded ray was
    // reported 'unbounded'), and it called some unbounded LPs 'Infeasible'. The same constraints
    // with a zero objective cannot be unbounded, so they decide whether the model is feasible.
    const zero = Object.fromEntries(Object.keys(model.objective).map((v) => [v, 0]));
    const feasibility = (await run(compile({ ...model, objective: zero }).text)).Status;
    if (feasibility === 'Infeasible') status = 'infeasible';
    else if (feasibility !== 'Optimal') status = 'other';
    else if (sol.Status === 'Primal infeasible or unbounded') status = 'unbounded';
    else {
      // Feasible after all: solve again without presolve.
      sol = await run(text, { presolve: 'off' });
      status = sol.Status === 'Primal infeasible or unbounded' ? 'unbounded' : statusOf(sol.Status);
    }
  }
  const name = (id: string, names: string[]) => names[Number(id.slice(1))] ?? id;
  // Object.fromEntries: a variable named __proto__ (legal, and JSON.parse makes it an own key) was
  // lost by assignment into {}. Columns beyond the caller's (the zero column) are left out.
  const values: Record<string, number> = Object.fromEntries(
    Object.entries(sol.Columns ?? {})
      .filter(([id]) => Number(id.slice(1)) < columns.length)
      .map(([id, col]) => [name(id, columns), col.Primal ?? Number.NaN]),
  );
  const result: LinearProgramResult = {
    status,
    solverStatus: sol.Status,
    objective: sol.ObjectiveValue,
    values,
    solver: `HiGHS (highs ${version}, WebAssembly)`,
    timings: { totalMs: performance.now() - t0 },
  };
  const isMip = (model.integers?.length ?? 0) + (model.binaries?.length ?? 0) > 0;
  if (!isMip && status === 'optimal')
    result.duals = Object.fromEntries((sol.Rows ?? []).map((r) => [name(r.Name, rows), r.Dual ?? Number.NaN]));
  return result;
}
