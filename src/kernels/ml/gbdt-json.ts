/**
 * GBDT model files: versioned, human-readable JSON that round-trips every float64 exactly
 * (JavaScript prints the shortest decimal that parses back to the same double).
 *
 * Format `waybill-gbdt`, formatVersion 1:
 * ```
 * { format: 'waybill-gbdt', formatVersion: 1,
 *   objective: { name, alpha?, tweedieVariancePower? }, numFeatures, featureNames?,
 *   categoricalFeatures: number[], initScore, params: { ...resolved hyper-parameters },
 *   trees: [{ numLeaves, splitFeature[], threshold[], catLeft[], defaultLeft[] (0/1),
 *             leftChild[], rightChild[], splitGain[], internalValue[], internalCount[],
 *             leafValue[], leafCount[] }] }
 * ```
 * `params` is recorded, not checked, on load; files written before the categorical guards lack
 * minDataPerGroup, maxCatThreshold, catL2 and maxCatToOnehot (those models were trained without them).
 * Node arrays have numLeaves - 1 entries, leaf arrays numLeaves. `threshold[i]` is a number, the
 * string "Infinity" (every value goes left), or null on a categorical node, whose `catLeft[i]`
 * lists the category codes going left (null on numeric nodes). Children: >= 0 node, < 0 leaf ~c.
 * Loading checks all of it (shape, ranges, that the children form one tree with each node and
 * leaf reached once and children numbered after their parent) and throws INVALID_ARGUMENT with
 * `details.field` naming the first bad entry.
 */
import { WaybillError } from '../../errors.js';
import type { GbdtModel, GbdtParams } from './gbdt.js';
import type { GbdtTree } from './gbdt-tree.js';
import { makeObjective } from './objectives.js';
import { checkVersionedDocument, isObject, MAX_FEATURES } from './validate.js';

export const GBDT_FORMAT = 'waybill-gbdt';
export const GBDT_FORMAT_VERSION = 1;

export interface GbdtTreeJson {
  numLeaves: number;
  splitFeature: number[];
  threshold: Array<number | 'Infinity' | null>;
  catLeft: Array<number[] | null>;
  defaultLeft: number[];
  leftChild: number[];
  rightChild: number[];
  splitGain: number[];
  internalValue: number[];
  internalCount: number[];
  leafValue: number[];
  leafCount: number[];
}

export interface GbdtModelJson {
  format: typeof GBDT_FORMAT;
  formatVersion: number;
  objective: GbdtModel['objective'];
  numFeatures: number;
  featureNames?: string[];
  categoricalFeatures: number[];
  initScore: number;
  params: GbdtParams;
  trees: GbdtTreeJson[];
}

/** The model as a plain JSON-ready object. */
export function gbdtToJson(model: GbdtModel): GbdtModelJson {
  const out: GbdtModelJson = {
    format: GBDT_FORMAT,
    formatVersion: GBDT_FORMAT_VERSION,
    objective: { ...model.objective },
    numFeatures: model.numFeatures,
    categoricalFeatures: [...model.categoricalFeatures],
    initScore: model.initScore,
    params: { ...model.params },
    trees: model.trees.map((t) => ({
      numLeaves: t.numLeaves,
      splitFeature: Array.from(t.splitFeature),
      threshold: Array.from(t.threshold, (v, i) => (t.catLeft[i] ? null : v === Number.POSITIVE_INFINITY ? 'Infinity' : v)),
      catLeft: t.catLeft.map((c) => (c ? Array.from(c) : null)),
      defaultLeft: Array.from(t.defaultLeft),
      leftChild: Array.from(t.leftChild),
      rightChild: Array.from(t.rightChild),
      splitGain: Array.from(t.splitGain),
      internalValue: Array.from(t.internalValue),
      internalCount: Array.from(t.internalCount),
      leafValue: Array.from(t.leafValue),
      leafCount: Array.from(t.leafCount),
    })),
  };
  if (model.featureNames) out.featureNames = [...model.featureNames];
  return out;
}

