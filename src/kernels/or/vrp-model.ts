/**
 * The vehicle routing problem model: the JSON schema callers send (TypeBox), its validation and
 * compilation into the flat typed arrays the native solver reads, a converter from parsed CVRPLIB /
 * Solomon instances, and an independent feasibility checker and cost evaluator for VRP plans.
 *
 * Node indexing everywhere: depots are nodes 0..D-1, customers nodes D..D+C-1 in the order given.
 *
 * Units:
 * - metric 'euclidean': distances in coordinate units under the named rounding convention, and
 *   travel times equal to distances (Solomon convention) unless a `durations` matrix is given; time
 *   windows, service times and `maxDuration` are in the same unit.
 * - metric 'haversine': distances in kilometres (great circle, mean Earth radius 6371.0088 km) and
 *   travel times in seconds at `speedKmh` (default 30 km/h); time windows, service times and
 *   `maxDuration` are then in seconds.
 * - a user matrix: whatever unit the caller uses, consistently.
 */

import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { RoutingInstance } from '../../data/tsplib.js';
import { WaybillError } from '../../errors.js';
import { haversine } from '../geo/haversine-matrix.js';
import { EARTH_RADIUS_M } from '../geo/types.js';
import { type DistanceConvention, edgeLength } from './routes.js';

/** Capacity dimensions the native solver supports. */
export const VRP_MAX_DIMS = 8;

/** Default vehicle speed for haversine travel times, km/h. */
export const DEFAULT_SPEED_KMH = 30;

const EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000;

const windowFields = {
  twStart: Type.Optional(Type.Number({ description: 'window opens (time unit of the problem); default 0' })),
  twEnd: Type.Optional(Type.Number({ description: 'window closes; default none' })),
};

const Quantity = Type.Union([Type.Number(), Type.Array(Type.Number())], {
  description: 'a number (one capacity dimension) or one number per dimension (at most 8)',
});

const Depot = Type.Object(
  {
    id: Type.Optional(Type.String()),
    x: Type.Optional(Type.Number()),
    y: Type.Optional(Type.Number()),
    lat: Type.Optional(Type.Number({ description: 'degrees' })),
    lng: Type.Optional(Type.Number({ description: 'degrees' })),
    ...windowFields,
  },
  { additionalProperties: false },
);

const Customer = Type.Object(
  {
    id: Type.Optional(Type.String()),
    x: Type.Optional(Type.Number()),
    y: Type.Optional(Type.Number()),
    lat: Type.Optional(Type.Number({ description: 'degrees' })),
    lng: Type.Optional(Type.Number({ description: 'degrees' })),
    demand: Quantity,
    serviceTime: Type.Optional(Type.Number({ description: 'time spent at the stop; default 0' })),
    ...windowFields,
    penalty: Type.Optional(
      Type.Number({ description: 'present: the visit is optional and leaving it out costs this; absent: the visit is required' }),
    ),
  },
  { additionalProperties: false },
);

const VehicleType = Type.Object(
  {
    id: Type.Optional(Type.String()),
    count: Type.Optional(
      Type.Integer({ minimum: 1, description: 'vehicles of this type; absent: unlimited (so is any count above the number of customers)' }),
    ),
    capacity: Quantity,
    fixedCost: Type.Optional(Type.Number({ default: 0, description: 'paid once per vehicle used' })),
    costPerDistance: Type.Optional(Type.Number({ default: 1 })),
    costPerTime: Type.Optional(Type.Number({ default: 0, description: 'per unit of route duration' })),
    maxDuration: Type.Optional(Type.Number({ description: 'longest route duration; default none' })),
    startDepot: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'depot index (0..depots-1)' })),
    endDepot: Type.Optional(Type.Integer({ minimum: 0, description: 'depot index; default startDepot' })),
    twStart: Type.Optional(Type.Number({ description: 'shift start: earliest departure; default 0' })),
    twEnd: Type.Optional(Type.Number({ description: 'shift end: latest return; default none' })),
  },
  { additionalProperties: false },
);

const MatrixEntry = Type.Union([Type.Number(), Type.Null()], { description: 'null (or Infinity from JavaScript): no arc' });

const Distances = Type.Object(
  {
    matrix: Type.Optional(
      Type.Array(Type.Array(MatrixEntry), { description: 'n x n distances over all nodes, depots first, then customers' }),
    ),
    durations: Type.Optional(Type.Array(Type.Array(MatrixEntry), { description: 'n x n travel times; default: the distances' })),
    metric: Type.Optional(Type.Union([Type.Literal('euclidean'), Type.Literal('haversine')])),
    rounding: Type.Optional(
      Type.Union([Type.Literal('nint'), Type.Literal('exact'), Type.Literal('trunc1'), Type.Literal('ceil'), Type.Literal('att')], {
        description:
          "edge rounding: 'nint' (CVRPLIB / TSPLIB EUC_2D), 'trunc1' (Solomon / DIMACS, one decimal truncated), 'exact'; required for euclidean",
      }),
    ),
    speedKmh: Type.Optional(Type.Number({ description: 'haversine only: travel speed for durations, km/h; default 30' })),
    scale: Type.Optional(
      Type.Number({ description: 'coordinate distances are multiplied by this before rounding (e.g. 1000: metres); default 1' }),
    ),
  },
  { additionalProperties: false },
);

