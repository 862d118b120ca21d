/**
 * The trajectory family on the engine (`engine.kernels.trajectory`) and the lazily built network
 * graph (`engine.graph`).
 *
 * Kernels: pairwise / one-to-many similarity, top-k search, Douglas–Peucker and TD-TR
 * simplification and stay points run on the C++ core when the loaded addon has the trajectory
 * functions (backend 'native', `threads` native threads), else on the TypeScript reference
 * (backend 'js'); `backend` forces one. Pairwise, one-to-many and top-k DTW / Fréchet / Hausdorff
 * also run on a CUDA device (backend 'cuda'; one-to-many as a 1 x n pairwise matrix, top-k as
 * brute force over it): forced by name, or picked automatically only when a device is present
 * and the call has at least CUDA_MIN_TRAJECTORY_PAIRS pairs; and on gpu.js (backend 'gpujs',
 * float32, trajectories of at most GPUJS_MAX_TRAJECTORY_POINTS points; ./gpujs.ts): forced by
 * name, or picked automatically only when gpu.js really runs on a GPU, the native backend is
 * unavailable and the matrix has at least GPUJS_MIN_TRAJECTORY_PAIRS pairs. Results of 'gpujs'
 * carry `gpujsMode`, the mode gpu.js really ran in ('webasm' on a machine without GL). Motion
 * features and resampling exist in TypeScript only.
 * Every result carries `backend`, `threads` and `timings`. Native top-k is brute force over the
 * one-to-many distances; the TS reference prunes with exact lower bounds; both equal exhaustive
 * search.
 *
 * Predictors: the zone-aware stop-sequence model (trained on the shared Amazon LMRRC routes) and
 * the next-pickup GBDTs (trained on every courier of the shared LaDe subset), both trained on
 * first use and kept.
 */
import { availableParallelism } from 'node:os';
import { type AmazonRoute, loadAmazonLmrrc } from '../../data/amazon-lmrrc.js';
import { type LadePickups, loadLadePickups } from '../../data/lade.js';
import { toWaybillError, WaybillError } from '../../errors.js';
import { buildSharedNetworkGraph, type NetworkBuildReport } from '../../graph/build.js';
import { type GraphJson, graphToCsv, graphToGraphml, graphToJson } from '../../graph/export.js';
import type { DriftOptions, NetworkGraph, PathWeight } from '../../graph/network-graph.js';
import type { DriftFlag, EdgeKind, GraphEdge, GraphNode, GraphPath, LaneStats } from '../../graph/types.js';
import { defaultDataDir } from '../../paths.js';
import { gbdtPredict } from '../ml/gbdt.js';
import { describeValue } from '../options.js';
import { type MotionFeatures, motionFeatures } from './features.js';
import { GPUJS_TRAJECTORY_MEASURES, gpujsPairwiseDistances, gpujsTrajectoryRejects, gpujsTrajectoryStatus } from './gpujs.js';
import {
  CUDA_TRAJECTORY_MEASURES,
  type NativeRunOptions,
  nativeDetectStayPoints,
  nativeDouglasPeucker,
  nativeOneToManyDistances,
  nativePairwiseDistances,
  nativeTdTr,
  nativeTrajectoryCudaStatus,
  nativeTrajectoryStatus,
} from './native.js';
import { buildPickupSteps, type NextPickupModel, PICKUP_FEATURES, stepFeatures, trainNextPickup } from './predict/next-pickup.js';
import {
  predictNearestNeighbour,
  predictShortestTour,
  predictZoneAware,
  routeDistanceMatrix,
  trainZoneModel,
  type ZoneModel,
} from './predict/stop-sequence.js';
import { resampleTrajectories } from './resample.js';
import { type DistanceMatrix, oneToManyDistances, pairwiseDistances, resolveMeasure } from './similarity.js';
import { douglasPeucker, type SimplifyResult, tdTr } from './simplify.js';
import { detectStayPoints, type StayPointOptions, type StayPoints } from './stay-points.js';
import { type TopKOptions, type TopKResult, topKSimilar } from './top-k.js';
import type { GroundOptions, SimilarityMeasure, SimilarityOptions, SpatialBatch, TrajectoryBatch } from './types.js';
import { validateBatch, validateTrajectory } from './validate.js';

/** Backends of the trajectory family ('cuda' and 'gpujs': pairwise DTW, Fréchet and Hausdorff only). */
export type TrajectoryBackend = 'cuda' | 'native' | 'gpujs' | 'js';

/**
 * Automatic dispatch sends a pairwise matrix to the CUDA device from this many pairs (with a
 * device present). Measured on an H200 (waybill_bench, walks of 90-110 fixes, bench/RESULTS.md
 * "CUDA on an H200"): 10 x 10 pairs take 1.1-3.6 ms on the device against 0.6-1.5 ms on 16 CPU
 * threads and about 2 ms on 2 cores; 30 x 30 take 1.3-5.6 ms against 1.6-4.1 ms (16 threads) and
 * 5-17 ms (2 cores); 100 x 100 already run 3-6x faster than 16 threads. So from 2^10 pairs the
 * device is at least even with a 16-thread CPU and about 3x a 2-core one.
 */
