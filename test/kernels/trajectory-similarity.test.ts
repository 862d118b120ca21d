/** Trajectory similarity measures: hand-computed cases, properties, batching and bad input. */
import { describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import { haversine } from '../../src/kernels/geo/index.js';
import {
  batchFromArrays,
  oneToManyDistances,
  pairwiseDistances,
  type SimilarityMeasure,
  type SimilarityOptions,
  trajectoryDistance,
} from '../../src/kernels/trajectory/index.js';

const R = 6371008.8;
const E: SimilarityOptions = { metric: 'euclidean' };

/** Points on the x axis: (x, 0) pairs. */
function line(...xs: number[]): number[] {
  return xs.flatMap((x) => [x, 0]);
}

/** A seeded generator (mulberry32) so that property tests are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random walk of n points near Beijing, (lat, lng). */
function walk(rand: () => number, n: number): number[] {
  const out: number[] = [];
  let lat = 39.9 + rand() * 0.05;
  let lng = 116.3 + rand() * 0.05;
  for (let i = 0; i < n; i++) {
    out.push(lat, lng);
    lat += (rand() - 0.5) * 0.002;
    lng += (rand() - 0.5) * 0.002;
  }
  return out;
}

function errorOf(fn: () => unknown): WaybillError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a WaybillError');
}

describe('hand-computed distances (euclidean, points on a line)', () => {
  // Cost matrix |a_i - b_j| for a = 0 1 2 3, b = 0 2 3; worked out by hand in the comments below.
  const a = line(0, 1, 2, 3);
  const b = line(0, 2, 3);

  it('DTW: the cheapest warping path costs 1', () => {
    // D = [[0 2 5] [1 1 3] [3 1 2] [6 2 1]] -> D[3][2] = 1.
    expect(trajectoryDistance('dtw', a, b, E)).toBe(1);
    expect(trajectoryDistance('dtw', b, a, E)).toBe(1);
  });

  it('DTW band: 1 forbids the cheap path that band 2 and full DTW take', () => {
    const p = line(0, 5, 5, 5);
    const q = line(0, 0, 0, 5);
    // Full: (0,0)(0,1)(0,2)(1,3)(2,3)(3,3) all cost 0.
    expect(trajectoryDistance('dtw', p, q, E)).toBe(0);
    // |i - j| <= 1: D11 = 5, D12 = 5, D23 = 5, D33 = 5.
    expect(trajectoryDistance('dtw', p, q, { ...E, band: 1 })).toBe(5);
    // Band 0 on equal lengths is the diagonal: 0 + 5 + 5 + 0.
    expect(trajectoryDistance('dtw', p, q, { ...E, band: 0 })).toBe(10);
    expect(trajectoryDistance('dtw', p, q, { ...E, band: 2 })).toBe(0);
  });

  it('DTW band narrower than the length difference is widened to it', () => {
    // |n - m| = 1, so band 0 behaves as band 1: D[3][2] is still 1.
    expect(trajectoryDistance('dtw', a, b, { ...E, band: 0 })).toBe(1);
  });

  it('discrete Fréchet and Hausdorff', () => {
    // F = [[0 2 3] [1 1 2] [2 1 1] [3 1 1]].
    expect(trajectoryDistance('frechet', a, b, E)).toBe(1);
    // a -> b: nearest distances 0 1 0 0; b -> a: 0 0 0.
    expect(trajectoryDistance('hausdorff', a, b, E)).toBe(1);
    // Order matters for Fréchet and DTW, not for Hausdorff.
    const p = line(0, 3);
    const q = line(3, 0);
    expect(trajectoryDistance('hausdorff', p, q, E)).toBe(0);
    expect(trajectoryDistance('frechet', p, q, E)).toBe(3);
    expect(trajectoryDistance('dtw', p, q, E)).toBe(6);
  });

  it('ERP with the gap at the origin', () => {
    // a = 1 2, b = 1: match 1-1 (0), 2 to the gap (2) -> 2.
    expect(trajectoryDistance('erp', line(1, 2), line(1), E)).toBe(2);
    // Gap at 10: matching 1-1 and leaving 2 out costs |2 - 10| = 8; leaving 1 out and matching 2-1 costs 9 + 1.
    expect(trajectoryDistance('erp', line(1, 2), line(1), { ...E, gap: [10, 0] })).toBe(8);
    expect(trajectoryDistance('erp', line(1, 2), line(1, 2), E)).toBe(0);
  });

  it('EDR counts edits with an eps match', () => {
    // 0=0, 1=1, 2 vs 5 substituted, 10 deleted -> 2.
    expect(trajectoryDistance('edr', line(0, 1, 2, 10), line(0, 1, 5), { ...E, eps: 0.5 })).toBe(2);
    // A wide eps matches 2 with 5: one deletion left.
    expect(trajectoryDistance('edr', line(0, 1, 2, 10), line(0, 1, 5), { ...E, eps: 3 })).toBe(1);
  });

  it('LCSS distance with eps and the index window delta', () => {
    expect(trajectoryDistance('lcss', line(0, 1, 2, 10), line(0, 1, 5), { ...E, eps: 0.5 })).toBeCloseTo(1 - 2 / 3, 15);
    // 0 and 1 match one index apart: delta 1 allows it, delta 0 does not.
    expect(trajectoryDistance('lcss', line(5, 0, 1), line(0, 1, 9), { ...E, eps: 0.5, delta: 1 })).toBeCloseTo(1 - 2 / 3, 15);
    expect(trajectoryDistance('lcss', line(5, 0, 1), line(0, 1, 9), { ...E, eps: 0.5, delta: 0 })).toBe(1);
  });
});

