/**
 * GBDT objectives: gradients and hessians of the per-row loss with respect to the raw score
 * (the margin), the starting score, the link, and the loss reported for progress and early
 * stopping (a mean over rows, lower is better).
 *
 * | objective | labels | link (raw -> prediction) | grad, hess | init | reported loss |
 * |---|---|---|---|---|---|
 * | l2 | finite | identity | f - y, 1 | mean | mean squared error |
 * | l1 | finite | identity | sign(f - y), 1 | median | mean absolute error |
 * | quantile(alpha) | finite | identity | 1 - alpha if f >= y else -alpha, 1 | alpha-quantile | mean pinball loss |
 * | logistic | 0 / 1 | sigmoid | p - y, max(p (1 - p), 1e-16) | log odds of the mean | mean log loss |
 * | poisson | >= 0 | exp | mu - y, mu e^0.7 | log mean | mean Poisson deviance |
 * | tweedie(rho) | >= 0 | exp | -y e^((1-rho) f) + e^((2-rho) f), -(1-rho) y e^((1-rho) f) + (2-rho) e^((2-rho) f) | log mean | mean Tweedie deviance |
 *
 * l1 and quantile have no useful hessian, so after a tree is grown each leaf value is re-fitted
 * as the median / alpha-quantile of the residuals y - f of the training rows in the leaf.
 * Poisson's hessian is inflated by e^0.7 to damp the first Newton steps on leaves where mu is
 * still far below the counts (a step of at most ~ -log-ratio / 2).
 * Quantiles here are R's type 7: sort, position h = alpha (m - 1), interpolate linearly between
 * the values at floor(h) and floor(h) + 1.
 */
import { WaybillError } from '../../errors.js';
import { checkBinaryLabels } from './validate.js';

export type ObjectiveName = 'l2' | 'l1' | 'quantile' | 'logistic' | 'poisson' | 'tweedie';

/** An objective and its parameter: `alpha` for quantile, `tweedieVariancePower` (rho) for tweedie. */
export interface ObjectiveSpec {
  name: ObjectiveName;
  /** quantile level in (0, 1) (quantile only; default 0.5). */
  alpha?: number;
  /** variance power rho in (1, 2) (tweedie only; default 1.5). */
  tweedieVariancePower?: number;
}

export interface Objective {
  readonly spec: ObjectiveSpec;
  /** Throws INVALID_ARGUMENT when a label is outside the objective's domain. */
  checkLabels(field: string, labels: Float64Array): void;
  initScore(labels: Float64Array): number;
  gradients(labels: Float64Array, raw: Float64Array, grad: Float64Array, hess: Float64Array): void;
  /** Raw leaf value (before the learning rate) from the leaf's rows, for objectives that re-fit. */
  refitLeaf?: (labels: Float64Array, raw: Float64Array, rows: Int32Array, start: number, end: number) => number;
  /** Link inverse: raw score -> prediction. */
  transform(raw: number): number;
  /** Mean loss over rows of the raw scores. */
  loss(labels: Float64Array, raw: Float64Array): number;
}

export const OBJECTIVES: readonly ObjectiveName[] = ['l2', 'l1', 'quantile', 'logistic', 'poisson', 'tweedie'];

const POISSON_HESSIAN_INFLATION = Math.exp(0.7);

/** Type-7 quantile of values (sorted in place). */
export function quantileSorted(sorted: Float64Array, alpha: number): number {
  const m = sorted.length;
  if (m === 0) return 0;
  const h = alpha * (m - 1);
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  if (lo + 1 >= m) return a;
  return a + (h - lo) * ((sorted[lo + 1] as number) - a);
}

function residualQuantile(labels: Float64Array, raw: Float64Array, rows: Int32Array, start: number, end: number, alpha: number): number {
  const r = new Float64Array(end - start);
  for (let k = start; k < end; k++) {
    const i = rows[k] as number;
    r[k - start] = (labels[i] as number) - (raw[i] as number);
  }
  return quantileSorted(r.sort(), alpha);
}

function mean(y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] as number;
  return s / y.length;
}

function checkNonNegative(field: string, labels: Float64Array, name: string): void {
  for (let i = 0; i < labels.length; i++)
    if (!((labels[i] as number) >= 0))
      throw new WaybillError('INVALID_ARGUMENT', `${field}[${i}] is ${labels[i]}: ${name} labels must be >= 0`, { field, index: i });
}

