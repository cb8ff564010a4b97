/**
 * @file
 * kcptun on lwIP, both roles (see kcptun.h): KCP session (through the
 * codec) -> [snappy framed stream] -> smux -> one TCP connection per stream:
 * to the target (or the echo) in the server role, from the local port in
 * the client role.
 *
 * One close path per object: kcptun_stream_free() for a stream (aborts or
 * closes its TCP side), kcptun_sess_free() for a session (frees its
 * streams). A session found broken inside a callback is only marked dead
 * and freed once the callback's work is done. A client session's own
 * kcp_pcb is removed, with the rest of the session, by kcptun_reap() from a
 * timeout of its own, as the binding's callbacks may still be using it.
 */
#include "kcptun.h"

#include "counters.h"
#include "kcpcounters.h"

#include "ipsrc.h"
#include "kcp_codec.h"
#include "kcp_lwip.h"
#include "smux.h"
#include "snappyframe.h"
#include "lwip/mem.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kcptun_sess;

/** Peer bytes held for a stream (kcptun_stream_hold()), in arrival order. */
struct kcptun_chunk {
  struct kcptun_chunk *next;
  u32_t len, off;
  u8_t data[];
};

/** One smux stream and its TCP side (pcb NULL: echo, or TCP gone). */
struct kcptun_stream {
  struct kcptun_stream *next;
  struct kcptun_sess *sess;
  struct tcp_pcb *pcb;
  u32_t sid;
  struct smux_window win;
  struct pbuf *tx;   /**< target (or echo) bytes waiting to become PSH */
  struct kcptun_chunk *rx, *rx_tail; /**< version 2: peer bytes the TCP
                          side (or echo) had no room for, within the window */
  u32_t rx_len;      /**< bytes in rx */
  u8_t fin_in;       /**< the peer's FIN arrived */
  u8_t tcp_eof;      /**< the target closed, failed or was never reached */
  u8_t upd_due;      /**< version 2: a window update is owed */
};

/** One KCP session with a smux session inside: a kcptun client's (server
 *  role), or ours to the kcptun server (client role). */
struct kcptun_sess {
  struct kcptun_sess *next;
  struct kcp_session *ks;
  struct smux_parser parser;
  struct snappyframe_dec *dec;  /**< NULL without compression */
  struct snappyframe_enc enc;
  u8_t *held;                   /**< input not yet taken by the parser */
  size_t held_off, held_len;
  u32_t rx_held;                /**< bytes in its streams' rx */
  struct kcptun_stream *streams;
  u32_t nstreams;
  u64_t frames_seen;            /**< parser.frames at the last keepalive */
  u8_t idle_ticks;              /**< keepalive periods without a frame */
  u8_t dead;                    /**< protocol error: free when safe */
  u8_t busy;                    /**< inside kcptun_sess_pump() */
  u32_t next_sid;               /**< client: last stream id opened */
  struct kcp_pcb *own_pcb;      /**< client: the pcb (UDP port) of this session */
  u32_t expire_at;              /**< client, autoexpire: takes no new stream from then */
};

static struct kcptun_config kcptun_cfg;
/** The server's pcb (NULL in the client role: kcptun_sess.own_pcb). */
static struct kcp_pcb *kcptun_pcb;
static u8_t kcptun_started;
static struct kcp_codec *kcptun_codec;
/** Bytes the codec adds to every datagram (0 without one). */
static size_t kcptun_overhead;
static struct kcptun_sess *kcptun_sessions;
/** Client role: the sessions local connections go into in turn, as
 *  kcptun's client does (NULL: none yet, or it died), and whose turn it is. */
static struct kcptun_sess *kcptun_slots[KCPTUN_MAX_CONN];
static u32_t kcptun_turn;
/** Client role: freed sessions whose pcb kcptun_reap() is to remove. */
static struct kcptun_sess *kcptun_reaped;
/** kcp_pcbs held: the server's, or one per client session (live or reaped). */
static u32_t kcptun_npcbs;
/** Binding counters of the client pcbs already removed. */
static struct kcp_stats kcptun_kstats_gone;
static u32_t kcptun_nstreams;
/** Bytes in the rx of all streams (at most KCPTUN_HOLD_MAX). */
static u32_t kcptun_rx_held;
/** Frame being built, and its compressed form. */
static u8_t kcptun_frame[SMUX_HEADER_SIZE + KCPTUN_FRAME];
static u8_t *kcptun_comp;
/** The pcb kcptun_stream_free() last aborted: a TCP callback whose own pcb
 *  this is must return ERR_ABRT. */
static struct tcp_pcb *kcptun_aborted;

static struct {
  u32_t sessions, streams_opened, streams_refused, tcp_failed;
  u32_t proto_errors, comp_errors, keepalive_closed, scavenged;
  u64_t bytes_to_target, bytes_from_target;
} kcptun_stats;

void
kcptun_config_default(struct kcptun_config *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->listen_port = 29900;
  cfg->target_echo = 1;
  cfg->crypt = "aes";
  cfg->key = "it's a secrect";
  cfg->datashard = 10;
  cfg->parityshard = 3;
  cfg->mode = "fast";
  cfg->nodelay = 0;
  cfg->interval = 50;
  cfg->resend = 0;
  cfg->nc = 0;
  cfg->mtu = 1350;
  cfg->sndwnd = 0;
  cfg->rcvwnd = 0;
  cfg->smuxver = 1;
  cfg->smuxbuf = 4194304;
  cfg->streambuf = 2097152;
  cfg->keepalive = 10;
  cfg->max_sessions = 1024;
  cfg->conn = 1;
  cfg->autoexpire = 0;
  cfg->scavengettl = 600;
}

