/** POST /v1/forecast (inject): synchronous answer, per-series notes, job mode, bad input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

const engine = createEngine({ workers: 0 });
let server: WaybillServer;
beforeAll(async () => {
  server = await buildServer({ engine, plugins: [], maxForecastSyncSeries: 5, maxForecastValues: 10_000 });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});
const post = (url: string, payload: unknown) => server.app.inject({ method: 'POST', url, payload: payload as object });

describe('POST /v1/forecast', () => {
  it('answers forecasts, the model used and notes; NaN becomes null with a note', async () => {
    const res = await post('/v1/forecast', { series: [[1, 2, 3, 4], [], [5, null, 7]], ids: ['a', 'b', 'c'], model: 'drift', horizon: 2 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.forecasts[0]).toEqual([5, 6]);
    expect(body.forecasts[1]).toEqual([null, null]);
    expect(body.notes[1]).toMatch(/empty/);
    expect(body.notes[2]).toMatch(/interpolated/);
    expect(body.used).toEqual(['drift', 'none', 'drift']);
  });

  it('runs large batches as a job with progress and the same result', async () => {
    const series = Array.from({ length: 12 }, (_, i) => [i, i + 1, i + 2]);
    const res = await post('/v1/forecast', { series, model: 'naive', horizon: 1 });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    const job = await engine.jobs.wait(id);
    expect(job.state).toBe('succeeded');
    const result = job.result as { forecasts: number[][]; ids: string[] };
    expect(result.forecasts.map((f) => f[0])).toEqual(series.map((s) => s[2]));
    expect(result.ids[11]).toBe('s11');
  });

  it('model ets: the chosen model, parameters and intervals per level; bad codes and levels are 400', async () => {
    const wave = Array.from({ length: 48 }, (_, t) => 100 + 10 * Math.sin((2 * Math.PI * t) / 4) + t * 0.5 + ((t * 7) % 5));
    const res = await post('/v1/forecast', { series: [wave, [1, 2]], model: 'ets', horizon: 3, seasonLength: 4, levels: [80, 95] });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.used[0]).toMatch(/^AICc-weighted ETS\(/);
    expect(body.used[1]).toBe('naive');
    expect(body.notes[1]).toMatch(/too few values/);
    const [i80, i95] = body.intervals[0];
    expect(i80.level).toBe(80);
    expect(i95.lower[2]).toBeLessThan(i80.lower[2]);
    expect(i80.lower[2]).toBeLessThan(body.forecasts[0][2]);
    expect(body.forecasts[0][2]).toBeLessThan(i95.upper[2]);
    expect((await post('/v1/forecast', { series: [wave], model: 'ets', horizon: 3, etsModel: 'QQQ' })).statusCode).toBe(400);
    const selected = await post('/v1/forecast', { series: [wave], model: 'ets', horizon: 3, seasonLength: 4, etsCombine: 'select' });
    expect(selected.json().used[0]).toMatch(/^ETS\(.,.+,.\)$/);
    expect((await post('/v1/forecast', { series: [wave], model: 'ets', horizon: 3, etsCombine: 'mean' })).statusCode).toBe(400);
    expect((await post('/v1/forecast', { series: [wave], model: 'ets', horizon: 3, levels: [0] })).statusCode).toBe(400);
    expect((await post('/v1/forecast', { series: [wave], model: 'theta', horizon: 3, levels: [95] })).statusCode).toBe(400);
  });

  it('rejects bad input: unknown model, horizon 0, ragged ids, too many values', async () => {
    expect((await post('/v1/forecast', { series: [[1]], model: 'nope', horizon: 1 })).statusCode).toBe(400);
    expect((await post('/v1/forecast', { series: [[1]], horizon: 0 })).statusCode).toBe(400);
    expect((await post('/v1/forecast', { series: [[1]], ids: ['a', 'b'], horizon: 1 })).statusCode).toBe(400);
    expect((await post('/v1/forecast', { series: [Array.from({ length: 20_000 }, () => 1)], horizon: 1 })).statusCode).toBe(413);
    expect((await post('/v1/forecast?job=true', { series: [[1]], horizon: 1, seasonLength: 0 })).statusCode).toBe(400);
  });
});

describe('POST /v1/forecast/reconcile', () => {
  // Total -> a, b; base forecasts that do not add up (10 != 4 + 5).
  const nodes = [
    { id: 'total', parent: null },
    { id: 'a', parent: 'total' },
    { id: 'b', parent: 'total' },
  ];
  const forecasts = [
    [10, 12],
    [4, 5],
    [5, 6],
  ];

  it('answers coherent forecasts (bottom-up sums, OLS splits the gap) as the kernel does', async () => {
    const up = await post('/v1/forecast/reconcile', { nodes, forecasts, method: 'bottom-up' });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json()).toMatchObject({
      ids: ['total', 'a', 'b'],
      leaves: ['a', 'b'],
      forecasts: [
        [9, 11],
        [4, 5],
        [5, 6],
      ],
      backend: 'js',
    });
    const ols = await post('/v1/forecast/reconcile', { nodes, forecasts, method: 'ols' });
    const f = (ols.json() as { forecasts: number[][] }).forecasts;
    for (let t = 0; t < 2; t++) expect(f[0]?.[t]).toBeCloseTo((f[1]?.[t] as number) + (f[2]?.[t] as number), 12);
    const direct = await engine.kernels.timeseries.reconcile(nodes, forecasts, { method: 'ols' });
    expect(f.flat()).toEqual(Array.from(direct.mean));
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/forecast/reconcile');
  });

  it('bad input is 400 naming the field: two roots, ragged forecasts, a missing history, an unknown method', async () => {
    const cases: Array<[unknown, string]> = [
      [{ nodes: [...nodes, { id: 'x', parent: null }], forecasts: [...forecasts, [1, 1]], method: 'bottom-up' }, 'nodes'],
      [{ nodes, forecasts: [[10, 12], [4], [5, 6]], method: 'bottom-up' }, 'forecasts'],
      [{ nodes, forecasts, method: 'top-down' }, 'history'],
      [{ nodes, forecasts, method: 'mint' }, 'method'],
    ];
    for (const [payload, field] of cases) {
      const res = await post('/v1/forecast/reconcile', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect((res.json() as { details?: { field?: string } }).details?.field ?? '').toContain(field);
    }
    const big = await post('/v1/forecast/reconcile', { nodes, forecasts: forecasts.map(() => new Array(4000).fill(1)), method: 'ols' });
    expect(big.statusCode).toBe(413);
  });
});