/** A VRP as sent by callers (JSON). See the module comment for node indexing and units. */
export const VrpProblemSchema = Type.Object(
  {
    depots: Type.Array(Depot, { minItems: 1 }),
    customers: Type.Array(Customer),
    vehicleTypes: Type.Array(VehicleType, { minItems: 1 }),
    distances: Distances,
  },
  { additionalProperties: false, title: 'VrpProblem' },
);

export type VrpProblem = Static<typeof VrpProblemSchema>;

/**
 * A validated problem as flat typed arrays: the layout the native solver's binding reads. All
 * matrices are n x n row-major; an arc without a connection is +Infinity.
 */
export interface CompiledVrp {
  /** Nodes = depots + customers. */
  n: number;
  /** D: nodes 0..D-1 are depots. */
  depots: number;
  /** Capacity dimensions (1..8); a scalar demand / capacity is one dimension. */
  dims: number;
  /** n x n distances. */
  dist: Float64Array;
  /** n x n travel times (a copy of the distances when travel time = distance). */
  time: Float64Array;
  /** n x dims, row-major (0 for depots). */
  demand: Float64Array;
  /** Service time per node (0 for depots). */
  service: Float64Array;
  /** Window opening per node; 0 when none. */
  early: Float64Array;
  /** Window closing per node; +Infinity when none. */
  late: Float64Array;
  /** Cost of leaving a node out; +Infinity = required (always for depots). */
  penalty: Float64Array;
  /** 2n: (x, y), or (lng, lat) degrees, when every node has coordinates. */
  coords?: Float64Array;
  /** T: vehicle types. */
  types: number;
  /** Vehicles per type (unlimited compiles to max(1, customers)). */
  typeCount: Int32Array;
  /** T x dims. */
  typeCapacity: Float64Array;
  typeFixed: Float64Array;
  typeCostDistance: Float64Array;
  typeCostTime: Float64Array;
  /** +Infinity = no limit. */
  typeMaxDuration: Float64Array;
  /** Depot node (0..D-1) each type starts from / returns to. */
  typeStartDepot: Int32Array;
  typeEndDepot: Int32Array;
  /** Earliest departure (default 0) and latest return (default +Infinity). */
  typeShiftStart: Float64Array;
  typeShiftEnd: Float64Array;
  /** Ids as given, or generated: customers 'c1', 'c2', ...; depots 'd0', ...; types 't0', .... */
  customerIds: string[];
  depotIds: string[];
  typeIds: string[];
  /** Whether time matters: any window, shift, duration limit, time cost or non-zero service time. */
  timeUsed: boolean;
}

// ----------------------------------------------------------------------------------------------
// Structural validation (TypeBox), then semantic checks by hand.

let validator: ReturnType<typeof Compile<TSchema>> | undefined;

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

function pathSegments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const s of pathSegments(pointer)) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

/** '/customers/3/demand' -> 'customers[3].demand'. */
function fieldOf(pointer: string, extra?: string): string {
  const segs = pathSegments(pointer);
  if (extra !== undefined) segs.push(extra);
  let out = '';
  for (const s of segs) out += /^\d+$/.test(s) ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

function checkStructure(problem: unknown): void {
  validator ??= Compile(VrpProblemSchema as TSchema);
  if (validator.Check(problem)) return;
  // +Infinity in a matrix means "no arc", as null does in JSON; the schema cannot say so.
  const errors = (validator.Errors(problem) as SchemaError[]).filter(
    (e) => !(/^\/distances\/(matrix|durations)\/\d+\/\d+$/.test(e.instancePath) && valueAt(problem, e.instancePath) === Infinity),
  );
  if (errors.length === 0) return;
  let best = errors[0] as SchemaError;
  for (const e of errors) if (pathSegments(e.instancePath).length > pathSegments(best.instancePath).length) best = e;
  const value = valueAt(problem, best.instancePath);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    const field = fieldOf(best.instancePath);
    throw new WaybillError('NOT_FINITE', `${field} is ${value}`, { field });
  }
  if (best.keyword === 'required') {
    const missing = (best.params.requiredProperties as string[] | undefined)?.[0] ?? '?';
    const field = fieldOf(best.instancePath, missing);
    throw new WaybillError('INVALID_ARGUMENT', `${field} is required`, { field });
  }
  const field = fieldOf(best.instancePath);
  if (best.keyword === 'boolean' || best.keyword === 'additionalProperties') {
    const extra =
      best.keyword === 'additionalProperties'
        ? fieldOf(best.instancePath, String((best.params.additionalProperties as string[])[0]))
        : field;
    throw new WaybillError('INVALID_ARGUMENT', `${extra} is not a known property`, { field: extra });
  }
  const same = errors.filter((e) => e.instancePath === best.instancePath && e.keyword !== 'anyOf');
  const allowed = same.filter((e) => e.keyword === 'const').map((e) => JSON.stringify(e.params.allowedValue));
  const message =
    allowed.length > 0 && allowed.length === same.length
      ? `must be one of ${allowed.join(', ')}`
      : [...new Set(same.map((e) => e.message))].join(' or ') || best.message;
  throw new WaybillError('INVALID_ARGUMENT', `${field || 'problem'}: ${message}`, { field: field || 'problem' });
}

