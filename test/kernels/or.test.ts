/**
 * OR kernels: linear assignment and budget allocation on every backend that has them (native
 * and the TypeScript reference), against brute force on small instances, against each other on
 * larger ones, and bad input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type WaybillError } from '../../src/index.js';
import { mulberry32 } from '../helpers/random.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const or = engine.kernels.or;
const native = engine.backends().find((b) => b.name === 'native');
const nativeSkip = !native?.available;
if (nativeSkip) console.warn(`skipped: native OR parity: ${native?.reason}`);

function randomMatrix(rows: number, cols: number, seed: number, scale = 100): number[][] {
  const rnd = mulberry32(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rnd() * scale * 100) / 100));
}

function bruteAssignment(c: number[][], maximize: boolean): number {
  const n = c.length;
  const m = c[0]?.length ?? 0;
  let best = maximize ? -Infinity : Infinity;
  const used = new Array<boolean>(m).fill(false);
  const rec = (i: number, sum: number) => {
    if (i === n) {
      if (maximize ? sum > best : sum < best) best = sum;
      return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      rec(i + 1, sum + (c[i]?.[j] as number));
      used[j] = false;
    }
  };
  rec(0, 0);
  return best;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  return ((await p.catch((e) => e)) as WaybillError).code;
}

describe('linearAssignment', () => {
  for (const backend of ['js', 'native'] as const) {
    const skip = backend === 'native' && nativeSkip;
    it.skipIf(skip)(
      `${backend}: optimal on 60 small random instances (rectangular, maximise, forbidden pairs)${skip ? ` (skipped: ${native?.reason})` : ''}`,
      async () => {
        const rnd = mulberry32(99);
        for (let t = 0; t < 60; t++) {
          const m = 1 + Math.floor(rnd() * 6);
          const n = 1 + Math.floor(rnd() * m);
          const maximize = t % 3 === 0;
          const c = randomMatrix(n, m, 1000 + t);
          if (t % 4 === 1) (c[0] as number[])[0] = maximize ? -Infinity : Infinity;
          const expected = bruteAssignment(c, maximize);
          if (!Number.isFinite(expected)) {
            expect(await codeOf(or.linearAssignment(c, { backend, maximize }))).toBe('INFEASIBLE');
            continue;
          }
          const r = await or.linearAssignment(c, { backend, maximize });
          expect(r.backend).toBe(backend);
          expect(r.total).toBeCloseTo(expected, 9);
          expect(new Set(r.rowToCol).size).toBe(n);
          expect(r.rowToCol.reduce((s, j, i) => s + ((c[i] as number[])[j] as number), 0)).toBeCloseTo(r.total, 9);
        }
      },
    );
  }

  it.skipIf(nativeSkip)('native and the TS reference reach the same optimum on 300 x 400', async () => {
    const c = randomMatrix(300, 400, 5, 1000);
    const a = await or.linearAssignment(c, { backend: 'native' });
    const b = await or.linearAssignment(c, { backend: 'js' });
    expect(Math.abs(a.total - b.total)).toBeLessThanOrEqual(1e-9 * Math.abs(b.total));
  });

  it('reports infeasibility and bad input with codes', async () => {
    expect(
      await codeOf(
        or.linearAssignment([
          [Infinity, Infinity],
          [1, 2],
        ]),
      ),
    ).toBe('INFEASIBLE');
    expect(
      await codeOf(
        or.linearAssignment(
          [
            [Infinity, Infinity],
            [1, 2],
          ],
          { backend: 'js' },
        ),
      ),
    ).toBe('INFEASIBLE');
    expect(await codeOf(or.linearAssignment([[1, 2], [3]]))).toBe('INVALID_LENGTH');
    expect(await codeOf(or.linearAssignment([[1, Number.NaN]]))).toBe('NOT_FINITE');
    expect(await codeOf(or.linearAssignment([[1], [2]]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.linearAssignment(new Float64Array(6), { n: 2, m: 2 }))).toBe('INVALID_LENGTH');
    expect(await codeOf(or.linearAssignment([[1]], { backend: 'gpujs' }))).toMatch(/KERNEL_UNSUPPORTED|BACKEND_UNAVAILABLE/);
    expect((await or.linearAssignment([])).total).toBe(0);
  });
});

function bruteBudget(v: number[][], c: number[][], budget: number): number {
  let best = 0;
  const rec = (u: number, val: number, cost: number) => {
    if (cost > budget) return;
    if (u === v.length) {
      best = Math.max(best, val);
      return;
    }
    rec(u + 1, val, cost);
    (v[u] as number[]).forEach((x, k) => {
      if (!Number.isNaN(x)) rec(u + 1, val + x, cost + ((c[u] as number[])[k] as number));
    });
  };
  rec(0, 0, 0);
  return best;
}

describe('budgetAllocation', () => {
  for (const backend of ['js', 'native'] as const) {
    const skip = backend === 'native' && nativeSkip;
    it.skipIf(skip)(
      `${backend}: feasible, never above the optimum, bound never below it (80 small instances)${skip ? ` (skipped: ${native?.reason})` : ''}`,
      async () => {
        const rnd = mulberry32(7);
        for (let t = 0; t < 80; t++) {
          const units = 1 + Math.floor(rnd() * 6);
          const opts = 1 + Math.floor(rnd() * 3);
          const v = randomMatrix(units, opts, 500 + t, 40).map((r) => r.map((x) => Math.round(x - 5)));
          const c = randomMatrix(units, opts, 900 + t, 20).map((r) => r.map((x) => Math.round(x)));
          if (t % 5 === 0) (v[0] as number[])[0] = Number.NaN; // an option unit 0 does not have
          const budget = Math.round(rnd() * 10 * units);
          const opt = bruteBudget(v, c, budget);
          const r = await or.budgetAllocation(v, c, budget, { backend });
          expect(r.cost).toBeLessThanOrEqual(budget + 1e-9);
          expect(r.value).toBeLessThanOrEqual(opt + 1e-9);
          expect(r.dualBound).toBeGreaterThanOrEqual(opt - 1e-6);
          const recomputed = Array.from(r.choice).reduce((s, k, u) => s + (k >= 0 ? ((v[u] as number[])[k] as number) : 0), 0);
          expect(recomputed).toBeCloseTo(r.value, 9);
        }
      },
    );
  }

  it.skipIf(nativeSkip)('50 000 units x 5: native equals the reference, certified gap under 0.1 %', async () => {
    const units = 50_000;
    const rnd = mulberry32(3);
    const value = new Float64Array(units * 5);
    const cost = new Float64Array(units * 5);
    for (let t = 0; t < units * 5; t++) {
      const k = t % 5;
      cost[t] = (k + 1) * (0.5 + rnd());
      value[t] = Math.sqrt(k + 1) * (0.2 + rnd());
    }
    const a = await or.budgetAllocation(value, cost, units * 0.8, { units, options: 5, backend: 'native' });
    const b = await or.budgetAllocation(value, cost, units * 0.8, { units, options: 5, backend: 'js' });
    expect(a.gap).toBeLessThan(1e-3);
    expect(a.gap).toBeGreaterThanOrEqual(0);
    expect(Array.from(a.choice)).toEqual(Array.from(b.choice));
    expect(a.value).toBeCloseTo(b.value, 6);
  });

  it("an unconstrained budget takes every unit's best option with a zero gap", async () => {
    const r = await or.budgetAllocation(
      [
        [1, 5],
        [2, 1],
      ],
      [
        [1, 3],
        [1, 1],
      ],
      100,
    );
    expect(Array.from(r.choice)).toEqual([1, 0]);
    expect(r.value).toBe(7);
    expect(r.gap).toBe(0);
    expect(r.lambda).toBe(0);
  });

  it('bad input fails with codes naming the place', async () => {
    expect(await codeOf(or.budgetAllocation([[1]], [[-1]], 5))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.budgetAllocation([[1]], [[1]], -5))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.budgetAllocation([[1, 2]], [[1]], 5))).toBe('INVALID_LENGTH');
    expect(await codeOf(or.budgetAllocation([[Infinity]], [[1]], 5))).toBe('NOT_FINITE');
    const err = (await or.budgetAllocation([[1], [2]], [[1], [Number.NaN]], 5).catch((e) => e)) as WaybillError;
    expect(err.details).toMatchObject({ unit: 1, option: 0 });
  });
});

describe('linearProgram (HiGHS)', () => {
  it('solves an LP with duals, a MIP, and reports infeasible and unbounded as statuses', async () => {
    const lp = await or.linearProgram({
      sense: 'max',
      objective: { x: 1, y: 1 },
      constraints: [
        { name: 'a', terms: { x: 1, y: 2 }, op: '<=', rhs: 4 },
        { name: 'b', terms: { x: 3, y: 1 }, op: '<=', rhs: 6 },
      ],
    });
    expect(lp.status).toBe('optimal');
    expect(lp.objective).toBeCloseTo(2.8, 9);
    expect(lp.values.x).toBeCloseTo(1.6, 9);
    expect(lp.duals?.a).toBeCloseTo(0.4, 9);
    const mip = await or.linearProgram({
      sense: 'max',
      objective: { x: 1, y: 1 },
      constraints: [
        { terms: { x: 1, y: 2 }, op: '<=', rhs: 4 },
        { terms: { x: 3, y: 1 }, op: '<=', rhs: 6 },
      ],
      integers: ['x', 'y'],
    });
    expect(mip.status).toBe('optimal');
    expect(mip.objective).toBe(2);
    expect(Number.isInteger(mip.values.x)).toBe(true);
    const infeasible = await or.linearProgram({
      sense: 'min',
      objective: { x: 1 },
      constraints: [{ terms: { x: 1 }, op: '>=', rhs: 2 }],
      bounds: { x: [0, 1] },
    });
    expect(infeasible.status).toBe('infeasible');
    const unbounded = await or.linearProgram({ sense: 'max', objective: { x: 1 }, constraints: [{ terms: { x: 1 }, op: '>=', rhs: 1 }] });
    expect(unbounded.status).toBe('unbounded');
  });

  it('a knapsack MIP agrees with budgetAllocation on a small instance', async () => {
    const value = [
      [3, 5],
      [4, 6],
      [2, 7],
    ];
    const cost = [
      [2, 4],
      [3, 5],
      [1, 6],
    ];
    const objective: Record<string, number> = {};
    const budgetTerms: Record<string, number> = {};
    const constraints: Array<{ terms: Record<string, number>; op: '<='; rhs: number }> = [];
    value.forEach((row, u) => {
      const pick: Record<string, number> = {};
      row.forEach((v, k) => {
        objective[`x${u}_${k}`] = v;
        budgetTerms[`x${u}_${k}`] = (cost[u] as number[])[k] as number;
        pick[`x${u}_${k}`] = 1;
      });
      constraints.push({ terms: pick, op: '<=', rhs: 1 });
    });
    constraints.push({ terms: budgetTerms, op: '<=', rhs: 8 });
    const mip = await or.linearProgram({ sense: 'max', objective, constraints, binaries: Object.keys(objective) });
    const heuristic = await or.budgetAllocation(value, cost, 8);
    expect(mip.status).toBe('optimal');
    expect(heuristic.value).toBeLessThanOrEqual(mip.objective + 1e-9);
    expect(heuristic.dualBound).toBeGreaterThanOrEqual(mip.objective - 1e-9);
  });

  it('rejects malformed models with codes', async () => {
    expect(await codeOf(or.linearProgram({ sense: 'up' as never, objective: {}, constraints: [] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.linearProgram({ sense: 'min', objective: { 'bad name': 1 }, constraints: [] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.linearProgram({ sense: 'min', objective: { x: Number.NaN }, constraints: [] }))).toBe('NOT_FINITE');
    expect(
      await codeOf(or.linearProgram({ sense: 'min', objective: { x: 1 }, constraints: [{ terms: { x: 1 }, op: '<' as never, rhs: 1 }] })),
    ).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.linearProgram({ sense: 'min', objective: { x: 1 }, constraints: [], bounds: { x: [2, 1] } }))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('tsp', () => {
  const label = nativeSkip ? ` (skipped: ${native?.reason})` : '';

  it.skipIf(nativeSkip)(`reaches the optimum of TSPLIB berlin52 (7542) deterministically${label}`, async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { parseTsplib } = await import('../../src/data/tsplib.js');
    const { conventionOf, tourLength } = await import('../../src/kernels/or/routes.js');
    const { defaultDataDir } = await import('../../src/paths.js');
    const inst = parseTsplib(readFileSync(join(defaultDataDir(), 'or', 'tsplib', 'berlin52.tsp'), 'utf8'));
    const input = { coords: inst.coords, convention: conventionOf(inst.edgeWeightType) };
    const a = await or.tsp(input, { seed: 3, maxIterations: 20_000 });
    const b = await or.tsp(input, { seed: 3, maxIterations: 20_000 });
    expect(a.backend).toBe('native');
    expect(Array.from(a.tour)).toEqual(Array.from(b.tour));
    expect(a.tour[0]).toBe(0);
    expect(new Set(a.tour).size).toBe(52);
    expect(tourLength(inst.coords, Array.from(a.tour), 'nint')).toBe(a.length);
    expect(a.length).toBeLessThanOrEqual(7542 * 1.01);
  });

  it.skipIf(nativeSkip)(
    `a distance matrix works as input; progress is reported; a signal returns the best tour so far${label}`,
    async () => {
      const rnd = mulberry32(8);
      const n = 120;
      const xy = Array.from({ length: n }, () => [rnd() * 1000, rnd() * 1000] as [number, number]);
      const d = xy.map(([x1, y1]) => xy.map(([x2, y2]) => Math.hypot(x1 - x2, y1 - y2)));
      const small = await or.tsp({ distances: d }, { maxIterations: 200 });
      expect(new Set(small.tour).size).toBe(n);
      const seen: number[] = [];
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 700);
      const long = await or.tsp({ coords: xy }, { timeLimitMs: 60_000, signal: ac.signal, onProgress: (p) => seen.push(p.best) });
      expect(long.cancelled).toBe(true);
      expect(new Set(long.tour).size).toBe(n);
      expect(seen.length).toBeGreaterThan(0);
      expect(long.length).toBeLessThanOrEqual(small.length + 1e-9);
      const timed = await or.tsp({ coords: xy }, { timeLimitMs: 300 });
      expect(timed.timings.totalMs).toBeLessThan(300 * 1.5 + 100);
    },
  );

  it('bad input', async () => {
    expect(
      await codeOf(
        or.tsp({
          distances: [
            [0, 1],
            [2, 0],
          ],
        }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await codeOf(
        or.tsp({
          distances: [
            [0, -1],
            [-1, 0],
          ],
        }),
      ),
    ).toBe('NOT_FINITE');
    expect(
      await codeOf(
        or.tsp({
          distances: [
            [0, 1, 2],
            [1, 0, 3],
          ],
        }),
      ),
    ).toBe('INVALID_LENGTH');
    expect(
      await codeOf(
        or.tsp({
          coords: [
            [0, 0],
            [1, Number.NaN],
          ],
        }),
      ),
    ).toBe('NOT_FINITE');
    expect(await codeOf(or.tsp({ coords: [[0, 0]] }, { seed: -1 }))).toBe('INVALID_ARGUMENT');
    expect(
      await codeOf(
        or.tsp({
          coords: [
            [0, 0],
            [1, 1],
          ],
          convention: 'manhattan' as never,
        }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await codeOf(
        or.tsp(
          {
            coords: [
              [0, 0],
              [1, 1],
            ],
          },
          { backend: 'js' },
        ),
      ),
    ).toBe('KERNEL_UNSUPPORTED');
  });
});

function bruteMargin(v: number[][], c: number[][], m: number[][], budget: number, floor: number): number {
  let best = Number.NEGATIVE_INFINITY;
  const rec = (u: number, val: number, cost: number, mar: number) => {
    if (cost > budget) return;
    if (u === v.length) {
      if (mar >= floor) best = Math.max(best, val);
      return;
    }
    rec(u + 1, val, cost, mar);
    (v[u] as number[]).forEach((x, k) => {
      rec(u + 1, val + x, cost + ((c[u] as number[])[k] as number), mar + ((m[u] as number[])[k] as number));
    });
  };
  rec(0, 0, 0, 0);
  return best;
}

describe('budgetAllocation with a margin floor', () => {
  for (const backend of ['js', 'native'] as const) {
    const skip = backend === 'native' && nativeSkip;
    it.skipIf(skip)(
      `${backend}: feasible for both constraints, bounded by the optimum, INFEASIBLE only when no plan was found${skip ? ` (skipped: ${native?.reason})` : ''}`,
      async () => {
        const rnd = mulberry32(17);
        let solved = 0;
        for (let t = 0; t < 80; t++) {
          const units = 1 + Math.floor(rnd() * 5);
          const opts = 1 + Math.floor(rnd() * 3);
          const v = randomMatrix(units, opts, 2000 + t, 30).map((r) => r.map(Math.round));
          const c = randomMatrix(units, opts, 3000 + t, 15).map((r) => r.map(Math.round));
          const m = randomMatrix(units, opts, 4000 + t, 15).map((r) => r.map((x) => Math.round(x - 5)));
          const budget = Math.round(rnd() * 8 * units);
          const floor = Math.round(((rnd() * 10 - 3) * units) / 3);
          const opt = bruteMargin(v, c, m, budget, floor);
          const res = await or.budgetAllocation(v, c, budget, { backend, margin: m, marginFloor: floor }).catch((e) => e);
          if ((res as WaybillError).code) {
            expect((res as WaybillError).code).toBe('INFEASIBLE');
            continue;
          }
          solved++;
          const r = res as Awaited<ReturnType<typeof or.budgetAllocation>>;
          const mar = Array.from(r.choice).reduce((s, k, u) => s + (k >= 0 ? ((m[u] as number[])[k] as number) : 0), 0);
          expect(r.cost).toBeLessThanOrEqual(budget + 1e-9);
          expect(mar).toBeGreaterThanOrEqual(floor - 1e-9);
          expect(r.margin).toBeCloseTo(mar, 9);
          expect(r.value).toBeLessThanOrEqual(opt + 1e-9);
          expect(r.dualBound).toBeGreaterThanOrEqual(opt - 1e-6);
        }
        expect(solved).toBeGreaterThan(40);
      },
    );
  }

  it.skipIf(nativeSkip)('native and the reference agree on 5 000 units', async () => {
    const units = 5000;
    const rnd = mulberry32(23);
    const value = new Float64Array(units * 4);
    const cost = new Float64Array(units * 4);
    const margin = new Float64Array(units * 4);
    for (let t = 0; t < units * 4; t++) {
      const k = t % 4;
      cost[t] = (k + 1) * (0.5 + rnd());
      value[t] = Math.sqrt(k + 1) * (0.2 + rnd());
      margin[t] = 1 - k * 0.4 + rnd() * 0.2; // richer treatments cost margin
    }
    const args = { units, options: 4, margin, marginFloor: units * 0.3 } as const;
    const a = await or.budgetAllocation(value, cost, units * 1.2, { ...args, backend: 'native' });
    const b = await or.budgetAllocation(value, cost, units * 1.2, { ...args, backend: 'js' });
    expect(Array.from(a.choice)).toEqual(Array.from(b.choice));
    expect(a.margin as number).toBeGreaterThanOrEqual(units * 0.3 - 1e-6);
    expect(a.gap).toBeLessThan(0.01);
  });

  it('margin and marginFloor go together', async () => {
    expect(await codeOf(or.budgetAllocation([[1]], [[1]], 5, { marginFloor: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.budgetAllocation([[1]], [[1]], 5, { margin: [[1, 2]], marginFloor: 1 }))).toBe('INVALID_LENGTH');
  });
});

describe('minCostFlow', () => {
  function randomFlow(seed: number) {
    const rnd = mulberry32(seed);
    const n = 3 + Math.floor(rnd() * 6);
    const supply = new Array<number>(n).fill(0);
    for (let k = 0; k < 3; k++) {
      const q = Math.floor(rnd() * 5);
      const i = Math.floor(rnd() * n);
      const j = Math.floor(rnd() * n);
      supply[i] = (supply[i] as number) + q;
      supply[j] = (supply[j] as number) - q;
    }
    const arcs = Array.from({ length: 2 + Math.floor(rnd() * 18) }, () => {
      const from = Math.floor(rnd() * n);
      let to = Math.floor(rnd() * n);
      if (to === from) to = (to + 1) % n;
      return { from, to, capacity: 1 + Math.floor(rnd() * 8), cost: Math.floor(rnd() * 15) };
    });
    return { supply, arcs };
  }

  it.skipIf(nativeSkip)(
    `native (network simplex) and the reference (shortest paths) agree on 150 random networks${nativeSkip ? ` (skipped: ${native?.reason})` : ''}`,
    async () => {
      let feasible = 0;
      for (let t = 0; t < 150; t++) {
        const input = randomFlow(700 + t);
        const a = await or.minCostFlow(input, { backend: 'native' }).catch((e) => e);
        const b = await or.minCostFlow(input, { backend: 'js' }).catch((e) => e);
        if ((b as WaybillError).code) {
          expect((b as WaybillError).code).toBe('INFEASIBLE');
          expect((a as WaybillError).code).toBe('INFEASIBLE');
          continue;
        }
        feasible++;
        const ra = a as Awaited<ReturnType<typeof or.minCostFlow>>;
        const rb = b as Awaited<ReturnType<typeof or.minCostFlow>>;
        expect(ra.cost).toBeCloseTo(rb.cost, 9);
        // Flow conservation and capacities on the native answer.
        const net = new Array<number>(input.supply.length).fill(0);
        input.arcs.forEach((arc, i) => {
          const f = ra.flow[i] as number;
          expect(f).toBeGreaterThanOrEqual(-1e-9);
          expect(f).toBeLessThanOrEqual(arc.capacity + 1e-9);
          net[arc.from] = (net[arc.from] as number) + f;
          net[arc.to] = (net[arc.to] as number) - f;
        });
        net.forEach((x, i) => {
          expect(x).toBeCloseTo(input.supply[i] as number, 9);
        });
      }
      expect(feasible).toBeGreaterThan(50);
    },
  );

  it.skipIf(nativeSkip)(
    `with an unused 1e17 big-M arc added, native still matches the reference (it returned plans far off the optimum)${nativeSkip ? ` (skipped: ${native?.reason})` : ''}`,
    async () => {
      let compared = 0;
      for (let t = 0; t < 120; t++) {
        const input = randomFlow(900 + t);
        const n = input.supply.length;
        const arcs = [...input.arcs, { from: 0, to: n - 1, capacity: 1, cost: 1e17 }];
        const b = await or.minCostFlow({ supply: input.supply, arcs }, { backend: 'js' }).catch((e) => e);
        if ((b as WaybillError).code || (b as { cost: number }).cost >= 1e16) continue;
        const a = await or.minCostFlow({ supply: input.supply, arcs }, { backend: 'native' });
        expect(a.cost, `network ${900 + t}`).toBeCloseTo((b as { cost: number }).cost, 9);
        compared++;
      }
      expect(compared).toBeGreaterThan(30);
    },
  );

  it.skipIf(nativeSkip)('a transportation problem matches HiGHS, and negative costs work natively', async () => {
    // 3 warehouses -> 4 stores, unlimited lanes: an LP the network simplex must match.
    const supply = [20, 30, 25, -15, -25, -20, -15];
    const lane = [
      [8, 6, 10, 9],
      [9, 12, 13, 7],
      [14, 9, 16, 5],
    ];
    const arcs = lane.flatMap((row, w) => row.map((cost, s) => ({ from: w, to: 3 + s, cost })));
    const flow = await or.minCostFlow({ supply, arcs }, { backend: 'native' });
    const objective: Record<string, number> = {};
    const constraints: Array<{ terms: Record<string, number>; op: '=' | '<='; rhs: number }> = [];
    arcs.forEach((a, i) => {
      objective[`f${i}`] = a.cost;
    });
    supply.forEach((b, node) => {
      const terms: Record<string, number> = {};
      arcs.forEach((a, i) => {
        if (a.from === node) terms[`f${i}`] = 1;
        if (a.to === node) terms[`f${i}`] = -1;
      });
      constraints.push({ terms, op: '=', rhs: b });
    });
    const lp = await or.linearProgram({ sense: 'min', objective, constraints });
    expect(lp.status).toBe('optimal');
    expect(flow.cost).toBeCloseTo(lp.objective, 9);
    const negative = await or.minCostFlow({
      supply: [1, 0, -1],
      arcs: [
        { from: 0, to: 1, cost: -2, capacity: 1 },
        { from: 1, to: 2, cost: 1 },
        { from: 0, to: 2, cost: 0 },
      ],
    });
    expect(negative.cost).toBe(-1);
    expect(
      await codeOf(
        or.minCostFlow(
          {
            supply: [1, 0, -1],
            arcs: [
              { from: 0, to: 1, cost: -2 },
              { from: 1, to: 2, cost: 1 },
            ],
          },
          { backend: 'js' },
        ),
      ),
    ).toBe('KERNEL_UNSUPPORTED');
  });

  it('bad input and infeasibility', async () => {
    expect(await codeOf(or.minCostFlow({ supply: [1, 0], arcs: [] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.minCostFlow({ supply: [1, -1], arcs: [{ from: 0, to: 5, cost: 1 }] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.minCostFlow({ supply: [1, -1], arcs: [{ from: 0, to: 1, cost: Number.NaN }] }))).toBe('NOT_FINITE');
    expect(await codeOf(or.minCostFlow({ supply: [2, -2], arcs: [{ from: 0, to: 1, cost: 1, capacity: 1 }] }))).toBe('INFEASIBLE');
  });
});

describe('linearAssignment with the auction', () => {
  it.skipIf(nativeSkip)(
    `matches JV exactly on integer costs (maximise too) and reports a bound for real costs${nativeSkip ? ` (skipped: ${native?.reason})` : ''}`,
    async () => {
      for (let t = 0; t < 20; t++) {
        const n = 1 + ((t * 7) % 60);
        const c = randomMatrix(n, n, 5000 + t, 1).map((r) => r.map((x) => Math.round(x * 100)));
        const maximize = t % 2 === 1;
        const jv = await or.linearAssignment(c, { maximize });
        const au = await or.linearAssignment(c, { maximize, algorithm: 'auction' });
        expect(au.total).toBe(jv.total);
        expect(au.bound).toBe(0);
        expect(new Set(au.rowToCol).size).toBe(n);
        expect(['native', 'cuda']).toContain(au.backend);
      }
      const real = randomMatrix(80, 80, 9, 1000);
      const jv = await or.linearAssignment(real);
      const au = await or.linearAssignment(real, { algorithm: 'auction' });
      expect(au.total).toBeGreaterThanOrEqual(jv.total - 1e-9);
      expect(au.total).toBeLessThanOrEqual(jv.total + (au.bound as number) + 1e-9);
    },
  );

  const cuda = engine.backends().find((b) => b.name === 'cuda');
  it.skipIf(!cuda?.available)(`the CUDA auction (forced) matches JV${cuda?.available ? '' : ` (skipped: ${cuda?.reason})`}`, async () => {
    for (const n of [1, 30, 300]) {
      const c = randomMatrix(n, n, 6000 + n, 1).map((r) => r.map((x) => Math.round(x * 1000)));
      const jv = await or.linearAssignment(c);
      const au = await or.linearAssignment(c, { algorithm: 'auction', backend: 'cuda' });
      expect(au.backend).toBe('cuda');
      expect(au.total).toBe(jv.total);
    }
  });

  it.skipIf(nativeSkip)(
    `ends on big-M integer costs (1e17, ties) and refuses costs whose prices overflow${nativeSkip ? ` (skipped: ${native?.reason})` : ''}`,
    async () => {
      // 1e17's ulp (16) is above the exact-integer epsilon 1/(n + 1): tied bids no longer moved a
      // price and the auction bid forever (the signal only turns a regression into a failure).
      for (const c of [
        [
          [1e17, 1e17],
          [1e17, 1e17],
        ],
        [
          [0, 0, 0],
          [0, 0, 0],
          [1e17, 0, 0],
        ],
      ]) {
        const jv = await or.linearAssignment(c);
        const au = await or.linearAssignment(c, { algorithm: 'auction', signal: AbortSignal.timeout(5000) });
        expect(Math.abs(au.total - jv.total)).toBeLessThanOrEqual(au.bound as number);
        expect(new Set(au.rowToCol).size).toBe(c.length);
      }
      // +-1e308 overflowed the prices to NaN and bid forever too.
      const huge = [
        [0, 1],
        [-1e308, 2],
      ];
      expect(await codeOf(or.linearAssignment(huge, { algorithm: 'auction', signal: AbortSignal.timeout(5000) }))).toBe('INVALID_ARGUMENT');
    },
  );

  it('needs a square matrix of finite costs; js has no auction', async () => {
    expect(await codeOf(or.linearAssignment([[1, 2]], { algorithm: 'auction' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.linearAssignment([[Infinity]], { algorithm: 'auction' }))).toBe('NOT_FINITE');
    expect(await codeOf(or.linearAssignment([[1]], { algorithm: 'hungarian' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(or.linearAssignment([[1]], { algorithm: 'auction', backend: 'js' }))).toBe('KERNEL_UNSUPPORTED');
  });
});
