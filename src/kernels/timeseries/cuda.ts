/**
 * AutoETS on a CUDA device (native/src/cuda/timeseries/ets_fit.cu): the non-seasonal models (ANN,
 * AAN, AAdN, MNN, MAN, MAdN), one GPU thread per (series, model), the same fits as the C++ CPU
 * fitter but for CUDA's log() (within 1 ulp of glibc's), which can turn a Nelder-Mead comparison:
 * the parity tests (test/kernels/ts-cuda-parity.test.ts, `waybill_tests cuda`) hold loglik / AICc
 * to 1e-9 relative and parameters to 1e-6 on at least 99 % of fits and report the rest.
 *
 * Used only when forced (`backend: 'cuda'` on engine.kernels.timeseries.fitEts / forecast); the
 * default never picks it. A call that allows a seasonal model (seasonLength m with
 * 1 < m <= maxSeason and a seasonal code in etsModel) is KERNEL_UNSUPPORTED: fit it on 'native'.
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

/** Bit mask of the seasonal model codes (season A or M) in the native layout. */
const SEASONAL_MASK = (() => {
  let mask = 0;
  for (const error of ['A', 'M'] as const)
    for (const trend of ['N', 'A', 'Ad'] as const) for (const season of ['A', 'M'] as const) mask |= 1 << etsCode({ error, trend, season });
  return mask;
})();

/**
 * Whether a fit with season length m and these options can allow a seasonal model (then the CUDA
 * fitter cannot take it): 1 < m <= maxSeason and the model code allows a seasonal component.
 */
export function etsAllowsSeasonal(m: number, options: Pick<AutoEtsOptions, 'model' | 'maxSeason'>): boolean {
  const maxSeason = options.maxSeason ?? 24;
  return m > 1 && m <= maxSeason && (etsModelMask(options.model ?? 'ZZZ') & SEASONAL_MASK) !== 0;
}

/** Throws KERNEL_UNSUPPORTED when the call allows a seasonal model (see etsAllowsSeasonal). */
export function assertCudaEts(m: number, options: Pick<AutoEtsOptions, 'model' | 'maxSeason'>): void {
  if (etsAllowsSeasonal(m, options))
    throw new WaybillError(
      'KERNEL_UNSUPPORTED',
      `the CUDA AutoETS fits non-seasonal models only; seasonLength ${m} <= maxSeason ${options.maxSeason ?? 24} with model ${options.model ?? 'ZZZ'} allows seasonal ones: use backend 'native', or etsModel 'ZZN' / maxSeason < seasonLength`,
      { backend: 'cuda', seasonLength: m, etsModel: options.model ?? 'ZZZ' },
    );
}

/**
 * The CUDA fitter: the whole batch in one asynchronous addon call (the device runs every series
 * and model at once, so there is no split over threads). Rejects seasonal calls (assertCudaEts).
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
