#!/usr/bin/env bash
# wireshark_smux.sh - tools/wireshark/kcp.lua shows kcptun's smux frames
# inside KCP PUSH data when kcptun runs without compression and with crypt
# none: ./minimal --pcap records, in a private network namespace, Debian's
# kcptun-client (--crypt none --nocomp --smuxver 2, FEC 0/0) carrying one
# TCP connection to ./minimal's in-process echo. The capture must show a
# SYN, PSH frames holding the line both ways, UPD window updates with
# their fields, and no malformed KCP. Needs root (ip netns).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh

LUA=tools/wireshark/kcp.lua
PEER=tests/interop/bin/tcpecho_peer
ws() { local f=$1; shift; tshark -X "lua_script:$LUA" -r "$f" "$@" 2>/dev/null; }

command -v kcptun-client >/dev/null || { echo "FAIL: kcptun-client installed (make deps)"; exit 1; }
make -s --no-print-directory "$PEER" >/dev/null 2>&1 || { echo "FAIL: tcpecho_peer builds"; exit 1; }
tap_init
live=$TAP_TMP/smux.pcap
if start_minimal "$TAP_TMP/minimal.log" --pcap "$live" --kcptun-listen 29900 --kcptun-target echo \
    --kcptun-crypt none --kcptun-ds 0 --kcptun-ps 0 --kcptun-nocomp --kcptun-smuxver 2; then
  netns_bg kcptun-client -r 192.168.0.2:29900 -l 192.168.0.1:7000 --crypt none --ds 0 --ps 0 \
    --nocomp --smuxver 2 --quiet >"$TAP_TMP/kcptun.log" 2>&1
  wait_for 5 nsx bash -c "ss -ltn | grep -q ':7000 '"
  check "one TCP connection echoed through kcptun and ./minimal" \
    nsx timeout 20 "$PEER" -addr 192.168.0.1:7000 -conns 1 -bytes 2000 -timeout 10s
else
  fail "./minimal answers ping"; sed 's/^/  /' "$TAP_TMP/minimal.log"
fi
stop_minimal >/dev/null

ws "$live" -Y 'ksmux' -T fields -E separator=/t -E occurrence=a -E aggregator=, \
  -e udp.srcport -e ksmux.ver -e ksmux.cmd -e ksmux.sid -e ksmux.len -e ksmux.upd.window \
  >"$TAP_TMP/fields"
sed 's/^/  /' "$TAP_TMP/fields" | head -n 12
check "the client's SYN (smux 2) for stream 3" grep -qP '^[0-9]+\t2[^\t]*\t0[^\t]*\t3' "$TAP_TMP/fields"
check "PSH frames both ways" \
  test "$(awk -F'\t' '$3 ~ /(^|,)2(,|$)/ { print ($1 == 29900 ? "s" : "c") }' "$TAP_TMP/fields" | sort -u | tr -d '\n')" = cs
check "UPD frames with the window field" \
  test "$(awk -F'\t' '$3 ~ /(^|,)4(,|$)/ && $6 != ""' "$TAP_TMP/fields" | wc -l)" -gt 0
check "no malformed KCP in the capture" \
  test "$(ws "$live" -Y 'kcp.short_header || kcp.len_beyond || kcp.unknown_cmd' | wc -l)" -eq 0
netns_finish
