/**
 * @file
 * KCP sessions on an lwIP raw-API udp_pcb: demultiplexing datagrams to
 * sessions, driving each engine's clock, and keeping sessions bounded.
 *
 * Per kcp_pcb:
 * - a hash table of sessions keyed by (address, port, conv), grown by
 *   doubling so chains stay short with thousands of sessions;
 * - a binary min-heap of sessions ordered by their next wake-up, and one
 *   sys_timeout armed at its top, so the cost of time is O(log n) per event
 *   and nothing scans all sessions;
 * - a datagram scratch (for chained pbufs) and a message scratch (messages
 *   are lent to the application from it).
 *
 * A session is "serviced" on input, on its heap wake-up, and after a write
 * outside a callback: the engine's clock is advanced, input fed, whole
 * messages delivered. Input does not flush: it makes the session due now,
 * and the pcb's one sys_timeout, which lwIP runs once the burst is in
 * (tcpip_thread before it takes the next message of its mailbox, a driver
 * thread that fed the burst in under the core lock after it), flushes
 * every session the burst touched once. So the ACKs and replies of
 * a whole burst leave together, in full datagrams, in the millisecond the
 * burst arrived, without waiting for the engine's next interval tick.
 * Except past a hole: while a segment is missing, each datagram is acked
 * at once, as TCP acks an out-of-order segment at once, because a KCP
 * sender counts later ACKs toward a fast retransmission once per datagram
 * it takes in; one datagram of ACKs per burst would leave the lost segment
 * to its retransmission timeout (at 2 % loss, a third of the goodput).
 */
#include "kcp_lwip.h"
#include "kcp_codec.h"

#include "lwip/udp.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "lwip/mem.h"
#include "lwip/def.h"
#include "lwip/sys.h"

#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
/* glibc keeps freed memory for reuse; once sessions close, give it back. */
#define KCP_MEM_RELEASE() malloc_trim(0)
#else
#define KCP_MEM_RELEASE()
#endif

/** Hash buckets of a new kcp_pcb; doubled whenever sessions outnumber them. */
#define KCP_HASH_MIN  64
/** Heap slots allocated at first; doubled when full. */
#define KCP_HEAP_MIN  16

/** A session that advertises a window of at most this many segments
 *  spreads its ACKs over datagrams while a segment is missing (see
 *  ikcp_setdupacks()): the few datagrams behind a loss in so small a window
 *  seldom bring a sender the two datagrams of ACKs its fast retransmission
 *  waits for, and its timer (100 ms at least in kcptun's fast profile) then
 *  sets the p99. Measured at 2 % loss, 1..1300-byte messages: with 100
 *  sessions (shares of 5 to 17) p99 RTT 9 ms instead of 135 and a third
 *  more goodput; at shares of 10 to 32 no difference; at 51 (10 sessions)
 *  the extra datagrams cost a sixth of the goodput. */
#define KCP_DUPACK_WND 16

/** How often (ms) active sessions are counted and the share recomputed. */
#define KCP_SHARE_MS  100
/** A session is active while it received data within this many counts. */
#define KCP_ACTIVE_COUNTS 5
/** A session that made no progress this long (ms) may be evicted while
    the pcb holds more than its limit. */
#define KCP_EVICT_MS  1000
/** Memory goes back to the system at most this often (ms) after closes. */
#define KCP_RELEASE_MS 1000

/* Progress lists: sessions that have moved no further than their opening
   message are evicted before those that went on... */
#define KCP_LIST_NEW   0
#define KCP_LIST_GOING 1
/** ... unless these made no progress for this much longer (ms). */
#define KCP_NEW_GRACE_MS 5000

/** Largest hash table and heap (entries): keeps their byte sizes far from
    overflowing size_t, even on 32-bit targets. */
#define KCP_TABLE_MAX (1UL << 24)

/* Session flags */
#define KCP_SF_OPEN     0x01 /* accepted or connected: counts as opened/closed */
#define KCP_SF_BUSY     0x02 /* being serviced: kcp_close() only marks it */
#define KCP_SF_CLOSING  0x04 /* closed; unlinked, freed when no longer busy */
#define KCP_SF_FLUSH    0x08 /* kcp_write() queued data: flush at next service */
#define KCP_SF_RXBLOCK  0x10 /* the application refused a message */
#define KCP_SF_INPUT    0x20 /* datagrams fed since the last flush */
#define KCP_SF_ACKWAIT  0x40 /* ACKs kept back since acks_at: sent within an interval */

/** Wrap-safe "a is earlier than b" for sys_now() times. */
#define KCP_BEFORE(a, b) ((s32_t)((u32_t)(a) - (u32_t)(b)) < 0)

struct kcp_session {
  ikcpcb *kcp;
  struct kcp_pcb *pcb;
  struct kcp_session *hnext;  /* hash chain */
  void *arg;
  kcp_recv_fn recv;
  kcp_sent_fn sent;
  kcp_err_fn err;
  ip_addr_t remote_ip;
  u16_t remote_port;
  u8_t flags;
  u32_t heap_idx;
  struct kcp_session *lprev;  /* progress list: least recent progress first */
  struct kcp_session *lnext;
  u8_t list;                  /* KCP_LIST_NEW or KCP_LIST_GOING */
  u32_t progress_at;          /* sys_now() time of the last progress (or open) */
  u32_t acks_at;              /* sys_now() time ACKs were first kept back */
  IUINT32 seen_una;           /* snd_una and rcv_nxt at the last progress */
  IUINT32 seen_nxt;
  IUINT64 seen_data;          /* data segments received at the last count */
  u32_t held;                 /* segments held, as counted in pcb->st.held */
  u8_t quiet;                 /* counts since data last arrived */
  u32_t dgram_in;
  u32_t dgram_out;
  u32_t malformed;
  struct kcp_codec_link *link;  /* the codec's state for this peer, or NULL */
};

/* A heap entry: a session and its next wake-up (sys_now() time), kept
   beside the pointer so that a sift compares within the heap's own array
   instead of reaching into a session per comparison (a cache miss each,
   with many sessions). */
struct kcp_heap_ent {
  u32_t wake;
  struct kcp_session *s;
};

struct kcp_pcb {
  struct udp_pcb *udp;
  void *arg;
  kcp_accept_fn accept;
  struct kcp_session **buckets;
  u32_t nbuckets;             /* a power of two */
  u32_t hash_seed;
  struct kcp_heap_ent *heap;
  u32_t heap_len;
  u32_t heap_cap;
  u32_t max_sessions;
  u32_t idle_ms;
  u32_t sndq_max;
  u32_t budget;               /* segments in flight toward us, all sessions */
  u32_t stall_ms;
  u32_t source_max;           /* sessions per source address */
  u32_t share_at;             /* sys_now() of the last count of active sessions */
  u32_t released_at;          /* sys_now() of the last KCP_MEM_RELEASE() */
  u8_t release_due;           /* sessions were freed since */
  u32_t enforced_at;          /* sys_now() of the last fruitless eviction search */
  struct kcp_session *lhead[2]; /* progress lists, by KCP_LIST_* */
  struct kcp_session *ltail[2];
  u32_t timer_due;
  u8_t timer_armed;
  u8_t busy;                  /* inside one of its callbacks */
  u8_t ack_nodelay;           /* kcp_set_ack_nodelay() */
  u8_t *msgbuf;
  u32_t msgbuf_len;
  struct kcp_stats st;        /* st.engine holds closed sessions only */
  struct kcp_codec *codec;    /* kcp_set_codec(), or NULL: plain KCP */
  struct kcp_session *fec_last; /* last session an FEC data shard reached */
  u8_t rxbuf[KCP_DGRAM_MAX];
};

static void kcp_tmr(void *arg);

/* The engine allocates through lwIP's heap, as everything else here does. */
static void *
kcp_mem_alloc(size_t size)
{
  if ((size_t)(mem_size_t)size != size) {
    return NULL;
  }
  return mem_malloc((mem_size_t)size);
}

/* mem_free() asserts on NULL, free() does not: the engine expects free(). */
static void
kcp_mem_free(void *ptr)
{
  if (ptr != NULL) {
    mem_free(ptr);
  }
}

