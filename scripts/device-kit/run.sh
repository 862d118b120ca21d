#!/usr/bin/env bash
# Runs the bundled Node-level device tests of .gpu/node (scripts/device-kit/build.mjs) with the
# carried node binary and addon: WAYBILL_ADDON points at the carried addon, WAYBILL_DATA_DIR at
# .gpu/data when present. One line per test, a summary per file; logs in $OUT when it is set.
# Exit status: 0 when no test failed.
set -uo pipefail
KIT=${KIT:-.gpu/node}
BIN=${TMPDIR:-/tmp}/waybill-node
xz -dc "$KIT/node.xz" >"$BIN" && chmod +x "$BIN" || { echo "cannot unpack $KIT/node.xz"; exit 1; }
export WAYBILL_ADDON=$PWD/$KIT/waybill.node
if [ -z "${WAYBILL_DATA_DIR:-}" ] && [ -d .gpu/data ]; then export WAYBILL_DATA_DIR=$PWD/.gpu/data; fi
"$BIN" --version
failed=0
for f in "$KIT"/*.mjs; do
  echo "== $f"
  if [ -n "${OUT:-}" ]; then
    "$BIN" "$f" 2>&1 | tee "$OUT/$(basename "$f" .mjs).log"
  else
    "$BIN" "$f" 2>&1
  fi
  rc=$?
  ((rc != 0)) && failed=1
done
exit "$failed"
