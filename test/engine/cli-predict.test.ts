/**
 * `waybill predict`: a model trained by `waybill train` scores a CSV whose columns come in another
 * order, with an id, extra columns, an unseen category and missing cells; contributions sum to
 * the margin; metrics when the target is present; binary models with feature names; bad input
 * with its line and column; the command line (stdout, exit codes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { predictFile } from '../../src/cli/predict.js';
import { csvToTable, objectiveMetrics, parseCsv, parseTrainArgs, trainFile } from '../../src/cli/train.js';
import { type GbdtModel, gbdtPredict, trainGbdt } from '../../src/kernels/ml/gbdt.js';
import { saveGbdtModelBinary } from '../../src/kernels/ml/gbdt-binary.js';
import { gbdtToJson, loadGbdtModel } from '../../src/kernels/ml/gbdt-json.js';
import { makeSyntheticTabular } from '../../src/kernels/ml/synthetic.js';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));

function waybill(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

/** Runs fn with stdout / stderr captured; returns what it wrote. */
async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; stdout: string; stderr: string }> {
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const value = await fn();
    return {
      value,
      stdout: [...out.mock.calls.map((c) => String(c[0])), ...log.mock.calls.map((c) => `${String(c[0])}\n`)].join(''),
      stderr: err.mock.calls.map((c) => String(c[0])).join(''),
    };
  } finally {
    err.mockRestore();
    out.mockRestore();
    log.mockRestore();
  }
}

