/**
 * Pairwise DTW (full or Sakoe–Chiba band), discrete Fréchet and Hausdorff distances on gpu.js
 * (the 'gpujs' backend of the trajectory family): WebGL / headless GL / WebGPU shaders where
 * gpu.js finds a GPU, else its WebAssembly or JavaScript CPU modes. Same signature, validation
 * and units as pairwiseDistances (similarity.ts); kernel sources in gpujs-shaders.ts.
 *
 * Verified in webasm mode and in headlessgl mode (the `gl` package under Xvfb, on Mesa's software
 * rasteriser, which the status reports as such and never auto-selects): the same parity tests pass.
 *
 * Real mode. gpu.js falls back to a CPU mode silently; as in the geo backend
 * (src/backends/gpujs.ts, whose loader and mode detection this reuses) the mode reported is the
 * class of the kernel gpu.js really built, re-read after every call, and `onGpu` is true only
 * for a GPU kernel class on a hardware renderer. Without the optional `gl` package Node has no GL
 * context and gpu.js runs in 'webasm' mode.
 *
 * Limits, each a coded error, never a wrong number:
 * - at most GPUJS_MAX_TRAJECTORY_POINTS (256) points per trajectory on either side
 *   (KERNEL_UNSUPPORTED, details name the batch, trajectory and length): the DP row is unrolled
 *   into scalar variables (gpu.js kernels have no arrays) and compile time grows faster than
 *   linearly with it (measured, webasm: 0.1 s for 32 columns, 0.5 s for 128, 1.1 s for 256,
 *   3.4 s for 512; headless GL on ANGLE + Mesa llvmpipe: 1.3 s for 32 Euclidean columns, 9 s for
 *   128, ~23 s for 128 haversine columns; once per kernel and process, GPU drivers not measured);
 * - measures 'dtw', 'frechet', 'hausdorff' only (KERNEL_UNSUPPORTED otherwise).
 *
 * Precision (float32). Each ground distance carries a relative error of a few 1e-7 (float32
 * arithmetic, the 1.2e-7 atan polynomial) plus an absolute one of about 2e-7 x S, S the spread of
 * the call's points (float32 rounding of inputs centred on the call's points, see
 * gpujs-shaders.ts). A DTW sum of up to n + m - 1 terms adds float32 summation error, at most
 * about (n + m) x 6e-8 relative; Fréchet and Hausdorff are one ground distance each. Tested bound
 * (test/kernels/trajectory-gpujs.test.ts), S the diagonal of the bounding box of all points of
 * the call in metres (haversine) or data units:
 *   DTW:                |gpujs - ref| <= (1e-6 + (n + m) x 2e-7) x ref + (n + m) x 4e-7 x S
 *   Fréchet, Hausdorff: |gpujs - ref| <= 1e-6 x ref + 4e-7 x S
 * Measured worst in webasm mode: 0.1 of that bound (GeoLife, random walks, 100-600 km, antipodes,
 * offsets to 3e12); the margin is for GL drivers, whose sqrt and division need not be correctly
 * rounded. Identical trajectories give exactly 0.
 */
import {
  builtMode,
  firstLine,
  type GpuInstance,
  type GpujsInspection,
  type GpuKernel,
  inspectGpujs,
  judgeGpujsMode,
  loadGpujs,
  rowsOf,
} from '../../backends/gpujs.js';
import { WaybillError } from '../../errors.js';
import { coordsOf } from './batch.js';
import { dpSource, type GpujsGround, groundFunctions, hausdorffSource } from './gpujs-shaders.js';
import { type DistanceMatrix, resolveMeasure } from './similarity.js';
import type { SimilarityMeasure, SimilarityOptions, SpatialBatch } from './types.js';
import { validateBatch } from './validate.js';

/** Measures the gpu.js pairwise kernels have. */
export const GPUJS_TRAJECTORY_MEASURES: readonly SimilarityMeasure[] = ['dtw', 'frechet', 'hausdorff'];
/** Most points per trajectory (either side) the gpu.js kernels take. */
export const GPUJS_MAX_TRAJECTORY_POINTS = 256;
/** Column counts the DP kernels are unrolled for (one compiled kernel each, on first use). */
const UNROLL = [32, 128, GPUJS_MAX_TRAJECTORY_POINTS] as const;
/**
 * Pairs per gpu.js call. In a CPU mode ~1000 pairs of 100-point trajectories take ~0.1 s, so the
 * event loop gets a turn (and a cancel flag is read) that often; a GPU wants many threads per call.
 */
