/**
 * Histogram GBDT (TS reference): hand-checked tiny trees (threshold, gain, leaf values, missing
 * direction, categorical partition), then the objectives on held-out data, determinism,
 * early stopping and abort, Saabas contributions, and save -> load -> predict.
 */
import { describe, expect, it } from 'vitest';
import {
  gbdtContributions,
  gbdtImportance,
  gbdtPredict,
  gridAnchor,
  roundToGrid,
  trainGbdt,
  trainGbdtAsync,
} from '../../src/kernels/ml/gbdt.js';
import { GBDT_FORMAT_VERSION, loadGbdtModel, saveGbdtModel } from '../../src/kernels/ml/gbdt-json.js';
import { coverage, meanAbsoluteError, poissonDeviance, rmse, rocAuc, tweedieDeviance } from '../../src/kernels/ml/metrics.js';
import { gaussian, mulberry32 } from '../../src/kernels/ml/random.js';
import { makeSyntheticTabular, splitRows } from '../../src/kernels/ml/synthetic.js';

const f64 = (a: number[]) => Float64Array.from(a);

/** n rows of p uniform [0, 1) features and a label from `label(row, rng)`. */
function dataset(n: number, p: number, seed: number, label: (x: Float64Array, rng: () => number) => number) {
  const rng = mulberry32(seed);
  const features = new Float64Array(n * p);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < p; f++) features[i * p + f] = rng();
    labels[i] = label(features.subarray(i * p, i * p + p), rng);
  }
  return { features, numFeatures: p, labels };
}

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('GBDT: hand-checked trees', () => {
  it('one L2 split: midpoint threshold, gain G_L^2/(H_L+l) + G_R^2/(H_R+l) - G^2/(H+l), Newton leaves', () => {
    const train = { features: f64([1, 2, 3, 4]), numFeatures: 1, labels: f64([0, 0, 10, 10]) };
    const { model } = trainGbdt(train, { numIterations: 1, learningRate: 1, minDataInLeaf: 1, maxLeaves: 2, lambdaL2: 1 });
    const t = model.trees[0];
    expect(model.initScore).toBe(5);
    expect(t?.numLeaves).toBe(2);
    expect(t?.threshold[0]).toBe(2.5);
    // grads f - y = 5, 5, -5, -5: left G = 10, H = 2 -> -10/3; right +10/3; gain 100/3 + 100/3 - 0.
    expect(t?.splitGain[0]).toBeCloseTo(200 / 3, 12);
    expect(Array.from(t?.leafValue ?? [])).toEqual([-10 / 3, 10 / 3]);
    expect(Array.from(gbdtPredict(model, f64([2.5, 2.50001, -100, 100]), 1))).toEqual([5 - 10 / 3, 5 + 10 / 3, 5 - 10 / 3, 5 + 10 / 3]);
    expect(gbdtImportance(model)[0]).toBeCloseTo(200 / 3, 12);
    expect(gbdtImportance(model, 'split')[0]).toBe(1);
  });

  it('missing values learn a default direction (missing-only split, and missing grouped with low values)', () => {
    // Exact sums (no gradient rounding), so the leaf means are exactly 0 and 10.
    const opts = { numIterations: 1, learningRate: 1, minDataInLeaf: 1, maxLeaves: 2, gradientRounding: false };
    const a = trainGbdt({ features: f64([1, 2, 3, Number.NaN, Number.NaN]), numFeatures: 1, labels: f64([0, 0, 0, 10, 10]) }, opts).model;
    expect(a.trees[0]?.threshold[0]).toBe(Number.POSITIVE_INFINITY);
    expect(a.trees[0]?.defaultLeft[0]).toBe(0);
    expect(Array.from(gbdtPredict(a, f64([Number.NaN, 1e9]), 1))).toEqual([10, 0]);
    const b = trainGbdt(
      { features: f64([1, 2, Number.NaN, Number.NaN, 8, 9]), numFeatures: 1, labels: f64([0, 0, 0, 0, 10, 10]) },
      opts,
    ).model;
    expect(b.trees[0]?.threshold[0]).toBe(5);
    expect(b.trees[0]?.defaultLeft[0]).toBe(1);
    expect(Array.from(gbdtPredict(b, f64([Number.NaN, 0, 7]), 1))).toEqual([0, 0, 10]);
  });

  it('gradient rounding (the default) moves a value by at most n * 2^-51 of the largest gradient; off gives the exact sums', () => {
    const train = { features: f64([1, 2, Number.NaN, Number.NaN, 8, 9]), numFeatures: 1, labels: f64([0, 0, 0, 0, 10, 10]) };
    const opts = { numIterations: 1, learningRate: 1, minDataInLeaf: 1, maxLeaves: 2 };
    const exact = trainGbdt(train, { ...opts, gradientRounding: false }).model;
    const rounded = trainGbdt(train, opts).model;
    expect(rounded.params.gradientRounding).toBe(true);
    expect(Array.from(gbdtPredict(exact, f64([Number.NaN, 0, 7]), 1))).toEqual([0, 0, 10]);
    // Gradients up to 20 / 3 on 6 rows: R = 2^7, grid 2^-45; the leaf means move by less than that.
    const got = gbdtPredict(rounded, f64([Number.NaN, 0, 7]), 1);
    for (const [i, want] of [0, 0, 10].entries()) expect(Math.abs((got[i] as number) - want)).toBeLessThan(2 ** -44);
    expect(got[2]).not.toBe(10); // the test can tell rounding on from off
    expect(() => trainGbdt(train, { ...opts, gradientRounding: 'yes' as unknown as boolean })).toThrow(
      /gradientRounding must be a boolean/,
    );
  });

  it('gridAnchor / roundToGrid: R = 2^(e + 1) above n * max, exact sums in any order, positive hessians stay positive', () => {
    expect(gridAnchor(20 / 3, 6)).toBe(128);
    expect(gridAnchor(0.25, 4)).toBe(4); // n * max = 1 = 2^0 < 2^1: R = 2^2
    expect(gridAnchor(0, 10)).toBe(0);
    expect(gridAnchor(Number.POSITIVE_INFINITY, 10)).toBe(0);
    const g = Float64Array.from(
      { length: 1000 },
      (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) - 0.5,
    );
    roundToGrid(g, false);
    const forward = g.reduce((s, v) => s + v, 0);
    const backward = [...g].reverse().reduce((s, v) => s + v, 0);
    const shuffled = [...g].sort().reduce((s, v) => s + v, 0);
    expect(backward).toBe(forward);
    expect(shuffled).toBe(forward);
    const h = Float64Array.from([1, 1e-16, 0.5, 1e-300]);
    roundToGrid(h, true);
    const step = gridAnchor(1, 4) * 2 ** -52;
    expect(Array.from(h)).toEqual([1, step, 0.5, step]);
  });

  it('categorical features split natively: one split separates interleaved categories; unseen ones go right', () => {
    const codes = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5];
    const labels = f64(codes.map((c) => (c % 2 === 1 ? 10 : 0)));
    const opts = { numIterations: 1, learningRate: 1, minDataInLeaf: 1, maxLeaves: 2, catSmooth: 0, minDataPerGroup: 1 };
    const { model } = trainGbdt({ features: f64(codes), numFeatures: 1, labels }, { ...opts, categoricalFeatures: [0] });
    expect(Array.from(model.trees[0]?.catLeft[0] ?? [])).toEqual([1, 3, 5]);
    expect(Array.from(gbdtPredict(model, f64([0, 1, 2, 3, 4, 5, 7, 1.5]), 1))).toEqual([0, 10, 0, 10, 0, 10, 0, 0]);
    // As a numeric feature one split cannot do it.
    const numeric = trainGbdt({ features: f64(codes), numFeatures: 1, labels }, opts).model;
    expect(rmse(labels, gbdtPredict(numeric, f64(codes), 1))).toBeGreaterThan(3);
  });

  it('constant features never split and are not an error; the prediction is then the mean', () => {
    const n = 50;
    const train = { features: new Float64Array(n * 2).fill(3), numFeatures: 2, labels: Float64Array.from({ length: n }, (_, i) => i % 7) };
    const r = trainGbdt(train, { numIterations: 5, minDataInLeaf: 1 });
    expect(r.model.trees.every((t) => t.numLeaves === 1)).toBe(true);
    expect(gbdtPredict(r.model, f64([3, 3]), 2)[0]).toBeCloseTo(mean(train.labels), 12);
    expect(Array.from(gbdtImportance(r.model))).toEqual([0, 0]);
  });

  it('leaf-wise growth respects maxLeaves, maxDepth and minDataInLeaf', () => {
    const train = dataset(2000, 3, 5, (x) => Math.sin(6 * (x[0] as number)) + (x[1] as number));
    const deep = trainGbdt(train, { numIterations: 3, maxLeaves: 12, minDataInLeaf: 30 }).model;
    for (const t of deep.trees) {
      expect(t.numLeaves).toBe(12);
      expect(Math.min(...t.leafCount)).toBeGreaterThanOrEqual(30);
      expect(t.leafCount.reduce((s, c) => s + c, 0)).toBe(2000);
    }
    const shallow = trainGbdt(train, { numIterations: 3, maxLeaves: 31, maxDepth: 2, minDataInLeaf: 5 }).model;
    for (const t of shallow.trees) expect(t.numLeaves).toBe(4);
  });
});

