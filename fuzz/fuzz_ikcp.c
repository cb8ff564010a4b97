/**
 * @file
 * libFuzzer target for the KCP engine (kcp/ikcp.c).
 *
 * The input is a program run against two control blocks of one conversation
 * joined by an emulated link: each op sends, receives, advances the clock,
 * flushes, reconfigures one side, or moves, drops, duplicates, reorders or
 * corrupts the datagrams in flight, or feeds a side a raw or a forged
 * datagram. Forged segments are built from fields near the victim's own
 * state (its conv, sn around rcv_nxt, una around snd_una) so that the fuzzer
 * reaches windows, retransmission and reassembly instead of stopping at the
 * conv check.
 *
 * After every op both sides are checked, and a violation aborts:
 * - every datagram a side outputs parses as whole segments of its conv, no
 *   longer than its mtu (except a lone segment cut before the mtu shrank),
 *   carrying its rcv_nxt as una and in-flight sns;
 * - snd_una <= snd_nxt, the flight fits the largest send window set, the
 *   receive buffers fit the largest receive window set;
 * - ikcp_check() asks for an update within one interval;
 * - ikcp_getstats() counts exactly the bytes and segments the output
 *   callback carried, and its other counters stay consistent;
 * - ikcp_recv() never returns more than the buffer, agrees with
 *   ikcp_peeksize(), and an error return consumes nothing;
 * - while no forged datagram reached a side, what it receives is exactly
 *   what its peer sent: same bytes, same message boundaries;
 * - the engine's live heap (counted through ikcp_allocator) stays within a
 *   bound computed from its queues, and is zero after ikcp_release.
 * Allocation failures are injected on request, and idle memory is given
 * back with ikcp_trim() at any point; the engine must survive both.
 */
#include "ikcp.h"
#include "fuzz_reader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Datagrams in flight per direction; a full link drops the oldest. */
#define FI_LINK_LEN   64
/** Messages remembered per direction for the boundary check. */
#define FI_MAX_MSGS   1024
/** Bytes the engine may spend per queued segment beyond its payload. */
#define FI_SEG_COST   160
/** Bytes the engine may spend per control block beyond its segments. */
#define FI_KCP_COST   4096
/** Bytes the engine may spend per slot of its send and receive windows. */
#define FI_WND_COST   128

struct fi_dgram {
  uint8_t *data;
  int len;
};

/** One control block, the datagrams it sent, and what it sent and received. */
struct fi_side {
  ikcpcb *kcp;
  int id;
  struct fi_dgram link[FI_LINK_LEN]; /**< its outputs, not yet delivered */
  unsigned link_head, link_count;
  uint64_t sent_off;                 /**< stream offset of its next byte sent */
  uint32_t msgs[FI_MAX_MSGS];        /**< lengths of its messages in flight */
  unsigned msg_head, msg_count;
  uint64_t recv_off;                 /**< stream offset of its next byte received */
  int clean;                         /**< no forged datagram reached it */
  uint64_t bytes_out, segs_out;      /**< what its output callback carried */
  uint64_t bytes_in;                 /**< datagram bytes fed to its ikcp_input */
  IUINT32 max_snd_wnd, max_rcv_wnd, max_mtu;
  IUINT32 asked_wnd;                 /**< largest window ever asked for */
  size_t max_in;                     /**< largest datagram fed to its ikcp_input */
};

static struct {
  struct fi_side side[2];
  IUINT32 now;
  uint32_t fail_mask;  /**< bit i set: the i-th next allocation fails */
  size_t live_bytes;   /**< engine heap in use */
  size_t live_blocks;
  IUINT32 cc_cwnd;     /**< what the fuzzer's congestion control sets cwnd to */
} fi;

static void fi_fail(const char *what) __attribute__((noreturn));

static void
fi_fail(const char *what)
{
  fprintf(stderr, "fuzz_ikcp: invariant broken: %s\n", what);
  abort();
}

/* ---- counting allocator ---- */

/** Room for the size in front of each block, keeping malloc's alignment. */
#define FI_HDR 16

