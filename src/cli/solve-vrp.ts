/**
 * `waybill solve` for vehicle routing: CVRPLIB `.vrp` / `.vrptw`, Solomon / Gehring–Homberger
 * text, or a JSON problem. Draws a progress bar on stderr (TTY: redrawn in place; otherwise a
 * line a second), stops on Ctrl-C with the best plan so far, prints the gap to a known reference
 * (a `.sol` beside the file, or the BKS.csv of its folder, under the same rounding convention)
 * and writes the plan as CVRPLIB `.sol`, JSON or GeoJSON.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { parseSolomon } from '../data/solomon.js';
import { parseSolution, parseTsplib, type RoutingInstance, writeSolution } from '../data/tsplib.js';
import { createEngine } from '../engine.js';
import { WaybillError } from '../errors.js';
import { checkPlan, conventionOf, type DistanceConvention } from '../kernels/or/routes.js';
import type { VrpSolution } from '../kernels/or/vrp.js';
import { type CompiledVrp, compileVrp, type VrpProblem, vrpFromRoutingInstance } from '../kernels/or/vrp-model.js';
import { checkWritable } from './out-path.js';

/** Wall-clock budget when neither --time nor --iterations is given, ms. */
export const DEFAULT_SOLVE_MS = 10_000;

/** TSPLIB / CVRPLIB `TYPE` values that go to the VRP solver. */
export const VRP_TYPES: readonly string[] = ['CVRP', 'VRP', 'VRPTW', 'CVRPTW'];

export interface SolveVrpArgs {
  file: string;
  text: string;
  /** Wall-clock budget, ms; absent: none when maxIterations is given, else {@link DEFAULT_SOLVE_MS}. */
  timeLimitMs?: number;
  seed: number;
  workers: number;
  /** Genetic iterations per worker. */
  maxIterations?: number;
  /** Distance rounding for CVRPLIB / Solomon files (default: nint for EUC_2D CVRP, exact for VRPTW). */
  rounding?: DistanceConvention;
  /** Fleet size for CVRPLIB / Solomon files (default: the file's VEHICLES, else unlimited). */
  vehicles?: number;
  /** `.sol`, `.json` or `.geojson`. */
  out?: string;
  json?: boolean;
}

/** A known best value to compare with, and where it came from. */
export interface VrpReference {
  value: number;
  /** e.g. `X-n101-k25.sol` or `BKS.csv exact-double, 10 vehicles`. */
  source: string;
}

export interface SolveVrpSummary {
  name: string;
  format: VrpFileFormat;
  customers: number;
  /** Rounding convention of the distances (files: the default or --rounding; JSON: its own). */
  rounding?: DistanceConvention;
  cost: number;
  distance: number;
  /** Routes used (vehicles with at least one stop). */
  vehicles: number;
  feasible: boolean;
  unassigned: number;
  iterations: number;
  ms: number;
  bestFoundMs: number;
  cancelled: boolean;
  seed: number;
  workers: number;
  reference?: VrpReference & { gapPct: number };
}

export type VrpFileFormat = 'cvrplib' | 'solomon' | 'json';

