#!/usr/bin/env bash
# interop_smux.sh - our smux module (apps/kcptun/smux.c) against Debian's Go
# smux, the multiplexer kcptun runs, over loopback TCP (127.0.0.1 only).
#
#   build/tests/smux_peer            our module (tests/interop/smux_peer.c)
#   tests/interop/bin/smuxgo_peer    Go smux (tests/interop/smuxgo_peer)
#
# For smux versions 1 and 2: Go opens 8 streams of 1 MB, ours echoes them,
# Go compares, idles 4 s with a 3 s keepalive timeout (only our NOPs keep
# the session) and opens one more stream; then ours opens 8 streams of
# 1 MB and Go echoes them. 1 MB is four times Go's initial window guess,
# so version 2 only completes if both sides send and honour UPD frames.
# Prints one PASS:/FAIL: line per case for tests/run-tests.sh.
set -u
cd "$(dirname "$0")/.." || exit 1

CPEER=build/tests/smux_peer
GOPEER=tests/interop/bin/smuxgo_peer
CASE_TIMEOUT=40
FAILED=0
GOPID=
TMP=$(mktemp -d)

cleanup() {
  [ -z "$GOPID" ] || { kill -TERM "$GOPID" 2>/dev/null; wait "$GOPID" 2>/dev/null; }
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

if ! make -s --no-print-directory "$CPEER" "$GOPEER" >"$TMP/make.log" 2>&1; then
  cat "$TMP/make.log"
  fail "smux interop peers build"
  exit 1
fi

# run_case NAME CPEER-ARGS -- GOPEER-ARGS: start the Go peer, wait for its
# port, run ours against it; both must exit 0. Our summary is in $TMP/c.out.
run_case() {
  local name=$1 cargs=() gargs=() port="" i rc grc
  shift
  while [ "$1" != "--" ]; do cargs+=("$1"); shift; done
  shift
  gargs=("$@")
  : >"$TMP/go.out"
  timeout "$CASE_TIMEOUT" "$GOPEER" "${gargs[@]}" >"$TMP/go.out" 2>&1 &
  GOPID=$!
  for i in $(seq 50); do
    port=$(awk '/^listening/{print $2}' "$TMP/go.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    fail "$name (Go peer did not listen)"
    return 1
  fi
  timeout "$CASE_TIMEOUT" "$CPEER" "${cargs[0]}" "${cargs[1]}" "$port" "${cargs[@]:2}" \
    >"$TMP/c.out" 2>&1
  rc=$?
  wait "$GOPID"
  grc=$?
  GOPID=
  if [ "$rc" -ne 0 ] || [ "$grc" -ne 0 ]; then
    sed 's/^/  ours: /' "$TMP/c.out"
    sed 's/^/  go:   /' "$TMP/go.out"
    fail "$name (ours exit $rc, Go exit $grc)"
    return 1
  fi
  return 0
}

# count WORD: the number after WORD in our summary line.
count() { awk -v w="$1" '{for (i = 1; i < NF; i++) if ($i == w) print $(i + 1)}' "$TMP/c.out"; }

for v in 1 2; do
  if run_case "v$v Go client, our echo" echo "$v" -- \
      client -ver "$v" -streams 8 -bytes 1048576 -idle 4; then
    syn=$(count syn) nop=$(count nop) upd=$(count upd)
    if [ "$syn" -ne 9 ]; then
      fail "v$v Go client, our echo: $syn SYN frames, expected 9"
    elif [ "$nop" -lt 3 ]; then
      fail "v$v Go client, our echo: $nop keepalive NOPs in 4 s idle"
    elif [ "$v" = 2 ] && [ "$upd" -lt 8 ]; then
      fail "v$v Go client, our echo: $upd UPD frames, expected one per stream at least"
    else
      pass "v$v Go client -> our echo: 9 streams byte-exact, $nop NOPs, $upd UPDs, session kept by our keepalive"
    fi
  fi
  if run_case "v$v our client, Go echo" client "$v" 8 1048576 -- echo -ver "$v"; then
    upd=$(count upd)
    if [ "$v" = 2 ] && [ "$upd" -lt 8 ]; then
      fail "v$v our client, Go echo: $upd UPD frames, expected window updates"
    else
      pass "v$v our client -> Go echo: 8 streams of 1 MB byte-exact, $upd UPDs"
    fi
  fi
done
exit "$FAILED"
