/**
 * The gpu.js backend: geo kernels compiled by gpu.js to WebGL / headless GL shaders when a GPU
 * context exists, float32 arithmetic.
 *
 * gpu.js falls back silently to a CPU mode (its WebAssembly or plain-JS kernels) when it finds no
 * GL context, while `gpu.mode` may still read 'gpu'. This backend therefore runs a probe kernel
 * and reads the class of the kernel gpu.js really built, and with a GL context also the renderer
 * string (Mesa's llvmpipe / SwiftShader are CPU rasterisers). Only a real GPU mode is chosen by
 * automatic dispatch; in a CPU mode the backend stays available when forced and says which mode
 * ran in every result.
 *
 * Precision (float32, measured against the float64 TS reference on random points with poles,
 * the date line and antipodes; test/backends/gpujs.test.ts): haversine within 3 m + 1e-6 x d
 * (worst seen 1.5 m);
 * euclidean within 1e-6 x the coordinate scale after centring. Unit vectors are computed on the
 * host in float64, so the shader does no trigonometry but one atan2.
 */
import { createRequire } from 'node:module';
import type { GeoTask } from '../kernels/geo/types.js';
import type { Backend, BackendStatus, KernelName } from './types.js';

const KERNELS: KernelName[] = ['haversineMatrix', 'euclideanMatrix', 'kNearest'];
const GPU_MODES = new Set(['gpu', 'webgl', 'webgl2', 'headlessgl', 'webgpu']);
/** Pairs per gpu.js call: bounds the (float32) staging memory of one call. */
const BLOCK_PAIRS = 1 << 20;
const RAD = Math.PI / 180;

/** Minimal shape of the gpu.js objects we use. */
interface GpuKernel {
  (...args: unknown[]): Float32Array[] | Float32Array;
  setOutput(o: number[]): GpuKernel;
  kernel?: { constructor: { name: string }; context?: { getParameter?(p: number): unknown; RENDERER?: number } };
}
interface GpuInstance {
  createKernel(source: string, settings?: Record<string, unknown>): GpuKernel;
  destroy?(): void;
}
interface GpuModule {
  GPU: new (settings?: Record<string, unknown>) => GpuInstance;
}

const MODE_BY_CLASS: Record<string, string> = {
  WebAssemblyKernel: 'webasm',
  CPUKernel: 'cpu',
  HeadlessGLKernel: 'headlessgl',
  WebGLKernel: 'webgl',
  WebGL2Kernel: 'webgl2',
  WebGPUKernel: 'webgpu',
};

interface Runtime {
  gpu: GpuInstance;
  mode: string;
  renderer?: string;
  version: string;
  haversine: GpuKernel;
  euclidean: GpuKernel;
}

/**
 * Shader sources, as strings so that no TypeScript or bundler transform reaches gpu.js's parser.
 *
 * haversine: the central angle from unit vectors, atan2(|p x q|, p . q) (the radius is applied on
 * the host). In float32 the textbook asin(sqrt(a)) loses kilometres near antipodes (a rounds to
 * 1; measured 4.4 km); this form is well conditioned everywhere, ~1e-7 rad (< 1 m) of error.
 */
const HAVERSINE_SHADER = `function (ox, oy, oz, dx, dy, dz) {
  const i = this.thread.y;
  const j = this.thread.x;
  const cx = oy[i] * dz[j] - oz[i] * dy[j];
  const cy = oz[i] * dx[j] - ox[i] * dz[j];
  const cz = ox[i] * dy[j] - oy[i] * dx[j];
  const dot = ox[i] * dx[j] + oy[i] * dy[j] + oz[i] * dz[j];
  return Math.atan2(Math.sqrt(cx * cx + cy * cy + cz * cz), dot);
}`;

const EUCLIDEAN_SHADER = `function (ox, oy, dx, dy) {
  const ex = ox[this.thread.y] - dx[this.thread.x];
  const ey = oy[this.thread.y] - dy[this.thread.x];
  return Math.sqrt(ex * ex + ey * ey);
}`;

