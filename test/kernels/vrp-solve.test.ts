/**
 * solveVrp (native hybrid genetic search) end to end: every returned plan is re-checked by the
 * independent TS checker (checkVrpSolution), on real CVRPLIB / Solomon instances with a short
 * iteration budget, plus determinism, worker count, optional visits, mixed fleets, progress,
 * cancellation, time limit and bad input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTsplib } from '../../src/data/tsplib.js';
import { createEngine, type WaybillError } from '../../src/index.js';
import { checkVrpSolution, compileVrp, type VrpProblem, vrpFromRoutingInstance } from '../../src/kernels/or/vrp-model.js';
import { defaultDataDir } from '../../src/paths.js';
import { mulberry32 } from '../helpers/random.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const or = engine.kernels.or;
const native = engine.backends().find((b) => b.name === 'native');
const nativeSkip = !native?.available;
if (nativeSkip) console.warn(`skipped: VRP solver tests: native backend unavailable (${native?.reason})`);
const OR_DIR = join(defaultDataDir(), 'or');
const haveData = existsSync(join(OR_DIR, 'X', 'X-n101-k25.vrp'));
if (!haveData) console.warn(`skipped: VRP tests on real instances: ${OR_DIR} not found`);

function bks(family: string, instance: string, convention: RegExp): { bks: number; vehicles: number } {
  const lines = readFileSync(join(OR_DIR, family, 'BKS.csv'), 'utf8').split('\n');
  for (const line of lines) {
    const cells = line.match(/("[^"]*"|[^,]+)/g) ?? [];
    if (cells[1] === instance && convention.test(cells[4] ?? '')) return { bks: Number(cells[3]), vehicles: Number(cells[6]) };
  }
  throw new Error(`no BKS for ${instance}`);
}

function randomProblem(customers: number, seed: number, extra: Partial<VrpProblem> = {}): VrpProblem {
  const rnd = mulberry32(seed);
  return {
    depots: [{ x: 50, y: 50 }],
    customers: Array.from({ length: customers }, () => ({ x: rnd() * 100, y: rnd() * 100, demand: 1 + Math.floor(rnd() * 9) })),
    vehicleTypes: [{ capacity: 30 }],
    distances: { metric: 'euclidean', rounding: 'nint' },
    ...extra,
  } as VrpProblem;
}

describe.skipIf(nativeSkip)('solveVrp', () => {
  it.skipIf(!haveData)('X-n101-k25: feasible, checked independently, within 2 % of the BKS after 1500 iterations', async () => {
    const inst = parseTsplib(readFileSync(join(OR_DIR, 'X', 'X-n101-k25.vrp'), 'utf8'));
    const c = compileVrp(vrpFromRoutingInstance(inst, 'nint'));
    const sol = await or.solveVrp(c, { maxIterations: 1500, seed: 1 });
    const check = checkVrpSolution(
      c,
      sol.routes.map((r) => ({ type: r.type, stops: r.stops })),
      sol.unassigned.map((u) => u.node),
    );
    expect(check.feasible, JSON.stringify(check.violations.slice(0, 3))).toBe(true);
    expect(sol.feasible).toBe(true);
    expect(sol.cost).toBe(check.cost);
    const { bks: best } = bks('X', 'X-n101-k25', /nint/);
    expect(sol.cost).toBeGreaterThanOrEqual(best);
    expect((sol.cost - best) / best).toBeLessThan(0.02);
    expect(sol.backend).toBe('native');
  });

  it.skipIf(!haveData)(
    'Solomon RC201 with the BKS fleet (4 vehicles, exact distances): feasible, within 3 % of the BKS after 500 iterations',
    async () => {
      const inst = parseTsplib(readFileSync(join(OR_DIR, 'solomon', 'RC201.vrptw'), 'utf8'));
      const { bks: best, vehicles } = bks('solomon', 'RC201', /exact-double/);
      const c = compileVrp(vrpFromRoutingInstance(inst, 'exact', { vehicles }));
      const sol = await or.solveVrp(c, { maxIterations: 500, seed: 1 });
      expect(sol.feasible, JSON.stringify(sol.violations.slice(0, 3))).toBe(true);
      expect(sol.routes.length).toBeLessThanOrEqual(vehicles);
      expect((sol.distance - best) / best).toBeLessThan(0.03);
    },
    30_000,
  );

  it('same seed and iteration limit give the same plan, with 1 and with 2 workers', async () => {
    const p = randomProblem(80, 3);
    for (const workers of [1, 2]) {
      const a = await or.solveVrp(p, { maxIterations: 300, seed: 9, workers });
      const b = await or.solveVrp(p, { maxIterations: 300, seed: 9, workers });
      expect(a.routes.map((r) => r.stops)).toEqual(b.routes.map((r) => r.stops));
      expect(a.iterations).toBe(300 * workers);
      expect(a.workers).toBe(workers);
      expect(a.feasible).toBe(true);
    }
  });

  it('optional visits: an over-constrained fleet returns a feasible plan and the left-out stops with reasons', async () => {
    const p = randomProblem(40, 5, { vehicleTypes: [{ capacity: 30, count: 2 }] });
    p.customers.forEach((c) => {
      c.penalty = 500;
    });
    const sol = await or.solveVrp(p, { maxIterations: 300 });
    expect(sol.feasible).toBe(true);
    expect(sol.unassigned.length).toBeGreaterThan(0);
    expect(sol.unassigned[0]?.reason).toMatch(/optional/);
    const load = sol.routes.map((r) => r.load[0] as number);
    for (const l of load) expect(l).toBeLessThanOrEqual(30);
    expect(sol.cost).toBeCloseTo(sol.distance + 500 * sol.unassigned.length, 6);
  });

  it('required stops the fleet cannot carry: the plan says infeasible, with violations', async () => {
    const p = randomProblem(40, 5, { vehicleTypes: [{ capacity: 30, count: 2 }] });
    const sol = await or.solveVrp(p, { maxIterations: 100 });
    expect(sol.feasible).toBe(false);
    expect(sol.violations.some((v) => v.kind === 'capacity')).toBe(true);
  });

  it('mixed fleet with two depots, time windows and two capacity dimensions', async () => {
    const rnd = mulberry32(17);
    const p: VrpProblem = {
      depots: [
        { x: 20, y: 20, twStart: 0, twEnd: 1000 },
        { x: 80, y: 80, twStart: 0, twEnd: 1000 },
      ],
      customers: Array.from({ length: 50 }, () => {
        const a = Math.floor(rnd() * 600);
        return {
          x: rnd() * 100,
          y: rnd() * 100,
          demand: [1 + Math.floor(rnd() * 5), Math.floor(rnd() * 3)],
          serviceTime: 10,
          twStart: a,
          twEnd: a + 200,
        };
      }),
      vehicleTypes: [
        { id: 'van', count: 4, capacity: [40, 20], fixedCost: 50, startDepot: 0 },
        { id: 'bike', count: 6, capacity: [10, 4], fixedCost: 5, costPerDistance: 0.5, startDepot: 1 },
      ],
      distances: { metric: 'euclidean', rounding: 'exact' },
    };
    const sol = await or.solveVrp(p, { maxIterations: 400 });
    expect(sol.feasible, JSON.stringify(sol.violations.slice(0, 3))).toBe(true);
    const types = new Set(sol.routes.map((r) => r.typeId));
    expect(types.size).toBeGreaterThan(0);
    const served = sol.routes.flatMap((r) => r.stops).sort((a, b) => a - b);
    expect(served).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it('reports progress, honours the time limit, and returns the best plan so far on abort', async () => {
    const p = randomProblem(300, 8);
    const events: number[] = [];
    const t0 = performance.now();
    const sol = await or.solveVrp(p, { timeLimitMs: 1000, onProgress: (e) => events.push(e.best) });
    const ms = performance.now() - t0;
    expect(sol.feasible).toBe(true);
    expect(ms).toBeLessThan(1000 * 1.05 + 150);
    expect(events.length).toBeGreaterThan(1);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const cut = await or.solveVrp(p, { timeLimitMs: 60_000, signal: ac.signal });
    expect(cut.cancelled).toBe(true);
    expect(cut.feasible).toBe(true);
    expect(cut.elapsedMs).toBeLessThan(3000);
  });

  it('rejects bad input with codes naming the field', async () => {
    const cases: Array<[VrpProblem, string, RegExp]> = [
      [randomProblem(5, 1, { customers: [{ x: 1, y: 1, demand: -1 }] }), 'INVALID_ARGUMENT', /customers\[0\]\.demand/],
      [randomProblem(5, 1, { customers: [{ x: 1, y: 1, demand: 99 }] }), 'INFEASIBLE', /customers\[0\]/],
      [randomProblem(5, 1, { customers: [{ x: 1, y: 1, demand: 1, twStart: 10, twEnd: 5 }] }), 'INVALID_ARGUMENT', /customers\[0\]/],
      [
        {
          depots: [{}],
          customers: [{ demand: 1 }],
          vehicleTypes: [{ capacity: 5 }],
          distances: { matrix: [[0, 1], [1]] },
        } as VrpProblem,
        'INVALID_LENGTH',
        /distances\.matrix\[1\]/,
      ],
    ];
    for (const [p, code, field] of cases) {
      const err = (await or.solveVrp(p, { maxIterations: 10 }).catch((e: unknown) => e)) as WaybillError;
      expect(err.code).toBe(code);
      expect(JSON.stringify(err.details)).toMatch(field);
    }
    await expect(or.solveVrp(randomProblem(5, 1), { workers: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
