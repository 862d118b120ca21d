/** Top-k similarity search: pruned results identical to exhaustive search, admissible bounds, bad input. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGeolifeSample } from '../../src/data/geolife.js';
import { WaybillError } from '../../src/errors.js';
import {
  batchFromArrays,
  oneToManyDistances,
  resampleTrajectories,
  type SimilarityMeasure,
  segmentTrips,
  selectTrajectories,
  similarityLowerBound,
  type TopKOptions,
  topKSimilar,
  trajectoryDistance,
} from '../../src/kernels/trajectory/index.js';
import { defaultDataDir } from '../../src/paths.js';

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

function walk(rand: () => number, n: number, lat0 = 39.9, lng0 = 116.3): number[] {
  const out: number[] = [];
  let lat = lat0 + rand() * 0.1;
  let lng = lng0 + rand() * 0.1;
  for (let i = 0; i < n; i++) {
    out.push(lat, lng);
    lat += (rand() - 0.5) * 0.003;
    lng += (rand() - 0.5) * 0.003;
  }
  return out;
}

/** Exhaustive top-k computed independently: all distances, sorted by (distance, index). */
function bruteForce(query: number[] | Float64Array, batch: ReturnType<typeof batchFromArrays>, k: number, options: TopKOptions) {
  const d = oneToManyDistances(options.measure ?? 'dtw', query, batch, options);
  const order = Array.from(d.keys()).sort((a, b) => (d[a] as number) - (d[b] as number) || a - b);
  return { indices: order.slice(0, k), distances: order.slice(0, k).map((j) => d[j] as number) };
}

const CONFIGS: TopKOptions[] = [
  { measure: 'dtw' },
  { measure: 'dtw', band: 3 },
  { measure: 'dtw', band: 0 },
  { measure: 'frechet' },
  { measure: 'hausdorff' },
  { measure: 'dtw', metric: 'euclidean' },
  { measure: 'frechet', metric: 'euclidean' },
  { measure: 'edr', eps: 100 },
];

describe('top-k on random walks', () => {
  const rand = rng(42);
  const trajectories = Array.from({ length: 150 }, (_, i) => walk(rand, 4 + (i % 17)));
  // Exact copies create ties that must be ordered by index the same way in both searches.
  trajectories.push(trajectories[3] as number[], trajectories[10] as number[], trajectories[3] as number[]);
  const batch = batchFromArrays(trajectories);

  it('pruned == exhaustive == independent brute force, for every measure, k and query', () => {
    let pruned = 0;
    for (const options of CONFIGS) {
      for (const qi of [3, 10, 77]) {
        const query = trajectories[qi] as number[];
        for (const k of [1, 2, 5, 20]) {
          const fast = topKSimilar(query, batch, k, options);
          const slow = topKSimilar(query, batch, k, { ...options, prune: false });
          const ref = bruteForce(query, batch, k, options);
          expect(Array.from(fast.indices)).toEqual(ref.indices);
          expect(Array.from(fast.distances)).toEqual(ref.distances);
          expect(Array.from(slow.indices)).toEqual(ref.indices);
          expect(Array.from(slow.distances)).toEqual(ref.distances);
          expect(fast.stats.computed + fast.stats.pruned + fast.stats.abandoned).toBe(batch.ids.length);
          expect(slow.stats).toMatchObject({ computed: batch.ids.length, pruned: 0, abandoned: 0 });
          pruned += fast.stats.pruned + fast.stats.abandoned;
        }
      }
    }
    // The bounds must actually do something, or the test proves nothing about them.
    expect(pruned).toBeGreaterThan(1000);
  });

  it('ties: exact copies of the query come first, lowest index first', () => {
    const r = topKSimilar(trajectories[3] as number[], batch, 3);
    expect(Array.from(r.indices)).toEqual([3, 150, 152]);
    expect(Array.from(r.distances)).toEqual([0, 0, 0]);
  });

  it('k = all candidates returns every candidate in order', () => {
    const r = topKSimilar(trajectories[0] as number[], batch, batch.ids.length, { measure: 'frechet' });
    expect(r.indices.length).toBe(batch.ids.length);
    expect(new Set(r.indices).size).toBe(batch.ids.length);
    for (let i = 1; i < r.distances.length; i++) expect(r.distances[i]).toBeGreaterThanOrEqual(r.distances[i - 1] as number);
  });

  it('the lower bounds are admissible (never above the distance)', () => {
    const measures: Array<[SimilarityMeasure, TopKOptions]> = [
      ['dtw', {}],
      ['dtw', { band: 2 }],
      ['frechet', {}],
      ['hausdorff', {}],
      ['dtw', { metric: 'euclidean' }],
    ];
    let positive = 0;
    for (let i = 0; i < 60; i++) {
      const a = trajectories[i] as number[];
      const b = trajectories[(i * 7 + 1) % 150] as number[];
      for (const [measure, options] of measures) {
        const lb = similarityLowerBound(a, b, { ...options, measure });
        const d = trajectoryDistance(measure, a, b, options);
        expect(lb).toBeLessThanOrEqual(d * (1 + 1e-12));
        if (lb > 0) positive++;
      }
    }
    expect(positive).toBeGreaterThan(200);
  });

  it('haversine bounds hold across the antimeridian and near a pole', () => {
    const r2 = rng(5);
    for (let i = 0; i < 40; i++) {
      const a = walk(r2, 6, 70 + r2() * 15, 179.9).map((v, k) => (k % 2 === 1 && v > 180 ? v - 360 : v));
      const b = walk(r2, 8, 70 + r2() * 15, -180).map((v, k) => (k % 2 === 1 && v < -180 ? v + 360 : v));
      for (const measure of ['dtw', 'frechet', 'hausdorff'] as const) {
        expect(similarityLowerBound(a, b, { measure })).toBeLessThanOrEqual(trajectoryDistance(measure, a, b) * (1 + 1e-12));
      }
    }
  });
});

