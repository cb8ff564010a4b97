/**
 * @file
 * Check tests of the lwIP binding (kcp_lwip) on virtual time. lwIP runs in
 * the test's own thread on tests/vnetif's clock and netif (10.0.0.1): a
 * client kcp_pcb and a server kcp_pcb (UDP 8000) talk through real
 * udp_pcbs, pbufs and sys_timeouts. Each addresses its peer as 10.0.0.2
 * (or fd00::2), which is not local, so lwIP hands every datagram to the
 * wire below; the wire logs its segments and delivers it T_DELAY ms later
 * as coming from that address and the sender's port.
 *
 * Time moves only when a test moves it, so the binding's deadlines (idle
 * timeout, the flush at the end of a burst, timer re-arming) are asserted
 * to the millisecond, and a check that something does not happen runs for
 * as much virtual time as it needs, whatever the load of the machine.
 */
#include <check.h>
#include <string.h>
#include <stdlib.h>

#include "kcp_lwip.h"
#include "vnetif.h"
#include "kcp_codec.h"
#include "kcp_fec.h"
#include "lwip/sys.h"
#include "checkmain.h"

#define T_PORT 8000
#define T_MAXMSG 100000
/** One-way delay of the wire, ms. */
#define T_DELAY 5
/** Datagrams in flight on the wire at most. */
#define T_WIRE_MAX 4096
/** Segments the wire logs at most (later ones are counted, not logged). */
#define T_LOG_MAX 65536
/** Start of the virtual clock: sys_now() wraps 4 s into every test. */
#define T_START 0xfffff000UL

/** A datagram on the wire. */
struct t_dgram {
  u32_t at;                   /* sys_now() when it arrives */
  ip_addr_t from;             /* the peer address it was sent to */
  u16_t sport, dport;
  u16_t len;
  u8_t data[KCP_DGRAM_MAX];
};

/** One segment seen on the wire. */
struct t_seg {
  u32_t t;                    /* sys_now() when it was sent */
  u32_t dgram;                /* which datagram carried it: 0, 1, ... */
  u16_t sport;                /* T_PORT: from the server */
  u8_t cmd;
  u32_t sn;
};

static struct {
  struct t_dgram q[T_WIRE_MAX];
  u32_t head, len;
  struct t_seg log[T_LOG_MAX];
  u32_t nlog;
  u32_t ndgram;               /* datagrams put on the wire */
  u32_t lose;                 /* 1 + the number of a datagram the wire loses
                                 (logged, never delivered), 0: none */
  u16_t skip;                 /* bytes in front of the KCP segments: a codec's
                                 header (crypt none, no FEC), else 0 */
} t_wire;

static ip_addr_t t_peer4, t_peer6;

/* Server side: an echo service like kcpecho. */
static struct kcp_pcb *t_srv;

/* Client side: the messages it got back and how its sessions ended. */
struct t_client {
  struct kcp_session *s;
  u32_t msgs;
  u32_t bytes;
  u32_t bad;
  err_t closed;
  int ended;
  u32_t ended_at;
};
static struct t_client t_cli[4];
static struct kcp_pcb *t_cpcb;

/* lwIP sent a datagram (to an address not its own): log its segments and
   queue it for delivery back, from that address. */
static void
t_wire_out(void *arg, const ip_addr_t *dst, u16_t dport, u16_t sport, const u8_t *data, u16_t len)
{
  struct t_dgram *d;
  u16_t off = t_wire.skip;

  LWIP_UNUSED_ARG(arg);
  while (off < len) {
    IKCPHDR h;
    if (ikcp_peek_header(data + off, len - off, &h) != 0) {
      break;
    }
    if (t_wire.nlog < T_LOG_MAX) {
      struct t_seg *g = &t_wire.log[t_wire.nlog++];
      g->t = sys_now();
      g->dgram = t_wire.ndgram;
      g->sport = sport;
      g->cmd = h.cmd;
      g->sn = h.sn;
    }
    off = (u16_t)(off + IKCP_OVERHEAD + h.len);
  }
  if (++t_wire.ndgram == t_wire.lose) {
    return;
  }
  ck_assert_uint_lt(t_wire.len, T_WIRE_MAX);
  ck_assert_uint_le(len, KCP_DGRAM_MAX);
  d = &t_wire.q[(t_wire.head + t_wire.len++) % T_WIRE_MAX];
  d->at = sys_now() + T_DELAY;
  ip_addr_copy(d->from, *dst);
  d->sport = sport;
  d->dport = dport;
  d->len = len;
  memcpy(d->data, data, len);
}

/* Delivers what is due now, in the order it was sent (one delay for all),
   as one burst: then runs the timeouts due, without moving the clock, as
   lwIP's tcpip thread does before it takes its next message. The binding
   flushes a burst's ACKs and replies from such a timeout, so they leave
   in the millisecond the burst arrived, as they do in ./minimal. */
static void
t_wire_deliver(void)
{
  int burst = 0;

  while (t_wire.len > 0 && (s32_t)(sys_now() - t_wire.q[t_wire.head].at) >= 0) {
    struct t_dgram *d = &t_wire.q[t_wire.head];
    t_wire.head = (t_wire.head + 1) % T_WIRE_MAX;
    t_wire.len--;
    vnetif_inject(&d->from, d->sport, d->dport, d->data, d->len);
    burst = 1;
  }
  if (burst) {
    vnetif_advance(0);
  }
}

/* One millisecond: lwIP's timeouts due then, then the wire's deliveries. */
static void
t_tick(void)
{
  vnetif_advance(1);
  t_wire_deliver();
}

/* Runs until cond() holds, at most ms virtual milliseconds. */
static int
t_until(int (*cond)(void), u32_t ms)
{
  u32_t t;

  for (t = 0; !cond(); t++) {
    if (t == ms) {
      return 0;
    }
    t_tick();
  }
  return 1;
}

static void
t_run(u32_t ms)
{
  while (ms-- > 0) {
    t_tick();
  }
}

/* Milliseconds since T_START. */
static u32_t
t_ms(void)
{
  return sys_now() - T_START;
}

static void
t_setup(void)
{
  memset(&t_wire, 0, sizeof(t_wire));
  memset(t_cli, 0, sizeof(t_cli));
  vnetif_init(t_wire_out, NULL);
  vnetif_set_time(T_START);
  ck_assert(ipaddr_aton("10.0.0.2", &t_peer4));
  ck_assert(ipaddr_aton("fd00::2", &t_peer6));
  t_srv = NULL;
  t_cpcb = NULL;
}

/* Byte j of message i: a pattern that catches reordering and truncation. */
static u8_t
t_byte(u32_t i, u32_t j)
{
  return (u8_t)(i * 31 + j * 7 + (j >> 8));
}

static err_t
t_echo_recv(void *arg, struct kcp_session *s, const void *data, u32_t len)
{
  LWIP_UNUSED_ARG(arg);
  return kcp_write(s, data, len);
}

/* The server's receive callback for the sessions it accepts: t_echo_recv
   unless a test sets another after t_server_start(). */
static kcp_recv_fn t_srv_recv;

static err_t
t_srv_accept(void *arg, struct kcp_session *s, err_t err)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_UNUSED_ARG(err);
  ikcp_profile(kcp_session_ikcp(s), "fast3");
  kcp_recv(s, t_srv_recv);
  return ERR_OK;
}

/* An echo that hangs up inside its receive callback after 3 messages. */
static u32_t t_closer_msgs;

