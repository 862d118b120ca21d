/**
 * TensorFlow.js for the "deep" tabular alternative: backend selection and a small MLP with
 * embeddings for categorical columns.
 *
 * Backends, tried in this order (from `prefer` on; TensorFlow.js keeps one global backend per
 * process, so this module remembers what it found):
 * 1. `tfjs-node-gpu`, then `tfjs-node` (libtensorflow bindings): used when the package can be
 *    imported. They are not dependencies of Waybill (their install downloads native binaries);
 *    when absent the report says so.
 * 2. `tfjs-wasm` (@tensorflow/tfjs-backend-wasm, a dependency): the .wasm binaries are read from
 *    the package's dist/ folder on disk (setWasmPaths with a file path), SIMD when the runtime
 *    has it.
 * 3. `tfjs-cpu`: plain JavaScript kernels, always present; the report carries why wasm failed.
 *
 * The MLP (trainTabularMlp): numeric columns standardised with the training mean and standard
 * deviation (missing -> 0, plus a 0/1 "was missing" input for every numeric column with missing
 * training values); each categorical column (integer codes) an embedding of
 * min(maxEmbeddingDim, ceil(sqrt(K)) + 1) units over its K training codes plus one row for
 * missing / unseen codes (a one-hot x table layer, see OneHotEmbedding); then dense ReLU layers (default 64, 32) and one output (linear on the
 * standardised label for l2; sigmoid for logistic). Adam, mini-batches in a seeded order, weights
 * initialised from the seed; after every epoch the validation loss (MSE on the label's scale, or
 * log loss) is measured and the best weights so far are kept; training stops after `patience`
 * epochs without strict improvement, at `epochs`, or when the signal is aborted, and the model
 * ends with the best weights. Without a validation set (validFraction 0) it trains all epochs.
 * saveTabularMlp / loadTabularMlp (mlp-artifact.ts) store a model as versioned JSON; both build
 * the network through buildMlpNetwork, so a loaded model is the same graph with the same weights.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { WaybillError } from '../../errors.js';
import type { GbdtDataset } from './gbdt.js';
import { mulberry32 } from './random.js';
import {
  checkBinaryLabels,
  checkCallback,
  checkColumnOptions,
  checkFeatures,
  checkLabels,
  checkSignal,
  intOption,
  numOption,
} from './validate.js';

type Tf = typeof import('@tensorflow/tfjs');
type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Tensor = import('@tensorflow/tfjs').Tensor;
type SymbolicTensor = import('@tensorflow/tfjs').SymbolicTensor;

/** A TensorFlow.js backend as Waybill reports it. */
export type TfjsBackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs-wasm' | 'tfjs-cpu';
/** Where selection starts: 'auto' = node-gpu, then node, wasm, cpu. */
export type TfjsBackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

export interface TfjsBackendReport {
  /** The backend that runs. */
  backend: TfjsBackendName;
  /** TensorFlow.js's own name for it (tf.getBackend()): tensorflow, wasm or cpu. */
  tfBackend: string;
  /** @tensorflow/tfjs version. */
  version: string;
  /** Every backend tried, in order, with the reason for each one that is unavailable. */
  attempts: Array<{ backend: TfjsBackendName; ok: boolean; reason?: string }>;
  /** wasm only: the folder the .wasm files came from and the runtime's SIMD / threads support. */
  wasm?: { path: string; simd: boolean; threads: boolean };
}

const ORDER: readonly TfjsBackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu'];
const CHOICES: Record<TfjsBackendChoice, TfjsBackendName> = {
  auto: 'tfjs-node-gpu',
  'node-gpu': 'tfjs-node-gpu',
  node: 'tfjs-node',
  wasm: 'tfjs-wasm',
  cpu: 'tfjs-cpu',
};
const NODE_PACKAGES: Partial<Record<TfjsBackendName, string>> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
};
const TF_NAMES: Record<TfjsBackendName, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  'tfjs-wasm': 'wasm',
  'tfjs-cpu': 'cpu',
};

/** A CommonJS package imported from ESM: the exports object is `default`. */
function interop<T>(mod: T & { default?: T }): T {
  return mod.default !== undefined && typeof mod.default === 'object' ? mod.default : mod;
}

