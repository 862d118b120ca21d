/**
 * merchant: churn risk, value tier, growth diagnosis and revenue at risk of a merchant, from its
 * order history as of a date.
 *
 * `load` reads the UCI Online Retail invoices (WAYBILL_MERCHANT_DATA: a folder of
 * online_retail_YYYY-MM.csv.gz files; default <data dir>/retail/online_retail) and trains the model
 * (model.ts) on snapshots at four as-of dates, 30 days apart, the last 90 days before the data ends
 * (so every snapshot's 90-day outcome is in the data). The metrics below are those of the same
 * recipe evaluated at 2011-09-09 with training dates before it (test/plugins/merchant.test.ts
 * recomputes them and checks they are the ones shown).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Static, Type } from 'typebox';
import { ISO_TIME_PATTERN, parseIsoTime } from '../../src/data/iso-time.js';
import { readOnlineRetail } from '../../src/data/online-retail.js';
import { WaybillError } from '../../src/errors.js';
import { definePlugin } from '../../src/plugins/define.js';
import {
  growthOf,
  HORIZON_DAYS,
  type MerchantModel,
  type MerchantOrder,
  type MerchantSnapshot,
  predictChurn,
  retailHistories,
  retailTrainingDates,
  snapshot,
  tierOf,
  trainMerchant,
} from './model.js';

/** Environment variable naming a folder of Online Retail monthly files to train on. */
export const DATA_ENV = 'WAYBILL_MERCHANT_DATA';
export const DATA_DIR = join('retail', 'online_retail');
/** Most orders one merchant may carry in a request. */
export const MAX_ORDERS = 100_000;

export const Input = Type.Object(
  {
    merchant_id: Type.Optional(Type.String({ maxLength: 200, description: 'echoed back' })),
    as_of: Type.String({
      pattern: ISO_TIME_PATTERN,
      description: 'the date of the diagnosis; ISO 8601 with offset. Orders must be before it',
    }),
    orders: Type.Array(
      Type.Object(
        {
          time: Type.String({ pattern: ISO_TIME_PATTERN, description: 'when the order was placed' }),
          revenue: Type.Number({ minimum: -1e12, maximum: 1e12, description: 'order value; negative for a return or cancellation' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_ORDERS, description: 'the merchant’s orders (any order); at least one with revenue > 0' },
    ),
  },
  { additionalProperties: false },
);

export const Output = Type.Object({
  merchant_id: Type.Optional(Type.String()),
  churn_probability: Type.Number({ minimum: 0, maximum: 1, description: `P(no order in the ${HORIZON_DAYS} days after as_of)` }),
  tier: Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C'), Type.Literal('D')], {
    description: 'value tier, A = highest 365-day revenue cluster',
  }),
  growth: Type.Union(
    [Type.Literal('new'), Type.Literal('dormant'), Type.Literal('growing'), Type.Literal('declining'), Type.Literal('stable')],
    {
      description:
        'new: first order < 90 days ago; dormant: none in 90 days; growing / declining: last 90 days >= 25 % above / below the 90 before',
    },
  ),
  recency_days: Type.Number({ minimum: 0 }),
  orders_365d: Type.Integer({ minimum: 0 }),
  revenue_90d: Type.Number(),
  revenue_prior_90d: Type.Number(),
  revenue_365d: Type.Number(),
  revenue_at_risk: Type.Number({ minimum: 0, description: 'churn_probability x revenue_365d / 4: the order of an outreach list' }),
});

type Merchant = Static<typeof Input>;

/** The snapshot of a request merchant; throws INVALID_ARGUMENT naming the merchant and order. */
function merchantSnapshot(m: Merchant, i: number): MerchantSnapshot {
  const asOf = parseIsoTime(m.as_of);
  if (!asOf)
    throw new WaybillError('INVALID_ARGUMENT', `merchant ${i}: as_of ${JSON.stringify(m.as_of)} is not a valid calendar time`, {
      index: i,
      field: 'as_of',
    });
  const orders: MerchantOrder[] = m.orders.map((o, j) => {
    const t = parseIsoTime(o.time);
    if (!t)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `merchant ${i}: orders[${j}].time ${JSON.stringify(o.time)} is not a valid calendar time`,
        {
          index: i,
          field: `orders/${j}/time`,
        },
      );
    if (t.epoch >= asOf.epoch)
      throw new WaybillError('INVALID_ARGUMENT', `merchant ${i}: orders[${j}] (${o.time}) is not before as_of (${m.as_of})`, {
        index: i,
        field: `orders/${j}/time`,
      });
    return { time: t.epoch, revenue: o.revenue };
  });
  const s = snapshot(orders, asOf.epoch);
  if (!s)
    throw new WaybillError('INVALID_ARGUMENT', `merchant ${i}: no order with revenue > 0 before as_of`, { index: i, field: 'orders' });
  return s;
}

