#!/usr/bin/env bash
# codec-bench.sh - CPU cost of kcp-go's datagram codec (codec/) per 1372-byte
# KCP datagram (kcp-go's mtu 1400 less the codec's 28 bytes), sealed by one
# link and opened by another on the same core (build/bench/codec_bench), for
# kcptun's default cipher and a few others, with FEC 10/3 and without. An
# absolute measure on this machine, not a comparison: it says what share of
# a core the codec takes at a given packet rate.
#
# Results: a table on stdout, JSON lines in bench/results/codec.json. Knobs:
# CODEC_COUNT (200000 datagrams per setting), BUILD (build).
set -u

BIN=${BUILD:-build}/bench/codec_bench
OUT=bench/results/codec.json
COUNT=${CODEC_COUNT:-200000}
SIZE=1372
status=0

mkdir -p bench/results
: >"$OUT.tmp"
printf '%-9s %-6s %12s %10s\n' cipher fec "ns/datagram" "Mbit/s"
for s in "aes 0 0" "aes 10 3" "salsa20 0 0" "salsa20 10 3" "none 10 3" "xor 0 0" "blowfish 0 0" "sm4 0 0"; do
  set -- $s
  if ! line=$("$BIN" "$1" "$2" "$3" "$COUNT" "$SIZE"); then
    echo "FAIL: codec_bench $s"
    status=1
    continue
  fi
  echo "$line" >>"$OUT.tmp"
  printf '%-9s %-6s %12s %10s\n' "$1" "$2/$3" \
    "$(grep -o '"ns_per_dgram":[0-9.]*' <<<"$line" | cut -d: -f2)" \
    "$(grep -o '"mbit_s":[0-9.]*' <<<"$line" | cut -d: -f2)"
done
mv "$OUT.tmp" "$OUT"
exit "$status"
