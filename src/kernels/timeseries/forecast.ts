/**
 * One entry point for the batched forecasters (TS reference): validation, the missing-value
 * policy, and per-series fallbacks that are reported, never silent. A series that cannot be
 * forecast gets NaN with its reason in `notes`; every other series gets finite numbers.
 */
import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';
import { type BaselineMethod, baselineForecast } from './baselines.js';
import { type IntermittentMethod, intermittentForecast } from './intermittent.js';
import { sesForecast, thetaForecast } from './theta.js';

export type ForecastModel = BaselineMethod | IntermittentMethod | 'ses' | 'theta';
export const FORECAST_MODELS: readonly ForecastModel[] = ['naive', 'snaive', 'naive2', 'drift', 'ses', 'theta', 'croston', 'sba', 'tsb'];

export interface ForecastOptions {
  model: ForecastModel;
  horizon: number;
  /** Season length m (1 = none; default 1). */
  seasonLength?: number;
  /**
   * Missing values (NaN) inside a series: 'interpolate' (default: linear between neighbours,
   * the nearest value at the ends), 'drop' (remove them), or 'error' (the series gets no forecast).
   */
  missing?: 'interpolate' | 'drop' | 'error';
}

export interface ForecastOutput {
  ids: string[];
  /** n x horizon, row-major; NaN rows only for series with a note saying why. */
  mean: Float64Array;
  horizon: number;
  /** Per series: the model actually used (after a fallback) and why, or null. */
  used: string[];
  notes: Array<string | null>;
}

const MULTIPLICATIVE: ReadonlySet<ForecastModel> = new Set(['naive2', 'ses', 'theta']);

/** The native batched forecaster (waybill/timeseries.h), when the addon is loaded. */
export type NativeForecast = (o: {
  values: Float64Array;
  offsets: Int32Array;
  count: number;
  method: number;
  horizon: number;
  season: number;
  out: Float64Array;
  sync: true;
}) => unknown;

const NATIVE_METHOD: Record<ForecastModel, number> = {
  naive: 0,
  snaive: 1,
  naive2: 2,
  drift: 3,
  ses: 4,
  theta: 5,
  croston: 6,
  sba: 7,
  tsb: 8,
};

/**
 * Forecasts a batch. With `native` the models run in the C++ core (same numbers as the TS
 * reference, checked in the parity tests); the cleaning and fallbacks stay here.
 */
