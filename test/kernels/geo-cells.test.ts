/** Spatial cells: geohash against published and hand-derived encodings, the metric grid, per-cell aggregates, bad input, real data. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGeolifeSample } from '../../src/data/geolife.js';
import { loadLadePickups } from '../../src/data/lade.js';
import {
  aggregateCells,
  createEngine,
  GEOHASH_MAX_NUMERIC_PRECISION,
  geohashCover,
  geohashDecode,
  geohashEncode,
  geohashNeighbours,
  gridAssign,
  gridCells,
  haversine,
  WaybillError,
} from '../../src/index.js';
import { defaultDataDir } from '../../src/paths.js';

const R = 6371008.8;
const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

function errorOf(f: () => unknown): WaybillError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a throw');
}

/** Bit-by-bit bisection straight from the definition: the oracle the fast encoder is compared to. */
function bisectEncode(lat: number, lng: number, precision: number): string {
  let [latLo, latHi, lngLo, lngHi] = [-90, 90, -180, 180];
  let s = '';
  let bit = 0;
  for (let c = 0; c < precision; c++) {
    let v = 0;
    for (let b = 0; b < 5; b++, bit++) {
      if (bit % 2 === 0) {
        const mid = (lngLo + lngHi) / 2;
        v = v * 2 + (lng >= mid ? 1 : 0);
        if (lng >= mid) lngLo = mid;
        else lngHi = mid;
      } else {
        const mid = (latLo + latHi) / 2;
        v = v * 2 + (lat >= mid ? 1 : 0);
        if (lat >= mid) latLo = mid;
        else latHi = mid;
      }
    }
    s += ALPHABET[v];
  }
  return s;
}

describe('geohash encode', () => {
  it('matches published encodings', () => {
    // Wikipedia's and geohash.org's examples.
    expect(geohashEncode([57.64911, 10.40744], 11).ids).toEqual(['u4pruydqqvj']);
    expect(geohashEncode([42.6, -5.6], 5).ids).toEqual(['ezs42']);
  });

  it('matches encodings derived by hand from the bit interleaving', () => {
    // (0, 0): lng 0 >= 0 -> 1, lat 0 >= 0 -> 1, then lower halves 0, 0, 0: 11000 = 24 = 's'.
    expect(geohashEncode([0, 0], 3).ids).toEqual(['s00']);
    // The corners: all bits 0 and, with 90 / 180 kept in the last cell, all bits 1.
    expect(geohashEncode([-90, -180, 90, 180], 12).ids).toEqual(['000000000000', 'zzzzzzzzzzzz']);
    // (-1, -1): lng 0, lat 0, then upper halves 1, 1, 1: 00111 = 7.
    expect(geohashEncode([-1, -1], 1).ids).toEqual(['7']);
    // (45, 90): lng 1, lat 1, lng [0,180) 90 >= 90 -> 1, lat [0,90) 45 >= 45 -> 1, lng [90,180) 90 < 135 -> 0: 11110 = 30 = 'y'.
    expect(geohashEncode([45, 90], 1).ids).toEqual(['y']);
  });

  it('equals bit-by-bit bisection at every precision, boundaries included', () => {
    const pts: number[] = [];
    let s = 12345;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s / 2 ** 31;
    };
    for (let i = 0; i < 300; i++) pts.push(rnd() * 180 - 90, rnd() * 360 - 180);
    // Exact cell boundaries, where rounding would first go wrong.
    for (const k of [1, 3, 7, 255])
      pts.push(-90 + (180 * k) / 2 ** 10, -180 + (360 * k) / 2 ** 12, 90 - 180 / 2 ** 30, 180 - 360 / 2 ** 30);
    for (let p = 1; p <= 12; p++) {
      const { ids } = geohashEncode(pts, p);
      for (let i = 0; i < pts.length / 2; i++) expect(ids[i]).toBe(bisectEncode(pts[2 * i] as number, pts[2 * i + 1] as number, p));
    }
  });

  it('numeric codes are the ids read in base 32, exact up to precision 10, absent beyond', () => {
    const pts = [57.64911, 10.40744, -33.8688, 151.2093, 90, 180];
    const r = geohashEncode(pts, GEOHASH_MAX_NUMERIC_PRECISION);
    r.ids.forEach((id, i) => {
      const exact = [...id].reduce((acc, ch) => acc * 32n + BigInt(ALPHABET.indexOf(ch)), 0n);
      expect(BigInt(r.codes?.[i] as number)).toBe(exact);
    });
    expect(r.codes?.[2]).toBe(2 ** 50 - 1);
    expect(geohashEncode(pts, 11).codes).toBeUndefined();
  });
});

