/**
 * OR benchmark (npm run bench:or): linear assignment on dense uniform random cost matrices
 * (synthetic, seeded) against SciPy's linear_sum_assignment when a Python with SciPy is found
 * (Debian: apt-get install python3-scipy; never a dependency of this package), and the budget
 * allocation (multiple-choice knapsack) on 1e6 units x 5 treatments: time and certified gap;
 * the TSP solver on the real TSPLIB instances with known optima: gap at 10 ms per city.
 * Writes bench/results/or.json and the or section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTsplib } from '../src/data/tsplib.js';
import { createEngine } from '../src/index.js';
import { conventionOf } from '../src/kernels/or/routes.js';
import { defaultDataDir } from '../src/paths.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';

const quick = process.env.BENCH_QUICK === '1';
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const SIZES = quick ? [200, 500] : [500, 1000, 2000];
const REPS = quick ? 1 : 3;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function scipyPeer(file: string, n: number): { ms: number; total: number; version: string } | { error: string } {
  const script = `
import sys, time, numpy as np, scipy
from scipy.optimize import linear_sum_assignment
c = np.fromfile(sys.argv[1], dtype='<f8').reshape(${n}, ${n})
ts = []
for _ in range(${REPS}):
    t = time.perf_counter(); r, k = linear_sum_assignment(c); ts.append((time.perf_counter() - t) * 1000)
ts.sort()
print(ts[len(ts)//2], c[r, k].sum(), scipy.__version__)
`;
  const res = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  if (res.status !== 0) return { error: (res.stderr || res.error?.message || 'failed').trim().split('\n').at(-1) ?? 'failed' };
  const [ms, total, version] = res.stdout.trim().split(/\s+/);
  return { ms: Number(ms), total: Number(total), version: version ?? '?' };
}

const engine = createEngine({ workers: 0 });
const dir = mkdtempSync(join(tmpdir(), 'wb-or-'));
const lapRows: Array<Record<string, unknown>> = [];
for (const n of SIZES) {
  const r = rng(n);
  const cost = new Float64Array(n * n);
  for (let t = 0; t < cost.length; t++) cost[t] = r() * 1000;
  const file = join(dir, `c${n}.bin`);
  writeFileSync(file, Buffer.from(cost.buffer));
  const row: Record<string, unknown> = { n };
  for (const backend of ['native', 'js'] as const) {
    const times: number[] = [];
    let total = 0;
    for (let k = 0; k < REPS; k++) {
      const t0 = performance.now();
      total = (await engine.kernels.or.linearAssignment(cost, { n, m: n, backend })).total;
      times.push(performance.now() - t0);
    }
    row[`${backend}Ms`] = median(times);
    row[`${backend}Total`] = total;
  }
  const peer = scipyPeer(file, n);
  if ('error' in peer) row.scipy = `unavailable: ${peer.error}`;
  else Object.assign(row, { scipyMs: peer.ms, scipyTotal: peer.total, scipyVersion: peer.version });
  lapRows.push(row);
  console.log(JSON.stringify(row));
}

const units = quick ? 100_000 : 1_000_000;
const r = rng(42);
const value = new Float64Array(units * 5);
const cost = new Float64Array(units * 5);
for (let t = 0; t < units * 5; t++) {
  const k = t % 5;
  cost[t] = (k + 1) * (0.5 + r());
  value[t] = Math.sqrt(k + 1) * (0.2 + r());
}
const mckpRows: Array<Record<string, unknown>> = [];
for (const backend of ['native', 'js'] as const) {
  const t0 = performance.now();
  const res = await engine.kernels.or.budgetAllocation(value, cost, units * 0.8, { units, options: 5, backend });
  const row = {
    backend,
    units,
    options: 5,
    ms: performance.now() - t0,
    value: res.value,
    dualBound: res.dualBound,
    gap: res.gap,
    chosen: res.chosen,
  };
  mckpRows.push(row);
  console.log(JSON.stringify(row));
}
// TSP on every TSPLIB instance with a known optimum in ../shared/data/or/tsplib (real data),
// budget 10 ms per city, seed 1, one thread.
const tspDir = join(defaultDataDir(), 'or', 'tsplib');
const tspRows: Array<{ name: string; n: number; optimum: number; length: number; gap: number; ms: number; iterations: number }> = [];
if (existsSync(join(tspDir, 'BKS.csv'))) {
  const rows = readFileSync(join(tspDir, 'BKS.csv'), 'utf8').trim().split('\n').slice(1);
  for (const row of rows) {
    const [, name, n, optimum] = row.split(',');
    if (!name || !existsSync(join(tspDir, `${name}.tsp`))) continue;
    if (quick && Number(n) > 150) continue;
    const inst = parseTsplib(readFileSync(join(tspDir, `${name}.tsp`), 'utf8'));
    const res = await engine.kernels.or.tsp(
      { coords: inst.coords, convention: conventionOf(inst.edgeWeightType) },
      { seed: 1, timeLimitMs: inst.dimension * 10 },
    );
    const r = {
      name,
      n: inst.dimension,
      optimum: Number(optimum),
      length: res.length,
      gap: (res.length / Number(optimum) - 1) * 100,
      ms: res.timings.totalMs,
      iterations: res.iterations,
    };
    tspRows.push(r);
    console.log(JSON.stringify(r));
  }
} else {
  console.log(`TSP rows skipped: ${tspDir} not found`);
}
await engine.close();

if (!quick) {
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  writeResultsFile('or.json', `${JSON.stringify({ machine, lap: lapRows, mckp: mckpRows, tsp: tspRows }, null, 2)}\n`);
  const fmt = (x: unknown) => (typeof x === 'number' ? x.toFixed(1) : String(x ?? 'n/a'));
  const table = [
    `Machine: ${machine}; one thread. Assignment and budget allocation: synthetic seeded inputs; TSP: real TSPLIB instances. Date ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Linear assignment, dense n x n, costs uniform in [0, 1000): median of ' +
      REPS +
      ' solves (ms); all three reach the same optimal total.',
    '',
    '| n | native ms | TS reference ms | SciPy linear_sum_assignment ms | native / SciPy | optimal total |',
    '|---|---|---|---|---|---|',
    ...lapRows.map(
      (x) =>
        `| ${x.n} | ${fmt(x.nativeMs)} | ${fmt(x.jsMs)} | ${x.scipyMs === undefined ? String(x.scipy) : `${fmt(x.scipyMs)} (SciPy ${x.scipyVersion})`} | ${x.scipyMs === undefined ? 'n/a' : ((x.nativeMs as number) / (x.scipyMs as number)).toFixed(2)} | ${(x.nativeTotal as number).toFixed(3)}${x.scipyTotal !== undefined && Math.abs((x.scipyTotal as number) - (x.nativeTotal as number)) > 1e-6 * (x.nativeTotal as number) ? ` (SciPy: ${(x.scipyTotal as number).toFixed(3)})` : ''} |`,
    ),
    '',
    `Budget allocation (multiple-choice knapsack), ${units.toLocaleString('en')} units x 5 treatments, budget 0.8 x units, costs (k+1)(0.5+U), values sqrt(k+1)(0.2+U):`,
    '',
    '| backend | ms | value | dual bound | certified gap |',
    '|---|---|---|---|---|',
    ...mckpRows.map(
      (x) =>
        `| ${x.backend} | ${(x.ms as number).toFixed(0)} | ${(x.value as number).toFixed(2)} | ${(x.dualBound as number).toFixed(2)} | ${(x.gap as number).toExponential(2)} |`,
    ),
    '',
    'TSP (native iterated local search: 2-opt + Or-opt + an LK-style sequential 3-opt move + double bridge) on every TSPLIB instance with a published optimum in ../shared/data/or/tsplib (real instances, TSPLIB distance conventions), budget 10 ms per city, seed 1, one thread:',
    '',
    '| instance | n | optimum | length | gap % | ms | ILS iterations |',
    '|---|---|---|---|---|---|---|',
    ...tspRows.map(
      (x) => `| ${x.name} | ${x.n} | ${x.optimum} | ${x.length} | ${x.gap.toFixed(2)} | ${x.ms.toFixed(0)} | ${x.iterations} |`,
    ),
    tspRows.length > 0 ? `| mean | | | | ${(tspRows.reduce((sum, x) => sum + x.gap, 0) / tspRows.length).toFixed(2)} | | |` : '',
  ].join('\n');
  writeResultsSection('or', 'OR: assignment, budget allocation, TSP (npm run bench:or)', table);
  console.log('wrote bench/results/or.json and bench/RESULTS.md');
}
