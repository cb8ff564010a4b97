#!/usr/bin/env bash
# wireshark_dissector.sh - tools/wireshark/kcp.lua decodes KCP as it is on the wire.
#
# Part 1 (no network): tests/lib/kcp_pcap_gen.py writes hand-made datagrams
# (single and multi-segment, malformed ones, KCP on other ports, non-KCP)
# and tshark's fields, Info column and expert info are compared with the
# values the generator put in.
# Part 2 (tap, private namespace): ./minimal --pcap records the KCP echo of
# two lines sent by ./kcp_client with conv 0x11223344; the capture must
# show the PUSH and ACK segments of both directions with the right sn, len
# and data.
set -u
cd "$(dirname "$0")/.." || exit 1

LUA=tools/wireshark/kcp.lua
CONV=0x11223344
tmp=$(mktemp -d)
. tests/lib/netns.sh

# ws PCAP [TSHARK ARGS...]: tshark with the dissector; stderr (the root warning) dropped.
ws() { local f=$1; shift; tshark -X "lua_script:$LUA" -r "$f" "$@" 2>/dev/null; }

# segs PCAP [TSHARK ARGS...]: one line per KCP segment,
# "frame srcport conv cmd frg wnd ts sn una len data". tshark joins the
# values of a frame's segments with ','; data exists only for segments with
# len > 0 that fit, so it is handed out to those in order.
segs() {
  local f=$1; shift
  ws "$f" "$@" -T fields -E separator=/t -E aggregator=, -E occurrence=a \
    -e frame.number -e udp.srcport -e kcp.conv -e kcp.cmd -e kcp.frg -e kcp.wnd \
    -e kcp.ts -e kcp.sn -e kcp.una -e kcp.len -e kcp.data |
  awk -F'\t' '$3 != "" {
    n = split($3, conv, ","); split($4, cmd, ","); split($5, frg, ",")
    split($6, wnd, ","); split($7, ts, ","); split($8, sn, ",")
    split($9, una, ","); split($10, len, ","); split($11, data, ",")
    d = 1
    for (i = 1; i <= n; i++) {
      x = "-"
      if (len[i] > 0 && data[d] != "") x = data[d++]
      print $1, $2, conv[i], cmd[i], frg[i], wnd[i], ts[i], sn[i], una[i], len[i], x
    }
  }'
}

# has_line FILE LINE: FILE holds LINE exactly; prints FILE when it does not.
has_line() {
  grep -qxF -- "$2" "$1" && return 0
  echo "  expected line: $2"; sed 's/^/  got: /' "$1"; return 1
}
# frame_field PCAP N FIELD [TSHARK ARGS...]: FIELD of frame N, all occurrences.
frame_field() {
  local f=$1 n=$2 e=$3; shift 3
  ws "$f" "$@" -Y "frame.number == $n" -T fields -E aggregator='|' -E occurrence=a -e "$e"
}
# field_is PCAP N FIELD WANT [TSHARK ARGS...]
field_is() {
  local f=$1 n=$2 e=$3 want=$4 got; shift 4
  got=$(frame_field "$f" "$n" "$e" "$@")
  [ "$got" = "$want" ] && return 0
  echo "  frame $n $e: got '$got', want '$want'"; return 1
}

# ---- Part 1: hand-made capture ----------------------------------------------
gen=$tmp/gen.pcap
if python3 tests/lib/kcp_pcap_gen.py "$gen" && [ -s "$gen" ]; then
  pass "gen: kcp_pcap_gen.py wrote a pcap"
else
  fail "gen: kcp_pcap_gen.py wrote a pcap"
fi

if tshark -X "lua_script:$LUA" -r "$gen" >"$tmp/load.out" 2>&1 &&
   ! grep -qi 'lua.*error\|error.*lua' "$tmp/load.out"; then
  pass "gen: kcp.lua loads without Lua errors"
else
  fail "gen: kcp.lua loads without Lua errors"; sed 's/^/  /' "$tmp/load.out"
fi

segs "$gen" >"$tmp/gen.segs"
# frame srcport conv cmd frg wnd ts sn una len data
check "gen: single PUSH, all header fields and data" \
  has_line "$tmp/gen.segs" "1 40000 $CONV 81 0 128 1000 0 0 5 68656c6c6f"
check "gen: 3 segments in one datagram: ACK" \
  has_line "$tmp/gen.segs" "2 8000 $CONV 82 0 128 1000 0 1 0 -"
check "gen: 3 segments in one datagram: PUSH" \
  has_line "$tmp/gen.segs" "2 8000 $CONV 81 0 128 1000 0 1 5 68656c6c6f"
check "gen: 3 segments in one datagram: WINS" \
  has_line "$tmp/gen.segs" "2 8000 $CONV 84 0 127 1000 0 1 0 -"
check "gen: Info column of a multi-segment datagram" \
  field_is "$gen" 2 _ws.col.Info "ACK sn=0, PUSH sn=0 len=5, WINS wnd=127"
check "gen: one subtree per segment" \
  test "$(ws "$gen" -Y 'frame.number == 2' -V | grep -c '^    Segment [123]: ')" -eq 3

check "gen: len beyond datagram: header decoded" \
  has_line "$tmp/gen.segs" "3 40000 $CONV 81 0 128 1000 1 0 100 -"
check "gen: len beyond datagram: expert info" \
  field_is "$gen" 3 _ws.expert.message "KCP: len beyond datagram (len 100, 10 bytes left)"
check "gen: unknown cmd: expert info" \
  field_is "$gen" 4 _ws.expert.message "KCP: unknown cmd 99"
check "gen: unknown cmd: its segment and the next still decoded" \
  field_is "$gen" 4 kcp.cmd "99|82"
