/**
 * @file
 * Check tests of the lwIP binding (kcp_lwip) without a tap: the lwIP core
 * runs in-process (tcpip_init) with one netif whose own address loops
 * datagrams back inside lwIP, so a client kcp_pcb and a server kcp_pcb talk
 * through real udp_pcbs, pbufs and sys_timeouts.
 *
 * The test thread calls the binding under LOCK_TCPIP_CORE(), as any thread
 * other than the core thread must; callbacks run in the core thread and
 * only touch the state below under that same lock.
 */
#include <check.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "kcp_lwip.h"
#include "kcp_codec.h"
#include "kcp_fec.h"
#include "lwip/udp.h"
#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/sys.h"

#define T_PORT 8000
#define T_MAXMSG 100000

static struct netif t_netif;
static ip_addr_t t_addr;

/* Server side: an echo service like kcpecho. */
static struct kcp_pcb *t_srv;
static u32_t t_srv_sndq;

/* Client side: the messages it got back and how its sessions ended. */
struct t_client {
  struct kcp_session *s;
  u32_t msgs;
  u32_t bytes;
  u32_t bad;
  err_t closed;
  int ended;
};
static struct t_client t_cli[4];
static struct kcp_pcb *t_cpcb;

static err_t
t_netif_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *ipaddr)
{
  /* Only traffic to our own address is used; it never reaches here. */
  LWIP_UNUSED_ARG(netif);
  LWIP_UNUSED_ARG(p);
  LWIP_UNUSED_ARG(ipaddr);
  return ERR_OK;
}

static err_t
t_netif_init(struct netif *netif)
{
  netif->name[0] = 't';
  netif->name[1] = 'k';
  netif->output = t_netif_output;
  netif->mtu = 1500;
  return ERR_OK;
}

static void
t_tcpip_done(void *arg)
{
  sys_sem_signal((sys_sem_t *)arg);
}

static void
t_setup(void)
{
  sys_sem_t sem;
  ip4_addr_t ip, mask, gw;

  ck_assert_int_eq(sys_sem_new(&sem, 0), ERR_OK);
  tcpip_init(t_tcpip_done, &sem);
  sys_sem_wait(&sem);
  sys_sem_free(&sem);
  IP4_ADDR(&ip, 10, 0, 0, 1);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 10, 0, 0, 254);
  ip_addr_copy_from_ip4(t_addr, ip);
  LOCK_TCPIP_CORE();
  ck_assert_ptr_nonnull(netif_add(&t_netif, &ip, &mask, &gw, NULL, t_netif_init, tcpip_input));
  netif_set_up(&t_netif);
  netif_set_link_up(&t_netif);
  UNLOCK_TCPIP_CORE();
  memset(t_cli, 0, sizeof(t_cli));
  t_srv_sndq = 0;
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

static err_t
t_echo_accept(void *arg, struct kcp_session *s, err_t err)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_UNUSED_ARG(err);
  ikcp_profile(kcp_session_ikcp(s), "fast3");
  kcp_recv(s, t_echo_recv);
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

static err_t
t_closer_accept(void *arg, struct kcp_session *s, err_t err)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_UNUSED_ARG(err);
  kcp_recv(s, t_closer_recv);
  return ERR_OK;
}

static void
t_server_start(u32_t max, u32_t idle_ms, u32_t sndq)
{
  LOCK_TCPIP_CORE();
  t_srv = kcp_new();
  ck_assert_ptr_nonnull(t_srv);
  ck_assert_int_eq(kcp_bind(t_srv, IP_ANY_TYPE, T_PORT), ERR_OK);
  kcp_set_max_sessions(t_srv, max);
  kcp_set_idle(t_srv, idle_ms);
  if (sndq > 0) {
    kcp_set_sndq_max(t_srv, sndq);
  }
  kcp_accept(t_srv, t_echo_accept);
  UNLOCK_TCPIP_CORE();
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
  c->s = NULL;
}

/* Opens client session k with conv (and the client pcb on first use). */
static void
t_client_open(int k, u32_t conv, u16_t port, u32_t idle_ms)
{
  ikcpcb *kcp;

  LOCK_TCPIP_CORE();
  if (t_cpcb == NULL) {
    t_cpcb = kcp_new();
    ck_assert_ptr_nonnull(t_cpcb);
    kcp_set_idle(t_cpcb, idle_ms);
  }
  ck_assert_int_eq(kcp_connect(t_cpcb, &t_addr, port, conv, &t_cli[k].s), ERR_OK);
  kcp_session_arg(t_cli[k].s, &t_cli[k]);
  kcp_recv(t_cli[k].s, t_cli_recv);
  kcp_err(t_cli[k].s, t_cli_err);
  kcp = kcp_session_ikcp(t_cli[k].s);
  ikcp_profile(kcp, "fast3");
  ikcp_wndsize(kcp, 256, 256);
  UNLOCK_TCPIP_CORE();
}