/** The model as a JSON string (format version 1). */
export function saveGbdtModel(model: GbdtModel): string {
  return JSON.stringify(gbdtToJson(model));
}

function bad(field: string, message: string): never {
  throw new WaybillError('INVALID_ARGUMENT', `invalid GBDT model: ${field} ${message}`, { field });
}

function numberArray(field: string, v: unknown, length: number, check: (x: number) => boolean = Number.isFinite): number[] {
  if (!Array.isArray(v)) bad(field, 'must be an array');
  if (v.length !== length) bad(field, `must have ${length} entries, has ${v.length}`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !check(x)) bad(`${field}[${i}]`, `is ${JSON.stringify(x)}`);
  });
  return v as number[];
}

function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function parseTree(t: unknown, at: string, p: number, isCat: boolean[]): GbdtTree {
  if (!isObject(t)) bad(at, 'must be an object');
  const L = integer(`${at}.numLeaves`, t.numLeaves, 1, 1 << 30);
  const N = L - 1;
  const isInt = (x: number) => Number.isInteger(x);
  const splitFeature = numberArray(`${at}.splitFeature`, t.splitFeature, N, (x) => isInt(x) && x >= 0 && x < p);
  const leftChild = numberArray(`${at}.leftChild`, t.leftChild, N, isInt);
  const rightChild = numberArray(`${at}.rightChild`, t.rightChild, N, isInt);
  const defaultLeft = numberArray(`${at}.defaultLeft`, t.defaultLeft, N, (x) => x === 0 || x === 1);
  const splitGain = numberArray(`${at}.splitGain`, t.splitGain, N);
  const internalValue = numberArray(`${at}.internalValue`, t.internalValue, N);
  const internalCount = numberArray(`${at}.internalCount`, t.internalCount, N, (x) => Number.isFinite(x) && x >= 0);
  const leafValue = numberArray(`${at}.leafValue`, t.leafValue, L);
  const leafCount = numberArray(`${at}.leafCount`, t.leafCount, L, (x) => Number.isFinite(x) && x >= 0);
  if (!Array.isArray(t.threshold) || t.threshold.length !== N) bad(`${at}.threshold`, `must be an array of ${N} entries`);
  if (!Array.isArray(t.catLeft) || t.catLeft.length !== N) bad(`${at}.catLeft`, `must be an array of ${N} entries`);
  const threshold = new Float64Array(N);
  const catLeft: Array<Int32Array | null> = [];
  for (let i = 0; i < N; i++) {
    const f = splitFeature[i] as number;
    const th = t.threshold[i] as unknown;
    const cats = t.catLeft[i] as unknown;
    if (isCat[f]) {
      if (th !== null) bad(`${at}.threshold[${i}]`, 'must be null on a categorical split');
      if (!Array.isArray(cats)) bad(`${at}.catLeft[${i}]`, `must list category codes (feature ${f} is categorical)`);
      cats.forEach((c, k) => {
        if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 2147483647 || (k > 0 && c <= (cats[k - 1] as number)))
          bad(`${at}.catLeft[${i}][${k}]`, 'must be an ascending integer category code');
      });
      catLeft.push(Int32Array.from(cats as number[]));
      threshold[i] = Number.NaN;
    } else {
      if (cats !== null) bad(`${at}.catLeft[${i}]`, `must be null (feature ${f} is numeric)`);
      if (th === 'Infinity') threshold[i] = Number.POSITIVE_INFINITY;
      else if (typeof th === 'number' && Number.isFinite(th)) threshold[i] = th;
      else bad(`${at}.threshold[${i}]`, `must be a finite number or "Infinity", got ${JSON.stringify(th)}`);
      catLeft.push(null);
    }
  }
  // One tree: every node but the root and every leaf referenced exactly once, children after parents.
  const nodeSeen = new Uint8Array(N);
  const leafSeen = new Uint8Array(L);
  if (N === 0) leafSeen[0] = 1;
  for (let i = 0; i < N; i++) {
    for (const [side, c] of [
      ['leftChild', leftChild[i] as number],
      ['rightChild', rightChild[i] as number],
    ] as const) {
      const field = `${at}.${side}[${i}]`;
      // A child covers a part of its parent's rows: TreeSHAP divides by these counts.
      const count = c >= 0 ? internalCount[c] : leafCount[~c];
      if (count !== undefined && count > (internalCount[i] as number))
        bad(c >= 0 ? `${at}.internalCount[${c}]` : `${at}.leafCount[${~c}]`, `= ${count} exceeds its parent's internalCount[${i}]`);
      if (c >= 0) {
        if (c <= i || c >= N) bad(field, `= ${c} must be a node index in (${i}, ${N})`);
        if (nodeSeen[c]) bad(field, `= ${c}: node reached twice`);
        nodeSeen[c] = 1;
      } else {
        if (~c >= L) bad(field, `= ${c}: leaf ${~c} out of range (numLeaves ${L})`);
        if (leafSeen[~c]) bad(field, `= ${c}: leaf ${~c} reached twice`);
        leafSeen[~c] = 1;
      }
    }
  }
  for (let i = 1; i < N; i++) if (!nodeSeen[i]) bad(`${at}.leftChild`, `node ${i} is unreachable`);
  for (let j = 0; j < L; j++) if (!leafSeen[j]) bad(`${at}.leftChild`, `leaf ${j} is unreachable`);
  return {
    numLeaves: L,
    splitFeature: Int32Array.from(splitFeature),
    threshold,
    catLeft,
    defaultLeft: Uint8Array.from(defaultLeft),
    leftChild: Int32Array.from(leftChild),
    rightChild: Int32Array.from(rightChild),
    splitGain: Float64Array.from(splitGain),
    internalValue: Float64Array.from(internalValue),
    internalCount: Float64Array.from(internalCount),
    leafValue: Float64Array.from(leafValue),
    leafCount: Float64Array.from(leafCount),
  };
}