describe('geohash decode and neighbours', () => {
  it('decode(encode(p)) contains p, and the centre is within half a cell', () => {
    const pts = [57.64911, 10.40744, -33.8688, 151.2093, 0, 0, 89.9999, -179.9999, -90, 180];
    for (const p of [1, 5, 9, 12]) {
      const { ids } = geohashEncode(pts, p);
      const { bounds, centers } = geohashDecode(ids);
      for (let i = 0; i < pts.length / 2; i++) {
        const [lat, lng] = [pts[2 * i] as number, pts[2 * i + 1] as number];
        const [minLat, minLng, maxLat, maxLng] = Array.from(bounds.subarray(4 * i, 4 * i + 4));
        expect(lat).toBeGreaterThanOrEqual(minLat as number);
        expect(lat).toBeLessThanOrEqual(maxLat as number);
        expect(lng).toBeGreaterThanOrEqual(minLng as number);
        expect(lng).toBeLessThanOrEqual(maxLng as number);
        expect(centers[2 * i]).toBeCloseTo(((minLat as number) + (maxLat as number)) / 2, 12);
      }
    }
    // Wikipedia: ezs42 is 42.605 +- 0.022, -5.603 +- 0.022.
    const e = geohashDecode(['ezs42']);
    expect(e.centers[0]).toBeCloseTo(42.605, 3);
    expect(e.centers[1]).toBeCloseTo(-5.603, 3);
    expect(geohashDecode(['EZS42']).centers).toEqual(e.centers);
  });

  it('neighbours share an edge or a corner with the cell, are distinct and of its length', () => {
    for (const id of ['ezs42', 'u4pruydqqvj', 's', 'dqcjqc']) {
      const [row] = geohashNeighbours([id]);
      expect(row).toHaveLength(8);
      const ids = row as string[];
      expect(new Set([id, ...ids]).size).toBe(9);
      const { bounds } = geohashDecode([id, ...ids]);
      const b = (k: number) => Array.from(bounds.subarray(4 * k, 4 * k + 4)) as [number, number, number, number];
      const [c0, c1, c2, c3] = b(0);
      const expected = [
        [c2, c1], // n: its minLat is our maxLat, same minLng
        [c2, c3],
        [c0, c3],
        [c0 - (c2 - c0), c3],
        [c0 - (c2 - c0), c1],
        [c0 - (c2 - c0), c1 - (c3 - c1)],
        [c0, c1 - (c3 - c1)],
        [c2, c1 - (c3 - c1)],
      ];
      for (let k = 0; k < 8; k++) {
        const [minLat, minLng, maxLat, maxLng] = b(k + 1);
        expect(minLat).toBeCloseTo(expected[k]?.[0] as number, 9);
        expect(minLng).toBeCloseTo(expected[k]?.[1] as number, 9);
        expect(maxLat - minLat).toBeCloseTo(c2 - c0, 12);
        expect(maxLng - minLng).toBeCloseTo(c3 - c1, 12);
      }
    }
    expect(geohashNeighbours(['ezs42'])[0]).toEqual(['ezs48', 'ezs49', 'ezs43', 'ezs41', 'ezs40', 'ezefp', 'ezefr', 'ezefx']);
  });

  it('wraps at the antimeridian and stops at the poles', () => {
    // 'z' = 11111 is column 7 (of 8, 3 longitude bits), row 3 (of 4): the north-east corner cell.
    // e: column 0, row 3 = 01010 'b'; se: 0, 2 = 01000 '8'; s: 7, 2 = 11101 'x'; sw: 6, 2 = 11100 'w';
    // w: 6, 3 = 11110 'y'; nothing north of row 3.
    const [z] = geohashNeighbours(['z']);
    expect(z).toEqual([null, null, 'b', '8', 'x', 'w', 'y', null]);
    // An equatorial cell on the antimeridian: its east neighbour starts at -180.
    const [id] = geohashEncode([0.01, 179.99], 6).ids;
    const east = geohashNeighbours([id as string])[0]?.[2] as string;
    expect(geohashDecode([east]).bounds[1]).toBe(-180);
    // The south pole: no cell further south, the rest present and distinct.
    const [south] = geohashNeighbours(['000']);
    expect(south?.slice(3, 6)).toEqual([null, null, null]);
    expect(new Set(south?.filter((x) => x !== null)).size).toBe(5);
  });
});