interface Loaded {
  model: MerchantModel;
  source: string;
}

export default definePlugin({
  name: 'merchant',
  version: '1.0.0',
  description: 'Merchant churn risk, value tier, growth diagnosis and revenue at risk, trained on UCI Online Retail at load.',
  kernels: ['ml.train', 'ml.predict', 'ml.kmeans'],
  input: Input,
  output: Output,
  metadata: {
    data: {
      folder: `../shared/data/${DATA_DIR} (or ${DATA_ENV})`,
      source: 'UCI Online Retail (Chen et al. 2012): 541,909 invoice lines of a UK gift wholesaler, 2010-12-01 to 2011-12-09',
      licence: 'CC BY 4.0; see ../shared/data/retail/SOURCES.md',
      merchants:
        'its 4,372 customers, mostly small shops buying wholesale, stand in for merchants (the shared Olist sellers have no orders)',
      target: `churn = no order in the ${HORIZON_DAYS} days after the as-of date`,
    },
    training: {
      at: 'load: snapshots at 4 as-of dates 30 days apart, the last 90 days before the data ends (about 2 s, mostly reading the files)',
      churn: 'logistic GBDT, 200 trees of 15 leaves, learning rate 0.03, at least 40 snapshots a leaf, 14 history features',
      tiers: 'k-means, k = 4, on standardised log 365-day revenue, orders and recency; A = highest revenue',
    },
    metrics: {
      method:
        'trained on snapshots at 2011-03-13, 04-12, 05-12, 06-11; measured on the 3,362 merchants with an order before 2011-09-09 against their next 90 days; npx tsx bench/merchant.bench.ts',
      churnAuc: 0.738,
      recencyRuleAuc: 0.684,
      gapRuleAuc: 0.674,
      churnLogLoss: 0.6042,
      baseRateLogLoss: 0.6891,
      top10RevenueAtRiskShare: 0.387,
      top10ByRevenueShare: 0.304,
    },
  },
  // No dynamic batching: one request's bad order must not fail other requests merged with it.
  limits: { maxConcurrency: 2, maxQueue: 256 },

  async load(ctx): Promise<Loaded> {
    const dir = resolve(process.env[DATA_ENV] || join(ctx.dataDir, DATA_DIR));
    if (!existsSync(dir))
      throw new WaybillError(
        'PLUGIN_LOAD_FAILED',
        `training data ${dir} not found (set ${DATA_ENV} to a folder of online_retail_YYYY-MM.csv.gz files)`,
        {
          path: dir,
        },
      );
    const histories = retailHistories(readOnlineRetail(dir));
    let end = Number.NEGATIVE_INFINITY;
    for (const h of histories) for (const o of h.orders) end = Math.max(end, o.time);
    if (!Number.isFinite(end)) throw new WaybillError('PLUGIN_LOAD_FAILED', `no customer orders in ${dir}`, { path: dir });
    const started = performance.now();
    const model = await trainMerchant(ctx.kernels.ml, histories, retailTrainingDates(end));
    ctx.log.info(
      `trained on ${model.trainingRows} snapshots of ${histories.length} merchants (as of ${model.asOfDates.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
    return { model, source: dir };
  },

  async warmup(ctx, m) {
    await predictChurn(ctx.kernels.ml, m.model, [
      merchantSnapshot({ as_of: '2026-01-01T00:00:00Z', orders: [{ time: '2025-12-01T00:00:00Z', revenue: 1 }] }, 0),
    ]);
  },

  async predict(ctx, m, batch) {
    const snaps = batch.map((x, i) => merchantSnapshot(x, i));
    const { probabilities } = await predictChurn(ctx.kernels.ml, m.model, snaps);
    return snaps.map((s, i) => {
      const p = probabilities[i] as number;
      const id = batch[i]?.merchant_id;
      return {
        ...(id === undefined ? {} : { merchant_id: id }),
        churn_probability: p,
        tier: tierOf(m.model, s),
        growth: growthOf(s),
        recency_days: s.recencyDays,
        orders_365d: s.orders365,
        revenue_90d: s.revenue90,
        revenue_prior_90d: s.revenuePrior90,
        revenue_365d: s.revenue365,
        revenue_at_risk: p * Math.max(0, s.revenue365 / 4),
      };
    });
  },
});
