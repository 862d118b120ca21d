/**
 * Jobs API: POST /v1/jobs -> 202 { id }; GET /v1/jobs/:id (state, progress, result or error);
 * DELETE /v1/jobs/:id cancels through the job's AbortSignal.
 * Kinds: `infer` (batch inference over many instances, in chunks, with progress) and `train`
 * (the plugin's train()); `routes` jobs are started by POST /v1/routes (routes/vrp.ts) and keep
 * their best plan so far as `result` when cancelled; `ml-train` jobs (POST /v1/ml/train,
 * routes/ml.ts) likewise keep the best model so far.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import { JOB_STATES } from '../../jobs/jobs.js';
import { jsonProblem } from '../../plugins/values.js';
import { errorResponses } from '../schemas.js';

const Job = Type.Object({
  id: Type.String(),
  type: Type.String(),
  state: Type.Union(
    [Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')],
    {
      description: JOB_STATES.join(' | '),
    },
  ),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  createdAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  request: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const JobRequest = Type.Union([
  Type.Object(
    {
      type: Type.Literal('infer'),
      model: Type.String(),
      version: Type.Optional(Type.String()),
      instances: Type.Array(Type.Unknown(), { minItems: 1 }),
      chunk_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'instances per predict call (default 1000)' })),
    },
    { additionalProperties: false, title: 'batch inference' },
  ),
  Type.Object(
    {
      type: Type.Literal('train'),
      model: Type.String(),
      version: Type.Optional(Type.String()),
      params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { additionalProperties: false, title: 'training' },
  ),
]);

export const jobRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.post(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Start a long job',
        body: JobRequest,
        response: { 202: Type.Object({ id: Type.String(), state: Type.String() }), ...errorResponses, 404: errorResponses[400] },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // Resolve the model now so an unknown model is a 404 here rather than a failed job later.
      const model = engine.plugins.get(body.model, body.version);
      let job: Awaited<ReturnType<Engine['jobs']['submit']>>;
      if (body.type === 'infer') {
        const { instances } = body;
        const chunk = body.chunk_size ?? 1000;
        // A model that is not ready, or an instance that does not fit its schema (with its index in
        // the whole list, not in a chunk), is an answer now rather than a failed job later.
        engine.plugins.checkInputs(model.name, model.version, instances);
        job = await engine.jobs.submit(
          'infer',
          async (control) => {
            const predictions: unknown[] = [];
            for (let at = 0; at < instances.length; at += chunk) {
              if (control.signal.aborted) throw new WaybillError('ABORTED', 'cancelled');
              const r = await engine.plugins.infer(model.name, model.version, instances.slice(at, at + chunk));
              predictions.push(...r.outputs);
              control.progress(Math.min(instances.length, at + chunk) / instances.length, {
                done: predictions.length,
                total: instances.length,
              });
            }
            return { model_name: model.name, model_version: model.version, predictions };
          },
          { model: model.name, version: model.version, instances: instances.length },
        );
      } else {
        if (!model.trainable) throw new WaybillError('INVALID_ARGUMENT', `model ${model.name}@${model.version} has no train()`);
        if (model.state !== 'ready') throw new WaybillError('MODEL_NOT_READY', `model ${model.name}@${model.version} is ${model.state}`);
        const params = body.params ?? {};
        job = await engine.jobs.submit(
          'train',
          async (control) => {
            const result = await engine.plugins.train(model.name, model.version, params, control);
            // GET /v1/jobs/:id sends the result as JSON: one that cannot be (a cycle, a BigInt)
            // fails the job now, naming the model, instead of every later GET with a bare 500.
            const problem = jsonProblem(result);
            if (problem) {
              throw new WaybillError(
                'INVALID_OUTPUT',
                `model ${model.name}@${model.version} train() returned a result that is not JSON: result${problem}`,
              );
            }
            return result;
          },
          {
            model: model.name,
            version: model.version,
          },
        );
      }
      reply.status(202).header('location', `/v1/jobs/${job.id}`);
      return { id: job.id, state: job.state };
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'State, progress 0..1, result or error',
        params: Type.Object({ id: Type.String() }),
        response: { 200: Job, 404: errorResponses[400] },
      },
    },
    async (request) => engine.jobs.get(request.params.id),
  );

  app.delete(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a queued or running job (409 if it already finished); a routes job keeps its best plan so far as result',
        params: Type.Object({ id: Type.String() }),
        response: { 200: Job, 404: errorResponses[400], 409: errorResponses[400] },
      },
    },
    async (request) => engine.jobs.cancel(request.params.id),
  );
};
