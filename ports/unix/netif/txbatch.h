/**
 * @file
 * Frames written to a device in batches, one system call per batch
 * (io_uring, liburing).
 *
 * On a tap, a write(2) per frame costs more in entering and leaving the
 * kernel than the kernel's own work on the frame, the more so in a virtual
 * machine. Here the sending thread copies each frame into a slot of a
 * preallocated, registered buffer and queues its write; txbatch_submit()
 * hands every queued write to the kernel in one io_uring_enter(2) and
 * collects the results. On a non-blocking descriptor the kernel writes the
 * frames in order before that call returns.
 *
 * One thread at a time (for a netif: the core thread, or a holder of the
 * core lock). Where io_uring is unavailable (old kernel, disabled by
 * sysctl or seccomp) txbatch_init() fails and the caller writes each frame
 * itself, as before.
 */
#ifndef TXBATCH_H
#define TXBATCH_H

#include "lwip/arch.h"
#include "lwip/pbuf.h"
#include "uringbuf.h"

/** Frames one batch holds; a full batch is submitted before it takes more. */
#define TXBATCH_SLOTS 64

/** Bytes of one slot: an Ethernet frame with a VLAN tag fits. */
#define TXBATCH_SLOT_SIZE 1536

/** What became of the frames of one submission. */
struct txbatch_result {
  u32_t frames;  /**< written in full */
  u64_t bytes;   /**< bytes of those frames */
  u32_t errors;  /**< failed or written short */
};

/** A batch; fields are private to txbatch.c. */
struct txbatch {
  struct uringbuf u;           /**< the ring; its buffer holds TXBATCH_SLOTS slots */
  u16_t len[TXBATCH_SLOTS];    /**< length of the frame in each queued slot */
  u32_t queued;                /**< slots queued since the last submission */
  int ready;                   /**< set up, and no submission has failed */
};

int txbatch_init(struct txbatch *b, int fd);
const u8_t *txbatch_put(struct txbatch *b, const struct pbuf *p);
u32_t txbatch_queued(const struct txbatch *b);
int txbatch_ready(const struct txbatch *b);
void txbatch_submit(struct txbatch *b, struct txbatch_result *res);
void txbatch_deinit(struct txbatch *b);

#endif /* TXBATCH_H */
