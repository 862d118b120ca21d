/**
 * example-distance on real data: for points between consecutive stops of the real Amazon routes
 * (not stops themselves), the plugin's answer must be the exact nearest stop by haversine over
 * all 2,051 stops (threshold: every answer, distance within 1e-6 m of the brute-force minimum).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES_FILE } from '../../plugins/example-distance/index.js';
import { createEngine } from '../../src/index.js';
import { haversine } from '../../src/kernels/geo/haversine-matrix.js';
import { defaultDataDir } from '../../src/paths.js';
import { ModelRegistry } from '../../src/plugins/registry.js';

const engine = createEngine({ workers: 1 });
afterAll(() => engine.close());

type Routes = Record<string, { stops: Record<string, { lat: number; lng: number }> }>;

describe('example-distance on real Amazon stops', () => {
  it('answers the exact nearest stop for 400 points between real consecutive stops', async () => {
    const routes = JSON.parse(readFileSync(join(defaultDataDir(), ROUTES_FILE), 'utf8').replace(/\bNaN\b/g, 'null')) as Routes;
    const stops = Object.entries(routes).flatMap(([r, route]) => Object.entries(route.stops).map(([s, p]) => ({ id: `${r}/${s}`, ...p })));
    expect(stops.length).toBe(2051);
    // Midpoints of stop pairs within each route: real street geography, but never a stop itself.
    const queries: Array<{ lat: number; lng: number }> = [];
    for (const route of Object.values(routes)) {
      const ss = Object.values(route.stops);
      for (let i = 0; i + 1 < ss.length && queries.length < 400; i += 5) {
        const a = ss[i] as { lat: number; lng: number };
        const b = ss[i + 1] as { lat: number; lng: number };
        queries.push({ lat: (a.lat + b.lat) / 2, lng: (a.lng + b.lng) / 2 });
      }
    }
    expect(queries.length).toBe(400);
    const reg = new ModelRegistry({ kernels: engine.kernels, logger: { info() {}, warn() {}, error() {} } });
    await reg.loadFrom('plugins/example-distance');
    const r = await reg.infer('example-distance', undefined, queries);
    const outputs = r.outputs as Array<{ stop_id: string; distance_m: number }>;
    let exact = 0;
    outputs.forEach((o, q) => {
      const p = queries[q] as { lat: number; lng: number };
      let best = Number.POSITIVE_INFINITY;
      for (const s of stops) best = Math.min(best, haversine(p.lat, p.lng, s.lat, s.lng, 6371008.8));
      if (Math.abs(o.distance_m - best) <= 1e-6) exact++;
    });
    expect(exact).toBe(400);
    await reg.closeAll();
  });
});
