/**
 * Evaluation of uplift scores on a randomised test: rows ranked by score (highest first), and for
 * each top fraction the measured effect there — the mean outcome of its treated rows minus that
 * of its control rows. Rows with equal scores are one block: a cut never separates them, so the
 * result does not depend on their order.
 *
 * - `upliftAt`: for each asked fraction f, the smallest top block set holding at least f of the
 *   rows, with its measured effect (the effect a campaign targeting those rows would have had).
 * - `qini` (Radcliffe 2007): Q(top) = Y_T(top) - Y_C(top) N_T(top) / N_C(top), the incremental
 *   outcomes of the top's treated rows; the Qini coefficient here is the area between Q over the
 *   population fraction and the straight line of random targeting, by the trapezoid rule over the
 *   block ends, divided by the total treated rows N_T: in outcome units per treated row (0 for a
 *   random or constant score, positive when responders rank high). `qiniCurve` has the points.
 * - `ate`: the measured effect on all rows (what random targeting gets at every fraction).
 * An effect (or standard error) that is not defined — a top without treated or without control
 * rows (or with one row of either, for the error) — is NaN.
 */
import { WaybillError } from '../../errors.js';
import { assertNotDetached, optionsObject } from '../options.js';

/** Largest |outcome| the evaluations take: beyond it their sums (and sums of squares) overflow. */
export const MAX_METRIC_OUTCOME = 1e100;

export interface UpliftEvaluation {
  rows: number;
  treatedRows: number;
  controlRows: number;
  /** Mean outcome treated - control, all rows. */
  ate: number;
  qini: number;
  /** Points (fraction of rows, Q) at each block end, from (0, 0). */
  qiniCurve: Array<{ fraction: number; q: number }>;
  /** Per asked fraction: the rows taken (whole blocks), the measured effect, its standard error. */
  upliftAt: Array<{ fraction: number; rows: number; uplift: number; standardError: number }>;
}

function bad(field: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new WaybillError('INVALID_ARGUMENT', message, { field, ...extra });
}

/**
 * Evaluates `score` (higher = more effect expected) against observed `treated` (1 / 0 per row)
 * and `outcome`. Fractions default to 0.1, 0.2, 0.3, 0.5 and 1.
 */
