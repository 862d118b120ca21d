/**
 * Baseline forecasts over a batch of series (TS reference): naive, seasonal naive, Naive2
 * (seasonally adjusted naive, as in the M4 competition) and drift. Naive2 follows the M4
 * benchmark definition: a series of period m > 1 with at least 3m points is seasonal when its
 * lag-m autocorrelation exceeds 1.645 / sqrt(n) * sqrt(1 + 2 * sum_{k<m} r_k^2) (and only when
 * lag m is within R's default acf lag range floor(10 log10 n)); a seasonal series is divided by
 * the seasonal indices of a classical multiplicative decomposition (centred moving average), the
 * last value is carried forward and the last m indices are re-applied.
 */

import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';

export type BaselineMethod = 'naive' | 'snaive' | 'naive2' | 'drift';

export interface BaselineForecast {
  /** n x horizon, row-major. */
  mean: Float64Array;
  horizon: number;
  /** Per series: 1 when Naive2 judged it seasonal (and adjusted it), else 0. */
  seasonal: Uint8Array;
}

/** Sample autocorrelations r_1..r_maxLag as R's acf computes them (divisor n in both sums). */
export function acf(x: ArrayLike<number>, maxLag: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] as number;
  mean /= n;
  let den = 0;
  for (let i = 0; i < n; i++) den += ((x[i] as number) - mean) ** 2;
  const r = new Float64Array(maxLag);
  for (let k = 1; k <= maxLag; k++) {
    let s = 0;
    for (let i = 0; i + k < n; i++) s += ((x[i] as number) - mean) * ((x[i + k] as number) - mean);
    r[k - 1] = den === 0 ? 0 : s / den;
  }
  return r;
}

/** The M4 seasonality test (90 % one-sided, lag m). */
export function isSeasonal(x: ArrayLike<number>, m: number): boolean {
  const n = x.length;
  if (m <= 1 || n < 3 * m) return false;
  const lagMax = Math.floor(10 * Math.log10(n));
  if (m > lagMax) return false; // R's acf would not reach lag m: NA counts as not seasonal
  const r = acf(x, m);
  let s = 1;
  for (let k = 0; k < m - 1; k++) s += 2 * (r[k] as number) ** 2;
  const limit = (1.645 / Math.sqrt(n)) * Math.sqrt(s);
  return Math.abs(r[m - 1] as number) > limit;
}

/**
 * The seasonality test of R forecast::thetaf: m > 1, a non-constant series longer than two
 * cycles, |r_m| / sqrt((1 + 2 sum_{k<m} r_k^2) / n) > qnorm(0.95).
 */
export function isSeasonalThetaf(x: ArrayLike<number>, m: number): boolean {
  const n = x.length;
  if (m <= 1 || n <= 2 * m) return false;
  let constant = true;
  for (let i = 1; i < n; i++) if (x[i] !== x[0]) constant = false;
  if (constant) return false;
  const r = acf(x, m);
  let s = 1;
  for (let k = 0; k < m - 1; k++) s += 2 * (r[k] as number) ** 2;
  return Math.abs(r[m - 1] as number) / Math.sqrt(s / n) > 1.6448536269514722;
}

/**
 * Seasonal indices of a classical multiplicative decomposition (R's decompose): centred moving
 * average trend, ratio to trend averaged per position of the cycle, normalised to mean 1.
 * Returns one index per point of the series (position i has cycle position i mod m).
 */
export function multiplicativeSeasonalIndices(x: ArrayLike<number>, m: number): Float64Array {
  const n = x.length;
  const even = m % 2 === 0;
  const half = even ? m / 2 : (m - 1) / 2;
  const ratio = new Float64Array(n).fill(Number.NaN);
  for (let i = half; i + half < n; i++) {
    let t = 0;
    if (even) {
      t += 0.5 * (x[i - half] as number) + 0.5 * (x[i + half] as number);
      for (let k = -half + 1; k <= half - 1; k++) t += x[i + k] as number;
    } else {
      for (let k = -half; k <= half; k++) t += x[i + k] as number;
    }
    ratio[i] = (x[i] as number) / (t / m);
  }
  const figure = new Float64Array(m);
  for (let p = 0; p < m; p++) {
    let s = 0;
    let c = 0;
    for (let i = p; i < n; i += m) {
      const v = ratio[i] as number;
      if (!Number.isNaN(v)) {
        s += v;
        c++;
      }
    }
    figure[p] = c > 0 ? s / c : Number.NaN;
  }
  let mean = 0;
  for (let p = 0; p < m; p++) mean += figure[p] as number;
  mean /= m;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (figure[i % m] as number) / mean;
  return out;
}

/** Forecasts every series of the batch with a baseline. `seasonLength` is m (1 = none). */
export function baselineForecast(batch: SeriesBatch, method: BaselineMethod, horizon: number, seasonLength: number): BaselineForecast {
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new WaybillError('INVALID_ARGUMENT', `horizon must be an integer >= 1, got ${horizon}`, { field: 'horizon' });
  if (!Number.isInteger(seasonLength) || seasonLength < 1)
    throw new WaybillError('INVALID_ARGUMENT', `seasonLength must be an integer >= 1, got ${seasonLength}`, { field: 'seasonLength' });
  const count = batch.ids.length;
  const mean = new Float64Array(count * horizon);
  const seasonal = new Uint8Array(count);
  const m = seasonLength;
  for (let s = 0; s < count; s++) {
    const a = batch.offsets[s] as number;
    const b = batch.offsets[s + 1] as number;
    const n = b - a;
    if (n === 0) throw new WaybillError('INVALID_ARGUMENT', `series ${batch.ids[s]} is empty`, { series: s });
    const x = batch.values.subarray(a, b);
    const row = mean.subarray(s * horizon, (s + 1) * horizon);
    const last = x[n - 1] as number;
    switch (method) {
      case 'naive':
        row.fill(last);
        break;
      case 'snaive':
        if (m > 1 && n >= m) for (let h = 0; h < horizon; h++) row[h] = x[n - m + (h % m)] as number;
        else row.fill(last);
        break;
      case 'drift': {
        const slope = n > 1 ? (last - (x[0] as number)) / (n - 1) : 0;
        for (let h = 0; h < horizon; h++) row[h] = last + slope * (h + 1);
        break;
      }
      case 'naive2': {
        if (isSeasonal(x, m)) {
          seasonal[s] = 1;
          const si = multiplicativeSeasonalIndices(x, m);
          const adjusted = last / (si[n - 1] as number);
          for (let h = 0; h < horizon; h++) row[h] = adjusted * (si[n - m + (h % m)] as number);
        } else {
          row.fill(last);
        }
        break;
      }
      default:
        throw new WaybillError('INVALID_ARGUMENT', `unknown baseline ${String(method)}`, { field: 'method' });
    }
  }
  return { mean, horizon, seasonal };
}
