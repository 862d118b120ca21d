/**
 * Spatial cells for zone features (delivery zones, ETA features, demand by area): geohash cells,
 * a metric square grid on a local projection, and per-cell counts and sums.
 *
 * TypeScript only, reported as backend 'js': every function here is O(n) bit arithmetic and a few
 * comparisons per point, which JavaScript runs at about the speed memory delivers the points
 * (single-digit nanoseconds). What costs more is creating the string ids (~0.1 us each), and a
 * C++ or CUDA version would have to create those same strings on the JavaScript heap, on top of
 * crossing into the addon, so there is none (`npx tsx bench/geo-cells.bench.ts`: ~6 M points/s
 * for geohash precision 7 and ~14 M/s for the grid on one core, GeoLife fixes).
 *
 * Geohash follows the public-domain definition (G. Niemeyer, 2008): longitude and latitude are
 * bisected alternately, longitude first, each bisection giving one bit (1 = upper half, a value
 * on a midpoint goes up); the bits are read five at a time in the base-32 alphabet
 * `0123456789bcdefghjkmnpqrstuvwxyz`.
 */
import { WaybillError } from '../../errors.js';
import { assertNotDetached, describeValue } from '../options.js';
import type { PointsInput } from './types.js';
import { EARTH_RADIUS_M } from './types.js';
import { validatePoints } from './validate.js';

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i;
  DECODE[ALPHABET.toUpperCase().charCodeAt(i)] = i;
}

/** Longest geohash: 12 characters, 60 bits, cells of ~3.7 cm x 1.9 cm. */
export const GEOHASH_MAX_PRECISION = 12;
/**
 * Longest geohash whose numeric code is exact: 10 characters = 50 bits (a float64 holds integers
 * exactly up to 2^53; 11 characters need 55 bits).
 */
export const GEOHASH_MAX_NUMERIC_PRECISION = 10;
/** Default cap on the number of cells {@link geohashCover} may return. */
export const DEFAULT_MAX_COVER_CELLS = 100_000;
/**
 * Largest `maxCells` {@link geohashCover} accepts: a cover of more ids than this would not fit in
 * memory (a whole-world cover at precision 10 is 2^50 cells), so a larger cap is refused rather
 * than trusted.
 */
export const MAX_COVER_CELLS = 10_000_000;
/**
 * Smallest grid cell side, metres: 500 km / 1 mm = 5e8 rows or columns, within the Int32 range
 * of {@link GridAssignResult.rows} (a smaller cell overflowed it, and rows / cols disagreed with ids).
 */
export const GRID_MIN_SIZE_M = 0.001;
/** Farthest a point may lie from a grid's origin, metres (the projection's error grows beyond). */
export const GRID_MAX_DISTANCE_M = 500_000;
/** Largest |latitude| of a grid origin: nearer the poles cos(lat) changes too fast for one scale. */
export const GRID_MAX_ORIGIN_LAT = 80;

const RAD = Math.PI / 180;
/** 2^0 .. 2^30: the axis cell counts. */
const POW2 = Array.from({ length: 31 }, (_, k) => 2 ** k);

/** Geohash ids of n points and, up to precision 10, the same cells as integers. */
export interface GeohashEncodeResult {
  /** One id per point, `precision` characters. */
  ids: string[];
  /**
   * The id's 5 x precision bits as an integer (the first character is the most significant),
   * one per point; present only for precision <= {@link GEOHASH_MAX_NUMERIC_PRECISION}, where a
   * float64 holds it exactly. Codes of one precision sort like their ids.
   */
  codes?: Float64Array;
  precision: number;
  backend: 'js';
}

/** Cells decoded from geohash ids. */
export interface GeohashDecodeResult {
  /** Cell centres, (lat, lng) degrees interleaved: n x 2. */
  centers: Float64Array;
  /**
   * Cell bounds, n x 4 row-major: minLat, minLng, maxLat, maxLng (degrees). A point belongs to the
   * cell when minLat <= lat < maxLat and minLng <= lng < maxLng (or equals 90 / 180 in the last row
   * or column).
   */
  bounds: Float64Array;
  backend: 'js';
}

/** A latitude / longitude box, degrees. `minLng > maxLng` crosses the antimeridian. */
export interface BBox {
  minLat: number;
  minLng: number;
  maxLat: number;
  maxLng: number;
}

