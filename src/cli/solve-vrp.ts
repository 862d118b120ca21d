/**
 * `waybill solve` for vehicle routing: CVRPLIB `.vrp` / `.vrptw`, Solomon / Gehring–Homberger
 * text, or a JSON problem. Draws a progress bar on stderr (TTY: redrawn in place; otherwise a
 * line a second), stops on Ctrl-C with the best plan so far, prints the gap to a known reference
 * (a `.sol` beside the file, or the BKS.csv of its folder) and writes the plan as CVRPLIB `.sol`,
 * JSON or GeoJSON.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { parseSolomon } from '../data/solomon.js';
import { parseSolution, parseTsplib, type RoutingInstance, writeSolution } from '../data/tsplib.js';
import { createEngine } from '../engine.js';
import { WaybillError } from '../errors.js';
import type { DistanceConvention } from '../kernels/or/routes.js';
import type { VrpSolution } from '../kernels/or/vrp.js';
import { type CompiledVrp, compileVrp, type VrpProblem, vrpFromRoutingInstance } from '../kernels/or/vrp-model.js';

export interface SolveVrpArgs {
  file: string;
  text: string;
  timeLimitMs: number;
  seed: number;
  workers: number;
  maxIterations?: number;
  rounding?: DistanceConvention;
  vehicles?: number;
  out?: string;
  json?: boolean;
}

export interface SolveVrpSummary {
  name: string;
  customers: number;
  cost: number;
  distance: number;
  routes: number;
  feasible: boolean;
  unassigned: number;
  iterations: number;
  ms: number;
  cancelled: boolean;
  reference?: { value: number; source: string; gapPct: number };
}

function bar(fraction: number, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** 'solomon' for the original Solomon / GH text, 'json' for a JSON problem, else 'tsplib'. */
export function detectFormat(text: string): 'json' | 'solomon' | 'tsplib' {
  const head = text.trimStart();
  if (head.startsWith('{')) return 'json';
  if (/^\s*VEHICLE\s*$/m.test(text) && /^\s*CUSTOMER\s*$/m.test(text)) return 'solomon';
  return 'tsplib';
}

/** Loads the problem with the rounding convention it implies (or the one asked for). */
export function loadVrp(args: Pick<SolveVrpArgs, 'file' | 'text' | 'rounding' | 'vehicles'>): {
  name: string;
  compiled: CompiledVrp;
  convention?: DistanceConvention;
  instance?: RoutingInstance;
} {
  const format = detectFormat(args.text);
  if (format === 'json') {
    let problem: VrpProblem;
    try {
      problem = JSON.parse(args.text) as VrpProblem;
    } catch (err) {
      throw new WaybillError('INVALID_ARGUMENT', `${basename(args.file)} is not valid JSON: ${(err as Error).message}`);
    }
    return { name: basename(args.file, extname(args.file)), compiled: compileVrp(problem) };
  }
  const inst = format === 'solomon' ? parseSolomon(args.text) : parseTsplib(args.text);
  const tw = inst.timeWindows !== undefined;
  const convention = args.rounding ?? (tw ? 'exact' : inst.edgeWeightType === 'EUC_2D' ? 'nint' : 'exact');
  const opts = args.vehicles !== undefined ? { vehicles: args.vehicles } : {};
  return {
    name: inst.name || basename(args.file),
    compiled: compileVrp(vrpFromRoutingInstance(inst, convention, opts)),
    convention,
    instance: inst,
  };
}

