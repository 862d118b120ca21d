/**
 * POST /v1/ml/train and /v1/ml/predict (inject): the OpenAPI entries; a GBDT trained as a job on
 * seeded synthetic data (columns) that then predicts held-out rows well through the API, with
 * importance and contributions that mean something; progress while running; cancel keeping the
 * best model so far; ?wait=true; MLP artifacts predicted through the same route; bad input as
 * 400 / 413 with the kernel's codes, before any job exists, and the server still serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { rmse } from '../../src/kernels/ml/metrics.js';
import { makeSyntheticTabular, type SyntheticData, splitRows } from '../../src/kernels/ml/synthetic.js';
import { disposeTabularMlp } from '../../src/kernels/ml/tfjs.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

const engine = createEngine({ workers: 0 });
let server: WaybillServer;
beforeAll(async () => {
  server = await buildServer({ engine, plugins: [] });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});

const post = (url: string, payload: unknown) => server.app.inject({ method: 'POST', url, payload: payload as object });
const get = async (id: string) => (await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}` })).json();

async function until(id: string, done: (j: { state: string; detail?: { iteration?: number } }) => boolean, ms = 20_000) {
  const t0 = Date.now();
  for (;;) {
    const j = await get(id);
    if (done(j) || Date.now() - t0 > ms) return j;
    await new Promise((r) => setTimeout(r, 10));
  }
}
const finished = (j: { state: string }) => j.state !== 'queued' && j.state !== 'running';

type Dataset = Pick<SyntheticData, 'features' | 'numFeatures' | 'labels'>;
/** Row arrays, NaN -> null. */
const rowsOf = (d: Dataset) =>
  Array.from({ length: d.labels.length }, (_, i) =>
    Array.from(d.features.subarray(i * d.numFeatures, (i + 1) * d.numFeatures), (v) => (Number.isNaN(v) ? null : v)),
  );
/** Columns keyed by name, NaN -> null. */
const columnsOf = (d: Dataset, names: string[]) =>
  Object.fromEntries(
    names.map((name, f) => [
      name,
      Array.from({ length: d.labels.length }, (_, i) => nullIfNaN(d.features[i * d.numFeatures + f] as number)),
    ]),
  );
const nullIfNaN = (v: number) => (Number.isNaN(v) ? null : v);
const meanRmse = (train: Float64Array, test: Float64Array) => {
  const m = train.reduce((a, b) => a + b, 0) / train.length;
  return rmse(test, new Float64Array(test.length).fill(m));
};

// x0..x7 numeric (x6, x7 pure noise), c0, c1 categorical; 1500 rows to train, 500 to test.
const data = makeSyntheticTabular({ rows: 2000, numericFeatures: 8, categoricalFeatures: 2, noise: 0.5, seed: 21 });
const [train, test] = splitRows(data, 1500);
const names = data.featureNames;

describe('docs', () => {
  it('lists the ML routes in the OpenAPI document', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.paths['/v1/ml/train'].post.tags).toEqual(['ml']);
    expect(doc.paths['/v1/ml/predict'].post.tags).toEqual(['ml']);
    expect(Object.keys(doc.paths['/v1/ml/train'].post.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '413']));
  });
});