const GEOLIFE = join(defaultDataDir(), 'traj', 'geolife_sample', 'geolife_sample.txt.gz');

describe.skipIf(!existsSync(GEOLIFE))('top-k on real GeoLife trips', () => {
  it('pruned search equals exhaustive search and skips most candidates', () => {
    const trips = segmentTrips(loadGeolifeSample(), { maxGap: 300, minPoints: 60 }).batch;
    // Resample to 30 s so trips are comparable and the test stays fast; keep 240 of them.
    const every = Math.max(1, Math.floor(trips.ids.length / 240));
    const pick = Array.from({ length: Math.min(240, trips.ids.length) }, (_, i) => i * every);
    const batch = resampleTrajectories(selectTrajectories(trips, pick), 30);
    expect(batch.ids.length).toBe(240);
    for (const options of [{ measure: 'dtw', band: 10 }, { measure: 'dtw' }, { measure: 'frechet' }] as TopKOptions[]) {
      for (const qi of [0, 101, 202]) {
        const q = batch.coords.subarray(2 * (batch.offsets[qi] as number), 2 * (batch.offsets[qi + 1] as number));
        const fast = topKSimilar(q, batch, 10, options);
        const slow = topKSimilar(q, batch, 10, { ...options, prune: false });
        expect(Array.from(fast.indices)).toEqual(Array.from(slow.indices));
        expect(Array.from(fast.distances)).toEqual(Array.from(slow.distances));
        expect(fast.indices[0]).toBe(qi);
        expect(fast.stats.computed).toBeLessThan(batch.ids.length / 2);
      }
    }
  });
});

describe('bad input', () => {
  const batch = batchFromArrays([
    [39.9, 116.3, 39.91, 116.31],
    [39.9, 116.3],
  ]);
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(WaybillError);
      return (err as WaybillError).code;
    }
    throw new Error('expected a WaybillError');
  };
  it('k outside 1..m, an empty query, a NaN in a candidate', () => {
    expect(codeOf(() => topKSimilar([39.9, 116.3], batch, 0))).toBe('INVALID_K');
    expect(codeOf(() => topKSimilar([39.9, 116.3], batch, 3))).toBe('INVALID_K');
    expect(codeOf(() => topKSimilar([39.9, 116.3], batch, 1.5))).toBe('INVALID_K');
    expect(codeOf(() => topKSimilar([], batch, 1))).toBe('INVALID_LENGTH');
    const nan = { coords: new Float64Array([39.9, Number.NaN]), offsets: new Int32Array([0, 1]) };
    expect(codeOf(() => topKSimilar([39.9, 116.3], nan, 1))).toBe('NOT_FINITE');
  });
});