static u32_t
kcp_mix(u32_t h)
{
  h ^= h >> 16;
  h *= 0x7feb352dUL;
  h ^= h >> 15;
  h *= 0x846ca68bUL;
  h ^= h >> 16;
  return h;
}

static u32_t
kcp_hash(const struct kcp_pcb *pcb, const ip_addr_t *ip, u16_t port, IUINT32 conv)
{
  u32_t h = kcp_mix(pcb->hash_seed ^ (u32_t)conv);
  h = kcp_mix(h ^ port);
#if LWIP_IPV6
  if (IP_IS_V6(ip)) {
    int i;
    for (i = 0; i < 4; i++) {
      h = kcp_mix(h ^ ip_2_ip6(ip)->addr[i]);
    }
    return h;
  }
#endif
#if LWIP_IPV4
  h = kcp_mix(h ^ ip4_addr_get_u32(ip_2_ip4(ip)));
#endif
  return h;
}

static struct kcp_session *
kcp_lookup(const struct kcp_pcb *pcb, const ip_addr_t *ip, u16_t port, IUINT32 conv)
{
  struct kcp_session *s = pcb->buckets[kcp_hash(pcb, ip, port, conv) & (pcb->nbuckets - 1)];
  while (s != NULL) {
    /* the session's own fields first: another chain entry is then told
       apart without reaching into its engine */
    if (s->remote_port == port && ip_addr_cmp(&s->remote_ip, ip) && s->kcp->conv == conv) {
      return s;
    }
    s = s->hnext;
  }
  return NULL;
}

static void
kcp_hash_insert(struct kcp_pcb *pcb, struct kcp_session *s)
{
  u32_t b = kcp_hash(pcb, &s->remote_ip, s->remote_port, s->kcp->conv) & (pcb->nbuckets - 1);
  s->hnext = pcb->buckets[b];
  pcb->buckets[b] = s;
}

static void
kcp_hash_remove(struct kcp_pcb *pcb, struct kcp_session *s)
{
  struct kcp_session **pp = &pcb->buckets[kcp_hash(pcb, &s->remote_ip, s->remote_port, s->kcp->conv)
                                          & (pcb->nbuckets - 1)];
  while (*pp != NULL) {
    if (*pp == s) {
      *pp = s->hnext;
      s->hnext = NULL;
      return;
    }
    pp = &(*pp)->hnext;
  }
}

/* Doubles the table once sessions outnumber buckets; on no memory the
   chains just get longer. */
static void
kcp_hash_grow(struct kcp_pcb *pcb)
{
  struct kcp_session **nb, **old = pcb->buckets;
  u32_t n = pcb->nbuckets * 2, i;

  if (pcb->st.sessions < pcb->nbuckets || n > KCP_TABLE_MAX) {
    return;
  }
  nb = (struct kcp_session **)mem_calloc((mem_size_t)n, sizeof(*nb));
  if (nb == NULL) {
    return;
  }
  pcb->buckets = nb;
  pcb->nbuckets = n;
  for (i = 0; i < n / 2; i++) {
    while (old[i] != NULL) {
      struct kcp_session *s = old[i];
      old[i] = s->hnext;
      kcp_hash_insert(pcb, s);
    }
  }
  mem_free(old);
}

static void
kcp_heap_place(struct kcp_pcb *pcb, struct kcp_heap_ent e, u32_t i)
{
  pcb->heap[i] = e;
  e.s->heap_idx = i;
}

static void
kcp_heap_up(struct kcp_pcb *pcb, u32_t i)
{
  struct kcp_heap_ent e = pcb->heap[i];
  while (i > 0) {
    u32_t parent = (i - 1) / 2;
    if (!KCP_BEFORE(e.wake, pcb->heap[parent].wake)) {
      break;
    }
    kcp_heap_place(pcb, pcb->heap[parent], i);
    i = parent;
  }
  kcp_heap_place(pcb, e, i);
}

static void
kcp_heap_down(struct kcp_pcb *pcb, u32_t i)
{
  struct kcp_heap_ent e = pcb->heap[i];
  for (;;) {
    u32_t c = 2 * i + 1;
    if (c >= pcb->heap_len) {
      break;
    }
    if (c + 1 < pcb->heap_len && KCP_BEFORE(pcb->heap[c + 1].wake, pcb->heap[c].wake)) {
      c++;
    }
    if (!KCP_BEFORE(pcb->heap[c].wake, e.wake)) {
      break;
    }
    kcp_heap_place(pcb, pcb->heap[c], i);
    i = c;
  }
  kcp_heap_place(pcb, e, i);
}

/* Makes room for one more session in the heap; ERR_MEM leaves it as is. */
static err_t
kcp_heap_reserve(struct kcp_pcb *pcb)
{
  struct kcp_heap_ent *nh;
  u32_t cap;

  if (pcb->heap_len < pcb->heap_cap) {
    return ERR_OK;
  }
  cap = pcb->heap_cap ? pcb->heap_cap * 2 : KCP_HEAP_MIN;
  if (cap > KCP_TABLE_MAX) {
    return ERR_MEM;
  }
  nh = (struct kcp_heap_ent *)mem_malloc((mem_size_t)(cap * sizeof(*nh)));
  if (nh == NULL) {
    return ERR_MEM;
  }
  if (pcb->heap_len > 0) {
    memcpy(nh, pcb->heap, pcb->heap_len * sizeof(*nh));
  }
  kcp_mem_free(pcb->heap);
  pcb->heap = nh;
  pcb->heap_cap = cap;
  return ERR_OK;
}

static void
kcp_heap_insert(struct kcp_pcb *pcb, struct kcp_session *s, u32_t wake)
{
  struct kcp_heap_ent e;

  e.wake = wake;
  e.s = s;
  kcp_heap_place(pcb, e, pcb->heap_len++);
  kcp_heap_up(pcb, s->heap_idx);
}

static void
kcp_heap_remove(struct kcp_pcb *pcb, struct kcp_session *s)
{
  u32_t i = s->heap_idx;
  struct kcp_heap_ent last = pcb->heap[--pcb->heap_len];
  if (last.s != s) {
    kcp_heap_place(pcb, last, i);
    kcp_heap_up(pcb, i);
    kcp_heap_down(pcb, last.s->heap_idx);
  }
}

static void
kcp_heap_set(struct kcp_session *s, u32_t wake)
{
  struct kcp_pcb *pcb = s->pcb;
  u32_t old = pcb->heap[s->heap_idx].wake;

  pcb->heap[s->heap_idx].wake = wake;
  if (KCP_BEFORE(wake, old)) {
    kcp_heap_up(pcb, s->heap_idx);
  } else if (wake != old) {
    kcp_heap_down(pcb, s->heap_idx);
  }
}

/* Keeps the one sys_timeout at or before the heap's top. A later top (a
   session removed or pushed back) leaves the timer alone: it fires early,
   finds nothing due and re-arms, which is cheaper than re-arming each time. */
static void
kcp_timer_arm(struct kcp_pcb *pcb)
{
  u32_t due, now;

  if (pcb->heap_len == 0) {
    return;
  }
  due = pcb->heap[0].wake;
  if (pcb->release_due && KCP_BEFORE(pcb->released_at + KCP_RELEASE_MS, due)) {
    due = pcb->released_at + KCP_RELEASE_MS;
  }
  if (pcb->timer_armed) {
    if (!KCP_BEFORE(due, pcb->timer_due)) {
      return;
    }
    sys_untimeout(kcp_tmr, pcb);
  }
  now = sys_now();
  pcb->timer_due = due;
  pcb->timer_armed = 1;
  /* No wake-up is ever more than idle_ms ahead; the bound also keeps
     sys_timeout() below its 2^30 ms limit whatever happens to the clock. */
  sys_timeout(KCP_BEFORE(now, due) ? LWIP_MIN(due - now, pcb->idle_ms) : 0, kcp_tmr, pcb);
}

static void
kcp_engine_add(IKCPSTATS *sum, const IKCPSTATS *x)
{
  sum->segs_in += x->segs_in;
  sum->segs_out += x->segs_out;
  sum->bytes_in += x->bytes_in;
  sum->bytes_out += x->bytes_out;
  sum->data_segs_in += x->data_segs_in;
  sum->data_segs_out += x->data_segs_out;
  sum->retrans_timeout += x->retrans_timeout;
  sum->retrans_fast += x->retrans_fast;
  sum->dup_segs += x->dup_segs;
  sum->out_of_window += x->out_of_window;
  sum->malformed += x->malformed;
}

