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
# tests/interop/bin/tcpecho_peer, then the p99 RTT of 2000 small messages
# paced 2 ms apart (a stream, as a game or a call sends).
#
# CPU is user+system time of the server process, all its threads
# (proc_cpu_ns: ./minimal whole, or kcptun-server), over the iperf3
# run, per GB iperf3 received; each server's own kernel work (tap or socket
# writes, and the delivery of what it writes, which runs in its context) is
# its system time. Twice: each at its own top speed, and both paced by
# iperf3 to the same rate (below the slower one's top) so that both carry
# the same bytes in the same time: per-GB cost depends on the rate (fixed
# costs per second, batching), so only the paced row compares like with like.
# Before each run the server is let go idle (settle), so that it is not
# charged for draining what the run before left in the tunnel.
#
# Memory: resident set (VmRSS) of each server, with a held TCP target
# (192.168.0.1:5301): idle, then one kcptun-client session with 1 and with
# MEM_STREAMS idle streams (64 bytes each, from tests/lib/tcp_hold.py), then
# MEM_SESSIONS more sessions (a kcptun-client with --conn MEM_SESSIONS) of
# one stream each, then one more stream on each of those that carries
# MEM_BYTES random bytes to the target (buffers that only traffic fills, such
# as the snappy decoder's and FEC's, are resident from then on); the
# differences per stream and per session.
#
# Results: markdown tables on stdout and bench/results/kcptun-bench.json.
# Needs root.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh
tap_init

SECS=${KCPTUN_BENCH_SECONDS:-5}
PACED_SECS=$((2 * SECS))
MEM_STREAMS=${KCPTUN_BENCH_STREAMS:-100}
MEM_SESSIONS=${KCPTUN_BENCH_SESSIONS:-50}
MEM_BYTES=${KCPTUN_BENCH_BYTES:-262144}
OUT=bench/results
mkdir -p "$OUT"
NSHOST=192.168.0.1
HOST=192.168.0.2

netns_bg iperf3 -s -B "$NSHOST" -p 5201 >"$TAP_TMP/iperf3.log" 2>&1
wait_for 5 nsx bash -c "ss -ltn | grep -q ':5201 '"

# settle PID: wait (at most 10 s) until the server is idle, i.e. used at most
# 10 ms of CPU in half a second: after a top-speed run the tunnel still
# drains what its windows and buffers held when iperf3 stopped, and that
# work must not be charged to the paced run that follows.
settle() {
  local i t0
  for ((i = 0; i < 20; i++)); do
    t0=$(proc_cpu_ns "$1")
    sleep 0.5
    [ $(($(proc_cpu_ns "$1") - t0)) -le 10000000 ] && return
  done
}

