/**
 * Cainiao LaDe-P pickups into the network graph: city -> region -> AOI (`contains`), AOI ->
 * courier (`serves`, one count per task), and the couriers' task-to-task transitions as lanes
 * between AOIs (consecutive pickups of a courier-day, by pickup time): time = the gap between the
 * two pickup times (observed, minute resolution), metres = haversine between the two customers,
 * observedAt = the first pickup. Same-AOI transitions are kept as self-lanes (not used by paths).
 * Local clock: China Standard Time (UTC+8). Datum: as LaDe publishes (unstated, likely GCJ-02).
 */
import { type LadePickups, ladeCourierDays } from '../data/lade.js';
import { haversine } from '../kernels/geo/haversine-matrix.js';
import type { NetworkGraph } from './network-graph.js';

const R = 6_371_008.8;

export const ladeCityId = (city: string): string => `lade:city:${city}`;
export const ladeRegionId = (city: string, region: number): string => `lade:region:${city}/${region}`;
export const ladeAoiId = (city: string, aoi: number): string => `lade:aoi:${city}/${aoi}`;
export const ladeCourierId = (city: string, courier: number): string => `lade:courier:${city}/${courier}`;

/** Adds the pickups to `g`; returns the number of lane observations added. */
export function addLadePickups(g: NetworkGraph, p: LadePickups): number {
  const aoiSums = new Map<string, [number, number, number]>();
  for (let r = 0; r < p.count; r++) {
    const city = p.city[r] as string;
    const cityId = ladeCityId(city);
    const regionId = ladeRegionId(city, p.regionId[r] as number);
    const aoiId = ladeAoiId(city, p.aoiId[r] as number);
    const courierId = ladeCourierId(city, p.courierId[r] as number);
    g.addNode({ id: cityId, kind: 'city', source: 'lade', label: city, attrs: {} });
    g.addNode({ id: regionId, kind: 'region', source: 'lade', label: String(p.regionId[r]), attrs: { city } });
    g.addNode({ id: aoiId, kind: 'aoi', source: 'lade', label: String(p.aoiId[r]), attrs: { city, aoiType: p.aoiType[r] as number } });
    g.addNode({ id: courierId, kind: 'courier', source: 'lade', label: String(p.courierId[r]), attrs: { city } });
    if (!g.edges.has(`contains:${cityId}->${regionId}`)) g.link('contains', cityId, regionId, { source: 'lade' });
    if (!g.edges.has(`contains:${regionId}->${aoiId}`)) g.link('contains', regionId, aoiId, { source: 'lade' });
    g.link('serves', aoiId, courierId, { source: 'lade' });
    const s = aoiSums.get(aoiId) ?? [0, 0, 0];
    s[0] += p.coords[2 * r] as number;
    s[1] += p.coords[2 * r + 1] as number;
    s[2] += 1;
    aoiSums.set(aoiId, s);
  }
  for (const [id, [lat, lng, n]] of aoiSums) {
    const node = g.node(id);
    node.lat = lat / n;
    node.lng = lng / n;
    node.attrs.tasks = n;
  }
  const days = ladeCourierDays(p);
  let observations = 0;
  const { offsets } = days.batch;
  for (let t = 0; t + 1 < offsets.length; t++) {
    for (let i = (offsets[t] as number) + 1; i < (offsets[t + 1] as number); i++) {
      const a = days.rows[i - 1] as number;
      const b = days.rows[i] as number;
      const city = p.city[a] as string;
      const metres = haversine(
        p.coords[2 * a] as number,
        p.coords[2 * a + 1] as number,
        p.coords[2 * b] as number,
        p.coords[2 * b + 1] as number,
        R,
      );
      g.observeLane(
        ladeAoiId(city, p.aoiId[a] as number),
        ladeAoiId(city, p.aoiId[b] as number),
        { seconds: (p.pickupTime[b] as number) - (p.pickupTime[a] as number), metres, at: p.pickupTime[a] as number },
        { source: 'lade', timeBasis: 'observed', utcOffsetHours: 8 },
      );
      observations++;
    }
  }
  return observations;
}
