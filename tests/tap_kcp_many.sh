#!/usr/bin/env bash
# tap_kcp_many.sh - many clients at once on a clean link: 100 kcp_client
# sessions (fast profile, window 128, every message 1..1300 bytes, no pause)
# against ./minimal with its defaults for a few seconds. The server's budget
# gives each active session a fair share of the window, so the sessions
# share the path instead of overflowing it.
#
# Checks: every echo verified, no session given up or reconnected, client
# retransmissions under 3 % of the data segments it sent, the server's
# share of its default budget (512 segments) among 100 sessions (5),
# Jain's fairness index of the sessions' goodputs at least 0.9.
set -u
. "$(dirname "$0")/lib/robust.sh"

CLIENTS=${CLIENTS:-100}
SECONDS_RUN=${SECONDS_RUN:-5}

robust_init "many clients" ./kcp_client
ROBUST_LOG=$TAP_TMP/minimal.log
if ! start_minimal "$ROBUST_LOG" --stats ${STATS_EVERY:-0} "$@"; then
  fail "many clients: ./minimal answers on $S"
  netns_finish
fi

OUT=$TAP_TMP/many.json
nsx timeout $((SECONDS_RUN + 60)) ./kcp_client --bench --json --clients "$CLIENTS" --size 1-1300 \
  --interval 0 --duration "$SECONDS_RUN" --timeout 10 $S >"$OUT" 2>"$TAP_TMP/many.err"
rc=$?
echo "  $(json_line "$OUT")"
head -c 600 "$TAP_TMP/many.err"
stats_now && grep '^kcpecho:' "$ROBUST_LOG" | tail -n 1 | sed 's/^/  /'

sent=$(jget sent "$OUT"); ver=$(jget verified "$OUT")
check "many clients: $CLIENTS sessions, every echo verified (exit $rc, sent ${sent:-?}, verified ${ver:-?})" \
  test "$rc" -eq 0 -a -n "$sent" -a "${sent:-0}" -gt 0 -a "$sent" = "$ver"
check "many clients: no session given up or reconnected (dead $(jget dead "$OUT"), reconnects $(jget reconnects "$OUT"))" \
  test "$(jget dead "$OUT")" = 0 -a "$(jget reconnects "$OUT")" = 0
re=$(jget retrans "$OUT"); segs=$(jget data_segs "$OUT")
check "many clients: client retransmissions ${re:-?} < 3 % of ${segs:-?} data segments" \
  test -n "$re" -a -n "$segs" -a "$((${re:-1} * 100))" -lt "$((${segs:-0} * 3))"
check "many clients: the server shares its budget (share $(mstat kcpecho: share) <= 512 / $CLIENTS)" \
  test "$(mstat kcpecho: share)" -le $((512 / CLIENTS))
jain=$(jget jain "$OUT")
check "many clients: Jain's fairness index ${jain:-?} >= 0.9 (per client bit/s min $(jget session_bps_min "$OUT"), median $(jget session_bps_median "$OUT"))" \
  awk -v j="${jain:-0}" 'BEGIN { exit !(j >= 0.9) }'
check "many clients: ./minimal still running" proc_alive "$MINIMAL_PID"
stop_minimal
netns_finish