export function forecastBatch(batch: SeriesBatch, options: ForecastOptions, native?: NativeForecast): ForecastOutput {
  const { model, horizon } = options;
  const m = options.seasonLength ?? 1;
  const missing = options.missing ?? 'interpolate';
  if (!FORECAST_MODELS.includes(model))
    throw new WaybillError('INVALID_ARGUMENT', `unknown model ${String(model)}: use one of ${FORECAST_MODELS.join(', ')}`, {
      field: 'model',
    });
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new WaybillError('INVALID_ARGUMENT', `horizon must be an integer >= 1, got ${horizon}`, { field: 'horizon' });
  if (!Number.isInteger(m) || m < 1)
    throw new WaybillError('INVALID_ARGUMENT', `seasonLength must be an integer >= 1, got ${m}`, { field: 'seasonLength' });
  if (!['interpolate', 'drop', 'error'].includes(missing))
    throw new WaybillError('INVALID_ARGUMENT', `missing must be interpolate, drop or error, got ${String(missing)}`, { field: 'missing' });
  const count = batch.ids.length;
  if (batch.offsets.length !== count + 1 || batch.offsets[0] !== 0 || batch.offsets[count] !== batch.values.length)
    throw new WaybillError('INVALID_LENGTH', 'offsets must have one entry per series plus one, start at 0 and end at values.length', {
      field: 'offsets',
    });
  const mean = new Float64Array(count * horizon).fill(Number.NaN);
  const used: string[] = new Array(count).fill(model);
  const notes: Array<string | null> = new Array(count).fill(null);
  // Clean each series, then group the usable ones by the season length they can take.
  const groups = new Map<number, { idx: number[]; chunks: Float64Array[] }>();
  for (let s = 0; s < count; s++) {
    const a = batch.offsets[s] as number;
    const b = batch.offsets[s + 1] as number;
    if (b < a) throw new WaybillError('INVALID_LENGTH', `offsets decrease at series ${s}`, { field: 'offsets', series: s });
    let x: Float64Array = batch.values.slice(a, b);
    const nan = x.reduce((c, v) => c + (Number.isFinite(v) ? 0 : 1), 0);
    if (x.length === 0 || nan === x.length) {
      notes[s] = x.length === 0 ? 'empty series: no forecast' : 'every value is missing: no forecast';
      used[s] = 'none';
      continue;
    }
    if (nan > 0) {
      if (missing === 'error') {
        notes[s] = `${nan} missing values and missing = 'error': no forecast`;
        used[s] = 'none';
        continue;
      }
      x = missing === 'drop' ? x.filter((v) => Number.isFinite(v)) : interpolate(x);
      notes[s] = `${nan} missing values ${missing === 'drop' ? 'dropped' : 'interpolated'}`;
    }
    let mm = m;
    const add = (why: string) => {
      notes[s] = notes[s] ? `${notes[s]}; ${why}` : why;
    };
    if (m > 1 && x.length < (model === 'snaive' ? m : 3 * m)) {
      mm = 1;
      if (model === 'snaive') used[s] = 'naive';
      add(
        `series shorter than ${model === 'snaive' ? 'one season' : 'three seasons'} (${x.length} < ${model === 'snaive' ? m : 3 * m}): no seasonal component`,
      );
    } else if (m > 1 && MULTIPLICATIVE.has(model) && x.some((v) => v <= 0)) {
      mm = 1;
      add('values <= 0: the multiplicative seasonal adjustment is skipped');
    }
    if ((model === 'croston' || model === 'sba' || model === 'tsb') && x.some((v) => v < 0)) {
      notes[s] = `${notes[s] ? `${notes[s]}; ` : ''}negative demand: ${model} needs values >= 0, no forecast`;
      used[s] = 'none';
      continue;
    }
    let g = groups.get(mm);
    if (!g) {
      g = { idx: [], chunks: [] };
      groups.set(mm, g);
    }
    g.idx.push(s);
    g.chunks.push(x);
  }
  for (const [mm, g] of groups) {
    const offsets = new Int32Array(g.chunks.length + 1);
    g.chunks.forEach((c, i) => {
      offsets[i + 1] = (offsets[i] as number) + c.length;
    });
    const values = new Float64Array(offsets[g.chunks.length] as number);
    g.chunks.forEach((c, i) => {
      values.set(c, offsets[i] as number);
    });
    const sub: SeriesBatch = { ids: g.idx.map((i) => batch.ids[i] as string), values, offsets };
    let nativeOut: Float64Array | undefined;
    if (native) {
      nativeOut = new Float64Array(g.idx.length * horizon);
      native({ values, offsets, count: g.idx.length, method: NATIVE_METHOD[model], horizon, season: mm, out: nativeOut, sync: true });
    }
    const out =
      nativeOut ??
      (model === 'theta'
        ? thetaForecast(sub, horizon, mm).mean
        : model === 'ses'
          ? sesForecast(sub, horizon, mm).mean
          : model === 'croston' || model === 'sba' || model === 'tsb'
            ? intermittentForecast(sub, model, horizon)
            : baselineForecast(sub, model, horizon, mm).mean);
    g.idx.forEach((s, i) => {
      mean.set(out.subarray(i * horizon, (i + 1) * horizon), s * horizon);
    });
  }
  return { ids: batch.ids, mean, horizon, used, notes };
}

function interpolate(x: Float64Array): Float64Array {
  const y = x.slice();
  const n = y.length;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i] as number)) continue;
    if (prev < 0) for (let k = 0; k < i; k++) y[k] = y[i] as number;
    else if (i - prev > 1)
      for (let k = prev + 1; k < i; k++) y[k] = (y[prev] as number) + (((y[i] as number) - (y[prev] as number)) * (k - prev)) / (i - prev);
    prev = i;
  }
  for (let k = prev + 1; k < n; k++) y[k] = y[prev] as number;
  return y;
}
