#!/usr/bin/env bash
# tap_kcp_client.sh - ./kcp_client against ./minimal through a tap in a
# private network namespace: interactive mode through a pipe, the benchmark
# with big messages and with 100 parallel clients (every echo verified), the
# TCP comparison, a lossy/delayed/reordering/duplicating link, the server
# on the bbr congestion module (--kcp-cc), --reconnect
# across a server restart, and a dead server. Needs root (ip netns).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh

S=192.168.0.2
C=./kcp_client
TMP=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$TMP"' EXIT
[ -x "$C" ] && [ -x ./minimal ] || { echo "FAIL: ./kcp_client and ./minimal must be built"; exit 1; }

# jget KEY FILE: a number from the client's one-line JSON report.
jget() { grep -o "\"$1\":[0-9.]*" "$2" | head -n 1 | cut -d: -f2; }

# bench NAME SECONDS ARGS...: run a benchmark in the namespace; PASS when it
# exits 0 and every message sent was verified. Prints the key numbers.
bench() {
  local name=$1 limit=$2 rc sent verified; shift 2
  nsx timeout "$limit" "$C" --bench --json "$@" $S >"$TMP/out.json" 2>"$TMP/err"
  rc=$?
  sent=$(jget sent "$TMP/out.json"); verified=$(jget verified "$TMP/out.json")
  echo "  $name: $(cat "$TMP/out.json")"
  if [ "$rc" -eq 0 ] && [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$verified" ]; then
    pass "$name (sent $sent, verified $verified, p50 $(jget rtt_p50_ms "$TMP/out.json") ms, p99 $(jget rtt_p99_ms "$TMP/out.json") ms, $(jget duration_s "$TMP/out.json") s)"
  else
    fail "$name (exit $rc, sent ${sent:-?}, verified ${verified:-?}): $(head -c 400 "$TMP/err")"
  fi
}

# start_minimal ARGS...: ./minimal in the namespace, up when KCP answers;
# when it does not, what it logged is shown.
start_minimal() {
  echo "--- ./minimal $*" >>"$TMP/minimal.log"
  netns_bg ./minimal "$@" >>"$TMP/minimal.log" 2>&1
  MINIMAL_PID=$NETNS_LAST_PID
  wait_for 10 nsx ping -c1 -W1 $S && wait_for 10 sh -c "echo up | ip netns exec $NETNS timeout 3 $C --timeout 1 $S | grep -q up" && return 0
  echo "  ./minimal (pid $MINIMAL_PID, $(kill -0 "$MINIMAL_PID" 2>/dev/null && echo running || echo gone)) logged:"
  tail -n 15 "$TMP/minimal.log" | sed 's/^/    /'
  return 1
}

# stop_minimal: SIGTERM, SIGKILL after 5 s; returns once it is gone.
stop_minimal() {
  kill -TERM "$MINIMAL_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$MINIMAL_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$MINIMAL_PID" 2>/dev/null; then
    echo "  ./minimal (pid $MINIMAL_PID) still running 5 s after SIGTERM: SIGKILL"
    kill -KILL "$MINIMAL_PID" 2>/dev/null
  fi
  wait "$MINIMAL_PID" 2>/dev/null
}

netns_up
if ! start_minimal; then fail "./minimal answers KCP on $S:8000"; netns_finish; fi

# Interactive, through a pipe: every line back, in order; an over-long line
# is refused with a message and the session goes on.
printf 'line %s\n' $(seq 1 200) >"$TMP/lines"
nsx timeout 20 "$C" $S <"$TMP/lines" >"$TMP/echo" 2>"$TMP/err"; rc=$?
check "interactive through a pipe: 200 lines echoed in order (exit $rc)" \
  test "$rc" -eq 0 -a "$(md5sum <"$TMP/lines")" = "$(md5sum <"$TMP/echo")"
{ echo first; head -c 200000 /dev/zero | tr '\0' x; echo; echo after; } >"$TMP/long"
nsx timeout 20 "$C" $S <"$TMP/long" >"$TMP/echo" 2>"$TMP/err"; rc=$?
check "interactive: a 200000-byte line is refused, the rest echoed (exit $rc)" \
  test "$rc" -eq 0 -a "$(printf 'first\nafter\n')" = "$(cat "$TMP/echo")" -a -n "$(grep refused "$TMP/err")"
printf 'over tcp\n' | nsx timeout 20 "$C" --tcp $S >"$TMP/echo" 2>"$TMP/err"; rc=$?
check "interactive --tcp: echoed (exit $rc)" test "$rc" -eq 0 -a "over tcp" = "$(cat "$TMP/echo")"

# The benchmark: big random messages as fast as the window allows; many
# clients at once (one poll set, distinct ports and convs); stream mode; TCP.
bench "10000 messages of 1..65536 bytes, interval 0" 60 --count 10000 --size 1-65536 --interval 0
bench "100 parallel clients x 20 messages of 1..4096 bytes" 60 --clients 100 --count 20 --size 1-4096
bench "stream mode, 500 messages of 1..65536 bytes" 60 --stream --count 500 --size 1-65536
bench "tcp, 2000 messages of 1..65536 bytes" 60 --tcp --count 2000 --size 1-65536

# Bad flags: exit 2 before touching the network.
nsx "$C" --bench --count 12x $S >/dev/null 2>&1; rc=$?
check "bad flag exits 2 (got $rc)" test "$rc" -eq 2

# A lossy link: loss 10 %, delay 20 ms, reorder 5 %, dup 2 %, each way.
stop_minimal
if ! start_minimal --loss 10 --delay 20 --reorder 5 --dup 2; then
  fail "./minimal with link emulation answers KCP"
else
  bench "lossy link: 200 messages of 1..65536 bytes" 60 --count 200 --size 1-65536
  bench "lossy link: 10 clients x 50 messages, interval 10 ms" 60 --clients 10 --count 50 --size 1-2000 --interval 10
  # lwIP's TCP backs off for seconds per loss here (silences of over 10 s
  # were seen): a smaller load than for KCP and a longer --timeout.
  bench "lossy link: tcp, 20 messages of 1..4000 bytes" 60 --tcp --count 20 --size 1-4000 --timeout 30
fi

# mtu 1500: a full datagram (1528 bytes with its headers) is longer than the
# tap's MTU, so the kernel refuses the client's UDP GSO messages (EMSGSIZE):
# the client sends one datagram a message from then on, and IP fragments.
stop_minimal
if ! start_minimal --kcp-mtu 1500; then
  fail "./minimal with --kcp-mtu 1500 answers KCP"
else
  bench "mtu 1500 (no GSO, IP fragments): 300 messages of 1..60000 bytes" 60 --mtu 1500 --count 300 --size 1-60000
fi

# --kcp-cc bbr: every session of the echo on the bbr module (named at
# start), against clients on either module.
stop_minimal
if ! start_minimal --kcp-cc bbr; then
  fail "./minimal with --kcp-cc bbr answers KCP"
else
  check "--kcp-cc bbr: named at start" grep -q 'KCP echo on .*congestion control bbr' "$TMP/minimal.log"
  bench "server on bbr: 10 clients x 100 messages of 1..65536 bytes" 60 --clients 10 --count 100 --size 1-65536
  bench "server and client on bbr: 10 clients x 100 messages of 1..65536 bytes" 60 --cc bbr --clients 10 --count 100 --size 1-65536
fi

# --reconnect: the server restarts mid-run (its sessions are gone); the
# clients open new sessions, resend what was not echoed, and verify it all.
stop_minimal
start_minimal || fail "./minimal restarted"
nsx timeout 60 "$C" --bench --json --count 400 --clients 4 --size 1-3000 --interval 10 \
  --reconnect --timeout 2 $S >"$TMP/out.json" 2>"$TMP/err" &
RUN=$!
sleep 1.5
stop_minimal
sleep 1
start_minimal || fail "./minimal restarted"
wait $RUN; rc=$?
echo "  reconnect: $(cat "$TMP/out.json")"
check "--reconnect across a server restart: all 1600 verified, reconnects counted (exit $rc)" \
  test "$rc" -eq 0 -a "$(jget verified "$TMP/out.json")" = 1600 -a "$(jget reconnects "$TMP/out.json")" -ge 1

# No server: exit 1 after --timeout.
stop_minimal
start=$(date +%s%N)
nsx timeout 20 "$C" --bench --count 5 --timeout 2 $S >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "no server: exit 1 after --timeout 2 (got $rc after $ms ms)" test "$rc" -eq 1 -a "$ms" -ge 1900

netns_finish
