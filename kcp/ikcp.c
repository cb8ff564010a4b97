/**
 * @file
 * KCP engine: the reference protocol (see docs/PROTOCOL.md) with the
 * same bytes on the wire and the same timing, but with costs that do not
 * grow with the window and with every input validated.
 *
 * Data structures, and why:
 * - In-flight segments sit in a ring indexed by sn (capacity a power of two
 *   >= the send window), so an ACK or una finds its segments in O(1).
 * - Their retransmission timers sit in a binary min-heap on resendts, so a
 *   flush touches only expired segments.
 * - The fast-retransmit "skipped" count follows the reference's
 *   conservative rule (its IKCP_FASTACK_CONSERVE): one per input carrying
 *   ACKs, for every segment below the largest sn acked, the largest sn
 *   moving only to an ACK with a newer ts, and an ACK older than the
 *   segment's last transmission not counted, so late ACKs of an earlier
 *   flight do not resend a segment that was just resent. Unlike the
 *   reference, late ACKs still arriving a while after the resend (see
 *   ikcp_snd_fastack()) count again. The walk covers only the "watch"
 *   list: in-flight segments still below the threshold, in sn order; it
 *   stops at the largest acked sn and a segment leaves the list once its
 *   count reaches the threshold.
 * - Out-of-order received segments sit in a ring indexed by sn (capacity
 *   >= the receive window); pending ACKs are deduplicated per sn and their
 *   list is bounded by that capacity.
 * - The flush buffer and both sides' arrays are allocated on first need and
 *   freed only by ikcp_trim() (when they hold nothing): an idle control
 *   block is its struct alone, a busy one allocates nothing per message
 *   beyond its segments.
 */
#include "ikcp.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define IKCP_ASK_SEND      1
#define IKCP_ASK_TELL      2
#define IKCP_RTO_NDL       30
#define IKCP_RTO_MIN       100
#define IKCP_RTO_DEF       200
#define IKCP_RTO_MAX       60000
#define IKCP_WND_SND       32
#define IKCP_WND_RCV       128
#define IKCP_MTU_DEF       1400
#define IKCP_MTU_MIN       50
#define IKCP_INTERVAL      100
#define IKCP_INTERVAL_MIN  10
#define IKCP_INTERVAL_MAX  5000
#define IKCP_DEADLINK      20
#define IKCP_THRESH_INIT   2
#define IKCP_THRESH_MIN    2
#define IKCP_PROBE_INIT    7000
#define IKCP_PROBE_LIMIT   120000
#define IKCP_FASTACK_LIMIT 5
/* ikcp_setdupacks(): datagrams one flush may spread its ACKs over. The
   reference's senders resend at 2 skips by default (kcptun's profiles
   too); one more covers a lost ACK. A peer's datagram of many segments
   past a hole gets no more than this back. */
#define IKCP_DUPACK_DGRAMS 3
#define IKCP_RING_MIN      16
#define IKCP_RING_MAX      (1u << 24)
#define IKCP_CLOCK_JUMP    10000
#define IKCP_LOG_LINE      1024

/** Which list links a segment. */
enum ikcp_list_id {
  IKCP_IN_NONE,
  IKCP_IN_SNDQ,
  IKCP_IN_RCVQ,
  IKCP_IN_WATCH,
  IKCP_IN_DUE
};

/** Why a flush resends a segment. */
enum ikcp_resend_why {
  IKCP_RESEND_NO,
  IKCP_RESEND_TIMEOUT,
  IKCP_RESEND_FAST
};

/** A segment; its payload follows the struct in the same allocation. */
struct IKCPSEG {
  struct IKCPSEG *next;
  struct IKCPSEG *prev;
  char *data;
  IUINT32 sn;
  IUINT32 ts;
  IUINT32 frg;
  IUINT32 len;
  IUINT32 cap;
  IUINT32 resendts;
  IUINT32 rto;
  IUINT32 fastack;
  IUINT32 xmit;
  IUINT32 heap_index;
  IUINT32 sortkey;
  IUINT8 list;
  IUINT8 why;
};

typedef struct IKCPSEG IKCPSEG;

