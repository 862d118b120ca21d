import type { PointDistance } from './ground.js';

/**
 * Longest common subsequence length (Vlachos, Kollios & Gunopulos, ICDE 2002): points match when
 * their ground distance is <= `eps` and their indices differ by at most `delta`.
 */
export function lcssLength(a: Float64Array, b: Float64Array, dist: PointDistance, eps: number, delta = Infinity): number {
  const n = a.length / 2;
  const m = b.length / 2;
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let i = 1; i <= n; i++) {
    cur[0] = 0;
    for (let j = 1; j <= m; j++) {
      if (Math.abs(i - j) <= delta && dist(a, i - 1, b, j - 1) <= eps) cur[j] = (prev[j - 1] as number) + 1;
      else cur[j] = Math.max(prev[j] as number, cur[j - 1] as number);
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return prev[m] as number;
}

/** LCSS distance: 1 - LCSS / min(n, m), in [0, 1] (0: the shorter trajectory matches entirely). */
export function lcssDistance(a: Float64Array, b: Float64Array, dist: PointDistance, eps: number, delta = Infinity): number {
  return 1 - lcssLength(a, b, dist, eps, delta) / Math.min(a.length / 2, b.length / 2);
}
