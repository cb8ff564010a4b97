#!/usr/bin/env bash
# tap_kcp_codec.sh - kcp-go's datagram codec on ./minimal's KCP echo
# (--kcp-crypt/--kcp-key/--kcp-ds/--kcp-ps) through a tap in a private
# network namespace, with 5 % loss each way (./minimal --loss 5):
#  - ./kcp_client with the same settings (aes, FEC 10/3): every echo
#    verified, and lost datagrams rebuilt from parity on both ends;
#  - the real kcp-go (tests/interop/bin/kcpgo_peer, set up as kcptun) as
#    the client: every byte echoed;
#  - a client with the wrong key: no echo, every datagram that reached the
#    service counted as a CRC error and malformed, and no session opened;
#  - then, on a clean link, kcp-go clients against ./minimal restarted with
#    other ciphers and FEC settings (the server-role interop matrix);
#  - last, ./minimal with FEC under valgrind: sessions that idle out and
#    ones still open at SIGTERM leave no error and nothing definitely lost.
# Needs root (ip netns).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh
. tests/lib/robust.sh

S=192.168.0.2
KCPGO=tests/interop/bin/kcpgo_peer
CODEC=(--crypt aes --key s3cret --ds 10 --ps 3)

if ! make -s --no-print-directory "$KCPGO" ./kcp_client ./minimal >/dev/null 2>&1; then
  echo "FAIL: codec tap test: build ./minimal, ./kcp_client and $KCPGO"
  exit 1
fi
tap_init
ROBUST_LOG=$TAP_TMP/minimal.log
if ! start_minimal "$ROBUST_LOG" --stats 0 --loss 5 --seed 3 \
    --kcp-crypt aes --kcp-key s3cret --kcp-ds 10 --kcp-ps 3; then
  fail "codec: ./minimal answers on $S"
  netns_finish
fi

# codec_stat NAME: a counter of ./minimal's newest "kcpcodec:" line.
codec_stat() { mstat kcpcodec: "$1"; }

# Our client, same settings, lossy link.
nsx timeout 60 ./kcp_client --bench --json "${CODEC[@]}" --count 600 --size 1-4000 $S \
  >"$TAP_TMP/ok.json" 2>"$TAP_TMP/ok.err"
rc=$?
sent=$(jget sent "$TAP_TMP/ok.json"); verified=$(jget verified "$TAP_TMP/ok.json")
crec=$(sed -n 's/.*recovered \([0-9]*\).*/\1/p' "$TAP_TMP/ok.err")
echo "  client: $(json_line "$TAP_TMP/ok.json")"
echo "  client $(grep '^codec' "$TAP_TMP/ok.err")"
check "kcp_client aes FEC 10/3, 5 % loss: 600 echoes verified (exit $rc, sent ${sent:-?}, verified ${verified:-?})" \
  test "$rc" -eq 0 -a "${sent:-0}" = 600 -a "${verified:-0}" = 600
check "kcp_client rebuilt lost datagrams from parity (${crec:-?})" test "${crec:-0}" -gt 0
stats_now
grep '^kcpcodec:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
check "./minimal rebuilt lost datagrams from parity ($(codec_stat recovered))" \
  test "$(codec_stat recovered)" -gt 0
check "./minimal: no CRC errors from the right key ($(codec_stat crc_err))" \
  test "$(codec_stat crc_err)" -eq 0

# The real kcp-go as the client.
if nsx timeout 40 "$KCPGO" client -host $S -port 8000 -timeout 30s -count 30 -sizes 1-20000 \
    -seed 9 -crypt aes -key s3cret -ds 10 -ps 3 >"$TAP_TMP/go.log" 2>&1; then
  pass "kcp-go client (aes, FEC 10/3) -> ./minimal, 5 % loss: $(tail -n 1 "$TAP_TMP/go.log")"
else
  fail "kcp-go client (aes, FEC 10/3) -> ./minimal, 5 % loss"
  sed 's/^/  kcp-go: /' "$TAP_TMP/go.log" | tail -n 5
fi

