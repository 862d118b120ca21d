/**
 * Held-out evaluation of the demand model: each series' history is cut before its last `horizon`
 * values, the model (and single-method baselines) forecast those values, and the order-up-to level
 * for the first `leadTime` of them is compared with the demand that came.
 *
 * Point accuracy: scaled MAE (MAE over the horizon / the mean of the history; Hyndman's measure for
 * intermittent demand), averaged over the series with a positive history mean. Inventory: coverage
 * = share of series whose lead-time demand was at or under the order-up-to level (target: the
 * service level), and stock = mean order-up-to level / mean lead-time demand (the cost side).
 * Inventory baseline: the textbook normal safety stock, L x mean + z x sd x sqrt(L) from the
 * history's per-period mean and standard deviation.
 */
import type { SeriesBatch } from '../../src/data/m4.js';
import type { ForecastModel } from '../../src/kernels/timeseries/forecast.js';
import { ADI_CUTOFF, type DemandKernels, type DemandMethod, demandPattern, planDemand } from './model.js';

/** Standard normal quantile at 0.9 (the evaluation's service level). */
const Z90 = 1.2815515655446004;
export const EVAL_SERVICE_LEVEL = 0.9;

export interface DemandEvaluation {
  series: number;
  /** Series with a positive history mean (the scaled MAE is over these). */
  scored: number;
  intermittentShare: number;
  horizon: number;
  leadTime: number;
  /**
   * Scaled MAE per method: the model ('model', the default method unless `method` was given), every
   * method applied to all series, 'zero', the Syntetos-Boylan rule ('sb-rule') and, with
   * compareAuto, per-series selection by backtest ('auto').
   */
  smae: Record<string, number>;
  /** Scaled RMSE per method (RMSE over the horizon / the history mean): the mean-unbiased measure. */
  srmse: Record<string, number>;
  inventory: {
    model: { coverage: number; stock: number };
    normal: { coverage: number; stock: number };
  };
  methods: Record<DemandMethod, number>;
}