function bad(
  code: 'INVALID_ARGUMENT' | 'INVALID_LENGTH' | 'NOT_FINITE' | 'INFEASIBLE' | 'COORDINATE_OUT_OF_RANGE',
  field: string,
  what: string,
  more?: Record<string, unknown>,
): never {
  throw new WaybillError(code, `${field}: ${what}`, { field, ...more });
}

function nonNegative(v: number | undefined, field: string): void {
  if (v !== undefined && v < 0) bad('INVALID_ARGUMENT', field, `must be >= 0, got ${v}`);
}

/** A scalar or vector quantity as exactly `dims` non-negative values. */
function quantity(q: number | number[], dims: number, field: string, out: Float64Array, offset: number): void {
  const values = typeof q === 'number' ? [q] : q;
  if (values.length !== dims) bad('INVALID_LENGTH', field, `has ${values.length} dimension(s), the capacities have ${dims}`);
  values.forEach((v, k) => {
    if (v < 0) bad('INVALID_ARGUMENT', typeof q === 'number' ? field : `${field}[${k}]`, `must be >= 0, got ${v}`);
    out[offset + k] = v;
  });
}

function windowOf(o: { twStart?: number; twEnd?: number }, field: string): [number, number] {
  const early = o.twStart ?? 0;
  const late = o.twEnd ?? Infinity;
  if (late < early) bad('INVALID_ARGUMENT', `${field}.twEnd`, `window closes (${late}) before it opens (${early})`);
  return [early, late];
}

function uniqueIds(ids: Array<string | undefined>, list: string): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    if (id === undefined) return;
    if (seen.has(id)) bad('INVALID_ARGUMENT', `${list}[${i}].id`, `duplicate id "${id}" (also ${list}[${seen.get(id)}])`);
    seen.set(id, i);
  });
}

/** Reads a user matrix (n x n, null / +Infinity = no arc) into a Float64Array. */
function userMatrix(m: Array<Array<number | null>>, n: number, field: string): Float64Array {
  if (m.length !== n)
    bad('INVALID_LENGTH', field, `has ${m.length} rows, expected ${n} (depots + customers)`, { rows: m.length, expected: n });
  const out = new Float64Array(n * n);
  m.forEach((row, i) => {
    if (row.length !== n) bad('INVALID_LENGTH', `${field}[${i}]`, `has ${row.length} entries, expected ${n}`, { row: i, expected: n });
    row.forEach((v, j) => {
      const x = v === null ? Infinity : v;
      if (Number.isNaN(x) || x === -Infinity) bad('NOT_FINITE', `${field}[${i}][${j}]`, `is ${x}`);
      if (x < 0) bad('INVALID_ARGUMENT', `${field}[${i}][${j}]`, `must be >= 0, got ${x}`);
      out[i * n + j] = x;
    });
  });
  return out;
}

interface NodeInput {
  x?: number;
  y?: number;
  lat?: number;
  lng?: number;
}

/**
 * Validates a problem and flattens it for the native solver. Throws a {@link WaybillError} whose
 * `details.field` names the offending field (e.g. `customers[3].demand`, `distances.matrix[2]`):
 * NOT_FINITE for NaN / infinities, INVALID_LENGTH for ragged matrices and mismatched dimension
 * counts, INVALID_ARGUMENT for other bad values, COORDINATE_OUT_OF_RANGE for bad lat / lng, and
 * INFEASIBLE when a required customer fits no vehicle type or no vehicle type can serve it alone
 * within its window, the shift, the depot windows and the duration limit.
 */
