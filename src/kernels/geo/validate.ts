import { WaybillError } from '../../errors.js';
import { assertNotDetached } from '../options.js';
import type { PointsInput } from './types.js';

/**
 * Checks and normalises one points argument: an even-length array of finite numbers, and for
 * geographic input latitudes in [-90, 90] and longitudes in [-180, 180]. Returns a Float64Array
 * (the caller's own array when it already is one).
 */
export function validatePoints(name: string, points: unknown, geographic: boolean): Float64Array {
  if (!(points instanceof Float64Array) && !Array.isArray(points)) {
    throw new WaybillError('INVALID_ARGUMENT', `${name} must be a Float64Array or an array of numbers`, { argument: name });
  }
  // A transferred buffer read as no points: an empty answer instead of an error.
  assertNotDetached(points, name, 'argument');
  const arr = points as PointsInput;
  if (arr.length % 2 !== 0) {
    throw new WaybillError('INVALID_LENGTH', `${name} must hold interleaved pairs: length ${arr.length} is odd`, {
      argument: name,
      length: arr.length,
    });
  }
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new WaybillError('NOT_FINITE', `${name}[${i}] is ${String(v)}: every coordinate must be a finite number`, {
        argument: name,
        index: i,
        point: i >> 1,
      });
    }
    if (geographic) {
      const lat = (i & 1) === 0;
      if (lat ? v < -90 || v > 90 : v < -180 || v > 180) {
        throw new WaybillError(
          'COORDINATE_OUT_OF_RANGE',
          `${name} point ${i >> 1}: ${lat ? 'latitude' : 'longitude'} ${v} is outside ${lat ? '[-90, 90]' : '[-180, 180]'}`,
          { argument: name, index: i, point: i >> 1 },
        );
      }
    }
  }
  return arr instanceof Float64Array ? arr : Float64Array.from(arr);
}

export function validateRadius(radius: unknown): number {
  if (radius === undefined) return 6371008.8;
  if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0) {
    throw new WaybillError('INVALID_ARGUMENT', `radius must be a positive finite number of metres, got ${String(radius)}`, {
      argument: 'radius',
    });
  }
  return radius;
}

export function validateK(k: unknown, m: number): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > m) {
    throw new WaybillError('INVALID_K', `k must be an integer with 1 <= k <= m (m = ${m}), got ${String(k)}`, {
      argument: 'k',
      m,
    });
  }
  return k;
}
