/**
 * Resampling to a fixed time step: each trajectory becomes the positions at t0, t0 + step,
 * t0 + 2 step, … up to its last timestamp, by linear interpolation between the surrounding fixes.
 */
import { BatchBuilder, idOf } from './batch.js';
import type { GroundOptions, TrajectoryBatch } from './types.js';
import { validateBatch, validateGround, validateNonNegative } from './validate.js';

/**
 * Resamples every trajectory (at least 2 points, timestamps strictly increasing) to one point
 * every `step` seconds, starting at its first timestamp; the last sample is the last multiple of
 * `step` not after the trajectory's end. Coordinates are interpolated linearly (for haversine
 * data, longitude the short way across the antimeridian) — between fixes seconds apart the
 * difference from great-circle interpolation is far below GPS noise.
 */
export function resampleTrajectories(batch: TrajectoryBatch, step: number, options?: GroundOptions): TrajectoryBatch {
  const ground = validateGround(options);
  validateNonNegative('step', step, true);
  const n = validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 2, requireTimes: true });
  const { coords: c, times } = batch;
  const out = new BatchBuilder();
  for (let t = 0; t < n; t++) {
    const begin = batch.offsets[t] as number;
    const end = batch.offsets[t + 1] as number;
    const t0 = times[begin] as number;
    const tEnd = times[end - 1] as number;
    let p = begin;
    for (let s = 0; ; s++) {
      const at = t0 + s * step;
      if (at > tEnd) break;
      while (p + 1 < end - 1 && (times[p + 1] as number) <= at) p++;
      // Now times[p] <= at and either p + 1 is the last point or times[p + 1] > at.
      const ta = times[p] as number;
      const tb = times[p + 1] as number;
      const f = Math.min(1, (at - ta) / (tb - ta));
      const y0 = c[2 * p] as number;
      const x0 = c[2 * p + 1] as number;
      let dx = (c[2 * p + 3] as number) - x0;
      if (ground.geographic && dx > 180) dx -= 360;
      else if (ground.geographic && dx < -180) dx += 360;
      let x = x0 + f * dx;
      if (ground.geographic && x > 180) x -= 360;
      else if (ground.geographic && x < -180) x += 360;
      out.push(y0 + f * ((c[2 * p + 2] as number) - y0), x, at);
    }
    out.end(idOf(batch, t), true);
  }
  return out.build();
}
