/**
 * The CUDA AutoETS (native/src/cuda/timeseries/ets_fit.cu) against the C++ CPU fitter, per
 * (series, model): every candidate's fit (allModels) on synthetic trended series of 10..2000
 * values and on the real non-seasonal sets (M3 Yearly / Other, M4 Weekly where present) with
 * AutoETS 'ZZN', and with every model ('ZZZ') on synthetic seasonal series (m = 4, 12, 24) and
 * the real seasonal sets (M3 Quarterly m = 4, M3 Monthly m = 12, M4 Hourly m = 24). CUDA's log()
 * may differ from glibc's in the last bit, which can turn a Nelder-Mead comparison and send a
 * search elsewhere, so the test asserts loglik and AICc within 1e-9 relative and the parameters
 * (alpha, beta, gamma, phi, level, trend, sigma2) and seasonal states within 1e-6 on at least
 * 99 % of fits, the same models fitted everywhere, and prints how many fell outside. (The
 * host-compiled kernel is bit-identical to the CPU: `waybill_tests ts`.)
 * Also the engine's dispatch: 'cuda' only when forced, the reason when there is no device,
 * KERNEL_UNSUPPORTED for seasonal calls above the device's season limit (24). Without a device
 * the parity tests are skipped and say why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseM4Csv, type SeriesBatch } from '../../src/data/m4.js';
import { toWaybillError } from '../../src/errors.js';
import { createEngine } from '../../src/index.js';
import {
  assertCudaEts,
  CUDA_ETS_MAX_SEASON,
  cudaEtsMaxSeason,
  etsCudaSeasonUnsupported,
  etsCudaStatus,
} from '../../src/kernels/timeseries/cuda.js';
import { ETS_NATIVE_MODELS, ETS_NATIVE_PARAMS, etsModelMask } from '../../src/kernels/timeseries/ets.js';
import { loadAddon } from '../../src/native/addon.js';
import { defaultDataDir } from '../../src/paths.js';
import { compareEtsFits, describeParity, relDiff } from '../helpers/ets-parity.js';
import { syntheticSeasonalSeries, syntheticTrendedSeries } from '../helpers/ts-synthetic.js';

const load = loadAddon();
const nativeOk = load.ok;
const cuda = etsCudaStatus();
const noCuda = cuda.ok ? '' : cuda.reason;
if (!cuda.ok) console.warn(`skipped: no CUDA device (${noCuda})`);
if (!nativeOk) console.warn(`skipped: CUDA AutoETS dispatch tests: native addon unavailable (${load.ok ? '' : load.reason})`);
const cudaLabel = cuda.ok ? ` on ${cuda.device}` : ` (skipped: no CUDA device (${noCuda}))`;

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const ts = engine.kernels.timeseries;

const TS = join(defaultDataDir(), 'ts');
const REAL: Array<[string, string]> = [
  ['M3 Yearly', join(TS, 'm3', 'Yearly-train.csv')],
  ['M3 Other', join(TS, 'm3', 'Other-train.csv')],
  ['M4 Weekly', join(TS, 'm4', 'Weekly-train.csv')],
];
// The seasonal sets fit all 15 models on one CPU thread for the reference (up to a minute for M4
// Hourly on a slow machine), hence the longer timeouts below.
const REAL_SEASONAL: Array<[string, string, number]> = [
  ['M3 Quarterly', join(TS, 'm3', 'Quarterly-train.csv'), 4],
  ['M3 Monthly', join(TS, 'm3', 'Monthly-train.csv'), 12],
  ['M4 Hourly', join(TS, 'm4', 'Hourly-train.csv'), 24],
];

interface AllFits {
  /** count x 18 x 16 */
  params: Float64Array;
  /** count x 18 x season */
  season: Float64Array;
}

