/**
 * @file
 * Received frames from a driver thread to lwIP's core thread, in bursts
 * (see rxring.h for why).
 *
 * head, tail, scheduled and waiting are shared between the two threads and
 * accessed only with sequentially consistent atomics: a frame put just as
 * the core thread finishes a drain is then seen either by that drain or by
 * the next one the producer schedules, and a producer going to sleep on a
 * full ring either sees the room the core thread made or is woken by it.
 */
#include "rxring.h"

#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define RXRING_MASK (RXRING_SIZE - 1)

/** When tcpip_thread's mailbox is full, the drain message is posted again
 *  this much later (ms), by the producer or by the core thread. */
#define RXRING_RETRY_MS 1

#define RXRING_LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define RXRING_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define RXRING_XCHG(x, v) __atomic_exchange_n(&(x), (v), __ATOMIC_SEQ_CST)

static void
rxring_wake_producer(struct rxring *ring)
{
  u64_t one = 1;

  if (RXRING_LOAD(ring->waiting) != 0 && RXRING_XCHG(ring->waiting, 0) != 0) {
    /* Fails only when the counter is full, i.e. a wake-up is pending anyway. */
    ssize_t n = write(ring->room_fd, &one, sizeof(one));
    LWIP_UNUSED_ARG(n);
  }
}

/**
 * Core thread: queue the drain message for frames still in the ring, or,
 * while tcpip_thread's mailbox is full, try again a millisecond later (the
 * producer may be asleep and put nothing that would schedule it).
 */
static void
rxring_retry(void *arg)
{
  struct rxring *ring = (struct rxring *)arg;

  if (!ring->closed && rxring_kick(ring) != ERR_OK) {
    sys_timeout(RXRING_RETRY_MS, rxring_retry, ring);
  }
}

/**
 * Hands up to RXRING_BUDGET frames to lwIP, wakes a waiting producer once
 * half the ring is free, and queues the drain message behind the mailbox's
 * other messages if frames are left. Core lock held.
 */
static void
rxring_deliver(struct rxring *ring)
{
  u32_t tail = ring->tail;
  u32_t n;

  for (n = 0; n < RXRING_BUDGET && tail != RXRING_LOAD(ring->head); n++) {
    struct pbuf *p = ring->slot[tail & RXRING_MASK];

    RXRING_STORE(ring->tail, ++tail);
    ring->input(p, ring->arg);
  }
  if (RXRING_LOAD(ring->head) - tail <= RXRING_SIZE / 2) {
    rxring_wake_producer(ring);
  }
  if (tail != RXRING_LOAD(ring->head)) {
    rxring_retry(ring);
  }
}

/** The drain message, run by tcpip_thread. */
static void
rxring_drain(void *arg)
{
  struct rxring *ring = (struct rxring *)arg;

  LWIP_ASSERT_CORE_LOCKED();
  RXRING_STORE(ring->scheduled, 0);
  if (ring->closed) {
    tcpip_callbackmsg_delete(ring->msg);
    ring->msg = NULL;
    return;
  }
  rxring_deliver(ring);
}

/**
 * Producer thread, holding the core lock (corecall.h): deliver what the
 * ring holds now, as a drain would, without a message to tcpip_thread.
 * Frames beyond RXRING_BUDGET are left to a drain message, so one call
 * never holds the lock for longer than a drain does.
 */
void
rxring_drain_here(struct rxring *ring)
{
  LWIP_ASSERT_CORE_LOCKED();
  if (!ring->closed) {
    rxring_deliver(ring);
  }
}

/**
 * Frames queued with no drain message on its way for them (0 while one is
 * queued or running); any thread. Few such frames are cheaper delivered by
 * the producer itself (rxring_drain_here()) than by waking tcpip_thread.
 */
u32_t
rxring_unscheduled(const struct rxring *ring)
{
  if (RXRING_LOAD(ring->scheduled) != 0) {
    return 0;
  }
  return RXRING_LOAD(ring->head) - RXRING_LOAD(ring->tail);
}

/**
 * Set up an empty ring; call in the core thread (the drain message is
 * allocated from lwIP's memory), before the producer starts.
 * @param input where drained frames go, in the core thread
 * @param arg passed to input
 * @return ERR_OK, or ERR_MEM (no message or no eventfd)
 */
