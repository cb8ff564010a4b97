/**
 * @file
 * Deterministic bottleneck simulator: N KCP senders share one link of fixed
 * rate and buffer toward their N receivers, for the congestion control
 * tests.
 *
 * linksim joins two endpoints; this joins N pairs through one FIFO queue
 * that serves rate_bpms bytes per virtual millisecond and drops what does
 * not fit in buffer_bytes (a drop-tail router), then a fixed one-way delay.
 * The way back (ACKs) has the same delay and no rate limit. Time advances a
 * millisecond per step; every step delivers what is due (each receiving
 * endpoint flushes after its input, as the lwIP binding does), updates every
 * endpoint, keeps each sender backlogged and has each receiver read all it
 * can. Nothing random: a run is reproducible.
 */
#ifndef BNECKSIM_H
#define BNECKSIM_H

#include <stdint.h>

#include "ikcp.h"

/** The shape of the bottleneck. */
struct bnecksim_cfg {
  uint32_t flows;        /**< sender/receiver pairs */
  uint32_t rate_bpms;    /**< bytes the bottleneck serves per ms */
  uint32_t buffer_bytes; /**< its queue, drop-tail */
  uint32_t delay_ms;     /**< one-way delay each way, after the queue */
};

struct bnecksim;

/** A simulator with every endpoint created (conv = flow index + 1). */
struct bnecksim *bnecksim_new(const struct bnecksim_cfg *cfg);
void bnecksim_free(struct bnecksim *sim);

/** Flow @p i's sending (side 0) or receiving (side 1) endpoint. */
ikcpcb *bnecksim_kcp(struct bnecksim *sim, uint32_t i, int side);

/** Run @p ms virtual milliseconds. */
void bnecksim_run(struct bnecksim *sim, uint32_t ms);

/** Forget the counters below (say, after a warm-up). */
void bnecksim_reset_stats(struct bnecksim *sim);

/** Payload bytes flow @p i's receiver read since the last reset. */
uint64_t bnecksim_goodput(const struct bnecksim *sim, uint32_t i);

/** Largest queue in bytes, and its mean over the steps, since the last reset. */
uint32_t bnecksim_queue_max(const struct bnecksim *sim);
uint32_t bnecksim_queue_mean(const struct bnecksim *sim);

/** Datagrams the full queue dropped since the last reset. */
uint64_t bnecksim_drops(const struct bnecksim *sim);

/** Milliseconds since the last reset. */
uint32_t bnecksim_elapsed(const struct bnecksim *sim);

#endif /* BNECKSIM_H */
