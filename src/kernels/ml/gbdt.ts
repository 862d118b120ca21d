/**
 * Histogram gradient-boosted decision trees: the TypeScript reference (readable float64; the
 * specification the C++ and CUDA versions must reproduce). One tree per iteration, grown
 * leaf-wise on binned features (see binning.ts) with second-order (Newton) leaf values.
 *
 * Per iteration, in this order:
 * 1. gradients and hessians of the objective at the current raw scores, for every training row;
 *    with gradientRounding (the default), each rounded to a fixed grid (roundToGrid below) so
 *    that every sum of them is exact: histogram slots, leaf sums and the subtraction trick then
 *    give the same numbers in any order of addition, which lets the native core add rows from
 *    several threads (or a GPU) and still match this reference bit for bit;
 * 2. rows: all rows, or with subsample < 1 each row i = 0..n-1 kept when rng() < subsample (one
 *    draw per row; if none is kept, the single row floor(rng() n));
 * 3. features: all, or with colsample < 1 k = max(1, round(colsample p)) features by a partial
 *    Fisher–Yates shuffle (random.ts sampleWithoutReplacement), used for the whole tree;
 * 4. the tree: the root holds the sampled rows in ascending order, its sums G, H taken in that
 *    order. Repeatedly the leaf with the largest split gain (ties: lowest leaf index) is split,
 *    while there are fewer than maxLeaves leaves and some gain exceeds minSplitGain. Splitting
 *    leaf j keeps index j for the left child and gives the right child the next leaf index; its
 *    rows are partitioned stably (ascending order kept on both sides). The smaller child (by row
 *    count, ties left) gets a histogram from its rows; the larger one gets parent - smaller (the
 *    subtraction trick). A leaf at depth maxDepth (when maxDepth > 0) or with fewer than
 *    2 minDataInLeaf rows is not split.
 * 5. leaf values: -G / (H + lambdaL2), or the objective's re-fit (l1, quantile); times the
 *    learning rate;
 * 6. raw scores of every training row (and validation row) += its leaf value; losses; progress
 *    callback; early stopping.
 *
 * Split search, per leaf with sums G, H, C (rows) and per feature in ascending order:
 * gain = G_L^2 / (H_L + lambda) + G_R^2 / (H_R + lambda) - G^2 / (H + lambda), with
 * G_R = G - G_L, H_R = H - H_L, C_R = C - C_L; a candidate needs C_L, C_R >= minDataInLeaf and
 * H_L, H_R >= minSumHessianInLeaf, and replaces the best so far only when its gain is strictly
 * larger (so the first of equal candidates wins); only gains > minSplitGain count.
 * - Numeric: missing values go right first, then (only when the leaf has missing rows) left; for
 *   each, thresholds t = 0..numValueBins-1 ascending put bins <= t left (G_L starts with the
 *   missing bin's sums when missing goes left). The model stores the bin's upper bound as the
 *   threshold (+Infinity for the last bin). When the leaf has no missing rows, missing values
 *   later follow the child with more training rows (ties left).
 * - Categorical (native partition splits): let k be the number of the leaf's categories with rows
 *   (own value bins, not the "other" bin). The left set is some of those categories; everything
 *   else (the "other" bin, unseen categories, and missing values unless they go left) goes right.
 *   Missing values go right first, then (only when the leaf has missing rows) left, as above.
 *   - One-vs-rest, when k <= maxCatToOnehot: for each category with rows, in bin order, the left
 *     set is that category alone; the gain uses lambda like a numeric split.
 *   - Otherwise, sorted partitions: the categories with at least minDataPerGroup rows in the leaf
 *     (the others always go right) are sorted by G_b / (H_b + catSmooth) ascending (ties by bin);
 *     with k' of them, the left sets tried are the prefixes of that order, then the prefixes of
 *     the reversed order, each of at most min(maxCatThreshold, ceil(k' / 2)) categories, as in
 *     LightGBM: with k' >= 2 the left set is never all of them (that would split off just the
 *     rare categories), yet every cut of the order into a prefix and a suffix is still tried with
 *     its shorter part on the left (up to the cap). The gain is the formula above with
 *     lambda + catL2 in place of lambda (all three terms). Leaf values keep -G / (H + lambdaL2):
 *     catL2 only guards the choice of split. (LightGBM keeps lambda in the parent's term and
 *     gives the children leaf values with lambda + cat_l2; with our unchanged leaf values the
 *     plain regularised gain is the consistent choice.)
 *   The candidates of a feature run: missing right (one-vs-rest, or ascending then descending
 *   prefixes), then missing left (same order).
 *
 * Early stopping: with a validation set and earlyStoppingRounds > 0, training stops when the
 * validation loss has not strictly improved for that many iterations, and the model keeps the
 * trees up to the best iteration. An aborted signal (checked before each iteration) stops
 * training the same way, keeping the best model so far (all trees when there is no validation
 * set). Feature importance counts gain (or splits) over the kept trees; contributions are Saabas
 * (path attribution with training-row-weighted node means) by default, or path-dependent TreeSHAP
 * (treeshap.ts) on request.
 */
