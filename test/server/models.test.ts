/**
 * Model-serving API: metadata, readiness, inference (KServe v2 tensors and plain JSON), versions,
 * broken-plugin isolation, admin load/unload and its API key, jobs with cancellation, metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

const engine = createEngine({ workers: 1 });
let server: WaybillServer;
beforeAll(async () => {
  server = await buildServer({ engine, plugins: ['plugins', 'test/fixtures/plugins'] });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});

const get = (url: string) => server.app.inject({ method: 'GET', url });
const post = (url: string, payload?: unknown, headers?: Record<string, string>) =>
  server.app.inject({
    method: 'POST',
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
    ...(headers ? { headers } : {}),
  });

describe('model metadata', () => {
  it('GET /v2/models lists ready and failed versions, failures with their reason', async () => {
    const res = await get('/v2/models');
    expect(res.statusCode).toBe(200);
    const models = res.json().models as Array<{ name: string; version: string; state: string; reason?: string }>;
    expect(models.find((m) => m.name === 'example-distance')?.state).toBe('ready');
    const broken = models.find((m) => m.name === 'throws-on-load');
    expect(broken?.state).toBe('failed');
    expect(broken?.reason).toContain('artifact file missing');
  });

  it('GET /v2/models/:name gives KServe metadata, versions and the default', async () => {
    const res = await get('/v2/models/echo');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.versions).toEqual(['1.0.0', '2.0.0']);
    expect(body.default_version).toBe('2.0.0');
    expect(body.inputs).toContainEqual({ name: 'x', datatype: 'FP64', shape: [-1] });
    const one = await get('/v2/models/echo/versions/1.0.0');
    expect(one.json().details.map((d: { version: string }) => d.version)).toEqual(['1.0.0']);
    expect((await get('/v2/models/nope')).statusCode).toBe(404);
    expect((await get('/v2/models/nope')).json().code).toBe('MODEL_NOT_FOUND');
    expect((await get('/v2/models/echo/versions/7')).statusCode).toBe(404);
  });

  it('readiness: 200 when ready, 503 with the reason when failed, 404 when unknown', async () => {
    expect((await get('/v2/models/example-distance/ready')).statusCode).toBe(200);
    expect((await get('/v2/models/echo/versions/1.0.0/ready')).json()).toMatchObject({ ready: true, version: '1.0.0' });
    const failed = await get('/v2/models/throws-on-load/ready');
    expect(failed.statusCode).toBe(503);
    expect(failed.json().message).toContain('artifact file missing');
    expect((await get('/v2/models/nope/ready')).statusCode).toBe(404);
  });
});

describe('inference', () => {
  it('KServe v2 tensors in and out, batch of 2, request id echoed', async () => {
    const res = await post('/v2/models/example-distance/infer', {
      id: 'req-1',
      inputs: [
        { name: 'lat', datatype: 'FP64', shape: [2], data: [34.05, 47.6] },
        { name: 'lng', datatype: 'FP64', shape: [2], data: [-118.25, -122.3] },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.id).toBe('req-1');
    expect(body.model_version).toBe('1.0.0');
    const distance = body.outputs.find((o: { name: string }) => o.name === 'distance_m');
    expect(distance.shape).toEqual([2]);
    expect(distance.datatype).toBe('FP64');
    // Downtown Los Angeles is ~16 km from the nearest LA-area stop of the sample, Seattle ~7 km.
    expect(distance.data[0]).toBeGreaterThan(1000);
    expect(distance.data[0]).toBeLessThan(50_000);
    expect(body.outputs.find((o: { name: string }) => o.name === 'station').datatype).toBe('BOOL');
  });

  it('plain JSON instances, and tensors with an inner dimension', async () => {
    const plain = await post('/v2/models/echo/versions/1.0.0/infer', { instances: [{ x: 2 }, { x: 5 }] });
    expect(plain.json().predictions).toEqual([
      { y: 4, version: '1.0.0' },
      { y: 10, version: '1.0.0' },
    ]);
    const nested = await post('/v2/models/echo/infer', {
      inputs: [
        { name: 'x', datatype: 'FP64', shape: [2], data: [1, 2] },
        { name: 'v', datatype: 'FP64', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
      ],
      outputs: [{ name: 'v' }],
    });
    expect(nested.statusCode).toBe(200);
    expect(nested.json().outputs).toEqual([{ name: 'v', datatype: 'FP64', shape: [2, 3], data: [2, 4, 6, 8, 10, 12] }]);
  });

  it.each([
    ['an input outside the schema', '/v2/models/example-distance/infer', { instances: [{ lat: 91, lng: 0 }] }, 400, 'INVALID_ARGUMENT'],
    [
      'a tensor whose data does not fit its shape',
      '/v2/models/echo/infer',
      { inputs: [{ name: 'x', datatype: 'FP64', shape: [3], data: [1, 2] }] },
      400,
      'INVALID_LENGTH',
    ],
    [
      'tensors with different batch sizes',
      '/v2/models/echo/infer',
      {
        inputs: [
          { name: 'x', datatype: 'FP64', shape: [1], data: [1] },
          { name: 'v', datatype: 'FP64', shape: [2, 1], data: [1, 2] },
        ],
      },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a string in an FP64 tensor',
      '/v2/models/echo/infer',
      { inputs: [{ name: 'x', datatype: 'FP64', shape: [1], data: ['a'] }] },
      400,
      'INVALID_ARGUMENT',
    ],
    // An empty inner dimension made a tiny request describe 2^32 (empty) rows: 500, or the process ran out of memory.
    [
      'an empty inner dimension',
      '/v2/models/echo/infer',
      { inputs: [{ name: 'x', datatype: 'FP64', shape: [2 ** 32, 0], data: [] }] },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a shape of 10 000 dimensions',
      '/v2/models/echo/infer',
      { inputs: [{ name: 'x', datatype: 'FP64', shape: Array.from({ length: 10_000 }, () => 1), data: [1] }] },
      400,
      'INVALID_ARGUMENT',
    ],
    // Inherited names (__proto__, constructor) are not outputs of the model.
    [
      'an output named __proto__',
      '/v2/models/echo/infer',
      { inputs: [{ name: 'x', datatype: 'FP64', shape: [1], data: [1] }], outputs: [{ name: '__proto__' }] },
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'an output named constructor',
      '/v2/models/echo/infer',
      { inputs: [{ name: 'x', datatype: 'FP64', shape: [1], data: [1] }], outputs: [{ name: 'constructor' }] },
      400,
      'INVALID_ARGUMENT',
    ],
    ['neither inputs nor instances', '/v2/models/echo/infer', { foo: 1 }, 400, 'INVALID_ARGUMENT'],
    ['an unknown model', '/v2/models/nope/infer', { instances: [{}] }, 404, 'MODEL_NOT_FOUND'],
    ['an unknown version', '/v2/models/echo/versions/9/infer', { instances: [{ x: 1 }] }, 404, 'MODEL_NOT_FOUND'],
    ['a failed model', '/v2/models/throws-on-load/infer', { instances: [{}] }, 503, 'MODEL_NOT_READY'],
  ])('rejects %s', async (_what, url, payload, status, code) => {
    const res = await post(url, payload);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expect((await get('/v2/health/live')).statusCode).toBe(200);
  });

  it('path parameters: bad percent-encoding is 400, an over-long one 413, both in the catalogue shape', async () => {
    const bad = await get('/v2/models/%E0%A4%A/ready');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.any(String) });
    const long = await post(`/v2/models/${'x'.repeat(200)}/infer`, { instances: [{ x: 1 }] });
    expect(long.statusCode).toBe(413);
    expect(long.json()).toMatchObject({ code: 'TOO_LARGE', message: expect.any(String) });
    expect((await get('/v2/health/live')).statusCode).toBe(200);
  });
});

describe('admin', () => {
  it('unloads and loads a model at run time (loopback, no key configured)', async () => {
    const un = await post('/v2/repository/models/echo/unload', { version: '1.0.0' });
    expect(un.statusCode).toBe(200);
    expect((await get('/v2/models/echo')).json().versions).toEqual(['2.0.0']);
    const load = await post('/v2/repository/models/echo/load', { source: 'test/fixtures/plugins/echo-v1', default_version: '1.0.0' });
    expect(load.statusCode).toBe(200);
    expect((await get('/v2/models/echo')).json().default_version).toBe('1.0.0');
    const reload = await post('/v2/repository/models/example-distance/load');
    expect(reload.statusCode).toBe(200);
    expect((await get('/v2/models/example-distance/ready')).statusCode).toBe(200);
  });

  it('a load that fails answers with the reason; unknown models are 404', async () => {
    const res = await post('/v2/repository/models/throws-on-load/load');
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('PLUGIN_LOAD_FAILED');
    expect(res.json().message).toContain('artifact file missing');
    expect((await post('/v2/repository/models/nope/unload')).statusCode).toBe(404);
  });

  it('loading a version that is already served is 409 CONFLICT, and repeating it does not pile up failed records', async () => {
    const count = async () => (await get('/v2/models')).json().models.filter((m: { name: string }) => m.name === 'example-distance').length;
    const before = await count();
    for (let i = 0; i < 3; i++) {
      const res = await post('/v2/repository/models/example-distance/load', { source: 'plugins/example-distance' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('already loaded') });
    }
    expect(await count()).toBeLessThanOrEqual(before + 1);
    expect((await get('/v2/models/example-distance/ready')).statusCode).toBe(200);
  });

  it('with an API key configured, admin calls need it', async () => {
    const keyed = await buildServer({ engine: createEngine({ workers: 0 }), plugins: ['test/fixtures/plugins/echo-v1'], apiKey: 's3cret' });
    const denied = await keyed.app.inject({ method: 'POST', url: '/v2/repository/models/echo/unload' });
    expect(denied.statusCode).toBe(401);
    expect(denied.json().code).toBe('UNAUTHORIZED');
    const wrong = await keyed.app.inject({
      method: 'POST',
      url: '/v2/repository/models/echo/unload',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await keyed.app.inject({ method: 'POST', url: '/v2/repository/models/echo/unload', headers: { 'x-api-key': 's3cret' } });
    expect(ok.statusCode).toBe(200);
    await keyed.app.close();
    await keyed.engine.close();
  });

  it('without a key, a non-loopback client is refused', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/v2/repository/models/echo/unload', remoteAddress: '10.1.2.3' });
    expect(res.statusCode).toBe(401);
  });
});

describe('jobs', () => {
  async function waitFor(id: string, states: string[]): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i++) {
      const j = (await get(`/v1/jobs/${id}`)).json();
      if (states.includes(j.state)) return j;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`job ${id} never reached ${states}`);
  }

  it('batch inference runs in the background with progress and a result', async () => {
    const instances = Array.from({ length: 25 }, (_, i) => ({ x: i }));
    const res = await post('/v1/jobs', { type: 'infer', model: 'echo', version: '2.0.0', instances, chunk_size: 10 });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(`/v1/jobs/${res.json().id}`);
    const done = await waitFor(res.json().id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.progress).toBe(1);
    expect((done.result as { predictions: Array<{ y: number }> }).predictions.map((p) => p.y)).toEqual(instances.map((x) => x.x * 3));
  });

  it('training can be cancelled; progress is kept; a finished job cannot be cancelled again', async () => {
    const res = await post('/v1/jobs', { type: 'train', model: 'echo', version: '2.0.0', params: { steps: 200, stepMs: 10 } });
    expect(res.statusCode).toBe(202);
    const id = res.json().id as string;
    const running = await waitFor(id, ['running']);
    expect(running.state).toBe('running');
    await new Promise((r) => setTimeout(r, 60));
    const del = await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(del.statusCode).toBe(200);
    const cancelled = await waitFor(id, ['cancelled', 'succeeded', 'failed']);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.progress as number).toBeGreaterThan(0);
    expect(cancelled.progress as number).toBeLessThan(1);
    expect((await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` })).statusCode).toBe(409);
  });

  it('bad job requests', async () => {
    expect((await post('/v1/jobs', { type: 'train', model: 'example-distance' })).json().code).toBe('INVALID_ARGUMENT');
    expect((await post('/v1/jobs', { type: 'infer', model: 'nope', instances: [{}] })).statusCode).toBe(404);
    expect((await post('/v1/jobs', { type: 'dance', model: 'echo' })).statusCode).toBe(400);
    expect((await get('/v1/jobs/does-not-exist')).statusCode).toBe(404);
  });
});

describe('metrics', () => {
  it('GET /metrics counts requests, model and kernel timings, jobs', async () => {
    await post('/v2/models/example-distance/infer', { instances: [{ lat: 40, lng: -74 }] });
    const text = (await get('/metrics')).body;
    expect(text).toMatch(/waybill_http_requests_total\{route="\/v2\/models\/:name\/infer",method="POST",status="200"\} [1-9]/);
    expect(text).toMatch(/waybill_model_requests_total\{model="example-distance",version="1.0.0",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/waybill_model_compute_seconds_count\{model="example-distance",version="1.0.0"\} [1-9]/);
    expect(text).toMatch(/waybill_kernel_calls_total\{kernel="geo.kNearest",backend="(native|js|cuda)",workers="\d+"\} [1-9]/);
    expect(text).toMatch(/waybill_jobs\{state="succeeded"\} [1-9]/);
    expect(text).toMatch(/waybill_pool_workers 1/);
  });
});
