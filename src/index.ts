/** Waybill public API. */

export type { BackendName, BackendStatus } from './backends/types.js';
export { createEngine, type Engine, type EngineOptions } from './engine.js';
export { ERROR_CATALOGUE, type ErrorCode, WaybillError } from './errors.js';
export {
  EARTH_RADIUS_M,
  type GeoKernels,
  haversine,
  type KNearestOptions,
  type KNearestResult,
  type MatrixOptions,
  type MatrixResult,
  type PointsInput,
  type RunRecord,
} from './kernels/geo/index.js';
export type { PoolStats } from './pool/pool.js';
export { VERSION } from './version.js';
