#!/usr/bin/env bash
# tap_valgrind.sh - ./minimal under valgrind memcheck while full-size
# (1514-byte) frames cross the tap both ways: 1472-byte UDP echoes, 8 KB
# fragmented ones, 1472-byte pings, a 1 MB TCP echo, 20 parallel clients
# and a reset mid-stream, through the delay queue and the pcap writer. The
# regression guard for PBUF_POOL overruns: 0 errors, clean exit.
#
# Leak errors count for "definite" only: lwIP has no tcpip_deinit(), so
# the core thread is still alive at exit and its TLS shows as "possibly
# lost".
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/valgrind.log
CAP=$TAP_TMP/vg.pcap
command -v valgrind >/dev/null || { fail "valgrind installed"; netns_finish; }

start_valgrind_minimal "$LOG" --pcap "$CAP" --delay 1 --dup 2 --seed 5 ||
  { cat "$LOG"; fail "minimal starts under valgrind"; netns_finish; }
pass "minimal starts under valgrind"

check "UDP echo 0, 1, 1472, 8192 bytes" probe udp-exact --sizes 0,1,1472,8192 --timeout 5
out=$(probe udp-loss --count 100 --size 1472 --interval 0.01 --timeout 5)
echo "$out"
check "100 x 1472-byte UDP echoes" bash -c "grep -q 'received=100 ' <<<'$out'"
check "1472-byte pings" bash -c "ip netns exec $NETNS ping -c5 -i0.2 -W2 -s 1472 -q 192.168.0.2 | grep -q ' 0% packet loss'"
check "TCP echo 1 MB byte-exact" probe tcp-echo --bytes 1048576 --timeout 20
check "TCP echo 20 clients x 64 KB" probe tcp-echo --clients 20 --bytes 65536 --timeout 20
probe tcp-abort --bytes 300000 >/dev/null

stop_minimal
rc=$?
valgrind_verdict "$LOG" "$rc"
check "full-size frames crossed both ways" \
  bash -c "[ \$(tshark -r '$CAP' -Y 'frame.len==1514 && ip.src==192.168.0.1' 2>/dev/null | wc -l) -ge 100 ] &&
           [ \$(tshark -r '$CAP' -Y 'frame.len==1514 && ip.src==192.168.0.2' 2>/dev/null | wc -l) -ge 100 ]"
[ "$TEST_FAILED" -eq 0 ] || tail -n 40 "$LOG"
netns_finish
