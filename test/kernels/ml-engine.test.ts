/**
 * engine.kernels.ml: every call goes through the engine, reports its backend, and fails with a
 * catalogue code on bad input; training is asynchronous (timers run), reports progress and keeps
 * the best model when aborted; save / load round-trips predictions exactly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { WaybillError } from '../../src/errors.js';
import { gbdtPredict } from '../../src/kernels/ml/gbdt.js';
import { gbdtToJson, loadGbdtModel, saveGbdtModel } from '../../src/kernels/ml/gbdt-json.js';
import { nativeKmeansStatus } from '../../src/kernels/ml/kmeans-native.js';
import { rmse, rocAuc } from '../../src/kernels/ml/metrics.js';
import { nativeGbdtCudaStatus, nativeGbdtStatus } from '../../src/kernels/ml/native.js';
import { gaussian, mulberry32 } from '../../src/kernels/ml/random.js';
import { makeSyntheticTabular, splitRows } from '../../src/kernels/ml/synthetic.js';

const engine = createEngine({ workers: 0 });
const ml = engine.kernels.ml;
afterAll(() => engine.close());
const nativeOk = nativeGbdtStatus().ok;
const cudaOk = nativeGbdtCudaStatus().ok;
if (!nativeOk) console.warn('skipped: engine.kernels.ml native GBDT dispatch: the addon has no GBDT kernels');

async function expectCode(p: Promise<unknown>, code: string, details: Record<string, unknown> = {}): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'should reject').toBeInstanceOf(WaybillError);
  expect((caught as WaybillError).code).toBe(code);
  expect((caught as WaybillError).details ?? {}).toMatchObject(details);
}

const data = makeSyntheticTabular({ rows: 3000, numericFeatures: 6, categoricalFeatures: 2, seed: 11, noise: 0.5 });
const [train, test] = splitRows(data, 2400);

describe('engine.kernels.ml GBDT', () => {
  it('trains asynchronously with progress, predicts better than the mean, and says which backend ran', async () => {
    const progress: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const res = await ml.train(train, {
      backend: 'js',
      numIterations: 60,
      categoricalFeatures: data.categoricalFeatures,
      featureNames: data.featureNames,
      onProgress: (p) => progress.push(p.iteration),
    });
    clearInterval(timer);
    expect(res.backend).toBe('js');
    expect(res.timings.totalMs).toBeGreaterThan(0);
    expect(progress).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // The event loop ran between trees: a 1 ms timer fired many times during training.
    expect(ticks).toBeGreaterThan(10);
    const pred = await ml.predict(res.model, test.features, test.numFeatures, { backend: 'js' });
    expect(pred.backend).toBe('js');
    const mean = train.labels.reduce((a, b) => a + b, 0) / train.labels.length;
    const base = rmse(test.labels, new Float64Array(test.labels.length).fill(mean));
    const err = rmse(test.labels, pred.predictions);
    // The mean scores 2.33 and the true signal 0.50 here; 60 trees of 2400 rows reach 1.25.
    expect(err).toBeLessThan(0.6 * base);
    // Same numbers as the reference function.
    expect(Array.from(pred.predictions)).toEqual(Array.from(gbdtPredict(res.model, test.features, test.numFeatures)));
  });

  it('importance names the signal features; contributions add up to the raw prediction', async () => {
    const { model } = await ml.train(train, {
      numIterations: 30,
      categoricalFeatures: data.categoricalFeatures,
      featureNames: data.featureNames,
    });
    const imp = await ml.importance(model);
    expect(imp.backend).toBe('js');
    expect(imp.featureNames).toEqual(data.featureNames);
    // x0 carries 2 sin(pi x0), the strongest term of the generator.
    const top = imp.featureNames[imp.importance.indexOf(Math.max(...imp.importance))];
    expect(top).toBe('x0');
    const split = await ml.importance(model, { type: 'split' });
    expect(split.importance.every((v) => Number.isInteger(v))).toBe(true);
    const rows = test.features.subarray(0, 5 * test.numFeatures);
    const c = await ml.contributions(model, rows, test.numFeatures);
    expect(c.method).toBe('saabas');
    expect(c.columns).toBe(test.numFeatures + 1);
    const raw = (await ml.predict(model, rows, test.numFeatures, { raw: true })).predictions;
    for (let i = 0; i < 5; i++) {
      const s = c.contributions.subarray(i * c.columns, (i + 1) * c.columns).reduce((a, b) => a + b, 0);
      expect(s).toBeCloseTo(raw[i] as number, 9);
    }
  });

  it('save / load round-trips the predictions bit for bit', async () => {
    const { model } = await ml.train(train, { numIterations: 15, categoricalFeatures: data.categoricalFeatures });
    const saved = await ml.save(model);
    expect(saved).toMatchObject({ format: 'waybill-gbdt', formatVersion: 1, backend: 'js' });
    const loaded = await ml.load(saved.json);
    const again = await ml.load(JSON.parse(saved.json) as object);
    const a = (await ml.predict(model, test.features, test.numFeatures)).predictions;
    const b = (await ml.predict(loaded.model, test.features, test.numFeatures)).predictions;
    const c = (await ml.predict(again.model, test.features, test.numFeatures)).predictions;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
    await expectCode(ml.load('{"format":"waybill-gbdt","formatVersion":99}'), 'INVALID_ARGUMENT', { field: 'formatVersion' });
  });

  it('an abort keeps the best model so far (by validation loss) instead of throwing', async () => {
    const [tr, va] = splitRows(train, 1800);
    const ac = new AbortController();
    const res = await ml.train(tr, {
      backend: 'js',
      numIterations: 500,
      valid: va,
      onProgress: (p) => {
        if (p.iteration === 12) ac.abort();
      },
      signal: ac.signal,
    });
    expect(res.stopReason).toBe('aborted');
    expect(res.iterations).toBe(12);
    const v = res.validLoss as Float64Array;
    const best = v.indexOf(Math.min(...v)) + 1;
    expect(res.bestIteration).toBe(best);
    expect(res.model.trees).toHaveLength(best);
  });

  it('bad input: NaN labels, zero rows, wrong feature count, a bad model, an unbuilt backend, a closed engine', async () => {
    const labels = Float64Array.from(train.labels);
    labels[7] = Number.NaN;
    await expectCode(ml.train({ ...train, labels }), 'NOT_FINITE', { field: 'train.labels', index: 7 });
    await expectCode(ml.train({ features: new Float64Array(0), numFeatures: 3, labels: new Float64Array(0) }), 'INVALID_ARGUMENT');
    const { model } = await ml.train(train, { numIterations: 3 });
    await expectCode(ml.predict(model, new Float64Array(10), 5), 'INVALID_LENGTH', { expected: 8, actual: 5 });
    await expectCode(ml.predict({} as never, test.features, 8), 'INVALID_ARGUMENT', { field: 'model' });
    await expectCode(ml.train(train, { backend: 'cuda' }), 'BACKEND_UNAVAILABLE', { backend: 'cuda' });
    if (!nativeOk) await expectCode(ml.predict(model, test.features, 8, { backend: 'native' }), 'BACKEND_UNAVAILABLE');
    // With a device, forced cuda predicts (test/kernels/ml-cuda-parity.test.ts); contributions never run there.
    if (!cudaOk) await expectCode(ml.predict(model, test.features, 8, { backend: 'cuda' }), 'BACKEND_UNAVAILABLE', { backend: 'cuda' });
    await expectCode(ml.contributions(model, test.features, 8, { backend: 'cuda' }), 'BACKEND_UNAVAILABLE', { backend: 'cuda' });
    await expectCode(ml.train(train, { backend: 'gpu' as never }), 'INVALID_ARGUMENT', { field: 'backend' });
    const closed = createEngine({ workers: 0 });
    await closed.close();
    await expectCode(closed.kernels.ml.predict(model, test.features, 8), 'POOL_CLOSED');
  });

  it('a model object with a child or split feature out of range fails with the field instead of a wrong answer or an endless loop', async () => {
    const { model } = await ml.train(train, { numIterations: 2, backend: 'js' });
    const altered = (edit: (t: (typeof model.trees)[number]) => void) => {
      const m = loadGbdtModel(saveGbdtModel(model));
      edit(m.trees[0] as (typeof model.trees)[number]);
      return m;
    };
    for (const backend of ['js', 'auto'] as const) {
      // The reference read the feature of another row (a silently wrong prediction) ...
      const farFeature = altered((t) => {
        t.splitFeature[0] = 1000;
      });
      await expectCode(ml.predict(farFeature, test.features, 8, { backend }), 'INVALID_ARGUMENT', { field: 'trees[0].splitFeature[0]' });
      await expectCode(ml.contributions(farFeature, test.features, 8, { backend }), 'INVALID_ARGUMENT');
      // ... and looped forever on a child pointing back up the tree.
      const cycle = altered((t) => {
        t.leftChild[0] = 0;
      });
      await expectCode(ml.predict(cycle, test.features, 8, { backend }), 'INVALID_ARGUMENT', { field: 'trees[0].leftChild[0]' });
      await expectCode(
        ml.predict(
          altered((t) => {
            t.rightChild[0] = 1e6;
          }),
          test.features,
          8,
          { backend },
        ),
        'INVALID_ARGUMENT',
      );
    }
    // The models of train and load are unchanged in use.
    expect((await ml.predict(model, test.features, 8, { backend: 'js' })).predictions).toEqual(gbdtPredict(model, test.features, 8));
  });
});

describe('engine.kernels.ml k-means, logistic regression, calibration', () => {
  it('k-means recovers three blobs', async () => {
    const rng = mulberry32(5);
    const centres = [0, 0, 8, 0, 0, 8];
    const pts = new Float64Array(300 * 2);
    for (let i = 0; i < 300; i++) for (let f = 0; f < 2; f++) pts[i * 2 + f] = (centres[(i % 3) * 2 + f] as number) + 0.4 * gaussian(rng);
    const r = await ml.kmeans(pts, 2, { k: 3, seed: 1 });
    // 'auto' runs the C++ k-means when the addon has it (test/kernels/ml-kmeans-native.test.ts).
    expect(r.backend).toBe(nativeKmeansStatus().ok ? 'native' : 'js');
    // Every true group lands in one cluster, and the three groups in three different clusters.
    const groupCluster = [0, 1, 2].map((g) => r.labels[g] as number);
    expect(new Set(groupCluster).size).toBe(3);
    for (let i = 0; i < 300; i++) expect(r.labels[i]).toBe(groupCluster[i % 3]);
    const a = await ml.kmeansAssign(r.centroids, pts.subarray(0, 6), 2);
    expect(Array.from(a.labels)).toEqual(groupCluster);
    await expectCode(ml.kmeans(pts, 2, { k: 0 }), 'INVALID_K');
  });

  it('logistic regression recovers its weights; Platt and isotonic calibrate GBDT scores', async () => {
    const rng = mulberry32(9);
    const n = 4000;
    const x = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i * 2] = gaussian(rng);
      x[i * 2 + 1] = gaussian(rng);
      const z = 1.5 * (x[i * 2] as number) - (x[i * 2 + 1] as number) + 0.5;
      y[i] = rng() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const lr = await ml.trainLogistic(x, 2, y, { lambda: 1e-6 });
    expect(lr.backend).toBe('js');
    expect(lr.model.weights[0]).toBeCloseTo(1.5, 0);
    expect(lr.model.weights[1]).toBeCloseTo(-1, 0);
    const p = await ml.predictLogistic(lr.model, x, 2);
    expect(rocAuc(y, p.probabilities)).toBeGreaterThan(0.8);
    // Raw margins of a model are not probabilities; calibration maps them onto [0, 1] monotonically.
    const margins = Float64Array.from(p.probabilities, (q) => 3 * Math.log(q / (1 - q)));
    const platt = await ml.calibrate(margins, y);
    expect(platt.method).toBe('platt');
    const cal = await ml.calibrateApply(platt, margins);
    for (let i = 0; i < 50; i++) expect(cal.probabilities[i]).toBeCloseTo(p.probabilities[i] as number, 1);
    const iso = await ml.calibrate(margins, y, { method: 'isotonic' });
    const ci = await ml.calibrateApply(iso, Float64Array.of(-100, 0, 100));
    expect(ci.probabilities[0]).toBeLessThanOrEqual(ci.probabilities[1] as number);
    expect(ci.probabilities[1]).toBeLessThanOrEqual(ci.probabilities[2] as number);
    await expectCode(ml.calibrate(margins, y, { method: 'beta' as never }), 'INVALID_ARGUMENT', { field: 'method' });
    await expectCode(
      ml.trainLogistic(
        x,
        2,
        Float64Array.from(y, (v) => v * 2),
      ),
      'INVALID_ARGUMENT',
      { field: 'labels' },
    );
  });
});

describe.skipIf(!nativeOk)('engine.kernels.ml on the C++ core', () => {
  it('auto picks native when the addon has the GBDT kernels; same trees and predictions as backend js', async () => {
    const opts = { numIterations: 25, categoricalFeatures: data.categoricalFeatures, featureNames: data.featureNames };
    const nat = await ml.train(train, opts);
    const ref = await ml.train(train, { ...opts, backend: 'js' });
    expect(nat.backend).toBe('native');
    expect(ref.backend).toBe('js');
    expect(JSON.stringify(gbdtToJson(nat.model))).toBe(JSON.stringify(gbdtToJson(ref.model)));
    const p = await ml.predict(nat.model, test.features, test.numFeatures, { backend: 'native', threads: 2 });
    expect(p.backend).toBe('native');
    const q = await ml.predict(ref.model, test.features, test.numFeatures, { backend: 'js' });
    for (let i = 0; i < q.predictions.length; i++)
      expect(Math.abs((p.predictions[i] as number) - (q.predictions[i] as number))).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(q.predictions[i] as number)),
      );
    const c = await ml.contributions(nat.model, test.features.subarray(0, 8 * 5), 8);
    expect(c.backend).toBe('native');
    expect(c.columns).toBe(9);
  });
});
