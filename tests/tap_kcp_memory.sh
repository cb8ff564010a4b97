#!/usr/bin/env bash
# tap_kcp_memory.sh - cost of idle KCP sessions in ./minimal:
# opens 10000 sessions (each echoed once and acknowledged, so idle) and
# checks the growth of ./minimal's resident set (at most 2 KB per session)
# and that idle sessions are not woken every engine interval (CPU time of
# ./minimal over 3 s with 10000 idle sessions well under 10 %).
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh

HOST=192.168.0.2
PORT=8000
N=10000
LIMIT=2048

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# cpu_ticks PID: user + system time, in clock ticks (the name may hold no spaces).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

netns_up
netns_bg ./minimal --kcp-port "$PORT" --kcp-max $((N + 1)) --kcp-idle 120 >/dev/null 2>&1
MINIMAL=$NETNS_LAST_PID
if ! wait_for 10 nsx ping -c 1 -W 1 "$HOST"; then
  fail "kcp memory: ./minimal answers on $HOST"
  netns_finish
fi
# One session first, so one-time allocations (tables, scratch) are not
# charged to the 10000.
nsx timeout 20 python3 tests/tap_kcp_probe.py "$HOST" "$PORT" open 1 --conv 1 >/dev/null
before=$(rss_kb "$MINIMAL")
check "kcp memory: $N sessions opened and echoed" \
  nsx timeout 50 python3 tests/tap_kcp_probe.py "$HOST" "$PORT" open "$N" --conv 1000
after=$(rss_kb "$MINIMAL")
per=$(( (after - before) * 1024 / N ))
echo "kcp memory: RSS $before kB -> $after kB, $per bytes per idle session"
check "kcp memory: <= $LIMIT bytes RSS per idle session" test "$per" -le "$LIMIT"
t0=$(cpu_ticks "$MINIMAL")
sleep 3
t1=$(cpu_ticks "$MINIMAL")
hz=$(getconf CLK_TCK)
echo "kcp memory: CPU $((t1 - t0)) ticks (of $((3 * hz))) in 3 s with $N idle sessions"
check "kcp memory: idle sessions cost (almost) no CPU" test $((t1 - t0)) -le $((3 * hz / 10))
netns_finish
