/**
 * OR routes: linear assignment, budget allocation (the pricing / subsidy allocator), TSP and
 * LP/MIP over JSON. Solves are bounded by size (413 beyond it) and TSP by a time limit; longer
 * work belongs in a job.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import { clientGone } from '../client-gone.js';
import { BackendName, ErrorRef, errorResponses, Point, Timings } from '../schemas.js';

export interface OrRouteOptions {
  engine: Engine;
  /** Largest matrix (cells) or units x options one request may send (default 4 000 000). */
  maxCells: number;
  /** Longest TSP time limit a request may ask for, ms (default 10 000). */
  maxTspMs: number;
}

const Matrix = Type.Array(Type.Array(Type.Number()), { description: 'rows of numbers, all the same length' });
/** JSON has no Infinity: null marks a forbidden pair. */
const CostMatrix = Type.Array(Type.Array(Type.Union([Type.Number(), Type.Null()])), {
  description: 'n x m costs, row-major; null marks a forbidden pair',
});
const Record_ = { backend: Type.String(), timings: Timings };

export const orRoutes: FastifyPluginAsyncTypebox<OrRouteOptions> = async (app, { engine, maxCells, maxTspMs }) => {
  const or = engine.kernels.or;
  const cells = (rows: number, cols: number, what: string) => {
    if (rows * cols > maxCells) {
      throw new WaybillError('TOO_LARGE', `${what} of ${rows} x ${cols} cells exceeds the limit of ${maxCells} per request`, {
        rows,
        cols,
        limit: maxCells,
      });
    }
  };

  app.post(
    '/v1/or/assignment',
    {
      schema: {
        tags: ['or'],
        summary: 'Minimum-cost (or maximum) assignment of rows to distinct columns',
        body: Type.Object(
          { cost: CostMatrix, maximize: Type.Optional(Type.Boolean()), backend: Type.Optional(BackendName) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ rowToCol: Type.Array(Type.Integer()), total: Type.Number(), ...Record_ }),
          422: ErrorRef,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { cost, maximize = false, backend } = request.body;
      // The solvers pad n x m to m x m with dummy rows: bound that, not n x m (1 x 100 000 ran out of memory).
      const side = Math.max(cost.length, cost[0]?.length ?? 0);
      cells(side, side, 'a cost matrix (padded to square)');
      const forbidden = maximize ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      const rows = cost.map((r) => r.map((v) => (v === null ? forbidden : v)));
      const r = await or.linearAssignment(rows, { maximize, signal: clientGone(reply), ...(backend ? { backend } : {}) });
      return { rowToCol: Array.from(r.rowToCol), total: r.total, backend: r.backend, timings: r.timings };
    },
  );

  app.post(
    '/v1/or/budget-allocation',
    {
      schema: {
        tags: ['or'],
        summary: 'At most one treatment per unit, maximising value within a budget (multiple-choice knapsack)',
        description:
          'value and cost are units x treatments; a null value marks a treatment a unit cannot get. The answer carries a Lagrangian dual bound, so the optimality gap is known.',
        body: Type.Object(
          {
            value: Type.Array(Type.Array(Type.Union([Type.Number(), Type.Null()]))),
            cost: Matrix,
            budget: Type.Number({ minimum: 0 }),
            margin: Type.Optional(Matrix),
            marginFloor: Type.Optional(Type.Number({ description: 'the chosen margins must sum to at least this (with margin)' })),
            backend: Type.Optional(BackendName),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            choice: Type.Array(Type.Integer({ description: 'treatment per unit, -1 for none' })),
            value: Type.Number(),
            cost: Type.Number(),
            dualBound: Type.Number(),
            gap: Type.Number(),
            lambda: Type.Number({ description: 'marginal value of one more unit of budget' }),
            chosen: Type.Integer(),
            margin: Type.Optional(Type.Number()),
            ...Record_,
          }),
          422: ErrorRef,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { value, cost, budget, backend, margin, marginFloor } = request.body;
      cells(value.length, value[0]?.length ?? 0, 'a value matrix');
      const values = value.map((r) => r.map((v) => (v === null ? Number.NaN : v)));
      const r = await or.budgetAllocation(values, cost, budget, {
        signal: clientGone(reply),
        ...(backend ? { backend } : {}),
        ...(margin === undefined ? {} : { margin }),
        ...(marginFloor === undefined ? {} : { marginFloor }),
      });
      const { choice, backend: used, timings, ...rest } = r;
      return {
        choice: Array.from(choice),
        value: rest.value,
        cost: rest.cost,
        dualBound: rest.dualBound,
        gap: rest.gap,
        lambda: rest.lambda,
        chosen: rest.chosen,
        ...(rest.margin === undefined ? {} : { margin: rest.margin }),
        backend: used,
        timings,
      };
    },
  );

  app.post(
    '/v1/or/tsp',
    {
      schema: {
        tags: ['or'],
        summary: 'Shortest closed tour through the points (or a distance matrix)',
        body: Type.Object(
          {
            points: Type.Optional(Type.Array(Point, { description: '[x, y] per city' })),
            distances: Type.Optional(Matrix),
            convention: Type.Optional(
              Type.Union([Type.Literal('exact'), Type.Literal('nint'), Type.Literal('trunc1'), Type.Literal('att'), Type.Literal('ceil')], {
                description: 'edge length rounding for points (default exact)',
              }),
            ),
            timeLimitMs: Type.Optional(Type.Integer({ minimum: 1 })),
            maxIterations: Type.Optional(Type.Integer({ minimum: 0 })),
            seed: Type.Optional(Type.Integer({ minimum: 0 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            tour: Type.Array(Type.Integer()),
            length: Type.Number(),
            iterations: Type.Integer(),
            cancelled: Type.Boolean(),
            ...Record_,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { points, distances, convention, timeLimitMs, maxIterations, seed } = request.body;
      if ((points === undefined) === (distances === undefined))
        throw new WaybillError('INVALID_ARGUMENT', 'give exactly one of points and distances');
      if ((timeLimitMs ?? 0) > maxTspMs)
        throw new WaybillError('TOO_LARGE', `timeLimitMs above ${maxTspMs}: run long solves as a job`, { limit: maxTspMs });
      const n = points?.length ?? distances?.length ?? 0;
      cells(n, n, 'a distance matrix');
      const options = {
        signal: clientGone(reply),
        // Without limits a request gets 1000 iterations, capped by the route's time limit.
        timeLimitMs: timeLimitMs ?? maxTspMs,
        maxIterations: maxIterations ?? (timeLimitMs === undefined ? 1000 : 0),
        ...(seed === undefined ? {} : { seed }),
      };
      const r = points
        ? await or.tsp({ coords: points, ...(convention ? { convention } : {}) }, options)
        : await or.tsp({ distances: distances as number[][] }, options);
      return {
        tour: Array.from(r.tour),
        length: r.length,
        iterations: r.iterations,
        cancelled: r.cancelled,
        backend: r.backend,
        timings: r.timings,
      };
    },
  );

  app.post(
    '/v1/or/min-cost-flow',
    {
      schema: {
        tags: ['or'],
        summary: 'Minimum-cost flow: route node supplies to demands along capacitated arcs',
        body: Type.Object(
          {
            supply: Type.Array(Type.Number(), { description: 'per node: positive = supply, negative = demand; sums to 0' }),
            arcs: Type.Array(
              Type.Object(
                {
                  from: Type.Integer({ minimum: 0 }),
                  to: Type.Integer({ minimum: 0 }),
                  capacity: Type.Optional(Type.Number({ minimum: 0, description: 'default: unlimited' })),
                  cost: Type.Number(),
                },
                { additionalProperties: false },
              ),
            ),
            backend: Type.Optional(BackendName),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            flow: Type.Array(Type.Number()),
            cost: Type.Number(),
            potentials: Type.Array(Type.Number()),
            iterations: Type.Integer(),
            ...Record_,
          }),
          422: ErrorRef,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { supply, arcs, backend } = request.body;
      cells(arcs.length, 1, 'an arc list');
      const r = await or.minCostFlow({ supply, arcs }, { signal: clientGone(reply), ...(backend ? { backend } : {}) });
      return {
        flow: Array.from(r.flow),
        cost: r.cost,
        potentials: Array.from(r.potentials),
        iterations: r.iterations,
        backend: r.backend,
        timings: r.timings,
      };
    },
  );

  app.post(
    '/v1/or/lp',
    {
      schema: {
        tags: ['or'],
        summary: 'Linear or mixed-integer program, solved by HiGHS',
        body: Type.Object(
          {
            sense: Type.Union([Type.Literal('min'), Type.Literal('max')]),
            objective: Type.Record(Type.String(), Type.Number()),
            constraints: Type.Array(
              Type.Object({
                name: Type.Optional(Type.String()),
                terms: Type.Record(Type.String(), Type.Number()),
                op: Type.Union([Type.Literal('<='), Type.Literal('>='), Type.Literal('=')]),
                rhs: Type.Number(),
              }),
              { maxItems: 100_000 },
            ),
            bounds: Type.Optional(
              Type.Record(
                Type.String(),
                Type.Array(Type.Union([Type.Number(), Type.Null()]), {
                  minItems: 2,
                  maxItems: 2,
                  description: '[lower, upper]; null = infinite',
                }),
              ),
            ),
            integers: Type.Optional(Type.Array(Type.String())),
            binaries: Type.Optional(Type.Array(Type.String())),
            timeLimitMs: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: 60_000,
                description: 'HiGHS time limit; default 60000. A solve that runs well past it is stopped: 504 TIMEOUT',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            status: Type.String(),
            solverStatus: Type.String(),
            objective: Type.Union([Type.Number(), Type.Null()], { description: 'null when not finite (infeasible, unbounded)' }),
            values: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), { description: 'null where HiGHS has no value' }),
            duals: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]))),
            solver: Type.String(),
            timings: Type.Object({ totalMs: Type.Number() }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { timeLimitMs, ...model } = request.body;
      // Always bounded over HTTP: the solve runs on a worker thread, stopped if it overruns the limit.
      const r = await or.linearProgram(model as never, { timeLimitMs: timeLimitMs ?? 60_000 });
      // An infeasible or unbounded answer has an infinite objective and NaN values: JSON has neither.
      const finite = (v: number) => (Number.isFinite(v) ? v : null);
      const finiteValues = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, finite(v)]));
      return {
        ...r,
        objective: finite(r.objective),
        values: finiteValues(r.values),
        ...(r.duals ? { duals: finiteValues(r.duals) } : {}),
      };
    },
  );
};
