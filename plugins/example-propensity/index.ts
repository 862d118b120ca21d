/**
 * example-propensity: the probability that a customer visits the web site in the two weeks after
 * an e-mail campaign, from a gradient-boosted tree model trained by `waybill train` on the real
 * Hillstrom e-mail test (../shared/data/uplift, see its SOURCES.md).
 *
 * The plugin trains nothing itself: it serves a model file. `load` reads the artifact named by
 * WAYBILL_PROPENSITY_MODEL (default: model.json next to this file, not committed), checks that it
 * was trained on the columns this plugin's input schema describes, and keeps the category codes
 * that `waybill train` recorded in it. `predict` encodes a whole batch into one row-major feature
 * matrix and makes one `ml.predict` call (C++ core when the addon is built, else the TypeScript
 * reference; both give the same trees and predictions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { WaybillError } from '../../src/errors.js';
import type { GbdtModel } from '../../src/kernels/ml/gbdt.js';
import { definePlugin } from '../../src/plugins/define.js';

/** Environment variable naming the model artifact (a `waybill train` JSON file). */
export const MODEL_ENV = 'WAYBILL_PROPENSITY_MODEL';
/** The default artifact: model.json next to this file (git-ignored; made by TRAIN_COMMAND). */
export const DEFAULT_MODEL_PATH = join(dirname(fileURLToPath(import.meta.url)), 'model.json');
/** The training data, relative to the shared data folder. */
export const DATA_FILE = join('uplift', 'hillstrom.csv');
/**
 * The `waybill train` flags of the served model (everything but the CSV and --out). A fixed number
 * of rounds and no early stopping: the 20 % held out by --seed 1 only measures the model.
 */
export const TRAIN_FLAGS: readonly string[] = [
  '--target',
  'visit',
  '--objective',
  'logistic',
  '--categorical',
  'zip_code,channel,segment',
  '--drop',
  'history_segment,conversion,spend',
  '--rounds',
  '150',
  '--lr',
  '0.05',
  '--leaves',
  '7',
  '--early-stop',
  '0',
  '--seed',
  '1',
];
/** The documented command that writes the default artifact (run from the repository root). */
export const TRAIN_COMMAND = `npx waybill train ../shared/data/${DATA_FILE} ${TRAIN_FLAGS.join(' ')} --out plugins/example-propensity/model.json`;

const ZIP_CODES = ['Rural', 'Surburban', 'Urban'];
const CHANNELS = ['Multichannel', 'Phone', 'Web'];
const SEGMENTS = ['Mens E-Mail', 'No E-Mail', 'Womens E-Mail'];

/** One customer, as in the Hillstrom file (the outcome columns and history_segment left out). */
const Input = Type.Object(
  {
    recency: Type.Integer({ minimum: 1, maximum: 12, description: 'months since the last purchase' }),
    history: Type.Number({ minimum: 0, description: 'dollars spent in the past year' }),
    mens: Type.Integer({ minimum: 0, maximum: 1, description: '1 = bought men merchandise in the past year' }),
    womens: Type.Integer({ minimum: 0, maximum: 1, description: '1 = bought women merchandise in the past year' }),
    zip_code: Type.String({ enum: ZIP_CODES, description: 'Urban, Surburban (sic, as published) or Rural' }),
    newbie: Type.Integer({ minimum: 0, maximum: 1, description: '1 = new customer in the past twelve months' }),
    channel: Type.String({ enum: CHANNELS, description: 'channels purchased from in the past year' }),
    segment: Type.String({ enum: SEGMENTS, description: 'e-mail sent: Mens E-Mail, Womens E-Mail or No E-Mail' }),
  },
  { additionalProperties: false },
);

/** One answer: the modelled visit probability. */
const Output = Type.Object({
  visit_probability: Type.Number({ minimum: 0, maximum: 1, description: 'P(visit within two weeks of the e-mail)' }),
});

type Customer = Record<string, string | number>;

/** The text categories of each categorical input; the other inputs are numeric. */
const CATEGORIES: Record<string, string[]> = { zip_code: ZIP_CODES, channel: CHANNELS, segment: SEGMENTS };
const FEATURES = Object.keys(Input.properties);

/** Column record of a `waybill train` artifact (its `dataset.columns`). */
interface ArtifactColumn {
  name: string;
  type: 'numeric' | 'categorical';
  categories?: string[];
}

interface PropensityModel {
  model: GbdtModel;
  /** Input field of each feature column, in the artifact's column order. */
  fields: string[];
  /** Per feature column: category -> code for categorical columns, undefined for numeric ones. */
  codes: Array<Map<string, number> | undefined>;
  path: string;
}

/** A path as a user would type it: relative to the working directory when below it or a sibling (../shared). */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r === '' || isAbsolute(r) || r.startsWith(join('..', '..')) ? path : r;
}

/** The train command for the artifact at `path` on the data in `dataDir`. */
function trainCommand(dataDir: string, path: string): string {
  return `npx waybill train ${shown(join(dataDir, DATA_FILE))} ${TRAIN_FLAGS.join(' ')} --out ${shown(path)}`;
}

