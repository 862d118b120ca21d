/**
 * ML benchmark on real data (npm run bench:ml, after bench/ml.bench.ts): our GBDT against XGBoost
 * on the shared real tables of bench/ml-real-data.ts, with the same settings on both sides.
 *
 * Tasks (seeded random 80/20 splits, mulberry32 seed 42, see seededSplit):
 * - Hillstrom e-mail test, 64,000 customers, 9 features (4 categorical): visit (logistic: log
 *   loss, AUC), conversion (logistic; 0.9 % positives) and spend (L2; 99.1 % zeros).
 * - LaDe-P pickups, 6,190 tasks, 10 features known at acceptance (4 categorical): ln(1 + accept-to-
 *   pickup minutes) (L2) and the minutes themselves at quantile 0.9 (pinball, coverage; XGBoost
 *   >= 2.0 only: 1.7 has no quantile objective); the L2 and quantile tasks once more with
 *   region_id and courier as numeric codes instead of categoricals, to isolate the categorical
 *   split handling.
 *
 * Settings: 100 rounds, 31 leaves grown leaf-wise, learning rate 0.1, 255 bins, lambda 0, no
 * sampling, no early stopping. The leaf-size limit is the same constraint on both sides: a minimum
 * hessian sum per leaf (ours minSumHessianInLeaf with minDataInLeaf 1, XGBoost min_child_weight):
 * 20 for L2 and quantile (hessian 1 a row: 20 rows), 1 for logistic (XGBoost's default). XGBoost:
 * `hist`, lossguide, max_depth 0, max_cat_to_onehot 1 (native partition splits), base_score =
 * the training mean, base rate or alpha-quantile (our initial score; 1.7 does not estimate it). Ours: the C++ core when the
 * addon has the GBDT kernels (2 threads, then 1), else the TypeScript reference (one thread).
 *
 * Times are the best of 5 runs after one untimed warm-up run (the machine is shared: the fastest run
 * is the one least disturbed; every run is kept in the JSON). Train time includes binning on both sides (XGBoost gets a fresh
 * DMatrix per run, built outside the timer, so its quantile sketch is timed). Prediction: the
 * validation rows tiled to >= 200,000 rows, 2 threads, best of 5.
 *
 * Options: --repeats N (5), --section KEY. Writes bench/results/ml-real.json and the "ml-real"
 * section of bench/RESULTS.md; with --section KEY (say, a run against another XGBoost on
 * PYTHONPATH), bench/results/KEY.json and section KEY.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { type GbdtModel, type GbdtOptions, gbdtContributions, gbdtPredict, trainGbdt } from '../src/kernels/ml/gbdt.js';
import { coverage, logLoss, pinballLoss, rmse, rocAuc } from '../src/kernels/ml/metrics.js';
import { nativeGbdtContributions, nativeGbdtPredictSync, nativeGbdtStatus, nativeTrainGbdtSync } from '../src/kernels/ml/native.js';
import { defaultDataDir } from '../src/paths.js';
import { loadHillstromTable, loadLadeTable, type RealTable, seededFolds, seededSplit, takeRows } from './ml-real-data.js';
import { sectionKey, writeResultsFile, writeResultsSection } from './results-md.js';
import { PYTHON, xgbMajor, xgbOrigin, xgbVersion } from './xgboost-probe.js';

const { values } = parseArgs({ options: { repeats: { type: 'string' }, folds: { type: 'string' }, section: { type: 'string' } } });
const SECTION = sectionKey(values.section, 'ml-real');
const REPEATS = Number(values.repeats ?? 5);
const FOLDS = Number(values.folds ?? 5);
if (!Number.isInteger(REPEATS) || REPEATS < 1) throw new Error(`--repeats must be an integer >= 1, got ${values.repeats}`);
if (!Number.isInteger(FOLDS) || FOLDS < 2) throw new Error(`--folds must be an integer >= 2, got ${values.folds}`);
const SEED = 42;
const TRAIN_SHARE = 0.8;
const ROUNDS = 100;
const ALPHA = 0.9;
const PREDICT_ROWS = 200_000;
/** Rows of the contributions timing (the first of the tiled validation rows). */
const CONTRIB_ROWS = 5_000;
const SETTINGS = { numIterations: ROUNDS, learningRate: 0.1, maxLeaves: 31, maxBins: 255, lambdaL2: 0, minDataInLeaf: 1 } as const;
const loadAtStart = loadavg();
const startedAt = performance.now();

type Kind = 'l2' | 'logistic' | 'quantile';

interface Task {
  id: string;
  data: string;
  target: string;
  kind: Kind;
  /** Minimum hessian sum a leaf (both sides). */
  minHessian: number;
  table: RealTable;
  labels: Float64Array;
  /** Our options beyond the shared settings (none: our defaults). */
  ours?: Partial<GbdtOptions>;
  /** XGBoost's objective, its extra parameters and the first major version that has it. */
  xgb: { objective: string; extra?: Record<string, unknown>; sinceMajor?: number } | { none: string };
}

