/**
 * One entry point for the batched forecasters (TS reference): validation, the missing-value
 * policy, and per-series fallbacks that are reported, never silent. A series that cannot be
 * forecast gets NaN with its reason in `notes`; every other series gets finite numbers.
 */
import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';
import { type BaselineMethod, baselineForecast } from './baselines.js';
import {
  type AutoEtsOptions,
  autoEtsBatch,
  type EtsCombine,
  type EtsFit,
  etsCandidates,
  etsEnsembleName,
  etsIntervals,
  etsName,
  etsPointForecast,
  parseEtsCode,
} from './ets.js';
import { adidaForecast, type IntermittentMethod, intermittentForecast } from './intermittent.js';
import { combForecast, optimizedThetaForecast, sesForecast, thetaForecast, thetafForecast } from './theta.js';

export type ForecastModel = BaselineMethod | IntermittentMethod | 'adida' | 'ses' | 'theta' | 'thetaf' | 'otm' | 'ets' | 'comb';
export const FORECAST_MODELS: readonly ForecastModel[] = [
  'naive',
  'snaive',
  'naive2',
  'drift',
  'ses',
  'theta',
  'thetaf',
  'otm',
  'ets',
  'comb',
  'croston',
  'sba',
  'tsb',
  'adida',
];

/** Fits AutoETS to a batch (the TS reference, the C++ core, or the C++ core over several threads). */
export type EtsFitter = (
  values: Float64Array,
  offsets: Int32Array,
  m: number,
  options: AutoEtsOptions,
) => Array<EtsFit | null> | Promise<Array<EtsFit | null>>;

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
  /** ETS: R-style model code (default "ZZZ" = AutoETS over every admissible model; e.g. "AAdN", "ZZA"). */
  etsModel?: string;
  /** ETS: seasonal models only when m <= maxSeason (default 24, as R's ets). */
  maxSeason?: number;
  /** ETS: Nelder-Mead stop per observation (default 5e-6; see EtsFitOptions.tolerance). */
  etsTolerance?: number;
  /**
   * ETS: 'weights' (default) forecasts with the Akaike-weighted combination of every fitted
   * candidate; 'select' with the lowest-AICc model alone, as R's ets.
   */
  etsCombine?: EtsCombine;
  /** Prediction-interval levels in % (e.g. [80, 95]); model ets only. */
  levels?: number[];
}

export interface ForecastIntervals {
  levels: number[];
  /** n x levels x horizon, row-major (lower[(s * levels.length + k) * horizon + h]); NaN where the mean is NaN. */
  lower: Float64Array;
  upper: Float64Array;
}

export interface ForecastOutput {
  ids: string[];
  /** n x horizon, row-major; NaN rows only for series with a note saying why. */
  mean: Float64Array;
  horizon: number;
  /** Per series: the model actually used (after a fallback) and why, or null. */
  used: string[];
  notes: Array<string | null>;
  /** With `levels` (model ets). */
  intervals?: ForecastIntervals;
  /** Model ets: the fitted parameters per series (null where no ETS model was fitted). */
  ets?: Array<{
    alpha: number;
    beta: number;
    gamma: number;
    phi: number;
    sigma2: number;
    aicc: number;
    /** With etsCombine 'weights': the models combined and their Akaike weights (the parameters above are the first one's). */
    weights?: Array<{ model: string; weight: number }>;
  } | null>;
}

const MULTIPLICATIVE: ReadonlySet<ForecastModel> = new Set(['naive2', 'ses', 'theta', 'thetaf', 'otm', 'comb']);

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

const NATIVE_METHOD: Record<Exclude<ForecastModel, 'ets' | 'comb'>, number> = {
  naive: 0,
  snaive: 1,
  naive2: 2,
  drift: 3,
  ses: 4,
  theta: 5,
  croston: 6,
  sba: 7,
  tsb: 8,
  adida: 9,
  otm: 10,
  thetaf: 11,
};

