/**
 * The ML kernel family, TS reference: histogram GBDT, k-means, L2 logistic regression, Platt /
 * isotonic calibration, metrics, and the seeded synthetic data generator. The C++ GBDT is in
 * native.ts (same trees), the engine surface in kernels.ts (`engine.kernels.ml`), the
 * TensorFlow.js MLP in tfjs.ts, uplift meta-learners on the GBDT in uplift.ts (their evaluation in
 * uplift-metrics.ts).
 */
export type { FeatureBins } from './binning.js';
export {
  fitIsotonic,
  fitPlatt,
  type IsotonicModel,
  isotonicTransform,
  type PlattModel,
  plattTransform,
} from './calibration.js';
export {
  type ContributionMethod,
  type GbdtDataset,
  type GbdtModel,
  type GbdtOptions,
  type GbdtParams,
  type GbdtProgress,
  type GbdtStopReason,
  GbdtTrainer,
  type GbdtTrainResult,
  gbdtContributions,
  gbdtImportance,
  gbdtPredict,
  trainGbdt,
  trainGbdtAsync,
} from './gbdt.js';
export { loadGbdtModelBinary, saveGbdtModelBinary } from './gbdt-binary.js';
export { GBDT_FORMAT, GBDT_FORMAT_VERSION, type GbdtModelJson, gbdtToJson, loadGbdtModel, saveGbdtModel } from './gbdt-json.js';
export type { GbdtTree } from './gbdt-tree.js';
export { type KMeansOptions, type KMeansResult, kmeans, kmeansAssign } from './kmeans.js';
export {
  type KMeansAlgorithm,
  type NativeKMeansResult,
  type NativeKMeansRun,
  nativeKmeans,
  nativeKmeansAssign,
  nativeKmeansCudaStatus,
  nativeKmeansStatus,
  nativeKmeansSync,
} from './kmeans-native.js';
export {
  type LogisticRegressionModel,
  type LogisticRegressionOptions,
  type LogisticRegressionResult,
  predictLogisticRegression,
  trainLogisticRegression,
} from './logistic-regression.js';
export { coverage, logLoss, meanAbsoluteError, pinballLoss, poissonDeviance, rmse, rocAuc, tweedieDeviance } from './metrics.js';
export { OBJECTIVES, type ObjectiveName, type ObjectiveSpec } from './objectives.js';
export {
  makeSyntheticTabular,
  type SyntheticData,
  type SyntheticOptions,
  type SyntheticTask,
  splitRows,
  syntheticQuantile,
} from './synthetic.js';
export {
  loadUpliftModel,
  MAX_UPLIFT_ARMS,
  predictUplift,
  referenceUpliftLearner,
  trainUplift,
  UPLIFT_FORMAT,
  UPLIFT_FORMAT_VERSION,
  UPLIFT_METHODS,
  type UpliftDataset,
  type UpliftLearner,
  type UpliftMethod,
  type UpliftModel,
  type UpliftModelJson,
  type UpliftOptions,
  type UpliftPrediction,
  upliftToJson,
} from './uplift.js';
export { evaluatePolicy, evaluateUplift, type PolicyEvaluation, type UpliftEvaluation } from './uplift-metrics.js';
