#!/usr/bin/env bash
# tap_robust_garbage.sh - garbage flood: 100 000 datagrams that no
# KCP session can take (random bytes, truncated headers, a len beyond the
# datagram, unknown commands, segments of random convs that cannot open a
# session, a stray segment with a broken tail), from 64 source ports, to
# 192.168.0.2:8000 while one legitimate `kcp_client --bench` session runs.
#
# Checks: ./minimal stays up; its peak RSS (VmHWM) stays under RSS_BOUND_KB;
# every message of the legitimate session is echoed and verified; no flood
# datagram gets an answer; no session is opened or refused by the flood; and
# every flood datagram is accounted for: dropped by the kernel's tap queue
# (tap0 tx_dropped, namespace side) or counted by kcpecho as malformed or
# dropped, so  sent <= kernel drops + malformed + dropped <= sent + the
# legitimate client's own datagrams (which share both counters' paths).
#
# Flood: tests/tools/kcp_flood (make build/tests/tools/kcp_flood), paced at
# 40 000 datagrams/s (about 2.5 s), so most of it reaches ./minimal.
set -u
. "$(dirname "$0")/lib/robust.sh"

FLOOD=build/tests/tools/kcp_flood
COUNT=100000
RSS_BOUND_KB=32768
LEGIT=600           # messages of the legitimate session, one every 10 ms
LEGIT_SLACK=20000   # upper bound of the legitimate client's datagrams

robust_init "garbage flood" "$FLOOD" ./kcp_client
robust_start "garbage flood" "$TAP_TMP/minimal.log"

# Baseline RTT of a session on a quiet link, for the log.
nsx timeout 30 ./kcp_client --bench --json --count 200 --interval 5 $S >"$TAP_TMP/base.json" 2>&1
echo "  baseline: p50 $(jget rtt_p50_ms "$TAP_TMP/base.json") ms, p99 $(jget rtt_p99_ms "$TAP_TMP/base.json") ms"

stats_now
in0=$(mstat kcpecho: in); mal0=$(mstat kcpecho: malformed); drop0=$(mstat kcpecho: dropped)
open0=$(mstat kcpecho: opened); ref0=$(mstat kcpecho: refused); tapin0=$(mstat "tap tap0:" in)
txp0=$(tapdev tx_packets); txd0=$(tapdev tx_dropped)

nsx timeout 60 ./kcp_client --bench --json --count $LEGIT --interval 10 --conv 0x600d $S \
  >"$TAP_TMP/legit.json" 2>"$TAP_TMP/legit.err" &
LEGIT_PID=$!
sleep 1
nsx timeout 60 "$FLOOD" --mode garbage --count $COUNT --sockets 64 --pps 40000 --seed 5 $S 8000 \
  >"$TAP_TMP/flood.out" 2>&1
frc=$?
wait $LEGIT_PID; lrc=$?
sleep 0.5

echo "  $(cat "$TAP_TMP/flood.out")"
echo "  legit: $(json_line "$TAP_TMP/legit.json")"
sent=$(awk '{ for (i = 1; i < NF; i++) if ($i == "sent") print $(i + 1) }' "$TAP_TMP/flood.out")
replies=$(awk '{ for (i = 1; i < NF; i++) if ($i == "replies") print $(i + 1) }' "$TAP_TMP/flood.out")
check "garbage flood: $COUNT datagrams sent (exit $frc)" test "$frc" -eq 0 -a "${sent:-0}" = $COUNT

check "garbage flood: ./minimal still running" proc_alive "$MINIMAL_PID"
if ! stats_now; then
  fail "garbage flood: ./minimal prints its counters"
  netns_finish
fi
hwm=$(hwm_kb "$MINIMAL_PID"); rss=$(rss_kb "$MINIMAL_PID")
check "garbage flood: peak RSS ${hwm} kB <= bound $RSS_BOUND_KB kB (now $rss kB)" \
  test "${hwm:-999999999}" -le $RSS_BOUND_KB

lsent=$(jget sent "$TAP_TMP/legit.json"); lver=$(jget verified "$TAP_TMP/legit.json")
check "garbage flood: legitimate session, $LEGIT messages all verified (exit $lrc, sent ${lsent:-?}, verified ${lver:-?}; rtt p50 $(jget rtt_p50_ms "$TAP_TMP/legit.json") p99 $(jget rtt_p99_ms "$TAP_TMP/legit.json") max $(jget rtt_max_ms "$TAP_TMP/legit.json") ms)" \
  test "$lrc" -eq 0 -a "${lsent:-0}" = $LEGIT -a "${lver:-0}" = $LEGIT

mal=$(( $(mstat kcpecho: malformed) - mal0 )); drop=$(( $(mstat kcpecho: dropped) - drop0 ))
inn=$(( $(mstat kcpecho: in) - in0 )); tapin=$(( $(mstat "tap tap0:" in) - tapin0 ))
opened=$(( $(mstat kcpecho: opened) - open0 )); refused=$(( $(mstat kcpecho: refused) - ref0 ))
txp=$(( $(tapdev tx_packets) - txp0 )); txd=$(( $(tapdev tx_dropped) - txd0 ))
total=$((txd + mal + drop))
echo "  accounting: sent $sent = kernel tap drops $txd + kcpecho malformed $mal + dropped $drop" \
  "(= $total, legit traffic included); kcpecho in $inn, ./minimal tap in $tapin, tap0 tx $txp"
check "garbage flood: every datagram counted (sent $sent <= $total <= sent + $LEGIT_SLACK)" \
  test "$total" -ge "${sent:-0}" -a "$total" -le $(( ${sent:-0} + LEGIT_SLACK ))
check "garbage flood: ./minimal read every frame the kernel queued (tap in $tapin, tap0 tx $txp)" \
  test $((txp - tapin)) -le 10 -a $((tapin - txp)) -le 10
check "garbage flood: no answer to any flood datagram (replies ${replies:-?})" test "${replies:-1}" = 0
check "garbage flood: only the legitimate session opened, none refused (opened $opened, refused $refused)" \
  test "$opened" = 1 -a "$refused" = 0

nsx timeout 30 ./kcp_client --bench --json --count 100 --size 1-4000 $S >"$TAP_TMP/after.json" 2>&1
check "garbage flood: a new session works afterwards (verified $(jget verified "$TAP_TMP/after.json"))" \
  test "$(jget verified "$TAP_TMP/after.json")" = 100

stop_minimal
netns_finish
