/**
 * @file
 * RTT samples and reports. Samples are kept exactly up to a cap and then
 * replaced at random (reservoir sampling), so memory is bounded however long
 * a --duration run lasts while the percentiles stay unbiased.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kcpc_stats.h"

/** Samples kept (16 MB); enough for exact percentiles of ordinary runs. */
#define KCPC_STATS_SAMPLES_MAX (1u << 22)
#define KCPC_STATS_SAMPLES_FIRST 4096u

void
kcpc_stats_init(struct kcpc_stats *st, uint64_t seed)
{
  memset(st, 0, sizeof(*st));
  st->rtt_min = UINT64_MAX;
  st->rng = seed ^ 0x2545f4914f6cdd1dull;
}

void
kcpc_stats_free(struct kcpc_stats *st)
{
  free(st->rtt);
  st->rtt = NULL;
}

/** xorshift64*: only picks reservoir slots, any fair generator would do. */
static uint64_t
kcpc_stats_rand(struct kcpc_stats *st)
{
  st->rng ^= st->rng >> 12;
  st->rng ^= st->rng << 25;
  st->rng ^= st->rng >> 27;
  if (st->rng == 0) {
    st->rng = 1;
  }
  return st->rng * 0x2545f4914f6cdd1dull;
}

void
kcpc_stats_rtt(struct kcpc_stats *st, uint64_t rtt_us)
{
  uint32_t sample = rtt_us > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt_us;

  st->rtt_n++;
  st->rtt_sum += rtt_us;
  if (rtt_us < st->rtt_min) {
    st->rtt_min = rtt_us;
  }
  if (rtt_us > st->rtt_max) {
    st->rtt_max = rtt_us;
  }
  if (st->rtt_len == st->rtt_cap && st->rtt_cap < KCPC_STATS_SAMPLES_MAX) {
    size_t cap = st->rtt_cap ? st->rtt_cap * 2 : KCPC_STATS_SAMPLES_FIRST;
    uint32_t *p = realloc(st->rtt, cap * sizeof(*p));
    if (p != NULL) {
      st->rtt = p;
      st->rtt_cap = cap;
    }
  }
  if (st->rtt_len < st->rtt_cap) {
    st->rtt[st->rtt_len++] = sample;
  } else if (st->rtt_len > 0) {
    uint64_t slot = kcpc_stats_rand(st) % st->rtt_n;
    if (slot < st->rtt_len) {
      st->rtt[slot] = sample;
    }
  }
}