function split(b: SeriesBatch, horizon: number) {
  const train: number[][] = [];
  const test: number[][] = [];
  for (let i = 0; i < b.ids.length; i++) {
    const y = Array.from(b.values.subarray(b.offsets[i] as number, b.offsets[i + 1] as number));
    train.push(y.slice(0, y.length - horizon));
    test.push(y.slice(y.length - horizon));
  }
  return { train, test };
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Evaluates on the last `horizon` values of each series (series shorter than horizon + 2 must not be given). */
export async function evaluateDemand(
  ts: DemandKernels,
  batch: SeriesBatch,
  options: { horizon: number; leadTime: number; seasonLength?: number; method?: DemandMethod | 'auto'; compareAuto?: boolean },
): Promise<DemandEvaluation> {
  const { horizon, leadTime } = options;
  const m = options.seasonLength ?? 1;
  const { train, test } = split(batch, horizon);
  const plans = await planDemand(
    ts,
    train.map((history) => ({ history, seasonLength: m, horizon, leadTime, serviceLevel: EVAL_SERVICE_LEVEL, method: options.method })),
  );
  const scoredIdx = train.map((h, i) => [mean(h), i] as const).filter(([mu]) => mu > 0);
  const smaeOf = (f: (i: number) => ArrayLike<number>) =>
    mean(
      scoredIdx.map(([mu, i]) => {
        const p = f(i);
        const t = test[i] as number[];
        return mean(t.map((v, h) => Math.abs(v - (p[h] as number)))) / mu;
      }),
    );
  const rmsseOf = (f: (i: number) => ArrayLike<number>) =>
    mean(
      scoredIdx.map(([mu, i]) => {
        const p = f(i);
        const t = test[i] as number[];
        return Math.sqrt(mean(t.map((v, h) => (v - (p[h] as number)) ** 2))) / mu;
      }),
    );
  const smae: Record<string, number> = { model: smaeOf((i) => (plans[i] as (typeof plans)[number]).forecast) };
  const srmse: Record<string, number> = { model: rmsseOf((i) => (plans[i] as (typeof plans)[number]).forecast) };
  const all = new Map<string, (i: number) => Float64Array>();
  for (const b of ['naive', 'ets', 'sba', 'tsb', 'theta'] as ForecastModel[]) {
    const r = await ts.forecast({ series: train }, { model: b, horizon, seasonLength: m });
    all.set(b, (i: number) => r.mean.subarray(i * horizon, (i + 1) * horizon).map((v) => Math.max(0, v)));
  }
  all.set('zero', () => new Float64Array(horizon));
  // Syntetos-Boylan: SBA where the average inter-demand interval is above 1.32, else ETS.
  const sba = all.get('sba') as (i: number) => Float64Array;
  const ets = all.get('ets') as (i: number) => Float64Array;
  all.set('sb-rule', (i) => (demandPattern(train[i] as number[]).adi > ADI_CUTOFF ? sba(i) : ets(i)));
  if (options.compareAuto) {
    const auto = await planDemand(
      ts,
      train.map((history) => ({ history, seasonLength: m, horizon, leadTime, serviceLevel: EVAL_SERVICE_LEVEL, method: 'auto' as const })),
    );
    all.set('auto', (i) => (auto[i] as (typeof auto)[number]).forecast);
  }
  for (const [name, f] of all) {
    smae[name] = smaeOf(f);
    srmse[name] = rmsseOf(f);
  }
  const ltd = test.map((t) => t.slice(0, leadTime).reduce((a, b) => a + b, 0));
  const normal = train.map((h) => {
    const mu = mean(h);
    const sd = Math.sqrt(h.reduce((a, v) => a + (v - mu) ** 2, 0) / Math.max(1, h.length - 1));
    return leadTime * mu + Z90 * sd * Math.sqrt(leadTime);
  });
  const inv = (level: (i: number) => number) => {
    let covered = 0;
    let stock = 0;
    ltd.forEach((d, i) => {
      if (d <= level(i)) covered++;
      stock += level(i);
    });
    return { coverage: covered / ltd.length, stock: stock / ltd.length / mean(ltd) };
  };
  const methods: Record<DemandMethod, number> = { theta: 0, ets: 0, tsb: 0, sba: 0, naive: 0 };
  for (const p of plans) methods[p.method]++;
  return {
    series: train.length,
    scored: scoredIdx.length,
    intermittentShare: plans.filter((p) => p.intermittent).length / plans.length,
    horizon,
    leadTime,
    smae,
    srmse,
    inventory: { model: inv((i) => (plans[i] as (typeof plans)[number]).orderUpTo), normal: inv((i) => normal[i] as number) },
    methods,
  };
}

/**
 * Weekly units sold of the `top` stock codes with the most invoice lines (UCI Online Retail): weeks
 * from Monday 2010-11-29, the last, partial week (the data ends on Friday 2011-12-09) left out;
 * cancellations and lines with quantity or price <= 0 left out; postage, fees and manual lines
 * (stock codes without a digit: POST, M, DOT, ...) left out.
 */
export function retailWeeklySkus(
  lines: ReadonlyArray<{ invoice: string; stockCode: string; quantity: number; unitPrice: number; day: string }>,
  top: number,
): SeriesBatch {
  const start = Date.UTC(2010, 10, 29);
  const WEEK = 7 * 86_400_000;
  let lastDay = 0;
  const count = new Map<string, number>();
  for (const l of lines) {
    lastDay = Math.max(lastDay, Date.parse(`${l.day}T00:00:00Z`));
    if (l.invoice.startsWith('C') || !(l.quantity > 0) || !(l.unitPrice > 0) || !/\d/.test(l.stockCode)) continue;
    count.set(l.stockCode, (count.get(l.stockCode) ?? 0) + 1);
  }
  const weeks = Math.floor((lastDay + 86_400_000 - start) / WEEK); // full weeks only
  const codes = [...count.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([c]) => c);
  const at = new Map(codes.map((c, i) => [c, i]));
  const values = new Float64Array(codes.length * weeks);
  for (const l of lines) {
    const i = at.get(l.stockCode);
    if (i === undefined || l.invoice.startsWith('C') || !(l.quantity > 0) || !(l.unitPrice > 0)) continue;
    const w = Math.floor((Date.parse(`${l.day}T00:00:00Z`) - start) / WEEK);
    if (w >= 0 && w < weeks) values[i * weeks + w] = (values[i * weeks + w] as number) + l.quantity;
  }
  return { ids: codes, values, offsets: Int32Array.from({ length: codes.length + 1 }, (_, i) => i * weeks) };
}

/** carparts train and test joined per series (the test months last). */
export function joinTrainTest(train: SeriesBatch, test: SeriesBatch): SeriesBatch {
  const byId = new Map(test.ids.map((id, i) => [id, i]));
  const parts: number[] = [];
  const offsets = [0];
  train.ids.forEach((id, i) => {
    const j = byId.get(id);
    if (j === undefined) throw new Error(`series ${id} has no test values`);
    for (const v of train.values.subarray(train.offsets[i] as number, train.offsets[i + 1] as number)) parts.push(v);
    for (const v of test.values.subarray(test.offsets[j] as number, test.offsets[j + 1] as number)) parts.push(v);
    offsets.push(parts.length);
  });
  return { ids: [...train.ids], values: Float64Array.from(parts), offsets: Int32Array.from(offsets) };
}
