/**
 * @file
 * libFuzzer target for the lwIP binding (kcp/kcp_lwip.c): a listener on
 * UDP port 8000 of an in-process lwIP (tests/vnetif.h), fed through lwIP's
 * real input path.
 *
 * The input is a program. Four harness peers (KCP engines at 10.0.0.10,
 * 10.0.0.11, fd00::12 and fd00::13) open conversations, send messages and
 * read replies over an emulated link that can lose, duplicate and reorder;
 * other ops inject raw datagrams from any address and port (IPv4, IPv6,
 * link-local), forge segments from fields near a session's state,
 * advance the clock (lwIP timeouts included), and act as the server
 * application: write, close, connect, change engine settings and limits,
 * refuse messages (back-pressure) or close from inside a callback, open
 * sessions by the dozen (past the hash table's first size), and make lwIP's
 * heap fail (which the binding and the engines allocate from).
 *
 * Checked after every op, a violation aborting:
 * - every datagram the listener sends parses as whole KCP segments of one
 *   conv, fits KCP_DGRAM_MAX, and goes to a key that has a session;
 * - a datagram that opens no session is answered with nothing;
 * - callbacks only ever name live sessions, with the right argument; err
 *   reasons are the documented ones; sent() never reports more space than
 *   the cap;
 * - the pcb's counters agree with the harness: sessions live = opened -
 *   closed = sessions the harness tracks, within the cap; datagrams in and
 *   out = what crossed the wire;
 * - while nothing forged used a peer's key, each side receives exactly the
 *   messages the other sent, in order;
 * - lwIP's heap, which the binding and every engine use, stays within a
 *   bound computed from the sessions' queues and windows;
 * - after kcp_remove() and the peers' release lwIP's heap, which the binding
 *   and the engine use, is back where it was (counted by vnetif), which
 *   also catches memory still referenced that LeakSanitizer would not see.
 */
#include "kcp_lwip.h"
#include "vnetif.h"
#include "fuzz_reader.h"

#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/timeouts.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_PORT     8000
#define FL_PEERS    4
#define FL_SLOTS    96
#define FL_WIRE     64
#define FL_MSGS     256

struct fl_dgram {
  u8_t *data;
  u16_t len;
  ip_addr_t ip;   /**< the peer's address: source or destination */
  u16_t port;
};

/** A queue of datagrams in flight in one direction; full drops the oldest. */
struct fl_wire {
  struct fl_dgram d[FL_WIRE];
  unsigned head, count;
};

/** One direction of a conversation: messages written, not yet read. */
struct fl_stream {
  u32_t seed;            /**< makes the bytes of this direction unique */
  u64_t sent_off, recv_off;
  u32_t msgs[FL_MSGS];
  unsigned head, count;
};

struct fl_slot;

/** A harness peer: one KCP engine with its own address and port. */
struct fl_peer {
  ikcpcb *kcp;           /**< NULL until started */
  ip_addr_t ip;
  u16_t port;
  int checked;           /**< its conversation is still checked end to end */
  struct fl_stream up;   /**< peer to server */
  struct fl_stream down; /**< server to peer */
  struct fl_slot *slot;  /**< the server's session of this conversation */
};

/** A server session as the harness application sees it. */
struct fl_slot {
  struct kcp_session *s; /**< NULL when free */
  struct fl_peer *peer;  /**< far end, when it is a harness peer */
  ip_addr_t ip;          /**< its key: remote address, port and conv */
  u16_t port;
  u32_t conv;
  u8_t mode;             /**< bit 0 refuses every other message, 1 replies, 2 may close */
  u32_t calls;
  u32_t wnd_asked;       /**< largest window set through fl_tune() */
};

static struct {
  struct fuzz_reader *r;
  struct kcp_pcb *pcb;
  struct fl_peer peer[FL_PEERS];
  struct fl_slot slot[FL_SLOTS];
  struct fl_wire to_server, to_peer;
  u32_t now;
  u32_t incarnation;
  u32_t max_sessions, sndq_max;
  u32_t dgram_in, dgram_out;  /**< what crossed the wire to and from port 8000 */
  struct fl_peer *sender;     /**< genuine peer of the datagram being injected */
  ip_addr_t src_ip;           /**< source of the datagram being injected */
  u16_t src_port;
  int silent;                 /**< the datagram being injected must get no reply */
  int removing;               /**< inside kcp_remove(): ERR_CLSD is expected */
} fl;

static void fl_fail(const char *what) __attribute__((noreturn));

static void
fl_fail(const char *what)
{
  fprintf(stderr, "fuzz_kcp_lwip: invariant broken: %s\n", what);
  abort();
}

static u32_t
fl_get32(const u8_t *p)
{
  return (u32_t)p[0] | (u32_t)p[1] << 8 | (u32_t)p[2] << 16 | (u32_t)p[3] << 24;
}

