#!/usr/bin/env node
// Builds .gpu/node, a kit that runs the Node-level device tests and CUDA benches on a GPU machine
// with no Node and no node_modules (the device tool's machines): this machine's node binary
// (xz-compressed), the built addon, the device test files bundled with esbuild into one .mjs (vitest
// replaced by scripts/device-kit/vitest-shim.ts), and each CUDA bench bundled on its own. It also
// copies the real data they read (../shared/data/ts and traj) into .gpu/data.
// scripts/device-kit/run.sh runs the kit there.
//
//   node scripts/device-kit/build.mjs            (after a CUDA build: node scripts/build-native.mjs)
//   run  command: "bash scripts/device-kit/run.sh"   carry: [".gpu/node", ".gpu/data"]
//
// The kit is about 45 MB of the 64 MiB a device call may carry (node 24 MB, addon 6 MB, bundles
// about 5 MB each, data 9.5 MB). Options: --tests a,b (default: every test/kernels/*cuda*.test.ts
// and ml-kmeans-native.test.ts), --benches a,b (default trajectory-cuda,ts-cuda,ml-cuda:
// bench/<name>.bench.ts; "" for none), --out DIR (default .gpu/node).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
const benches = opt('benches', 'trajectory-cuda,ts-cuda,ml-cuda').split(',').filter(Boolean);

const addon = join(root, 'build', 'Release', 'waybill.node');
if (!existsSync(addon)) {
  console.error(`no addon at ${addon}: run node scripts/build-native.mjs first`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyFileSync(addon, join(out, 'waybill.node'));

const shim = join(root, 'scripts', 'device-kit', 'vitest-shim.ts');
const bundle = (entry, outfile) =>
  build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    keepNames: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    alias: { vitest: shim },
    external: ['*.node'],
    banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
const size = (file) => `${(statSync(file).size / 1e6).toFixed(1)} MB`;

// One bundle for all the test files (they share the engine's code; one bundle each would not fit
// the 64 MiB a call carries). Their tests are collected in file order and run after all imports.
const entry = join(out, 'device-tests.entry.mjs');
writeFileSync(
  entry,
  `import { runCollected } from ${JSON.stringify(shim)};\n` +
    tests.map((t) => `import ${JSON.stringify(resolve(root, t))};\n`).join('') +
    `const r = await runCollected(${JSON.stringify(tests.map((t) => basename(t)).join(', '))});\n` +
    'process.exitCode = Math.min(100, r.failed);\n',
);
await bundle(entry, join(out, 'device-tests.mjs'));
rmSync(entry);
console.log(`bundled ${tests.join(', ')} -> ${join(out, 'device-tests.mjs')} (${size(join(out, 'device-tests.mjs'))})`);

// The CUDA benches, one bundle each: run.sh runs them after the tests and they print their tables.
for (const b of benches) {
  const file = join(out, `bench-${b}.mjs`);
  await bundle(join(root, 'bench', `${b}.bench.ts`), file);
  console.log(`bundled bench/${b}.bench.ts -> ${file} (${size(file)})`);
}

// The real data the tests and benches read (M3 / M4, GeoLife), when ../shared/data is here.
const data = resolve(root, '..', 'shared', 'data');
for (const d of ['ts', 'traj']) {
  if (!existsSync(join(data, d))) continue;
  cpSync(join(data, d), resolve(root, '.gpu', 'data', d), { recursive: true });
  console.log(`copied ../shared/data/${d} -> .gpu/data/${d}`);
}

console.log('compressing the node binary ...');
const xz = execFileSync('xz', ['-T0', '-6', '-c', process.execPath], { maxBuffer: 1 << 30 });
writeFileSync(join(out, 'node.xz'), xz);
console.log(`node ${process.version} -> ${join(out, 'node.xz')} (${(xz.length / 1e6).toFixed(1)} MB)`);
