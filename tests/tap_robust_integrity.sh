#!/usr/bin/env bash
# tap_robust_integrity.sh - integrity on a bad link: 100 MB of
# random binary data through ./minimal --loss 20 --reorder 10 --dup 5
# --delay 20 (each way), in KCP message mode and in stream mode, compared by
# sha256 of what was sent and what came back.
#
# The data is `kcp_client --bench --sha256`'s payload: messages of random
# size (1-8000 bytes, 1 to 6 fragments) with random contents, generated from
# a random seed (printed; ROBUST_INTEGRITY_SEED=N repeats a run). The client
# checks every echo byte for byte and reports the SHA-256 of all bytes sent
# and of all bytes echoed; the test compares both with sha256sum of the same
# payload recomputed by tests/lib/kcpc_payload.py (independent of the
# client's generator and hash; about 10 s of CPU per 100 MB, in the
# background during the message-mode run).
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
. "$(dirname "$0")/lib/robust.sh"

MB=${ROBUST_INTEGRITY_MB:-100}
SEED=${ROBUST_INTEGRITY_SEED:-$((RANDOM * 32768 + RANDOM))}
WND=512
SIZE_MIN=1
SIZE_MAX=8000
LIMIT=$((20 + MB * 3 / 2))
[[ $MB =~ ^[0-9]+$ ]] && [ "$MB" -ge 1 ] || { echo "FAIL: integrity: ROBUST_INTEGRITY_MB must be a whole number >= 1"; exit 1; }
[[ $SEED =~ ^[0-9]+$ ]] || { echo "FAIL: integrity: ROBUST_INTEGRITY_SEED must be a whole number"; exit 1; }
# messages of 4000.5 bytes on average: MB MiB give or take a few hundred kB
COUNT=$((MB * 1048576 / 4000))
robust_init integrity ./kcp_client
PING_WAIT=2 robust_start integrity "$TAP_TMP/minimal.log" --loss 20 --reorder 10 --dup 5 --delay 20 \
  --seed 11 --kcp-wnd $WND

echo "  payload: seed $SEED, $COUNT messages of $SIZE_MIN-$SIZE_MAX bytes"
nice python3 tests/lib/kcpc_payload.py "$SEED" "$COUNT" "$SIZE_MIN" "$SIZE_MAX" |
  sha256sum | cut -d' ' -f1 >"$TAP_TMP/want" &
GEN_PID=$!
jstr() { grep -o "\"$1\":\"[0-9a-f]*\"" "$2" | cut -d'"' -f4; }

for mode in message stream; do
  extra=()
  [ $mode = stream ] && extra=(--stream)
  stats_now; r0=$(mstat kcpecho: retrans); f0=$(mstat kcpecho: fast_retrans); d0=$(mstat kcpecho: dup)
  t0=$(date +%s%N)
  nsx timeout "$LIMIT" ./kcp_client --bench --json --sha256 --seed "$SEED" --count "$COUNT" \
    --size "$SIZE_MIN-$SIZE_MAX" "${extra[@]}" --wnd $WND --timeout 30 $S \
    >"$TAP_TMP/out.json" 2>"$TAP_TMP/err"
  rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  stats_now
  [ "$mode" = message ] && wait "$GEN_PID"
  want=$(cat "$TAP_TMP/want")
  size=$(jget bytes "$TAP_TMP/out.json")
  sent=$(jget sent "$TAP_TMP/out.json"); verified=$(jget verified "$TAP_TMP/out.json")
  sum_sent=$(jstr sha256_sent "$TAP_TMP/out.json"); sum_echoed=$(jstr sha256_echoed "$TAP_TMP/out.json")
  mbps=$(awk -v b="${size:-0}" -v ms="$ms" 'BEGIN { printf "%.2f", b / 1048576 / (ms / 1000) }')
  echo "  $mode: ${size:-?} bytes in $ms ms = $mbps MB/s; server retrans $(( $(mstat kcpecho: retrans) - r0 ))," \
    "fast $(( $(mstat kcpecho: fast_retrans) - f0 )), dup segments $(( $(mstat kcpecho: dup) - d0 ))"
  echo "  $mode: sha256 sent ${sum_sent:-?}, echoed ${sum_echoed:-?}, recomputed $want;" \
    "messages sent ${sent:-?}, verified ${verified:-?}"
  check "integrity: $MB MB, $mode mode, loss 20 % reorder 10 % dup 5 % delay 20 ms: sha256 sent = echoed = recomputed (exit $rc, $mbps MB/s)" \
    test "$rc" -eq 0 -a -n "$want" -a "$sum_sent" = "$want" -a "$sum_echoed" = "$want" -a "${sent:-0}" = "$COUNT" -a "${verified:-0}" = "$COUNT"
  [ "$rc" -eq 0 ] || head -c 400 "$TAP_TMP/err"
done
grep '^link tap0' "$ROBUST_LOG" | tail -n 2 | sed 's/^/  /'
check "integrity: the link emulation lost, duplicated and reordered frames" \
  test "$(mstat 'link tap0 in:' lost)" -gt 0 -a "$(mstat 'link tap0 in:' dup)" -gt 0 -a "$(mstat 'link tap0 in:' reordered)" -gt 0

stop_minimal
netns_finish
