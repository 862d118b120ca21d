/**
 * Trajectory, network and last-mile prediction routes (inject): schema, happy path and bad input
 * for each; the server keeps serving after every rejected request. Graph and predictors use the
 * shared data (../shared/data), as the engine does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

const engine = createEngine({ workers: 0, graph: { gps: false } });
let server: WaybillServer;
beforeAll(async () => {
  server = await buildServer({
    engine,
    plugins: [],
    maxTrajectoryPoints: 2000,
    maxTrajectoryPairs: 100,
    maxTrajectorySyncCells: 50_000,
  });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});
const post = (url: string, payload: unknown) => server.app.inject({ method: 'POST', url, payload: payload as object });
const get = (url: string) => server.app.inject({ method: 'GET', url });

/** A walk east from (39.9, 116.3): `n` points 10 s and ~`stepM` metres apart. */
function walk(n: number, stepM = 50, t0 = 1_600_000_000, lat = 39.9): number[][] {
  const dLng = stepM / (111_320 * Math.cos((lat * Math.PI) / 180));
  return Array.from({ length: n }, (_, i) => [lat, 116.3 + i * dLng, t0 + 10 * i]);
}

/** Expects a 400 (or `status`) error body with `code`; then checks the server still answers. */
async function rejects(res: Awaited<ReturnType<typeof post>>, code: string, status = 400) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect((await get('/v2/health/live')).statusCode).toBe(200);
  return body as { code: string; message: string; details: Record<string, unknown> };
}

