/**
 * The VRP model: validation (every bad input gives a stable code and names the field), compilation
 * (distances under each convention, defaults), the independent plan checker on hand-computed
 * plans, and the conversion of real CVRPLIB / Solomon files (../shared/data/or, see SOURCES.md).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSolution, parseTsplib } from '../../src/data/tsplib.js';
import { WaybillError } from '../../src/errors.js';
import { checkVrpSolution, compileVrp, type VrpProblem, vrpFromRoutingInstance } from '../../src/kernels/or/vrp-model.js';
import { defaultDataDir } from '../../src/paths.js';

const OR = join(defaultDataDir(), 'or');
const haveData = existsSync(OR);
if (!haveData) console.warn(`vrp-model: skipping the real-file tests, ${OR} is missing (set WAYBILL_DATA_DIR)`);

function errorOf(fn: () => unknown): WaybillError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a WaybillError');
}

function expectError(problem: unknown, code: string, field: string): WaybillError {
  const err = errorOf(() => compileVrp(problem as VrpProblem));
  expect({ code: err.code, field: err.details?.field }, err.message).toEqual({ code, field });
  return err;
}

/** Depot at the origin; c1 (0,10), c2 (0,20), c3 (10,0), c4 (0,-30) optional. Exact distances. */
function lineProblem(): VrpProblem {
  return {
    depots: [{ x: 0, y: 0 }],
    customers: [
      { x: 0, y: 10, demand: [6, 1], serviceTime: 5, twStart: 0, twEnd: 100 },
      { x: 0, y: 20, demand: [3, 1], serviceTime: 5, twStart: 0, twEnd: 100 },
      { x: 10, y: 0, demand: [5, 2], serviceTime: 5, twStart: 50, twEnd: 60 },
      { x: 0, y: -30, demand: [1, 1], serviceTime: 5, penalty: 50 },
    ],
    vehicleTypes: [{ count: 2, capacity: [10, 3], fixedCost: 100, costPerDistance: 2, costPerTime: 0.5 }],
    distances: { metric: 'euclidean', rounding: 'exact' },
  };
}

function simple(): VrpProblem {
  return {
    depots: [{ x: 0, y: 0 }],
    customers: [
      { x: 3, y: 4, demand: 1 },
      { x: 6, y: 8, demand: 2 },
      { x: 0, y: 1, demand: 1 },
    ],
    vehicleTypes: [{ capacity: 10 }],
    distances: { metric: 'euclidean', rounding: 'exact' },
  };
}

function edit(f: (p: VrpProblem) => void, base: () => VrpProblem = simple): VrpProblem {
  const p = base();
  f(p);
  return p;
}

const routes = (...rs: number[][]) => rs.map((stops) => ({ type: 0, stops }));

