/**
 * Small tour heuristics on dense cost matrices (row-major, n x n) for the stop-sequence
 * predictors: nearest neighbour, a closed tour improved by 2-opt and Or-opt (symmetric costs),
 * an open path between two fixed virtual ends, and a path over asymmetric costs (zone orders).
 * Deterministic; sized for a route's 100–250 stops or its ~30 zones, not for large TSPs (use
 * the OR kernels' TSP there).
 */

/** Greedy nearest-neighbour order of all n nodes from `start` (ties: lowest index). */
export function nearestNeighbourOrder(cost: Float64Array, n: number, start: number): number[] {
  const used = new Uint8Array(n);
  const order = [start];
  used[start] = 1;
  let at = start;
  for (let step = 1; step < n; step++) {
    let best = -1;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      if (used[j] === 1) continue;
      const c = cost[at * n + j] as number;
      if (c < bestCost) {
        bestCost = c;
        best = j;
      }
    }
    used[best] = 1;
    order.push(best);
    at = best;
  }
  return order;
}

function closedLength(tour: number[], cost: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < tour.length; i++) s += cost[(tour[i] as number) * n + (tour[(i + 1) % tour.length] as number)] as number;
  return s;
}

/**
 * Improves a closed tour over symmetric costs in place by 2-opt (segment reversal) and Or-opt
 * (moving 1–3 consecutive nodes, either orientation) until neither finds a gain above 1e-9.
 */
export function improveClosedTour(tour: number[], cost: Float64Array, n: number): number[] {
  const m = tour.length;
  if (m < 4) return tour;
  const c = (a: number, b: number): number => cost[a * n + b] as number;
  let improved = true;
  let guard = 0;
  while (improved && guard++ < 1000) {
    improved = false;
    // 2-opt: replace edges (i, i+1) and (j, j+1) with (i, j) and (i+1, j+1).
    for (let i = 0; i < m - 2; i++) {
      for (let j = i + 2; j < m; j++) {
        if (i === 0 && j === m - 1) continue;
        const a = tour[i] as number;
        const b = tour[i + 1] as number;
        const d = tour[j] as number;
        const e = tour[(j + 1) % m] as number;
        const delta = c(a, d) + c(b, e) - c(a, b) - c(d, e);
        if (delta < -1e-9) {
          for (let lo = i + 1, hi = j; lo < hi; lo++, hi--) {
            const t = tour[lo] as number;
            tour[lo] = tour[hi] as number;
            tour[hi] = t;
          }
          improved = true;
        }
      }
    }
    // Or-opt: move the segment tour[i .. i+len-1] between two other neighbours.
    for (let len = 1; len <= 3 && m > len + 2; len++) {
      for (let i = 0; i < m; i++) {
        const seg: number[] = [];
        for (let k = 0; k < len; k++) seg.push(tour[(i + k) % m] as number);
        const prev = tour[(i - 1 + m) % m] as number;
        const next = tour[(i + len) % m] as number;
        const first = seg[0] as number;
        const last = seg[len - 1] as number;
        const removeGain = c(prev, first) + c(last, next) - c(prev, next);
        const rest = tour.filter((_, k) => (k - i + m) % m >= len);
        let bestDelta = -1e-9;
        let bestAt = -1;
        let bestReverse = false;
        for (let k = 0; k < rest.length; k++) {
          const p = rest[k] as number;
          const q = rest[(k + 1) % rest.length] as number;
          if (p === prev && q === next) continue;
          const fwd = c(p, first) + c(last, q) - c(p, q) - removeGain;
          const rev = c(p, last) + c(first, q) - c(p, q) - removeGain;
          if (fwd < bestDelta) {
            bestDelta = fwd;
            bestAt = k;
            bestReverse = false;
          }
          if (rev < bestDelta) {
            bestDelta = rev;
            bestAt = k;
            bestReverse = true;
          }
        }
        if (bestAt >= 0) {
          const insert = bestReverse ? seg.slice().reverse() : seg;
          const next2 = [...rest.slice(0, bestAt + 1), ...insert, ...rest.slice(bestAt + 1)];
          for (let k = 0; k < m; k++) tour[k] = next2[k] as number;
          improved = true;
        }
      }
    }
  }
  return tour;
}