describe('POST /v1/trajectories/similarity', () => {
  const a = walk(5);
  const b = walk(5).map(([la, ln, t]) => [(la as number) + 0.001, ln as number, t as number]); // ~111 m north
  const c = walk(3, 200);

  it('pairwise matrix in metres: zero diagonal, a parallel shifted walk at n x 111 m (DTW)', async () => {
    const res = await post('/v1/trajectories/similarity', {
      trajectories: [
        { id: 'a', points: a },
        { id: 'b', points: b },
      ],
      measure: 'dtw',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.mode).toBe('pairwise');
    expect(body.unit).toBe('m');
    expect(body.rows).toEqual(['a', 'b']);
    expect(body.distances[0][0]).toBe(0);
    expect(body.distances[0][1]).toBeCloseTo(5 * 111.19, 0);
    expect(body.distances[1][0]).toBeCloseTo(body.distances[0][1], 9);
    expect(['native', 'js']).toContain(body.backend);
  });

  it('batched layout and the list layout give the same matrix; js and native agree', async () => {
    const flat = { coords: [...a, ...c].flatMap((p) => p.slice(0, 2)), offsets: [0, 5, 8], ids: ['a', 'c'] };
    const one = (await post('/v1/trajectories/similarity', { ...flat, measure: 'frechet', backend: 'js' })).json();
    const two = (
      await post('/v1/trajectories/similarity', {
        trajectories: [
          { id: 'a', points: a },
          { id: 'c', points: c },
        ],
        measure: 'frechet',
      })
    ).json();
    expect(one.backend).toBe('js');
    expect(one.rows).toEqual(['a', 'c']);
    expect(two.distances[0][1]).toBeCloseTo(one.distances[0][1], 6);
    expect(one.distances[0][1]).toBeGreaterThan(0);
  });

  it('query: one-to-many distances and the top k, nearest first', async () => {
    const res = await post('/v1/trajectories/similarity', {
      trajectories: [
        { id: 'far', points: c.map(([la, ln]) => [(la as number) + 0.01, ln as number]) },
        { id: 'same', points: a },
        { id: 'near', points: b },
      ],
      query: { points: a },
      k: 2,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.mode).toBe('top-k');
    expect(body.distances).toHaveLength(3);
    expect(body.distances[1]).toBe(0);
    expect(body.topK.ids).toEqual(['same', 'near']);
    expect(body.topK.indices).toEqual([1, 2]);
  });

  it('large work runs as a job with the same shape', async () => {
    const long = walk(300);
    const res = await post('/v1/trajectories/similarity', { trajectories: [{ points: long }, { points: long }], measure: 'dtw' });
    expect(res.statusCode, res.body).toBe(202);
    const job = await engine.jobs.wait(res.json().id);
    expect(job.state).toBe('succeeded');
    expect((job.result as { distances: number[][] }).distances[0]?.[1]).toBe(0);
  });

  it('bad input names the trajectory and point; limits are 413', async () => {
    const e1 = await rejects(
      await post('/v1/trajectories/similarity', { trajectories: [{ points: a }, { points: [] }] }),
      'INVALID_LENGTH',
    );
    expect(e1.details.trajectory).toBe(1);
    const e2 = await rejects(
      await post('/v1/trajectories/similarity', {
        trajectories: [
          { points: a },
          {
            points: [
              [39.9, 116.3],
              [95, 116.3],
            ],
          },
        ],
      }),
      'COORDINATE_OUT_OF_RANGE',
    );
    expect(e2.details).toMatchObject({ trajectory: 1, point: 1 });
    // 1e999 parses to Infinity (the one non-finite value JSON can carry): the schema rejects it, naming the path.
    const raw = await server.app.inject({
      method: 'POST',
      url: '/v1/trajectories/similarity',
      headers: { 'content-type': 'application/json' },
      payload: '{"trajectories":[{"points":[[39.9,116.3],[39.9,1e999]]}]}',
    });
    expect((await rejects(raw, 'INVALID_ARGUMENT')).details.validation).toEqual([
      expect.objectContaining({ path: '/trajectories/0/points/1/1' }),
    ]);
    const e3 = await rejects(
      await post('/v1/trajectories/similarity', { coords: [39.9, 116.3, 39.9, 116.4], offsets: [0, 3] }),
      'INVALID_LENGTH',
    );
    expect(e3.details.argument).toBe('trajectories.offsets');
    await rejects(
      await post('/v1/trajectories/similarity', { coords: [39.9, 116.3, 39.9, 116.4], offsets: [0, 2, 1] }),
      'INVALID_ARGUMENT',
    );
    await rejects(
      await post('/v1/trajectories/similarity', { trajectories: [{ points: a }], coords: [1, 2], offsets: [0, 1] }),
      'INVALID_ARGUMENT',
    );
    await rejects(await post('/v1/trajectories/similarity', { trajectories: [{ points: a }], measure: 'edr' }), 'INVALID_ARGUMENT');
    await rejects(await post('/v1/trajectories/similarity', { trajectories: [{ points: a }], measure: 'cosine' }), 'INVALID_ARGUMENT');
    await rejects(await post('/v1/trajectories/similarity', { trajectories: [{ points: a }], query: { points: a }, k: 2 }), 'INVALID_K');
    const many = Array.from({ length: 11 }, () => ({ points: [[39.9, 116.3]] }));
    await rejects(await post('/v1/trajectories/similarity', { trajectories: many }), 'TOO_LARGE', 413);
    await rejects(await post('/v1/trajectories/similarity', { trajectories: [{ points: walk(2001) }] }), 'TOO_LARGE', 413);
  });
});

describe('POST /v1/trajectories/simplify', () => {
  // A straight walk with one 300 m detour in the middle: DP keeps the ends and the detour.
  const zig = walk(9).map((p, i) => (i === 4 ? [(p[0] as number) + 0.0027, p[1] as number, p[2] as number] : p));

  it('dp keeps the ends, the detour and its two neighbours (off the 0-4 and 4-8 chords); kept indices and points match', async () => {
    const res = await post('/v1/trajectories/simplify', { trajectories: [{ id: 'z', points: zig }], method: 'dp', tolerance: 20 });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.trajectories[0].kept).toEqual([0, 3, 4, 5, 8]);
    expect(body.trajectories[0].points[2]).toEqual(zig[4]);
    expect(body.pointsIn).toBe(9);
    expect(body.pointsOut).toBe(5);
    // A tolerance above the detour keeps the ends only.
    const loose = (await post('/v1/trajectories/simplify', { trajectories: [{ points: zig }], tolerance: 400 })).json();
    expect(loose.trajectories[0].kept).toEqual([0, 8]);
  });

  it('tdtr with js and native agree', async () => {
    const js = (
      await post('/v1/trajectories/simplify', { trajectories: [{ points: zig }], method: 'tdtr', tolerance: 20, backend: 'js' })
    ).json();
    const auto = (await post('/v1/trajectories/simplify', { trajectories: [{ points: zig }], method: 'tdtr', tolerance: 20 })).json();
    expect(js.backend).toBe('js');
    expect(auto.trajectories).toEqual(js.trajectories);
  });

  it('bad input: single point, unsorted and duplicate timestamps (tdtr), missing tolerance', async () => {
    const single = await rejects(
      await post('/v1/trajectories/simplify', { trajectories: [{ points: zig }, { points: [[39.9, 116.3, 1]] }], tolerance: 5 }),
      'INVALID_LENGTH',
    );
    expect(single.details.trajectory).toBe(1);
    const swapped = zig.map((p) => [...p]);
    (swapped[3] as number[])[2] = (zig[1] as number[])[2] as number;
    const unsorted = await rejects(
      await post('/v1/trajectories/simplify', { trajectories: [{ points: swapped }], method: 'tdtr', tolerance: 5 }),
      'INVALID_ARGUMENT',
    );
    expect(unsorted.details).toMatchObject({ trajectory: 0, point: 3, reason: 'unsorted-timestamps' });
    const dup = zig.map((p) => [...p]);
    (dup[5] as number[])[2] = (zig[4] as number[])[2] as number;
    const duplicate = await rejects(
      await post('/v1/trajectories/simplify', { trajectories: [{ points: dup }], method: 'tdtr', tolerance: 5 }),
      'INVALID_ARGUMENT',
    );
    expect(duplicate.details).toMatchObject({ point: 5, reason: 'duplicate-timestamp' });
    const noTimes = await rejects(
      await post('/v1/trajectories/simplify', {
        trajectories: [{ points: zig.map(([la, ln]) => [la, ln]) }],
        method: 'tdtr',
        tolerance: 5,
      }),
      'NOT_FINITE',
    );
    expect(noTimes.details.point).toBe(0);
    await rejects(await post('/v1/trajectories/simplify', { trajectories: [{ points: zig }] }), 'INVALID_ARGUMENT');
  });
});

describe('POST /v1/trajectories/staypoints', () => {
  // 40 fixes 1 m apart over 390 s (a stay), then a walk away at 50 m per fix.
  const stay = Array.from({ length: 40 }, (_, i) => [39.9 + i * 1e-5 * 0.9, 116.3, 1_600_000_000 + 10 * i]);
  const away = walk(10, 50, 1_600_000_400, 39.91);

  it('finds the stay with arrival, departure and fix indices', async () => {
    const res = await post('/v1/trajectories/staypoints', {
      trajectories: [{ id: 'u', points: [...stay, ...away] }],
      distance: 100,
      duration: 300,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.counts).toEqual([1]);
    const sp = body.stayPoints[0];
    expect(sp).toMatchObject({ trajectory: 0, id: 'u', first: 0, last: 39, arrive: 1_600_000_000, leave: 1_600_000_390 });
    expect(sp.lat).toBeCloseTo(39.9 + 19.5 * 0.9e-5, 9);
  });

  it('bad input: no timestamps, empty trajectory, out-of-range longitude', async () => {
    await rejects(
      await post('/v1/trajectories/staypoints', {
        trajectories: [
          {
            points: [
              [39.9, 116.3],
              [39.9, 116.3001],
            ],
          },
        ],
      }),
      'NOT_FINITE',
    );
    expect(
      (await rejects(await post('/v1/trajectories/staypoints', { trajectories: [{ points: stay }, { points: [] }] }), 'INVALID_LENGTH'))
        .details.trajectory,
    ).toBe(1);
    const bad = await rejects(
      await post('/v1/trajectories/staypoints', {
        trajectories: [
          {
            points: [
              [39.9, 116.3, 0],
              [39.9, 190, 10],
            ],
          },
        ],
      }),
      'COORDINATE_OUT_OF_RANGE',
    );
    expect(bad.details).toMatchObject({ trajectory: 0, point: 1 });
  });
});

describe('GET /v1/network/*', () => {
  let lane: { from: string; to: string };
  beforeAll(async () => {
    const g = await engine.graph.graph();
    const e = [...g.edges.values()].find((x) => x.kind === 'lane' && x.count >= 3 && x.source === 'lade');
    if (!e) throw new Error('no LaDe lane with 3 observations in the shared data');
    lane = { from: e.from, to: e.to };
  });

  it('summary counts nodes and edges by kind', async () => {
    const res = await get('/v1/network/summary');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.nodes.station).toBe(7);
    expect(body.nodes.zone).toBeGreaterThan(100);
    expect(body.edges.lane).toBeGreaterThan(1000);
    expect(body.source).toBe('shared-data');
  });

  it('neighbours of a node (percent-encoded id), lane stats, k-shortest paths', async () => {
    const res = await get(`/v1/network/nodes/${encodeURIComponent(lane.from)}/neighbours?kind=lane`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.node.id).toBe(lane.from);
    expect(body.neighbours.map((n: { node: { id: string } }) => n.node.id)).toContain(lane.to);
    const stats = await get(`/v1/network/lanes/${encodeURIComponent(lane.from)}/${encodeURIComponent(lane.to)}`);
    expect(stats.statusCode, stats.body).toBe(200);
    expect(stats.json().count).toBeGreaterThanOrEqual(3);
    expect(stats.json().quantiles.p50).toBeGreaterThan(0);
    const paths = await get(`/v1/network/paths?from=${encodeURIComponent(lane.from)}&to=${encodeURIComponent(lane.to)}&k=2&quantile=0.9`);
    expect(paths.statusCode, paths.body).toBe(200);
    const p = paths.json();
    expect(p.weight).toBe('p90');
    expect(p.paths[0].nodes[0]).toBe(lane.from);
    expect(p.paths[0].nodes.at(-1)).toBe(lane.to);
    if (p.paths.length > 1) expect(p.paths[1].cost).toBeGreaterThanOrEqual(p.paths[0].cost);
  });

  it('exports GraphML, JSON and CSV; drift answers', async () => {
    const xml = await get('/v1/network/export?format=graphml');
    expect(xml.statusCode).toBe(200);
    expect(xml.headers['content-type']).toMatch(/graphml/);
    expect(xml.body).toContain('<graphml');
    const json = await get('/v1/network/export?format=json');
    expect(json.json().format).toBe('waybill-network');
    const csv = await get('/v1/network/export?format=csv&part=edges');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\n')[0]).toMatch(/^:START_ID,:END_ID,:TYPE/);
    expect((await get('/v1/network/drift')).statusCode).toBe(200);
  });

  it('unknown node ids are 404 naming the id; bad queries are 400', async () => {
    const e = await rejects(await get('/v1/network/nodes/nope%2F1/neighbours'), 'NOT_FOUND', 404);
    expect(e.details.node).toBe('nope/1');
    expect(
      (await rejects(await get(`/v1/network/paths?from=${encodeURIComponent(lane.from)}&to=ghost`), 'NOT_FOUND', 404)).details.node,
    ).toBe('ghost');
    await rejects(await get(`/v1/network/lanes/ghost/${encodeURIComponent(lane.to)}`), 'NOT_FOUND', 404);
    await rejects(await get('/v1/network/paths?from=a&to=b&k=0'), 'INVALID_ARGUMENT');
    await rejects(await get('/v1/network/export?format=dot'), 'INVALID_ARGUMENT');
  });
});

describe('POST /v1/routes/predict-sequence and /v1/pickups/predict-next', () => {
  it('orders every stop once, with both baselines', async () => {
    const stops = [
      { id: 's0', lat: 34.02, lng: -118.22, zone: 'A-1.2A' },
      { id: 's1', lat: 34.01, lng: -118.21, zone: 'A-1.1A' },
      { id: 's2', lat: 34.011, lng: -118.211, zone: null },
      { id: 's3', lat: 34.03, lng: -118.23 },
    ];
    const res = await post('/v1/routes/predict-sequence', { station: { lat: 34.0, lng: -118.2, code: 'DLA7' }, stops });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect([...body.order].sort()).toEqual([0, 1, 2, 3]);
    expect(body.ids).toEqual(body.order.map((i: number) => `s${i}`));
    expect(body.baselines.nearest[0]).toBe(1); // nearest to the station
    expect([...body.baselines.tour].sort()).toEqual([0, 1, 2, 3]);
    expect(body.trainedOnRoutes).toBe(13);
  });

  it('a route with no stops, bad coordinates: 400 naming the stop', async () => {
    await rejects(await post('/v1/routes/predict-sequence', { station: { lat: 34, lng: -118 }, stops: [] }), 'INVALID_ARGUMENT');
    const e = await rejects(
      await post('/v1/routes/predict-sequence', {
        station: { lat: 34, lng: -118 },
        stops: [
          { lat: 34, lng: -118.1 },
          { lat: 34, lng: -200 },
        ],
      }),
      'COORDINATE_OUT_OF_RANGE',
    );
    expect(e.details.index).toBe(1);
  });

  it('ranks pending pickups with scores and P50 <= P90 times', async () => {
    const t = 1_651_370_000;
    const res = await post('/v1/pickups/predict-next', {
      done: [
        { lat: 30.24, lng: 120.14, pickupTime: t - 600 },
        { lat: 30.25, lng: 120.15, pickupTime: t },
      ],
      pending: [
        { id: 'far', lat: 30.3, lng: 120.2, acceptTime: t - 3600, windowEnd: t + 7200 },
        { id: 'near', lat: 30.2501, lng: 120.1501, acceptTime: t - 3600, windowEnd: t + 7200 },
        { id: 'mid', lat: 30.26, lng: 120.16, acceptTime: t - 1800 },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.ranked).toHaveLength(3);
    expect(body.ranked.map((r: { id: string }) => r.id).sort()).toEqual(['far', 'mid', 'near']);
    for (let i = 1; i < 3; i++) expect(body.ranked[i - 1].score).toBeGreaterThanOrEqual(body.ranked[i].score);
    for (const r of body.ranked) {
      expect(r.minutes.p90).toBeGreaterThanOrEqual(r.minutes.p50);
      expect(r.at.p50).toBeCloseTo(t + r.minutes.p50 * 60, 3);
    }
    expect(body.baselines.nearest).toBe(1);
    expect(body.baselines.earliestWindowEnd).toBe(0);
    expect(body.trainedOn.couriers).toBeGreaterThan(100);
  });

  it('bad input: no pending tasks, unsorted done tasks, no position', async () => {
    const t = 1_651_370_000;
    await rejects(
      await post('/v1/pickups/predict-next', { done: [{ lat: 30, lng: 120, pickupTime: t }], pending: [] }),
      'INVALID_ARGUMENT',
    );
    const e = await rejects(
      await post('/v1/pickups/predict-next', {
        done: [
          { lat: 30, lng: 120, pickupTime: t },
          { lat: 30, lng: 120, pickupTime: t - 60 },
        ],
        pending: [{ lat: 30, lng: 120.01 }],
      }),
      'INVALID_ARGUMENT',
    );
    expect(e.details).toMatchObject({ index: 1, reason: 'unsorted-timestamps' });
    await rejects(await post('/v1/pickups/predict-next', { pending: [{ lat: 30, lng: 120.01 }] }), 'INVALID_ARGUMENT');
    expect(
      (
        await rejects(
          await post('/v1/pickups/predict-next', { position: { lat: 30, lng: 120 }, time: t, pending: [{ lat: 91, lng: 120 }] }),
          'COORDINATE_OUT_OF_RANGE',
        )
      ).details.index,
    ).toBe(0);
  });
});