const TILE_PAIRS_CPU = 1 << 10;
const TILE_PAIRS_GPU = 1 << 16;
/** Band passed for "no band" (exact in float32, above any |i - j|). */
const NO_BAND = 1 << 20;
const RAD = Math.PI / 180;

/** What the gpu.js trajectory kernels run on, or why they cannot. */
export type GpujsTrajectoryStatus =
  | {
      ok: true;
      /** The mode gpu.js really runs in: 'webgl2', 'headlessgl', 'webgpu', ... or 'webasm' / 'cpu'. */
      mode: string;
      /** A GPU mode on a hardware renderer: only then may automatic dispatch pick it. */
      onGpu: boolean;
      /** Why it is not on a GPU. */
      reason?: string;
      details: Record<string, unknown>;
    }
  | { ok: false; reason: string };

interface Runtime extends GpujsInspection {
  gpu: GpuInstance;
  /** Compiled kernels by measure, ground and unroll width. */
  kernels: Map<string, GpuKernel>;
}

let runtime: Runtime | { error: string } | undefined;

/** Cache key of the kernel for `measure` on `ground` unrolled over `k` columns (Hausdorff: not unrolled). */
const kernelKey = (measure: SimilarityMeasure, ground: GpujsGround, k: number) =>
  measure === 'hausdorff' ? `hausdorff:${ground}` : `${measure}:${ground}:${k}`;

/** The kernel for `measure` on `ground` unrolled over `k` columns, created once (gpu.js compiles it on its first run). */
function kernelFor(rt: Pick<Runtime, 'gpu' | 'kernels'>, measure: SimilarityMeasure, ground: GpujsGround, k: number): GpuKernel {
  const key = kernelKey(measure, ground, k);
  let kernel = rt.kernels.get(key);
  if (!kernel) {
    const source = measure === 'hausdorff' ? hausdorffSource(ground) : dpSource(measure as 'dtw' | 'frechet', ground, k);
    kernel = rt.gpu.createKernel(source, {
      dynamicOutput: true,
      dynamicArguments: true,
      precision: 'single',
      tactic: 'precision',
      output: [1, 1],
      // Bounds every loop (GL needs one): row points, and Hausdorff's inner loops.
      loopMaxIterations: GPUJS_MAX_TRAJECTORY_POINTS,
      functions: groundFunctions(ground),
    });
    rt.kernels.set(key, kernel);
  }
  return kernel;
}

/**
 * Loads gpu.js and checks the DTW kernel on known distances through the whole path (centring,
 * both branches of the angle, the band widening). Never throws.
 */
function loadRuntime(): Runtime | { error: string } {
  const loaded = loadGpujs();
  if ('error' in loaded) return loaded;
  try {
    const { GPU, version } = loaded;
    const gpu = new GPU();
    const partial = { gpu, kernels: new Map<string, GpuKernel>() };
    // a = (0, 0) (0, 1); b0 = (0, 0): DTW 1 degree; b1 = (0, 90): 90 + 89 degrees (the long-chord
    // branch). Band 0 must widen to |n - m| = 1, else both are +infinity.
    const a = { coords: Float64Array.of(0, 0, 0, 1), offsets: Int32Array.of(0, 2) };
    const b = { coords: Float64Array.of(0, 0, 0, 90), offsets: Int32Array.of(0, 1, 2) };
    const got = new Float64Array(2);
    const tiles = computeTiles(partial, 'dtw', a, b, 'haversine', 1, 0, TILE_PAIRS_CPU, Number.POSITIVE_INFINITY, got);
    while (!tiles.next().done) {
      // runs the (only) tile
    }
    const want = [RAD, 179 * RAD];
    // Absolute slack: these points spread ~1 rad around their centre (see the precision note).
    if (want.some((v, j) => !(Math.abs((got[j] as number) - v) <= 1e-6 * v + 1e-6))) {
      return { error: `gpu.js probe kernel returned wrong values (${Array.from(got).join(', ')} for ${want.join(', ')} rad)` };
    }
    const probe = partial.kernels.get(kernelKey('dtw', 'haversine', UNROLL[0])) as GpuKernel;
    return { ...inspectGpujs(GPU, gpu, probe, version), ...partial };
  } catch (err) {
    return { error: `gpu.js failed to build or run the trajectory probe kernel: ${firstLine(err)}` };
  }
}