static void *
fi_malloc(size_t n)
{
  unsigned char *p;
  int fail = fi.fail_mask & 1;

  fi.fail_mask >>= 1;
  if (fail) {
    return NULL;
  }
  p = malloc(n + FI_HDR);
  if (p == NULL) {
    return NULL;
  }
  memcpy(p, &n, sizeof(n));
  fi.live_bytes += n;
  fi.live_blocks++;
  return p + FI_HDR;
}

static void
fi_free(void *ptr)
{
  unsigned char *p;
  size_t n;

  if (ptr == NULL) {
    return;
  }
  p = (unsigned char *)ptr - FI_HDR;
  memcpy(&n, p, sizeof(n));
  if (fi.live_blocks == 0 || n > fi.live_bytes) {
    fi_fail("engine freed a block it did not allocate");
  }
  fi.live_bytes -= n;
  fi.live_blocks--;
  free(p);
}

/* ---- payload pattern: byte k of a side's stream is known to the receiver ---- */

static uint8_t
fi_pattern(int id, uint64_t off)
{
  uint32_t x = (uint32_t)off ^ (uint32_t)(off >> 32);

  x *= 0x9e3779b1u;
  return (uint8_t)((x >> 24) ^ (uint32_t)(id * 0x5b));
}

static uint32_t
fi_get32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
fi_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static int32_t
fi_diff(IUINT32 later, IUINT32 earlier)
{
  return (int32_t)(later - earlier);
}

/* ---- the link ---- */

/** Check one datagram the engine output against what the wire format allows. */
static void
fi_check_wire(struct fi_side *s, const uint8_t *p, int len)
{
  const ikcpcb *k = s->kcp;

  if (len < IKCP_OVERHEAD) {
    fi_fail("datagram shorter than one header");
  }
  while (len > 0) {
    uint8_t cmd, frg;
    uint16_t wnd;
    uint32_t sn, una, dlen;

    if (len < IKCP_OVERHEAD) {
      fi_fail("datagram ends inside a header");
    }
    cmd = p[IKCP_CMD_OFFSET];
    frg = p[IKCP_FRG_OFFSET];
    wnd = (uint16_t)(p[IKCP_WND_OFFSET] | p[IKCP_WND_OFFSET + 1] << 8);
    sn = fi_get32(p + IKCP_SN_OFFSET);
    una = fi_get32(p + IKCP_UNA_OFFSET);
    dlen = fi_get32(p + IKCP_LEN_OFFSET);
    if (fi_get32(p) != k->conv || ikcp_getconv(p) != k->conv) {
      fi_fail("segment with a foreign conv");
    }
    if (cmd < IKCP_CMD_PUSH || cmd > IKCP_CMD_WINS) {
      fi_fail("segment with an unknown cmd");
    }
    if (dlen > (uint32_t)(len - IKCP_OVERHEAD)) {
      fi_fail("segment len past the datagram");
    }
    if (una != k->rcv_nxt) {
      fi_fail("segment una is not the sender's rcv_nxt");
    }
    if (wnd > s->max_rcv_wnd) {
      fi_fail("segment wnd above the receive window");
    }
    if (cmd == IKCP_CMD_PUSH) {
      if (fi_diff(sn, k->snd_una) < 0 || fi_diff(k->snd_nxt, sn) <= 0) {
        fi_fail("PUSH sn outside [snd_una, snd_nxt)");
      }
      if (dlen > s->max_mtu - IKCP_OVERHEAD) {
        fi_fail("PUSH payload above mss");
      }
      if (k->stream ? frg != 0 : frg >= 128) {
        fi_fail("PUSH frg impossible for the mode");
      }
    } else if (dlen != 0) {
      fi_fail("non-PUSH segment with payload");
    }
    p += IKCP_OVERHEAD + dlen;
    len -= IKCP_OVERHEAD + (int)dlen;
    s->segs_out++;
  }
}

