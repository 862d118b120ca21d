#!/usr/bin/env node
/**
 * waybill CLI.
 *   waybill info [--json] [--workers N]        backends with status or reason, workers, versions
 *   waybill serve [--port P] [--host H] [--workers N]   start the HTTP API
 */
import { parseArgs } from 'node:util';
import { collectInfo, formatInfo } from './info.js';

const USAGE = `usage: waybill <command> [options]

commands:
  info   [--json] [--workers N]                 backends, their status or the reason they are unavailable, versions
  serve  [--port P] [--host H] [--workers N]    start the HTTP API (default 127.0.0.1:8080, or WAYBILL_PORT)
  help                                          this text`;

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`waybill: --${name} must be a non-negative integer, got '${v}'`);
    process.exit(2);
  }
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        json: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        workers: { type: 'string' },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`waybill: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const v = parsed.values as { json?: boolean; port?: string; host?: string; workers?: string };
  const workers = intArg('workers', v.workers);
  switch (command) {
    case 'info': {
      const report = await collectInfo(workers === undefined ? {} : { workers });
      console.log(v.json ? JSON.stringify(report, null, 2) : formatInfo(report));
      return;
    }
    case 'serve': {
      const { serve } = await import('./serve.js');
      const port = intArg('port', v.port);
      await serve({
        ...(port === undefined ? {} : { port }),
        ...(v.host === undefined ? {} : { host: v.host }),
        ...(workers === undefined ? {} : { workers }),
      });
      return;
    }
    default:
      console.error(`waybill: unknown command '${command}'\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  console.error(`waybill: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
  process.exit(1);
});
