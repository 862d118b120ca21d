/**
 * Routing formats and the independent plan checker, on the real benchmark files in
 * ../shared/data/or (see its SOURCES.md): every CVRPLIB best-known solution shipped there must
 * parse, be feasible, and cost exactly its stated value (= BKS.csv) under the file's convention.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSolution, parseTour, parseTsplib, writeSolution } from '../../src/data/tsplib.js';
import type { WaybillError } from '../../src/index.js';
import { checkPlan, conventionOf, edgeLength, tourLength } from '../../src/kernels/or/routes.js';
import { defaultDataDir } from '../../src/paths.js';

const OR = join(defaultDataDir(), 'or');
if (!existsSync(OR)) console.warn(`routing format tests need ${OR} (set WAYBILL_DATA_DIR)`);

function bks(family: string): Map<string, { bks: number; vehicles: number; convention: string }> {
  const rows = readFileSync(join(OR, family, 'BKS.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const out = new Map<string, { bks: number; vehicles: number; convention: string }>();
  for (const row of rows) {
    // family,instance,n,bks,"distance_convention",source,vehicles (the convention is quoted and may hold commas)
    const m = /^([^,]+),([^,]+),(\d+),([^,]+),"([^"]*)",(.*),(\d+)\s*$/.exec(row);
    if (m && !out.has(m[2] as string)) out.set(m[2] as string, { bks: Number(m[4]), vehicles: Number(m[7]), convention: m[5] as string });
  }
  return out;
}

describe('CVRPLIB X: every shipped best-known solution is feasible and costs its BKS', () => {
  it('all X instances with a .sol', () => {
    const table = bks('X');
    const files = readdirSync(join(OR, 'X')).filter((f) => f.endsWith('.sol'));
    expect(files.length).toBeGreaterThanOrEqual(50);
    for (const f of files) {
      const name = f.replace(/\.sol$/, '');
      const inst = parseTsplib(readFileSync(join(OR, 'X', `${name}.vrp`), 'utf8'));
      const sol = parseSolution(readFileSync(join(OR, 'X', f), 'utf8'), inst.depot);
      const check = checkPlan(inst, sol.routes, conventionOf(inst.edgeWeightType));
      expect(check.violations, name).toEqual([]);
      expect(check.cost, name).toBe(sol.cost);
      expect(check.cost, name).toBe(table.get(name)?.bks);
      expect(check.vehicles, name).toBe(table.get(name)?.vehicles);
      expect(inst.dimension, name).toBe(Number(/-n(\d+)-/.exec(name)?.[1]));
    }
  });
});

describe('Gehring-Homberger 1000: shipped solutions are feasible with time windows, 1-dp truncated cost', () => {
  it('every .sol', () => {
    const dir = join(OR, 'gehring-homberger');
    const files = readdirSync(dir).filter((f) => f.endsWith('.sol'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const name = f.replace(/\.sol$/, '');
      const inst = parseTsplib(readFileSync(join(dir, `${name}.vrp`), 'utf8'));
      expect(inst.timeWindows?.length, name).toBe(2 * inst.dimension);
      const sol = parseSolution(readFileSync(join(dir, f), 'utf8'), inst.depot);
      const check = checkPlan(inst, sol.routes, 'trunc1', inst.vehicles);
      expect(check.violations, name).toEqual([]);
      expect(Math.abs(check.cost - (sol.cost as number)), name).toBeLessThan(0.05);
    }
  });
});

describe('TSPLIB: optimal tours have their published length', () => {
  it('every .opt.tour with a BKS row', () => {
    const table = bks('tsplib');
    const tours = readdirSync(join(OR, 'tsplib')).filter((f) => f.endsWith('.opt.tour'));
    let checked = 0;
    for (const f of tours) {
      const name = f.replace(/\.opt\.tour$/, '');
      if (!table.has(name)) continue;
      const inst = parseTsplib(readFileSync(join(OR, 'tsplib', `${name}.tsp`), 'utf8'));
      const tour = parseTour(readFileSync(join(OR, 'tsplib', f), 'utf8'));
      expect(new Set(tour).size, name).toBe(inst.dimension);
      expect(tourLength(inst.coords, tour, conventionOf(inst.edgeWeightType)), name).toBe(table.get(name)?.bks);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});

describe('Solomon and Augerat files parse completely', () => {
  it('Solomon VRPTW: windows, demands, service time, capacity', () => {
    const dir = join(OR, 'solomon');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.vrptw'))) {
      const inst = parseTsplib(readFileSync(join(dir, f), 'utf8'));
      expect(inst.dimension, f).toBe(101);
      expect(inst.capacity, f).toBeGreaterThan(0);
      expect(inst.serviceTimes?.[inst.depot], f).toBe(0);
      const demand = Array.from(inst.demands ?? []).reduce((a, b) => a + b, 0);
      expect(demand, f).toBeGreaterThan(0);
      for (let n = 0; n < inst.dimension; n++)
        expect((inst.timeWindows?.[2 * n] as number) <= (inst.timeWindows?.[2 * n + 1] as number), `${f} node ${n}`).toBe(true);
    }
  });
  it('Augerat: total demand fits the fleet named in the instance', () => {
    const dir = join(OR, 'augerat');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.vrp'))) {
      const inst = parseTsplib(readFileSync(join(dir, f), 'utf8'));
      const k = Number(/-k(\d+)/.exec(f)?.[1]);
      const demand = Array.from(inst.demands ?? []).reduce((a, b) => a + b, 0);
      expect(demand, f).toBeLessThanOrEqual((inst.capacity as number) * k);
    }
  });
});

describe('checker and formats on constructed cases', () => {
  const text = `NAME : tiny\nTYPE : CVRP\nDIMENSION : 4\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 6 8\n4 0 5\nDEMAND_SECTION\n1 0\n2 4\n3 4\n4 5\nDEPOT_SECTION\n1\n-1\nEOF\n`;
  const inst = parseTsplib(text);

  it('finds every kind of violation', () => {
    const bad = checkPlan(inst, [[1, 2, 3], [1], [0], [9]], 'nint', 1);
    const kinds = new Set(bad.violations.map((v) => v.kind));
    for (const k of ['capacity', 'visited-twice', 'depot-in-route', 'unknown-node', 'fleet']) expect(kinds.has(k as never), k).toBe(true);
    const missing = checkPlan(inst, [[1, 2]], 'nint');
    expect(missing.violations.map((v) => v.kind)).toContain('not-visited');
    const ok = checkPlan(inst, [[1, 2], [3]], 'nint');
    expect(ok.feasible).toBe(true);
    expect(ok.cost).toBe(5 + 5 + 10 + 5 + 5);
  });

  it('writes and re-reads a solution', () => {
    const sol = { routes: [[1, 2], [3]], cost: 30 };
    expect(parseSolution(writeSolution(sol))).toEqual(sol);
  });

  it('distance conventions', () => {
    const c = new Float64Array([0, 0, 1, 1]);
    expect(edgeLength(c, 0, 1, 'exact')).toBeCloseTo(Math.SQRT2, 15);
    expect(edgeLength(c, 0, 1, 'nint')).toBe(1);
    expect(edgeLength(c, 0, 1, 'trunc1')).toBe(1.4);
    expect(edgeLength(c, 0, 1, 'ceil')).toBe(2);
    expect(edgeLength(new Float64Array([0, 0, 10, 0]), 0, 1, 'att')).toBe(4);
  });

  it('malformed files fail with the line', () => {
    const err = (() => {
      try {
        parseTsplib('DIMENSION : 2\nNODE_COORD_SECTION\n1 0 zero\n');
      } catch (e) {
        return e as WaybillError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('INVALID_ARGUMENT');
    expect(err?.details).toMatchObject({ line: 3 });
    expect(() => parseTsplib('NAME : x\n')).toThrow(/DIMENSION/);
    expect(() => parseTsplib('DIMENSION : 2\nEDGE_WEIGHT_TYPE : GEO\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n')).toThrow(/not supported/);
    expect(() => parseSolution('Route #1: 1 x\n')).toThrow(/bad customer/);
  });

  it('refuses a bad depot, CAPACITY, VEHICLES or SERVICE_TIME, a node listed twice, and a huge DIMENSION without allocating it', () => {
    const base = 'NAME : x\nTYPE : CVRP\nDIMENSION : 2\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nDEMAND_SECTION\n1 0\n2 1\n';
    const codeAndLine = (text: string) => {
      try {
        parseTsplib(text);
      } catch (e) {
        return { code: (e as WaybillError).code, message: (e as WaybillError).message, details: (e as WaybillError).details };
      }
      return undefined;
    };
    expect(parseTsplib(`${base}DEPOT_SECTION\n2\n-1\n`).depot).toBe(1);
    for (const depot of ['x', '0', '3'])
      expect(codeAndLine(`${base}DEPOT_SECTION\n${depot}\n-1\n`)).toMatchObject({ code: 'INVALID_ARGUMENT', details: { line: 11 } });
    expect(codeAndLine(base.replace('DIMENSION', 'CAPACITY : abc\nDIMENSION'))?.message).toMatch(/CAPACITY must be a number/);
    expect(codeAndLine(base.replace('DIMENSION', 'VEHICLES : -3\nDIMENSION'))?.message).toMatch(/VEHICLES must be an integer/);
    expect(codeAndLine(base.replace('DIMENSION', 'SERVICE_TIME : q\nDIMENSION'))?.message).toMatch(/SERVICE_TIME must be a number/);
    expect(codeAndLine(base.replace('2 1 1\n', '2 1 1\n2 5 5\n'))).toMatchObject({ details: { line: 7 } });
    expect(codeAndLine('DIMENSION : 1000000000000\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n')).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/no entry for node 3/),
    });
  });
});

describe('routes as GeoJSON', () => {
  it('one closed LineString per route with [lng, lat] positions, stops in sequence, the depot once', async () => {
    const { routesToGeoJson } = await import('../../src/kernels/or/routes.js');
    // depot (0) in Seattle, three stops.
    const latlng = new Float64Array([47.6, -122.3, 47.61, -122.31, 47.62, -122.29, 47.59, -122.33]);
    const fc = routesToGeoJson(latlng, [[1, 2], [], [3]], 0, ['D', 'a', 'b', 'c']);
    const lines = fc.features.filter((f) => f.geometry.type === 'LineString');
    expect(lines).toHaveLength(2);
    expect(lines[0]?.geometry.coordinates).toEqual([
      [-122.3, 47.6],
      [-122.31, 47.61],
      [-122.29, 47.62],
      [-122.3, 47.6],
    ]);
    const stops = fc.features
      .filter((f) => f.properties.kind === 'stop')
      .map((f) => [f.properties.id, f.properties.route, f.properties.sequence]);
    expect(stops).toEqual([
      ['a', 0, 1],
      ['b', 0, 2],
      ['c', 2, 1],
    ]);
    expect(fc.features.filter((f) => f.properties.kind === 'depot')).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(fc)).type).toBe('FeatureCollection');
  });
});
