/**
 * Tabular MLP files: a versioned JSON document holding everything predictTabularMlp needs, so a
 * model trained by trainTabularMlp can be stored, sent and loaded again with identical outputs.
 *
 * Format `waybill-mlp`, formatVersion 1:
 * ```
 * { format: 'waybill-mlp', formatVersion: 1, objective: 'l2' | 'logistic', numFeatures,
 *   featureNames?, trainedOn: 'tfjs-wasm' | ...,
 *   architecture: { hiddenUnits: number[], embeddingDims: number[] },
 *   preprocessing: { numericFeatures, numericMean, numericStd, missingIndicators,
 *                    categoricalFeatures, categories: number[][], labelMean, labelStd },
 *   weights: [{ name, shape: number[], dtype: 'float32', data: base64 }] }
 * ```
 * `data` is the weight's values as little-endian IEEE float32, row-major, base64-encoded; the
 * weights are listed in the order of the rebuilt network's `weights` (embeddings, then hidden
 * layers' kernel and bias, then the output layer's), named by layer (`hidden_0/kernel`).
 * Preprocessing numbers are float64 and round-trip exactly through JSON.
 *
 * Loading rebuilds the network with buildMlpNetwork (tfjs.ts) from `architecture` and
 * `preprocessing`, checks every weight's name, shape and byte size against it and sets the
 * weights: on the same TensorFlow.js backend the predictions equal the original model's bit for
 * bit. Malformed documents throw INVALID_ARGUMENT with `details.field` naming the first bad entry
 * (wrong format, unsupported formatVersion, missing or inconsistent fields); weights whose
 * shape or data size do not fit the architecture throw INVALID_LENGTH (`details.expected`,
 * `details.actual`); non-finite weights throw NOT_FINITE.
 */
import { WaybillError } from '../../errors.js';
import { buildMlpNetwork, loadTf, type MlpModel, selectTfjsBackend, type TfjsBackendChoice, type TfjsBackendName } from './tfjs.js';
import { checkVersionedDocument, isObject, MAX_FEATURES } from './validate.js';

export const MLP_FORMAT = 'waybill-mlp';
export const MLP_FORMAT_VERSION = 1;

const BACKENDS: readonly TfjsBackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu'];

export interface MlpWeightJson {
  /** `<layer>/<weight>`, e.g. `embedding_3/embeddings`, `hidden_0/kernel`, `output/bias`. */
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Little-endian float32 values, row-major, base64. */
  data: string;
}

export interface MlpArtifact {
  format: typeof MLP_FORMAT;
  formatVersion: number;
  objective: 'l2' | 'logistic';
  numFeatures: number;
  featureNames?: string[];
  /** The TensorFlow.js backend the model was trained (or last loaded) on. */
  trainedOn: TfjsBackendName;
  architecture: { hiddenUnits: number[]; embeddingDims: number[] };
  preprocessing: {
    numericFeatures: number[];
    numericMean: number[];
    numericStd: number[];
    missingIndicators: number[];
    categoricalFeatures: number[];
    categories: number[][];
    labelMean: number;
    labelStd: number;
  };
  weights: MlpWeightJson[];
}

function bad(field: string, message: string): never {
  throw new WaybillError('INVALID_ARGUMENT', `invalid MLP artifact: ${field} ${message}`, { field });
}

function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return Buffer.from(bytes.buffer).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 float32 data, checking that it holds exactly `count` finite values. */
function base64ToFloat32(field: string, data: unknown, count: number): Float32Array {
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) bad(field, 'must be a base64 string');
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length !== count * 4)
    throw new WaybillError('INVALID_LENGTH', `invalid MLP artifact: ${field} holds ${bytes.length} bytes, the shape needs ${count * 4}`, {
      field,
      expected: count * 4,
      actual: bytes.length,
    });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = view.getFloat32(i * 4, true);
    if (!Number.isFinite(v)) throw new WaybillError('NOT_FINITE', `invalid MLP artifact: ${field} value ${i} is ${v}`, { field, index: i });
    out[i] = v;
  }
  return out;
}

function checkModel(model: unknown): MlpModel {
  const m = model as Partial<MlpModel> | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    m.format !== 'waybill-mlp' ||
    !m.network ||
    !Array.isArray(m.hiddenUnits) ||
    !Array.isArray(m.embeddingDims)
  )
    throw new WaybillError('INVALID_ARGUMENT', 'model must come from trainTabularMlp or loadTabularMlp', { field: 'model' });
  return m as MlpModel;
}

/**
 * The model as a JSON-ready artifact (format `waybill-mlp`, version 1; see the file comment).
 * Reads the weights synchronously from the current backend; the model stays usable.
 */
