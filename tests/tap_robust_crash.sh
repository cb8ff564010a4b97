#!/usr/bin/env bash
# tap_robust_crash.sh - crash recovery: ./minimal runs under
# scripts/relaunch.sh and is killed with SIGSEGV in the middle of a
# `kcp_client --bench --reconnect` run (4 clients, 1 message every 10 ms).
#
# Checks: the supervisor logs the crash and the server answers again (ping
# and a fresh KCP session) within 2 s of the kill; the restarted server
# opens no session for the clients' old conversations: their segments
# (retransmitted PUSHes with sn > 0, ACKs) are dropped and counted as
# "dropped", and nothing is sent back (kcp/kcp_lwip.h: only a PUSH with sn 0
# opens a session), so the clients see their sessions die (--timeout 2 of
# silence), reconnect with new convs and resend every message not yet
# echoed. In the end every message is echoed and verified; the report gives
# the restart time, the clients' reconnects and resent messages, and the
# largest RTT (the gap a message waited across the crash).
set -u
. "$(dirname "$0")/lib/robust.sh"

CLIENTS=4
COUNT=500
BACK_MS=2000

robust_init crash ./kcp_client
if ! robust_relaunch --max-restarts 3 -- --stats 0; then
  fail "crash: ./minimal under relaunch.sh answers on $S"
  netns_finish
fi

nsx timeout 80 ./kcp_client --bench --json --reconnect --timeout 2 --clients $CLIENTS --count $COUNT \
  --size 1-3000 --interval 10 $S >"$TAP_TMP/bench.json" 2>"$TAP_TMP/bench.err" &
BENCH_PID=$!
sleep 2
old=$MINIMAL_PID
t0=$(date +%s%N)
kill -SEGV "$old"
wait_for 5 grep -q "pid $old killed by SIGSEGV" "$ROBUST_LOG"
restarted() { [ "$(child_pid)" != "$old" ]; }
wait_for 10 restarted
wait_for 10 ping_up
ping_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait_for 10 kcp_up
back_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
MINIMAL_PID=$(child_pid)
check "crash: supervisor logged the SIGSEGV and restarted ./minimal (pid $old -> $MINIMAL_PID)" \
  test "$MINIMAL_PID" != "$old" -a -n "$(grep "pid $old killed by SIGSEGV" "$ROBUST_LOG")"
check "crash: server back ${back_ms} ms after the kill: a new KCP session echoes (ping at ${ping_ms} ms; bound $BACK_MS ms)" \
  test "$back_ms" -le $BACK_MS

wait $BENCH_PID; rc=$?
echo "  bench: $(json_line "$TAP_TMP/bench.json")"
sent=$(jget sent "$TAP_TMP/bench.json"); verified=$(jget verified "$TAP_TMP/bench.json")
reconnects=$(jget reconnects "$TAP_TMP/bench.json"); resends=$(jget resends "$TAP_TMP/bench.json")
check "crash: all $((CLIENTS * COUNT)) messages echoed and verified (exit $rc, sent ${sent:-?}, verified ${verified:-?})" \
  test "$rc" -eq 0 -a "${verified:-0}" = $((CLIENTS * COUNT))
check "crash: every client reconnected (reconnects ${reconnects:-?} >= $CLIENTS; resent ${resends:-?} messages; dead $(jget dead "$TAP_TMP/bench.json"); rtt max $(jget rtt_max_ms "$TAP_TMP/bench.json") ms)" \
  test "${reconnects:-0}" -ge $CLIENTS -a "${resends:-0}" -ge 1

if stats_now; then
  grep '^kcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
  check "crash: the restarted server dropped the old sessions' segments ($(mstat kcpecho: dropped) dropped)" \
    test "$(mstat kcpecho: dropped)" -gt 0
  check "crash: it opened only new conversations (opened $(mstat kcpecho: opened) = $CLIENTS clients + 1 probe)" \
    test "$(mstat kcpecho: opened)" = $((CLIENTS + 1))
else
  fail "crash: the restarted ./minimal (pid $MINIMAL_PID) prints its counters"
  tail -n 20 "$ROBUST_LOG"
fi
check "crash: one restart in the supervisor's log" \
  test "$(grep -c 'started .* (pid ' "$ROBUST_LOG")" = 2
sed -n 's/^relaunch: /  relaunch: /p' "$ROBUST_LOG"

kill -TERM "$RELAUNCH_PID" 2>/dev/null
wait_for 10 sh -c "! kill -0 $RELAUNCH_PID 2>/dev/null"
netns_finish
