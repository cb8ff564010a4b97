#!/usr/bin/env bash
# kcptun-bench.sh - iperf3 through kcptun, ./minimal's server role side by
# side with Debian's real kcptun-server, in one private network namespace
# and one run: the same kcptun-client settings (kcptun's defaults: aes,
# mode fast, FEC 10/3, compression, smux 1), the same iperf3 server
# (192.168.0.1:5201) behind both. Then ./minimal's server role with 5 %
# loss each way (its link emulation; the real kcptun-server has none, so
# that part compares FEC 10/3 with FEC 0/0 on ours only): KCP
# retransmissions with and without FEC, with the in-process echo as the
# target (a TCP target would sit behind the same lossy tap, and lwIP's TCP
# at 5 % loss, not the tunnel, would set the pace), 5 streams of 1 MB from
# tests/interop/bin/tcpecho_peer, then the p99 RTT of 300 small messages
# one at a time.
#
# Results: a markdown table on stdout and bench/results/kcptun-bench.json.
# CPU is user+system time of the server process (./minimal whole, or
# kcptun-server) over the iperf3 run, per GB carried. Needs root.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh
tap_init

SECS=${KCPTUN_BENCH_SECONDS:-5}
OUT=bench/results
mkdir -p "$OUT"
NSHOST=192.168.0.1
HOST=192.168.0.2

