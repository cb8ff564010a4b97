#!/usr/bin/env bash
# tap_robust_integrity.sh - issue #5, integrity on a bad link: 100 MB of
# random data through ./minimal --loss 20 --reorder 10 --dup 5 --delay 20
# (each way), in KCP message mode and in stream mode, compared by sha256 of
# what was sent and what came back.
#
# The data goes through `kcp_client` interactive mode (stdin lines out, their
# echoes to stdout): random bytes with every '\n' replaced, cut into lines
# of 4000 bytes, so each line is one 4001-byte message (3 fragments) in
# message mode, and a plain byte stream in stream mode.
#
# Windows: 512 segments at both ends (--kcp-wnd / --wnd). With the default
# 128 the emulated 40 ms round trip caps this link at about 0.9 MB/s (100 MB
# would take 2 minutes per mode); with 1024 the emulator's delay queue
# (--link-queue, default 1024 frames) overflows on window bursts, adding about
# 16 % "queue-full" loss, and 100 MB took 65-82 s per mode. With 512, 100 MB
# took 30 s (message) and 21 s (stream) with the 2 cores shared (load 1.4),
# about 60 s for the whole script.
#
# Size: ROBUST_INTEGRITY_MB=N (default 100) for a slower machine; each mode
# is bounded by a timeout of 20 s + 1.5 s per MB. bench/robust-integrity.sh
# (make bench) runs this test and records the MB/s of each mode.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh
. tests/lib/robust.sh

S=192.168.0.2
MB=${ROBUST_INTEGRITY_MB:-100}
WND=512
LIMIT=$((20 + MB * 3 / 2))
[[ $MB =~ ^[0-9]+$ ]] && [ "$MB" -ge 1 ] || { echo "FAIL: integrity: ROBUST_INTEGRITY_MB must be a whole number >= 1"; exit 1; }
[ -x ./kcp_client ] || { echo "FAIL: integrity: ./kcp_client not built"; exit 1; }
tap_init
ROBUST_LOG=$TAP_TMP/minimal.log
if ! PING_WAIT=2 start_minimal "$ROBUST_LOG" --stats 0 --loss 20 --reorder 10 --dup 5 --delay 20 \
     --seed 11 --kcp-wnd $WND; then
  fail "integrity: ./minimal with link emulation answers on $S"
  netns_finish
fi

python3 - "$MB" "$TAP_TMP/in" <<'EOF'
import os, sys
n = int(sys.argv[1]) << 20
data = os.urandom(n).replace(b"\n", b"x")
with open(sys.argv[2], "wb") as f:
    for i in range(0, n, 4000):
        f.write(data[i:i + 4000] + b"\n")
EOF
sum_in=$(sha256sum <"$TAP_TMP/in" | cut -d' ' -f1)
size=$(stat -c %s "$TAP_TMP/in")

for mode in message stream; do
  extra=()
  [ $mode = stream ] && extra=(--stream)
  stats_now; r0=$(mstat kcpecho: retrans); f0=$(mstat kcpecho: fast_retrans); d0=$(mstat kcpecho: dup)
  t0=$(date +%s%N)
  nsx timeout "$LIMIT" ./kcp_client "${extra[@]}" --wnd $WND --timeout 30 $S \
    <"$TAP_TMP/in" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
  rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  sum_out=$(sha256sum <"$TAP_TMP/out" | cut -d' ' -f1)
  stats_now
  mbps=$(awk -v b="$size" -v ms="$ms" 'BEGIN { printf "%.2f", b / 1048576 / (ms / 1000) }')
  echo "  $mode: $size bytes in $ms ms = $mbps MB/s; server retrans $(( $(mstat kcpecho: retrans) - r0 ))," \
    "fast $(( $(mstat kcpecho: fast_retrans) - f0 )), dup segments $(( $(mstat kcpecho: dup) - d0 ))"
  echo "  $mode: sha256 sent $sum_in, echoed $sum_out ($(stat -c %s "$TAP_TMP/out") bytes)"
  check "integrity: $MB MB, $mode mode, loss 20 % reorder 10 % dup 5 % delay 20 ms: sha256 equal (exit $rc, $mbps MB/s)" \
    test "$rc" -eq 0 -a "$sum_in" = "$sum_out"
  [ "$rc" -eq 0 ] || head -c 400 "$TAP_TMP/err"
  rm -f "$TAP_TMP/out"
done
grep '^link tap0' "$ROBUST_LOG" | tail -n 2 | sed 's/^/  /'
check "integrity: the link emulation lost, duplicated and reordered frames" \
  test "$(mstat 'link tap0 in:' lost)" -gt 0 -a "$(mstat 'link tap0 in:' dup)" -gt 0 -a "$(mstat 'link tap0 in:' reordered)" -gt 0

stop_minimal
netns_finish