describe('geohash cover', () => {
  it('covers a box with exactly the cells that intersect it, sorted', () => {
    const box = { minLat: 57.6, minLng: 10.3, maxLat: 57.7, maxLng: 10.5 };
    const cells = geohashCover(box, 5);
    expect(cells).toEqual([...cells].sort());
    const { bounds } = geohashDecode(cells);
    for (let k = 0; k < cells.length; k++) {
      expect(bounds[4 * k] as number).toBeLessThanOrEqual(box.maxLat);
      expect(bounds[4 * k + 2] as number).toBeGreaterThan(box.minLat);
    }
    // Every point of a grid over the box falls in a listed cell.
    const pts: number[] = [];
    for (let i = 0; i <= 20; i++) for (let j = 0; j <= 20; j++) pts.push(57.6 + i * 0.005, 10.3 + j * 0.01);
    const set = new Set(cells);
    for (const id of geohashEncode(pts, 5).ids) expect(set.has(id)).toBe(true);
  });

  it('crosses the antimeridian when minLng > maxLng, and caps the count', () => {
    const cells = geohashCover({ minLat: 0, minLng: 170, maxLat: 10, maxLng: -170 }, 2);
    const { bounds } = geohashDecode(cells);
    for (let k = 0; k < cells.length; k++) {
      const minLng = bounds[4 * k + 1] as number;
      expect(minLng >= 168.75 || minLng < -168.75).toBe(true);
    }
    expect(cells).toContain(geohashEncode([5, 179], 2).ids[0]);
    expect(cells).toContain(geohashEncode([5, -179], 2).ids[0]);
    const err = errorOf(() => geohashCover({ minLat: -90, minLng: -180, maxLat: 90, maxLng: 180 }, 5, { maxCells: 1000 }));
    expect(err.code).toBe('TOO_LARGE');
    expect(err.details).toMatchObject({ cells: 32 ** 5, limit: 1000 });
  });
});

