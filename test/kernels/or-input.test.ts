/**
 * OR kernels on input found by fuzzing the embedding API: each case once threw a raw TypeError,
 * ran without end, or answered wrongly; each now gives a catalogue code with a `field`, or the
 * right answer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, WaybillError } from '../../src/index.js';
import { compileVrp, OR_MAX_ITERATIONS, OR_MAX_TIME_LIMIT_MS } from '../../src/kernels/or/index.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const or = engine.kernels.or;
const native = engine.backends().find((b) => b.name === 'native');
const nativeSkip = !native?.available;

/** The error a call fails with: a WaybillError's code and field, or the raw error's name. */
async function failure(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; field: unknown }> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e instanceof WaybillError) return { code: e.code, field: e.details?.field };
  return { code: `raw ${(e as Error)?.name}`, field: undefined };
}

function detached(values: number[]): Float64Array {
  const a = Float64Array.from(values);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

const tinyVrp = {
  depots: [{ x: 0, y: 0 }],
  customers: [
    { x: 1, y: 0, demand: 1 },
    { x: 0, y: 1, demand: 1 },
  ],
  vehicleTypes: [{ capacity: 5 }],
  distances: { metric: 'euclidean' as const, rounding: 'exact' as const },
};

describe('null and non-object options', () => {
  const calls: Array<[string, (o: unknown) => Promise<unknown>]> = [
    ['linearAssignment', (o) => or.linearAssignment([[1]], o as never)],
    ['budgetAllocation', (o) => or.budgetAllocation([[1]], [[1]], 1, o as never)],
    ['minCostFlow', (o) => or.minCostFlow({ supply: [1, -1], arcs: [{ from: 0, to: 1, cost: 1 }] }, o as never)],
    ['tsp', (o) => or.tsp({ coords: [[0, 0]] }, o as never)],
    ['solveVrp', (o) => or.solveVrp(tinyVrp, o as never)],
    ['linearProgram', (o) => or.linearProgram({ sense: 'min', objective: { x: 1 } } as never, o as never)],
  ];
  for (const [name, call] of calls) {
    it(`${name}: null, an array or a number as options is INVALID_ARGUMENT naming options`, async () => {
      for (const o of [null, [], 7])
        expect(await failure(call(o)), `${name} ${JSON.stringify(o)}`).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
    });
  }
  it('a null problem, a bigint shape and a non-function onProgress are refused with codes', async () => {
    expect(await failure(or.tsp(null as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'input' });
    expect(await failure(or.linearProgram(null as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'model' });
    expect((await failure(or.linearAssignment(new Float64Array(1), { n: 1n as never, m: 1 }))).code).toBe('INVALID_LENGTH');
    // A string onProgress once threw inside the progress timer, an uncaught exception.
    expect(await failure(or.tsp({ coords: [[0, 0]] }, { onProgress: 'x' as never }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'onProgress',
    });
  });
});

describe('every refusal names its field', () => {
  it('budget, algorithm, margin, value and cost cells, unknown backend', async () => {
    expect(await failure(or.budgetAllocation([[1]], [[1]], null as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'budget' });
    expect(await failure(or.budgetAllocation([[Number.POSITIVE_INFINITY]], [[1]], 1))).toEqual({
      code: 'NOT_FINITE',
      field: 'value[0][0]',
    });
    expect(await failure(or.budgetAllocation([[1]], [[-1]], 1))).toEqual({ code: 'INVALID_ARGUMENT', field: 'cost[0][0]' });
    expect(await failure(or.budgetAllocation([[1]], [[1]], 1, { margin: [[1]] }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'marginFloor',
    });
    expect(await failure(or.linearAssignment([[1]], { algorithm: 'x' as never }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'algorithm',
    });
    expect(await failure(or.linearAssignment([[1]], { backend: 'x' as never }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'backend' });
    expect(await failure(or.linearAssignment([[1, 2]], { algorithm: 'auction' }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'cost' });
  });
});

describe('linearProgram refusals name their field', () => {
  const lp = (extra: object) => or.linearProgram({ sense: 'max', objective: { x: 1 }, constraints: [], ...extra } as never);
  it('coefficients, right-hand sides, ops, bounds and integer lists', async () => {
    const row = (c: object) => lp({ constraints: [{ terms: { x: 1 }, op: '<=', rhs: 1 }, c] });
    expect(await failure(lp({ objective: { x: Number.NaN } }))).toEqual({ code: 'NOT_FINITE', field: 'objective.x' });
    expect(await failure(lp({ objective: { x: 1e20 } }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'objective.x' });
    expect(await failure(row({ terms: { y: 1e-10 }, op: '<=', rhs: 1 }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'constraints[1].terms.y',
    });
    expect(await failure(row({ terms: { y: 1e15 }, op: '<=', rhs: 1 }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'constraints[1].terms.y',
    });
    expect(await failure(row({ terms: { 'y z': 1 }, op: '<=', rhs: 1 }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'constraints[1].terms.y z',
    });
    expect(await failure(row({ terms: { y: 1 }, op: '<', rhs: 1 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'constraints[1].op' });
    expect(await failure(row({ terms: { y: 1 }, op: '<=', rhs: 1e20 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'constraints[1].rhs' });
    expect(await failure(row({ terms: { y: 1 }, op: '<=', rhs: Number.NaN }))).toEqual({ code: 'NOT_FINITE', field: 'constraints[1].rhs' });
    expect(await failure(row({ name: 'c0', terms: { y: 1 }, op: '<=', rhs: 1 }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'constraints[1].name',
    });
    expect(await failure(lp({ bounds: { x: [2, 1] } }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'bounds.x' });
    expect(await failure(lp({ bounds: { x: [0, 1e20] } }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'bounds.x' });
    expect(await failure(lp({ integers: ['1x'] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'integers[0]' });
    expect(await failure(lp({ binaries: ['1x'] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'binaries[0]' });
  });
  it('a constraint that is not an object, bounds that are not a pair, integers that are not an array: codes, not raw TypeErrors', async () => {
    expect(await failure(lp({ constraints: [null] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'constraints[0]' });
    expect(await failure(lp({ bounds: { x: 5 } }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'bounds.x' });
    expect(await failure(lp({ integers: 'x' }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'integers' });
  });
});

describe('detached typed arrays', () => {
  it('minCostFlow supply, assignment and budget matrices, tsp input: INVALID_ARGUMENT naming the array', async () => {
    expect(await failure(or.minCostFlow({ supply: detached([1, -1]), arcs: [] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'supply' });
    expect(await failure(or.linearAssignment(detached([1]), { n: 1, m: 1 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'cost' });
    // n = m = 0 matches the detached array's length 0: without the check it was solved as empty.
    expect(await failure(or.linearAssignment(detached([1]), { n: 0, m: 0 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'cost' });
    expect(await failure(or.budgetAllocation([[1]], detached([1]), 1, { units: 1, options: 1 }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'cost',
    });
    expect(await failure(or.tsp({ coords: detached([0, 0, 1, 1]) }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'coords' });
    expect(await failure(or.tsp({ distances: detached([0]), n: 1 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'distances' });
  });
  it('a compiled VRP whose arrays were transferred is INVALID_ARGUMENT naming the array', async () => {
    for (const field of ['typeCount', 'dist'] as const) {
      const c = compileVrp(tinyVrp);
      const buf = c[field].buffer as ArrayBuffer;
      structuredClone(buf, { transfer: [buf] });
      expect(await failure(or.solveVrp(c, { maxIterations: 5 })), field).toEqual({ code: 'INVALID_ARGUMENT', field });
    }
  });
  it('a live subarray with a byteOffset is read from its offset', async () => {
    const big = Float64Array.from([99, 99, 1, -1]);
    const r = await or.minCostFlow({ supply: big.subarray(2), arcs: [{ from: 0, to: 1, cost: 3 }] });
    expect(r.cost).toBe(3);
  });
});

describe('search limits', () => {
  it.skipIf(nativeSkip)(
    `tsp and vrp refuse unbounded iteration counts and time limits${nativeSkip ? ` (skipped: ${native?.reason})` : ''}`,
    async () => {
      const coords = [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ];
      for (const maxIterations of [1e18, 1e300, OR_MAX_ITERATIONS + 1, Number.NaN])
        expect(await failure(or.tsp({ coords }, { maxIterations })), `tsp ${maxIterations}`).toEqual({
          code: 'INVALID_ARGUMENT',
          field: 'maxIterations',
        });
      for (const timeLimitMs of [Number.POSITIVE_INFINITY, OR_MAX_TIME_LIMIT_MS + 1, Number.NaN, -1])
        expect(await failure(or.tsp({ coords }, { timeLimitMs })), `tsp ${timeLimitMs}`).toEqual({
          code: 'INVALID_ARGUMENT',
          field: 'timeLimitMs',
        });
      for (const maxIterations of [1e18, 2 ** 52])
        expect(await failure(or.solveVrp(tinyVrp, { maxIterations })), `vrp ${maxIterations}`).toEqual({
          code: 'INVALID_ARGUMENT',
          field: 'maxIterations',
        });
      expect(await failure(or.solveVrp(tinyVrp, { timeLimitMs: 1e300 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'timeLimitMs' });
      // The limits themselves are accepted (with the other limit stopping the search at once).
      const r = await or.tsp({ coords }, { maxIterations: 5, timeLimitMs: OR_MAX_TIME_LIMIT_MS });
      expect(r.length).toBe(4);
    },
  );
});

describe('linearAssignment totals', () => {
  for (const backend of ['js', 'native'] as const) {
    it.skipIf(backend === 'native' && nativeSkip)(`${backend}: the wrong infinity and overflowing totals are NOT_FINITE`, async () => {
      // -Infinity when minimising (+Infinity when maximising) gave a total of -Infinity without a word.
      expect(
        await failure(
          or.linearAssignment(
            [
              [Number.NEGATIVE_INFINITY, 1],
              [1, 2],
            ],
            { backend },
          ),
        ),
      ).toEqual({ code: 'NOT_FINITE', field: 'cost[0][0]' });
      expect(
        await failure(
          or.linearAssignment(
            [
              [1, Number.POSITIVE_INFINITY],
              [1, 2],
            ],
            { backend, maximize: true },
          ),
        ),
      ).toEqual({ code: 'NOT_FINITE', field: 'cost[0][1]' });
      // Every assignment sums two costs of 1e308: Infinity.
      expect(
        await failure(
          or.linearAssignment(
            [
              [1e308, 1e308],
              [1e308, 1e308],
            ],
            { backend },
          ),
        ),
      ).toEqual({ code: 'NOT_FINITE', field: 'cost' });
      // Forbidden pairs keep their meaning.
      const r = await or.linearAssignment(
        [
          [Number.POSITIVE_INFINITY, 1],
          [1, 5],
        ],
        { backend },
      );
      expect(r.total).toBe(2);
    });
  }
});

describe('minCostFlow edge cases', () => {
  it.skipIf(nativeSkip)(
    `native: a negative cycle of finite capacity is saturated, not called unbounded${nativeSkip ? ` (skipped: ${native?.reason})` : ''}`,
    async () => {
      // Capacities (5) above the total supply (0) once read as the "unlimited" marker.
      const r = await or.minCostFlow(
        {
          supply: [0, 0],
          arcs: [
            { from: 0, to: 1, cost: -2, capacity: 5 },
            { from: 1, to: 0, cost: 1, capacity: 5 },
            { from: 0, to: 0, cost: -1, capacity: 3 },
          ],
        },
        { backend: 'native' },
      );
      expect(r.cost).toBe(-8);
      expect(Array.from(r.flow)).toEqual([5, 5, 3]);
      expect((await failure(or.minCostFlow({ supply: [0, 0], arcs: [{ from: 0, to: 0, cost: -1 }] }, { backend: 'native' }))).code).toBe(
        'INVALID_ARGUMENT',
      );
    },
  );
  for (const backend of ['js', 'native'] as const) {
    it.skipIf(backend === 'native' && nativeSkip)(
      `${backend}: costs and flows whose sums overflow are NOT_FINITE, never INFEASIBLE or an infinite cost`,
      async () => {
        // Native: 1e308 answered INFEASIBLE (its big-M overflowed); js: two such arcs did.
        const chain = {
          supply: [1, 0, -1],
          arcs: [
            { from: 0, to: 1, cost: 1e308 },
            { from: 1, to: 2, cost: 1e308 },
          ],
        };
        expect(await failure(or.minCostFlow(chain, { backend }))).toEqual({ code: 'NOT_FINITE', field: 'arcs' });
        // 1e300 of flow at cost 1e10 each: the total cost overflows (it was returned as Infinity).
        const heavy = { supply: [1e300, -1e300], arcs: [{ from: 0, to: 1, cost: 1e10 }] };
        expect(await failure(or.minCostFlow(heavy, { backend }))).toEqual({ code: 'NOT_FINITE', field: 'cost' });
        const huge = { supply: [1e308, -1e308], arcs: [{ from: 0, to: 1, cost: 1 }] };
        expect(await failure(or.minCostFlow(huge, { backend }))).toEqual({ code: 'NOT_FINITE', field: 'arcs' });
      },
    );
  }
});