static void
fl_put32(u8_t *p, u32_t v)
{
  p[0] = (u8_t)v;
  p[1] = (u8_t)(v >> 8);
  p[2] = (u8_t)(v >> 16);
  p[3] = (u8_t)(v >> 24);
}

static u8_t
fl_pattern(u32_t seed, u64_t off)
{
  u32_t x = (u32_t)off ^ (u32_t)(off >> 32) ^ seed;

  x *= 0x9e3779b1u;
  return (u8_t)(x >> 24);
}

/* ---- wires ---- */

static void
fl_wire_push(struct fl_wire *w, const u8_t *data, u16_t len, const ip_addr_t *ip, u16_t port)
{
  struct fl_dgram *d;

  if (w->count == FL_WIRE) {
    free(w->d[w->head].data);
    w->head = (w->head + 1) % FL_WIRE;
    w->count--;
  }
  d = &w->d[(w->head + w->count) % FL_WIRE];
  d->data = malloc(len ? len : 1);
  if (d->data == NULL) {
    fl_fail("harness out of memory");
  }
  memcpy(d->data, data, len);
  d->len = len;
  d->ip = *ip;
  d->port = port;
  w->count++;
}

/** Take the datagram at position @p i; the caller frees its data. */
static struct fl_dgram
fl_wire_take(struct fl_wire *w, unsigned i)
{
  struct fl_dgram d = w->d[(w->head + i) % FL_WIRE];
  unsigned j;

  for (j = i; j > 0; j--) {
    w->d[(w->head + j) % FL_WIRE] = w->d[(w->head + j - 1) % FL_WIRE];
  }
  w->head = (w->head + 1) % FL_WIRE;
  w->count--;
  return d;
}

static void
fl_wire_clear(struct fl_wire *w)
{
  while (w->count > 0) {
    free(fl_wire_take(w, 0).data);
  }
}

/* ---- streams ---- */

static void
fl_stream_reset(struct fl_stream *st, u32_t seed)
{
  memset(st, 0, sizeof(*st));
  st->seed = seed;
}

static void
fl_stream_fill(const struct fl_stream *st, u8_t *buf, u32_t len)
{
  u32_t i;

  for (i = 0; i < len; i++) {
    buf[i] = fl_pattern(st->seed, st->sent_off + i);
  }
}

/** Whether one more message fits the record; else the direction goes unchecked. */
static int
fl_stream_room(const struct fl_stream *st)
{
  return st->count < FL_MSGS;
}

/** The writer queued a message of @p len bytes (made by fl_stream_fill()). */
static void
fl_stream_sent(struct fl_stream *st, u32_t len)
{
  st->msgs[(st->head + st->count) % FL_MSGS] = len;
  st->count++;
  st->sent_off += len;
}

/** The reader got one message: it must be the next one written. */
static void
fl_stream_recv(struct fl_stream *st, const u8_t *data, u32_t len)
{
  u32_t i;

  if (st->count == 0) {
    fl_fail("received a message that was never sent");
  }
  if (st->msgs[st->head] != len) {
    fl_fail("received message length differs from the one sent");
  }
  for (i = 0; i < len; i++) {
    if (data[i] != fl_pattern(st->seed, st->recv_off + i)) {
      fl_fail("received message bytes differ from the ones sent");
    }
  }
  st->recv_off += len;
  st->head = (st->head + 1) % FL_MSGS;
  st->count--;
}

/* ---- the server application (callbacks of kcp_lwip) ---- */

static struct fl_slot *
fl_slot_free(void)
{
  int i;

  for (i = 0; i < FL_SLOTS; i++) {
    if (fl.slot[i].s == NULL) {
      return &fl.slot[i];
    }
  }
  return NULL;
}

/** The session of @p slot is gone: stop checking its conversation. */
static void
fl_slot_release(struct fl_slot *slot)
{
  if (slot->peer != NULL) {
    slot->peer->slot = NULL;
    slot->peer->checked = 0;
  }
  memset(slot, 0, sizeof(*slot));
}

static void
fl_slot_check(struct fl_slot *slot, struct kcp_session *s)
{
  if (slot < &fl.slot[0] || slot >= &fl.slot[FL_SLOTS] || slot->s != s) {
    fl_fail("callback for a session the application does not hold");
  }
}

