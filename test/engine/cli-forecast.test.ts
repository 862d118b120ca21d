/** `waybill forecast`: the M4 layout with --test scoring, a long id,date,value CSV, bad input. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseM4Csv } from '../../src/data/m4.js';
import { defaultDataDir } from '../../src/paths.js';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));
const M4 = join(defaultDataDir(), 'ts', 'm4');
const haveM4 = existsSync(join(M4, 'Weekly-train.csv'));
if (!haveM4) console.warn(`skipped: waybill forecast on M4: ${M4} not found`);
const M3 = join(defaultDataDir(), 'ts', 'm3');
const haveM3 = existsSync(join(M3, 'Other-train.csv'));
if (!haveM3) console.warn(`skipped: waybill forecast --model auto on M3: ${M3} not found`);

describe('waybill forecast', () => {
  it.skipIf(!haveM4)('M4 Weekly with Theta: the published scores, forecasts written in the M4 layout', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wb-fc-')), 'f.csv');
    const res = spawnSync(
      process.execPath,
      [
        bin,
        'forecast',
        join(M4, 'Weekly-train.csv'),
        '--horizon',
        '13',
        '--model',
        'theta',
        '--test',
        join(M4, 'Weekly-test.csv'),
        '--out',
        out,
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toContain('forecast 359/359 series');
    const s = JSON.parse(res.stdout) as { smape: number; mase: number; owa: number };
    expect(s.smape.toFixed(3)).toBe('9.093');
    expect(s.mase.toFixed(3)).toBe('2.637');
    const f = parseM4Csv(readFileSync(out, 'utf8'));
    expect(f.ids).toHaveLength(359);
    expect(f.offsets[1]).toBe(13);
  });

  it.skipIf(!haveM3)('M3 Other with --model auto --levels 80,95: AutoETS scores, MSIS per level, models used, progress', () => {
    const res = spawnSync(
      process.execPath,
      [
        bin,
        'forecast',
        join(M3, 'Other-train.csv'),
        '--horizon',
        '8',
        '--model',
        'auto',
        '--levels',
        '80,95',
        '--workers',
        '2',
        '--test',
        join(M3, 'Other-test.csv'),
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/forecast 87\/87 series \(auto, h = 8, (native, 2 threads|js)\)/);
    const s = JSON.parse(res.stdout) as { owa: number; msis: Record<string, number>; models: Record<string, number> };
    expect(s.owa).toBeLessThan(0.7);
    expect(s.msis['95']).toBeGreaterThan(0);
    expect(s.msis['80']).toBeGreaterThan(0);
    expect(Object.keys(s.models).every((k) => /^ETS\(.,.+,.\)( \(top of a weighted combination\))?$/.test(k))).toBe(true);
    const bad = spawnSync(process.execPath, [bin, 'forecast', join(M3, 'Other-train.csv'), '--horizon', '8', '--levels', '120'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--levels');
    const badCombine = spawnSync(
      process.execPath,
      [bin, 'forecast', join(M3, 'Other-train.csv'), '--horizon', '8', '--model', 'auto', '--ets-combine', 'mean'],
      { encoding: 'utf8' },
    );
    expect(badCombine.status).toBe(2);
    expect(badCombine.stderr).toContain('--ets-combine must be weights or select');
  });

  it('a long id,date,value CSV (dates out of order, a missing value) and bad input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-fc-'));
    const long = join(dir, 'long.csv');
    writeFileSync(long, 'id,date,value\nb,2024-01-02,4\na,2024-01-02,2\na,2024-01-01,1\nb,2024-01-01,2\na,2024-01-03,\na,2024-01-04,4\n');
    const res = spawnSync(
      process.execPath,
      [bin, 'forecast', long, '--horizon', '2', '--model', 'drift', '--json', '--out', join(dir, 'o.csv')],
      {
        encoding: 'utf8',
      },
    );
    expect(res.status, res.stderr).toBe(0);
    const f = parseM4Csv(readFileSync(join(dir, 'o.csv'), 'utf8'));
    expect(f.ids).toEqual(['b', 'a']);
    expect(Array.from(f.values)).toEqual([6, 8, 5, 6]); // b: 2,4 -> slope 2; a: 1,2,(3),4 -> slope 1
    const bad = spawnSync(process.execPath, [bin, 'forecast', long, '--horizon', '2', '--model', 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
    const usage = spawnSync(process.execPath, [bin, 'forecast', long], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});
