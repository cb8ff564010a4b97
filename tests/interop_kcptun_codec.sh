#!/usr/bin/env bash
# interop_kcptun_codec.sh - what Debian's real kcptun-client sends opens
# with our codec: kcptun-client (loopback only) carries one TCP connection
# to a "server" that is build/tests/tools/codec_sink, which answers nothing
# and opens every datagram with codec/: with the right settings every
# datagram opens (no CRC error), FEC data shards carry KCP segments of one
# conv and parity shards come after them; with a wrong key none opens.
# Prints one PASS:/FAIL: line per case for tests/run-tests.sh.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh   # pass / fail / check only: no namespace is made

SINK=build/tests/tools/codec_sink
command -v kcptun-client >/dev/null || { fail "kcptun-client installed (make deps)"; exit 1; }
make -s --no-print-directory "$SINK" >/dev/null 2>&1 || { fail "$SINK builds"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run_case NAME "SINK CRYPT KEY DS PS" "KCPTUN ARGS" EXPECT
# EXPECT: fec (data and parity shards), plain (bare KCP), wrongkey.
run_case() {
  local name=$1 sink=$2 kargs=$3 expect=$4 port lport out line
  port=$((30000 + RANDOM % 20000)); lport=$((port + 1))
  # shellcheck disable=SC2086
  timeout 30 "$SINK" "$port" $sink >"$TMP/sink" 2>&1 &
  local spid=$!
  # shellcheck disable=SC2086
  timeout 20 kcptun-client -r "127.0.0.1:$port" -l "127.0.0.1:$lport" $kargs >"$TMP/kcptun" 2>&1 &
  local kpid=$!
  sleep 1.5
  # 30 KB: more than two FEC groups of full datagrams, unacknowledged
  (head -c 30000 /dev/urandom; sleep 1) | timeout 5 nc -q 1 127.0.0.1 "$lport" >/dev/null 2>&1
  kill -TERM "$kpid" 2>/dev/null; wait "$kpid" 2>/dev/null
  wait "$spid"
  line=$(grep '^opened' "$TMP/sink")
  set -- $line
  local opened=${2:-0} crc=${4:-0} data=${6:-0} parity=${8:-0} plain=${10:-0} bad=${12:-0}
  case $expect in
    fec) out=$([ "$opened" -gt 0 ] && [ "$crc" -eq 0 ] && [ "$data" -gt 0 ] && [ "$parity" -gt 0 ] &&
               [ "$plain" -eq 0 ] && [ "$bad" -eq 0 ] && echo ok) ;;
    plain) out=$([ "$opened" -gt 0 ] && [ "$crc" -eq 0 ] && [ "$plain" -gt 0 ] && [ "$data" -eq 0 ] &&
                 [ "$bad" -eq 0 ] && echo ok) ;;
    wrongkey) out=$([ "$opened" -eq 0 ] && [ "$crc" -gt 0 ] && echo ok) ;;
  esac
  if [ "$out" = ok ]; then
    pass "$name: $line"
  else
    fail "$name: ${line:-no report}"
    sed 's/^/  kcptun: /' "$TMP/kcptun" | tail -n 5
  fi
}

run_case "kcptun-client aes, FEC 10/3" "aes k1 10 3" \
  "--crypt aes --key k1 --datashard 10 --parityshard 3" fec
run_case "kcptun-client salsa20, FEC 10/3, no compression" "salsa20 k2 10 3" \
  "--crypt salsa20 --key k2 --datashard 10 --parityshard 3 --nocomp" fec
run_case "kcptun-client none, FEC off" "none k3 0 0" \
  "--crypt none --key k3 --datashard 0 --parityshard 0" plain
run_case "kcptun-client twofish, FEC off" "twofish k4 0 0" \
  "--crypt twofish --key k4 --datashard 0 --parityshard 0" plain
run_case "kcptun-client aes with another key: nothing opens" "aes right 10 3" \
  "--crypt aes --key wrong --datashard 10 --parityshard 3" wrongkey
netns_finish
