/**
 * @file
 * Check tests of the tap's SYN guard (ports/unix/netif/synguard.c), fed
 * hand-made Ethernet frames in the core thread's context: a SYN is
 * tracked and its handshake's ACK ends the tracking; the per-source and
 * total limits; eviction of the oldest with a RST lwIP accepts (checksums
 * and sequence number checked); a young table drops instead; SYNs in first
 * fragments and behind IPv6 extension headers are seen, and what could
 * hide a SYN's flags (a short first fragment, padded or not, or an overlong
 * IPv6 header chain) is dropped.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "synguard.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip_addr.h"
#include "lwip/prot/tcp.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "checkmain.h"
#include "checktcpip.h"

#define T_ETH 14
#define T_DPORT 7

static struct synguard t_g;
static u8_t t_rst[128];
static u16_t t_rst_len;
static u32_t t_injected;

static const u8_t t_mac_us[6] = {0x02, 0x6c, 0x77, 0xa8, 0x00, 0x02};
static const u8_t t_mac_peer[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static void
t_inject(struct pbuf *p, void *arg)
{
  LWIP_UNUSED_ARG(arg);
  t_rst_len = (u16_t)pbuf_copy_partial(p, t_rst, sizeof(t_rst), 0);
  t_injected++;
  pbuf_free(p);
}

static void
t_setup(void)
{
  checktcpip_start();
  t_injected = 0;
  t_rst_len = 0;
  LOCK_TCPIP_CORE();
  synguard_init(&t_g, t_inject, NULL);
  UNLOCK_TCPIP_CORE();
}

static void
t_teardown(void)
{
}

static void
t_put16(u8_t *p, u16_t v)
{
  p[0] = (u8_t)(v >> 8);
  p[1] = (u8_t)v;
}

static void
t_put32(u8_t *p, u32_t v)
{
  t_put16(p, (u16_t)(v >> 16));
  t_put16(p + 2, (u16_t)v);
}

static void
t_eth(u8_t *f, u16_t type)
{
  memcpy(f, t_mac_us, 6);
  memcpy(f + 6, t_mac_peer, 6);
  t_put16(f + 12, type);
}

/** A TCP header at t with ports, sequence number and flags. */
static void
t_tcp(u8_t *t, u16_t sport, u32_t seq, u8_t flags)
{
  memset(t, 0, TCP_HLEN);
  t_put16(t, sport);
  t_put16(t + 2, T_DPORT);
  t_put32(t + 4, seq);
  t[12] = (TCP_HLEN / 4) << 4;
  t[13] = flags;
}

/**
 * An IPv4 TCP frame from 10.0.x.y (src) to 192.168.0.2; tcp_bytes of the
 * TCP header are in the packet (a short first fragment when < 20), frag is
 * the flags/offset field, pad_to pads the frame as Ethernet does.
 * @return the frame's length
 */
static u16_t
t_v4(u8_t *f, u16_t src, u16_t sport, u32_t seq, u8_t flags, u16_t frag, u16_t tcp_bytes, u16_t pad_to)
{
  u8_t *ip = f + T_ETH;
  u16_t len = (u16_t)(T_ETH + 20 + tcp_bytes);

  memset(f, 0, 128);
  t_eth(f, 0x0800);
  ip[0] = 0x45;
  t_put16(ip + 2, (u16_t)(20 + tcp_bytes));
  t_put16(ip + 6, frag);
  ip[8] = 64;
  ip[9] = 6;
  ip[12] = 10;
  ip[13] = 0;
  t_put16(ip + 14, src);
  ip[16] = 192;
  ip[17] = 168;
  ip[18] = 0;
  ip[19] = 2;
  t_tcp(ip + 20, sport, seq, flags);
  memset(ip + 20 + tcp_bytes, 0, TCP_HLEN - tcp_bytes);
  return len < pad_to ? pad_to : len;
}

/** An IPv6 TCP frame from fd00::src to fd00::2 behind n destination
 *  options headers. @return its length */
static u16_t
t_v6(u8_t *f, u16_t src, u16_t sport, u32_t seq, u8_t flags, int n)
{
  u8_t *ip = f + T_ETH;
  u8_t *h = ip + 40;
  int i;

  memset(f, 0, 256);
  t_eth(f, 0x86dd);
  ip[0] = 0x60;
  t_put16(ip + 4, (u16_t)(8 * n + TCP_HLEN));
  ip[6] = n > 0 ? 60 : 6;
  ip[7] = 64;
  ip[8] = 0xfd;
  t_put16(ip + 22, src);
  ip[24] = 0xfd;
  ip[39] = 2;
  for (i = 0; i < n; i++, h += 8) {
    h[0] = i + 1 < n ? 60 : 6;
    h[1] = 0;
  }
  t_tcp(h, sport, seq, flags);
  return (u16_t)(T_ETH + 40 + 8 * n + TCP_HLEN);
}

