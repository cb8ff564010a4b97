#!/usr/bin/env bash
# tap_kcptun.sh - ./minimal as a kcptun server and client (--kcptun-*)
# against Debian's real kcptun (kcptun-client, kcptun-server), in a private
# network namespace. TCP traffic comes from tests/interop/bin/tcpecho_peer
# (parallel connections, random bytes, every echoed byte compared);
# the echo behind the tunnel is socat + cat on the namespace's side of the
# tap (socat's PIPE echo can block on its own pipe under load).
#  - server role: kcptun-client -> ./minimal -> TCP echo: kcptun's defaults
#    (aes, FEC 10/3, compression, smux 1), none with FEC 0/0, no
#    compression and smux 2, salsa20, xor, each other cipher briefly; the
#    in-process echo target with mode fast3; with smux 2, a stream whose
#    reader stopped does not stall the others; Debian's example JSON configs
#    at both ends (--kcptun-config, kcptun -c);
#  - client role: ./minimal --kcptun-remote -> kcptun-server -> TCP echo:
#    aes defaults (mode fast), none 0/0 smux 2 without compression (fast2),
#    salsa20 (fast3), xor 0/0 (normal), manual with its four settings;
#  - 5 % loss at ./minimal with FEC 10/3 (echo target: a TCP target would
#    sit behind the same lossy tap): shards recovered, bytes exact;
#  - 300 streams at once: 256 served, the rest refused, service goes on;
#  - wrong key: every datagram dropped and counted, no session opens;
#    smux version mismatch: counted and logged, ./minimal keeps serving;
#  - client role, conn 3 (Debian's example JSON at both ends): 12 streams
#    in turn over 3 sessions, each from its own UDP port (kcptun-server's
#    log); autoexpire and scavengettl;
#  - a kcptun-client killed mid-stream: its session and streams are freed
#    after three keepalive periods; a kcptun-server killed mid-stream with
#    conn 3: all 3 sessions, streams and pcbs freed, new ones once it is
#    back (valgrind both times: 0 errors, 0 bytes lost).
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init

PEER=tests/interop/bin/tcpecho_peer
HOST=192.168.0.2
PORT=29900
NSHOST=192.168.0.1
ECHOPORT=5201
TARGET=$NSHOST:$ECHOPORT
for b in kcptun-client kcptun-server socat; do
  command -v "$b" >/dev/null || { fail "kcptun: $b installed (make deps)"; netns_finish; }
done
if ! make -s --no-print-directory "$PEER" >"$TAP_TMP/make.log" 2>&1; then
  cat "$TAP_TMP/make.log"
  fail "kcptun: tcpecho_peer builds"
  netns_finish
fi
netns_bg socat TCP4-LISTEN:$ECHOPORT,bind=$NSHOST,reuseaddr,fork,backlog=512 EXEC:cat
wait_for 5 nsx bash -c "ss -ltn | grep -q ':$ECHOPORT '"

# kstat FIELD [GROUP]: FIELD of ./minimal's newest counters of GROUP
# (after SIGUSR1): "kcptun" (the default: sessions, streams, bytes),
# "kcptun kcp" (its KCP pcbs) or "kcptun codec". The "kcptun" line comes
# last, so once a new one is there the others are too.
kstat() {
  local before
  before=$(grep -c '^kcptun: sessions [0-9]' "$LOG")
  kill -USR1 "$MINIMAL_PID"
  wait_for 5 bash -c "[ \$(grep -c '^kcptun: sessions [0-9]' '$LOG') -gt $before ]"
  grep -E "^${2:-kcptun}: (sessions|opened) [0-9]" "$LOG" | tail -n 1 |
    awk -v f="$1" '{for (i = 2; i < NF; i++) if ($i == f) { print $(i + 1); exit }}'
}