describe('compileVrp: validation', () => {
  it('negative demand, scalar and per dimension', () => {
    expectError(
      edit((p) => {
        (p.customers[1] as VrpProblem['customers'][number]).demand = -1;
      }),
      'INVALID_ARGUMENT',
      'customers[1].demand',
    );
    expectError(
      edit((p) => {
        p.vehicleTypes[0] = { capacity: [5, 5] };
        for (const c of p.customers) c.demand = [1, 1];
        (p.customers[0] as VrpProblem['customers'][number]).demand = [1, -2];
      }),
      'INVALID_ARGUMENT',
      'customers[0].demand[1]',
    );
  });

  it('a required customer heavier than every vehicle type in some dimension is INFEASIBLE', () => {
    const heavy = (penalty?: number) =>
      edit((p) => {
        p.vehicleTypes = [{ capacity: [10, 5] }, { capacity: [5, 10] }];
        for (const c of p.customers) c.demand = [1, 1];
        p.customers[2] = { x: 0, y: 1, demand: [6, 6], ...(penalty === undefined ? {} : { penalty }) };
      });
    const err = expectError(heavy(), 'INFEASIBLE', 'customers[2].demand');
    expect(err.details?.customer).toBe('c3');
    // Optional: the solver simply leaves it out.
    expect(compileVrp(heavy(7)).penalty[3]).toBe(7);
  });

  it('window closing before it opens (customer, depot, shift)', () => {
    expectError(
      edit((p) => Object.assign(p.customers[2] as object, { twStart: 10, twEnd: 5 })),
      'INVALID_ARGUMENT',
      'customers[2].twEnd',
    );
    expectError(
      edit((p) => Object.assign(p.depots[0] as object, { twEnd: -1 })),
      'INVALID_ARGUMENT',
      'depots[0].twEnd',
    );
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { twStart: 8, twEnd: 7 })),
      'INVALID_ARGUMENT',
      'vehicleTypes[0].twEnd',
    );
  });

  it('a required stop no vehicle can reach in time is INFEASIBLE, naming the stop', () => {
    // c1 is 5 away: its window closes at 4.
    expectError(
      edit((p) => Object.assign(p.customers[0] as object, { twEnd: 4 })),
      'INFEASIBLE',
      'customers[0]',
    );
    // c2 is 10 away: out and back takes 20, the shift ends at 15.
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { twEnd: 15 })),
      'INFEASIBLE',
      'customers[1]',
    );
    // ... or the depot closes at 15.
    expectError(
      edit((p) => Object.assign(p.depots[0] as object, { twEnd: 15 })),
      'INFEASIBLE',
      'customers[1]',
    );
    // ... or routes may last 12.
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { maxDuration: 12 })),
      'INFEASIBLE',
      'customers[1]',
    );
    // A second type that can do it makes the problem feasible again.
    const ok = edit((p) => {
      Object.assign(p.vehicleTypes[0] as object, { maxDuration: 12 });
      p.vehicleTypes.push({ capacity: 10, maxDuration: 20 });
    });
    expect(compileVrp(ok).typeMaxDuration).toEqual(new Float64Array([12, 20]));
    // No arc back to the depot (null in JSON, Infinity from JavaScript).
    const matrix = (hole: number | null) => [
      [0, 1, 1],
      [1, 0, 1],
      [hole, 1, 0],
    ];
    const withMatrix = (hole: number | null, penalty?: number): VrpProblem => ({
      depots: [{}],
      customers: [{ demand: 1 }, { demand: 1, ...(penalty === undefined ? {} : { penalty }) }],
      vehicleTypes: [{ capacity: 5 }],
      distances: { matrix: matrix(hole) },
    });
    expectError(withMatrix(null), 'INFEASIBLE', 'customers[1]');
    expectError(withMatrix(Number.POSITIVE_INFINITY), 'INFEASIBLE', 'customers[1]');
    expect(compileVrp(withMatrix(null, 3)).dist[6]).toBe(Number.POSITIVE_INFINITY);
  });

  it('ragged or non-square matrices are INVALID_LENGTH naming the row', () => {
    const p = (matrix: number[][]): VrpProblem => ({
      depots: [{}],
      customers: [{ demand: 1 }, { demand: 1 }],
      vehicleTypes: [{ capacity: 5 }],
      distances: { matrix },
    });
    const err = expectError(
      p([
        [0, 1, 1],
        [1, 0, 1],
        [1, 1],
      ]),
      'INVALID_LENGTH',
      'distances.matrix[2]',
    );
    expect(err.details?.row).toBe(2);
    expectError(
      p([
        [0, 1, 1],
        [1, 0, 1],
      ]),
      'INVALID_LENGTH',
      'distances.matrix',
    );
    expectError(
      p([
        [0, 1, 1, 1],
        [1, 0, 1, 1],
        [1, 1, 0, 1],
      ]),
      'INVALID_LENGTH',
      'distances.matrix[0]',
    );
    expectError(
      {
        ...p([
          [0, 1, 1],
          [1, 0, 1],
          [1, 1, 0],
        ]),
        distances: {
          matrix: [
            [0, 1, 1],
            [1, 0, 1],
            [1, 1, 0],
          ],
          durations: [[0], [1], [2]],
        },
      },
      'INVALID_LENGTH',
      'distances.durations[0]',
    );
    expectError(
      p([
        [0, 1, -1],
        [1, 0, 1],
        [1, 1, 0],
      ]),
      'INVALID_ARGUMENT',
      'distances.matrix[0][2]',
    );
  });

  it('NaN and infinities where numbers are needed are NOT_FINITE', () => {
    expectError(
      edit((p) => Object.assign(p.customers[0] as object, { x: Number.NaN })),
      'NOT_FINITE',
      'customers[0].x',
    );
    expectError(
      edit((p) => Object.assign(p.customers[1] as object, { demand: [Number.NaN] })),
      'NOT_FINITE',
      'customers[1].demand[0]',
    );
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { capacity: Number.POSITIVE_INFINITY })),
      'NOT_FINITE',
      'vehicleTypes[0].capacity',
    );
    expectError(
      edit((p) => Object.assign(p.customers[2] as object, { twEnd: Number.POSITIVE_INFINITY })),
      'NOT_FINITE',
      'customers[2].twEnd',
    );
    expectError(
      {
        depots: [{}],
        customers: [{ demand: 1 }],
        vehicleTypes: [{ capacity: 5 }],
        distances: {
          matrix: [
            [0, 1],
            [Number.NaN, 0],
          ],
        },
      },
      'NOT_FINITE',
      'distances.matrix[1][0]',
    );
  });

  it('capacity dimensions: demand length, type capacity length, at most 8', () => {
    expectError(
      edit((p) => {
        p.vehicleTypes[0] = { capacity: [5, 5] };
        for (const c of p.customers) c.demand = [1, 1];
        (p.customers[1] as VrpProblem['customers'][number]).demand = [1, 1, 1];
      }),
      'INVALID_LENGTH',
      'customers[1].demand',
    );
    expectError(
      edit((p) => {
        p.vehicleTypes[0] = { capacity: [5, 5] };
        for (const c of p.customers) c.demand = [1, 1];
        (p.customers[0] as VrpProblem['customers'][number]).demand = 1;
      }),
      'INVALID_LENGTH',
      'customers[0].demand',
    );
    expectError(
      edit((p) => {
        p.vehicleTypes.push({ capacity: [5, 5] });
      }),
      'INVALID_LENGTH',
      'vehicleTypes[1].capacity',
    );
    expectError(
      edit((p) => {
        p.vehicleTypes[0] = { capacity: new Array(9).fill(5) };
        for (const c of p.customers) c.demand = new Array(9).fill(1);
      }),
      'INVALID_LENGTH',
      'vehicleTypes[0].capacity',
    );
    const eight = compileVrp(
      edit((p) => {
        p.vehicleTypes[0] = { capacity: [1, 2, 3, 4, 5, 6, 7, 8] };
        for (const c of p.customers) c.demand = [0, 0, 0, 0, 0, 0, 0, 1];
      }),
    );
    expect(eight.dims).toBe(8);
    expect(Array.from(eight.typeCapacity)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(eight.demand.length).toBe(4 * 8);
    expect(eight.demand[8 + 7]).toBe(1);
    expect(eight.demand[7]).toBe(0); // depot
  });

  it('depot indices out of range', () => {
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { startDepot: 1 })),
      'INVALID_ARGUMENT',
      'vehicleTypes[0].startDepot',
    );
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { endDepot: 3 })),
      'INVALID_ARGUMENT',
      'vehicleTypes[0].endDepot',
    );
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { startDepot: -1 })),
      'INVALID_ARGUMENT',
      'vehicleTypes[0].startDepot',
    );
  });

  it('negative costs, penalties and service times; bad counts', () => {
    for (const key of ['fixedCost', 'costPerDistance', 'costPerTime'])
      expectError(
        edit((p) => Object.assign(p.vehicleTypes[0] as object, { [key]: -1 })),
        'INVALID_ARGUMENT',
        `vehicleTypes[0].${key}`,
      );
    expectError(
      edit((p) => Object.assign(p.customers[1] as object, { penalty: -1 })),
      'INVALID_ARGUMENT',
      'customers[1].penalty',
    );
    expectError(
      edit((p) => Object.assign(p.customers[2] as object, { serviceTime: -0.5 })),
      'INVALID_ARGUMENT',
      'customers[2].serviceTime',
    );
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { maxDuration: 0 })),
      'INVALID_ARGUMENT',
      'vehicleTypes[0].maxDuration',
    );
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { count: 0 })),
      'INVALID_ARGUMENT',
      'vehicleTypes[0].count',
    );
    expectError(
      edit((p) => Object.assign(p.vehicleTypes[0] as object, { count: 1.5 })),
      'INVALID_ARGUMENT',
      'vehicleTypes[0].count',
    );
  });

  it('structure: missing and unknown fields, bad enums, contradictory distance sources', () => {
    expectError(
      edit((p) => {
        delete (p.customers[0] as { demand?: unknown }).demand;
      }),
      'INVALID_ARGUMENT',
      'customers[0].demand',
    );
    expectError(
      edit((p) => Object.assign(p.customers[0] as object, { servicetime: 3 })),
      'INVALID_ARGUMENT',
      'customers[0].servicetime',
    );
    expectError(
      edit((p) => {
        p.depots = [];
      }),
      'INVALID_ARGUMENT',
      'depots',
    );
    const err = expectError(
      edit((p) => Object.assign(p.distances, { metric: 'manhattan' })),
      'INVALID_ARGUMENT',
      'distances.metric',
    );
    expect(err.message).toContain('"euclidean"');
    expectError(
      edit((p) => Object.assign(p.distances, { matrix: [[0]] })),
      'INVALID_ARGUMENT',
      'distances.metric',
    );
    expectError(
      edit((p) => {
        p.distances = {};
      }),
      'INVALID_ARGUMENT',
      'distances',
    );
    expectError(
      edit((p) => {
        p.distances = { metric: 'euclidean' };
      }),
      'INVALID_ARGUMENT',
      'distances.rounding',
    );
    expectError(
      edit((p) => {
        delete (p.customers[1] as { y?: number }).y;
      }),
      'INVALID_ARGUMENT',
      'customers[1].y',
    );
    expectError(
      {
        depots: [{ lat: 0, lng: 0 }],
        customers: [{ lat: 91, lng: 0, demand: 1 }],
        vehicleTypes: [{ capacity: 1 }],
        distances: { metric: 'haversine' },
      },
      'COORDINATE_OUT_OF_RANGE',
      'customers[0].lat',
    );
    expectError(
      edit((p) => {
        (p.customers[1] as VrpProblem['customers'][number]).id = 'a';
        (p.customers[2] as VrpProblem['customers'][number]).id = 'a';
      }),
      'INVALID_ARGUMENT',
      'customers[2].id',
    );
  });

  it('no customers is a trivial problem', () => {
    const c = compileVrp({
      depots: [{ x: 1, y: 2 }],
      customers: [],
      vehicleTypes: [{ capacity: 3 }],
      distances: { metric: 'euclidean', rounding: 'nint' },
    });
    expect(c.n).toBe(1);
    expect(Array.from(c.typeCount)).toEqual([1]);
    expect(Array.from(c.dist)).toEqual([0]);
    const check = checkVrpSolution(c, [], []);
    expect(check).toMatchObject({ feasible: true, cost: 0, vehicles: 0 });
  });
});

