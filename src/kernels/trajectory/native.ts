/**
 * The trajectory kernels on the C++ CPU core (native/include/waybill/trajectory.h): the same
 * signatures and validation as the TypeScript reference (similarity.ts, simplify.ts,
 * stay-points.ts), the work done by the addon. Results equal the reference's up to last-ulp
 * differences of sin / cos / asin between libm and V8 (test/kernels/trajectory-parity.test.ts).
 *
 * `nativeTrajectoryStatus()` says whether the loaded addon has the trajectory functions;
 * `nativeTrajectoryCudaStatus()` whether pairwise distances can run on a CUDA device
 * (`device: 'cuda'`: DTW, Fréchet and Hausdorff; the same numbers as the CPU, bit for bit for
 * Euclidean and city-scale haversine, else within a relative 1e-12).
 */
import { WaybillError } from '../../errors.js';
import { loadAddon, type NativeAddon } from '../../native/addon.js';
import { BatchBuilder, idOf } from './batch.js';
import type { DistanceMatrix } from './similarity.js';
import { resolveMeasure } from './similarity.js';
import type { SimplifyResult } from './simplify.js';
import type { StayPointOptions, StayPoints } from './stay-points.js';
import type { GroundOptions, SimilarityMeasure, SimilarityOptions, SpatialBatch, TrajectoryBatch } from './types.js';
import { validateBatch, validateGround, validateNonNegative, validateTrajectory } from './validate.js';

/** How a native call runs. */
export interface NativeRunOptions {
  /** Native threads (std::thread over pairs or trajectories), default 1. Results do not depend on it. */
  threads?: number;
  /** Run on the calling thread (pool workers) instead of a libuv worker. */
  sync?: boolean;
  /** Only rows (pairwise: trajectories of `a`; otherwise trajectories of the batch) [rowBegin, rowEnd) are computed. */
  rowBegin?: number;
  rowEnd?: number;
  /** Cooperative cancellation: the kernel stops with ABORTED once `cancel[0]` is non-zero. */
  cancel?: Int32Array;
  /**
   * Pairwise and one-to-many distances only: 'cuda' runs them on the CUDA device (measures in
   * CUDA_TRAJECTORY_MEASURES; one-to-many as a 1 x n pairwise matrix, without a row range;
   * `threads` unused, cancellation between launches). Default 'cpu'.
   */
  device?: 'cpu' | 'cuda';
}

/** Measures the CUDA pairwise kernel has (native/src/cuda/trajectory/similarity.cu). */
export const CUDA_TRAJECTORY_MEASURES: readonly SimilarityMeasure[] = ['dtw', 'frechet', 'hausdorff'];

type TrajectoryAddon = Required<
  Pick<NativeAddon, 'trajectoryPairwise' | 'trajectoryOneToMany' | 'trajectorySimplify' | 'trajectoryStayPoints'>
>;

/** Whether the loaded addon has the trajectory kernels, and why not. */
export function nativeTrajectoryStatus(): { ok: true; path: string } | { ok: false; reason: string } {
  const load = loadAddon();
  if (!load.ok) return { ok: false, reason: load.reason };
  if (typeof load.addon.trajectoryPairwise !== 'function') {
    return { ok: false, reason: `addon ${load.path} has no trajectory kernels (stale build? run npm run build:native)` };
  }
  return { ok: true, path: load.path };
}

/**
 * Whether pairwise distances can run on a CUDA device, and why not: the addon must have the
 * trajectory kernels and know `device` (a stale build would run on the CPU), have been built with
 * CUDA, and see a usable device.
 */
export function nativeTrajectoryCudaStatus(): { ok: true; device: string } | { ok: false; reason: string } {
  const load = loadAddon();
  const status = nativeTrajectoryStatus();
  if (!status.ok || !load.ok) return { ok: false, reason: status.ok ? 'addon not loaded' : status.reason };
  if (!load.addon.trajectoryDevices?.includes('cuda')) {
    return { ok: false, reason: `addon ${load.path} predates the CUDA trajectory kernel (stale build? run npm run build:native)` };
  }
  const cu = load.addon.info().cuda;
  if (!cu.available) return { ok: false, reason: cu.reason ?? 'no CUDA device' };
  return { ok: true, device: cu.name ?? 'CUDA device' };
}

function addon(): TrajectoryAddon {
  const load = loadAddon();
  const status = nativeTrajectoryStatus();
  if (!status.ok || !load.ok)
    throw new WaybillError('BACKEND_UNAVAILABLE', `native trajectory kernels unavailable: ${status.ok ? '' : status.reason}`);
  return load.addon as TrajectoryAddon;
}