err_t
rxring_init(struct rxring *ring, rxring_input_fn input, void *arg)
{
  LWIP_ASSERT_CORE_LOCKED();
  ring->head = 0;
  ring->tail = 0;
  ring->scheduled = 0;
  ring->waiting = 0;
  ring->closed = 0;
  ring->full_waits = 0;
  ring->input = input;
  ring->arg = arg;
  ring->room_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ring->room_fd < 0) {
    return ERR_MEM;
  }
  ring->msg = tcpip_callbackmsg_new(rxring_drain, ring);
  if (ring->msg == NULL) {
    close(ring->room_fd);
    ring->room_fd = -1;
    return ERR_MEM;
  }
  return ERR_OK;
}

/**
 * Make sure a drain of what the ring holds is on its way; producer thread.
 * @return ERR_OK, or ERR_WOULDBLOCK when tcpip_thread's mailbox is full:
 *         call again before sleeping for long
 */
err_t
rxring_kick(struct rxring *ring)
{
  if (RXRING_LOAD(ring->head) == RXRING_LOAD(ring->tail) || RXRING_LOAD(ring->scheduled) != 0 ||
      RXRING_XCHG(ring->scheduled, 1) != 0) {
    return ERR_OK;
  }
  if (tcpip_callbackmsg_trycallback(ring->msg) != ERR_OK) {
    RXRING_STORE(ring->scheduled, 0);
    return ERR_WOULDBLOCK;
  }
  return ERR_OK;
}

/**
 * Queue one frame for the core thread; producer thread. A drain is
 * scheduled (unless one is pending) once half the ring waits; for fewer,
 * the producer delivers them itself (rxring_drain_here()) or calls
 * rxring_kick() when it has no more frames at hand, so that a burst read
 * from the device costs the core thread at most one wake-up, not one per
 * frame (if the mailbox is full, the next rxring_kick() schedules it).
 * @return ERR_OK (the ring owns p now), or ERR_MEM when the ring is full
 *         (p still the caller's: rxring_wait_room(), then try again)
 */
err_t
rxring_put(struct rxring *ring, struct pbuf *p)
{
  u32_t head = ring->head;

  if (head - RXRING_LOAD(ring->tail) >= RXRING_SIZE) {
    __atomic_fetch_add(&ring->full_waits, 1, __ATOMIC_RELAXED);
    return ERR_MEM;
  }
  ring->slot[head & RXRING_MASK] = p;
  RXRING_STORE(ring->head, head + 1);
  if (head + 1 - RXRING_LOAD(ring->tail) >= RXRING_SIZE / 2) {
    rxring_kick(ring);
  }
  return ERR_OK;
}

/**
 * Sleep until the ring is no longer full (the core thread wakes us when it
 * is half empty) or stop_fd is readable; producer thread.
 * @return 0 there is room, ECANCELED when stop_fd became readable, or the
 *         errno of a failed poll or read (the POSIX side's convention)
 */
int
rxring_wait_room(struct rxring *ring, int stop_fd)
{
  struct pollfd fds[2];
  u64_t count;

  fds[0].fd = ring->room_fd;
  fds[0].events = POLLIN;
  fds[1].fd = stop_fd;
  fds[1].events = POLLIN;
  for (;;) {
    int timeout;

    RXRING_STORE(ring->waiting, 1);
    if (ring->head - RXRING_LOAD(ring->tail) < RXRING_SIZE) {
      RXRING_STORE(ring->waiting, 0);
      return 0;
    }
    timeout = rxring_kick(ring) == ERR_OK ? -1 : RXRING_RETRY_MS;
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) {
      return errno;
    }
    if (fds[1].revents != 0) {
      return ECANCELED;
    }
    if (fds[0].revents != 0 && read(ring->room_fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
      return errno;
    }
  }
}

/**
 * Free the frames still queued and stop delivering; call in the core
 * thread once the producer has stopped. A drain already in the mailbox
 * frees the message when it runs, so the ring must outlive it.
 */
void
rxring_close(struct rxring *ring)
{
  LWIP_ASSERT_CORE_LOCKED();
  if (ring->closed || ring->msg == NULL) {
    return;
  }
  ring->closed = 1;
  sys_untimeout(rxring_retry, ring);
  while (ring->tail != ring->head) {
    pbuf_free(ring->slot[ring->tail & RXRING_MASK]);
    ring->tail++;
  }
  if (!RXRING_LOAD(ring->scheduled)) {
    tcpip_callbackmsg_delete(ring->msg);
    ring->msg = NULL;
  }
  close(ring->room_fd);
  ring->room_fd = -1;
}

/** Times the producer found the ring full (any thread). */
u32_t
rxring_full_waits(const struct rxring *ring)
{
  return __atomic_load_n(&ring->full_waits, __ATOMIC_RELAXED);
}
