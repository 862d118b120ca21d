/**
 * Pool worker: runs one row block of a kernel call on the native or js backend, synchronously,
 * on buffers shared with the caller (SharedArrayBuffer views: nothing is copied). The addon is
 * loaded once per worker, on the first native task.
 */
import { threadId } from 'node:worker_threads';
import { createJsBackend } from '../backends/js.js';
import { createNativeBackend } from '../backends/native.js';
import type { Backend } from '../backends/types.js';
import type { GeoTask } from '../kernels/geo/types.js';
import { collectYoung, LARGE_BUFFER_BYTES } from './shared-memory.js';

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

function bytesOf(task: GeoTask): number {
  return (task.out?.byteLength ?? 0) + (task.outDist?.byteLength ?? 0) + task.origins.byteLength + task.dests.byteLength;
}

export default function runBlock(msg: WorkerTask): WorkerResult {
  // Drop this thread's handles on large shared buffers soon (see shared-memory.ts).
  const large = bytesOf(msg.task) >= LARGE_BUFFER_BYTES;
  try {
    return runTask(msg);
  } finally {
    // A microtask, not setImmediate: idle Piscina workers sleep in Atomics.wait, so a macrotask
    // would wait for the next task (measured: memory grew as if no collection ran).
    if (large) queueMicrotask(collectYoung);
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
