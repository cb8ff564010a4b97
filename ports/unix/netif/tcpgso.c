/**
 * @file
 * TCP segmentation offload toward the host (see tcpgso.h for why and for
 * the rules).
 */
#include "tcpgso.h"

#include "lwip/def.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"

#include <endian.h>
#include <linux/virtio_net.h>
#include <string.h>

_Static_assert(TCPGSO_HDR_LEN == sizeof(struct virtio_net_hdr), "TCPGSO_HDR_LEN is the virtio-net header");

/** Ethernet, IPv4 without options and TCP headers of a frame (the TCP
 *  header's options included), when the frame is a segment GRO would
 *  take; its length is then at least headers. */
struct tcpgso_seg {
  struct ip_hdr *ip;
  struct tcp_hdr *tcp;
  u16_t headers;   /**< Ethernet + IP + TCP */
  u16_t payload;   /**< bytes after them */
};

/** Flags (all eight, ECE and CWR included) a segment may not carry to be
 *  merged; PSH only ends a frame. */
#define TCPGSO_NO_FLAGS (TCP_FIN | TCP_SYN | TCP_RST | TCP_URG | TCP_ECE | TCP_CWR)

/** Parse frame (len bytes) as a mergeable segment into seg.
 *  @return 1 if it is one, 0 if not */
static int
tcpgso_parse(u8_t *frame, u16_t len, struct tcpgso_seg *seg)
{
  const struct eth_hdr *eth = (const struct eth_hdr *)frame;
  u16_t tcp_len;
  u8_t flags;

  if (len < SIZEOF_ETH_HDR + IP_HLEN + TCP_HLEN || eth->type != PP_HTONS(ETHTYPE_IP)) {
    return 0;
  }
  seg->ip = (struct ip_hdr *)(frame + SIZEOF_ETH_HDR);
  if (IPH_V(seg->ip) != 4 || IPH_HL_BYTES(seg->ip) != IP_HLEN || IPH_PROTO(seg->ip) != IP_PROTO_TCP ||
      (IPH_OFFSET(seg->ip) & PP_HTONS(IP_MF | IP_OFFMASK)) != 0 ||
      lwip_ntohs(IPH_LEN(seg->ip)) != len - SIZEOF_ETH_HDR) {
    return 0;
  }
  seg->tcp = (struct tcp_hdr *)(frame + SIZEOF_ETH_HDR + IP_HLEN);
  tcp_len = TCPH_HDRLEN_BYTES(seg->tcp);
  flags = (u8_t)lwip_ntohs(seg->tcp->_hdrlen_rsvd_flags);
  if (tcp_len < TCP_HLEN || (flags & TCP_ACK) == 0 || (flags & TCPGSO_NO_FLAGS) != 0) {
    return 0;
  }
  seg->headers = (u16_t)(SIZEOF_ETH_HDR + IP_HLEN + tcp_len);
  if (seg->headers > len) {
    return 0;
  }
  seg->payload = (u16_t)(len - seg->headers);
  return 1;
}

/** Whether segment b may follow the frame a holds (gso_size so far, 0 if
 *  a is a single segment): the rules in tcpgso.h. */
static int
tcpgso_continues(const u8_t *fa, const struct tcpgso_seg *a, u16_t gso_size,
                 const u8_t *fb, const struct tcpgso_seg *b)
{
  u16_t first = gso_size != 0 ? gso_size : a->payload;

  return a->headers == b->headers && first != 0 && a->payload % first == 0 &&
         b->payload != 0 && b->payload <= first &&
         (TCPH_FLAGS(a->tcp) & TCP_PSH) == 0 &&
         memcmp(fa, fb, SIZEOF_ETH_HDR) == 0 &&
         IPH_TOS(a->ip) == IPH_TOS(b->ip) && IPH_TTL(a->ip) == IPH_TTL(b->ip) &&
         memcmp(&a->ip->src, &b->ip->src, 2 * sizeof(a->ip->src)) == 0 &&
         a->tcp->src == b->tcp->src && a->tcp->dest == b->tcp->dest &&
         a->tcp->ackno == b->tcp->ackno && a->tcp->wnd == b->tcp->wnd &&
         memcmp(a->tcp + 1, b->tcp + 1, (size_t)(a->headers - SIZEOF_ETH_HDR - IP_HLEN - TCP_HLEN)) == 0 &&
         lwip_ntohl(b->tcp->seqno) == lwip_ntohl(a->tcp->seqno) + a->payload;
}