describe('POST /v1/ml/train + /v1/ml/predict', () => {
  it('trains as a job (columns, categorical by name), then predicts held-out rows far better than the mean', async () => {
    const res = await post('/v1/ml/train', {
      features: columnsOf(train, names),
      labels: Array.from(train.labels),
      categoricalFeatures: ['c0', 'c1'],
      objective: 'l2',
      options: { numIterations: 150, learningRate: 0.1, maxLeaves: 15, seed: 1 },
    });
    expect(res.statusCode).toBe(202);
    const { id, links } = res.json();
    expect(res.headers.location).toBe(`/v1/jobs/${id}`);
    expect(links.self).toBe(`/v1/jobs/${id}`);
    const job = await until(id, finished);
    expect(job.state).toBe('succeeded');
    expect(job.type).toBe('ml-train');
    expect(job.request).toMatchObject({ rows: 1500, numFeatures: 10, numIterations: 150, objective: { name: 'l2' } });
    const r = job.result;
    expect(r.model).toMatchObject({
      format: 'waybill-gbdt',
      formatVersion: 1,
      numFeatures: 10,
      featureNames: names,
      categoricalFeatures: [8, 9],
    });
    expect(r.model.trees).toHaveLength(150);
    expect(r.metrics).toMatchObject({ iterations: 150, bestIteration: 150, stopReason: 'completed', loss: 'mean squared error' });
    expect(r.metrics.trainLoss).toHaveLength(150);
    expect(r.metrics.trainLoss[149]).toBeLessThan(r.metrics.trainLoss[0] / 4);
    expect(r.metrics.bestTrainLoss).toBe(r.metrics.trainLoss[149]);
    expect(['native', 'js']).toContain(r.backend);
    // Importance: x0 carries 2 sin(pi x0); x6 and x7 are noise.
    expect(r.importance.featureNames).toEqual(names);
    expect(r.importance.gain[0]).toBeGreaterThan(10 * Math.max(r.importance.gain[6], r.importance.gain[7]));
    expect(r.importance.split.reduce((a: number, b: number) => a + b, 0)).toBe(150 * 14);

    // Predict held-out rows (rows form). Mean: ~2.5, true signal ~0.53, this model ~1.15 (0.46 x the mean's).
    const p = await post('/v1/ml/predict', { model: r.model, features: rowsOf(test), contributions: true });
    expect(p.statusCode).toBe(200);
    const out = p.json();
    expect(out.predictions).toHaveLength(500);
    const predictions = Float64Array.from(out.predictions);
    const base = meanRmse(train.labels, test.labels);
    expect(base).toBeGreaterThan(1.5);
    expect(rmse(test.labels, predictions)).toBeLessThan(0.55 * base);
    // Contributions: feature names + bias; each row sums to the (l2: identity link) prediction.
    expect(out.contributions.columns).toEqual([...names, 'bias']);
    expect(out.contributions.method).toBe('saabas');
    out.contributions.values.forEach((row: number[], i: number) => {
      expect(row).toHaveLength(11);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(out.predictions[i], 8);
    });
    // TreeSHAP on request: the same bias column, rows summing to the predictions, other values.
    const first = rowsOf(test).slice(0, 20);
    const ts = (
      await post('/v1/ml/predict', { model: r.model, features: first, contributions: true, contributionMethod: 'treeshap' })
    ).json();
    expect(ts.contributions.method).toBe('treeshap');
    ts.contributions.values.forEach((row: number[], i: number) => {
      expect(row[10]).toBe(out.contributions.values[i][10]);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(out.predictions[i], 8);
    });
    expect(ts.contributions.values[0]).not.toEqual(out.contributions.values[0]);
    const noFlag = await post('/v1/ml/predict', { model: r.model, features: first, contributionMethod: 'treeshap' });
    expect(noFlag.statusCode).toBe(400);
    expect(noFlag.json()).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'contributionMethod' } });
    const badMethod = await post('/v1/ml/predict', { model: r.model, features: first, contributions: true, contributionMethod: 'lime' });
    expect(badMethod.statusCode).toBe(400);
    // The same rows as columns in another key order give the same predictions; so does the engine.
    const shuffled = Object.fromEntries(Object.entries(columnsOf(test, names)).reverse());
    const q = await post('/v1/ml/predict', { model: r.model, features: shuffled });
    expect(q.json().predictions).toEqual(out.predictions);
    const loaded = await engine.kernels.ml.load(r.model);
    const direct = await engine.kernels.ml.predict(loaded.model, test.features, 10);
    expect(Array.from(direct.predictions)).toEqual(out.predictions);
    // numIterations uses the first trees only: worse than all of them.
    const few = (await post('/v1/ml/predict', { model: r.model, features: rowsOf(test), numIterations: 5 })).json();
    expect(rmse(test.labels, Float64Array.from(few.predictions))).toBeGreaterThan(rmse(test.labels, predictions) * 1.5);
  });

  it('quantile with a validation set and early stopping, ?wait=true: 200 with the result; rows with featureNames', async () => {
    const [fit, valid] = splitRows(train, 1100);
    const res = await post('/v1/ml/train?wait=true', {
      features: rowsOf(fit),
      labels: Array.from(fit.labels),
      featureNames: names,
      categoricalFeatures: [8, 9],
      objective: { name: 'quantile', alpha: 0.9 },
      options: { numIterations: 2000, learningRate: 0.3, earlyStoppingRounds: 10, seed: 2 },
      valid: { features: columnsOf(valid, names), labels: Array.from(valid.labels) },
    });
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.metrics.stopReason).toBe('early-stopping');
    expect(r.metrics.objective).toEqual({ name: 'quantile', alpha: 0.9 });
    expect(r.metrics.loss).toBe('mean pinball loss');
    expect(r.metrics.iterations).toBe(r.metrics.bestIteration + 10);
    expect(r.metrics.validLoss).toHaveLength(r.metrics.iterations);
    expect(r.model.trees).toHaveLength(r.metrics.bestIteration);
    expect(r.metrics.bestValidLoss).toBe(Math.min(...r.metrics.validLoss));
    // About 90 % of held-out labels lie below the predicted 0.9-quantile.
    const p = (await post('/v1/ml/predict', { model: r.model, features: rowsOf(test) })).json().predictions as number[];
    const below = p.filter((q, i) => (test.labels[i] as number) <= q).length / p.length;
    expect(below).toBeGreaterThan(0.75);
    expect(below).toBeLessThan(0.97);
  });

  it('shows progress while running; DELETE stops training and keeps the best model so far', async () => {
    const big = makeSyntheticTabular({ rows: 30_000, numericFeatures: 8, categoricalFeatures: 2, seed: 5 });
    const [fit, valid] = splitRows(big, 25_000);
    const res = await post('/v1/ml/train', {
      features: rowsOf(fit),
      labels: Array.from(fit.labels),
      categoricalFeatures: [8, 9],
      options: { numIterations: 100_000, learningRate: 0.05, maxLeaves: 63, seed: 3 },
      valid: { features: rowsOf(valid), labels: Array.from(valid.labels) },
    });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    const seen: Array<{ progress: number; detail: { iteration: number; trainLoss: number; validLoss: number; bestIteration: number } }> =
      [];
    const running = await until(id, (j) => {
      if (j.state === 'running' && j.detail) seen.push(j as unknown as (typeof seen)[number]);
      return finished(j) || (j.detail?.iteration ?? 0) >= 20;
    });
    expect(running.state).toBe('running');
    expect(seen.length).toBeGreaterThan(0);
    const last = seen[seen.length - 1] as (typeof seen)[number];
    expect(last.detail.iteration).toBeGreaterThanOrEqual(1);
    expect(last.progress).toBeCloseTo(last.detail.iteration / 100_000, 12);
    expect(last.detail.validLoss).toBeGreaterThan(0);
    expect(last.detail.bestIteration).toBeLessThanOrEqual(last.detail.iteration);

    const del = await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(del.statusCode).toBe(200);
    const job = await until(id, finished);
    expect(job.state).toBe('cancelled');
    expect(job.error.code).toBe('ABORTED');
    const r = job.result;
    expect(r.metrics.stopReason).toBe('aborted');
    expect(r.metrics.iterations).toBeGreaterThanOrEqual(20);
    expect(r.metrics.iterations).toBeLessThan(100_000);
    expect(r.model.trees).toHaveLength(r.metrics.bestIteration);
    expect(r.metrics.bestValidLoss).toBe(Math.min(...r.metrics.validLoss));
    // The partial model is a working model.
    const p = await post('/v1/ml/predict', { model: r.model, features: rowsOf(valid).slice(0, 50) });
    expect(p.statusCode).toBe(200);
    expect(p.json().predictions).toHaveLength(50);
    // A finished job cannot be cancelled again.
    expect((await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` })).statusCode).toBe(409);
  });

  it('predicts with a tabular MLP artifact (same numbers as the engine); GBDT-only options are refused', async () => {
    const res = await engine.kernels.ml.trainMlp(train, {
      categoricalFeatures: [8, 9],
      featureNames: names,
      hiddenUnits: [16],
      epochs: 3,
      seed: 1,
    });
    const { artifact } = await engine.kernels.ml.saveMlp(res.model);
    const direct = await engine.kernels.ml.predictMlp(res.model, test.features, 10);
    disposeTabularMlp(res.model);
    const p = await post('/v1/ml/predict', { model: artifact, features: columnsOf(test, names) });
    expect(p.statusCode).toBe(200);
    expect(p.json()).toMatchObject({ format: 'waybill-mlp', backend: res.backend });
    expect(p.json().predictions).toEqual(Array.from(direct.predictions));
    const c = await post('/v1/ml/predict', { model: artifact, features: rowsOf(test), contributions: true });
    expect(c.statusCode).toBe(400);
    expect(c.json()).toMatchObject({ code: 'KERNEL_UNSUPPORTED', details: { field: 'contributions' } });
    const m = await post('/v1/ml/predict', { model: artifact, features: rowsOf(test), contributionMethod: 'treeshap' });
    expect(m.json()).toMatchObject({ code: 'KERNEL_UNSUPPORTED', details: { field: 'contributionMethod' } });
    const corrupt = await post('/v1/ml/predict', { model: { ...artifact, weights: artifact.weights.slice(1) }, features: rowsOf(test) });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json()).toMatchObject({ code: 'INVALID_LENGTH', details: { field: 'weights' } });
  });
});

describe('bad input', () => {
  const small = { features: [[1], [2], [3], [4]], labels: [1, 2, 3, 4] };
  async function expect400(url: string, payload: unknown, code: string, details: Record<string, unknown> = {}, status = 400) {
    const res = await post(url, payload);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expect(res.json().details ?? {}).toMatchObject(details);
    return res.json();
  }

  it('training: each bad input is answered at once, no job is created, and the server keeps serving', async () => {
    const before = engine.jobs.stateCounts();
    const t = '/v1/ml/train';
    await expect400(t, { ...small, labels: [1, null, 3, 4] }, 'NOT_FINITE', { field: 'train.labels', index: 1 });
    await expect400(t, { ...small, valid: { features: [[1]], labels: [null] } }, 'NOT_FINITE', { field: 'valid.labels' });
    await expect400(t, { features: [], labels: [] }, 'INVALID_ARGUMENT', { field: 'features', rows: 0 });
    await expect400(t, { features: { a: [], b: [] }, labels: [] }, 'INVALID_ARGUMENT', { field: 'features', rows: 0 });
    await expect400(t, { features: [[1, 2], [3]], labels: [1, 2] }, 'INVALID_LENGTH', { field: 'features[1]', expected: 2, actual: 1 });
    await expect400(t, { features: { a: [1, 2], b: [3] }, labels: [1, 2] }, 'INVALID_LENGTH', { field: 'features.b' });
    await expect400(t, { ...small, labels: [1, 2, 3] }, 'INVALID_LENGTH', { field: 'train.features', rows: 4, expected: 3 });
    await expect400(t, { ...small, valid: { features: [[1, 2]], labels: [1] } }, 'INVALID_LENGTH', {
      field: 'valid.features[0]',
      expected: 1,
    });
    await expect400(t, { ...small, featureNames: ['a', 'b'] }, 'INVALID_LENGTH', { field: 'featureNames' });
    await expect400(t, { ...small, objective: 'hinge' }, 'INVALID_ARGUMENT');
    await expect400(t, { ...small, objective: { name: 'quantile', alpha: 1.5 } }, 'INVALID_ARGUMENT', { field: 'objective.alpha' });
    await expect400(t, { ...small, objective: 'logistic' }, 'INVALID_ARGUMENT', { field: 'train.labels' });
    await expect400(t, { ...small, labels: [1, -2, 3, 4], objective: 'poisson' }, 'INVALID_ARGUMENT', { field: 'train.labels' });
    await expect400(t, { ...small, options: { learningRate: 5 } }, 'INVALID_ARGUMENT', { field: 'learningRate' });
    await expect400(t, { ...small, options: { maxLeaves: 1 } }, 'INVALID_ARGUMENT', { field: 'maxLeaves' });
    await expect400(t, { ...small, options: { unknown: 1 } }, 'INVALID_ARGUMENT');
    await expect400(t, { ...small, categoricalFeatures: ['nope'] }, 'INVALID_ARGUMENT', { field: 'categoricalFeatures' });
    await expect400(t, { ...small, categoricalFeatures: [3] }, 'INVALID_ARGUMENT', { field: 'categoricalFeatures' });
    await expect400(t, { features: [[0.5], [1], [2], [3]], labels: [1, 2, 3, 4], categoricalFeatures: [0] }, 'INVALID_ARGUMENT', {
      field: 'features',
      row: 0,
    });
    await expect400(t, { ...small, features: [['1'], [2], [3], [4]] }, 'INVALID_ARGUMENT');
    const malformed = await server.app.inject({
      method: 'POST',
      url: t,
      headers: { 'content-type': 'application/json' },
      payload: '{"features": [',
    });
    expect(malformed.statusCode).toBe(400);
    expect(engine.jobs.stateCounts()).toEqual(before);
    // Still serving: a good request right after.
    const ok = await post('/v1/ml/train?wait=true', { ...small, options: { numIterations: 3, minDataInLeaf: 1 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().model.trees).toHaveLength(3);
  });

  it('prediction: node counts TreeSHAP cannot use are 400 naming the field, never a 500', async () => {
    const model = (
      await post('/v1/ml/train?wait=true', {
        features: { a: [1, 2, 3, 4, 5, 6], b: [2, 1, 5, 3, 9, 2] },
        labels: [1, 2, 3, 4, 5, 6],
        options: { numIterations: 2, minDataInLeaf: 1 },
      })
    ).json().model;
    const tree = model.trees[1];
    const withTree = (change: (t: typeof tree) => void) => {
      const t = structuredClone(tree);
      change(t);
      return { ...model, trees: [model.trees[0], t] };
    };
    const features = [
      [1, 2],
      [3, null],
    ];
    const shap = { features, contributions: true, contributionMethod: 'treeshap' };
    // A leaf with no rows: the addon's own check was a plain Error, answered as 500 INTERNAL.
    const zero = withTree((t) => {
      t.leafCount[0] = 0;
    });
    await expect400('/v1/ml/predict', { model: zero, ...shap }, 'INVALID_ARGUMENT');
    // A child covering more rows than its parent: NaN contributions, answered as 500 INTERNAL.
    const child = tree.leftChild[0] >= 0 ? `internalCount[${tree.leftChild[0]}]` : `leafCount[${~tree.leftChild[0]}]`;
    const tiny = withTree((t) => {
      t.internalCount[0] = 5e-324;
    });
    await expect400('/v1/ml/predict', { model: tiny, ...shap }, 'INVALID_ARGUMENT', { field: `trees[1].${child}` });
    // A leaf of 5e-324 rows is consistent but degenerate: contributions are null where not finite.
    const subnormal = withTree((t) => {
      t.leafCount[0] = 5e-324;
    });
    const res = await post('/v1/ml/predict', { model: subnormal, ...shap });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().contributions.values.flat()).toContain(null);
  });

  it('prediction: corrupt model, wrong feature count, unknown or missing columns', async () => {
    const model = (
      await post('/v1/ml/train?wait=true', {
        features: { a: [1, 2, 3, 4], b: [4, 3, 2, 1] },
        labels: [1, 2, 3, 4],
        options: { numIterations: 2, minDataInLeaf: 1 },
      })
    ).json().model;
    const p = '/v1/ml/predict';
    expect((await post(p, { model, features: { b: [1], a: [2] } })).statusCode).toBe(200);
    expect((await post(p, { model, features: [] })).json().predictions).toEqual([]);
    await expect400(p, { model, features: [[1, 2, 3]] }, 'INVALID_LENGTH', { field: 'features[0]', expected: 2, actual: 3 });
    await expect400(p, { model, features: { a: [1] } }, 'INVALID_ARGUMENT', { field: 'features.b' });
    await expect400(p, { model, features: { a: [1], b: [2], c: [3] } }, 'INVALID_ARGUMENT', { field: 'features.c' });
    await expect400(p, { model: { ...model, formatVersion: 9 }, features: [[1, 2]] }, 'INVALID_ARGUMENT', { field: 'formatVersion' });
    await expect400(p, { model: { ...model, trees: [{ numLeaves: 3 }] }, features: [[1, 2]] }, 'INVALID_ARGUMENT', {
      field: 'trees[0].splitFeature',
    });
    await expect400(p, { model: { format: 'onnx' }, features: [[1, 2]] }, 'INVALID_ARGUMENT');
    await expect400(p, { model, features: [[1, 2]], numIterations: 5 }, 'INVALID_ARGUMENT', { field: 'numIterations' });
  });

  it('oversized bodies and too many values: 413 TOO_LARGE, then the server keeps serving', async () => {
    const tiny = await buildServer({ engine, plugins: [], bodyLimit: 4096, maxMlValues: 100 });
    try {
      const big = { features: Array.from({ length: 2000 }, (_, i) => [i]), labels: Array.from({ length: 2000 }, (_, i) => i) };
      const r1 = await tiny.app.inject({ method: 'POST', url: '/v1/ml/train', payload: big });
      expect(r1.statusCode).toBe(413);
      expect(r1.json().code).toBe('TOO_LARGE');
      const many = { features: Array.from({ length: 60 }, (_, i) => [i, i]), labels: Array.from({ length: 60 }, (_, i) => i) };
      const r2 = await tiny.app.inject({ method: 'POST', url: '/v1/ml/train', payload: many });
      expect(r2.statusCode).toBe(413);
      expect(r2.json()).toMatchObject({ code: 'TOO_LARGE', details: { limit: 100 } });
      const r3 = await tiny.app.inject({
        method: 'POST',
        url: '/v1/ml/predict',
        payload: { model: { format: 'waybill-gbdt' }, features: many.features },
      });
      expect(r3.statusCode).toBe(413);
      expect(r3.json().code).toBe('TOO_LARGE');
      const ok = await tiny.app.inject({
        method: 'POST',
        url: '/v1/ml/train?wait=true',
        payload: { ...small, options: { numIterations: 2, minDataInLeaf: 1 } },
      });
      expect(ok.statusCode).toBe(200);
    } finally {
      await tiny.app.close();
    }
  });
});
