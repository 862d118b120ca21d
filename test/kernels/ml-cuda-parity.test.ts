/**
 * CUDA GBDT prediction (native/src/cuda/ml/gbdt_predict.cu) against the C++ CPU prediction:
 * trained models with categorical columns and missing values, every objective's transform, raw
 * margins, the first k trees; bit-identical (leaves summed in tree order, V8's exp on the device).
 * Also the engine's dispatch: forced 'cuda', the automatic choice only with a device and a large
 * call, the reason when there is no device. Without a device the parity tests are skipped and
 * say why (the same logic compiled for the host is checked by `waybill_tests ml`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import type { GbdtModel } from '../../src/kernels/ml/gbdt.js';
import { CUDA_MIN_GBDT_PREDICT_WORK } from '../../src/kernels/ml/kernels.js';
import { nativeGbdtCudaStatus, nativeGbdtPredict, nativeGbdtStatus, nativeTrainGbdt } from '../../src/kernels/ml/native.js';
import type { ObjectiveName, ObjectiveSpec } from '../../src/kernels/ml/objectives.js';
import { makeSyntheticTabular, type SyntheticTask } from '../../src/kernels/ml/synthetic.js';

const native = nativeGbdtStatus();
const cuda = nativeGbdtCudaStatus();
const noCuda = cuda.ok ? '' : cuda.reason;
if (!cuda.ok) console.warn(`skipped: no CUDA device (${noCuda})`);
if (!native.ok) console.warn(`skipped: CUDA GBDT dispatch tests: native GBDT unavailable (${native.reason})`);
const cudaLabel = cuda.ok ? ` on ${cuda.device}` : ` (skipped: no CUDA device (${noCuda}))`;

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const ml = engine.kernels.ml;

/** Entries that are not bit-identical (Object.is: -0 and NaN count). */
function differing(got: Float64Array, ref: Float64Array): number {
  expect(got.length).toBe(ref.length);
  let n = 0;
  for (let k = 0; k < ref.length; k++) if (!Object.is(got[k], ref[k])) n++;
  return n;
}

const CASES: Array<[SyntheticTask, ObjectiveSpec | ObjectiveName]> = [
  ['regression', 'l2'],
  ['regression', 'l1'],
  ['quantile', { name: 'quantile', alpha: 0.8 }],
  ['binary', 'logistic'],
  ['poisson', 'poisson'],
  ['poisson', { name: 'tweedie', tweedieVariancePower: 1.3 }],
];

/** A model trained natively on a synthetic set (categorical columns, 8 % missing) and fresh rows to predict. */
async function trained(task: SyntheticTask, objective: (typeof CASES)[number][1], seed: number) {
  const opts = { numericFeatures: 7, categoricalFeatures: 3, categories: 12, missingRate: 0.08, task, seed };
  const train = makeSyntheticTabular({ ...opts, rows: 4000 });
  const fresh = makeSyntheticTabular({ ...opts, rows: 30011, seed: seed + 1000 });
  const { model } = await nativeTrainGbdt(train, {
    objective,
    numIterations: 40,
    maxLeaves: 31,
    minDataInLeaf: 10,
    minDataPerGroup: 20,
    categoricalFeatures: train.categoricalFeatures,
    threads: 2,
  });
  return { model, features: fresh.features, numFeatures: fresh.numFeatures };
}

