#!/usr/bin/env bash
# tap_kcptun.sh - ./minimal as a kcptun server and client (--kcptun-*), in a private
# network namespace, against tests/interop/bin/kcptun_peer: kcptun's own
# client stack (kcp-go, smux, kcptun's snappy CompStream from Debian's
# packages) over raw KCP (kcp-go with no block and no FEC; the datagram
# codec that real kcptun needs is not part of this test).
#  - 20 parallel streams of 1 MB random bytes, echoed byte-exact, through
#    the in-process echo and through lwIP TCP to an echo (socat + cat: a
#    socat PIPE echo can block on its own pipe under load) on the
#    namespace's side of the tap; smux 1 and 2, compression on and off;
#  - the kcptun modes fast3/fast2/normal; 5 % loss at ./minimal;
#  - client role (--kcptun-remote/--kcptun-local): 20 TCP connections of
#    1 MB into ./minimal, through kcptun's server stack (kcptun_peer
#    -listen, echo target), smux 1 and 2;
#  - mismatched smux version or compression: the session is closed with a
#    log line and counted, ./minimal keeps serving;
#  - a client killed mid-stream: its session and streams are freed after
#    three keepalive periods (valgrind: 0 errors, 0 bytes definitely lost).
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init

PEER=tests/interop/bin/kcptun_peer
HOST=192.168.0.2
PORT=29900
NSHOST=192.168.0.1
ECHOPORT=5201
if ! make -s --no-print-directory "$PEER" >"$TAP_TMP/make.log" 2>&1; then
  cat "$TAP_TMP/make.log"
  fail "kcptun: kcptun_peer builds (golang-go, kcp-go, smux, kcptun packages)"
  netns_finish
fi
netns_bg socat TCP4-LISTEN:$ECHOPORT,bind=$NSHOST,reuseaddr,fork,backlog=128 EXEC:cat
wait_for 5 nsx bash -c "ss -ltn | grep -q ':$ECHOPORT '"

# kstat FIELD: FIELD of ./minimal's last kcptun counter line (after SIGUSR1).
kstat() {
  local before
  before=$(grep -c '^kcptun: kcp_sessions' "$LOG")
  kill -USR1 "$MINIMAL_PID"
  wait_for 5 bash -c "[ \$(grep -c '^kcptun: kcp_sessions' '$LOG') -gt $before ]"
  grep '^kcptun: kcp_sessions' "$LOG" | tail -n 1 |
    awk -v f="$1" '{for (i = 2; i < NF; i++) if ($i == f) { print $(i + 1); exit }}'
}

# run NAME PEER-ARGS...: one kcptun_peer run against the running ./minimal.
run() {
  local name=$1
  shift
  if nsx timeout 60 "$PEER" -remote "$HOST:$PORT" -timeout 50s "$@" >"$TAP_TMP/peer" 2>&1; then
    pass "$name: $(tail -n 1 "$TAP_TMP/peer")"
  else
    fail "$name"
    sed 's/^/  kcptun_peer: /' "$TAP_TMP/peer"
  fi
}

# server NAME MINIMAL-ARGS...: restart ./minimal with these kcptun settings.
server() {
  [ -z "$MINIMAL_PID" ] || stop_minimal >/dev/null
  LOG=$TAP_TMP/minimal.$1
  shift
  start_minimal "$LOG" --kcptun-listen "$PORT" "$@" || {
    fail "kcptun: ./minimal starts with $*"
    cat "$LOG"
    netns_finish
  }
}

TARGET=$NSHOST:$ECHOPORT
server echo1 --kcptun-target echo
run "kcptun server, echo, smux 1, compression" -smuxver 1 -conns 20 -bytes 1048576
server echo2 --kcptun-target echo --kcptun-smuxver 2 --kcptun-nocomp
run "kcptun server, echo, smux 2, no compression" -smuxver 2 -nocomp -conns 20 -bytes 1048576
server tcp1 --kcptun-target "$TARGET" --kcptun-nocomp
run "kcptun server, TCP target, smux 1, no compression" -nocomp -conns 20 -bytes 1048576
server tcp2 --kcptun-target "$TARGET" --kcptun-smuxver 2
run "kcptun server, TCP target, smux 2, compression" -smuxver 2 -conns 20 -bytes 1048576
check "kcptun: TCP target got and gave back 20 MB, all streams closed" \
  test "$(kstat to_tcp) $(kstat from_tcp) $(kstat streams)" = "20971520 20971520 0"
for m in fast3 fast2 normal; do
  server "mode$m" --kcptun-target "$TARGET" --kcptun-mode "$m"
  run "kcptun server, TCP target, mode $m" -mode "$m" -conns 5 -bytes 262144
done
server loss --kcptun-target echo --kcptun-smuxver 2 --loss 5
run "kcptun server, echo, 5 % loss each way at ./minimal" -smuxver 2 -conns 5 -bytes 262144
rt=$(($(kstat retrans) + $(kstat fast_retrans)))
check "kcptun: losses were recovered by retransmission ($rt segments resent)" test "$rt" -gt 0

