/**
 * Trajectory routes: similarity (pairwise matrix, one-to-many, top-k), simplification and stay
 * points over JSON, plus the two last-mile predictors (stop sequence, next pickup).
 *
 * Trajectories arrive either as `{ trajectories: [{ id?, points: [[lat, lng, t?], ...] }] }` or in
 * the batched layout `{ coords: [lat, lng, lat, lng, ...], offsets: [0, ...], times?, ids? }`
 * (times in epoch seconds). Bad input is a 400 whose `details` name the trajectory and point.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { type Static, Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import type { TrajectoryBatch } from '../../kernels/trajectory/types.js';
import { validateBatch } from '../../kernels/trajectory/validate.js';
import { clientGone } from '../client-gone.js';
import { ErrorRef, errorResponses } from '../schemas.js';

export interface TrajectoryRouteOptions {
  engine: Engine;
  /** Most points (all trajectories together) per request. */
  maxPoints: number;
  /** Most distances one similarity request may return (rows x cols). */
  maxPairs: number;
  /** Similarity work (ground distances: points of a x points of b) above this runs as a job. */
  maxSyncCells: number;
}

const TrajPoint = Type.Unsafe<[number, number] | [number, number, number]>(
  Type.Array(Type.Number(), { minItems: 2, maxItems: 3, description: '[lat, lng] or [lat, lng, t] (t: epoch seconds)' }),
);
const TrajectoryJson = Type.Object(
  { id: Type.Optional(Type.String()), points: Type.Array(TrajPoint) },
  { additionalProperties: false, description: 'one trajectory' },
);

/** The two input layouts, as top-level (or nested) fields. */
const SetFields = {
  trajectories: Type.Optional(Type.Array(TrajectoryJson, { description: 'layout 1: one object per trajectory' })),
  coords: Type.Optional(Type.Array(Type.Number(), { description: 'layout 2: lat, lng interleaved, all trajectories' })),
  offsets: Type.Optional(
    Type.Array(Type.Integer(), {
      description: 'layout 2: trajectory t owns points offsets[t] .. offsets[t + 1] - 1; trajectories + 1 entries',
    }),
  ),
  times: Type.Optional(Type.Array(Type.Number(), { description: 'layout 2: one epoch-second timestamp per point' })),
  ids: Type.Optional(Type.Array(Type.String(), { description: 'layout 2: one id per trajectory' })),
};
const TrajectorySet = Type.Object(SetFields, { additionalProperties: false });
type SetInput = Static<typeof TrajectorySet>;

