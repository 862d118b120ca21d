/**
 * GBDT on the C++ CPU core (native/include/waybill/ml.h): the options, validation and results of
 * the TypeScript reference (gbdt.ts), the work done by the addon. Training returns the same
 * GbdtModel object as trainGbdt — the same trees, bit for bit (the core follows the reference's
 * operation order and uses V8's exp / log algorithms), so gbdtPredict, gbdtContributions,
 * gbdtImportance and saveGbdtModel / loadGbdtModel work on it unchanged
 * (test/kernels/ml-parity.test.ts).
 *
 * Differences from the reference: `threads` (native std::threads over histogram features and
 * score rows; results do not depend on it); `onProgress` is called with snapshots (polled every
 * ~25 ms while training runs, plus the last iteration), not necessarily once per iteration; with
 * `sync: true` the event loop is blocked and only the final progress is reported.
 *
 * Prediction also runs on a CUDA device (`device: 'cuda'`, native/src/cuda/ml/gbdt_predict.cu):
 * the same numbers as the CPU, bit for bit, raw and transformed (test/kernels/ml-cuda-parity.test.ts);
 * `nativeGbdtCudaStatus()` says whether it can, and why not. So does training (`device: 'cuda'`,
 * native/src/cuda/ml/gbdt_hist.cu): the histograms of large leaves are built on the device, the
 * rest on `threads` CPU threads, and the trees are the CPU's bit for bit because the gradients
 * are rounded to a grid on which every sum is exact (`gradientRounding`, default true; false with
 * 'cuda' is KERNEL_UNSUPPORTED); `nativeGbdtCudaTrainStatus()` says whether it can. The engine's
 * dispatch is in kernels.ts.
 */
import { WaybillError } from '../../errors.js';
import {
  loadAddon,
  type NativeAddon,
  type NativeGbdtForest,
  type NativeGbdtTrainOptions,
  type NativeGbdtTrainOutput,
} from '../../native/addon.js';
import { isCategoryCode } from './binning.js';
import {
  type ContributionMethod,
  contributionMethod,
  type GbdtDataset,
  type GbdtModel,
  type GbdtOptions,
  type GbdtProgress,
  type GbdtStopReason,
  type GbdtTrainResult,
  resolveParams,
} from './gbdt.js';
import type { GbdtTree } from './gbdt-tree.js';
import { makeObjective, OBJECTIVES } from './objectives.js';
import { checkTreeShapCounts } from './treeshap.js';
import { checkColumnOptions, checkFeatures, checkLabels, checkSignal, intOption } from './validate.js';

/** How a native call runs. */
export interface NativeGbdtRun {
  /** Native threads, default 1 (1..256). Results do not depend on it. */
  threads?: number;
}

/** How a native prediction runs: on the CPU (default) or the CUDA device ('cuda' ignores `threads`). */
export interface NativeGbdtPredictRun extends NativeGbdtRun {
  device?: 'cpu' | 'cuda';
}

/**
 * How a native training runs: histograms on the CPU (default) or the CUDA device ('cuda': the
 * rest of training still runs on `threads` CPU threads; needs gradientRounding).
 */
export interface NativeGbdtTrainRun extends NativeGbdtRun {
  device?: 'cpu' | 'cuda';
}

type MlAddon = Required<Pick<NativeAddon, 'gbdtTrain' | 'gbdtPredict' | 'gbdtContributions'>>;

/** Whether the loaded addon has the GBDT kernels, and why not. */
export function nativeGbdtStatus(): { ok: true; path: string } | { ok: false; reason: string } {
  const load = loadAddon();
  if (!load.ok) return { ok: false, reason: load.reason };
  if (typeof load.addon.gbdtTrain !== 'function') {
    return { ok: false, reason: `addon ${load.path} has no GBDT kernels (stale build? run npm run build:native)` };
  }
  return { ok: true, path: load.path };
}

/**
 * Whether GBDT prediction can run on a CUDA device, and why not: the addon must have the GBDT
 * kernels and know `device` (an older build would silently run on the CPU), have been built with
 * CUDA, and see a usable device.
 */
export function nativeGbdtCudaStatus(): { ok: true; device: string } | { ok: false; reason: string } {
  return cudaStatusOf('gbdtPredictDevices', 'prediction');
}

