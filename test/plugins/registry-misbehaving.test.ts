/**
 * Plugins that misbehave in every way a third-party plugin can: modules that throw non-Errors on
 * import, empty exports, absurd names, schemas with an $id, load / warm-up that never finish,
 * unload while loading, outputs JSON cannot carry, non-Error failures in predict and train.
 * Each must end as a catalogue error or a failed version naming the plugin, never a crash or hang.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type WaybillError } from '../../src/index.js';
import { definePlugin } from '../../src/plugins/define.js';
import { ModelRegistry } from '../../src/plugins/registry.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const bad = 'test/fixtures/bad-plugins';
const newRegistry = (loadTimeoutMs?: number) =>
  new ModelRegistry({
    kernels: engine.kernels,
    logger: quiet,
    artifactsDir: mkdtempSync(join(tmpdir(), 'wb-art-')),
    ...(loadTimeoutMs ? { loadTimeoutMs } : {}),
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const base = {
  version: '1.0.0',
  description: '',
  kernels: [],
  input: Type.Object({}),
  output: Type.Object({ y: Type.Number() }),
  load: () => ({}),
  predict: (_c: unknown, _m: unknown, batch: unknown[]) => batch.map(() => ({ y: 1 })),
};

async function errorOf(p: Promise<unknown>): Promise<WaybillError> {
  try {
    await p;
  } catch (err) {
    return err as WaybillError;
  }
  throw new Error('expected a rejection');
}

describe('loading misbehaving plugins', () => {
  it('a module that throws undefined or a string on import is failed with a reason, not a crash', async () => {
    const reg = newRegistry();
    const [undef] = await reg.loadFrom(`${bad}/throws-undefined-on-import`);
    expect(undef).toMatchObject({ name: 'throws-undefined-on-import', state: 'failed' });
    expect(undef?.reason).toMatch(/could not import .*throws-undefined-on-import: threw undefined/);
    const [str] = await reg.loadFrom(`${bad}/throws-string-on-import`);
    expect(str?.reason).toMatch(/: config.yaml is missing$/);
  });

  it('a dangling link in a plugins folder is one failed entry; the plugin beside it loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-coll-'));
    symlinkSync(join(dir, 'no-such-target'), join(dir, 'dangling'));
    mkdirSync(join(dir, 'plain'));
    writeFileSync(
      join(dir, 'plain', 'index.mjs'),
      `export default { name: 'plain', version: '1.0.0', description: '', kernels: [], input: { type: 'object' },
        output: { type: 'object' }, load: () => null, predict: (_c, _m, b) => b.map(() => ({})) };`,
    );
    const reg = newRegistry();
    const loaded = await reg.loadDirectory(dir);
    expect(loaded.map((m) => [m.name, m.state])).toEqual([
      ['dangling', 'failed'],
      ['plain', 'ready'],
    ]);
    expect(loaded[0]?.reason).toMatch(/cannot read .*dangling: .*ENOENT/);
    await reg.closeAll();
  });

  it('a module exporting an empty list is listed as failed rather than silently ignored', async () => {
    const reg = newRegistry();
    const loaded = await reg.loadFrom(`${bad}/empty-array`);
    expect(loaded).toHaveLength(1);
    expect(loaded[0]).toMatchObject({ name: 'empty-array', state: 'failed' });
    expect(loaded[0]?.reason).toMatch(/empty list of plugins/);
    expect(reg.list().map((m) => m.name)).toContain('empty-array');
  });

  it('schemas with an $id survive a reload and a second version', async () => {
    const reg = newRegistry();
    expect((await reg.loadFrom(`${bad}/schema-id`))[0]?.state).toBe('ready');
    expect((await reg.reload('schema-id')).map((m) => [m.state, m.reason])).toEqual([['ready', undefined]]);
    const id = { $id: 'SchemaIdInput' };
    const v2 = await reg.add(
      definePlugin({ ...base, name: 'schema-id', version: '2.0.0', input: Type.Object({ n: Type.Number() }, id) }),
      'inline',
    );
    expect([v2.state, v2.reason]).toEqual(['ready', undefined]);
    expect((await reg.infer('schema-id', '1.0.0', [{ n: 1 }])).outputs).toEqual([{ n: 2 }]);
    await reg.closeAll();
  });

  it('a 10 000-character name, a BigInt name or a name getter that throws: short reasons, never a throw', async () => {
    const reg = newRegistry();
    const long = await reg.add({ ...base, name: 'x'.repeat(10_000) }, 'inline');
    expect(long.state).toBe('failed');
    expect(long.reason?.length).toBeLessThan(400);
    expect(long.reason).toMatch(/name must match .*\(10000 characters\)/);
    expect(long.name.length).toBeLessThan(120);
    const big = await reg.add({ ...base, name: 10n }, 'inline');
    expect(big.reason).toMatch(/name must match .*got 10n/);
    const hostile = {
      ...base,
      get name(): string {
        throw new Error('no name for you');
      },
    };
    const h = await reg.add(hostile, 'hostile-source');
    expect(h).toMatchObject({ name: 'hostile-source', state: 'failed' });
    expect(h.reason).toContain('no name for you');
  });

  it('load() and warmup() that never finish fail the version after loadTimeoutMs; the next plugin loads', async () => {
    const reg = newRegistry(80);
    const t0 = performance.now();
    const [load] = await reg.loadFrom(`${bad}/load-hangs`);
    const [warm] = await reg.loadFrom(`${bad}/warmup-hangs`);
    const [echo] = await reg.loadFrom('test/fixtures/plugins/echo-v1');
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(load).toMatchObject({ name: 'load-hangs', state: 'failed' });
    expect(load?.reason).toMatch(/load\(\) did not finish within 80 ms/);
    expect(warm).toMatchObject({ name: 'warmup-hangs', state: 'failed' });
    expect(warm?.reason).toMatch(/warm-up: warmup\(\) did not finish within 80 ms/);
    expect(echo?.state).toBe('ready');
    expect((await errorOf(reg.infer('load-hangs', undefined, [{}]))).code).toBe('MODEL_NOT_READY');
    await reg.closeAll();
  });

  it('a load that finishes after its time limit is unloaded; one unloaded while loading likewise', async () => {
    const reg = newRegistry(40);
    const released: unknown[] = [];
    const slowLoad = (ms: number, model: string) => () => sleep(ms).then(() => ({ model }));
    const late = await reg.add(
      definePlugin({ ...base, name: 'late', load: slowLoad(100, 'late'), unload: (_c, m) => void released.push(m) }),
      'inline',
    );
    expect(late.state).toBe('failed');
    await sleep(120);
    expect(released).toEqual([{ model: 'late' }]);

    const reg2 = newRegistry(1000);
    const adding = reg2.add(
      definePlugin({ ...base, name: 'gone', load: slowLoad(60, 'gone'), unload: (_c, m) => void released.push(m) }),
      'inline',
    );
    await sleep(10);
    await reg2.unload('gone');
    expect((await adding).state).toBe('unloading');
    expect(released).toEqual([{ model: 'late' }, { model: 'gone' }]);
    expect(reg2.list()).toEqual([]);
  });
});

describe('hooks keep their object', () => {
  it('warmup, train and unload are called on the definition, so `this` works in them', async () => {
    const reg = newRegistry();
    const seen: string[] = [];
    const plugin = {
      ...base,
      name: 'methods',
      tag: 'mine',
      warmup(this: { tag: string }) {
        seen.push(`warmup ${this.tag}`);
      },
      train(this: { tag: string }) {
        return `trained ${this.tag}`;
      },
      unload(this: { tag: string }) {
        seen.push(`unload ${this.tag}`);
      },
    };
    expect((await reg.add(plugin, 'inline')).state).toBe('ready');
    const control = { signal: new AbortController().signal, progress: () => {} };
    expect(await reg.train('methods', undefined, {}, control)).toBe('trained mine');
    await reg.unload('methods');
    expect(seen).toEqual(['warmup mine', 'unload mine']);
  });
});

describe('predict and train that misbehave', () => {
  it('outputs JSON cannot carry (a cycle, a BigInt) are INVALID_OUTPUT naming the model', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${bad}/misbehaving`);
    for (const [mode, what] of [
      ['circular', /output 0\/self refers back .*cycle/],
      ['bigint', /output 0\/big is a BigInt/],
    ] as const) {
      const err = await errorOf(reg.infer('misbehaving', undefined, [{ mode }]));
      expect(err.code).toBe('INVALID_OUTPUT');
      expect(err.message).toMatch(/model misbehaving@1.0.0 returned output 0 that is not JSON/);
      expect(err.message).toMatch(what);
    }
    await reg.closeAll();
  });

  it('a timeout, a wrong output count or a thrown look-alike code name the model; a prototype key is no code', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${bad}/misbehaving`);
    const timeout = await errorOf(reg.infer('misbehaving', undefined, [{ mode: 'hang' }]));
    expect([timeout.code, timeout.message]).toEqual(['TIMEOUT', 'model misbehaving@1.0.0: predict took longer than 200 ms']);
    await reg.add(definePlugin({ ...base, name: 'none', predict: () => undefined as never }), 'inline');
    const none = await errorOf(reg.infer('none', undefined, [{}]));
    expect([none.code, none.message]).toEqual([
      'INVALID_OUTPUT',
      'model none@1.0.0: predict returned undefined instead of an array for 1 inputs',
    ]);
    await reg.add(
      definePlugin({
        ...base,
        name: 'proto-code',
        predict: () => {
          throw Object.assign(new Error('odd'), { code: 'constructor' });
        },
      }),
      'inline',
    );
    const proto = await errorOf(reg.infer('proto-code', undefined, [{}]));
    expect([proto.code, proto.status]).toEqual(['PREDICT_FAILED', 500]);
    await reg.closeAll();
  });

  it('train() throwing a string or undefined is TRAIN_FAILED naming the model; ABORTED keeps its code', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${bad}/misbehaving`);
    const control = { signal: new AbortController().signal, progress: () => {} };
    const midway = await errorOf(reg.train('misbehaving', undefined, { mode: 'fail-midway' }, control));
    expect([midway.code, midway.message]).toEqual(['TRAIN_FAILED', 'model misbehaving@1.0.0 train() failed: out of disk']);
    const undef = await errorOf(reg.train('misbehaving', undefined, { mode: 'throw-undefined' }, control));
    expect(undef.code).toBe('TRAIN_FAILED');
    expect(undef.message).toMatch(/threw undefined instead of an Error/);
    const echo = newRegistry();
    await echo.loadFrom('test/fixtures/plugins/echo-v2');
    const ac = new AbortController();
    const running = echo.train('echo', undefined, { steps: 100, stepMs: 5 }, { signal: ac.signal, progress: () => {} });
    ac.abort();
    expect((await errorOf(running)).code).toBe('ABORTED');
    await reg.closeAll();
    await echo.closeAll();
  });
});
