/**
 * Uplift (heterogeneous treatment effect) models for randomised tests: who responds to an e-mail,
 * a coupon or a subsidy because of it, and which of several treatments suits whom. The base
 * learner is the GBDT of this family (so the native backend serves it when present).
 *
 * Data: rows x numFeatures features (NaN = missing), each row's arm (0 = control, 1..K = the
 * treatments, integers) and its outcome. A binary outcome (all 0 / 1) is fitted with the logistic
 * objective and effects are differences of probabilities; any other outcome with L2.
 *
 * Meta-learners (Künzel, Sekhon, Bickel and Yu 2019, "Metalearners for estimating heterogeneous
 * treatment effects using machine learning", PNAS):
 * - 't-learner': one outcome model mu_k per arm, on that arm's rows; effect_k(x) = mu_k(x) - mu_0(x).
 * - 's-learner': one outcome model on all rows with the arm as an extra categorical feature (the
 *   last column); effect_k(x) = mu(x, k) - mu(x, 0). When the trees never split on the arm, every
 *   effect is 0: the S-learner shrinks effects towards zero, by design.
 * - 'x-learner': the T-learner's mu_k, then imputed effects D = y - mu_0(x) on arm k's rows and
 *   D = mu_k(x) - y on the control rows, each regressed (L2) into tau_k^T and tau_k^C, combined as
 *   effect_k(x) = g_k tau_k^C(x) + (1 - g_k) tau_k^T(x), g_k = the share of arm k among the rows of
 *   arm k and control (the propensity of a randomised test; set `propensity` when the test did not
 *   assign arms in the proportions observed).
 *
 * Models save to versioned JSON (`waybill-uplift`, the GBDTs as `waybill-gbdt` documents) and load
 * back with every check of the GBDT loader.
 */
import { WaybillError } from '../../errors.js';
import { assertNotDetached, describeValue, optionsObject } from '../options.js';
import type { GbdtDataset, GbdtModel, GbdtOptions } from './gbdt.js';
import { gbdtPredict, trainGbdt } from './gbdt.js';
import { type GbdtModelJson, gbdtToJson, loadGbdtModel } from './gbdt-json.js';

export type UpliftMethod = 't-learner' | 's-learner' | 'x-learner';
export const UPLIFT_METHODS: readonly UpliftMethod[] = ['t-learner', 's-learner', 'x-learner'];
export const UPLIFT_FORMAT = 'waybill-uplift';
export const UPLIFT_FORMAT_VERSION = 1;
/** Arms including control. */
export const MAX_UPLIFT_ARMS = 64;
/** Largest |outcome| (the GBDT's label limit): beyond it sums of outcomes overflow. */
export const MAX_UPLIFT_OUTCOME = 1e100;

export interface UpliftDataset {
  features: Float64Array;
  numFeatures: number;
  /** Arm of each row: 0 = control, 1..K = treatments (integers; every arm 0..K needs rows). */
  treatment: ArrayLike<number>;
  outcome: Float64Array;
}

export interface UpliftOptions {
  /** Default 't-learner'. */
  method?: UpliftMethod;
  /** 'binary' (logistic; outcomes 0 / 1) or 'continuous' (L2). Default: binary when every outcome is 0 or 1. */
  outcome?: 'binary' | 'continuous';
  /**
   * Options of the base GBDTs (numIterations, learningRate, maxLeaves, minDataInLeaf,
   * categoricalFeatures, seed, ...); the objective is the uplift model's. Default the GBDT's own.
   */
  gbdt?: Omit<GbdtOptions, 'objective' | 'valid' | 'onProgress' | 'signal'>;
  /** x-learner: the probability of each arm (length K + 1, summing to 1). Default the observed shares. */
  propensity?: readonly number[];
  /** Progress after each base model: `done` of `total` fitted. */
  onProgress?: (progress: { done: number; total: number; stage: string }) => void;
  signal?: AbortSignal;
}

export interface UpliftModel {
  method: UpliftMethod;
  outcome: 'binary' | 'continuous';
  /** Arms including control (K + 1). */
  arms: number;
  numFeatures: number;
  featureNames?: string[];
  /** Rows of each arm in training. */
  armRows: number[];
  /** t / x: mu_0..mu_K; s: the one model (numFeatures + 1 features, the arm last). */
  outcomeModels: GbdtModel[];
  /** x: per treated arm k (index k - 1), tau_k^T and tau_k^C. */
  effectModels?: Array<{ treated: GbdtModel; control: GbdtModel }>;
  /** x: the g_k of each treated arm (index k - 1). */
  controlWeight?: number[];
}

