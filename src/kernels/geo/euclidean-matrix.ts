import type { GeoTask } from './types.js';

/** TypeScript reference of `euclideanMatrix`: rows [rowBegin, rowEnd) of sqrt(dx^2 + dy^2). */
export function euclideanMatrixRef(task: GeoTask): void {
  const { origins, dests, rowBegin, rowEnd, cancel } = task;
  const out = task.out as Float64Array | Float32Array;
  const m = dests.length / 2;
  for (let i = rowBegin; i < rowEnd; i++) {
    if (cancel && Atomics.load(cancel, 0) !== 0) return;
    const x = origins[2 * i] as number;
    const y = origins[2 * i + 1] as number;
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const dx = x - (dests[2 * j] as number);
      const dy = y - (dests[2 * j + 1] as number);
      out[row + j] = Math.sqrt(dx * dx + dy * dy);
    }
  }
}
