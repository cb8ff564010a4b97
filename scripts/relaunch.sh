#!/usr/bin/env bash
# relaunch.sh - keep ./minimal running while crash testing.
#
#   scripts/relaunch.sh [options] [-- minimal args...]
#
#   --bin PATH         program to supervise (default: minimal beside this
#                      script, as installed, else ./minimal above scripts/)
#   --max-restarts N   give up after N restarts within the window (1..1000, default 10)
#   --window SEC       that window, in seconds (1..86400, default 60)
#   --stable SEC       a run this long resets the back-off (0..86400, default 10)
#   -h, --help         this text
#
# The child is restarted when it dies from a signal or exits non-zero,
# after a back-off of 0.2 s that doubles up to 5 s. Exit status 2 (bad
# option) is not retried: the same arguments would fail the same way.
# Every exit is logged to stderr with the time and the cause.
#
# SIGTERM, SIGINT or SIGHUP to this script stops it however it was started
# (a background job of a non-interactive shell, which starts with SIGINT
# ignored, included; under nohup SIGHUP stays ignored): the child gets
# SIGTERM (SIGINT for SIGINT), the script waits for it and exits with its
# status, 0 after ./minimal's clean stop, without restarting; during a
# back-off it exits with the failed child's status. Giving up exits 1. So
# a non-zero status always means the child failed. Works under
# `ip netns exec`: it needs nothing but bash and env.

set -u

# Signals ignored when bash starts cannot be trapped: start again with
# SIGINT and SIGTERM at their defaults (once; env resets them and execs us
# in place). An ignored SIGHUP stays ignored: that is what nohup asks for.
sig_ignored() {
  local mask
  mask=$(awk '/^SigIgn:/ { print $2 }' /proc/$$/status 2>/dev/null) || return 1
  [ -n "$mask" ] && (( (16#$mask >> ($1 - 1)) & 1 ))
}
if [ -z "${RELAUNCH_SIGNALS_RESET:-}" ] && { sig_ignored 2 || sig_ignored 15; }; then
  RELAUNCH_SIGNALS_RESET=1 exec env --default-signal=INT,TERM bash "$0" "$@"
fi
unset RELAUNCH_SIGNALS_RESET

usage() { sed -n '2,25s/^# \{0,1\}//p' "$0"; }
# bad MESSAGE: one line saying what is wrong, one saying where help is; exit 2.
bad() { echo "relaunch: $*" >&2; echo "relaunch: see relaunch.sh --help" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/minimal" ]; then
  bin=$here/minimal
else
  bin="$(cd "$here/.." && pwd)/minimal"
fi
max_restarts=10
window=60
stable=10

# num OPTION VALUE MIN MAX: VALUE, checked to be a whole number in MIN..MAX.
num() {
  [[ $2 =~ ^[0-9]{1,6}$ ]] && (( 10#$2 >= $3 && 10#$2 <= $4 )) ||
    bad "invalid $1 '$2': expected a whole number $3..$4"
  echo $((10#$2))
}

while [ $# -gt 0 ]; do
  case "$1" in
    --bin|--max-restarts|--window|--stable)
      [ $# -ge 2 ] || bad "option $1 needs a value"
      case "$1" in
        --bin) bin=$2 ;;
        --max-restarts) max_restarts=$(num "$1" "$2" 1 1000) || exit 2 ;;
        --window) window=$(num "$1" "$2" 1 86400) || exit 2 ;;
        --stable) stable=$(num "$1" "$2" 0 86400) || exit 2 ;;
      esac
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) bad "unknown option '$1'" ;;
  esac
done
[ -f "$bin" ] && [ -x "$bin" ] || bad "$bin is not an executable file (make minimal?)"

log() { echo "relaunch: $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $*" >&2; }

# Milliseconds since the epoch, from bash itself (no fork).
now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#${t:0:${#t}-3})); }

child=
sleeper=
stop_sig=
interrupted=0

# on_signal SIG: stop. The child gets SIGINT for SIGINT and SIGTERM
# otherwise (SIGHUP would kill ./minimal without its clean stop).
on_signal() {
  local pass=TERM

  [ "$1" = INT ] && pass=INT
  stop_sig=$1
  interrupted=1
  if [ -n "$child" ]; then
    log "got SIG$1, passing SIG$pass to pid $child"
    kill -s "$pass" "$child" 2>/dev/null
  fi
  [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap 'on_signal HUP' HUP

# describe STATUS: the cause of an exit as bash reports it.
describe() {
  if [ "$1" -gt 128 ]; then
    echo "killed by SIG$(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128)))"
  else
    echo "exited with status $1"
  fi
}

backoff_ms=200
restarts=()   # start times (ms) of recent restarts

while :; do
  started=$(now_ms)
  # env: a background job of bash starts with SIGINT and SIGQUIT ignored;
  # the child gets them back at their defaults.
  env --default-signal=INT,QUIT "$bin" "$@" &
  child=$!
  log "started $bin (pid $child)"
  # A trapped signal makes wait return >128 without consuming the child's
  # status, so wait again; 127 then means that status was the child's own.
  # wait's stderr is dropped: bash would add its own "Segmentation fault"
  # line to ours.
  wait "$child" 2>/dev/null
  status=$?
  while [ "$status" -gt 128 ] && [ "$interrupted" -eq 1 ]; do
    interrupted=0
    wait "$child" 2>/dev/null
    rc=$?
    [ "$rc" -eq 127 ] && break
    status=$rc
  done
  ran_ms=$(($(now_ms) - started))
  log "pid $child $(describe "$status") after $((ran_ms / 1000)).$(printf %03d $((ran_ms % 1000))) s"
  child=

  if [ -n "$stop_sig" ]; then
    log "stopping on SIG$stop_sig, no restart"
    exit "$status"
  fi
  if [ "$status" -eq 0 ]; then
    log "clean exit, no restart"
    exit 0
  fi
  if [ "$status" -eq 2 ]; then
    log "usage error, no restart"
    exit 2
  fi

  now=$(now_ms)
  [ "$ran_ms" -ge $((stable * 1000)) ] && backoff_ms=200
  recent=()
  for t in "${restarts[@]}"; do
    [ $((now - t)) -lt $((window * 1000)) ] && recent+=("$t")
  done
  restarts=("${recent[@]}")
  if [ "${#restarts[@]}" -ge "$max_restarts" ]; then
    log "giving up: $max_restarts restarts within ${window} s"
    exit 1
  fi
  restarts+=("$now")

  log "restart ${#restarts[@]} in $((backoff_ms / 1000)).$(printf %03d $((backoff_ms % 1000))) s"
  sleep "$((backoff_ms / 1000)).$(printf %03d $((backoff_ms % 1000)))" &
  sleeper=$!
  wait "$sleeper" 2>/dev/null
  sleeper=
  if [ -n "$stop_sig" ]; then
    log "stopping on SIG$stop_sig during back-off; the last child had failed"
    exit "$status"
  fi
  backoff_ms=$((backoff_ms * 2))
  [ "$backoff_ms" -gt 5000 ] && backoff_ms=5000
done