describe('metric grid', () => {
  const grid = { origin: [39.9, 116.4] as [number, number], sizeMeters: 250 };

  it('cells at the origin are sizeMeters on a side, measured with haversine', () => {
    const { bounds } = gridCells([0, 3, -2], [0, -5, 7], grid);
    for (let k = 0; k < 3; k++) {
      const [minLat, minLng, maxLat, maxLng] = Array.from(bounds.subarray(4 * k, 4 * k + 4)) as [number, number, number, number];
      expect(haversine(minLat, minLng, maxLat, minLng, R)).toBeCloseTo(250, 6);
      // East-west: scaled by cos(lat) / cos(origin lat), the documented distortion.
      const ew = (250 * Math.cos((minLat * Math.PI) / 180)) / Math.cos((39.9 * Math.PI) / 180);
      expect(haversine(minLat, minLng, minLat, maxLng, R)).toBeCloseTo(ew, 3);
    }
    // East-west: exact on the origin's latitude.
    const b0 = Array.from(bounds.subarray(0, 4)) as [number, number, number, number];
    expect(haversine(39.9, b0[1], 39.9, b0[3], R)).toBeCloseTo(250, 3);
  });

  it('assigns points to the cell that contains them, rows north and columns east', () => {
    const pts = [39.9, 116.4, 39.9 + 1e-6, 116.4 - 1e-6, 40.0, 116.5, 39.8, 116.3];
    const a = gridAssign(pts, grid);
    expect(Array.from(a.rows.slice(0, 2))).toEqual([0, 0]);
    expect(Array.from(a.cols.slice(0, 2))).toEqual([0, -1]);
    expect(a.ids[1]).toBe('0:-1');
    // 0.1 degree of latitude = 11 119.5 m = 44.48 cells of 250 m.
    expect(a.rows[2]).toBe(44);
    expect(a.rows[3]).toBe(-45);
    const { bounds, centers } = gridCells(a.rows, a.cols, grid);
    for (let i = 0; i < 4; i++) {
      expect(pts[2 * i] as number).toBeGreaterThanOrEqual(bounds[4 * i] as number);
      expect(pts[2 * i] as number).toBeLessThan(bounds[4 * i + 2] as number);
      expect(pts[2 * i + 1] as number).toBeGreaterThanOrEqual((bounds[4 * i + 1] as number) - 1e-12);
      expect(pts[2 * i + 1] as number).toBeLessThan(bounds[4 * i + 3] as number);
      // Re-assigning a centre gives back its cell.
      const back = gridAssign([centers[2 * i] as number, centers[2 * i + 1] as number], grid);
      expect([back.rows[0], back.cols[0]]).toEqual([a.rows[i], a.cols[i]]);
    }
  });

  it('wraps longitudes at the antimeridian', () => {
    const g = { origin: [0, 179.9] as [number, number], sizeMeters: 1000 };
    const a = gridAssign([0, -179.9], g);
    // 0.2 degrees east at the equator: 22 239 m.
    expect(a.cols[0]).toBe(22);
    const c = gridCells(a.rows, a.cols, g);
    expect(c.centers[1] as number).toBeLessThan(-179);
  });

  it('refuses points beyond 500 km of the origin, origins nearer the poles than 80 degrees, and bad sizes', () => {
    const far = errorOf(() => gridAssign([39.9, 116.4, 45, 116.4], grid));
    expect(far.code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(far.details).toMatchObject({ field: 'points', point: 1 });
    expect(errorOf(() => gridAssign([85, 0], { origin: [85, 0], sizeMeters: 100 })).details?.field).toBe('grid.origin');
    for (const sizeMeters of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '100' as never]) {
      const e = errorOf(() => gridAssign([0, 0], { origin: [0, 0], sizeMeters }));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.details?.field).toBe('grid.sizeMeters');
    }
    expect(errorOf(() => gridCells([0, 1], [0], grid)).code).toBe('INVALID_LENGTH');
    // Row 2100 of 250 m cells is 525 km north: past any point gridAssign accepts (and, at 1e6, past the pole).
    expect(errorOf(() => gridCells([0, 2100], [0, 0], grid)).details).toMatchObject({ field: 'rows', index: 1 });
    expect(errorOf(() => gridCells([1e6], [0], grid)).code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(gridCells([1999], [0], grid).centers[0]).toBeCloseTo(39.9 + (1999.5 * 250) / 111_195, 2);
    expect(errorOf(() => gridCells([0.5], [0], grid)).details).toMatchObject({ field: 'rows', index: 0 });
  });
});

describe('aggregateCells', () => {
  it('counts and sums per id, sorted by id', () => {
    const r = aggregateCells(['u4p', 'ezs', 'u4p', '0:-1', 'ezs', 'u4p'], [1, 2, 3, 4, 5, 6.5]);
    expect(r.ids).toEqual(['0:-1', 'ezs', 'u4p']);
    expect(Array.from(r.counts)).toEqual([1, 2, 3]);
    expect(Array.from(r.sums ?? [])).toEqual([4, 7, 10.5]);
    expect(r.backend).toBe('js');
    expect(aggregateCells([]).ids).toEqual([]);
    expect(aggregateCells(['a']).sums).toBeUndefined();
  });

  it('refuses values of another length, non-finite values and non-string ids', () => {
    expect(errorOf(() => aggregateCells(['a', 'b'], [1])).code).toBe('INVALID_LENGTH');
    expect(errorOf(() => aggregateCells(['a', 'b'], [1, Number.NaN])).details).toMatchObject({ field: 'values', index: 1 });
    expect(errorOf(() => aggregateCells(['a', 7 as never])).details).toMatchObject({ field: 'ids', index: 1 });
  });
});