function bar(fraction: number, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** 'json' for a JSON problem, 'solomon' for the original Solomon / GH text layout, else 'tsplib'. */
export function detectFormat(text: string): 'json' | 'solomon' | 'tsplib' {
  if (/^\s*[{[]/.test(text)) return 'json';
  if (/^\s*VEHICLE\s*$/im.test(text) && /^\s*CUSTOMER\s*$/im.test(text)) return 'solomon';
  return 'tsplib';
}

export interface LoadedVrp {
  name: string;
  format: VrpFileFormat;
  compiled: CompiledVrp;
  problem: VrpProblem;
  /** The rounding convention of the distances (absent for matrix problems). */
  convention?: DistanceConvention;
  /** The parsed file (CVRPLIB / Solomon only). */
  instance?: RoutingInstance;
}

/**
 * Reads a routing problem from file text with the rounding convention it implies or the one asked
 * for: CVRPLIB CVRP by its EDGE_WEIGHT_TYPE (EUC_2D: nint), VRPTW files (CVRPLIB or Solomon)
 * exact unless `rounding` says otherwise; a JSON problem names its own (then `rounding` and
 * `vehicles` are refused rather than silently ignored).
 */
export function loadVrp(args: Pick<SolveVrpArgs, 'file' | 'text' | 'rounding' | 'vehicles'>, parsed?: RoutingInstance): LoadedVrp {
  const format = detectFormat(args.text);
  if (format === 'json') {
    let problem: VrpProblem;
    try {
      problem = JSON.parse(args.text) as VrpProblem;
    } catch (err) {
      throw new WaybillError('INVALID_ARGUMENT', `${basename(args.file)} is not valid JSON: ${(err as Error).message}`);
    }
    if (args.rounding !== undefined || args.vehicles !== undefined)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `--rounding and --vehicles apply to CVRPLIB and Solomon files; a JSON problem states distances.rounding and vehicleTypes[].count itself`,
      );
    const compiled = compileVrp(problem);
    const convention = problem.distances.matrix ? undefined : (problem.distances.rounding ?? 'exact');
    return {
      name: basename(args.file, extname(args.file)),
      format: 'json',
      compiled,
      problem,
      ...(convention ? { convention } : {}),
    };
  }
  const inst = parsed ?? (format === 'solomon' ? parseSolomon(args.text) : parseTsplib(args.text));
  if (format === 'tsplib' && !VRP_TYPES.includes(inst.type))
    throw new WaybillError(
      'KERNEL_UNSUPPORTED',
      `${basename(args.file)}: TYPE ${inst.type} is not a routing problem (${VRP_TYPES.join(', ')})`,
    );
  const convention = args.rounding ?? (inst.timeWindows ? 'exact' : conventionOf(inst.edgeWeightType));
  const problem = vrpFromRoutingInstance(inst, convention, args.vehicles !== undefined ? { vehicles: args.vehicles } : {});
  return {
    name: inst.name || basename(args.file, extname(args.file)),
    format: format === 'solomon' ? 'solomon' : 'cvrplib',
    compiled: compileVrp(problem),
    problem,
    convention,
    instance: inst,
  };
}

/** Splits one CSV line (double quotes around cells that hold commas). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells.map((c) => c.trim());
}

/** The convention a BKS.csv `distance_convention` cell describes, when it names one. */
function conventionOfLabel(label: string): DistanceConvention | undefined {
  if (/trunc/i.test(label)) return 'trunc1';
  if (/exact/i.test(label)) return 'exact';
  if (/nint|rounded/i.test(label)) return 'nint';
  return undefined;
}

/**
 * A reference value under the same rounding convention: the CVRPLIB `.sol` beside the file (same
 * basename; its `Cost` line is used when the routes it lists re-cost to it under `convention`, so
 * a `.sol` of another convention is never compared with), else the row of the folder's BKS.csv
 * (columns family, instance, n, bks, distance_convention, source, vehicles) whose instance is
 * `name` and whose distance_convention matches `convention`.
 */
export function findReference(
  file: string,
  name: string,
  convention: DistanceConvention | undefined,
  instance?: RoutingInstance,
): VrpReference | undefined {
  if (convention === undefined) return undefined;
  const sol = join(dirname(file), `${basename(file, extname(file))}.sol`);
  if (instance && existsSync(sol)) {
    try {
      const s = parseSolution(readFileSync(sol, 'utf8'), instance.depot);
      if (s.cost !== undefined && Number.isFinite(s.cost)) {
        const recomputed = checkPlan(instance, s.routes, convention).cost;
        if (Math.abs(recomputed - s.cost) <= 0.01 + 1e-9 * Math.abs(s.cost)) return { value: s.cost, source: basename(sol) };
      }
    } catch {
      // an unreadable .sol is no reference
    }
  }
  const csv = join(dirname(file), 'BKS.csv');
  if (!existsSync(csv)) return undefined;
  const [header = '', ...rows] = readFileSync(csv, 'utf8').split(/\r?\n/);
  const col = Object.fromEntries(csvCells(header).map((h, i) => [h, i]));
  const at = (cells: string[], key: string): string => (col[key] === undefined ? '' : (cells[col[key] as number] ?? ''));
  for (const line of rows) {
    if (line.trim() === '') continue;
    const cells = csvCells(line);
    const label = at(cells, 'distance_convention');
    const value = Number(at(cells, 'bks'));
    if (at(cells, 'instance') !== name || conventionOfLabel(label) !== convention || !Number.isFinite(value)) continue;
    const vehicles = at(cells, 'vehicles');
    const short = (label.split(/[;(]/)[0] ?? '').trim();
    return { value, source: `BKS.csv ${short}${vehicles ? `, ${vehicles} vehicles` : ''}` };
  }
  return undefined;
}

/** Checks `--out` before the search starts, so a bad name does not cost the whole time budget. */
function checkOut(out: string, loaded: LoadedVrp): void {
  const ext = extname(out).toLowerCase();
  if (ext === '.json' || ext === '.sol' || ext === '.geojson') checkWritable(out);
  if (ext === '.json') return;
  if (ext === '.sol') {
    if (loaded.compiled.depots !== 1)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `--out ${basename(out)}: CVRPLIB .sol numbering needs one depot, the problem has ${loaded.compiled.depots}`,
      );
    return;
  }
  if (ext === '.geojson') {
    if (!loaded.compiled.coords)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `--out ${basename(out)}: GeoJSON needs coordinates on every node; this problem has a matrix only`,
      );
    return;
  }
  throw new WaybillError(
    'INVALID_ARGUMENT',
    `--out ${basename(out)}: write .sol (CVRPLIB), .json (the full solution) or .geojson (routes)`,
  );
}

/** Gap of `value` above `reference`, %, with float noise below 1e-9 % dropped (so no "-0.00 %"). */
function gapPct(value: number, reference: number): number {
  const g = (100 * (value - reference)) / reference;
  return Math.abs(g) < 1e-9 ? 0 : g;
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/**
 * Solves a routing file and prints the summary (text, or one JSON line with --json) on stdout;
 * the progress bar and an INFEASIBLE line go to stderr. An infeasible plan sets the exit code 2.
 */
export async function solveVrpFile(args: SolveVrpArgs, parsed?: RoutingInstance): Promise<SolveVrpSummary> {
  const loaded = loadVrp(args, parsed);
  const { name, compiled, convention, instance } = loaded;
  if (args.out) checkOut(args.out, loaded);
  const maxIterations = args.maxIterations ?? 0;
  // --iterations alone runs until the iterations are done; with --time too, whichever comes first.
  const timeLimitMs = args.timeLimitMs ?? (maxIterations > 0 ? 0 : DEFAULT_SOLVE_MS);
  const engine = createEngine({ workers: 0 });
  const tty = process.stderr.isTTY === true;
  const ac = new AbortController();
  // A TTY progress line is redrawn in place; end it before anything else goes to stderr.
  let lineOpen = false;
  const endLine = () => {
    if (lineOpen) process.stderr.write('\n');
    lineOpen = false;
  };
  const onSigint = () => {
    endLine();
    process.stderr.write('interrupted: stopping with the best plan so far (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  let lastLine = Number.NEGATIVE_INFINITY;
  try {
    const sol: VrpSolution = await engine.kernels.or.solveVrp(compiled, {
      seed: args.seed,
      workers: args.workers,
      timeLimitMs,
      maxIterations,
      signal: ac.signal,
      onProgress: (p) => {
        const byTime = timeLimitMs > 0 ? p.elapsedMs / timeLimitMs : 0;
        const byIterations = maxIterations > 0 ? p.iterations / (maxIterations * args.workers) : 0;
        const clock =
          timeLimitMs > 0
            ? `${(p.elapsedMs / 1000).toFixed(1)}/${(timeLimitMs / 1000).toFixed(1)} s`
            : `${(p.elapsedMs / 1000).toFixed(1)} s`;
        const its = maxIterations > 0 ? `${p.iterations}/${maxIterations * args.workers}` : String(p.iterations);
        const best = Number.isFinite(p.best) ? formatNumber(p.best) : '-';
        const line = `${bar(Math.max(byTime, byIterations))} ${clock}  best ${best} ${p.feasible ? 'feasible' : 'INFEASIBLE'}  iterations ${its}`;
        if (tty) {
          process.stderr.write(`\r${line}\x1b[K`);
          lineOpen = true;
        } else if (p.elapsedMs - lastLine >= 1000) {
          lastLine = p.elapsedMs;
          process.stderr.write(`${line}\n`);
        }
      },
    });
    endLine();
    const ref = findReference(args.file, name, convention, instance);
    const routes = sol.routes.filter((r) => r.stops.length > 0);
    const summary: SolveVrpSummary = {
      name,
      format: loaded.format,
      customers: compiled.n - compiled.depots,
      ...(convention ? { rounding: convention } : {}),
      cost: sol.cost,
      distance: sol.distance,
      vehicles: routes.length,
      feasible: sol.feasible,
      unassigned: sol.unassigned.length,
      iterations: sol.iterations,
      ms: sol.elapsedMs,
      bestFoundMs: sol.bestFoundMs,
      cancelled: sol.cancelled,
      seed: sol.seed,
      workers: args.workers,
      // References (CVRPLIB, Solomon, GH) are total distances; for these files cost = distance.
      ...(ref ? { reference: { ...ref, gapPct: gapPct(sol.cost, ref.value) } } : {}),
    };
    if (args.out) writePlan(args.out, sol, loaded);
    if (args.json) {
      console.log(JSON.stringify({ ...summary, routes: routes.map((r) => r.stops), violations: sol.violations }));
    } else {
      const lines = [
        `${name}: ${summary.customers} customers${convention ? `, rounding ${convention}` : ''}${sol.cancelled ? ' (interrupted: best plan so far)' : ''}`,
        `  cost ${formatNumber(sol.cost)}, distance ${formatNumber(sol.distance)}, ${summary.vehicles} route${summary.vehicles === 1 ? '' : 's'}, ${sol.feasible ? 'feasible' : 'INFEASIBLE'}, ${summary.unassigned} unassigned`,
        `  ${sol.iterations} iterations in ${(sol.elapsedMs / 1000).toFixed(1)} s (best found at ${(sol.bestFoundMs / 1000).toFixed(1)} s), seed ${sol.seed}, ${args.workers} worker${args.workers === 1 ? '' : 's'}`,
      ];
      if (summary.reference)
        lines.push(
          `  gap ${summary.reference.gapPct.toFixed(2)} % to BKS ${summary.reference.value} (${summary.reference.source})${sol.feasible ? '' : ' (but the plan is infeasible)'}`,
        );
      else
        lines.push(
          `  no reference value found${convention ? ` under rounding ${convention}` : ''} (no matching .sol beside the file or BKS.csv row)`,
        );
      if (args.out) lines.push(`  plan written to ${args.out}`);
      console.log(lines.join('\n'));
    }
    if (!sol.feasible) {
      const first = sol.violations
        .slice(0, 5)
        .map((v) => `\n  ${v.kind}${v.route !== undefined ? ` (route ${v.route + 1})` : ''}: ${v.detail}`);
      const more = sol.violations.length > first.length ? `\n  ... and ${sol.violations.length - first.length} more` : '';
      console.error(`INFEASIBLE: the plan breaks ${sol.violations.length} constraint(s):${first.join('')}${more}`);
      process.exitCode = 2;
    }
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
}

function writePlan(out: string, sol: VrpSolution, loaded: LoadedVrp): void {
  const c = loaded.compiled;
  const ext = extname(out).toLowerCase();
  if (ext === '.sol') {
    // CVRPLIB numbering: customers 1..n, the depot implicit. With one depot (node 0) the
    // customer node index is already that number.
    const routes = sol.routes.filter((r) => r.stops.length > 0).map((r) => r.stops.map((s) => s - c.depots + 1));
    writeFileSync(out, writeSolution({ routes, cost: sol.cost }));
  } else if (ext === '.geojson') {
    const nodes = [...loaded.problem.depots, ...loaded.problem.customers];
    const planar = loaded.problem.distances.metric !== 'haversine' && nodes.every((p) => p.x !== undefined && p.y !== undefined);
    writeFileSync(out, `${JSON.stringify(planGeoJson(sol, c, loaded.name, planar))}\n`);
  } else {
    writeFileSync(out, `${JSON.stringify(sol, null, 1)}\n`);
  }
}

/**
 * The plan as a GeoJSON FeatureCollection: one LineString per used route (start depot -> stops ->
 * end depot), one Point per stop and per depot. Positions are the problem's own coordinates:
 * [lng, lat] degrees for haversine problems, but plain planar (x, y) for CVRPLIB / Solomon files
 * and euclidean JSON problems — not WGS84, so a web map will place them near (0, 0); the
 * collection says which in its `coordinateSystem` member.
 */
export function planGeoJson(sol: VrpSolution, c: CompiledVrp, name: string, planar: boolean): object {
  const xy = c.coords;
  if (!xy) throw new WaybillError('INVALID_ARGUMENT', 'GeoJSON needs coordinates: this problem has only a matrix');
  const pt = (i: number) => [xy[2 * i] as number, xy[2 * i + 1] as number];
  const depotIds = c.depotIds;
  const routes = sol.routes.filter((r) => r.stops.length > 0);
  return {
    type: 'FeatureCollection',
    name,
    coordinateSystem: planar ? 'planar x, y (not WGS84)' : 'lng, lat degrees (WGS84)',
    features: [
      ...routes.flatMap((r, k) => [
        {
          type: 'Feature',
          properties: {
            kind: 'route',
            route: k,
            vehicle: r.vehicle,
            vehicleType: r.typeId,
            distance: r.distance,
            load: r.load,
            stops: r.ids,
          },
          geometry: {
            type: 'LineString',
            coordinates: [c.typeStartDepot[r.type] as number, ...r.stops, c.typeEndDepot[r.type] as number].map(pt),
          },
        },
        ...r.stops.map((s, i) => ({
          type: 'Feature',
          properties: { kind: 'stop', id: r.ids[i], route: k, sequence: i + 1 },
          geometry: { type: 'Point', coordinates: pt(s) },
        })),
      ]),
      ...depotIds.map((id, d) => ({ type: 'Feature', properties: { kind: 'depot', id }, geometry: { type: 'Point', coordinates: pt(d) } })),
    ],
  };
}