describe('haversine ground distance', () => {
  it('one point each: every distance measure is the great-circle distance', () => {
    const oneDegree = (R * Math.PI) / 180; // 111 195.08 m along the equator
    for (const m of ['dtw', 'frechet', 'hausdorff'] as const) {
      expect(trajectoryDistance(m, [0, 0], [0, 1])).toBeCloseTo(oneDegree, 6);
    }
    expect(trajectoryDistance('dtw', [0, 0, 0, 1], [0, 1])).toBeCloseTo(oneDegree, 6);
  });

  it('a custom radius scales the result', () => {
    expect(trajectoryDistance('dtw', [0, 0], [0, 1], { radius: 1 })).toBeCloseTo(Math.PI / 180, 12);
  });

  it('DTW sums haversine distances along the diagonal of two parallel tracks', () => {
    const a = [39.9, 116.3, 39.901, 116.3, 39.902, 116.3];
    const b = [39.9, 116.301, 39.901, 116.301, 39.902, 116.301];
    const expected = [0, 1, 2].reduce((s, i) => s + haversine(39.9 + i * 0.001, 116.3, 39.9 + i * 0.001, 116.301, R), 0);
    expect(trajectoryDistance('dtw', a, b)).toBeCloseTo(expected, 6);
  });
});

describe('properties on random walks', () => {
  const rand = rng(7);
  const walks = Array.from({ length: 12 }, (_, i) => walk(rand, 5 + ((i * 7) % 23)));

  it('symmetry, Fréchet >= Hausdorff, DTW >= Fréchet, EDR bounds', () => {
    for (let i = 0; i < walks.length; i++) {
      for (let j = 0; j < walks.length; j++) {
        const a = walks[i] as number[];
        const b = walks[j] as number[];
        const dtw = trajectoryDistance('dtw', a, b);
        const fr = trajectoryDistance('frechet', a, b);
        const h = trajectoryDistance('hausdorff', a, b);
        expect(dtw).toBeCloseTo(trajectoryDistance('dtw', b, a), 6);
        expect(fr).toBe(trajectoryDistance('frechet', b, a));
        expect(h).toBe(trajectoryDistance('hausdorff', b, a));
        expect(fr).toBeGreaterThanOrEqual(h);
        expect(dtw).toBeGreaterThanOrEqual(fr);
        const edr = trajectoryDistance('edr', a, b, { eps: 50 });
        expect(edr).toBeGreaterThanOrEqual(Math.abs(a.length - b.length) / 2);
        expect(edr).toBeLessThanOrEqual(Math.max(a.length, b.length) / 2);
        if (i === j) {
          expect(dtw).toBe(0);
          expect(trajectoryDistance('erp', a, b)).toBe(0);
          expect(trajectoryDistance('lcss', a, b, { eps: 0 })).toBe(0);
        }
      }
    }
  });

  it('a band at least as wide as the trajectories is full DTW; narrower bands never go below it', () => {
    for (let i = 0; i + 1 < walks.length; i++) {
      const a = walks[i] as number[];
      const b = walks[i + 1] as number[];
      const full = trajectoryDistance('dtw', a, b);
      const wide = Math.max(a.length, b.length) / 2;
      expect(trajectoryDistance('dtw', a, b, { band: wide })).toBe(full);
      let previous = Infinity;
      for (const band of [0, 1, 2, 4, 8]) {
        const d = trajectoryDistance('dtw', a, b, { band });
        expect(d).toBeGreaterThanOrEqual(full - 1e-9);
        expect(d).toBeLessThanOrEqual(previous + 1e-9); // wider band: more paths, never worse
        previous = d;
      }
    }
  });

  it('ERP satisfies the triangle inequality (it is a metric for a fixed gap)', () => {
    const gap: [number, number] = [39.9, 116.3];
    for (let i = 0; i + 2 < walks.length; i++) {
      const [a, b, c] = [walks[i], walks[i + 1], walks[i + 2]] as number[][];
      const ab = trajectoryDistance('erp', a as number[], b as number[], { gap });
      const bc = trajectoryDistance('erp', b as number[], c as number[], { gap });
      const ac = trajectoryDistance('erp', a as number[], c as number[], { gap });
      expect(ac).toBeLessThanOrEqual(ab + bc + 1e-6);
    }
  });
});

