/**
 * Input checks shared by the ML kernels. Every failure is a WaybillError whose `details.field`
 * names the argument (and `index`, `row`, `feature` where one element is at fault).
 */
import { WaybillError } from '../../errors.js';
import { assertNotDetached } from '../options.js';

/**
 * Checks a row-major feature matrix (`rows x numFeatures`). NaN means "missing" and is allowed
 * when `allowMissing`; +-Infinity never is. Returns the row count.
 */
export function checkFeatures(
  field: string,
  features: unknown,
  numFeatures: unknown,
  options: { allowMissing: boolean; rows?: number; allowEmpty?: boolean; maxAbs?: number },
): number {
  if (!(features instanceof Float64Array))
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be a Float64Array (row-major, rows x numFeatures)`, { field });
  assertNotDetached(features, field);
  if (typeof numFeatures !== 'number' || !Number.isInteger(numFeatures) || numFeatures < 1)
    throw new WaybillError('INVALID_ARGUMENT', `numFeatures must be an integer >= 1, got ${String(numFeatures)}`, {
      field: 'numFeatures',
    });
  if (features.length % numFeatures !== 0)
    throw new WaybillError('INVALID_LENGTH', `${field} has ${features.length} values, not a multiple of numFeatures = ${numFeatures}`, {
      field,
      length: features.length,
      numFeatures,
    });
  const rows = features.length / numFeatures;
  if (options.rows !== undefined && rows !== options.rows)
    throw new WaybillError('INVALID_LENGTH', `${field} has ${rows} rows but there are ${options.rows} labels`, {
      field,
      rows,
      expected: options.rows,
    });
  if (rows === 0 && !options.allowEmpty) throw new WaybillError('INVALID_ARGUMENT', `${field} has zero rows`, { field, rows: 0 });
  for (let i = 0; i < features.length; i++) {
    const v = features[i] as number;
    if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY || (!options.allowMissing && Number.isNaN(v)))
      throw new WaybillError('NOT_FINITE', `${field}[${i}] (row ${Math.floor(i / numFeatures)}, feature ${i % numFeatures}) is ${v}`, {
        field,
        index: i,
        row: Math.floor(i / numFeatures),
        feature: i % numFeatures,
      });
    if (options.maxAbs !== undefined && Math.abs(v) > options.maxAbs)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `${field}[${i}] (row ${Math.floor(i / numFeatures)}, feature ${i % numFeatures}) is ${v}: values must be within +-${options.maxAbs} (rescale the data)`,
        { field, index: i, row: Math.floor(i / numFeatures), feature: i % numFeatures, limit: options.maxAbs },
      );
  }
  return rows;
}

/**
 * The largest |value| k-means accepts in data and centroids. Squared distances, their sums over
 * rows (inertia) and over features, and the per-feature variance must stay finite: with values
 * near 1e200 the inertia and distances were Infinity (and the centroids of a cluster could be too)
 * without an error. 1e100 leaves room for all of them.
 */
export const MAX_KMEANS_VALUE = 1e100;

/**
 * The largest |feature| logistic regression (and |score| Platt scaling) accepts: the Hessian sums
 * x_i x_j over rows. With features near 1e200 it overflowed, the Newton step was NaN and the fit
 * stopped at once reporting `converged` with zero weights.
 */
export const MAX_LOGISTIC_VALUE = 1e100;

/**
 * The largest label magnitude training accepts. Sums of labels and gradients over every row, squared
 * residuals (L2 loss) and gains (G^2 / H) must stay finite: with labels near 1e308 the mean was
 * Infinity and the model predicted NaN without an error. 1e100 leaves room for all of them.
 */
export const MAX_LABEL = 1e100;

/** Checks that labels are a non-empty Float64Array of finite values within +-MAX_LABEL. */
export function checkLabels(field: string, labels: unknown): Float64Array {
  if (!(labels instanceof Float64Array)) throw new WaybillError('INVALID_ARGUMENT', `${field} must be a Float64Array`, { field });
  assertNotDetached(labels, field);
  if (labels.length === 0) throw new WaybillError('INVALID_ARGUMENT', `${field} is empty: zero rows`, { field, rows: 0 });
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (!Number.isFinite(y)) throw new WaybillError('NOT_FINITE', `${field}[${i}] is ${y}: labels must be finite`, { field, index: i });
    if (Math.abs(y) > MAX_LABEL)
      throw new WaybillError('INVALID_ARGUMENT', `${field}[${i}] is ${y}: labels must be within +-${MAX_LABEL} (rescale the target)`, {
        field,
        index: i,
        limit: MAX_LABEL,
      });
  }
  return labels;
}

/** Checks that every label is 0 or 1. */
export function checkBinaryLabels(field: string, labels: Float64Array): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (y !== 0 && y !== 1)
      throw new WaybillError('INVALID_ARGUMENT', `${field}[${i}] is ${y}: binary labels must be 0 or 1`, { field, index: i });
  }
}

/** An optional integer option in [min, max]; `fallback` when undefined. */
export function intOption(field: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be an integer in [${min}, ${max}], got ${String(value)}`, { field });
  return value;
}