# tcp NAME ADDR:PORT CONNS BYTES: TCP clients through a tunnel end.
tcp() {
  if nsx timeout 60 "$PEER" -addr "$2" -timeout 45s -conns "$3" -bytes "$4" >"$TAP_TMP/peer" 2>&1; then
    pass "$1: $(tail -n 1 "$TAP_TMP/peer")"
  else
    fail "$1"
    sed 's/^/  tcp clients: /' "$TAP_TMP/peer"
  fi
}

# stop_all: ./minimal and the kcptun peer; the status is ./minimal's.
stop_all() {
  local rc=0
  [ -z "$MINIMAL_PID" ] || { stop_minimal >/dev/null; rc=$?; }
  MINIMAL_PID=
  [ -z "$KPID" ] || { kill -TERM "$KPID" 2>/dev/null; wait "$KPID" 2>/dev/null; }
  KPID=
  return $rc
}

# server NAME CONNS BYTES "MINIMAL ARGS" "KCPTUN-CLIENT ARGS": ./minimal
# as the kcptun server, the real kcptun-client in front of it.
server() {
  local name=$1 conns=$2 bytes=$3 margs=$4 cargs=$5
  stop_all
  LOG=$TAP_TMP/minimal.$RANDOM
  # shellcheck disable=SC2086
  start_minimal "$LOG" --kcptun-listen "$PORT" $margs || { fail "$name: ./minimal starts"; cat "$LOG"; return; }
  # shellcheck disable=SC2086
  netns_bg kcptun-client -r "$HOST:$PORT" -l "$NSHOST:7000" --quiet $cargs >"$TAP_TMP/kcptun.log" 2>&1
  KPID=$NETNS_LAST_PID
  wait_for 5 nsx bash -c "ss -ltn | grep -q ':7000 '"
  [ "$conns" -eq 0 ] || tcp "server role, $name" "$NSHOST:7000" "$conns" "$bytes"
}

# kserver "KCPTUN-SERVER ARGS": the real kcptun-server behind ./minimal's
# client role, logging every stream it opens (its log: $TAP_TMP/kcptun.log).
kserver() {
  # shellcheck disable=SC2086
  netns_bg kcptun-server -l "$NSHOST:29901" -t "$TARGET" $1 >"$TAP_TMP/kcptun.log" 2>&1
  KPID=$NETNS_LAST_PID
}

# client NAME CONNS BYTES "MINIMAL ARGS" "KCPTUN-SERVER ARGS": ./minimal as
# the kcptun client, the real kcptun-server behind it.
client() {
  local name=$1 conns=$2 bytes=$3 margs=$4 sargs=$5
  stop_all
  kserver "$sargs"
  LOG=$TAP_TMP/minimal.$RANDOM
  # shellcheck disable=SC2086
  start_minimal "$LOG" --kcptun-remote "$NSHOST:29901" --kcptun-local 6000 $margs ||
    { fail "$name: ./minimal starts"; cat "$LOG"; return; }
  tcp "client role, $name" "$HOST:6000" "$conns" "$bytes"
}

# sources: how many streams kcptun-server opened from each of ./minimal's
# UDP ports, one count a line, in increasing order.
sources() {
  grep -o 'stream opened in: [^ ]*' "$TAP_TMP/kcptun.log" | sed 's/ *(.*//; s/.* //' |
    sort | uniq -c | awk '{print $1}' | sort -n | tr '\n' ' '
}

MB=1048576
HALF=524288
server "kcptun defaults (aes, FEC 10/3, compression, smux 1)" 20 $MB "--kcptun-target $TARGET" ""
check "kcptun: FEC parity went both ways, all streams closed" \
  test "$(kstat parity_in "kcptun codec") -gt 0 -a $(kstat parity_out "kcptun codec") -gt 0 -a $(kstat streams) -eq 0"
