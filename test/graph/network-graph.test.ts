/** The network graph: hand-made queries (Yen against brute force, stats, drift), exports, and the graph of the real shared data. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WaybillError } from '../../src/errors.js';
import {
  amazonStationId,
  buildSharedNetworkGraph,
  type GraphPath,
  graphFromJson,
  graphToCsv,
  graphToGraphml,
  graphToJson,
  NetworkGraph,
} from '../../src/graph/index.js';
import { defaultDataDir } from '../../src/paths.js';

const DATA = defaultDataDir();
const haveData = existsSync(join(DATA, 'lastmile')) && existsSync(join(DATA, 'traj'));

function errorOf(fn: () => unknown): WaybillError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WaybillError);
    return err as WaybillError;
  }
  throw new Error('expected a WaybillError');
}

/** Seeded pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random directed graph of n places; lane times drawn per observation. */
function randomGraph(seed: number, n: number, density: number): NetworkGraph {
  const r = rng(seed);
  const g = new NetworkGraph();
  for (let i = 0; i < n; i++) g.addNode({ id: `p${i}`, kind: 'place', source: 'user', label: `p${i}` });
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j || r() > density) continue;
      const obs = 1 + Math.floor(r() * 4);
      for (let k = 0; k < obs; k++)
        g.observeLane(
          `p${i}`,
          `p${j}`,
          { seconds: 10 + Math.floor(r() * 90), metres: 100, at: 1_600_000_000 + k * 3600 },
          { timeBasis: 'observed' },
        );
    }
  return g;
}

/** Every simple path from s to t with its cost under the given weight, by depth-first search. */
function allSimplePaths(
  g: NetworkGraph,
  s: string,
  t: string,
  weight: (from: string, to: string) => number,
): { nodes: string[]; cost: number }[] {
  const out: { nodes: string[]; cost: number }[] = [];
  const walk = (path: string[], cost: number): void => {
    const at = path[path.length - 1] as string;
    if (at === t) {
      out.push({ nodes: path.slice(), cost });
      return;
    }
    for (const { node } of g.neighbours(at, { kind: 'lane' })) {
      if (path.includes(node.id)) continue;
      path.push(node.id);
      walk(path, cost + weight(at, node.id));
      path.pop();
    }
  };
  walk([s], 0);
  return out.sort((a, b) => a.cost - b.cost);
}

describe('k-shortest paths (Yen) against brute force', () => {
  for (const [seed, n, density] of [
    [1, 7, 0.45],
    [2, 8, 0.35],
    [3, 6, 0.7],
  ] as const) {
    it(`seed ${seed}: ${n} nodes, density ${density}, by mean and by P90`, () => {
      const g = randomGraph(seed, n, density);
      for (const weight of ['mean', { quantile: 0.9 }] as const) {
        const w = (a: string, b: string): number => g.laneWeight(g.lane(a, b), weight);
        const brute = allSimplePaths(g, 'p0', `p${n - 1}`, w);
        expect(brute.length).toBeGreaterThan(3);
        const k = Math.min(6, brute.length);
        const yen: GraphPath[] = g.kShortestPaths('p0', `p${n - 1}`, k, { weight });
        expect(yen.length).toBe(k);
        yen.forEach((p, i) => {
          expect(p.cost).toBeCloseTo((brute[i] as { cost: number }).cost, 9);
          // Each path is real, loopless, and its cost is the sum of its lanes.
          expect(new Set(p.nodes).size).toBe(p.nodes.length);
          let c = 0;
          for (let j = 1; j < p.nodes.length; j++) c += w(p.nodes[j - 1] as string, p.nodes[j] as string);
          expect(c).toBeCloseTo(p.cost, 9);
        });
        expect(new Set(yen.map((p) => p.nodes.join(' '))).size).toBe(k);
      }
    });
  }

  it('a quantile weight can change the best path; unknown ids and bad k are errors', () => {
    const g = new NetworkGraph();
    for (const id of ['a', 'b', 'c', 'd']) g.addNode({ id, kind: 'place', source: 'user', label: id });
    // a-b-d: steady 50 + 50; a-c-d: usually 30 + 30 but sometimes 200 on c-d.
    for (const s of [50, 50, 50, 50, 50]) {
      g.observeLane('a', 'b', { seconds: s, metres: 1, at: Number.NaN });
      g.observeLane('b', 'd', { seconds: s, metres: 1, at: Number.NaN });
    }
    for (const s of [30, 30, 30, 30, 30]) g.observeLane('a', 'c', { seconds: s, metres: 1, at: Number.NaN });
    for (const s of [30, 30, 30, 200, 200]) g.observeLane('c', 'd', { seconds: s, metres: 1, at: Number.NaN });
    expect(g.kShortestPaths('a', 'd', 1)[0]?.nodes).toEqual(['a', 'b', 'd']); // mean: 100 vs 30 + 98
    expect(g.kShortestPaths('a', 'd', 1, { weight: { quantile: 0.5 } })[0]?.nodes).toEqual(['a', 'c', 'd']);
    expect(g.kShortestPaths('a', 'd', 5).map((p) => p.cost)).toEqual([100, 128]);
    expect(g.kShortestPaths('d', 'a', 2)).toEqual([]);
    expect(errorOf(() => g.kShortestPaths('a', 'zz', 2))).toMatchObject({ code: 'NOT_FOUND', details: { node: 'zz' } });
    expect(errorOf(() => g.neighbours('nope'))).toMatchObject({ code: 'NOT_FOUND', details: { node: 'nope' } });
    expect(errorOf(() => g.laneStats('b', 'a')).code).toBe('NOT_FOUND');
    expect(errorOf(() => g.kShortestPaths('a', 'd', 0)).code).toBe('INVALID_K');
  });
});

