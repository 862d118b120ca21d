/**
 * k-means on the C++ core (native/src/cpu/ml/kmeans.cc): the options, checks and result of the
 * TypeScript reference (kmeans.ts), the work done by the addon. The result is the reference's
 * bit for bit — labels, centroids, inertia, iterations (test/kernels/ml-kmeans-native.test.ts):
 * the core repeats the reference's floating-point operations in the same order.
 *
 * Additions: `algorithm` ('lloyd', default, or 'elkan': triangle-inequality bounds skip the
 * distances that cannot change an assignment, with a margin above rounding error, so the result
 * is Lloyd's bit for bit); `threads` (rows of the assignment step; the result does not depend on
 * it); `device: 'cuda'` (Lloyd's assignment step on the CUDA device, native/src/cuda/ml/
 * kmeans_assign.cu, the centre update on the CPU: the same result; 'elkan' with 'cuda' is
 * KERNEL_UNSUPPORTED). `nativeKmeansStatus()` / `nativeKmeansCudaStatus()` say whether the addon
 * and a device can run it, and why not. The engine's dispatch is in kernels.ts.
 */
import { WaybillError } from '../../errors.js';
import { loadAddon, type NativeAddon, type NativeKMeansOptions } from '../../native/addon.js';
import { type KMeansOptions, type KMeansResult, resolveKMeans } from './kmeans.js';
import { checkFeatures, intOption, MAX_KMEANS_VALUE } from './validate.js';

/** Assignment-step algorithms of the native k-means (the same result either way). */
export type KMeansAlgorithm = 'lloyd' | 'elkan';

/** How a native k-means runs. */
export interface NativeKMeansRun {
  /** 'lloyd' (default) or 'elkan' (fewer distance computations, the same result). */
  algorithm?: KMeansAlgorithm;
  /** Native threads, default 1 (1..256). Results do not depend on it. */
  threads?: number;
  /** 'cpu' (default) or 'cuda' (Lloyd's assignment step on the device). */
  device?: 'cpu' | 'cuda';
}

/** The native result: the reference's, plus the algorithm and the distances it computed. */
export interface NativeKMeansResult extends KMeansResult {
  algorithm: KMeansAlgorithm;
  /** Row-to-centroid distances computed by the assignment steps (rows x k per Lloyd step). */
  distanceEvaluations: number;
}

type KMeansAddon = Required<Pick<NativeAddon, 'kmeans' | 'kmeansAssign'>>;

/** Whether the loaded addon has the k-means kernels, and why not. */
export function nativeKmeansStatus(): { ok: true; path: string } | { ok: false; reason: string } {
  const load = loadAddon();
  if (!load.ok) return { ok: false, reason: load.reason };
  if (typeof load.addon.kmeans !== 'function' || typeof load.addon.kmeansAssign !== 'function')
    return { ok: false, reason: `addon ${load.path} has no k-means kernels (stale build? run npm run build:native)` };
  return { ok: true, path: load.path };
}

/** Whether the k-means assignment step can run on a CUDA device, and why not. */
export function nativeKmeansCudaStatus(): { ok: true; device: string } | { ok: false; reason: string } {
  const load = loadAddon();
  const status = nativeKmeansStatus();
  if (!status.ok || !load.ok) return { ok: false, reason: status.ok ? 'addon not loaded' : status.reason };
  if (!load.addon.kmeansDevices?.includes('cuda')) return { ok: false, reason: `addon ${load.path} has no CUDA k-means (stale build?)` };
  const cu = load.addon.info().cuda;
  if (!cu.available) return { ok: false, reason: cu.reason || 'no CUDA device' };
  return { ok: true, device: cu.name ?? 'CUDA device' };
}

function addon(): KMeansAddon {
  const load = loadAddon();
  const status = nativeKmeansStatus();
  if (!status.ok || !load.ok)
    throw new WaybillError('BACKEND_UNAVAILABLE', `native k-means unavailable: ${status.ok ? '' : status.reason}`);
  return load.addon as KMeansAddon;
}

/** The algorithm option: 'lloyd' (default) or 'elkan', else INVALID_ARGUMENT. */
export function kmeansAlgorithm(value: unknown): KMeansAlgorithm {
  if (value === undefined) return 'lloyd';
  if (value !== 'lloyd' && value !== 'elkan')
    throw new WaybillError('INVALID_ARGUMENT', `algorithm must be 'lloyd' or 'elkan', got ${String(value)}`, { field: 'algorithm' });
  return value;
}

