/**
 * The HTTP side of misbehaving plugins and jobs: a plugin whose load never finishes does not
 * hold the server's start, outputs JSON cannot carry are INVALID_OUTPUT naming the model (not a
 * bare 500), batch-inference jobs refuse bad instances before any job exists, and a train()
 * result that cannot be sent fails its job instead of every GET.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

const engine = createEngine({ workers: 0, plugins: { loadTimeoutMs: 100 } });
let server: WaybillServer;
beforeAll(async () => {
  server = await buildServer({
    engine,
    plugins: [
      'test/fixtures/bad-plugins/load-hangs',
      'test/fixtures/bad-plugins/misbehaving',
      'test/fixtures/plugins/echo-v1',
      'test/fixtures/plugins/throws-on-load',
    ],
  });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});

const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  server.app.inject({ method, url, ...(payload ? { payload } : {}) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('misbehaving plugins over HTTP', () => {
  it('a plugin whose load() never finishes is listed failed with the reason; the others serve', async () => {
    const models = (await inject('GET', '/v2/models')).json().models as Array<{ name: string; state: string; reason?: string }>;
    const hung = models.find((m) => m.name === 'load-hangs');
    expect(hung?.state).toBe('failed');
    expect(hung?.reason).toMatch(/load\(\) did not finish within 100 ms/);
    const ready = await inject('GET', '/v2/models/load-hangs/ready');
    expect([ready.statusCode, ready.json().code]).toEqual([503, 'MODEL_NOT_READY']);
    const echo = await inject('POST', '/v2/models/echo/infer', { instances: [{ x: 2 }] });
    expect(echo.json().predictions).toEqual([{ y: 4, version: '1.0.0' }]);
  });

  it('an output with a cycle or a BigInt is 500 INVALID_OUTPUT naming the model, in both request forms', async () => {
    for (const payload of [
      { instances: [{ mode: 'circular' }] },
      { inputs: [{ name: 'mode', datatype: 'BYTES', shape: [1], data: ['bigint'] }] },
    ]) {
      const res = await inject('POST', '/v2/models/misbehaving/infer', payload);
      expect(res.statusCode).toBe(500);
      expect(res.json().code).toBe('INVALID_OUTPUT');
      expect(res.json().message).toMatch(/^model misbehaving@1.0.0 returned output 0 that is not JSON/);
    }
  });

  it('a predict that hangs is 504 TIMEOUT naming the model', async () => {
    const res = await inject('POST', '/v2/models/misbehaving/infer', { instances: [{ mode: 'hang' }] });
    expect([res.statusCode, res.json().code]).toEqual([504, 'TIMEOUT']);
    expect(res.json().message).toContain('misbehaving@1.0.0');
  });
});

describe('jobs with misbehaving input and plugins', () => {
  it('a batch-inference job with a bad instance in a later chunk is 400 before any job exists, with its real index', async () => {
    const before = engine.jobs.stateCounts().queued + engine.jobs.stateCounts().failed;
    const res = await inject('POST', '/v1/jobs', {
      type: 'infer',
      model: 'echo',
      chunk_size: 2,
      instances: [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 'four' }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_ARGUMENT', details: { index: 3 } });
    expect(res.json().message).toMatch(/^input 3 does not match the input schema of model echo@1.0.0/);
    expect(engine.jobs.stateCounts().queued + engine.jobs.stateCounts().failed).toBe(before);
  });

  it('a batch-inference job on a failed model is 503 MODEL_NOT_READY with the reason, not a job that fails later', async () => {
    const res = await inject('POST', '/v1/jobs', { type: 'infer', model: 'throws-on-load', instances: [{}] });
    expect([res.statusCode, res.json().code]).toEqual([503, 'MODEL_NOT_READY']);
    expect(res.json().message).toContain('artifact file missing');
  });

  it('train() failing midway, or returning what JSON cannot carry, fails the job naming the model; GET still answers', async () => {
    const cases = [
      ['fail-midway', 'TRAIN_FAILED', /^model misbehaving@1.0.0 train\(\) failed: out of disk$/],
      ['circular', 'INVALID_OUTPUT', /^model misbehaving@1.0.0 train\(\) returned a result that is not JSON: result\/self/],
    ] as const;
    for (const [mode, code, message] of cases) {
      const started = await inject('POST', '/v1/jobs', { type: 'train', model: 'misbehaving', params: { mode } });
      expect(started.statusCode).toBe(202);
      await engine.jobs.wait(started.json().id);
      const job = await inject('GET', `/v1/jobs/${started.json().id}`);
      expect(job.statusCode).toBe(200);
      expect(job.json()).toMatchObject({ state: 'failed', progress: 0.5, detail: { step: 1 }, error: { code } });
      expect(job.json().error.message).toMatch(message);
    }
  });

  it('cancelling twice: the first cancels, the second is 409; unknown and malformed ids are 404', async () => {
    const started = await inject('POST', '/v1/jobs', { type: 'train', model: 'misbehaving', params: { mode: 'hang' } });
    const id = started.json().id as string;
    await sleep(5);
    expect((await inject('DELETE', `/v1/jobs/${id}`)).statusCode).toBe(200);
    expect((await engine.jobs.wait(id)).state).toBe('cancelled');
    const again = await inject('DELETE', `/v1/jobs/${id}`);
    expect([again.statusCode, again.json().code]).toEqual([409, 'CONFLICT']);
    for (const bad of ['nope', '__proto__', '%20', `${id}x`]) {
      const res = await inject('GET', `/v1/jobs/${bad}`);
      expect([res.statusCode, res.json().code]).toEqual([404, 'JOB_NOT_FOUND']);
    }
  });
});