interface Side {
  trainSeconds: number;
  train1Seconds: number;
  validLoss: number;
  auc?: number;
  coverage?: number;
  predictRowsPerSec: number;
  /** Contributions rows/s, 2 threads (XGBoost: approx_contribs for Saabas, pred_contribs for TreeSHAP). */
  contribRowsPerSec?: { saabas: number; treeshap: number };
}

interface Result {
  task: string;
  data: string;
  target: string;
  objective: string;
  loss: string;
  trainRows: number;
  validRows: number;
  minChildWeight: number;
  /** Loss of the constant initial score (training mean, rate or 0.9-quantile) on the validation rows. */
  constantLoss: number;
  ours: Side & { backend: 'native' | 'js'; trainCpuSeconds: number };
  /** Every timed run (seconds): ours and XGBoost, 2 and 1 threads, and prediction of the tiled rows. */
  seconds: Record<string, number[]>;
  xgboost: Side | { error: string } | { none: string };
  /** k-fold cross-validation (seededFolds): each fold's validation loss, ours and XGBoost's. */
  cv?: { folds: number; ours: number[]; xgboost?: number[] };
}

const LOSS_NAME: Record<Kind, string> = { l2: 'MSE', logistic: 'log loss', quantile: `pinball ${ALPHA}` };

function lossOf(kind: Kind, y: Float64Array, f: Float64Array): number {
  if (kind === 'l2') return rmse(y, f) ** 2;
  if (kind === 'quantile') return pinballLoss(y, f, ALPHA);
  return logLoss(y, f);
}