static int
fi_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct fi_side *s = user;
  struct fi_dgram *d;

  if (kcp != s->kcp) {
    fi_fail("output called with another control block");
  }
  if (len > (int)s->max_mtu) {
    fi_fail("datagram longer than any mtu set");
  }
  fi_check_wire(s, (const uint8_t *)buf, len);
  if (len > (int)kcp->mtu && (uint32_t)len != IKCP_OVERHEAD + fi_get32((const uint8_t *)buf + IKCP_LEN_OFFSET)) {
    fi_fail("datagram above mtu holding more than one segment cut for an older mtu");
  }
  s->bytes_out += (uint64_t)len;
  if (s->link_count == FI_LINK_LEN) {
    free(s->link[s->link_head].data);
    s->link_head = (s->link_head + 1) % FI_LINK_LEN;
    s->link_count--;
  }
  d = &s->link[(s->link_head + s->link_count) % FI_LINK_LEN];
  d->data = malloc((size_t)len);
  if (d->data == NULL) {
    fi_fail("harness out of memory");
  }
  memcpy(d->data, buf, (size_t)len);
  d->len = len;
  s->link_count++;
  return 0;
}

static void
fi_writelog(const char *log, ikcpcb *kcp, void *user)
{
  (void)kcp;
  (void)user;
  if (strlen(log) > 4096) {
    fi_fail("log line too long");
  }
}

/** Remove the datagram at position @p i of @p s's link; the caller owns it. */
static struct fi_dgram
fi_link_take(struct fi_side *s, unsigned i)
{
  unsigned at = (s->link_head + i) % FI_LINK_LEN;
  struct fi_dgram d = s->link[at];
  unsigned j;

  for (j = i; j > 0; j--) {
    s->link[(s->link_head + j) % FI_LINK_LEN] = s->link[(s->link_head + j - 1) % FI_LINK_LEN];
  }
  s->link_head = (s->link_head + 1) % FI_LINK_LEN;
  s->link_count--;
  return d;
}

/**
 * Feed a datagram the peer really sent: the engine must take it whole, or
 * drop a segment for want of memory (then the peer resends it).
 */
static void
fi_input_genuine(struct fi_side *to, const uint8_t *data, int len)
{
  int rc = ikcp_input(to->kcp, (const char *)data, len);

  to->bytes_in += (uint64_t)len;
  if ((size_t)len > to->max_in) {
    to->max_in = (size_t)len;
  }
  if (rc != 0 && rc != IKCP_ENOMEM) {
    fi_fail("ikcp_input rejected a datagram of its peer");
  }
}

/** Feed a datagram the peer did not send as is: anything may be in it. */
static void
fi_input_forged(struct fi_side *to, const uint8_t *data, long len)
{
  to->clean = 0;
  if (len > 0) {
    to->bytes_in += (uint64_t)len;
    if ((size_t)len > to->max_in) {
      to->max_in = (size_t)len;
    }
  }
  (void)ikcp_input(to->kcp, (const char *)data, len);
}

/* ---- checks after every op ---- */

static void
fi_check_side(struct fi_side *s)
{
  ikcpcb *k = s->kcp;
  int32_t flight = fi_diff(k->snd_nxt, k->snd_una);
  int32_t wake;
  IKCPSTATS st;

  if (flight < 0) {
    fi_fail("snd_una beyond snd_nxt");
  }
  if ((IUINT32)flight > s->max_snd_wnd) {
    fi_fail("more in flight than the send window");
  }
  if (k->nsnd_buf > (IUINT32)flight) {
    fi_fail("send buffer holds more than snd_nxt - snd_una");
  }
  if (k->nrcv_buf > s->max_rcv_wnd || k->nrcv_que > s->max_rcv_wnd) {
    fi_fail("receive buffer or queue above the receive window");
  }
  if (k->mss != k->mtu - IKCP_OVERHEAD) {
    fi_fail("mss is not mtu - 24");
  }
  if (k->interval < 10 || k->interval > 5000) {
    fi_fail("interval outside 10..5000");
  }
  if (k->rx_rto <= 0 || k->rx_rto > 60000 || k->rx_srtt < 0 || k->rx_rttval < 0) {
    fi_fail("RTT estimator out of range");
  }
  if (k->state != 0 && k->state != (IUINT32)-1) {
    fi_fail("state neither 0 nor -1");
  }
  ikcp_getstats(k, &st);
  if (st.bytes_out != s->bytes_out || st.segs_out != s->segs_out) {
    fi_fail("stats bytes_out/segs_out differ from what output carried");
  }
  if (st.bytes_in > s->bytes_in || st.data_segs_in > st.segs_in
      || st.data_segs_out > st.segs_out
      || st.retrans_timeout + st.retrans_fast > st.data_segs_out
      || st.dup_segs > st.data_segs_in) {
    fi_fail("stats counters inconsistent");
  }
  if (ikcp_waitsnd(k) != (int)(k->nsnd_buf + k->nsnd_que)) {
    fi_fail("ikcp_waitsnd is not nsnd_buf + nsnd_que");
  }
  wake = fi_diff(ikcp_check(k, fi.now), fi.now);
  if (wake < 0 || (IUINT32)wake > k->interval) {
    fi_fail("ikcp_check outside [now, now + interval]");
  }
}