/** Checks that an artifact was trained for this plugin; returns the encoders or the first mismatch. */
function encoders(doc: { dataset?: { target?: unknown; columns?: unknown } }): Pick<PropensityModel, 'fields' | 'codes'> | string {
  const ds = doc.dataset;
  if (ds === undefined || !Array.isArray(ds.columns)) return 'it has no dataset.columns (it was not written by waybill train)';
  if (ds.target !== 'visit') return `its target is ${JSON.stringify(ds.target)}, not "visit"`;
  const columns = ds.columns as ArtifactColumn[];
  const names = columns.map((c) => c.name);
  if (names.length !== FEATURES.length || FEATURES.some((f) => !names.includes(f)))
    return `its features are [${names.join(', ')}], this plugin needs [${FEATURES.join(', ')}]`;
  const codes: PropensityModel['codes'] = [];
  for (const c of columns) {
    const expected = CATEGORIES[c.name];
    if (expected === undefined) {
      if (c.type !== 'numeric') return `column ${c.name} is ${c.type}, expected numeric`;
      codes.push(undefined);
      continue;
    }
    const got = c.categories ?? [];
    if (c.type !== 'categorical' || got.length !== expected.length || expected.some((v) => !got.includes(v)))
      return `column ${c.name} has categories [${got.join(', ')}], expected [${expected.join(', ')}]`;
    codes.push(new Map(got.map((v, k) => [v, k])));
  }
  return { fields: names, codes };
}

export default definePlugin({
  name: 'example-propensity',
  version: '1.0.0',
  description: 'Probability that a customer visits the site after an e-mail (GBDT trained by waybill train on Hillstrom).',
  kernels: ['ml.load', 'ml.predict'],
  input: Input,
  output: Output,
  metadata: {
    data: {
      file: `../shared/data/${DATA_FILE}`,
      source: 'Kevin Hillstrom, MineThatData E-Mail Analytics and Data Mining Challenge (2008): 64,000 customers',
      licence: 'published freely by the author for public analysis; no formal licence text (see ../shared/data/uplift/SOURCES.md)',
      target: 'visit (1 = visited the site within two weeks; base rate 0.147)',
      features: FEATURES,
      dropped: ['history_segment (a bucket of history)', 'conversion', 'spend (outcomes)'],
    },
    training: {
      command: TRAIN_COMMAND,
      artifact: `${MODEL_ENV}, default plugins/example-propensity/model.json (not committed)`,
      split: 'waybill train --seed 1: seeded shuffle (mulberry32), 51,200 training rows, 12,800 held out',
      model: 'logistic GBDT, 150 trees of at most 7 leaves, learning rate 0.05; no early stopping',
    },
    metrics: {
      method:
        'the 12,800 rows held out by --seed 1, never used to fit or stop training; native and TypeScript backends give the same trees',
      heldOutRows: 12800,
      logLoss: 0.40197,
      auc: 0.64668,
      baselineLogLoss: 0.41959,
      note: 'visits are weakly predictable from these columns; the e-mail segment is the strongest feature',
      test: 'test/plugins/example-propensity.test.ts measures AUC through the plugin on its own seeded 20 % hold-out',
    },
  },
  // A probability per customer is cheap: batch up to 1,024 customers into one ml.predict call.
  limits: { maxConcurrency: 2, maxQueue: 256, batching: { maxBatchSize: 1024, maxWaitMs: 2 } },

  async load(ctx): Promise<PropensityModel> {
    const path = resolve(process.env[MODEL_ENV] || DEFAULT_MODEL_PATH);
    const retrain = trainCommand(ctx.dataDir, path);
    const refuse = (why: string) =>
      new WaybillError('PLUGIN_LOAD_FAILED', `model artifact ${shown(path)} ${why}; retrain: ${retrain}`, { path });
    if (!existsSync(path))
      throw new WaybillError(
        'PLUGIN_LOAD_FAILED',
        `model artifact ${shown(path)} not found; train it with: ${retrain} (or set ${MODEL_ENV} to a model file)`,
        { path },
      );
    let doc: { dataset?: { target?: unknown; columns?: unknown } };
    try {
      doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
    } catch (err) {
      throw refuse(`is not JSON (${(err as Error).message})`);
    }
    const enc = encoders(doc);
    if (typeof enc === 'string') throw refuse(`does not fit this plugin: ${enc}`);
    // ml.load checks the trees themselves (INVALID_ARGUMENT naming the bad field).
    const { model } = await ctx.kernels.ml.load(doc);
    if (model.objective.name !== 'logistic') throw refuse(`has objective ${model.objective.name}, not logistic`);
    ctx.log.info(`loaded ${model.trees.length} trees from ${shown(path)}`);
    return { model, ...enc, path };
  },

  async warmup(ctx, m) {
    await ctx.kernels.ml.predict(m.model, new Float64Array(m.fields.length), m.fields.length);
  },

  async predict(ctx, m, batch) {
    const p = m.fields.length;
    const features = new Float64Array(batch.length * p);
    batch.forEach((customer, i) => {
      const c = customer as Customer;
      m.fields.forEach((field, f) => {
        const code = m.codes[f];
        // The input schema admits only known categories, so get() always finds a code.
        features[i * p + f] = code === undefined ? (c[field] as number) : (code.get(c[field] as string) ?? Number.NaN);
      });
    });
    const { predictions } = await ctx.kernels.ml.predict(m.model, features, p);
    return batch.map((_, i) => ({ visit_probability: predictions[i] as number }));
  },
});
