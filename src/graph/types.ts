/**
 * Types of the logistics network graph: typed nodes (places at several levels: Amazon station /
 * zone / stop, LaDe city / region / AOI / courier, GPS stay-point places) and typed edges
 * (hierarchy, courier coverage, and lanes: observed movements between places with their time and
 * distance samples). Hub-to-hub parcel scans would plug in as more lanes through the same shape.
 */

/** Kinds of node. */
export type NodeKind = 'station' | 'zone' | 'stop' | 'city' | 'region' | 'aoi' | 'courier' | 'place';

/** Kinds of edge: `contains` (parent -> child), `serves` (AOI -> courier), `lane` (observed movement). */
export type EdgeKind = 'contains' | 'serves' | 'lane';

/** Where a graph element came from. */
export type GraphSource = 'amazon' | 'lade' | 'gps' | 'user';

/** A node. Coordinates are (lat, lng) degrees in the source's datum when known. */
export interface GraphNode {
  id: string;
  kind: NodeKind;
  source: GraphSource;
  label: string;
  lat?: number;
  lng?: number;
  /** Free attributes (counts, datum, zone ids...). */
  attrs: Record<string, string | number>;
}

/**
 * An edge. Lanes carry one sample per observed traversal, in observation order:
 * `seconds` (travel time), `metres` (distance), `observedAt` (epoch seconds UTC, NaN when unknown)
 * and, for Amazon lanes, `serviceSeconds` (planned service time at the destination stop).
 */
export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  source: GraphSource;
  /** Number of observations (lane traversals, served tasks, or 1 for containment). */
  count: number;
  seconds: number[];
  metres: number[];
  observedAt: number[];
  serviceSeconds: number[];
  /** How `seconds` was obtained: observed timestamps, or estimated from distance (Amazon: no timestamps). */
  timeBasis: 'observed' | 'estimated' | 'none';
  /** Offset of the local clock from UTC, hours, for by-hour / by-weekday statistics. */
  utcOffsetHours: number;
}

/** Per-lane travel-time statistics. */
export interface LaneStats {
  from: string;
  to: string;
  count: number;
  timeBasis: GraphEdge['timeBasis'];
  meanSeconds: number;
  /** Quantiles of the travel time, keyed `p50`, `p90`... (seconds). */
  quantiles: Record<string, number>;
  meanMetres: number;
  meanServiceSeconds: number;
  /** Local hour 0..23 -> count and median seconds (only hours with observations). */
  byHour: { hour: number; count: number; medianSeconds: number }[];
  /** Local weekday 0 (Sunday)..6 -> count and median seconds (only days with observations). */
  byWeekday: { weekday: number; count: number; medianSeconds: number }[];
}

/** A path returned by k-shortest-paths. */
export interface GraphPath {
  nodes: string[];
  edges: string[];
  /** Sum of the edge weights, seconds. */
  cost: number;
}

/** A lane whose recent times fall outside its history. */
export interface DriftFlag {
  edge: string;
  from: string;
  to: string;
  direction: 'slower' | 'faster';
  historyCount: number;
  recentCount: number;
  historyLow: number;
  historyHigh: number;
  recentMedian: number;
}