/* Writes message i (len bytes) on client session k. */
static err_t
t_client_write(int k, u32_t i, u32_t len)
{
  static u8_t buf[T_MAXMSG];
  u32_t j;
  err_t err;

  for (j = 0; j < len; j++) {
    buf[j] = t_byte(i, j);
  }
  LOCK_TCPIP_CORE();
  err = kcp_write(t_cli[k].s, buf, len);
  UNLOCK_TCPIP_CORE();
  return err;
}

/* Waits up to ms for cond() (checked under the core lock). */
static int
t_wait(int (*cond)(void), u32_t ms)
{
  u32_t t;
  for (t = 0; t < ms; t += 5) {
    int ok;
    LOCK_TCPIP_CORE();
    ok = cond();
    UNLOCK_TCPIP_CORE();
    if (ok) {
      return 1;
    }
    usleep(5000);
  }
  return 0;
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
  LOCK_TCPIP_CORE();
  kcp_stats_get(t_srv, &st);
  UNLOCK_TCPIP_CORE();
  return st;
}

static u32_t t_want;
static int t_cli0_has_all(void) { return t_cli[0].msgs >= t_want; }
static int t_cli01_have_all(void) { return t_cli[0].msgs >= t_want && t_cli[1].msgs >= t_want; }
static int t_cli0_ended(void) { return t_cli[0].ended; }
static int t_srv_empty(void)
{
  struct kcp_stats st;
  kcp_stats_get(t_srv, &st);
  return st.sessions == 0;
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
  ck_assert_msg(t_wait(t_cli0_has_all, 10000), "echoed %u of %u", (unsigned)t_cli[0].msgs,
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
      usleep(2000);
    } else {
      ck_assert_int_eq(err, ERR_OK);
      i++;
    }
  }
  t_want = 300;
  ck_assert_msg(t_wait(t_cli0_has_all, 20000), "echoed %u of 300", (unsigned)t_cli[0].msgs);
  ck_assert_uint_eq(t_cli[0].bad, 0);
}
END_TEST

START_TEST(test_cap_and_idle)
{
  struct kcp_stats st;
  u32_t k;

  t_setup();
  t_server_start(2, 1500, 0);
  for (k = 0; k < 3; k++) {
    t_client_open((int)k, 500 + k, T_PORT, 60000);
    ck_assert_int_eq(t_client_write((int)k, 0, 100), ERR_OK);
  }
  t_want = 1;
  ck_assert(t_wait(t_cli01_have_all, 5000));
  usleep(200000);
  LOCK_TCPIP_CORE();
  ck_assert_uint_eq(t_cli[2].msgs, 0);
  UNLOCK_TCPIP_CORE();
  st = t_srv_stats();
  ck_assert_uint_eq(st.sessions, 2);
  ck_assert_uint_ge(st.refused, 1);
  /* The two admitted sessions keep working while the third is refused. */
  ck_assert_int_eq(t_client_write(0, 1, 200), ERR_OK);
  ck_assert_int_eq(t_client_write(1, 1, 200), ERR_OK);
  t_want = 2;
  ck_assert(t_wait(t_cli01_have_all, 5000));
  /* Then all go quiet: the server closes them after 1.5 s. */
  ck_assert(t_wait(t_srv_empty, 10000));
  st = t_srv_stats();
  ck_assert_uint_eq(st.closed_idle, 2);
  ck_assert_uint_eq(st.closed, 2);
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
  LOCK_TCPIP_CORE();
  kcp_session_ikcp(t_cli[0].s)->dead_link = 4;
  UNLOCK_TCPIP_CORE();
  ck_assert_int_eq(t_client_write(0, 0, 10), ERR_OK);
  t_want = 1;
  ck_assert(t_wait(t_cli0_has_all, 5000));
  LOCK_TCPIP_CORE();
  kcp_remove(t_srv);
  UNLOCK_TCPIP_CORE();
  t_server_start(16, 10000, 0);
  ck_assert_int_eq(t_client_write(0, 1, 10), ERR_OK);
  ck_assert(t_wait(t_cli0_ended, 10000));
  ck_assert_int_eq(t_cli[0].closed, ERR_ABRT);
  st = t_srv_stats();
  ck_assert_uint_eq(st.opened, 0);
  ck_assert_uint_ge(st.dropped, 1);
}
END_TEST