function rt(): Runtime | { error: string } {
  runtime ??= loadRuntime();
  return runtime;
}

/** Whether the gpu.js trajectory kernels can run, in which mode, and whether that is a GPU. Probes once. */
export function gpujsTrajectoryStatus(): GpujsTrajectoryStatus {
  const r = rt();
  if ('error' in r) return { ok: false, reason: r.error };
  const { onGpu, reason } = judgeGpujsMode(r.mode, r.renderer, r.glDrivers);
  return { ok: true, mode: r.mode, onGpu, ...(reason === undefined ? {} : { reason }), details: r.details };
}

/** The longest trajectory of a batch whose offsets were validated: [index, points]. */
function longest(batch: SpatialBatch): [number, number] {
  const o = batch.offsets;
  let at = -1;
  let len = 0;
  for (let t = 0; t + 1 < o.length; t++) {
    const l = (o[t + 1] as number) - (o[t] as number);
    if (l > len) {
      len = l;
      at = t;
    }
  }
  return [at, len];
}

/**
 * Why the gpu.js kernels cannot take this call (an unsupported measure, a trajectory over
 * GPUJS_MAX_TRAJECTORY_POINTS points), as the KERNEL_UNSUPPORTED error to throw; null when they
 * can. Batches must be validated.
 */
export function gpujsTrajectoryRejects(measure: SimilarityMeasure, a: SpatialBatch, b: SpatialBatch): WaybillError | null {
  if (!GPUJS_TRAJECTORY_MEASURES.includes(measure)) {
    return new WaybillError(
      'KERNEL_UNSUPPORTED',
      `the gpu.js pairwise kernel has ${GPUJS_TRAJECTORY_MEASURES.join(', ')}, not ${measure}`,
      {
        backend: 'gpujs',
        measure,
      },
    );
  }
  for (const [name, batch] of [
    ['a', a],
    ['b', b],
  ] as const) {
    const [trajectory, points] = longest(batch);
    if (points > GPUJS_MAX_TRAJECTORY_POINTS) {
      return new WaybillError(
        'KERNEL_UNSUPPORTED',
        `${name}: trajectory ${trajectory} has ${points} points; the gpu.js kernels take at most ${GPUJS_MAX_TRAJECTORY_POINTS} per trajectory (simplify or resample it, or use backend 'native' or 'js')`,
        { backend: 'gpujs', argument: name, trajectory, points, limit: GPUJS_MAX_TRAJECTORY_POINTS },
      );
    }
  }
  return null;
}

/** Smallest unroll width that holds `points` (>= 1). */
function unrollFor(points: number): number {
  return UNROLL.find((k) => k >= points) ?? GPUJS_MAX_TRAJECTORY_POINTS;
}

/** Smallest power of two >= v (v >= 1). */
const pow2 = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/**
 * How float64 points become float32 kernel inputs: haversine, offsets of unit vectors from the
 * normalised mean unit vector of all points; Euclidean, offsets from the bounding-box centre times
 * a power of two that brings the larger box side into [1, 2). `scale` turns a kernel result back
 * into metres or data units.
 */
interface Frame {
  ground: GpujsGround;
  centre: [number, number, number];
  mul: number;
  scale: number;
}

