/**
 * Worker pool: row-block split over shared buffers (same bytes as an unsplit run), guard values
 * around native output, cooperative cancellation, and the bounded queue.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, WaybillError } from '../../src/index.js';
import { loadAddon } from '../../src/native/addon.js';
import { randomLatLng } from '../helpers/random.js';

const addon = loadAddon();
const nativeSkip = !addon.ok;
if (!addon.ok) console.warn(`skipped: native pool tests: ${addon.reason}`);
const backend = addon.ok ? 'native' : 'js';

const pooled = createEngine({ workers: 2, poolMinPairs: 1 });
const inline = createEngine({ workers: 0 });
afterAll(async () => {
  await pooled.close();
  await inline.close();
});

describe('row-block split', () => {
  it(`splits over 2 workers and writes exactly the unsplit result (${backend})`, async () => {
    const o = randomLatLng(1001, 1);
    const d = randomLatLng(777, 2);
    const split = await pooled.kernels.geo.haversineMatrix(o, d, { backend });
    const whole = await inline.kernels.geo.haversineMatrix(o, d, { backend });
    expect(split.workers).toBe(2);
    expect(whole.workers).toBe(0);
    expect(split.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(
      Buffer.compare(
        Buffer.from(split.data.buffer, split.data.byteOffset, split.data.byteLength),
        Buffer.from(whole.data.buffer, whole.data.byteOffset, whole.data.byteLength),
      ),
    ).toBe(0);
    const knnSplit = await pooled.kernels.geo.kNearest(o, d, 5, { backend });
    const knnWhole = await inline.kernels.geo.kNearest(o, d, 5, { backend });
    expect(knnSplit.workers).toBe(2);
    expect(Array.from(knnSplit.indices)).toEqual(Array.from(knnWhole.indices));
    expect(Array.from(knnSplit.distances)).toEqual(Array.from(knnWhole.distances));
  });

  it('a single-row input stays on one block', async () => {
    const r = await pooled.kernels.geo.haversineMatrix(randomLatLng(1, 3), randomLatLng(5000, 4), { backend });
    expect(r.rows).toBe(1);
    expect(r.workers).toBe(0);
  });
});

describe.skipIf(nativeSkip)(`native output buffers${nativeSkip ? ` (skipped: ${addon.ok ? '' : addon.reason})` : ''}`, () => {
  const GUARD = -777.5;
  it('writes only its rows and never outside the view it was given', async () => {
    if (!addon.ok) return;
    const n = 37;
    const m = 53;
    const o = randomLatLng(n, 5);
    const d = randomLatLng(m, 6);
    for (const Ctor of [Float64Array, Float32Array]) {
      const backing = new Ctor(n * m + 32).fill(GUARD);
      const out = backing.subarray(16, 16 + n * m);
      // Rows 5..20 only, synchronously and then asynchronously.
      addon.addon.haversineMatrix({ origins: o, dests: d, out, rowBegin: 5, rowEnd: 12, device: 'cpu', sync: true });
      await addon.addon.haversineMatrix({ origins: o, dests: d, out, rowBegin: 12, rowEnd: 21, device: 'cpu' });
      for (let t = 0; t < backing.length; t++) {
        const inside = t >= 16 + 5 * m && t < 16 + 21 * m;
        if (inside) expect(backing[t]).not.toBe(GUARD);
        else expect(backing[t]).toBe(GUARD);
      }
    }
  });
  it('rejects an output view that is too short instead of writing past it', () => {
    if (!addon.ok) return;
    const o = randomLatLng(4, 7);
    const out = new Float64Array(15);
    expect(() => addon.addon.haversineMatrix({ origins: o, dests: o, out, rowBegin: 0, rowEnd: 4, device: 'cpu', sync: true })).toThrow(
      /too short/,
    );
    expect(() =>
      addon.addon.kNearest({
        origins: o,
        dests: o,
        rowBegin: 0,
        rowEnd: 4,
        device: 'cpu',
        k: 5,
        outIndex: new Int32Array(20),
        outDist: new Float64Array(20),
        sync: true,
      }),
    ).toThrow(/k must/);
    expect(() =>
      addon.addon.haversineMatrix({ origins: o, dests: o, out: new Float64Array(16), rowBegin: 3, rowEnd: 5, device: 'cpu', sync: true }),
    ).toThrow(/rowBegin/);
  });
  it('guards around kNearest outputs', () => {
    if (!addon.ok) return;
    const o = randomLatLng(9, 8);
    const d = randomLatLng(40, 9);
    const idx = new Int32Array(9 * 3 + 8).fill(-5);
    const dist = new Float64Array(9 * 3 + 8).fill(GUARD);
    addon.addon.kNearest({
      origins: o,
      dests: d,
      k: 3,
      rowBegin: 0,
      rowEnd: 9,
      device: 'cpu',
      outIndex: idx.subarray(4, 31),
      outDist: dist.subarray(4, 31),
      sync: true,
    });
    for (const t of [0, 1, 2, 3, 31, 32, 33, 34]) {
      expect(idx[t]).toBe(-5);
      expect(dist[t]).toBe(GUARD);
    }
    expect(idx.subarray(4, 31).every((v) => v >= 0 && v < 40)).toBe(true);
  });
});

describe('warm-up', () => {
  it('starts every worker thread before the first call', async () => {
    const e = createEngine({ workers: 2, poolMinPairs: 1 });
    expect(e.pool()).toMatchObject({ started: false, threads: 0 });
    await e.warmup();
    expect(e.pool()).toMatchObject({ started: true, threads: 2 });
    const r = await e.kernels.geo.haversineMatrix(randomLatLng(200, 30), randomLatLng(200, 31), { backend });
    expect(r.workers).toBeGreaterThan(0);
    await e.close();
    await createEngine({ workers: 0 }).warmup(); // no pool: nothing to do
  });
});

describe('memory', () => {
  it('resident memory stays bounded over many pooled calls whose results are dropped', async () => {
    // 40 calls x 18 MB of fresh shared output = 720 MB allocated in all. Without the collection
    // hints of src/pool/shared-memory.ts resident memory grew by about that much.
    const o = randomLatLng(1500, 20);
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let r = 0; r < 40; r++) {
      const res = await pooled.kernels.geo.haversineMatrix(o, o, { backend });
      expect(res.workers).toBe(2);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect((peak - before) / 2 ** 20).toBeLessThan(300);
  });
});

describe('cancellation', () => {
  it('an AbortSignal stops a running pooled call with ABORTED', async () => {
    // The js backend on 3000 x 3000 takes far longer than the 30 ms before the abort.
    const o = randomLatLng(3000, 10);
    const ac = new AbortController();
    const started = performance.now();
    const p = pooled.kernels.geo.haversineMatrix(o, o, { backend: 'js', signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    const err = (await p.catch((e) => e)) as WaybillError;
    expect(err).toBeInstanceOf(WaybillError);
    expect(err.code).toBe('ABORTED');
    // The pool is still usable afterwards.
    const after = await pooled.kernels.geo.haversineMatrix(randomLatLng(50, 11), randomLatLng(50, 12), { backend: 'js' });
    expect(after.rows).toBe(50);
    expect(performance.now() - started).toBeLessThan(60_000);
  });
  it.skipIf(nativeSkip)('an AbortSignal stops a native call on the calling thread', async () => {
    const o = randomLatLng(4000, 13);
    const ac = new AbortController();
    const p = inline.kernels.geo.kNearest(o, o, 10, { backend: 'native', signal: ac.signal });
    ac.abort();
    expect(((await p.catch((e) => e)) as WaybillError).code).toBe('ABORTED');
  });
});

describe('bounded queue', () => {
  it('fails fast with QUEUE_FULL when the queue cannot take a call, and recovers', async () => {
    const small = createEngine({ workers: 1, queueLimit: 2, poolMinPairs: 1 });
    const o = randomLatLng(1500, 14);
    // First call: 2 blocks (2 per worker), at most 2 waiting (within the limit of 2).
    const first = small.kernels.geo.haversineMatrix(o, o, { backend: 'js' });
    // Second call needs 2 more queue slots: rejected at once, nothing submitted.
    const second = await small.kernels.geo.haversineMatrix(o, o, { backend: 'js' }).catch((e) => e);
    expect((second as WaybillError).code).toBe('QUEUE_FULL');
    expect((await first).rows).toBe(1500);
    expect(small.pool().queued).toBe(0);
    expect((await small.kernels.geo.haversineMatrix(o, o, { backend: 'js' })).rows).toBe(1500);
    await small.close();
  });
  it('a closed engine refuses work with POOL_CLOSED', async () => {
    const e = createEngine({ workers: 1, poolMinPairs: 1 });
    await e.close();
    const err = (await e.kernels.geo
      .haversineMatrix(randomLatLng(10, 1), randomLatLng(10, 2), { backend: 'js' })
      .catch((x) => x)) as WaybillError;
    expect(err.code).toBe('POOL_CLOSED');
    // Small calls that would not touch the pool are refused too.
    const small = (await e.kernels.geo.haversineMatrix([0, 0], [1, 1]).catch((x) => x)) as WaybillError;
    expect(small.code).toBe('POOL_CLOSED');
  });
});