/**
 * Send one smux frame (header plus @p len bytes of @p data) on the
 * session's KCP session, compressed when configured.
 * @return ERR_OK, or ERR_MEM when the KCP send queue is full (nothing sent)
 */
static err_t
kcptun_send(struct kcptun_sess *ts, u8_t cmd, u32_t sid, const struct pbuf *data,
            u16_t len, const u8_t *raw)
{
  const u8_t *out = kcptun_frame;
  size_t n = SMUX_HEADER_SIZE + (size_t)len;

  smux_header_encode(kcptun_frame, (u8_t)kcptun_cfg.smuxver, cmd, len, sid);
  if (data != NULL) {
    pbuf_copy_partial(data, kcptun_frame + SMUX_HEADER_SIZE, len, 0);
  } else if (raw != NULL) {
    memcpy(kcptun_frame + SMUX_HEADER_SIZE, raw, len);
  }
  if (ts->dec != NULL) {
    struct snappyframe_enc saved = ts->enc;
    n = snappyframe_encode(&ts->enc, kcptun_frame, n, kcptun_comp);
    out = kcptun_comp;
    if (kcp_write(ts->ks, out, (u32_t)n) != ERR_OK) {
      ts->enc = saved; /* the stream identifier is still to be sent */
      return ERR_MEM;
    }
    return ERR_OK;
  }
  return kcp_write(ts->ks, out, (u32_t)n) == ERR_OK ? ERR_OK : ERR_MEM;
}

static struct kcptun_stream *
kcptun_stream_find(struct kcptun_sess *ts, u32_t sid)
{
  struct kcptun_stream *st;

  for (st = ts->streams; st != NULL; st = st->next) {
    if (st->sid == sid) {
      return st;
    }
  }
  return NULL;
}

static void
kcptun_tcp_detach(struct kcptun_stream *st)
{
  tcp_arg(st->pcb, NULL);
  tcp_recv(st->pcb, NULL);
  tcp_sent(st->pcb, NULL);
  tcp_err(st->pcb, NULL);
}

/** Count @p delta more (or fewer) peer bytes held in @p st's rx, in the
 *  stream's, its session's and the total held (kcptun_stream_hold()). */
static void
kcptun_stream_held(struct kcptun_stream *st, s32_t delta)
{
  st->rx_len += (u32_t)delta;
  st->sess->rx_held += (u32_t)delta;
  kcptun_rx_held += (u32_t)delta;
}

/** The one close path of a stream: unlink, release its TCP side (closed
 *  gracefully so that data already written reaches the target, aborted if
 *  that fails or @p abort), free what it holds. */
static void
kcptun_stream_free(struct kcptun_stream *st, int abort)
{
  struct kcptun_sess *ts = st->sess;
  struct kcptun_stream **pp;

  for (pp = &ts->streams; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == st) {
      *pp = st->next;
      break;
    }
  }
  if (st->pcb != NULL) {
    kcptun_tcp_detach(st);
    if (abort || tcp_close(st->pcb) != ERR_OK) {
      kcptun_aborted = st->pcb;
      tcp_abort(st->pcb);
    }
  }
  if (st->tx != NULL) {
    pbuf_free(st->tx);
  }
  kcptun_stream_held(st, -(s32_t)st->rx_len);
  while (st->rx != NULL) {
    struct kcptun_chunk *c = st->rx;
    st->rx = c->next;
    mem_free(c);
  }
  ts->nstreams--;
  kcptun_nstreams--;
  mem_free(st);
}

/** Add the counters of pcb to sum (kcp_stats_add()). gone: pcb is about
 *  to be removed, so what it holds now (sessions, segments held, its share
 *  and active count) no longer counts, only what it did. */
static void
kcptun_kstats_add(struct kcp_stats *sum, const struct kcp_pcb *pcb, int gone)
{
  struct kcp_stats ks;

  kcp_stats_get(pcb, &ks);
  if (gone) {
    ks.sessions = 0;
    ks.held = 0;
    ks.share = 0;
    ks.active = 0;
  }
  kcp_stats_add(sum, &ks);
}

/** Client role: remove the pcbs of the sessions freed since the last call,
 *  and the rest of those sessions (outside every callback of the binding). */
static void
kcptun_reap(void *arg)
{
  LWIP_UNUSED_ARG(arg);
  while (kcptun_reaped != NULL) {
    struct kcptun_sess *ts = kcptun_reaped;
    kcptun_reaped = ts->next;
    kcptun_kstats_add(&kcptun_kstats_gone, ts->own_pcb, 1);
    kcp_remove(ts->own_pcb);
    kcptun_npcbs--;
    mem_free(ts);
  }
}

/** The one close path of a session: its streams, its buffers, itself (a
 *  client session's pcb and memory a moment later, by kcptun_reap()). */