/** The device of a call; 'cuda' needs Lloyd (else KERNEL_UNSUPPORTED) and a device (else BACKEND_UNAVAILABLE). */
function deviceOf(run: NativeKMeansRun, algorithm: KMeansAlgorithm): 'cpu' | 'cuda' {
  const device = run.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda')
    throw new WaybillError('INVALID_ARGUMENT', `device must be 'cpu' or 'cuda', got ${String(device)}`, { field: 'device' });
  if (device === 'cuda') {
    if (algorithm === 'elkan')
      throw new WaybillError(
        'KERNEL_UNSUPPORTED',
        "the CUDA k-means assignment step is Lloyd's; use algorithm 'lloyd' with device 'cuda'",
        {
          field: 'algorithm',
          backend: 'cuda',
        },
      );
    const cuda = nativeKmeansCudaStatus();
    if (!cuda.ok) throw new WaybillError('BACKEND_UNAVAILABLE', `CUDA k-means unavailable: ${cuda.reason}`, { backend: 'cuda' });
  }
  return device;
}

/** The reference's checks, in its order and with its codes, then the addon's flat options. */
function kmeansFields(data: Float64Array, numFeatures: number, options: KMeansOptions & NativeKMeansRun): NativeKMeansOptions {
  const r = resolveKMeans(data, numFeatures, options);
  const algorithm = kmeansAlgorithm(options.algorithm);
  const fields: NativeKMeansOptions = {
    data,
    rows: r.n,
    numFeatures: r.p,
    k: r.k,
    seed: r.seed,
    maxIterations: intOption('maxIterations', r.maxIterations, 300, 1, 2147483647), // the core's int
    tolerance: r.tolerance,
    algorithm: algorithm === 'elkan' ? 1 : 0,
    threads: intOption('threads', options.threads, 1, 1, 256),
  };
  if (deviceOf(options, algorithm) === 'cuda') fields.device = 'cuda';
  return fields;
}

function toResult(out: Awaited<ReturnType<KMeansAddon['kmeans']>>, algorithm: number): NativeKMeansResult {
  return {
    centroids: out.centroids,
    labels: out.labels,
    inertia: out.inertia,
    iterations: out.iterations,
    converged: out.converged,
    algorithm: algorithm === 1 ? 'elkan' : 'lloyd',
    distanceEvaluations: out.distanceEvaluations,
  };
}

/**
 * Native {@link kmeans}: rows x numFeatures finite data, row-major; the reference's result bit
 * for bit, on a libuv thread. `signal` stops it between iterations (ABORTED).
 */
export async function nativeKmeans(
  data: Float64Array,
  numFeatures: number,
  options: KMeansOptions & NativeKMeansRun & { signal?: AbortSignal },
): Promise<NativeKMeansResult> {
  const fields = kmeansFields(data, numFeatures, options);
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(cancel, 0, 1);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort);
  try {
    return toResult(await addon().kmeans({ ...fields, cancel }), fields.algorithm);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** {@link nativeKmeans} on the calling thread (blocks it; for pool workers and benchmarks). */
export function nativeKmeansSync(data: Float64Array, numFeatures: number, options: KMeansOptions & NativeKMeansRun): NativeKMeansResult {
  const fields = kmeansFields(data, numFeatures, options);
  return toResult(addon().kmeans({ ...fields, sync: true }) as Awaited<ReturnType<KMeansAddon['kmeans']>>, fields.algorithm);
}

/** Native {@link kmeansAssign}: the nearest of k centroids (k x numFeatures) for each row, labels and squared distances. */
export async function nativeKmeansAssign(
  centroids: Float64Array,
  data: Float64Array,
  numFeatures: number,
  run: Omit<NativeKMeansRun, 'algorithm'> = {},
): Promise<{ labels: Int32Array; distances: Float64Array }> {
  const p = numFeatures;
  const rows = checkFeatures('data', data, p, { allowMissing: false, allowEmpty: true, maxAbs: MAX_KMEANS_VALUE });
  const k = checkFeatures('centroids', centroids, p, { allowMissing: false, maxAbs: MAX_KMEANS_VALUE });
  const device = deviceOf(run, 'lloyd');
  const labels = new Int32Array(rows);
  const distances = new Float64Array(rows);
  await addon().kmeansAssign({
    centroids,
    k,
    data,
    rows,
    numFeatures: p,
    labels,
    distances,
    threads: intOption('threads', run.threads, 1, 1, 256),
    device,
  });
  return { labels, distances };
}