export interface UpliftPrediction {
  /** rows x K row-major: the effect of arm k (column k - 1) against control. */
  uplift: Float64Array;
  /** K. */
  treatments: number;
  /** The arm with the largest predicted effect, 0 (control) when none is above 0. */
  bestArm: Int32Array;
  /** t / s: rows x (K + 1) predicted outcomes per arm (column k = arm k). */
  outcomes?: Float64Array;
}

/** How the base models are fitted and applied: the reference by default, the engine's kernels through createMlKernels. */
export interface UpliftLearner {
  train(data: GbdtDataset, options: GbdtOptions): Promise<GbdtModel>;
  predict(model: GbdtModel, features: Float64Array, numFeatures: number): Promise<Float64Array>;
}

export const referenceUpliftLearner: UpliftLearner = {
  async train(data, options) {
    return trainGbdt(data, options).model;
  },
  async predict(model, features, numFeatures) {
    return gbdtPredict(model, features, numFeatures);
  },
};

function bad(field: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new WaybillError('INVALID_ARGUMENT', message, { field, ...extra });
}

/** Checks the data; returns the rows and the arm of each row as integers. */
function checkData(data: UpliftDataset): { rows: number; arm: Int32Array; arms: number; armRows: number[] } {
  if (typeof data !== 'object' || data === null) bad('data', 'data must be { features, numFeatures, treatment, outcome }');
  const { features, numFeatures, treatment, outcome } = data;
  if (!(features instanceof Float64Array)) bad('features', 'features must be a Float64Array (rows x numFeatures, row-major)');
  if (!(outcome instanceof Float64Array)) bad('outcome', 'outcome must be a Float64Array');
  if (!Number.isInteger(numFeatures) || numFeatures < 1 || numFeatures > 2 ** 24)
    bad('numFeatures', `numFeatures must be an integer in [1, 2^24], got ${String(numFeatures)}`);
  assertNotDetached(features, 'features');
  assertNotDetached(outcome, 'outcome');
  const isArray = Array.isArray(treatment) || ArrayBuffer.isView(treatment);
  if (!isArray) bad('treatment', 'treatment must be an array or typed array of arm numbers (0 = control)');
  assertNotDetached(treatment, 'treatment');
  if (features.length % numFeatures !== 0)
    throw new WaybillError('INVALID_LENGTH', `features has ${features.length} values, not a multiple of numFeatures ${numFeatures}`, {
      field: 'features',
    });
  const rows = features.length / numFeatures;
  if (rows === 0) bad('features', 'no rows');
  if (outcome.length !== rows)
    throw new WaybillError('INVALID_LENGTH', `outcome has ${outcome.length} values for ${rows} rows`, { field: 'outcome' });
  if (treatment.length !== rows)
    throw new WaybillError('INVALID_LENGTH', `treatment has ${treatment.length} values for ${rows} rows`, { field: 'treatment' });
  const arm = new Int32Array(rows);
  let maxArm = 0;
  for (let i = 0; i < rows; i++) {
    const a = treatment[i] as number;
    if (!Number.isInteger(a) || a < 0 || a >= MAX_UPLIFT_ARMS)
      bad('treatment', `treatment[${i}] is ${String(a)}: arms are integers 0 (control) to ${MAX_UPLIFT_ARMS - 1}`, { index: i });
    arm[i] = a;
    if (a > maxArm) maxArm = a;
    const y = outcome[i] as number;
    if (!Number.isFinite(y)) throw new WaybillError('NOT_FINITE', `outcome[${i}] is ${y}`, { field: 'outcome', index: i });
    // The base GBDTs' label limit; beyond it sums of outcomes overflow.
    if (Math.abs(y) > MAX_UPLIFT_OUTCOME)
      bad('outcome', `outcome[${i}] is ${y}: outcomes must be within +-${MAX_UPLIFT_OUTCOME} (rescale them)`, { index: i });
  }
  const armRows = new Array<number>(maxArm + 1).fill(0);
  for (const a of arm) armRows[a] = (armRows[a] as number) + 1;
  if (maxArm === 0) bad('treatment', 'every row is in the control arm (0): an uplift model needs treated rows (arm >= 1)');
  const empty = armRows.map((c, k) => (c === 0 ? k : -1)).filter((k) => k >= 0);
  if (empty.length > 0)
    bad(
      'treatment',
      `arm${empty.length === 1 ? '' : 's'} ${empty.join(', ')} ha${empty.length === 1 ? 's' : 've'} no rows: arms must be numbered 0..K without gaps`,
      {
        arms: armRows,
      },
    );
  return { rows, arm, arms: maxArm + 1, armRows };
}

