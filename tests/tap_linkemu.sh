#!/usr/bin/env bash
# tap_linkemu.sh - ./minimal's own link emulation (the kernel has no netem):
# --loss 20 loses about 1-(0.8)^2 of UDP echoes, --delay 30 adds about
# 60 ms of RTT, dup/reorder/jitter keep TCP byte-exact, and the delay queue
# is bounded (full: drop and count).
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/minimal.log

# p50 of a probe line "... p50_ms=X ..."
p50() { sed -nE 's/.*p50_ms=([0-9.]+).*/\1/p' <<<"$1"; }
# in_range X LO HI: LO <= X <= HI, decimals allowed
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "" && x >= lo && x <= hi) }'; }

start_minimal "$LOG" || fail "minimal starts (no emulation)"
base=$(probe udp-rtt --count 30)
echo "$base"
stop_minimal >/dev/null

start_minimal "$LOG" --delay 30 || fail "minimal starts (--delay 30)"
delayed=$(probe udp-rtt --count 30)
echo "$delayed"
stop_minimal >/dev/null
grow=$(awk -v a="$(p50 "$delayed")" -v b="$(p50 "$base")" 'BEGIN { printf "%.1f", a - b }')
check "--delay 30: UDP RTT p50 grows by ${grow} ms (expect about 60: 50..90)" in_range "$grow" 50 90

start_minimal "$LOG" --loss 20 --seed 1 || fail "minimal starts (--loss 20)"
# ARP is subject to loss too; pin the neighbour so only the echoes count
mac=$(sed -nE 's/.* mac ([0-9a-f:]+)$/\1/p' "$LOG")
nsx ip neigh replace 192.168.0.2 lladdr "$mac" dev tap0 nud permanent
out=$(probe udp-loss --count 400 --interval 0.002)
echo "$out (expected loss $(awk 'BEGIN { print 1 - 0.8 * 0.8 }'))"
loss=$(sed -nE 's/.*loss=([0-9.]+).*/\1/p' <<<"$out")
check "--loss 20 --seed 1: UDP echo loss $loss within 0.36 +- 0.10" in_range "$loss" 0.26 0.46
stop_minimal >/dev/null
check "--loss: lost frames counted both ways" \
  bash -c "grep -qE '^link tap0 in: .* lost [1-9]' '$LOG' && grep -qE '^link tap0 out: .* lost [1-9]' '$LOG'"

start_minimal "$LOG" --delay 5 --jitter 3 --dup 5 --reorder 5 --seed 3 || fail "minimal starts (dup/reorder)"
check "--dup 5 --reorder 5 --jitter 3: UDP echo byte-exact" probe udp-exact --sizes 1,1472,8192
check "--dup 5 --reorder 5 --jitter 3: TCP 1 MB byte-exact" probe tcp-echo --bytes 1048576 --timeout 20
stop_minimal >/dev/null
check "dup and reorder counted both ways" \
  bash -c "grep -qE '^link tap0 in: .* dup [1-9][0-9]* .* reordered [1-9]' '$LOG' &&
           grep -qE '^link tap0 out: .* dup [1-9][0-9]* .* reordered [1-9]' '$LOG'"

# A 16-frame queue overflows for certain, however slowly the probe sends.
PING_WAIT=2 start_minimal "$LOG" --delay 400 --link-queue 16 || fail "minimal starts (--delay 400 --link-queue 16)"
probe udp-loss --count 3000 --interval 0 --timeout 1.5 >/dev/null
kill -USR1 "$MINIMAL_PID"
sleep 0.3
check "delay queue bounded: overflow dropped and counted" grep -qE '^link tap0 in: .* queue_full [1-9]' "$LOG"
check "still answering after the overflow" probe udp-exact --sizes 32 --timeout 2
stop_minimal >/dev/null
netns_finish