/** A reference value: the `.sol` beside the file, else the folder's BKS.csv row that matches the convention. */
export function findReference(
  file: string,
  name: string,
  convention: DistanceConvention | undefined,
  tw: boolean,
): { value: number; source: string } | undefined {
  const sol = join(dirname(file), `${basename(file, extname(file))}.sol`);
  if (existsSync(sol)) {
    try {
      const s = parseSolution(readFileSync(sol, 'utf8'));
      if (s.cost !== undefined && Number.isFinite(s.cost)) return { value: s.cost, source: basename(sol) };
    } catch {
      // an unreadable .sol is no reference
    }
  }
  const csv = join(dirname(file), 'BKS.csv');
  if (!existsSync(csv)) return undefined;
  const want = !tw ? /nint|rounded/ : convention === 'trunc1' ? /truncated/ : /exact/;
  for (const line of readFileSync(csv, 'utf8').split('\n')) {
    const cells = line.match(/("[^"]*"|[^,]+)/g) ?? [];
    if (cells[1] === name && want.test(cells[4] ?? ''))
      return { value: Number(cells[3]), source: `BKS.csv (${(cells[4] ?? '').replace(/"/g, '').split(';')[0]})` };
  }
  return undefined;
}

export async function solveVrpFile(args: SolveVrpArgs): Promise<SolveVrpSummary> {
  const { name, compiled, convention, instance } = loadVrp(args);
  const tw = instance?.timeWindows !== undefined;
  const engine = createEngine({ workers: 0 });
  const tty = process.stderr.isTTY === true;
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  let lastLine = Number.NEGATIVE_INFINITY;
  try {
    const sol: VrpSolution = await engine.kernels.or.solveVrp(compiled, {
      seed: args.seed,
      workers: args.workers,
      timeLimitMs: args.maxIterations ? 0 : args.timeLimitMs,
      ...(args.maxIterations ? { maxIterations: args.maxIterations } : {}),
      signal: ac.signal,
      onProgress: (p) => {
        const frac = args.maxIterations ? p.iterations / (args.maxIterations * args.workers) : p.elapsedMs / args.timeLimitMs;
        const best = Number.isFinite(p.best) ? p.best.toFixed(2) : '-';
        const line = `${bar(frac)} ${(p.elapsedMs / 1000).toFixed(1)} s  best ${best}${p.feasible ? '' : ' (infeasible)'}  iterations ${p.iterations}`;
        if (tty) process.stderr.write(`\r${line}`);
        else if (p.elapsedMs - lastLine >= 1000) {
          lastLine = p.elapsedMs;
          process.stderr.write(`${line}\n`);
        }
      },
    });
    if (tty) process.stderr.write('\n');
    // CVRPLIB references are total cost; Solomon references (exact / trunc1) are total distance.
    const value = tw ? sol.distance : sol.cost;
    const ref = instance ? findReference(args.file, name, convention, tw) : undefined;
    const summary: SolveVrpSummary = {
      name,
      customers: compiled.n - compiled.depots,
      cost: sol.cost,
      distance: sol.distance,
      routes: sol.routes.length,
      feasible: sol.feasible,
      unassigned: sol.unassigned.length,
      iterations: sol.iterations,
      ms: sol.elapsedMs,
      cancelled: sol.cancelled,
      ...(ref ? { reference: { ...ref, gapPct: (100 * (value - ref.value)) / ref.value } } : {}),
    };
    if (args.out) writePlan(args.out, sol, compiled, name);
    if (args.json) {
      console.log(JSON.stringify({ ...summary, routes: sol.routes.map((r) => r.stops), violations: sol.violations }));
    } else {
      const gap = summary.reference
        ? `, gap ${summary.reference.gapPct.toFixed(2)} % to ${summary.reference.value} (${summary.reference.source})`
        : '';
      console.log(
        `${name}: ${summary.customers} customers, cost ${sol.cost.toFixed(2)}, distance ${sol.distance.toFixed(2)}, ${summary.routes} routes` +
          `${summary.unassigned ? `, ${summary.unassigned} optional visits left out` : ''}${gap}; ${summary.iterations} iterations in ${(summary.ms / 1000).toFixed(1)} s` +
          `${sol.cancelled ? ' (interrupted: best plan so far)' : ''}${args.out ? `; plan written to ${args.out}` : ''}`,
      );
    }
    if (!sol.feasible) {
      const why = sol.violations
        .slice(0, 5)
        .map((v) => v.detail)
        .join('; ');
      console.error(`INFEASIBLE: no plan meets every constraint (${sol.violations.length} violations): ${why}`);
      process.exitCode = 2;
    }
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
}

function writePlan(out: string, sol: VrpSolution, c: CompiledVrp, name: string): void {
  const ext = extname(out).toLowerCase();
  if (ext === '.sol') {
    // CVRPLIB numbering: customers 1..n (the depot is node 0 of a one-depot file).
    writeFileSync(out, writeSolution({ routes: sol.routes.map((r) => r.stops.map((s) => s - c.depots + 1)), cost: sol.cost }));
  } else if (ext === '.geojson') {
    writeFileSync(out, `${JSON.stringify(geoJson(sol, c, name), null, 1)}\n`);
  } else {
    writeFileSync(out, `${JSON.stringify(sol, null, 1)}\n`);
  }
}

/** Routes as LineStrings (depot -> stops -> depot) and stops as Points, in the problem's coordinates. */
function geoJson(sol: VrpSolution, c: CompiledVrp, name: string): object {
  const xy = c.coords;
  if (!xy) throw new WaybillError('INVALID_ARGUMENT', 'GeoJSON needs coordinates: this problem has only a matrix');
  const pt = (i: number) => [xy[2 * i] as number, xy[2 * i + 1] as number];
  const starts = c.typeStartDepot;
  const ends = c.typeEndDepot;
  return {
    type: 'FeatureCollection',
    name,
    features: sol.routes.flatMap((r) => [
      {
        type: 'Feature',
        properties: { vehicle: r.vehicle, type: r.typeId, distance: r.distance, load: r.load, stops: r.ids },
        geometry: { type: 'LineString', coordinates: [starts[r.type] as number, ...r.stops, ends[r.type] as number].map(pt) },
      },
      ...r.stops.map((s, k) => ({
        type: 'Feature',
        properties: { vehicle: r.vehicle, sequence: k + 1, id: r.ids[k] },
        geometry: { type: 'Point', coordinates: pt(s) },
      })),
    ]),
  };
}