static int
kcpc_stats_cmp(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/** Nearest-rank percentile of the sorted samples, in ms. */
static double
kcpc_stats_pct(const struct kcpc_stats *st, unsigned pct)
{
  size_t rank;

  if (st->rtt_len == 0) {
    return 0.0;
  }
  rank = (st->rtt_len * pct + 99u) / 100u;
  if (rank == 0) {
    rank = 1;
  }
  return st->rtt[rank - 1] / 1000.0;
}

static uint64_t
kcpc_stats_retrans(const struct kcpc_stats *st)
{
  return st->link.retrans_timeout + st->link.retrans_fast + st->link.retrans_tcp;
}

static int
kcpc_stats_cmp64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

void
kcpc_stats_sessions(struct kcpc_stats *st, uint64_t *bytes, unsigned n, double duration_s)
{
  double sum = 0.0, sq = 0.0, scale = duration_s > 0 ? 8.0 / duration_s : 0.0;
  unsigned i;

  if (n == 0) {
    return;
  }
  qsort(bytes, n, sizeof(*bytes), kcpc_stats_cmp64);
  for (i = 0; i < n; i++) {
    sum += (double)bytes[i];
    sq += (double)bytes[i] * (double)bytes[i];
  }
  st->sess_min_bps = (double)bytes[0] * scale;
  st->sess_median_bps = (n % 2 ? (double)bytes[n / 2] :
                         ((double)bytes[n / 2 - 1] + (double)bytes[n / 2]) / 2.0) * scale;
  st->sess_max_bps = (double)bytes[n - 1] * scale;
  st->jain = sq > 0 ? sum * sum / ((double)n * sq) : 0.0;
}

void
kcpc_stats_progress(const struct kcpc_stats *st, double elapsed_s, FILE *out)
{
  fprintf(out, "\r%.1f s  sent %" PRIu64 "  echoed %" PRIu64 "  verified %" PRIu64
          "  errors %" PRIu64 "  rtt avg %.3f ms  reconnects %" PRIu64 "\033[K",
          elapsed_s, st->sent, st->echoed, st->verified, st->errors,
          st->rtt_n ? (double)st->rtt_sum / (double)st->rtt_n / 1000.0 : 0.0,
          st->reconnects);
  fflush(out);
}

void
kcpc_stats_report(struct kcpc_stats *st, const struct kcpc_config *cfg,
                  double duration_s, int json, FILE *out)
{
  double rmin = st->rtt_n ? st->rtt_min / 1000.0 : 0.0;
  double ravg = st->rtt_n ? (double)st->rtt_sum / (double)st->rtt_n / 1000.0 : 0.0;
  double rmax = st->rtt_n ? st->rtt_max / 1000.0 : 0.0;
  double p50, p99;
  double bps = duration_s > 0 ? (double)st->bytes * 8.0 / duration_s : 0.0;
  const char *mode = cfg->tcp ? "tcp" : "kcp";

  if (st->rtt_len > 0) {
    qsort(st->rtt, st->rtt_len, sizeof(*st->rtt), kcpc_stats_cmp);
  }
  p50 = kcpc_stats_pct(st, 50);
  p99 = kcpc_stats_pct(st, 99);

  if (json) {
    fprintf(out, "{\"mode\":\"%s\",\"stream\":%s,\"profile\":\"%s\",\"clients\":%u,"
            "\"wnd\":%u,\"mtu\":%u,\"size_min\":%" PRIu32 ",\"size_max\":%" PRIu32 ","
            "\"interval_ms\":%u,\"sent\":%" PRIu64 ",\"echoed\":%" PRIu64 ","
            "\"verified\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"lost\":%" PRIu64 ","
            "\"dead\":%" PRIu64 ",\"reconnects\":%" PRIu64 ",\"resends\":%" PRIu64 ","
            "\"rtt_min_ms\":%.3f,\"rtt_avg_ms\":%.3f,\"rtt_p50_ms\":%.3f,"
            "\"rtt_p99_ms\":%.3f,\"rtt_max_ms\":%.3f,\"retrans\":%" PRIu64 ","
            "\"retrans_timeout\":%" PRIu64 ",\"retrans_fast\":%" PRIu64 ","
            "\"retrans_tcp\":%" PRIu64 ",\"send_errors\":%" PRIu64 ",\"bytes\":%" PRIu64 ","
            "\"throughput_bps\":%.0f,\"duration_s\":%.3f,\"interrupted\":%s,"
            "\"session_bps_min\":%.0f,\"session_bps_median\":%.0f,\"session_bps_max\":%.0f,"
            "\"jain\":%.4f,\"data_segs\":%" PRIu64,
            mode, (cfg->stream || cfg->tcp) ? "true" : "false",
            cfg->tcp ? "" : cfg->profile, cfg->clients, cfg->wnd, cfg->mtu,
            cfg->size_min, cfg->size_max, cfg->interval_ms,
            st->sent, st->echoed, st->verified, st->errors, st->lost, st->dead,
            st->reconnects, st->resends, rmin, ravg, p50, p99, rmax,
            kcpc_stats_retrans(st), st->link.retrans_timeout, st->link.retrans_fast,
            st->link.retrans_tcp, st->link.send_errors, st->bytes, bps, duration_s,
            st->interrupted ? "true" : "false", st->sess_min_bps, st->sess_median_bps,
            st->sess_max_bps, st->jain, st->link.data_segs);
    if (cfg->sha256) {
      fprintf(out, ",\"sha256_sent\":\"%s\",\"sha256_echoed\":\"%s\"",
              st->sha256_sent, st->sha256_echoed);
    }
    fputs("}\n", out);
    return;
  }
  fprintf(out, "%s %s, %u client%s, %s%s%swnd %u, mtu %u, size %" PRIu32 "-%" PRIu32
          " bytes, interval %u ms\n",
          mode, cfg->peer, cfg->clients, cfg->clients == 1 ? "" : "s",
          cfg->tcp ? "" : "profile ", cfg->tcp ? "" : cfg->profile,
          cfg->tcp ? "" : (cfg->stream ? ", stream, " : ", message, "),
          cfg->wnd, cfg->mtu, cfg->size_min, cfg->size_max, cfg->interval_ms);
  fprintf(out, "messages   sent %" PRIu64 ", echoed %" PRIu64 ", verified %" PRIu64
          ", errors %" PRIu64 ", lost %" PRIu64 "\n",
          st->sent, st->echoed, st->verified, st->errors, st->lost);
  fprintf(out, "rtt ms     min %.3f, avg %.3f, p50 %.3f, p99 %.3f, max %.3f\n",
          rmin, ravg, p50, p99, rmax);
  if (cfg->tcp) {
    fprintf(out, "retrans    %" PRIu64 " (client kernel TCP), send errors %" PRIu64 "\n",
            kcpc_stats_retrans(st), st->link.send_errors);
  } else {
    fprintf(out, "retrans    %" PRIu64 " (client: timeout %" PRIu64 ", fast %" PRIu64 ")"
            ", send errors %" PRIu64 "\n", kcpc_stats_retrans(st),
            st->link.retrans_timeout, st->link.retrans_fast, st->link.send_errors);
  }
  fprintf(out, "sessions   dead %" PRIu64 ", reconnects %" PRIu64 ", resent messages %" PRIu64 "\n",
          st->dead, st->reconnects, st->resends);
  fprintf(out, "throughput %.3f Mbit/s (%" PRIu64 " bytes echoed in %.3f s)%s\n",
          bps / 1e6, st->bytes, duration_s, st->interrupted ? ", interrupted" : "");
  if (cfg->clients > 1) {
    fprintf(out, "per client Mbit/s min %.3f, median %.3f, max %.3f; Jain's fairness index %.4f\n",
            st->sess_min_bps / 1e6, st->sess_median_bps / 1e6, st->sess_max_bps / 1e6, st->jain);
  }
  if (cfg->sha256) {
    fprintf(out, "sha256     sent %s, echoed %s\n", st->sha256_sent, st->sha256_echoed);
  }
}
