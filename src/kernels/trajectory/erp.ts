import type { PointDistance } from './ground.js';

/**
 * Edit distance with real penalty (Chen & Ng, VLDB 2004) between non-empty trajectories: an
 * alignment where a point is either matched (cost: its ground distance to the partner) or left
 * out (cost: its ground distance to the fixed gap point `gap`). A metric when `gap` is fixed.
 * Units of the ground distance.
 */
export function erpDistance(a: Float64Array, b: Float64Array, dist: PointDistance, gap: Float64Array): number {
  const n = a.length / 2;
  const m = b.length / 2;
  const gapB = new Float64Array(m);
  for (let j = 0; j < m; j++) gapB[j] = dist(b, j, gap, 0);
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 1; j <= m; j++) prev[j] = (prev[j - 1] as number) + (gapB[j - 1] as number);
  for (let i = 1; i <= n; i++) {
    const gapA = dist(a, i - 1, gap, 0);
    cur[0] = (prev[0] as number) + gapA;
    for (let j = 1; j <= m; j++) {
      cur[j] = Math.min(
        (prev[j - 1] as number) + dist(a, i - 1, b, j - 1),
        (prev[j] as number) + gapA,
        (cur[j - 1] as number) + (gapB[j - 1] as number),
      );
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return prev[m] as number;
}