static err_t
t_closer_recv(void *arg, struct kcp_session *s, const void *data, u32_t len)
{
  LWIP_UNUSED_ARG(arg);
  if (++t_closer_msgs == 3) {
    kcp_close(s);
    return ERR_ABRT;
  }
  return kcp_write(s, data, len);
}

static void
t_server_start(u32_t max, u32_t idle_ms, u32_t sndq)
{
  t_srv = kcp_new();
  ck_assert_ptr_nonnull(t_srv);
  ck_assert_int_eq(kcp_bind(t_srv, IP_ANY_TYPE, T_PORT), ERR_OK);
  kcp_set_max_sessions(t_srv, max);
  kcp_set_idle(t_srv, idle_ms);
  if (sndq > 0) {
    kcp_set_sndq_max(t_srv, sndq);
  }
  t_srv_recv = t_echo_recv;
  kcp_accept(t_srv, t_srv_accept);
}

static err_t
t_cli_recv(void *arg, struct kcp_session *s, const void *data, u32_t len)
{
  struct t_client *c = (struct t_client *)arg;
  const u8_t *d = (const u8_t *)data;
  u32_t j;

  LWIP_UNUSED_ARG(s);
  for (j = 0; j < len; j++) {
    if (d[j] != t_byte(c->msgs, j)) {
      c->bad++;
      break;
    }
  }
  c->msgs++;
  c->bytes += len;
  return ERR_OK;
}

static void
t_cli_err(void *arg, err_t err)
{
  struct t_client *c = (struct t_client *)arg;
  c->closed = err;
  c->ended = 1;
  c->ended_at = t_ms();
  c->s = NULL;
}

/* Opens client session k with conv to @p peer (and the client pcb on first
   use, with idle_ms). */
static void
t_client_open_to(int k, const ip_addr_t *peer, u32_t conv, u16_t port, u32_t idle_ms)
{
  ikcpcb *kcp;

  if (t_cpcb == NULL) {
    t_cpcb = kcp_new();
    ck_assert_ptr_nonnull(t_cpcb);
    kcp_set_idle(t_cpcb, idle_ms);
  }
  ck_assert_int_eq(kcp_connect(t_cpcb, peer, port, conv, &t_cli[k].s), ERR_OK);
  kcp_session_arg(t_cli[k].s, &t_cli[k]);
  kcp_recv(t_cli[k].s, t_cli_recv);
  kcp_err(t_cli[k].s, t_cli_err);
  kcp = kcp_session_ikcp(t_cli[k].s);
  ikcp_profile(kcp, "fast3");
  ikcp_wndsize(kcp, 256, 256);
}

static void
t_client_open(int k, u32_t conv, u16_t port, u32_t idle_ms)
{
  t_client_open_to(k, &t_peer4, conv, port, idle_ms);
}

/* Writes message i (len bytes) on client session k. */
static err_t
t_client_write(int k, u32_t i, u32_t len)
{
  static u8_t buf[T_MAXMSG];
  u32_t j;

  for (j = 0; j < len; j++) {
    buf[j] = t_byte(i, j);
  }
  return kcp_write(t_cli[k].s, buf, len);
}

static u32_t t_sent_calls;

static void
t_cli_sent(void *arg, struct kcp_session *s, u32_t space)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_UNUSED_ARG(s);
  if (space > 0) {
    t_sent_calls++;
  }
}

static struct kcp_stats
t_srv_stats(void)
{
  struct kcp_stats st;
  kcp_stats_get(t_srv, &st);
  return st;
}

/* The last segment the client sent the server (none: a failed check). */
static const struct t_seg *
t_last_to_server(void)
{
  u32_t i = t_wire.nlog;

  while (i-- > 0) {
    if (t_wire.log[i].sport != T_PORT) {
      return &t_wire.log[i];
    }
  }
  ck_abort_msg("nothing was sent to the server");
  return NULL;
}

static u32_t t_want;
static int t_cli0_has_all(void) { return t_cli[0].msgs >= t_want; }
static int t_cli01_have_all(void) { return t_cli[0].msgs >= t_want && t_cli[1].msgs >= t_want; }
static int t_cli0_ended(void) { return t_cli[0].ended; }
static int t_srv_empty(void) { return t_srv_stats().sessions == 0; }
static int t_wire_idle(void) { return t_wire.len == 0; }
static int t_cli1_has_two(void) { return t_cli[1].msgs >= 2; }
static int t_cli1_has_three(void) { return t_cli[1].msgs >= 3; }
static int t_cli2_has_one(void) { return t_cli[2].msgs >= 1; }

/* Clients 0 and 1 (convs conv, conv + 1) each get one echo, then client
   1 a second: client 0 is the session with the least recent progress. */
static void
t_two_then_one_goes_on(u32_t conv)
{
  t_client_open(0, conv, T_PORT, 60000);
  t_client_open(1, conv + 1, T_PORT, 60000);
  ck_assert_int_eq(t_client_write(0, 0, 100), ERR_OK);
  ck_assert_int_eq(t_client_write(1, 0, 100), ERR_OK);
  t_want = 1;
  ck_assert(t_until(t_cli01_have_all, 5000));
  t_run(50);
  ck_assert_int_eq(t_client_write(1, 1, 200), ERR_OK);
  ck_assert(t_until(t_cli1_has_two, 5000));
}

/* Client 0 sends messages of these sizes; all come back intact. */
static void
t_echo_sizes(const u32_t *sizes, u32_t n)
{
  u32_t i, total = 0;

  for (i = 0; i < n; i++) {
    ck_assert_int_eq(t_client_write(0, i, sizes[i]), ERR_OK);
    total += sizes[i];
  }
  t_want = n;
  ck_assert_msg(t_until(t_cli0_has_all, 10000), "echoed %u of %u", (unsigned)t_cli[0].msgs,
                (unsigned)t_want);
  ck_assert_uint_eq(t_cli[0].bad, 0);
  ck_assert_uint_eq(t_cli[0].bytes, total);
}

START_TEST(test_echo_messages)
{
  static const u32_t sizes[] = { 1, 0, 1376, 1377, 5000, 65535, 65536, T_MAXMSG, 10 };
  struct kcp_stats st;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 0x1234, T_PORT, 10000);
  t_echo_sizes(sizes, LWIP_ARRAYSIZE(sizes));
  st = t_srv_stats();
  ck_assert_uint_eq(st.sessions, 1);
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.malformed, 0);
  ck_assert_uint_ge(st.engine.data_segs_in, 9);
}
END_TEST

/* The same over IPv6, through the dual-stack pcbs. */
START_TEST(test_echo_ipv6)
{
  ip_addr_t ip;
  u16_t port;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open_to(0, &t_peer6, 0x66, T_PORT, 10000);
  ck_assert_int_eq(t_client_write(0, 0, 3000), ERR_OK);
  ck_assert_int_eq(t_client_write(0, 1, 1), ERR_OK);
  t_want = 2;
  ck_assert(t_until(t_cli0_has_all, 5000));
  ck_assert_uint_eq(t_cli[0].bad, 0);
  kcp_session_peer(t_cli[0].s, &ip, &port);
  ck_assert(ip_addr_cmp(&ip, &t_peer6));
  ck_assert_uint_eq(port, T_PORT);
}
END_TEST

/* A tiny send queue on the server: echoes are refused and retried, the
   client is slowed down by the window, and nothing is lost or reordered. */
