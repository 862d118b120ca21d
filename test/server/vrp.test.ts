/**
 * POST /v1/routes: a VRP solved as a job (inject): 202 + Location, progress while running, the
 * plan once done, cancellation keeping the best plan so far, bad input and size limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';
import { mulberry32 } from '../helpers/random.js';

const engine = createEngine({ workers: 0 });
const nativeOk = engine.backends().find((b) => b.name === 'native')?.available === true;
if (!nativeOk) console.warn('skipped: POST /v1/routes solving: native backend unavailable');
let server: WaybillServer;
beforeAll(async () => {
  server = await buildServer({ engine, plugins: [], maxRouteMs: 5000, maxRouteNodes: 500 });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});

const post = (payload: unknown) => server.app.inject({ method: 'POST', url: '/v1/routes', payload: payload as object });
const get = async (id: string) => (await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}` })).json();

function problem(customers: number, seed: number) {
  const rnd = mulberry32(seed);
  return {
    depots: [{ id: 'hub', x: 50, y: 50 }],
    customers: Array.from({ length: customers }, (_, i) => ({
      id: `c${i}`,
      x: rnd() * 100,
      y: rnd() * 100,
      demand: 1 + Math.floor(rnd() * 9),
    })),
    vehicleTypes: [{ id: 'van', capacity: 30 }],
    distances: { metric: 'euclidean', rounding: 'nint' },
  };
}

async function until(id: string, done: (j: { state: string }) => boolean, ms = 15_000) {
  const t0 = Date.now();
  for (;;) {
    const j = await get(id);
    if (done(j) || Date.now() - t0 > ms) return j;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!nativeOk)('POST /v1/routes', () => {
  it('answers 202 with the job, and the job ends with a feasible plan', async () => {
    const res = await post({ problem: problem(30, 1), options: { maxIterations: 200, seed: 3 } });
    expect(res.statusCode).toBe(202);
    const { id, links } = res.json();
    expect(res.headers.location).toBe(`/v1/jobs/${id}`);
    expect(links.self).toBe(`/v1/jobs/${id}`);
    const job = await until(id, (j) => j.state === 'succeeded' || j.state === 'failed');
    expect(job.state).toBe('succeeded');
    expect(job.result.feasible).toBe(true);
    const served = job.result.routes.flatMap((r: { ids: string[] }) => r.ids).sort();
    expect(served).toHaveLength(30);
    expect(job.type).toBe('routes');
  });

  it('reports progress while running; DELETE keeps the best plan so far', async () => {
    const res = await post({ problem: problem(300, 2), options: { timeLimitMs: 5000 } });
    const { id } = res.json();
    const running = await until(id, (j: { state: string; detail?: { best?: number } }) => j.state === 'running' && j.detail?.best != null);
    expect(running.detail.iterations).toBeGreaterThanOrEqual(0);
    expect(running.progress).toBeGreaterThan(0);
    const del = await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(del.statusCode).toBe(200);
    const job = await until(id, (j) => j.state !== 'running' && j.state !== 'queued');
    expect(job.state).toBe('cancelled');
    expect(job.result.cancelled).toBe(true);
    expect(job.result.feasible).toBe(true);
  });

  it('rejects bad input before any job exists: schema, semantics (with the field), limits', async () => {
    const noVehicles = await post({ problem: { ...problem(3, 1), vehicleTypes: [] } });
    expect(noVehicles.statusCode).toBe(400);
    const p = problem(3, 1);
    p.customers[1] = { ...p.customers[1], demand: -2 } as (typeof p.customers)[number];
    const negative = await post({ problem: p });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().details.field).toBe('customers[1].demand');
    const heavy = problem(3, 1);
    heavy.customers[0] = { ...heavy.customers[0], demand: 99 } as (typeof heavy.customers)[number];
    expect((await post({ problem: heavy })).statusCode).toBe(422);
    expect((await post({ problem: problem(600, 1) })).statusCode).toBe(413);
    const slow = await post({ problem: problem(3, 1), options: { timeLimitMs: 60_000 } });
    expect(slow.statusCode).toBe(400);
    expect(slow.json().details.field).toBe('options.timeLimitMs');
  });
});
