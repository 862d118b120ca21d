/**
 * example-propensity on the real Hillstrom e-mail test: `waybill train` (the CLI, with the
 * plugin's documented flags) fits a model on 80 % of the 64,000 customers; the plugin, loaded
 * through the registry from that artifact, predicts the other 20 % (a seeded hold-out that
 * training never sees) through the registry and through the KServe v2 route. Thresholds are
 * measured values with a margin: held-out AUC 0.650 (0.5 = no skill; asserted > 0.62), log loss
 * 0.401 against 0.420 for the base rate (asserted at least 0.01 under it). A missing or foreign
 * artifact fails the plugin with the command to run. Without ../shared/data the data tests are
 * skipped (with a visible "skipped:" line); the missing-artifact test still runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_FILE, MODEL_ENV, TRAIN_FLAGS } from '../../plugins/example-propensity/index.js';
import { parseCsv } from '../../src/cli/train.js';
import { createEngine } from '../../src/index.js';
import { gbdtPredict } from '../../src/kernels/ml/gbdt.js';
import { loadGbdtModel } from '../../src/kernels/ml/gbdt-json.js';
import { logLoss, rocAuc } from '../../src/kernels/ml/metrics.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';
import { defaultDataDir } from '../../src/paths.js';
import { ModelRegistry } from '../../src/plugins/registry.js';
import { buildServer } from '../../src/server/app.js';

const PLUGIN = 'plugins/example-propensity';
const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));
const HILLSTROM = join(defaultDataDir(), DATA_FILE);
const haveHillstrom = existsSync(HILLSTROM);
if (!haveHillstrom) console.warn(`skipped: example-propensity on Hillstrom: ${HILLSTROM} not found`);

const FEATURES = ['recency', 'history', 'mens', 'womens', 'zip_code', 'newbie', 'channel', 'segment'] as const;
type Customer = Record<(typeof FEATURES)[number], string | number>;

const engine = createEngine({ workers: 0 });
const quiet = { info() {}, warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), 'wb-propensity-'));
const artifact = join(dir, 'model.json');
const savedEnv = process.env[MODEL_ENV];

/** The held-out customers (plugin inputs) and their visit labels. */
let heldOut: Customer[] = [];
let visits = new Float64Array(0);
let summary: { rows: number; metrics: { auc: number }; backend: string; trees: number } | undefined;

function customer(header: string[], row: string[]): Customer {
  const c = {} as Customer;
  for (const f of FEATURES) {
    const cell = row[header.indexOf(f)] as string;
    c[f] = f === 'zip_code' || f === 'channel' || f === 'segment' ? cell : Number(cell);
  }
  return c;
}

/** A fresh registry with the plugin loaded from `path` (through WAYBILL_PROPENSITY_MODEL). */
async function registryWith(path: string) {
  process.env[MODEL_ENV] = path;
  const reg = new ModelRegistry({ kernels: engine.kernels, logger: quiet, artifactsDir: join(dir, 'artifacts') });
  const [info] = await reg.loadFrom(PLUGIN);
  return { reg, info };
}

beforeAll(() => {
  if (!haveHillstrom) return;
  // Seeded hold-out: a mulberry32(2024) shuffle, the last 12,800 customers are the test set.
  const text = readFileSync(HILLSTROM, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const rows = parseCsv(text);
  const header = rows[0] as string[];
  const n = rows.length - 1;
  expect(n).toBe(64000);
  expect(lines.length).toBe(rows.length);
  const rng = mulberry32(2024);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
  }
  const test = new Set(perm.slice(n - 12800));
  const trainLines = [lines[0] as string];
  heldOut = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!test.has(i)) {
      trainLines.push(lines[i + 1] as string);
      continue;
    }
    const row = rows[i + 1] as string[];
    heldOut.push(customer(header, row));
    y.push(Number(row[header.indexOf('visit')]));
  }
  visits = Float64Array.from(y);
  const trainCsv = join(dir, 'train.csv');
  writeFileSync(trainCsv, `${trainLines.join('\n')}\n`);
  // The documented command, on the training part only (its own --seed 1 split holds out 20 % of it).
  const res = spawnSync(process.execPath, [bin, 'train', trainCsv, ...TRAIN_FLAGS, '--out', artifact, '--json'], { encoding: 'utf8' });
  expect(res.status, res.stderr).toBe(0);
  summary = JSON.parse(res.stdout) as typeof summary;
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env[MODEL_ENV];
  else process.env[MODEL_ENV] = savedEnv;
  await engine.close();
});

