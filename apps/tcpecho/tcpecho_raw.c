/**
 * @file
 * TCP echo service on the raw API (see tcpecho_raw.h).
 *
 * Flow control is the point of the design. Received data is copied into a
 * per-connection ring of TCP_WND bytes and the pbuf is freed at once; the
 * data is acknowledged to lwIP with tcp_recved() only when tcp_write() has
 * taken it back out of the ring. So the window we advertise is exactly the
 * free space of the ring: a client that sends but never reads first fills
 * lwIP's send buffer (tcp_sndbuf() reaches 0), then our ring, and then sees
 * a zero window. Nothing grows without bound, and no partial write is ever
 * lost: whatever tcp_write() refuses stays in the ring until the next
 * tcp_sent() or tcp_poll() callback.
 *
 * A FIN from the client is answered once everything it sent has been
 * echoed (half-close works: send, shut down, read the echo to the end). A
 * RST or abort arrives through the err callback, after lwIP freed the pcb.
 */
#include "tcpecho_raw.h"

#include "lwip/mem.h"
#include "lwip/tcp.h"

#include <inttypes.h>
#include <stdio.h>

/** Ring size: the most a peer can send before we call tcp_recved(). */
#define TCPECHO_RAW_BUF_SIZE TCP_WND

/** tcp_poll() interval in TCP coarse ticks (500 ms): retry stalled writes
 *  and a close that failed for lack of memory. */
#define TCPECHO_RAW_POLL_TICKS 4

enum tcpecho_raw_state {
  TCPECHO_RAW_OPEN = 1, /**< echoing */
  TCPECHO_RAW_DRAINING  /**< client sent FIN: echo the rest, then close */
};

struct tcpecho_raw_conn {
  struct tcp_pcb *pcb;
  u8_t state;
  u32_t head; /**< ring offset of the oldest byte not yet written */
  u32_t used; /**< bytes in the ring, i.e. received but not yet tcp_recved() */
  u8_t buf[TCPECHO_RAW_BUF_SIZE];
};

/** Counters, core thread only. */
static struct {
  u32_t accepted;
  u32_t refused;
  u32_t active;
  u32_t peak;
  u32_t closed;
  u32_t reset;
  u32_t aborted;
  u64_t bytes_in;
  u64_t bytes_out;
} tcpecho_raw_stats;

static err_t tcpecho_raw_recv(void *arg, struct tcp_pcb *tpcb, struct pbuf *p, err_t err);
static err_t tcpecho_raw_sent(void *arg, struct tcp_pcb *tpcb, u16_t len);
static err_t tcpecho_raw_poll(void *arg, struct tcp_pcb *tpcb);
static void tcpecho_raw_error(void *arg, err_t err);

static void
tcpecho_raw_attach(struct tcpecho_raw_conn *conn)
{
  struct tcp_pcb *pcb = conn->pcb;

  tcp_arg(pcb, conn);
  tcp_recv(pcb, tcpecho_raw_recv);
  tcp_sent(pcb, tcpecho_raw_sent);
  tcp_err(pcb, tcpecho_raw_error);
  tcp_poll(pcb, tcpecho_raw_poll, TCPECHO_RAW_POLL_TICKS);
}

static void
tcpecho_raw_detach(struct tcp_pcb *pcb)
{
  tcp_arg(pcb, NULL);
  tcp_recv(pcb, NULL);
  tcp_sent(pcb, NULL);
  tcp_err(pcb, NULL);
  tcp_poll(pcb, NULL, 0);
}

static void
tcpecho_raw_free(struct tcpecho_raw_conn *conn)
{
  tcpecho_raw_stats.active--;
  mem_free(conn);
}

/** Close gracefully. When lwIP has no memory for the FIN, the callbacks
 *  stay in place and the next poll tries again. */
