/**
 * Cleaning of raw GPS batches: exact-duplicate removal, a timestamp order check (and a stable
 * sort), a speed-outlier filter and trip segmentation on time gaps. Each step returns a new batch
 * and says what it removed; nothing is changed in place.
 */
import { WaybillError } from '../../errors.js';
import { BatchBuilder, idOf } from './batch.js';
import { distanceBetween } from './ground.js';
import type { GroundOptions, TrajectoryBatch } from './types.js';
import { validateBatch, validateGround, validateNonNegative } from './validate.js';

/** A cleaned batch, with a mask over the input points (1: kept). */
export interface CleanResult {
  batch: TrajectoryBatch;
  keep: Uint8Array;
  removed: number;
}

function keepOnly(batch: TrajectoryBatch, keep: Uint8Array): CleanResult {
  const b = new BatchBuilder();
  let removed = 0;
  for (let t = 0; t < batch.offsets.length - 1; t++) {
    for (let p = batch.offsets[t] as number; p < (batch.offsets[t + 1] as number); p++) {
      if (keep[p]) b.push(batch.coords[2 * p] as number, batch.coords[2 * p + 1] as number, batch.times[p] as number);
      else removed++;
    }
    b.end(idOf(batch, t), true);
  }
  return { batch: b.build(), keep, removed };
}

/**
 * Removes exact duplicates: a point whose (time, lat, lng) equals those of an earlier point of
 * the same trajectory (T-Drive repeats whole lines, for instance). The first copy is kept.
 */
export function removeExactDuplicates(batch: TrajectoryBatch): CleanResult {
  validateBatch('batch', batch, { geographic: false, minPoints: 0 });
  const keep = new Uint8Array(batch.times.length);
  for (let t = 0; t < batch.offsets.length - 1; t++) {
    const seen = new Set<string>();
    for (let p = batch.offsets[t] as number; p < (batch.offsets[t + 1] as number); p++) {
      const key = `${batch.times[p]},${batch.coords[2 * p]},${batch.coords[2 * p + 1]}`;
      if (!seen.has(key)) {
        seen.add(key);
        keep[p] = 1;
      }
    }
  }
  return keepOnly(batch, keep);
}

/** One place where timestamps fail to increase strictly. */
export interface TimeOrderIssue {
  trajectory: number;
  /** Batch index of the point whose timestamp is not after its predecessor's. */
  index: number;
  kind: 'duplicate-timestamp' | 'unsorted-timestamps' | 'not-finite';
}

/**
 * Lists every point whose timestamp is not strictly after its predecessor's (or not finite), up
 * to `limit` issues (default all). An empty list means the batch is ready for the time-aware
 * kernels. Use {@link assertTimeOrder} to throw instead.
 */
export function checkTimeOrder(batch: TrajectoryBatch, limit = Infinity): TimeOrderIssue[] {
  validateBatch('batch', batch, { geographic: false, minPoints: 0 });
  const issues: TimeOrderIssue[] = [];
  for (let t = 0; t < batch.offsets.length - 1 && issues.length < limit; t++) {
    const begin = batch.offsets[t] as number;
    for (let p = begin; p < (batch.offsets[t + 1] as number) && issues.length < limit; p++) {
      const v = batch.times[p] as number;
      if (!Number.isFinite(v)) issues.push({ trajectory: t, index: p, kind: 'not-finite' });
      else if (p > begin && v === batch.times[p - 1]) issues.push({ trajectory: t, index: p, kind: 'duplicate-timestamp' });
      else if (p > begin && v < (batch.times[p - 1] as number)) issues.push({ trajectory: t, index: p, kind: 'unsorted-timestamps' });
    }
  }
  return issues;
}

/** Throws the first timestamp problem as a WaybillError (NOT_FINITE or INVALID_ARGUMENT, details naming the point). */
export function assertTimeOrder(batch: TrajectoryBatch): void {
  validateBatch('batch', batch, { geographic: false, minPoints: 0, requireTimes: true });
}

/** Sorts each trajectory's points by time (stable: equal times keep their order). */
export function sortByTime(batch: TrajectoryBatch): TrajectoryBatch {
  validateBatch('batch', batch, { geographic: false, minPoints: 0 });
  const b = new BatchBuilder();
  for (let t = 0; t < batch.offsets.length - 1; t++) {
    const begin = batch.offsets[t] as number;
    const idx = Array.from({ length: (batch.offsets[t + 1] as number) - begin }, (_, k) => begin + k);
    idx.sort((p, q) => (batch.times[p] as number) - (batch.times[q] as number) || p - q);
    for (const p of idx) b.push(batch.coords[2 * p] as number, batch.coords[2 * p + 1] as number, batch.times[p] as number);
    b.end(idOf(batch, t), true);
  }
  return b.build();
}

