/** Trajectory and last-mile loaders: small fixtures, the NaN-tolerant JSON reader, and the real shared data's counts. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { amazonActualSequences, buildAmazonRoutes, loadAmazonLmrrc } from '../../src/data/amazon-lmrrc.js';
import { loadGeolifePlt, loadGeolifeSample, parseGeolifeCsv, parsePlt } from '../../src/data/geolife.js';
import { ladeCourierDays, loadLadePickups, parseLadeCsv } from '../../src/data/lade.js';
import { loadLoggi, loggiBatch, parseLoggi } from '../../src/data/loggi.js';
import { loadTdriveSample, parseTdrive } from '../../src/data/tdrive.js';
import { parseDateTime, parseJsonWithNaN } from '../../src/data/trajectory-loaders.js';
import { WaybillError } from '../../src/errors.js';
import { checkTimeOrder, removeExactDuplicates, segmentTrips, validateBatch } from '../../src/kernels/trajectory/index.js';
import { defaultDataDir } from '../../src/paths.js';

const DATA = defaultDataDir();
const haveData = existsSync(join(DATA, 'traj')) && existsSync(join(DATA, 'lastmile'));
if (!haveData)
  console.warn(`trajectory loaders: skipping the real-data tests, ${DATA}/traj or /lastmile is missing (set WAYBILL_DATA_DIR)`);

function errorOf(fn: () => unknown): WaybillError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a WaybillError');
}

describe('shared helpers', () => {
  it('parseDateTime: GMT and UTC+8 wall clocks to epoch seconds', () => {
    expect(parseDateTime('2008-10-23 05:53:05')).toBe(Date.UTC(2008, 9, 23, 5, 53, 5) / 1000);
    expect(parseDateTime('2008-02-02 15:36:08', 8)).toBe(Date.UTC(2008, 1, 2, 7, 36, 8) / 1000);
    expect(parseDateTime('02-02 15:36')).toBeNaN();
  });

  it('parseJsonWithNaN: bare NaN / Infinity become null, strings are untouched', () => {
    const v = parseJsonWithNaN('{"a": NaN, "b": [1, -Infinity, Infinity], "c": "NaN \\" NaN", "d": {"NaN": NaN}}');
    expect(v).toEqual({ a: null, b: [1, null, null], c: 'NaN " NaN', d: { NaN: null } });
    expect(parseJsonWithNaN('[1, 2]')).toEqual([1, 2]);
    expect(() => parseJsonWithNaN('{"a": nan}')).toThrow(SyntaxError);
  });
});

describe('GeoLife', () => {
  it('CSV packaging: grouped by uid, GMT times', () => {
    const csv =
      'lat,lng,datetime,uid\n39.98,116.31,2008-10-23 05:53:05,001\n40.0,116.32,2008-10-24 04:12:30,005\n39.99,116.30,2008-10-23 05:53:06,001\n';
    const b = parseGeolifeCsv(csv);
    expect(b.ids).toEqual(['001', '005']);
    expect(Array.from(b.offsets)).toEqual([0, 2, 3]);
    expect(Array.from(b.coords)).toEqual([39.98, 116.31, 39.99, 116.3, 40.0, 116.32]);
    expect(b.times[1] as number).toBe((b.times[0] as number) + 1);
    const e = errorOf(() => parseGeolifeCsv('lat,lng,datetime,uid\n39.9,abc,2008-10-23 05:53:05,001\n'));
    expect(e.details).toMatchObject({ line: 2 });
    expect(errorOf(() => parseGeolifeCsv('x,y\n')).details).toMatchObject({ line: 1 });
  });

  it('.plt: six header lines skipped, altitude kept, date + time (GMT) to the second', () => {
    const plt = `Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n39.984702,116.318417,0,492,39744.1201851852,2008-10-23,02:53:04\r\n39.984683,116.31845,0,-777,39744.1202546296,2008-10-23,02:53:10\r\n`;
    const t = parsePlt(plt, 'x');
    expect(t.ids).toEqual(['x']);
    expect(Array.from(t.coords)).toEqual([39.984702, 116.318417, 39.984683, 116.31845]);
    expect(Array.from(t.times)).toEqual([Date.UTC(2008, 9, 23, 2, 53, 4) / 1000, Date.UTC(2008, 9, 23, 2, 53, 10) / 1000]);
    expect(Array.from(t.altitudeFeet)).toEqual([492, -777]);
    // The day-fraction column agrees with the date and time columns (days since 1899-12-30).
    expect(39744.1201851852 * 86400 - 25569 * 86400).toBeCloseTo(t.times[0] as number, 0);
    expect(errorOf(() => parsePlt(`${plt}1,2,3\n`, 'x')).details).toMatchObject({ line: 9 });
  });
});

describe('T-Drive', () => {
  it('lng before lat in the file, (lat, lng) in the batch; Beijing time', () => {
    const b = parseTdrive(
      '1,2008-02-02 15:36:08,116.51172,39.92123\n1,2008-02-02 15:46:08,116.51135,39.93883\n2,2008-02-02 13:33:52,116.36422,39.88781',
    );
    expect(b.ids).toEqual(['1', '2']);
    expect(Array.from(b.coords.subarray(0, 2))).toEqual([39.92123, 116.51172]);
    expect(b.times[0]).toBe(Date.UTC(2008, 1, 2, 7, 36, 8) / 1000);
    expect(errorOf(() => parseTdrive('1,2008-02-02,116.5,39.9')).details).toMatchObject({ line: 1 });
  });
});

describe('LaDe', () => {
  const header =
    'order_id,region_id,city,courier_id,accept_time,time_window_start,time_window_end,lng,lat,aoi_id,aoi_type,pickup_time,pickup_gps_time,pickup_gps_lng,pickup_gps_lat,accept_gps_time,accept_gps_lng,accept_gps_lat,ds,source_city';
  const rows = [
    '3781637,3,Chongqing,317,05-01 07:59:00,05-01 09:00:00,05-01 11:00:00,106.46857,29.48821,337,1,05-01 09:28:00,,,,05-01 07:50:00,106.47378,29.45334,501,chongqing',
    '5232177,3,Chongqing,317,05-01 09:02:00,05-01 11:00:00,05-01 13:00:00,106.47566,29.4923,1251,1,05-01 08:53:00,,,,,,,501,chongqing',
  ];

  it('columns, missing values as NaN, China time with an assumed year', () => {
    const p = parseLadeCsv([header, ...rows].join('\n'));
    expect(p.count).toBe(2);
    expect(p.orderId).toEqual(['3781637', '5232177']);
    expect(Array.from(p.coords.subarray(0, 2))).toEqual([29.48821, 106.46857]);
    expect(p.pickupTime[0]).toBe(Date.UTC(2022, 4, 1, 1, 28) / 1000);
    expect(parseLadeCsv([header, ...rows].join('\n'), { year: 2021 }).pickupTime[0]).toBe(Date.UTC(2021, 4, 1, 1, 28) / 1000);
    expect(p.pickupGps[0]).toBeNaN();
    expect(p.acceptGps[0]).toBe(29.45334);
    expect(p.acceptGps[2]).toBeNaN();
    expect(Array.from(p.ds)).toEqual([501, 501]);
    // Courier-day sequences are ordered by pickup time: the second row was picked up first.
    const days = ladeCourierDays(p);
    expect(days.batch.ids).toEqual(['Chongqing/317/501']);
    expect(Array.from(days.rows)).toEqual([1, 0]);
  });

  it('bad rows name their line', () => {
    expect(errorOf(() => parseLadeCsv([header, rows[0]?.replace('05-01 09:28:00', '')].join('\n'))).details).toMatchObject({ line: 2 });
    expect(errorOf(() => parseLadeCsv('order_id,city\n1,x')).details).toMatchObject({ line: 1 });
  });
});

describe('Amazon LMRRC', () => {
  const route = {
    R1: {
      station_code: 'DLA7',
      date_YYYY_MM_DD: '2018-07-20',
      departure_time_utc: '15:00:00',
      executor_capacity_cm3: 1e6,
      stops: {
        AA: { lat: 34.1, lng: -118.2, type: 'Dropoff', zone_id: 'A-1.1A' },
        BB: { lat: 34.0, lng: -118.3, type: 'Station', zone_id: null },
        CC: { lat: 34.2, lng: -118.1, type: 'Dropoff', zone_id: 'A-1.2B' },
      },
    },
  };

  it('routes, packages with NaN time windows, actual order', () => {
    const pkgText =
      '{"R1": {"AA": {"P1": {"time_window": {"start_time_utc": NaN, "end_time_utc": NaN}, "planned_service_time_seconds": 60.0, "dimensions": {"depth_cm": 1, "height_cm": 2, "width_cm": 3}}}, "CC": {"P2": {"time_window": {"start_time_utc": "2018-07-20 16:00:00", "end_time_utc": "2018-07-20 18:00:00"}, "planned_service_time_seconds": 30.0, "dimensions": {"depth_cm": 4, "height_cm": 5, "width_cm": 6}}}}}';
    const [r] = buildAmazonRoutes(route, parseJsonWithNaN(pkgText), { R1: { actual: { BB: 0, CC: 1, AA: 2 } } });
    expect(r?.stationIndex).toBe(1);
    expect(r?.zones).toEqual(['A-1.1A', null, 'A-1.2B']);
    expect(Array.from(r?.actualOrder ?? [])).toEqual([1, 2, 0]);
    expect(r?.departure).toBe(Date.UTC(2018, 6, 20, 15) / 1000);
    expect(r?.packages.windowStart[0]).toBeNaN();
    expect(r?.packages.windowEnd[1]).toBe(Date.UTC(2018, 6, 20, 18) / 1000);
    expect(Array.from(r?.packages.stop ?? [])).toEqual([0, 2]);
    expect(Array.from(r?.packages.dimensionsCm ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
    const seq = amazonActualSequences(r ? [r] : []);
    expect(Array.from(seq.coords)).toEqual([34.0, -118.3, 34.2, -118.1, 34.1, -118.2]);
    expect(seq.times[0]).toBeNaN();
  });

  it('an actual sequence that does not cover the stops, or starts elsewhere, is refused', () => {
    expect(errorOf(() => buildAmazonRoutes(route, undefined, { R1: { actual: { BB: 0, CC: 1 } } })).details).toMatchObject({ route: 'R1' });
    expect(errorOf(() => buildAmazonRoutes(route, undefined, { R1: { actual: { BB: 0, CC: 1, AA: 1 } } })).details).toMatchObject({
      stop: 'AA',
    });
    expect(errorOf(() => buildAmazonRoutes(route, undefined, { R1: { actual: { BB: 1, CC: 0, AA: 2 } } })).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => buildAmazonRoutes({ R2: { ...route.R1, stops: {} } })).details).toMatchObject({ route: 'R2' });
  });

  it('negative, infinite or non-numeric sizes, service times and capacity are refused naming the field; missing ones read NaN', () => {
    const pkg = (p: Record<string, unknown>) => ({
      R1: {
        AA: {
          P1: {
            time_window: { start_time_utc: '2018-07-20 16:00:00', end_time_utc: '2018-07-20 18:00:00' },
            planned_service_time_seconds: 60,
            dimensions: { depth_cm: 1, height_cm: 2, width_cm: 3 },
            ...p,
          },
        },
      },
    });
    // These passed into the package volumes and service times unchecked.
    for (const [p, field] of [
      [{ dimensions: { depth_cm: -1, height_cm: 2, width_cm: 3 } }, 'depth_cm'],
      [{ dimensions: { depth_cm: 1, height_cm: '2', width_cm: 3 } }, 'height_cm'],
      [{ dimensions: { depth_cm: 1, height_cm: 2, width_cm: Number.POSITIVE_INFINITY } }, 'width_cm'],
      [{ planned_service_time_seconds: -60 }, 'planned_service_time_seconds'],
      [{ time_window: { start_time_utc: '2018-07-20 18:00:00', end_time_utc: '2018-07-20 16:00:00' } }, 'time_window'],
    ] as const) {
      const e = errorOf(() => buildAmazonRoutes(route, pkg(p)));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.details).toEqual({ route: 'R1', stop: 'AA', package: 'P1', field });
    }
    expect(errorOf(() => buildAmazonRoutes({ R1: { ...route.R1, executor_capacity_cm3: -5 } })).details).toEqual({
      route: 'R1',
      field: 'executor_capacity_cm3',
    });
    const [r] = buildAmazonRoutes(
      { R1: { ...route.R1, executor_capacity_cm3: null } },
      pkg({ dimensions: {}, planned_service_time_seconds: Number.NaN }),
    );
    expect(r?.capacityCm3).toBeNaN();
    expect(Array.from(r?.packages.dimensionsCm ?? [])).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(r?.packages.serviceSeconds[0]).toBeNaN();
  });
});

describe('Loggi', () => {
  it('origin and deliveries as (lat, lng)', () => {
    const inst = parseLoggi(
      '{"name": "x", "region": "rj-0", "origin": {"lng": -43.3, "lat": -22.8}, "vehicle_capacity": 180, "deliveries": [{"id": "a", "point": {"lng": -43.2, "lat": -22.9}, "size": 3}]}',
    );
    expect(inst.origin).toEqual([-22.8, -43.3]);
    expect(Array.from(inst.coords)).toEqual([-22.9, -43.2]);
    expect(Array.from(loggiBatch([inst]).coords)).toEqual([-22.8, -43.3, -22.9, -43.2]);
    expect(errorOf(() => parseLoggi('{"deliveries": [{"id": "a", "point": {"lng": -43.2}}]}')).details).toMatchObject({ index: 0 });
  });
});

describe('missing files', () => {
  const empty = mkdtempSync(join(tmpdir(), 'waybill-traj-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));
  it('NOT_FOUND names the path', () => {
    expect(errorOf(() => loadGeolifeSample(empty)).code).toBe('NOT_FOUND');
    expect(errorOf(() => loadAmazonLmrrc(empty)).details).toMatchObject({
      path: join(empty, 'lastmile', 'amazon_lmrrc_sample', 'new_route_data.json'),
    });
    expect(errorOf(() => loadTdriveSample(join(empty, 'nope'))).code).toBe('NOT_FOUND');
  });

  it('WAYBILL_DATA_DIR moves the default data folder', () => {
    const before = process.env.WAYBILL_DATA_DIR;
    process.env.WAYBILL_DATA_DIR = empty;
    try {
      expect(errorOf(() => loadLadePickups()).details).toMatchObject({
        path: join(empty, 'lastmile', 'lade_pickup_subset', 'lade_p_subset_5cities.csv'),
      });
      expect(errorOf(() => loadLoggi()).details).toMatchObject({ path: join(empty, 'lastmile', 'loggibud') });
    } finally {
      if (before === undefined) delete process.env.WAYBILL_DATA_DIR;
      else process.env.WAYBILL_DATA_DIR = before;
    }
  });
});

describe('malformed input (mutational fuzzing regressions)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waybill-traj-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ladeHeader =
    'order_id,region_id,city,courier_id,accept_time,time_window_start,time_window_end,lng,lat,aoi_id,aoi_type,pickup_time,pickup_gps_time,pickup_gps_lng,pickup_gps_lat,accept_gps_time,accept_gps_lng,accept_gps_lat,ds,source_city';
  const ladeRow =
    '3781637,3,Chongqing,317,05-01 07:59:00,05-01 09:00:00,05-01 11:00:00,106.46857,29.48821,337,1,05-01 09:28:00,,,,05-01 07:50:00,106.47378,29.45334,501,chongqing';

  it('parseDateTime refuses fields out of range instead of rolling them over', () => {
    expect(parseDateTime('2008-02-30 10:00:00')).toBeNaN();
    expect(parseDateTime('2008-13-45 25:61:61')).toBeNaN();
    expect(parseDateTime('2008-02-28 24:00:00')).toBeNaN();
    expect(parseDateTime('2008-02-29 23:59:59')).toBe(Date.UTC(2008, 1, 29, 23, 59, 59) / 1000);
    const e = errorOf(() => parseGeolifeCsv('lat,lng,datetime,uid\n39.9,116.3,2008-02-30 10:00:00,001\n'));
    expect(e.details).toMatchObject({ line: 2 });
  });

  it('coordinates out of range or empty are errors naming the line, not data', () => {
    const g = errorOf(() => parseGeolifeCsv('lat,lng,datetime,uid\n39.9,116.3,2008-10-23 05:53:05,001\n91,181,2008-10-23 05:53:06,001\n'));
    expect(g.code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(g.details).toMatchObject({ line: 3 });
    // An empty cell is not latitude 0.
    expect(errorOf(() => parseGeolifeCsv('lat,lng,datetime,uid\n,116.3,2008-10-23 05:53:05,001\n')).details).toMatchObject({ line: 2 });
    // lat and lng swapped: latitude 116.
    expect(errorOf(() => parseTdrive('1,2008-02-02 15:36:08,39.92123,116.51172')).code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(errorOf(() => parseTdrive('1,2008-02-02 15:36:08,,39.92123')).details).toMatchObject({ line: 1 });
    expect(errorOf(() => parseLadeCsv(`${ladeHeader}\n${ladeRow.replace('29.48821', '95')}`)).code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(
      errorOf(() =>
        parseLoggi('{"origin": {"lng": -43.3, "lat": -22.8}, "deliveries": [{"id": "a", "point": {"lng": -43.2, "lat": 95}, "size": 3}]}'),
      ).details,
    ).toMatchObject({ index: 0 });
    const stops = { BB: { lat: 34.0, lng: -118.3, type: 'Station' }, AA: { lat: null, lng: -118.2, type: 'Dropoff' } };
    const route = { R1: { date_YYYY_MM_DD: '2018-07-20', departure_time_utc: '15:00:00', stops } };
    const a = errorOf(() => buildAmazonRoutes(route));
    expect(a.code).toBe('COORDINATE_OUT_OF_RANGE');
    expect(a.details).toMatchObject({ route: 'R1', stop: 'AA' });
  });

  it('.plt: a file without its six header lines is refused (its first six fixes would be dropped); a bad altitude too', () => {
    const fix = '39.984702,116.318417,0,492,39744.1201851852,2008-10-23,02:53:04';
    expect(errorOf(() => parsePlt(Array(8).fill(fix).join('\n'), 'x')).details).toMatchObject({ line: 1 });
    const head = 'Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n';
    expect(parsePlt(`${head}${fix}\n`, 'x').times).toHaveLength(1);
    expect(errorOf(() => parsePlt(`${head}${fix.replace(',492,', ',abc,')}\n`, 'x')).details).toMatchObject({ line: 7 });
  });

  it('LaDe: a given but malformed cell is an error (not NaN or 0), and lines are counted across blank lines', () => {
    const bad = (row: string) => errorOf(() => parseLadeCsv(`${ladeHeader}\n${row}`));
    expect(bad(ladeRow.replace('05-01 07:59:00', 'garbage')).details).toMatchObject({ line: 2, field: 'accept_time' });
    expect(bad(ladeRow.replace('05-01 07:50:00', '05-01 24:50:00')).details).toMatchObject({ field: 'accept_gps_time' });
    expect(bad(ladeRow.replace(',3,Chongqing', ',abc,Chongqing')).details).toMatchObject({ field: 'region_id' });
    expect(bad(ladeRow.replace(',501,', ',5x1,')).details).toMatchObject({ field: 'ds' });
    expect(bad(ladeRow.replace('106.47378', '')).details).toMatchObject({ field: 'accept_gps_lat' });
    const blank = errorOf(() => parseLadeCsv(`${ladeHeader}\n\n\n${ladeRow}\n${ladeRow.replace(',317,', ',x,')}\n`));
    expect(blank.details).toMatchObject({ line: 5, field: 'courier_id' });
  });

  it('T-Drive folders: an error names the taxi file and its own line', () => {
    const td = join(dir, 'tdrive');
    mkdirSync(td);
    writeFileSync(join(td, '1.txt'), '1,2008-02-02 15:36:08,116.51172,39.92123\n');
    writeFileSync(join(td, '2.txt'), '2,2008-02-02 15:36:08,116.51172,39.92123\n2,2008-02-02 15:46:08,116.51172\n');
    expect(errorOf(() => loadTdriveSample(td)).details).toMatchObject({ source: join(td, '2.txt'), line: 2 });
    rmSync(join(td, '2.txt'));
    mkdirSync(join(td, '3.txt'));
    expect(errorOf(() => loadTdriveSample(td)).details).toMatchObject({ path: join(td, '3.txt') });
  });

  it('a corrupt .gz, a folder in place of a file, or truncated JSON: INVALID_ARGUMENT naming the file', () => {
    const traj = join(dir, 'traj', 'geolife_sample');
    mkdirSync(traj, { recursive: true });
    writeFileSync(join(traj, 'geolife_sample.txt.gz'), 'not gzip');
    expect(errorOf(() => loadGeolifeSample(dir)).details).toMatchObject({ path: join(traj, 'geolife_sample.txt.gz') });
    const amazon = join(dir, 'lastmile', 'amazon_lmrrc_sample');
    mkdirSync(amazon, { recursive: true });
    writeFileSync(join(amazon, 'new_route_data.json'), '{"R1": {"station_code": "DLA7", "stops": {"AA": {"lat": 34.1, "lng');
    const a = errorOf(() => loadAmazonLmrrc(dir));
    expect(a.code).toBe('INVALID_ARGUMENT');
    expect(a.details).toMatchObject({ source: join(amazon, 'new_route_data.json') });
    expect(errorOf(() => parseLoggi('{"name": "x", "deliv', 'cvrp-0.json')).details).toMatchObject({ source: 'cvrp-0.json' });
    // JSON reads 1e400 as Infinity; a missing capacity or size is not a value either.
    const inst = (capacity: string, size: string) =>
      `{"origin": {"lng": -43.3, "lat": -22.8}, ${capacity}"deliveries": [{"id": "a", "point": {"lng": -43.2, "lat": -22.9}${size}}]}`;
    expect(parseLoggi(inst('"vehicle_capacity": 180, ', ', "size": 3')).vehicleCapacity).toBe(180);
    expect(errorOf(() => parseLoggi(inst('', ', "size": 3'))).details).toMatchObject({ field: 'vehicle_capacity' });
    expect(errorOf(() => parseLoggi(inst('"vehicle_capacity": 180, ', ', "size": -1e400'))).details).toMatchObject({
      field: 'size',
      index: 0,
    });
  });
});

describe.skipIf(!haveData)('the real shared data (counts as stated in SOURCES.md)', () => {
  it('GeoLife sample: 217,653 fixes, user 001 = 108,607, user 005 = 109,046, strictly increasing times', () => {
    const g = loadGeolifeSample();
    expect(g.ids).toEqual(['001', '005']);
    expect(Array.from(g.offsets)).toEqual([0, 108607, 217653]);
    expect(g.times[0]).toBe(Date.UTC(2008, 9, 23, 5, 53, 5) / 1000);
    expect(g.times[108606]).toBe(Date.UTC(2008, 11, 15, 0, 31, 18) / 1000);
    expect(g.times[217652]).toBe(Date.UTC(2009, 2, 19, 5, 46, 37) / 1000);
    expect(checkTimeOrder(g)).toEqual([]);
    expect(removeExactDuplicates(g).removed).toBe(0);
    expect(validateBatch('g', g, { geographic: true, requireTimes: true })).toBe(2);
    const trips = segmentTrips(g, { maxGap: 1200, minPoints: 10 });
    expect(trips.batch.ids.length).toBeGreaterThan(100);
  });

  it('GeoLife .plt: 908 and 244 fixes', () => {
    const p = loadGeolifePlt();
    expect(p.ids).toEqual(['000_20081023025304', '000_20081024020959']);
    expect(Array.from(p.offsets)).toEqual([0, 908, 1152]);
    expect(p.times[0]).toBe(Date.UTC(2008, 9, 23, 2, 53, 4) / 1000);
  });

  it('T-Drive: 588 and 1,674 lines, 564 and 1,572 distinct; sorted after de-duplication', () => {
    const t = loadTdriveSample();
    expect(t.ids).toEqual(['1', '2']);
    expect(Array.from(t.offsets)).toEqual([0, 588, 2262]);
    expect(t.times[0]).toBe(Date.UTC(2008, 1, 2, 7, 36, 8) / 1000); // 15:36:08 Beijing
    const d = removeExactDuplicates(t);
    expect(Array.from(d.batch.offsets)).toEqual([0, 564, 2136]);
    expect(checkTimeOrder(d.batch)).toEqual([]);
  });

  it('LaDe: 6,190 rows, 5 cities, 1,217 couriers, GPS missing in 1,734 / 2,681 rows', () => {
    const p = loadLadePickups();
    expect(p.count).toBe(6190);
    expect(new Set(p.orderId).size).toBe(6190);
    const perCity = new Map<string, number>();
    for (const c of p.city) perCity.set(c, (perCity.get(c) ?? 0) + 1);
    expect(Object.fromEntries(perCity)).toEqual({ Yantai: 1512, Chongqing: 1470, Shanghai: 1285, Hangzhou: 1156, Jilin: 767 });
    let pickupMissing = 0;
    let acceptMissing = 0;
    for (let r = 0; r < p.count; r++) {
      if (Number.isNaN(p.pickupGps[2 * r])) pickupMissing++;
      if (Number.isNaN(p.acceptGps[2 * r])) acceptMissing++;
    }
    expect([pickupMissing, acceptMissing]).toEqual([1734, 2681]);
    const days = ladeCourierDays(p);
    expect(days.batch.ids.length).toBe(1217);
    expect(days.rows.length).toBe(6190);
    expect(validateBatch('lade', days.batch, { geographic: true })).toBe(1217);
  });

  it('Amazon LMRRC: 13 routes, 2,051 stops (13 stations), 3,129 packages, 210 with a time window', () => {
    const a = loadAmazonLmrrc();
    expect(a.routes.length).toBe(13);
    expect(a.routes.reduce((s, r) => s + r.stopIds.length, 0)).toBe(2051);
    expect(a.routes.reduce((s, r) => s + r.types.filter((t) => t === 'Station').length, 0)).toBe(13);
    expect(a.routes.reduce((s, r) => s + r.packages.ids.length, 0)).toBe(3129);
    expect(a.routes.reduce((s, r) => s + r.packages.windowStart.filter(Number.isFinite).length, 0)).toBe(210);
    expect(a.routes.map((r) => r.station).sort()).toEqual([
      'DBO2',
      'DBO2',
      'DCH4',
      'DCH4',
      'DLA7',
      'DLA7',
      'DLA7',
      'DLA7',
      'DLA8',
      'DLA9',
      'DSE4',
      'DSE4',
      'DSE5',
    ]);
    const dates = a.routes.map((r) => r.date).sort();
    expect([dates[0], dates.at(-1)]).toEqual(['2018-07-20', '2018-08-25']);
    expect(a.routes.every((r) => r.actualOrder !== undefined)).toBe(true);
    expect(a.invalidSequenceScores.size).toBe(13);
    const seq = amazonActualSequences(a.routes);
    expect(seq.offsets[13]).toBe(2051);
    expect(validateBatch('amazon', seq, { geographic: true })).toBe(13);
  });

  it('Loggi: 221 and 158 deliveries, capacity 180', () => {
    const l = loadLoggi();
    expect(l.map((i) => [i.name, i.sizes.length, i.vehicleCapacity])).toEqual([
      ['cvrp-0-rj-0', 221, 180],
      ['cvrp-0-rj-3', 158, 180],
    ]);
    expect(validateBatch('loggi', loggiBatch(l), { geographic: true })).toBe(2);
  });
});
