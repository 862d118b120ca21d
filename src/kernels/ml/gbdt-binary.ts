/**
 * Compact binary GBDT model files, for plugins that ship many or large models. The same model as
 * the JSON format (gbdt-json.ts), every float64 stored as its 8 bytes, loaded through the JSON
 * loader's checks so a binary file is validated exactly like a JSON one.
 *
 * Layout (little-endian), format version 1:
 * ```
 * bytes 0-3   "WBGB"
 * bytes 4-7   uint32 format version (1)
 * bytes 8-11  uint32 header length H in bytes
 * 12 ..       header: UTF-8 JSON { format, formatVersion, objective, numFeatures, featureNames?,
 *             categoricalFeatures, initScore, params, trees: [{ numLeaves, catLeft: [length | -1] }] },
 *             zero-padded to a multiple of 8 bytes from the start of the file
 * then        float64 section: per tree threshold, splitGain, internalValue, internalCount (one per
 *             internal node), leafValue, leafCount (one per leaf)
 * then        int32 section: per tree splitFeature, leftChild, rightChild, then every catLeft code
 * then        uint8 section: per tree defaultLeft
 * ```
 */
import { WaybillError } from '../../errors.js';
import type { GbdtModel } from './gbdt.js';
import { GBDT_FORMAT_VERSION, type GbdtModelJson, type GbdtTreeJson, gbdtToJson, loadGbdtModel } from './gbdt-json.js';

const MAGIC = 'WBGB';

function bad(message: string): never {
  throw new WaybillError('INVALID_ARGUMENT', `binary GBDT model: ${message}`, { field: 'binary' });
}

/** The model in the compact binary format (version 1). */
export function saveGbdtModelBinary(model: GbdtModel): Uint8Array {
  const doc = gbdtToJson(model);
  const header = {
    ...doc,
    trees: model.trees.map((t) => ({ numLeaves: t.numLeaves, catLeft: t.catLeft.map((c) => (c ? c.length : -1)) })),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  let f64 = 0;
  let i32 = 0;
  let u8 = 0;
  for (const t of model.trees) {
    const nodes = t.numLeaves - 1;
    f64 += 4 * nodes + 2 * t.numLeaves;
    i32 += 3 * nodes + t.catLeft.reduce((s, c) => s + (c ? c.length : 0), 0);
    u8 += nodes;
  }
  const start = Math.ceil((12 + headerBytes.length) / 8) * 8;
  const buf = new ArrayBuffer(start + 8 * f64 + 4 * i32 + u8);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(4, GBDT_FORMAT_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  bytes.set(headerBytes, 12);
  let o = start;
  const putF64 = (a: Float64Array) => {
    for (const v of a) {
      view.setFloat64(o, v, true);
      o += 8;
    }
  };
  const putI32 = (a: Int32Array) => {
    for (const v of a) {
      view.setInt32(o, v, true);
      o += 4;
    }
  };
  for (const t of model.trees) {
    putF64(t.threshold);
    putF64(t.splitGain);
    putF64(t.internalValue);
    putF64(t.internalCount);
    putF64(t.leafValue);
    putF64(t.leafCount);
  }
  for (const t of model.trees) {
    putI32(t.splitFeature);
    putI32(t.leftChild);
    putI32(t.rightChild);
    for (const c of t.catLeft) if (c) putI32(c);
  }
  for (const t of model.trees) {
    bytes.set(t.defaultLeft, o);
    o += t.defaultLeft.length;
  }
  return bytes;
}

/** Reads a model written by {@link saveGbdtModelBinary}; every check of the JSON loader applies. */
export function loadGbdtModelBinary(data: Uint8Array): GbdtModel {
  if (!(data instanceof Uint8Array)) bad('expected a Uint8Array');
  if (data.length < 12 || new TextDecoder().decode(data.subarray(0, 4)) !== MAGIC) bad('does not start with "WBGB"');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint32(4, true);
  if (version !== GBDT_FORMAT_VERSION) bad(`format version ${version} is not supported (this build reads ${GBDT_FORMAT_VERSION})`);
  const hlen = view.getUint32(8, true);
  if (12 + hlen > data.length) bad('truncated header');
  let header: Omit<GbdtModelJson, 'trees'> & { trees: Array<{ numLeaves: number; catLeft: number[] }> };
  try {
    header = JSON.parse(new TextDecoder().decode(data.subarray(12, 12 + hlen)));
  } catch (err) {
    bad(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!header || !Array.isArray(header.trees)) bad('header has no trees');
  let f64 = 0;
  let i32 = 0;
  let u8 = 0;
  for (const [k, t] of header.trees.entries()) {
    if (!Number.isInteger(t?.numLeaves) || t.numLeaves < 1 || !Array.isArray(t.catLeft) || t.catLeft.length !== t.numLeaves - 1)
      bad(`tree ${k}: bad numLeaves or catLeft lengths`);
    const nodes = t.numLeaves - 1;
    f64 += 4 * nodes + 2 * t.numLeaves;
    i32 += 3 * nodes;
    for (const c of t.catLeft) {
      if (!Number.isInteger(c) || c < -1) bad(`tree ${k}: bad catLeft length ${c}`);
      if (c > 0) i32 += c;
    }
    u8 += nodes;
  }
  const start = Math.ceil((12 + hlen) / 8) * 8;
  if (data.length !== start + 8 * f64 + 4 * i32 + u8) bad(`expected ${start + 8 * f64 + 4 * i32 + u8} bytes, got ${data.length}`);
  let o = start;
  const getF64 = (n: number) => {
    const a: number[] = new Array(n);
    for (let i = 0; i < n; i++, o += 8) a[i] = view.getFloat64(o, true);
    return a;
  };
  const getI32 = (n: number) => {
    const a: number[] = new Array(n);
    for (let i = 0; i < n; i++, o += 4) a[i] = view.getInt32(o, true);
    return a;
  };
  const trees: GbdtTreeJson[] = header.trees.map((t) => {
    const nodes = t.numLeaves - 1;
    const threshold = getF64(nodes);
    return {
      numLeaves: t.numLeaves,
      threshold: threshold.map((v, i) => ((t.catLeft[i] as number) >= 0 ? null : v === Number.POSITIVE_INFINITY ? 'Infinity' : v)),
      splitGain: getF64(nodes),
      internalValue: getF64(nodes),
      internalCount: getF64(nodes),
      leafValue: getF64(t.numLeaves),
      leafCount: getF64(t.numLeaves),
      splitFeature: [],
      catLeft: [],
      defaultLeft: [],
      leftChild: [],
      rightChild: [],
    };
  });
  header.trees.forEach((t, k) => {
    const tree = trees[k] as GbdtTreeJson;
    const nodes = t.numLeaves - 1;
    tree.splitFeature = getI32(nodes);
    tree.leftChild = getI32(nodes);
    tree.rightChild = getI32(nodes);
    tree.catLeft = t.catLeft.map((c) => (c >= 0 ? getI32(c) : null));
  });
  header.trees.forEach((t, k) => {
    const nodes = t.numLeaves - 1;
    (trees[k] as GbdtTreeJson).defaultLeft = Array.from(data.subarray(o, o + nodes));
    o += nodes;
  });
  return loadGbdtModel({ ...header, trees });
}
