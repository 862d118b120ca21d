/**
 * Intermittent-demand forecasts over a batch (TS reference): Croston (1972), SBA (Syntetos &
 * Boylan 2005: Croston x (1 - alpha / 2)) and TSB (Teunter, Syntetos & Babai 2011: demand
 * probability updated every period, size on demand periods). Smoothing constants are fixed
 * (default 0.1, R forecast::croston's default); Croston/SBA start from the first demand and the
 * first inter-demand interval (R's "simple" initialisation), TSB from the first demand and the
 * share of demand periods. Forecasts are flat. A series with no demand forecasts 0.
 */
import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';
import { sesFit } from './theta.js';

export type IntermittentMethod = 'croston' | 'sba' | 'tsb';

export function intermittentForecast(
  batch: SeriesBatch,
  method: IntermittentMethod,
  horizon: number,
  params: { alpha?: number; beta?: number } = {},
): Float64Array {
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new WaybillError('INVALID_ARGUMENT', `horizon must be an integer >= 1, got ${horizon}`, { field: 'horizon' });
  const alpha = params.alpha ?? 0.1;
  const beta = params.beta ?? 0.1;
  for (const [k, v] of [
    ['alpha', alpha],
    ['beta', beta],
  ] as const)
    if (!(v > 0 && v <= 1)) throw new WaybillError('INVALID_ARGUMENT', `${k} must be in (0, 1], got ${v}`, { field: k });
  const count = batch.ids.length;
  const out = new Float64Array(count * horizon);
  for (let s = 0; s < count; s++) {
    const a0 = batch.offsets[s] as number;
    const n = (batch.offsets[s + 1] as number) - a0;
    const x = batch.values.subarray(a0, a0 + n);
    for (let t = 0; t < n; t++)
      if (!((x[t] as number) >= 0))
        throw new WaybillError('INVALID_ARGUMENT', `series ${batch.ids[s]}: demand must be >= 0 (value ${x[t]} at ${t})`, {
          series: s,
          index: t,
        });
    let f = 0;
    if (method === 'tsb') {
      let z = Number.NaN;
      let demands = 0;
      for (let t = 0; t < n; t++) {
        const d = x[t] as number;
        if (d > 0) {
          demands++;
          if (Number.isNaN(z)) z = d;
        }
      }
      if (demands > 0) {
        let p = demands / n;
        for (let t = 0; t < n; t++) {
          const d = x[t] as number;
          if (d > 0) {
            p += beta * (1 - p);
            z += alpha * (d - z);
          } else {
            p += beta * (0 - p);
          }
        }
        f = p * z;
      }
    } else {
      // Demand sizes and the intervals between demands (the first counted from the start).
      let z = Number.NaN;
      let q = Number.NaN;
      let last = -1;
      for (let t = 0; t < n; t++) {
        const d = x[t] as number;
        if (d <= 0) continue;
        const interval = t - last;
        last = t;
        if (Number.isNaN(z)) {
          z = d;
          q = interval;
        } else {
          z += alpha * (d - z);
          q += alpha * (interval - q);
        }
      }
      if (!Number.isNaN(z)) f = (z / q) * (method === 'sba' ? 1 - alpha / 2 : 1);
    }
    out.fill(f, s * horizon, (s + 1) * horizon);
  }
  return out;
}

/**
 * ADIDA (Nikolopoulos, Syntetos, Boylan, Petropoulos & Assimakopoulos 2011): the series is summed
 * over non-overlapping buckets of k periods, k = the mean interval between demands rounded to an
 * integer (>= 1), taken from the end of the series (a partial bucket at the start is dropped);
 * SES (least squares) forecasts the bucket totals and the forecast is spread evenly, level / k per
 * period. A series with no demand forecasts 0; values must be >= 0.
 */
export function adidaForecast(batch: SeriesBatch, horizon: number): { mean: Float64Array; level: Int32Array } {
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new WaybillError('INVALID_ARGUMENT', `horizon must be an integer >= 1, got ${horizon}`, { field: 'horizon' });
  const count = batch.ids.length;
  const mean = new Float64Array(count * horizon);
  const level = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    const a0 = batch.offsets[s] as number;
    const n = (batch.offsets[s + 1] as number) - a0;
    const x = batch.values.subarray(a0, a0 + n);
    let demands = 0;
    let last = -1;
    for (let t = 0; t < n; t++) {
      const d = x[t] as number;
      if (!(d >= 0))
        throw new WaybillError('INVALID_ARGUMENT', `series ${batch.ids[s]}: demand must be >= 0 (value ${d} at ${t})`, {
          series: s,
          index: t,
        });
      if (d > 0) {
        demands++;
        last = t;
      }
    }
    if (demands === 0) continue;
    // Mean inter-demand interval, the first counted from the start (as Croston's).
    const meanInterval = (last + 1) / demands;
    const k = Math.max(1, Math.min(n, Math.round(meanInterval)));
    level[s] = k;
    const buckets = Math.floor(n / k);
    const agg = new Float64Array(buckets);
    const start = n - buckets * k;
    for (let b = 0; b < buckets; b++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += x[start + b * k + i] as number;
      agg[b] = sum;
    }
    const f = sesFit(agg).level / k;
    mean.fill(f, s * horizon, (s + 1) * horizon);
  }
  return { mean, level };
}