export function compileVrp(problem: VrpProblem): CompiledVrp {
  checkStructure(problem);
  const D = problem.depots.length;
  const C = problem.customers.length;
  const n = D + C;
  const T = problem.vehicleTypes.length;
  uniqueIds(
    problem.depots.map((d) => d.id),
    'depots',
  );
  uniqueIds(
    problem.customers.map((c) => c.id),
    'customers',
  );
  uniqueIds(
    problem.vehicleTypes.map((t) => t.id),
    'vehicleTypes',
  );

  // Vehicle types; the first capacity fixes the number of dimensions.
  const cap0 = (problem.vehicleTypes[0] as VrpProblem['vehicleTypes'][number]).capacity;
  const dims = typeof cap0 === 'number' ? 1 : cap0.length;
  if (dims < 1 || dims > VRP_MAX_DIMS)
    bad('INVALID_LENGTH', 'vehicleTypes[0].capacity', `has ${dims} dimensions, between 1 and ${VRP_MAX_DIMS} are supported`);
  const typeCount = new Int32Array(T);
  const typeCapacity = new Float64Array(T * dims);
  const typeFixed = new Float64Array(T);
  const typeCostDistance = new Float64Array(T);
  const typeCostTime = new Float64Array(T);
  const typeMaxDuration = new Float64Array(T);
  const typeStartDepot = new Int32Array(T);
  const typeEndDepot = new Int32Array(T);
  const typeShiftStart = new Float64Array(T);
  const typeShiftEnd = new Float64Array(T);
  problem.vehicleTypes.forEach((v, t) => {
    const f = `vehicleTypes[${t}]`;
    // A route serves at least one customer, so more vehicles than customers is the unlimited fleet
    // (a count like 1e15 also does not fit the Int32Array, and the solver sizes its slots by it).
    typeCount[t] = Math.min(v.count ?? Number.POSITIVE_INFINITY, Math.max(1, C));
    quantity(v.capacity, dims, `${f}.capacity`, typeCapacity, t * dims);
    nonNegative(v.fixedCost, `${f}.fixedCost`);
    nonNegative(v.costPerDistance, `${f}.costPerDistance`);
    nonNegative(v.costPerTime, `${f}.costPerTime`);
    if (v.maxDuration !== undefined && v.maxDuration <= 0) bad('INVALID_ARGUMENT', `${f}.maxDuration`, `must be > 0, got ${v.maxDuration}`);
    typeFixed[t] = v.fixedCost ?? 0;
    typeCostDistance[t] = v.costPerDistance ?? 1;
    typeCostTime[t] = v.costPerTime ?? 0;
    typeMaxDuration[t] = v.maxDuration ?? Infinity;
    const start = v.startDepot ?? 0;
    const end = v.endDepot ?? start;
    if (start >= D) bad('INVALID_ARGUMENT', `${f}.startDepot`, `depot ${start} does not exist (${D} depot(s))`);
    if (end >= D) bad('INVALID_ARGUMENT', `${f}.endDepot`, `depot ${end} does not exist (${D} depot(s))`);
    typeStartDepot[t] = start;
    typeEndDepot[t] = end;
    [typeShiftStart[t], typeShiftEnd[t]] = windowOf(v, f);
  });

  // Nodes.
  const demand = new Float64Array(n * dims);
  const service = new Float64Array(n);
  const early = new Float64Array(n);
  const late = new Float64Array(n);
  const penalty = new Float64Array(n).fill(Infinity);
  problem.depots.forEach((d, i) => {
    [early[i], late[i]] = windowOf(d, `depots[${i}]`);
  });
  problem.customers.forEach((c, k) => {
    const f = `customers[${k}]`;
    const node = D + k;
    quantity(c.demand, dims, `${f}.demand`, demand, node * dims);
    nonNegative(c.serviceTime, `${f}.serviceTime`);
    nonNegative(c.penalty, `${f}.penalty`);
    service[node] = c.serviceTime ?? 0;
    [early[node], late[node]] = windowOf(c, f);
    if (c.penalty !== undefined) penalty[node] = c.penalty;
  });

  // Distances and travel times.
  const dsrc = problem.distances;
  const nodes: Array<{ p: NodeInput; field: string }> = [
    ...problem.depots.map((p, i) => ({ p, field: `depots[${i}]` })),
    ...problem.customers.map((p, k) => ({ p, field: `customers[${k}]` })),
  ];
  let dist: Float64Array;
  let time: Float64Array | undefined;
  if (dsrc.matrix !== undefined) {
    for (const key of ['metric', 'rounding', 'speedKmh', 'scale'] as const)
      if (dsrc[key] !== undefined)
        bad(
          'INVALID_ARGUMENT',
          `distances.${key}`,
          'applies to coordinate distances; give either a matrix or coordinates + metric, not both',
        );
    dist = userMatrix(dsrc.matrix, n, 'distances.matrix');
  } else {
    if (dsrc.metric === undefined) bad('INVALID_ARGUMENT', 'distances', "give a distance matrix or a metric ('euclidean' or 'haversine')");
    const scale = dsrc.scale ?? 1;
    if (scale <= 0) bad('INVALID_ARGUMENT', 'distances.scale', `must be > 0, got ${scale}`);
    if (dsrc.metric === 'euclidean') {
      if (dsrc.rounding === undefined)
        bad('INVALID_ARGUMENT', 'distances.rounding', "name the rounding convention for euclidean distances ('nint', 'trunc1' or 'exact')");
      if (dsrc.speedKmh !== undefined) bad('INVALID_ARGUMENT', 'distances.speedKmh', 'applies to haversine distances only');
      const xy = new Float64Array(2 * n);
      nodes.forEach(({ p, field }, i) => {
        if (p.x === undefined) bad('INVALID_ARGUMENT', `${field}.x`, 'euclidean distances need x and y on every depot and customer');
        if (p.y === undefined) bad('INVALID_ARGUMENT', `${field}.y`, 'euclidean distances need x and y on every depot and customer');
        xy[2 * i] = p.x * scale;
        xy[2 * i + 1] = p.y * scale;
      });
      dist = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) dist[i * n + j] = i === j ? 0 : edgeLength(xy, i, j, dsrc.rounding);
    } else {
      const speed = dsrc.speedKmh ?? DEFAULT_SPEED_KMH;
      if (speed <= 0) bad('INVALID_ARGUMENT', 'distances.speedKmh', `must be > 0, got ${speed}`);
      const rounding: DistanceConvention = dsrc.rounding ?? 'exact';
      if (rounding === 'att') bad('INVALID_ARGUMENT', 'distances.rounding', "'att' is a planar TSPLIB convention, not for haversine");
      const ll = new Float64Array(2 * n);
      nodes.forEach(({ p, field }, i) => {
        if (p.lat === undefined)
          bad('INVALID_ARGUMENT', `${field}.lat`, 'haversine distances need lat and lng on every depot and customer');
        if (p.lng === undefined)
          bad('INVALID_ARGUMENT', `${field}.lng`, 'haversine distances need lat and lng on every depot and customer');
        if (p.lat < -90 || p.lat > 90) bad('COORDINATE_OUT_OF_RANGE', `${field}.lat`, `${p.lat} is outside [-90, 90]`);
        if (p.lng < -180 || p.lng > 180) bad('COORDINATE_OUT_OF_RANGE', `${field}.lng`, `${p.lng} is outside [-180, 180]`);
        ll[2 * i] = p.lat;
        ll[2 * i + 1] = p.lng;
      });
      dist = new Float64Array(n * n);
      time = new Float64Array(n * n);
      const secondsPerKm = 3600 / speed;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          const km = haversine(ll[2 * i] as number, ll[2 * i + 1] as number, ll[2 * j] as number, ll[2 * j + 1] as number, EARTH_RADIUS_KM);
          dist[i * n + j] = roundDistance(km * scale, rounding);
          time[i * n + j] = km * secondsPerKm;
        }
    }
  }
  if (dsrc.durations !== undefined) time = userMatrix(dsrc.durations, n, 'distances.durations');
  time ??= dist.slice();

  // Coordinates for the solver's polar sectors, when every node has them.
  let coords: Float64Array | undefined;
  const allXY = nodes.every(({ p }) => p.x !== undefined && p.y !== undefined);
  const allLL = nodes.every(({ p }) => p.lat !== undefined && p.lng !== undefined);
  if (n > 0 && (allXY || allLL)) {
    coords = new Float64Array(2 * n);
    const useXY = allXY && dsrc.metric !== 'haversine';
    nodes.forEach(({ p }, i) => {
      (coords as Float64Array)[2 * i] = (useXY ? p.x : p.lng) as number;
      (coords as Float64Array)[2 * i + 1] = (useXY ? p.y : p.lat) as number;
    });
  }

  let timeUsed = false;
  for (let i = 0; i < n && !timeUsed; i++) timeUsed = early[i] !== 0 || late[i] !== Infinity || (service[i] as number) > 0;
  for (let t = 0; t < T && !timeUsed; t++)
    timeUsed =
      typeShiftStart[t] !== 0 || typeShiftEnd[t] !== Infinity || typeMaxDuration[t] !== Infinity || (typeCostTime[t] as number) > 0;

  const compiled: CompiledVrp = {
    n,
    depots: D,
    dims,
    dist,
    time,
    demand,
    service,
    early,
    late,
    penalty,
    types: T,
    typeCount,
    typeCapacity,
    typeFixed,
    typeCostDistance,
    typeCostTime,
    typeMaxDuration,
    typeStartDepot,
    typeEndDepot,
    typeShiftStart,
    typeShiftEnd,
    customerIds: problem.customers.map((c, k) => c.id ?? `c${k + 1}`),
    depotIds: problem.depots.map((d, i) => d.id ?? `d${i}`),
    typeIds: problem.vehicleTypes.map((v, t) => v.id ?? `t${t}`),
    timeUsed,
  };
  if (coords) compiled.coords = coords;
  checkRequiredServable(compiled);
  return compiled;
}

