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
 *
 * Slots are reclaimed. Every connection sits in a list ordered by the time
 * data last moved on it (received from the peer, or our echo acknowledged
 * by it), so the longest-idle one is always at the head: that is the one
 * evicted when a newcomer finds the cap reached. Idleness alone is beaten
 * by a client that sends a byte every half second on each of its
 * connections (slowloris), so each connection also measures the bytes it
 * moves per window; at the cap, when no connection is idle, the slowest one
 * below the minimum rate makes room. The poll callback, once a
 * second, closes a connection idle for the configured timeout, whatever the
 * reason: a client that went silent, one that stopped reading (its echo
 * stalls on a zero window), or a peer that vanished. Keepalive catches the
 * last kind sooner when the timeout is long.
 */
#include "tcpecho_raw.h"

#include "ipsrc.h"

#include "lwip/mem.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"


/** Ring size: the most a peer can send before we call tcp_recved(). */
#define TCPECHO_RAW_BUF_SIZE TCP_WND

/** tcp_poll() interval in TCP coarse ticks (500 ms): once a second retry
 *  stalled writes and a close that failed for lack of memory, and check
 *  the idle timeout, which is therefore exact to about a second. */
#define TCPECHO_RAW_POLL_TICKS 2

/** Keepalive on every accepted pcb. A live peer's kernel answers the
 *  probes, so they never end a merely silent connection (the idle timeout
 *  does); they end one whose peer is gone without a FIN or RST, after
 *  KEEPIDLE + KEEPCNT * KEEPINTVL = 50 s, even when the idle timeout was
 *  set to hours. */
#define TCPECHO_RAW_KEEPIDLE_MS  30000
#define TCPECHO_RAW_KEEPINTVL_MS 5000
#define TCPECHO_RAW_KEEPCNT      4

enum tcpecho_raw_state {
  TCPECHO_RAW_OPEN = 1, /**< echoing */
  TCPECHO_RAW_DRAINING  /**< client sent FIN: echo the rest, then close */
};

struct tcpecho_raw_conn {
  struct tcpecho_raw_conn *older; /**< towards the idle list's head */
  struct tcpecho_raw_conn *newer; /**< towards its tail */
  struct tcp_pcb *pcb;
  u32_t last_data; /**< sys_now() when data last moved either way */
  u32_t win_start; /**< sys_now() when the current rate window began */
  u32_t win_bytes; /**< bytes moved either way in the current window */
  u32_t rate;      /**< bytes/s over the last full window; none yet: ~0 */
  u8_t state;
  u8_t idle_close_failed; /**< the idle close found no memory for the FIN */
  u32_t head; /**< ring offset of the oldest byte not yet written */
  u32_t used; /**< bytes in the ring, i.e. received but not yet tcp_recved() */
  u8_t buf[TCPECHO_RAW_BUF_SIZE];
};

/** Counters, core thread only. Every accepted connection ends in exactly
 *  one of closed, reset, aborted, idle and evicted. */
static struct {
  u32_t accepted;
  u32_t refused;
  u32_t active;
  u32_t peak;
  u32_t closed;  /**< gracefully, after the client's FIN */
  u32_t reset;   /**< by the client's RST */
  u32_t aborted; /**< by us or lwIP on an error, keepalive timeouts included */
  u64_t bytes_in;
  u64_t bytes_out;
  u32_t idle;    /**< closed (or, failing that, aborted) by the idle timeout */
  u32_t evicted; /**< aborted at the cap to make room for a newcomer */
  u32_t bogus;   /**< refused: from a forged source (ipsrc.h) */
  u32_t slow;    /**< of the evicted: for a rate below TCPECHO_RAW_MIN_RATE */
} tcpecho_raw_stats;

/** Idle list: head is the connection on which data moved longest ago. */
static struct tcpecho_raw_conn *tcpecho_raw_idle_head;
static struct tcpecho_raw_conn *tcpecho_raw_idle_tail;

/** Idle timeout in ms, set once by tcpecho_raw_init(). */
static u32_t tcpecho_raw_idle_ms = TCPECHO_RAW_IDLE_DEFAULT * 1000UL;

