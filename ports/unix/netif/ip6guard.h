/**
 * @file
 * Keeps the tap netif's IPv6 addresses against forged neighbour
 * advertisements.
 *
 * lwIP 2.1.3's nd6 marks an address of ours duplicate when any neighbour
 * advertisement to a multicast address names it, even one that passed
 * duplicate address detection long ago, and nothing ever brings it back:
 * one forged datagram ends IPv6 for good. Two defences, both logged:
 *
 * - an advertisement naming an address of ours that is already valid (not
 *   tentative) is dropped before lwIP sees it: RFC 4862 lets a node that
 *   owns an address keep it, and only a tentative address fails DAD;
 * - an address lwIP marked duplicate anyway (an advertisement during its
 *   detection, the first second) is made tentative again after
 *   IP6GUARD_RETRY_MS, so detection runs again and the address comes back
 *   once nobody claims it.
 */
#ifndef IP6GUARD_H
#define IP6GUARD_H

#include "counters.h"
#include "lwip/netif.h"

/** How often duplicate addresses are looked for and re-created (ms). */
#define IP6GUARD_RETRY_MS 1000

/** State of one netif's guard; fields private to ip6guard.c. */
struct ip6guard {
  struct netif *netif;
  u32_t defended;   /**< advertisements of our valid addresses dropped */
  u32_t recreated;  /**< addresses made tentative again after a duplicate verdict */
  u32_t logged_ms;  /**< sys_now() of the last "defended" log line */
  u8_t running;
};

void ip6guard_start(struct ip6guard *g, struct netif *netif);
void ip6guard_stop(struct ip6guard *g);
int ip6guard_input(struct ip6guard *g, const u8_t *frame, u16_t len);
void ip6guard_counters(const struct ip6guard *g, struct counters *c);

#endif /* IP6GUARD_H */
