import type { PointDistance } from './ground.js';

/**
 * Dynamic time warping between trajectories `a` (n points) and `b` (m points), interleaved
 * coordinates, both non-empty: the smallest sum of ground distances along a monotone warping path
 * from (0, 0) to (n - 1, m - 1). Units are those of the ground distance (metres for haversine).
 *
 * `band` is the Sakoe–Chiba half-width: only cells with |i - j| <= max(band, |n - m|) are used
 * (widened so that a path always exists). Omitted or >= max(n, m): full DTW.
 *
 * `abandonAbove`: early abandoning for top-k search. When every cell of a row exceeds it, the
 * result is known to exceed it too and Infinity is returned at once. Exact otherwise.
 *
 * Two rows of m + 1 cells; O(n x band) distance evaluations.
 */
export function dtwDistance(a: Float64Array, b: Float64Array, dist: PointDistance, band?: number, abandonAbove = Infinity): number {
  const n = a.length / 2;
  const m = b.length / 2;
  const w = band === undefined ? Math.max(n, m) : Math.max(band, Math.abs(n - m));
  let prev = new Float64Array(m + 1).fill(Infinity);
  let cur = new Float64Array(m + 1).fill(Infinity);
  // Virtual cell (-1, -1) = 0 starts the path; distances are >= 0 so it never wins elsewhere.
  prev[0] = 0;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - w);
    const hi = Math.min(m, i + w);
    // Cells just outside this row's window are read by this row and the next: keep them infinite.
    cur[lo - 1] = Infinity;
    if (hi < m) cur[hi + 1] = Infinity;
    let rowMin = Infinity;
    for (let j = lo; j <= hi; j++) {
      const best = Math.min(prev[j - 1] as number, prev[j] as number, cur[j - 1] as number);
      const v = dist(a, i - 1, b, j - 1) + best;
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
