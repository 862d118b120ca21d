/**
 * `waybill train <file.csv> --target col [--objective l2|l1|quantile|logistic|poisson|tweedie]
 * [--alpha 0.9] [--categorical a,b] [--drop c,d] [--valid-fraction 0.2] [--rounds N] [--leaves N]
 * [--lr x] [--early-stop N] [--seed s] --out model.json [--json]`
 *
 * Reads a CSV with a header row. Every column but the target and the --drop ones is a feature.
 * A cell that is empty, NA, NaN or null is missing. A column is numeric when all its other cells
 * parse as finite numbers; otherwise, or when named in --categorical, it is categorical: its
 * distinct values sorted (numerically when they are all numbers) become codes 0, 1, …, used by
 * the trees' native categorical splits. The target must be numeric and never missing.
 * A seeded shuffle holds out --valid-fraction of the rows for validation (early stopping after
 * --early-stop rounds without improvement, default 20; 0 = off). Progress (iteration, training
 * and validation loss, ETA) goes to stderr; Ctrl-C stops training and keeps the best model so far.
 * The model file is the `waybill-gbdt` JSON (loadGbdtModel reads it as it is) plus a `dataset`
 * entry: the target, every column's type and category list (code = index), the dropped columns,
 * the row counts, and the validation metrics printed on stdout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type CsvRecords, parseCsv, parseCsvRecords } from '../data/csv.js';
import { createEngine } from '../engine.js';
import { WaybillError } from '../errors.js';
import type { GbdtModel, GbdtProgress } from '../kernels/ml/gbdt.js';
import { gbdtToJson } from '../kernels/ml/gbdt-json.js';
import {
  coverage,
  logLoss,
  meanAbsoluteError,
  pinballLoss,
  poissonDeviance,
  rmse,
  rocAuc,
  tweedieDeviance,
} from '../kernels/ml/metrics.js';
import { OBJECTIVES, type ObjectiveName, type ObjectiveSpec } from '../kernels/ml/objectives.js';
import { mulberry32 } from '../kernels/ml/random.js';
import { checkWritable } from './out-path.js';

/** Moved to src/data/csv.ts (shared with the data loaders); re-exported for predict.ts and callers. */
export { parseCsv };

export interface TrainArgs {
  file: string;
  target: string;
  objective: ObjectiveName;
  alpha?: number;
  categorical: string[];
  drop: string[];
  validFraction: number;
  rounds: number;
  leaves: number;
  learningRate: number;
  earlyStop: number;
  seed: number;
  out: string;
  json?: boolean;
  /**
   * Tree options given on the command line (--lambda, --min-data, --cat-smooth, --min-data-per-group,
   * --max-cat-threshold, --cat-l2, --max-cat-to-onehot); the kernel's defaults otherwise.
   */
  tree?: {
    lambdaL2?: number;
    minDataInLeaf?: number;
    catSmooth?: number;
    minDataPerGroup?: number;
    maxCatThreshold?: number;
    catL2?: number;
    maxCatToOnehot?: number;
  };
}

/** One column of the training table as recorded in the model file. */
export interface ColumnInfo {
  name: string;
  type: 'numeric' | 'categorical';
  /** Categorical: the values; a value's code is its index. */
  categories?: string[];
}

export interface CsvTable {
  features: Float64Array;
  numFeatures: number;
  labels: Float64Array;
  columns: ColumnInfo[];
  categoricalFeatures: number[];
}

const MISSING = new Set(['', 'na', 'nan', 'null']);

function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