const Metric = Type.Union([Type.Literal('haversine'), Type.Literal('euclidean')], {
  description: "'haversine' (default): [lat, lng] degrees, metres; 'euclidean': planar [x, y] in the input's unit",
});
const Backend = Type.Union([Type.Literal('cuda'), Type.Literal('native'), Type.Literal('gpujs'), Type.Literal('js')], {
  description:
    "force a backend (default: native when built; cuda for large dtw / frechet / hausdorff matrices when a device is present). 'cuda' and 'gpujs' (gpu.js, float32, at most 256 points per trajectory): dtw / frechet / hausdorff similarity matrices only",
});
const RunFields = {
  metric: Type.Optional(Metric),
  radius: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'sphere radius, metres (haversine)' })),
  backend: Type.Optional(Backend),
  threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'native threads' })),
};
const Served = {
  backend: Type.Union([Type.Literal('cuda'), Type.Literal('native'), Type.Literal('gpujs'), Type.Literal('js')]),
  threads: Type.Integer(),
  gpujsMode: Type.Optional(
    Type.String({
      description: "backend 'gpujs': the mode gpu.js really ran in (webgl2, headlessgl, ... on a GPU; webasm or cpu on the CPU)",
    }),
  ),
  timings: Type.Object({ totalMs: Type.Number() }),
};
const OutPoint = Type.Array(Type.Number(), { description: '[lat, lng] or [lat, lng, t]' });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/** A batch from either layout; INVALID_ARGUMENT when neither or both are given; TOO_LARGE beyond maxPoints. */
function readSet(body: SetInput, name: string, maxPoints: number): TrajectoryBatch {
  const hasList = body.trajectories !== undefined;
  const hasFlat = body.coords !== undefined || body.offsets !== undefined;
  if (hasList === hasFlat) {
    throw new WaybillError('INVALID_ARGUMENT', `${name}: send either trajectories [{ points }] or coords + offsets (not both)`, {
      argument: name,
    });
  }
  if (hasList) {
    if (body.times !== undefined || body.ids !== undefined) {
      throw new WaybillError('INVALID_ARGUMENT', `${name}: times and ids belong to the coords + offsets layout`, { argument: name });
    }
    const list = body.trajectories ?? [];
    const total = list.reduce((s, t) => s + t.points.length, 0);
    if (total > maxPoints)
      throw new WaybillError('TOO_LARGE', `${name}: ${total} points exceed the limit of ${maxPoints} per request`, {
        points: total,
        limit: maxPoints,
      });
    const coords = new Float64Array(2 * total);
    const times = new Float64Array(total).fill(Number.NaN);
    const offsets = new Int32Array(list.length + 1);
    let p = 0;
    list.forEach((t, i) => {
      for (const pt of t.points) {
        coords[2 * p] = pt[0];
        coords[2 * p + 1] = pt[1];
        if (pt.length === 3) times[p] = pt[2];
        p++;
      }
      offsets[i + 1] = p;
    });
    return { ids: list.map((t, i) => t.id ?? String(i)), coords, times, offsets };
  }
  const coords = body.coords ?? [];
  const offsets = body.offsets ?? [];
  if (coords.length / 2 > maxPoints) {
    throw new WaybillError('TOO_LARGE', `${name}: ${coords.length / 2} points exceed the limit of ${maxPoints} per request`, {
      points: coords.length / 2,
      limit: maxPoints,
    });
  }
  if (body.coords === undefined || body.offsets === undefined) {
    throw new WaybillError('INVALID_ARGUMENT', `${name}: the batched layout needs both coords and offsets`, { argument: name });
  }
  const bad = offsets.findIndex((o) => o < 0 || o > 2 ** 31 - 1);
  if (bad >= 0)
    throw new WaybillError('INVALID_ARGUMENT', `${name}.offsets[${bad}] is out of range`, { argument: `${name}.offsets`, index: bad });
  const n = Math.max(0, offsets.length - 1);
  return {
    ids: body.ids ?? Array.from({ length: n }, (_, i) => String(i)),
    coords: Float64Array.from(coords),
    times: body.times ? Float64Array.from(body.times) : new Float64Array(coords.length >> 1).fill(Number.NaN),
    offsets: Int32Array.from(offsets),
  };
}

function setOf(body: Record<string, unknown>): SetInput {
  const out: SetInput = {};
  for (const k of Object.keys(SetFields) as (keyof SetInput)[]) if (body[k] !== undefined) (out as Record<string, unknown>)[k] = body[k];
  return out;
}

/** Points of trajectory t as JSON, with t when the input had a finite time. */
function pointsOf(b: TrajectoryBatch, t: number): number[][] {
  const out: number[][] = [];
  for (let p = b.offsets[t] as number; p < (b.offsets[t + 1] as number); p++) {
    const time = b.times[p] as number;
    out.push(
      Number.isFinite(time)
        ? [b.coords[2 * p] as number, b.coords[2 * p + 1] as number, time]
        : [b.coords[2 * p] as number, b.coords[2 * p + 1] as number],
    );
  }
  return out;
}

const nullable = (v: number): number | null => (Number.isFinite(v) ? v : null);

