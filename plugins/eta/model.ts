/**
 * The ETA plugin's model: how long after a courier accepts a pickup task the pickup happens
 * (median and 0.9-quantile, minutes) and the probability that it happens after the customer's
 * window closes ("late").
 *
 * Features, all known when the task is accepted:
 *   accept time of day (minutes, the local wall clock of the accept time), the window start and end
 *   relative to the accept time (minutes; missing when not given), the customer's lat / lng, the
 *   great-circle distance from the courier's position at acceptance to the customer (km; missing
 *   without a courier position), the courier's load at acceptance (tasks accepted and not yet picked
 *   up; tasks already picked up that day) and two categoricals, city and the area-of-interest type.
 * The courier's id is not a feature: the model must serve couriers it has never seen, and it is
 * measured that way (held-back couriers, below).
 *
 * Three gradient-boosted tree models (the engine's ml kernels: the C++ core when the addon is
 * built, else the TypeScript reference, the same trees either way): quantile 0.5 and quantile 0.9
 * (leaves re-fitted to the quantile of their residuals) of the pickup time relative to the window
 * end, in minutes, and a small logistic model for "late". Relative to the window end because that
 * is the strongest single signal: the rule "window end + a fixed offset" alone is within a few per
 * cent of the models at the 0.9-quantile (see evaluateEta's window-rule baseline); the trees learn
 * the corrections to it. A task therefore needs a window end. The 0.9 answer is never below the
 * median one (the two models are fitted separately and may cross; the larger is served).
 *
 * The 0.9-quantile trees alone cover too few pickups of couriers they have not seen (85.9 % on the
 * held-back couriers): a quantile fitted in sample is optimistic. So the P90 answer is shifted by a
 * cross-conformal correction: the training couriers are cut into CONFORMAL_FOLDS folds (FNV-1a of
 * city/courier_id), each fold is answered by a 0.9-quantile model trained on the other folds, and
 * the shift is the 0.9 finite-sample quantile, ceil(0.9 (n + 1)), of the out-of-fold residuals.
 *
 * Training data: Cainiao LaDe-P pickups (../shared/data/lastmile/lade_pickup_subset, 6,190 real
 * tasks, 5 cities; see lastmile/SOURCES.md) or any file with the LaDe-P columns. Evaluation
 * (`evaluateEta`): couriers are split by FNV-1a(city/courier_id) mod 10 < 3, the same held-back
 * couriers as the next-pickup model of issue 9; the models are trained on the other couriers only.
 */
import type { LadePickups } from '../../src/data/lade.js';
import { WaybillError } from '../../src/errors.js';
import { haversine } from '../../src/kernels/geo/haversine-matrix.js';
import type { GbdtModel, GbdtOptions } from '../../src/kernels/ml/gbdt.js';
import type { MlKernels } from '../../src/kernels/ml/kernels.js';
import { logLoss, meanAbsoluteError, pinballLoss, rocAuc } from '../../src/kernels/ml/metrics.js';
import { fnv1a, isHeldBackCourier } from '../../src/kernels/trajectory/predict/next-pickup.js';

/** Feature columns, in the order of the feature matrix. */
export const ETA_FEATURES = [
  'accept_minute_of_day',
  'window_start_after_accept_min',
  'window_end_after_accept_min',
  'lat',
  'lng',
  'courier_to_customer_km',
  'pending_tasks',
  'completed_today',
  'city',
  'aoi_type',
] as const;
const P = ETA_FEATURES.length;
const CITY = 8;
const AOI_TYPE = 9;
const EARTH_RADIUS_KM = 6371.0088;
/** LaDe times are China Standard Time wall clock. */
const CHINA_UTC_OFFSET_S = 8 * 3600;

/** The training settings of the three models (fixed; seeded, so training is deterministic). */
export const TIME_SHAPE: GbdtOptions = { numIterations: 200, learningRate: 0.05, maxLeaves: 15, minDataInLeaf: 20, seed: 7 };
/** Folds of the cross-conformal P90 correction. */
export const CONFORMAL_FOLDS = 5;
export const LATE_SHAPE: GbdtOptions = { numIterations: 100, learningRate: 0.03, maxLeaves: 4, minDataInLeaf: 50, seed: 7 };

