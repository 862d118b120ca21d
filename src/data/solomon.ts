/**
 * The original Solomon (1987) / Gehring-Homberger (1999) VRPTW text format:
 *
 * ```
 * C101
 *
 * VEHICLE
 * NUMBER     CAPACITY
 *   25         200
 *
 * CUSTOMER
 * CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME
 *
 *     0      40         50          0          0       1236          0
 *     1      45         68         10        912        967         90
 * ```
 *
 * Customer 0 is the depot. In memory this is a {@link RoutingInstance} of type 'VRPTW' with
 * edgeWeightType 'EXACT_2D' (the format fixes no rounding; pass the convention you compare under
 * to the checker or the model: 'exact' for SINTEF BKS, 'trunc1' for DIMACS / CVRPLIB BKS).
 */
import { WaybillError } from '../errors.js';
import { type RoutingInstance, writeSolution } from './tsplib.js';

function fail(what: string, line?: number): never {
  throw new WaybillError(
    'INVALID_ARGUMENT',
    line === undefined ? `Solomon file: ${what}` : `Solomon file, line ${line}: ${what}`,
    line === undefined ? undefined : { line },
  );
}

/** Parses a Solomon / Gehring-Homberger instance. Throws INVALID_ARGUMENT with `details.line` on malformed input. */
export function parseSolomon(text: string): RoutingInstance {
  const lines = text.split(/\r?\n/).map((raw, i) => ({ line: raw.trim(), no: i + 1 }));
  let at = 0;
  const next = (): { line: string; no: number } | undefined => {
    while (at < lines.length && (lines[at] as { line: string }).line === '') at++;
    return lines[at++];
  };
  const expectHeader = (re: RegExp, what: string): number => {
    const l = next();
    if (!l) fail(`${what} missing (end of file)`);
    if (!re.test(l.line)) fail(`expected ${what}, got "${l.line}"`, l.no);
    return l.no;
  };
  const first = next();
  if (!first) fail('empty file');
  const name = first.line;
  if (/^VEHICLE$/i.test(name)) fail('the instance name is missing before VEHICLE', first.no);
  expectHeader(/^VEHICLE$/i, 'VEHICLE');
  expectHeader(/^NUMBER\s+CAPACITY$/i, 'NUMBER CAPACITY');
  const fleet = next();
  if (!fleet) fail('vehicle number and capacity missing (end of file)');
  const fv = fleet.line.split(/\s+/).map(Number);
  if (fv.length !== 2 || !Number.isInteger(fv[0]) || (fv[0] as number) < 1 || !Number.isFinite(fv[1]) || (fv[1] as number) < 0)
    fail(`expected the vehicle number (integer >= 1) and capacity (>= 0), got "${fleet.line}"`, fleet.no);
  expectHeader(/^CUSTOMER$/i, 'CUSTOMER');
  expectHeader(/^CUST\b/i, 'the column header (CUST NO. XCOORD. YCOORD. DEMAND READY TIME DUE DATE SERVICE TIME)');
  const rows: Array<{ v: number[]; no: number }> = [];
  for (let l = next(); l; l = next()) {
    const v = l.line.split(/\s+/).map(Number);
    if (v.length !== 7 || v.some((x) => !Number.isFinite(x)))
      fail(`expected 7 numbers (customer, x, y, demand, ready time, due date, service time), got "${l.line}"`, l.no);
    rows.push({ v, no: l.no });
  }
  if (rows.length === 0) fail('no customer rows (not even the depot)');
  const dimension = rows.length;
  const coords = new Float64Array(2 * dimension);
  const demands = new Float64Array(dimension);
  const timeWindows = new Float64Array(2 * dimension);
  const serviceTimes = new Float64Array(dimension);
  const seen = new Int32Array(dimension);
  for (const { v, no } of rows) {
    const [id, x, y, q, ready, due, service] = v as [number, number, number, number, number, number, number];
    if (!Number.isInteger(id) || id < 0 || id >= dimension) fail(`customer number ${id} outside 0..${dimension - 1} (0 is the depot)`, no);
    if (seen[id]) fail(`customer ${id} appears twice (first on line ${seen[id]})`, no);
    seen[id] = no;
    if (q < 0 || service < 0) fail(`customer ${id}: negative demand or service time`, no);
    if (due < ready) fail(`customer ${id}: due date ${due} before ready time ${ready}`, no);
    coords[2 * id] = x;
    coords[2 * id + 1] = y;
    demands[id] = q;
    timeWindows[2 * id] = ready;
    timeWindows[2 * id + 1] = due;
    serviceTimes[id] = service;
  }
  return {
    name,
    type: 'VRPTW',
    dimension,
    edgeWeightType: 'EXACT_2D',
    coords,
    demands,
    capacity: fv[1] as number,
    vehicles: fv[0] as number,
    depot: 0,
    timeWindows,
    serviceTimes,
  };
}

/**
 * Writes an instance in Solomon format. Needs time windows and a capacity; missing demands and
 * service times are written as 0, a missing fleet size as one vehicle per customer. The depot is
 * written as customer 0 and the other nodes follow in index order. Numbers are written in their
 * shortest round-trip form, so reading the text back gives identical arrays.
 */
export function writeSolomon(inst: RoutingInstance): string {
  if (!inst.timeWindows) throw new WaybillError('INVALID_ARGUMENT', `${inst.name}: the Solomon format needs time windows`);
  if (inst.capacity === undefined) throw new WaybillError('INVALID_ARGUMENT', `${inst.name}: the Solomon format needs a capacity`);
  const order = [inst.depot];
  for (let v = 0; v < inst.dimension; v++) if (v !== inst.depot) order.push(v);
  const col = (v: number | string, w: number) => String(v).padStart(w);
  const out = [
    inst.name,
    '',
    'VEHICLE',
    'NUMBER     CAPACITY',
    `${col(inst.vehicles ?? Math.max(1, inst.dimension - 1), 5)}${col(inst.capacity, 13)}`,
    '',
    'CUSTOMER',
    'CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME   DUE DATE   SERVICE TIME',
    '',
  ];
  const tw = inst.timeWindows;
  order.forEach((v, k) => {
    out.push(
      col(k, 5) +
        col(inst.coords[2 * v] as number, 11) +
        col(inst.coords[2 * v + 1] as number, 11) +
        col(inst.demands?.[v] ?? 0, 11) +
        col(tw[2 * v] as number, 11) +
        col(tw[2 * v + 1] as number, 11) +
        col(inst.serviceTimes?.[v] ?? 0, 11),
    );
  });
  return `${out.join('\n')}\n`;
}

/**
 * Writes routes in the common "Route #1: 3 5 7" text form (CVRPLIB / Solomon solutions): `routes`
 * hold the customer numbers of the Solomon file (= node indices with the depot as node 0), empty
 * routes are dropped and the rest numbered from 1. `cost`, when given, is written on a final
 * "Cost" line rounded to `digits` decimals (default 2, as Solomon BKS tables print).
 */
export function writeSolomonSolution(routes: readonly (readonly number[])[], cost?: number, digits = 2): string {
  const kept = routes.filter((r) => r.length > 0).map((r) => [...r]);
  return writeSolution(cost === undefined ? { routes: kept } : { routes: kept, cost: Number(cost.toFixed(digits)) }, 0);
}
