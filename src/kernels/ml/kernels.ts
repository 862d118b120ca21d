/**
 * The ML kernel family on the engine (`engine.kernels.ml`): GBDT training (asynchronous, with
 * progress and cancellation), prediction, importance, contributions, JSON save / load, k-means,
 * L2 logistic regression, Platt / isotonic calibration, and the TensorFlow.js tabular MLP (with
 * versioned JSON save / load).
 *
 * Every call is asynchronous and every result carries `backend`. GBDT training, prediction and
 * contributions run on the C++ core when the addon has it (`'native'`, same trees as the TS
 * reference: see test/kernels/ml-parity.test.ts; `threads` native threads, default min(4, cores)),
 * else on the TypeScript reference (`'js'`); so does k-means (`'native'`, the reference's result
 * bit for bit, with `algorithm: 'lloyd' | 'elkan'` and `threads`; test/kernels/ml-kmeans-native.test.ts),
 * whose assignment step also runs on a CUDA device when `'cuda'` is forced by name (Lloyd only;
 * never picked automatically). Logistic regression and calibration run on the reference. GBDT prediction also runs on a CUDA device (`'cuda'`, bit-identical to the C++
 * CPU: test/kernels/ml-cuda-parity.test.ts): forced by name, or picked automatically only when a
 * device is present and the call is large (rows x trees >= CUDA_MIN_GBDT_PREDICT_WORK). So does
 * GBDT training (`'cuda'`: histograms of large leaves on the device, the rest on the native
 * threads, the same trees bit for bit thanks to gradient rounding): forced by name, or automatic
 * with a device and rows x features >= CUDA_MIN_GBDT_TRAIN_WORK; `gradientRounding: false` with
 * 'cuda' forced is KERNEL_UNSUPPORTED (automatic dispatch then stays native). `'native'` without
 * the addon, `'cuda'` without a device (the reason is in the message) or for anything but GBDT
 * training and prediction, fails with BACKEND_UNAVAILABLE. The MLP reports the TensorFlow.js
 * backend that actually ran (`tfjs-node-gpu`, `tfjs-node`, `tfjs-wasm` or `tfjs-cpu`).
 *
 * Training yields to the event loop after every tree (trainGbdtAsync), so a request or a timer
 * can abort it; one tree on 1e6 rows still holds the thread for about a second, and so does
 * binning the features before the first tree.
 */
import { availableParallelism } from 'node:os';
import { toWaybillError, WaybillError } from '../../errors.js';
import { optionsObject } from '../options.js';
import {
  checkApplyScores,
  checkIsotonicModel,
  checkPlattModel,
  fitIsotonic,
  fitPlatt,
  type IsotonicModel,
  isotonicTransform,
  type PlattModel,
  plattTransform,
} from './calibration.js';
import {
  type ContributionMethod,
  contributionMethod,
  type GbdtDataset,
  type GbdtModel,
  type GbdtOptions,
  type GbdtTrainResult,
  gbdtContributions,
  gbdtImportance,
  gbdtPredict,
  trainGbdtAsync,
} from './gbdt.js';
import { loadGbdtModelBinary, saveGbdtModelBinary } from './gbdt-binary.js';
import { GBDT_FORMAT, GBDT_FORMAT_VERSION, gbdtToJson, loadGbdtModel, saveGbdtModel } from './gbdt-json.js';
import { type KMeansOptions, type KMeansResult, kmeans, kmeansAssign } from './kmeans.js';
import {
  type KMeansAlgorithm,
  kmeansAlgorithm,
  nativeKmeans,
  nativeKmeansAssign,
  nativeKmeansCudaStatus,
  nativeKmeansStatus,
} from './kmeans-native.js';
import {
  type LogisticRegressionModel,
  type LogisticRegressionOptions,
  type LogisticRegressionResult,
  predictLogisticRegression,
  trainLogisticRegression,
} from './logistic-regression.js';
import type { MlpArtifact } from './mlp-artifact.js';
import {
  cudaTrainRoundingError,
  nativeGbdtContributions,
  nativeGbdtCudaStatus,
  nativeGbdtCudaTrainStatus,
  nativeGbdtPredict,
  nativeGbdtStatus,
  nativeTrainGbdt,
  nativeTreeShapAvailable,
} from './native.js';
import type { MlpModel, MlpTrainOptions, MlpTrainResult, TfjsBackendChoice, TfjsBackendName, TfjsBackendReport } from './tfjs.js';
import {
  predictUplift,
  trainUplift,
  type UpliftDataset,
  type UpliftLearner,
  type UpliftModel,
  type UpliftOptions,
  type UpliftPrediction,
} from './uplift.js';
import { checkBinaryLabels, checkLabels } from './validate.js';

