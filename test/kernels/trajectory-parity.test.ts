/**
 * Parity of the C++ CPU trajectory kernels (src/kernels/trajectory/native.ts) with the TypeScript
 * reference: every similarity measure (pairwise and one-to-many, haversine and Euclidean, DTW full
 * and banded) on random walks and on real GeoLife trips within 1e-9 relative; simplification keep
 * masks and stay points identical; edge cases (one point, identical trajectories, band 0);
 * bit-identical results across native threads, row splits and sync / async calls; cancellation
 * and shape errors. Skipped, with the reason in the test name, when the addon lacks the kernels.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGeolifeSample } from '../../src/data/geolife.js';
import { batchFromArrays, selectTrajectories } from '../../src/kernels/trajectory/batch.js';
import { checkTimeOrder, segmentTrips } from '../../src/kernels/trajectory/clean.js';
import {
  nativeDetectStayPoints,
  nativeDouglasPeucker,
  nativeOneToManyDistances,
  nativePairwiseDistances,
  nativeTdTr,
  nativeTrajectoryStatus,
} from '../../src/kernels/trajectory/native.js';
import { oneToManyDistances, pairwiseDistances } from '../../src/kernels/trajectory/similarity.js';
import { douglasPeucker, tdTr } from '../../src/kernels/trajectory/simplify.js';
import { detectStayPoints } from '../../src/kernels/trajectory/stay-points.js';
import type { SimilarityMeasure, SimilarityOptions, TrajectoryBatch } from '../../src/kernels/trajectory/types.js';
import { loadAddon } from '../../src/native/addon.js';
import { defaultDataDir } from '../../src/paths.js';
import { mulberry32 } from '../helpers/random.js';

const status = nativeTrajectoryStatus();
const skip = !status.ok;
const label = status.ok ? '' : ` (skipped: native trajectory kernels unavailable: ${status.reason})`;
if (!status.ok) console.warn(`skipped: trajectory parity tests: ${status.reason}`);
const hasGeolife = existsSync(join(defaultDataDir(), 'traj', 'geolife_sample', 'geolife_sample.txt.gz'));

/** Random walks: geographic around Beijing (steps up to ~110 m) or planar (unit steps); lengths in [minLen, maxLen]. */
function randomWalks(count: number, minLen: number, maxLen: number, seed: number, geographic: boolean): TrajectoryBatch {
  const rnd = mulberry32(seed);
  const coords: number[][] = [];
  for (let t = 0; t < count; t++) {
    const n = minLen + Math.floor(rnd() * (maxLen - minLen + 1));
    let y = geographic ? 39.9 + 0.1 * (rnd() - 0.5) : 20 * (rnd() - 0.5);
    let x = geographic ? 116.4 + 0.1 * (rnd() - 0.5) : 20 * (rnd() - 0.5);
    const step = geographic ? 0.002 : 2;
    const c: number[] = [];
    for (let p = 0; p < n; p++) {
      c.push(y, x);
      y += step * (rnd() - 0.5);
      x += step * (rnd() - 0.5);
    }
    coords.push(c);
  }
  const times = coords.map((c) => Array.from({ length: c.length / 2 }, (_, p) => 1.2e9 + 5 * p + (seed % 7)));
  return batchFromArrays(coords, times);
}

/** Largest |got - ref| / (1e-9 |ref|) (<= 1 passes); exact zeros must stay exact. */
function worstRelative(got: Float64Array, ref: Float64Array): number {
  expect(got.length).toBe(ref.length);
  let worst = 0;
  for (let k = 0; k < ref.length; k++) {
    const r = ref[k] as number;
    const g = got[k] as number;
    if (g === r) continue;
    worst = Math.max(worst, r === 0 ? Number.POSITIVE_INFINITY : Math.abs(g - r) / (1e-9 * Math.abs(r)));
  }
  return worst;
}