# Mismatched settings: the session closes with a reason, nothing else.
server mismatch --kcptun-target echo --kcptun-smuxver 2
nsx timeout 10 "$PEER" -remote "$HOST:$PORT" -timeout 2s -smuxver 1 -conns 1 -bytes 1000 >/dev/null 2>&1
check "kcptun: smux version mismatch closes the session, counted and logged" \
  bash -c "[ $(kstat proto_errors) -ge 1 ] && grep -q 'smux protocol error' '$LOG'"
nsx timeout 10 "$PEER" -remote "$HOST:$PORT" -timeout 2s -smuxver 2 -nocomp -conns 1 -bytes 1000 >/dev/null 2>&1
check "kcptun: compression off at the client only: counted as a compression error" \
  bash -c "[ $(kstat comp_errors) -ge 1 ] && grep -q 'bad compressed stream' '$LOG'"
server mismatch2 --kcptun-target echo --kcptun-nocomp
nsx timeout 10 "$PEER" -remote "$HOST:$PORT" -timeout 2s -conns 1 -bytes 1000 >/dev/null 2>&1
check "kcptun: compression on at the client only: counted, session closed" \
  bash -c "[ $(kstat proto_errors) -ge 1 ] && [ $(kstat sessions) -eq 0 ]"
run "kcptun server keeps serving after the mismatches" -nocomp -conns 2 -bytes 100000
stop_minimal >/dev/null
MINIMAL_PID=

# Client role: TCP clients -> ./minimal --kcptun-local -> kcptun's server
# stack (kcptun_peer -listen, echo target) on the namespace's side.
client() {
  local name=$1 sargs=$2
  shift 2
  netns_bg timeout 40 "$PEER" -listen "$NSHOST:0" -timeout 35s $sargs >"$TAP_TMP/srv.$name" 2>&1
  SRVPID=$NETNS_LAST_PID
  wait_for 5 grep -q '^listening' "$TAP_TMP/srv.$name"
  LOG=$TAP_TMP/minimal.client.$name
  start_minimal "$LOG" --kcptun-remote "$NSHOST:$(awk '/^listening/{print $2}' "$TAP_TMP/srv.$name")" \
    --kcptun-local 6000 "$@" || { fail "kcptun client: ./minimal starts"; cat "$LOG"; }
  if nsx timeout 60 "$PEER" -tcp "$HOST:6000" -timeout 50s -conns 20 -bytes 1048576 \
      >"$TAP_TMP/peer" 2>&1; then
    pass "kcptun client, $name: $(tail -n 1 "$TAP_TMP/peer")"
  else
    fail "kcptun client, $name"
    sed 's/^/  tcp clients: /' "$TAP_TMP/peer"
  fi
  stop_minimal >/dev/null
  MINIMAL_PID=
  kill -TERM "$SRVPID" 2>/dev/null
  wait "$SRVPID" 2>/dev/null
}
client "smux 1, compression" ""
client "smux 2, no compression" "-smuxver 2 -nocomp" --kcptun-smuxver 2 --kcptun-nocomp

# A client that vanishes mid-stream, with ./minimal under valgrind.
LOG=$TAP_TMP/minimal.valgrind
start_valgrind_minimal "$LOG" --kcptun-listen "$PORT" --kcptun-target "$TARGET" \
  --kcptun-keepalive 1 || { fail "kcptun: ./minimal starts under valgrind"; cat "$LOG"; netns_finish; }
# Killed once data flows (SIGTERM ends a Go program without its deferred
# closes: no FIN, no goodbye), in the middle of 4 streams of 50 MB.
# (ip netns exec execs timeout, so $! is timeout, which passes SIGTERM on.)
ip netns exec "$NETNS" timeout -s KILL 40 "$PEER" -remote "$HOST:$PORT" -timeout 35s -conns 4 -bytes 50000000 \
  >/dev/null 2>&1 &
vpid=$!
moved=0
for ((i = 0; i < 30; i++)); do
  moved=$(kstat to_tcp)
  [ "${moved:-0}" -gt 300000 ] && break
  sleep 1
done
kill -TERM "$vpid" 2>/dev/null
wait "$vpid" 2>/dev/null
check "kcptun: the vanished client had moved data ($moved bytes to the target)" \
  test "${moved:-0}" -gt 300000
# Three keepalive periods of 1 s, then the binding's idle timeout; valgrind
# slows everything, so allow 15 s.
for ((i = 0; i < 15; i++)); do
  [ "$(kstat kcp_sessions) $(kstat sessions) $(kstat streams)" = "0 0 0" ] && break
  sleep 1
done
check "kcptun: a vanished client's session and streams are freed ($i s after it vanished)" \
  test "$(kstat kcp_sessions) $(kstat sessions) $(kstat streams)" = "0 0 0"
stop_minimal >/dev/null
valgrind_verdict "$LOG" $?
netns_finish