/** Every candidate's fit (allModels layout) from the addon on one device. */
function fitAll(batch: SeriesBatch, device: 'cpu' | 'cuda', model = 'ZZN', tolerance = 5e-6, season = 1): AllFits {
  if (!load.ok) throw new Error(load.reason);
  const count = batch.ids.length;
  const out: AllFits = {
    params: new Float64Array(count * ETS_NATIVE_MODELS * ETS_NATIVE_PARAMS),
    season: new Float64Array(count * ETS_NATIVE_MODELS * season),
  };
  load.addon.tsEtsFit({
    values: batch.values,
    offsets: batch.offsets,
    count,
    season,
    maxIter: 800,
    tolerance,
    maxSeason: 24,
    modelMask: etsModelMask(model),
    allModels: true,
    outParams: out.params,
    outSeason: out.season,
    device,
    sync: true,
  });
  return out;
}

/** Seasonal fits (code with a season) in an all-models output. */
function seasonalFits(f: AllFits): number {
  let n = 0;
  for (let k = 0; k < f.params.length; k += ETS_NATIVE_PARAMS) if ((f.params[k] as number) >= 0 && (f.params[k] as number) % 3 !== 0) n++;
  return n;
}

function expectParity(label: string, ref: AllFits, got: AllFits, m = 1): void {
  const c = compareEtsFits(ref.params, got.params, { ref: ref.season, got: got.season, m });
  console.log(describeParity(label, c));
  expect(c.presence, `${label}: slots fitted on one side only`).toBe(0);
  expect(c.fits).toBeGreaterThan(0);
  expect(c.outside * 100, `${label}: ${c.outside} of ${c.fits} fits outside tolerance`).toBeLessThanOrEqual(c.fits);
}

