/**
 * The one place that finds and loads the compiled addon (build/Release/waybill.node). When it is
 * missing or fails to load, the reason is remembered and reported by the native and cuda backends.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GeoTask } from '../kernels/geo/types.js';
import type {
  AuctionAssignmentTask,
  BudgetAllocationTask,
  LinearAssignmentTask,
  MinCostFlowTask,
  TspTask,
  VrpTask,
} from '../kernels/or/types.js';
import { PACKAGE_ROOT } from '../paths.js';

/**
 * Flat options object accepted by the addon's geo functions (see native/src/napi/geo.cc): the
 * kernel's task plus the device and whether to run on the calling thread.
 */
export type NativeGeoOptions = Omit<GeoTask, 'kernel' | 'radius'> & { radius?: number; device: 'cpu' | 'cuda'; sync?: boolean };

/** Options shared by the addon's trajectory functions (see native/src/napi/trajectory.cc). */
interface NativeTrajectoryRun {
  rowBegin: number;
  rowEnd: number;
  /** Native threads for this call (default 1). */
  threads?: number;
  cancel?: Int32Array;
  sync?: boolean;
}

/** Similarity measure options as the addon reads them (validated by src/kernels/trajectory/native.ts). */
interface NativeMeasureOptions {
  measure: 'dtw' | 'frechet' | 'hausdorff' | 'erp' | 'edr' | 'lcss';
  metric: 'haversine' | 'euclidean';
  radius?: number;
  /** DTW Sakoe–Chiba half-width; negative or omitted: full DTW. */
  band?: number;
  eps?: number;
  delta?: number;
  gap?: Float64Array;
}

export type NativeTrajectoryPairwiseOptions = NativeTrajectoryRun &
  NativeMeasureOptions & {
    aCoords: Float64Array;
    aOffsets: Int32Array;
    bCoords: Float64Array;
    bOffsets: Int32Array;
    out: Float64Array;
    /** 'cuda': the CUDA kernel (dtw, frechet, hausdorff; `threads` unused). Default 'cpu'. */
    device?: 'cpu' | 'cuda';
  };

export type NativeTrajectoryOneToManyOptions = NativeTrajectoryRun &
  NativeMeasureOptions & { query: Float64Array; coords: Float64Array; offsets: Int32Array; out: Float64Array };

export type NativeTrajectorySimplifyOptions = NativeTrajectoryRun & {
  coords: Float64Array;
  offsets: Int32Array;
  times?: Float64Array;
  method: 'douglas-peucker' | 'td-tr';
  tolerance: number;
  metric: 'haversine' | 'euclidean';
  radius?: number;
  keep: Uint8Array;
};

export type NativeTrajectoryStayPointsOptions = NativeTrajectoryRun & {
  coords: Float64Array;
  offsets: Int32Array;
  times: Float64Array;
  distance: number;
  duration: number;
  metric: 'haversine' | 'euclidean';
  radius?: number;
  outLast: Int32Array;
  outMean: Float64Array;
};

export interface NativeCudaInfo {
  compiled: boolean;
  available: boolean;
  deviceCount: number;
  name: string;
  computeCapability: string;
  totalMemBytes: number;
  runtimeVersion: number;
  driverVersion: number;
  reason: string;
}

/** A GBDT forest as the addon's ml functions read it (flat arrays, see native/include/waybill/ml.h ForestView). */
export interface NativeGbdtForest {
  treeNodes: Int32Array;
  treeLeaves: Int32Array;
  splitFeature: Int32Array;
  threshold: Float64Array;
  defaultLeft: Uint8Array;
  categorical: Uint8Array;
  leftChild: Int32Array;
  rightChild: Int32Array;
  internalValue: Float64Array;
  catOffsets: Int32Array;
  catValues: Int32Array;
  leafValue: Float64Array;
  /** Training rows that reached each node / leaf: read by gbdtContributions with method 'treeshap'. */
  internalCount?: Float64Array;
  leafCount?: Float64Array;
  initScore: number;
  numFeatures: number;
}

/** What gbdtTrain returns (see native/src/napi/ml.cc). */
export interface NativeGbdtTrainOutput extends Omit<NativeGbdtForest, 'numFeatures' | 'internalCount' | 'leafCount'> {
  splitGain: Float64Array;
  internalCount: Float64Array;
  leafCount: Float64Array;
  iterations: number;
  bestIteration: number;
  /** 0 completed, 1 early-stopping, 2 aborted. */
  stopReason: number;
  trainLoss: Float64Array;
  validLoss?: Float64Array;
}

