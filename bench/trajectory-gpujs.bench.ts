import { cpus, loadavg } from 'node:os';
import { gpujsPairwiseDistances, gpujsTrajectoryStatus } from '../src/kernels/trajectory/gpujs.js';
import { nativePairwiseDistances, nativeTrajectoryStatus } from '../src/kernels/trajectory/native.js';
import { pairwiseDistances } from '../src/kernels/trajectory/similarity.js';
import type { SimilarityMeasure, SimilarityOptions } from '../src/kernels/trajectory/types.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';
import { evenOddSegments } from './trajectory-segments.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('--pairs', 100);

const status = gpujsTrajectoryStatus();
if (!status.ok) {
  console.log(`gpu.js pairwise trajectory distances: not measured: ${status.reason}`);
  process.exit(0);
}
const native = nativeTrajectoryStatus();

const { A, B } = evenOddSegments(N);
const load = loadavg()[0] ?? 0;

interface Row {
  measure: string;
  gpujsFirstS: number;
  gpujsS: number;
  tsS: number;
  nativeS: number | null;
  worstRel: number;
  worstAbsM: number;
}
const rows: Row[] = [];
const cases: Array<[string, SimilarityMeasure, SimilarityOptions]> = [
  ['dtw', 'dtw', {}],
  ['dtw band 10', 'dtw', { band: 10 }],
  ['frechet', 'frechet', {}],
  ['hausdorff', 'hausdorff', {}],
];
const seconds = (t0: number) => (performance.now() - t0) / 1000;
let mode = status.mode;
for (const [name, measure, options] of cases) {
  let t0 = performance.now();
  let got = await gpujsPairwiseDistances(measure, A, B, options);
  const gpujsFirstS = seconds(t0);
  let gpujsS = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 2; r++) {
    t0 = performance.now();
    got = await gpujsPairwiseDistances(measure, A, B, options);
    gpujsS = Math.min(gpujsS, seconds(t0));
  }
  mode = got.gpujsMode;
  t0 = performance.now();
  const ref = pairwiseDistances(measure, A, B, options).data;
  const tsS = seconds(t0);
  let nativeS: number | null = null;
  if (native.ok) {
    t0 = performance.now();
    await nativePairwiseDistances(measure, A, B, options, { threads: 1 });
    nativeS = seconds(t0);
  }
  let worstRel = 0;
  let worstAbsM = 0;
  for (let k = 0; k < ref.length; k++) {
    const diff = Math.abs((got.data[k] as number) - (ref[k] as number));
    worstAbsM = Math.max(worstAbsM, diff);
    if ((ref[k] as number) > 0) worstRel = Math.max(worstRel, diff / (ref[k] as number));
  }
  const row = { measure: name, gpujsFirstS, gpujsS, tsS, nativeS, worstRel, worstAbsM };
  rows.push(row);
  console.log(
    `${name} ${N}x${N}: gpujs (${mode}) ${gpujsS.toFixed(2)} s (first call ${gpujsFirstS.toFixed(2)} s), TS ${tsS.toFixed(2)} s, native 1 thread ${nativeS === null ? 'n/a' : `${nativeS.toFixed(2)} s`}; worst rel ${worstRel.toExponential(1)}, worst ${worstAbsM.toFixed(3)} m`,
  );
}

const onGpu = status.onGpu && !['webasm', 'cpu'].includes(mode);
const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}`;
const x = (a: number | null, b: number) => (a === null ? 'n/a' : `x${(a / b).toFixed(1)}`);
const lines = [
  `Machine: ${machine}; load average at start ${load.toFixed(1)}. gpu.js ${String(status.details.version)} ran in **${mode}** mode${onGpu ? ' (a GPU)' : ': its CPU fallback (WebAssembly, one thread; no GL context here, so not a GPU figure, and never auto-selected)'}. Kernels: src/kernels/trajectory/gpujs-shaders.ts, one kernel thread per pair, float32, the DP row unrolled over 128 columns for these segments; best of 2 calls after a first call that compiles the kernel. TS: the reference, one call; native: the C++ core on 1 thread, one call. Data: the first ${N} even-numbered GeoLife segments against the first ${N} odd-numbered (~100 fixes each), haversine metres.`,
  '',
  '| measure | pairs | gpujs (s) | gpujs first call (s) | TS (s) | native 1 thread (s) | gpujs vs TS | gpujs vs native | worst rel. diff vs TS | worst diff (m) |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.measure} | ${N} x ${N} | ${r.gpujsS.toFixed(2)} | ${r.gpujsFirstS.toFixed(2)} | ${r.tsS.toFixed(2)} | ${r.nativeS === null ? 'n/a' : r.nativeS.toFixed(2)} | ${x(r.tsS, r.gpujsS)} | ${x(r.nativeS, r.gpujsS)} | ${r.worstRel.toExponential(1)} | ${r.worstAbsM.toFixed(3)} |`,
  ),
  '',
  'Differences are float32 (tested bound in src/kernels/trajectory/gpujs.ts: DTW (1e-6 + (n + m) 2e-7) x ref + (n + m) 4e-7 x S, Fréchet / Hausdorff 1e-6 x ref + 4e-7 x S, S the bounding-box diagonal of the points).',
];
console.log(lines.join('\n'));
if (process.argv.includes('--write')) {
  writeResultsFile(
    'trajectory-gpujs.json',
    `${JSON.stringify({ date: new Date().toISOString(), machine, mode, pairs: N, rows }, null, 2)}\n`,
  );
  writeResultsSection('trajectory-gpujs', 'trajectory on gpu.js (npx tsx bench/trajectory-gpujs.bench.ts)', lines.join('\n'));
}
