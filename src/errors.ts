/**
 * One error catalogue for the engine, the CLI and the HTTP API. Each code has a stable name, an
 * HTTP status and a message; `details` carries the specifics (which argument, which index).
 */
export const ERROR_CATALOGUE = {
  INVALID_ARGUMENT: { status: 400, message: 'invalid argument' },
  INVALID_LENGTH: { status: 400, message: 'array length does not match the declared shape' },
  NOT_FINITE: { status: 400, message: 'input contains NaN or an infinite value' },
  COORDINATE_OUT_OF_RANGE: { status: 400, message: 'latitude must be in [-90, 90] and longitude in [-180, 180]' },
  INVALID_K: { status: 400, message: 'k must be an integer with 1 <= k <= m' },
  TOO_LARGE: { status: 413, message: 'the request or its output is larger than the configured limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'send application/json' },
  BACKEND_UNAVAILABLE: { status: 503, message: 'the requested backend is not available' },
  KERNEL_UNSUPPORTED: { status: 400, message: 'the requested backend does not support this kernel or input' },
  QUEUE_FULL: { status: 503, message: 'the worker pool queue is full; retry later' },
  ABORTED: { status: 499, message: 'the operation was cancelled' },
  CUDA_ERROR: { status: 500, message: 'a CUDA call failed' },
  OUT_OF_MEMORY: { status: 507, message: 'out of memory' },
  NATIVE_ERROR: { status: 500, message: 'the native backend failed' },
  POOL_CLOSED: { status: 503, message: 'the engine is closed' },
  NOT_FOUND: { status: 404, message: 'not found' },
  MODEL_NOT_FOUND: { status: 404, message: 'no such model or version' },
  MODEL_NOT_READY: { status: 503, message: 'the model is not ready' },
  MODEL_OVERLOADED: { status: 503, message: 'the model has too many requests waiting; retry later' },
  INVALID_PLUGIN: { status: 422, message: 'the plugin does not follow the plugin contract' },
  PLUGIN_LOAD_FAILED: { status: 500, message: 'the plugin failed to load' },
  PREDICT_FAILED: { status: 500, message: 'the model failed to predict' },
  TRAIN_FAILED: { status: 500, message: 'the model failed to train' },
  INVALID_OUTPUT: { status: 500, message: 'the model returned output that does not match its schema' },
  TIMEOUT: { status: 504, message: 'the operation took longer than allowed' },
  UNAUTHORIZED: { status: 401, message: 'a valid API key is required' },
  JOB_NOT_FOUND: { status: 404, message: 'no such job' },
  CONFLICT: { status: 409, message: 'conflict with the current state' },
  INFEASIBLE: { status: 422, message: 'the problem has no feasible solution' },
  INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error with a stable `code` from {@link ERROR_CATALOGUE}. */
export class WaybillError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  /**
   * `details.field` names the bad argument wherever one is at fault. The geo and trajectory
   * kernels (and a few other places) name it `details.argument`, which stays; `field` is then
   * added with the same value so callers can read one key everywhere.
   */
  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'WaybillError';
    this.code = code;
    this.details =
      details && typeof details.argument === 'string' && details.field === undefined ? { ...details, field: details.argument } : details;
  }

  /** HTTP status for this error's code. */
  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** Turns anything thrown (native errors carry a `code` string) into a WaybillError. */
export function toWaybillError(err: unknown): WaybillError {
  if (err instanceof WaybillError) return err;
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.name === 'AbortError') return new WaybillError('ABORTED', message);
  if (typeof e?.code === 'string' && Object.hasOwn(ERROR_CATALOGUE, e.code)) return new WaybillError(e.code as ErrorCode, message);
  if (e?.code === 'UNSUPPORTED') return new WaybillError('KERNEL_UNSUPPORTED', message);
  return new WaybillError('NATIVE_ERROR', message);
}
