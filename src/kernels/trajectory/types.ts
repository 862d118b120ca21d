/**
 * Shared types of the trajectory family. Many trajectories travel together in one batch: no
 * per-point objects, one flat array per quantity and an offsets array that cuts it into
 * trajectories.
 */

/**
 * Many trajectories in one flat layout. Trajectory `t` owns points `offsets[t] .. offsets[t + 1] - 1`;
 * point `p` is at `coords[2p], coords[2p + 1]` — (lat, lng) degrees for geographic data, (x, y)
 * for planar data — and was observed at `times[p]` (epoch seconds, UTC).
 *
 * `offsets` has `ids.length + 1` entries, starts at 0, never decreases and ends at the number of
 * points (`times.length`, `coords.length / 2`). Sources without timestamps (Amazon stop sequences,
 * Loggi delivery sets) carry NaN times; kernels that need time reject them with NOT_FINITE.
 */
export interface TrajectoryBatch {
  ids: string[];
  coords: Float64Array;
  times: Float64Array;
  offsets: Int32Array;
}

/** The spatial part of a batch: what the distance and simplification kernels read. */
export interface SpatialBatch {
  coords: Float64Array;
  offsets: Int32Array;
  ids?: string[];
  times?: Float64Array;
}

/** Ground distance between two points: great-circle metres on (lat, lng) degrees, or planar on (x, y). */
export type GroundMetric = 'haversine' | 'euclidean';

/** Ground-distance settings shared by every kernel that measures between points. */
export interface GroundOptions {
  /** 'haversine' (default): (lat, lng) degrees, metres. 'euclidean': (x, y) in the data's own unit. */
  metric?: GroundMetric;
  /** Sphere radius in metres for haversine (default 6 371 008.8 m, the IUGG mean radius). */
  radius?: number;
}

/** Trajectory similarity measures. */
export type SimilarityMeasure = 'dtw' | 'frechet' | 'hausdorff' | 'erp' | 'edr' | 'lcss';

/** Options of the similarity measures; each measure reads the ones it needs. */
export interface SimilarityOptions extends GroundOptions {
  /**
   * DTW: Sakoe–Chiba band half-width in points (|i - j| <= band). Widened to |n - m| when the two
   * lengths differ by more, so that a warping path always exists. Omitted: full DTW.
   */
  band?: number;
  /** EDR and LCSS: two points match when their ground distance is <= eps (metres or data units). */
  eps?: number;
  /** LCSS: matched points may be at most `delta` indices apart (default: unlimited). */
  delta?: number;
  /** ERP: the gap point, (lat, lng) or (x, y); default (0, 0) as in Chen & Ng (2004). */
  gap?: readonly [number, number];
}
