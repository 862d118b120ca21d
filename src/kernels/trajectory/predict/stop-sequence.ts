/**
 * Stop-sequence prediction on Amazon LMRRC routes: the order in which the driver will serve a
 * route's stops. Three predictors:
 *
 * - `nearest`: nearest neighbour from the station (haversine);
 * - `tour`: the shortest closed tour from the station (nearest neighbour + 2-opt + Or-opt),
 *   oriented towards the nearer of the station's two tour neighbours;
 * - `zone`: the zone-aware model of the challenge's top teams, learned from other routes. Zones
 *   are Amazon's delivery zones ("D-8.3E": region letter D, major 8, sub 3, cell letter E; a
 *   route's zones form a grid that drivers sweep cell by cell). A logistic regression, trained on
 *   every (zone, candidate next zone) pair of the training routes, gives P(B follows A) from the
 *   zone-id relation (same major / adjacent sub / adjacent letter...), centroid distance and its
 *   rank, and the transition counts of real drivers between the same zones of the same station;
 *   the zone order is the low-cost path of -log P from the station; inside each zone the stops
 *   form the shortest open path from the previous zone's last stop towards the next zone.
 *   Direction check: the zone model's station-leg features barely tell a route's two directions
 *   apart, so the finished sequence is reversed when the reverse misses fewer of the packages'
 *   delivery windows (arrival times simulated at a speed calibrated on the training routes: the
 *   slowest at which every training driver's actual sequence is on time).
 *
 * Stops without a zone id take the zone of their nearest stop that has one.
 */
import type { AmazonRoute } from '../../../data/amazon-lmrrc.js';
import { WaybillError } from '../../../errors.js';
import { haversine } from '../../geo/haversine-matrix.js';
import { predictLogisticRegression, trainLogisticRegression } from '../../ml/logistic-regression.js';
import { routeScore, sequenceKendallTau } from './route-score.js';
import { asymmetricPath, nearestNeighbourOrder, openPath, shortestTour } from './tour.js';

const EARTH_RADIUS_M = 6_371_008.8;

/** n x n haversine metres between a route's stops (row-major). */
export function routeDistanceMatrix(route: Pick<AmazonRoute, 'coords'>): Float64Array {
  const n = route.coords.length / 2;
  const c = route.coords;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = haversine(c[2 * i] as number, c[2 * i + 1] as number, c[2 * j] as number, c[2 * j + 1] as number, EARTH_RADIUS_M);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  return d;
}

function checkRoute(route: AmazonRoute): void {
  if (route.stopIds.length < 2)
    throw new WaybillError('INVALID_ARGUMENT', `route ${route.id} has no stops besides the station`, { route: route.id });
}

/** Nearest-neighbour sequence from the station: stop indices, station first (not repeated at the end). */
export function predictNearestNeighbour(route: AmazonRoute, dist = routeDistanceMatrix(route)): number[] {
  checkRoute(route);
  return nearestNeighbourOrder(dist, route.stopIds.length, route.stationIndex);
}

/** Shortest-tour sequence from the station (station first, not repeated). */
export function predictShortestTour(route: AmazonRoute, dist = routeDistanceMatrix(route)): number[] {
  checkRoute(route);
  return shortestTour(dist, route.stopIds.length, route.stationIndex);
}

/** Zone of every stop: its own, else that of the nearest stop with one; the station gets null. */
export function filledZones(route: AmazonRoute, dist = routeDistanceMatrix(route)): (string | null)[] {
  const n = route.stopIds.length;
  return route.zones.map((z, i) => {
    if (i === route.stationIndex) return null;
    if (z !== null) return z;
    let best: string | null = null;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      const zj = route.zones[j];
      if (j === i || j === route.stationIndex || zj === null || zj === undefined) continue;
      if ((dist[i * n + j] as number) < bestD) {
        bestD = dist[i * n + j] as number;
        best = zj;
      }
    }
    return best ?? '?';
  });
}

interface ParsedZone {
  region: string;
  major: number;
  sub: number;
  cell: string;
}