/** Server application writes a message on @p slot's session. */
static void
fl_server_write(struct fl_slot *slot, u32_t len)
{
  struct fl_peer *peer = slot->peer;
  u8_t *buf = malloc(len ? len : 1);
  struct fl_stream scratch;
  err_t err;

  if (buf == NULL) {
    fl_fail("harness out of memory");
  }
  if (peer != NULL && !fl_stream_room(&peer->down)) {
    peer->checked = 0;
  }
  fl_stream_reset(&scratch, 0);
  fl_stream_fill(peer != NULL ? &peer->down : &scratch, buf, len);
  err = kcp_write(slot->s, buf, len);
  free(buf);
  if (err != ERR_OK && err != ERR_MEM && err != ERR_VAL) {
    fl_fail("kcp_write failed with an undocumented error");
  }
  if (err == ERR_OK && peer != NULL && peer->checked) {
    fl_stream_sent(&peer->down, len);
  }
}

static err_t
fl_recv(void *arg, struct kcp_session *s, const void *data, u32_t len)
{
  struct fl_slot *slot = arg;

  fl_slot_check(slot, s);
  slot->calls++;
  if ((slot->mode & 1) && (slot->calls & 1)) {
    return ERR_MEM;
  }
  if (slot->peer != NULL && slot->peer->checked) {
    fl_stream_recv(&slot->peer->up, data, len);
  }
  if (slot->mode & 2) {
    fl_server_write(slot, len % 3000);
  }
  if ((slot->mode & 4) && slot->calls % 5 == 0) {
    kcp_close(s);
    fl_slot_release(slot);
  }
  return ERR_OK;
}

static void
fl_sent(void *arg, struct kcp_session *s, u32_t space)
{
  fl_slot_check(arg, s);
  if (space > fl.sndq_max) {
    fl_fail("sent() reports more space than the send-queue cap");
  }
}

static void
fl_err(void *arg, err_t err)
{
  struct fl_slot *slot = arg;

  if (slot < &fl.slot[0] || slot >= &fl.slot[FL_SLOTS] || slot->s == NULL) {
    fl_fail("err callback for a session the application does not hold");
  }
  if (fl.removing ? err != ERR_CLSD : err != ERR_TIMEOUT && err != ERR_ABRT && err != ERR_MEM) {
    fl_fail("err callback with an unexpected reason");
  }
  fl_slot_release(slot);
}

static struct fl_slot *
fl_slot_of(struct kcp_session *s)
{
  int i;

  for (i = 0; i < FL_SLOTS; i++) {
    if (fl.slot[i].s == s) {
      return &fl.slot[i];
    }
  }
  fl_fail("a session the application does not hold");
}

/** Apply fuzzer-chosen engine settings to a session, within the binding's rules. */
static void
fl_tune(struct kcp_session *s)
{
  ikcpcb *k = kcp_session_ikcp(s);
  u8_t v = fuzz_reader_u8(fl.r);

  switch (v & 3) {
  case 0:
    /* a short dead_link: sessions die of it within reach of a fuzz input */
    if (v & 4) {
      k->dead_link = 2 + ((v >> 3) & 3);
    }
    break;
  case 1: {
    static const char *const names[] = { "normal", "fast", "fast2", "fast3" };

    ikcp_profile(k, names[(v >> 2) & 3]);
    break;
  }
  case 2: {
    int snd = 1 + fuzz_reader_u8(fl.r) % 256;
    int rcv = 1 + fuzz_reader_u16(fl.r) % 1024;
    struct fl_slot *slot = fl_slot_of(s);

    slot->wnd_asked = LWIP_MAX(slot->wnd_asked, (u32_t)LWIP_MAX(snd, rcv));
    ikcp_wndsize(k, snd, rcv);
    break;
  }
  default:
    ikcp_setmtu(k, 50 + fuzz_reader_u16(fl.r) % (KCP_DGRAM_MAX - 49));
    break;
  }
}

static void
fl_slot_attach(struct fl_slot *slot, struct kcp_session *s, struct fl_peer *peer,
               const ip_addr_t *ip, u16_t port)
{
  slot->s = s;
  slot->peer = peer;
  slot->ip = *ip;
  slot->port = port;
  slot->conv = kcp_session_ikcp(s)->conv;
  slot->mode = fuzz_reader_u8(fl.r);
  slot->calls = 0;
  if (peer != NULL) {
    peer->slot = slot;
  }
  kcp_session_arg(s, slot);
  kcp_recv(s, fl_recv);
  kcp_sent(s, fl_sent);
  kcp_err(s, fl_err);
  fl_tune(s);
}

static err_t
fl_accept(void *arg, struct kcp_session *s, err_t err)
{
  struct fl_slot *slot = fl_slot_free();
  struct fl_peer *peer = fl.sender;
  u8_t how = fuzz_reader_u8(fl.r);

  if (arg != &fl || err != ERR_OK) {
    fl_fail("accept called with a wrong argument");
  }
  if (fl.silent) {
    fl_fail("a session opened by a datagram that may not open one");
  }
  if (slot == NULL || how == 0xff) {
    return ERR_MEM;
  }
  if (peer != NULL && (peer->slot != NULL || kcp_session_ikcp(s)->conv != peer->kcp->conv)) {
    peer = NULL;
  }
  fl_slot_attach(slot, s, peer, &fl.src_ip, fl.src_port);
  if (how == 0xfe) {
    kcp_close(s);
    fl_slot_release(slot);
  }
  return ERR_OK;
}

