/**
 * `waybill predict <model> <file.csv> [--out preds.csv] [--id col] [--raw] [--iterations N]
 * [--contributions saabas|treeshap] [--json]`
 *
 * Scores a CSV with a GBDT model: the JSON that `waybill train` writes (its `dataset` entry maps
 * the CSV's columns by name and text categories to the training codes), any `waybill-gbdt` JSON
 * or compact binary model with feature names (categorical cells must then be the integer codes
 * the model was trained on). Columns are found by name in the header (names compared without
 * outer spaces), in any order; others (the target, an id, dropped columns) are ignored, even when
 * their name repeats. Missing cells (empty, NA, NaN, null) are
 * missing values. A category not seen in training goes where the trees send unseen categories
 * (the right side of every categorical split); their count per column is reported.
 *
 * Output: a CSV with one row per input row, in file order: the --id column when asked, then
 * `prediction` (response scale, or the raw margin with --raw), then with --contributions one
 * column per feature (`contrib_<name>`) and `contrib_bias`, in raw-score units, each row summing
 * to the raw prediction. It goes to --out, else to stdout. When the CSV holds the model's target
 * column, the metrics of the objective on the rows whose target is present are reported (rows whose
 * target is not a label of the objective, e.g. 2 for logistic, are left out and counted: invalidTargets).
 * The summary goes to stderr (with --json: as JSON on stdout, and --out is required).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createEngine } from '../engine.js';
import { WaybillError } from '../errors.js';
import type { ContributionMethod, GbdtModel } from '../kernels/ml/gbdt.js';
import { loadGbdtModelBinary } from '../kernels/ml/gbdt-binary.js';
import { loadGbdtModel } from '../kernels/ml/gbdt-json.js';
import type { ObjectiveName } from '../kernels/ml/objectives.js';
import { loadUpliftModel, UPLIFT_FORMAT, type UpliftModel } from '../kernels/ml/uplift.js';
import { evaluateUplift } from '../kernels/ml/uplift-metrics.js';
import { checkWritable } from './out-path.js';
import { type ColumnInfo, objectiveMetrics, readCsvFile } from './train.js';

export interface PredictArgs {
  model: string;
  file: string;
  out?: string;
  id?: string;
  raw?: boolean;
  iterations?: number;
  contributions?: ContributionMethod;
  json?: boolean;
}

/** How the CSV's columns become the model's features. */
interface FeatureSchema {
  columns: ColumnInfo[];
  /** The target column of `waybill train`, when the model records it. */
  target?: string;
  /** Where the schema came from, for the summary. */
  source: 'dataset' | 'featureNames';
}

const MISSING = new Set(['', 'na', 'nan', 'null']);

function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

function bad(message: string, details: Record<string, unknown>): never {
  throw new WaybillError('INVALID_ARGUMENT', message, details);
}

/** Reads a model file: `waybill-gbdt` JSON (with or without `dataset`) or the binary format. */
export function readModelFile(path: string): { model: GbdtModel; schema: FeatureSchema } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    bad(`cannot read the model ${path}: ${(err as Error).message}`, { field: 'model', path });
  }
  let model: GbdtModel;
  let dataset: unknown;
  if (bytes.subarray(0, 4).toString('latin1') === 'WBGB') {
    model = loadGbdtModelBinary(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      bad(`the model ${path} is neither JSON nor a binary GBDT model: ${(err as Error).message}`, { field: 'model', path });
    }
    model = loadGbdtModel(doc);
    dataset = (doc as { dataset?: unknown }).dataset;
  }
  return { model, schema: schemaOf(model, dataset, path) };
}

