/**
 * Error handling plugin: every failure leaves as `{ code, message, details? }` with the status
 * of its catalogue entry. Nothing thrown inside a route can crash the process or leak a stack.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ERROR_CATALOGUE, type ErrorCode, WaybillError } from '../errors.js';
import { validationField } from '../schema-field.js';

/** Maps Fastify's own errors (validation, body limits, bad JSON) onto the catalogue. */
function fromFastify(err: FastifyError): WaybillError | undefined {
  if (err.validation) {
    return new WaybillError('INVALID_ARGUMENT', `invalid request: ${err.message}`, {
      field: validationField(err.validation[0], err.validationContext),
      validation: err.validation.map((v) => ({ path: v.instancePath, message: v.message, params: v.params })),
    });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new WaybillError('TOO_LARGE', 'request body is larger than the configured limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new WaybillError('UNSUPPORTED_MEDIA_TYPE', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new WaybillError('INVALID_ARGUMENT', `malformed JSON body: ${err.message}`);
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return new WaybillError('INVALID_ARGUMENT', `malformed JSON body: ${err.message}`);
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new WaybillError(BY_STATUS[err.statusCode] ?? 'INVALID_ARGUMENT', err.message);
  }
  return undefined;
}

/** Catalogue codes for other 4xx errors Fastify (or a Fastify plugin) may raise. */
const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  404: 'NOT_FOUND',
  413: 'TOO_LARGE',
  414: 'TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Sends `err` as `{ code, message, details? }` with its catalogue status; Retry-After on temporary refusals. */
export function sendError(reply: FastifyReply, err: WaybillError): FastifyReply {
  if (err.code === 'QUEUE_FULL' || err.code === 'POOL_CLOSED' || err.code === 'MODEL_OVERLOADED') reply.header('retry-after', '1');
  return reply.status(err.status).send(err.toJSON());
}

/**
 * Fastify's `frameworkErrors`: the router answers a malformed percent-encoding in the path
 * (FST_ERR_BAD_URL) or a path parameter over maxParamLength (FST_ERR_MAX_PARAM_LENGTH) before any
 * route or error handler runs; this gives those answers the catalogue shape too.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, fromFastify(error) ?? new WaybillError('INTERNAL', ERROR_CATALOGUE.INTERNAL.message));
}

async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = error instanceof WaybillError ? error : fromFastify(error);
    if (known) {
      // Server-side faults (NATIVE_ERROR, CUDA_ERROR, ...) are worth a log line; refusals are not.
      if (known.status >= 500 && known.status !== 503) request.log.error({ err: error }, known.message);
      return sendError(reply, known);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new WaybillError('INTERNAL', ERROR_CATALOGUE.INTERNAL.message));
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new WaybillError('NOT_FOUND', `no route ${request.method} ${request.url}`)));
}

/** The error handler and 404 handler of the whole app (not encapsulated, so they apply everywhere). */
export default fp(errorsPlugin, { name: 'waybill-errors' });
