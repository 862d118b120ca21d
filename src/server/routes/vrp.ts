/**
 * POST /v1/routes: solve a vehicle routing problem as a job. The problem is validated and
 * compiled before the job exists (bad input: 400 / 422 at once, with the field); the answer is
 * 202 with the job id and a Location header. GET /v1/jobs/:id shows progress while the search
 * runs (`progress`: fraction of the budget; `detail`: best cost, feasible, iterations, elapsedMs)
 * and, once done, the plan as `result`. DELETE /v1/jobs/:id stops the search: the job ends in
 * state `cancelled` and keeps the best plan found so far as its `result` (with `cancelled: true`).
 * `?wait=true` answers 200 with the plan itself once the job is done.
 */
import { availableParallelism } from 'node:os';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import { compileVrp, VrpProblemSchema } from '../../kernels/or/vrp-model.js';
import { answerJob } from '../job-reply.js';
import { errorResponses, Timings } from '../schemas.js';

export interface VrpRouteOptions {
  engine: Engine;
  /** Longest time limit a request may ask for, ms (default 60 000). */
  maxRouteMs: number;
  /** Largest problem (depots + customers) a request may send (default 5 000). */
  maxRouteNodes: number;
}

const Options = Type.Object(
  {
    timeLimitMs: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'wall-clock budget, ms; at most the server maximum (default 60 s). Default: 24 ms per customer, at least 1 s',
      }),
    ),
    maxIterations: Type.Optional(Type.Integer({ minimum: 1, description: 'genetic iterations per worker (stops before the time limit)' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, description: 'default 1; same seed, workers and maxIterations give the same plan' })),
    workers: Type.Optional(
      Type.Integer({ minimum: 1, description: 'populations on threads, at most the cores of the server (default 1)' }),
    ),
  },
  { additionalProperties: false },
);

/** The plan: mirrors `VrpSolution` of src/kernels/or/vrp.ts (also the `result` of the job). */
export const VrpSolutionBody = Type.Object(
  {
    feasible: Type.Boolean({ description: 'every constraint holds (checked independently of the solver)' }),
    cost: Type.Number({ description: 'fixed + distance + time costs of the routes + penalties of left-out visits' }),
    distance: Type.Number(),
    duration: Type.Number(),
    routes: Type.Array(
      Type.Object({
        vehicle: Type.Integer({ description: 'vehicle slot, 0-based, in vehicle type order' }),
        type: Type.Integer(),
        typeId: Type.String(),
        stops: Type.Array(Type.Integer(), { description: 'node indices (depots 0..D-1, then customers), depots excluded' }),
        ids: Type.Array(Type.String()),
        load: Type.Array(Type.Number(), { description: 'per capacity dimension' }),
        distance: Type.Number(),
        duration: Type.Number(),
        departure: Type.Number(),
        arrival: Type.Number(),
        cost: Type.Number(),
      }),
    ),
    unassigned: Type.Array(Type.Object({ node: Type.Integer(), id: Type.String(), penalty: Type.Number(), reason: Type.String() })),
    violations: Type.Array(
      Type.Object({
        kind: Type.String(),
        route: Type.Optional(Type.Integer()),
        node: Type.Optional(Type.Integer()),
        detail: Type.String(),
      }),
    ),
    iterations: Type.Number(),
    elapsedMs: Type.Number(),
    bestFoundMs: Type.Number(),
    cancelled: Type.Boolean({ description: 'the search was stopped: the plan is the best found until then' }),
    seed: Type.Number(),
    backend: Type.String(),
    workers: Type.Integer(),
    timings: Timings,
  },
  { title: 'VrpSolution' },
);

const Accepted = Type.Object({
  id: Type.String(),
  state: Type.String(),
  links: Type.Object({ self: Type.String({ description: 'GET for progress and the plan, DELETE to stop with the best plan so far' }) }),
});

export const vrpRoutes: FastifyPluginAsyncTypebox<VrpRouteOptions> = async (app, { engine, maxRouteMs, maxRouteNodes }) => {
  app.post(
    '/v1/routes',
    {
      schema: {
        tags: ['or'],
        summary: 'Solve a vehicle routing problem (CVRP / VRPTW / mixed fleet / multi-depot / optional visits) as a job',
        description:
          'Answers 202 with the job id and a Location header; GET /v1/jobs/{id} shows progress (detail: best, feasible, iterations, ' +
          'elapsedMs) and, once succeeded, the plan as result. DELETE /v1/jobs/{id} stops the search: the job ends cancelled with the ' +
          'best plan so far as result (cancelled: true). With ?wait=true the answer is 200 with the plan once the search ends.',
        querystring: Type.Object(
          {
            wait: Type.Optional(
              Type.Union([Type.Literal('true'), Type.Literal('false')], {
                description: 'true: answer 200 with the plan when the search ends (it still runs as a job, at most the time limit)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        body: Type.Object({ problem: VrpProblemSchema, options: Type.Optional(Options) }, { additionalProperties: false }),
        response: {
          200: VrpSolutionBody,
          202: Accepted,
          ...errorResponses,
          422: errorResponses[400],
        },
      },
    },
    async (request, reply) => {
      const { problem, options = {} } = request.body;
      const nodes = problem.depots.length + problem.customers.length;
      if (nodes > maxRouteNodes) {
        throw new WaybillError('TOO_LARGE', `${nodes} nodes (depots + customers) exceed the limit of ${maxRouteNodes} per request`, {
          nodes,
          limit: maxRouteNodes,
        });
      }
      if (options.timeLimitMs !== undefined && options.timeLimitMs > maxRouteMs) {
        throw new WaybillError('INVALID_ARGUMENT', `timeLimitMs ${options.timeLimitMs} exceeds the server maximum of ${maxRouteMs} ms`, {
          field: 'options.timeLimitMs',
          limit: maxRouteMs,
        });
      }
      const cores = availableParallelism();
      const workers = options.workers ?? 1;
      if (workers > cores) {
        throw new WaybillError('INVALID_ARGUMENT', `workers ${workers} exceeds the ${cores} cores of this server`, {
          field: 'options.workers',
          limit: cores,
        });
      }
      // Same default as solveVrp (a tenth of the DIMACS 2.4 n s rule, at least 1 s), capped here.
      const timeLimitMs = options.timeLimitMs ?? Math.min(maxRouteMs, Math.max(1000, 24 * problem.customers.length));
      const maxIterations = options.maxIterations ?? 0;
      const compiled = compileVrp(problem); // 400 / 422 with details.field, before any job exists
      const job = await engine.jobs.submit(
        'routes',
        (control) =>
          engine.kernels.or.solveVrp(compiled, {
            timeLimitMs,
            maxIterations,
            seed: options.seed ?? 1,
            workers,
            signal: control.signal,
            onProgress: (p) =>
              control.progress(Math.max(p.elapsedMs / timeLimitMs, maxIterations > 0 ? p.iterations / (maxIterations * workers) : 0), {
                best: Number.isFinite(p.best) ? p.best : null,
                feasible: p.feasible,
                iterations: p.iterations,
                elapsedMs: p.elapsedMs,
              }),
          }),
        {
          depots: problem.depots.length,
          customers: problem.customers.length,
          vehicleTypes: problem.vehicleTypes.length,
          timeLimitMs,
          ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}),
          workers,
        },
      );
      return (await answerJob(engine, reply, job, request.query.wait === 'true')) as never;
    },
  );
};
