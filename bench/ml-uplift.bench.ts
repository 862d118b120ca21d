import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine.js';
import { mulberry32 } from '../src/kernels/ml/random.js';
import type { UpliftMethod } from '../src/kernels/ml/uplift.js';
import { evaluatePolicy, evaluateUplift, type UpliftEvaluation } from '../src/kernels/ml/uplift-metrics.js';
import { defaultDataDir } from '../src/paths.js';
import { HILLSTROM_ARMS, hillstromUplift, loadHillstromTable, seededSplit } from './ml-real-data.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, permutations: { type: 'string' }, 'no-md': { type: 'boolean' } },
});
const seed = Number(values.seed ?? '7');
const permutations = Number(values.permutations ?? '200');
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be an integer >= 0, got ${values.seed}`);
if (!Number.isInteger(permutations) || permutations < 2)
  throw new Error(`--permutations must be an integer >= 2, got ${values.permutations}`);

const GBDT = { numIterations: 100, learningRate: 0.05, maxLeaves: 15, minDataInLeaf: 100 };
const METHODS: UpliftMethod[] = ['t-learner', 's-learner', 'x-learner'];
const OUTCOMES = ['visit', 'conversion', 'spend'] as const;
const FRACTIONS = [0.1, 0.3, 0.5, 1];
/** The e-mail budget of the targeting rows: this share of the held-out customers. */
const BUDGET_SHARE = 0.3;

const loadAtStart = loadavg()[0] as number;
const table = loadHillstromTable();
const up = hillstromUplift(table);
const p = up.numFeatures;
const split = seededSplit(up.rows, 0.7, seed);
const take = (idx: Int32Array) => {
  const features = new Float64Array(idx.length * p);
  idx.forEach((r, j) => {
    features.set(up.features.subarray(r * p, r * p + p), j * p);
  });
  return { features, arm: Int32Array.from(idx, (r) => up.arm[r] as number), idx };
};
const train = take(split.train);
const test = take(split.valid);
const featureIndex = (name: string) => up.featureNames.indexOf(name);

/** Evaluation of arm k against control on the held-out rows, for a score per held-out row. */
function evaluateArm(k: number, score: (i: number) => number, outcome: Float64Array): UpliftEvaluation {
  const rows: number[] = [];
  test.arm.forEach((a, i) => {
    if (a === 0 || a === k) rows.push(i);
  });
  return evaluateUplift(
    Float64Array.from(rows, score),
    rows.map((i) => (test.arm[i] === k ? 1 : 0)),
    Float64Array.from(rows, (i) => outcome[i] as number),
    { fractions: FRACTIONS },
  );
}

const engine = createEngine({ workers: 0 });
interface Row {
  outcome: string;
  arm: string;
  model: string;
  qini: number;
  upliftAt: UpliftEvaluation['upliftAt'];
  ate: number;
  trainS?: number;
  backend?: string;
}
const rows: Row[] = [];
const noise: Record<string, { mean: number; sd: number }> = {};
const policies: Array<{ outcome: string; policy: string; value: number; standardError: number; share?: number[] }> = [];
let backendUsed = '';
const fmt = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : '-');

for (const outcomeName of OUTCOMES) {
  const y = table[outcomeName];
  const yTrain = Float64Array.from(train.idx, (r) => y[r] as number);
  const yTest = Float64Array.from(test.idx, (r) => y[r] as number);
  for (let k = 1; k <= 2; k++) {
    const arm = HILLSTROM_ARMS[k] as string;
    // Random rankings: the spread of the Qini coefficient on this hold-out when nothing is known.
    const rng = mulberry32(1000 + k);
    const qs: number[] = [];
    for (let r = 0; r < permutations; r++) qs.push(evaluateArm(k, () => rng(), yTest).qini);
    const mean = qs.reduce((a, b) => a + b, 0) / qs.length;
    const sd = Math.sqrt(qs.reduce((a, b) => a + (b - mean) ** 2, 0) / (qs.length - 1));
    noise[`${outcomeName}/${arm}`] = { mean, sd };
    const rule = featureIndex(k === 1 ? 'mens' : 'womens');
    const e = evaluateArm(k, (i) => test.features[i * p + rule] as number, yTest);
    rows.push({
      outcome: outcomeName,
      arm,
      model: `rule: ${k === 1 ? 'mens' : 'womens'} buyers first`,
      qini: e.qini,
      upliftAt: e.upliftAt,
      ate: e.ate,
    });
  }
  for (const method of METHODS) {
    const t0 = performance.now();
    const { model, backend } = await engine.kernels.ml.trainUplift(
      { features: train.features, numFeatures: p, treatment: train.arm, outcome: yTrain },
      { method, gbdt: { ...GBDT, categoricalFeatures: up.categoricalFeatures, featureNames: up.featureNames } },
    );
    const trainS = (performance.now() - t0) / 1000;
    backendUsed = backend;
    const pred = await engine.kernels.ml.predictUplift(model, test.features, p);
    for (let k = 1; k <= 2; k++) {
      const e = evaluateArm(k, (i) => pred.uplift[i * 2 + k - 1] as number, yTest);
      rows.push({
        outcome: outcomeName,
        arm: HILLSTROM_ARMS[k] as string,
        model: method,
        qini: e.qini,
        upliftAt: e.upliftAt,
        ate: e.ate,
        trainS,
        backend,
      });
    }
    if (outcomeName === 'visit') {
      // A budget of e-mails for BUDGET_SHARE of the customers (each e-mail costs 1): the
      // multiple-choice knapsack of the OR kernels picks who gets which e-mail by predicted effect.
      const n = test.arm.length;
      const budget = Math.round(BUDGET_SHARE * n);
      const alloc = await engine.kernels.or.budgetAllocation(pred.uplift, new Float64Array(2 * n).fill(1), budget, {
        units: n,
        options: 2,
      });
      const choice = Int32Array.from(alloc.choice, (c) => c + 1);
      const b = evaluatePolicy(choice, test.arm, yTest);
      policies.push({
        outcome: outcomeName,
        policy: `${Math.round(100 * BUDGET_SHARE)} % budget, allocated by the ${method} (budgetAllocation, gap ${(100 * alloc.gap).toFixed(2)} %)`,
        value: b.value,
        standardError: b.standardError,
        share: b.share,
      });
      const v = evaluatePolicy(pred.bestArm, test.arm, yTest);
      policies.push({
        outcome: outcomeName,
        policy: `best arm by the ${method}`,
        value: v.value,
        standardError: v.standardError,
        share: v.share,
      });
    }
    console.error(`${outcomeName} ${method}: trained in ${trainS.toFixed(1)} s on ${backend}`);
  }
  if (outcomeName === 'visit') {
    // The same budget spent at random: each e-mail to a random BUDGET_SHARE of the customers.
    for (let k = 1; k <= 2; k++) {
      const rng = mulberry32(2000 + k);
      const choice = Int32Array.from(test.arm, () => (rng() < BUDGET_SHARE ? k : 0));
      const v = evaluatePolicy(choice, test.arm, yTest);
      policies.push({
        outcome: outcomeName,
        policy: `${Math.round(100 * BUDGET_SHARE)} % budget: the ${HILLSTROM_ARMS[k]} to random customers`,
        value: v.value,
        standardError: v.standardError,
        share: v.share,
      });
    }
  }
  if (outcomeName === 'visit')
    for (let k = 0; k <= 2; k++) {
      const v = evaluatePolicy(new Int32Array(test.arm.length).fill(k), test.arm, yTest);
      policies.push({
        outcome: outcomeName,
        policy: k === 0 ? 'no e-mail to anyone' : `${HILLSTROM_ARMS[k]} to everyone`,
        value: v.value,
        standardError: v.standardError,
      });
    }
}
await engine.close();

const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'} (${availableParallelism()} cores), Node ${process.version}, load average ${loadAtStart.toFixed(1)} at the start (a shared machine: train times include other jobs' load)`;
const lines: string[] = [];
lines.push(
  `Machine: ${machine}; base GBDTs on the ${backendUsed} backend (4 threads at most). Data: ${defaultDataDir().endsWith('data') ? '../shared/data' : defaultDataDir()}/uplift/hillstrom.csv (real; 64,000 customers, arms assigned at random). Split: seeded 70 / 30 (seed ${seed}): ${train.idx.length} training rows, ${test.idx.length} held out; every figure below is on the held-out rows. Features: recency, history_segment, history, mens, womens, zip_code, newbie, channel (the text columns categorical); segment is the arm. Base GBDTs: ${GBDT.numIterations} trees of ${GBDT.maxLeaves} leaves, learning rate ${GBDT.learningRate}, at least ${GBDT.minDataInLeaf} rows a leaf; logistic for visit and conversion, L2 for spend.`,
  '',
  'Each e-mail against No E-Mail, on the held-out rows of those two arms. Qini: the area between the Qini curve and random targeting, per treated row (uplift-metrics.ts). Top f: the measured effect (treated mean - control mean) among the top f ranked by the predicted effect, +- its standard error; tied scores are never split, so a 0 / 1 rule takes its whole block (the share taken is then given). All rows: the effect of sending the e-mail to everyone, which random targeting gets at every f. Random ranking: the Qini coefficient of random scores, mean +- sd over ' +
    `${permutations} seeded permutations, the noise floor of this hold-out.`,
  '',
  '| outcome | e-mail | model | Qini | top 10 % | top 30 % | top 50 % | all rows | train s (3 arms) |',
  '|---|---|---|---|---|---|---|---|---|',
);
const dp = (o: string) => (o === 'spend' ? 3 : 4);
for (const o of OUTCOMES)
  for (const arm of HILLSTROM_ARMS.slice(1)) {
    const n = noise[`${o}/${arm}`] as { mean: number; sd: number };
    lines.push(`| ${o} | ${arm} | random ranking | ${fmt(n.mean, 5)} +- ${fmt(n.sd, 5)} | | | | | |`);
    for (const r of rows.filter((x) => x.outcome === o && x.arm === arm)) {
      const at = (f: number) => {
        const u = r.upliftAt.find((x) => x.fraction === f);
        if (!u) return '-';
        // Ties are never cut: a 0 / 1 rule takes its whole block, which may be far more than f.
        const taken = u.rows / (r.upliftAt.at(-1)?.rows ?? u.rows);
        const share = Math.abs(taken - f) > 0.02 ? ` (top ${Math.round(100 * taken)} %)` : '';
        return `${fmt(u.uplift, dp(o))} +- ${fmt(u.standardError, dp(o))}${share}`;
      };
      lines.push(
        `| ${o} | ${arm} | ${r.model} | ${fmt(r.qini, 5)} | ${at(0.1)} | ${at(0.3)} | ${at(0.5)} | ${fmt(r.ate, dp(o))} | ${r.trainS === undefined ? '' : r.trainS.toFixed(1)} |`,
      );
    }
  }