START_TEST(test_backpressure)
{
  u32_t i;
  int refused = 0;

  t_setup();
  t_server_start(16, 10000, 4);
  t_client_open(0, 77, T_PORT, 10000);
  i = 0;
  while (i < 300) {
    err_t err = t_client_write(0, i, 3000);
    if (err == ERR_MEM) {
      refused++;
      ck_assert_int_lt(refused, 10000);
      t_tick();
    } else {
      ck_assert_int_eq(err, ERR_OK);
      i++;
    }
  }
  ck_assert_int_gt(refused, 0);
  t_want = 300;
  ck_assert_msg(t_until(t_cli0_has_all, 20000), "echoed %u of 300", (unsigned)t_cli[0].msgs);
  ck_assert_uint_eq(t_cli[0].bad, 0);
}
END_TEST

START_TEST(test_cap_and_idle)
{
  struct kcp_stats st;

  t_setup();
  t_server_start(2, 1500, 0);
  t_two_then_one_goes_on(500);
  /* Client 0 made no progress since: the third session evicts it. */
  t_client_open(2, 502, T_PORT, 60000);
  ck_assert_int_eq(t_client_write(2, 0, 100), ERR_OK);
  ck_assert_int_eq(t_client_write(1, 2, 300), ERR_OK);
  ck_assert(t_until(t_cli2_has_one, 5000));
  ck_assert(t_until(t_cli1_has_three, 5000));
  st = t_srv_stats();
  ck_assert_uint_eq(st.sessions, 2);
  ck_assert_uint_eq(st.evicted, 1);
  ck_assert_uint_eq(st.refused, 0);
  /* Then all go quiet: the server closes them after 1.5 s. */
  kcp_close(t_cli[0].s);
  ck_assert(t_until(t_srv_empty, 10000));
  st = t_srv_stats();
  ck_assert_uint_eq(st.closed_idle, 2);
  ck_assert_uint_eq(st.closed, 3);
  ck_assert_uint_eq(st.held, 0);
}
END_TEST

/* At its source's cap a new session evicts that source's session with the
   least recent progress, far below the pcb's own cap. */
START_TEST(test_source_max)
{
  struct kcp_stats st;

  t_setup();
  t_server_start(16, 10000, 0);
  kcp_set_source_max(t_srv, 2);
  t_two_then_one_goes_on(800);
  t_client_open(2, 802, T_PORT, 60000);
  ck_assert_int_eq(t_client_write(2, 0, 100), ERR_OK);
  ck_assert(t_until(t_cli2_has_one, 5000));
  st = t_srv_stats();
  ck_assert_uint_eq(st.sessions, 2);
  ck_assert_uint_eq(st.evicted, 1);
  ck_assert_int_eq(t_client_write(1, 2, 100), ERR_OK);
  ck_assert(t_until(t_cli1_has_three, 5000));
}
END_TEST

/* Two sessions sending at once share a budget: each peer is told a window
   of share segments, and both get every echo. */
static void
t_budget_share(u32_t budget, u32_t share)
{
  u32_t i;
  int k;

  t_setup();
  t_server_start(16, 10000, 0);
  kcp_set_budget(t_srv, budget);
  t_client_open(0, 600, T_PORT, 60000);
  t_client_open(1, 601, T_PORT, 60000);
  /* The second round starts with both sessions known to the server. */
  for (i = 0; i < 40; i++) {
    for (k = 0; k < 2; k++) {
      ck_assert_int_eq(t_client_write(k, i, 1000), ERR_OK);
    }
    if (i == 19) {
      t_want = 20;
      ck_assert(t_until(t_cli01_have_all, 10000));
    }
  }
  t_want = 40;
  ck_assert(t_until(t_cli01_have_all, 10000));
  ck_assert_uint_eq(t_cli[0].bad + t_cli[1].bad, 0);
  for (k = 0; k < 2; k++) {
    ck_assert_uint_le(kcp_session_ikcp(t_cli[k].s)->rmt_wnd, share);
    ck_assert_uint_ge(kcp_session_ikcp(t_cli[k].s)->rmt_wnd, 1);
  }
  ck_assert_uint_eq(t_srv_stats().share, share);
}

/* Stats of two pcbs summed as one: counts, gauges and the engine's
   counters add up, the share is the larger. */
START_TEST(test_stats_add)
{
  struct kcp_stats sum, a, b;

  memset(&sum, 0, sizeof(sum));
  memset(&a, 0, sizeof(a));
  memset(&b, 0, sizeof(b));
  a.sessions = 2;
  a.dgram_in = 10;
  a.held = 5;
  a.share = 64;
  a.engine.retrans_fast = 3;
  b.sessions = 1;
  b.dgram_in = 7;
  b.evicted = 1;
  b.share = 128;
  b.engine.retrans_fast = 4;
  b.engine.bytes_in = 1000;
  kcp_stats_add(&sum, &a);
  kcp_stats_add(&sum, &b);
  ck_assert_uint_eq(sum.sessions, 3);
  ck_assert_uint_eq(sum.dgram_in, 17);
  ck_assert_uint_eq(sum.held, 5);
  ck_assert_uint_eq(sum.evicted, 1);
  ck_assert_uint_eq(sum.share, 128);
  ck_assert_uint_eq(sum.engine.retrans_fast, 7);
  ck_assert_uint_eq(sum.engine.bytes_in, 1000);
}
END_TEST

/* A budget of 8: 4 each. */
START_TEST(test_budget_share)
{
  t_budget_share(8, 4);
}
END_TEST

/* A budget of 5: 2.5 each, rounded to 3 (cut to 2, a fifth of the budget
   would go unused; with many sessions, up to half of it). */
START_TEST(test_budget_share_rounded)
{
  t_budget_share(5, 3);
}
END_TEST

/* The server forgets the session (restart): the client's next message
   (sn 1) must not open a session; its segments go unacknowledged until the
   client's dead-link detection closes it (ERR_ABRT). */
START_TEST(test_restart_dead_link)
{
  struct kcp_stats st;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 99, T_PORT, 60000);
  kcp_session_ikcp(t_cli[0].s)->dead_link = 4;
  ck_assert_int_eq(t_client_write(0, 0, 10), ERR_OK);
  t_want = 1;
  ck_assert(t_until(t_cli0_has_all, 5000));
  kcp_remove(t_srv);
  t_server_start(16, 10000, 0);
  ck_assert_int_eq(t_client_write(0, 1, 10), ERR_OK);
  ck_assert(t_until(t_cli0_ended, 10000));
  ck_assert_int_eq(t_cli[0].closed, ERR_ABRT);
  st = t_srv_stats();
  ck_assert_uint_eq(st.opened, 0);
  ck_assert_uint_ge(st.dropped, 1);
}
END_TEST

/* kcp_close() from the session's own receive callback: the session is
   freed once the callback returns (ASan checks the deferral), and the
   messages after it are never echoed. */
START_TEST(test_close_in_callback)
{
  struct kcp_stats st;
  u32_t i;

  t_setup();
  t_server_start(16, 10000, 0);
  t_srv_recv = t_closer_recv;
  t_client_open(0, 5, T_PORT, 60000);
  /* One at a time, so sn 0 is acknowledged before the server forgets the
     session (else its retransmission would open a new one). */
  for (i = 0; i < 2; i++) {
    ck_assert_int_eq(t_client_write(0, i, 50), ERR_OK);
    t_want = i + 1;
    ck_assert(t_until(t_cli0_has_all, 5000));
  }
  for (i = 2; i < 5; i++) {
    ck_assert_int_eq(t_client_write(0, i, 50), ERR_OK);
  }
  ck_assert(t_until(t_srv_empty, 5000));
  t_run(2000);
  st = t_srv_stats();
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.closed, 1);
  ck_assert_uint_eq(st.closed_idle + st.closed_dead, 0);
  ck_assert_uint_eq(t_cli[0].msgs, 2);
}
END_TEST