function runFields(run: NativeRunOptions | undefined, count: number) {
  if (run?.device !== undefined && run.device !== 'cpu') {
    throw new WaybillError('INVALID_ARGUMENT', `device ${String(run.device)} is for pairwise distances only; other calls run on 'cpu'`, {
      argument: 'device',
    });
  }
  const threads = run?.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new WaybillError('INVALID_ARGUMENT', `threads must be an integer in [1, 256], got ${String(threads)}`, { argument: 'threads' });
  }
  const rowBegin = run?.rowBegin ?? 0;
  const rowEnd = run?.rowEnd ?? count;
  if (!Number.isInteger(rowBegin) || !Number.isInteger(rowEnd) || rowBegin < 0 || rowBegin > rowEnd || rowEnd > count) {
    throw new WaybillError('INVALID_ARGUMENT', `rowBegin/rowEnd must satisfy 0 <= rowBegin <= rowEnd <= ${count}`, {
      argument: 'rowBegin',
    });
  }
  return { rowBegin, rowEnd, threads, sync: run?.sync ?? false, ...(run?.cancel ? { cancel: run.cancel } : {}) };
}

/** The addon's measure fields, from options already checked by resolveMeasure. */
function measureFields(measure: SimilarityMeasure, options: SimilarityOptions | undefined) {
  const m = resolveMeasure(measure, options);
  const g = options?.gap ?? [0, 0];
  return {
    ground: m.ground,
    fields: {
      measure,
      metric: m.ground.metric,
      radius: m.ground.radius,
      band: m.band ?? -1,
      eps: options?.eps ?? 0,
      delta: options?.delta ?? Number.POSITIVE_INFINITY,
      gap: Float64Array.of(g[0] as number, g[1] as number),
    },
  };
}

/** Waits for an async addon call; a sync one has already finished. Native errors carry a `code`. */
async function settle(p: Promise<void> | undefined): Promise<void> {
  if (p) await p;
}

/**
 * Pairwise distances between every trajectory of `a` (n) and of `b` (m) on the C++ core: the
 * n x m row-major matrix of {@link pairwiseDistances} (units per measure as there). With
 * `rowBegin`/`rowEnd` only those rows are written (the rest stay 0).
 */
