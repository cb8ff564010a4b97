/**
 * @file
 * Check tests of corecall (ports/unix/netif/corecall.c): lwIP work run by
 * another thread under the core lock wakes tcpip_thread exactly when that
 * work armed a timer earlier than tcpip_thread's next one, and otherwise
 * leaves tcpip_thread asleep; a timer due at once runs in the caller. lwIP's own cyclic timers (IGMP and MLD every
 * 100 ms) wake tcpip_thread anyway, so a missed wake-up shows in the
 * counters, not reliably in the timer's lateness.
 */
#include <check.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "checkmain.h"
#include "checktcpip.h"
#include "corecall.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"

/** A timer of the test's, far off, beside lwIP's cyclic ones. */
#define T_FAR_MS 3000
/** The timer the work arms when it should be earlier than that. */
#define T_NEAR_MS 20

static struct corecall t_cc;
static u32_t t_fired_at; /* sys_now() of the test timer, 0 until then */
static u32_t t_far_fired;

static void
t_far(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  t_far_fired++;
}

static void
t_fire(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  t_fired_at = sys_now();
}

static void
t_setup(void)
{
  checktcpip_start();
  corecall_init(&t_cc);
  t_fired_at = 0;
  t_far_fired = 0;
  /* then tcpip_thread sleeps until its earliest timer */
  LOCK_TCPIP_CORE();
  sys_timeout(T_FAR_MS, t_far, NULL);
  UNLOCK_TCPIP_CORE();
  usleep(50000);
}

static void
t_arm_near(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_ASSERT_CORE_LOCKED();
  sys_timeout(T_NEAR_MS, t_fire, NULL);
}

static void
t_arm_late(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  sys_timeout(2 * T_FAR_MS, t_fire, NULL);
}

static void
t_nothing(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_ASSERT_CORE_LOCKED();
}

/* sys_now() under the core lock. */
static u32_t
t_now(void)
{
  u32_t now;

  LOCK_TCPIP_CORE();
  now = sys_now();
  UNLOCK_TCPIP_CORE();
  return now;
}

static u32_t
t_fired(void)
{
  u32_t at;

  LOCK_TCPIP_CORE();
  at = t_fired_at;
  UNLOCK_TCPIP_CORE();
  return at;
}

/* The work arms a timer before any of tcpip_thread's: one wake-up, and the
   timer fires. */
START_TEST(test_earlier_timer_fires_on_time)
{
  u32_t start = t_now();
  int waited;

  corecall_run(&t_cc, t_arm_near, NULL, NULL);
  for (waited = 0; waited < T_FAR_MS && t_fired() == 0; waited++) {
    usleep(1000);
  }
  ck_assert_uint_ne(t_fired(), 0);
  ck_assert_uint_lt(t_fired() - start, T_FAR_MS);
  LOCK_TCPIP_CORE();
  ck_assert_uint_eq(t_cc.runs, 1);
  ck_assert_uint_eq(t_cc.wakes, 1);
  ck_assert_uint_eq(t_far_fired, 0);
  UNLOCK_TCPIP_CORE();
}
END_TEST

/* Work that arms nothing, or a timer after tcpip_thread's, wakes nothing. */
START_TEST(test_no_wake_without_earlier_timer)
{
  corecall_run(&t_cc, t_nothing, NULL, NULL);
  corecall_run(&t_cc, t_arm_late, NULL, NULL);
  LOCK_TCPIP_CORE();
  ck_assert_uint_eq(t_cc.runs, 2);
  ck_assert_uint_eq(t_cc.wakes, 0);
  ck_assert_uint_eq(t_cc.wake_full, 0);
  UNLOCK_TCPIP_CORE();
}
END_TEST

static pthread_t t_fire_thread;
static int t_order; /* 1 the timer ran, 2 then done ran */

static void
t_fire_now(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  t_fire_thread = pthread_self();
  t_order = 1;
}

static void
t_arm_now(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  t_order = 0;
  sys_timeout(0, t_fire_now, NULL);
}

static void
t_done(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  if (t_order == 1) {
    t_order = 2;
  }
}

/* The work arms a timer for now (as the binding does to flush once a burst
   is in): it runs in the calling thread, before done, and wakes nothing. */
START_TEST(test_due_timer_runs_here)
{
  corecall_run(&t_cc, t_arm_now, t_done, NULL);
  LOCK_TCPIP_CORE();
  ck_assert_int_eq(t_order, 2);
  ck_assert(pthread_equal(t_fire_thread, pthread_self()));
  ck_assert_uint_eq(t_cc.timers, 1);
  ck_assert_uint_eq(t_cc.wakes, 0);
  UNLOCK_TCPIP_CORE();
}
END_TEST

static Suite *
corecall_suite(void)
{
  Suite *s = suite_create("corecall");
  TCase *tc = tcase_create("wake");

  tcase_add_checked_fixture(tc, t_setup, NULL);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_earlier_timer_fires_on_time);
  tcase_add_test(tc, test_no_wake_without_earlier_timer);
  tcase_add_test(tc, test_due_timer_runs_here);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(corecall_suite());
}