import { WaybillError } from '../../errors.js';
import { type BinnedMatrix, binMatrix, buildBins, type FeatureBins } from './binning.js';
import { addSaabas, type GbdtTree, leafIndex, rootValue } from './gbdt-tree.js';
import { makeObjective, type Objective, type ObjectiveName, type ObjectiveSpec } from './objectives.js';
import { mulberry32, sampleWithoutReplacement } from './random.js';
import { checkTreeShapCounts, TreeShap, treeDepth } from './treeshap.js';
import { checkColumnOptions, checkFeatures, checkLabels, checkSignal, intOption, numOption } from './validate.js';

/** Row-major features (rows x numFeatures; NaN = missing) and one label per row. */
export interface GbdtDataset {
  features: Float64Array;
  numFeatures: number;
  labels: Float64Array;
}

export interface GbdtProgress {
  /** Trees trained so far (1-based). */
  iteration: number;
  trainLoss: number;
  validLoss?: number;
  /** Tree count of the best model so far (by validation loss; the latest without one). */
  bestIteration: number;
}

export interface GbdtOptions {
  objective?: ObjectiveSpec | ObjectiveName;
  /** Boosting iterations (trees); default 100. */
  numIterations?: number;
  /** Shrinkage in (0, 1]; default 0.1. */
  learningRate?: number;
  /** Leaves per tree, >= 2; default 31. */
  maxLeaves?: number;
  /** Depth limit; 0 = none (default). */
  maxDepth?: number;
  /** Minimum training rows per leaf, >= 1; default 20. */
  minDataInLeaf?: number;
  /** Minimum hessian sum per leaf; default 1e-3. */
  minSumHessianInLeaf?: number;
  /** L2 regularisation of leaf values (lambda); default 0. */
  lambdaL2?: number;
  /** A split must gain more than this; default 0. */
  minSplitGain?: number;
  /** Row sampling rate per tree in (0, 1]; default 1. */
  subsample?: number;
  /** Feature sampling rate per tree in (0, 1]; default 1. */
  colsample?: number;
  /** Value bins per feature, 2..255; default 255 (plus one bin for missing values). */
  maxBins?: number;
  /** Rows sampled (evenly spaced) to learn numeric bin bounds; default 200000. */
  binSampleSize?: number;
  /** Indices of categorical features (values are integer codes >= 0, or NaN). */
  categoricalFeatures?: readonly number[];
  /** Smoothing added to the hessian when ordering categories; default 10. */
  catSmooth?: number;
  /** Categories with fewer training rows in a leaf stay out of its sorted partition splits (they go right); default 100. */
  minDataPerGroup?: number;
  /** Most categories on the left side of a sorted partition split, >= 1; default 32. */
  maxCatThreshold?: number;
  /** L2 added to lambdaL2 in the gain (not the leaf values) of sorted partition splits; default 10. */
  catL2?: number;
  /** Leaves with at most this many categories (with rows) try one-vs-rest splits instead; default 4 (0 = never). */
  maxCatToOnehot?: number;
  /** Stop after this many iterations without validation improvement; 0 = off (default). */
  earlyStoppingRounds?: number;
  /** Seed of the sampling PRNG; default 0. */
  seed?: number;
  /**
   * Round gradients and hessians to a grid that makes their sums exact in any order (see
   * roundToGrid); default true. false keeps them unrounded (every sum then in row order).
   */
  gradientRounding?: boolean;
  featureNames?: readonly string[];
  valid?: GbdtDataset;
  onProgress?: (progress: GbdtProgress) => void;
  signal?: AbortSignal;
}

/** Resolved hyper-parameters, as stored in a model. */
export interface GbdtParams {
  numIterations: number;
  learningRate: number;
  maxLeaves: number;
  maxDepth: number;
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  lambdaL2: number;
  minSplitGain: number;
  subsample: number;
  colsample: number;
  maxBins: number;
  binSampleSize: number;
  catSmooth: number;
  minDataPerGroup: number;
  maxCatThreshold: number;
  catL2: number;
  maxCatToOnehot: number;
  earlyStoppingRounds: number;
  seed: number;
  /** Absent in models saved before the option existed (those were trained unrounded). */
  gradientRounding?: boolean;
}

export interface GbdtModel {
  objective: ObjectiveSpec;
  numFeatures: number;
  featureNames?: string[];
  /** Sorted indices of the categorical features. */
  categoricalFeatures: number[];
  /** Raw score before the first tree. */
  initScore: number;
  trees: GbdtTree[];
  params: GbdtParams;
}

export type GbdtStopReason = 'completed' | 'early-stopping' | 'aborted';

export interface GbdtTrainResult {
  model: GbdtModel;
  /** Trees trained (before truncation to the best iteration). */
  iterations: number;
  /** Trees kept in the model. */
  bestIteration: number;
  stopReason: GbdtStopReason;
  /** Per iteration (index = iteration - 1). */
  trainLoss: Float64Array;
  validLoss?: Float64Array;
}

