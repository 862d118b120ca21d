import type { PointDistance } from './ground.js';

/**
 * Directed Hausdorff distance from `a` to `b` (both non-empty): the largest distance from a point
 * of `a` to its nearest point of `b`. Order of points is ignored.
 */
export function directedHausdorff(a: Float64Array, b: Float64Array, dist: PointDistance): number {
  const n = a.length / 2;
  const m = b.length / 2;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let nearest = Infinity;
    for (let j = 0; j < m && nearest > worst; j++) {
      // Once this point is already closer than the current worst it cannot raise the maximum.
      const d = dist(a, i, b, j);
      if (d < nearest) nearest = d;
    }
    if (nearest > worst) worst = nearest;
  }
  return worst;
}

/** Symmetric Hausdorff distance: max(h(a, b), h(b, a)), units of the ground distance. */
export function hausdorffDistance(a: Float64Array, b: Float64Array, dist: PointDistance): number {
  return Math.max(directedHausdorff(a, b, dist), directedHausdorff(b, a, dist));
}
