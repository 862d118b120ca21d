/**
 * Native (C++) vs TS reference forecasters on the real series of ../shared/data/ts: every model,
 * M4 Hourly / Weekly, the M3 sample and carparts. Tolerance: 1e-9 relative (the same formulas and
 * the same alpha search; only libm rounding may differ).
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
      const batch = parseM4Csv(readFileSync(join(TS, `${set}-train.csv`), 'utf8'));
      for (const model of FORECAST_MODELS) {
        const a = await engine.kernels.timeseries.forecast(batch, { model, horizon: h, seasonLength: m, backend: 'native' });
        const b = await engine.kernels.timeseries.forecast(batch, { model, horizon: h, seasonLength: m, backend: 'js' });
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
    });
  }
});