describe('batched pairwise and one-to-many', () => {
  const rand = rng(11);
  const A = batchFromArrays([walk(rand, 6), walk(rand, 9), walk(rand, 3)]);
  const B = batchFromArrays([walk(rand, 4), walk(rand, 10)]);
  const measures: Array<[SimilarityMeasure, SimilarityOptions]> = [
    ['dtw', {}],
    ['dtw', { band: 1 }],
    ['frechet', {}],
    ['hausdorff', {}],
    ['erp', { gap: [39.9, 116.3] }],
    ['edr', { eps: 80 }],
    ['lcss', { eps: 80, delta: 3 }],
  ];

  it('each entry of the n x m matrix is the single-pair distance (row-major)', () => {
    for (const [measure, options] of measures) {
      const r = pairwiseDistances(measure, A, B, options);
      expect([r.rows, r.cols, r.data.length]).toEqual([3, 2, 6]);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          const a = A.coords.subarray(2 * (A.offsets[i] as number), 2 * (A.offsets[i + 1] as number));
          const b = B.coords.subarray(2 * (B.offsets[j] as number), 2 * (B.offsets[j + 1] as number));
          expect(r.data[i * 2 + j]).toBe(trajectoryDistance(measure, a, b, options));
        }
      }
      const q = A.coords.subarray(0, 12);
      expect(Array.from(oneToManyDistances(measure, q, B, options))).toEqual(Array.from(r.data.subarray(0, 2)));
    }
  });

  it('self-similarity: zero diagonal, symmetric for symmetric measures', () => {
    const r = pairwiseDistances('frechet', A, A);
    for (let i = 0; i < 3; i++) {
      expect(r.data[i * 3 + i]).toBe(0);
      for (let j = 0; j < 3; j++) expect(r.data[i * 3 + j]).toBe(r.data[j * 3 + i]);
    }
  });

  it('an empty batch gives an empty matrix', () => {
    const empty = { coords: new Float64Array(0), offsets: new Int32Array([0]) };
    expect(pairwiseDistances('dtw', empty, B).data.length).toBe(0);
    expect(pairwiseDistances('dtw', A, empty)).toMatchObject({ rows: 3, cols: 0 });
  });
});

