#!/usr/bin/env node
// Builds the native addon (build/Release/waybill.node) and the ctest binaries with cmake-js.
// Runs on `npm install` / `npm ci` and via `npm run build:native`.
//
//   WAYBILL_CUDA=OFF           build CPU-only even when nvcc is present
//   WAYBILL_SKIP_NATIVE=1      skip the build (the js and gpujs backends still work)
//   WAYBILL_REQUIRE_NATIVE=1   fail the install when the build fails (CI sets this)
//
// A failed build does not fail `npm install` unless WAYBILL_REQUIRE_NATIVE=1: the engine then
// reports the native and cuda backends as unavailable, with "addon not built: run npm run build:native".
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (process.env.WAYBILL_SKIP_NATIVE === '1') {
  console.log('[waybill] WAYBILL_SKIP_NATIVE=1: native addon not built');
  process.exit(0);
}

let cmakeJs;
try {
  cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
} catch {
  console.warn('[waybill] cmake-js is not installed; run npm install first');
  process.exit(process.env.WAYBILL_REQUIRE_NATIVE === '1' ? 1 : 0);
}

const cuda = (process.env.WAYBILL_CUDA ?? 'AUTO').toUpperCase() === 'OFF' ? 'OFF' : 'AUTO';
const common = ['--out', 'build', '--config', 'Release', `--CDWAYBILL_CUDA=${cuda}`];
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? '2';
console.log(`[waybill] building native addon (WAYBILL_CUDA=${cuda}, ${jobs} jobs)`);
const run = (verb) =>
  spawnSync(process.execPath, [cmakeJs, verb, ...common], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs },
  });
// Configure every time (cheap; an unchanged configuration rebuilds nothing) so that a changed
// WAYBILL_CUDA reaches an existing build directory; cmake-js `compile` alone would skip it.
let res = run('configure');
if (res.status === 0) res = run('build');
const built = existsSync(join(root, 'build', 'Release', 'waybill.node'));
if (res.status !== 0 || !built) {
  console.warn('[waybill] native build failed: the native and cuda backends will be unavailable.');
  console.warn('[waybill] fix the error above and run `npm run build:native`.');
  process.exit(process.env.WAYBILL_REQUIRE_NATIVE === '1' ? 1 : 0);
}
console.log('[waybill] native addon built: build/Release/waybill.node');
