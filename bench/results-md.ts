import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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
