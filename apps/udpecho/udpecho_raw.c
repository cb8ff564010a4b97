/**
 * @file
 * UDP echo service on the raw API (see udpecho_raw.h).
 *
 * The received pbuf itself is sent back: its headroom still holds the
 * Ethernet, IP and UDP headers it arrived with, so udp_sendto() can prepend
 * new ones in place, and a reassembled datagram larger than the MTU is
 * fragmented again by ip4_frag().
 */
#include "udpecho_raw.h"

#include "ipsrc.h"

#include "lwip/pbuf.h"
#include "lwip/udp.h"


static struct udp_pcb *udpecho_raw_pcb;

/** Counters, core thread only. */
static struct {
  u32_t requests;
  u64_t bytes;
  u32_t send_errors;
  u32_t bogus;        /**< from a forged source (ipsrc.h), not answered */
} udpecho_raw_stats;

static void
udpecho_raw_recv(void *arg, struct udp_pcb *upcb, struct pbuf *p,
                 const ip_addr_t *addr, u16_t port)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_ASSERT_CORE_LOCKED();
  if (ipsrc_is_bogus(addr)) {
    udpecho_raw_stats.bogus++;
    pbuf_free(p);
    return;
  }
  udpecho_raw_stats.requests++;
  udpecho_raw_stats.bytes += p->tot_len;
  if (udp_sendto(upcb, p, addr, port) != ERR_OK) {
    udpecho_raw_stats.send_errors++;
  }
  pbuf_free(p);
}

/**
 * Listen on port, all addresses, IPv4 and IPv6; call in the core thread.
 * @return ERR_MEM or udp_bind()'s error (ERR_USE: port taken)
 */
err_t
udpecho_raw_init(u16_t port)
{
  err_t err;

  LWIP_ASSERT_CORE_LOCKED();
  udpecho_raw_pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
  if (udpecho_raw_pcb == NULL) {
    return ERR_MEM;
  }
  err = udp_bind(udpecho_raw_pcb, IP_ANY_TYPE, port);
  if (err != ERR_OK) {
    udp_remove(udpecho_raw_pcb);
    udpecho_raw_pcb = NULL;
    return err;
  }
  udp_recv(udpecho_raw_pcb, udpecho_raw_recv, NULL);
  return ERR_OK;
}

/** Add the counters to c as group "udpecho"; call in the core thread. */
void
udpecho_raw_counters(struct counters *c)
{
  LWIP_ASSERT_CORE_LOCKED();
  counters_group(c, "udpecho");
  counters_add(c, "requests", udpecho_raw_stats.requests);
  counters_add(c, "bytes", udpecho_raw_stats.bytes);
  counters_add(c, "send_err", udpecho_raw_stats.send_errors);
  counters_add(c, "bogus", udpecho_raw_stats.bogus);
}
