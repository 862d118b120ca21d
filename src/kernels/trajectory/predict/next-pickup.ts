/**
 * Courier next-pickup and pickup-time prediction on Cainiao LaDe-P records.
 *
 * Task, per courier and day (tasks ordered by pickup time): after each completed pickup (time t,
 * the courier at that customer's location), the pending tasks are those of the same courier-day
 * not yet picked up and already accepted at t. Predict which is picked up next (top-1 / top-3)
 * and how long after t that next pickup completes (minutes; point and P90). LaDe times have minute
 * resolution, so every pending task picked up in the same minute as the true next one counts as a
 * correct answer. Steps where the true next task was accepted after t (unknowable then) or where
 * only one task is pending are left out and counted. The time model is conditioned on the task
 * actually served next (an ETA once the courier is dispatched to it).
 *
 * Predictors: `nearest` (nearest pending task), `window` (earliest window end), and `gbdt`, the
 * TS GBDT ranking candidates by a pointwise logistic model on candidate features; a quantile GBDT
 * (alpha 0.9) and an L1 GBDT give the P90 and point time, against a baseline of the training
 * steps' median and P90. Candidates are kept in a neutral order (accept time, then order id) so
 * that ties never leak the answer.
 *
 * Split: by courier (city + courier id), a stated hash: FNV-1a of `city/courier_id` mod 10 < 3
 * holds the courier back for testing; held-back couriers are never seen in training.
 */
import type { LadePickups } from '../../../data/lade.js';
import { ladeCourierDays } from '../../../data/lade.js';
import { WaybillError } from '../../../errors.js';
import { haversine } from '../../geo/haversine-matrix.js';
import { type GbdtDataset, type GbdtModel, type GbdtOptions, type GbdtTrainResult, gbdtPredict, trainGbdt } from '../../ml/gbdt.js';
import { nativeGbdtStatus, nativeTrainGbdtSync } from '../../ml/native.js';

/** The C++ GBDT when the addon has it (byte-identical trees, several times faster), else the TS reference. */
function trainTrees(data: GbdtDataset, options: GbdtOptions): GbdtTrainResult {
  return nativeGbdtStatus().ok ? nativeTrainGbdtSync(data, options) : trainGbdt(data, options);
}

const EARTH_RADIUS_M = 6_371_008.8;
const CHINA_UTC_OFFSET_S = 8 * 3600;

/** One decision point: a courier has just completed a pickup and chooses among pending tasks. */
export interface PickupStep {
  /** `city/courier_id/ds`. */
  courierDay: string;
  /** `city/courier_id`: the unit of the train / test split. */
  courier: string;
  /** Row of the pickup just completed. */
  previous: number;
  /** Its pickup time, epoch seconds. */
  time: number;
  /** Rows of the pending tasks, neutral order (accept time, then order id). */
  candidates: number[];
  /** 1 for candidates picked up in the same minute as the true next task. */
  positive: Uint8Array;
  /** Row actually picked up next. */
  next: number;
  /** Minutes from `time` to the next pickup. */
  minutes: number;
}

/** Steps of the LaDe courier-days, and how many were left out and why. */
export interface PickupSteps {
  steps: PickupStep[];
  skippedNotYetAccepted: number;
  skippedSingleCandidate: number;
}

/** Builds the decision points of every courier-day (see the module comment for the rules). */
export function buildPickupSteps(p: LadePickups): PickupSteps {
  const days = ladeCourierDays(p);
  const steps: PickupStep[] = [];
  let skippedNotYetAccepted = 0;
  let skippedSingleCandidate = 0;
  const { offsets, ids } = days.batch;
  for (let t = 0; t < ids.length; t++) {
    const rows = Array.from(days.rows.subarray(offsets[t] as number, offsets[t + 1] as number));
    const key = ids[t] as string;
    const courier = key.slice(0, key.lastIndexOf('/'));
    for (let k = 1; k < rows.length; k++) {
      const prev = rows[k - 1] as number;
      const next = rows[k] as number;
      const time = p.pickupTime[prev] as number;
      const nextTime = p.pickupTime[next] as number;
      const candidates = rows
        .slice(k)
        .filter((r) => (p.acceptTime[r] as number) <= time)
        .sort(
          (a, b) =>
            (p.acceptTime[a] as number) - (p.acceptTime[b] as number) || (p.orderId[a] as string).localeCompare(p.orderId[b] as string),
        );
      const positive = Uint8Array.from(candidates.map((r) => ((p.pickupTime[r] as number) === nextTime ? 1 : 0)));
      if (!positive.includes(1)) {
        skippedNotYetAccepted++;
        continue;
      }
      if (candidates.length < 2) {
        skippedSingleCandidate++;
        continue;
      }
      steps.push({ courierDay: key, courier, previous: prev, time, candidates, positive, next, minutes: (nextTime - time) / 60 });
    }
  }
  return { steps, skippedNotYetAccepted, skippedSingleCandidate };
}