static int
t_in(const u8_t *f, u16_t len)
{
  int r;

  LOCK_TCPIP_CORE();
  r = synguard_input(&t_g, f, len);
  UNLOCK_TCPIP_CORE();
  return r;
}

START_TEST(test_syn_tracked_ack_completes)
{
  u8_t f[128];
  u16_t n = t_v4(f, 1, 40000, 1000, TCP_SYN, 0, TCP_HLEN, 0);

  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_g.n, 1);
  ck_assert_int_eq(t_in(f, n), 1); /* the SYN again: the same handshake */
  ck_assert_uint_eq(t_g.n, 1);
  ck_assert_uint_eq(t_g.stats.syns, 1);
  n = t_v4(f, 1, 40000, 1001, TCP_ACK, 0, TCP_HLEN, 0);
  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_g.n, 0);
  ck_assert_uint_eq(t_g.stats.completed, 1);
  n = t_v4(f, 1, 40000, 1001, TCP_ACK | TCP_PSH, 0, TCP_HLEN, 0);
  ck_assert_int_eq(t_in(f, n), 1); /* data afterwards: not tracked */
  ck_assert_uint_eq(t_g.stats.completed, 1);
}
END_TEST

START_TEST(test_per_source_limit)
{
  u8_t f[128];
  u16_t i, n;

  for (i = 0; i < SYNGUARD_PER_SRC; i++) {
    n = t_v4(f, 7, (u16_t)(1000 + i), i, TCP_SYN, 0, TCP_HLEN, 0);
    ck_assert_int_eq(t_in(f, n), 1);
  }
  n = t_v4(f, 7, 5000, 0, TCP_SYN, 0, TCP_HLEN, 0);
  ck_assert_int_eq(t_in(f, n), 0);
  ck_assert_uint_eq(t_g.stats.dropped, 1);
  n = t_v4(f, 8, 5000, 0, TCP_SYN, 0, TCP_HLEN, 0);
  ck_assert_int_eq(t_in(f, n), 1); /* another source still gets in */
  ck_assert_uint_eq(t_injected, 0);
}
END_TEST

/* The RST made for the oldest: addresses, ports, seq = isn + 1, RST only,
   and checksums that lwIP will accept. */
START_TEST(test_evict_oldest_with_rst)
{
  u8_t f[128];
  u16_t i, n;
  ip_addr_t src, dst;
  struct pbuf *p;
  u8_t *ip = t_rst + T_ETH, *tcp = ip + 20;

  for (i = 0; i < SYNGUARD_MAX; i++) {
    n = t_v4(f, (u16_t)(100 + i), 2000, 0x10000000u + i, TCP_SYN, 0, TCP_HLEN, 0);
    ck_assert_int_eq(t_in(f, n), 1);
  }
  n = t_v4(f, 999, 3000, 5, TCP_SYN, 0, TCP_HLEN, 0);
  ck_assert_int_eq(t_in(f, n), 0); /* all younger than SYNGUARD_EVICT_MIN_MS */
  ck_assert_uint_eq(t_g.stats.full, 1);
  usleep((SYNGUARD_EVICT_MIN_MS + 20) * 1000);
  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_g.stats.evicted, 1);
  ck_assert_uint_eq(t_injected, 1);
  ck_assert_uint_eq(t_rst_len, T_ETH + 20 + TCP_HLEN);
  ck_assert_mem_eq(t_rst, t_mac_us, 6);
  ck_assert_mem_eq(t_rst + 6, t_mac_peer, 6);
  ck_assert_uint_eq(inet_chksum(ip, 20), 0);
  ck_assert_uint_eq(ip[12], 10);
  ck_assert_uint_eq((ip[14] << 8) | ip[15], 100); /* the first SYN's source */
  ck_assert_uint_eq((tcp[0] << 8) | tcp[1], 2000);
  ck_assert_uint_eq((tcp[2] << 8) | tcp[3], T_DPORT);
  ck_assert_uint_eq(((u32_t)tcp[4] << 24) | ((u32_t)tcp[5] << 16) | ((u32_t)tcp[6] << 8) | tcp[7],
                    0x10000001u);
  ck_assert_uint_eq(tcp[13], TCP_RST);
  IP_ADDR4(&src, 10, 0, 0, 100);
  IP_ADDR4(&dst, 192, 168, 0, 2);
  p = pbuf_alloc(PBUF_RAW, TCP_HLEN, PBUF_RAM);
  ck_assert_ptr_nonnull(p);
  pbuf_take(p, tcp, TCP_HLEN);
  ck_assert_uint_eq(ip_chksum_pseudo(p, 6, TCP_HLEN, &src, &dst), 0);
  pbuf_free(p);
  ck_assert_uint_eq(t_g.n, SYNGUARD_MAX);
}
END_TEST

