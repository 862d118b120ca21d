/**
 * The merchant plugin's model: from a merchant's order history as of a date, the probability that it
 * places no order in the next 90 days (churn), a value tier, a growth diagnosis and the revenue at
 * risk that orders outreach.
 *
 * Features at the as-of date, from the orders before it only: days since the last order and since
 * the first, orders and revenue over the last 30 / 90 / 365 days and over the 90 days before the
 * last 90, all-time orders and revenue, mean order value, the mean gap between orders and the days
 * since the last order over that gap, and returned value over the last 365 days.
 *
 * Churn: a logistic gradient-boosted tree model (the engine's ml kernels: C++ core when built, else
 * the TypeScript reference, the same trees). Trained on snapshots at several as-of dates whose
 * 90-day outcome window ends no later than the evaluation date, so evaluation never sees the future.
 *
 * Tier: k-means (k = 4, k-means++ seeded) on standardised log 365-day revenue, log 365-day orders and
 * log recency of the training merchants; clusters are named A (highest mean 365-day revenue) to D.
 * Growth: a rule on the last 90 days against the 90 before (documented at {@link growthOf}).
 * Revenue at risk: P(churn) x the 365-day revenue / 4 (the next 90 days' revenue if it buys as in
 * the past year), the order of an outreach list.
 *
 * Data: UCI Online Retail (../shared/data/retail/online_retail; a UK gift wholesaler's invoices
 * 2010-12-01 to 2011-12-09). Its customers are mostly small shops buying wholesale: they stand in
 * for a platform's merchants here, because the shared Olist sellers come without orders.
 */
import type { RetailLine } from '../../src/data/online-retail.js';
import { WaybillError } from '../../src/errors.js';
import type { GbdtModel, GbdtOptions } from '../../src/kernels/ml/gbdt.js';
import type { MlKernels } from '../../src/kernels/ml/kernels.js';
import { logLoss, rocAuc } from '../../src/kernels/ml/metrics.js';

const DAY = 86_400;
/** The churn horizon: no order within this many days after the as-of date. */
export const HORIZON_DAYS = 90;

/** One order (or a return, with negative revenue). */
export interface MerchantOrder {
  /** Epoch seconds. */
  time: number;
  /** Revenue; negative for a return or cancellation. */
  revenue: number;
}

/** A merchant's history: orders in any order. */
export interface MerchantHistory {
  id: string;
  orders: MerchantOrder[];
}

export const MERCHANT_FEATURES = [
  'recency_days',
  'tenure_days',
  'orders_30d',
  'orders_90d',
  'orders_365d',
  'orders_all',
  'revenue_90d',
  'revenue_prior_90d',
  'revenue_365d',
  'revenue_all',
  'mean_order_value',
  'mean_gap_days',
  'recency_over_gap',
  'returns_365d',
] as const;
const P = MERCHANT_FEATURES.length;

export const CHURN_SHAPE: GbdtOptions = { numIterations: 200, learningRate: 0.03, maxLeaves: 15, minDataInLeaf: 40, seed: 11 };

/** Summary of a history at an as-of date (orders at or after it are ignored). */
export interface MerchantSnapshot {
  features: number[];
  orders: number;
  recencyDays: number;
  tenureDays: number;
  revenue90: number;
  revenuePrior90: number;
  revenue365: number;
  orders365: number;
}

