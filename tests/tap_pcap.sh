#!/usr/bin/env bash
# tap_pcap.sh - --pcap FILE: the capture parses with tshark and tcpdump,
# holds the echoes' frames both ways (full-size ones too), and has exactly
# the frames the tap counters saw (no emulation, so in + out).
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/minimal.log
CAP=$TAP_TMP/echo.pcap

start_minimal "$LOG" --pcap "$CAP" || fail "minimal starts with --pcap"
check "capture announced" grep -q "^minimal: capturing to $CAP" "$LOG"
probe udp-exact --sizes 100,1472 >/dev/null || fail "UDP echo"
probe tcp-echo --bytes 30000 >/dev/null || fail "TCP echo"
nsx ping -c2 -i0.2 -W1 -q 192.168.0.2 >/dev/null || fail "ping"
stop_minimal >/dev/null || fail "clean stop"

# count FILTER: frames tshark matches in the capture
count() { tshark -r "$CAP" -Y "$1" 2>/dev/null | wc -l; }

check "tshark parses the file" bash -c "tshark -r '$CAP' >/dev/null 2>&1"
check "tcpdump parses the file" bash -c "tcpdump -nr '$CAP' >/dev/null 2>&1"
check "UDP echo requests (host to lwIP) captured" \
  [ "$(count 'ip.src==192.168.0.1 && ip.dst==192.168.0.2 && udp.dstport==7')" -ge 2 ]
check "UDP echo replies (lwIP to host) captured" \
  [ "$(count 'ip.src==192.168.0.2 && ip.dst==192.168.0.1 && udp.srcport==7')" -ge 2 ]
check "1514-byte frames both ways" \
  bash -c "[ \$(tshark -r '$CAP' -Y 'frame.len==1514 && eth.src==$(sed -nE 's/.* mac ([0-9a-f:]+)$/\1/p' "$LOG")' 2>/dev/null | wc -l) -ge 1 ] &&
           [ \$(tshark -r '$CAP' -Y 'frame.len==1514 && ip.src==192.168.0.1' 2>/dev/null | wc -l) -ge 1 ]"
check "TCP echo both ways" \
  bash -c "[ \$(tshark -r '$CAP' -Y 'tcp.dstport==7 && tcp.len>0' 2>/dev/null | wc -l) -ge 1 ] &&
           [ \$(tshark -r '$CAP' -Y 'tcp.srcport==7 && tcp.len>0' 2>/dev/null | wc -l) -ge 1 ]"
check "ICMP echo request and reply" \
  bash -c "[ \$(tshark -r '$CAP' -Y 'icmp.type==8' 2>/dev/null | wc -l) -ge 2 ] &&
           [ \$(tshark -r '$CAP' -Y 'icmp.type==0' 2>/dev/null | wc -l) -ge 2 ]"

in=$(sed -nE 's/^tap tap0: in ([0-9]+) .*/\1/p' "$LOG" | tail -n1)
out=$(sed -nE 's/^tap tap0: .* out ([0-9]+) .*/\1/p' "$LOG" | tail -n1)
frames=$(tshark -r "$CAP" 2>/dev/null | wc -l)
echo "capture: $frames frames; counters: in $in + out $out"
check "every frame that crossed the tap is in the file (flushed at exit)" [ "$frames" -eq $((in + out)) ]
netns_finish