/** Every measure with the options a caller would pass, for haversine (metres) or planar data. */
function measureCases(geographic: boolean): Array<[SimilarityMeasure, SimilarityOptions]> {
  const base: SimilarityOptions = geographic ? {} : { metric: 'euclidean' };
  const eps = geographic ? 60 : 1.5;
  return [
    ['dtw', base],
    ['dtw', { ...base, band: 0 }],
    ['dtw', { ...base, band: 5 }],
    ['frechet', base],
    ['hausdorff', base],
    ['erp', { ...base, gap: geographic ? [39.9, 116.4] : [0, 0] }],
    ['edr', { ...base, eps }],
    ['lcss', { ...base, eps }],
    ['lcss', { ...base, eps, delta: 4 }],
  ];
}

const caseName = ([m, o]: [SimilarityMeasure, SimilarityOptions]) =>
  `${m}${o.band !== undefined ? ` band ${o.band}` : ''}${o.delta !== undefined ? ` delta ${o.delta}` : ''}`;

let geolife: TrajectoryBatch | undefined;
const sample = (): TrajectoryBatch => {
  geolife ??= loadGeolifeSample();
  return geolife;
};

/** GeoLife trips (300 s gaps) with strictly increasing times, as a batch. */
function geolifeTrips(minPoints: number): TrajectoryBatch {
  const trips = segmentTrips(sample(), { maxGap: 300, minPoints }).batch;
  const bad = new Set(checkTimeOrder(trips).map((i) => i.trajectory));
  const good: number[] = [];
  for (let t = 0; t < trips.offsets.length - 1; t++) if (!bad.has(t)) good.push(t);
  return selectTrajectories(trips, good);
}

/** Trajectories of `batch` whose lengths lie in [lo, hi], at most `count`, spread over the batch. */
function pick(batch: TrajectoryBatch, lo: number, hi: number, count: number, phase: number): TrajectoryBatch {
  const ok: number[] = [];
  for (let t = 0; t < batch.offsets.length - 1; t++) {
    const len = (batch.offsets[t + 1] as number) - (batch.offsets[t] as number);
    if (len >= lo && len <= hi) ok.push(t);
  }
  const stride = Math.max(1, Math.floor(ok.length / count));
  const which = ok.filter((_, k) => k % stride === phase % stride).slice(0, count);
  return selectTrajectories(batch, which);
}

