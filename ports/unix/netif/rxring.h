/**
 * @file
 * Received frames from a driver thread to lwIP's core thread, in bursts
 * (NO_SYS=0).
 *
 * tcpip_inpkt() costs one mailbox message per frame and, when tcpip_thread
 * sleeps, one wake-up per frame; when its mailbox (128 messages) is full, a
 * driver thread can only poll until there is room. Here the driver thread
 * puts frames into a ring of RXRING_SIZE pbufs and one preallocated
 * callback message asks the core thread to drain it: one message and at
 * most one wake-up per burst, however long. A full ring makes the driver
 * thread sleep until the core thread has emptied half of it, so the two do
 * not take turns frame by frame; meanwhile frames back up in the kernel,
 * as behind a NIC whose descriptor ring is full. A producer that holds
 * the core lock may deliver a burst itself instead (rxring_drain_here()):
 * no message, no wake-up; a drain is scheduled without its asking only
 * once half the ring waits.
 *
 * One producer (the driver thread) and one consumer (the core thread); the
 * ring itself needs no lock.
 */
#ifndef RXRING_H
#define RXRING_H

#include "lwip/err.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"

/** Frames the ring holds; a power of two. */
#define RXRING_SIZE 256

/** Frames one drain hands to lwIP before it lets timers and other
 *  messages of the core thread run, and queues itself again. */
#define RXRING_BUDGET 64

/** Where a drained frame goes, in the core thread; it takes ownership. */
typedef void (*rxring_input_fn)(struct pbuf *p, void *arg);

/** Keeps what one thread writes off the other's cache line. */
#define RXRING_CACHELINE 64

/** A ring; fields are private to rxring.c. */
struct rxring {
  struct pbuf *slot[RXRING_SIZE];
  /* written by the producer */
  u32_t head __attribute__((aligned(RXRING_CACHELINE))); /**< next slot to fill */
  u32_t full_waits; /**< times it found the ring full */
  /* written by the core thread */
  u32_t tail __attribute__((aligned(RXRING_CACHELINE))); /**< next slot to drain */
  u8_t closed;     /**< frames are freed, not delivered */
  /* written by both */
  int scheduled __attribute__((aligned(RXRING_CACHELINE))); /**< drain message queued or running */
  int waiting;     /**< the producer sleeps until the ring is half empty */
  /* set once */
  int room_fd __attribute__((aligned(RXRING_CACHELINE))); /**< eventfd that wakes the producer */
  struct tcpip_callback_msg *msg;
  rxring_input_fn input;
  void *arg;
};

err_t rxring_init(struct rxring *ring, rxring_input_fn input, void *arg);
err_t rxring_put(struct rxring *ring, struct pbuf *p);
err_t rxring_kick(struct rxring *ring);
u32_t rxring_unscheduled(const struct rxring *ring);
void rxring_drain_here(struct rxring *ring);
int rxring_wait_room(struct rxring *ring, int stop_fd);
void rxring_close(struct rxring *ring);
u32_t rxring_full_waits(const struct rxring *ring);

#endif /* RXRING_H */
