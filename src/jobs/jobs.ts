/**
 * Jobs: long work (training, batch inference, route solving) run in the background with
 * progress, a result or an error, and cancellation through an AbortSignal.
 *
 * `JobStore` is the storage interface; `MemoryJobStore` is the embedded default (in-process,
 * bounded: the oldest finished jobs are forgotten first). A distributed queue can implement the
 * same interface later. `JobManager` runs jobs with bounded concurrency and a bounded queue.
 */
import { randomUUID } from 'node:crypto';
import { toWaybillError, WaybillError } from '../errors.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export interface JobRecord {
  id: string;
  type: string;
  state: JobState;
  /** 0..1 */
  progress: number;
  /** Last progress detail reported by the job (message, metrics). */
  detail?: Record<string, unknown>;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  result?: unknown;
  error?: { code: string; message: string };
  /** What was asked for (echoed back, without large payloads). */
  request?: Record<string, unknown>;
}

/** Storage of job records. Implementations must be safe to call concurrently. */
export interface JobStore {
  put(job: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | undefined>;
  list(): Promise<JobRecord[]>;
}

/** The size of a finished job's result as JSON (what GET /v1/jobs/:id sends), 0 when it has none. */
function resultBytes(job: JobRecord): number {
  if (job.result === undefined) return 0;
  try {
    return JSON.stringify(job.result)?.length ?? 0;
  } catch {
    return 0; // not JSON (the jobs layer fails such jobs): nothing of it is sent
  }
}

/**
 * In-process store keeping every unfinished job and, of the finished ones, the most recent: at
 * most `capacity` of them whose results take at most `maxResultBytes` as JSON together (default
 * 256 MiB; the latest finished job is kept even when it alone is larger). The count alone once
 * let 1000 batch-inference results of up to 16 MiB each hold gigabytes.
 */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  /** Finished jobs in the order they finished, with their result sizes. */
  private readonly finished = new Map<string, number>();
  private finishedBytes = 0;
  constructor(
    private readonly capacity = 1000,
    private readonly maxResultBytes = 256 * 1024 * 1024,
  ) {}

  async put(job: JobRecord): Promise<void> {
    this.jobs.set(job.id, { ...job });
    if (job.finishedAt === undefined || this.finished.has(job.id)) return;
    const bytes = resultBytes(job);
    this.finished.set(job.id, bytes);
    this.finishedBytes += bytes;
    // Oldest first (a Map iterates in insertion order), never the job just finished.
    for (const [id, b] of this.finished) {
      if (this.finished.size <= 1 || (this.finished.size <= this.capacity && this.finishedBytes <= this.maxResultBytes)) break;
      this.finished.delete(id);
      this.finishedBytes -= b;
      this.jobs.delete(id);
    }
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const j = this.jobs.get(id);
    return j ? { ...j } : undefined;
  }

  async list(): Promise<JobRecord[]> {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }
}

export interface JobControl {
  signal: AbortSignal;
  progress(fraction: number, detail?: Record<string, unknown>): void;
}

export type JobFn = (control: JobControl) => Promise<unknown>;

export interface JobManagerOptions {
  store?: JobStore;
  /** Jobs running at once (default 2). */
  maxRunning?: number;
  /** Jobs waiting to run; beyond it submit() fails with QUEUE_FULL (default 100). */
  maxQueued?: number;
  /**
   * How long close() waits for running jobs to stop after cancelling them (ms, default 10 000);
   * a job still running then is recorded as failed (TIMEOUT) and close() returns.
   */
  closeTimeoutMs?: number;
}

export class JobManager {
  readonly store: JobStore;
  private readonly maxRunning: number;
  private readonly maxQueued: number;
  private readonly closeTimeoutMs: number;
  /** Records of running jobs, so close() can finish those that ignore their cancellation. */
  private readonly active = new Map<string, JobRecord>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly queue: Array<{ id: string; fn: JobFn }> = [];
  private running = 0;
  private readonly counts: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  /** Unfinished jobs: resolved (and removed) once the job's final state is stored. */
  private readonly settled = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private closed = false;

  constructor(options: JobManagerOptions = {}) {
    this.store = options.store ?? new MemoryJobStore();
    this.maxRunning = options.maxRunning ?? 2;
    this.maxQueued = options.maxQueued ?? 100;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  }

  /** Jobs by state since start (finished states are cumulative). */
  stateCounts(): Record<JobState, number> {
    return { ...this.counts };
  }

  /** Queues a job; resolves with its record (state 'queued' or already 'running'). */
  async submit(type: string, fn: JobFn, request?: Record<string, unknown>): Promise<JobRecord> {
    if (this.closed) throw new WaybillError('POOL_CLOSED', 'the job manager is closed');
    if (this.queue.length >= this.maxQueued) {
      throw new WaybillError('QUEUE_FULL', `job queue is full (${this.queue.length} waiting, limit ${this.maxQueued})`);
    }
    const job: JobRecord = { id: randomUUID(), type, state: 'queued', progress: 0, createdAt: new Date().toISOString() };
    if (request) job.request = request;
    await this.store.put(job);
    this.counts.queued++;
    this.controllers.set(job.id, new AbortController());
    let resolve: () => void = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.settled.set(job.id, { promise, resolve });
    this.queue.push({ id: job.id, fn });
    this.pump();
    return (await this.store.get(job.id)) as JobRecord;
  }