describe('compileVrp: distances and defaults', () => {
  const pts: VrpProblem = {
    depots: [{ x: 0, y: 0 }],
    customers: [
      { x: 1, y: 1, demand: 1 },
      { x: 2, y: 3, demand: 1 },
    ],
    vehicleTypes: [{ capacity: 5 }],
    distances: { metric: 'euclidean', rounding: 'nint' },
  };
  const at = (rounding: 'nint' | 'trunc1' | 'exact') => compileVrp({ ...pts, distances: { metric: 'euclidean', rounding } });

  it('euclidean under nint, trunc1 and exact', () => {
    // |01| = √2 = 1.414..., |02| = √13 = 3.605..., |12| = √5 = 2.236...
    expect(Array.from(at('nint').dist)).toEqual([0, 1, 4, 1, 0, 2, 4, 2, 0]);
    expect(Array.from(at('trunc1').dist)).toEqual([0, 1.4, 3.6, 1.4, 0, 2.2, 3.6, 2.2, 0]);
    const exact = at('exact');
    expect(exact.dist[1]).toBe(Math.SQRT2);
    expect(exact.dist[2]).toBe(Math.sqrt(13));
    expect(exact.dist[5]).toBe(Math.sqrt(5));
    // Travel time = distance (Solomon convention), as a separate buffer.
    expect(Array.from(exact.time)).toEqual(Array.from(exact.dist));
    expect(exact.time).not.toBe(exact.dist);
    expect(Array.from(exact.coords ?? [])).toEqual([0, 0, 1, 1, 2, 3]);
    // scale before rounding: 10 * √2 = 14.14 -> 14.
    expect(compileVrp({ ...pts, distances: { metric: 'euclidean', rounding: 'nint', scale: 10 } }).dist[1]).toBe(14);
  });

  it('haversine: kilometres and seconds at speedKmh', () => {
    const c = compileVrp({
      depots: [{ lat: 0, lng: 0 }],
      customers: [
        { lat: 0, lng: 1, demand: 1 },
        { lat: 90, lng: 0, demand: 1 },
        { lat: 48.8566, lng: 2.3522, demand: 1, id: 'paris' },
        { lat: 51.5074, lng: -0.1278, demand: 1, id: 'london' },
      ],
      vehicleTypes: [{ capacity: 5 }],
      distances: { metric: 'haversine', speedKmh: 60 },
    });
    // One degree of the equator = R·π/180 with R = 6371.0088 km (mean Earth radius).
    expect(c.dist[1]).toBeCloseTo((6371.0088 * Math.PI) / 180, 9);
    // Equator to pole = R·π/2.
    expect(c.dist[2]).toBeCloseTo((6371.0088 * Math.PI) / 2, 6);
    // Paris - London, great circle about 343.5 km: within 1 km.
    expect(Math.abs((c.dist[3 * c.n + 4] as number) - 343.5)).toBeLessThan(1);
    // 60 km/h: a minute per kilometre = 60 s per km.
    expect(c.time[1]).toBeCloseTo((c.dist[1] as number) * 60, 9);
    expect(Array.from(c.coords ?? []).slice(0, 4)).toEqual([0, 0, 1, 0]); // (lng, lat)
    expect(c.customerIds).toEqual(['c1', 'c2', 'paris', 'london']);
    // Default speed 30 km/h: 120 s per km.
    const slow = compileVrp({
      depots: [{ lat: 0, lng: 0 }],
      customers: [{ lat: 0, lng: 1, demand: 1 }],
      vehicleTypes: [{ capacity: 5 }],
      distances: { metric: 'haversine' },
    });
    expect(slow.time[1]).toBeCloseTo((slow.dist[1] as number) * 120, 9);
  });

  it('a user matrix passes through; durations override travel times', () => {
    const matrix = [
      [0, 7, 9],
      [6, 0, 2.5],
      [8, 3, 0],
    ];
    const durations = [
      [0, 70, 90],
      [60, 0, 25],
      [80, 30, 0],
    ];
    const base: VrpProblem = {
      depots: [{}],
      customers: [{ demand: 1 }, { demand: 1 }],
      vehicleTypes: [{ capacity: 5 }],
      distances: { matrix },
    };
    const c = compileVrp(base);
    expect(Array.from(c.dist)).toEqual(matrix.flat());
    expect(Array.from(c.time)).toEqual(matrix.flat());
    expect(c.coords).toBeUndefined();
    const d = compileVrp({ ...base, distances: { matrix, durations } });
    expect(Array.from(d.time)).toEqual(durations.flat());
    expect(Array.from(d.dist)).toEqual(matrix.flat());
  });

  it('defaults: windows, penalties, fleet, costs, ids, depots', () => {
    const c = compileVrp({
      depots: [
        { x: 0, y: 0 },
        { x: 1, y: 0, id: 'north' },
      ],
      customers: [
        { x: 0, y: 1, demand: 2 },
        { x: 0, y: 2, demand: 1, penalty: 4, id: 'opt' },
        { x: 0, y: 3, demand: 1 },
      ],
      vehicleTypes: [{ capacity: 5 }, { capacity: 7, count: 2, startDepot: 1, id: 'van' }],
      distances: { metric: 'euclidean', rounding: 'exact' },
    });
    expect(c).toMatchObject({ n: 5, depots: 2, dims: 1, types: 2, timeUsed: false });
    expect(Array.from(c.typeCount)).toEqual([3, 2]); // unlimited = number of customers
    // A count above the number of customers is the unlimited fleet: 1e15 wrapped around in the
    // Int32Array ("Invalid typed array length" from the solver) and 1e9 ran out of memory.
    for (const count of [4, 1e9, 1e15]) {
      const fleet = compileVrp({
        depots: [{ x: 0, y: 0 }],
        customers: [1, 2, 3].map((y) => ({ x: 0, y, demand: 1 })),
        vehicleTypes: [{ capacity: 5, count }],
        distances: { metric: 'euclidean', rounding: 'exact' },
      });
      expect(Array.from(fleet.typeCount)).toEqual([3]);
    }
    expect(Array.from(c.typeStartDepot)).toEqual([0, 1]);
    expect(Array.from(c.typeEndDepot)).toEqual([0, 1]); // endDepot defaults to startDepot
    expect(Array.from(c.typeFixed)).toEqual([0, 0]);
    expect(Array.from(c.typeCostDistance)).toEqual([1, 1]);
    expect(Array.from(c.typeCostTime)).toEqual([0, 0]);
    expect(Array.from(c.typeMaxDuration)).toEqual([Infinity, Infinity]);
    expect(Array.from(c.typeShiftStart)).toEqual([0, 0]);
    expect(Array.from(c.typeShiftEnd)).toEqual([Infinity, Infinity]);
    expect(Array.from(c.early)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(c.late)).toEqual([Infinity, Infinity, Infinity, Infinity, Infinity]);
    expect(Array.from(c.penalty)).toEqual([Infinity, Infinity, Infinity, 4, Infinity]);
    expect(Array.from(c.demand)).toEqual([0, 0, 2, 1, 1]);
    expect(Array.from(c.service)).toEqual([0, 0, 0, 0, 0]);
    expect(c.customerIds).toEqual(['c1', 'opt', 'c3']);
    expect(c.depotIds).toEqual(['d0', 'north']);
    expect(c.typeIds).toEqual(['t0', 'van']);
    // Any service time makes time matter.
    expect(compileVrp(edit((p) => Object.assign(p.customers[0] as object, { serviceTime: 1 }))).timeUsed).toBe(true);
    expect(compileVrp(edit((p) => Object.assign(p.vehicleTypes[0] as object, { costPerTime: 1 }))).timeUsed).toBe(true);
  });
});

