/**
 * Pairwise trajectory distances side by side with peers a user would otherwise reach for (the
 * second half of npm run bench:trajectory), on the GeoLife segments of bench/trajectory.bench.ts:
 * the first P even-numbered segments against the first P odd-numbered ones (P = 100, `--pairs P`),
 * one thread each, peer inputs converted to the peer's format before timing.
 *
 * - dynamic-time-warping (npm, pure JS): full DTW, the same step pattern as ours (cost + min of
 *   the three neighbours, no normalisation), any ground distance as a callback: given our
 *   haversine and plain Math.hypot.
 * - curve-matcher (npm, pure JS): discrete Fréchet (Eiter & Mannila), Euclidean only.
 * - SciPy scipy.spatial.distance.directed_hausdorff (Cython), and the brute force a NumPy user
 *   writes (cdist, then row and column minima): Euclidean only; the symmetric distance is the
 *   larger of the two directions. Run by WAYBILL_PYTHON on a script and data written to a temp
 *   folder; timed inside Python (without interpreter start).
 *
 * Times are CPU seconds of the process doing the work (this machine is shared; wall clock is kept
 * in the JSON); native runs as a sync call on one thread so that its CPU time is the kernel's.
 *
 * For a Euclidean-only peer ours runs with metric 'euclidean' on the same (lat, lng) degrees.
 * tslearn / traj-dist (PyPI) are the peers issue 9 names; they could not be installed here.
 * Peers live outside this repository:
 *   mkdir -p ../peers/trajectory && cd ../peers/trajectory && npm init -y &&
 *   npm install dynamic-time-warping curve-matcher
 * (WAYBILL_TRAJECTORY_PEERS names another folder; WAYBILL_PYTHON another interpreter with numpy
 * and scipy, default python3). A missing peer is skipped with a message. Writes
 * bench/results/trajectory-peers.json and the "trajectory-peers" section of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { haversine } from '../src/kernels/geo/haversine-matrix.js';
import { EARTH_RADIUS_M } from '../src/kernels/geo/types.js';
import { coordsOf, selectTrajectories } from '../src/kernels/trajectory/batch.js';
import { nativePairwiseDistances, nativeTrajectoryStatus } from '../src/kernels/trajectory/native.js';
import { pairwiseDistances } from '../src/kernels/trajectory/similarity.js';
import type { GroundMetric, SimilarityMeasure, TrajectoryBatch } from '../src/kernels/trajectory/types.js';
import { loadAddon } from '../src/native/addon.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';
import { evenOddSegments } from './trajectory-segments.js';

const argPairs = process.argv.indexOf('--pairs');
const P = argPairs > 0 ? Number(process.argv[argPairs + 1]) : 100;
const PEERS = resolve(process.env.WAYBILL_TRAJECTORY_PEERS ?? join(PACKAGE_ROOT, '..', 'peers', 'trajectory'));
const PYTHON = process.env.WAYBILL_PYTHON ?? 'python3';

const status = nativeTrajectoryStatus();
if (!status.ok) {
  console.error(`native trajectory kernels unavailable: ${status.reason}`);
  process.exit(1);
}
const load = loadAddon();
const simd = load.ok ? load.addon.info().simd : 'unknown';
const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}`;
const loadAtStart = loadavg()[0] as number;

const { A, B } = evenOddSegments(P);
const pointsOf = (batch: TrajectoryBatch): [number, number][][] =>
  Array.from({ length: batch.offsets.length - 1 }, (_, t) => {
    const c = coordsOf(batch, t);
    return Array.from({ length: c.length / 2 }, (_, p) => [c[2 * p] as number, c[2 * p + 1] as number]);
  });

/**
 * Seconds spent: wall clock, and CPU (user + system of the whole process). On this shared machine
 * other jobs take turns on the cores, so CPU time is the figure compared; wall time is kept too.
 */
interface Timing {
  wall: number;
  cpu: number;
}

/** Runs `f` and measures it (awaited when it returns a promise). */
async function timed<T>(f: () => T | Promise<T>): Promise<[T, Timing]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return [r, { wall, cpu: (c.user + c.system) / 1e6 }];
}

/** A peer's distances over A x B (row-major, P x P) and its time for the P x P pairs. */
interface PeerRun {
  data: Float64Array;
  time: Timing;
}

