/**
 * @file
 * lwIP in the caller's thread on a virtual clock (see vnetif.h). The netif's output hook
 * takes the place of a link: it unwraps the IPv4 and UDP headers lwIP built
 * and hands the payload to the harness. Packets that are not UDP (ICMP
 * errors, IGMP) have nowhere to go and are dropped.
 *
 * The heap functions below replace liblwip's (it calls them through the PLT,
 * like sys_now): with MEM_LIBC_MALLOC they are thin wrappers of malloc, and
 * these wrap it the same way while counting the bytes in use. A size header
 * in front of each block keeps malloc's 16-byte alignment.
 */
#include "vnetif.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/ip.h"
#include "lwip/timeouts.h"
#include "lwip/sys.h"
#include "lwip/mem.h"
#include "lwip/inet_chksum.h"

#include <stdlib.h>
#include <string.h>

#define VN_IP_HLEN  20
#define VN_IP6_HLEN 40
#define VN_UDP_HLEN 8
#define VN_PROTO_UDP 17

static struct netif vn_netif;
static vnetif_udp_fn vn_out;
static void *vn_out_arg;
static u32_t vn_now;
static size_t vn_heap;
static u32_t vn_fail_mask;
/** One outgoing packet, flattened; an IPv4 packet is at most 0xffff bytes. */
static u8_t vn_pkt[0xffff];

/** The clock of the whole stack: lwIP's calls to sys_now() resolve here. */
u32_t
sys_now(void)
{
  return vn_now;
}

#define VN_MEM_HDR 16

void *
mem_malloc(mem_size_t size)
{
  unsigned char *p;

  if (size != sizeof(struct sys_timeo)) {
    int fail = vn_fail_mask & 1;

    vn_fail_mask >>= 1;
    if (fail) {
      return NULL;
    }
  }
  p = malloc(size + VN_MEM_HDR);
  if (p == NULL) {
    return NULL;
  }
  memcpy(p, &size, sizeof(size));
  vn_heap += size;
  return p + VN_MEM_HDR;
}

void *
mem_calloc(mem_size_t count, mem_size_t size)
{
  void *p;

  if (size != 0 && count > ((mem_size_t)-1 - VN_MEM_HDR) / size) {
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
  p = (unsigned char *)mem - VN_MEM_HDR;
  memcpy(&size, p, sizeof(size));
  vn_heap -= size;
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
vnetif_heap(void)
{
  return vn_heap;
}

u32_t
vnetif_fail(u32_t mask)
{
  u32_t old = vn_fail_mask;

  vn_fail_mask = mask;
  return old;
}

static u16_t
vn_get16(const u8_t *p)
{
  return (u16_t)(p[0] << 8 | p[1]);
}

static void
vn_put16(u8_t *p, u16_t v)
{
  p[0] = (u8_t)(v >> 8);
  p[1] = (u8_t)v;
}

/** The UDP datagram at @p off of the flattened packet, to the harness. */
static void
vn_deliver(const ip_addr_t *dst, u16_t n, u16_t off)
{
  u16_t ulen;

  if (n < off + VN_UDP_HLEN) {
    return;
  }
  ulen = vn_get16(vn_pkt + off + 4);
  if (ulen < VN_UDP_HLEN || ulen > n - off) {
    return;
  }
  vn_out(vn_out_arg, dst, vn_get16(vn_pkt + off + 2), vn_get16(vn_pkt + off),
         vn_pkt + off + VN_UDP_HLEN, (u16_t)(ulen - VN_UDP_HLEN));
}

static err_t
vn_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
  u16_t n = pbuf_copy_partial(p, vn_pkt, sizeof(vn_pkt), 0);
  ip_addr_t to;

  LWIP_UNUSED_ARG(netif);
  if (n >= VN_IP_HLEN && vn_pkt[9] == VN_PROTO_UDP) {
    ip_addr_copy_from_ip4(to, *dst);
    vn_deliver(&to, n, (u16_t)((vn_pkt[0] & 0x0f) * 4));
  }
  return ERR_OK;
}

static err_t
vn_output6(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
  u16_t n = pbuf_copy_partial(p, vn_pkt, sizeof(vn_pkt), 0);
  ip_addr_t to;

  LWIP_UNUSED_ARG(netif);
  if (n >= VN_IP6_HLEN && vn_pkt[6] == VN_PROTO_UDP) {
    ip_addr_copy_from_ip6(to, *dst);
    vn_deliver(&to, n, VN_IP6_HLEN);
  }
  return ERR_OK;
}

static err_t
vn_netif_setup(struct netif *netif)
{
  netif->name[0] = 'f';
  netif->name[1] = 'z';
  netif->output = vn_output;
  netif->output_ip6 = vn_output6;
  /* no fragmentation: each datagram reaches the harness whole */
  netif->mtu = 0;
  return ERR_OK;
}

void
vnetif_init(vnetif_udp_fn out, void *arg)
{
  ip4_addr_t ip, mask, gw;
  ip6_addr_t ip6;

  vn_out = out;
  vn_out_arg = arg;
  lwip_init();
  IP4_ADDR(&ip, 10, 0, 0, 1);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 10, 0, 0, 254);
  netif_add(&vn_netif, &ip, &mask, &gw, NULL, vn_netif_setup, ip_input);
  IP6_ADDR(&ip6, PP_HTONL(0xfd000000UL), 0, 0, PP_HTONL(1UL));
  netif_ip6_addr_set(&vn_netif, 0, &ip6);
  netif_ip6_addr_set_state(&vn_netif, 0, IP6_ADDR_PREFERRED);
  IP6_ADDR(&ip6, PP_HTONL(0xfe800000UL), 0, 0, PP_HTONL(1UL));
  netif_ip6_addr_set(&vn_netif, 1, &ip6);
  netif_ip6_addr_set_state(&vn_netif, 1, IP6_ADDR_PREFERRED);
  netif_set_default(&vn_netif);
  netif_set_up(&vn_netif);
  netif_set_link_up(&vn_netif);
}