function objectiveOf(kind: Kind): GbdtOptions['objective'] {
  return kind === 'quantile' ? { name: 'quantile', alpha: ALPHA } : kind;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function best(xs: number[]): number {
  return Math.min(...xs);
}

/** Mean of the training labels (L2 / logistic), or their alpha-quantile (lower order statistic). */
function constantOf(kind: Kind, y: Float64Array): number {
  if (kind !== 'quantile') return y.reduce((s, v) => s + v, 0) / y.length;
  const s = Float64Array.from(y).sort();
  return s[Math.min(s.length - 1, Math.floor(ALPHA * s.length))] as number;
}

function tile(features: Float64Array, times: number): Float64Array {
  const out = new Float64Array(features.length * times);
  for (let k = 0; k < times; k++) out.set(features, k * features.length);
  return out;
}

/**
 * Our categorical options closest to XGBoost's partition splits at min_child_weight `minHessian`:
 * no smoothing (XGBoost sorts by G / H) and no extra lambda, at most 64 categories on a side
 * (max_cat_threshold), partitions from 2 categories (max_cat_to_onehot 1), and a minimum group of
 * `minHessian` rows: XGBoost's CalcWeight gives a category lighter than min_child_weight weight 0,
 * which sorts it between the categories of negative and of positive weight, where the scans from
 * both ends (at most 64 steps each) reach it last (a hessian
 * sum against our row count: the same for the unit hessians of L2 and quantile, the tasks here).
 */
function xgbLikeCategorical(minHessian: number): Partial<GbdtOptions> {
  return { minDataPerGroup: minHessian, catSmooth: 0, catL2: 0, maxCatThreshold: 64, maxCatToOnehot: 1 };
}

const dataDir = defaultDataDir();
const hillstrom = loadHillstromTable(dataDir);
const lade = loadLadeTable(dataDir);
const ladeLog = lade.minutes.map((m) => Math.log1p(m));
const tasks: Task[] = [
  {
    id: 'hillstrom-visit',
    data: 'Hillstrom',
    target: 'visit',
    kind: 'logistic',
    minHessian: 1,
    table: hillstrom,
    labels: hillstrom.visit,
    xgb: { objective: 'binary:logistic' },
  },
  {
    id: 'hillstrom-conversion',
    data: 'Hillstrom',
    target: 'conversion (0.9 % positive)',
    kind: 'logistic',
    minHessian: 1,
    table: hillstrom,
    labels: hillstrom.conversion,
    xgb: { objective: 'binary:logistic' },
  },
  {
    id: 'hillstrom-spend',
    data: 'Hillstrom',
    target: 'spend, $ (99.1 % zeros)',
    kind: 'l2',
    minHessian: 20,
    table: hillstrom,
    labels: hillstrom.spend,
    xgb: { objective: 'reg:squarederror' },
  },
  {
    id: 'lade-log-minutes',
    data: 'LaDe-P',
    target: 'ln(1 + accept-to-pickup min)',
    kind: 'l2',
    minHessian: 20,
    table: lade,
    labels: ladeLog,
    xgb: { objective: 'reg:squarederror' },
  },
  {
    id: 'lade-log-minutes-codes',
    data: 'LaDe-P',
    target: 'same, region_id and courier as numeric codes',
    kind: 'l2',
    minHessian: 20,
    table: { ...lade, categoricalFeatures: [6, 8] },
    labels: ladeLog,
    xgb: { objective: 'reg:squarederror' },
  },
  {
    id: 'lade-log-minutes-xgbcat',
    data: 'LaDe-P',
    target: "same, our categorical settings set to XGBoost's",
    kind: 'l2',
    minHessian: 20,
    table: lade,
    labels: ladeLog,
    ours: xgbLikeCategorical(20),
    xgb: { objective: 'reg:squarederror' },
  },
  {
    id: 'lade-minutes-q90',
    data: 'LaDe-P',
    target: 'accept-to-pickup min, q0.9',
    kind: 'quantile',
    minHessian: 20,
    table: lade,
    labels: lade.minutes,
    xgb: { objective: 'reg:quantileerror', extra: { quantile_alpha: ALPHA }, sinceMajor: 2 },
  },
  {
    id: 'lade-minutes-q90-codes',
    data: 'LaDe-P',
    target: 'same, region_id and courier as numeric codes',
    kind: 'quantile',
    minHessian: 20,
    table: { ...lade, categoricalFeatures: [6, 8] },
    labels: lade.minutes,
    xgb: { objective: 'reg:quantileerror', extra: { quantile_alpha: ALPHA }, sinceMajor: 2 },
  },
  {
    id: 'lade-minutes-q90-xgbcat',
    data: 'LaDe-P',
    target: "same, our categorical settings set to XGBoost's",
    kind: 'quantile',
    minHessian: 20,
    table: lade,
    labels: lade.minutes,
    ours: xgbLikeCategorical(20),
    xgb: { objective: 'reg:quantileerror', extra: { quantile_alpha: ALPHA }, sinceMajor: 2 },
  },
];

const native = nativeGbdtStatus();
console.log(
  `load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}; ours: ${native.ok ? 'native' : `TS reference (${native.reason})`}; ` +
    `XGBoost: ${xgbVersion ?? `not importable by ${PYTHON}`}`,
);

const XGB_SCRIPT = `
import json, sys, time, numpy as np, xgboost as xgb
d = sys.argv[1]; cfg = json.loads(sys.argv[2]); p = cfg['p']; types = cfg['types']
xt = np.fromfile(d + '/xt.bin', dtype='<f8').reshape(-1, p); yt = np.fromfile(d + '/yt.bin', dtype='<f8')
xv = np.fromfile(d + '/xv.bin', dtype='<f8').reshape(-1, p)
def dm(x, y=None):
    return xgb.DMatrix(x, label=y, feature_types=types, enable_categorical=True, nthread=2)
out = {}
xgb.train(dict(cfg['params'], nthread=2), dm(xt, yt), num_boost_round=cfg['rounds'])  # warm-up, not timed
for threads in (1, 2):
    times = []
    for _ in range(cfg['repeats']):
        dt = dm(xt, yt)
        params = dict(cfg['params'], nthread=threads)
        t0 = time.perf_counter(); bst = xgb.train(params, dt, num_boost_round=cfg['rounds']); times.append(time.perf_counter() - t0)
    out['train%d' % threads] = times
bst.set_param({'nthread': 2})
bst.predict(dm(xv)).astype('<f8').tofile(d + '/pv.bin')
xbig = np.tile(xv, (cfg['tiles'], 1)); times = []
for _ in range(cfg['repeats']):
    dv = dm(xbig)
    t0 = time.perf_counter(); bst.predict(dv); times.append(time.perf_counter() - t0)
out['predict'] = times; out['predictRows'] = xbig.shape[0]
xc = dm(xbig[:cfg['contribRows']]); out['contribRows'] = min(cfg['contribRows'], xbig.shape[0])
try:
    for name, approx in (('contribSaabas', True), ('contribTreeshap', False)):
        bst.predict(xc, pred_contribs=True, approx_contribs=approx); times = []
        for _ in range(cfg['repeats']):
            t0 = time.perf_counter(); bst.predict(xc, pred_contribs=True, approx_contribs=approx); times.append(time.perf_counter() - t0)
        out[name] = times
except Exception as e:
    out['contribError'] = str(e).splitlines()[0]
print(json.dumps(out))
`;

interface XgbRun {
  train2: number[];
  train1: number[];
  predict: number[];
  predictRows: number;
  /** pred_contribs with approx_contribs (Saabas) and without (TreeSHAP), on contribRows rows. */
  contribSaabas?: number[];
  contribTreeshap?: number[];
  contribRows: number;
  contribError?: string;
  predictions: Float64Array;
}

/**
 * XGBoost on the same rows: every run's train seconds (2 and 1 threads), predict seconds and
 * contributions seconds, validation predictions.
 */
function runXgboost(
  train: { features: Float64Array; labels: Float64Array },
  valid: { features: Float64Array },
  table: RealTable,
  params: Record<string, unknown>,
  tiles: number,
): XgbRun {
  const dir = mkdtempSync(join(tmpdir(), 'wb-xgb-real-'));
  try {
    const write = (name: string, a: Float64Array) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    write('xt.bin', train.features);
    write('yt.bin', train.labels);
    write('xv.bin', valid.features);
    const types = Array.from({ length: table.numFeatures }, (_, f) => (table.categoricalFeatures.includes(f) ? 'c' : 'q'));
    const cfg = { p: table.numFeatures, types, params, rounds: ROUNDS, repeats: REPEATS, tiles, contribRows: CONTRIB_ROWS };
    const res = spawnSync(PYTHON, ['-c', XGB_SCRIPT, dir, JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (res.status !== 0) throw new Error(res.stderr.trim().split('\n').at(-1) ?? `exit ${res.status}`);
    const t = JSON.parse(res.stdout.trim().split('\n').at(-1) as string) as Omit<XgbRun, 'predictions'>;
    const buf = readFileSync(join(dir, 'pv.bin'));
    const predictions = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8).slice();
    return { ...t, predictions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const XGB_CV_SCRIPT = `
import json, sys, numpy as np, xgboost as xgb
d = sys.argv[1]; cfg = json.loads(sys.argv[2]); p = cfg['p']; types = cfg['types']
def dm(x, y=None):
    return xgb.DMatrix(x, label=y, feature_types=types, enable_categorical=True, nthread=2)
for f in range(cfg['folds']):
    xt = np.fromfile('%s/xt%d.bin' % (d, f), dtype='<f8').reshape(-1, p); yt = np.fromfile('%s/yt%d.bin' % (d, f), dtype='<f8')
    xv = np.fromfile('%s/xv%d.bin' % (d, f), dtype='<f8').reshape(-1, p)
    params = dict(cfg['params'], nthread=2, base_score=cfg['base'][f])
    bst = xgb.train(params, dm(xt, yt), num_boost_round=cfg['rounds'])
    bst.predict(dm(xv)).astype('<f8').tofile('%s/pv%d.bin' % (d, f))
`;

/** XGBoost trained once per cross-validation fold (base_score = that fold's initial score): each fold's validation predictions. */
function runXgboostFolds(
  folds: { train: { features: Float64Array; labels: Float64Array }; valid: { features: Float64Array }; base: number }[],
  table: RealTable,
  params: Record<string, unknown>,
): Float64Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'wb-xgb-cv-'));
  try {
    const write = (name: string, a: Float64Array) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    folds.forEach((f, k) => {
      write(`xt${k}.bin`, f.train.features);
      write(`yt${k}.bin`, f.train.labels);
      write(`xv${k}.bin`, f.valid.features);
    });
    const types = Array.from({ length: table.numFeatures }, (_, f) => (table.categoricalFeatures.includes(f) ? 'c' : 'q'));
    const cfg = { p: table.numFeatures, types, params, rounds: ROUNDS, folds: folds.length, base: folds.map((f) => f.base) };
    const res = spawnSync(PYTHON, ['-c', XGB_CV_SCRIPT, dir, JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (res.status !== 0) throw new Error(res.stderr.trim().split('\n').at(-1) ?? `exit ${res.status}`);
    return folds.map((_, k) => {
      const buf = readFileSync(join(dir, `pv${k}.bin`));
      return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8).slice();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function scores(kind: Kind, y: Float64Array, f: Float64Array): { validLoss: number; auc?: number; coverage?: number } {
  return {
    validLoss: lossOf(kind, y, f),
    ...(kind === 'logistic' ? { auc: rocAuc(y, f) } : {}),
    ...(kind === 'quantile' ? { coverage: coverage(y, f) } : {}),
  };
}

const results: Result[] = [];
for (const task of tasks) {
  const split = seededSplit(task.table.rows, TRAIN_SHARE, SEED);
  const train = takeRows(task.table, task.labels, split.train);
  const valid = takeRows(task.table, task.labels, split.valid);
  const opts: GbdtOptions = {
    ...SETTINGS,
    objective: objectiveOf(task.kind),
    minSumHessianInLeaf: task.minHessian,
    categoricalFeatures: task.table.categoricalFeatures,
    ...task.ours,
  };
  const trainOnce = (threads: number): { model: GbdtModel; seconds: number; cpu: number } => {
    const t = performance.now();
    const c = process.cpuUsage();
    const model = native.ok ? nativeTrainGbdtSync(train, { ...opts, threads }).model : trainGbdt(train, opts).model;
    const used = process.cpuUsage(c);
    return { model, seconds: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 };
  };
  trainOnce(1); // warm-up (first-call costs), not timed
  const runs2 = Array.from({ length: REPEATS }, () => trainOnce(2));
  const runs1 = native.ok ? Array.from({ length: REPEATS }, () => trainOnce(1)) : runs2;
  const model = (runs2[0] as { model: GbdtModel }).model;
  const predict = (x: Float64Array) =>
    native.ok ? nativeGbdtPredictSync(model, x, train.numFeatures, { threads: 2 }) : gbdtPredict(model, x, train.numFeatures);
  const pred = predict(valid.features);
  const tiles = Math.ceil(PREDICT_ROWS / valid.labels.length);
  const big = tile(valid.features, tiles);
  const predictTimes = Array.from({ length: REPEATS }, () => {
    const t = performance.now();
    predict(big);
    return (performance.now() - t) / 1000;
  });
  // Contributions: Saabas and TreeSHAP on the first CONTRIB_ROWS tiled rows, 2 threads; TreeSHAP's rows must sum to the raw prediction.
  const contribX = big.subarray(0, Math.min(CONTRIB_ROWS, big.length / train.numFeatures) * train.numFeatures);
  const contribRows = contribX.length / train.numFeatures;
  const contribs = async (method: 'saabas' | 'treeshap') =>
    native.ok
      ? await nativeGbdtContributions(model, contribX, train.numFeatures, { threads: 2, method })
      : gbdtContributions(model, contribX, train.numFeatures, { method });
  const contribTimes = { saabas: [] as number[], treeshap: [] as number[] };
  for (const method of ['saabas', 'treeshap'] as const) {
    const c = await contribs(method); // warm-up, and the sum check
    const raw = native.ok
      ? nativeGbdtPredictSync(model, contribX, train.numFeatures, { threads: 2, raw: true })
      : gbdtPredict(model, contribX, train.numFeatures, { raw: true });
    const w = train.numFeatures + 1;
    let worst = 0;
    for (let i = 0; i < contribRows; i++)
      worst = Math.max(worst, Math.abs(c.subarray(i * w, i * w + w).reduce((a, b) => a + b, 0) - (raw[i] as number)));
    if (worst > 1e-6 * Math.max(1, Math.abs(raw[0] as number)))
      throw new Error(`${task.id}: ${method} rows miss the raw prediction by ${worst}`);
    for (let k = 0; k < REPEATS; k++) {
      const t = performance.now();
      await contribs(method);
      contribTimes[method].push((performance.now() - t) / 1000);
    }
  }
  const constant = constantOf(task.kind, train.labels);
  const result: Result = {
    task: task.id,
    data: task.data,
    target: task.target,
    objective: task.kind === 'quantile' ? `quantile ${ALPHA}` : task.kind,
    loss: LOSS_NAME[task.kind],
    trainRows: train.labels.length,
    validRows: valid.labels.length,
    minChildWeight: task.minHessian,
    constantLoss: lossOf(task.kind, valid.labels, new Float64Array(valid.labels.length).fill(constant)),
    ours: {
      backend: native.ok ? 'native' : 'js',
      trainSeconds: best(runs2.map((r) => r.seconds)),
      trainCpuSeconds: (runs2.reduce((a, r) => (r.seconds < a.seconds ? r : a)) as { cpu: number }).cpu,
      train1Seconds: best(runs1.map((r) => r.seconds)),
      ...scores(task.kind, valid.labels, pred),
      predictRowsPerSec: big.length / train.numFeatures / best(predictTimes),
      contribRowsPerSec: { saabas: contribRows / best(contribTimes.saabas), treeshap: contribRows / best(contribTimes.treeshap) },
    },
    seconds: {
      ours2: runs2.map((r) => r.seconds),
      ours1: runs1.map((r) => r.seconds),
      oursPredict: predictTimes,
      oursContribSaabas: contribTimes.saabas,
      oursContribTreeshap: contribTimes.treeshap,
    },
    xgboost: { error: `not importable by ${PYTHON}` },
  };
  // Cross-validation: the same settings on every fold, each side trained once (2 threads), untimed.
  const folds = seededFolds(task.table.rows, FOLDS, SEED).map((f) => {
    const t = takeRows(task.table, task.labels, f.train);
    return { train: t, valid: takeRows(task.table, task.labels, f.valid), base: constantOf(task.kind, t.labels) };
  });
  const cvLoss = (k: number, p: Float64Array) => lossOf(task.kind, (folds[k] as { valid: { labels: Float64Array } }).valid.labels, p);
  result.cv = {
    folds: FOLDS,
    ours: folds.map((f, k) => {
      const m = native.ok ? nativeTrainGbdtSync(f.train, { ...opts, threads: 2 }).model : trainGbdt(f.train, opts).model;
      return cvLoss(
        k,
        native.ok
          ? nativeGbdtPredictSync(m, f.valid.features, f.train.numFeatures, { threads: 2 })
          : gbdtPredict(m, f.valid.features, f.train.numFeatures),
      );
    }),
  };
  if ('none' in task.xgb) result.xgboost = { none: task.xgb.none };
  else if (xgbVersion && xgbMajor < (task.xgb.sinceMajor ?? 0))
    result.xgboost = { none: `XGBoost ${xgbVersion} has no ${task.xgb.objective} (it arrived in ${task.xgb.sinceMajor}.0)` };
  else if (xgbVersion) {
    const params = {
      objective: task.xgb.objective,
      ...task.xgb.extra,
      tree_method: 'hist',
      grow_policy: 'lossguide',
      max_depth: 0,
      max_leaves: SETTINGS.maxLeaves,
      eta: SETTINGS.learningRate,
      max_bin: SETTINGS.maxBins,
      reg_lambda: 0.0,
      reg_alpha: 0.0,
      gamma: 0.0,
      min_child_weight: task.minHessian,
      max_cat_to_onehot: 1,
      base_score: constant,
    };
    try {
      const x = runXgboost(train, valid, task.table, params, tiles);
      result.xgboost = {
        trainSeconds: best(x.train2),
        train1Seconds: best(x.train1),
        ...scores(task.kind, valid.labels, x.predictions),
        predictRowsPerSec: x.predictRows / best(x.predict),
        ...(x.contribSaabas && x.contribTreeshap
          ? { contribRowsPerSec: { saabas: x.contribRows / best(x.contribSaabas), treeshap: x.contribRows / best(x.contribTreeshap) } }
          : {}),
      };
      if (x.contribError) console.log(`${task.id}: XGBoost contributions failed: ${x.contribError}`);
      result.seconds = {
        ...result.seconds,
        xgboost2: x.train2,
        xgboost1: x.train1,
        xgboostPredict: x.predict,
        ...(x.contribSaabas ? { xgboostContribSaabas: x.contribSaabas } : {}),
        ...(x.contribTreeshap ? { xgboostContribTreeshap: x.contribTreeshap } : {}),
      };
      result.cv.xgboost = runXgboostFolds(folds, task.table, params).map((p, k) => cvLoss(k, p));
    } catch (err) {
      result.xgboost = { error: (err as Error).message };
    }
  }
  results.push(result);
  const x = 'trainSeconds' in result.xgboost ? result.xgboost : undefined;
  const cvx = result.cv.xgboost;
  console.log(
    `${task.id}: ours ${result.loss} ${result.ours.validLoss.toPrecision(6)} in ${result.ours.trainSeconds.toFixed(3)} s; ` +
      (x ? `XGBoost ${x.validLoss.toPrecision(6)} in ${x.trainSeconds.toFixed(3)} s` : `XGBoost: ${Object.values(result.xgboost)[0]}`) +
      `; ${FOLDS}-fold CV ours ${mean(result.cv.ours).toPrecision(6)}${cvx ? `, XGBoost ${mean(cvx).toPrecision(6)}` : ''}`,
  );
}
const loadAtEnd = loadavg();
const elapsed = (performance.now() - startedAt) / 1000;

const cpu = cpus();
const machine = `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} logical cores, Node ${process.version}`;
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(2)} %`;
const lossCell = (s: { validLoss: number; auc?: number; coverage?: number }) =>
  `${s.validLoss.toPrecision(5)}${s.auc !== undefined ? ` (AUC ${s.auc.toFixed(4)})` : ''}${s.coverage !== undefined ? ` (coverage ${(s.coverage * 100).toFixed(1)} %)` : ''}`;
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const hill = results.find((r) => r.data === 'Hillstrom');
const conversions = seededSplit(hillstrom.rows, TRAIN_SHARE, SEED).valid.reduce((s, r) => s + (hillstrom.conversion[r] as number), 0);
const belowConstant = results
  .filter((r) => r.ours.validLoss >= r.constantLoss)
  .map((r) => {
    const x = 'validLoss' in r.xgboost ? r.xgboost : undefined;
    return `${r.task} (ours${x ? (x.validLoss >= r.constantLoss ? ' and XGBoost' : ', not XGBoost') : ''})`;
  });
const lad = results.find((r) => r.data === 'LaDe-P');
const lines = [
  `Data (${relative(process.cwd(), dataDir) || '.'}, see each folder's SOURCES.md): Hillstrom e-mail test (uplift/hillstrom.csv, 64,000 customers; features recency, history_segment, history, mens, womens, zip_code, newbie, channel, segment, ` +
    'the 4 text columns as native categoricals; visit, conversion and spend are outcomes, never features; spend is zero for 99.1 % of customers, so its MSE is dominated by a few hundred buyers) ' +
    'and LaDe-P pickups (lastmile/lade_pickup_subset, 6,190 tasks in 5 cities; features known at acceptance: accept time of day, window start and end relative to accept, customer lat/lng, ' +
    'courier-to-customer km at acceptance (missing for 43 %), and city, region_id, aoi_type, courier (1,217 codes) as categoricals; target accept-to-pickup minutes: median 124, 1 % over 1,787 (multi-day), ' +
    'so L2 is fitted on ln(1 + minutes) and the 0.9-quantile on minutes).',
  `Split: seeded random ${TRAIN_SHARE * 100}/${100 - TRAIN_SHARE * 100} per data set (mulberry32 seed ${SEED}, bench/ml-real-data.ts seededSplit): Hillstrom ${int(hill?.trainRows ?? 0)} train / ${int(hill?.validRows ?? 0)} validation rows, ` +
    `LaDe-P ${int(lad?.trainRows ?? 0)} / ${int(lad?.validRows ?? 0)}.`,
  `Settings, both sides: ${ROUNDS} rounds, 31 leaves grown leaf-wise (XGBoost hist, lossguide, max_depth 0), learning rate 0.1, 255 bins, lambda 0, no sampling, no early stopping; ` +
    'leaf limit = minimum hessian sum (ours minSumHessianInLeaf with minDataInLeaf 1, XGBoost min_child_weight): 20 for L2 and quantile (20 rows), 1 for logistic; ' +
    'XGBoost native categorical (max_cat_to_onehot 1, default max_cat_threshold 64) and base_score = our initial score (training mean, base rate or 0.9-quantile); ' +
    'ours with gradientRounding (the default: gradients rounded to a grid on which sums are exact, so 2 threads add histogram rows in blocks).',
  `Backend: ${native.ok ? 'ours on the C++ core (native), 2 threads; 1-thread time beside it' : `ours on the TypeScript reference, one thread (${native.reason})`}; ` +
    `${xgbVersion ? `XGBoost ${xgbVersion} (${PYTHON}; ${xgbOrigin})` : 'XGBoost not installed'}, 2 threads, 1-thread time beside it. ` +
    `Machine: ${machine}, shared (other jobs may be running): load average ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min) at start, ` +
    `${loadAtEnd.map((l) => l.toFixed(2)).join(' / ')} at end; whole run ${elapsed.toFixed(0)} s.`,
  '',
  '| data: target | objective (loss) | constant-prediction loss | our valid loss | XGBoost valid loss | loss vs XGBoost | our train s, 2 threads (CPU s) | our train s, 1 thread | XGBoost train s, 2 threads | XGBoost train s, 1 thread | our predict rows/s | XGBoost predict rows/s |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => {
    const x = 'trainSeconds' in r.xgboost ? r.xgboost : undefined;
    const why = 'none' in r.xgboost ? 'n/a' : 'error' in r.xgboost ? 'failed' : '';
    return (
      `| ${r.data}: ${r.target} | ${r.objective} (${r.loss}) | ${r.constantLoss.toPrecision(5)} | ${lossCell(r.ours)} | ${x ? lossCell(x) : why} | ${x ? pct(r.ours.validLoss, x.validLoss) : '-'} | ` +
      `${r.ours.trainSeconds.toFixed(3)} (${r.ours.trainCpuSeconds.toFixed(3)}) | ${r.ours.train1Seconds.toFixed(3)} | ${x ? x.trainSeconds.toFixed(3) : why} | ${x ? x.train1Seconds.toFixed(3) : why} | ` +
      `${int(r.ours.predictRowsPerSec)} | ${x ? int(x.predictRowsPerSec) : why} |`
    );
  }),
  '',
  'Constant-prediction loss: the loss of predicting the training mean (L2), base rate (logistic) or 0.9-quantile on the validation rows, the no-skill reference. ' +
    'Loss vs XGBoost: (ours - XGBoost) / XGBoost on the same validation rows (negative = ours lower). ' +
    `Times: best of ${REPEATS} runs after an untimed warm-up run (all runs in bench/results/${SECTION}.json), wall clock including binning ` +
    '(XGBoost: xgb.train on a fresh DMatrix, so its quantile sketch is timed, the numpy-to-DMatrix copy is not); CPU s: this process during that fastest 2-thread run. ' +
    `Predict rows/s: the validation rows tiled to >= ${int(PREDICT_ROWS)} rows, ${ROUNDS} trees, 2 threads, best of ${REPEATS} (XGBoost: bst.predict on a fresh DMatrix). ` +
    `The validation sets are small (${int(lad?.validRows ?? 0)} LaDe rows; ${conversions} Hillstrom conversions among ${int(hill?.validRows ?? 0)} rows): read differences of a few tenths of a percent as ties. ` +
    (belowConstant.length > 0
      ? `No better than the constant prediction: ${belowConstant.join('; ')}. With these shared settings (100 rounds, 31 leaves, small leaves allowed, no early stopping) those sparse targets are overfitted. `
      : '') +
    'The rows with region_id and courier as numeric codes isolate the categorical handling: the same table, only city and aoi_type categorical on both sides. ' +
    'Known modelling differences: our categorical splits use their LightGBM-like defaults (gbdt.ts): in a leaf, categories with fewer than 100 rows stay out of partition splits (they go right), ' +
    'the others are sorted by G / (H + 10) and the left side takes at most 32 of them (and at most half), scanned from both ends of the order, with lambda + 10 in the gain; ' +
    'a leaf with at most 4 categories tries one category against the rest; we keep the 254 most frequent codes (the rest share one bin, which matters only for LaDe courier). ' +
    'XGBoost sorts by G / H and caps a split side at 64 categories; it has no minimum group size as such, but its CalcWeight gives a category lighter than min_child_weight the weight 0, ' +
    'which sorts it between the categories of negative and of positive weight, where its capped scans from both ends reach it last. The rows "our categorical settings set to XGBoost\'s" train ours with those: ' +
    'minDataPerGroup = min_child_weight (20), catSmooth 0, catL2 0, maxCatThreshold 64, maxCatToOnehot 1.' +
    (results.some((r) => r.objective.startsWith('quantile') && 'trainSeconds' in r.xgboost)
      ? ' Quantile leaves: ours are re-fitted to the 0.9-quantile of their residuals, as LightGBM does; XGBoost up to 3.3 re-fitted them the same way, 3.4 replaced that by a smoothed majorise-minimise gradient step.'
      : '') +
    (results.some((r) => 'none' in r.xgboost)
      ? ` No XGBoost column: ${results
          .filter((r) => 'none' in r.xgboost)
          .map((r) => `${r.task} (${(r.xgboost as { none: string }).none})`)
          .join('; ')}.`
      : ''),
  '',
  `Cross-validated (${FOLDS} folds, bench/ml-real-data.ts seededFolds, mulberry32 seed ${SEED}: every row validated once, each fold trained once on the other rows with the settings above, ` +
    "base_score = that fold's initial score). One 80/20 split of a small table is a noisy yardstick; the mean over the folds is the steadier one.",
  '',
  `| data: target | objective (loss) | our loss, mean of ${FOLDS} folds | XGBoost loss, mean of ${FOLDS} folds | loss vs XGBoost (means) | folds where ours is lower | our fold losses | XGBoost fold losses |`,
  '|---|---|---|---|---|---|---|---|',
  ...results.map((r) => {
    const cv = r.cv as { ours: number[]; xgboost?: number[] };
    const xs = cv.xgboost;
    const list = (a: number[]) => a.map((v) => v.toPrecision(4)).join(', ');
    const lower = xs ? cv.ours.filter((v, k) => v < (xs[k] as number)).length : 0;
    return (
      `| ${r.data}: ${r.target} | ${r.objective} (${r.loss}) | ${mean(cv.ours).toPrecision(5)} | ${xs ? mean(xs).toPrecision(5) : '-'} | ` +
      `${xs ? pct(mean(cv.ours), mean(xs)) : '-'} | ${xs ? `${lower} of ${xs.length}` : '-'} | ${list(cv.ours)} | ${xs ? list(xs) : '-'} |`
    );
  }),
  '',
  `Contributions per row (rows/s, 2 threads, best of ${REPEATS}, the first ${int(CONTRIB_ROWS)} of the tiled validation rows; each side explains its own model of the table above): ` +
    'Saabas (ours: the default method; XGBoost: pred_contribs with approx_contribs) and path-dependent TreeSHAP (ours: method treeshap; XGBoost: pred_contribs). ' +
    'Our TreeSHAP rows were checked to sum to the raw predictions. XGBoost keeps its TreeSHAP path in 32-bit floats, ours in doubles. ' +
    "Ours runs the C++ core's default plan (kAuto): a tree whose leaf terms cost less to tabulate, once per pattern of one fractions, than the batch's rows save by " +
    "looking them up gets such a table (native/src/cpu/ml/treeshap.cc; the values are the recursion's bit for bit; the time includes filling the tables); XGBoost runs the recursion for every row.",
  '',
  '| data: target | our Saabas rows/s | XGBoost Saabas rows/s | our TreeSHAP rows/s | XGBoost TreeSHAP rows/s | TreeSHAP, ours / XGBoost |',
  '|---|---|---|---|---|---|',
  ...results.map((r) => {
    const o = r.ours.contribRowsPerSec;
    const x = 'contribRowsPerSec' in r.xgboost ? r.xgboost.contribRowsPerSec : undefined;
    return (
      `| ${r.data}: ${r.target} | ${o ? int(o.saabas) : '-'} | ${x ? int(x.saabas) : '-'} | ${o ? int(o.treeshap) : '-'} | ${x ? int(x.treeshap) : '-'} | ` +
      `${o && x ? `${(o.treeshap / x.treeshap).toFixed(2)}x` : '-'} |`
    );
  }),
];
writeResultsFile(
  `${SECTION}.json`,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadAtEnd,
      seconds: elapsed,
      seed: SEED,
      trainShare: TRAIN_SHARE,
      repeats: REPEATS,
      settings: { ...SETTINGS, minSumHessianInLeaf: 'per task (minChildWeight)' },
      xgboost: xgbVersion ?? null,
      results,
    },
    null,
    2,
  )}\n`,
);
writeResultsSection(
  SECTION,
  SECTION === 'ml-real'
    ? 'ML: gradient-boosted trees on real data (npm run bench:ml)'
    : `ML: gradient-boosted trees on real data (npx tsx bench/ml-real.bench.ts --section ${SECTION})`,
  lines.join('\n'),
);
console.log(lines.join('\n'));
