/**
 * Top-k most similar trajectories to a query, with lower-bound pruning that never changes the
 * answer: candidates are visited in order of a cheap admissible lower bound, and the search stops
 * once the next bound exceeds the current k-th best distance. DTW and Fréchet also abandon a
 * candidate's dynamic programme as soon as a whole row exceeds that distance. The result equals
 * exhaustive search exactly, ties included (equal distances ordered by candidate index).
 *
 * Bounds (all admissible for the measure they serve):
 * - endpoints (LB_Kim-style): the first and the last points are always coupled in DTW and Fréchet;
 * - envelope (LB_Keogh-style): each query point i is coupled to at least one candidate point with
 *   |i - j| <= band, so its distance to the bounding box of that window bounds its cost from below.
 *   DTW sums these; Fréchet and Hausdorff take the largest, from both sides (whole bounding boxes).
 *   For haversine the point-to-box bound lower-bounds each term of the haversine formula.
 */
import { WaybillError } from '../../errors.js';
import { coordsOf } from './batch.js';
import { dtwDistance } from './dtw.js';
import { frechetDistance } from './frechet.js';
import type { PointDistance } from './ground.js';
import { type ResolvedMeasure, resolveMeasure } from './similarity.js';
import type { SimilarityMeasure, SimilarityOptions, SpatialBatch } from './types.js';
import { type Ground, validateBatch, validateTrajectory } from './validate.js';

const RAD = Math.PI / 180;

export interface TopKOptions extends SimilarityOptions {
  /** The measure (default 'dtw'). Bounds exist for dtw, frechet and hausdorff; other measures are searched exhaustively. */
  measure?: SimilarityMeasure;
  /** false: plain exhaustive search (the yardstick the pruned search is tested against). Default true. */
  prune?: boolean;
}

export interface TopKResult {
  /** Candidate indices, most similar first (ties: lower index first); length k. */
  indices: Int32Array;
  /** Their distances, ascending; length k. */
  distances: Float64Array;
  /** How the pruning went: candidates whose distance was computed in full, skipped by a bound, abandoned mid-way. */
  stats: { candidates: number; computed: number; pruned: number; abandoned: number };
}

/** Axis-aligned bounding box of points [from, to) of an interleaved array. */
interface Box {
  yMin: number;
  yMax: number;
  xMin: number;
  xMax: number;
}

function boxOf(c: Float64Array, from: number, to: number): Box {
  const box = { yMin: Infinity, yMax: -Infinity, xMin: Infinity, xMax: -Infinity };
  for (let p = from; p < to; p++) {
    const y = c[2 * p] as number;
    const x = c[2 * p + 1] as number;
    if (y < box.yMin) box.yMin = y;
    if (y > box.yMax) box.yMax = y;
    if (x < box.xMin) box.xMin = x;
    if (x > box.xMax) box.xMax = x;
  }
  return box;
}

/**
 * A lower bound on the ground distance from (y, x) to any point in `box`. Euclidean: the exact
 * point-to-rectangle distance. Haversine: with dLat the latitude gap to the box, dLng the
 * longitude gap (the short way round) and cosMin the smallest cosine of a latitude in the box,
 * sin²(dLat/2) + cos(lat) cosMin sin²(dLng/2) is at most the haversine term `a` of any point of
 * the box (each of its terms is), and 2R asin(sqrt(a)) grows with a.
 */
function boxDistance(ground: Ground, y: number, x: number, box: Box): number {
  const dy = y < box.yMin ? box.yMin - y : y > box.yMax ? y - box.yMax : 0;
  let dx = x < box.xMin ? box.xMin - x : x > box.xMax ? x - box.xMax : 0;
  if (!ground.geographic) return Math.hypot(dx, dy);
  if (dx > 0) {
    // Longitudes wrap: the box edge may be nearer the other way round.
    const toMin = Math.abs(x - box.xMin) % 360;
    const toMax = Math.abs(x - box.xMax) % 360;
    dx = Math.min(toMin, 360 - toMin, toMax, 360 - toMax);
  }
  const sLat = Math.sin(dy * RAD * 0.5);
  const sLng = Math.sin(dx * RAD * 0.5);
  const cosMin = Math.min(Math.cos(box.yMin * RAD), Math.cos(box.yMax * RAD));
  const a = sLat * sLat + Math.cos(y * RAD) * Math.max(0, cosMin) * sLng * sLng;
  return 2 * ground.radius * Math.asin(Math.sqrt(Math.min(1, a)));
}

/** Endpoint bound: DTW pays for the first and the last couplings, Fréchet for the larger of them. */
function endpointBound(measure: SimilarityMeasure, q: Float64Array, c: Float64Array, dist: PointDistance): number {
  const n = q.length / 2;
  const m = c.length / 2;
  const first = dist(q, 0, c, 0);
  if (n === 1 && m === 1) return first;
  const last = dist(q, n - 1, c, m - 1);
  return measure === 'dtw' ? first + last : Math.max(first, last);
}

