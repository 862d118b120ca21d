/**
 * Builds the network graph from the shared data (or the caller's own data in the same shapes):
 * Amazon LMRRC routes, LaDe pickups and GPS traces, each optional.
 */

import type { AmazonRoute } from '../data/amazon-lmrrc.js';
import { loadAmazonLmrrc } from '../data/amazon-lmrrc.js';
import { loadGeolifeSample } from '../data/geolife.js';
import { type LadePickups, loadLadePickups } from '../data/lade.js';
import type { TrajectoryBatch } from '../kernels/trajectory/types.js';
import { defaultDataDir } from '../paths.js';
import { addAmazonRoutes } from './build-amazon.js';
import { addGpsTraces, type GpsGraphOptions } from './build-gps.js';
import { addLadePickups } from './build-lade.js';
import { NetworkGraph } from './network-graph.js';

export interface NetworkInputs {
  amazon?: AmazonRoute[];
  lade?: LadePickups;
  gps?: TrajectoryBatch;
  gpsOptions?: GpsGraphOptions;
}

/** What a build added, per source. */
export interface NetworkBuildReport {
  amazonLaneObservations: number;
  ladeLaneObservations: number;
  gpsStayPoints: number;
  gpsPlaces: number;
  gpsLaneObservations: number;
}

/** Builds a graph from the given inputs. */
export function buildNetworkGraph(inputs: NetworkInputs): { graph: NetworkGraph; report: NetworkBuildReport } {
  const graph = new NetworkGraph();
  const report: NetworkBuildReport = {
    amazonLaneObservations: 0,
    ladeLaneObservations: 0,
    gpsStayPoints: 0,
    gpsPlaces: 0,
    gpsLaneObservations: 0,
  };
  if (inputs.amazon) report.amazonLaneObservations = addAmazonRoutes(graph, inputs.amazon);
  if (inputs.lade) report.ladeLaneObservations = addLadePickups(graph, inputs.lade);
  if (inputs.gps) {
    const r = addGpsTraces(graph, inputs.gps, inputs.gpsOptions);
    report.gpsStayPoints = r.stayPoints;
    report.gpsPlaces = r.places;
    report.gpsLaneObservations = r.observations;
  }
  return { graph, report };
}

/**
 * The graph of the shared data in `dataDir` (default WAYBILL_DATA_DIR or ../shared/data):
 * the 13 Amazon LMRRC routes, the LaDe-P subset and the GeoLife sample (by default; `gps: false`
 * skips it, the slowest part).
 */
export function buildSharedNetworkGraph(options: { dataDir?: string; gps?: boolean } = {}): {
  graph: NetworkGraph;
  report: NetworkBuildReport;
} {
  const dir = options.dataDir ?? defaultDataDir();
  return buildNetworkGraph({
    amazon: loadAmazonLmrrc(dir).routes,
    lade: loadLadePickups(dir),
    ...(options.gps === false ? {} : { gps: loadGeolifeSample(dir) }),
  });
}