lines.push(
  '',
  "Targeting the visit outcome: the inverse-propensity estimate of the visit rate had every held-out customer received the policy's arm (uplift-metrics.ts evaluatePolicy; propensities the observed arm shares), +- its standard error; share = the fraction of customers the policy sends No / Mens / Womens.",
  '',
  '| policy | visit rate | share none / mens / womens |',
  '|---|---|---|',
);
for (const pol of policies)
  lines.push(
    `| ${pol.policy} | ${fmt(pol.value)} +- ${fmt(pol.standardError)} | ${pol.share ? pol.share.map((s) => s.toFixed(2)).join(' / ') : ''} |`,
  );
// What the table says, in units of the random-ranking spread (the noise floor of this hold-out).
lines.push('', 'Reading (Qini in standard deviations of random ranking; 2 or more is unlikely to be luck):', '');
for (const o of OUTCOMES)
  for (const arm of HILLSTROM_ARMS.slice(1)) {
    const n = noise[`${o}/${arm}`] as { mean: number; sd: number };
    const z = (q: number) => ((q - n.mean) / n.sd).toFixed(1);
    const of = rows.filter((x) => x.outcome === o && x.arm === arm);
    lines.push(`- ${o}, ${arm}: ${of.map((r) => `${r.model} ${z(r.qini)}`).join(', ')}.`);
  }
