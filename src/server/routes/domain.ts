/**
 * Domain routes over the served domain models. `POST /v1/eta` (plugins/eta: median and P90 minutes
 * to pickup, late probability), `POST /v1/merchants/score` (plugins/merchant: churn risk, tier,
 * growth, revenue at risk) and `POST /v1/demand/plan` (plugins/demand: forecast and order-up-to
 * level) answer the items of a batch held in one array field. `POST /v1/pricing/allocate` scores
 * customers with the `pricing` model (plugins/pricing: per-e-mail extra visits and spend) and gives
 * at most one e-mail a customer within a budget with the OR kernels' budget allocation. Items are
 * checked against the model's input schema (GET /v2/models/<name> shows it): a bad item is 400
 * INVALID_ARGUMENT with its index and field. Without a ready model the answer is 404
 * MODEL_NOT_FOUND or 503 MODEL_NOT_READY with the reason it failed to load.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { allocateTreatments } from '../../kernels/or/treatment-allocation.js';
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

const Treatment = Type.Union([Type.Literal('none'), Type.Literal('mens'), Type.Literal('womens')]);
const AllocateResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  assignments: Type.Array(Treatment, { description: 'the e-mail each customer gets, in order' }),
  emailed: Type.Object({ mens: Type.Integer(), womens: Type.Integer() }),
  cost: Type.Number({ description: 'total cost of the assignments (<= budget)' }),
  expected_extra: Type.Number({
    description: 'predicted extra visits (objective visit) or dollars (objective spend) of the assignments, value_per_unit applied',
  }),
  gap: Type.Number({ description: 'relative gap to the allocation bound (0 = proven optimal for the predictions)' }),
});

export const domainRoutes: FastifyPluginAsyncTypebox<DomainRouteOptions> = async (app, { engine, maxItems = 10_000 }) => {
  app.post(
    '/v1/pricing/allocate',
    {
      schema: {
        tags: ['pricing'],
        summary: 'Allocate incentives (e-mails) to customers within a budget by predicted uplift',
        body: Type.Object(
          {
            customers: Type.Array(Type.Object({}, { additionalProperties: true }), {
              minItems: 1,
              maxItems,
              description: 'customers in the input schema of the pricing model (GET /v2/models/pricing)',
            }),
            budget: Type.Number({ minimum: 0, maximum: 1e15, description: 'total cost the assignments may reach' }),
            costs: Type.Optional(
              Type.Object(
                { mens: Type.Number({ exclusiveMinimum: 0, maximum: 1e12 }), womens: Type.Number({ exclusiveMinimum: 0, maximum: 1e12 }) },
                { additionalProperties: false, description: 'cost of one e-mail of each kind (default 1 each)' },
              ),
            ),
            objective: Type.Optional(
              Type.Union([Type.Literal('visit'), Type.Literal('spend')], {
                description: 'what to maximise: extra visits (default) or extra spend',
              }),
            ),
            value_per_unit: Type.Optional(
              Type.Number({ exclusiveMinimum: 0, maximum: 1e12, description: 'value of one extra visit or dollar (default 1)' }),
            ),
            version: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a version of the pricing model' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AllocateResponse, ...errorResponses, 404: errorResponses[400], 504: errorResponses[500] },
      },
    },
    async (request) => {
      const b = request.body;
      const out = await observedInfer(app, engine, 'pricing', b.version, b.customers);
      const objective = b.objective ?? 'visit';
      const unit = b.value_per_unit ?? 1;
      const rows = out.outputs as Array<Record<string, number>>;
      // The allocation does not depend on value_per_unit (a positive scale): it is applied to the
      // total only, so a tiny one cannot underflow the effects to 0 (5e-324 once e-mailed no one).
      const value = new Float64Array(rows.length * 2);
      rows.forEach((r, i) => {
        value[2 * i] = r[`mens_${objective}_uplift`] as number;
        value[2 * i + 1] = r[`womens_${objective}_uplift`] as number;
      });
      const a = await allocateTreatments(engine.kernels.or, { value, costs: [b.costs?.mens ?? 1, b.costs?.womens ?? 1], budget: b.budget });
      const names = ['none', 'mens', 'womens'] as const;
      const assignments = Array.from(a.arm, (k) => names[k] as (typeof names)[number]);
      return {
        model_name: out.name,
        model_version: out.version,
        assignments,
        emailed: { mens: assignments.filter((x) => x === 'mens').length, womens: assignments.filter((x) => x === 'womens').length },
        cost: a.cost,
        expected_extra: unit * a.value,
        gap: a.gap,
      };
    },
  );

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