/** x0..x2 numeric, c0 text categories, an id column and the target y. */
function trainingCsv(rows: number, seed: number): string {
  const d = makeSyntheticTabular({ rows, task: 'regression', numericFeatures: 3, categoricalFeatures: 1, categories: 6, seed, noise: 0.3 });
  const lines = ['id,x0,x1,x2,c0,y'];
  for (let i = 0; i < rows; i++) {
    const cell = (f: number) => {
      const v = d.features[i * 4 + f] as number;
      if (Number.isNaN(v)) return '';
      return f === 3 ? `shop_${v}` : String(v);
    };
    lines.push([`r${i}`, cell(0), cell(1), cell(2), cell(3), String(d.labels[i])].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Rows of a CSV (header first) with the columns reordered as `order`. */
function reorder(text: string, order: string[]): string {
  const rows = parseCsv(text);
  const header = rows[0] as string[];
  const idx = order.map((c) => header.indexOf(c));
  return `${rows.map((r) => idx.map((j) => r[j] as string).join(',')).join('\n')}\n`;
}

function readCsv(path: string): string[][] {
  return parseCsv(readFileSync(path, 'utf8'));
}

describe('waybill predict', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-predict-'));
  const csv = join(dir, 'train.csv');
  const modelPath = join(dir, 'model.json');
  let model: GbdtModel;
  let text: string;

  beforeAll(async () => {
    text = trainingCsv(1500, 5);
    writeFileSync(csv, text);
    const args = parseTrainArgs(csv, { target: 'y', drop: 'id', rounds: '30', out: modelPath, json: true });
    if (typeof args === 'string') throw new Error(args);
    await quiet(() => trainFile(args));
    model = loadGbdtModel(readFileSync(modelPath, 'utf8'));
  });

  it('maps columns by name in any order and categories to the training codes; metrics on the target', async () => {
    const shuffled = join(dir, 'shuffled.csv');
    writeFileSync(shuffled, reorder(text, ['c0', 'y', 'x2', 'id', 'x0', 'x1']));
    const out = join(dir, 'pred.csv');
    const { value: s, stderr } = await quiet(() => predictFile({ model: modelPath, file: shuffled, out, id: 'id' }));
    const table = csvToTable(parseCsv(text), { target: 'y', drop: ['id'] });
    const expected = gbdtPredict(model, table.features, table.numFeatures);
    const rows = readCsv(out);
    expect(rows[0]).toEqual(['id', 'prediction']);
    expect(rows).toHaveLength(1501);
    expect(rows[1]?.[0]).toBe('r0');
    // Shortest round-trip text: the predictions read back bit for bit (native = reference trees).
    expect(Float64Array.from(rows.slice(1), (r) => Number(r[1]))).toEqual(expected);
    expect(s).toMatchObject({ rows: 1500, features: 4, columnsBy: 'dataset', trees: model.trees.length, target: 'y', labelledRows: 1500 });
    expect(s.unseenCategories).toEqual({});
    expect(s.metrics).toEqual(objectiveMetrics(model.objective, table.labels, expected));
    expect(stderr).toMatch(/^1500 rows scored with \d+ trees on the (js|native) backend/);
    expect(stderr).toMatch(/y \(1500 rows with a target\): rmse [0-9.]+, mae [0-9.]+/);
  });

  it('unseen categories go where the trees send them and are counted; missing cells and targets', async () => {
    const rows = parseCsv(text).slice(0, 6);
    const set = (r: number, c: number, v: string) => {
      (rows[r] as string[])[c] = v;
    };
    set(1, 4, 'shop_never_seen'); // c0
    set(2, 4, 'NA');
    set(3, 1, ''); // x0 missing
    set(4, 5, ''); // no target
    const path = join(dir, 'odd.csv');
    writeFileSync(path, `${rows.map((r) => r.join(',')).join('\n')}\n`);
    const out = join(dir, 'odd-pred.csv');
    const { value: s, stderr } = await quiet(() => predictFile({ model: modelPath, file: path, out }));
    expect(s.unseenCategories).toEqual({ c0: 1 });
    expect(s.labelledRows).toBe(4);
    expect(stderr).toContain('categories not seen in training (sent where unseen categories go): c0 1');
    // The same rows by hand: c0's code for a value it never saw is one past its categories.
    const doc = JSON.parse(readFileSync(modelPath, 'utf8')) as { dataset: { columns: Array<{ categories?: string[] }> } };
    const cats = doc.dataset.columns[3]?.categories as string[];
    const f = new Float64Array(5 * 4);
    rows.slice(1).forEach((r, i) => {
      for (let k = 0; k < 3; k++) f[i * 4 + k] = r[k + 1] === '' ? Number.NaN : Number(r[k + 1]);
      const c = r[4] as string;
      f[i * 4 + 3] = c === 'NA' ? Number.NaN : cats.includes(c) ? cats.indexOf(c) : cats.length;
    });
    const expected = gbdtPredict(model, f, 4);
    expect(Float64Array.from(readCsv(out).slice(1), (r) => Number(r[0]))).toEqual(expected);
    // An unseen category goes right at every categorical split: as a missing value does not have to.
    const asOther = Float64Array.from(f);
    asOther[3] = 1e6;
    expect(gbdtPredict(model, asOther, 4)[0]).toBe(expected[0]);
  });

  it('--raw with --contributions: one column per feature and the bias, each row summing to the margin', async () => {
    const out = join(dir, 'contrib.csv');
    const { value: s } = await quiet(() =>
      predictFile({ model: modelPath, file: csv, out, raw: true, contributions: 'treeshap', iterations: 10 }),
    );
    expect(s).toMatchObject({ scale: 'raw', contributions: 'treeshap', trees: 10 });
    const rows = readCsv(out);
    expect(rows[0]).toEqual(['prediction', 'contrib_x0', 'contrib_x1', 'contrib_x2', 'contrib_c0', 'contrib_bias']);
    const table = csvToTable(parseCsv(text), { target: 'y', drop: ['id'] });
    const margin = gbdtPredict(model, table.features, 4, { raw: true, numIterations: 10 });
    rows.slice(1).forEach((r, i) => {
      const sum = r.slice(1).reduce((a, c) => a + Number(c), 0);
      expect(Number(r[0])).toBe(margin[i]);
      expect(Math.abs(sum - (margin[i] as number))).toBeLessThan(1e-9);
    });
  });

  it('a binary model with feature names takes integer category codes; one without names is refused', async () => {
    const binPath = join(dir, 'model.wbgb');
    writeFileSync(binPath, saveGbdtModelBinary(model));
    const table = csvToTable(parseCsv(text), { target: 'y', drop: ['id'] });
    const lines = ['x1,c0,x0,x2'];
    for (let i = 0; i < 20; i++) {
      const v = (k: number) => {
        const x = table.features[i * 4 + k] as number;
        return Number.isNaN(x) ? '' : String(x);
      };
      lines.push([v(1), v(3), v(0), v(2)].join(','));
    }
    const codes = join(dir, 'codes.csv');
    writeFileSync(codes, `${lines.join('\n')}\n`);
    const out = join(dir, 'bin-pred.csv');
    const { value: s } = await quiet(() => predictFile({ model: binPath, file: codes, out }));
    expect(s.columnsBy).toBe('featureNames');
    expect(s.metrics).toBeUndefined();
    const expected = gbdtPredict(model, table.features.subarray(0, 80), 4);
    expect(Float64Array.from(readCsv(out).slice(1), (r) => Number(r[0]))).toEqual(expected);

    writeFileSync(codes, 'x1,c0,x0,x2\n1,2.5,3,4\n');
    await expect(predictFile({ model: binPath, file: codes, out })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('line 2: column \'c0\' is categorical: "2.5" is not an integer code >= 0'),
      details: { field: 'csv', line: 2, column: 'c0' },
    });
    const anonymous = join(dir, 'anonymous.json');
    const { featureNames: _names, ...rest } = model;
    writeFileSync(anonymous, JSON.stringify(gbdtToJson(rest)));
    await expect(predictFile({ model: anonymous, file: codes, out })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('has no feature names'),
      details: { field: 'model' },
    });
  });

  it('bad input names the line, column or field, and writes nothing', async () => {
    const out = join(dir, 'never.csv');
    const write = (name: string, body: string) => {
      const p = join(dir, name);
      writeFileSync(p, body);
      return p;
    };
    const call = (file: string, extra: Partial<Parameters<typeof predictFile>[0]> = {}) =>
      predictFile({ model: modelPath, file, out, ...extra });
    await expect(call(write('no-x2.csv', 'x0,x1,c0\n1,2,shop_1\n'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: "the CSV lacks the model's feature column 'x2'",
      details: { columns: ['x2'] },
    });
    await expect(call(write('text.csv', 'x0,x1,x2,c0\n1,2,3,shop_1\n1,abc,3,shop_1\n'))).rejects.toMatchObject({
      details: { field: 'csv', line: 3, column: 'x1' },
    });
    await expect(call(write('short.csv', 'x0,x1,x2,c0\n1,2,3\n'))).rejects.toMatchObject({
      code: 'INVALID_LENGTH',
      details: { line: 2 },
    });
    await expect(call(write('dup.csv', 'x0,x1,x2,c0,x0\n1,2,3,shop_1,4\n'))).rejects.toMatchObject({
      message: "the CSV header names column 'x0' twice",
    });
    await expect(call(write('empty.csv', 'x0,x1,x2,c0\n'))).rejects.toMatchObject({ details: { rows: 0 } });
    const ok = write('ok.csv', 'x0,x1,x2,c0\n1,2,3,shop_1\n');
    await expect(call(ok, { id: 'order' })).rejects.toMatchObject({ details: { field: 'id', column: 'order' } });
    await expect(call(ok, { iterations: 1000 })).rejects.toMatchObject({ details: { field: 'iterations' } });
    await expect(predictFile({ model: modelPath, file: ok, json: true })).rejects.toMatchObject({ details: { field: 'out' } });
    await expect(call(ok, { out: join(dir, 'missing', 'p.csv') })).rejects.toMatchObject({ details: { argument: 'out' } });
    // A dataset entry that does not fit the trees is refused, not used.
    const doc = JSON.parse(readFileSync(modelPath, 'utf8')) as { dataset: { columns: Array<{ type: string }> } };
    (doc.dataset.columns[3] as { type: string }).type = 'numeric';
    const broken = write('broken.json', JSON.stringify(doc));
    await expect(predictFile({ model: broken, file: ok, out })).rejects.toMatchObject({
      message: expect.stringContaining("dataset.columns [3] 'c0' must be categorical"),
      details: { field: 'dataset.columns' },
    });
    await expect(predictFile({ model: write('junk.json', '{"format":'), file: ok, out })).rejects.toMatchObject({
      message: expect.stringContaining('neither JSON nor a binary GBDT model'),
    });
    expect(() => readFileSync(out)).toThrow();
  });

  it('the command line: CSV on stdout, --json summary, usage errors exit 2, data errors exit 1', () => {
    const ok = join(dir, 'cli.csv');
    writeFileSync(ok, 'x0,x1,x2,c0\n1,2,3,shop_1\n,0.5,-1,shop_3\n');
    const res = waybill('predict', modelPath, ok);
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toBe('prediction');
    expect(lines).toHaveLength(3);
    expect(res.stderr).toMatch(/^2 rows scored with/);
    const out = join(dir, 'cli-pred.csv');
    const json = waybill('predict', modelPath, ok, '--out', out, '--json');
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ rows: 2, out });
    expect(readFileSync(out, 'utf8').trim().split('\n').slice(1)).toEqual(lines.slice(1));
    for (const args of [
      ['predict', modelPath],
      ['predict', modelPath, ok, '--contributions', 'lime'],
      ['predict', modelPath, ok, '--iterations', '0'],
      ['predict', modelPath, ok, '--target', 'y'],
    ]) {
      const r = waybill(...args);
      expect(r.status, args.join(' ')).toBe(2);
    }
    const missing = waybill('predict', join(dir, 'nope.json'), ok);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/waybill: INVALID_ARGUMENT: cannot read the model .*nope\.json/);
  });
});

