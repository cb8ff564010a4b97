#!/usr/bin/env bash
# tap_options.sh - ./minimal's documented exit codes: -h 0, bad options and
# values 2 (one "minimal: " error line and a hint to --help, not the whole
# usage), a missing, forbidden or busy tap 1 (one line naming
# scripts/setup-tapif, no abort, no core), unwritable pcap 1, and 1 when the
# tap is deleted under it.
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/tap_helpers.sh"
tap_init

# expect_exit CODE NAME ARGS...: ./minimal ARGS in the namespace exits CODE
# within 10 s; its stderr is left in $TAP_TMP/err.
expect_exit() {
  local want=$1 name=$2 rc
  shift 2
  nsx timeout 10 ./minimal "$@" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
  rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$name (exit $rc)"; else fail "$name (exit $rc, want $want)"; cat "$TAP_TMP/err"; fi
}

expect_exit 0 "-h" -h
check "-h lists every option" bash -c "for o in --ip --netmask --gateway --tap --pcap --loss --delay \
  --jitter --dup --reorder --seed --stats --debug --kcp-port --profile --kcp-wnd --kcp-mtu \
  --kcp-idle --kcp-max --kcp-budget --kcp-cc --tcp-idle --link-queue --watchdog --kcptun-conn \
  --kcptun-autoexpire --kcptun-scavengettl; do grep -q -- \"\$o\" '$TAP_TMP/out' || exit 1; done"

bad=(
  "--bogus" "--loss 101" "--loss -1" "--loss abc" "--loss 5x" "--loss 0x10" "--loss 1e1" "--loss 1.2.3" "--loss ." "--dup nan" "--reorder 100.5"
  "--delay 10001" "--delay -5" "--jitter 1e3" "--seed 4294967296" "--stats x" "--stats 86401"
  "--ip 300.1.1.1" "--ip 192.168.0" "--ip 192.168.0.0" "--ip 224.0.0.1" "--netmask 255.0.255.0"
  "--gateway 10.0.0.1" "--kcp-port 0" "--kcp-port 7" "--kcp-port 65536" "--profile turbo" "--kcp-cc cubic"
  "--kcp-wnd 0" "--kcp-mtu 49" "--kcp-mtu 1501" "--kcp-idle 0" "--kcp-max 0" "stray-argument"
  "--tcp-idle 0" "--tcp-idle 86401" "--watchdog x" "--watchdog -1" "--watchdog 3601"
  "--link-queue 0" "--link-queue 65537" "--tap waytoolongtapname0" "--ip" "-i" "-x" "--help=1"
  "--kcptun-conn 0" "--kcptun-conn 65" "--kcptun-conn x" "--kcptun-conn" "--kcptun-autoexpire -1"
  "--kcptun-scavengettl 1000001" "--kcptun-listen 29900 --kcptun-conn 2"
)
for args in "${bad[@]}"; do
  # shellcheck disable=SC2086
  expect_exit 2 "bad: $args" $args
  { [ "$(wc -l <"$TAP_TMP/err")" -eq 2 ] && grep -q '^minimal: ' "$TAP_TMP/err" &&
    grep -qx "Try 'minimal --help' for more information." "$TAP_TMP/err"; } ||
    fail "bad: $args prints one error and the hint: $(cat "$TAP_TMP/err")"
done
expect_exit 2 "bad: empty --tap" --tap ""
echo '{"remoteaddr": "192.168.0.1:29900", "localaddr": ":6000", "conn": 0}' >"$TAP_TMP/conn0.json"
expect_exit 2 "bad: kcptun JSON config with conn 0" --kcptun-config "$TAP_TMP/conn0.json"
check "  names the key and the range" grep -q '"conn".*1\.\.64' "$TAP_TMP/err"

expect_exit 1 "missing tap" --tap nosuchtap0
check "missing tap: one line naming scripts/setup-tapif" \
  bash -c "[ \$(wc -l <'$TAP_TMP/err') -eq 1 ] && grep -q 'scripts/setup-tapif' '$TAP_TMP/err'"

# as uid nobody: /dev/net/tun is root-only and tap0 belongs to root
nsx timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups ./minimal \
  >"$TAP_TMP/out" 2>"$TAP_TMP/err"
rc=$?
check "no permission: exit 1 with the fix named" \
  bash -c "[ $rc -eq 1 ] && [ \$(wc -l <'$TAP_TMP/err') -eq 1 ] && grep -q 'scripts/setup-tapif' '$TAP_TMP/err'"

start_minimal "$TAP_TMP/first.log" || fail "first ./minimal starts"
expect_exit 1 "tap busy (second ./minimal on tap0)"
check "busy: one line naming scripts/setup-tapif" \
  bash -c "[ \$(wc -l <'$TAP_TMP/err') -eq 1 ] && grep -q 'scripts/setup-tapif' '$TAP_TMP/err'"
check "first ./minimal still answers" udp_ok
stop_minimal >/dev/null

expect_exit 1 "missing tap with --pcap" --tap nosuchtap0 --pcap "$TAP_TMP/none.pcap"
check "  leaves no capture file behind" [ ! -e "$TAP_TMP/none.pcap" ]
expect_exit 1 "unwritable --pcap" --pcap /nonexistent-dir/x.pcap
check "unwritable --pcap names the file" grep -q 'nonexistent-dir/x.pcap' "$TAP_TMP/err"

# The tap deleted under a running ./minimal: the tap driver reports it and
# minimal decides to stop, exit 1 with the fix named. (Last: no tap after.)
start_minimal "$TAP_TMP/lost.log" || fail "./minimal starts before its tap is deleted"
nsx ip link del tap0
for ((i = 0; i < 50; i++)); do proc_alive "$MINIMAL_PID" || break; sleep 0.1; done
proc_alive "$MINIMAL_PID" && kill -KILL "$MINIMAL_PID"
wait "$MINIMAL_PID"
rc=$?
check "tap deleted under ./minimal: exit 1 naming scripts/setup-tapif" \
  bash -c "[ $rc -eq 1 ] && grep -q '^minimal: lost tap .*scripts/setup-tapif' '$TAP_TMP/lost.log'"
netns_finish
