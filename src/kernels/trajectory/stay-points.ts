/**
 * Stay-point detection (Li, Zheng et al., "Mining user similarity based on location history",
 * ACM GIS 2008): a stay point is a run of consecutive fixes that all lie within `distance` of the
 * run's first fix and that spans at least `duration` seconds. Batched over trajectories.
 *
 * Two documented corrections to the paper's pseudo-code: the run is the fixes *within* the
 * distance (the paper's mean also includes the first fix beyond it and uses that fix's time as the
 * departure), and a run still open at the end of the trajectory counts too.
 */
import { distanceBetween } from './ground.js';
import type { GroundOptions, TrajectoryBatch } from './types.js';
import { validateBatch, validateGround, validateNonNegative } from './validate.js';

export interface StayPointOptions extends GroundOptions {
  /** Largest distance from the run's first fix, metres for haversine (Li et al. used 200 m). */
  distance: number;
  /** Shortest stay, seconds (Li et al. used 30 minutes). */
  duration: number;
}

/** Stay points of a batch, in flat arrays; stay point s belongs to input trajectory `trajectory[s]`. */
export interface StayPoints {
  /** Input trajectory of each stay point. */
  trajectory: Int32Array;
  /** Mean (lat, lng) — or (x, y) — of the fixes in the stay, interleaved. */
  coords: Float64Array;
  /** Time of the first and of the last fix of the stay, epoch seconds. */
  arrive: Float64Array;
  leave: Float64Array;
  /** Batch index of the first and of the last fix of the stay (inclusive). */
  first: Int32Array;
  last: Int32Array;
  /** Stay points of input trajectory t are `offsets[t] .. offsets[t + 1] - 1` (length: trajectories + 1). */
  offsets: Int32Array;
}

/**
 * Detects stay points in every trajectory (timestamps strictly increasing). The mean position is
 * the arithmetic mean of coordinates, fine for stays of a few hundred metres away from the
 * antimeridian.
 */
export function detectStayPoints(batch: TrajectoryBatch, options: StayPointOptions): StayPoints {
  const ground = validateGround(options);
  const maxDistance = validateNonNegative('distance', options?.distance);
  const minDuration = validateNonNegative('duration', options?.duration);
  const n = validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 0, requireTimes: true });
  const { coords: c, times } = batch;
  const traj: number[] = [];
  const mean: number[] = [];
  const arrive: number[] = [];
  const leave: number[] = [];
  const first: number[] = [];
  const last: number[] = [];
  const offsets = new Int32Array(n + 1);
  for (let t = 0; t < n; t++) {
    const end = batch.offsets[t + 1] as number;
    let i = batch.offsets[t] as number;
    while (i < end) {
      const lat = c[2 * i] as number;
      const lng = c[2 * i + 1] as number;
      let j = i + 1;
      while (j < end && distanceBetween(ground, lat, lng, c[2 * j] as number, c[2 * j + 1] as number) <= maxDistance) j++;
      if ((times[j - 1] as number) - (times[i] as number) >= minDuration && j - 1 > i) {
        let sy = 0;
        let sx = 0;
        for (let k = i; k < j; k++) {
          sy += c[2 * k] as number;
          sx += c[2 * k + 1] as number;
        }
        traj.push(t);
        mean.push(sy / (j - i), sx / (j - i));
        arrive.push(times[i] as number);
        leave.push(times[j - 1] as number);
        first.push(i);
        last.push(j - 1);
        i = j;
      } else {
        i++;
      }
    }
    offsets[t + 1] = traj.length;
  }
  return {
    trajectory: Int32Array.from(traj),
    coords: Float64Array.from(mean),
    arrive: Float64Array.from(arrive),
    leave: Float64Array.from(leave),
    first: Int32Array.from(first),
    last: Int32Array.from(last),
    offsets,
  };
}