describe(`native trajectory similarity vs TS reference${label}`, () => {
  for (const geographic of [true, false]) {
    const a = randomWalks(23, 1, 70, geographic ? 1 : 2, geographic);
    const b = randomWalks(31, 1, 70, geographic ? 3 : 4, geographic);
    for (const c of measureCases(geographic)) {
      it.skipIf(skip)(`${geographic ? 'haversine' : 'euclidean'} ${caseName(c)}: random walks, pairwise and one-to-many`, async () => {
        const [measure, options] = c;
        const ref = pairwiseDistances(measure, a, b, options);
        const got = await nativePairwiseDistances(measure, a, b, options);
        expect([got.rows, got.cols]).toEqual([23, 31]);
        expect(worstRelative(got.data, ref.data)).toBeLessThanOrEqual(1);
        if (measure === 'edr' || measure === 'lcss') expect(Array.from(got.data)).toEqual(Array.from(ref.data));
        const query = a.coords.subarray(2 * (a.offsets[5] as number), 2 * (a.offsets[6] as number));
        const one = await nativeOneToManyDistances(measure, query, b, options);
        expect(worstRelative(one, oneToManyDistances(measure, query, b, options))).toBeLessThanOrEqual(1);
        // One-to-many is the same computation as a pairwise row: bit for bit.
        expect(Array.from(one)).toEqual(Array.from(got.data.subarray(5 * 31, 6 * 31)));
      });
    }
  }

  it.skipIf(skip || !hasGeolife)(
    'real GeoLife trips (50-200 fixes): every measure within 1e-9 relative',
    async () => {
      const trips = geolifeTrips(50);
      const a = pick(trips, 50, 200, 16, 0);
      const b = pick(trips, 50, 200, 18, 1);
      expect(a.offsets.length - 1).toBe(16);
      for (const [measure, options] of measureCases(true)) {
        const ref = pairwiseDistances(measure, a, b, options);
        const got = await nativePairwiseDistances(measure, a, b, options, { threads: 2 });
        expect(worstRelative(got.data, ref.data), `${measure}`).toBeLessThanOrEqual(1);
      }
    },
    60_000,
  );

  it.skipIf(skip)('edge cases: one point, identical trajectories, band 0 (equal and unequal lengths)', async () => {
    const one = [39.9, 116.4];
    const walk = randomWalks(3, 12, 12, 9, true);
    const w0 = Array.from(walk.coords.subarray(0, 24));
    const w1 = Array.from(walk.coords.subarray(24, 48));
    const longer = Array.from(randomWalks(1, 17, 17, 10, true).coords);
    const a = batchFromArrays([one, w0, w0, one]);
    const b = batchFromArrays([one, w0, w1, longer, [39.9, 116.4]]);
    for (const [measure, options] of measureCases(true)) {
      const ref = pairwiseDistances(measure, a, b, options);
      const got = await nativePairwiseDistances(measure, a, b, options);
      expect(worstRelative(got.data, ref.data), `${measure}`).toBeLessThanOrEqual(1);
      // Identical trajectories (w0 vs w0, one point vs the same point) are at distance exactly 0.
      expect(got.data[1 * 5 + 1]).toBe(0);
      expect(got.data[0 * 5 + 4]).toBe(0);
    }
    // Band 0 on equal lengths is the sum along the diagonal; on 12 vs 17 points it widens to 5.
    const diag = pairwiseDistances('dtw', batchFromArrays([w0]), batchFromArrays([w1]), { band: 0 }).data[0] as number;
    const nat = await nativePairwiseDistances('dtw', batchFromArrays([w0]), batchFromArrays([w1, longer]), { band: 0 });
    expect(Math.abs((nat.data[0] as number) - diag)).toBeLessThanOrEqual(1e-9 * diag);
    const band5 = await nativePairwiseDistances('dtw', batchFromArrays([w0]), batchFromArrays([longer]), { band: 5 });
    expect(nat.data[1]).toBe(band5.data[0]);
  });

  it.skipIf(skip)('threads, row splits and sync / async give bit-identical matrices', async () => {
    const a = randomWalks(19, 5, 60, 21, true);
    const b = randomWalks(27, 5, 60, 22, true);
    const one = await nativePairwiseDistances('frechet', a, b, undefined, { threads: 1 });
    const three = await nativePairwiseDistances('frechet', a, b, undefined, { threads: 3, sync: true });
    expect(Buffer.compare(Buffer.from(one.data.buffer), Buffer.from(three.data.buffer))).toBe(0);
    const top = await nativePairwiseDistances('frechet', a, b, undefined, { rowBegin: 0, rowEnd: 7, threads: 2 });
    const bottom = await nativePairwiseDistances('frechet', a, b, undefined, { rowBegin: 7, rowEnd: 19 });
    const joined = new Float64Array(19 * 27);
    joined.set(top.data.subarray(0, 7 * 27));
    joined.set(bottom.data.subarray(7 * 27), 7 * 27);
    expect(Array.from(joined)).toEqual(Array.from(one.data));
    // Rows outside the range are not written.
    expect(top.data[7 * 27]).toBe(0);
  });

  it.skipIf(skip)('cancellation rejects with ABORTED; bad shapes throw INVALID_ARGUMENT from the addon', async () => {
    const a = randomWalks(40, 20, 20, 5, true);
    await expect(nativePairwiseDistances('dtw', a, a, undefined, { cancel: Int32Array.of(1), threads: 2 })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    const load = loadAddon();
    if (!load.ok || !load.addon.trajectoryPairwise) throw new Error('unreachable');
    const f = load.addon.trajectoryPairwise;
    const out = new Float64Array(40 * 40);
    const base = {
      measure: 'dtw' as const,
      metric: 'haversine' as const,
      aCoords: a.coords,
      aOffsets: a.offsets,
      bCoords: a.coords,
      bOffsets: a.offsets,
      out,
      rowBegin: 0,
      rowEnd: 40,
      sync: true,
    };
    const bad = Int32Array.from(a.offsets);
    bad[3] = (bad[2] as number) - 1;
    expect(() => f({ ...base, aOffsets: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => f({ ...base, out: new Float64Array(10) })).toThrow(/out is too short/);
    expect(() => f({ ...base, rowEnd: 41 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const empty = Int32Array.from([...a.offsets, a.offsets[40] as number]);
    expect(() => f({ ...base, bOffsets: empty, out: new Float64Array(40 * 41) })).toThrow(/trajectory 40 is empty/);
  });
});

describe(`native simplification and stay points vs TS reference${label}`, () => {
  it.skipIf(skip)('Douglas–Peucker and TD-TR keep masks are identical on random walks (haversine and euclidean)', async () => {
    for (const geographic of [true, false]) {
      const batch = randomWalks(40, 0, 300, geographic ? 31 : 32, geographic);
      const options = geographic ? {} : ({ metric: 'euclidean' } as const);
      const tol = geographic ? 40 : 0.8;
      const dp = await nativeDouglasPeucker(batch, tol, options, { threads: 2 });
      const dpRef = douglasPeucker(batch, tol, options);
      expect(Array.from(dp.keep)).toEqual(Array.from(dpRef.keep));
      expect(dp.batch).toEqual(dpRef.batch);
      const sed = await nativeTdTr(batch, tol, options);
      const sedRef = tdTr(batch, tol, options);
      expect(Array.from(sed.keep)).toEqual(Array.from(sedRef.keep));
      expect(sed.batch).toEqual(sedRef.batch);
    }
  });

  it.skipIf(skip || !hasGeolife)(
    'Douglas–Peucker and TD-TR on every GeoLife trip: identical keep masks',
    async () => {
      const trips = geolifeTrips(2);
      for (const tol of [5, 15, 50]) {
        const dp = await nativeDouglasPeucker(trips, tol);
        const dpRef = douglasPeucker(trips, tol);
        expect(Array.from(dp.keep)).toEqual(Array.from(dpRef.keep));
        const sed = await nativeTdTr(trips, tol, undefined, { threads: 2 });
        const sedRef = tdTr(trips, tol);
        expect(Array.from(sed.keep)).toEqual(Array.from(sedRef.keep));
        expect(sed.batch.offsets).toEqual(sedRef.batch.offsets);
      }
    },
    60_000,
  );

  it.skipIf(skip || !hasGeolife)(
    'stay points on GeoLife (users and trips) are identical',
    async () => {
      const user0 = selectTrajectories(sample(), [0]);
      const trips = geolifeTrips(2);
      for (const [batch, distance, duration] of [
        [user0, 200, 1800],
        [trips, 100, 300],
        [trips, 30, 60],
      ] as const) {
        const ref = detectStayPoints(batch, { distance, duration });
        const got = await nativeDetectStayPoints(batch, { distance, duration }, { threads: 2 });
        expect(ref.trajectory.length).toBeGreaterThan(5);
        expect(got).toEqual(ref);
      }
    },
    60_000,
  );

  it.skipIf(skip)('stay points: random walks, euclidean, single-point and empty trajectories', async () => {
    const batch = randomWalks(30, 0, 200, 41, false);
    const ref = detectStayPoints(batch, { metric: 'euclidean', distance: 1.5, duration: 20 });
    const got = await nativeDetectStayPoints(batch, { metric: 'euclidean', distance: 1.5, duration: 20 });
    expect(ref.trajectory.length).toBeGreaterThan(0);
    expect(got).toEqual(ref);
    // Row range: only trajectories [10, 20) are scanned.
    const part = await nativeDetectStayPoints(batch, { metric: 'euclidean', distance: 1.5, duration: 20 }, { rowBegin: 10, rowEnd: 20 });
    expect(Array.from(part.trajectory)).toEqual(Array.from(ref.trajectory).filter((t) => t >= 10 && t < 20));
  });
});
