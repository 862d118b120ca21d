/**
 * `waybill train --treatment` and `waybill predict` of an uplift model: a synthetic randomised
 * test as CSV (a text treatment column, an effect only in one region), the arms named from the
 * column, the held-out evaluation, the per-row effects equal to the embedding API's, and the
 * usage and data errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { csvToTable, parseCsv } from '../../src/cli/train.js';
import { createEngine } from '../../src/index.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';
import { loadUpliftModel } from '../../src/kernels/ml/uplift.js';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));
const waybill = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

/** x, region (text), group ('none' / 'coupon' / 'call'); the coupon helps region 'north' only, the call nobody. */
function csv(rows: number, seed: number): string {
  const rng = mulberry32(seed);
  const lines = ['id,x,region,group,bought'];
  for (let i = 0; i < rows; i++) {
    const x = 2 * rng() - 1;
    const region = ['north', 'south', 'east'][Math.floor(rng() * 3)] as string;
    const group = ['none', 'coupon', 'call'][Math.floor(rng() * 3)] as string;
    const p = 0.25 + 0.1 * x + (group === 'coupon' && region === 'north' ? 0.35 : 0);
    lines.push([`c${i}`, x.toFixed(4), region, group, rng() < p ? 1 : 0].join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('waybill train --treatment / predict (uplift)', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-uplift-'));
  const data = join(dir, 'test.csv');
  const text = csv(6000, 3);
  writeFileSync(data, text);
  const model = join(dir, 'uplift.json');

  it('trains with arms named from the column, evaluates on held-out rows, and predict gives the effects per row', async () => {
    const res = waybill(
      'train',
      data,
      '--target',
      'bought',
      '--treatment',
      'group',
      '--control',
      'none',
      '--drop',
      'id',
      '--rounds',
      '40',
      '--leaves',
      '7',
      '--min-data',
      '50',
      '--out',
      model,
      '--json',
    );
    expect(res.status, res.stderr).toBe(0);
    const s = JSON.parse(res.stdout) as {
      arms: string[];
      method: string;
      outcome: string;
      evaluation: Array<{ arm: string; qini: number; ate: number }>;
    };
    expect(s).toMatchObject({ arms: ['none', 'call', 'coupon'], method: 't-learner', outcome: 'binary' });
    const coupon = s.evaluation.find((e) => e.arm === 'coupon');
    const call = s.evaluation.find((e) => e.arm === 'call');
    // The coupon's effect sits in one region the model can find; the call has none.
    expect(coupon?.qini).toBeGreaterThan(0.02);
    expect(Math.abs(call?.qini as number)).toBeLessThan(0.02);

    const out = join(dir, 'effects.csv');
    const pred = waybill('predict', model, data, '--id', 'id', '--out', out);
    expect(pred.status, pred.stderr).toBe(0);
    expect(pred.stderr).toMatch(/coupon vs 'none' \(\d+ rows\): Qini /);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]).toEqual(['id', 'uplift_call', 'uplift_coupon', 'best_arm']);
    expect(rows).toHaveLength(6001);
    // The same numbers as the embedding API on the same features.
    const doc = JSON.parse(readFileSync(model, 'utf8'));
    const table = csvToTable(parseCsv(text), { target: 'bought', drop: ['id', 'group'] });
    const engine = createEngine({ workers: 0 });
    try {
      const direct = await engine.kernels.ml.predictUplift(loadUpliftModel(doc), table.features, table.numFeatures);
      expect(Float64Array.from(rows.slice(1), (r) => Number(r[2]))).toEqual(
        Float64Array.from({ length: 6000 }, (_, i) => direct.uplift[i * 2 + 1] as number),
      );
      const names = ['none', 'call', 'coupon'];
      expect(rows.slice(1).map((r) => r[3])).toEqual(Array.from(direct.bestArm, (a) => names[a]));
    } finally {
      await engine.close();
    }
    // North rows get the coupon as their best arm far more often than the others.
    const north = rows.slice(1).filter((_, i) => table.features[i * 2 + 1] === doc.dataset.columns[1].categories.indexOf('north'));
    expect(north.filter((r) => r[3] === 'coupon').length / north.length).toBeGreaterThan(0.8);
  });

  it('usage and data errors', () => {
    const base = ['train', data, '--target', 'bought', '--drop', 'id', '--out', join(dir, 'x.json')];
    for (const extra of [
      ['--treatment', 'group', '--objective', 'logistic'],
      ['--treatment', 'group', '--uplift-method', 'r-learner'],
      ['--control', 'none'],
    ]) {
      const r = waybill(...base, ...extra);
      expect(r.status, extra.join(' ')).toBe(2);
    }
    const noControl = waybill(...base, '--treatment', 'group');
    expect(noControl.status).toBe(1);
    expect(noControl.stderr).toContain("give --control <value>: the treatment column holds 'call', 'coupon', 'none'");
    const wrongControl = waybill(...base, '--treatment', 'group', '--control', 'email');
    expect(wrongControl.stderr).toContain("--control 'email' is not a value of 'group'");
    const sameAsTarget = waybill(...base, '--treatment', 'bought', '--control', '0');
    expect(sameAsTarget.stderr).toContain('the treatment and the target must be different columns');
    const raw = waybill('predict', model, data, '--raw');
    expect(raw.status).toBe(1);
    expect(raw.stderr).toContain('--raw applies to GBDT models, not to uplift models');
  });
  it('an arm whose rows the hold-out takes whole is an error naming it, not a model with misnamed arms', () => {
    // 200 rows; the seed-0 hold-out of 20 % takes row 0, the only 'z' (or the only control 'a').
    for (const [only, control] of [
      ['z', 'a'],
      ['a', 'a'],
    ] as const) {
      const lines = ['x,t,y'];
      for (let i = 0; i < 200; i++)
        lines.push(`${((i * 0.37) % 1).toFixed(3)},${i === 0 ? only : i % 2 ? 'b' : only === 'z' ? 'a' : 'c'},${i % 3 ? 1 : 0}`);
      const file = join(dir, `once-${only}.csv`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const r = waybill(
        'train',
        file,
        '--target',
        'y',
        '--treatment',
        't',
        '--control',
        control,
        '--rounds',
        '5',
        '--out',
        join(dir, 'once.json'),
      );
      expect(r.status, only).toBe(1);
      expect(r.stderr).toContain(`waybill: INVALID_ARGUMENT: the t value '${only}' has no training rows`);
    }
  });

  it('a missing treatment names its file line, counting quoted newlines above it', () => {
    const file = join(dir, 'quoted.csv');
    // Line 2 holds a quoted newline, so the row with the empty treatment starts on line 5.
    writeFileSync(file, 'note,x,t,y\n"two\nlines",1,a,1\nplain,2,b,0\nempty,3,,1\nplain,4,a,0\n');
    const r = waybill('train', file, '--target', 'y', '--treatment', 't', '--control', 'a', '--out', join(dir, 'q.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("waybill: INVALID_ARGUMENT: line 5: the treatment 't' is missing");
  });

  it('a numeric treatment writing one number two ways is an error, not two arms', () => {
    const file = join(dir, 'spelt.csv');
    const lines = ['x,t,y'];
    for (let i = 0; i < 60; i++) lines.push(`${i},${['0', '1', i === 8 ? '1.0' : '1'][i % 3]},${i % 2}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = waybill('train', file, '--target', 'y', '--treatment', 't', '--rounds', '5', '--out', join(dir, 's.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("waybill: INVALID_ARGUMENT: the treatment 't' writes one number two ways ('1' and '1.0')");
  });

  it('a repeated header name is an error, not the first column silently taken', () => {
    const file = join(dir, 'dup.csv');
    writeFileSync(file, `${text.split('\n')[0]?.replace('id,', 'bought,')}\n${text.split('\n').slice(1).join('\n')}`);
    const r = waybill('train', file, '--target', 'bought', '--treatment', 'group', '--control', 'none', '--out', join(dir, 'dup.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("waybill: INVALID_ARGUMENT: the header names column 'bought' more than once");
  });

  it('a hand-edited dataset entry is an error naming the field, not fall-back arm names or a TypeError', () => {
    const doc = JSON.parse(readFileSync(model, 'utf8'));
    for (const [what, edit, field] of [
      ['arms too short', (d: { dataset: Record<string, unknown> }) => (d.dataset.arms = ['none', 'call']), 'dataset.arms'],
      ['arms numbers', (d: { dataset: Record<string, unknown> }) => (d.dataset.arms = [0, 1, 2]), 'dataset.arms'],
      ['arms repeated', (d: { dataset: Record<string, unknown> }) => (d.dataset.arms = ['none', 'call', 'call']), 'dataset.arms'],
      ['arms null', (d: { dataset: Record<string, unknown> }) => (d.dataset.arms = null), 'dataset.arms'],
      ['treatment a number', (d: { dataset: Record<string, unknown> }) => (d.dataset.treatment = 3), 'dataset.treatment'],
      ['dataset null', (d: { dataset: unknown }) => (d.dataset = null), 'dataset.columns'],
    ] as const) {
      const d = structuredClone(doc);
      edit(d);
      const file = join(dir, 'edited.json');
      writeFileSync(file, JSON.stringify(d));
      const r = waybill('predict', file, data);
      expect(r.status, what).toBe(1);
      expect(r.stderr, what).toMatch(new RegExp(`^waybill: INVALID_ARGUMENT: the model .*: ${field.replace('.', '\\.')} `));
      expect(r.stdout, what).toBe('');
    }
  });
});
