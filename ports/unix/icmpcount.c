/**
 * @file
 * Counts ICMP echo requests (see icmpcount.h).
 *
 * A raw pcb for IP_PROTO_ICMP sees every ICMPv4 packet addressed to us
 * before icmp_input() does; its callback returns 0 ("not eaten"), so lwIP
 * goes on and answers as usual. This build keeps LWIP_STATS off, so there
 * is no lwIP counter to read instead.
 */
#include "icmpcount.h"

#include "lwip/ip.h"
#include "lwip/prot/icmp.h"
#include "lwip/raw.h"


static struct raw_pcb *icmpcount_pcb;

static struct {
  u32_t requests;
  u64_t bytes;
} icmpcount_stats;

/** p->payload is the IPv4 header; counts ICMP bytes after it. */
static u8_t
icmpcount_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
  u16_t hlen;
  u8_t vhl, type;

  LWIP_UNUSED_ARG(arg);
  LWIP_UNUSED_ARG(pcb);
  LWIP_UNUSED_ARG(addr);
  LWIP_ASSERT_CORE_LOCKED();
  if (pbuf_copy_partial(p, &vhl, 1, 0) != 1) {
    return 0;
  }
  hlen = (u16_t)((vhl & 0x0f) * 4);
  if (pbuf_copy_partial(p, &type, 1, hlen) == 1 && type == ICMP_ECHO) {
    icmpcount_stats.requests++;
    icmpcount_stats.bytes += (u32_t)(p->tot_len - hlen);
  }
  return 0;
}

/** Start counting; call in the core thread. */
err_t
icmpcount_init(void)
{
  LWIP_ASSERT_CORE_LOCKED();
  icmpcount_pcb = raw_new(IP_PROTO_ICMP);
  if (icmpcount_pcb == NULL) {
    return ERR_MEM;
  }
  raw_recv(icmpcount_pcb, icmpcount_recv, NULL);
  return ERR_OK;
}

/** Add the counters to c as group "icmp"; call in the core thread. */
void
icmpcount_counters(struct counters *c)
{
  LWIP_ASSERT_CORE_LOCKED();
  counters_group(c, "icmp");
  counters_add(c, "requests", icmpcount_stats.requests);
  counters_add(c, "bytes", icmpcount_stats.bytes);
}