/** The feature schema: the `dataset` entry of `waybill train` when present (checked), else the model's feature names. */
function schemaOf(model: GbdtModel, dataset: unknown, path: string): FeatureSchema {
  const p = model.numFeatures;
  if (dataset !== undefined) {
    const d = (typeof dataset === 'object' && dataset !== null ? dataset : {}) as { columns?: unknown; target?: unknown };
    const cols = d.columns;
    const wrong = (why: string): never => bad(`the model ${path}: dataset.columns ${why}`, { field: 'dataset.columns', path });
    if (!Array.isArray(cols) || cols.length !== p) wrong(`must list the model's ${p} feature columns`);
    const columns = (cols as unknown[]).map((c, f): ColumnInfo => {
      const col = c as { name?: unknown; type?: unknown; categories?: unknown };
      if (typeof col !== 'object' || col === null || typeof col.name !== 'string') wrong(`[${f}] needs a name`);
      const categorical = model.categoricalFeatures.includes(f);
      if (col.type !== (categorical ? 'categorical' : 'numeric'))
        wrong(`[${f}] '${col.name}' must be ${categorical ? 'categorical' : 'numeric'}, as in the trees`);
      if (!categorical) return { name: col.name as string, type: 'numeric' };
      if (!Array.isArray(col.categories) || col.categories.some((v) => typeof v !== 'string'))
        wrong(`[${f}] '${col.name}' needs its categories (strings)`);
      return { name: col.name as string, type: 'categorical', categories: col.categories as string[] };
    });
    const target = typeof d.target === 'string' ? d.target : undefined;
    return { columns, ...(target === undefined ? {} : { target }), source: 'dataset' };
  }
  if (!model.featureNames)
    bad(
      `the model ${path} has no feature names, so the CSV's columns cannot be matched to its features: train it with featureNames (or with waybill train)`,
      { field: 'model', path },
    );
  // Without a dataset entry the categorical features take their integer codes as they are.
  const columns = model.featureNames.map(
    (name, f): ColumnInfo => ({ name, type: model.categoricalFeatures.includes(f) ? 'categorical' : 'numeric' }),
  );
  return { columns, source: 'featureNames' };
}

/**
 * Whether a target value is a label of the objective (logistic: 0 or 1; poisson, tweedie: >= 0):
 * the metrics treated any other logistic target as 0 and took a negative count's deviance.
 */
function isLabelOf(objective: ObjectiveName, y: number): boolean {
  if (objective === 'logistic') return y === 0 || y === 1;
  if (objective === 'poisson' || objective === 'tweedie') return y >= 0;
  return true;
}

/** A CSV cell as text (quoted when it holds a comma, quote or line break). */
function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A number as a CSV cell: shortest round-trip text; not finite as an empty (missing) cell. */
function numberCell(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

export interface ScoredTable {
  features: Float64Array;
  numFeatures: number;
  rows: number;
  /** The target column's values (NaN where missing), when the CSV has it. */
  labels?: Float64Array;
  ids?: string[];
  /** Per categorical column, the cells whose category the model never saw. */
  unseen: Record<string, number>;
}

/**
 * Builds the model's feature matrix from parsed CSV rows (header first). Errors name the line and
 * column: a model column not in the header, a short or long row, a numeric cell that is not a
 * finite number, a categorical code (models without `dataset`) that is not an integer >= 0.
 */
export function csvToFeatures(rows: string[][], schema: FeatureSchema, idColumn?: string): ScoredTable {
  const header = (rows[0] ?? []).map((h) => h.trim());
  if (header.length === 0) bad('the CSV is empty', { field: 'csv' });
  const body = rows.slice(1);
  if (body.length === 0) bad('the CSV has a header but zero rows', { field: 'csv', rows: 0 });
  // Header cells are trimmed, so the model's names are too (a name with outer spaces could never match).
  const names = schema.columns.map((c) => c.name.trim());
  // A name given twice is ambiguous only for the columns read: other columns are ignored, repeats (two empty names) too.
  const used = new Set([...names, ...(schema.target === undefined ? [] : [schema.target]), ...(idColumn === undefined ? [] : [idColumn])]);
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h) && used.has(h)) bad(`the CSV header names column '${h}' twice`, { field: 'csv', column: h });
    seen.add(h);
  }
  const missingCols = names.filter((name) => !seen.has(name));
  if (missingCols.length > 0)
    bad(`the CSV lacks the model's feature column${missingCols.length === 1 ? '' : 's'} ${missingCols.map((c) => `'${c}'`).join(', ')}`, {
      field: 'csv',
      columns: missingCols,
    });
  const idIndex = idColumn === undefined ? -1 : header.indexOf(idColumn);
  if (idColumn !== undefined && idIndex < 0)
    bad(`--id column '${idColumn}' is not in the header (${header.join(', ')})`, { field: 'id', column: idColumn });
  body.forEach((r, i) => {
    if (r.length !== header.length)
      throw new WaybillError('INVALID_LENGTH', `line ${i + 2} has ${r.length} cells, the header ${header.length}`, {
        field: 'csv',
        line: i + 2,
      });
  });
  const n = body.length;
  const p = schema.columns.length;
  const features = new Float64Array(n * p);
  const unseen: Record<string, number> = {};
  schema.columns.forEach((c, f) => {
    const j = header.indexOf(names[f] as string);
    if (c.type === 'categorical' && c.categories) {
      const code = new Map(c.categories.map((v, k) => [v, k]));
      // Any integer >= 0 that is not a training code: the trees send it where unseen categories go.
      const unseenCode = c.categories.length;
      let count = 0;
      body.forEach((r, i) => {
        const cell = r[j] as string;
        if (isMissing(cell)) features[i * p + f] = Number.NaN;
        else {
          const k = code.get(cell.trim());
          if (k === undefined) count++;
          features[i * p + f] = k ?? unseenCode;
        }
      });
      if (count > 0) unseen[c.name] = count;
      return;
    }
    body.forEach((r, i) => {
      const cell = r[j] as string;
      if (isMissing(cell)) {
        features[i * p + f] = Number.NaN;
        return;
      }
      const v = Number(cell.trim());
      if (!Number.isFinite(v))
        bad(`line ${i + 2}: column '${c.name}' is "${cell}", not a number`, { field: 'csv', line: i + 2, column: c.name });
      if (c.type === 'categorical' && !(Number.isInteger(v) && v >= 0))
        bad(`line ${i + 2}: column '${c.name}' is categorical: "${cell}" is not an integer code >= 0`, {
          field: 'csv',
          line: i + 2,
          column: c.name,
        });
      features[i * p + f] = v;
    });
  });
  const out: ScoredTable = { features, numFeatures: p, rows: n, unseen };
  if (idIndex >= 0) out.ids = body.map((r) => (r[idIndex] as string).trim());
  const t = schema.target === undefined ? -1 : header.indexOf(schema.target);
  if (t >= 0) {
    const labels = new Float64Array(n);
    body.forEach((r, i) => {
      const cell = r[t] as string;
      const v = isMissing(cell) ? Number.NaN : Number(cell.trim());
      labels[i] = Number.isFinite(v) ? v : Number.NaN;
    });
    out.labels = labels;
  }
  return out;
}

