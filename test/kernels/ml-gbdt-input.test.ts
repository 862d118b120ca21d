/**
 * GBDT bad input and model files: every case throws a WaybillError with the catalogue code and
 * `details.field` naming the culprit; quantile binning follows its documented rules.
 */
import { describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import { binMatrix, buildBins, quantileBounds } from '../../src/kernels/ml/binning.js';
import { type GbdtOptions, gbdtContributions, gbdtPredict, trainGbdt } from '../../src/kernels/ml/gbdt.js';
import { type gbdtToJson, loadGbdtModel, saveGbdtModel } from '../../src/kernels/ml/gbdt-json.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';

function expectError(fn: () => unknown, code: string, details: Record<string, unknown>): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'should throw').toBeInstanceOf(WaybillError);
  const e = caught as WaybillError;
  expect(e.code).toBe(code);
  expect(e.details).toMatchObject(details);
}

const rng = mulberry32(9);
const n = 200;
const p = 3;
const features = Float64Array.from({ length: n * p }, () => rng());
const labels = Float64Array.from({ length: n }, (_, i) => (features[i * p] as number) * 2 + (i % 2));
const good = { features, numFeatures: p, labels };

describe('GBDT bad input', () => {
  it('labels: NaN / infinite -> NOT_FINITE with the index; zero rows -> INVALID_ARGUMENT', () => {
    const y = labels.slice();
    y[17] = Number.NaN;
    expectError(() => trainGbdt({ ...good, labels: y }), 'NOT_FINITE', { field: 'train.labels', index: 17 });
    y[17] = Number.POSITIVE_INFINITY;
    expectError(() => trainGbdt({ ...good, labels: y }), 'NOT_FINITE', { field: 'train.labels', index: 17 });
    // Finite but so large that the mean overflowed: the model predicted NaN without an error.
    y[17] = 1e308;
    expectError(() => trainGbdt({ ...good, labels: y }), 'INVALID_ARGUMENT', { field: 'train.labels', index: 17, limit: 1e100 });
    y[17] = -1e100; // the limit itself is accepted
    expect(trainGbdt({ ...good, labels: y }, { numIterations: 2 }).model.initScore).toBeLessThan(0);
    expectError(() => trainGbdt({ features: new Float64Array(0), numFeatures: 3, labels: new Float64Array(0) }), 'INVALID_ARGUMENT', {
      field: 'train.labels',
      rows: 0,
    });
    expectError(() => trainGbdt({ ...good, labels: [1, 2] as unknown as Float64Array }), 'INVALID_ARGUMENT', { field: 'train.labels' });
  });

  it('features: wrong length -> INVALID_LENGTH; infinite value -> NOT_FINITE with row and feature; NaN is fine', () => {
    expectError(() => trainGbdt({ ...good, features: features.subarray(0, n * p - 1) }), 'INVALID_LENGTH', { field: 'train.features' });
    expectError(() => trainGbdt({ ...good, numFeatures: 2 }), 'INVALID_LENGTH', { field: 'train.features' });
    expectError(() => trainGbdt({ ...good, numFeatures: 0 }), 'INVALID_ARGUMENT', { field: 'numFeatures' });
    const x = features.slice();
    x[5 * p + 2] = Number.NEGATIVE_INFINITY;
    expectError(() => trainGbdt({ ...good, features: x }), 'NOT_FINITE', { field: 'train.features', row: 5, feature: 2, index: 17 });
    x[5 * p + 2] = Number.NaN;
    expect(trainGbdt({ ...good, features: x }, { numIterations: 2 }).model.trees.length).toBe(2);
  });

  it('objective-specific labels', () => {
    const y = labels.slice();
    expectError(() => trainGbdt({ ...good, labels: y }, { objective: 'logistic' }), 'INVALID_ARGUMENT', {
      field: 'train.labels',
      index: 0,
    });
    y.fill(1);
    y[3] = -1;
    expectError(() => trainGbdt({ ...good, labels: y }, { objective: 'poisson' }), 'INVALID_ARGUMENT', { field: 'train.labels', index: 3 });
    expectError(() => trainGbdt({ ...good, labels: y }, { objective: 'tweedie' }), 'INVALID_ARGUMENT', { field: 'train.labels', index: 3 });
  });

  it('bad hyper-parameters name the option', () => {
    const cases: Array<[GbdtOptions, string]> = [
      [{ numIterations: 0 }, 'numIterations'],
      [{ numIterations: 2.5 }, 'numIterations'],
      [{ learningRate: 0 }, 'learningRate'],
      [{ learningRate: Number.NaN }, 'learningRate'],
      [{ maxLeaves: 1 }, 'maxLeaves'],
      [{ maxDepth: -1 }, 'maxDepth'],
      [{ minDataInLeaf: 0 }, 'minDataInLeaf'],
      [{ lambdaL2: -1 }, 'lambdaL2'],
      [{ minSplitGain: -0.1 }, 'minSplitGain'],
      [{ subsample: 0 }, 'subsample'],
      [{ colsample: 1.5 }, 'colsample'],
      [{ maxBins: 256 }, 'maxBins'],
      [{ maxBins: 1 }, 'maxBins'],
      [{ minDataPerGroup: 0 }, 'minDataPerGroup'],
      [{ maxCatThreshold: 0 }, 'maxCatThreshold'],
      [{ maxCatThreshold: 1.5 }, 'maxCatThreshold'],
      [{ catL2: -1 }, 'catL2'],
      [{ catL2: Number.NaN }, 'catL2'],
      [{ maxCatToOnehot: -1 }, 'maxCatToOnehot'],
      [{ earlyStoppingRounds: -1 }, 'earlyStoppingRounds'],
      [{ seed: -1 }, 'seed'],
      [{ objective: 'huber' as never }, 'objective'],
      [{ objective: { name: 'quantile', alpha: 1 } }, 'objective.alpha'],
      [{ objective: { name: 'tweedie', tweedieVariancePower: 2 } }, 'objective.tweedieVariancePower'],
      [{ categoricalFeatures: [3] }, 'categoricalFeatures'],
      [{ featureNames: ['a'] }, 'featureNames'],
    ];
    for (const [options, field] of cases) {
      let caught: unknown;
      try {
        trainGbdt(good, options);
      } catch (err) {
        caught = err;
      }
      expect(caught, field).toBeInstanceOf(WaybillError);
      expect((caught as WaybillError).details?.field, JSON.stringify(options)).toBe(field);
      expect(['INVALID_ARGUMENT', 'INVALID_LENGTH']).toContain((caught as WaybillError).code);
    }
  });

  it('categorical values must be integer codes >= 0 (NaN = missing is fine)', () => {
    const x = features.map((v, i) => (i % p === 1 ? Math.floor(v * 5) : v));
    x[10 * p + 1] = 1.5;
    expectError(() => trainGbdt({ ...good, features: x }, { categoricalFeatures: [1] }), 'INVALID_ARGUMENT', {
      field: 'features',
      row: 10,
      feature: 1,
    });
    x[10 * p + 1] = Number.NaN;
    expect(trainGbdt({ ...good, features: x }, { categoricalFeatures: [1], numIterations: 2 }).model.categoricalFeatures).toEqual([1]);
  });

  it('validation set: feature count and labels are checked', () => {
    expectError(
      () => trainGbdt(good, { valid: { features: features.subarray(0, 20), numFeatures: 2, labels: labels.subarray(0, 10) } }),
      'INVALID_LENGTH',
      {
        field: 'valid.numFeatures',
      },
    );
    const vl = labels.slice(0, 10);
    vl[2] = Number.NaN;
    expectError(() => trainGbdt(good, { valid: { features: features.subarray(0, 30), numFeatures: 3, labels: vl } }), 'NOT_FINITE', {
      field: 'valid.labels',
      index: 2,
    });
  });

  it('predict: mismatched feature count -> INVALID_LENGTH; infinite value -> NOT_FINITE; zero rows -> empty', () => {
    const { model } = trainGbdt(good, { numIterations: 3 });
    expectError(() => gbdtPredict(model, features.subarray(0, 8), 4), 'INVALID_LENGTH', { field: 'numFeatures', expected: 3, actual: 4 });
    expectError(() => gbdtContributions(model, features.subarray(0, 8), 2), 'INVALID_LENGTH', { field: 'numFeatures' });
    expectError(() => gbdtPredict(model, features.subarray(0, 8), 3), 'INVALID_LENGTH', { field: 'features' });
    expectError(() => gbdtPredict(model, Float64Array.of(1, Number.POSITIVE_INFINITY, 0), 3), 'NOT_FINITE', {
      field: 'features',
      index: 1,
    });
    expectError(() => gbdtPredict(model, features, 3, { numIterations: 4 }), 'INVALID_ARGUMENT', { field: 'numIterations' });
    expect(gbdtPredict(model, new Float64Array(0), 3).length).toBe(0);
    expect(gbdtPredict(model, Float64Array.of(Number.NaN, Number.NaN, Number.NaN), 3).length).toBe(1);
  });
});