const ZONE_RE = /^([A-Z]+)-(\d+)\.(\d+)([A-Z]+)$/;

function parseZone(z: string): ParsedZone | undefined {
  const m = ZONE_RE.exec(z);
  if (!m) return undefined;
  return { region: m[1] as string, major: Number(m[2]), sub: Number(m[3]), cell: m[4] as string };
}

/** A route's zones: ids, centroids and stop lists, index 0..z-1. */
interface RouteZones {
  ids: string[];
  centroid: Float64Array;
  stops: number[][];
  parsed: (ParsedZone | undefined)[];
  /** Rank of each zone's sub number / cell letter among the values present in the route. */
  subRank: Int32Array;
  cellRank: Int32Array;
  /** Zone index of every stop (-1 for the station). */
  ofStop: Int32Array;
}

function routeZones(route: AmazonRoute, dist: Float64Array): RouteZones {
  const zonesOfStops = filledZones(route, dist);
  const ids: string[] = [];
  const index = new Map<string, number>();
  const stops: number[][] = [];
  const ofStop = new Int32Array(zonesOfStops.length).fill(-1);
  zonesOfStops.forEach((z, i) => {
    if (z === null) return;
    let k = index.get(z);
    if (k === undefined) {
      k = ids.length;
      ids.push(z);
      index.set(z, k);
      stops.push([]);
    }
    (stops[k] as number[]).push(i);
    ofStop[i] = k;
  });
  const centroid = new Float64Array(2 * ids.length);
  stops.forEach((s, k) => {
    for (const i of s) {
      centroid[2 * k] = (centroid[2 * k] as number) + (route.coords[2 * i] as number) / s.length;
      centroid[2 * k + 1] = (centroid[2 * k + 1] as number) + (route.coords[2 * i + 1] as number) / s.length;
    }
  });
  const parsed = ids.map(parseZone);
  const rankOf = (values: (string | number | undefined)[]): Int32Array => {
    const distinct = [...new Set(values.filter((v) => v !== undefined))].sort((a, b) =>
      typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
    );
    return Int32Array.from(values.map((v) => (v === undefined ? -100 : distinct.indexOf(v))));
  };
  return {
    ids,
    centroid,
    stops,
    parsed,
    subRank: rankOf(parsed.map((p) => p?.sub)),
    cellRank: rankOf(parsed.map((p) => p?.cell)),
    ofStop,
  };
}

/** Zone order of the actual sequence: zones by first visit. */
function actualZoneOrder(route: AmazonRoute, rz: RouteZones): number[] {
  const order: number[] = [];
  const seen = new Set<number>();
  for (const s of route.actualOrder ?? []) {
    const z = rz.ofStop[s] as number;
    if (z >= 0 && !seen.has(z)) {
      seen.add(z);
      order.push(z);
    }
  }
  return order;
}

/** Names of the zone-pair features, in order. */
export const ZONE_PAIR_FEATURES = [
  'from_station',
  'log_distance_km',
  'distance_rank',
  'is_nearest',
  'same_major',
  'adjacent_major',
  'same_sub',
  'adjacent_sub',
  'same_cell',
  'adjacent_cell',
  'sweep_cell',
  'sweep_sub',
  'cross_major',
  'log_transition_count',
  'transition_share',
  'unparsed',
] as const;
const NF = ZONE_PAIR_FEATURES.length;

/** Observed zone-to-zone transitions of real drivers: key `station|from|to` (from '' = the station). */
type TransitionCounts = Map<string, number>;

function routeTransitions(route: AmazonRoute, rz: RouteZones): string[] {
  const order = actualZoneOrder(route, rz);
  const keys: string[] = [];
  let prev = '';
  for (const z of order) {
    const id = rz.ids[z] as string;
    keys.push(`${route.station}|${prev}|${id}`);
    prev = id;
  }
  return keys;
}