/* ---- the wire ---- */

/** Whether the listener has a session for this key (the harness holds them all). */
static int
fl_has_session(const ip_addr_t *ip, u16_t port, u32_t conv)
{
  int i;

  for (i = 0; i < FL_SLOTS; i++) {
    const struct fl_slot *slot = &fl.slot[i];

    if (slot->s != NULL && ip_addr_cmp_zoneless(&slot->ip, ip) && slot->port == port
        && slot->conv == conv) {
      return 1;
    }
  }
  return 0;
}

/** A datagram lwIP sent: it must come from the listener and parse as KCP. */
static void
fl_capture(void *arg, const ip_addr_t *dst, u16_t dport, u16_t sport, const u8_t *data, u16_t len)
{
  const u8_t *p = data;
  u16_t left = len;
  u32_t conv;

  LWIP_UNUSED_ARG(arg);
  if (sport != FL_PORT) {
    fl_fail("UDP datagram from a port the listener does not own");
  }
  if (fl.silent) {
    fl_fail("reply to a datagram that opens no session");
  }
  if (len < IKCP_OVERHEAD || len > KCP_DGRAM_MAX) {
    fl_fail("datagram out of 24..KCP_DGRAM_MAX bytes");
  }
  conv = fl_get32(data);
  while (left > 0) {
    u32_t dlen;

    if (left < IKCP_OVERHEAD || fl_get32(p) != conv || p[IKCP_CMD_OFFSET] < IKCP_CMD_PUSH || p[IKCP_CMD_OFFSET] > IKCP_CMD_WINS) {
      fl_fail("datagram sent does not parse as segments of one conv");
    }
    dlen = fl_get32(p + IKCP_LEN_OFFSET);
    if (dlen > (u32_t)(left - IKCP_OVERHEAD)) {
      fl_fail("segment sent runs past its datagram");
    }
    p += IKCP_OVERHEAD + dlen;
    left = (u16_t)(left - IKCP_OVERHEAD - dlen);
  }
  if (!fl_has_session(dst, dport, conv)) {
    fl_fail("datagram sent for a conversation with no session");
  }
  fl.dgram_out++;
  fl_wire_push(&fl.to_peer, data, len, dst, dport);
}

/** Put one datagram on the wire to port 8000, from @p peer when genuine. */
static void
fl_inject(const ip_addr_t *src, u16_t sport, const u8_t *data, u16_t len, struct fl_peer *peer)
{
  int opens = len >= IKCP_OVERHEAD && data[IKCP_CMD_OFFSET] == IKCP_CMD_PUSH && fl_get32(data + IKCP_SN_OFFSET) == 0;

  fl.sender = peer;
  fl.src_ip = *src;
  fl.src_port = sport;
  fl.silent = !opens && !fl_has_session(src, sport, len >= 4 ? fl_get32(data) : 0);
  fl.dgram_in++;
  vnetif_inject(src, sport, FL_PORT, data, len);
  fl.sender = NULL;
  fl.silent = 0;
}

static struct fl_peer *
fl_peer_by_addr(const ip_addr_t *ip, u16_t port)
{
  int i;

  for (i = 0; i < FL_PEERS; i++) {
    if (ip_addr_cmp_zoneless(&fl.peer[i].ip, ip) && fl.peer[i].port == port) {
      return &fl.peer[i];
    }
  }
  return NULL;
}

/** Something not sent by the peer owning this key arrives: stop checking it. */
static void
fl_inject_forged(const ip_addr_t *src, u16_t sport, const u8_t *data, u16_t len)
{
  struct fl_peer *owner = fl_peer_by_addr(src, sport);

  if (owner != NULL) {
    owner->checked = 0;
  }
  fl_inject(src, sport, data, len, NULL);
}

static void
fl_to_peer(struct fl_dgram *d)
{
  struct fl_peer *peer = fl_peer_by_addr(&d->ip, d->port);
  int rc;

  if (peer == NULL || peer->kcp == NULL || d->len < 4 || fl_get32(d->data) != peer->kcp->conv) {
    return; /* for a peer or an incarnation that is gone */
  }
  rc = ikcp_input(peer->kcp, (const char *)d->data, d->len);
  if (peer->checked && rc != 0 && rc != IKCP_ENOMEM) {
    fl_fail("peer engine rejected a datagram of the listener");
  }
}

