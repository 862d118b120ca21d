/**
 * The GeoLife segments every trajectory benchmark uses (bench/trajectory*.bench.ts): the sample in <dataDir>/traj/geolife_sample (users 001 and
 * 005) cut into trips at time gaps over 300 s, the trips into consecutive windows of 100 fixes (a
 * trip's last window is kept when it has >= 50 fixes), so every segment has ~100 points.
 */
import { loadGeolifeSample } from '../src/data/geolife.js';
import { BatchBuilder, selectTrajectories } from '../src/kernels/trajectory/batch.js';
import { checkTimeOrder, segmentTrips } from '../src/kernels/trajectory/clean.js';
import type { TrajectoryBatch } from '../src/kernels/trajectory/types.js';

/**
 * Segments of ~100 fixes cut from GeoLife trips (300 s gaps), and the trips whose timestamps
 * increase strictly (what TD-TR and stay points need). Coordinates are (lat, lng) degrees.
 */
export function geolifeSegments(): { windows: TrajectoryBatch; trips: TrajectoryBatch } {
  const trips = segmentTrips(loadGeolifeSample(), { maxGap: 300, minPoints: 2 }).batch;
  const b = new BatchBuilder();
  for (let t = 0; t < trips.offsets.length - 1; t++) {
    const begin = trips.offsets[t] as number;
    const end = trips.offsets[t + 1] as number;
    for (let w = begin; w < end; w += 100) {
      const stop = Math.min(end, w + 100);
      if (stop - w < 50) break;
      for (let p = w; p < stop; p++) b.push(trips.coords[2 * p] as number, trips.coords[2 * p + 1] as number, trips.times[p] as number);
      b.end(`${trips.ids[t]}@${w - begin}`);
    }
  }
  // Kernels that need time (TD-TR, stay points) need strictly increasing timestamps.
  const bad = new Set(checkTimeOrder(trips).map((i) => i.trajectory));
  const good: number[] = [];
  for (let t = 0; t < trips.offsets.length - 1; t++) if (!bad.has(t)) good.push(t);
  return { windows: b.build(), trips: selectTrajectories(trips, good) };
}

/**
 * The pairwise benchmarks' two sides: the first n even-numbered segments (A) and the first n
 * odd-numbered ones (B) of geolifeSegments().windows; an error when there are fewer than 2n.
 */
export function evenOddSegments(n: number): { A: TrajectoryBatch; B: TrajectoryBatch } {
  const { windows } = geolifeSegments();
  const count = windows.offsets.length - 1;
  if (count < 2 * n) throw new Error(`need ${2 * n} segments, have ${count}`);
  return {
    A: selectTrajectories(
      windows,
      Array.from({ length: n }, (_, k) => 2 * k),
    ),
    B: selectTrajectories(
      windows,
      Array.from({ length: n }, (_, k) => 2 * k + 1),
    ),
  };
}
