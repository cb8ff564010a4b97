#!/usr/bin/env bash
# tap_robust_tcp.sh - hostile TCP clients of ./minimal's TCP echo
# (port 7), from tests/lib/tcp_hold.py.
#
# First ./minimal, default idle timeout (60 s, longer than this part):
# - a client that writes as fast as it can and never reads: the server must
#   stop reading it (zero window) with at most TCP_WND bytes (its ring)
#   received and not yet echoed;
# - 200 connections (the cap, TCPECHO_RAW_MAX_CONNS) that send 64 bytes and
#   go silent, open, no FIN: the last one takes the stalled never-reader's
#   slot (eviction of the longest-idle connection), and 4 `kcp_client --tcp
#   --bench` clients are still served, each evicting a silent connection;
# - the holder is killed with SIGKILL (the kernel resets every connection
#   that has unread echoes): resets counted, every connection freed;
# - 200 busy clients fill the cap: no connection is idle for the eviction
#   minimum (1 s), so a newcomer is refused (RST, counted) and the busy
#   clients are all served to the end.
# Then ./minimal --tcp-idle 4:
# - 199 silent connections and a never-reader are all reclaimed by the idle
#   timeout within its bound;
# - 20 peers vanish without a FIN or RST (their address is removed before
#   the holder dies): reclaimed within the same bound.
# Throughout, the tcpecho counters must add up: accepted = active + closed +
# reset + aborted + idle + evicted.
set -u
. "$(dirname "$0")/lib/robust.sh"

CAP=200             # TCPECHO_RAW_MAX_CONNS in apps/tcpecho/tcpecho_raw.h
ABANDON=$CAP
RING=65535          # TCP_WND of Debian's lwipopts.h: the echo's ring per connection
RSS_BOUND_KB=65536
IDLE=4              # --tcp-idle of the second ./minimal
IDLE_BOUND=$((IDLE + 6)) # timeout, plus the 1 s poll period, plus slack for a busy machine

robust_init tcp ./kcp_client