START_TEST(test_fragments)
{
  u8_t f[128];
  u16_t n;

  /* first fragment with the whole TCP header: a SYN like any other */
  n = t_v4(f, 1, 4000, 1, TCP_SYN, 0x2000, TCP_HLEN, 0);
  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_g.stats.syns, 1);
  /* a first fragment of 8 TCP bytes: the flags are in the next one */
  n = t_v4(f, 2, 4000, 1, TCP_SYN, 0x2000, 8, 0);
  ck_assert_int_eq(t_in(f, n), 0);
  /* the same padded to Ethernet's 60 bytes: the padding is not TCP */
  n = t_v4(f, 3, 4000, 1, TCP_SYN, 0x2000, 8, 60);
  ck_assert_int_eq(t_in(f, n), 0);
  ck_assert_uint_eq(t_g.stats.hidden, 2);
  /* a later fragment passes: it cannot start a handshake alone */
  n = t_v4(f, 2, 4000, 1, 0, 0x0001, 12, 0);
  ck_assert_int_eq(t_in(f, n), 1);
  /* not fragmented but cut short (padded): lwIP drops it itself */
  n = t_v4(f, 4, 4000, 1, TCP_SYN, 0, 8, 60);
  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_g.stats.syns, 1);
}
END_TEST

START_TEST(test_ipv6)
{
  u8_t f[256];
  u16_t n;
  ip_addr_t src, dst;
  struct pbuf *p;
  u8_t *tcp = t_rst + T_ETH + 40;

  n = t_v6(f, 1, 6000, 77, TCP_SYN, 0);
  ck_assert_int_eq(t_in(f, n), 1);
  n = t_v6(f, 2, 6000, 78, TCP_SYN, 2);
  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_g.stats.syns, 2);
  n = t_v6(f, 3, 6000, 79, TCP_SYN, 5);
  ck_assert_int_eq(t_in(f, n), 0);
  ck_assert_uint_eq(t_g.stats.hidden, 1);
  n = t_v6(f, 2, 6000, 79, TCP_ACK, 2);
  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_g.stats.completed, 1);
  /* fill up, age, evict fd00::1's handshake: an IPv6 RST */
  for (n = 0; t_g.n < SYNGUARD_MAX; n++) {
    u16_t len = t_v6(f, (u16_t)(100 + n), 6000, n, TCP_SYN, 0);

    ck_assert_int_eq(t_in(f, len), 1);
  }
  usleep((SYNGUARD_EVICT_MIN_MS + 20) * 1000);
  n = t_v6(f, 999, 6000, 0, TCP_SYN, 0);
  ck_assert_int_eq(t_in(f, n), 1);
  ck_assert_uint_eq(t_injected, 1);
  ck_assert_uint_eq(t_rst_len, T_ETH + 40 + TCP_HLEN);
  ck_assert_uint_eq(t_rst[T_ETH + 6], 6);
  ck_assert_uint_eq(tcp[13], TCP_RST);
  IP_ADDR6(&src, PP_HTONL(0xfd000000UL), 0, 0, PP_HTONL(1));
  IP_ADDR6(&dst, PP_HTONL(0xfd000000UL), 0, 0, PP_HTONL(2));
  p = pbuf_alloc(PBUF_RAW, TCP_HLEN, PBUF_RAM);
  ck_assert_ptr_nonnull(p);
  pbuf_take(p, tcp, TCP_HLEN);
  ck_assert_uint_eq(ip_chksum_pseudo(p, 6, TCP_HLEN, &src, &dst), 0);
  pbuf_free(p);
}
END_TEST

START_TEST(test_other_frames_pass)
{
  u8_t f[128];
  u16_t n = t_v4(f, 1, 53, 0, TCP_SYN, 0, TCP_HLEN, 0);

  f[T_ETH + 9] = 17; /* UDP */
  ck_assert_int_eq(t_in(f, n), 1);
  t_eth(f, 0x0806); /* ARP */
  ck_assert_int_eq(t_in(f, 42), 1);
  ck_assert_int_eq(t_in(f, 10), 1); /* a runt */
  ck_assert_uint_eq(t_g.stats.syns, 0);
  ck_assert_uint_eq(t_g.n, 0);
}
END_TEST

static Suite *
synguard_suite(void)
{
  Suite *s = suite_create("synguard");
  TCase *tc = tcase_create("frames");

  tcase_add_checked_fixture(tc, t_setup, t_teardown);
  tcase_add_test(tc, test_syn_tracked_ack_completes);
  tcase_add_test(tc, test_per_source_limit);
  tcase_add_test(tc, test_evict_oldest_with_rst);
  tcase_add_test(tc, test_fragments);
  tcase_add_test(tc, test_ipv6);
  tcase_add_test(tc, test_other_frames_pass);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(synguard_suite());
}
