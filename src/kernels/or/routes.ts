/**
 * Distances with named rounding conventions, and an independent feasibility checker and cost
 * evaluator for routing plans (CVRP, VRPTW, TSP). Every plan a solver returns is checked by this
 * code in the tests, so it shares nothing with any solver.
 */
import type { EdgeWeightType, RoutingInstance } from '../../data/tsplib.js';

/**
 * How an edge length is computed from coordinates:
 * - 'nint': TSPLIB EUC_2D, nearest integer (CVRPLIB X, Augerat, TSPLIB);
 * - 'exact': double precision (SINTEF VRPTW BKS);
 * - 'trunc1': truncated to one decimal (DIMACS / CVRPLIB VRPTW BKS);
 * - 'att': TSPLIB pseudo-Euclidean ATT; 'ceil': TSPLIB CEIL_2D.
 */
export type DistanceConvention = 'nint' | 'exact' | 'trunc1' | 'att' | 'ceil';

/** The convention a TSPLIB EDGE_WEIGHT_TYPE prescribes. */
export function conventionOf(ewt: EdgeWeightType): DistanceConvention {
  return ewt === 'EUC_2D' ? 'nint' : ewt === 'ATT' ? 'att' : ewt === 'CEIL_2D' ? 'ceil' : 'exact';
}

/** Edge length between nodes a and b of (x, y) interleaved coordinates. */
export function edgeLength(coords: Float64Array, a: number, b: number, convention: DistanceConvention): number {
  const dx = (coords[2 * a] as number) - (coords[2 * b] as number);
  const dy = (coords[2 * a + 1] as number) - (coords[2 * b + 1] as number);
  const d = Math.sqrt(dx * dx + dy * dy);
  switch (convention) {
    case 'nint':
      return Math.floor(d + 0.5);
    case 'trunc1':
      return Math.floor(d * 10) / 10;
    case 'ceil':
      return Math.ceil(d);
    case 'att': {
      const r = Math.sqrt((dx * dx + dy * dy) / 10);
      const t = Math.floor(r + 0.5);
      return t < r ? t + 1 : t;
    }
    default:
      return d;
  }
}

export interface Violation {
  kind: 'unknown-node' | 'depot-in-route' | 'visited-twice' | 'not-visited' | 'capacity' | 'time-window' | 'depot-return' | 'fleet';
  route?: number;
  node?: number;
  detail: string;
}

export interface PlanCheck {
  feasible: boolean;
  violations: Violation[];
  /** Sum of route lengths under the convention (depot -> route -> depot). */
  cost: number;
  /** Non-empty routes. */
  vehicles: number;
}

/**
 * Checks a plan of routes (0-based customer nodes, depot excluded): every customer exactly once,
 * capacity per route, time windows and the depot's closing time (VRPTW: travel time = distance,
 * arrival before the window waits, service after arrival), and the fleet size when `maxVehicles`
 * is given. Returns the cost under `convention` either way.
 */
export function checkPlan(inst: RoutingInstance, routes: number[][], convention: DistanceConvention, maxVehicles?: number): PlanCheck {
  const violations: Violation[] = [];
  const seen = new Int32Array(inst.dimension);
  let cost = 0;
  let vehicles = 0;
  routes.forEach((route, r) => {
    if (route.length === 0) return;
    vehicles++;
    let load = 0;
    let time = 0;
    let prev = inst.depot;
    for (const node of route) {
      if (!Number.isInteger(node) || node < 0 || node >= inst.dimension) {
        violations.push({ kind: 'unknown-node', route: r, node, detail: `node ${node} is not in the instance` });
        continue;
      }
      if (node === inst.depot) {
        violations.push({ kind: 'depot-in-route', route: r, node, detail: 'the depot appears inside a route' });
        continue;
      }
      seen[node] = (seen[node] as number) + 1;
      const leg = edgeLength(inst.coords, prev, node, convention);
      cost += leg;
      load += inst.demands ? (inst.demands[node] as number) : 0;
      if (inst.timeWindows) {
        const ready = inst.timeWindows[2 * node] as number;
        const due = inst.timeWindows[2 * node + 1] as number;
        time = Math.max(time + leg, ready);
        if (time > due + 1e-9)
          violations.push({
            kind: 'time-window',
            route: r,
            node,
            detail: `arrives at ${time.toFixed(3)} after the window closes at ${due}`,
          });
        time += inst.serviceTimes ? (inst.serviceTimes[node] as number) : 0;
      }
      prev = node;
    }
    const back = edgeLength(inst.coords, prev, inst.depot, convention);
    cost += back;
    if (inst.timeWindows) {
      const close = inst.timeWindows[2 * inst.depot + 1] as number;
      if (time + back > close + 1e-9)
        violations.push({
          kind: 'depot-return',
          route: r,
          detail: `returns at ${(time + back).toFixed(3)} after the depot closes at ${close}`,
        });
    }
    if (inst.capacity !== undefined && load > inst.capacity + 1e-9) {
      violations.push({ kind: 'capacity', route: r, detail: `load ${load} exceeds capacity ${inst.capacity}` });
    }
  });
  for (let n = 0; n < inst.dimension; n++) {
    if (n === inst.depot) continue;
    const s = seen[n] as number;
    if (s === 0 && (inst.demands !== undefined || inst.type === 'TSP'))
      violations.push({ kind: 'not-visited', node: n, detail: `customer ${n} is not visited` });
    if (s > 1) violations.push({ kind: 'visited-twice', node: n, detail: `customer ${n} is visited ${s} times` });
  }
  if (maxVehicles !== undefined && vehicles > maxVehicles)
    violations.push({ kind: 'fleet', detail: `${vehicles} routes for a fleet of ${maxVehicles}` });
  return { feasible: violations.length === 0, violations, cost, vehicles };
}

/** Length of a closed TSP tour (0-based nodes) under the convention. */
export function tourLength(coords: Float64Array, tour: number[], convention: DistanceConvention): number {
  let s = 0;
  for (let i = 0; i < tour.length; i++) s += edgeLength(coords, tour[i] as number, tour[(i + 1) % tour.length] as number, convention);
  return s;
}

/** GeoJSON FeatureCollection (RFC 7946). */
export interface FeatureCollection {
  type: 'FeatureCollection';
  features: Array<{
    type: 'Feature';
    geometry: { type: 'LineString'; coordinates: number[][] } | { type: 'Point'; coordinates: number[] };
    properties: Record<string, unknown>;
  }>;
}

/**
 * Routes as GeoJSON for maps: one LineString per route (depot -> stops -> depot) and one Point
 * per stop and per depot. `latlng` holds (lat, lng) degrees interleaved; GeoJSON positions are
 * written [lng, lat] as RFC 7946 requires. `ids` names the nodes (default: their index).
 */
export function routesToGeoJson(latlng: Float64Array, routes: number[][], depot: number, ids?: readonly string[]): FeatureCollection {
  const pos = (node: number) => [latlng[2 * node + 1] as number, latlng[2 * node] as number];
  const name = (node: number) => ids?.[node] ?? String(node);
  const features: FeatureCollection['features'] = [];
  routes.forEach((route, r) => {
    if (route.length === 0) return;
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: [depot, ...route, depot].map(pos) },
      properties: { kind: 'route', route: r, stops: route.length },
    });
    route.forEach((node, k) => {
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: pos(node) },
        properties: { kind: 'stop', id: name(node), route: r, sequence: k + 1 },
      });
    });
  });
  features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: pos(depot) }, properties: { kind: 'depot', id: name(depot) } });
  return { type: 'FeatureCollection', features };
}