# The wrong key: nothing answered, nothing opened, all counted.
stats_now
in0=$(mstat kcpecho: in); mal0=$(mstat kcpecho: malformed); open0=$(mstat kcpecho: opened)
crc0=$(codec_stat crc_err)
nsx timeout 20 ./kcp_client --bench --json --crypt aes --key wrong --ds 10 --ps 3 --count 5 \
  --timeout 2 $S >"$TAP_TMP/bad.json" 2>"$TAP_TMP/bad.err"
rc=$?
sleep 0.3
stats_now
din=$(( $(mstat kcpecho: in) - in0 )); dmal=$(( $(mstat kcpecho: malformed) - mal0 ))
dopen=$(( $(mstat kcpecho: opened) - open0 )); dcrc=$(( $(codec_stat crc_err) - crc0 ))
echo "  wrong key: client exit $rc; in $din, malformed $dmal, crc_err $dcrc, opened $dopen"
check "wrong key: no echo (kcp_client exit 1, got $rc)" test "$rc" -eq 1
check "wrong key: every datagram dropped as a CRC error ($din in, $dcrc crc_err, $dmal malformed)" \
  test "$din" -gt 0 -a "$dcrc" -eq "$din" -a "$dmal" -eq "$din"
check "wrong key: no session opened ($dopen)" test "$dopen" -eq 0

rc=0
stop_minimal || rc=$?
check "./minimal exits 0 on SIGTERM ($rc)" test "$rc" -eq 0

# The server-role matrix: CIPHER DS PS, one ./minimal each.
for m in "salsa20 0 0" "none 10 3" "xor 10 3" "twofish 0 0" "sm4 3 2" "tea 0 0" "3des 10 3"; do
  set -- $m
  if ! start_minimal "$TAP_TMP/m.log" --kcp-crypt "$1" --kcp-key "k$1" --kcp-ds "$2" --kcp-ps "$3"; then
    fail "./minimal --kcp-crypt $1 --kcp-ds $2 --kcp-ps $3 starts"
    continue
  fi
  if nsx timeout 30 "$KCPGO" client -host $S -port 8000 -timeout 20s -count 10 -sizes 1-20000 \
      -seed 4 -crypt "$1" -key "k$1" -ds "$2" -ps "$3" >"$TAP_TMP/go.log" 2>&1; then
    pass "kcp-go client ($1, FEC $2/$3) -> ./minimal: $(tail -n 1 "$TAP_TMP/go.log")"
  else
    fail "kcp-go client ($1, FEC $2/$3) -> ./minimal"
    sed 's/^/  kcp-go: /' "$TAP_TMP/go.log" | tail -n 5
  fi
  stop_minimal >/dev/null
done

if command -v valgrind >/dev/null; then
  VLOG=$TAP_TMP/valgrind.log
  if start_valgrind_minimal "$VLOG" --loss 3 --seed 8 --kcp-idle 2 \
      --kcp-crypt salsa20 --kcp-key v --kcp-ds 4 --kcp-ps 2; then
    nsx timeout 60 ./kcp_client --bench --json --crypt salsa20 --key v --ds 4 --ps 2 \
      --count 40 --size 1-8000 --timeout 20 $S >"$TAP_TMP/v1.json" 2>&1
    check "valgrind: salsa20 FEC 4/2 echo verified ($(jget verified "$TAP_TMP/v1.json") of 40)" \
      test "$(jget verified "$TAP_TMP/v1.json")" = 40
    sleep 4 # that session idles out (--kcp-idle 2): its link is freed
    nsx timeout 60 ./kcp_client --bench --json --crypt salsa20 --key v --ds 4 --ps 2 \
      --clients 5 --count 5 --size 1-3000 --timeout 20 $S >"$TAP_TMP/v2.json" 2>&1
    check "valgrind: 5 more sessions, left open for the shutdown" \
      test "$(jget verified "$TAP_TMP/v2.json")" = 25
    rc=0
    stop_minimal || rc=$?
    valgrind_verdict "$VLOG" "$rc"
  else
    fail "./minimal with the codec starts under valgrind"
    tail -n 20 "$VLOG"
  fi
fi
netns_finish
