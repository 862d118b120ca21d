/**
 * Input checks of the trajectory family. Every failure is a WaybillError whose `details` name the
 * argument and, where there is one, the offending trajectory and point (`index` is the point's
 * position in the whole batch, `point` its position inside its trajectory).
 */
import { WaybillError } from '../../errors.js';
import { validateRadius } from '../geo/validate.js';
import { assertNotDetached } from '../options.js';
import type { GroundMetric, GroundOptions, SpatialBatch, TrajectoryBatch } from './types.js';

/** What a kernel requires of a batch. */
export interface BatchRequirements {
  /** Coordinates are (lat, lng) degrees and must be in range. */
  geographic: boolean;
  /** Every trajectory must have at least this many points (default 1: no empty trajectories). */
  minPoints?: number;
  /** Times must be present, finite and strictly increasing inside each trajectory. */
  requireTimes?: boolean;
}

/** Resolved ground-distance settings. */
export interface Ground {
  metric: GroundMetric;
  geographic: boolean;
  radius: number;
}

/** Checks `options.metric` and `options.radius`. */
export function validateGround(options: GroundOptions | undefined): Ground {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new WaybillError('INVALID_ARGUMENT', 'options must be an object', { argument: 'options' });
  }
  const metric = options?.metric ?? 'haversine';
  if (metric !== 'haversine' && metric !== 'euclidean') {
    throw new WaybillError('INVALID_ARGUMENT', `metric must be 'haversine' or 'euclidean', got ${String(metric)}`, { argument: 'metric' });
  }
  const geographic = metric === 'haversine';
  return { metric, geographic, radius: validateRadius(geographic ? options?.radius : undefined) };
}

/** A finite number >= 0 (or > 0 when `positive`), else INVALID_ARGUMENT naming `name`. */
export function validateNonNegative(name: string, value: unknown, positive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new WaybillError('INVALID_ARGUMENT', `${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${String(value)}`, {
      argument: name,
    });
  }
  return value;
}

/** Checks one coordinate pair (index `p` in the batch) for finiteness and, if geographic, range. */
function checkPoint(name: string, coords: Float64Array, p: number, geographic: boolean, trajectory: number, point: number): void {
  for (let c = 0; c < 2; c++) {
    const v = coords[2 * p + c] as number;
    if (!Number.isFinite(v)) {
      throw new WaybillError('NOT_FINITE', `${name}: trajectory ${trajectory}, point ${point} has a non-finite coordinate (${v})`, {
        argument: name,
        trajectory,
        index: p,
        point,
      });
    }
    if (geographic && (c === 0 ? v < -90 || v > 90 : v < -180 || v > 180)) {
      throw new WaybillError(
        'COORDINATE_OUT_OF_RANGE',
        `${name}: trajectory ${trajectory}, point ${point}: ${c === 0 ? 'latitude' : 'longitude'} ${v} is outside ${c === 0 ? '[-90, 90]' : '[-180, 180]'}`,
        { argument: name, trajectory, index: p, point },
      );
    }
  }
}

/**
 * Checks a batch's shape (offsets against coords, times and ids), every coordinate, the minimum
 * trajectory length and, when required, the timestamps. Returns the number of trajectories.
 */
