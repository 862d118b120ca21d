/**
 * Plugin contract and registry: validation of definitions, isolation of broken plugins,
 * versions and defaults, unload/reload, input/output validation, and the per-model runner
 * (bounded queue, dynamic batching).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, WaybillError } from '../../src/index.js';
import { definePlugin } from '../../src/plugins/define.js';
import { compareVersions, ModelRegistry } from '../../src/plugins/registry.js';
import { ModelRunner } from '../../src/plugins/runner.js';

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const fixtures = 'test/fixtures/plugins';
const newRegistry = () =>
  new ModelRegistry({ kernels: engine.kernels, logger: quiet, artifactsDir: mkdtempSync(join(tmpdir(), 'wb-art-')) });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as WaybillError).code;
  }
  throw new Error('expected a rejection');
}

describe('definePlugin', () => {
  const ok = {
    name: 'm',
    version: '1.0.0',
    description: '',
    kernels: [],
    input: Type.Object({}),
    output: Type.Object({}),
    load: () => 1,
    predict: () => [],
  };
  it('accepts a complete definition', () => {
    expect(definePlugin(ok).name).toBe('m');
  });
  it('lists every problem of a bad one', () => {
    try {
      definePlugin({ ...ok, name: 'Bad Name', version: '', predict: 'no' as never });
      throw new Error('not thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(WaybillError);
      expect((err as WaybillError).code).toBe('INVALID_PLUGIN');
      expect((err as WaybillError).message).toMatch(/name must match.*version must match.*predict must be a function/);
    }
  });
});

describe('registry: loading and isolation', () => {
  it('loads a folder of plugins; each broken one is failed with its reason, the rest are ready', async () => {
    const reg = newRegistry();
    await reg.loadDirectory(fixtures);
    const byName = new Map(reg.list().map((m) => [`${m.name}@${m.version}`, m]));
    expect(byName.get('echo@1.0.0')?.state).toBe('ready');
    expect(byName.get('echo@2.0.0')?.state).toBe('ready');
    expect(byName.get('slow@1.0.0')?.state).toBe('ready');
    expect(byName.get('throws-on-load@0.1.0')?.state).toBe('failed');
    expect(byName.get('throws-on-load@0.1.0')?.reason).toContain('artifact file missing');
    expect(byName.get('bad-schema@0.1.0')?.reason).toMatch(/input schema is invalid/);
    const noExport = reg.list().find((m) => m.source.endsWith('no-export'));
    expect(noExport?.state).toBe('failed');
    expect(noExport?.reason).toMatch(/no default export/);
    await reg.closeAll();
  });

  it('a file that does not parse, a missing path and an unknown package are failures, not crashes', async () => {
    const reg = newRegistry();
    const dir = mkdtempSync(join(tmpdir(), 'wb-broken-'));
    writeFileSync(join(dir, 'index.mjs'), 'export default definePlugin({ name: ');
    const [broken] = await reg.loadFrom(dir);
    expect(broken?.state).toBe('failed');
    expect(broken?.reason).toMatch(/could not import/);
    expect((await reg.loadFrom('./no/such/plugin'))[0]?.reason).toMatch(/does not exist/);
    expect((await reg.loadFrom('waybill-plugin-that-is-not-installed'))[0]?.reason).toMatch(/not installed/);
  });

  it('loads a third-party plugin from an installed npm package name (plain object, JSON schemas)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wb-pkg-'));
    const pkg = join(root, 'node_modules', 'waybill-plugin-demo');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'waybill-plugin-demo', version: '0.3.0', type: 'module', main: 'main.mjs' }),
    );
    writeFileSync(
      join(pkg, 'main.mjs'),
      `export default {
        name: 'demo', version: '0.3.0', description: 'adds one', kernels: [],
        input: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        output: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        load: () => null,
        predict: (_ctx, _model, batch) => batch.map((b) => ({ n: b.n + 1 })),
      };`,
    );
    const reg = new ModelRegistry({
      kernels: engine.kernels,
      logger: quiet,
      resolveFrom: root,
      artifactsDir: mkdtempSync(join(tmpdir(), 'wb-art-')),
    });
    const [m] = await reg.loadFrom('waybill-plugin-demo');
    expect(m?.state).toBe('ready');
    expect(m?.source).toBe('waybill-plugin-demo');
    expect((await reg.infer('demo', undefined, [{ n: 41 }])).outputs).toEqual([{ n: 42 }]);
    await reg.closeAll();
  });

  it('records which backends served a model', async () => {
    const reg = newRegistry();
    await reg.loadFrom('plugins/example-distance');
    await reg.infer('example-distance', undefined, [{ lat: 40, lng: -74 }]);
    const backends = reg.get('example-distance').backends ?? [];
    expect(backends.length).toBeGreaterThan(0);
    expect(backends.every((b) => ['cuda', 'native', 'gpujs', 'js'].includes(b))).toBe(true);
    await reg.closeAll();
  });

  it('a second copy of name@version is a name clash and leaves the first serving', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${fixtures}/echo-v1`);
    const [clash] = await reg.loadFrom(`./${fixtures}/echo-v1`);
    expect(clash?.state).toBe('failed');
    expect(clash?.reason).toMatch(/name clash: echo@1.0.0/);
    expect(clash?.isDefault).toBe(false);
    expect((await reg.infer('echo', '1.0.0', [{ x: 2 }])).outputs).toEqual([{ y: 4, version: '1.0.0' }]);
    await reg.closeAll();
  });
});

describe('registry: versions, unload, reload', () => {
  it('serves versions side by side; the default is the highest unless pinned', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${fixtures}/echo-v1`);
    await reg.loadFrom(`${fixtures}/echo-v2`);
    expect(reg.defaultVersion('echo')).toBe('2.0.0');
    expect((await reg.infer('echo', undefined, [{ x: 1 }])).outputs[0]).toEqual({ y: 3, version: '2.0.0' });
    expect((await reg.infer('echo', '1.0.0', [{ x: 1 }])).outputs[0]).toEqual({ y: 2, version: '1.0.0' });
    reg.setDefault('echo', '1.0.0');
    expect((await reg.infer('echo', undefined, [{ x: 1 }])).version).toBe('1.0.0');
    expect(reg.versions('echo').map((v) => [v.version, v.isDefault])).toEqual([
      ['1.0.0', true],
      ['2.0.0', false],
    ]);
    expect(await codeOf(reg.infer('echo', '9.9.9', [{ x: 1 }]))).toBe('MODEL_NOT_FOUND');
    await reg.unload('echo', '1.0.0');
    expect(reg.defaultVersion('echo')).toBe('2.0.0');
    await reg.unload('echo');
    expect(() => reg.versions('echo')).toThrow(/no model named echo/);
  });

  it('reload imports the source again and serves it', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${fixtures}/echo-v1`);
    const again = await reg.reload('echo');
    expect(again.map((m) => m.state)).toEqual(['ready']);
    expect((await reg.infer('echo', undefined, [{ x: 5 }])).outputs[0]).toEqual({ y: 10, version: '1.0.0' });
    await reg.closeAll();
  });
});

describe('registry: validation', () => {
  it('rejects inputs that do not match the schema, saying which and why', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${fixtures}/echo-v1`);
    const err = (await reg.infer('echo', undefined, [{ x: 1 }, { x: 'two' }]).catch((e) => e)) as WaybillError;
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.details).toMatchObject({ index: 1 });
    expect(await codeOf(reg.infer('echo', undefined, [{ x: 1, extra: true }]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(reg.infer('echo', undefined, []))).toBe('INVALID_ARGUMENT');
    await reg.closeAll();
  });

  it('rejects outputs that do not match the plugin output schema', async () => {
    const reg = newRegistry();
    await reg.add(
      definePlugin({
        name: 'liar',
        version: '1',
        description: '',
        kernels: [],
        input: Type.Object({}),
        output: Type.Object({ y: Type.Number() }),
        load: () => null,
        predict: (_c, _m, batch) => batch.map(() => ({ y: 'not a number' }) as never),
      }),
      'inline',
    );
    expect(await codeOf(reg.infer('liar', undefined, [{}]))).toBe('INVALID_OUTPUT');
    await reg.closeAll();
  });

  it('an error thrown by predict is PREDICT_FAILED with its message, and counted', async () => {
    const reg = newRegistry();
    await reg.add(
      definePlugin({
        name: 'thrower',
        version: '1',
        description: '',
        kernels: [],
        input: Type.Object({}),
        output: Type.Object({}),
        load: () => null,
        predict: () => {
          throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
        },
      }),
      'inline',
    );
    const err = (await reg.infer('thrower', undefined, [{}]).catch((e) => e)) as WaybillError;
    expect(err.code).toBe('PREDICT_FAILED');
    expect(err.message).toContain('disk on fire');
    expect(reg.get('thrower').failures).toBe(1);
    await reg.closeAll();
  });

  it('a failed model answers MODEL_NOT_READY with its reason', async () => {
    const reg = newRegistry();
    await reg.loadFrom(`${fixtures}/throws-on-load`);
    const err = (await reg.infer('throws-on-load', undefined, [{}]).catch((e) => e)) as WaybillError;
    expect(err.code).toBe('MODEL_NOT_READY');
    expect(err.message).toContain('artifact file missing');
  });
});

describe('compareVersions', () => {
  it('orders by SemVer precedence: a pre-release below its release (the text order made 1.0.0-beta the default over 1.0.0)', () => {
    const order = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    for (let k = 0; k < 5; k++) {
      const shuffled = [...order].sort((a, b) => ((a.length * 7 + k) % 5) - ((b.length * 7 + k) % 5) || a.localeCompare(b));
      expect(shuffled.sort(compareVersions)).toEqual(order);
    }
    expect(['1.10.0', '2.0.0', '1.9.0', 'v10', 'v2'].sort(compareVersions)).toEqual(['1.9.0', '1.10.0', '2.0.0', 'v2', 'v10']);
    expect(compareVersions('1.0.0+build.5', '1.0.0')).toBeGreaterThan(0); // equal precedence, still a stable order
  });
});

describe('runner', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('bounds the queue: beyond it requests fail at once with MODEL_OVERLOADED, the rest all finish', async () => {
    const runner = new ModelRunner<number, number>({ maxConcurrency: 1, maxQueue: 2, timeoutMs: 5000 }, async (b) => {
      await sleep(20);
      return b.map((x) => x * 2);
    });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => runner.submit([i])));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(3); // 1 running + 2 waiting
    expect(rejected.every((r) => (r.reason as WaybillError).code === 'MODEL_OVERLOADED')).toBe(true);
    expect(runner.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('dynamic batching: requests of one event-loop turn share a call; those arriving while busy share the next', async () => {
    const calls: number[] = [];
    const runner = new ModelRunner<number, number>(
      { maxConcurrency: 1, maxQueue: 100, timeoutMs: 5000, batching: { maxBatchSize: 8, maxWaitMs: 1000 } },
      async (b) => {
        calls.push(b.length);
        await sleep(30);
        return b.map((x) => x + 100);
      },
    );
    const started = performance.now();
    const same = [runner.submit([0]), runner.submit([1]), runner.submit([2])];
    await sleep(5); // the first call is running now
    const later = Array.from({ length: 5 }, (_, i) => runner.submit([i + 3]));
    const out = await Promise.all([...same, ...later]);
    // Neither batch waited for the 1000 ms window: the first left at the end of its turn, the
    // second as soon as the slot freed.
    expect(calls).toEqual([3, 5]);
    expect(performance.now() - started).toBeLessThan(500);
    expect(out.map((r) => r.outputs[0])).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
    expect(out.map((r) => r.batchSize)).toEqual([3, 3, 3, 5, 5, 5, 5, 5]);
    // A full batch leaves at once; a request larger than the batch goes alone.
    calls.length = 0;
    const busy = runner.submit([0]);
    await sleep(5);
    await Promise.all([
      busy,
      ...Array.from({ length: 8 }, (_, i) => runner.submit([i])),
      runner.submit(Array.from({ length: 20 }, (_, i) => i)),
    ]);
    expect(calls).toEqual([1, 8, 20]);
  });

  it('dynamic batching flushes after maxWaitMs when no slot frees', async () => {
    const calls: number[] = [];
    const runner = new ModelRunner<number, number>(
      { maxConcurrency: 1, maxQueue: 100, timeoutMs: 5000, batching: { maxBatchSize: 64, maxWaitMs: 10 } },
      async (b) => {
        calls.push(b.length);
        await sleep(b.length === 1 ? 200 : 1);
        return b;
      },
    );
    const long = runner.submit([1]);
    await sleep(5); // running
    const early = [runner.submit([2]), runner.submit([3])];
    // 50 ms later the first open batch has left (after 10 ms) and waits for the slot, so a new
    // request starts a batch of its own instead of joining it.
    await sleep(50);
    const late = runner.submit([4]);
    await Promise.all([long, ...early, late]);
    expect(calls).toEqual([1, 2, 1]);
  });

  it('times out a slow predict', async () => {
    const runner = new ModelRunner<number, number>({ maxConcurrency: 1, maxQueue: 1, timeoutMs: 30 }, async (b) => {
      await sleep(200);
      return b;
    });
    expect(await codeOf(runner.submit([1]))).toBe('TIMEOUT');
  });

  it('a timed-out call keeps its slot until it ends: a model that hangs no longer piles up calls; waits are bounded too', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const hang = new Promise<void>((r) => {
      release = r;
    });
    const runner = new ModelRunner<number, number>({ maxConcurrency: 1, maxQueue: 4, timeoutMs: 40 }, async (b) => {
      calls++;
      await hang;
      return b;
    });
    expect(await codeOf(runner.submit([1]))).toBe('TIMEOUT');
    expect(runner.stats()).toMatchObject({ inFlight: 1, timedOut: 1, queued: 0 });
    // Before, each of these started another never-ending call (4 calls running for maxConcurrency 1).
    const waiting = [runner.submit([2]), runner.submit([3]), runner.submit([4])];
    expect(runner.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    const errors = await Promise.all(
      waiting.map((w) =>
        w.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    for (const e of errors) {
      expect(e).toBeInstanceOf(WaybillError);
      expect((e as WaybillError).code).toBe('TIMEOUT');
      expect((e as WaybillError).message).toMatch(/for a free slot \(1 calls running, 1 of them past their time limit\)/);
    }
    expect(calls).toBe(1);
    expect(runner.stats()).toMatchObject({ inFlight: 1, timedOut: 1, queued: 0 });
    // Unloading does not wait for the hung call; once it ends, the slot serves again.
    await runner.drain();
    release();
    await sleep(5);
    expect(runner.stats()).toMatchObject({ inFlight: 0, timedOut: 0 });
    expect((await runner.submit([7])).outputs).toEqual([7]);
    expect(calls).toBe(2);
  });

  it('with dynamic batching too: requests waiting in the open batch behind a hung call time out and leave it', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const hang = new Promise<void>((r) => {
      release = r;
    });
    const runner = new ModelRunner<number, number>(
      { maxConcurrency: 1, maxQueue: 8, timeoutMs: 40, batching: { maxBatchSize: 8, maxWaitMs: 10_000 } },
      async (b) => {
        calls++;
        await hang;
        return b;
      },
    );
    expect(await codeOf(runner.submit([1]))).toBe('TIMEOUT');
    const waiting = [runner.submit([2]), runner.submit([3])];
    expect(runner.stats()).toMatchObject({ inFlight: 1, timedOut: 1, queued: 2 });
    for (const w of waiting) expect(await codeOf(w)).toBe('TIMEOUT');
    expect(runner.stats()).toMatchObject({ queued: 0 });
    expect(calls).toBe(1);
    await runner.drain();
    release();
    await sleep(5);
    expect((await runner.submit([9])).outputs).toEqual([9]);
  });

  it('reports a predict returning the wrong number of outputs', async () => {
    const runner = new ModelRunner<number, number>({ maxConcurrency: 1, maxQueue: 1, timeoutMs: 1000 }, async () => [1]);
    expect(await codeOf(runner.submit([1, 2]))).toBe('INVALID_OUTPUT');
  });
});
