/**
 * The CUDA pairwise trajectory kernel (native/src/cuda/trajectory/similarity.cu) against the C++
 * CPU kernel: DTW (full and banded), discrete Fréchet and Hausdorff, haversine and Euclidean, on
 * random trajectories of different lengths (single points included). Bit-identical for Euclidean
 * and city-scale haversine (only IEEE-exact operations on that path, on both sides); within a
 * relative 1e-12 for haversine across the globe (CUDA's sin / asin instead of libmvec's). Also the
 * engine's dispatch: forced 'cuda', automatic choice only with a device, the reason when there is
 * none. Without a device the parity tests are skipped and say why.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { batchFromArrays } from '../../src/kernels/trajectory/batch.js';
import { CUDA_MIN_TRAJECTORY_PAIRS } from '../../src/kernels/trajectory/engine.js';
import { nativePairwiseDistances, nativeTrajectoryCudaStatus, nativeTrajectoryStatus } from '../../src/kernels/trajectory/native.js';
import type { SimilarityMeasure, SimilarityOptions, TrajectoryBatch } from '../../src/kernels/trajectory/types.js';
import { mulberry32 } from '../helpers/random.js';

const native = nativeTrajectoryStatus();
const cuda = nativeTrajectoryCudaStatus();
const noCuda = cuda.ok ? '' : cuda.reason;
if (!cuda.ok) console.warn(`skipped: no CUDA device (${noCuda})`);
if (!native.ok) console.warn(`skipped: CUDA trajectory dispatch tests: native trajectory kernels unavailable (${native.reason})`);
const cudaLabel = cuda.ok ? ` on ${cuda.device}` : ` (skipped: no CUDA device (${noCuda}))`;

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const traj = engine.kernels.trajectory;

type Area = 'city' | 'globe' | 'plane';

/** `count` trajectories of minLen..maxLen points: walks around Beijing, jumps across the globe, or planar walks. */
function walks(count: number, minLen: number, maxLen: number, seed: number, area: Area): TrajectoryBatch {
  const rnd = mulberry32(seed);
  const coords: number[][] = [];
  for (let t = 0; t < count; t++) {
    const n = minLen + Math.floor(rnd() * (maxLen - minLen + 1));
    let y = area === 'city' ? 39.9 + 0.1 * (rnd() - 0.5) : area === 'globe' ? 160 * (rnd() - 0.5) : 20 * (rnd() - 0.5);
    let x = area === 'city' ? 116.4 + 0.1 * (rnd() - 0.5) : area === 'globe' ? 360 * (rnd() - 0.5) : 20 * (rnd() - 0.5);
    const c: number[] = [];
    for (let p = 0; p < n; p++) {
      c.push(y, x);
      if (area === 'globe') {
        y = Math.max(-89, Math.min(89, y + 40 * (rnd() - 0.5)));
        x = 360 * (rnd() - 0.5);
      } else {
        const step = area === 'city' ? 0.002 : 2;
        y += step * (rnd() - 0.5);
        x += step * (rnd() - 0.5);
      }
    }
    coords.push(c);
  }
  return batchFromArrays(coords);
}

const CASES: Array<[string, SimilarityMeasure, SimilarityOptions]> = [
  ['dtw', 'dtw', {}],
  ['dtw band 0', 'dtw', { band: 0 }],
  ['dtw band 3', 'dtw', { band: 3 }],
  ['dtw band 10', 'dtw', { band: 10 }],
  ['frechet', 'frechet', {}],
  ['hausdorff', 'hausdorff', {}],
];

/** Entries that are not bit-identical, and the worst relative difference among them. */
function diff(got: Float64Array, ref: Float64Array): { differing: number; worstRel: number } {
  expect(got.length).toBe(ref.length);
  let differing = 0;
  let worstRel = 0;
  for (let k = 0; k < ref.length; k++) {
    const r = ref[k] as number;
    const g = got[k] as number;
    if (Object.is(g, r)) continue;
    differing++;
    worstRel = Math.max(worstRel, r === 0 ? Number.POSITIVE_INFINITY : Math.abs(g - r) / Math.abs(r));
  }
  return { differing, worstRel };
}