export function saveTabularMlp(model: MlpModel): MlpArtifact {
  const m = checkModel(model);
  // getWeights() returns the variables' own tensors (same order as `weights`): read, never dispose.
  const tensors = m.network.getWeights();
  const weights = m.network.weights.map((w, i) => {
    const tensor = tensors[i];
    if (!tensor) throw new WaybillError('INTERNAL', `the network has no value for weight ${w.originalName}`);
    return {
      name: w.originalName,
      shape: [...w.shape] as number[],
      dtype: 'float32' as const,
      data: float32ToBase64(tensor.dataSync() as Float32Array),
    };
  });
  const artifact: MlpArtifact = {
    format: MLP_FORMAT,
    formatVersion: MLP_FORMAT_VERSION,
    objective: m.objective,
    numFeatures: m.numFeatures,
    trainedOn: m.backend,
    architecture: { hiddenUnits: [...m.hiddenUnits], embeddingDims: [...m.embeddingDims] },
    preprocessing: {
      numericFeatures: [...m.numericFeatures],
      numericMean: Array.from(m.numericMean),
      numericStd: Array.from(m.numericStd),
      missingIndicators: [...m.missingIndicators],
      categoricalFeatures: [...m.categoricalFeatures],
      categories: m.categories.map((c) => [...c]),
      labelMean: m.labelMean,
      labelStd: m.labelStd,
    },
    weights,
  };
  if (m.featureNames) artifact.featureNames = [...m.featureNames];
  return artifact;
}

function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function integers(field: string, v: unknown, min: number, max: number, length?: number): number[] {
  if (!Array.isArray(v)) bad(field, 'must be an array');
  if (length !== undefined && v.length !== length) bad(field, `must have ${length} entries, has ${v.length}`);
  return v.map((x, i) => integer(`${field}[${i}]`, x, min, max));
}

function finiteNumber(field: string, v: unknown, positive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0))
    bad(field, `must be a finite${positive ? ' positive' : ''} number, got ${JSON.stringify(v)}`);
  return v;
}

function finiteNumbers(field: string, v: unknown, length: number, positive = false): Float64Array {
  if (!Array.isArray(v)) bad(field, 'must be an array');
  if (v.length !== length) bad(field, `must have ${length} entries, has ${v.length}`);
  return Float64Array.from(v, (x, i) => finiteNumber(`${field}[${i}]`, x, positive));
}

/** Everything of the artifact except the weights, checked: the model without its network. */
function parseArtifact(json: unknown): { spec: Omit<MlpModel, 'network' | 'backend'>; trainedOn: TfjsBackendName; weights: unknown[] } {
  const doc = checkVersionedDocument(json, 'artifact', MLP_FORMAT, MLP_FORMAT_VERSION, bad);
  if (doc.objective !== 'l2' && doc.objective !== 'logistic')
    bad('objective', `must be "l2" or "logistic", got ${JSON.stringify(doc.objective)}`);
  const p = integer('numFeatures', doc.numFeatures, 1, MAX_FEATURES);
  if (!BACKENDS.includes(doc.trainedOn as TfjsBackendName)) bad('trainedOn', `must be one of ${BACKENDS.join(', ')}`);
  if (!isObject(doc.architecture)) bad('architecture', 'must be an object');
  if (!isObject(doc.preprocessing)) bad('preprocessing', 'must be an object');
  const a = doc.architecture;
  const pre = doc.preprocessing;
  const hiddenUnits = integers('architecture.hiddenUnits', a.hiddenUnits, 1, 65536);
  const numericFeatures = integers('preprocessing.numericFeatures', pre.numericFeatures, 0, p - 1);
  const categoricalFeatures = integers('preprocessing.categoricalFeatures', pre.categoricalFeatures, 0, p - 1);
  // Every feature is either numeric or categorical, once, each list ascending (as training builds them).
  // Counted before anything of size p is allocated: a small file claiming 2^30 features once made
  // this allocate a gigabyte before it was refused.
  if (numericFeatures.length + categoricalFeatures.length !== p)
    bad(
      'preprocessing.numericFeatures',
      `and preprocessing.categoricalFeatures list ${numericFeatures.length + categoricalFeatures.length} features; numFeatures is ${p}`,
    );
  const seen = new Uint8Array(p);
  for (const [field, list] of [
    ['preprocessing.numericFeatures', numericFeatures],
    ['preprocessing.categoricalFeatures', categoricalFeatures],
  ] as const)
    list.forEach((f, i) => {
      if (seen[f]) bad(`${field}[${i}]`, `repeats feature ${f}`);
      if (i > 0 && f <= (list[i - 1] as number)) bad(`${field}[${i}]`, 'must be ascending');
      seen[f] = 1;
    });
  const uncovered = seen.indexOf(0);
  if (uncovered >= 0) bad('preprocessing.numericFeatures', `lists neither as numeric nor as categorical feature ${uncovered}`);
  const numericMean = finiteNumbers('preprocessing.numericMean', pre.numericMean, numericFeatures.length);
  const numericStd = finiteNumbers('preprocessing.numericStd', pre.numericStd, numericFeatures.length, true);
  const missingIndicators = integers('preprocessing.missingIndicators', pre.missingIndicators, 0, p - 1);
  const numeric = new Set(numericFeatures);
  missingIndicators.forEach((f, i) => {
    if (!numeric.has(f) || missingIndicators.indexOf(f) !== i)
      bad(`preprocessing.missingIndicators[${i}]`, `= ${f} must be a numeric feature, listed once`);
  });
  if (!Array.isArray(pre.categories) || pre.categories.length !== categoricalFeatures.length)
    bad('preprocessing.categories', `must be an array of ${categoricalFeatures.length} code lists`);
  const categories = (pre.categories as unknown[]).map((c, j) => {
    const codes = integers(`preprocessing.categories[${j}]`, c, 0, Number.MAX_SAFE_INTEGER);
    codes.forEach((v, k) => {
      if (k > 0 && v <= (codes[k - 1] as number)) bad(`preprocessing.categories[${j}][${k}]`, 'must be ascending without repeats');
    });
    return codes;
  });
  const embeddingDims = integers('architecture.embeddingDims', a.embeddingDims, 1, 1024, categoricalFeatures.length);
  if (numericFeatures.length + missingIndicators.length === 0 && categoricalFeatures.length === 0)
    bad('preprocessing', 'has no network input');
  const labelMean = finiteNumber('preprocessing.labelMean', pre.labelMean);
  const labelStd = finiteNumber('preprocessing.labelStd', pre.labelStd, true);
  if (!Array.isArray(doc.weights)) bad('weights', 'must be an array');
  const spec: Omit<MlpModel, 'network' | 'backend'> = {
    format: 'waybill-mlp',
    objective: doc.objective,
    numFeatures: p,
    numericFeatures,
    numericMean,
    numericStd,
    missingIndicators,
    categoricalFeatures,
    categories,
    labelMean,
    labelStd,
    hiddenUnits,
    embeddingDims,
  };
  if (doc.featureNames !== undefined) {
    const names = doc.featureNames;
    if (!Array.isArray(names) || names.length !== p || names.some((s) => typeof s !== 'string'))
      bad('featureNames', `must be ${p} strings`);
    spec.featureNames = [...(names as string[])];
  }
  return { spec, trainedOn: doc.trainedOn as TfjsBackendName, weights: doc.weights };
}

