#!/usr/bin/env bash
# tap_robust_synflood.sh - a SYN flood on the TCP echo port beside a live
# KCP session: build/tests/tools/syn_flood sends spoofed SYNs from random
# 10.x sources at SYN_RATE per second (20 000) for SYN_SECONDS (6; make
# bench runs 30) while `kcp_client --bench` sends one message every 10 ms.
#
# Checks: every message of the live session is echoed and verified with a
# p99 RTT under SYN_P99_MAX_MS; the tap's SYN guard (ports/unix/netif/synguard.h)
# never lets more than its limit be half-open and evicted the oldest; a new
# TCP echo connection works right after the flood, ping too. Then a flood
# from one source address: its SYNs beyond the per-source limit are
# dropped; and SYNs in two fragments, the flags in the second: the first
# fragments are dropped. The last line, "synflood: rate R p99 P", is read by make bench.
set -u
. "$(dirname "$0")/lib/robust.sh"

FLOOD=build/tests/tools/syn_flood
SYN_RATE=${SYN_RATE:-20000}
SYN_SECONDS=${SYN_SECONDS:-6}
# The target, p99 < 100 ms, is make bench's (bench/robust-synflood.sh sets
# SYN_P99_MAX_MS=100); make check, on a machine shared with other jobs,
# asks for a live session (every echo verified) with p99 under 1 s: before
# the guard a flood of 5 000 SYN/s made it 860 ms and 10 000 killed it.
P99_MAX_MS=${SYN_P99_MAX_MS:-1000}
LEGIT=$((SYN_SECONDS * 100 - 100))   # messages of the live session, one every 10 ms

robust_init synflood ./kcp_client "$FLOOD"
# The host side's queue toward ./minimal: 1000 frames (the default) are 50 ms
# of this flood, and on a loaded machine (2 cores shared by many jobs) the
# reader thread can wait longer than that for a CPU; the kernel would then
# drop frames, the live session's among them, for want of a CPU and not
# because of anything ./minimal does. TAP_TXQUEUELEN=1000 shows that.
nsx ip link set tap0 txqueuelen "${TAP_TXQUEUELEN:-10000}"
robust_start synflood "$TAP_TMP/minimal.log"

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
  test "$frc" -eq 0 -a "${rate:-0}" -ge $((SYN_RATE * 99 / 100))
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
hidden0=$(mstat synguard: hidden); syns0=$(mstat synguard: syns)
nsx timeout 30 "$FLOOD" --rate 2000 --seconds 1 --frag $S >"$TAP_TMP/flood2.out"
echo "  fragmented: $(cat "$TAP_TMP/flood2.out")"
if stats_now; then
  grep '^synguard:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
  check "synflood: fragmented SYNs: first fragments without the TCP flags dropped ($(( $(mstat synguard: hidden) - hidden0 ))), no new half-open ($(( $(mstat synguard: syns) - syns0 )) tracked)" \
    test "$(( $(mstat synguard: hidden) - hidden0 ))" -ge 1900 -a "$(mstat synguard: syns)" = "$syns0"
else
  fail "synflood: ./minimal prints its counters"
fi
check "synflood: ping still answered" ping_up
stop_minimal; rc=$?
check "synflood: SIGTERM ends ./minimal with status 0" test "$rc" -eq 0
echo "synflood: rate ${rate:-0} p99 ${p99:-0}"
netns_finish
