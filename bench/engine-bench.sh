#!/usr/bin/env bash
# engine-bench.sh - the KCP engine benchmarks on the simulated link.
#
#  1. Latency: the reference test's echo scenario in virtual time
#     (build/bench/engine_latency), means over LAT_SEEDS seeds.
#  2. Bulk cost: instructions per delivered 1 KB message, counted by
#     callgrind inside bulk_transfer() only, for windows 128..8192 at 0, 5 and
#     10 % loss, next to a plain two-copy baseline. The instructions are split
#     into engine (kcp/ikcp.c and the library calls it makes), simulator
#     (tests/linksim.c: heap, PRNG, one copy per datagram) and application.
#
#     The two-copy baseline is a lower bound, not a peer: it has no framing,
#     ACKs, timers or loss, and copies each message twice, while the engine
#     copies it four times (send queue, datagram, receive buffer, application)
#     and is asked ikcp_check/ikcp_update on every simulator event. The fair
#     comparison is engine against engine: the target is that window 8192 at
#     10 % loss costs at most 1.5 times window 128 without loss, i.e. that the
#     per-message cost does not grow with the window or with retransmission.
#
# Results: a table on stdout, JSON in bench/results/engine.json (with
# engine-latency.json and engine-bulk.json beside it); the tables and the
# JSON say whether each target is met. Exit status 1 when a run fails
# (a message lost, out of order or wrong), as in lwip-bench.sh. Knobs: LAT_SEEDS (20), BULK_MB (20),
# BUILD (build).
set -u

BIN=${BUILD:-build}/bench
OUT=bench/results
TMP=$OUT/tmp
LAT_SEEDS=${LAT_SEEDS:-20}
BULK_MB=${BULK_MB:-20}
WINDOWS="128 1024 4096 8192"
LOSSES="0 5 10"
status=0

mkdir -p "$TMP"
command -v valgrind >/dev/null || { echo "FAIL: engine-bench (valgrind not installed)"; exit 1; }

echo "== engine latency"
if ! "$BIN/engine_latency" "$LAT_SEEDS" "$OUT/engine-latency.json"; then
  echo "FAIL: engine latency: a run did not complete in order (see table)"
  status=1
fi

# callgrind one configuration; prints "total=.. engine=.. sim=.. app=.." and the run's own line.
cg() {
  local name=$1 fn=$2
  shift 2
  local prof=$TMP/bulk-$name.cg
  local line
  line=$(valgrind --tool=callgrind --toggle-collect="$fn" --dump-instr=no \
    --compress-strings=no --compress-pos=no --callgrind-out-file="$prof" \
    "$BIN/engine_bulk" "$@" 2>"$TMP/bulk-$name.log") || { echo "error $line"; return 1; }
  echo "$(awk -f bench/callgrind-split.awk "$prof") $line"
}

field() { sed -E "s/.*(^| )$1=([0-9]+).*/\\2/" <<<"$2"; }