describe('bad input', () => {
  it('refuses coordinates out of range, NaN, odd lengths and detached arrays, naming the field', () => {
    const lat = errorOf(() => geohashEncode([90.5, 0], 5));
    expect(lat.code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(lat.details).toMatchObject({ field: 'points', point: 0 });
    expect(errorOf(() => geohashEncode([0, -180.1], 5)).code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(errorOf(() => gridAssign([0, 0, Number.NaN, 0], { origin: [0, 0], sizeMeters: 10 })).details).toMatchObject({
      field: 'points',
      index: 2,
      point: 1,
    });
    expect(errorOf(() => geohashEncode([1, 2, 3], 5)).code).toBe('INVALID_LENGTH');
    const a = Float64Array.of(0, 0);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    const detached = errorOf(() => geohashEncode(a, 5));
    expect(detached.code).toBe('INVALID_ARGUMENT');
    expect(detached.message).toMatch(/detached/);
  });

  it('refuses precisions outside 1..12 and ids that are not geohashes', () => {
    for (const p of [0, 13, 2.5, Number.NaN, '5' as never]) {
      const e = errorOf(() => geohashEncode([0, 0], p));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.details?.field).toBe('precision');
    }
    expect(errorOf(() => geohashCover({ minLat: 0, minLng: 0, maxLat: 1, maxLng: 1 }, 13)).details?.field).toBe('precision');
    // 'a', 'i', 'l' and 'o' are not in the alphabet.
    expect(errorOf(() => geohashDecode(['ezs42', 'ezsa2'])).details).toMatchObject({ field: 'ids', index: 1 });
    expect(errorOf(() => geohashNeighbours([''])).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => geohashDecode(['0123456789bcd'])).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => geohashCover({ minLat: 2, minLng: 0, maxLat: 1, maxLng: 1 }, 3)).details?.field).toBe('bbox.minLat');
    expect(errorOf(() => geohashCover({ minLat: 0, minLng: 0, maxLat: 91, maxLng: 1 }, 3)).code).toBe('COORDINATE_OUT_OF_RANGE');
  });

  it('is reachable as engine.kernels.geo.cells', async () => {
    const engine = createEngine({ workers: 0 });
    try {
      expect(engine.kernels.geo.cells.geohashEncode([57.64911, 10.40744], 11).ids).toEqual(['u4pruydqqvj']);
    } finally {
      await engine.close();
    }
  });
});

const haveTraj = existsSync(join(defaultDataDir(), 'traj'));
const haveLade = existsSync(join(defaultDataDir(), 'lastmile'));

describe.skipIf(!haveTraj)('GeoLife fixes (217,653 points, Beijing)', () => {
  const g = loadGeolifeSample();
  const n = g.coords.length / 2;

  it('every fix lies inside its geohash cell, and the counts sum to the number of fixes', () => {
    const { ids } = geohashEncode(g.coords, 7);
    const agg = aggregateCells(ids);
    expect(agg.counts.reduce((a, b) => a + b, 0)).toBe(n);
    expect(n).toBe(217_653);
    const { bounds } = geohashDecode(agg.ids);
    const at = new Map(agg.ids.map((id, k) => [id, k]));
    for (let i = 0; i < n; i++) {
      const k = at.get(ids[i] as string) as number;
      const [lat, lng] = [g.coords[2 * i] as number, g.coords[2 * i + 1] as number];
      if (lat < (bounds[4 * k] as number) || lat >= (bounds[4 * k + 2] as number)) throw new Error(`fix ${i} outside its cell's latitudes`);
      if (lng < (bounds[4 * k + 1] as number) || lng >= (bounds[4 * k + 3] as number))
        throw new Error(`fix ${i} outside its cell's longitudes`);
    }
    // Beijing sits in geohash 'wx4'; the busiest ~150 m cell holds many fixes (stays at home or work).
    expect(agg.ids.filter((id) => id.startsWith('wx4')).length / agg.ids.length).toBeGreaterThan(0.5);
  });

  it('the 1 km grid around Tiananmen: fixes within 500 km fall in cells that contain them, sums of a value per cell add up', () => {
    const origin: [number, number] = [39.9042, 116.4074];
    const keep: number[] = [];
    for (let i = 0; i < n; i++) {
      const [lat, lng] = [g.coords[2 * i] as number, g.coords[2 * i + 1] as number];
      if (Math.abs(lat - origin[0]) < 4 && Math.abs(lng - origin[1]) < 4) keep.push(lat, lng);
    }
    expect(keep.length / 2).toBeGreaterThan(0.95 * n);
    const grid = { origin, sizeMeters: 1000 };
    const a = gridAssign(keep, grid);
    const { bounds } = gridCells(a.rows, a.cols, grid);
    for (let i = 0; i < keep.length / 2; i++) {
      const lat = keep[2 * i] as number;
      const lng = keep[2 * i + 1] as number;
      // The cell's bounds are computed from its row and column; allow a rounding ulp at the edges.
      const eps = 1e-9;
      if (lat < (bounds[4 * i] as number) - eps || lat >= (bounds[4 * i + 2] as number) + eps) throw new Error(`fix ${i} outside its row`);
      if (lng < (bounds[4 * i + 1] as number) - eps || lng >= (bounds[4 * i + 3] as number) + eps)
        throw new Error(`fix ${i} outside its column`);
    }
    const values = Array.from({ length: keep.length / 2 }, (_, i) => i % 3);
    const agg = aggregateCells(a.ids, values);
    expect(agg.counts.reduce((s, c) => s + c, 0)).toBe(keep.length / 2);
    expect(agg.sums?.reduce((s, c) => s + c, 0)).toBe(values.reduce((s, v) => s + v, 0));
  });
});