/** Flat options of the addon's gbdtTrain (validated by src/kernels/ml/native.ts). */
export interface NativeGbdtTrainOptions {
  features: Float64Array;
  labels: Float64Array;
  rows: number;
  numFeatures: number;
  validFeatures?: Float64Array;
  validLabels?: Float64Array;
  validRows?: number;
  /** 0 l2, 1 l1, 2 quantile, 3 logistic, 4 poisson, 5 tweedie. */
  objective: number;
  alpha: number;
  tweedieVariancePower: number;
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
  /** Default true. */
  gradientRounding?: boolean;
  categoricalFeatures: Int32Array;
  threads?: number;
  /** 'cuda': histograms of large leaves on the CUDA device (the same trees; needs gradientRounding). Default 'cpu'. */
  device?: 'cpu' | 'cuda';
  cancel?: Int32Array;
  /** [iteration, trainLoss, validLoss, bestIteration], written after every tree. */
  progress?: Float64Array;
  sync?: boolean;
}

/** Options shared by the addon's gbdtPredict / gbdtContributions. */
export type NativeGbdtPredictOptions = NativeGbdtForest & {
  numTrees: number;
  objective?: number;
  features: Float64Array;
  rows: number;
  transform?: boolean;
  out: Float64Array;
  rowBegin?: number;
  rowEnd?: number;
  threads?: number;
  /** gbdtPredict only: 'cuda' runs gbdt_predict_cuda (bit-identical to the CPU). Default 'cpu'. */
  device?: 'cpu' | 'cuda';
  /** gbdtContributions only (addons listing it in gbdtContributionMethods): default 'saabas'. */
  method?: 'saabas' | 'treeshap';
  cancel?: Int32Array;
  sync?: boolean;
};

/** Flat options of the addon's kmeans (validated by src/kernels/ml/kmeans-native.ts). */
export interface NativeKMeansOptions {
  data: Float64Array;
  rows: number;
  numFeatures: number;
  k: number;
  seed: number;
  maxIterations: number;
  tolerance: number;
  /** 0 Lloyd, 1 Elkan. */
  algorithm: number;
  threads?: number;
  /** 'cuda': Lloyd's assignment step on the CUDA device (the same result). Default 'cpu'. */
  device?: 'cpu' | 'cuda';
  cancel?: Int32Array;
  sync?: boolean;
}

/** What the addon's kmeans returns (see native/src/napi/ml.cc). */
export interface NativeKMeansOutput {
  centroids: Float64Array;
  labels: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
  distanceEvaluations: number;
}

