#!/usr/bin/env bash
# tap_kcp_sessions.sh - KCP session bookkeeping of ./minimal's kcpecho:
# at the cap, the (cap+1)-th session gets in by evicting the one that made
# no progress the longest, while the others keep working, segments that
# cannot open a session are dropped and counted,
# and idle sessions are closed so the live count returns to 0.
#
# Traffic comes from tests/tap_kcp_probe.py (raw KCP segments, no engine);
# counters from the "kcpecho:" line ./minimal prints on SIGUSR1.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh

HOST=192.168.0.2
PORT=8000
PROBE=tests/tap_kcp_probe.py
LOG=$(mktemp)

# kstat NAME: the value of NAME in a fresh "kcpecho:" line.
kstat() {
  local before
  before=$(grep -c '^kcpecho:' "$LOG")
  fresh() { [ "$(grep -c '^kcpecho:' "$LOG")" -gt "$before" ]; }
  kill -USR1 "$MINIMAL" 2>/dev/null || return 1
  wait_for 5 fresh || return 1
  grep '^kcpecho:' "$LOG" | tail -n 1 |
    awk -v k="$1" '{ for (i = 2; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}
sessions_zero() { [ "$(kstat sessions)" = 0 ]; }

netns_up
netns_bg ./minimal --kcp-port "$PORT" --kcp-idle 2 --kcp-max 5 >"$LOG" 2>&1
MINIMAL=$NETNS_LAST_PID
if ! wait_for 10 nsx ping -c 1 -W 1 "$HOST"; then
  fail "kcp sessions: ./minimal answers on $HOST"
  rm -f "$LOG"
  netns_finish
fi

check "kcp cap: 5 sessions echo, the 6th gets in, 5 of the 6 still echo" \
  nsx timeout 30 python3 "$PROBE" "$HOST" "$PORT" cap 5 --conv 100
check "kcp cap: 5 live sessions" test "$(kstat sessions)" = 5
check "kcp cap: eviction counted" test "$(kstat evicted)" = 1

check "kcp stray: ACK, late PUSH, runt get no reply" \
  nsx timeout 20 python3 "$PROBE" "$HOST" "$PORT" stray 3 --conv 900
check "kcp stray: counted as dropped" test "$(kstat dropped)" -ge 6
check "kcp stray: runts counted as malformed" test "$(kstat malformed)" -ge 3
# Every datagram is accounted for exactly once.
accounted() {
  kill -USR1 "$MINIMAL" && sleep 0.5
  grep '^kcpecho:' "$LOG" | tail -n 1 | awk '{
    for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
    exit !(v["in"] == v["malformed"] + v["dropped"] + v["refused"] + v["sess_in"]) }'
}
check "kcp stats: in = malformed + dropped + refused + sess_in" accounted

check "kcp idle: live sessions back to 0 after --kcp-idle 2" wait_for 15 sessions_zero
check "kcp idle: 5 sessions closed by idle timeout" test "$(kstat idle)" -ge 5
check "kcp idle: new sessions accepted again" \
  nsx timeout 30 python3 "$PROBE" "$HOST" "$PORT" open 5 --conv 200

rm -f "$LOG"
netns_finish
