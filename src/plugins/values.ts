/**
 * Describing what a plugin handed back or threw, safely: plugins may throw strings or
 * `undefined`, name themselves with 10 000 characters or a BigInt, and return values that
 * JSON cannot carry (cycles, BigInts, NaN). Nothing here throws.
 */

/** Longest piece of a plugin-supplied string quoted in a message, characters. */
const MAX_QUOTED = 80;

/** A short, printable rendering of any value (strings quoted and cut to 80 characters). */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') {
      const cut = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}...` : value;
      return `${JSON.stringify(cut)}${value.length > MAX_QUOTED ? ` (${value.length} characters)` : ''}`;
    }
    if (typeof value === 'bigint') return `${value}n`;
    if (value === null || typeof value !== 'object') return String(value);
    return Array.isArray(value) ? `an array of ${value.length}` : 'an object';
  } catch {
    return typeof value;
  }
}

/** The message of anything thrown: an Error's message, a thrown string, else a description of the value. */
export function thrownMessage(err: unknown): string {
  try {
    const message = (err as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
    if (typeof err === 'string') return err;
  } catch {
    // a getter that throws: describe the value instead
  }
  return `threw ${describeValue(err)} instead of an Error`;
}

/** Deepest nesting a plugin's JSON answer may have. */
const MAX_DEPTH = 1000;

/**
 * Why `value` cannot be sent as JSON without losing or corrupting data, or undefined when it
 * can: a cycle, a BigInt, a non-finite number (JSON writes null), a function or symbol (JSON
 * drops it), or nesting deeper than 1000 levels.
 */
export function jsonProblem(value: unknown): string | undefined {
  const ancestors = new Set<object>();
  const walk = (v: unknown, path: string, depth: number): string | undefined => {
    switch (typeof v) {
      case 'number':
        return Number.isFinite(v) ? undefined : `${path} is ${v}`;
      case 'bigint':
        return `${path} is a BigInt`;
      case 'function':
      case 'symbol':
        return `${path} is a ${typeof v}`;
      case 'object': {
        if (v === null) return undefined;
        if (depth > MAX_DEPTH) return `${path} is nested deeper than ${MAX_DEPTH} levels`;
        if (ancestors.has(v)) return `${path} refers back to its own parent (a cycle)`;
        if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return undefined; // Dates and the like
        ancestors.add(v);
        try {
          if (Array.isArray(v)) {
            for (let i = 0; i < v.length; i++) {
              const p = walk(v[i], `${path}/${i}`, depth + 1);
              if (p) return p;
            }
          } else {
            for (const [k, x] of Object.entries(v)) {
              if (x === undefined) continue; // JSON leaves out undefined properties, as schemas expect
              const p = walk(x, `${path}/${k}`, depth + 1);
              if (p) return p;
            }
          }
        } finally {
          ancestors.delete(v);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  };
  try {
    return walk(value, '', 0);
  } catch (err) {
    return `it cannot be read: ${thrownMessage(err)}`;
  }
}
