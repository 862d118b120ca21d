/**
 * Forecast reconciliation for hierarchies (TS reference; there is no C++ kernel yet: the work is
 * a few dense m x m or n x n solves, milliseconds for the hierarchies of a few hundred nodes it
 * is meant for). A hierarchy is a tree of nodes with parent links; its leaves are the bottom
 * series and every node's series is the sum of the leaves under it, so all series are S b for
 * the bottom series b and the summing matrix S (n x m). Base forecasts made node by node do not
 * add up; reconciliation maps them to coherent ones, S G ŷ:
 *
 * - 'bottom-up': G picks the bottom forecasts.
 * - 'top-down': the root forecast split by the proportions of the historical averages
 *   (Gross & Sohl 1990, their method F): p_j = mean(y_j) / sum_k mean(y_k) over the leaves.
 * - 'ols', 'wls-struct', 'mint-shrink': G = (S' W^-1 S)^-1 S' W^-1 (Wickramasuriya,
 *   Athanasopoulos & Hyndman 2019) with W = I, W = diag(leaves under each node) (structural
 *   scaling), or W = the covariance of the in-sample one-step residuals with its correlations
 *   shrunk towards zero by the Schäfer & Strimmer (2005) intensity (a shrunk-to-diagonal covariance).
 *
 * The systems are solved by Cholesky factorisation of an m x m (and, for MinT, an n x n) SPD
 * matrix; one that is singular or has a condition number beyond 1e10 is refused
 * (choleskyOrThrow) rather than solved into amplified rounding noise.
 */
import { WaybillError } from '../../errors.js';
import { choleskyInPlace, choleskySolveInPlace } from '../linalg.js';

export type ReconcileMethod = 'bottom-up' | 'top-down' | 'ols' | 'wls-struct' | 'mint-shrink';
export const RECONCILE_METHODS: readonly ReconcileMethod[] = ['bottom-up', 'top-down', 'ols', 'wls-struct', 'mint-shrink'];

/** A node of a hierarchy: its id and its parent's id (null for the root). */
export interface HierarchyNode {
  id: string;
  parent: string | null;
}

/** A checked hierarchy: node order as given. */
export interface Hierarchy {
  ids: string[];
  /** Per node: the index of its parent, -1 for the root. */
  parents: Int32Array;
  root: number;
  /** Node indices of the leaves (bottom series), in node order; column j of S is leaves[j]. */
  leaves: Int32Array;
  /** Per node: the number of leaves under it (1 for a leaf). */
  leafCounts: Int32Array;
  /** Summing matrix, n x m, row-major: S[i * m + j] = 1 when leaf j is under (or is) node i. */
  S: Float64Array;
  /** Per node: its depth (0 for the root). */
  depths: Int32Array;
}

/**
 * Largest hierarchy reconciled by the dense reference (S is n x m; MinT factorises an n x n
 * matrix and solves it for m columns, O(n^2 m)). The work runs synchronously on the caller's
 * thread: a root over 999 leaves takes ~2.7 s with MinT (~0.35 s OLS) on one core; at the former
 * limit of 4000 a root over 1999 leaves already took ~31 s, and 3999 leaves would take about 4
 * minutes by the cubic growth.
 */
export const MAX_HIERARCHY_NODES = 1000;

/**
 * Checks a hierarchy (one root, every parent known, no cycle, no duplicate id) and builds its
 * summing matrix. Errors name `nodes[i].id` or `nodes[i].parent`.
 */
