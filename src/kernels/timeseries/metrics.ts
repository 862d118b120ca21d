/**
 * Forecast accuracy as the M4 competition defines it: sMAPE (in %, 200 |y - f| / (|y| + |f|)
 * averaged over the horizon), MASE (mean absolute error over the in-sample mean absolute
 * seasonal difference at lag m), each averaged over series, and OWA = (sMAPE / sMAPE_Naive2 +
 * MASE / MASE_Naive2) / 2 on the same series. Plus WAPE and bias for business use.
 */
import type { SeriesBatch } from '../../data/m4.js';

export interface SeriesScores {
  /** Per series. */
  smape: Float64Array;
  mase: Float64Array;
}

export interface SetScores {
  smape: number;
  mase: number;
  /** Sum |y - f| / sum |y| over all points, in %. */
  wape: number;
  /** Sum (f - y) / sum |y| over all points, in % (positive = over-forecast). */
  bias: number;
  series: SeriesScores;
}

/**
 * Scores forecasts (n x h, row-major) against the test batch, with the training batch for the
 * MASE scale at lag m.
 */
export function scoreForecasts(train: SeriesBatch, test: SeriesBatch, forecast: Float64Array, horizon: number, m: number): SetScores {
  const count = test.ids.length;
  const smape = new Float64Array(count);
  const mase = new Float64Array(count);
  let absErr = 0;
  let absY = 0;
  let signed = 0;
  for (let s = 0; s < count; s++) {
    const ta = test.offsets[s] as number;
    const h = Math.min(horizon, (test.offsets[s + 1] as number) - ta);
    const xa = train.offsets[s] as number;
    const n = (train.offsets[s + 1] as number) - xa;
    let scale = 0;
    for (let t = m; t < n; t++) scale += Math.abs((train.values[xa + t] as number) - (train.values[xa + t - m] as number));
    scale /= Math.max(1, n - m);
    let sm = 0;
    let ae = 0;
    for (let k = 0; k < h; k++) {
      const y = test.values[ta + k] as number;
      const f = forecast[s * horizon + k] as number;
      const e = Math.abs(y - f);
      const d = Math.abs(y) + Math.abs(f);
      sm += d === 0 ? 0 : (200 * e) / d;
      ae += e;
      absErr += e;
      absY += Math.abs(y);
      signed += f - y;
    }
    smape[s] = sm / h;
    mase[s] = ae / h / scale;
  }
  const avg = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  return { smape: avg(smape), mase: avg(mase), wape: (100 * absErr) / absY, bias: (100 * signed) / absY, series: { smape, mase } };
}

/** OWA of a method relative to Naive2 on the same series. */
export function owa(method: { smape: number; mase: number }, naive2: { smape: number; mase: number }): number {
  return 0.5 * (method.smape / naive2.smape + method.mase / naive2.mase);
}

/**
 * RMSSE (M5): per series sqrt(mean squared error / in-sample mean squared lag-m difference),
 * averaged over series.
 */
export function rmsse(train: SeriesBatch, test: SeriesBatch, forecast: Float64Array, horizon: number, m = 1): number {
  const count = test.ids.length;
  let total = 0;
  for (let s = 0; s < count; s++) {
    const xa = train.offsets[s] as number;
    const n = (train.offsets[s + 1] as number) - xa;
    let scale = 0;
    for (let t = m; t < n; t++) scale += ((train.values[xa + t] as number) - (train.values[xa + t - m] as number)) ** 2;
    scale /= Math.max(1, n - m);
    const ta = test.offsets[s] as number;
    const h = Math.min(horizon, (test.offsets[s + 1] as number) - ta);
    let e = 0;
    for (let k = 0; k < h; k++) e += ((test.values[ta + k] as number) - (forecast[s * horizon + k] as number)) ** 2;
    total += Math.sqrt(e / h / scale);
  }
  return total / Math.max(1, count);
}

/**
 * MSIS (M4): per series the mean over the horizon of the interval score
 * (U - L) + 2/a (L - y)[y < L] + 2/a (y - U)[y > U] of a (1 - a) interval, divided by the in-sample
 * mean absolute lag-m difference (as MASE), averaged over series. lower / upper: n x h.
 */
export function msis(
  train: SeriesBatch,
  test: SeriesBatch,
  lower: Float64Array,
  upper: Float64Array,
  horizon: number,
  m: number,
  a = 0.05,
): number {
  const count = test.ids.length;
  let total = 0;
  for (let s = 0; s < count; s++) {
    const xa = train.offsets[s] as number;
    const n = (train.offsets[s + 1] as number) - xa;
    let scale = 0;
    for (let t = m; t < n; t++) scale += Math.abs((train.values[xa + t] as number) - (train.values[xa + t - m] as number));
    scale /= Math.max(1, n - m);
    const ta = test.offsets[s] as number;
    const h = Math.min(horizon, (test.offsets[s + 1] as number) - ta);
    let sc = 0;
    for (let k = 0; k < h; k++) {
      const y = test.values[ta + k] as number;
      const lo = lower[s * horizon + k] as number;
      const hi = upper[s * horizon + k] as number;
      sc += hi - lo + (y < lo ? (2 / a) * (lo - y) : 0) + (y > hi ? (2 / a) * (y - hi) : 0);
    }
    total += sc / h / scale;
  }
  return total / Math.max(1, count);
}

/** Share of test values inside their interval (ACD in M4 is |coverage - nominal|). */
export function coverage(test: SeriesBatch, lower: Float64Array, upper: Float64Array, horizon: number): number {
  let inside = 0;
  let all = 0;
  for (let s = 0; s < test.ids.length; s++) {
    const ta = test.offsets[s] as number;
    const h = Math.min(horizon, (test.offsets[s + 1] as number) - ta);
    for (let k = 0; k < h; k++) {
      const y = test.values[ta + k] as number;
      if (y >= (lower[s * horizon + k] as number) && y <= (upper[s * horizon + k] as number)) inside++;
      all++;
    }
  }
  return inside / Math.max(1, all);
}
