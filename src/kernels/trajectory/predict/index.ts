/**
 * Trajectory prediction on real last-mile data: the 2021 Amazon challenge's route score and
 * Kendall's tau, stop-sequence predictors (nearest neighbour, shortest tour, zone-aware), and
 * courier next-pickup / pickup-time prediction on LaDe.
 */
export * from './next-pickup.js';
export * from './route-score.js';
export * from './stop-sequence.js';
export * from './tour.js';