describe(`CUDA AutoETS vs the C++ CPU fitter${cudaLabel}`, () => {
  it.skipIf(!cuda.ok)('synthetic trended series of 10..2000 values: every (series, model) fit', () => {
    const batch = syntheticTrendedSeries(3000, 42);
    expectParity('synthetic, 3000 series', fitAll(batch, 'cpu'), fitAll(batch, 'cuda'));
  });

  it.skipIf(!cuda.ok)('fully converged searches (tolerance 1e-9)', () => {
    const batch = syntheticTrendedSeries(400, 7);
    expectParity('synthetic, tolerance 1e-9', fitAll(batch, 'cpu', 'ZZN', 1e-9), fitAll(batch, 'cuda', 'ZZN', 1e-9));
  });

  for (const [name, path] of REAL) {
    it.skipIf(!cuda.ok || !existsSync(path))(`${name}: every (series, model) fit`, () => {
      const batch = parseM4Csv(readFileSync(path, 'utf8'));
      expectParity(name, fitAll(batch, 'cpu'), fitAll(batch, 'cuda'));
    });
  }

  for (const m of [4, 12, 24]) {
    it.skipIf(!cuda.ok)(
      `synthetic seasonal series, m = ${m}: every (series, model) fit of ZZZ`,
      () => {
        const batch = syntheticSeasonalSeries(m === 24 ? 300 : 1000, m, 100 + m);
        const ref = fitAll(batch, 'cpu', 'ZZZ', 5e-6, m);
        expect(seasonalFits(ref)).toBeGreaterThan(batch.ids.length);
        expectParity(`synthetic seasonal m = ${m}`, ref, fitAll(batch, 'cuda', 'ZZZ', 5e-6, m), m);
      },
      120_000,
    );
  }

  it.skipIf(!cuda.ok)(
    'synthetic seasonal series, m = 12, fully converged searches (tolerance 1e-9)',
    () => {
      const batch = syntheticSeasonalSeries(300, 12, 9);
      expectParity(
        'synthetic seasonal m = 12, tolerance 1e-9',
        fitAll(batch, 'cpu', 'ZZZ', 1e-9, 12),
        fitAll(batch, 'cuda', 'ZZZ', 1e-9, 12),
        12,
      );
    },
    120_000,
  );

  for (const [name, path, m] of REAL_SEASONAL) {
    it.skipIf(!cuda.ok || !existsSync(path))(
      `${name} (m = ${m}): every (series, model) fit of ZZZ`,
      () => {
        const batch = parseM4Csv(readFileSync(path, 'utf8'));
        const ref = fitAll(batch, 'cpu', 'ZZZ', 5e-6, m);
        expect(seasonalFits(ref)).toBeGreaterThan(batch.ids.length);
        expectParity(name, ref, fitAll(batch, 'cuda', 'ZZZ', 5e-6, m), m);
      },
      120_000,
    );
  }

  it.skipIf(!cuda.ok)('the engine: fitEts and forecast with backend cuda', async () => {
    const batch = syntheticTrendedSeries(500, 3, 300);
    const a = await ts.fitEts(batch, { backend: 'cuda', etsCombine: 'select' });
    const b = await ts.fitEts(batch, { backend: 'native', etsCombine: 'select', workers: 2 });
    expect(a.backend).toBe('cuda');
    let same = 0;
    a.fits.forEach((f, i) => {
      const g = b.fits[i];
      if (f && g && f.spec.error === g.spec.error && f.spec.trend === g.spec.trend && relDiff(f.aicc, g.aicc) <= 1e-9) same++;
    });
    expect(same).toBeGreaterThanOrEqual(0.99 * a.fits.filter((f) => f).length);
    const f = await ts.forecast(batch, { model: 'ets', horizon: 6, backend: 'cuda' });
    expect(f.backend).toBe('cuda');
    expect(Array.from(f.mean).filter((v) => Number.isFinite(v)).length).toBe(500 * 6);
    // Seasonal models above the device's season limit but within maxSeason: unsupported.
    await expect(ts.fitEts(batch, { backend: 'cuda', seasonLength: 52, maxSeason: 60 })).rejects.toMatchObject({
      code: 'KERNEL_UNSUPPORTED',
    });
    // Above maxSeason only non-seasonal models are allowed: the device takes it.
    expect((await ts.fitEts(batch, { backend: 'cuda', seasonLength: 52 })).backend).toBe('cuda');
    expect((await ts.fitEts(batch, { backend: 'cuda', seasonLength: 52, maxSeason: 60, etsModel: 'ZZN' })).backend).toBe('cuda');
    // The default never picks the device.
    expect((await ts.fitEts(batch, {})).backend).toBe('native');
  });

  it.skipIf(!cuda.ok)(
    'the engine: seasonal fitEts and forecast with backend cuda (m = 12)',
    async () => {
      const batch = syntheticSeasonalSeries(400, 12, 77);
      const a = await ts.fitEts(batch, { backend: 'cuda', seasonLength: 12, etsCombine: 'select' });
      const b = await ts.fitEts(batch, { backend: 'native', seasonLength: 12, etsCombine: 'select', workers: 2 });
      expect(a.backend).toBe('cuda');
      let same = 0;
      let seasonal = 0;
      a.fits.forEach((f, i) => {
        const g = b.fits[i];
        if (f && f.spec.season !== 'N') seasonal++;
        if (
          f &&
          g &&
          f.spec.error === g.spec.error &&
          f.spec.trend === g.spec.trend &&
          f.spec.season === g.spec.season &&
          relDiff(f.aicc, g.aicc) <= 1e-9
        )
          same++;
      });
      expect(seasonal).toBeGreaterThan(0);
      expect(same).toBeGreaterThanOrEqual(0.99 * a.fits.filter((f) => f).length);
      const f = await ts.forecast(batch, { model: 'ets', horizon: 12, seasonLength: 12, backend: 'cuda' });
      expect(f.backend).toBe('cuda');
      expect(Array.from(f.mean).filter((v) => Number.isFinite(v)).length).toBe(400 * 12);
    },
    120_000,
  );
});