function addCounts(counts: TransitionCounts, keys: string[], sign: number): void {
  for (const k of keys) {
    counts.set(k, (counts.get(k) ?? 0) + sign);
    const origin = k.slice(0, k.lastIndexOf('|'));
    counts.set(`${origin}|*`, (counts.get(`${origin}|*`) ?? 0) + sign);
  }
}

/**
 * Features of every ordered pair (from, to) of a route's zones, from = -1 being the station:
 * rows `(from + 1) * z + to`, (z + 1) x z rows of NF features.
 */
function pairFeatures(route: AmazonRoute, rz: RouteZones, counts: TransitionCounts): Float64Array {
  const z = rz.ids.length;
  const out = new Float64Array((z + 1) * z * NF);
  const st = route.stationIndex;
  const fromLat = (a: number): number => (a < 0 ? (route.coords[2 * st] as number) : (rz.centroid[2 * a] as number));
  const fromLng = (a: number): number => (a < 0 ? (route.coords[2 * st + 1] as number) : (rz.centroid[2 * a + 1] as number));
  for (let a = -1; a < z; a++) {
    const d = new Float64Array(z);
    for (let b = 0; b < z; b++)
      d[b] = haversine(fromLat(a), fromLng(a), rz.centroid[2 * b] as number, rz.centroid[2 * b + 1] as number, EARTH_RADIUS_M);
    const order = Array.from(d.keys())
      .filter((b) => b !== a)
      .sort((x, y) => (d[x] as number) - (d[y] as number));
    const rank = new Int32Array(z);
    order.forEach((b, r) => {
      rank[b] = r;
    });
    const origin = `${route.station}|${a < 0 ? '' : rz.ids[a]}`;
    const originCount = counts.get(`${origin}|*`) ?? 0;
    for (let b = 0; b < z; b++) {
      if (b === a) continue;
      const f = out.subarray(((a + 1) * z + b) * NF, ((a + 1) * z + b + 1) * NF);
      const count = counts.get(`${origin}|${rz.ids[b]}`) ?? 0;
      f[0] = a < 0 ? 1 : 0;
      f[1] = Math.log1p((d[b] as number) / 1000);
      f[2] = z > 2 ? (rank[b] as number) / (z - 2) : 0;
      f[3] = rank[b] === 0 ? 1 : 0;
      f[13] = Math.log1p(count);
      f[14] = originCount > 0 ? count / originCount : 0;
      if (a < 0) continue;
      const pa = rz.parsed[a];
      const pb = rz.parsed[b];
      if (!pa || !pb) {
        f[15] = 1;
        continue;
      }
      const sameMajor = pa.region === pb.region && pa.major === pb.major;
      const adjMajor = pa.region === pb.region && Math.abs(pa.major - pb.major) === 1;
      const dSub = Math.abs((rz.subRank[a] as number) - (rz.subRank[b] as number));
      const dCell = Math.abs((rz.cellRank[a] as number) - (rz.cellRank[b] as number));
      f[4] = sameMajor ? 1 : 0;
      f[5] = adjMajor ? 1 : 0;
      f[6] = dSub === 0 ? 1 : 0;
      f[7] = dSub === 1 ? 1 : 0;
      f[8] = dCell === 0 ? 1 : 0;
      f[9] = dCell === 1 ? 1 : 0;
      f[10] = sameMajor && dSub === 0 && dCell === 1 ? 1 : 0;
      f[11] = sameMajor && dSub === 1 && dCell === 0 ? 1 : 0;
      f[12] = adjMajor && dCell === 0 ? 1 : 0;
    }
  }
  return out;
}

/** A trained zone-transition model. */
export interface ZoneModel {
  weights: Float64Array;
  intercept: number;
  counts: TransitionCounts;
  /** Speed (metres per second, haversine) of the time-window direction check; see {@link calibrateWindowSpeed}. */
  windowSpeedMps: number;
  /** Routes it was trained on. */
  trainedOn: string[];
}

