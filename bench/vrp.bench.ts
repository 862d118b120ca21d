/**
 * VRP benchmark (npm run bench:vrp): the native hybrid genetic search on real CVRPLIB X and
 * Solomon / Gehring–Homberger instances from ../shared/data/or, with a time budget per instance
 * of factor * n / 10 seconds (default factor 2.4: a tenth of the DIMACS rule), seed 1, for each
 * requested worker count. Every plan is re-checked by the independent TS checker; gaps are to the
 * BKS in the set's BKS.csv under the same distance convention.
 *
 *   tsx bench/vrp.bench.ts --set x6 --workers 1,2            (the six X instances of issue 5)
 *   tsx bench/vrp.bench.ts --set solomon --workers 1 --factor 2.4
 *   tsx bench/vrp.bench.ts --set x --limit 10                 (the first 10 X instances by size)
 *   options: --instances A,B  --factor F  --seed S  --out file.json  --no-md
 *
 * Solomon is scored on the hierarchical objective of its SINTEF BKS rows ('exact-double'): the
 * fleet is limited to the BKS vehicle count, so "BKS vehicles reached" = a feasible plan with
 * that fleet, and the distance gap is to the BKS distance. Gehring–Homberger uses the DIMACS
 * convention of its BKS rows (distances truncated to 1 decimal, total distance only, the file's
 * fleet).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseTsplib } from '../src/data/tsplib.js';
import { createEngine } from '../src/engine.js';
import { checkVrpSolution, compileVrp, vrpFromRoutingInstance } from '../src/kernels/or/vrp-model.js';
import { defaultDataDir } from '../src/paths.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';

const X6 = ['X-n101-k25', 'X-n233-k16', 'X-n303-k21', 'X-n401-k29', 'X-n502-k39', 'X-n701-k44'];

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

interface Bks {
  bks: number;
  vehicles: number;
  convention: string;
}

function readBks(dir: string, want: RegExp): Map<string, Bks> {
  const out = new Map<string, Bks>();
  const lines = readFileSync(join(dir, 'BKS.csv'), 'utf8').split('\n').slice(1);
  for (const line of lines) {
    const cells = line.match(/("[^"]*"|[^,]+)/g) ?? [];
    if (cells.length < 7 || !want.test(cells[4] ?? '')) continue;
    out.set(cells[1] as string, { bks: Number(cells[3]), vehicles: Number(cells[6]), convention: cells[4] as string });
  }
  return out;
}

export interface VrpBenchRow {
  set: string;
  instance: string;
  n: number;
  workers: number;
  budgetS: number;
  cost: number;
  distance: number;
  vehicles: number;
  bks: number;
  bksVehicles: number;
  gapPct: number;
  feasible: boolean;
  wallS: number;
  bestFoundS: number;
  iterations: number;
  maxRssMb: number;
}

async function main(): Promise<void> {
  const set = arg('set', 'x6') as string;
  const factor = Number(arg('factor', '2.4'));
  const seed = Number(arg('seed', '1'));
  const workersList = (arg('workers', '1') as string).split(',').map(Number);
  const limit = Number(arg('limit', '0'));
  const orDir = join(defaultDataDir(), 'or');
  const family = set === 'x6' || set === 'x' ? 'X' : set === 'solomon' ? 'solomon' : 'gehring-homberger';
  const dir = join(orDir, family);
  if (!existsSync(dir)) throw new Error(`no data at ${dir}`);
  const tw = family !== 'X';
  // Solomon: the SINTEF hierarchical BKS (exact distances, BKS fleet); Gehring–Homberger: the
  // DIMACS convention of CVRPLIB / PyVRP (1-decimal truncation, distance only, fleet of the file).
  const gh = family === 'gehring-homberger';
  const bks = readBks(dir, gh ? /truncated/ : tw ? /exact-double/ : /nint/);
  let names: string[];
  const only = arg('instances');
  if (only) names = only.split(',');
  else if (set === 'x6') names = X6;
  else
    names = readdirSync(dir)
      .filter((f) => /\.(vrp|vrptw)$/.test(f))
      .map((f) => f.replace(/\.(vrp|vrptw)$/, ''))
      .filter((nm) => bks.has(nm))
      .sort((a, b) => Number(/n(\d+)/.exec(a)?.[1] ?? 0) - Number(/n(\d+)/.exec(b)?.[1] ?? 0) || a.localeCompare(b));
  if (limit > 0) names = names.slice(0, limit);
  const engine = createEngine({ workers: 0 });
  const rows: VrpBenchRow[] = [];
  try {
    for (const workers of workersList) {
      for (const name of names) {
        const file = [join(dir, `${name}.vrp`), join(dir, `${name}.vrptw`)].find((f) => existsSync(f));
        const ref = bks.get(name);
        if (!file || !ref) {
          console.warn(`skipped ${name}: no file or BKS`);
          continue;
        }
        const inst = parseTsplib(readFileSync(file, 'utf8'));
        const customers = inst.dimension - 1;
        const budgetS = (factor * customers) / 10;
        const problem = vrpFromRoutingInstance(inst, gh ? 'trunc1' : tw ? 'exact' : 'nint', tw && !gh ? { vehicles: ref.vehicles } : {});
        const c = compileVrp(problem);
        const t0 = performance.now();
        const sol = await engine.kernels.or.solveVrp(c, { timeLimitMs: budgetS * 1000, seed, workers });
        const wallS = (performance.now() - t0) / 1000;
        const check = checkVrpSolution(
          c,
          sol.routes.map((r) => ({ type: r.type, stops: r.stops })),
          sol.unassigned.map((u) => u.node),
        );
        const value = tw ? check.distance : check.cost;
        const row: VrpBenchRow = {
          set: family,
          instance: name,
          n: customers,
          workers,
          budgetS,
          cost: value,
          distance: check.distance,
          vehicles: check.vehicles,
          bks: ref.bks,
          bksVehicles: ref.vehicles,
          gapPct: (100 * (value - ref.bks)) / ref.bks,
          feasible: check.feasible,
          wallS,
          bestFoundS: sol.bestFoundMs / 1000,
          iterations: sol.iterations,
          maxRssMb: process.resourceUsage().maxRSS / 1024,
        };
        rows.push(row);
        console.log(
          `${name} w=${workers} budget ${budgetS.toFixed(1)} s: ${tw ? 'distance' : 'cost'} ${value.toFixed(tw ? 2 : 0)} (${check.vehicles} veh, BKS ${ref.bks} / ${ref.vehicles} veh) gap ${row.gapPct.toFixed(2)} % feasible ${check.feasible} wall ${wallS.toFixed(1)} s best@${row.bestFoundS.toFixed(1)} s iters ${sol.iterations} maxRSS ${row.maxRssMb.toFixed(0)} MB`,
        );
      }
    }
  } finally {
    await engine.close();
  }
  const out = arg('out');
  const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}`;
  const json = `${JSON.stringify({ machine, factor, seed, date: new Date().toISOString(), rows }, null, 2)}\n`;
  // --out: where the user asked; else bench/results/vrp-<set>.json when the run records its results.
  if (out !== undefined) writeFileSync(out, json);
  else writeResultsFile(`vrp-${set}.json`, json);
  if (!process.argv.includes('--no-md'))
    writeResultsSection(`vrp-${set}`, `VRP: ${set} (npm run bench:vrp)`, markdown(rows, machine, factor, tw));
}

function markdown(rows: VrpBenchRow[], machine: string, factor: number, tw: boolean): string {
  const lines = [
    `Machine: ${machine}; backend native (C++ HGS), seed 1, budget ${factor}·n/10 s per instance; each plan re-checked by the TS checker.`,
    '',
    `| instance | n | workers | budget s | ${tw ? 'distance | vehicles (BKS)' : 'cost'} | BKS | gap % | feasible | best found at s | iterations |`,
    `|---|---|---|---|${tw ? '---|---|' : '---|'}---|---|---|---|---|`,
  ];
  for (const r of rows)
    lines.push(
      `| ${r.instance} | ${r.n} | ${r.workers} | ${r.budgetS.toFixed(1)} | ${tw ? `${r.distance.toFixed(2)} | ${r.vehicles} (${r.bksVehicles})` : r.cost.toFixed(0)} | ${r.bks} | ${r.gapPct.toFixed(2)} | ${r.feasible ? 'yes' : 'NO'} | ${r.bestFoundS.toFixed(1)} | ${r.iterations} |`,
    );
  for (const w of [...new Set(rows.map((r) => r.workers))]) {
    const rs = rows.filter((r) => r.workers === w);
    const mean = rs.reduce((s, r) => s + r.gapPct, 0) / Math.max(1, rs.length);
    const veh = rs.filter((r) => r.feasible && r.vehicles <= r.bksVehicles).length;
    lines.push(
      '',
      `Mean gap with ${w} worker(s): ${mean.toFixed(2)} % over ${rs.length} instances${tw ? `; BKS vehicle count reached (feasible with the BKS fleet) on ${veh}/${rs.length}` : ''}.`,
    );
  }
  return lines.join('\n');
}

await main();
