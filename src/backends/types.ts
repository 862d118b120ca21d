import type { GeoKernelName, GeoTask } from '../kernels/geo/types.js';
import type { OrKernelName, OrTask } from '../kernels/or/types.js';

/** Backends in default priority order: cuda -> native (C++ CPU) -> gpujs -> js (reference). */
export type BackendName = 'cuda' | 'native' | 'gpujs' | 'js';
export const BACKEND_NAMES: readonly BackendName[] = ['cuda', 'native', 'gpujs', 'js'];

export type KernelName = GeoKernelName | OrKernelName;

/** The flat task a backend executes, discriminated by `kernel`. */
export type KernelTask = GeoTask | OrTask;

/** What `engine.backends()` and `GET /v2/health/ready` report for one backend. */
export interface BackendStatus {
  name: BackendName;
  /** Usable at all (it may still be skipped by automatic dispatch: see `autoSelect`). */
  available: boolean;
  /** Picked by automatic dispatch when it has the kernel and suits the input size. */
  autoSelect: boolean;
  priority: number;
  kernels: KernelName[];
  /** Why it is unavailable or not auto-selected; absent when fully usable. */
  reason?: string;
  /** Backend-specific mode, e.g. gpu.js 'gpu' | 'cpu' | 'webasm'. */
  mode?: string;
  /** Versions, device name, SIMD path, ... */
  details?: Record<string, unknown>;
}

/** Shape of one kernel call, used to decide whether a backend suits it. */
export interface KernelShape {
  n: number;
  m: number;
  k?: number;
}

export interface Backend {
  readonly name: BackendName;
  readonly priority: number;
  readonly kernels: readonly KernelName[];
  /** Row blocks of this backend can run on pool workers (native, js). */
  readonly poolable: boolean;
  /** Probes once (lazily) and remembers the outcome. */
  status(): BackendStatus;
  /**
   * Why this backend should not take this input, or null. `forced` is true when the caller asked
   * for this backend by name (size preferences are then ignored; hard limits are not).
   */
  rejects(kernel: KernelName, shape: KernelShape, forced: boolean): string | null;
  /** Runs rows [task.rowBegin, task.rowEnd). `sync` asks native code to run on this thread. */
  run(task: KernelTask, sync: boolean): Promise<void> | undefined;
}
