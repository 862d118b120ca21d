/**
 * The HTTP API, assembled. Each concern is an encapsulated plugin; this file is the table of
 * contents: errors, OpenAPI docs, health, geo.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { createEngine, type Engine, type EngineOptions } from '../engine.js';
import { VERSION } from '../version.js';
import errors from './errors.js';
import { geoRoutes } from './routes/geo.js';
import { healthRoutes } from './routes/health.js';
import { ErrorBody } from './schemas.js';

export interface ServerOptions {
  /** Use this engine (the caller closes it); otherwise one is created from `engineOptions` and closed with the server. */
  engine?: Engine;
  engineOptions?: EngineOptions;
  /** Fastify logger setting (default: false in tests, info when started from the CLI). */
  logger?: boolean | Record<string, unknown>;
  /** Request body limit in bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Time a request may take, ms (default 60 000; 0 disables). */
  requestTimeoutMs?: number;
  /** Largest origins x destinations per geo request (default 1 000 000). */
  maxCells?: number;
  /** Largest number of points per list in a geo request (default 100 000). */
  maxPoints?: number;
}

export interface WaybillServer {
  app: FastifyInstance;
  engine: Engine;
  /** Readiness turns 503, then the server stops accepting, drains and closes its engine. */
  shutdown(): Promise<void>;
}

export async function buildServer(options: ServerOptions = {}): Promise<WaybillServer> {
  const engine = options.engine ?? createEngine(options.engineOptions);
  const ownsEngine = options.engine === undefined;
  let shuttingDown = false;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 16 * 2 ** 20,
    requestTimeout: options.requestTimeoutMs ?? 60_000,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorBody);
  await app.register(errors);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Waybill API', version: VERSION, description: 'Native-accelerated compute engine for e-commerce supply chains.' },
      tags: [
        { name: 'health', description: 'liveness and readiness' },
        { name: 'geo', description: 'distance matrices and nearest neighbours' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes, { engine, isShuttingDown: () => shuttingDown });
  await app.register(geoRoutes, { engine, maxCells: options.maxCells ?? 1_000_000, maxPoints: options.maxPoints ?? 100_000 });

  if (ownsEngine) app.addHook('onClose', async () => engine.close());

  let closing: Promise<void> | undefined;
  return {
    app,
    engine,
    shutdown() {
      shuttingDown = true;
      closing ??= app.close();
      return closing;
    },
  };
}
