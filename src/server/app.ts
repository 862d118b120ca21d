/**
 * The HTTP API, assembled. Each concern is an encapsulated plugin; this file is the table of
 * contents (errors, lifecycle, docs, metrics, health, geo, models, admin, jobs, or, forecast,
 * routes, trajectories, network, ml) plus the process-level start and graceful shutdown.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { createEngine, type Engine, type EngineOptions } from '../engine.js';
import { WaybillError } from '../errors.js';
import docs from './docs.js';
import errors, { frameworkErrors } from './errors.js';
import lifecycle from './lifecycle.js';
import metrics from './metrics.js';
import { defaultPluginSources, isPluginCollection } from './plugin-sources.js';
import { adminRoutes } from './routes/admin.js';
import { domainRoutes } from './routes/domain.js';
import { forecastRoutes } from './routes/forecast.js';
import { geoRoutes } from './routes/geo.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { mlRoutes } from './routes/ml.js';
import { modelRoutes } from './routes/models.js';
import { networkRoutes } from './routes/network.js';
import { orRoutes } from './routes/or.js';
import { trajectoryRoutes } from './routes/trajectory.js';
import { vrpRoutes } from './routes/vrp.js';
import { ErrorBody } from './schemas.js';

export { defaultPluginSources } from './plugin-sources.js';

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
  /** Largest origins x destinations per geo request (default 1 000 000: ~18 MB of JSON out). */
  maxCells?: number;
  /** Largest number of points per list in a geo request (default 100 000). */
  maxPoints?: number;
  /** Largest matrix (cells) an OR request may send (default 4 000 000). */
  maxOrCells?: number;
  /** Longest TSP time limit a request may ask for, ms (default 10 000). */
  maxTspMs?: number;
  /** Longest VRP time limit a POST /v1/routes may ask for (and its default), ms (default 60 000). */
  maxRouteMs?: number;
  /** Largest VRP (depots + customers) per request (default 5 000). */
  maxRouteNodes?: number;
  /** Trajectory routes: most points (all trajectories together) per request (default 1 000 000). */
  maxTrajectoryPoints?: number;
  /** POST /v1/trajectories/similarity: most distances returned (rows x cols, default 1 000 000). */
  maxTrajectoryPairs?: number;
  /** POST /v1/trajectories/similarity: ground distances (points x points) above this run as a job (default 100 000 000). */
  maxTrajectorySyncCells?: number;
  /** POST /v1/forecast: most series answered synchronously, more run as a job (default 1000). */
  maxForecastSyncSeries?: number;
  /** POST /v1/forecast: most values per request (default 5 000 000). */
  maxForecastValues?: number;
  /** POST /v1/ml/train and /v1/ml/predict: most feature values (rows x features) per request (default 10 000 000). */
  maxMlValues?: number;
  /**
   * After shutdown begins, readiness answers 503 for this long while requests are still served,
   * so load balancers stop routing here before the server stops accepting (ms, default 0).
   */
  shutdownGraceMs?: number;
  /**
   * Plugins to load at start: folders holding plugin folders are scanned, other entries are a
   * plugin folder, file or npm package name. Default: see defaultPluginSources().
   */
  plugins?: string[];
  /** Key for the admin routes (default WAYBILL_API_KEY); without one they answer localhost only. */
  apiKey?: string;
}