# 300 streams at once in one session: 256 are served, the rest refused
# with FIN (their TCP connections end), and the tunnel serves on.
nsx timeout 40 "$PEER" -addr "$NSHOST:7000" -timeout 20s -conns 300 -bytes 100000 >/dev/null 2>&1
ref=$(kstat streams_refused)
check "kcptun: the stream cap refuses streams beyond 256 in a session ($ref refused)" test "${ref:-0}" -gt 0
tcp "server role after the stream cap" "$NSHOST:7000" 2 65536
server "none, FEC 0/0, no compression, smux 2" 10 $HALF \
  "--kcptun-target $TARGET --kcptun-crypt none --kcptun-ds 0 --kcptun-ps 0 --kcptun-nocomp --kcptun-smuxver 2" \
  "--crypt none --ds 0 --ps 0 --nocomp --smuxver 2"
server "salsa20, smux 2" 10 $HALF "--kcptun-target $TARGET --kcptun-crypt salsa20 --kcptun-smuxver 2" \
  "--crypt salsa20 --smuxver 2"
server "xor, no compression" 10 $HALF "--kcptun-target $TARGET --kcptun-crypt xor --kcptun-nocomp" \
  "--crypt xor --nocomp"
server "echo target, mode fast3, key" 5 262144 \
  "--kcptun-target echo --kcptun-mode fast3 --kcptun-key sekrit" "--mode fast3 --key sekrit"
# smux 2, a stream whose reader stopped (tcp_hold.py --hog writes and
# never reads: its echo backs up to us) does not stop its session's other
# streams: ./minimal holds that stream's bytes within its window instead
# of leaving them in KCP, and frees them when the stream ends.
server "smux 2, echo target, window 65536" 0 0 \
  "--kcptun-target echo --kcptun-smuxver 2 --kcptun-streambuf 65536" "--smuxver 2 --streambuf 65536"
netns_bg python3 tests/lib/tcp_hold.py "$NSHOST" 7000 --hog --hold 50 >"$TAP_TMP/hog" 2>&1
HOG=$NETNS_LAST_PID
wait_for 40 grep -q holding "$TAP_TMP/hog"
held=$(kstat stream_held)
check "kcptun: smux 2: a stream whose reader stopped is held for ($held bytes; $(head -n 1 "$TAP_TMP/hog"))" \
  test "${held:-0}" -gt 0 -a "${held:-0}" -le 262144
tcp "server role, smux 2: streams beside the stalled one" "$NSHOST:7000" 4 262144
kill -KILL "$HOG" 2>/dev/null
wait "$HOG" 2>/dev/null
for ((i = 0; i < 50; i++)); do [ "$(kstat streams) $(kstat stream_held)" = "0 0" ] && break; sleep 0.2; done
check "kcptun: smux 2: the stalled stream, once its client is gone, is freed with what it held" \
  test "$(kstat streams) $(kstat stream_held)" = "0 0"
# kcptun's own JSON examples (Debian's), each end reading its file.
# Also for the client role (server3.json, client3.json: conn 3).
python3 - "$TAP_TMP" "$TARGET" "$HOST:$PORT" "$NSHOST:7000" "$NSHOST:29901" <<'PY'
import json, sys
d, target, remote, local, remote3 = sys.argv[1:]
ex = "/usr/share/doc/kcptun/examples/"
s = json.load(open(ex + "server.json")); s.update(listen=":29900", target=target)
c = json.load(open(ex + "local.json")); c.update(localaddr=local, remoteaddr=remote)
json.dump(s, open(d + "/server.json", "w")); json.dump(c, open(d + "/client.json", "w"))
s.update(listen=remote3); c.update(localaddr=":6000", remoteaddr=remote3, conn=3)
json.dump(s, open(d + "/server3.json", "w")); json.dump(c, open(d + "/client3.json", "w"))
PY
server "Debian's example JSON configs at both ends (aes-128, fast3, no compression)" 10 $HALF \
  "--kcptun-config $TAP_TMP/server.json" "-c $TAP_TMP/client.json"
for c in aes-128 aes-192 blowfish twofish cast5 3des tea xtea sm4; do
  server "$c" 2 65536 "--kcptun-target $TARGET --kcptun-crypt $c" "--crypt $c"
