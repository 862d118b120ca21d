/**
 * Network graph queries on input found by fuzzing the embedding API: null options threw raw
 * TypeErrors, out-of-range quantiles and drift settings gave NaN statistics or silently no flags,
 * and a huge k never finished on a large graph. Each is now INVALID_ARGUMENT / INVALID_K naming
 * the field.
 */
import { describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import { MAX_PATHS, NetworkGraph } from '../../src/graph/index.js';

function fieldOf(fn: () => unknown): { code: string; field: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof WaybillError) return { code: err.code, field: err.details?.field };
    return { code: `raw ${(err as Error)?.name}`, field: undefined };
  }
  return { code: 'no error', field: undefined };
}

/** Lane a -> b with 20 timed observations (the last 4 slower), b -> c with 3. */
function graph(): NetworkGraph {
  const g = new NetworkGraph();
  for (const id of ['a', 'b', 'c']) g.addNode({ id, kind: 'place', source: 'user', label: id });
  for (let i = 0; i < 20; i++)
    g.observeLane('a', 'b', { seconds: i < 16 ? 100 + i : 300, metres: 1000, at: 1.7e9 + i * 3600 }, { timeBasis: 'observed' });
  for (let i = 0; i < 3; i++) g.observeLane('b', 'c', { seconds: 50, metres: 500, at: 1.7e9 + i }, { timeBasis: 'observed' });
  return g;
}

describe('network graph input checks', () => {
  it('null or non-object options are INVALID_ARGUMENT naming options', () => {
    const g = graph();
    for (const o of [null, 'x', []]) {
      expect(fieldOf(() => g.neighbours('a', o as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
      expect(fieldOf(() => g.kShortestPaths('a', 'c', 1, o as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
      expect(fieldOf(() => g.laneStats('a', 'b', o as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
      expect(fieldOf(() => g.driftFlags(o as never))).toEqual({ code: 'INVALID_ARGUMENT', field: 'options' });
    }
  });

  it('quantiles outside [0, 1] and bad drift settings are refused instead of giving NaN or no flags', () => {
    const g = graph();
    for (const quantiles of [[2], [-0.5], [Number.NaN], null, 'x'])
      expect(
        fieldOf(() => g.laneStats('a', 'b', { quantiles: quantiles as never })),
        String(quantiles),
      ).toEqual({
        code: 'INVALID_ARGUMENT',
        field: 'quantiles',
      });
    expect(fieldOf(() => g.driftFlags({ range: [-1, 2] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'range' });
    expect(fieldOf(() => g.driftFlags({ range: [0.9, 0.1] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'range' });
    expect(fieldOf(() => g.driftFlags({ minHistory: Number.NaN }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'minHistory' });
    expect(fieldOf(() => g.driftFlags({ minRecent: -1 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'minRecent' });
    expect(fieldOf(() => g.neighbours('a', { direction: 'up' as never }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'direction' });
    expect(fieldOf(() => g.kShortestPaths('a', 'c', 1, { weight: { quantile: Number.NaN } }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'weight',
    });
    // The valid settings still answer: the slower recent times of a -> b are flagged.
    expect(g.driftFlags().map((f) => [f.edge, f.direction])).toEqual([['lane:a->b', 'slower']]);
    expect(g.laneStats('a', 'b', { quantiles: [0, 1] }).quantiles).toEqual({ p0: 100, p100: 300 });
  });

  it(`k is 1..${MAX_PATHS}: 0, fractions, NaN and 1e9 are INVALID_K naming k`, () => {
    const g = graph();
    for (const k of [0, 0.5, Number.NaN, 1e9, MAX_PATHS + 1])
      expect(
        fieldOf(() => g.kShortestPaths('a', 'c', k)),
        String(k),
      ).toEqual({ code: 'INVALID_K', field: 'k' });
    const paths = g.kShortestPaths('a', 'c', MAX_PATHS);
    expect(paths.map((p) => p.nodes)).toEqual([['a', 'b', 'c']]);
    expect(paths[0]?.cost).toBeCloseTo((16 * 100 + 120 + 4 * 300) / 20 + 50, 9);
  });
});
