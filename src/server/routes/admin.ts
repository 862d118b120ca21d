/**
 * Model repository administration (KServe v2 paths): load (or reload) and unload models at run
 * time. Loading runs code from a path or package, so these routes need the API key
 * (WAYBILL_API_KEY, `Authorization: Bearer <key>` or `x-api-key`); without a configured key they
 * answer only requests from the loopback interface.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import { NAME_CLASH } from '../../plugins/registry.js';
import { errorResponses } from '../schemas.js';

export interface AdminOptions {
  engine: Engine;
  /** Required key; undefined means "loopback clients only". */
  apiKey?: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function authorise(request: FastifyRequest, apiKey: string | undefined): void {
  if (apiKey === undefined) {
    if (!LOOPBACK.has(request.ip)) {
      throw new WaybillError('UNAUTHORIZED', 'admin routes answer only localhost unless WAYBILL_API_KEY is set');
    }
    return;
  }
  const header = request.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice(7) : (request.headers['x-api-key'] as string | undefined);
  if (given !== apiKey) throw new WaybillError('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key> or x-api-key)');
}

const Models = Type.Object({ models: Type.Array(Type.Record(Type.String(), Type.Unknown())) });

export const adminRoutes: FastifyPluginAsyncTypebox<AdminOptions> = async (app, { engine, apiKey }) => {
  app.addHook('onRequest', async (request) => authorise(request, apiKey));
  // Both routes take an optional body: a bare POST means "reload" / "unload every version".
  app.addHook('preValidation', async (request) => {
    request.body ??= {};
  });

  app.post(
    '/v2/repository/models/:name/load',
    {
      schema: {
        tags: ['admin'],
        summary: 'Load a model from a path or package (`source`), or reload it from where it came from',
        params: Type.Object({ name: Type.String() }),
        body: Type.Object(
          {
            source: Type.Optional(Type.String({ description: 'plugin folder, file or installed npm package name' })),
            default_version: Type.Optional(Type.String({ description: 'pin this version as the default afterwards' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Models, 401: errorResponses[400], 404: errorResponses[400], 409: errorResponses[400], ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params;
      const body = request.body;
      const loaded = body.source ? await engine.plugins.loadFrom(body.source) : await engine.plugins.reload(name);
      const failed = loaded.filter((m) => m.state === 'failed');
      if (failed.length > 0 && failed.every((m) => m.reason?.startsWith(`${NAME_CLASH}:`))) {
        // Loading a version that is already served is the caller's conflict, not a server failure.
        throw new WaybillError(
          'CONFLICT',
          `${failed.map((m) => m.reason).join('; ')}: reload it with a POST without a body, or unload it first`,
          { models: loaded },
        );
      }
      if (failed.length > 0) {
        throw new WaybillError('PLUGIN_LOAD_FAILED', failed.map((m) => `${m.name}@${m.version || '?'}: ${m.reason}`).join('; '), {
          models: loaded,
        });
      }
      if (!loaded.some((m) => m.name === name)) {
        throw new WaybillError(
          'PLUGIN_LOAD_FAILED',
          `${body.source} loaded ${loaded.map((m) => m.name).join(', ') || 'nothing'}, not ${name}`,
          { models: loaded },
        );
      }
      if (body.default_version) engine.plugins.setDefault(name, body.default_version);
      return { models: loaded as unknown as Record<string, unknown>[] };
    },
  );

  app.post(
    '/v2/repository/models/:name/unload',
    {
      schema: {
        tags: ['admin'],
        summary: 'Unload a model (every version, or `version`): waits for its requests, then unloads',
        params: Type.Object({ name: Type.String() }),
        body: Type.Object({ version: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: Models, 401: errorResponses[400], 404: errorResponses[400], ...errorResponses },
      },
    },
    async (request) => ({
      models: (await engine.plugins.unload(request.params.name, request.body.version)) as unknown as Record<string, unknown>[],
    }),
  );
};