/** Planned service seconds per stop: the sum over its packages (missing values count 0). */
function stopServiceSeconds(route: AmazonRoute): Float64Array {
  const out = new Float64Array(route.stopIds.length);
  const pk = route.packages;
  for (let i = 0; i < pk.stop.length; i++) {
    const v = pk.serviceSeconds[i] as number;
    if (Number.isFinite(v)) out[pk.stop[i] as number] = (out[pk.stop[i] as number] as number) + v;
  }
  return out;
}

/**
 * Seconds by which a sequence misses its packages' delivery windows, summed over the packages
 * that have one: the van leaves the station at the route's departure time, drives each haversine
 * leg at `speedMps` (metres per second) and spends each stop's planned service time (the sum over
 * its packages); an arrival after a window's end counts its delay, and an early arrival is not held
 * back. `sequence` holds stop indices, station first. 0 when the route has no window or no
 * departure time (routes built from API requests).
 */
export function timeWindowLateness(
  route: AmazonRoute,
  sequence: readonly number[],
  speedMps: number,
  dist: Float64Array = routeDistanceMatrix(route),
  service: Float64Array = stopServiceSeconds(route),
): number {
  const pk = route.packages;
  if (!Number.isFinite(route.departure) || !pk.windowEnd.some((e) => Number.isFinite(e))) return 0;
  const n = route.stopIds.length;
  const arrival = new Float64Array(n);
  let t = route.departure;
  for (let i = 1; i < sequence.length; i++) {
    const s = sequence[i] as number;
    t += (dist[(sequence[i - 1] as number) * n + s] as number) / speedMps;
    arrival[s] = t;
    t += service[s] as number;
  }
  let late = 0;
  for (let i = 0; i < pk.stop.length; i++) {
    const end = pk.windowEnd[i] as number;
    if (Number.isFinite(end)) late += Math.max(0, (arrival[pk.stop[i] as number] as number) - end);
  }
  return late;
}

/** Speeds tried by {@link calibrateWindowSpeed}: whole km/h from 5 to 80. */
const WINDOW_SPEEDS_KMH = Array.from({ length: 76 }, (_, i) => 5 + i);

/**
 * The slowest speed (metres per second; whole km/h from 5 to 80) at which every route's actual
 * sequence meets all its delivery windows under {@link timeWindowLateness}; the fastest one tried
 * when none does. Lateness never grows with speed, so any slower speed would call some real
 * driver late. Routes without windows or actual sequences do not constrain it.
 */
export function calibrateWindowSpeed(routes: AmazonRoute[], dists: Float64Array[] = routes.map((r) => routeDistanceMatrix(r))): number {
  const withActual = routes.flatMap((r, i) => (r.actualOrder ? [{ r, seq: [...r.actualOrder], dist: dists[i] as Float64Array }] : []));
  const services = withActual.map(({ r }) => stopServiceSeconds(r));
  for (const kmh of WINDOW_SPEEDS_KMH) {
    const v = kmh / 3.6;
    if (withActual.every(({ r, seq, dist }, i) => timeWindowLateness(r, seq, v, dist, services[i]) === 0)) return v;
  }
  return (WINDOW_SPEEDS_KMH[WINDOW_SPEEDS_KMH.length - 1] as number) / 3.6;
}

/**
 * Reverses a sequence (station kept first) when the reverse misses fewer seconds of delivery
 * windows at `speedMps`; ties keep it as it is.
 */
export function orientByTimeWindows(
  route: AmazonRoute,
  sequence: number[],
  speedMps: number,
  dist: Float64Array = routeDistanceMatrix(route),
): { sequence: number[]; reversed: boolean } {
  const service = stopServiceSeconds(route);
  const reversed = [sequence[0] as number, ...sequence.slice(1).reverse()];
  return timeWindowLateness(route, reversed, speedMps, dist, service) < timeWindowLateness(route, sequence, speedMps, dist, service)
    ? { sequence: reversed, reversed: true }
    : { sequence, reversed: false };
}

/**
 * Trains the zone-transition logistic regression on routes with actual sequences. The transition
 * counts used as features of a training route leave that route out (no self-leakage).
 */
