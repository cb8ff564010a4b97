/**
 * @file
 * Check tests of the receive ring (ports/unix/netif/rxring.c): a producer
 * thread hands numbered frames to the lwIP core thread as tapif's reader
 * does. Every frame must arrive exactly once and in order, also when the
 * core thread stalls and the ring fills, and when tcpip_thread's mailbox is
 * full as a drain ends; a stop while waiting for room and
 * rxring_close() must leave nothing allocated (the sanitizer build of this
 * test checks for leaks).
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "corecall.h"
#include "rxring.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "checkmain.h"
#include "checktcpip.h"

/** Frames of the ordering test: many times the ring. */
#define T_FRAMES 200000
/** The core thread stalls at this frame, so the ring fills up. */
#define T_STALL_AT 1000
#define T_STALL_US 20000

static struct rxring t_ring;
static int t_stop_fd;

/* Core thread only. */
static u32_t t_next;
static u32_t t_bad;

/* Producer thread's result: 0 all put, 1 stopped, or an errno value. */
static int t_producer_result;
static u32_t t_put;

static void
t_input(struct pbuf *p, void *arg)
{
  u32_t seq;

  LWIP_UNUSED_ARG(arg);
  memcpy(&seq, p->payload, sizeof(seq));
  if (seq != t_next) {
    t_bad++;
  }
  t_next = seq + 1;
  pbuf_free(p);
  if (t_next == T_STALL_AT) {
    usleep(T_STALL_US);
  }
}

static void
t_setup(void)
{
  err_t err;

  checktcpip_start();
  t_next = 0;
  t_bad = 0;
  t_put = 0;
  t_producer_result = -1;
  t_stop_fd = eventfd(0, EFD_CLOEXEC);
  ck_assert_int_ge(t_stop_fd, 0);
  LOCK_TCPIP_CORE();
  err = rxring_init(&t_ring, t_input, NULL);
  UNLOCK_TCPIP_CORE();
  ck_assert_int_eq(err, ERR_OK);
}

static void
t_teardown(void)
{
  close(t_stop_fd);
}

/* Puts frames 0..n-1 as tapif_reader() does; waits for room when full.
   A failure leaves its errno (or ECANCELED) in t_producer_result. */
static void
t_producer_put(u32_t n)
{
  u32_t i;

  for (i = 0; i < n; i++) {
    struct pbuf *p = pbuf_alloc(PBUF_RAW, sizeof(i), PBUF_RAM);

    if (p == NULL) {
      t_producer_result = ENOMEM;
      return;
    }
    memcpy(p->payload, &i, sizeof(i));
    while (rxring_put(&t_ring, p) != ERR_OK) {
      int r = rxring_wait_room(&t_ring, t_stop_fd);

      if (r != 0) {
        pbuf_free(p);
        t_producer_result = r;
        return;
      }
    }
    __atomic_store_n(&t_put, i + 1, __ATOMIC_SEQ_CST);
  }
}

static void *
t_producer(void *arg)
{
  u32_t n = *(const u32_t *)arg;

  t_producer_put(n);
  if (__atomic_load_n(&t_put, __ATOMIC_SEQ_CST) != n) {
    return NULL;
  }
  while (rxring_kick(&t_ring) != ERR_OK) {
    usleep(1000);
  }
  t_producer_result = 0;
  return NULL;
}

/* The core thread's count of frames received, read under the core lock. */
static u32_t
t_received(void)
{
  u32_t n;

  LOCK_TCPIP_CORE();
  n = t_next;
  UNLOCK_TCPIP_CORE();
  return n;
}

START_TEST(test_order_through_full_ring)
{
  pthread_t th;
  u32_t n = T_FRAMES;
  int waited;

  ck_assert_int_eq(pthread_create(&th, NULL, t_producer, &n), 0);
  for (waited = 0; waited < 30000 && t_received() < n; waited++) {
    usleep(1000);
  }
  pthread_join(th, NULL);
  ck_assert_int_eq(t_producer_result, 0);
  ck_assert_uint_eq(t_received(), n);
  ck_assert_uint_eq(t_bad, 0);
  /* The stall at T_STALL_AT (20 ms) is far longer than 256 frames take. */
  ck_assert_uint_gt(rxring_full_waits(&t_ring), 0);
  LOCK_TCPIP_CORE();
  rxring_close(&t_ring);
  UNLOCK_TCPIP_CORE();
}
END_TEST

