/**
 * The time-series kernel family on the engine: batched forecasts on the C++ core (ETS fitted over
 * several native threads) or the TS reference; with `backend: 'cuda'` (forced only, never the
 * default) the ETS fits of fitEts and of forecast models 'ets' / 'comb' run on a CUDA device, the
 * seasonal models for seasonLength <= 24 (src/kernels/timeseries/cuda.ts).
 */

import { availableParallelism } from 'node:os';
import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';
import { loadAddon } from '../../native/addon.js';
import { assertNotDetached, optionsObject } from '../options.js';
import { assertCudaEts, cudaEtsFitter, etsCudaStatus } from './cuda.js';
import {
  type AutoEtsOptions,
  autoEtsBatch,
  type EtsCombine,
  type EtsFit,
  etsIntervals,
  etsPointForecast,
  type NativeEtsFit,
} from './ets.js';
import {
  checkHorizon,
  checkOutputSize,
  type EtsFitter,
  type ForecastOptions,
  type ForecastOutput,
  forecastBatch,
  type NativeForecast,
} from './forecast.js';
import { type HierarchyNode, type ReconcileOptions, type ReconcileOutput, reconcileForecasts } from './reconcile.js';

export type { EtsFit } from './ets.js';
export type { ForecastModel, ForecastOptions, ForecastOutput } from './forecast.js';
export { MAX_FORECAST_OUTPUT, MAX_HORIZON } from './forecast.js';
export type { HierarchyNode, ReconcileMethod, ReconcileOptions, ReconcileOutput } from './reconcile.js';
export { buildHierarchy, RECONCILE_METHODS } from './reconcile.js';

type SeriesInput = SeriesBatch | { series: ReadonlyArray<ReadonlyArray<number | null>>; ids?: readonly string[] };

export { FORECAST_MODELS } from './forecast.js';

/**
 * Backends of the family. 'cuda': ETS fitting on a CUDA device (every AutoETS model, the seasonal
 * ones for seasonLength <= 24; fitEts and forecast models 'ets' / 'comb'), only when asked for by
 * name; the rest of a forecast runs as on 'native'.
 */
export type TimeseriesBackend = 'native' | 'js' | 'cuda';

export interface TimeseriesKernels {
  /**
   * Forecasts many series in one call: a batch (values + offsets) or plain arrays
   * (`{ series: number[][], ids? }`; null = missing). Per-series problems (empty, all missing,
   * too short for the season, values <= 0 for a multiplicative adjustment) are reported in
   * `notes` with the model actually `used`; a NaN row always has a note.
   */
  forecast(
    input: SeriesBatch | { series: ReadonlyArray<ReadonlyArray<number | null>>; ids?: readonly string[] },
    options: ForecastOptions & { backend?: TimeseriesBackend; workers?: number },
  ): Promise<ForecastOutput & { backend: TimeseriesBackend; workers: number; timings: { totalMs: number } }>;
  /**
   * Fits AutoETS (or the models an `etsModel` code allows) and returns the fitted models, to
   * forecast later with {@link TimeseriesKernels.forecastFitted}. Series must be finite (missing
   * values: use `forecast`, which interpolates); a series with NaN, too few values or no
   * applicable model gets `null` and a note.
   */
  fitEts(
    input: SeriesInput,
    options: {
      seasonLength?: number;
      etsModel?: string;
      maxSeason?: number;
      etsTolerance?: number;
      /** 'weights' (default): each fit carries the Akaike-weighted combination of the candidates; 'select': the lowest AICc alone. */
      etsCombine?: EtsCombine;
      /**
       * Default 'native' when the addon is loaded, else 'js'. 'cuda' (never chosen by default): the
       * CUDA fitter; BACKEND_UNAVAILABLE with the reason without a device, KERNEL_UNSUPPORTED when
       * seasonal models are allowed for a season the device does not take (24 < seasonLength <=
       * maxSeason and a seasonal etsModel).
       */
      backend?: TimeseriesBackend;
      workers?: number;
    },
  ): Promise<{
    ids: string[];
    fits: Array<EtsFit | null>;
    notes: Array<string | null>;
    backend: TimeseriesBackend;
    workers: number;
    timings: { totalMs: number };
  }>;
  /**
   * Reconciles base forecasts over a hierarchy (nodes with parent links; leaves = bottom series,
   * every node the sum of its leaves) into coherent ones: `method` 'bottom-up', 'top-down'
   * (needs `history`, n x T), 'ols', 'wls-struct' or 'mint-shrink' (needs `residuals`, n x T
   * in-sample one-step errors). baseForecasts: n x h, row-major or n arrays, node order. TS
   * reference only (`backend` 'js').
   */
  reconcile(
    hierarchy: ReadonlyArray<HierarchyNode>,
    baseForecasts: ReadonlyArray<ReadonlyArray<number>> | Float64Array | readonly number[],
    options: ReconcileOptions & { backend?: 'js' },
  ): Promise<ReconcileOutput & { backend: 'js'; timings: { totalMs: number } }>;
  /** Point forecasts (n x horizon) and, with `levels`, intervals (n x levels x horizon) from fitted models; NaN rows for null fits. */
  forecastFitted(
    fits: ReadonlyArray<EtsFit | null>,
    options: { horizon: number; levels?: number[] },
  ): { mean: Float64Array; horizon: number; intervals?: { levels: number[]; lower: Float64Array; upper: Float64Array } };
}