const INT32_MAX = 2147483647;

/**
 * Hyper-parameters with their defaults and ranges checked (shared with the native port in native.ts).
 * Integer counts stop at 2^31 - 1, the C++ core's int: beyond it the js backend trained while the
 * native one refused without naming the field.
 */
export function resolveParams(o: GbdtOptions): GbdtParams {
  return {
    numIterations: intOption('numIterations', o.numIterations, 100, 1, INT32_MAX),
    learningRate: numOption('learningRate', o.learningRate, 0.1, 0, 1, true),
    maxLeaves: intOption('maxLeaves', o.maxLeaves, 31, 2, 131072),
    maxDepth: intOption('maxDepth', o.maxDepth, 0, 0, 64),
    minDataInLeaf: intOption('minDataInLeaf', o.minDataInLeaf, 20, 1, INT32_MAX),
    minSumHessianInLeaf: numOption('minSumHessianInLeaf', o.minSumHessianInLeaf, 1e-3, 0, Number.MAX_VALUE),
    lambdaL2: numOption('lambdaL2', o.lambdaL2, 0, 0, Number.MAX_VALUE),
    minSplitGain: numOption('minSplitGain', o.minSplitGain, 0, 0, Number.MAX_VALUE),
    subsample: numOption('subsample', o.subsample, 1, 0, 1, true),
    colsample: numOption('colsample', o.colsample, 1, 0, 1, true),
    maxBins: intOption('maxBins', o.maxBins, 255, 2, 255),
    binSampleSize: intOption('binSampleSize', o.binSampleSize, 200000, 1),
    catSmooth: numOption('catSmooth', o.catSmooth, 10, 0, Number.MAX_VALUE),
    minDataPerGroup: intOption('minDataPerGroup', o.minDataPerGroup, 100, 1, INT32_MAX),
    maxCatThreshold: intOption('maxCatThreshold', o.maxCatThreshold, 32, 1, INT32_MAX),
    catL2: numOption('catL2', o.catL2, 10, 0, Number.MAX_VALUE),
    maxCatToOnehot: intOption('maxCatToOnehot', o.maxCatToOnehot, 4, 0, INT32_MAX),
    earlyStoppingRounds: intOption('earlyStoppingRounds', o.earlyStoppingRounds, 0, 0, INT32_MAX),
    seed: intOption('seed', o.seed, 0, 0, 4294967295),
    gradientRounding: boolOption('gradientRounding', o.gradientRounding, true),
  };
}

function boolOption(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new WaybillError('INVALID_ARGUMENT', `${field} must be a boolean`, { field });
  return value;
}

const gridBits = new Float64Array(1);
const gridWords = new Uint32Array(gridBits.buffer);

/**
 * The grid step's anchor for n values of magnitude at most maxAbs: R = 2^(e + 1), where
 * n * maxAbs < 2^e (frexp's exponent), so n values rounded to multiples of ulp(R) = R * 2^-52
 * never sum past R: every partial sum is a multiple of ulp(R) below 2^53 ulps, hence exact, and
 * addition of them is associative. 0 (no rounding) when n * maxAbs is 0, not finite or too large
 * for the doubling. Found from the exponent bits, so the C++ port gets the same R.
 */
export function gridAnchor(maxAbs: number, n: number): number {
  const x = n * maxAbs;
  if (!(x > 0) || !Number.isFinite(x)) return 0;
  gridBits[0] = x;
  const biased = ((gridWords[1] as number) >>> 20) & 0x7ff;
  const e = biased === 0 ? -1022 : biased - 1022; // x < 2^e
  const rBiased = e + 1 + 1023;
  if (rBiased >= 0x7ff) return 0;
  gridWords[1] = rBiased << 20;
  gridWords[0] = 0;
  return gridBits[0] as number;
}

/**
 * Rounds v[0..n) in place to multiples of ulp(R) for R = gridAnchor(max |v|, n): v = (R + v) - R.
 * With positive = true (hessians, all positive by construction), a value that would round to 0
 * or below becomes ulp(R) instead, so a leaf's hessian sum stays positive. A value moves by at
 * most ulp(R) / 2 <= n * 2^-51 of the largest one (R <= 4 n max |v|).
 */
export function roundToGrid(v: Float64Array, positive: boolean): void {
  const n = v.length;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[i] as number);
    if (a > max) max = a;
  }
  const R = gridAnchor(max, n);
  if (R === 0) return;
  const step = R * 2.220446049250313e-16; // R * 2^-52, exact
  for (let i = 0; i < n; i++) {
    let r = R + (v[i] as number) - R;
    if (positive && r < step) r = step;
    v[i] = r;
  }
}

interface Split {
  gain: number;
  feature: number;
  /** Numeric: bins <= thresholdBin go left. */
  thresholdBin: number;
  /** Categorical: bins going left (null for numeric). */
  catBins: number[] | null;
  defaultLeft: boolean;
  gl: number;
  hl: number;
  cl: number;
}