function frameOf(a: SpatialBatch, b: SpatialBatch, ground: GpujsGround, radius: number): Frame {
  const pts = (batch: SpatialBatch) => batch.coords.subarray(0, 2 * (batch.offsets[batch.offsets.length - 1] ?? 0));
  if (ground === 'haversine') {
    let sx = 0;
    let sy = 0;
    let sz = 0;
    let first: [number, number, number] | undefined;
    for (const c of [pts(a), pts(b)]) {
      for (let p = 0; p + 1 < c.length; p += 2) {
        const u = unit(c[p] as number, c[p + 1] as number);
        first ??= u;
        sx += u[0];
        sy += u[1];
        sz += u[2];
      }
    }
    const norm = Math.hypot(sx, sy, sz);
    // Points spread over the whole sphere can cancel out: any point is then as good a centre.
    const centre: [number, number, number] = norm > 1e-9 ? [sx / norm, sy / norm, sz / norm] : (first ?? [0, 0, 1]);
    return { ground, centre, mul: 1, scale: radius };
  }
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const c of [pts(a), pts(b)]) {
    for (let p = 0; p + 1 < c.length; p += 2) {
      x0 = Math.min(x0, c[p] as number);
      x1 = Math.max(x1, c[p] as number);
      y0 = Math.min(y0, c[p + 1] as number);
      y1 = Math.max(y1, c[p + 1] as number);
    }
  }
  const side = Math.max(x1 - x0, y1 - y0);
  const mul = side > 0 && Number.isFinite(side) ? 2 ** -Math.floor(Math.log2(side)) : 1;
  return { ground, centre: x0 <= x1 ? [(x0 + x1) / 2, (y0 + y1) / 2, 0] : [0, 0, 0], mul, scale: 1 / mul };
}

function unit(lat: number, lng: number): [number, number, number] {
  const phi = lat * RAD;
  const lambda = lng * RAD;
  return [Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi)];
}

/** Kernel inputs of trajectories [t0, t1) of `batch` in `slots` slots of `stride` points: [x, y, (z,) len]. */
function block(batch: SpatialBatch, t0: number, t1: number, slots: number, stride: number, f: Frame): Float32Array[] {
  const hav = f.ground === 'haversine';
  const x = new Float32Array(slots * stride);
  const y = new Float32Array(slots * stride);
  const z = new Float32Array(hav ? slots * stride : 0);
  const len = new Float32Array(slots);
  const [cx, cy, cz] = f.centre;
  for (let t = t0; t < t1; t++) {
    const c = coordsOf(batch, t);
    const n = c.length / 2;
    len[t - t0] = n;
    for (let p = 0; p < n; p++) {
      const at = (t - t0) * stride + p;
      if (hav) {
        const [ux, uy, uz] = unit(c[2 * p] as number, c[2 * p + 1] as number);
        x[at] = ux - cx;
        y[at] = uy - cy;
        z[at] = uz - cz;
      } else {
        x[at] = ((c[2 * p] as number) - cx) * f.mul;
        y[at] = ((c[2 * p + 1] as number) - cy) * f.mul;
      }
    }
  }
  return hav ? [x, y, z, len] : [x, y, len];
}

/**
 * Writes the n x m matrix into `out` on gpu.js, in tiles of at most `tilePairs` pairs (sides
 * powers of two, at most `maxSide`, padded, so that every call of one matrix has the same argument
 * sizes: webasm recompiles its module for each new size), pausing (`yield`) after each tile.
 */
function* computeTiles(
  rt: Pick<Runtime, 'gpu' | 'kernels'> & { mode?: string; details?: Record<string, unknown> },
  measure: SimilarityMeasure,
  a: SpatialBatch,
  b: SpatialBatch,
  ground: GpujsGround,
  radius: number,
  band: number,
  tilePairs: number,
  maxSide: number,
  out: Float64Array,
): Generator<void, void> {
  const rows = a.offsets.length - 1;
  const cols = b.offsets.length - 1;
  if (rows === 0 || cols === 0) return;
  const f = frameOf(a, b, ground, radius);
  const sa = unrollFor(longest(a)[1]);
  const sb = unrollFor(longest(b)[1]);
  const kernel = kernelFor(rt, measure, ground, sb);
  const side = Math.max(1, 2 ** Math.floor(Math.log2(Math.min(maxSide, tilePairs))));
  const tw = Math.min(pow2(cols), side);
  const th = Math.min(pow2(rows), side, Math.max(1, Math.floor(tilePairs / tw)));
  const extra: number[] = [sa, sb];
  if (ground === 'haversine') extra.push(...f.centre);
  if (measure === 'dtw') extra.push(band);
  // Column blocks are reused by every row block.
  const colBlocks: Float32Array[][] = [];
  for (let c0 = 0; c0 < cols; c0 += tw) colBlocks.push(block(b, c0, Math.min(cols, c0 + tw), tw, sb, f));
  for (let r0 = 0; r0 < rows; r0 += th) {
    const r1 = Math.min(rows, r0 + th);
    const rowBlock = block(a, r0, r1, th, sa, f);
    for (let cb = 0; cb < colBlocks.length; cb++) {
      const colBlock = colBlocks[cb] as Float32Array[];
      const c0 = cb * tw;
      const width = Math.min(cols, c0 + tw) - c0;
      // Per tile: concurrent calls share the kernel, and their tiles interleave.
      kernel.setOutput([tw, th]);
      let result: Float32Array[];
      try {
        result = rowsOf(kernel(...rowBlock, ...colBlock, ...extra));
      } catch (err) {
        // A kernel may fail to compile on some GL driver: build it afresh next time.
        rt.kernels.delete(kernelKey(measure, ground, sb));
        throw err;
      }
      if (rt.mode !== undefined) {
        // gpu.js may swap a kernel for a CPU one at run time: report what really ran.
        const mode = builtMode(kernel, rt.mode);
        if (mode !== rt.mode) {
          rt.mode = mode;
          rt.details = { ...rt.details, kernelClass: kernel.kernel?.constructor.name };
        }
      }
      for (let t = 0; t < r1 - r0; t++) {
        const row = result[t] as Float32Array;
        const at = (r0 + t) * cols + c0;
        for (let j = 0; j < width; j++) out[at + j] = (row[j] as number) * f.scale;
      }
      yield;
    }
  }
}

