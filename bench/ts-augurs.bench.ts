/**
 * Side by side with @bsull/augurs (AutoETS in WebAssembly, Rust) on the same series as
 * bench/ts.bench.ts: accuracy (sMAPE / MASE / OWA vs Naive2) and fitting time, one thread each.
 * augurs is a peer for comparison only, installed outside this repository:
 *   mkdir -p ../peers/augurs && cd ../peers/augurs && npm init -y && npm install @bsull/augurs
 * (WAYBILL_AUGURS_DIR points elsewhere). Writes the "timeseries-augurs" section of bench/RESULTS.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseM4Csv, type SeriesBatch } from '../src/data/m4.js';
import { baselineForecast } from '../src/kernels/timeseries/baselines.js';
import { autoEtsBatch, etsPointForecast } from '../src/kernels/timeseries/ets.js';
import { owa, scoreForecasts } from '../src/kernels/timeseries/metrics.js';
import { loadAddon } from '../src/native/addon.js';
import { defaultDataDir, PACKAGE_ROOT } from '../src/paths.js';
import { writeResultsSection } from './results-md.js';

const dir = resolve(process.env.WAYBILL_AUGURS_DIR ?? join(PACKAGE_ROOT, '..', 'peers', 'augurs', 'node_modules', '@bsull', 'augurs'));
const TS = join(defaultDataDir(), 'ts');
const SETS = [
  { name: 'M4 Hourly', dir: 'm4', file: 'Hourly', m: 24, h: 48 },
  { name: 'M4 Weekly', dir: 'm4', file: 'Weekly', m: 1, h: 13 },
  { name: 'M3 Yearly', dir: 'm3', file: 'Yearly', m: 1, h: 6 },
  { name: 'M3 Quarterly', dir: 'm3', file: 'Quarterly', m: 4, h: 8 },
  { name: 'M3 Monthly', dir: 'm3', file: 'Monthly', m: 12, h: 18 },
  { name: 'M3 Other', dir: 'm3', file: 'Other', m: 1, h: 8 },
] as const;

interface AugursEts {
  AutoETS: new (
    seasonLength: number,
    spec: string,
  ) => { fit(y: Float64Array): void; predict(h: number, level?: number | null): { point: number[] }; free(): void };
  initSync: (o: { module: Uint8Array }) => unknown;
}

if (!existsSync(join(dir, 'ets.js'))) {
  const msg = `@bsull/augurs not found at ${dir}: install it outside the repository (see the header of bench/ts-augurs.bench.ts) or set WAYBILL_AUGURS_DIR. Skipped.`;
  console.log(msg);
  process.exit(0);
}
const augurs = (await import(pathToFileURL(join(dir, 'ets.js')).href)) as AugursEts;
augurs.initSync({ module: readFileSync(join(dir, 'ets_bg.wasm')) });
const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
const load = loadAddon();
const lines: string[] = [
  `Machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}; one thread each; @bsull/augurs ${version} (AutoETS "ZZZ", Rust compiled to WebAssembly) vs Waybill AutoETS (C++ core${load.ok ? '' : ' unavailable: TS reference'}; default Akaike-weighted combination of the fitted models). Same series, same season length m, same horizon; a series augurs cannot fit gets the naive forecast and is counted.`,
  '',
  '| set | series | augurs sMAPE / MASE / OWA | augurs ms/series | augurs failures | Waybill sMAPE / MASE / OWA | Waybill ms/series | speed ratio |',
  '|---|---|---|---|---|---|---|---|',
];
for (const s of SETS) {
  const train = parseM4Csv(readFileSync(join(TS, s.dir, `${s.file}-train.csv`), 'utf8'));
  const test = parseM4Csv(readFileSync(join(TS, s.dir, `${s.file}-test.csv`), 'utf8'));
  const count = train.ids.length;
  const fa = new Float64Array(count * s.h);
  let failures = 0;
  let t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const y = train.values.slice(train.offsets[i] as number, train.offsets[i + 1] as number);
    try {
      const model = new augurs.AutoETS(s.m, 'ZZZ');
      model.fit(y);
      fa.set(model.predict(s.h).point, i * s.h);
      model.free();
    } catch {
      failures++;
      fa.fill(y[y.length - 1] as number, i * s.h, (i + 1) * s.h);
    }
  }
  const augursMs = (performance.now() - t0) / count;
  t0 = performance.now();
  const fits = autoEtsBatch(train.values, train.offsets, s.m, {}, load.ok ? (o) => load.addon.tsEtsFit(o) : undefined);
  const ourMs = (performance.now() - t0) / count;
  const fw = new Float64Array(count * s.h);
  fits.forEach((f, i) => {
    if (f) etsPointForecast(f, s.h, fw.subarray(i * s.h, (i + 1) * s.h));
    else fw.fill(train.values[(train.offsets[i + 1] as number) - 1] as number, i * s.h, (i + 1) * s.h);
  });
  const n2 = scoreForecasts(train, test, baselineForecast(train, 'naive2', s.h, s.m).mean, s.h, s.m);
  const fmt = (b: SeriesBatch, f: Float64Array) => {
    const sc = scoreForecasts(b, test, f, s.h, s.m);
    return `${sc.smape.toFixed(3)} / ${sc.mase.toFixed(3)} / ${owa(sc, n2).toFixed(3)}`;
  };
  lines.push(
    `| ${s.name} | ${count} | ${fmt(train, fa)} | ${augursMs.toFixed(2)} | ${failures} | ${fmt(train, fw)} | ${ourMs.toFixed(2)} | ${(augursMs / ourMs).toFixed(1)}x |`,
  );
  console.log(lines[lines.length - 1]);
}
writeResultsSection('timeseries-augurs', 'Time series: AutoETS side by side with @bsull/augurs (npm run bench:ts)', lines.join('\n'));