static void
fi_check_memory(void)
{
  size_t bound = 0;
  int i;

  for (i = 0; i < 2; i++) {
    const struct fi_side *s = &fi.side[i];
    const ikcpcb *k = s->kcp;
    size_t segs = (size_t)k->nsnd_que + k->nsnd_buf + k->nrcv_que + k->nrcv_buf;
    /* a received segment is as large as the datagram that carried it */
    size_t seg_max = s->max_in > s->max_mtu ? s->max_in : s->max_mtu;

    bound += FI_KCP_COST + 3 * ((size_t)s->max_mtu + IKCP_OVERHEAD);
    bound += segs * (FI_SEG_COST + seg_max);
    bound += FI_WND_COST * ((size_t)s->max_snd_wnd + s->max_rcv_wnd + 2 * s->asked_wnd);
  }
  if (fi.live_bytes > bound) {
    fi_fail("engine heap above the bound of its queues");
  }
}

static void
fi_note_config(struct fi_side *s)
{
  if (s->kcp->snd_wnd > s->max_snd_wnd) {
    s->max_snd_wnd = s->kcp->snd_wnd;
  }
  if (s->kcp->rcv_wnd > s->max_rcv_wnd) {
    s->max_rcv_wnd = s->kcp->rcv_wnd;
  }
  if (s->kcp->mtu > s->max_mtu) {
    s->max_mtu = s->kcp->mtu;
  }
}

/* ---- ops ---- */

static void
fi_op_send(struct fi_side *s, struct fuzz_reader *r)
{
  uint16_t v = fuzz_reader_u16(r);
  int len = v >> 1;
  int waitsnd_before = ikcp_waitsnd(s->kcp);
  char *buf;
  int i, rc;

  if (v & 1) {
    if (ikcp_send(s->kcp, "", -1 - len) >= 0) {
      fi_fail("ikcp_send accepted a negative length");
    }
    return;
  }
  if (s->msg_count == FI_MAX_MSGS) {
    return;
  }
  buf = malloc((size_t)len + 1);
  if (buf == NULL) {
    fi_fail("harness out of memory");
  }
  for (i = 0; i < len; i++) {
    buf[i] = (char)fi_pattern(s->id, s->sent_off + (uint64_t)i);
  }
  rc = ikcp_send(s->kcp, buf, len);
  free(buf);
  if (rc < 0) {
    if (ikcp_waitsnd(s->kcp) != waitsnd_before) {
      fi_fail("failed ikcp_send changed the send queue");
    }
    return;
  }
  if (rc != len) {
    fi_fail("ikcp_send queued a different number of bytes");
  }
  s->sent_off += (uint64_t)len;
  if (!s->kcp->stream && ikcp_waitsnd(s->kcp) != waitsnd_before) {
    s->msgs[(s->msg_head + s->msg_count) % FI_MAX_MSGS] = (uint32_t)len;
    s->msg_count++;
  }
}

/**
 * Check received bytes against what the peer sent, and consume them;
 * @p buf NULL: a message consumed unread, only its length is checked.
 */
static void
fi_account_recv(struct fi_side *s, const uint8_t *buf, int n, int peek)
{
  struct fi_side *peer = &fi.side[!s->id];
  int i;

  if (!s->clean) {
    return;
  }
  if (s->recv_off + (uint64_t)n > peer->sent_off) {
    fi_fail("received more bytes than the peer sent");
  }
  if (!s->kcp->stream) {
    if (peer->msg_count == 0) {
      fi_fail("received a message the peer never sent");
    }
    if (peer->msgs[peer->msg_head] != (uint32_t)n) {
      fi_fail("message boundary differs from what the peer sent");
    }
  }
  for (i = 0; buf != NULL && i < n; i++) {
    if (buf[i] != fi_pattern(peer->id, s->recv_off + (uint64_t)i)) {
      fi_fail("received bytes differ from what the peer sent");
    }
  }
  if (peek) {
    return;
  }
  s->recv_off += (uint64_t)n;
  if (!s->kcp->stream) {
    peer->msg_head = (peer->msg_head + 1) % FI_MAX_MSGS;
    peer->msg_count--;
  }
}

