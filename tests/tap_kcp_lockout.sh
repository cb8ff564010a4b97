#!/usr/bin/env bash
# tap_kcp_lockout.sh - one hostile host tries to lock new clients out: 5000
# first segments (PUSH sn 0) of distinct convs at 5000/s fill ./minimal's
# session table (its default cap, 1024), then a WINS to each every second
# tries to keep them there. New clients arrive while the table is full, and
# a PUSH sn 0 with fragment count 255 must not take a slot.
#
# Checks: the table is full when the new clients come; each new client
# (20 messages, one every 10 ms) gets in and verifies every echo, its
# slowest round trip (the first, which opens the session) under 1 s; the
# hostile sessions were evicted to make room (counted); the bad-frg
# segment opened nothing (counted as malformed).
set -u
. "$(dirname "$0")/lib/robust.sh"

FLOOD=build/tests/tools/kcp_flood
COUNT=5000
CLIENTS=3

robust_init lockout "$FLOOD" ./kcp_client
robust_start lockout "$TAP_TMP/minimal.log"

# A PUSH sn 0 whose frg (255) no engine accepts: counted, takes no slot.
stats_now
mal0=$(mstat kcpecho: malformed); open0=$(mstat kcpecho: opened)
nsx python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(struct.pack("<IBBHIIII", 0x6badf, 81, 255, 128, 0, 0, 0, 4) + b"frg!", (sys.argv[1], 8000))
' $S
sleep 0.3
stats_now
check "lockout: PUSH sn 0 with frg 255 takes no slot (opened +$(( $(mstat kcpecho: opened) - open0 )), malformed +$(( $(mstat kcpecho: malformed) - mal0 )))" \
  test "$(mstat kcpecho: opened)" = "$open0" -a "$(mstat kcpecho: malformed)" = $((mal0 + 1))

nsx timeout 60 "$FLOOD" --mode sessions --count $COUNT --sockets 50 --pps 5000 --hold 6 \
  --conv-base 0x71000000 $S 8000 >"$TAP_TMP/flood.out" 2>&1 &
FLOOD_PID=$!
full() { stats_now && [ "$(mstat kcpecho: sessions)" -ge 1024 ]; }
for ((k = 0; k < CLIENTS; k++)); do
  wait_for 5 full; ok=$?
  live=$(mstat kcpecho: sessions)
  out=$TAP_TMP/new$k.json
  nsx timeout 30 ./kcp_client --bench --json --count 20 --interval 10 --timeout 5 $S >"$out" 2>"$TAP_TMP/new$k.err"
  rc=$?
  check "lockout: new client $k gets in while the table is full ($live live sessions): $(jget verified "$out") of 20 verified, slowest round trip $(jget rtt_max_ms "$out") ms < 1000 (exit $rc)" \
    awk -v ok=$ok -v rc=$rc -v v="$(jget verified "$out")" -v m="$(jget rtt_max_ms "$out")" \
      'BEGIN { exit !(ok == 0 && rc == 0 && v == 20 && m != "" && m < 1000) }'
  sleep 1
done
wait $FLOOD_PID; frc=$?
echo "  $(cat "$TAP_TMP/flood.out")"
stats_now
grep '^kcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'
check "lockout: $COUNT hostile sessions sent, WINS kept coming (exit $frc)" test "$frc" -eq 0
# (the kernel may drop some of the flood at the tap: not all 5000 arrive)
check "lockout: every session closed was evicted to make room ($(mstat kcpecho: evicted) of the $((COUNT - 1024)) beyond the cap; closed $(mstat kcpecho: closed))" \
  test "$(mstat kcpecho: evicted)" -gt 0 -a "$(mstat kcpecho: evicted)" = "$(mstat kcpecho: closed)"
check "lockout: ./minimal still running" proc_alive "$MINIMAL_PID"
stop_minimal
netns_finish
