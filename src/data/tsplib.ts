/**
 * Readers and writers for the TSPLIB family of routing formats: TSPLIB `.tsp` and `.tour`,
 * CVRPLIB `.vrp` (CVRP and the VRPTW variant used by PyVRP / LKH-3 for Solomon and
 * Gehring-Homberger: TIME_WINDOW_SECTION, SERVICE_TIME) and CVRPLIB `.sol` solutions.
 * Node numbers in files are 1-based; in memory everything is 0-based with the depot at its own
 * index (usually 0). In `.sol` files customers are numbered 1..n and the depot is implicit.
 */
import { WaybillError } from '../errors.js';

export type EdgeWeightType = 'EUC_2D' | 'EXACT_2D' | 'ATT' | 'CEIL_2D';

export interface RoutingInstance {
  name: string;
  /** TSP, CVRP, VRPTW, CVRPTW, ... as written in the file. */
  type: string;
  /** Nodes, depot included. */
  dimension: number;
  edgeWeightType: EdgeWeightType;
  /** (x, y) interleaved, 2 * dimension. */
  coords: Float64Array;
  /** Per node (0 for the depot); absent for TSP. */
  demands?: Float64Array;
  capacity?: number;
  /** Fleet size when the file states it (VEHICLES). */
  vehicles?: number;
  /** 0-based depot node. */
  depot: number;
  /** [ready, due] per node, interleaved (VRPTW). */
  timeWindows?: Float64Array;
  /** Service time per node (VRPTW; SERVICE_TIME applies to every customer unless a section gives them). */
  serviceTimes?: Float64Array;
}

function fail(what: string, line?: number): never {
  throw new WaybillError(
    'INVALID_ARGUMENT',
    line === undefined ? what : `line ${line}: ${what}`,
    line === undefined ? undefined : { line },
  );
}

function numbers(line: string, count: number, lineNo: number): number[] {
  const parts = line.trim().split(/\s+/).map(Number);
  if (parts.length < count || parts.slice(0, count).some((v) => !Number.isFinite(v)))
    fail(`expected ${count} numbers, got "${line.trim()}"`, lineNo);
  return parts;
}

/** Parses a TSPLIB / CVRPLIB instance (`.tsp`, `.vrp`, `.vrptw`). */
export function parseTsplib(text: string): RoutingInstance {
  const lines = text.split(/\r?\n/);
  const spec: Record<string, string> = {};
  let i = 0;
  const sections: Record<string, Array<{ line: string; no: number }>> = {};
  let current: string | undefined;
  for (; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = raw.trim();
    if (line === '' || line === 'EOF') continue;
    const m = /^([A-Z_]+)\s*:\s*(.*)$/.exec(line);
    if (m && !/^\d/.test(line)) {
      spec[m[1] as string] = (m[2] as string).trim().replace(/^"|"$/g, '');
      current = undefined;
      continue;
    }
    if (/^[A-Z_]+_SECTION$/.test(line)) {
      current = line;
      sections[current] = [];
      continue;
    }
    if (current) (sections[current] as Array<{ line: string; no: number }>).push({ line, no: i + 1 });
    else fail(`unexpected line "${line}"`, i + 1);
  }
  const dimension = Number(spec.DIMENSION);
  if (!Number.isInteger(dimension) || dimension < 1) fail(`DIMENSION missing or invalid (${spec.DIMENSION})`);
  const ewt = (spec.EDGE_WEIGHT_TYPE ?? 'EUC_2D') as EdgeWeightType;
  if (!['EUC_2D', 'EXACT_2D', 'ATT', 'CEIL_2D'].includes(ewt))
    fail(`EDGE_WEIGHT_TYPE ${ewt} is not supported (EUC_2D, EXACT_2D, ATT, CEIL_2D)`);
  const coordsLines = sections.NODE_COORD_SECTION;
  if (!coordsLines) fail('NODE_COORD_SECTION missing (explicit matrices are not supported yet)');
  const perNode = (name: string, width: number): Array<number[]> | undefined => {
    const rows = sections[name];
    if (!rows) return undefined;
    // Rows by node, kept sparse until every node is known to be there: a huge DIMENSION over a
    // short section must fail on the missing node, not allocate for DIMENSION nodes first.
    const byNode = new Map<number, number[]>();
    for (const { line, no } of rows) {
      const v = numbers(line, width + 1, no);
      const id = (v[0] as number) - 1;
      if (!Number.isInteger(id) || id < 0 || id >= dimension) fail(`node ${v[0]} outside 1..${dimension}`, no);
      if (byNode.has(id)) fail(`${name} lists node ${v[0]} twice`, no);
      byNode.set(id, v.slice(1, width + 1));
    }
    for (let n = 0; n < dimension; n++) if (!byNode.has(n)) fail(`${name} has no entry for node ${n + 1}`);
    return Array.from({ length: dimension }, (_, n) => byNode.get(n) as number[]);
  };
  const nodeCoords = perNode('NODE_COORD_SECTION', 2) as number[][];
  const coords = new Float64Array(2 * dimension);
  nodeCoords.forEach((xy, n) => {
    coords[2 * n] = xy[0] as number;
    coords[2 * n + 1] = xy[1] as number;
  });
  const inst: RoutingInstance = {
    name: spec.NAME ?? '',
    type: (spec.TYPE ?? 'TSP').split(/\s/)[0] as string,
    dimension,
    edgeWeightType: ewt,
    coords,
    depot: 0,
  };
  const specNumber = (key: string, ok: (v: number) => boolean, rule: string): number | undefined => {
    const raw = spec[key];
    if (raw === undefined) return undefined;
    const v = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!ok(v)) fail(`${key} must be ${rule}, got "${raw}"`);
    return v;
  };
  const demands = perNode('DEMAND_SECTION', 1);
  if (demands) inst.demands = Float64Array.from(demands.map((d) => d[0] as number));
  const capacity = specNumber('CAPACITY', (v) => Number.isFinite(v) && v >= 0, 'a number >= 0');
  if (capacity !== undefined) inst.capacity = capacity;
  const vehicles = specNumber('VEHICLES', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  if (vehicles !== undefined) inst.vehicles = vehicles;
  const depotRows = sections.DEPOT_SECTION;
  if (depotRows && depotRows.length > 0) {
    const ids = depotRows.map((r) => Number(r.line)).filter((v) => v !== -1);
    if (ids.length !== 1) fail(`exactly one depot is supported, DEPOT_SECTION lists ${ids.length}`);
    const depot = ids[0] as number;
    if (!Number.isInteger(depot) || depot < 1 || depot > dimension) {
      const row = depotRows.find((r) => Number(r.line) !== -1) as { line: string; no: number };
      fail(`depot "${row.line}" is not a node in 1..${dimension}`, row.no);
    }
    inst.depot = depot - 1;
  }
  const tw = perNode('TIME_WINDOW_SECTION', 2);
  if (tw) {
    inst.timeWindows = new Float64Array(2 * dimension);
    tw.forEach((w, n) => {
      (inst.timeWindows as Float64Array)[2 * n] = w[0] as number;
      (inst.timeWindows as Float64Array)[2 * n + 1] = w[1] as number;
    });
  }
  const service = perNode('SERVICE_TIME_SECTION', 1);
  if (service) inst.serviceTimes = Float64Array.from(service.map((s) => s[0] as number));
  else if (spec.SERVICE_TIME !== undefined) {
    const service = specNumber('SERVICE_TIME', (v) => Number.isFinite(v) && v >= 0, 'a number >= 0') as number;
    inst.serviceTimes = new Float64Array(dimension).fill(service);
    inst.serviceTimes[inst.depot] = 0;
  }
  return inst;
}

