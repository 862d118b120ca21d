/**
 * TreeSHAP contributions (src/kernels/ml/treeshap.ts) against the definition: for every tree, the
 * Shapley values computed by enumerating every coalition of features, the value of a coalition
 * being the tree's cover-weighted expectation with the other features integrated out; then the
 * sums to the raw prediction, a hand-checked AND tree where Saabas and Shapley differ, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { gbdtContributions, gbdtPredict, trainGbdt } from '../../src/kernels/ml/gbdt.js';
import { type GbdtTree, goesLeft } from '../../src/kernels/ml/gbdt-tree.js';
import { nativeGbdtContributions, nativeGbdtStatus, nativeTreeShapAvailable } from '../../src/kernels/ml/native.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';
import { TreeShap, treeDepth } from '../../src/kernels/ml/treeshap.js';

/** The tree's expected output for a row when only the features in `known` are known. */
function expectation(tree: GbdtTree, row: Float64Array, known: Set<number>, node = 0): number {
  if (node < 0) return tree.leafValue[~node] as number;
  if (tree.numLeaves === 1) return tree.leafValue[0] as number;
  const f = tree.splitFeature[node] as number;
  const l = tree.leftChild[node] as number;
  const r = tree.rightChild[node] as number;
  if (known.has(f)) return expectation(tree, row, known, goesLeft(tree, node, row[f] as number) ? l : r);
  const cover = (c: number) => (c < 0 ? (tree.leafCount[~c] as number) : (tree.internalCount[c] as number));
  return (cover(l) * expectation(tree, row, known, l) + cover(r) * expectation(tree, row, known, r)) / (cover(l) + cover(r));
}

/** Shapley values of the p features by enumerating all 2^p coalitions. */
function bruteShapley(tree: GbdtTree, row: Float64Array, p: number): Float64Array {
  const phi = new Float64Array(p);
  const fact = [1];
  for (let k = 1; k <= p; k++) fact.push((fact[k - 1] as number) * k);
  const value = new Float64Array(1 << p);
  for (let mask = 0; mask < 1 << p; mask++) {
    const known = new Set<number>();
    for (let f = 0; f < p; f++) if (mask & (1 << f)) known.add(f);
    value[mask] = expectation(tree, row, known);
  }
  for (let i = 0; i < p; i++)
    for (let mask = 0; mask < 1 << p; mask++) {
      if (mask & (1 << i)) continue;
      let size = 0;
      for (let f = 0; f < p; f++) if (mask & (1 << f)) size++;
      const weight = ((fact[size] as number) * (fact[p - size - 1] as number)) / (fact[p] as number);
      phi[i] = (phi[i] as number) + weight * ((value[mask | (1 << i)] as number) - (value[mask] as number));
    }
  return phi;
}

/** n rows of p features: 0, 1 numeric with NaN, 2 a categorical code 0..5, 3 and 4 numeric. */
function dataset(n: number, seed: number) {
  const p = 5;
  const rng = mulberry32(seed);
  const features = new Float64Array(n * p);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = features.subarray(i * p, i * p + p);
    for (let f = 0; f < p; f++) x[f] = rng();
    x[2] = Math.floor(rng() * 6);
    if (rng() < 0.1) x[1] = Number.NaN;
    const x1 = Number.isNaN(x[1] as number) ? 0.5 : (x[1] as number);
    labels[i] = Math.sin(4 * (x[0] as number)) * x1 + ((x[2] as number) % 3 === 0 ? 1 : 0) + 0.5 * (x[3] as number) + 0.1 * rng();
  }
  return { features, numFeatures: p, labels, categoricalFeatures: [2] };
}