/**
 * Forecasts a batch. With `native` the models run in the C++ core (same numbers as the TS
 * reference, checked in the parity tests); `etsFitter` fits ETS (default: the TS reference); the
 * cleaning and fallbacks stay here.
 */
export async function forecastBatch(
  batch: SeriesBatch,
  options: ForecastOptions,
  native?: NativeForecast,
  etsFitter?: EtsFitter,
): Promise<ForecastOutput> {
  const { model, horizon } = options;
  const m = options.seasonLength ?? 1;
  const missing = options.missing ?? 'interpolate';
  if (!FORECAST_MODELS.includes(model))
    throw new WaybillError('INVALID_ARGUMENT', `unknown model ${String(model)}: use one of ${FORECAST_MODELS.join(', ')}`, {
      field: 'model',
    });
  checkHorizon(horizon);
  if (!Number.isInteger(m) || m < 1)
    throw new WaybillError('INVALID_ARGUMENT', `seasonLength must be an integer >= 1, got ${m}`, { field: 'seasonLength' });
  if (!['interpolate', 'drop', 'error'].includes(missing))
    throw new WaybillError('INVALID_ARGUMENT', `missing must be interpolate, drop or error, got ${String(missing)}`, { field: 'missing' });
  const levels = options.levels;
  if (levels !== undefined) {
    if (model !== 'ets')
      throw new WaybillError('INVALID_ARGUMENT', `prediction intervals are available for model ets, not ${model}`, { field: 'levels' });
    if (!Array.isArray(levels) || levels.length === 0 || levels.some((l) => typeof l !== 'number' || !(l > 0 && l < 100)))
      throw new WaybillError('INVALID_ARGUMENT', 'levels must be a non-empty array of numbers in (0, 100), e.g. [80, 95]', {
        field: 'levels',
      });
  }
  const etsOptions: AutoEtsOptions = {
    model: options.etsModel ?? 'ZZZ',
    maxSeason: options.maxSeason ?? 24,
    ...(options.etsTolerance !== undefined ? { tolerance: options.etsTolerance } : {}),
    ...(options.etsCombine !== undefined ? { combine: options.etsCombine } : {}),
  };
  if (model === 'ets') {
    parseEtsCode(etsOptions.model as string);
    if (!Number.isInteger(etsOptions.maxSeason) || (etsOptions.maxSeason as number) < 1 || (etsOptions.maxSeason as number) > 2 ** 31 - 1)
      throw new WaybillError('INVALID_ARGUMENT', `maxSeason must be an integer in 1..2147483647, got ${etsOptions.maxSeason}`, {
        field: 'maxSeason',
      });
  }
  const fitter: EtsFitter = etsFitter ?? ((values, offsets, mm, o) => autoEtsBatch(values, offsets, mm, o));
  const count = batch.ids.length;
  if (batch.offsets.length !== count + 1 || batch.offsets[0] !== 0 || batch.offsets[count] !== batch.values.length)
    throw new WaybillError('INVALID_LENGTH', 'offsets must have one entry per series plus one, start at 0 and end at values.length', {
      field: 'offsets',
    });
  const L = levels?.length ?? 0;
  checkOutputSize(count, horizon, L);
  const mean = new Float64Array(count * horizon).fill(Number.NaN);
  const used: string[] = new Array(count).fill(model);
  const notes: Array<string | null> = new Array(count).fill(null);
  const intervals: ForecastIntervals | undefined = levels
    ? {
        levels: [...levels],
        lower: new Float64Array(count * L * horizon).fill(Number.NaN),
        upper: new Float64Array(count * L * horizon).fill(Number.NaN),
      }
    : undefined;
  const etsParams: ForecastOutput['ets'] = model === 'ets' ? new Array(count).fill(null) : undefined;
  // Per series: the power of two its forecasts are multiplied by (see the rescaling below).
  const unscale = new Float64Array(count).fill(1);
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
    // Magnitudes beyond 2^+-500 (about 1e+-150) break the models' sums of squares (they overflow
    // or underflow): SES at 1e160 forecast the series mean, Theta drifted, without a word. Such a
    // series is fitted scaled by a power of two (exact) and its forecasts scaled back.
    const amax = x.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0);
    if (amax > 2 ** 500 || (amax > 0 && amax < 2 ** -500)) {
      const k = Math.max(-1023, Math.min(1023, -Math.round(Math.log2(amax))));
      const f = 2 ** k;
      x = x.map((v) => v * f);
      unscale[s] = 2 ** -k;
      add(
        `values rescaled by 2^${k} for the arithmetic (largest |value| ${amax.toExponential(2)})${model === 'ets' ? '; sigma2 and aicc refer to the rescaled series' : ''}`,
      );
    }
    if (m > 1 && x.length < (model === 'snaive' ? m : 3 * m)) {
      mm = 1;
      if (model === 'snaive') used[s] = 'naive';
      add(
        `series shorter than ${model === 'snaive' ? 'one season' : 'three seasons'} (${x.length} < ${model === 'snaive' ? m : 3 * m}): no seasonal component`,
      );
    } else if (m > 1 && MULTIPLICATIVE.has(model) && x.some((v) => v <= 0)) {
      mm = 1;
      add('values <= 0: the multiplicative seasonal adjustment is skipped');
    } else if (model === 'ets' && m > (etsOptions.maxSeason as number)) {
      mm = 1;
      add(`season length ${m} > maxSeason ${etsOptions.maxSeason}: non-seasonal ETS models only (as R's ets)`);
    }
    if ((model === 'croston' || model === 'sba' || model === 'tsb' || model === 'adida') && x.some((v) => v < 0)) {
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
    if (model === 'ets') {
      const fits = await fitter(values, offsets, mm, etsOptions);
      g.idx.forEach((s, i) => {
        const f = fits[i];
        const row = mean.subarray(s * horizon, (s + 1) * horizon);
        if (!f) {
          const y = values.subarray(offsets[i] as number, offsets[i + 1] as number);
          row.fill(y[y.length - 1] as number);
          used[s] = 'naive';
          const why =
            etsCandidates(y, mm, etsOptions).length === 0
              ? `no ETS model allowed by ${etsOptions.model} applies here (seasonal models need 1 < m <= ${etsOptions.maxSeason} and n >= 3m; multiplicative parts need values > 0)`
              : `too few values (n = ${y.length}) for the ETS models allowed by ${etsOptions.model}`;
          notes[s] = `${notes[s] ? `${notes[s]}; ` : ''}${why}: naive forecast`;
          return;
        }
        etsPointForecast(f, horizon, row);
        used[s] = etsEnsembleName(f);
        (etsParams as NonNullable<ForecastOutput['ets']>)[s] = {
          alpha: f.alpha,
          beta: f.beta,
          gamma: f.gamma,
          phi: f.phi,
          sigma2: f.sigma2,
          aicc: f.aicc,
          ...(f.ensemble ? { weights: f.ensemble.map((e) => ({ model: etsName(e.fit.spec), weight: e.weight })) } : {}),
        };
        if (intervals) {
          const iv = etsIntervals(f, horizon, intervals.levels, { seed: s + 1 });
          intervals.lower.set(iv.lower, s * L * horizon);
          intervals.upper.set(iv.upper, s * L * horizon);
        }
      });
      continue;
    }
    if (model === 'comb') {
      const out = await combForecast(sub, horizon, mm, fitter);
      g.idx.forEach((s, i) => {
        mean.set(out.subarray(i * horizon, (i + 1) * horizon), s * horizon);
      });
      continue;
    }
    let nativeOut: Float64Array | undefined;
    if (native) {
      nativeOut = new Float64Array(g.idx.length * horizon);
      native({
        values,
        offsets,
        count: g.idx.length,
        method: NATIVE_METHOD[model as keyof typeof NATIVE_METHOD],
        horizon,
        season: mm,
        out: nativeOut,
        sync: true,
      });
    }
    const out =
      nativeOut ??
      (model === 'theta'
        ? thetaForecast(sub, horizon, mm).mean
        : model === 'thetaf'
          ? thetafForecast(sub, horizon, mm).mean
          : model === 'otm'
            ? optimizedThetaForecast(sub, horizon, mm).mean
            : model === 'adida'
              ? adidaForecast(sub, horizon).mean
              : model === 'ses'
                ? sesForecast(sub, horizon, mm).mean
                : model === 'croston' || model === 'sba' || model === 'tsb'
                  ? intermittentForecast(sub, model, horizon)
                  : baselineForecast(sub, model, horizon, mm).mean);
    g.idx.forEach((s, i) => {
      mean.set(out.subarray(i * horizon, (i + 1) * horizon), s * horizon);
    });
  }
  // Values near the float64 limit overflow the models' sums (1e308 gave NaN rows without a note).
  for (let s = 0; s < count; s++) {
    if (used[s] === 'none') continue;
    const row = mean.subarray(s * horizon, (s + 1) * horizon);
    const u = unscale[s] as number;
    if (u !== 1) {
      for (let h = 0; h < horizon; h++) row[h] = (row[h] as number) * u;
      if (intervals)
        for (let j = s * L * horizon; j < (s + 1) * L * horizon; j++) {
          intervals.lower[j] = (intervals.lower[j] as number) * u;
          intervals.upper[j] = (intervals.upper[j] as number) * u;
        }
    }
    if (row.every((v) => Number.isFinite(v))) continue;
    row.fill(Number.NaN);
    intervals?.lower.fill(Number.NaN, s * L * horizon, (s + 1) * L * horizon);
    intervals?.upper.fill(Number.NaN, s * L * horizon, (s + 1) * L * horizon);
    if (etsParams) etsParams[s] = null;
    used[s] = 'none';
    const why = 'the forecast overflowed (values too large for the arithmetic of the model): no forecast';
    notes[s] = notes[s] ? `${notes[s]}; ${why}` : why;
  }
  return { ids: batch.ids, mean, horizon, used, notes, ...(intervals ? { intervals } : {}), ...(etsParams ? { ets: etsParams } : {}) };
}