interface Peer {
  /** Row label: the peer and its version. */
  name: string;
  measure: SimilarityMeasure;
  metric: GroundMetric;
  /** What differs from ours, or how it was made like for like. */
  note: string;
  run(): Promise<PeerRun>;
}

/** Times `distance` over every pair of A x B after a warm-up over the first rows. */
async function timeJsPeer<T>(a: T[], b: T[], distance: (x: T, y: T) => number): Promise<PeerRun> {
  for (let i = 0; i < Math.min(5, a.length); i++) for (const y of b) distance(a[i] as T, y);
  const data = new Float64Array(a.length * b.length);
  const [, time] = await timed(() => {
    for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) data[i * b.length + j] = distance(a[i] as T, b[j] as T);
  });
  return { data, time };
}

const skipped: string[] = [];
const peers: Peer[] = [];
const requirePeer = createRequire(join(PEERS, 'package.json'));
function jsPeer<T>(pkg: string): { module: T; version: string } | undefined {
  try {
    const version = (requirePeer(`${pkg}/package.json`) as { version: string }).version;
    return { module: requirePeer(pkg) as T, version };
  } catch {
    skipped.push(
      `${pkg} not found under ${PEERS} (see the header of bench/trajectory-peers.bench.ts, or set WAYBILL_TRAJECTORY_PEERS): skipped.`,
    );
    return undefined;
  }
}

type Point = [number, number];
type DtwCtor = new (a: Point[], b: Point[], d: (p: Point, q: Point) => number) => { getDistance(): number };
const dtwPeer = jsPeer<DtwCtor>('dynamic-time-warping');
if (dtwPeer) {
  const DynamicTimeWarping = dtwPeer.module;
  const [pa, pb] = [pointsOf(A), pointsOf(B)];
  const ground = {
    haversine: (p: Point, q: Point) => haversine(p[0], p[1], q[0], q[1], EARTH_RADIUS_M),
    euclidean: (p: Point, q: Point) => Math.hypot(p[0] - q[0], p[1] - q[1]),
  };
  for (const metric of ['haversine', 'euclidean'] as const) {
    peers.push({
      name: `dynamic-time-warping ${dtwPeer.version} (npm, JS)`,
      measure: 'dtw',
      metric,
      note: `full DTW, same step pattern, unnormalised; the peer takes the ground distance as a callback: given ${metric === 'haversine' ? 'our haversine (same formula, same radius)' : 'Math.hypot'}; keeps the whole n x m cost matrix (for its warping path)`,
      run: () => timeJsPeer(pa, pb, (x, y) => new DynamicTimeWarping(x, y, ground[metric]).getDistance()),
    });
  }
}

interface XY {
  x: number;
  y: number;
}
const frechetPeer = jsPeer<{ frechetDistance(a: XY[], b: XY[]): number }>('curve-matcher');
if (frechetPeer) {
  const toXY = (batch: TrajectoryBatch) => pointsOf(batch).map((t) => t.map(([y, x]) => ({ x, y })));
  const [ca, cb] = [toXY(A), toXY(B)];
  peers.push({
    name: `curve-matcher ${frechetPeer.version} (npm, JS)`,
    measure: 'frechet',
    metric: 'euclidean',
    note: 'discrete Fréchet, Euclidean only (sqrt(dx² + dy²)): ours with metric euclidean',
    run: () => timeJsPeer(ca, cb, (x, y) => frechetPeer.module.frechetDistance(x, y)),
  });
}

// argv: data folder, method. Both methods are Euclidean and symmetric (the larger direction).
const PY_HAUSDORFF = `
import json, sys, time
import numpy as np
import scipy
from scipy.spatial.distance import cdist, directed_hausdorff
d, method = sys.argv[1], sys.argv[2]
def load(name):
    c = np.fromfile(d + "/" + name + "-coords.f64", dtype="<f8").reshape(-1, 2)
    o = np.fromfile(d + "/" + name + "-offsets.i32", dtype="<i4")
    return [np.ascontiguousarray(c[o[t]:o[t + 1]]) for t in range(len(o) - 1)]
A, B = load("a"), load("b")
def by_directed(u, v):
    return max(directed_hausdorff(u, v)[0], directed_hausdorff(v, u)[0])
def by_cdist(u, v):
    m = cdist(u, v)
    return max(m.min(axis=1).max(), m.min(axis=0).max())
hausdorff = by_directed if method == "directed" else by_cdist
for u in A[:5]:
    for v in B:
        hausdorff(u, v)
out = np.empty((len(A), len(B)))
t0, c0 = time.perf_counter(), time.process_time()
for i, u in enumerate(A):
    for j, v in enumerate(B):
        out[i, j] = hausdorff(u, v)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
out.astype("<f8").tofile(d + "/out.f64")
print(json.dumps({"wall": wall, "cpu": cpu}))
`;

