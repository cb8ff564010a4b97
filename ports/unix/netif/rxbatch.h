/**
 * @file
 * Frames read from a device in batches, one system call per batch
 * (io_uring, liburing): the receiving half of txbatch.h, for the same
 * reason (a read(2) per frame costs more in entering and leaving the
 * kernel than the kernel's work on the frame).
 *
 * rxbatch_read() queues reads into the slots of a registered buffer and
 * hands them to the kernel in one io_uring_enter(2); each, asked not to
 * wait (RWF_NOWAIT), completes at once with a frame or with EAGAIN, in
 * order. The number of reads queued follows the bursts seen: twice the
 * frames the last batch found, within RXBATCH_MIN..RXBATCH_SLOTS, so an
 * idle device costs few empty reads and a busy one few system calls.
 *
 * One thread (the device's reader). Where io_uring is unavailable
 * rxbatch_init() fails and the caller reads each frame itself.
 */
#ifndef RXBATCH_H
#define RXBATCH_H

#include "lwip/arch.h"
#include "uringbuf.h"

/** Most reads one batch queues. */
#define RXBATCH_SLOTS 64

/** Fewest reads one batch queues. */
#define RXBATCH_MIN 4

/** Bytes of one slot, i.e. the longest frame read whole. */
#define RXBATCH_SLOT_SIZE 2048

/** Takes one frame read (valid only during the call). */
typedef void (*rxbatch_frame_fn)(void *arg, const u8_t *frame, u32_t len);

/** A batch; fields are private to rxbatch.c. */
struct rxbatch {
  struct uringbuf u; /**< the ring; its buffer holds RXBATCH_SLOTS slots */
  u32_t want;     /**< reads the next batch queues */
};

int rxbatch_init(struct rxbatch *b, int fd);
int rxbatch_read(struct rxbatch *b, rxbatch_frame_fn fn, void *arg);
u32_t rxbatch_next(const struct rxbatch *b);
void rxbatch_deinit(struct rxbatch *b);

#endif /* RXBATCH_H */
