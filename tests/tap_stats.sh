#!/usr/bin/env bash
# tap_stats.sh - ./minimal's counter reports:
#   --stats 1: one compact line per second, with the UTC time and the rates
#     since the last (no per-module lines until SIGUSR1 or exit)
#   SIGUSR1 and exit: a line per module, every counter named in lower case
#     words joined by '_' ("bytes_in", "send_err"), as the JSON keys are
#   --stats-json: every report one JSON object per line, with the rates and
#     every counter, the rates matching the traffic sent
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/minimal.log

t0=$SECONDS
start_minimal "$LOG" --stats 1 || fail "minimal starts with --stats 1"
probe udp-rtt --count 200 --interval 0.005 >/dev/null || fail "UDP echo load"
sleep 2.2
lines=$(grep -c '^stats ' "$LOG")
secs=$((SECONDS - t0))
check "--stats 1: a line per second ($lines in about $secs s)" [ "$lines" -ge 2 -a "$lines" -le $((secs + 1)) ]
check "each line: 'stats' UTC-time seconds, tap, icmp, udp, tcp, kcp, under 200 characters" \
  bash -c "grep '^stats ' '$LOG' | while read -r l; do
             grep -qE '^stats [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z [0-9.]+ s: tap in [0-9]+/s [0-9.]+ Mbit/s, out .* \\| icmp .* \\| udp [0-9]+/s \\| tcp [0-9]+ active .* \\| kcp [0-9]+ sessions .* retrans/s \\| dropped [0-9]+\$' <<<\"\$l\" &&
             [ \${#l} -lt 200 ] || { echo \"bad: \$l\"; exit 1; }; done"
check "a line shows the UDP echo rate (> 50/s)" \
  bash -c "grep '^stats ' '$LOG' | grep -qE '\\| udp ([5-9][0-9]|[1-9][0-9]{2,})/s'"
check "no per-module lines before SIGUSR1" bash -c "! grep -q '^kcpecho:' '$LOG'"
kill -USR1 "$MINIMAL_PID"
wait_for 5 grep -q '^kcpecho:' "$LOG" || fail "SIGUSR1 prints the counters"
check "SIGUSR1: tap, link, icmp, udpecho, tcpecho, kcpecho lines" \
  bash -c "for p in 'tap tap0' 'link tap0 in' 'link tap0 out' icmp udpecho tcpecho kcpecho; do
             grep -q \"^\$p: [a-z]\" '$LOG' || exit 1; done"
check "one naming: every counter name is lower case words joined by '_'" \
  bash -c "grep -E '^(tap|link|icmp|udpecho|tcpecho|kcpecho)[ a-z0-9]*:' '$LOG' | cut -d: -f2- |
           awk '{ for (i = 1; i < NF; i += 2) if (\$i !~ /^[a-z]+(_[a-z]+)*\$/ || \$(i+1) !~ /^[0-9]+\$/) exit 1 }'"
stop_minimal >/dev/null || fail "clean stop"
[ "$TEST_FAILED" = 0 ] || { echo "its log:"; tail -n 30 "$LOG"; }

LOG=$TAP_TMP/minimal-json.log
start_minimal "$LOG" --stats 1 --stats-json || fail "minimal starts with --stats-json"
probe udp-rtt --count 300 --interval 0.005 >/dev/null || fail "UDP echo load"
sleep 2.2
kill -USR1 "$MINIMAL_PID"
sleep 0.3
stop_minimal >/dev/null || fail "clean stop"
grep '^{' "$LOG" >"$TAP_TMP/json"
check "--stats-json: no 'stats' lines, no per-module lines" bash -c "! grep -qE '^(stats |kcpecho:|tap )' '$LOG'"
check "--stats-json: every report (periodic, SIGUSR1, exit) one JSON object on one line" \
  python3 - "$TAP_TMP/json" <<'PY'
import json, re, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
# at least two periodic reports (2.2 s after the load), SIGUSR1's, exit's
assert len(objs) >= 4, [o["interval_s"] for o in objs]
for o in objs:
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", o["time"]), o["time"]
    assert o["interval_s"] >= 0, o["interval_s"]
    for k in ("tap_in_fps", "tap_out_mbps", "udp_rps", "tcp_mbps", "kcp_mbps", "kcp_retrans_ps"):
        assert k in o["rates"], k
    c = o["counters"]
    for g in ("tap_tap0", "link_tap0_in", "link_tap0_out", "icmp", "udpecho", "tcpecho", "kcpecho"):
        assert g in c, g
    for g in c.values():
        for k, v in g.items():
            assert re.match(r"^[a-z]+(_[a-z]+)*$", k) and isinstance(v, int), (k, v)
assert all(o["interval_s"] > 0.5 for o in objs[:-2]), [o["interval_s"] for o in objs]
assert max(o["rates"]["udp_rps"] for o in objs) > 50, [o["rates"]["udp_rps"] for o in objs]
assert objs[-1]["counters"]["udpecho"]["requests"] >= 300
PY
[ "$TEST_FAILED" = 0 ] || { echo "its log:"; cut -c1-300 "$LOG" | tail -n 10; }
netns_finish
