import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { GbdtOptions, GbdtTrainResult } from '../src/kernels/ml/gbdt.js';
import {
  nativeGbdtCudaStatus,
  nativeGbdtCudaTrainStatus,
  nativeGbdtPredict,
  nativeGbdtStatus,
  nativeTrainGbdt,
} from '../src/kernels/ml/native.js';
import { makeSyntheticTabular, type SyntheticTask } from '../src/kernels/ml/synthetic.js';
import { writeResultsFile, writeResultsSection } from './results-md.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    'train-rows': { type: 'string' },
    trees: { type: 'string' },
    'train-trees': { type: 'string' },
    threads: { type: 'string' },
    parts: { type: 'string' },
    tasks: { type: 'string' },
    write: { type: 'boolean' },
  },
});
const ROWS = Number(values.rows ?? 1_000_000);
const TRAIN_ROWS = Math.min(ROWS, Number(values['train-rows'] ?? 100_000));
const TREES = Number(values.trees ?? 100);
const THREADS = Number(values.threads ?? 2);
const CORES = availableParallelism();
const TASKS = (values.tasks ?? 'l2,logistic').split(',');
const TRAIN_TREES = Number(values['train-trees'] ?? 50);
const PARTS = (values.parts ?? 'predict,train').split(',');
for (const part of PARTS) if (part !== 'predict' && part !== 'train') throw new Error(`unknown part ${part} (predict, train)`);
const TASK_OF: Record<string, { task: SyntheticTask; objective: GbdtOptions['objective'] }> = {
  l2: { task: 'regression', objective: 'l2' },
  logistic: { task: 'binary', objective: 'logistic' },
  poisson: { task: 'poisson', objective: 'poisson' },
};

const native = nativeGbdtStatus();
if (!native.ok) {
  console.error(`native GBDT unavailable: ${native.reason}`);
  process.exit(1);
}
const cuda = nativeGbdtCudaStatus();
const cudaTrain = nativeGbdtCudaTrainStatus();
if (!cuda.ok || !cudaTrain.ok) {
  if (PARTS.includes('predict'))
    console.log(`CUDA GBDT prediction: not measured: ${cuda.ok ? 'measured with training only' : cuda.reason}`);
  if (PARTS.includes('train')) console.log(`CUDA GBDT training: not measured: ${cudaTrain.ok ? 'no CUDA prediction' : cudaTrain.reason}`);
  process.exit(0);
}

interface Row {
  task: string;
  rows: number;
  features: number;
  trees: number;
  cudaS: number;
  cudaFirstS: number;
  nativeS: number;
  nativeAllS: number;
  speedup: number;
  differing: number;
}
const rows: Row[] = [];

interface TrainRow {
  task: string;
  rows: number;
  features: number;
  trees: number;
  cudaS: number;
  nativeS: number;
  speedup: number;
  differingTrees: number;
}
const trainRows: TrainRow[] = [];

/** Trees of a that are not bit-identical to b's (a different tree count counts the missing ones). */
function differingTrees(a: GbdtTrainResult, b: GbdtTrainResult): number {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, k) => Object.is(v, y[k]));
  const ta = a.model.trees;
  const tb = b.model.trees;
  let n = Math.abs(ta.length - tb.length);
  for (let t = 0; t < Math.min(ta.length, tb.length); t++) {
    const x = ta[t];
    const y = tb[t];
    if (!x || !y) continue;
    const cats =
      x.catLeft.length === y.catLeft.length &&
      x.catLeft.every((c, i) => (c === null ? y.catLeft[i] === null : same(c, y.catLeft[i] ?? [])));
    if (
      !cats ||
      !same(x.splitFeature, y.splitFeature) ||
      !same(x.threshold, y.threshold) ||
      !same(x.defaultLeft, y.defaultLeft) ||
      !same(x.leftChild, y.leftChild) ||
      !same(x.splitGain, y.splitGain) ||
      !same(x.leafValue, y.leafValue)
    )
      n++;
  }
  return n;
}

