/**
 * Scoring of predicted stop sequences as in the 2021 Amazon Last Mile Routing Research Challenge
 * (MIT-CAVE rc-cli, scoring/score.py; Merchán et al., Transportation Science 58(1), 2024):
 *
 *   score(A, B) = SD(A, B) x ERP_norm(A, B) / ERP_edits(A, B)
 *
 * with A the actual and B the submitted sequence, both closed: station first and last.
 * - SD, sequence deviation: with the stations removed from both and c_i the position in A of the
 *   i-th stop of B, SD = 2 / (n (n - 1)) x sum_{i >= 1} (|c_i - c_{i-1}| - 1), n stops.
 * - ERP_norm: edit distance with real penalty over the full sequences, substitution costing the
 *   normalised travel time between the two stops and a gap costing g = 1000; ERP_edits counts the
 *   substitutions of different stops and the gaps on the cheapest alignment (ties prefer
 *   substitution, then a gap in B, as score.py's recursion does). The ratio is 0 when no edit.
 * - Normalisation: every entry of the travel-time matrix (diagonal included) is z-scored over the
 *   whole matrix, then shifted so that the smallest entry is 0 — so the unit and scale of the
 *   matrix do not matter.
 *
 * Lower is better; identical sequences score 0. The challenge averaged the route scores. The
 * challenge's travel-time matrix is not in the shared data: callers here pass haversine distances,
 * which the normalisation makes equivalent to travel times at any constant speed.
 */
import { WaybillError } from '../../../errors.js';

/** The challenge's gap penalty. */
export const ROUTE_SCORE_GAP = 1000;

/** Z-scores every entry of an n x n matrix (row-major) and shifts the minimum to 0. */
export function normalizeTravelMatrix(matrix: Float64Array, n: number): Float64Array {
  if (matrix.length !== n * n)
    throw new WaybillError('INVALID_LENGTH', `travel matrix must be ${n} x ${n}`, {
      field: 'matrix',
      expected: n * n,
      actual: matrix.length,
    });
  let mean = 0;
  for (const v of matrix) mean += v;
  mean /= matrix.length;
  let variance = 0;
  for (const v of matrix) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / matrix.length) || 1;
  let min = Number.POSITIVE_INFINITY;
  for (const v of matrix) min = Math.min(min, (v - mean) / std);
  return matrix.map((v) => (v - mean) / std - min);
}

function checkSequences(actual: ArrayLike<number>, predicted: ArrayLike<number>, n: number): void {
  if (actual.length !== predicted.length || actual.length < 2)
    throw new WaybillError('INVALID_LENGTH', 'actual and predicted sequences must have the same length (>= 2, station first and last)', {
      field: 'predicted',
      expected: actual.length,
      actual: predicted.length,
    });
  const seen = new Uint8Array(n);
  for (let i = 0; i < actual.length - 1; i++) {
    const s = actual[i] as number;
    if (!Number.isInteger(s) || s < 0 || s >= n)
      throw new WaybillError('INVALID_ARGUMENT', `actual[${i}] = ${s} is not a stop index`, { index: i });
    seen[s] = 1;
  }
  for (let i = 0; i < predicted.length - 1; i++) {
    const s = predicted[i] as number;
    if (!Number.isInteger(s) || s < 0 || s >= n || seen[s] !== 1)
      throw new WaybillError('INVALID_ARGUMENT', `predicted[${i}] = ${s} is not a stop of the actual sequence`, { index: i });
    seen[s] = 2;
  }
  if (actual[0] !== predicted[0]) throw new WaybillError('INVALID_ARGUMENT', 'predicted sequence must start at the station', { index: 0 });
}

/** Sequence deviation SD of two closed sequences (station first and last; stop indices). */
export function sequenceDeviation(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const inner = actual.length - 2;
  if (inner < 2) return 0;
  const pos = new Map<number, number>();
  for (let i = 1; i <= inner; i++) pos.set(actual[i] as number, i - 1);
  let sum = 0;
  let prev = -1;
  for (let i = 1; i <= inner; i++) {
    const c = pos.get(predicted[i] as number);
    if (c === undefined) throw new WaybillError('INVALID_ARGUMENT', `predicted[${i}] is not in the actual sequence`, { index: i });
    if (prev >= 0) sum += Math.abs(c - prev) - 1;
    prev = c;
  }
  return (2 / (inner * (inner - 1))) * sum;
}

