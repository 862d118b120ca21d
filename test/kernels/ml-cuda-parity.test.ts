/**
 * CUDA GBDT prediction (native/src/cuda/ml/gbdt_predict.cu) against the C++ CPU prediction:
 * trained models with categorical columns and missing values, every objective's transform, raw
 * margins, the first k trees; bit-identical (leaves summed in tree order, V8's exp on the device).
 * CUDA GBDT training (histograms on the device, native/src/cuda/ml/gbdt_hist.cu) against CPU
 * training: the same trees and losses, bit for bit (rounded gradients sum exactly in any order),
 * for every objective with subsampling, categorical columns and missing values.
 * Also the engine's dispatch: forced 'cuda', the automatic choice only with a device and a large
 * call, the reason when there is no device, KERNEL_UNSUPPORTED for CUDA training without
 * gradient rounding. Without a device the parity tests are skipped and say why (the same logic
 * compiled for the host is checked by `waybill_tests ml`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import type { GbdtModel, GbdtTrainResult } from '../../src/kernels/ml/gbdt.js';
import { CUDA_MIN_GBDT_PREDICT_WORK, CUDA_MIN_GBDT_TRAIN_WORK } from '../../src/kernels/ml/kernels.js';
import {
  nativeGbdtCudaStatus,
  nativeGbdtCudaTrainStatus,
  nativeGbdtPredict,
  nativeGbdtStatus,
  nativeTrainGbdt,
} from '../../src/kernels/ml/native.js';
import type { ObjectiveName, ObjectiveSpec } from '../../src/kernels/ml/objectives.js';
import { makeSyntheticTabular, type SyntheticTask } from '../../src/kernels/ml/synthetic.js';
import { loadAddon, type NativeGbdtTrainOptions } from '../../src/native/addon.js';

const native = nativeGbdtStatus();
const cuda = nativeGbdtCudaStatus();
const cudaTrain = nativeGbdtCudaTrainStatus();
const noCuda = cuda.ok ? '' : cuda.reason;
const noCudaTrain = cudaTrain.ok ? '' : cudaTrain.reason;
if (!cuda.ok) console.warn(`skipped: no CUDA device (${noCuda})`);
if (!cudaTrain.ok && cuda.ok) console.warn(`skipped: CUDA GBDT training (${noCudaTrain})`);
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

  it.skipIf(!native.ok)('cuda runs GBDT training and prediction only; a bad device is an argument error', async () => {
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

/** The first difference between two training results (trees bit for bit, losses), or ''. */
function modelDifference(a: GbdtTrainResult, b: GbdtTrainResult): string {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, k) => Object.is(v, y[k]));
  if (a.iterations !== b.iterations || a.bestIteration !== b.bestIteration || a.stopReason !== b.stopReason) return 'iterations';
  if (!Object.is(a.model.initScore, b.model.initScore)) return 'initScore';
  if (a.model.trees.length !== b.model.trees.length) return 'tree count';
  for (let t = 0; t < a.model.trees.length; t++) {
    const x = a.model.trees[t] as GbdtModel['trees'][number];
    const y = b.model.trees[t] as GbdtModel['trees'][number];
    for (const key of [
      'splitFeature',
      'threshold',
      'defaultLeft',
      'leftChild',
      'rightChild',
      'splitGain',
      'internalValue',
      'internalCount',
      'leafValue',
      'leafCount',
    ] as const)
      if (!same(x[key], y[key])) return `tree ${t} ${key}`;
    for (let i = 0; i < x.catLeft.length; i++) {
      const cx = x.catLeft[i];
      const cy = y.catLeft[i];
      if ((cx === null) !== (cy === null) || (cx && cy && !same(cx, cy))) return `tree ${t} catLeft[${i}]`;
    }
  }
  if (!same(a.trainLoss, b.trainLoss)) return 'trainLoss';
  if (!same(a.validLoss ?? [], b.validLoss ?? [])) return 'validLoss';
  return '';
}

/** A synthetic training set large enough that the root histograms go to the device (rows x features >= 2^16). */
function trainingSet(task: SyntheticTask, seed: number) {
  const opts = { numericFeatures: 7, categoricalFeatures: 3, categories: 12, missingRate: 0.08, task, seed };
  const train = makeSyntheticTabular({ ...opts, rows: 24_000 });
  const valid = makeSyntheticTabular({ ...opts, rows: 3000, seed: seed + 500 });
  return { train, valid: { features: valid.features, numFeatures: valid.numFeatures, labels: valid.labels } };
}

const cudaTrainLabel = cudaTrain.ok ? ` on ${cudaTrain.device}` : ` (skipped: no CUDA device (${noCudaTrain}))`;