describe('example-propensity on the Hillstrom e-mail test', () => {
  it.skipIf(!haveHillstrom)('predicts held-out visits through the registry: AUC > 0.62, log loss below the base rate', async () => {
    expect(summary?.rows).toBe(51200);
    expect(summary?.trees).toBe(150);
    const { reg, info } = await registryWith(artifact);
    expect(info?.state, info?.reason).toBe('ready');
    const r = await reg.infer('example-propensity', undefined, heldOut);
    const p = Float64Array.from(r.outputs as Array<{ visit_probability: number }>, (o) => o.visit_probability);
    expect(p).toHaveLength(12800);
    // Measured: AUC 0.6498, log loss 0.4011 (the base rate 0.1483 of these rows: 0.4197). A
    // constant scores AUC 0.5; swapping the Mens / No E-Mail codes gives AUC 0.584 and log loss
    // only 0.005 under the base rate (full-file figures). Subtler encoding slips (codes reversed:
    // AUC 0.637) are caught by the exact comparison and the per-arm ordering below.
    const auc = rocAuc(visits, p);
    const base = visits.reduce((a, b) => a + b, 0) / visits.length;
    expect(auc).toBeGreaterThan(0.62);
    expect(logLoss(visits, p)).toBeLessThan(logLoss(visits, new Float64Array(visits.length).fill(base)) - 0.01);

    // The plugin encodes exactly as waybill train did: same numbers as the trees on the training encoding.
    const doc = JSON.parse(readFileSync(artifact, 'utf8')) as { dataset: { columns: Array<{ name: string; categories?: string[] }> } };
    const cols = doc.dataset.columns;
    const x = new Float64Array(50 * cols.length);
    heldOut.slice(0, 50).forEach((c, i) => {
      cols.forEach((col, f) => {
        const v = c[col.name as (typeof FEATURES)[number]];
        x[i * cols.length + f] = col.categories ? col.categories.indexOf(v as string) : (v as number);
      });
    });
    const direct = gbdtPredict(loadGbdtModel(readFileSync(artifact, 'utf8')), x, cols.length);
    for (let i = 0; i < 50; i++) expect(p[i]).toBeCloseTo(direct[i] as number, 12);

    // The randomised e-mail shows up as it does in the data (visit rates: Mens 0.183, Womens 0.151,
    // none 0.106): the same customers, re-scored under each arm.
    const mean = async (segment: string) => {
      const out = await reg.infer(
        'example-propensity',
        undefined,
        heldOut.slice(0, 2000).map((c) => ({ ...c, segment })),
      );
      return (out.outputs as Array<{ visit_probability: number }>).reduce((a, o) => a + o.visit_probability, 0) / 2000;
    };
    const [mens, womens, none] = [await mean('Mens E-Mail'), await mean('Womens E-Mail'), await mean('No E-Mail')];
    // Measured: 0.179, 0.155, 0.107.
    expect(mens).toBeGreaterThan(womens + 0.01);
    expect(womens).toBeGreaterThan(none + 0.02);
    // ml.load answers on the reference (js); ml.predict on the backend that trained (native with the addon).
    expect(reg.get('example-propensity').backends).toContain(summary?.backend);
    await reg.closeAll();
  });

  it.skipIf(!haveHillstrom)('serves KServe v2 tensors (BYTES for the categories) and rejects unknown categories', async () => {
    process.env[MODEL_ENV] = artifact;
    const server = await buildServer({ engine, plugins: [PLUGIN] });
    try {
      const meta = (await server.app.inject({ method: 'GET', url: '/v2/models/example-propensity' })).json();
      expect(meta.inputs).toContainEqual({ name: 'segment', datatype: 'BYTES', shape: [-1] });
      expect(meta.inputs).toContainEqual({ name: 'recency', datatype: 'INT64', shape: [-1] });
      const some = heldOut.slice(0, 3);
      const tensor = (f: (typeof FEATURES)[number]) => ({
        name: f,
        datatype: typeof some[0]?.[f] === 'string' ? 'BYTES' : f === 'history' ? 'FP64' : 'INT64',
        shape: [3],
        data: some.map((c) => c[f]),
      });
      const res = await server.app.inject({
        method: 'POST',
        url: '/v2/models/example-propensity/infer',
        payload: { id: 'p-1', inputs: FEATURES.map(tensor) },
      });
      expect(res.statusCode, res.body).toBe(200);
      const out = res.json().outputs.find((o: { name: string }) => o.name === 'visit_probability');
      expect(out.shape).toEqual([3]);
      const plain = await server.app.inject({ method: 'POST', url: '/v2/models/example-propensity/infer', payload: { instances: some } });
      const expected = (plain.json().predictions as Array<{ visit_probability: number }>).map((o) => o.visit_probability);
      expect(out.data).toEqual(expected);
      for (const v of out.data as number[]) expect(v).toBeGreaterThan(0.01);

      const bad = await server.app.inject({
        method: 'POST',
        url: '/v2/models/example-propensity/infer',
        payload: { instances: [{ ...some[0], zip_code: 'Downtown' }] },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe('INVALID_ARGUMENT');
      expect(bad.json().message).toContain('/zip_code');
    } finally {
      await server.app.close();
    }
  });

  it('without its artifact the plugin fails to load, with the train command as the reason', async () => {
    const missing = join(dir, 'nowhere', 'model.json');
    const { reg, info } = await registryWith(missing);
    expect(info?.state).toBe('failed');
    expect(info?.reason).toContain(`${missing} not found; train it with: npx waybill train `);
    expect(info?.reason).toContain(`${TRAIN_FLAGS.join(' ')} --out ${missing}`);
    expect(reg.list().find((m) => m.name === 'example-propensity')?.reason).toBe(info?.reason);
    await expect(reg.infer('example-propensity', undefined, [{}])).rejects.toMatchObject({ code: 'MODEL_NOT_READY' });
    // An artifact trained for something else is refused too (here: a model of conversion).
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ format: 'waybill-gbdt', dataset: { target: 'conversion', columns: [] } }));
    const wrong = await registryWith(other);
    expect(wrong.info?.state).toBe('failed');
    expect(wrong.info?.reason).toMatch(/does not fit this plugin: its target is "conversion", not "visit"; retrain: npx waybill train/);
  });
});