static void
fi_op_recv(struct fi_side *s, struct fuzz_reader *r)
{
  uint16_t v = fuzz_reader_u16(r);
  int len = v >> 1;
  int peek = (v & 1) && len > 0; /* -0 is no peek */
  uint8_t *buf;
  int size = ikcp_peeksize(s->kcp);
  IUINT32 que_before = s->kcp->nrcv_que;
  int rc;

  if (v == 0xffff) {
    /* a NULL buffer consumes the next message unread (the binding relies on it) */
    if (size >= 0) {
      if (ikcp_recv(s->kcp, NULL, size) != size) {
        fi_fail("ikcp_recv with a NULL buffer did not consume the message");
      }
      fi_account_recv(s, NULL, size, 0);
    }
    return;
  }
  buf = malloc((size_t)len);
  if (buf == NULL && len > 0) {
    fi_fail("harness out of memory");
  }
  rc = ikcp_recv(s->kcp, (char *)buf, peek ? -len : len);
  if (rc > len) {
    fi_fail("ikcp_recv returned more than the buffer");
  }
  if (size < 0 ? rc >= 0 : size > len ? rc != -3 : rc != size) {
    fi_fail("ikcp_recv disagrees with ikcp_peeksize");
  }
  if (rc < 0 && s->kcp->nrcv_que != que_before) {
    fi_fail("failed ikcp_recv changed the receive queue");
  }
  if (rc >= 0 && peek && (s->kcp->nrcv_que < que_before || ikcp_peeksize(s->kcp) != rc)) {
    fi_fail("peeking ikcp_recv consumed");
  }
  if (rc >= 0) {
    fi_account_recv(s, buf, rc, peek);
  }
  free(buf);
}

/** Read every whole message @p s holds, as its application would. */
static void
fi_drain(struct fi_side *s)
{
  int size;

  while ((size = ikcp_peeksize(s->kcp)) >= 0) {
    uint8_t *buf = malloc((size_t)size + 1);
    int n;

    if (buf == NULL) {
      fi_fail("harness out of memory");
    }
    n = ikcp_recv(s->kcp, (char *)buf, size);
    if (n != size) {
      fi_fail("ikcp_recv of exactly ikcp_peeksize bytes failed");
    }
    fi_account_recv(s, buf, n, 0);
    free(buf);
  }
}

static void
fi_op_time(struct fuzz_reader *r)
{
  uint16_t v = fuzz_reader_u16(r);

  if (v == 0xffff) {
    fi.now += fuzz_reader_u32(r);
  } else {
    fi.now += v % 1024;
  }
}

/** Deliver, drop, duplicate, reorder or damage what @p s has in flight. */
static void
fi_op_link(struct fi_side *s, struct fuzz_reader *r)
{
  uint8_t v = fuzz_reader_u8(r);
  struct fi_side *to = &fi.side[!s->id];
  unsigned n = (unsigned)(v >> 3) + 1;
  struct fi_dgram d;

  if (s->link_count == 0) {
    return;
  }
  switch (v & 7) {
  case 0: /* deliver in order */
  case 1:
    while (n-- > 0 && s->link_count > 0) {
      d = fi_link_take(s, 0);
      fi_input_genuine(to, d.data, d.len);
      free(d.data);
    }
    break;
  case 2: /* lose */
    while (n-- > 0 && s->link_count > 0) {
      d = fi_link_take(s, 0);
      free(d.data);
    }
    break;
  case 3: /* duplicate */
    d = s->link[s->link_head];
    fi_input_genuine(to, d.data, d.len);
    break;
  case 4: /* overtake: a later datagram arrives first */
    d = fi_link_take(s, n % s->link_count);
    fi_input_genuine(to, d.data, d.len);
    free(d.data);
    break;
  case 5: /* one byte damaged */
    d = fi_link_take(s, 0);
    d.data[fuzz_reader_u16(r) % (unsigned)d.len] ^= (uint8_t)(fuzz_reader_u8(r) | 1);
    fi_input_forged(to, d.data, d.len);
    free(d.data);
    break;
  case 6: /* truncated */
    d = fi_link_take(s, 0);
    fi_input_forged(to, d.data, (long)(fuzz_reader_u16(r) % (unsigned)d.len));
    free(d.data);
    break;
  default: /* misdirected back to its sender */
    d = fi_link_take(s, 0);
    fi_input_forged(s, d.data, d.len);
    free(d.data);
    break;
  }
}