describe('GBDT: categorical split guards (one split each)', () => {
  const one = { numIterations: 1, learningRate: 1, maxLeaves: 2, minDataInLeaf: 1, catSmooth: 0 };
  /** Rows of one categorical feature: `count` rows of each code, label = mean of that code. */
  function catRows(groups: Array<{ code: number; count: number; mean: number }>) {
    const x: number[] = [];
    const y: number[] = [];
    for (const g of groups)
      for (let i = 0; i < g.count; i++) {
        x.push(g.code);
        y.push(g.mean);
      }
    return { features: f64(x), numFeatures: 1, labels: f64(y) };
  }
  const catLeft = (model: ReturnType<typeof trainGbdt>['model']) => Array.from(model.trees[0]?.catLeft[0] ?? []);

  it('minDataPerGroup: rare categories stay out of the partition and go right', () => {
    // Codes 0..5 with 40 rows each (means 0 / 10 alternating), codes 6..9 with 3 rows at 100.
    const groups = [0, 1, 2, 3, 4, 5].map((code) => ({ code, count: 40, mean: code % 2 ? 10 : 0 }));
    for (const code of [6, 7, 8, 9]) groups.push({ code, count: 3, mean: 100 });
    const train = catRows(groups);
    const opts = { ...one, categoricalFeatures: [0], catL2: 0 };
    // Without the guard the 12 rare rows are split off (they carry most of the variance); the
    // two scans reach that partition from either end, so either side may be the left set.
    const loose = trainGbdt(train, { ...opts, minDataPerGroup: 1 }).model;
    expect([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9],
    ]).toContainEqual(catLeft(loose));
    const guarded = trainGbdt(train, { ...opts, minDataPerGroup: 20 }).model;
    expect(catLeft(guarded)).toEqual([0, 2, 4]);
    // Rare and unseen codes follow the right side (with the odd codes).
    const p = gbdtPredict(guarded, f64([0, 1, 6, 42]), 1);
    expect(p[1]).toBeCloseTo(p[2] as number, 12);
    expect(p[3]).toBeCloseTo(p[2] as number, 12);
    expect(p[0]).toBeLessThan(p[1] as number);
  });

  it('maxCatThreshold caps the left side; the descending scan finds a small set at the top of the order', () => {
    // Means 0..4 for codes 0..4, and 50 for code 5: the best split is {5} vs the rest.
    const train = catRows([0, 1, 2, 3, 4, 5].map((code) => ({ code, count: 20, mean: code === 5 ? 50 : code })));
    const opts = { ...one, categoricalFeatures: [0], minDataPerGroup: 1, catL2: 0 };
    // Ascending prefixes alone (no cap) would send {0..4} left; capped at 1, only the descending scan reaches {5}.
    expect(catLeft(trainGbdt(train, { ...opts, maxCatThreshold: 1 }).model)).toEqual([5]);
    // Means 0,0,0,10,10,10: the best partition is 3 vs 3, out of reach with a cap of 2.
    const even = catRows([0, 1, 2, 3, 4, 5].map((code) => ({ code, count: 20, mean: code < 3 ? 0 : 10 })));
    expect([
      [0, 1, 2],
      [3, 4, 5],
    ]).toContainEqual(catLeft(trainGbdt(even, { ...opts, maxCatThreshold: 3 }).model));
    expect(catLeft(trainGbdt(even, { ...opts, maxCatThreshold: 2 }).model).length).toBe(2);
  });

  it('catL2 adds to lambda in the gain of a partition split (all three terms); leaf values keep lambdaL2', () => {
    // Feature 0 numeric (halves, effect 1), feature 1 categorical (codes 0..5, effect 1.1 for
    // codes 0..2), balanced: at lambda 0 the categorical split gains 15 * 1.1^2 = 18.15 > 15.
    const n = 60;
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const half = i < n / 2 ? 0 : 1;
      const code = i % 6;
      x.push(half, code);
      y.push(half + (code < 3 ? 1.1 : 0));
    }
    const train = { features: f64(x), numFeatures: 2, labels: f64(y) };
    const opts = { ...one, categoricalFeatures: [1], minDataPerGroup: 1 };
    const plain = trainGbdt(train, { ...opts, catL2: 0 }).model.trees[0];
    expect(plain?.splitFeature[0]).toBe(1);
    expect(plain?.splitGain[0]).toBeCloseTo(18.15, 9);
    // With catL2 = 10: 2 * 16.5^2 / (30 + 10) = 13.6125 < 15, so the numeric split wins.
    const guarded = trainGbdt(train, { ...opts, catL2: 10 }).model.trees[0];
    expect(guarded?.splitFeature[0]).toBe(0);
    expect(guarded?.splitGain[0]).toBeCloseTo(15, 9);
    // A subsampled root (G != 0, so the parent term counts): gain and leaves recomputed by hand
    // from the same row draws (subsample: one mulberry32 draw per row, kept when < 0.7).
    const codes = Array.from({ length: 60 }, (_, i) => i % 6);
    const labels = codes.map((c) => (c < 3 ? 4 : 0));
    const sample = { features: f64(codes), numFeatures: 1, labels: f64(labels) };
    const tree = trainGbdt(sample, { ...opts, categoricalFeatures: [0], catL2: 10, subsample: 0.7, seed: 3 }).model.trees[0];
    const rng = mulberry32(3);
    const sums = { gl: 0, hl: 0, gr: 0, hr: 0 };
    for (const [i, c] of codes.entries()) {
      if (rng() >= 0.7) continue;
      const g = 2 - (labels[i] as number); // initial score = mean 2
      if (c < 3) {
        sums.gl += g;
        sums.hl += 1;
      } else {
        sums.gr += g;
        sums.hr += 1;
      }
    }
    const { gl, hl, gr, hr } = sums;
    expect(gr + gl).not.toBeCloseTo(0, 3);
    const lam = 10;
    const gain = gl ** 2 / (hl + lam) + gr ** 2 / (hr + lam) - (gl + gr) ** 2 / (hl + hr + lam);
    expect(tree?.splitGain[0]).toBeCloseTo(gain, 9);
    expect(tree?.splitGain[0]).not.toBeCloseTo(gl ** 2 / hl + gr ** 2 / hr - (gl + gr) ** 2 / (hl + hr), 3);
    const left = [0, 1, 2].includes(tree?.catLeft[0]?.[0] ?? -1);
    const values = Array.from(tree?.leafValue ?? []);
    expect(values[left ? 0 : 1]).toBeCloseTo(-gl / hl, 12);
    expect(values[left ? 1 : 0]).toBeCloseTo(-gr / hr, 12);
  });

  it('maxCatToOnehot: a leaf with few categories tries one category vs the rest (minDataPerGroup not applied)', () => {
    // Means 0, 1, 9, 12 (20 rows each): partition {0, 1} vs {9, 12}; one-vs-rest {12} vs the rest.
    const train = catRows([0, 1, 2, 3].map((code) => ({ code, count: 20, mean: [0, 1, 9, 12][code] as number })));
    const opts = { ...one, categoricalFeatures: [0], catL2: 0 };
    const partition = catLeft(trainGbdt(train, { ...opts, minDataPerGroup: 1, maxCatToOnehot: 0 }).model);
    expect([
      [0, 1],
      [2, 3],
    ]).toContainEqual(partition);
    const onehot = trainGbdt(train, opts).model.trees[0]; // defaults: maxCatToOnehot 4, minDataPerGroup 100
    expect(Array.from(onehot?.catLeft[0] ?? [])).toEqual([3]);
    // Gain of {12} vs rest around the mean 5.5: 130^2 / 20 + 130^2 / 60.
    expect(onehot?.splitGain[0]).toBeCloseTo(130 ** 2 / 20 + 130 ** 2 / 60, 9);
  });
});