/* kcp_close() from the session's own receive callback: the session is
   freed once the callback returns (ASan checks the deferral), and the
   messages after it are not echoed. */
START_TEST(test_close_in_callback)
{
  struct kcp_stats st;
  u32_t i;

  t_setup();
  t_server_start(16, 10000, 0);
  LOCK_TCPIP_CORE();
  kcp_accept(t_srv, t_closer_accept);
  UNLOCK_TCPIP_CORE();
  t_client_open(0, 5, T_PORT, 60000);
  /* One at a time, so sn 0 is acknowledged before the server forgets the
     session (else its retransmission would open a new one). */
  for (i = 0; i < 2; i++) {
    ck_assert_int_eq(t_client_write(0, i, 50), ERR_OK);
    t_want = i + 1;
    ck_assert(t_wait(t_cli0_has_all, 5000));
  }
  for (i = 2; i < 5; i++) {
    ck_assert_int_eq(t_client_write(0, i, 50), ERR_OK);
  }
  ck_assert(t_wait(t_srv_empty, 5000));
  usleep(100000);
  st = t_srv_stats();
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.closed, 1);
  ck_assert_uint_eq(st.closed_idle + st.closed_dead, 0);
  LOCK_TCPIP_CORE();
  ck_assert_uint_eq(t_cli[0].msgs, 2);
  UNLOCK_TCPIP_CORE();
}
END_TEST

/* Writing until the send queue is full gives ERR_MEM; the sent callback
   then reports space as the peer acknowledges. */
START_TEST(test_sndq_full_and_sent)
{
  u32_t i = 0, sent;
  err_t err = ERR_OK;

  t_setup();
  t_server_start(16, 10000, 0);
  t_client_open(0, 6, T_PORT, 60000);
  LOCK_TCPIP_CORE();
  kcp_sent(t_cli[0].s, t_cli_sent);
  UNLOCK_TCPIP_CORE();
  while (i < 1000 && (err = t_client_write(0, i, 1376)) == ERR_OK) {
    i++;
  }
  ck_assert_int_eq(err, ERR_MEM);
  ck_assert_uint_ge(i, KCP_DEFAULT_SNDQ_MAX);
  t_want = i;
  ck_assert(t_wait(t_cli0_has_all, 15000));
  LOCK_TCPIP_CORE();
  sent = t_sent_calls;
  UNLOCK_TCPIP_CORE();
  ck_assert_uint_gt(sent, 0);
  ck_assert_int_eq(t_client_write(0, i, 10), ERR_OK);
}
END_TEST

/* A connected session that never sends nor hears anything still ends at
   its idle deadline (the pcb's timer is armed by kcp_connect itself). */
START_TEST(test_connect_idle)
{
  t_setup();
  t_client_open(0, 8, T_PORT + 1, 300);
  ck_assert(t_wait(t_cli0_ended, 5000));
  ck_assert_int_eq(t_cli[0].closed, ERR_TIMEOUT);
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
  LOCK_TCPIP_CORE();
  ck_assert_int_eq(kcp_set_codec(t_srv, *srv), ERR_OK);
  t_cpcb = kcp_new();
  ck_assert_ptr_nonnull(t_cpcb);
  ck_assert_int_eq(kcp_set_codec(t_cpcb, *cli), ERR_OK);
  UNLOCK_TCPIP_CORE();
}

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
  LOCK_TCPIP_CORE();
  kcp_codec_stats_get(sc, &cs);
  UNLOCK_TCPIP_CORE();
  ck_assert_uint_eq(cs.crc_err, 0);
  ck_assert_uint_gt(cs.opened, 50);
  ck_assert_uint_gt(cs.fec_parity_in, 10);
  ck_assert_uint_gt(cs.fec_parity_out, 10);
  LOCK_TCPIP_CORE();
  ck_assert_int_eq(kcp_set_codec(t_srv, NULL), ERR_VAL);
  kcp_remove(t_cpcb);
  kcp_remove(t_srv);
  t_cpcb = NULL;
  UNLOCK_TCPIP_CORE();
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
  usleep(300000);
  st = t_srv_stats();
  LOCK_TCPIP_CORE();
  kcp_codec_stats_get(sc, &cs);
  UNLOCK_TCPIP_CORE();
  ck_assert_uint_ge(st.dgram_in, 1);
  ck_assert_uint_eq(st.malformed, st.dgram_in);
  ck_assert_uint_eq(cs.crc_err, st.dgram_in);
  ck_assert_uint_eq(st.opened, 0);
  ck_assert_uint_eq(st.sessions, 0);
  ck_assert_uint_eq(t_cli[0].msgs, 0);
}
END_TEST

