/**
 * engine.kernels.trajectory and engine.graph: backend dispatch (native when the addon has the
 * trajectory kernels, else js; forcing either; the same numbers from both), result records,
 * errors naming the offending index, and the lazily built graph (shared data, a graph of one's
 * own, missing data).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetworkGraph } from '../../src/graph/network-graph.js';
import { createEngine, WaybillError } from '../../src/index.js';
import { batchFromArrays } from '../../src/kernels/trajectory/batch.js';
import { nativeTrajectoryStatus } from '../../src/kernels/trajectory/native.js';
import type { TrajectoryBatch } from '../../src/kernels/trajectory/types.js';
import { mulberry32 } from '../helpers/random.js';

const status = nativeTrajectoryStatus();
const hasNative = status.ok;
if (!status.ok) console.warn(`skipped: trajectory engine native-vs-js dispatch tests: ${status.reason}`);
const nativeLabel = status.ok ? '' : ` (skipped: ${status.reason})`;

const engine = createEngine({ workers: 0 });
const jsOnly = createEngine({ workers: 0, backends: ['js'] });
afterAll(async () => {
  await engine.close();
  await jsOnly.close();
});
const traj = engine.kernels.trajectory;

/** Random walks around Beijing with strictly increasing times; a few long pauses make stay points. */
function walks(count: number, seed: number): TrajectoryBatch {
  const rnd = mulberry32(seed);
  const coords: number[][] = [];
  const times: number[][] = [];
  for (let t = 0; t < count; t++) {
    const n = 5 + Math.floor(rnd() * 40);
    let lat = 39.9 + rnd() * 0.05;
    let lng = 116.3 + rnd() * 0.05;
    let time = 1_600_000_000 + t * 1000;
    const c: number[] = [];
    const ts: number[] = [];
    for (let p = 0; p < n; p++) {
      const pause = p > 5 && p < 15 && t % 3 === 0;
      lat += pause ? (rnd() - 0.5) * 1e-5 : (rnd() - 0.5) * 1e-3;
      lng += pause ? (rnd() - 0.5) * 1e-5 : (rnd() - 0.5) * 1e-3;
      time += 5 + Math.floor(rnd() * 60);
      c.push(lat, lng);
      ts.push(time);
    }
    coords.push(c);
    times.push(ts);
  }
  return batchFromArrays(coords, times);
}

const relClose = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b[i] as number)));
};

