/**
 * Server lifecycle: readiness during shutdown, draining in-flight work, the closing guard,
 * startServer's signal handling, `waybill serve`, and errors that must never leak.
 */
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serve } from '../../src/cli/serve.js';
import { createEngine } from '../../src/engine.js';
import { WaybillError } from '../../src/errors.js';
import { buildServer, startServer } from '../../src/server/app.js';
import errors from '../../src/server/errors.js';
import lifecycle from '../../src/server/lifecycle.js';

const PARIS: [number, number] = [48.8566, 2.3522];
const LONDON: [number, number] = [51.5074, -0.1278];

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('shutdown', () => {
  it('readiness answers 503 not-ready (same body shape) during the grace period, while work is still served', async () => {
    const s = await buildServer({ engineOptions: { workers: 0 }, plugins: [], shutdownGraceMs: 150 });
    const done = s.shutdown();
    const ready = await s.app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not-ready', version: s.engine.version, pool: { workers: 0 } });
    expect(ready.json().backends.map((b: { name: string }) => b.name)).toEqual(['cuda', 'native', 'gpujs', 'js']);
    expect((await s.app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    const work = await s.app.inject({
      method: 'POST',
      url: '/v1/geo/distance-matrix',
      payload: { origins: [PARIS], destinations: [LONDON] },
    });
    expect(work.statusCode).toBe(200);
    await done;
    // The server created its engine, so closing the server closed it.
    await expect(s.engine.kernels.geo.haversineMatrix([0, 0], [0, 0])).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('drains an in-flight request before closing, and stops listening', async () => {
    const s = await buildServer({ engineOptions: { workers: 0 }, plugins: ['test/fixtures/plugins/slow'] });
    const base = await s.app.listen({ port: 0, host: '127.0.0.1' });
    const inflight = fetch(`${base}/v2/models/slow/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ ms: 300, i: 7 }] }),
    });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await s.shutdown();
    expect(performance.now() - t0).toBeGreaterThan(150); // it waited for the request
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: unknown[] }).predictions).toEqual([{ i: 7 }]);
    expect(s.app.server.listening).toBe(false);
  });

  it('while closing, new requests get 503 in the catalogue shape with Connection: close; health still answers', async () => {
    const app = Fastify();
    await app.register(errors);
    await app.register(lifecycle, { isClosing: () => true });
    app.get('/work', async () => ({ ok: true }));
    app.get('/v2/health/live', async () => ({ status: 'live' }));
    const res = await app.inject({ method: 'GET', url: '/work' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ code: 'POOL_CLOSED', message: 'the server is shutting down; retry on another instance' });
    expect(res.headers.connection).toBe('close');
    expect(res.headers['retry-after']).toBe('1');
    expect((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    await app.close();
  });

  it('a server given an engine leaves it open', async () => {
    const engine = createEngine({ workers: 0 });
    const s = await buildServer({ engine, plugins: [] });
    await s.shutdown();
    expect((await engine.kernels.geo.euclideanMatrix([0, 0], [3, 4])).data[0]).toBe(5);
    await engine.close();
  });
});

describe('errors', () => {
  it('an unexpected error is 500 INTERNAL without its message or stack; catalogue errors keep theirs', async () => {
    const s = await buildServer({ engineOptions: { workers: 0 }, plugins: [] });
    s.app.get('/boom', async () => {
      throw new Error('secret: /etc/db-password');
    });
    s.app.get('/busy', async () => {
      throw new WaybillError('QUEUE_FULL', 'queue is full', { queued: 3 });
    });
    const boom = await s.app.inject({ method: 'GET', url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(boom.body).not.toContain('secret');
    const busy = await s.app.inject({ method: 'GET', url: '/busy' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json()).toEqual({ code: 'QUEUE_FULL', message: 'queue is full', details: { queued: 3 } });
    // The process survived both, and the server still answers.
    expect((await s.app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    await s.shutdown();
  });

  it('a body over bodyLimit is 413 TOO_LARGE', async () => {
    const s = await buildServer({ engineOptions: { workers: 0 }, plugins: [], bodyLimit: 256 });
    const many = Array.from({ length: 50 }, () => PARIS);
    const res = await s.app.inject({ method: 'POST', url: '/v1/geo/distance-matrix', payload: { origins: many, destinations: [LONDON] } });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('TOO_LARGE');
    await s.shutdown();
  });
});

describe('startServer', () => {
  it('listens on 127.0.0.1; SIGTERM drains, closes the engine and exits 0; its handlers are removed', async () => {
    const before = process.listeners('SIGTERM');
    const exit = vi.fn();
    const s = await startServer({ port: 0, engineOptions: { workers: 0 }, plugins: [], exit });
    expect(s.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${s.address}/v2/health/live`)).status).toBe(200);
    const added = process.listeners('SIGTERM').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    added[0]?.('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(s.app.server.listening).toBe(false);
    await expect(s.engine.kernels.geo.haversineMatrix([0, 0], [0, 0])).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    expect(process.listeners('SIGTERM')).toEqual(before);
    expect(process.listeners('SIGINT').some((l) => added.includes(l))).toBe(false);
  });

  it('rejects a bad WAYBILL_PORT before building anything', async () => {
    vi.stubEnv('WAYBILL_PORT', 'eighty');
    await expect(startServer({ plugins: [] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('eighty'),
    });
  });
});

describe('waybill serve', () => {
  it('prints the URL and one line per backend, and serves', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const s = await serve({ port: 0, workers: 0, plugins: [], logger: false, handleSignals: false });
    const lines = log.mock.calls.map((c) => String(c[0]));
    expect(lines[0]).toContain(`listening on ${s.address}`);
    expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual(['cuda', 'native', 'gpujs', 'js']);
    expect(lines.find((l) => l.includes('js:'))).toContain('available');
    expect((await fetch(`${s.address}/v2/health/ready`)).status).toBe(200);
    await s.shutdown();
  });
});