/** Runs PY_HAUSDORFF with `method` on A x B: the data goes through a temporary folder. */
async function runPythonHausdorff(method: 'directed' | 'cdist'): Promise<PeerRun> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-traj-peers-'));
  try {
    for (const [name, batch] of [
      ['a', A],
      ['b', B],
    ] as const) {
      writeFileSync(join(dir, `${name}-coords.f64`), new Uint8Array(batch.coords.buffer, batch.coords.byteOffset, batch.coords.byteLength));
      writeFileSync(join(dir, `${name}-offsets.i32`), new Uint8Array(Int32Array.from(batch.offsets).buffer));
    }
    writeFileSync(join(dir, 'hausdorff.py'), PY_HAUSDORFF);
    const res = spawnSync(PYTHON, [join(dir, 'hausdorff.py'), dir, method], {
      encoding: 'utf8',
      // One thread, like every other column.
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    if (res.status !== 0) throw new Error(`${PYTHON} failed: ${res.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const time = JSON.parse(res.stdout.trim().split('\n').pop() as string) as Timing;
    const bytes = readFileSync(join(dir, 'out.f64'));
    return { data: new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), time };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const probe = spawnSync(PYTHON, ['-c', 'import sys, numpy, scipy; print(sys.version.split()[0], numpy.__version__, scipy.__version__)'], {
  encoding: 'utf8',
});
if (probe.status === 0) {
  const [python, numpy, scipy] = probe.stdout.trim().split(' ');
  const versions = `Python ${python}, NumPy ${numpy}`;
  peers.push({
    name: `SciPy ${scipy} spatial.distance.directed_hausdorff (${versions}; Cython)`,
    measure: 'hausdorff',
    metric: 'euclidean',
    note: 'Euclidean only: ours with metric euclidean; symmetric = the larger of both directions, as ours; default seed=0 (points shuffled for its early break; exact); timed inside Python',
    run: () => runPythonHausdorff('directed'),
  });
  peers.push({
    name: `SciPy ${scipy} spatial.distance.cdist (${versions}; vectorised brute force)`,
    measure: 'hausdorff',
    metric: 'euclidean',
    note: 'Euclidean only: ours with metric euclidean; the full n x m cdist matrix, then max of row and column minima; timed inside Python',
    run: () => runPythonHausdorff('cdist'),
  });
} else {
  skipped.push(`${PYTHON} with numpy and scipy not found (set WAYBILL_PYTHON): the SciPy Hausdorff peers skipped.`);
}
for (const s of skipped) console.log(s);
if (peers.length === 0) {
  console.log('No trajectory peer available: bench/RESULTS.md left as it is.');
  process.exit(0);
}

interface Row {
  peer: string;
  measure: SimilarityMeasure;
  metric: GroundMetric;
  note: string;
  pairs: number;
  /** Microseconds per pair: CPU time (the table's figures) and wall clock. */
  native: Timing;
  ts: Timing;
  peerTime: Timing;
  /** Peer CPU time / native CPU time (> 1: native faster). */
  nativeVsPeer: number;
  worstRelDiff: number;
}

/** Largest |x - y| / |y| over the matrices (0 where they are equal). */
function worstRel(x: Float64Array, y: Float64Array): number {
  let worst = 0;
  for (let k = 0; k < y.length; k++) {
    const a = x[k] as number;
    const b = y[k] as number;
    if (a !== b) worst = Math.max(worst, Math.abs(a - b) / Math.abs(b));
  }
  return worst;
}

const rows: Row[] = [];
const perPairUs = (t: Timing): Timing => ({ wall: (t.wall / (P * P)) * 1e6, cpu: (t.cpu / (P * P)) * 1e6 });
for (const peer of peers) {
  const options = { metric: peer.metric };
  // Native on the calling thread (sync), so that this process's CPU time is the kernel's: one
  // warm-up call, then the best of three (each is a fraction of a second).
  const run = { threads: 1, sync: true };
  let [ours] = await timed(() => nativePairwiseDistances(peer.measure, A, B, options, run));
  let native: Timing = { wall: Number.POSITIVE_INFINITY, cpu: Number.POSITIVE_INFINITY };
  for (let r = 0; r < 3; r++) {
    const [m, t] = await timed(() => nativePairwiseDistances(peer.measure, A, B, options, run));
    ours = m;
    if (t.cpu < native.cpu) native = t;
  }
  pairwiseDistances(peer.measure, selectTrajectories(A, [0, 1, 2, 3, 4]), B, options); // JIT warm-up
  const [ref, ts] = await timed(() => pairwiseDistances(peer.measure, A, B, options));
  const theirs = await peer.run();
  const row: Row = {
    peer: peer.name,
    measure: peer.measure,
    metric: peer.metric,
    note: peer.note,
    pairs: P * P,
    native: perPairUs(native),
    ts: perPairUs(ts),
    peerTime: perPairUs(theirs.time),
    nativeVsPeer: theirs.time.cpu / native.cpu,
    worstRelDiff: Math.max(worstRel(ours.data, theirs.data), worstRel(ref.data, theirs.data)),
  };
  rows.push(row);
  console.log(
    `${peer.measure} (${peer.metric}) vs ${peer.name}, us/pair CPU (wall): native ${row.native.cpu.toFixed(1)} (${row.native.wall.toFixed(1)}), TS ${row.ts.cpu.toFixed(1)} (${row.ts.wall.toFixed(1)}), peer ${row.peerTime.cpu.toFixed(1)} (${row.peerTime.wall.toFixed(1)}); native x${row.nativeVsPeer.toFixed(1)}; max rel diff ${row.worstRelDiff.toExponential(1)}`,
  );
}

const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const lines = [
  `Machine: ${machine}; load average at start ${loadAtStart.toFixed(1)}, at end ${(loadavg()[0] as number).toFixed(1)} (a shared machine: other jobs ran alongside, so times are CPU time, user + system of the process doing the work, V8 background GC threads included; wall clock in bench/results/trajectory-peers.json). One thread each. Backend: native = C++ CPU core (${simd} SIMD), one thread (sync call), best of 3 calls; TS = our TypeScript reference; peers as named, installed outside the repository (../peers/trajectory; see the header of bench/trajectory-peers.bench.ts).`,
  `Data: the segments of the trajectory section above, the first ${P} even-numbered against the first ${P} odd-numbered (${P} x ${P} = ${P * P} pairs, every pair computed by every side; per-pair times, not extrapolated). Ground distance: haversine metres, or Euclidean on the (lat, lng) degrees where the peer only has Euclidean (ours then run Euclidean too). Max rel. diff = largest |ours - peer| / |peer| over the ${P * P} distances, ours = native and TS.`,
  '',
  '| measure | ground | peer | native (us/pair) | TS (us/pair) | peer (us/pair) | native vs peer (peer time / native time) | max rel. diff | like for like |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.measure} | ${r.metric} | ${r.peer} | ${f(r.native.cpu)} | ${f(r.ts.cpu)} | ${f(r.peerTime.cpu)} | x${r.nativeVsPeer.toFixed(1)} | ${r.worstRelDiff.toExponential(1)} | ${r.note} |`,
  ),
  ...(skipped.length ? ['', ...skipped.map((s) => `Skipped: ${s}`)] : []),
  '',
  'Not measured: tslearn and traj-dist (PyPI), the peers issue 9 names, cannot be installed on this machine (no PyPI access); no npm or Debian package found here offers Fréchet or Hausdorff over a haversine ground distance, so those two are compared on Euclidean only. The npm package `dtw` (langholz) takes scalar sequences only, so it cannot compare 2-D trajectories.',
];
writeResultsFile(
  'trajectory-peers.json',
  `${JSON.stringify({ date: new Date().toISOString(), machine, loadAtStart, simd, pairs: P * P, rows, skipped }, null, 2)}\n`,
);
writeResultsSection('trajectory-peers', 'trajectory side by side with peers (npm run bench:trajectory)', lines.join('\n'));
console.log(lines.join('\n'));