describe('engine.kernels.trajectory dispatch', () => {
  const a = walks(12, 1);
  const b = walks(9, 2);

  it('the default backend is native exactly when the addon has the trajectory kernels', async () => {
    const r = await traj.pairwise('dtw', a, b);
    expect(r.backend).toBe(hasNative ? 'native' : 'js');
    expect(r.rows).toBe(12);
    expect(r.cols).toBe(9);
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(0);
    const js = await traj.pairwise('dtw', a, b, { backend: 'js' });
    expect(js.backend).toBe('js');
    expect(js.threads).toBe(1);
  });

  it.skipIf(!hasNative)(`native and js give the same numbers for every kernel${nativeLabel}`, async () => {
    for (const measure of ['dtw', 'frechet', 'hausdorff', 'erp', 'edr', 'lcss'] as const) {
      const o = measure === 'edr' || measure === 'lcss' ? { eps: 50 } : measure === 'erp' ? { gap: [39.9, 116.3] as const } : {};
      const n = await traj.pairwise(measure, a, b, { ...o, backend: 'native', threads: 3 });
      const j = await traj.pairwise(measure, a, b, { ...o, backend: 'js' });
      expect(n.backend).toBe('native');
      expect(n.threads).toBe(3);
      relClose(n.data, j.data);
    }
    const query = a.coords.subarray(0, 2 * (a.offsets[1] as number));
    const on = await traj.oneToMany('frechet', query, b, { backend: 'native' });
    relClose(on.distances, (await traj.oneToMany('frechet', query, b, { backend: 'js' })).distances);
    const tn = await traj.topK(query, b, 4, { measure: 'dtw', band: 3, backend: 'native' });
    const tj = await traj.topK(query, b, 4, { measure: 'dtw', band: 3, backend: 'js' });
    expect(Array.from(tn.indices)).toEqual(Array.from(tj.indices));
    relClose(tn.distances, tj.distances);
    expect(tn.stats.computed).toBe(9); // brute force on the C++ core
    for (const method of ['dp', 'tdtr'] as const) {
      const sn = await traj.simplify(a, { method, tolerance: 15, backend: 'native' });
      const sj = await traj.simplify(a, { method, tolerance: 15, backend: 'js' });
      expect(Array.from(sn.keep)).toEqual(Array.from(sj.keep));
      expect(sn.keep.reduce((s, k) => s + k, 0)).toBeLessThan(a.times.length);
    }
    const pn = await traj.stayPoints(a, { distance: 30, duration: 60, backend: 'native' });
    const pj = await traj.stayPoints(a, { distance: 30, duration: 60, backend: 'js' });
    expect(pj.trajectory.length).toBeGreaterThan(0);
    expect(Array.from(pn.first)).toEqual(Array.from(pj.first));
    expect(Array.from(pn.last)).toEqual(Array.from(pj.last));
    relClose(pn.coords, pj.coords);
  });

  it('top-k equals exhaustive search on the reference too', async () => {
    const query = b.coords.subarray(0, 2 * (b.offsets[1] as number));
    const t = await traj.topK(query, a, 3, { backend: 'js' });
    const all = (await traj.oneToMany('dtw', query, a, { backend: 'js' })).distances;
    const expected = Array.from(all.keys())
      .sort((x, y) => (all[x] as number) - (all[y] as number) || x - y)
      .slice(0, 3);
    expect(Array.from(t.indices)).toEqual(expected);
  });

  it('features and resample run on js; forcing native there is KERNEL_UNSUPPORTED', async () => {
    const f = await traj.features(a);
    expect(f.backend).toBe('js');
    expect(Number.isNaN(f.speed[0])).toBe(true);
    expect(f.speed[1]).toBeCloseTo((f.distance[1] as number) / (f.dt[1] as number), 12);
    const r = await traj.resample(a, 30);
    expect(r.batch.offsets.length).toBe(13);
    expect(r.batch.times[1] as number).toBe((r.batch.times[0] as number) + 30);
    await expect(traj.features(a, { backend: 'native' })).rejects.toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
    await expect(traj.resample(a, 30, { backend: 'native' })).rejects.toMatchObject({ code: 'KERNEL_UNSUPPORTED' });
  });

  it('an engine without the native backend answers js and refuses a forced native', async () => {
    expect((await jsOnly.kernels.trajectory.pairwise('hausdorff', a, b)).backend).toBe('js');
    await expect(jsOnly.kernels.trajectory.pairwise('dtw', a, b, { backend: 'native' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    await expect(traj.pairwise('dtw', a, b, { backend: 'webgl' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(traj.pairwise('dtw', a, b, { threads: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { argument: 'threads' },
    });
  });

  it('bad input names the trajectory and point, on both backends', async () => {
    const bad = batchFromArrays(
      [
        [39.9, 116.3, 39.91, 116.31],
        [39.9, 116.3, Number.NaN, 116.31],
      ],
      [
        [0, 10],
        [0, 10],
      ],
    );
    for (const backend of hasNative ? (['native', 'js'] as const) : (['js'] as const)) {
      await expect(traj.pairwise('dtw', bad, bad, { backend })).rejects.toMatchObject({
        code: 'NOT_FINITE',
        details: { trajectory: 1, point: 1 },
      });
    }
    const dup = batchFromArrays([[39.9, 116.3, 39.91, 116.31, 39.92, 116.32]], [[0, 10, 10]]);
    await expect(traj.stayPoints(dup, { distance: 100, duration: 60 })).rejects.toMatchObject({
      details: { point: 2, reason: 'duplicate-timestamp' },
    });
    const offsets: TrajectoryBatch = { ...a, offsets: Int32Array.from([0, 3, 2, a.times.length]), ids: ['x', 'y', 'z'] };
    await expect(traj.simplify(offsets, { method: 'dp', tolerance: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { index: 2 },
    });
    const single = batchFromArrays([[39.9, 116.3]], [[0]]);
    await expect(traj.features(single)).rejects.toMatchObject({ code: 'INVALID_LENGTH', details: { trajectory: 0 } });
    await expect(traj.simplify(a, { method: 'xx' as never, tolerance: 1 })).rejects.toBeInstanceOf(WaybillError);
  });

  it('options that are not an object are INVALID_ARGUMENT naming options in details.field', async () => {
    const bad = { code: 'INVALID_ARGUMENT', details: { argument: 'options', field: 'options' } };
    await expect(traj.pairwise('dtw', a, a, 5 as never)).rejects.toMatchObject(bad);
    await expect(traj.stayPoints(a, null as never)).rejects.toMatchObject(bad);
    // simplify's options carry the method: a number there named the method, not the argument.
    await expect(traj.simplify(a, 5 as never)).rejects.toMatchObject(bad);
    // A backend that does not exist is the caller's error, as in the geo kernels (it was KERNEL_UNSUPPORTED without a field).
    await expect(traj.pairwise('dtw', a, a, { backend: 'tpu' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'backend' },
    });
  });

  it('a batch or query whose buffer was transferred is INVALID_ARGUMENT naming it (it read as empty: a length error or an empty answer)', async () => {
    const detach = <T extends ArrayBufferView>(a: T): T => {
      structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
      return a;
    };
    const batch = () => ({ coords: Float64Array.of(1, 2, 1.1, 2.1), times: Float64Array.of(0, 1), offsets: Int32Array.of(0, 2) });
    for (const [b, argument] of [
      [{ ...batch(), coords: detach(batch().coords) }, 'batch.coords'],
      [{ ...batch(), offsets: detach(batch().offsets) }, 'batch.offsets'],
      [{ ...batch(), times: detach(batch().times) }, 'batch.times'],
    ] as const)
      await expect(traj.simplify(b, { method: 'dp', tolerance: 1 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { argument },
      });
    await expect(traj.oneToMany('dtw', detach(Float64Array.of(1, 2)), batch())).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { argument: 'query' },
    });
  });

  it.skipIf(!hasNative)(`an abort during a native call is a WaybillError ABORTED, not the addon's plain Error${nativeLabel}`, async () => {
    const many = walks(300, 77);
    for (const call of [
      (signal: AbortSignal) => traj.pairwise('dtw', many, many, { backend: 'native', signal }),
      (signal: AbortSignal) => traj.oneToMany('edr', many.coords.subarray(0, 20), many, { backend: 'native', eps: 50, signal }),
      (signal: AbortSignal) => traj.simplify(many, { method: 'dp', tolerance: 5, backend: 'native', signal }),
    ]) {
      const controller = new AbortController();
      const pending = call(controller.signal);
      controller.abort();
      const err = await pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      // A call may finish before the flag is read; one that stops must say why in the catalogue's terms.
      if (err !== undefined) {
        expect(err).toBeInstanceOf(WaybillError);
        expect((err as WaybillError).code).toBe('ABORTED');
      }
    }
    const controller = new AbortController();
    const pending = traj.pairwise('dtw', many, many, { backend: 'native', signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(WaybillError);
  });
});

describe('engine.graph', () => {
  it('uses a graph of ones own: neighbours, paths, lane stats, NOT_FOUND naming the id', async () => {
    const e = createEngine({ workers: 0 });
    const g = new NetworkGraph();
    for (const id of ['a', 'b', 'c']) g.addNode({ id, kind: 'place', source: 'user', label: id });
    for (const s of [60, 70, 80]) g.observeLane('a', 'b', { seconds: s, metres: 500, at: Number.NaN });
    g.observeLane('b', 'c', { seconds: 30, metres: 100, at: Number.NaN });
    g.observeLane('a', 'c', { seconds: 200, metres: 900, at: Number.NaN });
    e.graph.use(g);
    expect((await e.graph.summary()).source).toBe('user');
    expect((await e.graph.neighbours('a')).map((x) => x.node.id)).toEqual(['b', 'c']);
    const paths = await e.graph.kShortestPaths('a', 'c', 2);
    expect(paths.map((p) => p.nodes.join(''))).toEqual(['abc', 'ac']);
    expect(paths[0]?.cost).toBe(100);
    expect((await e.graph.laneStats('a', 'b')).quantiles.p50).toBe(70);
    await expect(e.graph.node('zz')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { node: 'zz' } });
    expect(await e.graph.export('graphml')).toContain('<node id="a">');
    await e.close();
    await expect(e.graph.summary()).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('a missing data folder is NOT_FOUND saying what to set, and is retried on the next call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waybill-nodata-'));
    const e = createEngine({ workers: 0, dataDir: dir });
    for (let i = 0; i < 2; i++) {
      await expect(e.graph.summary()).rejects.toMatchObject({ code: 'NOT_FOUND', details: { reason: 'data-missing', dataDir: dir } });
    }
    await expect(e.graph.summary()).rejects.toThrow(/WAYBILL_DATA_DIR/);
    await expect(
      e.kernels.trajectory.predictSequence({ station: { lat: 34, lng: -118 }, stops: [{ lat: 34, lng: -118.1 }] }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await e.close();
  });
});
