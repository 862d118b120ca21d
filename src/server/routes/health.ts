/** Liveness and readiness (KServe v2 paths). Readiness lists every backend with its status or reason. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { BackendStatus, PoolStats } from '../schemas.js';

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  version: Type.String(),
  backends: Type.Array(BackendStatus),
  pool: PoolStats,
});

export interface HealthOptions {
  engine: Engine;
  /** True once shutdown has begun: readiness then answers 503 so load balancers drain us. */
  isShuttingDown: () => boolean;
}

/** GET /v2/health/live (the process answers) and /v2/health/ready (backends, pool; 503 while shutting down). */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { engine, isShuttingDown }) => {
  app.get(
    '/v2/health/live',
    { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('live') }) } } },
    async () => ({ status: 'live' as const }),
  );

  app.get(
    '/v2/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Ready to serve; every backend with its status or the reason it is unavailable, and the pool state',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const body = { version: engine.version, backends: engine.backends(), pool: engine.pool() };
      if (isShuttingDown()) return reply.status(503).send({ status: 'not-ready' as const, ...body });
      return { status: 'ready' as const, ...body };
    },
  );
};