echo
echo "== engine bulk: ${BULK_MB} MB in 1 KB messages, 20 ms one-way, fast mode (2,10,2,1), callgrind"
total=$((BULK_MB * 1024 * 1024))
base=$(cg baseline bulk_baseline --baseline -t "$total")
msgs=$(field messages "$base")
base_pm=$(( $(field total "$base") / msgs ))
printf "two-copy baseline: %d instructions per message\n\n" "$base_pm"
echo "per delivered message: instructions in total, in the engine, in the simulator, in the"
echo "application loop; datagrams both ways; sender's timer/fast retransmissions; simulated seconds"
printf "%6s %5s %9s %9s %9s %9s %10s %8s %8s %7s\n" window loss total/msg engine/msg sim/msg app/msg datagrams rto_rtx fast_rtx sim_s
json="{\n  \"bench\": \"engine_bulk\",\n  \"total_bytes\": $total,\n  \"message_bytes\": 1024,\n"
json+="  \"one_way_delay_ms\": 20,\n  \"nodelay\": [2, 10, 2, 1],\n  \"measure\": \"callgrind Ir inside bulk_transfer()\",\n"
json+="  \"baseline_two_copy_per_msg\": $base_pm,\n"
json+="  \"note\": \"baseline = two memcpy per message, a lower bound without protocol work\",\n  \"runs\": ["
sep=""
ref_engine=0
ref_total=0
worst_engine=0
worst_total=0
for w in $WINDOWS; do
  for l in $LOSSES; do
    r=$(cg "w$w-l$l" bulk_transfer -t "$total" -w "$w" -l "$l") || {
      echo "FAIL: bulk window $w loss $l: $r"; status=1; continue; }
    d=$(field delivered "$r")
    if [ "$d" -ne "$msgs" ] || [ "$(field errors "$r")" -ne 0 ]; then
      echo "FAIL: bulk window $w loss $l: $r"
      status=1
      continue
    fi
    t=$(( $(field total "$r") / d )); e=$(( $(field engine "$r") / d ))
    s=$(( $(field sim "$r") / d )); a=$(( $(field app "$r") / d ))
    ms=$(field sim_ms "$r")
    printf "%6d %4d%% %9d %9d %9d %9d %10d %8d %8d %7.1f\n" "$w" "$l" "$t" "$e" "$s" "$a" \
      "$(field datagrams "$r")" "$(field retrans_timeout "$r")" "$(field retrans_fast "$r")" \
      "$(awk -v m="$ms" 'BEGIN { print m / 1000 }')"
    json+="$sep\n    {\"window\": $w, \"loss_pct\": $l, \"total_per_msg\": $t, \"engine_per_msg\": $e, "
    json+="\"sim_per_msg\": $s, \"app_per_msg\": $a, \"datagrams\": $(field datagrams "$r"), "
    json+="\"retrans_timeout\": $(field retrans_timeout "$r"), \"retrans_fast\": $(field retrans_fast "$r"), "
    json+="\"sim_ms\": $ms}"
    sep=","
    if [ "$w" = 128 ] && [ "$l" = 0 ]; then ref_engine=$e; ref_total=$t; fi
    if [ "$w" = 8192 ] && [ "$l" = 10 ]; then worst_engine=$e; worst_total=$t; fi
  done
done
json+="\n  ]"

if [ "$ref_engine" -gt 0 ] && [ "$worst_engine" -gt 0 ]; then
  re=$(awk -v a="$worst_engine" -v b="$ref_engine" 'BEGIN { printf "%.2f", a / b }')
  rt=$(awk -v a="$worst_total" -v b="$ref_total" 'BEGIN { printf "%.2f", a / b }')
  rb=$(awk -v a="$ref_engine" -v b="$base_pm" 'BEGIN { printf "%.1f", a / b }')
  met=$(awk -v r="$re" 'BEGIN { print (r <= 1.5) ? "true" : "false" }')
  echo
  echo "window 8192 / 10 % loss vs window 128 / 0 %: engine x$re, with simulator x$rt (target <= 1.5: $met)"
  echo "engine at window 128 / 0 % vs two-copy baseline: x$rb"
  json+=",\n  \"ratio_engine_w8192_l10_vs_w128_l0\": $re,\n  \"ratio_total_w8192_l10_vs_w128_l0\": $rt,\n"
  json+="  \"ratio_engine_w128_l0_vs_baseline\": $rb,\n  \"target_1_5x_met\": $met"
else
  status=1
fi
printf "%b\n}\n" "$json" >"$OUT/engine-bulk.json"

{
  printf '{\n"latency": '
  cat "$OUT/engine-latency.json" 2>/dev/null || printf 'null\n'
  printf ',\n"bulk": '
  cat "$OUT/engine-bulk.json"
  printf '}\n'
} >"$OUT/engine.json"
echo "results: $OUT/engine.json"
exit $status