static void
kcp_session_free(struct kcp_session *s)
{
  IKCPSTATS es;

  ikcp_getstats(s->kcp, &es);
  kcp_engine_add(&s->pcb->st.engine, &es);
  s->pcb->release_due = 1;
  ikcp_release(s->kcp);
  kcp_codec_link_free(s->link);
  if (s->pcb->fec_last == s) {
    s->pcb->fec_last = NULL;
  }
  mem_free(s);
}

static void
kcp_list_remove(struct kcp_pcb *pcb, struct kcp_session *s)
{
  if (s->lprev != NULL) {
    s->lprev->lnext = s->lnext;
  } else {
    pcb->lhead[s->list] = s->lnext;
  }
  if (s->lnext != NULL) {
    s->lnext->lprev = s->lprev;
  } else {
    pcb->ltail[s->list] = s->lprev;
  }
  s->lprev = NULL;
  s->lnext = NULL;
}

static void
kcp_list_append(struct kcp_pcb *pcb, struct kcp_session *s, u8_t list)
{
  s->list = list;
  s->lprev = pcb->ltail[list];
  s->lnext = NULL;
  if (pcb->ltail[list] != NULL) {
    pcb->ltail[list]->lnext = s;
  } else {
    pcb->lhead[list] = s;
  }
  pcb->ltail[list] = s;
}

/* Takes the session out of the table and the heap; it can no longer be
   found by input or woken by the timer. */
static void
kcp_session_unlink(struct kcp_session *s)
{
  struct kcp_pcb *pcb = s->pcb;

  kcp_hash_remove(pcb, s);
  kcp_heap_remove(pcb, s);
  kcp_list_remove(pcb, s);
  pcb->st.held -= s->held;
  pcb->st.sessions--;
  if (s->flags & KCP_SF_OPEN) {
    pcb->st.closed++;
  }
  s->flags |= KCP_SF_CLOSING;
}

/* Closes a session for a reason of this module's own: the application
   learns it through the err callback, after which the session is freed.
   @param count the counter of that reason, or NULL */
static void
kcp_session_abort(struct kcp_session *s, err_t err, u32_t *count)
{
  kcp_err_fn errf = s->err;
  void *arg = s->arg;
  struct kcp_pcb *pcb = s->pcb;

  kcp_session_unlink(s);
  if (count != NULL) {
    (*count)++;
  }
  if (errf != NULL) {
    pcb->busy++;
    errf(arg, err);
    pcb->busy--;
  }
  kcp_session_free(s);
}

/* Sends one datagram to the session's peer, copied from the caller's
   buffer into one PBUF_RAM pbuf with room for every header in front: one
   allocation per datagram where a reference (PBUF_REF) costs two (udp_sendto()
   would chain a header pbuf of its own), and a frame in one piece for the
   netif; the copy costs less than the allocation it saves. */
static int
kcp_send_dgram(struct kcp_session *s, const void *buf, int len)
{
  struct kcp_pcb *pcb = s->pcb;
  struct pbuf *p;
  err_t err;

  if (len <= 0 || len > 0xFFFF) {
    pcb->st.send_err++;
    return -1;
  }
  p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
  if (p == NULL) {
    pcb->st.send_err++;
    return -1;
  }
  pbuf_take(p, buf, (u16_t)len);
  err = udp_sendto(pcb->udp, p, &s->remote_ip, s->remote_port);
  pbuf_free(p);
  if (err != ERR_OK) {
    pcb->st.send_err++;
    return -1;
  }
  pcb->st.dgram_out++;
  s->dgram_out++;
  return 0;
}

static void kcp_codec_emit(void *arg, const uint8_t *dgram, size_t len);

/* The engine's output: one KCP datagram, through the codec if any. */
static int
kcp_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct kcp_session *s = (struct kcp_session *)user;

  LWIP_UNUSED_ARG(kcp);
  if (s->link != NULL) {
    if (len <= 0 || kcp_codec_link_send(s->link, buf, (size_t)len, kcp_codec_emit, s) != 0) {
      s->pcb->st.send_err++;
      return -1;
    }
    return 0;
  }
  return kcp_send_dgram(s, buf, len);
}

/* Grows the message scratch to hold len bytes.
   @return ERR_OK, or ERR_MEM (the scratch is left as it was) */
static err_t
kcp_msgbuf_reserve(struct kcp_pcb *pcb, u32_t len)
{
  u8_t *nb;

  if (len <= pcb->msgbuf_len) {
    return ERR_OK;
  }
  if ((size_t)(mem_size_t)len != (size_t)len) {
    return ERR_MEM;
  }
  nb = (u8_t *)mem_malloc((mem_size_t)len);
  if (nb == NULL) {
    return ERR_MEM;
  }
  kcp_mem_free(pcb->msgbuf);
  pcb->msgbuf = nb;
  pcb->msgbuf_len = len;
  return ERR_OK;
}

/* Hands every whole message to the application, stopping at the first it
   refuses (it stays in the engine, peeked, not consumed). A consumed
   message is dropped with a NULL buffer (as in the reference ikcp_recv),
   so it is copied once.
   @return 1 when at least one message was consumed */
static int
kcp_deliver(struct kcp_session *s)
{
  struct kcp_pcb *pcb = s->pcb;
  int got = 0;
  int size;

  s->flags &= (u8_t)~KCP_SF_RXBLOCK;
  while (!(s->flags & KCP_SF_CLOSING) && (size = ikcp_peeksize(s->kcp)) >= 0) {
    err_t err = ERR_OK;
    if (kcp_msgbuf_reserve(pcb, size > 0 ? (u32_t)size : 1) != ERR_OK) {
      s->flags |= KCP_SF_RXBLOCK;
      break;
    }
    if (s->recv != NULL) {
      if (size > 0 && ikcp_recv(s->kcp, (char *)pcb->msgbuf, -size) != size) {
        break;
      }
      pcb->busy++;
      err = s->recv(s->arg, s, pcb->msgbuf, (u32_t)size);
      pcb->busy--;
    }
    if (s->flags & KCP_SF_CLOSING) {
      break;
    }
    if (err != ERR_OK) {
      s->flags |= KCP_SF_RXBLOCK;
      break;
    }
    ikcp_recv(s->kcp, NULL, size);
    got = 1;
  }
  return got;
}

/* When the session is closed unless it makes progress: the idle timeout
   after its last progress, or the stall limit while it holds segments. */
static u32_t
kcp_deadline(const struct kcp_session *s)
{
  const struct kcp_pcb *pcb = s->pcb;
  return s->progress_at + (s->held > 0 ? LWIP_MIN(pcb->stall_ms, pcb->idle_ms) : pcb->idle_ms);
}

/* When ACKs kept back without ack_nodelay (KCP_SF_ACKWAIT) leave at the
   latest: one engine interval after the first was kept. */
static u32_t
kcp_ackwait_due(const struct kcp_session *s)
{
  return s->acks_at + s->kcp->interval;
}

/* Next wake-up: the idle deadline, or sooner the engine's own when it has
   something to do. An idle session (nothing queued or in flight, nothing
   refused) is not woken every interval, and gives its engine's buffers
   back (ikcp_trim), so that thousands of idle sessions cost only their
   control blocks; the engine re-allocates them on the next datagram. */
static void
kcp_schedule(struct kcp_session *s, u32_t now)
{
  struct kcp_pcb *pcb = s->pcb;
  u32_t wake = kcp_deadline(s);

  if (ikcp_waitsnd(s->kcp) > 0 ||
      (s->flags & (KCP_SF_RXBLOCK | KCP_SF_FLUSH | KCP_SF_ACKWAIT))) {
    u32_t t = (s->flags & KCP_SF_FLUSH) ? now : ikcp_check(s->kcp, now);
    if (!(s->flags & KCP_SF_FLUSH) && !KCP_BEFORE(now, t)) {
      t = now + 1;
    }
    if ((s->flags & KCP_SF_ACKWAIT) && KCP_BEFORE(kcp_ackwait_due(s), t)) {
      t = kcp_ackwait_due(s);
    }
    if (KCP_BEFORE(t, wake)) {
      wake = t;
    }
  } else {
    ikcp_trim(s->kcp);
  }
  kcp_heap_set(s, wake);
  kcp_timer_arm(pcb);
}

