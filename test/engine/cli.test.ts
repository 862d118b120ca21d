/** The waybill CLI: models and infer without a server, and clear usage errors. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSolution, parseTour, parseTsplib } from '../../src/data/tsplib.js';
import { checkPlan } from '../../src/kernels/or/routes.js';
import { defaultDataDir } from '../../src/paths.js';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));
const run = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

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

  it('solve: a TSPLIB instance with a progress bar, the tour written as .tour', () => {
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

  it('solve: a CVRPLIB .vrp with progress and the gap to its .sol, the plan written as a .sol that checks feasible', () => {
    const data = join(defaultDataDir(), 'or');
    const dir = mkdtempSync(join(tmpdir(), 'wb-vrp-'));
    const out = join(dir, 'x.sol');
    const file = join(data, 'X', 'X-n101-k25.vrp');
    const res = spawnSync(process.execPath, [bin, 'solve', file, '--iterations', '1500', '--out', out], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/\[#*\.*\] .* best \d+/);
    expect(res.stdout).toMatch(/X-n101-k25: 100 customers, cost \d+\.00, .*gap \d+\.\d\d % to 27591 \(X-n101-k25\.sol\)/);
    const inst = parseTsplib(readFileSync(file, 'utf8'));
    const sol = parseSolution(readFileSync(out, 'utf8'));
    const check = checkPlan(inst, sol.routes, 'nint');
    expect(check.feasible).toBe(true);
    expect(check.cost).toBe(sol.cost);
  });

  it('solve: a Solomon .vrptw with --vehicles, a JSON problem, and a malformed file', () => {
    const data = join(defaultDataDir(), 'or');
    const tw = spawnSync(
      process.execPath,
      [bin, 'solve', join(data, 'solomon', 'C101.vrptw'), '--iterations', '1000', '--vehicles', '10', '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(tw.status, tw.stderr).toBe(0);
    const s = JSON.parse(tw.stdout) as { feasible: boolean; routes: number[][]; reference: { gapPct: number } };
    expect(s.feasible).toBe(true);
    expect(s.routes.length).toBeLessThanOrEqual(10);
    expect(s.reference.gapPct).toBeLessThan(5);
    const dir = mkdtempSync(join(tmpdir(), 'wb-vrp-'));
    const json = join(dir, 'p.json');
    writeFileSync(
      json,
      JSON.stringify({
        depots: [{ x: 0, y: 0 }],
        customers: [
          { id: 'a', x: 3, y: 4, demand: 2 },
          { id: 'b', x: -3, y: 4, demand: 2 },
        ],
        vehicleTypes: [{ capacity: 5 }],
        distances: { metric: 'euclidean', rounding: 'exact' },
      }),
    );
    const js = spawnSync(process.execPath, [bin, 'solve', json, '--iterations', '20', '--json', '--out', join(dir, 'p.geojson')], {
      encoding: 'utf8',
    });
    expect(js.status, js.stderr).toBe(0);
    expect(JSON.parse(js.stdout).distance).toBeCloseTo(16, 9);
    const geo = JSON.parse(readFileSync(join(dir, 'p.geojson'), 'utf8')) as { features: Array<{ geometry: { type: string } }> };
    expect(geo.features.filter((f) => f.geometry.type === 'LineString')).toHaveLength(1);
    const bad = join(dir, 'bad.vrp');
    writeFileSync(
      bad,
      'NAME : bad\nTYPE : CVRP\nDIMENSION : 3\nCAPACITY : 10\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 x 1\n',
    );
    const broken = spawnSync(process.execPath, [bin, 'solve', bad], { encoding: 'utf8' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('INVALID_ARGUMENT');
  });

  it('bad usage exits 2 with the usage; a failing command exits 1 with the error code', () => {
    const usage = spawnSync(process.execPath, [bin, 'infer', 'echo'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: waybill');
    const bad = spawnSync(process.execPath, [bin, 'infer', 'example-distance', '{not json'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
  });
});
