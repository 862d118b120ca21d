/** Shared TypeBox schemas of the HTTP API (also the source of the OpenAPI document). */
import { type Static, Type } from 'typebox';

/** Every error response: one shape, codes from src/errors.ts. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'stable error code, e.g. INVALID_ARGUMENT, COORDINATE_OUT_OF_RANGE, QUEUE_FULL' }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorBody', title: 'Error' },
);

/** Request field: force a backend. */
export const BackendName = Type.Union([Type.Literal('cuda'), Type.Literal('native'), Type.Literal('gpujs'), Type.Literal('js')], {
  description: 'force a backend; by default the best available one for the input is chosen',
});

/** Response field: the backend that computed a result. */
export const BackendUsed = Type.Union([Type.Literal('cuda'), Type.Literal('native'), Type.Literal('gpujs'), Type.Literal('js')], {
  description: 'backend that computed the result',
});

/** One backend in readiness: mirrors `BackendStatus` of src/backends/types.ts. */
export const BackendStatus = Type.Object({
  name: Type.String(),
  available: Type.Boolean(),
  autoSelect: Type.Boolean(),
  priority: Type.Number(),
  kernels: Type.Array(Type.String()),
  reason: Type.Optional(Type.String({ description: 'why the backend is unavailable or not auto-selected' })),
  mode: Type.Optional(Type.String()),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/** Worker pool state in readiness: mirrors `PoolStats` of src/pool/pool.ts. */
export const PoolStats = Type.Object({
  workers: Type.Integer(),
  started: Type.Boolean(),
  queued: Type.Integer(),
  running: Type.Integer(),
  completed: Type.Number(),
  utilization: Type.Number(),
  queueLimit: Type.Integer(),
  threads: Type.Integer({ description: 'worker threads alive now' }),
});

/** Wall time, summed compute time and longest queue wait of one kernel call, ms. */
export const Timings = Type.Object({
  totalMs: Type.Number(),
  computeMs: Type.Number(),
  queueMs: Type.Number(),
});

/**
 * A (lat, lng) pair in degrees, or an (x, y) pair for the euclidean metric. Typed as a tuple but
 * written as an array of exactly two numbers: OpenAPI 3.0 has no tuple form (`items: [...]`).
 */
export const Point = Type.Unsafe<[number, number]>(
  Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[lat, lng] degrees, or [x, y] for metric euclidean' }),
);

/**
 * A typed reference to {@link ErrorBody} (registered once with `app.addSchema`): the OpenAPI
 * document lists the error shape once, under components.schemas.ErrorBody, and route handlers keep
 * their return types checked (a plain `Type.Ref` would widen them to unknown).
 */
export const ErrorRef = Type.Unsafe<Static<typeof ErrorBody>>(Type.Ref('ErrorBody'));

/** Error responses every route may return, by status. */
export const errorResponses = {
  400: ErrorRef,
  413: ErrorRef,
  499: ErrorRef,
  500: ErrorRef,
  503: ErrorRef,
} as const;