static void
kcptun_sess_free(struct kcptun_sess *ts, int close_kcp)
{
  struct kcptun_sess **pp;
  int i;

  while (ts->streams != NULL) {
    kcptun_stream_free(ts->streams, 1);
  }
  for (pp = &kcptun_sessions; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == ts) {
      *pp = ts->next;
      break;
    }
  }
  for (i = 0; i < KCPTUN_MAX_CONN; i++) {
    if (kcptun_slots[i] == ts) {
      kcptun_slots[i] = NULL;
    }
  }
  if (close_kcp) {
    kcp_close(ts->ks);
  }
  free(ts->dec);
  free(ts->held);
  kcptun_stats.sessions--;
  if (ts->own_pcb != NULL) {
    if (kcptun_reaped == NULL) {
      sys_timeout(0, kcptun_reap, NULL);
    }
    ts->next = kcptun_reaped;
    kcptun_reaped = ts;
    return;
  }
  mem_free(ts);
}

/* ---- TCP side of a stream ---- */

static void kcptun_sess_pump(struct kcptun_sess *ts);

/** Pump the session of @p st from a callback of @p pcb.
 *  @return what that callback must return: ERR_ABRT if @p pcb was aborted */
static err_t
kcptun_tcp_pump(struct kcptun_stream *st, struct tcp_pcb *pcb)
{
  kcptun_aborted = NULL;
  kcptun_sess_pump(st->sess);
  return kcptun_aborted == pcb ? ERR_ABRT : ERR_OK;
}

static err_t
kcptun_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
  struct kcptun_stream *st = (struct kcptun_stream *)arg;

  LWIP_UNUSED_ARG(err);
  if (st == NULL) {
    if (p != NULL) {
      pbuf_free(p);
    }
    return ERR_OK;
  }
  if (p == NULL) {
    st->tcp_eof = 1;
  } else if (st->tx == NULL) {
    st->tx = p;
  } else {
    pbuf_cat(st->tx, p);
  }
  return kcptun_tcp_pump(st, pcb);
}

static err_t
kcptun_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
  struct kcptun_stream *st = (struct kcptun_stream *)arg;

  LWIP_UNUSED_ARG(len);
  return st != NULL ? kcptun_tcp_pump(st, pcb) : ERR_OK;
}

static void
kcptun_tcp_err(void *arg, err_t err)
{
  struct kcptun_stream *st = (struct kcptun_stream *)arg;

  if (st != NULL) {
    /* The pcb is already freed by lwIP. */
    printf("kcptun: stream %" U32_F ": target connection failed (lwIP err %d)\n", st->sid, (int)err);
    st->pcb = NULL;
    st->tcp_eof = 1;
    kcptun_stats.tcp_failed++;
    kcptun_sess_pump(st->sess);
  }
}

static err_t
kcptun_tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
  LWIP_UNUSED_ARG(arg);
  LWIP_UNUSED_ARG(err);
  tcp_output(pcb);
  return ERR_OK;
}

/* ---- smux events ---- */

/** A new stream of @p ts with id @p sid, within the caps.
 *  @return it, or NULL at a cap or without memory */
static struct kcptun_stream *
kcptun_stream_new(struct kcptun_sess *ts, u32_t sid)
{
  struct kcptun_stream *st;

  if (ts->nstreams >= KCPTUN_MAX_STREAMS_PER_SESSION || kcptun_nstreams >= KCPTUN_MAX_STREAMS ||
      (st = (struct kcptun_stream *)mem_calloc(1, sizeof(*st))) == NULL) {
    kcptun_stats.streams_refused++;
    return NULL;
  }
  st->sess = ts;
  st->sid = sid;
  smux_window_init(&st->win);
  st->next = ts->streams;
  ts->streams = st;
  ts->nstreams++;
  kcptun_nstreams++;
  kcptun_stats.streams_opened++;
  return st;
}

/** Make @p pcb the TCP side of @p st. */
static void
kcptun_stream_attach(struct kcptun_stream *st, struct tcp_pcb *pcb)
{
  st->pcb = pcb;
  tcp_arg(pcb, st);
  tcp_recv(pcb, kcptun_tcp_recv);
  tcp_sent(pcb, kcptun_tcp_sent);
  tcp_err(pcb, kcptun_tcp_err);
}

/** A SYN: the server opens a stream to its target (or the echo); refused
 *  with FIN at the caps, and always in the client role. */
static void
kcptun_stream_open(struct kcptun_sess *ts, u32_t sid)
{
  struct kcptun_stream *st;
  struct tcp_pcb *pcb;

  if (kcptun_stream_find(ts, sid) != NULL) {
    return;
  }
  if (kcptun_cfg.remote_port != 0 || (st = kcptun_stream_new(ts, sid)) == NULL) {
    kcptun_send(ts, SMUX_CMD_FIN, sid, NULL, 0, NULL);
    return;
  }
  if (kcptun_cfg.target_echo) {
    return;
  }
  pcb = tcp_new_ip_type(IP_GET_TYPE(&kcptun_cfg.target_ip));
  if (pcb == NULL) {
    st->tcp_eof = 1;
    kcptun_stats.tcp_failed++;
    return;
  }
  kcptun_stream_attach(st, pcb);
  if (tcp_connect(pcb, &kcptun_cfg.target_ip, kcptun_cfg.target_port,
                  kcptun_tcp_connected) != ERR_OK) {
    kcptun_tcp_detach(st);
    tcp_abort(pcb);
    st->pcb = NULL;
    st->tcp_eof = 1;
    kcptun_stats.tcp_failed++;
  }
}

