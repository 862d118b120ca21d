/**
 * GBDT benchmark, TypeScript reference vs the C++ CPU port (src/kernels/ml/native.ts):
 * training time (1 native thread, and every thread count up to the machine's cores), validation
 * loss, prediction rows/s, and whether the native model is byte-identical to the reference's.
 *
 * Data: the seeded synthetic generator of src/kernels/ml/synthetic.ts, as bench/ml.bench.ts uses
 * it: makeSyntheticTabular({ rows, task, numericFeatures: 45, categoricalFeatures: 5,
 * categories: 10, missingRate: 0.05, noise: 1, seed: 42 }); the first 80 % of the rows train, the
 * last 20 % validate. Settings: 100 rounds, 31 leaves, learning rate 0.1, 255 bins, min 20 rows
 * a leaf, lambda 0, no sampling, no early stopping (the validation set only reports its loss).
 *
 * The TS reference runs only up to --ts-max-rows (default 100000): at 1e6 rows it takes minutes a
 * model (see bench/ml.bench.ts), so the 1e6 rows are native only unless asked for.
 *
 * Options: --rows 100000,1000000  --tasks l2,quantile,logistic  --rounds 100  --threads 1,2
 * --ts-max-rows 100000. Prints a markdown table; writes nothing (bench/RESULTS.md is merged by hand).
 *
 *   WAYBILL_ADDON=/path/to/waybill.node npx tsx bench/ml-native.bench.ts
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type GbdtOptions, gbdtPredict, trainGbdt } from '../src/kernels/ml/gbdt.js';
import { saveGbdtModel } from '../src/kernels/ml/gbdt-json.js';
import { logLoss, pinballLoss, rmse } from '../src/kernels/ml/metrics.js';
import { nativeGbdtPredictSync, nativeGbdtStatus, nativeTrainGbdtSync } from '../src/kernels/ml/native.js';
import { makeSyntheticTabular, type SyntheticTask, splitRows } from '../src/kernels/ml/synthetic.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    tasks: { type: 'string' },
    rounds: { type: 'string' },
    threads: { type: 'string' },
    'ts-max-rows': { type: 'string' },
  },
});
const ROW_SETS = (values.rows ?? '100000,1000000').split(',').map(Number);
const TASKS = (values.tasks ?? 'l2').split(',');
const ROUNDS = Number(values.rounds ?? 100);
const CORES = cpus().length;
const THREADS = (values.threads ?? [...new Set([1, CORES])].join(',')).split(',').map(Number);
const TS_MAX_ROWS = Number(values['ts-max-rows'] ?? 100000);
const ALPHA = 0.9;
const SETTINGS: GbdtOptions = { numIterations: ROUNDS, learningRate: 0.1, maxLeaves: 31, maxBins: 255, minDataInLeaf: 20, lambdaL2: 0 };

const TASK_OF: Record<string, { task: SyntheticTask; objective: GbdtOptions['objective']; loss: string }> = {
  l2: { task: 'regression', objective: 'l2', loss: 'MSE' },
  quantile: { task: 'quantile', objective: { name: 'quantile', alpha: ALPHA }, loss: `pinball ${ALPHA}` },
  logistic: { task: 'binary', objective: 'logistic', loss: 'log loss' },
};

function lossOf(task: string, y: Float64Array, f: Float64Array): number {
  if (task === 'l2') return rmse(y, f) ** 2;
  if (task === 'quantile') return pinballLoss(y, f, ALPHA);
  return logLoss(y, f);
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

const status = nativeGbdtStatus();
if (!status.ok) {
  console.error(`native GBDT unavailable: ${status.reason}`);
  process.exit(1);
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${CORES} cores, Node ${process.version}`;
console.log(
  `machine: ${machine}; load average at start ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}; addon ${status.path}`,
);

interface Row {
  task: string;
  rows: number;
  backend: string;
  threads: number;
  trainSeconds: number;
  /** CPU time of this process while training (user + system): steadier than wall time on a busy machine. */
  trainCpuSeconds: number;
  validLoss: number;
  predictRowsPerSec: number;
  note: string;
}
const table: Row[] = [];

