/**
 * The pricing plugin's model: who should get which incentive (here: which e-mail) under a budget.
 * Two uplift models (T-learners on gradient-boosted trees: one per arm, effect = arm - control) of
 * a randomised test predict each customer's extra visit probability and extra spend per treatment;
 * the OR kernels' budget allocation (a multiple-choice knapsack) then picks at most one treatment a
 * customer to maximise the predicted extra value within the budget.
 *
 * Data: the Hillstrom e-mail test (../shared/data/uplift/hillstrom.csv; 64,000 customers randomly
 * sent a men's e-mail, a women's e-mail or none; outcomes over two weeks: visit, conversion, spend).
 * It is the only randomised incentive test in the shared data, so the plugin's customers are
 * Hillstrom's: recency, history, mens, womens, zip_code, newbie, channel.
 */
import { parseCsv } from '../../src/data/csv.js';
import { WaybillError } from '../../src/errors.js';
import type { MlKernels } from '../../src/kernels/ml/kernels.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';
import type { UpliftModel } from '../../src/kernels/ml/uplift.js';
import { evaluatePolicy } from '../../src/kernels/ml/uplift-metrics.js';
import type { OrKernels } from '../../src/kernels/or/index.js';
import { allocateTreatments } from '../../src/kernels/or/treatment-allocation.js';

export const ARMS = ['No E-Mail', 'Mens E-Mail', 'Womens E-Mail'] as const;
export const ZIP_CODES = ['Rural', 'Surburban', 'Urban'] as const;
export const CHANNELS = ['Multichannel', 'Phone', 'Web'] as const;
export const FEATURES = ['recency', 'history', 'mens', 'womens', 'zip_code', 'newbie', 'channel'] as const;
const P = FEATURES.length;
const CATEGORICAL = [4, 6];

/** One customer as the model takes it. */
export interface Customer {
  recency: number;
  history: number;
  mens: number;
  womens: number;
  zip_code: string;
  newbie: number;
  channel: string;
}

export const UPLIFT_GBDT = { numIterations: 100, learningRate: 0.05, maxLeaves: 15, minDataInLeaf: 100, seed: 3 };

/** The Hillstrom test as customers, arms (0 = none, 1 = mens, 2 = womens) and outcomes. */
export interface Campaign {
  customers: Customer[];
  arm: Int32Array;
  visit: Float64Array;
  spend: Float64Array;
}

/** Parses the Hillstrom CSV (its published header; other column orders are fine). */
export function parseHillstrom(text: string, source = 'hillstrom.csv'): Campaign {
  const rows = parseCsv(text).filter((r) => r.length > 1 || r[0] !== '');
  const header = rows[0] ?? [];
  const col = (name: string) => {
    const c = header.indexOf(name);
    if (c < 0) throw new WaybillError('INVALID_ARGUMENT', `${source}: column ${name} missing from the header`, { source });
    return c;
  };
  const at = Object.fromEntries([...FEATURES, 'segment', 'visit', 'spend'].map((n) => [n, col(n)])) as Record<string, number>;
  const n = rows.length - 1;
  const customers: Customer[] = [];
  const arm = new Int32Array(n);
  const visit = new Float64Array(n);
  const spend = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const f = rows[r + 1] as string[];
    const num = (name: string) => {
      const v = Number(f[at[name] as number]);
      if (!Number.isFinite(v))
        throw new WaybillError('INVALID_ARGUMENT', `${source} line ${r + 2}: ${name} is not a number`, { source, line: r + 2 });
      return v;
    };
    const a = ARMS.indexOf(f[at.segment as number] as (typeof ARMS)[number]);
    if (a < 0)
      throw new WaybillError('INVALID_ARGUMENT', `${source} line ${r + 2}: unknown segment ${f[at.segment as number]}`, {
        source,
        line: r + 2,
      });
    customers.push({
      recency: num('recency'),
      history: num('history'),
      mens: num('mens'),
      womens: num('womens'),
      zip_code: f[at.zip_code as number] as string,
      newbie: num('newbie'),
      channel: f[at.channel as number] as string,
    });
    arm[r] = a;
    visit[r] = num('visit');
    spend[r] = num('spend');
  }
  return { customers, arm, visit, spend };
}

/** The feature matrix of customers (categories as their index in ZIP_CODES / CHANNELS; others NaN). */
export function customerFeatures(customers: readonly Customer[]): Float64Array {
  const x = new Float64Array(customers.length * P);
  customers.forEach((c, i) => {
    const code = (list: readonly string[], v: string) => {
      const k = list.indexOf(v);
      return k < 0 ? Number.NaN : k;
    };
    x.set([c.recency, c.history, c.mens, c.womens, code(ZIP_CODES, c.zip_code), c.newbie, code(CHANNELS, c.channel)], i * P);
  });
  return x;
}

export interface PricingModel {
  visit: UpliftModel;
  spend: UpliftModel;
  trainingRows: number;
}

export type PricingKernels = Pick<MlKernels, 'trainUplift' | 'predictUplift'>;

