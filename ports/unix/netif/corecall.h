/**
 * @file
 * lwIP work done by a driver thread itself, under the core lock, instead
 * of a message to tcpip_thread (NO_SYS=0 with LWIP_TCPIP_CORE_LOCKING).
 *
 * A message costs a futex wake-up and two context switches of tcpip_thread
 * when it sleeps, which at a paced rate happens for almost every frame.
 * Under the core lock the driver thread may run the frame through lwIP
 * itself; what it must not do is leave tcpip_thread asleep past a timer
 * that the work armed (a KCP flush, a TCP timer): tcpip_thread computed
 * how long to sleep from the timer list as it was. So corecall_run()
 * runs the timers that are due once the work is done, as tcpip_thread
 * does after each message, compares the earliest timer before and after,
 * and wakes tcpip_thread (one empty message) only when it moved earlier.
 *
 * That is enough as long as every thread that arms timers under the core
 * lock, outside tcpip_thread, does so through corecall_run(): tcpip_thread's
 * wake-up time is then never later than the earliest timer.
 */
#ifndef CORECALL_H
#define CORECALL_H

#include "lwip/arch.h"
#include "lwip/err.h"

/** What corecall_run() does; runs under the core lock. */
typedef void (*corecall_fn)(void *arg);

/** Counters of one caller; fields are private to corecall.c (read them
 *  under the core lock). */
struct corecall {
  u32_t runs;       /**< corecall_run() calls */
  u32_t timers;     /**< of those, due timers run by the caller */
  u32_t wakes;      /**< of those, tcpip_thread woken for an earlier timer */
  u32_t wake_full;  /**< a wake-up found the mailbox full (so it was awake) */
};

void corecall_init(struct corecall *cc);
void corecall_run(struct corecall *cc, corecall_fn fn, corecall_fn done, void *arg);

#endif /* CORECALL_H */