describe('lane statistics and drift', () => {
  it('counts, quantiles, by local hour and weekday; drift beyond the older P95 is flagged', () => {
    const g = new NetworkGraph();
    g.addNode({ id: 'x', kind: 'place', source: 'user', label: 'x' });
    g.addNode({ id: 'y', kind: 'place', source: 'user', label: 'y' });
    g.addNode({ id: 'z', kind: 'place', source: 'user', label: 'z' });
    // Monday 2024-01-01 00:00 UTC = 08:00 at UTC+8.
    const monday = Date.UTC(2024, 0, 1) / 1000;
    const xy = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190];
    xy.forEach((s, i) => {
      g.observeLane('x', 'y', { seconds: s, metres: 1000, at: monday + i * 86400 }, { timeBasis: 'observed', utcOffsetHours: 8 });
    });
    // Recent observations of x -> y (the last 20 % by time) are far slower: drift.
    for (const [i, s] of [
      [10, 400],
      [11, 420],
      [12, 410],
    ] as const)
      g.observeLane('x', 'y', { seconds: s, metres: 1000, at: monday + i * 86400 }, { timeBasis: 'observed', utcOffsetHours: 8 });
    // y -> z: steady, no drift.
    for (let i = 0; i < 15; i++)
      g.observeLane('y', 'z', { seconds: 60 + (i % 3), metres: 500, at: monday + i * 3600 }, { timeBasis: 'observed' });
    const st = g.laneStats('x', 'y', { quantiles: [0.5, 0.9] });
    expect(st.count).toBe(13);
    expect(st.quantiles.p50).toBe(160);
    expect(st.quantiles.p90).toBeCloseTo(400 + 0.8 * 10, 9);
    expect(st.meanMetres).toBe(1000);
    expect(st.byHour).toEqual([{ hour: 8, count: 13, medianSeconds: 160 }]);
    expect(st.byWeekday.find((d) => d.weekday === 1)).toEqual({ weekday: 1, count: 2, medianSeconds: 135 }); // days 0 and 7: 100 and 170 s
    expect(st.byWeekday.reduce((s, d) => s + d.count, 0)).toBe(13);
    const flags = g.driftFlags({ recentFraction: 0.2, minHistory: 8, minRecent: 3 });
    expect(flags.map((f) => f.edge)).toEqual(['lane:x->y']);
    expect(flags[0]).toMatchObject({ direction: 'slower', historyCount: 10, recentCount: 3, recentMedian: 410 });
    expect(flags[0]?.historyHigh).toBeCloseTo(185.5, 9);
  });
});