export const CUDA_MIN_TRAJECTORY_PAIRS = 1 << 10;

/**
 * Automatic dispatch sends a pairwise matrix to gpu.js from this many pairs, and only when gpu.js
 * runs on a real GPU and the native backend is unavailable (priority cuda -> native -> gpujs -> js).
 * Provisional: not yet timed on a GPU (no machine here has a GL context; in its webasm fallback,
 * which is never auto-selected, 1000 pairs of 100-point segments take ~0.1 s).
 */
export const GPUJS_MIN_TRAJECTORY_PAIRS = 1 << 12;

/** How a call runs. */
export interface TrajectoryRunOptions {
  /**
   * Force a backend; default: 'cuda' for large pairwise DTW / Fréchet / Hausdorff matrices when a
   * CUDA device is present, else 'native' when the addon has the kernel, else 'gpujs' for large
   * such matrices when gpu.js runs on a real GPU, else 'js'.
   */
  backend?: TrajectoryBackend;
  /** Native threads, 1..256 (default min(4, cores)); results never depend on it. Ignored by 'js', 'cuda' and 'gpujs'. */
  threads?: number;
  /** Cancels a native call (cooperatively, between pairs / trajectories) or a call not yet started. */
  signal?: AbortSignal;
}

/** What every result carries. */
export interface Served {
  backend: TrajectoryBackend;
  /** Native threads used (1 for 'js', 'cuda' and 'gpujs'). */
  threads: number;
  /**
   * 'gpujs' only: the mode gpu.js really ran in ('webgl2', 'headlessgl', 'webgpu', ... on a GPU;
   * 'webasm' or 'cpu' when it fell back to the CPU).
   */
  gpujsMode?: string;
  timings: { totalMs: number };
}

/** Which kernels exist natively. */
const NATIVE_KERNELS = new Set(['pairwise', 'oneToMany', 'topK', 'simplify', 'stayPoints']);

/** A stop of a route whose serving order is predicted. */
export interface SequenceStop {
  id?: string;
  lat: number;
  lng: number;
  /** Amazon-style delivery zone ("D-8.3E"); null or omitted: the zone of the nearest stop that has one. */
  zone?: string | null;
}

/** A route to sequence: the station (start and end) and its stops. */
export interface SequenceInput {
  /** The station; `code` (e.g. "DLA7") lets the model use real drivers' zone transitions at that station. */
  station: { lat: number; lng: number; code?: string };
  stops: SequenceStop[];
}

/** Predicted serving order: indices into `stops`, station left out. */
export interface SequencePrediction {
  order: number[];
  ids: string[];
  model: 'zone';
  baselines: { nearest: number[]; tour: number[] };
  trainedOn: string[];
  backend: 'js';
  timings: { totalMs: number };
}

/** A pickup task the courier has completed. */
export interface DoneTask {
  id?: string;
  lat: number;
  lng: number;
  /** Epoch seconds. */
  pickupTime: number;
  aoiId?: number;
  aoiType?: number;
}

/** A pending pickup task (times in epoch seconds; omitted: unknown). */
export interface PendingTask {
  id?: string;
  lat: number;
  lng: number;
  acceptTime?: number;
  windowStart?: number;
  windowEnd?: number;
  aoiId?: number;
  aoiType?: number;
}

export interface NextPickupInput {
  /** Completed tasks in pickup order; the last one is where and when the courier is. */
  done?: DoneTask[];
  pending: PendingTask[];
  /** The courier's position, when no task is done yet (or to override the last one's). */
  position?: { lat: number; lng: number };
  /** Decision time, epoch seconds (default: the last done task's pickupTime). */
  time?: number;
  /** Local clock of the courier, hours from UTC (default 8, China, as in the LaDe training data). */
  utcOffsetHours?: number;
}

/** One pending task in predicted order. */
export interface RankedPickup {
  /** Index into `pending`. */
  index: number;
  id: string;
  /** Ranker output, probability-like in [0, 1]; higher is picked up sooner. */
  score: number;
  /** Minutes from `time` until this task is picked up if the courier goes to it next: median (L1 GBDT) and P90 (quantile GBDT, at least the median). */
  minutes: { p50: number; p90: number };
  /** The same as epoch seconds. */
  at: { p50: number; p90: number };
}

export interface NextPickupPrediction {
  ranked: RankedPickup[];
  time: number;
  baselines: { nearest: number; earliestWindowEnd: number | null };
  trainedOn: { couriers: number; steps: number; note: string };
  backend: 'js';
  timings: { totalMs: number };
}