/** A datagram of fuzzer bytes, or an invalid length or NULL buffer. */
static void
fi_op_raw(struct fi_side *s, struct fuzz_reader *r)
{
  uint16_t v = fuzz_reader_u16(r);
  size_t want = v % 2048;
  uint8_t *buf;
  size_t got;

  if (v >= 0xfff0) {
    fi_input_forged(s, NULL, (long)(v & 0xf) - 8);
    return;
  }
  buf = malloc(want + 1);
  if (buf == NULL) {
    fi_fail("harness out of memory");
  }
  got = fuzz_reader_bytes(r, buf, want);
  fi_input_forged(s, buf, (long)got);
  free(buf);
}

/**
 * Build one segment from fuzzer fields, mostly near the victim's state.
 * @return its length on the wire
 */
static size_t
fi_forge_segment(const struct fi_side *s, struct fuzz_reader *r, uint8_t *out, size_t room)
{
  const ikcpcb *k = s->kcp;
  uint8_t sel = fuzz_reader_u8(r);
  uint8_t cmd = fuzz_reader_u8(r);
  int16_t dsn = (int16_t)fuzz_reader_u16(r);
  int16_t duna = (int16_t)fuzz_reader_u16(r);
  int16_t dts = (int16_t)fuzz_reader_u16(r);
  uint16_t wnd = fuzz_reader_u16(r);
  uint8_t frg = fuzz_reader_u8(r);
  uint16_t dlen = fuzz_reader_u16(r);
  IUINT32 base_sn = cmd & 0x80 ? k->snd_una : k->rcv_nxt;
  uint32_t len_field;
  size_t payload;

  if (room < IKCP_OVERHEAD) {
    return 0;
  }
  payload = (size_t)(dlen & 0x7fff) % (k->mss + 1);
  if (payload > room - IKCP_OVERHEAD) {
    payload = room - IKCP_OVERHEAD;
  }
  len_field = dlen & 0x8000 ? fuzz_reader_u32(r) : (uint32_t)payload;
  fi_put32(out, sel & 1 ? fuzz_reader_u32(r) : k->conv);
  out[IKCP_CMD_OFFSET] = sel & 2 ? cmd : (uint8_t)(IKCP_CMD_PUSH + (cmd & 3));
  out[IKCP_FRG_OFFSET] = frg;
  out[IKCP_WND_OFFSET] = (uint8_t)wnd;
  out[IKCP_WND_OFFSET + 1] = (uint8_t)(wnd >> 8);
  fi_put32(out + IKCP_TS_OFFSET, sel & 4 ? fuzz_reader_u32(r) : fi.now + (IUINT32)(int32_t)dts);
  fi_put32(out + IKCP_SN_OFFSET, sel & 8 ? fuzz_reader_u32(r) : base_sn + (IUINT32)(int32_t)dsn);
  fi_put32(out + IKCP_UNA_OFFSET, sel & 16 ? fuzz_reader_u32(r) : k->snd_una + (IUINT32)(int32_t)duna);
  fi_put32(out + IKCP_LEN_OFFSET, len_field);
  payload = fuzz_reader_bytes(r, out + IKCP_OVERHEAD, payload);
  return IKCP_OVERHEAD + payload;
}

/** A datagram of 1..4 forged segments, fed @p times times (an ACK or PUSH flood). */
static void
fi_op_forge(struct fi_side *s, struct fuzz_reader *r)
{
  uint8_t v = fuzz_reader_u8(r);
  unsigned nseg = (v & 3) + 1;
  unsigned times = v >> 2 == 63 ? 1 + fuzz_reader_u16(r) % 4096 : 1;
  size_t room = (size_t)s->kcp->mtu + IKCP_OVERHEAD;
  uint8_t *buf = malloc(room);
  size_t len = 0;
  unsigned i;

  if (buf == NULL) {
    fi_fail("harness out of memory");
  }
  for (i = 0; i < nseg; i++) {
    len += fi_forge_segment(s, r, buf + len, room - len);
  }
  for (i = 0; i < times; i++) {
    fi_input_forged(s, buf, (long)len);
  }
  free(buf);
}

