/**
 * gpu.js backend: reports the mode it really runs in, and matches the TypeScript reference
 * within float32 tolerances (haversine 3 m + 1e-6 x d; euclidean 1e-6 x the coordinate range).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createGpujsBackend } from '../../src/backends/gpujs.js';
import { createEngine, EARTH_RADIUS_M, type WaybillError } from '../../src/index.js';
import { plantAntipodes, randomLatLng, worstRatio } from '../helpers/random.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const geo = engine.kernels.geo;
const st = engine.backends().find((b) => b.name === 'gpujs');
const skip = !st?.available;
if (skip) console.warn(`skipped: gpujs tests: ${st?.reason}`);
const label = skip ? ` (skipped: gpujs unavailable: ${st?.reason})` : '';

const haversineTol = (ref: number) => 3 + 1e-6 * ref;

describe(`gpujs backend${label}`, () => {
  it('reports the mode gpu.js really runs in, and a reason when that is not a GPU', () => {
    expect(st?.mode).toMatch(/^(gpu|webgl|webgl2|headlessgl|webgpu|webasm|cpu)$/);
    if (!['gpu', 'webgl', 'webgl2', 'headlessgl', 'webgpu'].includes(st?.mode ?? '')) {
      expect(st?.autoSelect).toBe(false);
      expect(st?.reason).toContain(st?.mode as string);
    }
  });

  it.skipIf(skip)('haversineMatrix matches the reference, poles, date line and antipodes included', async () => {
    const o = randomLatLng(120, 31);
    const d = randomLatLng(170, 32);
    plantAntipodes(o, d, [
      [10, 20],
      [11, 21],
      [12, 22],
    ]);
    const ref = await geo.haversineMatrix(o, d, { backend: 'js' });
    const got = await geo.haversineMatrix(o, d, { backend: 'gpujs' });
    expect(got.backend).toBe('gpujs');
    expect(got.mode).toBe(st?.mode);
    expect(worstRatio(got.data, ref.data, haversineTol)).toBeLessThanOrEqual(1);
    const f32 = await geo.haversineMatrix(o, d, { backend: 'gpujs', output: 'float32' });
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect(worstRatio(f32.data, ref.data, haversineTol)).toBeLessThanOrEqual(1);
  });

  it.skipIf(skip)('n = 0 and n = 1', async () => {
    expect((await geo.haversineMatrix(new Float64Array(0), randomLatLng(5, 1), { backend: 'gpujs' })).data.length).toBe(0);
    const one = randomLatLng(1, 33);
    const many = randomLatLng(40, 34);
    const ref = await geo.haversineMatrix(one, many, { backend: 'js' });
    const got = await geo.haversineMatrix(one, many, { backend: 'gpujs' });
    expect(worstRatio(got.data, ref.data, haversineTol)).toBeLessThanOrEqual(1);
  });

  it.skipIf(skip)('euclideanMatrix matches on shifted, scaled coordinates', async () => {
    const o = randomLatLng(90, 35, false).map((v) => v * 1000 + 5e5);
    const d = randomLatLng(110, 36, false).map((v) => v * 1000 + 5e5);
    const ref = await geo.euclideanMatrix(o, d, { backend: 'js' });
    const got = await geo.euclideanMatrix(o, d, { backend: 'gpujs' });
    const range = 360_000;
    expect(worstRatio(got.data, ref.data, () => 1e-6 * range)).toBeLessThanOrEqual(1);
  });

  it.skipIf(skip)('kNearest distances match; indices differ only at float32 near-ties', async () => {
    const o = randomLatLng(80, 37);
    const d = randomLatLng(300, 38);
    const ref = await geo.kNearest(o, d, 6, { backend: 'js' });
    const got = await geo.kNearest(o, d, 6, { backend: 'gpujs' });
    expect(worstRatio(got.distances, ref.distances, haversineTol)).toBeLessThanOrEqual(1);
    for (let t = 0; t < ref.indices.length; t++) {
      if (got.indices[t] !== ref.indices[t]) {
        // The swapped candidate is within float32 tolerance of the reference's distance.
        expect(Math.abs((got.distances[t] as number) - (ref.distances[t] as number))).toBeLessThanOrEqual(
          haversineTol(ref.distances[t] as number),
        );
      }
    }
  });

  it.skipIf(skip)('writes only the rows asked for, and nothing once the cancel flag is set', () => {
    const backend = createGpujsBackend();
    const o = randomLatLng(12, 39);
    const d = randomLatLng(9, 40);
    const out = new Float64Array(12 * 9).fill(-1);
    backend.run({ kernel: 'haversineMatrix', origins: o, dests: d, rowBegin: 3, rowEnd: 7, radius: EARTH_RADIUS_M, out }, true);
    for (let t = 0; t < out.length; t++) {
      const row = Math.floor(t / 9);
      if (row >= 3 && row < 7) expect(out[t]).toBeGreaterThanOrEqual(0);
      else expect(out[t]).toBe(-1);
    }
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    const untouched = new Float64Array(12 * 9).fill(-1);
    backend.run(
      { kernel: 'haversineMatrix', origins: o, dests: d, rowBegin: 0, rowEnd: 12, radius: EARTH_RADIUS_M, out: untouched, cancel },
      true,
    );
    expect(untouched.every((v) => v === -1)).toBe(true);
  });

  it.skipIf(skip)('an aborted signal stops it before any work', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = (await geo
      .haversineMatrix(randomLatLng(10, 1), randomLatLng(10, 2), { backend: 'gpujs', signal: ac.signal })
      .catch((e) => e)) as WaybillError;
    expect(err.code).toBe('ABORTED');
  });
});
