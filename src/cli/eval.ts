/**
 * `waybill eval trajectory`: the stop-sequence and next-pickup evaluations on the shared real data
 * (Amazon LMRRC routes, leave-one-route-out; LaDe pickups, split by courier), one line each, or
 * the full reports as JSON.
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

/** CLI entry: `what` must be 'trajectory'. */
export async function evalCli(options: { what: string; json?: boolean; dataDir?: string }): Promise<void> {
  if (options.what !== 'trajectory')
    throw new WaybillError('INVALID_ARGUMENT', `unknown evaluation '${options.what}' (known: trajectory)`, { argument: 'what' });
  const report = runTrajectoryEval(options.dataDir);
  console.log(options.json ? JSON.stringify(report, null, 2) : formatTrajectoryEval(report));
}