static void
fi_cc_ack(ikcpcb *kcp, IUINT32 acked_segs, IUINT32 acked_bytes, IUINT32 prior_in_flight)
{
  (void)acked_segs;
  (void)acked_bytes;
  (void)prior_in_flight;
  kcp->cwnd = fi.cc_cwnd;
}

static void
fi_cc_fast(ikcpcb *kcp, IUINT32 fast_retrans, IUINT32 inflight, IUINT32 prior_cwnd)
{
  (void)fast_retrans;
  (void)inflight;
  (void)prior_cwnd;
  kcp->cwnd = fi.cc_cwnd >> 1;
}

static void
fi_cc_timeout(ikcpcb *kcp, IUINT32 prior_cwnd)
{
  (void)prior_cwnd;
  kcp->cwnd = fi.cc_cwnd >> 2;
}

/** Pacing of any budget, 0 and "none" (reads negative) included. */
static IUINT32
fi_cc_pacing(ikcpcb *kcp)
{
  (void)kcp;
  return fi.cc_cwnd;
}

/** Congestion control that sets any cwnd, 0 and huge ones included, and paces. */
static const struct IKCPOPS fi_cc = {
  "fuzz", NULL, NULL, fi_cc_ack, fi_cc_fast, fi_cc_timeout, NULL, NULL, NULL,
  NULL, NULL, NULL, fi_cc_pacing
};

static void
fi_op_config(struct fi_side *s, struct fuzz_reader *r)
{
  uint8_t what = fuzz_reader_u8(r);
  ikcpcb *k = s->kcp;

  switch (what % 12) {
  case 0: {
    int mtu = (int16_t)fuzz_reader_u16(r);
    IUINT32 before = k->mtu;
    int rc = ikcp_setmtu(k, mtu);

    if (rc == 0 ? k->mtu != (IUINT32)mtu : k->mtu != before) {
      fi_fail("ikcp_setmtu result and mtu disagree");
    }
    break;
  }
  case 1: {
    int nodelay = (int8_t)fuzz_reader_u8(r);
    int interval = (int16_t)fuzz_reader_u16(r);
    int resend = (int8_t)fuzz_reader_u8(r);
    int nc = (int8_t)fuzz_reader_u8(r);

    ikcp_nodelay(k, nodelay, interval, resend, nc);
    break;
  }
  case 2: {
    int snd = (int16_t)fuzz_reader_u16(r);
    int rcv = (int16_t)fuzz_reader_u16(r);

    /* a failed call may keep a ring grown for the window it asked for */
    if (snd > 0 && (IUINT32)snd > s->asked_wnd) {
      s->asked_wnd = (IUINT32)snd;
    }
    if (rcv > 0 && (IUINT32)rcv > s->asked_wnd) {
      s->asked_wnd = (IUINT32)rcv;
    }
    ikcp_wndsize(k, snd, rcv);
    break;
  }
  case 3:
    k->logmask = (int)fuzz_reader_u32(r);
    k->writelog = fi_writelog;
    break;
  case 4:
    fi.fail_mask = fuzz_reader_u32(r);
    break;
  case 5:
    (void)ikcp_interval(k, (int16_t)fuzz_reader_u16(r));
    break;
  case 6:
    (void)ikcp_setsndqmax(k, (int16_t)fuzz_reader_u16(r));
    break;
  case 7: {
    static const char *const names[] = { "normal", "fast", "fast2", "fast3", "fast4", "" };

    (void)ikcp_profile(k, names[fuzz_reader_u8(r) % 6]);
    break;
  }
  case 8:
    fi.cc_cwnd = fuzz_reader_u32(r);
    (void)ikcp_setcc(k, &fi_cc);
    break;
  case 9:
    (void)ikcp_setcc(k, fuzz_reader_u8(r) & 1 ? &ikcp_cc_bbr : NULL);
    break;
  case 10: {
    int on = (int8_t)fuzz_reader_u8(r);
    IUINT32 before = k->dup_acks;

    if (ikcp_setdupacks(k, on) == 0 ? k->dup_acks != (IUINT32)on : k->dup_acks != before) {
      fi_fail("ikcp_setdupacks result and setting disagree");
    }
    break;
  }
  default:
    /* give back idle memory; the next use must allocate again */
    ikcp_trim(k);
    break;
  }
}

