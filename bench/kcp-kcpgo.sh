#!/usr/bin/env bash
# kcp-kcpgo.sh - many unmodified kcp-go clients: ./minimal's KCP echo
# against kcp-go's own echo server on the kernel's UDP, with the same clients.
#
# Clients: tests/interop/bin/kcpgo_peer bench (Debian's kcp-go as it is,
# fast profile, window 128, mtu 1400, messages of 1..1300 bytes without
# pause, every echoed byte verified), 1 and then 100 sessions at once,
# KCPGO_SECONDS each (10), all in one private network namespace:
#  - ours: ./minimal with its defaults at 192.168.0.2:8000, behind the tap;
#  - kcp-go: kcpgo_peer server (the same kcp-go, fast profile, window 128)
#    on the namespace's own address 192.168.0.1, i.e. the kernel's UDP.
# Each run gets a fresh server. Printed and in bench/results/kcp-kcpgo.json:
# aggregate goodput, Jain's index and kcp-go's retransmissions per segment
# sent for each run, and the ratios the issue sets targets on: ours at 100
# sessions over ours at 1 (>= 0.8) and ours over kcp-go's server at 100
# sessions (>= 2).
# Needs root (network namespace). Exit 1 when a run fails to measure.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
. tests/lib/tap_helpers.sh
. tests/lib/robust.sh

OUT=bench/results
SECS=${KCPGO_SECONDS:-10}
KCPGO=tests/interop/bin/kcpgo_peer
mkdir -p "$OUT"
if ! make -s --no-print-directory "$KCPGO" >/dev/null 2>&1; then
  echo "kcp-kcpgo: $KCPGO does not build (golang-go, golang-github-xtaci-kcp-dev)"
  exit 1
fi
tap_init
rc=0

# start_goserver LOG: kcp-go's echo server on the kernel's UDP in the
# namespace; its port ends up in GOPORT, its pid in GOPID.
start_goserver() {
  netns_bg timeout $((SECS + 90)) "$KCPGO" server -host 192.168.0.1 -port 0 -profile fast \
    -timeout $((SECS + 60))s -quiet >"$1" 2>&1
  GOPID=$NETNS_LAST_PID
  GOPORT=
  wait_for 5 grep -q '^listening ' "$1" && GOPORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$1")
  [ -n "$GOPORT" ]
}

# run SERVER N: one run of N kcp-go clients against a fresh SERVER (ours or
# kcpgo); sets BPS (empty when it failed) and prints its row.
run() {
  local server=$1 n=$2 j=$TAP_TMP/$1-$2.json host port pid
  BPS=
  if [ "$server" = ours ]; then
    start_minimal "$TAP_TMP/minimal.log" --stats 0 || { echo "kcp-kcpgo: ./minimal does not answer"; return 1; }
    host=192.168.0.2 port=8000 pid=$MINIMAL_PID
  else
    start_goserver "$TAP_TMP/goserver.log" || { echo "kcp-kcpgo: kcp-go server does not start"; return 1; }
    host=192.168.0.1 port=$GOPORT pid=$GOPID
  fi
  nsx timeout $((SECS + 60)) "$KCPGO" bench -host $host -port "$port" -clients "$n" -profile fast \
    -sizes 1-1300 -duration "${SECS}s" -timeout $((SECS + 30))s >"$j" 2>"$TAP_TMP/err"
  stop_minimal "$pid" >/dev/null
  BPS=$(jget throughput_bps "$j")
  if [ -z "$BPS" ] || [ "$(jget failed "$j")" != 0 ]; then
    echo "kcp-kcpgo: $server, $n sessions: $(head -c 300 "$TAP_TMP/err")"
    [ -n "$BPS" ] || return 1
  fi
  awk -v s="$server" -v n="$n" -v b="$BPS" -v ja="$(jget jain "$j")" -v r="$(jget retrans "$j")" \
    -v o="$(jget out_segs "$j")" -v f="$(jget failed "$j")" \
    'BEGIN { printf "%-7s %6s %10.1f %6.3f %8.2f %6s\n", s, n, b / 1e6, ja, (o > 0 ? 100 * r / o : 0), f }'
  ROWS+=("$(awk -v s="$server" -v n="$n" -v b="$BPS" -v ja="$(jget jain "$j")" -v r="$(jget retrans "$j")" \
    -v o="$(jget out_segs "$j")" -v f="$(jget failed "$j")" \
    'BEGIN { printf "{\"server\":\"%s\",\"sessions\":%s,\"goodput_bps\":%.0f,\"jain\":%s,\"retrans\":%s,\"out_segs\":%s,\"failed\":%s}", s, n, b, ja, r, o, f }')")
}

ROWS=()
declare -A bps
printf '%-7s %6s %10s %6s %8s %6s\n' server sessions Mbit/s Jain retrans% failed
for server in ours kcpgo; do
  for n in 1 100; do
    if run "$server" "$n"; then bps[$server-$n]=$BPS; else rc=1; fi
  done
done
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "null"; else printf "%.3f", a / b }'; }
x1=$(ratio "${bps[ours-100]:-}" "${bps[ours-1]:-}")
vs=$(ratio "${bps[ours-100]:-}" "${bps[kcpgo-100]:-}")
gox1=$(ratio "${bps[kcpgo-100]:-}" "${bps[kcpgo-1]:-}")
printf 'ours, 100 kcp-go clients / 1: %sx (target >= 0.8); kcp-go server the same: %sx\n' "$x1" "$gox1"
printf 'ours / kcp-go server on kernel UDP, 100 clients: %sx (target >= 2)\n' "$vs"
{
  printf '{"seconds":%s,"runs":[' "$SECS"
  (IFS=,; printf '%s' "${ROWS[*]}")
  printf '],"ours_100_x1":%s,"kcpgo_100_x1":%s,"ours_vs_kcpgo_100":%s}\n' "$x1" "$gox1" "$vs"
} >"$OUT/kcp-kcpgo.json"
[ "$rc" -eq 0 ]
