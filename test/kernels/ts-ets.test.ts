/**
 * ETS / AutoETS: the recursion and criterion against hand computations, admissibility against
 * root moduli computed independently (numpy.roots), Nelder-Mead, parameter recovery on simulated
 * series, the forecast function and intervals, bad input and fallbacks, and accuracy on the held-
 * back test parts of the real M3 / M4 series against the R ets figures of issue 6.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseM4Csv, type SeriesBatch } from '../../src/data/m4.js';
import { createEngine } from '../../src/index.js';
import { baselineForecast } from '../../src/kernels/timeseries/baselines.js';
import {
  admissible,
  autoEts,
  type EtsCombine,
  type EtsFit,
  type EtsSpec,
  etsCandidates,
  etsCriterion,
  etsIntervals,
  etsPointForecast,
  fitEts,
  nelderMead,
  rootsInsideUnitCircle,
} from '../../src/kernels/timeseries/ets.js';
import { forecastBatch } from '../../src/kernels/timeseries/forecast.js';
import { coverage, owa, scoreForecasts } from '../../src/kernels/timeseries/metrics.js';
import { thetafForecast } from '../../src/kernels/timeseries/theta.js';
import { defaultDataDir } from '../../src/paths.js';
import { mulberry32 } from '../helpers/random.js';

function gauss(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

describe('ETS building blocks', () => {
  it('ETS(A,N,N) criterion and final state match a hand computation', () => {
    // y = 1, 2, 3; alpha 0.5; l0 = 1: errors 0, 1, 1.5 (levels 1, 1.5, 2.25); SSE 3.25.
    const end = { state: { level: 0, trend: 0, season: new Float64Array(1) }, sse: 0 };
    const spec = { error: 'A', trend: 'N', season: 'N' } as const;
    const lik = etsCriterion([1, 2, 3], 1, spec, { alpha: 0.5, beta: 0, gamma: 0, phi: 1 }, 1, 0, [0], new Float64Array(1), end);
    expect(end.sse).toBeCloseTo(3.25, 12);
    expect(end.state.level).toBeCloseTo(2.25, 12);
    expect(lik).toBeCloseTo(3 * Math.log(3.25), 12);
  });

  it('ETS(M,A,M) criterion: relative errors plus 2 sum log|f|', () => {
    // m = 2, s = (1, 2), l0 = 1, b0 = 0.5, alpha .5, beta .2, gamma .1; y = 2, 4.
    // t0: f = 1.5, e = 1/3, d = 2 - 1.5 = .5 -> l = 1.75, b = .6; t1: f = (1.75 + .6) * 2 = 4.7, e = -.7 / 4.7.
    const spec = { error: 'M', trend: 'A', season: 'M' } as const;
    const p = { alpha: 0.5, beta: 0.2, gamma: 0.1, phi: 1 };
    const lik = etsCriterion([2, 4], 2, spec, p, 1, 0.5, [1, 2], new Float64Array(2));
    const sse = 1 / 9 + (0.7 / 4.7) ** 2;
    expect(lik).toBeCloseTo(2 * Math.log(sse) + 2 * (Math.log(1.5) + Math.log(4.7)), 10);
  });

  it('admissibility agrees with independently computed root moduli', () => {
    expect(rootsInsideUnitCircle([-0.45, 0.4, 1])).toBe(true); // roots 0.5, -0.9
    expect(rootsInsideUnitCircle([-0.22, -0.9, 1])).toBe(false); // roots 1.1, -0.2
    // numpy.roots: largest moduli 0.9957 (+ the unit root, deflated) -> admissible; 0.8827 -> admissible;
    // 1.0039 -> not. The first case underflowed before the rescaling in rootsInsideUnitCircle.
    expect(admissible({ alpha: 0.1, beta: 0, gamma: 0.05, phi: 1 }, 12, false)).toBe(true);
    expect(admissible({ alpha: 0.5, beta: 0.2, gamma: 0.3, phi: 0.9 }, 4, true)).toBe(true);
    expect(admissible({ alpha: 0.9, beta: 0.85, gamma: 0.0999, phi: 0.98 }, 12, true)).toBe(false);
  });

  it('Nelder-Mead finds the minimum of a quadratic and of Rosenbrock', () => {
    const q = nelderMead((x) => ((x[0] as number) - 3) ** 2 + 10 * ((x[1] as number) + 1) ** 2, [0, 0], [0.5, 0.5], 2000, 1e-14);
    expect(q.x[0]).toBeCloseTo(3, 5);
    expect(q.x[1]).toBeCloseTo(-1, 5);
    const r = nelderMead(
      (x) => 100 * ((x[1] as number) - (x[0] as number) ** 2) ** 2 + (1 - (x[0] as number)) ** 2,
      [-1.2, 1],
      [0.1, 0.1],
      5000,
      1e-16,
    );
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
  });
});

describe('fitting and forecasting', () => {
  it('recovers alpha of a simulated ETS(A,N,N) series', () => {
    const g = gauss(mulberry32(7));
    const y: number[] = [];
    let l = 50;
    for (let t = 0; t < 2000; t++) {
      const e = g();
      y.push(l + e);
      l += 0.3 * e;
    }
    const f = fitEts(y, 1, { error: 'A', trend: 'N', season: 'N' }) as EtsFit;
    expect(f.alpha).toBeGreaterThan(0.25);
    expect(f.alpha).toBeLessThan(0.35);
    expect(f.sigma2).toBeGreaterThan(0.9);
    expect(f.sigma2).toBeLessThan(1.1);
  });

  it('AutoETS finds the season of a simulated seasonal series and beats the non-seasonal fit on AICc', () => {
    const g = gauss(mulberry32(11));
    const y: number[] = [];
    let l = 100;
    const s = Array.from({ length: 12 }, (_, j) => 10 * Math.sin((2 * Math.PI * j) / 12));
    for (let t = 0; t < 144; t++) {
      const e = g();
      y.push(l + (s[t % 12] as number) + e);
      l += 0.2 * e;
      s[t % 12] = (s[t % 12] as number) + 0.05 * e;
    }
    const auto = autoEts(y, 12) as EtsFit;
    expect(auto.spec.season).not.toBe('N');
    const flat = autoEts(y, 12, { model: 'ZZN' }) as EtsFit;
    expect(auto.aicc).toBeLessThan(flat.aicc);
  });

  it('Akaike-weighted AutoETS: weights from the AICc differences, the lowest-AICc model first, forecasts and intervals combined', () => {
    const g = gauss(mulberry32(5));
    const y: number[] = [];
    let l = 50;
    for (let t = 0; t < 30; t++) {
      l += 1 + 0.8 * g();
      y.push(l + g());
    }
    const selected = autoEts(y, 1, { combine: 'select' }) as EtsFit;
    const combined = autoEts(y, 1) as EtsFit;
    expect(selected.ensemble).toBeUndefined();
    const ens = combined.ensemble as NonNullable<EtsFit['ensemble']>;
    expect(ens.length).toBeGreaterThan(1);
    // The fit itself is the selected model; its members are every candidate above the cut-off.
    expect(combined.spec).toEqual(selected.spec);
    expect(combined.aicc).toBe(selected.aicc);
    expect(ens[0]?.fit.spec).toEqual(selected.spec);
    // Weights by hand: every candidate fitted alone, exp(-dAICc / 2), normalised over those kept.
    const singles = etsCandidates(y, 1).map((spec) => fitEts(y, 1, spec) as EtsFit);
    const raw = singles.map((f) => Math.exp(-0.5 * (f.aicc - selected.aicc)));
    const total = raw.reduce((a, b) => a + b, 0);
    const keptRaw = raw.filter((w) => w / total >= 1e-3);
    expect(ens.length).toBe(keptRaw.length);
    const keptTotal = keptRaw.reduce((a, b) => a + b, 0);
    for (const e of ens) {
      const k = singles.findIndex((f) => f.aicc === e.fit.aicc && f.spec.trend === e.fit.spec.trend && f.spec.error === e.fit.spec.error);
      expect(e.weight).toBeCloseTo((raw[k] as number) / keptTotal, 12);
    }
    expect(ens.reduce((a, e) => a + e.weight, 0)).toBeCloseTo(1, 12);
    for (let i = 1; i < ens.length; i++)
      expect((ens[i] as { weight: number }).weight).toBeLessThanOrEqual((ens[i - 1] as { weight: number }).weight);
    // Point forecast = the weighted mean of the members' forecasts; it differs from the selected one.
    const h = 6;
    const fc = etsPointForecast(combined, h);
    const byHand = new Float64Array(h);
    for (const e of ens) {
      const f = etsPointForecast(e.fit, h);
      for (let i = 0; i < h; i++) byHand[i] = (byHand[i] as number) + e.weight * (f[i] as number);
    }
    for (let i = 0; i < h; i++) expect(fc[i]).toBeCloseTo(byHand[i] as number, 9);
    expect(Array.from(fc)).not.toEqual(Array.from(etsPointForecast(selected, h)));
    // Intervals: weighted member quantiles, ordered around the combined mean.
    const iv = etsIntervals(combined, h, [80, 95]);
    for (let i = 0; i < h; i++) {
      expect(iv.lower[h + i]).toBeLessThan(iv.lower[i] as number);
      expect(iv.lower[i]).toBeLessThan(fc[i] as number);
      expect(fc[i]).toBeLessThan(iv.upper[i] as number);
      expect(iv.upper[i]).toBeLessThan(iv.upper[h + i] as number);
    }
  });

  it('the forecast function: damped trend and additive season', () => {
    const fit: EtsFit = {
      spec: { error: 'A', trend: 'Ad', season: 'A' },
      m: 2,
      n: 3,
      alpha: 0.5,
      beta: 0.1,
      gamma: 0.1,
      phi: 0.9,
      level: 10,
      trend: 1,
      season: Float64Array.from([1, -1]),
      sigma2: 4,
      loglik: 0,
      aic: 0,
      aicc: 0,
      bic: 0,
      np: 6,
    };
    // Next time index is n = 3 -> cycle position 1, then 0.
    expect(Array.from(etsPointForecast(fit, 3))).toEqual(
      [10 + 0.9 - 1, 10 + 0.9 + 0.81 + 1, 10 + 0.9 + 0.81 + 0.729 - 1].map((v) => expect.closeTo(v, 12)),
    );
  });

  it('class-1 intervals use sigma^2 (1 + (h - 1) alpha^2) for ETS(A,N,N); simulated ETS(M,N,N) intervals agree at small sigma', () => {
    const base = {
      m: 1,
      n: 10,
      beta: 0,
      gamma: 0,
      phi: 1,
      trend: 0,
      season: new Float64Array(1),
      loglik: 0,
      aic: 0,
      aicc: 0,
      bic: 0,
      np: 3,
    };
    const ann: EtsFit = { ...base, spec: { error: 'A', trend: 'N', season: 'N' }, alpha: 0.5, level: 10, sigma2: 4 };
    const iv = etsIntervals(ann, 3, [95]);
    expect(iv.upper[2]).toBeCloseTo(10 + 1.959963984540054 * Math.sqrt(4 * (1 + 2 * 0.25)), 6);
    expect(iv.lower[0]).toBeCloseTo(10 - 1.959963984540054 * 2, 6);
    const mnn: EtsFit = { ...base, spec: { error: 'M', trend: 'N', season: 'N' }, alpha: 0.5, level: 100, sigma2: 0.0004 };
    const sim = etsIntervals(mnn, 3, [95], { paths: 4000, seed: 3 });
    const approx = 1.959963984540054 * 100 * 0.02 * Math.sqrt(1 + 2 * 0.25);
    expect(Math.abs((sim.upper[2] as number) - (sim.lower[2] as number) - 2 * approx) / (2 * approx)).toBeLessThan(0.06);
  });
});

describe('forecastBatch with model ets: bad input and fallbacks', () => {
  const batch = (series: number[][]): SeriesBatch => {
    const offsets = new Int32Array(series.length + 1);
    series.forEach((s, i) => {
      offsets[i + 1] = (offsets[i] as number) + s.length;
    });
    return { ids: series.map((_, i) => `s${i}`), values: Float64Array.from(series.flat()), offsets };
  };
  const wave = Array.from({ length: 60 }, (_, t) => 20 + 5 * Math.sin((2 * Math.PI * t) / 12) + (t % 7) * 0.3);

  it('rejects a bad model code, levels on another model and levels out of range', async () => {
    const b = batch([wave]);
    await expect(forecastBatch(b, { model: 'ets', horizon: 3, etsModel: 'XYZ' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(forecastBatch(b, { model: 'theta', horizon: 3, levels: [95] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'levels' },
    });
    await expect(forecastBatch(b, { model: 'ets', horizon: 3, levels: [100] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reports every fallback in notes and never returns NaN without a reason', async () => {
    const negative = wave.map((v, t) => v - 22 + (t % 3));
    const out = await forecastBatch(batch([[Number.NaN, Number.NaN], [1, 2, 3], negative, Array(30).fill(5), wave]), {
      model: 'ets',
      horizon: 4,
      seasonLength: 12,
      levels: [80, 95],
    });
    expect(out.used[0]).toBe('none');
    expect(out.notes[0]).toMatch(/missing/);
    expect(out.used[1]).toBe('naive');
    expect(out.notes[1]).toMatch(/too few values/);
    expect(out.used[2]).not.toMatch(/M/); // values <= 0: additive models only
    expect(Array.from(out.mean.subarray(12, 16))).toEqual([5, 5, 5, 5].map((v) => expect.closeTo(v, 9)));
    // The default combination names its members, heaviest first, with their Akaike weights.
    expect(out.used[4]).toMatch(/^AICc-weighted ETS\(.,.+,[AM]\) 0\.\d{3}(, ETS\(.,.+,.\) [01]\.\d{3})+$/);
    for (let s = 0; s < 5; s++)
      for (let h = 0; h < 4; h++) {
        const v = out.mean[s * 4 + h] as number;
        expect(Number.isFinite(v) || out.notes[s] !== null).toBe(true);
      }
    const iv = out.intervals as NonNullable<typeof out.intervals>;
    for (let h = 0; h < 4; h++) {
      const mean = out.mean[4 * 4 + h] as number;
      const lo80 = iv.lower[(4 * 2 + 0) * 4 + h] as number;
      const lo95 = iv.lower[(4 * 2 + 1) * 4 + h] as number;
      const hi80 = iv.upper[(4 * 2 + 0) * 4 + h] as number;
      const hi95 = iv.upper[(4 * 2 + 1) * 4 + h] as number;
      expect(lo95).toBeLessThan(lo80);
      expect(lo80).toBeLessThan(mean);
      expect(mean).toBeLessThan(hi80);
      expect(hi80).toBeLessThan(hi95);
    }
    const weekly = await forecastBatch(batch([Array.from({ length: 200 }, (_, t) => 50 + (t % 52))]), {
      model: 'ets',
      horizon: 2,
      seasonLength: 52,
    });
    expect(weekly.notes[0]).toMatch(/maxSeason 24/);
  });
});

const TS = join(defaultDataDir(), 'ts');
const haveData = existsSync(join(TS, 'm3', 'Other-train.csv'));
if (!haveData) console.warn(`skipped: ETS accuracy on real data: ${TS} not found`);
const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const nativeOk = engine.backends().find((b) => b.name === 'native')?.available === true;
if (!nativeOk)
  console.warn(
    'skipped: ETS accuracy on the large sets (Monthly, Weekly, Hourly): no native backend (the TS reference would take minutes)',
  );

function load(dir: string, name: string): { train: SeriesBatch; test: SeriesBatch } {
  return {
    train: parseM4Csv(readFileSync(join(TS, dir, `${name}-train.csv`), 'utf8')),
    test: parseM4Csv(readFileSync(join(TS, dir, `${name}-test.csv`), 'utf8')),
  };
}

/** R ets / thetaf figures of issue 6 (provenance in the fixture). */
const R = JSON.parse(readFileSync(new URL('../fixtures/timeseries/r-reference.json', import.meta.url), 'utf8')).r_ets_thetaf as Record<
  string,
  { ets: [number, number, number] }