/**
 * Many ticks of a lossy link, with both applications reading or (to fill
 * the receive queues and close the windows) neither: reaches depth fast.
 */
static void
fi_op_run(struct fuzz_reader *r)
{
  uint8_t v = fuzz_reader_u8(r);
  unsigned ticks = v % 64 + 1;
  int read = !(v & 0x80);
  unsigned step = fuzz_reader_u8(r) + 1;
  uint32_t loss = fuzz_reader_u32(r);
  unsigned t, bit = 0;
  int i;

  for (t = 0; t < ticks; t++) {
    fi.now += step;
    for (i = 0; i < 2; i++) {
      ikcp_update(fi.side[i].kcp, fi.now);
    }
    for (i = 0; i < 2; i++) {
      struct fi_side *s = &fi.side[i];

      while (s->link_count > 0) {
        struct fi_dgram d = fi_link_take(s, 0);

        if (!(loss >> (bit++ % 32) & 1)) {
          fi_input_genuine(&fi.side[!i], d.data, d.len);
        }
        free(d.data);
      }
    }
    for (i = 0; i < 2 && read; i++) {
      fi_drain(&fi.side[i]);
    }
  }
}

/* ---- the program ---- */

static int
fi_setup(struct fuzz_reader *r)
{
  uint8_t mode = fuzz_reader_u8(r);
  IUINT32 conv = fuzz_reader_u32(r);
  int i;

  memset(&fi, 0, sizeof(fi));
  fi.now = fuzz_reader_u32(r);
  if (mode & 2) {
    fi.fail_mask = fuzz_reader_u32(r); /* creation may fail too */
  }
  for (i = 0; i < 2; i++) {
    struct fi_side *s = &fi.side[i];

    s->id = i;
    s->clean = 1;
    s->kcp = ikcp_create(conv, s);
    if (s->kcp == NULL) {
      return -1;
    }
    ikcp_setoutput(s->kcp, fi_output);
    s->kcp->stream = mode & 1;
    fi_note_config(s);
  }
  return 0;
}

static void
fi_teardown(void)
{
  int i;

  fi.fail_mask = 0;
  for (i = 0; i < 2; i++) {
    struct fi_side *s = &fi.side[i];

    if (s->kcp != NULL) {
      ikcp_release(s->kcp);
    }
    while (s->link_count > 0) {
      free(fi_link_take(s, 0).data);
    }
  }
  if (fi.live_blocks != 0 || fi.live_bytes != 0) {
    fi_fail("engine heap not empty after ikcp_release of both sides");
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  ikcp_allocator(fi_malloc, fi_free);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fuzz_reader r;

  fuzz_reader_init(&r, data, size);
  if (fi_setup(&r) == 0) {
    while (!fuzz_reader_done(&r)) {
      uint8_t op = fuzz_reader_u8(&r);
      struct fi_side *s = &fi.side[op & 1];
      int i;

      switch ((op >> 1) % 10) {
      case 0: fi_op_send(s, &r); break;
      case 1: fi_op_recv(s, &r); break;
      case 2: fi_op_time(&r); ikcp_update(s->kcp, fi.now); break;
      case 3: ikcp_flush(s->kcp); break;
      case 4: fi_op_link(s, &r); break;
      case 5: fi_op_raw(s, &r); break;
      case 6: fi_op_forge(s, &r); break;
      case 7: fi_op_config(s, &r); break;
      case 8: fi_op_run(&r); break;
      default: fi_op_link(s, &r); fi_op_link(&fi.side[!s->id], &r); break;
      }
      for (i = 0; i < 2; i++) {
        fi_note_config(&fi.side[i]);
        fi_check_side(&fi.side[i]);
      }
      fi_check_memory();
    }
  }
  fi_teardown();
  return 0;
}