static int
fl_peer_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct fl_peer *peer = user;

  LWIP_UNUSED_ARG(kcp);
  fl_wire_push(&fl.to_server, (const u8_t *)buf, (u16_t)len, &peer->ip, peer->port);
  return 0;
}

static void
fl_deliver_to_server(struct fl_dgram *d)
{
  struct fl_peer *peer = fl_peer_by_addr(&d->ip, d->port);

  if (peer != NULL && (peer->kcp == NULL || fl_get32(d->data) != peer->kcp->conv)) {
    peer = NULL; /* an older incarnation's datagram */
  }
  fl_inject(&d->ip, d->port, d->data, d->len, peer);
}

/* ---- ops ---- */

static void
fl_peer_drain(struct fl_peer *peer)
{
  int size;

  while (peer->kcp != NULL && (size = ikcp_peeksize(peer->kcp)) >= 0) {
    u8_t *buf = malloc((size_t)size + 1);

    if (buf == NULL) {
      fl_fail("harness out of memory");
    }
    if (ikcp_recv(peer->kcp, (char *)buf, size) != size) {
      fl_fail("peer ikcp_recv of its peeksize failed");
    }
    if (peer->checked) {
      fl_stream_recv(&peer->down, buf, (u32_t)size);
    }
    free(buf);
  }
}

/** (Re)start a peer as a new conversation with a conv never used before. */
static void
fl_op_peer_start(struct fl_peer *peer)
{
  u16_t v = fuzz_reader_u16(fl.r);
  IUINT32 conv = (IUINT32)v << 16 | (fl.incarnation++ & 0xffff);
  u32_t failing;

  if (peer->kcp != NULL) {
    ikcp_release(peer->kcp);
  }
  if (peer->slot != NULL) {
    peer->slot->peer = NULL;
    peer->slot = NULL;
  }
  failing = vnetif_fail(0);
  peer->kcp = ikcp_create(conv, peer);
  vnetif_fail(failing);
  if (peer->kcp == NULL) {
    fl_fail("harness out of memory");
  }
  ikcp_setoutput(peer->kcp, fl_peer_output);
  failing = vnetif_fail(0);
  ikcp_wndsize(peer->kcp, 128, 128);
  vnetif_fail(failing);
  if (v & 1) {
    ikcp_nodelay(peer->kcp, 1, 10, 2, 1);
  }
  ikcp_update(peer->kcp, fl.now);
  /* a session forged earlier may already hold this key */
  peer->checked = !fl_has_session(&peer->ip, peer->port, conv);
  fl_stream_reset(&peer->up, conv);
  fl_stream_reset(&peer->down, ~conv);
}

static void
fl_op_peer_send(struct fl_peer *peer)
{
  u32_t len = fuzz_reader_u16(fl.r) % 8192;
  u8_t *buf;

  if (peer->kcp == NULL) {
    return;
  }
  buf = malloc(len + 1);
  if (buf == NULL) {
    fl_fail("harness out of memory");
  }
  fl_stream_fill(&peer->up, buf, len);
  if (fl_stream_room(&peer->up) && ikcp_send(peer->kcp, (const char *)buf, (int)len) >= 0) {
    fl_stream_sent(&peer->up, len);
  }
  free(buf);
  ikcp_flush(peer->kcp);
}

static void
fl_op_wire(struct fl_wire *w, int to_server)
{
  u8_t v = fuzz_reader_u8(fl.r);
  unsigned n = (unsigned)(v >> 2) + 1;
  struct fl_dgram d;

  while (n-- > 0 && w->count > 0) {
    switch (v & 3) {
    case 0: /* in order */
    case 1: /* overtaken */
      d = fl_wire_take(w, (v & 1) ? n % w->count : 0);
      break;
    case 2: /* lost */
      free(fl_wire_take(w, 0).data);
      continue;
    default: /* duplicated */
      d = w->d[w->head];
      if (to_server) {
        fl_deliver_to_server(&d);
      } else {
        fl_to_peer(&d);
      }
      continue;
    }
    if (to_server) {
      fl_deliver_to_server(&d);
    } else {
      fl_to_peer(&d);
    }
    free(d.data);
  }
}

static void
fl_tick(u32_t ms)
{
  int i;

  fl.now += ms;
  vnetif_advance(ms);
  for (i = 0; i < FL_PEERS; i++) {
    if (fl.peer[i].kcp != NULL) {
      ikcp_update(fl.peer[i].kcp, fl.now);
    }
  }
}

static void
fl_op_time(void)
{
  u16_t v = fuzz_reader_u16(fl.r);

  /* sys_now() only moves forward: a jump of 2^31 or more would read as a
     step back, which neither lwIP's timeouts nor the binding expect */
  fl_tick(v == 0xffff ? fuzz_reader_u32(fl.r) & 0x7fffffff : v % 2048);
}

