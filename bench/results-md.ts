import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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
 */
export function writeResultsSection(key: string, heading: string, body: string): void {
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