export interface TrajectoryKernels {
  /** n x m distances between the trajectories of `a` and `b` (units as pairwiseDistances). */
  pairwise(
    measure: SimilarityMeasure,
    a: SpatialBatch,
    b: SpatialBatch,
    options?: SimilarityOptions & TrajectoryRunOptions,
  ): Promise<DistanceMatrix & Served>;
  /** Distances from one query trajectory (interleaved coordinates) to each trajectory of `batch`. */
  oneToMany(
    measure: SimilarityMeasure,
    query: Float64Array | readonly number[],
    batch: SpatialBatch,
    options?: SimilarityOptions & TrajectoryRunOptions,
  ): Promise<{ distances: Float64Array } & Served>;
  /** The k trajectories of `candidates` most similar to `query` (exactly exhaustive search's answer). */
  topK(
    query: Float64Array | readonly number[],
    candidates: SpatialBatch,
    k: number,
    options?: TopKOptions & TrajectoryRunOptions,
  ): Promise<TopKResult & Served>;
  /** Douglas–Peucker ('dp') or TD-TR ('tdtr', needs times) with `tolerance` metres (haversine) or data units. */
  simplify(
    batch: SpatialBatch | TrajectoryBatch,
    options: { method: 'dp' | 'tdtr'; tolerance: number } & GroundOptions & TrajectoryRunOptions,
  ): Promise<SimplifyResult & Served>;
  /** Stay points (distance metres, duration seconds); timestamps strictly increasing. */
  stayPoints(batch: TrajectoryBatch, options: StayPointOptions & TrajectoryRunOptions): Promise<StayPoints & Served>;
  /** Per-point distance, dt, speed, heading, acceleration (TypeScript only). */
  features(batch: TrajectoryBatch, options?: GroundOptions & TrajectoryRunOptions): Promise<MotionFeatures & Served>;
  /** Every trajectory resampled to one point per `step` seconds (TypeScript only). */
  resample(
    batch: TrajectoryBatch,
    step: number,
    options?: GroundOptions & TrajectoryRunOptions,
  ): Promise<{ batch: TrajectoryBatch } & Served>;
  /** Stop order of one route by the zone model, with the nearest-neighbour and shortest-tour baselines. */
  predictSequence(input: SequenceInput): Promise<SequencePrediction>;
  /** Pending pickups ranked by the GBDT ranker, with P50 / P90 pickup times. */
  predictNextPickup(input: NextPickupInput): Promise<NextPickupPrediction>;
}

export interface TrajectoryKernelOptions {
  isClosed: () => boolean;
  /** The engine allows the native backend (default true). */
  allowNative?: boolean;
  /** The engine allows the cuda backend (default true; it is used only where a device is present). */
  allowCuda?: boolean;
  /** The engine allows the gpujs backend (default true; auto-selected only on a real GPU). */
  allowGpujs?: boolean;
  /** Shared data for the predictors (default WAYBILL_DATA_DIR or ../shared/data). */
  dataDir?: string;
}

/**
 * A distance call, as backend choice sees it: pairwise (a, b given), one-to-many or top-k (a
 * query against `pairs` trajectories, no a / b).
 */
interface PairwiseCall {
  measure: SimilarityMeasure;
  a?: SpatialBatch;
  b?: SpatialBatch;
  pairs: number;
}

/**
 * Whether the gpu.js kernels take this call's trajectories (automatic dispatch must not pick a
 * backend that would refuse them). Malformed batches answer false: the backend chosen instead
 * reports them.
 */
function fitsGpujs(call: PairwiseCall): boolean {
  if (!call.a || !call.b) return false;
  try {
    return gpujsTrajectoryRejects(call.measure, call.a, call.b) === null;
  } catch {
    return false;
  }
}

/** Trajectories in a batch as its offsets say (0 for a malformed one: validation reports it later). */
function trajectoryCount(batch: SpatialBatch): number {
  const offsets = (batch as { offsets?: unknown } | undefined)?.offsets;
  return offsets instanceof Int32Array ? Math.max(0, offsets.length - 1) : 0;
}

function checkThreads(value: unknown): number {
  const threads = value ?? Math.min(4, availableParallelism());
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new WaybillError('INVALID_ARGUMENT', `threads must be an integer in [1, 256], got ${String(value)}`, { argument: 'threads' });
  }
  return threads;
}

/** Ids of the k smallest distances, ties to the lower index: the exhaustive answer. */
function selectK(d: Float64Array, k: number): Int32Array {
  const order = Array.from({ length: d.length }, (_, j) => j).sort((a, b) => (d[a] as number) - (d[b] as number) || a - b);
  return Int32Array.from(order.slice(0, k));
}

function finiteOr(v: unknown, name: string, details: Record<string, unknown>): number {
  if (v === undefined) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new WaybillError('NOT_FINITE', `${name} must be a finite number, got ${String(v)}`, { argument: name, ...details });
  }
  return v;
}

