/**
 * `waybill eval trajectory`: the stop-sequence and next-pickup evaluations on the shared real data
 * (Amazon LMRRC routes, leave-one-route-out; LaDe pickups, split by courier), one line each, or
 * the full reports as JSON. `waybill eval eta | merchant | demand | pricing | plugins`: the domain
 * plugins' held-out evaluations (the ones their tests assert), a headline line each.
 */
import { loadAmazonLmrrc } from '../data/amazon-lmrrc.js';
import { loadLadePickups } from '../data/lade.js';
import { WaybillError } from '../errors.js';
import { evaluateNextPickup, type NextPickupReport } from '../kernels/trajectory/predict/next-pickup.js';
import { evaluateStopSequence, type StopSequenceReport } from '../kernels/trajectory/predict/stop-sequence.js';
import { defaultDataDir } from '../paths.js';

/** Both reports, as `--json` prints them. */
export interface TrajectoryEvalReport {
  dataDir: string;
  stopSequence: StopSequenceReport;
  nextPickup: NextPickupReport;
}

/** Runs both evaluations on `dataDir` (default WAYBILL_DATA_DIR or ../shared/data). */
export function runTrajectoryEval(dataDir: string = defaultDataDir()): TrajectoryEvalReport {
  return {
    dataDir,
    stopSequence: evaluateStopSequence(loadAmazonLmrrc(dataDir).routes),
    nextPickup: evaluateNextPickup(loadLadePickups(dataDir)),
  };
}

const f4 = (v: number): string => v.toFixed(4);
const f3 = (v: number): string => v.toFixed(3);

/** The human-readable lines: the two headline lines first, then indented details. */
export function formatTrajectoryEval(r: TrajectoryEvalReport): string {
  const s = r.stopSequence;
  const p = r.nextPickup;
  return [
    `stop-sequence score ${f4(s.mean.zone.score)} (nearest ${f4(s.mean.nearest.score)}, tour ${f4(s.mean.tour.score)})`,
    `next-pickup top1 ${f3(p.gbdt.top1)} (nearest ${f3(p.nearest.top1)})`,
    `  stop-sequence: 2021 Amazon challenge route score, mean over routes, lower is better; model = zone-aware (learned); ${s.split}`,
    `  stop-sequence: ${s.travelTimes}`,
    `  stop-sequence Kendall tau (higher is better): zone ${f3(s.mean.zone.kendallTau)}, nearest ${f3(s.mean.nearest.kendallTau)}, tour ${f3(s.mean.tour.kendallTau)}`,
    `  stop-sequence time-window direction check: reversed ${s.routes.filter((x) => x.reversedForWindows).length} of ${s.routes.length} zone sequences; without it score ${f4(s.mean.zoneWithoutWindowCheck.score)}, tau ${f3(s.mean.zoneWithoutWindowCheck.kendallTau)}`,
    `  next-pickup: model = GBDT ranker; split ${p.split}: train ${p.trainCouriers} couriers / ${p.trainSteps} steps, test ${p.testCouriers} couriers / ${p.testSteps} steps (mean ${p.meanCandidates.toFixed(2)} pending tasks)`,
    `  next-pickup top3: gbdt ${f3(p.gbdt.top3)}, nearest ${f3(p.nearest.top3)}; earliest window end top1 ${f3(p.window.top1)}, top3 ${f3(p.window.top3)}`,
    `  pickup time (minutes after the last pickup): GBDT MAE ${p.time.gbdt.mae.toFixed(1)}, P90 coverage ${f3(p.time.gbdt.p90Coverage)}; training median / P90 baseline MAE ${p.time.baseline.mae.toFixed(1)}, coverage ${f3(p.time.baseline.p90Coverage)}`,
    `  rules: ${p.rules}; left out: ${p.skippedNotYetAccepted} steps whose next task was accepted later, ${p.skippedSingleCandidate} with one pending task`,
  ].join('\n');
}

/** The domain plugins whose held-out evaluations `waybill eval` runs (`plugins` = all four). */
export const PLUGIN_EVALS = ['eta', 'merchant', 'demand', 'pricing'] as const;
type PluginEval = (typeof PLUGIN_EVALS)[number];

/**
 * One plugin's held-out evaluation (the same function its test and bench run), as a headline line
 * and the full report. The plugins' model files are loaded on demand (they live under plugins/).
 */
