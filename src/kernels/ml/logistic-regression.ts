/**
 * L2-regularised logistic regression (TS reference), fitted by Newton's method with a
 * backtracking (Armijo) line search. Minimises
 *   J(w, b) = sum_i [log(1 + e^{z_i}) - t_i z_i] + (lambda / 2) |w|^2,  z_i = x_i . w + b,
 * where the targets t_i are the labels (0/1, or soft targets in [0, 1] for Platt scaling); the
 * intercept b is not penalised. Each step solves (X^T S X + lambda I) d = -g by Cholesky
 * (a diagonal jitter of 1e-10 (1 + max diagonal) is added, 10x more each time, if the matrix is
 * not positive definite, e.g. lambda = 0 on separable data). Converged when the largest
 * gradient entry is <= tolerance x n, or when the Newton decrement -g.d / 2 falls below the
 * rounding of J (1e-12 (1 + |J|); the full step is then taken without a line search); else stops
 * after maxIterations.
 */
import { WaybillError } from '../../errors.js';
import { choleskyInPlace, choleskySolveInPlace } from '../linalg.js';
import { checkBinaryLabels, checkFeatures, checkLabels, intOption, MAX_LOGISTIC_VALUE, numOption } from './validate.js';

export interface LogisticRegressionOptions {
  /** L2 penalty on the weights (not the intercept); default 1. */
  lambda?: number;
  /** Fit an intercept; default true. */
  fitIntercept?: boolean;
  /** Newton iterations at most; default 100. */
  maxIterations?: number;
  /** Converged when max |gradient| <= tolerance x rows; default 1e-10. */
  tolerance?: number;
}

export interface LogisticRegressionModel {
  weights: Float64Array;
  intercept: number;
}

export interface LogisticRegressionResult {
  model: LogisticRegressionModel;
  iterations: number;
  converged: boolean;
  /** J at the solution divided by the number of rows. */
  loss: number;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Solves A x = b in place (b becomes x) for symmetric positive definite A (d x d, left as it is); false if not PD. */
function choleskySolve(a: Float64Array, b: Float64Array, d: number): boolean {
  const l = Float64Array.from(a);
  if (choleskyInPlace(l, d)) return false;
  choleskySolveInPlace(l, d, b);
  return true;
}

/**
 * The smallest non-zero scale (max |x| of a column) the Newton fit takes: below it the Hessian
 * (sums of x^2) underflows and the fit stopped at w = 0 reporting `converged`. With MAX_LOGISTIC_VALUE
 * this keeps every column within 1e-100..1e100 (or all zero).
 */
export const MIN_LOGISTIC_SCALE = 1e-100;

/**
 * Newton fit on already validated input (targets in [0, 1]). Parameter vector: p weights, then
 * the intercept when fitIntercept. `field` names the input in errors.
 */
export function fitLogisticNewton(
  x: Float64Array,
  n: number,
  p: number,
  t: Float64Array,
  lambda: number,
  fitIntercept: boolean,
  maxIterations: number,
  tolerance: number,
  field = 'features',
): LogisticRegressionResult {
  const d = p + (fitIntercept ? 1 : 0);
  const theta = new Float64Array(d);
  const z = new Float64Array(n);
  const objective = (th: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let zi = fitIntercept ? (th[p] as number) : 0;
      for (let f = 0; f < p; f++) zi += (x[i * p + f] as number) * (th[f] as number);
      z[i] = zi;
      s += softplus(zi) - (t[i] as number) * zi;
    }
    for (let f = 0; f < p; f++) s += 0.5 * lambda * (th[f] as number) ** 2;
    return s;
  };
  // The gradient test is per coefficient and scale-aware: entry f is divided by min(1, max |x_f|),
  // so a feature column of tiny values (1e-20) is not declared converged at w = 0 only because
  // its gradient is tiny (its weight must be huge); columns of scale >= 1 are tested as before.
  const colMax = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let f = 0; f < p; f++) colMax[f] = Math.max(colMax[f] as number, Math.abs(x[i * p + f] as number));
  const gradScale = new Float64Array(d).fill(1);
  for (let f = 0; f < p; f++) {
    const sc = colMax[f] as number;
    if (sc > 0 && sc < MIN_LOGISTIC_SCALE)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `${field}: column ${f} has no value larger than ${sc} in magnitude: below ${MIN_LOGISTIC_SCALE} its Hessian underflows (rescale the data)`,
        { field, feature: f, limit: MIN_LOGISTIC_SCALE },
      );
    if (sc > 0 && sc < 1) gradScale[f] = sc;
  }
  let j = objective(theta);
  let iterations = 0;
  let converged = false;
  const g = new Float64Array(d);
  const hmat = new Float64Array(d * d);
  const xi = new Float64Array(d);
  while (iterations < maxIterations) {
    g.fill(0);
    hmat.fill(0);
    for (let i = 0; i < n; i++) {
      const pi = 1 / (1 + Math.exp(-(z[i] as number)));
      const r = pi - (t[i] as number);
      const w = pi * (1 - pi);
      for (let f = 0; f < p; f++) xi[f] = x[i * p + f] as number;
      if (fitIntercept) xi[p] = 1;
      for (let a = 0; a < d; a++) {
        const xa = xi[a] as number;
        g[a] = (g[a] as number) + r * xa;
        for (let b = 0; b <= a; b++) hmat[a * d + b] = (hmat[a * d + b] as number) + w * xa * (xi[b] as number);
      }
    }
    for (let f = 0; f < p; f++) {
      g[f] = (g[f] as number) + lambda * (theta[f] as number);
      hmat[f * d + f] = (hmat[f * d + f] as number) + lambda;
    }
    let maxDiag = 0;
    for (let a = 0; a < d; a++) {
      maxDiag = Math.max(maxDiag, hmat[a * d + a] as number);
      for (let b = 0; b < a; b++) hmat[b * d + a] = hmat[a * d + b] as number;
    }
    let gmax = 0;
    for (let q = 0; q < d; q++) gmax = Math.max(gmax, Math.abs(g[q] as number) / (gradScale[q] as number));
    if (gmax <= tolerance * n) {
      converged = true;
      break;
    }
    const step = new Float64Array(d);
    let jitter = 0;
    for (let attempt = 0; attempt < 30; attempt++) {
      const a = Float64Array.from(hmat);
      for (let q = 0; q < d; q++) a[q * d + q] = (a[q * d + q] as number) + jitter;
      for (let q = 0; q < d; q++) step[q] = -(g[q] as number);
      if (choleskySolve(a, step, d)) break;
      jitter = jitter === 0 ? 1e-10 * (1 + maxDiag) : jitter * 10;
    }
    let slope = 0;
    for (let q = 0; q < d; q++) slope += (g[q] as number) * (step[q] as number);
    iterations++;
    if (!(slope < 0)) {
      converged = true;
      break;
    }
    if (-slope / 2 <= 1e-12 * (1 + Math.abs(j))) {
      // The predicted decrease is below the rounding of J, so a line search cannot judge it;
      // this close to the optimum the quadratic model is exact enough: take the full step.
      for (let q = 0; q < d; q++) theta[q] = (theta[q] as number) + (step[q] as number);
      j = objective(theta);
      converged = true;
      break;
    }
    let s = 1;
    const next = new Float64Array(d);
    let jn = j;
    for (let k = 0; k < 60; k++) {
      for (let q = 0; q < d; q++) next[q] = (theta[q] as number) + s * (step[q] as number);
      jn = objective(next);
      if (jn <= j + 1e-4 * s * slope) break;
      s /= 2;
    }
    if (!(jn <= j)) {
      objective(theta); // restore z
      converged = true;
      break;
    }
    theta.set(next);
    j = jn;
  }
  return {
    model: { weights: theta.slice(0, p), intercept: fitIntercept ? (theta[p] as number) : 0 },
    iterations,
    converged,
    loss: j / n,
  };
}