done

server "5 % loss at ./minimal, FEC 10/3, echo target" 5 262144 "--kcptun-target echo --loss 5" ""
rec=$(kstat recovered "kcptun codec")
check "kcptun: FEC recovered lost shards ($rec datagrams rebuilt)" test "${rec:-0}" -gt 0

server "wrong key" 0 0 "--kcptun-target $TARGET" "--key wrong"
nsx timeout 8 "$PEER" -addr "$NSHOST:7000" -timeout 3s -conns 1 -bytes 1000 >/dev/null 2>&1
crc=$(kstat crc_err "kcptun codec")
check "kcptun: a wrong key's datagrams are dropped and counted ($crc), no session opens" \
  test "${crc:-0}" -gt 0 -a "$(kstat sessions "kcptun kcp")" -eq 0 -a "$(kstat sessions)" -eq 0
server "smux mismatch" 0 0 "--kcptun-target $TARGET --kcptun-smuxver 2" ""
nsx timeout 8 "$PEER" -addr "$NSHOST:7000" -timeout 3s -conns 1 -bytes 1000 >/dev/null 2>&1
check "kcptun: smux version mismatch closes the session, counted and logged" \
  bash -c "[ $(kstat proto_errors) -ge 1 ] && grep -q 'smux protocol error' '$LOG'"
stop_all

client "kcptun defaults (aes, FEC 10/3, compression, smux 1)" 20 $MB "" ""
client "none, FEC 0/0, no compression, smux 2, mode fast2" 10 $HALF \
  "--kcptun-crypt none --kcptun-ds 0 --kcptun-ps 0 --kcptun-nocomp --kcptun-smuxver 2 --kcptun-mode fast2" \
  "--crypt none --ds 0 --ps 0 --nocomp --smuxver 2 --mode fast2"
client "salsa20, mode fast3" 10 $HALF "--kcptun-crypt salsa20 --kcptun-mode fast3" "--crypt salsa20 --mode fast3"
client "xor, FEC 0/0, mode normal" 10 $HALF "--kcptun-crypt xor --kcptun-ds 0 --kcptun-ps 0 --kcptun-mode normal" \
  "--crypt xor --ds 0 --ps 0 --mode normal"
client "mode manual (nodelay 1, interval 20, resend 2, nc 1), smux 2" 4 65536 \
  "--kcptun-mode manual --kcptun-nodelay 1 --kcptun-interval 20 --kcptun-resend 2 --kcptun-nc 1 --kcptun-smuxver 2" \
  "--mode manual --nodelay 1 --interval 20 --resend 2 --nc 1 --smuxver 2"
# conn 3: three KCP sessions, each from a UDP port of its own (kcp-go's
# server tells clients apart by address), take the 12 streams in turn;
# Debian's example JSON configs at both ends, with "conn": 3 in ours.
client "conn 3, Debian's example JSON configs at both ends (aes-128, fast3, no compression)" \
  12 131072 "--kcptun-config $TAP_TMP/client3.json" "-c $TAP_TMP/server3.json"
check "kcptun: conn 3: kcptun-server saw 4 streams from each of 3 UDP ports ($(sources))" \
  test "$(sources)" = "4 4 4 "
check "kcptun: conn 3: 3 sessions, 3 pcbs, 12 streams opened" \
  test "$(kstat sessions) $(kstat pcbs) $(kstat opened)" = "3 3 12"
# autoexpire 1: streams after the first second go to new sessions; the
# expired ones close scavengettl 1 later, as kcptun's scavenger does.
client "conn 2, autoexpire 1, scavengettl 1" 2 65536 "--kcptun-conn 2 --kcptun-autoexpire 1 --kcptun-scavengettl 1" ""
sleep 1
tcp "client role, after autoexpire" "$HOST:6000" 2 65536
for ((i = 0; i < 30; i++)); do [ "$(kstat scavenged)" -ge 2 ] && break; sleep 0.2; done
check "kcptun: autoexpire: new sessions from new ports ($(sources)), the expired ones scavenged" \
  test "$(sources)" = "1 1 1 1 " -a "$(kstat scavenged)" -ge 2