void
vnetif_set_time(u32_t now)
{
  vn_now = now;
  sys_restart_timeouts();
}

void
vnetif_advance(u32_t ms)
{
  vn_now += ms;
  sys_check_timeouts();
}

/** Fill the IPv4 header; the UDP checksum stays 0 (none), as IPv4 allows. */
static void
vn_ip4_header(u8_t *h, const ip4_addr_t *src, u16_t tot)
{
  u16_t ck;

  h[0] = 0x45;
  vn_put16(h + 2, tot);
  h[8] = 64;
  h[9] = VN_PROTO_UDP;
  memcpy(h + 12, &src->addr, 4);
  memcpy(h + 16, &netif_ip4_addr(&vn_netif)->addr, 4);
  ck = inet_chksum(h, VN_IP_HLEN);
  memcpy(h + 10, &ck, sizeof(ck));
}

/** Fill the IPv6 header of @p p and the UDP checksum IPv6 requires
    (lwIP's own, over the UDP part with the pseudo-header). */
static void
vn_ip6_header(struct pbuf *p, const ip6_addr_t *src, u16_t ulen)
{
  const ip6_addr_t *dst = netif_ip6_addr(&vn_netif, ip6_addr_islinklocal(src) ? 1 : 0);
  u8_t *h = (u8_t *)p->payload;
  u16_t ck;

  h[0] = 0x60;
  vn_put16(h + 4, ulen);
  h[6] = VN_PROTO_UDP;
  h[7] = 64;
  memcpy(h + 8, src->addr, 16);
  memcpy(h + 24, dst->addr, 16);
  pbuf_remove_header(p, VN_IP6_HLEN);
  ck = ip6_chksum_pseudo(p, VN_PROTO_UDP, ulen, src, dst);
  pbuf_add_header(p, VN_IP6_HLEN);
  if (ck == 0) {
    ck = 0xffff;
  }
  memcpy(h + VN_IP6_HLEN + 6, &ck, sizeof(ck));
}

void
vnetif_inject(const ip_addr_t *src, u16_t sport, u16_t dport,
               const u8_t *data, u16_t len)
{
  u16_t hlen = IP_IS_V6(src) ? VN_IP6_HLEN : VN_IP_HLEN;
  u16_t tot = (u16_t)LWIP_MIN(0xffffU, (u32_t)len + hlen + VN_UDP_HLEN);
  u32_t failing = vnetif_fail(0); /* the wire itself never runs dry */
  struct pbuf *p = pbuf_alloc(PBUF_RAW, tot, PBUF_RAM);
  u8_t *h;

  vnetif_fail(failing);
  if (p == NULL) {
    return;
  }
  len = (u16_t)(tot - hlen - VN_UDP_HLEN);
  h = (u8_t *)p->payload;
  memset(h, 0, hlen + VN_UDP_HLEN);
  vn_put16(h + hlen, sport);
  vn_put16(h + hlen + 2, dport);
  vn_put16(h + hlen + 4, (u16_t)(len + VN_UDP_HLEN));
  if (len > 0) {
    memcpy(h + hlen + VN_UDP_HLEN, data, len);
  }
  if (IP_IS_V6(src)) {
    vn_ip6_header(p, ip_2_ip6(src), (u16_t)(len + VN_UDP_HLEN));
  } else {
    vn_ip4_header(h, ip_2_ip4(src), tot);
  }
  if (vn_netif.input(p, &vn_netif) != ERR_OK) {
    pbuf_free(p);
  }
}