/** Rows `idx` of a row-major matrix. */
function takeRows(features: Float64Array, p: number, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length * p);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i] as number;
    out.set(features.subarray(r * p, r * p + p), i * p);
  }
  return out;
}

/** The features with the arm appended as column p (S-learner). */
function withArm(features: Float64Array, p: number, arm: (i: number) => number): Float64Array {
  const rows = features.length / p;
  const out = new Float64Array(rows * (p + 1));
  for (let i = 0; i < rows; i++) {
    out.set(features.subarray(i * p, i * p + p), i * (p + 1));
    out[i * (p + 1) + p] = arm(i);
  }
  return out;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WaybillError('ABORTED', 'uplift training was aborted', { field: 'signal' });
}

interface PreparedUplift {
  o: UpliftOptions;
  method: UpliftMethod;
  rows: number;
  arm: Int32Array;
  arms: number;
  armRows: number[];
  kind: 'binary' | 'continuous';
  objective: 'logistic' | 'l2';
  gbdt: GbdtOptions;
  propensity?: number[];
}

/** Every check of trainUplift's arguments, before any model is fitted. */
function prepareUplift(data: UpliftDataset, options: UpliftOptions | undefined): PreparedUplift {
  const o = optionsObject(options);
  const method = o.method ?? 't-learner';
  if (!UPLIFT_METHODS.includes(method)) bad('method', `method must be one of ${UPLIFT_METHODS.join(', ')}, got ${String(method)}`);
  const { rows, arm, arms, armRows } = checkData(data);
  const { outcome } = data;
  const binaryData = outcome.every((y) => y === 0 || y === 1);
  const kind = o.outcome ?? (binaryData ? 'binary' : 'continuous');
  if (kind !== 'binary' && kind !== 'continuous') bad('outcome', `options.outcome must be 'binary' or 'continuous', got ${String(kind)}`);
  if (kind === 'binary' && !binaryData) {
    const i = outcome.findIndex((y) => y !== 0 && y !== 1);
    bad('outcome', `a binary outcome must be 0 or 1: outcome[${i}] is ${outcome[i]}`, { index: i });
  }
  const gbdt = optionsObject(o.gbdt, 'gbdt') as GbdtOptions;
  if ('objective' in gbdt) bad('gbdt.objective', 'the base models take the uplift outcome objective: leave gbdt.objective out');
  // An aborted gbdt.signal stopped every base model at 0 trees and the uplift model came back as if complete.
  for (const key of ['signal', 'onProgress'] as const)
    if (key in gbdt) bad(`gbdt.${key}`, `set ${key} on the uplift options, not on gbdt (the base models take the uplift model's)`);
  if ('valid' in gbdt) bad('gbdt.valid', 'gbdt.valid does not apply: each base model is fitted on other rows (an arm, or imputed effects)');
  // Copied (featureNames) or extended (the S-learner's arm column) here, before the GBDT checks them.
  for (const key of ['featureNames', 'categoricalFeatures'] as const)
    if (gbdt[key] !== undefined && !Array.isArray(gbdt[key]))
      bad(`gbdt.${key}`, `gbdt.${key} must be an array, got ${describeValue(gbdt[key])}`);
  // Column p is the S-learner's arm: a categorical index there (or beyond) is not a feature.
  (gbdt.categoricalFeatures ?? []).forEach((f, j) => {
    if (!Number.isInteger(f) || f < 0 || f >= data.numFeatures)
      bad('gbdt.categoricalFeatures', `gbdt.categoricalFeatures[${j}] is ${String(f)}: features are 0..${data.numFeatures - 1}`, {
        index: j,
      });
  });
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') bad('onProgress', 'onProgress must be a function');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) bad('signal', 'signal must be an AbortSignal');
  const objective = kind === 'binary' ? 'logistic' : 'l2';
  let propensity: number[] | undefined;
  if (o.propensity !== undefined) {
    if (method !== 'x-learner') bad('propensity', 'propensity applies to the x-learner only');
    const pr = o.propensity;
    if (!Array.isArray(pr) || pr.length !== arms || pr.some((v) => typeof v !== 'number' || !(v > 0 && v < 1)))
      bad('propensity', `propensity must be ${arms} probabilities in (0, 1), one per arm`);
    if (Math.abs(pr.reduce((a, b) => a + b, 0) - 1) > 1e-9) bad('propensity', 'propensity must sum to 1');
    propensity = [...pr];
  }
  return { o, method, rows, arm, arms, armRows, kind, objective, gbdt, ...(propensity ? { propensity } : {}) };
}

