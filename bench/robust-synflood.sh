#!/usr/bin/env bash
# robust-synflood.sh - the SYN flood row of the robustness table: the rate
# of spoofed SYNs (random 10.x sources, to the TCP echo port) at which a
# live KCP session beside it keeps every echo and a p99 RTT under 100 ms
# (target: at least 20 000 SYN/s for 30 s). Runs
# tests/tap_robust_synflood.sh (also in make check, 10 s) for
# ROBUST_SYN_SECONDS (30) at each rate of ROBUST_SYN_RATES ("20000 40000").
#
# Results: the test's lines on stdout, a markdown table, and
# bench/results/robust-synflood.json. Needs root (network namespace). Exit
# status 1 when the 20 000/s target is not met.
set -u
cd "$(dirname "$0")/.." || exit 1

OUT=bench/results
SECONDS_EACH=${ROBUST_SYN_SECONDS:-30}
RATES=${ROBUST_SYN_RATES:-20000 40000}
TARGET=20000
mkdir -p "$OUT"

best=0
rows=
json=
for r in $RATES; do
  log=$(SYN_RATE=$r SYN_SECONDS=$SECONDS_EACH tests/tap_robust_synflood.sh)
  echo "$log"
  line=$(echo "$log" | sed -n 's/^synflood: rate \([0-9]*\) p99 \([0-9.]*\)$/\1 \2/p' | tail -n 1)
  sent=${line%% *}
  p99=${line##* }
  failed=$(echo "$log" | grep -c '^FAIL:')
  [ "$failed" -eq 0 ] && [ "${sent:-0}" -gt "$best" ] && best=$sent
  rows+="| ${sent:-?} SYN/s for $SECONDS_EACH s | ${p99:-?} | $([ "$failed" -eq 0 ] && echo "all verified, p99 < 100 ms" || echo "$failed checks failed") |"$'\n'
  json+="${json:+,}{\"rate_asked\":$r,\"rate\":${sent:-null},\"p99_ms\":${p99:-null},\"failed\":$failed}"
done

echo
echo "| SYN flood beside a live KCP session | live p99 RTT (ms) | result |"
echo "| --- | ---: | --- |"
printf '%s' "$rows"
echo
echo "| robustness | measured | target | |"
echo "| --- | ---: | ---: | --- |"
echo "| spoofed SYN/s with the live KCP session's p99 RTT < 100 ms, $SECONDS_EACH s | $best | >= $TARGET | $([ "$best" -ge $TARGET ] && echo met || echo "not met") |"
printf '{"seconds":%s,"runs":[%s],"best_rate":%s,"target":%s}\n' "$SECONDS_EACH" "$json" "$best" "$TARGET" \
  >"$OUT/robust-synflood.json"
[ "$best" -ge $TARGET ]
