/**
 * createEngine: the embedding entry point. One engine owns a backend registry and a worker pool;
 * close() drains and stops the pool.
 */
import { availableParallelism } from 'node:os';
import { BackendRegistry, createBuiltinBackends } from './backends/registry.js';
import type { BackendName, BackendStatus } from './backends/types.js';
import { WaybillError } from './errors.js';
import { JobManager, type JobManagerOptions } from './jobs/jobs.js';
import { createGeoKernels, type GeoKernelName, type GeoKernels, type RunRecord } from './kernels/geo/index.js';
import { createMlKernels, type MlKernels } from './kernels/ml/kernels.js';
import { createOrKernels, type OrKernelName, type OrKernels } from './kernels/or/index.js';
import { createTimeseriesKernels, type TimeseriesKernels } from './kernels/timeseries/index.js';
import { createEngineGraph, createTrajectoryKernels, type EngineGraph, type TrajectoryKernels } from './kernels/trajectory/engine.js';
import type { PluginLogger } from './plugins/define.js';
import { ModelRegistry } from './plugins/registry.js';
import { type PoolStats, WorkerPool } from './pool/pool.js';
import { VERSION } from './version.js';

export interface EngineOptions {
  /** Backends this engine may use, e.g. ['native', 'js']; default all. `js` is always enabled. */
  backends?: BackendName[];
  /** Pool worker threads; 0 runs everything on the calling thread. Default: available cores. */
  workers?: number;
  /** Row blocks that may wait in the pool queue; beyond it calls fail with QUEUE_FULL. Default 256. */
  queueLimit?: number;
  /** Matrix calls with fewer pairs than this stay off the pool. Default 262 144. */
  poolMinPairs?: number;
  /** Largest output a single call may allocate, in elements. Default 2^28 (2 GiB of float64). */
  maxOutputElements?: number;
  /** Where plugins find shared data and keep artifacts, and where they log. */
  plugins?: { dataDir?: string; artifactsDir?: string; logger?: PluginLogger; batching?: 'plugin' | 'off'; loadTimeoutMs?: number };
  /** Background job limits. */
  jobs?: Omit<JobManagerOptions, 'store'> & { store?: JobManagerOptions['store'] };
  /**
   * Shared data for `engine.graph` and the trajectory predictors (Amazon LMRRC, LaDe, GeoLife).
   * Default: plugins.dataDir, else WAYBILL_DATA_DIR, else ../shared/data.
   */
  dataDir?: string;
  /** `engine.graph`: `gps: false` leaves out the GeoLife stay-point places (the slowest part of the build). */
  graph?: { gps?: boolean };
}

/** One finished kernel call, as seen by `engine.onKernelRun` listeners (metrics). */
export interface KernelRunEvent extends RunRecord {
  kernel: `geo.${GeoKernelName}` | `or.${OrKernelName}`;
}

export interface Engine {
  readonly version: string;
  readonly kernels: { geo: GeoKernels; or: OrKernels; timeseries: TimeseriesKernels; ml: MlKernels; trajectory: TrajectoryKernels };
  /** The logistics network graph, built from the shared data on first use (see src/graph). */
  readonly graph: EngineGraph;
  /** Status of each enabled backend, with the reason when one is unavailable. */
  backends(): BackendStatus[];
  /** Worker pool size and queue state. */
  pool(): PoolStats;
  /** Model plugins: load, list, infer, unload (see src/plugins). */
  readonly plugins: ModelRegistry;
  /** Background jobs with progress and cancellation. */
  readonly jobs: JobManager;
  /** Starts the worker threads and loads the addon in them now (servers call this before listening). */
  warmup(): Promise<void>;
  /** Subscribes to finished kernel calls; returns the unsubscribe function. */
  onKernelRun(listener: (e: KernelRunEvent) => void): () => void;
  /** Finishes running work, stops the workers; later kernel calls fail with POOL_CLOSED. */
  close(): Promise<void>;
}

function intOption(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new WaybillError('INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Creates an engine. Backends are probed lazily; the pool starts on the first call that needs it. */
export function createEngine(options: EngineOptions = {}): Engine {
  const workers = intOption('workers', options.workers, availableParallelism(), 0);
  const queueLimit = intOption('queueLimit', options.queueLimit, 256, 0);
  const poolMinPairs = intOption('poolMinPairs', options.poolMinPairs, 1 << 18, 0);
  const maxOutputElements = intOption('maxOutputElements', options.maxOutputElements, 2 ** 28, 1);
  if (options.backends !== undefined && !Array.isArray(options.backends)) {
    throw new WaybillError('INVALID_ARGUMENT', 'backends must be an array of backend names');
  }
  const registry = new BackendRegistry(createBuiltinBackends(), options.backends);
  const pool = new WorkerPool({ workers, queueLimit });
  const listeners = new Set<(e: KernelRunEvent) => void>();
  const geo = createGeoKernels({
    registry,
    pool,
    poolMinPairs,
    maxOutputElements,
    onRun: (kernel, record) => {
      for (const l of listeners) l({ kernel: `geo.${kernel}`, ...record });
    },
  });
  const or = createOrKernels({
    registry,
    isClosed: () => pool.closed,
    onRun: (kernel, record) => {
      for (const l of listeners) l({ kernel: `or.${kernel}`, ...record });
    },
  });
  const timeseries = createTimeseriesKernels(() => pool.closed, true, options.backends === undefined || options.backends.includes('cuda'));
  const ml = createMlKernels(() => pool.closed, options.backends === undefined || options.backends.includes('cuda'));
  const dataDir = options.dataDir ?? options.plugins?.dataDir;
  const trajectory = createTrajectoryKernels({
    isClosed: () => pool.closed,
    allowNative: options.backends === undefined || options.backends.includes('native'),
    allowCuda: options.backends === undefined || options.backends.includes('cuda'),
    allowGpujs: options.backends === undefined || options.backends.includes('gpujs'),
    ...(dataDir ? { dataDir } : {}),
  });
  const graph = createEngineGraph({ isClosed: () => pool.closed, ...(dataDir ? { dataDir } : {}), ...(options.graph ?? {}) });
  const kernels = { geo, or, timeseries, ml, trajectory };
  const plugins = new ModelRegistry({ kernels, ...options.plugins });
  const jobs = new JobManager(options.jobs);
  let closing: Promise<void> | undefined;
  return {
    version: VERSION,
    kernels,
    graph,
    plugins,
    jobs,
    backends: () => registry.list(),
    pool: () => pool.stats(),
    warmup: () => pool.warmup(),
    onKernelRun(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      // Stop jobs, unload models (they may still call kernels), then stop the pool.
      closing ??= jobs
        .close()
        .then(() => plugins.closeAll())
        .then(() => pool.close());
      return closing;
    },
  };
}
