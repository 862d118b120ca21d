/**
 * Point-wise motion features of a batch: segment length, time step, speed, heading and
 * acceleration. Arrays are aligned with the batch's points; the value at point p describes the
 * segment arriving at p (from p - 1), so the first point of each trajectory is NaN (and the first
 * two for acceleration).
 */
import { distanceBetween } from './ground.js';
import type { GroundOptions, TrajectoryBatch } from './types.js';
import { validateBatch, validateGround } from './validate.js';

export interface MotionFeatures {
  /** Ground distance from the previous point: metres (haversine) or data units. */
  distance: Float64Array;
  /** Seconds since the previous point. */
  dt: Float64Array;
  /** distance / dt: metres per second (haversine). */
  speed: Float64Array;
  /**
   * Direction of the arriving segment in degrees [0, 360), clockwise from north: the initial
   * great-circle bearing for haversine, from the +y axis towards +x for euclidean (x, y) data.
   * NaN for a segment of length 0.
   */
  heading: Float64Array;
  /** Change of speed over the time between the two points: metres per second squared. */
  acceleration: Float64Array;
}

const RAD = Math.PI / 180;

/** Initial bearing from (lat1, lng1) to (lat2, lng2), degrees clockwise from north. */
export function initialBearing(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const p1 = lat1 * RAD;
  const p2 = lat2 * RAD;
  const dl = (lng2 - lng1) * RAD;
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  return (((Math.atan2(y, x) / RAD) % 360) + 360) % 360;
}

/** Motion features of every trajectory (at least 2 points each, timestamps strictly increasing). */
export function motionFeatures(batch: TrajectoryBatch, options?: GroundOptions): MotionFeatures {
  const ground = validateGround(options);
  const n = validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 2, requireTimes: true });
  const { coords: c, times } = batch;
  const points = times.length;
  const out: MotionFeatures = {
    distance: new Float64Array(points).fill(Number.NaN),
    dt: new Float64Array(points).fill(Number.NaN),
    speed: new Float64Array(points).fill(Number.NaN),
    heading: new Float64Array(points).fill(Number.NaN),
    acceleration: new Float64Array(points).fill(Number.NaN),
  };
  for (let t = 0; t < n; t++) {
    const begin = batch.offsets[t] as number;
    const end = batch.offsets[t + 1] as number;
    for (let p = begin + 1; p < end; p++) {
      const y1 = c[2 * p - 2] as number;
      const x1 = c[2 * p - 1] as number;
      const y2 = c[2 * p] as number;
      const x2 = c[2 * p + 1] as number;
      const d = distanceBetween(ground, y1, x1, y2, x2);
      const dt = (times[p] as number) - (times[p - 1] as number);
      out.distance[p] = d;
      out.dt[p] = dt;
      out.speed[p] = d / dt;
      if (d > 0) {
        out.heading[p] = ground.geographic ? initialBearing(y1, x1, y2, x2) : (((Math.atan2(y2 - y1, x2 - x1) / RAD) % 360) + 360) % 360;
      }
      if (p > begin + 1) out.acceleration[p] = ((out.speed[p] as number) - (out.speed[p - 1] as number)) / dt;
    }
  }
  return out;
}
