#!/usr/bin/env bash
# lwip-bench.sh - KCP against TCP and UDP, all through the same lwIP in
# ./minimal, in a private network namespace. Every
# comparison is measured in this one run and reported as a ratio; nothing is
# sent outside the namespace.
#
#   1. latency: --loss 10 --delay 30, one 64-byte message every 20 ms
#      for 60 s, KCP (fast) and TCP clients at the same time on one ./minimal
#   2. loss sweep: loss 0..30 % (delay 30), 20 s each; KCP fast and TCP
#      against one ./minimal, KCP normal against a second ./minimal on its own
#      tap with the same link settings, all three at the same time
#   3. clean link: small-message rate (KCP vs UDP echo) and bulk throughput
#      (KCP stream, TCP, UDP echo: the bare datagram path), one after the other, the
#      bulk runs in 5 alternating rounds
#   4. 10000 idle KCP sessions: RSS growth per session and CPU while idle
#
# Each client's JSON report goes to bench/results/tmp/lwip/; bench/report.sh
# then writes bench/results/{lwip-bench.json,*.csv,summary.md,*.png} (see
# bench/README.md). Exit 0 when every measurement was made, whether or not
# the targets were met (summary.md says which); 1 when one is missing.
# Durations can be shortened for a quick look: BENCH_LATENCY_S,
# BENCH_SWEEP_S, BENCH_CLEAN_S, BENCH_BULK_S, BENCH_BULK_ROUNDS, BENCH_LOSSES,
# BENCH_SESSIONS, BENCH_IDLE_S.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh

LATENCY_S=${BENCH_LATENCY_S:-60}
SWEEP_S=${BENCH_SWEEP_S:-20}
CLEAN_S=${BENCH_CLEAN_S:-10}
BULK_S=${BENCH_BULK_S:-5}
BULK_ROUNDS=${BENCH_BULK_ROUNDS:-5}
LOSSES=${BENCH_LOSSES:-0 5 10 20 30}
SESSIONS=${BENCH_SESSIONS:-10000}
IDLE_S=${BENCH_IDLE_S:-10}
DELAY=30
OUT=bench/results
RAW=$OUT/tmp/lwip
A=192.168.0.2   # ./minimal on tap0 (profile fast)
B=192.168.1.2   # ./minimal on tap1 (profile normal), loss sweep only
C=./kcp_client
U=build/bench/udp_echo_bench
# A client may take this long after its --duration to collect the last
# echoes (TCP at 30 % loss backs off for many seconds); then it is stopped
# with SIGINT and reports what it has, the rest counted as lost.
DRAIN_S=25

for f in ./minimal "$C" "$U"; do
  [ -x "$f" ] || { echo "lwip-bench: $f is missing (make all $U)"; exit 1; }
