/**
 * Drain guard. Once the server is closing, responses close their connections, and requests still
 * arriving on open keep-alive connections are refused with 503 in the catalogue's error shape
 * (Fastify's own closing reply has another shape), with `Connection: close` and `Retry-After`.
 * Health routes still answer, so readiness reports 'not-ready' rather than an error.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { WaybillError } from '../errors.js';
import { sendError } from './errors.js';

export interface LifecycleOptions {
  /** True once the server has stopped accepting and is draining in-flight requests. */
  isClosing: () => boolean;
}

async function lifecyclePlugin(app: FastifyInstance, { isClosing }: LifecycleOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    if (!isClosing() || request.url.startsWith('/v2/health/')) return;
    reply.header('connection', 'close');
    return sendError(reply, new WaybillError('POOL_CLOSED', 'the server is shutting down; retry on another instance'));
  });
  // A response finishing during the drain closes its keep-alive connection: otherwise that
  // connection, busy when close() began and idle afterwards, would hold close() open until the
  // client or the keep-alive timeout ends it.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (isClosing()) reply.header('connection', 'close');
    return payload;
  });
}

/** Refuses new work while the server drains (see module comment). */
export default fp(lifecyclePlugin, { name: 'waybill-lifecycle', dependencies: ['waybill-errors'] });
