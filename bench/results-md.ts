import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Whether this run records its results (bench/RESULTS.md and bench/results/*.json, both tracked):
 * not when WAYBILL_BENCH_RECORD=0 or BENCH_QUICK=1 (a quick or smoke run with other sizes would
 * otherwise replace the published figures without a word). The tables are printed either way.
 */
export function recordsResults(): boolean {
  return process.env.WAYBILL_BENCH_RECORD !== '0' && process.env.BENCH_QUICK !== '1';
}

let toldNotRecorded = false;
function notRecorded(what: string): void {
  if (!toldNotRecorded)
    console.error(
      `[bench] results not recorded (WAYBILL_BENCH_RECORD=0 or BENCH_QUICK=1): ${what} and any other result file left as they were`,
    );
  toldNotRecorded = true;
}

/** Writes bench/results/`name` (a raw result file, e.g. 'geo.json') when this run records its results. */
export function writeResultsFile(name: string, text: string): void {
  if (!/^[a-z0-9.-]+$/.test(name)) throw new Error(`results file ${name}: use lower-case letters, digits, '.' and '-'`);
  if (!recordsResults()) {
    notRecorded(`bench/results/${name}`);
    return;
  }
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(name, dir), text);
}

/**
 * The results key of a bench run: `value` (a --section option) or `fallback`; names a section of
 * bench/RESULTS.md and a file bench/results/KEY.json, so only lower-case letters, digits, '.' and '-'.
 */
export function sectionKey(value: string | undefined, fallback: string): string {
  const key = value ?? fallback;
  if (!/^[a-z0-9.-]+$/.test(key)) throw new Error(`--section ${key}: use lower-case letters, digits, '.' and '-'`);
  return key;
}

/**
 * Replaces the `<!-- key:begin -->` ... `<!-- key:end -->` section of bench/RESULTS.md with
 * `body`, or appends it under `heading` the first time. Other sections are left as they are.
 * Nothing is written when the run does not record its results (recordsResults).
 */
export function writeResultsSection(key: string, heading: string, body: string): void {
  if (!recordsResults()) {
    notRecorded(`the ${key} section of bench/RESULTS.md`);
    return;
  }
  const path = new URL('./RESULTS.md', import.meta.url);
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const begin = `<!-- ${key}:begin -->`;
  const end = `<!-- ${key}:end -->`;
  const section = `${begin}\n${body}\n${end}`;
  const next = doc.includes(begin)
    ? doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), () => section)
    : `${doc.trimEnd()}\n\n## ${heading}\n\n${section}\n`;
  writeFileSync(path, next);
}
