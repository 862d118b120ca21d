/**
 * Parity of the C++ CPU GBDT (src/kernels/ml/native.ts) with the TypeScript reference (gbdt.ts)
 * on seeded synthetic sets (src/kernels/ml/synthetic.ts, with missing values and categorical
 * columns): every objective, with and without row / feature subsampling, a depth limit and L2,
 * more categories than bins (the "other" bin), the categorical guards on and off, early stopping on a validation set. The saved
 * models must be byte-identical (every split feature, threshold, category set, default direction,
 * gain and leaf value bit for bit), as must the loss histories (Tweedie's within 1e-12: its loss
 * value calls pow, where libm and V8 may differ in the last bit); predictions and Saabas
 * contributions agree within 1e-9 relative (they are in fact identical). Also: thread counts,
 * cancellation, and errors. Skipped, with the reason, when the addon lacks the GBDT kernels.
 */
import { describe, expect, it } from 'vitest';
import { type GbdtOptions, gbdtContributions, gbdtPredict, trainGbdt } from '../../src/kernels/ml/gbdt.js';
import { loadGbdtModel, saveGbdtModel } from '../../src/kernels/ml/gbdt-json.js';
import {
  nativeGbdtContributions,
  nativeGbdtPredict,
  nativeGbdtPredictSync,
  nativeGbdtStatus,
  nativeTrainGbdt,
  nativeTrainGbdtSync,
} from '../../src/kernels/ml/native.js';
import { makeSyntheticTabular, type SyntheticTask, splitRows } from '../../src/kernels/ml/synthetic.js';

const status = nativeGbdtStatus();
if (!status.ok) console.warn(`skipped: GBDT native parity: ${status.reason}`);
const label = status.ok ? '' : ` (skipped: ${status.reason})`;

function data(task: SyntheticTask, rows: number, seed: number, categories = 10) {
  const d = makeSyntheticTabular({ rows, task, numericFeatures: 6, categoricalFeatures: 2, categories, missingRate: 0.08, seed });
  const [train, valid] = splitRows(d, Math.floor(rows * 0.75));
  return { d, train, valid };
}

function worstRelative(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    const err = Math.abs(x - y) / Math.max(1e-12, Math.abs(y));
    if (err > worst || Number.isNaN(err)) worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
  }
  return worst;
}

const BASE: GbdtOptions = { numIterations: 25, learningRate: 0.2, maxLeaves: 15, minDataInLeaf: 10 };

