/**
 * Time-series kernels on input found by fuzzing the embedding API: null options, detached
 * buffers and huge horizons threw raw TypeErrors / RangeErrors, a huge season sized a native
 * output past memory, and values near the float64 limit gave NaN forecasts without a note.
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

    it(`${backend}: a series near the float64 limit gets a note and NaN, never NaN without a note`, async () => {
      const huge = wave(30).map((v) => v * 1e306);
      // ses, theta and otm overflow on these values (their rows were NaN without a note).
      for (const model of ['otm', 'theta', 'ses'] as const) {
        const r = await ts.forecast({ series: [huge, wave(30)] }, { model, horizon: 3, backend });
        expect(r.notes[0], model).toMatch(/overflow/);
        expect(r.used[0]).toBe('none');
        expect(Array.from(r.mean.subarray(0, 3)).every(Number.isNaN)).toBe(true);
        // The ordinary series is untouched.
        expect(r.notes[1]).toBeNull();
        expect(Array.from(r.mean.subarray(3)).every(Number.isFinite)).toBe(true);
      }
      // drift stays finite there: its forecast is kept.
      const d = await ts.forecast({ series: [huge] }, { model: 'drift', horizon: 2, backend });
      expect(d.notes[0]).toBeNull();
      // drift: the last value plus the mean step, (y[n-1] - y[0]) / (n - 1).
      expect(d.mean[0]).toBe((huge[29] as number) + ((huge[29] as number) - (huge[0] as number)) / 29);
    });
  }
});