/** The snapshot at `asOf` (epoch s), or undefined when the merchant has no order before it. */
export function snapshot(orders: readonly MerchantOrder[], asOf: number): MerchantSnapshot | undefined {
  const past = orders.filter((o) => o.time < asOf && o.revenue > 0).sort((a, b) => a.time - b.time);
  if (past.length === 0) return undefined;
  const age = (o: MerchantOrder) => (asOf - o.time) / DAY;
  const first = past[0] as MerchantOrder;
  const last = past[past.length - 1] as MerchantOrder;
  let o30 = 0;
  let o90 = 0;
  let o365 = 0;
  let r90 = 0;
  let rPrior = 0;
  let r365 = 0;
  let rAll = 0;
  for (const o of past) {
    const a = age(o);
    rAll += o.revenue;
    if (a <= 30) o30++;
    if (a <= 90) {
      o90++;
      r90 += o.revenue;
    } else if (a <= 180) rPrior += o.revenue;
    if (a <= 365) {
      o365++;
      r365 += o.revenue;
    }
  }
  let returns = 0;
  for (const o of orders) if (o.revenue < 0 && o.time < asOf && age(o) <= 365) returns -= o.revenue;
  const recency = age(last);
  const tenure = age(first);
  const gap = past.length > 1 ? (last.time - first.time) / DAY / (past.length - 1) : Number.NaN;
  const features = [
    recency,
    tenure,
    o30,
    o90,
    o365,
    past.length,
    r90,
    rPrior,
    r365,
    rAll,
    rAll / past.length,
    gap,
    Number.isFinite(gap) && gap > 0 ? recency / gap : Number.NaN,
    returns,
  ];
  return {
    features,
    orders: past.length,
    recencyDays: recency,
    tenureDays: tenure,
    revenue90: r90,
    revenuePrior90: rPrior,
    revenue365: r365,
    orders365: o365,
  };
}

/** Whether the merchant places an order (revenue > 0) in [asOf, asOf + horizon). */
function ordersWithin(orders: readonly MerchantOrder[], asOf: number, horizonDays = HORIZON_DAYS): boolean {
  return orders.some((o) => o.revenue > 0 && o.time >= asOf && o.time < asOf + horizonDays * DAY);
}

/** Growth diagnosis of a snapshot. */
export type Growth = 'new' | 'dormant' | 'growing' | 'declining' | 'stable';

/**
 * new: first order under 90 days ago; dormant: no order in the last 90 days; growing / declining:
 * the last 90 days' revenue at least 25 % above / below the 90 days before; stable otherwise.
 */
export function growthOf(s: MerchantSnapshot): Growth {
  if (s.tenureDays < 90) return 'new';
  if (s.revenue90 <= 0) return 'dormant';
  if (s.revenue90 >= 1.25 * s.revenuePrior90) return 'growing';
  if (s.revenue90 <= 0.75 * s.revenuePrior90) return 'declining';
  return 'stable';
}

/** Order histories of the Online Retail customers (invoices grouped; lines without a customer left out). */
export function retailHistories(lines: readonly RetailLine[]): MerchantHistory[] {
  const byCustomer = new Map<string, Map<string, MerchantOrder>>();
  for (const l of lines) {
    if (l.customer === '') continue;
    const t = Date.parse(`${l.time.replace(' ', 'T')}Z`) / 1000;
    if (!Number.isFinite(t)) throw new WaybillError('INVALID_ARGUMENT', `Online Retail invoice ${l.invoice}: bad date ${l.time}`, {});
    let invoices = byCustomer.get(l.customer);
    if (!invoices) {
      invoices = new Map();
      byCustomer.set(l.customer, invoices);
    }
    const o = invoices.get(l.invoice);
    if (o) o.revenue += l.quantity * l.unitPrice;
    else invoices.set(l.invoice, { time: t, revenue: l.quantity * l.unitPrice });
  }
  return [...byCustomer.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, inv]) => ({ id, orders: [...inv.values()].filter((o) => o.revenue !== 0) }));
}

/** A trained merchant model. */
export interface MerchantModel {
  churn: GbdtModel;
  /** k-means centroids (4 x 3, standardised space) in tier order A..D, and the standardisation. */
  tierCentroids: number[][];
  tierMean: number[];
  tierScale: number[];
  trainingRows: number;
  churnRate: number;
  asOfDates: string[];
}

/** The tiering features of a snapshot: log1p 365-day revenue, log1p 365-day orders, log1p recency. */
function tierPoint(s: MerchantSnapshot): number[] {
  return [Math.log1p(Math.max(0, s.revenue365)), Math.log1p(s.orders365), Math.log1p(s.recencyDays)];
}

const TIERS = ['A', 'B', 'C', 'D'] as const;
export type Tier = (typeof TIERS)[number];

