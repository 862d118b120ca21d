import type { LinearAssignmentTask } from './types.js';

/**
 * TypeScript reference of linearAssignment: shortest augmenting paths over reduced costs
 * (Jonker-Volgenant augmentation) from a column-reduction start, on the matrix padded to m x m
 * with zero-cost dummy rows. Forbidden pairs (+inf, or -inf when maximising) get a cost no
 * assignment of allowed pairs can reach; a result that still uses one is reported infeasible.
 * Writes task.outRowToCol and task.outTotal[0]; throws Error with code INFEASIBLE.
 */
export function linearAssignmentRef(task: LinearAssignmentTask): void {
  const { n, m, maximize } = task;
  if (n === 0) {
    task.outTotal[0] = 0;
    return;
  }
  let span = 0;
  for (let t = 0; t < n * m; t++) {
    const c = maximize ? -(task.cost[t] as number) : (task.cost[t] as number);
    if (Number.isFinite(c)) span = Math.max(span, Math.abs(c));
  }
  const big = (span + 1) * (n + 1) * 2;
  const c = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const v = maximize ? -(task.cost[i * m + j] as number) : (task.cost[i * m + j] as number);
      c[i * m + j] = Number.isFinite(v) ? v : big;
    }
  }
  const x = new Int32Array(m).fill(-1);
  const y = new Int32Array(m).fill(-1);
  const v = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let best = 0;
    for (let i = 1; i < m; i++) if ((c[i * m + j] as number) < (c[best * m + j] as number)) best = i;
    v[j] = c[best * m + j] as number;
    if ((x[best] as number) < 0) {
      x[best] = j;
      y[j] = best;
    }
  }
  const d = new Float64Array(m);
  const pred = new Int32Array(m);
  const scanned = new Uint8Array(m);
  for (let f = 0; f < m; f++) {
    if ((x[f] as number) >= 0) continue;
    if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return;
    for (let j = 0; j < m; j++) {
      d[j] = (c[f * m + j] as number) - (v[j] as number);
      pred[j] = f;
      scanned[j] = 0;
    }
    const scannedList: number[] = [];
    let finalCol = -1;
    let mind = 0;
    for (;;) {
      let jmin = -1;
      let dmin = Number.POSITIVE_INFINITY;
      for (let j = 0; j < m; j++) {
        if (!scanned[j] && (d[j] as number) < dmin) {
          dmin = d[j] as number;
          jmin = j;
        }
      }
      mind = dmin;
      if ((y[jmin] as number) < 0) {
        finalCol = jmin;
        break;
      }
      scanned[jmin] = 1;
      scannedList.push(jmin);
      const i = y[jmin] as number;
      const h = (c[i * m + jmin] as number) - (v[jmin] as number) - mind;
      for (let j = 0; j < m; j++) {
        if (scanned[j]) continue;
        const cred = (c[i * m + j] as number) - (v[j] as number) - h;
        if (cred < (d[j] as number)) {
          d[j] = cred;
          pred[j] = i;
        }
      }
    }
    for (const j of scannedList) v[j] = (v[j] as number) + (d[j] as number) - mind;
    let j = finalCol;
    for (;;) {
      const i = pred[j] as number;
      y[j] = i;
      const prev = x[i] as number;
      x[i] = j;
      if (i === f) break;
      j = prev;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const col = x[i] as number;
    const original = task.cost[i * m + col] as number;
    if (!Number.isFinite(original)) {
      throw Object.assign(new Error('infeasible: every assignment uses a forbidden (infinite) pair'), { code: 'INFEASIBLE' });
    }
    task.outRowToCol[i] = col;
    total += original;
  }
  task.outTotal[0] = total;
}