function roundDistance(d: number, rounding: Exclude<DistanceConvention, 'att'>): number {
  switch (rounding) {
    case 'nint':
      return Math.floor(d + 0.5);
    case 'trunc1':
      return Math.floor(d * 10) / 10;
    case 'ceil':
      return Math.ceil(d);
    default:
      return d;
  }
}

/** Every required customer fits some vehicle type and that type can serve it alone in time. */
function checkRequiredServable(c: CompiledVrp): void {
  for (let node = c.depots; node < c.n; node++) {
    if (c.penalty[node] !== Infinity) continue;
    const k = node - c.depots;
    const id = c.customerIds[k] as string;
    let fits = false;
    let reaches = false;
    let why = '';
    for (let t = 0; t < c.types && !reaches; t++) {
      let ok = true;
      for (let d = 0; d < c.dims; d++) if ((c.demand[node * c.dims + d] as number) > (c.typeCapacity[t * c.dims + d] as number)) ok = false;
      if (!ok) continue;
      fits = true;
      const first = evaluateRoute(c, t, [node]).violations[0];
      reaches = first === undefined;
      if (first && why === '') why = ` (vehicle type ${c.typeIds[t]} alone: ${first.detail})`;
    }
    if (!fits)
      bad('INFEASIBLE', `customers[${k}].demand`, `customer ${id} needs more than any vehicle type carries`, { customer: id, node });
    if (!reaches)
      bad(
        'INFEASIBLE',
        `customers[${k}]`,
        `no vehicle type that can carry customer ${id} can reach it and return within its window, the shift, the depot windows and the duration limit${why}`,
        { customer: id, node },
      );
  }
}