static void
kcptun_smux_frame(void *arg, u8_t cmd, u32_t sid)
{
  struct kcptun_sess *ts = (struct kcptun_sess *)arg;
  struct kcptun_stream *st;

  if (cmd == SMUX_CMD_SYN) {
    kcptun_stream_open(ts, sid);
  } else if (cmd == SMUX_CMD_FIN && (st = kcptun_stream_find(ts, sid)) != NULL) {
    st->fin_in = 1;
  }
}

static void
kcptun_smux_update(void *arg, u32_t sid, u32_t consumed, u32_t window)
{
  struct kcptun_sess *ts = (struct kcptun_sess *)arg;
  struct kcptun_stream *st = kcptun_stream_find(ts, sid);

  if (st != NULL) {
    smux_window_update(&st->win, consumed, window);
    if (smux_window_room(&st->win) < 0) {
      ts->dead = 1; /* consumed more than we sent */
    }
  }
}

/** Peer bytes of @p st into the target's TCP send buffer, or the echo's
 *  buffer, as far as they have room; dropped when the target is gone.
 *  @return bytes taken */
static size_t
kcptun_stream_deliver(struct kcptun_stream *st, const u8_t *buf, size_t len)
{
  size_t n = len;

  if (kcptun_cfg.target_echo) {
    struct pbuf *p;
    size_t have = st->tx != NULL ? st->tx->tot_len : 0;
    n = LWIP_MIN(n, KCPTUN_ECHO_BUF - have);
    if (n == 0 || (p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM)) == NULL) {
      return 0;
    }
    pbuf_take(p, buf, (u16_t)n);
    if (st->tx == NULL) {
      st->tx = p;
    } else {
      pbuf_cat(st->tx, p);
    }
  } else if (st->pcb != NULL) {
    n = LWIP_MIN(n, tcp_sndbuf(st->pcb));
    if (n == 0 || tcp_sndqueuelen(st->pcb) >= TCP_SND_QUEUELEN - 4 ||
        tcp_write(st->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) {
      return 0;
    }
    kcptun_stats.bytes_to_target += n;
  }
  /* else the target is gone: the bytes are dropped, FIN follows */
  if (kcptun_cfg.smuxver >= 2 && smux_window_consume(&st->win, (u32_t)n, kcptun_cfg.streambuf)) {
    st->upd_due = 1;
  }
  return n;
}

/** Version 2: hold @p len peer bytes of @p st that its TCP side has no
 *  room for, so that one slow stream does not stop its session's others.
 *  The peer sends no more than the window we advertise (or smux's initial
 *  one) beyond what the TCP side took, so a stream holds at most that; a
 *  session holds at most smuxbuf, all of them KCPTUN_HOLD_MAX.
 *  @return whether they are held (else nothing is: back-pressure on the
 *          whole session, as version 1 has it) */
static int
kcptun_stream_hold(struct kcptun_stream *st, const u8_t *buf, size_t len)
{
  struct kcptun_sess *ts = st->sess;
  u32_t window = LWIP_MAX(kcptun_cfg.streambuf, SMUX_INITIAL_PEER_WINDOW);
  struct kcptun_chunk *c;

  if (kcptun_cfg.smuxver < 2 || len > window - st->rx_len || len > kcptun_cfg.smuxbuf - ts->rx_held ||
      len > KCPTUN_HOLD_MAX - kcptun_rx_held) {
    return 0;
  }
  c = (struct kcptun_chunk *)mem_malloc((mem_size_t)(sizeof(*c) + len));
  if (c == NULL) {
    return 0;
  }
  c->next = NULL;
  c->len = (u32_t)len;
  c->off = 0;
  memcpy(c->data, buf, len);
  if (st->rx == NULL) {
    st->rx = c;
  } else {
    st->rx_tail->next = c;
  }
  st->rx_tail = c;
  kcptun_stream_held(st, (s32_t)len);
  return 1;
}

/** Move what @p st holds into its TCP side (or the echo) as it has room. */
static void
kcptun_stream_drain(struct kcptun_stream *st)
{
  while (st->rx != NULL) {
    struct kcptun_chunk *c = st->rx;
    size_t n = kcptun_stream_deliver(st, c->data + c->off, c->len - c->off);
    if (n == 0) {
      return;
    }
    c->off += (u32_t)n;
    kcptun_stream_held(st, -(s32_t)n);
    if (c->off == c->len) {
      st->rx = c->next;
      mem_free(c);
    }
  }
}

/** PSH bytes: into the target's TCP send buffer, or the echo's buffer,
 *  behind what the stream holds; what does not fit is held for the stream
 *  (version 2) or stays in KCP (back-pressure). */
static size_t
kcptun_smux_data(void *arg, u32_t sid, const u8_t *buf, size_t len)
{
  struct kcptun_sess *ts = (struct kcptun_sess *)arg;
  struct kcptun_stream *st = kcptun_stream_find(ts, sid);
  size_t n;

  if (st == NULL || st->fin_in || ts->dead) {
    return len; /* closed stream: dropped, as smux does */
  }
  n = st->rx == NULL ? kcptun_stream_deliver(st, buf, len) : 0;
  if (n < len && kcptun_stream_hold(st, buf + n, len - n)) {
    n = len;
  }
  return n;
}

