/**
 * @file
 * The reference KCP test's latency scenario, in virtual time.
 *
 * Two endpoints on a link that loses 10 % of round trips (5 % of datagrams
 * each way, drawn from a bag of 100 tickets as the reference's simulator
 * does) and delays each datagram 30..61 ms each way (the reference's RTT of
 * 60..125 ms halved), in FIFO order. Side 0 sends an 8-byte message (index
 * and send time) every 20 ms; side 1 echoes each message as soon as it reads
 * it; side 0 measures the round trip. As in the reference loop, the clock
 * ticks 1 ms at a time and each tick updates both endpoints, moves arrived
 * datagrams into ikcp_input and serves both applications. A run ends when
 * message 1000 is back, i.e. after 1001 round trips.
 *
 * Modes: default (nodelay 0,10,0,0), normal (0,10,0,1) and fast (2,10,2,1,
 * with the sender's rx_minrto 10 and fastresend 1, as upstream's test.cpp).
 * Windows 128/128. The means over the seeds are printed as a table and
 * written as JSON.
 *
 * Usage: engine_latency [SEEDS [JSONFILE]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikcp.h"
#include "linksim.h"

#define LAT_MESSAGES  1000
#define LAT_PERIOD    20
#define LAT_TICKS_MAX (600u * 1000u)
#define LAT_SEEDS_MAX 1000

/** One mode of the scenario and the reference's published result for it. */
struct lat_mode {
  const char *name;
  int nodelay, interval, resend, nc;
  int fast_sender; /* rx_minrto 10 and fastresend 1 on the sender */
  int ref_avg, ref_max; /* what the reference prints, 0 = nothing to meet */
};

static const struct lat_mode lat_modes[] = {
  {"default", 0, 10, 0, 0, 0, 0, 0},
  {"normal", 0, 10, 0, 1, 0, 152, 501},
  {"fast", 2, 10, 2, 1, 1, 139, 375},
};
#define LAT_NMODES (sizeof(lat_modes) / sizeof(lat_modes[0]))

/** What one seeded run measured. */
struct lat_run {
  double avg_rtt;
  unsigned max_rtt;
  unsigned long datagrams;
  unsigned long retrans_timeout;
  unsigned long retrans_fast;
  unsigned ms;
  int ok;
};