/* Writing until the send queue is full gives ERR_MEM; the sent callback
   then reports space as the peer acknowledges. */
START_TEST(test_sndq_full_and_sent)
{
  u32_t i = 0;
  err_t err = ERR_OK;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 6, T_PORT, 60000);
  kcp_sent(t_cli[0].s, t_cli_sent);
  t_sent_calls = 0;
  while (i < 1000 && (err = t_client_write(0, i, 1376)) == ERR_OK) {
    i++;
  }
  ck_assert_int_eq(err, ERR_MEM);
  ck_assert_uint_eq(i, KCP_DEFAULT_SNDQ_MAX);
  t_want = i;
  ck_assert(t_until(t_cli0_has_all, 15000));
  ck_assert_uint_gt(t_sent_calls, 0);
  ck_assert_int_eq(t_client_write(0, i, 10), ERR_OK);
}
END_TEST

/* A session switched to bbr by name echoes like any other. */
START_TEST(test_setcc_by_name)
{
  u32_t i;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 0x4321, T_PORT, 10000);
  ck_assert_int_eq(kcp_setcc(t_cli[0].s, "reno"), ERR_VAL);
  ck_assert_ptr_null(kcp_session_ikcp(t_cli[0].s)->ccops);
  ck_assert_int_eq(kcp_setcc(t_cli[0].s, "bbr"), ERR_OK);
  ck_assert_ptr_eq(kcp_session_ikcp(t_cli[0].s)->ccops, &ikcp_cc_bbr);
  for (i = 0; i < 50; i++) {
    ck_assert_int_eq(t_client_write(0, i, 3000), ERR_OK);
  }
  t_want = 50;
  ck_assert_msg(t_until(t_cli0_has_all, 10000), "echoed %u of %u", (unsigned)t_cli[0].msgs,
                (unsigned)t_want);
  ck_assert_uint_eq(t_cli[0].bad, 0);
  ck_assert_int_eq(kcp_setcc(t_cli[0].s, "classic"), ERR_OK);
}
END_TEST

/* A connected session that never sends nor hears anything ends exactly at
   its idle deadline (the pcb's timer is armed by kcp_connect itself). */
START_TEST(test_connect_idle)
{
  t_setup();
  t_client_open(0, 8, T_PORT + 1, 300);
  t_run(299);
  ck_assert(!t_cli[0].ended);
  t_tick();
  ck_assert(t_cli[0].ended);
  ck_assert_uint_eq(t_cli[0].ended_at, 300);
  ck_assert_int_eq(t_cli[0].closed, ERR_TIMEOUT);
}
END_TEST

/* The nth time (1: the first) segment (sport, cmd, sn) went on the wire,
   or NULL. */
static const struct t_seg *
t_seg_nth(u16_t sport, u8_t cmd, u32_t sn, u32_t nth)
{
  u32_t i, seen = 0;

  for (i = 0; i < t_wire.nlog; i++) {
    const struct t_seg *g = &t_wire.log[i];
    if (g->sport == sport && g->cmd == cmd && g->sn == sn && ++seen == nth) {
      return g;
    }
  }
  return NULL;
}

/* Where segment (sport, cmd, sn) went on the wire the nth time, or
   0xffffffff. */
static u32_t
t_seg_time_nth(u16_t sport, u8_t cmd, u32_t sn, u32_t nth)
{
  const struct t_seg *g = t_seg_nth(sport, cmd, sn, nth);

  return g != NULL ? g->t - T_START : 0xffffffffUL;
}

/* Where segment (sport, cmd, sn) first went on the wire, or 0xffffffff. */
static u32_t
t_seg_time(u16_t sport, u8_t cmd, u32_t sn)
{
  return t_seg_time_nth(sport, cmd, sn, 1);
}

/* The datagram that first carried segment (sport, cmd, sn). */
static u32_t
t_seg_dgram(u16_t sport, u8_t cmd, u32_t sn)
{
  const struct t_seg *g = t_seg_nth(sport, cmd, sn, 1);

  ck_assert_msg(g != NULL, "segment cmd %u sn %u never sent", (unsigned)cmd, (unsigned)sn);
  return g->dgram;
}

/** Any time, for t_dgrams(). */
#define T_ANYTIME 0xffffffffUL

/* Datagrams from sport that carried segments of cmd (0: any) sent at time
   t (ms since T_START, or T_ANYTIME), as the wire numbers them. */
static u32_t
t_dgrams(u16_t sport, u8_t cmd, u32_t t)
{
  u32_t i, n = 0, prev = 0xffffffffUL;

  for (i = 0; i < t_wire.nlog; i++) {
    const struct t_seg *g = &t_wire.log[i];
    if (g->sport == sport && (cmd == 0 || g->cmd == cmd) &&
        (t == T_ANYTIME || g->t - T_START == t) && g->dgram != prev) {
      prev = g->dgram;
      n++;
    }
  }
  return n;
}

/* The server flushes once per drained burst, not per datagram: input only
   makes the session due, and the flush runs when the burst is done. The
   three fragments of a message reach the echo in one burst; the ACKs of
   all three and the whole echo leave in that same millisecond, in four
   datagrams: the three ACKs together, then one per fragment of the echo.
   A flush per datagram would have sent the ACKs of the first two
   fragments in datagrams of their own. */
START_TEST(test_burst_flush)
{
  u32_t sent, arrive, sn;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 0xac, T_PORT, 60000);
  /* 3 fragments of 1376 bytes, full 1400-byte datagrams. */
  ck_assert_int_eq(t_client_write(0, 0, 3 * 1376), ERR_OK);
  t_want = 1;
  ck_assert(t_until(t_cli0_has_all, 2000));
  ck_assert_uint_eq(t_cli[0].bad, 0);
  /* The client sent the three at once; they reach the echo together. */
  ck_assert_uint_eq(t_wire.log[0].cmd, IKCP_CMD_PUSH);
  sent = t_wire.log[0].t - T_START;
  ck_assert_uint_eq(t_seg_time(t_wire.log[0].sport, IKCP_CMD_PUSH, 2), sent);
  arrive = sent + T_DELAY;
  for (sn = 0; sn < 3; sn++) {
    ck_assert_uint_eq(t_seg_time(T_PORT, IKCP_CMD_ACK, sn), arrive);
    ck_assert_uint_eq(t_seg_time(T_PORT, IKCP_CMD_PUSH, sn), arrive);
    ck_assert_uint_eq(t_seg_dgram(T_PORT, IKCP_CMD_ACK, sn), t_seg_dgram(T_PORT, IKCP_CMD_ACK, 0));
  }
  ck_assert_uint_eq(t_dgrams(T_PORT, 0, arrive), 4);
}
END_TEST

/* No ACK waits for a timer tick: in a 73-fragment message and its echo,
   each segment's first ACK leaves in the millisecond the segment first
   arrived, at both ends. The client's window lets all 73 fragments go in
   one burst, and the server flushes once for it: its 73 ACKs fill whole
   datagrams, two of them (73 * 24 bytes in 1400-byte datagrams), where a
   flush per datagram would have sent dozens. */
