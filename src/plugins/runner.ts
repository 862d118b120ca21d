/**
 * Per-model admission: bounded concurrency, a bounded queue (beyond it MODEL_OVERLOADED, which
 * the HTTP layer answers with 503 + Retry-After), a per-call timeout, and optional dynamic
 * batching that merges requests arriving close together into one predict() call.
 *
 * Batching is adaptive. When the model is idle, the open batch leaves at the end of the current
 * event-loop turn (setImmediate): requests parsed in the same turn share a call, and a lone
 * request waits no timer. When the model is busy, the open batch leaves when it is full, when
 * `maxWaitMs` has passed, or as soon as a slot frees up, whichever comes first.
 *
 * Time limits: a request waits at most `timeoutMs` for a slot and its predict() call runs at most
 * `timeoutMs`; either way it then fails with TIMEOUT. A call past its limit keeps its slot until
 * it really ends (JavaScript cannot stop it): before, the slot was freed at once, so a model that
 * hung on every call piled up one never-ending call per request beyond maxConcurrency. drain()
 * does not wait for such calls.
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
  /** Its group's predict() call has started (the wait timer is then cleared). */
  started?: boolean;
  /** The wait limit: rejects with TIMEOUT while the request still waits for a slot. */
  waitTimer?: NodeJS.Timeout;
}

export interface RunnerStats {
  /** predict() calls running, including those past their time limit. */
  inFlight: number;
  /** Of those, calls past their time limit (their requests got TIMEOUT; they still hold a slot). */
  timedOut: number;
  queued: number;
  maxConcurrency: number;
  maxQueue: number;
}

export class ModelRunner<I, O> {
  /** Calls running within their time limit. */
  private running = 0;
  /** Calls past their time limit that have not ended yet: they still hold a slot. */
  private hung = 0;
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

  /** Slots taken: calls running, including those past their time limit. */
  private get inFlight(): number {
    return this.running + this.hung;
  }

  stats(): RunnerStats {
    return {
      inFlight: this.inFlight,
      timedOut: this.hung,
      queued: this.queuedRequests,
      maxConcurrency: this.options.maxConcurrency,
      maxQueue: this.options.maxQueue,
    };
  }

  /** Runs `items` (one request) through the model. Rejects with MODEL_OVERLOADED at once when the queue is full. */
  submit(items: I[]): Promise<RunResult<O>> {
    return new Promise<RunResult<O>>((resolve, reject) => {
      const p: Pending<I, O> = {
        items,
        submitted: performance.now(),
        resolve: (r) => {
          clearTimeout(p.waitTimer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(p.waitTimer);
          reject(e);
        },
      };
      p.waitTimer = setTimeout(() => this.expire(p), this.options.timeoutMs);
      const batching = this.options.batching;
      if (batching && items.length < batching.maxBatchSize) {
        this.addToOpenBatch(p, batching);
        return;
      }
      this.enqueue([p]);
    });
  }

  /** Resolves when nothing is running (within its time limit) or waiting. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private isIdle(): boolean {
    return this.running === 0 && this.queuedRequests === 0 && !this.open;
  }

  private notifyIdle(): void {
    if (this.isIdle()) for (const r of this.idle.splice(0)) r();
  }

  /** A request still waiting for a slot after timeoutMs: out of its group, TIMEOUT. */
  private expire(p: Pending<I, O>): void {
    if (p.started) return;
    let found = false;
    if (this.open) {
      const k = this.open.group.indexOf(p);
      if (k >= 0) {
        this.open.group.splice(k, 1);
        this.open.size -= p.items.length;
        found = true;
        if (this.open.group.length === 0) {
          this.open.cancel();
          this.open = undefined;
        }
      }
    }
    for (let g = 0; !found && g < this.waiting.length; g++) {
      const group = this.waiting[g] as Pending<I, O>[];
      const k = group.indexOf(p);
      if (k < 0) continue;
      group.splice(k, 1);
      if (group.length === 0) this.waiting.splice(g, 1);
      found = true;
    }
    if (!found) return;
    this.queuedRequests--;
    p.reject(
      new WaybillError(
        'TIMEOUT',
        `waited longer than ${this.options.timeoutMs} ms for a free slot (${this.inFlight} calls running, ${this.hung} of them past their time limit)`,
      ),
    );
    this.notifyIdle();
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
      for (const p of group) {
        p.started = true;
        clearTimeout(p.waitTimer);
      }
      this.running++;
      // run() gives the slot back (running-- or hung--) when the call really ends.
      void this.run(group).finally(() => {
        // A free slot takes the open batch now rather than at the end of its window.
        if (this.open && this.waiting.length === 0) this.flushOpen();
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async run(group: Pending<I, O>[]): Promise<void> {
    const started = performance.now();
    const batch = group.flatMap((p) => p.items);
    let timer: NodeJS.Timeout | undefined;
    // The call itself, settled either way (a synchronous throw included).
    const call = (async () => this.predict(batch))().then(
      (outputs) => ({ outputs }),
      (error: unknown) => ({ error }),
    );
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs);
    });
    const first = await Promise.race([call, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      // The requests fail now; the call keeps its slot (as a timed-out one) until it ends.
      this.running--;
      this.hung++;
      const err = new WaybillError('TIMEOUT', `predict took longer than ${this.options.timeoutMs} ms`);
      for (const p of group) p.reject(err);
      this.notifyIdle();
      await call;
      this.hung--;
      return;
    }
    this.running--;
    try {
      if ('error' in first) throw first.error;
      const outputs = first.outputs;
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
    }
  }
}