describe('GBDT model files', () => {
  const { model } = trainGbdt(good, { numIterations: 3, maxLeaves: 4, minDataInLeaf: 5 });
  const text = saveGbdtModel(model);
  const mutate = (edit: (doc: ReturnType<typeof gbdtToJson>) => void) => {
    const doc = JSON.parse(text);
    edit(doc);
    return () => loadGbdtModel(JSON.stringify(doc));
  };

  it('rejects malformed files with the offending field', () => {
    expectError(() => loadGbdtModel('{not json'), 'INVALID_ARGUMENT', { field: 'json' });
    expectError(() => loadGbdtModel('[]'), 'INVALID_ARGUMENT', { field: 'model' });
    expectError(
      mutate((d) => {
        d.formatVersion = 2;
      }),
      'INVALID_ARGUMENT',
      { field: 'formatVersion' },
    );
    expectError(
      mutate((d) => {
        (d as { format: string }).format = 'xgboost';
      }),
      'INVALID_ARGUMENT',
      { field: 'format' },
    );
    expectError(
      mutate((d) => {
        d.objective = { name: 'quantile', alpha: 2 };
      }),
      'INVALID_ARGUMENT',
      { field: 'objective' },
    );
    expectError(
      mutate((d) => {
        (d.trees[1] as { leafValue: unknown[] }).leafValue[0] = 'x';
      }),
      'INVALID_ARGUMENT',
      { field: 'trees[1].leafValue[0]' },
    );
    expectError(
      mutate((d) => {
        d.trees[0]?.leafValue.pop();
      }),
      'INVALID_ARGUMENT',
      { field: 'trees[0].leafValue' },
    );
    expectError(
      mutate((d) => {
        (d.trees[2] as { splitFeature: number[] }).splitFeature[0] = 3;
      }),
      'INVALID_ARGUMENT',
      { field: 'trees[2].splitFeature[0]' },
    );
    expectError(
      mutate((d) => {
        const t = d.trees[0] as { leftChild: number[]; rightChild: number[] };
        t.rightChild[0] = t.leftChild[0] as number; // the same child twice
      }),
      'INVALID_ARGUMENT',
      { field: 'trees[0].rightChild[0]' },
    );
    expectError(
      mutate((d) => {
        (d.trees[0] as { leftChild: number[] }).leftChild[0] = 0; // a cycle to the root
      }),
      'INVALID_ARGUMENT',
      { field: 'trees[0].leftChild[0]' },
    );
    expectError(
      mutate((d) => {
        (d.trees[0] as { threshold: unknown[] }).threshold[0] = null;
      }),
      'INVALID_ARGUMENT',
      { field: 'trees[0].threshold[0]' },
    );
    expectError(
      mutate((d) => {
        d.numFeatures = 0;
      }),
      'INVALID_ARGUMENT',
      { field: 'numFeatures' },
    );
    // The untouched file loads and predicts the same.
    expect(gbdtPredict(loadGbdtModel(text), features, 3)).toEqual(gbdtPredict(model, features, 3));
    expect(gbdtPredict(loadGbdtModel(JSON.parse(text)), features, 3)).toEqual(gbdtPredict(model, features, 3));
  });
});

