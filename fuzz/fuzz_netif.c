/**
 * @file
 * lwIP in the fuzzer's thread (see fuzz_netif.h). The netif's output hook
 * takes the place of a link: it unwraps the IPv4 and UDP headers lwIP built
 * and hands the payload to the harness. Packets that are not UDP (ICMP
 * errors, IGMP) have nowhere to go and are dropped.
 *
 * The heap functions below replace liblwip's (it calls them through the PLT,
 * like sys_now): with MEM_LIBC_MALLOC they are thin wrappers of malloc, and
 * these wrap it the same way while counting the bytes in use. A size header
 * in front of each block keeps malloc's 16-byte alignment.
 */
#include "fuzz_netif.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/ip.h"
#include "lwip/timeouts.h"
#include "lwip/sys.h"
#include "lwip/mem.h"

#include <stdlib.h>
#include <string.h>

#define FN_IP_HLEN  20
#define FN_IP6_HLEN 40
#define FN_UDP_HLEN 8
#define FN_PROTO_UDP 17

static struct netif fn_netif;
static fuzz_netif_udp_fn fn_out;
static void *fn_out_arg;
static u32_t fn_now;
static size_t fn_heap;
static u32_t fn_fail_mask;
/** One outgoing packet, flattened; an IPv4 packet is at most 0xffff bytes. */
static u8_t fn_pkt[0xffff];

/** The clock of the whole stack: lwIP's calls to sys_now() resolve here. */
u32_t
sys_now(void)
{
  return fn_now;
}

#define FN_MEM_HDR 16

void *
mem_malloc(mem_size_t size)
{
  unsigned char *p;

  if (size != sizeof(struct sys_timeo)) {
    int fail = fn_fail_mask & 1;

    fn_fail_mask >>= 1;
    if (fail) {
      return NULL;
    }
  }
  p = malloc(size + FN_MEM_HDR);
  if (p == NULL) {
    return NULL;
  }
  memcpy(p, &size, sizeof(size));
  fn_heap += size;
  return p + FN_MEM_HDR;
}

void *
mem_calloc(mem_size_t count, mem_size_t size)
{
  void *p;

  if (size != 0 && count > ((mem_size_t)-1 - FN_MEM_HDR) / size) {
    return NULL;
  }
  p = mem_malloc(count * size);
  if (p != NULL) {
    memset(p, 0, count * size);
  }
  return p;
}

void
mem_free(void *mem)
{
  unsigned char *p;
  mem_size_t size;

  if (mem == NULL) {
    return;
  }
  p = (unsigned char *)mem - FN_MEM_HDR;
  memcpy(&size, p, sizeof(size));
  fn_heap -= size;
  free(p);
}

/** Shrinking in place is allowed to change nothing, as lwIP's own does. */
void *
mem_trim(void *mem, mem_size_t size)
{
  LWIP_UNUSED_ARG(size);
  return mem;
}

size_t
fuzz_netif_heap(void)
{
  return fn_heap;
}

u32_t
fuzz_netif_fail(u32_t mask)
{
  u32_t old = fn_fail_mask;

  fn_fail_mask = mask;
  return old;
}

static u16_t
fn_get16(const u8_t *p)
{
  return (u16_t)(p[0] << 8 | p[1]);
}

static void
fn_put16(u8_t *p, u16_t v)
{
  p[0] = (u8_t)(v >> 8);
  p[1] = (u8_t)v;
}

/** The UDP datagram at @p off of the flattened packet, to the harness. */
static void
fn_deliver(const ip_addr_t *dst, u16_t n, u16_t off)
{
  u16_t ulen;

  if (n < off + FN_UDP_HLEN) {
    return;
  }
  ulen = fn_get16(fn_pkt + off + 4);
  if (ulen < FN_UDP_HLEN || ulen > n - off) {
    return;
  }
  fn_out(fn_out_arg, dst, fn_get16(fn_pkt + off + 2), fn_get16(fn_pkt + off),
         fn_pkt + off + FN_UDP_HLEN, (u16_t)(ulen - FN_UDP_HLEN));
}

static err_t
fn_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
  u16_t n = pbuf_copy_partial(p, fn_pkt, sizeof(fn_pkt), 0);
  ip_addr_t to;

  LWIP_UNUSED_ARG(netif);
  if (n >= FN_IP_HLEN && fn_pkt[9] == FN_PROTO_UDP) {
    ip_addr_copy_from_ip4(to, *dst);
    fn_deliver(&to, n, (u16_t)((fn_pkt[0] & 0x0f) * 4));
  }
  return ERR_OK;
}

static err_t
fn_output6(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
  u16_t n = pbuf_copy_partial(p, fn_pkt, sizeof(fn_pkt), 0);
  ip_addr_t to;

  LWIP_UNUSED_ARG(netif);
  if (n >= FN_IP6_HLEN && fn_pkt[6] == FN_PROTO_UDP) {
    ip_addr_copy_from_ip6(to, *dst);
    fn_deliver(&to, n, FN_IP6_HLEN);
  }
  return ERR_OK;
}

static err_t
fn_netif_setup(struct netif *netif)
{
  netif->name[0] = 'f';
  netif->name[1] = 'z';
  netif->output = fn_output;
  netif->output_ip6 = fn_output6;
  /* no fragmentation: each datagram reaches the harness whole */
  netif->mtu = 0;
  return ERR_OK;
}

