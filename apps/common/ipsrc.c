/**
 * @file
 * Source addresses no host may send from (see ipsrc.h).
 */
#include "ipsrc.h"

#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"

#include <string.h>

/** Offsets in an Ethernet frame without VLAN tag. */
#define IPSRC_ETH_SRC      6
#define IPSRC_ETH_TYPE     12
#define IPSRC_L3           SIZEOF_ETH_HDR
/** IPv4 source address, IPv6 next header and source address. */
#define IPSRC_IP4_SRC      12
#define IPSRC_IP6_NEXTHDR  6
#define IPSRC_IP6_SRC      8
#define IPSRC_IP6_HBH      0
#define IPSRC_IP6_ICMP     58

static int
ipsrc_is_bogus4(const ip4_addr_t *a)
{
  struct netif *n;

  if (ip4_addr_isany_val(*a) || ip4_addr_isloopback(a) || ip4_addr_ismulticast(a) ||
      ip4_addr_get_u32(a) == IPADDR_BROADCAST) {
    return 1;
  }
  NETIF_FOREACH(n) {
    if (ip4_addr_cmp(a, netif_ip4_addr(n)) || ip4_addr_isbroadcast(a, n)) {
      return 1;
    }
  }
  return 0;
}

static int
ipsrc_is_bogus6(const ip6_addr_t *a)
{
  struct netif *n;

  if (ip6_addr_isany(a) || ip6_addr_isloopback(a) || ip6_addr_ismulticast(a) ||
      ip6_addr_isipv4mappedipv6(a)) {
    return 1;
  }
  NETIF_FOREACH(n) {
    if (netif_get_ip6_addr_match(n, a) >= 0) {
      return 1;
    }
  }
  return 0;
}

int
ipsrc_is_bogus(const ip_addr_t *src)
{
  if (IP_IS_V6(src)) {
    return ipsrc_is_bogus6(ip_2_ip6(src));
  }
  return ipsrc_is_bogus4(ip_2_ip4(src));
}

int
ipsrc_frame_is_bogus(const u8_t *frame, u16_t len, const u8_t *own_mac)
{
  u16_t type;

  if (len < SIZEOF_ETH_HDR) {
    return 0;
  }
  if (memcmp(frame + IPSRC_ETH_SRC, own_mac, ETH_HWADDR_LEN) == 0) {
    return 1;
  }
  type = (u16_t)((frame[IPSRC_ETH_TYPE] << 8) | frame[IPSRC_ETH_TYPE + 1]);
  if (type == ETHTYPE_IP && len >= IPSRC_L3 + IP_HLEN) {
    ip4_addr_t a;

    memcpy(&a.addr, frame + IPSRC_L3 + IPSRC_IP4_SRC, sizeof(a.addr));
    return ipsrc_is_bogus4(&a);
  }
  if (type == ETHTYPE_IPV6 && len >= IPSRC_L3 + IP6_HLEN) {
    ip6_addr_t a;

    memcpy(a.addr, frame + IPSRC_L3 + IPSRC_IP6_SRC, sizeof(a.addr));
    ip6_addr_clear_zone(&a);
    if (ip6_addr_isany(&a)) {
      /* MLD reports carry a hop-by-hop router alert before the ICMPv6 */
      u8_t next = frame[IPSRC_L3 + IPSRC_IP6_NEXTHDR];

      return next != IPSRC_IP6_ICMP && next != IPSRC_IP6_HBH;
    }
    return ipsrc_is_bogus6(&a);
  }
  return 0;
}
