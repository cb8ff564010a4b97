#!/usr/bin/env bash
# tap_rtt.sh - UDP and TCP echo round-trip times through the tap, p50/p99,
# for the README. A measurement, not a pass/fail test: it is not in
# SCRIPTTESTS (numbers depend on the machine and its load).
#
#   tests/tap_rtt.sh [COUNT]      default 2000 round trips per protocol
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
COUNT=${1:-2000}
[[ $COUNT =~ ^[0-9]+$ ]] && [ "$COUNT" -ge 10 ] && [ "$COUNT" -le 100000 ] ||
  { echo "usage: tests/tap_rtt.sh [COUNT 10..100000]" >&2; exit 2; }
tap_init
LOG=$TAP_TMP/minimal.log

start_minimal "$LOG" || { cat "$LOG"; fail "minimal starts"; netns_finish; }
echo "$(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg); $COUNT round trips each, sequential"
for size in 64 1024; do
  probe udp-rtt --count 50 --size "$size" >/dev/null
  u=$(probe udp-rtt --count "$COUNT" --size "$size") || fail "UDP RTT $size bytes"
  t=$(probe tcp-rtt --count "$COUNT" --size "$size") || fail "TCP RTT $size bytes"
  echo "  $size-byte payload: $u"
  echo "  $size-byte payload: $t"
done
p=$(nsx ping -c 200 -i 0.01 -q 192.168.0.2 | tail -n1)
echo "  ping (ICMP, 56 bytes): $p"
stop_minimal >/dev/null
[ "$TEST_FAILED" -eq 0 ] && pass "tap RTT measured"
netns_finish
