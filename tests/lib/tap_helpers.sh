# tap_helpers.sh - shared by the tests/tap_*.sh scripts; source after netns.sh.
# shellcheck shell=bash
#
#   tap_init                      namespace + scratch dir ($TAP_TMP), both removed on exit
#   start_minimal LOG ARGS...     ./minimal ARGS in the namespace, waits until it answers ping
#                                 (each ping waits $PING_WAIT s, default 1)
#   stop_minimal [PID]            SIGTERM, wait (bounded); returns its exit status
#   proc_cpu_ns PID               CPU time of the process's threads, in ns
#   udp_ok                        one UDP echo round trip succeeds
#   probe MODE ARGS...            tests/lib/echo_probe.py inside the namespace

PROBE=(python3 tests/lib/echo_probe.py)
TAP_TMP=
MINIMAL_PID=

tap_init() {
  cd "$(dirname "$0")/.." || exit 1
  [ -x ./minimal ] || { echo "FAIL: $(basename "$0"): ./minimal not built (make minimal)"; exit 1; }
  netns_up
  TAP_TMP=$(mktemp -d)
  trap 'netns_cleanup; rm -rf "$TAP_TMP"' EXIT
  ulimit -c 0
}

# proc_alive PID: running, not a zombie waiting to be reaped.
proc_alive() {
  local st
  st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# proc_cpu_ns PID: the CPU time (user and system) of every live thread of
# PID, in nanoseconds (/proc/PID/task/*/schedstat). /proc/PID/stat counts
# in clock ticks (10 ms), too coarse for a server that runs a few hundred
# ms in a run; a thread that ended is no longer counted (the servers
# measured keep theirs).
proc_cpu_ns() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

start_minimal() {
  local log=$1
  shift
  netns_bg ./minimal "$@" >"$log" 2>&1
  MINIMAL_PID=$NETNS_LAST_PID
  wait_for 10 grep -q '^minimal: KCP echo on' "$log" && wait_for 10 nsx ping -c1 -W"${PING_WAIT:-1}" 192.168.0.2
}

stop_minimal() {
  local pid=${1:-$MINIMAL_PID} i
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do proc_alive "$pid" || break; sleep 0.1; done
  proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid"
}

# start_valgrind_minimal LOG ARGS...: ./minimal under memcheck, until it
# serves. Definite leaks count as errors; lwIP has no tcpip_deinit(), so its
# core thread's own memory is only "possibly lost" at exit.
start_valgrind_minimal() {
  local log=$1
  shift
  netns_bg valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite ./minimal "$@" >"$log" 2>&1
  MINIMAL_PID=$NETNS_LAST_PID
  wait_for 30 grep -q '^minimal: KCP echo on' "$log" && wait_for 10 nsx ping -c1 -W2 192.168.0.2
}

# valgrind_verdict LOG RC: stop_minimal's status RC and memcheck's report.
valgrind_verdict() {
  grep -E '^==[0-9]+== (ERROR SUMMARY|.*definitely lost|Invalid|Conditional|Syscall param|Mismatched)' "$1" | head -n 20
  check "valgrind: exit 0 and 0 errors" \
    bash -c "[ $2 -eq 0 ] && grep -qE '^==[0-9]+== ERROR SUMMARY: 0 errors' '$1'"
  check "valgrind: 0 bytes definitely lost" bash -c "! grep -qE 'definitely lost: [1-9]' '$1'"
}

probe() { nsx timeout 60 "${PROBE[@]}" "$@"; }

udp_ok() { probe udp-exact --sizes 32 --tries 1 --timeout 0.3 >/dev/null 2>&1; }