/* The most the session advertises as its window: its receive window, cut
   to its share of the budget. */
static u32_t
kcp_adv_wnd(const struct kcp_session *s)
{
  return LWIP_MIN(s->kcp->rcv_wnd, s->pcb->st.share);
}

/* How many ACKs kept back go at once: a datagram full of them, or a
   quarter of the window the session advertises if that is less, so that a
   sender with a window of that size or more is never stalled waiting for
   them. */
static u32_t
kcp_ack_batch(const struct kcp_session *s)
{
  return LWIP_MAX(1, LWIP_MIN(s->kcp->mtu / IKCP_OVERHEAD, kcp_adv_wnd(s) / 4));
}

/* Whether, without ack_nodelay, the ACKs input left may wait instead of
   being flushed now: not when data waits to be sent (a flush then carries
   them), when kcp_ack_batch() of them wait, or when the wait began an
   interval ago. */
static int
kcp_acks_may_wait(const struct kcp_session *s, u32_t now)
{
  if (s->pcb->ack_nodelay || ikcp_sndqlen(s->kcp) > 0) {
    return 0;
  }
  if ((u32_t)ikcp_ackqlen(s->kcp) >= kcp_ack_batch(s)) {
    return 0;
  }
  return !(s->flags & KCP_SF_ACKWAIT) || KCP_BEFORE(now, kcp_ackwait_due(s));
}

/* Flushes the engine when input, a consumed message or a write left
   something to send (ACKs, a window update, data). Without ack_nodelay,
   the ACKs of input that may wait (kcp_acks_may_wait()) are not flushed:
   they go with the next flush, as kcp-go's go with its interval flush. */
static void
kcp_flush_pending(struct kcp_session *s, u32_t now)
{
  u8_t input = s->flags & KCP_SF_INPUT;

  if ((s->flags & (KCP_SF_FLUSH | KCP_SF_CLOSING)) != KCP_SF_FLUSH) {
    return;
  }
  s->flags &= (u8_t)~(KCP_SF_FLUSH | KCP_SF_INPUT);
  if (input && kcp_acks_may_wait(s, now)) {
    if (!(s->flags & KCP_SF_ACKWAIT)) {
      s->flags |= KCP_SF_ACKWAIT;
      s->acks_at = now;
    }
    return;
  }
  s->flags &= (u8_t)~KCP_SF_ACKWAIT;
  ikcp_flush(s->kcp);
}

/* Counts the segments the session holds into the pcb's total, and notes
   progress (snd_una or rcv_nxt moved): it restarts the idle and stall
   clocks and puts the session last in line for eviction, in the list of
   sessions that went on once they are past their first message. Window
   probes and updates, duplicates and out-of-order segments are no
   progress. */
static void
kcp_account(struct kcp_session *s, u32_t now)
{
  struct kcp_pcb *pcb = s->pcb;
  ikcpcb *kcp = s->kcp;
  u32_t held = kcp->nrcv_buf + kcp->nrcv_que + kcp->nsnd_buf + kcp->nsnd_que;

  pcb->st.held += held - s->held;
  s->held = held;
  if (kcp->snd_una != s->seen_una || kcp->rcv_nxt != s->seen_nxt) {
    s->seen_una = kcp->snd_una;
    s->seen_nxt = kcp->rcv_nxt;
    s->progress_at = now;
    kcp_list_remove(pcb, s);
    kcp_list_append(pcb, s, (kcp->rcv_nxt > 1 || kcp->snd_una > 1) ? KCP_LIST_GOING : KCP_LIST_NEW);
  }
}

static void kcp_codec_deliver(void *arg, const uint8_t *kcp, size_t len);

/* The flush point of kcp_service(): the timer (no datagram) flushes at
   once, and so does a datagram while a segment is missing before those
   received (a KCP sender counts fast-retransmit evidence once per ACK
   datagram, so each must leave on its own); any other datagram leaves
   its flush to the timer that runs once the burst is in. */
static void
kcp_service_flush(struct kcp_session *s, int fed, u32_t now)
{
  if (!fed || s->kcp->nrcv_buf > 0) {
    kcp_flush_pending(s, now);
  }
}

/* Advances the engine's clock, feeds one datagram (if any), delivers
   messages, flushes (unless a datagram was fed and no segment is missing
   before those received: then once the burst is done, from the timer),
   reports freed send space, and schedules the next wake-up; or closes the
   session when its link is dead. */
static void
kcp_service(struct kcp_session *s, const u8_t *dgram, u16_t len)
{
  struct kcp_pcb *pcb = s->pcb;
  ikcpcb *kcp = s->kcp;
  u32_t now = sys_now();
  int queued = ikcp_sndqlen(kcp);

  s->flags |= KCP_SF_BUSY;
  if (s->flags & KCP_SF_ACKWAIT) {
    s->flags |= KCP_SF_FLUSH;
  }
  ikcp_setwndcap(kcp, (int)pcb->st.share);
  ikcp_setdupacks(kcp, kcp_adv_wnd(s) <= KCP_DUPACK_WND);
  ikcp_update(kcp, now);
  if (dgram != NULL && s->link != NULL) {
    pcb->st.sess_in++;
    s->dgram_in++;
    kcp_codec_link_input(s->link, dgram, len, now, kcp_codec_deliver, s);
    s->flags |= KCP_SF_FLUSH | KCP_SF_INPUT;
  } else if (dgram != NULL) {
    int r = ikcp_input(kcp, (const char *)dgram, (long)len);
    s->dgram_in++;
    if (r < 0 && r != IKCP_ENOMEM) {
      s->malformed++;
      pcb->st.malformed++;
    } else {
      pcb->st.sess_in++;
    }
    s->flags |= KCP_SF_FLUSH | KCP_SF_INPUT;
  }
  if (kcp_deliver(s)) {
    s->flags |= KCP_SF_FLUSH;
  }
  kcp_service_flush(s, dgram != NULL, now);
  if (!(s->flags & KCP_SF_CLOSING) && ikcp_sndqlen(kcp) < queued) {
    if (s->sent != NULL) {
      u32_t left = (u32_t)ikcp_sndqlen(kcp);
      pcb->busy++;
      s->sent(s->arg, s, pcb->sndq_max > left ? pcb->sndq_max - left : 0);
      pcb->busy--;
    }
    if ((s->flags & (KCP_SF_RXBLOCK | KCP_SF_CLOSING)) == KCP_SF_RXBLOCK && kcp_deliver(s)) {
      s->flags |= KCP_SF_FLUSH;
    }
    kcp_service_flush(s, dgram != NULL, now);
  }
  s->flags &= (u8_t)~KCP_SF_BUSY;
  if (s->flags & KCP_SF_CLOSING) {
    kcp_session_free(s);
    return;
  }
  kcp_account(s, now);
  if (ikcp_is_dead(kcp)) {
    kcp_session_abort(s, ERR_ABRT, &pcb->st.closed_dead);
  } else {
    kcp_schedule(s, now);
  }
}

static int
kcp_active(const struct kcp_session *s)
{
  return s->quiet < KCP_ACTIVE_COUNTS;
}

/* total / n (n > 0) to the nearest whole segment: windows are whole, and
   cutting the fraction off left up to half the budget unused (300
   sessions of 512 segments got 1 each; with 2, back to back, they carried
   551 instead of 302 Mbit/s at 2 % loss, 200 sessions with 3 instead of 2
   1037 instead of 373). Where it rounds up to 2 or more, in flight is at
   most a third over the budget (2 for a fair 1.5); with more sessions than
   segments every session has the floor of 1 either way. */
static u32_t
kcp_split(u32_t total, u32_t n)
{
  return (total + n / 2) / n;
}

/* The max-min fair share of the budget among n active sessions, each
   wanting its receive window: sessions that want less than an equal split
   get what they want and leave the rest to the others (water-filling; each
   pass only raises the level, a few passes settle it). At least 1, so no
   session is ever told to stop. */
