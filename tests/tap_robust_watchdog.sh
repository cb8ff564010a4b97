#!/usr/bin/env bash
# tap_robust_watchdog.sh - the core thread's watchdog: ./minimal runs under
# scripts/relaunch.sh with --watchdog 1 and the test-only --test-hang, with
# a `kcp_client --bench --reconnect` session beside it; SIGUSR2 then hangs
# the lwIP core thread holding the core lock (as the land datagram once
# did). Checks: the watchdog aborts it with its message, relaunch.sh logs
# SIGABRT and restarts it, a new KCP session echoes within 2 s of the
# watchdog's limit, and the live session reconnects and verifies every
# message. Then: without --test-hang SIGUSR2 changes nothing, and with
# --watchdog 0 a hung ./minimal stays hung (the watchdog is what ends it).
set -u
. "$(dirname "$0")/lib/robust.sh"

COUNT=300
LIMIT_S=1
BACK_MS=$((LIMIT_S * 1000 + 2000))

robust_init watchdog ./kcp_client
if ! robust_relaunch --max-restarts 3 -- --stats 0 --watchdog $LIMIT_S --test-hang; then
  fail "watchdog: ./minimal under relaunch.sh answers on $S"
  netns_finish
fi

nsx timeout 60 ./kcp_client --bench --json --reconnect --timeout 2 --count $COUNT \
  --size 1-3000 --interval 10 $S >"$TAP_TMP/bench.json" 2>"$TAP_TMP/bench.err" &
BENCH_PID=$!
sleep 1
old=$MINIMAL_PID
t0=$(date +%s%N)
kill -USR2 "$old"
restarted() { [ "$(child_pid)" != "$old" ]; }
wait_for 10 restarted
wait_for 10 kcp_up
back_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
MINIMAL_PID=$(child_pid)
check "watchdog: the hung ./minimal said why it aborts" \
  grep -q "^minimal: watchdog: the lwIP core thread made no progress for 1\.[0-9]* s" "$ROBUST_LOG"
check "watchdog: relaunch.sh logged SIGABRT and restarted it (pid $old -> $MINIMAL_PID)" \
  test "$MINIMAL_PID" != "$old" -a -n "$(grep "pid $old killed by SIGABRT" "$ROBUST_LOG")"
check "watchdog: a new KCP session echoes ${back_ms} ms after the hang (limit ${LIMIT_S} s + 2 s = $BACK_MS ms)" \
  test "$back_ms" -le $BACK_MS

wait $BENCH_PID; rc=$?
echo "  bench: $(json_line "$TAP_TMP/bench.json")"
verified=$(jget verified "$TAP_TMP/bench.json")
check "watchdog: the live session reconnected and verified all $COUNT messages (exit $rc, verified ${verified:-?}, reconnects $(jget reconnects "$TAP_TMP/bench.json"))" \
  test "$rc" -eq 0 -a "${verified:-0}" = $COUNT
sed -n 's/^relaunch: /  relaunch: /p' "$ROBUST_LOG"
kill -TERM "$RELAUNCH_PID" 2>/dev/null
wait "$RELAUNCH_PID"; rc=$?
check "watchdog: relaunch.sh then stops on SIGTERM with the child's clean stop (exit $rc)" test "$rc" -eq 0

LOG=$TAP_TMP/minimal.log
start_minimal "$LOG" --stats 0 || fail "watchdog: ./minimal starts again"
kill -USR2 "$MINIMAL_PID"
sleep 0.5
check "watchdog: without --test-hang, SIGUSR2 changes nothing (ping answers)" ping_up
stop_minimal; rc=$?
check "watchdog: ... and SIGTERM still stops it cleanly (exit $rc)" test "$rc" -eq 0

start_minimal "$LOG" --stats 0 --watchdog 0 --test-hang || fail "watchdog: ./minimal --watchdog 0 starts"
kill -USR2 "$MINIMAL_PID"
sleep $((LIMIT_S + 2))
check "watchdog: with --watchdog 0 the hung ./minimal is still there, hung (no ping)" \
  bash -c "kill -0 $MINIMAL_PID 2>/dev/null && ! ip netns exec $NETNS ping -c 1 -W 1 $S >/dev/null 2>&1"
kill -KILL "$MINIMAL_PID" 2>/dev/null
wait "$MINIMAL_PID" 2>/dev/null
netns_finish
