/**
 * The geo kernel family: validation, backend choice, output allocation and the split of large
 * matrices over the worker pool. Backends only ever see a flat, validated GeoTask.
 */
import type { BackendRegistry } from '../../backends/registry.js';
import type { Backend, BackendName } from '../../backends/types.js';
import { toWaybillError, WaybillError } from '../../errors.js';
import type { WorkerPool } from '../../pool/pool.js';
import { allocShared } from '../../pool/shared-memory.js';
import { type GeoCells, geoCells } from './cells.js';
import type {
  GeoKernelName,
  GeoTask,
  KNearestOptions,
  KNearestResult,
  MatrixOptions,
  MatrixResult,
  PointsInput,
  RunRecord,
} from './types.js';
import { validateK, validatePoints, validateRadius } from './validate.js';

export * from './cells.js';
export { haversine } from './haversine-matrix.js';
export * from './types.js';

/** Settings the engine passes to the family. */
export interface GeoRuntime {
  registry: BackendRegistry;
  pool: WorkerPool;
  /** Below this many pairs a call runs on the calling thread instead of the pool. */
  poolMinPairs: number;
  /** Largest output (elements) one call may allocate. */
  maxOutputElements: number;
  /** Called after every successful kernel call (metrics). */
  onRun?: (kernel: GeoKernelName, record: RunRecord) => void;
}

export interface GeoKernels {
  /**
   * Great-circle distances (metres) between n origins and m destinations, (lat, lng) degrees
   * interleaved. Returns an n x m row-major matrix.
   */
  haversineMatrix(origins: PointsInput, dests: PointsInput, options?: MatrixOptions): Promise<MatrixResult>;
  /** Planar distances between n origins and m destinations, (x, y) interleaved; n x m row-major. */
  euclideanMatrix(origins: PointsInput, dests: PointsInput, options?: Omit<MatrixOptions, 'radius'>): Promise<MatrixResult>;
  /** The k nearest destinations of each origin (indices and distances, n x k row-major). */
  kNearest(origins: PointsInput, dests: PointsInput, k: number, options?: KNearestOptions): Promise<KNearestResult>;
  /**
   * Spatial cells (geohash, metric grid, per-cell counts and sums): synchronous, TypeScript only
   * (backend 'js'; see src/kernels/geo/cells.ts for why).
   */
  readonly cells: GeoCells;
}

/** Typed array of `length` elements; on a SharedArrayBuffer when the pool will write into it. */
function alloc<T extends Float64Array | Float32Array | Int32Array>(
  Ctor: { new (b: ArrayBufferLike): T; new (n: number): T; BYTES_PER_ELEMENT: number },
  length: number,
  shared: boolean,
): T {
  try {
    return shared ? (new Ctor(allocShared(length * Ctor.BYTES_PER_ELEMENT)).subarray(0, length) as T) : new Ctor(length);
  } catch (err) {
    // V8 throws RangeError when it cannot allocate the backing store.
    throw new WaybillError(
      'OUT_OF_MEMORY',
      `could not allocate ${length * Ctor.BYTES_PER_ELEMENT} bytes of output: ${(err as Error).message}`,
    );
  }
}

function toShared(a: Float64Array): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Float64Array(allocShared(a.length * 8)).subarray(0, a.length);
  s.set(a);
  return s;
}

/**
 * Row blocks per pool worker: more blocks balance load and let cancellation land sooner, but each
 * block recomputes the per-destination terms (measured: 4 per worker cost ~10 % at 4000 x 4000).
 */
const BLOCKS_PER_WORKER = 2;

/** Native calls up to this many pairs run synchronously on the calling thread (~0.1 ms). */
const SYNC_MAX_PAIRS = 1 << 16;

const BACKEND_OPTION = new Set<BackendName | undefined>([undefined, 'cuda', 'native', 'gpujs', 'js']);

function checkCommon(options: { backend?: unknown; signal?: unknown } | undefined): void {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new WaybillError('INVALID_ARGUMENT', 'options must be an object', { argument: 'options' });
  }
  if (!BACKEND_OPTION.has(options?.backend as BackendName | undefined)) {
    throw new WaybillError('INVALID_ARGUMENT', `unknown backend '${String(options?.backend)}': expected cuda, native, gpujs or js`, {
      argument: 'backend',
    });
  }
  if ((options?.signal as AbortSignal | undefined)?.aborted) throw new WaybillError('ABORTED');
}

