/**
 * The trajectory kernel family, TypeScript reference: batched layout and validation, cleaning,
 * similarity (DTW, Fréchet, Hausdorff, ERP, EDR, LCSS), top-k search with exact pruning,
 * simplification (Douglas–Peucker, TD-TR), stay points, motion features and resampling.
 */
export * from './batch.js';
export * from './clean.js';
export { dtwDistance } from './dtw.js';
export { edrDistance } from './edr.js';
export { erpDistance } from './erp.js';
export * from './features.js';
export { frechetDistance } from './frechet.js';
export * from './ground.js';
export { directedHausdorff, hausdorffDistance } from './hausdorff.js';
export { lcssDistance, lcssLength } from './lcss.js';
export * from './resample.js';
export * from './similarity.js';
export * from './simplify.js';
export * from './stay-points.js';
export * from './top-k.js';
export * from './types.js';
export * from './validate.js';
