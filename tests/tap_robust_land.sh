#!/usr/bin/env bash
# tap_robust_land.sh - datagrams no host may send: UDP "from" 192.168.0.2:7
# to 192.168.0.2:7 (the land attack: an echo would answer itself through
# lwIP's loopback queue forever), from 127.0.0.1, from the subnet's
# broadcast address, from 255.255.255.255, from a multicast address, and
# over IPv6 from our own link-local address and from ::1, each to the UDP
# echo (:7), the TCP echo's port and the KCP echo (:8000), while a
# `kcp_client --bench` session runs beside them.
#
# Checks: the live session verifies every echo; ./minimal still answers ping
# and UDP echo; every forged frame is counted as a bogus source on the tap
# and none reaches an echo service; SIGTERM still ends ./minimal at once.
set -u
. "$(dirname "$0")/lib/robust.sh"

FORGE=(python3 tests/lib/forge_frame.py tap0)
LEGIT=300   # messages of the live session, one every 10 ms
EACH=50     # frames of each forged kind

robust_init land
robust_start land "$TAP_TMP/minimal.log"
ll=$(sed -n 's/^minimal: IPv6 \([^ ]*\) (link-local)$/\1/p' "$ROBUST_LOG" | head -n 1)
stats_now
bogus0=$(mstat "tap tap0:" bogus_src); req0=$(mstat udpecho: requests); open0=$(mstat kcpecho: opened)

nsx timeout 60 ./kcp_client --bench --json --count $LEGIT --interval 10 $S \
  >"$TAP_TMP/legit.json" 2>"$TAP_TMP/legit.err" &
LEGIT_PID=$!
sleep 0.5
sent=0
forge() {
  local out
  out=$(nsx timeout 20 "${FORGE[@]}" "$@" $EACH) && sent=$((sent + EACH))
  echo "  forged $*: $out"
}
for port in 7 8000; do
  forge $S $S $port $port land
  forge 127.0.0.1 $S $port $port land
  forge 192.168.0.255 $S $port $port land
  forge 255.255.255.255 $S $port $port land
  forge 224.0.0.1 $S $port $port land
  forge 0.0.0.0 $S $port $port land
  if [ -n "$ll" ]; then
    forge "$ll" "$ll" $port $port land
    forge ::1 "$ll" $port $port land
  fi
done
wait $LEGIT_PID; lrc=$?

check "land: the link-local address is printed at start-up ($ll)" test -n "$ll"
check "land: ./minimal still running" proc_alive "$MINIMAL_PID"
check "land: ping still answered" nsx ping -c1 -W2 $S
check "land: UDP echo still answered" udp_ok
lver=$(jget verified "$TAP_TMP/legit.json")
check "land: live session, $LEGIT messages all verified (exit $lrc, verified ${lver:-?}, rtt p99 $(jget rtt_p99_ms "$TAP_TMP/legit.json") ms)" \
  test "$lrc" -eq 0 -a "${lver:-0}" = $LEGIT
if stats_now; then
  bogus=$(( $(mstat "tap tap0:" bogus_src) - bogus0 ))
  req=$(( $(mstat udpecho: requests) - req0 ))
  opened=$(( $(mstat kcpecho: opened) - open0 ))
  check "land: every forged frame counted as a bogus source ($bogus of $sent)" test "$bogus" -eq "$sent"
  check "land: the UDP echo answered only our own probe ($req requests)" test "$req" -le 2
  check "land: only the live session opened ($opened)" test "$opened" -eq 1
else
  fail "land: ./minimal prints its counters"
fi
t0=$(date +%s%N)
stop_minimal; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "land: SIGTERM ends ./minimal with status 0 in ${ms} ms" test "$rc" -eq 0 -a "$ms" -lt 3000
netns_finish