export function createGeoKernels(rt: GeoRuntime): GeoKernels {
  /** Runs all rows of `task` on `backend`, split over the pool when `usePool` (see willPool). */
  async function execute(
    backend: Backend,
    task: GeoTask,
    n: number,
    m: number,
    signal: AbortSignal | undefined,
    usePool: boolean,
  ): Promise<RunRecord> {
    const t0 = performance.now();
    let workers = 0;
    let computeMs: number | undefined;
    let queueMs = 0;
    try {
      if (usePool) {
        const r = await rt.pool.runSplit(backend.name as 'native' | 'js', task, rt.pool.workers * BLOCKS_PER_WORKER, signal);
        workers = r.workers;
        computeMs = r.computeMs;
        queueMs = r.queueMs;
      } else if (backend.name === 'native' && n * m <= SYNC_MAX_PAIRS) {
        // Small native calls run inline: an AsyncWorker round trip costs ~40 us, more than the
        // work, and SYNC_MAX_PAIRS pairs take well under the ~1 ms an event-loop turn may block.
        await backend.run(task, true);
      } else {
        const cancel = new Int32Array(new SharedArrayBuffer(4));
        const onAbort = () => Atomics.store(cancel, 0, 1);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await backend.run({ ...task, cancel }, false);
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
        // Backends that return early on the flag (js, gpujs) leave partial output: report it.
        if (Atomics.load(cancel, 0) !== 0) throw new WaybillError('ABORTED');
      }
      computeMs ??= performance.now() - t0;
    } catch (err) {
      throw toWaybillError(err);
    }
    const st = backend.status();
    const record: RunRecord = { backend: backend.name, workers, timings: { totalMs: performance.now() - t0, computeMs, queueMs } };
    if (st.mode !== undefined) record.mode = st.mode;
    rt.onRun?.(task.kernel, record);
    return record;
  }

  /** Whether a call of this shape on this backend is split over the pool (its buffers must then be shared). */
  function willPool(backend: Backend, n: number, m: number): boolean {
    return backend.poolable && rt.pool.workers > 0 && n > 1 && n * m >= rt.poolMinPairs;
  }

  function checkOpen(): void {
    if (rt.pool.closed) throw new WaybillError('POOL_CLOSED', 'the engine is closed');
  }

  function checkSize(n: number, cols: number): void {
    if (n * cols > rt.maxOutputElements) {
      throw new WaybillError('TOO_LARGE', `output of ${n} x ${cols} = ${n * cols} elements exceeds the limit of ${rt.maxOutputElements}`, {
        rows: n,
        cols,
        limit: rt.maxOutputElements,
      });
    }
  }

  async function matrix(
    kernel: GeoKernelName,
    origins: PointsInput,
    dests: PointsInput,
    options: MatrixOptions | undefined,
  ): Promise<MatrixResult> {
    checkOpen();
    checkCommon(options);
    const geographic = kernel === 'haversineMatrix';
    let o = validatePoints('origins', origins, geographic);
    let d = validatePoints('destinations', dests, geographic);
    const radius = validateRadius(geographic ? options?.radius : undefined);
    const output = options?.output ?? 'float64';
    if (output !== 'float64' && output !== 'float32') {
      throw new WaybillError('INVALID_ARGUMENT', `output must be 'float64' or 'float32', got ${String(output)}`, { argument: 'output' });
    }
    const n = o.length / 2;
    const m = d.length / 2;
    checkSize(n, m);
    const given = options?.out;
    if (given !== undefined) {
      if (!(given instanceof Float64Array) && !(given instanceof Float32Array)) {
        throw new WaybillError('INVALID_ARGUMENT', 'out must be a Float64Array or a Float32Array', { argument: 'out' });
      }
      if (given.length !== n * m) {
        throw new WaybillError('INVALID_LENGTH', `out has ${given.length} elements; n x m = ${n * m}`, {
          argument: 'out',
          length: given.length,
          expected: n * m,
        });
      }
    }
    const backend = rt.registry.select(kernel, { n, m }, options?.backend);
    const shared = willPool(backend, n, m) && (given === undefined || given.buffer instanceof SharedArrayBuffer);
    if (shared) {
      o = toShared(o);
      d = toShared(d);
    }
    const out = given ?? (output === 'float32' ? alloc(Float32Array, n * m, shared) : alloc(Float64Array, n * m, shared));
    if (n === 0 || m === 0) {
      return { data: out, rows: n, cols: m, backend: backend.name, workers: 0, timings: { totalMs: 0, computeMs: 0, queueMs: 0 } };
    }
    const record = await execute(
      backend,
      { kernel, origins: o, dests: d, rowBegin: 0, rowEnd: n, radius, out },
      n,
      m,
      options?.signal,
      shared,
    );
    return { data: out, rows: n, cols: m, ...record };
  }

  return {
    cells: geoCells,
    haversineMatrix: (origins, dests, options) => matrix('haversineMatrix', origins, dests, options),
    euclideanMatrix: (origins, dests, options) => matrix('euclideanMatrix', origins, dests, options),

    async kNearest(origins, dests, k, options) {
      checkOpen();
      checkCommon(options);
      const metric = options?.metric ?? 'haversine';
      if (metric !== 'haversine' && metric !== 'euclidean') {
        throw new WaybillError('INVALID_ARGUMENT', `metric must be 'haversine' or 'euclidean', got ${String(metric)}`, {
          argument: 'metric',
        });
      }
      const geographic = metric === 'haversine';
      let o = validatePoints('origins', origins, geographic);
      let d = validatePoints('destinations', dests, geographic);
      const radius = validateRadius(geographic ? options?.radius : undefined);
      const n = o.length / 2;
      const m = d.length / 2;
      validateK(k, m);
      checkSize(n, k);
      const backend = rt.registry.select('kNearest', { n, m, k }, options?.backend);
      const shared = willPool(backend, n, m);
      if (shared) {
        o = toShared(o);
        d = toShared(d);
      }
      const indices = alloc(Int32Array, n * k, shared);
      const distances = alloc(Float64Array, n * k, shared);
      if (n === 0) {
        return { indices, distances, rows: 0, k, backend: backend.name, workers: 0, timings: { totalMs: 0, computeMs: 0, queueMs: 0 } };
      }
      const task: GeoTask = {
        kernel: 'kNearest',
        origins: o,
        dests: d,
        rowBegin: 0,
        rowEnd: n,
        radius,
        k,
        metric,
        outIndex: indices,
        outDist: distances,
      };
      const record = await execute(backend, task, n, m, options?.signal, shared);
      return { indices, distances, rows: n, k, ...record };
    },
  };
}
