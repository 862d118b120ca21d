/** `waybill forecast`: the M4 layout with --test scoring, a long id,date,value CSV, bad input. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLongCsv } from '../../src/cli/forecast.js';
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

  it('malformed input: a short or truncated long-CSV row, an M4 file without its header, no series, an unwritable --out', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return { code: (err as { code?: string }).code, details: (err as { details?: unknown }).details };
      }
      return undefined;
    };
    // A truncated last row would otherwise read as a missing value (then interpolated).
    expect(codeOf(() => parseLongCsv('id,date,value\na,2024-01-01,1\n\na,2024-01-0'))).toEqual({
      code: 'INVALID_LENGTH',
      details: { line: 4 },
    });
    expect(codeOf(() => parseLongCsv('id,date,value\n,2024-01-01,1\n'))).toMatchObject({ details: { line: 2 } });
    // Dates were sorted as text: period 10 before 9, 2024-1-10 before 2024-1-9.
    const periods = parseLongCsv('id,date,value\na,10,3\na,9,2\na,1,1\nb,2024-1-10,20\nb,2024-1-9,10\nb,2023-12-31 23:00,5\n');
    expect(Array.from(periods.values)).toEqual([1, 2, 3, 5, 10, 20]);
    for (const [csv, line] of [
      ['id,date,value\na,2024-01-01,1\na,2024-02-30,2\n', 3], // rolled over to March 1
      ['id,date,value\na,01/02/2024,1\n', 2], // not ISO: day or month first is ambiguous
      ['id,date,value\na,2024-01-01,1\na,2024-01-01,2\n', 3], // a duplicate period was kept twice
      ['id,date,value\na,1,1\na,2024-01-01,2\n', 3],
    ] as const)
      expect(codeOf(() => parseLongCsv(csv))).toEqual({ code: 'INVALID_ARGUMENT', details: { line, field: 'date' } });
    // Without the "V1",... header the first series would be taken for it and dropped.
    expect(codeOf(() => parseM4Csv('"W1","1","2"\n"W2","3","4"\n'))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { line: 1 } });
    expect(parseM4Csv('\uFEFF"V1","V2"\n"W1","1"\n').ids).toEqual(['W1']);
    const dir = mkdtempSync(join(tmpdir(), 'wb-fc-bad-'));
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const none = spawnSync(process.execPath, [bin, 'forecast', empty, '--horizon', '2'], { encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`INVALID_ARGUMENT: ${empty} holds no series`);
    const good = join(dir, 'long.csv');
    writeFileSync(good, 'id,date,value\na,2024-01-01,1\na,2024-01-02,2\na,2024-01-03,3\n');
    const out = spawnSync(process.execPath, [bin, 'forecast', good, '--horizon', '2', '--out', join(dir, 'missing', 'f.csv')], {
      encoding: 'utf8',
    });
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/waybill: INVALID_ARGUMENT: --out .*f\.csv: the folder .*missing does not exist/);
    expect(out.stderr).not.toContain('forecast 1/1');
    const huge = spawnSync(process.execPath, [bin, 'forecast', good, '--horizon', '1e20'], { encoding: 'utf8' });
    expect(huge.status).toBe(2);
    expect(huge.stderr).toContain("--horizon must be a non-negative integer, got '1e20'");
  });
});