/** The tier of a snapshot: its nearest centroid. */
export function tierOf(m: MerchantModel, s: MerchantSnapshot): Tier {
  const x = tierPoint(s).map((v, j) => (v - (m.tierMean[j] as number)) / (m.tierScale[j] as number));
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  m.tierCentroids.forEach((c, k) => {
    const d = c.reduce((acc, v, j) => acc + (v - (x[j] as number)) ** 2, 0);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  });
  return TIERS[best] as Tier;
}

/** The ml kernels the model needs. */
export type MerchantKernels = Pick<MlKernels, 'train' | 'predict' | 'kmeans'>;

/** Labelled snapshots of every merchant with an order before each as-of date. */
function labelled(histories: readonly MerchantHistory[], asOfs: readonly number[]) {
  const rows: number[] = [];
  const labels: number[] = [];
  const snaps: MerchantSnapshot[] = [];
  for (const asOf of asOfs)
    for (const h of histories) {
      const s = snapshot(h.orders, asOf);
      if (!s) continue;
      rows.push(...s.features);
      labels.push(ordersWithin(h.orders, asOf) ? 0 : 1);
      snaps.push(s);
    }
  return { features: Float64Array.from(rows), labels: Float64Array.from(labels), snaps };
}

const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** Trains churn on snapshots at `asOfs` (epoch s; each needs its 90 days of outcome in the data) and tiers on the last. */
export async function trainMerchant(
  ml: MerchantKernels,
  histories: readonly MerchantHistory[],
  asOfs: readonly number[],
): Promise<MerchantModel> {
  if (asOfs.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'trainMerchant needs at least one as-of date', {});
  const d = labelled(histories, asOfs);
  const n = d.labels.length;
  if (n === 0) throw new WaybillError('INVALID_ARGUMENT', 'no merchant has an order before the as-of dates', {});
  const churnRate = d.labels.reduce((a, b) => a + b, 0) / n;
  if (churnRate === 0 || churnRate === 1)
    throw new WaybillError('INVALID_ARGUMENT', 'every training snapshot has the same outcome: churn cannot be learnt', {});
  const r = await ml.train(
    { features: d.features, numFeatures: P, labels: d.labels },
    { ...CHURN_SHAPE, objective: 'logistic', featureNames: [...MERCHANT_FEATURES] },
  );
  // Tiers from the merchants of the latest as-of date.
  const latest = Math.max(...asOfs);
  const snaps = histories.map((h) => snapshot(h.orders, latest)).filter((s): s is MerchantSnapshot => s !== undefined);
  const pts = snaps.map(tierPoint);
  const mean = [0, 1, 2].map((j) => pts.reduce((a, p) => a + (p[j] as number), 0) / pts.length);
  const scale = [0, 1, 2].map(
    (j) => Math.sqrt(pts.reduce((a, p) => a + ((p[j] as number) - (mean[j] as number)) ** 2, 0) / pts.length) || 1,
  );
  const data = Float64Array.from(pts.flatMap((p) => p.map((v, j) => (v - (mean[j] as number)) / (scale[j] as number))));
  const km = await ml.kmeans(data, 3, { k: 4, seed: 5 });
  const centroids = [0, 1, 2, 3].map((k) => Array.from(km.centroids.subarray(k * 3, k * 3 + 3)));
  // A = the cluster with the highest mean 365-day revenue (first coordinate).
  centroids.sort((a, b) => (b[0] as number) - (a[0] as number));
  return {
    churn: r.model,
    tierCentroids: centroids,
    tierMean: mean,
    tierScale: scale,
    trainingRows: n,
    churnRate,
    asOfDates: asOfs.map(iso),
  };
}

/** Churn probabilities of snapshots. */
export async function predictChurn(
  ml: MerchantKernels,
  m: MerchantModel,
  snaps: readonly MerchantSnapshot[],
): Promise<{ probabilities: Float64Array; backend: string }> {
  const x = Float64Array.from(snaps.flatMap((s) => s.features));
  const r = await ml.predict(m.churn, x, P);
  return { probabilities: r.predictions, backend: r.backend };
}

/** The default dates: training snapshots every 30 days whose outcome ends by the evaluation date. */
export const RETAIL_EVAL_AS_OF = Date.UTC(2011, 8, 9) / 1000; // 2011-09-09: its 90 days end 2011-12-08
export function retailTrainingDates(evalAsOf = RETAIL_EVAL_AS_OF, count = 4): number[] {
  return Array.from({ length: count }, (_, k) => evalAsOf - (HORIZON_DAYS + 30 * k) * DAY);
}

