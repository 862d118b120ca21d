/**
 * gpu.js backend: reports the mode it really runs in, and matches the TypeScript references within
 * its stated float32 tolerances (haversine 1e-6 x d + 3 m; euclidean 1e-6 x the bounding-box side).
 */
import { describe, expect, it } from 'vitest';
import { createGpujsBackend, GPUJS_BLOCK_PAIRS, judgeGpujsMode, planTiles } from '../../src/backends/gpujs.js';
import { euclideanMatrixRef } from '../../src/kernels/geo/euclidean-matrix.js';
import { haversine, haversineMatrixRef } from '../../src/kernels/geo/haversine-matrix.js';
import { kNearestRef } from '../../src/kernels/geo/k-nearest.js';
import { EARTH_RADIUS_M, type GeoTask } from '../../src/kernels/geo/types.js';
import { mulberry32 } from '../helpers/random.js';

const GPU_MODES = ['gpu', 'webgl', 'webgl2', 'headlessgl', 'webgpu'];
const backend = createGpujsBackend();
const st = backend.status();
const available = st.available;
// Never a silent skip: say why every parity test below does not run.
if (!available) console.warn(`skipped: ${st.reason}`);

const havTol = (ref: number) => 1e-6 * ref + 3;

/** n points uniform on the sphere; the first ones are poles and date-line points. */
function latLng(n: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const p = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    p[2 * i] = (Math.asin(2 * rnd() - 1) * 180) / Math.PI;
    p[2 * i + 1] = rnd() * 360 - 180;
  }
  const edges = [90, 0, -90, 0, 0, 180, 0, -180, 0, 179.9999, 89.9999, -179.9999, -90, 180, 45, -180];
  p.set(edges.slice(0, 2 * n));
  return p;
}

/** Sets dests j to the antipode of origin i, and dests j + 1 to a point 1 mm from origin i. */
function plantPairs(o: Float64Array, d: Float64Array, pairs: Array<[number, number]>): void {
  for (const [i, j] of pairs) {
    const lat = o[2 * i] as number;
    const lng = o[2 * i + 1] as number;
    d.set([-lat, lng > 0 ? lng - 180 : lng + 180, lat, lng + (lng > 0 ? -1e-8 : 1e-8)], 2 * j);
  }
}

/** Largest |got - ref| / tol(ref); <= 1 means parity. */
function worst(got: ArrayLike<number>, ref: ArrayLike<number>, tol: (r: number) => number): number {
  expect(got.length).toBe(ref.length);
  let w = 0;
  for (let t = 0; t < ref.length; t++) w = Math.max(w, Math.abs((got[t] as number) - (ref[t] as number)) / tol(ref[t] as number));
  return Number.isNaN(w) ? Number.POSITIVE_INFINITY : w;
}

const hav = (origins: Float64Array, dests: Float64Array, rowBegin = 0, rowEnd = origins.length / 2): GeoTask => ({
  kernel: 'haversineMatrix',
  origins,
  dests,
  rowBegin,
  rowEnd,
  radius: EARTH_RADIUS_M,
});

/** Runs `task` on gpujs and the reference into outputs of `Out` pre-filled with -1. */
function both(task: GeoTask, Out: Float64ArrayConstructor | Float32ArrayConstructor = Float64Array) {
  const size = ((task.origins.length / 2) * task.dests.length) / 2;
  const got = new Out(size).fill(-1);
  const ref = new Float64Array(size).fill(-1);
  expect(backend.run({ ...task, out: got }, true)).toBeUndefined();
  (task.kernel === 'euclideanMatrix' ? euclideanMatrixRef : haversineMatrixRef)({ ...task, out: ref });
  return { got, ref };
}

