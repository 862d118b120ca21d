#!/usr/bin/env bash
# Runs the kit of scripts/device-kit/build.mjs on a GPU machine without Node: unpacks the carried
# node binary, points WAYBILL_ADDON at the carried addon and WAYBILL_DATA_DIR at .gpu/data (when
# present and not set already), runs the bundled device tests (one line per test, a summary), then
# each bundled CUDA bench (its table on stdout; BENCHES="" skips them, BENCH_TIMEOUT_S caps each,
# default 240). Logs go to $OUT when it is set. Exit status: 0 when no test failed and no bench
# failed or timed out.
#
#   run  command: "bash scripts/device-kit/run.sh"   carry: [".gpu/node", ".gpu/data"]   timeout_s: 540
#
# Bench arguments (defaults: the bench's own): TRAJ_ARGS (e.g. "--pairs 1000"), TS_ARGS (e.g.
# "--synthetic 100000 --seasonal 10000"), ML_ARGS (e.g. "--parts predict,train").
set -uo pipefail
KIT=${KIT:-.gpu/node}
BIN=${TMPDIR:-/tmp}/waybill-node
BENCH_TIMEOUT_S=${BENCH_TIMEOUT_S:-240}
xz -dc "$KIT/node.xz" >"$BIN" && chmod +x "$BIN" || {
  echo "cannot unpack $KIT/node.xz"
  exit 1
}
export WAYBILL_ADDON=$PWD/$KIT/waybill.node
if [ -z "${WAYBILL_DATA_DIR:-}" ] && [ -d .gpu/data ]; then export WAYBILL_DATA_DIR=$PWD/.gpu/data; fi
echo "node $("$BIN" --version), addon $WAYBILL_ADDON, data ${WAYBILL_DATA_DIR:-none}"
failed=0

# log NAME COMMAND...: runs COMMAND, its output also in $OUT/NAME.log when OUT is set.
log() {
  local name=$1
  shift
  if [ -n "${OUT:-}" ]; then
    "$@" 2>&1 | tee "$OUT/$name.log"
  else
    "$@" 2>&1
  fi
}

echo "== device tests"
log device-tests "$BIN" "$KIT/device-tests.mjs" || failed=1

declare -A ARGS=([trajectory-cuda]="${TRAJ_ARGS:-}" [ts-cuda]="${TS_ARGS:-}" [ml-cuda]="${ML_ARGS:-}")
for f in "$KIT"/bench-*.mjs; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .mjs)
  name=${name#bench-}
  if [ -n "${BENCHES+x}" ] && [[ ",$BENCHES," != *",$name,"* ]]; then continue; fi
  echo "== bench $name ${ARGS[$name]:-}"
  # shellcheck disable=SC2086 # the bench arguments are separate words on purpose
  log "bench-$name" timeout "$BENCH_TIMEOUT_S" "$BIN" "$f" ${ARGS[$name]:-} || {
    echo "== bench $name failed or timed out"
    failed=1
  }
done
exit "$failed"