/** Backends an ML call may ask for ('auto': native GBDT when the addon has it, else js). */
export type MlBackendRequest = 'auto' | 'js' | 'native' | 'cuda';

/**
 * Rows x trees from which 'auto' runs GBDT prediction on a CUDA device when one is present (e.g.
 * 1e5 rows x 100 trees). On an H200 (bench/RESULTS.md "CUDA on an H200") 1e6 rows x 50 features
 * x 100 trees took 54-71 ms on the device, transfers included, against 560-730 ms on 16 CPU
 * threads and 2.3 s on 2 cores, so 1e7 (a tenth of that) stays well inside the device's gain.
 */
export const CUDA_MIN_GBDT_PREDICT_WORK = 10_000_000;

/**
 * Rows x features from which 'auto' trains GBDT with the histograms on a CUDA device when one is
 * present (e.g. 2e5 rows x 50 features). On an H200 with 16 CPU threads, 1e5 x 50 (5e6) trained
 * as fast on the CPU as with the device (334 ms each, 20 trees) and 1e6 x 50 1.5x faster with it
 * (981 against 1428 ms); small leaves stay on the CPU inside a CUDA training anyway (gbdt_train.cc
 * kDeviceHistWork).
 */
export const CUDA_MIN_GBDT_TRAIN_WORK = 10_000_000;

interface BackendOption {
  /** Force a backend; default 'auto'. */
  backend?: MlBackendRequest;
  /** Native threads for the GBDT calls (default min(4, cores)); results do not depend on it. */
  threads?: number;
}

interface Timed<B extends string = 'js' | 'native'> {
  backend: B;
  timings: { totalMs: number };
}

export type MlTrainResult = GbdtTrainResult & Timed<'js' | 'native' | 'cuda'>;

/** A calibration map fitted by {@link MlKernels.calibrate}. */
export type Calibrator = { method: 'platt'; model: PlattModel } | { method: 'isotonic'; model: IsotonicModel };