export function buildHierarchy(nodes: ReadonlyArray<HierarchyNode>): Hierarchy {
  if (!Array.isArray(nodes) || nodes.length === 0)
    throw new WaybillError('INVALID_ARGUMENT', 'nodes must be a non-empty array of { id, parent }', { field: 'nodes' });
  const n = nodes.length;
  if (n > MAX_HIERARCHY_NODES)
    throw new WaybillError('TOO_LARGE', `${n} nodes: the dense reconciliation takes at most ${MAX_HIERARCHY_NODES}`, { field: 'nodes' });
  const index = new Map<string, number>();
  // An index loop, not forEach: forEach skips the holes of a sparse array, which were then taken
  // for children of nodes[0] with an undefined id.
  for (let i = 0; i < n; i++) {
    const node = nodes[i] as unknown as HierarchyNode;
    if (typeof node !== 'object' || node === null)
      throw new WaybillError('INVALID_ARGUMENT', `nodes[${i}] must be an object { id, parent }`, { field: `nodes[${i}]` });
    if (typeof node.id !== 'string' || node.id === '')
      throw new WaybillError('INVALID_ARGUMENT', `nodes[${i}].id must be a non-empty string`, { field: `nodes[${i}].id` });
    const seen = index.get(node.id);
    if (seen !== undefined)
      throw new WaybillError('INVALID_ARGUMENT', `nodes[${i}].id ${JSON.stringify(node.id)} duplicates nodes[${seen}].id`, {
        field: `nodes[${i}].id`,
      });
    index.set(node.id, i);
  }
  const parents = new Int32Array(n);
  let root = -1;
  nodes.forEach((node, i) => {
    const p = node.parent;
    if (p === null || p === undefined) {
      if (root >= 0)
        throw new WaybillError('INVALID_ARGUMENT', `two roots: nodes[${root}] and nodes[${i}] have no parent`, {
          field: `nodes[${i}].parent`,
        });
      root = i;
      parents[i] = -1;
      return;
    }
    const pi = typeof p === 'string' ? index.get(p) : undefined;
    if (pi === undefined)
      throw new WaybillError('INVALID_ARGUMENT', `nodes[${i}].parent ${JSON.stringify(p)} is not the id of a node`, {
        field: `nodes[${i}].parent`,
      });
    parents[i] = pi;
  });
  if (root < 0)
    throw new WaybillError('INVALID_ARGUMENT', 'no root: every node has a parent, so the parent links form a cycle', { field: 'nodes' });
  // Depth by walking up; a walk longer than n nodes is a cycle (unreachable from the root).
  const depths = new Int32Array(n).fill(-1);
  depths[root] = 0;
  const path: number[] = [];
  for (let i = 0; i < n; i++) {
    path.length = 0;
    let v = i;
    while ((depths[v] as number) < 0) {
      path.push(v);
      if (path.length > n)
        throw new WaybillError('INVALID_ARGUMENT', `nodes[${i}] is on a cycle of parent links (it never reaches the root)`, {
          field: `nodes[${i}].parent`,
        });
      v = parents[v] as number;
    }
    let d = depths[v] as number;
    for (let k = path.length - 1; k >= 0; k--) depths[path[k] as number] = ++d;
  }
  const hasChild = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (i !== root) hasChild[parents[i] as number] = 1;
  const leafList: number[] = [];
  for (let i = 0; i < n; i++) if (!hasChild[i]) leafList.push(i);
  const m = leafList.length;
  const S = new Float64Array(n * m);
  const leafCounts = new Int32Array(n);
  leafList.forEach((leaf, j) => {
    for (let v = leaf; v >= 0; v = parents[v] as number) {
      S[v * m + j] = 1;
      leafCounts[v] = (leafCounts[v] as number) + 1;
    }
  });
  return { ids: nodes.map((x) => x.id), parents, root, leaves: Int32Array.from(leafList), leafCounts, S, depths };
}

/**
 * Rows of numbers (n x cols) from an array of arrays or a flat row-major array of n x cols;
 * checked: n rows, equal lengths (`cols` when given), finite values. Errors name `field[i][k]`.
 */