stop_all

# bulk ADDR:PORT CONNS COUNTER: TCP clients sending 50 MB each through
# the tunnel in the background (pid $BULK), until COUNTER passes 300 000
# bytes (its value in $moved).
bulk() {
  nsx timeout 60 "$PEER" -addr "$1" -timeout 40s -conns "$2" -bytes 50000000 >/dev/null 2>&1 &
  BULK=$!
  for ((i = 0; i < 30; i++)); do
    moved=$(kstat "$3")
    [ "${moved:-0}" -gt 300000 ] && break
    sleep 1
  done
}

# vanish COUNTER...: the kcptun peer killed (SIGKILL: no goodbye) under the
# bulk clients, then up to 15 s for every COUNTER (FIELD or FIELD@GROUP, as
# kstat takes them) to be 0 ($i: seconds).
vanish() {
  local want
  want=$(printf '0 %.0s' "$@")
  kill -KILL "$KPID" 2>/dev/null
  wait "$KPID" 2>/dev/null
  KPID=
  wait "$BULK" 2>/dev/null
  for ((i = 0; i < 15; i++)); do
    [ "$(for c in "$@"; do
      if [[ $c == *@* ]]; then printf '%s ' "$(kstat "${c%@*}" "${c#*@}")"; else printf '%s ' "$(kstat "$c")"; fi
    done)" = "$want" ] && return 0
    sleep 1
  done
  return 1
}

# A kcptun-client killed mid-stream, ./minimal under valgrind; keepalive
# 1 s, so its session ends within about 3 s.
LOG=$TAP_TMP/minimal.valgrind
start_valgrind_minimal "$LOG" --kcptun-listen "$PORT" --kcptun-target "$TARGET" --kcptun-keepalive 1 ||
  { fail "kcptun: ./minimal starts under valgrind"; cat "$LOG"; netns_finish; }
netns_bg kcptun-client -r "$HOST:$PORT" -l "$NSHOST:7000" --quiet >"$TAP_TMP/kcptun.log" 2>&1
KPID=$NETNS_LAST_PID
wait_for 5 nsx bash -c "ss -ltn | grep -q ':7000 '"
bulk "$NSHOST:7000" 4 to_tcp
check "kcptun: the vanished client had moved data ($moved bytes to the target)" test "${moved:-0}" -gt 300000
check "kcptun: a vanished client's session and streams are freed" vanish "sessions@kcptun kcp" sessions streams
stop_minimal >/dev/null
valgrind_verdict "$LOG" $?

# The same in the client role with conn 3: kcptun-server killed mid-stream;
# every session, stream and pcb is freed, and new sessions open once a
# server is back.
LOG=$TAP_TMP/minimal.valgrind.client
kserver --quiet
start_valgrind_minimal "$LOG" --kcptun-remote "$NSHOST:29901" --kcptun-local 6000 --kcptun-conn 3 \
  --kcptun-keepalive 1 || { fail "kcptun: ./minimal starts under valgrind (client)"; cat "$LOG"; netns_finish; }
bulk "$HOST:6000" 3 from_tcp
check "kcptun: conn 3 under valgrind: 3 sessions had moved data ($moved bytes from TCP)" \
  test "${moved:-0}" -gt 300000 -a "$(kstat sessions)" -eq 3
check "kcptun: a vanished server's 3 sessions, their streams and pcbs are freed" \
  vanish "sessions@kcptun kcp" sessions streams pcbs
kserver ""
tcp "client role, conn 3, new sessions once the server is back" "$HOST:6000" 3 65536
check "kcptun: the server saw the new streams from 3 new UDP ports ($(sources))" test "$(sources)" = "1 1 1 "
stop_all
valgrind_verdict "$LOG" $?
netns_finish