describe('GBDT: objectives on held-out data', () => {
  const step = (x: Float64Array) => ((x[0] as number) < 0.3 ? 1 : (x[0] as number) < 0.7 ? 5 : -2) + ((x[1] as number) > 0.5 ? 3 : 0);

  it('l2 fits a known piecewise function: test RMSE near the noise away from the jumps, low overall', () => {
    const train = dataset(4000, 4, 1, (x, rng) => step(x) + 0.1 * gaussian(rng));
    const test = dataset(2000, 4, 2, (x) => step(x));
    const { model } = trainGbdt(train, { numIterations: 100, maxLeaves: 15, minDataInLeaf: 10 });
    const pred = gbdtPredict(model, test.features, 4);
    // 255 quantile bins of 4000 rows are ~0.004 wide: rows that close to a jump may land on the wrong side.
    const far: number[] = [];
    const farPred: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const x0 = test.features[i * 4] as number;
      const x1 = test.features[i * 4 + 1] as number;
      if (Math.min(Math.abs(x0 - 0.3), Math.abs(x0 - 0.7), Math.abs(x1 - 0.5)) > 0.01) {
        far.push(test.labels[i] as number);
        farPred.push(pred[i] as number);
      }
    }
    expect(far.length).toBeGreaterThan(1800);
    expect(rmse(far, farPred)).toBeLessThan(0.1);
    expect(rmse(test.labels, pred)).toBeLessThan(0.5);
    expect(Math.sqrt(mean(test.labels.map((y) => (y - mean(test.labels)) ** 2)))).toBeGreaterThan(3);
  });

  it('l1 ignores gross outliers that pull l2 away', () => {
    const label = (x: Float64Array, rng: () => number) => step(x) + (rng() < 0.1 ? 50 : 0.1 * gaussian(rng));
    const train = dataset(3000, 3, 3, label);
    const test = dataset(2000, 3, 4, (x) => step(x));
    const opts = { numIterations: 150, maxLeaves: 8, minDataInLeaf: 20 };
    const l1 = meanAbsoluteError(test.labels, gbdtPredict(trainGbdt(train, { ...opts, objective: 'l1' }).model, test.features, 3));
    const l2 = meanAbsoluteError(test.labels, gbdtPredict(trainGbdt(train, { ...opts, objective: 'l2' }).model, test.features, 3));
    expect(l1).toBeLessThan(0.3);
    expect(l2).toBeGreaterThan(3);
  });

  it('quantile alpha = 0.9: held-out coverage within 0.9 +- 0.03 (and alpha = 0.1 near 0.1)', () => {
    // Heteroscedastic: y = step(x0) + (0.2 + 2 x1) z; x2 is noise. Early stopping on a validation set.
    const label = (x: Float64Array, rng: () => number) => ((x[0] as number) < 0.5 ? 2 : 5) + (0.2 + 2 * (x[1] as number)) * gaussian(rng);
    const train = dataset(5000, 3, 11, label);
    const valid = dataset(2000, 3, 12, label);
    const test = dataset(5000, 3, 13, label);
    const opts = { numIterations: 200, maxLeaves: 7, minDataInLeaf: 50, valid, earlyStoppingRounds: 20 };
    const p90 = gbdtPredict(trainGbdt(train, { ...opts, objective: { name: 'quantile', alpha: 0.9 } }).model, test.features, 3);
    const p10 = gbdtPredict(trainGbdt(train, { ...opts, objective: { name: 'quantile', alpha: 0.1 } }).model, test.features, 3);
    expect(Math.abs(coverage(test.labels, p90) - 0.9)).toBeLessThan(0.03);
    expect(Math.abs(coverage(test.labels, p10) - 0.1)).toBeLessThan(0.03);
    // The interval widens with x1, as the noise does (width 2.56 (0.2 + 2 x1) for a normal).
    const width = (lo: number, hi: number) => {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < 5000; i++) {
        const x1 = test.features[i * 3 + 1] as number;
        if (x1 >= lo && x1 < hi) {
          sum += (p90[i] as number) - (p10[i] as number);
          count++;
        }
      }
      return sum / count;
    };
    expect(width(0.8, 1)).toBeGreaterThan(3 * width(0, 0.2));
  });

  it('logistic: AUC > 0.95 on a separable set, probabilities in (0, 1)', () => {
    const label = (x: Float64Array) => ((x[0] as number) + (x[1] as number) > 1 ? 1 : 0);
    const train = dataset(2000, 3, 21, label);
    const test = dataset(2000, 3, 22, label);
    const { model } = trainGbdt(train, { objective: 'logistic', numIterations: 100, maxLeaves: 7 });
    const p = gbdtPredict(model, test.features, 3);
    expect(rocAuc(test.labels, p)).toBeGreaterThan(0.95);
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    const raw = gbdtPredict(model, test.features, 3, { raw: true });
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-(raw[0] as number))), 14);
  });

  it('poisson and tweedie beat the constant mean on counts (synthetic generator, categorical columns)', () => {
    const d = makeSyntheticTabular({ rows: 6000, task: 'poisson', seed: 31 });
    const [train, test] = splitRows(d, 3000);
    const opts = { numIterations: 100, maxLeaves: 15, categoricalFeatures: d.categoricalFeatures };
    const base = new Float64Array(3000).fill(mean(train.labels));
    const pois = gbdtPredict(trainGbdt(train, { ...opts, objective: 'poisson' }).model, test.features, test.numFeatures);
    expect(pois.every((v) => v > 0)).toBe(true);
    expect(poissonDeviance(test.labels, pois)).toBeLessThan(0.75 * poissonDeviance(test.labels, base));
    const tw = gbdtPredict(
      trainGbdt(train, { ...opts, objective: { name: 'tweedie', tweedieVariancePower: 1.3 } }).model,
      test.features,
      test.numFeatures,
    );
    expect(tweedieDeviance(test.labels, tw, 1.3)).toBeLessThan(0.75 * tweedieDeviance(test.labels, base, 1.3));
  });
});

