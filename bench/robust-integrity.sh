#!/usr/bin/env bash
# robust-integrity.sh - throughput of the integrity test
# (tests/tap_robust_integrity.sh, also in make check): 100 MB in KCP message
# mode and 100 MB in stream mode through ./minimal --loss 20 --reorder 10
# --dup 5 --delay 20, each compared by sha256.
#
# Results: the test's lines on stdout, and bench/results/robust-integrity.json
# with the MB/s of each mode. Needs root (network namespace). Knob:
# ROBUST_INTEGRITY_MB (100). Exit status 1 when a mode fails.
set -u
cd "$(dirname "$0")/.." || exit 1

OUT=bench/results
MB=${ROBUST_INTEGRITY_MB:-100}
mkdir -p "$OUT"
log=$(ROBUST_INTEGRITY_MB=$MB tests/tap_robust_integrity.sh)
rc=$?
echo "$log"
rate() {
  local r
  r=$(echo "$log" | sed -n "s/^  $1: .* = \([0-9.]*\) MB\/s.*/\1/p" | head -n 1)
  echo "${r:-null}"
}
printf '{"mb":%s,"message_mbps":%s,"stream_mbps":%s,"failed":%s}\n' \
  "$MB" "$(rate message)" "$(rate stream)" "$(echo "$log" | grep -c '^FAIL:')" \
  >"$OUT/robust-integrity.json"
[ "$rc" -eq 0 ] && ! echo "$log" | grep -q '^FAIL:'