export function evaluateUplift(
  score: Float64Array,
  treated: ArrayLike<number>,
  outcome: Float64Array,
  options?: { fractions?: readonly number[] },
): UpliftEvaluation {
  if (!(score instanceof Float64Array)) bad('score', 'score must be a Float64Array');
  if (!(outcome instanceof Float64Array)) bad('outcome', 'outcome must be a Float64Array');
  if (!(Array.isArray(treated) || ArrayBuffer.isView(treated))) bad('treated', 'treated must be an array or typed array of 0 / 1');
  assertNotDetached(score, 'score');
  assertNotDetached(outcome, 'outcome');
  assertNotDetached(treated, 'treated');
  const n = score.length;
  if (outcome.length !== n || treated.length !== n)
    throw new WaybillError(
      'INVALID_LENGTH',
      `score, treated and outcome must have one value a row: ${n}, ${treated.length}, ${outcome.length}`,
      {
        field: outcome.length !== n ? 'outcome' : 'treated',
      },
    );
  const fractions = optionsObject(options).fractions ?? [0.1, 0.2, 0.3, 0.5, 1];
  if (!Array.isArray(fractions) || fractions.some((f) => typeof f !== 'number' || !(f > 0 && f <= 1)))
    bad('fractions', 'fractions must be numbers in (0, 1]');
  let nT = 0;
  let sumT = 0;
  let sumC = 0;
  for (let i = 0; i < n; i++) {
    const t = treated[i];
    if (t !== 0 && t !== 1) bad('treated', `treated[${i}] is ${String(t)}: 1 = treated, 0 = control`, { index: i });
    if (Number.isNaN(score[i] as number)) throw new WaybillError('NOT_FINITE', `score[${i}] is NaN`, { field: 'score', index: i });
    const y = outcome[i] as number;
    if (!Number.isFinite(y)) throw new WaybillError('NOT_FINITE', `outcome[${i}] is ${y}`, { field: 'outcome', index: i });
    // Beyond this, sums of outcomes (and of their squares) overflow to Infinity or NaN.
    if (Math.abs(y) > MAX_METRIC_OUTCOME)
      bad('outcome', `outcome[${i}] is ${y}: outcomes must be within +-${MAX_METRIC_OUTCOME} (rescale them)`, { index: i });
    if (t === 1) {
      nT++;
      sumT += y;
    } else sumC += y;
  }
  const nC = n - nT;
  if (nT === 0 || nC === 0) bad('treated', `both groups need rows: ${nT} treated, ${nC} control`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);
  const qAll = sumT - (sumC * nT) / nC;
  const curve: Array<{ fraction: number; q: number }> = [{ fraction: 0, q: 0 }];
  const upliftAt: UpliftEvaluation['upliftAt'] = [];
  const wanted = [...fractions].sort((a, b) => a - b);
  let next = 0;
  let t = 0;
  let c = 0;
  let yT = 0;
  let yC = 0;
  // Running means and sums of squared deviations (Welford): sum(y^2) - n mean^2 cancels to a
  // negative variance (a NaN standard error) when the outcomes are equal.
  let meanT = 0;
  let meanC = 0;
  let ssT = 0;
  let ssC = 0;
  let area = 0;
  let i = 0;
  while (i < n) {
    // One block of equal scores.
    const s = score[order[i] as number] as number;
    while (i < n && score[order[i] as number] === s) {
      const r = order[i] as number;
      const y = outcome[r] as number;
      if (treated[r] === 1) {
        t++;
        yT += y;
        const d = y - meanT;
        meanT += d / t;
        ssT += d * (y - meanT);
      } else {
        c++;
        yC += y;
        const d = y - meanC;
        meanC += d / c;
        ssC += d * (y - meanC);
      }
      i++;
    }
    // A top without control rows compares with the control mean of all rows.
    const q = c > 0 ? yT - (yC * t) / c : yT - (sumC * t) / nC;
    const prev = curve[curve.length - 1] as { fraction: number; q: number };
    const fraction = i / n;
    area += ((fraction - prev.fraction) * (q - fraction * qAll + (prev.q - prev.fraction * qAll))) / 2;
    curve.push({ fraction, q });
    while (next < wanted.length && i >= (wanted[next] as number) * n - 1e-9) {
      const mT = t > 0 ? yT / t : Number.NaN;
      const mC = c > 0 ? yC / c : Number.NaN;
      const vT = t > 1 ? ssT / (t - 1) : Number.NaN;
      const vC = c > 1 ? ssC / (c - 1) : Number.NaN;
      upliftAt.push({ fraction: wanted[next] as number, rows: i, uplift: mT - mC, standardError: Math.sqrt(vT / t + vC / c) });
      next++;
    }
  }
  return {
    rows: n,
    treatedRows: nT,
    controlRows: nC,
    ate: sumT / nT - sumC / nC,
    qini: area / nT,
    qiniCurve: curve,
    upliftAt,
  };
}

export interface PolicyEvaluation {
  /** Estimated mean outcome per row had every row received the arm the policy chose. */
  value: number;
  standardError: number;
  /** Rows whose observed arm is the chosen one (the rows the estimate rests on). */
  matched: number;
  /** Share of rows the policy assigns to each arm. */
  share: number[];
}

/**
 * Off-policy value of a targeting policy (`choice[i]`: the arm it gives row i) from a randomised
 * test (`arm[i]`: the arm row i got): the inverse-propensity (Horvitz-Thompson) estimate
 * mean(y 1[arm = choice] / P(arm)), unbiased when `propensity` (per arm; default the observed
 * shares) is the test's assignment probability, with the standard error of that mean. Compare
 * the value of "everyone gets arm k" (choice all k) with a model's best-arm policy.
 */