function checkLatLng(name: string, lat: unknown, lng: unknown, index: number | undefined): void {
  const where = index === undefined ? {} : { index };
  for (const [axis, v, lim] of [
    ['lat', lat, 90],
    ['lng', lng, 180],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new WaybillError('NOT_FINITE', `${name}: ${axis} must be a finite number, got ${String(v)}`, {
        argument: `${name}.${axis}`,
        ...where,
      });
    }
    if (Math.abs(v) > lim) {
      throw new WaybillError('COORDINATE_OUT_OF_RANGE', `${name}: ${axis} ${v} is outside [-${lim}, ${lim}]`, {
        argument: `${name}.${axis}`,
        ...where,
      });
    }
  }
}

/** Creates `engine.kernels.trajectory`. */
export function createTrajectoryKernels(options: TrajectoryKernelOptions): TrajectoryKernels {
  const allowNative = options.allowNative ?? true;
  const allowCuda = options.allowCuda ?? true;
  const allowGpujs = options.allowGpujs ?? true;
  let status: ReturnType<typeof nativeTrajectoryStatus> | undefined;
  const nativeStatus = () => {
    status ??= nativeTrajectoryStatus();
    return status;
  };
  let cudaStatus: ReturnType<typeof nativeTrajectoryCudaStatus> | undefined;
  const cudaReady = () => {
    cudaStatus ??= nativeTrajectoryCudaStatus();
    return cudaStatus;
  };
  // Not cached here: gpujsTrajectoryStatus probes once and then reports the mode of the last call.
  const gpujsOnGpu = () => {
    const s = gpujsTrajectoryStatus();
    return s.ok && s.onGpu;
  };

  /** `pairwise` describes a pairwise call (measure, batches, pairs); other kernels have none. */
  function choose(kernel: string, requested: unknown, call?: PairwiseCall): TrajectoryBackend {
    const has = NATIVE_KERNELS.has(kernel);
    const cudaMeasure = call !== undefined && CUDA_TRAJECTORY_MEASURES.includes(call.measure);
    // CUDA serves pairwise, one-to-many and top-k calls (`call` describes them); gpu.js pairwise only.
    const pairwise = kernel === 'pairwise' ? call : undefined;
    if (requested === undefined) {
      if (cudaMeasure && allowCuda && call.pairs >= CUDA_MIN_TRAJECTORY_PAIRS && cudaReady().ok) return 'cuda';
      if (has && allowNative && nativeStatus().ok) return 'native';
      // gpu.js only on a real GPU, and only for input within its limits (a forced call would fail on it).
      if (
        pairwise !== undefined &&
        allowGpujs &&
        pairwise.pairs >= GPUJS_MIN_TRAJECTORY_PAIRS &&
        GPUJS_TRAJECTORY_MEASURES.includes(pairwise.measure) &&
        gpujsOnGpu() &&
        fitsGpujs(pairwise)
      ) {
        return 'gpujs';
      }
      return 'js';
    }
    if (requested === 'js') return 'js';
    if (requested === 'gpujs') {
      if (!pairwise)
        throw new WaybillError('KERNEL_UNSUPPORTED', `trajectory ${kernel} has no gpu.js implementation; use backend 'native' or 'js'`, {
          backend: 'gpujs',
          kernel,
        });
      if (!GPUJS_TRAJECTORY_MEASURES.includes(pairwise.measure))
        throw new WaybillError(
          'KERNEL_UNSUPPORTED',
          `the gpu.js pairwise kernel has ${GPUJS_TRAJECTORY_MEASURES.join(', ')}, not ${pairwise.measure}`,
          { backend: 'gpujs', kernel, measure: pairwise.measure },
        );
      if (!allowGpujs) throw new WaybillError('BACKEND_UNAVAILABLE', 'the gpujs backend is disabled for this engine', { backend: 'gpujs' });
      const s = gpujsTrajectoryStatus();
      if (!s.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `gpu.js trajectory kernels unavailable: ${s.reason}`, { backend: 'gpujs' });
      return 'gpujs';
    }
    if (requested === 'cuda') {
      if (!call)
        throw new WaybillError('KERNEL_UNSUPPORTED', `trajectory ${kernel} has no CUDA implementation; use backend 'native' or 'js'`, {
          backend: 'cuda',
          kernel,
        });
      if (!cudaMeasure)
        throw new WaybillError(
          'KERNEL_UNSUPPORTED',
          `the CUDA pairwise kernel has ${CUDA_TRAJECTORY_MEASURES.join(', ')}, not ${call.measure}`,
          {
            backend: 'cuda',
            kernel,
            measure: call.measure,
          },
        );
      if (!allowCuda) throw new WaybillError('BACKEND_UNAVAILABLE', 'the cuda backend is disabled for this engine', { backend: 'cuda' });
      const s = cudaReady();
      if (!s.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA trajectory kernel unavailable: ${s.reason}`, { backend: 'cuda' });
      return 'cuda';
    }
    if (requested === 'native') {
      if (!has)
        throw new WaybillError('KERNEL_UNSUPPORTED', `trajectory ${kernel} has no native implementation; use backend 'js'`, {
          backend: 'native',
          kernel,
        });
      if (!allowNative)
        throw new WaybillError('BACKEND_UNAVAILABLE', 'the native backend is disabled for this engine', { backend: 'native' });
      const s = nativeStatus();
      if (!s.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `native trajectory kernels unavailable: ${s.reason}`, { backend: 'native' });
      return 'native';
    }
    // Not a backend at all (a typo, 'tpu'): the caller's argument is wrong, as in the geo kernels.
    throw new WaybillError('INVALID_ARGUMENT', `trajectory kernels run on 'cuda', 'native', 'gpujs' or 'js', not ${String(requested)}`, {
      field: 'backend',
      argument: 'backend',
      backend: String(requested),
      kernel,
    });
  }

  /** Runs one call: closed / aborted checks, backend choice, native run options, timing. */
  async function serve<T>(
    kernel: string,
    run: TrajectoryRunOptions | undefined,
    js: () => T,
    native: (r: NativeRunOptions) => Promise<T>,
    call?: PairwiseCall & { gpujs?: (cancel: Int32Array) => Promise<T & { gpujsMode: string }> },
  ): Promise<T & Served> {
    if (options.isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
    if (run?.signal?.aborted) throw new WaybillError('ABORTED', 'cancelled before it started');
    const backend = choose(kernel, run?.backend, call);
    const threads = checkThreads(run?.threads);
    const t0 = performance.now();
    let out: T;
    if (backend === 'js') {
      out = js();
    } else {
      const cancel = new Int32Array(new SharedArrayBuffer(4));
      const onAbort = () => Atomics.store(cancel, 0, 1);
      run?.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (backend === 'gpujs' && call?.gpujs) out = await call.gpujs(cancel);
        else out = await native(backend === 'cuda' ? { threads: 1, cancel, device: 'cuda' } : { threads, cancel });
      } catch (err) {
        // The addon rejects with plain Errors carrying a catalogue `code` (an abort mid-call: ABORTED).
        throw toWaybillError(err);
      } finally {
        run?.signal?.removeEventListener('abort', onAbort);
      }
    }
    return { ...out, backend, threads: backend === 'native' ? threads : 1, timings: { totalMs: performance.now() - t0 } };
  }

  const dataDir = () => options.dataDir ?? defaultDataDir();
  let zone: { model: ZoneModel } | undefined;
  let pickup: { model: NextPickupModel; couriers: number; steps: number } | undefined;

  return {
    pairwise: (measure, a, b, o) =>
      serve(
        'pairwise',
        o,
        () => pairwiseDistances(measure, a, b, o),
        (r) => nativePairwiseDistances(measure, a, b, o, r),
        {
          measure,
          a,
          b,
          pairs: trajectoryCount(a) * trajectoryCount(b),
          gpujs: (cancel) => gpujsPairwiseDistances(measure, a, b, o, { cancel }),
        },
      ),
    oneToMany: (measure, query, batch, o) =>
      serve(
        'oneToMany',
        o,
        () => ({ distances: oneToManyDistances(measure, query, batch, o) }),
        async (r) => ({ distances: await nativeOneToManyDistances(measure, query, batch, o, r) }),
        { measure, pairs: trajectoryCount(batch) },
      ),
    topK: (query, candidates, k, o) =>
      serve(
        'topK',
        o,
        () => topKSimilar(query, candidates, k, o),
        async (r) => {
          // Same checks, same order, as topKSimilar; then brute force on the C++ core (or, with
          // backend 'cuda', the one-to-many distances on the device).
          const m = resolveMeasure(o?.measure ?? 'dtw', o);
          validateTrajectory('query', query, m.ground.geographic);
          const count = validateBatch('candidates', candidates, { geographic: m.ground.geographic });
          if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > count) {
            throw new WaybillError(
              'INVALID_K',
              `k must be an integer with 1 <= k <= ${count} (the number of candidates), got ${String(k)}`,
              {
                argument: 'k',
                m: count,
              },
            );
          }
          const d = await nativeOneToManyDistances(m.measure, query, candidates, o, r);
          const indices = selectK(d, k);
          return {
            indices,
            distances: Float64Array.from(indices, (j) => d[j] as number),
            stats: { candidates: count, computed: count, pruned: 0, abandoned: 0 },
          };
        },
        { measure: o?.measure ?? 'dtw', pairs: trajectoryCount(candidates) },
      ),
    async simplify(batch, o) {
      // The options carry the method: a number or null there is the wrong argument, not a wrong method.
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        throw new WaybillError('INVALID_ARGUMENT', `simplify takes options { method, tolerance }, got ${describeValue(o)}`, {
          argument: 'options',
          field: 'options',
        });
      const method = o.method;
      if (method !== 'dp' && method !== 'tdtr') {
        throw new WaybillError('INVALID_ARGUMENT', `method must be 'dp' (Douglas–Peucker) or 'tdtr' (TD-TR), got ${String(method)}`, {
          argument: 'method',
        });
      }
      return serve(
        'simplify',
        o,
        () => (method === 'dp' ? douglasPeucker(batch, o.tolerance, o) : tdTr(batch as TrajectoryBatch, o.tolerance, o)),
        (r) => (method === 'dp' ? nativeDouglasPeucker(batch, o.tolerance, o, r) : nativeTdTr(batch as TrajectoryBatch, o.tolerance, o, r)),
      );
    },
    stayPoints: (batch, o) =>
      serve(
        'stayPoints',
        o,
        () => detectStayPoints(batch, o),
        (r) => nativeDetectStayPoints(batch, o, r),
      ),
    features: (batch, o) =>
      serve(
        'features',
        o,
        () => motionFeatures(batch, o),
        () => Promise.reject(new Error('unreachable')),
      ),
    resample: (batch, step, o) =>
      serve(
        'resample',
        o,
        () => ({ batch: resampleTrajectories(batch, step, o) }),
        () => Promise.reject(new Error('unreachable')),
      ),

    async predictSequence(input) {
      if (options.isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const t0 = performance.now();
      const route = routeFromInput(input);
      zone ??= { model: trainZoneModel(loadAmazonLmrrc(dataDir()).routes) };
      const dist = routeDistanceMatrix(route);
      // Sequences hold route indices, station (0) first: stop i of the request is route index i + 1.
      const toStops = (seq: number[]) => seq.filter((i) => i !== 0).map((i) => i - 1);
      const order = toStops(predictZoneAware(zone.model, route, dist));
      return {
        order,
        ids: order.map((i) => input.stops[i]?.id ?? String(i)),
        model: 'zone',
        baselines: { nearest: toStops(predictNearestNeighbour(route, dist)), tour: toStops(predictShortestTour(route, dist)) },
        trainedOn: zone.model.trainedOn,
        backend: 'js',
        timings: { totalMs: performance.now() - t0 },
      };
    },

    async predictNextPickup(input) {
      if (options.isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
      const t0 = performance.now();
      const problem = pickupProblem(input);
      if (!pickup) {
        const lade = loadLadePickups(dataDir());
        const { steps } = buildPickupSteps(lade);
        pickup = { model: trainNextPickup(lade, steps), couriers: new Set(steps.map((s) => s.courier)).size, steps: steps.length };
      }
      const { p, time, pending } = problem;
      const candidates = pending.map((_, i) => i + 1);
      const step = {
        courierDay: '',
        courier: '',
        previous: 0,
        time,
        candidates,
        positive: new Uint8Array(candidates.length),
        next: 1,
        minutes: 0,
      };
      const nf = PICKUP_FEATURES.length;
      const feats = stepFeatures(p, step);
      const score = gbdtPredict(pickup.model.ranker, feats, nf);
      const p50 = gbdtPredict(pickup.model.time, feats, nf);
      const p90 = gbdtPredict(pickup.model.timeP90, feats, nf);
      const order = candidates.map((_, i) => i).sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);
      const shift = ((input.utcOffsetHours ?? 8) - 8) * 3600;
      const nearest = candidates
        .map((_, i) => i)
        .sort((a, b) => (feats[a * nf] as number) - (feats[b * nf] as number) || a - b)[0] as number;
      const withWindow = candidates.map((_, i) => i).filter((i) => Number.isFinite(feats[i * nf + 4] as number));
      withWindow.sort((a, b) => (feats[a * nf + 4] as number) - (feats[b * nf + 4] as number) || a - b);
      return {
        ranked: order.map((i) => {
          const m50 = Math.max(0, p50[i] as number);
          const m90 = Math.max(m50, p90[i] as number);
          return {
            index: i,
            id: pending[i]?.id ?? String(i),
            score: score[i] as number,
            minutes: { p50: m50, p90: m90 },
            at: { p50: time + shift + m50 * 60, p90: time + shift + m90 * 60 },
          };
        }),
        time: time + shift,
        baselines: { nearest, earliestWindowEnd: withWindow[0] ?? null },
        trainedOn: {
          couriers: pickup.couriers,
          steps: pickup.steps,
          note: 'GBDT ranker and L1 / P90 time GBDTs trained on every courier-day of the shared LaDe-P subset (the evaluation holds couriers back; serving uses them all)',
        },
        backend: 'js',
        timings: { totalMs: performance.now() - t0 },
      };
    },
  };
}

/** The request as an AmazonRoute: station at index 0, stop i at index i + 1. */
function routeFromInput(input: SequenceInput): AmazonRoute {
  if (typeof input !== 'object' || input === null || !Array.isArray(input.stops)) {
    throw new WaybillError('INVALID_ARGUMENT', 'a route needs station { lat, lng } and stops [{ lat, lng, zone? }]', { argument: 'stops' });
  }
  const { station, stops } = input;
  if (typeof station !== 'object' || station === null)
    throw new WaybillError('INVALID_ARGUMENT', 'station { lat, lng } is required', { argument: 'station' });
  if (stops.length === 0) {
    throw new WaybillError('INVALID_ARGUMENT', 'the route has no stops: send at least one stop besides the station', {
      argument: 'stops',
      length: 0,
    });
  }
  checkLatLng('station', station.lat, station.lng, undefined);
  const coords = new Float64Array(2 * (stops.length + 1));
  coords[0] = station.lat;
  coords[1] = station.lng;
  const zones: (string | null)[] = [null];
  stops.forEach((s, i) => {
    if (typeof s !== 'object' || s === null)
      throw new WaybillError('INVALID_ARGUMENT', `stops[${i}] must be an object`, { argument: 'stops', index: i });
    checkLatLng(`stops[${i}]`, s.lat, s.lng, i);
    coords[2 * i + 2] = s.lat;
    coords[2 * i + 3] = s.lng;
    zones.push(typeof s.zone === 'string' && s.zone !== '' ? s.zone : null);
  });
  return {
    id: 'request',
    station: station.code ?? 'request',
    date: '',
    departure: Number.NaN,
    capacityCm3: Number.NaN,
    stopIds: ['station', ...stops.map((s, i) => s.id ?? String(i))],
    coords,
    types: ['Station', ...stops.map(() => 'Dropoff')],
    zones,
    stationIndex: 0,
    actualOrder: undefined,
    packages: {
      ids: [],
      stop: new Int32Array(0),
      windowStart: new Float64Array(0),
      windowEnd: new Float64Array(0),
      serviceSeconds: new Float64Array(0),
      dimensionsCm: new Float64Array(0),
    },
  };
}

/**
 * The request as LaDe rows: row 0 the courier's last pickup (or position), rows 1.. the pending
 * tasks. Times are shifted so that the local clock reads as China time, as in training.
 */
function pickupProblem(input: NextPickupInput): { p: LadePickups; time: number; pending: PendingTask[] } {
  if (typeof input !== 'object' || input === null || !Array.isArray(input.pending)) {
    throw new WaybillError('INVALID_ARGUMENT', 'send pending [{ lat, lng, ... }] and done [...] or position', { argument: 'pending' });
  }
  const done = input.done ?? [];
  const pending = input.pending;
  if (pending.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'no pending tasks to rank', { argument: 'pending', length: 0 });
  const offset = input.utcOffsetHours ?? 8;
  if (typeof offset !== 'number' || !Number.isFinite(offset) || Math.abs(offset) > 14) {
    throw new WaybillError('INVALID_ARGUMENT', `utcOffsetHours must be in [-14, 14], got ${String(offset)}`, {
      argument: 'utcOffsetHours',
    });
  }
  done.forEach((d, i) => {
    checkLatLng(`done[${i}]`, d.lat, d.lng, i);
    finiteOr(d.pickupTime ?? Number.NaN, `done[${i}].pickupTime`, { index: i });
    const prev = done[i - 1];
    if (prev && d.pickupTime < prev.pickupTime) {
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `done[${i}].pickupTime ${d.pickupTime} is earlier than done[${i - 1}]'s (${prev.pickupTime}): list done tasks in pickup order`,
        {
          argument: 'done',
          index: i,
          reason: 'unsorted-timestamps',
        },
      );
    }
  });
  const last = done[done.length - 1];
  const position = input.position ?? last;
  if (!position)
    throw new WaybillError('INVALID_ARGUMENT', 'send at least one done task or the courier position', { argument: 'position' });
  checkLatLng('position', position.lat, position.lng, undefined);
  const time = input.time ?? last?.pickupTime;
  if (time === undefined)
    throw new WaybillError('INVALID_ARGUMENT', 'send time (epoch seconds) when no task is done', { argument: 'time' });
  finiteOr(time, 'time', {});
  const shift = (8 - offset) * 3600;
  const n = pending.length + 1;
  const p: LadePickups = {
    count: n,
    orderId: ['done', ...pending.map((t, i) => t.id ?? String(i))],
    regionId: new Int32Array(n),
    city: new Array(n).fill(''),
    courierId: new Int32Array(n),
    acceptTime: new Float64Array(n).fill(Number.NaN),
    windowStart: new Float64Array(n).fill(Number.NaN),
    windowEnd: new Float64Array(n).fill(Number.NaN),
    coords: new Float64Array(2 * n),
    aoiId: new Int32Array(n).fill(-1),
    aoiType: new Int32Array(n).fill(-1),
    pickupTime: new Float64Array(n).fill(Number.NaN),
    pickupGpsTime: new Float64Array(n).fill(Number.NaN),
    pickupGps: new Float64Array(2 * n).fill(Number.NaN),
    acceptGpsTime: new Float64Array(n).fill(Number.NaN),
    acceptGps: new Float64Array(2 * n).fill(Number.NaN),
    ds: new Int32Array(n),
  };
  p.coords[0] = position.lat;
  p.coords[1] = position.lng;
  // An unknown AOI of the last pickup must not equal an unknown AOI of a candidate.
  p.aoiId[0] = input.position === undefined && last?.aoiId !== undefined ? last.aoiId : -2;
  p.aoiType[0] = input.position === undefined && last?.aoiType !== undefined ? last.aoiType : -2;
  p.pickupTime[0] = time + shift;
  pending.forEach((t, i) => {
    checkLatLng(`pending[${i}]`, t.lat, t.lng, i);
    const r = i + 1;
    p.coords[2 * r] = t.lat;
    p.coords[2 * r + 1] = t.lng;
    p.acceptTime[r] = finiteOr(t.acceptTime, `pending[${i}].acceptTime`, { index: i }) + shift;
    p.windowStart[r] = finiteOr(t.windowStart, `pending[${i}].windowStart`, { index: i }) + shift;
    p.windowEnd[r] = finiteOr(t.windowEnd, `pending[${i}].windowEnd`, { index: i }) + shift;
    if (t.aoiId !== undefined) p.aoiId[r] = t.aoiId;
    if (t.aoiType !== undefined) p.aoiType[r] = t.aoiType;
  });
  return { p, time: time + shift, pending };
}