netns_bg iperf3 -s -B "$NSHOST" -p 5201 >"$TAP_TMP/iperf3.log" 2>&1
wait_for 5 nsx bash -c "ss -ltn | grep -q ':5201 '"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run PORT PID: iperf3 through the kcptun-client on 127.0.0.1:PORT for SECS;
# prints "MBITS CPU_S_PER_GB".
run() {
  local port=$1 pid=$2 t0 t1 json mbits bytes
  t0=$(cpu_ticks "$pid")
  json=$(nsx timeout $((SECS + 20)) iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" -J 2>/dev/null)
  t1=$(cpu_ticks "$pid")
  read -r mbits bytes < <(python3 -c 'import json,sys
try:
  e = json.loads(sys.stdin.read())["end"]["sum_received"]
  print("%.1f %d" % (e["bits_per_second"] / 1e6, e["bytes"]))
except Exception:
  print("0 0")' <<<"$json")
  python3 -c "import sys; t=($t1-$t0)/$(getconf CLK_TCK); b=$bytes; print('$mbits', '%.2f' % (t / (b / 1e9)) if b else 'nan')"
}

start_minimal "$TAP_TMP/minimal.log" --kcptun-listen 29900 --kcptun-target "$NSHOST:5201" ||
  { echo "kcptun-bench: ./minimal did not start"; netns_finish; }
netns_bg kcptun-server -l "$NSHOST:29901" -t "$NSHOST:5201" --quiet >"$TAP_TMP/ks.log" 2>&1
KS=$NETNS_LAST_PID
netns_bg kcptun-client -r "$HOST:29900" -l 127.0.0.1:7001 --quiet >"$TAP_TMP/kc1.log" 2>&1
netns_bg kcptun-client -r "$NSHOST:29901" -l 127.0.0.1:7002 --quiet >"$TAP_TMP/kc2.log" 2>&1
wait_for 5 nsx bash -c "ss -ltn | grep -q ':7002 '"
read -r ours_mbit ours_cpu < <(run 7001 "$MINIMAL_PID")
read -r ref_mbit ref_cpu < <(run 7002 "$KS")
stop_minimal >/dev/null

# retrans DS PS: 5 x 1 MB echoed through ./minimal (echo target) with 5 %
# loss, then 300 small messages one at a time; prints the KCP
# retransmissions, the datagrams FEC rebuilt, MB/s and the messages' p99 RTT.
retrans() {
  local log=$TAP_TMP/loss.$1 kc mbs
  start_minimal "$log" --loss 5 --kcptun-listen 29902 --kcptun-target echo \
    --kcptun-ds "$1" --kcptun-ps "$2" || return
  netns_bg kcptun-client -r "$HOST:29902" -l 127.0.0.1:7003 --ds "$1" --ps "$2" --quiet >/dev/null 2>&1
  kc=$NETNS_LAST_PID
  wait_for 5 nsx bash -c "ss -ltn | grep -q ':7003 '"
  mbs=$(nsx timeout 60 tests/interop/bin/tcpecho_peer -addr 127.0.0.1:7003 -conns 5 -bytes 1048576 \
    -timeout 50s 2>/dev/null | sed -n 's/.*(\([0-9.]*\) MB\/s each way)$/\1/p')
  kill -USR1 "$MINIMAL_PID"
  sleep 0.5
  p99=$(nsx timeout 60 python3 - <<'PY'
import socket, time
s = socket.create_connection(("127.0.0.1", 7003), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
rtts = []
for i in range(300):
    msg = (b"%063d" % i) + b"\n"
    t = time.monotonic()
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        got += s.recv(len(msg) - len(got))
    rtts.append((time.monotonic() - t) * 1000)
    time.sleep(0.005)
rtts.sort()
print("%.1f" % rtts[int(len(rtts) * 0.99) - 1])
PY
)
  grep '^kcptun: kcp_sessions' "$log" | tail -n 1 |
    awk -v m="${mbs:-0}" -v p="${p99:-nan}" '{for (i = 2; i < NF; i++) { if ($i == "retrans") r = $(i + 1); if ($i == "fast_retrans") f = $(i + 1); if ($i == "fec_recovered") v = $(i + 1) } print r + f, v + 0, m, p}'
  stop_minimal >/dev/null
  kill -TERM "$kc" 2>/dev/null
  wait "$kc" 2>/dev/null
}
make -s --no-print-directory tests/interop/bin/tcpecho_peer >/dev/null 2>&1
read -r rt_fec rec_fec fec_mbit fec_p99 < <(retrans 10 3)
read -r rt_nofec _ nofec_mbit nofec_p99 < <(retrans 0 0)

ratio=$(python3 -c "print('%.2f' % ($ours_mbit / $ref_mbit) if $ref_mbit > 0 else 'nan')")
cpu_ratio=$(python3 -c "
try: print('%.2f' % ($ours_cpu / $ref_cpu))
except Exception: print('nan')")
cut=$(python3 -c "print('%.0f' % (100 * (1 - ${rt_fec:-0} / ${rt_nofec:-1})) if ${rt_nofec:-0} > 0 else 'nan')")
echo "| kcptun server (aes, fast, FEC 10/3), iperf3 $SECS s | ./minimal | kcptun-server | ratio | target |"
echo "| --- | ---: | ---: | ---: | --- |"
echo "| throughput (Mbit/s) | $ours_mbit | $ref_mbit | $ratio | >= 1.5 |"
echo "| CPU s per GB (server process) | $ours_cpu | $ref_cpu | $cpu_ratio | <= 0.5 |"
echo
echo "| ./minimal (echo target), 5 % loss each way, 5 x 1 MB | FEC 10/3 | FEC 0/0 | |"
echo "| --- | ---: | ---: | --- |"
echo "| echo rate (MB/s each way) | $fec_mbit | $nofec_mbit | |"
echo "| KCP retransmissions (bulk) | $rt_fec ($rec_fec recovered by FEC) | $rt_nofec | FEC cuts $cut % (target >= 80 %) |"
echo "| p99 RTT of 64-byte messages, 300 (ms) | $fec_p99 | $nofec_p99 | target: lower with FEC |"
printf '{"seconds":%s,"ours_mbit":%s,"kcptun_server_mbit":%s,"ours_cpu_s_per_gb":"%s","kcptun_server_cpu_s_per_gb":"%s","loss5_fec_retrans":%s,"loss5_nofec_retrans":%s,"loss5_fec_recovered":%s,"loss5_fec_mbs":%s,"loss5_nofec_mbs":%s,"loss5_fec_p99_ms":"%s","loss5_nofec_p99_ms":"%s"}\n' \
  "$SECS" "${ours_mbit:-0}" "${ref_mbit:-0}" "$ours_cpu" "$ref_cpu" "${rt_fec:-0}" "${rt_nofec:-0}" "${rec_fec:-0}" "${fec_mbit:-0}" "${nofec_mbit:-0}" "${fec_p99:-nan}" "${nofec_p99:-nan}" \
  >"$OUT/kcptun-bench.json"
netns_finish
