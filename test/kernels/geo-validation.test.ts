/** Input validation of the geo kernels: every bad input fails with a stable code, before any backend runs. */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, WaybillError } from '../../src/index.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const geo = engine.kernels.geo;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return (err as WaybillError).code;
  }
  throw new Error('expected a rejection');
}

describe('geo input validation', () => {
  it('rejects odd lengths', async () => {
    expect(await codeOf(geo.haversineMatrix([1, 2, 3], [0, 0]))).toBe('INVALID_LENGTH');
    expect(await codeOf(geo.euclideanMatrix([0, 0], new Float64Array(3)))).toBe('INVALID_LENGTH');
  });
  it('rejects NaN and infinities and says where', async () => {
    const err = await geo.haversineMatrix([0, 0, Number.NaN, 1], [0, 0]).catch((e: WaybillError) => e);
    expect(err).toBeInstanceOf(WaybillError);
    expect((err as WaybillError).code).toBe('NOT_FINITE');
    // `field` too, as every kernel family names the bad argument (`argument` kept for older callers).
    expect((err as WaybillError).details).toMatchObject({ argument: 'origins', field: 'origins', index: 2, point: 1 });
    expect(await codeOf(geo.euclideanMatrix([0, Number.POSITIVE_INFINITY], [0, 0]))).toBe('NOT_FINITE');
    expect(await codeOf(geo.kNearest([0, 0], [0, Number.NaN], 1))).toBe('NOT_FINITE');
  });
  it('rejects out-of-range coordinates for haversine but not for euclidean', async () => {
    expect(await codeOf(geo.haversineMatrix([90.5, 0], [0, 0]))).toBe('COORDINATE_OUT_OF_RANGE');
    expect(await codeOf(geo.haversineMatrix([0, 0], [0, -180.01]))).toBe('COORDINATE_OUT_OF_RANGE');
    expect((await geo.euclideanMatrix([500, 0], [0, -1000])).data.length).toBe(1);
  });
  it('rejects points whose buffer was transferred (they read as no points: an empty answer)', async () => {
    const detached = () => {
      const a = Float64Array.of(0, 0, 1, 1);
      structuredClone(a.buffer, { transfer: [a.buffer] });
      return a;
    };
    const live = Float64Array.of(0, 0);
    for (const p of [geo.kNearest(detached(), live, 1), geo.haversineMatrix(live, detached()), geo.euclideanMatrix(detached(), live)]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WaybillError);
      expect((err as WaybillError).code).toBe('INVALID_ARGUMENT');
      expect((err as WaybillError).message).toMatch(/detached/);
    }
  });
  it('rejects bad k', async () => {
    const pts = [0, 0, 1, 1];
    expect(await codeOf(geo.kNearest(pts, pts, 3))).toBe('INVALID_K');
    expect(await codeOf(geo.kNearest(pts, pts, 0))).toBe('INVALID_K');
    expect(await codeOf(geo.kNearest(pts, pts, 1.5))).toBe('INVALID_K');
    expect(await codeOf(geo.kNearest(pts, [], 1))).toBe('INVALID_K');
  });
  it('rejects bad options', async () => {
    expect(await codeOf(geo.haversineMatrix([0, 0], [0, 0], { radius: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(geo.haversineMatrix([0, 0], [0, 0], { output: 'int8' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(geo.haversineMatrix([0, 0], [0, 0], { backend: 'tpu' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(geo.kNearest([0, 0], [0, 0], 1, { metric: 'manhattan' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(geo.haversineMatrix('0,0' as never, [0, 0]))).toBe('INVALID_ARGUMENT');
  });
  it('bad options name the option in details.field (and details.argument), as the README promises', async () => {
    const fieldOf = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        expect(err).toBeInstanceOf(WaybillError);
        const e = err as WaybillError;
        expect(e.code).toBe('INVALID_ARGUMENT');
        expect(e.details?.argument).toBe(e.details?.field);
        return e.details?.field;
      }
      throw new Error('expected a rejection');
    };
    expect(await fieldOf(geo.haversineMatrix([0, 0], [0, 0], 5 as never))).toBe('options');
    expect(await fieldOf(geo.kNearest([0, 0], [0, 0], 1, null as never))).toBe('options');
    expect(await fieldOf(geo.haversineMatrix([0, 0], [0, 0], { backend: 'tpu' as never }))).toBe('backend');
    expect(await fieldOf(geo.euclideanMatrix([0, 0], [0, 0], { output: 'int8' as never }))).toBe('output');
    expect(await fieldOf(geo.kNearest([0, 0], [0, 0], 1, { metric: 'manhattan' as never }))).toBe('metric');
  });
  it('rejects outputs over the size limit before allocating', async () => {
    const small = createEngine({ workers: 0, maxOutputElements: 100 });
    expect(await codeOf(small.kernels.geo.haversineMatrix(new Float64Array(22), new Float64Array(20)))).toBe('TOO_LARGE');
    await small.close();
  });
  it('an already-aborted signal fails with ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(geo.haversineMatrix([0, 0], [0, 0], { signal: ac.signal }))).toBe('ABORTED');
  });
});

describe('backend selection', () => {
  it('lists all four backends, each available or with a reason', () => {
    const list = engine.backends();
    expect(list.map((b) => b.name)).toEqual(['cuda', 'native', 'gpujs', 'js']);
    for (const b of list) {
      if (!b.available || !b.autoSelect) expect(b.reason ?? '').not.toBe('');
    }
  });
  it('forcing an unavailable backend fails with its reason', async () => {
    const cuda = engine.backends().find((b) => b.name === 'cuda');
    if (cuda?.available) return; // only meaningful without a GPU; on a GPU machine cuda parity runs instead
    const err = (await geo.haversineMatrix([0, 0], [0, 0], { backend: 'cuda' }).catch((e) => e)) as WaybillError;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).toContain(cuda?.reason ?? '');
  });
  it('a backend left out of the engine is not used', async () => {
    const jsOnly = createEngine({ workers: 0, backends: ['js'] });
    expect(jsOnly.backends().map((b) => b.name)).toEqual(['js']);
    expect((await jsOnly.kernels.geo.haversineMatrix([0, 0], [1, 1])).backend).toBe('js');
    expect(await codeOf(jsOnly.kernels.geo.haversineMatrix([0, 0], [1, 1], { backend: 'native' }))).toBe('BACKEND_UNAVAILABLE');
    await jsOnly.close();
  });
  it('the automatic choice is the best available backend and is reported', async () => {
    const r = await geo.haversineMatrix([0, 0], [1, 1]);
    const native = engine.backends().find((b) => b.name === 'native');
    expect(r.backend).toBe(native?.available ? 'native' : 'js');
  });
  it('rejects unknown engine options', () => {
    expect(() => createEngine({ workers: -1 })).toThrow(WaybillError);
    expect(() => createEngine({ backends: ['tpu' as never] })).toThrow(/unknown backend/);
  });
});