let tfPromise: Promise<Tf> | undefined;
/** The @tensorflow/tfjs namespace (imported on first use: it takes ~1 s). */
export function loadTf(): Promise<Tf> {
  tfPromise ??= import('@tensorflow/tfjs').then((m) => {
    const tf = interop(m as Tf & { default?: Tf });
    // Quiet TensorFlow.js's console hints ("install the node backend") without hiding our errors.
    tf.env().set('PROD', true);
    return tf;
  });
  return tfPromise;
}

/** Runs `fn`, collecting what TensorFlow.js prints with console.warn meanwhile (its init errors). */
async function captureWarnings<T>(tf: Tf, fn: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', false);
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  try {
    return { value: await fn(), warnings };
  } finally {
    console.warn = original;
    tf.env().set('PROD', prod);
  }
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? s).trim();
}

let wasmInit: Promise<{ ok: true; path: string } | { ok: false; reason: string }> | undefined;
async function initWasm(tf: Tf): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  wasmInit ??= (async () => {
    let path: string;
    try {
      const require = createRequire(import.meta.url);
      path = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + sep;
    } catch (err) {
      return { ok: false, reason: `@tensorflow/tfjs-backend-wasm is not installed: ${firstLine((err as Error).message)}` };
    }
    const missing = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'].filter((f) => !existsSync(join(path, f)));
    if (missing.length > 0) return { ok: false, reason: `${missing.join(', ')} not found in ${path}` };
    try {
      const wasm = interop((await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(path);
    } catch (err) {
      return { ok: false, reason: `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine((err as Error).message)}` };
    }
    // The Emscripten module adds process-wide uncaughtException / unhandledRejection listeners
    // that rethrow; take them off again so the host (server, test runner) keeps its own handling.
    const before = {
      uncaughtException: new Set(process.listeners('uncaughtException')),
      unhandledRejection: new Set(process.listeners('unhandledRejection')),
    };
    const { value, warnings } = await captureWarnings(tf, () => tf.setBackend('wasm'));
    for (const l of process.listeners('uncaughtException'))
      if (!before.uncaughtException.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection'))
      if (!before.unhandledRejection.has(l)) process.removeListener('unhandledRejection', l);
    if (!value) {
      const why = warnings.filter((w) => !w.startsWith('Initialization of backend')).map(firstLine)[0];
      return { ok: false, reason: `the wasm backend failed to initialise${why ? `: ${why}` : ''}` };
    }
    return { ok: true, path };
  })();
  return wasmInit;
}

const nodeImports = new Map<string, Promise<{ ok: true } | { ok: false; reason: string }>>();
function importNodeBackend(pkg: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  let p = nodeImports.get(pkg);
  if (!p) {
    p = (async () => {
      try {
        // A variable specifier: the package is optional and absent from package.json on purpose.
        const name: string = pkg;
        await import(name);
        return { ok: true as const };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')
          return { ok: false as const, reason: `${pkg} is not installed (optional; its install downloads libtensorflow binaries)` };
        return { ok: false as const, reason: `${pkg} is installed but failed to load: ${firstLine(e.message ?? String(err))}` };
      }
    })();
    nodeImports.set(pkg, p);
  }
  return p;
}

const reports = new Map<TfjsBackendChoice, Promise<TfjsBackendReport>>();

/**
 * Selects the TensorFlow.js backend (see the file comment for the order) and makes it the
 * current one; returns what runs and why the others before it did not.
 */
export async function selectTfjsBackend(prefer: TfjsBackendChoice = 'auto'): Promise<TfjsBackendReport> {
  if (!(prefer in CHOICES))
    throw new WaybillError('INVALID_ARGUMENT', `prefer must be one of ${Object.keys(CHOICES).join(', ')}, got ${String(prefer)}`, {
      field: 'prefer',
    });
  let report = reports.get(prefer);
  if (!report) {
    report = (async () => {
      const tf = await loadTf();
      const attempts: TfjsBackendReport['attempts'] = [];
      for (const name of ORDER.slice(ORDER.indexOf(CHOICES[prefer]))) {
        let result: { ok: true; path?: string } | { ok: false; reason: string };
        const pkg = NODE_PACKAGES[name];
        if (pkg) {
          result = await importNodeBackend(pkg);
          if (result.ok && !(await tf.setBackend('tensorflow')))
            result = { ok: false, reason: `${pkg} loaded but the tensorflow backend did not initialise` };
        } else if (name === 'tfjs-wasm') result = await initWasm(tf);
        else result = (await tf.setBackend('cpu')) ? { ok: true } : { ok: false, reason: 'the cpu backend did not initialise' };
        if (!result.ok) {
          attempts.push({ backend: name, ok: false, reason: result.reason });
          continue;
        }
        attempts.push({ backend: name, ok: true });
        const out: TfjsBackendReport = { backend: name, tfBackend: tf.getBackend(), version: tf.version.tfjs, attempts };
        if (name === 'tfjs-wasm' && 'path' in result && result.path)
          out.wasm = {
            path: result.path,
            simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
            threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
          };
        return out;
      }
      throw new WaybillError('BACKEND_UNAVAILABLE', 'no TensorFlow.js backend could be initialised', { attempts });
    })();
    reports.set(prefer, report);
    report.catch(() => reports.delete(prefer));
  }
  const r = await report;
  // Another caller may have switched the global backend since; switch back (cheap once initialised).
  const tf = await loadTf();
  if (tf.getBackend() !== TF_NAMES[r.backend]) await tf.setBackend(TF_NAMES[r.backend]);
  return { ...r, attempts: r.attempts.map((a) => ({ ...a })) };
}

export interface MlpProgress {
  /** Epochs done (1-based). */
  epoch: number;
  /** Mean training loss of the epoch (the network's loss: MSE of the standardised label, or log loss). */
  trainLoss: number;
  /** Validation loss: MSE on the label's scale (l2) or log loss (logistic). */
  validLoss?: number;
  bestEpoch: number;
}

export interface MlpTrainOptions {
  /** 'l2' (regression, default) or 'logistic' (0/1 labels). */
  objective?: 'l2' | 'logistic';
  /** Indices of categorical features (integer codes >= 0, NaN = missing). */
  categoricalFeatures?: readonly number[];
  featureNames?: readonly string[];
  /** Units of the hidden ReLU layers; default [64, 32]. */
  hiddenUnits?: readonly number[];
  /** Largest embedding width; default 16. */
  maxEmbeddingDim?: number;
  /** Epochs at most; default 100. */
  epochs?: number;
  /** Rows per mini-batch; default 256. */
  batchSize?: number;
  /** Adam step size; default 0.003. */
  learningRate?: number;
  /** Validation rows (else `validFraction` of the training rows, drawn with the seed). */
  valid?: GbdtDataset;
  /** Share of training rows held out for early stopping when `valid` is absent; default 0.2 (0 = none). */
  validFraction?: number;
  /** Epochs without validation improvement before stopping; default 10. */
  patience?: number;
  /** Seed of the weight initialisers, the validation split and the batch order; default 0. */
  seed?: number;
  /** Backend selection start; default 'auto'. */
  prefer?: TfjsBackendChoice;
  onProgress?: (p: MlpProgress) => void;
  signal?: AbortSignal;
}

export interface MlpModel {
  format: 'waybill-mlp';
  objective: 'l2' | 'logistic';
  numFeatures: number;
  featureNames?: string[];
  /** Numeric feature indices, in network input order, with their standardisation. */
  numericFeatures: number[];
  numericMean: Float64Array;
  numericStd: Float64Array;
  /** Numeric features (subset of numericFeatures) that get a missing-indicator input. */
  missingIndicators: number[];
  categoricalFeatures: number[];
  /** Per categorical feature: its training codes; code categories[k][j] -> embedding row j + 1. */
  categories: number[][];
  /** l2: the label's training mean and standard deviation (the network predicts the z-score). */
  labelMean: number;
  labelStd: number;
  /** Units of the hidden ReLU layers. */
  hiddenUnits: number[];
  /** Embedding width per categorical feature. */
  embeddingDims: number[];
  network: LayersModel;
  /** The backend it was trained on. */
  backend: TfjsBackendName;
}

export interface MlpTrainResult {
  model: MlpModel;
  epochs: number;
  bestEpoch: number;
  stopReason: 'completed' | 'early-stopping' | 'aborted';
  trainLoss: Float64Array;
  validLoss?: Float64Array;
  backend: TfjsBackendName;
  backendReport: TfjsBackendReport;
  timings: { totalMs: number };
}

type OneHotEmbeddingArgs = { inputDim: number; outputDim: number; seed: number; name: string };
let oneHotEmbedding: (new (args: OneHotEmbeddingArgs) => import('@tensorflow/tfjs').layers.Layer) | undefined;

/**
 * An embedding as one-hot codes times a (inputDim x outputDim) table: the same function and
 * gradient as tf.layers.embedding, but built from OneHot and MatMul, which every backend has
 * (the wasm backend lacks UnsortedSegmentSum, which the Embedding layer's gather gradient needs).
 * Input: rows x 1 codes in [0, inputDim); output: rows x outputDim.
 */
function oneHotEmbeddingClass(tf: Tf): new (args: OneHotEmbeddingArgs) => import('@tensorflow/tfjs').layers.Layer {
  if (oneHotEmbedding) return oneHotEmbedding;
  class OneHotEmbedding extends tf.layers.Layer {
    static readonly className = 'WaybillOneHotEmbedding';
    private readonly inputDim: number;
    private readonly outputDim: number;
    private readonly seed: number;
    private variable: { read(): Tensor } | undefined;

    constructor(args: OneHotEmbeddingArgs) {
      super({ name: args.name });
      this.inputDim = args.inputDim;
      this.outputDim = args.outputDim;
      this.seed = args.seed;
    }

    override build(): void {
      this.variable = this.addWeight(
        'embeddings',
        [this.inputDim, this.outputDim],
        'float32',
        tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }),
      );
      this.built = true;
    }

    override computeOutputShape(inputShape: import('@tensorflow/tfjs').Shape | import('@tensorflow/tfjs').Shape[]) {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as import('@tensorflow/tfjs').Shape;
      return [shape[0] ?? null, this.outputDim];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? (inputs[0] as Tensor) : inputs;
        const codes = tf.cast(tf.reshape(x, [-1]), 'int32') as import('@tensorflow/tfjs').Tensor1D;
        const table = (this.variable as { read(): Tensor }).read() as import('@tensorflow/tfjs').Tensor2D;
        return tf.matMul(tf.oneHot(codes, this.inputDim), table);
      });
    }

    override getConfig() {
      return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, seed: this.seed };
    }
  }
  tf.serialization.registerClass(OneHotEmbedding as never);
  oneHotEmbedding = OneHotEmbedding as never;
  return OneHotEmbedding as never;
}

