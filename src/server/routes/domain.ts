/**
 * Domain routes over the served domain models: `POST /v1/eta` (plugins/eta: median and P90 minutes
 * to pickup, late probability) and `POST /v1/merchants/score` (plugins/merchant: churn risk, tier,
 * growth, revenue at risk) and `POST /v1/demand/plan` (plugins/demand: forecast and order-up-to
 * level). Each takes a batch in one array field, checked against that model's
 * input schema (GET /v2/models/<name> shows it): a bad item is 400 INVALID_ARGUMENT with its
 * index. Without a ready model the answer is 404 MODEL_NOT_FOUND or 503 MODEL_NOT_READY with the
 * reason it failed to load.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { errorResponses } from '../schemas.js';
import { observedInfer } from './models.js';

export interface DomainRouteOptions {
  engine: Engine;
  /** Most items one request may carry (default 10,000). */
  maxItems?: number;
}

/** The routes and the models they serve. */
export const DOMAIN_ROUTES = [
  {
    url: '/v1/eta',
    model: 'eta',
    field: 'tasks',
    tag: 'eta',
    summary: 'Pickup ETA (median and P90) and late probability for a batch of tasks',
    item: 'pickup tasks at acceptance',
  },
  {
    url: '/v1/merchants/score',
    model: 'merchant',
    field: 'merchants',
    tag: 'merchants',
    summary: 'Churn risk, value tier, growth diagnosis and revenue at risk for a batch of merchants',
    item: 'merchants, each with its orders and an as-of date',
  },
  {
    url: '/v1/demand/plan',
    model: 'demand',
    field: 'series',
    tag: 'demand',
    summary: 'Demand forecast and order-up-to level for a batch of demand series',
    item: 'demand series, each with its history, horizon and lead time',
  },
] as const;

const DomainResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  predictions: Type.Array(Type.Unknown(), { description: "one answer per item, in order, in the model's output schema" }),
  compute_ms: Type.Number(),
});

export const domainRoutes: FastifyPluginAsyncTypebox<DomainRouteOptions> = async (app, { engine, maxItems = 10_000 }) => {
  for (const r of DOMAIN_ROUTES) {
    const Body = Type.Object(
      {
        [r.field]: Type.Array(Type.Object({}, { additionalProperties: true }), {
          minItems: 1,
          maxItems,
          description: `${r.item}, each in the input schema of the ${r.model} model (GET /v2/models/${r.model})`,
        }),
        version: Type.Optional(
          Type.String({ minLength: 1, maxLength: 64, description: `a version of the ${r.model} model; default: its default version` }),
        ),
      },
      { additionalProperties: false },
    );
    app.post(
      r.url,
      {
        schema: {
          tags: [r.tag],
          summary: r.summary,
          body: Body,
          response: { 200: DomainResponse, ...errorResponses, 404: errorResponses[400], 504: errorResponses[500] },
        },
      },
      async (request) => {
        const body = request.body as Record<string, unknown> & { version?: string };
        const out = await observedInfer(app, engine, r.model, body.version, body[r.field] as unknown[]);
        return { model_name: out.name, model_version: out.version, predictions: out.outputs, compute_ms: out.computeMs };
      },
    );
  }
};