static u32_t
kcp_share_level(const struct kcp_pcb *pcb, u32_t n)
{
  u32_t level, pass, i;

  if (n == 0) {
    return pcb->budget;
  }
  level = kcp_split(pcb->budget, n);
  for (pass = 0; pass < 8; pass++) {
    u32_t rest = pcb->budget, left = n, next;
    for (i = 0; i < pcb->heap_len; i++) {
      const struct kcp_session *s = pcb->heap[i].s;
      if (kcp_active(s) && s->kcp->rcv_wnd < level) {
        rest -= s->kcp->rcv_wnd;
        left--;
      }
    }
    if (left == 0) {
      break;
    }
    next = kcp_split(rest, left);
    if (next <= level) {
      break;
    }
    level = next;
  }
  return LWIP_MAX(level, 1);
}

/* Counts the sessions that received data lately and recomputes their
   share; every session advertises it from its next flush on. */
static void
kcp_share_update(struct kcp_pcb *pcb, u32_t now)
{
  u32_t i, n = 0;

  pcb->share_at = now;
  for (i = 0; i < pcb->heap_len; i++) {
    struct kcp_session *s = pcb->heap[i].s;
    if (s->kcp->stats.data_segs_in != s->seen_data) {
      s->seen_data = s->kcp->stats.data_segs_in;
      s->quiet = 0;
    } else if (kcp_active(s)) {
      s->quiet++;
    }
    n += (u32_t)kcp_active(s);
  }
  pcb->st.active = n;
  pcb->st.share = kcp_share_level(pcb, n);
}

/* Whether s holds more than other (NULL: nothing), or as much with less
   recent progress. */
static int
kcp_costlier(const struct kcp_session *s, const struct kcp_session *other)
{
  return other == NULL || s->held > other->held ||
         (s->held == other->held && KCP_BEFORE(s->progress_at, other->progress_at));
}

/* While the pcb holds more than its limit, evicts the session holding
   most (of equals, the one with the least recent progress) among those
   that made no progress for KCP_EVICT_MS: a new peer's first window (any
   sender starts with the default window, before it hears our share) is
   held only briefly, a pinning peer's is held for good. Beyond twice the
   limit, the session holding most goes whatever its progress. A search
   that finds nobody to evict is not repeated within the millisecond. */
static void
kcp_budget_enforce(struct kcp_pcb *pcb)
{
  u32_t limit = pcb->budget * KCP_HOLD_PER_BUDGET;
  u32_t now = sys_now();

  if (pcb->busy != 0 || pcb->st.held <= limit || pcb->enforced_at == now) {
    return;
  }
  while (pcb->st.held > limit) {
    struct kcp_session *stalled = NULL, *worst = NULL;
    u32_t i;
    for (i = 0; i < pcb->heap_len; i++) {
      struct kcp_session *s = pcb->heap[i].s;
      if (s->flags & KCP_SF_BUSY) {
        continue;
      }
      if (kcp_costlier(s, worst)) {
        worst = s;
      }
      if ((u32_t)(now - s->progress_at) >= KCP_EVICT_MS && kcp_costlier(s, stalled)) {
        stalled = s;
      }
    }
    if (stalled == NULL && pcb->st.held > 2 * limit) {
      stalled = worst;
    }
    if (stalled == NULL || stalled->held == 0) {
      pcb->enforced_at = now;
      return;
    }
    kcp_session_abort(stalled, ERR_MEM, &pcb->st.evicted);
  }
}

/* The first in line for eviction (of one source, or of any when ip is
   NULL) that is not being serviced: the session with the least recent
   progress, where a session still at its first message counts as
   KCP_NEW_GRACE_MS older than it is. A flood of newcomers then evicts its
   own kind before a session that went on and paused, but not before one
   that has stopped for longer. *n counts that source's sessions (only
   when ip is given). */
static struct kcp_session *
kcp_stalled_most(const struct kcp_pcb *pcb, const ip_addr_t *ip, u32_t *n)
{
  struct kcp_session *s, *first[2] = { NULL, NULL };
  int list;

  *n = 0;
  for (list = KCP_LIST_NEW; list <= KCP_LIST_GOING; list++) {
    for (s = pcb->lhead[list]; s != NULL; s = s->lnext) {
      if (ip != NULL && !ip_addr_cmp(&s->remote_ip, ip)) {
        continue;
      }
      if (first[list] == NULL && !(s->flags & KCP_SF_BUSY)) {
        first[list] = s;
        if (ip == NULL) {
          break;
        }
      }
      (*n)++;
    }
  }
  if (first[KCP_LIST_NEW] == NULL ||
      (first[KCP_LIST_GOING] != NULL &&
       KCP_BEFORE(first[KCP_LIST_GOING]->progress_at + KCP_NEW_GRACE_MS,
                  first[KCP_LIST_NEW]->progress_at))) {
    return first[KCP_LIST_GOING];
  }
  return first[KCP_LIST_NEW];
}

/* Before a peer opens a session: at the source's cap, or at the pcb's,
   the session (of that source, or of any) that has made no progress the
   longest is evicted (see kcp_stalled_most()), so a newcomer always gets
   in; sessions in use keep progressing and stay at the end of the line. */
static void
kcp_make_room(struct kcp_pcb *pcb, const ip_addr_t *ip)
{
  struct kcp_session *s;
  u32_t n;

  if (pcb->source_max < pcb->max_sessions && pcb->st.sessions >= pcb->source_max) {
    s = kcp_stalled_most(pcb, ip, &n);
    if (s != NULL && n >= pcb->source_max) {
      kcp_session_abort(s, ERR_MEM, &pcb->st.evicted);
    }
  }
  if (pcb->st.sessions >= pcb->max_sessions) {
    s = kcp_stalled_most(pcb, NULL, &n);
    if (s != NULL) {
      kcp_session_abort(s, ERR_MEM, &pcb->st.evicted);
    }
  }
}

/* Gives freed memory back to the system, at most once per KCP_RELEASE_MS
   while sessions remain, at once when the last one is gone. */
static void
kcp_release(struct kcp_pcb *pcb, u32_t now)
{
  if (pcb->release_due && (pcb->heap_len == 0 || (u32_t)(now - pcb->released_at) >= KCP_RELEASE_MS)) {
    pcb->release_due = 0;
    pcb->released_at = now;
    KCP_MEM_RELEASE();
  }
}

static void
kcp_tmr(void *arg)
{
  struct kcp_pcb *pcb = (struct kcp_pcb *)arg;
  u32_t now = sys_now();
  u32_t budget = pcb->heap_len;

  LWIP_ASSERT_CORE_LOCKED();
  pcb->timer_armed = 0;
  if ((u32_t)(now - pcb->share_at) >= KCP_SHARE_MS) {
    kcp_share_update(pcb, now);
  }
  while (budget-- > 0 && pcb->heap_len > 0 && !KCP_BEFORE(now, pcb->heap[0].wake)) {
    struct kcp_session *s = pcb->heap[0].s;
    if (!KCP_BEFORE(now, kcp_deadline(s))) {
      kcp_session_abort(s, ERR_TIMEOUT, (s->held > 0 && pcb->stall_ms < pcb->idle_ms) ?
                        &pcb->st.closed_stall : &pcb->st.closed_idle);
    } else {
      kcp_service(s, NULL, 0);
    }
  }
  kcp_budget_enforce(pcb);
  kcp_release(pcb, now);
  kcp_timer_arm(pcb);
}

/* A session not yet in any counter: the caller decides whether it opens. */
static struct kcp_session *
kcp_session_new(struct kcp_pcb *pcb, const ip_addr_t *ip, u16_t port, IUINT32 conv)
{
  struct kcp_session *s;
  u32_t now = sys_now();

  if (pcb->st.sessions >= pcb->max_sessions || kcp_heap_reserve(pcb) != ERR_OK) {
    return NULL;
  }
  s = (struct kcp_session *)mem_calloc(1, sizeof(*s));
  if (s == NULL) {
    return NULL;
  }
  s->pcb = pcb;
  s->arg = pcb->arg;
  s->kcp = ikcp_create(conv, s);
  if (s->kcp == NULL) {
    mem_free(s);
    return NULL;
  }
  if (pcb->codec != NULL && (s->link = kcp_codec_link_new(pcb->codec)) == NULL) {
    ikcp_release(s->kcp);
    mem_free(s);
    return NULL;
  }
  ikcp_setoutput(s->kcp, kcp_output);
  ikcp_setsndqmax(s->kcp, (int)LWIP_MIN(pcb->sndq_max, 0x7fffffffUL));
  ikcp_update(s->kcp, now);
  ip_addr_copy(s->remote_ip, *ip);
  s->remote_port = port;
  s->progress_at = now;
  pcb->st.sessions++;
  pcb->st.active++;
  pcb->st.share = LWIP_MAX(1, LWIP_MIN(pcb->st.share, kcp_split(pcb->budget, pcb->st.active)));
  kcp_hash_grow(pcb);
  kcp_hash_insert(pcb, s);
  kcp_heap_insert(pcb, s, now + pcb->idle_ms);
  kcp_list_append(pcb, s, KCP_LIST_NEW);
  return s;
}

