/**
 * The HTTP API, assembled. Each concern is an encapsulated plugin; this file is the table of
 * contents: errors, OpenAPI docs, health, geo.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { createEngine, type Engine, type EngineOptions } from '../engine.js';
import { WaybillError } from '../errors.js';
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
   * plugin folder, file or npm package name. Default: see defaultPluginSources().
   */
  plugins?: string[];
  /** Key for the admin routes (default WAYBILL_API_KEY); without one they answer localhost only. */
  apiKey?: string;
}

/**
 * The plugin sources a server loads when `plugins` is not given: `plugins/` when it exists, then the `plugins`
 * array of the config file (WAYBILL_CONFIG, default ./waybill.config.json, when present), then
 * the comma-separated WAYBILL_PLUGINS.
 */
export function defaultPluginSources(): string[] {
  const fromEnv = (process.env.WAYBILL_PLUGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [...(existsSync('plugins') ? ['plugins'] : []), ...configPlugins(), ...fromEnv];
}

export interface WaybillServer {
  app: FastifyInstance;
  engine: Engine;
  /** Readiness turns 503, then the server stops accepting, drains and closes its engine. */
  shutdown(): Promise<void>;
}

function configPlugins(): string[] {
  const file = process.env.WAYBILL_CONFIG ?? 'waybill.config.json';
  if (!existsSync(file)) {
    if (process.env.WAYBILL_CONFIG) throw new WaybillError('INVALID_ARGUMENT', `config file ${file} (WAYBILL_CONFIG) does not exist`);
    return [];
  }
  let config: { plugins?: unknown };
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as { plugins?: unknown };
  } catch (err) {
    throw new WaybillError('INVALID_ARGUMENT', `config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (config.plugins === undefined) return [];
  if (!Array.isArray(config.plugins) || config.plugins.some((p) => typeof p !== 'string')) {
    throw new WaybillError('INVALID_ARGUMENT', `config file ${file}: "plugins" must be an array of paths or package names`);
  }
  return config.plugins as string[];
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
