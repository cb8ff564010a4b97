/**
 * @file
 * Check tests of the tap's TCP segmentation offload
 * (ports/unix/netif/tcpgso.c): consecutive segments of one flow become one
 * frame whose IP header, TCP checksum field and virtio-net header are what
 * the kernel expects of an offloaded frame (the full checksum it would
 * complete equals the one of the merged segment), and every rule that
 * keeps a segment apart does.
 */
#include <check.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "checkmain.h"
#include "tcpgso.h"
#include "lwip/def.h"
#include "lwip/inet_chksum.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"

/** Headers of every test segment: Ethernet, IPv4, TCP without options. */
#define T_HDRS (SIZEOF_ETH_HDR + IP_HLEN + TCP_HLEN)
/** Room of the slot's frame. */
#define T_ROOM 16000

static u8_t t_slot[TCPGSO_HDR_LEN + T_ROOM];
static u16_t t_len;

/** A segment of the test flow (192.168.0.2:7 -> 192.168.0.1:40000) with
 *  sequence number seq, TCP flags and len payload bytes, byte i of the
 *  stream being (u8_t)(seq + i); lwIP's checksums. */
static struct pbuf *
t_seg(u32_t seq, u8_t flags, u16_t len)
{
  struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)(T_HDRS + len), PBUF_RAM);
  u8_t *f;
  struct ip_hdr *ip;
  struct tcp_hdr *tcp;
  ip4_addr_t src, dst;
  u16_t i;

  ck_assert_ptr_nonnull(p);
  f = (u8_t *)p->payload;
  memset(f, 0, T_HDRS);
  memset(f, 0x0a, 6);
  memset(f + 6, 0x02, 6);
  f[12] = 0x08;
  ip = (struct ip_hdr *)(f + SIZEOF_ETH_HDR);
  IPH_VHL_SET(ip, 4, IP_HLEN / 4);
  IPH_LEN_SET(ip, lwip_htons((u16_t)(IP_HLEN + TCP_HLEN + len)));
  IPH_TTL_SET(ip, 255);
  IPH_PROTO_SET(ip, IP_PROTO_TCP);
  IP4_ADDR(&src, 192, 168, 0, 2);
  IP4_ADDR(&dst, 192, 168, 0, 1);
  ip4_addr_copy(ip->src, src);
  ip4_addr_copy(ip->dest, dst);
  IPH_CHKSUM_SET(ip, inet_chksum(ip, IP_HLEN));
  tcp = (struct tcp_hdr *)(f + SIZEOF_ETH_HDR + IP_HLEN);
  tcp->src = PP_HTONS(7);
  tcp->dest = PP_HTONS(40000);
  tcp->seqno = lwip_htonl(seq);
  tcp->ackno = PP_HTONL(5000);
  TCPH_HDRLEN_FLAGS_SET(tcp, 5, flags);
  tcp->wnd = PP_HTONS(8192);
  for (i = 0; i < len; i++) {
    f[T_HDRS + i] = (u8_t)(seq + i);
  }
  pbuf_remove_header(p, SIZEOF_ETH_HDR + IP_HLEN);
  tcp->chksum = inet_chksum_pseudo(p, IP_PROTO_TCP, p->tot_len, &src, &dst);
  pbuf_add_header(p, SIZEOF_ETH_HDR + IP_HLEN);
  return p;
}

/** The slot's frame is p, alone, as the tap's batch queues it. */
static void
t_first(struct pbuf *p)
{
  tcpgso_hdr_plain(t_slot);
  memcpy(t_slot + TCPGSO_HDR_LEN, p->payload, p->len);
  t_len = p->len;
  pbuf_free(p);
}

/** tcpgso_merge() of p into the slot; frees p. */
static int
t_merge(struct pbuf *p)
{
  int r = tcpgso_merge(t_slot, &t_len, T_ROOM, p);

  pbuf_free(p);
  return r;
}

static struct virtio_net_hdr
t_vhdr(void)
{
  struct virtio_net_hdr vh;

  memcpy(&vh, t_slot, sizeof(vh));
  return vh;
}

/** Three segments (1000 bytes each, PSH on the last) become one frame
 *  with the stream in order; the kernel's view of it is right. */
