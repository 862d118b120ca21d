/**
 * T-Drive taxi trajectories (Microsoft Research Asia; Yuan et al. 2010/2011): one file per taxi,
 * no header, lines `taxi id,YYYY-MM-DD HH:MM:SS,longitude,latitude` — longitude first.
 *
 * Times: local Beijing time (UTC+8), converted to epoch seconds. Coordinate datum: not stated by
 * the publisher; the fixes come from the taxis' GPS receivers and are treated as WGS 84 here, as
 * for GeoLife from the same lab — unverified (Chinese map products use GCJ-02, offset by a few
 * hundred metres; check before overlaying on such maps). The files repeat whole lines: run
 * `removeExactDuplicates`. Sampling is sparse (~177 s on average). Shared data:
 * `<WAYBILL_DATA_DIR>/traj/tdrive_sample/` (see traj/SOURCES.md).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WaybillError } from '../errors.js';
import { BatchBuilder } from '../kernels/trajectory/batch.js';
import type { TrajectoryBatch } from '../kernels/trajectory/types.js';
import { defaultDataDir } from '../paths.js';
import { parseDateTime, readDataText } from './trajectory-loaders.js';

/** Coordinate datum assumed for T-Drive (not stated by the source). */
export const TDRIVE_DATUM = 'WGS84 (assumed; not stated by the source)';

/** T-Drive timestamps are Beijing local time. */
const BEIJING_UTC_OFFSET = 8;

/**
 * Parses T-Drive text (one or more taxis): one trajectory per taxi id, in order of first
 * appearance, points in file order, duplicates kept. Coordinates are stored (lat, lng).
 */
export function parseTdrive(text: string, source = 'T-Drive'): TrajectoryBatch {
  const lines = text.split(/\r?\n/);
  const ids: string[] = [];
  const perTaxi = new Map<string, number[]>();
  for (let l = 0; l < lines.length; l++) {
    const line = (lines[l] as string).trim();
    if (line === '') continue;
    const f = line.split(',');
    const t = parseDateTime(f[1] ?? '', BEIJING_UTC_OFFSET);
    const x = Number(f[2]);
    const y = Number(f[3]);
    const id = (f[0] ?? '').trim();
    if (f.length !== 4 || id === '' || !Number.isFinite(t) || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new WaybillError('INVALID_ARGUMENT', `${source}, line ${l + 1}: expected id,YYYY-MM-DD HH:MM:SS,lng,lat; got "${line}"`, {
        source,
        line: l + 1,
      });
    }
    let rows = perTaxi.get(id);
    if (!rows) {
      rows = [];
      perTaxi.set(id, rows);
      ids.push(id);
    }
    rows.push(l);
  }
  const b = new BatchBuilder();
  for (const id of ids) {
    for (const l of perTaxi.get(id) as number[]) {
      const f = (lines[l] as string).trim().split(',');
      b.push(Number(f[3]), Number(f[2]), parseDateTime(f[1] as string, BEIJING_UTC_OFFSET));
    }
    b.end(id, true);
  }
  return b.build();
}

/** All `<n>.txt` taxi files of `<dataDir>/traj/tdrive_sample` (or `dir`), by taxi number. */
export function loadTdriveSample(dir: string = join(defaultDataDir(), 'traj', 'tdrive_sample')): TrajectoryBatch {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => /^\d+\.txt$/.test(f))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  } catch {
    throw new WaybillError('NOT_FOUND', `T-Drive folder ${dir} is missing: set WAYBILL_DATA_DIR`, { path: dir });
  }
  return parseTdrive(names.map((n) => readDataText(join(dir, n))).join('\n'), dir);
}
