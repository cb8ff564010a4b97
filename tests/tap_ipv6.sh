#!/usr/bin/env bash
# tap_ipv6.sh - ./minimal over IPv6 through a tap: its link-local address
# (from the MAC) and --ip6 fd00::2 answer ping, UDP echo, TCP echo and KCP
# echo; a KCP session over IPv6 and one over IPv4 with the same conv are two
# sessions (the binding keys them by address); bad --ip6 values exit 2.
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/minimal.log
C=./kcp_client
G=fd00::2
[ -x "$C" ] || { fail "./kcp_client must be built"; netns_finish; }

for bad in fe80::1 ff02::1 ::1 :: fd00::zz 192.168.0.2 ::ffff:1.2.3.4; do
  ./minimal --ip6 "$bad" >/dev/null 2>"$TAP_TMP/err"; rc=$?
  check "--ip6 $bad: exit 2 with a message (got $rc)" \
    bash -c "[ $rc -eq 2 ] && grep -q 'invalid --ip6' '$TAP_TMP/err'"
done

# The host side of the /64, without duplicate address detection (so it is
# usable at once); ./minimal's own addresses pass lwIP's DAD in about 1 s.
nsx ip -6 addr add fd00::1/64 dev tap0 nodad
start_minimal "$LOG" --ip6 "$G" || { cat "$LOG"; fail "minimal starts"; netns_finish; }
LL=$(awk '/^minimal: IPv6 .* \(link-local\)$/ { print $3 }' "$LOG")
check "start-up names the link-local address and $G" \
  bash -c "[ -n '$LL' ] && grep -qi '^minimal: IPv6 $G\$' '$LOG'"
check "ping6 $G" wait_for 10 nsx ping -6 -c1 -W1 "$G"
check "ping6 $LL%tap0 (link-local)" wait_for 10 nsx ping -6 -c1 -W1 "$LL%tap0"

check "UDP echo over IPv6 (socat)" \
  bash -c "[ \"\$(printf udp6-probe | ip netns exec $NETNS timeout 5 socat -t1 - 'UDP6:[$G]:7')\" = udp6-probe ]"
head -c 200000 /dev/urandom >"$TAP_TMP/tcp.in"
nsx timeout 30 socat -t5 - "TCP6:[$G]:7" <"$TAP_TMP/tcp.in" >"$TAP_TMP/tcp.out"
check "TCP echo over IPv6: 200 KB byte-exact (socat)" cmp -s "$TAP_TMP/tcp.in" "$TAP_TMP/tcp.out"

printf 'hello over v6\n' | nsx timeout 10 "$C" "$G" >"$TAP_TMP/kcp.out" 2>"$TAP_TMP/err"; rc=$?
check "KCP interactive over IPv6 (exit $rc)" test "$rc" -eq 0 -a "hello over v6" = "$(cat "$TAP_TMP/kcp.out")"
printf 'hello link-local\n' | nsx timeout 10 "$C" "$LL%tap0" >"$TAP_TMP/kcp.out" 2>"$TAP_TMP/err"; rc=$?
check "KCP interactive to the link-local address (exit $rc)" \
  test "$rc" -eq 0 -a "hello link-local" = "$(cat "$TAP_TMP/kcp.out")"

# The same conv from an IPv6 and an IPv4 client at once: two sessions, each
# with its own echoes, all verified.
nsx timeout 60 "$C" --bench --json --conv 7 --count 300 --size 1-20000 "$G" >"$TAP_TMP/v6.json" 2>&1 &
P6=$!
nsx timeout 60 "$C" --bench --json --conv 7 --count 300 --size 1-20000 192.168.0.2 >"$TAP_TMP/v4.json" 2>&1 &
P4=$!
wait $P6; rc6=$?
wait $P4; rc4=$?
echo "  IPv6: $(head -c 300 "$TAP_TMP/v6.json")"
echo "  IPv4: $(head -c 300 "$TAP_TMP/v4.json")"
check "KCP bench over IPv6 and IPv4 at once, same conv: 300 + 300 verified (exit $rc6, $rc4)" \
  bash -c "[ $rc6 -eq 0 ] && [ $rc4 -eq 0 ] && grep -q '\"verified\":300,' '$TAP_TMP/v6.json' &&
           grep -q '\"verified\":300,' '$TAP_TMP/v4.json'"
nsx timeout 60 "$C" --bench --json --stream --count 200 --size 1-65536 "$G" >"$TAP_TMP/s6.json" 2>&1; rc=$?
check "KCP stream mode over IPv6: 200 messages of 1..65536 bytes verified (exit $rc)" \
  bash -c "[ $rc -eq 0 ] && grep -q '\"verified\":200,' '$TAP_TMP/s6.json'"

kill -USR1 "$MINIMAL_PID"
# 2 interactive + 2 same-conv bench + 1 stream client: one session each.
check "5 clients, 5 sessions: the same-conv IPv6 and IPv4 clients were two" \
  wait_for 5 bash -c "grep '^kcpecho:' '$LOG' | tail -n1 | grep -q ' opened 5 '"
stop_minimal; rc=$?
check "SIGTERM: exit 0 (got $rc)" test "$rc" -eq 0

netns_finish
