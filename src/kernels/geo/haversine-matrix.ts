import type { GeoTask } from './types.js';

const RAD = Math.PI / 180;

/**
 * Great-circle distance in metres between two (lat, lng) points in degrees, by the haversine
 * formula. The reference every backend is tested against.
 */
export function haversine(lat1: number, lng1: number, lat2: number, lng2: number, radius: number): number {
  const sinDLat = Math.sin(((lat2 - lat1) * RAD) / 2);
  const sinDLng = Math.sin(((lng2 - lng1) * RAD) / 2);
  const a = sinDLat * sinDLat + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * sinDLng * sinDLng;
  // Rounding can push a antipodal pair a hair above 1.
  return 2 * radius * Math.asin(Math.sqrt(Math.min(1, a)));
}

/**
 * TypeScript reference of `haversineMatrix`: rows [rowBegin, rowEnd) of the n x m matrix,
 * written row-major into `task.out`. Cosines of latitudes are computed once per point.
 */
export function haversineMatrixRef(task: GeoTask): void {
  const { origins, dests, rowBegin, rowEnd, radius, cancel } = task;
  const out = task.out as Float64Array | Float32Array;
  const m = dests.length / 2;
  const cosDest = new Float64Array(m);
  for (let j = 0; j < m; j++) cosDest[j] = Math.cos((dests[2 * j] as number) * RAD);
  for (let i = rowBegin; i < rowEnd; i++) {
    if (cancel && Atomics.load(cancel, 0) !== 0) return;
    const lat1 = origins[2 * i] as number;
    const lng1 = origins[2 * i + 1] as number;
    const cos1 = Math.cos(lat1 * RAD);
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const sinDLat = Math.sin(((dests[2 * j] as number) - lat1) * RAD * 0.5);
      const sinDLng = Math.sin(((dests[2 * j + 1] as number) - lng1) * RAD * 0.5);
      const a = sinDLat * sinDLat + cos1 * (cosDest[j] as number) * sinDLng * sinDLng;
      out[row + j] = 2 * radius * Math.asin(Math.sqrt(Math.min(1, a)));
    }
  }
}
