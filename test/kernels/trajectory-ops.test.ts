/** Simplification, stay points, motion features, resampling and cleaning: hand cases, real data, bad input. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGeolifeSample } from '../../src/data/geolife.js';
import { WaybillError } from '../../src/errors.js';
import { haversine } from '../../src/kernels/geo/index.js';
import {
  assertTimeOrder,
  batchFromArrays,
  checkTimeOrder,
  detectStayPoints,
  douglasPeucker,
  filterSpeedOutliers,
  motionFeatures,
  removeExactDuplicates,
  resampleTrajectories,
  segmentTrips,
  selectTrajectories,
  sortByTime,
  tdTr,
} from '../../src/kernels/trajectory/index.js';
import { defaultDataDir } from '../../src/paths.js';

const R = 6371008.8;
const E = { metric: 'euclidean' } as const;

function errorOf(fn: () => unknown): WaybillError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a WaybillError');
}

describe('Douglas–Peucker and TD-TR', () => {
  it('hand case: the corner is kept, a point 0.447 from its segment goes at tolerance 0.5', () => {
    // (0,0) (1,1) (2,0) (3,0): against (0,0)-(3,0) the corner is 1 away; then (2,0) is
    // |(1,-1) x (2,-1)| / sqrt(5) = 1 / sqrt(5) = 0.447 from (1,1)-(3,0).
    const b = batchFromArrays([[0, 0, 1, 1, 2, 0, 3, 0]], [[0, 1, 2, 3]], ['t']);
    expect(Array.from(douglasPeucker(b, 0.5, E).keep)).toEqual([1, 1, 0, 1]);
    expect(Array.from(douglasPeucker(b, 0.44, E).keep)).toEqual([1, 1, 1, 1]);
    expect(Array.from(douglasPeucker(b, 2, E).keep)).toEqual([1, 0, 0, 1]);
    const r = douglasPeucker(b, 0.5, E);
    expect(Array.from(r.batch.coords)).toEqual([0, 0, 1, 1, 3, 0]);
    expect(Array.from(r.batch.times)).toEqual([0, 1, 3]);
    expect(r.batch.ids).toEqual(['t']);
  });

  it('TD-TR keeps a collinear point whose timing is off; Douglas–Peucker drops it', () => {
    // x = 0, 1, 2 at t = 0, 9, 10: at t = 9 constant velocity puts the mover at x = 1.8, 0.8 away.
    const b = batchFromArrays([[0, 0, 1, 0, 2, 0]], [[0, 9, 10]]);
    expect(Array.from(douglasPeucker(b, 0.5, E).keep)).toEqual([1, 0, 1]);
    expect(Array.from(tdTr(b, 0.5, E).keep)).toEqual([1, 1, 1]);
    expect(Array.from(tdTr(b, 0.9, E).keep)).toEqual([1, 0, 1]);
    // Evenly timed: nothing to keep.
    const even = batchFromArrays([[0, 0, 1, 0, 2, 0]], [[0, 5, 10]]);
    expect(Array.from(tdTr(even, 0.01, E).keep)).toEqual([1, 0, 1]);
  });

  it('single-point and empty trajectories pass through', () => {
    const b = { coords: new Float64Array([39.9, 116.3]), offsets: new Int32Array([0, 0, 1]), ids: ['empty', 'one'] };
    const r = douglasPeucker(b, 10);
    expect(Array.from(r.batch.offsets)).toEqual([0, 0, 1]);
    expect(Array.from(r.keep)).toEqual([1]);
  });

  it('haversine, real GeoLife trips: every dropped fix is within the tolerance of its kept segment', () => {
    if (!existsSync(join(defaultDataDir(), 'traj'))) return;
    const trips = segmentTrips(loadGeolifeSample(), { maxGap: 300, minPoints: 100 }).batch;
    const some = selectTrajectories(trips, [0, 5, 20, 40]);
    const tol = 15;
    for (const simplify of ['dp', 'sed'] as const) {
      const r = simplify === 'dp' ? douglasPeucker(some, tol) : tdTr(some, tol);
      expect(r.batch.times.length).toBeLessThan(some.times.length / 2);
      for (let t = 0; t < 4; t++) {
        const begin = some.offsets[t] as number;
        const end = some.offsets[t + 1] as number;
        expect(r.keep[begin]).toBe(1);
        expect(r.keep[end - 1]).toBe(1);
        let prevKept = begin;
        for (let p = begin + 1; p < end; p++) {
          if (!r.keep[p]) continue;
          for (let k = prevKept + 1; k < p; k++) {
            // Independent check: sample the kept segment densely (no projection) and measure by haversine.
            const c = some.coords;
            const lat = c[2 * k] as number;
            const lng = c[2 * k + 1] as number;
            let best = Infinity;
            if (simplify === 'dp') {
              for (let s = 0; s <= 200; s++) {
                const f = s / 200;
                const y = (c[2 * prevKept] as number) + f * ((c[2 * p] as number) - (c[2 * prevKept] as number));
                const x = (c[2 * prevKept + 1] as number) + f * ((c[2 * p + 1] as number) - (c[2 * prevKept + 1] as number));
                best = Math.min(best, haversine(lat, lng, y, x, R));
              }
              const segment = haversine(
                c[2 * prevKept] as number,
                c[2 * prevKept + 1] as number,
                c[2 * p] as number,
                c[2 * p + 1] as number,
                R,
              );
              expect(best).toBeLessThanOrEqual(tol * 1.001 + segment / 400);
            } else {
              const f =
                ((some.times[k] as number) - (some.times[prevKept] as number)) /
                ((some.times[p] as number) - (some.times[prevKept] as number));
              const y = (c[2 * prevKept] as number) + f * ((c[2 * p] as number) - (c[2 * prevKept] as number));
              const x = (c[2 * prevKept + 1] as number) + f * ((c[2 * p + 1] as number) - (c[2 * prevKept + 1] as number));
              expect(haversine(lat, lng, y, x, R)).toBeLessThanOrEqual(tol);
            }
          }
          prevKept = p;
        }
      }
    }
  });

  it('bad input: negative tolerance, unsorted times for TD-TR', () => {
    const b = batchFromArrays([[0, 0, 1, 0, 2, 0]], [[0, 5, 3]]);
    expect(errorOf(() => douglasPeucker(b, -1, E)).details).toMatchObject({ argument: 'tolerance' });
    const e = errorOf(() => tdTr(b, 1, E));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ trajectory: 0, index: 2, point: 2, reason: 'unsorted-timestamps' });
  });
});

describe('stay points', () => {
  // Three fixes within 50 of the first over 1200 s, then three within 5 over 200 s (a tail run).
  const b = batchFromArrays([[0, 0, 10, 0, 0, 10, 1000, 0, 1000, 5, 1002, 0]], [[0, 600, 1200, 1300, 1400, 1500]]);

  it('hand case: one stay of 1200 s; a shorter duration also finds the run open at the end', () => {
    const long = detectStayPoints(b, { ...E, distance: 50, duration: 1000 });
    expect(Array.from(long.trajectory)).toEqual([0]);
    expect(long.coords[0]).toBeCloseTo(10 / 3, 12);
    expect(long.coords[1]).toBeCloseTo(10 / 3, 12);
    expect([long.arrive[0], long.leave[0], long.first[0], long.last[0]]).toEqual([0, 1200, 0, 2]);
    const short = detectStayPoints(b, { ...E, distance: 50, duration: 150 });
    expect(Array.from(short.first)).toEqual([0, 3]);
    expect(Array.from(short.last)).toEqual([2, 5]);
    expect(short.coords[2]).toBeCloseTo(3002 / 3, 12);
    expect(Array.from(short.offsets)).toEqual([0, 2]);
    // Tighter distance: the second fix is already 10 away.
    expect(detectStayPoints(b, { ...E, distance: 5, duration: 100 }).trajectory.length).toBe(1);
  });

  it('real GeoLife user 001 (200 m, 30 min): stays satisfy both thresholds', () => {
    if (!existsSync(join(defaultDataDir(), 'traj'))) return;
    const g = loadGeolifeSample();
    const user = selectTrajectories(g, [0]);
    const sp = detectStayPoints(user, { distance: 200, duration: 1800 });
    expect(sp.trajectory.length).toBeGreaterThan(20);
    for (let s = 0; s < sp.trajectory.length; s++) {
      const first = sp.first[s] as number;
      expect((sp.leave[s] as number) - (sp.arrive[s] as number)).toBeGreaterThanOrEqual(1800);
      for (let k = first; k <= (sp.last[s] as number); k++) {
        const d = haversine(
          user.coords[2 * first] as number,
          user.coords[2 * first + 1] as number,
          user.coords[2 * k] as number,
          user.coords[2 * k + 1] as number,
          R,
        );
        expect(d).toBeLessThanOrEqual(200);
      }
      if (s > 0) expect(sp.first[s]).toBeGreaterThan(sp.last[s - 1] as number);
    }
  });

  it('bad input: duplicate timestamps name the point', () => {
    const dup = batchFromArrays([[0, 0, 1, 1]], [[5, 5]]);
    const e = errorOf(() => detectStayPoints(dup, { ...E, distance: 1, duration: 1 }));
    expect(e.details).toMatchObject({ trajectory: 0, index: 1, reason: 'duplicate-timestamp' });
    expect(errorOf(() => detectStayPoints(b, { ...E, distance: -1, duration: 1 })).details).toMatchObject({ argument: 'distance' });
    const noTimes = batchFromArrays([[0, 0, 1, 1]]);
    expect(errorOf(() => detectStayPoints(noTimes, { ...E, distance: 1, duration: 1 })).code).toBe('NOT_FINITE');
  });
});

describe('motion features', () => {
  it('hand case (euclidean): distances 5 and 10, speeds 5 and 10, acceleration 5, headings', () => {
    // (x, y): (0,0) -> (3,4) in 1 s -> (3,14) in 1 s.
    const f = motionFeatures(batchFromArrays([[0, 0, 3, 4, 3, 14]], [[100, 101, 102]]), E);
    expect(Array.from(f.distance)).toEqual([Number.NaN, 5, 10]);
    expect(Array.from(f.speed)).toEqual([Number.NaN, 5, 10]);
    expect(Array.from(f.dt)).toEqual([Number.NaN, 1, 1]);
    expect(Array.from(f.acceleration)).toEqual([Number.NaN, Number.NaN, 5]);
    expect(f.heading[1]).toBeCloseTo((Math.atan2(3, 4) * 180) / Math.PI, 12); // 36.87 deg from +y towards +x
    expect(f.heading[2]).toBe(0);
  });

  it('haversine headings: north 0, east 90, south 180, west 270; NaN when not moving', () => {
    const b = batchFromArrays([[0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0]], [[0, 10, 20, 30, 40, 50]]);
    const f = motionFeatures(b);
    expect(f.heading[1]).toBeCloseTo(0, 9);
    expect(f.heading[2]).toBeCloseTo(90, 1); // initial bearing at 1 deg N is a hair off 90
    expect(f.heading[3]).toBeCloseTo(180, 9);
    expect(f.heading[4]).toBeCloseTo(270, 9);
    expect(f.heading[5]).toBeNaN();
    expect(f.speed[1]).toBeCloseTo((R * Math.PI) / 180 / 10, 6);
    expect(f.speed[5]).toBe(0);
  });

  it('first points of every trajectory are NaN; single-point trajectories are refused', () => {
    const f = motionFeatures(
      batchFromArrays(
        [
          [0, 0, 0, 1],
          [1, 1, 1, 2, 1, 3],
        ],
        [
          [0, 1],
          [0, 1, 2],
        ],
      ),
      E,
    );
    expect(f.speed[0]).toBeNaN();
    expect(f.speed[2]).toBeNaN();
    expect(f.speed[3]).toBe(1);
    const e = errorOf(() =>
      motionFeatures(
        batchFromArrays(
          [
            [0, 0, 0, 1],
            [1, 1],
          ],
          [[0, 1], [0]],
        ),
        E,
      ),
    );
    expect(e.code).toBe('INVALID_LENGTH');
    expect(e.details).toMatchObject({ trajectory: 1, length: 1, expected: 2 });
  });
});

describe('resampling', () => {
  const b = batchFromArrays([[0, 0, 10, 0, 10, 20]], [[0, 10, 30]], ['r']);

  it('hand cases at 5 s and 7 s', () => {
    const five = resampleTrajectories(b, 5, E);
    expect(Array.from(five.times)).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(Array.from(five.coords)).toEqual([0, 0, 5, 0, 10, 0, 10, 5, 10, 10, 10, 15, 10, 20]);
    const seven = resampleTrajectories(b, 7, E);
    expect(Array.from(seven.times)).toEqual([0, 7, 14, 21, 28]);
    expect(Array.from(seven.coords)).toEqual([0, 0, 7, 0, 10, 4, 10, 11, 10, 18]);
    expect(seven.ids).toEqual(['r']);
  });

  it('longitude is interpolated the short way across the antimeridian', () => {
    const r = resampleTrajectories(batchFromArrays([[0, 179.5, 0, -179.5]], [[0, 10]]), 5);
    expect(r.coords[3]).toBeCloseTo(180, 9);
  });

  it('bad input: step <= 0, one-point trajectory', () => {
    expect(errorOf(() => resampleTrajectories(b, 0, E)).details).toMatchObject({ argument: 'step' });
    expect(errorOf(() => resampleTrajectories(batchFromArrays([[0, 0]], [[0]]), 1, E)).code).toBe('INVALID_LENGTH');
  });
});

describe('cleaning', () => {
  it('exact duplicates go, same time at another place stays', () => {
    const b = batchFromArrays([[0, 0, 0, 0, 1, 1, 0, 0, 2, 2]], [[0, 0, 5, 0, 5]]);
    const r = removeExactDuplicates(b);
    expect(r.removed).toBe(2);
    expect(Array.from(r.keep)).toEqual([1, 0, 1, 0, 1]);
    expect(Array.from(r.batch.times)).toEqual([0, 5, 5]);
  });

  it('time order: issues listed with their kind, sort repairs unsorted points stably', () => {
    const b = batchFromArrays(
      [
        [0, 0, 1, 1, 2, 2, 3, 3],
        [0, 0],
      ],
      [[0, 10, 10, 5], [Number.NaN]],
    );
    expect(checkTimeOrder(b)).toEqual([
      { trajectory: 0, index: 2, kind: 'duplicate-timestamp' },
      { trajectory: 0, index: 3, kind: 'unsorted-timestamps' },
      { trajectory: 1, index: 4, kind: 'not-finite' },
    ]);
    expect(checkTimeOrder(b, 1).length).toBe(1);
    const e = errorOf(() => assertTimeOrder(b));
    expect(e.details).toMatchObject({ trajectory: 0, index: 2, reason: 'duplicate-timestamp' });
    const s = sortByTime(b);
    expect(Array.from(s.times.subarray(0, 4))).toEqual([0, 5, 10, 10]);
    expect(Array.from(s.coords.subarray(0, 8))).toEqual([0, 0, 3, 3, 1, 1, 2, 2]);
  });

  it('speed filter drops a spike and keeps the track', () => {
    // x: 0 1 100 2 3 at t 0..4, max 5 units/s: 100 is a spike; 2 at t=3 is 0.5/s from 1.
    const b = batchFromArrays([[0, 0, 1, 0, 100, 0, 2, 0, 3, 0]], [[0, 1, 2, 3, 4]]);
    const r = filterSpeedOutliers(b, { ...E, maxSpeed: 5 });
    expect(Array.from(r.keep)).toEqual([1, 1, 0, 1, 1]);
    expect(r.removed).toBe(1);
    const unsorted = batchFromArrays([[0, 0, 1, 0]], [[5, 1]]);
    expect(errorOf(() => filterSpeedOutliers(unsorted, { ...E, maxSpeed: 5 })).details).toMatchObject({
      index: 1,
      reason: 'unsorted-timestamps',
    });
  });

  it('trip segmentation on time gaps', () => {
    const b = batchFromArrays([[0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]], [[0, 10, 20, 500, 510, 2000]], ['car']);
    const r = segmentTrips(b, { maxGap: 100, minPoints: 2 });
    expect(r.batch.ids).toEqual(['car/0', 'car/1']);
    expect(Array.from(r.batch.offsets)).toEqual([0, 3, 5]);
    expect(Array.from(r.source)).toEqual([0, 0]);
    expect(segmentTrips(b, { maxGap: 100 }).batch.ids).toEqual(['car/0', 'car/1', 'car/2']);
    expect(segmentTrips(b, { maxGap: 1e9 }).batch.ids).toEqual(['car/0']);
    expect(errorOf(() => segmentTrips(b, { maxGap: -1 })).details).toMatchObject({ argument: 'maxGap' });
  });
});