/**
 * Whether GBDT training can build its histograms on a CUDA device, and why not: the same
 * conditions as {@link nativeGbdtCudaStatus}, for an addon whose gbdtTrain knows `device`.
 */
export function nativeGbdtCudaTrainStatus(): { ok: true; device: string } | { ok: false; reason: string } {
  return cudaStatusOf('gbdtTrainDevices', 'training');
}

function cudaStatusOf(
  devices: 'gbdtPredictDevices' | 'gbdtTrainDevices',
  what: string,
): { ok: true; device: string } | { ok: false; reason: string } {
  const load = loadAddon();
  const status = nativeGbdtStatus();
  if (!status.ok || !load.ok) return { ok: false, reason: status.ok ? 'addon not loaded' : status.reason };
  if (!load.addon[devices]?.includes('cuda'))
    return { ok: false, reason: `addon ${load.path} predates the CUDA GBDT ${what} (stale build? run npm run build:native)` };
  const cu = load.addon.info().cuda;
  if (!cu.available) return { ok: false, reason: cu.reason || 'no CUDA device' };
  return { ok: true, device: cu.name ?? 'CUDA device' };
}

/**
 * The coded error for CUDA training without gradient rounding: device histograms add rows in any
 * order, which gives the CPU's sums (and trees) only for rounded gradients.
 */
export function cudaTrainRoundingError(): WaybillError {
  return new WaybillError(
    'KERNEL_UNSUPPORTED',
    'CUDA GBDT training needs gradientRounding: true (the device adds histogram rows in any order, which gives the CPU trees only for rounded gradients); use the native or js backend for gradientRounding: false',
    { field: 'gradientRounding', backend: 'cuda' },
  );
}

function addon(): MlAddon {
  const load = loadAddon();
  const status = nativeGbdtStatus();
  if (!status.ok || !load.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `native GBDT unavailable: ${status.ok ? '' : status.reason}`);
  return load.addon as MlAddon;
}

function threadsOf(run: NativeGbdtRun | undefined): number {
  return intOption('threads', run?.threads, 1, 1, 256);
}

/**
 * The checks of GbdtTrainer's constructor and buildBins, with the same errors (also used by the
 * HTTP route to reject bad input before a training job exists). Returns the resolved parameters.
 */
