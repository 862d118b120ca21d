/**
 * Batched trajectory similarity: the n x m matrix between two batches and the distances from one
 * query to every trajectory of a batch, for DTW (full or banded), discrete Fréchet, Hausdorff,
 * ERP, EDR and LCSS over a haversine or Euclidean ground distance. TypeScript reference (float64).
 */
import { WaybillError } from '../../errors.js';
import { coordsOf } from './batch.js';
import { dtwDistance } from './dtw.js';
import { edrDistance } from './edr.js';
import { erpDistance } from './erp.js';
import { frechetDistance } from './frechet.js';
import { type PointDistance, pointDistance } from './ground.js';
import { hausdorffDistance } from './hausdorff.js';
import { lcssDistance } from './lcss.js';
import type { SimilarityMeasure, SimilarityOptions, SpatialBatch } from './types.js';
import { type Ground, validateBatch, validateGround, validateNonNegative, validateTrajectory } from './validate.js';

const MEASURES = new Set<SimilarityMeasure>(['dtw', 'frechet', 'hausdorff', 'erp', 'edr', 'lcss']);

/** A measure with its options resolved: `(a, b) => distance` on interleaved coordinate views. */
export interface ResolvedMeasure {
  measure: SimilarityMeasure;
  ground: Ground;
  dist: PointDistance;
  /** DTW band half-width (undefined: full). */
  band: number | undefined;
  distance(a: Float64Array, b: Float64Array): number;
}

/** Validates `measure` and its options once, for many calls. */
export function resolveMeasure(measure: SimilarityMeasure, options?: SimilarityOptions): ResolvedMeasure {
  if (!MEASURES.has(measure)) {
    throw new WaybillError('INVALID_ARGUMENT', `measure must be one of ${[...MEASURES].join(', ')}, got ${String(measure)}`, {
      argument: 'measure',
    });
  }
  const ground = validateGround(options);
  const dist = pointDistance(ground);
  let band: number | undefined;
  if (options?.band !== undefined) {
    if (measure !== 'dtw') throw new WaybillError('INVALID_ARGUMENT', `band applies to dtw only, not ${measure}`, { argument: 'band' });
    if (!Number.isInteger(options.band) || options.band < 0) {
      throw new WaybillError('INVALID_ARGUMENT', `band must be an integer >= 0 (points), got ${String(options.band)}`, {
        argument: 'band',
      });
    }
    band = options.band;
  }
  const base = { measure, ground, dist, band };
  switch (measure) {
    case 'dtw':
      return { ...base, distance: (a, b) => dtwDistance(a, b, dist, band) };
    case 'frechet':
      return { ...base, distance: (a, b) => frechetDistance(a, b, dist) };
    case 'hausdorff':
      return { ...base, distance: (a, b) => hausdorffDistance(a, b, dist) };
    case 'erp': {
      const g = options?.gap ?? [0, 0];
      const gap = validateTrajectory('gap', Array.isArray(g) ? [...g] : g, ground.geographic, 1);
      if (gap.length !== 2)
        throw new WaybillError('INVALID_LENGTH', 'gap must be one point (2 numbers)', { argument: 'gap', length: gap.length });
      return { ...base, distance: (a, b) => erpDistance(a, b, dist, gap) };
    }
    case 'edr':
    case 'lcss': {
      if (options?.eps === undefined) {
        throw new WaybillError('INVALID_ARGUMENT', `${measure} needs eps, the matching threshold (metres or data units)`, {
          argument: 'eps',
        });
      }
      const eps = validateNonNegative('eps', options.eps);
      if (measure === 'edr') return { ...base, distance: (a, b) => edrDistance(a, b, dist, eps) };
      const delta = options.delta === undefined ? Infinity : validateNonNegative('delta', options.delta);
      return { ...base, distance: (a, b) => lcssDistance(a, b, dist, eps, delta) };
    }
  }
}

/**
 * Distance between two single trajectories (interleaved coordinates, at least one point each).
 * Units: metres (haversine) or data units (euclidean) for DTW, Fréchet, Hausdorff and ERP; an
 * edit count for EDR; a fraction in [0, 1] for LCSS.
 */
export function trajectoryDistance(
  measure: SimilarityMeasure,
  a: Float64Array | readonly number[],
  b: Float64Array | readonly number[],
  options?: SimilarityOptions,
): number {
  const m = resolveMeasure(measure, options);
  return m.distance(validateTrajectory('a', a, m.ground.geographic), validateTrajectory('b', b, m.ground.geographic));
}

/** An n x m row-major matrix: `data[i * cols + j]` is trajectory i of `a` against trajectory j of `b`. */
export interface DistanceMatrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Pairwise distances between every trajectory of `a` (n) and every trajectory of `b` (m): an
 * n x m row-major Float64Array. Pass the same batch twice for a self-similarity matrix (the
 * symmetric measures are then still computed in full, which keeps the reference simple).
 * Every trajectory needs at least one point.
 */
export function pairwiseDistances(
  measure: SimilarityMeasure,
  a: SpatialBatch,
  b: SpatialBatch,
  options?: SimilarityOptions,
): DistanceMatrix {
  const m = resolveMeasure(measure, options);
  const rows = validateBatch('a', a, { geographic: m.ground.geographic });
  const cols = validateBatch('b', b, { geographic: m.ground.geographic });
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const ti = coordsOf(a, i);
    for (let j = 0; j < cols; j++) data[i * cols + j] = m.distance(ti, coordsOf(b, j));
  }
  return { data, rows, cols };
}

/** Distances from one query trajectory to each of the m trajectories of `batch` (length m). */
export function oneToManyDistances(
  measure: SimilarityMeasure,
  query: Float64Array | readonly number[],
  batch: SpatialBatch,
  options?: SimilarityOptions,
): Float64Array {
  const m = resolveMeasure(measure, options);
  const q = validateTrajectory('query', query, m.ground.geographic);
  const n = validateBatch('batch', batch, { geographic: m.ground.geographic });
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = m.distance(q, coordsOf(batch, j));
  return out;
}