done
mkdir -p "$RAW"
rm -f "$RAW"/*
T0=$(date +%s)
# Whether lwIP's TCP echo sends at once or holds small echoes (Nagle), read
# from the source ./minimal was just built from (make bench builds it first).
NAGLE=true
grep -q tcp_nagle_disable apps/tcpecho/tcpecho_raw.c && NAGLE=false
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
progress() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*"; }

# start_minimal TAP ADDR GATEWAY ARGS...: ./minimal in the namespace; its pid
# in MINIMAL_PID once it answers ping.
start_minimal() {
  local tap=$1 addr=$2 gw=$3; shift 3
  netns_bg ./minimal -t "$tap" -i "$addr" -g "$gw" "$@" >>"$RAW/minimal.log" 2>&1
  MINIMAL_PID=$NETNS_LAST_PID
  wait_for 10 nsx ping -c 1 -W 1 "$addr" ||
    { echo "lwip-bench: ./minimal on $tap does not answer"; exit 1; }
}

# stop_bg PID: stop one process started with netns_bg and forget it.
stop_bg() {
  local p=$1 keep=() q
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  for q in "${NETNS_PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
  NETNS_PIDS=("${keep[@]}")
}

# client NAME SECONDS CMD...: run a benchmark client in the namespace in the
# background, JSON to $RAW/NAME.json; its pid is appended to CLIENTS.
CLIENTS=()
client() {
  local name=$1 secs=$2; shift 2
  nsx timeout -s INT -k 5 $((secs + DRAIN_S)) "$@" >"$RAW/$name.json" 2>"$RAW/$name.err" &
  CLIENTS+=($!)
}
# wait_clients: wait for every client; on a terminal, a ticking status line.
wait_clients() {
  local p alive
  while :; do
    alive=0
    for p in "${CLIENTS[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
    [ "$alive" -eq 0 ] && break
    [ -t 1 ] && printf '\r[%4ds]   %d client(s) running\033[K' $(($(date +%s) - T0)) "$alive"
    sleep 1
  done
  [ -t 1 ] && printf '\r\033[K'
  for p in "${CLIENTS[@]}"; do wait "$p"; done
  CLIENTS=()
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# cpu_ticks PID: user + system time, in clock ticks (the name may hold no spaces).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# kcp_client with the options every run shares.
KCP=("$C" --bench --json --timeout 60 --count 100000000)

netns_up
scripts/setup-tapif --netns "$NETNS" --tap tap1 --addr 192.168.1.1/24 >/dev/null ||
  { echo "lwip-bench: cannot set up tap1"; exit 1; }

# --- 1. latency --------------------------------------------------------------
progress "latency: loss 10 %, delay $DELAY ms, 64 B every 20 ms," \
  "KCP fast and TCP together, ${LATENCY_S} s"
start_minimal tap0 $A 192.168.0.1 --loss 10 --delay $DELAY --seed 4 --profile fast
# Every RTT, for the CDF: kcp_client reports only statistics, so the run is
# captured on the client side of the tap and bench/rtt_pcap.py recovers them.
netns_bg tcpdump -i tap0 -n -U --immediate-mode -s 1600 -B 4096 -w "$RAW/lat.pcap" \
  'udp port 8000 or tcp port 7' 2>"$RAW/tcpdump.err"
TCPDUMP_PID=$NETNS_LAST_PID
wait_for 10 grep -q listening "$RAW/tcpdump.err" || echo "lwip-bench: tcpdump did not start"
client lat_kcp "$LATENCY_S" "${KCP[@]}" --profile fast --size 64 --interval 20 \
  --duration "$LATENCY_S" --conv 100 $A
client lat_tcp "$LATENCY_S" "${KCP[@]}" --tcp --size 64 --interval 20 \
  --duration "$LATENCY_S" $A
wait_clients
sleep 1
stop_bg "$TCPDUMP_PID"
stop_bg "$MINIMAL_PID"
python3 bench/rtt_pcap.py "$RAW/lat.pcap" $A 64 20 100 "$RAW"

# --- 2. loss sweep -----------------------------------------------------------
for loss in $LOSSES; do
  progress "loss sweep: loss $loss %, delay $DELAY ms," \
    "KCP fast + KCP normal + TCP together, ${SWEEP_S} s"
  start_minimal tap0 $A 192.168.0.1 --loss "$loss" --delay $DELAY --seed 6 --profile fast
  PA=$MINIMAL_PID
  start_minimal tap1 $B 192.168.1.1 --loss "$loss" --delay $DELAY --seed 6 --profile normal
  PB=$MINIMAL_PID
  client "sweep_${loss}_kcp_fast" "$SWEEP_S" "${KCP[@]}" --profile fast --size 64 --interval 20 \
    --duration "$SWEEP_S" --conv 200 $A
  client "sweep_${loss}_tcp" "$SWEEP_S" "${KCP[@]}" --tcp --size 64 --interval 20 \
    --duration "$SWEEP_S" $A
  client "sweep_${loss}_kcp_normal" "$SWEEP_S" "${KCP[@]}" --profile normal --size 64 \
    --interval 20 --duration "$SWEEP_S" --conv 300 $B
  wait_clients
  stop_bg "$PA"
  stop_bg "$PB"
done

# --- 3. clean link: message rate and bulk throughput -------------------------
# UDP echo, the bare datagram path, gets its best setting: 64 datagrams in flight (128
# overflow a queue on the path and a lost datagram holds its slot until the
# timeout), and a 100 ms timeout (the clean link's RTT is about 1 ms).
# clean NAME CLIENT-ARGS...: one client alone against ./minimal, which also
# records ./minimal's CPU time meanwhile (is it the bottleneck?).
clean() {
  local name=$1 t0 t1; shift
  t0=$(cpu_ticks "$MINIMAL_PID")
  client "$name" "$CLEAN_S" "$@"
  wait_clients
  t1=$(cpu_ticks "$MINIMAL_PID")
  echo "$name $((t1 - t0))" >>"$RAW/clean_cpu.txt"
}
start_minimal tap0 $A 192.168.0.1 --profile fast
progress "clean link: 64-byte message rate, KCP (window 128)" \
  "then UDP echo (64 in flight), ${CLEAN_S} s each"
clean rate_kcp "${KCP[@]}" --profile fast --size 64 --duration "$CLEAN_S" --conv 400 $A
clean rate_udp "$U" --size 64 --window 64 --timeout 100 --duration "$CLEAN_S" $A 7
# Bulk runs alternate, BULK_ROUNDS times, so that a change in the load other
# processes put on the machine hits KCP, TCP and UDP alike.
for i in $(seq "$BULK_ROUNDS"); do
  progress "clean link: bulk throughput, round $i of $BULK_ROUNDS: KCP stream, TCP," \
    "UDP echo (1376-byte datagrams), ${BULK_S} s each"
  clean "bulk_kcp_$i" "${KCP[@]}" --profile fast --stream --size 16384 --duration "$BULK_S" \
    --conv $((500 + i)) $A
  clean "bulk_tcp_$i" "${KCP[@]}" --tcp --size 16384 --duration "$BULK_S" $A
  clean "bulk_udp_$i" "$U" --size 1376 --window 64 --timeout 100 --duration "$BULK_S" $A 7
done
stop_bg "$MINIMAL_PID"

# --- 4. idle sessions: memory and CPU ----------------------------------------
# The method of tests/tap_kcp_memory.sh: one session first (one-time
# allocations), then SESSIONS more, each echoed once and acked so it is idle.
progress "idle sessions: RSS and CPU of ./minimal with $SESSIONS idle KCP sessions"
start_minimal tap0 $A 192.168.0.1 --kcp-max $((SESSIONS + 1)) --kcp-idle 600
nsx timeout 20 python3 tests/tap_kcp_probe.py $A 8000 open 1 --conv 1 >/dev/null
rss0=$(rss_kb "$MINIMAL_PID")
c0=$(cpu_ticks "$MINIMAL_PID")
sleep "$IDLE_S"
c1=$(cpu_ticks "$MINIMAL_PID")
opened=0
nsx timeout 120 python3 tests/tap_kcp_probe.py $A 8000 open "$SESSIONS" --conv 1000 >/dev/null &&
  opened=1
# RSS right after the last echo, and after IDLE_S idle seconds (the binding
# may release an idle session's buffers after a while).
rss_open=$(rss_kb "$MINIMAL_PID")
sleep 1
c2=$(cpu_ticks "$MINIMAL_PID")
sleep "$IDLE_S"
c3=$(cpu_ticks "$MINIMAL_PID")
rss1=$(rss_kb "$MINIMAL_PID")
stop_bg "$MINIMAL_PID"
hz=$(getconf CLK_TCK)
json_bool() { if [ "$1" -eq 1 ]; then echo true; else echo false; fi; }
{
  printf '{"sessions":%d,"opened":%s,"idle_seconds":%d,"clk_tck":%d,' \
    "$SESSIONS" "$(json_bool $opened)" "$IDLE_S" "$hz"
  printf '"rss_before_kb":%d,"rss_opened_kb":%d,"rss_after_kb":%d,' "$rss0" "$rss_open" "$rss1"
  printf '"bytes_per_session_opened":%d,"bytes_per_session":%d,' \
    $(((rss_open - rss0) * 1024 / SESSIONS)) $(((rss1 - rss0) * 1024 / SESSIONS))
  printf '"cpu_ticks_no_sessions":%d,"cpu_ticks_idle_sessions":%d}\n' $((c1 - c0)) $((c3 - c2))
} >"$RAW/idle.json"

# What the report needs to know about this run and this machine.
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo | tr -d '"\\')
{
  printf '{"nproc":%d,"cpu":"%s","kernel":"%s","date":"%s",' \
    "$(nproc)" "${cpu:-unknown}" "$(uname -r)" "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf '"load_start":"%s","load_end":"%s",' "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '"latency_s":%d,"sweep_s":%d,"clean_s":%d,"bulk_s":%d,"bulk_rounds":%d,' \
    "$LATENCY_S" "$SWEEP_S" "$CLEAN_S" "$BULK_S" "$BULK_ROUNDS"
  printf '"losses":[%s],' "$(echo "$LOSSES" | tr -s ' ' ',')"
  printf '"tcp_echo_nagle":%s}\n' "$NAGLE"
} >"$RAW/machine.json"
progress "done in $(($(date +%s) - T0)) s; writing the report"
bench/report.sh
