/**
 * Cainiao LaDe-P pickup records (Wu et al., "LaDe: The First Comprehensive Last-mile Delivery
 * Dataset from Industry", KDD 2024), as the CSV in `<WAYBILL_DATA_DIR>/lastmile/lade_pickup_subset/`
 * (see lastmile/SOURCES.md): one row per pickup task with the courier, the customer's location and
 * time window, and the accept / pickup events with the courier's GPS fixes.
 *
 * Times: `MM-DD HH:MM:SS` China Standard Time (UTC+8), minute resolution, and LaDe gives no year:
 * the loader assumes `year` (default 2022, an assumption — only durations and times of day are
 * meaningful; weekdays depend on the year). Coordinate datum: not stated in the data or in the
 * LaDe repository; Chinese commercial map data are normally GCJ-02, so expect an offset of a few
 * hundred metres against WGS 84 maps. Distances between LaDe points are unaffected to within a
 * few metres (the offset varies slowly).
 */
import { join } from 'node:path';
import { WaybillError } from '../errors.js';
import { BatchBuilder } from '../kernels/trajectory/batch.js';
import type { TrajectoryBatch } from '../kernels/trajectory/types.js';
import { defaultDataDir } from '../paths.js';
import { parseDateTime, parseDecimal, readDataText, validLatLng } from './trajectory-loaders.js';

/** Coordinate datum of LaDe (not stated by the source). */
export const LADE_DATUM = 'unstated (likely GCJ-02)';

const CHINA_UTC_OFFSET = 8;

/**
 * LaDe-P rows, column by column. Times are epoch seconds; missing times and coordinates are NaN. The
 * integer columns (region_id, aoi_id, aoi_type, ds) are Int32Arrays, which hold no NaN: an empty cell
 * there reads as 0.
 */
export interface LadePickups {
  count: number;
  orderId: string[];
  regionId: Int32Array;
  city: string[];
  courierId: Int32Array;
  acceptTime: Float64Array;
  windowStart: Float64Array;
  windowEnd: Float64Array;
  /** Customer location, (lat, lng) interleaved. */
  coords: Float64Array;
  aoiId: Int32Array;
  aoiType: Int32Array;
  pickupTime: Float64Array;
  pickupGpsTime: Float64Array;
  /** Courier GPS fix nearest the pickup, (lat, lng) interleaved; NaN where missing. */
  pickupGps: Float64Array;
  acceptGpsTime: Float64Array;
  /** Courier GPS fix at acceptance, (lat, lng) interleaved; NaN where missing. */
  acceptGps: Float64Array;
  /** Day as LaDe's MMDD integer (501 = May 1). */
  ds: Int32Array;
}

const COLUMNS = [
  'order_id',
  'region_id',
  'city',
  'courier_id',
  'accept_time',
  'time_window_start',
  'time_window_end',
  'lng',
  'lat',
  'aoi_id',
  'aoi_type',
  'pickup_time',
  'pickup_gps_time',
  'pickup_gps_lng',
  'pickup_gps_lat',
  'accept_gps_time',
  'accept_gps_lng',
  'accept_gps_lat',
  'ds',
] as const;

/**
 * Parses the LaDe-P CSV (header row naming at least the LaDe-P columns; extra columns such as
 * `source_city` are ignored). Required per row: order_id, city, courier_id, lat, lng and
 * pickup_time; anything else may be empty (empty integer columns read as 0). A cell that is given
 * but malformed (not a number, an integer or an MM-DD HH:MM:SS time) throws INVALID_ARGUMENT with
 * `details.line` and `details.field`; a position out of range, COORDINATE_OUT_OF_RANGE.
 */
