import { cpus, totalmem } from 'node:os';
import { Bench } from 'tinybench';
import { createEngine, type Engine } from '../src/index.js';
import { loadAddon } from '../src/native/addon.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';

const quick = process.env.BENCH_QUICK === '1';
const SIZES = quick ? [200, 500, 1000] : [500, 2000, 4000];
const TARGET_SPEEDUP_SIZE = quick ? 500 : 2000;
const SCALING_SIZE = quick ? 1000 : 4000;

function points(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const a = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    a[2 * i] = rnd() * 180 - 90;
    a[2 * i + 1] = rnd() * 360 - 180;
  }
  return a;
}

interface Row {
  kernel: string;
  size: string;
  backend: string;
  workers: number;
  mode?: string;
  medianMs: number;
  meanMs: number;
  samples: number;
  mpairsPerS: number;
}

const engines: Record<string, Engine> = {
  w0: createEngine({ workers: 0 }),
  w1: createEngine({ workers: 1, poolMinPairs: 1 }),
  w2: createEngine({ workers: 2, poolMinPairs: 1 }),
};
const status = new Map((engines.w0 as Engine).backends().map((b) => [b.name, b]));
const has = (name: string) => status.get(name as never)?.available === true;
const gpujsMode = status.get('gpujs')?.mode ?? 'n/a';
const gpujsIsGpu = ['gpu', 'webgl', 'webgl2', 'headlessgl'].includes(gpujsMode);

const rows: Row[] = [];
for (const size of SIZES) {
  const o = points(size, 1);
  const d = points(size, 2);
  const pairs = size * size;
  const slow = pairs >= 4e6;
  const bench = new Bench({
    time: quick ? 200 : slow ? 2500 : 1500,
    iterations: quick ? 3 : 5,
    warmup: true,
    warmupIterations: 1,
    warmupTime: 0,
  });
  // Outputs are allocated once per size and reused (on a SharedArrayBuffer so the pool can
  // split): the figures are kernel + dispatch throughput. 'fresh' rows allocate per call.
  const sharedOut = new Float64Array(new SharedArrayBuffer(pairs * 8));
  const cases: Array<{
    label: string;
    backend: string;
    engine: Engine;
    workers: number;
    kernel: 'haversineMatrix' | 'kNearest';
    fresh?: boolean;
  }> = [
    { label: 'js w1', backend: 'js', engine: engines.w1 as Engine, workers: 1, kernel: 'haversineMatrix' },
    { label: 'js w2', backend: 'js', engine: engines.w2 as Engine, workers: 2, kernel: 'haversineMatrix' },
  ];
  if (has('native')) {
    cases.push(
      { label: 'native w1', backend: 'native', engine: engines.w1 as Engine, workers: 1, kernel: 'haversineMatrix' },
      { label: 'native w2', backend: 'native', engine: engines.w2 as Engine, workers: 2, kernel: 'haversineMatrix' },
      { label: 'native w0 (calling thread)', backend: 'native', engine: engines.w0 as Engine, workers: 0, kernel: 'haversineMatrix' },
      { label: 'native kNearest k=16 w2', backend: 'native', engine: engines.w2 as Engine, workers: 2, kernel: 'kNearest' },
      {
        label: 'native w2 fresh output',
        backend: 'native',
        engine: engines.w2 as Engine,
        workers: 2,
        kernel: 'haversineMatrix',
        fresh: true,
      },
    );
  }
  if (has('cuda')) {
    cases.push(
      { label: 'cuda', backend: 'cuda', engine: engines.w0 as Engine, workers: 0, kernel: 'haversineMatrix' },
      { label: 'cuda kNearest k=16', backend: 'cuda', engine: engines.w0 as Engine, workers: 0, kernel: 'kNearest' },
    );
  }
  // gpu.js in CPU/wasm mode is only measured at the smallest size (it is not a GPU path then).
  if (has('gpujs') && (gpujsIsGpu || size === SIZES[0])) {
    cases.push({ label: `gpujs (${gpujsMode})`, backend: 'gpujs', engine: engines.w0 as Engine, workers: 0, kernel: 'haversineMatrix' });
  }
  for (const c of cases) {
    bench.add(`${c.label} ${size}x${size}`, async () => {
      const r =
        c.kernel === 'kNearest'
          ? await c.engine.kernels.geo.kNearest(o, d, 16, { backend: c.backend as never })
          : await c.engine.kernels.geo.haversineMatrix(
              o,
              d,
              c.fresh ? { backend: c.backend as never } : { backend: c.backend as never, out: sharedOut },
            );
      if (r.backend !== c.backend) throw new Error(`ran on ${r.backend}, expected ${c.backend}`);
    });
  }
  await bench.run();
  bench.tasks.forEach((task, i) => {
    const c = cases[i];
    const res = task.result as unknown as {
      state: string;
      latency?: { p50: number; mean: number; samplesCount?: number; samples?: number[] };
      error?: Error;
    };
    if (!c || !res.latency) {
      console.error(`${task.name}: ${res.state} ${res.error?.message ?? ''}`);
      return;
    }
    const row: Row = {
      kernel: c.kernel === 'kNearest' ? 'kNearest(k=16)' : c.fresh ? 'haversineMatrix (fresh output)' : 'haversineMatrix',
      size: `${size}x${size}`,
      backend: c.backend,
      workers: c.workers,
      medianMs: res.latency.p50,
      meanMs: res.latency.mean,
      samples: res.latency.samplesCount ?? res.latency.samples?.length ?? 0,
      mpairsPerS: pairs / (res.latency.p50 * 1e3),
    };
    if (c.backend === 'gpujs') row.mode = gpujsMode;
    rows.push(row);
    console.log(
      `${task.name.padEnd(40)} median ${row.medianMs.toFixed(2).padStart(9)} ms  ${row.mpairsPerS.toFixed(1).padStart(8)} Mpairs/s`,
    );
  });
}