# tstat NAME: a field of the newest tcpecho line.
tstat() { mstat tcpecho: "$1"; }
# balanced: every accepted connection is active or ended in exactly one way.
balanced() {
  [ "$(tstat accepted)" = $(( $(tstat active) + $(tstat closed) + $(tstat reset) + $(tstat aborted) \
    + $(tstat idle) + $(tstat evicted) )) ]
}
show() { grep '^tcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'; }
active_is() { stats_now && [ "$(tstat active)" = "$1" ]; }
# within SEC COMMAND...: poll until COMMAND succeeds, for at most SEC seconds
# of wall-clock time (wait_for counts polls, and each stats_now takes time);
# the time taken, in seconds, is left in $TOOK.
TOOK=
within() {
  local t0 end now
  t0=$(date +%s%N)
  end=$((t0 + $1 * 1000000000))
  shift
  while :; do
    "$@" >/dev/null 2>&1 && break
    now=$(date +%s%N)
    [ "$now" -lt "$end" ] || { TOOK=timeout; return 1; }
    sleep 0.2
  done
  TOOK=$(awk -v d=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.1f", d / 1e9 }')
}
# hold NAME ARGS...: tests/lib/tcp_hold.py in the background, until it holds.
hold() {
  local name=$1
  shift
  netns_bg python3 tests/lib/tcp_hold.py $S 7 "$@" >"$TAP_TMP/$name.out" 2>&1
  HOLD_PID=$NETNS_LAST_PID
  wait_for 60 grep -q '^holding' "$TAP_TMP/$name.out"
}

# served CLIENTS NAME: TCP benchmark clients; PASS when all is verified.
served() {
  local n=$1 name=$2
  nsx timeout 60 ./kcp_client --tcp --bench --json --clients "$n" --count 100 --size 1-4000 --timeout 10 $S \
    >"$TAP_TMP/served.json" 2>"$TAP_TMP/served.err"
  local rc=$? v
  v=$(jget verified "$TAP_TMP/served.json")
  check "tcp: $name: $n clients x 100 messages verified (exit $rc, verified ${v:-?} of $((n * 100)), p99 $(jget rtt_p99_ms "$TAP_TMP/served.json") ms)" \
    test "$rc" -eq 0 -a "${v:-0}" = $((n * 100))
}

robust_start tcp "$TAP_TMP/minimal.log"
rss0=$(rss_kb "$MINIMAL_PID")

# The never-reader alone first, so that it is the longest-idle connection.
hold hog --hog --hold 80
HOG_PID=$HOLD_PID
echo "  never-reader: $(head -n 1 "$TAP_TMP/hog.out")"
stats_now; in1=$(tstat bytes_in)
sleep 1
stats_now; in2=$(tstat bytes_in); out2=$(tstat bytes_out)
show
check "tcp: the server stopped reading the never-reader (bytes_in $in1 -> $in2 in 1 s)" test "$in1" = "$in2"
check "tcp: received-not-echoed bytes <= one ring of $RING ($((in2 - out2)))" \
  test $((in2 - out2)) -le $RING

# 200 silent connections: the 200th finds the cap and evicts the stalled
# never-reader, idle for seconds by now.
stats_now; ev0=$(tstat evicted)
hold abandon --abandon $ABANDON --hold 80
ABANDON_PID=$HOLD_PID
echo "  silent: $(head -n 1 "$TAP_TMP/abandon.out")"
check "tcp: $ABANDON silent connections all accepted" \
  grep -q "^opened $ABANDON refused 0 " "$TAP_TMP/abandon.out"
stats_now; show
check "tcp: at the cap the stalled never-reader was evicted (evicted +$(( $(tstat evicted) - ev0 )), active $(tstat active))" \
  test $(( $(tstat evicted) - ev0 )) -eq 1 -a "$(tstat active)" = $CAP

# Every silent connection is idle past the eviction minimum (1 s) by now:
# each newcomer takes the slot of the longest-idle one.
sleep 1.5
stats_now; ev0=$(tstat evicted)
served 4 "with $ABANDON silent connections at the cap"
rss_held=$(rss_kb "$MINIMAL_PID")
stats_now; show
check "tcp: each of the 4 newcomers evicted a silent connection (evicted +$(( $(tstat evicted) - ev0 )))" \
  test $(( $(tstat evicted) - ev0 )) -eq 4
check "tcp: counters add up at the cap" balanced

# The peers die: SIGKILL, the kernel resets their connections.
stats_now; reset0=$(tstat reset); left=$(tstat active)
kill -KILL "$HOG_PID" "$ABANDON_PID" 2>/dev/null
wait "$HOG_PID" "$ABANDON_PID" 2>/dev/null
check "tcp: every connection freed after the peers died (active 0)" wait_for 15 active_is 0
show
check "tcp: resets counted ($(( $(tstat reset) - reset0 )) >= the $left that were left)" \
  test $(( $(tstat reset) - reset0 )) -ge "$left"

# 200 busy clients (a message every 100 ms each) fill the cap: none is idle
# for the eviction minimum, so a newcomer is refused cleanly.
stats_now; ref0=$(tstat refused); ev0=$(tstat evicted)
netns_bg timeout 60 ./kcp_client --tcp --bench --json --clients $CAP --interval 100 --duration 8 \
  --size 64 --timeout 10 $S >"$TAP_TMP/busy.json" 2>"$TAP_TMP/busy.err"
BUSY_PID=$NETNS_LAST_PID
check "tcp: $CAP busy clients connected" wait_for 20 active_is $CAP
nsx timeout 20 ./kcp_client --tcp --bench --count 5 --timeout 3 $S >/dev/null 2>&1; rc=$?
stats_now; show
check "tcp: at the cap with every connection busy a newcomer is refused (client exit $rc, refused +$(( $(tstat refused) - ref0 )), evicted +$(( $(tstat evicted) - ev0 )))" \
  test "$rc" -ne 0 -a "$(tstat refused)" -gt "$ref0" -a "$(tstat evicted)" = "$ev0"
ping_ok() { nsx ping -c 1 -W 2 $S >/dev/null 2>&1; }
check "tcp: ./minimal healthy at the cap (ICMP echo)" ping_ok
wait "$BUSY_PID"; rc=$?
check "tcp: the $CAP busy clients were all served to the end (exit $rc, verified $(jget verified "$TAP_TMP/busy.json") of $(jget sent "$TAP_TMP/busy.json"))" \
  test "$rc" -eq 0
served 8 "after the peers died"
hwm=$(hwm_kb "$MINIMAL_PID")
echo "  RSS: start $rss0 kB, with $CAP held $rss_held kB, end $(rss_kb "$MINIMAL_PID") kB, peak $hwm kB"
check "tcp: peak RSS $hwm kB <= bound $RSS_BOUND_KB kB" test "${hwm:-999999999}" -le $RSS_BOUND_KB
stats_now
check "tcp: counters add up" balanced
stop_minimal >/dev/null

# A short idle timeout: silent clients and a never-reader are reclaimed.
robust_start tcp "$TAP_TMP/minimal-idle.log" --tcp-idle $IDLE
hold idle --abandon $((CAP - 1)) --hog --hold 60
IDLE_PID=$HOLD_PID
echo "  holder: $(head -n 1 "$TAP_TMP/idle.out")"
within $IDLE_BOUND active_is 0
show
check "tcp: --tcp-idle $IDLE: $((CAP - 1)) silent connections and a never-reader reclaimed (active 0 after $TOOK s, bound $IDLE_BOUND)" \
  test "$(tstat active)" = 0
check "tcp: --tcp-idle $IDLE: counted as idle ($(tstat idle) = $CAP)" test "$(tstat idle)" = $CAP
kill -KILL "$IDLE_PID" 2>/dev/null
wait "$IDLE_PID" 2>/dev/null

# Peers that vanish (host gone): the namespace's address is removed before
# the holder dies, so no FIN or RST ever reaches the server; nothing moves,
# and the idle timeout reclaims the connections.
VANISH=20
stats_now; idle0=$(tstat idle)
hold vanish --abandon $VANISH --hold 60
VANISH_PID=$HOLD_PID
nsx ip addr del 192.168.0.1/24 dev tap0
kill -KILL "$VANISH_PID" 2>/dev/null
wait "$VANISH_PID" 2>/dev/null
within $IDLE_BOUND active_is 0
nsx ip addr add 192.168.0.1/24 dev tap0
show
check "tcp: $VANISH vanished peers reclaimed (active 0 after $TOOK s, bound $IDLE_BOUND)" \
  test "$(tstat active)" = 0
check "tcp: vanished peers counted as idle (+$(( $(tstat idle) - idle0 )))" \
  test $(( $(tstat idle) - idle0 )) -eq $VANISH
served 2 "with --tcp-idle $IDLE, after the vanished peers"
stats_now
check "tcp: --tcp-idle $IDLE: counters add up" balanced

stop_minimal >/dev/null
netns_finish
