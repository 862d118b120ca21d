/**
 * The logistics network graph (embedded, in-process): typed nodes and lanes built from Amazon
 * LMRRC routes, LaDe pickups and GPS stay points; queries (neighbours, k-shortest paths, lane
 * statistics, drift flags) and exports (JSON, GraphML, Neo4j CSV).
 */
export * from './build.js';
export * from './build-amazon.js';
export * from './build-gps.js';
export * from './build-lade.js';
export * from './export.js';
export { type Arc, type ArcsOf, kShortestPaths, shortestPath } from './k-shortest.js';
export * from './network-graph.js';
export * from './stats.js';
export * from './types.js';