/** Seeded Fisher–Yates permutation of 0..n-1. */
function permutation(n: number, rng: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

type Encoded = { numeric: Float32Array; numericWidth: number; codes: Float32Array[]; rows: number };

/** Network inputs for the given rows (all rows when `rows` is undefined). */
function encode(
  model: Omit<MlpModel, 'network' | 'backend' | 'hiddenUnits' | 'embeddingDims'>,
  features: Float64Array,
  rows?: Int32Array,
): Encoded {
  const p = model.numFeatures;
  const n = rows ? rows.length : features.length / p;
  const width = model.numericFeatures.length + model.missingIndicators.length;
  const numeric = new Float32Array(n * width);
  const codeMaps = model.categories.map((cats) => new Map(cats.map((c, j) => [c, j + 1])));
  const codes = model.categoricalFeatures.map(() => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    const base = (rows ? (rows[i] as number) : i) * p;
    let k = 0;
    model.numericFeatures.forEach((f, j) => {
      const v = features[base + f] as number;
      numeric[i * width + k++] = Number.isNaN(v) ? 0 : (v - (model.numericMean[j] as number)) / (model.numericStd[j] as number);
    });
    for (const f of model.missingIndicators) numeric[i * width + k++] = Number.isNaN(features[base + f] as number) ? 1 : 0;
    model.categoricalFeatures.forEach((f, j) => {
      (codes[j] as Float32Array)[i] = (codeMaps[j] as Map<number, number>).get(features[base + f] as number) ?? 0;
    });
  }
  return { numeric, numericWidth: width, codes, rows: n };
}

function toTensors(tf: Tf, e: Encoded): Tensor[] {
  const out: Tensor[] = [];
  if (e.numericWidth > 0) out.push(tf.tensor2d(e.numeric, [e.rows, e.numericWidth]));
  for (const c of e.codes) out.push(tf.tensor2d(c, [e.rows, 1]));
  return out;
}

async function predictEncoded(tf: Tf, network: LayersModel, e: Encoded): Promise<Float32Array> {
  const inputs = toTensors(tf, e);
  const y = network.predict(inputs, { batchSize: 8192 }) as Tensor;
  const data = (await y.data()) as Float32Array;
  tf.dispose([...inputs, y]);
  return data;
}

function lossOn(objective: 'l2' | 'logistic', labels: ArrayLike<number>, rows: Int32Array, raw: Float32Array, model: MlpModel): number {
  let s = 0;
  for (let i = 0; i < rows.length; i++) {
    const y = labels[rows[i] as number] as number;
    if (objective === 'l2') {
      const f = (raw[i] as number) * model.labelStd + model.labelMean;
      s += (y - f) ** 2;
    } else {
      const q = Math.min(Math.max(raw[i] as number, 1e-7), 1 - 1e-7);
      s -= y === 1 ? Math.log(q) : Math.log(1 - q);
    }
  }
  return s / rows.length;
}

/** The layer sizes of an MLP: everything besides the preprocessing that its weights' shapes depend on. */
export interface MlpArchitecture {
  /** Units of the hidden ReLU layers, in order. */
  hiddenUnits: number[];
  /** Embedding width per categorical feature (same order as `categoricalFeatures`). */
  embeddingDims: number[];
}

/**
 * Builds the (uncompiled) network of an MLP: input `numeric` (numeric columns, then missing
 * indicators) and one input `cat_<f>` per categorical feature, embeddings `embedding_<f>` with
 * categories[j].length + 1 rows, dense ReLU layers `hidden_<i>`, then `output` (sigmoid for
 * logistic, else linear). Initialisers are seeded in that order from `seed`; trainTabularMlp and
 * loadTabularMlp (mlp-artifact.ts) both build through here, so a saved model's weights fit the
 * rebuilt graph one to one, in `network.weights` order.
 */
export function buildMlpNetwork(
  tf: Tf,
  spec: Pick<MlpModel, 'objective' | 'numericFeatures' | 'missingIndicators' | 'categoricalFeatures' | 'categories'>,
  architecture: MlpArchitecture,
  seed: number,
): LayersModel {
  const OneHotEmbedding = oneHotEmbeddingClass(tf);
  let init = seed;
  const glorot = () => tf.initializers.glorotUniform({ seed: init++ });
  const inputs: SymbolicTensor[] = [];
  const parts: SymbolicTensor[] = [];
  const numericWidth = spec.numericFeatures.length + spec.missingIndicators.length;
  if (numericWidth > 0) {
    const x = tf.input({ shape: [numericWidth], name: 'numeric' });
    inputs.push(x);
    parts.push(x);
  }
  spec.categoricalFeatures.forEach((f, j) => {
    const k = (spec.categories[j] as number[]).length;
    const x = tf.input({ shape: [1], name: `cat_${f}` });
    inputs.push(x);
    const dim = architecture.embeddingDims[j] as number;
    parts.push(new OneHotEmbedding({ inputDim: k + 1, outputDim: dim, seed: init++, name: `embedding_${f}` }).apply(x) as SymbolicTensor);
  });
  let h = parts.length === 1 ? (parts[0] as SymbolicTensor) : (tf.layers.concatenate().apply(parts) as SymbolicTensor);
  architecture.hiddenUnits.forEach((units, i) => {
    h = tf.layers
      .dense({ units, activation: 'relu', kernelInitializer: glorot(), biasInitializer: 'zeros', name: `hidden_${i}` })
      .apply(h) as SymbolicTensor;
  });
  const out = tf.layers
    .dense({ units: 1, activation: spec.objective === 'logistic' ? 'sigmoid' : 'linear', kernelInitializer: glorot(), name: 'output' })
    .apply(h) as SymbolicTensor;
  return tf.model({ inputs, outputs: out });
}

/**
 * The most weights (embeddings, dense kernels and biases) a trained MLP may have: 2^25, 128 MiB
 * of float32 (Adam keeps two more copies), e.g. hiddenUnits [4096, 4096] on a few inputs.
 */
export const MAX_MLP_WEIGHTS = 2 ** 25;

/** Trains the tabular MLP (see the file comment) on rows x numFeatures features (NaN = missing). */
export async function trainTabularMlp(train: GbdtDataset, options: MlpTrainOptions = {}): Promise<MlpTrainResult> {
  const t0 = performance.now();
  if (typeof train !== 'object' || train === null)
    throw new WaybillError('INVALID_ARGUMENT', 'train must be a dataset', { field: 'train' });
  const objective = options.objective ?? 'l2';
  if (objective !== 'l2' && objective !== 'logistic')
    throw new WaybillError('INVALID_ARGUMENT', `objective must be l2 or logistic, got ${String(objective)}`, { field: 'objective' });
  const labelsIn = checkLabels('train.labels', train.labels);
  if (objective === 'logistic') checkBinaryLabels('train.labels', labelsIn);
  const p = train.numFeatures;
  const nIn = checkFeatures('train.features', train.features, p, { allowMissing: true, rows: labelsIn.length });
  const hidden = options.hiddenUnits ?? [64, 32];
  if (!Array.isArray(hidden) || hidden.some((u) => !Number.isInteger(u) || u < 1 || u > 65536))
    throw new WaybillError('INVALID_ARGUMENT', 'hiddenUnits must be positive integers', { field: 'hiddenUnits' });
  const maxEmbeddingDim = intOption('maxEmbeddingDim', options.maxEmbeddingDim, 16, 1, 1024);
  const epochs = intOption('epochs', options.epochs, 100, 1);
  const batchSize = intOption('batchSize', options.batchSize, 256, 1);
  const learningRate = numOption('learningRate', options.learningRate, 0.003, 0, 10, true);
  const validFraction = numOption('validFraction', options.validFraction, 0.2, 0, 1, false, true);
  const patience = intOption('patience', options.patience, 10, 1);
  const seed = intOption('seed', options.seed, 0, 0, 4294967295);
  const isCat = checkColumnOptions(options, p);
  checkSignal(options.signal);
  checkCallback('onProgress', options.onProgress);

  // Rows: one combined table (training rows, then a given validation set) indexed by row lists.
  const rng = mulberry32(seed);
  let features = train.features;
  let labels = labelsIn;
  let trainRows: Int32Array;
  let validRows: Int32Array;
  if (options.valid !== undefined) {
    const v = options.valid;
    const vl = checkLabels('valid.labels', v?.labels);
    if (objective === 'logistic') checkBinaryLabels('valid.labels', vl);
    if (v.numFeatures !== p)
      throw new WaybillError('INVALID_LENGTH', `valid has ${v.numFeatures} features, train has ${p}`, {
        field: 'valid.numFeatures',
        expected: p,
        actual: v.numFeatures,
      });
    const nv = checkFeatures('valid.features', v.features, p, { allowMissing: true, rows: vl.length });
    features = new Float64Array((nIn + nv) * p);
    features.set(train.features);
    features.set(v.features, nIn * p);
    labels = new Float64Array(nIn + nv);
    labels.set(labelsIn);
    labels.set(vl, nIn);
    trainRows = Int32Array.from({ length: nIn }, (_, i) => i);
    validRows = Int32Array.from({ length: nv }, (_, i) => nIn + i);
  } else {
    const perm = permutation(nIn, rng);
    const nv = Math.min(nIn - 1, Math.round(validFraction * nIn));
    trainRows = perm.slice(0, nIn - nv).sort();
    validRows = perm.slice(nIn - nv).sort();
  }
  const n = trainRows.length;

  // Standardisation and category tables from the training rows only.
  const numericFeatures: number[] = [];
  const categoricalFeatures: number[] = [];
  for (let f = 0; f < p; f++) (isCat[f] ? categoricalFeatures : numericFeatures).push(f);
  const numericMean = new Float64Array(numericFeatures.length);
  const numericStd = new Float64Array(numericFeatures.length);
  const missingIndicators: number[] = [];
  numericFeatures.forEach((f, j) => {
    let s = 0;
    let c = 0;
    for (const r of trainRows) {
      const v = features[r * p + f] as number;
      if (Number.isNaN(v)) continue;
      s += v;
      c++;
    }
    let mean = c > 0 ? s / c : 0;
    if (!Number.isFinite(mean)) {
      // The sum overflowed (values near 1e308): the mean of v / c instead.
      mean = 0;
      for (const r of trainRows) {
        const v = features[r * p + f] as number;
        if (!Number.isNaN(v)) mean += v / c;
      }
    }
    // Two passes, each deviation scaled by the largest: the one-pass s2 / c - mean^2 overflowed
    // to NaN beyond 1e154 (NaN weights after training) and cancelled to 0 on large, tightly
    // clustered values (their z-scores then overflowed float32).
    let big = 0;
    for (const r of trainRows) {
      const v = features[r * p + f] as number;
      if (!Number.isNaN(v)) big = Math.max(big, Math.abs(v - mean));
    }
    if (!Number.isFinite(big))
      throw new WaybillError('INVALID_ARGUMENT', `feature ${f} spans more than the float64 range: rescale it`, {
        field: 'train.features',
        feature: f,
      });
    let ss = 0;
    if (big > 0)
      for (const r of trainRows) {
        const v = features[r * p + f] as number;
        if (!Number.isNaN(v)) ss += ((v - mean) / big) ** 2;
      }
    const sd = c > 1 ? big * Math.sqrt(ss / c) : 0;
    numericMean[j] = mean;
    numericStd[j] = sd > 0 ? sd : 1;
    if (c < n) missingIndicators.push(f);
  });
  const categories = categoricalFeatures.map((f) => {
    const seen = new Set<number>();
    for (const r of trainRows) {
      const v = features[r * p + f] as number;
      if (Number.isNaN(v)) continue;
      if (!Number.isInteger(v) || v < 0)
        throw new WaybillError('INVALID_ARGUMENT', `feature ${f} is categorical but row ${r} holds ${v}: use integer codes >= 0`, {
          field: 'features',
          row: r,
          feature: f,
        });
      seen.add(v);
    }
    return [...seen].sort((a, b) => a - b);
  });
  let labelMean = 0;
  let labelStd = 1;
  if (objective === 'l2') {
    let s = 0;
    for (const r of trainRows) s += labels[r] as number;
    labelMean = s / n;
    let s2 = 0;
    for (const r of trainRows) s2 += ((labels[r] as number) - labelMean) ** 2;
    const sd = Math.sqrt(s2 / n);
    labelStd = sd > 0 ? sd : 1;
  }

  const backendReport = await selectTfjsBackend(options.prefer ?? 'auto');
  const tf = await loadTf();
  const spec = {
    format: 'waybill-mlp' as const,
    objective,
    numFeatures: p,
    numericFeatures,
    numericMean,
    numericStd,
    missingIndicators,
    categoricalFeatures,
    categories,
    labelMean,
    labelStd,
  };

  // The network, within MAX_MLP_WEIGHTS (hiddenUnits [65536, 65536] asked for 2^32 float32
  // weights: a RangeError from TensorFlow.js after the data had been prepared).
  const embeddingDims = categories.map((cats) => Math.min(maxEmbeddingDim, Math.ceil(Math.sqrt(cats.length)) + 1));
  let width = numericFeatures.length + missingIndicators.length + embeddingDims.reduce((a, d) => a + d, 0);
  let weights = categories.reduce((a, cats, j) => a + (cats.length + 1) * (embeddingDims[j] as number), 0);
  for (const units of [...hidden, 1]) {
    weights += (width + 1) * units;
    width = units;
  }
  if (weights > MAX_MLP_WEIGHTS)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `the network would have ${weights} weights, more than ${MAX_MLP_WEIGHTS}: use fewer hiddenUnits`,
      {
        field: 'hiddenUnits',
        weights,
        limit: MAX_MLP_WEIGHTS,
      },
    );
  const network = buildMlpNetwork(tf, spec, { hiddenUnits: [...hidden], embeddingDims }, seed);
  network.compile({
    optimizer: tf.train.adam(learningRate),
    loss: objective === 'logistic' ? 'binaryCrossentropy' : 'meanSquaredError',
  });
  const model: MlpModel = { ...spec, hiddenUnits: [...hidden], embeddingDims, network, backend: backendReport.backend };
  if (options.featureNames) model.featureNames = [...options.featureNames];

  const target = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) target[i] = ((labels[i] as number) - labelMean) / labelStd;
  const validEncoded = validRows.length > 0 ? encode(spec, features, validRows) : undefined;
  const trainLoss: number[] = [];
  const validLoss: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let bestWeights: Tensor[] | undefined;
  let stopReason: MlpTrainResult['stopReason'] = 'completed';
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (options.signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      const order = permutation(n, rng).map((i) => trainRows[i] as number);
      const xs = toTensors(tf, encode(spec, features, order));
      const ys = tf.tensor2d(
        Float32Array.from(order, (r) => target[r] as number),
        [n, 1],
      );
      const history = await network.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      tf.dispose([...xs, ys]);
      trainLoss.push(Number(history.history.loss?.[0]));
      let v: number | undefined;
      if (validEncoded) {
        v = lossOn(objective, labels, validRows, await predictEncoded(tf, network, validEncoded), model);
        validLoss.push(v);
        if (v < best) {
          best = v;
          bestEpoch = epoch;
          if (bestWeights) tf.dispose(bestWeights);
          bestWeights = network.getWeights().map((w) => w.clone());
        }
      } else bestEpoch = epoch;
      options.onProgress?.({ epoch, trainLoss: trainLoss[epoch - 1] as number, ...(v === undefined ? {} : { validLoss: v }), bestEpoch });
      if (validEncoded && epoch - bestEpoch >= patience) {
        stopReason = 'early-stopping';
        break;
      }
      if (!Number.isFinite(trainLoss[epoch - 1] as number))
        throw new WaybillError(
          'NOT_FINITE',
          `the MLP's training loss became ${trainLoss[epoch - 1]} at epoch ${epoch}: lower learningRate`,
          {
            field: 'learningRate',
          },
        );
    }
    if (bestWeights) network.setWeights(bestWeights);
  } catch (err) {
    network.dispose();
    throw err;
  } finally {
    if (bestWeights) tf.dispose(bestWeights);
  }
  const result: MlpTrainResult = {
    model,
    epochs: trainLoss.length,
    bestEpoch,
    stopReason,
    trainLoss: Float64Array.from(trainLoss),
    backend: backendReport.backend,
    backendReport,
    timings: { totalMs: performance.now() - t0 },
  };
  if (validEncoded) result.validLoss = Float64Array.from(validLoss);
  return result;
}