export function validateGbdtTrain(train: GbdtDataset, options: GbdtOptions) {
  if (typeof train !== 'object' || train === null)
    throw new WaybillError('INVALID_ARGUMENT', 'train must be a dataset', { field: 'train' });
  const params = resolveParams(options);
  const objective = makeObjective(options.objective);
  const labels = checkLabels('train.labels', train.labels);
  objective.checkLabels('train.labels', labels);
  const p = train.numFeatures;
  const n = checkFeatures('train.features', train.features, p, { allowMissing: true, rows: labels.length });
  const isCat = checkColumnOptions(options, p);
  const categorical = isCat.flatMap((c, f) => (c ? [f] : []));
  for (const f of categorical)
    for (let r = 0; r < n; r++) {
      const v = train.features[r * p + f] as number;
      if (!Number.isNaN(v) && !isCategoryCode(v))
        throw new WaybillError('INVALID_ARGUMENT', `feature ${f} is categorical: value ${v} at row ${r} is not an integer code >= 0`, {
          field: 'features',
          index: r * p + f,
          row: r,
          feature: f,
        });
    }
  let valid: GbdtDataset | undefined;
  if (options.valid !== undefined) {
    const v = options.valid;
    const vl = checkLabels('valid.labels', v?.labels);
    objective.checkLabels('valid.labels', vl);
    if (v.numFeatures !== p)
      throw new WaybillError('INVALID_LENGTH', `valid has ${v.numFeatures} features, train has ${p}`, {
        field: 'valid.numFeatures',
        expected: p,
        actual: v.numFeatures,
      });
    checkFeatures('valid.features', v.features, p, { allowMissing: true, rows: vl.length });
    valid = v;
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw new WaybillError('INVALID_ARGUMENT', 'onProgress must be a function', { field: 'onProgress' });
  checkSignal(options.signal);
  return { params, objective, n, p, categorical, valid };
}

/** The device of a training call; 'cuda' needs gradient rounding (else KERNEL_UNSUPPORTED) and a device (else BACKEND_UNAVAILABLE). */
function trainDevice(run: NativeGbdtTrainRun | undefined, gradientRounding: boolean): 'cpu' | 'cuda' {
  const device = run?.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda')
    throw new WaybillError('INVALID_ARGUMENT', `device must be 'cpu' or 'cuda', got ${String(device)}`, { field: 'device' });
  if (device === 'cuda') {
    if (!gradientRounding) throw cudaTrainRoundingError();
    const cuda = nativeGbdtCudaTrainStatus();
    if (!cuda.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA GBDT training unavailable: ${cuda.reason}`, { backend: 'cuda' });
  }
  return device;
}

function addonTrainOptions(train: GbdtDataset, options: GbdtOptions, run: NativeGbdtTrainRun | undefined) {
  const v = validateGbdtTrain(train, options);
  const device = trainDevice(run, v.params.gradientRounding !== false);
  const spec = v.objective.spec;
  const fields: NativeGbdtTrainOptions = {
    features: train.features,
    labels: train.labels,
    rows: v.n,
    numFeatures: v.p,
    objective: OBJECTIVES.indexOf(spec.name),
    alpha: spec.name === 'l1' ? 0.5 : (spec.alpha ?? 0.5),
    tweedieVariancePower: spec.tweedieVariancePower ?? 1.5,
    ...v.params,
    // Sampling more rows than there are is sampling all of them (binning.ts buildBins); the
    // binding takes at most 9e15, the option any safe integer.
    binSampleSize: Math.min(v.params.binSampleSize, Math.max(1, v.n)),
    categoricalFeatures: Int32Array.from(v.categorical),
    threads: threadsOf(run),
  };
  if (device === 'cuda') fields.device = device;
  if (v.valid) {
    fields.validFeatures = v.valid.features;
    fields.validLabels = v.valid.labels;
    fields.validRows = v.valid.labels.length;
  }
  return { fields, v };
}

const STOP_REASONS: readonly GbdtStopReason[] = ['completed', 'early-stopping', 'aborted'];

/** The reference's GbdtTrainResult from the addon's flat output. */
function toTrainResult(
  out: NativeGbdtTrainOutput,
  v: ReturnType<typeof validateGbdtTrain>,
  featureNames: readonly string[] | undefined,
): GbdtTrainResult {
  const { objective, p, params, categorical } = v;
  const hasValid = v.valid !== undefined;
  const trees: GbdtTree[] = [];
  for (let t = 0; t + 1 < out.treeNodes.length; t++) {
    const n0 = out.treeNodes[t] as number;
    const n1 = out.treeNodes[t + 1] as number;
    const l0 = out.treeLeaves[t] as number;
    const l1 = out.treeLeaves[t + 1] as number;
    const catLeft: Array<Int32Array | null> = [];
    for (let i = n0; i < n1; i++)
      catLeft.push(out.categorical[i] ? out.catValues.slice(out.catOffsets[i] as number, out.catOffsets[i + 1] as number) : null);
    trees.push({
      numLeaves: l1 - l0,
      splitFeature: out.splitFeature.slice(n0, n1),
      threshold: out.threshold.slice(n0, n1),
      catLeft,
      defaultLeft: out.defaultLeft.slice(n0, n1),
      leftChild: out.leftChild.slice(n0, n1),
      rightChild: out.rightChild.slice(n0, n1),
      splitGain: out.splitGain.slice(n0, n1),
      internalValue: out.internalValue.slice(n0, n1),
      internalCount: out.internalCount.slice(n0, n1),
      leafValue: out.leafValue.slice(l0, l1),
      leafCount: out.leafCount.slice(l0, l1),
    });
  }
  const model: GbdtModel = {
    objective: objective.spec,
    numFeatures: p,
    categoricalFeatures: [...categorical],
    initScore: out.initScore,
    trees,
    params: { ...params },
  };
  if (featureNames) model.featureNames = [...featureNames];
  const result: GbdtTrainResult = {
    model,
    iterations: out.iterations,
    bestIteration: out.bestIteration,
    stopReason: STOP_REASONS[out.stopReason] ?? 'completed',
    trainLoss: out.trainLoss,
  };
  if (hasValid) result.validLoss = out.validLoss ?? new Float64Array(0);
  return result;
}

function progressOf(buf: Float64Array, hasValid: boolean): GbdtProgress {
  const base = { iteration: buf[0] as number, trainLoss: buf[1] as number, bestIteration: buf[3] as number };
  return hasValid ? { ...base, validLoss: buf[2] as number } : base;
}

/**
 * Trains a GBDT model on the C++ core (same options and result as {@link trainGbdt} /
 * trainGbdtAsync; `signal` stops training between trees, keeping the best model so far).
 * `device: 'cuda'` builds the large histograms on the CUDA device: the same model, bit for bit.
 */
export async function nativeTrainGbdt(train: GbdtDataset, options: GbdtOptions & NativeGbdtTrainRun = {}): Promise<GbdtTrainResult> {
  const { fields, v } = addonTrainOptions(train, options, options);
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const progress = new Float64Array(4);
  const onAbort = () => Atomics.store(cancel, 0, 1);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort);
  const onProgress = options.onProgress;
  let reported = 0;
  const report = () => {
    const it = progress[0] as number;
    if (onProgress && it > reported) {
      reported = it;
      onProgress(progressOf(progress, v.valid !== undefined));
    }
  };
  const timer = onProgress ? setInterval(report, 25) : undefined;
  try {
    const out = await addon().gbdtTrain({ ...fields, cancel, progress });
    report();
    return toTrainResult(out, v, options.featureNames);
  } finally {
    if (timer) clearInterval(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** {@link nativeTrainGbdt} on the calling thread (blocks it; for pool workers and benchmarks). */
export function nativeTrainGbdtSync(train: GbdtDataset, options: GbdtOptions & NativeGbdtTrainRun = {}): GbdtTrainResult {
  const { fields, v } = addonTrainOptions(train, options, options);
  const cancel = new Int32Array(1);
  if (options.signal?.aborted) cancel[0] = 1;
  const progress = new Float64Array(4);
  const out = addon().gbdtTrain({ ...fields, cancel, progress, sync: true }) as NativeGbdtTrainOutput;
  if (options.onProgress && (progress[0] as number) > 0) options.onProgress(progressOf(progress, v.valid !== undefined));
  return toTrainResult(out, v, options.featureNames);
}

const flatCache = new WeakMap<GbdtModel, NativeGbdtForest>();

/** The model's trees as the addon's flat arrays (cached per model object; models are treated as immutable). */
function flatForest(model: GbdtModel): NativeGbdtForest {
  const hit = flatCache.get(model);
  if (hit) return hit;
  const T = model.trees.length;
  const treeNodes = new Int32Array(T + 1);
  const treeLeaves = new Int32Array(T + 1);
  let cats = 0;
  model.trees.forEach((t, i) => {
    treeNodes[i + 1] = (treeNodes[i] as number) + t.numLeaves - 1;
    treeLeaves[i + 1] = (treeLeaves[i] as number) + t.numLeaves;
    for (const c of t.catLeft) cats += c ? c.length : 0;
  });
  const nodes = treeNodes[T] as number;
  const f: NativeGbdtForest = {
    treeNodes,
    treeLeaves,
    splitFeature: new Int32Array(nodes),
    threshold: new Float64Array(nodes),
    defaultLeft: new Uint8Array(nodes),
    categorical: new Uint8Array(nodes),
    leftChild: new Int32Array(nodes),
    rightChild: new Int32Array(nodes),
    internalValue: new Float64Array(nodes),
    internalCount: new Float64Array(nodes),
    leafCount: new Float64Array(treeLeaves[T] as number),
    catOffsets: new Int32Array(nodes + 1),
    catValues: new Int32Array(cats),
    leafValue: new Float64Array(treeLeaves[T] as number),
    initScore: model.initScore,
    numFeatures: model.numFeatures,
  };
  let c = 0;
  model.trees.forEach((t, i) => {
    const n0 = treeNodes[i] as number;
    f.splitFeature.set(t.splitFeature, n0);
    f.threshold.set(t.threshold, n0);
    f.defaultLeft.set(t.defaultLeft, n0);
    f.leftChild.set(t.leftChild, n0);
    f.rightChild.set(t.rightChild, n0);
    f.internalValue.set(t.internalValue, n0);
    f.internalCount?.set(t.internalCount, n0);
    f.leafValue.set(t.leafValue, treeLeaves[i] as number);
    f.leafCount?.set(t.leafCount, treeLeaves[i] as number);
    t.catLeft.forEach((cl, k) => {
      if (cl) {
        f.categorical[n0 + k] = 1;
        f.catValues.set(cl, c);
        c += cl.length;
      }
      f.catOffsets[n0 + k + 1] = c;
    });
  });
  flatCache.set(model, f);
  return f;
}

function predictFields(model: GbdtModel, features: Float64Array, numFeatures: number, numIterations: number | undefined) {
  if (numFeatures !== model.numFeatures)
    throw new WaybillError('INVALID_LENGTH', `the model was trained on ${model.numFeatures} features, got ${numFeatures}`, {
      field: 'numFeatures',
      expected: model.numFeatures,
      actual: numFeatures,
    });
  const rows = checkFeatures('features', features, numFeatures, { allowMissing: true, allowEmpty: true });
  const numTrees = intOption('numIterations', numIterations, model.trees.length, 0, model.trees.length);
  return { ...flatForest(model), numTrees, features, rows };
}

/** The device fields of a predict call; 'cuda' without a usable device fails with the reason. */
function deviceFields(options: NativeGbdtPredictRun): { device: 'cpu' | 'cuda'; threads: number } {
  const device = options.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda')
    throw new WaybillError('INVALID_ARGUMENT', `device must be 'cpu' or 'cuda', got ${String(device)}`, { field: 'device' });
  if (device === 'cuda') {
    const cuda = nativeGbdtCudaStatus();
    if (!cuda.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA GBDT prediction unavailable: ${cuda.reason}`, { backend: 'cuda' });
    return { device, threads: 1 };
  }
  return { device, threads: threadsOf(options) };
}

/**
 * Native {@link gbdtPredict}: response scale, or the margin with `raw`; the first `numIterations`
 * trees. `device: 'cuda'` runs on the CUDA device with the same result, bit for bit.
 */
export async function nativeGbdtPredict(
  model: GbdtModel,
  features: Float64Array,
  numFeatures: number,
  options: { raw?: boolean; numIterations?: number } & NativeGbdtPredictRun = {},
): Promise<Float64Array> {
  const fields = predictFields(model, features, numFeatures, options.numIterations);
  const run = deviceFields(options);
  const out = new Float64Array(fields.rows);
  const objective = OBJECTIVES.indexOf(makeObjective(model.objective).spec.name);
  await addon().gbdtPredict({ ...fields, objective, transform: !options.raw, out, ...run });
  return out;
}

/** {@link nativeGbdtPredict} on the calling thread. */
export function nativeGbdtPredictSync(
  model: GbdtModel,
  features: Float64Array,
  numFeatures: number,
  options: { raw?: boolean; numIterations?: number } & NativeGbdtPredictRun = {},
): Float64Array {
  const fields = predictFields(model, features, numFeatures, options.numIterations);
  const run = deviceFields(options);
  const out = new Float64Array(fields.rows);
  const objective = OBJECTIVES.indexOf(makeObjective(model.objective).spec.name);
  addon().gbdtPredict({ ...fields, objective, transform: !options.raw, out, ...run, sync: true });
  return out;
}

/** Whether the loaded addon computes TreeSHAP contributions (an older build has Saabas only). */
export function nativeTreeShapAvailable(): boolean {
  const load = loadAddon();
  return nativeGbdtStatus().ok && load.ok && (load.addon.gbdtContributionMethods?.includes('treeshap') ?? false);
}

/**
 * Native {@link gbdtContributions}: rows x (numFeatures + 1), the last column the bias; method
 * 'saabas' (default) or 'treeshap' (KERNEL_UNSUPPORTED on an addon without it: nativeTreeShapAvailable).
 */
export async function nativeGbdtContributions(
  model: GbdtModel,
  features: Float64Array,
  numFeatures: number,
  options: { numIterations?: number; method?: ContributionMethod } & NativeGbdtRun = {},
): Promise<Float64Array> {
  const method = contributionMethod(options.method);
  if (method === 'treeshap' && !nativeTreeShapAvailable())
    throw new WaybillError('KERNEL_UNSUPPORTED', 'this native addon has no TreeSHAP (rebuild it: npm run build:native)', {
      field: 'method',
    });
  const fields = predictFields(model, features, numFeatures, options.numIterations);
  if (method === 'treeshap') checkTreeShapCounts(model.trees, fields.numTrees);
  const out = new Float64Array(fields.rows * (numFeatures + 1));
  await addon().gbdtContributions({ ...fields, out, threads: threadsOf(options), ...(method === 'treeshap' ? { method } : {}) });
  return out;
}
