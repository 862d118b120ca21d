/** Seeded PRNG (mulberry32) so every test input is reproducible: the engine's own generator. */
import { mulberry32 } from '../../src/kernels/ml/random.js';

export { mulberry32 };

/** Edge-case points every geo test covers: poles, the date line (both signs), the origin. */
export const EDGE_POINTS: ReadonlyArray<readonly [number, number]> = [
  [90, 0],
  [-90, 0],
  [0, 180],
  [0, -180],
  [0, 179.9999],
  [89.9999, -179.9999],
  [-10, -160],
  [0, 0],
];

/** n random (lat, lng) points, interleaved; the first ones are EDGE_POINTS when `edges`. */
export function randomLatLng(n: number, seed: number, edges = true): Float64Array {
  const rnd = mulberry32(seed);
  const a = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    a[2 * i] = rnd() * 180 - 90;
    a[2 * i + 1] = rnd() * 360 - 180;
  }
  if (edges) {
    EDGE_POINTS.slice(0, n).forEach(([lat, lng], i) => {
      a[2 * i] = lat;
      a[2 * i + 1] = lng;
    });
  }
  return a;
}

/** Sets dests[j] to the exact antipode of origins[i] for the given (i, j) pairs. */
export function plantAntipodes(origins: Float64Array, dests: Float64Array, pairs: Array<[number, number]>): void {
  for (const [i, j] of pairs) {
    const lat = origins[2 * i] as number;
    const lng = origins[2 * i + 1] as number;
    dests[2 * j] = -lat;
    dests[2 * j + 1] = lng > 0 ? lng - 180 : lng + 180;
  }
}

export const EARTH_RADIUS_M = 6371008.8;

/**
 * Parity tolerance for float64 haversine backends against the TS reference: 1e-9 relative plus
 * 1e-6 m, except within 0.01 % of the antipodal distance, where asin(sqrt(a)) is ill-conditioned
 * and any two correct float64 evaluations may differ by ~1e-8 rad: there 1 m.
 */
export function haversineTolerance(ref: number): number {
  return ref > 0.9999 * Math.PI * EARTH_RADIUS_M ? 1 : 1e-6 + 1e-9 * ref;
}

/** Largest |a - b| / tolerance(b) over two arrays (<= 1 means parity holds). */
export function worstRatio(a: ArrayLike<number>, b: ArrayLike<number>, tol: (ref: number) => number): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    const r = Number.isNaN(x) || Number.isNaN(y) ? Number.POSITIVE_INFINITY : Math.abs(x - y) / tol(y);
    if (r > worst) worst = r;
  }
  return worst;
}
