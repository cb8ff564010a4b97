#!/usr/bin/env bash
# relaunch.sh - keep ./minimal running while crash testing.
#
#   scripts/relaunch.sh [options] [-- minimal args...]
#
#   --bin PATH         program to supervise (default: ./minimal next to scripts/)
#   --max-restarts N   give up after N restarts within the window (default 10)
#   --window SEC       that window, in seconds (default 60)
#   --stable SEC       a run this long resets the back-off (default 10)
#   -h, --help         this text
#
# The child is restarted when it dies from a signal or exits non-zero,
# after a back-off of 0.2 s that doubles up to 5 s. Exit status 2 (bad
# option) is not retried: the same arguments would fail the same way.
# Every exit is logged to stderr with the time and the cause. SIGTERM or
# SIGINT to this script is passed on to the child; the script then waits for
# it and exits with the child's status (0 after ./minimal's clean stop)
# without restarting. Works under `ip netns exec`: it needs nothing but bash.

set -u

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; }

here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../minimal"
max_restarts=10
window=60
stable=10

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --max-restarts) max_restarts=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --window) window=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --stable) stable=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) echo "relaunch: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for v in "$max_restarts" "$window" "$stable"; do
  is_uint "$v" || { echo "relaunch: '$v' is not a whole number" >&2; usage >&2; exit 2; }
done
[ -x "$bin" ] || { echo "relaunch: $bin is not executable (run make minimal?)" >&2; exit 2; }

log() { echo "relaunch: $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $*" >&2; }

# Milliseconds since the epoch, from bash itself (no fork).
now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#${t:0:${#t}-3})); }

child=
sleeper=
stop_sig=
interrupted=0

on_signal() {
  stop_sig=$1
  interrupted=1
  if [ -n "$child" ]; then
    log "got SIG$1, passing it to pid $child"
    kill -s "$1" "$child" 2>/dev/null
  fi
  [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

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
  "$bin" "$@" &
  child=$!
  log "started $bin (pid $child)"
  # A trapped signal makes wait return >128 without consuming the child's
  # status, so wait again; 127 then means that status was the child's own.
  wait "$child"
  status=$?
  while [ "$status" -gt 128 ] && [ "$interrupted" -eq 1 ]; do
    interrupted=0
    wait "$child"
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
    log "stopping on SIG$stop_sig during back-off"
    exit 0
  fi
  backoff_ms=$((backoff_ms * 2))
  [ "$backoff_ms" -gt 5000 ] && backoff_ms=5000
done