export interface MlKernels {
  /**
   * Trains gradient-boosted trees on row-major features (rows x numFeatures, NaN = missing).
   * Progress after every tree (`onProgress`); an aborted `signal` stops training and keeps the
   * best model so far (`stopReason: 'aborted'`), it does not throw. `backend: 'cuda'` builds the
   * large histograms on the CUDA device (the native model, bit for bit; needs gradientRounding).
   */
  train(train: GbdtDataset, options?: GbdtOptions & BackendOption): Promise<MlTrainResult>;
  /** Predictions (response scale, or the margin with `raw`) for rows x numFeatures features. */
  predict(
    model: GbdtModel,
    features: Float64Array,
    numFeatures: number,
    options?: { raw?: boolean; numIterations?: number } & BackendOption,
  ): Promise<{ predictions: Float64Array } & Timed<'js' | 'native' | 'cuda'>>;
  /** Per-feature importance: total split gain (default) or split count, with the feature names. */
  importance(
    model: GbdtModel,
    options?: { type?: 'gain' | 'split' },
  ): Promise<{ importance: Float64Array; type: 'gain' | 'split'; featureNames: string[]; backend: 'js' | 'native' }>;
  /**
   * Contributions in raw-score units, rows x (numFeatures + 1) row-major, the last column the
   * bias; each row sums to the raw prediction. method 'saabas' (default: path increments) or
   * 'treeshap' (exact path-dependent Shapley values; gbdt.ts gbdtContributions).
   */
  contributions(
    model: GbdtModel,
    features: Float64Array,
    numFeatures: number,
    options?: { numIterations?: number; method?: ContributionMethod } & BackendOption,
  ): Promise<{ contributions: Float64Array; columns: number; method: ContributionMethod } & Timed>;
  /** The model as versioned JSON text (format `waybill-gbdt`). */
  save(model: GbdtModel): Promise<{ json: string; format: string; formatVersion: number; backend: 'js' | 'native' }>;
  /** Reads a model from JSON text or the parsed object; INVALID_ARGUMENT names the bad field. */
  load(json: string | object): Promise<{ model: GbdtModel; backend: 'js' | 'native' }>;
  /** The model in the compact binary format (gbdt-binary.ts; same content as the JSON). */
  saveBinary(model: GbdtModel): Promise<{ bytes: Uint8Array; formatVersion: number; backend: 'js' }>;
  /** Reads a binary model, with every check of the JSON loader. */
  loadBinary(bytes: Uint8Array): Promise<{ model: GbdtModel; backend: 'js' }>;
  /**
   * k-means++ / Lloyd on rows x numFeatures finite data (within +-1e100): 'native' (default when the addon has it;
   * the reference's result bit for bit) or 'js' (the reference); 'cuda', by name only, runs the
   * assignment step on the CUDA device (Lloyd). `algorithm: 'elkan'` skips distances that cannot
   * change an assignment (native; the same result; the reference runs Lloyd); `threads` native
   * threads (default min(4, cores)).
   */
  kmeans(
    data: Float64Array,
    numFeatures: number,
    options: KMeansOptions & BackendOption & { algorithm?: KMeansAlgorithm },
  ): Promise<KMeansResult & { algorithm: KMeansAlgorithm } & Timed<'js' | 'native' | 'cuda'>>;
  /** Nearest centroid (k x numFeatures) of each row, with the backends of {@link MlKernels.kmeans}. */
  kmeansAssign(
    centroids: Float64Array,
    data: Float64Array,
    numFeatures: number,
    options?: BackendOption,
  ): Promise<{ labels: Int32Array; distances: Float64Array } & Timed<'js' | 'native' | 'cuda'>>;
  /**
   * L2 logistic regression (Newton) on finite features within +-1e100 (MAX_LOGISTIC_VALUE), each
   * column all zero or with some |value| >= 1e-100 (MIN_LOGISTIC_SCALE), and 0/1 labels.
   */
  trainLogistic(
    features: Float64Array,
    numFeatures: number,
    labels: Float64Array,
    options?: LogisticRegressionOptions & BackendOption,
  ): Promise<LogisticRegressionResult & Timed>;
  /** Probabilities of a logistic regression model. */
  predictLogistic(
    model: LogisticRegressionModel,
    features: Float64Array,
    numFeatures: number,
  ): Promise<{ probabilities: Float64Array } & Timed>;
  /** Fits Platt scaling (default) or isotonic regression of 0/1 labels on scores. */
  calibrate(scores: Float64Array, labels: Float64Array, options?: { method?: 'platt' | 'isotonic' }): Promise<Calibrator & Timed>;
  /** Calibrated probabilities of scores. */
  calibrateApply(calibrator: Calibrator, scores: Float64Array): Promise<{ probabilities: Float64Array } & Timed>;
  /** Which TensorFlow.js backend the MLP runs on (and why the better ones are unavailable). */
  tfjsBackend(options?: { prefer?: TfjsBackendChoice }): Promise<TfjsBackendReport>;
  /** Trains the tabular MLP (embeddings for categorical columns) on TensorFlow.js. */
  trainMlp(train: GbdtDataset, options?: MlpTrainOptions): Promise<MlpTrainResult>;
  /** Predictions of a tabular MLP. */
  predictMlp(model: MlpModel, features: Float64Array, numFeatures: number): Promise<{ predictions: Float64Array; backend: string }>;
  /** A tabular MLP as a versioned JSON document (format `waybill-mlp`; mlp-artifact.ts). */
  saveMlp(model: MlpModel): Promise<{ artifact: MlpArtifact; format: string; formatVersion: number }>;
  /**
   * Rebuilds a tabular MLP from its artifact (object or JSON text); INVALID_ARGUMENT /
   * INVALID_LENGTH / NOT_FINITE name the bad field. Same backend: predictions equal the saved model's.
   */
  loadMlp(
    artifact: MlpArtifact | string | object,
    options?: { prefer?: TfjsBackendChoice },
  ): Promise<{ model: MlpModel; backend: TfjsBackendName }>;
  /**
   * An uplift model of a randomised test (uplift.ts: T-, S- or X-learner on GBDTs; arms 0 =
   * control, 1..K): the base GBDTs train on this family's GBDT kernel, so on the C++ core when
   * the addon has it. `backend` / `threads` go to the base models; the result reports theirs.
   */
  trainUplift(
    data: UpliftDataset,
    options?: UpliftOptions & BackendOption,
  ): Promise<{ model: UpliftModel } & Timed<'js' | 'native' | 'cuda'>>;
  /** Each treatment's predicted effect against control, the best arm per row (uplift.ts predictUplift). */
  predictUplift(
    model: UpliftModel,
    features: Float64Array,
    numFeatures: number,
    options?: BackendOption,
  ): Promise<UpliftPrediction & Timed<'js' | 'native' | 'cuda'>>;
}

