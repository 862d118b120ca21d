/**
 * Checks shared by the kernel families' entry points (OR, time series, the network graph): the
 * options argument itself and typed-array inputs. Both once reached the kernels unchecked, where
 * `null` options or a detached buffer threw a raw TypeError instead of a catalogue error.
 */
import { WaybillError } from '../errors.js';

/** A short description of a value for an error message (never throws, unlike String(Symbol())). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'bigint') return `the bigint ${v}`;
  if (typeof v === 'symbol' || typeof v === 'function') return `a ${typeof v}`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/**
 * The options argument of a call: `undefined` is no options; anything but a plain object (null,
 * an array, a number...) is INVALID_ARGUMENT naming `field`.
 */
export function optionsObject<T extends object>(options: T | null | undefined, field = 'options'): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new WaybillError('INVALID_ARGUMENT', `${field} must be an object, got ${describeValue(options)}`, { field });
  return options;
}

/** True when the array's buffer was detached (transferred with structuredClone or postMessage). */
export function isDetached(a: ArrayBufferView): boolean {
  if (a.buffer instanceof SharedArrayBuffer) return false;
  try {
    // Node 20 has no ArrayBuffer.prototype.detached; constructing a view on a detached buffer throws.
    new Uint8Array(a.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * INVALID_ARGUMENT naming `field` when a typed-array input's buffer was detached (it reads as
 * empty). The geo and trajectory kernels name arguments in `details.argument`: `key` says which.
 */
export function assertNotDetached(a: unknown, field: string, key: 'field' | 'argument' = 'field'): void {
  if (ArrayBuffer.isView(a) && isDetached(a))
    throw new WaybillError('INVALID_ARGUMENT', `${field} is a typed array whose buffer was detached (transferred): pass a live copy`, {
      [key]: field,
    });
}
