#!/usr/bin/env bash
# tap_pcap_rotate.sh - --pcap while ./minimal runs and with rotation:
#   live: frames are readable by tshark within about 100 ms, before any stop
#   --pcap-size 1 --pcap-count 3: only FILE0..FILE2 exist, none over 10^6
#     bytes, each a whole capture (tcpdump -r reads it), and the counter line says
#     how many files were opened
#   --pcap-size 1 alone: FILE, FILE1, FILE2, ... (tcpdump -C names)
#   bad values and --pcap-count without --pcap-size: exit 2, nothing written
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/minimal.log

# Option errors, before any tap or file is touched.
for args in "--pcap-size 1" "--pcap $TAP_TMP/x --pcap-count 2" "--pcap $TAP_TMP/x --pcap-size 0" \
            "--pcap $TAP_TMP/x --pcap-size 1000001" "--pcap $TAP_TMP/x --pcap-size 1 --pcap-count 0"; do
  # shellcheck disable=SC2086
  ./minimal $args >/dev/null 2>"$TAP_TMP/err"
  rc=$?
  check "bad: $args: exit 2 with an error, no file" \
    bash -c "[ $rc -eq 2 ] && grep -q '^minimal: .*pcap' '$TAP_TMP/err' && ! ls '$TAP_TMP'/x* >/dev/null 2>&1"
done

# Rotation with a count: 1 MB files, 3 of them, about 4.5 MB of frames.
CAP=$TAP_TMP/ring.pcap
start_minimal "$LOG" --pcap "$CAP" --pcap-size 1 --pcap-count 3 || fail "minimal starts with rotation"
check "rotation announced" grep -q "^minimal: capturing to $CAP .*3 files of at most 1000000 bytes" "$LOG"
probe tcp-echo --bytes 2000000 >/dev/null || fail "TCP echo of 2 MB"
stop_minimal >/dev/null || fail "clean stop"
check "exactly ring.pcap0 .. ring.pcap2" \
  bash -c "[ \"\$(cd '$TAP_TMP' && ls ring.pcap* | tr '\n' ' ')\" = 'ring.pcap0 ring.pcap1 ring.pcap2 ' ]"
check "no file over 1000000 bytes; the two closed ones over 900000" \
  bash -c "n=0; for f in '$TAP_TMP'/ring.pcap?; do s=\$(stat -c %s \"\$f\"); [ \$s -le 1000000 ] || exit 1;
           [ \$s -le 900000 ] || n=\$((n + 1)); done; [ \$n -ge 2 ]"
check "each file is a whole capture tcpdump reads" \
  bash -c "for f in '$TAP_TMP'/ring.pcap?; do tcpdump -nr \"\$f\" >/dev/null 2>&1 || exit 1; done"
files=$(sed -nE 's/^pcap: frames [0-9]+ files ([0-9]+)$/\1/p' "$LOG" | tail -n1)
check "counters: more than 3 files opened, the oldest reused ($files)" [ "${files:-0}" -gt 3 ]
frames=$(cat "$TAP_TMP"/ring.pcap? | wc -c)
echo "ring: ${files:-?} files opened, $frames bytes kept"

# Rotation without a count: tcpdump -C's names; and the first file is
# readable while minimal writes it.
CAP=$TAP_TMP/grow.pcap
start_minimal "$LOG" --pcap "$CAP" --pcap-size 1 || fail "minimal starts with --pcap-size"
nsx ping -c3 -i0.2 -W1 -q 192.168.0.2 >/dev/null || fail "ping"
sleep 0.5   # the flush timeout is 100 ms: room for a loaded machine
live=$(tshark -r "$CAP" -Y 'icmp.type==0' 2>/dev/null | wc -l)
check "live capture: the ping replies are readable while minimal runs ($live)" [ "$live" -ge 3 ]
probe tcp-echo --bytes 1200000 >/dev/null || fail "TCP echo of 1.2 MB"
stop_minimal >/dev/null || fail "clean stop"
check "without a count: grow.pcap, grow.pcap1, grow.pcap2" \
  bash -c "[ \"\$(cd '$TAP_TMP' && ls grow.pcap* | tr '\n' ' ')\" = 'grow.pcap grow.pcap1 grow.pcap2 ' ]"
total=$(for f in "$TAP_TMP"/grow.pcap*; do tcpdump -nr "$f" 2>/dev/null; done | wc -l)
counted=$(sed -nE 's/^pcap: frames ([0-9]+) .*/\1/p' "$LOG" | tail -n1)
check "without a count: every frame in some file ($total of $counted)" [ "$total" -eq "${counted:-0}" ]
netns_finish
