/**
 * @file
 * A watchdog for the lwIP core thread, as an embedded system has one: the
 * core thread pets it from a sys_timeout; a thread of its own checks that
 * it was petted, and when it was not for the limit it aborts the process
 * with a message, so that a supervisor (scripts/relaunch.sh) starts a
 * fresh one. A core thread stuck in a loop keeps the core lock, so nothing
 * that needs that lock (signals handled by ./minimal, the counters) could
 * notice; this needs none.
 */
#ifndef WATCHDOG_H
#define WATCHDOG_H

#include "lwip/err.h"

/** Default limit, seconds (--watchdog). */
#define WATCHDOG_DEFAULT_SEC 10
/** Largest limit, seconds. */
#define WATCHDOG_MAX_SEC 3600

err_t watchdog_start(u32_t limit_sec);
void watchdog_test_hang(void *arg);

#endif /* WATCHDOG_H */