static err_t tcpecho_raw_recv(void *arg, struct tcp_pcb *tpcb, struct pbuf *p, err_t err);
static err_t tcpecho_raw_sent(void *arg, struct tcp_pcb *tpcb, u16_t len);
static err_t tcpecho_raw_poll(void *arg, struct tcp_pcb *tpcb);
static void tcpecho_raw_error(void *arg, err_t err);

static void
tcpecho_raw_unlink(struct tcpecho_raw_conn *conn)
{
  if (conn->older != NULL) {
    conn->older->newer = conn->newer;
  } else {
    tcpecho_raw_idle_head = conn->newer;
  }
  if (conn->newer != NULL) {
    conn->newer->older = conn->older;
  } else {
    tcpecho_raw_idle_tail = conn->older;
  }
}

/** Put conn at the idle list's tail, as the connection that moved data last. */
static void
tcpecho_raw_append(struct tcpecho_raw_conn *conn)
{
  conn->older = tcpecho_raw_idle_tail;
  conn->newer = NULL;
  if (tcpecho_raw_idle_tail != NULL) {
    tcpecho_raw_idle_tail->newer = conn;
  } else {
    tcpecho_raw_idle_head = conn;
  }
  tcpecho_raw_idle_tail = conn;
}

/** len bytes moved (0: the FIN): restart the idle clock and move conn to
 *  the list's tail, which keeps the list sorted by last_data at O(1) cost. */
static void
tcpecho_raw_touch(struct tcpecho_raw_conn *conn, u32_t len)
{
  conn->last_data = sys_now();
  conn->win_bytes += len;
  if (tcpecho_raw_idle_tail != conn) {
    tcpecho_raw_unlink(conn);
    tcpecho_raw_append(conn);
  }
}

static u32_t
tcpecho_raw_idle_for(const struct tcpecho_raw_conn *conn)
{
  return (u32_t)(sys_now() - conn->last_data);
}

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

/** Forget conn, counting how it ended in *outcome. */
static void
tcpecho_raw_free(struct tcpecho_raw_conn *conn, u32_t *outcome)
{
  (*outcome)++;
  tcpecho_raw_stats.active--;
  tcpecho_raw_unlink(conn);
  mem_free(conn);
}

/**
 * Close gracefully. When lwIP has no memory for the FIN, the callbacks
 * stay in place so that a later poll can try again.
 * @param outcome counter of the way the connection ended, on success
 * @return tcp_close()'s result
 */
static err_t
tcpecho_raw_close(struct tcpecho_raw_conn *conn, u32_t *outcome)
{
  struct tcp_pcb *pcb = conn->pcb;
  err_t err;

  /* detach first: tcp_close() may free the pcb */
  tcpecho_raw_detach(pcb);
  err = tcp_close(pcb);
  if (err == ERR_OK) {
    tcpecho_raw_free(conn, outcome);
  } else {
    tcpecho_raw_attach(conn);
  }
  return err;
}

/** Give up on a connection (the peer gets a RST); returns ERR_ABRT, which
 *  a callback of conn's pcb must hand back to lwIP. */
static err_t
tcpecho_raw_abort(struct tcpecho_raw_conn *conn, u32_t *outcome)
{
  struct tcp_pcb *pcb = conn->pcb;

  tcpecho_raw_detach(pcb);
  tcpecho_raw_free(conn, outcome);
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
      return tcpecho_raw_abort(conn, &tcpecho_raw_stats.aborted);
    }
    conn->head = (conn->head + len) % TCPECHO_RAW_BUF_SIZE;
    conn->used -= len;
    tcpecho_raw_stats.bytes_out += len;
    tcp_recved(pcb, (u16_t)len);
  }
  if (conn->state == TCPECHO_RAW_DRAINING && conn->used == 0) {
    /* on failure the next poll comes back here */
    tcpecho_raw_close(conn, &tcpecho_raw_stats.closed);
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
    tcpecho_raw_touch(conn, 0);
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
  tcpecho_raw_touch(conn, p->tot_len);
  pbuf_free(p);
  return tcpecho_raw_flush(conn);
}

/** The peer acknowledged len bytes of echo: data moved, and lwIP's send
 *  buffer has room for more of the ring. */