/**
 * ERP between two sequences over a (normalised) n x n cost matrix, and the number of edits on the
 * chosen alignment; suffix dynamic programme equal to score.py's memoised recursion.
 */
export function erpWithEdits(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  cost: Float64Array,
  n: number,
  gap = ROUTE_SCORE_GAP,
): { distance: number; edits: number } {
  const a = actual.length;
  const b = predicted.length;
  const w = b + 1;
  const d = new Float64Array((a + 1) * w);
  const e = new Float64Array((a + 1) * w);
  for (let i = 0; i < a; i++) {
    d[i * w + b] = gap * (a - i);
    e[i * w + b] = a - i;
  }
  for (let j = 0; j < b; j++) {
    d[a * w + j] = gap * (b - j);
    e[a * w + j] = b - j;
  }
  for (let i = a - 1; i >= 0; i--) {
    for (let j = b - 1; j >= 0; j--) {
      const x = actual[i] as number;
      const y = predicted[j] as number;
      const o1 = (d[(i + 1) * w + j + 1] as number) + (cost[x * n + y] as number);
      const o2 = (d[(i + 1) * w + j] as number) + gap;
      const o3 = (d[i * w + j + 1] as number) + gap;
      const best = Math.min(o1, o2, o3);
      d[i * w + j] = best;
      if (best === o1) e[i * w + j] = (e[(i + 1) * w + j + 1] as number) + (x === y ? 0 : 1);
      else if (best === o2) e[i * w + j] = (e[(i + 1) * w + j] as number) + 1;
      else e[i * w + j] = (e[i * w + j + 1] as number) + 1;
    }
  }
  return { distance: d[0] as number, edits: e[0] as number };
}

/** The parts of a route score. */
export interface RouteScore {
  score: number;
  sequenceDeviation: number;
  /** ERP_norm / ERP_edits (0 when no edit). */
  erpPerEdit: number;
}

/**
 * The challenge's route score of a predicted sequence against the actual one. Both are closed
 * sequences of stop indices 0..n-1 (station first and repeated last, n + 1 entries); `travel` is
 * the n x n row-major travel-time (or distance) matrix, normalised here.
 */
export function routeScore(actual: ArrayLike<number>, predicted: ArrayLike<number>, travel: Float64Array, n: number): RouteScore {
  checkSequences(actual, predicted, n);
  const norm = normalizeTravelMatrix(travel, n);
  const sd = sequenceDeviation(actual, predicted);
  const { distance, edits } = erpWithEdits(actual, predicted, norm, n);
  const erpPerEdit = edits === 0 ? 0 : distance / edits;
  return { score: sd * erpPerEdit, sequenceDeviation: sd, erpPerEdit };
}

/**
 * Kendall's tau-a between two orders of the same items: `a[i]` and `b[i]` are the ranks of item i
 * (distinct). +1 same order, -1 reversed. NaN for fewer than two items.
 */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new WaybillError('INVALID_LENGTH', 'rank arrays differ in length', { expected: n, actual: b.length });
  if (n < 2) return Number.NaN;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = Math.sign((a[i] as number) - (a[j] as number));
      const y = Math.sign((b[i] as number) - (b[j] as number));
      s += x * y;
    }
  }
  return s / ((n * (n - 1)) / 2);
}

/**
 * Kendall's tau between the stop orders of two sequences (stop indices, station first; a closing
 * station, if present, is ignored): the ranks of the non-station stops in each.
 */
export function sequenceKendallTau(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const station = actual[0] as number;
  const rank = new Map<number, number>();
  let k = 0;
  for (let i = 0; i < actual.length; i++) if ((actual[i] as number) !== station) rank.set(actual[i] as number, k++);
  const ra: number[] = [];
  const rb: number[] = [];
  let p = 0;
  for (let i = 0; i < predicted.length; i++) {
    const s = predicted[i] as number;
    if (s === station) continue;
    const r = rank.get(s);
    if (r === undefined) throw new WaybillError('INVALID_ARGUMENT', `predicted[${i}] is not in the actual sequence`, { index: i });
    ra.push(r);
    rb.push(p++);
  }
  return kendallTau(ra, rb);
}
