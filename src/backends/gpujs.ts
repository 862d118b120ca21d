/**
 * The gpu.js backend: geo kernels compiled by gpu.js to WebGL / headless GL shaders when a GPU
 * context exists; float32 arithmetic.
 *
 * Real mode. gpu.js falls back silently to a CPU mode (its WebAssembly or plain-JS kernels) when
 * it finds no GL context, and may replace a kernel by a CPU one at run time. The backend therefore
 * builds and runs probe kernels, checks their values, reads the class of the kernel gpu.js really
 * built (and, with a GL context, the renderer string: Mesa's llvmpipe or SwiftShader are CPU
 * rasterisers), and re-reads that class after every call. Only a real GPU mode is auto-selected;
 * in a CPU mode the backend stays available when forced and reports its mode with every result.
 * The loader and this mode detection (loadGpujs, builtMode, inspectGpujs, judgeGpujsMode) also
 * serve the trajectory family's gpu.js kernels (src/kernels/trajectory/gpujs.ts).
 *
 * Precision (float32). Haversine: |gpujs - ref| <= 1e-6 x ref + 3 m. Measured over 4 million
 * pairs (uniform, near-coincident, within 100 km, near-antipodal), in webasm mode and in headless
 * GL on Mesa's software rasteriser with the same worst values: 0.45 m below 1 km, 2.2 m overall,
 * within 1e-7 x ref + 0.91 m; float32 storage of a point alone moves it ~0.4 m, and the output's
 * own float32 rounding is 6e-8 x ref. The atan2 is arithmetic (./gpujs-arc.ts): with GLSL's own
 * atan, whose precision is implementation-defined, Mesa reached 22 m (2.7x the tolerance). The
 * margin is for GPU drivers' sqrt and division (not measured here).
 * Euclidean: |gpujs - ref| <= 1e-6 x E, E the larger side of the bounding box of all origins and
 * destinations (measured worst 2e-7 x E with offsets up to 1e7): coordinates are centred on that
 * box in float64 before the cast, so a large common offset costs nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { GeoTask } from '../kernels/geo/types.js';
import { GPUJS_ARC } from './gpujs-arc.js';
import type { Backend, BackendStatus, KernelName } from './types.js';

const KERNELS: KernelName[] = ['haversineMatrix', 'euclideanMatrix', 'kNearest'];
const GPU_MODES = new Set(['gpu', 'webgl', 'webgl2', 'headlessgl', 'webgpu']);
/** Cells per gpu.js call (rows x columns of one tile): bounds the float32 staging memory of a call. */
export const GPUJS_BLOCK_PAIRS = 1 << 20;
const RAD = Math.PI / 180;
const PRIORITY = 20;

/** The slice of gpu.js we use (its typings ship with the package, but it is optional). */
export interface GpuKernel {
  (...args: Array<Float32Array | number>): Float32Array[] | Float32Array;
  setOutput(o: number[]): void;
  /** The kernel gpu.js really built, once it has run; replaced when gpu.js falls back. */
  kernel?: {
    constructor: { name: string; features?: { maxTextureSize?: number } };
    context?: { getParameter?(p: number): unknown; RENDERER?: number };
  };
}
/** A gpu.js `GPU` instance: one per backend, it owns the kernels (and the GL context) it creates. */
export interface GpuInstance {
  mode?: string;
  createKernel(source: string, settings: object): GpuKernel;
}
/** The `GPU` class of the gpu.js module, with its static support flags. */
export type GpuClass = (new () => GpuInstance) &
  Partial<
    Record<'isHeadlessGLSupported' | 'isWebGLSupported' | 'isWebGL2Supported' | 'isWebGPUSupported' | 'isWebAssemblySupported', boolean>
  >;

const MODE_BY_CLASS: Record<string, string> = {
  WebAssemblyKernel: 'webasm',
  CPUKernel: 'cpu',
  HeadlessGLKernel: 'headlessgl',
  WebGLKernel: 'webgl',
  WebGL2Kernel: 'webgl2',
  WebGPUKernel: 'webgpu',
};

/** First line of an error's message (gpu.js errors carry the whole shader source after it). */
export const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/** Loads the optional gpu.js package (never throws): its `GPU` class and version, or why not. */
export function loadGpujs(): { GPU: GpuClass; version: string } | { error: string } {
  try {
    const require = createRequire(import.meta.url);
    const GPU = (require('gpu.js') as { GPU: GpuClass }).GPU;
    const version = (require('gpu.js/package.json') as { version: string }).version;
    return { GPU, version };
  } catch (err) {
    return { error: `gpu.js not installed: ${firstLine(err)}` };
  }
}

