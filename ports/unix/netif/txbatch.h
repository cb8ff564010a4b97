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
 * A device may want a header in front of every frame (a tap opened with
 * IFF_VNET_HDR: its virtio-net header); each slot then holds that
 * headroom, zeroed, before the frame. A merge function given to
 * txbatch_init() may append a frame to the last one queued instead of
 * giving it a slot (for a tap: consecutive TCP segments as one GSO frame,
 * tcpgso.h).
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
#define TXBATCH_SLOTS 16

/** Bytes of one slot: the headroom, then the frame. */
#define TXBATCH_SLOT_SIZE 16384

/** Most bytes written in front of each frame (txbatch_init()). */
#define TXBATCH_HEADROOM_MAX 16

/** Longest frame a slot holds: an Ethernet frame with a VLAN tag fits many
 *  times, so a merge (txbatch_merge_fn) may grow one past the MTU. */
#define TXBATCH_FRAME_MAX (TXBATCH_SLOT_SIZE - TXBATCH_HEADROOM_MAX)

/**
 * Offered the last frame queued and a new one p (one pbuf, never a
 * chain), it may append p to that frame in place.
 * @param slot the frame's headroom, then the frame
 * @param len the frame's length, to update when p is merged
 * @param room most bytes the frame may grow to
 * @return 1 when p is now part of the frame, 0 when p needs its own slot
 */
typedef int (*txbatch_merge_fn)(u8_t *slot, u16_t *len, u16_t room, const struct pbuf *p);

/** What became of the frames of one submission. */
struct txbatch_result {
  u32_t frames;  /**< frames given to txbatch_put() written in full, merged
                      ones included */
  u64_t bytes;   /**< bytes of those frames, as they were given */
  u32_t errors;  /**< frames whose write failed or was short */
  u32_t merged;  /**< of the frames written, those that went inside the one
                      before them (txbatch_merge_fn) */
};

/** A batch; fields are private to txbatch.c. */
struct txbatch {
  struct uringbuf u;           /**< the ring; its buffer holds TXBATCH_SLOTS slots */
  u16_t len[TXBATCH_SLOTS];    /**< length of the frame in each queued slot */
  u16_t frames[TXBATCH_SLOTS]; /**< frames given that the slot holds (merged) */
  u32_t bytes[TXBATCH_SLOTS];  /**< their bytes as given */
  u32_t queued;                /**< slots queued since the last submission */
  u16_t headroom;              /**< bytes written before each frame */
  txbatch_merge_fn merge;      /**< may append a frame to the last one, or NULL */
  int ready;                   /**< set up, and no submission has failed */
};

int txbatch_init(struct txbatch *b, int fd, u16_t headroom, txbatch_merge_fn merge);
const u8_t *txbatch_put(struct txbatch *b, const struct pbuf *p);
u32_t txbatch_queued(const struct txbatch *b);
int txbatch_ready(const struct txbatch *b);
void txbatch_submit(struct txbatch *b, struct txbatch_result *res);
void txbatch_deinit(struct txbatch *b);

#endif /* TXBATCH_H */