static const struct smux_parser_ops kcptun_smux_ops = {
  kcptun_smux_frame, kcptun_smux_update, kcptun_smux_data
};

/* ---- pumping ---- */

/** Feed @p len input bytes through decompression to the parser.
 *  @return bytes taken */
static size_t
kcptun_sess_feed(struct kcptun_sess *ts, const u8_t *in, size_t len)
{
  size_t used = 0;

  if (ts->dec == NULL) {
    return smux_parser_input(&ts->parser, in, len, &kcptun_smux_ops, ts);
  }
  for (;;) {
    const u8_t *out;
    size_t n = snappyframe_output(ts->dec, &out);
    if (n > 0) {
      size_t took = smux_parser_input(&ts->parser, out, n, &kcptun_smux_ops, ts);
      snappyframe_output_taken(ts->dec, took);
      if (took < n || ts->parser.error != SMUX_OK) {
        return used;
      }
      continue;
    }
    if (used == len) {
      return used;
    }
    used += snappyframe_decode(ts->dec, in + used, len - used);
    if (ts->dec->error != SNAPPYFRAME_OK) {
      kcptun_stats.comp_errors++;
      ts->dead = 1;
      return used;
    }
  }
}

/** Move what each stream can send into KCP: owed window updates, PSH
 *  frames within the peer's window, and FIN when a side is done. */
static void
kcptun_sess_output(struct kcptun_sess *ts)
{
  struct kcptun_stream *st, *next;

  for (st = ts->streams; st != NULL && !ts->dead; st = next) {
    next = st->next;
    if (st->upd_due) {
      u8_t upd[SMUX_UPD_SIZE];
      smux_update_encode(kcptun_frame, st->sid, st->win.consumed, kcptun_cfg.streambuf);
      memcpy(upd, kcptun_frame + SMUX_HEADER_SIZE, SMUX_UPD_SIZE);
      if (kcptun_send(ts, SMUX_CMD_UPD, st->sid, NULL, SMUX_UPD_SIZE, upd) != ERR_OK) {
        return;
      }
      st->upd_due = 0;
    }
    while (st->tx != NULL) {
      u16_t n = (u16_t)LWIP_MIN(st->tx->tot_len, KCPTUN_FRAME);
      if (kcptun_cfg.smuxver >= 2) {
        s64_t room = smux_window_room(&st->win);
        n = (u16_t)LWIP_MIN((s64_t)n, LWIP_MAX(room, 0));
        if (n == 0) {
          break;
        }
      }
      if (kcptun_send(ts, SMUX_CMD_PSH, st->sid, st->tx, n, NULL) != ERR_OK) {
        return;
      }
      smux_window_sent(&st->win, n);
      st->tx = pbuf_free_header(st->tx, n);
      if (st->pcb != NULL) {
        tcp_recved(st->pcb, n);
        kcptun_stats.bytes_from_target += n;
      }
    }
    /* kcptun ends both directions when either ends: after the peer's FIN
       once what the stream held has gone to the target (or the echo) and
       the echo has sent back what it had, or at once when the echo cannot
       (smux 2: the peer's window is full, and a peer that has sent FIN
       reads no more); after the target's end once its data has left. */
    if ((st->fin_in && ((st->rx == NULL && (st->pcb != NULL || st->tx == NULL)) ||
                        (kcptun_cfg.target_echo && kcptun_cfg.smuxver >= 2 &&
                         smux_window_room(&st->win) == 0))) ||
        (st->tcp_eof && st->tx == NULL)) {
      if (kcptun_send(ts, SMUX_CMD_FIN, st->sid, NULL, 0, NULL) != ERR_OK) {
        return;
      }
      kcptun_stream_free(st, 0);
    }
  }
}

/** Advance everything a session can do now; free it if it broke. */
static void
kcptun_sess_pump(struct kcptun_sess *ts)
{
  struct kcptun_stream *st;

  if (ts->busy) {
    return;
  }
  ts->busy = 1;
  for (st = ts->streams; st != NULL && ts->rx_held > 0; st = st->next) {
    kcptun_stream_drain(st);
  }
  if (ts->held_len > 0) {
    size_t n = kcptun_sess_feed(ts, ts->held + ts->held_off, ts->held_len);
    ts->held_off += n;
    ts->held_len -= n;
  } else if (ts->dec != NULL) {
    kcptun_sess_feed(ts, NULL, 0); /* decoded bytes still waiting */
  }
  if (ts->parser.error != SMUX_OK) {
    kcptun_stats.proto_errors++;
    ts->dead = 1;
  }
  kcptun_sess_output(ts);
  for (st = ts->streams; st != NULL; st = st->next) {
    if (st->pcb != NULL) {
      tcp_output(st->pcb);
    }
  }
  ts->busy = 0;
  if (ts->dead) {
    printf("kcptun: session closed: %s\n",
           ts->parser.error != SMUX_OK ? "smux protocol error (version mismatch?)" :
           ts->dec != NULL && ts->dec->error != SNAPPYFRAME_OK ?
           "bad compressed stream (compression mismatch?)" : "smux window violated");
    kcptun_sess_free(ts, 1);
  }
}

/* ---- KCP side ---- */

