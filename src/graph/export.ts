/**
 * Network graph export and import: JSON (lossless, round-trips through graphFromJson), GraphML
 * (per-edge summary attributes; readable by Gephi, yEd, NetworkX, Neo4j APOC) and node / edge CSV
 * with Neo4j `neo4j-admin database import` headers (`id:ID`, `:LABEL`, `:START_ID`, `:END_ID`,
 * `:TYPE`). NaN samples are written as JSON null and read back as NaN.
 */
import { WaybillError } from '../errors.js';
import { NetworkGraph } from './network-graph.js';
import { mean, quantile } from './stats.js';
import type { GraphEdge, GraphNode } from './types.js';

/** Format tag and version of the JSON export. */
export const GRAPH_JSON_FORMAT = 'waybill-network';
export const GRAPH_JSON_VERSION = 1;

/** The JSON document (sample arrays hold null for NaN). */
export interface GraphJson {
  format: typeof GRAPH_JSON_FORMAT;
  version: number;
  nodes: GraphNode[];
  edges: (Omit<GraphEdge, 'seconds' | 'metres' | 'observedAt' | 'serviceSeconds'> & {
    seconds: (number | null)[];
    metres: (number | null)[];
    observedAt: (number | null)[];
    serviceSeconds: (number | null)[];
  })[];
}

const toNullable = (v: number[]): (number | null)[] => v.map((x) => (Number.isFinite(x) ? x : null));
const fromNullable = (v: unknown, field: string, edge: string): number[] => {
  if (!Array.isArray(v)) throw new WaybillError('INVALID_ARGUMENT', `edge ${edge}: ${field} must be an array`, { edge, field });
  return v.map((x) => (typeof x === 'number' ? x : Number.NaN));
};

/** The graph as a JSON-ready object. */
export function graphToJson(g: NetworkGraph): GraphJson {
  return {
    format: GRAPH_JSON_FORMAT,
    version: GRAPH_JSON_VERSION,
    nodes: [...g.nodes.values()].map((n) => ({ ...n, attrs: { ...n.attrs } })),
    edges: [...g.edges.values()].map((e) => ({
      ...e,
      seconds: toNullable(e.seconds),
      metres: toNullable(e.metres),
      observedAt: toNullable(e.observedAt),
      serviceSeconds: toNullable(e.serviceSeconds),
    })),
  };
}

/** Rebuilds a graph from graphToJson's object (or its parsed text); INVALID_ARGUMENT on a wrong document. */
export function graphFromJson(doc: unknown): NetworkGraph {
  const d = doc as Partial<GraphJson>;
  if (typeof d !== 'object' || d === null || d.format !== GRAPH_JSON_FORMAT || !Array.isArray(d.nodes) || !Array.isArray(d.edges))
    throw new WaybillError('INVALID_ARGUMENT', `not a ${GRAPH_JSON_FORMAT} document`, { field: 'format' });
  const g = new NetworkGraph();
  for (const n of d.nodes) {
    if (typeof n?.id !== 'string') throw new WaybillError('INVALID_ARGUMENT', 'a node has no string id', { field: 'nodes' });
    g.addNode(n);
  }
  for (const e of d.edges) {
    g.insertEdge({
      ...e,
      seconds: fromNullable(e.seconds, 'seconds', e.id),
      metres: fromNullable(e.metres, 'metres', e.id),
      observedAt: fromNullable(e.observedAt, 'observedAt', e.id),
      serviceSeconds: fromNullable(e.serviceSeconds, 'serviceSeconds', e.id),
    });
  }
  return g;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function finite(v: number): string {
  return Number.isFinite(v) ? String(v) : '';
}

/** Summary numbers of an edge written by GraphML and CSV. */
function edgeSummary(e: GraphEdge): { mean_s: number; p50_s: number; p90_s: number; mean_m: number } {
  const t = e.seconds.filter(Number.isFinite);
  return { mean_s: mean(t), p50_s: quantile(t, 0.5), p90_s: quantile(t, 0.9), mean_m: mean(e.metres.filter(Number.isFinite)) };
}

/** GraphML (directed): node kind, source, label, lat, lng; edge kind, source, count, mean / P50 / P90 seconds, mean metres, time basis. */
export function graphToGraphml(g: NetworkGraph): string {
  const keys = [
    ['kind', 'node', 'string'],
    ['source', 'node', 'string'],
    ['label', 'node', 'string'],
    ['lat', 'node', 'double'],
    ['lng', 'node', 'double'],
    ['ekind', 'edge', 'string'],
    ['esource', 'edge', 'string'],
    ['count', 'edge', 'long'],
    ['mean_s', 'edge', 'double'],
    ['p50_s', 'edge', 'double'],
    ['p90_s', 'edge', 'double'],
    ['mean_m', 'edge', 'double'],
    ['time_basis', 'edge', 'string'],
  ] as const;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
  ];
  for (const [id, domain, type] of keys)
    out.push(
      `  <key id="${id}" for="${domain}" attr.name="${id === 'ekind' ? 'kind' : id === 'esource' ? 'source' : id}" attr.type="${type}"/>`,
    );
  out.push('  <graph id="waybill-network" edgedefault="directed">');
  const data = (key: string, v: string): string => (v === '' ? '' : `<data key="${key}">${xml(v)}</data>`);
  for (const n of g.nodes.values()) {
    out.push(
      `    <node id="${xml(n.id)}">${data('kind', n.kind)}${data('source', n.source)}${data('label', n.label)}${data('lat', finite(n.lat ?? Number.NaN))}${data('lng', finite(n.lng ?? Number.NaN))}</node>`,
    );
  }
  for (const e of g.edges.values()) {
    const s = edgeSummary(e);
    out.push(
      `    <edge id="${xml(e.id)}" source="${xml(e.from)}" target="${xml(e.to)}">${data('ekind', e.kind)}${data('esource', e.source)}${data('count', String(e.count))}${data('mean_s', finite(s.mean_s))}${data('p50_s', finite(s.p50_s))}${data('p90_s', finite(s.p90_s))}${data('mean_m', finite(s.mean_m))}${data('time_basis', e.timeBasis)}</edge>`,
    );
  }
  out.push('  </graph>', '</graphml>', '');
  return out.join('\n');
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Node and edge CSV files with Neo4j import headers. */
export function graphToCsv(g: NetworkGraph): { nodes: string; edges: string } {
  const nodes = ['id:ID,:LABEL,source,label,lat:double,lng:double'];
  for (const n of g.nodes.values()) {
    nodes.push([n.id, n.kind, n.source, n.label, finite(n.lat ?? Number.NaN), finite(n.lng ?? Number.NaN)].map(csvField).join(','));
  }
  const edges = [':START_ID,:END_ID,:TYPE,source,count:long,mean_s:double,p50_s:double,p90_s:double,mean_m:double,time_basis'];
  for (const e of g.edges.values()) {
    const s = edgeSummary(e);
    edges.push(
      [
        e.from,
        e.to,
        e.kind.toUpperCase(),
        e.source,
        String(e.count),
        finite(s.mean_s),
        finite(s.p50_s),
        finite(s.p90_s),
        finite(s.mean_m),
        e.timeBasis,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return { nodes: `${nodes.join('\n')}\n`, edges: `${edges.join('\n')}\n` };
}
