/**
 * @file
 * SYN flood guard of the tap netif (see synguard.h).
 */
#include "synguard.h"

#include "lwip/inet_chksum.h"
#include "lwip/ip_addr.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/sys.h"

#include <string.h>

/** Offsets: Ethernet type; IPv4 flags/fragment, protocol, addresses;
 *  IPv6 next header, addresses; TCP ports, sequence, flags, checksum. */
#define SG_ETH_TYPE   12
#define SG_IP4_LEN    2
#define SG_IP4_FRAG   6
#define SG_IP4_PROTO  9
#define SG_IP4_SRC    12
#define SG_IP4_DST    16
#define SG_IP6_PLEN   4
#define SG_IP6_NEXT   6
#define SG_IP6_SRC    8
#define SG_IP6_DST    24
#define SG_TCP_SEQ    4
#define SG_TCP_FLAGS  13
#define SG_TCP_CHKSUM 16
/** IPv4 fragment offset and more-fragments bits; IPv6 fragment offset. */
#define SG_IP4_FRAGOFF 0x1fff
#define SG_IP4_MF      0x2000
#define SG_IP6_FRAGOFF 0xfff8
/** IPv6 extension headers looked through before giving up. */
#define SG_IP6_MAX_EXT 4

/** The fields of one TCP segment the guard looks at. */
struct synguard_seg {
  const u8_t *src, *dst;  /**< addresses inside the frame */
  u8_t v6;
  u16_t sport, dport;
  u32_t seq;
  u8_t flags;
};

static u16_t
synguard_get16(const u8_t *p)
{
  return (u16_t)((p[0] << 8) | p[1]);
}

static u32_t
synguard_get32(const u8_t *p)
{
  return ((u32_t)p[0] << 24) | ((u32_t)p[1] << 16) | ((u32_t)p[2] << 8) | p[3];
}

static void
synguard_put16(u8_t *p, u16_t v)
{
  p[0] = (u8_t)(v >> 8);
  p[1] = (u8_t)v;
}

static void
synguard_put32(u8_t *p, u32_t v)
{
  synguard_put16(p, (u16_t)(v >> 16));
  synguard_put16(p + 2, (u16_t)v);
}

static int
synguard_ip6_is_ext(u8_t next)
{
  return next == IP6_NEXTH_HOPBYHOP || next == IP6_NEXTH_ROUTING || next == IP6_NEXTH_DESTOPTS;
}

/**
 * Where the TCP header of an IPv6 packet starts, past hop-by-hop, routing,
 * destination options and fragment headers (a SYN may hide behind them).
 * @return its offset from ip, 0 when it is not TCP or is not in this frame
 *         (a later fragment), -1 for a first fragment too short to hold
 *         the TCP header or a chain of more than SG_IP6_MAX_EXT headers
 */
static int
synguard_ip6_tcp(const u8_t *ip, u16_t avail)
{
  u8_t next = ip[SG_IP6_NEXT];
  u16_t off = IP6_HLEN;
  int frag = 0, i;

  for (i = 0; i < SG_IP6_MAX_EXT && next != IP_PROTO_TCP; i++) {
    if (off + 8 > avail) {
      return frag ? -1 : 0;
    }
    if (next == IP6_NEXTH_FRAGMENT) {
      if ((synguard_get16(ip + off + 2) & SG_IP6_FRAGOFF) != 0) {
        return 0;
      }
      frag = 1;
      next = ip[off];
      off = (u16_t)(off + 8);
    } else if (synguard_ip6_is_ext(next)) {
      next = ip[off];
      off = (u16_t)(off + (ip[off + 1] + 1) * 8);
    } else {
      return 0;
    }
  }
  if (next != IP_PROTO_TCP) {
    /* a longer chain than any real stack sends: it might hide a SYN */
    return next == IP6_NEXTH_FRAGMENT || synguard_ip6_is_ext(next) ? -1 : 0;
  }
  return off + TCP_HLEN <= avail ? off : (frag ? -1 : 0);
}

/**
 * A TCP segment in an IPv4 or IPv6 packet, or in its first fragment?
 * Fills s. A later fragment cannot start a handshake by itself (lwIP
 * reassembles from the first), so it passes; a first fragment too short
 * to hold the TCP header, which could hide a SYN's flags from us, never
 * comes from a real stack (RFC 1858) and is dropped.
 * @return 1 parsed, 0 not TCP (or a later fragment), -1 drop
 */
