/**
 * Loggi Benchmark for Urban Deliveries (loggibud, MIT licence) CVRP instances, as in
 * `<WAYBILL_DATA_DIR>/lastmile/loggibud/` (see lastmile/SOURCES.md): `{ name, region, origin
 * {lng, lat}, vehicle_capacity, deliveries [{ id, point {lng, lat}, size }] }`. Synthetic demand
 * drawn from census data, real-looking geometry (Rio de Janeiro).
 *
 * Coordinate datum: WGS 84 (plain lng / lat degrees as used by OSM / OSRM, which the benchmark's
 * own tooling routes on). No timestamps.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WaybillError } from '../errors.js';
import { BatchBuilder } from '../kernels/trajectory/batch.js';
import type { TrajectoryBatch } from '../kernels/trajectory/types.js';
import { defaultDataDir } from '../paths.js';
import { parseJsonFile, readDataText, validLatLng } from './trajectory-loaders.js';

/** Coordinate datum of Loggi BUD. */
export const LOGGI_DATUM = 'WGS84';

export interface LoggiInstance {
  name: string;
  region: string;
  /** Hub position (lat, lng). */
  origin: [number, number];
  vehicleCapacity: number;
  deliveryIds: string[];
  /** Delivery positions, (lat, lng) interleaved. */
  coords: Float64Array;
  sizes: Float64Array;
}

function bad(source: string, what: string, details: Record<string, unknown> = {}): never {
  throw new WaybillError('INVALID_ARGUMENT', `${source}: ${what}`, { source, ...details });
}

function coord(source: string, p: unknown, what: string, index?: number): [number, number] {
  const o = p as { lat?: unknown; lng?: unknown } | null;
  if (typeof o?.lat !== 'number' || typeof o?.lng !== 'number' || !Number.isFinite(o.lat) || !Number.isFinite(o.lng)) {
    bad(source, `${what} needs numeric lat and lng`, index === undefined ? {} : { index });
  }
  if (!validLatLng(o.lat, o.lng))
    throw new WaybillError('COORDINATE_OUT_OF_RANGE', `${source}: ${what}: lat ${o.lat}, lng ${o.lng} out of range`, {
      source,
      field: 'lat/lng',
      ...(index === undefined ? {} : { index }),
    });
  return [o.lat, o.lng];
}

/** Parses one loggibud instance JSON text; vehicle_capacity and every delivery size are required. */
export function parseLoggi(text: string, source = 'Loggi instance'): LoggiInstance {
  const j = parseJsonFile(text, source) as Record<string, unknown> | null;
  if (typeof j !== 'object' || j === null || !Array.isArray(j.deliveries)) bad(source, 'expected an object with a deliveries array');
  const deliveries = j.deliveries as Array<{ id?: unknown; point?: unknown; size?: unknown }>;
  const coords = new Float64Array(2 * deliveries.length);
  const sizes = new Float64Array(deliveries.length);
  const deliveryIds: string[] = [];
  deliveries.forEach((d, k) => {
    const [lat, lng] = coord(source, d?.point, `delivery ${k}`, k);
    coords[2 * k] = lat;
    coords[2 * k + 1] = lng;
    if (typeof d.size !== 'number' || !Number.isFinite(d.size) || d.size < 0)
      bad(source, `delivery ${k}: size must be a number >= 0, got ${JSON.stringify(d.size) ?? 'nothing'}`, { index: k, field: 'size' });
    sizes[k] = d.size;
    deliveryIds.push(String(d.id));
  });
  const capacity = j.vehicle_capacity;
  if (typeof capacity !== 'number' || !Number.isFinite(capacity) || capacity <= 0)
    bad(source, `vehicle_capacity must be a number > 0, got ${JSON.stringify(capacity) ?? 'nothing'}`, { field: 'vehicle_capacity' });
  return {
    name: String(j.name),
    region: String(j.region),
    origin: coord(source, j.origin, 'origin'),
    vehicleCapacity: capacity,
    deliveryIds,
    coords,
    sizes,
  };
}

/** Every `*.json` instance of `<dataDir>/lastmile/loggibud` (or `dir`), in name order. */
export function loadLoggi(dir: string = join(defaultDataDir(), 'lastmile', 'loggibud')): LoggiInstance[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    throw new WaybillError('NOT_FOUND', `Loggi folder ${dir} is missing: set WAYBILL_DATA_DIR`, { path: dir });
  }
  return names.map((n) => parseLoggi(readDataText(join(dir, n)), join(dir, n)));
}

/**
 * Instances as a batch: one trajectory per instance (id = name), the hub first and then the
 * deliveries in file order — a point set, not a driven order. Times are NaN.
 */
export function loggiBatch(instances: LoggiInstance[]): TrajectoryBatch {
  const b = new BatchBuilder();
  for (const inst of instances) {
    b.push(inst.origin[0], inst.origin[1], Number.NaN);
    for (let k = 0; k < inst.sizes.length; k++) b.push(inst.coords[2 * k] as number, inst.coords[2 * k + 1] as number, Number.NaN);
    b.end(inst.name, true);
  }
  return b.build();
}
