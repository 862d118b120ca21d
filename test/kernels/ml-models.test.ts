/**
 * k-means, L2 logistic regression, Platt / isotonic calibration and the synthetic generator:
 * known answers (recovered clusters and parameters, optimality conditions, a hand-worked PAV)
 * and bad input.
 */
import { describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import { fitIsotonic, fitPlatt, isotonicTransform, plattTransform } from '../../src/kernels/ml/calibration.js';
import { kmeans, kmeansAssign } from '../../src/kernels/ml/kmeans.js';
import { predictLogisticRegression, trainLogisticRegression } from '../../src/kernels/ml/logistic-regression.js';
import { logLoss } from '../../src/kernels/ml/metrics.js';
import { gaussian, mulberry32 } from '../../src/kernels/ml/random.js';
import { makeSyntheticTabular, syntheticQuantile } from '../../src/kernels/ml/synthetic.js';

function expectError(fn: () => unknown, code: string, details: Record<string, unknown>): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'should throw').toBeInstanceOf(WaybillError);
  expect((caught as WaybillError).code).toBe(code);
  expect((caught as WaybillError).details).toMatchObject(details);
}

describe('k-means', () => {
  // Four well-separated blobs in 3-D (sd 0.5, centres >= 10 apart), 150 rows each, shuffled.
  const centres = [
    [0, 0, 0],
    [10, 0, 0],
    [0, 10, 5],
    [10, 10, -5],
  ];
  const rng = mulberry32(3);
  const n = 600;
  const truth = Int32Array.from({ length: n }, (_, i) => i % 4);
  const data = new Float64Array(n * 3);
  for (let i = 0; i < n; i++)
    for (let f = 0; f < 3; f++) data[i * 3 + f] = (centres[truth[i] as number]?.[f] as number) + 0.5 * gaussian(rng);

  it('recovers well-separated clusters; inertia is the sum of squared distances', () => {
    const r = kmeans(data, 3, { k: 4, seed: 1 });
    expect(r.converged).toBe(true);
    const map = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const t = truth[i] as number;
      if (!map.has(t)) map.set(t, r.labels[i] as number);
      expect(r.labels[i]).toBe(map.get(t));
    }
    expect(new Set(map.values()).size).toBe(4);
    for (const [t, c] of map)
      for (let f = 0; f < 3; f++) expect(Math.abs((r.centroids[c * 3 + f] as number) - (centres[t]?.[f] as number))).toBeLessThan(0.15);
    let inertia = 0;
    for (let i = 0; i < n; i++)
      for (let f = 0; f < 3; f++) inertia += ((data[i * 3 + f] as number) - (r.centroids[(r.labels[i] as number) * 3 + f] as number)) ** 2;
    expect(r.inertia).toBeCloseTo(inertia, 8);
    expect(r.inertia / n).toBeLessThan(3 * 0.25 * 1.2);
    expect(kmeansAssign(r.centroids, data, 3).labels).toEqual(r.labels);
  });

  it('is deterministic with a seed; k = 1 gives the mean; maxIterations caps the work', () => {
    expect(kmeans(data, 3, { k: 5, seed: 9 })).toEqual(kmeans(data, 3, { k: 5, seed: 9 }));
    const one = kmeans(data, 3, { k: 1 });
    for (let f = 0; f < 3; f++) expect(one.centroids[f]).toBeCloseTo(data.filter((_, i) => i % 3 === f).reduce((s, v) => s + v, 0) / n, 10);
    const capped = kmeans(data, 3, { k: 8, maxIterations: 1, seed: 2 });
    expect(capped.iterations).toBe(1);
    // Duplicated rows: more clusters than distinct points still returns k centroids.
    const dup = kmeans(Float64Array.of(1, 1, 1, 1, 2, 2), 2, { k: 3 });
    expect(dup.centroids.length).toBe(6);
  });

  it('bad input', () => {
    expectError(() => kmeans(data, 3, { k: 601 }), 'INVALID_K', { field: 'k' });
    expectError(() => kmeans(data, 3, { k: 0 }), 'INVALID_K', { field: 'k' });
    expectError(() => kmeans(data, 3, { k: 2.5 }), 'INVALID_K', { field: 'k' });
    expectError(() => kmeans(data.subarray(0, 10), 3, { k: 2 }), 'INVALID_LENGTH', { field: 'data' });
    expectError(() => kmeans(new Float64Array(0), 3, { k: 1 }), 'INVALID_ARGUMENT', { field: 'data', rows: 0 });
    expectError(() => kmeans(Float64Array.of(1, Number.NaN), 2, { k: 1 }), 'NOT_FINITE', { field: 'data', index: 1 });
    expectError(() => kmeans(data, 3, { k: 2, tolerance: -1 }), 'INVALID_ARGUMENT', { field: 'tolerance' });
  });
});

