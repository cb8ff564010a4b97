#!/usr/bin/env bash
# tap_robust_dad.sh - forged IPv6 neighbour advertisements for ./minimal's
# link-local address (tests/lib/forge_na.py), with a live KCP session over
# that address beside them.
#
# Checks: advertisements sent once the address is valid are dropped before
# lwIP (counted as "defended", logged) and the live session over IPv6
# verifies every echo; advertisements sent during duplicate address
# detection, right at start-up, make lwIP declare the address a duplicate,
# and ./minimal logs it and re-creates it: once they stop, the address
# passes detection and answers ping6 and KCP again.
set -u
. "$(dirname "$0")/lib/robust.sh"

FORGE=(python3 tests/lib/forge_na.py tap0)
LEGIT=300   # messages of the live session, one every 10 ms

robust_init dad ./kcp_client
robust_start dad "$TAP_TMP/minimal.log"
LL=$(sed -n 's/^minimal: IPv6 \([^ ]*\) (link-local)$/\1/p' "$ROBUST_LOG" | head -n 1)
ping6_up() { nsx ping -6 -c 1 -W 1 "$LL%tap0" >/dev/null 2>&1; }
check "dad: the link-local address ($LL) answers ping6" wait_for 10 ping6_up

nsx timeout 60 ./kcp_client --bench --json --count $LEGIT --interval 10 "$LL%tap0" \
  >"$TAP_TMP/legit.json" 2>"$TAP_TMP/legit.err" &
LEGIT_PID=$!
sleep 0.5
echo "  forged: $(nsx "${FORGE[@]}" "$LL" 20 0.05 | tail -n 1)"
wait $LEGIT_PID; lrc=$?
lver=$(jget verified "$TAP_TMP/legit.json")
check "dad: live KCP session over $LL, $LEGIT messages all verified (exit $lrc, verified ${lver:-?})" \
  test "$lrc" -eq 0 -a "${lver:-0}" = $LEGIT
check "dad: ping6 still answered after 20 advertisements" ping6_up
stats_now
grep '^ip6guard:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
check "dad: all 20 dropped before lwIP as claims on a valid address ($(mstat ip6guard: defended))" \
  test "$(mstat ip6guard: defended)" = 20
check "dad: and logged" grep -q "^minimal: IPv6 $LL: a neighbour advertisement from 02:00:00:00:00:99 claims it" "$ROBUST_LOG"
stop_minimal >/dev/null

# During detection: advertisements every 50 ms from before ./minimal starts
# until 3 s after its banner (detection starts with the netif, about when
# the banner is out; on a loaded machine the process may take seconds to
# get there, and the forger seconds to start).
netns_bg "${FORGE[@]}" "$LL" 400 0.05 >"$TAP_TMP/forger.out"
FORGER_PID=$NETNS_LAST_PID
wait_for 10 grep -q '^sending' "$TAP_TMP/forger.out"
ROBUST_LOG=$TAP_TMP/minimal2.log
netns_bg ./minimal --stats 0 >"$ROBUST_LOG" 2>&1
MINIMAL_PID=$NETNS_LAST_PID
wait_for 10 grep -q '^minimal: KCP echo on' "$ROBUST_LOG"
sleep 3
kill "$FORGER_PID" 2>/dev/null
wait "$FORGER_PID" 2>/dev/null
check "dad: an advertisement during detection made it a duplicate; logged and re-created" \
  wait_for 5 grep -q "^minimal: IPv6 $LL was declared a duplicate .*re-creating it" "$ROBUST_LOG"
t0=$(date +%s%N)
check "dad: once they stop, the re-created address answers ping6 again" wait_for 10 ping6_up
echo "  back $(( ($(date +%s%N) - t0) / 1000000 )) ms after the last advertisement"
echo hello | nsx timeout 10 ./kcp_client --timeout 5 "$LL%tap0" >"$TAP_TMP/kcp.out" 2>&1
check "dad: and a new KCP session over it echoes" grep -qx hello "$TAP_TMP/kcp.out"
stats_now
grep '^ip6guard:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
check "dad: re-creations counted ($(mstat ip6guard: recreated))" test "$(mstat ip6guard: recreated)" -ge 1
stop_minimal; rc=$?
check "dad: SIGTERM ends ./minimal with status 0" test "$rc" -eq 0
netns_finish