// ----------------------------------------------------------------------------------------------
// Conversion from parsed CVRPLIB / Solomon instances.

/**
 * The JSON model of a parsed CVRPLIB `.vrp` / `.vrptw` or Solomon instance: one depot, the other
 * nodes as customers in file order (so with the depot first, customer `c{k}` is node k, as in
 * CVRPLIB `.sol` files), Euclidean distances under `convention`, VRPTW windows and service times
 * (travel time = distance), and one vehicle type with the file's capacity and `opts.vehicles` ??
 * `inst.vehicles` vehicles, or an unlimited fleet when neither is known.
 */
export function vrpFromRoutingInstance(
  inst: RoutingInstance,
  convention: DistanceConvention,
  opts: { vehicles?: number } = {},
): VrpProblem {
  if (inst.capacity === undefined)
    throw new WaybillError('INVALID_ARGUMENT', `${inst.name}: the instance has no CAPACITY`, { field: 'capacity' });
  if (inst.demands === undefined)
    throw new WaybillError('INVALID_ARGUMENT', `${inst.name}: the instance has no demands`, { field: 'demands' });
  const demands = inst.demands;
  const window = (node: number): { twStart?: number; twEnd?: number } =>
    inst.timeWindows ? { twStart: inst.timeWindows[2 * node] as number, twEnd: inst.timeWindows[2 * node + 1] as number } : {};
  const depot: VrpProblem['depots'][number] = {
    x: inst.coords[2 * inst.depot] as number,
    y: inst.coords[2 * inst.depot + 1] as number,
    ...window(inst.depot),
  };
  const customers: VrpProblem['customers'] = [];
  for (let v = 0; v < inst.dimension; v++) {
    if (v === inst.depot) continue;
    const c: VrpProblem['customers'][number] = {
      x: inst.coords[2 * v] as number,
      y: inst.coords[2 * v + 1] as number,
      demand: demands[v] as number,
    };
    if (inst.serviceTimes) c.serviceTime = inst.serviceTimes[v] as number;
    Object.assign(c, window(v));
    customers.push(c);
  }
  const vehicle: VrpProblem['vehicleTypes'][number] = { capacity: inst.capacity };
  const count = opts.vehicles ?? inst.vehicles;
  if (count !== undefined) vehicle.count = count;
  return { depots: [depot], customers, vehicleTypes: [vehicle], distances: { metric: 'euclidean', rounding: convention } };
}

// ----------------------------------------------------------------------------------------------
// Independent checker.

export type VrpViolationKind =
  | 'unknown-type'
  | 'unknown-node'
  | 'depot-in-route'
  | 'no-arc'
  | 'visited-twice'
  | 'not-visited'
  | 'routed-and-unassigned'
  | 'unlisted'
  | 'capacity'
  | 'time-window'
  | 'depot-window'
  | 'shift'
  | 'max-duration'
  | 'fleet';

export interface VrpViolation {
  kind: VrpViolationKind;
  /** Index into the routes given. */
  route?: number;
  /** Node index. */
  node?: number;
  detail: string;
}

/** Figures of one route as the checker computed them. */
export interface VrpRouteStats {
  type: number;
  distance: number;
  /** Minimal duration (see {@link checkVrpSolution}). */
  duration: number;
  /** Load per capacity dimension. */
  load: number[];
  /** Departure from the start depot and return to the end depot of the minimal-duration schedule. */
  departure: number;
  arrival: number;
  /** fixed + costPerDistance * distance + costPerTime * duration; 0 for an empty route. */
  cost: number;
}

export interface VrpCheck {
  feasible: boolean;
  violations: VrpViolation[];
  /** Σ route costs + penaltyCost. */
  cost: number;
  distance: number;
  duration: number;
  fixedCost: number;
  /** Σ penalties of optional customers not routed. */
  penaltyCost: number;
  /** Non-empty routes. */
  vehicles: number;
  /** Per route given, in order. */
  routes: VrpRouteStats[];
}

function exceeds(a: number, limit: number): boolean {
  return a > limit + 1e-9 * Math.max(1, Math.abs(limit));
}

