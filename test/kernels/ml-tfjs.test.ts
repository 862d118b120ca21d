/**
 * TensorFlow.js: the backend report (tfjs-node-gpu / tfjs-node detected at run time and explained
 * when absent; wasm from the package's .wasm files; cpu when asked), and the tabular MLP: beats
 * the mean on a synthetic regression, learns a categorical-only target through its embeddings,
 * separates a logistic set, stops on abort, and rejects bad input with codes.
 */
import { describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import { rmse, rocAuc } from '../../src/kernels/ml/metrics.js';
import { gaussian, mulberry32 } from '../../src/kernels/ml/random.js';
import { makeSyntheticTabular, splitRows } from '../../src/kernels/ml/synthetic.js';
import { disposeTabularMlp, predictTabularMlp, selectTfjsBackend, trainTabularMlp } from '../../src/kernels/ml/tfjs.js';

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

function meanRmse(train: Float64Array, test: Float64Array): number {
  const m = train.reduce((a, b) => a + b, 0) / train.length;
  return rmse(test, new Float64Array(test.length).fill(m));
}

describe('TensorFlow.js backend selection', () => {
  it('reports the backend that runs and why the ones before it are unavailable', async () => {
    const r = await selectTfjsBackend();
    expect(r.attempts.at(-1)).toEqual({ backend: r.backend, ok: true });
    expect(r.attempts[0]?.backend).toBe('tfjs-node-gpu');
    for (const a of r.attempts.slice(0, -1)) {
      expect(a.ok).toBe(false);
      expect(a.reason).toMatch(/tfjs-node(-gpu)? is (not installed|installed but failed)|wasm/);
    }
    expect(r.version).toMatch(/^4\./);
    if (r.backend === 'tfjs-wasm') {
      expect(r.tfBackend).toBe('wasm');
      expect(r.wasm?.path).toMatch(/tfjs-backend-wasm[\\/]dist[\\/]$/);
    }
    // Asking for cpu gives cpu, alone; asking again for auto switches back.
    const cpu = await selectTfjsBackend('cpu');
    expect(cpu).toMatchObject({ backend: 'tfjs-cpu', tfBackend: 'cpu', attempts: [{ backend: 'tfjs-cpu', ok: true }] });
    expect((await selectTfjsBackend()).tfBackend).toBe(r.tfBackend);
    await expectCode(selectTfjsBackend('gpu' as never), 'INVALID_ARGUMENT', { field: 'prefer' });
  });
});

describe('tabular MLP', () => {
  it('beats the mean on a synthetic regression (numeric + categorical, missing values) and reports its backend', async () => {
    const data = makeSyntheticTabular({ rows: 2500, numericFeatures: 6, categoricalFeatures: 2, seed: 4, noise: 0.5 });
    const [train, test] = splitRows(data, 2000);
    const epochs: number[] = [];
    const res = await trainTabularMlp(train, {
      categoricalFeatures: data.categoricalFeatures,
      epochs: 40,
      seed: 1,
      onProgress: (p) => epochs.push(p.epoch),
    });
    const report = await selectTfjsBackend();
    expect(res.backend).toBe(report.backend);
    expect(res.backendReport.backend).toBe(report.backend);
    expect(epochs).toEqual(Array.from({ length: res.epochs }, (_, i) => i + 1));
    const v = res.validLoss as Float64Array;
    expect(res.bestEpoch).toBe(v.indexOf(Math.min(...v)) + 1);
    const pred = await predictTabularMlp(res.model, test.features, test.numFeatures);
    expect(pred.backend).toBe(report.backend);
    const base = meanRmse(train.labels, test.labels);
    // Mean: ~2.4, true signal: ~0.5 on this set; the MLP must remove most of the gap.
    expect(rmse(test.labels, pred.predictions)).toBeLessThan(0.65 * base);
    await expectCode(predictTabularMlp(res.model, test.features, 4), 'INVALID_LENGTH', { expected: 8, actual: 4 });
    disposeTabularMlp(res.model);
  });

  it('learns a target carried by a categorical column alone (the embedding path)', async () => {
    const rng = mulberry32(2);
    const effect = [3, -2, 0.5, 7, -4, 1, 2.5, -1];
    const n = 1200;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(rng() * 8);
      x[i] = c;
      y[i] = (effect[c] as number) + 0.3 * gaussian(rng);
    }
    const res = await trainTabularMlp({ features: x, numFeatures: 1, labels: y }, { categoricalFeatures: [0], epochs: 40, seed: 3 });
    const pred = await predictTabularMlp(
      res.model,
      Float64Array.from({ length: 8 }, (_, c) => c),
      1,
    );
    for (let c = 0; c < 8; c++) expect(Math.abs((pred.predictions[c] as number) - (effect[c] as number))).toBeLessThan(0.5);
    // An unseen code and a missing one map to the "other" row: a finite prediction, not an error.
    const other = await predictTabularMlp(res.model, Float64Array.of(99, Number.NaN), 1);
    expect(other.predictions.every(Number.isFinite)).toBe(true);
    disposeTabularMlp(res.model);
  });

  it('logistic: separates a two-class set; an abort stops after the current epoch', async () => {
    const rng = mulberry32(8);
    const n = 1500;
    const x = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = gaussian(rng);
      x[2 * i + 1] = gaussian(rng);
      y[i] = (x[2 * i] as number) * (x[2 * i + 1] as number) > 0 ? 1 : 0; // XOR-like: not linearly separable
    }
    const res = await trainTabularMlp({ features: x, numFeatures: 2, labels: y }, { objective: 'logistic', epochs: 30, seed: 5 });
    const p = await predictTabularMlp(res.model, x, 2);
    expect(p.predictions.every((q) => q >= 0 && q <= 1)).toBe(true);
    expect(rocAuc(y, p.predictions)).toBeGreaterThan(0.9);
    disposeTabularMlp(res.model);
    const ac = new AbortController();
    const stopped = await trainTabularMlp(
      { features: x, numFeatures: 2, labels: y },
      { objective: 'logistic', epochs: 50, onProgress: (q) => q.epoch === 2 && ac.abort(), signal: ac.signal },
    );
    expect(stopped.stopReason).toBe('aborted');
    expect(stopped.epochs).toBe(2);
    disposeTabularMlp(stopped.model);
  });

  it('bad input: NaN labels, non-binary logistic labels, bad options', async () => {
    const x = Float64Array.from({ length: 20 }, (_, i) => i);
    const y = Float64Array.from({ length: 20 }, (_, i) => i % 2);
    await expectCode(
      trainTabularMlp({ features: x, numFeatures: 1, labels: Float64Array.of(...y.slice(0, 19), Number.NaN) }),
      'NOT_FINITE',
    );
    await expectCode(
      trainTabularMlp({ features: x, numFeatures: 1, labels: Float64Array.from(y, (v) => v * 3) }, { objective: 'logistic' }),
      'INVALID_ARGUMENT',
      { field: 'train.labels' },
    );
    await expectCode(trainTabularMlp({ features: x, numFeatures: 1, labels: y }, { hiddenUnits: [0] }), 'INVALID_ARGUMENT', {
      field: 'hiddenUnits',
    });
    await expectCode(trainTabularMlp({ features: x, numFeatures: 1, labels: y }, { categoricalFeatures: [1] }), 'INVALID_ARGUMENT', {
      field: 'categoricalFeatures',
    });
    await expectCode(trainTabularMlp({ features: x, numFeatures: 3, labels: y }), 'INVALID_LENGTH');
  });
});
