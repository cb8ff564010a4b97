/**
 * @file
 * Link emulation between the tap and lwIP: random loss, delay, jitter,
 * duplication and reordering of Ethernet frames, in both directions.
 *
 * The kernel in our test machines has no netem, so the impairments live in
 * the port. Everything here runs in the lwIP core thread: a delayed frame
 * waits in a bounded queue and is released by one sys_timeout() armed for
 * the earliest due frame, so no thread ever sleeps per frame.
 */
#ifndef LINKEMU_H
#define LINKEMU_H

#include "lwip/arch.h"
#include "lwip/err.h"
#include "lwip/pbuf.h"

/** Frames that may wait at once, both directions together, unless
 *  linkemu_config.queue_max says otherwise. A full queue drops the frame
 *  (counted as queue_full): memory stays bounded whatever the delay, at
 *  about 1.6 kB per full-size frame. */
#define LINKEMU_QUEUE_DEFAULT 1024

/** Largest queue_max accepted: about 100 MB of waiting full-size frames. */
#define LINKEMU_QUEUE_LIMIT 65536

/** A reordered frame is held back this much longer than the slowest frame
 *  jitter alone could produce, so frames sent in the next few ms pass it. */
#define LINKEMU_REORDER_HOLD_MS 10

/** Impairments; all zero means a transparent link. */
struct linkemu_config {
  double loss_pct;    /**< chance a frame is dropped, 0..100 */
  double dup_pct;     /**< chance a frame is delivered twice, 0..100 */
  double reorder_pct; /**< chance a frame is held back past later ones, 0..100 */
  u32_t delay_ms;     /**< one-way delay added to every frame */
  u32_t jitter_ms;    /**< delay varies uniformly by +-jitter_ms (floored at 0) */
  u32_t seed;         /**< PRNG seed: equal seeds, equal frame sequences, equal fates */
  u32_t queue_max;    /**< waiting frames, 1..LINKEMU_QUEUE_LIMIT; 0: LINKEMU_QUEUE_DEFAULT */
};

/** The two directions, named from lwIP's point of view. */
enum linkemu_dir {
  LINKEMU_IN = 0, /**< tap to lwIP */
  LINKEMU_OUT,    /**< lwIP to tap */
  LINKEMU_NDIR
};

/** Counters of one direction. */
struct linkemu_stats {
  u32_t frames;     /**< frames submitted */
  u32_t lost;       /**< dropped by --loss */
  u32_t duplicated; /**< extra copies made by --dup */
  u32_t delayed;    /**< frames (copies included) that waited in the queue */
  u32_t reordered;  /**< frames held back by --reorder */
  u32_t queue_full; /**< frames dropped because the queue was full */
};

/** Hands a frame on; takes ownership of p. Runs in the core thread. */
typedef void (*linkemu_deliver_fn)(struct pbuf *p, void *arg);

/** One waiting frame. */
struct linkemu_frame {
  struct linkemu_frame *next;
  struct pbuf *p;
  u32_t due;  /**< sys_now() at which it is released */
  u8_t dir;
};

/** State of one emulated link; embed it, initialise with linkemu_init(). */
struct linkemu {
  struct linkemu_config cfg;
  u64_t rng;
  linkemu_deliver_fn deliver[LINKEMU_NDIR];
  void *deliver_arg;
  struct linkemu_frame *queue;     /**< waiting frames, sorted by due time */
  struct linkemu_frame *queue_tail; /**< the last of them: a frame due no
                                         sooner (any fixed delay) goes behind it */
  struct linkemu_frame *free_list; /**< unused slots */
  u8_t timer_armed;
  struct linkemu_stats stats[LINKEMU_NDIR];
  struct linkemu_frame *slots;     /**< queue_max frames, allocated by linkemu_init() */
};

err_t linkemu_init(struct linkemu *emu, const struct linkemu_config *cfg,
                  linkemu_deliver_fn deliver_in, linkemu_deliver_fn deliver_out, void *arg);
void linkemu_submit(struct linkemu *emu, enum linkemu_dir dir, struct pbuf *p);
void linkemu_deinit(struct linkemu *emu);
int linkemu_is_transparent(const struct linkemu_config *cfg);

#endif /* LINKEMU_H */