export interface SpeedFilterOptions extends GroundOptions {
  /** Largest plausible speed, metres per second (haversine) or data units per second. */
  maxSpeed: number;
}

/**
 * Drops fixes that would need an implausible speed: walking each trajectory in time order, a fix
 * is kept when the speed from the last kept fix is at most `maxSpeed`; a fix at the same time as
 * the last kept one is kept only at the same place. The first fix is always kept (a leading
 * outlier therefore removes what follows it: run on segmented trips, or check `removed`).
 * Timestamps must be finite and non-decreasing (sort first).
 */
export function filterSpeedOutliers(batch: TrajectoryBatch, options: SpeedFilterOptions): CleanResult {
  const ground = validateGround(options);
  const maxSpeed = validateNonNegative('maxSpeed', options?.maxSpeed, true);
  validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 0 });
  const issue = checkTimeOrder(batch).find((i) => i.kind !== 'duplicate-timestamp');
  if (issue) {
    throw new WaybillError(
      issue.kind === 'not-finite' ? 'NOT_FINITE' : 'INVALID_ARGUMENT',
      `batch: trajectory ${issue.trajectory}, point ${issue.index - (batch.offsets[issue.trajectory] as number)}: timestamps must be finite and sorted (${issue.kind})`,
      { argument: 'batch.times', trajectory: issue.trajectory, index: issue.index, reason: issue.kind },
    );
  }
  const keep = new Uint8Array(batch.times.length);
  const c = batch.coords;
  for (let t = 0; t < batch.offsets.length - 1; t++) {
    const begin = batch.offsets[t] as number;
    const end = batch.offsets[t + 1] as number;
    if (end === begin) continue;
    keep[begin] = 1;
    let last = begin;
    for (let p = begin + 1; p < end; p++) {
      const d = distanceBetween(ground, c[2 * last] as number, c[2 * last + 1] as number, c[2 * p] as number, c[2 * p + 1] as number);
      const dt = (batch.times[p] as number) - (batch.times[last] as number);
      if (dt > 0 ? d / dt <= maxSpeed : d === 0) {
        keep[p] = 1;
        last = p;
      }
    }
  }
  return keepOnly(batch, keep);
}

export interface SegmentOptions {
  /** A time gap longer than this many seconds between consecutive fixes starts a new trip. */
  maxGap: number;
  /** Trips with fewer fixes are dropped (default 1: keep all). */
  minPoints?: number;
}

/** Trips cut from a batch: trip i came from input trajectory `source[i]`; its id is `<id>/<k>` (k-th trip of that trajectory, from 0). */
export interface Segmented {
  batch: TrajectoryBatch;
  source: Int32Array;
}

/**
 * Splits every trajectory wherever consecutive timestamps are more than `maxGap` seconds apart
 * (GeoLife's packaged CSV has lost its per-trip files, so trips are re-derived this way).
 * Timestamps must be finite and non-decreasing.
 */
export function segmentTrips(batch: TrajectoryBatch, options: SegmentOptions): Segmented {
  const maxGap = validateNonNegative('maxGap', options?.maxGap);
  const minPoints = options.minPoints ?? 1;
  if (!Number.isInteger(minPoints) || minPoints < 1) {
    throw new WaybillError('INVALID_ARGUMENT', `minPoints must be an integer >= 1, got ${String(minPoints)}`, { argument: 'minPoints' });
  }
  validateBatch('batch', batch, { geographic: false, minPoints: 0 });
  const issue = checkTimeOrder(batch).find((i) => i.kind !== 'duplicate-timestamp');
  if (issue) {
    throw new WaybillError(
      issue.kind === 'not-finite' ? 'NOT_FINITE' : 'INVALID_ARGUMENT',
      `batch: timestamps must be finite and sorted (${issue.kind})`,
      {
        argument: 'batch.times',
        trajectory: issue.trajectory,
        index: issue.index,
        reason: issue.kind,
      },
    );
  }
  const b = new BatchBuilder();
  const source: number[] = [];
  for (let t = 0; t < batch.offsets.length - 1; t++) {
    const begin = batch.offsets[t] as number;
    const end = batch.offsets[t + 1] as number;
    let trip = 0;
    const close = () => {
      if (b.openLength >= minPoints) {
        b.end(`${idOf(batch, t)}/${trip}`);
        source.push(t);
        trip++;
      } else b.discardOpen();
    };
    for (let p = begin; p < end; p++) {
      if (p > begin && (batch.times[p] as number) - (batch.times[p - 1] as number) > maxGap) close();
      b.push(batch.coords[2 * p] as number, batch.coords[2 * p + 1] as number, batch.times[p] as number);
    }
    close();
  }
  return { batch: b.build(), source: Int32Array.from(source) };
}