interface Leaf {
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  c: number;
  hist: Float64Array | null;
  best: Split | null;
  /** Internal node whose child this leaf is (-1 for the root) and which side. */
  parent: number;
  isLeft: boolean;
}

/** Training-side split rule (on bins) of an internal node. */
interface BinRule {
  feature: number;
  thresholdBin: number;
  mask: Uint8Array | null;
  defaultLeft: boolean;
  missingBin: number;
}

function binGoesLeft(rule: BinRule, bin: number): boolean {
  if (bin === rule.missingBin) return rule.defaultLeft;
  return rule.mask ? rule.mask[bin] === 1 : bin <= rule.thresholdBin;
}

/**
 * Step-by-step GBDT training (trainGbdt / trainGbdtAsync drive it): construct, call step()
 * until it returns false, then result().
 */
export class GbdtTrainer {
  readonly params: GbdtParams;
  private readonly objective: Objective;
  private readonly n: number;
  private readonly p: number;
  private readonly labels: Float64Array;
  private readonly binned: BinnedMatrix;
  private readonly categorical: number[];
  private readonly featureNames: string[] | undefined;
  private readonly grad: Float64Array;
  private readonly hess: Float64Array;
  private readonly raw: Float64Array;
  private readonly rows: Int32Array;
  private readonly scratch: Int32Array;
  private readonly rng: () => number;
  private readonly initScore: number;
  private readonly valid: GbdtDataset | undefined;
  private readonly validRaw: Float64Array | undefined;
  private readonly onProgress: ((p: GbdtProgress) => void) | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly histPool: Float64Array[] = [];
  private readonly trees: GbdtTree[] = [];
  private readonly trainLoss: number[] = [];
  private readonly validLoss: number[] = [];
  private bestLoss = Number.POSITIVE_INFINITY;
  private bestIteration = 0;
  private stopReason: GbdtStopReason | null = null;

