import { availableParallelism, cpus } from 'node:os';
import { nativePairwiseDistances, nativeTrajectoryCudaStatus, nativeTrajectoryStatus } from '../src/kernels/trajectory/native.js';
import type { SimilarityMeasure, SimilarityOptions } from '../src/kernels/trajectory/types.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';
import { evenOddSegments } from './trajectory-segments.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('--pairs', 1000);
const THREADS = Math.min(256, arg('--threads', availableParallelism()));

const native = nativeTrajectoryStatus();
if (!native.ok) {
  console.error(`native trajectory kernels unavailable: ${native.reason}`);
  process.exit(1);
}
const cuda = nativeTrajectoryCudaStatus();
if (!cuda.ok) {
  console.log(`CUDA pairwise trajectory distances: not measured: ${cuda.reason}`);
  process.exit(0);
}

const { A, B } = evenOddSegments(N);

interface Row {
  measure: string;
  cudaS: number;
  cudaFirstS: number;
  nativeS: number;
  speedup: number;
  differing: number;
  worstRel: number;
}
const rows: Row[] = [];
const cases: Array<[string, SimilarityMeasure, SimilarityOptions]> = [
  ['dtw', 'dtw', {}],
  ['dtw band 10', 'dtw', { band: 10 }],
  ['frechet', 'frechet', {}],
  ['hausdorff', 'hausdorff', {}],
];
for (const [name, measure, options] of cases) {
  let t0 = performance.now();
  await nativePairwiseDistances(measure, A, B, options, { device: 'cuda' });
  const cudaFirstS = (performance.now() - t0) / 1000;
  let cudaS = Number.POSITIVE_INFINITY;
  let got: Float64Array = new Float64Array(0);
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    got = (await nativePairwiseDistances(measure, A, B, options, { device: 'cuda' })).data;
    cudaS = Math.min(cudaS, (performance.now() - t0) / 1000);
  }
  t0 = performance.now();
  const ref = (await nativePairwiseDistances(measure, A, B, options, { threads: THREADS })).data;
  const nativeS = (performance.now() - t0) / 1000;
  let differing = 0;
  let worstRel = 0;
  for (let k = 0; k < ref.length; k++) {
    const r = ref[k] as number;
    const g = got[k] as number;
    if (Object.is(r, g)) continue;
    differing++;
    worstRel = Math.max(worstRel, Math.abs(g - r) / Math.abs(r));
  }
  const row = { measure: name, cudaS, cudaFirstS, nativeS, speedup: nativeS / cudaS, differing, worstRel };
  rows.push(row);
  console.log(
    `${name} ${N}x${N}: cuda ${(cudaS * 1000).toFixed(1)} ms (first call ${(cudaFirstS * 1000).toFixed(0)} ms), native ${THREADS} threads ${nativeS.toFixed(2)} s, x${row.speedup.toFixed(1)}; ${differing} of ${N * N} differ (worst rel ${worstRel.toExponential(1)})`,
  );
}

const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${cuda.device}, Node ${process.version}`;
const lines = [
  `Machine: ${machine}. CUDA: native/src/cuda/trajectory/similarity.cu, one thread per pair, float64, best of 3 calls after a warm-up (times include the host-device copies); native: the C++ CPU core on ${THREADS} threads, one call. Data: the first ${N} even-numbered GeoLife segments against the first ${N} odd-numbered (~100 fixes each), haversine metres.`,
  '',
  '| measure | pairs | cuda (ms) | cuda first call (ms) | native (s) | cuda vs native | entries not bit-identical | worst rel. diff |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.measure} | ${N} x ${N} | ${(r.cudaS * 1000).toFixed(1)} | ${(r.cudaFirstS * 1000).toFixed(0)} | ${r.nativeS.toFixed(2)} | x${r.speedup.toFixed(1)} | ${r.differing} | ${r.worstRel.toExponential(1)} |`,
  ),
];
console.log(lines.join('\n'));
if (process.argv.includes('--write')) {
  writeResultsFile(
    'trajectory-cuda.json',
    `${JSON.stringify({ date: new Date().toISOString(), machine, pairs: N, threads: THREADS, rows }, null, 2)}\n`,
  );
  writeResultsSection('trajectory-cuda', 'trajectory on CUDA (npx tsx bench/trajectory-cuda.bench.ts)', lines.join('\n'));
}
