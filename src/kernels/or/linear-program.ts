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

function num(v: number): string {
  if (!Number.isFinite(v)) throw new WaybillError('NOT_FINITE', `coefficient ${v} is not finite`);
  // Full precision, no exponent surprises for the LP reader.
  return Number.isInteger(v) ? String(v) : v.toPrecision(17);
}

function expression(terms: Record<string, number>, where: string, vars: Set<string>): string {
  const parts: string[] = [];
  for (const [name, coeff] of Object.entries(terms)) {
    if (!NAME.test(name))
      throw new WaybillError('INVALID_ARGUMENT', `${where}: variable name "${name}" must match ${NAME}`, { where, name });
    if (typeof coeff !== 'number' || !Number.isFinite(coeff)) {
      throw new WaybillError('NOT_FINITE', `${where}: coefficient of ${name} is ${String(coeff)}`, { where, name });
    }
    vars.add(name);
    if (coeff === 0) continue;
    parts.push(`${coeff < 0 ? '-' : '+'} ${num(Math.abs(coeff))} ${name}`);
  }
  return parts.length > 0 ? parts.join(' ') : `+ 0 ${[...vars][0] ?? 'x'}`;
}

/** Builds CPLEX LP text from a model, checking every name and number. */
export function toLpText(model: LinearProgram): string {
  if (model.sense !== 'min' && model.sense !== 'max')
    throw new WaybillError('INVALID_ARGUMENT', `sense must be 'min' or 'max', got ${String(model.sense)}`);
  if (typeof model.objective !== 'object' || model.objective === null)
    throw new WaybillError('INVALID_ARGUMENT', 'objective must map variable names to coefficients');
  if (!Array.isArray(model.constraints)) throw new WaybillError('INVALID_ARGUMENT', 'constraints must be an array');
  const vars = new Set<string>();
  const lines = [model.sense === 'max' ? 'Maximize' : 'Minimize', ` obj: ${expression(model.objective, 'objective', vars)}`, 'Subject To'];
  const names = new Set<string>();
  model.constraints.forEach((c, i) => {
    const name = c.name ?? `c${i}`;
    if (!NAME.test(name) || names.has(name))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${i}: name "${name}" is invalid or repeated`, { index: i });
    names.add(name);
    if (!['<=', '>=', '='].includes(c.op))
      throw new WaybillError('INVALID_ARGUMENT', `constraint ${name}: op must be <=, >= or =`, { index: i });
    if (typeof c.rhs !== 'number' || !Number.isFinite(c.rhs))
      throw new WaybillError('NOT_FINITE', `constraint ${name}: rhs is ${String(c.rhs)}`, { index: i });
    lines.push(` ${name}: ${expression(c.terms ?? {}, `constraint ${name}`, vars)} ${c.op} ${num(c.rhs)}`);
  });
  const bounds = Object.entries(model.bounds ?? {});
  if (bounds.length > 0) {
    lines.push('Bounds');
    for (const [name, [lo, hi]] of bounds) {
      if (!NAME.test(name)) throw new WaybillError('INVALID_ARGUMENT', `bounds: variable name "${name}" is invalid`);
      vars.add(name);
      if (lo !== null && hi !== null && lo > hi)
        throw new WaybillError('INVALID_ARGUMENT', `bounds of ${name}: lower ${lo} > upper ${hi}`, { name });
      lines.push(` ${lo === null ? '-inf' : num(lo)} <= ${name} <= ${hi === null ? '+inf' : num(hi)}`);
    }
  }
  for (const [section, list] of [
    ['General', model.integers],
    ['Binary', model.binaries],
  ] as const) {
    if (!list || list.length === 0) continue;
    for (const v of list)
      if (!NAME.test(v)) throw new WaybillError('INVALID_ARGUMENT', `${section.toLowerCase()} variable "${v}" is invalid`);
    lines.push(section, ` ${list.join(' ')}`);
  }
  lines.push('End');
  return lines.join('\n');
}

/** Solves a linear or mixed-integer program with HiGHS. */
export async function solveLinearProgram(
  model: LinearProgram,
  options: { timeLimitMs?: number; mipGap?: number } = {},
): Promise<LinearProgramResult> {
  const text = toLpText(model);
  const { solver, version } = await loadHighs();
  const highsOptions: Record<string, unknown> = {};
  if (options.timeLimitMs !== undefined) {
    if (!(options.timeLimitMs > 0)) throw new WaybillError('INVALID_ARGUMENT', 'timeLimitMs must be > 0');
    highsOptions.time_limit = options.timeLimitMs / 1000;
  }
  if (options.mipGap !== undefined) highsOptions.mip_rel_gap = options.mipGap;
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
  for (const [name, col] of Object.entries(sol.Columns ?? {})) values[name] = col.Primal ?? Number.NaN;
  const result: LinearProgramResult = {
    status,
    solverStatus: sol.Status,
    objective: sol.ObjectiveValue,
    values,
    solver: `HiGHS (highs ${version}, WebAssembly)`,
    timings: { totalMs: performance.now() - t0 },
  };
  const isMip = (model.integers?.length ?? 0) + (model.binaries?.length ?? 0) > 0;
  if (!isMip && status === 'optimal') result.duals = Object.fromEntries((sol.Rows ?? []).map((r) => [r.Name, r.Dual ?? Number.NaN]));
  return result;
}