/** A source for injected datagrams: a peer's key, or anyone, IPv4 or IPv6. */
static void
fl_pick_source(ip_addr_t *ip, u16_t *port)
{
  u8_t v = fuzz_reader_u8(fl.r);
  u8_t host = fuzz_reader_u8(fl.r);

  if (v < 0x80) {
    *ip = fl.peer[v % FL_PEERS].ip;
    *port = fl.peer[v % FL_PEERS].port;
    return;
  }
  if (v & 0x40) {
    /* a global address, or a link-local one lwIP tags with the netif's zone;
       never the netif's own (a reply would loop back through the tcpip
       thread this harness does not run) */
    IP_ADDR6(ip, PP_HTONL(v & 0x20 ? 0xfe800000UL : 0x20010db8UL), 0, 0, PP_HTONL(0x100UL | host));
  } else {
    IP_ADDR4(ip, 172, 16, v & 0x3f, host);
  }
  *port = fuzz_reader_u16(fl.r);
}

static void
fl_op_raw(void)
{
  u8_t buf[KCP_DGRAM_MAX + 64];
  ip_addr_t ip;
  u16_t port;
  u16_t len;

  fl_pick_source(&ip, &port);
  len = (u16_t)fuzz_reader_bytes(fl.r, buf, fuzz_reader_u16(fl.r) % sizeof(buf));
  fl_inject_forged(&ip, port, buf, len);
}

/** Segments built from fields, sn and una near the session's own state. */
static void
fl_op_forge(void)
{
  u8_t buf[KCP_DGRAM_MAX];
  ip_addr_t ip;
  u16_t port;
  size_t len = 0;
  unsigned nseg, i;
  struct fl_peer *owner;
  const ikcpcb *near = NULL;

  fl_pick_source(&ip, &port);
  nseg = fuzz_reader_u8(fl.r) % 4 + 1;
  owner = fl_peer_by_addr(&ip, port);
  if (owner != NULL && owner->slot != NULL) {
    near = kcp_session_ikcp(owner->slot->s);
  }
  for (i = 0; i < nseg && len + IKCP_OVERHEAD <= sizeof(buf); i++) {
    u8_t sel = fuzz_reader_u8(fl.r);
    u8_t cmd = fuzz_reader_u8(fl.r);
    int16_t dsn = (int16_t)fuzz_reader_u16(fl.r);
    u16_t wnd = fuzz_reader_u16(fl.r);
    u16_t dlen = fuzz_reader_u16(fl.r) % 1400;
    u8_t *seg = buf + len;
    IUINT32 conv = owner != NULL && owner->kcp != NULL ? owner->kcp->conv : 0;
    IUINT32 sn = (IUINT32)(int32_t)dsn, una = 0;

    if (near != NULL) {
      sn += cmd & 0x80 ? near->snd_una : near->rcv_nxt;
      una = near->snd_una + (IUINT32)(int32_t)(int8_t)fuzz_reader_u8(fl.r);
    }
    if (dlen > sizeof(buf) - len - IKCP_OVERHEAD) {
      dlen = (u16_t)(sizeof(buf) - len - IKCP_OVERHEAD);
    }
    fl_put32(seg, sel & 1 ? fuzz_reader_u32(fl.r) : conv);
    seg[IKCP_CMD_OFFSET] = sel & 2 ? cmd : (u8_t)(IKCP_CMD_PUSH + (cmd & 3));
    seg[IKCP_FRG_OFFSET] = fuzz_reader_u8(fl.r);
    seg[IKCP_WND_OFFSET] = (u8_t)wnd;
    seg[IKCP_WND_OFFSET + 1] = (u8_t)(wnd >> 8);
    fl_put32(seg + IKCP_TS_OFFSET, fl.now);
    fl_put32(seg + IKCP_SN_OFFSET, sel & 4 ? 0 : sn);
    fl_put32(seg + IKCP_UNA_OFFSET, una);
    fl_put32(seg + IKCP_LEN_OFFSET, sel & 8 ? fuzz_reader_u32(fl.r) : dlen);
    dlen = (u16_t)fuzz_reader_bytes(fl.r, seg + IKCP_OVERHEAD, dlen);
    if (!(sel & 8)) {
      fl_put32(seg + IKCP_LEN_OFFSET, dlen);
    }
    len += IKCP_OVERHEAD + dlen;
  }
  fl_inject_forged(&ip, port, buf, (u16_t)len);
}