const find = (backend: string, workers: number, size: number) =>
  rows.find((r) => r.kernel === 'haversineMatrix' && r.backend === backend && r.workers === workers && r.size === `${size}x${size}`);
const js1 = find('js', 1, TARGET_SPEEDUP_SIZE);
const n1 = find('native', 1, TARGET_SPEEDUP_SIZE);
const n1s = find('native', 1, SCALING_SIZE);
const n2s = find('native', 2, SCALING_SIZE);
const speedup = js1 && n1 ? js1.medianMs / n1.medianMs : Number.NaN;
const scaling = n1s && n2s ? n1s.medianMs / n2s.medianMs : Number.NaN;

const addon = loadAddon();
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = {
  cpu,
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  simd: addon.ok ? addon.addon.info().simd : 'addon not built',
  cuda: status.get('cuda')?.available ? String(status.get('cuda')?.details?.device) : `none (${status.get('cuda')?.reason})`,
  gpujs: status.get('gpujs')?.available ? `mode ${gpujsMode}` : `unavailable (${status.get('gpujs')?.reason})`,
  date: new Date().toISOString().slice(0, 10),
  quick,
};
const targets = {
  nativeOverJs1Worker: { size: `${TARGET_SPEEDUP_SIZE}x${TARGET_SPEEDUP_SIZE}`, ratio: speedup, target: 5, met: speedup >= 5 },
  twoWorkersOverOne: { size: `${SCALING_SIZE}x${SCALING_SIZE}`, ratio: scaling, target: 1.7, met: scaling >= 1.7 },
};
console.log(`\nnative w1 / js w1 at ${targets.nativeOverJs1Worker.size}: ${speedup.toFixed(2)}x (target >= 5)`);
console.log(`native w2 / native w1 at ${targets.twoWorkersOverOne.size}: ${scaling.toFixed(2)}x (target >= 1.7)`);

for (const e of Object.values(engines)) await e.close();

if (!quick) {
  writeResultsFile('geo.json', `${JSON.stringify({ machine, targets, rows }, null, 2)}\n`);
  const table = [
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, native SIMD: ${machine.simd}; CUDA: ${machine.cuda}; gpu.js: ${machine.gpujs}. Date ${machine.date}.`,
    'Inputs: synthetic uniform random points on the sphere (seeded). Times are medians of tinybench samples of one full call (validation, dispatch, compute) into a reused output buffer (`out` option, on a SharedArrayBuffer); "fresh output" rows allocate a new output per call, which adds page faults of the new memory; kNearest allocates its (small) outputs per call. `workers` is the pool size (0 = calling thread).',
    '',
    '| kernel | size | backend | workers | median ms | Mpairs/s |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.kernel} | ${r.size} | ${r.backend}${r.mode ? ` (${r.mode})` : ''} | ${r.workers} | ${r.medianMs.toFixed(2)} | ${r.mpairsPerS.toFixed(1)} |`,
    ),
    '',
    `Targets, same run: native 1 worker / js 1 worker at ${targets.nativeOverJs1Worker.size} = **${speedup.toFixed(2)}x** (target >= 5: ${targets.nativeOverJs1Worker.met ? 'met' : 'NOT met'}); native 2 workers / 1 worker at ${targets.twoWorkersOverOne.size} = **${scaling.toFixed(2)}x** (target >= 1.7: ${targets.twoWorkersOverOne.met ? 'met' : 'NOT met'}).`,
  ].join('\n');
  writeResultsSection('geo', 'geo (npm run bench)', table);
  console.log('wrote bench/results/geo.json and bench/RESULTS.md');
}