describe(`CUDA GBDT training vs the C++ CPU${cudaTrainLabel}`, () => {
  it.skipIf(!cudaTrain.ok)('bit-identical trees and losses for every objective, with subsampling and categorical columns', async () => {
    let seed = 200;
    for (const [k, [task, objective]] of CASES.entries()) {
      const { train, valid } = trainingSet(task, seed++);
      const options = {
        objective,
        numIterations: 15,
        maxLeaves: 31,
        minDataInLeaf: 10,
        minDataPerGroup: 20,
        subsample: k % 2 === 0 ? 1 : 0.8,
        colsample: k % 3 === 0 ? 1 : 0.7,
        categoricalFeatures: train.categoricalFeatures,
        valid,
        earlyStoppingRounds: k === 3 ? 3 : 0,
        seed: k,
        threads: 2,
      };
      const ref = await nativeTrainGbdt(train, options);
      const got = await nativeTrainGbdt(train, { ...options, device: 'cuda' });
      const name = typeof objective === 'string' ? objective : objective.name;
      expect(ref.model.trees.some((t) => t.catLeft.some((c) => c !== null))).toBe(true);
      expect(modelDifference(got, ref), name).toBe('');
    }
  });

  it.skipIf(!cudaTrain.ok)('the engine trains on cuda when forced (the native model) and automatically only on large sets', async () => {
    const { train } = trainingSet('regression', 300);
    const options = { objective: 'l2' as const, numIterations: 10, categoricalFeatures: train.categoricalFeatures };
    const forced = await ml.train(train, { ...options, backend: 'cuda' });
    expect(forced.backend).toBe('cuda');
    const ref = await ml.train(train, { ...options, backend: 'native' });
    expect(modelDifference(forced, ref)).toBe('');
    expect((await ml.train(train, options)).backend).toBe('native');
    expect((await ml.train(bigTrainingSet(), { numIterations: 1, maxLeaves: 2 })).backend).toBe('cuda');
  });
});

/** A set of rows x features = CUDA_MIN_GBDT_TRAIN_WORK (10 constant features: cheap to bin and to train one stump). */
function bigTrainingSet() {
  const numFeatures = 10;
  const rows = Math.ceil(CUDA_MIN_GBDT_TRAIN_WORK / numFeatures);
  return { features: new Float64Array(rows * numFeatures).fill(0.5), numFeatures, labels: new Float64Array(rows) };
}

describe('CUDA GBDT training dispatch', () => {
  it.skipIf(cudaTrain.ok || !native.ok)(
    `without a device: forced cuda training says why, automatic stays native (${noCudaTrain})`,
    async () => {
      const { train } = trainingSet('regression', 400);
      await expect(ml.train(train, { numIterations: 2, backend: 'cuda' })).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        details: { backend: 'cuda' },
      });
      await expect(ml.train(train, { numIterations: 2, backend: 'cuda' })).rejects.toThrow(noCudaTrain);
      await expect(nativeTrainGbdt(train, { numIterations: 2, device: 'cuda' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      const out = await ml.train(bigTrainingSet(), { numIterations: 1, maxLeaves: 2 });
      expect(out.backend).toBe('native');
    },
  );

  it('gradientRounding false with cuda is KERNEL_UNSUPPORTED, device or not', async () => {
    const { train } = trainingSet('regression', 500);
    const options = { numIterations: 2, gradientRounding: false };
    await expect(ml.train(train, { ...options, backend: 'cuda' })).rejects.toMatchObject({
      code: 'KERNEL_UNSUPPORTED',
      details: { field: 'gradientRounding', backend: 'cuda' },
    });
    await expect(ml.train(train, { ...options, backend: 'cuda' })).rejects.toThrow(/needs gradientRounding: true/);
    await expect(nativeTrainGbdt(train, { ...options, device: 'cuda' })).rejects.toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    await expect(nativeTrainGbdt(train, { ...options, device: 'gpu' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'device' },
    });
  });

  it.skipIf(!native.ok)(
    'the addon refuses too: UNSUPPORTED without rounding; without a device UNSUPPORTED or CUDA_ERROR with the reason',
    () => {
      const load = loadAddon();
      if (!load.ok || !load.addon.gbdtTrain) throw new Error('addon not loaded');
      expect(load.addon.gbdtTrainDevices).toEqual(['cpu', 'cuda']);
      const { train } = trainingSet('regression', 600);
      const rows = train.labels.length;
      const call = (more: Partial<NativeGbdtTrainOptions>) =>
        load.addon.gbdtTrain?.({
          features: train.features,
          labels: train.labels,
          rows,
          numFeatures: train.numFeatures,
          numIterations: 2,
          sync: true,
          ...more,
        } as NativeGbdtTrainOptions);
      expect(() => call({ device: 'cuda', gradientRounding: false })).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/gradientRounding/) }),
      );
      expect(() => call({ device: 'gpu' as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      if (!cudaTrain.ok) {
        let err: { code?: string; message?: string } = {};
        try {
          call({ device: 'cuda' });
        } catch (e) {
          err = e as typeof err;
        }
        expect(['UNSUPPORTED', 'CUDA_ERROR']).toContain(err.code);
        expect(err.message).toMatch(/CUDA|cuda/);
      }
    },
  );

  it.skipIf(!native.ok)('an engine without the cuda backend never trains on it', async () => {
    const cpuOnly = createEngine({ workers: 0, backends: ['native', 'js'] });
    try {
      const { train } = trainingSet('regression', 700);
      await expect(cpuOnly.kernels.ml.train(train, { numIterations: 2, backend: 'cuda' })).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        details: { backend: 'cuda' },
      });
      expect((await cpuOnly.kernels.ml.train(train, { numIterations: 2 })).backend).toBe('native');
    } finally {
      await cpuOnly.close();
    }
  });
});
