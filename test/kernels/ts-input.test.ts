/**
 * Time-series kernels on input found by fuzzing the embedding API: null options, detached
 * buffers and huge horizons threw raw TypeErrors / RangeErrors, a huge season sized a native
 * output past memory, and values near the float64 limit gave NaN forecasts without a note (now
 * such series are fitted rescaled by a power of two).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, WaybillError } from '../../src/index.js';
import { MAX_HORIZON } from '../../src/kernels/timeseries/index.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const ts = engine.kernels.timeseries;
const native = engine.backends().find((b) => b.name === 'native');
const backends = native?.available ? (['js', 'native'] as const) : (['js'] as const);

async function failure(call: () => unknown): Promise<{ code: string; field: unknown }> {
  const e = await Promise.resolve()
    .then(call)
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  if (e instanceof WaybillError) return { code: e.code, field: e.details?.field };
  return { code: `raw ${(e as Error)?.name}`, field: undefined };
}

const wave = (n: number, base = 50): number[] => Array.from({ length: n }, (_, t) => base + 10 * Math.sin((2 * Math.PI * t) / 4) + t * 0.1);

describe('time-series input checks', () => {
  it('null or non-object options are INVALID_ARGUMENT naming options', async () => {
    const input = { series: [wave(20)] };
    for (const o of [null, 'x', []]) {
      expect(await failure(() => ts.forecast(input, o as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
      expect(await failure(() => ts.fitEts(input, o as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
      expect(await failure(() => ts.forecastFitted([null], o as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
    }
    expect(await failure(() => ts.forecastFitted('x' as never, { horizon: 1 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'fits' });
  });

  it('a batch whose values or offsets were detached is INVALID_ARGUMENT naming them', async () => {
    const values = Float64Array.from(wave(12));
    const offsets = Int32Array.from([0, 12]);
    structuredClone(values.buffer, { transfer: [values.buffer] });
    expect(await failure(() => ts.forecast({ ids: ['a'], values, offsets }, { model: 'naive', horizon: 2 }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'values',
    });
    const v2 = new Float64Array(0);
    const o2 = Int32Array.from([0, 0]);
    structuredClone(o2.buffer, { transfer: [o2.buffer] });
    expect(await failure(() => ts.fitEts({ ids: ['a'], values: v2, offsets: o2 }, {}))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'offsets',
    });
  });

  it(`horizon above ${MAX_HORIZON} is INVALID_ARGUMENT; the limit itself forecasts`, async () => {
    for (const horizon of [1e9, 2 ** 31, MAX_HORIZON + 1])
      expect(await failure(() => ts.forecast({ series: [wave(12)] }, { model: 'naive', horizon })), String(horizon)).toEqual({
        code: 'INVALID_ARGUMENT',
        field: 'horizon',
      });
    expect(await failure(() => ts.forecastFitted([null], { horizon: 1e9 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'horizon' });
    const r = await ts.forecast({ series: [wave(12)] }, { model: 'naive', horizon: MAX_HORIZON });
    expect(r.mean.length).toBe(MAX_HORIZON);
    expect(r.mean[MAX_HORIZON - 1]).toBe(wave(12)[11]);
  });

  for (const backend of backends) {
    it(`${backend}: fitEts with a season longer than maxSeason fits non-seasonal models with a note; a bad maxSeason is coded`, async () => {
      const y = wave(40);
      const long = await ts.fitEts({ series: [y] }, { seasonLength: 1e9, backend });
      const plain = await ts.fitEts({ series: [y] }, { seasonLength: 1, backend });
      expect(long.fits[0]?.spec.season).toBe('N');
      expect(long.fits[0]?.aicc).toBe(plain.fits[0]?.aicc);
      expect(long.notes[0]).toMatch(/maxSeason/);
      // 2^53: an integer, but past the native binding's 32-bit read (a raw TypeError there).
      for (const maxSeason of [2 ** 53, 2 ** 31]) {
        expect(await failure(() => ts.fitEts({ series: [y] }, { maxSeason, backend }))).toEqual({
          code: 'INVALID_ARGUMENT',
          field: 'maxSeason',
        });
        expect(await failure(() => ts.forecast({ series: [y] }, { model: 'ets', horizon: 2, maxSeason, backend }))).toEqual({
          code: 'INVALID_ARGUMENT',
          field: 'maxSeason',
        });
      }
      expect(await failure(() => ts.fitEts({ series: [y] }, { maxSeason: -1, backend }))).toEqual({
        code: 'INVALID_ARGUMENT',
        field: 'maxSeason',
      });
    });

    it(`${backend}: series of huge or tiny magnitude are fitted rescaled by a power of two (ses, theta, otm overflowed or drifted), and a forecast past the float64 range is NaN with a note`, async () => {
      for (const scale of [1e306, 1e160, 1e-300]) {
        const scaled = wave(30).map((v) => v * scale);
        for (const model of ['otm', 'theta', 'ses', 'comb'] as const) {
          const plain = await ts.forecast({ series: [wave(30)] }, { model, horizon: 3, backend });
          const r = await ts.forecast({ series: [scaled, wave(30)] }, { model, horizon: 3, backend });
          expect(r.notes[0], `${model} x ${scale}`).toMatch(/values rescaled by 2\^-?\d+ for the arithmetic/);
          expect(r.used[0]).toBe(plain.used[0]);
          for (let h = 0; h < 3; h++) expect((r.mean[h] as number) / scale, `${model} x ${scale}`).toBeCloseTo(plain.mean[h] as number, 6);
          // The ordinary series is untouched.
          expect(r.notes[1]).toBeNull();
          expect(Array.from(r.mean.subarray(3))).toEqual(Array.from(plain.mean));
        }
      }
      // drift is rescaled too, by a power of two, so it stays exact: the last value plus the mean
      // step, (y[n-1] - y[0]) / (n - 1).
      const huge = wave(30).map((v) => v * 1e306);
      const d = await ts.forecast({ series: [huge] }, { model: 'drift', horizon: 2, backend });
      expect(d.mean[0]).toBe((huge[29] as number) + ((huge[29] as number) - (huge[0] as number)) / 29);
      // A steep rise near the largest double: its forecast leaves the float64 range.
      const edge = Array.from({ length: 10 }, (_, t) => 1e307 * (1 + 2 * t));
      const o = await ts.forecast({ series: [edge] }, { model: 'drift', horizon: 3, backend });
      expect(o.notes[0]).toMatch(/overflow/);
      expect(o.used[0]).toBe('none');
      expect(Array.from(o.mean).every(Number.isNaN)).toBe(true);
    });
  }
});