/**
 * An optional finite number option in a range; `lowOpen` / `highOpen` exclude the bounds.
 * `fallback` when undefined.
 */
export function numOption(
  field: string,
  value: unknown,
  fallback: number,
  low: number,
  high: number,
  lowOpen = false,
  highOpen = false,
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (lowOpen ? value > low : value >= low) &&
    (highOpen ? value < high : value <= high) &&
    (Number.isFinite(value) || value === high);
  if (!ok)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `${field} must be in ${lowOpen ? '(' : '['}${low}, ${high}${highOpen ? ')' : ']'}, got ${String(value)}`,
      {
        field,
      },
    );
  return value as number;
}

/**
 * The most features a trained or loaded model may have (2^24). A model file of a few bytes
 * claiming numFeatures 2^30 made the loader allocate a 2^30-entry array and the process die
 * out of memory; per-feature outputs (importance, feature names) of 2^24 entries still fit.
 */
export const MAX_FEATURES = 2 ** 24;

/**
 * Checks the column options shared by the trainers (categoricalFeatures: indices in [0, p);
 * featureNames: p names) and returns which features are categorical.
 */
export function checkColumnOptions(
  options: { categoricalFeatures?: readonly number[]; featureNames?: readonly string[] },
  p: number,
): boolean[] {
  if (p > MAX_FEATURES)
    throw new WaybillError('INVALID_ARGUMENT', `numFeatures ${p} is more than the ${MAX_FEATURES} a model may have`, {
      field: 'numFeatures',
      limit: MAX_FEATURES,
    });
  const isCat = new Array<boolean>(p).fill(false);
  const cats: unknown = options.categoricalFeatures ?? [];
  // A string or a plain object here was a TypeError (js) or NATIVE_ERROR (native) from .entries().
  if (!Array.isArray(cats) && !(ArrayBuffer.isView(cats) && !(cats instanceof DataView)))
    throw new WaybillError('INVALID_ARGUMENT', 'categoricalFeatures must be an array of feature indices', {
      field: 'categoricalFeatures',
    });
  for (const [i, f] of Array.from(cats as ArrayLike<number>).entries()) {
    if (!Number.isInteger(f) || f < 0 || f >= p)
      throw new WaybillError('INVALID_ARGUMENT', `categoricalFeatures[${i}] = ${f} is not a feature index in [0, ${p})`, {
        field: 'categoricalFeatures',
        index: i,
      });
    isCat[f] = true;
  }
  if (options.featureNames !== undefined && (!Array.isArray(options.featureNames) || options.featureNames.length !== p))
    throw new WaybillError('INVALID_LENGTH', `featureNames must list ${p} names`, { field: 'featureNames' });
  return isCat;
}

/**
 * Checks the cancellation option: an AbortSignal, or absent (undefined / null). Anything else
 * made the native trainers and k-means fail with NATIVE_ERROR or a TypeError from
 * addEventListener, while the js trainer ignored it.
 */
export function checkSignal(signal: unknown): void {
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal))
    throw new WaybillError('INVALID_ARGUMENT', 'signal must be an AbortSignal', { field: 'signal' });
}

/** Checks a progress callback option: a function, or undefined. */
export function checkCallback(field: string, fn: unknown): void {
  if (fn !== undefined && typeof fn !== 'function') throw new WaybillError('INVALID_ARGUMENT', `${field} must be a function`, { field });
}

/** A plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The header of a versioned JSON document (a model file or artifact): parses text, then checks it
 * is an object with the expected `format` and `formatVersion`. `bad(field, message)` throws the
 * caller's error (so the message names the kind of document).
 */
export function checkVersionedDocument(
  json: unknown,
  what: string,
  format: string,
  version: number,
  bad: (field: string, message: string) => never,
): Record<string, unknown> {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (err) {
      bad('json', `is not valid JSON (${(err as Error).message})`);
    }
  }
  if (!isObject(doc)) bad(what, 'must be a JSON object');
  if (doc.format !== format) bad('format', `must be "${format}", got ${JSON.stringify(doc.format)}`);
  if (doc.formatVersion !== version)
    bad('formatVersion', `${JSON.stringify(doc.formatVersion)} is not supported (this build reads ${version})`);
  return doc;
}