/** Runs `waybill predict`; returns the summary it reports (for tests and --json). */
export async function predictFile(args: PredictArgs): Promise<Record<string, unknown>> {
  if (args.json && args.out === undefined) bad('--json prints the summary on stdout: give --out for the predictions', { field: 'out' });
  const uplift = readUpliftModelFile(args.model);
  if (uplift) return predictUpliftFile(args, uplift);
  const { model, schema } = readModelFile(args.model);
  if (args.iterations !== undefined && args.iterations > model.trees.length)
    bad(`--iterations ${args.iterations}: the model has ${model.trees.length} trees`, { field: 'iterations' });
  const table = csvToFeatures(readCsvFile(args.file).rows, schema, args.id);
  if (args.out !== undefined) checkWritable(args.out);
  const p = table.numFeatures;
  const iterations = args.iterations === undefined ? {} : { numIterations: args.iterations };

  const engine = createEngine({ workers: 0 });
  let summary: Record<string, unknown>;
  let lines: string[];
  try {
    const t0 = performance.now();
    const res = await engine.kernels.ml.predict(model, table.features, p, { ...iterations, ...(args.raw ? { raw: true } : {}) });
    const predictions = res.predictions;
    const contrib = args.contributions
      ? await engine.kernels.ml.contributions(model, table.features, p, { ...iterations, method: args.contributions })
      : undefined;
    const ms = performance.now() - t0;

    // Metrics on the rows whose target is present and a label of the objective, on the response scale.
    let metrics: Record<string, number> | undefined;
    let labelled = 0;
    let invalidTargets = 0;
    if (table.labels) {
      const response = args.raw ? (await engine.kernels.ml.predict(model, table.features, p, iterations)).predictions : predictions;
      const keep: number[] = [];
      table.labels.forEach((y, i) => {
        if (Number.isNaN(y)) return;
        if (isLabelOf(model.objective.name, y)) keep.push(i);
        else invalidTargets++;
      });
      labelled = keep.length;
      if (labelled > 0)
        metrics = objectiveMetrics(
          model.objective,
          Float64Array.from(keep, (i) => table.labels?.[i] as number),
          Float64Array.from(keep, (i) => response[i] as number),
        );
    }
    const header = [
      ...(table.ids ? [args.id as string] : []),
      'prediction',
      ...(contrib ? [...schema.columns.map((c) => `contrib_${c.name}`), 'contrib_bias'] : []),
    ];
    lines = [header.map(csvCell).join(',')];
    let notFinite = 0;
    for (let i = 0; i < table.rows; i++) {
      const y = predictions[i] as number;
      if (!Number.isFinite(y)) notFinite++;
      const cells = table.ids ? [csvCell(table.ids[i] as string), numberCell(y)] : [numberCell(y)];
      if (contrib) {
        const w = contrib.columns;
        for (let k = 0; k < w; k++) cells.push(numberCell(contrib.contributions[i * w + k] as number));
      }
      lines.push(cells.join(','));
    }
    summary = {
      model: args.model,
      file: args.file,
      rows: table.rows,
      features: p,
      columnsBy: schema.source,
      trees: args.iterations ?? model.trees.length,
      objective: model.objective,
      scale: args.raw ? 'raw' : 'response',
      backend: res.backend,
      ...(contrib ? { contributions: contrib.method, contributionsBackend: contrib.backend } : {}),
      ms,
      unseenCategories: table.unseen,
      notFinite,
      ...(metrics ? { target: schema.target, labelledRows: labelled, metrics } : {}),
      ...(invalidTargets > 0 ? { invalidTargets } : {}),
      ...(args.out !== undefined ? { out: args.out } : {}),
    };
  } finally {
    await engine.close();
  }
  const csv = `${lines.join('\n')}\n`;
  if (args.out !== undefined) writeFileSync(args.out, csv);
  else process.stdout.write(csv);
  if (args.json) console.log(JSON.stringify(summary));
  else {
    const unseen = Object.entries(table.unseen)
      .map(([c, k]) => `${c} ${k}`)
      .join(', ');
    const metrics = summary.metrics as Record<string, number> | undefined;
    process.stderr.write(
      `${table.rows} rows scored with ${summary.trees} trees on the ${summary.backend} backend in ${(summary.ms as number).toFixed(1)} ms` +
        ` (${summary.scale} scale${args.contributions ? `, ${args.contributions} contributions` : ''})\n` +
        (unseen ? `categories not seen in training (sent where unseen categories go): ${unseen}\n` : '') +
        ((summary.notFinite as number) > 0 ? `${summary.notFinite} predictions are not finite (empty cells)\n` : '') +
        (summary.invalidTargets
          ? `${summary.invalidTargets} rows have a ${schema.target} that is not a ${model.objective.name} label (left out of the metrics)\n`
          : '') +
        (metrics
          ? `${schema.target} (${summary.labelledRows} rows with a target): ${Object.entries(metrics)
              .filter(([k]) => k !== 'alpha')
              .map(([k, x]) => `${k} ${x.toPrecision(5)}`)
              .join(', ')}\n`
          : '') +
        (args.out !== undefined ? `predictions written to ${args.out}\n` : ''),
    );
  }
  return summary;
}

