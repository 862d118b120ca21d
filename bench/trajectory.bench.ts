import { cpus, loadavg } from 'node:os';
import { coordsOf, selectTrajectories } from '../src/kernels/trajectory/batch.js';
import {
  nativeDetectStayPoints,
  nativeDouglasPeucker,
  nativePairwiseDistances,
  nativeTdTr,
  nativeTrajectoryCudaStatus,
  nativeTrajectoryStatus,
} from '../src/kernels/trajectory/native.js';
import { pairwiseDistances } from '../src/kernels/trajectory/similarity.js';
import { douglasPeucker, tdTr } from '../src/kernels/trajectory/simplify.js';
import { detectStayPoints } from '../src/kernels/trajectory/stay-points.js';
import { topKSimilar } from '../src/kernels/trajectory/top-k.js';
import { loadAddon } from '../src/native/addon.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';
import { geolifeSegments } from './trajectory-segments.js';

const argPairs = process.argv.indexOf('--pairs');
const N = argPairs > 0 ? Number(process.argv[argPairs + 1]) : 1000;
if (!Number.isInteger(N) || N < 1) {
  console.error(`--pairs must be an integer >= 1, got '${process.argv[argPairs + 1]}'`);
  process.exit(2);
}
// The TS reference runs on a subset of at most 40 x 40 pairs (never more than the pairs asked for).
const TS_SUBSET = Math.min(40, N);
const withCuda = process.argv.includes('--cuda');
const cudaStatus = nativeTrajectoryCudaStatus();
const cudaNote = cudaStatus.ok ? cudaStatus.device : `not measured: ${cudaStatus.reason}`;

