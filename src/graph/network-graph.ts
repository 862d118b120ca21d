/**
 * The logistics network graph, embedded in-process: typed nodes and edges (see types.ts) with
 * queries — neighbours, k-shortest paths by expected time or by a time quantile, lane statistics
 * (count, quantiles, by local hour and weekday) and drift flags. Unknown node ids throw
 * NOT_FOUND with `details.node`.
 */
import { WaybillError } from '../errors.js';
import { describeValue, optionsObject } from '../kernels/options.js';
import { type Arc, kShortestPaths } from './k-shortest.js';
import { mean, quantile } from './stats.js';
import type { DriftFlag, EdgeKind, GraphEdge, GraphNode, GraphPath, GraphSource, LaneStats } from './types.js';

/** One lane observation. */
export interface LaneObservation {
  /** Travel time, seconds (NaN when unknown). */
  seconds: number;
  /** Distance, metres (NaN when unknown). */
  metres: number;
  /** When it happened, epoch seconds UTC (NaN when unknown). */
  at: number;
  /** Planned service time at the destination, seconds (Amazon). */
  serviceSeconds?: number;
}

/** How k-shortest paths weigh a lane: its mean time, or a quantile of its times. */
export type PathWeight = 'mean' | { quantile: number };

/** Options of the drift rule (see NetworkGraph.driftFlags). */
export interface DriftOptions {
  /** Share of a lane's observations, latest by time, that count as recent (default 0.2). */
  recentFraction?: number;
  /** Fewest older observations for a lane to be judged (default 8). */
  minHistory?: number;
  /** Fewest recent observations (default 3). */
  minRecent?: number;
  /** Historical range: these quantiles of the older times (default [0.05, 0.95]). */
  range?: [number, number];
}

/** Most paths one kShortestPaths call returns. */
export const MAX_PATHS = 1000;

function edgeId(kind: EdgeKind, from: string, to: string): string {
  return `${kind}:${from}->${to}`;
}

export class NetworkGraph {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges = new Map<string, GraphEdge>();
  private readonly outEdges = new Map<string, string[]>();
  private readonly inEdges = new Map<string, string[]>();

  /** Adds a node; a node with the same id is kept as it is (first wins). Returns the stored node. */
  addNode(node: Omit<GraphNode, 'attrs'> & { attrs?: GraphNode['attrs'] }): GraphNode {
    const have = this.nodes.get(node.id);
    if (have) return have;
    const stored: GraphNode = { ...node, attrs: { ...(node.attrs ?? {}) } };
    this.nodes.set(node.id, stored);
    this.outEdges.set(node.id, []);
    this.inEdges.set(node.id, []);
    return stored;
  }

  /** The node with this id; NOT_FOUND naming it otherwise. */
  node(id: string): GraphNode {
    const n = this.nodes.get(id);
    if (!n) throw new WaybillError('NOT_FOUND', `no node ${JSON.stringify(id)} in the network graph`, { node: id });
    return n;
  }

  /** Adds (or finds) the edge of this kind between two existing nodes; `count` grows by one per call. */
  link(
    kind: EdgeKind,
    from: string,
    to: string,
    options: { source?: GraphSource; timeBasis?: GraphEdge['timeBasis']; utcOffsetHours?: number } = {},
  ): GraphEdge {
    this.node(from);
    this.node(to);
    const id = edgeId(kind, from, to);
    let e = this.edges.get(id);
    if (!e) {
      e = {
        id,
        from,
        to,
        kind,
        source: options.source ?? 'user',
        count: 0,
        seconds: [],
        metres: [],
        observedAt: [],
        serviceSeconds: [],
        timeBasis: options.timeBasis ?? 'none',
        utcOffsetHours: options.utcOffsetHours ?? 0,
      };
      this.edges.set(id, e);
      (this.outEdges.get(from) as string[]).push(id);
      (this.inEdges.get(to) as string[]).push(id);
    }
    e.count++;
    return e;
  }

  /** Records one traversal of the lane from -> to (created on first use). */
  observeLane(
    from: string,
    to: string,
    obs: LaneObservation,
    options: { source?: GraphSource; timeBasis?: GraphEdge['timeBasis']; utcOffsetHours?: number } = {},
  ): GraphEdge {
    const e = this.link('lane', from, to, options);
    e.seconds.push(obs.seconds);
    e.metres.push(obs.metres);
    e.observedAt.push(obs.at);
    if (obs.serviceSeconds !== undefined) e.serviceSeconds.push(obs.serviceSeconds);
    return e;
  }

  /** Inserts a fully formed edge (used by import); its end nodes must exist. */
  insertEdge(edge: GraphEdge): void {
    this.node(edge.from);
    this.node(edge.to);
    if (this.edges.has(edge.id)) throw new WaybillError('CONFLICT', `edge ${edge.id} already exists`, { edge: edge.id });
    this.edges.set(edge.id, edge);
    (this.outEdges.get(edge.from) as string[]).push(edge.id);
    (this.inEdges.get(edge.to) as string[]).push(edge.id);
  }