/**
 * Predictions of a tabular MLP for rows x numFeatures features (NaN = missing): the label's
 * scale (l2) or probabilities (logistic). Runs on the current TensorFlow.js backend.
 */
export async function predictTabularMlp(
  model: MlpModel,
  features: Float64Array,
  numFeatures: number,
): Promise<{ predictions: Float64Array; backend: TfjsBackendName }> {
  if (typeof model !== 'object' || model === null || model.format !== 'waybill-mlp' || !model.network)
    throw new WaybillError('INVALID_ARGUMENT', 'model must come from trainTabularMlp', { field: 'model' });
  if (numFeatures !== model.numFeatures)
    throw new WaybillError('INVALID_LENGTH', `the model was trained on ${model.numFeatures} features, got ${numFeatures}`, {
      field: 'numFeatures',
      expected: model.numFeatures,
      actual: numFeatures,
    });
  const rows = checkFeatures('features', features, numFeatures, { allowMissing: true, allowEmpty: true });
  const backend = (await selectTfjsBackend(backendChoice(model.backend))).backend;
  if (rows === 0) return { predictions: new Float64Array(0), backend };
  const tf = await loadTf();
  const raw = await predictEncoded(tf, model.network, encode(model, features));
  const predictions = Float64Array.from(raw, (v) => (model.objective === 'l2' ? v * model.labelStd + model.labelMean : v));
  // A row far outside the training range (e.g. 2^31 in a column whose training spread is 1e-311,
  // or 1e200 after one training row) has z-scores beyond float32: the network returned NaN.
  for (let i = 0; i < rows; i++)
    if (!Number.isFinite(predictions[i] as number))
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `features row ${i} is too far outside the training data for the network (its prediction overflowed to ${predictions[i]})`,
        { field: 'features', row: i },
      );
  return { predictions, backend };
}

function backendChoice(b: TfjsBackendName): TfjsBackendChoice {
  return b === 'tfjs-node-gpu' ? 'node-gpu' : b === 'tfjs-node' ? 'node' : b === 'tfjs-wasm' ? 'wasm' : 'cpu';
}

/** Frees the network's weights (TensorFlow.js memory is not garbage-collected). */
export function disposeTabularMlp(model: MlpModel): void {
  model.network.dispose();
}