# run PORT PID SECS [MBITS]: iperf3 through the kcptun-client on
# 127.0.0.1:PORT for SECS, paced to MBITS if given; prints "MBITS
# CPU_S_PER_GB".
run() {
  local port=$1 pid=$2 secs=$3 t0 t1 json mbits bytes
  t0=$(proc_cpu_ns "$pid")
  json=$(nsx timeout $((secs + 20)) iperf3 -c 127.0.0.1 -p "$port" -t "$secs" ${4:+-b "$4M"} -J 2>/dev/null)
  t1=$(proc_cpu_ns "$pid")
  read -r mbits bytes < <(python3 -c 'import json,sys
try:
  e = json.loads(sys.stdin.read())["end"]["sum_received"]
  print("%.1f %d" % (e["bits_per_second"] / 1e6, e["bytes"]))
except Exception:
  print("0 0")' <<<"$json")
  python3 -c "import sys; t=($t1-$t0)/1e9; b=$bytes; print('$mbits', '%.2f' % (t / (b / 1e9)) if b else 'nan')"
}

start_minimal "$TAP_TMP/minimal.log" --kcptun-listen 29900 --kcptun-target "$NSHOST:5201" ||
  { echo "kcptun-bench: ./minimal did not start"; netns_finish; }
netns_bg kcptun-server -l "$NSHOST:29901" -t "$NSHOST:5201" --quiet >"$TAP_TMP/ks.log" 2>&1
KS=$NETNS_LAST_PID
netns_bg kcptun-client -r "$HOST:29900" -l 127.0.0.1:7001 --quiet >"$TAP_TMP/kc1.log" 2>&1
netns_bg kcptun-client -r "$NSHOST:29901" -l 127.0.0.1:7002 --quiet >"$TAP_TMP/kc2.log" 2>&1
wait_for 5 nsx bash -c "ss -ltn | grep -q ':7002 '"
read -r ours_mbit ours_cpu < <(run 7001 "$MINIMAL_PID" "$SECS")
settle "$KS"
read -r ref_mbit ref_cpu < <(run 7002 "$KS" "$SECS")
pace=$(python3 -c "print(max(1, int(0.8 * min($ours_mbit, $ref_mbit))))")
settle "$MINIMAL_PID"
read -r ours_pmbit ours_pcpu < <(run 7001 "$MINIMAL_PID" "$PACED_SECS" "$pace")
settle "$KS"
read -r ref_pmbit ref_pcpu < <(run 7002 "$KS" "$PACED_SECS" "$pace")
stop_minimal >/dev/null
kill -TERM "$KS" 2>/dev/null
wait "$KS" 2>/dev/null

# Memory per session and per stream (see the header).
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
netns_bg python3 -c '
import selectors, socket
sel = selectors.DefaultSelector()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("192.168.0.1", 5301))
l.listen(1024)
sel.register(l, selectors.EVENT_READ)
while True:
    for k, _ in sel.select(1):
        if k.fileobj is l:
            sel.register(l.accept()[0], selectors.EVENT_READ)
        elif not k.fileobj.recv(4096):
            sel.unregister(k.fileobj)
            k.fileobj.close()
' >/dev/null 2>&1
TARGET=$NETNS_LAST_PID
wait_for 5 nsx bash -c "ss -ltn | grep -q ':5301 '"
# hold PORT N: N idle connections through the kcptun-client on PORT, held
# until the end; returns once they are open (and 1 s more to settle).
hold() {
  netns_bg python3 tests/lib/tcp_hold.py 127.0.0.1 "$1" --abandon "$2" --hold 120 >"$TAP_TMP/hold.$1.$2" 2>&1
  MEM_PIDS+=("$NETNS_LAST_PID")
  wait_for 30 grep -q '^holding' "$TAP_TMP/hold.$1.$2"
  sleep 1
}
# carry PORT N: N connections through the kcptun-client on PORT that each
# send MEM_BYTES random bytes and are then held; returns 3 s after the last
# byte was handed to the kernel, for it to reach the target.
carry() {
  netns_bg python3 -c '
import os, socket, sys, time
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]
data = os.urandom(size)
for s in socks:
    s.sendall(data)
