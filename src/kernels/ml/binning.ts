/**
 * Feature binning for histogram GBDT. Each feature gets at most `maxBins` (<= 255) value bins and
 * one more bin, numbered after them, for missing values (NaN), so a bin index fits a byte.
 *
 * Numeric features — quantile bins from the distinct non-missing values of a sample (every row
 * when rows <= sampleSize, else rows floor(k rows / sampleSize), k = 0..sampleSize-1: no random
 * draws). With D distinct values (sorted, counts c_i, m values in all):
 * - D <= maxBins: one bin per distinct value; the boundary between neighbours a < b is their
 *   midpoint (a + b) / 2 (a / 2 + b / 2 when that overflows; a when rounding gives b).
 * - otherwise greedy equal-frequency: walk the distinct values, adding c_i to the open bin; when
 *   the open bin holds >= rest / binsLeft values (rest: values not yet in a closed bin), close it
 *   at the midpoint to the next distinct value; stop closing when one bin is left.
 * Bin b holds the values v with upper[b-1] < v <= upper[b]; the last value bin is unbounded above.
 * A constant feature has one value bin and never splits (not an error).
 *
 * Categorical features — values are category codes (integers in [0, 2^31 - 1]) or NaN. Codes are
 * counted over all rows and ordered by count (descending, ties by code); with more than maxBins
 * codes the first maxBins - 1 get a bin each and the rest share an "other" bin (the last value
 * bin), which never goes to the left side of a split (see gbdt.ts).
 */
import { WaybillError } from '../../errors.js';

export interface FeatureBins {
  categorical: boolean;
  /** Numeric: upper bounds of value bins 0..numValueBins-2 (ascending). Empty for categorical. */
  upper: Float64Array;
  /** Categorical: the category code of each value bin (the "other" bin, if any, is not listed). */
  categories: Int32Array;
  /** Categorical: whether the last value bin is the shared "other" bin. */
  hasOther: boolean;
  /** Value bins; the missing-value bin is numbered numValueBins. */
  numValueBins: number;
}

export interface BinnedMatrix {
  /** Bin index of every value, row-major rows x numFeatures. */
  bins: Uint8Array;
  /** Histogram slot offsets: feature f owns slots offsets[f] .. offsets[f+1]-1 (value bins, then missing). */
  offsets: Int32Array;
  mappers: FeatureBins[];
}

function midpoint(a: number, b: number): number {
  let m = (a + b) / 2;
  if (!Number.isFinite(m)) m = a / 2 + b / 2;
  return m < b ? m : a;
}

/** Quantile upper bounds of one numeric feature from its sorted non-missing sample values. */
export function quantileBounds(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const d = distinct.length;
  const upper: number[] = [];
  if (d <= maxBins) {
    for (let i = 0; i + 1 < d; i++) upper.push(midpoint(distinct[i] as number, distinct[i + 1] as number));
    return Float64Array.from(upper);
  }
  let rest = sorted.length;
  let binsLeft = maxBins;
  let open = 0;
  for (let i = 0; i + 1 < d && binsLeft > 1; i++) {
    open += counts[i] as number;
    if (open >= rest / binsLeft) {
      upper.push(midpoint(distinct[i] as number, distinct[i + 1] as number));
      rest -= open;
      open = 0;
      binsLeft--;
    }
  }
  return Float64Array.from(upper);
}

/** Bin of a non-missing numeric value: the smallest b with v <= upper[b], else upper.length. */
export function numericBin(upper: Float64Array, v: number): number {
  let lo = 0;
  let hi = upper.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= (upper[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Whether v is a valid category code: an integer in [0, 2^31 - 1]. */
export function isCategoryCode(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 2147483647;
}

/**
 * Learns the bins of every feature from a row-major matrix (rows x p). `categorical[f]` marks
 * categorical features. Throws INVALID_ARGUMENT on a categorical value that is not a code.
 */
export function buildBins(
  features: Float64Array,
  rows: number,
  p: number,
  categorical: ReadonlyArray<boolean>,
  maxBins: number,
  sampleSize: number,
): FeatureBins[] {
  const mappers: FeatureBins[] = [];
  const sampleRows = Math.min(rows, sampleSize);
  for (let f = 0; f < p; f++) {
    if (categorical[f]) {
      const counts = new Map<number, number>();
      for (let r = 0; r < rows; r++) {
        const v = features[r * p + f] as number;
        if (Number.isNaN(v)) continue;
        if (!isCategoryCode(v))
          throw new WaybillError('INVALID_ARGUMENT', `feature ${f} is categorical: value ${v} at row ${r} is not an integer code >= 0`, {
            field: 'features',
            index: r * p + f,
            row: r,
            feature: f,
          });
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const codes = [...counts.keys()].sort((a, b) => (counts.get(b) as number) - (counts.get(a) as number) || a - b);
      const hasOther = codes.length > maxBins;
      const own = hasOther ? codes.slice(0, maxBins - 1) : codes;
      mappers.push({
        categorical: true,
        upper: new Float64Array(0),
        categories: Int32Array.from(own),
        hasOther,
        numValueBins: Math.max(1, own.length + (hasOther ? 1 : 0)),
      });
    } else {
      const vals: number[] = [];
      for (let k = 0; k < sampleRows; k++) {
        const r = sampleRows === rows ? k : Math.floor((k * rows) / sampleRows);
        const v = features[r * p + f] as number;
        if (!Number.isNaN(v)) vals.push(v);
      }
      const upper = quantileBounds(Float64Array.from(vals).sort(), maxBins);
      mappers.push({ categorical: false, upper, categories: new Int32Array(0), hasOther: false, numValueBins: upper.length + 1 });
    }
  }
  return mappers;
}

/** Bins every value of a row-major matrix with learned mappers. */
export function binMatrix(features: Float64Array, rows: number, p: number, mappers: FeatureBins[]): BinnedMatrix {
  const offsets = new Int32Array(p + 1);
  for (let f = 0; f < p; f++) offsets[f + 1] = (offsets[f] as number) + (mappers[f] as FeatureBins).numValueBins + 1;
  const bins = new Uint8Array(rows * p);
  for (let f = 0; f < p; f++) {
    const m = mappers[f] as FeatureBins;
    const missing = m.numValueBins;
    let lookup: Map<number, number> | undefined;
    if (m.categorical) {
      lookup = new Map();
      for (let b = 0; b < m.categories.length; b++) lookup.set(m.categories[b] as number, b);
    }
    for (let r = 0; r < rows; r++) {
      const v = features[r * p + f] as number;
      let b: number;
      if (Number.isNaN(v)) b = missing;
      else if (lookup) b = lookup.get(v) ?? (m.hasOther ? m.numValueBins - 1 : missing);
      else b = numericBin(m.upper, v);
      bins[r * p + f] = b;
    }
  }
  return { bins, offsets, mappers };
}