static void
tcpecho_raw_close(struct tcpecho_raw_conn *conn)
{
  struct tcp_pcb *pcb = conn->pcb;

  /* detach first: tcp_close() may free the pcb */
  tcpecho_raw_detach(pcb);
  if (tcp_close(pcb) == ERR_OK) {
    tcpecho_raw_stats.closed++;
    tcpecho_raw_free(conn);
  } else {
    tcpecho_raw_attach(conn);
  }
}

/** Give up on a connection lwIP will not take data on; returns ERR_ABRT,
 *  which the callback must hand back to lwIP. */
static err_t
tcpecho_raw_abort(struct tcpecho_raw_conn *conn)
{
  struct tcp_pcb *pcb = conn->pcb;

  tcpecho_raw_detach(pcb);
  tcpecho_raw_stats.aborted++;
  tcpecho_raw_free(conn);
  tcp_abort(pcb);
  return ERR_ABRT;
}

/**
 * Move as much of the ring into lwIP as its send buffer takes, and tell
 * lwIP the window may reopen by that much. Closes once a draining
 * connection has nothing left.
 * @return ERR_OK, or ERR_ABRT when the connection was aborted
 */
static err_t
tcpecho_raw_flush(struct tcpecho_raw_conn *conn)
{
  struct tcp_pcb *pcb = conn->pcb;

  while (conn->used > 0) {
    u32_t len = LWIP_MIN(conn->used, TCPECHO_RAW_BUF_SIZE - conn->head);
    u32_t room = tcp_sndbuf(pcb);
    err_t err;

    len = LWIP_MIN(len, room);
    len = LWIP_MIN(len, 0xffffU);
    if (len == 0) {
      break;
    }
    err = tcp_write(pcb, &conn->buf[conn->head], (u16_t)len, TCP_WRITE_FLAG_COPY);
    if (err == ERR_MEM) {
      /* segment queue full: the next tcp_sent() or poll retries */
      break;
    }
    if (err != ERR_OK) {
      return tcpecho_raw_abort(conn);
    }
    conn->head = (conn->head + len) % TCPECHO_RAW_BUF_SIZE;
    conn->used -= len;
    tcpecho_raw_stats.bytes_out += len;
    tcp_recved(pcb, (u16_t)len);
  }
  if (conn->state == TCPECHO_RAW_DRAINING && conn->used == 0) {
    tcpecho_raw_close(conn);
  }
  return ERR_OK;
}

static err_t
tcpecho_raw_recv(void *arg, struct tcp_pcb *tpcb, struct pbuf *p, err_t err)
{
  struct tcpecho_raw_conn *conn = (struct tcpecho_raw_conn *)arg;
  u32_t tail, first;

  LWIP_UNUSED_ARG(tpcb);
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ASSERT("tcpecho_raw_recv: no state", conn != NULL);
  if (p == NULL) {
    conn->state = TCPECHO_RAW_DRAINING;
    return tcpecho_raw_flush(conn);
  }
  if (err != ERR_OK) {
    pbuf_free(p);
    return err;
  }
  if (p->tot_len > TCPECHO_RAW_BUF_SIZE - conn->used) {
    /* cannot happen while the peer respects our window; lwIP keeps a
       refused pbuf and offers it again later */
    return ERR_MEM;
  }
  tail = (conn->head + conn->used) % TCPECHO_RAW_BUF_SIZE;
  first = LWIP_MIN((u32_t)p->tot_len, TCPECHO_RAW_BUF_SIZE - tail);
  pbuf_copy_partial(p, &conn->buf[tail], (u16_t)first, 0);
  if (first < p->tot_len) {
    pbuf_copy_partial(p, conn->buf, (u16_t)(p->tot_len - first), (u16_t)first);
  }
  conn->used += p->tot_len;
  tcpecho_raw_stats.bytes_in += p->tot_len;
  pbuf_free(p);
  return tcpecho_raw_flush(conn);
}

static err_t
tcpecho_raw_sent(void *arg, struct tcp_pcb *tpcb, u16_t len)
{
  struct tcpecho_raw_conn *conn = (struct tcpecho_raw_conn *)arg;

  LWIP_UNUSED_ARG(tpcb);
  LWIP_UNUSED_ARG(len);
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ASSERT("tcpecho_raw_sent: no state", conn != NULL);
  return tcpecho_raw_flush(conn);
}