static err_t
tcpecho_raw_sent(void *arg, struct tcp_pcb *tpcb, u16_t len)
{
  struct tcpecho_raw_conn *conn = (struct tcpecho_raw_conn *)arg;

  LWIP_UNUSED_ARG(tpcb);
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ASSERT("tcpecho_raw_sent: no state", conn != NULL);
  if (len > 0) {
    tcpecho_raw_touch(conn, len);
  }
  return tcpecho_raw_flush(conn);
}

/** Close the rate window when it is full: its bytes per second become
 *  conn's rate. */
static void
tcpecho_raw_rate_update(struct tcpecho_raw_conn *conn)
{
  u32_t span = (u32_t)(sys_now() - conn->win_start);

  if (span >= TCPECHO_RAW_RATE_WINDOW_MS) {
    conn->rate = (u32_t)((u64_t)conn->win_bytes * 1000u / span);
    conn->win_start = sys_now();
    conn->win_bytes = 0;
  }
}

/**
 * Once a second: the rate window, then the idle timeout. An idle connection is closed with a FIN (a RST when it
 * holds data the client never got an echo for, as tcp_close() does); if
 * lwIP has no memory for the FIN, the next poll aborts it rather than let
 * it hold its slot for another round.
 */
static err_t
tcpecho_raw_poll(void *arg, struct tcp_pcb *tpcb)
{
  struct tcpecho_raw_conn *conn = (struct tcpecho_raw_conn *)arg;

  LWIP_UNUSED_ARG(tpcb);
  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ASSERT("tcpecho_raw_poll: no state", conn != NULL);
  if (conn->idle_close_failed) {
    return tcpecho_raw_abort(conn, &tcpecho_raw_stats.idle);
  }
  tcpecho_raw_rate_update(conn);
  if (tcpecho_raw_idle_for(conn) >= tcpecho_raw_idle_ms) {
    if (tcpecho_raw_close(conn, &tcpecho_raw_stats.idle) != ERR_OK) {
      conn->idle_close_failed = 1;
    }
    return ERR_OK;
  }
  return tcpecho_raw_flush(conn);
}

/** The pcb is already gone (RST from the peer, or lwIP aborted it, e.g.
 *  when keepalive probes went unanswered). */
static void
tcpecho_raw_error(void *arg, err_t err)
{
  struct tcpecho_raw_conn *conn = (struct tcpecho_raw_conn *)arg;

  LWIP_ASSERT_CORE_LOCKED();
  LWIP_ASSERT("tcpecho_raw_error: no state", conn != NULL);
  tcpecho_raw_free(conn, err == ERR_RST ? &tcpecho_raw_stats.reset : &tcpecho_raw_stats.aborted);
}

/** The connection with the lowest measured rate below the minimum, or NULL. */
static struct tcpecho_raw_conn *
tcpecho_raw_slowest(void)
{
  struct tcpecho_raw_conn *c, *slowest = NULL;

  for (c = tcpecho_raw_idle_head; c != NULL; c = c->newer) {
    tcpecho_raw_rate_update(c);
    if (c->rate < TCPECHO_RAW_MIN_RATE && (slowest == NULL || c->rate < slowest->rate)) {
      slowest = c;
    }
  }
  return slowest;
}

/**
 * At the cap, make room by aborting the longest-idle connection, so that
 * clients which went silent (or vanished) cannot lock out a live one, or
 * else the slowest below the minimum rate, so that clients trickling bytes
 * cannot either.
 * Aborting another pcb from inside this accept callback is safe: tcp_input()
 * holds no pointer into the list of active pcbs while it runs.
 * @return 1 when a slot is free now
 */
