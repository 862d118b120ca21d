/**
 * Seeded synthetic tabular data for tests and benchmarks (the "documented generator" of issue 7).
 * Same options and seed -> the same bytes, on every machine (mulberry32, fixed draw order).
 *
 * Columns: `numericFeatures` numeric columns x0.. (even index: uniform on [-2, 2]; odd index:
 * standard normal), then `categoricalFeatures` categorical columns c0.. with codes 0..categories-1
 * drawn with Zipf weights 1 / (code + 1). Each category of each categorical column has an effect
 * drawn N(0, 1) before any row.
 *
 * Signal (x_j means numeric column j mod numericFeatures, so any count >= 1 works; columns past
 * x5 are pure noise features):
 *   f = 2 sin(pi x0) + x1 x2 + 1.5 [x3 > 0.5] x4 + |x5| - 0.8 + e0[c0] + 0.5 e1[c1] x0
 * (the categorical terms only when those columns exist). Noise scale s = noise (0.5 + 0.5 |x1|)
 * (heteroscedastic). Targets:
 * - regression: y = f + s z, z ~ N(0, 1); `signal` = f (the conditional mean);
 * - quantile: y = f + s (E - 1), E ~ Exponential(1) (skewed, mean f); the true alpha-quantile is
 *   f + s (-ln(1 - alpha) - 1) (see syntheticQuantile); `signal` = f;
 * - binary: y = 1 with probability sigmoid(sharpness f); `signal` = that probability;
 * - poisson: y ~ Poisson(exp(0.35 f + 0.5)); `signal` = that mean.
 * After the target is drawn from the complete row, each feature value is replaced by NaN with
 * probability missingRate (so missingness hides information, as in real data).
 * Draws per row, in order: numeric columns (1 uniform, or 2 for a normal), categorical columns
 * (1 each), target noise (regression 2, quantile 1, binary 1, poisson Knuth's count), then one
 * missing-value draw per column.
 */
import { WaybillError } from '../../errors.js';
import { gaussian, mulberry32, poissonSample } from './random.js';
import { intOption, numOption } from './validate.js';

export type SyntheticTask = 'regression' | 'quantile' | 'binary' | 'poisson';

export interface SyntheticOptions {
  rows: number;
  task?: SyntheticTask;
  /** Numeric columns, >= 1; default 8. */
  numericFeatures?: number;
  /** Categorical columns; default 2. */
  categoricalFeatures?: number;
  /** Codes per categorical column, >= 1; default 10. */
  categories?: number;
  /** Probability that a feature value is NaN; default 0.05. */
  missingRate?: number;
  /** Noise scale (regression, quantile); default 1. */
  noise?: number;
  /** Logit scale of the binary target; default 2. */
  sharpness?: number;
  seed?: number;
}

export interface SyntheticData {
  /** rows x numFeatures, row-major: numeric columns first, then categorical codes; NaN = missing. */
  features: Float64Array;
  numFeatures: number;
  labels: Float64Array;
  /** Indices of the categorical columns. */
  categoricalFeatures: number[];
  featureNames: string[];
  /** Noise-free target: conditional mean (regression, quantile, poisson) or probability (binary). */
  signal: Float64Array;
  /** Per-row noise scale s (regression, quantile). */
  noiseScale: Float64Array;
  task: SyntheticTask;
}

const TASKS: readonly SyntheticTask[] = ['regression', 'quantile', 'binary', 'poisson'];

