#!/usr/bin/env bash
# wireshark_codec.sh - tools/wireshark/kcp.lua decodes kcp-go's datagram
# codec with --crypt none: ./minimal --pcap records, in a private network
# namespace, the KCP echo of four lines sent by ./kcp_client with the codec
# (none, FEC 3/2, conv 0x11223344). The capture must show the codec header
# with a correct CRC32 on every datagram, FEC data shards carrying the
# PUSH segments of both lines (seqids from 0 each way), parity shards after
# every 3 data shards, and no malformed KCP. Needs root (ip netns).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh

LUA=tools/wireshark/kcp.lua
CONV=0x11223344
S=192.168.0.2

ws() { local f=$1; shift; tshark -X "lua_script:$LUA" -r "$f" "$@" 2>/dev/null; }

[ -x ./kcp_client ] || { echo "FAIL: ./kcp_client is built"; exit 1; }
tap_init
tmp=$TAP_TMP
live=$tmp/codec.pcap
if start_minimal "$tmp/minimal.log" --pcap "$live" --kcp-crypt none --kcp-ds 3 --kcp-ps 2; then
  # a line at a time, so that each side sends more than one FEC group
  for l in hello kcp-lwip three four; do echo "$l"; sleep 0.2; done |
    nsx timeout 20 ./kcp_client --crypt none --ds 3 --ps 2 --conv "$CONV" --timeout 5 $S 8000 \
      >"$tmp/echo.out" 2>/dev/null
  check "kcp_client (crypt none, FEC 3/2) got the four lines echoed" \
    cmp -s "$tmp/echo.out" <(printf 'hello\nkcp-lwip\nthree\nfour\n')
else
  fail "./minimal answers ping"; sed 's/^/  /' "$tmp/minimal.log"
fi
stop_minimal >/dev/null

# One line per KCP datagram: srcport crc type seqid cmds data.
ws "$live" -Y 'udp.port == 8000' -T fields -E separator=/t -E aggregator=, -E occurrence=a \
  -e udp.srcport -e kcpgo.crc -e kcpgo.fec.type -e kcpgo.fec.seqid -e kcp.cmd -e kcp.data \
  >"$tmp/fields"
sed 's/^/  /' "$tmp/fields" | head -n 20
n=$(wc -l <"$tmp/fields")
check "every KCP datagram of the capture ($n) has the codec header with a correct CRC" \
  test "$n" -gt 0 -a "$(awk -F'\t' '$2 != ""' "$tmp/fields" | wc -l)" -eq "$n"
check "client data shard with PUSH 'hello\\n'" \
  grep -qP "^[0-9]+\t0x[0-9a-f]+\t0x00f1\t[0-9]+\t.*81.*\t.*68656c6c6f0a" "$tmp/fields"
check "server data shard with the echo PUSH 'kcp-lwip\\n'" \
  grep -qP "^8000\t0x[0-9a-f]+\t0x00f1\t[0-9]+\t.*81.*\t.*6b63702d6c7769700a" "$tmp/fields"
check "client seqids start at 0: data 0 1 2, then parity 3 4" \
  test "$(awk -F'\t' '$1 != 8000 && $4 <= 4 { print $3 ":" $4 }' "$tmp/fields" | sort -t: -k2n | tr '\n' ' ')" \
    = "0x00f1:0 0x00f1:1 0x00f1:2 0x00f2:3 0x00f2:4 "
check "parity shards from the server too" \
  test "$(awk -F'\t' '$1 == 8000 && $3 == "0x00f2"' "$tmp/fields" | wc -l)" -gt 0
check "Info column names the FEC shard and its segments" \
  test "$(ws "$live" -Y 'kcpgo.fec.type == 0xf1 && kcp.cmd == 81' -T fields -e _ws.col.Info | grep -c '^FEC data seqid=[0-9]*: .*PUSH sn=')" -gt 0
check "no malformed KCP in the capture" \
  test "$(ws "$live" -Y 'kcp.short_header || kcp.len_beyond || kcp.unknown_cmd' | wc -l)" -eq 0
netns_finish