// rows: 2,400 unless given; the 40,000-row cases reach the native core's threaded paths (row loops
// of >= 8,192 rows, histograms of >= 2^15 bin updates: by rows with gradient rounding, the
// default, by features without), which must not change a bit.
const CASES: Array<{ name: string; task: SyntheticTask; options: GbdtOptions; categories?: number; rows?: number }> = [
  { name: 'l2', task: 'regression', options: { objective: 'l2' } },
  { name: 'l1', task: 'regression', options: { objective: 'l1' } },
  { name: 'quantile 0.9', task: 'quantile', options: { objective: { name: 'quantile', alpha: 0.9 } } },
  { name: 'logistic', task: 'binary', options: { objective: 'logistic' } },
  { name: 'poisson', task: 'poisson', options: { objective: 'poisson' } },
  { name: 'tweedie 1.3', task: 'poisson', options: { objective: { name: 'tweedie', tweedieVariancePower: 1.3 } } },
  { name: 'l2 subsampled', task: 'regression', options: { objective: 'l2', subsample: 0.7, colsample: 0.6, seed: 11 } },
  { name: 'quantile subsampled', task: 'quantile', options: { objective: { name: 'quantile', alpha: 0.3 }, subsample: 0.5, seed: 3 } },
  { name: 'logistic subsampled', task: 'binary', options: { objective: 'logistic', subsample: 0.8, colsample: 0.5, seed: 5 } },
  { name: 'poisson subsampled', task: 'poisson', options: { objective: 'poisson', colsample: 0.4, seed: 9 } },
  { name: 'tweedie subsampled', task: 'poisson', options: { objective: 'tweedie', subsample: 0.6, seed: 1 } },
  {
    name: 'l2, depth 3, lambda, few bins, "other" categories',
    task: 'regression',
    options: { objective: 'l2', maxDepth: 3, lambdaL2: 2, maxBins: 12, catSmooth: 3, minSplitGain: 0.01 },
    categories: 40,
  },
  {
    name: 'l2, categorical guards: small groups, cap 3, catL2, one-vs-rest up to 6 categories',
    task: 'regression',
    options: { objective: 'l2', minDataPerGroup: 15, maxCatThreshold: 3, catL2: 4, maxCatToOnehot: 6, maxLeaves: 31, minDataInLeaf: 5 },
    categories: 30,
  },
  {
    name: 'logistic, categorical guards off (every category, no cap, no catL2, no one-vs-rest)',
    task: 'binary',
    options: { objective: 'logistic', minDataPerGroup: 1, maxCatThreshold: 255, catL2: 0, maxCatToOnehot: 0, maxBins: 20 },
    categories: 40,
  },
  {
    name: 'logistic, 40,000 rows (threaded row loops and histograms)',
    task: 'binary',
    rows: 40000,
    options: { objective: 'logistic', numIterations: 10, maxLeaves: 31, minSumHessianInLeaf: 1 },
  },
  {
    name: 'logistic, 40,000 rows, gradientRounding off (histograms threaded by features, rows in order)',
    task: 'binary',
    rows: 40000,
    options: { objective: 'logistic', numIterations: 10, maxLeaves: 31, minSumHessianInLeaf: 1, gradientRounding: false },
  },
  { name: 'l2, gradientRounding off', task: 'regression', options: { objective: 'l2', gradientRounding: false } },
  {
    name: 'poisson, 40,000 rows, subsampled (threaded row loops)',
    task: 'poisson',
    rows: 40000,
    options: { objective: 'poisson', numIterations: 10, subsample: 0.7, seed: 3 },
  },
  {
    name: 'logistic, bin sample, min hessian',
    task: 'binary',
    options: { objective: 'logistic', binSampleSize: 500, minSumHessianInLeaf: 1, maxLeaves: 40, minDataInLeaf: 3 },
  },
];

