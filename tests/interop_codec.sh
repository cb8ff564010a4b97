#!/usr/bin/env bash
# interop_codec.sh - kcp-go's datagram codec against the real kcp-go, over
# loopback UDP (127.0.0.1 only): ./kcp_client (our engine and codec/) talks
# to kcpgo_peer (Debian's kcp-go, set up as kcptun sets it up) with every
# kcptun cipher, FEC 10/3 and 0/0, and FEC 10/3 with 10 % loss each way at
# kcp-go's end; every echoed byte is compared. A wrong key must get no echo
# at all (kcp-go drops what fails its CRC): kcp_client times out, exit 1.
# Prints one PASS:/FAIL: line per case for tests/run-tests.sh.
set -u
cd "$(dirname "$0")/.." || exit 1

C=./kcp_client
INTEROP_BUILD="$C tests/interop/bin/kcpgo_peer"
. tests/lib/interop.sh

# run_case NAME "SERVER ARGS" "CLIENT ARGS" [WANT_RC]
run_case() {
  local name=$1 sargs=$2 cargs=$3 want=${4:-0} rc
  # shellcheck disable=SC2086
  if ! start_server "s$RANDOM" "$KCPGO" server -port 0 -timeout 25s -stream -quiet $sargs; then
    fail "$name: kcp-go server start"
    return
  fi
  # shellcheck disable=SC2086
  timeout 20 "$C" --bench --stream --count 60 --size 1-20000 --seed 7 $cargs 127.0.0.1 "$SERVER_PORT" \
    >"$TMP/client.log" 2>&1
  rc=$?
  if [ "$rc" -eq "$want" ]; then
    pass "$name: $(grep -E '^messages' "$TMP/client.log" | cut -c12-); $(grep -E '^codec' "$TMP/client.log" | cut -c12-)"
  else
    fail "$name (exit $rc, want $want)"
    sed 's/^/  client: /' "$TMP/client.log" | tail -n 8
  fi
}

for c in aes aes-128 aes-192 salsa20 blowfish twofish cast5 3des tea xtea xor sm4 none; do
  run_case "kcp_client --crypt $c -> kcp-go, FEC off" \
    "-crypt $c -key k$c" "--crypt $c --key k$c"
done
for c in aes salsa20 none xor; do
  run_case "kcp_client --crypt $c --ds 10 --ps 3 -> kcp-go FEC 10/3" \
    "-crypt $c -ds 10 -ps 3" "--crypt $c --ds 10 --ps 3"
done
run_case "kcp_client aes FEC 10/3 -> kcp-go, 10 % loss each way" \
  "-crypt aes -ds 10 -ps 3 -loss 10 -seed 5" "--crypt aes --ds 10 --ps 3"
run_case "kcp_client wrong key -> kcp-go: nothing echoed" \
  "-crypt aes -key right" "--crypt aes --key wrong --timeout 2" 1

exit "$FAILED"