print("holding", flush=True)
time.sleep(120)' "$1" "$2" "$MEM_BYTES" >"$TAP_TMP/carry.$1" 2>&1
  MEM_PIDS+=("$NETNS_LAST_PID")
  wait_for 60 grep -q '^holding' "$TAP_TMP/carry.$1"
  sleep 3
}
# memory PID ADDR PORT0: prints "IDLE_KB ONE_KB STREAMS_KB SESSIONS_KB
# CARRIED_KB" for the server PID listening at ADDR; kcptun-clients on PORT0
# and PORT0+1.
memory() {
  local pid=$1 addr=$2 p=$3 idle one many sess
  sleep 1
  idle=$(rss_kb "$pid")
  MEM_PIDS=()
  netns_bg kcptun-client -r "$addr" -l "127.0.0.1:$p" --quiet >/dev/null 2>&1
  MEM_PIDS+=("$NETNS_LAST_PID")
  netns_bg kcptun-client -r "$addr" -l "127.0.0.1:$((p + 1))" --conn "$MEM_SESSIONS" --quiet >/dev/null 2>&1
  MEM_PIDS+=("$NETNS_LAST_PID")
  wait_for 5 nsx bash -c "ss -ltn | grep -q ':$((p + 1)) '"
  hold "$p" 1
  one=$(rss_kb "$pid")
  hold "$p" $((MEM_STREAMS - 1))
  many=$(rss_kb "$pid")
  hold $((p + 1)) "$MEM_SESSIONS"
  sess=$(rss_kb "$pid")
  carry $((p + 1)) "$MEM_SESSIONS"
  echo "$idle $one $many $sess $(rss_kb "$pid")"
}
# mem_done: ends what memory() started.
mem_done() {
  local p
  for p in "${MEM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${MEM_PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
start_minimal "$TAP_TMP/minimal.mem.log" --kcptun-listen 29903 --kcptun-target "$NSHOST:5301" ||
  echo "kcptun-bench: ./minimal did not start"
memory "$MINIMAL_PID" "$HOST:29903" 7011 >"$TAP_TMP/mem.ours"
read -r om0 om1 omm oms omc <"$TAP_TMP/mem.ours"
kill -USR1 "$MINIMAL_PID"
sleep 0.5
om_counts=$(grep '^kcptun: sessions [0-9]' "$TAP_TMP/minimal.mem.log" | tail -n 1 |
  awk '{for (i = 2; i < NF; i++) { if ($i == "sessions") s = $(i + 1); if ($i == "streams") t = $(i + 1) } print s + 0, t + 0}')
stop_minimal >/dev/null
mem_done
netns_bg kcptun-server -l "$NSHOST:29904" -t "$NSHOST:5301" --quiet >/dev/null 2>&1
KS=$NETNS_LAST_PID
wait_for 5 nsx bash -c "ss -lun | grep -q ':29904 '"
memory "$KS" "$NSHOST:29904" 7021 >"$TAP_TMP/mem.ref"
read -r rm0 rm1 rmm rms rmc <"$TAP_TMP/mem.ref"
mem_done
kill -TERM "$KS" "$TARGET" 2>/dev/null
wait "$KS" "$TARGET" 2>/dev/null
per() { python3 -c "print('%.1f' % (($2 - $1) / $3))"; }
om_stream=$(per "$om1" "$omm" $((MEM_STREAMS - 1)))
rm_stream=$(per "$rm1" "$rmm" $((MEM_STREAMS - 1)))
om_sess=$(per "$omm" "$oms" "$MEM_SESSIONS")
rm_sess=$(per "$rmm" "$rms" "$MEM_SESSIONS")
om_carry=$(per "$omm" "$omc" "$MEM_SESSIONS")
rm_carry=$(per "$rmm" "$rmc" "$MEM_SESSIONS")

# retrans DS PS: 5 x 1 MB echoed through ./minimal (echo target) with 5 %
# loss, then 2000 small messages paced 2 ms apart; prints the KCP
# retransmissions, the datagrams FEC rebuilt, MB/s and the messages' p99 RTT.
retrans() {
  local log=$TAP_TMP/loss.$1 kc mbs
  # once more if it did not answer in time (a loaded machine)
  start_minimal "$log" --loss 5 --kcptun-listen 29902 --kcptun-target echo \
    --kcptun-ds "$1" --kcptun-ps "$2" ||
    { echo "kcptun-bench: ./minimal (FEC $1/$2) did not answer in time; once more" >&2
      stop_minimal >/dev/null; start_minimal "$log" --loss 5 --kcptun-listen 29902 \
      --kcptun-target echo --kcptun-ds "$1" --kcptun-ps "$2"; } || return
  netns_bg kcptun-client -r "$HOST:29902" -l 127.0.0.1:7003 --ds "$1" --ps "$2" --quiet >/dev/null 2>&1
  kc=$NETNS_LAST_PID
  wait_for 5 nsx bash -c "ss -ltn | grep -q ':7003 '"
  mbs=$(nsx timeout 60 tests/interop/bin/tcpecho_peer -addr 127.0.0.1:7003 -conns 5 -bytes 1048576 \
    -timeout 50s 2>/dev/null | sed -n 's/.*(\([0-9.]*\) MB\/s each way)$/\1/p')
  kill -USR1 "$MINIMAL_PID"
  sleep 0.5
  p99=$(nsx timeout 60 python3 - <<'PY'
import socket, threading, time
# A paced stream of small messages (one every 2 ms, not waiting for the
# echoes), as a game or a voice call sends: FEC groups fill within a few
# tens of ms, so parity can rebuild a lost message before a retransmission.
N, GAP, SIZE = 2000, 0.002, 64
s = socket.create_connection(("127.0.0.1", 7003), timeout=20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sent = [0.0] * N
rtts = []
def reader():
    buf = b""
    while len(rtts) < N:
        d = s.recv(65536)
        if not d:
            return
        buf += d
        now = time.monotonic()
        while len(buf) >= SIZE:
            i = int(buf[:SIZE - 1])
            buf = buf[SIZE:]
            rtts.append((now - sent[i]) * 1000)
r = threading.Thread(target=reader)
r.start()
t0 = time.monotonic()
for i in range(N):
    while time.monotonic() < t0 + i * GAP:
        time.sleep(0.0005)
    sent[i] = time.monotonic()
    s.sendall((b"%063d" % i) + b"\n")
r.join(30)
if len(rtts) < N:
    print("nan")
else:
    rtts.sort()
    print("%.1f" % rtts[int(N * 0.99) - 1])
PY
)
  { grep -E '^kcptun kcp: sessions [0-9]' "$log" | tail -n 1; grep -E '^kcptun codec: opened [0-9]' "$log" | tail -n 1; } |
    awk -v m="${mbs:-0}" -v p="${p99:-nan}" '{for (i = 2; i < NF; i++) { if ($i == "retrans") r = $(i + 1); if ($i == "fast_retrans") f = $(i + 1); if ($i == "recovered") v = $(i + 1) } } END { print r + f, v + 0, m, p }'
  stop_minimal >/dev/null
  kill -TERM "$kc" 2>/dev/null
  wait "$kc" 2>/dev/null
}
make -s --no-print-directory tests/interop/bin/tcpecho_peer >/dev/null 2>&1
read -r rt_fec rec_fec fec_mbit fec_p99 < <(retrans 10 3)
read -r rt_nofec _ nofec_mbit nofec_p99 < <(retrans 0 0)

ratio=$(python3 -c "print('%.2f' % ($ours_mbit / $ref_mbit) if $ref_mbit > 0 else 'nan')")
ratio2() { python3 -c "
try: print('%.2f' % ($1 / $2))
except Exception: print('nan')"; }
cpu_ratio=$(ratio2 "$ours_cpu" "$ref_cpu")
pcpu_ratio=$(ratio2 "$ours_pcpu" "$ref_pcpu")
cut=$(python3 -c "print('%.0f' % (100 * (1 - ${rt_fec:-0} / ${rt_nofec:-1})) if ${rt_nofec:-0} > 0 else 'nan')")
echo "| kcptun server (aes, fast, FEC 10/3), iperf3 $SECS s | ./minimal | kcptun-server | ratio | target |"
echo "| --- | ---: | ---: | ---: | --- |"
echo "| throughput (Mbit/s) | $ours_mbit | $ref_mbit | $ratio | >= 1.5 |"
echo "| CPU s per GB (server process), each at its top speed | $ours_cpu | $ref_cpu | $cpu_ratio | |"
echo "| both paced to $pace Mbit/s, $PACED_SECS s: Mbit/s carried | $ours_pmbit | $ref_pmbit | | |"
echo "| CPU s per GB (server process), paced | $ours_pcpu | $ref_pcpu | $pcpu_ratio | <= 0.5 |"
echo
echo "| memory (VmRSS, kB), TCP target | ./minimal | kcptun-server |"
echo "| --- | ---: | ---: |"
echo "| idle | $om0 | $rm0 |"
echo "| 1 session, 1 stream | $om1 | $rm1 |"
echo "| 1 session, $MEM_STREAMS streams | $omm | $rmm |"
echo "| + $MEM_SESSIONS sessions of 1 stream | $oms | $rms |"
echo "| per stream (kB) | $om_stream | $rm_stream |"
echo "| per session with its stream (kB) | $om_sess | $rm_sess |"
echo "| then one more stream each, $MEM_BYTES bytes carried | $omc | $rmc |"
echo "| per session with its 2 streams, after that (kB) | $om_carry | $rm_carry |"
echo "(./minimal counted at the end: sessions, streams: ${om_counts:-?})"
echo
echo "| ./minimal (echo target), 5 % loss each way, 5 x 1 MB | FEC 10/3 | FEC 0/0 | |"
echo "| --- | ---: | ---: | --- |"
echo "| echo rate (MB/s each way) | $fec_mbit | $nofec_mbit | |"
echo "| KCP retransmissions (bulk) | $rt_fec ($rec_fec recovered by FEC) | $rt_nofec | FEC cuts $cut % (target >= 80 %) |"
echo "| p99 RTT of 64-byte messages, 2000 paced 2 ms apart (ms) | $fec_p99 | $nofec_p99 | target: lower with FEC |"
printf '{"seconds":%s,"ours_mbit":%s,"kcptun_server_mbit":%s,"ours_cpu_s_per_gb":"%s","kcptun_server_cpu_s_per_gb":"%s","loss5_fec_retrans":%s,"loss5_nofec_retrans":%s,"loss5_fec_recovered":%s,"loss5_fec_mbs":%s,"loss5_nofec_mbs":%s,"loss5_fec_p99_ms":"%s","loss5_nofec_p99_ms":"%s","paced_mbit":%s,"paced_seconds":%s,"ours_paced_mbit":%s,"kcptun_server_paced_mbit":%s,"ours_paced_cpu_s_per_gb":"%s","kcptun_server_paced_cpu_s_per_gb":"%s","mem_streams":%s,"mem_sessions":%s,"mem_bytes":%s,"ours_rss_kb":[%s,%s,%s,%s,%s],"kcptun_server_rss_kb":[%s,%s,%s,%s,%s],"ours_kb_per_stream":"%s","kcptun_server_kb_per_stream":"%s","ours_kb_per_session":"%s","kcptun_server_kb_per_session":"%s","ours_kb_per_session_carried":"%s","kcptun_server_kb_per_session_carried":"%s"}\n' \
  "$SECS" "${ours_mbit:-0}" "${ref_mbit:-0}" "$ours_cpu" "$ref_cpu" "${rt_fec:-0}" "${rt_nofec:-0}" "${rec_fec:-0}" "${fec_mbit:-0}" "${nofec_mbit:-0}" "${fec_p99:-nan}" "${nofec_p99:-nan}" \
  "$pace" "$PACED_SECS" "${ours_pmbit:-0}" "${ref_pmbit:-0}" "$ours_pcpu" "$ref_pcpu" "$MEM_STREAMS" "$MEM_SESSIONS" "$MEM_BYTES" \
  "${om0:-0}" "${om1:-0}" "${omm:-0}" "${oms:-0}" "${omc:-0}" \
  "${rm0:-0}" "${rm1:-0}" "${rmm:-0}" "${rms:-0}" "${rmc:-0}" \
  "$om_stream" "$rm_stream" "$om_sess" "$rm_sess" "$om_carry" "$rm_carry" \
  >"$OUT/kcptun-bench.json"
netns_finish