const status = nativeTrajectoryStatus();
if (!status.ok) {
  console.error(`native trajectory kernels unavailable: ${status.reason}`);
  process.exit(1);
}
const load = loadAddon();
const simd = load.ok ? load.addon.info().simd : 'unknown';
const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}`;
const loadAtStart = loadavg()[0] as number;

function seconds<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

async function secondsAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, (performance.now() - t0) / 1000];
}

const { windows, trips } = geolifeSegments();
const count = windows.offsets.length - 1;
const lens: number[] = [];
for (let t = 0; t < count; t++) lens.push((windows.offsets[t + 1] as number) - (windows.offsets[t] as number));
const meanLen = lens.reduce((s, v) => s + v, 0) / count;
console.log(`GeoLife sample: ${count} segments of ${Math.min(...lens)}-${Math.max(...lens)} fixes (mean ${meanLen.toFixed(1)})`);
if (count < 2 * N) throw new Error(`need ${2 * N} segments, have ${count}`);
const even = Array.from({ length: N }, (_, k) => 2 * k);
const odd = Array.from({ length: N }, (_, k) => 2 * k + 1);
const A = selectTrajectories(windows, even);
const B = selectTrajectories(windows, odd);
const cellsPerPair = (() => {
  let s = 0;
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) s += (lens[2 * i] as number) * (lens[2 * j + 1] as number);
  return s / (N * N);
})();

interface PairRow {
  measure: string;
  pairs: number;
  native1s: number;
  native2s: number;
  tsPerPairUs: number;
  tsExtrapolatedS: number;
  speedupVsTs: number;
  speedup2vs1: number;
  identical1vs2: boolean;
  worstRelVsTs: number;
  /** --cuda with a device: best of 3 (s) and worst relative difference from native 1 thread. */
  cudaS?: number;
  cudaWorstRel?: number;
}
const pairRows: PairRow[] = [];
for (const measure of ['dtw', 'frechet'] as const) {
  const [one, t1] = await secondsAsync(() => nativePairwiseDistances(measure, A, B, undefined, { threads: 1 }));
  const [two, t2] = await secondsAsync(() => nativePairwiseDistances(measure, A, B, undefined, { threads: 2 }));
  const identical = Buffer.compare(Buffer.from(one.data.buffer), Buffer.from(two.data.buffer)) === 0;
  const sa = selectTrajectories(
    A,
    Array.from({ length: TS_SUBSET }, (_, k) => k),
  );
  const sb = selectTrajectories(
    B,
    Array.from({ length: TS_SUBSET }, (_, k) => k),
  );
  pairwiseDistances(measure, selectTrajectories(sa, [0, 1, 2, 3, 4]), sb); // JIT warm-up
  const [ref, tts] = seconds(() => pairwiseDistances(measure, sa, sb));
  let worst = 0;
  for (let i = 0; i < TS_SUBSET; i++) {
    for (let j = 0; j < TS_SUBSET; j++) {
      const r = ref.data[i * TS_SUBSET + j] as number;
      const g = one.data[i * N + j] as number;
      if (r !== g) worst = Math.max(worst, Math.abs(g - r) / Math.abs(r));
    }
  }
  const perPair = tts / (TS_SUBSET * TS_SUBSET);
  let cuda: { cudaS: number; cudaWorstRel: number } | undefined;
  if (withCuda && cudaStatus.ok) {
    await nativePairwiseDistances(measure, A, B, undefined, { device: 'cuda' }); // context creation
    let best = Number.POSITIVE_INFINITY;
    let got: Float64Array = new Float64Array(0);
    for (let r = 0; r < 3; r++) {
      const [res, t] = await secondsAsync(() => nativePairwiseDistances(measure, A, B, undefined, { device: 'cuda' }));
      best = Math.min(best, t);
      got = res.data;
    }
    let rel = 0;
    for (let k = 0; k < got.length; k++) {
      const r = one.data[k] as number;
      if (got[k] !== r) rel = Math.max(rel, Math.abs((got[k] as number) - r) / Math.abs(r));
    }
    cuda = { cudaS: best, cudaWorstRel: rel };
    console.log(
      `${measure} ${N}x${N}: cuda ${best.toFixed(3)} s (x${(t1 / best).toFixed(0)} vs native 1 thread), worst rel diff vs native ${rel.toExponential(1)}`,
    );
  }
  const row: PairRow = {
    ...cuda,
    measure,
    pairs: N * N,
    native1s: t1,
    native2s: t2,
    tsPerPairUs: perPair * 1e6,
    tsExtrapolatedS: perPair * N * N,
    speedupVsTs: (perPair * N * N) / t1,
    speedup2vs1: t1 / t2,
    identical1vs2: identical,
    worstRelVsTs: worst,
  };
  pairRows.push(row);
  console.log(
    `${measure} ${N}x${N}: native 1 thread ${t1.toFixed(1)} s, 2 threads ${t2.toFixed(1)} s (x${row.speedup2vs1.toFixed(2)}, identical ${identical}); ` +
      `TS ${row.tsPerPairUs.toFixed(0)} us/pair on ${TS_SUBSET}x${TS_SUBSET} -> ${row.tsExtrapolatedS.toFixed(0)} s extrapolated (native x${row.speedupVsTs.toFixed(1)}); worst rel diff ${worst.toExponential(1)}`,
  );
}

interface ThroughputRow {
  kernel: string;
  points: number;
  native1: number;
  native2: number;
  ts: number;
  identical: boolean;
}
const tpRows: ThroughputRow[] = [];
const points = trips.times.length;
/** Best of three runs, points per second. */
async function rate(f: () => Promise<unknown> | unknown): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await f();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return points / best;
}
const same = (x: unknown, y: unknown) =>
  JSON.stringify(x, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v)) ===
  JSON.stringify(y, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));
const TOL = 10;
const STAY = { distance: 200, duration: 1200 };
for (const [kernel, nat, ref] of [
  [
    `douglas-peucker ${TOL} m`,
    (threads: number) => nativeDouglasPeucker(trips, TOL, undefined, { threads }),
    () => douglasPeucker(trips, TOL),
  ],
  [`td-tr ${TOL} m`, (threads: number) => nativeTdTr(trips, TOL, undefined, { threads }), () => tdTr(trips, TOL)],
  [
    `stay points ${STAY.distance} m / ${STAY.duration} s`,
    (threads: number) => nativeDetectStayPoints(trips, STAY, { threads }),
    () => detectStayPoints(trips, STAY),
  ],
] as const) {
  const identical = same(await nat(1), ref());
  const row: ThroughputRow = {
    kernel,
    points,
    native1: await rate(() => nat(1)),
    native2: await rate(() => nat(2)),
    ts: await rate(ref),
    identical,
  };
  tpRows.push(row);
  console.log(
    `${kernel}: ${points} fixes in ${trips.offsets.length - 1} trips; native ${(row.native1 / 1e6).toFixed(2)} M points/s (1 thread), ${(row.native2 / 1e6).toFixed(2)} M (2 threads); TS ${(row.ts / 1e6).toFixed(2)} M; identical ${identical}`,
  );
}

// Top-k (TS reference): the pruned search (lower bounds, candidates in bound order) against plain
// exhaustive search on the same queries; the answers must be identical.
interface TopKRow {
  measure: string;
  queries: number;
  candidates: number;
  k: number;
  computedShare: number;
  prunedMs: number;
  exhaustiveMs: number;
  identical: boolean;
}
const TOPK_Q = 10;
const TOPK_C = 1000;
const TOPK_K = 10;
const topRows: TopKRow[] = [];
{
  const cands = selectTrajectories(
    windows,
    Array.from({ length: TOPK_C }, (_, i) => 2 * i),
  );
  for (const [measure, opts] of [
    ['dtw', {}],
    ['dtw, band 10', { band: 10 }],
    ['frechet', {}],
    ['hausdorff', {}],
  ] as const) {
    const m = measure.startsWith('dtw') ? 'dtw' : (measure as 'frechet' | 'hausdorff');
    let computed = 0;
    let prunedMs = 0;
    let exhaustiveMs = 0;
    let identical = true;
    for (let qi = 0; qi < TOPK_Q; qi++) {
      const q = coordsOf(windows, 2 * qi + 1);
      let t0 = performance.now();
      const a = topKSimilar(q, cands, TOPK_K, { measure: m, ...opts });
      prunedMs += performance.now() - t0;
      t0 = performance.now();
      const b = topKSimilar(q, cands, TOPK_K, { measure: m, ...opts, prune: false });
      exhaustiveMs += performance.now() - t0;
      computed += a.stats.computed;
      if (
        Array.from(a.indices).join() !== Array.from(b.indices).join() ||
        Array.from(a.distances).join() !== Array.from(b.distances).join()
      )
        identical = false;
    }
    topRows.push({
      measure,
      queries: TOPK_Q,
      candidates: TOPK_C,
      k: TOPK_K,
      computedShare: computed / (TOPK_Q * TOPK_C),
      prunedMs,
      exhaustiveMs,
      identical,
    });
    console.log(
      `top-k ${measure}: computed ${((100 * computed) / (TOPK_Q * TOPK_C)).toFixed(1)} %, ${(exhaustiveMs / prunedMs).toFixed(2)}x faster, identical ${identical}`,
    );
  }
}

const f1 = (v: number) => v.toFixed(1);
const lines = [
  `Machine: ${machine}; load average at start ${loadAtStart.toFixed(1)} (a shared machine: other builds may have run alongside). Backend: native = C++ CPU core (${simd} SIMD), one call with 1 or 2 std::threads over pairs / trajectories; TS = the TypeScript reference (src/kernels/trajectory), one thread.`,
  `Data: the GeoLife sample (users 001 and 005, ../shared/data/traj/geolife_sample) cut into trips at gaps > 300 s, the trips into consecutive windows of 100 fixes (a last window of >= 50 fixes kept): ${count} segments, mean ${meanLen.toFixed(1)} fixes. Pairwise: the first ${N} even-numbered segments against the first ${N} odd-numbered ones (${(cellsPerPair / 1e4).toFixed(2)} x 10^4 DP cells per pair on average), haversine ground distance, full DTW. The TS reference ran on a ${TS_SUBSET} x ${TS_SUBSET} subset and is extrapolated per pair to ${N} x ${N}.`,
  '',
  `| measure | pairs | native 1 thread (s) | native 2 threads (s) | 2 vs 1 | TS per pair (us) | TS extrapolated (s) | native 1 thread vs TS | max rel. diff vs TS |${withCuda ? ' cuda (s) | cuda max rel. diff vs native |' : ''}`,
  `|---|---|---|---|---|---|---|---|---|${withCuda ? '---|---|' : ''}`,
  ...pairRows.map(
    (r) =>
      `| ${r.measure} | ${N} x ${N} | ${f1(r.native1s)} | ${f1(r.native2s)} | x${r.speedup2vs1.toFixed(2)}${r.identical1vs2 ? '' : ' (results differ!)'} | ${r.tsPerPairUs.toFixed(0)} | ${r.tsExtrapolatedS.toFixed(0)} | x${r.speedupVsTs.toFixed(1)} | ${r.worstRelVsTs.toExponential(1)} |` +
      (withCuda
        ? r.cudaS === undefined
          ? ` ${cudaNote} | - |`
          : ` ${r.cudaS.toFixed(3)} | ${(r.cudaWorstRel ?? 0).toExponential(1)} |`
        : ''),
  ),
  '',
  `Simplification and stay points over the ${trips.offsets.length - 1} trips with strictly increasing timestamps (${points} fixes), best of 3 runs:`,
  '',
  '| kernel | native 1 thread (M points/s) | native 2 threads (M points/s) | TS (M points/s) | native vs TS | same output as TS |',
  '|---|---|---|---|---|---|',
  ...tpRows.map(
    (r) =>
      `| ${r.kernel} | ${(r.native1 / 1e6).toFixed(2)} | ${(r.native2 / 1e6).toFixed(2)} | ${(r.ts / 1e6).toFixed(2)} | x${(r.native1 / r.ts).toFixed(1)} | ${r.identical ? 'yes' : 'NO'} |`,
  ),
  '',
  `Top-k most similar (TS reference, haversine): ${TOPK_Q} queries (odd-numbered segments) against ${TOPK_C} candidates (even-numbered), k = ${TOPK_K}; pruned = lower bounds (end points, an LB_Keogh-style envelope for DTW, bounding boxes for Fréchet / Hausdorff), candidates taken in bound order, early abandoning; exhaustive = every distance. Computed = share of candidates whose distance was evaluated in full.`,
  '',
  '| measure | computed | pruned (ms) | exhaustive (ms) | speed-up | same answers |',
  '|---|---|---|---|---|---|',
  ...topRows.map(
    (r) =>
      `| ${r.measure} | ${(100 * r.computedShare).toFixed(1)} % | ${r.prunedMs.toFixed(0)} | ${r.exhaustiveMs.toFixed(0)} | x${(r.exhaustiveMs / r.prunedMs).toFixed(2)} | ${r.identical ? 'yes' : 'NO'} |`,
  ),
  '',
  `Issue 9 targets: native vs TS >= 10x and 2 vs 1 workers >= 1.8x on DTW / Fréchet. CUDA: ${withCuda ? (cudaStatus.ok ? `the cuda column (${cudaStatus.device}; best of 3 after a warm-up call, host-device copies included)` : cudaNote) : 'not run (pass --cuda; bench/trajectory-cuda.bench.ts times it alone)'}. Peers (dynamic-time-warping, curve-matcher, SciPy; tslearn / traj-dist cannot be installed here): the next section, from bench/trajectory-peers.bench.ts.`,
];
writeResultsFile(
  'trajectory.json',
  `${JSON.stringify({ date: new Date().toISOString(), machine, loadAtStart, simd, segments: count, meanLen, pairs: pairRows, throughput: tpRows, topK: topRows }, null, 2)}\n`,
);
writeResultsSection('trajectory', 'trajectory (npm run bench:trajectory)', lines.join('\n'));
console.log(lines.join('\n'));
