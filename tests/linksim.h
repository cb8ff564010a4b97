/**
 * @file
 * Deterministic virtual link between two KCP endpoints, for the simulator
 * tests and the engine benchmarks.
 *
 * Time is a virtual millisecond clock that jumps from one event to the next
 * (a datagram arriving, or the time an endpoint's ikcp_check asks for), and
 * every random choice (loss, delay, jitter, reordering, duplication) comes
 * from a PRNG seeded by the caller. A run is therefore reproducible from its
 * seed alone, and ten thousand simulated seconds cost a fraction of a real
 * second because nothing ever sleeps or reads the wall clock.
 *
 * The simulator owns both endpoints (side 0 and side 1): it creates them with
 * itself as the output, so every datagram an endpoint emits enters the link
 * in its direction. Memory is bounded: each direction holds at most
 * max_inflight datagrams and drops the rest, as a full router queue would.
 */
#ifndef LINKSIM_H
#define LINKSIM_H

#include <stdint.h>

#include "ikcp.h"

/** Number of KCP commands counted per direction (PUSH, ACK, WASK, WINS). */
#define LINKSIM_NCMD 4
/** Index of a KCP command byte (IKCP_CMD_PUSH..) in linksim_dir_stats.cmd. */
#define LINKSIM_CMD_INDEX(cmd) ((cmd) - IKCP_CMD_PUSH)

/**
 * Shape of one direction of the link. Probabilities are in parts per
 * million so that tests can ask for exact small rates without floating point.
 */
struct linksim_dir_cfg {
  /** Chance that a datagram is lost. */
  uint32_t loss_ppm;
  /**
   * Nonzero: losses are drawn without replacement from a bag of 100 tickets,
   * refilled when empty, so every 100 datagrams lose exactly loss_ppm/10000
   * of them. This is the reference KCP test's link; otherwise each datagram
   * is lost independently.
   */
  int loss_bag;
  /** Chance that a datagram is delivered twice (the copy has its own delay). */
  uint32_t dup_ppm;
  /** One-way delay in ms, drawn uniformly from [delay_min, delay_max]. */
  uint32_t delay_min;
  /** Upper end of the one-way delay; the spread is the jitter. */
  uint32_t delay_max;
  /** Chance that a datagram is held back reorder_ms more than drawn. */
  uint32_t reorder_ppm;
  /** Extra delay of a held-back datagram, in ms. */
  uint32_t reorder_ms;
  /**
   * Nonzero: a datagram never overtakes an earlier one (a FIFO queue, as in
   * the reference test, whose queue only releases its head).
   */
  int fifo;
  /** Datagrams this direction holds at most; more are dropped on entry. */
  uint32_t max_inflight;
};

/** What one direction of the link saw, since the simulator was created. */
struct linksim_dir_stats {
  /** Datagrams the sending endpoint emitted. */
  uint64_t sent;
  /** Bytes in those datagrams. */
  uint64_t bytes;
  /** Datagrams dropped by the loss model. */
  uint64_t lost;
  /** Datagrams dropped because max_inflight was reached. */
  uint64_t overflow;
  /** Extra copies made by the duplication model. */
  uint64_t duplicated;
  /** Datagrams handed to the receiving endpoint's ikcp_input. */
  uint64_t delivered;
  /** Datagrams ikcp_input rejected (negative result). */
  uint64_t input_errors;
  /** Segments emitted per command (see LINKSIM_CMD_INDEX). */
  uint64_t cmd[LINKSIM_NCMD];
};

/** How one endpoint was driven, since the simulator was created. */
struct linksim_end_stats {
  /** Every ikcp_update call the simulator made on this endpoint. */
  uint64_t updates;
  /** Of those, the calls made because ikcp_check's time had come. */
  uint64_t timer_updates;
  /**
   * Times ikcp_check still named the current time (or earlier) right after
   * an ikcp_update at that time: a check-driven loop would spin there. The
   * simulator then moves on by one millisecond.
   */
  uint64_t spins;
};

struct linksim;

struct linksim *linksim_new(uint64_t seed, IUINT32 conv, IUINT32 start_ms);
void linksim_free(struct linksim *sim);

ikcpcb *linksim_kcp(struct linksim *sim, int side);
void linksim_set_dir(struct linksim *sim, int from, const struct linksim_dir_cfg *cfg);
void linksim_default_dir(struct linksim_dir_cfg *cfg);

IUINT32 linksim_now(const struct linksim *sim);
uint64_t linksim_elapsed(const struct linksim *sim);
uint32_t linksim_inflight(const struct linksim *sim, int from);

IUINT32 linksim_step(struct linksim *sim, IUINT32 max_wait);
void linksim_advance(struct linksim *sim, IUINT32 ms);
int linksim_deliver(struct linksim *sim, int to);

const struct linksim_dir_stats *linksim_dir_stats(const struct linksim *sim, int from);
const struct linksim_end_stats *linksim_end_stats(const struct linksim *sim, int side);

uint64_t linksim_rand(uint64_t *state);
uint32_t linksim_rand_below(uint64_t *state, uint32_t bound);

#endif /* LINKSIM_H */
