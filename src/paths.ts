import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding Waybill's package.json (works from src/ and dist/src/). */
export const PACKAGE_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
})();

/** Shared data sets: WAYBILL_DATA_DIR, else ../shared/data beside the package. */
export function defaultDataDir(): string {
  return process.env.WAYBILL_DATA_DIR ?? resolve(PACKAGE_ROOT, '..', 'shared', 'data');
}
