/**
 * `waybill train <file.csv> --target col --treatment col [--control value] [--uplift-method
 * t-learner|s-learner|x-learner] --out model.json`: an uplift model of a randomised test
 * (src/kernels/ml/uplift.ts) from a CSV. The treatment column names each row's arm: the
 * `--control` value (default `0` when the column holds it) is arm 0, the other values, sorted
 * (numerically when they are all numbers), arms 1..K. It is not a feature. The other columns are
 * read as `waybill train` reads them (text and --categorical columns become category codes), and
 * the tree options (--rounds, --leaves, --lr, --seed, --lambda, --min-data, ...) go to the base
 * GBDTs. A seeded --valid-fraction is held out and every treatment is evaluated there against
 * control (Qini, measured effect on the top 10 / 30 % and on all rows). The model file is the
 * `waybill-uplift` JSON plus a `dataset` entry (target, treatment, arm names, columns with their
 * categories) that `waybill predict` reads.
 */
import { writeFileSync } from 'node:fs';
import { createEngine } from '../engine.js';
import { WaybillError } from '../errors.js';
import { type UpliftMethod, upliftToJson } from '../kernels/ml/uplift.js';
import { evaluateUplift } from '../kernels/ml/uplift-metrics.js';
import { checkWritable } from './out-path.js';
import { csvToTable, formatSeconds, readCsvFile, seededHoldout, type TrainArgs, takeRows } from './train.js';

export interface UpliftTrainArgs extends TrainArgs {
  treatment: string;
  control?: string;
  method: UpliftMethod;
}

/**
 * The arm of every row from the treatment column: control first, then the other values sorted.
 * `lines[i]`: the file line row i starts on (a quoted newline above it shifts it).
 */
function armsOf(
  rows: string[][],
  lines: number[],
  column: number,
  name: string,
  control: string | undefined,
): { arms: string[]; arm: Int32Array } {
  const values = rows.slice(1).map((r, i) => {
    const v = (r[column] ?? '').trim();
    const line = lines[i + 1] as number;
    if (v === '' || /^(na|nan|null)$/i.test(v))
      throw new WaybillError('INVALID_ARGUMENT', `line ${line}: the treatment '${name}' is missing: every row needs its arm`, {
        field: 'treatment',
        line,
      });
    return v;
  });
  const distinct = [...new Set(values)];
  const numeric = distinct.every((v) => Number.isFinite(Number(v)));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // '1' and '1.0' (or '01') would be two arms of one number: one arm split in two, silently.
  const same = numeric ? distinct.findIndex((v, k) => k > 0 && Number(v) === Number(distinct[k - 1])) : -1;
  if (same > 0)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `the treatment '${name}' writes one number two ways ('${distinct[same - 1]}' and '${distinct[same]}'): write each arm one way`,
      { field: 'treatment', values: [distinct[same - 1], distinct[same]] },
    );
  const c = control ?? (distinct.includes('0') ? '0' : undefined);
  if (c === undefined || !distinct.includes(c))
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `${c === undefined ? 'give --control <value>' : `--control '${c}' is not a value of '${name}'`}: the treatment column holds ${distinct
        .slice(0, 10)
        .map((v) => `'${v}'`)
        .join(', ')}${distinct.length > 10 ? ', ...' : ''}`,
      { field: 'control' },
    );
  const arms = [c, ...distinct.filter((v) => v !== c)];
  if (arms.length < 2)
    throw new WaybillError('INVALID_ARGUMENT', `the treatment column '${name}' holds only the control value '${c}'`, {
      field: 'treatment',
    });
  const index = new Map(arms.map((v, k) => [v, k]));
  return { arms, arm: Int32Array.from(values, (v) => index.get(v) as number) };
}

