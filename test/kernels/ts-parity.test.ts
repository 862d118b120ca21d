/**
 * Native (C++) vs TS reference forecasters on the real series of ../shared/data/ts: every model,
 * M4 Hourly / Weekly, the M3 sample and carparts (ETS and Comb on the first series of each set).
 * Tolerance: 1e-9 relative (the same formulas, the same Nelder-Mead and alpha search; only libm
 * rounding may differ), and the same model chosen for every series.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseM4Csv } from '../../src/data/m4.js';
import { createEngine } from '../../src/index.js';
import { FORECAST_MODELS } from '../../src/kernels/timeseries/index.js';
import { defaultDataDir } from '../../src/paths.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const nativeOk = engine.backends().find((b) => b.name === 'native')?.available === true;
if (!nativeOk) console.warn('skipped: time-series native parity: native backend unavailable');
const TS = join(defaultDataDir(), 'ts');
const have = existsSync(join(TS, 'm4', 'Hourly-train.csv'));
if (!have) console.warn(`skipped: time-series native parity on real data: ${TS} not found`);

const SETS = [
  ['m4/Hourly', 24, 48],
  ['m4/Weekly', 1, 13],
  ['m3/Monthly', 12, 18],
  ['m3/Quarterly', 4, 8],
  ['m3/Yearly', 1, 6],
  ['intermittent/carparts', 12, 12],
] as const;

describe.skipIf(!nativeOk || !have)('time-series native vs TS reference', () => {
  for (const [set, m, h] of SETS) {
    it(`${set}: every model agrees to 1e-9`, async () => {
      const full = parseM4Csv(readFileSync(join(TS, `${set}-train.csv`), 'utf8'));
      for (const model of FORECAST_MODELS) {
        // ETS fits every model by Nelder-Mead: the TS reference runs on the first series only (speed).
        const k = model === 'ets' || model === 'comb' ? (m === 24 ? 8 : 40) : full.ids.length;
        const batch = {
          ids: full.ids.slice(0, k),
          values: full.values.subarray(0, full.offsets[k] as number),
          offsets: full.offsets.slice(0, k + 1),
        };
        const a = await engine.kernels.timeseries.forecast(batch, { model, horizon: h, seasonLength: m, backend: 'native', workers: 2 });
        const b = await engine.kernels.timeseries.forecast(batch, { model, horizon: h, seasonLength: m, backend: 'js' });
        expect(a.used, `${set} ${model}`).toEqual(b.used);
        expect(a.backend).toBe('native');
        expect(b.backend).toBe('js');
        let worst = 0;
        for (let i = 0; i < a.mean.length; i++) {
          const x = a.mean[i] as number;
          const y = b.mean[i] as number;
          if (Number.isNaN(x) || Number.isNaN(y)) {
            expect(Number.isNaN(x) && Number.isNaN(y), `${model} ${i}`).toBe(true);
            continue;
          }
          worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
        }
        expect(worst, `${set} ${model}`).toBeLessThanOrEqual(1e-9);
        expect(a.notes).toEqual(b.notes);
      }
      // AutoETS by selection alone (the native core fits the non-seasonal models in lockstep, vector
      // lanes, for selection and combination alike): the same models and forecasts.
      const k = m === 24 ? 8 : 40;
      const sub = {
        ids: full.ids.slice(0, k),
        values: full.values.subarray(0, full.offsets[k] as number),
        offsets: full.offsets.slice(0, k + 1),
      };
      const opts = { model: 'ets' as const, horizon: h, seasonLength: m, etsCombine: 'select' as const };
      const a = await engine.kernels.timeseries.forecast(sub, { ...opts, backend: 'native', workers: 2 });
      const b = await engine.kernels.timeseries.forecast(sub, { ...opts, backend: 'js' });
      expect(a.used, `${set} ets select`).toEqual(b.used);
      expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    }, 60_000);
  }
});