  async get(id: string): Promise<JobRecord> {
    const j = await this.store.get(id);
    if (!j) throw new WaybillError('JOB_NOT_FOUND', `no job ${id}`, { id });
    return j;
  }

  /** Resolves when the job has finished (whatever its outcome). */
  async wait(id: string): Promise<JobRecord> {
    await this.settled.get(id)?.promise;
    return this.get(id);
  }

  /** Cancels a queued or running job; a finished job is left as it is (CONFLICT). */
  async cancel(id: string): Promise<JobRecord> {
    const j = await this.get(id);
    if (j.finishedAt !== undefined) throw new WaybillError('CONFLICT', `job ${id} already ${j.state}`, { state: j.state });
    const i = this.queue.findIndex((q) => q.id === id);
    if (i >= 0) {
      this.queue.splice(i, 1);
      await this.finish(j, 'cancelled', { error: { code: 'ABORTED', message: 'cancelled before it started' } });
      return this.get(id);
    }
    this.controllers.get(id)?.abort();
    return this.get(id);
  }

  /** Cancels everything and waits for running jobs to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) {
      const j = await this.store.get(q.id);
      if (j) await this.finish(j, 'cancelled', { error: { code: 'ABORTED', message: 'server shutting down' } });
    }
    for (const c of this.controllers.values()) c.abort();
    let timer: NodeJS.Timeout | undefined;
    const stopped = Promise.all([...this.settled.values()].map((s) => s.promise)).then(() => true);
    const late = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), this.closeTimeoutMs);
    });
    const inTime = await Promise.race([stopped, late]);
    clearTimeout(timer);
    if (inTime) return;
    // Jobs that ignore their signal must not hold the shutdown open for ever.
    for (const job of [...this.active.values()]) {
      const error = {
        code: 'TIMEOUT',
        message: `job ${job.id} did not stop within ${this.closeTimeoutMs} ms of its cancellation at shutdown`,
      };
      await this.finish(job, 'failed', { error }, true);
    }
  }

  private pump(): void {
    while (this.running < this.maxRunning && this.queue.length > 0) {
      const next = this.queue.shift() as { id: string; fn: JobFn };
      this.running++;
      void this.run(next.id, next.fn).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(id: string, fn: JobFn): Promise<void> {
    const ac = this.controllers.get(id) ?? new AbortController();
    const job = (await this.store.get(id)) as JobRecord;
    this.counts.queued--;
    this.counts.running++;
    job.state = 'running';
    job.startedAt = new Date().toISOString();
    await this.store.put(job);
    this.active.set(id, job);
    let last = 0;
    const control: JobControl = {
      signal: ac.signal,
      progress: (fraction, detail) => {
        // Progress reported after the end (a stray timer) would rewrite a finished record.
        if (job.finishedAt !== undefined) return;
        const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
        job.progress = Math.max(last, f);
        last = job.progress;
        // The detail is shown as a JSON object: a bare message is wrapped, anything else ignored.
        if (typeof detail === 'string') job.detail = { message: detail };
        else if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) job.detail = detail;
        void this.store.put(job);
      },
    };
    try {
      const result = await fn(control);
      // A job that returns after its cancellation (e.g. a solver answering with its best plan so
      // far) keeps that result beside the cancelled state.
      if (ac.signal.aborted)
        await this.finish(
          job,
          'cancelled',
          { error: { code: 'ABORTED', message: 'cancelled' }, ...(result !== undefined ? { result } : {}) },
          true,
        );
      else await this.finish(job, 'succeeded', { result, progress: 1 }, true);
    } catch (err) {
      const e = toWaybillError(err);
      const cancelled = ac.signal.aborted || e.code === 'ABORTED';
      await this.finish(
        job,
        cancelled ? 'cancelled' : 'failed',
        { error: { code: cancelled ? 'ABORTED' : e.code, message: e.message } },
        true,
      );
    } finally {
      this.controllers.delete(id);
      this.active.delete(id);
    }
  }

  private async finish(job: JobRecord, state: JobState, patch: Partial<JobRecord>, wasRunning = false): Promise<void> {
    if (job.finishedAt !== undefined) return; // finished already (by close(), for a job that ignored its signal)
    if (wasRunning) this.counts.running--;
    else this.counts.queued--;
    this.counts[state]++;
    Object.assign(job, patch, { state, finishedAt: new Date().toISOString() });
    await this.store.put(job);
    this.settled.get(job.id)?.resolve();
    this.settled.delete(job.id);
  }
}
