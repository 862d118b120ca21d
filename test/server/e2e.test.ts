/**
 * End to end over real HTTP on 127.0.0.1: serve the example plugin, infer, and a bounded overload
 * (loopback only, a fixed number of requests, stops by itself): more concurrent requests than a
 * model's queue holds give some 503s with Retry-After, no other 5xx, and every accepted request
 * is answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

let server: WaybillServer;
let base: string;
beforeAll(async () => {
  server = await buildServer({ engineOptions: { workers: 1 }, plugins: ['plugins', 'test/fixtures/plugins/slow'] });
  base = await server.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.shutdown();
});

const postJson = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('over HTTP', () => {
  it('serves the example plugin: ready, metadata, KServe inference', async () => {
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/example-distance/ready`)).status).toBe(200);
    const res = await postJson('/v2/models/example-distance/infer', {
      inputs: [
        { name: 'lat', datatype: 'FP64', shape: [1], data: [47.6062] },
        { name: 'lng', datatype: 'FP64', shape: [1], data: [-122.3321] },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: Array<{ name: string; data: unknown[] }> };
    const id = body.outputs.find((o) => o.name === 'stop_id')?.data[0] as string;
    expect(id).toMatch(/^RouteID_.+\/[A-Z]{2}$/);
  });

  it('bounded overload: 503 + Retry-After beyond the queue, every accepted request answered, nothing else fails', async () => {
    // slow: one predict at a time (100 ms each), 2 may wait: of 12 simultaneous requests about 3 fit.
    const before = process.memoryUsage().rss;
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => postJson('/v2/models/slow/infer', { instances: [{ ms: 100, i }] })),
    );
    const statuses = responses.map((r) => r.status);
    const ok = responses.filter((r) => r.status === 200);
    const busy = responses.filter((r) => r.status === 503);
    expect(ok.length + busy.length).toBe(12);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(((await r.json()) as { code: string }).code).toBe('MODEL_OVERLOADED');
    }
    for (const r of ok) expect(((await r.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect((process.memoryUsage().rss - before) / 2 ** 20).toBeLessThan(200);
    // The model recovers once the burst is over.
    expect((await postJson('/v2/models/slow/infer', { instances: [{ ms: 1 }] })).status).toBe(200);
  });

  it('a request body over the limit is refused with 413', async () => {
    const small = await buildServer({ engineOptions: { workers: 0 }, plugins: [], bodyLimit: 1024 });
    const url = await small.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${url}/v2/models/x/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ pad: 'x'.repeat(5000) }] }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('TOO_LARGE');
    await small.shutdown();
  });
});
