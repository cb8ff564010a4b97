/**
 * @file
 * Benchmark results: counters, RTT distribution, and the two report formats
 * (text for people, one JSON object for scripts and `make bench`).
 */
#ifndef KCPC_STATS_H
#define KCPC_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "kcp_client.h"
#include "kcpc_link.h"

/** Length of a SHA-256 digest as lowercase hex, with its terminating NUL. */
#define KCPC_SHA256_HEX_LEN 65

/** Everything one benchmark run counts. */
struct kcpc_stats {
  uint64_t sent;        /**< distinct messages sent (a resend is not counted again) */
  uint64_t echoed;      /**< echoes received, matched to their message */
  uint64_t verified;    /**< echoes identical to their message */
  uint64_t errors;      /**< bad echoes, unexpected bytes, refused sends */
  uint64_t bytes;       /**< payload bytes of the verified echoes */
  uint64_t resends;     /**< messages sent again after a reconnect */
  uint64_t reconnects;  /**< sessions replaced with --reconnect */
  uint64_t dead;        /**< sessions given up */
  uint64_t lost;        /**< messages sent but never echoed */
  int interrupted;      /**< stopped by a signal before the end */
  struct kcpc_link_counters link; /**< summed over every link */
  char sha256_sent[KCPC_SHA256_HEX_LEN];   /**< --sha256: of the messages sent */
  char sha256_echoed[KCPC_SHA256_HEX_LEN]; /**< --sha256: of their echoes */
  /* RTT in µs: exact min/max/mean, percentiles from the kept samples */
  uint64_t rtt_n, rtt_sum, rtt_min, rtt_max;
  uint32_t *rtt;        /**< samples kept: all of them up to a cap, then a uniform reservoir */
  size_t rtt_len, rtt_cap;
  uint64_t rng;         /**< picks the reservoir slots */
  /* Per session (kcpc_stats_sessions()): goodput in bit/s and fairness */
  double sess_min_bps, sess_median_bps, sess_max_bps;
  double jain;          /**< Jain's index of the sessions' goodputs: 1 = all equal */
};

void kcpc_stats_init(struct kcpc_stats *st, uint64_t seed);
void kcpc_stats_free(struct kcpc_stats *st);
/** Record one round-trip time. */
void kcpc_stats_rtt(struct kcpc_stats *st, uint64_t rtt_us);
/**
 * Record how the sessions shared the run: min, median and max of their
 * goodputs and Jain's fairness index, (sum x)^2 / (n * sum x^2).
 * @param bytes verified echo bytes of each of the n sessions (reordered)
 */
void kcpc_stats_sessions(struct kcpc_stats *st, uint64_t *bytes, unsigned n, double duration_s);
/** Rewrite the progress line on a terminal. */
void kcpc_stats_progress(const struct kcpc_stats *st, double elapsed_s, FILE *out);
/** Print the final report (sorts the samples, hence not const). */
void kcpc_stats_report(struct kcpc_stats *st, const struct kcpc_config *cfg,
                       double duration_s, int json, FILE *out);

#endif /* KCPC_STATS_H */
