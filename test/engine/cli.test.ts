/** The waybill CLI: models and infer without a server, and clear usage errors. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTour } from '../../src/data/tsplib.js';
import { defaultDataDir } from '../../src/paths.js';
import { VERSION } from '../../src/version.js';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));
const run = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const haveHillstrom = existsSync(join(defaultDataDir(), 'uplift', 'hillstrom.csv'));
if (!haveHillstrom) console.warn('skipped: waybill eval pricing: no uplift/hillstrom.csv in the shared data');

describe('waybill eval (the domain plugins)', () => {
  it.skipIf(!haveHillstrom)('eval pricing prints its headline line, --json the report', () => {
    const line = run('eval', 'pricing').trim();
    expect(line).toMatch(/^pricing visit rate at a 30 % budget 0\.\d{4} \(rule 0\.\d{4}, random 0\.\d{4}, no e-mail 0\.\d{4}\)$/);
    const report = JSON.parse(run('eval', 'pricing', '--json')) as { pricing: { testRows: number; rows: unknown[] } };
    expect(report.pricing.testRows).toBe(19200);
    expect(report.pricing.rows.length).toBeGreaterThan(3);
  });

  it('an unknown evaluation is refused with the list of known ones', () => {
    const res = spawnSync(process.execPath, [bin, 'eval', 'weather'], { encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain("unknown evaluation 'weather'");
    expect(res.stderr).toContain('eta, merchant, demand, pricing, plugins');
  });
});

describe('waybill CLI', () => {
  it('models --json lists plugins with states and reasons', () => {
    const models = JSON.parse(run('models', '--json', '--plugins', 'plugins,test/fixtures/plugins/throws-on-load')) as Array<{
      name: string;
      state: string;
      reason?: string;
    }>;
    expect(models.find((m) => m.name === 'example-distance')?.state).toBe('ready');
    expect(models.find((m) => m.name === 'throws-on-load')?.reason).toContain('artifact file missing');
  });

  it('infer runs a model on one instance, or on an array for a named version', () => {
    const one = JSON.parse(run('infer', 'example-distance', '{"lat":47.6,"lng":-122.3}')) as { predictions: Array<{ distance_m: number }> };
    expect(one.predictions).toHaveLength(1);
    expect(one.predictions[0]?.distance_m).toBeGreaterThan(0);
    const many = JSON.parse(run('infer', 'echo@1.0.0', '[{"x":1},{"x":4}]', '--plugins', 'test/fixtures/plugins/echo-v1')) as {
      predictions: Array<{ y: number }>;
    };
    expect(many.predictions.map((p) => p.y)).toEqual([2, 8]);
  });

  it('reads plugins from a config file (WAYBILL_CONFIG) and rejects a malformed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-cfg-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ plugins: [fileURLToPath(new URL('../fixtures/plugins/echo-v1', import.meta.url))] }));
    const out = execFileSync(process.execPath, [bin, 'models', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, WAYBILL_CONFIG: good },
    });
    expect((JSON.parse(out) as Array<{ name: string }>).map((m) => m.name)).toContain('echo');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"plugins": 3}');
    const res = spawnSync(process.execPath, [bin, 'models'], { encoding: 'utf8', env: { ...process.env, WAYBILL_CONFIG: bad } });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('"plugins" must be an array');
  });

  it('solve: a TSPLIB instance with a progress bar, the tour written as .tour (routing files: cli-solve.test.ts)', () => {
    const data = join(defaultDataDir(), 'or');
    const out = join(mkdtempSync(join(tmpdir(), 'wb-solve-')), 'eil51.tour');
    const res = spawnSync(process.execPath, [bin, 'solve', join(data, 'tsplib', 'eil51.tsp'), '--time', '0.6', '--json', '--out', out], {
      encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    expect(res.stderr).toMatch(/\[#*\.*\] .* best \d+/);
    const summary = JSON.parse(res.stdout) as { length: number; n: number };
    expect(summary.n).toBe(51);
    expect(summary.length).toBeLessThanOrEqual(426 * 1.02);
    const tour = parseTour(readFileSync(out, 'utf8'));
    expect(new Set(tour).size).toBe(51);
  });

  it('bad usage exits 2 with the usage; a failing command exits 1 with the error code', () => {
    const usage = spawnSync(process.execPath, [bin, 'infer', 'echo'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: waybill');
    const bad = spawnSync(process.execPath, [bin, 'infer', 'example-distance', '{not json'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
  });

  it('refuses flags of another command, extra arguments and zero solver threads; --version prints the version', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    // These were all ignored without a word (the --time of info, the file after info, workers 0
    // replaced by 1 or 2).
    for (const [args, message] of [
      [['info', '--time', '3'], '--time is not an option of info (its options: --json --workers)'],
      [['info', 'extra'], "info takes no arguments, got 'extra'"],
      [['solve', 'x.tsp', '--workers', '0'], "--workers must be an integer in [1, 256], got '0'"],
    ] as const) {
      const res = cli(...args);
      expect(res.status, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(message);
    }
    const version = cli('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(`waybill ${VERSION}`);
  }, 60_000);

  it('models --url: nothing listening or a malformed URL is an INVALID_ARGUMENT naming the URL', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const url = `http://127.0.0.1:${port}`;
    const refused = spawnSync(process.execPath, [bin, 'models', '--url', url], { encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`waybill: INVALID_ARGUMENT: --url ${url}: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})\n`);
    const malformed = spawnSync(process.execPath, [bin, 'models', '--url', 'not a url'], { encoding: 'utf8' });
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toContain('waybill: INVALID_ARGUMENT: --url not a url: Invalid URL');
  });
});
