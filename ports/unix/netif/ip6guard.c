/**
 * @file
 * IPv6 address guard of the tap netif (see ip6guard.h).
 */
#include "ip6guard.h"

#include "ipstr.h"

#include "lwip/ip6_addr.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/icmp6.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip6.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/** Offsets: Ethernet type; IPv6 next header; ICMPv6 type and the
 *  advertisement's target address. */
#define IG_ETH_TYPE  12
#define IG_IP6_NEXT  6
#define IG_NA_TARGET 8
#define IG_NA_LEN    24

/** sys_timeout callback: re-create every address lwIP declared duplicate. */
static void
ip6guard_tick(void *arg)
{
  struct ip6guard *g = (struct ip6guard *)arg;
  char a[IP6ADDR_STRLEN_MAX];
  s8_t i;

  for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
    if (ip6_addr_isduplicated(netif_ip6_addr_state(g->netif, i))) {
      ipstr_ip6(netif_ip6_addr(g->netif, i), a, sizeof(a));
      printf("minimal: IPv6 %s was declared a duplicate (a neighbour advertised it during "
             "duplicate address detection); re-creating it, detection runs again\n", a);
      fflush(stdout);
      netif_ip6_addr_set_state(g->netif, i, IP6_ADDR_TENTATIVE);
      g->recreated++;
    }
  }
  sys_timeout(IP6GUARD_RETRY_MS, ip6guard_tick, g);
}

/** Guard netif's addresses from now on; core thread. */
void
ip6guard_start(struct ip6guard *g, struct netif *netif)
{
  LWIP_ASSERT_CORE_LOCKED();
  memset(g, 0, sizeof(*g));
  g->netif = netif;
  g->running = 1;
  sys_timeout(IP6GUARD_RETRY_MS, ip6guard_tick, g);
}

/** Stop the periodic check; core thread. */
void
ip6guard_stop(struct ip6guard *g)
{
  LWIP_ASSERT_CORE_LOCKED();
  if (g->running) {
    sys_untimeout(ip6guard_tick, g);
    g->running = 0;
  }
}

/**
 * Look at one received frame before lwIP does; core thread.
 * @param frame the whole Ethernet frame
 * @param len   its length
 * @return 1: give it to lwIP; 0: drop it (a neighbour advertisement naming
 *         one of our valid addresses as its target)
 */
int
ip6guard_input(struct ip6guard *g, const u8_t *frame, u16_t len)
{
  const u8_t *icmp = frame + SIZEOF_ETH_HDR + IP6_HLEN;
  ip6_addr_t target;
  char a[IP6ADDR_STRLEN_MAX];
  s8_t i;

  LWIP_ASSERT_CORE_LOCKED();
  if (g->netif == NULL || len < SIZEOF_ETH_HDR + IP6_HLEN + IG_NA_LEN ||
      ((frame[IG_ETH_TYPE] << 8) | frame[IG_ETH_TYPE + 1]) != ETHTYPE_IPV6 ||
      frame[SIZEOF_ETH_HDR + IG_IP6_NEXT] != IP6_NEXTH_ICMP6 || icmp[0] != ICMP6_TYPE_NA) {
    return 1;
  }
  memcpy(target.addr, icmp + IG_NA_TARGET, sizeof(target.addr));
  ip6_addr_clear_zone(&target);
  for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
    if (ip6_addr_isvalid(netif_ip6_addr_state(g->netif, i)) &&
        ip6_addr_cmp_zoneless(&target, netif_ip6_addr(g->netif, i))) {
      g->defended++;
      if (g->defended == 1 || sys_now() - g->logged_ms >= 1000) {
        g->logged_ms = sys_now();
        ipstr_ip6(&target, a, sizeof(a));
        printf("minimal: IPv6 %s: a neighbour advertisement from %02x:%02x:%02x:%02x:%02x:%02x "
               "claims it; we own it (past duplicate address detection) and keep it "
               "(%" PRIu32 " such advertisements dropped)\n", a, frame[6], frame[7], frame[8],
               frame[9], frame[10], frame[11], g->defended);
        fflush(stdout);
      }
      return 0;
    }
  }
  return 1;
}

/** Add the counters to c as group "ip6guard"; core thread. */
void
ip6guard_counters(const struct ip6guard *g, struct counters *c)
{
  counters_group(c, "ip6guard");
  counters_add(c, "defended", g->defended);
  counters_add(c, "recreated", g->recreated);
}