/** One pickup task as the model sees it. Missing values are NaN. */
export interface EtaTask {
  /** Accept time, epoch seconds. */
  acceptTime: number;
  /** Minutes since local midnight at the accept time (the wall clock of the place). */
  acceptMinuteOfDay: number;
  /** Customer's window, epoch seconds (the start may be NaN; the end is required). */
  windowStart: number;
  windowEnd: number;
  lat: number;
  lng: number;
  /** Courier position at acceptance (NaN when unknown). */
  courierLat: number;
  courierLng: number;
  city: string;
  /** Area-of-interest type code, an integer >= 0 (NaN when unknown). */
  aoiType: number;
  /** Tasks the courier had accepted and not yet picked up at acceptance (NaN when unknown). */
  pendingTasks: number;
  /** Tasks the courier had already picked up that day (NaN when unknown). */
  completedToday: number;
}

/** A trained ETA model. */
export interface EtaModel {
  p50: GbdtModel;
  p90: GbdtModel;
  late: GbdtModel;
  /** Cities seen in training; their index is the city code (an unseen city gets a code of its own). */
  cities: string[];
  trainingRows: number;
  /** Share of training tasks picked up after their window end. */
  lateRate: number;
  /**
   * Minutes added to the 0.9-quantile model's answer so that it covers 90 % of the training tasks
   * out of fold (cross-conformal, folds by courier); 0 when every training courier falls in one fold.
   */
  p90Shift: number;
}

/** Per-task answers. */
export interface EtaPredictions {
  p50: Float64Array;
  p90: Float64Array;
  /** P(pickup after the window end). */
  late: Float64Array;
  backend: string;
}

/** The ml kernels the model needs (the engine's `kernels.ml`). */
export type EtaKernels = Pick<MlKernels, 'train' | 'predict'>;

/** LaDe-P rows as ETA tasks, with what happened: minutes to pickup and late (after the window end). */
export interface EtaTable {
  tasks: EtaTask[];
  minutes: Float64Array;
  late: Uint8Array;
  /** `city/courier_id` of each task (the unit of the evaluation split). */
  courier: string[];
}

/** Builds the tasks of a LaDe-P table, computing each courier's load at acceptance from the table itself. */
export function ladeEtaTable(p: LadePickups): EtaTable {
  const n = p.count;
  const days = new Map<string, number[]>();
  for (let r = 0; r < n; r++) {
    const key = `${p.city[r]}/${p.courierId[r]}/${p.ds[r]}`;
    const rows = days.get(key);
    if (rows) rows.push(r);
    else days.set(key, [r]);
  }
  const pending = new Float64Array(n);
  const completed = new Float64Array(n);
  for (const rows of days.values()) {
    for (const r of rows) {
      const accept = p.acceptTime[r] as number;
      let open = 0;
      let done = 0;
      for (const q of rows) {
        if (q === r) continue;
        const picked = p.pickupTime[q] as number;
        if (picked <= accept) done++;
        else if ((p.acceptTime[q] as number) <= accept) open++;
      }
      pending[r] = open;
      completed[r] = done;
    }
  }
  const tasks: EtaTask[] = [];
  const minutes = new Float64Array(n);
  const late = new Uint8Array(n);
  const courier: string[] = [];
  for (let r = 0; r < n; r++) {
    const accept = p.acceptTime[r] as number;
    const pickup = p.pickupTime[r] as number;
    if (!Number.isFinite(accept))
      throw new WaybillError('INVALID_ARGUMENT', `LaDe row ${r} (order ${p.orderId[r]}) has no accept_time`, { row: r });
    const local = accept + CHINA_UTC_OFFSET_S;
    tasks.push({
      acceptTime: accept,
      acceptMinuteOfDay: (((local % 86400) + 86400) % 86400) / 60,
      windowStart: p.windowStart[r] as number,
      windowEnd: p.windowEnd[r] as number,
      lat: p.coords[2 * r] as number,
      lng: p.coords[2 * r + 1] as number,
      courierLat: p.acceptGps[2 * r] as number,
      courierLng: p.acceptGps[2 * r + 1] as number,
      city: p.city[r] as string,
      aoiType: p.aoiType[r] as number,
      pendingTasks: pending[r] as number,
      completedToday: completed[r] as number,
    });
    minutes[r] = (pickup - accept) / 60;
    late[r] = pickup > (p.windowEnd[r] as number) ? 1 : 0;
    courier.push(`${p.city[r]}/${p.courierId[r]}`);
  }
  return { tasks, minutes, late, courier };
}

