/**
 * GeoLife GPS Trajectories 1.3 (Microsoft Research Asia; Zheng et al. 2010), in its two shapes:
 *
 * - the original `.plt` files: 6 header lines, then `lat,lng,0,altitude_ft,days_since_1899-12-30,date,time`;
 * - the CSV packaging of scikit-mobility's `geolife_sample.txt.gz`: `lat,lng,datetime,uid`, one
 *   row per fix, trip files merged per user (re-derive trips with `segmentTrips`).
 *
 * Coordinate datum: WGS 84 (stated in every .plt header; GeoLife was logged by GPS receivers and
 * phones). Times: GMT in both shapes. Shared data: `<WAYBILL_DATA_DIR>/traj/geolife_sample/` and
 * `<WAYBILL_DATA_DIR>/traj/geolife_raw_plt/` (see traj/SOURCES.md).
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { WaybillError } from '../errors.js';
import { BatchBuilder } from '../kernels/trajectory/batch.js';
import type { TrajectoryBatch } from '../kernels/trajectory/types.js';
import { defaultDataDir } from '../paths.js';
import { parseDateTime, parseDecimal, readDataText, validLatLng } from './trajectory-loaders.js';

/** Coordinate datum of GeoLife coordinates. */
export const GEOLIFE_DATUM = 'WGS84';

function fail(source: string, what: string, line: number): never {
  throw new WaybillError('INVALID_ARGUMENT', `${source}, line ${line}: ${what}`, { source, line });
}

function checkLatLng(source: string, lat: number, lng: number, line: number): void {
  if (!validLatLng(lat, lng))
    throw new WaybillError('COORDINATE_OUT_OF_RANGE', `${source}, line ${line}: lat ${lat}, lng ${lng} out of range`, {
      source,
      line,
      field: 'lat/lng',
    });
}

/**
 * Parses the scikit-mobility CSV packaging (`lat,lng,datetime,uid` with a header row): one
 * trajectory per user (`ids` are the zero-padded uids, in order of first appearance), points in
 * file order. Times are epoch seconds from the GMT `datetime` column. Throws INVALID_ARGUMENT
 * with `details.line` on a malformed row.
 */
export function parseGeolifeCsv(text: string, source = 'GeoLife CSV'): TrajectoryBatch {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(',');
  const col = (name: string): number => {
    const at = header.indexOf(name);
    if (at < 0) fail(source, `header must name lat, lng, datetime and uid; got "${lines[0]}"`, 1);
    return at;
  };
  const cLat = col('lat');
  const cLng = col('lng');
  const cTime = col('datetime');
  const cUid = col('uid');
  const rows = lines.length - 1;
  const lat = new Float64Array(rows);
  const lng = new Float64Array(rows);
  const time = new Float64Array(rows);
  const user = new Int32Array(rows);
  const users: string[] = [];
  const userIndex = new Map<string, number>();
  let count = 0;
  for (let l = 1; l < lines.length; l++) {
    const line = (lines[l] as string).trim();
    if (line === '') continue;
    const f = line.split(',');
    const y = parseDecimal(f[cLat]);
    const x = parseDecimal(f[cLng]);
    const t = parseDateTime(f[cTime] ?? '', 0);
    const uid = f[cUid];
    if (f.length !== header.length || !Number.isFinite(y) || !Number.isFinite(x) || !Number.isFinite(t) || !uid) {
      fail(source, `expected lat, lng, YYYY-MM-DD HH:MM:SS, uid; got "${line}"`, l + 1);
    }
    checkLatLng(source, y, x, l + 1);
    let u = userIndex.get(uid);
    if (u === undefined) {
      u = users.length;
      users.push(uid);
      userIndex.set(uid, u);
    }
    lat[count] = y;
    lng[count] = x;
    time[count] = t;
    user[count] = u;
    count++;
  }
  // Group by user with a counting sort, keeping file order inside each user.
  const offsets = new Int32Array(users.length + 1);
  for (let r = 0; r < count; r++) offsets[(user[r] as number) + 1] = (offsets[(user[r] as number) + 1] as number) + 1;
  for (let u = 0; u < users.length; u++) offsets[u + 1] = (offsets[u + 1] as number) + (offsets[u] as number);
  const next = offsets.slice(0, users.length);
  const coords = new Float64Array(2 * count);
  const times = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    const u = user[r] as number;
    const at = next[u] as number;
    next[u] = at + 1;
    coords[2 * at] = lat[r] as number;
    coords[2 * at + 1] = lng[r] as number;
    times[at] = time[r] as number;
  }
  return { ids: users, coords, times, offsets };
}

/** One GeoLife .plt file: a single-trajectory batch plus the altitude column. */
export interface PltTrajectory extends TrajectoryBatch {
  /** Altitude in feet per fix, as logged (GeoLife writes -777 for "no altitude"). */
  altitudeFeet: Float64Array;
}

/**
 * Parses one original GeoLife `.plt` file into a batch with a single trajectory `id`. Times come
 * from the date and time columns (GMT), to the second. The six header lines (the first one
 * `Geolife trajectory`) must be there: without them the first six fixes would be skipped.
 */
export function parsePlt(text: string, id: string, source = `${id}.plt`): PltTrajectory {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? '').trim() !== 'Geolife trajectory' || lines.length < 6)
    fail(source, `expected the six-line .plt header starting "Geolife trajectory"; got "${(lines[0] ?? '').trim()}"`, 1);
  const b = new BatchBuilder();
  const alt: number[] = [];
  for (let l = 6; l < lines.length; l++) {
    const line = (lines[l] as string).trim();
    if (line === '') continue;
    const f = line.split(',');
    const y = parseDecimal(f[0]);
    const x = parseDecimal(f[1]);
    const t = parseDateTime(`${f[5]} ${f[6]}`, 0);
    const a = parseDecimal(f[3]);
    if (f.length !== 7 || !Number.isFinite(y) || !Number.isFinite(x) || !Number.isFinite(t) || !Number.isFinite(a)) {
      fail(source, `expected lat,lng,0,altitude,days,date,time; got "${line}"`, l + 1);
    }
    checkLatLng(source, y, x, l + 1);
    b.push(y, x, t);
    alt.push(a);
  }
  b.end(id, true);
  return { ...b.build(), altitudeFeet: Float64Array.from(alt) };
}

/** The scikit-mobility GeoLife sample (users 001 and 005): `<dataDir>/traj/geolife_sample/geolife_sample.txt.gz`. */
export function loadGeolifeSample(dataDir: string = defaultDataDir()): TrajectoryBatch {
  const path = join(dataDir, 'traj', 'geolife_sample', 'geolife_sample.txt.gz');
  return parseGeolifeCsv(readDataText(path), path);
}

/**
 * Every `.plt` file of a folder (default `<dataDir>/traj/geolife_raw_plt`), in name order, one
 * trajectory each, ids the file names without `.plt`.
 */
export function loadGeolifePlt(dir: string = join(defaultDataDir(), 'traj', 'geolife_raw_plt')): TrajectoryBatch {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.plt'))
      .sort();
  } catch {
    throw new WaybillError('NOT_FOUND', `GeoLife .plt folder ${dir} is missing: set WAYBILL_DATA_DIR`, { path: dir });
  }
  const b = new BatchBuilder();
  for (const name of names) {
    const path = join(dir, name);
    const one = parsePlt(readDataText(path), basename(name, '.plt'), path);
    for (let p = 0; p < one.times.length; p++) b.push(one.coords[2 * p] as number, one.coords[2 * p + 1] as number, one.times[p] as number);
    b.end(basename(name, '.plt'), true);
  }
  return b.build();
}
