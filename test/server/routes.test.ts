/** HTTP API: schema, happy path and bad input for every route (Fastify inject, no port). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

let engine: Engine;
let server: WaybillServer;
beforeAll(async () => {
  engine = createEngine({ workers: 1 });
  server = await buildServer({ engine, maxCells: 10_000, plugins: [] });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});

const post = (url: string, payload: unknown) => server.app.inject({ method: 'POST', url, payload: payload as object });
const PARIS: [number, number] = [48.8566, 2.3522];
const LONDON: [number, number] = [51.5074, -0.1278];

describe('health', () => {
  it('GET /v2/health/live', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/v2/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'live' });
  });

  it('GET /v2/health/ready lists all four backends, each available or with a reason', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.backends.map((b: { name: string }) => b.name)).toEqual(['cuda', 'native', 'gpujs', 'js']);
    for (const b of body.backends) {
      expect(typeof b.available).toBe('boolean');
      if (!b.available || !b.autoSelect) expect(b.reason.length).toBeGreaterThan(0);
    }
    const js = body.backends.find((b: { name: string }) => b.name === 'js');
    expect(js).toMatchObject({ available: true, kernels: expect.arrayContaining(['haversineMatrix', 'kNearest']) });
    expect(body.version).toBe(engine.version);
    expect(body.pool).toMatchObject({ workers: 1, queued: 0, running: 0, queueLimit: 256 });
  });
});

describe('POST /v1/geo/distance-matrix', () => {
  it('Paris to London is ~343.5 km, and the result names its backend', async () => {
    const res = await post('/v1/geo/distance-matrix', { origins: [PARIS], destinations: [LONDON, PARIS] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.rows).toBe(1);
    expect(body.cols).toBe(2);
    expect(body.unit).toBe('m');
    expect(Math.abs(body.distances[0][0] - 343_556)).toBeLessThan(1000);
    expect(body.distances[0][1]).toBe(0);
    expect(['cuda', 'native', 'gpujs', 'js']).toContain(body.backend);
    expect(body.timings.totalMs).toBeGreaterThanOrEqual(0);
  });

  it('euclidean 3-4-5, float32, forced js', async () => {
    const e = await post('/v1/geo/distance-matrix', { origins: [[0, 0]], destinations: [[3, 4]], metric: 'euclidean' });
    expect(e.json().distances).toEqual([[5]]);
    expect(e.json().unit).toBe('input');
    const f = await post('/v1/geo/distance-matrix', { origins: [PARIS], destinations: [LONDON], output: 'float32', backend: 'js' });
    expect(f.statusCode).toBe(200);
    expect(f.json().backend).toBe('js');
    expect(f.json().distances[0][0]).toBe(Math.fround(f.json().distances[0][0]));
  });

  it.each([
    ['missing origins', { destinations: [LONDON] }, 'INVALID_ARGUMENT'],
    ['a point with three numbers', { origins: [[1, 2, 3]], destinations: [LONDON] }, 'INVALID_ARGUMENT'],
    ['a point with one number', { origins: [[1]], destinations: [LONDON] }, 'INVALID_ARGUMENT'],
    ['a string coordinate', { origins: [['x', 2]], destinations: [LONDON] }, 'INVALID_ARGUMENT'],
    // Not coerced: "48.8" is not silently read as 48.8, nor null (JSON's NaN) as 0.
    ['a numeric string coordinate', { origins: [['48.8', 2]], destinations: [LONDON] }, 'INVALID_ARGUMENT'],
    ['a null (NaN) coordinate', { origins: [[null, 2]], destinations: [LONDON] }, 'INVALID_ARGUMENT'],
    ['origins that are not a list of points', { origins: PARIS, destinations: [LONDON] }, 'INVALID_ARGUMENT'],
    ['an unknown metric', { origins: [PARIS], destinations: [LONDON], metric: 'manhattan' }, 'INVALID_ARGUMENT'],
    ['latitude 91', { origins: [[91, 0]], destinations: [LONDON] }, 'COORDINATE_OUT_OF_RANGE'],
    ['longitude -181', { origins: [PARIS], destinations: [[0, -181]] }, 'COORDINATE_OUT_OF_RANGE'],
    ['an unknown backend', { origins: [PARIS], destinations: [LONDON], backend: 'tpu' }, 'INVALID_ARGUMENT'],
    ['an unknown field', { origins: [PARIS], destinations: [LONDON], colour: 'red' }, 'INVALID_ARGUMENT'],
    ['a negative radius', { origins: [PARIS], destinations: [LONDON], radius: -1 }, 'INVALID_ARGUMENT'],
  ])('400 for %s', async (_name, payload, code) => {
    const res = await post('/v1/geo/distance-matrix', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe(code);
    expect(typeof res.json().message).toBe('string');
    if (code === 'INVALID_ARGUMENT') expect(res.json().details.validation.length).toBeGreaterThan(0);
  });

  it('forcing native (built here) or js runs on that backend and gives the same metres', async () => {
    const body = { origins: [PARIS, LONDON], destinations: [LONDON] };
    const js = (await post('/v1/geo/distance-matrix', { ...body, backend: 'js' })).json();
    const native = engine.backends().find((b) => b.name === 'native');
    const res = await post('/v1/geo/distance-matrix', { ...body, backend: 'native' });
    if (!native?.available) return expect(res.statusCode).toBe(503);
    expect(res.json().backend).toBe('native');
    expect(res.json().distances[0][0]).toBeCloseTo(js.distances[0][0], 3);
    expect(res.json().distances[1][0]).toBe(0);
  });

  it('distances that overflow are 400 NOT_FINITE naming the cell, not null (JSON has no Infinity)', async () => {
    const planar = await post('/v1/geo/distance-matrix', {
      origins: [[0, 0]],
      destinations: [
        [3, 4],
        [1e200, 0],
      ],
      metric: 'euclidean',
    });
    expect(planar.statusCode, planar.body).toBe(400);
    expect(planar.json()).toMatchObject({ code: 'NOT_FINITE', details: { row: 0, col: 1 } });
    const f32 = await post('/v1/geo/distance-matrix', {
      origins: [[1e39, 0]],
      destinations: [[0, 0]],
      metric: 'euclidean',
      output: 'float32',
    });
    expect(f32.json()).toMatchObject({ code: 'NOT_FINITE', details: { row: 0, col: 0 } });
    // A radius of 1e308 made the haversine k-nearest answer 500 (NaN distances).
    const knn = await post('/v1/geo/k-nearest', { origins: [PARIS], destinations: [LONDON, PARIS], k: 2, radius: 1e308 });
    expect(knn.statusCode, knn.body).toBe(400);
    expect(knn.json().code).toBe('NOT_FINITE');
    expect((await server.app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
  });

  it('a custom radius scales haversine distances', async () => {
    const unit = await post('/v1/geo/distance-matrix', { origins: [[0, 0]], destinations: [[0, 90]], radius: 1 });
    expect(unit.json().distances[0][0]).toBeCloseTo(Math.PI / 2, 9);
  });

  it('400 for malformed JSON, 415 for an unparsable media type, 404 for an unknown route', async () => {
    const bad = await server.app.inject({
      method: 'POST',
      url: '/v1/geo/distance-matrix',
      payload: '{bad',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_ARGUMENT');
    const xml = await server.app.inject({
      method: 'POST',
      url: '/v1/geo/distance-matrix',
      payload: '<a/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // text/plain is parsed as a string, which then fails the body schema.
    const text = await server.app.inject({
      method: 'POST',
      url: '/v1/geo/distance-matrix',
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(400);
    expect(text.json().code).toBe('INVALID_ARGUMENT');
    const missing = await server.app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('413 TOO_LARGE when origins x destinations exceeds the limit', async () => {
    const many = Array.from({ length: 101 }, (_, i): [number, number] => [i * 0.5 - 25, i]);
    const res = await post('/v1/geo/distance-matrix', { origins: many, destinations: many });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('TOO_LARGE');
    expect(res.json().details).toEqual({ rows: 101, cols: 101, limit: 10_000 });
    const knn = await post('/v1/geo/k-nearest', { origins: many, destinations: many, k: 1 });
    expect(knn.statusCode).toBe(413);
  });

  it('forcing an unavailable backend answers 503 with the reason', async () => {
    const cuda = engine.backends().find((b) => b.name === 'cuda');
    const res = await post('/v1/geo/distance-matrix', { origins: [PARIS], destinations: [LONDON], backend: 'cuda' });
    if (cuda?.available) {
      expect(res.statusCode).toBe(200);
      expect(res.json().backend).toBe('cuda');
    } else {
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('BACKEND_UNAVAILABLE');
      expect(res.json().message).toContain(cuda?.reason);
    }
  });
});

describe('POST /v1/geo/k-nearest', () => {
  it('returns the nearest destinations first', async () => {
    const res = await post('/v1/geo/k-nearest', { origins: [PARIS], destinations: [[0, 0], LONDON, PARIS], k: 2 });
    expect(res.statusCode).toBe(200);
    expect(res.json().indices).toEqual([[2, 1]]);
    expect(res.json().distances[0][0]).toBe(0);
    expect(Math.abs(res.json().distances[0][1] - 343_556)).toBeLessThan(1000);
    expect(res.json().rows).toBe(1);
    expect(res.json().k).toBe(2);
    expect(['cuda', 'native', 'gpujs', 'js']).toContain(res.json().backend);
  });
  it('euclidean on the forced js backend', async () => {
    const res = await post('/v1/geo/k-nearest', {
      origins: [
        [0, 0],
        [10, 10],
      ],
      destinations: [
        [3, 4],
        [9, 9],
        [100, 100],
      ],
      k: 1,
      metric: 'euclidean',
      backend: 'js',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rows: 2, k: 1, indices: [[0], [1]], backend: 'js' });
    expect(res.json().distances[0][0]).toBe(5);
    expect(res.json().distances[1][0]).toBeCloseTo(Math.SQRT2, 12);
  });
  it('400 INVALID_K for k > number of destinations, 400 for k = 0', async () => {
    const res = await post('/v1/geo/k-nearest', { origins: [PARIS], destinations: [LONDON], k: 2 });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_K');
    const zero = await post('/v1/geo/k-nearest', { origins: [PARIS], destinations: [LONDON], k: 0 });
    expect(zero.statusCode).toBe(400);
  });
});

describe('POST /v1/geo/cells', () => {
  const AARHUS_AREA: [number, number] = [57.64911, 10.40744];
  it('geohash ids per point, with counts per cell', async () => {
    const res = await post('/v1/geo/cells', {
      points: [AARHUS_AREA, [42.6, -5.6], AARHUS_AREA],
      scheme: { type: 'geohash', precision: 11 },
      counts: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      scheme: 'geohash',
      ids: ['u4pruydqqvj', 'ezs42e44yx9', 'u4pruydqqvj'],
      cells: { ids: ['ezs42e44yx9', 'u4pruydqqvj'], counts: [1, 2] },
      backend: 'js',
    });
  });

  it('grid rows, columns and sums of values per cell', async () => {
    const res = await post('/v1/geo/cells', {
      points: [
        [39.9, 116.4],
        [39.9 + 1e-6, 116.4 - 1e-6],
        [40.0, 116.4],
      ],
      scheme: { type: 'grid', origin: [39.9, 116.4], sizeMeters: 250 },
      values: [1.5, 2, 4],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ scheme: 'grid', ids: ['0:0', '0:-1', '44:0'], rows: [0, 0, 44], cols: [0, -1, 0], backend: 'js' });
    expect(body.cells).toEqual({ ids: ['0:-1', '0:0', '44:0'], counts: [1, 1, 1], sums: [2, 1.5, 4] });
  });

  it.each([
    ['a missing scheme', { points: [PARIS] }, 'INVALID_ARGUMENT'],
    ['precision 13', { points: [PARIS], scheme: { type: 'geohash', precision: 13 } }, 'INVALID_ARGUMENT'],
    ['an unknown scheme', { points: [PARIS], scheme: { type: 'h3', resolution: 7 } }, 'INVALID_ARGUMENT'],
    ['sizeMeters 0', { points: [PARIS], scheme: { type: 'grid', origin: PARIS, sizeMeters: 0 } }, 'INVALID_ARGUMENT'],
    ['latitude 91', { points: [[91, 0]], scheme: { type: 'geohash', precision: 5 } }, 'COORDINATE_OUT_OF_RANGE'],
    [
      'Madrid on a grid around Paris (over 500 km)',
      { points: [[40.4168, -3.7038]], scheme: { type: 'grid', origin: PARIS, sizeMeters: 100 } },
      'COORDINATE_OUT_OF_RANGE',
    ],
    ['values of another length', { points: [PARIS, LONDON], scheme: { type: 'geohash', precision: 5 }, values: [1] }, 'INVALID_LENGTH'],
  ])('400 for %s', async (_name, payload, code) => {
    const res = await post('/v1/geo/cells', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe(code);
    expect(res.json().details.field).toBeDefined();
  });

  it.each([
    ['a grid with sizeMeters 0', { type: 'grid', origin: PARIS, sizeMeters: 0 }, 'scheme.sizeMeters'],
    ['a grid with a 3-number origin', { type: 'grid', origin: [...PARIS, 0], sizeMeters: 100 }, 'scheme.origin'],
    ['a grid without sizeMeters', { type: 'grid', origin: PARIS }, 'scheme.sizeMeters'],
    ['geohash precision 0', { type: 'geohash', precision: 0 }, 'scheme.precision'],
    ['geohash with an origin', { type: 'geohash', precision: 5, origin: PARIS }, 'scheme.origin'],
    ['an unknown type', { type: 'h3', resolution: 7 }, 'scheme.type'],
    ['no type', { precision: 5 }, 'scheme.type'],
    ['null', null, 'scheme'],
  ])('the field of a bad scheme is that of the scheme its type names: %s', async (_name, scheme, field) => {
    // The union's other branch used to be reported too, and first: a grid's sizeMeters 0 was
    // named as a missing 'precision'.
    const res = await post('/v1/geo/cells', { points: [PARIS], scheme });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field } });
    expect(res.json().message).not.toMatch(field === 'scheme.precision' ? /origin/ : /precision/);
  });

  it('is in the OpenAPI document with its size limit', async () => {
    const { paths } = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const op = paths['/v1/geo/cells'].post;
    const schema = op.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['points', 'scheme']);
    expect(schema.properties.points.maxItems).toBe(100_000);
    expect(op.responses['200']).toBeDefined();
  });
});

describe('docs', () => {
  it('serves the OpenAPI UI and a document generated from the route schemas', async () => {
    const ui = await server.app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    expect(ui.body).toContain('<html');
    const doc = await server.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const { paths, components } = doc.json();
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/geo/distance-matrix', '/v1/geo/k-nearest', '/v2/health/ready']));
    const matrix = paths['/v1/geo/distance-matrix'].post;
    expect(matrix.requestBody.content['application/json'].schema.required).toEqual(['origins', 'destinations']);
    // One error shape, referenced by every route rather than copied into it.
    expect(components.schemas.ErrorBody.required).toEqual(['code', 'message']);
    expect(matrix.responses['400'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    expect(matrix.responses['503'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
  });
});

/** Every route the server registered (from Fastify's route tree), as 'METHOD /path/{param}', HEAD left out. */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    const path = (depth > 0 ? (stack[depth - 1] as string) : '') + (m[2] as string);
    stack[depth] = path;
    for (const method of (m[3] as string).split(', '))
      if (method !== 'HEAD') out.push(`${method} ${path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
  }
  return out;
}

describe('OpenAPI document', () => {
  it('holds every registered route (but the docs UI itself), each with its 2xx response schema and a body schema on POST', async () => {
    const registered = registeredRoutes(server.app.printRoutes({ commonPrefix: false })).filter((r) => !r.includes(' /docs'));
    expect(registered.length).toBeGreaterThan(30);
    const { paths } = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const documented = Object.entries(paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(registered.sort());
    for (const route of registered) {
      const [method, path] = route.split(' ') as [string, string];
      const op = paths[path][method.toLowerCase()];
      const ok = Object.entries(op.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>).filter(([code]) =>
        code.startsWith('2'),
      );
      expect(ok.length, route).toBeGreaterThan(0);
      for (const [, r] of ok) for (const c of Object.values(r.content ?? {})) expect(c.schema, route).toBeDefined();
      expect(
        ok.every(([, r]) => r.content !== undefined),
        route,
      ).toBe(true);
      if (method === 'POST') expect(op.requestBody?.content?.['application/json']?.schema, route).toBeDefined();
    }
  });

  it('declares, with a description, every tag its operations use', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      tags: Array<{ name: string; description?: string }>;
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    const declared = new Set(doc.tags.filter((t) => t.description).map((t) => t.name));
    const used = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => op.tags ?? [])));
    expect([...used].filter((t) => !declared.has(t))).toEqual([]);
  });

  it('documents what /metrics and the network export really send', async () => {
    const { paths } = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    expect(Object.keys(paths['/v1/network/export'].get.responses['200'].content).sort()).toEqual([
      'application/graphml+xml',
      'application/json',
      'text/csv',
    ]);
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('# TYPE');
  });
});

describe('backpressure', () => {
  it('a full pool queue answers 503 QUEUE_FULL with Retry-After', async () => {
    // queueLimit 0 with one worker: a call split into 2 blocks can never queue its second block.
    const tight = createEngine({ workers: 1, queueLimit: 0, poolMinPairs: 1 });
    const s = await buildServer({ engine: tight });
    const res = await s.app.inject({
      method: 'POST',
      url: '/v1/geo/distance-matrix',
      payload: { origins: [PARIS, LONDON], destinations: [LONDON] },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('QUEUE_FULL');
    expect(res.headers['retry-after']).toBe('1');
    await s.app.close();
    await tight.close();
  });
});

describe('a real listener', () => {
  it('listens on an ephemeral port, answers, and stops listening on shutdown', async () => {
    const own = await buildServer({ engineOptions: { workers: 0 } });
    const address = await own.app.listen({ port: 0, host: '127.0.0.1' });
    const live = await fetch(`${address}/v2/health/live`);
    expect(live.status).toBe(200);
    await own.shutdown();
    expect(own.app.server.listening).toBe(false);
  });
});

describe('schema errors name the field, as the kernels do', () => {
  it('details.field is the path of the first schema error (required and unknown properties included)', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/v1/ml/predict', { features: [[1]] }, 'model'],
      ['/v1/ml/predict', { model: { format: 'waybill-gbdt' }, features: [['a']] }, 'features[0][0]'],
      ['/v1/geo/distance-matrix', { origins: [PARIS] }, 'destinations'],
      ['/v1/routes/predict-sequence', { station: { lat: 1 }, stops: [] }, 'station.lng'],
      ['/v1/ml/uplift/train', { features: [[1]], treatment: [1], outcome: [1], bogus: 1 }, 'bogus'],
    ];
    for (const [url, payload, field] of cases) {
      const res = await post(url, payload);
      expect(res.statusCode, url).toBe(400);
      const body = res.json() as { code: string; details: { field: string; validation: unknown[] } };
      expect(body.code).toBe('INVALID_ARGUMENT');
      expect(body.details.field, JSON.stringify(payload)).toBe(field);
      expect(body.details.validation.length).toBeGreaterThan(0);
    }
  });
});
