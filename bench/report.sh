#!/usr/bin/env bash
# report.sh - the report of bench/lwip-bench.sh from its raw results:
# bench/results/{lwip-bench.json,*.csv,summary.md} (bench/report.py) and the
# PNG plots (gnuplot, bench/*.gp). Can be rerun alone on existing results.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=bench/results
RAW=$OUT/tmp/lwip

status=0
python3 bench/report.py "$RAW" "$OUT" || status=1
# gnuplot PLOT DATA: bench/PLOT.gp draws DATA into bench/results/PLOT.png.
plot() {
  if gnuplot -e "datafile='$2'; outfile='$OUT/$1.png'" "bench/$1.gp"; then
    echo "report: $OUT/$1.png"
  else
    echo "report: gnuplot failed on bench/$1.gp"
    status=1
  fi
}
if [ -s "$RAW/cdf.dat" ]; then
  plot rtt_cdf "$RAW/cdf.dat"
else
  echo "report: no RTT samples (no capture of the latency run): no rtt_cdf.png"
fi
plot rtt_vs_loss "$OUT/rtt_vs_loss.csv"
plot throughput "$OUT/throughput.csv"
echo
cat "$OUT/summary.md"
exit "$status"