describe('L2 logistic regression', () => {
  const rng = mulberry32(5);
  const n = 4000;
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = gaussian(rng);
    x[2 * i + 1] = gaussian(rng);
    const z = 2 * (x[2 * i] as number) - (x[2 * i + 1] as number) + 0.5;
    y[i] = rng() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }

  it('recovers the generating weights and satisfies the optimality conditions exactly', () => {
    const lambda = 3;
    const r = trainLogisticRegression(x, 2, y, { lambda });
    expect(r.converged).toBe(true);
    expect(r.model.weights[0]).toBeCloseTo(2, 0);
    expect(r.model.weights[1]).toBeCloseTo(-1, 0);
    expect(r.model.intercept).toBeCloseTo(0.5, 0);
    // Gradient of sum log-loss + lambda/2 |w|^2 vanishes.
    const p = predictLogisticRegression(r.model, x, 2);
    const g = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const e = (p[i] as number) - (y[i] as number);
      g[0] = (g[0] as number) + e * (x[2 * i] as number);
      g[1] = (g[1] as number) + e * (x[2 * i + 1] as number);
      g[2] = (g[2] as number) + e;
    }
    expect(Math.abs((g[0] as number) + lambda * (r.model.weights[0] as number))).toBeLessThan(1e-6);
    expect(Math.abs((g[1] as number) + lambda * (r.model.weights[1] as number))).toBeLessThan(1e-6);
    expect(Math.abs(g[2] as number)).toBeLessThan(1e-6);
    // A larger penalty shrinks the weights.
    const strong = trainLogisticRegression(x, 2, y, { lambda: 1000 });
    expect(Math.abs(strong.model.weights[0] as number)).toBeLessThan(Math.abs(r.model.weights[0] as number));
  });

  it('separable data with lambda = 0 still returns finite weights', () => {
    const xs = Float64Array.of(-2, -1, 1, 2);
    const r = trainLogisticRegression(xs, 1, Float64Array.of(0, 0, 1, 1), { lambda: 0, maxIterations: 50 });
    expect(Number.isFinite(r.model.weights[0] as number)).toBe(true);
    expect(r.model.weights[0]).toBeGreaterThan(1);
  });

  it('bad input', () => {
    expectError(
      () =>
        trainLogisticRegression(
          x,
          2,
          y.map((v, i) => (i === 4 ? 2 : v)),
        ),
      'INVALID_ARGUMENT',
      { field: 'labels', index: 4 },
    );
    expectError(
      () =>
        trainLogisticRegression(
          x,
          2,
          y.map((v, i) => (i === 4 ? Number.NaN : v)),
        ),
      'NOT_FINITE',
      { field: 'labels', index: 4 },
    );
    expectError(() => trainLogisticRegression(x, 3, y), 'INVALID_LENGTH', { field: 'features' });
    expectError(() => trainLogisticRegression(x, 2, y, { lambda: -1 }), 'INVALID_ARGUMENT', { field: 'lambda' });
    const m = trainLogisticRegression(x, 2, y).model;
    expectError(() => predictLogisticRegression(m, x, 1), 'INVALID_LENGTH', { field: 'numFeatures' });
  });
});