export function readMatrix(input: unknown, rows: number, field: string, cols?: number): { values: Float64Array; cols: number } {
  let values: Float64Array;
  let c: number;
  if (ArrayBuffer.isView(input) || (Array.isArray(input) && input.length > 0 && !Array.isArray(input[0]))) {
    const flat = input as ArrayLike<unknown>;
    if (flat.length % rows !== 0 || flat.length === 0)
      throw new WaybillError('INVALID_LENGTH', `${field} has ${flat.length} values, not a multiple of ${rows} rows (n x h, row-major)`, {
        field,
      });
    c = flat.length / rows;
    values = new Float64Array(flat.length);
    for (let k = 0; k < flat.length; k++) {
      const v = flat[k];
      if (typeof v !== 'number') throw new WaybillError('INVALID_ARGUMENT', `${field}[${k}] is not a number`, { field: `${field}[${k}]` });
      values[k] = v;
    }
  } else if (Array.isArray(input)) {
    if (input.length !== rows) throw new WaybillError('INVALID_LENGTH', `${field} has ${input.length} rows for ${rows} nodes`, { field });
    const first = input[0] as unknown;
    c = Array.isArray(first) ? first.length : 0;
    if (c === 0) throw new WaybillError('INVALID_LENGTH', `${field}[0] must be a non-empty array`, { field: `${field}[0]` });
    values = new Float64Array(rows * c);
    input.forEach((row: unknown, i) => {
      if (!Array.isArray(row)) throw new WaybillError('INVALID_ARGUMENT', `${field}[${i}] must be an array`, { field: `${field}[${i}]` });
      if (row.length !== c)
        throw new WaybillError('INVALID_LENGTH', `${field}[${i}] has ${row.length} values, ${field}[0] has ${c} (ragged)`, {
          field: `${field}[${i}]`,
        });
      row.forEach((v: unknown, k) => {
        if (typeof v !== 'number')
          throw new WaybillError('INVALID_ARGUMENT', `${field}[${i}][${k}] is not a number`, { field: `${field}[${i}][${k}]` });
        values[i * c + k] = v;
      });
    });
  } else {
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be an array of ${rows} rows or a flat row-major array`, { field });
  }
  if (cols !== undefined && c !== cols) throw new WaybillError('INVALID_LENGTH', `${field} has ${c} columns, expected ${cols}`, { field });
  for (let k = 0; k < values.length; k++)
    if (!Number.isFinite(values[k])) {
      const i = Math.floor(k / c);
      throw new WaybillError('NOT_FINITE', `${field}[${i}][${k % c}] is ${values[k]}`, { field: `${field}[${i}][${k % c}]` });
    }
  return { values, cols: c };
}

/**
 * In-place Cholesky factorisation A = L L' of a symmetric positive definite k x k matrix
 * (row-major; the lower triangle is overwritten by L). Refused (INVALID_ARGUMENT naming `field`)
 * when a pivot d_j is not above 1e-10 of the largest diagonal entry: as d_j >= the smallest
 * eigenvalue and the largest diagonal <= the largest one, the condition number is then beyond
 * 1e10 (or the matrix is singular or indefinite).
 */
export function choleskyOrThrow(A: Float64Array, k: number, what: string, field: string): void {
  let maxDiag = 0;
  for (let i = 0; i < k; i++) maxDiag = Math.max(maxDiag, A[i * k + i] as number);
  const failed = choleskyInPlace(A, k, maxDiag * 1e-10);
  if (failed)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `${what} is singular or too ill-conditioned to solve (pivot ${failed.pivot} is ${failed.value})`,
      { field },
    );
}

/**
 * The Schäfer–Strimmer shrinkage of the (uncentred) covariance of in-sample one-step residuals
 * (n x T, row-major, node order) towards its diagonal: W = D^1/2 R* D^1/2 with the off-diagonal
 * correlations scaled by 1 - lambda, lambda = sum_{i != j} Var(r_ij) / sum_{i != j} r_ij^2
 * clamped to [0, 1] (lambda = 1 when every correlation is zero already). Uncentred, as the
 * residuals of a forecaster are taken to have mean zero (as R's hts does).
 */
export function shrinkCovariance(residuals: Float64Array, n: number, T: number): { W: Float64Array; lambda: number } {
  const W = new Float64Array(n * n);
  const sd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Sum of squares of e / max|e|: squaring e itself underflowed to 0 below ~1e-154 (refused as
    // all zero) and overflowed to Infinity above ~1e154.
    let mx = 0;
    for (let t = 0; t < T; t++) mx = Math.max(mx, Math.abs(residuals[i * T + t] as number));
    if (!(mx > 0))
      throw new WaybillError('INVALID_ARGUMENT', `residuals[${i}] are all zero: its variance is 0 and W is singular`, {
        field: `residuals[${i}]`,
      });
    let s = 0;
    for (let t = 0; t < T; t++) s += ((residuals[i * T + t] as number) / mx) ** 2;
    sd[i] = mx * Math.sqrt(s / T);
  }
  // Standardised residuals z = e / sd; r_ij = mean_t z_i z_j; Var(r_ij) = sum_t (z_i z_j - r_ij)^2 / (T (T - 1)).
  const z = new Float64Array(n * T);
  for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) z[i * T + t] = (residuals[i * T + t] as number) / (sd[i] as number);
  let sumVar = 0;
  let sumR2 = 0;
  const R = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let r = 0;
      for (let t = 0; t < T; t++) r += (z[i * T + t] as number) * (z[j * T + t] as number);
      r /= T;
      let v = 0;
      for (let t = 0; t < T; t++) v += ((z[i * T + t] as number) * (z[j * T + t] as number) - r) ** 2;
      sumVar += v / (T * Math.max(1, T - 1));
      sumR2 += r * r;
      R[i * n + j] = r;
    }
  const lambda = sumR2 > 0 ? Math.min(1, Math.max(0, sumVar / sumR2)) : 1;
  for (let i = 0; i < n; i++) {
    W[i * n + i] = (sd[i] as number) ** 2;
    for (let j = i + 1; j < n; j++) {
      const c = (1 - lambda) * (R[i * n + j] as number) * (sd[i] as number) * (sd[j] as number);
      W[i * n + j] = c;
      W[j * n + i] = c;
    }
  }
  return { W, lambda };
}

/**
 * Coherent forecasts S G ŷ with G = (S' W^-1 S)^-1 S' W^-1 for a given error covariance W
 * (n x n, row-major, SPD) or a diagonal one (n weights). yhat: n x h row-major; returns n x h.
 */
export function reconcileGls(
  h: Hierarchy,
  yhat: Float64Array,
  horizon: number,
  W: { full: Float64Array } | { diag: Float64Array },
): Float64Array {
  const n = h.ids.length;
  const m = h.leaves.length;
  const S = h.S;
  // X = W^-1 S (n x m).
  const X = new Float64Array(n * m);
  let Lw: Float64Array | undefined;
  if ('diag' in W) {
    for (let i = 0; i < n; i++) {
      const w = W.diag[i] as number;
      if (!(w > 0) || !Number.isFinite(w))
        throw new WaybillError('INVALID_ARGUMENT', `weight ${i} is ${w}: weights must be finite and > 0`, { field: 'weights' });
      for (let j = 0; j < m; j++) X[i * m + j] = (S[i * m + j] as number) / w;
    }
  } else {
    Lw = Float64Array.from(W.full);
    choleskyOrThrow(Lw, n, 'the error covariance W (n x n)', 'residuals');
    const col = new Float64Array(n);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) col[i] = S[i * m + j] as number;
      choleskySolveInPlace(Lw, n, col);
      for (let i = 0; i < n; i++) X[i * m + j] = col[i] as number;
    }
  }
  // A = S' X (m x m, SPD as S has full column rank and W is SPD).
  const A = new Float64Array(m * m);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < m; a++) {
      const s = S[i * m + a] as number;
      if (s === 0) continue;
      for (let b = 0; b < m; b++) A[a * m + b] = (A[a * m + b] as number) + (X[i * m + b] as number);
    }
  choleskyOrThrow(A, m, "S' W^-1 S (m x m)", 'hierarchy');
  const out = new Float64Array(n * horizon);
  const rhs = new Float64Array(m);
  for (let k = 0; k < horizon; k++) {
    // G is linear: solve for ŷ / max|ŷ| and scale back, so that sums of forecasts near the top
    // of the float64 range do not overflow to Infinity (and NaN) on the way.
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(yhat[i * horizon + k] as number));
    if (scale === 0) scale = 1;
    rhs.fill(0);
    for (let i = 0; i < n; i++) {
      const y = (yhat[i * horizon + k] as number) / scale;
      for (let j = 0; j < m; j++) rhs[j] = (rhs[j] as number) + (X[i * m + j] as number) * y;
    }
    choleskySolveInPlace(A, m, rhs);
    for (let j = 0; j < m; j++) rhs[j] = (rhs[j] as number) * scale;
    writeCoherent(h, rhs, out, horizon, k);
  }
  return out;
}

/** ỹ[:, k] = S b: every node the sum of its leaves' values (exactly coherent up to rounding of the sums). */
function writeCoherent(h: Hierarchy, b: Float64Array, out: Float64Array, horizon: number, k: number): void {
  const n = h.ids.length;
  const m = h.leaves.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) if (h.S[i * m + j] !== 0) s += b[j] as number;
    out[i * horizon + k] = s;
  }
}

export interface ReconcileOptions {
  method: ReconcileMethod;
  /**
   * 'top-down': the history of every node (n x T, node order; the leaves' rows are used) for the
   * proportions of the historical averages.
   */
  history?: ReadonlyArray<ReadonlyArray<number>> | Float64Array | readonly number[];
  /** 'mint-shrink': in-sample one-step forecast errors (actual - fitted) of every node (n x T, node order), T >= 2. */
  residuals?: ReadonlyArray<ReadonlyArray<number>> | Float64Array | readonly number[];
}

export interface ReconcileOutput {
  ids: string[];
  /** Coherent forecasts, n x horizon, row-major, node order. */
  mean: Float64Array;
  horizon: number;
  method: ReconcileMethod;
  /** 'mint-shrink': the shrinkage intensity used (0 = sample covariance, 1 = its diagonal). */
  lambda?: number;
  /** 'top-down': each leaf's share of the root (m values, in the order of `leaves`). */
  proportions?: Float64Array;
  /** Ids of the bottom series (columns of S). */
  leaves: string[];
}

/**
 * Reconciles base forecasts (n x h, row-major or n arrays of h, node order) over a hierarchy
 * (nodes with parent links) by `options.method`; returns coherent forecasts in the same layout.
 */
export function reconcileForecasts(
  nodes: ReadonlyArray<HierarchyNode>,
  baseForecasts: unknown,
  options: ReconcileOptions,
): ReconcileOutput {
  const out = reconcileUnchecked(nodes, baseForecasts, options);
  // Finite inputs can still sum past the float64 range (two leaves of 1e308): an error, not Infinity or NaN.
  for (let k = 0; k < out.mean.length; k++)
    if (!Number.isFinite(out.mean[k])) {
      const i = Math.floor(k / out.horizon);
      throw new WaybillError('NOT_FINITE', `the coherent forecast of node ${i} overflows float64 (${out.mean[k]}): rescale baseForecasts`, {
        field: 'baseForecasts',
      });
    }
  return out;
}

function reconcileUnchecked(nodes: ReadonlyArray<HierarchyNode>, baseForecasts: unknown, options: ReconcileOptions): ReconcileOutput {
  const method: unknown = options.method;
  if (!RECONCILE_METHODS.includes(method as ReconcileMethod))
    throw new WaybillError('INVALID_ARGUMENT', `method must be one of ${RECONCILE_METHODS.join(', ')}, got ${String(method)}`, {
      field: 'method',
    });
  const h = buildHierarchy(nodes);
  const n = h.ids.length;
  const m = h.leaves.length;
  const { values: yhat, cols: horizon } = readMatrix(baseForecasts, n, 'baseForecasts');
  const leaves = Array.from(h.leaves, (i) => h.ids[i] as string);
  const base = { ids: h.ids, horizon, leaves };
  switch (method as ReconcileMethod) {
    case 'bottom-up': {
      const out = new Float64Array(n * horizon);
      const b = new Float64Array(m);
      for (let k = 0; k < horizon; k++) {
        h.leaves.forEach((leaf, j) => {
          b[j] = yhat[leaf * horizon + k] as number;
        });
        writeCoherent(h, b, out, horizon, k);
      }
      return { ...base, mean: out, method: 'bottom-up' };
    }
    case 'top-down': {
      if (options.history === undefined)
        throw new WaybillError('INVALID_ARGUMENT', "method 'top-down' needs history (n x T, node order)", { field: 'history' });
      const { values: hist, cols: T } = readMatrix(options.history, n, 'history');
      const proportions = new Float64Array(m);
      // Averages of history / max|history| (the proportions do not change): sums of values near
      // the top of the float64 range overflowed to Infinity and the proportions to NaN.
      let mx = 0;
      h.leaves.forEach((leaf) => {
        for (let t = 0; t < T; t++) mx = Math.max(mx, Math.abs(hist[leaf * T + t] as number));
      });
      let total = 0;
      let totalAbs = 0;
      h.leaves.forEach((leaf, j) => {
        let s = 0;
        for (let t = 0; t < T; t++) s += (hist[leaf * T + t] as number) / mx;
        proportions[j] = s / T;
        total += s / T;
        totalAbs += Math.abs(s / T);
      });
      // A total that cancels to (nearly) 0 turns rounding into huge proportions of either sign.
      if (!(Math.abs(total) > totalAbs * 1e-10))
        throw new WaybillError('INVALID_ARGUMENT', 'the bottom series of history average to 0 in total: no proportions', {
          field: 'history',
        });
      for (let j = 0; j < m; j++) proportions[j] = (proportions[j] as number) / total;
      // Shares of a total need leaves of one sign: a leaf averaging below 0 beside positive ones
      // (returns exceeding sales) got a negative proportion, and the others more than the whole.
      const negative = proportions.findIndex((p) => p < 0);
      if (negative >= 0) {
        const leaf = h.ids[h.leaves[negative] as number] as string;
        throw new WaybillError(
          'INVALID_ARGUMENT',
          `leaf '${leaf}' averages to the other sign from the total in history: top-down shares need leaves of one sign (use another method)`,
          { field: 'history', leaf },
        );
      }
      const out = new Float64Array(n * horizon);
      const b = new Float64Array(m);
      for (let k = 0; k < horizon; k++) {
        const top = yhat[h.root * horizon + k] as number;
        for (let j = 0; j < m; j++) b[j] = (proportions[j] as number) * top;
        writeCoherent(h, b, out, horizon, k);
      }
      return { ...base, mean: out, method: 'top-down', proportions };
    }
    case 'ols':
      return { ...base, mean: reconcileGls(h, yhat, horizon, { diag: new Float64Array(n).fill(1) }), method: 'ols' };
    case 'wls-struct':
      return { ...base, mean: reconcileGls(h, yhat, horizon, { diag: Float64Array.from(h.leafCounts) }), method: 'wls-struct' };
    case 'mint-shrink': {
      if (options.residuals === undefined)
        throw new WaybillError('INVALID_ARGUMENT', "method 'mint-shrink' needs residuals (n x T in-sample one-step errors, node order)", {
          field: 'residuals',
        });
      const { values: res, cols: T } = readMatrix(options.residuals, n, 'residuals');
      if (T < 2)
        throw new WaybillError('INVALID_LENGTH', `residuals need at least 2 time points per node, got ${T}`, { field: 'residuals' });
      // W / c^2 for c = max|residual| gives the same G and lambda; W itself overflowed to Infinity
      // (refused as singular) for residuals above ~1e154.
      let c = 0;
      for (let k = 0; k < res.length; k++) c = Math.max(c, Math.abs(res[k] as number));
      if (c > 0) for (let k = 0; k < res.length; k++) res[k] = (res[k] as number) / c;
      const { W, lambda } = shrinkCovariance(res, n, T);
      return { ...base, mean: reconcileGls(h, yhat, horizon, { full: W }), method: 'mint-shrink', lambda };
    }
  }
  throw new WaybillError('INTERNAL', 'unreachable');
}