/** Network graph summary, as `engine.graph.summary()` returns it. */
export interface NetworkSummary {
  nodes: Record<string, number>;
  edges: Record<string, number>;
  /** What the shared-data build added per source (absent for a graph given with `use`). */
  report?: NetworkBuildReport;
  source: 'shared-data' | 'user';
  dataDir?: string;
  buildMs: number;
}

/** `engine.graph`: the network graph, built from the shared data on first use. */
export interface EngineGraph {
  /** The graph itself (builds it on first use). */
  graph(): Promise<NetworkGraph>;
  /** Replaces the graph with the caller's (e.g. built from their own data with buildNetworkGraph). */
  use(graph: NetworkGraph): void;
  summary(): Promise<NetworkSummary>;
  /** The node with this id; NOT_FOUND naming it otherwise. */
  node(id: string): Promise<GraphNode>;
  neighbours(id: string, options?: { direction?: 'out' | 'in' | 'both'; kind?: EdgeKind }): Promise<{ node: GraphNode; edge: GraphEdge }[]>;
  /** Up to k loopless lane paths, cheapest first, by mean time or a time quantile (seconds). */
  kShortestPaths(from: string, to: string, k: number, options?: { weight?: PathWeight }): Promise<GraphPath[]>;
  laneStats(from: string, to: string, options?: { quantiles?: number[] }): Promise<LaneStats>;
  drift(options?: DriftOptions): Promise<DriftFlag[]>;
  /** GraphML text, the lossless JSON document, or Neo4j node / edge CSV texts. */
  export(format: 'graphml'): Promise<string>;
  export(format: 'json'): Promise<GraphJson>;
  export(format: 'csv'): Promise<{ nodes: string; edges: string }>;
}

