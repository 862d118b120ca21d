/**
 * Without the compiled addon the engine still works on the TS reference, and says why the
 * native and cuda backends are unavailable. Runs `waybill info --json` in a child process whose
 * WAYBILL_ADDON points at a file that does not exist.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/waybill.mjs', import.meta.url));

describe('missing addon', () => {
  it('reports native and cuda unavailable with what to run', () => {
    const out = execFileSync(process.execPath, [bin, 'info', '--json'], {
      env: { ...process.env, WAYBILL_ADDON: 'does/not/exist/waybill.node' },
      encoding: 'utf8',
    });
    const info = JSON.parse(out) as {
      addon: { loaded: boolean; reason?: string };
      backends: Array<{ name: string; available: boolean; reason?: string }>;
    };
    expect(info.addon.loaded).toBe(false);
    const byName = new Map(info.backends.map((b) => [b.name, b]));
    expect(byName.get('native')?.available).toBe(false);
    expect(byName.get('native')?.reason).toBe('addon not built: run npm run build:native');
    expect(byName.get('cuda')?.reason).toBe('addon not built: run npm run build:native');
    expect(byName.get('js')?.available).toBe(true);
  });

  it('a broken addon file is reported as failing to load, not a crash', () => {
    const out = execFileSync(process.execPath, [bin, 'info', '--json'], {
      env: { ...process.env, WAYBILL_ADDON: fileURLToPath(new URL('../../package.json', import.meta.url)) },
      encoding: 'utf8',
    });
    const info = JSON.parse(out) as { backends: Array<{ name: string; reason?: string }> };
    expect(info.backends.find((b) => b.name === 'native')?.reason).toMatch(/^addon failed to load: /);
  });
});
