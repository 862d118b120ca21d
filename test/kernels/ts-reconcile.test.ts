/**
 * engine.kernels.timeseries.reconcile: coherence of every method, each method against its
 * formula computed here independently (dense Gaussian elimination, not the kernel's Cholesky),
 * the Schäfer–Strimmer intensity against R hts's shrink.estim formula (computed with numpy), and
 * bad input with codes and fields.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type HierarchyNode, WaybillError } from '../../src/index.js';
import { buildHierarchy, RECONCILE_METHODS, reconcileGls, shrinkCovariance } from '../../src/kernels/timeseries/reconcile.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const ts = engine.kernels.timeseries;

// Total -> A, B; A -> AA, AB; B -> BA, BB, BC. Given leaves first, so node order is not tree order.
const NODES: HierarchyNode[] = [
  { id: 'AA', parent: 'A' },
  { id: 'AB', parent: 'A' },
  { id: 'BA', parent: 'B' },
  { id: 'BB', parent: 'B' },
  { id: 'BC', parent: 'B' },
  { id: 'A', parent: 'Total' },
  { id: 'B', parent: 'Total' },
  { id: 'Total', parent: null },
];
const n = NODES.length;
const H = 3;
// Incoherent base forecasts: n rows of H.
const BASE = [
  [10, 11, 12],
  [20, 19, 21],
  [5, 6, 4],
  [7, 7, 8],
  [3, 2, 2],
  [33, 29, 35],
  [14, 17, 15],
  [50, 52, 49],
];
// Residuals n x T (T = 6), correlated between parents and children.
const RES = Array.from({ length: n }, (_, i) =>
  Array.from({ length: 6 }, (_, t) => Math.sin(1.3 * t + 0.7 * i) + 0.4 * Math.cos(2.1 * t * (i + 1)) + (i >= 5 ? Math.sin(1.3 * t) : 0)),
);
const HIST = Array.from({ length: n }, (_, i) => Array.from({ length: 5 }, (_, t) => 10 + i + t));

function expectCoherent(mean: Float64Array, horizon: number) {
  const h = buildHierarchy(NODES);
  const children = new Map<number, number[]>();
  h.parents.forEach((p, i) => {
    if (p >= 0) children.set(p, [...(children.get(p) ?? []), i]);
  });
  for (const [p, cs] of children)
    for (let k = 0; k < horizon; k++) {
      const sum = cs.reduce((s, c) => s + (mean[c * horizon + k] as number), 0);
      const v = mean[p * horizon + k] as number;
      expect(Math.abs(v - sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
    }
}

/** Element (i, j) of an array of rows (noUncheckedIndexedAccess without non-null assertions). */
const at = (A: number[][], i: number, j: number): number => (A[i] as number[])[j] as number;

/** Solves A X = B by Gauss-Jordan elimination with partial pivoting (A: k x k, B: k x c; arrays of rows). */
function solve(A: number[][], B: number[][]): number[][] {
  const k = A.length;
  const M = A.map((row, i) => [...row, ...(B[i] as number[])]);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(at(M, r, c)) > Math.abs(at(M, p, c))) p = r;
    const pivotRow = M[p] as number[];
    M[p] = M[c] as number[];
    M[c] = pivotRow;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = at(M, r, c) / at(M, c, c);
      M[r] = (M[r] as number[]).map((v, j) => v - f * (pivotRow[j] as number));
    }
  }
  return M.map((row, i) => row.slice(k).map((v) => v / (row[i] as number)));
}
const matmul = (A: number[][], B: number[][]) =>
  A.map((r) => (B[0] as number[]).map((_, j) => r.reduce((s, v, t) => s + v * at(B, t, j), 0)));
const transpose = (A: number[][]) => (A[0] as number[]).map((_, j) => A.map((r) => r[j] as number));