static err_t
kcptun_kcp_recv(void *arg, struct kcp_session *s, const void *data, u32_t len)
{
  struct kcptun_sess *ts = (struct kcptun_sess *)arg;
  size_t n;

  LWIP_UNUSED_ARG(s);
  if (ts->held_len > 0 || ts->busy) {
    return ERR_MEM; /* still working on earlier input: keep it in KCP */
  }
  ts->busy = 1;
  n = kcptun_sess_feed(ts, (const u8_t *)data, len);
  ts->busy = 0;
  if (n < len && !ts->dead && ts->parser.error == SMUX_OK) {
    u8_t *held = (u8_t *)realloc(ts->held, len - n);
    if (held == NULL) {
      ts->dead = 1;
    } else {
      memcpy(held, (const u8_t *)data + n, len - n);
      ts->held = held;
      ts->held_off = 0;
      ts->held_len = len - n;
    }
  }
  if (ts->dead || ts->parser.error != SMUX_OK) {
    kcptun_sess_pump(ts); /* reports and frees */
    return ERR_ABRT;
  }
  kcptun_sess_pump(ts);
  return ERR_OK;
}

static void
kcptun_kcp_sent(void *arg, struct kcp_session *s, u32_t space)
{
  LWIP_UNUSED_ARG(s);
  LWIP_UNUSED_ARG(space);
  kcptun_sess_pump((struct kcptun_sess *)arg);
}

static void
kcptun_kcp_err(void *arg, err_t err)
{
  LWIP_UNUSED_ARG(err);
  kcptun_sess_free((struct kcptun_sess *)arg, 0);
}

/** Set up the engine of @p s as kcptun does and give it a smux session.
 *  @return the new session, or NULL (ERR_MEM or a refused setting) */
static struct kcptun_sess *
kcptun_sess_new(struct kcp_session *s)
{
  ikcpcb *kcp = kcp_session_ikcp(s);
  struct kcptun_sess *ts;
  int r;

  if (kcp == NULL) {
    return NULL;
  }
  if (strcmp(kcptun_cfg.mode, "manual") == 0) {
    r = ikcp_nodelay(kcp, kcptun_cfg.nodelay, kcptun_cfg.interval, kcptun_cfg.resend,
                     kcptun_cfg.nc);
  } else {
    r = ikcp_profile(kcp, kcptun_cfg.mode);
  }
  /* kcptun's mtu is the datagram's; the codec's headers come off it, as
     kcp-go's SetMtu does. */
  if (r != 0 || ikcp_wndsize(kcp, kcptun_cfg.sndwnd, kcptun_cfg.rcvwnd) != 0 ||
      ikcp_setmtu(kcp, kcptun_cfg.mtu - (int)kcptun_overhead) != 0) {
    return NULL;
  }
  kcp->stream = 1;
  ts = (struct kcptun_sess *)mem_calloc(1, sizeof(*ts));
  if (ts == NULL) {
    return NULL;
  }
  if (!kcptun_cfg.nocomp) {
    ts->dec = (struct snappyframe_dec *)malloc(sizeof(*ts->dec));
    if (ts->dec == NULL) {
      mem_free(ts);
      return NULL;
    }
    snappyframe_dec_init(ts->dec);
    snappyframe_enc_init(&ts->enc);
  }
  ts->ks = s;
  ts->next_sid = 1; /* a client's streams are odd, from 3 */
  smux_parser_init(&ts->parser, (u8_t)kcptun_cfg.smuxver);
  ts->next = kcptun_sessions;
  kcptun_sessions = ts;
  kcptun_stats.sessions++;
  kcp_session_arg(s, ts);
  kcp_recv(s, kcptun_kcp_recv);
  kcp_sent(s, kcptun_kcp_sent);
  kcp_err(s, kcptun_kcp_err);
  return ts;
}

static err_t
kcptun_accept(void *arg, struct kcp_session *s, err_t err)
{
  ip_addr_t peer;

  LWIP_UNUSED_ARG(arg);
  if (err != ERR_OK) {
    return ERR_VAL;
  }
  kcp_session_peer(s, &peer, NULL);
  if (ipsrc_is_bogus(&peer)) {
    return ERR_VAL;
  }
  return kcptun_sess_new(s) != NULL ? ERR_OK : ERR_MEM;
}

/** A kcp_pcb with our settings: the codec, the session cap, an idle timeout
 *  of three keepalive periods, and room for two send windows.
 *  @return it, or NULL without memory */
static struct kcp_pcb *
kcptun_pcb_new(void)
{
  struct kcp_pcb *pcb = kcp_new();

  if (pcb != NULL) {
    kcp_set_codec(pcb, kcptun_codec);
    kcp_set_ack_nodelay(pcb, kcptun_cfg.acknodelay);
    kcp_set_max_sessions(pcb, kcptun_cfg.max_sessions);
    kcp_set_idle(pcb, 3 * kcptun_cfg.keepalive * 1000);
    kcp_set_sndq_max(pcb, LWIP_MAX(KCP_DEFAULT_SNDQ_MAX, 2 * (u32_t)kcptun_cfg.sndwnd));
  }
  return pcb;
}

/** Client role: a new KCP session to the server, on a kcp_pcb (a UDP port)
 *  of its own: kcp-go's server tells its clients apart by address alone, and
 *  kcptun's client dials a new socket for each session.
 *  @return the session, or NULL (no memory, or max_sessions reached) */