const Measure = Type.Union(
  [Type.Literal('dtw'), Type.Literal('frechet'), Type.Literal('hausdorff'), Type.Literal('erp'), Type.Literal('edr'), Type.Literal('lcss')],
  {
    description: 'dtw (default), frechet, hausdorff, erp, edr (needs eps), lcss (needs eps)',
  },
);

export const trajectoryRoutes: FastifyPluginAsyncTypebox<TrajectoryRouteOptions> = async (
  app,
  { engine, maxPoints, maxPairs, maxSyncCells },
) => {
  const kernels = engine.kernels.trajectory;

  app.post(
    '/v1/trajectories/similarity',
    {
      schema: {
        tags: ['trajectory'],
        summary: 'Trajectory similarity: pairwise matrix, one query against all, or the top k',
        description:
          'Without `query`: the matrix between the trajectories and `others` (default: themselves). With `query`: its distance to each trajectory, and the k nearest when `k` is given. Units: metres (haversine) or input units for dtw / frechet / hausdorff / erp; edits for edr; a fraction for lcss.',
        querystring: Type.Object({ job: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }),
        body: Type.Object(
          {
            ...SetFields,
            measure: Type.Optional(Measure),
            query: Type.Optional(TrajectoryJson),
            others: Type.Optional(TrajectorySet),
            k: Type.Optional(Type.Integer({ minimum: 1 })),
            band: Type.Optional(Type.Integer({ minimum: 0, description: 'dtw: Sakoe–Chiba band half-width, points' })),
            eps: Type.Optional(Type.Number({ minimum: 0, description: 'edr / lcss: match threshold, metres or input units' })),
            delta: Type.Optional(Type.Number({ minimum: 0, description: 'lcss: largest index gap' })),
            gap: Type.Optional(Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: 'erp: gap point' })),
            ...RunFields,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            measure: Type.String(),
            mode: Type.Union([Type.Literal('pairwise'), Type.Literal('one-to-many'), Type.Literal('top-k')]),
            unit: Type.String(),
            rows: Type.Array(Type.String(), { description: 'ids of the rows (pairwise) or of the candidates' }),
            cols: Type.Optional(Type.Array(Type.String())),
            distances: Type.Union([Type.Array(Type.Array(NullableNumber)), Type.Array(NullableNumber)]),
            topK: Type.Optional(
              Type.Object({
                indices: Type.Array(Type.Integer()),
                ids: Type.Array(Type.String()),
                distances: Type.Array(Type.Number()),
                stats: Type.Object({
                  candidates: Type.Integer(),
                  computed: Type.Integer(),
                  pruned: Type.Integer(),
                  abandoned: Type.Integer(),
                }),
              }),
            ),
            ...Served,
          }),
          202: Type.Object({ id: Type.String(), state: Type.String(), links: Type.Object({ self: Type.String() }) }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const measure = b.measure ?? 'dtw';
      const metric = b.metric ?? 'haversine';
      const set = readSet(setOf(b), 'trajectories', maxPoints);
      const n = set.ids.length;
      const geographic = metric === 'haversine';
      // Every trajectory needs a point; naming the index here keeps the message about this request.
      validateBatch('trajectories', set, { geographic });
      const options = {
        metric,
        ...(b.radius !== undefined ? { radius: b.radius } : {}),
        ...(b.band !== undefined ? { band: b.band } : {}),
        ...(b.eps !== undefined ? { eps: b.eps } : {}),
        ...(b.delta !== undefined ? { delta: b.delta } : {}),
        ...(b.gap !== undefined ? { gap: [b.gap[0], b.gap[1]] as [number, number] } : {}),
        ...(b.backend ? { backend: b.backend } : {}),
        ...(b.threads ? { threads: b.threads } : {}),
      };
      const unit = measure === 'edr' ? 'edits' : measure === 'lcss' ? 'fraction' : geographic ? 'm' : 'input';
      const points = set.times.length;
      if (b.query) {
        if (b.others) throw new WaybillError('INVALID_ARGUMENT', 'send query or others, not both', { argument: 'others' });
        if (b.query.points.length === 0) throw new WaybillError('INVALID_LENGTH', 'query has no points', { argument: 'query', length: 0 });
        const q = readSet({ trajectories: [b.query] }, 'query', maxPoints);
        validateBatch('query', q, { geographic });
        if (b.k !== undefined && b.k > n) {
          throw new WaybillError('INVALID_K', `k must be an integer with 1 <= k <= ${n} (the number of trajectories), got ${b.k}`, {
            argument: 'k',
            m: n,
          });
        }
        const signal = clientGone(reply);
        const work = (q.coords.length / 2) * points;
        const run = async () => {
          const d = await kernels.oneToMany(measure, q.coords, set, { ...options, signal });
          const base = {
            measure,
            unit,
            rows: set.ids,
            distances: Array.from(d.distances, nullable),
            backend: d.backend,
            threads: d.threads,
            timings: d.timings,
          };
          if (b.k === undefined) return { mode: 'one-to-many' as const, ...base };
          const t = await kernels.topK(q.coords, set, b.k, { ...options, measure, signal });
          return {
            mode: 'top-k' as const,
            ...base,
            topK: {
              indices: Array.from(t.indices),
              ids: Array.from(t.indices, (j) => set.ids[j] as string),
              distances: Array.from(t.distances),
              stats: t.stats,
            },
          };
        };
        if (request.query.job !== 'true' && work <= maxSyncCells) return run();
        return submit(reply, 'trajectory-similarity', run, { measure, mode: b.k === undefined ? 'one-to-many' : 'top-k', candidates: n });
      }
      const other = b.others ? readSet(b.others, 'others', maxPoints - points) : set;
      if (b.others) validateBatch('others', other, { geographic });
      const m = other.ids.length;
      if (n * m > maxPairs) {
        throw new WaybillError('TOO_LARGE', `a ${n} x ${m} = ${n * m} distance matrix exceeds the limit of ${maxPairs} per request`, {
          rows: n,
          cols: m,
          limit: maxPairs,
        });
      }
      const run = async (signal?: AbortSignal) => {
        const r = await kernels.pairwise(measure, set, other, { ...options, ...(signal ? { signal } : {}) });
        const rows: (number | null)[][] = [];
        for (let i = 0; i < r.rows; i++) rows.push(Array.from(r.data.subarray(i * r.cols, (i + 1) * r.cols), nullable));
        return {
          measure,
          mode: 'pairwise' as const,
          unit,
          rows: set.ids,
          cols: other.ids,
          distances: rows,
          backend: r.backend,
          threads: r.threads,
          ...(r.gpujsMode === undefined ? {} : { gpujsMode: r.gpujsMode }),
          timings: r.timings,
        };
      };
      if (request.query.job !== 'true' && points * other.times.length <= maxSyncCells) return run(clientGone(reply));
      return submit(reply, 'trajectory-similarity', run, { measure, mode: 'pairwise', rows: n, cols: m });
    },
  );

  /** Runs `fn` as a job: 202 + Location; the result appears on GET /v1/jobs/:id. */
  async function submit(reply: FastifyReply, type: string, fn: (signal?: AbortSignal) => Promise<unknown>, meta: Record<string, unknown>) {
    const job = await engine.jobs.submit(type, async (control) => fn(control.signal), meta);
    reply.status(202).header('location', `/v1/jobs/${job.id}`);
    return { id: job.id, state: job.state, links: { self: `/v1/jobs/${job.id}` } };
  }

  app.post(
    '/v1/trajectories/simplify',
    {
      schema: {
        tags: ['trajectory'],
        summary: 'Simplify trajectories: Douglas–Peucker (dp) or time-aware TD-TR (tdtr, needs t on every point)',
        body: Type.Object(
          {
            ...SetFields,
            method: Type.Optional(Type.Union([Type.Literal('dp'), Type.Literal('tdtr')], { description: 'default dp' })),
            tolerance: Type.Number({ minimum: 0, description: 'metres (haversine) or input units' }),
            ...RunFields,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            method: Type.String(),
            trajectories: Type.Array(
              Type.Object({
                id: Type.String(),
                points: Type.Array(OutPoint),
                kept: Type.Array(Type.Integer(), { description: 'indices of the kept points in the input trajectory' }),
              }),
            ),
            pointsIn: Type.Integer(),
            pointsOut: Type.Integer(),
            ...Served,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const method = b.method ?? 'dp';
      const metric = b.metric ?? 'haversine';
      const set = readSet(setOf(b), 'trajectories', maxPoints);
      validateBatch('trajectories', set, { geographic: metric === 'haversine', minPoints: 2, requireTimes: method === 'tdtr' });
      const r = await kernels.simplify(set, {
        method,
        tolerance: b.tolerance,
        metric,
        ...(b.radius !== undefined ? { radius: b.radius } : {}),
        ...(b.backend ? { backend: b.backend } : {}),
        ...(b.threads ? { threads: b.threads } : {}),
        signal: clientGone(reply),
      });
      return {
        method,
        trajectories: set.ids.map((id, t) => {
          const kept: number[] = [];
          const begin = set.offsets[t] as number;
          for (let p = begin; p < (set.offsets[t + 1] as number); p++) if (r.keep[p]) kept.push(p - begin);
          return { id, points: pointsOf(r.batch, t), kept };
        }),
        pointsIn: set.times.length,
        pointsOut: r.batch.times.length,
        backend: r.backend,
        threads: r.threads,
        timings: r.timings,
      };
    },
  );

  app.post(
    '/v1/trajectories/staypoints',
    {
      schema: {
        tags: ['trajectory'],
        summary: 'Stay points: runs of fixes within `distance` of the first one lasting at least `duration` (every point needs t)',
        body: Type.Object(
          {
            ...SetFields,
            distance: Type.Optional(Type.Number({ minimum: 0, description: 'metres (haversine), default 200' })),
            duration: Type.Optional(Type.Number({ minimum: 0, description: 'seconds, default 1800' })),
            ...RunFields,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            stayPoints: Type.Array(
              Type.Object({
                trajectory: Type.Integer(),
                id: Type.String(),
                lat: Type.Number(),
                lng: Type.Number(),
                arrive: Type.Number(),
                leave: Type.Number(),
                first: Type.Integer({ description: 'index of the first fix in its trajectory' }),
                last: Type.Integer(),
              }),
            ),
            counts: Type.Array(Type.Integer(), { description: 'stay points per trajectory' }),
            ...Served,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const metric = b.metric ?? 'haversine';
      const set = readSet(setOf(b), 'trajectories', maxPoints);
      validateBatch('trajectories', set, { geographic: metric === 'haversine', minPoints: 2, requireTimes: true });
      const r = await kernels.stayPoints(set, {
        distance: b.distance ?? 200,
        duration: b.duration ?? 1800,
        metric,
        ...(b.radius !== undefined ? { radius: b.radius } : {}),
        ...(b.backend ? { backend: b.backend } : {}),
        ...(b.threads ? { threads: b.threads } : {}),
        signal: clientGone(reply),
      });
      return {
        stayPoints: Array.from(r.trajectory, (t, s) => {
          const begin = set.offsets[t] as number;
          return {
            trajectory: t,
            id: set.ids[t] as string,
            lat: r.coords[2 * s] as number,
            lng: r.coords[2 * s + 1] as number,
            arrive: r.arrive[s] as number,
            leave: r.leave[s] as number,
            first: (r.first[s] as number) - begin,
            last: (r.last[s] as number) - begin,
          };
        }),
        counts: set.ids.map((_, t) => (r.offsets[t + 1] as number) - (r.offsets[t] as number)),
        backend: r.backend,
        threads: r.threads,
        timings: r.timings,
      };
    },
  );

  const LatLng = { lat: Type.Number(), lng: Type.Number() };
  app.post(
    '/v1/routes/predict-sequence',
    {
      schema: {
        tags: ['trajectory'],
        summary:
          'Predict the order a driver serves a route’s stops (zone model trained on the Amazon LMRRC routes), with nearest-neighbour and shortest-tour baselines',
        body: Type.Object(
          {
            station: Type.Object(
              { ...LatLng, code: Type.Optional(Type.String({ description: 'Amazon station code, e.g. DLA7' })) },
              { additionalProperties: false },
            ),
            stops: Type.Array(
              Type.Object(
                {
                  id: Type.Optional(Type.String()),
                  ...LatLng,
                  zone: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'delivery zone, e.g. D-8.3E' })),
                },
                { additionalProperties: false },
              ),
              { maxItems: 2000 },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            order: Type.Array(Type.Integer(), { description: 'indices into stops, first served first' }),
            ids: Type.Array(Type.String()),
            model: Type.String(),
            baselines: Type.Object({ nearest: Type.Array(Type.Integer()), tour: Type.Array(Type.Integer()) }),
            trainedOnRoutes: Type.Integer(),
            backend: Type.String(),
            timings: Type.Object({ totalMs: Type.Number() }),
          }),
          ...errorResponses,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const r = await kernels.predictSequence(request.body);
      return {
        order: r.order,
        ids: r.ids,
        model: r.model,
        baselines: r.baselines,
        trainedOnRoutes: r.trainedOn.length,
        backend: r.backend,
        timings: r.timings,
      };
    },
  );

  const Task = {
    id: Type.Optional(Type.String()),
    ...LatLng,
    aoiId: Type.Optional(Type.Integer()),
    aoiType: Type.Optional(Type.Integer()),
  };
  app.post(
    '/v1/pickups/predict-next',
    {
      schema: {
        tags: ['trajectory'],
        summary: 'Rank a courier’s pending pickups (GBDT trained on LaDe) with P50 / P90 pickup times',
        body: Type.Object(
          {
            done: Type.Optional(
              Type.Array(
                Type.Object({ ...Task, pickupTime: Type.Number({ description: 'epoch seconds' }) }, { additionalProperties: false }),
                {
                  maxItems: 10_000,
                  description: 'completed tasks in pickup order; the last is where the courier is',
                },
              ),
            ),
            pending: Type.Array(
              Type.Object(
                {
                  ...Task,
                  acceptTime: Type.Optional(Type.Number()),
                  windowStart: Type.Optional(Type.Number()),
                  windowEnd: Type.Optional(Type.Number()),
                },
                { additionalProperties: false },
              ),
              { maxItems: 1000 },
            ),
            position: Type.Optional(Type.Object(LatLng, { additionalProperties: false })),
            time: Type.Optional(Type.Number({ description: 'decision time, epoch seconds (default: last pickupTime)' })),
            utcOffsetHours: Type.Optional(Type.Number({ minimum: -14, maximum: 14, description: 'courier local time zone (default 8)' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            ranked: Type.Array(
              Type.Object({
                index: Type.Integer(),
                id: Type.String(),
                score: Type.Number(),
                minutes: Type.Object({ p50: Type.Number(), p90: Type.Number() }),
                at: Type.Object({ p50: Type.Number(), p90: Type.Number() }),
              }),
            ),
            time: Type.Number(),
            baselines: Type.Object({ nearest: Type.Integer(), earliestWindowEnd: Type.Union([Type.Integer(), Type.Null()]) }),
            trainedOn: Type.Object({ couriers: Type.Integer(), steps: Type.Integer(), note: Type.String() }),
            backend: Type.String(),
            timings: Type.Object({ totalMs: Type.Number() }),
          }),
          ...errorResponses,
          404: ErrorRef,
        },
      },
    },
    async (request) => kernels.predictNextPickup(request.body),
  );
};
