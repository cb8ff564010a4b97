/**
 * @file
 * ./minimal's counter reports (see statsreport.h). The rates are the
 * differences between two snapshots of counters, over the time between.
 */
#include "statsreport.h"

#include <string.h>

/** The rates a report shows, from two snapshots secs apart. */
struct statsreport_rates {
  double secs;
  double tap_in_fps, tap_in_mbps, tap_out_fps, tap_out_mbps;
  double icmp_rps, udp_rps, tcp_mbps, kcp_mbps, kcp_retrans_ps;
  unsigned long long tcp_active, kcp_sessions, dropped;
};

/**
 * Start from the counters now (the first report's rates count from here).
 * @param tap the tap's name, as its counters' group says
 */
void
statsreport_init(struct statsreport *sr, int json, const char *tap, const struct counters *now)
{
  sr->json = json;
  snprintf(sr->tap, sizeof(sr->tap), "tap %s", tap);
  sr->prev = *now;
  clock_gettime(CLOCK_MONOTONIC, &sr->prev_time);
}

/** Per second, what group/name grew by since the last report. */
static double
statsreport_per_sec(const struct statsreport *sr, const struct counters *now, const char *group,
                    const char *name, double secs)
{
  u64_t a = counters_get(&sr->prev, group, name), b = counters_get(now, group, name);

  return b >= a ? (double)(b - a) / secs : 0.0;
}

static void
statsreport_rates(struct statsreport *sr, const struct counters *now, struct statsreport_rates *r)
{
  struct timespec t;
  const double mbit = 8.0 / 1e6;

  clock_gettime(CLOCK_MONOTONIC, &t);
  r->secs = (double)(t.tv_sec - sr->prev_time.tv_sec) + (double)(t.tv_nsec - sr->prev_time.tv_nsec) / 1e9;
  if (r->secs < 1e-3) {
    r->secs = 1e-3;
  }
  r->tap_in_fps = statsreport_per_sec(sr, now, sr->tap, "in", r->secs);
  r->tap_in_mbps = statsreport_per_sec(sr, now, sr->tap, "bytes_in", r->secs) * mbit;
  r->tap_out_fps = statsreport_per_sec(sr, now, sr->tap, "out", r->secs);
  r->tap_out_mbps = statsreport_per_sec(sr, now, sr->tap, "bytes_out", r->secs) * mbit;
  r->icmp_rps = statsreport_per_sec(sr, now, "icmp", "requests", r->secs);
  r->udp_rps = statsreport_per_sec(sr, now, "udpecho", "requests", r->secs);
  r->tcp_mbps = statsreport_per_sec(sr, now, "tcpecho", "bytes_in", r->secs) * mbit;
  r->kcp_mbps = statsreport_per_sec(sr, now, "kcpecho", "bytes_in", r->secs) * mbit;
  r->kcp_retrans_ps = statsreport_per_sec(sr, now, "kcpecho", "retrans", r->secs) +
                      statsreport_per_sec(sr, now, "kcpecho", "fast_retrans", r->secs);
  r->tcp_active = counters_get(now, "tcpecho", "active");
  r->kcp_sessions = counters_get(now, "kcpecho", "sessions");
  r->dropped = counters_get(now, sr->tap, "dropped") + counters_get(now, sr->tap, "oversize") +
               counters_get(now, sr->tap, "bogus_src") + counters_get(now, "kcpecho", "malformed") +
               counters_get(now, "kcpecho", "dropped");
  sr->prev = *now;
  sr->prev_time = t;
}

/** UTC now, as ISO 8601: 2026-12-03T20:02:29Z. */
static void
statsreport_time(char *buf, size_t len)
{
  struct tm tm;
  time_t now = time(NULL);

  gmtime_r(&now, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
statsreport_json(struct statsreport *sr, const struct counters *now, FILE *out)
{
  struct statsreport_rates r;
  char when[32];

  statsreport_time(when, sizeof(when));
  statsreport_rates(sr, now, &r);
  fprintf(out, "{\"time\":\"%s\",\"interval_s\":%.3f,\"rates\":{\"tap_in_fps\":%.1f,"
          "\"tap_in_mbps\":%.3f,\"tap_out_fps\":%.1f,\"tap_out_mbps\":%.3f,\"icmp_rps\":%.1f,"
          "\"udp_rps\":%.1f,\"tcp_mbps\":%.3f,\"kcp_mbps\":%.3f,\"kcp_retrans_ps\":%.1f},"
          "\"counters\":{", when, r.secs, r.tap_in_fps, r.tap_in_mbps, r.tap_out_fps,
          r.tap_out_mbps, r.icmp_rps, r.udp_rps, r.tcp_mbps, r.kcp_mbps, r.kcp_retrans_ps);
  counters_print_json(now, out);
  fputs("}}\n", out);
}

/**
 * The periodic report: the compact line, or the JSON object; the rates
 * count from the last report.
 */
void
statsreport_interval(struct statsreport *sr, const struct counters *now, FILE *out)
{
  struct statsreport_rates r;
  char when[32];

  if (sr->json) {
    statsreport_json(sr, now, out);
    return;
  }
  statsreport_time(when, sizeof(when));
  statsreport_rates(sr, now, &r);
  fprintf(out, "stats %s %.1f s: tap in %.0f/s %.2f Mbit/s, out %.0f/s %.2f Mbit/s | icmp %.0f/s | "
          "udp %.0f/s | tcp %llu active %.2f Mbit/s | kcp %llu sessions %.2f Mbit/s %.0f retrans/s | "
          "dropped %llu\n", when, r.secs, r.tap_in_fps, r.tap_in_mbps, r.tap_out_fps, r.tap_out_mbps,
          r.icmp_rps, r.udp_rps, r.tcp_active, r.tcp_mbps, r.kcp_sessions, r.kcp_mbps,
          r.kcp_retrans_ps, r.dropped);
}

/** Every counter: a line per module, or the JSON object. */
void
statsreport_full(struct statsreport *sr, const struct counters *now, FILE *out)
{
  if (sr->json) {
    statsreport_json(sr, now, out);
  } else {
    counters_print_text(now, out);
  }
}