describe('checkVrpSolution on hand-made plans', () => {
  const c = compileVrp(lineProblem());

  it('a feasible plan and its cost, by hand', () => {
    // Route 0: 0 -> c1 (10) -> c2 (10) -> 0 (20): distance 40; depart 0, c1 10..15, c2 25..30, back 50.
    // Route 1: 0 -> c3 (10) -> 0 (10): distance 20; arrive 10, wait 40, serve 50..55, back 65;
    //   F0 = 40 + (60 - 50) = 50, W = 40: leave at 40, duration 65 - 0 - 40 = 25.
    // c4 left out: penalty 50. Cost = 2·100 + 2·60 + 0.5·75 + 50 = 407.5.
    const check = checkVrpSolution(c, routes([1, 2], [3]), [4]);
    expect(check.violations).toEqual([]);
    expect(check).toMatchObject({ feasible: true, distance: 60, duration: 75, fixedCost: 200, penaltyCost: 50, vehicles: 2, cost: 407.5 });
    expect(check.routes[1]).toMatchObject({ distance: 20, duration: 25, departure: 40, arrival: 65, load: [5, 2], cost: 100 + 40 + 12.5 });
  });

  it('capacity, in each dimension', () => {
    // [c1, c3] loads [11, 3] against [10, 3]: dimension 0 only.
    const d0 = checkVrpSolution(c, routes([1, 3], [2]), [4]);
    expect(d0.violations.map((v) => [v.kind, v.route])).toEqual([['capacity', 0]]);
    expect(d0.violations[0]?.detail).toContain('dimension 0');
    // [c2, c3, c4] loads [9, 4]: dimension 1 only.
    const d1 = checkVrpSolution(c, routes([1], [2, 3, 4]), []);
    expect(d1.violations.map((v) => [v.kind, v.route])).toEqual([['capacity', 1]]);
    expect(d1.violations[0]?.detail).toContain('dimension 1');
    expect(d1.feasible).toBe(false);
  });

  it('time window', () => {
    // c4 first: 0 -> c4 at 30, serve to 35, -> c3 (√1000 = 31.62) at 66.6 > 60.
    const check = checkVrpSolution(c, routes([1, 2], [4, 3]), []);
    expect(check.violations.map((v) => [v.kind, v.route, v.node])).toEqual([['time-window', 1, 3]]);
  });

  it('max duration', () => {
    const limited = compileVrp(edit((p) => Object.assign(p.vehicleTypes[0] as object, { maxDuration: 100 }), lineProblem));
    expect(checkVrpSolution(limited, routes([1, 2], [3]), [4]).feasible).toBe(true);
    // [c1, c2, c4]: 10, 15 | 25, 30 | +50 = 80, 85 | +30 = 115 > 100, no waiting.
    const check = checkVrpSolution(limited, routes([1, 2, 4], [3]), []);
    expect(check.violations.map((v) => [v.kind, v.route])).toEqual([['max-duration', 0]]);
    expect(check.routes[0]?.duration).toBe(115);
  });

  it('missing customer, visited twice, routed and unassigned', () => {
    expect(checkVrpSolution(c, routes([1], [3]), [4]).violations.map((v) => [v.kind, v.node])).toEqual([['not-visited', 2]]);
    expect(checkVrpSolution(c, routes([1, 2], [3, 2]), [4]).violations.map((v) => [v.kind, v.node])).toEqual([['visited-twice', 2]]);
    expect(checkVrpSolution(c, routes([1, 2], [3]), [2, 4]).violations.map((v) => [v.kind, v.node])).toEqual([
      ['routed-and-unassigned', 2],
    ]);
    expect(checkVrpSolution(c, routes([1, 2], [3, 0]), [4]).violations.map((v) => [v.kind, v.node])).toEqual([['depot-in-route', 0]]);
    expect(checkVrpSolution(c, routes([1, 2], [3, 5]), [4]).violations.map((v) => [v.kind, v.node])).toEqual([['unknown-node', 5]]);
  });

  it('optional customers: penalty when left out, none when routed, listed somewhere', () => {
    const out = checkVrpSolution(c, routes([1, 2], [3]), [4]);
    const routed = checkVrpSolution(c, routes([1, 2], [3, 4]), []);
    expect(routed.violations).toEqual([]);
    expect(routed.penaltyCost).toBe(0);
    expect(out.penaltyCost).toBe(50);
    // Route 1 becomes 0 -> c3 (10) -> c4 (√1000) -> 0 (30).
    expect(routed.distance).toBeCloseTo(40 + 10 + Math.sqrt(1000) + 30, 12);
    const unlisted = checkVrpSolution(c, routes([1, 2], [3]), []);
    expect(unlisted.violations.map((v) => [v.kind, v.node])).toEqual([['unlisted', 4]]);
    expect(unlisted.penaltyCost).toBe(50);
  });

  it('fleet exceeded; empty routes do not count', () => {
    const check = checkVrpSolution(c, routes([1], [2], [3]), [4]);
    expect(check.violations.map((v) => v.kind)).toEqual(['fleet']);
    expect(check.vehicles).toBe(3);
    const empty = checkVrpSolution(c, routes([1, 2], [], [3]), [4]);
    expect(empty.feasible).toBe(true);
    expect(empty.cost).toBe(407.5);
    expect(checkVrpSolution(c, [{ type: 1, stops: [1] }], []).violations[0]?.kind).toBe('unknown-type');
  });

  it('duration: the departure is delayed only as far as the forward slack allows', () => {
    // Depot 0, b = node 1 (window [0, 12]), a = node 2 (window [40, 100]), every arc 10.
    // Forward from 0: b at 10 (slack 2), a at 20, wait 20 to 40 (slack 20 + 60), back at 50.
    // W = 20, F0 = min(2, 80) = 2: depart at 2, duration 50 - 0 - 2 = 48 (not 50, not 30).
    const m = [
      [0, 10, 10],
      [10, 0, 10],
      [10, 10, 0],
    ];
    const tw = compileVrp({
      depots: [{}],
      customers: [
        { demand: 1, twStart: 0, twEnd: 12 },
        { demand: 1, twStart: 40, twEnd: 100 },
      ],
      vehicleTypes: [{ capacity: 5, costPerDistance: 0, costPerTime: 1 }],
      distances: { matrix: m },
    });
    const check = checkVrpSolution(tw, routes([1, 2]), []);
    expect(check.violations).toEqual([]);
    expect(check.duration).toBe(48);
    expect(check.routes[0]).toMatchObject({ departure: 2, arrival: 50 });
    expect(check.cost).toBe(48);
    // The other order waits nowhere useful: a at 40 (wait 30, slack 30 + 60), b at 50 > 12.
    const bad = checkVrpSolution(tw, routes([2, 1]), []);
    expect(bad.violations.map((v) => [v.kind, v.node])).toEqual([['time-window', 1]]);
    const shifted = compileVrp({
      depots: [{}],
      customers: [{ demand: 1, twStart: 0, twEnd: 16 }],
      vehicleTypes: [{ capacity: 5, twStart: 5, twEnd: 30 }],
      distances: { matrix: m.slice(0, 2).map((r) => r.slice(0, 2)) },
    });
    // A shift from 5 to 30: depart 5, the stop at 15 (closes at 16), back at 25: duration 20.
    expect(checkVrpSolution(shifted, routes([1]), [])).toMatchObject({ feasible: true, duration: 20 });
  });
});