describe('GBDT: determinism, stopping, contributions, files', () => {
  const d = makeSyntheticTabular({ rows: 3000, task: 'regression', seed: 41 });
  const [train, valid] = splitRows(d, 2000);
  const base = { numIterations: 30, maxLeaves: 15, subsample: 0.7, colsample: 0.5, categoricalFeatures: d.categoricalFeatures };

  it('the same seed gives the same model (row and feature subsampling); another seed does not', () => {
    const a = saveGbdtModel(trainGbdt(train, { ...base, seed: 7 }).model);
    const b = saveGbdtModel(trainGbdt(train, { ...base, seed: 7 }).model);
    const c = saveGbdtModel(trainGbdt(train, { ...base, seed: 8 }).model);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('training loss reported by progress equals the loss of the predictions (bins and thresholds agree)', () => {
    const seen: number[] = [];
    let last = Number.NaN;
    const r = trainGbdt(train, {
      ...base,
      onProgress: (p) => {
        seen.push(p.iteration);
        last = p.trainLoss;
      },
    });
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const pred = gbdtPredict(r.model, train.features, train.numFeatures);
    expect(last).toBeCloseTo(rmse(train.labels, pred) ** 2, 10);
    expect(r.trainLoss[29]).toBe(last);
    expect(r.trainLoss[29]).toBeLessThan(r.trainLoss[0] as number);
  });

  it('early stopping stops and keeps the best iteration', () => {
    // A high learning rate and tiny leaves overfit quickly.
    const r = trainGbdt(train, { numIterations: 500, learningRate: 0.5, maxLeaves: 63, minDataInLeaf: 2, valid, earlyStoppingRounds: 10 });
    expect(r.stopReason).toBe('early-stopping');
    expect(r.iterations).toBeLessThan(500);
    expect(r.iterations - r.bestIteration).toBe(10);
    expect(r.model.trees.length).toBe(r.bestIteration);
    const vl = r.validLoss as Float64Array;
    expect(vl[r.bestIteration - 1]).toBe(Math.min(...vl));
    const pred = gbdtPredict(r.model, valid.features, valid.numFeatures);
    expect(rmse(valid.labels, pred) ** 2).toBeCloseTo(vl[r.bestIteration - 1] as number, 10);
  });

  it('an AbortSignal stops training and keeps the best model so far', async () => {
    const ctl = new AbortController();
    const r = trainGbdt(train, {
      ...base,
      numIterations: 100,
      valid,
      onProgress: (p) => p.iteration === 5 && ctl.abort(),
      signal: ctl.signal,
    });
    expect(r.stopReason).toBe('aborted');
    expect(r.iterations).toBe(5);
    expect(r.model.trees.length).toBe(r.bestIteration);
    expect(r.bestIteration).toBeGreaterThan(0);
    const pre = new AbortController();
    pre.abort();
    const empty = await trainGbdtAsync(train, { signal: pre.signal });
    expect(empty.model.trees.length).toBe(0);
    expect(gbdtPredict(empty.model, train.features.subarray(0, 10), 10)[0]).toBe(empty.model.initScore);
    // Async training with a timer abort also stops early.
    const timer = new AbortController();
    setTimeout(() => timer.abort(), 30);
    const t = await trainGbdtAsync(train, { ...base, numIterations: 100000, signal: timer.signal });
    expect(t.stopReason).toBe('aborted');
    expect(t.model.trees.length).toBe(t.iterations);
  });

  it('Saabas contributions sum to the raw prediction; minus the bias, to prediction - base', () => {
    const { model } = trainGbdt(train, base);
    const x = valid.features.subarray(0, 50 * valid.numFeatures);
    const p = valid.numFeatures;
    const c = gbdtContributions(model, x, p);
    const raw = gbdtPredict(model, x, p, { raw: true });
    const bias = c[p] as number;
    for (let i = 0; i < 50; i++) {
      let s = 0;
      for (let f = 0; f < p; f++) s += c[i * (p + 1) + f] as number;
      expect(c[i * (p + 1) + p]).toBe(bias);
      expect(s).toBeCloseTo((raw[i] as number) - bias, 10);
    }
    // Hand-checked: one split on x0 (x1 constant): leaves -5 / +5, root value 0, bias = init 5.
    const tiny = trainGbdt(
      { features: f64([1, 0, 2, 0, 3, 0, 4, 0]), numFeatures: 2, labels: f64([0, 0, 10, 10]) },
      { numIterations: 1, learningRate: 1, minDataInLeaf: 1, maxLeaves: 2 },
    ).model;
    expect(Array.from(gbdtContributions(tiny, f64([1, 0, 4, 7]), 2))).toEqual([-5, 0, 5, 5, 0, 5]);
  });

  it('save -> load -> predict is identical (JSON, format version, categorical and missing values)', () => {
    const { model } = trainGbdt(train, { ...base, objective: { name: 'quantile', alpha: 0.8 }, featureNames: d.featureNames });
    const text = saveGbdtModel(model);
    const doc = JSON.parse(text);
    expect(doc.format).toBe('waybill-gbdt');
    expect(doc.formatVersion).toBe(GBDT_FORMAT_VERSION);
    expect(doc.objective).toEqual({ name: 'quantile', alpha: 0.8 });
    const back = loadGbdtModel(text);
    expect(back.featureNames).toEqual(d.featureNames);
    expect(gbdtPredict(back, valid.features, valid.numFeatures)).toEqual(gbdtPredict(model, valid.features, valid.numFeatures));
    expect(gbdtContributions(back, valid.features, valid.numFeatures)).toEqual(gbdtContributions(model, valid.features, valid.numFeatures));
    expect(saveGbdtModel(back)).toBe(text);
  });
});