static void
fl_op_session(void)
{
  u8_t v = fuzz_reader_u8(fl.r);
  struct fl_slot *slot = &fl.slot[v % FL_SLOTS];
  struct kcp_session_stats st;

  if (slot->s == NULL) {
    return;
  }
  switch ((v >> 4) % 4) {
  case 0:
    fl_server_write(slot, fuzz_reader_u16(fl.r) % 20000);
    break;
  case 1:
    kcp_close(slot->s);
    fl_slot_release(slot);
    break;
  case 2:
    fl_tune(slot->s);
    break;
  default:
    slot->mode = fuzz_reader_u8(fl.r);
    kcp_session_stats_get(slot->s, &st);
    if (st.malformed > st.dgram_in) {
      fl_fail("session counts more malformed datagrams than it received");
    }
    break;
  }
}

static void
fl_op_connect(struct fl_peer *peer)
{
  struct fl_slot *slot = fl_slot_free();
  struct kcp_session *s;
  err_t err;

  if (peer->kcp == NULL || slot == NULL) {
    return;
  }
  err = kcp_connect(fl.pcb, &peer->ip, peer->port, peer->kcp->conv, &s);
  if (err == ERR_OK) {
    if (peer->slot != NULL) {
      fl_fail("kcp_connect opened a second session for one key");
    }
    fl_slot_attach(slot, s, peer, &peer->ip, peer->port);
  } else if (err != ERR_USE && err != ERR_MEM) {
    fl_fail("kcp_connect failed with an undocumented error");
  }
}

static void
fl_op_limits(void)
{
  u8_t v = fuzz_reader_u8(fl.r);

  switch (v % 4) {
  case 0:
    fl.max_sessions = fuzz_reader_u8(fl.r);
    kcp_set_max_sessions(fl.pcb, fl.max_sessions);
    break;
  case 3:
    vnetif_fail(fuzz_reader_u32(fl.r));
    break;
  case 1:
    kcp_set_idle(fl.pcb, fuzz_reader_u32(fl.r));
    break;
  default: {
    u32_t cap = fuzz_reader_u16(fl.r); /* read once: LWIP_MAX evaluates twice */

    cap = LWIP_MAX(1, cap);
    /* applies to sessions opened afterwards; sent() is checked against the largest */
    fl.sndq_max = LWIP_MAX(fl.sndq_max, cap);
    kcp_set_sndq_max(fl.pcb, fl.sndq_max);
    break;
  }
  }
}

/** Dozens of strangers each open a session with a PUSH of sn 0. */
static void
fl_op_crowd(void)
{
  unsigned n = fuzz_reader_u8(fl.r) % 128 + 1;
  u8_t net = fuzz_reader_u8(fl.r);
  unsigned i;

  for (i = 0; i < n; i++) {
    u8_t seg[IKCP_OVERHEAD] = { 0 };
    ip_addr_t ip;

    IP_ADDR4(&ip, 172, 17, net, (u8_t)i);
    fl_put32(seg, i);
    seg[IKCP_CMD_OFFSET] = IKCP_CMD_PUSH;
    seg[IKCP_WND_OFFSET] = 128;
    fl_inject(&ip, (u16_t)(5000 + i), seg, sizeof(seg), NULL);
  }
}

/** Many ticks of a lossy link with every peer reading: reaches depth fast. */
static void
fl_op_run(void)
{
  unsigned ticks = fuzz_reader_u8(fl.r) % 64 + 1;
  unsigned step = fuzz_reader_u8(fl.r) + 1;
  u32_t loss = fuzz_reader_u32(fl.r);
  unsigned t, bit = 0;
  int i;

  for (t = 0; t < ticks; t++) {
    fl_tick(step);
    while (fl.to_server.count > 0 || fl.to_peer.count > 0) {
      struct fl_wire *w = fl.to_server.count > 0 ? &fl.to_server : &fl.to_peer;
      struct fl_dgram d = fl_wire_take(w, 0);

      if (!(loss >> (bit++ % 32) & 1)) {
        if (w == &fl.to_server) {
          fl_deliver_to_server(&d);
        } else {
          fl_to_peer(&d);
        }
      }
      free(d.data);
    }
    for (i = 0; i < FL_PEERS; i++) {
      fl_peer_drain(&fl.peer[i]);
    }
  }
}

/* ---- checks ---- */

static void
fl_check(void)
{
  struct kcp_stats st;
  u32_t live = 0;
  int i;

  kcp_stats_get(fl.pcb, &st);
  for (i = 0; i < FL_SLOTS; i++) {
    live += fl.slot[i].s != NULL;
  }
  if (st.sessions != live || st.sessions != st.opened - st.closed) {
    fl_fail("session counters disagree with the sessions alive");
  }
  if (st.closed_idle + st.closed_dead + st.closed_stall + st.evicted > st.closed) {
    fl_fail("closed_idle + closed_dead + closed_stall + evicted above closed");
  }
  if (st.dgram_in != fl.dgram_in || st.dgram_out != fl.dgram_out) {
    fl_fail("datagram counters differ from the wire");
  }
  if (st.malformed + st.dropped > st.dgram_in) {
    fl_fail("more datagrams malformed or dropped than received");
  }
}