/** A CVRPLIB solution: routes of 0-based node indices (depot excluded), and the stated cost. */
export interface RoutingSolution {
  routes: number[][];
  cost?: number;
}

/**
 * Parses a CVRPLIB `.sol` ("Route #k: c1 c2 ...", "Cost X"). Customers in the file are 1..n with
 * the depot implicit; `depot` (0-based node of the instance) maps them back to node indices.
 */
export function parseSolution(text: string, depot = 0): RoutingSolution {
  const routes: number[][] = [];
  let cost: number | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const r = /^Route\s*#\s*\d+\s*:\s*(.*)$/i.exec(line);
    if (r) {
      const ids = (r[1] as string).trim() === '' ? [] : (r[1] as string).trim().split(/\s+/).map(Number);
      if (ids.some((v) => !Number.isInteger(v) || v < 1)) fail(`route with a bad customer number: "${line}"`, i + 1);
      // Customer c (1-based, depot skipped) is node c when the depot is node 0.
      routes.push(ids.map((c) => (c <= depot ? c - 1 : c)));
      return;
    }
    const c = /^Cost\s+([-+0-9.eE]+)/i.exec(line);
    if (c) {
      cost = Number(c[1]);
      return;
    }
    fail(`unexpected line "${line}"`, i + 1);
  });
  return cost === undefined ? { routes } : { routes, cost };
}

/** Writes a CVRPLIB `.sol`. */
export function writeSolution(sol: RoutingSolution, depot = 0): string {
  const lines = sol.routes.map((r, k) => `Route #${k + 1}: ${r.map((n) => (n < depot ? n + 1 : n)).join(' ')}`);
  if (sol.cost !== undefined) lines.push(`Cost ${sol.cost}`);
  return `${lines.join('\n')}\n`;
}

/** Parses a TSPLIB `.tour` (TOUR_SECTION, ends with -1): 0-based node order. */
export function parseTour(text: string): number[] {
  const at = text.indexOf('TOUR_SECTION');
  if (at < 0) fail('TOUR_SECTION missing');
  const tour: number[] = [];
  for (const tok of text.slice(at + 'TOUR_SECTION'.length).split(/\s+/)) {
    if (tok === '' || tok === 'EOF') continue;
    const v = Number(tok);
    if (v === -1) break;
    if (!Number.isInteger(v) || v < 1) fail(`bad node "${tok}" in TOUR_SECTION`);
    tour.push(v - 1);
  }
  return tour;
}
