#!/usr/bin/env bash
# run-tests.sh - run every test given on the command line, add up, and end
# with the one summary line CI reads: "N passed, N failed".
#
# A Check program contributes its "Checks: N, Failures: F, Errors: E" line.
# A script contributes one result per "PASS: name" / "FAIL: name" line it
# prints, or, if it prints none, one result from its exit status. A script
# that printed results but exited non-zero adds one failure for itself.
# The failures of every failing test are repeated before the summary.
set -u

# The tap tests need root (ip netns): a user runs the whole list through
# sudo, as the README says; make check has built everything beforehand as
# that user, so nothing in the tree becomes root's.
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then
  exec sudo -E -- "$0" "$@"
fi

passed=0
failed=0
failures=()
details=$(mktemp)
trap 'rm -f "$details"' EXIT

for t in "$@"; do
  echo "=== $t"
  out=$(mktemp)
  t0=$SECONDS
  "./$t" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  echo "=== $t: $((SECONDS - t0)) s"
  line=$(grep -E 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$out" | tail -n 1)
  if [ -n "$line" ]; then
    n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
    e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + n - f - e))
    failed=$((failed + f + e))
    [ $((f + e)) -eq 0 ] || failures+=("$t")
    [ "$rc" -eq 0 ] || [ $((f + e)) -ne 0 ] || { failed=$((failed + 1)); failures+=("$t (exit $rc)"); }
  else
    p=$(grep -c '^PASS: ' "$out")
    f=$(grep -c '^FAIL: ' "$out")
    if [ $((p + f)) -eq 0 ]; then
      if [ "$rc" -eq 0 ]; then p=1; else f=1; fi
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -eq 0 ] || failures+=("$t")
  fi
  if [ "$rc" -ne 0 ] || grep -qE '^FAIL: |Failures: [1-9]|Errors: [1-9]' "$out"; then
    { echo "--- $t (exit $rc): its failures and last lines"
      grep -E '^FAIL: |:[0-9]+:[EF]:' "$out" | head -n 20
      tail -n 15 "$out"; } >>"$details"
  fi
  rm -f "$out"
done

# Repeated here, so the end of a long log (all CI keeps) says what failed.
cat "$details"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