static void
lat_put32(unsigned char *p, IUINT32 v)
{
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static IUINT32
lat_get32(const unsigned char *p)
{
  return (IUINT32)p[0] | (IUINT32)p[1] << 8 | (IUINT32)p[2] << 16 | (IUINT32)p[3] << 24;
}

static int
lat_cmp(const void *a, const void *b)
{
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? -1 : x > y;
}

static int
lat_run(const struct lat_mode *m, uint64_t seed, struct lat_run *out)
{
  struct linksim *sim = linksim_new(seed, 0x11223344, (IUINT32)(seed * 7919u));
  struct linksim_dir_cfg cfg;
  ikcpcb *k[2];
  IKCPSTATS st;
  unsigned char buf[2000];
  IUINT32 current, slap, index = 0, next = 0;
  unsigned long long sum = 0;
  unsigned ticks = 0;
  int i, n;

  if (sim == NULL) {
    return -1;
  }
  memset(out, 0, sizeof(*out));
  linksim_default_dir(&cfg);
  cfg.loss_ppm = 50000; /* 10 % a round trip: 5 % each way */
  cfg.loss_bag = 1;
  cfg.delay_min = 60 / 2;
  cfg.delay_max = 125 / 2 - 1;
  cfg.fifo = 1;
  cfg.max_inflight = 1000;
  for (i = 0; i < 2; i++) {
    linksim_set_dir(sim, i, &cfg);
    k[i] = linksim_kcp(sim, i);
    ikcp_wndsize(k[i], 128, 128);
    ikcp_nodelay(k[i], m->nodelay, m->interval, m->resend, m->nc);
  }
  if (m->fast_sender) {
    k[0]->rx_minrto = 10;
    k[0]->fastresend = 1;
  }
  current = linksim_now(sim);
  slap = current + LAT_PERIOD;
  out->ok = 1;
  while (next <= LAT_MESSAGES && ticks < LAT_TICKS_MAX) {
    linksim_advance(sim, 1);
    ticks++;
    current = linksim_now(sim);
    ikcp_update(k[0], current);
    ikcp_update(k[1], current);
    for (; (IINT32)(current - slap) >= 0; slap += LAT_PERIOD) {
      lat_put32(buf, index++);
      lat_put32(buf + 4, current);
      ikcp_send(k[0], (const char *)buf, 8);
    }
    linksim_deliver(sim, 1);
    linksim_deliver(sim, 0);
    while ((n = ikcp_recv(k[1], (char *)buf, 10)) >= 0) {
      ikcp_send(k[1], (const char *)buf, n);
    }
    while ((n = ikcp_recv(k[0], (char *)buf, 10)) >= 0) {
      IUINT32 rtt = current - lat_get32(buf + 4);
      if (n != 8 || lat_get32(buf) != next) {
        out->ok = 0;
      }
      next++;
      sum += rtt;
      if (rtt > out->max_rtt) {
        out->max_rtt = rtt;
      }
    }
  }
  if (next <= LAT_MESSAGES) {
    out->ok = 0;
  }
  out->avg_rtt = next ? (double)sum / next : 0;
  out->datagrams = (unsigned long)(linksim_dir_stats(sim, 0)->sent + linksim_dir_stats(sim, 1)->sent);
  ikcp_getstats(k[0], &st);
  out->retrans_timeout = (unsigned long)st.retrans_timeout;
  out->retrans_fast = (unsigned long)st.retrans_fast;
  ikcp_getstats(k[1], &st);
  out->retrans_timeout += (unsigned long)st.retrans_timeout;
  out->retrans_fast += (unsigned long)st.retrans_fast;
  out->ms = ticks;
  linksim_free(sim);
  return 0;
}

int
main(int argc, char **argv)
{
  int seeds = argc > 1 ? atoi(argv[1]) : 20;
  FILE *json = NULL;
  int failed = 0;
  size_t m;

  if (seeds <= 0 || seeds > LAT_SEEDS_MAX || argc > 3) {
    fprintf(stderr, "usage: %s [SEEDS [JSONFILE]]\n", argv[0]);
    return 2;
  }
  if (argc > 2 && (json = fopen(argv[2], "w")) == NULL) {
    perror(argv[2]);
    return 1;
  }
  printf("Engine latency: reference test scenario in virtual time, 1001 echoes every 20 ms,\n"
         "5 %% loss each way (10 %% a round trip), one-way delay 30..61 ms, windows 128,\n"
         "mean over %d seeds of each run's average and maximum RTT (med_max: median of the\n"
         "maxima, worst: largest); datagrams both ways; retransmissions by timer and fast;\n"
         "runs<=: seeds whose own avg and max are both at or below the reference's\n\n", seeds);
  printf("%-8s %8s %8s %8s %8s %10s %8s %8s %10s %7s %s\n", "mode", "avg_rtt", "max_rtt", "med_max",
         "worst", "datagrams", "rto_rtx", "fast_rtx", "reference", "runs<=", "target");
  if (json) {
    fprintf(json, "{\n  \"bench\": \"engine_latency\",\n  \"seeds\": %d,\n  \"messages\": %d,\n"
            "  \"loss_each_way_pct\": 5,\n  \"one_way_delay_ms\": [30, 61],\n  \"modes\": [\n",
            seeds, LAT_MESSAGES + 1);
  }
  for (m = 0; m < LAT_NMODES; m++) {
    const struct lat_mode *mode = &lat_modes[m];
    double avg = 0, max = 0, dgrams = 0, rto = 0, fast = 0;
    unsigned worst = 0, maxes[LAT_SEEDS_MAX], median;
    int s, ok = 1, met, le_ref = 0;
    char ref[32] = "-", runs[32] = "-";

    for (s = 1; s <= seeds; s++) {
      struct lat_run r;
      if (lat_run(mode, (uint64_t)s, &r) != 0 || !r.ok) {
        ok = 0;
        continue;
      }
      avg += r.avg_rtt;
      max += r.max_rtt;
      dgrams += (double)r.datagrams;
      rto += (double)r.retrans_timeout;
      fast += (double)r.retrans_fast;
      if (r.max_rtt > worst) {
        worst = r.max_rtt;
      }
      maxes[s - 1] = r.max_rtt;
      le_ref += r.avg_rtt <= mode->ref_avg && r.max_rtt <= (unsigned)mode->ref_max;
    }
    qsort(maxes, (size_t)seeds, sizeof(maxes[0]), lat_cmp);
    median = (maxes[(seeds - 1) / 2] + maxes[seeds / 2]) / 2;
    avg /= seeds;
    max /= seeds;
    dgrams /= seeds;
    rto /= seeds;
    fast /= seeds;
    met = ok && (mode->ref_avg == 0 || (avg <= mode->ref_avg && max <= mode->ref_max));
    if (mode->ref_avg) {
      snprintf(ref, sizeof(ref), "%d/%d", mode->ref_avg, mode->ref_max);
      snprintf(runs, sizeof(runs), "%d/%d", le_ref, seeds);
    }
    printf("%-8s %8.1f %8.1f %8u %8u %10.0f %8.1f %8.1f %10s %7s %s\n", mode->name, avg, max, median,
           worst, dgrams, rto, fast, ref, runs, !ok ? "FAILED (order/completion)" : mode->ref_avg == 0 ? "-" : met ? "met" : "NOT met");
    failed |= !ok;
    if (json) {
      fprintf(json, "    {\"mode\": \"%s\", \"nodelay\": [%d, %d, %d, %d], \"avg_rtt_ms\": %.1f, "
              "\"max_rtt_ms\": %.1f, \"median_max_rtt_ms\": %u, \"worst_max_rtt_ms\": %u, \"datagrams\": %.0f, "
              "\"retrans_timeout\": %.1f, \"retrans_fast\": %.1f, \"reference_avg_ms\": %d, "
              "\"reference_max_ms\": %d, \"runs_at_or_below_reference\": %d, \"complete_in_order\": %s, \"target_met\": %s}%s\n",
              mode->name, mode->nodelay, mode->interval, mode->resend, mode->nc, avg, max, median, worst,
              dgrams, rto, fast, mode->ref_avg, mode->ref_max, le_ref, ok ? "true" : "false",
              met ? "true" : "false", m + 1 < LAT_NMODES ? "," : "");
    }
  }
  if (json) {
    fprintf(json, "  ]\n}\n");
    fclose(json);
  }
  return failed ? 1 : 0;
}