/** Defects found by an adversarial review and a seeded fuzz of `waybill predict`. */
describe('waybill predict: review and fuzz regressions', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-predict-fuzz-'));
  const x = Float64Array.from({ length: 60 }, (_, i) => i % 4);
  /** A waybill-gbdt model on one feature called `name` (prediction = f(x)). */
  const oneFeature = (name: string) => {
    const path = join(dir, `one-${JSON.stringify(name).length}-${name.trim()}.json`);
    const m = trainGbdt({ features: x, numFeatures: 1, labels: x }, { numIterations: 3, minDataInLeaf: 2, featureNames: [name] }).model;
    writeFileSync(path, JSON.stringify(gbdtToJson(m)));
    return { path, model: m };
  };
  const run = async (model: string, csvText: string, args: { id?: string } = {}) => {
    const file = join(dir, `in-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(file, csvText);
    const out = `${file}.out`;
    const { value, stderr } = await quiet(() => predictFile({ model, file, out, ...args }));
    return { summary: value, rows: readCsv(out), stderr };
  };

  it('a line holding only "" is a row with a missing cell: one output row per input row', async () => {
    const { path, model } = oneFeature('x');
    const { rows, summary } = await run(path, 'x\n1\n""\n3\n');
    expect(summary.rows).toBe(3);
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(Array.from(gbdtPredict(model, new Float64Array([1, Number.NaN, 3]), 1)));
    expect(parseCsv('x\n""\n')).toEqual([['x'], ['']]);
    expect(parseCsv('x\n\n1\n')).toEqual([['x'], ['1']]); // a blank line is still skipped
  });

  it('a model feature name with outer spaces matches the (trimmed) header; unused repeated columns are ignored', async () => {
    const { path, model } = oneFeature(' x ');
    const { rows } = await run(path, 'x,,\n2,a,b\n');
    expect(Number(rows[1]?.[0])).toBe(gbdtPredict(model, new Float64Array([2]), 1)[0]);
    // A repeated column the model reads is still ambiguous.
    await expect(run(path, 'x,x\n1,2\n')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'csv', column: 'x' } });
  });

  it('metrics leave out targets that are not labels of the objective (logistic: 2), and count them', async () => {
    const train = join(dir, 'bin.csv');
    writeFileSync(train, `a,y\n${Array.from({ length: 200 }, (_, i) => `${i % 5},${i % 5 > 1 ? 1 : 0}`).join('\n')}\n`);
    const modelPath = join(dir, 'bin.json');
    const args = parseTrainArgs(train, { target: 'y', objective: 'logistic', rounds: '5', out: modelPath, json: true });
    if (typeof args === 'string') throw new Error(args);
    await quiet(() => trainFile(args));
    const model = loadGbdtModel(readFileSync(modelPath, 'utf8'));
    const { summary, stderr } = await run(modelPath, 'a,y\n0,0\n3,1\n4,2\n1,0\n');
    const p = gbdtPredict(model, new Float64Array([0, 3, 1]), 1);
    expect(summary).toMatchObject({ labelledRows: 3, invalidTargets: 1 });
    expect(summary.metrics).toEqual(objectiveMetrics(model.objective, new Float64Array([0, 1, 0]), p));
    expect(stderr).toContain('1 rows have a y that is not a logistic label (left out of the metrics)');
  });
});