export function trainZoneModel(routes: AmazonRoute[], options: { lambda?: number } = {}): ZoneModel {
  const withActual = routes.filter((r) => r.actualOrder !== undefined);
  if (withActual.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'trainZoneModel needs routes with actual sequences', {});
  const counts: TransitionCounts = new Map();
  const dists = withActual.map((r) => routeDistanceMatrix(r));
  const prepared = withActual.map((r, i) => {
    const rz = routeZones(r, dists[i] as Float64Array);
    const keys = routeTransitions(r, rz);
    addCounts(counts, keys, 1);
    return { r, rz, keys };
  });
  const rows: number[] = [];
  const labels: number[] = [];
  for (const { r, rz, keys } of prepared) {
    addCounts(counts, keys, -1);
    const feats = pairFeatures(r, rz, counts);
    addCounts(counts, keys, 1);
    const z = rz.ids.length;
    const order = actualZoneOrder(r, rz);
    const next = new Int32Array(z + 1).fill(-1);
    let prev = -1;
    for (const k of order) {
      next[prev + 1] = k;
      prev = k;
    }
    for (let a = -1; a < z; a++) {
      if ((next[a + 1] as number) < 0) continue;
      for (let b = 0; b < z; b++) {
        if (b === a) continue;
        const at = ((a + 1) * z + b) * NF;
        for (let f = 0; f < NF; f++) rows.push(feats[at + f] as number);
        labels.push(next[a + 1] === b ? 1 : 0);
      }
    }
  }
  const trained = trainLogisticRegression(Float64Array.from(rows), NF, Float64Array.from(labels), { lambda: options.lambda ?? 1 });
  return {
    weights: trained.model.weights,
    intercept: trained.model.intercept,
    counts,
    windowSpeedMps: calibrateWindowSpeed(withActual, dists),
    trainedOn: withActual.map((r) => r.id),
  };
}

/**
 * Zone-aware sequence: station first, then the zones in predicted order, each swept by a short
 * open path; then reversed if the reverse misses fewer delivery windows ({@link orientByTimeWindows}
 * at the model's calibrated speed), unless `orientByWindows` is false.
 */
export function predictZoneAware(
  model: ZoneModel,
  route: AmazonRoute,
  dist = routeDistanceMatrix(route),
  options: { orientByWindows?: boolean } = {},
): number[] {
  const seq = zoneSequence(model, route, dist);
  return options.orientByWindows === false ? seq : orientByTimeWindows(route, seq, model.windowSpeedMps, dist).sequence;
}

/** The zone model's sequence before the time-window direction check. */
function zoneSequence(model: ZoneModel, route: AmazonRoute, dist: Float64Array): number[] {
  checkRoute(route);
  const n = route.stopIds.length;
  const rz = routeZones(route, dist);
  const z = rz.ids.length;
  const feats = pairFeatures(route, rz, model.counts);
  const p = predictLogisticRegression({ weights: model.weights, intercept: model.intercept }, feats, NF);
  // Asymmetric costs over z + 1 nodes: node 0 the station, node k + 1 zone k; nothing returns to the station.
  const m = z + 1;
  const cost = new Float64Array(m * m);
  for (let a = -1; a < z; a++)
    for (let b = 0; b < z; b++) if (a !== b) cost[(a + 1) * m + b + 1] = -Math.log(Math.max(p[(a + 1) * z + b] as number, 1e-12));
  const zoneOrder = asymmetricPath(cost, m, 0)
    .slice(1)
    .map((k) => k - 1);
  const seq = [route.stationIndex];
  const st = route.stationIndex;
  zoneOrder.forEach((zone, i) => {
    const last = seq[seq.length - 1] as number;
    const nextZone = zoneOrder[i + 1];
    const toLat = nextZone === undefined ? (route.coords[2 * st] as number) : (rz.centroid[2 * nextZone] as number);
    const toLng = nextZone === undefined ? (route.coords[2 * st + 1] as number) : (rz.centroid[2 * nextZone + 1] as number);
    const path = openPath(
      rz.stops[zone] as number[],
      dist,
      n,
      (s) => dist[last * n + s] as number,
      (s) => haversine(route.coords[2 * s] as number, route.coords[2 * s + 1] as number, toLat, toLng, EARTH_RADIUS_M),
    );
    seq.push(...path);
  });
  return seq;
}