/** A metric square grid: cells of `sizeMeters` on an equirectangular projection around `origin`. */
export interface GridSpec {
  /** (lat, lng) degrees; |lat| <= 80. Row 0, column 0 has this point as its south-west corner. */
  origin: readonly [number, number];
  /** Cell side, metres: {@link GRID_MIN_SIZE_M} (1 mm) to {@link GRID_MAX_DISTANCE_M} (500 km). */
  sizeMeters: number;
  /** Sphere radius, metres (default 6 371 008.8). */
  radius?: number;
}

/** Grid cells of n points. */
export interface GridAssignResult {
  /** Row (northward from the origin, may be negative) per point. */
  rows: Int32Array;
  /** Column (eastward from the origin, may be negative) per point. */
  cols: Int32Array;
  /** `"row:col"` per point, e.g. `"-3:12"`. */
  ids: string[];
  backend: 'js';
}

/** Centres and bounds of grid cells. */
export interface GridCellsResult {
  /** (lat, lng) degrees interleaved: n x 2. */
  centers: Float64Array;
  /** n x 4 row-major: minLat, minLng, maxLat, maxLng (degrees; longitudes wrapped into [-180, 180]). */
  bounds: Float64Array;
  backend: 'js';
}

/** Counts (and sums) per distinct cell, sorted by id. */
export interface CellAggregate {
  /** Distinct ids, ascending by UTF-16 code units (plain `<`, not locale order). */
  ids: string[];
  /** Points per id. */
  counts: Int32Array;
  /** Sum of `values` per id, when values were given. */
  sums?: Float64Array;
  backend: 'js';
}

function checkPrecision(precision: unknown): number {
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1 || precision > GEOHASH_MAX_PRECISION) {
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `precision must be an integer in 1..${GEOHASH_MAX_PRECISION}, got ${describeValue(precision)}`,
      {
        argument: 'precision',
      },
    );
  }
  return precision;
}

/**
 * Index of the geohash row (or column) holding `v` among `2^bits` equal parts of [lo, lo + span):
 * the q with lo + q*step <= v < lo + (q+1)*step, clamped to the last part (v = 90 or 180). The
 * bounds are exact binary fractions, so after one correction the answer equals bit-by-bit
 * bisection's, also for values on a boundary.
 */
function quantize(v: number, lo: number, span: number, bits: number): number {
  const parts = POW2[bits] as number;
  const step = span / parts;
  let q = Math.floor((v - lo) / step);
  if (q >= parts) q = parts - 1;
  if (q < 0) q = 0;
  if (v < lo + q * step && q > 0) q--;
  else if (q < parts - 1 && v >= lo + (q + 1) * step) q++;
  return q;
}

/** Bits of longitude and latitude in a geohash of `chars` characters (longitude takes the odd one). */
function bitSplit(chars: number): [lngBits: number, latBits: number] {
  const total = 5 * chars;
  return [Math.ceil(total / 2), Math.floor(total / 2)];
}

/** The last {@link interleave}'s bits as a number (exact up to 10 characters): saves re-reading the id. */
let interleavedCode = 0;

/**
 * The geohash of cell (latQ, lngQ) at `chars` characters, of which `lngBits` and `latBits` are
 * the axes' bit counts (passed in: this runs once per point).
 */
function interleave(latQ: number, lngQ: number, chars: number, lngBits: number, latBits: number): string {
  let lngLeft = lngBits;
  let latLeft = latBits;
  let s = '';
  let code = 0;
  let bit = 0; // position in the whole hash; even = longitude
  for (let c = 0; c < chars; c++) {
    let v = 0;
    for (let b = 0; b < 5; b++, bit++) {
      // At most 30 bits per axis: they fit the 32-bit integers that shifts work on.
      const digit = (bit & 1) === 0 ? (lngQ >>> --lngLeft) & 1 : (latQ >>> --latLeft) & 1;
      v = (v << 1) | digit;
    }
    s += ALPHABET[v];
    code = code * 32 + v;
  }
  interleavedCode = code;
  return s;
}

