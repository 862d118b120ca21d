/**
 * Native k-means (native/src/cpu/ml/kmeans.cc) against the TypeScript reference (kmeans.ts):
 * labels, centroids and inertia bit-identical (Object.is), the same iterations and convergence,
 * on synthetic blobs (several k, seeds, tolerances, an iteration cap, data full of exact distance
 * ties) and on real data (UCI Online Retail customer RFM, 4,338 customers x 3, when
 * ../shared/data is present). Elkan == Lloyd bit for bit with fewer distance computations;
 * threads change nothing; bad input fails with the reference's codes (through the wrapper and
 * straight from the addon); the engine's dispatch ('auto' picks native, 'js' the reference,
 * 'cuda' by name only). The CUDA assignment step is compared with the CPU's on a device, and
 * skipped visibly without one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadRetailRfm } from '../../bench/kmeans-real-data.js';
import { createEngine } from '../../src/index.js';
import { type KMeansOptions, type KMeansResult, kmeans, kmeansAssign } from '../../src/kernels/ml/kmeans.js';
import {
  nativeKmeans,
  nativeKmeansAssign,
  nativeKmeansCudaStatus,
  nativeKmeansStatus,
  nativeKmeansSync,
} from '../../src/kernels/ml/kmeans-native.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';
import { loadAddon } from '../../src/native/addon.js';

const status = nativeKmeansStatus();
const cuda = nativeKmeansCudaStatus();
if (!status.ok) console.warn(`skipped: native k-means parity: ${status.reason}`);
if (!cuda.ok) console.warn(`skipped: no CUDA device (${cuda.reason})`);
const label = status.ok ? '' : ` (skipped: ${status.reason})`;
const cudaLabel = cuda.ok ? ` on ${cuda.device}` : ` (skipped: no CUDA device (${cuda.reason}))`;

/** n rows x p features around `centres` random centres; `grid` rounds to integers (exact ties). */
function blobs(n: number, p: number, centres: number, seed: number, grid = false): Float64Array {
  const rng = mulberry32(seed);
  const mu = Float64Array.from({ length: centres * p }, () => rng() * 20 - 10);
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * centres);
    for (let f = 0; f < p; f++) {
      const v = (mu[c * p + f] as number) + (rng() + rng() + rng() - 1.5) * 2;
      x[i * p + f] = grid ? Math.round(v) : v;
    }
  }
  return x;
}

/** Entries that are not bit-identical (Object.is: -0 and NaN count). */
function differing(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  let n = 0;
  for (let k = 0; k < ref.length; k++) if (!Object.is(got[k], ref[k])) n++;
  return n;
}

