/**
 * POST /v1/ml/uplift/train and /v1/ml/uplift/predict (inject): the OpenAPI entries; an uplift
 * model of a synthetic randomised test trained as a job (columns with names, a categorical
 * feature) whose predicted effects match the embedding API's bit for bit; progress; cancel;
 * bad input as 400 with the field before any job exists; the server still serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';
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
/** The job, after a pause: a loop of inject calls alone would never let the native training's callbacks run. */
const get = async (id: string) => {
  await new Promise((r) => setTimeout(r, 10));
  return (await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}` })).json();
};

/** x (numeric), region (categorical code 0..3); the treatment (arm 1) helps region 2 only. */
function test(rows: number, seed: number) {
  const rng = mulberry32(seed);
  const x: number[] = [];
  const region: number[] = [];
  const treatment: number[] = [];
  const outcome: number[] = [];
  for (let i = 0; i < rows; i++) {
    x.push(2 * rng() - 1);
    region.push(Math.floor(rng() * 4));
    treatment.push(rng() < 0.5 ? 1 : 0);
    const p = 0.2 + 0.1 * (x[i] as number) + (treatment[i] === 1 && region[i] === 2 ? 0.3 : 0);
    outcome.push(rng() < p ? 1 : 0);
  }
  return { x, region, treatment, outcome };
}

const train = test(4000, 1);
const held = test(400, 2);
const body = {
  features: { x: train.x, region: train.region },
  treatment: train.treatment,
  outcome: train.outcome,
  categoricalFeatures: ['region'],
  options: { numIterations: 30, maxLeaves: 7, minDataInLeaf: 40 },
};

describe('uplift over HTTP', { timeout: 60_000 }, () => {
  it('is in the OpenAPI document', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/ml/uplift/train', '/v1/ml/uplift/predict']));
  });

  it('trains as a job (?wait=true) and predicts the effects the embedding API gives', async () => {
    const res = await post('/v1/ml/uplift/train?wait=true', { ...body, method: 'x-learner' });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json() as {
      model: { format: string; featureNames: string[] };
      arms: number;
      armRows: number[];
      method: string;
      backend: string;
    };
    expect(out).toMatchObject({ method: 'x-learner', outcome: 'binary', arms: 2 });
    expect(out.model).toMatchObject({ format: 'waybill-uplift', featureNames: ['x', 'region'] });
    expect(out.armRows.reduce((a, b) => a + b, 0)).toBe(4000);

    const pred = await post('/v1/ml/uplift/predict', { model: out.model, features: { region: held.region, x: held.x } });
    expect(pred.statusCode, pred.body).toBe(200);
    const p = pred.json() as { uplift: number[][]; bestArm: number[]; treatments: number };
    expect(p.treatments).toBe(1);
    expect(p.uplift).toHaveLength(400);
    // The effect is in region 2: its rows get the largest predicted effects and the treatment.
    const mean = (r: number) => {
      const v = p.uplift.filter((_, i) => held.region[i] === r).map((u) => u[0] as number);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(mean(2)).toBeGreaterThan(0.2);
    for (const r of [0, 1, 3]) expect(Math.abs(mean(r))).toBeLessThan(0.1);
    // Same model through the embedding API, the same numbers.
    const { loadUpliftModel } = await import('../../src/kernels/ml/uplift.js');
    const features = Float64Array.from(held.x.flatMap((x, i) => [x, held.region[i] as number]));
    const direct = await engine.kernels.ml.predictUplift(loadUpliftModel(out.model), features, 2);
    expect(p.uplift.map((u) => u[0])).toEqual(Array.from(direct.uplift));
    expect(p.bestArm).toEqual(Array.from(direct.bestArm));
  });

  it('reports progress per base model; a cancelled job keeps no model', async () => {
    const accepted = await post('/v1/ml/uplift/train', { ...body, options: { ...body.options, numIterations: 400 } });
    expect(accepted.statusCode).toBe(202);
    const { id } = accepted.json() as { id: string };
    expect(accepted.headers.location).toBe(`/v1/jobs/${id}`);
    const del = await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect([200, 202]).toContain(del.statusCode);
    let job: { state: string; result?: unknown; error?: { code: string } };
    const t0 = Date.now();
    do job = await get(id);
    while ((job.state === 'queued' || job.state === 'running') && Date.now() - t0 < 30_000);
    expect(job.state).toBe('cancelled');
    expect(job.result).toBeUndefined();
    const done = await post('/v1/ml/uplift/train?wait=false', body);
    const doneId = (done.json() as { id: string }).id;
    let last: { state: string; progress: number; detail?: { done: number; total: number } };
    do last = await get(doneId);
    while (last.state !== 'succeeded' && last.state !== 'failed');
    expect(last.progress).toBe(1);
    expect(last.detail).toMatchObject({ done: 2, total: 2 });
  });

  it('bad input: 400 with the field before any job exists; the server keeps serving', async () => {
    const submitted = () => Object.values(engine.jobs.stateCounts()).reduce((a, b) => a + b, 0);
    const jobsBefore = submitted();
    const cases: Array<[unknown, string | RegExp]> = [
      [{ ...body, treatment: train.treatment.map(() => 0) }, 'treatment'],
      [{ ...body, treatment: train.treatment.map((t) => t * 2) }, 'treatment'],
      [{ ...body, treatment: train.treatment.slice(1) }, 'treatment'],
      [{ ...body, outcome: train.outcome.map((y, i) => (i === 5 ? null : y)) }, 'outcome'],
      [{ ...body, outcome: train.outcome.map((y, i) => (i === 5 ? 3 : y)), outcomeType: 'binary' }, 'outcome'],
      [{ ...body, categoricalFeatures: ['zone'] }, 'categoricalFeatures'],
      [{ ...body, propensity: [0.5, 0.5] }, 'propensity'],
      [{ ...body, options: { learningRate: 5 } }, 'learningRate'],
      [{ ...body, features: { x: train.x, region: train.region.map((r) => r + 0.5) } }, /categorical|integer/],
    ];
    for (const [payload, field] of cases) {
      const res = await post('/v1/ml/uplift/train', payload);
      expect(res.statusCode, JSON.stringify(field)).toBe(400);
      const e = res.json() as { code: string; message: string; details?: { field?: string } };
      if (typeof field === 'string') expect(e.details?.field ?? '').toContain(field);
      else expect(e.message).toMatch(field);
    }
    const badModel = await post('/v1/ml/uplift/predict', { model: { format: 'waybill-uplift', formatVersion: 9 }, features: [[0, 1]] });
    expect(badModel.statusCode).toBe(400);
    expect(badModel.json()).toMatchObject({ details: { field: 'formatVersion' } });
    const schema = await post('/v1/ml/uplift/train', { ...body, treatment: train.treatment.map((t) => -t) });
    expect(schema.statusCode).toBe(400);
    expect(submitted()).toBe(jobsBefore);
    expect((await server.app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
  });
});