/** How a gpu.js call runs. */
export interface GpujsRunOptions {
  /** Cooperative cancellation: ABORTED once `cancel[0]` is non-zero (checked between tiles). */
  cancel?: Int32Array;
}

/**
 * Pairwise distances between every trajectory of `a` (n) and of `b` (m) on gpu.js: an n x m
 * row-major Float64Array, metres (haversine) or data units (Euclidean), as pairwiseDistances
 * but float32 arithmetic (see the precision note above), with the mode gpu.js really ran in.
 * Errors: the reference's for bad input; KERNEL_UNSUPPORTED for another measure or a trajectory
 * over GPUJS_MAX_TRAJECTORY_POINTS points; BACKEND_UNAVAILABLE without gpu.js; ABORTED.
 * Tiles alternate with event-loop turns: a long call does not block other requests.
 */
export async function gpujsPairwiseDistances(
  measure: SimilarityMeasure,
  a: SpatialBatch,
  b: SpatialBatch,
  options?: SimilarityOptions,
  run?: GpujsRunOptions,
): Promise<DistanceMatrix & { gpujsMode: string }> {
  const m = resolveMeasure(measure, options);
  const rows = validateBatch('a', a, { geographic: m.ground.geographic });
  const cols = validateBatch('b', b, { geographic: m.ground.geographic });
  const unsupported = gpujsTrajectoryRejects(measure, a, b);
  if (unsupported) throw unsupported;
  const r = rt();
  if ('error' in r)
    throw new WaybillError('BACKEND_UNAVAILABLE', `gpu.js trajectory kernels unavailable: ${r.error}`, { backend: 'gpujs' });
  const onGpu = judgeGpujsMode(r.mode, r.renderer, r.glDrivers).onGpu;
  const data = new Float64Array(rows * cols);
  const tiles = computeTiles(
    r,
    measure,
    a,
    b,
    m.ground.geographic ? 'haversine' : 'euclidean',
    m.ground.radius,
    Math.min(m.band ?? NO_BAND, NO_BAND),
    onGpu ? TILE_PAIRS_GPU : TILE_PAIRS_CPU,
    r.maxTile,
    data,
  );
  // One tile per macrotask: cancellation and other requests get a turn between tiles.
  for (;;) {
    if (run?.cancel !== undefined && Atomics.load(run.cancel, 0) !== 0) throw new WaybillError('ABORTED', 'cancelled');
    try {
      if (tiles.next().done) break;
    } catch (err) {
      if (err instanceof WaybillError) throw err;
      throw new WaybillError(
        'BACKEND_UNAVAILABLE',
        `gpu.js failed to build or run the ${measure} kernel (${r.mode} mode): ${firstLine(err)}`,
        {
          backend: 'gpujs',
          measure,
        },
      );
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { data, rows, cols, gpujsMode: r.mode };
}