/* Sends len raw bytes to the server from a udp_pcb of its own. */
static void
t_raw_send(struct udp_pcb *u, const u8_t *d, u16_t len)
{
  struct pbuf *p;

  LOCK_TCPIP_CORE();
  p = pbuf_alloc(PBUF_TRANSPORT, len, PBUF_RAM);
  ck_assert_ptr_nonnull(p);
  memcpy(p->payload, d, len);
  ck_assert_int_eq(udp_sendto(u, p, &t_addr, T_PORT), ERR_OK);
  pbuf_free(p);
  UNLOCK_TCPIP_CORE();
  usleep(50000);
}

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
  struct udp_pcb *u;
  u8_t buf[200];
  u16_t i, len;

  t_setup();
  t_server_start(16, 10000, 0);
  sc = kcp_codec_new(&cfg);
  forger = kcp_codec_new(&cfg);
  ck_assert(sc != NULL && forger != NULL);
  LOCK_TCPIP_CORE();
  ck_assert_int_eq(kcp_set_codec(t_srv, sc), ERR_OK);
  u = udp_new();
  ck_assert_ptr_nonnull(u);
  ck_assert_int_eq(udp_bind(u, IP_ANY_TYPE, 0), ERR_OK);
  UNLOCK_TCPIP_CORE();

  for (i = 0; i < sizeof(buf); i++) {
    buf[i] = (u8_t)(i * 37 + 11);
  }
  t_raw_send(u, buf, 10);                                 /* short: malformed */
  t_raw_send(u, buf, 120);                                /* bad CRC: malformed */
  len = t_shard(forger, buf, KCP_FEC_TYPE_PARITY, 4, 0, 30);
  t_raw_send(u, buf, len);                                /* parity, no session: dropped */
  len = t_shard(forger, buf, KCP_FEC_TYPE_DATA, 0, 0x77, 10);
  t_raw_send(u, buf, len);                                /* data shard too short: malformed */
  st = t_srv_stats();
  ck_assert_uint_eq(st.dgram_in, 4);
  ck_assert_uint_eq(st.malformed, 3);
  ck_assert_uint_eq(st.dropped, 1);
  ck_assert_uint_eq(st.sessions, 0);

  len = t_shard(forger, buf, KCP_FEC_TYPE_DATA, 0, 0x77, IKCP_OVERHEAD);
  t_raw_send(u, buf, len);                                /* PUSH sn 0: a session */
  len = t_shard(forger, buf, KCP_FEC_TYPE_PARITY, 3, 0, 40);
  t_raw_send(u, buf, len);                                /* its peer's parity */
  len = t_shard(forger, buf, KCP_FEC_TYPE_PARITY, 4, 0, 40);
  t_raw_send(u, buf, len);
  st = t_srv_stats();
  LOCK_TCPIP_CORE();
  kcp_codec_stats_get(sc, &cs);
  UNLOCK_TCPIP_CORE();
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.dgram_in, 7);
  ck_assert_uint_eq(st.dgram_in, st.malformed + st.dropped + st.refused + st.sess_in);
  ck_assert_uint_eq(cs.crc_err, 1);
  ck_assert_uint_eq(cs.short_in, 1);
  ck_assert_uint_eq(cs.fec_parity_in, 2);

  LOCK_TCPIP_CORE();
  udp_remove(u);
  kcp_remove(t_srv);
  UNLOCK_TCPIP_CORE();
  kcp_codec_free(sc);
  kcp_codec_free(forger);
}
END_TEST

static Suite *
kcp_lwip_suite(void)
{
  Suite *s = suite_create("kcp_lwip");
  TCase *tc = tcase_create("loopback");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_echo_messages);
  tcase_add_test(tc, test_backpressure);
  tcase_add_test(tc, test_cap_and_idle);
  tcase_add_test(tc, test_restart_dead_link);
  tcase_add_test(tc, test_close_in_callback);
  tcase_add_test(tc, test_sndq_full_and_sent);
  tcase_add_test(tc, test_connect_idle);
  tcase_add_test(tc, test_codec_echo);
  tcase_add_test(tc, test_codec_wrong_key);
  tcase_add_test(tc, test_codec_hostile);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(kcp_lwip_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
