#!/usr/bin/env bash
# tap_kcp_pin.sh - one hostile host pins memory: SESSIONS sessions each push
# 512 full-size segments (four receive windows: echoes the server can never
# send, messages it cannot deliver, a full out-of-order ring) while
# advertising a zero window, then keep every session "alive" with a WINS
# each second, beside a live kcp_client session that verifies its echoes.
# ./minimal runs with its defaults.
#
# Checks: the peak RSS of ./minimal stays under 64 MB (its budget bounds the
# segments held in total and evicts the costliest stalled sessions); the
# pinning sessions are closed by the stall limit although the WINS go on;
# RSS is back under 16 MB within a minute once they stop (memory returned
# to the system); the live session verifies every echo.
#
# SESSIONS is 256 here to stay quick (unbounded, they would pin ~190 MB);
# the full-size run (1024) is bench/kcp-sessions.sh's robustness row.
set -u
. "$(dirname "$0")/lib/robust.sh"

FLOOD=build/tests/tools/kcp_flood
SESSIONS=${SESSIONS:-256}
WINDOW=512
HOLD=15
PEAK_KB=65536
AFTER_KB=16384
LEGIT=1500          # messages of the live session, one every 10 ms

robust_init pinning "$FLOOD" ./kcp_client
robust_start pinning "$TAP_TMP/minimal.log"
rss0=$(rss_kb "$MINIMAL_PID")

nsx timeout 90 ./kcp_client --bench --json --count $LEGIT --interval 10 --timeout 10 $S \
  >"$TAP_TMP/legit.json" 2>"$TAP_TMP/legit.err" &
LEGIT_PID=$!
sleep 0.5
nsx timeout 90 "$FLOOD" --mode pin --count $((SESSIONS * WINDOW)) --window $WINDOW --sockets 64 \
  --pps 40000 --hold $HOLD --conv-base 0x70000000 $S 8000 >"$TAP_TMP/flood.out" 2>&1 &
FLOOD_PID=$!
max_live $FLOOD_PID
wait $FLOOD_PID; frc=$?
stats_now
live_end=$(mstat kcpecho: sessions)
echo "  $(cat "$TAP_TMP/flood.out")"
grep '^kcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
hwm=$(hwm_kb "$MINIMAL_PID")

check "pinning: $SESSIONS sessions x $WINDOW segments sent, then WINS for $HOLD s (exit $frc)" test "$frc" -eq 0
check "pinning: peak RSS ${hwm:-?} kB < $PEAK_KB kB (start $rss0 kB, live sessions up to $MAX_LIVE)" \
  test "${hwm:-999999999}" -lt $PEAK_KB
check "pinning: sessions closed although their WINS went on (stalled $(mstat kcpecho: stalled), evicted $(mstat kcpecho: evicted), live at the end $live_end)" \
  test "$(mstat kcpecho: stalled)" -gt 0 -a "${live_end:-99}" -le 1
rss_small() { [ "$(rss_kb "$MINIMAL_PID")" -lt $AFTER_KB ]; }
t0=$SECONDS
wait_for 60 rss_small; ok=$?
check "pinning: RSS back under $AFTER_KB kB within 60 s of the end ($(rss_kb "$MINIMAL_PID") kB after $((SECONDS - t0)) s)" \
  test "$ok" -eq 0
wait $LEGIT_PID; lrc=$?
echo "  legit: $(json_line "$TAP_TMP/legit.json")"
lsent=$(jget sent "$TAP_TMP/legit.json"); lver=$(jget verified "$TAP_TMP/legit.json")
check "pinning: live session, $LEGIT messages all verified (exit $lrc, verified ${lver:-?}; rtt p99 $(jget rtt_p99_ms "$TAP_TMP/legit.json") ms)" \
  test "$lrc" -eq 0 -a "${lsent:-0}" = $LEGIT -a "${lver:-0}" = $LEGIT
check "pinning: ./minimal still running" proc_alive "$MINIMAL_PID"
stop_minimal
netns_finish
