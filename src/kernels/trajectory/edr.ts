import type { PointDistance } from './ground.js';

/**
 * Edit distance on real sequences (Chen, Özsu & Oria, SIGMOD 2005): the fewest insertions,
 * deletions and substitutions that turn `a` into `b`, where two points match (substitution costs
 * 0) when their ground distance is <= `eps`. A count between |n - m| and max(n, m); divide by
 * max(n, m) for a normalised value.
 */
export function edrDistance(a: Float64Array, b: Float64Array, dist: PointDistance, eps: number): number {
  const n = a.length / 2;
  const m = b.length / 2;
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const sub = dist(a, i - 1, b, j - 1) <= eps ? 0 : 1;
      cur[j] = Math.min((prev[j - 1] as number) + sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1);
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return prev[m] as number;
}
