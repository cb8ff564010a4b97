/**
 * @file
 * ./minimal's counter reports (--stats SEC, --stats-json, SIGUSR1, exit).
 *
 * Every SEC seconds, one compact human line with the time and the rates
 * since the last report:
 *
 *   stats 2026-12-03T20:02:29Z 10.0 s: tap in 120/s 1.23 Mbit/s, out ... |
 *   icmp 0/s | udp 5/s | tcp 2 active 0.51 Mbit/s | kcp 3 sessions ...
 *
 * or with --stats-json one JSON object per line, with the same rates and
 * every counter: {"time":"...","interval_s":10.0,"rates":{...},
 * "counters":{"tap_tap0":{"in":...},...}}. On SIGUSR1 and at exit, the full
 * counters, one line per module ("kcpecho: sessions 0 opened 0 ..."), or
 * the same JSON object with --stats-json.
 */
#ifndef STATSREPORT_H
#define STATSREPORT_H

#include "counters.h"

#include <stdio.h>
#include <time.h>

struct statsreport {
  int json;                              /**< JSON objects instead of lines */
  char tap[COUNTERS_LABEL_LEN];          /**< the tap's group: "tap tap0" */
  struct counters prev;                  /**< at the last report */
  struct timespec prev_time;             /**< CLOCK_MONOTONIC */
};

void statsreport_init(struct statsreport *sr, int json, const char *tap, const struct counters *now);
void statsreport_interval(struct statsreport *sr, const struct counters *now, FILE *out);
void statsreport_full(struct statsreport *sr, const struct counters *now, FILE *out);

#endif /* STATSREPORT_H */
