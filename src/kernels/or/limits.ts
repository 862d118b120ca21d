/**
 * Limits of the OR solvers' search options, checked before a solve starts. Iteration counts and
 * time limits once went to the native solvers unchecked: `maxIterations: 1e18` (or 1e300, which
 * wrapped to "no limit" in the int64 cast) and `timeLimitMs: Infinity` ran without end.
 */
import { WaybillError } from '../../errors.js';
import { describeValue } from '../options.js';

/** Most iterations a TSP or VRP search may be asked for (TSP: local-search kicks; VRP: genetic iterations per worker). */
export const OR_MAX_ITERATIONS = 1e9;

/** Longest time limit of a TSP or VRP search: one day, in ms. Longer runs: a series of solves. */
export const OR_MAX_TIME_LIMIT_MS = 86_400_000;

/** Most cities of a TSP (the solver keeps an n x n float64 matrix: 2 GiB at this size). */
export const TSP_MAX_CITIES = 16_384;

/** An optional integer option in min..max (`fallback` when undefined), else INVALID_ARGUMENT naming it. */
export function intOption(field: string, v: unknown, fallback: number, min: number, max: number): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max)
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be an integer in ${min}..${max}, got ${describeValue(v)}`, { field });
  return x;
}

/** An optional time limit in ms, 0..OR_MAX_TIME_LIMIT_MS (0: none). */
export function timeLimitOption(v: unknown): number {
  const x = v ?? 0;
  if (typeof x !== 'number' || !(x >= 0 && x <= OR_MAX_TIME_LIMIT_MS))
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `timeLimitMs must be a number in 0..${OR_MAX_TIME_LIMIT_MS} (one day), got ${describeValue(v)}`,
      {
        field: 'timeLimitMs',
      },
    );
  return x;
}

/** An optional callback: a function or undefined (anything else would throw later, inside a timer). */
export function callbackOption<F>(field: string, v: F | undefined): F | undefined {
  if (v !== undefined && v !== null && typeof v !== 'function')
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be a function, got ${describeValue(v)}`, { field });
  return v ?? undefined;
}
