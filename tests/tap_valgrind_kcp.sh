#!/usr/bin/env bash
# tap_valgrind_kcp.sh - ./minimal under valgrind memcheck, end to end, with
# KCP as the focus (tap_valgrind.sh covers UDP/TCP frames in depth): one UDP
# and one TCP echo, then KCP through a lossy, duplicating, reordering link:
# ./kcp_client benchmarks in message mode (fragmented messages), stream mode
# and 20 parallel sessions, raw PUSH probes opening sessions, stray
# datagrams that must open none, sessions closed by the idle timeout, and
# the session cap. Then SIGTERM with sessions still open: exit 0, 0 errors,
# 0 bytes definitely lost (every session and engine freed on the way out).
#
# Leak errors count for "definite" only: lwIP has no tcpip_deinit(), so the
# core thread is still alive at exit and its TLS shows as "possibly lost".
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
S=192.168.0.2
LOG=$TAP_TMP/valgrind.log
command -v valgrind >/dev/null || { fail "valgrind installed"; netns_finish; }
[ -x ./kcp_client ] || { fail "./kcp_client built"; netns_finish; }

start_valgrind_minimal "$LOG" --loss 2 --dup 2 --reorder 2 --seed 11 --kcp-idle 5 --kcp-max 64 ||
  { cat "$LOG"; fail "minimal starts under valgrind"; netns_finish; }
pass "minimal starts under valgrind"

check "UDP echo 0, 1, 1472 bytes" probe udp-exact --sizes 0,1,1472 --timeout 5
check "TCP echo 64 KB byte-exact" probe tcp-echo --bytes 65536 --timeout 30

# bench NAME ARGS...: a ./kcp_client benchmark in the namespace; PASS when it
# exits 0 having verified every echo it was sent.
bench() {
  local name=$1 out rc sent verified; shift
  out=$(nsx timeout 90 ./kcp_client --bench --json --timeout 20 "$@" $S 2>&1)
  rc=$?
  sent=$(grep -o '"sent":[0-9]*' <<<"$out" | head -n 1 | cut -d: -f2)
  verified=$(grep -o '"verified":[0-9]*' <<<"$out" | head -n 1 | cut -d: -f2)
  echo "  $name: $out"
  if [ "$rc" -eq 0 ] && [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$verified" ]; then
    pass "$name (sent $sent, verified $verified)"
  else
    fail "$name (exit $rc, sent ${sent:-?}, verified ${verified:-?})"
  fi
}
bench "KCP echo: 60 messages of 1..20000 bytes (up to 15 fragments)" --count 60 --size 1-20000
bench "KCP echo: stream mode, 40 x 3000 bytes" --stream --count 40 --size 3000
bench "KCP echo: 20 parallel sessions x 10 messages" --clients 20 --count 10 --size 1-2000

kprobe() { nsx timeout 60 python3 tests/tap_kcp_probe.py $S 8000 "$@"; }
check "KCP: 30 sessions opened by raw PUSH probes" kprobe open 30 --conv 5000
check "KCP: stray ACKs, late PUSHes, short datagrams open nothing" kprobe stray 50 --conv 7000
sleep 7 # every session so far idles out (--kcp-idle 5)
check "KCP: cap of 64 sessions holds, existing ones still echo" kprobe cap 64 --conv 9000
sleep 7 # the cap's sessions idle out too
check "KCP: 10 sessions left open for the shutdown" kprobe open 10 --conv 12000

stop_minimal
rc=$?
valgrind_verdict "$LOG" "$rc"
[ "$TEST_FAILED" -eq 0 ] || tail -n 60 "$LOG"
netns_finish