describe('exports', () => {
  const g = randomGraph(5, 6, 0.5);
  g.addNode({ id: 'odd <&"\'> id', kind: 'zone', source: 'user', label: 'a, "quoted" label', lat: 1.5, lng: 2.5, attrs: { k: 1 } });
  g.link('contains', 'odd <&"\'> id', 'p0');
  g.observeLane('p1', 'p2', { seconds: Number.NaN, metres: Number.NaN, at: Number.NaN });

  it('JSON round-trips exactly (NaN samples through null)', () => {
    const text = JSON.stringify(graphToJson(g));
    const back = graphFromJson(JSON.parse(text));
    expect(back.summary()).toEqual(g.summary());
    expect(JSON.stringify(graphToJson(back))).toBe(text);
    expect(back.lane('p1', 'p2').seconds.some(Number.isNaN)).toBe(true);
    expect(back.kShortestPaths('p0', 'p5', 3)).toEqual(g.kShortestPaths('p0', 'p5', 3));
    expect(errorOf(() => graphFromJson({ format: 'other' })).code).toBe('INVALID_ARGUMENT');
  });

  it('GraphML is well-formed XML with one node / edge element each', () => {
    const text = graphToGraphml(g);
    // Minimal well-formedness check: balanced tags, quoted attributes, no raw & or < in text.
    const stack: string[] = [];
    const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>/g;
    let last = 0;
    let m: RegExpExecArray | null = tag.exec(text);
    const body = text.replace(/^<\?xml[^>]*\?>/, '');
    expect(body.length).toBeLessThan(text.length);
    while (m !== null) {
      const between = text.slice(last, m.index);
      if (last > 0) expect(between).not.toMatch(/<|&(?!(amp|lt|gt|quot|apos);)/);
      if (m[1] === '/') expect(stack.pop()).toBe(m[2]);
      else if (m[4] !== '/') stack.push(m[2] as string);
      last = m.index + m[0].length;
      m = tag.exec(text);
    }
    expect(stack).toEqual([]);
    expect(text.match(/<node /g)?.length).toBe(g.nodes.size);
    expect(text.match(/<edge /g)?.length).toBe(g.edges.size);
    expect(text).toContain('id="odd &lt;&amp;&quot;&apos;&gt; id"');
  });

  it('CSV: Neo4j headers, one row per node / edge, quoted fields', () => {
    const { nodes, edges } = graphToCsv(g);
    const nl = nodes.trim().split('\n');
    expect(nl[0]).toBe('id:ID,:LABEL,source,label,lat:double,lng:double');
    expect(nl.length).toBe(g.nodes.size + 1);
    expect(nodes).toContain('"odd <&""\'> id",zone,user,"a, ""quoted"" label",1.5,2.5');
    const el = edges.trim().split('\n');
    expect(el[0]?.startsWith(':START_ID,:END_ID,:TYPE,')).toBe(true);
    expect(el.length).toBe(g.edges.size + 1);
  });
});

describe.skipIf(!haveData)('graph of the real shared data', () => {
  it('Amazon, LaDe and GeoLife build into the stated counts in seconds', () => {
    const t0 = performance.now();
    const { graph, report } = buildSharedNetworkGraph();
    const ms = performance.now() - t0;
    const s = graph.summary();
    // Amazon: 7 stations, 2,038 dropoff stops; LaDe: 5 cities, 1,217 (city, courier) pairs.
    expect(s.nodes).toMatchObject({ station: 7, stop: 2038, city: 5, courier: 1217 });
    expect(s.nodes.zone).toBe(280);
    // One lane observation per change of zone along the 13 driven sequences (station legs included).
    expect(report.amazonLaneObservations).toBe(305);
    // LaDe: one transition per consecutive pair of a courier-day: 6,190 tasks - 1,217 courier-days.
    expect(report.ladeLaneObservations).toBe(6190 - 1217);
    expect(report.gpsStayPoints).toBeGreaterThan(100);
    expect(report.gpsPlaces).toBeGreaterThan(10);
    expect(report.gpsPlaces).toBeLessThan(report.gpsStayPoints);
    expect(report.gpsLaneObservations).toBeGreaterThan(50);
    expect(ms).toBeLessThan(15_000);
    // Queries on it: the station of the first route has zone children; unknown ids are NOT_FOUND.
    const zones = graph.neighbours(amazonStationId('DLA7'), { kind: 'contains' });
    expect(zones.length).toBeGreaterThan(20);
    expect(zones.every((z) => z.node.kind === 'zone')).toBe(true);
    const lanesOut = graph.neighbours(amazonStationId('DLA7'), { kind: 'lane' });
    expect(lanesOut.length).toBe(4); // DLA7 runs 4 routes, each leaves the station for one first zone
    const busiest = [...graph.edges.values()].filter((e) => e.source === 'gps').sort((a, b) => b.count - a.count)[0];
    expect(busiest).toBeDefined();
    const st = graph.laneStats(busiest?.from as string, busiest?.to as string);
    expect(st.count).toBeGreaterThan(5);
    expect(st.quantiles.p90 as number).toBeGreaterThanOrEqual(st.quantiles.p50 as number);
    expect(errorOf(() => graph.node('amazon:station:NOPE')).details).toEqual({ node: 'amazon:station:NOPE' });
  });
});
