/**
 * Tabular MLP save / load (mlp-artifact.ts): the artifact survives JSON.stringify / parse and the
 * loaded model predicts exactly what the trained one did (numeric, categorical with unseen and
 * missing codes, missing numeric values; l2 and logistic); engine.kernels.ml exposes the same;
 * corrupt artifacts fail with codes naming the field and leak no tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import { createMlKernels } from '../../src/kernels/ml/kernels.js';
import { loadTabularMlp, MLP_FORMAT, MLP_FORMAT_VERSION, type MlpArtifact, saveTabularMlp } from '../../src/kernels/ml/mlp-artifact.js';
import { makeSyntheticTabular, splitRows } from '../../src/kernels/ml/synthetic.js';
import { disposeTabularMlp, loadTf, type MlpModel, predictTabularMlp, trainTabularMlp } from '../../src/kernels/ml/tfjs.js';

async function expectCode(p: Promise<unknown>, code: string, details: Record<string, unknown> = {}): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'should reject').toBeInstanceOf(WaybillError);
  expect((caught as WaybillError).code).toBe(code);
  expect((caught as WaybillError).details ?? {}).toMatchObject(details);
}

/** Bit-for-bit equality (Object.is per element: also tells -0 from 0 and compares NaN). */
function expectIdentical(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  const differing = Array.from(a).flatMap((v, i) => (Object.is(v, b[i]) ? [] : [i]));
  expect(differing).toEqual([]);
}

const data = makeSyntheticTabular({ rows: 700, numericFeatures: 4, categoricalFeatures: 2, categories: 6, missingRate: 0.1, seed: 11 });
const [train, test] = splitRows(data, 500);
let model: MlpModel;
let artifact: MlpArtifact;

beforeAll(async () => {
  const res = await trainTabularMlp(train, {
    categoricalFeatures: data.categoricalFeatures,
    featureNames: data.featureNames,
    hiddenUnits: [16, 8],
    epochs: 6,
    seed: 2,
  });
  model = res.model;
  artifact = saveTabularMlp(model);
});
afterAll(() => disposeTabularMlp(model));