static int
tcpecho_raw_make_room(void)
{
  struct tcpecho_raw_conn *oldest = tcpecho_raw_idle_head;

  if (tcpecho_raw_stats.active < TCPECHO_RAW_MAX_CONNS) {
    return 1;
  }
  if (oldest == NULL || tcpecho_raw_idle_for(oldest) < TCPECHO_RAW_EVICT_MIN_MS) {
    oldest = tcpecho_raw_slowest();
    if (oldest == NULL) {
      return 0;
    }
    tcpecho_raw_stats.slow++;
  }
  tcpecho_raw_abort(oldest, &tcpecho_raw_stats.evicted);
  return 1;
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
  if (ipsrc_is_bogus(&newpcb->remote_ip)) {
    tcpecho_raw_stats.bogus++;
    return ERR_VAL;
  }
  if (!tcpecho_raw_make_room()) {
    tcpecho_raw_stats.refused++;
    return ERR_MEM;
  }
  conn = (struct tcpecho_raw_conn *)mem_malloc(sizeof(*conn));
  if (conn == NULL) {
    tcpecho_raw_stats.refused++;
    return ERR_MEM;
  }
  conn->pcb = newpcb;
  conn->last_data = sys_now();
  conn->win_start = conn->last_data;
  conn->win_bytes = 0;
  conn->rate = 0xffffffffUL;
  conn->state = TCPECHO_RAW_OPEN;
  conn->idle_close_failed = 0;
  conn->head = 0;
  conn->used = 0;
  tcpecho_raw_append(conn);
  tcpecho_raw_stats.accepted++;
  tcpecho_raw_stats.active++;
  tcpecho_raw_stats.peak = LWIP_MAX(tcpecho_raw_stats.peak, tcpecho_raw_stats.active);
  /* under memory pressure lwIP kills low-priority connections first */
  tcp_setprio(newpcb, TCP_PRIO_MIN);
  /* An echo answers at once: Nagle would hold each small echo until the
     previous one is acked, adding a round trip to every request. */
  tcp_nagle_disable(newpcb);
  ip_set_option(newpcb, SOF_KEEPALIVE);
  newpcb->keep_idle = TCPECHO_RAW_KEEPIDLE_MS;
#if LWIP_TCP_KEEPALIVE
  newpcb->keep_intvl = TCPECHO_RAW_KEEPINTVL_MS;
  newpcb->keep_cnt = TCPECHO_RAW_KEEPCNT;
#endif /* LWIP_TCP_KEEPALIVE */
  tcpecho_raw_attach(conn);
  return ERR_OK;
}

/**
 * Listen on port, all addresses, IPv4 and IPv6; call in the core thread.
 * @param idle_sec close a connection after this many seconds without data
 *                 moving either way, 1..TCPECHO_RAW_IDLE_MAX
 * @return ERR_VAL for a bad idle_sec, ERR_MEM, or tcp_bind()'s error
 *         (ERR_USE: port taken)
 */
err_t
tcpecho_raw_init(u16_t port, u32_t idle_sec)
{
  struct tcp_pcb *pcb, *lpcb;
  err_t err;

  LWIP_ASSERT_CORE_LOCKED();
  if (idle_sec == 0 || idle_sec > TCPECHO_RAW_IDLE_MAX) {
    return ERR_VAL;
  }
  tcpecho_raw_idle_ms = idle_sec * 1000UL;
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

/** Add the counters to c as group "tcpecho"; call in the core thread. New
 *  ones go at the end: tests read the line by name and position. */
void
tcpecho_raw_counters(struct counters *c)
{
  LWIP_ASSERT_CORE_LOCKED();
  counters_group(c, "tcpecho");
  counters_add(c, "accepted", tcpecho_raw_stats.accepted);
  counters_add(c, "refused", tcpecho_raw_stats.refused);
  counters_add(c, "active", tcpecho_raw_stats.active);
  counters_add(c, "peak", tcpecho_raw_stats.peak);
  counters_add(c, "closed", tcpecho_raw_stats.closed);
  counters_add(c, "reset", tcpecho_raw_stats.reset);
  counters_add(c, "aborted", tcpecho_raw_stats.aborted);
  counters_add(c, "bytes_in", tcpecho_raw_stats.bytes_in);
  counters_add(c, "bytes_out", tcpecho_raw_stats.bytes_out);
  counters_add(c, "idle", tcpecho_raw_stats.idle);
  counters_add(c, "evicted", tcpecho_raw_stats.evicted);
  counters_add(c, "bogus", tcpecho_raw_stats.bogus);
  counters_add(c, "slow", tcpecho_raw_stats.slow);
}
