/**
 * Writes the VRP section of bench/RESULTS.md from the JSON files the VRP bench runs left in
 * bench/results/ (vrp-x6-w1.json, vrp-x6-w2.json, vrp-solomon.json, vrp-x-all.json,
 * vrp-gh.json, vrp-x-largest.json) and, when present, the side-by-side peer figures measured on
 * the same machine (bench/results/vrp-peers.json: [{ solver, instance, cost, gapPct, wallS }]).
 *
 *   tsx bench/vrp-report.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeResultsSection } from './results-md.js';
import type { VrpBenchRow } from './vrp.bench.js';

interface RunFile {
  machine: string;
  factor: number;
  seed: number;
  date: string;
  rows: VrpBenchRow[];
}

function load(name: string): RunFile | undefined {
  const path = `bench/results/${name}.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunFile) : undefined;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

const out: string[] = [];
const w1 = load('vrp-x6-w1');
const w2 = load('vrp-x6-w2');
const peers = existsSync('bench/results/vrp-peers.json')
  ? (JSON.parse(readFileSync('bench/results/vrp-peers.json', 'utf8')) as Array<{
      solver: string;
      instance: string;
      cost: number;
      gapPct: number;
      wallS: number;
    }>)
  : [];
if (w1) {
  out.push(
    `Machine: ${w1.machine}. Native C++ HGS through the engine, seed ${w1.seed}, budget ${w1.factor}·n/10 s per instance (n = customers), distances rounded to the nearest integer (CVRPLIB). Every plan re-checked by the independent TS checker (all feasible). Run ${w1.date.slice(0, 10)}.`,
    '',
  );
  const solvers = [...new Set(peers.map((p) => p.solver))];
  out.push(
    `| instance | budget s | Waybill 1 worker: cost / gap % | Waybill 2 workers: cost / gap % |${solvers.map((s) => ` ${s} here: gap % |`).join('')} HGS-CVRP (issue ref) | VROOM 1.14 (issue ref) |`,
    `|---|---|---|---|${solvers.map(() => '---|').join('')}---|---|`,
  );
  const ref: Record<string, [number, number]> = {
    'X-n101-k25': [0.0, 0.5],
    'X-n233-k16': [0.0, 2.01],
    'X-n303-k21': [0.07, 1.97],
    'X-n401-k29': [0.32, 1.52],
    'X-n502-k39': [0.14, 0.35],
    'X-n701-k44': [1.51, 2.32],
  };
  for (const r of w1.rows) {
    const r2 = w2?.rows.find((x) => x.instance === r.instance);
    const pr = solvers.map((s) => peers.find((p) => p.solver === s && p.instance === r.instance));
    const [h, v] = ref[r.instance] ?? [Number.NaN, Number.NaN];
    out.push(
      `| ${r.instance} | ${r.budgetS.toFixed(1)} | ${r.cost} / ${r.gapPct.toFixed(2)} | ${r2 ? `${r2.cost} / ${r2.gapPct.toFixed(2)}` : 'not run'} |${pr.map((p) => ` ${p ? p.gapPct.toFixed(2) : '—'} |`).join('')} ${h.toFixed(2)} | ${v.toFixed(2)} |`,
    );
  }
  const m2 = w2 ? mean(w2.rows.map((r) => r.gapPct)).toFixed(2) : 'not run';
  out.push(
    `| mean | | ${mean(w1.rows.map((r) => r.gapPct)).toFixed(2)} | ${m2} |${solvers.map((s) => ` ${mean(peers.filter((p) => p.solver === s).map((p) => p.gapPct)).toFixed(2)} |`).join('')} 0.34 | 1.45 |`,
    '',
    peers.length
      ? `HGS-CVRP here: vidalt/HGS-CVRP at commit 1a92795, built outside the repo with g++ 12 -O3, run as \`hgs X.vrp out.sol -t <budget> -seed 1\` (its -t is CPU seconds, one thread) on this machine in the same session; its .sol files re-checked with our checkPlan (all feasible; costs recomputed). Peak RSS ${Math.max(...peers.map((p) => (p as { rssMb?: number }).rssMb ?? 0)).toFixed(0)} MB. Waybill with 2 workers uses both cores for the same wall time (as the issue asks), HGS-CVRP one. VROOM was not built here: its column is the issue's reference run. While these ran, one other single-thread benchmark shared the machine's second core (the 2-worker runs had the machine to themselves).`
      : "No peer measured here: the HGS-CVRP and VROOM columns are the issue's reference run.",
    '',
    `Peak resident memory of the bench process (whole Node engine): ${Math.max(...w1.rows.map((r) => r.maxRssMb)).toFixed(0)} MB (1 worker)${w2 ? `, ${Math.max(...w2.rows.map((r) => r.maxRssMb)).toFixed(0)} MB (2 workers)` : ''}.`,
  );
}

const largest = load('vrp-x-largest');
if (largest) {
  out.push('', 'Largest X instance at the full budget (memory check):', '');
  for (const r of largest.rows)
    out.push(
      `- ${r.instance} (n = ${r.n}), ${r.workers} worker(s), budget ${r.budgetS.toFixed(1)} s: cost ${r.cost}, gap ${r.gapPct.toFixed(2)} %, wall ${r.wallS.toFixed(1)} s, ${r.iterations} iterations, peak RSS of the whole process ${r.maxRssMb.toFixed(0)} MB.`,
    );
}

const all = load('vrp-x-all');
if (all) {
  const feasible = all.rows.filter((r) => r.feasible).length;
  out.push(
    '',
    `Whole X dev set in ../shared/data/or/X (${all.rows.length} instances, n = ${Math.min(...all.rows.map((r) => r.n))}–${Math.max(...all.rows.map((r) => r.n))}) at a SHORT budget of ${all.factor}·n/10 s (a hundredth of the DIMACS rule, to fit this session), 1 worker: mean gap ${mean(all.rows.map((r) => r.gapPct)).toFixed(2)} % (max ${Math.max(...all.rows.map((r) => r.gapPct)).toFixed(2)} %), ${feasible}/${all.rows.length} feasible. OR-Tools' published figure on X is 4.4 %.`,
  );
}

for (const [name, label] of [
  ['vrp-solomon', 'Solomon 100-customer instances in ../shared/data/or/solomon'],
  ['vrp-gh', 'Gehring–Homberger 1000-customer instances in ../shared/data/or/gehring-homberger (a subset: two per class)'],
] as const) {
  const f = load(name);
  if (!f) continue;
  const rows = f.rows;
  const reached = rows.filter((r) => r.feasible && r.vehicles <= r.bksVehicles).length;
  const ok = rows.filter((r) => r.feasible);
  out.push(
    '',
    `${label} (${rows.length} instances), budget ${f.factor}·n/10 s, 1 worker, ${
      name === 'vrp-gh'
        ? 'DIMACS convention (distances and times truncated to 1 decimal, objective total distance, fleet of the file; BKS from CVRPLIB via PyVRP). Feasible with at most the BKS route count'
        : 'exact (double) distances, fleet limited to the BKS vehicle count (hierarchical objective: vehicles, then distance; BKS from the SINTEF table). BKS vehicle count reached'
    } on ${reached}/${rows.length} (${((100 * reached) / Math.max(1, rows.length)).toFixed(0)} %); mean distance gap ${mean(ok.map((r) => r.gapPct)).toFixed(2)} % over the ${ok.length} feasible ones${
      rows.length > ok.length
        ? ` (no feasible plan with the BKS fleet within the budget on ${rows
            .filter((r) => !r.feasible)
            .map((r) => r.instance)
            .join(', ')}: the solver minimises distance for a given fleet and has no route-minimisation phase yet)`
        : ''
    }. A negative gap means a shorter plan than the listed BKS with the same fleet (C204: 588.29 vs 590.60, also noted in SOURCES.md).`,
    '',
    '| instance | vehicles (BKS) | distance | BKS | gap % | best found at s |',
    '|---|---|---|---|---|---|',
  );
  for (const r of rows)
    out.push(
      `| ${r.instance} | ${r.feasible ? r.vehicles : 'infeasible'} (${r.bksVehicles}) | ${r.distance.toFixed(2)} | ${r.bks} | ${r.gapPct.toFixed(2)} | ${r.bestFoundS.toFixed(1)} |`,
    );
}

const ghFull = load('vrp-gh-full');
if (ghFull) {
  out.push('', `Gehring–Homberger at the full budget ${ghFull.factor}·n/10 s (1 worker, DIMACS convention):`, '');
  for (const r of ghFull.rows)
    out.push(
      `- ${r.instance}: distance ${r.distance.toFixed(1)} with ${r.vehicles} routes (BKS ${r.bks} with ${r.bksVehicles}), gap ${r.gapPct.toFixed(2)} %, ${r.feasible ? 'feasible' : 'INFEASIBLE'}, best found at ${r.bestFoundS.toFixed(0)} s of ${r.budgetS.toFixed(0)}, ${r.iterations} iterations, peak RSS ${r.maxRssMb.toFixed(0)} MB.`,
    );
  out.push(
    '',
    'Class-2 instances (long routes) converge slowly: the solver has no route-minimisation phase, and its plans keep more routes than the BKS; that is the next thing to build for large VRPTW. (OR-Tools is published at about 9 % on GH 1000.)',
  );
}

writeResultsSection('vrp', 'VRP: hybrid genetic search (npm run bench:vrp)', out.join('\n'));
console.log(out.join('\n'));