/**
 * Checks trainUplift's arguments without fitting anything (the HTTP route answers 400 before a
 * job exists): the data, the options, and the base GBDT options through `checkGbdt` (given the
 * whole data with the outcome as labels and the base models' objective).
 */
export function checkUpliftTrain(
  data: UpliftDataset,
  options: UpliftOptions | undefined,
  checkGbdt?: (train: GbdtDataset, options: GbdtOptions) => void,
): { arms: number; armRows: number[]; outcome: 'binary' | 'continuous'; method: UpliftMethod } {
  const u = prepareUplift(data, options);
  checkGbdt?.({ features: data.features, numFeatures: data.numFeatures, labels: data.outcome }, { ...u.gbdt, objective: u.objective });
  return { arms: u.arms, armRows: u.armRows, outcome: u.kind, method: u.method };
}

/**
 * Fits an uplift model (see the file comment). Errors: INVALID_ARGUMENT / INVALID_LENGTH /
 * NOT_FINITE naming the field (and the row), ABORTED when `signal` fires (a partial model is
 * never returned).
 */
export async function trainUplift(
  data: UpliftDataset,
  options?: UpliftOptions,
  learner: UpliftLearner = referenceUpliftLearner,
): Promise<UpliftModel> {
  const { o, method, rows, arm, arms, armRows, kind, objective, gbdt, propensity } = prepareUplift(data, options);
  const { features, numFeatures: p, outcome } = data;
  const featureNames = gbdt.featureNames ? [...gbdt.featureNames] : undefined;
  const byArm: number[][] = Array.from({ length: arms }, () => []);
  for (let i = 0; i < rows; i++) (byArm[arm[i] as number] as number[]).push(i);
  const total = method === 't-learner' ? arms : method === 's-learner' ? 1 : arms + 2 * (arms - 1);
  let done = 0;
  const progress = (stage: string) => {
    // An aborted base model stops early; a partial uplift model would mislead, so it is an error.
    checkAborted(o.signal);
    done++;
    o.onProgress?.({ done, total, stage });
  };
  const signal = o.signal ? { signal: o.signal } : {};
  const fitArm = async (k: number): Promise<GbdtModel> => {
    checkAborted(o.signal);
    const idx = byArm[k] as number[];
    const model = await learner.train(
      { features: takeRows(features, p, idx), numFeatures: p, labels: Float64Array.from(idx, (i) => outcome[i] as number) },
      { ...gbdt, objective, ...signal },
    );
    progress(`outcome model of arm ${k}`);
    return model;
  };
  const base = { outcome: kind, arms, numFeatures: p, armRows, ...(featureNames ? { featureNames } : {}) } as const;

  if (method === 's-learner') {
    checkAborted(o.signal);
    const cats = [...(gbdt.categoricalFeatures ?? []), p];
    // The arm column's name, unlike any feature's.
    let armName = 'arm';
    while (featureNames?.includes(armName)) armName = `_${armName}`;
    const names = featureNames ? [...featureNames, armName] : undefined;
    const model = await learner.train(
      { features: withArm(features, p, (i) => arm[i] as number), numFeatures: p + 1, labels: outcome },
      { ...gbdt, objective, categoricalFeatures: cats, ...(names ? { featureNames: names } : {}), ...signal },
    );
    progress('outcome model with the arm as a feature');
    return { method, ...base, outcomeModels: [model] };
  }
  const outcomeModels: GbdtModel[] = [];
  for (let k = 0; k < arms; k++) outcomeModels.push(await fitArm(k));
  if (method === 't-learner') return { method, ...base, outcomeModels };

  // X-learner: imputed effects on each side, regressed with L2.
  const effectModels: Array<{ treated: GbdtModel; control: GbdtModel }> = [];
  const controlWeight: number[] = [];
  const control = byArm[0] as number[];
  const xControl = takeRows(features, p, control);
  const effectOptions = { ...gbdt, objective: 'l2' as const, ...signal };
  for (let k = 1; k < arms; k++) {
    const treated = byArm[k] as number[];
    const xTreated = takeRows(features, p, treated);
    checkAborted(o.signal);
    const mu0 = await learner.predict(outcomeModels[0] as GbdtModel, xTreated, p);
    const tauT = await learner.train(
      { features: xTreated, numFeatures: p, labels: Float64Array.from(treated, (i, j) => (outcome[i] as number) - (mu0[j] as number)) },
      effectOptions,
    );
    progress(`effect model of arm ${k} on its rows`);
    checkAborted(o.signal);
    const muK = await learner.predict(outcomeModels[k] as GbdtModel, xControl, p);
    const tauC = await learner.train(
      { features: xControl, numFeatures: p, labels: Float64Array.from(control, (i, j) => (muK[j] as number) - (outcome[i] as number)) },
      effectOptions,
    );
    progress(`effect model of arm ${k} on the control rows`);
    effectModels.push({ treated: tauT, control: tauC });
    const g = propensity
      ? (propensity[k] as number) / ((propensity[k] as number) + (propensity[0] as number))
      : treated.length / (treated.length + control.length);
    controlWeight.push(g);
  }
  return { method, ...base, outcomeModels, effectModels, controlWeight };
}

