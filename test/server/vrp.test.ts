/**
 * POST /v1/routes: a VRP solved as a job (inject): 202 + Location, progress while running, the
 * plan once done, cancellation keeping the best plan so far, ?wait=true, bad input and limits.
 */
import { availableParallelism } from 'node:os';
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

  it('a time-limited job reports progress (best, feasible, iterations, elapsedMs) while running, then succeeds', async () => {
    const res = await post({ problem: problem(300, 4), options: { timeLimitMs: 1500, seed: 2 } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    const seen: Array<{ progress: number; detail: { best: number | null; feasible: boolean; iterations: number; elapsedMs: number } }> = [];
    const job = await until(id, (j: { state: string; progress?: number; detail?: unknown }) => {
      if (j.state === 'running' && j.detail) seen.push(j as (typeof seen)[number]);
      return j.state !== 'running' && j.state !== 'queued';
    });
    expect(job.state).toBe('succeeded');
    expect(seen.length).toBeGreaterThan(0);
    const last = seen[seen.length - 1] as (typeof seen)[number];
    expect(last.progress).toBeGreaterThan(0);
    expect(last.progress).toBeLessThanOrEqual(1);
    expect(last.detail.elapsedMs).toBeGreaterThan(0);
    expect(typeof last.detail.feasible).toBe('boolean');
    expect(last.detail.iterations).toBeGreaterThanOrEqual(0);
    // The best cost reported while running is never better than the final plan.
    if (last.detail.best !== null && last.detail.feasible) expect(job.result.cost).toBeLessThanOrEqual(last.detail.best + 1e-9);
    expect(job.result.feasible).toBe(true);
    expect(job.result.cancelled).toBe(false);
    expect(job.result.elapsedMs).toBeGreaterThan(1000);
    expect(job.request).toMatchObject({ customers: 300, depots: 1, timeLimitMs: 1500, workers: 1 });
    expect(job.progress).toBe(1);
  });

  it('DELETE mid-run ends the job cancelled with the best plan so far as its result', async () => {
    const res = await post({ problem: problem(300, 2), options: { timeLimitMs: 5000 } });
    const { id } = res.json();
    const running = await until(
      id,
      (j: { state: string; detail?: { best?: number | null } }) => j.state === 'running' && j.detail?.best != null,
    );
    expect(running.state).toBe('running');
    const t0 = Date.now();
    const del = await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(del.statusCode).toBe(200);
    const job = await until(id, (j) => j.state !== 'running' && j.state !== 'queued');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(job.state).toBe('cancelled');
    expect(job.error.code).toBe('ABORTED');
    expect(job.result.cancelled).toBe(true);
    expect(job.result.feasible).toBe(true);
    expect(job.result.elapsedMs).toBeLessThan(4500);
    expect(job.result.routes.flatMap((r: { ids: string[] }) => r.ids)).toHaveLength(300);
    // A finished job cannot be cancelled again.
    expect((await server.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` })).statusCode).toBe(409);
  });

  it('?wait=true answers 200 with the plan itself', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/routes?wait=true',
      payload: { problem: problem(20, 5), options: { maxIterations: 100 } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const sol = res.json();
    expect(sol.feasible).toBe(true);
    expect(sol.iterations).toBe(100);
    expect(sol.backend).toBe('native');
    expect(sol.routes.flatMap((r: { ids: string[] }) => r.ids)).toHaveLength(20);
    // Each route's load is its customers' demand; loads add up to the total demand.
    const demand = problem(20, 5).customers.reduce((s, c) => s + c.demand, 0);
    expect(sol.routes.reduce((s: number, r: { load: number[] }) => s + (r.load[0] as number), 0)).toBe(demand);
  });

  it('rejects bad input before any job exists: schema (with the path), semantics (with the field), limits', async () => {
    const jobsBefore = (await engine.jobs.store.list()).length;
    const schema = await post({ problem: { ...problem(3, 1), customers: [{ x: 1, y: 1, demand: 'two' }] } });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().code).toBe('INVALID_ARGUMENT');
    expect(JSON.stringify(schema.json().details.validation)).toContain('/problem/customers/0/demand');
    const noVehicles = await post({ problem: { ...problem(3, 1), vehicleTypes: [] } });
    expect(noVehicles.statusCode).toBe(400);
    const extra = await post({ problem: problem(3, 1), options: { timeLimit: 5 } });
    expect(extra.statusCode).toBe(400);
    const p = problem(3, 1);
    p.customers[1] = { ...p.customers[1], demand: -2 } as (typeof p.customers)[number];
    const negative = await post({ problem: p });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().details.field).toBe('customers[1].demand');
    const heavy = problem(3, 1);
    heavy.customers[0] = { ...heavy.customers[0], demand: 99 } as (typeof heavy.customers)[number];
    const infeasible = await post({ problem: heavy });
    expect(infeasible.statusCode).toBe(422);
    expect(infeasible.json()).toMatchObject({ code: 'INFEASIBLE', details: { field: 'customers[0].demand' } });
    const big = await post({ problem: problem(600, 1) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'TOO_LARGE', details: { nodes: 601, limit: 500 } });
    const slow = await post({ problem: problem(3, 1), options: { timeLimitMs: 60_000 } });
    expect(slow.statusCode).toBe(400);
    expect(slow.json().details.field).toBe('options.timeLimitMs');
    const threads = await post({ problem: problem(3, 1), options: { workers: availableParallelism() + 1 } });
    expect(threads.statusCode).toBe(400);
    expect(threads.json().details.field).toBe('options.workers');
    expect((await engine.jobs.store.list()).length).toBe(jobsBefore);
  });
});