async function best(times: number, fn: () => Promise<Float64Array>): Promise<{ s: number; out: Float64Array }> {
  let s = Number.POSITIVE_INFINITY;
  let out: Float64Array = new Float64Array(0);
  for (let r = 0; r < times; r++) {
    const t0 = performance.now();
    out = await fn();
    s = Math.min(s, (performance.now() - t0) / 1000);
  }
  return { s, out };
}

for (const name of TASKS) {
  const spec = TASK_OF[name];
  if (!spec) throw new Error(`unknown task ${name} (l2, logistic, poisson)`);
  const data = makeSyntheticTabular({
    rows: ROWS,
    task: spec.task,
    numericFeatures: 45,
    categoricalFeatures: 5,
    categories: 10,
    missingRate: 0.05,
    noise: 1,
    seed: 42,
  });
  const p = data.numFeatures;
  if (PARTS.includes('predict')) {
    const train = {
      features: data.features.subarray(0, TRAIN_ROWS * p),
      labels: data.labels.subarray(0, TRAIN_ROWS),
      numFeatures: p,
    };
    let t0 = performance.now();
    const { model } = await nativeTrainGbdt(train, {
      objective: spec.objective,
      numIterations: TREES,
      learningRate: 0.1,
      maxLeaves: 31,
      maxBins: 255,
      minDataInLeaf: 20,
      categoricalFeatures: data.categoricalFeatures,
      threads: CORES,
    });
    console.log(`${name}: trained ${model.trees.length} trees on ${TRAIN_ROWS} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    await nativeGbdtPredict(model, data.features, p, { device: 'cuda' });
    const cudaFirstS = (performance.now() - t0) / 1000;
    const gpu = await best(3, () => nativeGbdtPredict(model, data.features, p, { device: 'cuda' }));
    const cpu = await best(2, () => nativeGbdtPredict(model, data.features, p, { threads: THREADS }));
    const all = await best(1, () => nativeGbdtPredict(model, data.features, p, { threads: CORES }));
    let differing = 0;
    for (let k = 0; k < ROWS; k++) if (!Object.is(gpu.out[k], cpu.out[k])) differing++;
    const row: Row = {
      task: name,
      rows: ROWS,
      features: p,
      trees: model.trees.length,
      cudaS: gpu.s,
      cudaFirstS,
      nativeS: cpu.s,
      nativeAllS: all.s,
      speedup: cpu.s / gpu.s,
      differing,
    };
    rows.push(row);
    console.log(
      `${name} ${ROWS} x ${p}, ${row.trees} trees: cuda ${(gpu.s * 1000).toFixed(1)} ms (${(ROWS / gpu.s / 1e6).toFixed(1)} M rows/s; first call ${(cudaFirstS * 1000).toFixed(0)} ms), native ${THREADS} threads ${(cpu.s * 1000).toFixed(0)} ms (${(ROWS / cpu.s / 1e6).toFixed(2)} M rows/s), native ${CORES} threads ${(all.s * 1000).toFixed(0)} ms; x${row.speedup.toFixed(1)} vs ${THREADS} threads; ${differing} of ${ROWS} not bit-identical`,
    );
  }
  if (PARTS.includes('train')) {
    const options = {
      objective: spec.objective,
      numIterations: TRAIN_TREES,
      learningRate: 0.1,
      maxLeaves: 31,
      maxBins: 255,
      minDataInLeaf: 20,
      categoricalFeatures: data.categoricalFeatures,
      threads: THREADS,
    };
    const full = { features: data.features, labels: data.labels, numFeatures: p };
    const small = { features: data.features.subarray(0, 2000 * p), labels: data.labels.subarray(0, 2000), numFeatures: p };
    await nativeTrainGbdt(small, { ...options, numIterations: 1, device: 'cuda' });
    let t = performance.now();
    const cpuModel = await nativeTrainGbdt(full, options);
    const nativeS = (performance.now() - t) / 1000;
    t = performance.now();
    const gpuModel = await nativeTrainGbdt(full, { ...options, device: 'cuda' });
    const cudaS = (performance.now() - t) / 1000;
    const row: TrainRow = {
      task: name,
      rows: ROWS,
      features: p,
      trees: cpuModel.model.trees.length,
      cudaS,
      nativeS,
      speedup: nativeS / cudaS,
      differingTrees: differingTrees(gpuModel, cpuModel),
    };
    trainRows.push(row);
    console.log(
      `${name} training ${ROWS} x ${p}, ${row.trees} trees: cuda ${cudaS.toFixed(2)} s, native ${THREADS} threads ${nativeS.toFixed(2)} s; x${row.speedup.toFixed(1)}; ${row.differingTrees} trees not bit-identical`,
    );
  }
}

const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${cuda.device}, Node ${process.version}`;
const lines = [
  `Machine: ${machine}. CUDA: native/src/cuda/ml/gbdt_predict.cu, one thread per row, float64, best of 3 calls after a warm-up (times include copying the features to the device, the forest upload and copying the predictions back); native: the C++ CPU prediction, best of 2 calls on ${THREADS} threads, one call on ${CORES}. Data: synthetic (src/kernels/ml/synthetic.ts, seed 42), 45 numeric + 5 categorical columns, 5 % missing; models of 31 leaves trained natively on the first ${TRAIN_ROWS} rows; predictions on the response scale.`,
  '',
  `| task | rows x features | trees | cuda (ms) | cuda M rows/s | cuda first call (ms) | native ${THREADS} thr (ms) | native ${THREADS} thr M rows/s | native ${CORES} thr (ms) | cuda vs native ${THREADS} thr | not bit-identical |`,
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.task} | ${r.rows} x ${r.features} | ${r.trees} | ${(r.cudaS * 1000).toFixed(1)} | ${(r.rows / r.cudaS / 1e6).toFixed(1)} | ${(r.cudaFirstS * 1000).toFixed(0)} | ${(r.nativeS * 1000).toFixed(0)} | ${(r.rows / r.nativeS / 1e6).toFixed(2)} | ${(r.nativeAllS * 1000).toFixed(0)} | x${r.speedup.toFixed(1)} | ${r.differing} |`,
  ),
];
const trainLines = [
  `Machine: ${machine}. Training ${TRAIN_TREES} trees (31 leaves, learning rate 0.1, 255 bins, gradient rounding on) on all rows, one run each: native: the C++ CPU training on ${THREADS} threads; cuda: the same with the histograms of large leaves on the device (native/src/cuda/ml/gbdt_hist.cu; partitions, splits and scores on the same ${THREADS} threads), after a small CUDA training that created the context. Data as above.`,
  '',
  `| task | rows x features | trees | cuda (s) | native ${THREADS} thr (s) | cuda vs native ${THREADS} thr | trees not bit-identical |`,
  '|---|---|---|---|---|---|---|',
  ...trainRows.map(
    (r) =>
      `| ${r.task} | ${r.rows} x ${r.features} | ${r.trees} | ${r.cudaS.toFixed(2)} | ${r.nativeS.toFixed(2)} | x${r.speedup.toFixed(1)} | ${r.differingTrees} |`,
  ),
];
if (rows.length > 0) console.log(lines.join('\n'));
if (trainRows.length > 0) console.log(trainLines.join('\n'));
if (values.write) {
  writeResultsFile(
    'ml-cuda.json',
    `${JSON.stringify({ date: new Date().toISOString(), machine, threads: THREADS, trainRows: TRAIN_ROWS, rows, training: trainRows }, null, 2)}\n`,
  );
  if (rows.length > 0) writeResultsSection('ml-cuda', 'GBDT prediction on CUDA (npx tsx bench/ml-cuda.bench.ts)', lines.join('\n'));
  if (trainRows.length > 0)
    writeResultsSection('ml-cuda-train', 'GBDT training on CUDA (npx tsx bench/ml-cuda.bench.ts --parts train)', trainLines.join('\n'));
}
