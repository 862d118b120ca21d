/**
 * `waybill solve` on routing files, run as a child process like a user would: CVRPLIB `.vrp`
 * with the gap to its `.sol` and the plan written back as a `.sol` that the checker accepts, a
 * Solomon `.vrptw` against the BKS.csv row of its rounding, the original Solomon text layout, a
 * JSON problem with GeoJSON output, an infeasible fleet (exit 2), Ctrl-C with the best plan so
 * far, and bad files (exit 1 with the error code).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSolomon } from '../../src/data/solomon.js';
import { parseSolution, parseTsplib } from '../../src/data/tsplib.js';
import { createEngine } from '../../src/index.js';
import { checkPlan } from '../../src/kernels/or/routes.js';
import { defaultDataDir } from '../../src/paths.js';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));
const solve = (...args: string[]) => spawnSync(process.execPath, [bin, 'solve', ...args], { encoding: 'utf8' });

const engine = createEngine({ workers: 0 });
afterAll(() => engine.close());
const native = engine.backends().find((b) => b.name === 'native');
const nativeSkip = !native?.available;
if (nativeSkip) console.warn(`skipped: waybill solve on routing files: native backend unavailable (${native?.reason})`);
const OR_DIR = join(defaultDataDir(), 'or');
const X101 = join(OR_DIR, 'X', 'X-n101-k25.vrp');
const C101 = join(OR_DIR, 'solomon', 'C101.vrptw');
const haveData = existsSync(X101) && existsSync(C101);
if (!haveData) console.warn(`skipped: waybill solve on real instances: ${OR_DIR} not found`);

const tmp = () => mkdtempSync(join(tmpdir(), 'wb-solve-vrp-'));

interface Summary {
  name: string;
  format: string;
  rounding?: string;
  cost: number;
  distance: number;
  vehicles: number;
  feasible: boolean;
  unassigned: number;
  iterations: number;
  cancelled: boolean;
  routes: number[][];
  violations: Array<{ kind: string }>;
  reference?: { value: number; source: string; gapPct: number };
}

describe.skipIf(nativeSkip || !haveData)('waybill solve: routing files', () => {
  it('CVRPLIB .vrp: cost and the gap to the .sol beside it, the plan as a .sol the checker accepts', () => {
    const out = join(tmp(), 'plan.sol');
    const res = solve(X101, '--iterations', '200', '--out', out);
    expect(res.status, res.stderr).toBe(0);
    const cost = Number(/cost (\d+), distance \1, (\d+) routes, feasible, 0 unassigned/.exec(res.stdout)?.[1]);
    expect(cost).toBeGreaterThanOrEqual(27591);
    const gap = /gap (\d+\.\d\d) % to BKS 27591 \(X-n101-k25\.sol\)/.exec(res.stdout);
    expect(gap, res.stdout).not.toBeNull();
    expect(Number(gap?.[1])).toBeCloseTo((100 * (cost - 27591)) / 27591, 2);
    expect(res.stdout).toContain('200 iterations');
    const inst = parseTsplib(readFileSync(X101, 'utf8'));
    const sol = parseSolution(readFileSync(out, 'utf8'), inst.depot);
    const check = checkPlan(inst, sol.routes, 'nint', inst.vehicles);
    expect(check.violations).toEqual([]);
    expect(check.cost).toBe(cost);
    expect(sol.cost).toBe(cost);
  });

  it('Solomon .vrptw: exact rounding by default against the exact-double BKS row, trunc1 against the truncated row', () => {
    const exact = solve(C101, '--iterations', '300', '--vehicles', '10', '--json');
    expect(exact.status, exact.stderr).toBe(0);
    const s = JSON.parse(exact.stdout) as Summary;
    expect(s).toMatchObject({ name: 'C101', format: 'cvrplib', rounding: 'exact', feasible: true, unassigned: 0, iterations: 300 });
    expect(s.routes.length).toBeLessThanOrEqual(10);
    expect(s.routes.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(s.reference).toMatchObject({ value: 828.94, source: 'BKS.csv exact-double, 10 vehicles' });
    expect(s.reference?.gapPct).toBeCloseTo((100 * (s.cost - 828.94)) / 828.94, 9);
    expect(s.reference?.gapPct).toBeGreaterThan(-0.01);
    expect(s.reference?.gapPct).toBeLessThan(5);
    const trunc = JSON.parse(solve(C101, '--iterations', '300', '--rounding', 'trunc1', '--json').stdout) as Summary;
    expect(trunc.rounding).toBe('trunc1');
    expect(trunc.reference).toMatchObject({ value: 827.3, source: 'BKS.csv truncated-1dp, 10 vehicles' });
    // Edges truncated to one decimal: the cost is a multiple of 0.1.
    expect(Math.round(trunc.cost * 10) / 10).toBeCloseTo(trunc.cost, 9);
  });

  it('the original Solomon text layout; a fleet too small is reported INFEASIBLE with exit code 2', () => {
    const dir = tmp();
    const file = join(dir, 'C101.txt');
    const inst = parseTsplib(readFileSync(C101, 'utf8'));
    writeFileSync(file, writeSolomon({ ...inst, vehicles: 25 }));
    const ok = solve(file, '--iterations', '100', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const s = JSON.parse(ok.stdout) as Summary;
    expect(s).toMatchObject({ name: 'C101', format: 'solomon', rounding: 'exact', feasible: true });
    // Not in a folder with a BKS.csv or a .sol: no reference, said so.
    expect(s.reference).toBeUndefined();
    // Demand 1810 on vehicles of capacity 200 needs at least 10 of them.
    const tight = solve(file, '--iterations', '50', '--vehicles', '5');
    expect(tight.status).toBe(2);
    expect(tight.stdout).toContain('INFEASIBLE');
    expect(tight.stderr).toMatch(
      /^INFEASIBLE: the plan breaks \d+ constraint\(s\):\n {2}capacity \(route \d+\): load \d+ exceeds capacity 200/m,
    );
  });

  it('Ctrl-C stops the search and prints the best plan so far', async () => {
    const child = spawn(process.execPath, [bin, 'solve', X101, '--time', '30s', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // The first progress line means the search runs: interrupt it.
        if (/best \d+ feasible/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(stderr).toContain('interrupted: stopping with the best plan so far');
    // Not a TTY: whole progress lines (elapsed / budget, best, feasible, iterations).
    expect(stderr).toMatch(/^\[#*\.*\] \d+\.\d\/30\.0 s {2}best \d+ feasible {2}iterations \d+$/m);
    const s = JSON.parse(stdout) as Summary;
    expect(s.cancelled).toBe(true);
    expect(s.feasible).toBe(true);
    expect(s.routes.flat()).toHaveLength(100);
  });
});

describe.skipIf(nativeSkip)('waybill solve: JSON problems and bad files', () => {
  const problem = {
    depots: [{ id: 'hub', x: 0, y: 0 }],
    customers: [
      { id: 'a', x: 3, y: 4, demand: 2 },
      { id: 'b', x: -3, y: 4, demand: 2 },
      { id: 'c', x: 0, y: -5, demand: 4 },
    ],
    vehicleTypes: [{ id: 'van', capacity: 5 }],
    distances: { metric: 'euclidean', rounding: 'exact' },
  };

  it('a JSON problem, written as GeoJSON (planar coordinates) and as the full solution JSON', () => {
    const dir = tmp();
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(problem));
    const res = solve(file, '--iterations', '50', '--json', '--out', join(dir, 'p.geojson'));
    expect(res.status, res.stderr).toBe(0);
    const s = JSON.parse(res.stdout) as Summary;
    // a and b together (3-4-5 triangles: 5 + 6 + 5), c alone (5 + 5).
    expect(s.distance).toBeCloseTo(26, 9);
    expect(s).toMatchObject({ format: 'json', rounding: 'exact', vehicles: 2, feasible: true });
    const geo = JSON.parse(readFileSync(join(dir, 'p.geojson'), 'utf8')) as {
      coordinateSystem: string;
      features: Array<{ geometry: { type: string; coordinates: number[] | number[][] }; properties: { kind: string; id?: string } }>;
    };
    expect(geo.coordinateSystem).toContain('planar');
    const lines = geo.features.filter((f) => f.geometry.type === 'LineString');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      const c = l.geometry.coordinates as number[][];
      expect(c[0]).toEqual([0, 0]);
      expect(c[c.length - 1]).toEqual([0, 0]);
    }
    expect(geo.features.find((f) => f.properties.id === 'c')?.geometry.coordinates).toEqual([0, -5]);
    expect(geo.features.filter((f) => f.properties.kind === 'depot')).toHaveLength(1);
    const full = solve(file, '--iterations', '10', '--out', join(dir, 'p.out.json'));
    expect(full.status, full.stderr).toBe(0);
    const sol = JSON.parse(readFileSync(join(dir, 'p.out.json'), 'utf8')) as { routes: Array<{ ids: string[] }>; backend: string };
    expect(sol.backend).toBe('native');
    expect(sol.routes.flatMap((r) => r.ids).sort()).toEqual(['a', 'b', 'c']);
  });

  it('bad files: exit 1 with the error code and where', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.vrp');
    writeFileSync(
      bad,
      'NAME : bad\nTYPE : CVRP\nDIMENSION : 3\nCAPACITY : 10\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 x 1\n',
    );
    const broken = solve(bad);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/waybill: INVALID_ARGUMENT: line 8: expected 3 numbers/);
    const json = join(dir, 'p.json');
    writeFileSync(json, JSON.stringify({ ...problem, customers: [{ id: 'a', x: 1, y: 1, demand: 9 }] }));
    const heavy = solve(json);
    expect(heavy.status).toBe(1);
    expect(heavy.stderr).toContain('INFEASIBLE: customers[0].demand');
    const atsp = join(dir, 'a.atsp');
    writeFileSync(atsp, 'NAME : a\nTYPE : ATSP\nDIMENSION : 2\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n');
    expect(solve(atsp).stderr).toContain('KERNEL_UNSUPPORTED: a.atsp: TYPE ATSP is not solvable');
  });

  it('bad options: exit 1 (or 2 for usage) with the reason, before any search', () => {
    const dir = tmp();
    const json = join(dir, 'p.json');
    writeFileSync(json, JSON.stringify(problem));
    const rounding = solve(json, '--rounding', 'nint');
    expect(rounding.status).toBe(1);
    expect(rounding.stderr).toContain('INVALID_ARGUMENT: --rounding and --vehicles apply to CVRPLIB and Solomon files');
    const ext = solve(json, '--out', join(dir, 'plan.txt'));
    expect(ext.status).toBe(1);
    expect(ext.stderr).toContain('write .sol (CVRPLIB), .json (the full solution) or .geojson');
    expect(ext.stderr).not.toContain('best');
    const time = solve(json, '--time', 'soon');
    expect(time.status).toBe(2);
    expect(time.stderr).toContain('--time must be a positive duration');
    // An --out that cannot be written is refused before the search, not after the whole budget.
    const lost = solve(json, '--time', '5', '--out', join(dir, 'missing', 'plan.sol'));
    expect(lost.status).toBe(1);
    expect(lost.stderr).toMatch(/INVALID_ARGUMENT: --out .*plan\.sol: the folder .*missing does not exist/);
    expect(lost.stderr).not.toContain('best');
    const tsp = join(dir, 'small.tsp');
    writeFileSync(tsp, 'NAME : s\nTYPE : TSP\nDIMENSION : 3\nNODE_COORD_SECTION\n1 0 0\n2 3 0\n3 0 4\nEOF\n');
    const tour = solve(tsp, '--time', '5', '--out', dir);
    expect(tour.status).toBe(1);
    expect(tour.stderr).toContain('is a folder, not a file');
    expect(tour.stderr).not.toContain('best');
    // An empty value is not 0 (Number('') is), a huge one not an integer past 2^53.
    const seed = solve(json, '--seed', '');
    expect(seed.status).toBe(2);
    expect(seed.stderr).toContain("--seed must be a non-negative integer, got ''");
  });
});