describe.skipIf(!haveData)('real files: CVRPLIB X and Solomon', () => {
  it('X-n101-k25: the BKS solution is feasible and costs 27591 under nint', () => {
    const inst = parseTsplib(readFileSync(join(OR, 'X', 'X-n101-k25.vrp'), 'utf8'));
    const problem = vrpFromRoutingInstance(inst, 'nint');
    expect(problem.customers.length).toBe(100);
    expect(problem.vehicleTypes[0]).toEqual({ capacity: 206 });
    const c = compileVrp(problem);
    expect(c.typeCount[0]).toBe(100);
    expect(c.timeUsed).toBe(false);
    const sol = parseSolution(readFileSync(join(OR, 'X', 'X-n101-k25.sol'), 'utf8'), inst.depot);
    const check = checkVrpSolution(
      c,
      sol.routes.map((stops) => ({ type: 0, stops })),
      [],
    );
    expect(check.violations).toEqual([]);
    expect(check.cost).toBe(27591);
    expect(check.distance).toBe(27591);
    expect(check.vehicles).toBe(26);
    // Dropping one customer is caught.
    const short = sol.routes.map((r, k) => (k === 0 ? r.slice(1) : r));
    expect(
      checkVrpSolution(
        c,
        short.map((stops) => ({ type: 0, stops })),
        [],
      ).violations.map((v) => v.kind),
    ).toEqual(['not-visited']);
  });

  it('C101 (.vrptw): windows, service times, fleet and distances', () => {
    const inst = parseTsplib(readFileSync(join(OR, 'solomon', 'C101.vrptw'), 'utf8'));
    const c = compileVrp(vrpFromRoutingInstance(inst, 'trunc1'));
    expect(c.n).toBe(101);
    expect(c.timeUsed).toBe(true);
    expect(c.typeCount[0]).toBe(inst.vehicles);
    expect(c.typeCapacity[0]).toBe(200);
    expect([c.early[0], c.late[0], c.service[0]]).toEqual([0, 1236, 0]);
    expect([c.early[1], c.late[1], c.service[1], c.demand[1]]).toEqual([912, 967, 90, 10]);
    // Depot (40, 50) to customer 1 (45, 68): √349 = 18.68 -> 18.6 truncated.
    expect(c.dist[1]).toBe(18.6);
    expect(c.time[1]).toBe(18.6);
    expect(compileVrp(vrpFromRoutingInstance(inst, 'exact', { vehicles: 25 })).typeCount[0]).toBe(25);
  });

  it('Gehring-Homberger: shipped solutions are feasible under 1-dp truncation', () => {
    const dir = join(OR, 'gehring-homberger');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.sol'))
      .slice(0, 3);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const inst = parseTsplib(readFileSync(join(dir, f.replace(/\.sol$/, '.vrp')), 'utf8'));
      const sol = parseSolution(readFileSync(join(dir, f), 'utf8'), inst.depot);
      const c = compileVrp(vrpFromRoutingInstance(inst, 'trunc1'));
      const check = checkVrpSolution(
        c,
        sol.routes.map((stops) => ({ type: 0, stops })),
        [],
      );
      expect(check.violations, f).toEqual([]);
      expect(Math.abs(check.distance - (sol.cost as number)), f).toBeLessThan(0.05);
    }
  });
});