START_TEST(test_burst_acks_at_once)
{
  u16_t cport;
  u32_t sn, mtu;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 0xad, T_PORT, 60000);
  ck_assert_int_eq(t_client_write(0, 0, T_MAXMSG), ERR_OK);
  t_want = 1;
  ck_assert(t_until(t_cli0_has_all, 5000));
  ck_assert_uint_eq(t_cli[0].bad, 0);
  cport = t_wire.log[0].sport;
  mtu = kcp_session_ikcp(t_cli[0].s)->mtu;
  for (sn = 0; sn < 73; sn++) {
    u32_t to_srv = t_seg_time(cport, IKCP_CMD_PUSH, sn);
    u32_t to_cli = t_seg_time(T_PORT, IKCP_CMD_PUSH, sn);
    u32_t ack_srv = t_seg_time(T_PORT, IKCP_CMD_ACK, sn);
    u32_t ack_cli = t_seg_time(cport, IKCP_CMD_ACK, sn);

    ck_assert_uint_eq(to_srv, t_seg_time(cport, IKCP_CMD_PUSH, 0));
    ck_assert_uint_ne(to_cli, 0xffffffffUL);
    ck_assert_msg(ack_srv == to_srv + T_DELAY, "server acked sn %u at %u, got it at %u",
                  (unsigned)sn, (unsigned)ack_srv, (unsigned)(to_srv + T_DELAY));
    ck_assert_msg(ack_cli == to_cli + T_DELAY, "client acked sn %u at %u, got it at %u",
                  (unsigned)sn, (unsigned)ack_cli, (unsigned)(to_cli + T_DELAY));
  }
  ck_assert_uint_eq(t_dgrams(T_PORT, IKCP_CMD_ACK, T_ANYTIME), (73 * IKCP_OVERHEAD + mtu - 1) / mtu);
}
END_TEST

/* Past a hole, the flush does not wait for the end of the burst: as TCP
   acknowledges an out-of-order segment at once, every datagram that
   arrives while a segment is missing is acked in a datagram of its own.
   A KCP sender counts a segment's later ACKs once per datagram it takes
   in, so this is what lets it retransmit the missing one fast. Here the
   second of ten fragments sent in one burst is lost: the server acks each
   of the eight after it at once, apart, and the client resends the lost
   one as soon as those ACKs reach it, one round trip after sending it,
   long before its retransmission timeout. */
START_TEST(test_hole_acks_at_once)
{
  u16_t cport;
  u32_t sent, arrive, sn;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 0xaf, T_PORT, 60000);
  t_wire.lose = 2;
  ck_assert_int_eq(t_client_write(0, 0, 10 * 1376), ERR_OK);
  t_want = 1;
  ck_assert(t_until(t_cli0_has_all, 2000));
  ck_assert_uint_eq(t_cli[0].bad, 0);
  cport = t_wire.log[0].sport;
  sent = t_seg_time(cport, IKCP_CMD_PUSH, 0);
  ck_assert_uint_eq(t_seg_time(cport, IKCP_CMD_PUSH, 9), sent);
  arrive = sent + T_DELAY;
  for (sn = 2; sn < 10; sn++) {
    ck_assert_uint_eq(t_seg_time(T_PORT, IKCP_CMD_ACK, sn), arrive);
    if (sn > 2) {
      ck_assert_uint_ne(t_seg_dgram(T_PORT, IKCP_CMD_ACK, sn), t_seg_dgram(T_PORT, IKCP_CMD_ACK, sn - 1));
    }
  }
  ck_assert_uint_eq(t_seg_time_nth(cport, IKCP_CMD_PUSH, 1, 2), arrive + T_DELAY);
}
END_TEST

/* A session told a small window (a share of 8 segments here) acks each
   segment past a hole in a datagram of its own (ikcp_setdupacks()): after
   a first echo, the client's next datagram (sn 1) is lost and sn 2..4
   arrive packed in one datagram. Three datagrams of ACKs give the client
   its two skips at once and it resends sn 1 one round trip after sending
   it. With the default budget the window is large, the ACKs share one
   datagram, and the resend waits longer. */
static void
t_packed_after_hole(u32_t budget, u32_t *resent_after)
{
  u16_t cport;
  u32_t i, sent;

  t_setup();
  t_server_start(16, 10000, 0);
  if (budget > 0) {
    kcp_set_budget(t_srv, budget);
  }
  t_client_open(0, 0xb0, T_PORT, 60000);
  ck_assert_int_eq(t_client_write(0, 0, 10), ERR_OK);
  t_want = 1;
  ck_assert(t_until(t_cli0_has_all, 5000));
  t_run(100);
  t_wire.lose = t_wire.ndgram + 1;
  ck_assert_int_eq(t_client_write(0, 1, 1376), ERR_OK);
  for (i = 2; i <= 4; i++) {
    ck_assert_int_eq(t_client_write(0, i, 10), ERR_OK);
  }
  t_want = 5;
  ck_assert(t_until(t_cli0_has_all, 5000));
  ck_assert_uint_eq(t_cli[0].bad, 0);
  cport = t_wire.log[0].sport;
  ck_assert_uint_eq(t_seg_dgram(cport, IKCP_CMD_PUSH, 1) + 1, t_wire.lose);
  ck_assert_uint_eq(t_seg_dgram(cport, IKCP_CMD_PUSH, 2), t_seg_dgram(cport, IKCP_CMD_PUSH, 4));
  for (i = 3; i <= 4; i++) {
    if (budget > 0) {
      ck_assert_uint_ne(t_seg_dgram(T_PORT, IKCP_CMD_ACK, i), t_seg_dgram(T_PORT, IKCP_CMD_ACK, i - 1));
    } else {
      ck_assert_uint_eq(t_seg_dgram(T_PORT, IKCP_CMD_ACK, i), t_seg_dgram(T_PORT, IKCP_CMD_ACK, i - 1));
    }
  }
  sent = t_seg_time(cport, IKCP_CMD_PUSH, 1);
  *resent_after = t_seg_time_nth(cport, IKCP_CMD_PUSH, 1, 2) - sent;
}

START_TEST(test_small_window_acks_apart)
{
  u32_t after;

  t_packed_after_hole(8, &after);
  ck_assert_uint_eq(after, 2 * T_DELAY);
}
END_TEST

START_TEST(test_large_window_acks_packed)
{
  u32_t after;

  t_packed_after_hole(0, &after);
  ck_assert_uint_gt(after, 2 * T_DELAY);
}
END_TEST

/* A sink: takes every message, answers nothing. */
static u32_t t_sink_msgs;

static err_t
t_sink_recv(void *arg, struct kcp_session *s, const void *data, u32_t len)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_UNUSED_ARG(s);
  LWIP_UNUSED_ARG(data);
  LWIP_UNUSED_ARG(len);
  t_sink_msgs++;
  return ERR_OK;
}

/* kcp_set_ack_nodelay(): three messages 2 ms apart reach a sink, which has
   nothing to send back. By default each is acked the moment it arrives;
   with ack_nodelay off the ACKs wait for the engine's next tick (fast3:
   every 10 ms), so they leave later, within one interval, and share. */
