import { haversine } from './haversine-matrix.js';
import type { GeoTask } from './types.js';

/**
 * TypeScript reference of `kNearest`: for each origin in [rowBegin, rowEnd), the k destinations
 * with the smallest distance, ascending, ties to the lower index; written to task.outIndex and
 * task.outDist (n x k row-major).
 */
export function kNearestRef(task: GeoTask): void {
  const { origins, dests, rowBegin, rowEnd, radius, cancel } = task;
  const k = task.k as number;
  const outIndex = task.outIndex as Int32Array;
  const outDist = task.outDist as Float64Array;
  const m = dests.length / 2;
  const euclidean = task.metric === 'euclidean';
  const dist = new Float64Array(m);
  const order = new Int32Array(m);
  for (let i = rowBegin; i < rowEnd; i++) {
    if (cancel && Atomics.load(cancel, 0) !== 0) return;
    const a = origins[2 * i] as number;
    const b = origins[2 * i + 1] as number;
    for (let j = 0; j < m; j++) {
      const c = dests[2 * j] as number;
      const d = dests[2 * j + 1] as number;
      dist[j] = euclidean ? Math.sqrt((a - c) * (a - c) + (b - d) * (b - d)) : haversine(a, b, c, d, radius);
      order[j] = j;
    }
    order.sort((p, q) => (dist[p] as number) - (dist[q] as number) || p - q);
    for (let t = 0; t < k; t++) {
      const j = order[t] as number;
      outIndex[i * k + t] = j;
      outDist[i * k + t] = dist[j] as number;
    }
  }
}