/** Names of the candidate features, in order. */
export const PICKUP_FEATURES = [
  'distance_km',
  'distance_rank',
  'is_nearest',
  'distance_over_min_km',
  'window_end_min',
  'window_end_rank',
  'is_earliest_window_end',
  'window_start_min',
  'since_accept_min',
  'accept_rank',
  'same_aoi',
  'same_aoi_type',
  'aoi_type',
  'pending',
  'hour_local',
] as const;
const NF = PICKUP_FEATURES.length;

function distanceKm(p: LadePickups, a: number, b: number): number {
  return (
    haversine(
      p.coords[2 * a] as number,
      p.coords[2 * a + 1] as number,
      p.coords[2 * b] as number,
      p.coords[2 * b + 1] as number,
      EARTH_RADIUS_M,
    ) / 1000
  );
}

/** Rank of each value among `values` (0 = smallest; ties share the lowest rank). */
function ranks(values: number[]): number[] {
  return values.map((v) => values.filter((w) => w < v).length);
}

/** Candidate features of one step, candidates x NF row-major. */
export function stepFeatures(p: LadePickups, step: PickupStep): Float64Array {
  const c = step.candidates;
  const m = c.length;
  const out = new Float64Array(m * NF);
  const dist = c.map((r) => distanceKm(p, step.previous, r));
  const we = c.map((r) => ((p.windowEnd[r] as number) - step.time) / 60);
  const acc = c.map((r) => p.acceptTime[r] as number);
  const dRank = ranks(dist);
  const wRank = ranks(we.map((v) => (Number.isFinite(v) ? v : Number.POSITIVE_INFINITY)));
  const aRank = ranks(acc);
  const minD = Math.min(...dist);
  const hour = ((((step.time + CHINA_UTC_OFFSET_S) % 86400) + 86400) % 86400) / 3600;
  for (let i = 0; i < m; i++) {
    const r = c[i] as number;
    const f = out.subarray(i * NF, (i + 1) * NF);
    f[0] = dist[i] as number;
    f[1] = (dRank[i] as number) / (m - 1);
    f[2] = dRank[i] === 0 ? 1 : 0;
    f[3] = (dist[i] as number) - minD;
    f[4] = we[i] as number;
    f[5] = (wRank[i] as number) / (m - 1);
    f[6] = wRank[i] === 0 ? 1 : 0;
    f[7] = ((p.windowStart[r] as number) - step.time) / 60;
    f[8] = (step.time - (p.acceptTime[r] as number)) / 60;
    f[9] = (aRank[i] as number) / (m - 1);
    f[10] = p.aoiId[r] === p.aoiId[step.previous] ? 1 : 0;
    f[11] = p.aoiType[r] === p.aoiType[step.previous] ? 1 : 0;
    f[12] = p.aoiType[r] as number;
    f[13] = m;
    f[14] = hour;
  }
  return out;
}

/** FNV-1a 32-bit hash of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** True when the courier (`city/courier_id`) is held back for testing: FNV-1a mod 10 < 3. */
export function isHeldBackCourier(courier: string): boolean {
  return fnv1a(courier) % 10 < 3;
}

/** Trained next-pickup models. */
export interface NextPickupModel {
  ranker: GbdtModel;
  time: GbdtModel;
  timeP90: GbdtModel;
}

const GBDT_SHAPE = { numIterations: 150, learningRate: 0.05, maxLeaves: 15, minDataInLeaf: 20, seed: 7 } as const;

/** Features of the task actually served next, for the time models. */
function timeRow(p: LadePickups, step: PickupStep, feats = stepFeatures(p, step)): Float64Array {
  const i = step.candidates.indexOf(step.next);
  return feats.slice(i * NF, (i + 1) * NF);
}

/** Trains the ranker (pointwise logistic GBDT) and the L1 / P90 time GBDTs on the given steps. */
export function trainNextPickup(p: LadePickups, steps: PickupStep[]): NextPickupModel {
  if (steps.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'trainNextPickup needs at least one step', {});
  const rank: number[] = [];
  const label: number[] = [];
  const time: number[] = [];
  const minutes: number[] = [];
  for (const s of steps) {
    const f = stepFeatures(p, s);
    for (const v of f) rank.push(v);
    for (const y of s.positive) label.push(y);
    for (const v of timeRow(p, s, f)) time.push(v);
    minutes.push(s.minutes);
  }
  const ranker = trainTrees(
    { features: Float64Array.from(rank), numFeatures: NF, labels: Float64Array.from(label) },
    { ...GBDT_SHAPE, objective: 'logistic' },
  ).model;
  const timeSet = { features: Float64Array.from(time), numFeatures: NF, labels: Float64Array.from(minutes) };
  const timeModel = trainTrees(timeSet, { ...GBDT_SHAPE, objective: 'l1' }).model;
  const timeP90 = trainTrees(timeSet, { ...GBDT_SHAPE, objective: { name: 'quantile', alpha: 0.9 } }).model;
  return { ranker, time: timeModel, timeP90 };
}

