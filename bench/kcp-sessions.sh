#!/usr/bin/env bash
# kcp-sessions.sh - many clients at once: the sessions sweep and the
# hostile-host figures of the server-wide budget.
#
# Sweep: 1, 10, 100 and 1000 bulk sessions of one kcp_client (fast profile,
# window 128, messages of 1..1300 bytes, no pause) against ./minimal with
# its defaults, on a clean link and with --loss 2, SWEEP_SECONDS each
# (10). Per run: aggregate goodput and its ratio to 1 session of the same
# link, Jain's fairness index of the sessions' goodputs, p99 RTT and its
# ratio to 1 session, client retransmissions per data segment sent, and
# the server's CPU seconds (./minimal, all threads) per GB echoed: the cost
# that this shared machine's noise in goodput hides least.
# (SWEEP_RUNS overrides the list of session counts.)
#
# Congestion module of the server: 10 sessions on each link against
# ./minimal --kcp-cc classic (the default) and --kcp-cc bbr, back to back;
# bbr's aggregate goodput as a ratio of classic's.
#
# One session's window: a single kcp_client session at --wnd 1024 and at
# --wnd 128 (the sweep's), clean link, back to back three times (WND_RUNS);
# the mean goodput at 1024 as a ratio of the mean at 128.
#
# Robustness rows: tests/tap_kcp_pin.sh at full size (1024 pinning
# sessions: peak RSS and RSS after) and tests/tap_kcp_lockout.sh (slowest
# first round trip of a new client while the table is full).
#
# Results: a table on stdout, bench/results/kcp-sessions.json and .csv, and
# the plot bench/results/kcp-sessions.png (bench/kcp_sessions.gp).
# Needs root (network namespace). Exit 1 when a run fails to measure.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh
. tests/lib/robust.sh

S=192.168.0.2
OUT=bench/results
SECS=${SWEEP_SECONDS:-10}
RUNS=${SWEEP_RUNS:-"1 10 100 1000"}
mkdir -p "$OUT"
[ -x ./kcp_client ] || { echo "kcp-sessions: build ./kcp_client first"; exit 1; }
tap_init
ROBUST_LOG=$TAP_TMP/minimal.log
rc=0
rows=()

