import type { BackendName } from '../../backends/types.js';

/** Kernel names of the geo family. */
export type GeoKernelName = 'haversineMatrix' | 'euclideanMatrix' | 'kNearest';

/**
 * Points as one interleaved array: (lat, lng) degrees for haversine kernels, (x, y) for
 * euclidean ones. A plain number array is accepted and copied once into a Float64Array.
 */
export type PointsInput = Float64Array | readonly number[];

/** How the result was produced. */
export interface RunRecord {
  /** Backend that computed the result. */
  backend: BackendName;
  /** Pool workers that computed row blocks (0 when the call ran outside the pool). */
  workers: number;
  /** Backend mode when it matters (gpu.js: 'gpu' | 'webgl' | 'headlessgl' | 'cpu' | 'webasm'). */
  mode?: string;
  /** Wall time of the call, summed compute time of its blocks, and the longest queue wait, ms. */
  timings: { totalMs: number; computeMs: number; queueMs: number };
}

export interface MatrixOptions {
  /** Force a backend; by default the best available one for the input size is chosen. */
  backend?: BackendName;
  /** 'float64' (default) or 'float32' output. Arithmetic is float64 on cuda/native/js either way. */
  output?: 'float64' | 'float32';
  /** Sphere radius in metres for haversine kernels (default 6 371 008.8 m, the IUGG mean radius). */
  radius?: number;
  signal?: AbortSignal;
  /**
   * Write into this array instead of allocating one (length exactly n * m; its type sets the
   * output precision). Reusing an output avoids page-faulting fresh memory on every call. The
   * pool can split the work only when it views a SharedArrayBuffer; otherwise the call runs on
   * one thread.
   */
  out?: Float64Array | Float32Array;
}

/** An n x m row-major distance matrix: `data[i * cols + j]` is origin i to destination j. */
export interface MatrixResult extends RunRecord {
  data: Float64Array | Float32Array;
  rows: number;
  cols: number;
}

export interface KNearestOptions {
  backend?: BackendName;
  /** 'haversine' (lat/lng degrees in, metres out; default) or 'euclidean'. */
  metric?: 'haversine' | 'euclidean';
  radius?: number;
  signal?: AbortSignal;
}

/**
 * k nearest destinations per origin, n x k row-major, ascending by distance; ties go to the
 * lower destination index.
 */
export interface KNearestResult extends RunRecord {
  indices: Int32Array;
  distances: Float64Array;
  rows: number;
  k: number;
}

/** The flat task every backend and pool worker executes: rows [rowBegin, rowEnd) of one call. */
export interface GeoTask {
  kernel: GeoKernelName;
  origins: Float64Array;
  dests: Float64Array;
  rowBegin: number;
  rowEnd: number;
  radius: number;
  out?: Float64Array | Float32Array;
  k?: number;
  metric?: 'haversine' | 'euclidean';
  outIndex?: Int32Array;
  outDist?: Float64Array;
  /** Int32Array(1) on a SharedArrayBuffer; non-zero means cancelled. */
  cancel?: Int32Array;
}

/** Mean Earth radius (IUGG R1), metres. */
export const EARTH_RADIUS_M = 6371008.8;