describe('TreeSHAP', () => {
  const train = dataset(600, 7);
  const { model } = trainGbdt(train, {
    numIterations: 8,
    maxLeaves: 12,
    minDataInLeaf: 5,
    categoricalFeatures: train.categoricalFeatures,
    minDataPerGroup: 10,
  });
  const rows = dataset(40, 8);
  const p = rows.numFeatures;

  it('equals the Shapley values enumerated over every coalition, tree by tree', () => {
    const depth = model.trees.reduce((m, t) => Math.max(m, treeDepth(t)), 0);
    expect(depth).toBeGreaterThanOrEqual(4);
    // Paths that split on the same feature twice exercise the unwinding of a repeated feature.
    const repeats = model.trees.some((t) => new Set(t.splitFeature).size < t.splitFeature.length);
    expect(repeats).toBe(true);
    const shap = new TreeShap(depth);
    let worst = 0;
    let largest = 0;
    for (const tree of model.trees)
      for (let i = 0; i < 40; i++) {
        const row = rows.features.subarray(i * p, i * p + p);
        const got = new Float64Array(p);
        shap.add(tree, rows.features, i * p, got, 0);
        const want = bruteShapley(tree, row, p);
        for (let f = 0; f < p; f++) {
          worst = Math.max(worst, Math.abs((got[f] as number) - (want[f] as number)));
          largest = Math.max(largest, Math.abs(want[f] as number));
        }
      }
    expect(largest).toBeGreaterThan(0.01);
    expect(worst).toBeLessThan(1e-12);
  });

  it('each row sums to its raw prediction, and differs from Saabas', () => {
    const shap = gbdtContributions(model, rows.features, p, { method: 'treeshap' });
    const saabas = gbdtContributions(model, rows.features, p);
    const raw = gbdtPredict(model, rows.features, p, { raw: true });
    let differ = 0;
    for (let i = 0; i < 40; i++) {
      const r = shap.subarray(i * (p + 1), (i + 1) * (p + 1));
      expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(raw[i] as number, 10);
      expect(r[p]).toBe(saabas[i * (p + 1) + p]); // the same bias
      for (let f = 0; f < p; f++) if (Math.abs((r[f] as number) - (saabas[i * (p + 1) + f] as number)) > 1e-9) differ++;
    }
    expect(differ).toBeGreaterThan(40);
    // numIterations: the first trees only.
    const two = gbdtContributions(model, rows.features, p, { method: 'treeshap', numIterations: 2 });
    const raw2 = gbdtPredict(model, rows.features, p, { raw: true, numIterations: 2 });
    expect(two.subarray(0, p + 1).reduce((a, b) => a + b, 0)).toBeCloseTo(raw2[0] as number, 10);
  });

  it('splits x0 AND x1 evenly, where Saabas credits the second split more', () => {
    // Labels x0 AND x1 on the four corners: the root splits x0, its right child x1.
    const corners = { features: Float64Array.from([0, 0, 0, 1, 1, 0, 1, 1]), numFeatures: 2, labels: Float64Array.from([0, 0, 0, 1]) };
    const m = trainGbdt(corners, { numIterations: 1, learningRate: 1, maxLeaves: 4, minDataInLeaf: 1, minSumHessianInLeaf: 0 }).model;
    const x = Float64Array.from([1, 1]);
    const shap = gbdtContributions(m, x, 2, { method: 'treeshap' });
    const saabas = gbdtContributions(m, x, 2);
    expect(Array.from(shap)).toEqual([0.375, 0.375, 0.25].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(saabas)).toEqual([0.25, 0.5, 0.25].map((v) => expect.closeTo(v, 12)));
  });

  it('rejects an unknown method and a model without positive counts', () => {
    expect(() => gbdtContributions(model, rows.features, p, { method: 'shapley' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ field: 'method' }) }),
    );
    const broken = { ...model, trees: model.trees.map((t) => ({ ...t, leafCount: new Float64Array(t.numLeaves) })) };
    expect(() => gbdtContributions(broken, rows.features, p, { method: 'treeshap' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    // Saabas does not need the counts.
    expect(gbdtContributions(broken, rows.features, p)).toHaveLength(40 * (p + 1));
  });

  it('a scratch sized for shallower trees throws instead of writing past it', () => {
    const deep = model.trees.find((t) => treeDepth(t) >= 3) as GbdtTree;
    expect(() => new TreeShap(1).add(deep, rows.features, 0, new Float64Array(p), 0)).toThrow(RangeError);
  });
});

const native = nativeGbdtStatus();
describe.skipIf(!native.ok)(`TreeSHAP on the C++ core${native.ok ? '' : ` (skipped: ${native.reason})`}`, () => {
  const train = dataset(3000, 11);
  const { model } = trainGbdt(train, { numIterations: 20, maxLeaves: 31, categoricalFeatures: [2], minDataPerGroup: 10 });
  const rows = dataset(500, 12);

  it("gives the reference's values, bit for bit, on 1 and 3 threads", async () => {
    expect(nativeTreeShapAvailable()).toBe(true);
    const ref = gbdtContributions(model, rows.features, 5, { method: 'treeshap' });
    for (const threads of [1, 3]) {
      const got = await nativeGbdtContributions(model, rows.features, 5, { method: 'treeshap', threads });
      let differ = 0;
      for (let i = 0; i < ref.length; i++) if (!Object.is(got[i], ref[i])) differ++;
      expect(differ).toBe(0);
    }
    // One row (the C++ recursion: a batch of one never takes the tables, 500 rows may): the same values.
    const one = await nativeGbdtContributions(model, rows.features.subarray(0, 5), 5, { method: 'treeshap' });
    expect(Array.from(one)).toEqual(Array.from(ref.subarray(0, 6)));
    // numIterations as the reference.
    const got8 = await nativeGbdtContributions(model, rows.features, 5, { method: 'treeshap', numIterations: 8 });
    expect(Array.from(got8)).toEqual(Array.from(gbdtContributions(model, rows.features, 5, { method: 'treeshap', numIterations: 8 })));
  });

  it('through the engine: method reported, native and js agree, bad counts refused', async () => {
    const engine = createEngine();
    try {
      const n = await engine.kernels.ml.contributions(model, rows.features, 5, { method: 'treeshap' });
      const j = await engine.kernels.ml.contributions(model, rows.features, 5, { method: 'treeshap', backend: 'js' });
      expect([n.method, n.backend, j.method, j.backend]).toEqual(['treeshap', 'native', 'treeshap', 'js']);
      expect(Array.from(n.contributions)).toEqual(Array.from(j.contributions));
      const s = await engine.kernels.ml.contributions(model, rows.features, 5);
      expect(s.method).toBe('saabas');
      // Contributions never run on the CUDA device: forcing it says so, for either method.
      await expect(engine.kernels.ml.contributions(model, rows.features, 5, { method: 'treeshap', backend: 'cuda' })).rejects.toMatchObject(
        {
          code: 'BACKEND_UNAVAILABLE',
        },
      );
      const broken = { ...model, trees: model.trees.map((t) => ({ ...t, leafCount: new Float64Array(t.numLeaves) })) };
      await expect(engine.kernels.ml.contributions(broken, rows.features, 5, { method: 'treeshap' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      await engine.close();
    }
  });
});