/** LB_Keogh-style DTW bound: sum over query points of the distance to the band window's box. */
function dtwEnvelopeBound(ground: Ground, q: Float64Array, c: Float64Array, band: number | undefined): number {
  const n = q.length / 2;
  const m = c.length / 2;
  const w = band === undefined ? Math.max(n, m) : Math.max(band, Math.abs(n - m));
  const whole = w >= Math.max(n, m) - 1 ? boxOf(c, 0, m) : undefined;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const box = whole ?? boxOf(c, Math.max(0, i - w), Math.min(m, i + w + 1));
    sum += boxDistance(ground, q[2 * i] as number, q[2 * i + 1] as number, box);
  }
  return sum;
}

/** Largest distance from a point of `a` to the box of `b`: bounds Hausdorff and Fréchet. */
function directedBoxBound(ground: Ground, a: Float64Array, boxB: Box): number {
  let worst = 0;
  for (let i = 0; i < a.length / 2; i++) worst = Math.max(worst, boxDistance(ground, a[2 * i] as number, a[2 * i + 1] as number, boxB));
  return worst;
}

function lowerBound(m: ResolvedMeasure, q: Float64Array, qBox: Box, c: Float64Array): number {
  switch (m.measure) {
    case 'dtw':
      return Math.max(endpointBound('dtw', q, c, m.dist), dtwEnvelopeBound(m.ground, q, c, m.band));
    case 'frechet':
    case 'hausdorff': {
      const cBox = boxOf(c, 0, c.length / 2);
      const box = Math.max(directedBoxBound(m.ground, q, cBox), directedBoxBound(m.ground, c, qBox));
      return m.measure === 'frechet' ? Math.max(box, endpointBound('frechet', q, c, m.dist)) : box;
    }
    default:
      return 0;
  }
}

/** Bounds are computed with other formulas than the distances; this slack keeps rounding from ever pruning a tie. */
const BOUND_SLACK = 1e-10;

/**
 * The k trajectories of `candidates` nearest to `query` (interleaved coordinates, at least one
 * point each) under `options.measure` (default DTW, full or with `band`). Exactly the result of
 * exhaustive search; see the module comment for how the pruning stays exact.
 */
export function topKSimilar(
  query: Float64Array | readonly number[],
  candidates: SpatialBatch,
  k: number,
  options?: TopKOptions,
): TopKResult {
  const m = resolveMeasure(options?.measure ?? 'dtw', options);
  const q = validateTrajectory('query', query, m.ground.geographic);
  const count = validateBatch('candidates', candidates, { geographic: m.ground.geographic });
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > count) {
    throw new WaybillError('INVALID_K', `k must be an integer with 1 <= k <= ${count} (the number of candidates), got ${String(k)}`, {
      argument: 'k',
      m: count,
    });
  }
  const prune = options?.prune ?? true;
  const stats = { candidates: count, computed: 0, pruned: 0, abandoned: 0 };
  const bounds = new Float64Array(count);
  if (prune) {
    const qBox = boxOf(q, 0, q.length / 2);
    for (let j = 0; j < count; j++) bounds[j] = lowerBound(m, q, qBox, coordsOf(candidates, j));
  }
  const order = Array.from({ length: count }, (_, j) => j);
  if (prune) order.sort((a, b) => (bounds[a] as number) - (bounds[b] as number) || a - b);

  // The best k so far, ascending by (distance, index).
  const bestIdx: number[] = [];
  const bestDist: number[] = [];
  for (let o = 0; o < count; o++) {
    const j = order[o] as number;
    const full = bestIdx.length === k;
    const threshold = full ? (bestDist[k - 1] as number) : Infinity;
    if (prune && (bounds[j] as number) * (1 - BOUND_SLACK) > threshold) {
      stats.pruned += count - o;
      break;
    }
    const c = coordsOf(candidates, j);
    let d: number;
    if (prune && m.measure === 'dtw') d = dtwDistance(q, c, m.dist, m.band, threshold);
    else if (prune && m.measure === 'frechet') d = frechetDistance(q, c, m.dist, threshold);
    else d = m.distance(q, c);
    if (d === Infinity && threshold < Infinity) {
      stats.abandoned++;
      continue;
    }
    stats.computed++;
    if (full && (d > threshold || (d === threshold && j > (bestIdx[k - 1] as number)))) continue;
    // Insert in (distance, index) order.
    let at = bestIdx.length;
    while (at > 0 && ((bestDist[at - 1] as number) > d || ((bestDist[at - 1] as number) === d && (bestIdx[at - 1] as number) > j))) at--;
    bestIdx.splice(at, 0, j);
    bestDist.splice(at, 0, d);
    if (bestIdx.length > k) {
      bestIdx.pop();
      bestDist.pop();
    }
  }
  return { indices: Int32Array.from(bestIdx), distances: Float64Array.from(bestDist), stats };
}

/**
 * The lower bound topKSimilar uses for one (query, candidate) pair: never above
 * `trajectoryDistance(measure, query, candidate, options)`; 0 for measures without a bound.
 * Exposed for tests and for callers that filter candidates themselves.
 */
export function similarityLowerBound(
  query: Float64Array | readonly number[],
  candidate: Float64Array | readonly number[],
  options?: TopKOptions,
): number {
  const m = resolveMeasure(options?.measure ?? 'dtw', options);
  const q = validateTrajectory('query', query, m.ground.geographic);
  const c = validateTrajectory('candidate', candidate, m.ground.geographic);
  return lowerBound(m, q, boxOf(q, 0, q.length / 2), c);
}