/** Candidate indices of a step, best first, by descending score (ties: neutral candidate order). */
function orderByScore(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/** Hit rates of a ranking rule. */
export interface TopK {
  top1: number;
  top3: number;
}

/** Accuracy and calibration of the pickup-time predictions, minutes. */
export interface PickupTimeEval {
  mae: number;
  p90Coverage: number;
}

/** Next-pickup evaluation on held-back couriers. */
export interface NextPickupReport {
  split: string;
  rules: string;
  trainCouriers: number;
  testCouriers: number;
  trainSteps: number;
  testSteps: number;
  skippedNotYetAccepted: number;
  skippedSingleCandidate: number;
  meanCandidates: number;
  nearest: TopK;
  window: TopK;
  gbdt: TopK;
  time: { baseline: PickupTimeEval; gbdt: PickupTimeEval };
}

function quantileOf(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return (s[lo] as number) + ((s[Math.min(lo + 1, s.length - 1)] as number) - (s[lo] as number)) * (h - lo);
}

/**
 * Splits the courier-day steps by courier (see isHeldBackCourier), trains on the others, and
 * reports top-1 / top-3 of the three rules and the time models' MAE and P90 coverage on the
 * held-back couriers.
 */
export function evaluateNextPickup(p: LadePickups): NextPickupReport {
  const all = buildPickupSteps(p);
  const train = all.steps.filter((s) => !isHeldBackCourier(s.courier));
  const test = all.steps.filter((s) => isHeldBackCourier(s.courier));
  if (train.length === 0 || test.length === 0)
    throw new WaybillError('INVALID_ARGUMENT', 'the courier split left no training or no test steps', {});
  const model = trainNextPickup(p, train);
  const hits = { nearest: [0, 0], window: [0, 0], gbdt: [0, 0] };
  const count = (key: keyof typeof hits, order: number[], positive: Uint8Array): void => {
    if (positive[order[0] as number] === 1) hits[key][0] = (hits[key][0] as number) + 1;
    if (order.slice(0, 3).some((i) => positive[i] === 1)) hits[key][1] = (hits[key][1] as number) + 1;
  };
  const trainMinutes = train.map((s) => s.minutes);
  const baseMedian = quantileOf(trainMinutes, 0.5);
  const baseP90 = quantileOf(trainMinutes, 0.9);
  let baseAbs = 0;
  let baseCover = 0;
  let gbdtAbs = 0;
  let gbdtCover = 0;
  let candidates = 0;
  for (const s of test) {
    const f = stepFeatures(p, s);
    const m = s.candidates.length;
    candidates += m;
    const col = (k: number): number[] => Array.from({ length: m }, (_, i) => f[i * NF + k] as number);
    count('nearest', orderByScore(col(0).map((d) => -d)), s.positive);
    count('window', orderByScore(col(4).map((w) => (Number.isFinite(w) ? -w : Number.NEGATIVE_INFINITY))), s.positive);
    count('gbdt', orderByScore(gbdtPredict(model.ranker, f, NF)), s.positive);
    const row = timeRow(p, s, f);
    const point = gbdtPredict(model.time, row, NF)[0] as number;
    const p90 = gbdtPredict(model.timeP90, row, NF)[0] as number;
    baseAbs += Math.abs(s.minutes - baseMedian);
    baseCover += s.minutes <= baseP90 ? 1 : 0;
    gbdtAbs += Math.abs(s.minutes - point);
    gbdtCover += s.minutes <= p90 ? 1 : 0;
  }
  const n = test.length;
  const rate = (k: keyof typeof hits): TopK => ({ top1: (hits[k][0] as number) / n, top3: (hits[k][1] as number) / n });
  const couriers = (steps: PickupStep[]): number => new Set(steps.map((s) => s.courier)).size;
  return {
    split: 'by courier: FNV-1a(city/courier_id) mod 10 < 3 held back; held-back couriers never in training',
    rules:
      'pending = same courier-day, not yet picked up, accepted by the last pickup; same-minute pickups all count as correct; time conditioned on the task served next',
    trainCouriers: couriers(train),
    testCouriers: couriers(test),
    trainSteps: train.length,
    testSteps: n,
    skippedNotYetAccepted: all.skippedNotYetAccepted,
    skippedSingleCandidate: all.skippedSingleCandidate,
    meanCandidates: candidates / n,
    nearest: rate('nearest'),
    window: rate('window'),
    gbdt: rate('gbdt'),
    time: {
      baseline: { mae: baseAbs / n, p90Coverage: baseCover / n },
      gbdt: { mae: gbdtAbs / n, p90Coverage: gbdtCover / n },
    },
  };
}
