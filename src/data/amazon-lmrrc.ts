/**
 * Amazon Last Mile Routing Research Challenge (2021) routes (Merchán et al., Transportation
 * Science 58(1), 2024), as the model-apply sample in `<WAYBILL_DATA_DIR>/lastmile/amazon_lmrrc_sample/`
 * (see lastmile/SOURCES.md): route_data (stations, stops, zones), package_data (time windows,
 * planned service times, dimensions) and actual_sequences (the order the driver really served
 * the stops). The files come from Python's json module and hold bare `NaN` (missing zone ids and
 * time windows): they are read with {@link parseJsonWithNaN}, NaN becoming null / NaN.
 *
 * Coordinate datum: WGS 84 (US stops geocoded by Amazon; the data set publishes plain lat / lng
 * degrees). Times: UTC. There are no per-stop timestamps, only the departure time and the order.
 */
import { join } from 'node:path';
import { WaybillError } from '../errors.js';
import { BatchBuilder } from '../kernels/trajectory/batch.js';
import type { TrajectoryBatch } from '../kernels/trajectory/types.js';
import { defaultDataDir } from '../paths.js';
import { parseDateTime, parseJsonFile, readDataText, validLatLng } from './trajectory-loaders.js';

/** Coordinate datum of the Amazon LMRRC data. */
export const AMAZON_LMRRC_DATUM = 'WGS84';

/** One route: its stops in the file's order (alphabetical stop ids), columnar. */
export interface AmazonRoute {
  id: string;
  station: string;
  /** `YYYY-MM-DD`. */
  date: string;
  /** Departure from the station, epoch seconds (UTC). */
  departure: number;
  capacityCm3: number;
  /** Two-letter stop ids. */
  stopIds: string[];
  /** Stop positions, (lat, lng) interleaved. */
  coords: Float64Array;
  /** 'Station' or 'Dropoff' per stop. */
  types: string[];
  /** Amazon delivery zone per stop (e.g. "D-8.3E"); null where the data has none. */
  zones: (string | null)[];
  /** Index of the station among the stops. */
  stationIndex: number;
  /** Stop indices in the order the driver served them, station first; undefined when no actual sequence was given. */
  actualOrder: Int32Array | undefined;
  /** Packages, flat: the stop index each belongs to, and its fields (NaN where missing). */
  packages: {
    ids: string[];
    stop: Int32Array;
    windowStart: Float64Array;
    windowEnd: Float64Array;
    serviceSeconds: Float64Array;
    /** depth, height, width in cm, interleaved by 3. */
    dimensionsCm: Float64Array;
  };
}

type Json = Record<string, unknown>;

function bad(what: string, details: Record<string, unknown>): never {
  throw new WaybillError('INVALID_ARGUMENT', `Amazon LMRRC: ${what}`, details);
}

