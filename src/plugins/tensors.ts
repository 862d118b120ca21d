/**
 * KServe v2 inference protocol <-> plugin instances.
 *
 * A v2 request carries named tensors: `{ inputs: [{ name, datatype, shape, data }] }`, where
 * `shape[0]` is the batch size and each tensor name is a property of the plugin's input object.
 * Instance i takes row i of every tensor (a scalar when the shape has one dimension, a nested
 * array shaped like shape[1..] otherwise). Outputs go back the same way, one tensor per output
 * property. The plain form `{ instances: [{...}, ...] }` skips tensors altogether.
 */
import { WaybillError } from '../errors.js';

export type Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

export const DATATYPES: readonly Datatype[] = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
];

export interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: unknown[];
}

/** Most dimensions a tensor may have (batch included). */
export const MAX_TENSOR_DIMS = 32;

function flatten(data: unknown[]): unknown[] {
  return data.some(Array.isArray) ? (data as unknown[]).flat(Number.POSITIVE_INFINITY) : data;
}

function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Nests a flat slice into arrays shaped like `dims`. */
function reshape(flat: unknown[], dims: number[]): unknown {
  if (dims.length === 0) return flat[0];
  if (dims.length === 1) return flat.slice(0, dims[0]);
  const inner = product(dims.slice(1));
  return Array.from({ length: dims[0] as number }, (_, i) => reshape(flat.slice(i * inner, (i + 1) * inner), dims.slice(1)));
}

function checkValue(t: Tensor, v: unknown, at: number): unknown {
  const dt = t.datatype;
  if (dt === 'BOOL') {
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
  } else if (dt === 'BYTES') {
    if (typeof v === 'string') return v;
  } else if (typeof v === 'number' && Number.isFinite(v)) {
    if (dt.startsWith('FP') || Number.isInteger(v)) return v;
  }
  throw new WaybillError('INVALID_ARGUMENT', `tensor ${t.name}: element ${at} (${JSON.stringify(v)}) is not a valid ${dt}`, {
    tensor: t.name,
    index: at,
  });
}

/** Turns v2 input tensors into one object per batch row. */
export function tensorsToInstances(inputs: Tensor[]): Record<string, unknown>[] {
  if (inputs.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'inputs must hold at least one tensor');
  const names = new Set<string>();
  let batch: number | undefined;
  const columns: Array<{ name: string; rows: unknown[] }> = [];
  for (const t of inputs) {
    if (names.has(t.name)) throw new WaybillError('INVALID_ARGUMENT', `tensor ${t.name} appears twice`, { tensor: t.name });
    names.add(t.name);
    if (t.shape.length === 0)
      throw new WaybillError('INVALID_ARGUMENT', `tensor ${t.name}: shape needs at least the batch dimension`, { tensor: t.name });
    if (t.shape.length > MAX_TENSOR_DIMS)
      throw new WaybillError('INVALID_ARGUMENT', `tensor ${t.name}: shape has ${t.shape.length} dimensions, at most ${MAX_TENSOR_DIMS}`, {
        tensor: t.name,
      });
    // An empty inner dimension would let a tiny request describe any number of (empty) rows.
    const empty = t.shape.indexOf(0, 1);
    if (empty > 0)
      throw new WaybillError('INVALID_ARGUMENT', `tensor ${t.name}: dimension ${empty} is 0; only the batch dimension may be 0`, {
        tensor: t.name,
        dimension: empty,
      });
    const flat = flatten(t.data);
    const expected = product(t.shape);
    if (flat.length !== expected) {
      throw new WaybillError(
        'INVALID_LENGTH',
        `tensor ${t.name}: shape [${t.shape.join(', ')}] needs ${expected} elements, data has ${flat.length}`,
        {
          tensor: t.name,
          expected,
          got: flat.length,
        },
      );
    }
    const b = t.shape[0] as number;
    if (batch !== undefined && b !== batch) {
      throw new WaybillError('INVALID_ARGUMENT', `tensor ${t.name} has batch size ${b}, others ${batch}: the first dimension must agree`, {
        tensor: t.name,
      });
    }
    batch = b;
    const values = flat.map((v, i) => checkValue(t, v, i));
    const inner = t.shape.slice(1);
    const size = product(inner);
    const rows = Array.from({ length: b }, (_, i) =>
      inner.length === 0 ? values[i] : reshape(values.slice(i * size, (i + 1) * size), inner),
    );
    columns.push({ name: t.name, rows });
  }
  return Array.from({ length: batch as number }, (_, i) => Object.fromEntries(columns.map((c) => [c.name, c.rows[i]])));
}

function datatypeOf(v: unknown): Datatype {
  if (typeof v === 'boolean') return 'BOOL';
  if (typeof v === 'string') return 'BYTES';
  if (typeof v === 'number') return 'FP64';
  if (Array.isArray(v) && v.length > 0) return datatypeOf(v[0]);
  throw new WaybillError('INVALID_OUTPUT', `output value ${JSON.stringify(v)} cannot be a tensor element`);
}

function dimsOf(v: unknown): number[] {
  return Array.isArray(v) ? [v.length, ...(v.length > 0 ? dimsOf(v[0]) : [])] : [];
}

/**
 * One output tensor per property of the output objects (`wanted` restricts them), shape
 * [batch, ...value dims]. Integer-valued schema properties are reported as INT64.
 */
export function instancesToTensors(outputs: Record<string, unknown>[], integerProps: ReadonlySet<string>, wanted?: string[]): Tensor[] {
  const first = outputs[0];
  if (!first) return [];
  const names = wanted && wanted.length > 0 ? wanted : Object.keys(first);
  return names.map((name) => {
    if (!Object.hasOwn(first, name)) throw new WaybillError('INVALID_ARGUMENT', `the model has no output named ${name}`, { output: name });
    const column = outputs.map((o) => o[name]);
    const dims = dimsOf(column[0]);
    const datatype = integerProps.has(name) ? 'INT64' : datatypeOf(column[0]);
    return { name, datatype, shape: [outputs.length, ...dims], data: flatten(column) };
  });
}
