/**
 * Ground distances between points of interleaved coordinate arrays: the building block of every
 * similarity measure. Point `i` of `a` is `(a[2i], a[2i + 1])`.
 */
import { haversine } from '../geo/haversine-matrix.js';
import type { Ground } from './validate.js';

/** Distance between point `i` of `a` and point `j` of `b`. */
export type PointDistance = (a: Float64Array, i: number, b: Float64Array, j: number) => number;

/** The point distance of `ground`: haversine metres on (lat, lng) degrees, or planar Euclidean. */
export function pointDistance(ground: Ground): PointDistance {
  if (ground.geographic) {
    const r = ground.radius;
    return (a, i, b, j) => haversine(a[2 * i] as number, a[2 * i + 1] as number, b[2 * j] as number, b[2 * j + 1] as number, r);
  }
  return (a, i, b, j) => Math.hypot((a[2 * i] as number) - (b[2 * j] as number), (a[2 * i + 1] as number) - (b[2 * j + 1] as number));
}

/** Distance between two points given by their coordinates. */
export function distanceBetween(ground: Ground, y1: number, x1: number, y2: number, x2: number): number {
  return ground.geographic ? haversine(y1, x1, y2, x2, ground.radius) : Math.hypot(y1 - y2, x1 - x2);
}

const RAD = Math.PI / 180;

/**
 * Planar (east, north) metres of (lat, lng) relative to (lat0, lng0) by an equirectangular
 * projection at lat0 — accurate to well under 0.1 % over a few kilometres, which is what
 * perpendicular distances in simplification need. Euclidean data is returned as (x - x0, y - y0).
 */
export function localPlanar(ground: Ground, lat0: number, lng0: number, lat: number, lng: number): [number, number] {
  if (!ground.geographic) return [lat - lat0, lng - lng0];
  let dLng = lng - lng0;
  // Take the short way round across the antimeridian.
  if (dLng > 180) dLng -= 360;
  else if (dLng < -180) dLng += 360;
  return [dLng * RAD * ground.radius * Math.cos(lat0 * RAD), (lat - lat0) * RAD * ground.radius];
}
