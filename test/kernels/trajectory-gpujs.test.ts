/**
 * gpu.js pairwise trajectory distances (src/kernels/trajectory/gpujs.ts) against the TypeScript
 * reference: DTW (full and banded), discrete Fréchet and Hausdorff, haversine and Euclidean, on
 * real GeoLife segments and on synthetic cases (hand-computed values, lengths 1 .. 256, band
 * edges, identical trajectories, continent-scale and antipodal distances, large offsets); the
 * 256-point limit and other refusals as coded errors; the engine's dispatch and `gpujsMode`;
 * POST /v1/trajectories/similarity with backend 'gpujs'.
 *
 * Tolerance (float32, see the precision note in gpujs.ts): per pair of n and m points,
 *   |gpujs - ref| <= c_rel x ref + c_abs x S,
 * S the diagonal of the bounding box of all points of the call (metres on the sphere, or data
 * units), with c_rel = 1e-6 + (n + m) x 2e-7 and c_abs = (n + m) x 4e-7 for DTW (a sum of up to
 * n + m - 1 float32 ground distances), c_rel = 1e-6 and c_abs = 4e-7 for Fréchet and Hausdorff
 * (one ground distance each). Why not relative alone: the kernels see coordinates rounded to
 * float32 around the data's centre, an absolute error of ~1e-7 x S per point whatever the
 * distance, so two nearly identical trajectories have a small reference distance but not a
 * proportionally small error. Measured worst in webasm mode: 0.1 of this bound (Fréchet and
 * Hausdorff; DTW 0.02); the margin is for GL drivers, whose sqrt and division need not be
 * correctly rounded. Dropping the centring, the band, a term of the angle series or of the atan
 * polynomial, or the Euclidean scaling each fails a test here (tried).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { geolifeSegments } from '../../bench/trajectory-segments.js';
import { createEngine, WaybillError } from '../../src/index.js';
import { haversine } from '../../src/kernels/geo/haversine-matrix.js';
import { EARTH_RADIUS_M } from '../../src/kernels/geo/types.js';
import { batchFromArrays, selectTrajectories } from '../../src/kernels/trajectory/batch.js';
import { GPUJS_MIN_TRAJECTORY_PAIRS } from '../../src/kernels/trajectory/engine.js';
import {
  GPUJS_MAX_TRAJECTORY_POINTS,
  gpujsPairwiseDistances,
  gpujsTrajectoryRejects,
  gpujsTrajectoryStatus,
} from '../../src/kernels/trajectory/gpujs.js';
import { pairwiseDistances } from '../../src/kernels/trajectory/similarity.js';
import type { SimilarityMeasure, SimilarityOptions, SpatialBatch, TrajectoryBatch } from '../../src/kernels/trajectory/types.js';
import { defaultDataDir } from '../../src/paths.js';
import { buildServer } from '../../src/server/app.js';
import { mulberry32 } from '../helpers/random.js';

const status = gpujsTrajectoryStatus();
const skip = !status.ok;
// Never a silent skip: say why the parity tests do not run.
if (!status.ok) console.warn(`skipped: gpu.js trajectory kernels: ${status.reason}`);
const label = status.ok ? '' : ` (skipped: ${status.reason})`;
// GL modes compile each unrolled kernel once, slowly on a software GL (ANGLE + llvmpipe: ~20 s for
// 128 haversine columns); webasm compiles in under a second.
const compileTimeout = status.ok && !['webasm', 'cpu'].includes(status.mode) ? 600_000 : 30_000;
const hasGeolife = existsSync(join(defaultDataDir(), 'traj', 'geolife_sample', 'geolife_sample.txt.gz'));
if (!hasGeolife) console.warn(`skipped: gpu.js GeoLife parity: no geolife_sample under ${defaultDataDir()}`);

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());

/** Diagonal of the bounding box of every point of both batches: metres (haversine) or data units. */
function spread(a: SpatialBatch, b: SpatialBatch, geographic: boolean): number {
  const box = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const c of [a.coords, b.coords]) {
    for (let p = 0; p + 1 < c.length; p += 2) {
      box[0] = Math.min(box[0] as number, c[p] as number);
      box[1] = Math.min(box[1] as number, c[p + 1] as number);
      box[2] = Math.max(box[2] as number, c[p] as number);
      box[3] = Math.max(box[3] as number, c[p + 1] as number);
    }
  }
  const [y0, x0, y1, x1] = box as [number, number, number, number];
  return geographic ? haversine(y0, x0, y1, x1, EARTH_RADIUS_M) : Math.hypot(y1 - y0, x1 - x0);
}

