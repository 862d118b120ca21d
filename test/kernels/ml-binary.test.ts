/** The compact binary GBDT format: exact round trip, smaller than JSON, and every bad file rejected with a code. */
import { describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import { gbdtPredict, trainGbdt } from '../../src/kernels/ml/gbdt.js';
import { loadGbdtModelBinary, saveGbdtModelBinary } from '../../src/kernels/ml/gbdt-binary.js';
import { gbdtToJson, saveGbdtModel } from '../../src/kernels/ml/gbdt-json.js';
import { makeSyntheticTabular } from '../../src/kernels/ml/synthetic.js';

const data = makeSyntheticTabular({ rows: 1500, numericFeatures: 5, categoricalFeatures: 2, missingRate: 0.1, seed: 3 });
const { model } = trainGbdt(data, {
  numIterations: 12,
  maxLeaves: 8,
  objective: { name: 'quantile', alpha: 0.8 },
  categoricalFeatures: data.categoricalFeatures,
  featureNames: data.featureNames,
});

function codeOf(fn: () => unknown): { code?: string; field?: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof WaybillError) return { code: err.code, field: err.details?.field };
    throw err;
  }
  return {};
}

describe('binary GBDT model files', () => {
  it('round-trips exactly (same JSON, same predictions) and is smaller than JSON', () => {
    const bin = saveGbdtModelBinary(model);
    const back = loadGbdtModelBinary(bin);
    expect(JSON.stringify(gbdtToJson(back))).toBe(JSON.stringify(gbdtToJson(model)));
    expect(Array.from(gbdtPredict(back, data.features, data.numFeatures))).toEqual(
      Array.from(gbdtPredict(model, data.features, data.numFeatures)),
    );
    expect(model.trees.some((t) => t.catLeft.some((c) => c !== null))).toBe(true); // categorical splits were exercised
    expect(bin.length).toBeLessThan(new TextEncoder().encode(saveGbdtModel(model)).length); // here 6.8 kB vs 11.3 kB
    // A copy at an odd byte offset reads the same (DataView, no alignment assumption).
    const shifted = new Uint8Array(bin.length + 3);
    shifted.set(bin, 3);
    expect(JSON.stringify(gbdtToJson(loadGbdtModelBinary(shifted.subarray(3))))).toBe(JSON.stringify(gbdtToJson(model)));
  });

  it('rejects a wrong magic, version, truncation and a corrupted tree with INVALID_ARGUMENT', () => {
    const bin = saveGbdtModelBinary(model);
    const wrongMagic = bin.slice();
    wrongMagic[0] = 0;
    expect(codeOf(() => loadGbdtModelBinary(wrongMagic))).toEqual({ code: 'INVALID_ARGUMENT', field: 'binary' });
    const v2 = bin.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    expect(codeOf(() => loadGbdtModelBinary(v2))).toEqual({ code: 'INVALID_ARGUMENT', field: 'binary' });
    expect(codeOf(() => loadGbdtModelBinary(bin.subarray(0, bin.length - 1)))).toEqual({ code: 'INVALID_ARGUMENT', field: 'binary' });
    // Point the first tree's first left child at itself: the JSON loader's tree check catches it.
    const corrupt = bin.slice();
    const view = new DataView(corrupt.buffer);
    const hlen = view.getUint32(8, true);
    const start = Math.ceil((12 + hlen) / 8) * 8;
    const f64 = model.trees.reduce((s, t) => s + 4 * (t.numLeaves - 1) + 2 * t.numLeaves, 0);
    const nodes0 = (model.trees[0]?.numLeaves ?? 1) - 1;
    view.setInt32(start + 8 * f64 + 4 * nodes0, 0, true); // leftChild[0] of tree 0
    const r = codeOf(() => loadGbdtModelBinary(corrupt));
    expect(r.code).toBe('INVALID_ARGUMENT');
    expect(String(r.field)).toMatch(/^trees\[0\]/);
  });
});

describe('engine.kernels.ml saveBinary / loadBinary', () => {
  it('round-trips through the engine', async () => {
    const { createEngine } = await import('../../src/engine.js');
    const engine = createEngine({ workers: 0 });
    try {
      const { bytes } = await engine.kernels.ml.saveBinary(model);
      const { model: back } = await engine.kernels.ml.loadBinary(bytes);
      expect(JSON.stringify(gbdtToJson(back))).toBe(JSON.stringify(gbdtToJson(model)));
      await expect(engine.kernels.ml.loadBinary(new Uint8Array(3))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await engine.close();
    }
  });
});