>;
const rOwa = (set: string) => (R[set] as { ets: [number, number, number] }).ets[2];

async function etsOwa(dir: string, name: string, m: number, h: number, backend: 'js' | 'native', etsCombine: EtsCombine = 'weights') {
  const { train, test } = load(dir, name);
  const out = await engine.kernels.timeseries.forecast(train, {
    model: 'ets',
    horizon: h,
    seasonLength: m,
    etsCombine,
    backend,
    workers: 2,
    levels: [95],
  });
  const sc = scoreForecasts(train, test, out.mean, h, m);
  const n2 = scoreForecasts(train, test, baselineForecast(train, 'naive2', h, m).mean, h, m);
  const iv = out.intervals as NonNullable<typeof out.intervals>;
  return { owa: owa(sc, n2), smape: sc.smape, mase: sc.mase, coverage: coverage(test, iv.lower, iv.upper, h) };
}

// Thresholds: R ets's OWA on the same series (issue 6), met by the default Akaike-weighted
// AutoETS. Selection alone (R's way) misses M3 Yearly (0.900 vs 0.872, bench/RESULTS.md): its
// threshold there is our own figure, a regression guard, not a claim of parity.
describe.skipIf(!haveData)('AutoETS accuracy on held-back real data (test parts)', () => {
  it('M3 Other (TS reference): OWA <= 0.615 (R ets), 95 % intervals cover 80-100 %', async () => {
    const r = await etsOwa('m3', 'Other', 1, 8, 'js');
    expect(r.owa).toBeLessThanOrEqual(rOwa('M3 Other'));
    expect(r.coverage).toBeGreaterThan(0.8);
  });
  it('M3 Quarterly (TS reference): OWA <= 0.962 (R ets)', async () => {
    const r = await etsOwa('m3', 'Quarterly', 4, 8, 'js');
    expect(r.owa).toBeLessThanOrEqual(rOwa('M3 Quarterly'));
    expect(r.coverage).toBeGreaterThan(0.8);
  }, 60_000);
  it('M3 Yearly: OWA <= 0.872 (R ets); selection alone <= 0.901 (regression guard) and worse than the combination', async () => {
    const r = await etsOwa('m3', 'Yearly', 1, 6, nativeOk ? 'native' : 'js');
    expect(r.owa).toBeLessThanOrEqual(rOwa('M3 Yearly'));
    expect(rOwa('M3 Yearly')).toBe(0.872);
    const sel = await etsOwa('m3', 'Yearly', 1, 6, nativeOk ? 'native' : 'js', 'select');
    expect(sel.owa).toBeLessThanOrEqual(0.901);
    expect(sel.owa).toBeGreaterThan(r.owa);
  }, 60_000);
  it.skipIf(!nativeOk)(
    'M3 Monthly (native): OWA <= 0.852 (R ets)',
    async () => {
      const r = await etsOwa('m3', 'Monthly', 12, 18, 'native');
      expect(r.owa).toBeLessThanOrEqual(rOwa('M3 Monthly'));
    },
    120_000,
  );
  it.skipIf(!nativeOk)(
    'M4 Weekly (native): OWA <= 0.931 (R ets)',
    async () => {
      const r = await etsOwa('m4', 'Weekly', 1, 13, 'native');
      expect(r.owa).toBeLessThanOrEqual(rOwa('M4 Weekly'));
    },
    120_000,
  );
  it.skipIf(!nativeOk)(
    'M4 Hourly (native): OWA <= 0.852 (R ets)',
    async () => {
      const r = await etsOwa('m4', 'Hourly', 24, 48, 'native');
      expect(r.owa).toBeLessThanOrEqual(rOwa('M4 Hourly'));
      expect(rOwa('M4 Hourly')).toBe(0.852);
    },
    300_000,
  );
});