export function validateBatch(name: string, batch: SpatialBatch | TrajectoryBatch, req: BatchRequirements): number {
  if (typeof batch !== 'object' || batch === null) {
    throw new WaybillError('INVALID_ARGUMENT', `${name} must be a trajectory batch { ids, coords, times, offsets }`, { argument: name });
  }
  const { coords, offsets, times, ids } = batch;
  if (!(coords instanceof Float64Array)) {
    throw new WaybillError('INVALID_ARGUMENT', `${name}.coords must be a Float64Array`, { argument: `${name}.coords` });
  }
  if (!(offsets instanceof Int32Array)) {
    throw new WaybillError('INVALID_ARGUMENT', `${name}.offsets must be an Int32Array`, { argument: `${name}.offsets` });
  }
  // Transferred buffers read as empty: say so instead of a length mismatch (or an empty answer).
  assertNotDetached(coords, `${name}.coords`, 'argument');
  assertNotDetached(offsets, `${name}.offsets`, 'argument');
  assertNotDetached(times, `${name}.times`, 'argument');
  if (coords.length % 2 !== 0) {
    throw new WaybillError('INVALID_LENGTH', `${name}.coords must hold interleaved pairs: length ${coords.length} is odd`, {
      argument: `${name}.coords`,
      length: coords.length,
    });
  }
  const points = coords.length / 2;
  if (offsets.length < 1) {
    throw new WaybillError('INVALID_LENGTH', `${name}.offsets must have trajectories + 1 entries (at least 1)`, {
      argument: `${name}.offsets`,
      length: 0,
    });
  }
  const n = offsets.length - 1;
  if (offsets[0] !== 0) {
    throw new WaybillError('INVALID_ARGUMENT', `${name}.offsets[0] must be 0, got ${offsets[0]}`, {
      argument: `${name}.offsets`,
      index: 0,
    });
  }
  for (let t = 0; t < n; t++) {
    if ((offsets[t + 1] as number) < (offsets[t] as number)) {
      throw new WaybillError('INVALID_ARGUMENT', `${name}.offsets must not decrease: offsets[${t + 1}] < offsets[${t}]`, {
        argument: `${name}.offsets`,
        index: t + 1,
        trajectory: t,
      });
    }
  }
  if (offsets[n] !== points) {
    throw new WaybillError('INVALID_LENGTH', `${name}.offsets ends at ${offsets[n]} but coords hold ${points} points`, {
      argument: `${name}.offsets`,
      index: n,
      length: offsets[n],
      expected: points,
    });
  }
  if (ids !== undefined && (!Array.isArray(ids) || ids.length !== n)) {
    throw new WaybillError('INVALID_LENGTH', `${name}.ids must have one entry per trajectory (${n})`, {
      argument: `${name}.ids`,
      length: Array.isArray(ids) ? ids.length : undefined,
      expected: n,
    });
  }
  if (times !== undefined || req.requireTimes) {
    if (!(times instanceof Float64Array)) {
      throw new WaybillError('INVALID_ARGUMENT', `${name}.times must be a Float64Array of epoch seconds`, { argument: `${name}.times` });
    }
    if (times.length !== points) {
      throw new WaybillError('INVALID_LENGTH', `${name}.times has ${times.length} entries; coords hold ${points} points`, {
        argument: `${name}.times`,
        length: times.length,
        expected: points,
      });
    }
  }
  const minPoints = req.minPoints ?? 1;
  for (let t = 0; t < n; t++) {
    const begin = offsets[t] as number;
    const end = offsets[t + 1] as number;
    if (end - begin < minPoints) {
      const what = end === begin ? 'is empty' : `has ${end - begin} point${end - begin === 1 ? '' : 's'}`;
      throw new WaybillError('INVALID_LENGTH', `${name}: trajectory ${t} ${what}; this kernel needs at least ${minPoints}`, {
        argument: name,
        trajectory: t,
        length: end - begin,
        expected: minPoints,
      });
    }
    for (let p = begin; p < end; p++) checkPoint(name, coords, p, req.geographic, t, p - begin);
    if (req.requireTimes) checkTimes(name, times as Float64Array, begin, end, t);
  }
  return n;
}

/** Times of one trajectory: finite and strictly increasing (a repeat is reported as a duplicate). */
function checkTimes(name: string, times: Float64Array, begin: number, end: number, trajectory: number): void {
  for (let p = begin; p < end; p++) {
    const v = times[p] as number;
    if (!Number.isFinite(v)) {
      throw new WaybillError('NOT_FINITE', `${name}: trajectory ${trajectory}, point ${p - begin} has a non-finite timestamp (${v})`, {
        argument: `${name}.times`,
        trajectory,
        index: p,
        point: p - begin,
      });
    }
    if (p > begin && v <= (times[p - 1] as number)) {
      const duplicate = v === times[p - 1];
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `${name}: trajectory ${trajectory}, point ${p - begin}: timestamp ${v} ${duplicate ? 'repeats' : 'is earlier than'} the previous one (${times[p - 1]}); timestamps must strictly increase`,
        {
          argument: `${name}.times`,
          trajectory,
          index: p,
          point: p - begin,
          reason: duplicate ? 'duplicate-timestamp' : 'unsorted-timestamps',
        },
      );
    }
  }
}

/**
 * One trajectory given alone (a query): an interleaved Float64Array or number array of at least
 * `minPoints` points. Returns it as a Float64Array (the caller's own when it already is one).
 */
export function validateTrajectory(name: string, coords: unknown, geographic: boolean, minPoints = 1): Float64Array {
  if (!(coords instanceof Float64Array) && !Array.isArray(coords)) {
    throw new WaybillError('INVALID_ARGUMENT', `${name} must be a Float64Array or an array of interleaved coordinates`, { argument: name });
  }
  assertNotDetached(coords, name, 'argument');
  const arr = coords instanceof Float64Array ? coords : Float64Array.from(coords as number[]);
  if (arr.length % 2 !== 0) {
    throw new WaybillError('INVALID_LENGTH', `${name} must hold interleaved pairs: length ${arr.length} is odd`, {
      argument: name,
      length: arr.length,
    });
  }
  if (arr.length / 2 < minPoints) {
    throw new WaybillError('INVALID_LENGTH', `${name} has ${arr.length / 2} points; at least ${minPoints} needed`, {
      argument: name,
      length: arr.length / 2,
      expected: minPoints,
    });
  }
  for (let p = 0; p < arr.length / 2; p++) checkPoint(name, arr, p, geographic, 0, p);
  return arr;
}
