/**
 * example-distance: the nearest real Amazon delivery stop (or station) to a point.
 *
 * The tutorial plugin (see README.md in this folder). It loads the 2,051 stops of the 13 real
 * routes in the Amazon Last Mile Routing Research Challenge sample (../shared/data/lastmile,
 * see its SOURCES.md) and answers each request with one batched geo.kNearest call on whatever
 * backend the engine picks (CUDA, C++ or the TypeScript reference).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'typebox';
import { definePlugin } from '../../src/plugins/define.js';

/** One request instance: a point, WGS84 degrees. */
const Input = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'latitude, degrees' }),
    lng: Type.Number({ minimum: -180, maximum: 180, description: 'longitude, degrees' }),
  },
  { additionalProperties: false },
);

/** One answer: the nearest stop and the great-circle distance to it. */
const Output = Type.Object({
  stop_id: Type.String({ description: 'route id / stop id of the nearest stop' }),
  station: Type.Boolean({ description: 'true when the nearest stop is a depot (Station)' }),
  zone_id: Type.String({ description: 'Amazon delivery zone of the stop ("" when none)' }),
  distance_m: Type.Number({ description: 'haversine distance, metres' }),
});

interface Stops {
  ids: string[];
  station: boolean[];
  zones: string[];
  /** (lat, lng) interleaved. */
  points: Float64Array;
}

type RouteData = Record<string, { stops: Record<string, { lat: number; lng: number; type: string; zone_id: string | null }> }>;

export const ROUTES_FILE = join('lastmile', 'amazon_lmrrc_sample', 'new_route_data.json');

export default definePlugin({
  name: 'example-distance',
  version: '1.0.0',
  description: 'Nearest real Amazon last-mile stop to a point (haversine, batched kNearest).',
  kernels: ['geo.kNearest'],
  input: Input,
  output: Output,
  metadata: {
    data: {
      file: `../shared/data/${ROUTES_FILE}`,
      source: 'Amazon Last Mile Routing Research Challenge 2021, model-apply sample: 13 routes, 2,051 stops',
      licence: 'CC BY-NC 4.0 (see ../shared/data/lastmile/SOURCES.md)',
    },
    metrics: { method: 'exact nearest neighbour; backends agree with the TypeScript reference within 1e-6 m (test/kernels)' },
  },
  // Many small requests share one kernel call: up to 256 points, waiting at most 2 ms for company.
  limits: { maxConcurrency: 2, maxQueue: 256, batching: { maxBatchSize: 256, maxWaitMs: 2 } },

  load(ctx): Stops {
    const file = join(ctx.dataDir, ROUTES_FILE);
    // The challenge's JSON files may hold bare NaN tokens, which JSON.parse rejects.
    const routes = JSON.parse(readFileSync(file, 'utf8').replace(/\bNaN\b/g, 'null')) as RouteData;
    const ids: string[] = [];
    const station: boolean[] = [];
    const zones: string[] = [];
    const coords: number[] = [];
    for (const [routeId, route] of Object.entries(routes)) {
      for (const [stopId, s] of Object.entries(route.stops)) {
        if (!Number.isFinite(s.lat) || !Number.isFinite(s.lng)) continue;
        ids.push(`${routeId}/${stopId}`);
        station.push(s.type === 'Station');
        zones.push(s.zone_id ?? '');
        coords.push(s.lat, s.lng);
      }
    }
    if (ids.length === 0) throw new Error(`no stops with coordinates in ${file}`);
    ctx.log.info(`loaded ${ids.length} stops from ${Object.keys(routes).length} routes`);
    return { ids, station, zones, points: Float64Array.from(coords) };
  },

  async warmup(ctx, stops) {
    await ctx.kernels.geo.kNearest([stops.points[0] as number, stops.points[1] as number], stops.points, 1);
  },

  async predict(ctx, stops, batch) {
    const origins = new Float64Array(batch.length * 2);
    batch.forEach((p, i) => {
      origins[2 * i] = p.lat;
      origins[2 * i + 1] = p.lng;
    });
    const r = await ctx.kernels.geo.kNearest(origins, stops.points, 1);
    return batch.map((_, i) => {
      const j = r.indices[i] as number;
      return {
        stop_id: stops.ids[j] as string,
        station: stops.station[j] as boolean,
        zone_id: stops.zones[j] as string,
        distance_m: r.distances[i] as number,
      };
    });
  },
});
