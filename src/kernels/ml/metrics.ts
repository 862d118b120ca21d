/**
 * Evaluation metrics for the ML kernels (plain float64 sums in index order). Each takes labels `y`
 * and predictions `f` on the response scale (probabilities, expected counts), both length n.
 */
import { WaybillError } from '../../errors.js';

function sameLength(y: ArrayLike<number>, f: ArrayLike<number>): number {
  if (y.length !== f.length)
    throw new WaybillError('INVALID_LENGTH', `labels have ${y.length} entries, predictions ${f.length}`, {
      field: 'predictions',
      expected: y.length,
      actual: f.length,
    });
  if (y.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'metrics need at least one row', { field: 'labels' });
  return y.length;
}

/** Root mean squared error. */
export function rmse(y: ArrayLike<number>, f: ArrayLike<number>): number {
  const n = sameLength(y, f);
  let s = 0;
  for (let i = 0; i < n; i++) s += ((y[i] as number) - (f[i] as number)) ** 2;
  return Math.sqrt(s / n);
}

/** Mean absolute error. */
export function meanAbsoluteError(y: ArrayLike<number>, f: ArrayLike<number>): number {
  const n = sameLength(y, f);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs((y[i] as number) - (f[i] as number));
  return s / n;
}

/** Mean pinball (quantile) loss at level alpha: alpha (y - f) when y >= f, (1 - alpha) (f - y) otherwise. */
export function pinballLoss(y: ArrayLike<number>, f: ArrayLike<number>, alpha: number): number {
  const n = sameLength(y, f);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const r = (y[i] as number) - (f[i] as number);
    s += r >= 0 ? alpha * r : (alpha - 1) * r;
  }
  return s / n;
}

/** Mean binary log loss; probabilities are clipped to [1e-15, 1 - 1e-15]. */
export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = sameLength(y, p);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const q = Math.min(Math.max(p[i] as number, 1e-15), 1 - 1e-15);
    s -= (y[i] as number) === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / n;
}

/** Mean Poisson deviance 2 (y log(y / mu) - (y - mu)), with y log y = 0 at y = 0; mu > 0. */
export function poissonDeviance(y: ArrayLike<number>, mu: ArrayLike<number>): number {
  const n = sameLength(y, mu);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const a = y[i] as number;
    const m = mu[i] as number;
    s += 2 * ((a > 0 ? a * Math.log(a / m) : 0) - (a - m));
  }
  return s / n;
}

/**
 * Mean Tweedie deviance for variance power rho in (1, 2):
 * 2 (y^(2-rho) / ((1-rho)(2-rho)) - y mu^(1-rho) / (1-rho) + mu^(2-rho) / (2-rho)).
 */
export function tweedieDeviance(y: ArrayLike<number>, mu: ArrayLike<number>, rho: number): number {
  const n = sameLength(y, mu);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const a = y[i] as number;
    const m = mu[i] as number;
    s += 2 * (a ** (2 - rho) / ((1 - rho) * (2 - rho)) - (a * m ** (1 - rho)) / (1 - rho) + m ** (2 - rho) / (2 - rho));
  }
  return s / n;
}

/**
 * Area under the ROC curve for 0/1 labels and scores (Mann–Whitney U with average ranks for tied
 * scores). NaN when one class is absent.
 */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = sameLength(y, score);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (score[a] as number) - (score[b] as number) || a - b);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1] as number] === score[order[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if ((y[order[t] as number] as number) === 1) {
        rankSumPos += avgRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Share of rows with y <= f (empirical coverage of an upper quantile prediction). */
export function coverage(y: ArrayLike<number>, f: ArrayLike<number>): number {
  const n = sameLength(y, f);
  let c = 0;
  for (let i = 0; i < n; i++) if ((y[i] as number) <= (f[i] as number)) c++;
  return c / n;
}
