/**
 * POST /v1/routes: solve a vehicle routing problem as a job. The problem is validated and
 * compiled before the job exists (bad input: 400 / 422 at once, with the field); the answer is
 * 202 with the job id and a Location header. GET /v1/jobs/:id shows progress (fraction of the
 * time budget, best cost, feasible, iterations) and, once done, the plan. DELETE /v1/jobs/:id
 * stops the search: the job ends `cancelled` and its `result` is the best plan found so far.
 */
import { availableParallelism } from 'node:os';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import { compileVrp, VrpProblemSchema } from '../../kernels/or/vrp-model.js';
import { errorResponses } from '../schemas.js';

export interface VrpRouteOptions {
  engine: Engine;
  /** Longest time limit a request may ask for, ms (default 60 000; also the default limit). */
  maxRouteMs: number;
  /** Largest problem (depots + customers) a request may send (default 5 000). */
  maxRouteNodes: number;
}

const Options = Type.Object(
  {
    timeLimitMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'wall-clock budget, ms (default: the server maximum)' })),
    maxIterations: Type.Optional(
      Type.Integer({ minimum: 1, description: 'genetic iterations per worker (stops earlier than the time limit)' }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0 })),
    workers: Type.Optional(Type.Integer({ minimum: 1, description: 'populations on threads (at most the server cores)' })),
  },
  { additionalProperties: false },
);

export const vrpRoutes: FastifyPluginAsyncTypebox<VrpRouteOptions> = async (app, { engine, maxRouteMs, maxRouteNodes }) => {
  app.post(
    '/v1/routes',
    {
      schema: {
        tags: ['or'],
        summary: 'Solve a vehicle routing problem (CVRP / VRPTW / mixed fleet / optional visits) as a job',
        description:
          'Answers 202 with the job id; poll GET /v1/jobs/{id} for progress and the plan (feasible, cost, routes, unassigned, violations). ' +
          'DELETE /v1/jobs/{id} stops the search and keeps the best plan so far as the result of the cancelled job.',
        body: Type.Object({ problem: VrpProblemSchema, options: Type.Optional(Options) }, { additionalProperties: false }),
        response: {
          202: Type.Object({ id: Type.String(), state: Type.String(), links: Type.Object({ self: Type.String() }) }),
          ...errorResponses,
          422: errorResponses[400],
        },
      },
    },
    async (request, reply) => {
      const { problem, options = {} } = request.body;
      const nodes = problem.depots.length + problem.customers.length;
      if (nodes > maxRouteNodes) {
        throw new WaybillError('TOO_LARGE', `${nodes} nodes exceed the limit of ${maxRouteNodes} per request`, {
          nodes,
          limit: maxRouteNodes,
        });
      }
      const timeLimitMs = options.timeLimitMs ?? maxRouteMs;
      if (timeLimitMs > maxRouteMs) {
        throw new WaybillError('INVALID_ARGUMENT', `timeLimitMs ${timeLimitMs} exceeds the server maximum ${maxRouteMs}`, {
          field: 'options.timeLimitMs',
          limit: maxRouteMs,
        });
      }
      const cores = availableParallelism();
      if ((options.workers ?? 1) > cores) {
        throw new WaybillError('INVALID_ARGUMENT', `workers ${options.workers} exceeds the ${cores} cores of this server`, {
          field: 'options.workers',
          limit: cores,
        });
      }
      const compiled = compileVrp(problem); // throws 400 / 422 with details.field
      const job = await engine.jobs.submit(
        'routes',
        async (control) =>
          engine.kernels.or.solveVrp(compiled, {
            timeLimitMs,
            ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}),
            seed: options.seed ?? 1,
            workers: options.workers ?? 1,
            signal: control.signal,
            onProgress: (p) =>
              control.progress(p.elapsedMs / timeLimitMs, {
                best: Number.isFinite(p.best) ? p.best : null,
                feasible: p.feasible,
                iterations: p.iterations,
                elapsedMs: p.elapsedMs,
              }),
          }),
        { customers: problem.customers.length, depots: problem.depots.length, vehicleTypes: problem.vehicleTypes.length, timeLimitMs },
      );
      reply.status(202).header('location', `/v1/jobs/${job.id}`);
      return { id: job.id, state: job.state, links: { self: `/v1/jobs/${job.id}` } };
    },
  );
};