START_TEST(test_merges_a_run)
{
  const u8_t *f = t_slot + TCPGSO_HDR_LEN;
  struct ip_hdr *ip = (struct ip_hdr *)(f + SIZEOF_ETH_HDR);
  struct tcp_hdr *tcp = (struct tcp_hdr *)(f + SIZEOF_ETH_HDR + IP_HLEN);
  struct virtio_net_hdr vh;
  struct pbuf *seg;
  ip4_addr_t src, dst;
  u16_t i, sum;

  t_first(t_seg(100, TCP_ACK, 1000));
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK, 1000)), 1);
  ck_assert_int_eq(t_merge(t_seg(2100, TCP_ACK | TCP_PSH, 1000)), 1);
  ck_assert_uint_eq(t_len, T_HDRS + 3000);
  for (i = 0; i < 3000; i++) {
    ck_assert_uint_eq(f[T_HDRS + i], (u8_t)(100 + i));
  }
  ck_assert_uint_eq(lwip_ntohs(IPH_LEN(ip)), IP_HLEN + TCP_HLEN + 3000);
  ck_assert_uint_eq(inet_chksum(ip, IP_HLEN), 0);
  ck_assert_uint_eq(lwip_ntohl(tcp->seqno), 100);
  ck_assert_uint_eq(TCPH_FLAGS(tcp), TCP_ACK | TCP_PSH);
  vh = t_vhdr();
  ck_assert_uint_eq(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
  ck_assert_uint_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
  ck_assert_uint_eq(vh.gso_size, 1000);
  ck_assert_uint_eq(vh.hdr_len, T_HDRS);
  ck_assert_uint_eq(vh.csum_start, SIZEOF_ETH_HDR + IP_HLEN);
  ck_assert_uint_eq(vh.csum_offset, 16);
  /* what the kernel completes (the sum from csum_start on, the field
     holding the pseudo-header sum) is the merged segment's checksum */
  seg = pbuf_alloc(PBUF_RAW, (u16_t)(t_len - SIZEOF_ETH_HDR - IP_HLEN), PBUF_RAM);
  ck_assert_ptr_nonnull(seg);
  pbuf_take(seg, tcp, seg->tot_len);
  sum = inet_chksum_pbuf(seg);
  ((struct tcp_hdr *)seg->payload)->chksum = 0;
  ip4_addr_copy(src, ip->src);
  ip4_addr_copy(dst, ip->dest);
  ck_assert_uint_eq(sum, inet_chksum_pseudo(seg, IP_PROTO_TCP, seg->tot_len, &src, &dst));
  pbuf_free(seg);
  /* a PSH ended the frame */
  ck_assert_int_eq(t_merge(t_seg(3100, TCP_ACK, 1000)), 0);
}
END_TEST

/** Each rule keeps the second segment out, and the frame as it was. */
START_TEST(test_keeps_apart)
{
  u8_t before[TCPGSO_HDR_LEN + T_HDRS + 1000];
  struct pbuf *p;

  t_first(t_seg(100, TCP_ACK, 1000));
  memcpy(before, t_slot, sizeof(before));
  ck_assert_int_eq(t_merge(t_seg(1101, TCP_ACK, 1000)), 0);         /* a hole */
  ck_assert_int_eq(t_merge(t_seg(100, TCP_ACK, 1000)), 0);          /* a resend */
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK, 1001)), 0);         /* longer */
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK | TCP_FIN, 10)), 0);
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK | TCP_URG, 10)), 0);
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK | TCP_CWR, 10)), 0);
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK, 0)), 0);            /* no data */
  p = t_seg(1100, TCP_ACK, 1000);
  ((struct tcp_hdr *)((u8_t *)p->payload + SIZEOF_ETH_HDR + IP_HLEN))->ackno = PP_HTONL(5001);
  ck_assert_int_eq(t_merge(p), 0);
  p = t_seg(1100, TCP_ACK, 1000);
  ((struct tcp_hdr *)((u8_t *)p->payload + SIZEOF_ETH_HDR + IP_HLEN))->wnd = PP_HTONS(8191);
  ck_assert_int_eq(t_merge(p), 0);
  p = t_seg(1100, TCP_ACK, 1000);
  ((struct tcp_hdr *)((u8_t *)p->payload + SIZEOF_ETH_HDR + IP_HLEN))->dest = PP_HTONS(40001);
  ck_assert_int_eq(t_merge(p), 0);
  p = t_seg(1100, TCP_ACK, 1000);
  ((u8_t *)p->payload)[SIZEOF_ETH_HDR + 9] = IP_PROTO_UDP;
  ck_assert_int_eq(t_merge(p), 0);
  ck_assert_int_eq(tcpgso_merge(t_slot, &t_len, T_HDRS + 1999, p = t_seg(1100, TCP_ACK, 1000)), 0);
  pbuf_free(p);
  ck_assert_int_eq(memcmp(before, t_slot, sizeof(before)), 0);
  ck_assert_uint_eq(t_len, T_HDRS + 1000);
  /* a chain never merges */
  p = t_seg(1100, TCP_ACK, 1000);
  pbuf_realloc(p, T_HDRS + 500);
  pbuf_cat(p, t_seg(1600, TCP_ACK, 0));
  ck_assert_int_eq(t_merge(p), 0);
  /* after a shorter segment, nothing follows */
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK, 600)), 1);
  ck_assert_int_eq(t_merge(t_seg(1700, TCP_ACK, 600)), 0);
  ck_assert_uint_eq(t_len, T_HDRS + 1600);
}
END_TEST

/** A frame that is not a plain TCP segment stays alone. */
START_TEST(test_not_tcp_first)
{
  struct pbuf *p = t_seg(100, TCP_ACK, 1000);

  ((u8_t *)p->payload)[SIZEOF_ETH_HDR + 9] = IP_PROTO_UDP;
  t_first(p);
  ck_assert_int_eq(t_merge(t_seg(1100, TCP_ACK, 1000)), 0);
  t_first(t_seg(100, TCP_ACK | TCP_SYN, 0));
  ck_assert_int_eq(t_merge(t_seg(101, TCP_ACK, 1000)), 0);
}
END_TEST

static Suite *
tcpgso_suite(void)
{
  Suite *s = suite_create("tcpgso");
  TCase *tc = tcase_create("merge");

  tcase_add_test(tc, test_merges_a_run);
  tcase_add_test(tc, test_keeps_apart);
  tcase_add_test(tc, test_not_tcp_first);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  lwip_init();
  return checkmain_run(tcpgso_suite());
}