/** Generates a synthetic tabular data set (see the file comment for the exact recipe). */
export function makeSyntheticTabular(options: SyntheticOptions): SyntheticData {
  if (typeof options !== 'object' || options === null)
    throw new WaybillError('INVALID_ARGUMENT', 'options must be an object', { field: 'options' });
  const rows = intOption('rows', options.rows ?? Number.NaN, 0, 1);
  const task = options.task ?? 'regression';
  if (!TASKS.includes(task)) throw new WaybillError('INVALID_ARGUMENT', `task must be one of ${TASKS.join(', ')}`, { field: 'task' });
  const m = intOption('numericFeatures', options.numericFeatures, 8, 1);
  const q = intOption('categoricalFeatures', options.categoricalFeatures, 2, 0);
  const categories = intOption('categories', options.categories, 10, 1);
  const missingRate = numOption('missingRate', options.missingRate, 0.05, 0, 1, false, true);
  const noise = numOption('noise', options.noise, 1, 0, Number.MAX_VALUE);
  const sharpness = numOption('sharpness', options.sharpness, 2, 0, Number.MAX_VALUE);
  const seed = intOption('seed', options.seed, 0, 0, 4294967295);
  const rng = mulberry32(seed);
  const p = m + q;
  const effects: Float64Array[] = [];
  for (let k = 0; k < q; k++) effects.push(Float64Array.from({ length: categories }, () => gaussian(rng)));
  // Zipf cumulative weights.
  const cum = new Float64Array(categories);
  let total = 0;
  for (let c = 0; c < categories; c++) {
    total += 1 / (c + 1);
    cum[c] = total;
  }
  const features = new Float64Array(rows * p);
  const labels = new Float64Array(rows);
  const signal = new Float64Array(rows);
  const noiseScale = new Float64Array(rows);
  const x = new Float64Array(m);
  const c = new Int32Array(q);
  const xi = (j: number) => x[j % m] as number;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < m; j++) x[j] = j % 2 === 0 ? rng() * 4 - 2 : gaussian(rng);
    for (let k = 0; k < q; k++) {
      const u = rng() * total;
      let code = 0;
      while (code < categories - 1 && (cum[code] as number) <= u) code++;
      c[k] = code;
    }
    let f = 2 * Math.sin(Math.PI * xi(0)) + xi(1) * xi(2) + (xi(3) > 0.5 ? 1.5 * xi(4) : 0) + Math.abs(xi(5)) - 0.8;
    if (q >= 1) f += (effects[0] as Float64Array)[c[0] as number] as number;
    if (q >= 2) f += 0.5 * ((effects[1] as Float64Array)[c[1] as number] as number) * xi(0);
    const s = noise * (0.5 + 0.5 * Math.abs(xi(1)));
    noiseScale[i] = s;
    let y: number;
    switch (task) {
      case 'regression':
        signal[i] = f;
        y = f + s * gaussian(rng);
        break;
      case 'quantile':
        signal[i] = f;
        y = f + s * (-Math.log(1 - rng()) - 1);
        break;
      case 'binary': {
        const prob = 1 / (1 + Math.exp(-sharpness * f));
        signal[i] = prob;
        y = rng() < prob ? 1 : 0;
        break;
      }
      case 'poisson': {
        const mu = Math.exp(0.35 * f + 0.5);
        signal[i] = mu;
        y = poissonSample(rng, mu);
        break;
      }
    }
    labels[i] = y;
    for (let j = 0; j < m; j++) features[i * p + j] = x[j] as number;
    for (let k = 0; k < q; k++) features[i * p + m + k] = c[k] as number;
    for (let j = 0; j < p; j++) if (rng() < missingRate) features[i * p + j] = Number.NaN;
  }
  return {
    features,
    numFeatures: p,
    labels,
    categoricalFeatures: Array.from({ length: q }, (_, k) => m + k),
    featureNames: [...Array.from({ length: m }, (_, j) => `x${j}`), ...Array.from({ length: q }, (_, k) => `c${k}`)],
    signal,
    noiseScale,
    task,
  };
}

/** The true alpha-quantile of each row's target for a 'quantile' (or 'regression': NaN) data set. */
export function syntheticQuantile(data: SyntheticData, alpha: number): Float64Array {
  if (!(alpha > 0 && alpha < 1)) throw new WaybillError('INVALID_ARGUMENT', `alpha must be in (0, 1), got ${alpha}`, { field: 'alpha' });
  if (data.task !== 'quantile') return new Float64Array(data.labels.length).fill(Number.NaN);
  const z = -Math.log(1 - alpha) - 1;
  return Float64Array.from(data.signal, (f, i) => f + (data.noiseScale[i] as number) * z);
}

/** Splits a data set's rows into [0, at) and [at, rows) (views, no copies). */
export function splitRows<T extends { features: Float64Array; numFeatures: number; labels: Float64Array }>(
  data: T,
  at: number,
): [
  { features: Float64Array; numFeatures: number; labels: Float64Array },
  { features: Float64Array; numFeatures: number; labels: Float64Array },
] {
  const p = data.numFeatures;
  const n = data.labels.length;
  const k = intOption('at', at ?? Number.NaN, 0, 0, n);
  return [
    { features: data.features.subarray(0, k * p), numFeatures: p, labels: data.labels.subarray(0, k) },
    { features: data.features.subarray(k * p), numFeatures: p, labels: data.labels.subarray(k) },
  ];
}
