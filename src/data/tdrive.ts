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
import { parseDateTime, parseDecimal, readDataText, validLatLng } from './trajectory-loaders.js';

/** Coordinate datum assumed for T-Drive (not stated by the source). */
export const TDRIVE_DATUM = 'WGS84 (assumed; not stated by the source)';

/** T-Drive timestamps are Beijing local time. */
const BEIJING_UTC_OFFSET = 8;

/**
 * Parses T-Drive text (one or more taxis): one trajectory per taxi id, in order of first
 * appearance, points in file order, duplicates kept. Coordinates are stored (lat, lng).
 */
export function parseTdrive(text: string, source = 'T-Drive'): TrajectoryBatch {
  return parseTdriveFiles([{ text, source }]);
}

/** {@link parseTdrive} over several files read as one, errors naming the file and its own line. */
function parseTdriveFiles(files: Array<{ text: string; source: string }>): TrajectoryBatch {
  const ids: string[] = [];
  // Per taxi: (lat, lng, time) triples.
  const perTaxi = new Map<string, number[]>();
  for (const { text, source } of files) {
    const lines = text.split(/\r?\n/);
    for (let l = 0; l < lines.length; l++) {
      const line = (lines[l] as string).trim();
      if (line === '') continue;
      const f = line.split(',');
      const t = parseDateTime(f[1] ?? '', BEIJING_UTC_OFFSET);
      const x = parseDecimal(f[2]);
      const y = parseDecimal(f[3]);
      const id = (f[0] ?? '').trim();
      if (f.length !== 4 || id === '' || !Number.isFinite(t) || !Number.isFinite(x) || !Number.isFinite(y)) {
        throw new WaybillError('INVALID_ARGUMENT', `${source}, line ${l + 1}: expected id,YYYY-MM-DD HH:MM:SS,lng,lat; got "${line}"`, {
          source,
          line: l + 1,
        });
      }
      if (!validLatLng(y, x))
        throw new WaybillError('COORDINATE_OUT_OF_RANGE', `${source}, line ${l + 1}: lng ${x}, lat ${y} out of range`, {
          source,
          line: l + 1,
          field: 'lng/lat',
        });
      let rows = perTaxi.get(id);
      if (!rows) {
        rows = [];
        perTaxi.set(id, rows);
        ids.push(id);
      }
      rows.push(y, x, t);
    }
  }
  const b = new BatchBuilder();
  for (const id of ids) {
    const rows = perTaxi.get(id) as number[];
    for (let k = 0; k < rows.length; k += 3) b.push(rows[k] as number, rows[k + 1] as number, rows[k + 2] as number);
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
  return parseTdriveFiles(names.map((n) => ({ text: readDataText(join(dir, n)), source: join(dir, n) })));
}