/** Trains the visit and spend uplift models on `rows` of the campaign (all when omitted). */
export async function trainPricing(ml: PricingKernels, c: Campaign, rows?: readonly number[], signal?: AbortSignal): Promise<PricingModel> {
  const idx = rows ?? c.customers.map((_, i) => i);
  const features = customerFeatures(idx.map((r) => c.customers[r] as Customer));
  const treatment = Int32Array.from(idx, (r) => c.arm[r] as number);
  const trainOne = async (outcome: Float64Array, kind: 'binary' | 'continuous') =>
    (
      await ml.trainUplift(
        { features, numFeatures: P, treatment, outcome },
        {
          method: 't-learner',
          outcome: kind,
          gbdt: { ...UPLIFT_GBDT, categoricalFeatures: CATEGORICAL, featureNames: [...FEATURES] },
          signal,
        },
      )
    ).model;
  const visit = await trainOne(
    Float64Array.from(idx, (r) => c.visit[r] as number),
    'binary',
  );
  const spend = await trainOne(
    Float64Array.from(idx, (r) => c.spend[r] as number),
    'continuous',
  );
  return { visit, spend, trainingRows: idx.length };
}

/** Per customer and treatment (rows x 2, Mens then Womens): predicted extra visit probability and extra spend against no e-mail. */
export async function predictEffects(ml: PricingKernels, m: PricingModel, customers: readonly Customer[]) {
  const x = customerFeatures(customers);
  const [v, s] = await Promise.all([ml.predictUplift(m.visit, x, P), ml.predictUplift(m.spend, x, P)]);
  return { visit: v.uplift, spend: s.uplift };
}

/** 0..n-1 in a seeded random order (Fisher-Yates on mulberry32). */
function shuffled(n: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
  }
  return perm;
}

export interface PolicyRow {
  policy: string;
  budgetShare: number;
  visitRate: number;
  visitSe: number;
  spend: number;
  spendSe: number;
  emailed: number;
}

export interface PricingEvaluation {
  trainRows: number;
  testRows: number;
  rows: PolicyRow[];
}

/**
 * Seeded 70 / 30 split; on the held-out customers, at each budget (a share of the customers that
 * may get an e-mail, each e-mail costing 1), the inverse-propensity value (visit rate and spend per
 * customer had everyone received the policy's arm) of: the model's allocation by predicted extra
 * visits; the women's e-mail to random customers; the marketer's rule (women's e-mail to
 * women's-merchandise buyers, then men's e-mail to men's buyers, most recent first).
 */
export async function evaluatePricing(
  ml: PricingKernels,
  or: Pick<OrKernels, 'budgetAllocation'>,
  c: Campaign,
  budgets: readonly number[] = [0.1, 0.3, 0.5],
  seed = 7,
): Promise<PricingEvaluation> {
  const n = c.customers.length;
  const perm = shuffled(n, seed);
  const cut = Math.round(0.7 * n);
  const train = perm.slice(0, cut).sort((a, b) => a - b);
  const test = perm.slice(cut).sort((a, b) => a - b);
  const model = await trainPricing(ml, c, train);
  const testCustomers = test.map((r) => c.customers[r] as Customer);
  const effects = await predictEffects(ml, model, testCustomers);
  const arm = Int32Array.from(test, (r) => c.arm[r] as number);
  const yv = Float64Array.from(test, (r) => c.visit[r] as number);
  const ys = Float64Array.from(test, (r) => c.spend[r] as number);
  const rows: PolicyRow[] = [];
  const add = (policy: string, budgetShare: number, choice: Int32Array) => {
    const v = evaluatePolicy(choice, arm, yv);
    const s = evaluatePolicy(choice, arm, ys);
    rows.push({
      policy,
      budgetShare,
      visitRate: v.value,
      visitSe: v.standardError,
      spend: s.value,
      spendSe: s.standardError,
      emailed: choice.filter((a) => a > 0).length,
    });
  };
  add('no e-mail', 0, new Int32Array(test.length));
  for (const share of budgets) {
    const budget = Math.round(share * test.length);
    const a = await allocateTreatments(or, { value: effects.visit, costs: [1, 1], budget });
    add('model: budget allocation by predicted extra visits', share, a.arm);
    const sp = await allocateTreatments(or, { value: effects.spend, costs: [1, 1], budget });
    add('model: budget allocation by predicted extra spend', share, sp.arm);
    const random = new Int32Array(test.length);
    for (const i of shuffled(test.length, seed + 1000).slice(0, budget)) random[i] = 2;
    add("women's e-mail to random customers", share, random);
    // The rule: women's buyers (women's e-mail), then men's-only buyers (men's e-mail), most recent first.
    const ranked = testCustomers
      .map((cu, i) => ({ i, tier: cu.womens ? 0 : cu.mens ? 1 : 2, recency: cu.recency }))
      .sort((p, q) => p.tier - q.tier || p.recency - q.recency || p.i - q.i);
    const rule = new Int32Array(test.length);
    for (const x of ranked.slice(0, budget)) rule[x.i] = x.tier === 1 ? 1 : 2;
    add("rule: women's buyers, then men's, most recent first", share, rule);
  }
  return { trainRows: train.length, testRows: test.length, rows };
}
