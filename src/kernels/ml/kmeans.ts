/**
 * k-means (TS reference): k-means++ seeding (Arthur & Vassilvitskii 2007) from a seeded PRNG,
 * then Lloyd iterations. Squared Euclidean distances; ties go to the lowest centroid index.
 *
 * Seeding: the first centre is row floor(u n); each next one is drawn with probability
 * proportional to D(x)^2, the squared distance to the nearest centre so far (u total, first
 * row whose running sum exceeds it; when every D(x) is 0, row floor(u n)). One draw per centre.
 * Lloyd: assign every row, move each centre to its rows' mean; a cluster left empty takes the
 * row farthest from its own centre (ties: lowest row; a row is taken at most once per
 * iteration). Converged when the summed squared centre shift is <= tolerance x the mean
 * per-feature variance of the data (scikit-learn's scale-free rule), or no row changed cluster.
 */
import { WaybillError } from '../../errors.js';
import { mulberry32 } from './random.js';
import { checkFeatures, checkSignal, intOption, MAX_KMEANS_VALUE, numOption } from './validate.js';

export interface KMeansOptions {
  /** Clusters, 1 <= k <= rows. */
  k: number;
  /** PRNG seed for k-means++; default 0. */
  seed?: number;
  /** Lloyd iterations at most; default 300. */
  maxIterations?: number;
  /** Relative centre-shift tolerance; default 1e-4. */
  tolerance?: number;
}

export interface KMeansResult {
  /** k x numFeatures, row-major. */
  centroids: Float64Array;
  /** Cluster of each row. */
  labels: Int32Array;
  /** Sum of squared distances of rows to their centroid. */
  inertia: number;
  iterations: number;
  converged: boolean;
}

function dist2(a: Float64Array, ai: number, b: Float64Array, bi: number, p: number): number {
  let s = 0;
  for (let f = 0; f < p; f++) {
    const d = (a[ai + f] as number) - (b[bi + f] as number);
    s += d * d;
  }
  return s;
}

/**
 * Nearest centroid of every row (rows x p data; k x p centroids): labels and squared distances.
 */
export function kmeansAssign(
  centroids: Float64Array,
  data: Float64Array,
  numFeatures: number,
): { labels: Int32Array; distances: Float64Array } {
  const p = numFeatures;
  const rows = checkFeatures('data', data, p, { allowMissing: false, allowEmpty: true, maxAbs: MAX_KMEANS_VALUE });
  const k = checkFeatures('centroids', centroids, p, { allowMissing: false, maxAbs: MAX_KMEANS_VALUE });
  const labels = new Int32Array(rows);
  const distances = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bd = dist2(data, i * p, centroids, 0, p);
    for (let j = 1; j < k; j++) {
      const d = dist2(data, i * p, centroids, j * p, p);
      if (d < bd) {
        bd = d;
        best = j;
      }
    }
    labels[i] = best;
    distances[i] = bd;
  }
  return { labels, distances };
}

/** The checks of a k-means call, in order and with their codes (shared with the native port), and its resolved options. */
export function resolveKMeans(data: Float64Array, numFeatures: number, options: KMeansOptions) {
  const p = numFeatures;
  const n = checkFeatures('data', data, p, { allowMissing: false, maxAbs: MAX_KMEANS_VALUE });
  if (typeof options !== 'object' || options === null)
    throw new WaybillError('INVALID_ARGUMENT', 'options must be an object', { field: 'options' });
  checkSignal((options as { signal?: unknown }).signal);
  const k = options.k;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > n)
    throw new WaybillError('INVALID_K', `k must be an integer with 1 <= k <= rows (${n}), got ${String(k)}`, { field: 'k', rows: n });
  return {
    n,
    p,
    k,
    seed: intOption('seed', options.seed, 0, 0, 4294967295),
    maxIterations: intOption('maxIterations', options.maxIterations, 300, 1, 2147483647), // the native core's int
    tolerance: numOption('tolerance', options.tolerance, 1e-4, 0, Number.MAX_VALUE),
  };
}

/** Clusters the rows of a row-major matrix (rows x numFeatures, finite values within +-MAX_KMEANS_VALUE = 1e100). */
export function kmeans(data: Float64Array, numFeatures: number, options: KMeansOptions): KMeansResult {
  const { n, p, k, seed, maxIterations, tolerance } = resolveKMeans(data, numFeatures, options);
  const rng = mulberry32(seed);

  // k-means++ seeding.
  const centroids = new Float64Array(k * p);
  const first = Math.floor(rng() * n);
  centroids.set(data.subarray(first * p, first * p + p), 0);
  const d2 = new Float64Array(n);
  for (let i = 0; i < n; i++) d2[i] = dist2(data, i * p, centroids, 0, p);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += d2[i] as number;
    const u = rng();
    let pick = -1;
    if (total > 0) {
      const r = u * total;
      let cum = 0;
      for (let i = 0; i < n; i++) {
        cum += d2[i] as number;
        if (cum > r) {
          pick = i;
          break;
        }
      }
      if (pick < 0) for (let i = n - 1; i >= 0 && pick < 0; i--) if ((d2[i] as number) > 0) pick = i;
    } else pick = Math.floor(u * n);
    centroids.set(data.subarray(pick * p, pick * p + p), j * p);
    for (let i = 0; i < n; i++) d2[i] = Math.min(d2[i] as number, dist2(data, i * p, centroids, j * p, p));
  }

  // Scale of the tolerance: mean per-feature variance.
  let meanVar = 0;
  for (let f = 0; f < p; f++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * p + f] as number;
    const mu = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += ((data[i * p + f] as number) - mu) ** 2;
    meanVar += v / n / p;
  }
  const threshold = tolerance * meanVar;

  let labels: Int32Array = new Int32Array(n).fill(-1);
  let iterations = 0;
  let converged = false;
  const sums = new Float64Array(k * p);
  const counts = new Float64Array(k);
  while (iterations < maxIterations) {
    iterations++;
    const a = kmeansAssign(centroids, data, p);
    let changed = 0;
    for (let i = 0; i < n; i++) if (a.labels[i] !== labels[i]) changed++;
    labels = a.labels;
    if (changed === 0) {
      converged = true;
      break;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i] as number;
      counts[c] = (counts[c] as number) + 1;
      for (let f = 0; f < p; f++) sums[c * p + f] = (sums[c * p + f] as number) + (data[i * p + f] as number);
    }
    let shift = 0;
    const far = a.distances;
    for (let c = 0; c < k; c++) {
      let row = -1;
      if (counts[c] === 0) {
        let bd = -1;
        for (let i = 0; i < n; i++)
          if ((far[i] as number) > bd) {
            bd = far[i] as number;
            row = i;
          }
        far[row] = -1;
      }
      for (let f = 0; f < p; f++) {
        const next = row >= 0 ? (data[row * p + f] as number) : (sums[c * p + f] as number) / (counts[c] as number);
        shift += (next - (centroids[c * p + f] as number)) ** 2;
        centroids[c * p + f] = next;
      }
    }
    if (shift <= threshold) {
      converged = true;
      break;
    }
  }
  const final = kmeansAssign(centroids, data, p);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += final.distances[i] as number;
  return { centroids, labels: final.labels, inertia, iterations, converged };
}
