/** OR routes: assignment, budget allocation, TSP and LP over HTTP (inject), happy path and bad input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { buildServer, type WaybillServer } from '../../src/server/app.js';

const engine = createEngine({ workers: 0 });
const nativeOk = engine.backends().find((b) => b.name === 'native')?.available === true;
let server: WaybillServer;
beforeAll(async () => {
  server = await buildServer({ engine, plugins: [], maxOrCells: 10_000, maxTspMs: 2000 });
});
afterAll(async () => {
  await server.app.close();
  await engine.close();
});

const post = (url: string, payload: unknown) => server.app.inject({ method: 'POST', url, payload: payload as object });

describe('POST /v1/or/assignment', () => {
  it('solves, with null as a forbidden pair', async () => {
    const res = await post('/v1/or/assignment', {
      cost: [
        [4, 1, 3],
        [2, null, 5],
        [3, 2, 2],
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rowToCol: [1, 0, 2], total: 5 });
    expect(['native', 'js']).toContain(res.json().backend);
  });
  it('maximises; reports infeasible (422), ragged (400) and too large (413)', async () => {
    expect(
      (
        await post('/v1/or/assignment', {
          cost: [
            [1, 2],
            [3, 4],
          ],
          maximize: true,
        })
      ).json().total,
    ).toBe(5);
    const inf = await post('/v1/or/assignment', {
      cost: [
        [null, null],
        [1, 2],
      ],
    });
    expect(inf.statusCode).toBe(422);
    expect(inf.json().code).toBe('INFEASIBLE');
    expect((await post('/v1/or/assignment', { cost: [[1, 2], [3]] })).json().code).toBe('INVALID_LENGTH');
    expect((await post('/v1/or/assignment', { cost: [['a']] })).statusCode).toBe(400);
    const big = Array.from({ length: 101 }, () => Array.from({ length: 101 }, () => 1));
    expect((await post('/v1/or/assignment', { cost: big })).statusCode).toBe(413);
    // The solvers pad to square: one row of 101 is a 101 x 101 problem (1 x 100 000 under the
    // default limit ran out of memory: 507 native, 500 js).
    const wide = await post('/v1/or/assignment', { cost: [Array.from({ length: 101 }, () => 1)] });
    expect(wide.statusCode, wide.body).toBe(413);
    expect(wide.json()).toMatchObject({ code: 'TOO_LARGE', details: { rows: 101, cols: 101, limit: 10_000 } });
  });
});

describe('POST /v1/or/budget-allocation', () => {
  it('allocates within the budget and reports the gap', async () => {
    const res = await post('/v1/or/budget-allocation', {
      value: [
        [3, 5],
        [4, null],
        [2, 7],
      ],
      cost: [
        [2, 4],
        [3, 9],
        [1, 6],
      ],
      budget: 8,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.cost).toBeLessThanOrEqual(8);
    expect(body.choice[1]).not.toBe(1); // unit 1 has no treatment 1
    expect(body.dualBound).toBeGreaterThanOrEqual(body.value);
    const floored = await post('/v1/or/budget-allocation', {
      value: [
        [3, 5],
        [4, 6],
      ],
      cost: [
        [1, 2],
        [1, 2],
      ],
      margin: [
        [2, -1],
        [2, -1],
      ],
      marginFloor: 3,
      budget: 10,
    });
    expect(floored.statusCode).toBe(200);
    expect(floored.json().margin).toBeGreaterThanOrEqual(3);
    const impossible = await post('/v1/or/budget-allocation', { value: [[3]], cost: [[1]], margin: [[1]], marginFloor: 5, budget: 10 });
    expect(impossible.statusCode).toBe(422);
    expect((await post('/v1/or/budget-allocation', { value: [[1]], cost: [[-1]], budget: 1 })).statusCode).toBe(400);
    expect((await post('/v1/or/budget-allocation', { value: [[1]], cost: [[1]], budget: -1 })).statusCode).toBe(400);
    // Values near the float64 limit overflowed the totals: 200 with value (or lambda) null.
    const huge = await post('/v1/or/budget-allocation', { value: [[1e308], [1e308]], cost: [[1], [1]], budget: 8 });
    expect(huge.statusCode, huge.body).toBe(400);
    expect(huge.json()).toMatchObject({ code: 'NOT_FINITE', details: { field: 'value' } });
  });
});

describe('POST /v1/or/tsp', () => {
  it.skipIf(!nativeOk)(`tours a square${nativeOk ? '' : ' (skipped: native backend unavailable)'}`, async () => {
    const res = await post('/v1/or/tsp', {
      points: [
        [0, 0],
        [10, 10],
        [0, 10],
        [10, 0],
      ],
      convention: 'exact',
      maxIterations: 50,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().length).toBeCloseTo(40, 9);
    expect(res.json().tour[0]).toBe(0);
    const m = await post('/v1/or/tsp', {
      distances: [
        [0, 1, 2],
        [1, 0, 1],
        [2, 1, 0],
      ],
    });
    expect(m.json().length).toBe(4);
  });
  it('bad input', async () => {
    // Edge lengths (or a tour's sum) beyond float64 used to answer 200 with length: null.
    const far = await post('/v1/or/tsp', {
      points: [
        [0, 0],
        [10, 10],
        [1e308, 10],
        [10, 0],
      ],
    });
    expect(far.statusCode, far.body).toBe(400);
    expect(far.json()).toMatchObject({ code: 'NOT_FINITE', details: { row: 0, col: 2 } });
    const sum = await post('/v1/or/tsp', {
      distances: [
        [0, 1e308, 2],
        [1e308, 0, 1e308],
        [2, 1e308, 0],
      ],
    });
    expect(sum.statusCode, sum.body).toBe(400);
    expect(sum.json().code).toBe('NOT_FINITE');
    expect((await post('/v1/or/tsp', {})).json().code).toBe('INVALID_ARGUMENT');
    expect((await post('/v1/or/tsp', { points: [[0, 0]], timeLimitMs: 60_000 })).statusCode).toBe(413);
    expect((await post('/v1/or/tsp', { points: [[0, 0]], convention: 'manhattan' })).statusCode).toBe(400);
  });
});

describe('POST /v1/or/lp', () => {
  it('solves an LP and a MIP; malformed models are 400', async () => {
    const lp = await post('/v1/or/lp', {
      sense: 'max',
      objective: { x: 1, y: 1 },
      constraints: [
        { name: 'a', terms: { x: 1, y: 2 }, op: '<=', rhs: 4 },
        { name: 'b', terms: { x: 3, y: 1 }, op: '<=', rhs: 6 },
      ],
    });
    expect(lp.statusCode).toBe(200);
    expect(lp.json().objective).toBeCloseTo(2.8, 9);
    expect(lp.json().duals.a).toBeCloseTo(0.4, 9);
    const mip = await post('/v1/or/lp', {
      sense: 'max',
      objective: { x: 1 },
      constraints: [{ terms: { x: 2 }, op: '<=', rhs: 5 }],
      integers: ['x'],
      bounds: { x: [0, null] },
    });
    expect(mip.json()).toMatchObject({ status: 'optimal', objective: 2 });
    expect((await post('/v1/or/lp', { sense: 'max', objective: { 'bad name': 1 }, constraints: [] })).statusCode).toBe(400);
    expect((await post('/v1/or/lp', { sense: 'sideways', objective: {}, constraints: [] })).statusCode).toBe(400);
  });

  it('names that are LP keywords (inf, free, st, bounds) are ordinary names', async () => {
    // They reached HiGHS's LP reader: 500 (or, for an objective variable `inf`, an infinite objective).
    const res = await post('/v1/or/lp', {
      sense: 'max',
      objective: { inf: 1, free: 1 },
      constraints: [{ name: 'st', terms: { inf: 1, free: 2 }, op: '<=', rhs: 4 }],
      bounds: { free: [0, 1] },
      integers: ['inf'],
      binaries: ['bounds'],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'optimal', objective: 4, values: { inf: 4, free: 0, bounds: 0 } });
    const lp = await post('/v1/or/lp', {
      sense: 'max',
      objective: { x: 1 },
      constraints: [{ name: 'end', terms: { x: 1 }, op: '<=', rhs: 3 }],
    });
    expect(lp.json()).toMatchObject({ status: 'optimal', objective: 3, duals: { end: 1 } });
  });

  it('infeasible and unbounded MIPs answer with null objective and values, not a 500', async () => {
    const res = await post('/v1/or/lp', {
      sense: 'min',
      objective: { x: -1, z: 2 },
      constraints: [{ terms: { x: 2, z: 1 }, op: '<=', rhs: -1 }],
      integers: ['x'],
      binaries: ['z'],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'infeasible', objective: null, values: { x: null, z: null } });
    const unbounded = await post('/v1/or/lp', { sense: 'min', objective: { x: -1 }, constraints: [], integers: ['x'] });
    expect(unbounded.statusCode, unbounded.body).toBe(200);
    expect(unbounded.json()).toMatchObject({ status: 'unbounded', objective: null });
  });

  it.each([
    ['a constraint coefficient of 1e15', { constraints: [{ terms: { x: 1e15 }, op: '<=', rhs: 1 }] }, { name: 'x', limit: 1e15 }],
    ['an objective coefficient of 1e20', { objective: { x: 1e20 } }, { name: 'x', limit: 1e20 }],
    // HiGHS drops it: max x s.t. 1e-10 x <= 1 came back optimal at x's bound instead of 1e10.
    ['a constraint coefficient of -1e-10', { constraints: [{ terms: { x: -1e-10 }, op: '>=', rhs: -1 }] }, { name: 'x', limit: 1e-9 }],
    ['a right-hand side of -1e25', { constraints: [{ terms: { x: 1 }, op: '>=', rhs: -1e25 }] }, { index: 0, limit: 1e20 }],
    ['a lower bound of 1e29', { bounds: { x: [1e29, null] } }, { name: 'x', limit: 1e20 }],
  ])('400 for %s (HiGHS refuses it, reads it as infinite or as zero)', async (_what, change, details) => {
    const res = await post('/v1/or/lp', {
      sense: 'max',
      objective: { x: 1 },
      constraints: [{ terms: { x: 1 }, op: '<=', rhs: 1 }],
      ...change,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_ARGUMENT', details });
  });
});

describe('POST /v1/or/min-cost-flow', () => {
  it('routes supply to demand at minimum cost; infeasible is 422, unbalanced is 400', async () => {
    const res = await post('/v1/or/min-cost-flow', {
      supply: [20, -5, -15],
      arcs: [
        { from: 0, to: 1, cost: 4 },
        { from: 0, to: 2, cost: 9, capacity: 10 },
        { from: 1, to: 2, cost: 3 },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ cost: 125, flow: [20, 0, 15] });
    expect((await post('/v1/or/min-cost-flow', { supply: [2, -2], arcs: [{ from: 0, to: 1, cost: 1, capacity: 1 }] })).statusCode).toBe(
      422,
    );
    expect((await post('/v1/or/min-cost-flow', { supply: [2, -1], arcs: [] })).statusCode).toBe(400);
  });
});

describe('docs', () => {
  it('lists the OR routes in the OpenAPI document', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/or/assignment', '/v1/or/budget-allocation', '/v1/or/tsp', '/v1/or/lp', '/v1/or/min-cost-flow']),
    );
  });
});
