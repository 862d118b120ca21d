/**
 * `waybill bench [suite] [-- args]`: runs one benchmark suite of a source checkout
 * (bench/<suite>.bench.ts, through tsx) with its output on the terminal, or lists the suites.
 * The suites are what the `npm run bench:*` scripts group; they write their tables into
 * bench/RESULTS.md and their raw runs into bench/results/. Benchmarks are not part of the
 * installed package: there this says so instead of failing on a missing file.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WaybillError } from '../errors.js';

/** The checkout's bench/ folder, if this runs from a checkout (src/cli/bench.ts -> ../../bench). */
export function benchDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../bench/', import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

/** Suite names: bench/<name>.bench.ts, sorted. */
export function benchSuites(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .sort();
}

/**
 * Runs `suite` with `args` and resolves to its exit status (the CLI exits with it); without a
 * suite, prints the list and resolves to 0.
 */
export async function benchCli(suite: string | undefined, args: readonly string[], dir = benchDir()): Promise<number> {
  if (!dir)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      'the benchmarks ship with the source repository, not the installed package: clone it and run waybill bench (or npm run bench) there',
    );
  const suites = benchSuites(dir);
  if (suite === undefined) {
    console.log(
      `benchmark suites (waybill bench <suite> [-- suite options]; the npm run bench:* scripts group them):\n  ${suites.join('\n  ')}`,
    );
    return 0;
  }
  if (!suites.includes(suite))
    throw new WaybillError('INVALID_ARGUMENT', `unknown benchmark suite '${suite}': one of ${suites.join(', ')}`, { field: 'suite' });
  // tsx resolved from here, not from the suite's folder (which need not have node_modules).
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(dir, `${suite}.bench.ts`), ...args], {
    cwd: join(dir, '..'),
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    // Ctrl-C reaches the suite too (same process group); its own status, or 130 when signalled.
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
  });
}