const mens = policies.find((x) => x.policy === 'Mens E-Mail to everyone');
const best = policies.filter((x) => x.policy.startsWith('best arm')).sort((a, b) => b.value - a.value)[0];
if (mens && best)
  lines.push(
    `- Targeting visits: the best learner's policy (${best.policy}) reaches ${fmt(best.value)} against ${fmt(mens.value)} for the Mens e-mail to everyone, a difference of ${fmt(best.value - mens.value)}, ${Math.abs(best.value - mens.value) < 2 * Math.max(best.standardError, mens.standardError) ? 'within' : 'beyond'} twice either standard error.`,
  );
const budgeted = policies.filter((x) => x.policy.includes('budget, allocated')).sort((a, b) => b.value - a.value)[0];
const randomBudget = policies.filter((x) => x.policy.includes('to random customers')).sort((a, b) => b.value - a.value)[0];
const none = policies.find((x) => x.policy === 'no e-mail to anyone');
if (budgeted && randomBudget && none)
  lines.push(
    `- With e-mails for ${Math.round(100 * BUDGET_SHARE)} % of the customers: ${fmt(budgeted.value - none.value)} extra visits a customer allocated by the predicted effects of the ${budgeted.policy.replace(/^.*allocated by the /, '').replace(/ \(.*$/, '')} against ${fmt(randomBudget.value - none.value)} for the better e-mail sent at random: a difference of ${fmt(budgeted.value - randomBudget.value)}, ${Math.abs(budgeted.value - randomBudget.value) < 2 * Math.max(budgeted.standardError, randomBudget.standardError) ? 'within' : 'beyond'} twice the larger standard error (${fmt(Math.max(budgeted.standardError, randomBudget.standardError))}).`,
  );
const body = lines.join('\n');
console.log(body);
writeResultsFile(
  'ml-uplift.json',
  `${JSON.stringify({ machine, seed, permutations, gbdt: GBDT, backend: backendUsed, rows, noise, policies }, null, 1)}\n`,
);
if (!values['no-md'])
  writeResultsSection('ml-uplift', 'ML: uplift models on the Hillstrom e-mail test (npx tsx bench/ml-uplift.bench.ts)', body);