describe('CUDA AutoETS dispatch', () => {
  const batch = syntheticTrendedSeries(20, 5, 60);

  it.skipIf(cuda.ok || !nativeOk)(`without a device: forced cuda says why, the default stays native (${noCuda})`, async () => {
    await expect(ts.fitEts(batch, { backend: 'cuda' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      details: { backend: 'cuda' },
    });
    await expect(ts.fitEts(batch, { backend: 'cuda' })).rejects.toThrow(noCuda);
    await expect(ts.forecast(batch, { model: 'ets', horizon: 3, backend: 'cuda' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    const d = await ts.fitEts(batch, {});
    expect(d.backend).toBe('native');
    expect(d.fits.filter((f) => f).length).toBe(20);
  });

  it.skipIf(!nativeOk)(
    'the addon: device cuda rejects seasonal calls above its season limit (UNSUPPORTED), or says it was built without CUDA',
    () => {
      if (!load.ok) return;
      expect(load.addon.tsEtsCudaMaxSeason).toBe(CUDA_ETS_MAX_SEASON);
      expect(cudaEtsMaxSeason()).toBe(CUDA_ETS_MAX_SEASON);
      const count = batch.ids.length;
      let err: unknown;
      try {
        load.addon.tsEtsFit({
          values: batch.values,
          offsets: batch.offsets,
          count,
          season: 30,
          maxIter: 800,
          tolerance: 5e-6,
          maxSeason: 40,
          modelMask: etsModelMask('ZZZ'),
          outParams: new Float64Array(count * ETS_NATIVE_PARAMS),
          outSeason: new Float64Array(count * 30),
          device: 'cuda',
          sync: true,
        });
      } catch (e) {
        err = e;
      }
      const w = toWaybillError(err);
      expect(w.code).toBe('KERNEL_UNSUPPORTED');
      expect(w.message).toMatch(/season <= 24|without CUDA/);
    },
  );

  it('seasonal calls above the device season limit are KERNEL_UNSUPPORTED on cuda', () => {
    const limit = CUDA_ETS_MAX_SEASON;
    expect(etsCudaSeasonUnsupported(12, { model: 'ZZZ', maxSeason: 24 }, limit)).toBe(false);
    expect(etsCudaSeasonUnsupported(24, { model: 'ZZZ', maxSeason: 24 }, limit)).toBe(false);
    expect(etsCudaSeasonUnsupported(30, { model: 'ZZZ', maxSeason: 40 }, limit)).toBe(true);
    expect(etsCudaSeasonUnsupported(30, { model: 'ZZN', maxSeason: 40 }, limit)).toBe(false);
    expect(etsCudaSeasonUnsupported(52, { model: 'ZZZ', maxSeason: 24 }, limit)).toBe(false);
    expect(etsCudaSeasonUnsupported(30, { model: 'MAM', maxSeason: 40 }, limit)).toBe(true);
    // An addon built before seasonal models ran on CUDA (limit 1): every seasonal call.
    expect(etsCudaSeasonUnsupported(4, { model: 'MAM' }, 1)).toBe(true);
    expect(etsCudaSeasonUnsupported(1, { model: 'ZZZ' }, 1)).toBe(false);
    expect(() => assertCudaEts(30, { model: 'ZZZ', maxSeason: 40 }, limit)).toThrow(
      expect.objectContaining({ code: 'KERNEL_UNSUPPORTED', message: expect.stringMatching(/seasonLength <= 24/) }),
    );
    expect(() => assertCudaEts(12, { model: 'ZZZ', maxSeason: 24 }, limit)).not.toThrow();
    expect(() => assertCudaEts(4, { model: 'ZZZ' }, 1)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/build:native/) }),
    );
  });

  it('an engine without the cuda backend never uses it', async () => {
    const cpuOnly = createEngine({ workers: 0, backends: ['native', 'js'] });
    try {
      await expect(cpuOnly.kernels.timeseries.fitEts(batch, { backend: 'cuda' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      expect((await cpuOnly.kernels.timeseries.fitEts(batch, {})).backend).not.toBe('cuda');
    } finally {
      await cpuOnly.close();
    }
  });

  it.skipIf(!cuda.ok)('forecast models other than ets / comb are KERNEL_UNSUPPORTED on cuda', async () => {
    await expect(ts.forecast(batch, { model: 'theta', horizon: 3, backend: 'cuda' })).rejects.toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
  });
});