static struct kcptun_sess *
kcptun_client_open(void)
{
  struct kcp_pcb *pcb;
  struct kcp_session *s;
  struct kcptun_sess *ts;

  if (kcptun_stats.sessions >= kcptun_cfg.max_sessions || (pcb = kcptun_pcb_new()) == NULL) {
    return NULL;
  }
  if (kcp_connect(pcb, &kcptun_cfg.remote_ip, kcptun_cfg.remote_port, LWIP_RAND(), &s) != ERR_OK) {
    kcp_remove(pcb);
    return NULL;
  }
  ts = kcptun_sess_new(s);
  if (ts == NULL) {
    kcp_close(s);
    kcp_remove(pcb);
    return NULL;
  }
  ts->own_pcb = pcb;
  kcptun_npcbs++;
  ts->expire_at = sys_now() + kcptun_cfg.autoexpire * 1000;
  return ts;
}

/** Client role: a local TCP connection becomes a stream of the session
 *  whose turn it is, as in kcptun's client: that session is opened first
 *  when there is none, it died, or (autoexpire) it expired; an expired one
 *  keeps its streams until kcptun_scavenge() closes it. */
static err_t
kcptun_tcp_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
  struct kcptun_sess **slot;
  struct kcptun_stream *st;
  u32_t sid;

  LWIP_UNUSED_ARG(arg);
  if (err != ERR_OK || pcb == NULL) {
    return ERR_VAL;
  }
  slot = &kcptun_slots[kcptun_turn++ % (u32_t)kcptun_cfg.conn];
  if (*slot == NULL ||
      (kcptun_cfg.autoexpire > 0 && (s32_t)(sys_now() - (*slot)->expire_at) >= 0)) {
    struct kcptun_sess *ts = kcptun_client_open();
    if (ts != NULL) {
      *slot = ts;
    } else if (*slot == NULL) {
      return ERR_MEM;
    } /* else at the cap: the expired session takes this stream too */
  }
  sid = smux_sid_next(&(*slot)->next_sid);
  if (sid == 0 || (st = kcptun_stream_new(*slot, sid)) == NULL) {
    return ERR_MEM;
  }
  if (kcptun_send(*slot, SMUX_CMD_SYN, sid, NULL, 0, NULL) != ERR_OK) {
    kcptun_stream_free(st, 0);
    return ERR_MEM;
  }
  kcptun_stream_attach(st, pcb);
  return ERR_OK;
}

/** Client role with autoexpire: close every session scavengettl seconds
 *  after it expired, as kcptun's scavenger does, checked every second. */
static void
kcptun_scavenge(void *arg)
{
  struct kcptun_sess *ts, *next;
  u32_t now = sys_now();

  LWIP_UNUSED_ARG(arg);
  for (ts = kcptun_sessions; ts != NULL; ts = next) {
    next = ts->next;
    if ((s32_t)(now - ts->expire_at) >= (s32_t)(kcptun_cfg.scavengettl * 1000)) {
      kcptun_stats.scavenged++;
      kcptun_sess_free(ts, 1);
    }
  }
  sys_timeout(1000, kcptun_scavenge, NULL);
}

/** Keepalive: a NOP to every session each period; a session that sent no
 *  frame for three periods is gone (smux's default timeout of 30 s for
 *  kcptun's 10 s keepalive). */
static void
kcptun_keepalive(void *arg)
{
  struct kcptun_sess *ts, *next;

  LWIP_UNUSED_ARG(arg);
  for (ts = kcptun_sessions; ts != NULL; ts = next) {
    next = ts->next;
    if (ts->parser.frames != ts->frames_seen || ts->held_len > 0) {
      ts->frames_seen = ts->parser.frames;
      ts->idle_ticks = 0;
    } else if (++ts->idle_ticks >= 3) {
      kcptun_stats.keepalive_closed++;
      kcptun_sess_free(ts, 1);
      continue;
    }
    kcptun_send(ts, SMUX_CMD_NOP, 0, NULL, 0, NULL);
  }
  sys_timeout(kcptun_cfg.keepalive * 1000, kcptun_keepalive, NULL);
}

/** Client role: listen on TCP @p port of every address. */
static err_t
kcptun_listen_tcp(u16_t port)
{
  struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY), *lpcb;
  err_t err;

  if (pcb == NULL) {
    return ERR_MEM;
  }
  err = tcp_bind(pcb, IP_ANY_TYPE, port);
  if (err != ERR_OK) {
    tcp_close(pcb);
    return err;
  }
  lpcb = tcp_listen(pcb);
  if (lpcb == NULL) {
    tcp_close(pcb);
    return ERR_MEM;
  }
  tcp_accept(lpcb, kcptun_tcp_accept);
  return ERR_OK;
}