async function runPluginEval(name: PluginEval, dataDir: string): Promise<{ line: string; report: unknown }> {
  const { createEngine } = await import('../engine.js');
  const engine = createEngine({ workers: 0 });
  try {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    if (name === 'eta') {
      const m = await import('../../plugins/eta/model.js');
      const e = await m.evaluateEta(engine.kernels.ml, m.ladeEtaTable(loadLadePickups(dataDir)));
      return {
        line: `eta median MAE ${e.model.mae.toFixed(1)} min (window rule ${e.windowRule.mae.toFixed(1)}, constant ${e.constant.mae.toFixed(1)}); P90 coverage ${f3(e.model.coverage90)}; late AUC ${f3(e.late.auc)}`,
        report: e,
      };
    }
    if (name === 'merchant') {
      const m = await import('../../plugins/merchant/model.js');
      const { readOnlineRetail } = await import('../data/online-retail.js');
      const e = await m.evaluateMerchant(engine.kernels.ml, m.retailHistories(readOnlineRetail(join(dataDir, 'retail', 'online_retail'))));
      return {
        line: `merchant churn AUC ${f3(e.model.auc)} (recency ${f3(e.recencyRule.auc)}, gap ${f3(e.gapRule.auc)}); log loss ${f3(e.model.logLoss)} (base rate ${f3(e.baseRate.logLoss)})`,
        report: e,
      };
    }
    if (name === 'demand') {
      const m = await import('../../plugins/demand/evaluate.js');
      const { parseM4Csv } = await import('../data/m4.js');
      const { readOnlineRetail } = await import('../data/online-retail.js');
      const read = (f: string) => parseM4Csv(readFileSync(join(dataDir, 'ts', 'intermittent', f), 'utf8'));
      const c = await m.evaluateDemand(engine.kernels.timeseries, m.joinTrainTest(read('carparts-train.csv'), read('carparts-test.csv')), {
        horizon: 12,
        leadTime: 3,
      });
      const r = await m.evaluateDemand(
        engine.kernels.timeseries,
        m.retailWeeklySkus(readOnlineRetail(join(dataDir, 'retail', 'online_retail')), 500),
        {
          horizon: 8,
          leadTime: 4,
        },
      );
      return {
        line: `demand scaled MAE carparts ${f3(c.smae.model as number)} (Syntetos-Boylan rule ${f3(c.smae['sb-rule'] as number)}), Online Retail ${f3(r.smae.model as number)} (${f3(r.smae['sb-rule'] as number)}); 90 % level coverage ${f3(c.inventory.model.coverage)} / ${f3(r.inventory.model.coverage)}`,
        report: { carparts: c, onlineRetail: r },
      };
    }
    const m = await import('../../plugins/pricing/model.js');
    const e = await m.evaluatePricing(
      engine.kernels.ml,
      engine.kernels.or,
      m.parseHillstrom(readFileSync(join(dataDir, 'uplift', 'hillstrom.csv'), 'utf8')),
    );
    const at = (policy: string, share: number) =>
      e.rows.find((x) => x.policy.startsWith(policy) && x.budgetShare === share)?.visitRate ?? Number.NaN;
    return {
      line: `pricing visit rate at a 30 % budget ${f4(at('model: budget allocation by predicted extra visits', 0.3))} (rule ${f4(at('rule', 0.3))}, random ${f4(at("women's e-mail to random", 0.3))}, no e-mail ${f4(at('no e-mail', 0))})`,
      report: e,
    };
  } finally {
    await engine.close();
  }
}

/** CLI entry: `what` is 'trajectory', a domain plugin (eta, merchant, demand, pricing) or 'plugins' (all four). */
export async function evalCli(options: { what: string; json?: boolean; dataDir?: string }): Promise<void> {
  const dataDir = options.dataDir ?? defaultDataDir();
  if (options.what === 'trajectory') {
    const report = runTrajectoryEval(dataDir);
    console.log(options.json ? JSON.stringify(report, null, 2) : formatTrajectoryEval(report));
    return;
  }
  const names: PluginEval[] =
    options.what === 'plugins' ? [...PLUGIN_EVALS] : PLUGIN_EVALS.includes(options.what as PluginEval) ? [options.what as PluginEval] : [];
  if (names.length === 0)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `unknown evaluation '${options.what}' (known: trajectory, ${PLUGIN_EVALS.join(', ')}, plugins)`,
      {
        argument: 'what',
      },
    );
  const reports: Record<string, unknown> = {};
  for (const name of names) {
    const r = await runPluginEval(name, dataDir);
    reports[name] = r.report;
    if (!options.json) console.log(r.line);
  }
  if (options.json) console.log(JSON.stringify({ dataDir, ...reports }, null, 2));
}