describe('MLP artifact', () => {
  it('is versioned JSON describing the preprocessing, architecture and weights', () => {
    expect(artifact.format).toBe(MLP_FORMAT);
    expect(artifact.formatVersion).toBe(MLP_FORMAT_VERSION);
    expect(artifact.numFeatures).toBe(6);
    expect(artifact.featureNames).toEqual(data.featureNames);
    expect(artifact.architecture.hiddenUnits).toEqual([16, 8]);
    expect(artifact.preprocessing.categoricalFeatures).toEqual([4, 5]);
    expect(artifact.preprocessing.numericFeatures).toEqual([0, 1, 2, 3]);
    // 10 % missing values in 500 rows: every numeric column has some, so each gets an indicator.
    expect(artifact.preprocessing.missingIndicators).toEqual([0, 1, 2, 3]);
    // Two embeddings, then kernel + bias for two hidden layers and the output.
    expect(artifact.weights.map((w) => w.name)).toEqual([
      'embedding_4/embeddings',
      'embedding_5/embeddings',
      'hidden_0/kernel',
      'hidden_0/bias',
      'hidden_1/kernel',
      'hidden_1/bias',
      'output/kernel',
      'output/bias',
    ]);
    const hidden0 = artifact.weights[2] as MlpArtifact['weights'][number];
    const inputWidth = 4 + 4 + (artifact.architecture.embeddingDims[0] as number) + (artifact.architecture.embeddingDims[1] as number);
    expect(hidden0.shape).toEqual([inputWidth, 16]);
    expect(Buffer.from(hidden0.data, 'base64').length).toBe(inputWidth * 16 * 4);
  });

  it('round-trips through JSON text: identical predictions, identical re-saved artifact', async () => {
    const rows = Float64Array.from(test.features);
    rows[0 * 6 + 4] = 99; // an unseen category code
    rows[1 * 6 + 5] = Number.NaN; // a missing category
    rows[2 * 6 + 0] = Number.NaN; // a missing number
    const before = await predictTabularMlp(model, rows, 6);
    const text = JSON.stringify(artifact);
    const loaded = await loadTabularMlp(JSON.parse(text));
    const fromText = await loadTabularMlp(text);
    try {
      expectIdentical((await predictTabularMlp(loaded, rows, 6)).predictions, before.predictions);
      expectIdentical((await predictTabularMlp(fromText, rows, 6)).predictions, before.predictions);
      expect(JSON.stringify(saveTabularMlp(loaded))).toBe(text);
      expect(loaded.backend).toBe(model.backend);
      // The predictions are not trivially equal: they vary across rows.
      expect(new Set(before.predictions).size).toBeGreaterThan(100);
    } finally {
      disposeTabularMlp(loaded);
      disposeTabularMlp(fromText);
    }
  });

  it('logistic models (numeric only, no missing values) round-trip too, through engine.kernels.ml', async () => {
    const bin = makeSyntheticTabular({ rows: 400, task: 'binary', numericFeatures: 3, categoricalFeatures: 0, missingRate: 0, seed: 3 });
    const ml = createMlKernels();
    const res = await ml.trainMlp(bin, { objective: 'logistic', hiddenUnits: [8], epochs: 4, seed: 1, validFraction: 0 });
    const saved = await ml.saveMlp(res.model);
    expect(saved).toMatchObject({ format: 'waybill-mlp', formatVersion: 1 });
    expect(saved.artifact.preprocessing.missingIndicators).toEqual([]);
    const { model: loaded, backend } = await ml.loadMlp(JSON.stringify(saved.artifact));
    expect(backend).toBe(res.backend);
    const a = await ml.predictMlp(res.model, bin.features, 3);
    const b = await ml.predictMlp(loaded, bin.features, 3);
    expectIdentical(b.predictions, a.predictions);
    expect(a.predictions.every((q) => q > 0 && q < 1)).toBe(true);
    disposeTabularMlp(res.model);
    disposeTabularMlp(loaded);
  });

  it('rejects corrupt artifacts with codes naming the field, without leaking tensors', async () => {
    const tf = await loadTf();
    await loadTabularMlp(artifact).then(disposeTabularMlp); // warm up: backend and layer classes initialised
    const tensorsBefore = tf.memory().numTensors;
    const edit = (fn: (a: MlpArtifact & Record<string, unknown>) => void) => {
      const a = JSON.parse(JSON.stringify(artifact));
      fn(a);
      return loadTabularMlp(a);
    };
    await expectCode(loadTabularMlp('{"format": "waybill-mlp", '), 'INVALID_ARGUMENT', { field: 'json' });
    await expectCode(loadTabularMlp([1, 2]), 'INVALID_ARGUMENT', { field: 'artifact' });
    // A small file claiming 2^30 features made the loader allocate a gigabyte before refusing it:
    // numFeatures is capped as for GBDT models, and the feature lists are counted first.
    await expectCode(
      edit((a) => {
        a.numFeatures = 2 ** 30;
      }),
      'INVALID_ARGUMENT',
      { field: 'numFeatures' },
    );
    const claimed = await edit((a) => {
      a.numFeatures = 2 ** 24;
    }).catch((e: unknown) => e);
    expect((claimed as WaybillError).details).toEqual({ field: 'preprocessing.numericFeatures' });
    expect((claimed as WaybillError).message).toMatch(/list 6 features; numFeatures is 16777216/);
    await expectCode(
      edit((a) => {
        a.format = 'waybill-gbdt' as never;
      }),
      'INVALID_ARGUMENT',
      { field: 'format' },
    );
    await expectCode(
      edit((a) => {
        a.formatVersion = 2;
      }),
      'INVALID_ARGUMENT',
      { field: 'formatVersion' },
    );
    await expectCode(
      edit((a) => {
        delete (a as Partial<MlpArtifact>).preprocessing;
      }),
      'INVALID_ARGUMENT',
      { field: 'preprocessing' },
    );
    await expectCode(
      edit((a) => {
        delete (a.preprocessing as Partial<MlpArtifact['preprocessing']>).numericStd;
      }),
      'INVALID_ARGUMENT',
      { field: 'preprocessing.numericStd' },
    );
    await expectCode(
      edit((a) => {
        a.preprocessing.numericStd[1] = 0;
      }),
      'INVALID_ARGUMENT',
      { field: 'preprocessing.numericStd[1]' },
    );
    await expectCode(
      edit((a) => {
        a.preprocessing.categories.pop();
      }),
      'INVALID_ARGUMENT',
      { field: 'preprocessing.categories' },
    );
    await expectCode(
      edit((a) => {
        a.preprocessing.numericFeatures = [0, 1, 2];
        a.preprocessing.numericMean.pop();
        a.preprocessing.numericStd.pop();
        a.preprocessing.missingIndicators = [0, 1, 2];
      }),
      'INVALID_ARGUMENT',
      { field: 'preprocessing.numericFeatures' },
    );
    await expectCode(
      edit((a) => {
        a.objective = 'poisson' as never;
      }),
      'INVALID_ARGUMENT',
      { field: 'objective' },
    );
    // Weights: one missing, a wrong shape, short data, a wrong name, not base64, a NaN.
    await expectCode(
      edit((a) => {
        a.weights.pop();
      }),
      'INVALID_LENGTH',
      { field: 'weights', expected: 8, actual: 7 },
    );
    await expectCode(
      edit((a) => {
        (a.weights[2] as MlpArtifact['weights'][number]).shape = [5, 16];
      }),
      'INVALID_LENGTH',
      { field: 'weights[2].shape' },
    );
    await expectCode(
      edit((a) => {
        a.architecture.hiddenUnits = [16, 9];
      }),
      'INVALID_LENGTH',
      { field: 'weights[4].shape', expected: [16, 9], actual: [16, 8] },
    );
    await expectCode(
      edit((a) => {
        const w = a.weights[3] as MlpArtifact['weights'][number];
        w.data = Buffer.from(w.data, 'base64').subarray(4).toString('base64');
      }),
      'INVALID_LENGTH',
      { field: 'weights[3].data', expected: 64, actual: 60 },
    );
    await expectCode(
      edit((a) => {
        (a.weights[6] as MlpArtifact['weights'][number]).name = 'dense_Dense3/kernel';
      }),
      'INVALID_ARGUMENT',
      { field: 'weights[6].name' },
    );
    await expectCode(
      edit((a) => {
        (a.weights[7] as MlpArtifact['weights'][number]).data = 'not base64!';
      }),
      'INVALID_ARGUMENT',
      { field: 'weights[7].data' },
    );
    await expectCode(
      edit((a) => {
        (a.weights[7] as MlpArtifact['weights'][number]).data = Buffer.from(Float32Array.of(Number.NaN).buffer).toString('base64');
      }),
      'NOT_FINITE',
      { field: 'weights[7].data', index: 0 },
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('saving something that is not an MLP fails with a code', () => {
    expect(() => saveTabularMlp({ format: 'waybill-mlp' } as never)).toThrow(WaybillError);
    try {
      saveTabularMlp({} as never);
    } catch (err) {
      expect((err as WaybillError).details).toEqual({ field: 'model' });
    }
  });
});