/** An uplift model file (`waybill-uplift` JSON, as `waybill train --treatment` writes it), else undefined. */
function readUpliftModelFile(path: string): { model: UpliftModel; schema: FeatureSchema; treatment?: string; arms: string[] } | undefined {
  let doc: { format?: unknown; dataset?: { treatment?: unknown; arms?: unknown } };
  try {
    const bytes = readFileSync(path);
    if (bytes.subarray(0, 1).toString('latin1') !== '{') return undefined;
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined; // readModelFile says what is wrong
  }
  if (doc?.format !== UPLIFT_FORMAT) return undefined;
  const model = loadUpliftModel(doc);
  const base = model.outcomeModels[0] as GbdtModel;
  const p = model.numFeatures;
  // The features as the base models see them (the S-learner's arm column, the last, left out).
  const features = {
    numFeatures: p,
    categoricalFeatures: base.categoricalFeatures.filter((f) => f < p),
    ...(model.featureNames ? { featureNames: model.featureNames } : {}),
  } as GbdtModel;
  const schema = schemaOf(features, doc.dataset, path);
  const d = doc.dataset ?? {};
  // A dataset entry's arm names head the uplift_ columns and name best_arm: wrong ones are an
  // error, not a silent fall-back to the arm numbers (or duplicate columns).
  if (
    d.arms !== undefined &&
    !(
      Array.isArray(d.arms) &&
      d.arms.length === model.arms &&
      d.arms.every((a) => typeof a === 'string') &&
      new Set(d.arms).size === d.arms.length
    )
  )
    bad(`the model ${path}: dataset.arms must list the model's ${model.arms} arm names (distinct strings, control first)`, {
      field: 'dataset.arms',
      path,
    });
  if (d.treatment !== undefined && typeof d.treatment !== 'string')
    bad(`the model ${path}: dataset.treatment must be the treatment column's name`, { field: 'dataset.treatment', path });
  const arms = (d.arms as string[] | undefined) ?? Array.from({ length: model.arms }, (_, k) => String(k));
  return { model, schema, ...(typeof d.treatment === 'string' ? { treatment: d.treatment } : {}), arms };
}