describe(`CUDA GBDT prediction vs the C++ CPU${cudaLabel}`, () => {
  it.skipIf(!cuda.ok)('bit-identical for every objective, raw and transformed, all trees and the first 17', async () => {
    let seed = 1;
    for (const [task, objective] of CASES) {
      const { model, features, numFeatures } = await trained(task, objective, seed++);
      expect(model.trees.some((t) => t.catLeft.some((c) => c !== null))).toBe(true);
      for (const raw of [false, true]) {
        for (const numIterations of [undefined, 17, 0]) {
          const ref = await nativeGbdtPredict(model, features, numFeatures, { raw, numIterations, threads: 2 });
          const got = await nativeGbdtPredict(model, features, numFeatures, { raw, numIterations, device: 'cuda' });
          const name = typeof objective === 'string' ? objective : objective.name;
          expect(differing(got, ref), `${name} raw=${raw} trees=${numIterations ?? 'all'}`).toBe(0);
        }
      }
    }
  });

  it.skipIf(!cuda.ok)('a model whose trees depend on the rows: predictions vary, and NaN rows follow the default directions', async () => {
    const { model, features, numFeatures } = await trained('regression', 'l2', 50);
    const all = new Float64Array(features.length).fill(Number.NaN);
    const both = new Float64Array(features.length * 2);
    both.set(features);
    both.set(all, features.length);
    const ref = await nativeGbdtPredict(model, both, numFeatures, { threads: 2 });
    const got = await nativeGbdtPredict(model, both, numFeatures, { device: 'cuda' });
    expect(differing(got, ref)).toBe(0);
    const rows = features.length / numFeatures;
    expect(Math.max(...got.subarray(0, rows)) - Math.min(...got.subarray(0, rows))).toBeGreaterThan(1);
    // Every all-missing row takes the same path.
    expect(new Set(got.subarray(rows)).size).toBe(1);
  });

  it.skipIf(!cuda.ok)('the engine runs forced and large automatic predictions on cuda, small ones natively', async () => {
    const { model, features, numFeatures } = await trained('binary', 'logistic', 60);
    const forced = await ml.predict(model, features, numFeatures, { backend: 'cuda' });
    expect(forced.backend).toBe('cuda');
    const ref = await ml.predict(model, features, numFeatures, { backend: 'native' });
    expect(ref.backend).toBe('native');
    expect(differing(forced.predictions, ref.predictions)).toBe(0);
    const big = bigCall(model, numFeatures);
    expect((await ml.predict(model, big, numFeatures)).backend).toBe('cuda');
    expect((await ml.predict(model, features.subarray(0, 10 * numFeatures), numFeatures)).backend).toBe('native');
  });
});

/** Rows enough that rows x trees reaches CUDA_MIN_GBDT_PREDICT_WORK (all values 0.5: cheap to build). */
function bigCall(model: GbdtModel, numFeatures: number): Float64Array {
  const rows = Math.ceil(CUDA_MIN_GBDT_PREDICT_WORK / model.trees.length);
  return new Float64Array(rows * numFeatures).fill(0.5);
}

describe('CUDA GBDT dispatch', () => {
  it.skipIf(cuda.ok || !native.ok)(`without a device: forced cuda says why, automatic stays native (${noCuda})`, async () => {
    const { model, features, numFeatures } = await trained('regression', 'l2', 70);
    await expect(ml.predict(model, features, numFeatures, { backend: 'cuda' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      details: { backend: 'cuda' },
    });
    await expect(ml.predict(model, features, numFeatures, { backend: 'cuda' })).rejects.toThrow(noCuda);
    await expect(nativeGbdtPredict(model, features, numFeatures, { device: 'cuda' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    const big = bigCall(model, numFeatures);
    const out = await ml.predict(model, big, numFeatures);
    expect(out.backend).toBe('native');
    expect(out.predictions.length * model.trees.length).toBeGreaterThanOrEqual(CUDA_MIN_GBDT_PREDICT_WORK);
  });

  it.skipIf(!native.ok)('cuda runs GBDT prediction only; a bad device is an argument error', async () => {
    const { model, features, numFeatures } = await trained('regression', 'l2', 80);
    await expect(ml.contributions(model, features, numFeatures, { backend: 'cuda' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      details: { backend: 'cuda' },
    });
    await expect(nativeGbdtPredict(model, features, numFeatures, { device: 'gpu' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'device' },
    });
  });

  it.skipIf(!native.ok)('an engine without the cuda backend never uses it', async () => {
    const { model, numFeatures } = await trained('regression', 'l2', 90);
    const cpuOnly = createEngine({ workers: 0, backends: ['native', 'js'] });
    try {
      await expect(
        cpuOnly.kernels.ml.predict(model, new Float64Array(numFeatures), numFeatures, { backend: 'cuda' }),
      ).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        details: { backend: 'cuda' },
      });
      expect((await cpuOnly.kernels.ml.predict(model, bigCall(model, numFeatures), numFeatures)).backend).toBe('native');
    } finally {
      await cpuOnly.close();
    }
  });
});