/**
 * The mode a kernel really ran in, read from the class of the kernel gpu.js built ('webasm',
 * 'cpu', 'headlessgl', 'webgl', 'webgl2', 'webgpu'), not from `gpu.mode`, which may say 'gpu'
 * after a silent fallback. `fallback` before the kernel has run.
 */
export function builtMode(kernel: GpuKernel, fallback: string): string {
  const cls = kernel.kernel?.constructor.name;
  return cls === undefined ? fallback : (MODE_BY_CLASS[cls] ?? cls);
}

/** What a kernel that has run tells about the gpu.js runtime: mode, details, GL renderer, texture limit. */
export interface GpujsInspection {
  mode: string;
  /** Largest output side per call (the GL texture limit; Infinity in the CPU modes). */
  maxTile: number;
  details: Record<string, unknown>;
  renderer?: string;
  /** headlessgl: the GL driver libraries mapped into this process (Linux), since headless-gl's renderer string is just 'ANGLE'. */
  glDrivers?: string[];
}

/** GL driver libraries (file names) mapped into this process; empty where /proc is missing. */
function glDriverLibraries(): string[] {
  try {
    const found = new Set<string>();
    for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const file = line.slice(line.lastIndexOf('/') + 1);
      if (/_dri\.so|libgallium|nvidia|swiftshader/i.test(file)) found.add(file);
    }
    return [...found].sort();
  } catch {
    return [];
  }
}

/** Inspects `kernel` (it must have run once) built by `gpu`, an instance of `GPU`. */
export function inspectGpujs(GPU: GpuClass, gpu: GpuInstance, kernel: GpuKernel, version: string): GpujsInspection {
  const built = kernel.kernel?.constructor;
  const cls = built?.name ?? 'unknown';
  const details: Record<string, unknown> = {
    version,
    pickedMode: gpu.mode,
    kernelClass: cls,
    headlessGL: GPU.isHeadlessGLSupported,
    webGL: GPU.isWebGLSupported,
    webGL2: GPU.isWebGL2Supported,
    webGPU: GPU.isWebGPUSupported,
    webAssembly: GPU.isWebAssemblySupported,
  };
  // GL kernels cannot output more texels per side than the texture limit: tile below it.
  const maxTex = built?.features?.maxTextureSize;
  const maxTile = typeof maxTex === 'number' && Number.isFinite(maxTex) && maxTex > 0 ? maxTex : Number.POSITIVE_INFINITY;
  if (Number.isFinite(maxTile)) details.maxTextureSize = maxTile;
  const found: GpujsInspection = { mode: builtMode(kernel, cls), maxTile, details };
  const ctx = kernel.kernel?.context;
  if (ctx?.getParameter && ctx.RENDERER !== undefined) {
    try {
      found.renderer = String(ctx.getParameter(ctx.RENDERER));
      details.renderer = found.renderer;
    } catch {
      // No renderer string: judge by the kernel class alone.
    }
  }
  if (found.mode === 'headlessgl') {
    found.glDrivers = glDriverLibraries();
    details.glDrivers = found.glDrivers;
  }
  return found;
}

const SOFTWARE_GL = /llvmpipe|softpipe|swiftshader|software|swrast|lavapipe/i;
/** Driver libraries of GPUs (Mesa's per-driver DRI files, NVIDIA's); Mesa >= 24 bundles all in libgallium: unknown. */
const HARDWARE_GL = /nvidia|radeonsi|r600|iris|i965|crocus|nouveau|amdgpu|panfrost|freedreno|v3d|vc4|etnaviv|lima|asahi/i;

/**
 * Whether gpu.js really runs on a GPU: a GPU kernel class on a hardware renderer (Mesa's
 * llvmpipe / swrast or SwiftShader are CPU rasterisers). headless-gl reports every renderer as
 * 'ANGLE', so in 'headlessgl' mode a known GPU driver must be mapped into the process
 * (`glDrivers`, from inspectGpujs); without that evidence it is not auto-selected either.
 * Otherwise `reason` says why it is not auto-selected.
 */