/** Scores of one predicted sequence. */
export interface SequenceEvaluation {
  score: number;
  kendallTau: number;
}

/** Route score (haversine stand-in for travel times) and Kendall's tau of a prediction (station first, not repeated). */
export function evaluateSequence(route: AmazonRoute, predicted: number[], dist = routeDistanceMatrix(route)): SequenceEvaluation {
  if (!route.actualOrder) throw new WaybillError('INVALID_ARGUMENT', `route ${route.id} has no actual sequence`, { route: route.id });
  const actual = [...route.actualOrder, route.stationIndex];
  const pred = [...predicted, route.stationIndex];
  return { score: routeScore(actual, pred, dist, route.stopIds.length).score, kendallTau: sequenceKendallTau(actual, pred) };
}

/** Per-route and mean results of the leave-one-route-out evaluation. */
export interface StopSequenceReport {
  split: string;
  travelTimes: string;
  routes: {
    id: string;
    stops: number;
    nearest: SequenceEvaluation;
    tour: SequenceEvaluation;
    zone: SequenceEvaluation;
    /** The zone model without the time-window direction check (ablation). */
    zoneWithoutWindowCheck: SequenceEvaluation;
    /** Whether the time-window check reversed the zone model's sequence. */
    reversedForWindows: boolean;
    /** Speed of that check, km/h, calibrated on the training routes of this fold. */
    windowSpeedKmh: number;
  }[];
  mean: { nearest: SequenceEvaluation; tour: SequenceEvaluation; zone: SequenceEvaluation; zoneWithoutWindowCheck: SequenceEvaluation };
}

/**
 * Leave-one-route-out: for every route with an actual sequence, the zone model is trained on all
 * the other routes and scored on it, next to the two baselines. Lower route score is better.
 */
export function evaluateStopSequence(routes: AmazonRoute[]): StopSequenceReport {
  const usable = routes.filter((r) => r.actualOrder !== undefined);
  if (usable.length < 2)
    throw new WaybillError('INVALID_ARGUMENT', 'leave-one-route-out needs at least two routes with actual sequences', {});
  const out: StopSequenceReport['routes'] = [];
  for (const r of usable) {
    const dist = routeDistanceMatrix(r);
    const model = trainZoneModel(usable.filter((o) => o !== r));
    const plain = zoneSequence(model, r, dist);
    const oriented = orientByTimeWindows(r, plain, model.windowSpeedMps, dist);
    out.push({
      id: r.id,
      stops: r.stopIds.length - 1,
      nearest: evaluateSequence(r, predictNearestNeighbour(r, dist), dist),
      tour: evaluateSequence(r, predictShortestTour(r, dist), dist),
      zone: evaluateSequence(r, oriented.sequence, dist),
      zoneWithoutWindowCheck: evaluateSequence(r, plain, dist),
      reversedForWindows: oriented.reversed,
      windowSpeedKmh: model.windowSpeedMps * 3.6,
    });
  }
  const mean = (k: 'nearest' | 'tour' | 'zone' | 'zoneWithoutWindowCheck'): SequenceEvaluation => ({
    score: out.reduce((s, x) => s + x[k].score, 0) / out.length,
    kendallTau: out.reduce((s, x) => s + x[k].kendallTau, 0) / out.length,
  });
  return {
    split: `leave-one-route-out over ${out.length} Amazon LMRRC routes (zone model trained on the other ${out.length - 1} each time)`,
    travelTimes:
      'haversine distances stand in for the challenge travel-time matrix (not in the shared data); the score normalises the matrix, so any constant speed gives the same score',
    routes: out,
    mean: { nearest: mean('nearest'), tour: mean('tour'), zone: mean('zone'), zoneWithoutWindowCheck: mean('zoneWithoutWindowCheck') },
  };
}