function compareValues(numeric: boolean): (a: string, b: string) => number {
  return numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Turns parsed CSV rows (header first) into a row-major feature matrix and labels; see the file
 * comment for the column rules. Errors: INVALID_ARGUMENT (unknown column, non-numeric target,
 * no rows), NOT_FINITE (a missing target, with its line number), INVALID_LENGTH (a short row).
 */
export function csvToTable(
  rows: string[][],
  options: { target: string; categorical?: string[]; drop?: string[] },
  lines?: readonly number[],
): CsvTable {
  // The file line of body row i: from parseCsvRecords when given (quoted newlines counted), else i + 2.
  const lineOf = (i: number) => lines?.[i + 1] ?? i + 2;
  const header = (rows[0] ?? []).map((h) => h.trim());
  if (header.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'the CSV is empty', { field: 'csv' });
  // A repeated name would be matched to its first column only (target, --treatment, --drop, and
  // waybill predict's columns by name), the other read silently as a feature.
  const repeated = header.find((h, j) => header.indexOf(h) !== j);
  if (repeated !== undefined)
    throw new WaybillError('INVALID_ARGUMENT', `the header names column '${repeated}' more than once: give each column its own name`, {
      field: 'csv',
      column: repeated,
      line: 1,
    });
  const col = (name: string, what: string) => {
    const j = header.indexOf(name);
    if (j < 0)
      throw new WaybillError('INVALID_ARGUMENT', `${what} column '${name}' is not in the header (${header.join(', ')})`, {
        field: what,
        column: name,
      });
    return j;
  };
  const t = col(options.target, 'target');
  const dropped = new Set((options.drop ?? []).map((d) => col(d, 'drop')));
  const forced = new Set((options.categorical ?? []).map((c) => col(c, 'categorical')));
  if (forced.has(t))
    throw new WaybillError('INVALID_ARGUMENT', `the target '${options.target}' cannot be categorical`, { field: 'categorical' });
  const body = rows.slice(1);
  if (body.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'the CSV has a header but zero rows', { field: 'csv', rows: 0 });
  body.forEach((r, i) => {
    if (r.length !== header.length)
      throw new WaybillError('INVALID_LENGTH', `line ${lineOf(i)} has ${r.length} cells, the header ${header.length}`, {
        field: 'csv',
        line: lineOf(i),
      });
  });
  const featureCols = header.map((_, j) => j).filter((j) => j !== t && !dropped.has(j));
  if (featureCols.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'no feature columns are left', { field: 'drop' });
  const n = body.length;
  const p = featureCols.length;
  const labels = new Float64Array(n);
  body.forEach((r, i) => {
    const cell = r[t] as string;
    const v = isMissing(cell) ? Number.NaN : Number(cell);
    if (Number.isNaN(v) || !Number.isFinite(v))
      throw new WaybillError(
        isMissing(cell) ? 'NOT_FINITE' : 'INVALID_ARGUMENT',
        `line ${lineOf(i)}: target '${options.target}' is ${isMissing(cell) ? 'missing' : `"${cell}", not a number`}: remove the row or fill it`,
        { field: 'target', line: lineOf(i) },
      );
    labels[i] = v;
  });
  const features = new Float64Array(n * p);
  const columns: ColumnInfo[] = [];
  const categoricalFeatures: number[] = [];
  featureCols.forEach((j, f) => {
    const name = header[j] as string;
    let numeric = true;
    for (const r of body) {
      const cell = r[j] as string;
      if (!isMissing(cell) && !Number.isFinite(Number(cell.trim()))) {
        numeric = false;
        break;
      }
    }
    if (numeric && !forced.has(j)) {
      body.forEach((r, i) => {
        const cell = r[j] as string;
        features[i * p + f] = isMissing(cell) ? Number.NaN : Number(cell.trim());
      });
      columns.push({ name, type: 'numeric' });
      return;
    }
    const values = new Set<string>();
    for (const r of body) if (!isMissing(r[j] as string)) values.add((r[j] as string).trim());
    const categories = [...values].sort(compareValues(numeric));
    const code = new Map(categories.map((c, k) => [c, k]));
    body.forEach((r, i) => {
      const cell = r[j] as string;
      features[i * p + f] = isMissing(cell) ? Number.NaN : (code.get(cell.trim()) as number);
    });
    columns.push({ name, type: 'categorical', categories });
    categoricalFeatures.push(f);
  });
  return { features, numFeatures: p, labels, columns, categoricalFeatures };
}

/** Validation metrics for an objective: labels y, predictions f on the response scale. */
export function objectiveMetrics(spec: ObjectiveSpec, y: Float64Array, f: Float64Array): Record<string, number> {
  switch (spec.name) {
    case 'l2':
      return { rmse: rmse(y, f), mae: meanAbsoluteError(y, f) };
    case 'l1':
      return { mae: meanAbsoluteError(y, f), rmse: rmse(y, f) };
    case 'quantile': {
      const alpha = spec.alpha ?? 0.5;
      return { pinball: pinballLoss(y, f, alpha), coverage: coverage(y, f), alpha };
    }
    case 'logistic':
      return { logLoss: logLoss(y, f), auc: rocAuc(y, f) };
    case 'poisson':
      return { poissonDeviance: poissonDeviance(y, f), mae: meanAbsoluteError(y, f) };
    case 'tweedie':
      return { tweedieDeviance: tweedieDeviance(y, f, spec.tweedieVariancePower ?? 1.5), mae: meanAbsoluteError(y, f) };
  }
}

function numberArg(name: string, v: string | undefined, fallback: number, ok: (x: number) => boolean, rule: string): number | string {
  if (v === undefined) return fallback;
  const x = Number(v);
  return v.trim() !== '' && ok(x) ? x : `--${name} must be ${rule}, got '${v}'`;
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Checks the command-line values; returns the arguments or a usage message (exit 2). */
export function parseTrainArgs(file: string | undefined, v: Record<string, string | boolean | undefined>): TrainArgs | string {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (!file) return 'train needs a CSV file';
  const target = str('target');
  if (!target) return 'train needs --target <column>';
  const out = str('out');
  if (!out) return 'train needs --out <model.json>';
  const objective = (str('objective') ?? 'l2') as ObjectiveName;
  if (!OBJECTIVES.includes(objective)) return `--objective must be one of ${OBJECTIVES.join(', ')}, got '${objective}'`;
  const int = (x: number) => Number.isInteger(x);
  const checks = {
    alpha: numberArg('alpha', str('alpha'), 0.5, (x) => x > 0 && x < 1, 'in (0, 1)'),
    validFraction: numberArg('valid-fraction', str('valid-fraction'), 0.2, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    rounds: numberArg('rounds', str('rounds'), 100, (x) => int(x) && x >= 1, 'an integer >= 1'),
    leaves: numberArg('leaves', str('leaves'), 31, (x) => int(x) && x >= 2, 'an integer >= 2'),
    learningRate: numberArg('lr', str('lr'), 0.1, (x) => x > 0 && x <= 1, 'in (0, 1]'),
    earlyStop: numberArg('early-stop', str('early-stop'), 20, (x) => int(x) && x >= 0, 'an integer >= 0'),
    seed: numberArg('seed', str('seed'), 0, (x) => int(x) && x >= 0 && x <= 4294967295, 'an integer in [0, 2^32)'),
    lambdaL2: numberArg('lambda', str('lambda'), 0, (x) => x >= 0 && Number.isFinite(x), 'a number >= 0'),
    minDataInLeaf: numberArg('min-data', str('min-data'), 20, (x) => int(x) && x >= 1, 'an integer >= 1'),
    catSmooth: numberArg('cat-smooth', str('cat-smooth'), 10, (x) => x >= 0 && Number.isFinite(x), 'a number >= 0'),
    minDataPerGroup: numberArg('min-data-per-group', str('min-data-per-group'), 100, (x) => int(x) && x >= 1, 'an integer >= 1'),
    maxCatThreshold: numberArg('max-cat-threshold', str('max-cat-threshold'), 32, (x) => int(x) && x >= 1, 'an integer >= 1'),
    catL2: numberArg('cat-l2', str('cat-l2'), 10, (x) => x >= 0 && Number.isFinite(x), 'a number >= 0'),
    maxCatToOnehot: numberArg('max-cat-to-onehot', str('max-cat-to-onehot'), 4, (x) => int(x) && x >= 0, 'an integer >= 0'),
  };
  for (const c of Object.values(checks)) if (typeof c === 'string') return c;
  const n = checks as Record<keyof typeof checks, number>;
  if (str('alpha') !== undefined && objective !== 'quantile') return '--alpha applies to --objective quantile only';
  return {
    file,
    target,
    objective,
    ...(objective === 'quantile' ? { alpha: n.alpha } : {}),
    categorical: list(str('categorical')),
    drop: list(str('drop')),
    validFraction: n.validFraction,
    rounds: n.rounds,
    leaves: n.leaves,
    learningRate: n.learningRate,
    earlyStop: n.earlyStop,
    seed: n.seed,
    out,
    ...(v.json === true ? { json: true } : {}),
    tree: Object.fromEntries(
      (
        [
          ['lambdaL2', 'lambda'],
          ['minDataInLeaf', 'min-data'],
          ['catSmooth', 'cat-smooth'],
          ['minDataPerGroup', 'min-data-per-group'],
          ['maxCatThreshold', 'max-cat-threshold'],
          ['catL2', 'cat-l2'],
          ['maxCatToOnehot', 'max-cat-to-onehot'],
        ] as const
      ).flatMap(([key, flag]) => (str(flag) !== undefined ? [[key, n[key]]] : [])),
    ),
  };
}

/**
 * The seeded split of `waybill train`: the last `fraction` of a mulberry32(seed) permutation of
 * the n rows is held out (at most n - 1 rows); each part keeps file order.
 */
export function seededHoldout(n: number, fraction: number, seed: number): { train: Int32Array; valid: Int32Array } {
  const rng = mulberry32(seed);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const x = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = x;
  }
  const nValid = Math.min(n - 1, Math.round(fraction * n));
  return { train: perm.slice(0, n - nValid).sort(), valid: perm.slice(n - nValid).sort() };
}

/** Rows of a table by index list (row-major copy). */
export function takeRows(t: CsvTable, rows: Int32Array): { features: Float64Array; numFeatures: number; labels: Float64Array } {
  const p = t.numFeatures;
  const features = new Float64Array(rows.length * p);
  const labels = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    features.set(t.features.subarray(r * p, r * p + p), i * p);
    labels[i] = t.labels[r] as number;
  });
  return { features, numFeatures: p, labels };
}

