/**
 * Pool worker: runs one row block of a kernel call on the native or js backend, synchronously,
 * on buffers shared with the caller (SharedArrayBuffer views: nothing is copied). The addon is
 * loaded once per worker, on the first native task.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { threadId } from 'node:worker_threads';
import { createJsBackend } from '../backends/js.js';
import { createNativeBackend } from '../backends/native.js';
import type { Backend } from '../backends/types.js';
import type { GeoTask } from '../kernels/geo/types.js';

export interface WorkerTask {
  backend: 'native' | 'js';
  task: GeoTask;
  /** performance.timeOrigin + performance.now() at submission, to measure queue wait. */
  submittedAt: number;
}

export interface WorkerResult {
  threadId: number;
  queueMs: number;
  computeMs: number;
  cancelled: boolean;
}

const backends: Record<'native' | 'js', Backend> = { native: createNativeBackend(), js: createJsBackend() };

/**
 * A worker allocates almost nothing, so V8 rarely collects it, and every SharedArrayBuffer view
 * it received would keep that call's (possibly huge) output alive after the caller dropped it:
 * memory grew by one output per call in measurements. A young-generation collection after a
 * task that touched large buffers releases them. `gc` is reached the documented-flag way
 * (--expose-gc, then a fresh context); if that fails we carry on without it.
 */
const collect: ((o: { type: 'minor'; execution: 'sync' }) => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as (o: { type: 'minor'; execution: 'sync' }) => void;
  } catch {
    return undefined;
  }
})();
const LARGE_BYTES = 1 << 22;

function bytesOf(task: GeoTask): number {
  return (task.out?.byteLength ?? 0) + (task.outDist?.byteLength ?? 0) + task.origins.byteLength + task.dests.byteLength;
}

export default function runBlock(msg: WorkerTask): WorkerResult {
  const large = bytesOf(msg.task) >= LARGE_BYTES;
  try {
    return runTask(msg);
  } finally {
    // Drop this thread's handles on the shared buffers now rather than at some far-off GC.
    if (large) queueMicrotask(() => collect?.({ type: 'minor', execution: 'sync' }));
  }
}

function runTask(msg: WorkerTask): WorkerResult {
  const started = performance.timeOrigin + performance.now();
  const queueMs = Math.max(0, started - msg.submittedAt);
  const { cancel } = msg.task;
  if (cancel && Atomics.load(cancel, 0) !== 0) return { threadId, queueMs, computeMs: 0, cancelled: true };
  const t0 = performance.now();
  try {
    backends[msg.backend].run(msg.task, true);
  } catch (err) {
    // The native layer reports cancellation as an error with code ABORTED.
    if ((err as { code?: string }).code === 'ABORTED') return { threadId, queueMs, computeMs: performance.now() - t0, cancelled: true };
    throw err;
  }
  const cancelled = cancel !== undefined && Atomics.load(cancel, 0) !== 0;
  return { threadId, queueMs, computeMs: performance.now() - t0, cancelled };
}