static int
synguard_parse(const u8_t *f, u16_t len, struct synguard_seg *s)
{
  const u8_t *ip = f + SIZEOF_ETH_HDR;
  const u8_t *tcp;
  u16_t type, avail;

  if (len < SIZEOF_ETH_HDR + IP_HLEN) {
    return 0;
  }
  avail = (u16_t)(len - SIZEOF_ETH_HDR);
  type = synguard_get16(f + SG_ETH_TYPE);
  if (type == ETHTYPE_IP) {
    u16_t hl = (u16_t)((ip[0] & 0x0f) * 4);
    u16_t frag = synguard_get16(ip + SG_IP4_FRAG);

    if ((ip[0] >> 4) != 4 || hl < IP_HLEN || ip[SG_IP4_PROTO] != IP_PROTO_TCP ||
        (frag & SG_IP4_FRAGOFF) != 0) {
      return 0;
    }
    /* the packet's own length: Ethernet pads short frames */
    avail = LWIP_MIN(avail, synguard_get16(ip + SG_IP4_LEN));
    if (hl + TCP_HLEN > avail) {
      return (frag & SG_IP4_MF) != 0 ? -1 : 0;
    }
    s->v6 = 0;
    s->src = ip + SG_IP4_SRC;
    s->dst = ip + SG_IP4_DST;
    tcp = ip + hl;
  } else if (type == ETHTYPE_IPV6 && avail >= IP6_HLEN && (ip[0] >> 4) == 6) {
    int off = synguard_ip6_tcp(ip, LWIP_MIN(avail, IP6_HLEN + synguard_get16(ip + SG_IP6_PLEN)));

    if (off <= 0) {
      return off;
    }
    s->v6 = 1;
    s->src = ip + SG_IP6_SRC;
    s->dst = ip + SG_IP6_DST;
    tcp = ip + off;
  } else {
    return 0;
  }
  s->sport = synguard_get16(tcp);
  s->dport = synguard_get16(tcp + 2);
  s->seq = synguard_get32(tcp + SG_TCP_SEQ);
  s->flags = tcp[SG_TCP_FLAGS];
  return 1;
}

static size_t
synguard_alen(u8_t v6)
{
  return v6 ? 16 : 4;
}

static int
synguard_same_src(const struct synguard_entry *e, const struct synguard_seg *s)
{
  return e->used && e->v6 == s->v6 && memcmp(e->src, s->src, synguard_alen(s->v6)) == 0;
}

static int
synguard_same_conn(const struct synguard_entry *e, const struct synguard_seg *s)
{
  return synguard_same_src(e, s) && e->sport == s->sport && e->dport == s->dport &&
         memcmp(e->dst, s->dst, synguard_alen(s->v6)) == 0;
}

static void
synguard_forget(struct synguard *g, struct synguard_entry *e)
{
  e->used = 0;
  g->n--;
}

/** An address of e as lwIP's type, for the pseudo-header checksum. */
static void
synguard_addr(const struct synguard_entry *e, const u8_t *a, ip_addr_t *out)
{
  if (e->v6) {
    u32_t w[4];

    memcpy(w, a, sizeof(w));
    IP_ADDR6(out, w[0], w[1], w[2], w[3]);
  } else {
    u32_t w;

    memcpy(&w, a, sizeof(w));
    IP_ADDR4(out, 0, 0, 0, 0);
    ip4_addr_set_u32(ip_2_ip4(out), w);
  }
}

/**
 * Evict e: hand lwIP the RST its client would send (sequence number
 * isn + 1, the one lwIP's SYN_RCVD pcb expects), so lwIP frees the pcb by
 * its own rules. A pcb lwIP already dropped makes this RST one that matches
 * nothing, which lwIP drops silently.
 */
static void
synguard_evict(struct synguard *g, struct synguard_entry *e)
{
  u16_t iphl = e->v6 ? IP6_HLEN : IP_HLEN;
  u16_t len = (u16_t)(SIZEOF_ETH_HDR + iphl + TCP_HLEN);
  struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
  ip_addr_t src, dst;
  u8_t *f, *ip, *tcp;
  u16_t chk;

  g->stats.evicted++;
  synguard_forget(g, e);
  if (p == NULL) {
    return;
  }
  f = (u8_t *)p->payload;
  memset(f, 0, len);
  memcpy(f, e->mac_dst, 6);
  memcpy(f + 6, e->mac_src, 6);
  ip = f + SIZEOF_ETH_HDR;
  tcp = ip + iphl;
  if (e->v6) {
    synguard_put16(f + SG_ETH_TYPE, ETHTYPE_IPV6);
    ip[0] = 6 << 4;
    synguard_put16(ip + SG_IP6_PLEN, TCP_HLEN);
    ip[SG_IP6_NEXT] = IP_PROTO_TCP;
    ip[7] = 64;
    memcpy(ip + SG_IP6_SRC, e->src, 16);
    memcpy(ip + SG_IP6_DST, e->dst, 16);
  } else {
    synguard_put16(f + SG_ETH_TYPE, ETHTYPE_IP);
    ip[0] = (4 << 4) | (IP_HLEN / 4);
    synguard_put16(ip + SG_IP4_LEN, IP_HLEN + TCP_HLEN);
    synguard_put16(ip + SG_IP4_FRAG, IP_DF);
    ip[8] = 64;
    ip[SG_IP4_PROTO] = IP_PROTO_TCP;
    memcpy(ip + SG_IP4_SRC, e->src, 4);
    memcpy(ip + SG_IP4_DST, e->dst, 4);
    chk = inet_chksum(ip, IP_HLEN);
    memcpy(ip + 10, &chk, sizeof(chk));
  }
  synguard_put16(tcp, e->sport);
  synguard_put16(tcp + 2, e->dport);
  synguard_put32(tcp + SG_TCP_SEQ, e->isn + 1);
  tcp[12] = (TCP_HLEN / 4) << 4;
  tcp[SG_TCP_FLAGS] = TCP_RST;
  synguard_addr(e, e->src, &src);
  synguard_addr(e, e->dst, &dst);
  pbuf_remove_header(p, (size_t)(tcp - f));
  chk = ip_chksum_pseudo(p, IP_PROTO_TCP, TCP_HLEN, &src, &dst);
  pbuf_add_header(p, (size_t)(tcp - f));
  memcpy(tcp + SG_TCP_CHKSUM, &chk, sizeof(chk));
  g->inject(p, g->inject_arg);
}