/**
 * `waybill predict` of an uplift model: per row the id (--id), `uplift_<arm>` for each treatment
 * (its predicted effect on the outcome against control) and `best_arm` (the arm with the largest
 * positive effect, else the control's name). When the CSV has the target and the treatment
 * columns, each treatment is evaluated against control there (Qini, effect on the top 30 % and
 * on all rows).
 */
async function predictUpliftFile(
  args: PredictArgs,
  u: { model: UpliftModel; schema: FeatureSchema; treatment?: string; arms: string[] },
): Promise<Record<string, unknown>> {
  for (const [flag, v] of [
    ['raw', args.raw],
    ['iterations', args.iterations],
    ['contributions', args.contributions],
  ] as const)
    if (v !== undefined && v !== false) bad(`--${flag} applies to GBDT models, not to uplift models`, { field: flag });
  const { rows } = readCsvFile(args.file);
  const table = csvToFeatures(rows, u.schema, args.id);
  if (args.out !== undefined) checkWritable(args.out);
  const engine = createEngine({ workers: 0 });
  let pred: Awaited<ReturnType<typeof engine.kernels.ml.predictUplift>>;
  const t0 = performance.now();
  try {
    pred = await engine.kernels.ml.predictUplift(u.model, table.features, table.numFeatures);
  } finally {
    await engine.close();
  }
  const ms = performance.now() - t0;
  const K = pred.treatments;
  const lines = [
    [...(table.ids ? [args.id as string] : []), ...u.arms.slice(1).map((a) => `uplift_${a}`), 'best_arm'].map(csvCell).join(','),
  ];
  for (let i = 0; i < table.rows; i++) {
    const cells = table.ids ? [csvCell(table.ids[i] as string)] : [];
    for (let k = 0; k < K; k++) cells.push(numberCell(pred.uplift[i * K + k] as number));
    cells.push(csvCell(u.arms[pred.bestArm[i] as number] as string));
    lines.push(cells.join(','));
  }
  // Evaluation when the CSV holds the target and the treatment (with values the model knows).
  const evaluation: Array<Record<string, unknown>> = [];
  const header = (rows[0] ?? []).map((h) => h.trim());
  const tc = u.treatment === undefined ? -1 : header.indexOf(u.treatment);
  if (table.labels && tc >= 0) {
    const armIndex = new Map(u.arms.map((a, k) => [a, k]));
    const arm = rows.slice(1).map((r) => armIndex.get((r[tc] ?? '').trim()) ?? -1);
    for (let k = 1; k <= K; k++) {
      const idx: number[] = [];
      arm.forEach((a, i) => {
        if ((a === 0 || a === k) && Number.isFinite(table.labels?.[i] as number)) idx.push(i);
      });
      if (!idx.some((i) => arm[i] === k) || !idx.some((i) => arm[i] === 0)) continue;
      const e = evaluateUplift(
        Float64Array.from(idx, (i) => pred.uplift[i * K + k - 1] as number),
        idx.map((i) => (arm[i] === k ? 1 : 0)),
        Float64Array.from(idx, (i) => table.labels?.[i] as number),
        { fractions: [0.3, 1] },
      );
      evaluation.push({ arm: u.arms[k], rows: e.rows, qini: e.qini, upliftTop30: e.upliftAt[0]?.uplift, ate: e.ate });
    }
  }
  const summary: Record<string, unknown> = {
    model: args.model,
    file: args.file,
    rows: table.rows,
    features: table.numFeatures,
    method: u.model.method,
    arms: u.arms,
    backend: pred.backend,
    ms,
    unseenCategories: table.unseen,
    ...(evaluation.length ? { evaluation } : {}),
    ...(args.out !== undefined ? { out: args.out } : {}),
  };
  const csv = `${lines.join('\n')}\n`;
  if (args.out !== undefined) writeFileSync(args.out, csv);
  else process.stdout.write(csv);
  if (args.json) console.log(JSON.stringify(summary));
  else {
    const f = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x.toPrecision(4) : '-');
    process.stderr.write(
      `${table.rows} rows scored with the ${u.model.method} uplift model on the ${pred.backend} backend in ${ms.toFixed(1)} ms\n` +
        evaluation
          .map(
            (e) =>
              `${e.arm} vs '${u.arms[0]}' (${e.rows} rows): Qini ${f(e.qini)}, effect top 30 % ${f(e.upliftTop30)}, all rows ${f(e.ate)}\n`,
          )
          .join('') +
        (args.out !== undefined ? `predictions written to ${args.out}\n` : ''),
    );
  }
  return summary;
}
