/** `waybill serve`: start the HTTP API and shut down gracefully on SIGINT / SIGTERM. */
import { buildServer, type ServerOptions } from '../server/app.js';

export interface ServeArgs extends Omit<ServerOptions, 'engine'> {
  port?: number;
  host?: string;
  workers?: number;
}

/** Starts the server; resolves once it listens. Port: argument, WAYBILL_PORT, or 8080. */
export async function serve(args: ServeArgs = {}): Promise<void> {
  const { port: portArg, host = process.env.WAYBILL_HOST ?? '127.0.0.1', workers, ...rest } = args;
  const port = portArg ?? (process.env.WAYBILL_PORT ? Number(process.env.WAYBILL_PORT) : 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${String(port)}`);
  const server = await buildServer({
    logger: { level: process.env.WAYBILL_LOG_LEVEL ?? 'info' },
    ...rest,
    ...(workers === undefined ? {} : { engineOptions: { workers } }),
  });
  const address = await server.app.listen({ port, host });
  const backends = server.engine
    .backends()
    .map(
      (b) =>
        `${b.name}: ${b.available ? (b.autoSelect ? 'available' : `available, not auto-selected (${b.reason})`) : `unavailable (${b.reason})`}`,
    );
  console.log(`waybill ${server.engine.version} listening on ${address} (docs: ${address}/docs)`);
  for (const line of backends) console.log(`  ${line}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`waybill: ${signal} received, draining`);
    // Stop accepting, let in-flight requests finish, then close the pool.
    const force = setTimeout(() => {
      console.error('waybill: drain took longer than 30 s, exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('waybill: error during shutdown', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
