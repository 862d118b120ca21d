/**
 * Per-model admission: bounded concurrency, a bounded queue (beyond it MODEL_OVERLOADED, which
 * the HTTP layer answers with 503 + Retry-After), a per-call timeout, and optional dynamic
 * batching that merges requests arriving close together into one predict() call.
 *
 * Batching is adaptive. When the model is idle, the open batch leaves at the end of the current
 * event-loop turn (setImmediate): requests parsed in the same turn share a call, and a lone
 * request waits no timer. When the model is busy, the open batch leaves when it is full, when
 * `maxWaitMs` has passed, or as soon as a slot frees up, whichever comes first.
 */
import { WaybillError } from '../errors.js';
import { describeValue } from './values.js';

export interface RunnerOptions {
  maxConcurrency: number;
  maxQueue: number;
  timeoutMs: number;
  batching?: { maxBatchSize: number; maxWaitMs: number } | undefined;
}

export interface RunResult<O> {
  outputs: O[];
  /** Time from submit to the start of the predict() call that served it, ms. */
  queueMs: number;
  /** Duration of that predict() call, ms. */
  computeMs: number;
  /** Instances in that predict() call (> the request's own with dynamic batching). */
  batchSize: number;
}

interface Pending<I, O> {
  items: I[];
  submitted: number;
  resolve: (r: RunResult<O>) => void;
  reject: (e: unknown) => void;
}

export interface RunnerStats {
  inFlight: number;
  queued: number;
  maxConcurrency: number;
  maxQueue: number;
}

export class ModelRunner<I, O> {
  private inFlight = 0;
  /** Groups waiting for a slot; each group becomes one predict() call. */
  private readonly waiting: Pending<I, O>[][] = [];
  /** The group still collecting requests (dynamic batching only). */
  private open: { group: Pending<I, O>[]; size: number; cancel: () => void } | undefined;
  private queuedRequests = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly options: RunnerOptions,
    private readonly predict: (batch: I[]) => Promise<O[]>,
  ) {}

  /** Whether dynamic batching is on. */
  get batching(): boolean {
    return this.options.batching !== undefined;
  }

  stats(): RunnerStats {
    return {
      inFlight: this.inFlight,
      queued: this.queuedRequests,
      maxConcurrency: this.options.maxConcurrency,
      maxQueue: this.options.maxQueue,
    };
  }

  /** Runs `items` (one request) through the model. Rejects with MODEL_OVERLOADED at once when the queue is full. */
  submit(items: I[]): Promise<RunResult<O>> {
    return new Promise<RunResult<O>>((resolve, reject) => {
      const p: Pending<I, O> = { items, submitted: performance.now(), resolve, reject };
      const batching = this.options.batching;
      if (batching && items.length < batching.maxBatchSize) {
        this.addToOpenBatch(p, batching);
        return;
      }
      this.enqueue([p]);
    });
  }

  /** Resolves when nothing is running or waiting. */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queuedRequests === 0 && !this.open) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private admit(count: number): boolean {
    if (this.inFlight < this.options.maxConcurrency && this.waiting.length === 0) return true;
    if (this.queuedRequests + count > this.options.maxQueue) return false;
    return true;
  }

  private overloaded(): WaybillError {
    return new WaybillError(
      'MODEL_OVERLOADED',
      `model is busy: ${this.inFlight} calls running and ${this.queuedRequests} requests waiting (limit ${this.options.maxQueue})`,
      {
        inFlight: this.inFlight,
        queued: this.queuedRequests,
        maxQueue: this.options.maxQueue,
      },
    );
  }

  private addToOpenBatch(p: Pending<I, O>, batching: { maxBatchSize: number; maxWaitMs: number }): void {
    if (this.open && this.open.size + p.items.length > batching.maxBatchSize) this.flushOpen();
    if (!this.open) {
      if (!this.admit(1)) {
        p.reject(this.overloaded());
        return;
      }
      const idle = this.inFlight < this.options.maxConcurrency && this.waiting.length === 0;
      if (idle) {
        const immediate = setImmediate(() => this.flushOpen());
        this.open = { group: [], size: 0, cancel: () => clearImmediate(immediate) };
      } else {
        const timer = setTimeout(() => this.flushOpen(), batching.maxWaitMs);
        this.open = { group: [], size: 0, cancel: () => clearTimeout(timer) };
      }
    } else if (this.queuedRequests + 1 > this.options.maxQueue && this.inFlight >= this.options.maxConcurrency) {
      p.reject(this.overloaded());
      return;
    }
    this.open.group.push(p);
    this.open.size += p.items.length;
    this.queuedRequests++;
    if (this.open.size >= batching.maxBatchSize) this.flushOpen();
  }

  private flushOpen(): void {
    const open = this.open;
    if (!open) return;
    open.cancel();
    this.open = undefined;
    this.queuedRequests -= open.group.length;
    this.enqueue(open.group, true);
  }

  private enqueue(group: Pending<I, O>[], admitted = false): void {
    if (!admitted && !this.admit(group.length)) {
      for (const p of group) p.reject(this.overloaded());
      return;
    }
    this.waiting.push(group);
    this.queuedRequests += group.length;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxConcurrency && this.waiting.length > 0) {
      const group = this.waiting.shift() as Pending<I, O>[];
      this.queuedRequests -= group.length;
      this.inFlight++;
      void this.run(group).finally(() => {
        this.inFlight--;
        // A free slot takes the open batch now rather than at the end of its window.
        if (this.open && this.waiting.length === 0) this.flushOpen();
        this.pump();
        if (this.inFlight === 0 && this.queuedRequests === 0 && !this.open) {
          for (const r of this.idle.splice(0)) r();
        }
      });
    }
  }

  private async run(group: Pending<I, O>[]): Promise<void> {
    const started = performance.now();
    const batch = group.flatMap((p) => p.items);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new WaybillError('TIMEOUT', `predict took longer than ${this.options.timeoutMs} ms`)),
          this.options.timeoutMs,
        );
      });
      const outputs = await Promise.race([this.predict(batch), timeout]);
      if (!Array.isArray(outputs) || outputs.length !== batch.length) {
        throw new WaybillError(
          'INVALID_OUTPUT',
          `predict returned ${Array.isArray(outputs) ? `${outputs.length} outputs` : `${describeValue(outputs)} instead of an array`} for ${batch.length} inputs`,
        );
      }
      const computeMs = performance.now() - started;
      let at = 0;
      for (const p of group) {
        p.resolve({ outputs: outputs.slice(at, at + p.items.length), queueMs: started - p.submitted, computeMs, batchSize: batch.length });
        at += p.items.length;
      }
    } catch (err) {
      for (const p of group) p.reject(err);
    } finally {
      clearTimeout(timer);
    }
  }
}