/** (latQ, lngQ, chars) of one geohash id; throws INVALID_ARGUMENT naming `field[index]`. */
function deinterleave(id: unknown, field: string, index: number): [latQ: number, lngQ: number, chars: number] {
  if (typeof id !== 'string' || id.length < 1 || id.length > GEOHASH_MAX_PRECISION) {
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `${field}[${index}] must be a geohash of 1..${GEOHASH_MAX_PRECISION} characters, got ${describeValue(id)}`,
      { argument: field, index },
    );
  }
  let latQ = 0;
  let lngQ = 0;
  let bit = 0;
  for (let c = 0; c < id.length; c++) {
    const code = id.charCodeAt(c);
    const v = code < 128 ? (DECODE[code] as number) : -1;
    if (v < 0) {
      throw new WaybillError('INVALID_ARGUMENT', `${field}[${index}] = ${JSON.stringify(id)}: '${id[c]}' is not a geohash character`, {
        argument: field,
        index,
      });
    }
    for (let b = 4; b >= 0; b--, bit++) {
      const digit = (v >> b) & 1;
      if ((bit & 1) === 0) lngQ = lngQ * 2 + digit;
      else latQ = latQ * 2 + digit;
    }
  }
  return [latQ, lngQ, id.length];
}

function idsArray(ids: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(ids)) {
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be an array of strings, got ${describeValue(ids)}`, { argument: field });
  }
  return ids;
}

/**
 * Geohash ids of n points ((lat, lng) degrees interleaved) at `precision` characters (1..12),
 * plus their integer codes up to precision 10. Precision 5 is ~4.9 km x 4.9 km, 7 ~153 m x 153 m
 * at the equator (east-west sides shrink with cos(lat)).
 */
export function geohashEncode(points: PointsInput, precision: number): GeohashEncodeResult {
  const p = validatePoints('points', points, true);
  checkPrecision(precision);
  const n = p.length / 2;
  const [lngBits, latBits] = bitSplit(precision);
  const ids: string[] = new Array(n);
  const numeric = precision <= GEOHASH_MAX_NUMERIC_PRECISION;
  const codes = numeric ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const latQ = quantize(p[2 * i] as number, -90, 180, latBits);
    const lngQ = quantize(p[2 * i + 1] as number, -180, 360, lngBits);
    ids[i] = interleave(latQ, lngQ, precision, lngBits, latBits);
    if (codes) codes[i] = interleavedCode;
  }
  return codes ? { ids, codes, precision, backend: 'js' } : { ids, precision, backend: 'js' };
}

/** Centre and bounds of each geohash id (ids of mixed lengths allowed; letters in either case). */
export function geohashDecode(ids: readonly string[]): GeohashDecodeResult {
  const list = idsArray(ids, 'ids');
  const n = list.length;
  const centers = new Float64Array(2 * n);
  const bounds = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [latQ, lngQ, chars] = deinterleave(list[i], 'ids', i);
    const [lngBits, latBits] = bitSplit(chars);
    const dLat = 180 / 2 ** latBits;
    const dLng = 360 / 2 ** lngBits;
    const minLat = -90 + latQ * dLat;
    const minLng = -180 + lngQ * dLng;
    bounds[4 * i] = minLat;
    bounds[4 * i + 1] = minLng;
    bounds[4 * i + 2] = minLat + dLat;
    bounds[4 * i + 3] = minLng + dLng;
    centers[2 * i] = minLat + dLat / 2;
    centers[2 * i + 1] = minLng + dLng / 2;
  }
  return { centers, bounds, backend: 'js' };
}

/** Directions of {@link geohashNeighbours}, in order. */
export const NEIGHBOUR_DIRECTIONS = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'] as const;
const DIR_LAT = [1, 1, 0, -1, -1, -1, 0, 1];
const DIR_LNG = [0, 1, 1, 1, 0, -1, -1, -1];

/**
 * The 8 neighbours of each geohash id, in the order n, ne, e, se, s, sw, w, nw, each of the id's
 * own length. Columns wrap at the antimeridian (the east neighbour of a cell touching 180 is the
 * cell touching -180). Rows are clamped at the poles: there is no cell beyond them, so the three
 * neighbours across a pole are `null` (never a repeat of the cell or a wrap over the pole).
 */
export function geohashNeighbours(ids: readonly string[]): (string | null)[][] {
  const list = idsArray(ids, 'ids');
  const out: (string | null)[][] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const [latQ, lngQ, chars] = deinterleave(list[i], 'ids', i);
    const [lngBits, latBits] = bitSplit(chars);
    const rows = 2 ** latBits;
    const cols = 2 ** lngBits;
    const row: (string | null)[] = new Array(8);
    for (let d = 0; d < 8; d++) {
      const r = latQ + (DIR_LAT[d] as number);
      row[d] = r < 0 || r >= rows ? null : interleave(r, (lngQ + (DIR_LNG[d] as number) + cols) % cols, chars, lngBits, latBits);
    }
    out[i] = row;
  }
  return out;
}

function checkCoordinate(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new WaybillError('NOT_FINITE', `${name} must be a finite number, got ${describeValue(v)}`, { argument: name });
  }
  if (v < lo || v > hi) {
    throw new WaybillError('COORDINATE_OUT_OF_RANGE', `${name} ${v} is outside [${lo}, ${hi}]`, { argument: name });
  }
  return v;
}

/**
 * Every geohash cell of `precision` characters that intersects `bbox`, sorted by id. A box with
 * `minLng > maxLng` crosses the antimeridian. More cells than `maxCells` (default 100 000) is
 * TOO_LARGE before any is built: choose a coarser precision.
 */
export function geohashCover(bbox: BBox, precision: number, options?: { maxCells?: number }): string[] {
  if (typeof bbox !== 'object' || bbox === null) {
    throw new WaybillError('INVALID_ARGUMENT', `bbox must be an object { minLat, minLng, maxLat, maxLng }, got ${describeValue(bbox)}`, {
      argument: 'bbox',
    });
  }
  const minLat = checkCoordinate(bbox.minLat, 'bbox.minLat', -90, 90);
  const maxLat = checkCoordinate(bbox.maxLat, 'bbox.maxLat', -90, 90);
  const minLng = checkCoordinate(bbox.minLng, 'bbox.minLng', -180, 180);
  const maxLng = checkCoordinate(bbox.maxLng, 'bbox.maxLng', -180, 180);
  if (minLat > maxLat) {
    throw new WaybillError('INVALID_ARGUMENT', `bbox.minLat ${minLat} is above bbox.maxLat ${maxLat}`, { argument: 'bbox.minLat' });
  }
  checkPrecision(precision);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new WaybillError('INVALID_ARGUMENT', `options must be an object { maxCells }, got ${describeValue(options)}`, {
      argument: 'options',
    });
  }
  const maxCells = options?.maxCells ?? DEFAULT_MAX_COVER_CELLS;
  if (typeof maxCells !== 'number' || !Number.isInteger(maxCells) || maxCells < 1 || maxCells > MAX_COVER_CELLS) {
    throw new WaybillError('INVALID_ARGUMENT', `maxCells must be an integer in 1..${MAX_COVER_CELLS}, got ${describeValue(maxCells)}`, {
      argument: 'maxCells',
    });
  }
  const [lngBits, latBits] = bitSplit(precision);
  const cols = 2 ** lngBits;
  const r0 = quantize(minLat, -90, 180, latBits);
  const r1 = quantize(maxLat, -90, 180, latBits);
  const c0 = quantize(minLng, -180, 360, lngBits);
  const c1 = quantize(maxLng, -180, 360, lngBits);
  // Crossing the antimeridian: from c0 east to the last column, then from column 0 to c1.
  const nCols = minLng <= maxLng ? c1 - c0 + 1 : cols - c0 + c1 + 1;
  const count = (r1 - r0 + 1) * Math.min(nCols, cols);
  if (count > maxCells) {
    throw new WaybillError('TOO_LARGE', `the box needs ${count} cells at precision ${precision}, more than maxCells ${maxCells}`, {
      argument: 'bbox',
      cells: count,
      limit: maxCells,
    });
  }
  const out: string[] = [];
  for (let r = r0; r <= r1; r++) {
    for (let k = 0; k < Math.min(nCols, cols); k++) out.push(interleave(r, (c0 + k) % cols, precision, lngBits, latBits));
  }
  return out.sort();
}

interface Grid {
  lat0: number;
  lng0: number;
  size: number;
  /** Metres per degree of latitude, and of longitude at the origin's latitude. */
  mPerDegLat: number;
  mPerDegLng: number;
}

function checkGrid(grid: GridSpec): Grid {
  if (typeof grid !== 'object' || grid === null) {
    throw new WaybillError('INVALID_ARGUMENT', `grid must be an object { origin, sizeMeters }, got ${describeValue(grid)}`, {
      argument: 'grid',
    });
  }
  const origin = grid.origin as unknown;
  if (!Array.isArray(origin) || origin.length !== 2) {
    throw new WaybillError('INVALID_ARGUMENT', 'grid.origin must be [lat, lng] degrees', { argument: 'grid.origin' });
  }
  const lat0 = checkCoordinate(origin[0], 'grid.origin', -GRID_MAX_ORIGIN_LAT, GRID_MAX_ORIGIN_LAT);
  const lng0 = checkCoordinate(origin[1], 'grid.origin', -180, 180);
  const size = grid.sizeMeters as unknown;
  if (typeof size !== 'number' || !Number.isFinite(size) || size < GRID_MIN_SIZE_M || size > GRID_MAX_DISTANCE_M) {
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `grid.sizeMeters must be a number of metres in [${GRID_MIN_SIZE_M}, ${GRID_MAX_DISTANCE_M}], got ${describeValue(size)}`,
      { argument: 'grid.sizeMeters' },
    );
  }
  const radius = grid.radius ?? EARTH_RADIUS_M;
  if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0) {
    throw new WaybillError('INVALID_ARGUMENT', `grid.radius must be a positive finite number of metres, got ${describeValue(radius)}`, {
      argument: 'grid.radius',
    });
  }
  const mPerDegLat = radius * RAD;
  return { lat0, lng0, size, mPerDegLat, mPerDegLng: mPerDegLat * Math.cos(lat0 * RAD) };
}

/** Longitude difference b - a wrapped into [-180, 180). */
function lngDelta(a: number, b: number): number {
  const d = b - a;
  return d >= 180 ? d - 360 : d < -180 ? d + 360 : d;
}

function wrapLng(lng: number): number {
  return lng > 180 ? lng - 360 : lng < -180 ? lng + 360 : lng;
}

/**
 * Grid cells of n points ((lat, lng) degrees interleaved) on a metric square grid.
 *
 * Projection: equirectangular around the origin, x = R cos(lat0) dLng, y = R dLat. North-south
 * sides are `sizeMeters` everywhere (on the sphere); east-west sides are exact on the origin's
 * latitude and scale by cos(lat) / cos(lat0) away from it (about -7 % 500 km north of lat 40°,
 * +6 % 500 km south). Points farther than 500 km from the origin (measured on the projection) are
 * refused with COORDINATE_OUT_OF_RANGE: use another origin per region. Longitudes wrap at the
 * antimeridian.
 */
export function gridAssign(points: PointsInput, grid: GridSpec): GridAssignResult {
  const p = validatePoints('points', points, true);
  const g = checkGrid(grid);
  const n = p.length / 2;
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const y = ((p[2 * i] as number) - g.lat0) * g.mPerDegLat;
    const x = lngDelta(g.lng0, p[2 * i + 1] as number) * g.mPerDegLng;
    if (x * x + y * y > GRID_MAX_DISTANCE_M * GRID_MAX_DISTANCE_M) {
      throw new WaybillError(
        'COORDINATE_OUT_OF_RANGE',
        `points point ${i} is ${Math.round(Math.hypot(x, y) / 1000)} km from the grid origin; the grid covers ${GRID_MAX_DISTANCE_M / 1000} km around it`,
        { argument: 'points', index: 2 * i, point: i, limit: GRID_MAX_DISTANCE_M },
      );
    }
    const r = Math.floor(y / g.size);
    const c = Math.floor(x / g.size);
    rows[i] = r;
    cols[i] = c;
    ids[i] = `${r}:${c}`;
  }
  return { rows, cols, ids, backend: 'js' };
}

/**
 * Centres and bounds of grid cells (row, col) given as two equal-length integer arrays; a cell
 * wholly beyond 500 km of the origin (none of {@link gridAssign}'s) is COORDINATE_OUT_OF_RANGE.
 */
export function gridCells(rows: ArrayLike<number>, cols: ArrayLike<number>, grid: GridSpec): GridCellsResult {
  const g = checkGrid(grid);
  for (const [name, a] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (!Array.isArray(a) && !(a instanceof Int32Array)) {
      throw new WaybillError('INVALID_ARGUMENT', `${name} must be an Int32Array or an array of integers`, { argument: name });
    }
    // A transferred buffer read as no cells: an empty answer instead of an error.
    assertNotDetached(a, name, 'argument');
  }
  if (rows.length !== cols.length) {
    throw new WaybillError('INVALID_LENGTH', `rows has ${rows.length} elements, cols ${cols.length}`, {
      argument: 'cols',
      length: cols.length,
      expected: rows.length,
    });
  }
  const n = rows.length;
  const centers = new Float64Array(2 * n);
  const bounds = new Float64Array(4 * n);
  const dLat = g.size / g.mPerDegLat;
  const dLng = g.size / g.mPerDegLng;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const c = cols[i];
    for (const [name, v] of [
      ['rows', r],
      ['cols', c],
    ] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new WaybillError('INVALID_ARGUMENT', `${name}[${i}] must be an integer, got ${describeValue(v)}`, {
          argument: name,
          index: i,
        });
      }
    }
    // Only cells that can hold an accepted point: beyond, latitudes would run past the poles.
    if (Math.hypot(((r as number) + 0.5) * g.size, ((c as number) + 0.5) * g.size) > GRID_MAX_DISTANCE_M + g.size) {
      throw new WaybillError('COORDINATE_OUT_OF_RANGE', `cell ${r}:${c} lies beyond ${GRID_MAX_DISTANCE_M / 1000} km of the grid origin`, {
        argument: 'rows',
        index: i,
        limit: GRID_MAX_DISTANCE_M,
      });
    }
    const minLat = g.lat0 + (r as number) * dLat;
    const minLng = g.lng0 + (c as number) * dLng;
    bounds[4 * i] = minLat;
    bounds[4 * i + 1] = wrapLng(minLng);
    bounds[4 * i + 2] = minLat + dLat;
    bounds[4 * i + 3] = wrapLng(minLng + dLng);
    centers[2 * i] = minLat + dLat / 2;
    centers[2 * i + 1] = wrapLng(minLng + dLng / 2);
  }
  return { centers, bounds, backend: 'js' };
}

/**
 * Counts per distinct id and, with `values` (one finite number per id), their sums: the
 * demand-by-zone aggregate. Output sorted by id.
 */
export function aggregateCells(ids: readonly string[], values?: Float64Array | readonly number[]): CellAggregate {
  const list = idsArray(ids, 'ids');
  const n = list.length;
  if (values !== undefined) {
    if (!(values instanceof Float64Array) && !Array.isArray(values)) {
      throw new WaybillError('INVALID_ARGUMENT', 'values must be a Float64Array or an array of numbers', { argument: 'values' });
    }
    assertNotDetached(values, 'values', 'argument');
    if (values.length !== n) {
      throw new WaybillError('INVALID_LENGTH', `values has ${values.length} elements; ids has ${n}`, {
        argument: 'values',
        length: values.length,
        expected: n,
      });
    }
  }
  const slot = new Map<string, number>();
  const counts: number[] = [];
  const sums: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = list[i];
    if (typeof id !== 'string') {
      throw new WaybillError('INVALID_ARGUMENT', `ids[${i}] must be a string, got ${describeValue(id)}`, { argument: 'ids', index: i });
    }
    let s = slot.get(id);
    if (s === undefined) {
      s = counts.length;
      slot.set(id, s);
      counts.push(0);
      sums.push(0);
    }
    counts[s] = (counts[s] as number) + 1;
    if (values !== undefined) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new WaybillError('NOT_FINITE', `values[${i}] is ${describeValue(v)}: every value must be a finite number`, {
          argument: 'values',
          index: i,
        });
      }
      sums[s] = (sums[s] as number) + v;
      // Finite values can still sum past the float64 range: an error, not Infinity.
      if (!Number.isFinite(sums[s])) {
        throw new WaybillError('NOT_FINITE', `the sum of values for cell ${JSON.stringify(id)} overflows float64 at values[${i}]`, {
          argument: 'values',
          index: i,
        });
      }
    }
  }
  const order = [...slot.keys()].sort();
  const outCounts = new Int32Array(order.length);
  const outSums = values !== undefined ? new Float64Array(order.length) : undefined;
  order.forEach((id, k) => {
    const s = slot.get(id) as number;
    outCounts[k] = counts[s] as number;
    if (outSums) outSums[k] = sums[s] as number;
  });
  return outSums ? { ids: order, counts: outCounts, sums: outSums, backend: 'js' } : { ids: order, counts: outCounts, backend: 'js' };
}

/** The cell functions as `engine.kernels.geo.cells` exposes them (they need no engine state). */
export interface GeoCells {
  geohashEncode: typeof geohashEncode;
  geohashDecode: typeof geohashDecode;
  geohashNeighbours: typeof geohashNeighbours;
  geohashCover: typeof geohashCover;
  gridAssign: typeof gridAssign;
  gridCells: typeof gridCells;
  aggregateCells: typeof aggregateCells;
}

export const geoCells: GeoCells = {
  geohashEncode,
  geohashDecode,
  geohashNeighbours,
  geohashCover,
  gridAssign,
  gridCells,
  aggregateCells,
};