describe('bad input', () => {
  const good = batchFromArrays([
    [39.9, 116.3, 39.91, 116.31],
    [39.9, 116.3],
  ]);

  it('an empty trajectory names its index', () => {
    const b = { coords: new Float64Array([39.9, 116.3]), offsets: new Int32Array([0, 1, 1]) };
    const e = errorOf(() => pairwiseDistances('dtw', good, b));
    expect(e.code).toBe('INVALID_LENGTH');
    expect(e.details).toMatchObject({ argument: 'b', trajectory: 1, length: 0 });
    expect(errorOf(() => trajectoryDistance('dtw', [], [1, 2])).code).toBe('INVALID_LENGTH');
  });

  it('NaN and out-of-range coordinates name the point', () => {
    const nan = { coords: new Float64Array([39.9, 116.3, Number.NaN, 116.3]), offsets: new Int32Array([0, 1, 2]) };
    expect(errorOf(() => pairwiseDistances('dtw', nan, good)).details).toMatchObject({ argument: 'a', trajectory: 1, index: 1, point: 0 });
    expect(errorOf(() => pairwiseDistances('dtw', nan, good)).code).toBe('NOT_FINITE');
    const far = { coords: new Float64Array([39.9, 116.3, 39.9, 190]), offsets: new Int32Array([0, 2]) };
    const e = errorOf(() => oneToManyDistances('frechet', [39.9, 116.3], far));
    expect(e.code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(e.details).toMatchObject({ trajectory: 0, index: 1, point: 1 });
    // Euclidean data has no range.
    expect(oneToManyDistances('frechet', [39.9, 116.3], far, E)[0]).toBeCloseTo(Math.hypot(0, 190 - 116.3), 9);
    expect(errorOf(() => trajectoryDistance('dtw', [91, 0], [0, 0])).code).toBe('COORDINATE_OUT_OF_RANGE');
  });

  it('offsets that do not match the coordinates', () => {
    const short = { coords: new Float64Array(6), offsets: new Int32Array([0, 2]) };
    expect(errorOf(() => pairwiseDistances('dtw', short, good, E)).details).toMatchObject({ argument: 'a.offsets', index: 1, expected: 3 });
    const decreasing = { coords: new Float64Array(6), offsets: new Int32Array([0, 2, 1, 3]) };
    const e = errorOf(() => pairwiseDistances('dtw', decreasing, good, E));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ argument: 'a.offsets', index: 2 });
    const notZero = { coords: new Float64Array(6), offsets: new Int32Array([1, 3]) };
    expect(errorOf(() => pairwiseDistances('dtw', notZero, good, E)).details).toMatchObject({ index: 0 });
    const odd = { coords: new Float64Array(5), offsets: new Int32Array([0, 2]) };
    expect(errorOf(() => pairwiseDistances('dtw', odd, good, E)).code).toBe('INVALID_LENGTH');
    const ids = { ...good, ids: ['only one'] };
    expect(errorOf(() => pairwiseDistances('dtw', ids, good)).details).toMatchObject({ argument: 'a.ids', expected: 2 });
    const times = { ...good, times: new Float64Array(1) };
    expect(errorOf(() => pairwiseDistances('dtw', times, good)).details).toMatchObject({ argument: 'a.times', expected: 3 });
  });

  it('options', () => {
    expect(errorOf(() => trajectoryDistance('nope' as SimilarityMeasure, [0, 0], [0, 0])).details).toMatchObject({ argument: 'measure' });
    expect(errorOf(() => trajectoryDistance('edr', [0, 0], [0, 0])).details).toMatchObject({ argument: 'eps' });
    expect(errorOf(() => trajectoryDistance('lcss', [0, 0], [0, 0], { eps: -1 })).details).toMatchObject({ argument: 'eps' });
    expect(errorOf(() => trajectoryDistance('frechet', [0, 0], [0, 0], { band: 2 })).details).toMatchObject({ argument: 'band' });
    expect(errorOf(() => trajectoryDistance('dtw', [0, 0], [0, 0], { band: 1.5 })).details).toMatchObject({ argument: 'band' });
    expect(errorOf(() => trajectoryDistance('dtw', [0, 0], [0, 0], { metric: 'manhattan' as 'euclidean' })).details).toMatchObject({
      argument: 'metric',
    });
    expect(errorOf(() => trajectoryDistance('dtw', [0, 0], [0, 0], { radius: 0 })).details).toMatchObject({ argument: 'radius' });
    expect(errorOf(() => trajectoryDistance('erp', [0, 0], [0, 0], { gap: [95, 0] })).code).toBe('COORDINATE_OUT_OF_RANGE');
  });
});
