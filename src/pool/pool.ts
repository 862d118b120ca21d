/**
 * The engine's worker pool (Piscina). Splits a kernel call into row blocks over shared buffers,
 * bounds the queue (a full queue is an immediate QUEUE_FULL error, never unbounded memory), and
 * cancels cooperatively through a shared flag that kernels poll between rows.
 */
import { Piscina } from 'piscina';
import { WaybillError } from '../errors.js';
import type { GeoTask } from '../kernels/geo/types.js';
import type { WorkerResult, WorkerTask } from './worker.js';

export interface PoolOptions {
  /** Worker threads (default: os.availableParallelism()). */
  workers: number;
  /** Row blocks that may wait in the queue beyond those running (default 256). */
  queueLimit: number;
}

export interface PoolStats {
  workers: number;
  started: boolean;
  queued: number;
  running: number;
  completed: number;
  utilization: number;
  queueLimit: number;
  /** Worker threads alive now (0 until the pool starts). */
  threads: number;
}

export interface SplitResult {
  workers: number;
  computeMs: number;
  queueMs: number;
}

/** Worker entry: the compiled .js next to this file, or the .ts source run through tsx. */
function workerFile(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { filename: new URL('./worker.ts', here).href, execArgv: ['--import', 'tsx'] };
  return { filename: new URL('./worker.js', here).href, execArgv: [] };
}

export class WorkerPool {
  readonly workers: number;
  readonly queueLimit: number;
  private piscina: Piscina | undefined;
  private running = 0;
  private closedFlag = false;

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 0) {
      throw new WaybillError('INVALID_ARGUMENT', `workers must be a non-negative integer, got ${String(options.workers)}`);
    }
    if (!Number.isInteger(options.queueLimit) || options.queueLimit < 0) {
      throw new WaybillError('INVALID_ARGUMENT', `queueLimit must be a non-negative integer, got ${String(options.queueLimit)}`);
    }
    this.workers = options.workers;
    this.queueLimit = options.queueLimit;
  }

  private get pool(): Piscina {
    if (this.closedFlag) throw new WaybillError('POOL_CLOSED');
    if (!this.piscina) {
      const { filename, execArgv } = workerFile();
      this.piscina = new Piscina({
        filename,
        execArgv,
        minThreads: this.workers,
        maxThreads: this.workers,
        idleTimeout: 60_000,
        // Backstop: admission below rejects whole calls before Piscina's own limit is reached.
        maxQueue: Math.max(1, this.queueLimit + this.workers),
      });
    }
    return this.piscina;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Blocks waiting in the queue (not yet running). */
  get queued(): number {
    return this.piscina?.queueSize ?? 0;
  }

  stats(): PoolStats {
    return {
      workers: this.workers,
      started: this.piscina !== undefined,
      queued: this.queued,
      running: this.running,
      completed: this.piscina?.completed ?? 0,
      utilization: this.piscina?.utilization ?? 0,
      threads: this.piscina?.threads.length ?? 0,
      queueLimit: this.queueLimit,
    };
  }

  /**
   * Runs `task` (rows [task.rowBegin, task.rowEnd)) as `blocks` row blocks on the pool. All
   * arrays in `task` must view SharedArrayBuffers. Resolves when every block is done; rejects
   * with QUEUE_FULL (nothing submitted) or ABORTED.
   */
  async runSplit(backend: 'native' | 'js', task: GeoTask, blocks: number, signal?: AbortSignal): Promise<SplitResult> {
    const pool = this.pool;
    const rows = task.rowEnd - task.rowBegin;
    const count = Math.max(1, Math.min(blocks, rows));
    const free = Math.max(0, this.workers - this.running);
    if (this.queued + Math.max(0, count - free) > this.queueLimit) {
      throw new WaybillError('QUEUE_FULL', `worker pool queue is full (${this.queued} blocks waiting, limit ${this.queueLimit})`, {
        queued: this.queued,
        queueLimit: this.queueLimit,
      });
    }
    const cancel = task.cancel ?? new Int32Array(new SharedArrayBuffer(4));
    const onAbort = () => Atomics.store(cancel, 0, 1);
    if (signal?.aborted) throw new WaybillError('ABORTED');
    signal?.addEventListener('abort', onAbort, { once: true });
    const submittedAt = performance.timeOrigin + performance.now();
    const jobs: Promise<WorkerResult>[] = [];
    try {
      for (let b = 0; b < count; b++) {
        const rowBegin = task.rowBegin + Math.floor((rows * b) / count);
        const rowEnd = task.rowBegin + Math.floor((rows * (b + 1)) / count);
        const msg: WorkerTask = { backend, task: { ...task, rowBegin, rowEnd, cancel }, submittedAt };
        this.running++;
        jobs.push(
          (pool.run(msg) as Promise<WorkerResult>).finally(() => {
            this.running--;
          }),
        );
      }
      const settled = await Promise.allSettled(jobs);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) {
        const e = failed.reason as Error;
        if (/queue is at limit/i.test(e?.message ?? '')) throw new WaybillError('QUEUE_FULL', e.message);
        throw failed.reason;
      }
      const results = settled.map((s) => (s as PromiseFulfilledResult<WorkerResult>).value);
      if (signal?.aborted || results.some((r) => r.cancelled)) throw new WaybillError('ABORTED');
      return {
        workers: new Set(results.map((r) => r.threadId)).size,
        computeMs: results.reduce((s, r) => s + r.computeMs, 0),
        queueMs: results.reduce((s, r) => Math.max(s, r.queueMs), 0),
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Starts every worker thread now and has each load the addon, so the first real call does not
   * pay for it (measured: ~0.2-0.7 s on the first pooled call otherwise). No-op without workers.
   */
  async warmup(): Promise<void> {
    if (this.workers === 0) return;
    const pool = this.pool;
    const origins = new Float64Array(new SharedArrayBuffer(16));
    const out = new Float64Array(new SharedArrayBuffer(8));
    const submittedAt = performance.timeOrigin + performance.now();
    // Piscina starts all threads (minThreads = workers); one tiny native block per worker loads
    // the addon where it lands. A missing addon only fails these blocks, which is ignored here.
    await Promise.all(
      Array.from({ length: this.workers }, () =>
        pool.run({
          backend: 'native',
          task: { kernel: 'haversineMatrix', origins, dests: origins, rowBegin: 0, rowEnd: 1, radius: 1, out },
          submittedAt,
        } satisfies WorkerTask),
      ),
    ).catch(() => undefined);
  }

  /** Waits for running blocks, then stops the threads. Later calls fail with POOL_CLOSED. */
  async close(): Promise<void> {
    this.closedFlag = true;
    const p = this.piscina;
    this.piscina = undefined;
    if (p) await p.close();
  }
}
