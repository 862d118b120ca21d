/**
 * API benchmark of the domain routes (npx tsx bench/api-domain.bench.ts; npm run bench:api:domain):
 * requests/s and p50 / p99 latency of POST /v1/eta, /v1/merchants/score, /v1/demand/plan and
 * /v1/pricing/allocate over HTTP, with 1 and 100 real items a request, at 8 concurrent
 * connections. The server (`waybill serve --workers 1` with the four domain plugins) runs in a
 * child process and autocannon in this one, on the same cores: on a 2-core machine they compete,
 * so read the figures as a lower bound. Bodies are built from the shared real data (LaDe-P tasks,
 * Online Retail customers' order histories, carparts series, Hillstrom customers).
 *
 *   BENCH_QUICK=1 npx tsx bench/api-domain.bench.ts   2-second runs, nothing recorded
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { requestTask } from '../plugins/eta/index.js';
import { ladeEtaTable } from '../plugins/eta/model.js';
import { retailHistories } from '../plugins/merchant/model.js';
import { parseHillstrom } from '../plugins/pricing/model.js';
import { formatIsoTime } from '../src/data/iso-time.js';
import { loadLadePickups } from '../src/data/lade.js';
import { parseM4Csv } from '../src/data/m4.js';
import { readOnlineRetail } from '../src/data/online-retail.js';
import { defaultDataDir } from '../src/paths.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';

const quick = process.env.BENCH_QUICK === '1';
const DURATION_S = quick ? 2 : 8;
const CONNECTIONS = 8;
const PORT = Number(process.env.BENCH_PORT ?? 18732);
const SIZES = [1, 100];
const data = defaultDataDir();

// Real items for each route.
const lade = ladeEtaTable(loadLadePickups(data));
const tasks = lade.tasks.map((t) => requestTask(t, 8 * 3600));
const histories = retailHistories(readOnlineRetail(join(data, 'retail', 'online_retail'))).filter((h) =>
  h.orders.some((o) => o.revenue > 0),
);
let end = 0;
for (const h of histories) for (const o of h.orders) end = Math.max(end, o.time);
const merchants = histories.map((h) => ({
  merchant_id: h.id,
  as_of: formatIsoTime(end + 86_400, 0),
  orders: h.orders.map((o) => ({ time: formatIsoTime(o.time, 0), revenue: o.revenue })),
}));
const carparts = parseM4Csv(readFileSync(join(data, 'ts', 'intermittent', 'carparts-train.csv'), 'utf8'));
const series = carparts.ids.map((id, i) => ({
  series_id: id,
  history: Array.from(carparts.values.subarray(carparts.offsets[i] as number, carparts.offsets[i + 1] as number)),
  horizon: 12,
  lead_time: 3,
}));
const customers = parseHillstrom(readFileSync(join(data, 'uplift', 'hillstrom.csv'), 'utf8')).customers;

const routes = [
  { url: '/v1/eta', model: 'eta', body: (n: number) => ({ tasks: tasks.slice(0, n) }), item: 'LaDe-P pickup task' },
  {
    url: '/v1/merchants/score',
    model: 'merchant',
    body: (n: number) => ({ merchants: merchants.slice(0, n) }),
    item: `Online Retail customer with all its orders (mean ${(merchants.slice(0, 100).reduce((a, m) => a + m.orders.length, 0) / 100).toFixed(1)} orders over the first 100)`,
  },
  {
    url: '/v1/demand/plan',
    model: 'demand',
    body: (n: number) => ({ series: series.slice(0, n) }),
    item: 'carparts series of 39 months, horizon 12, lead time 3',
  },
  {
    url: '/v1/pricing/allocate',
    model: 'pricing',
    body: (n: number) => ({ customers: customers.slice(0, n), budget: Math.ceil(0.3 * n) }),
    item: 'Hillstrom customer; budget: 30 % of them e-mailed',
  },
];

async function startServer(): Promise<ChildProcess> {
  const plugins = routes.map((r) => `plugins/${r.model}`).join(',');
  const child = spawn(process.execPath, ['bin/waybill.mjs', 'serve', '--port', String(PORT), '--workers', '1', '--plugins', plugins], {
    env: { ...process.env, WAYBILL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    try {
      const ready = await Promise.all(
        routes.map((r) => fetch(`http://127.0.0.1:${PORT}/v2/models/${r.model}/ready`).then((x) => x.status)),
      );
      if (ready.every((s) => s === 200)) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not become ready with the four domain plugins (is ../shared/data there?)');
}

interface Row {
  route: string;
  items: number;
  requestsPerS: number;
  itemsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}
const rows: Row[] = [];
const server = await startServer();
try {
  for (const r of routes)
    for (const n of SIZES) {
      const body = JSON.stringify(r.body(n));
      // One request first: a 4xx here would make the whole row meaningless.
      const check = await fetch(`http://127.0.0.1:${PORT}${r.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (check.status !== 200) throw new Error(`${r.url} with ${n} items: ${check.status} ${await check.text()}`);
      const a = await autocannon({
        url: `http://127.0.0.1:${PORT}${r.url}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: CONNECTIONS,
        duration: DURATION_S,
      });
      const row: Row = {
        route: r.url,
        items: n,
        requestsPerS: a.requests.average,
        itemsPerS: a.requests.average * n,
        p50Ms: a.latency.p50,
        p99Ms: a.latency.p99,
        non2xx: a.non2xx,
        errors: a.errors + a.timeouts,
      };
      rows.push(row);
      console.log(
        `${r.url.padEnd(22)} ${String(n).padStart(3)} items  ${row.requestsPerS.toFixed(0).padStart(6)} req/s  ${row.itemsPerS.toFixed(0).padStart(7)} items/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  non-2xx ${row.non2xx}  errors ${row.errors}`,
      );
    }
} finally {
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}

const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} logical cores, Node ${process.version}`;
const table = [
  `Machine: ${machine}; server \`waybill serve --workers 1\` with the four domain plugins in a child process, load from autocannon in the bench process (same cores), ${CONNECTIONS} connections, ${DURATION_S} s per row. Latencies as autocannon reports them (whole milliseconds). Items (real data from ../shared/data): ${routes.map((r) => `${r.url}: ${r.item}`).join('; ')}.`,
  '',
  '| route | items a request | requests/s | items/s | p50 ms | p99 ms | non-2xx | errors |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.route} | ${r.items} | ${r.requestsPerS.toFixed(0)} | ${r.itemsPerS.toFixed(0)} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx} | ${r.errors} |`,
  ),
  '',
  'Where the time goes: eta, merchant and pricing answer from trees trained at load (eta three models a task, pricing four plus the allocation); demand fits Theta 13 times a series per request (the forecast and 12 backtest origins), in the C++ core but synchronously on the request thread, so its large requests are the slow ones.',
].join('\n');
console.log(table);
writeResultsFile('api-domain.json', `${JSON.stringify({ machine, durationS: DURATION_S, connections: CONNECTIONS, rows }, null, 1)}\n`);
writeResultsSection('api-domain', 'API: the domain routes (npm run bench:api:domain)', table);