describe('quantile binning', () => {
  it('few distinct values: one bin each, bounds at midpoints; many: <= maxBins equal-frequency bins', () => {
    expect(Array.from(quantileBounds(Float64Array.of(1, 1, 2, 4, 4, 4), 255))).toEqual([1.5, 3]);
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i);
    const b = quantileBounds(sorted, 4);
    expect(Array.from(b)).toEqual([249.5, 499.5, 749.5]);
    // A heavy value gets its own bin and the rest share the remaining bins.
    const heavy = Float64Array.from({ length: 1000 }, (_, i) => (i < 600 ? 0 : i)).sort();
    const hb = quantileBounds(heavy, 5);
    expect(hb[0]).toBe(300);
    expect(hb.length).toBeLessThanOrEqual(4);
  });

  it('a missing-value bin after the value bins; categorical codes by frequency with an "other" bin', () => {
    const x = Float64Array.of(0.5, 3, Number.NaN, 7, 1, 7, 2, 7, 2, Number.NaN, 9, 1);
    // Rows (0.5, 3) (NaN, 7) (1, 7) (2, 7) (2, NaN) (9, 1); feature 0 numeric, feature 1 categorical.
    // Numeric, 2 bins: 0.5, 1, 2, 2 fill the first bin (4 >= 5 / 2), closed at (2 + 9) / 2.
    const mappers = buildBins(x, 6, 2, [false, true], 2, 1000);
    expect(mappers[0]?.numValueBins).toBe(2);
    expect(mappers[1]?.categories).toEqual(Int32Array.of(7));
    expect(mappers[1]?.hasOther).toBe(true);
    const { bins, offsets } = binMatrix(x, 6, 2, mappers);
    expect(Array.from(offsets)).toEqual([0, 3, 6]);
    expect(Array.from(mappers[0]?.upper ?? [])).toEqual([5.5]);
    // numeric: 0 / 1, NaN -> 2; categorical: 7 -> 0, 3 and 1 -> 1 (other), NaN -> 2.
    expect(Array.from(bins)).toEqual([0, 1, 2, 0, 0, 0, 0, 0, 0, 2, 1, 1]);
  });
});
