/** Waybill public API. */
export { createEngine, type Engine, type EngineOptions } from './engine.js';
export { ERROR_CATALOGUE, WaybillError, type ErrorCode } from './errors.js';
export type { BackendName, BackendStatus } from './backends/types.js';
export type { PoolStats } from './pool/pool.js';
export {
  EARTH_RADIUS_M,
  haversine,
  type GeoKernels,
  type KNearestOptions,
  type KNearestResult,
  type MatrixOptions,
  type MatrixResult,
  type PointsInput,
  type RunRecord,
} from './kernels/geo/index.js';
export { VERSION } from './version.js';
