#!/usr/bin/env bash
# tap_robust_slowloris.sh - slowloris on the TCP echo beside a live KCP
# session: 200 connections (the cap) from tests/lib/tcp_hold.py --drip,
# each sending one byte every 0.5 s, so that none is ever idle for the 1 s
# that idle eviction needs.
#
# Checks: once the connections have been measured for one rate window
# (TCPECHO_RAW_RATE_WINDOW_MS, 5 s) a new TCP client gets in by evicting
# the slowest (counted as "slow"), and each of 4 newcomers is served with
# every message verified; the live KCP session verifies every echo; the
# busy-client case (no eviction of a client at a real rate) stays with
# tests/tap_robust_tcp.sh.
set -u
. "$(dirname "$0")/lib/robust.sh"

CAP=200
LEGIT=900    # messages of the live KCP session, one every 10 ms
tstat() { mstat tcpecho: "$1"; }

robust_init slowloris ./kcp_client
robust_start slowloris "$TAP_TMP/minimal.log"

nsx timeout 60 ./kcp_client --bench --json --count $LEGIT --interval 10 $S \
  >"$TAP_TMP/legit.json" 2>"$TAP_TMP/legit.err" &
LEGIT_PID=$!
netns_bg python3 tests/lib/tcp_hold.py $S 7 --abandon $CAP --drip 0.5 --hold 30 >"$TAP_TMP/drip.out" 2>&1
DRIP_PID=$NETNS_LAST_PID
wait_for 30 grep -q '^holding' "$TAP_TMP/drip.out"
echo "  dripper: $(head -n 1 "$TAP_TMP/drip.out")"
check "slowloris: $CAP trickling connections opened" grep -q "^opened $CAP refused 0 " "$TAP_TMP/drip.out"
t0=$(date +%s%N)
sleep 6
stats_now; slow0=$(tstat slow)
grep '^tcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
check "slowloris: the cap is full of trickling connections (active $(tstat active))" test "$(tstat active)" = $CAP
nsx timeout 30 ./kcp_client --tcp --bench --json --clients 4 --count 50 --size 1-2000 --timeout 10 $S \
  >"$TAP_TMP/new.json" 2>"$TAP_TMP/new.err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
v=$(jget verified "$TAP_TMP/new.json")
stats_now
grep '^tcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
check "slowloris: 4 new TCP clients served, 200 messages verified (exit $rc, verified ${v:-?}), ${ms} ms after the drip began" \
  test "$rc" -eq 0 -a "${v:-0}" = 200
check "slowloris: they took the slots of the slowest ($(( $(tstat slow) - slow0 )) evicted for their rate)" \
  test $(( $(tstat slow) - slow0 )) -ge 4
wait $LEGIT_PID; lrc=$?
lver=$(jget verified "$TAP_TMP/legit.json")
check "slowloris: live KCP session, $LEGIT messages all verified (exit $lrc, verified ${lver:-?}, p99 $(jget rtt_p99_ms "$TAP_TMP/legit.json") ms)" \
  test "$lrc" -eq 0 -a "${lver:-0}" = $LEGIT
kill -KILL "$DRIP_PID" 2>/dev/null
wait "$DRIP_PID" 2>/dev/null
stop_minimal; rc=$?
check "slowloris: SIGTERM ends ./minimal with status 0" test "$rc" -eq 0
netns_finish