function asObject(v: unknown, what: string, details: Record<string, unknown>): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${what} must be an object`, details);
  return v as Json;
}

/** NaN for null / missing / non-numeric. */
function numberOr(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}

/**
 * A non-negative finite number, or NaN when missing (null, absent, or the files' bare NaN); a
 * negative, infinite or non-numeric value (a string, a boolean) is refused naming the field: it
 * used to pass through into capacities, volumes and service times.
 */
function nonNegativeOr(v: unknown, field: string, details: Record<string, unknown>): number {
  if (v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v))) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    bad(
      `${Object.entries(details)
        .map(([k, x]) => `${k} ${String(x)}`)
        .join(', ')}: ${field} ${JSON.stringify(v) ?? String(v)} is not a non-negative number`,
      {
        ...details,
        field,
      },
    );
  return v;
}

/**
 * Builds routes from the three parsed JSON documents (already NaN-safe; see parseJsonWithNaN).
 * `actual` may be omitted. Every actual sequence must cover exactly its route's stops, positions
 * 0..n-1, the station at 0; a mismatch throws INVALID_ARGUMENT naming the route and stop. A stop
 * without a finite lat / lng in range throws COORDINATE_OUT_OF_RANGE.
 */
export function buildAmazonRoutes(routeData: unknown, packageData?: unknown, actual?: unknown): AmazonRoute[] {
  const routes = asObject(routeData, 'route data', {});
  const pkgAll = packageData === undefined ? {} : asObject(packageData, 'package data', {});
  const actAll = actual === undefined ? undefined : asObject(actual, 'actual sequences', {});
  const out: AmazonRoute[] = [];
  for (const [id, raw] of Object.entries(routes)) {
    const r = asObject(raw, 'a route', { route: id });
    const stops = asObject(r.stops, 'stops', { route: id });
    const stopIds = Object.keys(stops);
    if (stopIds.length === 0) bad(`route ${id} has no stops`, { route: id });
    const coords = new Float64Array(2 * stopIds.length);
    const types: string[] = [];
    const zones: (string | null)[] = [];
    let stationIndex = -1;
    stopIds.forEach((s, k) => {
      const st = asObject(stops[s], 'a stop', { route: id, stop: s });
      coords[2 * k] = numberOr(st.lat);
      coords[2 * k + 1] = numberOr(st.lng);
      if (!validLatLng(coords[2 * k] as number, coords[2 * k + 1] as number))
        throw new WaybillError(
          'COORDINATE_OUT_OF_RANGE',
          `Amazon LMRRC: route ${id}, stop ${s}: lat ${String(st.lat)}, lng ${String(st.lng)} are not a position`,
          { route: id, stop: s, field: 'lat/lng' },
        );
      types.push(String(st.type));
      zones.push(typeof st.zone_id === 'string' ? st.zone_id : null);
      if (st.type === 'Station') stationIndex = k;
    });
    if (stationIndex < 0) bad(`route ${id} has no Station stop`, { route: id });
    const date = String(r.date_YYYY_MM_DD);
    const departure = parseDateTime(`${date} ${String(r.departure_time_utc)}`, 0);
    if (!Number.isFinite(departure))
      bad(`route ${id}: departure ${date} ${String(r.departure_time_utc)} is not a date and time`, { route: id });

    const stopIndex = new Map(stopIds.map((s, k) => [s, k]));
    const pk = {
      ids: [] as string[],
      stop: [] as number[],
      ws: [] as number[],
      we: [] as number[],
      svc: [] as number[],
      dim: [] as number[],
    };
    const routePkgs = pkgAll[id] === undefined ? {} : asObject(pkgAll[id], 'route packages', { route: id });
    for (const [s, pkgs] of Object.entries(routePkgs)) {
      const k = stopIndex.get(s);
      if (k === undefined) bad(`route ${id}: packages for unknown stop ${s}`, { route: id, stop: s });
      for (const [pid, rawPkg] of Object.entries(asObject(pkgs, 'stop packages', { route: id, stop: s }))) {
        const p = asObject(rawPkg, 'a package', { route: id, stop: s, package: pid });
        const tw = (p.time_window ?? {}) as Json;
        const dims = (p.dimensions ?? {}) as Json;
        pk.ids.push(pid);
        pk.stop.push(k);
        pk.ws.push(typeof tw.start_time_utc === 'string' ? parseDateTime(tw.start_time_utc, 0) : Number.NaN);
        pk.we.push(typeof tw.end_time_utc === 'string' ? parseDateTime(tw.end_time_utc, 0) : Number.NaN);
        const where = { route: id, stop: s, package: pid };
        pk.svc.push(nonNegativeOr(p.planned_service_time_seconds, 'planned_service_time_seconds', where));
        pk.dim.push(
          nonNegativeOr(dims.depth_cm, 'depth_cm', where),
          nonNegativeOr(dims.height_cm, 'height_cm', where),
          nonNegativeOr(dims.width_cm, 'width_cm', where),
        );
        const ws = pk.ws[pk.ws.length - 1] as number;
        const we = pk.we[pk.we.length - 1] as number;
        if (ws > we)
          bad(`route ${id}, stop ${s}, package ${pid}: the time window ends before it starts`, { ...where, field: 'time_window' });
      }
    }

    let actualOrder: Int32Array | undefined;
    if (actAll?.[id] !== undefined) {
      const seq = asObject(asObject(actAll[id], 'an actual sequence', { route: id }).actual, 'actual', { route: id });
      actualOrder = new Int32Array(stopIds.length).fill(-1);
      const entries = Object.entries(seq);
      if (entries.length !== stopIds.length)
        bad(`route ${id}: actual sequence has ${entries.length} stops, the route ${stopIds.length}`, { route: id });
      for (const [s, pos] of entries) {
        const k = stopIndex.get(s);
        if (k === undefined) bad(`route ${id}: actual sequence names unknown stop ${s}`, { route: id, stop: s });
        if (typeof pos !== 'number' || !Number.isInteger(pos) || pos < 0 || pos >= stopIds.length || actualOrder[pos] !== -1) {
          bad(`route ${id}: stop ${s} has position ${String(pos)}, not a free position in 0..${stopIds.length - 1}`, {
            route: id,
            stop: s,
          });
        }
        actualOrder[pos] = k;
      }
      if (actualOrder[0] !== stationIndex) bad(`route ${id}: the actual sequence does not start at the station`, { route: id });
    }
    out.push({
      id,
      station: String(r.station_code),
      date,
      departure,
      capacityCm3: nonNegativeOr(r.executor_capacity_cm3, 'executor_capacity_cm3', { route: id }),
      stopIds,
      coords,
      types,
      zones,
      stationIndex,
      actualOrder,
      packages: {
        ids: pk.ids,
        stop: Int32Array.from(pk.stop),
        windowStart: Float64Array.from(pk.ws),
        windowEnd: Float64Array.from(pk.we),
        serviceSeconds: Float64Array.from(pk.svc),
        dimensionsCm: Float64Array.from(pk.dim),
      },
    });
  }
  return out;
}

/** The LMRRC sample: routes with packages and actual sequences, plus the challenge's invalid-sequence scores. */
export interface AmazonLmrrc {
  routes: AmazonRoute[];
  /** Route id -> the score an invalid submission gets (only for reproducing the challenge's scoring). */
  invalidSequenceScores: Map<string, number>;
}

/** Reads `<dataDir>/lastmile/amazon_lmrrc_sample/new_*.json`. */
export function loadAmazonLmrrc(dataDir: string = defaultDataDir()): AmazonLmrrc {
  const dir = join(dataDir, 'lastmile', 'amazon_lmrrc_sample');
  const read = (name: string) => parseJsonFile(readDataText(join(dir, name)), join(dir, name));
  const routes = buildAmazonRoutes(read('new_route_data.json'), read('new_package_data.json'), read('new_actual_sequences.json'));
  const scores = asObject(read('new_invalid_sequence_scores.json'), 'invalid sequence scores', {});
  return { routes, invalidSequenceScores: new Map(Object.entries(scores).map(([k, v]) => [k, numberOr(v)])) };
}

/**
 * The actual driven sequences as a batch: one trajectory per route (id = route id), the station
 * first, then the stops in served order (the return to the station is not repeated). Times are
 * NaN: the data has no per-stop timestamps. Routes without an actual sequence are skipped.
 */
export function amazonActualSequences(routes: AmazonRoute[]): TrajectoryBatch {
  const b = new BatchBuilder();
  for (const r of routes) {
    if (!r.actualOrder) continue;
    for (const k of r.actualOrder) b.push(r.coords[2 * k] as number, r.coords[2 * k + 1] as number, Number.NaN);
    b.end(r.id, true);
  }
  return b.build();
}