function expectSame(got: KMeansResult, ref: KMeansResult): void {
  expect(differing(got.labels, ref.labels)).toBe(0);
  expect(differing(got.centroids, ref.centroids)).toBe(0);
  expect(Object.is(got.inertia, ref.inertia)).toBe(true);
  expect(got.iterations).toBe(ref.iterations);
  expect(got.converged).toBe(ref.converged);
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

const CASES: Array<{ name: string; n: number; p: number; centres: number; seed: number; grid?: boolean; options: KMeansOptions }> = [
  { name: '3000 x 2, k 8', n: 3000, p: 2, centres: 6, seed: 1, options: { k: 8, seed: 3 } },
  { name: '2000 x 5, k 16', n: 2000, p: 5, centres: 10, seed: 2, options: { k: 16, seed: 11 } },
  { name: '2500 x 3 integer grid, k 12, tolerance 0', n: 2500, p: 3, centres: 5, seed: 3, grid: true, options: { k: 12, tolerance: 0 } },
  { name: '1200 x 8, k 40, capped at 4 iterations', n: 1200, p: 8, centres: 30, seed: 4, options: { k: 40, seed: 5, maxIterations: 4 } },
  { name: '500 x 1, k 1', n: 500, p: 1, centres: 3, seed: 6, options: { k: 1 } },
];

describe.skipIf(!status.ok)(`k-means native vs TS reference${label}`, () => {
  for (const c of CASES) {
    it(`${c.name}: Lloyd and Elkan, 1 and 3 threads, bit-identical to the reference`, async () => {
      const data = blobs(c.n, c.p, c.centres, c.seed, c.grid);
      const ref = kmeans(data, c.p, c.options);
      const lloyd = await nativeKmeans(data, c.p, c.options);
      expectSame(lloyd, ref);
      const lloyd3 = nativeKmeansSync(data, c.p, { ...c.options, threads: 3 });
      expectSame(lloyd3, ref);
      const elkan = await nativeKmeans(data, c.p, { ...c.options, algorithm: 'elkan', threads: 3 });
      expectSame(elkan, ref);
      expect(elkan.algorithm).toBe('elkan');
      if (c.options.k > 1 && ref.iterations > 1) expect(elkan.distanceEvaluations).toBeLessThan(lloyd.distanceEvaluations);
      expect(lloyd.distanceEvaluations).toBe(c.n * c.options.k * (ref.iterations + 1));
    });
  }

  it('duplicate rows force an empty cluster: the reference result, Lloyd and Elkan', async () => {
    const data = Float64Array.of(1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 9, 9);
    for (const k of [3, 4, 5]) {
      const ref = kmeans(data, 2, { k });
      expectSame(await nativeKmeans(data, 2, { k }), ref);
      expectSame(await nativeKmeans(data, 2, { k, algorithm: 'elkan' }), ref);
    }
  });

  const rfm = loadRetailRfm();
  it.skipIf(!rfm)(`real data: UCI Online Retail customer RFM (${rfm?.rows ?? 0} customers x 3), k 4 and 8`, async () => {
    if (!rfm) return;
    expect(rfm.rows).toBe(4338);
    for (const k of [4, 8]) {
      const ref = kmeans(rfm.data, 3, { k, seed: 7 });
      expectSame(await nativeKmeans(rfm.data, 3, { k, seed: 7 }), ref);
      const elkan = await nativeKmeans(rfm.data, 3, { k, seed: 7, algorithm: 'elkan', threads: 2 });
      expectSame(elkan, ref);
    }
  });

  it('kmeansAssign: the reference labels and distances (ties to the lowest index)', async () => {
    const data = blobs(3000, 4, 5, 9, true);
    const centroids = blobs(7, 4, 2, 10, true);
    const ref = kmeansAssign(centroids, data, 4);
    const got = await nativeKmeansAssign(centroids, data, 4, { threads: 2 });
    expect(differing(got.labels, ref.labels)).toBe(0);
    expect(differing(got.distances, ref.distances)).toBe(0);
    const tie = await nativeKmeansAssign(Float64Array.of(3, 1, 1, 5), Float64Array.of(2, 1, 3, 4), 1);
    expect([...tie.labels]).toEqual([0, 1, 0, 0]);
  });

  it('bad input: the reference codes, from the wrapper and from the addon itself', async () => {
    const data = blobs(50, 2, 2, 1);
    for (const [options, code] of [
      [{ k: 0 }, 'INVALID_K'],
      [{ k: 51 }, 'INVALID_K'],
      [{ k: 2.5 }, 'INVALID_K'],
      [{ k: 2, algorithm: 'hamerly' }, 'INVALID_ARGUMENT'],
      [{ k: 2, threads: 0 }, 'INVALID_ARGUMENT'],
      [{ k: 2, maxIterations: 0 }, 'INVALID_ARGUMENT'],
    ] as const) {
      expect(await codeOf(nativeKmeans(data, 2, options as KMeansOptions))).toBe(code);
    }
    const nan = data.slice();
    nan[7] = Number.NaN;
    expect(await codeOf(() => kmeans(nan, 2, { k: 2 }))).toBe('NOT_FINITE');
    expect(await codeOf(nativeKmeans(nan, 2, { k: 2 }))).toBe('NOT_FINITE');
    expect(await codeOf(nativeKmeans(new Float64Array(0), 2, { k: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(nativeKmeans(data.subarray(0, 5), 2, { k: 1 }))).toBe('INVALID_LENGTH');
    // Straight to the addon (no TS checks): the core's own checks, mapped to the same codes.
    const load = loadAddon();
    if (!load.ok || !load.addon.kmeans) throw new Error('addon');
    const raw = (o: Partial<Parameters<NonNullable<typeof load.addon.kmeans>>[0]>) =>
      load.addon.kmeans?.({ data, rows: 50, numFeatures: 2, k: 2, seed: 0, maxIterations: 300, tolerance: 1e-4, algorithm: 0, ...o });
    expect(await codeOf(raw({ k: 0 }) as Promise<unknown>)).toBe('INVALID_K');
    expect(await codeOf(() => raw({ k: 51, sync: true }))).toBe('INVALID_K');
    expect(await codeOf(raw({ data: nan }) as Promise<unknown>)).toBe('NOT_FINITE');
    expect(await codeOf(raw({ rows: 0 }) as Promise<unknown>)).toBe('INVALID_ARGUMENT');
    expect(await codeOf(raw({ algorithm: 1, device: 'cuda' }) as Promise<unknown>)).toBe('UNSUPPORTED');
  });

  it('aborts between iterations', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(nativeKmeans(blobs(2000, 2, 4, 3), 2, { k: 4, signal: ac.signal }))).toBe('ABORTED');
  });
});

describe.skipIf(!status.ok)(`k-means engine dispatch${label}`, () => {
  const engine = createEngine({ workers: 0 });
  afterAll(() => engine.close());
  const ml = engine.kernels.ml;
  const data = blobs(1500, 3, 5, 8);

  it("'auto' runs native, 'js' the reference: the same result, each saying which", async () => {
    const auto = await ml.kmeans(data, 3, { k: 6, seed: 2 });
    const js = await ml.kmeans(data, 3, { k: 6, seed: 2, backend: 'js' });
    const elkan = await ml.kmeans(data, 3, { k: 6, seed: 2, backend: 'native', algorithm: 'elkan', threads: 2 });
    expect(auto.backend).toBe('native');
    expect(js.backend).toBe('js');
    expect(elkan.backend).toBe('native');
    expect(elkan.algorithm).toBe('elkan');
    expectSame(auto, js);
    expectSame(elkan, js);
    const assign = await ml.kmeansAssign(auto.centroids, data, 3);
    expect(assign.backend).toBe('native');
    expect(differing(assign.labels, auto.labels)).toBe(0);
  });

  it.skipIf(cuda.ok)(`'cuda' without a device: BACKEND_UNAVAILABLE with the reason (${cuda.ok ? '' : cuda.reason})`, async () => {
    const err = await ml.kmeans(data, 3, { k: 6, backend: 'cuda' }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect((err as { message: string }).message).toContain(cuda.ok ? '' : cuda.reason);
    expect(await codeOf(nativeKmeans(data, 3, { k: 6, device: 'cuda' }))).toBe('BACKEND_UNAVAILABLE');
    expect(await codeOf(nativeKmeans(data, 3, { k: 6, device: 'cuda', algorithm: 'elkan' }))).toBe('KERNEL_UNSUPPORTED');
  });
});

describe.skipIf(!cuda.ok)(`k-means CUDA assignment step vs CPU${cudaLabel}`, () => {
  it('kmeansAssign and whole runs bit-identical to the CPU', async () => {
    const data = blobs(50_000, 6, 12, 21);
    for (const k of [1, 5, 16, 300]) {
      const centroids = blobs(k, 6, 4, 22 + k, true);
      const cpu = await nativeKmeansAssign(centroids, data, 6, { threads: 2 });
      const gpu = await nativeKmeansAssign(centroids, data, 6, { device: 'cuda' });
      expect(differing(gpu.labels, cpu.labels)).toBe(0);
      expect(differing(gpu.distances, cpu.distances)).toBe(0);
    }
    const ref = await nativeKmeans(data, 6, { k: 16, threads: 2 });
    expectSame(await nativeKmeans(data, 6, { k: 16, device: 'cuda' }), ref);
    const engine = createEngine({ workers: 0 });
    try {
      const r = await engine.kernels.ml.kmeans(data, 6, { k: 16, backend: 'cuda' });
      expect(r.backend).toBe('cuda');
      expectSame(r, ref);
    } finally {
      await engine.close();
    }
  });
});
