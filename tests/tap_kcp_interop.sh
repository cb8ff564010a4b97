#!/usr/bin/env bash
# tap_kcp_interop.sh - kcp-go, a KCP nobody here wrote, against our KCP
# inside lwIP, through a tap in a private network namespace:
#  - kcp-go clients (tests/interop/bin/kcpgo_peer) against ./minimal's
#    kcpecho at 192.168.0.2:8000: message and stream mode, 1 B..100 KB,
#    10 % loss at the kcp-go end, three sessions at once;
#  - our host client ./kcp_client against a kcp-go echo server on the
#    namespace's side of the tap (192.168.0.1).
# Every echo is compared byte for byte by the client. kcp-go's Write cuts
# anything longer than mss into separate messages, so ./kcp_client checks
# whole messages only up to mss, and a byte stream (--stream) beyond.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh

HOST=192.168.0.2
PORT=8000
NSHOST=192.168.0.1
KCPGO=tests/interop/bin/kcpgo_peer
LOG=$(mktemp -d)

if ! make -s --no-print-directory "$KCPGO" >"$LOG/make.log" 2>&1; then
  cat "$LOG/make.log"
  fail "kcp interop: kcp-go peer builds (golang-go, golang-github-xtaci-kcp-dev)"
  rm -rf "$LOG"
  exit 1
fi
if [ ! -x ./minimal ] || [ ! -x ./kcp_client ]; then
  fail "kcp interop: ./minimal and ./kcp_client are built (make)"
  rm -rf "$LOG"
  exit 1
fi

# gocase NAME ARGS...: one kcp-go client against kcpecho.
gocase() {
  local name=$1; shift
  if nsx timeout 30 "$KCPGO" client -host "$HOST" -port "$PORT" -timeout 20s "$@" >"$LOG/client" 2>&1; then
    pass "$name: $(tail -n 1 "$LOG/client")"
  else
    fail "$name"
    sed 's/^/  kcp-go: /' "$LOG/client"
  fi
}

# start_goserver NAME ARGS...: a kcp-go echo server on the namespace's side
# of the tap; its port ends up in GOPORT.
start_goserver() {
  local name=$1; shift
  netns_bg timeout 55 "$KCPGO" server -host "$NSHOST" -port 0 -timeout 50s -quiet "$@" >"$LOG/$name" 2>&1
  GOPORT=
  wait_for 5 grep -q '^listening ' "$LOG/$name" &&
    GOPORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$LOG/$name")
  [ -n "$GOPORT" ]
}

# kccase NAME PORT ARGS...: ./kcp_client against a kcp-go echo server.
kccase() {
  local name=$1 port=$2; shift 2
  if nsx timeout 30 ./kcp_client --bench --timeout 10 "$@" "$NSHOST" "$port" >"$LOG/client" 2>&1; then
    pass "$name: $(grep '^messages' "$LOG/client")"
  else
    fail "$name"
    sed 's/^/  kcp_client: /' "$LOG/client"
  fi
}

netns_up
netns_bg ./minimal --kcp-port "$PORT" >"$LOG/minimal" 2>&1
if ! wait_for 10 nsx ping -c 1 -W 1 "$HOST"; then
  fail "kcp interop: ./minimal answers on $HOST"
  cat "$LOG/minimal"
  rm -rf "$LOG"
  netns_finish
fi

gocase "kcp-go client -> kcpecho in lwIP, message mode" -count 20 -sizes 1-102400 -seed 51
gocase "kcp-go client -> kcpecho in lwIP, stream mode" -count 20 -sizes 1-102400 -seed 52 -stream
gocase "kcp-go client -> kcpecho in lwIP, 10 % loss each way at kcp-go" -count 20 -sizes 1-102400 -seed 53 -loss 10

pids=()
for i in 1 2 3; do
  nsx timeout 30 "$KCPGO" client -host "$HOST" -port "$PORT" -timeout 20s -count 10 \
    -sizes 1-65536 -seed "6$i" >"$LOG/par$i" 2>&1 &
  pids+=($!)
done
ok=0
for i in 1 2 3; do
  if wait "${pids[$((i - 1))]}"; then ok=$((ok + 1)); else sed "s/^/  kcp-go $i: /" "$LOG/par$i"; fi
done
check "kcp-go: three sessions at once -> kcpecho in lwIP ($ok of 3 verified)" test "$ok" -eq 3

if start_goserver gomsg; then
  kccase "kcp_client -> kcp-go echo, message mode, 1..mss bytes" "$GOPORT" \
    --count 200 --size 1-1376 --seed 54
else
  fail "kcp interop: kcp-go echo server (message mode) starts"
fi
if start_goserver gostream -stream; then
  kccase "kcp_client -> kcp-go echo, stream mode, 1 B..100 KB" "$GOPORT" \
    --stream --count 30 --size 1-102400 --seed 55
else
  fail "kcp interop: kcp-go echo server (stream mode) starts"
fi

if grep -qE 'assert|ERROR|Segmentation' "$LOG/minimal"; then
  fail "kcp interop: ./minimal log is clean"
  tail -n 20 "$LOG/minimal"
fi
rm -rf "$LOG"
netns_finish
