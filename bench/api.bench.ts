/**
 * API benchmark (npm run bench:api): requests/s and p50/p99 latency of the example-distance
 * plugin over HTTP at 1, 8 and 64 concurrent connections, with and without dynamic batching.
 * The server runs in a child process (`waybill serve`), the load comes from autocannon in this
 * one, both on this machine's cores: on a 2-core machine they compete, so read the figures as a
 * lower bound. Each request asks for one point (a fixed, real downtown Seattle coordinate).
 * Writes bench/results/api.json and the api section of bench/RESULTS.md.
 *
 *   BENCH_QUICK=1 npm run bench:api   2-second runs (smoke test)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { writeResultsFile, writeResultsSection } from './results-md.js';

const quick = process.env.BENCH_QUICK === '1';
const DURATION_S = quick ? 2 : 8;
const CONNECTIONS = [1, 8, 64];
const PORT = Number(process.env.BENCH_PORT ?? 18731);
const BODY = JSON.stringify({ instances: [{ lat: 47.6062, lng: -122.3321 }] });

interface Row {
  batching: 'on' | 'off';
  connections: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

async function startServer(batching: 'on' | 'off'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/waybill.mjs', 'serve', '--port', String(PORT), '--workers', '1'], {
    env: { ...process.env, WAYBILL_BATCHING: batching === 'on' ? 'plugin' : 'off', WAYBILL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${PORT}/v2/models/example-distance/ready`);
      if (r.status === 200) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not become ready');
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const rows: Row[] = [];
for (const batching of ['on', 'off'] as const) {
  const server = await startServer(batching);
  try {
    for (const connections of CONNECTIONS) {
      const r = await autocannon({
        url: `http://127.0.0.1:${PORT}/v2/models/example-distance/infer`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        connections,
        duration: DURATION_S,
      });
      const row: Row = {
        batching,
        connections,
        requestsPerS: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        total: r.requests.total,
      };
      rows.push(row);
      console.log(
        `batching ${batching.padEnd(3)} c=${String(connections).padStart(2)}  ${row.requestsPerS.toFixed(0).padStart(6)} req/s  p50 ${row.p50Ms.toFixed(2)} ms  p99 ${row.p99Ms.toFixed(2)} ms  non-2xx ${row.non2xx}  errors ${row.errors}`,
      );
    }
  } finally {
    await stopServer(server);
  }
}

if (!quick) {
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  writeResultsFile('api.json', `${JSON.stringify({ machine, durationS: DURATION_S, rows }, null, 2)}\n`);
  const table = [
    `Machine: ${machine}; server \`waybill serve --workers 1\` in a child process, load from autocannon in the bench process (same cores). ${DURATION_S} s per row. Each request: one point, POST /v2/models/example-distance/infer (plain JSON). Latencies as autocannon reports them, in whole milliseconds. Date ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Why batching pays here: one kNearest call costs about the same for 1 point as for 30, because it prepares the 2,051 destinations (two sincos each) on every call; merging the requests of one event-loop turn shares that cost. With an idle model a request waits for no timer, so batching costs no latency at low load.',
    '',
    '| dynamic batching | connections | requests/s | p50 ms | p99 ms | non-2xx | errors |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.batching} | ${r.connections} | ${r.requestsPerS.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.non2xx} | ${r.errors} |`,
    ),
  ].join('\n');
  writeResultsSection('api', 'API (npm run bench:api)', table);
  console.log('wrote bench/results/api.json and bench/RESULTS.md');
}
