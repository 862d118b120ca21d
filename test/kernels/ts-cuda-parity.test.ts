/**
 * The CUDA AutoETS (native/src/cuda/timeseries/ets_fit.cu, non-seasonal models ANN, AAN, AAdN,
 * MNN, MAN, MAdN) against the C++ CPU fitter, per (series, model): every candidate's fit
 * (allModels) on synthetic trended series of 10..2000 values and on the real non-seasonal sets
 * (M3 Yearly / Other, M4 Weekly where present). CUDA's log() may differ from glibc's in the last
 * bit, which can turn a Nelder-Mead comparison and send a search elsewhere, so the test asserts
 * loglik and AICc within 1e-9 relative and the parameters (alpha, beta, phi, level, trend, sigma2)
 * within 1e-6 on at least 99 % of fits, the same models fitted everywhere, and prints how many
 * fell outside. (The host-compiled kernel is bit-identical to the CPU: `waybill_tests ts`.)
 * Also the engine's dispatch: 'cuda' only when forced, the reason when there is no device,
 * KERNEL_UNSUPPORTED for seasonal calls. Without a device the parity tests are skipped and say why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseM4Csv, type SeriesBatch } from '../../src/data/m4.js';
import { toWaybillError } from '../../src/errors.js';
import { createEngine } from '../../src/index.js';
import { assertCudaEts, etsAllowsSeasonal, etsCudaStatus } from '../../src/kernels/timeseries/cuda.js';
import { ETS_NATIVE_MODELS, ETS_NATIVE_PARAMS, etsModelMask } from '../../src/kernels/timeseries/ets.js';
import { loadAddon } from '../../src/native/addon.js';
import { defaultDataDir } from '../../src/paths.js';
import { compareEtsFits, describeParity, relDiff } from '../helpers/ets-parity.js';
import { syntheticTrendedSeries } from '../helpers/ts-synthetic.js';

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

/** Every candidate's fit (allModels layout: count x 18 x 16) from the addon on one device. */
function fitAll(batch: SeriesBatch, device: 'cpu' | 'cuda', model = 'ZZN', tolerance = 5e-6): Float64Array {
  if (!load.ok) throw new Error(load.reason);
  const count = batch.ids.length;
  const outParams = new Float64Array(count * ETS_NATIVE_MODELS * ETS_NATIVE_PARAMS);
  load.addon.tsEtsFit({
    values: batch.values,
    offsets: batch.offsets,
    count,
    season: 1,
    maxIter: 800,
    tolerance,
    maxSeason: 24,
    modelMask: etsModelMask(model),
    allModels: true,
    outParams,
    outSeason: new Float64Array(count * ETS_NATIVE_MODELS),
    device,
    sync: true,
  });
  return outParams;
}

function expectParity(label: string, ref: Float64Array, got: Float64Array): void {
  const c = compareEtsFits(ref, got);
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
    await expect(ts.fitEts(batch, { backend: 'cuda', seasonLength: 12 })).rejects.toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    // Above maxSeason only non-seasonal models are allowed: the device takes it.
    expect((await ts.fitEts(batch, { backend: 'cuda', seasonLength: 52 })).backend).toBe('cuda');
    expect((await ts.fitEts(batch, { backend: 'cuda', seasonLength: 12, etsModel: 'ZZN' })).backend).toBe('cuda');
    // The default never picks the device.
    expect((await ts.fitEts(batch, {})).backend).toBe('native');
  });
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

  it.skipIf(!nativeOk)('the addon: device cuda rejects seasonal calls (UNSUPPORTED), or says it was built without CUDA', () => {
    if (!load.ok) return;
    const count = batch.ids.length;
    let err: unknown;
    try {
      load.addon.tsEtsFit({
        values: batch.values,
        offsets: batch.offsets,
        count,
        season: 4,
        maxIter: 800,
        tolerance: 5e-6,
        maxSeason: 24,
        modelMask: etsModelMask('ZZZ'),
        outParams: new Float64Array(count * ETS_NATIVE_PARAMS),
        outSeason: new Float64Array(count * 4),
        device: 'cuda',
        sync: true,
      });
    } catch (e) {
      err = e;
    }
    const w = toWaybillError(err);
    expect(w.code).toBe('KERNEL_UNSUPPORTED');
    expect(w.message).toMatch(/non-seasonal|without CUDA/);
  });

  it('seasonal calls are KERNEL_UNSUPPORTED on cuda', () => {
    expect(etsAllowsSeasonal(12, { model: 'ZZZ', maxSeason: 24 })).toBe(true);
    expect(etsAllowsSeasonal(12, { model: 'ZZN', maxSeason: 24 })).toBe(false);
    expect(etsAllowsSeasonal(52, { model: 'ZZZ', maxSeason: 24 })).toBe(false);
    expect(etsAllowsSeasonal(1, { model: 'ZZZ' })).toBe(false);
    expect(etsAllowsSeasonal(4, { model: 'MAM' })).toBe(true);
    expect(() => assertCudaEts(12, { model: 'ZZZ', maxSeason: 24 })).toThrow(expect.objectContaining({ code: 'KERNEL_UNSUPPORTED' }));
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
