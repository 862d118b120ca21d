/**
 * Probability calibration of classifier scores against 0/1 outcomes.
 *
 * Platt scaling (Platt 1999): P(y = 1 | s) = 1 / (1 + exp(a s + b)), fitted by regularised
 * maximum likelihood on Platt's smoothed targets (N+ + 1) / (N+ + 2) for positives and
 * 1 / (N- + 2) for negatives, with the Newton solver of logistic-regression.ts (lambda = 0).
 *
 * Isotonic regression: the non-decreasing step function closest in weighted squared error,
 * by pool-adjacent-violators (PAV) on the rows sorted by score (rows with equal scores are first
 * pooled into one point; adjacent blocks merge while the earlier mean is strictly greater).
 * The fitted function is kept as knots (each block's lowest and highest score at the block
 * mean); new scores are interpolated linearly between knots and clamped outside them.
 */
import { WaybillError } from '../../errors.js';
import { assertNotDetached } from '../options.js';
import { fitLogisticNewton } from './logistic-regression.js';
import { checkBinaryLabels, checkLabels, MAX_LOGISTIC_VALUE } from './validate.js';

export interface PlattModel {
  a: number;
  b: number;
}

export interface IsotonicModel {
  /** Knot scores, non-decreasing (a value appears at most twice: the ends of a flat block). */
  x: Float64Array;
  /** Knot values, non-decreasing. */
  y: Float64Array;
}

function checkScores(scores: unknown, labels: Float64Array, maxAbs = Number.MAX_VALUE): Float64Array {
  if (!(scores instanceof Float64Array)) throw new WaybillError('INVALID_ARGUMENT', 'scores must be a Float64Array', { field: 'scores' });
  assertNotDetached(scores, 'scores');
  if (scores.length !== labels.length)
    throw new WaybillError('INVALID_LENGTH', `scores has ${scores.length} entries, labels ${labels.length}`, {
      field: 'scores',
      expected: labels.length,
      actual: scores.length,
    });
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i] as number))
      throw new WaybillError('NOT_FINITE', `scores[${i}] is ${scores[i]}`, { field: 'scores', index: i });
    if (Math.abs(scores[i] as number) > maxAbs)
      throw new WaybillError('INVALID_ARGUMENT', `scores[${i}] is ${scores[i]}: scores must be within +-${maxAbs} (rescale them)`, {
        field: 'scores',
        index: i,
        limit: maxAbs,
      });
  }
  return scores;
}

/** Fits Platt scaling to scores and 0/1 labels. */
export function fitPlatt(scores: Float64Array, labels: Float64Array): PlattModel {
  const y = checkLabels('labels', labels);
  checkBinaryLabels('labels', y);
  const s = checkScores(scores, y, MAX_LOGISTIC_VALUE);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i] as number;
  const neg = y.length - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const t = Float64Array.from(y, (v) => (v === 1 ? hi : lo));
  const r = fitLogisticNewton(s, s.length, 1, t, 0, true, 100, 1e-12, 'scores');
  return { a: -(r.model.weights[0] as number), b: -r.model.intercept };
}

/**
 * Calibrated probabilities 1 / (1 + exp(a s + b)); NaN stays NaN. With a = 0 (scores that carry
 * no information, e.g. one class only) every score maps to 1 / (1 + e^b), +-Infinity included
 * (0 x Infinity made those NaN).
 */
export function plattTransform(model: PlattModel, scores: Float64Array): Float64Array {
  const { a, b } = model;
  return mapScores(scores, (s) => (Number.isNaN(s) ? Number.NaN : 1 / (1 + Math.exp(a === 0 ? b : a * s + b))));
}

/** fn of every score, by index. */
function mapScores(scores: Float64Array, fn: (s: number) => number): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(scores[i] as number);
  return out;
}

function badModel(field: string, message: string): never {
  throw new WaybillError('INVALID_ARGUMENT', `calibrator ${field} ${message} (calibrators come from calibrate)`, { field });
}

/** Checks a Platt map (finite a and b): a hand-built or altered one gave NaN probabilities. */
export function checkPlattModel(model: unknown): PlattModel {
  const m = model as Partial<PlattModel> | null;
  if (typeof m !== 'object' || m === null) badModel('model', 'must be an object { a, b }');
  if (typeof m.a !== 'number' || !Number.isFinite(m.a)) badModel('model.a', `must be a finite number, got ${String(m.a)}`);
  if (typeof m.b !== 'number' || !Number.isFinite(m.b)) badModel('model.b', `must be a finite number, got ${String(m.b)}`);
  return m as PlattModel;
}

/**
 * Checks an isotonic map: x and y Float64Arrays of the same length >= 1, finite and
 * non-decreasing. Empty knots gave NaN probabilities; a non-array a TypeError.
 */