function checkBackend(backend: unknown): void {
  if (backend === undefined || backend === 'auto' || backend === 'js') return;
  if (backend === 'native' || backend === 'cuda')
    throw new WaybillError(
      'BACKEND_UNAVAILABLE',
      `the ${backend} backend does not run this ML kernel (native: GBDT only; cuda: GBDT training and prediction only)`,
      {
        backend,
      },
    );
  throw new WaybillError('INVALID_ARGUMENT', `backend must be auto, js, native or cuda, got ${String(backend)}`, { field: 'backend' });
}

/** Model objects whose trees passed the loader's checks (models are treated as immutable). */
const checkedModels = new WeakSet<object>();

/**
 * Shape check so that a wrong object fails with a code instead of a TypeError deep inside, and,
 * once per model object, every check of the JSON loader: a hand-built or altered model whose child
 * index or split feature is out of range made the C++ core read out of bounds (a crash) and the
 * reference loop forever.
 */
function checkModel(model: unknown): GbdtModel {
  const m = model as Partial<GbdtModel> | null;
  if (typeof m !== 'object' || m === null || !Array.isArray(m.trees) || !Number.isInteger(m.numFeatures) || !m.objective)
    throw new WaybillError('INVALID_ARGUMENT', 'model must be a GBDT model (from train or load)', { field: 'model' });
  if (!checkedModels.has(m)) {
    try {
      loadGbdtModel(gbdtToJson(m as GbdtModel));
    } catch (err) {
      if (err instanceof WaybillError) throw err;
      throw new WaybillError('INVALID_ARGUMENT', `model must be a GBDT model (from train or load): ${(err as Error).message}`, {
        field: 'model',
      });
    }
    checkedModels.add(m);
  }
  return m as GbdtModel;
}

/**
 * Creates the ML kernels. `isClosed` makes calls on a closed engine fail with POOL_CLOSED;
 * `allowCuda` false (an engine created without the 'cuda' backend) keeps GBDT prediction off the
 * CUDA device, forced or not.
 */