/**
 * Distance, minimal duration and time / capacity / arc violations of one route of vehicle type
 * `t` visiting `stops` (customer nodes, already known to be in range).
 */
function evaluateRoute(
  c: CompiledVrp,
  t: number,
  stops: readonly number[],
  route?: number,
): { stats: VrpRouteStats; violations: VrpViolation[] } {
  const n = c.n;
  const violations: VrpViolation[] = [];
  const start = c.typeStartDepot[t] as number;
  const end = c.typeEndDepot[t] as number;
  const at = (v: Omit<VrpViolation, 'route'>): VrpViolation => (route === undefined ? v : { ...v, route });
  const load = new Array<number>(c.dims).fill(0);
  for (const s of stops) for (let d = 0; d < c.dims; d++) load[d] = (load[d] as number) + (c.demand[s * c.dims + d] as number);
  for (let d = 0; d < c.dims; d++) {
    const cap = c.typeCapacity[t * c.dims + d] as number;
    if (exceeds(load[d] as number, cap))
      violations.push(at({ kind: 'capacity', detail: `load ${load[d]} exceeds capacity ${cap} in dimension ${d}` }));
  }
  const path = [start, ...stops, end];
  let distance = 0;
  let arcsOk = true;
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1] as number;
    const b = path[i] as number;
    const d = c.dist[a * n + b] as number;
    distance += d;
    if (!Number.isFinite(d) || !Number.isFinite(c.time[a * n + b] as number)) {
      arcsOk = false;
      violations.push(at({ kind: 'no-arc', node: b, detail: `no arc from node ${a} to node ${b}` }));
    }
  }
  const stats: VrpRouteStats = { type: t, distance, duration: Infinity, load, departure: Number.NaN, arrival: Number.NaN, cost: 0 };
  if (!arcsOk) return { stats, violations };

  // Forward schedule from the earliest departure, then delay the departure by as much of the
  // waiting as the forward slack allows (Savelsbergh): the minimal duration.
  const shiftEnd = c.typeShiftEnd[t] as number;
  const d0 = Math.max(c.typeShiftStart[t] as number, c.early[start] as number);
  if (exceeds(d0, c.late[start] as number))
    violations.push(
      at({ kind: 'depot-window', node: start, detail: `earliest departure ${d0} is after depot ${start} closes at ${c.late[start]}` }),
    );
  let slack = (c.late[start] as number) - d0;
  let wait = 0;
  let clock = d0;
  let prev = start;
  for (let i = 1; i < path.length; i++) {
    const v = path[i] as number;
    const isEnd = i === path.length - 1;
    const arrive = clock + (c.time[prev * n + v] as number);
    const begin = Math.max(arrive, c.early[v] as number);
    wait += begin - arrive;
    const close = isEnd ? Math.min(c.late[v] as number, shiftEnd) : (c.late[v] as number);
    if (isEnd) {
      if (exceeds(begin, c.late[v] as number))
        violations.push(at({ kind: 'depot-window', node: v, detail: `returns at ${begin} after depot ${v} closes at ${c.late[v]}` }));
      if (exceeds(begin, shiftEnd))
        violations.push(at({ kind: 'shift', node: v, detail: `returns at ${begin} after the shift ends at ${shiftEnd}` }));
    } else if (exceeds(begin, close))
      violations.push(at({ kind: 'time-window', node: v, detail: `service starts at ${begin} after the window closes at ${close}` }));
    if (close !== Infinity) slack = Math.min(slack, wait + close - begin);
    clock = begin + (isEnd ? 0 : (c.service[v] as number));
    prev = v;
  }
  const delay = Math.max(0, Math.min(slack, wait));
  stats.duration = clock - d0 - delay;
  stats.departure = d0 + delay;
  stats.arrival = clock;
  const maxDuration = c.typeMaxDuration[t] as number;
  if (exceeds(stats.duration, maxDuration))
    violations.push(at({ kind: 'max-duration', detail: `duration ${stats.duration} exceeds the limit ${maxDuration}` }));
  return { stats, violations };
}

function routeCost(c: CompiledVrp, s: VrpRouteStats): number {
  const cd = c.typeCostDistance[s.type] as number;
  const ct = c.typeCostTime[s.type] as number;
  return (c.typeFixed[s.type] as number) + (cd === 0 ? 0 : cd * s.distance) + (ct === 0 ? 0 : ct * s.duration);
}