/** Runs `waybill train --treatment`; returns the summary it prints (for tests and --json). */
export async function trainUpliftFile(args: UpliftTrainArgs): Promise<Record<string, unknown>> {
  const { rows, lines } = readCsvFile(args.file);
  const header = (rows[0] ?? []).map((h) => h.trim());
  const t = header.indexOf(args.treatment);
  if (t < 0)
    throw new WaybillError('INVALID_ARGUMENT', `treatment column '${args.treatment}' is not in the header (${header.join(', ')})`, {
      field: 'treatment',
      column: args.treatment,
    });
  if (args.treatment === args.target)
    throw new WaybillError('INVALID_ARGUMENT', 'the treatment and the target must be different columns', { field: 'treatment' });
  const table = csvToTable(rows, { target: args.target, categorical: args.categorical, drop: [...args.drop, args.treatment] }, lines);
  const { arms, arm } = armsOf(rows, lines, t, args.treatment, args.control);
  checkWritable(args.out);
  const n = table.labels.length;
  const split = seededHoldout(n, args.validFraction, args.seed);
  // Every arm needs training rows: one the hold-out took whole would vanish from the model (or,
  // the control, fail with the kernel's arm numbers), leaving the file's arm names misaligned.
  const trainRows = new Array<number>(arms.length).fill(0);
  for (const r of split.train) trainRows[arm[r] as number] = (trainRows[arm[r] as number] as number) + 1;
  const missing = arms.filter((_, k) => trainRows[k] === 0);
  if (missing.length > 0)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `the ${args.treatment} value${missing.length === 1 ? '' : 's'} ${missing.map((a) => `'${a}'`).join(', ')} ha${missing.length === 1 ? 's' : 've'} no training rows (the --valid-fraction hold-out took all of them): every arm needs rows to train on; add rows or lower --valid-fraction`,
      { field: 'treatment', arms: missing },
    );
  const train = takeRows(table, split.train);
  const valid = split.valid.length > 0 ? takeRows(table, split.valid) : undefined;
  const names = table.columns.map((c) => c.name);
  if (!args.json)
    process.stderr.write(
      `${args.file}: ${n} rows, ${table.numFeatures} features, arms ${arms.map((a, k) => `${k} = '${a}'`).join(', ')}; ` +
        `${train.labels.length} train / ${split.valid.length} validation rows\n`,
    );
  const engine = createEngine({ workers: 0 });
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    const res = await engine.kernels.ml.trainUplift(
      {
        features: train.features,
        numFeatures: train.numFeatures,
        treatment: Int32Array.from(split.train, (r) => arm[r] as number),
        outcome: train.labels,
      },
      {
        method: args.method,
        gbdt: {
          numIterations: args.rounds,
          maxLeaves: args.leaves,
          learningRate: args.learningRate,
          seed: args.seed,
          categoricalFeatures: table.categoricalFeatures,
          featureNames: names,
          ...(args.tree ?? {}),
        },
        signal: ac.signal,
        onProgress: (p) => {
          if (!args.json) process.stderr.write(`train ${p.done}/${p.total}: ${p.stage}\n`);
        },
      },
    );
    // Each treatment against control on the held-out rows.
    const evaluation: Array<Record<string, unknown>> = [];
    if (valid) {
      const pred = await engine.kernels.ml.predictUplift(res.model, valid.features, valid.numFeatures);
      const K = pred.treatments;
      const validArm = Int32Array.from(split.valid, (r) => arm[r] as number);
      for (let k = 1; k <= K; k++) {
        const idx: number[] = [];
        validArm.forEach((a, i) => {
          if (a === 0 || a === k) idx.push(i);
        });
        const hasBoth = idx.some((i) => validArm[i] === k) && idx.some((i) => validArm[i] === 0);
        if (!hasBoth) {
          evaluation.push({ arm: arms[k], note: 'the validation rows lack this arm or control' });
          continue;
        }
        const e = evaluateUplift(
          Float64Array.from(idx, (i) => pred.uplift[i * K + k - 1] as number),
          idx.map((i) => (validArm[i] === k ? 1 : 0)),
          Float64Array.from(idx, (i) => valid.labels[i] as number),
          { fractions: [0.1, 0.3, 1] },
        );
        evaluation.push({
          arm: arms[k],
          rows: e.rows,
          qini: e.qini,
          upliftTop10: e.upliftAt[0]?.uplift,
          upliftTop30: e.upliftAt[1]?.uplift,
          ate: e.ate,
        });
      }
    }
    const summary: Record<string, unknown> = {
      file: args.file,
      target: args.target,
      treatment: args.treatment,
      arms,
      method: res.model.method,
      outcome: res.model.outcome,
      rows: n,
      trainRows: train.labels.length,
      validRows: split.valid.length,
      features: table.numFeatures,
      backend: res.backend,
      ms: res.timings.totalMs,
      evaluation,
      out: args.out,
    };
    const { out: _out, file: _file, ...recorded } = summary;
    writeFileSync(
      args.out,
      `${JSON.stringify({ ...upliftToJson(res.model), dataset: { source: args.file, columns: table.columns, dropped: args.drop, ...recorded } })}\n`,
    );
    if (args.json) console.log(JSON.stringify(summary));
    else {
      const f = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x.toPrecision(4) : '-');
      console.log(
        `${res.model.method} on the ${res.backend} backend in ${formatSeconds(res.timings.totalMs / 1000)} (${res.model.outcome} outcome)\n` +
          evaluation
            .map((e) =>
              e.note
                ? `${e.arm}: ${e.note}`
                : `${e.arm} vs '${arms[0]}' (${e.rows} validation rows): Qini ${f(e.qini)}, effect top 10 % ${f(e.upliftTop10)}, top 30 % ${f(e.upliftTop30)}, all rows ${f(e.ate)}`,
            )
            .join('\n') +
          `${evaluation.length ? '\n' : ''}model written to ${args.out}`,
      );
    }
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
}