static void
t_sink_acks(int nodelay, u32_t ack_at[3], u32_t arrive[3])
{
  int i;

  t_setup();
  t_sink_msgs = 0;
  t_server_start(16, 10000, 0);
  t_srv_recv = t_sink_recv;
  kcp_set_ack_nodelay(t_srv, nodelay);
  t_client_open(0, 0xae, T_PORT, 60000);
  for (i = 0; i < 3; i++) {
    ck_assert_int_eq(t_client_write(0, (u32_t)i, 100), ERR_OK);
    t_run(2);
  }
  t_run(40);
  ck_assert_uint_eq(t_sink_msgs, 3);
  for (i = 0; i < 3; i++) {
    arrive[i] = t_seg_time(t_wire.log[0].sport, IKCP_CMD_PUSH, (u32_t)i) + T_DELAY;
    ack_at[i] = t_seg_time(T_PORT, IKCP_CMD_ACK, (u32_t)i);
    ck_assert_msg(ack_at[i] != 0xffffffffUL, "sn %d (arrived at %u) never acked, %u segments logged",
                  i, (unsigned)arrive[i], (unsigned)t_wire.nlog);
  }
}

START_TEST(test_ack_nodelay_default)
{
  u32_t ack_at[3], arrive[3];
  int i;

  t_sink_acks(1, ack_at, arrive);
  for (i = 0; i < 3; i++) {
    ck_assert_uint_eq(ack_at[i], arrive[i]);
  }
}
END_TEST

START_TEST(test_ack_nodelay_off)
{
  u32_t ack_at[3], arrive[3];
  int i, late = 0;

  t_sink_acks(0, ack_at, arrive);
  for (i = 0; i < 3; i++) {
    ck_assert_msg(ack_at[i] >= arrive[i] && ack_at[i] <= arrive[i] + 10,
                  "sn %d: arrived at %u, acked at %u", i, (unsigned)arrive[i], (unsigned)ack_at[i]);
    late += ack_at[i] != arrive[i];
  }
  ck_assert_int_ge(late, 2);
  ck_assert(ack_at[0] == ack_at[1] || ack_at[1] == ack_at[2]);
}
END_TEST

/* The pcb's one timer follows its earliest session: a write outside a
   callback re-arms it to now (the data leaves in the same millisecond, not
   at the idle deadline it was armed for); when it fires for one session
   it re-arms for the next (two idle deadlines met exactly); and
   kcp_remove() with the timer armed frees every byte, its record included. */
START_TEST(test_timer_rearm)
{
  size_t heap0;
  struct kcp_pcb *pcb;
  struct kcp_session *s;

  t_setup();
  heap0 = vnetif_heap();
  t_client_open(0, 40, T_PORT + 1, 1000);
  t_run(500);
  t_client_open(1, 41, T_PORT + 1, 1000);
  t_run(100);
  ck_assert_int_eq(t_client_write(1, 0, 10), ERR_OK);
  ck_assert_uint_eq(t_wire.nlog, 0);
  vnetif_advance(0);
  ck_assert_uint_eq(t_wire.nlog, 1);
  ck_assert_uint_eq(t_wire.log[0].t - T_START, 600);
  ck_assert_uint_eq(t_wire.log[0].cmd, IKCP_CMD_PUSH);
  ck_assert(t_until(t_cli0_ended, 1000));
  ck_assert_uint_eq(t_cli[0].ended_at, 1000);
  ck_assert_int_eq(t_cli[0].closed, ERR_TIMEOUT);
  ck_assert(!t_cli[1].ended);
  /* Session 1 last heard nothing: its deadline is 1000 after it opened. */
  t_run(499);
  ck_assert(!t_cli[1].ended);
  t_tick();
  ck_assert_uint_eq(t_cli[1].ended_at, 1500);
  ck_assert_int_eq(t_cli[1].closed, ERR_TIMEOUT);

  /* Armed timer, live sessions: kcp_remove() gives back everything. */
  pcb = kcp_new();
  ck_assert_ptr_nonnull(pcb);
  ck_assert_int_eq(kcp_connect(pcb, &t_peer4, T_PORT, 1, &s), ERR_OK);
  ck_assert_int_eq(kcp_write(s, "x", 1), ERR_OK);
  t_run(3);
  kcp_remove(pcb);
  kcp_remove(t_cpcb);
  t_cpcb = NULL;
  t_run(100);
  ck_assert_uint_eq(vnetif_heap(), heap0);
}
END_TEST

/* Gives the server pcb, and the client pcb made now, codecs. */
static void
t_codecs(struct kcp_codec **srv, struct kcp_codec **cli, const char *crypt,
         const char *cli_key, int ds, int ps)
{
  struct kcp_codec_config sc = { NULL, "secret", 0, 0 }, cc;

  sc.crypt = crypt;
  sc.datashard = ds;
  sc.parityshard = ps;
  cc = sc;
  cc.key = cli_key;
  *srv = kcp_codec_new(&sc);
  *cli = kcp_codec_new(&cc);
  ck_assert(*srv != NULL && *cli != NULL);
  ck_assert_int_eq(kcp_set_codec(t_srv, *srv), ERR_OK);
  t_cpcb = kcp_new();
  ck_assert_ptr_nonnull(t_cpcb);
  ck_assert_int_eq(kcp_set_codec(t_cpcb, *cli), ERR_OK);
}

/* Fills the KCP header at k: conv, cmd, frg, advertised window, sn, and
   the len bytes of data that follow it. */
static void
t_kcp_header(u8_t *k, u32_t conv, u8_t cmd, u8_t frg, u16_t wnd, u32_t sn, u32_t len)
{
  int i;

  for (i = 0; i < 4; i++) {
    k[IKCP_CONV_OFFSET + i] = (u8_t)(conv >> (8 * i));
    k[IKCP_SN_OFFSET + i] = (u8_t)(sn >> (8 * i));
    k[IKCP_LEN_OFFSET + i] = (u8_t)(len >> (8 * i));
  }
  k[IKCP_CMD_OFFSET] = cmd;
  k[IKCP_FRG_OFFSET] = frg;
  k[IKCP_WND_OFFSET] = (u8_t)wnd;
  k[IKCP_WND_OFFSET + 1] = (u8_t)(wnd >> 8);
}

/* Sends the server one KCP segment of conv with cmd and sn (a PUSH with
   one byte of data, else none) from the peer address and port, sealed by
   forger when it is not NULL. */
static void
t_forge_seg(struct kcp_codec *forger, u16_t port, u32_t conv, u8_t cmd, u32_t sn)
{
  u8_t d[KCP_CODEC_HEADER_LEN + IKCP_OVERHEAD + 1];
  u8_t *k = forger != NULL ? d + KCP_CODEC_HEADER_LEN : d;
  u32_t data = cmd == IKCP_CMD_PUSH ? 1 : 0;
  u16_t len = (u16_t)(k - d + IKCP_OVERHEAD + data);

  memset(d, 0, sizeof(d));
  t_kcp_header(k, conv, cmd, 0, 128, sn, data);
  if (forger != NULL) {
    kcp_codec_seal(forger, d, len);
  }
  vnetif_inject(&t_peer4, port, T_PORT, d, len);
}

/* The idle deadline to the millisecond: a session ends idle_ms after its
   last progress, not a millisecond sooner or later. Progress is snd_una or
   rcv_nxt moving (the budget's rule, so that keepalives cannot hold a
   session): here the client's ACK of the echo, the last segment it sends.
   A malformed segment for the session, and a valid window update (WINS)
   that moves nothing, both reach it and postpone nothing. With a codec,
   what the session's engine takes through the codec counts the same way. */