/**
 * Checks a VRP plan independently of any solver (it reads only the compiled arrays). `routes`
 * give a vehicle type and the customer nodes (D..n-1) visited in order; the route runs from the
 * type's start depot to its end depot. `unassigned` lists the optional customers left out.
 *
 * Checked: every required customer routed exactly once; optional customers routed at most once,
 * and each either routed or listed in `unassigned` (not both); capacity of every route in every
 * dimension; time windows (arriving early waits, service starts at max(arrival, early), a
 * violation when it starts after late); departure within the start depot's window; return by the
 * end depot's closing and the shift end; the duration limit; vehicles used per type (routes with
 * at least one stop) against the type's count.
 *
 * Duration of a route = return time - departure time with the departure delayed as late as useful:
 * forward schedule from D0 = max(shift start, start depot early); with W = total waiting on the
 * route (end depot included) and F0 = the Savelsbergh forward slack at the depot = min over
 * positions j (start depot, stops, end depot) of (Σ_{p<=j} wait_p + (late_j - start_j)), where
 * the end depot's late is min(depot late, shift end), duration = end0 - D0 - max(0, min(F0, W)).
 * This is the minimal duration the solver's time-window segments (Vidal et al.) compute.
 *
 * Costs: cost = Σ over non-empty routes (fixedCost + costPerDistance · distance + costPerTime ·
 * duration) + penaltyCost, where penaltyCost sums the penalties of optional customers not routed.
 * A required customer left out adds a violation, not a penalty.
 */
export function checkVrpSolution(
  c: CompiledVrp,
  routes: ReadonlyArray<{ type: number; stops: readonly number[] }>,
  unassigned: readonly number[],
): VrpCheck {
  const violations: VrpViolation[] = [];
  const routed = new Int32Array(c.n);
  const listed = new Int32Array(c.n);
  const used = new Int32Array(c.types);
  const stats: VrpRouteStats[] = [];
  let distance = 0;
  let duration = 0;
  let fixedCost = 0;
  let routeCosts = 0;
  let vehicles = 0;
  routes.forEach((r, ri) => {
    if (!Number.isInteger(r.type) || r.type < 0 || r.type >= c.types) {
      violations.push({ kind: 'unknown-type', route: ri, detail: `vehicle type ${r.type} does not exist (${c.types} type(s))` });
      stats.push({ type: r.type, distance: 0, duration: 0, load: [], departure: Number.NaN, arrival: Number.NaN, cost: 0 });
      return;
    }
    const stops: number[] = [];
    for (const v of r.stops) {
      if (!Number.isInteger(v) || v < 0 || v >= c.n)
        violations.push({ kind: 'unknown-node', route: ri, node: v, detail: `node ${v} is not in the problem` });
      else if (v < c.depots) violations.push({ kind: 'depot-in-route', route: ri, node: v, detail: `depot ${v} appears inside a route` });
      else {
        stops.push(v);
        routed[v] = (routed[v] as number) + 1;
      }
    }
    if (stops.length === 0) {
      stats.push({
        type: r.type,
        distance: 0,
        duration: 0,
        load: new Array<number>(c.dims).fill(0),
        departure: Number.NaN,
        arrival: Number.NaN,
        cost: 0,
      });
      return;
    }
    vehicles++;
    used[r.type] = (used[r.type] as number) + 1;
    const e = evaluateRoute(c, r.type, stops, ri);
    violations.push(...e.violations);
    e.stats.cost = routeCost(c, e.stats);
    stats.push(e.stats);
    distance += e.stats.distance;
    duration += e.stats.duration;
    fixedCost += c.typeFixed[r.type] as number;
    routeCosts += e.stats.cost;
  });
  for (const v of unassigned) {
    if (!Number.isInteger(v) || v < c.depots || v >= c.n)
      violations.push({ kind: 'unknown-node', node: v, detail: `unassigned entry ${v} is not a customer` });
    else listed[v] = (listed[v] as number) + 1;
  }
  let penaltyCost = 0;
  for (let v = c.depots; v < c.n; v++) {
    const r = routed[v] as number;
    const l = listed[v] as number;
    const required = c.penalty[v] === Infinity;
    const id = c.customerIds[v - c.depots];
    if (r > 1) violations.push({ kind: 'visited-twice', node: v, detail: `customer ${id} (node ${v}) is visited ${r} times` });
    if (r > 0 && l > 0)
      violations.push({ kind: 'routed-and-unassigned', node: v, detail: `customer ${id} (node ${v}) is routed and listed as unassigned` });
    if (r === 0 && required)
      violations.push({
        kind: 'not-visited',
        node: v,
        detail: `required customer ${id} (node ${v}) is ${l > 0 ? 'left unassigned' : 'not visited'}`,
      });
    if (r === 0 && !required) {
      penaltyCost += c.penalty[v] as number;
      if (l === 0)
        violations.push({
          kind: 'unlisted',
          node: v,
          detail: `optional customer ${id} (node ${v}) is neither routed nor listed as unassigned`,
        });
    }
    if (l > 1) violations.push({ kind: 'visited-twice', node: v, detail: `customer ${id} (node ${v}) is listed ${l} times as unassigned` });
  }
  for (let t = 0; t < c.types; t++)
    if ((used[t] as number) > (c.typeCount[t] as number))
      violations.push({ kind: 'fleet', detail: `${used[t]} routes of vehicle type ${c.typeIds[t]} for a fleet of ${c.typeCount[t]}` });
  return {
    feasible: violations.length === 0,
    violations,
    cost: routeCosts + penaltyCost,
    distance,
    duration,
    fixedCost,
    penaltyCost,
    vehicles,
    routes: stats,
  };
}
