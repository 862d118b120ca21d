import type { FastifyReply } from 'fastify';
import type { Engine } from '../engine.js';
import { ERROR_CATALOGUE, type ErrorCode, WaybillError } from '../errors.js';
import type { JobRecord } from '../jobs/jobs.js';
import { clientGone } from './client-gone.js';

/**
 * The answer of a route that runs its work as a job: with `wait` the job's result (a cancelled job
 * that kept a best-so-far result answers with it; a failed one throws its error, code kept), and a
 * client that hangs up cancels the job it was waiting for; otherwise 202 with the job's link.
 */
export async function answerJob(
  engine: Engine,
  reply: FastifyReply,
  job: Pick<JobRecord, 'id' | 'state'>,
  wait: boolean,
): Promise<unknown> {
  if (wait) {
    clientGone(reply).addEventListener('abort', () => void engine.jobs.cancel(job.id).catch(() => {}));
    const done = await engine.jobs.wait(job.id);
    if (done.state === 'succeeded' || (done.state === 'cancelled' && done.result !== undefined)) return done.result;
    const e = done.error ?? { code: 'INTERNAL', message: `job ${job.id} ended ${done.state}` };
    const code = (e.code in ERROR_CATALOGUE ? e.code : 'INTERNAL') as ErrorCode;
    throw new WaybillError(code, e.message, { job: job.id });
  }
  reply.status(202).header('location', `/v1/jobs/${job.id}`);
  return { id: job.id, state: job.state, links: { self: `/v1/jobs/${job.id}` } };
}
