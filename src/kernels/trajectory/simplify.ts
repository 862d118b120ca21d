/**
 * Trajectory simplification, batched: Douglas–Peucker (shape only) and TD-TR (Meratnia & de By
 * 2004: Douglas–Peucker with the synchronized Euclidean distance, so that timing is kept too).
 * Both keep the first and the last point of every trajectory and return a keep-mask over the
 * input points along with the simplified batch.
 */
import { BatchBuilder, idOf } from './batch.js';
import { distanceBetween, localPlanar } from './ground.js';
import type { GroundOptions, SpatialBatch, TrajectoryBatch } from './types.js';
import { type Ground, validateBatch, validateGround, validateNonNegative } from './validate.js';

export interface SimplifyResult {
  /** The kept points, trajectories in input order (ids and times carried over; NaN times when the input had none). */
  batch: TrajectoryBatch;
  /** 1 for every input point that was kept, 0 otherwise (length: input points). */
  keep: Uint8Array;
}

/**
 * Runs the Douglas–Peucker recursion (with an explicit stack) over points [begin, end) of one
 * trajectory: between two kept points, the point with the largest `deviation` is kept when that
 * deviation exceeds `tolerance`, and both halves are examined again.
 */
function douglasPeuckerRange(
  begin: number,
  end: number,
  tolerance: number,
  keep: Uint8Array,
  deviation: (first: number, last: number, k: number) => number,
): void {
  keep[begin] = 1;
  keep[end - 1] = 1;
  const stack: number[] = [begin, end - 1];
  while (stack.length > 0) {
    const last = stack.pop() as number;
    const first = stack.pop() as number;
    let worst = -1;
    let worstAt = -1;
    for (let k = first + 1; k < last; k++) {
      const d = deviation(first, last, k);
      if (d > worst) {
        worst = d;
        worstAt = k;
      }
    }
    if (worstAt >= 0 && worst > tolerance) {
      keep[worstAt] = 1;
      stack.push(first, worstAt, worstAt, last);
    }
  }
}

/** Distance from point k to the segment first–last (clamped to the segment), in a local plane around `first`. */
function segmentDistance(ground: Ground, c: Float64Array, first: number, last: number, k: number): number {
  const lat0 = c[2 * first] as number;
  const lng0 = c[2 * first + 1] as number;
  const [bx, by] = localPlanar(ground, lat0, lng0, c[2 * last] as number, c[2 * last + 1] as number);
  const [px, py] = localPlanar(ground, lat0, lng0, c[2 * k] as number, c[2 * k + 1] as number);
  const len2 = bx * bx + by * by;
  const s = len2 === 0 ? 0 : Math.max(0, Math.min(1, (px * bx + py * by) / len2));
  return Math.hypot(px - s * bx, py - s * by);
}

/**
 * Synchronized Euclidean distance of point k: its ground distance to where it would be at its own
 * time when moving at constant velocity from `first` to `last` (linear in coordinates).
 */
function synchronizedDistance(ground: Ground, c: Float64Array, t: Float64Array, first: number, last: number, k: number): number {
  const f = ((t[k] as number) - (t[first] as number)) / ((t[last] as number) - (t[first] as number));
  const y0 = c[2 * first] as number;
  const x0 = c[2 * first + 1] as number;
  const dy = (c[2 * last] as number) - y0;
  let dx = (c[2 * last + 1] as number) - x0;
  if (ground.geographic && dx > 180) dx -= 360;
  else if (ground.geographic && dx < -180) dx += 360;
  let x = x0 + f * dx;
  if (ground.geographic && x > 180) x -= 360;
  else if (ground.geographic && x < -180) x += 360;
  return distanceBetween(ground, c[2 * k] as number, c[2 * k + 1] as number, y0 + f * dy, x);
}

function collect(batch: SpatialBatch, keep: Uint8Array): TrajectoryBatch {
  const b = new BatchBuilder();
  const n = batch.offsets.length - 1;
  for (let t = 0; t < n; t++) {
    for (let p = batch.offsets[t] as number; p < (batch.offsets[t + 1] as number); p++) {
      if (keep[p])
        b.push(batch.coords[2 * p] as number, batch.coords[2 * p + 1] as number, batch.times ? (batch.times[p] as number) : Number.NaN);
    }
    b.end(idOf(batch, t), true);
  }
  return b.build();
}

/**
 * Douglas–Peucker simplification of every trajectory: afterwards no dropped point lies farther
 * than `tolerance` (metres for haversine, data units for euclidean) from the segment between the
 * kept points around it. Distances for haversine are measured in an equirectangular plane
 * centred on the segment's start (error well under 0.1 % at city scale). Times are ignored.
 * Empty trajectories stay empty.
 */
export function douglasPeucker(batch: SpatialBatch, tolerance: number, options?: GroundOptions): SimplifyResult {
  const ground = validateGround(options);
  validateNonNegative('tolerance', tolerance);
  const n = validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 0 });
  const keep = new Uint8Array(batch.coords.length / 2);
  const c = batch.coords;
  for (let t = 0; t < n; t++) {
    const begin = batch.offsets[t] as number;
    const end = batch.offsets[t + 1] as number;
    if (end > begin) douglasPeuckerRange(begin, end, tolerance, keep, (first, last, k) => segmentDistance(ground, c, first, last, k));
  }
  return { batch: collect(batch, keep), keep };
}

/**
 * TD-TR (top-down time-ratio) simplification: Douglas–Peucker with the synchronized Euclidean
 * distance (SED). No dropped point is farther than `tolerance` (metres for haversine) from where
 * constant-velocity motion between the kept points around it puts it at its own timestamp.
 * Needs strictly increasing timestamps.
 */
export function tdTr(batch: TrajectoryBatch, tolerance: number, options?: GroundOptions): SimplifyResult {
  const ground = validateGround(options);
  validateNonNegative('tolerance', tolerance);
  const n = validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 0, requireTimes: true });
  const keep = new Uint8Array(batch.coords.length / 2);
  const { coords, times } = batch;
  for (let t = 0; t < n; t++) {
    const begin = batch.offsets[t] as number;
    const end = batch.offsets[t + 1] as number;
    if (end > begin)
      douglasPeuckerRange(begin, end, tolerance, keep, (first, last, k) => synchronizedDistance(ground, coords, times, first, last, k));
  }
  return { batch: collect(batch, keep), keep };
}
