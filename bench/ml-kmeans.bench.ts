/**
 * k-means benchmark: the TypeScript reference (src/kernels/ml/kmeans.ts) vs the C++ core
 * (src/kernels/ml/kmeans-native.ts) with Lloyd and Elkan, 1 and 2 native threads; the CUDA
 * assignment step when a device is present; SciPy's kmeans2 (minit '++') as a side-by-side peer
 * when `python3` has SciPy.
 *
 * Data:
 * - real: UCI Online Retail (../shared/data/retail/online_retail; bench/kmeans-real-data.ts):
 *   customer RFM (4,338 customers x 3, k = 8: merchant / customer tiering) and the invoice lines
 *   (397,884 lines x 4, k = 16), z-scored columns;
 * - synthetic: 1e6 x 8, k = 16, seeded blobs (16 random centres in [-10, 10]^8, each value the
 *   centre plus 2 x (u1 + u2 + u3 - 1.5), mulberry32 seed 42), and 2e5 x 32, k = 16 (seed 43),
 *   where Elkan's bounds (k per row) cost less than the distances they skip (p each).
 * Settings: k-means++ seed 0, tolerance 1e-4, at most 300 iterations. Each native run is checked
 * against the reference run: labels, centroids and inertia bit-identical and the same iterations
 * ("identical" column). Times are wall time of one run (the reference) or the best of --reps runs
 * (native), plus the process CPU time of that run (steadier on a busy machine). SciPy runs
 * kmeans2 with iter = the reference's iteration count (kmeans2 has no convergence test) and its
 * own seeding, so its inertia is not the same clustering's.
 *
 * Options: --reps 2 --no-scipy --no-lines --no-wide. Writes the "k-means" section of bench/RESULTS.md.
 *
 *   npm run bench:ml:kmeans   (also the last part of npm run bench:ml; WAYBILL_ADDON picks another addon build)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type KMeansResult, kmeans } from '../src/kernels/ml/kmeans.js';
import { type NativeKMeansRun, nativeKmeansCudaStatus, nativeKmeansStatus, nativeKmeansSync } from '../src/kernels/ml/kmeans-native.js';
import { mulberry32 } from '../src/kernels/ml/random.js';
import { type KMeansTable, loadRetailLines, loadRetailRfm } from './kmeans-real-data.js';
import { writeResultsSection } from './results-md.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '2' },
    'no-scipy': { type: 'boolean', default: false },
    'no-lines': { type: 'boolean', default: false },
    'no-wide': { type: 'boolean', default: false },
  },
});
const REPS = Math.max(1, Number(values.reps));

const status = nativeKmeansStatus();
if (!status.ok) throw new Error(`native k-means unavailable: ${status.reason}`);
const cuda = nativeKmeansCudaStatus();

function syntheticBlobs(n: number, p: number, centres: number, seed: number): KMeansTable {
  const rng = mulberry32(seed);
  const mu = Float64Array.from({ length: centres * p }, () => rng() * 20 - 10);
  const data = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * centres);
    for (let f = 0; f < p; f++) data[i * p + f] = (mu[c * p + f] as number) + (rng() + rng() + rng() - 1.5) * 2;
  }
  return { data, rows: n, numFeatures: p, featureNames: [], source: `synthetic blobs (${centres} centres, seed ${seed})` };
}

interface Timed<T> {
  out: T;
  wallMs: number;
  cpuMs: number;
}

function timed<T>(fn: () => T, reps = 1): Timed<T> {
  let best: Timed<T> | undefined;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = fn();
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (!best || wallMs < best.wallMs) best = { out, wallMs, cpuMs: (c.user + c.system) / 1000 };
  }
  return best as Timed<T>;
}

function identical(a: KMeansResult, b: KMeansResult): boolean {
  if (a.iterations !== b.iterations || !Object.is(a.inertia, b.inertia) || a.labels.length !== b.labels.length) return false;
  for (let i = 0; i < a.labels.length; i++) if (a.labels[i] !== b.labels[i]) return false;
  for (let i = 0; i < a.centroids.length; i++) if (!Object.is(a.centroids[i], b.centroids[i])) return false;
  return true;
}

/** SciPy kmeans2 (minit '++', `iter` iterations) on the same data: seconds and inertia, or why not. */
function scipyPeer(t: KMeansTable, k: number, iter: number): { ms: number; inertia: number } | string {
  const dir = mkdtempSync(join(tmpdir(), 'wb-kmeans-'));
  try {
    const file = join(dir, 'data.f64');
    writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const script = [
      'import sys, time, numpy as np, scipy',
      'from scipy.cluster.vq import kmeans2',
      `x = np.fromfile(sys.argv[1], dtype='<f8').reshape(-1, ${t.numFeatures})`,
      't0 = time.perf_counter()',
      `c, l = kmeans2(x, ${k}, iter=${iter}, minit='++', seed=0)`,
      'ms = (time.perf_counter() - t0) * 1000',
      'print(ms, float(((x - c[l]) ** 2).sum()), scipy.__version__)',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    if (r.status !== 0) return `unavailable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
    const [ms, inertia, version] = r.stdout.trim().split(/\s+/);
    scipyVersion = version ?? '';
    return { ms: Number(ms), inertia: Number(inertia) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
let scipyVersion = '';

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
const loadStart = loadavg()
  .map((v) => v.toFixed(2))
  .join(' ');
console.log(`machine: ${machine}; load average at start ${loadStart}`);

const tables: Array<{ label: string; table: KMeansTable; k: number }> = [];
const rfm = loadRetailRfm();
if (rfm)
  tables.push({ label: `real: Online Retail customer RFM, ${rfm.rows.toLocaleString('en')} x ${rfm.numFeatures}`, table: rfm, k: 8 });
if (!values['no-lines']) {
  const lines = loadRetailLines();
  if (lines)
    tables.push({
      label: `real: Online Retail invoice lines, ${lines.rows.toLocaleString('en')} x ${lines.numFeatures}`,
      table: lines,
      k: 16,
    });
}
tables.push({ label: 'synthetic: blobs, 1,000,000 x 8', table: syntheticBlobs(1_000_000, 8, 16, 42), k: 16 });
// Elkan's regime: more features per row than bounds per row (k), so a skipped distance saves more than its bound costs.
if (!values['no-wide']) tables.push({ label: 'synthetic: blobs, 200,000 x 32', table: syntheticBlobs(200_000, 32, 16, 43), k: 16 });

const rowsOut: string[] = [];
for (const { label, table, k } of tables) {
  const options = { k, seed: 0 };
  console.log(`\n${label}, k = ${k}`);
  const ref = timed(() => kmeans(table.data, table.numFeatures, options));
  console.log(`  TS reference: ${fmtMs(ref.wallMs)}, ${ref.out.iterations} iterations, inertia ${ref.out.inertia}`);
  const row = (name: string, t: Timed<KMeansResult>, same: string, evals: string) =>
    `| ${label} | ${k} | ${name} | ${fmtMs(t.wallMs)} | ${fmtMs(t.cpuMs)} | ${(ref.wallMs / t.wallMs).toFixed(1)}x | ${t.out.iterations} | ${t.out.inertia.toPrecision(10)} | ${evals} | ${same} |`;
  rowsOut.push(row('TS reference (Lloyd)', ref, '(reference)', '100 %'));
  const runs: Array<[string, NativeKMeansRun]> = [
    ['native Lloyd, 1 thread', { algorithm: 'lloyd', threads: 1 }],
    ['native Lloyd, 2 threads', { algorithm: 'lloyd', threads: 2 }],
    ['native Elkan, 1 thread', { algorithm: 'elkan', threads: 1 }],
    ['native Elkan, 2 threads', { algorithm: 'elkan', threads: 2 }],
  ];
  if (cuda.ok) runs.push([`CUDA assignment (${cuda.device}) + 2 CPU threads`, { device: 'cuda', threads: 2 }]);
  let lloydEvals = 0;
  for (const [name, run] of runs) {
    const t = timed(() => nativeKmeansSync(table.data, table.numFeatures, { ...options, ...run }), REPS);
    if (run.algorithm === 'lloyd') lloydEvals = t.out.distanceEvaluations;
    const same = identical(t.out, ref.out) ? 'yes' : 'NO';
    const evals = `${((100 * t.out.distanceEvaluations) / (lloydEvals || t.out.distanceEvaluations)).toFixed(1)} %`;
    console.log(`  ${name}: ${fmtMs(t.wallMs)} (CPU ${fmtMs(t.cpuMs)}), identical ${same}, distances ${evals}`);
    rowsOut.push(row(name, t, same, evals));
  }
  if (!cuda.ok) rowsOut.push(`| ${label} | ${k} | CUDA assignment | skipped: no CUDA device (${cuda.reason}) | | | | | | |`);
  if (!values['no-scipy']) {
    const sp = scipyPeer(table, k, ref.out.iterations);
    if (typeof sp === 'string') rowsOut.push(`| ${label} | ${k} | SciPy kmeans2 | ${sp} | | | | | | |`);
    else {
      console.log(`  SciPy kmeans2: ${fmtMs(sp.ms)}, inertia ${sp.inertia}`);
      rowsOut.push(
        `| ${label} | ${k} | SciPy ${scipyVersion} kmeans2 (minit '++', iter ${ref.out.iterations}, own seeding) | ${fmtMs(sp.ms)} | | ${(ref.wallMs / sp.ms).toFixed(1)}x | ${ref.out.iterations} | ${sp.inertia.toPrecision(10)} | 100 % | n/a |`,
      );
    }
  }
}

const loadEnd = loadavg()
  .map((v) => v.toFixed(2))
  .join(' ');
const body = [
  `Machine: ${machine}; load average ${loadStart} at the start, ${loadEnd} at the end (a shared machine: other jobs ran; CPU time is steadier than wall time). ${new Date().toISOString().slice(0, 10)}.`,
  `Settings: k-means++ seed 0, tolerance 1e-4 (of the mean feature variance), at most 300 iterations; native times are the best of ${REPS} runs, the reference's one run. "identical": labels, centroids and inertia bit-identical to the TS reference and the same iteration count. "distances": row-to-centroid distance computations relative to native Lloyd (Elkan's bounds skip the rest). Synthetic data is labelled as such. Command: \`npx tsx bench/ml-kmeans.bench.ts\` (WAYBILL_ADDON points at a build).`,
  '',
  '| data | k | run | wall | CPU | vs TS | iterations | inertia | distances | identical |',
  '| --- | --: | --- | --: | --: | --: | --: | --: | --: | --- |',
  ...rowsOut,
].join('\n');
console.log(`\n${body}`);
writeResultsSection('ml-kmeans', 'k-means', body);