/** Validates an objective spec (INVALID_ARGUMENT naming the field) and returns its implementation. */
export function makeObjective(spec: ObjectiveSpec | ObjectiveName | undefined): Objective {
  const s: ObjectiveSpec = typeof spec === 'string' ? { name: spec } : (spec ?? { name: 'l2' });
  if (typeof s !== 'object' || !OBJECTIVES.includes(s.name))
    throw new WaybillError('INVALID_ARGUMENT', `objective must be one of ${OBJECTIVES.join(', ')}, got ${String(s?.name ?? s)}`, {
      field: 'objective',
    });
  const none = () => {};
  switch (s.name) {
    case 'l2':
      return {
        spec: { name: 'l2' },
        checkLabels: none,
        initScore: mean,
        gradients(y, f, g, h) {
          for (let i = 0; i < y.length; i++) {
            g[i] = (f[i] as number) - (y[i] as number);
            h[i] = 1;
          }
        },
        transform: (x) => x,
        loss(y, f) {
          let t = 0;
          for (let i = 0; i < y.length; i++) t += ((y[i] as number) - (f[i] as number)) ** 2;
          return t / y.length;
        },
      };
    case 'l1':
    case 'quantile': {
      const alpha = s.name === 'l1' ? 0.5 : (s.alpha ?? 0.5);
      if (!(typeof alpha === 'number' && alpha > 0 && alpha < 1))
        throw new WaybillError('INVALID_ARGUMENT', `objective.alpha must be in (0, 1), got ${String(alpha)}`, { field: 'objective.alpha' });
      return {
        spec: s.name === 'l1' ? { name: 'l1' } : { name: 'quantile', alpha },
        checkLabels: none,
        initScore: (y) => quantileSorted(Float64Array.from(y).sort(), alpha),
        gradients(y, f, g, h) {
          for (let i = 0; i < y.length; i++) {
            g[i] = (f[i] as number) >= (y[i] as number) ? 1 - alpha : -alpha;
            h[i] = 1;
          }
        },
        refitLeaf: (y, f, rows, start, end) => residualQuantile(y, f, rows, start, end, alpha),
        transform: (x) => x,
        loss(y, f) {
          let t = 0;
          for (let i = 0; i < y.length; i++) {
            const r = (y[i] as number) - (f[i] as number);
            t += r >= 0 ? alpha * r : (alpha - 1) * r;
          }
          return t / y.length;
        },
      };
    }
    case 'logistic':
      return {
        spec: { name: 'logistic' },
        checkLabels: checkBinaryLabels,
        initScore(y) {
          const p = Math.min(Math.max(mean(y), 1e-15), 1 - 1e-15);
          return Math.log(p / (1 - p));
        },
        gradients(y, f, g, h) {
          for (let i = 0; i < y.length; i++) {
            const p = 1 / (1 + Math.exp(-(f[i] as number)));
            g[i] = p - (y[i] as number);
            h[i] = Math.max(p * (1 - p), 1e-16);
          }
        },
        transform: (x) => 1 / (1 + Math.exp(-x)),
        loss(y, f) {
          let t = 0;
          for (let i = 0; i < y.length; i++) {
            const p = Math.min(Math.max(1 / (1 + Math.exp(-(f[i] as number))), 1e-15), 1 - 1e-15);
            t -= (y[i] as number) === 1 ? Math.log(p) : Math.log(1 - p);
          }
          return t / y.length;
        },
      };
    case 'poisson':
      return {
        spec: { name: 'poisson' },
        checkLabels: (field, y) => checkNonNegative(field, y, 'poisson'),
        initScore: (y) => Math.log(Math.max(mean(y), 1e-15)),
        gradients(y, f, g, h) {
          for (let i = 0; i < y.length; i++) {
            const mu = Math.exp(f[i] as number);
            g[i] = mu - (y[i] as number);
            h[i] = mu * POISSON_HESSIAN_INFLATION;
          }
        },
        transform: Math.exp,
        loss(y, f) {
          let t = 0;
          for (let i = 0; i < y.length; i++) {
            const a = y[i] as number;
            const mu = Math.exp(f[i] as number);
            t += 2 * ((a > 0 ? a * (Math.log(a) - (f[i] as number)) : 0) - (a - mu));
          }
          return t / y.length;
        },
      };
    case 'tweedie': {
      const rho = s.tweedieVariancePower ?? 1.5;
      if (!(typeof rho === 'number' && rho > 1 && rho < 2))
        throw new WaybillError('INVALID_ARGUMENT', `objective.tweedieVariancePower must be in (1, 2), got ${String(rho)}`, {
          field: 'objective.tweedieVariancePower',
        });
      return {
        spec: { name: 'tweedie', tweedieVariancePower: rho },
        checkLabels: (field, y) => checkNonNegative(field, y, 'tweedie'),
        initScore: (y) => Math.log(Math.max(mean(y), 1e-15)),
        gradients(y, f, g, h) {
          for (let i = 0; i < y.length; i++) {
            const a = y[i] as number;
            const e1 = Math.exp((1 - rho) * (f[i] as number));
            const e2 = Math.exp((2 - rho) * (f[i] as number));
            g[i] = -a * e1 + e2;
            h[i] = -a * (1 - rho) * e1 + (2 - rho) * e2;
          }
        },
        transform: Math.exp,
        loss(y, f) {
          let t = 0;
          for (let i = 0; i < y.length; i++) {
            const a = y[i] as number;
            const x = f[i] as number;
            t +=
              2 *
              (a ** (2 - rho) / ((1 - rho) * (2 - rho)) - (a * Math.exp((1 - rho) * x)) / (1 - rho) + Math.exp((2 - rho) * x) / (2 - rho));
          }
          return t / y.length;
        },
      };
    }
  }
}