/**
 * ETS over several native threads: the series are cut into `workers` contiguous chunks of about
 * equal total length, each fitted by an asynchronous addon call (libuv's thread pool, so at most
 * UV_THREADPOOL_SIZE, default 4, run at once).
 */
export function parallelEtsFitter(
  nativeFit: (o: Parameters<NativeEtsFit>[0] | (Omit<Parameters<NativeEtsFit>[0], 'sync'> & { sync: false })) => unknown,
  workers: number,
): EtsFitter {
  return async (values, offsets, m, options) => {
    const count = offsets.length - 1;
    const total = offsets[count] as number;
    const chunks: Array<[number, number]> = [];
    let start = 0;
    for (let w = 1; w <= workers && start < count; w++) {
      let end = start;
      const target = (total * w) / workers;
      while (end < count && ((offsets[end + 1] as number) <= target || end === start)) end++;
      if (w === workers) end = count;
      chunks.push([start, end]);
      start = end;
    }
    const parts = await Promise.all(
      chunks.map(async ([a, b]) => {
        const base = offsets[a] as number;
        const part = offsets.slice(a, b + 1).map((o) => o - base);
        const vals = values.subarray(base, offsets[b] as number);
        return autoEtsBatch(vals, part, m, options, (o) => nativeFit({ ...o, sync: false }) as never, true);
      }),
    );
    return parts.flat();
  };
}

/**
 * Checks a batch's shape before any series is read: offsets an Int32Array of ids + 1 entries, from 0
 * to values.length, never decreasing. (fitEts once cut series with offsets that decreased, were
 * negative or ran past the values without a word, giving fits of the wrong values, or a RangeError.)
 */
function checkSeriesBatch(batch: SeriesBatch): SeriesBatch {
  const { ids, values, offsets } = batch;
  assertNotDetached(values, 'values');
  assertNotDetached(offsets, 'offsets');
  if (!Array.isArray(ids)) throw new WaybillError('INVALID_ARGUMENT', 'ids must be an array with one id per series', { field: 'ids' });
  if (!(offsets instanceof Int32Array))
    throw new WaybillError('INVALID_ARGUMENT', 'offsets must be an Int32Array of series + 1 entries', { field: 'offsets' });
  const count = ids.length;
  if (offsets.length !== count + 1 || offsets[0] !== 0 || offsets[count] !== values.length)
    throw new WaybillError('INVALID_LENGTH', 'offsets must have one entry per series plus one, start at 0 and end at values.length', {
      field: 'offsets',
    });
  for (let s = 0; s < count; s++)
    if ((offsets[s + 1] as number) < (offsets[s] as number))
      throw new WaybillError('INVALID_LENGTH', `offsets decrease at series ${s}`, { field: 'offsets', series: s });
  return batch;
}

