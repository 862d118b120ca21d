/**
 * Regressions found by fuzzing engine.kernels.ml with odd inputs: each input below used to give a
 * TypeError, a NaN / Infinity result, a native error without the field, or a refusal of a valid
 * edge case; each must now give a WaybillError naming the field, or the sensible result.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { WaybillError } from '../../src/errors.js';
import { nativeKmeansStatus } from '../../src/kernels/ml/kmeans-native.js';
import { nativeGbdtStatus } from '../../src/kernels/ml/native.js';

const engine = createEngine({ workers: 0 });
const ml = engine.kernels.ml;
afterAll(() => engine.close());
const gbdtStatus = nativeGbdtStatus();
const kmeansStatus = nativeKmeansStatus();
const gbdtSkip = gbdtStatus.ok ? '' : ` (skipped: ${gbdtStatus.reason})`;
const kmeansSkip = kmeansStatus.ok ? '' : ` (skipped: ${kmeansStatus.reason})`;

async function expectField(p: Promise<unknown>, code: string, field: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'should reject with a WaybillError').toBeInstanceOf(WaybillError);
  expect((caught as WaybillError).code).toBe(code);
  expect((caught as WaybillError).details?.field).toBe(field);
}

const n = 40;
const x = Float64Array.from({ length: n * 2 }, (_, i) => Math.sin(i) * 3);
const y = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
const train = { features: x, numFeatures: 2, labels: y };

describe('engine.kernels.ml: options that are not objects', () => {
  it('null options fail with INVALID_ARGUMENT naming options, not a TypeError from destructuring', async () => {
    const { model } = await ml.train(train, { numIterations: 2, backend: 'js' });
    const nul = null as never;
    await expectField(ml.train(train, nul), 'INVALID_ARGUMENT', 'options');
    await expectField(ml.predict(model, x, 2, nul), 'INVALID_ARGUMENT', 'options');
    await expectField(ml.contributions(model, x, 2, nul), 'INVALID_ARGUMENT', 'options');
    await expectField(ml.importance(model, nul), 'INVALID_ARGUMENT', 'options');
    await expectField(ml.kmeansAssign(x.subarray(0, 4), x, 2, nul), 'INVALID_ARGUMENT', 'options');
    await expectField(ml.trainLogistic(x, 2, y, nul), 'INVALID_ARGUMENT', 'options');
    await expectField(ml.calibrate(y, y, nul), 'INVALID_ARGUMENT', 'options');
    await expectField(ml.predict(model, x, 2, 'fast' as never), 'INVALID_ARGUMENT', 'options');
    // Omitted options still mean the defaults.
    expect((await ml.importance(model)).type).toBe('gain');
  });
});

describe('engine.kernels.ml: calibration', () => {
  it('a Platt map fitted on uninformative scores gives finite probabilities for +-Infinity (0 x Infinity was NaN)', async () => {
    const cal = await ml.calibrate(Float64Array.of(0, 0, 0), Float64Array.of(0, 0, 0));
    expect(cal.method).toBe('platt');
    const { probabilities } = await ml.calibrateApply(
      cal,
      Float64Array.of(Number.NEGATIVE_INFINITY, 0, Number.POSITIVE_INFINITY, Number.NaN),
    );
    const p0 = probabilities[1] as number;
    expect(p0).toBeGreaterThan(0);
    expect(p0).toBeLessThan(0.5);
    expect(Array.from(probabilities.subarray(0, 3))).toEqual([p0, p0, p0]);
    expect(probabilities[3]).toBeNaN();
  });

  it('hand-built calibrators and scores of the wrong type fail with the field, not NaN or a TypeError', async () => {
    const s = Float64Array.of(0.1, 0.7);
    await expectField(
      ml.calibrateApply({ method: 'isotonic', model: { x: new Float64Array(0), y: new Float64Array(0) } }, s),
      'INVALID_ARGUMENT',
      'model.x',
    );
    await expectField(ml.calibrateApply({ method: 'isotonic', model: null as never }, s), 'INVALID_ARGUMENT', 'model');
    await expectField(
      ml.calibrateApply({ method: 'isotonic', model: { x: Float64Array.of(2, 1), y: Float64Array.of(0, 1) } }, s),
      'INVALID_ARGUMENT',
      'model.x',
    );
    await expectField(ml.calibrateApply({ method: 'platt', model: { a: Number.NaN, b: 0 } }, s), 'INVALID_ARGUMENT', 'model.a');
    await expectField(ml.calibrateApply({ method: 'platt', model: {} as never }, s), 'INVALID_ARGUMENT', 'model.a');
    const cal = await ml.calibrate(Float64Array.of(0, 1, 2, 3), Float64Array.of(0, 0, 1, 1), { method: 'isotonic' });
    await expectField(ml.calibrateApply(cal, undefined as never), 'INVALID_ARGUMENT', 'scores');
    await expectField(ml.calibrateApply(cal, [0.5] as never), 'INVALID_ARGUMENT', 'scores');
    expect(Array.from((await ml.calibrateApply(cal, Float64Array.of(-1, 9))).probabilities)).toEqual([0, 1]);
  });

  it('isotonic calibration takes 0 / 1 labels only (labels of 1e100 gave "probabilities" of 5e99)', async () => {
    await expectField(
      ml.calibrate(Float64Array.of(0, 1, 2), Float64Array.of(0, 1e100, 1), { method: 'isotonic' }),
      'INVALID_ARGUMENT',
      'labels',
    );
  });
});

describe('engine.kernels.ml: k-means magnitudes', () => {
  const big = Float64Array.of(0, 0, 1, 1, 2e200, -3e200, 5, 5);
  for (const backend of ['js', 'native'] as const) {
    const skip = backend === 'native' ? kmeansSkip : '';
    it.skipIf(skip !== '')(`${backend}: values beyond +-1e100 fail with the index instead of an Infinity inertia${skip}`, async () => {
      await expectField(ml.kmeans(big, 2, { k: 2, backend }), 'INVALID_ARGUMENT', 'data');
      await expectField(ml.kmeansAssign(Float64Array.of(0, 0), big, 2, { backend }), 'INVALID_ARGUMENT', 'data');
      await expectField(ml.kmeansAssign(Float64Array.of(1e300, 0), Float64Array.of(1, 1), 2, { backend }), 'INVALID_ARGUMENT', 'centroids');
      await expectField(ml.kmeans(Float64Array.of(1, 2, 3), 1, { k: 1, maxIterations: 3e9, backend }), 'INVALID_ARGUMENT', 'maxIterations');
      // At the limit everything stays finite.
      const edge = Float64Array.of(-1e100, 1e100, 1e100, -1e100, 0, 0);
      const r = await ml.kmeans(edge, 2, { k: 2, backend });
      expect(Number.isFinite(r.inertia)).toBe(true);
      expect(r.centroids.every(Number.isFinite)).toBe(true);
      expect((await ml.kmeansAssign(edge.subarray(0, 2), edge, 2, { backend })).distances.every(Number.isFinite)).toBe(true);
    });
  }
});

describe('engine.kernels.ml: GBDT options and edge cases', () => {
  for (const backend of ['js', 'native'] as const) {
    const skip = backend === 'native' ? gbdtSkip : '';
    it.skipIf(skip !== '')(`${backend}: categoricalFeatures that is not an array fails with the field${skip}`, async () => {
      await expectField(ml.train(train, { categoricalFeatures: 'x' as never, backend }), 'INVALID_ARGUMENT', 'categoricalFeatures');
      await expectField(ml.train(train, { categoricalFeatures: { 0: 1 } as never, backend }), 'INVALID_ARGUMENT', 'categoricalFeatures');
      const typed = await ml.train(train, { categoricalFeatures: Int32Array.of() as never, numIterations: 1, backend });
      expect(typed.model.categoricalFeatures).toEqual([]);
    });

    it.skipIf(skip !== '')(`${backend}: counts beyond 2^31 - 1 fail with the field on both backends${skip}`, async () => {
      for (const field of ['numIterations', 'minDataInLeaf', 'earlyStoppingRounds'] as const)
        await expectField(ml.train(train, { [field]: 3e9, backend }), 'INVALID_ARGUMENT', field);
    });
  }

  it.skipIf(gbdtSkip !== '')(`native: binSampleSize beyond the rows samples every row, as in js${gbdtSkip}`, async () => {
    const opts = { numIterations: 3, minDataInLeaf: 2, binSampleSize: Number.MAX_SAFE_INTEGER };
    const js = await ml.train(train, { ...opts, backend: 'js' });
    const nat = await ml.train(train, { ...opts, backend: 'native' });
    expect((await ml.save(nat.model)).json).toBe((await ml.save(js.model)).json);
    expect(js.model.trees[0]?.numLeaves).toBeGreaterThan(1);
  });

  it.skipIf(gbdtSkip !== '')(
    `TreeSHAP on a model of single-leaf trees (constant features) is the bias on every backend${gbdtSkip}`,
    async () => {
      const flat = {
        features: new Float64Array(n * 2).fill(3.5),
        numFeatures: 2,
        labels: Float64Array.from({ length: n }, (_, i) => i % 5),
      };
      const { model } = await ml.train(flat, { numIterations: 3, backend: 'js' });
      expect(model.trees.every((t) => t.numLeaves === 1)).toBe(true);
      const rows = flat.features.subarray(0, 6);
      const js = await ml.contributions(model, rows, 2, { method: 'treeshap', backend: 'js' });
      for (const backend of ['native', 'auto'] as const) {
        const out = await ml.contributions(model, rows, 2, { method: 'treeshap', backend });
        expect(out.backend).toBe('native');
        expect(Array.from(out.contributions)).toEqual(Array.from(js.contributions));
      }
      expect(js.contributions[2]).toBeCloseTo(2, 12); // the mean label
      expect(js.contributions[0]).toBe(0);
    },
  );
});

describe('engine.kernels.ml: the tabular MLP', () => {
  const rows = 30;
  const base = Float64Array.from({ length: rows * 2 }, (_, i) => Math.sin(i) * 3);
  const labels = Float64Array.from({ length: rows }, (_, i) => i % 4);
  const opts = { epochs: 3, hiddenUnits: [8], prefer: 'cpu' as const };

  it('features near 1e200 standardise like any others (NaN weights, an unsaveable model before)', async () => {
    const plain = await ml.trainMlp({ features: base, numFeatures: 2, labels }, opts);
    const scaled = Float64Array.from(base, (v, i) => (i % 2 === 1 ? v * 1e200 : v));
    const big = await ml.trainMlp({ features: scaled, numFeatures: 2, labels }, opts);
    expect(big.model.numericStd[1]).toBeGreaterThan(1e199);
    const a = (await ml.predictMlp(plain.model, base, 2)).predictions;
    const b = (await ml.predictMlp(big.model, scaled, 2)).predictions;
    expect(b.every(Number.isFinite)).toBe(true);
    for (let i = 0; i < rows; i++) expect(b[i]).toBeCloseTo(a[i] as number, 4);
    const loaded = await ml.loadMlp((await ml.saveMlp(big.model)).artifact, { prefer: 'cpu' });
    expect(Array.from((await ml.predictMlp(loaded.model, scaled, 2)).predictions)).toEqual(Array.from(b));
  });

  it('a network too large to allocate fails with hiddenUnits, not a RangeError', async () => {
    await expectField(
      ml.trainMlp({ features: base, numFeatures: 2, labels }, { ...opts, hiddenUnits: [65536, 65536] }),
      'INVALID_ARGUMENT',
      'hiddenUnits',
    );
  });
});

describe('engine.kernels.ml: detached buffers', () => {
  it('inputs whose buffer was transferred are INVALID_ARGUMENT naming them (calibrateApply threw a TypeError; others read them as empty), as in the OR and time-series kernels', async () => {
    const cal = await ml.calibrate(Float64Array.of(0, 1, 2, 3), Float64Array.of(0, 0, 1, 1));
    const iso = await ml.calibrate(Float64Array.of(0, 1, 2, 3), Float64Array.of(0, 0, 1, 1), { method: 'isotonic' });
    const detached = (...v: number[]) => {
      const a = Float64Array.from(v);
      structuredClone(a.buffer, { transfer: [a.buffer] });
      return a;
    };
    for (const c of [cal, iso]) await expectField(ml.calibrateApply(c, detached(0.5, 1.5)), 'INVALID_ARGUMENT', 'scores');
    const { model } = await ml.train(
      { features: Float64Array.of(1, 2, 3, 4), numFeatures: 1, labels: Float64Array.of(1, 2, 3, 4) },
      {
        numIterations: 1,
        minDataInLeaf: 1,
        backend: 'js',
      },
    );
    for (const backend of ['js', 'auto'] as const) {
      await expectField(ml.predict(model, detached(1, 2), 1, { backend }), 'INVALID_ARGUMENT', 'features');
      await expectField(
        ml.train({ features: Float64Array.of(1, 2), numFeatures: 1, labels: detached(1, 2) }, { backend }),
        'INVALID_ARGUMENT',
        'train.labels',
      );
    }
  });
});

describe('engine.kernels.ml: logistic regression and Platt magnitudes', () => {
  const rows = 40;
  const f = Float64Array.from({ length: rows }, (_, i) => Math.sin(i) * 3);
  const labels = Float64Array.from({ length: rows }, (_, i) => ((f[i] as number) + Math.cos(i * 7) > 0 ? 1 : 0));

  it('tiny feature columns: fitted scale-free down to 1e-100 (1e-20 stopped at w = 0 as converged), refused below (the Hessian underflows)', async () => {
    const unit = await ml.trainLogistic(f, 1, labels, { lambda: 0, fitIntercept: false });
    for (const scale of [1e-20, 1e-90]) {
      const tiny = await ml.trainLogistic(
        f.map((v) => v * scale),
        1,
        labels,
        { lambda: 0, fitIntercept: false },
      );
      expect(tiny.converged).toBe(true);
      expect((tiny.model.weights[0] as number) * scale).toBeCloseTo(unit.model.weights[0] as number, 9);
    }
    await expectField(
      ml.trainLogistic(
        f.map((v) => v * 1e-200),
        1,
        labels,
      ),
      'INVALID_ARGUMENT',
      'features',
    );
    await expectField(
      ml.calibrate(
        f.map((v) => v * 1e-200),
        labels,
      ),
      'INVALID_ARGUMENT',
      'scores',
    );
  });

  it('features beyond +-1e100 fail with the index (the Hessian overflowed: zero weights reported as converged)', async () => {
    await expectField(
      ml.trainLogistic(
        f.map((v) => v * 1e200),
        1,
        labels,
      ),
      'INVALID_ARGUMENT',
      'features',
    );
    await expectField(
      ml.calibrate(
        f.map((v) => v * 1e200),
        labels,
      ),
      'INVALID_ARGUMENT',
      'scores',
    );
    // Within the limit the fit is scale-free: the weight scales back.
    const a = await ml.trainLogistic(f, 1, labels, { lambda: 0 });
    const b = await ml.trainLogistic(
      f.map((v) => v * 1e90),
      1,
      labels,
      { lambda: 0 },
    );
    expect(b.converged).toBe(true);
    expect((b.model.weights[0] as number) * 1e90).toBeCloseTo(a.model.weights[0] as number, 6);
  });

  it('predictLogistic refuses a model with a NaN coefficient instead of returning NaN', async () => {
    const x = Float64Array.of(1, 2);
    await expectField(ml.predictLogistic({ weights: Float64Array.of(Number.NaN), intercept: 0 }, x, 1), 'NOT_FINITE', 'model.weights');
    await expectField(
      ml.predictLogistic({ weights: Float64Array.of(1), intercept: Number.NaN }, x, 1),
      'INVALID_ARGUMENT',
      'model.intercept',
    );
    expect((await ml.predictLogistic({ weights: Float64Array.of(0), intercept: 0 }, x, 1)).probabilities[0]).toBe(0.5);
  });
});

describe('engine.kernels.ml: MLP prediction far outside the training data', () => {
  it('a row whose z-scores overflow float32 fails with its row instead of a NaN prediction', async () => {
    const tiny = Float64Array.of(1e-311, 4e-311, 3e-311, -1e-311, -4e-311);
    const res = await ml.trainMlp(
      { features: tiny, numFeatures: 1, labels: Float64Array.of(0, 1, 1, 0, 1) },
      { epochs: 1, hiddenUnits: [4], prefer: 'cpu', validFraction: 0 },
    );
    expect((await ml.predictMlp(res.model, tiny, 1)).predictions.every(Number.isFinite)).toBe(true);
    let caught: unknown;
    try {
      await ml.predictMlp(res.model, Float64Array.of(2e-311, 2 ** 31), 1);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WaybillError);
    expect((caught as WaybillError).details).toMatchObject({ field: 'features', row: 1 });
  });
});

describe('engine.kernels.ml: signal and onProgress options', () => {
  for (const backend of ['js', 'native'] as const) {
    const skip = backend === 'native' ? gbdtSkip : '';
    it.skipIf(skip !== '')(
      `${backend}: a signal that is not an AbortSignal fails with the field (NATIVE_ERROR / ignored before)${skip}`,
      async () => {
        for (const signal of ['x', {}, { aborted: true }])
          await expectField(ml.train(train, { numIterations: 1, backend, signal: signal as never }), 'INVALID_ARGUMENT', 'signal');
        await expectField(ml.kmeans(x, 2, { k: 2, backend, signal: {} } as never), 'INVALID_ARGUMENT', 'signal');
        const ok = await ml.train(train, { numIterations: 1, backend, signal: new AbortController().signal });
        expect(ok.stopReason).toBe('completed');
      },
    );
  }

  it('trainMlp checks signal and onProgress before training (a TypeError after the first epoch before)', async () => {
    const ds = { features: x, numFeatures: 2, labels: y };
    await expectField(ml.trainMlp(ds, { epochs: 1, prefer: 'cpu', onProgress: 5 as never }), 'INVALID_ARGUMENT', 'onProgress');
    await expectField(ml.trainMlp(ds, { epochs: 1, prefer: 'cpu', signal: 'x' as never }), 'INVALID_ARGUMENT', 'signal');
  });
});

describe('engine.kernels.ml: TreeSHAP on zero node counts', () => {
  it.skipIf(gbdtSkip !== '')(`js and native refuse the same model with the same field, zero rows included${gbdtSkip}`, async () => {
    const { model } = await ml.train(train, { numIterations: 2, minDataInLeaf: 5, backend: 'js' });
    const doc = JSON.parse((await ml.save(model)).json);
    doc.trees[1].leafCount = doc.trees[1].leafCount.map(() => 0);
    const zero = (await ml.load(doc)).model;
    expect(zero.trees[1]?.numLeaves).toBeGreaterThan(1);
    for (const backend of ['js', 'native'] as const)
      for (const rows of [x.subarray(0, 4), new Float64Array(0)])
        await expectField(ml.contributions(zero, rows, 2, { method: 'treeshap', backend }), 'INVALID_ARGUMENT', 'model.trees');
    // Saabas does not divide by the counts.
    expect((await ml.contributions(zero, x.subarray(0, 4), 2, { backend: 'native' })).contributions.every(Number.isFinite)).toBe(true);
  });
});

describe('engine.kernels.ml: models claiming huge feature counts', () => {
  it('a tiny model file claiming 2^30 features fails with numFeatures (the loader ran out of memory and killed the process)', async () => {
    const doc = {
      format: 'waybill-gbdt',
      formatVersion: 1,
      objective: { name: 'l2' },
      categoricalFeatures: [],
      initScore: 0,
      params: {},
      trees: [],
    };
    await expectField(ml.load({ ...doc, numFeatures: 2 ** 30 }), 'INVALID_ARGUMENT', 'numFeatures');
    // The same claim in a binary file: "WBGB", version 1, header length, header, zero padding.
    const header = new TextEncoder().encode(JSON.stringify({ ...doc, numFeatures: 2 ** 30 }));
    const padded = new Uint8Array(Math.ceil((12 + header.length) / 8) * 8);
    padded.set(new TextEncoder().encode('WBGB'));
    new DataView(padded.buffer).setUint32(4, 1, true);
    new DataView(padded.buffer).setUint32(8, header.length, true);
    padded.set(header, 12);
    await expectField(ml.loadBinary(padded), 'INVALID_ARGUMENT', 'numFeatures');
  });

  for (const backend of ['js', 'native'] as const) {
    const skip = backend === 'native' ? gbdtSkip : '';
    it.skipIf(skip !== '')(
      `${backend}: training on more than 2^24 features fails with numFeatures, so every model it makes loads${skip}`,
      async () => {
        const p = 2 ** 24 + 1;
        await expectField(
          ml.train({ features: new Float64Array(p), numFeatures: p, labels: Float64Array.of(1) }, { backend }),
          'INVALID_ARGUMENT',
          'numFeatures',
        );
      },
    );
  }
});
