/**
 * @file
 * Source addresses no host may send from.
 *
 * A datagram "from" one of our own addresses, from loopback, from the
 * unspecified address, or from a broadcast or multicast address was forged:
 * no real host sends it. Answering it is worse than useless: an echo service
 * that replies to a datagram from 192.168.0.2:7 to 192.168.0.2:7 sends the
 * reply to itself, through lwIP's loopback queue, forever (the "land"
 * attack), and one sent from a broadcast address makes us answer a whole
 * subnet. The tap netif drops such frames before lwIP sees them, and the
 * services check again, since lwIP's loopback path bypasses the netif.
 */
#ifndef IPSRC_H
#define IPSRC_H

#include "lwip/arch.h"
#include "lwip/ip_addr.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Is src an address no peer may send from? Ours (any netif's, IPv4 or
 * IPv6, including the loopback netif), loopback, unspecified, limited or
 * subnet-directed broadcast, multicast, IPv4-mapped IPv6. Call in the lwIP
 * core thread (it reads the netif list).
 */
int ipsrc_is_bogus(const ip_addr_t *src);

/**
 * The same test on a raw Ethernet frame before it enters lwIP: an IPv4 or
 * IPv6 packet whose source ipsrc_is_bogus() refuses, or a frame whose
 * Ethernet source is our own MAC. An IPv6 packet from the unspecified
 * address is allowed when it is ICMPv6, directly or behind a hop-by-hop
 * header (duplicate address detection and MLD send from ::). Frames of other types, or too short to tell, pass
 * (lwIP checks their lengths itself). Core thread only.
 * @param frame the whole Ethernet frame
 * @param len its length
 * @param own_mac our 6-byte MAC
 */
int ipsrc_frame_is_bogus(const u8_t *frame, u16_t len, const u8_t *own_mac);

#ifdef __cplusplus
}
#endif

#endif /* IPSRC_H */