export interface MerchantEvaluation {
  evalAsOf: string;
  trainAsOf: string[];
  trainRows: number;
  testMerchants: number;
  testChurned: number;
  model: { auc: number; logLoss: number };
  /** Days since the last order as the score (the classic rule). */
  recencyRule: { auc: number };
  /** Days since the last order over the merchant's mean gap. */
  gapRule: { auc: number };
  baseRate: { logLoss: number; rate: number };
  /** Churn rate per tier at the evaluation date. */
  tiers: Array<{ tier: Tier; merchants: number; churnRate: number; meanRevenue365: number }>;
  /** Among the top 10 % by revenue at risk: share of all next-90-day revenue lost by churners it holds. */
  outreach: { top10RiskShare: number; top10ByRevenueShare: number };
  backend: string;
}

/**
 * Trains on snapshots before `evalAsOf` whose outcome windows end by it, and scores every merchant
 * with an order before `evalAsOf` against what it did in the 90 days after.
 */
export async function evaluateMerchant(
  ml: MerchantKernels,
  histories: readonly MerchantHistory[],
  evalAsOf = RETAIL_EVAL_AS_OF,
): Promise<MerchantEvaluation> {
  const trainDates = retailTrainingDates(evalAsOf);
  const model = await trainMerchant(ml, histories, trainDates);
  const test = labelled(histories, [evalAsOf]);
  const { probabilities: p, backend } = await predictChurn(ml, model, test.snaps);
  const y = test.labels;
  const rate = model.churnRate;
  const recency = Float64Array.from(test.snaps, (s) => s.recencyDays);
  const gap = Float64Array.from(test.snaps, (s) => {
    const v = s.features[12] as number;
    return Number.isFinite(v) ? v : s.recencyDays / 30; // one order: recency over a month
  });
  const tierStats = new Map<Tier, { n: number; churn: number; rev: number }>();
  test.snaps.forEach((s, i) => {
    const t = tierOf(model, s);
    const st = tierStats.get(t) ?? { n: 0, churn: 0, rev: 0 };
    st.n++;
    st.churn += y[i] as number;
    st.rev += s.revenue365;
    tierStats.set(t, st);
  });
  // Revenue lost: what a churner bought in the 90 days before (a stand-in for what it would have bought).
  const lost = test.snaps.map((s, i) => ((y[i] as number) === 1 ? Math.max(0, s.revenue365 / 4) : 0));
  const totalLost = lost.reduce((a, b) => a + b, 0);
  const top = (score: number[]) => {
    const order = score.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const k = Math.ceil(0.1 * order.length);
    return order.slice(0, k).reduce((a, [, i]) => a + (lost[i] as number), 0) / totalLost;
  };
  return {
    evalAsOf: iso(evalAsOf),
    trainAsOf: trainDates.map(iso),
    trainRows: model.trainingRows,
    testMerchants: y.length,
    testChurned: y.reduce((a, b) => a + b, 0),
    model: { auc: rocAuc(y, p), logLoss: logLoss(y, p) },
    recencyRule: { auc: rocAuc(y, recency) },
    gapRule: { auc: rocAuc(y, gap) },
    baseRate: { logLoss: logLoss(y, new Float64Array(y.length).fill(rate)), rate: y.reduce((a, b) => a + b, 0) / y.length },
    tiers: TIERS.map((t) => {
      const st = tierStats.get(t) ?? { n: 0, churn: 0, rev: 0 };
      return {
        tier: t,
        merchants: st.n,
        churnRate: st.n ? st.churn / st.n : Number.NaN,
        meanRevenue365: st.n ? st.rev / st.n : Number.NaN,
      };
    }),
    outreach: {
      top10RiskShare: top(test.snaps.map((s, i) => (p[i] as number) * Math.max(0, s.revenue365 / 4))),
      top10ByRevenueShare: top(test.snaps.map((s) => s.revenue365)),
    },
    backend,
  };
}