/** The feature matrix (row-major, tasks x ETA_FEATURES) of `tasks`, with the model's city codes. */
export function etaFeatures(tasks: readonly EtaTask[], cities: readonly string[]): Float64Array {
  const code = new Map(cities.map((c, i) => [c, i]));
  const x = new Float64Array(tasks.length * P);
  tasks.forEach((t, i) => {
    const rel = (s: number) => (Number.isFinite(s) ? (s - t.acceptTime) / 60 : Number.NaN);
    const located = Number.isFinite(t.courierLat) && Number.isFinite(t.courierLng);
    const o = i * P;
    x[o] = t.acceptMinuteOfDay;
    x[o + 1] = rel(t.windowStart);
    x[o + 2] = rel(t.windowEnd);
    x[o + 3] = t.lat;
    x[o + 4] = t.lng;
    x[o + 5] = located ? haversine(t.courierLat, t.courierLng, t.lat, t.lng, EARTH_RADIUS_KM) : Number.NaN;
    x[o + 6] = t.pendingTasks;
    x[o + 7] = t.completedToday;
    // An unseen city gets the first unused code: the trees send it where unseen categories go.
    x[o + CITY] = code.get(t.city) ?? cities.length;
    x[o + AOI_TYPE] = Number.isInteger(t.aoiType) && t.aoiType >= 0 ? t.aoiType : Number.NaN;
  });
  return x;
}

function rowsOf<T>(values: ArrayLike<T>, rows: readonly number[]): T[] {
  return rows.map((r) => values[r] as T);
}

/** Minutes from the accept time to the window end of task `t`. */
function windowEndMinutes(t: EtaTask): number {
  return (t.windowEnd - t.acceptTime) / 60;
}

/**
 * Trains the three models on `rows` of a table (all rows when omitted). Rows without a window end
 * cannot be used (the models are relative to it) and are left out; `skippedNoWindow` counts them.
 */
export async function trainEta(
  ml: EtaKernels,
  table: EtaTable,
  rows?: readonly number[],
  signal?: AbortSignal,
): Promise<EtaModel & { skippedNoWindow: number }> {
  const given = rows ?? table.tasks.map((_, i) => i);
  const idx = given.filter((r) => Number.isFinite((table.tasks[r] as EtaTask).windowEnd));
  if (idx.length === 0)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `the ETA model needs training tasks with a window end (got ${given.length} tasks, none with one)`,
      {},
    );
  const tasks = rowsOf(table.tasks, idx);
  const cities = [...new Set(tasks.map((t) => t.city))].sort();
  const features = etaFeatures(tasks, cities);
  const offset = Float64Array.from(idx, (r, i) => (table.minutes[r] as number) - windowEndMinutes(tasks[i] as EtaTask));
  const lateLabels = Float64Array.from(idx, (r) => table.late[r] as number);
  const lateRate = lateLabels.reduce((s, v) => s + v, 0) / lateLabels.length;
  if (lateRate === 0 || lateRate === 1)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `every training task is ${lateRate === 1 ? '' : 'not '}late: the late model cannot be trained`,
      {},
    );
  const trainOne = async (labels: Float64Array, options: GbdtOptions) => {
    const r = await ml.train(
      { numFeatures: P, features, labels },
      { ...options, categoricalFeatures: [CITY, AOI_TYPE], featureNames: [...ETA_FEATURES], signal },
    );
    if (r.stopReason === 'aborted') throw new WaybillError('ABORTED', 'ETA training was aborted', {});
    return r.model;
  };
  const p50 = await trainOne(offset, { ...TIME_SHAPE, objective: { name: 'quantile', alpha: 0.5 } });
  const p90 = await trainOne(offset, { ...TIME_SHAPE, objective: { name: 'quantile', alpha: 0.9 } });
  const late = await trainOne(lateLabels, { ...LATE_SHAPE, objective: 'logistic' });
  const p90Shift = await conformalShift(ml, table, idx, signal);
  return { p50, p90, late, cities, trainingRows: idx.length, lateRate, p90Shift, skippedNoWindow: given.length - idx.length };
}