/** Creates `engine.graph` over the shared data in `dataDir` (default WAYBILL_DATA_DIR or ../shared/data). */
export function createEngineGraph(options: { isClosed: () => boolean; dataDir?: string; gps?: boolean }): EngineGraph {
  let built: { graph: NetworkGraph; summary: Omit<NetworkSummary, 'nodes' | 'edges'> } | undefined;
  const get = async () => {
    if (options.isClosed()) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
    if (built) return built;
    const dataDir = options.dataDir ?? defaultDataDir();
    const t0 = performance.now();
    try {
      const { graph, report } = buildSharedNetworkGraph({ dataDir, ...(options.gps === false ? { gps: false } : {}) });
      built = { graph, summary: { report, source: 'shared-data', dataDir, buildMs: performance.now() - t0 } };
      return built;
    } catch (err) {
      // Not remembered: the next call tries again (the data may have been put in place meanwhile).
      if (err instanceof WaybillError && err.code === 'NOT_FOUND') {
        throw new WaybillError('NOT_FOUND', `the network graph cannot be built: ${err.message}`, {
          ...err.details,
          dataDir,
          reason: 'data-missing',
        });
      }
      throw err;
    }
  };
  const g = async () => (await get()).graph;
  return {
    graph: g,
    use(graph) {
      built = { graph, summary: { source: 'user', buildMs: 0 } };
    },
    async summary() {
      const b = await get();
      return { ...b.graph.summary(), ...b.summary };
    },
    node: async (id) => (await g()).node(id),
    neighbours: async (id, o) => (await g()).neighbours(id, o),
    kShortestPaths: async (from, to, k, o) => (await g()).kShortestPaths(from, to, k, o),
    laneStats: async (from, to, o) => (await g()).laneStats(from, to, o),
    drift: async (o) => (await g()).driftFlags(o),
    export: (async (format: 'graphml' | 'json' | 'csv') => {
      const graph = await g();
      if (format === 'graphml') return graphToGraphml(graph);
      if (format === 'json') return graphToJson(graph);
      if (format === 'csv') return graphToCsv(graph);
      throw new WaybillError('INVALID_ARGUMENT', `format must be graphml, json or csv, got ${String(format)}`, {
        argument: 'format',
        field: 'format',
      });
    }) as EngineGraph['export'],
  };
}