# sweep_run LOSS N JSON [ARGS...]: N bulk sessions of kcp_client against a
# fresh ./minimal --loss LOSS ARGS (the sessions of the run before would
# still be open, idle, and take places in the table); its report in JSON.
# Fails, saying so, when there is no report. SRV_CPU: the server's CPU
# seconds over the run.
sweep_run() {
  local loss=$1 n=$2 j=$3 t0
  shift 3
  if ! start_minimal "$ROBUST_LOG" --stats 0 --loss "$loss" "$@"; then
    echo "kcp-sessions: ./minimal --loss $loss $* does not answer"
    return 1
  fi
  t0=$(proc_cpu_ns "$MINIMAL_PID")
  nsx timeout $((SECS + 120)) ./kcp_client --bench --json --clients "$n" --size 1-1300 \
    --interval 0 --duration "$SECS" --timeout 30 ${CLIENT_ARGS:-} $S >"$j" 2>"$TAP_TMP/err"
  SRV_CPU=$(awk -v a="$t0" -v b="$(proc_cpu_ns "$MINIMAL_PID")" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  stop_minimal >/dev/null
  if [ -z "$(jget throughput_bps "$j")" ] || [ "$(jget data_segs "$j")" = 0 ]; then
    echo "kcp-sessions: loss $loss, $n sessions $*: no report ($(head -c 300 "$TAP_TMP/err"))"
    return 1
  fi
}


printf '%-5s %6s %10s %7s %6s %9s %7s %8s %5s %9s\n' loss% sessions Mbit/s x1 Jain p99_ms x1 retrans% dead srv_s/GB
for loss in 0 2; do
  base_bps=; base_p99=
  for n in $RUNS; do
    j=$TAP_TMP/run-$loss-$n.json
    sweep_run "$loss" "$n" "$j" || { rc=1; continue; }
    bps=$(jget throughput_bps "$j"); p99=$(jget rtt_p99_ms "$j"); jain=$(jget jain "$j")
    re=$(jget retrans "$j"); segs=$(jget data_segs "$j")
    [ -n "$base_bps" ] || { base_bps=$bps; base_p99=$p99; }
    row=$(awk -v l=$loss -v n=$n -v b=$bps -v bb=$base_bps -v p=$p99 -v pb=$base_p99 -v ja=$jain \
      -v r=$re -v s=$segs -v v="$(jget verified "$j")" -v t="$(jget sent "$j")" \
      -v d="$(jget dead "$j")" -v rc="$(jget reconnects "$j")" -v c="$SRV_CPU" -v by="$(jget bytes "$j")" 'BEGIN {
        printf "{\"loss\":%s,\"sessions\":%s,\"goodput_bps\":%.0f,\"goodput_x1\":%.3f,\"jain\":%s,", l, n, b, b / bb, ja
        printf "\"rtt_p99_ms\":%s,\"rtt_p99_x1\":%.2f,\"retrans\":%s,\"data_segs\":%s,\"retrans_pct\":%.3f,", p, p / pb, r, s, 100 * r / s
        printf "\"sent\":%s,\"verified\":%s,\"dead\":%s,\"reconnects\":%s,", t, v, d, rc
        printf "\"server_cpu_s\":%s,\"server_cpu_s_per_gb\":%.2f}", c, (by > 0 ? c / (by / 1e9) : 0) }')
    rows+=("$row")
    awk -v l=$loss -v n=$n -v b=$bps -v bb=$base_bps -v p=$p99 -v pb=$base_p99 -v ja=$jain -v r=$re -v s=$segs \
      -v d="$(jget dead "$j")" -v c="$SRV_CPU" -v by="$(jget bytes "$j")" \
      'BEGIN { printf "%-5s %6s %10.1f %7.2f %6.3f %9.1f %7.2f %8.2f %5s %9.2f\n", l, n, b / 1e6, b / bb, ja, p, p / pb, 100 * r / s, d, (by > 0 ? c / (by / 1e9) : 0) }'
  done
done

# The server's congestion module (./minimal --kcp-cc), side by side: 10
# sessions on each link, the server on classic (its default) and on bbr,
# back to back; bbr's goodput as a ratio of classic's.
printf '\n%-5s %-9s %10s %6s %9s\n' loss% server_cc Mbit/s Jain p99_ms
cc_rows=()
declare -A ccbps
for loss in 0 2; do
  for cc in classic bbr; do
    j=$TAP_TMP/cc-$loss-$cc.json
    sweep_run "$loss" 10 "$j" --kcp-cc "$cc" || { rc=1; continue; }
    ccbps[$loss-$cc]=$(jget throughput_bps "$j")
    awk -v l="$loss" -v c="$cc" -v b="${ccbps[$loss-$cc]}" -v ja="$(jget jain "$j")" -v p="$(jget rtt_p99_ms "$j")" \
      'BEGIN { printf "%-5s %-9s %10.1f %6.3f %9.1f\n", l, c, b / 1e6, ja, p }'
    cc_rows+=("$(printf '{"loss":%s,"server_cc":"%s","sessions":10,"goodput_bps":%s,"jain":%s,"rtt_p99_ms":%s}' \
      "$loss" "$cc" "${ccbps[$loss-$cc]}" "$(jget jain "$j")" "$(jget rtt_p99_ms "$j")")")
  done
done
ccx() { awk -v a="${ccbps[$1-bbr]:-}" -v b="${ccbps[$1-classic]:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "null"; else printf "%.3f", a / b }'; }
ccx0=$(ccx 0); ccx2=$(ccx 2)
printf 'server on bbr / on classic, 10 sessions: clean %sx, 2 %% loss %sx\n\n' "$ccx0" "$ccx2"

# One session at window 1024 against window 128, alternating so that the
# machine's other load falls on both alike.
printf '%-6s %10s %9s\n' wnd Mbit/s p99_ms
declare -A wndsum=([128]=0 [1024]=0) wndn=([128]=0 [1024]=0)
wnd_rows=()
for ((i = 0; i < ${WND_RUNS:-3}; i++)); do
  for w in 128 1024; do
    j=$TAP_TMP/wnd-$w-$i.json
    CLIENT_ARGS="--wnd $w" sweep_run 0 1 "$j" || { rc=1; continue; }
    b=$(jget throughput_bps "$j")
    wndsum[$w]=$(awk -v a="${wndsum[$w]}" -v b="$b" 'BEGIN { printf "%.0f", a + b }')
    wndn[$w]=$((wndn[$w] + 1))
    awk -v w="$w" -v b="$b" -v p="$(jget rtt_p99_ms "$j")" 'BEGIN { printf "%-6s %10.1f %9.1f\n", w, b / 1e6, p }'
    wnd_rows+=("$(printf '{"wnd":%s,"goodput_bps":%s,"rtt_p99_ms":%s}' "$w" "$b" "$(jget rtt_p99_ms "$j")")")
  done
done
wndx=$(awk -v a="${wndsum[1024]}" -v na="${wndn[1024]}" -v b="${wndsum[128]}" -v nb="${wndn[128]}" \
  'BEGIN { if (na == 0 || nb == 0 || b == 0) print "null"; else printf "%.3f", (a / na) / (b / nb) }')
printf 'one session, window 1024 / window 128: %sx\n\n' "$wndx"

pin=$(SESSIONS=1024 tests/tap_kcp_pin.sh)
echo "$pin" | grep -E '^(PASS|FAIL)'
peak=$(echo "$pin" | sed -n 's/.*peak RSS \([0-9]*\) kB.*/\1/p' | head -n 1)
after=$(echo "$pin" | sed -n 's/.*RSS back under [0-9]* kB within 60 s of the end (\([0-9]*\) kB.*/\1/p' | head -n 1)
lock=$(tests/tap_kcp_lockout.sh)
echo "$lock" | grep -E '^(PASS|FAIL)'
lockms=$(echo "$lock" | sed -n 's/.*slowest round trip \([0-9.]*\) ms.*/\1/p' | sort -g | tail -n 1)
fails=$(printf '%s\n%s\n' "$pin" "$lock" | grep -c '^FAIL:')
printf 'pinning 1024 sessions: peak RSS %s kB, after %s kB; new client in a full table: slowest first round trip %s ms\n' \
  "${peak:-?}" "${after:-?}" "${lockms:-?}"

{
  printf '{"seconds":%s,"runs":[' "$SECS"
  (IFS=,; printf '%s' "${rows[*]}")
  printf '],"cc_runs":['
  (IFS=,; printf '%s' "${cc_rows[*]}")
  printf '],"cc_bbr_x_classic_clean":%s,"cc_bbr_x_classic_loss2":%s' "$ccx0" "$ccx2"
  printf ',"wnd_runs":['
  (IFS=,; printf '%s' "${wnd_rows[*]}")
  printf '],"wnd1024_x_wnd128":%s' "$wndx"
  printf ',"pin_sessions":1024,"pin_peak_rss_kb":%s,"pin_after_rss_kb":%s,"lockout_max_rtt_ms":%s,"robust_failed":%s}\n' \
    "${peak:-null}" "${after:-null}" "${lockms:-null}" "$fails"
} >"$OUT/kcp-sessions.json"
python3 - "$OUT/kcp-sessions.json" "$OUT/kcp-sessions.csv" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    f.write("loss,sessions,goodput_bps,goodput_x1,jain,rtt_p99_ms,rtt_p99_x1,retrans_pct\n")
    for r in d["runs"]:
        f.write("%s,%s,%s,%s,%s,%s,%s,%s\n" % tuple(r[k] for k in (
            "loss", "sessions", "goodput_bps", "goodput_x1", "jain", "rtt_p99_ms", "rtt_p99_x1", "retrans_pct")))
EOF
gnuplot -e "datafile='$OUT/kcp-sessions.csv'; outfile='$OUT/kcp-sessions.png'" bench/kcp_sessions.gp ||
  echo "kcp-sessions: no plot (gnuplot failed)"
[ "$rc" -eq 0 ] && [ "$fails" -eq 0 ]