static void
t_idle_deadline(int codec)
{
  struct kcp_codec *sc = NULL, *cc = NULL, *forger = NULL;
  struct kcp_codec_config cfg = { "none", "secret", 0, 0 };
  const struct t_seg *g;
  struct kcp_stats st;
  u32_t last, sess_in;

  t_setup();
  t_server_start(16, 1500, 0);
  if (codec) {
    t_codecs(&sc, &cc, cfg.crypt, cfg.key, cfg.datashard, cfg.parityshard);
    forger = kcp_codec_new(&cfg);
    ck_assert_ptr_nonnull(forger);
    t_wire.skip = KCP_CODEC_HEADER_LEN; /* the wire can read what it carries */
  }
  t_client_open(0, 0x1d1e, T_PORT, 60000);
  ck_assert_int_eq(t_client_write(0, 0, 100), ERR_OK);
  t_want = 1;
  ck_assert(t_until(t_cli0_has_all, 1000));
  ck_assert(t_until(t_wire_idle, 1000));
  g = t_last_to_server();
  ck_assert_uint_eq(g->cmd, IKCP_CMD_ACK);
  ck_assert_uint_eq(g->sn, 0);
  last = g->t - T_START + T_DELAY;
  ck_assert_uint_lt(t_ms(), last + 1000);

  t_run(last + 1000 - t_ms());
  if (!codec) {
    /* An unknown cmd: counted malformed (a codec pcb counts it in the
       session only). */
    t_forge_seg(NULL, g->sport, 0x1d1e, 99, 0);
    ck_assert_uint_eq(t_srv_stats().malformed, 1);
  }
  t_run(200);
  sess_in = t_srv_stats().sess_in;
  t_forge_seg(forger, g->sport, 0x1d1e, IKCP_CMD_WINS, 0);
  st = t_srv_stats();
  ck_assert_uint_eq(st.sess_in, sess_in + 1);
  ck_assert_uint_eq(st.malformed, codec ? 0 : 1);
  t_run(last + 1499 - t_ms());
  ck_assert_uint_eq(t_srv_stats().sessions, 1);
  t_tick();
  ck_assert_uint_eq(t_ms(), last + 1500);
  st = t_srv_stats();
  ck_assert_uint_eq(st.sessions, 0);
  ck_assert_uint_eq(st.closed_idle, 1);
  if (codec) {
    kcp_remove(t_cpcb);
    kcp_remove(t_srv);
    t_cpcb = NULL;
    kcp_codec_free(sc);
    kcp_codec_free(cc);
    kcp_codec_free(forger);
  }
}

START_TEST(test_idle_deadline_exact)
{
  t_idle_deadline(0);
}
END_TEST

START_TEST(test_codec_idle_deadline_exact)
{
  t_idle_deadline(1);
}
END_TEST

/* The budget's limit on what sessions hold is checked at the end of
   every datagram, with a codec or without: a peer opens a session, leaves
   a hole (sn 1 never comes) and fills the window behind it up to the limit
   (KCP_HOLD_PER_BUDGET segments per segment of budget), never acking the
   echo. A second later, with no progress since, the one datagram that
   takes the pcb past its limit evicts the session before anything else
   runs: no timer, no next datagram. */
static void
t_hold_limit(int codec)
{
  struct kcp_codec_config cfg = { "none", "secret", 0, 0 };
  struct kcp_codec *sc = NULL, *forger = NULL;
  struct kcp_stats st;
  u32_t sn = 2;

  t_setup();
  t_server_start(16, 60000, 0);
  kcp_set_budget(t_srv, 1);
  if (codec) {
    sc = kcp_codec_new(&cfg);
    forger = kcp_codec_new(&cfg);
    ck_assert(sc != NULL && forger != NULL);
    ck_assert_int_eq(kcp_set_codec(t_srv, sc), ERR_OK);
  }
  t_forge_seg(forger, 9997, 0x501d, IKCP_CMD_PUSH, 0);
  while (t_srv_stats().held < KCP_HOLD_PER_BUDGET) {
    ck_assert_uint_lt(sn, 100);
    t_forge_seg(forger, 9997, 0x501d, IKCP_CMD_PUSH, sn++);
  }
  t_run(1000);
  st = t_srv_stats();
  ck_assert_uint_eq(st.sessions, 1);
  ck_assert_uint_eq(st.held, KCP_HOLD_PER_BUDGET);
  ck_assert_uint_eq(st.evicted, 0);
  t_forge_seg(forger, 9997, 0x501d, IKCP_CMD_PUSH, sn);
  st = t_srv_stats();
  ck_assert_uint_eq(st.evicted, 1);
  ck_assert_uint_eq(st.sessions, 0);
  ck_assert_uint_eq(st.held, 0);
  if (codec) {
    kcp_remove(t_srv);
    kcp_codec_free(sc);
    kcp_codec_free(forger);
  }
}

START_TEST(test_hold_limit_on_input)
{
  t_hold_limit(0);
}
END_TEST

START_TEST(test_codec_hold_limit_on_input)
{
  t_hold_limit(1);
}
END_TEST

/* Encrypted, FEC-protected echo through the codec hook of both pcbs. */
START_TEST(test_codec_echo)
{
  static const u32_t sizes[] = { 1, 1376, 5000, 65536, 10 };
  struct kcp_codec *sc, *cc;
  struct kcp_codec_stats cs;
  struct kcp_stats st;

  t_setup();
  t_server_start(16, 10000, 0);
  t_codecs(&sc, &cc, "aes", "secret", 10, 3);
  t_client_open(0, 0x4321, T_PORT, 10000);
  t_echo_sizes(sizes, LWIP_ARRAYSIZE(sizes));
  st = t_srv_stats();
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.malformed, 0);
  kcp_codec_stats_get(sc, &cs);
  ck_assert_uint_eq(cs.crc_err, 0);
  ck_assert_uint_gt(cs.opened, 50);
  ck_assert_uint_gt(cs.fec_parity_in, 10);
  ck_assert_uint_gt(cs.fec_parity_out, 10);
  ck_assert_int_eq(kcp_set_codec(t_srv, NULL), ERR_VAL);
  kcp_remove(t_cpcb);
  kcp_remove(t_srv);
  t_cpcb = NULL;
  kcp_codec_free(sc);
  kcp_codec_free(cc);
}
END_TEST

/* A client with the wrong key: every datagram dropped, no session opened. */
START_TEST(test_codec_wrong_key)
{
  struct kcp_codec *sc, *cc;
  struct kcp_codec_stats cs;
  struct kcp_stats st;

  t_setup();
  t_server_start(16, 10000, 0);
  t_codecs(&sc, &cc, "salsa20", "not the secret", 0, 0);
  t_client_open(0, 0x4322, T_PORT, 10000);
  ck_assert_int_eq(t_client_write(0, 0, 100), ERR_OK);
  t_run(300);
  st = t_srv_stats();
  kcp_codec_stats_get(sc, &cs);
  ck_assert_uint_ge(st.dgram_in, 1);
  ck_assert_uint_eq(st.malformed, st.dgram_in);
  ck_assert_uint_eq(cs.crc_err, st.dgram_in);
  ck_assert_uint_eq(st.opened, 0);
  ck_assert_uint_eq(st.sessions, 0);
  ck_assert_uint_eq(t_cli[0].msgs, 0);
}
END_TEST

/* Sends len raw bytes to the server from the peer address, port 9999. */
static void
t_raw_send(const u8_t *d, u16_t len)
{
  vnetif_inject(&t_peer4, 9999, T_PORT, d, len);
  t_run(1);
}

/* A hand-made segment of conv from the raw peer: cmd, frg, advertised
   window, sn, and len bytes of data. */
