/**
 * engine.kernels.timeseries.forecast: the batched entry point with the missing-value policy and
 * reported per-series fallbacks (never a NaN forecast without a reason), on hand-made series.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const ts = engine.kernels.timeseries;

describe('timeseries.forecast', () => {
  it('forecasts plain arrays with every model; NaN rows always carry a note', async () => {
    const season = Array.from({ length: 48 }, (_, i) => 10 + 3 * Math.sin((2 * Math.PI * i) / 12) + i * 0.05);
    for (const model of ['naive', 'snaive', 'naive2', 'drift', 'ses', 'theta', 'croston', 'sba', 'tsb'] as const) {
      const out = await ts.forecast(
        { series: [season, [], [null, null], [5, 5, 5, 5]], ids: ['a', 'b', 'c', 'd'] },
        { model, horizon: 6, seasonLength: 12 },
      );
      expect(out.mean).toHaveLength(24);
      for (let s = 0; s < 4; s++) {
        const row = Array.from(out.mean.subarray(s * 6, s * 6 + 6));
        if (row.some((v) => !Number.isFinite(v))) expect(out.notes[s], `${model} series ${s}`).toBeTruthy();
      }
      expect(Array.from(out.mean.subarray(0, 6)).every(Number.isFinite)).toBe(true);
      expect(out.notes[1]).toMatch(/empty/);
      expect(out.notes[2]).toMatch(/missing/);
      // the constant series is too short for m = 12 and says so
      expect(out.notes[3]).toMatch(/shorter than/);
      // a constant series forecasts the constant (SBA deflates Croston by 1 - alpha / 2 by design)
      expect(out.mean[18]).toBeCloseTo(model === 'sba' ? 4.75 : 5, 9);
    }
  });

  it('missing values: interpolated by default, dropped, or refused per series', async () => {
    const x = [1, 2, null, 4, 5];
    const interp = await ts.forecast({ series: [x] }, { model: 'drift', horizon: 1 });
    expect(interp.mean[0]).toBeCloseTo(6, 12);
    expect(interp.notes[0]).toMatch(/1 missing values interpolated/);
    const refused = await ts.forecast({ series: [x] }, { model: 'naive', horizon: 1, missing: 'error' });
    expect(Number.isNaN(refused.mean[0])).toBe(true);
    expect(refused.used[0]).toBe('none');
  });

  it('multiplicative adjustment is skipped (and said) for series with values <= 0; snaive falls back to naive', async () => {
    const s = Array.from({ length: 48 }, (_, i) => Math.sin((2 * Math.PI * i) / 12));
    const out = await ts.forecast({ series: [s] }, { model: 'naive2', horizon: 2, seasonLength: 12 });
    expect(out.notes[0]).toMatch(/<= 0/);
    const sn = await ts.forecast({ series: [[1, 2, 3]] }, { model: 'snaive', horizon: 2, seasonLength: 12 });
    expect(sn.used[0]).toBe('naive');
    expect(Array.from(sn.mean)).toEqual([3, 3]);
  });

  it('rejects bad options and input with codes', async () => {
    await expect(ts.forecast({ series: [[1]] }, { model: 'naive', horizon: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(ts.forecast({ series: [[1]] }, { model: 'nope' as 'naive', horizon: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(ts.forecast({ series: [[1]], ids: ['a', 'b'] }, { model: 'naive', horizon: 1 })).rejects.toMatchObject({
      code: 'INVALID_LENGTH',
    });
    await expect(ts.forecast({ series: [[1, 'x' as unknown as number]] }, { model: 'naive', horizon: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const neg = await ts.forecast({ series: [[0, -2, 3]] }, { model: 'croston', horizon: 1 });
    expect(neg.notes[0]).toMatch(/negative demand/);
  });

  it('a batch whose offsets do not cut its values is refused before any fit (fitEts fitted the wrong values)', async () => {
    const values = Float64Array.from({ length: 30 }, (_, i) => 10 + (i % 7));
    const ids = ['a', 'b', 'c'];
    for (const offsets of [
      [0, 12, 8, 30], // decreasing: series b was silently empty
      [0, -1, 20, 30], // negative
      [0, 10, 20, 25], // ends before the values
      [0, 10, 20, 31], // runs past them (a RangeError)
      [1, 10, 20, 30], // does not start at 0
    ]) {
      const batch = { ids, values, offsets: Int32Array.from(offsets) };
      await expect(ts.fitEts(batch, { seasonLength: 1 })).rejects.toMatchObject({ code: 'INVALID_LENGTH', details: { field: 'offsets' } });
      await expect(ts.forecast(batch, { model: 'naive', horizon: 2 })).rejects.toMatchObject({ code: 'INVALID_LENGTH' });
    }
    await expect(ts.fitEts({ values, offsets: Int32Array.of(0, 30) } as never, {})).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'ids' },
    });
    await expect(ts.forecast({ values, offsets: [0, 30], ids: ['a'] } as never, { model: 'naive', horizon: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'offsets' },
    });
    const ok = await ts.fitEts({ ids: ['a', 'b'], values, offsets: Int32Array.of(0, 12, 30) }, { seasonLength: 1 });
    expect(ok.fits.every((f) => f !== null)).toBe(true);
  });
});
