/**
 * @file
 * The core thread's watchdog (see watchdog.h).
 */
#include "watchdog.h"

#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/** How often the core thread pets, and the checker looks, in ms: the abort
 *  comes at most about twice this after the limit. */
#define WATCHDOG_TICK_MS 100

static u32_t watchdog_pets;
static u32_t watchdog_limit_ms;
static pthread_t watchdog_thread;

/** sys_timeout callback, core thread: one pet, then the next. */
static void
watchdog_pet(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  __atomic_fetch_add(&watchdog_pets, 1, __ATOMIC_RELAXED);
  sys_timeout(WATCHDOG_TICK_MS, watchdog_pet, NULL);
}

static u64_t
watchdog_now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (u64_t)ts.tv_sec * 1000u + (u64_t)ts.tv_nsec / 1000000u;
}

/** The checker thread: never takes a lock, only reads the counter. */
static void *
watchdog_check(void *arg)
{
  u32_t seen = __atomic_load_n(&watchdog_pets, __ATOMIC_RELAXED);
  u64_t since = watchdog_now_ms();

  LWIP_UNUSED_ARG(arg);
  for (;;) {
    struct timespec tick = {0, WATCHDOG_TICK_MS * 1000000L};
    u32_t now_pets;
    u64_t now;

    nanosleep(&tick, NULL);
    now_pets = __atomic_load_n(&watchdog_pets, __ATOMIC_RELAXED);
    now = watchdog_now_ms();
    if (now_pets != seen) {
      seen = now_pets;
      since = now;
    } else if (now - since >= watchdog_limit_ms) {
      fprintf(stderr, "minimal: watchdog: the lwIP core thread made no progress for %u.%03u s "
              "(limit --watchdog %u); aborting so that a supervisor restarts us\n",
              (unsigned)((now - since) / 1000), (unsigned)((now - since) % 1000),
              (unsigned)(watchdog_limit_ms / 1000));
      abort();
    }
  }
  return NULL;
}

/**
 * Start watching; call once, in the core thread, after the stack is set up.
 * @param limit_sec seconds without a pet before the abort; 0: no watchdog
 * @return ERR_OK, or ERR_MEM when the checker thread cannot be created
 */
err_t
watchdog_start(u32_t limit_sec)
{
  LWIP_ASSERT_CORE_LOCKED();
  if (limit_sec == 0) {
    return ERR_OK;
  }
  watchdog_limit_ms = limit_sec * 1000u;
  sys_timeout(WATCHDOG_TICK_MS, watchdog_pet, NULL);
  if (pthread_create(&watchdog_thread, NULL, watchdog_check, NULL) != 0) {
    return ERR_MEM;
  }
  pthread_detach(watchdog_thread);
  return ERR_OK;
}

/**
 * For testing the watchdog only (./minimal --test-hang, then SIGUSR2):
 * a tcpip_callback function that never returns, so the core thread hangs
 * holding the core lock, as a livelock in the stack would.
 */
void
watchdog_test_hang(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  fprintf(stderr, "minimal: --test-hang: SIGUSR2, the core thread now hangs\n");
  for (;;) {
    sleep(1);
  }
}