describe('engine.kernels.timeseries.fitEts / forecastFitted', () => {
  it('fit once, forecast later: the same numbers as forecast(model ets); NaN series get a note, bad horizon a code', async () => {
    const wave = Array.from({ length: 48 }, (_, t) => 100 + 10 * Math.sin((2 * Math.PI * t) / 4) + t * 0.5 + ((t * 7) % 5));
    const series = [wave, wave.map((v) => v * 2 + 3), [1, 2, 3]];
    const fitted = await engine.kernels.timeseries.fitEts({ series }, { seasonLength: 4, workers: 2 });
    expect(fitted.fits[0]?.spec.season).not.toBe('N');
    expect(fitted.fits[2]).toBeNull();
    expect(fitted.notes[2]).toMatch(/could be fitted/);
    const later = engine.kernels.timeseries.forecastFitted(fitted.fits, { horizon: 6, levels: [90] });
    const direct = await engine.kernels.timeseries.forecast(
      { series },
      { model: 'ets', horizon: 6, seasonLength: 4, levels: [90], workers: 2 },
    );
    expect(Array.from(later.mean.subarray(0, 12))).toEqual(Array.from(direct.mean.subarray(0, 12)));
    expect(Array.from(later.intervals?.lower.subarray(0, 12) ?? [])).toEqual(Array.from(direct.intervals?.lower.subarray(0, 12) ?? []));
    expect(Number.isNaN(later.mean[12] as number)).toBe(true);
    const js = await engine.kernels.timeseries.fitEts({ series }, { seasonLength: 4, backend: 'js' });
    expect(js.fits[0]?.aicc).toBe(fitted.fits[0]?.aicc);
    const withNaN = await engine.kernels.timeseries.fitEts({ series: [[1, null, 3, 4, 5, 6, 7, 8, 9, 10]] }, {});
    expect(withNaN.fits[0]).toBeNull();
    expect(withNaN.notes[0]).toMatch(/missing/);
    expect(() => engine.kernels.timeseries.forecastFitted(fitted.fits, { horizon: 0 })).toThrow(/horizon/);
  });
});