static void
t_raw_seg(u32_t conv, u8_t cmd, u8_t frg, u16_t wnd, u32_t sn, u32_t len)
{
  u8_t d[IKCP_OVERHEAD + 64];

  ck_assert_uint_le(len, 64);
  memset(d, 0, sizeof(d));
  t_kcp_header(d, conv, cmd, frg, wnd, sn, len);
  t_raw_send(d, (u16_t)(IKCP_OVERHEAD + len));
}

/* A PUSH sn 0 whose fragment count the engine rejects takes no session. */
START_TEST(test_bad_frg_no_slot)
{
  struct kcp_stats st;

  t_setup();
  t_server_start(16, 10000, 0);
  t_raw_seg(700, IKCP_CMD_PUSH, 255, 128, 0, 10);
  t_run(10);
  st = t_srv_stats();
  ck_assert_uint_eq(st.sessions, 0);
  ck_assert_uint_eq(st.opened, 0);
  ck_assert_uint_eq(st.malformed, 1);
}
END_TEST

/* A peer that advertises a zero window, so its echo can never leave, is
   closed at the stall limit (300 ms) although it sends a window update
   every 50 ms. */
START_TEST(test_stall_despite_wins)
{
  struct kcp_stats st;
  int i;

  t_setup();
  t_server_start(16, 10000, 0);
  kcp_set_stall(t_srv, 300);
  t_raw_seg(701, IKCP_CMD_PUSH, 0, 0, 0, 10);
  for (i = 0; i < 30 && t_srv_stats().sessions > 0; i++) {
    t_run(50);
    t_raw_seg(701, IKCP_CMD_WINS, 0, 0, 0, 0);
  }
  st = t_srv_stats();
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.sessions, 0);
  ck_assert_uint_eq(st.closed_stall, 1);
  ck_assert_uint_eq(st.held, 0);
  ck_assert_int_le(i, 8);
}
END_TEST

/* Seals an FEC shard of the given type carrying a KCP PUSH sn 0 (conv) cut
   to kcplen bytes, with a codec of the server's settings; returns its length. */
static u16_t
t_shard(struct kcp_codec *c, u8_t *buf, u16_t type, u32_t seqid, u32_t conv, u16_t kcplen)
{
  u8_t *f = buf + KCP_CODEC_HEADER_LEN, *k = f + KCP_FEC_HEADER_LEN;
  u16_t len = (u16_t)(KCP_CODEC_HEADER_LEN + KCP_FEC_HEADER_LEN + kcplen);

  memset(buf, 0, len);
  f[0] = (u8_t)seqid;
  f[1] = (u8_t)(seqid >> 8);
  f[4] = (u8_t)type;
  f[6] = (u8_t)(kcplen + 2);
  if (kcplen >= IKCP_OVERHEAD) {
    k[0] = (u8_t)conv;
    k[1] = (u8_t)(conv >> 8);
    k[4] = 81;        /* PUSH, sn 0, no payload */
    k[6] = 32;        /* wnd */
  }
  kcp_codec_seal(c, buf, len);
  return len;
}

/* Hostile datagrams at a pcb with a codec: each dropped and counted where
   it belongs, a parity shard from a peer without a session opens nothing,
   a genuine data shard opens one, and the counters add up. */
START_TEST(test_codec_hostile)
{
  struct kcp_codec_config cfg = { "none", "k", 3, 2 };
  struct kcp_codec *sc, *forger;
  struct kcp_codec_stats cs;
  struct kcp_stats st;
  u8_t buf[200];
  u16_t i, len;

  t_setup();
  t_server_start(16, 10000, 0);
  sc = kcp_codec_new(&cfg);
  forger = kcp_codec_new(&cfg);
  ck_assert(sc != NULL && forger != NULL);
  ck_assert_int_eq(kcp_set_codec(t_srv, sc), ERR_OK);

  for (i = 0; i < sizeof(buf); i++) {
    buf[i] = (u8_t)(i * 37 + 11);
  }
  t_raw_send(buf, 10);                                 /* short: malformed */
  t_raw_send(buf, 120);                                /* bad CRC: malformed */
  len = t_shard(forger, buf, KCP_FEC_TYPE_PARITY, 4, 0, 30);
  t_raw_send(buf, len);                                /* parity, no session: dropped */
  len = t_shard(forger, buf, KCP_FEC_TYPE_DATA, 0, 0x77, 10);
  t_raw_send(buf, len);                                /* data shard too short: malformed */
  st = t_srv_stats();
  ck_assert_uint_eq(st.dgram_in, 4);
  ck_assert_uint_eq(st.malformed, 3);
  ck_assert_uint_eq(st.dropped, 1);
  ck_assert_uint_eq(st.sessions, 0);

  len = t_shard(forger, buf, KCP_FEC_TYPE_DATA, 0, 0x77, IKCP_OVERHEAD);
  t_raw_send(buf, len);                                /* PUSH sn 0: a session */
  len = t_shard(forger, buf, KCP_FEC_TYPE_PARITY, 3, 0, 40);
  t_raw_send(buf, len);                                /* its peer's parity */
  len = t_shard(forger, buf, KCP_FEC_TYPE_PARITY, 4, 0, 40);
  t_raw_send(buf, len);
  st = t_srv_stats();
  kcp_codec_stats_get(sc, &cs);
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.dgram_in, 7);
  ck_assert_uint_eq(st.dgram_in, st.malformed + st.dropped + st.refused + st.sess_in);
  ck_assert_uint_eq(cs.crc_err, 1);
  ck_assert_uint_eq(cs.short_in, 1);
  ck_assert_uint_eq(cs.fec_parity_in, 2);

  kcp_remove(t_srv);
  kcp_codec_free(sc);
  kcp_codec_free(forger);
}
END_TEST

static Suite *
kcp_lwip_suite(void)
{
  Suite *s = suite_create("kcp_lwip");
  TCase *tc = tcase_create("vtime");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_echo_messages);
  tcase_add_test(tc, test_echo_ipv6);
  tcase_add_test(tc, test_backpressure);
  tcase_add_test(tc, test_cap_and_idle);
  tcase_add_test(tc, test_idle_deadline_exact);
  tcase_add_test(tc, test_restart_dead_link);
  tcase_add_test(tc, test_close_in_callback);
  tcase_add_test(tc, test_sndq_full_and_sent);
  tcase_add_test(tc, test_connect_idle);
  tcase_add_test(tc, test_burst_flush);
  tcase_add_test(tc, test_burst_acks_at_once);
  tcase_add_test(tc, test_hole_acks_at_once);
  tcase_add_test(tc, test_ack_nodelay_default);
  tcase_add_test(tc, test_ack_nodelay_off);
  tcase_add_test(tc, test_timer_rearm);
  tcase_add_test(tc, test_setcc_by_name);
  tcase_add_test(tc, test_codec_echo);
  tcase_add_test(tc, test_codec_wrong_key);
  tcase_add_test(tc, test_codec_hostile);
  tcase_add_test(tc, test_codec_idle_deadline_exact);
  tcase_add_test(tc, test_codec_hold_limit_on_input);
  tcase_add_test(tc, test_budget_share);
  tcase_add_test(tc, test_budget_share_rounded);
  tcase_add_test(tc, test_stats_add);
  tcase_add_test(tc, test_small_window_acks_apart);
  tcase_add_test(tc, test_large_window_acks_packed);
  tcase_add_test(tc, test_source_max);
  tcase_add_test(tc, test_bad_frg_no_slot);
  tcase_add_test(tc, test_stall_despite_wins);
  tcase_add_test(tc, test_hold_limit_on_input);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(kcp_lwip_suite());
}