  constructor(train: GbdtDataset, options: GbdtOptions = {}) {
    if (typeof train !== 'object' || train === null)
      throw new WaybillError('INVALID_ARGUMENT', 'train must be a dataset', { field: 'train' });
    this.params = resolveParams(options);
    this.objective = makeObjective(options.objective);
    const labels = checkLabels('train.labels', train.labels);
    this.objective.checkLabels('train.labels', labels);
    const p = train.numFeatures;
    const n = checkFeatures('train.features', train.features, p, { allowMissing: true, rows: labels.length });
    const isCat = checkColumnOptions(options, p);
    this.featureNames = options.featureNames ? [...options.featureNames] : undefined;
    this.categorical = isCat.flatMap((c, f) => (c ? [f] : []));
    if (options.valid !== undefined) {
      const v = options.valid;
      const vl = checkLabels('valid.labels', v?.labels);
      this.objective.checkLabels('valid.labels', vl);
      if (v.numFeatures !== p)
        throw new WaybillError('INVALID_LENGTH', `valid has ${v.numFeatures} features, train has ${p}`, {
          field: 'valid.numFeatures',
          expected: p,
          actual: v.numFeatures,
        });
      checkFeatures('valid.features', v.features, p, { allowMissing: true, rows: vl.length });
      this.valid = v;
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
      throw new WaybillError('INVALID_ARGUMENT', 'onProgress must be a function', { field: 'onProgress' });
    checkSignal(options.signal);
    this.onProgress = options.onProgress;
    this.signal = options.signal ?? undefined;
    this.n = n;
    this.p = p;
    this.labels = labels;
    const mappers = buildBins(train.features, n, p, isCat, this.params.maxBins, this.params.binSampleSize);
    this.binned = binMatrix(train.features, n, p, mappers);
    this.grad = new Float64Array(n);
    this.hess = new Float64Array(n);
    this.initScore = this.objective.initScore(labels);
    this.raw = new Float64Array(n).fill(this.initScore);
    this.validRaw = this.valid ? new Float64Array(this.valid.labels.length).fill(this.initScore) : undefined;
    this.rows = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.rng = mulberry32(this.params.seed);
  }

  /** Trains one more tree; false when training has stopped (completed, early stopping, abort). */
  step(): boolean {
    if (this.stopReason) return false;
    if (this.signal?.aborted) {
      this.stopReason = 'aborted';
      return false;
    }
    const { objective, labels, raw, grad, hess, params } = this;
    objective.gradients(labels, raw, grad, hess);
    if (params.gradientRounding) {
      roundToGrid(grad, false);
      roundToGrid(hess, true);
    }
    const m = this.sampleRows();
    const features =
      params.colsample < 1 ? sampleWithoutReplacement(this.rng, this.p, Math.max(1, Math.round(params.colsample * this.p))) : null;
    const featList = features ?? Int32Array.from({ length: this.p }, (_, f) => f);
    const { tree, rules } = this.growTree(m, featList);
    this.trees.push(tree);
    // Update raw scores: training rows through the bins, validation rows through the thresholds.
    const { bins } = this.binned;
    const p = this.p;
    for (let i = 0; i < this.n; i++) {
      let leaf = 0;
      if (tree.numLeaves > 1) {
        let node = 0;
        for (;;) {
          const rule = rules[node] as BinRule;
          const next = binGoesLeft(rule, bins[i * p + rule.feature] as number)
            ? (tree.leftChild[node] as number)
            : (tree.rightChild[node] as number);
          if (next < 0) {
            leaf = ~next;
            break;
          }
          node = next;
        }
      }
      raw[i] = (raw[i] as number) + (tree.leafValue[leaf] as number);
    }
    const iteration = this.trees.length;
    const trainLoss = objective.loss(labels, raw);
    this.trainLoss.push(trainLoss);
    let validLoss: number | undefined;
    if (this.valid && this.validRaw) {
      const vr = this.validRaw;
      const vf = this.valid.features;
      for (let i = 0; i < vr.length; i++) vr[i] = (vr[i] as number) + (tree.leafValue[leafIndex(tree, vf, i * p)] as number);
      validLoss = objective.loss(this.valid.labels, vr);
      this.validLoss.push(validLoss);
      if (validLoss < this.bestLoss) {
        this.bestLoss = validLoss;
        this.bestIteration = iteration;
      }
    } else {
      this.bestIteration = iteration;
    }
    this.onProgress?.(
      validLoss === undefined
        ? { iteration, trainLoss, bestIteration: this.bestIteration }
        : { iteration, trainLoss, validLoss, bestIteration: this.bestIteration },
    );
    if (this.valid && params.earlyStoppingRounds > 0 && iteration - this.bestIteration >= params.earlyStoppingRounds)
      this.stopReason = 'early-stopping';
    else if (iteration >= params.numIterations) this.stopReason = 'completed';
    return this.stopReason === null;
  }

  /** The model and history; the model keeps the best iteration's trees (see the file comment). */
  result(): GbdtTrainResult {
    const truncate = this.valid !== undefined && (this.params.earlyStoppingRounds > 0 || this.stopReason === 'aborted');
    const kept = truncate ? this.bestIteration : this.trees.length;
    const model: GbdtModel = {
      objective: this.objective.spec,
      numFeatures: this.p,
      categoricalFeatures: [...this.categorical],
      initScore: this.initScore,
      trees: this.trees.slice(0, kept),
      params: { ...this.params },
    };
    if (this.featureNames) model.featureNames = [...this.featureNames];
    const out: GbdtTrainResult = {
      model,
      iterations: this.trees.length,
      bestIteration: kept,
      stopReason: this.stopReason ?? 'completed',
      trainLoss: Float64Array.from(this.trainLoss),
    };
    if (this.valid) out.validLoss = Float64Array.from(this.validLoss);
    return out;
  }

  /** Fills rows[0..m) with this iteration's rows (ascending) and returns m. */
  private sampleRows(): number {
    const { rows, n } = this;
    const rate = this.params.subsample;
    if (rate >= 1) {
      for (let i = 0; i < n; i++) rows[i] = i;
      return n;
    }
    let m = 0;
    for (let i = 0; i < n; i++) if (this.rng() < rate) rows[m++] = i;
    if (m === 0) rows[m++] = Math.floor(this.rng() * n);
    return m;
  }

  private takeHist(): Float64Array {
    return this.histPool.pop() ?? new Float64Array(3 * (this.binned.offsets[this.p] as number));
  }

  private buildHist(hist: Float64Array, start: number, end: number, featList: Int32Array): void {
    hist.fill(0);
    const { rows, grad, hess, p } = this;
    const { bins, offsets } = this.binned;
    for (let k = start; k < end; k++) {
      const r = rows[k] as number;
      const g = grad[r] as number;
      const h = hess[r] as number;
      const base = r * p;
      for (let j = 0; j < featList.length; j++) {
        const f = featList[j] as number;
        const s = 3 * ((offsets[f] as number) + (bins[base + f] as number));
        hist[s] = (hist[s] as number) + g;
        hist[s + 1] = (hist[s + 1] as number) + h;
        hist[s + 2] = (hist[s + 2] as number) + 1;
      }
    }
  }

  private findBestSplit(leaf: Leaf, featList: Int32Array): Split | null {
    const { params } = this;
    if (params.maxDepth > 0 && leaf.depth >= params.maxDepth) return null;
    if (leaf.c < 2 * params.minDataInLeaf) return null;
    const hist = leaf.hist as Float64Array;
    const { offsets, mappers } = this.binned;
    const lambda = params.lambdaL2;
    const minData = params.minDataInLeaf;
    const minHess = params.minSumHessianInLeaf;
    const G = leaf.g;
    const H = leaf.h;
    const C = leaf.c;
    const parentScore = (G * G) / (H + lambda);
    const catLambda = lambda + params.catL2;
    const catParentScore = (G * G) / (H + catLambda);
    let best: Split | null = null;
    let bestGain = params.minSplitGain;
    // Categorical winner: its candidate order and whether the left set is order[t] alone.
    let bestOrder: number[] | null = null;
    let bestOnehot = false;
    for (let j = 0; j < featList.length; j++) {
      const f = featList[j] as number;
      const mapper = mappers[f] as FeatureBins;
      const off = offsets[f] as number;
      const nb = mapper.numValueBins;
      const ms = 3 * (off + nb);
      const gm = hist[ms] as number;
      const hm = hist[ms + 1] as number;
      const cm = hist[ms + 2] as number;
      // Scans of this feature: bin orders whose prefixes (or, one-vs-rest, single entries) go left.
      let scans: number[][] | null = null;
      let onehot = false;
      let maxSteps = nb;
      let lam = lambda;
      let parent = parentScore;
      if (mapper.categorical) {
        const own = mapper.hasOther ? nb - 1 : nb;
        const withRows: number[] = [];
        for (let b = 0; b < own; b++) if ((hist[3 * (off + b) + 2] as number) > 0) withRows.push(b);
        if (withRows.length <= params.maxCatToOnehot) {
          onehot = true;
          scans = [withRows];
        } else {
          const order = withRows.filter((b) => (hist[3 * (off + b) + 2] as number) >= params.minDataPerGroup);
          const ratio = (b: number) => (hist[3 * (off + b)] as number) / ((hist[3 * (off + b) + 1] as number) + params.catSmooth);
          order.sort((a, b) => ratio(a) - ratio(b) || a - b);
          scans = [order, order.slice().reverse()];
          maxSteps = Math.min(params.maxCatThreshold, (order.length + 1) >> 1);
          lam = catLambda;
          parent = catParentScore;
        }
      }
      for (let dir = 0; dir < 2; dir++) {
        if (dir === 1 && cm === 0) break;
        for (let scan = 0; scan < (scans ? scans.length : 1); scan++) {
          const order = scans ? (scans[scan] as number[]) : null;
          const steps = Math.min(order ? order.length : nb, maxSteps);
          let gl = dir === 1 ? gm : 0;
          let hl = dir === 1 ? hm : 0;
          let cl = dir === 1 ? cm : 0;
          for (let t = 0; t < steps; t++) {
            const b = order ? (order[t] as number) : t;
            const s = 3 * (off + b);
            if (onehot) {
              gl = (dir === 1 ? gm : 0) + (hist[s] as number);
              hl = (dir === 1 ? hm : 0) + (hist[s + 1] as number);
              cl = (dir === 1 ? cm : 0) + (hist[s + 2] as number);
            } else {
              gl += hist[s] as number;
              hl += hist[s + 1] as number;
              cl += hist[s + 2] as number;
            }
            const cr = C - cl;
            if (cr < minData) {
              if (onehot) continue; // single categories: a later one may be smaller
              break;
            }
            if (cl < minData) continue;
            const hr = H - hl;
            if (hl < minHess || hr < minHess) continue;
            const gr = G - gl;
            const gain = (gl * gl) / (hl + lam) + (gr * gr) / (hr + lam) - parent;
            if (gain > bestGain) {
              bestGain = gain;
              bestOrder = order;
              bestOnehot = onehot;
              best = {
                gain,
                feature: f,
                thresholdBin: t,
                catBins: null,
                defaultLeft: dir === 1 || (cm === 0 && cl >= cr),
                gl,
                hl,
                cl,
              };
            }
          }
        }
      }
    }
    if (best && bestOrder) {
      const t = best.thresholdBin;
      best.catBins = bestOnehot ? [bestOrder[t] as number] : bestOrder.slice(0, t + 1);
    }
    return best;
  }

  private growTree(m: number, featList: Int32Array): { tree: GbdtTree; rules: BinRule[] } {
    const { rows, grad, hess, params, binned } = this;
    let g = 0;
    let h = 0;
    for (let k = 0; k < m; k++) {
      g += grad[rows[k] as number] as number;
      h += hess[rows[k] as number] as number;
    }
    const rootHist = this.takeHist();
    this.buildHist(rootHist, 0, m, featList);
    const root: Leaf = { start: 0, end: m, depth: 0, g, h, c: m, hist: rootHist, best: null, parent: -1, isLeft: false };
    root.best = this.findBestSplit(root, featList);
    const leaves: Leaf[] = [root];
    const rules: BinRule[] = [];
    const splitFeature: number[] = [];
    const threshold: number[] = [];
    const catLeft: Array<Int32Array | null> = [];
    const defaultLeft: number[] = [];
    const leftChild: number[] = [];
    const rightChild: number[] = [];
    const splitGain: number[] = [];
    while (leaves.length < params.maxLeaves) {
      let j = -1;
      for (let i = 0; i < leaves.length; i++) {
        const b = (leaves[i] as Leaf).best;
        if (b && (j < 0 || b.gain > ((leaves[j] as Leaf).best as Split).gain)) j = i;
      }
      if (j < 0) break;
      const leaf = leaves[j] as Leaf;
      const split = leaf.best as Split;
      const mapper = binned.mappers[split.feature] as FeatureBins;
      const node = splitFeature.length;
      let mask: Uint8Array | null = null;
      if (split.catBins) {
        mask = new Uint8Array(mapper.numValueBins + 1);
        for (const b of split.catBins) mask[b] = 1;
      }
      const rule: BinRule = {
        feature: split.feature,
        thresholdBin: split.thresholdBin,
        mask,
        defaultLeft: split.defaultLeft,
        missingBin: mapper.numValueBins,
      };
      rules.push(rule);
      splitFeature.push(split.feature);
      threshold.push(
        split.catBins
          ? Number.NaN
          : split.thresholdBin < mapper.upper.length
            ? (mapper.upper[split.thresholdBin] as number)
            : Number.POSITIVE_INFINITY,
      );
      catLeft.push(split.catBins ? Int32Array.from(split.catBins, (b) => mapper.categories[b] as number).sort() : null);
      defaultLeft.push(split.defaultLeft ? 1 : 0);
      splitGain.push(split.gain);
      const rightIndex = leaves.length;
      leftChild.push(~j);
      rightChild.push(~rightIndex);
      if (leaf.parent >= 0) {
        if (leaf.isLeft) leftChild[leaf.parent] = node;
        else rightChild[leaf.parent] = node;
      }
      // Stable partition of the leaf's rows.
      const { bins } = binned;
      const p = this.p;
      let l = leaf.start;
      let r = 0;
      for (let k = leaf.start; k < leaf.end; k++) {
        const row = rows[k] as number;
        if (binGoesLeft(rule, bins[row * p + split.feature] as number)) rows[l++] = row;
        else this.scratch[r++] = row;
      }
      rows.set(this.scratch.subarray(0, r), l);
      const left: Leaf = {
        start: leaf.start,
        end: l,
        depth: leaf.depth + 1,
        g: split.gl,
        h: split.hl,
        c: split.cl,
        hist: null,
        best: null,
        parent: node,
        isLeft: true,
      };
      const right: Leaf = {
        start: l,
        end: leaf.end,
        depth: leaf.depth + 1,
        g: leaf.g - split.gl,
        h: leaf.h - split.hl,
        c: leaf.c - split.cl,
        hist: null,
        best: null,
        parent: node,
        isLeft: false,
      };
      const parentHist = leaf.hist as Float64Array;
      const small = left.c <= right.c ? left : right;
      const large = small === left ? right : left;
      small.hist = this.takeHist();
      this.buildHist(small.hist, small.start, small.end, featList);
      for (let s = 0; s < parentHist.length; s++) parentHist[s] = (parentHist[s] as number) - (small.hist[s] as number);
      large.hist = parentHist;
      leaves[j] = left;
      leaves.push(right);
      for (const child of [left, right]) {
        child.best = this.findBestSplit(child, featList);
        if (!child.best && child.hist) {
          this.histPool.push(child.hist);
          child.hist = null;
        }
      }
    }
    for (const leaf of leaves) if (leaf.hist) this.histPool.push(leaf.hist);
    const numLeaves = leaves.length;
    const leafValue = new Float64Array(numLeaves);
    const leafCount = new Float64Array(numLeaves);
    leaves.forEach((leaf, i) => {
      const v = this.objective.refitLeaf
        ? this.objective.refitLeaf(this.labels, this.raw, rows, leaf.start, leaf.end)
        : -leaf.g / (leaf.h + params.lambdaL2);
      leafValue[i] = params.learningRate * v;
      leafCount[i] = leaf.c;
    });
    const nodes = splitFeature.length;
    const internalValue = new Float64Array(nodes);
    const internalCount = new Float64Array(nodes);
    const lc = Int32Array.from(leftChild);
    const rc = Int32Array.from(rightChild);
    // Children have larger indices than parents: fill node values from the last node back.
    for (let i = nodes - 1; i >= 0; i--) {
      const a = lc[i] as number;
      const b = rc[i] as number;
      const va = a < 0 ? (leafValue[~a] as number) : (internalValue[a] as number);
      const ca = a < 0 ? (leafCount[~a] as number) : (internalCount[a] as number);
      const vb = b < 0 ? (leafValue[~b] as number) : (internalValue[b] as number);
      const cb = b < 0 ? (leafCount[~b] as number) : (internalCount[b] as number);
      internalCount[i] = ca + cb;
      internalValue[i] = (ca * va + cb * vb) / (ca + cb);
    }
    const tree: GbdtTree = {
      numLeaves,
      splitFeature: Int32Array.from(splitFeature),
      threshold: Float64Array.from(threshold),
      catLeft,
      defaultLeft: Uint8Array.from(defaultLeft),
      leftChild: lc,
      rightChild: rc,
      splitGain: Float64Array.from(splitGain),
      internalValue,
      internalCount,
      leafValue,
      leafCount,
    };
    return { tree, rules };
  }
}

/** Trains a GBDT model synchronously (the signal is checked between iterations). */
export function trainGbdt(train: GbdtDataset, options: GbdtOptions = {}): GbdtTrainResult {
  const trainer = new GbdtTrainer(train, options);
  while (trainer.step()) {}
  return trainer.result();
}

/**
 * Trains a GBDT model, yielding to the event loop after every iteration so that an AbortSignal
 * fired by a timer or a request can stop it.
 */
export async function trainGbdtAsync(train: GbdtDataset, options: GbdtOptions = {}): Promise<GbdtTrainResult> {
  const trainer = new GbdtTrainer(train, options);
  while (trainer.step()) await new Promise<void>((resolve) => setImmediate(resolve));
  return trainer.result();
}

function checkPredictInput(model: GbdtModel, features: Float64Array, numFeatures: number): number {
  if (numFeatures !== model.numFeatures)
    throw new WaybillError('INVALID_LENGTH', `the model was trained on ${model.numFeatures} features, got ${numFeatures}`, {
      field: 'numFeatures',
      expected: model.numFeatures,
      actual: numFeatures,
    });
  return checkFeatures('features', features, numFeatures, { allowMissing: true, allowEmpty: true });
}

function treeCount(model: GbdtModel, numIterations: number | undefined): number {
  return intOption('numIterations', numIterations, model.trees.length, 0, model.trees.length);
}

/**
 * Predictions for row-major features (rows x numFeatures, NaN = missing): on the response scale
 * (probability, expected count) or, with `raw`, the margin. `numIterations` uses the first trees only.
 */
export function gbdtPredict(
  model: GbdtModel,
  features: Float64Array,
  numFeatures: number,
  options: { raw?: boolean; numIterations?: number } = {},
): Float64Array {
  const rows = checkPredictInput(model, features, numFeatures);
  const k = treeCount(model, options.numIterations);
  const out = new Float64Array(rows).fill(model.initScore);
  for (let t = 0; t < k; t++) {
    const tree = model.trees[t] as GbdtTree;
    for (let i = 0; i < rows; i++) out[i] = (out[i] as number) + (tree.leafValue[leafIndex(tree, features, i * numFeatures)] as number);
  }
  if (!options.raw) {
    const link = makeObjective(model.objective).transform;
    for (let i = 0; i < rows; i++) out[i] = link(out[i] as number);
  }
  return out;
}

/** How {@link gbdtContributions} attributes a prediction to the features. */
export type ContributionMethod = 'saabas' | 'treeshap';

/** The contribution method of an option value (default 'saabas'); INVALID_ARGUMENT otherwise. */
export function contributionMethod(method: unknown): ContributionMethod {
  if (method === undefined || method === 'saabas' || method === 'treeshap') return method ?? 'saabas';
  throw new WaybillError('INVALID_ARGUMENT', `method must be 'saabas' or 'treeshap', got ${JSON.stringify(method)}`, {
    field: 'method',
  });
}

/**
 * Per-prediction contributions in raw-score units: rows x (numFeatures + 1), row-major; the last
 * column is the bias (initScore + every tree's root value: its training-row-weighted mean leaf),
 * and each row sums to the raw prediction (TreeSHAP: up to rounding).
 * - method 'saabas' (default): along the row's path, each split's feature gets value(child) -
 *   value(node); fast (O(depth) a tree), but the attribution depends on the order of the splits.
 * - method 'treeshap': path-dependent TreeSHAP (treeshap.ts), the exact Shapley values with the
 *   tree's covers standing in for the feature distribution; O(leaves x depth^2) a tree.
 */
export function gbdtContributions(
  model: GbdtModel,
  features: Float64Array,
  numFeatures: number,
  options: { numIterations?: number; method?: ContributionMethod } = {},
): Float64Array {
  const method = contributionMethod(options.method);
  const rows = checkPredictInput(model, features, numFeatures);
  const k = treeCount(model, options.numIterations);
  const w = numFeatures + 1;
  const out = new Float64Array(rows * w);
  let bias = model.initScore;
  for (let t = 0; t < k; t++) bias += rootValue(model.trees[t] as GbdtTree);
  if (method === 'treeshap') checkTreeShapCounts(model.trees, k);
  const shap = method === 'treeshap' ? new TreeShap(model.trees.slice(0, k).reduce((m, t) => Math.max(m, treeDepth(t)), 0)) : null;
  for (let i = 0; i < rows; i++) {
    out[i * w + numFeatures] = bias;
    for (let t = 0; t < k; t++) {
      const tree = model.trees[t] as GbdtTree;
      if (shap) shap.add(tree, features, i * numFeatures, out, i * w);
      else addSaabas(tree, features, i * numFeatures, out, i * w);
    }
  }
  return out;
}

/** Feature importance over the model's trees: total split gain (default) or number of splits. */
export function gbdtImportance(model: GbdtModel, type: 'gain' | 'split' = 'gain'): Float64Array {
  if (type !== 'gain' && type !== 'split')
    throw new WaybillError('INVALID_ARGUMENT', `type must be 'gain' or 'split', got ${String(type)}`, { field: 'type' });
  const out = new Float64Array(model.numFeatures);
  for (const tree of model.trees)
    for (let i = 0; i < tree.numLeaves - 1; i++) {
      const f = tree.splitFeature[i] as number;
      out[f] = (out[f] as number) + (type === 'gain' ? (tree.splitGain[i] as number) : 1);
    }
  return out;
}
