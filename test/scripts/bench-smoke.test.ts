/**
 * Benchmark suites still run (no timing is asserted: speed targets live in the benchmarks): the
 * quick ones at their smallest sizes, through `waybill bench` as a user runs them, with
 * WAYBILL_BENCH_RECORD=0 — and that setting really leaves bench/RESULTS.md and bench/results/
 * untouched (a quick run once replaced the published figures). Suites on the shared data are
 * skipped, visibly, when it is missing; the CUDA suites take their "not measured" path here.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../../src/paths.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'waybill.mjs');

/** A digest of bench/RESULTS.md and every file of bench/results/ (names and contents). */
function recordedState(): string {
  const h = createHash('sha256');
  h.update(readFileSync(join(root, 'bench', 'RESULTS.md')));
  const dir = join(root, 'bench', 'results');
  for (const name of readdirSync(dir, { recursive: true }).map(String).sort()) {
    h.update(name);
    const p = join(dir, name);
    try {
      h.update(readFileSync(p));
    } catch {
      // a folder
    }
  }
  return h.digest('hex');
}

const haveLastMile = existsSync(join(defaultDataDir(), 'lastmile'));
const haveGeoLife = existsSync(join(defaultDataDir(), 'traj'));
const haveRetail = existsSync(join(defaultDataDir(), 'retail'));
const haveCarparts = existsSync(join(defaultDataDir(), 'ts', 'intermittent'));
const haveHillstrom = existsSync(join(defaultDataDir(), 'uplift'));

const SUITES: Array<{ suite: string; args: string[]; env?: Record<string, string>; expect: RegExp; needs?: boolean; why?: string }> = [
  { suite: 'geo', args: [], env: { BENCH_QUICK: '1' }, expect: /native w1 \/ js w1 at \d+x\d+: [0-9.]+x/ },
  { suite: 'or', args: [], env: { BENCH_QUICK: '1' }, expect: /"name":"eil51"/ },
  { suite: 'ml-native', args: ['--rows', '3000', '--rounds', '3'], expect: /\| l2 \| 3,000 \| C\+\+ CPU \| 1 \|/ },
  { suite: 'ml-cuda', args: ['--rows', '3000', '--trees', '2'], expect: /CUDA GBDT (prediction|training)/ },
  { suite: 'trajectory-cuda', args: ['--pairs', '8'], expect: /CUDA pairwise trajectory distances/, needs: haveGeoLife, why: 'traj/' },
  { suite: 'trajectory-predict', args: [], expect: /\| \*\*zone model\*\* \|/, needs: haveLastMile, why: 'lastmile/' },
  // The domain plugins' benches (a few seconds each).
  { suite: 'eta', args: [], expect: /\| \*\*eta model\*\* \|/, needs: haveLastMile, why: 'lastmile/' },
  { suite: 'merchant', args: [], expect: /\| \*\*merchant model\*\* \|/, needs: haveRetail, why: 'retail/' },
  {
    suite: 'demand',
    args: [],
    expect: /\| \*\*plugin default \(theta\)\*\* \|/,
    needs: haveRetail && haveCarparts,
    why: 'retail/ or ts/intermittent/',
  },
  { suite: 'pricing', args: [], expect: /model: budget allocation by predicted extra visits/, needs: haveHillstrom, why: 'uplift/' },
];

describe('benchmark suites run (smoke, not timed)', { timeout: 240_000 }, () => {
  for (const s of SUITES) {
    if (s.needs === false) console.warn(`skipped: bench smoke ${s.suite}: ${s.why} not in ${defaultDataDir()}`);
    it.skipIf(s.needs === false)(`${s.suite} ${s.args.join(' ')}`, () => {
      const before = recordedState();
      const res = spawnSync(process.execPath, [bin, 'bench', s.suite, '--', ...s.args], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, WAYBILL_BENCH_RECORD: '0', ...s.env },
        timeout: 220_000,
      });
      expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(`${res.stdout}${res.stderr}`).toMatch(s.expect);
      expect(recordedState(), 'bench/RESULTS.md or bench/results/ changed').toBe(before);
    });
  }
});
