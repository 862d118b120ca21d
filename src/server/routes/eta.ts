/**
 * Domain route for delivery ETA: `POST /v1/eta` answers a batch of pickup tasks with the served
 * `eta` model (plugins/eta: median and P90 minutes to pickup, late probability). The tasks are
 * checked against that model's input schema (GET /v2/models/eta shows it); a bad task is 400
 * INVALID_ARGUMENT with its index. Without a ready `eta` model the answer is 404 MODEL_NOT_FOUND
 * or 503 MODEL_NOT_READY with the reason it failed to load.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { errorResponses } from '../schemas.js';
import { observedInfer } from './models.js';

export interface EtaRouteOptions {
  engine: Engine;
  /** Most tasks one request may carry (default 10,000). */
  maxTasks?: number;
}

/** The model the route serves. */
export const ETA_MODEL = 'eta';

const EtaResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  predictions: Type.Array(Type.Unknown(), { description: "one answer per task, in order, in the eta model's output schema" }),
  compute_ms: Type.Number(),
});

export const etaRoutes: FastifyPluginAsyncTypebox<EtaRouteOptions> = async (app, { engine, maxTasks = 10_000 }) => {
  const EtaBody = Type.Object(
    {
      tasks: Type.Array(Type.Object({}, { additionalProperties: true }), {
        minItems: 1,
        maxItems: maxTasks,
        description: 'pickup tasks at acceptance, each in the input schema of the eta model (GET /v2/models/eta)',
      }),
      version: Type.Optional(
        Type.String({ minLength: 1, maxLength: 64, description: 'a version of the eta model; default: its default version' }),
      ),
    },
    { additionalProperties: false },
  );
  app.post(
    '/v1/eta',
    {
      schema: {
        tags: ['eta'],
        summary: 'Pickup ETA (median and P90) and late probability for a batch of tasks',
        body: EtaBody,
        response: { 200: EtaResponse, ...errorResponses, 404: errorResponses[400], 504: errorResponses[500] },
      },
    },
    async (request) => {
      const r = await observedInfer(app, engine, ETA_MODEL, request.body.version, request.body.tasks);
      return { model_name: r.name, model_version: r.version, predictions: r.outputs, compute_ms: r.computeMs };
    },
  );
};