err_t
kcptun_init(const struct kcptun_config *cfg)
{
  struct kcp_pcb *pcb;
  err_t err;

  LWIP_ASSERT_CORE_LOCKED();
  if (kcptun_started) {
    return ERR_USE;
  }
  if (cfg == NULL || (cfg->listen_port == 0) == (cfg->remote_port == 0) ||
      (cfg->remote_port != 0 && cfg->local_port == 0) ||
      (cfg->smuxver != 1 && cfg->smuxver != 2) ||
      cfg->mtu < 50 || cfg->mtu > KCP_DGRAM_MAX || cfg->sndwnd < 0 || cfg->rcvwnd < 0 ||
      cfg->sndwnd > 32768 || cfg->rcvwnd > 32768 || cfg->keepalive < 1 ||
      cfg->keepalive > 3600 || cfg->streambuf < 1 || cfg->smuxbuf < cfg->streambuf ||
      cfg->streambuf > 0x7fffffffUL || cfg->max_sessions < 1 || cfg->mode == NULL ||
      cfg->conn < 1 || cfg->conn > KCPTUN_MAX_CONN || cfg->autoexpire > KCPTUN_MAX_EXPIRE ||
      cfg->scavengettl > KCPTUN_MAX_EXPIRE ||
      (cfg->listen_port != 0 && !cfg->target_echo && cfg->target_port == 0)) {
    return ERR_VAL;
  }
  kcptun_cfg = *cfg;
  if (cfg->remote_port != 0) {
    kcptun_cfg.target_echo = 0; /* a client's streams end in its local TCP */
  }
  if (kcptun_cfg.sndwnd == 0) {
    kcptun_cfg.sndwnd = cfg->remote_port != 0 ? 128 : 1024;
  }
  if (kcptun_cfg.rcvwnd == 0) {
    kcptun_cfg.rcvwnd = cfg->remote_port != 0 ? 512 : 1024;
  }
  if (cfg->crypt != NULL) {
    struct kcp_codec_config cc;
    const char *why;
    cc.crypt = cfg->crypt;
    cc.key = cfg->key;
    cc.datashard = cfg->datashard;
    cc.parityshard = cfg->parityshard;
    if (kcp_codec_config_check(&cc, &why) != 0 ||
        (size_t)cfg->mtu < 50 + kcp_codec_config_overhead(&cc)) {
      return ERR_VAL;
    }
    kcptun_overhead = kcp_codec_config_overhead(&cc);
    kcptun_codec = kcp_codec_new(&cc);
    if (kcptun_codec == NULL) {
      return ERR_MEM;
    }
  }
  kcptun_comp = (u8_t *)malloc(snappyframe_encode_bound(sizeof(kcptun_frame)));
  pcb = NULL;
  if (kcptun_comp == NULL) {
    err = ERR_MEM;
  } else if (cfg->listen_port != 0) {
    /* the server's one pcb; a client has one per session */
    pcb = kcptun_pcb_new();
    err = pcb == NULL ? ERR_MEM : kcp_bind(pcb, IP_ANY_TYPE, cfg->listen_port);
  } else {
    err = kcptun_listen_tcp(cfg->local_port);
  }
  if (err != ERR_OK) {
    if (pcb != NULL) {
      kcp_remove(pcb);
    }
    free(kcptun_comp);
    kcptun_comp = NULL;
    kcp_codec_free(kcptun_codec);
    kcptun_codec = NULL;
    return err;
  }
  if (pcb != NULL) {
    kcp_accept(pcb, kcptun_accept);
    kcptun_npcbs = 1;
  }
  kcptun_pcb = pcb;
  kcptun_started = 1;
  sys_timeout(cfg->keepalive * 1000, kcptun_keepalive, NULL);
  if (cfg->remote_port != 0 && cfg->autoexpire > 0) {
    sys_timeout(1000, kcptun_scavenge, NULL);
  }
  return ERR_OK;
}

/** The tunnel's counters in three groups: "kcptun kcp" (its KCP pcbs
 *  summed, under the names kcpecho uses), "kcptun codec", and "kcptun"
 *  (its own: sessions, streams, bytes) last, so a reader that waits for the
 *  "kcptun" line has the other two. */
void
kcptun_counters(struct counters *c)
{
  struct kcp_stats ks = kcptun_kstats_gone;
  struct kcptun_sess *ts;

  LWIP_ASSERT_CORE_LOCKED();
  if (!kcptun_started) {
    return;
  }
  if (kcptun_pcb != NULL) {
    kcptun_kstats_add(&ks, kcptun_pcb, 0);
  }
  for (ts = kcptun_sessions; ts != NULL; ts = ts->next) {
    if (ts->own_pcb != NULL) {
      kcptun_kstats_add(&ks, ts->own_pcb, 0);
    }
  }
  for (ts = kcptun_reaped; ts != NULL; ts = ts->next) {
    kcptun_kstats_add(&ks, ts->own_pcb, 0);
  }
  counters_group(c, "kcptun kcp");
  kcpcounters_add_stats(c, &ks);
  kcpcounters_add_codec(c, "kcptun codec", kcptun_codec);
  counters_group(c, "kcptun");
  counters_add(c, "sessions", kcptun_stats.sessions);
  counters_add(c, "streams", kcptun_nstreams);
  counters_add(c, "opened", kcptun_stats.streams_opened);
  counters_add(c, "streams_refused", kcptun_stats.streams_refused);
  counters_add(c, "tcp_failed", kcptun_stats.tcp_failed);
  counters_add(c, "proto_errors", kcptun_stats.proto_errors);
  counters_add(c, "comp_errors", kcptun_stats.comp_errors);
  counters_add(c, "keepalive_closed", kcptun_stats.keepalive_closed);
  counters_add(c, "scavenged", kcptun_stats.scavenged);
  counters_add(c, "pcbs", kcptun_npcbs);
  counters_add(c, "to_tcp", kcptun_stats.bytes_to_target);
  counters_add(c, "from_tcp", kcptun_stats.bytes_from_target);
  counters_add(c, "stream_held", kcptun_rx_held);
}