/* Whether the first segment of a datagram for no session may open one:
   1 yes, 0 no (dropped), -1 it does not parse (malformed). */
static int
kcp_opens_session(const u8_t *d, u16_t len)
{
  IKCPHDR h;

  if (ikcp_peek_header(d, len, &h) != 0) {
    return -1;
  }
  return h.cmd == IKCP_CMD_PUSH && h.sn == 0;
}

/* A datagram from a key with no session: open one if allowed. */
static struct kcp_session *
kcp_accept_new(struct kcp_pcb *pcb, const u8_t *d, u16_t len, const ip_addr_t *ip, u16_t port)
{
  struct kcp_session *s;
  int verdict = kcp_opens_session(d, len);
  err_t err;

  if (verdict < 0) {
    pcb->st.malformed++;
    return NULL;
  }
  if (verdict == 0 || pcb->accept == NULL) {
    pcb->st.dropped++;
    return NULL;
  }
  kcp_make_room(pcb, ip);
  s = kcp_session_new(pcb, ip, port, ikcp_getconv(d));
  if (s == NULL) {
    pcb->st.refused++;
    return NULL;
  }
  s->flags |= KCP_SF_BUSY;
  pcb->busy++;
  err = pcb->accept(pcb->arg, s, ERR_OK);
  pcb->busy--;
  s->flags &= (u8_t)~KCP_SF_BUSY;
  if (err != ERR_OK || (s->flags & KCP_SF_CLOSING)) {
    if (!(s->flags & KCP_SF_CLOSING)) {
      kcp_session_unlink(s);
    }
    kcp_session_free(s);
    pcb->st.refused++;
    return NULL;
  }
  if (d[IKCP_FRG_OFFSET] >= s->kcp->rcv_wnd) {
    /* The engine drops a fragment count beyond its window: such a segment
       must not hold a session. */
    pcb->st.malformed++;
    kcp_session_abort(s, ERR_ABRT, NULL);
    return NULL;
  }
  s->flags |= KCP_SF_OPEN;
  pcb->st.opened++;
  return s;
}

/* ---- The datagram codec (kcp_set_codec()): kcp-go's framing ---- */

/* A link's output: one sealed datagram to the session's peer. */
static void
kcp_codec_emit(void *arg, const uint8_t *dgram, size_t len)
{
  kcp_send_dgram((struct kcp_session *)arg, dgram, (int)len);
}

/* One KCP datagram a link decoded, into the session's engine. */
static void
kcp_codec_deliver(void *arg, const uint8_t *kcp, size_t len)
{
  struct kcp_session *s = (struct kcp_session *)arg;
  int r = ikcp_input(s->kcp, (const char *)kcp, (long)len);

  if (r < 0 && r != IKCP_ENOMEM) {
    s->malformed++;
  }
}

/* The session of the peer that sent a parity shard (it carries no conv):
   the last one an FEC data shard reached if it is that peer's, else the
   first of that peer's found among all sessions. */
static struct kcp_session *
kcp_codec_peer(struct kcp_pcb *pcb, const ip_addr_t *ip, u16_t port)
{
  struct kcp_session *s = pcb->fec_last;
  u32_t i;

  if (s != NULL && s->remote_port == port && ip_addr_cmp(&s->remote_ip, ip)) {
    return s;
  }
  for (i = 0; i < pcb->heap_len; i++) {
    s = pcb->heap[i].s;
    if (s->remote_port == port && ip_addr_cmp(&s->remote_ip, ip)) {
      return s;
    }
  }
  return NULL;
}

/* A datagram on a pcb with a codec: opened (decrypted, CRC checked) before
   any session is looked up, so one that fails touches no session; then
   the session is found by the KCP datagram it carries (or, for an FEC
   parity shard, by its peer) and fed the opened payload. */
static void
kcp_codec_recv(struct kcp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
  u16_t len = p->tot_len;
  const u8_t *payload, *d;
  size_t klen;
  struct kcp_session *s;
  int n;

  if (len > KCP_DGRAM_MAX || pbuf_copy_partial(p, pcb->rxbuf, len, 0) != len ||
      (n = kcp_codec_open(pcb->codec, pcb->rxbuf, len)) < 0) {
    pcb->st.malformed++;
    return;
  }
  payload = pcb->rxbuf + KCP_CODEC_HEADER_LEN;
  d = kcp_codec_kcp_view(payload, (size_t)n, &klen);
  if (d == NULL) {
    s = kcp_codec_peer(pcb, addr, port);
    if (s == NULL) {
      pcb->st.dropped++;
      return;
    }
  } else {
    if (klen < IKCP_OVERHEAD) {
      pcb->st.malformed++;
      return;
    }
    s = kcp_lookup(pcb, addr, port, ikcp_getconv(d));
    if (s == NULL) {
      s = kcp_accept_new(pcb, d, (u16_t)klen, addr, port);
    }
    if (s != NULL && d != payload) {
      pcb->fec_last = s;
    }
  }
  if (s != NULL) {
    kcp_service(s, payload, (u16_t)n);
  }
}

/**
 * Puts kcp-go's datagram codec (nonce + CRC32, cipher, FEC: kcp_codec.h)
 * between this pcb's udp_pcb and its sessions, as kcptun and kcp-go with
 * a BlockCrypt expect. Datagrams that fail to open are counted as
 * malformed (and by the codec) and dropped before any session lookup.
 * Sessions keep the engine's mtu: KCP datagrams grow by
 * kcp_codec_overhead(), so mtu + overhead must stay within
 * KCP_DGRAM_MAX (kcp-go's limit too).
 * @param codec the codec (NULL: plain KCP); not owned: free it after
 *        kcp_remove(). One codec serves one thread (it has scratch state)
 * @return ERR_OK, or ERR_VAL if the pcb already has sessions
 */
err_t
kcp_set_codec(struct kcp_pcb *pcb, struct kcp_codec *codec)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_codec: invalid pcb", pcb != NULL, return ERR_ARG;);
  if (pcb->heap_len > 0) {
    return ERR_VAL;
  }
  pcb->codec = codec;
  return ERR_OK;
}

/* A datagram on a pcb without a codec: a KCP datagram, to the session of
   its (address, port, conv), opened here if it may open one. */
static void
kcp_plain_recv(struct kcp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
  struct kcp_session *s;
  const u8_t *d;
  u16_t len = p->tot_len;

  if (len < IKCP_OVERHEAD || len > KCP_DGRAM_MAX ||
      (d = (const u8_t *)pbuf_get_contiguous(p, pcb->rxbuf, sizeof(pcb->rxbuf), len, 0)) == NULL) {
    pcb->st.malformed++;
    return;
  }
  s = kcp_lookup(pcb, addr, port, ikcp_getconv(d));
  if (s == NULL) {
    s = kcp_accept_new(pcb, d, len, addr, port);
  }
  if (s != NULL) {
    kcp_service(s, d, len);
  }
}

/* Every datagram, with a codec or without, ends with the budget's check:
   what it made a session hold counts at once. */
static void
kcp_udp_recv(void *arg, struct udp_pcb *upcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
  struct kcp_pcb *pcb = (struct kcp_pcb *)arg;

  LWIP_UNUSED_ARG(upcb);
  LWIP_ASSERT_CORE_LOCKED();
  pcb->st.dgram_in++;
  if (pcb->codec != NULL) {
    kcp_codec_recv(pcb, p, addr, port);
  } else {
    kcp_plain_recv(pcb, p, addr, port);
  }
  pbuf_free(p);
  kcp_budget_enforce(pcb);
}

