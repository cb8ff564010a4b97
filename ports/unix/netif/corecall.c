/**
 * @file
 * lwIP work done by a driver thread under the core lock, waking
 * tcpip_thread only for a timer it would otherwise serve late (see
 * corecall.h).
 */
#include "corecall.h"

#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"

/** The earliest timer's sys_now() time relative to now, as a signed
 *  distance: an absent timer is as far as a u32_t goes. */
static u32_t
corecall_next_timer(u32_t now)
{
  u32_t sleep = sys_timeouts_sleeptime();

  return sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? now + 0x7fffffffUL : now + sleep;
}

/** The wake-up message's function: the message alone is the point, since
 *  tcpip_thread recomputes its sleep after each one. */
static void
corecall_wake(void *arg)
{
  LWIP_UNUSED_ARG(arg);
}

/** Zero the counters; any thread, before the first corecall_run(). */
void
corecall_init(struct corecall *cc)
{
  cc->runs = 0;
  cc->timers = 0;
  cc->wakes = 0;
  cc->wake_full = 0;
}

/**
 * Run fn(arg) under the core lock in the calling thread, which must not
 * hold it (nor be tcpip_thread), then the timers that are due, as
 * tcpip_thread does after each message (a timer fn armed for "now", such
 * as a flush once a burst is in, runs here, not after a wake-up), then
 * done(arg); and wake tcpip_thread if all that armed a timer earlier than
 * every one before. A full mailbox needs no wake-up: tcpip_thread has
 * messages to handle and recomputes its sleep after each.
 * @param fn the lwIP work, e.g. frames into ethernet_input()
 * @param done what follows the timers (NULL: nothing), e.g. sending
 * @param arg passed to fn and done
 */
void
corecall_run(struct corecall *cc, corecall_fn fn, corecall_fn done, void *arg)
{
  u32_t before, after;

  LOCK_TCPIP_CORE();
  cc->runs++;
  before = corecall_next_timer(sys_now());
  fn(arg);
  if (sys_timeouts_sleeptime() == 0) {
    cc->timers++;
    sys_check_timeouts();
  }
  if (done != NULL) {
    done(arg);
  }
  after = corecall_next_timer(sys_now());
  if ((s32_t)(after - before) < 0) {
    cc->wakes++;
    if (tcpip_try_callback(corecall_wake, NULL) != ERR_OK) {
      cc->wake_full++;
    }
  }
  UNLOCK_TCPIP_CORE();
}