export function evaluatePolicy(
  choice: ArrayLike<number>,
  arm: ArrayLike<number>,
  outcome: Float64Array,
  propensity?: readonly number[],
): PolicyEvaluation {
  const isArray = (a: unknown) => Array.isArray(a) || ArrayBuffer.isView(a);
  if (!isArray(choice)) bad('choice', 'choice must be an array or typed array of arms');
  if (!isArray(arm)) bad('arm', 'arm must be an array or typed array of arms');
  if (!(outcome instanceof Float64Array)) bad('outcome', 'outcome must be a Float64Array');
  assertNotDetached(choice, 'choice');
  assertNotDetached(arm, 'arm');
  assertNotDetached(outcome, 'outcome');
  const n = outcome.length;
  if (choice.length !== n || arm.length !== n)
    throw new WaybillError('INVALID_LENGTH', `choice, arm and outcome must have one value a row: ${choice.length}, ${arm.length}, ${n}`, {
      field: choice.length !== n ? 'choice' : 'arm',
    });
  if (n === 0) bad('outcome', 'no rows');
  let arms = 0;
  for (let i = 0; i < n; i++) {
    for (const [field, a] of [
      ['arm', arm[i]],
      ['choice', choice[i]],
    ] as const)
      if (!Number.isInteger(a) || (a as number) < 0 || (a as number) >= 64)
        bad(field, `${field}[${i}] is ${String(a)}: arms are integers 0 to 63`, { index: i });
    arms = Math.max(arms, (arm[i] as number) + 1, (choice[i] as number) + 1);
    if (!Number.isFinite(outcome[i] as number))
      throw new WaybillError('NOT_FINITE', `outcome[${i}] is ${outcome[i]}`, { field: 'outcome', index: i });
    if (Math.abs(outcome[i] as number) > MAX_METRIC_OUTCOME)
      bad('outcome', `outcome[${i}] is ${outcome[i]}: outcomes must be within +-${MAX_METRIC_OUTCOME} (rescale them)`, { index: i });
  }
  const count = new Array<number>(arms).fill(0);
  const chosen = new Array<number>(arms).fill(0);
  for (let i = 0; i < n; i++) {
    count[arm[i] as number] = (count[arm[i] as number] as number) + 1;
    chosen[choice[i] as number] = (chosen[choice[i] as number] as number) + 1;
  }
  let prob: number[];
  if (propensity !== undefined) {
    if (!Array.isArray(propensity) || propensity.length < arms || propensity.some((v) => typeof v !== 'number' || !(v > 0 && v <= 1)))
      bad('propensity', `propensity must hold a probability in (0, 1] for each of the ${arms} arms`);
    prob = [...propensity];
  } else prob = count.map((c) => c / n);
  // With `propensity` given, an arm no row received used to pass (its probability > 0) and count 0 for every row choosing it.
  for (let k = 0; k < arms; k++)
    if ((chosen[k] as number) > 0 && ((count[k] as number) === 0 || !((prob[k] as number) > 0)))
      bad('choice', `the policy chooses arm ${k}, which no row of the test received: its value cannot be estimated`, { arm: k });
  const term = (i: number) => (arm[i] === choice[i] ? (outcome[i] as number) / (prob[arm[i] as number] as number) : 0);
  let sum = 0;
  let matched = 0;
  for (let i = 0; i < n; i++) {
    if (arm[i] === choice[i]) matched++;
    sum += term(i);
  }
  const value = sum / n;
  // Two passes: sum(term^2) - n value^2 cancels to a negative variance (a NaN standard error) when the terms are equal.
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (term(i) - value) ** 2;
  const variance = n > 1 ? ss / (n - 1) : Number.NaN;
  return { value, standardError: Math.sqrt(variance / n), matched, share: chosen.map((c) => c / n) };
}