export function checkIsotonicModel(model: unknown): IsotonicModel {
  const m = model as Partial<IsotonicModel> | null;
  if (typeof m !== 'object' || m === null) badModel('model', 'must be an object { x, y }');
  for (const key of ['x', 'y'] as const) {
    const v = m[key];
    if (!(v instanceof Float64Array) || v.length === 0) badModel(`model.${key}`, 'must be a non-empty Float64Array');
    for (let i = 0; i < v.length; i++) {
      const t = v[i] as number;
      if (!Number.isFinite(t) || (i > 0 && t < (v[i - 1] as number)))
        badModel(`model.${key}`, `must be finite and non-decreasing (entry ${i} is ${t})`);
    }
  }
  if ((m.x as Float64Array).length !== (m.y as Float64Array).length) badModel('model.y', 'must have as many knots as model.x');
  return m as IsotonicModel;
}

/** Checks the scores of calibrateApply: a Float64Array (NaN allowed: NaN out). */
export function checkApplyScores(scores: unknown): Float64Array {
  if (!(scores instanceof Float64Array)) throw new WaybillError('INVALID_ARGUMENT', 'scores must be a Float64Array', { field: 'scores' });
  assertNotDetached(scores, 'scores');
  return scores;
}

/** Fits a non-decreasing isotonic map from scores to labels (0/1 or any finite values), optionally weighted. */
export function fitIsotonic(scores: Float64Array, labels: Float64Array, weights?: Float64Array): IsotonicModel {
  const y = checkLabels('labels', labels);
  const s = checkScores(scores, y);
  const n = y.length;
  if (weights !== undefined) {
    if (!(weights instanceof Float64Array) || weights.length !== n)
      throw new WaybillError('INVALID_LENGTH', `weights must be a Float64Array of ${n} entries`, { field: 'weights' });
    for (let i = 0; i < n; i++)
      if (!((weights[i] as number) > 0 && Number.isFinite(weights[i] as number)))
        throw new WaybillError('INVALID_ARGUMENT', `weights[${i}] must be finite and > 0, got ${weights[i]}`, {
          field: 'weights',
          index: i,
        });
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (s[a] as number) - (s[b] as number) || a - b);
  // Blocks as parallel stacks: weighted label sum, weight, lowest and highest score.
  const sumWy: number[] = [];
  const sumW: number[] = [];
  const xLo: number[] = [];
  const xHi: number[] = [];
  for (let k = 0; k < n; ) {
    const x0 = s[order[k] as number] as number;
    let wy = 0;
    let w = 0;
    while (k < n && s[order[k] as number] === x0) {
      const i = order[k] as number;
      const wi = weights ? (weights[i] as number) : 1;
      wy += wi * (y[i] as number);
      w += wi;
      k++;
    }
    sumWy.push(wy);
    sumW.push(w);
    xLo.push(x0);
    xHi.push(x0);
    for (let top = sumW.length - 1; top > 0; top--) {
      const prev = top - 1;
      if ((sumWy[prev] as number) / (sumW[prev] as number) <= (sumWy[top] as number) / (sumW[top] as number)) break;
      sumWy[prev] = (sumWy[prev] as number) + (sumWy[top] as number);
      sumW[prev] = (sumW[prev] as number) + (sumW[top] as number);
      xHi[prev] = xHi[top] as number;
      sumWy.pop();
      sumW.pop();
      xLo.pop();
      xHi.pop();
    }
  }
  const kx: number[] = [];
  const ky: number[] = [];
  for (let b = 0; b < sumW.length; b++) {
    const v = (sumWy[b] as number) / (sumW[b] as number);
    kx.push(xLo[b] as number);
    ky.push(v);
    if ((xHi[b] as number) > (xLo[b] as number)) {
      kx.push(xHi[b] as number);
      ky.push(v);
    }
  }
  return { x: Float64Array.from(kx), y: Float64Array.from(ky) };
}

/** Evaluates an isotonic map: linear between knots, constant beyond the ends; NaN stays NaN. */
export function isotonicTransform(model: IsotonicModel, scores: Float64Array): Float64Array {
  const { x, y } = model;
  const m = x.length;
  return mapScores(scores, (s) => {
    if (Number.isNaN(s)) return Number.NaN;
    if (s <= (x[0] as number)) return y[0] as number;
    if (s >= (x[m - 1] as number)) return y[m - 1] as number;
    let lo = 0;
    let hi = m - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if ((x[mid] as number) <= s) lo = mid;
      else hi = mid;
    }
    const x0 = x[lo] as number;
    const x1 = x[hi] as number;
    const y0 = y[lo] as number;
    return x1 > x0 ? y0 + ((s - x0) / (x1 - x0)) * ((y[hi] as number) - y0) : y0;
  });
}