/** The cross-conformal P90 shift of {@link EtaModel.p90Shift}, from training rows `idx` (all with a window end). */
async function conformalShift(ml: EtaKernels, table: EtaTable, idx: readonly number[], signal?: AbortSignal): Promise<number> {
  const fold = idx.map((r) => fnv1a(table.courier[r] as string) % CONFORMAL_FOLDS);
  const residuals: number[] = [];
  for (let k = 0; k < CONFORMAL_FOLDS; k++) {
    const inner = idx.filter((_, i) => fold[i] !== k);
    const held = idx.filter((_, i) => fold[i] === k);
    if (inner.length === 0 || held.length === 0) continue;
    const tasks = rowsOf(table.tasks, inner);
    const cities = [...new Set(tasks.map((t) => t.city))].sort();
    const labels = Float64Array.from(inner, (r, i) => (table.minutes[r] as number) - windowEndMinutes(tasks[i] as EtaTask));
    const r = await ml.train(
      { numFeatures: P, features: etaFeatures(tasks, cities), labels },
      {
        ...TIME_SHAPE,
        objective: { name: 'quantile', alpha: 0.9 },
        categoricalFeatures: [CITY, AOI_TYPE],
        featureNames: [...ETA_FEATURES],
        signal,
      },
    );
    if (r.stopReason === 'aborted') throw new WaybillError('ABORTED', 'ETA training was aborted', {});
    const heldTasks = rowsOf(table.tasks, held);
    const { predictions } = await ml.predict(r.model, etaFeatures(heldTasks, cities), P);
    held.forEach((row, i) => {
      const answer = Math.max(0, windowEndMinutes(heldTasks[i] as EtaTask) + (predictions[i] as number));
      residuals.push((table.minutes[row] as number) - answer);
    });
  }
  if (residuals.length === 0) return 0;
  residuals.sort((a, b) => a - b);
  return residuals[Math.min(residuals.length - 1, Math.ceil(0.9 * (residuals.length + 1)) - 1)] as number;
}

/**
 * Predicts minutes to pickup (P50, P90 >= P50, both >= 0) and the late probability of each task.
 * Every task needs a finite window end (INVALID_ARGUMENT naming the first that has none).
 */
export async function predictEta(ml: EtaKernels, model: EtaModel, tasks: readonly EtaTask[]): Promise<EtaPredictions> {
  const missing = tasks.findIndex((t) => !Number.isFinite(t.windowEnd));
  if (missing >= 0)
    throw new WaybillError('INVALID_ARGUMENT', `task ${missing} has no window end; the ETA model needs one`, { index: missing });
  const features = etaFeatures(tasks, model.cities);
  const [a, b, c] = await Promise.all([
    ml.predict(model.p50, features, P),
    ml.predict(model.p90, features, P),
    ml.predict(model.late, features, P),
  ]);
  const n = tasks.length;
  const p50 = new Float64Array(n);
  const p90 = new Float64Array(n);
  const late = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const end = windowEndMinutes(tasks[i] as EtaTask);
    p50[i] = Math.max(0, end + (a.predictions[i] as number));
    p90[i] = Math.max(p50[i] as number, end + (b.predictions[i] as number) + model.p90Shift);
    late[i] = c.predictions[i] as number;
  }
  return { p50, p90, late, backend: a.backend };
}