/** S (S' W^-1 S)^-1 S' W^-1 ŷ computed directly, densely. */
function glsDirect(W: number[][], yhat: number[][]): number[][] {
  const h = buildHierarchy(NODES);
  const m = h.leaves.length;
  const S = Array.from({ length: n }, (_, i) => Array.from(h.S.subarray(i * m, (i + 1) * m)));
  const WinvS = solve(W, S); // n x m
  const A = matmul(transpose(S), WinvS); // m x m
  const rhs = matmul(transpose(WinvS), yhat); // m x H
  return matmul(S, solve(A, rhs));
}
const identity = (k: number) => Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)));
const rows = (a: Float64Array, c: number) => Array.from({ length: a.length / c }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c)));

function expectClose(actual: number[][], expected: number[][], tol = 1e-10) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((r, i) => {
    r.forEach((v, k) => {
      expect(Math.abs(v - at(expected, i, k)), `[${i}][${k}] ${v} vs ${at(expected, i, k)}`).toBeLessThan(tol);
    });
  });
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; field: unknown }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(WaybillError);
    const w = e as WaybillError;
    return { code: w.code, field: (w.details as { field?: unknown } | undefined)?.field };
  }
  throw new Error('expected an error');
}

describe('timeseries.reconcile', () => {
  it('builds S: leaves as columns, each node the sum of its leaves', () => {
    const h = buildHierarchy(NODES);
    expect(Array.from(h.leaves)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(h.leafCounts)).toEqual([1, 1, 1, 1, 1, 2, 3, 5]);
    expect(Array.from(h.S.subarray(5 * 5, 6 * 5))).toEqual([1, 1, 0, 0, 0]); // A
    expect(Array.from(h.S.subarray(6 * 5, 7 * 5))).toEqual([0, 0, 1, 1, 1]); // B
    expect(Array.from(h.S.subarray(7 * 5, 8 * 5))).toEqual([1, 1, 1, 1, 1]); // Total
    expect(h.root).toBe(7);
    expect(Array.from(h.depths)).toEqual([2, 2, 2, 2, 2, 1, 1, 0]);
  });

  it('every method gives coherent forecasts, reported as backend js', async () => {
    for (const method of RECONCILE_METHODS) {
      const out = await ts.reconcile(NODES, BASE, { method, history: HIST, residuals: RES });
      expect(out.method).toBe(method);
      expect(out.backend).toBe('js');
      expect(out.horizon).toBe(H);
      expect(out.mean).toHaveLength(n * H);
      expect(Array.from(out.mean).every(Number.isFinite)).toBe(true);
      expectCoherent(out.mean, H);
      // the base forecasts are incoherent, so every method changed something
      expect(rows(out.mean, H)).not.toEqual(BASE);
    }
  });

  it('bottom-up is the sums of the bottom base forecasts; flat input gives the same', async () => {
    const out = await ts.reconcile(NODES, BASE, { method: 'bottom-up' });
    const r = rows(out.mean, H);
    expect(r.slice(0, 5)).toEqual(BASE.slice(0, 5));
    expect(r[5]).toEqual([30, 30, 33]);
    expect(r[6]).toEqual([15, 15, 14]);
    expect(r[7]).toEqual([45, 45, 47]);
    const flat = await ts.reconcile(NODES, Float64Array.from(BASE.flat()), { method: 'bottom-up' });
    expect(Array.from(flat.mean)).toEqual(Array.from(out.mean));
  });

  it("OLS equals S (S'S)^-1 S' ŷ computed directly; WLS-struct equals it with W = diag(leaf counts)", async () => {
    const ols = await ts.reconcile(NODES, BASE, { method: 'ols' });
    expectClose(rows(ols.mean, H), glsDirect(identity(n), BASE));
    const wls = await ts.reconcile(NODES, BASE, { method: 'wls-struct' });
    const Wd = identity(n).map((r, i) => r.map((v) => v * ([1, 1, 1, 1, 1, 2, 3, 5][i] as number)));
    expectClose(rows(wls.mean, H), glsDirect(Wd, BASE));
    // and the two differ here, so the weights matter
    expect(Math.abs((wls.mean[7 * H] as number) - (ols.mean[7 * H] as number))).toBeGreaterThan(0.01);
  });

  it('MinT with W = identity equals OLS (full-W path and shrinkage of orthogonal residuals)', async () => {
    const ols = await ts.reconcile(NODES, BASE, { method: 'ols' });
    const h = buildHierarchy(NODES);
    const I = Float64Array.from(identity(n).flat());
    expectClose(rows(reconcileGls(h, Float64Array.from(BASE.flat()), H, { full: I }), H), rows(ols.mean, H));
    // residual rows sqrt(n) e_i: uncentred covariance exactly I, no correlation -> lambda 1, W = I
    const ortho = identity(n).map((r) => r.map((v) => v * Math.sqrt(n)));
    const mint = await ts.reconcile(NODES, BASE, { method: 'mint-shrink', residuals: ortho });
    expect(mint.lambda).toBe(1);
    expectClose(rows(mint.mean, H), rows(ols.mean, H));
  });

  it('MinT-shrink: the intensity as R hts shrink.estim computes it, and the GLS formula with that W', async () => {
    const e = [
      [1.0, -2.0, 0.5, 3.0, -1.0],
      [0.5, -1.0, 1.5, 2.0, -2.5],
      [2.0, 0.3, -1.0, 0.7, 1.1],
    ];
    const { W, lambda } = shrinkCovariance(Float64Array.from(e.flat()), 3, 5);
    // numpy transcription of hts::shrink.estim on these residuals
    expect(lambda).toBeCloseTo(0.5257960428338415, 12);
    expectClose(rows(W, 3), [
      [3.05, 1.1143792993404724, 0.18019750372314022],
      [1.1143792993404724, 2.75, -0.20390770158144816],
      [0.18019750372314022, -0.20390770158144816, 1.358],
    ]);
    const mint = await ts.reconcile(NODES, BASE, { method: 'mint-shrink', residuals: RES });
    const Wm = shrinkCovariance(Float64Array.from(RES.flat()), n, 6);
    expect(mint.lambda).toBe(Wm.lambda);
    expect(Wm.lambda).toBeGreaterThan(0);
    expect(Wm.lambda).toBeLessThan(1);
    expectClose(rows(mint.mean, H), glsDirect(rows(Wm.W, n), BASE), 1e-8);
  });

  it('top-down splits the root by the proportions of the historical averages (hand example)', async () => {
    const nodes: HierarchyNode[] = [
      { id: 'T', parent: null },
      { id: 'X', parent: 'T' },
      { id: 'Y', parent: 'T' },
    ];
    // X averages 2, Y 6 -> shares 0.25 / 0.75 (averaging the per-period shares 1/7, 1/3 would give X 0.238 instead)
    const out = await ts.reconcile(
      nodes,
      [
        [100, 40],
        [1, 1],
        [1, 1],
      ],
      {
        method: 'top-down',
        history: [
          [7, 9],
          [1, 3],
          [6, 6],
        ],
      },
    );
    expect(Array.from(out.proportions ?? [])).toEqual([0.25, 0.75]);
    expect(rows(out.mean, 2)).toEqual([
      [100, 40],
      [25, 10],
      [75, 30],
    ]);
    // A leaf averaging below 0 beside positive ones (returns over sales) got a negative share and
    // the other more than the whole; such a history is refused, naming the leaf.
    await expect(
      ts.reconcile(nodes, [[100], [1], [1]], {
        method: 'top-down',
        history: [
          [1, 1],
          [-2, -1],
          [3, 2],
        ],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'history', leaf: 'X' } });
    // Leaves all of one sign (all negative: net refunds) still give positive shares.
    const refunds = await ts.reconcile(nodes, [[-40], [1], [1]], { method: 'top-down', history: [[-8], [-2], [-6]] });
    expect(Array.from(refunds.proportions ?? [])).toEqual([0.25, 0.75]);
  });

  it('already-coherent base forecasts are left unchanged by OLS, WLS and MinT', async () => {
    const h = buildHierarchy(NODES);
    const bottom = [
      [1, 2],
      [3.5, 4],
      [10, 0.5],
      [7, 7],
      [2, 9],
    ];
    const coherent = Array.from({ length: n }, (_, i) =>
      [0, 1].map((k) => bottom.reduce((s, b, j) => s + (h.S[i * 5 + j] as number) * (b[k] as number), 0)),
    );
    for (const method of ['ols', 'wls-struct', 'mint-shrink'] as const) {
      const out = await ts.reconcile(NODES, coherent, { method, residuals: RES });
      expectClose(rows(out.mean, 2), coherent, 1e-9);
    }
  });

  it('bad input: codes and fields', async () => {
    const cases: Array<[unknown[], unknown, Record<string, unknown>, string, unknown]> = [
      [NODES, BASE.map((r, i) => (i === 3 ? r.slice(0, 2) : r)), { method: 'ols' }, 'INVALID_LENGTH', 'baseForecasts[3]'],
      [NODES, BASE.map((r, i) => (i === 2 ? [r[0], Number.NaN, r[2]] : r)), { method: 'ols' }, 'NOT_FINITE', 'baseForecasts[2][1]'],
      [NODES, BASE.slice(1), { method: 'ols' }, 'INVALID_LENGTH', 'baseForecasts'],
      [NODES, new Float64Array(n * H + 1), { method: 'ols' }, 'INVALID_LENGTH', 'baseForecasts'],
      [NODES, BASE, { method: 'mint' }, 'INVALID_ARGUMENT', 'method'],
      [NODES, BASE, { method: 'top-down' }, 'INVALID_ARGUMENT', 'history'],
      [NODES, BASE, { method: 'mint-shrink' }, 'INVALID_ARGUMENT', 'residuals'],
      [NODES, BASE, { method: 'mint-shrink', residuals: RES.map((r) => r.slice(0, 4)).slice(1) }, 'INVALID_LENGTH', 'residuals'],
      [
        NODES,
        BASE,
        { method: 'mint-shrink', residuals: RES.map((r, i) => (i === 4 ? r.map(() => 0) : r)) },
        'INVALID_ARGUMENT',
        'residuals[4]',
      ],
      [NODES, BASE, { method: 'ols', backend: 'native' }, 'KERNEL_UNSUPPORTED', 'backend'],
      // a cycle A -> B -> A beside a proper root
      [
        [
          { id: 'R', parent: null },
          { id: 'A', parent: 'B' },
          { id: 'B', parent: 'A' },
        ],
        [[1], [1], [1]],
        { method: 'ols' },
        'INVALID_ARGUMENT',
        'nodes[1].parent',
      ],
      [
        [
          { id: 'R', parent: null },
          { id: 'S', parent: null },
        ],
        [[1], [1]],
        { method: 'ols' },
        'INVALID_ARGUMENT',
        'nodes[1].parent',
      ],
      [[{ id: 'A', parent: 'A' }], [[1]], { method: 'ols' }, 'INVALID_ARGUMENT', 'nodes'],
      [
        [
          { id: 'R', parent: null },
          { id: 'A', parent: 'Q' },
        ],
        [[1], [1]],
        { method: 'ols' },
        'INVALID_ARGUMENT',
        'nodes[1].parent',
      ],
      [
        [
          { id: 'R', parent: null },
          { id: 'R', parent: 'R' },
        ],
        [[1], [1]],
        { method: 'ols' },
        'INVALID_ARGUMENT',
        'nodes[1].id',
      ],
    ];
    for (const [nodes, base, options, code, field] of cases) {
      const got = await codeOf(ts.reconcile(nodes as HierarchyNode[], base as number[][], options as never));
      expect(got, `${code} ${String(field)}`).toEqual({ code, field });
    }
  });

  it('a singular W is refused with a clear error, not solved into noise', () => {
    const h = buildHierarchy(NODES);
    const W = new Float64Array(n * n).fill(1); // rank 1
    expect(() => reconcileGls(h, Float64Array.from(BASE.flat()), H, { full: W })).toThrow(/singular or too ill-conditioned/);
    // positive definite but with condition number ~1e13: refused too
    for (let i = 0; i < n; i++) W[i * n + i] = 1 + 1e-13;
    expect(() => reconcileGls(h, Float64Array.from(BASE.flat()), H, { full: W })).toThrow(/singular or too ill-conditioned/);
    // condition number ~1e6 is solved
    for (let i = 0; i < n; i++) W[i * n + i] = 1 + 1e-5;
    expect(reconcileGls(h, Float64Array.from(BASE.flat()), H, { full: W }).every(Number.isFinite)).toBe(true);
  });
});