/** Start empty; inject delivers the evicting RSTs to lwIP. */
void
synguard_init(struct synguard *g, synguard_inject_fn inject, void *arg)
{
  memset(g, 0, sizeof(*g));
  g->inject = inject;
  g->inject_arg = arg;
}

/** A SYN: a new handshake, tracked within the limits, or dropped (one pass over the
 *  table finds a retransmission, the source's count, the oldest entry, a
 *  free slot, and forgets expired ones). @return 1 pass, 0 drop */
static int
synguard_syn(struct synguard *g, const u8_t *frame, const struct synguard_seg *s)
{
  struct synguard_entry *oldest = NULL, *oldest_src = NULL, *slot = NULL, *e;
  u32_t now = sys_now(), per_src = 0, i;

  for (i = 0; i < SYNGUARD_MAX; i++) {
    e = &g->e[i];
    if (e->used && now - e->t_ms >= SYNGUARD_HALFOPEN_MS) {
      g->stats.expired++;
      synguard_forget(g, e);
    }
    if (!e->used) {
      slot = slot != NULL ? slot : e;
      continue;
    }
    if (synguard_same_conn(e, s) && e->isn == s->seq) {
      return 1;
    }
    if (synguard_same_src(e, s)) {
      per_src++;
      if (oldest_src == NULL || now - e->t_ms > now - oldest_src->t_ms) {
        oldest_src = e;
      }
    }
    if (oldest == NULL || now - e->t_ms > now - oldest->t_ms) {
      oldest = e;
    }
  }
  if (per_src >= SYNGUARD_PER_SRC) {
    g->stats.dropped++;
    return 0;
  }
  if (slot == NULL) {
    if (now - oldest->t_ms < SYNGUARD_EVICT_MIN_MS) {
      g->stats.full++;
      return 0;
    }
    synguard_evict(g, oldest);
    slot = oldest;
  }
  memset(slot, 0, sizeof(*slot));
  slot->used = 1;
  slot->v6 = s->v6;
  memcpy(slot->src, s->src, synguard_alen(s->v6));
  memcpy(slot->dst, s->dst, synguard_alen(s->v6));
  slot->sport = s->sport;
  slot->dport = s->dport;
  slot->isn = s->seq;
  slot->t_ms = now;
  memcpy(slot->mac_dst, frame, 6);
  memcpy(slot->mac_src, frame + 6, 6);
  g->n++;
  g->stats.syns++;
  return 1;
}

/**
 * Look at one received frame before lwIP does; core thread. SYNs are
 * tracked (and the oldest half-open handshake evicted when the table is
 * full), the client's next segment of a tracked handshake ends it.
 * @param frame the whole Ethernet frame
 * @param len   its length
 * @return 1: give the frame to lwIP; 0: drop it (a SYN from a source with
 *         SYNGUARD_PER_SRC half-open handshakes, or one that finds the table
 *         full of handshakes younger than SYNGUARD_EVICT_MIN_MS)
 */
int
synguard_input(struct synguard *g, const u8_t *frame, u16_t len)
{
  struct synguard_seg s;
  u32_t i;

  LWIP_ASSERT_CORE_LOCKED();
  switch (synguard_parse(frame, len, &s)) {
  case 0:
    return 1;
  case -1:
    g->stats.hidden++;
    return 0;
  default:
    break;
  }
  if ((s.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
    return synguard_syn(g, frame, &s);
  }
  for (i = 0; i < SYNGUARD_MAX && g->n > 0; i++) {
    if (synguard_same_conn(&g->e[i], &s)) {
      g->stats.completed++;
      synguard_forget(g, &g->e[i]);
      break;
    }
  }
  return 1;
}

/** Add the counters to c as group "synguard"; core thread. half_open is
 *  bounded by SYNGUARD_MAX in all and SYNGUARD_PER_SRC per source. */
void
synguard_counters(const struct synguard *g, struct counters *c)
{
  counters_group(c, "synguard");
  counters_add(c, "half_open", g->n);
  counters_add(c, "syns", g->stats.syns);
  counters_add(c, "completed", g->stats.completed);
  counters_add(c, "evicted", g->stats.evicted);
  counters_add(c, "dropped", g->stats.dropped);
  counters_add(c, "expired", g->stats.expired);
  counters_add(c, "full", g->stats.full);
  counters_add(c, "hidden", g->stats.hidden);
}
