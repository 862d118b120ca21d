/**
 * Speed of the cell kernels on the GeoLife sample (217,653 fixes, Beijing): points per second for
 * geohash encoding, grid assignment and per-cell counts. Prints a table; writes no results file.
 * `npx tsx bench/geo-cells.bench.ts`
 */
import { loadGeolifeSample } from '../src/data/geolife.js';
import { aggregateCells, geohashDecode, geohashEncode, gridAssign } from '../src/index.js';

const coords = loadGeolifeSample().coords;
const n = coords.length / 2;
const origin: [number, number] = [39.9042, 116.4074];
// Keep the fixes the 500 km grid accepts (a few trips leave Beijing).
const near: number[] = [];
for (let i = 0; i < n; i++) {
  const lat = coords[2 * i] as number;
  const lng = coords[2 * i + 1] as number;
  if (Math.abs(lat - origin[0]) < 4 && Math.abs(lng - origin[1]) < 4) near.push(lat, lng);
}
const nearCoords = Float64Array.from(near);
const ids7 = geohashEncode(coords, 7).ids;

/** Median of 7 runs, ms. */
function time(f: () => unknown): number {
  const t: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[3] as number;
}

const rows = [
  { kernel: 'geohashEncode p7', points: n, ms: time(() => geohashEncode(coords, 7)) },
  { kernel: 'geohashEncode p12', points: n, ms: time(() => geohashEncode(coords, 12)) },
  { kernel: 'geohashDecode p7', points: n, ms: time(() => geohashDecode(ids7)) },
  { kernel: 'gridAssign 500 m', points: nearCoords.length / 2, ms: time(() => gridAssign(nearCoords, { origin, sizeMeters: 500 })) },
  { kernel: 'aggregateCells (p7 ids)', points: n, ms: time(() => aggregateCells(ids7)) },
];
console.table(rows.map((r) => ({ ...r, ms: +r.ms.toFixed(1), mPointsPerS: +(r.points / r.ms / 1000).toFixed(2) })));