export async function nativePairwiseDistances(
  measure: SimilarityMeasure,
  a: SpatialBatch,
  b: SpatialBatch,
  options?: SimilarityOptions,
  run?: NativeRunOptions,
): Promise<DistanceMatrix> {
  const { ground, fields } = measureFields(measure, options);
  const rows = validateBatch('a', a, { geographic: ground.geographic });
  const cols = validateBatch('b', b, { geographic: ground.geographic });
  const device = run?.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') {
    throw new WaybillError('INVALID_ARGUMENT', `device must be 'cpu' or 'cuda', got ${String(device)}`, { argument: 'device' });
  }
  if (device === 'cuda') {
    if (!CUDA_TRAJECTORY_MEASURES.includes(measure)) {
      throw new WaybillError('KERNEL_UNSUPPORTED', `the CUDA pairwise kernel has ${CUDA_TRAJECTORY_MEASURES.join(', ')}, not ${measure}`, {
        backend: 'cuda',
        measure,
      });
    }
    const cuda = nativeTrajectoryCudaStatus();
    if (!cuda.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA trajectory kernel unavailable: ${cuda.reason}`, { backend: 'cuda' });
  }
  const data = new Float64Array(rows * cols);
  await settle(
    addon().trajectoryPairwise({
      ...fields,
      ...runFields({ ...run, device: 'cpu' }, rows),
      device,
      aCoords: a.coords,
      aOffsets: a.offsets,
      bCoords: b.coords,
      bOffsets: b.offsets,
      out: data,
    }),
  );
  return { data, rows, cols };
}

/** Distances from one query trajectory to each trajectory of `batch` on the C++ core ({@link oneToManyDistances}). */
export async function nativeOneToManyDistances(
  measure: SimilarityMeasure,
  query: Float64Array | readonly number[],
  batch: SpatialBatch,
  options?: SimilarityOptions,
  run?: NativeRunOptions,
): Promise<Float64Array> {
  const { ground, fields } = measureFields(measure, options);
  const q = validateTrajectory('query', query, ground.geographic);
  const n = validateBatch('batch', batch, { geographic: ground.geographic });
  if (run?.device === 'cuda') {
    // The CUDA pairwise kernel with the query as a one-trajectory batch: a 1 x n matrix.
    if (run.rowBegin !== undefined || run.rowEnd !== undefined)
      throw new WaybillError('INVALID_ARGUMENT', 'rowBegin / rowEnd are not supported with device cuda for one-to-many', {
        argument: 'rowBegin',
      });
    const one = { coords: q, offsets: Int32Array.of(0, q.length / 2) };
    return (await nativePairwiseDistances(measure, one, batch, options, { device: 'cuda', cancel: run.cancel })).data;
  }
  const out = new Float64Array(n);
  await settle(
    addon().trajectoryOneToMany({ ...fields, ...runFields(run, n), query: q, coords: batch.coords, offsets: batch.offsets, out }),
  );
  return out;
}

/** The kept points as a batch, trajectories in input order (NaN times when the input had none). */
function collectKept(batch: SpatialBatch, keep: Uint8Array): TrajectoryBatch {
  const b = new BatchBuilder();
  const { coords, times, offsets } = batch;
  for (let t = 0; t < offsets.length - 1; t++) {
    for (let p = offsets[t] as number; p < (offsets[t + 1] as number); p++) {
      if (keep[p]) b.push(coords[2 * p] as number, coords[2 * p + 1] as number, times ? (times[p] as number) : Number.NaN);
    }
    b.end(idOf(batch, t), true);
  }
  return b.build();
}

async function simplifyNative(
  method: 'douglas-peucker' | 'td-tr',
  batch: SpatialBatch,
  tolerance: number,
  options: GroundOptions | undefined,
  run: NativeRunOptions | undefined,
): Promise<SimplifyResult> {
  const ground = validateGround(options);
  validateNonNegative('tolerance', tolerance);
  const n = validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 0, requireTimes: method === 'td-tr' });
  const keep = new Uint8Array(batch.coords.length / 2);
  await settle(
    addon().trajectorySimplify({
      ...runFields(run, n),
      coords: batch.coords,
      offsets: batch.offsets,
      ...(method === 'td-tr' ? { times: batch.times as Float64Array } : {}),
      method,
      tolerance,
      metric: ground.metric,
      radius: ground.radius,
      keep,
    }),
  );
  return { batch: collectKept(batch, keep), keep };
}

/** Douglas–Peucker on the C++ core ({@link douglasPeucker}: tolerance in metres for haversine). */
export function nativeDouglasPeucker(batch: SpatialBatch, tolerance: number, options?: GroundOptions, run?: NativeRunOptions) {
  return simplifyNative('douglas-peucker', batch, tolerance, options, run);
}

/** TD-TR (synchronized Euclidean distance) on the C++ core ({@link tdTr}; strictly increasing timestamps). */
export function nativeTdTr(batch: TrajectoryBatch, tolerance: number, options?: GroundOptions, run?: NativeRunOptions) {
  return simplifyNative('td-tr', batch, tolerance, options, run);
}

/**
 * Stay points on the C++ core ({@link detectStayPoints}: distance in metres for haversine,
 * duration in seconds). The core marks each stay at its first fix; this gathers them in order.
 */
export async function nativeDetectStayPoints(
  batch: TrajectoryBatch,
  options: StayPointOptions,
  run?: NativeRunOptions,
): Promise<StayPoints> {
  const ground = validateGround(options);
  const distance = validateNonNegative('distance', options?.distance);
  const duration = validateNonNegative('duration', options?.duration);
  const n = validateBatch('batch', batch, { geographic: ground.geographic, minPoints: 0, requireTimes: true });
  const points = batch.times.length;
  const outLast = new Int32Array(points).fill(-1); // rows outside rowBegin..rowEnd stay "no stay"
  const outMean = new Float64Array(2 * points);
  await settle(
    addon().trajectoryStayPoints({
      ...runFields(run, n),
      coords: batch.coords,
      offsets: batch.offsets,
      times: batch.times,
      distance,
      duration,
      metric: ground.metric,
      radius: ground.radius,
      outLast,
      outMean,
    }),
  );
  let count = 0;
  for (let p = 0; p < points; p++) if ((outLast[p] as number) >= 0) count++;
  const sp: StayPoints = {
    trajectory: new Int32Array(count),
    coords: new Float64Array(2 * count),
    arrive: new Float64Array(count),
    leave: new Float64Array(count),
    first: new Int32Array(count),
    last: new Int32Array(count),
    offsets: new Int32Array(n + 1),
  };
  let s = 0;
  for (let t = 0; t < n; t++) {
    for (let p = batch.offsets[t] as number; p < (batch.offsets[t + 1] as number); p++) {
      const last = outLast[p] as number;
      if (last < 0) continue;
      sp.trajectory[s] = t;
      sp.coords[2 * s] = outMean[2 * p] as number;
      sp.coords[2 * s + 1] = outMean[2 * p + 1] as number;
      sp.arrive[s] = batch.times[p] as number;
      sp.leave[s] = batch.times[last] as number;
      sp.first[s] = p;
      sp.last[s] = last;
      s++;
    }
    sp.offsets[t + 1] = s;
  }
  return sp;
}
