/**
 * Linear and mixed-integer programs through HiGHS (the `highs` package: the University of
 * Edinburgh's solver compiled to WebAssembly). We do not write an LP solver: this module turns a
 * checked JSON model into CPLEX LP text, runs HiGHS, and maps its answer back.
 * The solve runs on the calling thread (WebAssembly is synchronous); keep large MIPs in a job.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

interface HighsSolution {
  Status: string;
  ObjectiveValue: number;
  Columns: Record<string, { Primal?: number; Type?: string }>;
  Rows: Array<{ Name: string; Dual?: number }>;
}
interface Highs {
  solve(lp: string, options?: Record<string, unknown>): HighsSolution;
}

let highs: Promise<{ solver: Highs; version: string }> | undefined;

function loadHighs(): Promise<{ solver: Highs; version: string }> {
  highs ??= (async () => {
    // highs does not export its package.json: find it above the resolved entry point.
    let dir = dirname(createRequire(import.meta.url).resolve('highs'));
    let version = 'unknown';
    for (let i = 0; i < 4; i++, dir = dirname(dir)) {
      const f = join(dir, 'package.json');
      if (!existsSync(f)) continue;
      const pkg = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'highs') {
        version = pkg.version ?? version;
        break;
      }
    }
    const mod = (await import('highs')) as unknown as { default: () => Promise<Highs> };
    return { solver: await mod.default(), version };
  })();
  return highs;
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
  if (!Number.isFinite(v)) throw new WaybillError('NOT_FINITE', `${where}: ${v} is not finite`, { where, ...details });
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

function expression(terms: Record<string, number>, where: string, vars: Names, limit: number, smallest: number, base: string): string {
  const parts: string[] = [];
  for (const [name, coeff] of Object.entries(terms)) {
    if (!NAME.test(name))
      throw new WaybillError('INVALID_ARGUMENT', `${where}: variable name "${name}" must match ${NAME}`, {
        field: `${base}.${name}`,
        where,
        name,
      });
    if (typeof coeff !== 'number' || !Number.isFinite(coeff)) {
      throw new WaybillError('NOT_FINITE', `${where}: coefficient of ${name} is ${String(coeff)}`, {
        field: `${base}.${name}`,
        where,
        name,
      });
    }
    const id = vars.id(name);
    if (coeff === 0) continue;
    if (Math.abs(coeff) <= smallest)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `${where}: coefficient of ${name} is ${coeff}: HiGHS takes magnitudes at or below ${smallest.toExponential()} as zero; rescale the variable or the constraint`,
        { field: `${base}.${name}`, where, name, limit: smallest },
      );
    parts.push(
      `${coeff < 0 ? '-' : '+'} ${num(Math.abs(coeff), `${where}: coefficient of ${name}`, limit, { field: `${base}.${name}`, name })} ${id}`,
    );
  }
  return parts.length > 0 ? parts.join(' ') : `+ 0 ${vars.id(vars.names[0] ?? 'x')}`;
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
  const lines = [
    model.sense === 'max' ? 'Maximize' : 'Minimize',
    ` obj: ${expression(model.objective, 'objective', vars, MAX_VALUE, 0, 'objective')}`,
    'Subject To',
  ];
  model.constraints.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${i} must be an object { terms, op, rhs }`, {
        field: `constraints[${i}]`,
        index: i,
      });
    const name = c.name ?? `c${i}`;
    if (!NAME.test(name) || rows.has(name))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${i}: name "${name}" is invalid or repeated`, {
        field: `constraints[${i}].name`,
        index: i,
      });
    const row = rows.id(name);
    if (!['<=', '>=', '='].includes(c.op))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${name}: op must be <=, >= or =`, { field: `constraints[${i}].op`, index: i });
    if (typeof c.rhs !== 'number' || !Number.isFinite(c.rhs))
      throw new WaybillError('NOT_FINITE', `constraint ${name}: rhs is ${String(c.rhs)}`, { field: `constraints[${i}].rhs`, index: i });
    const terms = expression(c.terms ?? {}, `constraint ${name}`, vars, MAX_COEFFICIENT, MIN_COEFFICIENT, `constraints[${i}].terms`);
    lines.push(
      ` ${row}: ${terms} ${c.op} ${num(c.rhs, `constraint ${name}: rhs`, MAX_VALUE, { field: `constraints[${i}].rhs`, index: i })}`,
    );
  });
  const bounds = Object.entries(model.bounds ?? {});
  if (bounds.length > 0) {
    lines.push('Bounds');
    for (const [name, pair] of bounds) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new WaybillError('INVALID_ARGUMENT', `bounds of ${name} must be [lower, upper] (null = infinite)`, {
          field: `bounds.${name}`,
          name,
        });
      const [lo, hi] = pair as [number | null, number | null];
      if (!NAME.test(name))
        throw new WaybillError('INVALID_ARGUMENT', `bounds: variable name "${name}" is invalid`, { field: `bounds.${name}`, name });
      const id = vars.id(name);
      if (lo !== null && hi !== null && lo > hi)
        throw new WaybillError('INVALID_ARGUMENT', `bounds of ${name}: lower ${lo} > upper ${hi}`, { field: `bounds.${name}`, name });
      const at = `bounds of ${name}`;
      lines.push(
        ` ${lo === null ? '-inf' : num(lo, at, MAX_VALUE, { field: `bounds.${name}`, name })} <= ${id} <= ${hi === null ? '+inf' : num(hi, at, MAX_VALUE, { field: `bounds.${name}`, name })}`,
      );
    }
  }
  for (const [section, list] of [
    ['General', model.integers],
    ['Binary', model.binaries],
  ] as const) {
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list))
      throw new WaybillError('INVALID_ARGUMENT', `${section === 'General' ? 'integers' : 'binaries'} must be an array of variable names`, {
        field: section === 'General' ? 'integers' : 'binaries',
      });
    if (list.length === 0) continue;
    for (const v of list)
      if (!NAME.test(v))
        throw new WaybillError('INVALID_ARGUMENT', `${section.toLowerCase()} variable "${v}" is invalid`, {
          field: section === 'General' ? 'integers' : 'binaries',
          name: v,
        });
    lines.push(section, ` ${list.map((v) => vars.id(v)).join(' ')}`);
  }
  lines.push('End');
  return { text: lines.join('\n'), columns: vars.names, rows: rows.names };
}

/** Builds CPLEX LP text from a model, checking every name and number (variables x<i>, constraints r<i>). */
export function toLpText(model: LinearProgram): string {
  return compile(model).text;
}

/** Solves a linear or mixed-integer program with HiGHS. */
export async function solveLinearProgram(
  model: LinearProgram,
  options: { timeLimitMs?: number; mipGap?: number } = {},
): Promise<LinearProgramResult> {
  const { text, columns, rows } = compile(model);
  const { solver, version } = await loadHighs();
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
  let sol: HighsSolution;
  try {
    sol = solver.solve(text, highsOptions);
  } catch (err) {
    // HiGHS aborts its WebAssembly instance on some errors: load a fresh one next time.
    highs = undefined;
    throw new WaybillError('INTERNAL', `HiGHS failed: ${(err as Error).message}`);
  }
  const status =
    sol.Status === 'Optimal'
      ? 'optimal'
      : sol.Status === 'Infeasible'
        ? 'infeasible'
        : sol.Status === 'Unbounded' || sol.Status === 'Primal infeasible or unbounded'
          ? 'unbounded'
          : /time limit/i.test(sol.Status)
            ? 'time-limit'
            : 'other';
  const values: Record<string, number> = {};
  const name = (id: string, names: string[]) => names[Number(id.slice(1))] ?? id;
  for (const [id, col] of Object.entries(sol.Columns ?? {})) values[name(id, columns)] = col.Primal ?? Number.NaN;
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
