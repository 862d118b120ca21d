#!/usr/bin/env node
// Builds .gpu/node, a kit that runs the Node-level device tests on a GPU machine with no Node and
// no node_modules (the device tool's machines): this machine's node binary (xz-compressed), the
// built addon, and each device test file bundled with esbuild into one .mjs, with vitest replaced
// by scripts/device-kit/vitest-shim.ts. scripts/device-kit/run.sh runs it there.
//
//   node scripts/device-kit/build.mjs            (after a CUDA build: node scripts/build-native.mjs)
//   run  command: "bash scripts/device-kit/run.sh"   carry: [".gpu"]   (with .gpu/data for M3 / M4)
//
// The kit is about 35 MB of the 64 MiB a device call may carry (node 24 MB, addon 6 MB, bundle). Options: --tests a,b (default: every
// test/kernels/*cuda*.test.ts and ml-kmeans-native.test.ts), --out DIR (default .gpu/node).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const out = resolve(root, opt('out', '.gpu/node'));
const defaultTests = readdirSync(join(root, 'test', 'kernels'))
  .filter((f) => /cuda.*\.test\.ts$/.test(f) || f === 'ml-kmeans-native.test.ts')
  .map((f) => join('test', 'kernels', f));
const tests = opt('tests', '') ? opt('tests', '').split(',') : defaultTests;

const addon = join(root, 'build', 'Release', 'waybill.node');
if (!existsSync(addon)) {
  console.error(`no addon at ${addon}: run node scripts/build-native.mjs first`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyFileSync(addon, join(out, 'waybill.node'));

// One bundle for all the test files (they share the engine's code; one bundle each would not fit
// the 64 MiB a call carries). Their tests are collected in file order and run after all imports.
const shim = join(root, 'scripts', 'device-kit', 'vitest-shim.ts');
const entry = join(out, 'device-tests.entry.mjs');
writeFileSync(
  entry,
  `import { runCollected } from ${JSON.stringify(shim)};\n` +
    tests.map((t) => `import ${JSON.stringify(resolve(root, t))};\n`).join('') +
    `const r = await runCollected(${JSON.stringify(tests.map((t) => basename(t)).join(', '))});\n` +
    'process.exitCode = Math.min(100, r.failed);\n',
);
await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  keepNames: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(out, 'device-tests.mjs'),
  alias: { vitest: shim },
  external: ['*.node'],
  banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
rmSync(entry);
console.log(
  `bundled ${tests.join(', ')} -> ${join(out, 'device-tests.mjs')} (${(statSync(join(out, 'device-tests.mjs')).size / 1e6).toFixed(1)} MB)`,
);
console.log('compressing the node binary ...');
const xz = execFileSync('xz', ['-T0', '-6', '-c', process.execPath], { maxBuffer: 1 << 30 });
writeFileSync(join(out, 'node.xz'), xz);
console.log(`node ${process.version} -> ${join(out, 'node.xz')} (${(xz.length / 1e6).toFixed(1)} MB)`);