for (const n of ROW_SETS) {
  for (const name of TASKS) {
    const spec = TASK_OF[name];
    if (!spec) throw new Error(`unknown task ${name}: use l2, quantile, logistic`);
    const data = makeSyntheticTabular({
      rows: n,
      task: spec.task,
      numericFeatures: 45,
      categoricalFeatures: 5,
      categories: 10,
      missingRate: 0.05,
      noise: 1,
      seed: 42,
    });
    const [train, valid] = splitRows(data, Math.floor(n * 0.8));
    const options: GbdtOptions = { ...SETTINGS, objective: spec.objective, categoricalFeatures: data.categoricalFeatures };
    const p = data.numFeatures;
    let reference: string | undefined;
    if (n <= TS_MAX_ROWS) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const ts = trainGbdt(train, options);
      const trainSeconds = (performance.now() - t0) / 1000;
      const trainCpuSeconds = cpuSeconds(cpu0);
      const t1 = performance.now();
      const pred = gbdtPredict(ts.model, valid.features, p);
      const predictRowsPerSec = valid.labels.length / ((performance.now() - t1) / 1000);
      reference = saveGbdtModel(ts.model);
      table.push({
        task: name,
        rows: n,
        backend: 'TS reference',
        threads: 1,
        trainSeconds,
        trainCpuSeconds,
        validLoss: lossOf(name, valid.labels, pred),
        predictRowsPerSec,
        note: '',
      });
      console.log(`${name} ${n}: TS ${trainSeconds.toFixed(2)} s`);
    }
    for (const threads of THREADS) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const nat = nativeTrainGbdtSync(train, { ...options, threads });
      const trainSeconds = (performance.now() - t0) / 1000;
      const trainCpuSeconds = cpuSeconds(cpu0);
      const t1 = performance.now();
      const pred = nativeGbdtPredictSync(nat.model, valid.features, p, { threads });
      const predictRowsPerSec = valid.labels.length / ((performance.now() - t1) / 1000);
      const note =
        reference === undefined ? 'TS not run' : saveGbdtModel(nat.model) === reference ? 'model identical to TS' : 'MODEL DIFFERS';
      table.push({
        task: name,
        rows: n,
        backend: 'C++ CPU',
        threads,
        trainSeconds,
        trainCpuSeconds,
        validLoss: lossOf(name, valid.labels, pred),
        predictRowsPerSec,
        note,
      });
      console.log(`${name} ${n}: native x${threads} ${trainSeconds.toFixed(2)} s (${note})`);
    }
  }
}

console.log(`\n### GBDT: TS reference vs C++ CPU (${machine})\n`);
console.log(
  `${ROUNDS} rounds, 31 leaves, lr 0.1, 255 bins, min 20 rows a leaf; synthetic 45 numeric + 5 categorical columns, 5 % missing, seed 42; 80/20 split.\n`,
);
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} (wall times on a loaded machine are noisy; CPU s is steadier)\n`,
);
console.log(
  '| task | rows | backend | threads | train s (wall) | train CPU s | speed-up vs TS (wall) | valid loss | predict rows/s | note |',
);
console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of table) {
  const ts = table.find((x) => x.task === r.task && x.rows === r.rows && x.backend === 'TS reference');
  const speedup = ts && r !== ts ? `${(ts.trainSeconds / r.trainSeconds).toFixed(1)}x` : '';
  console.log(
    `| ${r.task} | ${r.rows.toLocaleString('en-US')} | ${r.backend} | ${r.threads} | ${r.trainSeconds.toFixed(2)} | ${r.trainCpuSeconds.toFixed(2)} | ${speedup} | ${r.validLoss.toFixed(5)} | ${Math.round(r.predictRowsPerSec).toLocaleString('en-US')} | ${r.note} |`,
  );
}
