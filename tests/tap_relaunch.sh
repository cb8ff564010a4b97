#!/usr/bin/env bash
# tap_relaunch.sh - scripts/relaunch.sh under `ip netns exec`, started as a
# background job of this non-interactive shell (so with SIGINT ignored): a
# child killed with SIGSEGV is back (UDP echo answers) within 2 s, the crash
# is logged (without bash's own "Segmentation fault" line or a "/../" path),
# SIGTERM, SIGINT and SIGHUP each end both with the child's clean stop
# (SIGHUP stays ignored under nohup), SIGTERM during a back-off exits
# non-zero, repeated failures make it give up, a usage error is not
# retried, and bad option values exit 2.
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init
LOG=$TAP_TMP/relaunch.log

# child_pid: pid of the ./minimal relaunch.sh started last
child_pid() { sed -nE 's/.*started .* \(pid ([0-9]+)\)$/\1/p' "$LOG" | tail -n1; }

netns_bg scripts/relaunch.sh --stable 5 -- --stats 0 >"$LOG" 2>&1
SUP=$NETNS_LAST_PID
check "relaunch.sh starts ./minimal, UDP echo answers" wait_for 10 udp_ok
first=$(child_pid)

kill -SEGV "$first"
t0=$(date +%s%N)
back=0
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2000 ]; do
  if udp_ok; then back=1; break; fi
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "UDP echo back ${ms} ms after SIGSEGV"
check "after kill -SEGV: UDP echo answers again within 2 s" [ "$back" -eq 1 ]
check "the crash is logged with time and cause" \
  grep -qE "^relaunch: [0-9T:.-]+Z pid $first killed by SIGSEGV" "$LOG"
second=$(child_pid)
check "a new child was started" bash -c "[ -n '$second' ] && [ '$second' != '$first' ]"

kill -TERM "$SUP"
for ((i = 0; i < 50; i++)); do proc_alive "$SUP" || break; sleep 0.1; done
wait "$SUP"
rc=$?
check "SIGTERM to relaunch.sh ends it (exit $rc) and its child, no restart" \
  bash -c "! kill -0 $second 2>/dev/null && [ $rc -eq 0 ] && grep -q 'no restart' '$LOG'"
check "the child stopped cleanly (printed its counters)" grep -q '^minimal: stopping on' "$LOG"
check "no bash 'Segmentation fault' line, no '/../' path in the log" \
  bash -c "! grep -q 'Segmentation fault' '$LOG' && ! grep -q '/\.\./' '$LOG'"

# stop_by SIG: relaunch.sh in the background, then SIG to it: it and its
# child end, the child with its clean stop, relaunch.sh with status 0.
stop_by() {
  local sup kid rc i
  netns_bg scripts/relaunch.sh -- --stats 0 >"$LOG" 2>&1
  sup=$NETNS_LAST_PID
  if ! wait_for 10 udp_ok; then fail "SIG$1: ./minimal under relaunch.sh answers"; return; fi
  kid=$(child_pid)
  kill -s "$1" "$sup"
  for ((i = 0; i < 50; i++)); do proc_alive "$sup" || break; sleep 0.1; done
  proc_alive "$sup" && kill -KILL "$sup"
  wait "$sup"
  rc=$?
  check "SIG$1 to relaunch.sh (background job, SIGINT ignored at start) ends it (exit $rc) and its child cleanly" \
    bash -c "! kill -0 $kid 2>/dev/null && [ $rc -eq 0 ] && grep -q '^minimal: stopping on' '$LOG' &&
             grep -q 'stopping on SIG$1, no restart' '$LOG'"
}
stop_by INT
stop_by HUP

# Under nohup SIGHUP stays ignored (a child that needs no tap will do).
nohup scripts/relaunch.sh --bin /bin/sleep -- 30 >/dev/null 2>"$LOG" &
SUP=$!
wait_for 5 grep -q 'started /bin/sleep' "$LOG"
kill -HUP "$SUP"
sleep 0.3
check "under nohup, SIGHUP is ignored (relaunch.sh still running)" proc_alive "$SUP"
kill -TERM "$SUP"
wait "$SUP"

# SIGTERM while it waits to restart a failed child: a non-zero exit. The
# fourth back-off (1.6 s) is long enough to hit on a loaded machine.
netns_bg scripts/relaunch.sh --stable 60 -- --tap nosuchtap0 >"$LOG" 2>&1
SUP=$NETNS_LAST_PID
wait_for 20 grep -q 'restart 4 in' "$LOG"
kill -TERM "$SUP"
wait "$SUP"
rc=$?
check "SIGTERM during the back-off: exit $rc, non-zero (the child had failed)" \
  bash -c "[ $rc -ne 0 ] && grep -q 'during back-off' '$LOG'"

nsx timeout 20 scripts/relaunch.sh --max-restarts 2 --window 60 -- --tap nosuchtap0 >"$LOG" 2>&1
rc=$?
check "repeated failures: gives up after 2 restarts (exit $rc)" \
  bash -c "[ $rc -eq 1 ] && grep -q 'giving up' '$LOG' && [ \$(grep -c 'started ' '$LOG') -eq 3 ]"
check "back-off doubles (0.2 s, then 0.4 s)" \
  bash -c "grep -q 'restart 1 in 0.200 s' '$LOG' && grep -q 'restart 2 in 0.400 s' '$LOG'"

for args in "--window 0" "--max-restarts 0" "--max-restarts 1001" "--max-restarts 99999999999" \
            "--stable x" "--stable -1" "--window" "--bin /nonexistent" "--nope"; do
  # shellcheck disable=SC2086
  scripts/relaunch.sh $args >/dev/null 2>"$LOG"
  rc=$?
  check "relaunch.sh $args: exit 2 with a message (got $rc)" \
    bash -c "[ $rc -eq 2 ] && grep -q '^relaunch: ' '$LOG' && [ \$(wc -l <'$LOG') -le 2 ]"
done

nsx timeout 20 scripts/relaunch.sh -- --loss 500 >"$LOG" 2>&1
rc=$?
check "usage error is not retried (exit $rc)" \
  bash -c "[ $rc -eq 2 ] && [ \$(grep -c 'started ' '$LOG') -eq 1 ]"
netns_finish