export function toBatch(
  input: SeriesBatch | { series: ReadonlyArray<ReadonlyArray<number | null>>; ids?: readonly string[] },
): SeriesBatch {
  if (typeof input !== 'object' || input === null)
    throw new WaybillError('INVALID_ARGUMENT', 'input must be a batch { ids, values, offsets } or { series }', { field: 'input' });
  if ('values' in input && input.values instanceof Float64Array) return checkSeriesBatch(input);
  const { series, ids } = input as { series: ReadonlyArray<ReadonlyArray<number | null>>; ids?: readonly string[] };
  if (!Array.isArray(series))
    throw new WaybillError('INVALID_ARGUMENT', 'series must be an array of arrays of numbers', { field: 'series' });
  if (ids !== undefined && ids.length !== series.length)
    throw new WaybillError('INVALID_LENGTH', `ids has ${ids.length} entries for ${series.length} series`, { field: 'ids' });
  const offsets = new Int32Array(series.length + 1);
  series.forEach((s, i) => {
    if (!Array.isArray(s)) throw new WaybillError('INVALID_ARGUMENT', `series[${i}] must be an array`, { field: `series[${i}]` });
    offsets[i + 1] = (offsets[i] as number) + s.length;
  });
  const values = new Float64Array(offsets[series.length] as number);
  series.forEach((s, i) => {
    s.forEach((v: number | null, k: number) => {
      if (v !== null && typeof v !== 'number')
        throw new WaybillError('INVALID_ARGUMENT', `series[${i}][${k}] is not a number`, { field: `series[${i}][${k}]` });
      values[(offsets[i] as number) + k] = v === null ? Number.NaN : v;
    });
  });
  return { ids: ids ? [...ids] : series.map((_, i) => `s${i}`), values, offsets };
}