describe.skipIf(!haveLade)('LaDe pickups', () => {
  it('customer locations per geohash-6 zone: counts add up to the located pickups', () => {
    const p = loadLadePickups();
    const coords: number[] = [];
    for (let i = 0; i < p.count; i++) {
      const lat = p.coords[2 * i] as number;
      const lng = p.coords[2 * i + 1] as number;
      if (Number.isFinite(lat) && Number.isFinite(lng)) coords.push(lat, lng);
    }
    expect(coords.length / 2).toBeGreaterThan(0.9 * p.count);
    const agg = aggregateCells(geohashEncode(coords, 6).ids);
    expect(agg.counts.reduce((s, c) => s + c, 0)).toBe(coords.length / 2);
    expect(agg.ids.length).toBeLessThan(coords.length / 2);
    // LaDe's five cities (Shanghai, Hangzhou, Chongqing, Jilin, Yantai) all lie in geohash 'w':
    // latitudes 0..45 N, longitudes 90..135 E.
    expect(agg.ids.every((id) => id.length === 6 && id.startsWith('w'))).toBe(true);
  });
});

describe('cells: adversarial review', () => {
  it('a grid cell below 1 mm is refused (1e-9 m overflowed the Int32 rows: rows/cols disagreed with ids) and so is one over 500 km', () => {
    for (const sizeMeters of [1e-9, 1e-4, 600_000, 1e300]) {
      const e = errorOf(() => gridAssign([1, 1], { origin: [0, 0], sizeMeters }));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.details?.argument).toBe('grid.sizeMeters');
    }
    const g = gridAssign([1, 1], { origin: [0, 0], sizeMeters: 0.001 });
    expect(g.ids[0]).toBe(`${g.rows[0]}:${g.cols[0]}`);
  });

  it('maxCells above MAX_COVER_CELLS is refused (with maxCells 2^53 a whole-world cover at precision 10 passed the check and went on to build 2^50 ids)', () => {
    const e = errorOf(() => geohashCover({ minLat: 0, minLng: 0, maxLat: 1, maxLng: 1 }, 3, { maxCells: 10_000_001 }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details?.argument).toBe('maxCells');
  });

  it('cover options that are not an object are refused (a number was ignored)', () => {
    for (const options of [5, null, 'x']) {
      const e = errorOf(() => geohashCover({ minLat: 0, minLng: 0, maxLat: 1, maxLng: 1 }, 3, options as never));
      expect(e.details?.argument).toBe('options');
    }
  });

  it('a sum of values that overflows float64 is NOT_FINITE (it was returned as Infinity)', () => {
    const e = errorOf(() => aggregateCells(['a', 'b', 'a'], [1e308, 1, 1e308]));
    expect(e.code).toBe('NOT_FINITE');
    expect(e.details).toMatchObject({ argument: 'values', index: 2 });
  });

  it('detached rows / cols / values are refused (they read as no cells: an empty answer)', () => {
    const r = new Int32Array(2);
    structuredClone(r.buffer, { transfer: [r.buffer] });
    expect(errorOf(() => gridCells(r, r, { origin: [0, 0], sizeMeters: 10 })).details?.argument).toBe('rows');
    const v = new Float64Array(2);
    structuredClone(v.buffer, { transfer: [v.buffer] });
    expect(errorOf(() => aggregateCells([], v)).details?.argument).toBe('values');
  });
});