  /** The lane from -> to; NOT_FOUND naming the missing node or lane. */
  lane(from: string, to: string): GraphEdge {
    this.node(from);
    this.node(to);
    const e = this.edges.get(edgeId('lane', from, to));
    if (!e) throw new WaybillError('NOT_FOUND', `no lane from ${from} to ${to}`, { from, to });
    return e;
  }

  /**
   * Neighbours of a node: along outgoing edges (default), incoming, or both; optionally only
   * edges of one kind. Each entry names the neighbour and the edge.
   */
  neighbours(id: string, optionsIn?: { direction?: 'out' | 'in' | 'both'; kind?: EdgeKind }): { node: GraphNode; edge: GraphEdge }[] {
    const options = optionsObject(optionsIn);
    this.node(id);
    const dir = options.direction ?? 'out';
    if (dir !== 'out' && dir !== 'in' && dir !== 'both')
      throw new WaybillError('INVALID_ARGUMENT', `direction must be 'out', 'in' or 'both', got ${describeValue(dir)}`, {
        field: 'direction',
      });
    if (options.kind !== undefined && options.kind !== 'contains' && options.kind !== 'serves' && options.kind !== 'lane')
      throw new WaybillError('INVALID_ARGUMENT', `kind must be 'contains', 'serves' or 'lane', got ${describeValue(options.kind)}`, {
        field: 'kind',
      });
    const out: { node: GraphNode; edge: GraphEdge }[] = [];
    const take = (ids: string[], other: (e: GraphEdge) => string): void => {
      for (const eid of ids) {
        const e = this.edges.get(eid) as GraphEdge;
        if (options.kind && e.kind !== options.kind) continue;
        out.push({ node: this.nodes.get(other(e)) as GraphNode, edge: e });
      }
    };
    if (dir === 'out' || dir === 'both') take(this.outEdges.get(id) as string[], (e) => e.to);
    if (dir === 'in' || dir === 'both') take(this.inEdges.get(id) as string[], (e) => e.from);
    return out;
  }

  /** Weight of a lane in seconds under `weight`, or NaN when it has no finite time sample. */
  laneWeight(edge: GraphEdge, weight: PathWeight = 'mean'): number {
    const t = edge.seconds.filter(Number.isFinite);
    if (t.length === 0) return Number.NaN;
    return weight === 'mean' ? mean(t) : quantile(t, weight.quantile);
  }

  /**
   * Up to k loopless paths along lanes from `from` to `to`, cheapest first, each lane weighed by
   * its mean time or a quantile of its times (seconds; lanes without times are not used).
   * 1 <= k <= MAX_PATHS (1000), else INVALID_K.
   */
  kShortestPaths(from: string, to: string, k: number, optionsIn?: { weight?: PathWeight }): GraphPath[] {
    const options = optionsObject(optionsIn);
    this.node(from);
    this.node(to);
    // Yen's algorithm enumerates paths one by one: a huge k on a large graph never finished.
    if (!Number.isInteger(k) || k < 1 || k > MAX_PATHS)
      throw new WaybillError('INVALID_K', `k must be an integer in 1..${MAX_PATHS}, got ${describeValue(k)}`, {
        argument: 'k',
        field: 'k',
      });
    const weight = options.weight ?? 'mean';
    if (
      weight !== 'mean' &&
      !(typeof weight === 'object' && typeof weight.quantile === 'number' && weight.quantile >= 0 && weight.quantile <= 1)
    )
      throw new WaybillError('INVALID_ARGUMENT', "weight must be 'mean' or { quantile } with the quantile in [0, 1]", {
        argument: 'weight',
        field: 'weight',
      });
    const cache = new Map<string, Arc[]>();
    const arcs = (node: string): Arc[] => {
      let a = cache.get(node);
      if (!a) {
        a = [];
        for (const eid of this.outEdges.get(node) ?? []) {
          const e = this.edges.get(eid) as GraphEdge;
          if (e.kind !== 'lane' || e.from === e.to) continue;
          const w = this.laneWeight(e, weight);
          if (Number.isFinite(w) && w >= 0) a.push({ to: e.to, weight: w, edge: e.id });
        }
        cache.set(node, a);
      }
      return a;
    };
    return kShortestPaths(arcs, from, to, k);
  }

  /** Statistics of the lane from -> to (NOT_FOUND when absent). */
  laneStats(from: string, to: string, optionsIn?: { quantiles?: number[] }): LaneStats {
    const options = optionsObject(optionsIn);
    return this.statsOf(this.lane(from, to), options.quantiles);
  }

