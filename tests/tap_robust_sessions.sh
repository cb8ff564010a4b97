#!/usr/bin/env bash
# tap_robust_sessions.sh - session flood: valid first segments
# (PUSH, sn 0, a 16-byte message) from 100 000 distinct (source port, conv)
# pairs (100 sockets x 1000 convs) to ./minimal --kcp-max 1000 --kcp-idle 2,
# while a legitimate session (opened before the flood) runs a benchmark.
#
# Checks: the live session count, sampled every 0.3 s through the flood,
# never exceeds the cap; at the cap each newcomer evicts the session that
# made no progress the longest (counted), never the legitimate one; ./minimal's peak RSS
# (VmHWM) stays under RSS_BOUND_KB; the legitimate session verifies every
# message; once the flood stops, the flood's sessions expire by the idle
# timeout (live count back to 0, closed-by-idle counted) and the freed slots
# take new sessions again.
#
# The flooded sessions are never acknowledged (the flood tool reads and
# discards the echoes), so they hold one unacknowledged message each until
# they expire: the worst case for memory per session.
set -u
. "$(dirname "$0")/lib/robust.sh"

FLOOD=build/tests/tools/kcp_flood
COUNT=100000
CAP=1000
IDLE=2
RSS_BOUND_KB=65536
LEGIT=800           # messages of the legitimate session, one every 10 ms

robust_init "session flood" "$FLOOD" ./kcp_client
robust_start "session flood" "$TAP_TMP/minimal.log" --kcp-max $CAP --kcp-idle $IDLE
rss0=$(rss_kb "$MINIMAL_PID")

nsx timeout 60 ./kcp_client --bench --json --count $LEGIT --interval 10 --conv 0x600d $S \
  >"$TAP_TMP/legit.json" 2>"$TAP_TMP/legit.err" &
LEGIT_PID=$!
sleep 1
stats_now
ref0=$(mstat kcpecho: refused); ev0=$(mstat kcpecho: evicted); open0=$(mstat kcpecho: opened); txd0=$(tapdev tx_dropped)
nsx timeout 60 "$FLOOD" --mode sessions --count $COUNT --sockets 100 --pps 20000 --seed 7 $S 8000 \
  >"$TAP_TMP/flood.out" 2>&1 &
FLOOD_PID=$!
max_live $FLOOD_PID
max_live=$MAX_LIVE
wait $FLOOD_PID; frc=$?
wait $LEGIT_PID; lrc=$?
echo "  $(cat "$TAP_TMP/flood.out")"
echo "  legit: $(json_line "$TAP_TMP/legit.json")"

check "session flood: ./minimal still running" proc_alive "$MINIMAL_PID"
if ! stats_now; then
  fail "session flood: ./minimal prints its counters"
  netns_finish
fi
grep '^kcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
sent=$(awk '{ for (i = 1; i < NF; i++) if ($i == "sent") print $(i + 1) }' "$TAP_TMP/flood.out")
check "session flood: $COUNT first segments sent (exit $frc)" test "$frc" -eq 0 -a "${sent:-0}" = $COUNT
check "session flood: live sessions never above the cap (max sampled $max_live <= $CAP)" \
  test "$max_live" -le $CAP -a "$max_live" -gt 0
refused=$(( $(mstat kcpecho: refused) - ref0 ))
opened=$(( $(mstat kcpecho: opened) - open0 )); txd=$(( $(tapdev tx_dropped) - txd0 ))
evicted=$(( $(mstat kcpecho: evicted) - ev0 ))
check "session flood: evictions counted ($evicted)" test "$evicted" -gt 0
check "session flood: every first segment opened a session, was refused or dropped by the kernel (opened $opened + refused $refused + tap drops $txd >= $COUNT)" \
  test $((opened + refused + txd)) -ge $COUNT -a $((opened + refused)) -le $COUNT
hwm=$(hwm_kb "$MINIMAL_PID")
check "session flood: peak RSS ${hwm} kB <= bound $RSS_BOUND_KB kB (start $rss0 kB)" \
  test "${hwm:-999999999}" -le $RSS_BOUND_KB

lsent=$(jget sent "$TAP_TMP/legit.json"); lver=$(jget verified "$TAP_TMP/legit.json")
check "session flood: legitimate session, $LEGIT messages all verified (exit $lrc, sent ${lsent:-?}, verified ${lver:-?}; rtt p50 $(jget rtt_p50_ms "$TAP_TMP/legit.json") p99 $(jget rtt_p99_ms "$TAP_TMP/legit.json") max $(jget rtt_max_ms "$TAP_TMP/legit.json") ms)" \
  test "$lrc" -eq 0 -a "${lsent:-0}" = $LEGIT -a "${lver:-0}" = $LEGIT

sessions_zero() { stats_now && [ "$(mstat kcpecho: sessions)" = 0 ]; }
check "session flood: idle sessions expire (live count 0 within $((IDLE * 5 + 5)) s)" \
  wait_for $((IDLE * 5 + 5)) sessions_zero
echo "  after expiry: RSS $(rss_kb "$MINIMAL_PID") kB, opened $(mstat kcpecho: opened) closed $(mstat kcpecho: closed) idle $(mstat kcpecho: idle) dead $(mstat kcpecho: dead) refused $(mstat kcpecho: refused)"
check "session flood: closed by idle timeout counted" test "$(mstat kcpecho: idle)" -gt 0
check "session flood: opened - closed = live (0)" \
  test "$(mstat kcpecho: opened)" = "$(mstat kcpecho: closed)"

nsx timeout 30 ./kcp_client --bench --json --count 20 --clients 20 --size 1-2000 $S \
  >"$TAP_TMP/after.json" 2>&1
check "session flood: 20 new sessions work afterwards (verified $(jget verified "$TAP_TMP/after.json") of 400)" \
  test "$(jget verified "$TAP_TMP/after.json")" = 400

stop_minimal
netns_finish
