/**
 * The HTTP API, assembled. Each concern is an encapsulated plugin; this file is the table of
 * contents: errors, OpenAPI docs, health, geo.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { createEngine, type Engine, type EngineOptions } from '../engine.js';
import { VERSION } from '../version.js';
import errors from './errors.js';
import metrics from './metrics.js';
import { adminRoutes } from './routes/admin.js';
import { geoRoutes } from './routes/geo.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
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
  /**
   * Plugins to load at start: folders holding plugin folders are scanned, other entries are a
   * plugin folder, file or npm package name. Default: `plugins/` of the working directory plus
   * the comma-separated WAYBILL_PLUGINS.
   */
  plugins?: string[];
  /** Key for the admin routes (default WAYBILL_API_KEY); without one they answer localhost only. */
  apiKey?: string;
}

/** The plugin sources a server loads when `plugins` is not given. */
export function defaultPluginSources(): string[] {
  const extra = (process.env.WAYBILL_PLUGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return ['plugins', ...extra];
}

export interface WaybillServer {
  app: FastifyInstance;
  engine: Engine;
  /** Readiness turns 503, then the server stops accepting, drains and closes its engine. */
  shutdown(): Promise<void>;
}

/** A folder of plugin folders (rather than one plugin): it has no index file of its own. */
function isPluginCollection(source: string): boolean {
  if (!existsSync(source) || !statSync(source).isDirectory()) return false;
  return !['index.ts', 'index.mts', 'index.js', 'index.mjs', 'package.json'].some((f) => existsSync(join(source, f)));
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

  engine.plugins.useLogger({
    info: (msg, data) => app.log.info(data ?? {}, msg),
    warn: (msg, data) => app.log.warn(data ?? {}, msg),
    error: (msg, data) => app.log.error(data ?? {}, msg),
  });
  app.addSchema(ErrorBody);
  await app.register(errors);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Waybill API', version: VERSION, description: 'Native-accelerated compute engine for e-commerce supply chains.' },
      tags: [
        { name: 'health', description: 'liveness and readiness' },
        { name: 'models', description: 'model metadata and inference (KServe v2)' },
        { name: 'jobs', description: 'long work with progress and cancellation' },
        { name: 'admin', description: 'load and unload models (API key, or localhost only)' },
        { name: 'geo', description: 'distance matrices and nearest neighbours' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(metrics, { engine });
  await app.register(healthRoutes, { engine, isShuttingDown: () => shuttingDown });
  await app.register(geoRoutes, { engine, maxCells: options.maxCells ?? 1_000_000, maxPoints: options.maxPoints ?? 100_000 });
  await app.register(modelRoutes, { engine });
  await app.register(adminRoutes, { engine, apiKey: options.apiKey ?? process.env.WAYBILL_API_KEY });
  await app.register(jobRoutes, { engine });

  // A broken plugin is recorded as failed with its reason; it never stops the server.
  for (const source of options.plugins ?? defaultPluginSources()) {
    if (isPluginCollection(source)) await engine.plugins.loadDirectory(source);
    else await engine.plugins.loadFrom(source);
  }

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
