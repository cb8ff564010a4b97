/**
 * @file
 * lwIP on a virtual clock, for tests and fuzzers: run in the caller's
 * thread with no tcpip thread, a clock the harness sets, and one dual-stack
 * netif (10.0.0.1/24, fd00::1/64, fe80::1) whose wire is the harness
 * itself. A test of a module's timing then runs the same on any machine
 * load, and asserts exact milliseconds. Datagrams are injected as whole
 * IPv4 or IPv6 UDP packets through netif->input, so they take lwIP's real path
 * (ip_input, udp_input, the pcb's recv callback); UDP datagrams lwIP sends
 * come back through a callback.
 *
 * With no tcpip thread ever started, lwIP's core-locking checks pass, and
 * timeouts run only when the harness calls vnetif_advance() (or
 * sys_check_timeouts()). Only addresses of the netif's own are local: lwIP
 * sends a datagram to any other one (say 10.0.0.2) out to the harness, which
 * may inject it back, so two pcbs of the same lwIP can talk through it.
 *
 * lwIP's heap (mem_malloc and friends, which its pools, pbufs and every
 * user of mem_malloc go through) is counted, so a harness can tell whether a
 * module gave back all it took.
 */
#ifndef VNETIF_H
#define VNETIF_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"

#include <stddef.h>

/** A UDP datagram lwIP put on the wire; @p data is valid for the call only. */
typedef void (*vnetif_udp_fn)(void *arg, const ip_addr_t *dst, u16_t dport,
                              u16_t sport, const u8_t *data, u16_t len);

/** Start lwIP and add the netif (default, up). Call once per process (a
    Check test runs each case in a process of its own). */
void vnetif_init(vnetif_udp_fn out, void *arg);
/** Set the clock sys_now() returns, and rebase lwIP's pending timeouts on it. */
void vnetif_set_time(u32_t now);
/** Advance the clock by @p ms and run every lwIP timeout now due. */
void vnetif_advance(u32_t ms);
/** Bytes of lwIP's heap in use now. */
size_t vnetif_heap(void);
/**
 * Make heap allocations fail: bit i of @p mask set fails the i-th next one.
 * lwIP's own timeout records are spared: sys_timeout() asserts when it gets
 * none, as a port sizes that pool never to run dry.
 * @return the mask before the call, so a caller can pause the failures
 */
u32_t vnetif_fail(u32_t mask);
/**
 * Put a UDP datagram from @p src:@p sport to the netif's @p dport on the
 * wire: to 10.0.0.1 from an IPv4 source, to fe80::1 from a link-local one,
 * else to fd00::1.
 */
void vnetif_inject(const ip_addr_t *src, u16_t sport, u16_t dport,
                   const u8_t *data, u16_t len);

#endif /* VNETIF_H */