export interface NativeAddon {
  info(): { version: string; simd: string; cuda: NativeCudaInfo };
  haversineMatrix(o: NativeGeoOptions): Promise<void> | undefined;
  euclideanMatrix(o: NativeGeoOptions): Promise<void> | undefined;
  kNearest(o: NativeGeoOptions): Promise<void> | undefined;
  linearAssignment(o: Omit<LinearAssignmentTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  budgetAllocation(o: Omit<BudgetAllocationTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  tspSolve(o: Omit<TspTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  vrpSolve(o: Omit<VrpTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  tsForecast(o: {
    values: Float64Array;
    offsets: Int32Array;
    count: number;
    method: number;
    horizon: number;
    season: number;
    alpha?: number;
    beta?: number;
    out: Float64Array;
    outSeasonal?: Uint8Array;
    cancel?: Int32Array;
    sync?: boolean;
  }): Promise<void> | undefined;
  tsEtsFit(o: {
    values: Float64Array;
    offsets: Int32Array;
    count: number;
    season: number;
    maxIter: number;
    tolerance: number;
    maxSeason: number;
    modelMask: number;
    /** Every candidate's fit, slot = model code (outParams count x 18 x 16, outSeason count x 18 x season). */
    allModels?: boolean;
    outParams: Float64Array;
    outSeason: Float64Array;
    /** 'cuda': ets_fit_cuda, the same models (UNSUPPORTED when a seasonal one is allowed for a season above tsEtsCudaMaxSeason). Default 'cpu'. */
    device?: 'cpu' | 'cuda';
    cancel?: Int32Array;
    sync?: boolean;
  }): Promise<void> | undefined;
  minCostFlow(o: Omit<MinCostFlowTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  auctionAssignment(o: Omit<AuctionAssignmentTask, 'kernel'> & { device: 'cpu' | 'cuda'; sync?: boolean }): Promise<void> | undefined;
  // Trajectory family: optional, so that an addon built before it still loads (src/kernels/trajectory/native.ts checks).
  trajectoryPairwise?(o: NativeTrajectoryPairwiseOptions): Promise<void> | undefined;
  trajectoryOneToMany?(o: NativeTrajectoryOneToManyOptions): Promise<void> | undefined;
  trajectorySimplify?(o: NativeTrajectorySimplifyOptions): Promise<void> | undefined;
  trajectoryStayPoints?(o: NativeTrajectoryStayPointsOptions): Promise<void> | undefined;
  /** Devices tsEtsFit accepts (absent: an addon older than the CUDA AutoETS, CPU only). */
  tsEtsDevices?: readonly string[];
  /** Longest season for which device 'cuda' fits seasonal ETS models (absent: an addon whose CUDA AutoETS fits non-seasonal models only). */
  tsEtsCudaMaxSeason?: number;
  /** Devices trajectoryPairwise accepts (absent: an addon older than its CUDA kernel, CPU only). */
  trajectoryDevices?: readonly string[];
  // ML family (GBDT): optional as well (src/kernels/ml/native.ts checks).
  gbdtTrain?(o: NativeGbdtTrainOptions): Promise<NativeGbdtTrainOutput> | NativeGbdtTrainOutput;
  gbdtPredict?(o: NativeGbdtPredictOptions): Promise<void> | undefined;
  gbdtContributions?(o: NativeGbdtPredictOptions): Promise<void> | undefined;
  /** Methods gbdtContributions accepts (absent: an addon older than TreeSHAP, Saabas only). */
  gbdtContributionMethods?: readonly string[];
  /** Devices gbdtPredict accepts (absent: an addon older than the CUDA GBDT prediction, CPU only). */
  gbdtPredictDevices?: readonly string[];
  /** Devices gbdtTrain accepts (absent: an addon older than the CUDA training histograms, CPU only). */
  gbdtTrainDevices?: readonly string[];
  // k-means: optional too (src/kernels/ml/kmeans-native.ts checks).
  kmeans?(o: NativeKMeansOptions): Promise<NativeKMeansOutput> | NativeKMeansOutput;
  kmeansAssign?(o: {
    centroids: Float64Array;
    k: number;
    data: Float64Array;
    rows: number;
    numFeatures: number;
    labels: Int32Array;
    distances: Float64Array;
    threads?: number;
    device?: 'cpu' | 'cuda';
    sync?: boolean;
  }): Promise<void> | undefined;
  /** Devices kmeans / kmeansAssign accept. */
  kmeansDevices?: readonly string[];
}

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

let cached: AddonLoad | undefined;

/** Loads the addon once per thread. `WAYBILL_ADDON` may point at another build. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const path = process.env.WAYBILL_ADDON ?? join(PACKAGE_ROOT, 'build', 'Release', 'waybill.node');
  if (!existsSync(path)) {
    cached = { ok: false, reason: 'addon not built: run npm run build:native' };
    return cached;
  }
  try {
    // dlopen, not require: a stray .js or .json at that path must not be taken for the addon.
    const mod = { exports: {} as Partial<NativeAddon> };
    process.dlopen(mod, path);
    const a = mod.exports;
    const missing = (
      [
        'info',
        'haversineMatrix',
        'euclideanMatrix',
        'kNearest',
        'linearAssignment',
        'budgetAllocation',
        'tspSolve',
        'vrpSolve',
        'tsForecast',
        'tsEtsFit',
        'minCostFlow',
        'auctionAssignment',
      ] as const
    ).filter((f) => typeof a[f] !== 'function');
    cached =
      missing.length === 0
        ? { ok: true, addon: a as NativeAddon, path }
        : { ok: false, reason: `addon failed to load: ${path} lacks ${missing.join(', ')} (stale build? run npm run build:native)` };
  } catch (err) {
    cached = { ok: false, reason: `addon failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
