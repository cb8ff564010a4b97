#!/usr/bin/env bash
# tap_echo.sh - ./minimal through a tap: ping, UDP echo (0 B to 8 KB, IP
# fragments), TCP echo with real clients (nc, socat, telnet, 50 at once,
# 1 MB), clients vanishing mid-stream, a client that never reads, counters
# on SIGUSR1 and a clean stop on SIGTERM.
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/minimal.log

start_minimal "$LOG" || { cat "$LOG"; fail "minimal starts"; netns_finish; }
pass "minimal starts and prints one line per service"
# Each service on IPv4 and on the link-local IPv6 address, as the host
# writes them ([fe80::...%tap0]:port).
LL6='fe80::[0-9a-f:]*%tap0'
check "start-up names ICMP, UDP 7, TCP 7, KCP 8000 on IPv4 and IPv6" \
  bash -c "grep -q '^minimal: ICMP echo on 192.168.0.2, $LL6\$' '$LOG' &&
           grep -q '^minimal: UDP echo on 192.168.0.2:7, \[$LL6\]:7\$' '$LOG' &&
           grep -q '^minimal: TCP echo on 192.168.0.2:7, \[$LL6\]:7\$' '$LOG' &&
           grep -q '^minimal: KCP echo on 192.168.0.2:8000, \[$LL6\]:8000 ' '$LOG'"

check "ping 192.168.0.2 (3 of 3, 1472-byte payload too)" \
  bash -c "ip netns exec $NETNS ping -c3 -i0.2 -W1 -q 192.168.0.2 | grep -q ' 0% packet loss' &&
           ip netns exec $NETNS ping -c2 -i0.2 -W1 -s 1472 -q 192.168.0.2 | grep -q ' 0% packet loss'"

check "UDP echo 0, 1, 1472 and 8192 bytes byte-exact" probe udp-exact --sizes 0,1,1472,8192
check "UDP echo with socat" \
  bash -c "[ \"\$(printf socat-udp-probe | ip netns exec $NETNS timeout 5 socat -t1 - UDP:192.168.0.2:7)\" = socat-udp-probe ]"

head -c 1048576 /dev/urandom >"$TAP_TMP/1m.in"
nsx timeout 30 nc -N 192.168.0.2 7 <"$TAP_TMP/1m.in" >"$TAP_TMP/1m.nc"
check "TCP echo 1 MB byte-exact with nc" cmp -s "$TAP_TMP/1m.in" "$TAP_TMP/1m.nc"
nsx timeout 30 socat -t5 - TCP:192.168.0.2:7 <"$TAP_TMP/1m.in" >"$TAP_TMP/1m.socat"
check "TCP echo 1 MB byte-exact with socat" cmp -s "$TAP_TMP/1m.in" "$TAP_TMP/1m.socat"
check "TCP echo 1 MB byte-exact (python, half-close)" probe tcp-echo --bytes 1048576 --timeout 10
check "TCP echo, 50 concurrent clients x 64 KB byte-exact" \
  probe tcp-echo --clients 50 --bytes 65536 --timeout 10

{ sleep 0.5; echo "hello-from-telnet"; sleep 1; } | nsx timeout 10 telnet 192.168.0.2 7 >"$TAP_TMP/telnet.out" 2>&1
check "scripted telnet session gets its line back" \
  bash -c "grep -q 'Connected to 192.168.0.2' '$TAP_TMP/telnet.out' &&
           [ \$(grep -c '^hello-from-telnet' '$TAP_TMP/telnet.out') -ge 1 ]"

# clients that go away mid-stream: a RST with data in flight, and nc killed
probe tcp-abort --bytes 300000 >/dev/null
nsx timeout 1 nc 192.168.0.2 7 </dev/urandom >/dev/null 2>&1

# a client that sends and never reads: it must stall on a closed window
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$MINIMAL_PID/status")
out=$(probe tcp-abort --bytes 16777216)
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$MINIMAL_PID/status")
sent=$(sed -nE 's/.*sent=([0-9]+).*/\1/p' <<<"$out")
echo "never-reading client: pushed ${sent:-?} of 16777216 bytes, server RSS ${rss_before} -> ${rss_after} kB"
check "a client that never reads is stopped by flow control" [ "${sent:-16777216}" -lt 16777216 ]
check "  and the server's memory stays bounded (< 8 MB growth)" [ $((rss_after - rss_before)) -lt 8192 ]

check "healthy after clients vanished: UDP echo" udp_ok
check "healthy after clients vanished: TCP echo 100 KB" probe tcp-echo --bytes 100000 --timeout 10

active_zero() {
  kill -USR1 "$MINIMAL_PID"
  sleep 0.3
  grep '^tcpecho:' "$LOG" | tail -n1 | grep -q ' active 0 '
}
check "SIGUSR1 prints counters; no connection left behind" wait_for 5 active_zero
check "counters name frames, per-service requests and KCP" \
  bash -c "grep -q '^tap tap0: in [1-9]' '$LOG' && grep -q '^link tap0 in: ' '$LOG' &&
           grep -q '^icmp: requests [1-9]' '$LOG' && grep -q '^udpecho: requests [1-9]' '$LOG' &&
           grep -q '^kcpecho' '$LOG'"

stop_minimal
rc=$?
check "SIGTERM: exit 0 with final counters" \
  bash -c "[ $rc -eq 0 ] && grep -q '^minimal: stopping on' '$LOG'"
[ "$TEST_FAILED" -eq 0 ] || cat "$LOG"
netns_finish
