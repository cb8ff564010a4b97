#!/usr/bin/env bash
# run-fuzz.sh SECONDS TARGET[:N]... - for each libFuzzer target in
# build-fuzz/: replay its past crashes (fuzz/regressions/TARGET/), then fuzz
# it for SECONDS (SECONDS / N with :N, at least 1: FUZZ_NAME_SHARE in
# Filelists.mk) on a scratch copy of its seeds (fuzz/corpus/TARGET/, which
# thus never grows). Prints one PASS:/FAIL: line per step for tests/run-tests.sh,
# with the executions from libFuzzer's final stats. A new crash input is kept
# under build-fuzz/artifacts/TARGET/: copy it to fuzz/regressions/TARGET/
# once the bug is fixed.
set -u
cd "$(dirname "$0")/.." || exit 1

all_secs=${1:?usage: run-fuzz.sh SECONDS TARGET[:N]...}
shift
status=0

for arg in "$@"; do
  t=${arg%%:*}
  secs=$all_secs
  if [ "$t" != "$arg" ]; then
    secs=$(( all_secs / ${arg#*:} ))
    [ "$secs" -ge 1 ] || secs=1
  fi
  bin=build-fuzz/$t
  if [ ! -x "$bin" ] || ! make -s -q "$bin" 2>/dev/null; then
    echo "FAIL: $t: $bin is missing or older than its sources (build failed?)"
    status=1
    continue
  fi

  shopt -s nullglob
  regs=(fuzz/regressions/"$t"/*)
  seeds=(fuzz/corpus/"$t"/*)
  shopt -u nullglob
  if [ ${#regs[@]} -gt 0 ]; then
    log=build-fuzz/$t.replay.log
    if timeout 300 "$bin" -timeout=10 "${regs[@]}" >"$log" 2>&1; then
      echo "PASS: $t replays ${#regs[@]} past crash inputs"
    else
      echo "FAIL: $t replays past crash inputs (log: $log)"
      grep -E 'invariant broken|ERROR: |SUMMARY: |runtime error' "$log" | head -n 5
      status=1
    fi
  fi

  scratch=$(mktemp -d)
  art=build-fuzz/artifacts/$t
  log=build-fuzz/$t.log
  mkdir -p "$art"
  [ ${#seeds[@]} -eq 0 ] || cp "${seeds[@]}" "$scratch"/
  timeout $((secs + 120)) "$bin" -max_total_time="$secs" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$art/" \
    "$scratch" >"$log" 2>&1
  rc=$?
  rm -rf "$scratch"

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    echo "PASS: $t fuzzed ${execs:-?} executions in ${secs} s (${rate:-?}/s, $cov), 0 crashes"
  else
    echo "FAIL: $t crashed after ${execs:-?} executions (exit $rc, log: $log)"
    grep -E 'invariant broken|ERROR: |SUMMARY: |runtime error|Test unit written to' "$log" | head -n 6
    status=1
  fi
done
exit "$status"
