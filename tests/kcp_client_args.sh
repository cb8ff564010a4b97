#!/usr/bin/env bash
# kcp_client_args.sh - ./kcp_client's command line: every bad flag or value
# exits 2 with one error line and a hint, --help exits 0, and a session to
# nobody (loopback only) ends with exit 1 after --timeout. Then, against a
# loopback echo: interactive lines up to the largest message and the refusal
# of a longer one, and --bench --sha256 checked against sha256sum of the payload
# recomputed by tests/lib/kcpc_payload.py. No tap, no root; a few seconds.
set -u
cd "$(dirname "$0")/.." || exit 1

C=./kcp_client
[ -x "$C" ] || { echo "FAIL: $C not built (make kcp_client)"; exit 1; }
FAILED=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

# A loopback port with (almost surely) nobody behind it.
PORT=$((20000 + RANDOM % 20000))
LO=127.0.0.1

# expect_rc RC ARGS...: the exit status, and for 2 one error line and the
# hint to --help on stderr, not the whole usage.
expect_rc() {
  local want=$1 err rc; shift
  err=$(timeout 20 "$C" "$@" </dev/null 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "kcp_client $* exits $want (got $rc)"
  elif [ "$want" -eq 2 ] && ! { [ "$(wc -l <<<"$err")" -eq 2 ] && grep -q '^kcp_client: ' <<<"$err" &&
                                 grep -qx "Try 'kcp_client --help' for more information." <<<"$err"; }; then
    fail "kcp_client $* prints one error and the hint: $err"
  else
    pass "kcp_client $* exits $want"
  fi
}

out=$(timeout 5 "$C" --help 2>/dev/null); rc=$?
if [ "$rc" -eq 0 ] && grep -q -- '--reconnect' <<<"$out"; then pass "--help exits 0 with usage on stdout"
else fail "--help exits 0 with usage on stdout (rc $rc)"; fi
expect_rc 0 -h

# Unknown flags, missing values, stray arguments.
expect_rc 2 --nope
expect_rc 2 --count
expect_rc 2 $LO 8000 extra
# Numbers: range, sign, trailing garbage, empty.
for a in "--count 0" "--count -1" "--count 12x" "--count ''" "--count 1e3" \
         "--size 0" "--size 5-3" "--size 1-" "--size -5" "--size 1-2-3" "--size 200000" \
         "--size 99999999999" "--interval -1" "--interval 3600001" "--duration 0" \
         "--clients 0" "--clients 1001" "--seed x" "--seed 18446744073709551616" \
         "--timeout 0" "--wnd 0" "--wnd 32769" "--mtu 49" "--mtu 1501" \
         "--conv 0x100000000" "--conv 0xg" "--profile turbo" "--profile ''" "--cc reno" "--cc ''" "--cc" \
         "--reconnect --max-reconnects 0"; do
  eval "expect_rc 2 --bench $a $LO $PORT"
done
# The message is named, not an empty string; a size that fits our mtu 1500
# but not the 127 fragments of the server's mtu 1400 echo is refused, saying so.
err=$("$C" --bench --size -5 $LO $PORT 2>&1 >/dev/null)
if grep -q "^kcp_client: --size: '-5' is not a size" <<<"$err"; then pass "--size -5: names the value"
else fail "--size -5: names the value (got: $(head -n1 <<<"$err"))"; fi
expect_rc 2 --bench --mtu 1500 --size 180000 $LO $PORT
err=$("$C" --bench --mtu 1500 --size 180000 $LO $PORT 2>&1 >/dev/null)
if grep -q "180000 bytes is too large for one KCP message: at most 127 fragments.*at most 174752 bytes" <<<"$err"
then pass "--mtu 1500 --size 180000: says the echo needs more than 127 fragments"
else fail "--mtu 1500 --size 180000: says why (got: $(head -n1 <<<"$err"))"; fi
expect_rc 2 --bench $LO 0
expect_rc 2 --bench $LO 65536
expect_rc 2 --bench $LO 80x
# Options that need --bench, options KCP has and TCP has not.
expect_rc 2 --count 5 $LO $PORT
expect_rc 2 --json $LO $PORT
expect_rc 2 --reconnect $LO $PORT
expect_rc 2 --bench --max-reconnects 3 $LO $PORT
expect_rc 2 --bench --tcp --profile fast $LO $PORT
expect_rc 2 --bench --tcp --conv 5 $LO $PORT
expect_rc 2 --bench --tcp --cc bbr $LO $PORT
expect_rc 2 --sha256 $LO $PORT
expect_rc 2 --bench --sha256 --clients 2 $LO $PORT
# The codec options: unknown cipher, half an FEC pair, too many shards, no
# room for the headers, and a codec over TCP.
expect_rc 2 --crypt rot13 $LO $PORT
expect_rc 2 --ds 10 $LO $PORT
expect_rc 2 --ds 100 --ps 100 $LO $PORT
expect_rc 2 --crypt aes --mtu 1481 $LO $PORT
expect_rc 2 --ds 10 --ps 3 --mtu 1473 $LO $PORT
expect_rc 2 --bench --tcp --crypt aes $LO $PORT
# An IPv6 link-local address without its interface: said so, exit 2.
err=$(timeout 5 "$C" fe80::1 </dev/null 2>&1 >/dev/null); rc=$?
if [ "$rc" -eq 2 ] && grep -qx 'kcp_client: fe80::1: a link-local address needs the interface it is on, e.g. fe80::1%tap0' <<<"$err"; then
  pass "link-local address without a scope: exit 2, says it needs one"
else fail "link-local address without a scope: exit 2, says it needs one (rc $rc: $err)"; fi

# Accepted edge values reach the network: nobody answers, so exit 1.
expect_rc 1 --bench --count 1 --size 174752 --timeout 1 $LO $PORT
expect_rc 1 --bench --count 1 --size 1-1 --conv 0xffffffff --profile fast3 --cc bbr --wnd 32768 --mtu 50 --timeout 1 $LO $PORT

# No server: interactive and bench end with 1 after --timeout, not before.
start=$(date +%s%N)
echo hello | timeout 20 "$C" --timeout 2 $LO $PORT >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$rc" -eq 1 ] && [ "$ms" -ge 1900 ] && [ "$ms" -lt 10000 ]; then pass "interactive, no server: exit 1 after --timeout 2 (${ms} ms)"
else fail "interactive, no server: exit 1 after --timeout 2 (rc $rc, ${ms} ms)"; fi
start=$(date +%s%N)
timeout 20 "$C" --bench --count 10 --timeout 2 --json $LO $PORT >/tmp/kcpc_args_$$.json 2>/dev/null; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$rc" -eq 1 ] && [ "$ms" -ge 1900 ] && [ "$ms" -lt 10000 ] && grep -q '"dead":1' /tmp/kcpc_args_$$.json; then
  pass "bench, no server: exit 1 after --timeout 2, dead session in JSON (${ms} ms)"
else fail "bench, no server: exit 1 after --timeout 2 (rc $rc, ${ms} ms, $(cat /tmp/kcpc_args_$$.json))"; fi
rm -f /tmp/kcpc_args_$$.json
# Reconnect is bounded by --max-reconnects: 2 more silent sessions, then exit 1.
start=$(date +%s%N)
timeout 30 "$C" --bench --count 3 --timeout 1 --reconnect --max-reconnects 2 --json $LO $PORT >/tmp/kcpc_args_$$.json 2>/dev/null; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$rc" -eq 1 ] && [ "$ms" -ge 2900 ] && grep -q '"reconnects":2' /tmp/kcpc_args_$$.json; then
  pass "bench --reconnect, no server: 2 reconnects then exit 1 (${ms} ms)"
else fail "bench --reconnect, no server (rc $rc, ${ms} ms, $(cat /tmp/kcpc_args_$$.json))"; fi
rm -f /tmp/kcpc_args_$$.json
# TCP to a closed port: refused at once, exit 1.
expect_rc 1 --tcp --bench --count 1 --timeout 5 $LO $PORT
# Empty input: nothing to wait for, exit 0 even without a server.
timeout 10 "$C" --timeout 5 $LO $PORT </dev/null >/dev/null 2>&1
check_rc=$?
if [ "$check_rc" -eq 0 ]; then pass "interactive, empty input: exit 0"; else fail "interactive, empty input: exit 0 (got $check_rc)"; fi

# A loopback echo, gone after 60 s at the latest: UDP datagrams go back to
# their sender, so a KCP session talks to itself (its segments return as the
# echo's segments, its ACKs as the echo's ACKs); a TCP echo; and a UDP one
# that goes silent from 0.2 s to 2 s after its first datagram.
TMP=$(mktemp -d)
python3 - >"$TMP/ports" <<'PYEOF' &
import socket, threading, time
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
tcp = socket.socket()
tcp.bind(("127.0.0.1", 0))
tcp.listen(4)
gap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
gap.bind(("127.0.0.1", 0))
print(udp.getsockname()[1], tcp.getsockname()[1], gap.getsockname()[1], flush=True)
def reflect():
    while True:
        data, addr = udp.recvfrom(65536)
        udp.sendto(data, addr)
def reflect_with_gap():
    first = None
    while True:
        data, addr = gap.recvfrom(65536)
        now = time.monotonic()
        first = first or now
        if not 0.2 <= now - first < 2.0:
            gap.sendto(data, addr)
def echo(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)
def accept():
    while True:
        threading.Thread(target=echo, args=(tcp.accept()[0],), daemon=True).start()
threading.Thread(target=reflect, daemon=True).start()
threading.Thread(target=reflect_with_gap, daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
time.sleep(60)
PYEOF
ECHO_PID=$!
trap 'kill "$ECHO_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -s "$TMP/ports" ] && break; sleep 0.1; done
UPORT= TPORT= GPORT=
read -r UPORT TPORT GPORT <"$TMP/ports"
if [ -z "$UPORT" ] || [ -z "$TPORT" ] || [ -z "$GPORT" ]; then fail "loopback echo (python3) started"; exit 1; fi

# Without --conv, each run picks its own random conv (the first 4 bytes of
# its first datagram): three runs, three convs.
nconv=$(python3 - "$C" <<'PYEOF'
import socket, subprocess, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
convs = set()
for _ in range(3):
    p = subprocess.Popen([sys.argv[1], "--timeout", "1", "127.0.0.1", str(s.getsockname()[1])],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.stdin.write(b"x\n")
    p.stdin.close()
    convs.add(s.recvfrom(65536)[0][:4])
    p.wait(10)
    s.setblocking(False)
    try:
        while s.recv(65536):
            pass
    except BlockingIOError:
        pass
    s.settimeout(5)
print(len(convs))
PYEOF
)
if [ "$nconv" = 3 ]; then pass "default conv is random: 3 runs, 3 convs"
else fail "default conv is random: 3 runs gave $nconv distinct convs"; fi

# Interactive: a line of the largest message (127 * (1400 - 24) = 174752
# bytes with its newline) is echoed whole; one byte more is refused with a
# message, and the lines around it still go out.
{ echo first; head -c 174751 /dev/zero | tr '\0' x; echo; echo last; } >"$TMP/max"
timeout 20 "$C" --timeout 5 $LO "$UPORT" <"$TMP/max" >"$TMP/echo" 2>"$TMP/err"; rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$TMP/max" "$TMP/echo"; then pass "interactive: a 174752-byte line (the largest message) is echoed whole"
else fail "interactive: a 174752-byte line is echoed whole (rc $rc, $(head -c 200 "$TMP/err"))"; fi
{ echo first; head -c 174752 /dev/zero | tr '\0' x; echo; echo last; } >"$TMP/long"
timeout 20 "$C" --timeout 5 $LO "$UPORT" <"$TMP/long" >"$TMP/echo" 2>"$TMP/err"; rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$TMP/echo")" = "$(printf 'first\nlast')" ] &&
   grep -q 'line longer than 174752 bytes refused' "$TMP/err"; then
  pass "interactive: a 174753-byte line is refused with a message, the others echoed"
else fail "interactive: a 174753-byte line is refused (rc $rc, echo $(head -c 100 "$TMP/echo"), $(head -c 200 "$TMP/err"))"; fi

# --sha256: the digests the client reports equal sha256sum of the payload
# recomputed independently; sizes around SHA-256's 55/56/64-byte padding
# edges, then many messages of random sizes in each mode.
jstr() { grep -o "\"$1\":\"[0-9a-f]*\"" "$2" | cut -d'"' -f4; }
# sha_run NAME SEED COUNT MIN MAX PORT ARGS...: 0 when both reported digests
# equal the recomputed one, else a FAIL line.
sha_run() {
  local name=$1 seed=$2 count=$3 lo=$4 hi=$5 port=$6 want sent echoed rc; shift 6
  timeout 20 "$C" --bench --json --sha256 --seed "$seed" --count "$count" --size "$lo-$hi" \
    --timeout 5 "$@" $LO "$port" >"$TMP/out.json" 2>"$TMP/err"; rc=$?
  want=$(python3 tests/lib/kcpc_payload.py "$seed" "$count" "$lo" "$hi" | sha256sum | cut -d' ' -f1)
  sent=$(jstr sha256_sent "$TMP/out.json"); echoed=$(jstr sha256_echoed "$TMP/out.json")
  if [ "$rc" -eq 0 ] && [ "$sent" = "$want" ] && [ "$echoed" = "$want" ]; then return 0; fi
  fail "--sha256 $name: exit $rc, sent ${sent:-?}, echoed ${echoed:-?}, sha256sum $want $(head -c 200 "$TMP/err")"
  return 1
}
ok=0
for n in 1 55 56 63 64 65 119 120 128 1000; do
  sha_run "one $n-byte message" "$n" 1 "$n" "$n" "$UPORT" || ok=1
done
[ "$ok" -eq 0 ] && pass "--sha256 of one message of 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000 bytes equals sha256sum"
sha_run "KCP messages" 7 300 1 3000 "$UPORT" &&
  pass "--sha256, 300 KCP messages of 1-3000 bytes: sent = echoed = sha256sum"
sha_run "KCP stream" 8 300 1 3000 "$UPORT" --stream &&
  pass "--sha256, 300 messages of 1-3000 bytes in KCP stream mode: sent = echoed = sha256sum"
sha_run "TCP" 9 300 1 3000 "$TPORT" --tcp &&
  pass "--sha256, 300 messages of 1-3000 bytes over TCP: sent = echoed = sha256sum"
# The silent gap kills the session (--timeout 1) in the middle of a stream
# message, twice: the echo digest must roll back to the last whole echo, as
# the new session sends that message again from its start.
if sha_run "KCP stream, reconnects" 5 3000 1000 10000 "$GPORT" --stream --reconnect --timeout 1; then
  n=$(grep -o '"reconnects":[0-9]*' "$TMP/out.json" | cut -d: -f2)
  if [ "${n:-0}" -ge 1 ]; then pass "--sha256, stream mode across $n reconnects: sent = echoed = sha256sum"
  else fail "--sha256 across reconnects: the gap caused no reconnect ($(head -c 300 "$TMP/out.json"))"; fi
fi
timeout 20 "$C" --bench --sha256 --count 3 $LO "$UPORT" >"$TMP/out.txt" 2>&1
want=$(python3 tests/lib/kcpc_payload.py 1 3 1024 1024 | sha256sum | cut -d' ' -f1)
if grep -q "^sha256     sent $want, echoed $want\$" "$TMP/out.txt"; then pass "--sha256 text report: 'sha256     sent X, echoed X'"
else fail "--sha256 text report: $(tail -n 2 "$TMP/out.txt")"; fi

exit "$FAILED"
