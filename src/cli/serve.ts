/** `waybill serve`: start the HTTP API; SIGINT / SIGTERM drain it and exit (see startServer). */
import type { BackendStatus } from '../backends/types.js';
import { type StartedServer, type StartOptions, startServer } from '../server/app.js';

export interface ServeArgs extends Omit<StartOptions, 'engine' | 'engineOptions'> {
  /** Port (default WAYBILL_PORT, else 8080). */
  port?: number;
  /** Interface (default WAYBILL_HOST, else 127.0.0.1). */
  host?: string;
  /** Pool worker threads (default: available cores). */
  workers?: number;
}

/** One line per backend: available, available but not auto-selected, or unavailable, with the reason. */
export function formatBackends(backends: BackendStatus[]): string[] {
  return backends.map((b) => {
    const state = !b.available ? `unavailable (${b.reason})` : b.autoSelect ? 'available' : `available, not auto-selected (${b.reason})`;
    return `${b.name}: ${state}${b.mode ? ` [mode ${b.mode}]` : ''}`;
  });
}

/** Starts the server and prints its URL and backends; resolves once it listens. */
export async function serve(args: ServeArgs = {}): Promise<StartedServer> {
  const { workers, ...rest } = args;
  const server = await startServer({
    logger: { level: process.env.WAYBILL_LOG_LEVEL ?? 'info' },
    ...rest,
    ...(workers === undefined ? {} : { engineOptions: { workers } }),
  });
  console.log(`waybill ${server.engine.version} listening on ${server.address} (docs: ${server.address}/docs)`);
  for (const line of formatBackends(server.engine.backends())) console.log(`  ${line}`);
  return server;
}
