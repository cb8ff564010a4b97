#!/usr/bin/env bash
# tap_robust_synflood.sh - a SYN flood on the TCP echo port beside a live
# KCP session: build/tests/tools/syn_flood sends spoofed SYNs from random
# 10.x sources at SYN_RATE per second (20 000) for SYN_SECONDS (10; make
# bench runs 30) while `kcp_client --bench` sends one message every 10 ms.
#
# Checks: every message of the live session is echoed and verified with a
# p99 RTT under 100 ms; the tap's SYN guard (ports/unix/netif/synguard.h)
# never lets more than its limit be half-open and evicted the oldest; a new
# TCP echo connection works right after the flood, ping too. Then a flood
# from one source address: its SYNs beyond the per-source limit are
# dropped; and SYNs in two fragments, the flags in the second: the first
# fragments are dropped. The last line, "synflood: rate R p99 P", is read by make bench.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh
. tests/lib/robust.sh

S=192.168.0.2
FLOOD=build/tests/tools/syn_flood
SYN_RATE=${SYN_RATE:-20000}
SYN_SECONDS=${SYN_SECONDS:-10}
P99_MAX_MS=100
LEGIT=$((SYN_SECONDS * 100 - 100))   # messages of the live session, one every 10 ms

[ -x "$FLOOD" ] && [ -x ./kcp_client ] || { echo "FAIL: synflood: $FLOOD and ./kcp_client must be built"; exit 1; }
tap_init
ROBUST_LOG=$TAP_TMP/minimal.log
if ! start_minimal "$ROBUST_LOG" --stats 0; then
  fail "synflood: ./minimal answers on $S"
  netns_finish
fi

nsx timeout $((SYN_SECONDS + 60)) ./kcp_client --bench --json --count $LEGIT --interval 10 $S \
  >"$TAP_TMP/legit.json" 2>"$TAP_TMP/legit.err" &
LEGIT_PID=$!
sleep 0.5
drop0=$(tapdev tx_dropped)
nsx timeout $((SYN_SECONDS + 30)) "$FLOOD" --rate "$SYN_RATE" --seconds "$SYN_SECONDS" $S >"$TAP_TMP/flood.out"; frc=$?
echo "  $(cat "$TAP_TMP/flood.out"); frames the tap's kernel queue dropped: $(( $(tapdev tx_dropped) - drop0 ))"
rate=$(awk '{ print $NF }' "$TAP_TMP/flood.out")
wait $LEGIT_PID; lrc=$?
echo "  live session: $(json_line "$TAP_TMP/legit.json")"

check "synflood: the flooder sent at ${rate:-?}/s for $SYN_SECONDS s (exit $frc)" \
  test "$frc" -eq 0 -a "${rate:-0}" -ge $((SYN_RATE * 9 / 10))
lver=$(jget verified "$TAP_TMP/legit.json")
p99=$(jget rtt_p99_ms "$TAP_TMP/legit.json")
check "synflood: live session, $LEGIT messages all verified (exit $lrc, verified ${lver:-?})" \
  test "$lrc" -eq 0 -a "${lver:-0}" = $LEGIT
check "synflood: live session p99 RTT ${p99:-?} ms < $P99_MAX_MS ms under $rate SYN/s" \
  awk -v p="${p99:-999999}" -v m=$P99_MAX_MS 'BEGIN { exit !(p < m) }'
check "synflood: ./minimal still running" proc_alive "$MINIMAL_PID"
check "synflood: ping answered after the flood" ping_up
check "synflood: a new TCP echo connection works after the flood" probe tcp-echo --bytes 100000 --timeout 5 --deadline 20
if stats_now; then
  grep '^synguard:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
  check "synflood: half-open handshakes bounded ($(mstat synguard: half_open) <= 256), oldest evicted ($(mstat synguard: evicted))" \
    test "$(mstat synguard: half_open)" -le 256 -a "$(mstat synguard: evicted)" -gt 0
else
  fail "synflood: ./minimal prints its counters"
fi

sdrop0=$(mstat synguard: dropped)
nsx timeout 30 "$FLOOD" --rate 2000 --seconds 1 --source 10.9.9.9 $S >"$TAP_TMP/flood1.out"
echo "  one source: $(cat "$TAP_TMP/flood1.out")"
if stats_now; then
  check "synflood: one source's SYNs beyond its limit are dropped ($(( $(mstat synguard: dropped) - sdrop0 )) of 2000)" \
    test "$(( $(mstat synguard: dropped) - sdrop0 ))" -ge 1900
else
  fail "synflood: ./minimal prints its counters"
fi
# Each SYN in two fragments, its flags in the second: the guard cannot see
# them in the first, so it drops it (RFC 1858), and nothing gets half-open.
tiny0=$(mstat synguard: tiny); syns0=$(mstat synguard: syns)
nsx timeout 30 "$FLOOD" --rate 2000 --seconds 1 --frag $S >"$TAP_TMP/flood2.out"
echo "  fragmented: $(cat "$TAP_TMP/flood2.out")"
if stats_now; then
  grep '^synguard:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
  check "synflood: fragmented SYNs: first fragments without the TCP flags dropped ($(( $(mstat synguard: tiny) - tiny0 ))), no new half-open ($(( $(mstat synguard: syns) - syns0 )) tracked)" \
    test "$(( $(mstat synguard: tiny) - tiny0 ))" -ge 1900 -a "$(mstat synguard: syns)" = "$syns0"
else
  fail "synflood: ./minimal prints its counters"
fi
check "synflood: ping still answered" ping_up
stop_minimal; rc=$?
check "synflood: SIGTERM ends ./minimal with status 0" test "$rc" -eq 0
echo "synflood: rate ${rate:-0} p99 ${p99:-0}"
netns_finish
