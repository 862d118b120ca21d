/**
 * The time-series kernel family on the engine: batched forecasts on the C++ core (ETS fitted over
 * several native threads) or the TS reference.
 */

import { availableParallelism } from 'node:os';
import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';
import { loadAddon } from '../../native/addon.js';
import { autoEtsBatch, type NativeEtsFit } from './ets.js';
import { type EtsFitter, type ForecastOptions, type ForecastOutput, forecastBatch, type NativeForecast } from './forecast.js';

export type { ForecastModel, ForecastOptions, ForecastOutput } from './forecast.js';
export { FORECAST_MODELS } from './forecast.js';

export interface TimeseriesKernels {
  /**
   * Forecasts many series in one call: a batch (values + offsets) or plain arrays
   * (`{ series: number[][], ids? }`; null = missing). Per-series problems (empty, all missing,
   * too short for the season, values <= 0 for a multiplicative adjustment) are reported in
   * `notes` with the model actually `used`; a NaN row always has a note.
   */
  forecast(
    input: SeriesBatch | { series: ReadonlyArray<ReadonlyArray<number | null>>; ids?: readonly string[] },
    options: ForecastOptions & { backend?: 'native' | 'js'; workers?: number },
  ): Promise<ForecastOutput & { backend: 'native' | 'js'; workers: number; timings: { totalMs: number } }>;
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

export function toBatch(
  input: SeriesBatch | { series: ReadonlyArray<ReadonlyArray<number | null>>; ids?: readonly string[] },
): SeriesBatch {
  if ('values' in input && input.values instanceof Float64Array) return input;
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

export function createTimeseriesKernels(isClosed: () => boolean, allowNative = true): TimeseriesKernels {
  let native: NativeForecast | undefined;
  let etsFit: ((o: Parameters<NativeEtsFit>[0] | (Omit<Parameters<NativeEtsFit>[0], 'sync'> & { sync: false })) => unknown) | undefined;
  let probed = false;
  return {
    async forecast(input, options) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      if (!probed) {
        probed = true;
        const load = allowNative ? loadAddon() : undefined;
        if (load?.ok) {
          native = (o) => load.addon.tsForecast(o);
          etsFit = (o) => load.addon.tsEtsFit(o);
        }
      }
      const useNative = options.backend !== 'js' && native !== undefined;
      if (options.backend === 'native' && !native)
        throw new WaybillError('BACKEND_UNAVAILABLE', 'the native addon is not loaded', { backend: 'native' });
      const workers = options.workers ?? Math.min(4, availableParallelism());
      if (!Number.isInteger(workers) || workers < 1 || workers > 64)
        throw new WaybillError('INVALID_ARGUMENT', `workers must be an integer in [1, 64], got ${workers}`, { field: 'workers' });
      const t0 = performance.now();
      const out = await forecastBatch(
        toBatch(input),
        options,
        useNative ? native : undefined,
        useNative && etsFit ? parallelEtsFitter(etsFit, workers) : undefined,
      );
      return {
        ...out,
        backend: useNative ? 'native' : 'js',
        workers: useNative ? workers : 1,
        timings: { totalMs: performance.now() - t0 },
      };
    },
  };
}
