#!/usr/bin/env bash
# interop_kcpgo.sh - our KCP engine against kcp-go, a peer nobody here wrote,
# over loopback UDP (127.0.0.1 only), both directions, message and stream
# mode, messages of 1 B..100 KB, every echoed byte compared; then with 10 %
# loss each way on both ends (resends, fast resends, duplicates), and with a
# client that stops reading for 1 s (zero window: the receiver must reopen
# it with WINS at once, the 7 s probe would exceed the case's 6 s limit).
#
#   build/tests/ikcp_peer            our engine alone (tests/interop/ikcp_peer.c)
#   tests/interop/bin/kcpgo_peer     kcp-go (tests/interop/kcpgo_peer/main.go)
#
# kcp-go's Write cuts anything longer than mss into separate messages, so
# where kcp-go echoes or is echoed, the clients compare byte streams; only
# the engine-to-engine case also checks message boundaries (--exact).
# Prints one PASS:/FAIL: line per case for tests/run-tests.sh.
set -u
cd "$(dirname "$0")/.." || exit 1

IKCP=build/tests/ikcp_peer
CASE_TIMEOUT=20
INTEROP_BUILD="$IKCP tests/interop/bin/kcpgo_peer"
. tests/lib/interop.sh

# server_errors LOG: error lines a server has printed so far (a server that
# rejected a datagram fails the case even if the echo completed).
server_errors() { grep -cE '^(ikcp_peer|kcpgo_peer): ' "$TMP/$1.log"; }

# run_case NAME SERVERLOG CMD...: one client run; on failure show both sides.
run_case() {
  local name=$1 log=$2 before; shift 2
  before=$(server_errors "$log")
  if timeout "$CASE_TIMEOUT" "$@" >"$TMP/client.log" 2>&1 &&
     [ "$(server_errors "$log")" -eq "$before" ]; then
    pass "$name: $(tail -n 1 "$TMP/client.log")"
  else
    fail "$name"
    sed 's/^/  client: /' "$TMP/client.log"
    tail -n 5 "$TMP/$log.log" | sed 's/^/  server: /'
  fi
}

start_server gomsg "$KCPGO" server -port 0 -timeout 50s -quiet || { fail "kcp-go server (message mode) start"; exit 1; }
GOMSG=$SERVER_PORT
start_server gostream "$KCPGO" server -port 0 -timeout 50s -stream -quiet || { fail "kcp-go server (stream mode) start"; exit 1; }
GOSTREAM=$SERVER_PORT
start_server cmsg "$IKCP" server 0 --timeout 50 || { fail "engine server (message mode) start"; exit 1; }
CMSG=$SERVER_PORT
start_server cstream "$IKCP" server 0 --timeout 50 --stream || { fail "engine server (stream mode) start"; exit 1; }
CSTREAM=$SERVER_PORT
start_server golossy "$KCPGO" server -port 0 -timeout 50s -loss 10 -seed 41 -quiet || { fail "kcp-go server (10 % loss) start"; exit 1; }
GOLOSSY=$SERVER_PORT
start_server clossy "$IKCP" server 0 --timeout 50 --stream --loss 10 --seed 42 || { fail "engine server (10 % loss) start"; exit 1; }
CLOSSY=$SERVER_PORT

# Our engine as the client, kcp-go echoing.
run_case "engine client -> kcp-go server, message mode" gomsg \
  "$IKCP" client 127.0.0.1 "$GOMSG" --count 30 --sizes 1-102400 --seed 11 --timeout 15
run_case "engine client -> kcp-go server, stream mode" gostream \
  "$IKCP" client 127.0.0.1 "$GOSTREAM" --count 30 --sizes 1-102400 --seed 12 --timeout 15 --stream
run_case "engine client -> kcp-go server, default profile, conv 0xffffffff" gomsg \
  "$IKCP" client 127.0.0.1 "$GOMSG" --count 12 --sizes 1-102400 --seed 13 --timeout 15 --profile default --conv 0xffffffff
run_case "engine client mtu 1500 -> kcp-go server, small messages" gostream \
  "$IKCP" client 127.0.0.1 "$GOSTREAM" --count 200 --sizes 1-3000 --seed 14 --timeout 15 --stream --mtu 1500
run_case "engine client -> kcp-go server, largest message (127 fragments)" gomsg \
  "$IKCP" client 127.0.0.1 "$GOMSG" --count 4 --sizes 174752 --seed 17 --timeout 15
run_case "engine client -> kcp-go server, 10 % loss each way on both ends" golossy \
  "$IKCP" client 127.0.0.1 "$GOLOSSY" --count 30 --sizes 1-102400 --seed 15 --timeout 15 --loss 10
run_case "engine client stops reading 1 s -> kcp-go server, window reopens" gomsg \
  "$IKCP" client 127.0.0.1 "$GOMSG" --count 30 --sizes 1-102400 --seed 16 --timeout 6 --stall 1000

# kcp-go as the client, our engine echoing.
run_case "kcp-go client -> engine server, message mode" cmsg \
  "$KCPGO" client -port "$CMSG" -count 30 -sizes 1-102400 -seed 21 -timeout 15s
run_case "kcp-go client -> engine server, stream mode" cstream \
  "$KCPGO" client -port "$CSTREAM" -count 30 -sizes 1-102400 -seed 22 -timeout 15s -stream
run_case "kcp-go client -> engine server, default profile" cmsg \
  "$KCPGO" client -port "$CMSG" -count 12 -sizes 1-102400 -seed 23 -timeout 15s -profile default
run_case "kcp-go client mtu 576 -> engine server, small messages" cmsg \
  "$KCPGO" client -port "$CMSG" -count 200 -sizes 1-3000 -seed 24 -timeout 15s -mtu 576
run_case "kcp-go client -> engine server, stream mode, 10 % loss each way on both ends" clossy \
  "$KCPGO" client -port "$CLOSSY" -count 30 -sizes 1-102400 -seed 25 -timeout 15s -stream -loss 10
run_case "kcp-go client stops reading 1 s -> engine server, window reopens" cmsg \
  "$KCPGO" client -port "$CMSG" -count 30 -sizes 1-102400 -seed 26 -timeout 6s -stall 1s

# Our engine on both ends: message boundaries must survive too.
run_case "engine client -> engine server, exact messages" cmsg \
  "$IKCP" client 127.0.0.1 "$CMSG" --count 30 --sizes 1-102400 --seed 31 --timeout 15 --exact

exit "$FAILED"
