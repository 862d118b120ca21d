import type { PointDistance } from './ground.js';

/**
 * Discrete Fréchet distance (Eiter & Mannila 1994) between non-empty trajectories `a` and `b`:
 * over all monotone couplings from (0, 0) to (n - 1, m - 1), the smallest possible largest ground
 * distance between coupled points. Units of the ground distance. Two rows of m + 1 cells.
 *
 * `abandonAbove`: returns Infinity as soon as a whole row exceeds it (the result then does too).
 */
export function frechetDistance(a: Float64Array, b: Float64Array, dist: PointDistance, abandonAbove = Infinity): number {
  const n = a.length / 2;
  const m = b.length / 2;
  let prev = new Float64Array(m + 1).fill(Infinity);
  let cur = new Float64Array(m + 1).fill(Infinity);
  prev[0] = 0;
  for (let i = 1; i <= n; i++) {
    cur[0] = Infinity;
    let rowMin = Infinity;
    for (let j = 1; j <= m; j++) {
      const best = Math.min(prev[j - 1] as number, prev[j] as number, cur[j - 1] as number);
      const v = Math.max(dist(a, i - 1, b, j - 1), best);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > abandonAbove) return Infinity;
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return prev[m] as number;
}