export function createTimeseriesKernels(isClosed: () => boolean, allowNative = true, allowCuda = true): TimeseriesKernels {
  let native: NativeForecast | undefined;
  let etsFit: ((o: Parameters<NativeEtsFit>[0] | (Omit<Parameters<NativeEtsFit>[0], 'sync'> & { sync: false })) => unknown) | undefined;
  let probed = false;
  /** Common start of every call: closed check, addon probe, backend and worker count. */
  let cudaStatus: ReturnType<typeof etsCudaStatus> | undefined;
  const setup = (options: { backend?: TimeseriesBackend; workers?: number }) => {
    if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
    if (!probed) {
      probed = true;
      const load = allowNative ? loadAddon() : undefined;
      if (load?.ok) {
        native = (o) => load.addon.tsForecast(o);
        etsFit = (o) => load.addon.tsEtsFit(o);
      }
    }
    const requested: unknown = options.backend;
    if (requested !== undefined && requested !== 'native' && requested !== 'js' && requested !== 'cuda')
      throw new WaybillError('KERNEL_UNSUPPORTED', `time-series kernels run on 'cuda', 'native' or 'js', not ${String(requested)}`, {
        field: 'backend',
        backend: String(requested),
      });
    const useCuda = requested === 'cuda';
    if (useCuda) {
      if (!allowCuda) throw new WaybillError('BACKEND_UNAVAILABLE', 'the cuda backend is disabled for this engine', { backend: 'cuda' });
      cudaStatus ??= allowNative ? etsCudaStatus() : { ok: false, reason: 'the native addon is disabled for this engine' };
      if (!cudaStatus.ok)
        throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA AutoETS unavailable: ${cudaStatus.reason}`, { backend: 'cuda' });
    }
    const useNative = (useCuda || options.backend !== 'js') && native !== undefined;
    if (options.backend === 'native' && !native)
      throw new WaybillError('BACKEND_UNAVAILABLE', 'the native addon is not loaded', { backend: 'native' });
    const workers = options.workers ?? Math.min(4, availableParallelism());
    if (!Number.isInteger(workers) || workers < 1 || workers > 64)
      throw new WaybillError('INVALID_ARGUMENT', `workers must be an integer in [1, 64], got ${workers}`, { field: 'workers' });
    const backend: TimeseriesBackend = useCuda ? 'cuda' : useNative ? 'native' : 'js';
    return { useNative, useCuda, workers, backend };
  };
  /** The ETS fitter of a call: CUDA, the native threads, or (undefined) the TS reference. */
  const fitterFor = (useNative: boolean, useCuda: boolean, workers: number): EtsFitter | undefined => {
    if (useCuda && etsFit) return cudaEtsFitter(etsFit);
    return useNative && etsFit ? parallelEtsFitter(etsFit, workers) : undefined;
  };
  return {
    async reconcile(hierarchy, baseForecasts, optionsIn) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const options = optionsObject(optionsIn);
      const requested: unknown = options.backend;
      if (requested !== undefined && requested !== 'js')
        throw new WaybillError('KERNEL_UNSUPPORTED', `reconcile runs on the TS reference ('js') only, not ${String(requested)}`, {
          field: 'backend',
          backend: String(requested),
        });
      const t0 = performance.now();
      const out = reconcileForecasts(hierarchy, baseForecasts, options);
      return { ...out, backend: 'js', timings: { totalMs: performance.now() - t0 } };
    },
    async fitEts(input, optionsIn) {
      const options = optionsObject(optionsIn);
      const { useNative, useCuda, workers, backend } = setup(options);
      const t0 = performance.now();
      const batch = toBatch(input);
      const season = options.seasonLength ?? 1;
      if (!Number.isInteger(season) || season < 1)
        throw new WaybillError('INVALID_ARGUMENT', `seasonLength must be an integer >= 1, got ${season}`, { field: 'seasonLength' });
      const maxSeason = options.maxSeason ?? 24;
      // The native binding threw a raw TypeError for a bad maxSeason.
      if (!Number.isInteger(maxSeason) || maxSeason < 1 || maxSeason > 2 ** 31 - 1)
        throw new WaybillError('INVALID_ARGUMENT', `maxSeason must be an integer in 1..2147483647, got ${maxSeason}`, {
          field: 'maxSeason',
        });
      const etsOptions: AutoEtsOptions = {
        model: options.etsModel ?? 'ZZZ',
        maxSeason,
        ...(options.etsTolerance !== undefined ? { tolerance: options.etsTolerance } : {}),
        ...(options.etsCombine !== undefined ? { combine: options.etsCombine } : {}),
      };
      if (useCuda) assertCudaEts(season, etsOptions);
      // Seasonal models need m <= maxSeason (as R's ets), so a longer season fits the non-seasonal
      // models, as forecast() does: seasonLength 1e9 once sized the native season output at
      // series x models x 1e9 (a raw RangeError).
      const m = season > maxSeason ? 1 : season;
      if (batch.ids.length * m > 2 ** 22)
        throw new WaybillError('TOO_LARGE', `${batch.ids.length} series x season ${m}: split the batch`, { field: 'seasonLength' });
      const count = batch.ids.length;
      const notes: Array<string | null> = new Array(count).fill(null);
      // Series with a non-finite value are left out (null fit + note); the rest go in one batch.
      const keep: number[] = [];
      for (let i = 0; i < count; i++) {
        const y = batch.values.subarray(batch.offsets[i] as number, batch.offsets[i + 1] as number);
        if (y.some((v) => !Number.isFinite(v))) notes[i] = 'missing or non-finite values: not fitted (forecast() interpolates them)';
        else keep.push(i);
      }
      const offsets = new Int32Array(keep.length + 1);
      keep.forEach((i, k) => {
        offsets[k + 1] = (offsets[k] as number) + (batch.offsets[i + 1] as number) - (batch.offsets[i] as number);
      });
      const values = new Float64Array(offsets[keep.length] as number);
      keep.forEach((i, k) => {
        values.set(batch.values.subarray(batch.offsets[i] as number, batch.offsets[i + 1] as number), offsets[k] as number);
      });
      const fitter = fitterFor(useNative, useCuda, workers);
      const fitted = fitter ? await fitter(values, offsets, m, etsOptions) : autoEtsBatch(values, offsets, m, etsOptions);
      const fits: Array<EtsFit | null> = new Array(count).fill(null);
      keep.forEach((i, k) => {
        fits[i] = fitted[k] ?? null;
        if (!fits[i]) notes[i] = `no ETS model allowed by ${etsOptions.model} could be fitted (too few values or none applies)`;
        else if (m !== season) notes[i] = `season length ${season} > maxSeason ${maxSeason}: non-seasonal ETS models only (as R's ets)`;
      });
      return {
        ids: batch.ids,
        fits,
        notes,
        backend,
        workers: useNative && !useCuda ? workers : 1,
        timings: { totalMs: performance.now() - t0 },
      };
    },
    forecastFitted(fits, options) {
      if (!Array.isArray(fits))
        throw new WaybillError('INVALID_ARGUMENT', 'fits must be an array of fitted models (or null) from fitEts', { field: 'fits' });
      const { horizon, levels } = optionsObject(options);
      checkHorizon(horizon);
      if (
        levels !== undefined &&
        (!Array.isArray(levels) || levels.length === 0 || levels.some((l) => typeof l !== 'number' || !(l > 0 && l < 100)))
      )
        throw new WaybillError('INVALID_ARGUMENT', 'levels must be a non-empty array of numbers in (0, 100)', { field: 'levels' });
      const n = fits.length;
      const L = levels?.length ?? 0;
      checkOutputSize(n, horizon, L);
      const mean = new Float64Array(n * horizon).fill(Number.NaN);
      const lower = new Float64Array(n * L * horizon).fill(Number.NaN);
      const upper = new Float64Array(n * L * horizon).fill(Number.NaN);
      fits.forEach((f, s) => {
        if (!f) return;
        etsPointForecast(f, horizon, mean.subarray(s * horizon, (s + 1) * horizon));
        if (levels) {
          const iv = etsIntervals(f, horizon, levels, { seed: s + 1 });
          lower.set(iv.lower, s * L * horizon);
          upper.set(iv.upper, s * L * horizon);
        }
      });
      return { mean, horizon, ...(levels ? { intervals: { levels: [...levels], lower, upper } } : {}) };
    },
    async forecast(input, optionsIn) {
      const options = optionsObject(optionsIn);
      const { useNative, useCuda, workers, backend } = setup(options);
      if (useCuda) {
        if (options.model !== 'ets' && options.model !== 'comb')
          throw new WaybillError('KERNEL_UNSUPPORTED', `backend 'cuda' fits ETS only (models ets and comb), not ${String(options.model)}`, {
            backend: 'cuda',
            model: String(options.model),
          });
        if (options.model === 'ets')
          assertCudaEts(options.seasonLength ?? 1, { model: options.etsModel ?? 'ZZZ', maxSeason: options.maxSeason ?? 24 });
      }
      const t0 = performance.now();
      const out = await forecastBatch(toBatch(input), options, useNative ? native : undefined, fitterFor(useNative, useCuda, workers));
      return {
        ...out,
        backend,
        workers: useNative && !useCuda ? workers : 1,
        timings: { totalMs: performance.now() - t0 },
      };
    },
  };
}