export interface WaybillServer {
  app: FastifyInstance;
  engine: Engine;
  /**
   * Readiness turns 503; after `shutdownGraceMs` the server stops accepting, answers requests
   * still arriving on open connections with 503 POOL_CLOSED, drains in-flight work and closes
   * its engine (when it created it). Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Builds the app (not listening). Plugins that fail to load are recorded as failed, never fatal. */
export async function buildServer(options: ServerOptions = {}): Promise<WaybillServer> {
  const engine = options.engine ?? createEngine(options.engineOptions);
  // serving -> draining (readiness 503) -> closing (new requests 503, in-flight ones drain).
  let phase: 'serving' | 'draining' | 'closing' = 'serving';

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 16 * 2 ** 20,
    requestTimeout: options.requestTimeoutMs ?? 60_000,
    // Our lifecycle plugin answers during close, in the error shape of the catalogue.
    return503OnClosing: false,
    // Bad percent-encoding or an over-long path parameter: the catalogue's error shape, not Fastify's.
    frameworkErrors,
    // JSON bodies are typed already: coercion would turn [null, 2] into [0, 2] and "1" into 1.
    // (Path params are declared as strings, so nothing needs coercing.)
    // discriminator: a union of tagged objects ({ type: 'geohash', ... } | { type: 'grid', ... })
    // is checked against the branch its tag names, so the errors are that branch's alone.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, discriminator: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (options.engine === undefined) app.addHook('onClose', async () => engine.close());

  engine.plugins.useLogger({
    info: (msg, data) => app.log.info(data ?? {}, msg),
    warn: (msg, data) => app.log.warn(data ?? {}, msg),
    error: (msg, data) => app.log.error(data ?? {}, msg),
  });
  app.addSchema(ErrorBody);
  try {
    await app.register(errors);
    await app.register(lifecycle, { isClosing: () => phase === 'closing' });
    await app.register(docs);
    await app.register(metrics, { engine });
    await app.register(healthRoutes, { engine, isShuttingDown: () => phase !== 'serving' });
    await app.register(geoRoutes, { engine, maxCells: options.maxCells ?? 1_000_000, maxPoints: options.maxPoints ?? 100_000 });
    await app.register(modelRoutes, { engine });
    await app.register(domainRoutes, { engine });
    await app.register(adminRoutes, { engine, apiKey: options.apiKey ?? process.env.WAYBILL_API_KEY });
    await app.register(jobRoutes, { engine });
    await app.register(orRoutes, { engine, maxCells: options.maxOrCells ?? 4_000_000, maxTspMs: options.maxTspMs ?? 10_000 });
    await app.register(forecastRoutes, {
      engine,
      maxSyncSeries: options.maxForecastSyncSeries ?? 1000,
      maxValues: options.maxForecastValues ?? 5_000_000,
    });
    await app.register(vrpRoutes, { engine, maxRouteMs: options.maxRouteMs ?? 60_000, maxRouteNodes: options.maxRouteNodes ?? 5000 });
    await app.register(trajectoryRoutes, {
      engine,
      maxPoints: options.maxTrajectoryPoints ?? 1_000_000,
      maxPairs: options.maxTrajectoryPairs ?? 1_000_000,
      maxSyncCells: options.maxTrajectorySyncCells ?? 100_000_000,
    });
    await app.register(networkRoutes, { engine });
    await app.register(mlRoutes, { engine, maxValues: options.maxMlValues ?? 10_000_000 });

    for (const source of options.plugins ?? defaultPluginSources()) {
      if (isPluginCollection(source)) await engine.plugins.loadDirectory(source);
      else await engine.plugins.loadFrom(source);
    }
  } catch (err) {
    await app.close(); // closes the engine too when we created it
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    engine,
    shutdown() {
      closing ??= (async () => {
        phase = 'draining';
        if (options.shutdownGraceMs) await new Promise((resolve) => setTimeout(resolve, options.shutdownGraceMs));
        phase = 'closing';
        await app.close();
      })();
      return closing;
    },
  };
}

export interface StartOptions extends ServerOptions {
  /** Port: this, else WAYBILL_PORT, else 8080 (0 picks a free one). */
  port?: number;
  /** Interface: this, else WAYBILL_HOST, else 127.0.0.1 (loopback only). */
  host?: string;
  /** Drain and exit on SIGINT / SIGTERM (default true); a second signal kills at once. */
  handleSignals?: boolean;
  /** Longest drain after a signal before exiting with status 1, ms (default 30 000). */
  drainTimeoutMs?: number;
  /** How the process ends after a signal (default process.exit; replaceable for tests). */
  exit?: (code: number) => void;
}

export interface StartedServer extends WaybillServer {
  /** The URL it listens on, e.g. http://127.0.0.1:8080. */
  address: string;
}

function portFrom(option: number | undefined): number {
  const raw = option ?? (process.env.WAYBILL_PORT ? Number(process.env.WAYBILL_PORT) : 8080);
  if (!Number.isInteger(raw) || raw < 0 || raw > 65535) {
    throw new WaybillError('INVALID_ARGUMENT', `port must be an integer in [0, 65535], got ${String(option ?? process.env.WAYBILL_PORT)}`);
  }
  return raw;
}

/**
 * Builds the server and listens. On SIGINT / SIGTERM: readiness turns 503, the server stops
 * accepting, in-flight requests drain, the engine closes, then the process exits (0, or 1 when
 * draining fails or exceeds `drainTimeoutMs`). `shutdown()` does the same without exiting.
 */
export async function startServer(options: StartOptions = {}): Promise<StartedServer> {
  const { port, host, handleSignals = true, drainTimeoutMs = 30_000, exit = (code) => process.exit(code), ...rest } = options;
  const listenPort = portFrom(port);
  const server = await buildServer(rest);
  let address: string;
  try {
    // Start the pool's threads before accepting traffic, so the first request is not the slow one.
    await server.engine.warmup();
    address = await server.app.listen({ port: listenPort, host: host ?? process.env.WAYBILL_HOST ?? '127.0.0.1' });
  } catch (err) {
    await server.shutdown();
    throw err;
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    server.app.log.info({ signal }, 'draining before exit');
    const force = setTimeout(() => {
      server.app.log.error(`drain took longer than ${drainTimeoutMs} ms, exiting`);
      exit(1);
    }, drainTimeoutMs);
    force.unref();
    shutdown()
      .then(() => server.engine.close())
      .then(
        () => {
          clearTimeout(force);
          exit(0);
        },
        (err: unknown) => {
          server.app.log.error({ err }, 'error during shutdown');
          clearTimeout(force);
          exit(1);
        },
      );
  };
  const shutdown = (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return server.shutdown();
  };
  if (handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { ...server, address, shutdown };
}
