/**
 * Amazon LMRRC routes into the network graph: station -> zone -> stop (`contains`), and the
 * zone-to-zone transitions of the real drivers as lanes (station -> first zone, zone -> zone
 * whenever consecutive stops change zone, last zone -> station). Lane samples: haversine metres
 * between the two consecutive stops, the planned service time at the destination stop (sum over
 * its packages), and an estimated time — the data has no per-stop timestamps — of metres /
 * `speedMps` + that service time; observedAt is the route's departure (UTC). Zones are scoped by
 * station (`amazon:zone:<station>/<zone>`); stops without a zone take their nearest stop's zone.
 */
import type { AmazonRoute } from '../data/amazon-lmrrc.js';
import { haversine } from '../kernels/geo/haversine-matrix.js';
import { filledZones, routeDistanceMatrix } from '../kernels/trajectory/predict/stop-sequence.js';
import type { NetworkGraph } from './network-graph.js';

/** Assumed average driving speed for Amazon lane time estimates: 30 km/h in m/s. */
export const AMAZON_ASSUMED_SPEED_MPS = 30 / 3.6;

const R = 6_371_008.8;

export const amazonStationId = (station: string): string => `amazon:station:${station}`;
export const amazonZoneId = (station: string, zone: string): string => `amazon:zone:${station}/${zone}`;
export const amazonStopId = (route: string, stop: string): string => `amazon:stop:${route}/${stop}`;

/** Adds the routes to `g`; returns the number of lane observations added. */
export function addAmazonRoutes(g: NetworkGraph, routes: AmazonRoute[], options: { speedMps?: number } = {}): number {
  const speed = options.speedMps ?? AMAZON_ASSUMED_SPEED_MPS;
  let observations = 0;
  const zoneSums = new Map<string, [number, number, number]>();
  for (const r of routes) {
    const c = r.coords;
    const st = r.stationIndex;
    const stationId = amazonStationId(r.station);
    g.addNode({
      id: stationId,
      kind: 'station',
      source: 'amazon',
      label: r.station,
      lat: c[2 * st] as number,
      lng: c[2 * st + 1] as number,
      attrs: { datum: 'WGS84' },
    });
    const zones = filledZones(r, routeDistanceMatrix(r));
    const service = new Float64Array(r.stopIds.length);
    for (let k = 0; k < r.packages.ids.length; k++) {
      const s = r.packages.serviceSeconds[k] as number;
      if (Number.isFinite(s)) service[r.packages.stop[k] as number] = (service[r.packages.stop[k] as number] as number) + s;
    }
    const placeOf = (i: number): string => (i === st ? stationId : amazonZoneId(r.station, zones[i] as string));
    r.stopIds.forEach((s, i) => {
      if (i === st) return;
      const zid = placeOf(i);
      g.addNode({ id: zid, kind: 'zone', source: 'amazon', label: zones[i] as string, attrs: { station: r.station } });
      const sum = zoneSums.get(zid) ?? [0, 0, 0];
      sum[0] += c[2 * i] as number;
      sum[1] += c[2 * i + 1] as number;
      sum[2] += 1;
      zoneSums.set(zid, sum);
      const sid = amazonStopId(r.id, s);
      g.addNode({
        id: sid,
        kind: 'stop',
        source: 'amazon',
        label: s,
        lat: c[2 * i] as number,
        lng: c[2 * i + 1] as number,
        attrs: { route: r.id, zone: r.zones[i] ?? '', plannedServiceSeconds: service[i] as number },
      });
      g.link('contains', zid, sid, { source: 'amazon' });
      if (g.edges.get(`contains:${stationId}->${zid}`) === undefined) g.link('contains', stationId, zid, { source: 'amazon' });
    });
    if (!r.actualOrder) continue;
    const seq = [...r.actualOrder, st];
    for (let k = 1; k < seq.length; k++) {
      const a = seq[k - 1] as number;
      const b = seq[k] as number;
      const pa = placeOf(a);
      const pb = placeOf(b);
      if (pa === pb) continue;
      const metres = haversine(c[2 * a] as number, c[2 * a + 1] as number, c[2 * b] as number, c[2 * b + 1] as number, R);
      const svc = b === st ? 0 : (service[b] as number);
      g.observeLane(
        pa,
        pb,
        { seconds: metres / speed + svc, metres, at: r.departure, serviceSeconds: svc },
        { source: 'amazon', timeBasis: 'estimated', utcOffsetHours: 0 },
      );
      observations++;
    }
  }
  for (const [id, [lat, lng, n]] of zoneSums) {
    const node = g.node(id);
    node.lat = lat / n;
    node.lng = lng / n;
    node.attrs.stops = n;
  }
  return observations;
}