/**
 * Creates a kcp_pcb on a new dual-stack udp_pcb. It sends and receives once
 * bound (kcp_bind()), or after its first kcp_connect() (ephemeral port).
 * Also routes the engine's allocations to mem_malloc()/mem_free() (a
 * process-wide setting of ikcp_allocator()), so that sessions draw on the
 * same heap as the rest of lwIP.
 * @return the new pcb, or NULL when out of memory
 */
struct kcp_pcb *
kcp_new(void)
{
  struct kcp_pcb *pcb;

  LWIP_ASSERT_CORE_LOCKED();
  pcb = (struct kcp_pcb *)mem_calloc(1, sizeof(*pcb));
  if (pcb == NULL) {
    return NULL;
  }
  pcb->buckets = (struct kcp_session **)mem_calloc(KCP_HASH_MIN, sizeof(*pcb->buckets));
  pcb->udp = udp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb->buckets == NULL || pcb->udp == NULL) {
    if (pcb->udp != NULL) {
      udp_remove(pcb->udp);
    }
    kcp_mem_free(pcb->buckets);
    mem_free(pcb);
    return NULL;
  }
  ikcp_allocator(kcp_mem_alloc, kcp_mem_free);
  pcb->nbuckets = KCP_HASH_MIN;
#ifdef LWIP_RAND
  /* Peers cannot aim their keys at one bucket without knowing the seed. */
  pcb->hash_seed = LWIP_RAND();
#endif
  pcb->max_sessions = KCP_DEFAULT_MAX_SESSIONS;
  pcb->idle_ms = KCP_DEFAULT_IDLE_MS;
  pcb->sndq_max = KCP_DEFAULT_SNDQ_MAX;
  pcb->budget = KCP_DEFAULT_BUDGET;
  pcb->st.share = KCP_DEFAULT_BUDGET;
  pcb->stall_ms = KCP_DEFAULT_STALL_MS;
  pcb->source_max = 0xffffffffUL;
  pcb->ack_nodelay = 1;
  pcb->share_at = sys_now();
  udp_recv(pcb->udp, kcp_udp_recv, pcb);
  return pcb;
}

/**
 * Binds the pcb's udp_pcb, as udp_bind() does.
 * @param ipaddr local address (IP_ANY_TYPE for all)
 * @param port local port (0 for an ephemeral one)
 */
err_t
kcp_bind(struct kcp_pcb *pcb, const ip_addr_t *ipaddr, u16_t port)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_bind: invalid pcb", pcb != NULL, return ERR_ARG;);
  return udp_bind(pcb->udp, ipaddr, port);
}

/**
 * Closes every session (their err callbacks get ERR_CLSD), the udp_pcb, and
 * frees the pcb. Not to be called from one of this pcb's callbacks.
 */
void
kcp_remove(struct kcp_pcb *pcb)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_remove: invalid pcb", pcb != NULL, return;);
  LWIP_ASSERT("kcp_remove: called from a callback of this pcb", pcb->busy == 0);
  while (pcb->heap_len > 0) {
    kcp_session_abort(pcb->heap[0].s, ERR_CLSD, NULL);
  }
  if (pcb->timer_armed) {
    sys_untimeout(kcp_tmr, pcb);
  }
  udp_remove(pcb->udp);
  mem_free(pcb->buckets);
  kcp_mem_free(pcb->heap);
  kcp_mem_free(pcb->msgbuf);
  mem_free(pcb);
}

/**
 * Sets the argument of the accept callback, and the initial argument of
 * every session opened afterwards (kcp_session_arg() changes it).
 */
void
kcp_arg(struct kcp_pcb *pcb, void *arg)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_arg: invalid pcb", pcb != NULL, return;);
  pcb->arg = arg;
}

/**
 * Sets the accept callback. Only a pcb with one opens sessions for peers;
 * without it the pcb serves its kcp_connect() sessions only.
 */
void
kcp_accept(struct kcp_pcb *pcb, kcp_accept_fn accept)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_accept: invalid pcb", pcb != NULL, return;);
  pcb->accept = accept;
}

/**
 * Caps live sessions. Once reached, a peer opening a new session evicts
 * the session that has made no progress the longest (err callback:
 * ERR_MEM): a table filled by sessions that never go on cannot lock new
 * clients out. kcp_connect() fails at the cap instead. Lowering it below
 * the live count closes nothing at once.
 */
void
kcp_set_max_sessions(struct kcp_pcb *pcb, u32_t max)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_max_sessions: invalid pcb", pcb != NULL, return;);
  pcb->max_sessions = max;
}

/**
 * Sets the idle timeout: a session that made no progress (nothing new
 * delivered in order, nothing of its own newly acknowledged) for idle_ms
 * is closed (err callback: ERR_TIMEOUT), even with data in flight,
 * so that a vanished peer does not hold memory for the many minutes a
 * backed-off dead-link detection can take. Keep it well above the largest
 * retransmission timeout expected (seconds on a lossy, loaded link).
 * Applies to sessions at their next wake-up. Bounded so wake-ups stay
 * comparable on u32_t clocks.
 */
void
kcp_set_idle(struct kcp_pcb *pcb, u32_t idle_ms)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_idle: invalid pcb", pcb != NULL, return;);
  pcb->idle_ms = LWIP_MAX(1, LWIP_MIN(idle_ms, 0x3fffffffUL));
}

/**
 * Sets the send-queue cap (segments waiting for the window) of sessions
 * opened afterwards; kcp_write() fails with ERR_MEM beyond it.
 */
void
kcp_set_sndq_max(struct kcp_pcb *pcb, u32_t segments)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_sndq_max: invalid pcb", pcb != NULL, return;);
  pcb->sndq_max = LWIP_MAX(1, segments);
}

/**
 * Sets the budget: segments all peers together may have in flight toward
 * this pcb, about what the path to it can buffer. Every session that
 * received data lately (an idle one holds no share) advertises a max-min
 * fair share of it as its window, to the nearest whole segment (so in
 * flight may exceed the budget by up to a third): at least 1, so window probes
 * keep working, and never more than its own receive window. KCP senders
 * send no more than they are told, so even unmodified peers share the
 * path instead of overflowing it; shares are recounted every
 * KCP_SHARE_MS, and cut at once when a session opens. The same budget
 * bounds what the pcb holds: beyond KCP_HOLD_PER_BUDGET * segments held
 * in total (queued, out of order, in flight), the session holding most of
 * those making no progress is closed (err callback: ERR_MEM), and beyond
 * twice that the session holding most.
 */
void
kcp_set_budget(struct kcp_pcb *pcb, u32_t segments)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_budget: invalid pcb", pcb != NULL, return;);
  pcb->budget = LWIP_MAX(1, LWIP_MIN(segments, 1UL << 24));
  pcb->st.share = kcp_share_level(pcb, pcb->st.active);
}

/**
 * Sets the stall limit: a session that holds segments (queued replies it
 * cannot send, refused messages, a hole in what it received) and makes no
 * progress for stall_ms is closed (err callback: ERR_TIMEOUT), however
 * many window probes its peer sends: a peer that advertises a zero window
 * forever, or never fills a hole, cannot pin memory. Progress is snd_una
 * or rcv_nxt moving; the idle timeout counts from the same clock.
 */
void
kcp_set_stall(struct kcp_pcb *pcb, u32_t stall_ms)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_stall: invalid pcb", pcb != NULL, return;);
  pcb->stall_ms = LWIP_MAX(1, LWIP_MIN(stall_ms, 0x3fffffffUL));
}

/**
 * Whether a burst of input that only calls for ACKs flushes them at once,
 * when the burst is done (1, the default: lowest latency), or keeps them
 * (0: kcp-go's and kcptun's default, acknodelay off) until a datagram's
 * worth (or a quarter of the advertised window) waits, or for one engine
 * interval at most, which sends a fraction of the datagrams when the data
 * flows one way without stalling the sender. Input that finds data to
 * send flushes either way.
 */
void
kcp_set_ack_nodelay(struct kcp_pcb *pcb, int nodelay)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_ack_nodelay: invalid pcb", pcb != NULL, return;);
  pcb->ack_nodelay = nodelay != 0;
}