/**
 * Shape check of an uplift model object (predictUplift, upliftToJson): a hand-built or altered one
 * (arms out of range, base models missing or for another feature count, x-learner weights that
 * are not numbers in [0, 1]) fails with a code instead of a TypeError or a wrong answer later.
 */
function checkModel(model: unknown): UpliftModel {
  const m = model as Partial<UpliftModel> | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    !UPLIFT_METHODS.includes(m.method as UpliftMethod) ||
    !Array.isArray(m.outcomeModels) ||
    !Number.isInteger(m.arms) ||
    !Number.isInteger(m.numFeatures)
  )
    bad('model', 'model must be an uplift model (from trainUplift or loadUpliftModel)');
  const arms = m.arms as number;
  const p = m.numFeatures as number;
  const wrong = (field: string, why: string): never =>
    bad(field, `model must be an uplift model (from trainUplift or loadUpliftModel): ${field} ${why}`);
  if (arms < 2 || arms > MAX_UPLIFT_ARMS) wrong('model.arms', `must be an integer in [2, ${MAX_UPLIFT_ARMS}], got ${arms}`);
  if (p < 1) wrong('model.numFeatures', `must be an integer >= 1, got ${p}`);
  const base = (field: string, g: unknown, features: number) => {
    const n = (g as Partial<GbdtModel> | null)?.numFeatures;
    if (typeof g !== 'object' || g === null || n !== features) wrong(field, `must be a GBDT model on ${features} features`);
  };
  const sLearner = m.method === 's-learner';
  const want = sLearner ? 1 : arms;
  if (m.outcomeModels.length !== want) wrong('model.outcomeModels', `must hold ${want} GBDT models, not ${m.outcomeModels.length}`);
  for (const [k, g] of m.outcomeModels.entries()) base(`model.outcomeModels[${k}]`, g, sLearner ? p + 1 : p);
  if (m.method === 'x-learner') {
    const e = m.effectModels as unknown;
    if (!Array.isArray(e) || e.length !== arms - 1) wrong('model.effectModels', `must hold ${arms - 1} pairs { treated, control }`);
    (e as Array<{ treated?: unknown; control?: unknown } | null>).forEach((pair, k) => {
      base(`model.effectModels[${k}].treated`, pair?.treated, p);
      base(`model.effectModels[${k}].control`, pair?.control, p);
    });
    const g = m.controlWeight as unknown;
    if (!Array.isArray(g) || g.length !== arms - 1 || g.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1)))
      wrong('model.controlWeight', `must be ${arms - 1} numbers in [0, 1]`);
  }
  return m as UpliftModel;
}

