/** `waybill bench`: lists the suites of the checkout, runs one with its own options, refuses unknown ones. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchCli, benchDir, benchSuites } from '../../src/cli/bench.js';
import { WaybillError } from '../../src/errors.js';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));

describe('waybill bench', () => {
  it('lists the checkout suites (bench/*.bench.ts) and refuses an unknown one with the list', () => {
    const dir = benchDir() as string;
    expect(benchSuites(dir)).toEqual(expect.arrayContaining(['geo', 'ml', 'or', 'trajectory', 'ts', 'vrp']));
    const list = spawnSync(process.execPath, [bin, 'bench'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^ {2}vrp$/m);
    const unknown = spawnSync(process.execPath, [bin, 'bench', 'nope'], { encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("INVALID_ARGUMENT: unknown benchmark suite 'nope'");
  });

  it('runs a suite with the options after -- and returns its exit status; without bench/ it says where benchmarks live', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wb-bench-'));
    const dir = join(root, 'bench');
    mkdirSync(dir);
    // A TypeScript suite (run through tsx) that records its arguments and working directory.
    writeFileSync(
      join(dir, 'tiny.bench.ts'),
      "import { writeFileSync } from 'node:fs';\nconst args: string[] = process.argv.slice(2);\nwriteFileSync('out.json', JSON.stringify({ args, cwd: process.cwd() }));\nprocess.exit(3);\n",
    );
    expect(await benchCli('tiny', ['--set', 'x6'], dir)).toBe(3);
    expect(JSON.parse(readFileSync(join(root, 'out.json'), 'utf8'))).toMatchObject({ args: ['--set', 'x6'] });
    await expect(benchCli('tiny', [], undefined)).rejects.toBeInstanceOf(WaybillError);
  });
});