export function formatSeconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`;
}

/** A CSV file's records (rows and the line each starts on); INVALID_ARGUMENT naming `file` when it cannot be read. */
export function readCsvFile(path: string): CsvRecords {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WaybillError('INVALID_ARGUMENT', `cannot read ${path}: ${(err as Error).message}`, { field: 'file', path });
  }
  return parseCsvRecords(text);
}

/** Runs `waybill train`; returns the summary it prints (for tests and --json). */
export async function trainFile(args: TrainArgs): Promise<Record<string, unknown>> {
  const { rows, lines } = readCsvFile(args.file);
  const table = csvToTable(rows, { target: args.target, categorical: args.categorical, drop: args.drop }, lines);
  checkWritable(args.out);
  const n = table.labels.length;
  const split = seededHoldout(n, args.validFraction, args.seed);
  const nValid = split.valid.length;
  const train = takeRows(table, split.train);
  const valid = nValid > 0 ? takeRows(table, split.valid) : undefined;
  const objective: ObjectiveSpec =
    args.objective === 'quantile' ? { name: 'quantile', alpha: args.alpha ?? 0.5 } : { name: args.objective };
  const catNames = table.categoricalFeatures.map((f) => (table.columns[f] as ColumnInfo).name);
  if (!args.json)
    process.stderr.write(
      `${args.file}: ${n} rows, ${table.numFeatures} features${catNames.length ? ` (categorical: ${catNames.join(', ')})` : ''}; ` +
        `${train.labels.length} train / ${nValid} validation rows\n`,
    );

  const engine = createEngine({ workers: 0 });
  const tty = process.stderr.isTTY === true;
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  const t0 = performance.now();
  let tFirst = 0;
  let lastLine = 0;
  const onProgress = (p: GbdtProgress) => {
    const now = performance.now();
    const elapsed = (now - t0) / 1000;
    // The first tree also pays for binning the features: rate the later ones on their own.
    if (p.iteration === 1) tFirst = now;
    const perTree = p.iteration > 1 ? (now - tFirst) / 1000 / (p.iteration - 1) : elapsed;
    const eta = perTree * (args.rounds - p.iteration);
    const line =
      `train ${p.iteration}/${args.rounds}  ${objective.name} train ${p.trainLoss.toPrecision(5)}` +
      (p.validLoss === undefined ? '' : `  valid ${p.validLoss.toPrecision(5)}  best ${p.bestIteration}`) +
      `  ${formatSeconds(elapsed)}${p.iteration < args.rounds ? `, ETA ${formatSeconds(eta)}` : ''}`;
    // A TTY gets one line redrawn; a log gets a line about every 10 % of the rounds.
    if (tty) process.stderr.write(`\r${line}\u001b[K`);
    else if (p.iteration === 1 || p.iteration - lastLine >= Math.max(1, Math.ceil(args.rounds / 10)) || p.iteration === args.rounds) {
      lastLine = p.iteration;
      process.stderr.write(`${line}\n`);
    }
  };
  let model: GbdtModel;
  let summary: Record<string, unknown>;
  try {
    const res = await engine.kernels.ml.train(train, {
      objective,
      numIterations: args.rounds,
      maxLeaves: args.leaves,
      learningRate: args.learningRate,
      categoricalFeatures: table.categoricalFeatures,
      featureNames: table.columns.map((c) => c.name),
      seed: args.seed,
      ...(args.tree ?? {}),
      ...(valid ? { valid, earlyStoppingRounds: args.earlyStop } : {}),
      onProgress,
      signal: ac.signal,
    });
    if (tty) process.stderr.write('\n');
    model = res.model;
    const evalSet = valid ?? train;
    const pred = (await engine.kernels.ml.predict(model, evalSet.features, evalSet.numFeatures)).predictions;
    const base = (await engine.kernels.ml.predict({ ...model, trees: [] }, evalSet.features, evalSet.numFeatures)).predictions;
    const gain = (await engine.kernels.ml.importance(model)).importance;
    const totalGain = gain.reduce((a, b) => a + b, 0) || 1;
    const importance = Object.fromEntries(
      table.columns
        .map((c, f) => [c.name, (gain[f] as number) / totalGain] as const)
        .filter(([, g]) => g > 0)
        .sort((a, b) => b[1] - a[1]),
    );
    summary = {
      file: args.file,
      target: args.target,
      objective,
      rows: n,
      trainRows: train.labels.length,
      validRows: nValid,
      features: table.numFeatures,
      categorical: catNames,
      trees: model.trees.length,
      iterations: res.iterations,
      stopReason: res.stopReason,
      backend: res.backend,
      ms: res.timings.totalMs,
      metricsOn: valid ? 'validation' : 'training',
      metrics: objectiveMetrics(objective, evalSet.labels, pred),
      baseline: objectiveMetrics(objective, evalSet.labels, base),
      importance,
      out: args.out,
    };
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
  const { out: _out, file: _file, ...recorded } = summary;
  const doc = {
    ...gbdtToJson(model),
    dataset: {
      source: args.file,
      target: args.target,
      columns: table.columns,
      dropped: args.drop,
      ...recorded,
    },
  };
  writeFileSync(args.out, `${JSON.stringify(doc)}\n`);
  if (args.json) console.log(JSON.stringify(summary));
  else {
    const fmt = (m: unknown) =>
      Object.entries(m as Record<string, number>)
        .filter(([k]) => k !== 'alpha')
        .map(([k, x]) => `${k} ${x.toPrecision(5)}`)
        .join(', ');
    const top = Object.entries(summary.importance as Record<string, number>)
      .slice(0, 5)
      .map(([k, g]) => `${k} ${(100 * g).toFixed(1)} %`)
      .join(', ');
    console.log(
      `${summary.trees} trees (${summary.iterations} trained, ${summary.stopReason}) in ${formatSeconds((summary.ms as number) / 1000)} on the ${summary.backend} backend\n` +
        `${summary.metricsOn} (${valid ? nValid : n} rows): ${fmt(summary.metrics)}\n` +
        `constant baseline: ${fmt(summary.baseline)}\n` +
        `top features by gain: ${top || 'none (no split)'}\n` +
        `model written to ${args.out}`,
    );
  }
  return summary;
}