void ikcp_log(ikcpcb *kcp, int mask, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

static void *(*ikcp_malloc_hook)(size_t) = NULL;
static void (*ikcp_free_hook)(void *) = NULL;


/*---------------------------------------------------------------------------
 * helpers
 *-------------------------------------------------------------------------*/

static void *ikcp_malloc(size_t size)
{
  return ikcp_malloc_hook ? ikcp_malloc_hook(size) : malloc(size);
}

static void ikcp_free(void *ptr)
{
  if (ptr == NULL) {
    return;
  }
  if (ikcp_free_hook) {
    ikcp_free_hook(ptr);
  } else {
    free(ptr);
  }
}

/** Signed distance of two 32-bit clock or sequence values (wraps). */
static IINT32 ikcp_diff(IUINT32 later, IUINT32 earlier)
{
  return (IINT32)(later - earlier);
}

/**
 * The congestion module in charge: the one ikcp_setcc() installed, else
 * (ccops NULL, as the reference leaves it) the built-in classic one.
 */
static const struct IKCPOPS *ikcp_ops(const ikcpcb *kcp)
{
  return kcp->ccops != NULL ? kcp->ccops : &ikcp_cc_classic;
}

static IUINT32 ikcp_min(IUINT32 a, IUINT32 b)
{
  return a < b ? a : b;
}

static IUINT32 ikcp_max(IUINT32 a, IUINT32 b)
{
  return a > b ? a : b;
}

static int ikcp_canlog(const ikcpcb *kcp, int mask)
{
  return (kcp->logmask & mask) != 0 && kcp->writelog != NULL;
}

static char *ikcp_put8(char *p, IUINT32 v)
{
  *p = (char)(unsigned char)(v & 0xffu);
  return p + 1;
}

static char *ikcp_put16(char *p, IUINT32 v)
{
  p = ikcp_put8(p, v);
  return ikcp_put8(p, v >> 8);
}

static char *ikcp_put32(char *p, IUINT32 v)
{
  p = ikcp_put16(p, v);
  return ikcp_put16(p, v >> 16);
}

static IUINT32 ikcp_get16(const char *p)
{
  const unsigned char *u = (const unsigned char *)p;
  return (IUINT32)u[0] | ((IUINT32)u[1] << 8);
}

static IUINT32 ikcp_get32(const char *p)
{
  return ikcp_get16(p) | (ikcp_get16(p + 2) << 16);
}

/** Smallest power of two >= want (and >= IKCP_RING_MIN), 0 if too large. */
static IUINT32 ikcp_ring_size(IUINT32 want)
{
  IUINT32 n = IKCP_RING_MIN;
  if (want > IKCP_RING_MAX) {
    return 0;
  }
  while (n < want) {
    n <<= 1;
  }
  return n;
}

/*---------------------------------------------------------------------------
 * segments and lists
 *-------------------------------------------------------------------------*/

static IKCPSEG *ikcp_seg_new(IUINT32 cap)
{
  IKCPSEG *seg = (IKCPSEG *)ikcp_malloc(sizeof(IKCPSEG) + cap);
  if (seg == NULL) {
    return NULL;
  }
  memset(seg, 0, sizeof(*seg));
  seg->data = (char *)(seg + 1);
  seg->cap = cap;
  return seg;
}

static struct IKCPLIST *ikcp_list_of(ikcpcb *kcp, IUINT8 which)
{
  switch (which) {
  case IKCP_IN_SNDQ:
    return &kcp->snd_queue;
  case IKCP_IN_RCVQ:
    return &kcp->rcv_queue;
  case IKCP_IN_WATCH:
    return &kcp->watch;
  case IKCP_IN_DUE:
    return &kcp->due;
  default:
    return NULL;
  }
}

static void ikcp_list_add(ikcpcb *kcp, IUINT8 which, IKCPSEG *seg)
{
  struct IKCPLIST *l = ikcp_list_of(kcp, which);
  seg->list = which;
  seg->next = NULL;
  seg->prev = NULL;
  if (l == NULL) {
    return;
  }
  seg->prev = l->tail;
  if (l->tail) {
    l->tail->next = seg;
  } else {
    l->head = seg;
  }
  l->tail = seg;
}

static void ikcp_list_del(ikcpcb *kcp, IKCPSEG *seg)
{
  struct IKCPLIST *l = ikcp_list_of(kcp, seg->list);
  if (l != NULL) {
    if (seg->prev) {
      seg->prev->next = seg->next;
    } else {
      l->head = seg->next;
    }
    if (seg->next) {
      seg->next->prev = seg->prev;
    } else {
      l->tail = seg->prev;
    }
  }
  seg->next = NULL;
  seg->prev = NULL;
  seg->list = IKCP_IN_NONE;
}

static void ikcp_list_free(ikcpcb *kcp, IUINT8 which)
{
  struct IKCPLIST *l = ikcp_list_of(kcp, which);
  while (l->head) {
    IKCPSEG *seg = l->head;
    ikcp_list_del(kcp, seg);
    ikcp_free(seg);
  }
}

/*---------------------------------------------------------------------------
 * retransmission timers: min-heap on resendts
 *-------------------------------------------------------------------------*/

static int ikcp_timer_before(const IKCPSEG *a, const IKCPSEG *b)
{
  return ikcp_diff(a->resendts, b->resendts) < 0;
}

static void ikcp_timer_put(ikcpcb *kcp, IKCPSEG *seg, IUINT32 i)
{
  kcp->timers[i] = seg;
  seg->heap_index = i;
}

static void ikcp_timer_up(ikcpcb *kcp, IUINT32 i)
{
  IKCPSEG *seg = kcp->timers[i];
  while (i > 0) {
    IUINT32 parent = (i - 1) / 2;
    if (!ikcp_timer_before(seg, kcp->timers[parent])) {
      break;
    }
    ikcp_timer_put(kcp, kcp->timers[parent], i);
    i = parent;
  }
  ikcp_timer_put(kcp, seg, i);
}

static void ikcp_timer_down(ikcpcb *kcp, IUINT32 i)
{
  IKCPSEG *seg = kcp->timers[i];
  IUINT32 n = kcp->ntimers;
  for (;;) {
    IUINT32 child = 2 * i + 1;
    if (child >= n) {
      break;
    }
    if (child + 1 < n && ikcp_timer_before(kcp->timers[child + 1], kcp->timers[child])) {
      child++;
    }
    if (!ikcp_timer_before(kcp->timers[child], seg)) {
      break;
    }
    ikcp_timer_put(kcp, kcp->timers[child], i);
    i = child;
  }
  ikcp_timer_put(kcp, seg, i);
}

static void ikcp_timer_add(ikcpcb *kcp, IKCPSEG *seg)
{
  ikcp_timer_put(kcp, seg, kcp->ntimers++);
  ikcp_timer_up(kcp, seg->heap_index);
}

static void ikcp_timer_del(ikcpcb *kcp, IKCPSEG *seg)
{
  IUINT32 i = seg->heap_index;
  IKCPSEG *last = kcp->timers[--kcp->ntimers];
  if (i < kcp->ntimers) {
    ikcp_timer_put(kcp, last, i);
    ikcp_timer_down(kcp, i);
    ikcp_timer_up(kcp, last->heap_index);
  }
}

/*---------------------------------------------------------------------------
 * ring capacity and lazy allocation
 *
 * snd_mask and rcv_mask always hold the capacity the rings have, or will
 * have once allocated: validation and window limits read only them, so
 * behaviour does not depend on whether the arrays exist. The arrays (and
 * the flush buffer) are allocated when something first needs them and kept
 * until ikcp_trim(), so an idle control block costs its struct alone and a
 * busy one does not allocate per message.
 *-------------------------------------------------------------------------*/

/**
 * The capacity a ring of @p *mask + 1 entries needs for a window of @p want:
 * 0 when it has it already, -1 when none is possible (beyond IKCP_RING_MAX),
 * else the new capacity, recorded in @p *mask at once when the arrays are
 * not allocated (@p allocated 0, and 0 returned: nothing to move).
 */
static long ikcp_ring_grow(IUINT32 *mask, int allocated, IUINT32 want)
{
  IUINT32 ncap;
  if (want <= *mask + 1) {
    return 0;
  }
  ncap = ikcp_ring_size(want);
  if (ncap == 0) {
    return -1;
  }
  if (!allocated) {
    *mask = ncap - 1;
    return 0;
  }
  return (long)ncap;
}

/** Put the segments of @p from (@p cap slots) into @p to, indexed by sn & @p mask. */
static void ikcp_ring_move(IKCPSEG **to, IUINT32 mask, IKCPSEG *const *from, IUINT32 cap)
{
  IUINT32 i;
  for (i = 0; i < cap; i++) {
    if (from[i] != NULL) {
      to[from[i]->sn & mask] = from[i];
    }
  }
}

/**
 * The send side's arrays, @p cap entries each, in one allocation: the ring,
 * the timer heap and the flush's resend scratch; the ring zeroed.
 */
static IKCPSEG **ikcp_snd_block(IUINT32 cap)
{
  IKCPSEG **block = (IKCPSEG **)ikcp_malloc(3 * (size_t)cap * sizeof(IKCPSEG *));
  if (block != NULL) {
    memset(block, 0, cap * sizeof(IKCPSEG *));
  }
  return block;
}

static void ikcp_snd_attach(ikcpcb *kcp, IKCPSEG **block, IUINT32 cap)
{
  kcp->snd_ring = block;
  kcp->timers = block + cap;
  kcp->scratch = block + 2 * (size_t)cap;
  kcp->snd_mask = cap - 1;
}

/**
 * Raise the send side's capacity to @p want segments in flight: only
 * recorded while its arrays are not allocated, else they move to the new
 * size. 0, or -1 (beyond IKCP_RING_MAX, or out of memory: nothing changed).
 */
static int ikcp_snd_reserve(ikcpcb *kcp, IUINT32 want)
{
  IUINT32 cap = kcp->snd_mask + 1;
  IKCPSEG **old = kcp->snd_ring;
  IKCPSEG **old_timers = kcp->timers;
  IKCPSEG **block;
  long ncap = ikcp_ring_grow(&kcp->snd_mask, old != NULL, want);

  if (ncap <= 0) {
    return (int)ncap;
  }
  block = ikcp_snd_block((IUINT32)ncap);
  if (block == NULL) {
    return -1;
  }
  ikcp_snd_attach(kcp, block, (IUINT32)ncap);
  ikcp_ring_move(kcp->snd_ring, kcp->snd_mask, old, cap);
  memcpy(kcp->timers, old_timers, kcp->ntimers * sizeof(IKCPSEG *));
  ikcp_free(old);
  return 0;
}

/** Allocate the send side's arrays at the recorded capacity. 0 or -1. */
static int ikcp_snd_alloc(ikcpcb *kcp)
{
  IKCPSEG **block;
  if (kcp->snd_ring != NULL) {
    return 0;
  }
  block = ikcp_snd_block(kcp->snd_mask + 1);
  if (block == NULL) {
    return -1;
  }
  ikcp_snd_attach(kcp, block, kcp->snd_mask + 1);
  return 0;
}

/** Bytes of the receive side's arrays for @p cap entries. */
static size_t ikcp_rcv_bytes(IUINT32 cap)
{
  return (size_t)cap * (sizeof(IKCPSEG *) + sizeof(struct IKCPACK) + sizeof(IUINT32));
}

/**
 * Point the receive side at @p block of @p cap entries each: the ring of
 * out-of-order segments, then the pending ACKs, then the ACK slot per sn
 * (each part's offset is aligned for the next one's type).
 */
static void ikcp_rcv_attach(ikcpcb *kcp, IKCPSEG **block, IUINT32 cap)
{
  kcp->rcv_ring = block;
  kcp->acks = (struct IKCPACK *)(void *)(block + cap);
  kcp->ack_slot = (IUINT32 *)(void *)(kcp->acks + cap);
  kcp->rcv_mask = cap - 1;
}

/** The receive side's arrays in one allocation, ring and slots zeroed. */
static IKCPSEG **ikcp_rcv_block(IUINT32 cap)
{
  IKCPSEG **block = (IKCPSEG **)ikcp_malloc(ikcp_rcv_bytes(cap));
  if (block != NULL) {
    memset(block, 0, cap * sizeof(IKCPSEG *));
    memset((char *)block + ikcp_rcv_bytes(cap) - cap * sizeof(IUINT32), 0,
           cap * sizeof(IUINT32));
  }
  return block;
}

/**
 * Raise the receive side's capacity to a window of @p want segments: only
 * recorded while its arrays are not allocated, else they move to the new
 * size. 0, or -1 (beyond IKCP_RING_MAX, or out of memory: nothing changed).
 */
static int ikcp_rcv_reserve(ikcpcb *kcp, IUINT32 want)
{
  IUINT32 cap = kcp->rcv_mask + 1;
  IUINT32 i;
  IKCPSEG **old = kcp->rcv_ring;
  struct IKCPACK *old_acks = kcp->acks;
  IKCPSEG **block;
  long ncap = ikcp_ring_grow(&kcp->rcv_mask, old != NULL, want);

  if (ncap <= 0) {
    return (int)ncap;
  }
  block = ikcp_rcv_block((IUINT32)ncap);
  if (block == NULL) {
    return -1;
  }
  ikcp_rcv_attach(kcp, block, (IUINT32)ncap);
  ikcp_ring_move(kcp->rcv_ring, kcp->rcv_mask, old, cap);
  for (i = 0; i < kcp->nacks; i++) {
    kcp->acks[i] = old_acks[i];
    kcp->ack_slot[old_acks[i].sn & kcp->rcv_mask] = i + 1;
  }
  ikcp_free(old);
  return 0;
}

/** Allocate the receive side's arrays at the recorded capacity. 0 or -1. */
static int ikcp_rcv_alloc(ikcpcb *kcp)
{
  IKCPSEG **block;
  if (kcp->rcv_ring != NULL) {
    return 0;
  }
  block = ikcp_rcv_block(kcp->rcv_mask + 1);
  if (block == NULL) {
    return -1;
  }
  ikcp_rcv_attach(kcp, block, kcp->rcv_mask + 1);
  return 0;
}

/** Allocate the flush buffer (bufcap bytes) unless it is. 0 or -1. */
static int ikcp_buffer_alloc(ikcpcb *kcp)
{
  if (kcp->buffer == NULL) {
    kcp->buffer = (char *)ikcp_malloc(kcp->bufcap);
  }
  return kcp->buffer != NULL ? 0 : -1;
}

/** The receive window actually usable (rcv_wnd unless the ring could not grow). */
static IUINT32 ikcp_rcv_window(const ikcpcb *kcp)
{
  return ikcp_min(kcp->rcv_wnd, kcp->rcv_mask + 1);
}

/*---------------------------------------------------------------------------
 * create / release / settings
 *-------------------------------------------------------------------------*/

ikcpcb *ikcp_create(IUINT32 conv, void *user)
{
  ikcpcb *kcp = (ikcpcb *)ikcp_malloc(sizeof(ikcpcb));
  if (kcp == NULL) {
    return NULL;
  }
  memset(kcp, 0, sizeof(*kcp));
  kcp->conv = conv;
  kcp->user = user;
  kcp->snd_wnd = IKCP_WND_SND;
  kcp->rcv_wnd = IKCP_WND_RCV;
  kcp->rmt_wnd = IKCP_WND_RCV;
  kcp->mtu = IKCP_MTU_DEF;
  kcp->mss = IKCP_MTU_DEF - IKCP_OVERHEAD;
  kcp->rx_rto = IKCP_RTO_DEF;
  kcp->rx_minrto = IKCP_RTO_MIN;
  kcp->interval = IKCP_INTERVAL;
  kcp->ts_flush = IKCP_INTERVAL;
  kcp->ssthresh = IKCP_THRESH_INIT;
  kcp->fastlimit = IKCP_FASTACK_LIMIT;
  kcp->dead_link = IKCP_DEADLINK;
  /* Sizes only: the buffer and the rings are allocated on first need. */
  kcp->bufcap = IKCP_MTU_DEF;
  kcp->snd_mask = ikcp_ring_size(IKCP_WND_SND) - 1;
  kcp->rcv_mask = ikcp_ring_size(IKCP_WND_RCV) - 1;
  return kcp;
}

void ikcp_release(ikcpcb *kcp)
{
  IUINT32 i;
  if (kcp == NULL) {
    return;
  }
  if (ikcp_ops(kcp)->release != NULL) {
    ikcp_ops(kcp)->release(kcp);
  }
  ikcp_list_free(kcp, IKCP_IN_SNDQ);
  ikcp_list_free(kcp, IKCP_IN_RCVQ);
  if (kcp->snd_ring != NULL) {
    for (i = 0; i <= kcp->snd_mask; i++) {
      ikcp_free(kcp->snd_ring[i]);
    }
  }
  if (kcp->rcv_ring != NULL) {
    for (i = 0; i <= kcp->rcv_mask; i++) {
      ikcp_free(kcp->rcv_ring[i]);
    }
  }
  ikcp_free(kcp->snd_ring);
  ikcp_free(kcp->rcv_ring);
  ikcp_free(kcp->buffer);
  ikcp_free(kcp);
}

void ikcp_trim(ikcpcb *kcp)
{
  ikcp_free(kcp->buffer);
  kcp->buffer = NULL;
  if (kcp->nsnd_que == 0 && kcp->nsnd_buf == 0) {
    /* No segment cut for a larger mtu is left to send. */
    kcp->bufcap = kcp->mtu;
  }
  if (kcp->nsnd_buf == 0) {
    ikcp_free(kcp->snd_ring);
    kcp->snd_ring = NULL;
    kcp->timers = NULL;
    kcp->scratch = NULL;
  }
  if (kcp->nrcv_buf == 0 && kcp->nacks == 0) {
    ikcp_free(kcp->rcv_ring);
    kcp->rcv_ring = NULL;
    kcp->acks = NULL;
    kcp->ack_slot = NULL;
  }
}

void ikcp_setoutput(ikcpcb *kcp, int (*output)(const char *buf, int len,
                                               ikcpcb *kcp, void *user))
{
  kcp->output = output;
}

void ikcp_allocator(void *(*new_malloc)(size_t), void (*new_free)(void *))
{
  ikcp_malloc_hook = new_malloc;
  ikcp_free_hook = new_free;
}

IUINT32 ikcp_getconv(const void *ptr)
{
  return ikcp_get32((const char *)ptr + IKCP_CONV_OFFSET);
}

/**
 * Decode and check the segment header at @p p (at least IKCP_OVERHEAD of
 * @p size bytes there): ikcp_peek_header() without its argument checks, for
 * ikcp_input()'s loop to inline.
 */
static inline int ikcp_decode_header(const char *p, long size, IKCPHDR *hdr)
{
  hdr->conv = ikcp_get32(p + IKCP_CONV_OFFSET);
  hdr->cmd = (IUINT8)p[IKCP_CMD_OFFSET];
  hdr->frg = (IUINT8)p[IKCP_FRG_OFFSET];
  hdr->wnd = (IUINT16)ikcp_get16(p + IKCP_WND_OFFSET);
  hdr->ts = ikcp_get32(p + IKCP_TS_OFFSET);
  hdr->sn = ikcp_get32(p + IKCP_SN_OFFSET);
  hdr->una = ikcp_get32(p + IKCP_UNA_OFFSET);
  hdr->len = ikcp_get32(p + IKCP_LEN_OFFSET);
  if ((unsigned long)(size - IKCP_OVERHEAD) < (unsigned long)hdr->len || hdr->len > INT_MAX) {
    return IKCP_EINPUT_LEN;
  }
  if (hdr->cmd < IKCP_CMD_PUSH || hdr->cmd > IKCP_CMD_WINS) {
    return IKCP_EINPUT_CMD;
  }
  return 0;
}

int ikcp_peek_header(const void *data, long size, IKCPHDR *hdr)
{
  if (data == NULL || size < IKCP_OVERHEAD) {
    return IKCP_EINPUT_CONV;
  }
  return ikcp_decode_header((const char *)data, size, hdr);
}

int ikcp_is_dead(const ikcpcb *kcp)
{
  return kcp->state == (IUINT32)-1;
}

int ikcp_sndqlen(const ikcpcb *kcp)
{
  return (int)ikcp_min(kcp->nsnd_que, INT_MAX);
}

int ikcp_ackqlen(const ikcpcb *kcp)
{
  return (int)ikcp_min(kcp->nacks, INT_MAX);
}

int ikcp_setmtu(ikcpcb *kcp, int mtu)
{
  if (mtu < IKCP_MTU_MIN || mtu < IKCP_OVERHEAD) {
    return -1;
  }
  /* The buffer does not shrink here: segments cut for a larger mtu may still
   * be queued or in flight, and each must fit the buffer on its own. Not
   * allocated yet, it only records the size. */
  if ((IUINT32)mtu > kcp->bufcap) {
    if (kcp->buffer != NULL) {
      char *buffer = (char *)ikcp_malloc((size_t)mtu);
      if (buffer == NULL) {
        return -2;
      }
      ikcp_free(kcp->buffer);
      kcp->buffer = buffer;
    }
    kcp->bufcap = (IUINT32)mtu;
  }
  kcp->mtu = (IUINT32)mtu;
  kcp->mss = kcp->mtu - IKCP_OVERHEAD;
  return 0;
}

int ikcp_wndsize(ikcpcb *kcp, int sndwnd, int rcvwnd)
{
  IUINT32 rcv = ikcp_max((IUINT32)(rcvwnd > 0 ? rcvwnd : 0), IKCP_WND_RCV);
  if (sndwnd > 0 && ikcp_snd_reserve(kcp, (IUINT32)sndwnd) != 0) {
    return IKCP_ENOMEM;
  }
  if (rcvwnd > 0 && ikcp_rcv_reserve(kcp, rcv) != 0) {
    return IKCP_ENOMEM;
  }
  if (sndwnd > 0) {
    kcp->snd_wnd = (IUINT32)sndwnd;
  }
  if (rcvwnd > 0) {
    kcp->rcv_wnd = rcv;
  }
  return 0;
}

int ikcp_waitsnd(const ikcpcb *kcp)
{
  return (int)(kcp->nsnd_buf + kcp->nsnd_que);
}

static IUINT32 ikcp_clamp_interval(int interval)
{
  if (interval > IKCP_INTERVAL_MAX) {
    return IKCP_INTERVAL_MAX;
  }
  if (interval < IKCP_INTERVAL_MIN) {
    return IKCP_INTERVAL_MIN;
  }
  return (IUINT32)interval;
}

int ikcp_interval(ikcpcb *kcp, int interval)
{
  kcp->interval = ikcp_clamp_interval(interval);
  return 0;
}

int ikcp_nodelay(ikcpcb *kcp, int nodelay, int interval, int resend, int nc)
{
  if (nodelay >= 0) {
    kcp->nodelay = (IUINT32)nodelay;
    kcp->rx_minrto = nodelay ? IKCP_RTO_NDL : IKCP_RTO_MIN;
  }
  if (interval >= 0) {
    kcp->interval = ikcp_clamp_interval(interval);
  }
  if (resend >= 0) {
    kcp->fastresend = resend;
  }
  if (nc >= 0) {
    kcp->nocwnd = nc;
  }
  return 0;
}

/** kcptun's profiles as ikcp_nodelay() arguments. */
static const struct {
  const char *name;
  int nodelay, interval, resend, nc;
} ikcp_profiles[] = {
  { "normal", 0, 40, 2, 1 },
  { "fast", 0, 30, 2, 1 },
  { "fast2", 1, 20, 2, 1 },
  { "fast3", 1, 10, 2, 1 },
};

int ikcp_profile(ikcpcb *kcp, const char *name)
{
  size_t i;
  if (name == NULL) {
    return -1;
  }
  for (i = 0; i < sizeof(ikcp_profiles) / sizeof(ikcp_profiles[0]); i++) {
    if (strcmp(name, ikcp_profiles[i].name) == 0) {
      return ikcp_nodelay(kcp, ikcp_profiles[i].nodelay, ikcp_profiles[i].interval,
                          ikcp_profiles[i].resend, ikcp_profiles[i].nc);
    }
  }
  return -1;
}

const char *ikcp_profile_name(int index)
{
  if (index < 0 || (size_t)index >= sizeof(ikcp_profiles) / sizeof(ikcp_profiles[0])) {
    return NULL;
  }
  return ikcp_profiles[index].name;
}

int ikcp_setsndqmax(ikcpcb *kcp, int max_segments)
{
  if (max_segments < 0) {
    return -1;
  }
  kcp->sndq_max = (IUINT32)max_segments;
  return 0;
}

int ikcp_setwndcap(ikcpcb *kcp, int segments)
{
  if (segments < 0) {
    return -1;
  }
  kcp->wnd_cap = (IUINT32)segments;
  return 0;
}

int ikcp_setdupacks(ikcpcb *kcp, int on)
{
  if (on != 0 && on != 1) {
    return -1;
  }
  kcp->dup_acks = (IUINT32)on;
  return 0;
}

void ikcp_getstats(const ikcpcb *kcp, IKCPSTATS *out)
{
  *out = kcp->stats;
}

int ikcp_setcc(ikcpcb *kcp, const struct IKCPOPS *ops)
{
  if (ikcp_ops(kcp)->release != NULL) {
    ikcp_ops(kcp)->release(kcp);
  }
  kcp->congest = NULL;
  kcp->ccops = ops;
  if (ops != NULL && ops->init != NULL && ops->init(kcp) < 0) {
    kcp->ccops = NULL;
    kcp->congest = NULL;
    if (kcp->cwnd < 1) {
      kcp->cwnd = 1;
    }
    return -1;
  }
  return 0;
}

void ikcp_log(ikcpcb *kcp, int mask, const char *fmt, ...)
{
  char line[IKCP_LOG_LINE];
  va_list ap;
  if (!ikcp_canlog(kcp, mask)) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  kcp->writelog(line, kcp, kcp->user);
}

/*---------------------------------------------------------------------------
 * congestion control (the reference's, as the default hooks)
 *-------------------------------------------------------------------------*/

static IUINT32 ikcp_sat32(IUINT64 v)
{
  return v > 0xffffffffull ? 0xffffffffu : (IUINT32)v;
}

static void ikcp_classic_ack(ikcpcb *kcp, IUINT32 acked_segs,
                             IUINT32 acked_bytes, IUINT32 prior_in_flight)
{
  IUINT64 mss = kcp->mss > 0 ? kcp->mss : 1;
  (void)acked_segs;
  (void)acked_bytes;
  (void)prior_in_flight;
  if (kcp->cwnd >= kcp->rmt_wnd) {
    return;
  }
  if (kcp->cwnd < kcp->ssthresh) {
    kcp->cwnd++;
    kcp->incr = ikcp_sat32(kcp->incr + mss);
  } else {
    IUINT64 incr = kcp->incr < mss ? mss : kcp->incr;
    incr += mss * mss / incr + mss / 16;
    kcp->incr = ikcp_sat32(incr);
    if (((IUINT64)kcp->cwnd + 1) * mss <= incr) {
      kcp->cwnd = ikcp_sat32((incr + mss - 1) / mss);
    }
  }
  if (kcp->cwnd > kcp->rmt_wnd) {
    kcp->cwnd = kcp->rmt_wnd;
    kcp->incr = ikcp_sat32((IUINT64)kcp->rmt_wnd * mss);
  }
}

static void ikcp_classic_fast(ikcpcb *kcp, IUINT32 fast_retrans,
                              IUINT32 inflight, IUINT32 prior_cwnd)
{
  IUINT64 mss = kcp->mss > 0 ? kcp->mss : 1;
  (void)fast_retrans;
  (void)inflight;
  (void)prior_cwnd;
  /* Half of what was sent and not acked, as the reference (not nsnd_buf). */
  kcp->ssthresh = ikcp_max((kcp->snd_nxt - kcp->snd_una) / 2, IKCP_THRESH_MIN);
  kcp->cwnd = kcp->ssthresh + (IUINT32)kcp->fastresend;
  kcp->incr = ikcp_sat32((IUINT64)kcp->cwnd * mss);
}

/** ikcp_flush_output()'s window, as it was at the start of the flush. */
static IUINT32 ikcp_send_limit(const ikcpcb *kcp, IUINT32 cwnd)
{
  IUINT32 limit = ikcp_min(kcp->snd_wnd, kcp->rmt_wnd);
  if (kcp->nocwnd == 0 || ikcp_ops(kcp) != &ikcp_cc_classic) {
    limit = ikcp_min(limit, cwnd);
  }
  return ikcp_min(limit, kcp->snd_mask + 1);
}

static void ikcp_classic_timeout(ikcpcb *kcp, IUINT32 prior_cwnd)
{
  /* Half the window the flush used, as the reference (not of cwnd alone). */
  kcp->ssthresh = ikcp_max(ikcp_send_limit(kcp, prior_cwnd) / 2, IKCP_THRESH_MIN);
  kcp->cwnd = 1;
  kcp->incr = kcp->mss > 0 ? kcp->mss : 1;
}

const struct IKCPOPS ikcp_cc_classic = {
  "classic", NULL, NULL, ikcp_classic_ack, ikcp_classic_fast,
  ikcp_classic_timeout, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/*---------------------------------------------------------------------------
 * congestion control: bbr (bottleneck bandwidth and round-trip time)
 *-------------------------------------------------------------------------*/

#define IKCP_BBR_BW_ROUNDS   10    /* rounds the bandwidth max-filter spans */
#define IKCP_BBR_ROUND_MIN   10    /* ms: shortest round, rate samples below are noise */
#define IKCP_BBR_MINRTT_LIFE 10000 /* ms a min RTT is trusted before PROBE_RTT */
#define IKCP_BBR_PROBE_RTT_MS 200  /* ms PROBE_RTT holds the window small */
#define IKCP_BBR_UNIT        256   /* gains are in 1/256 */
#define IKCP_BBR_HIGH_GAIN   739   /* 2/ln 2: doubles the delivery rate per round */
#define IKCP_BBR_DRAIN_GAIN  89    /* 1/high gain: drains the startup queue in a round */
#define IKCP_BBR_CWND_GAIN   384   /* 1.5 BDP in flight: room for ACK batching */
#define IKCP_BBR_MIN_CWND    4
#define IKCP_BBR_BACKOFF_MAX 8     /* rounds of lowering without the RTT falling */
#define IKCP_BBR_INIT_CWND   16
#define IKCP_BBR_CYCLE       8

enum ikcp_bbr_mode {
  IKCP_BBR_STARTUP,
  IKCP_BBR_DRAIN,
  IKCP_BBR_PROBE_BW,
  IKCP_BBR_PROBE_RTT
};

/** State of one control block's bbr module (kcp->congest). */
struct ikcp_bbr {
  IUINT64 delivered;         /* payload bytes acked since installed */
  IUINT64 round_delivered;   /* delivered when the round started */
  IINT64 carry;              /* pacing: bytes the next flushes may send */
  IUINT32 round_start;       /* ms */
  IUINT32 bw[IKCP_BBR_BW_ROUNDS]; /* delivery rate per round, bytes/s */
  IUINT32 bw_next;           /* next slot of bw */
  IUINT32 max_bw;            /* bytes/s, max of bw; 0 until a sample */
  IUINT32 full_bw;           /* startup: best rate seen, and */
  IUINT32 full_rounds;       /* rounds since it grew by a quarter */
  IUINT32 min_rtt;           /* ms; 0 until a sample */
  IUINT32 min_rtt_stamp;     /* when min_rtt was measured */
  IUINT32 probe_min;         /* PROBE_RTT: smallest sample during it */
  IUINT32 round_rtt;         /* smallest RTT sample of this round, 0: none */
  IUINT32 backoff_rounds;    /* rounds in a row a standing queue lowered the rate */
  IUINT32 backoff_rtt;       /* the lowest round RTT during those */
  IUINT32 scale;             /* rate and window scaling while a queue stands, 1/256 */
  IUINT32 mode_end;          /* PROBE_RTT: when it ends */
  IUINT32 mode;
  IUINT32 cycle;             /* PROBE_BW: phase, and when it began */
  IUINT32 cycle_start;
  IUINT32 last_pace;         /* when pacing_rate was last asked */
  int app_limited;           /* this round ran out of data */
};

/** Pacing gain of a PROBE_BW phase: probe up, drain, then cruise. */
static IUINT32 ikcp_bbr_cycle_gain(IUINT32 cycle)
{
  static const IUINT32 gain[IKCP_BBR_CYCLE] = { 320, 192, 256, 256, 256, 256, 256, 256 };
  return gain[cycle % IKCP_BBR_CYCLE];
}

static IUINT32 ikcp_bbr_pacing_gain(const struct ikcp_bbr *b)
{
  switch (b->mode) {
  case IKCP_BBR_STARTUP:
    return IKCP_BBR_HIGH_GAIN;
  case IKCP_BBR_DRAIN:
    return IKCP_BBR_DRAIN_GAIN;
  case IKCP_BBR_PROBE_BW:
    return ikcp_bbr_cycle_gain(b->cycle);
  default:
    return IKCP_BBR_UNIT;
  }
}

/** Bytes delivered over @p ms at the (scaled) bottleneck rate. */
static IUINT64 ikcp_bbr_bytes_in(const struct ikcp_bbr *b, IUINT32 ms)
{
  return (IUINT64)b->max_bw * b->scale / IKCP_BBR_UNIT * ms / 1000;
}

/** Bandwidth-delay product in bytes, 0 while either is unknown. */
static IUINT64 ikcp_bbr_bdp(const struct ikcp_bbr *b)
{
  return ikcp_bbr_bytes_in(b, b->min_rtt);
}

static IUINT32 ikcp_bbr_round_len(const struct ikcp_bbr *b)
{
  return ikcp_max(b->min_rtt, IKCP_BBR_ROUND_MIN);
}

static void ikcp_bbr_set_cwnd(ikcpcb *kcp, const struct ikcp_bbr *b)
{
  IUINT64 mss = kcp->mss > 0 ? kcp->mss : 1;
  /* The window covers at least a flush interval of delivery, however short
   * the path: a peer acknowledges at its flushes, up to an interval apart,
   * so a smaller window stalls between them, and the rounds it stalls feed
   * the rate filter ever smaller samples (a lone session on a 1 ms path
   * with 2 % loss fell to a hundredth of its rate). */
  IUINT64 bdp = b->min_rtt == 0 ? 0 : ikcp_bbr_bytes_in(b, ikcp_max(b->min_rtt, kcp->interval));
  IUINT32 gain = b->mode == IKCP_BBR_STARTUP ? IKCP_BBR_HIGH_GAIN : IKCP_BBR_CWND_GAIN;
  if (b->mode == IKCP_BBR_PROBE_RTT) {
    kcp->cwnd = IKCP_BBR_MIN_CWND;
  } else if (bdp == 0) {
    kcp->cwnd = ikcp_max(kcp->cwnd, IKCP_BBR_INIT_CWND);
  } else {
    kcp->cwnd = ikcp_max(ikcp_sat32(bdp * gain / IKCP_BBR_UNIT / mss + 1),
                         IKCP_BBR_MIN_CWND);
  }
  kcp->incr = ikcp_sat32((IUINT64)kcp->cwnd * mss);
}

/** A round ended: take its delivery rate and move the state machine on. */
static void ikcp_bbr_round(ikcpcb *kcp, struct ikcp_bbr *b, IUINT32 elapsed)
{
  IUINT64 rate = (b->delivered - b->round_delivered) * 1000 / elapsed;
  IUINT32 i;
  if (!b->app_limited || rate > b->max_bw) {
    b->bw[b->bw_next] = ikcp_sat32(rate);
    b->bw_next = (b->bw_next + 1) % IKCP_BBR_BW_ROUNDS;
  }
  b->max_bw = 0;
  for (i = 0; i < IKCP_BBR_BW_ROUNDS; i++) {
    b->max_bw = ikcp_max(b->max_bw, b->bw[i]);
  }
  /* Not even the best RTT of a whole round came near the minimum (half of
   * it, and never less than a flush interval of slack for ACKs that wait
   * for a tick): a queue stood all round, which sessions sharing the path
   * build by adding up rate estimates that each hold a probe's peak (their
   * samples then add up to the link rate, so the queue would stand for
   * good). Scale rate and window down by an eighth per round until it
   * drains, and back up by a sixteenth per round without one; a lone
   * session rarely gets here. When IKCP_BBR_BACKOFF_MAX rounds of that did
   * not lower the RTT, the delay is not this session's doing (the path got
   * longer, or a loss-based sender keeps the queue full): it becomes the
   * minimum. */
  if (b->mode == IKCP_BBR_PROBE_BW && b->round_rtt != 0 &&
      b->round_rtt > b->min_rtt + ikcp_max(b->min_rtt / 2, kcp->interval)) {
    if (b->backoff_rounds == 0 || (IUINT64)b->round_rtt * 8 < (IUINT64)b->backoff_rtt * 7) {
      b->backoff_rtt = b->round_rtt; /* (still) draining: go on */
      b->backoff_rounds = 0;
    }
    if (++b->backoff_rounds > IKCP_BBR_BACKOFF_MAX) {
      b->min_rtt = b->round_rtt;
      b->min_rtt_stamp = kcp->current;
      b->backoff_rounds = 0;
      b->scale = IKCP_BBR_UNIT;
    } else {
      b->scale = ikcp_max(b->scale - b->scale / 8, IKCP_BBR_UNIT / 8);
    }
  } else {
    b->backoff_rounds = 0;
    b->scale = ikcp_min(b->scale + IKCP_BBR_UNIT / 16, IKCP_BBR_UNIT);
  }
  b->round_start = kcp->current;
  b->round_delivered = b->delivered;
  b->round_rtt = 0;
  b->app_limited = 0;
  if (b->mode == IKCP_BBR_STARTUP) {
    if ((IUINT64)b->max_bw * 4 >= (IUINT64)b->full_bw * 5) {
      b->full_bw = b->max_bw;
      b->full_rounds = 0;
    } else if (++b->full_rounds >= 3) {
      b->mode = IKCP_BBR_DRAIN;
    }
  }
  if (b->mode == IKCP_BBR_DRAIN &&
      (IUINT64)kcp->nsnd_buf * kcp->mss <= ikcp_bbr_bdp(b)) {
    b->mode = IKCP_BBR_PROBE_BW;
    b->cycle = kcp->conv % IKCP_BBR_CYCLE; /* sessions probe at different times */
    b->cycle_start = kcp->current;
  }
}

static int ikcp_bbr_init(ikcpcb *kcp)
{
  struct ikcp_bbr *b = (struct ikcp_bbr *)ikcp_malloc(sizeof(*b));
  if (b == NULL) {
    return -1;
  }
  memset(b, 0, sizeof(*b));
  b->round_start = kcp->current;
  b->last_pace = kcp->current;
  b->mode = IKCP_BBR_STARTUP;
  b->scale = IKCP_BBR_UNIT;
  kcp->congest = b;
  ikcp_bbr_set_cwnd(kcp, b);
  return 0;
}

static void ikcp_bbr_release(ikcpcb *kcp)
{
  ikcp_free(kcp->congest);
  kcp->congest = NULL;
}

static void ikcp_bbr_pkt_acked(ikcpcb *kcp, IUINT32 sn, IUINT32 ts, IUINT32 len,
                               IINT32 rtt, IUINT32 xmit)
{
  struct ikcp_bbr *b = (struct ikcp_bbr *)kcp->congest;
  (void)sn;
  (void)ts;
  (void)rtt;
  (void)xmit;
  b->delivered += len;
}

static void ikcp_bbr_rtt(ikcpcb *kcp, IINT32 rtt)
{
  struct ikcp_bbr *b = (struct ikcp_bbr *)kcp->congest;
  IUINT32 r = rtt > 0 ? (IUINT32)rtt : 1;
  if (b->round_rtt == 0 || r < b->round_rtt) {
    b->round_rtt = r;
  }
  if (b->mode == IKCP_BBR_PROBE_RTT) {
    b->probe_min = ikcp_min(b->probe_min, r);
  } else if (b->min_rtt == 0 || r <= b->min_rtt) {
    b->min_rtt = r;
    b->min_rtt_stamp = kcp->current;
  }
}

static void ikcp_bbr_app_limited(ikcpcb *kcp, IUINT32 inflight)
{
  struct ikcp_bbr *b = (struct ikcp_bbr *)kcp->congest;
  (void)inflight;
  b->app_limited = 1;
}

static void ikcp_bbr_tick(ikcpcb *kcp)
{
  struct ikcp_bbr *b = (struct ikcp_bbr *)kcp->congest;
  IINT32 elapsed = ikcp_diff(kcp->current, b->round_start);
  if (elapsed < 0 || elapsed > IKCP_CLOCK_JUMP) {
    b->round_start = kcp->current;
    b->round_delivered = b->delivered;
  } else if ((IUINT32)elapsed >= ikcp_bbr_round_len(b)) {
    ikcp_bbr_round(kcp, b, (IUINT32)elapsed);
  }
  if (b->mode == IKCP_BBR_PROBE_BW &&
      ikcp_diff(kcp->current, b->cycle_start) >= (IINT32)ikcp_bbr_round_len(b)) {
    b->cycle = (b->cycle + 1) % IKCP_BBR_CYCLE;
    b->cycle_start = kcp->current;
  }
  if (b->mode == IKCP_BBR_PROBE_RTT) {
    if (ikcp_diff(kcp->current, b->mode_end) >= 0) {
      /* A probe that saw no lower RTT leaves the minimum: other sessions'
       * queue is not the path's delay (a longer path is found by the
       * standing-queue rule in ikcp_bbr_round()). */
      if (b->probe_min != 0xffffffffu) {
        b->min_rtt = ikcp_min(b->probe_min, b->min_rtt);
      }
      b->min_rtt_stamp = kcp->current;
      b->mode = IKCP_BBR_PROBE_BW;
      b->cycle_start = kcp->current;
    }
  } else if (b->min_rtt != 0 && b->mode != IKCP_BBR_STARTUP &&
             ikcp_diff(kcp->current, b->min_rtt_stamp) > IKCP_BBR_MINRTT_LIFE) {
    b->mode = IKCP_BBR_PROBE_RTT;
    b->probe_min = 0xffffffffu;
    b->mode_end = kcp->current + ikcp_max(IKCP_BBR_PROBE_RTT_MS, b->min_rtt);
  }
  ikcp_bbr_set_cwnd(kcp, b);
}

static void ikcp_bbr_pkt_sent(ikcpcb *kcp, IUINT32 sn, IUINT32 ts, IUINT32 len,
                              IUINT32 inflight, IUINT32 xmit)
{
  struct ikcp_bbr *b = (struct ikcp_bbr *)kcp->congest;
  (void)sn;
  (void)ts;
  (void)inflight;
  (void)xmit;
  b->carry -= len;
}

/**
 * Bytes this flush may send: the pacing rate times the time since the last
 * flush, carried over between flushes (so a caller flushing every interval
 * and one flushing per datagram send the same), at most an interval's worth
 * plus two segments, so an idle spell does not turn into a burst.
 */
static IUINT32 ikcp_bbr_pacing(ikcpcb *kcp)
{
  struct ikcp_bbr *b = (struct ikcp_bbr *)kcp->congest;
  IUINT64 rate = (IUINT64)b->max_bw * b->scale / IKCP_BBR_UNIT *
                 ikcp_bbr_pacing_gain(b) / IKCP_BBR_UNIT;
  IINT32 elapsed = ikcp_diff(kcp->current, b->last_pace);
  IINT64 cap = (IINT64)(rate * kcp->interval / 1000) + 2 * (IINT64)kcp->mss;
  b->last_pace = kcp->current;
  if (b->max_bw == 0) {
    return 0xffffffffu; /* no estimate yet: the window alone limits */
  }
  if (elapsed > 0 && elapsed <= IKCP_CLOCK_JUMP) {
    b->carry += (IINT64)(rate * (IUINT32)elapsed / 1000);
  }
  if (b->carry > cap) {
    b->carry = cap;
  }
  if (b->carry < 0) {
    return 0;
  }
  return b->carry > 0x7fffffff ? 0x7fffffffu : (IUINT32)b->carry;
}

/** Three IUINT32: bottleneck bytes/s, min RTT ms, mode (0 startup .. 3 probe RTT). */
static IUINT32 ikcp_bbr_info(ikcpcb *kcp, void *buf, IUINT32 bufsize)
{
  const struct ikcp_bbr *b = (const struct ikcp_bbr *)kcp->congest;
  IUINT32 info[3];
  IUINT32 n = ikcp_min(bufsize, (IUINT32)sizeof(info));
  info[0] = b->max_bw;
  info[1] = b->min_rtt;
  info[2] = b->mode;
  memcpy(buf, info, n);
  return n;
}

const struct IKCPOPS ikcp_cc_bbr = {
  "bbr", ikcp_bbr_init, ikcp_bbr_release, NULL, NULL, NULL, ikcp_bbr_tick,
  ikcp_bbr_app_limited, ikcp_bbr_rtt, ikcp_bbr_pkt_sent, ikcp_bbr_pkt_acked,
  ikcp_bbr_info, ikcp_bbr_pacing
};

/** The modules ikcp_cc_find() knows, the default first. */
static const struct IKCPOPS *const ikcp_cc_modules[] = { &ikcp_cc_classic, &ikcp_cc_bbr };

const struct IKCPOPS *ikcp_cc_find(const char *name)
{
  const char *known;
  int i;
  for (i = 0; name != NULL && (known = ikcp_cc_name(i)) != NULL; i++) {
    if (strcmp(name, known) == 0) {
      return ikcp_cc_modules[i];
    }
  }
  return NULL;
}

const char *ikcp_cc_name(int index)
{
  if (index < 0 || (size_t)index >= sizeof(ikcp_cc_modules) / sizeof(ikcp_cc_modules[0])) {
    return NULL;
  }
  return ikcp_cc_modules[index]->name;
}

/*---------------------------------------------------------------------------
 * sending side
 *-------------------------------------------------------------------------*/

/** Largest payload per segment: mss, bounded by what the buffer holds. */
static IUINT32 ikcp_mss(const ikcpcb *kcp)
{
  IUINT32 mss = ikcp_min(kcp->mss, kcp->bufcap - IKCP_OVERHEAD);
  return mss > 0 ? mss : 1;
}

int ikcp_send(ikcpcb *kcp, const char *buffer, int len)
{
  IUINT32 mss = ikcp_mss(kcp);
  IKCPSEG *tail = kcp->snd_queue.tail;
  IKCPSEG *grown = NULL;
  IKCPSEG *first = NULL;
  IKCPSEG *last = NULL;
  IUINT32 topup = 0, rest, count, i, offset = 0;

  if (len < 0) {
    return IKCP_ESEND_LEN;
  }
  if (kcp->stream && tail != NULL && tail->len < mss) {
    topup = ikcp_min((IUINT32)len, mss - tail->len);
  }
  rest = (IUINT32)len - topup;
  if (kcp->stream && rest == 0) {
    count = 0;
  } else {
    count = rest / mss + (rest % mss != 0);
    if (count == 0) {
      count = 1;
    }
  }
  if (count >= IKCP_FRG_MAX) {
    return IKCP_ESEND_FRAGS;
  }
  if (kcp->sndq_max > 0 && kcp->nsnd_que + count > kcp->sndq_max) {
    return IKCP_ESNDQFULL;
  }

  /* Allocate everything first so that a failure leaves the queue as it was. */
  if (topup > 0 && tail->cap < tail->len + topup) {
    grown = ikcp_seg_new(mss);
    if (grown == NULL) {
      return IKCP_ENOMEM;
    }
  }
  for (i = 0; i < count; i++) {
    IUINT32 size = ikcp_min(rest - i * mss, mss);
    IKCPSEG *seg = ikcp_seg_new(kcp->stream ? mss : size);
    if (seg == NULL) {
      ikcp_free(grown);
      while (first != NULL) {
        IKCPSEG *next = first->next;
        ikcp_free(first);
        first = next;
      }
      return IKCP_ENOMEM;
    }
    seg->len = size;
    seg->frg = kcp->stream ? 0 : count - i - 1;
    if (last != NULL) {
      last->next = seg;
    } else {
      first = seg;
    }
    last = seg;
  }

  if (topup > 0) {
    if (grown != NULL) {
      memcpy(grown->data, tail->data, tail->len);
      grown->len = tail->len;
      ikcp_list_del(kcp, tail);
      ikcp_free(tail);
      ikcp_list_add(kcp, IKCP_IN_SNDQ, grown);
      tail = grown;
    }
    if (buffer != NULL) {
      memcpy(tail->data + tail->len, buffer, topup);
    } else {
      memset(tail->data + tail->len, 0, topup);
    }
    tail->len += topup;
    offset = topup;
  }
  while (first != NULL) {
    IKCPSEG *seg = first;
    first = seg->next;
    if (buffer != NULL) {
      memcpy(seg->data, buffer + offset, seg->len);
    } else {
      memset(seg->data, 0, seg->len);
    }
    offset += seg->len;
    ikcp_list_add(kcp, IKCP_IN_SNDQ, seg);
    kcp->nsnd_que++;
  }
  if (ikcp_canlog(kcp, IKCP_LOG_SEND)) {
    ikcp_log(kcp, IKCP_LOG_SEND, "send %d bytes in %lu new segments", len,
             (unsigned long)count);
  }
  return len;
}

/** Forget an in-flight segment (acknowledged). */
static void ikcp_snd_drop(ikcpcb *kcp, IKCPSEG *seg)
{
  kcp->snd_ring[seg->sn & kcp->snd_mask] = NULL;
  ikcp_list_del(kcp, seg);
  ikcp_timer_del(kcp, seg);
  ikcp_free(seg);
  kcp->nsnd_buf--;
}

/** The peer acknowledged @p seg (@p rtt -1: through una): tell the module, drop it. */
static void ikcp_snd_acked(ikcpcb *kcp, IKCPSEG *seg, IINT32 rtt)
{
  kcp->acked_bytes += seg->len;
  if (ikcp_ops(kcp)->on_pkt_acked != NULL) {
    ikcp_ops(kcp)->on_pkt_acked(kcp, seg->sn, seg->ts, seg->len, rtt, seg->xmit);
  }
  ikcp_snd_drop(kcp, seg);
}

/**
 * Move snd_una up to the first segment still in flight (snd_nxt when none:
 * no walk then, whatever a caller wrote into the fields).
 */
static void ikcp_snd_shrink(ikcpcb *kcp)
{
  if (kcp->nsnd_buf == 0) {
    kcp->snd_una = kcp->snd_nxt;
    return;
  }
  while (kcp->snd_una != kcp->snd_nxt &&
         kcp->snd_ring[kcp->snd_una & kcp->snd_mask] == NULL) {
    kcp->snd_una++;
  }
}

/** The peer has everything below @p una (checked <= snd_nxt by the caller). */
static void ikcp_snd_una(ikcpcb *kcp, IUINT32 una)
{
  while (kcp->nsnd_buf > 0 && ikcp_diff(una, kcp->snd_una) > 0) {
    IKCPSEG *seg = kcp->snd_ring[kcp->snd_una & kcp->snd_mask];
    if (seg != NULL) {
      ikcp_snd_acked(kcp, seg, -1);
    }
    kcp->snd_una++;
  }
  ikcp_snd_shrink(kcp);
}

static void ikcp_snd_ack(ikcpcb *kcp, IUINT32 sn)
{
  IKCPSEG *seg;
  if (kcp->nsnd_buf == 0 || ikcp_diff(sn, kcp->snd_una) < 0 ||
      ikcp_diff(sn, kcp->snd_nxt) >= 0) {
    return;
  }
  seg = kcp->snd_ring[sn & kcp->snd_mask];
  if (seg != NULL) {
    IINT32 rtt = ikcp_diff(kcp->current, seg->ts);
    ikcp_snd_acked(kcp, seg, rtt >= 0 ? rtt : -1);
    ikcp_snd_shrink(kcp);
  }
}

/** Whether fast retransmit may still resend @p seg (fastlimit). */
static int ikcp_fast_allowed(const ikcpcb *kcp, const IKCPSEG *seg)
{
  return kcp->fastlimit <= 0 || seg->xmit <= (IUINT32)kcp->fastlimit;
}

static IUINT32 ikcp_fast_threshold(const ikcpcb *kcp)
{
  return kcp->fastresend > 0 ? (IUINT32)kcp->fastresend : 0xffffffffu;
}

/**
 * Insert @p seg into the watch list, which is kept in sn order. The search
 * starts at *@p cursor (NULL: the head) and *@p cursor is left on @p seg,
 * so inserting segments in increasing sn costs one pass in all.
 */
static void ikcp_watch_insert(ikcpcb *kcp, IKCPSEG *seg, IKCPSEG **cursor)
{
  struct IKCPLIST *l = &kcp->watch;
  IKCPSEG *at = *cursor != NULL ? *cursor : l->head;
  while (at != NULL && ikcp_diff(at->sn, seg->sn) < 0) {
    at = at->next;
  }
  seg->list = IKCP_IN_WATCH;
  seg->next = at;
  seg->prev = at != NULL ? at->prev : l->tail;
  if (seg->prev != NULL) {
    seg->prev->next = seg;
  } else {
    l->head = seg;
  }
  if (at != NULL) {
    at->prev = seg;
  } else {
    l->tail = seg;
  }
  *cursor = seg;
}

/**
 * Move a segment to the list its fast-ack count calls for: watch while
 * below the threshold, due once it may be resent fast, none when fastlimit
 * forbids that for good (only its timer can resend it then).
 */
static void ikcp_snd_recount(ikcpcb *kcp, IKCPSEG *seg, IKCPSEG **cursor)
{
  ikcp_list_del(kcp, seg);
  if (seg->fastack < ikcp_fast_threshold(kcp)) {
    ikcp_watch_insert(kcp, seg, cursor);
  } else {
    ikcp_list_add(kcp, ikcp_fast_allowed(kcp, seg) ? IKCP_IN_DUE : IKCP_IN_NONE, seg);
  }
}

/**
 * How long after a transmission ACKs sent before it are still the tail of
 * the flight it was resent into: two flush intervals, or a quarter of the
 * smoothed RTT when that is longer.
 */
static IINT32 ikcp_late_ack_window(const ikcpcb *kcp)
{
  IINT32 quarter = kcp->rx_srtt > 0 ? kcp->rx_srtt / 4 : 0;
  IINT32 ticks = (IINT32)(2 * ikcp_min(kcp->interval, IKCP_INTERVAL_MAX));
  return quarter > ticks ? quarter : ticks;
}

/**
 * Count one skip for every segment in flight below @p maxack, once per
 * input with ACKs as the reference does, unless the ACK is older than the
 * segment's last transmission (@p ts is the newest ACK's send time) and
 * that transmission is recent: such late ACKs of the previous flight say
 * nothing about it, and counting them resent segments that were just
 * resent (the reference's IKCP_FASTACK_CONSERVE drops them for good). Late
 * ACKs that keep coming past ikcp_late_ack_window() do count, so that a
 * resend lost too is retried before its timer, as without that rule.
 * Only segments still below the threshold are on the watch list, in sn
 * order; each leaves it after `fastresend` counts.
 */
static void ikcp_snd_fastack(ikcpcb *kcp, IUINT32 maxack, IUINT32 ts)
{
  IKCPSEG *seg = kcp->watch.head;
  IINT32 window = ikcp_late_ack_window(kcp);
  while (seg != NULL && ikcp_diff(seg->sn, maxack) < 0) {
    IKCPSEG *next = seg->next;
    if (ikcp_diff(ts, seg->ts) < 0 && ikcp_diff(kcp->current, seg->ts) < window) {
      seg = next;
      continue;
    }
    seg->fastack++;
    if (seg->fastack >= ikcp_fast_threshold(kcp)) {
      ikcp_list_del(kcp, seg);
      ikcp_list_add(kcp, ikcp_fast_allowed(kcp, seg) ? IKCP_IN_DUE : IKCP_IN_NONE, seg);
    }
    seg = next;
  }
}

/*---------------------------------------------------------------------------
 * flush
 *-------------------------------------------------------------------------*/

static void ikcp_output(ikcpcb *kcp, const char *buf, int len)
{
  if (len <= 0 || kcp->output == NULL) {
    return;
  }
  kcp->stats.bytes_out += (IUINT64)len;
  if (ikcp_canlog(kcp, IKCP_LOG_OUTPUT)) {
    ikcp_log(kcp, IKCP_LOG_OUTPUT, "[RO] %d bytes", len);
  }
  kcp->output(buf, len, kcp, kcp->user);
}

/** Make room for @p need bytes, sending what is buffered if it would not fit. */
static char *ikcp_room(ikcpcb *kcp, char *ptr, IUINT32 need)
{
  IUINT32 limit = ikcp_min(kcp->mtu, kcp->bufcap);
  IUINT32 used = (IUINT32)(ptr - kcp->buffer);
  if (used > 0 && used + need > limit) {
    ikcp_output(kcp, kcp->buffer, (int)used);
    return kcp->buffer;
  }
  return ptr;
}

static char *ikcp_put_header(char *p, const ikcpcb *kcp, IUINT32 cmd, IUINT32 frg,
                             IUINT32 wnd, IUINT32 ts, IUINT32 sn, IUINT32 len)
{
  p = ikcp_put32(p, kcp->conv);
  p = ikcp_put8(p, cmd);
  p = ikcp_put8(p, frg);
  p = ikcp_put16(p, wnd);
  p = ikcp_put32(p, ts);
  p = ikcp_put32(p, sn);
  p = ikcp_put32(p, kcp->rcv_nxt);
  return ikcp_put32(p, len);
}

/** A control segment (ACK, WASK, WINS). */
static char *ikcp_put_ctrl(ikcpcb *kcp, char *ptr, IUINT32 cmd, IUINT32 wnd,
                           IUINT32 ts, IUINT32 sn)
{
  ptr = ikcp_room(kcp, ptr, IKCP_OVERHEAD);
  kcp->stats.segs_out++;
  return ikcp_put_header(ptr, kcp, cmd, 0, wnd, ts, sn, 0);
}

static char *ikcp_put_push(ikcpcb *kcp, char *ptr, IKCPSEG *seg, IUINT32 wnd)
{
  ptr = ikcp_room(kcp, ptr, IKCP_OVERHEAD + seg->len);
  seg->ts = kcp->current;
  ptr = ikcp_put_header(ptr, kcp, IKCP_CMD_PUSH, seg->frg, wnd, seg->ts,
                        seg->sn, seg->len);
  memcpy(ptr, seg->data, seg->len);
  ptr += seg->len;
  kcp->stats.segs_out++;
  kcp->stats.data_segs_out++;
  if (seg->xmit >= kcp->dead_link) {
    kcp->state = (IUINT32)-1;
  }
  if (ikcp_canlog(kcp, IKCP_LOG_OUT_DATA)) {
    ikcp_log(kcp, IKCP_LOG_OUT_DATA, "output psh: sn=%lu ts=%lu xmit=%lu",
             (unsigned long)seg->sn, (unsigned long)seg->ts,
             (unsigned long)seg->xmit);
  }
  return ptr;
}

/** Free receive window to advertise, as the 16-bit wnd field holds it. */
static IUINT32 ikcp_wnd_unused(const ikcpcb *kcp)
{
  IUINT32 wnd;

  if (kcp->nrcv_que >= kcp->rcv_wnd) {
    return 0;
  }
  wnd = kcp->rcv_wnd - kcp->nrcv_que;
  if (kcp->wnd_cap > 0) {
    wnd = ikcp_min(wnd, kcp->wnd_cap);
  }
  return ikcp_min(wnd, 0xffffu);
}

/** Sift step of ikcp_sort_resends(): max-heap on sortkey over seg[0..n). */
static void ikcp_sort_sift(IKCPSEG **seg, IUINT32 i, IUINT32 n)
{
  IKCPSEG *top = seg[i];
  for (;;) {
    IUINT32 child = 2 * i + 1;
    if (child >= n) {
      break;
    }
    if (child + 1 < n && seg[child + 1]->sortkey > seg[child]->sortkey) {
      child++;
    }
    if (seg[child]->sortkey <= top->sortkey) {
      break;
    }
    seg[i] = seg[child];
    i = child;
  }
  seg[i] = top;
}

/**
 * Heapsort @p n segments by sortkey: in place and without allocating (libc
 * qsort may call malloc, bypassing ikcp_allocator).
 */
static void ikcp_sort_resends(IKCPSEG **seg, IUINT32 n)
{
  IUINT32 i;
  for (i = n / 2; i > 0; i--) {
    ikcp_sort_sift(seg, i - 1, n);
  }
  for (i = n; i > 1; i--) {
    IKCPSEG *max = seg[0];
    seg[0] = seg[i - 1];
    seg[i - 1] = max;
    ikcp_sort_sift(seg, 0, i - 1);
  }
}

/** Window probing when the peer's window is 0 (reference timing). */
static void ikcp_probe_tick(ikcpcb *kcp)
{
  if (kcp->rmt_wnd != 0) {
    kcp->ts_probe = 0;
    kcp->probe_wait = 0;
    return;
  }
  if (kcp->probe_wait == 0) {
    kcp->probe_wait = IKCP_PROBE_INIT;
    kcp->ts_probe = kcp->current + kcp->probe_wait;
  } else if (ikcp_diff(kcp->current, kcp->ts_probe) >= 0) {
    if (kcp->probe_wait < IKCP_PROBE_INIT) {
      kcp->probe_wait = IKCP_PROBE_INIT;
    }
    kcp->probe_wait += kcp->probe_wait / 2;
    if (kcp->probe_wait > IKCP_PROBE_LIMIT) {
      kcp->probe_wait = IKCP_PROBE_LIMIT;
    }
    kcp->ts_probe = kcp->current + kcp->probe_wait;
    kcp->probe |= IKCP_ASK_SEND;
  }
}

/** Gather the segments this flush resends, in sn order. Returns how many. */
static IUINT32 ikcp_collect_resends(ikcpcb *kcp)
{
  IUINT32 threshold = ikcp_fast_threshold(kcp);
  IUINT32 n = 0;
  IKCPSEG *seg, *next, *cursor = NULL;

  while (kcp->ntimers > 0 &&
         ikcp_diff(kcp->current, kcp->timers[0]->resendts) >= 0) {
    seg = kcp->timers[0];
    ikcp_timer_del(kcp, seg);
    seg->why = IKCP_RESEND_TIMEOUT;
    kcp->scratch[n++] = seg;
  }
  for (seg = kcp->due.head; seg != NULL; seg = next) {
    next = seg->next;
    if (seg->why == IKCP_RESEND_TIMEOUT) {
      continue;
    }
    if (seg->fastack >= threshold && ikcp_fast_allowed(kcp, seg)) {
      seg->why = IKCP_RESEND_FAST;
      kcp->scratch[n++] = seg;
    } else {
      ikcp_snd_recount(kcp, seg, &cursor);
      cursor = NULL;
    }
  }
  if (n > 1) {
    IUINT32 i;
    for (i = 0; i < n; i++) {
      kcp->scratch[i]->sortkey = kcp->scratch[i]->sn - kcp->snd_una;
    }
    ikcp_sort_resends(kcp->scratch, n);
  }
  return n;
}

/** Whether a flush may have anything to write, and so needs the buffer. */
static int ikcp_flush_has_output(const ikcpcb *kcp)
{
  return kcp->nacks > 0 || kcp->probe != 0 || kcp->nsnd_buf > 0 ||
         kcp->snd_queue.head != NULL;
}

/**
 * Write the pending ACKs. The sn/ts of the last one go to *@p sn and
 * *@p ts (left alone when there is none).
 */
static char *ikcp_put_acks(ikcpcb *kcp, char *ptr, IUINT32 wnd, IUINT32 *sn, IUINT32 *ts)
{
  IUINT32 send = kcp->nacks, i;
  /* ikcp_setdupacks(): while rcv_nxt is missing and later segments wait,
   * the first ACKs leave alone, in at most IKCP_DUPACK_DGRAMS datagrams
   * (the last shares its datagram with the other ACKs and what follows). */
  IUINT32 alone = kcp->dup_acks && kcp->nrcv_buf > 0 &&
                  kcp->rcv_ring[kcp->rcv_nxt & kcp->rcv_mask] == NULL ?
                  IKCP_DUPACK_DGRAMS - 1 : 0;
  for (i = 0; i < send; i++) {
    if (alone > 0 && ptr > kcp->buffer) {
      ikcp_output(kcp, kcp->buffer, (int)(ptr - kcp->buffer));
      ptr = kcp->buffer;
      alone--;
    }
    *sn = kcp->acks[i].sn;
    *ts = kcp->acks[i].ts;
    kcp->ack_slot[*sn & kcp->rcv_mask] = 0;
    ptr = ikcp_put_ctrl(kcp, ptr, IKCP_CMD_ACK, wnd, *ts, *sn);
  }
  if (send > 0 && ikcp_canlog(kcp, IKCP_LOG_OUT_ACK)) {
    ikcp_log(kcp, IKCP_LOG_OUT_ACK, "output ack: %lu acks", (unsigned long)send);
  }
  kcp->nacks = 0;
  return ptr;
}

/** What one flush did, for the congestion module's hooks. */
struct ikcp_flush_report {
  IINT32 budget;   /* payload bytes pacing still allows, < 0: no pacing */
  IUINT32 fast;    /* fast retransmissions */
  IUINT32 timeout; /* retransmissions on timer expiry */
};

/**
 * Whether pacing lets @p seg leave now; if so its bytes are spent and the
 * module hears of it.
 */
static int ikcp_paced_send(ikcpcb *kcp, const IKCPSEG *seg,
                           struct ikcp_flush_report *rep)
{
  if (rep->budget >= 0) {
    if ((IUINT32)rep->budget < seg->len) {
      return 0;
    }
    rep->budget -= (IINT32)seg->len;
  }
  if (ikcp_ops(kcp)->on_pkt_sent != NULL) {
    /* A new segment (xmit 0) counts in flight once sent. */
    ikcp_ops(kcp)->on_pkt_sent(kcp, seg->sn, kcp->current, seg->len,
                            kcp->nsnd_buf + (seg->xmit == 0), seg->xmit + 1);
  }
  return 1;
}

/**
 * The writing part of ikcp_flush(): the buffer is allocated. Resends that
 * pacing holds back keep their state (an expired timer stays expired) for
 * a later flush.
 */
static void ikcp_flush_output(ikcpcb *kcp, struct ikcp_flush_report *rep)
{
  char *ptr = kcp->buffer;
  IKCPSEG *cursor = NULL;
  IUINT32 wnd, limit, rtomin, n, i;
  IUINT32 ack_sn = 0, ack_ts = 0;
  int fresh;

  wnd = ikcp_wnd_unused(kcp);
  ikcp_snd_shrink(kcp);
  limit = ikcp_send_limit(kcp, kcp->cwnd);
  rtomin = kcp->nodelay == 0 ? (IUINT32)kcp->rx_rto >> 3 : 0;
  n = ikcp_collect_resends(kcp);
  /* New data goes into the send ring; without one it waits in the queue. */
  fresh = kcp->snd_queue.head != NULL && ikcp_snd_alloc(kcp) == 0;

  ptr = ikcp_put_acks(kcp, ptr, wnd, &ack_sn, &ack_ts);

  /* Probes carry the sn/ts of the last ACK of this flush, as the reference's. */
  if (kcp->probe & IKCP_ASK_SEND) {
    ptr = ikcp_put_ctrl(kcp, ptr, IKCP_CMD_WASK, wnd, ack_ts, ack_sn);
    if (ikcp_canlog(kcp, IKCP_LOG_OUT_PROBE)) {
      ikcp_log(kcp, IKCP_LOG_OUT_PROBE, "output probe");
    }
  }
  if (kcp->probe & IKCP_ASK_TELL) {
    ptr = ikcp_put_ctrl(kcp, ptr, IKCP_CMD_WINS, wnd, ack_ts, ack_sn);
    if (ikcp_canlog(kcp, IKCP_LOG_OUT_WINS)) {
      ikcp_log(kcp, IKCP_LOG_OUT_WINS, "output wins: %lu", (unsigned long)wnd);
    }
  }
  kcp->probe = 0;

  /* Retransmissions first, in sn order: their sn are below every new
   * segment's. A timer resend keeps its fast-ack count (as the reference)
   * and its place; a fast resend starts counting again. */
  for (i = 0; i < n; i++) {
    IKCPSEG *seg = kcp->scratch[i];
    if (!ikcp_paced_send(kcp, seg, rep)) {
      for (; i < n; i++) {
        seg = kcp->scratch[i];
        if (seg->why == IKCP_RESEND_TIMEOUT) {
          ikcp_timer_add(kcp, seg);
        }
        seg->why = IKCP_RESEND_NO;
      }
      break;
    }
    seg->xmit++;
    if (seg->why == IKCP_RESEND_TIMEOUT) {
      IUINT32 step;
      kcp->xmit++;
      if (kcp->nodelay == 0) {
        /* Never less than the current estimate: RTT may have grown since. */
        step = ikcp_max(seg->rto, (IUINT32)kcp->rx_rto);
      } else if (kcp->nodelay == 1) {
        step = seg->rto / 2;
      } else {
        step = (IUINT32)kcp->rx_rto / 2;
      }
      seg->rto = ikcp_min(seg->rto + step, IKCP_RTO_MAX);
      rep->timeout++;
      kcp->stats.retrans_timeout++;
      if (seg->list != IKCP_IN_WATCH) {
        ikcp_snd_recount(kcp, seg, &cursor);
      }
    } else {
      ikcp_timer_del(kcp, seg);
      seg->fastack = 0;
      rep->fast++;
      kcp->stats.retrans_fast++;
      ikcp_snd_recount(kcp, seg, &cursor);
    }
    seg->why = IKCP_RESEND_NO;
    seg->resendts = kcp->current + seg->rto;
    ikcp_timer_add(kcp, seg);
    ptr = ikcp_put_push(kcp, ptr, seg, wnd);
  }

  if (fresh) {
    while (kcp->snd_queue.head != NULL &&
           ikcp_diff(kcp->snd_nxt, kcp->snd_una + limit) < 0) {
      IKCPSEG *seg = kcp->snd_queue.head;
      seg->sn = kcp->snd_nxt;
      seg->xmit = 0;
      if (!ikcp_paced_send(kcp, seg, rep)) {
        break;
      }
      ikcp_list_del(kcp, seg);
      kcp->nsnd_que--;
      seg->sn = kcp->snd_nxt++;
      kcp->snd_ring[seg->sn & kcp->snd_mask] = seg;
      kcp->nsnd_buf++;
      seg->xmit = 1;
      seg->fastack = 0;
      seg->rto = kcp->rx_rto > 0 ? (IUINT32)kcp->rx_rto : 1;
      seg->resendts = kcp->current + seg->rto + rtomin;
      ikcp_timer_add(kcp, seg);
      ptr = ikcp_put_push(kcp, ptr, seg, wnd);
      ikcp_list_add(kcp, IKCP_IN_WATCH, seg);
    }
  }

  if (ptr > kcp->buffer) {
    ikcp_output(kcp, kcp->buffer, (int)(ptr - kcp->buffer));
  }
}

void ikcp_flush(ikcpcb *kcp)
{
  const struct IKCPOPS *ops = ikcp_ops(kcp);
  struct ikcp_flush_report rep = { -1, 0, 0 };
  IUINT32 prior_cwnd;

  if (kcp->updated == 0) {
    return;
  }
  if (ops->on_tick != NULL) {
    ops->on_tick(kcp);
  }
  if (ops->pacing_rate != NULL) {
    /* As the reference: a rate that reads negative as IINT32 means none. */
    rep.budget = (IINT32)ops->pacing_rate(kcp);
  }
  prior_cwnd = kcp->cwnd;
  /* Decided before anything is written, so that a flush with nothing to
   * write allocates nothing. Without a buffer, ACKs, probes and data wait
   * for the next flush. */
  ikcp_probe_tick(kcp);
  ikcp_snd_reserve(kcp, kcp->snd_wnd);
  if (ikcp_flush_has_output(kcp) && ikcp_buffer_alloc(kcp) == 0) {
    ikcp_flush_output(kcp, &rep);
  } else {
    ikcp_snd_shrink(kcp);
  }
  if (ops->on_app_limited != NULL && kcp->snd_queue.head == NULL &&
      kcp->nsnd_buf < ikcp_min(ikcp_min(kcp->snd_wnd, kcp->rmt_wnd), kcp->cwnd)) {
    ops->on_app_limited(kcp, kcp->nsnd_buf);
  }
  if (rep.fast > 0 && ops->on_fast_retransmit != NULL) {
    ops->on_fast_retransmit(kcp, rep.fast, kcp->nsnd_buf, prior_cwnd);
  }
  if (rep.timeout > 0 && ops->on_timeout != NULL) {
    ops->on_timeout(kcp, prior_cwnd);
  }
  if (kcp->cwnd < 1) {
    kcp->cwnd = 1;
    kcp->incr = kcp->mss;
  }
}

void ikcp_update(ikcpcb *kcp, IUINT32 current)
{
  IINT32 slap;
  kcp->current = current;
  if (kcp->updated == 0) {
    kcp->updated = 1;
    kcp->ts_flush = current;
  }
  slap = ikcp_diff(current, kcp->ts_flush);
  if (slap >= IKCP_CLOCK_JUMP || slap < -IKCP_CLOCK_JUMP) {
    kcp->ts_flush = current;
    slap = 0;
  }
  if (slap >= 0) {
    kcp->ts_flush += kcp->interval;
    if (ikcp_diff(current, kcp->ts_flush) >= 0) {
      kcp->ts_flush = current + kcp->interval;
    }
    ikcp_flush(kcp);
  }
}

/*
 * Retransmission timers are served by the flush at the next tick, as the
 * reference's ikcp_update() serves them, so that tick is the only time an
 * update does anything. The reference also reports an earlier resend time
 * here, at which its update does nothing, so a loop driven by it spins.
 */
IUINT32 ikcp_check(const ikcpcb *kcp, IUINT32 current)
{
  IINT32 wait;

  if (kcp->updated == 0) {
    return current;
  }
  wait = ikcp_diff(kcp->ts_flush, current);
  if (wait <= 0 || wait > IKCP_CLOCK_JUMP) {
    return current;
  }
  if ((IUINT32)wait > kcp->interval) {
    wait = (IINT32)kcp->interval;
  }
  return current + (IUINT32)wait;
}

/*---------------------------------------------------------------------------
 * receiving side
 *-------------------------------------------------------------------------*/

/**
 * Queue an ACK for @p sn; a repeated sn only refreshes its ts. At most a
 * receive window of ACKs wait for a flush: more distinct sn than that in one
 * interval is not something a peer inside the window can cause, and the ones
 * dropped are resent by the peer and acked then.
 */
static void ikcp_ack_push(ikcpcb *kcp, IUINT32 sn, IUINT32 ts)
{
  IUINT32 *slot = &kcp->ack_slot[sn & kcp->rcv_mask];
  if (*slot != 0 && kcp->acks[*slot - 1].sn == sn) {
    kcp->acks[*slot - 1].ts = ts;
    return;
  }
  if (kcp->nacks >= ikcp_rcv_window(kcp)) {
    return;
  }
  kcp->acks[kcp->nacks].sn = sn;
  kcp->acks[kcp->nacks].ts = ts;
  *slot = ++kcp->nacks;
}

/** Move in-order segments to the receive queue while it has room. */
static void ikcp_rcv_advance(ikcpcb *kcp)
{
  while (kcp->nrcv_buf > 0 && kcp->nrcv_que < kcp->rcv_wnd) {
    IKCPSEG **slot = &kcp->rcv_ring[kcp->rcv_nxt & kcp->rcv_mask];
    IKCPSEG *seg = *slot;
    if (seg == NULL || seg->sn != kcp->rcv_nxt) {
      break;
    }
    *slot = NULL;
    kcp->nrcv_buf--;
    ikcp_list_add(kcp, IKCP_IN_RCVQ, seg);
    kcp->nrcv_que++;
    kcp->rcv_nxt++;
  }
}

static void ikcp_rtt_sample(ikcpcb *kcp, IINT32 rtt)
{
  IINT64 srtt = kcp->rx_srtt, rttval = kcp->rx_rttval, rto;
  /* A forged or ancient ts must not blow up the estimator. */
  if (rtt > IKCP_RTO_MAX) {
    rtt = IKCP_RTO_MAX;
  }
  if (srtt <= 0 || srtt > IKCP_RTO_MAX || rttval < 0 || rttval > IKCP_RTO_MAX) {
    srtt = 0;
  }
  if (srtt == 0) {
    srtt = rtt;
    rttval = rtt / 2;
  } else {
    IINT64 delta = rtt - srtt;
    if (delta < 0) {
      delta = -delta;
    }
    rttval = (3 * rttval + delta) / 4;
    srtt = (7 * srtt + rtt) / 8;
    if (srtt < 1) {
      srtt = 1;
    }
  }
  rto = srtt + (IINT64)ikcp_max(kcp->interval, (IUINT32)(4 * rttval));
  if (rto < kcp->rx_minrto) {
    rto = kcp->rx_minrto;
  }
  if (rto > IKCP_RTO_MAX) {
    rto = IKCP_RTO_MAX;
  }
  kcp->rx_srtt = (IINT32)srtt;
  kcp->rx_rttval = (IINT32)rttval;
  kcp->rx_rto = (IINT32)rto;
  if (ikcp_ops(kcp)->on_rtt != NULL) {
    ikcp_ops(kcp)->on_rtt(kcp, rtt);
  }
}

/**
 * Whether a well-formed segment may touch the state at all: una and ACK sn
 * must not be beyond what was sent, nor an ACK sn older than anything the
 * send ring ever held; a PUSH must be inside the receive window, or at most
 * a ring's worth below it (a resend whose ACK was lost), and completable.
 * A segment that fails changes nothing, not even rmt_wnd.
 */
static int ikcp_segment_ok(ikcpcb *kcp, IUINT32 cmd, IUINT32 frg, IUINT32 sn,
                           IUINT32 una)
{
  if (ikcp_diff(una, kcp->snd_nxt) > 0) {
    kcp->stats.out_of_window++;
    return 0;
  }
  if (cmd == IKCP_CMD_ACK &&
      (ikcp_diff(sn, kcp->snd_nxt) >= 0 ||
       ikcp_diff(sn, kcp->snd_una - (kcp->snd_mask + 1)) < 0)) {
    kcp->stats.out_of_window++;
    return 0;
  }
  if (cmd == IKCP_CMD_PUSH) {
    if (ikcp_diff(sn, kcp->rcv_nxt + ikcp_rcv_window(kcp)) >= 0 ||
        ikcp_diff(sn, kcp->rcv_nxt - (kcp->rcv_mask + 1)) < 0) {
      kcp->stats.out_of_window++;
      return 0;
    }
    if (frg >= kcp->rcv_wnd) {
      kcp->stats.malformed++;
      return 0;
    }
  }
  return 1;
}

/**
 * A PUSH inside the window. Returns 0 or IKCP_ENOMEM (dropped, not acked:
 * no memory for the segment or for the receive ring).
 */
static int ikcp_input_push(ikcpcb *kcp, IUINT32 frg, IUINT32 ts, IUINT32 sn,
                           const char *data, IUINT32 len)
{
  if (ikcp_rcv_alloc(kcp) != 0) {
    return IKCP_ENOMEM;
  }
  if (ikcp_diff(sn, kcp->rcv_nxt) >= 0) {
    IKCPSEG **slot = &kcp->rcv_ring[sn & kcp->rcv_mask];
    if (*slot != NULL) {
      kcp->stats.dup_segs++;
    } else {
      IKCPSEG *seg = ikcp_seg_new(len);
      if (seg == NULL) {
        return IKCP_ENOMEM;
      }
      seg->sn = sn;
      seg->ts = ts;
      seg->frg = frg;
      seg->len = len;
      memcpy(seg->data, data, len);
      *slot = seg;
      kcp->nrcv_buf++;
    }
  } else {
    kcp->stats.dup_segs++;
  }
  ikcp_ack_push(kcp, sn, ts);
  ikcp_rcv_advance(kcp);
  return 0;
}

int ikcp_input(ikcpcb *kcp, const char *data, long size)
{
  IUINT32 prev_una = kcp->snd_una;
  IUINT32 prior_in_flight = kcp->nsnd_buf;
  IUINT32 maxack = 0, latest_ts = 0;
  int have_ack = 0, ret = 0;

  if (data != NULL && size > 0) {
    kcp->stats.bytes_in += (IUINT64)size;
  }
  if (data == NULL || size < IKCP_OVERHEAD) {
    kcp->stats.malformed++;
    return IKCP_EINPUT_CONV;
  }
  if (ikcp_canlog(kcp, IKCP_LOG_INPUT)) {
    ikcp_log(kcp, IKCP_LOG_INPUT, "[RI] %ld bytes", size);
  }
  ikcp_rcv_reserve(kcp, kcp->rcv_wnd);
  kcp->acked_bytes = 0;

  while (size >= IKCP_OVERHEAD) {
    IKCPHDR h;
    IUINT32 cmd, frg, wnd, ts, sn, una, len;
    const char *body = data + IKCP_OVERHEAD;

    if (ikcp_get32(data + IKCP_CONV_OFFSET) != kcp->conv) {
      ret = IKCP_EINPUT_CONV;
      break;
    }
    ret = ikcp_decode_header(data, size, &h);
    if (ret != 0) {
      break;
    }
    cmd = h.cmd;
    frg = h.frg;
    wnd = h.wnd;
    ts = h.ts;
    sn = h.sn;
    una = h.una;
    len = h.len;
    data = body + len;
    size -= IKCP_OVERHEAD;
    size -= (long)len;
    kcp->stats.segs_in++;
    if (cmd == IKCP_CMD_PUSH) {
      kcp->stats.data_segs_in++;
    }
    if (!ikcp_segment_ok(kcp, cmd, frg, sn, una)) {
      continue;
    }
    kcp->rmt_wnd = wnd;
    ikcp_snd_una(kcp, una);

    switch (cmd) {
    case IKCP_CMD_ACK:
      if (ikcp_diff(kcp->current, ts) >= 0) {
        ikcp_rtt_sample(kcp, ikcp_diff(kcp->current, ts));
      }
      ikcp_snd_ack(kcp, sn);
      if (!have_ack || (ikcp_diff(sn, maxack) > 0 && ikcp_diff(ts, latest_ts) > 0)) {
        have_ack = 1;
        maxack = sn;
        latest_ts = ts;
      }
      if (ikcp_canlog(kcp, IKCP_LOG_IN_ACK)) {
        ikcp_log(kcp, IKCP_LOG_IN_ACK, "input ack: sn=%lu rtt=%ld rto=%ld",
                 (unsigned long)sn, (long)ikcp_diff(kcp->current, ts),
                 (long)kcp->rx_rto);
      }
      break;
    case IKCP_CMD_PUSH:
      if (ikcp_canlog(kcp, IKCP_LOG_IN_DATA)) {
        ikcp_log(kcp, IKCP_LOG_IN_DATA, "input psh: sn=%lu ts=%lu",
                 (unsigned long)sn, (unsigned long)ts);
      }
      if (ikcp_input_push(kcp, frg, ts, sn, body, len) != 0) {
        ret = IKCP_ENOMEM;
      }
      break;
    case IKCP_CMD_WASK:
      kcp->probe |= IKCP_ASK_TELL;
      if (ikcp_canlog(kcp, IKCP_LOG_IN_PROBE)) {
        ikcp_log(kcp, IKCP_LOG_IN_PROBE, "input probe");
      }
      break;
    default:
      if (ikcp_canlog(kcp, IKCP_LOG_IN_WINS)) {
        ikcp_log(kcp, IKCP_LOG_IN_WINS, "input wins: %lu", (unsigned long)wnd);
      }
      break;
    }
  }
  if (ret == IKCP_EINPUT_CONV || ret == IKCP_EINPUT_LEN || ret == IKCP_EINPUT_CMD) {
    kcp->stats.malformed++;
  }

  if (have_ack && kcp->fastresend > 0) {
    ikcp_snd_fastack(kcp, maxack, latest_ts);
  }
  if (ikcp_diff(kcp->snd_una, prev_una) > 0 && ikcp_ops(kcp)->on_ack != NULL) {
    ikcp_ops(kcp)->on_ack(kcp, kcp->snd_una - prev_una, kcp->acked_bytes,
                       prior_in_flight);
  }
  return ret;
}

/*---------------------------------------------------------------------------
 * reading
 *-------------------------------------------------------------------------*/

/**
 * Bytes of the next whole message and how many segments it spans; -1 when
 * it is not complete. A message ends at frg 0 or at the end of the queue
 * (what a confused peer may leave), and never exceeds INT_MAX bytes.
 */
static int ikcp_msg_span(const ikcpcb *kcp, IUINT32 *nseg)
{
  const IKCPSEG *seg = kcp->rcv_queue.head;
  IUINT64 total = 0;
  IUINT32 count = 0;
  if (seg == NULL) {
    return -1;
  }
  if (kcp->nrcv_que < seg->frg + 1) {
    return -1;
  }
  for (; seg != NULL; seg = seg->next) {
    if (count > 0 && total + seg->len > INT_MAX) {
      break;
    }
    total += seg->len;
    count++;
    if (seg->frg == 0) {
      break;
    }
  }
  *nseg = count;
  return (int)total;
}

int ikcp_peeksize(const ikcpcb *kcp)
{
  IUINT32 nseg;
  return ikcp_msg_span(kcp, &nseg);
}

int ikcp_recv(ikcpcb *kcp, char *buffer, int len)
{
  int peek = len < 0;
  int size, recover;
  IUINT32 nseg, i, offset = 0;
  IKCPSEG *seg;

  if (kcp->rcv_queue.head == NULL) {
    return IKCP_ERECV_EMPTY;
  }
  if (len < 0) {
    len = len == INT_MIN ? INT_MAX : -len;
  }
  size = ikcp_msg_span(kcp, &nseg);
  if (size < 0) {
    return IKCP_ERECV_PARTIAL;
  }
  if (size > len) {
    return IKCP_ERECV_SHORT;
  }
  recover = kcp->nrcv_que >= kcp->rcv_wnd;

  seg = kcp->rcv_queue.head;
  for (i = 0; i < nseg; i++) {
    IKCPSEG *next = seg->next;
    if (buffer != NULL) {
      memcpy(buffer + offset, seg->data, seg->len);
    }
    offset += seg->len;
    if (ikcp_canlog(kcp, IKCP_LOG_RECV)) {
      ikcp_log(kcp, IKCP_LOG_RECV, "recv sn=%lu", (unsigned long)seg->sn);
    }
    if (!peek) {
      ikcp_list_del(kcp, seg);
      ikcp_free(seg);
      kcp->nrcv_que--;
    }
    seg = next;
  }

  ikcp_rcv_advance(kcp);
  if (recover && kcp->nrcv_que < kcp->rcv_wnd) {
    kcp->probe |= IKCP_ASK_TELL;
  }
  return size;
}