/* The core thread is held (the test owns the core lock), the producer
   fills the ring and waits for room; told to stop, it gives its frame back,
   and rxring_close() frees the ring's frames and, once the pending drain
   runs, its message. */
START_TEST(test_stop_while_full_then_close)
{
  pthread_t th;
  u32_t n = 10 * RXRING_SIZE;
  u64_t one = 1;
  int waited;

  LOCK_TCPIP_CORE();
  ck_assert_int_eq(pthread_create(&th, NULL, t_producer, &n), 0);
  for (waited = 0; waited < 10000 && rxring_full_waits(&t_ring) == 0; waited++) {
    usleep(1000);
  }
  ck_assert_uint_gt(rxring_full_waits(&t_ring), 0);
  ck_assert_uint_eq(__atomic_load_n(&t_put, __ATOMIC_SEQ_CST), RXRING_SIZE);
  ck_assert_int_eq(write(t_stop_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
  pthread_join(th, NULL);
  ck_assert_int_eq(t_producer_result, ECANCELED);
  rxring_close(&t_ring);
  UNLOCK_TCPIP_CORE();
  /* Let the drain that was queued run: it frees the message, delivers nothing. */
  for (waited = 0; waited < 100; waited++) {
    usleep(1000);
  }
  ck_assert_uint_eq(t_received(), 0);
}
END_TEST

static u32_t t_dummies;

static void
t_dummy(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  t_dummies++;
}

/* tcpip_thread's mailbox is full when a drain ends with frames left (the
   drain message was taken out before the test filled the mailbox): the
   drain cannot queue itself again, and the producer, done, will not; the
   core thread's retry a millisecond later must deliver the rest. */
START_TEST(test_mailbox_full_after_drain)
{
  pthread_t th;
  u32_t n = 200, posted = 0;
  int waited;

  LOCK_TCPIP_CORE();
  ck_assert_int_eq(pthread_create(&th, NULL, t_producer, &n), 0);
  pthread_join(th, NULL);
  ck_assert_int_eq(t_producer_result, 0);
  /* tcpip_thread takes the drain message out, then waits for the lock. */
  usleep(50000);
  while (posted < 10000 && tcpip_try_callback(t_dummy, NULL) == ERR_OK) {
    posted++;
  }
  UNLOCK_TCPIP_CORE();
  /* Full, with frames to go after the first drain (at most RXRING_BUDGET). */
  ck_assert_uint_lt(posted, 10000);
  for (waited = 0; waited < 5000 && t_received() < n; waited++) {
    usleep(1000);
  }
  ck_assert_uint_eq(t_received(), n);
  ck_assert_uint_eq(t_bad, 0);
  LOCK_TCPIP_CORE();
  ck_assert_uint_eq(t_dummies, posted);
  rxring_close(&t_ring);
  UNLOCK_TCPIP_CORE();
}
END_TEST

static void
t_drain_here(void *arg)
{
  rxring_drain_here((struct rxring *)arg);
}

/* A short burst, not kicked: the producer sees it unscheduled and delivers
   it itself under the core lock, in order, with no drain message. */
START_TEST(test_short_burst_delivered_here)
{
  struct corecall cc;
  u32_t n = 5;

  corecall_init(&cc);
  ck_assert_uint_lt(n, RXRING_BUDGET);
  t_producer_put(n);
  ck_assert_uint_eq(rxring_unscheduled(&t_ring), n);
  corecall_run(&cc, t_drain_here, NULL, &t_ring);
  ck_assert_uint_eq(rxring_unscheduled(&t_ring), 0);
  ck_assert_uint_eq(t_received(), n);
  ck_assert_uint_eq(t_bad, 0);
  LOCK_TCPIP_CORE();
  rxring_close(&t_ring);
  UNLOCK_TCPIP_CORE();
}
END_TEST

static Suite *
rxring_suite(void)
{
  Suite *s = suite_create("rxring");
  TCase *tc = tcase_create("handoff");

  tcase_add_checked_fixture(tc, t_setup, t_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_order_through_full_ring);
  tcase_add_test(tc, test_stop_while_full_then_close);
  tcase_add_test(tc, test_mailbox_full_after_drain);
  tcase_add_test(tc, test_short_burst_delivered_here);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(rxring_suite());
}