  /** Statistics of a lane edge; `qs`: quantiles in [0, 1] (INVALID_ARGUMENT otherwise). */
  statsOf(e: GraphEdge, qs: number[] = [0.1, 0.5, 0.9, 0.95]): LaneStats {
    if (!Array.isArray(qs) || qs.some((q) => typeof q !== 'number' || !(q >= 0 && q <= 1)))
      throw new WaybillError('INVALID_ARGUMENT', 'quantiles must be an array of numbers in [0, 1]', { field: 'quantiles' });
    const t = e.seconds.filter(Number.isFinite);
    const quantiles: Record<string, number> = {};
    for (const q of qs) quantiles[`p${Math.round(q * 100)}`] = quantile(t, q);
    const hours = new Map<number, number[]>();
    const days = new Map<number, number[]>();
    e.observedAt.forEach((at, i) => {
      const s = e.seconds[i] as number;
      if (!Number.isFinite(at) || !Number.isFinite(s)) return;
      const local = new Date((at + e.utcOffsetHours * 3600) * 1000);
      const h = local.getUTCHours();
      const d = local.getUTCDay();
      if (!hours.has(h)) hours.set(h, []);
      if (!days.has(d)) days.set(d, []);
      (hours.get(h) as number[]).push(s);
      (days.get(d) as number[]).push(s);
    });
    return {
      from: e.from,
      to: e.to,
      count: e.count,
      timeBasis: e.timeBasis,
      meanSeconds: mean(t),
      quantiles,
      meanMetres: mean(e.metres.filter(Number.isFinite)),
      meanServiceSeconds: mean(e.serviceSeconds.filter(Number.isFinite)),
      byHour: [...hours.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([hour, v]) => ({ hour, count: v.length, medianSeconds: quantile(v, 0.5) })),
      byWeekday: [...days.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([weekday, v]) => ({ weekday, count: v.length, medianSeconds: quantile(v, 0.5) })),
    };
  }

  /**
   * Drift flags. Rule: per lane with timestamped, finite times, observations are sorted by time;
   * the latest `recentFraction` (at least minRecent) are recent, the rest history (at least
   * minHistory). The lane is flagged `slower` when the recent median exceeds the history's upper
   * range quantile (default P95), `faster` when it is below the lower one (default P5).
   */
  driftFlags(optionsIn?: DriftOptions): DriftFlag[] {
    const options = optionsObject(optionsIn);
    const fraction = options.recentFraction ?? 0.2;
    const minHistory = options.minHistory ?? 8;
    const minRecent = options.minRecent ?? 3;
    const range = options.range ?? [0.05, 0.95];
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1))
      throw new WaybillError('INVALID_ARGUMENT', 'recentFraction must be in (0, 1)', {
        argument: 'recentFraction',
        field: 'recentFraction',
      });
    for (const [field, v] of [
      ['minHistory', minHistory],
      ['minRecent', minRecent],
    ] as const)
      if (!Number.isSafeInteger(v) || v < 0)
        throw new WaybillError('INVALID_ARGUMENT', `${field} must be an integer >= 0, got ${describeValue(v)}`, { field });
    // Quantiles outside [0, 1] read past the sorted times (NaN bounds: no lane was ever flagged).
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      !range.every((q) => typeof q === 'number' && q >= 0 && q <= 1) ||
      range[0] > range[1]
    )
      throw new WaybillError('INVALID_ARGUMENT', 'range must be two quantiles [low, high] with 0 <= low <= high <= 1', { field: 'range' });
    const [lo, hi] = range;
    const flags: DriftFlag[] = [];
    for (const e of this.edges.values()) {
      if (e.kind !== 'lane' || e.timeBasis !== 'observed') continue;
      const obs = e.observedAt
        .map((at, i) => ({ at, s: e.seconds[i] as number }))
        .filter((o) => Number.isFinite(o.at) && Number.isFinite(o.s))
        .sort((a, b) => a.at - b.at);
      const recentN = Math.max(minRecent, Math.round(obs.length * fraction));
      if (obs.length - recentN < minHistory) continue;
      const history = obs.slice(0, obs.length - recentN).map((o) => o.s);
      const recent = obs.slice(obs.length - recentN).map((o) => o.s);
      const low = quantile(history, lo);
      const high = quantile(history, hi);
      const med = quantile(recent, 0.5);
      if (med > high || med < low) {
        flags.push({
          edge: e.id,
          from: e.from,
          to: e.to,
          direction: med > high ? 'slower' : 'faster',
          historyCount: history.length,
          recentCount: recent.length,
          historyLow: low,
          historyHigh: high,
          recentMedian: med,
        });
      }
    }
    return flags;
  }

  /** Node counts by kind and edge counts by kind. */
  summary(): { nodes: Record<string, number>; edges: Record<string, number> } {
    const nodes: Record<string, number> = {};
    const edges: Record<string, number> = {};
    for (const n of this.nodes.values()) nodes[n.kind] = (nodes[n.kind] ?? 0) + 1;
    for (const e of this.edges.values()) edges[e.kind] = (edges[e.kind] ?? 0) + 1;
    return { nodes, edges };
  }
}