/**
 * Reads an MLP artifact (the object from saveTabularMlp, or its JSON text), validating all of it
 * (see the file comment), and rebuilds the model on the TensorFlow.js backend selected from
 * `prefer` (default 'auto'). Free it with disposeTabularMlp when done.
 */
export async function loadTabularMlp(
  artifact: MlpArtifact | string | unknown,
  options: { prefer?: TfjsBackendChoice } = {},
): Promise<MlpModel> {
  const { spec, weights } = parseArtifact(artifact);
  const report = await selectTfjsBackend(options.prefer ?? 'auto');
  const tf = await loadTf();
  const network = buildMlpNetwork(tf, spec, { hiddenUnits: spec.hiddenUnits, embeddingDims: spec.embeddingDims }, 0);
  const values: import('@tensorflow/tfjs').Tensor[] = [];
  try {
    const expected = network.weights;
    if (weights.length !== expected.length)
      throw new WaybillError(
        'INVALID_LENGTH',
        `invalid MLP artifact: weights has ${weights.length} entries, the architecture has ${expected.length}`,
        { field: 'weights', expected: expected.length, actual: weights.length },
      );
    expected.forEach((w, i) => {
      const field = `weights[${i}]`;
      const given = weights[i];
      if (!isObject(given)) bad(field, 'must be an object');
      if (given.name !== w.originalName)
        bad(`${field}.name`, `must be ${JSON.stringify(w.originalName)}, got ${JSON.stringify(given.name)}`);
      if (given.dtype !== 'float32') bad(`${field}.dtype`, `must be "float32", got ${JSON.stringify(given.dtype)}`);
      const shape = w.shape as number[];
      if (!Array.isArray(given.shape) || given.shape.length !== shape.length || given.shape.some((d, k) => d !== shape[k]))
        throw new WaybillError(
          'INVALID_LENGTH',
          `invalid MLP artifact: ${field}.shape is ${JSON.stringify(given.shape)}, the architecture needs ${JSON.stringify(shape)}`,
          { field: `${field}.shape`, expected: shape, actual: given.shape },
        );
      const count = shape.reduce((a, b) => a * b, 1);
      values.push(tf.tensor(base64ToFloat32(`${field}.data`, given.data, count), shape, 'float32'));
    });
    network.setWeights(values);
  } catch (err) {
    network.dispose();
    throw err;
  } finally {
    tf.dispose(values);
  }
  return { ...spec, network, backend: report.backend };
}
