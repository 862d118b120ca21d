/** Solomon / Gehring-Homberger VRPTW text format: reading, writing, round trips and malformed input. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSolomon, writeSolomon, writeSolomonSolution } from '../../src/data/solomon.js';
import { parseSolution, parseTsplib } from '../../src/data/tsplib.js';
import { WaybillError } from '../../src/errors.js';
import { defaultDataDir } from '../../src/paths.js';

const SOLOMON = join(defaultDataDir(), 'or', 'solomon');
const haveData = existsSync(SOLOMON);
if (!haveData) console.warn(`solomon: skipping the real-file tests, ${SOLOMON} is missing (set WAYBILL_DATA_DIR)`);

// The head of the original C101.txt, spacing and trailing blanks as distributed.
const C101_HEAD = `C101

VEHICLE
NUMBER     CAPACITY
  25         200

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME
 
    0      40         50          0          0       1236          0   
    1      45         68         10        912        967         90   
    2      45         70         30        825        870         90   
`;

function errorOf(text: string): WaybillError {
  try {
    parseSolomon(text);
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a WaybillError');
}

describe('parseSolomon', () => {
  it('reads the original layout', () => {
    const inst = parseSolomon(C101_HEAD);
    expect(inst).toMatchObject({
      name: 'C101',
      type: 'VRPTW',
      edgeWeightType: 'EXACT_2D',
      dimension: 3,
      capacity: 200,
      vehicles: 25,
      depot: 0,
    });
    expect(Array.from(inst.coords)).toEqual([40, 50, 45, 68, 45, 70]);
    expect(Array.from(inst.demands ?? [])).toEqual([0, 10, 30]);
    expect(Array.from(inst.timeWindows ?? [])).toEqual([0, 1236, 912, 967, 825, 870]);
    expect(Array.from(inst.serviceTimes ?? [])).toEqual([0, 90, 90]);
  });

  it('places rows by customer number and accepts CRLF', () => {
    const swapped = C101_HEAD.replace(
      /\n {4}1 .*\n( {4}2 .*\n)/,
      (_m, two: string) => `\n${two}    1      45         68         10        912        967         90\n`,
    );
    expect(swapped).not.toBe(C101_HEAD);
    const inst = parseSolomon(swapped.replace(/\n/g, '\r\n'));
    expect(Array.from(inst.demands ?? [])).toEqual([0, 10, 30]);
  });

  it('malformed input names the line', () => {
    const lines = C101_HEAD.split('\n');
    const without = (k: number) => lines.filter((_l, i) => i !== k).join('\n');
    const replace = (k: number, s: string) => lines.map((l, i) => (i === k ? s : l)).join('\n');
    let err = errorOf(without(2)); // VEHICLE missing: NUMBER CAPACITY (now line 3) comes first
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.details?.line).toBe(3);
    expect(err.message).toContain('VEHICLE');
    err = errorOf(replace(4, '  25'));
    expect(err.details?.line).toBe(5);
    err = errorOf(replace(4, '  0  200'));
    expect(err.details?.line).toBe(5);
    err = errorOf(replace(11, '    1      45         68         10        912        967'));
    expect(err.details?.line).toBe(12);
    expect(err.message).toContain('7 numbers');
    err = errorOf(replace(12, '    1      45         70         30        825        870         90'));
    expect(err.details?.line).toBe(13);
    expect(err.message).toContain('twice');
    err = errorOf(replace(11, '    4      45         70         30        825        870         90'));
    expect(err.details?.line).toBe(12);
    expect(err.message).toContain('outside 0..2');
    err = errorOf(replace(11, '    2      45         70         30        825        820         90'));
    expect(err.details?.line).toBe(12);
    expect(err.message).toContain('due date');
    err = errorOf(replace(11, '    2      45         70         x        825        870         90'));
    expect(err.details?.line).toBe(12);
    expect(errorOf(lines.slice(0, 9).join('\n')).message).toContain('no customer rows');
    expect(errorOf('').message).toContain('empty');
  });
});

describe('writeSolomon', () => {
  it('round trips the original layout', () => {
    const inst = parseSolomon(C101_HEAD);
    expect(parseSolomon(writeSolomon(inst))).toEqual(inst);
  });

  it('rejects instances without windows or capacity', () => {
    const inst = parseSolomon(C101_HEAD);
    expect(() => writeSolomon({ ...inst, timeWindows: undefined })).toThrow(WaybillError);
    expect(() => writeSolomon({ ...inst, capacity: undefined })).toThrow(WaybillError);
  });

  it.skipIf(!haveData)('C101 from the CVRPLIB .vrptw survives Solomon text unchanged', () => {
    const inst = parseTsplib(readFileSync(join(SOLOMON, 'C101.vrptw'), 'utf8'));
    const text = writeSolomon(inst);
    expect(text.split('\n')[0]).toBe('C101');
    const back = parseSolomon(text);
    expect(back.dimension).toBe(101);
    expect(back.coords).toEqual(inst.coords);
    expect(back.demands).toEqual(inst.demands);
    expect(back.timeWindows).toEqual(inst.timeWindows);
    expect(back.serviceTimes).toEqual(inst.serviceTimes);
    expect([back.capacity, back.vehicles, back.depot, back.name]).toEqual([inst.capacity, inst.vehicles, inst.depot, inst.name]);
    // Writing the read-back instance gives the same text.
    expect(writeSolomon(back)).toBe(text);
  });
});

describe('writeSolomonSolution', () => {
  it('writes "Route #k:" lines without empty routes and a rounded cost', () => {
    const text = writeSolomonSolution([[5, 3, 7], [], [1, 2]], 828.93662);
    expect(text).toBe('Route #1: 5 3 7\nRoute #2: 1 2\nCost 828.94\n');
    expect(parseSolution(text)).toEqual({
      routes: [
        [5, 3, 7],
        [1, 2],
      ],
      cost: 828.94,
    });
    expect(writeSolomonSolution([[4]])).toBe('Route #1: 4\n');
    expect(writeSolomonSolution([[4]], 827.349, 1)).toBe('Route #1: 4\nCost 827.3\n');
  });
});