// Hand-checked against R: ets() / thetaf() of R forecast 8.20 on 12 real M3 series, run here and
// committed with the command that produced them (test/fixtures/timeseries/r-ets-fits.json).
describe.skipIf(!haveData)('TS reference vs R forecast 8.20 on 12 M3 series (fixture)', () => {
  const doc = JSON.parse(readFileSync(new URL('../fixtures/timeseries/r-ets-fits.json', import.meta.url), 'utf8')) as {
    series: Array<{ file: string; id: string; m: number; h: number; method: string; loglik: number; aicc: number; thetaf: number[] }>;
  };
  const rows = doc.series.map((s) => {
    const b = parseM4Csv(readFileSync(join(TS, s.file), 'utf8'));
    const i = b.ids.indexOf(s.id);
    const y = b.values.subarray(b.offsets[i] as number, b.offsets[i + 1] as number);
    return { s, y };
  });

  it('thetaf forecasts equal R thetaf to 1e-3 relative (R fits SES by Nelder-Mead, we solve it exactly)', () => {
    for (const { s, y } of rows) {
      const ours = thetafForecast({ ids: [s.id], values: Float64Array.from(y), offsets: Int32Array.from([0, y.length]) }, s.h, s.m).mean;
      s.thetaf.forEach((v, k) => {
        expect(Math.abs((ours[k] as number) - v) / Math.abs(v), `${s.id} h=${k + 1}`).toBeLessThan(1e-3);
      });
    }
  });

  it("fitting R's chosen model reaches R's log-likelihood (within 0.01 on 10 of 12, never more than 1.5 below); AutoETS's AICc is never worse than R's", () => {
    let asGood = 0;
    for (const { s, y } of rows) {
      const m = /ETS\((.),(N|Ad|A),(.)\)/.exec(s.method) as RegExpExecArray;
      const spec = { error: m[1], trend: m[2], season: m[3] } as EtsSpec;
      const f = fitEts(y, s.m, spec) as EtsFit;
      expect(f.loglik, `${s.id} ${s.method}: ours ${f.loglik} vs R ${s.loglik}`).toBeGreaterThan(s.loglik - 1.5);
      if (f.loglik >= s.loglik - 0.01) asGood++;
      const auto = autoEts(y, s.m) as EtsFit;
      expect(auto.aicc, `${s.id}: our AutoETS AICc ${auto.aicc} vs R ${s.aicc}`).toBeLessThanOrEqual(s.aicc + 0.05);
    }
    expect(asGood).toBeGreaterThanOrEqual(10);
  });
});
