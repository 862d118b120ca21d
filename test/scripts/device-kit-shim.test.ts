/**
 * The vitest stand-in of the device kit (scripts/device-kit/vitest-shim.ts): its matchers pass and
 * fail as vitest's do on the forms the device tests use, and its runner counts passed, failed and
 * skipped tests, skipping whole skipped describes and running afterAll hooks last.
 */
import { describe, expect, it } from 'vitest';
import * as shim from '../../scripts/device-kit/vitest-shim.js';

describe('device kit vitest shim', () => {
  it('matchers pass and fail like vitest on the forms the device tests use', async () => {
    const e = shim.expect;
    expect(() => e(3).toBe(3)).not.toThrow();
    expect(() => e(3).toBe(4)).toThrow(/to be 4/);
    expect(() => e(Number.NaN).toBe(Number.NaN)).not.toThrow();
    expect(() => e({ a: [1, 2] }).toEqual({ a: [1, 2] })).not.toThrow();
    expect(() => e({ a: [1, 2] }).toEqual({ a: [1, 3] })).toThrow();
    expect(() => e(2).not.toBe(3)).not.toThrow();
    expect(() => e(2).not.toBe(2)).toThrow();
    const err = Object.assign(new Error('no CUDA device: cudaErrorNoDevice (100)'), {
      code: 'BACKEND_UNAVAILABLE',
      details: { backend: 'cuda' },
    });
    expect(() => e(err).toMatchObject({ code: 'BACKEND_UNAVAILABLE', details: { backend: 'cuda' } })).not.toThrow();
    expect(() => e(err).toMatchObject({ code: 'KERNEL_UNSUPPORTED' })).toThrow();
    expect(() => e(err).toMatchObject({ message: shim.expect.stringMatching(/no CUDA/) })).not.toThrow();
    expect(() => e(err).toMatchObject({ message: shim.expect.stringMatching(/cudaErrorInvalid/) })).toThrow();
    expect(() => e({ x: { y: 1, z: 2 } }).toMatchObject({ x: shim.expect.objectContaining({ y: 1 }) })).not.toThrow();
    expect(() => e(5).toBeGreaterThanOrEqual(5)).not.toThrow();
    expect(() => e(5).toBeGreaterThan(5)).toThrow();
    expect(() => e(5).toBeLessThanOrEqual(4)).toThrow();
    expect(() => e('skipped: no CUDA device').toContain('no CUDA')).not.toThrow();
    expect(() =>
      e(() => {
        throw new Error('bad');
      }).toThrow(/bad/),
    ).not.toThrow();
    expect(() => e(() => 1).toThrow()).toThrow(/expected a throw/);
    await expect(e(Promise.reject(err)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })).resolves.toBeUndefined();
    await expect(e(Promise.reject(err)).rejects.toMatchObject({ code: 'OTHER' })).rejects.toThrow(/rejected with/);
    await expect(e(Promise.resolve(1)).rejects.toThrow()).rejects.toThrow(/expected a rejection/);
  });

  it('the runner counts passed, failed and skipped tests and runs afterAll last', async () => {
    const order: string[] = [];
    shim.afterAll(() => {
      order.push('root afterAll');
    });
    shim.describe('a', () => {
      shim.it('passes', () => {
        order.push('a.passes');
      });
      shim.it('fails', () => {
        shim.expect(1).toBe(2);
      });
      shim.it.skipIf(true)('is skipped', () => {
        order.push('never');
      });
    });
    shim.describe.skipIf(true)('b', () => {
      shim.it('is skipped with its describe', () => {
        order.push('never');
      });
    });
    shim.describe('c', () => {
      shim.it('async passes', async () => {
        await new Promise((r) => setTimeout(r, 1));
        order.push('c.async');
      });
    });
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(' '));
    let r: { passed: number; failed: number; skipped: number };
    try {
      r = await shim.runCollected('self-test');
    } finally {
      console.log = log;
    }
    expect(r).toEqual({ passed: 2, failed: 1, skipped: 2 });
    expect(order).toEqual(['a.passes', 'c.async', 'root afterAll']);
    expect(lines.some((l) => l.includes('FAIL  a > fails'))).toBe(true);
    expect(lines.at(-1)).toBe('self-test: 2 passed, 1 failed, 2 skipped');
  });
});