export function parseLadeCsv(text: string, options?: { year?: number; source?: string }): LadePickups {
  const year = options?.year ?? 2022;
  const source = options?.source ?? 'LaDe CSV';
  if (!Number.isInteger(year))
    throw new WaybillError('INVALID_ARGUMENT', `year must be an integer, got ${String(year)}`, { argument: 'year' });
  // Blank lines are skipped; `no` keeps each row's line number in the file for errors.
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => ({ line, no: i + 1 }))
    .filter((l, i) => i === 0 || l.line.trim() !== '');
  const header = (lines[0]?.line ?? '').split(',').map((h) => h.trim());
  const at = {} as Record<(typeof COLUMNS)[number], number>;
  for (const c of COLUMNS) {
    at[c] = header.indexOf(c);
    if (at[c] < 0) throw new WaybillError('INVALID_ARGUMENT', `${source}: column ${c} missing from the header`, { source, line: 1 });
  }
  const n = lines.length - 1;
  const p: LadePickups = {
    count: n,
    orderId: [],
    regionId: new Int32Array(n),
    city: [],
    courierId: new Int32Array(n),
    acceptTime: new Float64Array(n),
    windowStart: new Float64Array(n),
    windowEnd: new Float64Array(n),
    coords: new Float64Array(2 * n),
    aoiId: new Int32Array(n),
    aoiType: new Int32Array(n),
    pickupTime: new Float64Array(n),
    pickupGpsTime: new Float64Array(n),
    pickupGps: new Float64Array(2 * n),
    acceptGpsTime: new Float64Array(n),
    acceptGps: new Float64Array(2 * n),
    ds: new Int32Array(n),
  };
  for (let r = 0; r < n; r++) {
    const { line, no } = lines[r + 1] as { line: string; no: number };
    const f = line.split(',');
    const get = (c: (typeof COLUMNS)[number]): string => (f[at[c]] ?? '').trim();
    const bad = (what: string, field?: string, code: 'INVALID_ARGUMENT' | 'COORDINATE_OUT_OF_RANGE' = 'INVALID_ARGUMENT'): never => {
      throw new WaybillError(code, `${source}, line ${no}: ${what}`, { source, line: no, ...(field ? { field } : {}) });
    };
    // Empty is missing (NaN); anything else must be a number / a MM-DD HH:MM:SS time.
    const num = (c: (typeof COLUMNS)[number]): number => {
      const v = parseDecimal(get(c));
      if (get(c) !== '' && !Number.isFinite(v)) bad(`${c} "${get(c)}" is not a number`, c);
      return v;
    };
    const int = (c: (typeof COLUMNS)[number]): number => {
      const v = num(c);
      if (get(c) !== '' && !(Number.isInteger(v) && Math.abs(v) <= 2147483647)) bad(`${c} "${get(c)}" is not an integer`, c);
      return v;
    };
    const time = (c: (typeof COLUMNS)[number]): number => {
      if (get(c) === '') return Number.NaN;
      const t = parseDateTime(`${year}-${get(c)}`, CHINA_UTC_OFFSET);
      if (!Number.isFinite(t)) bad(`${c} "${get(c)}" is not MM-DD HH:MM:SS`, c);
      return t;
    };
    const position = (latCol: (typeof COLUMNS)[number], lngCol: (typeof COLUMNS)[number], into: Float64Array): void => {
      const lat = num(latCol);
      const lng = num(lngCol);
      if (Number.isNaN(lat) !== Number.isNaN(lng)) bad(`${latCol} and ${lngCol} must both be given or both be empty`, latCol);
      if (!Number.isNaN(lat) && !validLatLng(lat, lng))
        bad(`${latCol} ${lat}, ${lngCol} ${lng} out of range`, latCol, 'COORDINATE_OUT_OF_RANGE');
      into[2 * r] = lat;
      into[2 * r + 1] = lng;
    };
    if (f.length !== header.length) bad(`expected ${header.length} fields, got ${f.length}`);
    p.orderId.push(get('order_id'));
    p.city.push(get('city'));
    p.regionId[r] = int('region_id');
    p.courierId[r] = int('courier_id');
    p.aoiId[r] = int('aoi_id');
    p.aoiType[r] = int('aoi_type');
    p.ds[r] = int('ds');
    p.acceptTime[r] = time('accept_time');
    p.windowStart[r] = time('time_window_start');
    p.windowEnd[r] = time('time_window_end');
    p.pickupTime[r] = time('pickup_time');
    p.pickupGpsTime[r] = time('pickup_gps_time');
    p.acceptGpsTime[r] = time('accept_gps_time');
    if (get('order_id') === '' || get('city') === '' || get('courier_id') === '') bad('order_id, city and courier_id are required');
    if (get('lat') === '' || get('lng') === '') bad('lat and lng are required', 'lat');
    position('lat', 'lng', p.coords);
    position('pickup_gps_lat', 'pickup_gps_lng', p.pickupGps);
    position('accept_gps_lat', 'accept_gps_lng', p.acceptGps);
    if (get('pickup_time') === '') bad('pickup_time is required', 'pickup_time');
  }
  return p;
}

/** `<dataDir>/lastmile/lade_pickup_subset/lade_p_subset_5cities.csv`. */
export function loadLadePickups(dataDir: string = defaultDataDir(), options?: { year?: number }): LadePickups {
  const path = join(dataDir, 'lastmile', 'lade_pickup_subset', 'lade_p_subset_5cities.csv');
  return parseLadeCsv(readDataText(path), { ...options, source: path });
}

/** Courier-day task sequences: the batch plus, per point, the LaDe row it came from. */
export interface LadeCourierDays {
  /** One trajectory per (city, courier, ds), id `<city>/<courier_id>/<ds>`, points ordered by pickup time. */
  batch: TrajectoryBatch;
  /** Row index into the LadePickups arrays of each point. */
  rows: Int32Array;
}

/**
 * Groups pickups into one trajectory per courier and day, ordered by pickup time (ties in file
 * order), positioned at the customer's location and timed at the pickup. Pickup times have minute
 * resolution, so consecutive tasks can share a timestamp: make them strictly increasing (or drop
 * repeats) before kernels that need that.
 */
export function ladeCourierDays(p: LadePickups): LadeCourierDays {
  const groups = new Map<string, number[]>();
  for (let r = 0; r < p.count; r++) {
    const key = `${p.city[r]}/${p.courierId[r]}/${p.ds[r]}`;
    let g = groups.get(key);
    if (!g) {
      g = [];
      groups.set(key, g);
    }
    g.push(r);
  }
  const b = new BatchBuilder();
  const rows: number[] = [];
  for (const [key, g] of groups) {
    g.sort((a, c) => (p.pickupTime[a] as number) - (p.pickupTime[c] as number) || a - c);
    for (const r of g) {
      b.push(p.coords[2 * r] as number, p.coords[2 * r + 1] as number, p.pickupTime[r] as number);
      rows.push(r);
    }
    b.end(key, true);
  }
  return { batch: b.build(), rows: Int32Array.from(rows) };
}
