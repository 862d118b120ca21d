#!/usr/bin/env bash
# The gpu.js kernels (geo, trajectory) through a real GL context: headless-gl (gpu.js's optional
# `gl` package) under Xvfb, which on a machine without a GPU is Mesa's software rasteriser. CI runs
# the same tests in gpu.js's webasm mode only (no GL there); this checks the GLSL path, whose
# built-in functions have driver-defined precision. Run: npm run test:gl (not part of npm test).
#
# Needs: apt-get install xvfb libxi-dev libglew-dev libxext-dev (root), and Node's own headers
# (include/node next to the node binary's prefix): gl's install script would otherwise download
# a prebuilt binary or the headers, which fails offline.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v xvfb-run >/dev/null 2>&1; then
  echo "test:gl: xvfb-run not found; install: apt-get install xvfb libxi-dev libglew-dev libxext-dev" >&2
  exit 2
fi
if ! node -e "require('gl')" >/dev/null 2>&1; then
  version=$(node -p "require('./package-lock.json').packages['node_modules/gl'].version")
  prefix=$(dirname "$(dirname "$(command -v node)")")
  if [ ! -f "$prefix/include/node/common.gypi" ]; then
    echo "test:gl: the gl package is not built and Node's headers are not at $prefix/include/node" >&2
    exit 2
  fi
  echo "[test:gl] building gl@$version against $prefix/include/node (not saved to package.json)"
  npm_config_nodedir="$prefix" npm install --no-save --no-audit --no-fund "gl@$version"
fi

# The tests pass in webasm mode too: make sure gpu.js really runs on GL here.
mode=$(xvfb-run -a npx tsx -e "import { createGpujsBackend } from './src/backends/gpujs.ts'; console.log(createGpujsBackend().status().mode)" | tail -1)
if [ "$mode" != "headlessgl" ]; then
  echo "test:gl: gpu.js runs in '$mode' mode under Xvfb, not headlessgl; nothing to check" >&2
  exit 1
fi
echo "[test:gl] gpu.js mode: $mode"
exec xvfb-run -a npx vitest run test/backends/gpujs.test.ts test/kernels/trajectory-gpujs.test.ts