export function judgeGpujsMode(
  mode: string,
  renderer: string | undefined,
  glDrivers: readonly string[] = [],
): { onGpu: boolean; reason?: string } {
  const softwareDriver = glDrivers.find((d) => SOFTWARE_GL.test(d));
  const software = (renderer !== undefined && SOFTWARE_GL.test(renderer)) || softwareDriver !== undefined;
  const unproven = mode === 'headlessgl' && !glDrivers.some((d) => HARDWARE_GL.test(d));
  if (GPU_MODES.has(mode) && !software && !unproven) return { onGpu: true };
  let reason = `gpu.js running in ${mode} mode (CPU), no WebGL: not auto-selected`;
  if (software) reason = `gpu.js running in ${mode} mode on a software renderer (${softwareDriver ?? renderer}): not auto-selected`;
  else if (GPU_MODES.has(mode)) {
    reason = `gpu.js running in ${mode} mode, but no GPU driver is loaded behind it (${glDrivers.join(', ') || 'none found'}): not auto-selected`;
  }
  return { onGpu: false, reason };
}

/**
 * Shader sources as strings, so that no TypeScript or bundler transform reaches gpu.js's parser.
 *
 * haversine: the central angle from unit vectors (computed on the host in float64),
 * atan2(|p x q|, p . q) (GPUJS_ARC, not GLSL's atan: see ./gpujs-arc.ts); the radius is applied
 * on the host. The textbook 2 asin(sqrt(a)) (with
 * host-side half-angle terms as in native/src/cpu/geo/haversine_matrix.cc) is well behaved in float64 but
 * not in float32: near antipodes a rounds to 1 and asin amplifies that to 6.2 km (measured);
 * atan2(sqrt(a), sqrt(1 - a)) inherits the same rounded a. The cross/dot form stays within ~2.5e-7
 * rad everywhere and needs three inputs per point instead of five.
 */
const HAVERSINE_SHADER = `function (ox, oy, oz, dx, dy, dz) {
  const i = this.thread.y;
  const j = this.thread.x;
  const cx = oy[i] * dz[j] - oz[i] * dy[j];
  const cy = oz[i] * dx[j] - ox[i] * dz[j];
  const cz = ox[i] * dy[j] - oy[i] * dx[j];
  const dot = ox[i] * dx[j] + oy[i] * dy[j] + oz[i] * dz[j];
  return arc(Math.sqrt(cx * cx + cy * cy + cz * cz), dot);
}`;

const EUCLIDEAN_SHADER = `function (ox, oy, dx, dy) {
  const ex = ox[this.thread.y] - dx[this.thread.x];
  const ey = oy[this.thread.y] - dy[this.thread.x];
  return Math.sqrt(ex * ex + ey * ey);
}`;

interface Runtime extends GpujsInspection {
  haversine: GpuKernel;
  euclidean: GpuKernel;
}

/** Loads gpu.js, builds both kernels and checks them on known distances. Never throws. */
function loadRuntime(): Runtime | { error: string } {
  const loaded = loadGpujs();
  if ('error' in loaded) return loaded;
  try {
    const { GPU, version } = loaded;
    const gpu = new GPU();
    // One kernel per metric, resized per call: gpu.js rebuilds (webasm, cached per size) or
    // re-allocates textures (GL) instead of us keeping a kernel per output shape.
    const settings = { dynamicOutput: true, dynamicArguments: true, precision: 'single', tactic: 'precision', output: [1, 1] };
    const haversine = gpu.createKernel(HAVERSINE_SHADER, { ...settings, functions: [GPUJS_ARC] });
    const euclidean = gpu.createKernel(EUCLIDEAN_SHADER, settings);
    // Probe: (0, 0) -> (0, 0) and (0, 0) -> (0, 90): angles 0 and pi/2; (0, 0) -> (3, 4): 5.
    const f = (...v: number[]) => new Float32Array(v);
    haversine.setOutput([2, 1]);
    const h = rowsOf(haversine(f(1), f(0), f(0), f(1, 0), f(0, 1), f(0, 0)))[0];
    euclidean.setOutput([1, 1]);
    const e = rowsOf(euclidean(f(0), f(0), f(3), f(4)))[0];
    if (
      !h ||
      !e ||
      Math.abs(h[0] as number) > 1e-6 ||
      Math.abs((h[1] as number) - Math.PI / 2) > 1e-6 ||
      Math.abs((e[0] as number) - 5) > 1e-5
    ) {
      return { error: `gpu.js probe kernel returned wrong values (${String(h?.[1])} for pi/2, ${String(e?.[0])} for 5)` };
    }
    return { ...inspectGpujs(GPU, gpu, haversine, version), haversine, euclidean };
  } catch (err) {
    return { error: `gpu.js failed to build or run a probe kernel: ${firstLine(err)}` };
  }
}