/** What one engine may hold: its block, rings for its windows, its segments. */
static size_t
fl_engine_cost(const ikcpcb *k, u32_t wnd_asked)
{
  size_t segs = (size_t)k->nsnd_que + k->nsnd_buf + k->nrcv_que + k->nrcv_buf;
  size_t wnd = (size_t)k->snd_wnd + k->rcv_wnd + 2 * (size_t)wnd_asked;

  return 8192 + 4 * (size_t)KCP_DGRAM_MAX + 128 * wnd + segs * (KCP_DGRAM_MAX + 256);
}

/** lwIP's heap since the listener was created, against what its state explains. */
static void
fl_check_memory(size_t base)
{
  /* the pcb, its tables, its message scratch (up to a 127-fragment message) */
  size_t bound = 64 * 1024 + 127 * KCP_DGRAM_MAX;
  int i;

  for (i = 0; i < FL_SLOTS; i++) {
    if (fl.slot[i].s != NULL) {
      bound += 1024 + fl_engine_cost(kcp_session_ikcp(fl.slot[i].s), fl.slot[i].wnd_asked);
    }
  }
  for (i = 0; i < FL_PEERS; i++) {
    if (fl.peer[i].kcp != NULL) {
      bound += fl_engine_cost(fl.peer[i].kcp, 0);
    }
  }
  if (vnetif_heap() > base + bound) {
    fl_fail("heap above the bound of the sessions' queues and windows");
  }
}

/* ---- the program ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  LWIP_UNUSED_ARG(argc);
  LWIP_UNUSED_ARG(argv);
  vnetif_init(fl_capture, NULL);
  return 0;
}

static void
fl_setup(struct fuzz_reader *r)
{
  int i;

  memset(&fl, 0, sizeof(fl));
  fl.r = r;
  srand(1);
  vnetif_fail(0);
  fl.now = fuzz_reader_u32(r);
  vnetif_set_time(fl.now);
  for (i = 0; i < FL_PEERS; i++) {
    if (i < FL_PEERS / 2) {
      IP_ADDR4(&fl.peer[i].ip, 10, 0, 0, 10 + i);
    } else {
      IP_ADDR6(&fl.peer[i].ip, PP_HTONL(0xfd000000UL), 0, 0, PP_HTONL(0x10UL + i));
    }
    fl.peer[i].port = (u16_t)(4000 + i);
  }
  fl.pcb = kcp_new();
  if (fl.pcb == NULL || kcp_bind(fl.pcb, IP_ANY_TYPE, FL_PORT) != ERR_OK) {
    fl_fail("cannot set up the listener");
  }
  kcp_arg(fl.pcb, &fl);
  kcp_accept(fl.pcb, fl_accept);
  fl.max_sessions = KCP_DEFAULT_MAX_SESSIONS;
  fl.sndq_max = KCP_DEFAULT_SNDQ_MAX;
}

static void
fl_teardown(void)
{
  int i;

  fl.removing = 1;
  vnetif_fail(0);
  kcp_remove(fl.pcb);
  for (i = 0; i < FL_SLOTS; i++) {
    if (fl.slot[i].s != NULL) {
      fl_fail("kcp_remove left a session without its err callback");
    }
  }
  for (i = 0; i < FL_PEERS; i++) {
    if (fl.peer[i].kcp != NULL) {
      ikcp_release(fl.peer[i].kcp);
    }
  }
  fl_wire_clear(&fl.to_server);
  fl_wire_clear(&fl.to_peer);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fuzz_reader r;
  size_t heap_before = vnetif_heap();

  fuzz_reader_init(&r, data, size);
  fl_setup(&r);
  while (!fuzz_reader_done(&r)) {
    u8_t op = fuzz_reader_u8(&r);
    struct fl_peer *peer = &fl.peer[op & 3];

    switch ((op >> 2) % 13) {
    case 0: fl_op_peer_start(peer); break;
    case 1: fl_op_peer_send(peer); break;
    case 2: fl_op_wire(&fl.to_server, 1); break;
    case 3: fl_op_wire(&fl.to_peer, 0); break;
    case 4: fl_op_time(); break;
    case 5: fl_op_raw(); break;
    case 6: fl_op_forge(); break;
    case 7: fl_op_session(); break;
    case 8: fl_op_connect(peer); break;
    case 9: fl_op_limits(); break;
    case 10: fl_peer_drain(peer); break;
    case 11: fl_op_crowd(); break;
    default: fl_op_run(); break;
    }
    fl_check();
    fl_check_memory(heap_before);
  }
  fl_teardown();
  if (vnetif_heap() != heap_before) {
    fl_fail("heap not back to its size before the listener was created");
  }
  return 0;
}