const lengthOf = (b: SpatialBatch, t: number) => (b.offsets[t + 1] as number) - (b.offsets[t] as number);

/**
 * Largest |got - ref| / tolerance over the matrix (<= 1 passes; see the header); every entry
 * must be finite and an exact reference zero must stay exactly zero.
 */
function worstRatio(measure: SimilarityMeasure, a: SpatialBatch, b: SpatialBatch, options: SimilarityOptions, got: Float64Array): number {
  const ref = pairwiseDistances(measure, a, b, options).data;
  expect(got.length).toBe(ref.length);
  const s = spread(a, b, options.metric !== 'euclidean');
  const cols = b.offsets.length - 1;
  let worst = 0;
  for (let k = 0; k < ref.length; k++) {
    const r = ref[k] as number;
    const g = got[k] as number;
    if (!Number.isFinite(g)) return Number.POSITIVE_INFINITY;
    if (r === 0) {
      if (g !== 0) return Number.POSITIVE_INFINITY;
      continue;
    }
    const terms = measure === 'dtw' ? lengthOf(a, Math.floor(k / cols)) + lengthOf(b, k % cols) : 1;
    const tol = (1e-6 + (measure === 'dtw' ? terms * 2e-7 : 0)) * r + terms * 4e-7 * s;
    worst = Math.max(worst, Math.abs(g - r) / tol);
  }
  return worst;
}

/** Random walks, lengths in [lo, hi]: around Beijing (steps up to ~110 m) or planar (unit steps). */
function walks(count: number, lo: number, hi: number, seed: number, geographic: boolean): TrajectoryBatch {
  const rnd = mulberry32(seed);
  const coords: number[][] = [];
  for (let t = 0; t < count; t++) {
    const n = lo + Math.floor(rnd() * (hi - lo + 1));
    let y = geographic ? 39.9 + 0.05 * (rnd() - 0.5) : 10 * (rnd() - 0.5);
    let x = geographic ? 116.4 + 0.05 * (rnd() - 0.5) : 10 * (rnd() - 0.5);
    const c: number[] = [];
    for (let p = 0; p < n; p++) {
      c.push(y, x);
      y += (geographic ? 0.002 : 2) * (rnd() - 0.5);
      x += (geographic ? 0.002 : 2) * (rnd() - 0.5);
    }
    coords.push(c);
  }
  return batchFromArrays(coords);
}

const CASES: Array<[string, SimilarityMeasure, SimilarityOptions]> = [
  ['dtw', 'dtw', {}],
  ['dtw band 0', 'dtw', { band: 0 }],
  ['dtw band 3', 'dtw', { band: 3 }],
  ['frechet', 'frechet', {}],
  ['hausdorff', 'hausdorff', {}],
];

async function codeOf(p: Promise<unknown>): Promise<{ code: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a rejection');
}

describe('gpu.js trajectory backend: real mode', () => {
  it('reports the mode gpu.js really runs in; a CPU mode says why it is not on a GPU', () => {
    if (!status.ok) {
      expect(status.reason).toMatch(/gpu\.js/);
      return;
    }
    expect(status.mode).toMatch(/^(gpu|webgl|webgl2|headlessgl|webgpu|webasm|cpu)$/);
    expect(status.details.version).toEqual(expect.any(String));
    if (['webasm', 'cpu'].includes(status.mode)) {
      expect(status.onGpu).toBe(false);
      expect(status.reason).toContain(`gpu.js running in ${status.mode} mode`);
    }
  });

  it('automatic dispatch picks gpujs only on a real GPU, even with native off and many pairs', async () => {
    const noNative = createEngine({ workers: 0, backends: ['gpujs', 'js'] });
    try {
      const side = Math.ceil(Math.sqrt(GPUJS_MIN_TRAJECTORY_PAIRS));
      const tiny = walks(side, 2, 3, 5, true);
      const r = await noNative.kernels.trajectory.pairwise('dtw', tiny, tiny);
      expect(r.backend).toBe(status.ok && status.onGpu ? 'gpujs' : 'js');
      expect(r.rows * r.cols).toBeGreaterThanOrEqual(GPUJS_MIN_TRAJECTORY_PAIRS);
    } finally {
      await noNative.close();
    }
  });
});

