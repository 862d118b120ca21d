import type { MinCostFlowTask } from './types.js';

/**
 * TypeScript reference of minCostFlow: successive shortest paths with Bellman-Ford from a super
 * source to a super sink. Exact for non-negative costs (the native backend, a network simplex,
 * also takes negative costs). Potentials are the final shortest-path distances, negated to the
 * native sign convention (reduced cost = cost + p[from] - p[to]).
 */
export function minCostFlowRef(task: MinCostFlowTask): void {
  const { n, m, supply, src, dst, capacity, cost } = task;
  for (let a = 0; a < m; a++) {
    if ((cost[a] as number) < 0)
      throw Object.assign(new Error('the TS reference of minCostFlow needs non-negative costs'), { code: 'UNSUPPORTED' });
  }
  const S = n;
  const T = n + 1;
  const N = n + 2;
  const head: number[][] = Array.from({ length: N }, () => []);
  const to: number[] = [];
  const cap: number[] = [];
  const w: number[] = [];
  const add = (u: number, v: number, c: number, cc: number) => {
    head[u]?.push(to.length);
    to.push(v);
    cap.push(c);
    w.push(cc);
    head[v]?.push(to.length);
    to.push(u);
    cap.push(0);
    w.push(-cc);
  };
  let need = 0;
  let totalSupply = 0;
  for (let i = 0; i < n; i++) totalSupply += Math.abs(supply[i] as number);
  for (let i = 0; i < n; i++) {
    const b = supply[i] as number;
    if (b > 0) {
      add(S, i, b, 0);
      need += b;
    } else if (b < 0) add(i, T, -b, 0);
  }
  const arcEdge: number[] = [];
  for (let a = 0; a < m; a++) {
    arcEdge.push(to.length);
    const c = capacity[a] as number;
    add(src[a] as number, dst[a] as number, Number.isFinite(c) ? c : totalSupply * 4 + 1, cost[a] as number);
  }
  let sent = 0;
  let total = 0;
  let paths = 0;
  let dist = new Float64Array(N);
  while (sent < need - 1e-9) {
    if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return;
    dist = new Float64Array(N).fill(Number.POSITIVE_INFINITY);
    const prevEdge = new Int32Array(N).fill(-1);
    dist[S] = 0;
    for (let it = 0; it < N; it++) {
      let changed = false;
      for (let u = 0; u < N; u++) {
        const du = dist[u] as number;
        if (!Number.isFinite(du)) continue;
        for (const e of head[u] as number[]) {
          const v = to[e] as number;
          if ((cap[e] as number) > 1e-12 && du + (w[e] as number) < (dist[v] as number) - 1e-12) {
            dist[v] = du + (w[e] as number);
            prevEdge[v] = e;
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    if (!Number.isFinite(dist[T] as number))
      throw Object.assign(new Error("infeasible: the supplies cannot be routed through the arcs' capacities"), { code: 'INFEASIBLE' });
    let push = need - sent;
    for (let v = T; v !== S; v = to[(prevEdge[v] as number) ^ 1] as number) push = Math.min(push, cap[prevEdge[v] as number] as number);
    for (let v = T; v !== S; v = to[(prevEdge[v] as number) ^ 1] as number) {
      const e = prevEdge[v] as number;
      cap[e] = (cap[e] as number) - push;
      cap[e ^ 1] = (cap[e ^ 1] as number) + push;
    }
    sent += push;
    total += push * (dist[T] as number);
    paths++;
  }
  for (let a = 0; a < m; a++) task.outFlow[a] = cap[(arcEdge[a] as number) ^ 1] as number;
  for (let i = 0; i < n; i++) task.outPotential[i] = Number.isFinite(dist[i] as number) ? -(dist[i] as number) : 0;
  task.outStats[0] = total;
  task.outStats[1] = paths;
}
