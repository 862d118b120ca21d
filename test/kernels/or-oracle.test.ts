/**
 * LP/MIP and budget-allocation answers found wrong by a seeded fuzzer that checked them against an
 * oracle (vertex enumeration for small LPs, enumeration of integer boxes for MIPs, enumeration of
 * every choice for budget allocation). Each case here once answered wrongly, hung, or failed
 * without a catalogue code and a `field`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, WaybillError } from '../../src/index.js';
import { HIGHS_MAX_THREADS, highsWatchdogMs, solveOnThread, toLpText } from '../../src/kernels/or/linear-program.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const or = engine.kernels.or;
const native = engine.backends().find((b) => b.name === 'native');
const backends = native?.available ? (['js', 'native'] as const) : (['js'] as const);

async function failure(p: Promise<unknown>): Promise<{ code: string; field: unknown }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e instanceof WaybillError) return { code: e.code, field: e.details?.field };
  return { code: `raw ${(e as Error)?.name}`, field: undefined };
}

describe('linearProgram against an oracle', () => {
  it('a binary variable stays 0 or 1 whatever bounds it is given', async () => {
    // HiGHS let explicit bounds replace the binary's [0, 1]: a came back as 5, then -3.
    const up = await or.linearProgram({ sense: 'max', objective: { a: 1 }, constraints: [], bounds: { a: [-3, 5] }, binaries: ['a'] });
    expect(up).toMatchObject({ status: 'optimal', objective: 1, values: { a: 1 } });
    const down = await or.linearProgram({ sense: 'min', objective: { a: 1 }, constraints: [], bounds: { a: [-3, 5] }, binaries: ['a'] });
    expect(down).toMatchObject({ status: 'optimal', objective: 0, values: { a: 0 } });
    // Bounds that leave a binary no value are refused, like lower > upper.
    expect(
      await failure(or.linearProgram({ sense: 'max', objective: { a: 1 }, constraints: [], bounds: { a: [2, 5] }, binaries: ['a'] })),
    ).toEqual({ code: 'INVALID_ARGUMENT', field: 'bounds.a' });
  });

  it('every variable of the model has a value, and no other one', async () => {
    // b (coefficient 0 only) had no column in HiGHS and no value; an empty objective added an "x".
    const zero = await or.linearProgram({
      sense: 'max',
      objective: { a: 1, b: 0 },
      constraints: [{ terms: { a: 1, c: 0 }, op: '<=', rhs: 3 }],
    });
    expect(zero.values).toEqual({ a: 3, b: 0, c: 0 });
    const empty = await or.linearProgram({ sense: 'max', objective: {}, constraints: [{ terms: { y: 1 }, op: '<=', rhs: 3 }] });
    expect(empty.status).toBe('optimal');
    expect(Object.keys(empty.values)).toEqual(['y']);
    const nothing = await or.linearProgram({ sense: 'min', objective: {}, constraints: [] });
    expect(nothing).toMatchObject({ status: 'optimal', objective: 0, values: {} });
    // A variable named __proto__ (a JSON model has it as an own key) was lost from values.
    const proto = await or.linearProgram(
      JSON.parse('{"sense":"max","objective":{"__proto__":1,"b":1},"constraints":[{"terms":{"__proto__":1,"b":1},"op":"<=","rhs":4}]}'),
    );
    expect(proto.objective).toBe(4);
    expect(Object.hasOwn(proto.values, '__proto__')).toBe(true);
  });

  it('an infeasible MIP with an unbounded ray is infeasible, not unbounded', async () => {
    // HiGHS says "Primal infeasible or unbounded"; it was mapped to 'unbounded'. b = 1 leaves
    // -3 - 3c >= 4 no solution; a alone would be unbounded.
    const r = await or.linearProgram({
      sense: 'min',
      objective: { a: -3, b: 3, c: 1 },
      constraints: [
        { terms: { a: 3 }, op: '>=', rhs: 5 },
        { terms: { b: -3, c: -3 }, op: '>=', rhs: 4 },
      ],
      bounds: { b: [1, 1], c: [0, 2] },
      integers: ['b', 'c'],
    });
    expect(r.status).toBe('infeasible');
    const unbounded = await or.linearProgram({
      sense: 'min',
      objective: { a: -3, c: 1 },
      constraints: [{ terms: { a: 3 }, op: '>=', rhs: 5 }],
      integers: ['c'],
    });
    expect(unbounded.status).toBe('unbounded');
  });

  it('an unbounded LP that HiGHS presolve calls infeasible is unbounded', async () => {
    // Feasible (x0 = 0, x1 = -1, x2 = 0, x3 = 3) and unbounded along x0 = x2 = t; HiGHS said Infeasible.
    const r = await or.linearProgram({
      sense: 'min',
      objective: { x0: -4, x1: 2, x2: -2, x3: -3 },
      constraints: [
        { terms: { x0: 2, x2: -3, x3: -3 }, op: '<=', rhs: 8 },
        { terms: { x0: -2, x1: 3, x2: 2, x3: 1 }, op: '<=', rhs: 8 },
      ],
      bounds: { x1: [-1, 5], x3: [3, 6] },
    });
    expect(r.status).toBe('unbounded');
  });

  it('a MIP with two parallel equations is solved (HiGHS presolve looped on it, past its time limit)', async () => {
    const model = {
      sense: 'min' as const,
      objective: { a: 3, b: 4, c: -3, d: 3 },
      constraints: [
        { terms: { a: -3, b: -1, c: 1 }, op: '=' as const, rhs: -7 },
        { terms: { a: -6, b: -2, c: 2 }, op: '=' as const, rhs: -14 },
      ],
      bounds: { a: [1, 1] as [number, number], c: [null, null] as [null, null] },
      integers: ['a'],
      binaries: ['b'],
    };
    // Checked on the LP text first: with both equations there, the solve below never returns.
    expect(toLpText(model).match(/ = /g)).toHaveLength(1);
    const r = await or.linearProgram(model);
    expect(r).toMatchObject({ status: 'optimal', objective: 15, values: { a: 1, b: 0, c: -4, d: 0 } });
    // A multiple that is not exact in binary (the row times 0.1) looped just the same.
    const tenth = { ...model, constraints: [model.constraints[0], { terms: { a: -0.3, b: -0.1, c: 0.1 }, op: '=' as const, rhs: -0.7 }] };
    expect(toLpText(tenth as typeof model).match(/ = /g)).toHaveLength(1);
    expect(await or.linearProgram(tenth as typeof model)).toMatchObject({ status: 'optimal', objective: 15 });
  });

  it('malformed parts of a model are INVALID_ARGUMENT naming them, never a raw TypeError', async () => {
    const base = { sense: 'max' as const, objective: { a: 1 }, constraints: [] as never[] };
    const cases: Array<[unknown, string, string]> = [
      [{ ...base, bounds: { a: 3 } }, 'INVALID_ARGUMENT', 'bounds.a'],
      [{ ...base, bounds: { a: null } }, 'INVALID_ARGUMENT', 'bounds.a'],
      [{ ...base, bounds: { a: [2, 1] } }, 'INVALID_ARGUMENT', 'bounds.a'],
      [{ ...base, bounds: { a: [Number.NaN, 1] } }, 'NOT_FINITE', 'bounds.a'],
      [{ ...base, constraints: [null] }, 'INVALID_ARGUMENT', 'constraints[0]'],
      [{ ...base, constraints: [{ terms: { a: 1 }, op: '<', rhs: 1 }] }, 'INVALID_ARGUMENT', 'constraints[0].op'],
      [{ ...base, constraints: [{ terms: { a: 1 }, op: '<=', rhs: Number.NaN }] }, 'NOT_FINITE', 'constraints[0].rhs'],
      [{ ...base, constraints: [{ terms: { a: Number.NaN }, op: '<=', rhs: 1 }] }, 'NOT_FINITE', 'constraints[0].terms.a'],
      [{ ...base, constraints: [{ terms: [1], op: '<=', rhs: 1 }] }, 'INVALID_ARGUMENT', 'constraints[0].terms'],
      [{ ...base, constraints: [{ name: 'bad name', terms: { a: 1 }, op: '<=', rhs: 1 }] }, 'INVALID_ARGUMENT', 'constraints[0].name'],
      [{ ...base, objective: { 'bad name': 1 } }, 'INVALID_ARGUMENT', 'objective.bad name'],
      [{ ...base, objective: { a: Number.POSITIVE_INFINITY } }, 'NOT_FINITE', 'objective.a'],
      [{ ...base, integers: 'a' }, 'INVALID_ARGUMENT', 'integers'],
      [{ ...base, binaries: [1] }, 'INVALID_ARGUMENT', 'binaries[0]'],
    ];
    for (const [model, code, field] of cases)
      expect(await failure(or.linearProgram(model as never)), JSON.stringify(model)).toEqual({ code, field });
  });
});

describe('budgetAllocation with a margin floor against an oracle', () => {
  for (const backend of backends) {
    it(`${backend}: no options at all cannot meet a positive floor`, async () => {
      // Native: the empty margin array reached the solver as "no margin" and the floor was ignored.
      for (const value of [[], [[], []]]) {
        expect(await failure(or.budgetAllocation(value, value, 5, { backend, margin: value, marginFloor: 1000 }))).toMatchObject({
          code: 'INFEASIBLE',
        });
        const r = await or.budgetAllocation(value, value, 5, { backend, margin: value, marginFloor: -1 });
        expect(r).toMatchObject({ value: 0, cost: 0, margin: 0, chosen: 0 });
      }
    });

    it(`${backend}: finds the plan that only the margin-first search reaches`, async () => {
      // The value-led multipliers find no plan meeting the floor; the native backend then looks for
      // the most margin the budget buys, the reference answered INFEASIBLE.
      const r = await or.budgetAllocation([[1, 0, 3]], [[6, 3, 4]], 3.74, { backend, margin: [[4, 1, 0]], marginFloor: 1 });
      expect(Array.from(r.choice)).toEqual([1]);
      expect(r).toMatchObject({ value: 0, cost: 3, margin: 1 });
      const two = await or.budgetAllocation(
        [
          [13.21, 3.2],
          [7.21, 7.81],
          [-3.76, 14.15],
        ],
        [
          [0, 7.58],
          [4.84, 6.09],
          [4.28, 4.73],
        ],
        4.52,
        {
          backend,
          margin: [
            [2, 6],
            [6, 5],
            [1, 4],
          ],
          marginFloor: 3,
        },
      );
      expect(two.cost).toBeLessThanOrEqual(4.52);
      expect(two.margin).toBeGreaterThanOrEqual(3);
      expect(two.value).toBeCloseTo(9.45, 9);
    });
  }
});

describe('budgetAllocation gap', () => {
  for (const backend of backends) {
    it(`${backend}: a bound at or below 0 does not certify a worse value as optimal`, async () => {
      // Every value negative, a floor that forces some: the heuristic answers -5 under a bound of
      // -1.25 while -2 is optimal (unit 3, option 0); the gap was 0.
      const nan = Number.NaN;
      const r = await or.budgetAllocation(
        [
          [-4, -8, -9],
          [-5, nan, -5],
          [nan, -9, nan],
          [-2, nan, -4],
          [-4, -8, -3],
        ],
        [
          [3, 2, 6],
          [2, 5, 3],
          [0, 0, 6],
          [3, 2, 0],
          [2, 0, 0],
        ],
        17.23,
        {
          backend,
          margin: [
            [3, 0, -1],
            [4, 0, -1],
            [-3, -3, 1],
            [1, -3, 2],
            [2, 3, 1],
          ],
          marginFloor: 1,
        },
      );
      const optimum = -2;
      expect(r.dualBound).toBeGreaterThanOrEqual(optimum);
      if (r.value < optimum) {
        expect(r.gap).toBeGreaterThan(0);
        expect(r.value + r.gap * Math.max(Math.abs(r.dualBound), Math.abs(r.value))).toBeGreaterThanOrEqual(optimum - 1e-9);
      }
      expect(r.gap === 0).toBe(r.value === r.dualBound);
    });
  }
});

describe('budgetAllocation INFEASIBLE with a margin floor', () => {
  for (const backend of backends) {
    it(`${backend}: names marginFloor and says whether infeasibility is proven`, async () => {
      const err = async (p: Promise<unknown>) =>
        (await p.then(
          () => undefined,
          (e: unknown) => e,
        )) as WaybillError;
      // One option of margin 1: a floor of 5 is out of reach, and the bound proves it.
      const proven = await err(or.budgetAllocation([[1]], [[1]], 1, { backend, margin: [[1]], marginFloor: 5 }));
      expect(proven.code).toBe('INFEASIBLE');
      expect(proven.details).toEqual({ field: 'marginFloor', marginBound: 1, proven: true });
      // Units 0, 3 and 4 meet the floor of 16 at cost 10.66 <= 12.2, but the greedy search misses
      // them: INFEASIBLE said "no feasible solution" without saying it was not proven.
      const missed = await err(
        or.budgetAllocation([[11.22], [0.03], [9.35], [6.82], [11.59], [15.89]], [[3.9], [4.38], [2.32], [0.85], [5.91], [6.76]], 12.2, {
          backend,
          margin: [[5], [-1], [2], [6], [5], [3]],
          marginFloor: 16,
        }),
      );
      if (missed !== undefined) {
        expect(missed.code).toBe('INFEASIBLE');
        expect(missed.details).toMatchObject({ field: 'marginFloor', proven: false });
        expect(missed.details?.marginBound as number).toBeGreaterThanOrEqual(16);
      }
    });
  }
});

describe('HiGHS runs on a worker thread', { timeout: 60_000 }, () => {
  // The LP text of the parallel-equation MIP above with both equations, as HiGHS got it before they
  // were merged: its presolve never returns, and its own time limit does not stop it.
  const hanging = [
    'Minimize',
    ' obj: + 3 x0 + 4 x1 - 3 x2 + 3 x3',
    'Subject To',
    ' r0: - 3 x0 - 1 x1 + 1 x2 = -7',
    ' r1: - 6 x0 - 2 x1 + 2 x2 = -14',
    'Bounds',
    ' 1 <= x0 <= 1',
    ' -inf <= x2 <= +inf',
    ' x3 >= 0',
    'General',
    ' x0',
    'Binary',
    ' x1',
    'End',
  ].join('\n');

  it('a solve that never returns is stopped by the watchdog (TIMEOUT) while the event loop keeps running', async () => {
    let ticks = 0;
    const tick = setInterval(() => ticks++, 50);
    const t0 = performance.now();
    try {
      await expect(solveOnThread(hanging, { time_limit: 0.5 }, 1500)).rejects.toMatchObject({
        code: 'TIMEOUT',
        details: { field: 'timeLimitMs' },
      });
    } finally {
      clearInterval(tick);
    }
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(1400);
    // On the calling thread the loop froze for the whole solve; now its timers keep firing.
    expect(ticks).toBeGreaterThan(10);
    // The next solve gets a fresh thread and works.
    expect(
      await or.linearProgram({ sense: 'max', objective: { x: 1 }, constraints: [{ terms: { x: 1 }, op: '<=', rhs: 3 }] }),
    ).toMatchObject({
      status: 'optimal',
      objective: 3,
    });
    expect(highsWatchdogMs(1000)).toBe(6500);
  });

  it('an aborted signal stops a solve (ABORTED), before or during it', async () => {
    const ac = new AbortController();
    const pending = solveOnThread(hanging, {}, undefined, ac.signal);
    setTimeout(() => ac.abort(), 300);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(
      or.linearProgram({ sense: 'max', objective: { x: 1 }, constraints: [] }, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(
      or.linearProgram({ sense: 'max', objective: { x: 1 }, constraints: [] }, { signal: 'stop' as never }),
    ).rejects.toMatchObject({
      details: { field: 'signal' },
    });
  });
  it('at most HIGHS_MAX_THREADS threads: further solves wait (abortable) and run once a thread is free', async () => {
    const small = { sense: 'max' as const, objective: { x: 1 }, constraints: [{ terms: { x: 1 }, op: '<=' as const, rhs: 3 }] };
    // Many at once all finish (they once started one thread each: 50 took 30 s).
    const many = await Promise.all(Array.from({ length: 3 * HIGHS_MAX_THREADS + 1 }, () => or.linearProgram(small)));
    expect(many.every((r) => r.status === 'optimal' && r.objective === 3)).toBe(true);
    // Every thread busy with a solve that never ends: a new one waits, and can be aborted while waiting.
    const t0 = performance.now();
    const hung = Array.from({ length: HIGHS_MAX_THREADS }, () => solveOnThread(hanging, {}, 1500).catch((e: WaybillError) => e.code));
    const ac = new AbortController();
    const queued = or.linearProgram(small, { signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    await expect(queued).rejects.toMatchObject({ code: 'ABORTED' });
    expect(performance.now() - t0).toBeLessThan(1400);
    // The next one runs when the watchdog frees a thread.
    const later = await or.linearProgram(small);
    expect(later).toMatchObject({ status: 'optimal', objective: 3 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(await Promise.all(hung)).toEqual(Array(HIGHS_MAX_THREADS).fill('TIMEOUT'));
  });
});