describe(`gpu.js pairwise trajectory distances vs TS reference${label}`, { timeout: compileTimeout }, () => {
  const segments = skip || !hasGeolife ? undefined : geolifeSegments().windows;

  it.skipIf(skip || !hasGeolife)('GeoLife segments (~100 fixes), haversine: DTW full and band 10, Fréchet, Hausdorff', async () => {
    const w = segments as TrajectoryBatch;
    // Consecutive windows of the same trips (they meet end to start) against themselves and their
    // neighbours: near pairs, far pairs and exact zeros.
    const a = selectTrajectories(w, [0, 1, 2, 3, 4, 5, 6, 7, 40, 41, 200, 201]);
    const b = selectTrajectories(w, [1, 2, 3, 4, 5, 6, 7, 8, 40, 42, 201, 202, 900, 1500]);
    for (const [measure, options] of [
      ['dtw', {}],
      ['dtw', { band: 10 }],
      ['frechet', {}],
      ['hausdorff', {}],
    ] as Array<[SimilarityMeasure, SimilarityOptions]>) {
      const got = await gpujsPairwiseDistances(measure, a, b, options);
      expect([got.rows, got.cols, got.gpujsMode]).toEqual([12, 14, status.ok ? status.mode : '']);
      expect(worstRatio(measure, a, b, options, got.data), `${measure} ${JSON.stringify(options)}`).toBeLessThanOrEqual(1);
      // a[1] is b[0]: the same trajectory, distance exactly 0.
      expect(got.data[1 * 14 + 0]).toBe(0);
    }
  });

  it.skipIf(skip || !hasGeolife)('GeoLife segments as planar (lat, lng) data: Euclidean DTW and Hausdorff', async () => {
    const w = segments as TrajectoryBatch;
    const a = selectTrajectories(w, [10, 11, 12, 13, 14, 15, 300, 301]);
    const b = selectTrajectories(w, [11, 12, 13, 14, 16, 302, 303, 1200]);
    for (const measure of ['dtw', 'hausdorff'] as const) {
      const got = await gpujsPairwiseDistances(measure, a, b, { metric: 'euclidean' });
      expect(worstRatio(measure, a, b, { metric: 'euclidean' }, got.data), measure).toBeLessThanOrEqual(1);
    }
  });

  for (const geographic of [true, false]) {
    const a = walks(9, 1, 70, geographic ? 1 : 2, geographic);
    const b = walks(13, 1, 70, geographic ? 3 : 4, geographic);
    for (const [name, measure, options] of CASES) {
      it.skipIf(skip)(`random walks, lengths 1-70, ${geographic ? 'haversine' : 'euclidean'} ${name}`, async () => {
        const o = geographic ? options : { ...options, metric: 'euclidean' as const };
        const got = await gpujsPairwiseDistances(measure, a, b, o);
        expect(worstRatio(measure, a, b, o, got.data)).toBeLessThanOrEqual(1);
      });
    }
  }

  it.skipIf(skip)('hand-computed values: two parallel unit-spaced lines, one point against many', async () => {
    const a = batchFromArrays([
      [0, 0, 1, 0, 2, 0],
      [5, 5],
    ]);
    const b = batchFromArrays([
      [0, 1, 1, 1, 2, 1],
      [0, 0, 3, 4],
    ]);
    const o = { metric: 'euclidean' as const };
    const got = {
      dtw: (await gpujsPairwiseDistances('dtw', a, b, o)).data,
      frechet: (await gpujsPairwiseDistances('frechet', a, b, o)).data,
      hausdorff: (await gpujsPairwiseDistances('hausdorff', a, b, o)).data,
    };
    const s17 = Math.sqrt(17);
    const s41 = Math.sqrt(41);
    const s50 = Math.sqrt(50);
    // Worked by hand. a0 vs b0, lines 1 apart: the diagonal. a0 vs b1: (0,0)-(0,0), (1,0)-(0,0),
    // (2,0)-(3,4) for DTW; the farthest coupled / nearest pair is (2,0)-(3,4). a1 = (5,5) is
    // coupled with every point of b.
    const want = {
      dtw: [3, 1 + s17, s41 + Math.sqrt(32) + 5, s50 + Math.sqrt(5)],
      frechet: [1, s17, s41, s50],
      hausdorff: [1, s17, s41, s50],
    };
    for (const measure of ['dtw', 'frechet', 'hausdorff'] as const) {
      want[measure].forEach((v, k) => {
        expect(Math.abs((got[measure][k] as number) - v), `${measure} [${k}]`).toBeLessThanOrEqual(1e-6 * v);
      });
    }
  });

  it.skipIf(skip)('a band that binds: band 0 is the diagonal sum, not the full DTW', async () => {
    // b is a lagged by two points: full DTW warps the lag away, band 0 cannot.
    const line = (from: number, n: number) => Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0 : from + i / 2));
    const a = batchFromArrays([line(0, 20)]);
    const b = batchFromArrays([line(2, 20)]);
    const o = { metric: 'euclidean' as const };
    const full = (await gpujsPairwiseDistances('dtw', a, b, o)).data[0] as number;
    const band0 = (await gpujsPairwiseDistances('dtw', a, b, { ...o, band: 0 })).data[0] as number;
    const band1 = (await gpujsPairwiseDistances('dtw', a, b, { ...o, band: 1 })).data[0] as number;
    expect(band0).toBeCloseTo(40, 4); // 20 pairs 2 apart
    expect(full).toBeCloseTo(pairwiseDistances('dtw', a, b, o).data[0] as number, 4);
    expect(full).toBeLessThan(band1);
    expect(band1).toBeLessThan(band0);
    expect(band1).toBeCloseTo(pairwiseDistances('dtw', a, b, { ...o, band: 1 }).data[0] as number, 4);
  });

  it.skipIf(skip)(`the longest trajectories accepted: ${GPUJS_MAX_TRAJECTORY_POINTS} points, against 1, 200 and 255`, async () => {
    const rnd = mulberry32(9);
    const zigzag = (n: number) => Array.from({ length: 2 * n }, (_, i) => (i % 2 ? rnd() : i * 0.01));
    const a = batchFromArrays([zigzag(GPUJS_MAX_TRAJECTORY_POINTS), zigzag(200)]);
    const b = batchFromArrays([zigzag(GPUJS_MAX_TRAJECTORY_POINTS), zigzag(1), zigzag(255)]);
    for (const o of [{ metric: 'euclidean' as const }, { metric: 'euclidean' as const, band: 5 }]) {
      const got = await gpujsPairwiseDistances('dtw', a, b, o);
      expect(worstRatio('dtw', a, b, o, got.data)).toBeLessThanOrEqual(1);
    }
  });

  it.skipIf(skip)('regional, continent-scale and antipodal haversine distances (both branches of the angle)', async () => {
    const a = batchFromArrays([
      [0, 0, 10, 20, 45, 90, 89.9, 0],
      [-33.9, 151.2, 51.5, -0.1],
    ]);
    const b = batchFromArrays([
      [0, 180, -10, -160, -45, -90],
      [0, 0.0001],
      [33.9, -28.8, -51.5, 179.9],
    ]);
    for (const [, measure, options] of CASES) {
      const got = await gpujsPairwiseDistances(measure, a, b, options);
      expect(worstRatio(measure, a, b, options, got.data), measure).toBeLessThanOrEqual(1);
    }
    // Regional scale, 100-600 km (chords up to ~0.1, the series branch, where its |e|^3 / 24 term
    // is worth metres): walks around Beijing against walks moved to Tianjin, Shijiazhuang, Jinan.
    const beijing = walks(4, 5, 30, 51, true);
    const moved = walks(6, 5, 30, 52, true);
    const shift = [
      [-0.8, 0.8],
      [-1.9, -1.9],
      [-3.2, 0.6],
    ];
    for (let t = 0; t < 6; t++) {
      const [dy, dx] = shift[t % 3] as [number, number];
      for (let p = moved.offsets[t] as number; p < (moved.offsets[t + 1] as number); p++) {
        moved.coords[2 * p] = (moved.coords[2 * p] as number) + dy;
        moved.coords[2 * p + 1] = (moved.coords[2 * p + 1] as number) + dx;
      }
    }
    for (const [, measure, options] of CASES) {
      const got = await gpujsPairwiseDistances(measure, beijing, moved, options);
      expect(worstRatio(measure, beijing, moved, options, got.data), `regional ${measure}`).toBeLessThanOrEqual(1);
    }
    // (0, 0) against its antipode (0, 180): pi R.
    const anti = await gpujsPairwiseDistances('hausdorff', batchFromArrays([[0, 0]]), batchFromArrays([[0, 180]]));
    expect(Math.abs((anti.data[0] as number) - Math.PI * EARTH_RADIUS_M)).toBeLessThan(5);
  });

  it.skipIf(skip)('Euclidean data far from the origin and at tiny scale: centred and scaled before float32', async () => {
    for (const [offset, scale] of [
      [5e6, 10],
      [0, 1e-9],
      [-3e12, 1e3],
    ] as const) {
      const move = (t: TrajectoryBatch) => ({ ...t, coords: t.coords.map((v) => offset + v * scale) });
      const a = move(walks(5, 2, 30, 11, false));
      const b = move(walks(6, 2, 30, 12, false));
      for (const measure of ['dtw', 'frechet', 'hausdorff'] as const) {
        const got = await gpujsPairwiseDistances(measure, a, b, { metric: 'euclidean' });
        expect(worstRatio(measure, a, b, { metric: 'euclidean' }, got.data), `${measure} at ${offset} x ${scale}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it.skipIf(skip)('concurrent calls of different shapes share the kernels and interleave their tiles: each still right', async () => {
    // 40 x 40 and 20 x 70 pairs: several tiles each (1024 pairs per tile in a CPU mode).
    const a = walks(40, 1, 30, 61, true);
    const b = walks(20, 1, 30, 62, true);
    const c = walks(70, 1, 30, 63, true);
    const [ab, bc] = await Promise.all([gpujsPairwiseDistances('dtw', a, a), gpujsPairwiseDistances('dtw', b, c)]);
    expect(worstRatio('dtw', a, a, {}, ab.data)).toBeLessThanOrEqual(1);
    expect(worstRatio('dtw', b, c, {}, bc.data)).toBeLessThanOrEqual(1);
  });

  it.skipIf(skip)('a self-similarity matrix has an exactly zero diagonal; empty batches give an empty matrix', async () => {
    const a = walks(7, 1, 40, 21, true);
    const got = await gpujsPairwiseDistances('frechet', a, a);
    for (let i = 0; i < 7; i++) expect(got.data[i * 7 + i]).toBe(0);
    const empty = batchFromArrays([]);
    const none = await gpujsPairwiseDistances('dtw', empty, a);
    expect([none.rows, none.cols, none.data.length]).toEqual([0, 7, 0]);
  });
});

describe('gpu.js trajectory backend: limits and refusals are coded errors', () => {
  const long = batchFromArrays([Array.from({ length: 2 * (GPUJS_MAX_TRAJECTORY_POINTS + 1) }, (_, i) => 39.9 + i * 1e-5)]);
  const short = walks(3, 2, 10, 31, true);

  it(`a trajectory of ${GPUJS_MAX_TRAJECTORY_POINTS + 1} points is KERNEL_UNSUPPORTED naming it, directly and forced through the engine`, async () => {
    const direct = await codeOf(gpujsPairwiseDistances('dtw', short, long));
    expect(direct).toMatchObject({
      code: 'KERNEL_UNSUPPORTED',
      details: {
        backend: 'gpujs',
        argument: 'b',
        trajectory: 0,
        points: GPUJS_MAX_TRAJECTORY_POINTS + 1,
        limit: GPUJS_MAX_TRAJECTORY_POINTS,
      },
    });
    const forced = await codeOf(engine.kernels.trajectory.pairwise('hausdorff', long, short, { backend: 'gpujs' }));
    expect(forced).toMatchObject({ code: 'KERNEL_UNSUPPORTED', details: { argument: 'a', points: GPUJS_MAX_TRAJECTORY_POINTS + 1 } });
    expect(gpujsTrajectoryRejects('dtw', short, short)).toBeNull();
  });

  it('other measures and kernels are KERNEL_UNSUPPORTED on gpujs; bad input fails as on the reference', async () => {
    const traj = engine.kernels.trajectory;
    expect(await codeOf(traj.pairwise('erp', short, short, { backend: 'gpujs' }))).toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    expect(await codeOf(gpujsPairwiseDistances('lcss', short, short, { eps: 10 }))).toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    const query = short.coords.subarray(0, 4);
    expect(await codeOf(traj.oneToMany('dtw', query, short, { backend: 'gpujs' }))).toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    expect(await codeOf(traj.topK(query, short, 1, { backend: 'gpujs' }))).toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    const nan = batchFromArrays([[39.9, 116.3, Number.NaN, 116.3]]);
    expect(await codeOf(gpujsPairwiseDistances('dtw', short, nan))).toMatchObject({
      code: 'NOT_FINITE',
      details: { argument: 'b', trajectory: 0 },
    });
    expect(await codeOf(gpujsPairwiseDistances('dtw', short, short, { band: -1 }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const jsOnly = createEngine({ workers: 0, backends: ['js'] });
    try {
      expect(await codeOf(jsOnly.kernels.trajectory.pairwise('dtw', short, short, { backend: 'gpujs' }))).toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
      });
    } finally {
      await jsOnly.close();
    }
  });

  it.skipIf(skip)('forced through the engine: backend gpujs, one thread, the real mode; an aborted signal is ABORTED', async () => {
    const a = walks(4, 2, 20, 41, true);
    const r = await engine.kernels.trajectory.pairwise('dtw', a, a, { backend: 'gpujs' });
    expect(r).toMatchObject({ backend: 'gpujs', threads: 1, gpujsMode: status.ok ? status.mode : '', rows: 4, cols: 4 });
    expect(worstRatio('dtw', a, a, {}, r.data)).toBeLessThanOrEqual(1);
    const js = await engine.kernels.trajectory.pairwise('dtw', a, a, { backend: 'js' });
    expect(js.gpujsMode).toBeUndefined();
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(engine.kernels.trajectory.pairwise('dtw', a, a, { backend: 'gpujs', signal: ac.signal }))).toMatchObject({
      code: 'ABORTED',
    });
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    expect(await codeOf(gpujsPairwiseDistances('dtw', a, a, {}, { cancel }))).toMatchObject({ code: 'ABORTED' });
  });
});

describe(`POST /v1/trajectories/similarity with backend gpujs${label}`, () => {
  const walk = (n: number, north: number) => Array.from({ length: n }, (_, i) => [39.9 + north, 116.3 + i * 0.0006]);

  it.skipIf(skip)('answers the matrix with gpujsMode; too long a trajectory and one-to-many are 400 KERNEL_UNSUPPORTED', async () => {
    const server = await buildServer({ engine, plugins: [], maxTrajectoryPoints: 2000, maxTrajectoryPairs: 100 });
    try {
      const post = (payload: object) => server.app.inject({ method: 'POST', url: '/v1/trajectories/similarity', payload });
      const trajectories = [
        { id: 'a', points: walk(5, 0) },
        { id: 'b', points: walk(5, 0.001) },
      ];
      const res = await post({ trajectories, measure: 'dtw', backend: 'gpujs' });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ backend: 'gpujs', threads: 1, gpujsMode: status.ok ? status.mode : '', rows: ['a', 'b'] });
      const js = (await post({ trajectories, measure: 'dtw', backend: 'js' })).json();
      expect(js.gpujsMode).toBeUndefined();
      expect(body.distances[0][0]).toBe(0);
      // Two parallel walks ~111 m apart: 5 x 111.19 m by the reference; float32 within centimetres.
      expect(Math.abs(body.distances[0][1] - js.distances[0][1])).toBeLessThan(0.05);
      expect(js.distances[0][1]).toBeCloseTo(5 * 111.19, 0);
      const tooLong = await post({ trajectories: [{ points: walk(GPUJS_MAX_TRAJECTORY_POINTS + 1, 0) }], backend: 'gpujs' });
      expect(tooLong.statusCode, tooLong.body).toBe(400);
      expect(tooLong.json()).toMatchObject({ code: 'KERNEL_UNSUPPORTED', details: { points: GPUJS_MAX_TRAJECTORY_POINTS + 1 } });
      const query = await post({ trajectories, query: { points: walk(3, 0) }, backend: 'gpujs' });
      expect(query.statusCode, query.body).toBe(400);
      expect(query.json().code).toBe('KERNEL_UNSUPPORTED');
    } finally {
      await server.app.close();
    }
  });
});
