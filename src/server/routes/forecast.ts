/**
 * POST /v1/forecast: series in (JSON arrays, null = missing), point forecasts out with the model
 * used per series and the reason for any fallback. Batches above `maxSyncSeries` (or with
 * `?job=true`) run as a job: 202 + Location, progress per chunk, result on GET /v1/jobs/:id.
 *
 * POST /v1/forecast/reconcile: a hierarchy (nodes with parent links) and base forecasts of every
 * node -> coherent forecasts (engine.kernels.timeseries.reconcile).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import { FORECAST_MODELS, type ForecastModel } from '../../kernels/timeseries/index.js';
import { MAX_HIERARCHY_NODES, RECONCILE_METHODS } from '../../kernels/timeseries/reconcile.js';
import { errorResponses } from '../schemas.js';

export interface ForecastRouteOptions {
  engine: Engine;
  /** Most series answered synchronously (default 1000); more run as a job. */
  maxSyncSeries: number;
  /** Most values (all series together) per request (default 5 000 000). */
  maxValues: number;
}

const Body = Type.Object(
  {
    series: Type.Array(Type.Array(Type.Union([Type.Number(), Type.Null()])), { description: 'one array per series; null = missing value' }),
    ids: Type.Optional(Type.Array(Type.String())),
    model: Type.Optional(
      Type.Union(
        FORECAST_MODELS.map((m) => Type.Literal(m)),
        { description: 'default theta' },
      ),
    ),
    horizon: Type.Integer({ minimum: 1, maximum: 10_000 }),
    seasonLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    missing: Type.Optional(Type.Union([Type.Literal('interpolate'), Type.Literal('drop'), Type.Literal('error')])),
    etsModel: Type.Optional(
      Type.String({ pattern: '^[AMZ](N|Ad|A|Z)[NAMZ]$', description: 'model ets: R-style code, default ZZZ (AutoETS)' }),
    ),
    etsCombine: Type.Optional(
      Type.Union([Type.Literal('weights'), Type.Literal('select')], {
        description:
          'model ets: weights (default) = Akaike-weighted combination of the fitted models; select = lowest AICc alone, as R ets',
      }),
    ),
    levels: Type.Optional(
      Type.Array(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100 }), {
        minItems: 1,
        maxItems: 10,
        description: 'model ets: prediction-interval levels in %',
      }),
    ),
  },
  { additionalProperties: false },
);