function quantile(sorted: Float64Array, q: number): number {
  // Type 7 (linear between order statistics), as R's default and NumPy's.
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** Accuracy of one way of answering, on the held-back tasks. */
export interface EtaScores {
  /** Mean absolute error of the median answer, minutes. */
  mae: number;
  /** Pinball loss of the 0.9 answer, minutes. */
  pinball90: number;
  /** Share of tasks picked up at or before the 0.9 answer (ideal 0.9). */
  coverage90: number;
}

/** What `evaluateEta` measured. */
export interface EtaEvaluation {
  split: string;
  trainTasks: number;
  testTasks: number;
  trainCouriers: number;
  testCouriers: number;
  model: EtaScores;
  /** The training median and 0.9-quantile for every task. */
  constant: EtaScores;
  /** The training median and 0.9-quantile of the task's city. */
  perCity: EtaScores;
  /** The window end plus the training median and 0.9-quantile of (pickup - window end). */
  windowRule: EtaScores;
  late: {
    testLate: number;
    testRate: number;
    trainRate: number;
    auc: number;
    logLoss: number;
    /** Log loss of the training late rate for every task. */
    baseLogLoss: number;
    brier: number;
    baseBrier: number;
  };
  /** The cross-conformal minutes added to the P90 answers of the evaluated model. */
  p90Shift: number;
  /** The model's scores without that shift (P90 = the 0.9-quantile trees alone, at least the median). */
  modelWithoutShift: EtaScores;
  backend: string;
}

function scores(y: Float64Array, p50: ArrayLike<number>, p90: ArrayLike<number>): EtaScores {
  let covered = 0;
  for (let i = 0; i < y.length; i++) if ((y[i] as number) <= (p90[i] as number)) covered++;
  return { mae: meanAbsoluteError(y, p50), pinball90: pinballLoss(y, p90, 0.9), coverage90: covered / y.length };
}

function brier(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += ((p[i] as number) - (y[i] as number)) ** 2;
  return s / y.length;
}

/** Trains on the non-held-back couriers and measures the model and the baselines on the held-back ones. */
export async function evaluateEta(ml: EtaKernels, table: EtaTable): Promise<EtaEvaluation> {
  const train: number[] = [];
  const test: number[] = [];
  table.courier.forEach((c, r) => {
    if (Number.isFinite((table.tasks[r] as EtaTask).windowEnd)) (isHeldBackCourier(c) ? test : train).push(r);
  });
  if (train.length === 0 || test.length === 0)
    throw new WaybillError('INVALID_ARGUMENT', 'the courier split left no training or no test tasks', {
      train: train.length,
      test: test.length,
    });
  const model = await trainEta(ml, table, train);
  const testTasks = rowsOf(table.tasks, test);
  const pred = await predictEta(ml, model, testTasks);
  const y = Float64Array.from(rowsOf(table.minutes, test));

  const trainMinutes = Float64Array.from(rowsOf(table.minutes, train)).sort();
  const c50 = quantile(trainMinutes, 0.5);
  const c90 = quantile(trainMinutes, 0.9);
  const cityQ = new Map<string, [number, number]>();
  for (const city of model.cities) {
    const m = Float64Array.from(
      train.filter((r) => (table.tasks[r] as EtaTask).city === city).map((r) => table.minutes[r] as number),
    ).sort();
    cityQ.set(city, [quantile(m, 0.5), quantile(m, 0.9)]);
  }
  const byCity = (k: 0 | 1) => testTasks.map((t) => cityQ.get(t.city)?.[k] ?? (k === 0 ? c50 : c90));
  const offsets = Float64Array.from(train, (r) => (table.minutes[r] as number) - windowEndMinutes(table.tasks[r] as EtaTask)).sort();
  const rule = (q: number) => {
    const o = quantile(offsets, q);
    return testTasks.map((t) => Math.max(0, windowEndMinutes(t) + o));
  };

  const yl = Float64Array.from(rowsOf(table.late, test));
  const pl = pred.late;
  const base = new Float64Array(yl.length).fill(model.lateRate);
  const testLate = yl.reduce((s, v) => s + v, 0);
  return {
    split: 'by courier: FNV-1a(city/courier_id) mod 10 < 3 held back (never seen in training)',
    trainTasks: train.length,
    testTasks: test.length,
    trainCouriers: new Set(rowsOf(table.courier, train)).size,
    testCouriers: new Set(rowsOf(table.courier, test)).size,
    model: scores(y, pred.p50, pred.p90),
    constant: scores(y, new Float64Array(y.length).fill(c50), new Float64Array(y.length).fill(c90)),
    perCity: scores(y, byCity(0), byCity(1)),
    windowRule: scores(y, rule(0.5), rule(0.9)),
    late: {
      testLate,
      testRate: testLate / yl.length,
      trainRate: model.lateRate,
      auc: rocAuc(yl, pl),
      logLoss: logLoss(yl, pl),
      baseLogLoss: logLoss(yl, base),
      brier: brier(yl, pl),
      baseBrier: brier(yl, base),
    },
    p90Shift: model.p90Shift,
    modelWithoutShift: scores(
      y,
      pred.p50,
      pred.p90.map((v, i) => Math.max(pred.p50[i] as number, v - model.p90Shift)),
    ),
    backend: pred.backend,
  };
}
