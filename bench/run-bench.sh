#!/usr/bin/env bash
# run-bench.sh - run every benchmark script given (BENCHSCRIPTS, in order),
# each printing its own table and writing its JSON under bench/results/,
# and end with one line: "bench: N ok, N failed".
set -u

ok=0
failed=0
for b in "$@"; do
  echo "=== $b"
  if "./$b"; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
    echo "failed: $b"
  fi
  echo
done
echo "bench: $ok ok, $failed failed"
[ "$failed" -eq 0 ]