/** Effects of every treatment against control for rows x numFeatures features (see UpliftPrediction). */
export async function predictUplift(
  model: UpliftModel,
  features: Float64Array,
  numFeatures: number,
  learner: UpliftLearner = referenceUpliftLearner,
): Promise<UpliftPrediction> {
  const m = checkModel(model);
  if (!(features instanceof Float64Array)) bad('features', 'features must be a Float64Array (rows x numFeatures, row-major)');
  assertNotDetached(features, 'features');
  if (numFeatures !== m.numFeatures)
    bad('numFeatures', `the model was trained on ${m.numFeatures} features, got numFeatures ${String(numFeatures)}`);
  if (features.length % numFeatures !== 0)
    throw new WaybillError('INVALID_LENGTH', `features has ${features.length} values, not a multiple of numFeatures ${numFeatures}`, {
      field: 'features',
    });
  const rows = features.length / numFeatures;
  const arms = m.arms;
  const K = arms - 1;
  const uplift = new Float64Array(rows * K);
  let outcomes: Float64Array | undefined;
  if (m.method === 'x-learner') {
    const effects = m.effectModels ?? [];
    for (let k = 1; k < arms; k++) {
      const e = effects[k - 1] as { treated: GbdtModel; control: GbdtModel };
      const g = m.controlWeight?.[k - 1] as number;
      const t = await learner.predict(e.treated, features, numFeatures);
      const c = await learner.predict(e.control, features, numFeatures);
      for (let i = 0; i < rows; i++) uplift[i * K + k - 1] = g * (c[i] as number) + (1 - g) * (t[i] as number);
    }
  } else {
    outcomes = new Float64Array(rows * arms);
    for (let k = 0; k < arms; k++) {
      const mu =
        m.method === 't-learner'
          ? await learner.predict(m.outcomeModels[k] as GbdtModel, features, numFeatures)
          : await learner.predict(
              m.outcomeModels[0] as GbdtModel,
              withArm(features, numFeatures, () => k),
              numFeatures + 1,
            );
      for (let i = 0; i < rows; i++) outcomes[i * arms + k] = mu[i] as number;
    }
    for (let i = 0; i < rows; i++)
      for (let k = 1; k < arms; k++) uplift[i * K + k - 1] = (outcomes[i * arms + k] as number) - (outcomes[i * arms] as number);
  }
  const bestArm = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestValue = 0;
    for (let k = 1; k < arms; k++) {
      const v = uplift[i * K + k - 1] as number;
      if (v > bestValue) {
        best = k;
        bestValue = v;
      }
    }
    bestArm[i] = best;
  }
  return { uplift, treatments: K, bestArm, ...(outcomes ? { outcomes } : {}) };
}

export interface UpliftModelJson {
  format: typeof UPLIFT_FORMAT;
  formatVersion: number;
  method: UpliftMethod;
  outcome: 'binary' | 'continuous';
  arms: number;
  numFeatures: number;
  featureNames?: string[];
  armRows: number[];
  outcomeModels: GbdtModelJson[];
  effectModels?: Array<{ treated: GbdtModelJson; control: GbdtModelJson }>;
  controlWeight?: number[];
}

/** The model as a `waybill-uplift` JSON document (JSON.stringify it to save). */
export function upliftToJson(model: UpliftModel): UpliftModelJson {
  const m = checkModel(model);
  return {
    format: UPLIFT_FORMAT,
    formatVersion: UPLIFT_FORMAT_VERSION,
    method: m.method,
    outcome: m.outcome,
    arms: m.arms,
    numFeatures: m.numFeatures,
    ...(m.featureNames ? { featureNames: [...m.featureNames] } : {}),
    armRows: [...m.armRows],
    outcomeModels: m.outcomeModels.map(gbdtToJson),
    ...(m.effectModels
      ? { effectModels: m.effectModels.map((e) => ({ treated: gbdtToJson(e.treated), control: gbdtToJson(e.control) })) }
      : {}),
    ...(m.controlWeight ? { controlWeight: [...m.controlWeight] } : {}),
  };
}

/**
 * Reads a `waybill-uplift` document (text or parsed): the method, arm count, feature count and
 * outcome must agree with the GBDTs inside (outcome models logistic for a binary outcome, else
 * l2; effect models l2), each of which passes the GBDT loader's checks.
 * INVALID_ARGUMENT names the bad field.
 */
