import type { FastifyReply } from 'fastify';

/** An AbortSignal that fires when the client goes away before the response is written. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}