describe.skipIf(!status.ok)(`GBDT native vs TS reference${label}`, () => {
  for (const [k, c] of CASES.entries()) {
    it(`${c.name}: identical trees, losses and predictions`, async () => {
      const { d, train, valid } = data(c.task, c.rows ?? 2400, 100 + k, c.categories);
      const options: GbdtOptions = {
        ...BASE,
        ...c.options,
        categoricalFeatures: d.categoricalFeatures,
        featureNames: d.featureNames,
        valid,
      };
      const ts = trainGbdt(train, options);
      const nat = await nativeTrainGbdt(train, { ...options, threads: 2 });
      expect(saveGbdtModel(nat.model)).toBe(saveGbdtModel(ts.model));
      if (c.task === 'poisson' && JSON.stringify(c.options.objective).includes('tweedie')) {
        // The Tweedie loss value uses pow (libm vs V8's Math.pow: may differ in the last bit).
        expect(worstRelative(nat.trainLoss, ts.trainLoss)).toBeLessThanOrEqual(1e-12);
        expect(worstRelative(nat.validLoss ?? new Float64Array(0), ts.validLoss ?? new Float64Array(0))).toBeLessThanOrEqual(1e-12);
      } else {
        expect(Array.from(nat.trainLoss)).toEqual(Array.from(ts.trainLoss));
        expect(Array.from(nat.validLoss ?? [])).toEqual(Array.from(ts.validLoss ?? []));
      }
      expect([nat.iterations, nat.bestIteration, nat.stopReason]).toEqual([ts.iterations, ts.bestIteration, ts.stopReason]);
      const p = d.numFeatures;
      for (const raw of [false, true]) {
        const a = await nativeGbdtPredict(nat.model, d.features, p, { raw, threads: 3 });
        const b = gbdtPredict(ts.model, d.features, p, { raw });
        expect(worstRelative(a, b)).toBeLessThanOrEqual(1e-9);
      }
      const ca = await nativeGbdtContributions(nat.model, valid.features, p, { numIterations: 10 });
      const cb = gbdtContributions(ts.model, valid.features, p, { numIterations: 10 });
      expect(worstRelative(ca, cb)).toBeLessThanOrEqual(1e-9);
    });
  }

  it('early stopping keeps the best iteration, as the reference does', async () => {
    const { d, train, valid } = data('regression', 3000, 77);
    const options: GbdtOptions = {
      numIterations: 300,
      learningRate: 0.5,
      maxLeaves: 31,
      minDataInLeaf: 5,
      earlyStoppingRounds: 4,
      categoricalFeatures: d.categoricalFeatures,
      valid,
    };
    const ts = trainGbdt(train, options);
    const nat = nativeTrainGbdtSync(train, options);
    expect(ts.stopReason).toBe('early-stopping');
    expect(saveGbdtModel(nat.model)).toBe(saveGbdtModel(ts.model));
    expect([nat.iterations, nat.bestIteration, nat.stopReason]).toEqual([ts.iterations, ts.bestIteration, ts.stopReason]);
  });

  it('threads, sync / async and save / load give the same model and predictions', async () => {
    const { d, train } = data('binary', 3000, 5);
    const options: GbdtOptions = { ...BASE, objective: 'logistic', subsample: 0.8, categoricalFeatures: d.categoricalFeatures };
    const one = nativeTrainGbdtSync(train, { ...options, threads: 1 });
    const four = await nativeTrainGbdt(train, { ...options, threads: 4 });
    expect(saveGbdtModel(four.model)).toBe(saveGbdtModel(one.model));
    const loaded = loadGbdtModel(saveGbdtModel(one.model));
    const a = nativeGbdtPredictSync(loaded, d.features, d.numFeatures, { threads: 4 });
    const b = gbdtPredict(one.model, d.features, d.numFeatures);
    expect(worstRelative(a, b)).toBe(0);
  });

  it('progress is reported and an aborted signal keeps the best model so far', async () => {
    const { d, train, valid } = data('regression', 2000, 8);
    const seen: number[] = [];
    const done = await nativeTrainGbdt(train, { ...BASE, valid, onProgress: (p) => seen.push(p.iteration) });
    expect(seen.at(-1)).toBe(25);
    expect(seen.every((it, i) => i === 0 || it > (seen[i - 1] as number))).toBe(true);
    const ac = new AbortController();
    ac.abort();
    const aborted = await nativeTrainGbdt(train, { ...BASE, categoricalFeatures: d.categoricalFeatures, signal: ac.signal });
    expect(aborted.stopReason).toBe('aborted');
    expect(aborted.model.trees.length).toBe(0);
    expect(done.stopReason).toBe('completed');
  });

  it('bad input: the reference errors, before the addon is called', async () => {
    const { d, train } = data('regression', 200, 1);
    const nanLabels = { ...train, labels: Float64Array.from(train.labels, (y, i) => (i === 3 ? Number.NaN : y)) };
    await expect(nativeTrainGbdt(nanLabels)).rejects.toMatchObject({ code: 'NOT_FINITE' });
    await expect(nativeTrainGbdt(train, { objective: 'logistic' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const badCat = { ...train, features: Float64Array.from(train.features, (v, i) => (i === 6 ? 2.5 : v)) };
    await expect(nativeTrainGbdt(badCat, { categoricalFeatures: [6] })).rejects.toThrow(/not an integer code/);
    await expect(nativeTrainGbdt(train, { maxBins: 300 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const model = nativeTrainGbdtSync(train, { numIterations: 2 }).model;
    await expect(nativeGbdtPredict(model, d.features, d.numFeatures - 1)).rejects.toMatchObject({ code: 'INVALID_LENGTH' });
    await expect(nativeGbdtPredict(model, d.features, d.numFeatures, { threads: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
