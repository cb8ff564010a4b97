/**
 * @file
 * The client's one clock: CLOCK_MONOTONIC, so that RTTs and KCP timers do not
 * jump with the wall clock. Microseconds for measuring, milliseconds (wrapping
 * IUINT32, as KCP expects) for the engine.
 */
#ifndef KCPC_CLOCK_H
#define KCPC_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Monotonic time in microseconds. */
static inline uint64_t
kcpc_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/** The KCP clock: monotonic milliseconds, wrapping at 2^32. */
static inline uint32_t
kcpc_ms(uint64_t us)
{
  return (uint32_t)(us / 1000u);
}

#endif /* KCPC_CLOCK_H */