void
fuzz_netif_init(fuzz_netif_udp_fn out, void *arg)
{
  ip4_addr_t ip, mask, gw;
  ip6_addr_t ip6;

  fn_out = out;
  fn_out_arg = arg;
  lwip_init();
  IP4_ADDR(&ip, 10, 0, 0, 1);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 10, 0, 0, 254);
  netif_add(&fn_netif, &ip, &mask, &gw, NULL, fn_netif_setup, ip_input);
  IP6_ADDR(&ip6, PP_HTONL(0xfd000000UL), 0, 0, PP_HTONL(1UL));
  netif_ip6_addr_set(&fn_netif, 0, &ip6);
  netif_ip6_addr_set_state(&fn_netif, 0, IP6_ADDR_PREFERRED);
  IP6_ADDR(&ip6, PP_HTONL(0xfe800000UL), 0, 0, PP_HTONL(1UL));
  netif_ip6_addr_set(&fn_netif, 1, &ip6);
  netif_ip6_addr_set_state(&fn_netif, 1, IP6_ADDR_PREFERRED);
  netif_set_default(&fn_netif);
  netif_set_up(&fn_netif);
  netif_set_link_up(&fn_netif);
}

void
fuzz_netif_set_time(u32_t now)
{
  fn_now = now;
  sys_restart_timeouts();
}

void
fuzz_netif_advance(u32_t ms)
{
  fn_now += ms;
  sys_check_timeouts();
}

/** Ones' complement sum of @p len bytes, added to @p sum. */
static u32_t
fn_sum(u32_t sum, const u8_t *p, u32_t len)
{
  u32_t i;

  for (i = 0; i + 1 < len; i += 2) {
    sum += fn_get16(p + i);
  }
  if (len & 1) {
    sum += (u32_t)p[len - 1] << 8;
  }
  return sum;
}

static u16_t
fn_fold(u32_t sum)
{
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return (u16_t)~sum;
}

/** Fill the IPv4 header; the UDP checksum stays 0 (none), as IPv4 allows. */
static void
fn_ip4_header(u8_t *h, const ip4_addr_t *src, u16_t tot)
{
  h[0] = 0x45;
  fn_put16(h + 2, tot);
  h[8] = 64;
  h[9] = FN_PROTO_UDP;
  memcpy(h + 12, &src->addr, 4);
  memcpy(h + 16, &netif_ip4_addr(&fn_netif)->addr, 4);
  fn_put16(h + 10, fn_fold(fn_sum(0, h, FN_IP_HLEN)));
}

/** Fill the IPv6 header and the UDP checksum IPv6 requires. */
static void
fn_ip6_header(u8_t *h, const ip6_addr_t *src, u16_t ulen)
{
  const ip6_addr_t *dst = netif_ip6_addr(&fn_netif, ip6_addr_islinklocal(src) ? 1 : 0);
  u8_t pseudo[40] = { 0 };
  u16_t ck;

  h[0] = 0x60;
  fn_put16(h + 4, ulen);
  h[6] = FN_PROTO_UDP;
  h[7] = 64;
  memcpy(h + 8, src->addr, 16);
  memcpy(h + 24, dst->addr, 16);
  memcpy(pseudo, h + 8, 32);
  fn_put16(pseudo + 34, ulen);
  pseudo[39] = FN_PROTO_UDP;
  ck = fn_fold(fn_sum(fn_sum(0, pseudo, sizeof(pseudo)), h + FN_IP6_HLEN, ulen));
  fn_put16(h + FN_IP6_HLEN + 6, ck == 0 ? 0xffff : ck);
}

void
fuzz_netif_inject(const ip_addr_t *src, u16_t sport, u16_t dport,
                  const u8_t *data, u16_t len)
{
  u16_t hlen = IP_IS_V6(src) ? FN_IP6_HLEN : FN_IP_HLEN;
  u16_t tot = (u16_t)LWIP_MIN(0xffffU, (u32_t)len + hlen + FN_UDP_HLEN);
  u32_t failing = fuzz_netif_fail(0); /* the wire itself never runs dry */
  struct pbuf *p = pbuf_alloc(PBUF_RAW, tot, PBUF_RAM);
  u8_t *h;

  fuzz_netif_fail(failing);
  if (p == NULL) {
    return;
  }
  len = (u16_t)(tot - hlen - FN_UDP_HLEN);
  h = (u8_t *)p->payload;
  memset(h, 0, hlen + FN_UDP_HLEN);
  fn_put16(h + hlen, sport);
  fn_put16(h + hlen + 2, dport);
  fn_put16(h + hlen + 4, (u16_t)(len + FN_UDP_HLEN));
  if (len > 0) {
    memcpy(h + hlen + FN_UDP_HLEN, data, len);
  }
  if (IP_IS_V6(src)) {
    fn_ip6_header(h, ip_2_ip6(src), (u16_t)(len + FN_UDP_HLEN));
  } else {
    fn_ip4_header(h, ip_2_ip4(src), tot);
  }
  if (fn_netif.input(p, &fn_netif) != ERR_OK) {
    pbuf_free(p);
  }
}