export function loadUpliftModel(json: string | unknown): UpliftModel {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (err) {
      bad('json', `uplift model: not JSON: ${(err as Error).message}`);
    }
  }
  const d = doc as Partial<UpliftModelJson> | null;
  if (typeof d !== 'object' || d === null) bad('document', 'uplift model: the document must be an object');
  const wrong = (field: string, why: string): never => bad(field, `uplift model: ${field} ${why}`);
  if (d.format !== UPLIFT_FORMAT) wrong('format', `must be '${UPLIFT_FORMAT}'`);
  if (d.formatVersion !== UPLIFT_FORMAT_VERSION) wrong('formatVersion', `must be ${UPLIFT_FORMAT_VERSION} (this reader's version)`);
  if (!UPLIFT_METHODS.includes(d.method as UpliftMethod)) wrong('method', `must be one of ${UPLIFT_METHODS.join(', ')}`);
  if (d.outcome !== 'binary' && d.outcome !== 'continuous') wrong('outcome', "must be 'binary' or 'continuous'");
  const arms = d.arms as number;
  if (!Number.isInteger(arms) || arms < 2 || arms > MAX_UPLIFT_ARMS) wrong('arms', `must be an integer in [2, ${MAX_UPLIFT_ARMS}]`);
  const p = d.numFeatures as number;
  if (!Number.isInteger(p) || p < 1 || p > 2 ** 24) wrong('numFeatures', 'must be an integer in [1, 2^24]');
  if (!Array.isArray(d.armRows) || d.armRows.length !== arms || d.armRows.some((c) => !Number.isInteger(c) || c < 1))
    wrong('armRows', `must be ${arms} positive integers`);
  if (
    d.featureNames !== undefined &&
    (!Array.isArray(d.featureNames) || d.featureNames.length !== p || d.featureNames.some((s) => typeof s !== 'string'))
  )
    wrong('featureNames', `must be ${p} strings`);
  const method = d.method as UpliftMethod;
  const want = method === 's-learner' ? 1 : arms;
  if (!Array.isArray(d.outcomeModels) || d.outcomeModels.length !== want) wrong('outcomeModels', `must hold ${want} GBDT models`);
  // The objectives trainUplift fits: another one (a poisson outcome model, a logistic effect model)
  // puts the effects on another scale without a word.
  const outcomeObjective = d.outcome === 'binary' ? 'logistic' : 'l2';
  const gbdt = (field: string, m: unknown, features: number, objective: 'logistic' | 'l2'): GbdtModel => {
    let model: GbdtModel;
    try {
      model = loadGbdtModel(m);
    } catch (err) {
      return wrong(field, `is not a valid GBDT model: ${(err as Error).message}`);
    }
    if (model.numFeatures !== features) wrong(field, `has ${model.numFeatures} features, expected ${features}`);
    if (model.objective.name !== objective)
      wrong(field, `has the ${model.objective.name} objective, expected ${objective} (a ${d.outcome} outcome)`);
    return model;
  };
  const outcomeModels = (d.outcomeModels as unknown[]).map((m, k) =>
    gbdt(`outcomeModels[${k}]`, m, method === 's-learner' ? p + 1 : p, outcomeObjective),
  );
  const model: UpliftModel = {
    method,
    outcome: d.outcome as 'binary' | 'continuous',
    arms,
    numFeatures: p,
    armRows: [...(d.armRows as number[])],
    outcomeModels,
    ...(d.featureNames ? { featureNames: [...d.featureNames] } : {}),
  };
  if (method === 'x-learner') {
    if (!Array.isArray(d.effectModels) || d.effectModels.length !== arms - 1) wrong('effectModels', `must hold ${arms - 1} pairs`);
    model.effectModels = (d.effectModels as unknown[]).map((e, k) => {
      const pair = e as { treated?: unknown; control?: unknown } | null;
      if (typeof pair !== 'object' || pair === null)
        bad(`effectModels[${k}]`, `uplift model: effectModels[${k}] must be { treated, control }`);
      return {
        treated: gbdt(`effectModels[${k}].treated`, pair.treated, p, 'l2'),
        control: gbdt(`effectModels[${k}].control`, pair.control, p, 'l2'),
      };
    });
    if (
      !Array.isArray(d.controlWeight) ||
      d.controlWeight.length !== arms - 1 ||
      d.controlWeight.some((g) => typeof g !== 'number' || !(g >= 0 && g <= 1))
    )
      wrong('controlWeight', `must be ${arms - 1} numbers in [0, 1]`);
    model.controlWeight = [...(d.controlWeight as number[])];
  } else if (d.effectModels !== undefined) wrong('effectModels', 'belongs to the x-learner only');
  else if (d.controlWeight !== undefined) wrong('controlWeight', 'belongs to the x-learner only');
  return model;
}
