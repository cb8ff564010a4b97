# netns.sh - sourced by tap tests: a private network namespace for one test.
#
# netns_up creates a uniquely named namespace holding tap0 (192.168.0.1/24),
# and arranges that it and every process started with netns_bg are removed on
# exit, whatever the exit path. Nothing is ever sent outside that namespace.
#
#   . tests/lib/netns.sh
#   netns_up
#   netns_bg ./minimal --stats 0          # pid in $NETNS_LAST_PID
#   nsx ping -c1 192.168.0.2              # run inside the namespace
#   pass "name" / fail "name"             # results for tests/run-tests.sh

NETNS=""
NETNS_PIDS=()
TEST_FAILED=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; TEST_FAILED=1; }
# check NAME COMMAND...: PASS or FAIL by the command's status.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }

netns_cleanup() {
  local p
  for p in "${NETNS_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${NETNS_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  if [ -n "$NETNS" ]; then
    ip netns pids "$NETNS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$NETNS" 2>/dev/null
  fi
}

netns_up() {
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 needs root for ip netns"; exit 1; }
  NETNS="kcplwip-$(basename "$0" .sh)-$$-$RANDOM"
  trap netns_cleanup EXIT
  trap 'exit 130' INT TERM
  scripts/setup-tapif --netns "$NETNS" --tap tap0 >/dev/null || { echo "FAIL: setup-tapif"; exit 1; }
}

nsx() { ip netns exec "$NETNS" "$@"; }

netns_bg() {
  ip netns exec "$NETNS" "$@" &
  NETNS_LAST_PID=$!
  NETNS_PIDS+=("$NETNS_LAST_PID")
}

# wait_for SECONDS COMMAND...: poll (every 0.1 s) until the command succeeds.
wait_for() {
  local t=$1 i; shift
  for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# netns_finish: exit status for run-tests.sh.
netns_finish() { exit "$TEST_FAILED"; }