/**
 * A short closed tour through all n nodes (nearest neighbour from `start`, then 2-opt and Or-opt),
 * rotated to begin at `start` and oriented so that the first leg is the shorter of the start's
 * two tour edges. Returns the n nodes (the return to `start` is implied).
 */
export function shortestTour(cost: Float64Array, n: number, start: number): number[] {
  const tour = improveClosedTour(nearestNeighbourOrder(cost, n, start), cost, n);
  const at = tour.indexOf(start);
  const rotated = [...tour.slice(at), ...tour.slice(0, at)];
  if (
    rotated.length > 2 &&
    (cost[start * n + (rotated[rotated.length - 1] as number)] as number) < (cost[start * n + (rotated[1] as number)] as number)
  ) {
    return [start, ...rotated.slice(1).reverse()];
  }
  return rotated;
}

/** Length of a closed tour (the return to its first node included). */
export function tourLength(tour: number[], cost: Float64Array, n: number): number {
  return closedLength(tour, cost, n);
}

/**
 * Orders `nodes` (indices into an n x n symmetric cost matrix) as an open path that minimises
 * enter(first) + path length + leave(last): the two ends are virtual nodes joined to each other
 * by a very negative edge, so a closed tour over nodes + 2 opens at that edge.
 */
export function openPath(
  nodes: readonly number[],
  cost: Float64Array,
  n: number,
  enter: (node: number) => number,
  leave: (node: number) => number,
): number[] {
  const m = nodes.length;
  if (m <= 1) return nodes.slice();
  const k = m + 2;
  const local = new Float64Array(k * k);
  const S = m;
  const E = m + 1;
  for (let i = 0; i < m; i++) {
    const a = nodes[i] as number;
    for (let j = 0; j < m; j++) local[i * k + j] = cost[a * n + (nodes[j] as number)] as number;
    local[i * k + S] = enter(a);
    local[S * k + i] = enter(a);
    local[i * k + E] = leave(a);
    local[E * k + i] = leave(a);
  }
  local[S * k + E] = -1e12;
  local[E * k + S] = -1e12;
  const tour = improveClosedTour(nearestNeighbourOrder(local, k, S), local, k);
  const s = tour.indexOf(S);
  const rotated = [...tour.slice(s), ...tour.slice(0, s)];
  // rotated = [S, ..., E] or [S, E, ...]: orient so that S is followed by the path and E closes it.
  const inner = rotated[1] === E ? rotated.slice(2).reverse() : rotated.slice(1, -1);
  return inner.map((i) => nodes[i] as number);
}

/**
 * A low-cost open path over asymmetric costs (m x m) that starts at `start` and visits every
 * node: greedy, then relocation of 1–3-node segments and segment reversals (full re-evaluation,
 * fine for m of a few dozen) until no gain.
 */
export function asymmetricPath(cost: Float64Array, m: number, start: number): number[] {
  const pathCost = (p: number[]): number => {
    let s = 0;
    for (let i = 1; i < p.length; i++) s += cost[(p[i - 1] as number) * m + (p[i] as number)] as number;
    return s;
  };
  let best = nearestNeighbourOrder(cost, m, start);
  let bestCost = pathCost(best);
  let improved = true;
  let guard = 0;
  while (improved && guard++ < 200) {
    improved = false;
    for (let len = 1; len <= 3; len++) {
      for (let i = 1; i + len <= m; i++) {
        const seg = best.slice(i, i + len);
        const rest = [...best.slice(0, i), ...best.slice(i + len)];
        for (let at = 1; at <= rest.length; at++) {
          if (at === i) continue;
          const cand = [...rest.slice(0, at), ...seg, ...rest.slice(at)];
          const cc = pathCost(cand);
          if (cc < bestCost - 1e-9) {
            best = cand;
            bestCost = cc;
            improved = true;
            break;
          }
        }
      }
    }
    for (let i = 1; i < m - 1; i++) {
      for (let j = i + 1; j < m; j++) {
        const cand = [...best.slice(0, i), ...best.slice(i, j + 1).reverse(), ...best.slice(j + 1)];
        const cc = pathCost(cand);
        if (cc < bestCost - 1e-9) {
          best = cand;
          bestCost = cc;
          improved = true;
        }
      }
    }
  }
  return best;
}