check "gen: short header after a valid ACK: expert info" \
  field_is "$gen" 5 _ws.expert.message "KCP: short header (10 bytes, need 24)"
check "gen: short header: the ACK before it decoded" \
  has_line "$tmp/gen.segs" "5 40000 $CONV 82 0 128 1000 0 1 0 -"
check "gen: expert fields filter the 3 malformed frames" \
  test "$(ws "$gen" -Y 'kcp.len_beyond || kcp.unknown_cmd || kcp.short_header' | wc -l)" -eq 3

check "gen: heuristic finds KCP on port 41000: PUSH" \
  has_line "$tmp/gen.segs" "6 40001 0x0badf00d 81 0 128 1000 7 6 3 616263"
check "gen: heuristic finds KCP on port 41000: ACK" \
  has_line "$tmp/gen.segs" "6 40001 0x0badf00d 82 0 128 1000 6 7 0 -"
check "gen: heuristic finds a WASK on port 41006" \
  has_line "$tmp/gen.segs" "9 40001 0xcafe0001 83 0 0 1000 0 0 0 -"
check "gen: heuristic leaves non-KCP UDP alone" \
  field_is "$gen" 7 kcp.conv ""
check "gen: heuristic leaves a malformed datagram on another port alone" \
  field_is "$gen" 8 kcp.conv ""
check "gen: port preference: -o kcp.port:41004 decodes the malformed one" \
  field_is "$gen" 8 _ws.expert.message "KCP: len beyond datagram (len 50, 4 bytes left)" -o kcp.port:41004
check "gen: port 0 and heuristic off: nothing is KCP" \
  test "$(ws "$gen" -o kcp.port:0 --disable-heuristic kcp_udp -Y kcp | wc -l)" -eq 0
check "gen: display filter on kcp.* fields" \
  test "$(ws "$gen" -Y "kcp.conv == $CONV && kcp.cmd == 81" | wc -l)" -eq 3

# A short snap length is not malformed KCP: frame 1 (71 bytes) cut to 70.
editcap -s 70 "$gen" "$tmp/snap.pcap" >/dev/null 2>&1
check "gen: snap length cut: segment still decoded, no expert info" \
  field_is "$tmp/snap.pcap" 1 _ws.col.Info "PUSH sn=0 len=5"
check "gen: snap length cut: no malformed KCP reported" \
  test "$(ws "$tmp/snap.pcap" -Y 'frame.number <= 2 && (kcp.len_beyond || kcp.short_header)' | wc -l)" -eq 0

# ---- Part 2: ./minimal --pcap during a KCP echo ------------------------------
live=$tmp/kcp.pcap
if [ ! -x ./minimal ] || [ ! -x ./kcp_client ]; then
  fail "live: ./minimal and ./kcp_client are built"
else
  netns_up
  netns_bg ./minimal --pcap "$live" >"$tmp/minimal.log" 2>&1
  mpid=$NETNS_LAST_PID
  if wait_for 10 nsx ping -c1 -W1 192.168.0.2; then
    printf 'hello\nkcp-lwip\n' |
      nsx timeout 20 ./kcp_client --conv "$CONV" --timeout 5 192.168.0.2 8000 >"$tmp/echo.out"
    check "live: kcp_client got both messages echoed" \
      cmp -s "$tmp/echo.out" <(printf 'hello\nkcp-lwip\n')
  else
    fail "live: ./minimal answers ping"; sed 's/^/  /' "$tmp/minimal.log"
  fi
  kill -TERM "$mpid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
  check "live: ./minimal exits on SIGTERM" bash -c "! kill -0 $mpid 2>/dev/null"
  check "live: ./minimal wrote the pcap" test -s "$live"

  segs "$live" >"$tmp/live.segs"
  # What does not depend on time or the client's port: direction conv cmd sn len data.
  awk '{ print ($2 == 8000 ? "s2c" : "c2s"), $3, $4, $8, $10, $11 }' "$tmp/live.segs" |
    sort -u >"$tmp/live.key"
  hello=68656c6c6f0a
  kcplwip=6b63702d6c7769700a
  check "live: client PUSH sn=0 len=6 'hello\\n'" has_line "$tmp/live.key" "c2s $CONV 81 0 6 $hello"
  check "live: client PUSH sn=1 len=9 'kcp-lwip\\n'" has_line "$tmp/live.key" "c2s $CONV 81 1 9 $kcplwip"
  check "live: server ACK sn=0" has_line "$tmp/live.key" "s2c $CONV 82 0 0 -"
  check "live: server ACK sn=1" has_line "$tmp/live.key" "s2c $CONV 82 1 0 -"
  check "live: server echo PUSH sn=0 len=6 'hello\\n'" has_line "$tmp/live.key" "s2c $CONV 81 0 6 $hello"
  check "live: server echo PUSH sn=1 len=9 'kcp-lwip\\n'" has_line "$tmp/live.key" "s2c $CONV 81 1 9 $kcplwip"
  check "live: client ACK sn=0" has_line "$tmp/live.key" "c2s $CONV 82 0 0 -"
  check "live: client ACK sn=1" has_line "$tmp/live.key" "c2s $CONV 82 1 0 -"
  check "live: no malformed KCP in the capture" \
    test "$(ws "$live" -Y 'kcp.short_header || kcp.len_beyond || kcp.unknown_cmd' | wc -l)" -eq 0
fi

[ "$TEST_FAILED" -eq 0 ] || { echo "  decoded segments of the live capture:"; sed 's/^/  /' "$tmp/live.segs" 2>/dev/null; }
rm -rf "$tmp"
netns_finish
