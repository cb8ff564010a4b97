# robust.sh - shared by the tests/tap_robust_*.sh scripts, which source it
# alone (it sources netns.sh and tap_helpers.sh). ./minimal must run with
# --stats 0 and its stdout in $ROBUST_LOG; its pid is $MINIMAL_PID.
#
#   robust_init NAME PROG...  to the top of the tree; each PROG built, else one
#                             FAIL line and exit 1; then tap_init
#   robust_start NAME LOG ARGS...
#                             ./minimal --stats 0 ARGS answering on $S, its
#                             stdout in LOG (= $ROBUST_LOG); else FAIL, finish
#   stats_now                 SIGUSR1, wait for the fresh "kcpecho:" line
#   mstat PREFIX NAME         a counter of the newest line starting with PREFIX
#                             ("kcpecho:", "tcpecho:", "tap"): the word after NAME
#   rss_kb PID / hwm_kb PID   resident set now / its peak, in kB
#   tapdev FIELD              the namespace side of tap0: tx_packets, tx_dropped, ...
#   max_live PID              until PID ends (at most 120 s), the live KCP
#                             sessions every 0.3 s; the largest in $MAX_LIVE
#   jget KEY FILE             a number from kcp_client's one-line JSON report
#   json_line FILE            that report, for the log
#   child_pid                 the ./minimal that scripts/relaunch.sh (its log
#                             in $ROBUST_LOG) started last
#   ping_up / kcp_up          $S answers one ping / one KCP echo
#   robust_relaunch ARGS...   scripts/relaunch.sh ARGS in the namespace, its log
#                             in $ROBUST_LOG (set here), until ./minimal answers
#                             ping and KCP; sets RELAUNCH_PID and MINIMAL_PID

. "$(dirname "${BASH_SOURCE[0]}")/netns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/tap_helpers.sh"

# The server: ./minimal's address.
S=192.168.0.2
ROBUST_LOG=

robust_init() {
  local name=$1 prog
  shift
  cd "$(dirname "$0")/.." || exit 1
  for prog in "$@"; do
    [ -x "$prog" ] || { echo "FAIL: $name: $prog not built (make $prog)"; exit 1; }
  done
  tap_init
}

robust_start() {
  local name=$1
  ROBUST_LOG=$2
  shift 2
  start_minimal "$ROBUST_LOG" --stats 0 "$@" && return 0
  fail "$name: ./minimal $* answers on $S"
  netns_finish
}

# (the count is re-read on every poll: a predicate function, not "$(...)"
# arguments, which wait_for would evaluate only once)
ROBUST_BEFORE=0
robust_fresh() { [ "$(grep -c '^kcpecho:' "$ROBUST_LOG")" -gt "$ROBUST_BEFORE" ]; }
stats_now() {
  ROBUST_BEFORE=$(grep -c '^kcpecho:' "$ROBUST_LOG")
  kill -USR1 "$MINIMAL_PID" 2>/dev/null || return 1
  wait_for 5 robust_fresh
}

mstat() {
  grep "^$1" "$ROBUST_LOG" | tail -n 1 |
    awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { v = $(i + 1); gsub(/[^0-9]/, "", v); print v; exit } }'
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

tapdev() { nsx cat "/sys/class/net/tap0/statistics/$1"; }

MAX_LIVE=0
max_live() {
  local i live
  MAX_LIVE=0
  for ((i = 0; i < 400; i++)); do
    kill -0 "$1" 2>/dev/null || break
    stats_now || break
    live=$(mstat kcpecho: sessions)
    [ "${live:-0}" -gt "$MAX_LIVE" ] && MAX_LIVE=$live
    sleep 0.3
  done
}

jget() { grep -o "\"$1\":[0-9.]*" "$2" | head -n 1 | cut -d: -f2; }
json_line() { head -c 2000 "$1"; }

child_pid() { grep 'started .* (pid ' "$ROBUST_LOG" | tail -n 1 | sed 's/.*(pid \([0-9]*\)).*/\1/'; }
kcp_up() { echo up | nsx timeout 3 ./kcp_client --timeout 1 "$S" 2>/dev/null | grep -q up; }
ping_up() { nsx ping -c 1 -W 1 "$S" >/dev/null 2>&1; }
robust_relaunch() {
  ROBUST_LOG=$TAP_TMP/relaunch.log
  netns_bg scripts/relaunch.sh "$@" >"$ROBUST_LOG" 2>&1
  RELAUNCH_PID=$NETNS_LAST_PID
  wait_for 10 ping_up && wait_for 10 kcp_up || return 1
  MINIMAL_PID=$(child_pid)
}