static err_t
tcpecho_raw_poll(void *arg, struct tcp_pcb *tpcb)
{
  struct tcpecho_raw_conn *conn = (struct tcpecho_raw_conn *)arg;

  LWIP_UNUSED_ARG(tpcb);
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ASSERT("tcpecho_raw_poll: no state", conn != NULL);
  return tcpecho_raw_flush(conn);
}

/** The pcb is already gone (RST from the peer, or lwIP aborted it). */
static void
tcpecho_raw_error(void *arg, err_t err)
{
  struct tcpecho_raw_conn *conn = (struct tcpecho_raw_conn *)arg;

  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ASSERT("tcpecho_raw_error: no state", conn != NULL);
  if (err == ERR_RST) {
    tcpecho_raw_stats.reset++;
  } else {
    tcpecho_raw_stats.aborted++;
  }
  tcpecho_raw_free(conn);
}

static err_t
tcpecho_raw_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
  struct tcpecho_raw_conn *conn;

  LWIP_UNUSED_ARG(arg);
  LWIP_ASSERT_CORE_LOCKED();
  if (err != ERR_OK || newpcb == NULL) {
    return ERR_VAL;
  }
  /* an error return makes lwIP abort newpcb (the client sees a RST) */
  if (tcpecho_raw_stats.active >= TCPECHO_RAW_MAX_CONNS) {
    tcpecho_raw_stats.refused++;
    return ERR_MEM;
  }
  conn = (struct tcpecho_raw_conn *)mem_malloc(sizeof(*conn));
  if (conn == NULL) {
    tcpecho_raw_stats.refused++;
    return ERR_MEM;
  }
  conn->pcb = newpcb;
  conn->state = TCPECHO_RAW_OPEN;
  conn->head = 0;
  conn->used = 0;
  tcpecho_raw_stats.accepted++;
  tcpecho_raw_stats.active++;
  tcpecho_raw_stats.peak = LWIP_MAX(tcpecho_raw_stats.peak, tcpecho_raw_stats.active);
  /* under memory pressure lwIP kills low-priority connections first */
  tcp_setprio(newpcb, TCP_PRIO_MIN);
  tcpecho_raw_attach(conn);
  return ERR_OK;
}

/**
 * Listen on port, all addresses, IPv4 and IPv6; call in the core thread.
 * @return ERR_MEM, or tcp_bind()'s error (ERR_USE: port taken)
 */
err_t
tcpecho_raw_init(u16_t port)
{
  struct tcp_pcb *pcb, *lpcb;
  err_t err;

  LWIP_ASSERT_CORE_LOCKED();
  pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb == NULL) {
    return ERR_MEM;
  }
  err = tcp_bind(pcb, IP_ANY_TYPE, port);
  if (err != ERR_OK) {
    tcp_close(pcb);
    return err;
  }
  lpcb = tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG, &err);
  if (lpcb == NULL) {
    tcp_close(pcb);
    return err;
  }
  tcp_accept(lpcb, tcpecho_raw_accept);
  return ERR_OK;
}

/** Print the counters on one line; call in the core thread. */
void
tcpecho_raw_stats_print(void)
{
  LWIP_ASSERT_CORE_LOCKED();
  printf("tcpecho: accepted %" PRIu32 " refused %" PRIu32 " active %" PRIu32 " peak %" PRIu32
         " closed %" PRIu32 " reset %" PRIu32 " aborted %" PRIu32
         " bytes-in %" PRIu64 " bytes-out %" PRIu64 "\n",
         tcpecho_raw_stats.accepted, tcpecho_raw_stats.refused, tcpecho_raw_stats.active,
         tcpecho_raw_stats.peak, tcpecho_raw_stats.closed, tcpecho_raw_stats.reset,
         tcpecho_raw_stats.aborted, tcpecho_raw_stats.bytes_in, tcpecho_raw_stats.bytes_out);
}