describe('calibration', () => {
  it('Platt recovers a known sigmoid and improves log loss of miscalibrated scores', () => {
    const rng = mulberry32(8);
    const n = 5000;
    const s = Float64Array.from({ length: n }, () => 4 * rng() - 2);
    const y = Float64Array.from(s, (v) => (rng() < 1 / (1 + Math.exp(-2 * v + 1)) ? 1 : 0));
    const m = fitPlatt(s, y);
    expect(m.a).toBeCloseTo(-2, 0);
    expect(m.b).toBeCloseTo(1, 0);
    const raw = Float64Array.from(s, (v) => 1 / (1 + Math.exp(-v)));
    expect(logLoss(y, plattTransform(m, s))).toBeLessThan(logLoss(y, raw));
  });

  it('isotonic: hand-worked PAV, monotone output, interpolation and clamping', () => {
    const m = fitIsotonic(Float64Array.of(1, 2, 3, 4, 5), Float64Array.of(1, 0, 0, 1, 1));
    // 1, 0 violate -> pool to 0.5; then 0 violates -> pool 1, 0, 0 to 1/3; then 1, 1 stay.
    expect(Array.from(m.x)).toEqual([1, 3, 4, 5]);
    expect(Array.from(m.y)).toEqual([1 / 3, 1 / 3, 1, 1]);
    const at = isotonicTransform(m, Float64Array.of(0, 2, 3.5, 9));
    expect([at[0], at[1], at[3]]).toEqual([1 / 3, 1 / 3, 1]);
    expect(at[2]).toBeCloseTo(2 / 3, 15);
    const rng = mulberry32(4);
    const s = Float64Array.from({ length: 2000 }, () => Math.round(rng() * 100) / 10);
    const y = Float64Array.from(s, (v) => (rng() < v / 10 ? 1 : 0));
    const iso = fitIsotonic(s, y);
    const grid = Float64Array.from({ length: 300 }, (_, i) => -1 + i * 0.04);
    const out = isotonicTransform(iso, grid);
    for (let i = 1; i < out.length; i++) expect(out[i] as number).toBeGreaterThanOrEqual(out[i - 1] as number);
    expect(out[0]).toBeLessThan(0.1);
    expect(out[299]).toBeGreaterThan(0.9);
    // Weighted: a heavy row dominates its block.
    const w = fitIsotonic(Float64Array.of(1, 2), Float64Array.of(1, 0), Float64Array.of(3, 1));
    expect(Array.from(w.y)).toEqual([0.75, 0.75]);
  });

  it('bad input', () => {
    expectError(() => fitIsotonic(Float64Array.of(1, 2), Float64Array.of(1)), 'INVALID_LENGTH', { field: 'scores' });
    expectError(() => fitIsotonic(Float64Array.of(1, Number.NaN), Float64Array.of(1, 0)), 'NOT_FINITE', { field: 'scores', index: 1 });
    expectError(() => fitPlatt(Float64Array.of(1, 2), Float64Array.of(1, 0.5)), 'INVALID_ARGUMENT', { field: 'labels', index: 1 });
    expectError(() => fitIsotonic(new Float64Array(0), new Float64Array(0)), 'INVALID_ARGUMENT', { field: 'labels' });
  });
});

describe('synthetic tabular generator', () => {
  it('is deterministic, has the documented columns, missing rate and targets', () => {
    const a = makeSyntheticTabular({ rows: 4000, seed: 12, task: 'binary' });
    const b = makeSyntheticTabular({ rows: 4000, seed: 12, task: 'binary' });
    expect(a).toEqual(b);
    expect(makeSyntheticTabular({ rows: 4000, seed: 13, task: 'binary' }).labels).not.toEqual(a.labels);
    expect(a.numFeatures).toBe(10);
    expect(a.categoricalFeatures).toEqual([8, 9]);
    expect(a.featureNames[8]).toBe('c0');
    let missing = 0;
    for (let i = 0; i < a.features.length; i++) {
      const v = a.features[i] as number;
      if (Number.isNaN(v)) missing++;
      else if (i % 10 >= 8) expect(Number.isInteger(v) && v >= 0 && v < 10).toBe(true);
    }
    expect(Math.abs(missing / a.features.length - 0.05)).toBeLessThan(0.01);
    expect(a.labels.every((v) => v === 0 || v === 1)).toBe(true);
    const q = makeSyntheticTabular({ rows: 20000, seed: 1, task: 'quantile', missingRate: 0 });
    const q90 = syntheticQuantile(q, 0.9);
    let below = 0;
    for (let i = 0; i < 20000; i++) if ((q.labels[i] as number) <= (q90[i] as number)) below++;
    expect(Math.abs(below / 20000 - 0.9)).toBeLessThan(0.01);
    const c = makeSyntheticTabular({ rows: 3000, seed: 2, task: 'poisson', numericFeatures: 3, categoricalFeatures: 0 });
    expect(c.numFeatures).toBe(3);
    expect(c.labels.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    expectError(() => makeSyntheticTabular({ rows: 0 }), 'INVALID_ARGUMENT', { field: 'rows' });
    expectError(() => makeSyntheticTabular({ rows: 10, missingRate: 1 }), 'INVALID_ARGUMENT', { field: 'missingRate' });
  });
});
