#!/usr/bin/env bash
# GPU check of the native core without Node: runs every CPU-vs-CUDA parity suite and times every
# CUDA kernel against its CPU counterpart, with waybill_tests and waybill_bench carried prebuilt in
# .gpu/bin, or else built there with plain CMake (the Node addon is configured only under cmake-js,
# so no Node or node-api headers are needed). Logs and the bench JSON go to $OUT.
#
# Prebuilt (what the 2026-11-30 H200 session did; saves the device minutes of a CUDA build): here,
# with nvcc 13 (the device's driver 580 runs CUDA 13 code) and the default archs 80-real;90,
#
#   node scripts/build-native.mjs                     (or any CUDA build of build/)
#   mkdir -p .gpu/bin && cp build/waybill_tests build/waybill_bench .gpu/bin/
#   mkdir -p .gpu/data && cp -r ../shared/data/ts .gpu/data/      (7.6 MB: real M3 / M4 parity)
#
# then through the device tool, from the repository root, as ONE `run` call:
#
#   run  command: "bash scripts/gpu-check.sh"   timeout_s: 300   carry: [".gpu"]
#
# (about 4 minutes with every family: parity ~100 s, most of it the AutoETS sets, then the bench
# ~110 s; the tool sets $OUT, and what lands there comes back). A prebuilt binary that does not
# start there (another C library, say) is skipped and the build happens there into /tmp/wb-gpu
# (add about 5 minutes). Trim with CUDA_FAMILIES=ml and BENCH_ARGS="--only gbdt" (or --quick).
#
# ../shared/data does not travel: without .gpu/data the tests that need real data report
# themselves skipped (WAYBILL_DATA_DIR points at .gpu/data unless it is set already). Every figure
# of waybill_bench comes from synthetic inputs.
#
# Steps (each log in $OUT/<step>.log):
#   configure, build   (only without usable prebuilt binaries)
#              cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 -DWAYBILL_BUILD_TESTS=ON
#              cmake --build $BUILD -j$JOBS --target waybill_tests waybill_bench
#   cuda       waybill_tests cuda [$CUDA_FAMILIES]   (CUDA parity suites; exit 77 = no usable device)
#   bench      waybill_bench $BENCH_ARGS --json $OUT/bench-cuda.json   (exit 2 = a CUDA result disagreed)
#   $CPU_SUITES  waybill_tests <suite> each (e.g. "ts ml trajectory": the CPU suites with the
#              host-compiled CUDA code; off by default, since every CPU machine runs them)
#
# Environment: OUT (required), PREBUILT (default .gpu/bin), BUILD (default /tmp/wb-gpu), JOBS
# (default 16), DEADLINE_S (default 520: seconds from the start after which no step is started and
# running ones are stopped), CUDA_FAMILIES (comma-separated: geo,or,trajectory,ml,kmeans,ts; default
# all), BENCH_ARGS (extra waybill_bench flags, e.g. --quick, --only gbdt, --no-geo-table),
# CPU_SUITES, ALLOW_NO_CUDA=1 (treat "no CUDA device" as skipped rather than failed: for trying
# the script on a machine without a GPU).
#
# Exit status: 0 when every step passed; 1 when parity failed, a step failed or timed out, or (without
# ALLOW_NO_CUDA=1) no CUDA device was usable. The last line is a one-line summary.
set -uo pipefail

: "${OUT:?set OUT to the folder for logs and bench-cuda.json}"
BUILD=${BUILD:-/tmp/wb-gpu}
JOBS=${JOBS:-16}
DEADLINE_S=${DEADLINE_S:-520}
BENCH_ARGS=${BENCH_ARGS:-}
ALLOW_NO_CUDA=${ALLOW_NO_CUDA:-0}
PREBUILT=${PREBUILT:-.gpu/bin}
CPU_SUITES=${CPU_SUITES:-}
CUDA_FAMILIES=${CUDA_FAMILIES:-}
if [ -z "${WAYBILL_DATA_DIR:-}" ] && [ -d .gpu/data ]; then export WAYBILL_DATA_DIR=$PWD/.gpu/data; fi
mkdir -p "$OUT"
start=$(date +%s)
summary=()
failed=0

# step NAME CAP_S COMMAND...: runs COMMAND with output teed into $OUT/NAME.log, stopped after
# CAP_S seconds or at the deadline, whichever comes first; records "NAME=ok|FAIL(rc)|..." in the summary.
step() {
  local name=$1 cap=$2
  shift 2
  local left=$((DEADLINE_S - ($(date +%s) - start)))
  if ((left < 10)); then
    echo "== $name: not started, deadline reached" | tee "$OUT/$name.log"
    summary+=("$name=not-run")
    failed=1
    return 1
  fi
  ((cap > left)) && cap=$left
  echo "== $name (limit ${cap}s): $*"
  local t0=$(date +%s)
  timeout --signal=TERM --kill-after=5 "$cap" "$@" 2>&1 | tee "$OUT/$name.log"
  local rc=$?
  local dt=$(($(date +%s) - t0))
  echo "== $name: exit $rc after ${dt}s"
  if ((rc == 0)); then
    summary+=("$name=ok(${dt}s)")
  elif ((rc == 124 || rc == 137)); then
    summary+=("$name=TIMEOUT(${dt}s)")
    failed=1
  elif ((rc == 77)) && [[ $name == cuda ]] && [[ $ALLOW_NO_CUDA == 1 ]]; then
    summary+=("$name=skipped(no-cuda)")
  else
    summary+=("$name=FAIL($rc)")
    failed=1
  fi
  return "$rc"
}

finish() {
  echo "gpu-check: ${summary[*]} -> $([[ $failed == 0 ]] && echo PASS || echo FAIL) ($(($(date +%s) - start))s)" |
    tee "$OUT/summary.txt"
  exit "$failed"
}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo '?') $(git status --porcelain 2>/dev/null | wc -l) changed paths"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  nvcc --version 2>&1 | tail -1 || true
  cmake --version | head -1
  echo "cpus: $(nproc)"
} | tee "$OUT/env.log"

# Prebuilt binaries (PREBUILT, default .gpu/bin, carried from a machine with nvcc): used when they
# start here (same CPU architecture, compatible C library); otherwise build on this machine.
bin=$BUILD
if [ -x "$PREBUILT/waybill_tests" ] && [ -x "$PREBUILT/waybill_bench" ] &&
  "$PREBUILT/waybill_tests" or >/dev/null 2>&1; then
  bin=$PREBUILT
  summary+=("prebuilt")
  echo "== using prebuilt binaries from $PREBUILT"
else
  step configure 120 cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DWAYBILL_BUILD_TESTS=ON || finish
  step build 300 cmake --build "$BUILD" -j"$JOBS" --target waybill_tests waybill_bench || finish
fi

# shellcheck disable=SC2086 # CUDA_FAMILIES is one optional argument
step cuda 180 "$bin/waybill_tests" cuda $CUDA_FAMILIES
# shellcheck disable=SC2086 # BENCH_ARGS holds separate flags on purpose
step bench 240 "$bin/waybill_bench" $BENCH_ARGS --json "$OUT/bench-cuda.json"
for suite in $CPU_SUITES; do
  step "$suite" 180 "$bin/waybill_tests" "$suite"
done
finish
