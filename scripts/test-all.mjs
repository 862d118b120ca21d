#!/usr/bin/env node
// `npm test`: runs vitest and ctest, then prints one closing line with the totals of both:
//   N passed, N failed, N skipped
// Exits non-zero when either suite fails or could not run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, '.test-results');
mkdirSync(resultsDir, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

// ---- vitest ----
const vitestJson = join(resultsDir, 'vitest.json');
const vitest = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`],
  { cwd: root, stdio: 'inherit' },
);
if (existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8'));
  totals.passed += r.numPassedTests ?? 0;
  totals.failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else {
  console.error('[test] vitest wrote no results');
  totals.failed += 1;
}
if (vitest.status !== 0) ok = false;

// ---- ctest (built by scripts/build-native.mjs into build/) ----
const buildDir = join(root, 'build');
if (!existsSync(join(buildDir, 'CTestTestfile.cmake'))) {
  console.error('[test] ctest: build/CTestTestfile.cmake missing: the native build did not run (npm run build:native)');
  totals.failed += 1;
  ok = false;
} else {
  const ctest = spawnSync('ctest', ['--test-dir', buildDir, '--output-on-failure', '-V'], { cwd: root, encoding: 'utf8' });
  process.stdout.write(ctest.stdout ?? '');
  process.stderr.write(ctest.stderr ?? '');
  const lines = (ctest.stdout ?? '').split('\n').filter((l) => /Test\s+#\d+:/.test(l) && /sec\s*$/.test(l));
  for (const l of lines) {
    if (/Passed/.test(l)) totals.passed++;
    else if (/Skipped/.test(l)) totals.skipped++;
    else totals.failed++;
  }
  if (lines.length === 0 || ctest.status !== 0) {
    if (lines.length === 0) totals.failed++;
    ok = false;
  }
}

console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