export function createMlKernels(isClosed: () => boolean = () => false, allowCuda = true): MlKernels {
  let tfjs: Promise<typeof import('./tfjs.js')> | undefined;
  const loadTfjsHelper = () => {
    tfjs ??= import('./tfjs.js');
    return tfjs;
  };
  let mlpArtifact: Promise<typeof import('./mlp-artifact.js')> | undefined;
  const loadMlpArtifactHelper = () => {
    mlpArtifact ??= import('./mlp-artifact.js');
    return mlpArtifact;
  };
  /** Runs fn on the TS reference with the common checks and timing. */
  const run = async <T extends object>(backend: unknown, fn: () => T | Promise<T>): Promise<T & Timed> => {
    if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
    checkBackend(backend);
    const t0 = performance.now();
    const out = await fn();
    return Object.assign(out, { backend: 'js' as const, timings: { totalMs: performance.now() - t0 } });
  };
  /** The GBDT calls: the C++ core for 'auto' / 'native' when the addon has it, else the reference. */
  const runGbdt = async <T extends object>(
    backend: unknown,
    threads: number | undefined,
    nativeFn: (threads: number) => Promise<T>,
    jsFn: () => T | Promise<T>,
  ): Promise<T & Timed> => {
    if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
    if (backend === 'native' || backend === 'auto' || backend === undefined) {
      const status = nativeGbdtStatus();
      if (status.ok) {
        const t0 = performance.now();
        // The addon throws plain Errors with a catalogue `code` (e.g. INVALID_ARGUMENT for a model TreeSHAP cannot use).
        const out = await nativeFn(threads ?? Math.min(4, availableParallelism())).catch((err: unknown) => {
          throw toWaybillError(err);
        });
        return Object.assign(out, { backend: 'native' as const, timings: { totalMs: performance.now() - t0 } });
      }
      if (backend === 'native')
        throw new WaybillError('BACKEND_UNAVAILABLE', `the native GBDT is unavailable: ${status.reason}`, { backend });
      return run(undefined, jsFn);
    }
    return run(backend, jsFn);
  };
  let cudaStatus: ReturnType<typeof nativeGbdtCudaStatus> | undefined;
  const cudaReady = () => {
    cudaStatus ??= nativeGbdtCudaStatus();
    return cudaStatus;
  };
  /** Whether a GBDT prediction runs on the CUDA device: forced ('cuda', or why not), or 'auto' on a large call with a device. */
  const predictOnCuda = (backend: unknown, work: number): boolean => {
    if (backend === 'cuda') {
      if (!allowCuda) throw new WaybillError('BACKEND_UNAVAILABLE', 'the cuda backend is disabled for this engine', { backend: 'cuda' });
      const s = cudaReady();
      if (!s.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA GBDT prediction unavailable: ${s.reason}`, { backend: 'cuda' });
      return true;
    }
    return (backend === 'auto' || backend === undefined) && allowCuda && work >= CUDA_MIN_GBDT_PREDICT_WORK && cudaReady().ok;
  };
  let cudaTrainStatus: ReturnType<typeof nativeGbdtCudaTrainStatus> | undefined;
  const cudaTrainReady = () => {
    cudaTrainStatus ??= nativeGbdtCudaTrainStatus();
    return cudaTrainStatus;
  };
  /**
   * Whether a GBDT training builds its histograms on the CUDA device: forced ('cuda', or why not:
   * gradientRounding false is KERNEL_UNSUPPORTED), or 'auto' on a large set with a device.
   */
  const trainOnCuda = (backend: unknown, work: number, gradientRounding: unknown): boolean => {
    if (backend === 'cuda') {
      if (!allowCuda) throw new WaybillError('BACKEND_UNAVAILABLE', 'the cuda backend is disabled for this engine', { backend: 'cuda' });
      if (gradientRounding === false) throw cudaTrainRoundingError();
      const s = cudaTrainReady();
      if (!s.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA GBDT training unavailable: ${s.reason}`, { backend: 'cuda' });
      return true;
    }
    return (
      (backend === 'auto' || backend === undefined) &&
      allowCuda &&
      gradientRounding !== false &&
      work >= CUDA_MIN_GBDT_TRAIN_WORK &&
      cudaTrainReady().ok
    );
  };
  /**
   * Where a k-means call runs: 'cuda' by name only (needs a device and Lloyd), 'native' for
   * 'auto' / 'native' when the addon has it (else BACKEND_UNAVAILABLE for 'native'), else 'js'.
   */
  const kmeansBackend = (backend: unknown, algorithm: KMeansAlgorithm): 'js' | 'native' | 'cuda' => {
    if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
    if (backend === 'cuda') {
      if (!allowCuda) throw new WaybillError('BACKEND_UNAVAILABLE', 'the cuda backend is disabled for this engine', { backend: 'cuda' });
      const s = nativeKmeansCudaStatus();
      if (!s.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA k-means unavailable: ${s.reason}`, { backend: 'cuda' });
      if (algorithm === 'elkan')
        throw new WaybillError(
          'KERNEL_UNSUPPORTED',
          "the CUDA k-means assignment step is Lloyd's; use algorithm 'lloyd' with backend 'cuda'",
          {
            field: 'algorithm',
            backend: 'cuda',
          },
        );
      return 'cuda';
    }
    if (backend === 'native' || backend === 'auto' || backend === undefined) {
      const s = nativeKmeansStatus();
      if (s.ok) return 'native';
      if (backend === 'native')
        throw new WaybillError('BACKEND_UNAVAILABLE', `the native k-means is unavailable: ${s.reason}`, { backend });
      return 'js';
    }
    checkBackend(backend);
    return 'js';
  };
  const kernels: MlKernels = {
    async train(train, options) {
      const { backend, threads, ...rest } = optionsObject(options);
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const work = train?.features instanceof Float64Array ? train.features.length : 0;
      if (trainOnCuda(backend, work, rest.gradientRounding)) {
        const t0 = performance.now();
        const out = await nativeTrainGbdt(train, { ...rest, threads: threads ?? Math.min(4, availableParallelism()), device: 'cuda' });
        checkedModels.add(out.model);
        return Object.assign(out, { backend: 'cuda' as const, timings: { totalMs: performance.now() - t0 } });
      }
      const out = await runGbdt(
        backend,
        threads,
        (t) => nativeTrainGbdt(train, { ...rest, threads: t }),
        () => trainGbdtAsync(train, rest),
      );
      checkedModels.add(out.model);
      return out;
    },
    async predict(model, features, numFeatures, options) {
      const { backend, threads, ...rest } = optionsObject(options);
      const m = checkModel(model);
      const rows = Number.isInteger(numFeatures) && numFeatures > 0 && features instanceof Float64Array ? features.length / numFeatures : 0;
      const trees = Math.min(m.trees.length, rest.numIterations ?? m.trees.length);
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      if (predictOnCuda(backend, rows * trees)) {
        const t0 = performance.now();
        const predictions = await nativeGbdtPredict(m, features, numFeatures, { ...rest, device: 'cuda' });
        return { predictions, backend: 'cuda' as const, timings: { totalMs: performance.now() - t0 } };
      }
      return runGbdt(
        backend,
        threads,
        async (t) => ({ predictions: await nativeGbdtPredict(m, features, numFeatures, { ...rest, threads: t }) }),
        () => ({ predictions: gbdtPredict(m, features, numFeatures, rest) }),
      );
    },
    async importance(model, options) {
      const m = checkModel(model);
      const type = optionsObject(options).type ?? 'gain';
      const { backend } = await run(undefined, () => ({}));
      return {
        importance: gbdtImportance(m, type),
        type,
        featureNames: m.featureNames ? [...m.featureNames] : Array.from({ length: m.numFeatures }, (_, f) => `f${f}`),
        backend,
      };
    },
    async contributions(model, features, numFeatures, options) {
      const { backend, threads, ...rest } = optionsObject(options);
      const m = checkModel(model);
      const method = contributionMethod(rest.method);
      // An addon older than TreeSHAP: 'auto' takes the reference, a forced backend says why not.
      const use = method === 'treeshap' && (backend === undefined || backend === 'auto') && !nativeTreeShapAvailable() ? 'js' : backend;
      return runGbdt(
        use,
        threads,
        async (t) => ({
          contributions: await nativeGbdtContributions(m, features, numFeatures, { ...rest, method, threads: t }),
          columns: numFeatures + 1,
          method,
        }),
        () => ({ contributions: gbdtContributions(m, features, numFeatures, { ...rest, method }), columns: numFeatures + 1, method }),
      );
    },
    async save(model) {
      const { backend } = await run(undefined, () => ({}));
      return { json: saveGbdtModel(checkModel(model)), format: GBDT_FORMAT, formatVersion: GBDT_FORMAT_VERSION, backend };
    },
    async load(json) {
      const { backend } = await run(undefined, () => ({}));
      const model = loadGbdtModel(json);
      checkedModels.add(model);
      return { model, backend };
    },
    async saveBinary(model) {
      await run(undefined, () => ({}));
      return { bytes: saveGbdtModelBinary(checkModel(model)), formatVersion: GBDT_FORMAT_VERSION, backend: 'js' as const };
    },
    async loadBinary(bytes) {
      await run(undefined, () => ({}));
      const model = loadGbdtModelBinary(bytes);
      checkedModels.add(model);
      return { model, backend: 'js' as const };
    },
    async kmeans(data, numFeatures, options) {
      const { backend, threads, algorithm, ...rest } = options ?? ({} as KMeansOptions & BackendOption);
      const algo = kmeansAlgorithm(algorithm);
      const device = kmeansBackend(backend, algo);
      if (device === 'js')
        return Object.assign(await run(undefined, () => kmeans(data, numFeatures, rest as KMeansOptions)), { algorithm: 'lloyd' as const });
      const t0 = performance.now();
      const out = await nativeKmeans(data, numFeatures, {
        ...(rest as KMeansOptions),
        algorithm: algo,
        threads: threads ?? Math.min(4, availableParallelism()),
        device: device === 'cuda' ? 'cuda' : 'cpu',
      });
      const { distanceEvaluations: _evals, ...result } = out;
      return Object.assign(result, { backend: device, timings: { totalMs: performance.now() - t0 } });
    },
    async kmeansAssign(centroids, data, numFeatures, opts) {
      const options = optionsObject(opts);
      const device = kmeansBackend(options.backend, 'lloyd');
      if (device === 'js') return run(undefined, () => kmeansAssign(centroids, data, numFeatures));
      const t0 = performance.now();
      const out = await nativeKmeansAssign(centroids, data, numFeatures, {
        threads: options.threads ?? Math.min(4, availableParallelism()),
        device: device === 'cuda' ? 'cuda' : 'cpu',
      });
      return Object.assign(out, { backend: device, timings: { totalMs: performance.now() - t0 } });
    },
    async trainLogistic(features, numFeatures, labels, options) {
      const { backend, ...rest } = optionsObject(options);
      return run(backend, () => trainLogisticRegression(features, numFeatures, labels, rest));
    },
    predictLogistic(model, features, numFeatures) {
      return run(undefined, () => {
        if (typeof model !== 'object' || model === null || !(model.weights instanceof Float64Array))
          throw new WaybillError('INVALID_ARGUMENT', 'model must be a logistic regression model (weights: Float64Array)', {
            field: 'model',
          });
        return { probabilities: predictLogisticRegression(model, features, numFeatures) };
      });
    },
    async calibrate(scores, labels, options) {
      const method = optionsObject(options).method ?? 'platt';
      return run(undefined, (): Calibrator => {
        if (method === 'platt') return { method, model: fitPlatt(scores, labels) };
        if (method === 'isotonic') {
          // Probabilities: the labels must be 0 / 1 here (fitIsotonic itself takes any finite values).
          checkBinaryLabels('labels', checkLabels('labels', labels));
          return { method, model: fitIsotonic(scores, labels) };
        }
        throw new WaybillError('INVALID_ARGUMENT', `method must be platt or isotonic, got ${String(method)}`, { field: 'method' });
      });
    },
    calibrateApply(calibrator, scores) {
      return run(undefined, () => {
        if (calibrator?.method === 'platt')
          return { probabilities: plattTransform(checkPlattModel(calibrator.model), checkApplyScores(scores)) };
        if (calibrator?.method === 'isotonic')
          return { probabilities: isotonicTransform(checkIsotonicModel(calibrator.model), checkApplyScores(scores)) };
        throw new WaybillError('INVALID_ARGUMENT', 'calibrator must come from calibrate (method platt or isotonic)', {
          field: 'calibrator',
        });
      });
    },
    async tfjsBackend(options) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      return (await loadTfjsHelper()).selectTfjsBackend(optionsObject(options).prefer);
    },
    async trainMlp(train, options) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      return (await loadTfjsHelper()).trainTabularMlp(train, optionsObject(options));
    },
    async predictMlp(model, features, numFeatures) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      return (await loadTfjsHelper()).predictTabularMlp(model, features, numFeatures);
    },
    async saveMlp(model) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const m = await loadMlpArtifactHelper();
      return { artifact: m.saveTabularMlp(model), format: m.MLP_FORMAT, formatVersion: m.MLP_FORMAT_VERSION };
    },
    async loadMlp(artifact, options) {
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const model = await (await loadMlpArtifactHelper()).loadTabularMlp(artifact, optionsObject(options));
      return { model, backend: model.backend };
    },
    async trainUplift(data, options) {
      const { backend, threads, ...rest } = optionsObject(options);
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const learner = upliftLearner(backend, threads);
      const t0 = performance.now();
      const model = await trainUplift(data, rest, learner);
      return { model, backend: learner.used(), timings: { totalMs: performance.now() - t0 } };
    },
    async predictUplift(model, features, numFeatures, options) {
      const { backend, threads } = optionsObject(options);
      if (isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const learner = upliftLearner(backend, threads);
      const t0 = performance.now();
      const out = await predictUplift(model, features, numFeatures, learner);
      return Object.assign(out, { backend: learner.used(), timings: { totalMs: performance.now() - t0 } });
    },
  };
  /** The base GBDTs of an uplift model through these kernels (backend choice, native when present); `used` is the backend of the last call. */
  const upliftLearner = (backend: unknown, threads: number | undefined): UpliftLearner & { used: () => 'js' | 'native' | 'cuda' } => {
    let used: 'js' | 'native' | 'cuda' = 'js';
    const pass = {
      ...(backend === undefined ? {} : { backend: backend as BackendOption['backend'] }),
      ...(threads === undefined ? {} : { threads }),
    };
    return {
      async train(data, options) {
        const r = await kernels.train(data, { ...options, ...pass });
        used = r.backend;
        return r.model;
      },
      async predict(model, features, numFeatures) {
        const r = await kernels.predict(model, features, numFeatures, pass);
        used = r.backend;
        return r.predictions;
      },
      used: () => used,
    };
  };
  return kernels;
}