/** Unit vectors (x, y, z as three Float32Arrays, computed in float64) of points [from, to). */
function unitVectors(latlng: Float64Array, from: number, to: number): Float32Array[] {
  const n = to - from;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const z = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const lat = (latlng[2 * (from + i)] as number) * RAD;
    const lng = (latlng[2 * (from + i) + 1] as number) * RAD;
    x[i] = Math.cos(lat) * Math.cos(lng);
    y[i] = Math.cos(lat) * Math.sin(lng);
    z[i] = Math.sin(lat);
  }
  return [x, y, z];
}

function loadRuntime(): Runtime | { error: string } {
  let mod: GpuModule;
  let version = 'unknown';
  try {
    const require = createRequire(import.meta.url);
    mod = require('gpu.js') as GpuModule;
    version = (require('gpu.js/package.json') as { version: string }).version;
  } catch (err) {
    return { error: `gpu.js not installed: ${(err as Error).message.split('\n')[0]}` };
  }
  try {
    const gpu = new mod.GPU();
    const settings = { dynamicOutput: true, dynamicArguments: true, tactic: 'precision', output: [1, 1] };
    const haversine = gpu.createKernel(HAVERSINE_SHADER, settings);
    const euclidean = gpu.createKernel(EUCLIDEAN_SHADER, settings);
    // Build and run once, then read what gpu.js really compiled to.
    const one = new Float32Array([0]);
    haversine(one, one, one, one, one, one);
    euclidean(one, one, one, one);
    const cls = haversine.kernel?.constructor.name ?? 'unknown';
    const mode = MODE_BY_CLASS[cls] ?? cls;
    let renderer: string | undefined;
    const ctx = haversine.kernel?.context;
    if (ctx?.getParameter && ctx.RENDERER !== undefined) {
      try {
        renderer = String(ctx.getParameter(ctx.RENDERER));
      } catch {
        renderer = undefined;
      }
    }
    const rt: Runtime = { gpu, mode, version, haversine, euclidean };
    if (renderer !== undefined) rt.renderer = renderer;
    return rt;
  } catch (err) {
    return { error: `gpu.js failed to build a kernel: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Copies one gpu.js result (rows of Float32Array, or one Float32Array for a single row) into `out` at row `row0`. */
function copyRows(result: Float32Array[] | Float32Array, out: Float64Array | Float32Array, row0: number, m: number, scale: number): void {
  const rows = Array.isArray(result) ? result : [result];
  rows.forEach((r, t) => {
    const base = (row0 + t) * m;
    for (let j = 0; j < m; j++) out[base + j] = (r[j] as number) * scale;
  });
}

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
      cached = { name: 'gpujs', available: false, autoSelect: false, priority: 20, kernels: KERNELS, reason: r.error };
      return cached;
    }
    const software = r.renderer !== undefined && /llvmpipe|softpipe|swiftshader|software/i.test(r.renderer);
    const onGpu = GPU_MODES.has(r.mode) && !software;
    const details: Record<string, unknown> = { version: r.version, kernelClass: r.mode };
    if (r.renderer) details.renderer = r.renderer;
    cached = { name: 'gpujs', available: true, autoSelect: onGpu, priority: 20, kernels: KERNELS, mode: r.mode, details };
    if (!onGpu) {
      cached.reason = software
        ? `gpu.js running in ${r.mode} mode on a software renderer (${r.renderer}): not auto-selected`
        : `gpu.js running in ${r.mode} mode (CPU), no WebGL: not auto-selected`;
    }
    return cached;
  };

  /** Distances of rows [from, to) x all destinations, through gpu.js, into a row-major target. */
  function matrixRows(task: GeoTask, r: Runtime, from: number, to: number, out: Float64Array | Float32Array, outRow0: number): void {
    const m = task.dests.length / 2;
    if (task.kernel === 'euclideanMatrix' || task.metric === 'euclidean') {
      const { ox, oy, dx, dy } = centred(task, from, to);
      r.euclidean.setOutput([m, to - from]);
      copyRows(r.euclidean(ox, oy, dx, dy), out, outRow0, m, 1);
    } else {
      const o = unitVectors(task.origins, from, to);
      r.haversine.setOutput([m, to - from]);
      copyRows(r.haversine(...o, ...destTerms(task)), out, outRow0, m, task.radius);
    }
  }

  // Destination terms are the same for every block of a call: compute once per task.
  let lastDests: Float64Array | undefined;
  let lastTerms: Float32Array[] = [];
  function destTerms(task: GeoTask): Float32Array[] {
    if (lastDests !== task.dests) {
      lastTerms = unitVectors(task.dests, 0, task.dests.length / 2);
      lastDests = task.dests;
    }
    return lastTerms;
  }

  /** Coordinates shifted by the destinations' mean (in float64) before the cast to float32. */
  function centred(task: GeoTask, from: number, to: number) {
    const m = task.dests.length / 2;
    let cx = 0;
    let cy = 0;
    for (let j = 0; j < m; j++) {
      cx += task.dests[2 * j] as number;
      cy += task.dests[2 * j + 1] as number;
    }
    cx /= Math.max(1, m);
    cy /= Math.max(1, m);
    const ox = new Float32Array(to - from);
    const oy = new Float32Array(to - from);
    for (let i = from; i < to; i++) {
      ox[i - from] = (task.origins[2 * i] as number) - cx;
      oy[i - from] = (task.origins[2 * i + 1] as number) - cy;
    }
    const dx = new Float32Array(m);
    const dy = new Float32Array(m);
    for (let j = 0; j < m; j++) {
      dx[j] = (task.dests[2 * j] as number) - cx;
      dy[j] = (task.dests[2 * j + 1] as number) - cy;
    }
    return { ox, oy, dx, dy };
  }

  return {
    name: 'gpujs',
    priority: 20,
    kernels: KERNELS,
    poolable: false,
    status,
    rejects: () => null,
    run(anyTask) {
      if (
        anyTask.kernel === 'linearAssignment' ||
        anyTask.kernel === 'budgetAllocation' ||
        anyTask.kernel === 'tsp' ||
        anyTask.kernel === 'minCostFlow'
      ) {
        throw new Error(`gpujs has no ${anyTask.kernel} kernel`);
      }
      const task: GeoTask = anyTask;
      const r = rt();
      if ('error' in r) throw new Error(r.error);
      const m = task.dests.length / 2;
      const rowsPerBlock = Math.max(1, Math.floor(BLOCK_PAIRS / Math.max(1, m)));
      lastDests = undefined;
      for (let b = task.rowBegin; b < task.rowEnd; b += rowsPerBlock) {
        if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return undefined;
        const e = Math.min(task.rowEnd, b + rowsPerBlock);
        if (task.kernel === 'kNearest') {
          const scratch = new Float64Array((e - b) * m);
          matrixRows(task, r, b, e, scratch, 0);
          selectNearest(scratch, b, e, m, task);
        } else {
          matrixRows(task, r, b, e, task.out as Float64Array | Float32Array, b);
        }
      }
      return undefined;
    },
  };
}

/** k smallest (distance, index) per row of `scratch`, ties to the lower index, into task.outIndex/outDist. */
function selectNearest(scratch: Float64Array, from: number, to: number, m: number, task: GeoTask): void {
  const k = task.k as number;
  const order = new Int32Array(m);
  for (let i = from; i < to; i++) {
    const row = scratch.subarray((i - from) * m, (i - from + 1) * m);
    for (let j = 0; j < m; j++) order[j] = j;
    order.sort((p, q) => (row[p] as number) - (row[q] as number) || p - q);
    for (let t = 0; t < k; t++) {
      const j = order[t] as number;
      (task.outIndex as Int32Array)[i * k + t] = j;
      (task.outDist as Float64Array)[i * k + t] = row[j] as number;
    }
  }
}
