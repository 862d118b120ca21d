/**
 * AutoETS on a CUDA device (native/src/cuda/timeseries/ets_fit.cu): the same candidate models as
 * the C++ CPU fitter (error A/M x trend N/A/Ad x season N/A/M as AutoETS admits them, the seasonal
 * ones for seasonLength <= {@link cudaEtsMaxSeason}, 24), one GPU thread per (series, model), the
 * same fits but for CUDA's log() (within 1 ulp of glibc's), which can turn a Nelder-Mead
 * comparison: the parity tests (test/kernels/ts-cuda-parity.test.ts, `waybill_tests cuda`) hold
 * loglik / AICc to 1e-9 relative and parameters and seasonal states to 1e-6 on at least 99 % of
 * fits and report the rest.
 *
 * Used only when forced (`backend: 'cuda'` on engine.kernels.timeseries.fitEts / forecast); the
 * default never picks it. A call that allows a seasonal model for a longer season (seasonLength m
 * with 24 < m <= maxSeason and a seasonal code in etsModel) is KERNEL_UNSUPPORTED: fit it on
 * 'native'.
 */
import { toWaybillError, WaybillError } from '../../errors.js';
import { loadAddon } from '../../native/addon.js';
import { type AutoEtsOptions, autoEtsBatch, etsCode, etsModelMask, type NativeEtsFit } from './ets.js';
import type { EtsFitter } from './forecast.js';

/** Whether the CUDA AutoETS can run here, and why not. */
export function etsCudaStatus(): { ok: true; device: string } | { ok: false; reason: string } {
  const load = loadAddon();
  if (!load.ok) return { ok: false, reason: load.reason };
  if (!load.addon.tsEtsDevices?.includes('cuda'))
    return { ok: false, reason: `addon ${load.path} predates the CUDA AutoETS (stale build? run npm run build:native)` };
  const cu = load.addon.info().cuda;
  if (!cu.available) return { ok: false, reason: cu.reason || 'no CUDA device' };
  return { ok: true, device: cu.name || 'CUDA device' };
}

/**
 * Longest season for which the CUDA AutoETS fits seasonal models, as built into the native core
 * (kEtsCudaMaxSeason in native/include/waybill/timeseries.h; the seasonal states are per-thread
 * arrays of that size on the device). The addon exports it as tsEtsCudaMaxSeason; the parity test
 * checks that it equals this value.
 */
export const CUDA_ETS_MAX_SEASON = 24;

/**
 * The season limit of the loaded addon: its tsEtsCudaMaxSeason, 1 for an addon built before the
 * CUDA AutoETS fitted seasonal models, CUDA_ETS_MAX_SEASON when no addon is loaded (no CUDA call
 * can run then anyway).
 */
export function cudaEtsMaxSeason(): number {
  const load = loadAddon();
  if (!load.ok) return CUDA_ETS_MAX_SEASON;
  return load.addon.tsEtsCudaMaxSeason ?? 1;
}

/** Bit mask of the seasonal model codes AutoETS can fit (season A or M; error A with season M never is) in the native layout. */
const SEASONAL_MASK = (() => {
  let mask = 0;
  for (const error of ['A', 'M'] as const)
    for (const trend of ['N', 'A', 'Ad'] as const)
      for (const season of ['A', 'M'] as const) if (!(error === 'A' && season === 'M')) mask |= 1 << etsCode({ error, trend, season });
  return mask;
})();

/**
 * Whether a fit with season length m and these options allows a seasonal model that the CUDA
 * fitter cannot take: limit < m <= maxSeason (limit: {@link cudaEtsMaxSeason} unless given) and
 * the model code allows a seasonal component.
 */
export function etsCudaSeasonUnsupported(
  m: number,
  options: Pick<AutoEtsOptions, 'model' | 'maxSeason'>,
  limit: number = cudaEtsMaxSeason(),
): boolean {
  const maxSeason = options.maxSeason ?? 24;
  return m > limit && m <= maxSeason && (etsModelMask(options.model ?? 'ZZZ') & SEASONAL_MASK) !== 0;
}

/** Throws KERNEL_UNSUPPORTED when the call allows a seasonal model above the device's season limit (see etsCudaSeasonUnsupported). */
export function assertCudaEts(m: number, options: Pick<AutoEtsOptions, 'model' | 'maxSeason'>, limit: number = cudaEtsMaxSeason()): void {
  if (!etsCudaSeasonUnsupported(m, options, limit)) return;
  const model = options.model ?? 'ZZZ';
  const maxSeason = options.maxSeason ?? 24;
  const what =
    limit > 1
      ? `the CUDA AutoETS fits seasonal models for seasonLength <= ${limit}`
      : 'the loaded addon fits non-seasonal ETS models only on CUDA (built before seasonal ones ran there: run npm run build:native)';
  throw new WaybillError(
    'KERNEL_UNSUPPORTED',
    `${what}; seasonLength ${m} <= maxSeason ${maxSeason} with model ${model} allows seasonal ones: use backend 'native', or etsModel 'ZZN' / maxSeason < seasonLength`,
    { backend: 'cuda', seasonLength: m, etsModel: model, cudaMaxSeason: limit },
  );
}

/**
 * The CUDA fitter: the whole batch in one asynchronous addon call (the device runs every series
 * and model at once, so there is no split over threads). Rejects calls above the device's season
 * limit (assertCudaEts).
 */
export function cudaEtsFitter(nativeFit: (o: Omit<Parameters<NativeEtsFit>[0], 'sync'> & { sync: false }) => unknown): EtsFitter {
  return async (values, offsets, m, options) => {
    assertCudaEts(m, options);
    try {
      return await autoEtsBatch(values, offsets, m, options, (o) => nativeFit({ ...o, device: 'cuda', sync: false }) as never, true);
    } catch (err) {
      throw toWaybillError(err);
    }
  };
}