/**
 * Caps the sessions one source address may hold (default: the pcb's cap).
 * At it, a new session from that source evicts that source's session with
 * the least recent progress, so one host cannot push others out.
 */
void
kcp_set_source_max(struct kcp_pcb *pcb, u32_t sessions)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_set_source_max: invalid pcb", pcb != NULL, return;);
  pcb->source_max = LWIP_MAX(1, sessions);
}

/**
 * Opens a session to a peer (active open). Nothing is sent until the first
 * kcp_write(); the peer's replies reach the session through this pcb.
 * @param conv conversation id, agreed with the peer or chosen at random
 * @param out the new session
 * @return ERR_USE when that (address, port, conv) already has a session,
 *         ERR_MEM at the session cap or out of memory
 */
err_t
kcp_connect(struct kcp_pcb *pcb, const ip_addr_t *ipaddr, u16_t port, IUINT32 conv,
            struct kcp_session **out)
{
  struct kcp_session *s;

  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_connect: invalid arguments", pcb != NULL && ipaddr != NULL && out != NULL,
             return ERR_ARG;);
  if (kcp_lookup(pcb, ipaddr, port, conv) != NULL) {
    return ERR_USE;
  }
  s = kcp_session_new(pcb, ipaddr, port, conv);
  if (s == NULL) {
    pcb->st.refused++;
    return ERR_MEM;
  }
  s->flags |= KCP_SF_OPEN;
  pcb->st.opened++;
  kcp_timer_arm(pcb);
  *out = s;
  return ERR_OK;
}

/** Copies the pcb's counters, the engine's summed over all its sessions. */
void
kcp_stats_get(const struct kcp_pcb *pcb, struct kcp_stats *st)
{
  u32_t i;

  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_stats_get: invalid arguments", pcb != NULL && st != NULL, return;);
  *st = pcb->st;
  for (i = 0; i < pcb->heap_len; i++) {
    IKCPSTATS es;
    ikcp_getstats(pcb->heap[i].s->kcp, &es);
    kcp_engine_add(&st->engine, &es);
  }
}

/**
 * Adds the counters of st to sum, for a program that runs several pcbs
 * (kcptun's client role: one per tunnel session) and reports them as one.
 * Every count and gauge adds up but share, of which sum keeps the largest.
 */
void
kcp_stats_add(struct kcp_stats *sum, const struct kcp_stats *st)
{
  LWIP_ERROR("kcp_stats_add: invalid arguments", sum != NULL && st != NULL, return;);
  sum->sessions += st->sessions;
  sum->opened += st->opened;
  sum->closed += st->closed;
  sum->closed_idle += st->closed_idle;
  sum->closed_dead += st->closed_dead;
  sum->refused += st->refused;
  sum->dgram_in += st->dgram_in;
  sum->dgram_out += st->dgram_out;
  sum->dropped += st->dropped;
  sum->malformed += st->malformed;
  sum->sess_in += st->sess_in;
  sum->send_err += st->send_err;
  sum->closed_stall += st->closed_stall;
  sum->evicted += st->evicted;
  sum->held += st->held;
  sum->share = LWIP_MAX(sum->share, st->share);
  sum->active += st->active;
  kcp_engine_add(&sum->engine, &st->engine);
}

/** Sets the argument passed to this session's callbacks. */
void
kcp_session_arg(struct kcp_session *s, void *arg)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_session_arg: invalid session", s != NULL, return;);
  s->arg = arg;
}

/** Sets the receive callback; without one, messages are consumed and discarded. */
void
kcp_recv(struct kcp_session *s, kcp_recv_fn recv)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_recv: invalid session", s != NULL, return;);
  s->recv = recv;
}

/** Sets the callback told when send-queue space is freed. */
void
kcp_sent(struct kcp_session *s, kcp_sent_fn sent)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_sent: invalid session", s != NULL, return;);
  s->sent = sent;
}

/** Sets the callback told when this module closes the session. */
void
kcp_err(struct kcp_session *s, kcp_err_fn err)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_err: invalid session", s != NULL, return;);
  s->err = err;
}

/**
 * Queues one message. It leaves at once when called from a callback of the
 * session (with the ACKs of what was just received), else at the next timer
 * tick of the core thread, without waiting for the engine's interval.
 * @return ERR_OK; ERR_MEM when the send queue is full (retry after the sent
 *         callback) or out of memory; ERR_VAL when the message needs more
 *         fragments than KCP allows; ERR_CLSD on a closed session
 */
err_t
kcp_write(struct kcp_session *s, const void *data, u32_t len)
{
  int r;

  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_write: invalid arguments", s != NULL && (data != NULL || len == 0),
             return ERR_ARG;);
  if (s->flags & KCP_SF_CLOSING) {
    return ERR_CLSD;
  }
  if (len > 0x7fffffffUL) {
    return ERR_VAL;
  }
  r = ikcp_send(s->kcp, (const char *)data, (int)len);
  if (r == IKCP_ESNDQFULL) {
    return ERR_MEM;
  }
  if (r == IKCP_ESEND_FRAGS) {
    return ERR_VAL;
  }
  if (r < 0) {
    return ERR_MEM;
  }
  s->flags |= KCP_SF_FLUSH;
  if (!(s->flags & KCP_SF_BUSY)) {
    kcp_heap_set(s, sys_now());
    kcp_timer_arm(s->pcb);
  }
  return ERR_OK;
}

/**
 * Closes the session and frees it (now, or when the callback that called
 * this returns). KCP has no close handshake: data not yet acknowledged is
 * dropped, and the peer's session ends by its own idle timeout. For a clean
 * end, close once the sent callback shows nothing left in flight.
 */
void
kcp_close(struct kcp_session *s)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_close: invalid session", s != NULL, return;);
  if (s->flags & KCP_SF_CLOSING) {
    return;
  }
  kcp_session_unlink(s);
  if (!(s->flags & KCP_SF_BUSY)) {
    kcp_session_free(s);
  }
}

/**
 * The session's engine, for settings (ikcp_nodelay, ikcp_wndsize,
 * ikcp_setmtu, ikcp_profile) and reading its state. Sending, receiving and
 * the clock belong to this module: do not call ikcp_send/recv/input/update.
 */
ikcpcb *
kcp_session_ikcp(struct kcp_session *s)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_session_ikcp: invalid session", s != NULL, return NULL;);
  return s->kcp;
}

/**
 * Select the session's congestion control by name: "classic" (the
 * engine's default, the reference's own window) or "bbr" (paced at the
 * measured bottleneck rate, for many sessions sharing a path), as
 * ikcp_cc_find() knows them. The module's state comes from the same
 * allocator as the session's engine. May be called at any time; the new
 * module starts from the session's current window.
 * @return ERR_OK; ERR_VAL for an unknown name (nothing changed); ERR_MEM
 *         when the module could not get its state (the session runs the
 *         classic module then)
 */
err_t
kcp_setcc(struct kcp_session *s, const char *name)
{
  const struct IKCPOPS *ops;

  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_setcc: invalid session", s != NULL, return ERR_ARG;);
  ops = ikcp_cc_find(name);
  if (ops == NULL) {
    return ERR_VAL;
  }
  return ikcp_setcc(s->kcp, ops) == 0 ? ERR_OK : ERR_MEM;
}

/**
 * The session's peer, as tcp_pcb's remote_ip/remote_port tell a TCP
 * service who it talks to (an accept callback may refuse by address).
 * @param ip where to store the peer's address (may be NULL)
 * @param port where to store the peer's UDP port (may be NULL)
 */
void
kcp_session_peer(const struct kcp_session *s, ip_addr_t *ip, u16_t *port)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_session_peer: invalid session", s != NULL, return;);
  if (ip != NULL) {
    ip_addr_copy(*ip, s->remote_ip);
  }
  if (port != NULL) {
    *port = s->remote_port;
  }
}

/** Copies the session's counters. */
void
kcp_session_stats_get(const struct kcp_session *s, struct kcp_session_stats *st)
{
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ERROR("kcp_session_stats_get: invalid arguments", s != NULL && st != NULL, return;);
  ikcp_getstats(s->kcp, &st->engine);
  st->dgram_in = s->dgram_in;
  st->dgram_out = s->dgram_out;
  st->malformed = s->malformed;
}
