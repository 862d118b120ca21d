/**
 * Parity of the cuda and native backends against the TypeScript reference (js) for every geo
 * kernel, on random points plus poles, the date line, antipodes, n = 0 and n = 1.
 * A backend missing on this machine shows up as a skipped test whose name carries the reason.
 * (gpu.js, float32, has its own tolerances: test/backends/gpujs.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../../src/index.js';
import { createEngine } from '../../src/index.js';
import { haversineTolerance, plantAntipodes, randomLatLng, worstRatio } from '../helpers/random.js';

const engine = createEngine({ workers: 2, poolMinPairs: 10_000 });
afterAll(() => engine.close());
const geo = engine.kernels.geo;
const status = new Map(engine.backends().map((s) => [s.name, s]));

const euclidTol = (ref: number) => 1e-12 * Math.max(1, ref);

for (const name of ['cuda', 'native'] as BackendName[]) {
  const st = status.get(name);
  const skip = !st?.available;
  const label = skip ? ` (skipped: ${name} unavailable: ${st?.reason})` : '';
  if (skip) console.warn(`skipped: ${name} parity tests: ${st?.reason}`);

  describe(`${name} vs TS reference${label}`, () => {
    it.skipIf(skip)('haversineMatrix matches on random points with poles, date line and antipodes', async () => {
      for (const [n, m, seed] of [
        [97, 131, 1],
        [600, 700, 2], // large enough for the pool split (poolMinPairs = 10 000)
      ] as const) {
        const o = randomLatLng(n, seed);
        const d = randomLatLng(m, seed + 100);
        plantAntipodes(o, d, [
          [10, 20],
          [11, 21],
          [12, 22],
        ]);
        const ref = await geo.haversineMatrix(o, d, { backend: 'js' });
        const got = await geo.haversineMatrix(o, d, { backend: name });
        expect(got.backend).toBe(name);
        expect(got.rows).toBe(n);
        expect(got.cols).toBe(m);
        expect(worstRatio(got.data, ref.data, haversineTolerance)).toBeLessThanOrEqual(1);
        // The antipodal pairs really are half a circumference apart.
        expect(Math.abs((got.data[10 * m + 20] as number) - Math.PI * 6371008.8)).toBeLessThan(1);
      }
    });

    it.skipIf(skip)('haversineMatrix float32 output is the float64 result rounded', async () => {
      const o = randomLatLng(40, 3);
      const d = randomLatLng(50, 4);
      const r64 = await geo.haversineMatrix(o, d, { backend: name });
      const r32 = await geo.haversineMatrix(o, d, { backend: name, output: 'float32' });
      expect(r32.data).toBeInstanceOf(Float32Array);
      expect(worstRatio(r32.data, Float32Array.from(r64.data), (v) => 1e-7 * Math.abs(v) + 1e-3)).toBeLessThanOrEqual(1);
    });

    it.skipIf(skip)('n = 0, m = 0 and n = 1 work', async () => {
      const one = randomLatLng(1, 5);
      const many = randomLatLng(30, 6);
      const empty = new Float64Array(0);
      expect((await geo.haversineMatrix(empty, many, { backend: name })).data.length).toBe(0);
      expect((await geo.haversineMatrix(many, empty, { backend: name })).data.length).toBe(0);
      const got = await geo.haversineMatrix(one, many, { backend: name });
      const ref = await geo.haversineMatrix(one, many, { backend: 'js' });
      expect(got.rows).toBe(1);
      expect(worstRatio(got.data, ref.data, haversineTolerance)).toBeLessThanOrEqual(1);
    });

    it.skipIf(skip)('euclideanMatrix matches', async () => {
      const o = randomLatLng(300, 7, false).map((v) => v * 1000);
      const d = randomLatLng(400, 8, false).map((v) => v * 1000);
      const ref = await geo.euclideanMatrix(o, d, { backend: 'js' });
      const got = await geo.euclideanMatrix(o, d, { backend: name });
      expect(worstRatio(got.data, ref.data, euclidTol)).toBeLessThanOrEqual(1);
      expect((await geo.euclideanMatrix([0, 0], [3, 4], { backend: name })).data[0]).toBe(5);
    });

    it.skipIf(skip)('kNearest matches (ties to the lower index)', async () => {
      for (const metric of ['haversine', 'euclidean'] as const) {
        const o = randomLatLng(300, 9);
        const d = randomLatLng(900, 10);
        // Exact duplicates make ties: the lower index must win on every backend.
        d.copyWithin(2 * 500, 2 * 100, 2 * 110);
        for (const k of [1, 7, 64]) {
          const ref = await geo.kNearest(o, d, k, { backend: 'js', metric });
          const got = await geo.kNearest(o, d, k, { backend: name, metric });
          expect(got.backend).toBe(name);
          expect(worstRatio(got.distances, ref.distances, metric === 'haversine' ? haversineTolerance : euclidTol)).toBeLessThanOrEqual(1);
          let differ = 0;
          for (let t = 0; t < ref.indices.length; t++) {
            if (got.indices[t] !== ref.indices[t]) {
              differ++;
              // An index may differ only between candidates at the same distance (within rounding).
              const j = got.indices[t] as number;
              const i = Math.floor(t / k);
              const again = await geo.haversineMatrix(o.subarray(2 * i, 2 * i + 2), d.subarray(2 * j, 2 * j + 2), { backend: 'js' });
              if (metric === 'haversine') expect(Math.abs((again.data[0] as number) - (ref.distances[t] as number))).toBeLessThan(1e-6);
            }
          }
          expect(differ).toBeLessThanOrEqual(ref.indices.length / 1000);
        }
      }
    });
  });
}

describe('TS reference (js) against known values', () => {
  it('Paris to London is about 343.5 km; a point to itself is 0', async () => {
    const r = await geo.haversineMatrix([48.8566, 2.3522], [51.5074, -0.1278, 48.8566, 2.3522], { backend: 'js' });
    expect(r.data[0]).toBeGreaterThan(343_000);
    expect(r.data[0]).toBeLessThan(344_100);
    expect(r.data[1]).toBe(0);
  });
  it('pole to pole is half the circumference; 1 degree across the date line', async () => {
    const r = await geo.haversineMatrix([90, 0, 0, 179.5], [-90, 45, 0, -179.5], { backend: 'js' });
    expect(r.data[0]).toBeCloseTo(Math.PI * 6371008.8, 3);
    expect(r.data[3]).toBeCloseTo((Math.PI / 180) * 6371008.8, 6);
  });
  it('radius option scales the result', async () => {
    const r = await geo.haversineMatrix([0, 0], [0, 90], { backend: 'js', radius: 1 });
    expect(r.data[0]).toBeCloseTo(Math.PI / 2, 12);
  });
});