/**
 * Reads a model from its JSON text (or the parsed object), validating everything; throws
 * INVALID_ARGUMENT (`details.field`) on anything malformed or an unsupported formatVersion.
 */
export function loadGbdtModel(json: string | unknown): GbdtModel {
  const doc = checkVersionedDocument(json, 'model', GBDT_FORMAT, GBDT_FORMAT_VERSION, bad);
  if (!isObject(doc.objective)) bad('objective', 'must be an object');
  let objective: GbdtModel['objective'];
  try {
    objective = makeObjective(doc.objective as unknown as GbdtModel['objective']).spec;
  } catch (err) {
    bad('objective', (err as Error).message);
  }
  const p = integer('numFeatures', doc.numFeatures, 1, MAX_FEATURES);
  if (!Array.isArray(doc.categoricalFeatures)) bad('categoricalFeatures', 'must be an array');
  const isCat = new Array<boolean>(p).fill(false);
  const categoricalFeatures = (doc.categoricalFeatures as unknown[]).map((f, i) => {
    const v = integer(`categoricalFeatures[${i}]`, f, 0, p - 1);
    if (isCat[v]) bad(`categoricalFeatures[${i}]`, `repeats feature ${v}`);
    isCat[v] = true;
    return v;
  });
  if (typeof doc.initScore !== 'number' || !Number.isFinite(doc.initScore)) bad('initScore', 'must be a finite number');
  if (!isObject(doc.params)) bad('params', 'must be an object');
  if (!Array.isArray(doc.trees)) bad('trees', 'must be an array');
  const trees = (doc.trees as unknown[]).map((t, i) => parseTree(t, `trees[${i}]`, p, isCat));
  const model: GbdtModel = {
    objective,
    numFeatures: p,
    categoricalFeatures: categoricalFeatures.sort((a, b) => a - b),
    initScore: doc.initScore as number,
    trees,
    params: { ...(doc.params as unknown as GbdtParams) },
  };
  if (doc.featureNames !== undefined) {
    const names = doc.featureNames;
    if (!Array.isArray(names) || names.length !== p || names.some((s) => typeof s !== 'string'))
      bad('featureNames', `must be ${p} strings`);
    model.featureNames = [...(names as string[])];
  }
  return model;
}
