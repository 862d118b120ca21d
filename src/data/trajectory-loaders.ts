/**
 * Helpers shared by the trajectory and last-mile loaders (geolife.ts, tdrive.ts, lade.ts,
 * amazon-lmrrc.ts, loggi.ts): reading a data file with a helpful error, parsing the
 * `YYYY-MM-DD HH:MM:SS` timestamps these sources use, and JSON with bare NaN tokens.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { WaybillError } from '../errors.js';

/** Reads a text file (gunzipped when the name ends in .gz); NOT_FOUND names the path and WAYBILL_DATA_DIR. */
export function readDataText(path: string): string {
  if (!existsSync(path)) {
    throw new WaybillError('NOT_FOUND', `data file ${path} is missing: set WAYBILL_DATA_DIR to the folder holding traj/ and lastmile/`, {
      path,
    });
  }
  try {
    const raw = readFileSync(path);
    return (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (err) {
    // A directory in place of the file, an unreadable file, or a corrupt / truncated .gz.
    throw new WaybillError('INVALID_ARGUMENT', `data file ${path} cannot be read: ${(err as Error).message}`, { path });
  }
}

const DIGITS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * Epoch seconds of a `YYYY-MM-DD HH:MM:SS` wall-clock time observed at UTC + `utcOffsetHours`
 * (0 for GMT sources, 8 for China Standard Time). NaN when the text is not such a time, including
 * a field out of range (month 13, February 30, hour 24, minute 60), which Date.UTC would roll over.
 */
export function parseDateTime(text: string, utcOffsetHours = 0): number {
  const m = DIGITS.exec(text.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m as unknown as [string, string, string, string, string, string, string];
  return utcMillis(+y, +mo, +d, +h, +mi, +s) / 1000 - utcOffsetHours * 3600;
}

/**
 * Epoch milliseconds of a UTC calendar time (month 1..12), or NaN when a field is out of range
 * (month 13, February 30, hour 24, minute 60), which Date.UTC would silently roll over.
 */
export function utcMillis(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  return back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s
    ? ms
    : Number.NaN;
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * A decimal number cell (surrounding blanks allowed). NaN for anything else, notably an empty cell
 * (which `Number` would read as 0) and hex / binary literals.
 */
export function parseDecimal(text: string | undefined): number {
  const t = (text ?? '').trim();
  return DECIMAL.test(t) ? Number(t) : Number.NaN;
}

/** True when (lat, lng) are finite WGS 84-style degrees: lat in [-90, 90], lng in [-180, 180]. */
export function validLatLng(lat: number, lng: number): boolean {
  return Number.isFinite(lat) && Number.isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180;
}

/**
 * {@link parseJsonWithNaN} for a whole data file: a syntax error (a truncated or corrupt file)
 * becomes INVALID_ARGUMENT naming `source`.
 */
export function parseJsonFile(text: string, source: string): unknown {
  try {
    return parseJsonWithNaN(text);
  } catch (err) {
    throw new WaybillError('INVALID_ARGUMENT', `${source} is not valid JSON: ${(err as Error).message}`, { source });
  }
}

/**
 * JSON.parse for files written by Python's json module, which emits bare `NaN`, `Infinity` and
 * `-Infinity` (not JSON): outside strings these tokens become `null`. Strings are left untouched.
 */
export function parseJsonWithNaN(text: string): unknown {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
      continue;
    }
    if (ch === 34) {
      inString = true;
      continue;
    }
    for (const token of ['NaN', '-Infinity', 'Infinity']) {
      if (text.startsWith(token, i)) {
        out += `${text.slice(from, i)}null`;
        i += token.length - 1;
        from = i + 1;
        break;
      }
    }
  }
  return JSON.parse(from === 0 ? text : out + text.slice(from));
}
