/**
 * The time-series kernel family on the engine: batched forecasts (TS reference for now; the
 * native and CUDA versions and ETS are still to come — see issue 6).
 */
import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';
import { loadAddon } from '../../native/addon.js';
import { type ForecastOptions, type ForecastOutput, forecastBatch, type NativeForecast } from './forecast.js';

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
    options: ForecastOptions & { backend?: 'native' | 'js' },
  ): Promise<ForecastOutput & { backend: 'native' | 'js'; timings: { totalMs: number } }>;
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
  let probed = false;
  return {
    async forecast(input, options) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      if (!probed) {
        probed = true;
        const load = allowNative ? loadAddon() : undefined;
        if (load?.ok) native = (o) => load.addon.tsForecast(o);
      }
      const useNative = options.backend !== 'js' && native !== undefined;
      if (options.backend === 'native' && !native)
        throw new WaybillError('BACKEND_UNAVAILABLE', 'the native addon is not loaded', { backend: 'native' });
      const t0 = performance.now();
      const out = forecastBatch(toBatch(input), options, useNative ? native : undefined);
      return { ...out, backend: useNative ? 'native' : 'js', timings: { totalMs: performance.now() - t0 } };
    },
  };
}
