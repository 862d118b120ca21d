/** Waybill public API. */

export type { BackendName, BackendStatus } from './backends/types.js';
export {
  loadOlist,
  OLIST_DIR_ENV,
  OLIST_FILES,
  type OlistCategoryTranslation,
  type OlistCustomers,
  type OlistData,
  type OlistGeolocation,
  type OlistOptions,
  type OlistOrderItems,
  type OlistOrders,
  type OlistPayments,
  type OlistProducts,
  type OlistReferenceCheck,
  type OlistReviews,
  type OlistSellers,
  type OlistTableName,
  olistDir,
  parseOlistTable,
  parseOlistTime,
} from './data/olist.js';
export { createEngine, type Engine, type EngineOptions } from './engine.js';
export { ERROR_CATALOGUE, type ErrorCode, WaybillError } from './errors.js';
export { buildNetworkGraph, NetworkGraph } from './graph/index.js';
export { JobManager, type JobRecord, type JobState, type JobStore, MemoryJobStore } from './jobs/jobs.js';
export {
  aggregateCells,
  type BBox,
  type CellAggregate,
  EARTH_RADIUS_M,
  GEOHASH_MAX_NUMERIC_PRECISION,
  GEOHASH_MAX_PRECISION,
  type GeoCells,
  type GeohashDecodeResult,
  type GeohashEncodeResult,
  type GeoKernels,
  type GridAssignResult,
  type GridCellsResult,
  type GridSpec,
  geohashCover,
  geohashDecode,
  geohashEncode,
  geohashNeighbours,
  gridAssign,
  gridCells,
  haversine,
  type KNearestOptions,
  type KNearestResult,
  type MatrixOptions,
  type MatrixResult,
  type PointsInput,
  type RunRecord,
} from './kernels/geo/index.js';
export {
  evaluatePolicy,
  evaluateUplift,
  type GbdtDataset,
  type GbdtModel,
  type GbdtOptions,
  type GbdtProgress,
  type GbdtTrainResult,
  loadGbdtModel,
  loadGbdtModelBinary,
  loadUpliftModel,
  makeSyntheticTabular,
  type ObjectiveName,
  type ObjectiveSpec,
  type PolicyEvaluation,
  saveGbdtModel,
  saveGbdtModelBinary,
  type UpliftDataset,
  type UpliftEvaluation,
  type UpliftMethod,
  type UpliftModel,
  type UpliftOptions,
  type UpliftPrediction,
  upliftToJson,
} from './kernels/ml/index.js';
export {
  type Calibrator,
  createMlKernels,
  type MlBackendRequest,
  type MlKernels,
  type MlTrainResult,
} from './kernels/ml/kernels.js';
export { loadTabularMlp, MLP_FORMAT, MLP_FORMAT_VERSION, type MlpArtifact, saveTabularMlp } from './kernels/ml/mlp-artifact.js';
export {
  disposeTabularMlp,
  type MlpModel,
  type MlpProgress,
  type MlpTrainOptions,
  type MlpTrainResult,
  predictTabularMlp,
  selectTfjsBackend,
  type TfjsBackendChoice,
  type TfjsBackendName,
  type TfjsBackendReport,
  trainTabularMlp,
} from './kernels/ml/tfjs.js';
export {
  buildHierarchy,
  type Hierarchy,
  type HierarchyNode,
  RECONCILE_METHODS,
  type ReconcileMethod,
  type ReconcileOptions,
  type ReconcileOutput,
  reconcileForecasts,
} from './kernels/timeseries/reconcile.js';
export { batchFromArrays } from './kernels/trajectory/batch.js';
export type {
  EngineGraph,
  NetworkSummary,
  NextPickupInput,
  NextPickupPrediction,
  SequenceInput,
  SequencePrediction,
  TrajectoryBackend,
  TrajectoryKernels,
  TrajectoryRunOptions,
} from './kernels/trajectory/engine.js';
export { GPUJS_MAX_TRAJECTORY_POINTS } from './kernels/trajectory/gpujs.js';
export type { SimilarityMeasure, SpatialBatch, TrajectoryBatch } from './kernels/trajectory/types.js';
export {
  definePlugin,
  type PluginContext,
  type PluginDefinition,
  type PluginLimits,
  type PluginLogger,
  type PluginMetadata,
  type WorkControl,
} from './plugins/define.js';
export { ModelRegistry, type ModelState, type ModelVersionInfo } from './plugins/registry.js';
export type { PoolStats } from './pool/pool.js';
export { buildServer, type ServerOptions, type WaybillServer } from './server/app.js';
export { VERSION } from './version.js';