/** Fits P(y = 1 | x) = sigmoid(x . w + b) on row-major features (rows x numFeatures) and 0/1 labels. */
export function trainLogisticRegression(
  features: Float64Array,
  numFeatures: number,
  labels: Float64Array,
  options: LogisticRegressionOptions = {},
): LogisticRegressionResult {
  const y = checkLabels('labels', labels);
  checkBinaryLabels('labels', y);
  const n = checkFeatures('features', features, numFeatures, { allowMissing: false, rows: y.length, maxAbs: MAX_LOGISTIC_VALUE });
  const lambda = numOption('lambda', options.lambda, 1, 0, Number.MAX_VALUE);
  if (options.fitIntercept !== undefined && typeof options.fitIntercept !== 'boolean')
    throw new WaybillError('INVALID_ARGUMENT', 'fitIntercept must be a boolean', { field: 'fitIntercept' });
  const maxIterations = intOption('maxIterations', options.maxIterations, 100, 1);
  const tolerance = numOption('tolerance', options.tolerance, 1e-10, 0, Number.MAX_VALUE);
  return fitLogisticNewton(features, n, numFeatures, y, lambda, options.fitIntercept ?? true, maxIterations, tolerance);
}

/** Probabilities sigmoid(x . w + b) for row-major features (rows x numFeatures). */
export function predictLogisticRegression(model: LogisticRegressionModel, features: Float64Array, numFeatures: number): Float64Array {
  // A hand-built or altered model with a NaN coefficient gave NaN probabilities without an error.
  if (typeof model.intercept !== 'number' || !Number.isFinite(model.intercept))
    throw new WaybillError('INVALID_ARGUMENT', `model.intercept must be a finite number, got ${String(model.intercept)}`, {
      field: 'model.intercept',
    });
  for (let f = 0; f < model.weights.length; f++)
    if (!Number.isFinite(model.weights[f] as number))
      throw new WaybillError('NOT_FINITE', `model.weights[${f}] is ${model.weights[f]}`, { field: 'model.weights', index: f });
  if (numFeatures !== model.weights.length)
    throw new WaybillError('INVALID_LENGTH', `the model has ${model.weights.length} features, got ${numFeatures}`, {
      field: 'numFeatures',
      expected: model.weights.length,
      actual: numFeatures,
    });
  const rows = checkFeatures('features', features, numFeatures, { allowMissing: false, allowEmpty: true });
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = model.intercept;
    for (let f = 0; f < numFeatures; f++) z += (features[i * numFeatures + f] as number) * (model.weights[f] as number);
    out[i] = 1 / (1 + Math.exp(-z));
  }
  return out;
}
