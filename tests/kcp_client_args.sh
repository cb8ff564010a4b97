#!/usr/bin/env bash
# kcp_client_args.sh - ./kcp_client's command line: every bad flag or value
# exits 2 with the usage, --help exits 0, and a session to nobody (loopback
# only) ends with exit 1 after --timeout. No tap, no root; a few seconds.
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

# expect_rc RC ARGS...: the exit status, and for 2 the usage on stderr.
expect_rc() {
  local want=$1 err rc; shift
  err=$(timeout 20 "$C" "$@" </dev/null 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "kcp_client $* exits $want (got $rc)"
  elif [ "$want" -eq 2 ] && ! grep -q '^usage: kcp_client' <<<"$err"; then
    fail "kcp_client $* prints the usage"
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
         "--conv 0x100000000" "--conv 0xg" "--profile turbo" "--profile ''" \
         "--reconnect --max-reconnects 0"; do
  eval "expect_rc 2 --bench $a $LO $PORT"
done
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

# Accepted edge values reach the network: nobody answers, so exit 1.
expect_rc 1 --bench --count 1 --size 174752 --timeout 1 $LO $PORT
expect_rc 1 --bench --count 1 --size 1-1 --conv 0xffffffff --profile fast3 --wnd 32768 --mtu 50 --timeout 1 $LO $PORT

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

exit "$FAILED"