/** gpu.js returns a 2-D output as rows of Float32Array (and, for some shapes, a single row). */
export function rowsOf(result: Float32Array[] | Float32Array): Float32Array[] {
  return Array.isArray(result) ? result : [result];
}

/** One gpu.js call: rows [r0, r1) x destination columns [c0, c1). */
export interface Tile {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/**
 * Splits rows [rowBegin, rowEnd) x m columns into tiles of at most `maxPairs` cells and at most
 * `maxSide` rows and columns, row blocks outermost (a row block's tiles are consecutive).
 */
export function planTiles(rowBegin: number, rowEnd: number, m: number, maxPairs: number, maxSide: number): Tile[] {
  const tiles: Tile[] = [];
  if (m === 0) return tiles;
  const w = Math.max(1, Math.min(m, maxSide, maxPairs));
  const h = Math.max(1, Math.min(maxSide, Math.floor(maxPairs / w)));
  for (let r0 = rowBegin; r0 < rowEnd; r0 += h) {
    for (let c0 = 0; c0 < m; c0 += w) tiles.push({ r0, r1: Math.min(rowEnd, r0 + h), c0, c1: Math.min(m, c0 + w) });
  }
  return tiles;
}

/** Unit vectors (x, y, z; computed in float64, stored float32) of points [from, to) in degrees. */
function unitVectors(latlng: Float64Array, from: number, to: number): Float32Array[] {
  const x = new Float32Array(to - from);
  const y = new Float32Array(to - from);
  const z = new Float32Array(to - from);
  for (let i = from; i < to; i++) {
    const lat = (latlng[2 * i] as number) * RAD;
    const lng = (latlng[2 * i + 1] as number) * RAD;
    x[i - from] = Math.cos(lat) * Math.cos(lng);
    y[i - from] = Math.cos(lat) * Math.sin(lng);
    z[i - from] = Math.sin(lat);
  }
  return [x, y, z];
}

/** Coordinates of points [from, to) minus (cx, cy), in float64 before the cast to float32. */
function shifted(xy: Float64Array, from: number, to: number, cx: number, cy: number): Float32Array[] {
  const x = new Float32Array(to - from);
  const y = new Float32Array(to - from);
  for (let i = from; i < to; i++) {
    x[i - from] = (xy[2 * i] as number) - cx;
    y[i - from] = (xy[2 * i + 1] as number) - cy;
  }
  return [x, y];
}

/** Centre of the bounding box of both point sets: float32 then only holds offsets from it. */
function boxCentre(a: Float64Array, b: Float64Array): [number, number] {
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const p of [a, b]) {
    for (let i = 0; i + 1 < p.length; i += 2) {
      const x = p[i] as number;
      const y = p[i + 1] as number;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return x0 <= x1 ? [(x0 + x1) / 2, (y0 + y1) / 2] : [0, 0];
}

/**
 * Writes the k smallest of `row` (ties to the lower index) to outIndex/outDist at `at`. A sorted
 * insertion buffer when k is small next to m (about one comparison per column), else a sort.
 */
function selectK(row: Float64Array, k: number, outIndex: Int32Array, outDist: Float64Array, at: number): void {
  const m = row.length;
  if (4 * k > m) {
    const order = Int32Array.from({ length: m }, (_, j) => j);
    order.sort((p, q) => (row[p] as number) - (row[q] as number) || p - q);
    for (let t = 0; t < k; t++) {
      const j = order[t] as number;
      outIndex[at + t] = j;
      outDist[at + t] = row[j] as number;
    }
    return;
  }
  let size = 0;
  for (let j = 0; j < m; j++) {
    const v = row[j] as number;
    // Equal to the current k-th: keep the earlier (lower) index.
    if (size === k && v >= (outDist[at + k - 1] as number)) continue;
    let t = size < k ? size++ : k - 1;
    while (t > 0 && (outDist[at + t - 1] as number) > v) {
      outDist[at + t] = outDist[at + t - 1] as number;
      outIndex[at + t] = outIndex[at + t - 1] as number;
      t--;
    }
    outDist[at + t] = v;
    outIndex[at + t] = j;
  }
}

/**
 * Creates the gpu.js backend (priority 20, not poolable). gpu.js is loaded lazily on the first
 * `status()` or `run()`; `run` is synchronous and polls `task.cancel` between tiles.
 */
export function createGpujsBackend(): Backend {
  let runtime: Runtime | { error: string } | undefined;
  let cached: BackendStatus | undefined;
  const rt = () => {
    runtime ??= loadRuntime();
    return runtime;
  };

  const status = (): BackendStatus => {
    if (cached) return cached;
    const r = rt();
    if ('error' in r) {
      cached = { name: 'gpujs', available: false, autoSelect: false, priority: PRIORITY, kernels: KERNELS, reason: r.error };
      return cached;
    }
    const { onGpu, reason } = judgeGpujsMode(r.mode, r.renderer, r.glDrivers);
    cached = { name: 'gpujs', available: true, autoSelect: onGpu, priority: PRIORITY, kernels: KERNELS, mode: r.mode, details: r.details };
    if (reason !== undefined) cached.reason = reason;
    return cached;
  };

  /** Runs `kernel` and notices when gpu.js has swapped it for another class (a fallback). */
  function call(r: Runtime, kernel: GpuKernel, output: [number, number], args: Float32Array[]): Float32Array[] {
    kernel.setOutput(output);
    const rows = rowsOf(kernel(...args));
    const mode = builtMode(kernel, r.mode);
    if (mode !== r.mode) {
      r.mode = mode;
      r.details = { ...r.details, kernelClass: kernel.kernel?.constructor.name };
      cached = undefined;
    }
    return rows;
  }

  return {
    name: 'gpujs',
    priority: PRIORITY,
    kernels: KERNELS,
    poolable: false,
    status,
    // Tiles keep every call below the GL texture limit and GPUJS_BLOCK_PAIRS: no hard limits.
    rejects: () => null,
    run(anyTask) {
      if (anyTask.kernel !== 'haversineMatrix' && anyTask.kernel !== 'euclideanMatrix' && anyTask.kernel !== 'kNearest') {
        throw new Error(`gpujs has no ${anyTask.kernel} kernel`);
      }
      const task: GeoTask = anyTask;
      const r = rt();
      if ('error' in r) throw new Error(r.error);
      const m = task.dests.length / 2;
      const knn = task.kernel === 'kNearest';
      const euclid = task.kernel === 'euclideanMatrix' || (knn && task.metric === 'euclidean');
      const k = task.k ?? 0;
      const out = task.out;
      if (knn ? !task.outIndex || !task.outDist || k < 1 || k > m : !out) {
        throw new Error(`gpujs ${task.kernel}: missing outputs or k outside [1, m]`);
      }
      const tiles = planTiles(task.rowBegin, task.rowEnd, m, GPUJS_BLOCK_PAIRS, r.maxTile);
      if (tiles.length === 0) return undefined;
      // Destination terms and the euclidean centre are computed once per call.
      const [cx, cy] = euclid ? boxCentre(task.origins, task.dests) : [0, 0];
      const dest = euclid ? shifted(task.dests, 0, m, cx, cy) : unitVectors(task.dests, 0, m);
      const kernel = euclid ? r.euclidean : r.haversine;
      const scale = euclid ? 1 : task.radius;
      let scratch = new Float64Array(0);
      let origin: Float32Array[] = [];
      for (const { r0, r1, c0, c1 } of tiles) {
        if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return undefined;
        if (c0 === 0) {
          origin = euclid ? shifted(task.origins, r0, r1, cx, cy) : unitVectors(task.origins, r0, r1);
          // kNearest needs whole rows before selecting: distances of this row block go to scratch.
          if (knn && scratch.length !== (r1 - r0) * m) scratch = new Float64Array((r1 - r0) * m);
        }
        const cols = c1 - c0;
        const destCols = cols === m ? dest : dest.map((a) => a.subarray(c0, c1));
        const rows = call(r, kernel, [cols, r1 - r0], [...origin, ...destCols]);
        const target = knn ? scratch : (out as Float64Array | Float32Array);
        const base = knn ? -r0 * m : 0;
        rows.forEach((row, t) => {
          const at = base + (r0 + t) * m + c0;
          for (let j = 0; j < cols; j++) target[at + j] = (row[j] as number) * scale;
        });
        if (knn && c1 === m) {
          for (let i = r0; i < r1; i++) {
            selectK(scratch.subarray((i - r0) * m, (i - r0 + 1) * m), k, task.outIndex as Int32Array, task.outDist as Float64Array, i * k);
          }
        }
      }
      return undefined;
    },
  };
}