const Row = Type.Array(Type.Number());
const ReconcileBody = Type.Object(
  {
    nodes: Type.Array(
      Type.Object(
        { id: Type.String(), parent: Type.Union([Type.String(), Type.Null()], { description: 'null for the root' }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_HIERARCHY_NODES, description: "the hierarchy: every node's series is the sum of its leaves" },
    ),
    forecasts: Type.Array(Row, { description: 'base forecasts, one array of the horizon per node, in node order' }),
    method: Type.Union(
      RECONCILE_METHODS.map((m) => Type.Literal(m)),
      { description: 'bottom-up, top-down (needs history), ols, wls-struct, mint-shrink (needs residuals)' },
    ),
    history: Type.Optional(Type.Array(Row, { description: "top-down: each node's history (n x T)" })),
    residuals: Type.Optional(Type.Array(Row, { description: "mint-shrink: each node's one-step forecast errors (n x T, T >= 2)" })),
  },
  { additionalProperties: false },
);

const ReconcileResponse = Type.Object({
  ids: Type.Array(Type.String()),
  forecasts: Type.Array(Type.Array(Type.Number()), { description: 'coherent forecasts, one array per node, node order' }),
  method: Type.String(),
  leaves: Type.Array(Type.String()),
  lambda: Type.Optional(Type.Number({ description: 'mint-shrink: the shrinkage intensity' })),
  proportions: Type.Optional(Type.Array(Type.Number(), { description: "top-down: each leaf's share of the root" })),
  backend: Type.String(),
  timings: Type.Object({ totalMs: Type.Number() }),
});

const Interval = Type.Object({
  level: Type.Number(),
  lower: Type.Array(Type.Union([Type.Number(), Type.Null()])),
  upper: Type.Array(Type.Union([Type.Number(), Type.Null()])),
});

export const forecastRoutes: FastifyPluginAsyncTypebox<ForecastRouteOptions> = async (app, { engine, maxSyncSeries, maxValues }) => {
  app.post(
    '/v1/forecast',
    {
      schema: {
        tags: ['timeseries'],
        summary: 'Forecast many series (AutoETS with intervals, Theta, thetaf, optimised Theta, Comb, naive family, Croston family, ADIDA)',
        querystring: Type.Object({ job: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }),
        body: Body,
        response: {
          200: Type.Object({
            ids: Type.Array(Type.String()),
            forecasts: Type.Array(Type.Array(Type.Union([Type.Number(), Type.Null()]))),
            used: Type.Array(Type.String()),
            notes: Type.Array(Type.Union([Type.String(), Type.Null()])),
            intervals: Type.Optional(Type.Array(Type.Array(Interval), { description: 'per series, per level' })),
            model: Type.String(),
            horizon: Type.Integer(),
            backend: Type.String(),
            timings: Type.Object({ totalMs: Type.Number() }),
          }),
          202: Type.Object({ id: Type.String(), state: Type.String(), links: Type.Object({ self: Type.String() }) }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const total = b.series.reduce((s, x) => s + x.length, 0);
      if (total > maxValues)
        throw new WaybillError('TOO_LARGE', `${total} values exceed the limit of ${maxValues} per request`, { limit: maxValues });
      if (b.ids && b.ids.length !== b.series.length)
        throw new WaybillError('INVALID_LENGTH', `ids has ${b.ids.length} entries for ${b.series.length} series`, { field: 'ids' });
      const model = (b.model ?? 'theta') as ForecastModel;
      const options = {
        model,
        horizon: b.horizon,
        seasonLength: b.seasonLength ?? 1,
        ...(b.missing ? { missing: b.missing } : {}),
        ...(b.etsModel ? { etsModel: b.etsModel } : {}),
        ...(b.etsCombine ? { etsCombine: b.etsCombine } : {}),
        ...(b.levels ? { levels: b.levels } : {}),
      };
      const finite = (a: Float64Array) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
      const shape = (out: Awaited<ReturnType<Engine['kernels']['timeseries']['forecast']>>) => ({
        ids: out.ids,
        forecasts: out.ids.map((_, s) =>
          Array.from(out.mean.subarray(s * out.horizon, (s + 1) * out.horizon), (v) => (Number.isFinite(v) ? v : null)),
        ),
        used: out.used,
        notes: out.notes,
        ...(out.intervals
          ? {
              intervals: out.ids.map((_, s) =>
                (out.intervals as NonNullable<typeof out.intervals>).levels.map((level, k) => {
                  const L = (out.intervals as NonNullable<typeof out.intervals>).levels.length;
                  const at = (s * L + k) * out.horizon;
                  return {
                    level,
                    lower: finite((out.intervals as NonNullable<typeof out.intervals>).lower.subarray(at, at + out.horizon)),
                    upper: finite((out.intervals as NonNullable<typeof out.intervals>).upper.subarray(at, at + out.horizon)),
                  };
                }),
              ),
            }
          : {}),
        model,
        horizon: out.horizon,
        backend: out.backend,
        timings: out.timings,
      });
      const input = { series: b.series, ...(b.ids ? { ids: b.ids } : {}) };
      if (request.query.job !== 'true' && b.series.length <= maxSyncSeries)
        return shape(await engine.kernels.timeseries.forecast(input, options));
      // Validate the options on an empty batch first, so bad input is a 400 here, not a failed job.
      await engine.kernels.timeseries.forecast({ series: [] }, options);
      const job = await engine.jobs.submit(
        'forecast',
        async (control) => {
          const chunk = 1000;
          const parts: Array<ReturnType<typeof shape>> = [];
          for (let a = 0; a < b.series.length; a += chunk) {
            if (control.signal.aborted) throw new WaybillError('ABORTED', 'cancelled');
            const part = await engine.kernels.timeseries.forecast(
              {
                series: b.series.slice(a, a + chunk),
                ...(b.ids ? { ids: b.ids.slice(a, a + chunk) } : { ids: b.series.slice(a, a + chunk).map((_, i) => `s${a + i}`) }),
              },
              options,
            );
            parts.push(shape(part));
            control.progress(Math.min(b.series.length, a + chunk) / b.series.length, {
              done: Math.min(b.series.length, a + chunk),
              total: b.series.length,
            });
          }
          return {
            ids: parts.flatMap((p) => p.ids),
            forecasts: parts.flatMap((p) => p.forecasts),
            used: parts.flatMap((p) => p.used),
            notes: parts.flatMap((p) => p.notes),
            ...(b.levels ? { intervals: parts.flatMap((p) => p.intervals ?? []) } : {}),
            model,
            horizon: b.horizon,
          };
        },
        { series: b.series.length, model, horizon: b.horizon },
      );
      reply.status(202).header('location', `/v1/jobs/${job.id}`);
      return { id: job.id, state: job.state, links: { self: `/v1/jobs/${job.id}` } };
    },
  );

  app.post(
    '/v1/forecast/reconcile',
    {
      schema: {
        tags: ['timeseries'],
        summary: 'Make the forecasts of a hierarchy add up (bottom-up, top-down, OLS, WLS, MinT-shrink)',
        body: ReconcileBody,
        response: { 200: ReconcileResponse, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const values = [b.forecasts, b.history ?? [], b.residuals ?? []].reduce(
        (sum, rows) => sum + rows.reduce((t, r) => t + r.length, 0),
        0,
      );
      if (values > maxValues)
        throw new WaybillError('TOO_LARGE', `${values} values exceed the limit of ${maxValues} per request`, { limit: maxValues });
      const out = await engine.kernels.timeseries
        .reconcile(b.nodes, b.forecasts, {
          method: b.method,
          ...(b.history ? { history: b.history } : {}),
          ...(b.residuals ? { residuals: b.residuals } : {}),
        })
        .catch((err: unknown) => {
          // The kernel names its argument baseForecasts; the body calls it forecasts.
          const d = (err as WaybillError).details as { field?: unknown } | undefined;
          if (err instanceof WaybillError && d && typeof d.field === 'string') d.field = d.field.replace(/^baseForecasts/, 'forecasts');
          throw err;
        });
      const rows = Array.from({ length: out.ids.length }, (_, i) => Array.from(out.mean.subarray(i * out.horizon, (i + 1) * out.horizon)));
      return {
        ids: out.ids,
        forecasts: rows,
        method: out.method,
        leaves: out.leaves,
        ...(out.lambda !== undefined ? { lambda: out.lambda } : {}),
        ...(out.proportions ? { proportions: Array.from(out.proportions) } : {}),
        backend: out.backend,
        timings: out.timings,
      };
    },
  );
};