/** The frame's TCP checksum field as offloaded frames carry it: the sum
 *  of the pseudo header alone, not complemented. */
static u16_t
tcpgso_pseudo_sum(const struct ip_hdr *ip, u16_t tcp_len)
{
  u8_t ph[12];

  memcpy(ph, &ip->src, 8);
  ph[8] = 0;
  ph[9] = IP_PROTO_TCP;
  ph[10] = (u8_t)(tcp_len >> 8);
  ph[11] = (u8_t)tcp_len;
  return (u16_t)~inet_chksum(ph, sizeof(ph));
}

/** A header for a frame that goes as it is (no offload): all zero. */
void
tcpgso_hdr_plain(u8_t *hdr)
{
  memset(hdr, 0, TCPGSO_HDR_LEN);
}

/**
 * Append segment p to the frame in slot when it continues it (tcpgso.h),
 * making the frame a GSO frame.
 * @param slot the frame's virtio-net header (TCPGSO_HDR_LEN bytes), then
 *        the frame
 * @param len the frame's length; grows by p's payload when merged
 * @param room most bytes the frame may grow to
 * @param p a frame lwIP sent (one pbuf: a chain is never merged); the
 *        caller keeps it
 * @return 1 when p's payload is now in the frame, 0 when p goes alone
 */
int
tcpgso_merge(u8_t *slot, u16_t *len, u16_t room, const struct pbuf *p)
{
  u8_t *frame = slot + TCPGSO_HDR_LEN;
  struct virtio_net_hdr vh;
  struct tcpgso_seg a, b;
  u16_t gso_size;

  if (p->next != NULL || p->len > room - *len || !tcpgso_parse(frame, *len, &a) ||
      !tcpgso_parse((u8_t *)p->payload, p->len, &b)) {
    return 0;
  }
  memcpy(&vh, slot, sizeof(vh));
  gso_size = vh.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? le16toh(vh.gso_size) : 0;
  if (!tcpgso_continues(frame, &a, gso_size, (const u8_t *)p->payload, &b) ||
      *len + b.payload - SIZEOF_ETH_HDR > 0xffff) {
    return 0;
  }
  if (gso_size == 0) {
    gso_size = a.payload;
  }
  memcpy(frame + *len, (const u8_t *)p->payload + b.headers, b.payload);
  *len = (u16_t)(*len + b.payload);
  IPH_LEN_SET(a.ip, lwip_htons((u16_t)(*len - SIZEOF_ETH_HDR)));
  IPH_CHKSUM_SET(a.ip, 0);
  IPH_CHKSUM_SET(a.ip, inet_chksum(a.ip, IP_HLEN));
  TCPH_SET_FLAG(a.tcp, TCPH_FLAGS(b.tcp) & TCP_PSH);
  a.tcp->chksum = tcpgso_pseudo_sum(a.ip, (u16_t)(*len - SIZEOF_ETH_HDR - IP_HLEN));
  vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.hdr_len = htole16(a.headers);
  vh.gso_size = htole16(gso_size);
  vh.csum_start = htole16(SIZEOF_ETH_HDR + IP_HLEN);
  vh.csum_offset = htole16(offsetof(struct tcp_hdr, chksum));
  memcpy(slot, &vh, sizeof(vh));
  return 1;
}
