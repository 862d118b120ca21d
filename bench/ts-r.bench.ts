/**
 * Side by side with R's forecast::ets on this machine (npm run bench:ts:r): R fits AutoETS to every
 * series of a set (one core, defaults), we score its forecasts with the same metrics, and time it
 * against Waybill's AutoETS (C++ core, one thread). R is a peer installed outside the repository
 * (Debian: apt install r-base-core r-cran-forecast; WAYBILL_RSCRIPT names another Rscript).
 * Default sets: M3 Yearly, Other, Quarterly and M4 Weekly (about a minute of R); --all adds M3
 * Monthly and M4 Hourly (R takes about 5 and 20 minutes there). Writes the "timeseries-r" section
 * of bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseM4Csv } from '../src/data/m4.js';
import { baselineForecast } from '../src/kernels/timeseries/baselines.js';
import { autoEtsBatch, etsPointForecast } from '../src/kernels/timeseries/ets.js';
import { owa, scoreForecasts } from '../src/kernels/timeseries/metrics.js';
import { loadAddon } from '../src/native/addon.js';
import { defaultDataDir } from '../src/paths.js';
import { writeResultsSection } from './results-md.js';

const RSCRIPT = process.env.WAYBILL_RSCRIPT ?? 'Rscript';
const TS = join(defaultDataDir(), 'ts');
const SETS = [
  { name: 'M3 Yearly', file: 'm3/Yearly', m: 1, h: 6 },
  { name: 'M3 Other', file: 'm3/Other', m: 1, h: 8 },
  { name: 'M3 Quarterly', file: 'm3/Quarterly', m: 4, h: 8 },
  { name: 'M4 Weekly', file: 'm4/Weekly', m: 1, h: 13 },
  ...(process.argv.includes('--all')
    ? [
        { name: 'M3 Monthly', file: 'm3/Monthly', m: 12, h: 18 },
        { name: 'M4 Hourly', file: 'm4/Hourly', m: 24, h: 48 },
      ]
    : []),
];

const probe = spawnSync(RSCRIPT, ['-e', 'suppressMessages(library(forecast)); cat(as.character(packageVersion("forecast")))'], {
  encoding: 'utf8',
});
if (probe.status !== 0) {
  console.log(`R with the forecast package not found (${RSCRIPT}): skipped. Debian: apt install r-base-core r-cran-forecast.`);
  process.exit(0);
}
const version = probe.stdout.trim();
const rVersion = spawnSync(RSCRIPT, ['-e', 'cat(R.version.string)'], { encoding: 'utf8' }).stdout.trim();
const load = loadAddon();
const R_PROGRAM = `
suppressMessages(library(forecast))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], header = TRUE, stringsAsFactors = FALSE)
m <- as.integer(a[2]); h <- as.integer(a[3])
out <- matrix(NA_real_, nrow(d), h)
t0 <- proc.time()[["elapsed"]]
for (r in seq_len(nrow(d))) {
  y <- as.numeric(d[r, -1]); y <- y[!is.na(y)]
  out[r, ] <- as.numeric(forecast(ets(ts(y, frequency = m)), h = h)$mean)
}
el <- proc.time()[["elapsed"]] - t0
write.table(out, a[4], sep = ",", row.names = FALSE, col.names = FALSE)
cat(el, "\\n")
`;

const lines: string[] = [
  `Machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}; ${rVersion}, forecast ${version} (ets() with all defaults, one core, forecasts by forecast()) vs Waybill AutoETS (C++ core, one thread): the default Akaike-weighted combination of the fitted models, and selection by AICc alone (R's way, etsCombine 'select'; the same fits, so the same time). Same series, same m and horizon; R's time covers fitting and forecasting, ours fitting (forecasting is microseconds).`,
  '',
  '| set | series | R ets sMAPE / MASE / OWA (measured here) | Waybill AutoETS (weighted) sMAPE / MASE / OWA | Waybill AutoETS, selection | R ms/series | Waybill ms/series | speed-up |',
  '|---|---|---|---|---|---|---|---|',
];
const dir = mkdtempSync(join(tmpdir(), 'wb-r-'));
try {
  for (const s of SETS) {
    const trainFile = join(TS, `${s.file}-train.csv`);
    const train = parseM4Csv(readFileSync(trainFile, 'utf8'));
    const test = parseM4Csv(readFileSync(join(TS, `${s.file}-test.csv`), 'utf8'));
    const outFile = join(dir, 'r.csv');
    const res = spawnSync(RSCRIPT, ['-e', R_PROGRAM, trainFile, String(s.m), String(s.h), outFile], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (res.status !== 0) throw new Error(`R failed on ${s.name}: ${res.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const rSeconds = Number(res.stdout.trim().split('\n').at(-1));
    const rMean = Float64Array.from(readFileSync(outFile, 'utf8').trim().split(/[\n,]/).map(Number));
    const count = train.ids.length;
    const t0 = performance.now();
    const fits = autoEtsBatch(train.values, train.offsets, s.m, {}, load.ok ? (o) => load.addon.tsEtsFit(o) : undefined);
    const ourMs = (performance.now() - t0) / count;
    const ours = new Float64Array(count * s.h);
    const selected = new Float64Array(count * s.h);
    fits.forEach((f, i) => {
      if (!f) return;
      etsPointForecast(f, s.h, ours.subarray(i * s.h, (i + 1) * s.h));
      // The lowest-AICc model alone: the combination's fit without its members.
      etsPointForecast({ ...f, ensemble: undefined }, s.h, selected.subarray(i * s.h, (i + 1) * s.h));
    });
    const n2 = scoreForecasts(train, test, baselineForecast(train, 'naive2', s.h, s.m).mean, s.h, s.m);
    const fmt = (f: Float64Array) => {
      const sc = scoreForecasts(train, test, f, s.h, s.m);
      return `${sc.smape.toFixed(3)} / ${sc.mase.toFixed(3)} / ${owa(sc, n2).toFixed(3)}`;
    };
    const rMs = (1000 * rSeconds) / count;
    lines.push(
      `| ${s.name} | ${count} | ${fmt(rMean)} | ${fmt(ours)} | ${fmt(selected)} | ${rMs.toFixed(1)} | ${ourMs.toFixed(2)} | ${(rMs / ourMs).toFixed(0)}x |`,
    );
    console.log(lines.at(-1));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeResultsSection(
  'timeseries-r',
  'Time series: AutoETS side by side with R forecast::ets measured here (npm run bench:ts:r)',
  lines.join('\n'),
);