describe('gpujs backend', () => {
  it('reports the mode gpu.js really runs in, and why a CPU mode is not auto-selected', () => {
    expect(st).toMatchObject({ name: 'gpujs', priority: 20 });
    expect(backend.poolable).toBe(false);
    if (!available) {
      expect(st.autoSelect).toBe(false);
      expect(st.reason).toMatch(/^gpu\.js /);
      return;
    }
    expect(st.mode).toMatch(/^(gpu|webgl|webgl2|headlessgl|webgpu|webasm|cpu)$/);
    expect(st.details?.version).toEqual(expect.any(String));
    if (!GPU_MODES.includes(st.mode as string)) {
      expect(st.autoSelect).toBe(false);
      expect(st.reason).toContain(`gpu.js running in ${st.mode} mode`);
    }
    expect(backend.rejects('haversineMatrix', { n: 1e5, m: 1e5 }, false)).toBeNull();
  });

  it('judges a GPU only by a GPU kernel class on a hardware renderer; headless-gl needs a GPU driver loaded', () => {
    expect(judgeGpujsMode('webgl2', 'NVIDIA GeForce RTX 4090/PCIe/SSE2')).toEqual({ onGpu: true });
    expect(judgeGpujsMode('webgl2', 'llvmpipe (LLVM 15.0.6, 256 bits)')).toMatchObject({
      onGpu: false,
      reason: expect.stringMatching(/software renderer/),
    });
    // headless-gl says 'ANGLE' whatever runs below: the mapped driver decides.
    expect(judgeGpujsMode('headlessgl', 'ANGLE', ['libGLX_nvidia.so.0', 'libnvidia-glcore.so.550.54.15'])).toEqual({ onGpu: true });
    expect(judgeGpujsMode('headlessgl', 'ANGLE', ['radeonsi_dri.so'])).toEqual({ onGpu: true });
    expect(judgeGpujsMode('headlessgl', 'ANGLE', ['swrast_dri.so'])).toMatchObject({
      onGpu: false,
      reason: expect.stringMatching(/software renderer \(swrast_dri\.so\)/),
    });
    expect(judgeGpujsMode('headlessgl', 'ANGLE', [])).toMatchObject({ onGpu: false, reason: expect.stringMatching(/no GPU driver/) });
    expect(judgeGpujsMode('headlessgl', 'ANGLE', ['libgallium-24.2.8.so'])).toMatchObject({ onGpu: false });
    expect(judgeGpujsMode('webasm', undefined)).toMatchObject({
      onGpu: false,
      reason: 'gpu.js running in webasm mode (CPU), no WebGL: not auto-selected',
    });
  });

  it.skipIf(!available)('haversineMatrix: poles, date line, antipodes, near-coincident points; float64 and float32 out', () => {
    const o = latLng(120, 1);
    const d = latLng(170, 2);
    plantPairs(o, d, [
      [10, 20],
      [11, 22],
      [0, 24],
      [5, 26],
    ]);
    for (const Out of [Float64Array, Float32Array]) {
      const { got, ref } = both(hav(o, d), Out);
      expect(got).toBeInstanceOf(Out);
      expect(worst(got, ref, havTol)).toBeLessThanOrEqual(1);
    }
    // The planted antipode really is antipodal, and the near pair really is near.
    const { got } = both(hav(o, d));
    expect(got[10 * 170 + 20]).toBeCloseTo(Math.PI * EARTH_RADIUS_M, -1);
    expect(got[10 * 170 + 21]).toBeLessThan(3);
  });

  it.skipIf(!available)('n = 0, n = 1, m = 1', () => {
    expect(both(hav(new Float64Array(0), latLng(5, 3))).got.length).toBe(0);
    const one = both(
      hav(
        latLng(1, 4).map((v, i) => (i === 0 ? 12.5 : v)),
        latLng(40, 5),
      ),
    );
    expect(worst(one.got, one.ref, havTol)).toBeLessThanOrEqual(1);
    const col = both(hav(latLng(30, 6), latLng(1, 7).fill(-33)));
    expect(worst(col.got, col.ref, havTol)).toBeLessThanOrEqual(1);
  });

  it.skipIf(!available)('writes only rows [rowBegin, rowEnd)', () => {
    const o = latLng(12, 8);
    const d = latLng(9, 9);
    for (const Out of [Float64Array, Float32Array]) {
      const { got, ref } = both(hav(o, d, 3, 7), Out);
      got.forEach((v, t) => {
        const row = Math.floor(t / 9);
        if (row >= 3 && row < 7) expect(Math.abs(v - (ref[t] as number))).toBeLessThanOrEqual(havTol(ref[t] as number));
        else expect(v).toBe(-1);
      });
    }
  });

  it.skipIf(!available)('euclideanMatrix on offset, scaled coordinates (1e-6 x the bounding-box side)', () => {
    const rnd = mulberry32(10);
    for (const [offset, spread] of [
      [0, 1],
      [5e5, 1e3],
      [4e6, 2e5],
      [-1e7, 3e6],
    ] as const) {
      const pts = (n: number) => new Float64Array(2 * n).map(() => offset + (rnd() - 0.5) * spread);
      const o = pts(90);
      const d = pts(110);
      const { got, ref } = both({ ...hav(o, d), kernel: 'euclideanMatrix' });
      expect(worst(got, ref, () => 1e-6 * spread)).toBeLessThanOrEqual(1);
    }
  });

  it.skipIf(!available)('splits calls above GPUJS_BLOCK_PAIRS into row blocks and column tiles that cover every cell once', () => {
    for (const [b, e, m, pairs, side] of [
      [0, 7, 5, 12, 1e9],
      [3, 50, 1000, 256, 64],
      [0, 3, 10, 4, 4],
      [2, 2, 10, 4, 4],
      [0, 4, 0, 4, 4],
    ] as const) {
      const seen = new Uint8Array(e * m);
      for (const t of planTiles(b, e, m, pairs, side)) {
        expect((t.r1 - t.r0) * (t.c1 - t.c0)).toBeLessThanOrEqual(Math.max(pairs, 1));
        expect(Math.max(t.r1 - t.r0, t.c1 - t.c0)).toBeLessThanOrEqual(side);
        for (let i = t.r0; i < t.r1; i++) for (let j = t.c0; j < t.c1; j++) seen[i * m + j] = (seen[i * m + j] as number) + 1;
      }
      expect(Array.from(seen)).toEqual(Array.from(seen, (_, t) => (t >= b * m ? 1 : 0)));
    }
    // End to end: one destination row wider than a block is cut into column tiles.
    const { got, ref } = both(hav(latLng(2, 11), latLng(GPUJS_BLOCK_PAIRS + 3, 12)), Float32Array);
    expect(worst(got, ref, havTol)).toBeLessThanOrEqual(1);
  });

  it.skipIf(!available)('kNearest: distances within tolerance, indices differ only at near-ties, ties to the lower index', () => {
    const o = latLng(80, 13);
    const d = latLng(300, 14);
    plantPairs(o, d, [[20, 40]]);
    d.copyWithin(2 * 200, 2 * 100, 2 * 110); // exact duplicates: equal distances, lower index first
    const rnd = mulberry32(15);
    const xy = (n: number) => new Float64Array(2 * n).map(() => 2e5 + rnd() * 1e3);
    const cases: Array<[GeoTask, (a: number, b: number, c: number, e: number) => number, (r: number) => number]> = [
      [{ ...hav(o, d, 5, 70), kernel: 'kNearest', k: 6 }, (a, b, c, e) => haversine(a, b, c, e, EARTH_RADIUS_M), havTol],
      [{ ...hav(o, d), kernel: 'kNearest', k: 300 }, (a, b, c, e) => haversine(a, b, c, e, EARTH_RADIUS_M), havTol],
      [
        { ...hav(xy(50), xy(200)), kernel: 'kNearest', metric: 'euclidean', k: 9 },
        (a, b, c, e) => Math.hypot(a - c, b - e),
        () => 1e-6 * 1e3,
      ],
    ];
    for (const [task, dist, tol] of cases) {
      const n = task.origins.length / 2;
      const k = task.k as number;
      const run = (fn: (t: GeoTask) => void) => {
        const outIndex = new Int32Array(n * k).fill(-1);
        const outDist = new Float64Array(n * k).fill(-1);
        fn({ ...task, outIndex, outDist });
        return { outIndex, outDist };
      };
      const got = run((t) => backend.run(t, true));
      const ref = run(kNearestRef);
      expect(worst(got.outDist, ref.outDist, tol)).toBeLessThanOrEqual(1);
      for (let i = 0; i < n; i++) {
        const idx = got.outIndex.subarray(i * k, (i + 1) * k);
        if (i < task.rowBegin || i >= task.rowEnd) {
          expect(idx.every((v) => v === -1)).toBe(true);
          continue;
        }
        expect(new Set(idx).size).toBe(k);
        idx.forEach((j, t) => {
          if (j === ref.outIndex[i * k + t]) return;
          // A swap is allowed only for a candidate whose true distance is within tolerance.
          const a = task.origins;
          const b = task.dests;
          const trueDist = dist(a[2 * i] as number, a[2 * i + 1] as number, b[2 * j] as number, b[2 * j + 1] as number);
          const refDist = ref.outDist[i * k + t] as number;
          expect(Math.abs(trueDist - refDist)).toBeLessThanOrEqual(2 * tol(refDist));
        });
      }
    }
    // All destinations equal: the k nearest are the first k indices (insertion and sort paths).
    for (const m of [20, 10]) {
      const outIndex = new Int32Array(3);
      const equal = hav(latLng(1, 16), new Float64Array(2 * m).fill(7));
      backend.run({ ...equal, kernel: 'kNearest', k: 3, outIndex, outDist: new Float64Array(3) }, true);
      expect(Array.from(outIndex)).toEqual([0, 1, 2]);
    }
  });

  it.skipIf(!available)('a set cancel flag leaves every output unwritten', () => {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    const out = new Float64Array(12 * 9).fill(-1);
    backend.run({ ...hav(latLng(12, 17), latLng(9, 18)), out, cancel }, true);
    expect(out.every((v) => v === -1)).toBe(true);
    const outIndex = new Int32Array(12 * 2).fill(-1);
    backend.run({ ...hav(latLng(12, 17), latLng(9, 18)), kernel: 'kNearest', k: 2, outIndex, outDist: new Float64Array(24), cancel }, true);
    expect(outIndex.every((v) => v === -1)).toBe(true);
  });

  it.skipIf(!available)('through the engine, a forced gpujs call reports the mode it ran in', async () => {
    const { createEngine } = await import('../../src/index.js');
    const engine = createEngine({ workers: 0 });
    try {
      const r = await engine.kernels.geo.haversineMatrix(latLng(3, 19), latLng(4, 20), { backend: 'gpujs' });
      expect(r.backend).toBe('gpujs');
      expect(r.mode).toBe(st.mode);
    } finally {
      await engine.close();
    }
  });
});
