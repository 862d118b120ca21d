/**
 * GPS traces into the network graph: stay points (Li et al. 2008, detectStayPoints) merged into
 * places, and the transits between consecutive stays of the same trace as lanes.
 *
 * Places: stay points closer than `mergeMetres` to one another are chained into one place
 * (single-linkage, the DBSCAN rule with minPts = 1), found through a grid of `mergeMetres` cells
 * so that only the 3 x 3 neighbouring cells are compared. Lanes: from the place of a stay to that
 * of the next stay of the same trace when they differ; time = next arrival - departure (observed),
 * metres = haversine between the two stay points, observedAt = the departure. Transits longer than
 * `maxTransitSeconds` (the logger was off) are dropped. Before detection each trace is sorted by
 * time and fixes that do not advance the clock are dropped.
 */
import { haversine } from '../kernels/geo/haversine-matrix.js';
import { BatchBuilder } from '../kernels/trajectory/batch.js';
import { sortByTime } from '../kernels/trajectory/clean.js';
import { detectStayPoints } from '../kernels/trajectory/stay-points.js';
import type { TrajectoryBatch } from '../kernels/trajectory/types.js';
import type { NetworkGraph } from './network-graph.js';

const R = 6_371_008.8;

export interface GpsGraphOptions {
  /** Stay-point distance threshold, metres (default 200). */
  stayMetres?: number;
  /** Stay-point duration threshold, seconds (default 1200 = 20 min). */
  staySeconds?: number;
  /** Stay points closer than this are one place, metres (default 250). */
  mergeMetres?: number;
  /** Longest transit kept as a lane observation, seconds (default 6 h). */
  maxTransitSeconds?: number;
  /** Offset of the local clock from UTC, hours (default 8: Beijing, as GeoLife and T-Drive). */
  utcOffsetHours?: number;
  /** Node id prefix (default 'gps:place:'). */
  prefix?: string;
}

export const gpsPlaceId = (k: number, prefix = 'gps:place:'): string => `${prefix}${k}`;

/** Each trace sorted by time, fixes that do not advance the clock dropped. */
function strictlyTimed(batch: TrajectoryBatch): TrajectoryBatch {
  const sorted = sortByTime(batch);
  const b = new BatchBuilder();
  for (let t = 0; t + 1 < sorted.offsets.length; t++) {
    let last = Number.NEGATIVE_INFINITY;
    for (let i = sorted.offsets[t] as number; i < (sorted.offsets[t + 1] as number); i++) {
      const time = sorted.times[i] as number;
      if (!(time > last)) continue;
      last = time;
      b.push(sorted.coords[2 * i] as number, sorted.coords[2 * i + 1] as number, time);
    }
    b.end(sorted.ids[t] ?? String(t), true);
  }
  return b.build();
}

/** Result of adding GPS traces: stay points, places and lane observations. */
export interface GpsGraphResult {
  stayPoints: number;
  places: number;
  observations: number;
  /** Place index of every stay point. */
  placeOf: Int32Array;
}

/** Adds stay-point places and transit lanes of a batch of GPS traces to `g`. */
export function addGpsTraces(g: NetworkGraph, batch: TrajectoryBatch, options: GpsGraphOptions = {}): GpsGraphResult {
  const merge = options.mergeMetres ?? 250;
  const prefix = options.prefix ?? 'gps:place:';
  const clean = strictlyTimed(batch);
  const sp = detectStayPoints(clean, { distance: options.stayMetres ?? 200, duration: options.staySeconds ?? 1200 });
  const n = sp.trajectory.length;
  // Union-find over stay points within `merge` metres, candidates from a grid of ~merge-sized cells.
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] as number;
    let x = i;
    while (parent[x] !== r) {
      const nx = parent[x] as number;
      parent[x] = r;
      x = nx;
    }
    return r;
  };
  const cellDeg = merge / 111_320;
  const grid = new Map<string, number[]>();
  const cellOf = (i: number): [number, number] => {
    const lat = sp.coords[2 * i] as number;
    const lng = sp.coords[2 * i + 1] as number;
    return [Math.floor(lat / cellDeg), Math.floor((lng * Math.cos((lat * Math.PI) / 180)) / cellDeg)];
  };
  for (let i = 0; i < n; i++) {
    const [cy, cx] = cellOf(i);
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        for (const j of grid.get(`${cy + dy},${cx + dx}`) ?? []) {
          const d = haversine(
            sp.coords[2 * i] as number,
            sp.coords[2 * i + 1] as number,
            sp.coords[2 * j] as number,
            sp.coords[2 * j + 1] as number,
            R,
          );
          if (d <= merge) parent[find(i)] = find(j);
        }
      }
    const key = `${cy},${cx}`;
    if (!grid.has(key)) grid.set(key, []);
    (grid.get(key) as number[]).push(i);
  }
  const placeIndex = new Map<number, number>();
  const placeOf = new Int32Array(n);
  const sums: [number, number, number, Set<string>][] = [];
  for (let i = 0; i < n; i++) {
    const root = find(i);
    let k = placeIndex.get(root);
    if (k === undefined) {
      k = sums.length;
      placeIndex.set(root, k);
      sums.push([0, 0, 0, new Set()]);
    }
    placeOf[i] = k;
    const s = sums[k] as [number, number, number, Set<string>];
    s[0] += sp.coords[2 * i] as number;
    s[1] += sp.coords[2 * i + 1] as number;
    s[2] += 1;
    s[3].add(clean.ids[sp.trajectory[i] as number] ?? '');
  }
  sums.forEach(([lat, lng, visits, users], k) => {
    g.addNode({
      id: gpsPlaceId(k, prefix),
      kind: 'place',
      source: 'gps',
      label: `place ${k}`,
      lat: lat / visits,
      lng: lng / visits,
      attrs: { visits, traces: [...users].join(' '), datum: 'WGS84' },
    });
  });
  const maxTransit = options.maxTransitSeconds ?? 6 * 3600;
  let observations = 0;
  for (let i = 1; i < n; i++) {
    if (sp.trajectory[i] !== sp.trajectory[i - 1] || placeOf[i] === placeOf[i - 1]) continue;
    const seconds = (sp.arrive[i] as number) - (sp.leave[i - 1] as number);
    if (!(seconds > 0 && seconds <= maxTransit)) continue;
    const metres = haversine(
      sp.coords[2 * i - 2] as number,
      sp.coords[2 * i - 1] as number,
      sp.coords[2 * i] as number,
      sp.coords[2 * i + 1] as number,
      R,
    );
    g.observeLane(
      gpsPlaceId(placeOf[i - 1] as number, prefix),
      gpsPlaceId(placeOf[i] as number, prefix),
      { seconds, metres, at: sp.leave[i - 1] as number },
      { source: 'gps', timeBasis: 'observed', utcOffsetHours: options.utcOffsetHours ?? 8 },
    );
    observations++;
  }
  return { stayPoints: n, places: sums.length, observations, placeOf };
}