/** Longest forecast horizon (steps). */
export const MAX_HORIZON = 100_000;

/** Most numbers one forecast call returns (means and interval bounds): 2^27, 1 GiB of float64. */
export const MAX_FORECAST_OUTPUT = 2 ** 27;

/** INVALID_ARGUMENT unless horizon is an integer in 1..MAX_HORIZON (1e9 once threw a raw RangeError). */
export function checkHorizon(horizon: unknown): asserts horizon is number {
  if (typeof horizon !== 'number' || !Number.isInteger(horizon) || horizon < 1 || horizon > MAX_HORIZON)
    throw new WaybillError('INVALID_ARGUMENT', `horizon must be an integer in 1..${MAX_HORIZON}, got ${String(horizon)}`, {
      field: 'horizon',
    });
}

/** TOO_LARGE when series x horizon x (1 + 2 levels) outputs exceed MAX_FORECAST_OUTPUT. */
export function checkOutputSize(series: number, horizon: number, levels: number): void {
  const size = series * horizon * (1 + 2 * levels);
  if (size > MAX_FORECAST_OUTPUT)
    throw new WaybillError(
      'TOO_LARGE',
      `${series} series x horizon ${horizon}${levels ? ` x (1 + 2 x ${levels} levels)` : ''} = ${size} outputs, more than ${MAX_FORECAST_OUTPUT}`,
      { field: 'horizon', limit: MAX_FORECAST_OUTPUT },
    );
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