describe(`CUDA pairwise trajectory distances vs the C++ CPU kernel${cudaLabel}`, () => {
  for (const [area, identical] of [
    ['city', true],
    ['plane', true],
    ['globe', false],
  ] as const) {
    it.skipIf(!cuda.ok)(`${area}: ${identical ? 'bit-identical' : 'within 1e-12 relative'} for every measure`, async () => {
      const a = walks(37, 1, 120, 1, area);
      const b = walks(53, 1, 90, 2, area);
      const metric = area === 'plane' ? { metric: 'euclidean' as const } : {};
      for (const [name, measure, options] of CASES) {
        const ref = await nativePairwiseDistances(measure, a, b, { ...metric, ...options }, { threads: 2 });
        const got = await nativePairwiseDistances(measure, a, b, { ...metric, ...options }, { device: 'cuda' });
        const d = diff(got.data, ref.data);
        if (identical) expect(d.differing, `${area} ${name}: worst rel ${d.worstRel}`).toBe(0);
        else expect(d.worstRel, `${area} ${name}`).toBeLessThanOrEqual(1e-12);
        // A wrong recurrence would not keep these: DTW >= Fréchet >= 0, one point against itself 0.
        expect(Array.from(got.data).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      }
    });
  }

  it.skipIf(!cuda.ok)('rows [rowBegin, rowEnd) only, the rest left at 0', async () => {
    const a = walks(20, 2, 40, 3, 'city');
    const b = walks(9, 2, 40, 4, 'city');
    const got = await nativePairwiseDistances('dtw', a, b, { band: 5 }, { device: 'cuda', rowBegin: 4, rowEnd: 13 });
    const ref = await nativePairwiseDistances('dtw', a, b, { band: 5 }, { rowBegin: 4, rowEnd: 13 });
    expect(diff(got.data, ref.data).differing).toBe(0);
    expect(got.data[4 * 9 - 1]).toBe(0);
    expect(got.data[13 * 9]).toBe(0);
    expect(got.data[4 * 9]).toBeGreaterThan(0);
  });

  it.skipIf(!cuda.ok)('one-to-many and top-k on cuda: the native distances and the same k', async () => {
    const b = walks(70, 5, 40, 11, 'city');
    const query = walks(1, 30, 30, 12, 'city').coords;
    for (const [name, measure, options] of CASES) {
      const ref = await traj.oneToMany(measure, query, b, { ...options, backend: 'native' });
      const got = await traj.oneToMany(measure, query, b, { ...options, backend: 'cuda' });
      expect(got.backend).toBe('cuda');
      expect(diff(got.distances, ref.distances).differing, name).toBe(0);
      const topRef = await traj.topK(query, b, 7, { ...options, measure, backend: 'native' });
      const top = await traj.topK(query, b, 7, { ...options, measure, backend: 'cuda' });
      expect(Array.from(top.indices), name).toEqual(Array.from(topRef.indices));
      expect(diff(top.distances, topRef.distances).differing, name).toBe(0);
    }
  });

  it.skipIf(!cuda.ok)('the engine runs forced and large automatic calls on cuda', async () => {
    const a = walks(30, 5, 30, 5, 'city');
    const b = walks(40, 5, 30, 6, 'city');
    const forced = await traj.pairwise('frechet', a, b, { backend: 'cuda' });
    expect(forced.backend).toBe('cuda');
    const ref = await traj.pairwise('frechet', a, b, { backend: 'native' });
    expect(diff(forced.data, ref.data).differing).toBe(0);
    const side = Math.ceil(Math.sqrt(CUDA_MIN_TRAJECTORY_PAIRS));
    const big = walks(side, 2, 6, 7, 'city');
    expect((await traj.pairwise('hausdorff', big, big)).backend).toBe('cuda');
    expect((await traj.pairwise('erp', big, big)).backend).toBe('native');
  });
});

describe('CUDA trajectory dispatch', () => {
  const a = walks(4, 3, 10, 8, 'city');
  const b = walks(5, 3, 10, 9, 'city');

  it.skipIf(cuda.ok || !native.ok)(`without a device: forced cuda says why, automatic stays native (${noCuda})`, async () => {
    await expect(traj.pairwise('dtw', a, b, { backend: 'cuda' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      details: { backend: 'cuda' },
    });
    await expect(traj.pairwise('dtw', a, b, { backend: 'cuda' })).rejects.toThrow(noCuda);
    await expect(nativePairwiseDistances('dtw', a, b, undefined, { device: 'cuda' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    const query = a.coords.subarray(0, 6);
    for (const call of [traj.oneToMany('frechet', query, b, { backend: 'cuda' }), traj.topK(query, b, 2, { backend: 'cuda' })])
      await expect(call).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', details: { backend: 'cuda' } });
    const side = Math.ceil(Math.sqrt(CUDA_MIN_TRAJECTORY_PAIRS));
    const big = walks(side, 2, 4, 10, 'city');
    const d = await traj.pairwise('dtw', big, big);
    expect(d.backend).toBe('native');
    expect(d.rows * d.cols).toBeGreaterThanOrEqual(CUDA_MIN_TRAJECTORY_PAIRS);
  });

  it('cuda has dtw, frechet and hausdorff (pairwise, one-to-many, top-k) only', async () => {
    await expect(traj.pairwise('erp', a, b, { backend: 'cuda' })).rejects.toMatchObject({
      code: 'KERNEL_UNSUPPORTED',
      details: { measure: 'erp' },
    });
    await expect(traj.oneToMany('edr', a.coords.subarray(0, 6), b, { eps: 10, backend: 'cuda' })).rejects.toMatchObject({
      code: 'KERNEL_UNSUPPORTED',
      details: { backend: 'cuda', kernel: 'oneToMany', measure: 'edr' },
    });
    await expect(traj.topK(a.coords.subarray(0, 6), b, 2, { measure: 'erp', backend: 'cuda' })).rejects.toMatchObject({
      code: 'KERNEL_UNSUPPORTED',
      details: { backend: 'cuda', kernel: 'topK', measure: 'erp' },
    });
    await expect(traj.simplify(a, { method: 'dp', tolerance: 5, backend: 'cuda' })).rejects.toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    await expect(nativePairwiseDistances('lcss', a, b, { eps: 10 }, { device: 'cuda' })).rejects.toMatchObject({
      code: 'KERNEL_UNSUPPORTED',
    });
  });

  it('an engine without the cuda backend never uses it', async () => {
    const cpuOnly = createEngine({ workers: 0, backends: ['native', 'js'] });
    try {
      await expect(cpuOnly.kernels.trajectory.pairwise('dtw', a, b, { backend: 'cuda' })).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
      });
      expect((await cpuOnly.kernels.trajectory.pairwise('dtw', a, b)).backend).not.toBe('cuda');
    } finally {
      await cpuOnly.close();
    }
  });
});