describe('reconcile: extreme magnitudes and sparse input (adversarial review)', () => {
  const TREE: HierarchyNode[] = [
    { id: 'T', parent: null },
    { id: 'a', parent: 'T' },
    { id: 'b', parent: 'T' },
  ];
  const RES = [
    [1, 2, 3],
    [1, -1, 2],
    [0.5, 1, 3],
  ];

  it('MinT gives the same answer for residuals scaled by 1e-170 or 1e170 (they were refused as all zero / singular)', async () => {
    const ref = await ts.reconcile(TREE, [[10], [4], [5]], { method: 'mint-shrink', residuals: RES });
    for (const c of [1e-170, 1e170]) {
      const r = await ts.reconcile(TREE, [[10], [4], [5]], { method: 'mint-shrink', residuals: RES.map((row) => row.map((v) => v * c)) });
      expect(r.lambda).toBeCloseTo(ref.lambda as number, 12);
      for (let i = 0; i < 3; i++) expect(r.mean[i]).toBeCloseTo(ref.mean[i] as number, 10);
    }
  });

  it('top-down proportions of a history near the float64 limit or of subnormals (they were NaN / rounded to [1, 0])', async () => {
    const big = await ts.reconcile(TREE, [[10], [4], [5]], {
      method: 'top-down',
      history: [
        [1, 2],
        [1e308, 1e308],
        [1e308, 1e308],
      ],
    });
    expect(Array.from(big.proportions as Float64Array)).toEqual([0.5, 0.5]);
    const tiny = await ts.reconcile(TREE, [[10], [4], [5]], {
      method: 'top-down',
      history: [
        [1, 2],
        [5e-324, 5e-324],
        [5e-324, 0],
      ],
    });
    expect(tiny.proportions?.[0]).toBeCloseTo(2 / 3, 12);
    expect(tiny.proportions?.[1]).toBeCloseTo(1 / 3, 12);
  });

  it('a history total that cancels to ~0 is refused (it gave proportions of +-6.8e15)', async () => {
    await expect(
      ts.reconcile(TREE, [[10], [4], [5]], {
        method: 'top-down',
        history: [
          [1, 2],
          [3, 3],
          [-3, -3 + 1e-15],
        ],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'history' } });
  });

  it('OLS of forecasts near the float64 limit is finite and coherent (it was NaN); a true overflow is NOT_FINITE', async () => {
    const r = await ts.reconcile(TREE, [[1.6e308], [0.8e308], [0.8e308]], { method: 'ols' });
    expect(r.mean[0]).toBeCloseTo(1.6e308, -300);
    expect(Number.isFinite(r.mean[0])).toBe(true);
    for (const method of ['bottom-up', 'ols', 'wls-struct'] as const)
      await expect(ts.reconcile(TREE, [[1.5e308], [1.5e308], [1.5e308]], { method })).rejects.toMatchObject({
        code: 'NOT_FINITE',
        details: { field: 'baseForecasts' },
      });
  });

  it('a hole in a sparse nodes array is refused (it became a child of nodes[0] with id undefined)', async () => {
    const sparse = [{ id: 'T', parent: null }, undefined, { id: 'b', parent: 'T' }];
    delete sparse[1];
    await expect(ts.reconcile(sparse as unknown as HierarchyNode[], [[1], [2], [3]], { method: 'bottom-up' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'nodes[1]' },
    });
  });
});

describe('reconcile: size limit', () => {
  it('more than MAX_HIERARCHY_NODES (1000) nodes is TOO_LARGE (4000 were accepted: minutes of synchronous MinT)', async () => {
    const nodes: HierarchyNode[] = [{ id: 'r', parent: null }];
    for (let i = 0; i < 1000; i++) nodes.push({ id: `l${i}`, parent: 'r' });
    await expect(ts.reconcile(nodes, new Float64Array(nodes.length), { method: 'bottom-up' })).rejects.toMatchObject({
      code: 'TOO_LARGE',
      details: { field: 'nodes' },
    });
    const r = await ts.reconcile(nodes.slice(0, 1000), new Float64Array(1000), { method: 'ols' });
    expect(r.mean.length).toBe(1000);
  });
});
