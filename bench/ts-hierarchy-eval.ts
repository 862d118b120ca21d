/**
 * Forecast reconciliation on a real hierarchy (bench/ts-hierarchy.bench.ts and the real-data
 * test): base forecasts for every node with engine.kernels.timeseries.forecast on all but the
 * last `holdout` weeks, each reconciliation method on them, MASE per node (lag 1, scaled by the
 * training weeks' mean absolute weekly change) averaged per level and over all nodes.
 */
import type { RetailHierarchy } from '../src/data/online-retail.js';
import type { Engine } from '../src/engine.js';
import type { ForecastModel } from '../src/kernels/timeseries/forecast.js';
import { RECONCILE_METHODS, type ReconcileMethod } from '../src/kernels/timeseries/reconcile.js';

export interface HierarchyScores {
  /** 'base' or a reconciliation method. */
  method: 'base' | ReconcileMethod;
  /** MASE averaged over the nodes of each level, and over all nodes. */
  byLevel: Record<string, number>;
  overall: number;
  /** Per node, node order. */
  perNode: number[];
  /** Largest |node - sum of its children| / max(1, |node|) over nodes with children and horizon steps. */
  incoherence: number;
  lambda?: number;
}

export interface HierarchyEvaluation {
  model: ForecastModel;
  holdout: number;
  trainWeeks: number;
  /** Expanding-window origins whose one-step errors feed MinT. */
  residualOrigins: number;
  scores: HierarchyScores[];
  /** Per node: the model used for the base forecast (as the forecast kernel reports it). */
  used: string[];
}

const rowsOf = (values: Float64Array, n: number, cols: number, from: number, to: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from(values.subarray(i * cols + from, i * cols + to)));

/**
 * Base forecasts, MinT residuals and every reconciliation method on `data`. MinT's W comes from
 * one-step forecast errors of the same model at expanding-window origins firstOrigin..train-1
 * inside the training weeks (the forecast kernel does not expose a fitted model's in-sample
 * residuals); top-down's proportions from the training weeks.
 */
export async function evaluateHierarchy(
  engine: Engine,
  data: RetailHierarchy,
  options: { model: ForecastModel; holdout: number; firstOrigin: number },
): Promise<HierarchyEvaluation> {
  const { model, holdout, firstOrigin } = options;
  const n = data.nodes.length;
  const T = data.weeks;
  const train = T - holdout;
  const ts = engine.kernels.timeseries;
  const trainRows = rowsOf(data.values, n, T, 0, train);
  const testRows = rowsOf(data.values, n, T, train, T);
  const base = await ts.forecast({ series: trainRows, ids: data.nodes.map((x) => x.id) }, { model, horizon: holdout });
  // One-step errors: node i at origin t forecast from weeks 0..t-1.
  const origins = train - firstOrigin;
  const cv: number[][] = [];
  for (let i = 0; i < n; i++) for (let t = firstOrigin; t < train; t++) cv.push((trainRows[i] as number[]).slice(0, t));
  const oneStep = await ts.forecast({ series: cv }, { model, horizon: 1 });
  const residuals = Array.from({ length: n }, (_, i) =>
    Array.from(
      { length: origins },
      (_, k) => ((trainRows[i] as number[])[firstOrigin + k] as number) - (oneStep.mean[i * origins + k] as number),
    ),
  );
  const scale = trainRows.map((y) => {
    let s = 0;
    for (let t = 1; t < y.length; t++) s += Math.abs((y[t] as number) - (y[t - 1] as number));
    return s / (y.length - 1);
  });
  const children = new Map<number, number[]>();
  const index = new Map(data.nodes.map((x, i) => [x.id, i]));
  data.nodes.forEach((x, i) => {
    if (x.parent !== null) {
      const p = index.get(x.parent) as number;
      children.set(p, [...(children.get(p) ?? []), i]);
    }
  });
  const score = (method: 'base' | ReconcileMethod, mean: Float64Array, lambda?: number): HierarchyScores => {
    const perNode = testRows.map((y, i) => {
      let e = 0;
      for (let k = 0; k < holdout; k++) e += Math.abs((y[k] as number) - (mean[i * holdout + k] as number));
      return e / holdout / (scale[i] as number);
    });
    const byLevel: Record<string, number> = {};
    for (const level of new Set(data.levels)) {
      const idx = data.levels.flatMap((l, i) => (l === level ? [i] : []));
      byLevel[level] = idx.reduce((s, i) => s + (perNode[i] as number), 0) / idx.length;
    }
    let incoherence = 0;
    for (const [p, cs] of children)
      for (let k = 0; k < holdout; k++) {
        const v = mean[p * holdout + k] as number;
        const sum = cs.reduce((s, c) => s + (mean[c * holdout + k] as number), 0);
        incoherence = Math.max(incoherence, Math.abs(v - sum) / Math.max(1, Math.abs(v)));
      }
    const overall = perNode.reduce((s, v) => s + v, 0) / n;
    return { method, byLevel, overall, perNode, incoherence, ...(lambda !== undefined ? { lambda } : {}) };
  };
  const scores = [score('base', base.mean)];
  for (const method of RECONCILE_METHODS) {
    const out = await ts.reconcile(data.nodes, base.mean, { method, history: trainRows, residuals });
    scores.push(score(method, out.mean, out.lambda));
  }
  return { model, holdout, trainWeeks: train, residualOrigins: origins, scores, used: base.used };
}
