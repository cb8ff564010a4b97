/**
 * @file
 * Unit tests of the KCP engine (kcp/ikcp.c): wire bytes against hand-built
 * segments, every error code, the bounds the engine adds over the
 * reference, in-memory two-endpoint transfers with a deterministic
 * loss / reorder / duplicate pattern, and lazy allocation with ikcp_trim()
 * (allocations counted and made to fail through ikcp_allocator).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikcp.h"
#include "checkmain.h"

/*---------------------------------------------------------------------------
 * capture of output datagrams
 *-------------------------------------------------------------------------*/

#define OUTBOX_MAX 4096

/** Datagrams an endpoint handed to its output callback, in order. */
struct outbox {
  int n;
  int len[OUTBOX_MAX];
  char *data[OUTBOX_MAX];
};

static int outbox_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct outbox *box = (struct outbox *)user;
  (void)kcp;
  ck_assert_int_lt(box->n, OUTBOX_MAX);
  box->data[box->n] = malloc((size_t)len);
  ck_assert_ptr_nonnull(box->data[box->n]);
  memcpy(box->data[box->n], buf, (size_t)len);
  box->len[box->n] = len;
  box->n++;
  return 0;
}

static void outbox_clear(struct outbox *box)
{
  int i;
  for (i = 0; i < box->n; i++) {
    free(box->data[i]);
  }
  box->n = 0;
}

/** Total bytes of one datagram concatenation, for simple assertions. */
static int outbox_bytes(const struct outbox *box)
{
  int i, total = 0;
  for (i = 0; i < box->n; i++) {
    total += box->len[i];
  }
  return total;
}

static ikcpcb *make_kcp(IUINT32 conv, struct outbox *box)
{
  ikcpcb *kcp = ikcp_create(conv, box);
  ck_assert_ptr_nonnull(kcp);
  ikcp_setoutput(kcp, outbox_output);
  return kcp;
}

/*---------------------------------------------------------------------------
 * hand-built segments
 *-------------------------------------------------------------------------*/

static char *put32(char *p, IUINT32 v)
{
  p[0] = (char)(v & 0xff);
  p[1] = (char)((v >> 8) & 0xff);
  p[2] = (char)((v >> 16) & 0xff);
  p[3] = (char)((v >> 24) & 0xff);
  return p + 4;
}

static IUINT32 get32(const char *p)
{
  const unsigned char *u = (const unsigned char *)p;
  return (IUINT32)u[0] | ((IUINT32)u[1] << 8) | ((IUINT32)u[2] << 16) |
         ((IUINT32)u[3] << 24);
}

/** Write one segment (header and @p len bytes of @p data) at @p p. */
static int build_seg(char *p, IUINT32 conv, int cmd, int frg, int wnd, IUINT32 ts,
                     IUINT32 sn, IUINT32 una, const char *data, IUINT32 len)
{
  p = put32(p, conv);
  p[0] = (char)cmd;
  p[1] = (char)frg;
  p[2] = (char)(wnd & 0xff);
  p[3] = (char)((wnd >> 8) & 0xff);
  p = put32(p + 4, ts);
  p = put32(p, sn);
  p = put32(p, una);
  p = put32(p, len);
  if (len > 0 && data != NULL) {
    memcpy(p, data, len);
  }
  return IKCP_OVERHEAD + (int)len;
}

/*---------------------------------------------------------------------------
 * two endpoints joined in memory
 *-------------------------------------------------------------------------*/

/**
 * A deterministic impairment: datagram number k (counted per direction) is
 * dropped when drop_every > 0 and k % drop_every == drop_phase, duplicated
 * when dup_every > 0 and k % dup_every == 0, and each batch is delivered in
 * reverse order when reverse is set.
 */
struct impair {
  int drop_every;
  int drop_phase;
  int dup_every;
  int reverse;
};

struct pair {
  ikcpcb *a;
  ikcpcb *b;
  struct outbox box_a;
  struct outbox box_b;
  IUINT32 now;
  long count_ab;
  long count_ba;
  struct impair imp;
};

static struct pair *pair_new(IUINT32 conv)
{
  struct pair *p = calloc(1, sizeof(*p));
  ck_assert_ptr_nonnull(p);
  p->a = make_kcp(conv, &p->box_a);
  p->b = make_kcp(conv, &p->box_b);
  return p;
}

static void pair_free(struct pair *p)
{
  ikcp_release(p->a);
  ikcp_release(p->b);
  outbox_clear(&p->box_a);
  outbox_clear(&p->box_b);
  free(p);
}

static void deliver(struct outbox *box, ikcpcb *to, long *counter, const struct impair *imp)
{
  int i;
  for (i = 0; i < box->n; i++) {
    int j = imp->reverse ? box->n - 1 - i : i;
    long k = (*counter)++;
    if (imp->drop_every > 0 && k % imp->drop_every == imp->drop_phase) {
      continue;
    }
    ck_assert_int_eq(ikcp_input(to, box->data[j], box->len[j]), 0);
    if (imp->dup_every > 0 && k % imp->dup_every == 0) {
      ck_assert_int_eq(ikcp_input(to, box->data[j], box->len[j]), 0);
    }
  }
  outbox_clear(box);
}

/** Advance both endpoints by @p ms; what they sent stays in their boxes. */
static void pair_advance(struct pair *p, IUINT32 ms)
{
  p->now += ms;
  ikcp_update(p->a, p->now);
  ikcp_update(p->b, p->now);
}

/** Deliver what each endpoint sent to the other, through the impairment. */
static void pair_exchange(struct pair *p)
{
  deliver(&p->box_a, p->b, &p->count_ab, &p->imp);
  deliver(&p->box_b, p->a, &p->count_ba, &p->imp);
}

/** Advance both endpoints by @p ms and exchange what they sent. */
static void pair_step(struct pair *p, IUINT32 ms)
{
  pair_advance(p, ms);
  pair_exchange(p);
}

static void fill_msg(char *buf, int len, int id)
{
  int i;
  for (i = 0; i < len; i++) {
    buf[i] = (char)((id * 131 + i * 7) & 0xff);
  }
}

/** Message @p r bytes long at @p in must be message @p id: @p len bytes of
    fill_msg(). */
static void expect_msg(const char *in, int r, int len, int id)
{
  static char want[200000];
  ck_assert_int_le(len, (int)sizeof(want));
  ck_assert_int_eq(r, len);
  fill_msg(want, len, id);
  ck_assert_int_eq(memcmp(in, want, (size_t)len), 0);
}

/** Take every whole message b has, each @p len bytes, ids counting on from
    *got. */
static void pair_drain(struct pair *p, char *in, int len, int *got)
{
  int r;
  while ((r = ikcp_recv(p->b, in, len)) >= 0) {
    expect_msg(in, r, len, (*got)++);
  }
}

/** Stream mode: append what b has to in[*got..cap). */
static void pair_drain_stream(struct pair *p, char *in, int cap, int *got)
{
  int r;
  while ((r = ikcp_recv(p->b, in + *got, cap - *got)) > 0) {
    *got += r;
  }
}

/**
 * Send @p nmsg messages of sizes cycling 1..maxlen from a to b (keeping at
 * most @p inflight queued) and check each arrives whole and in order.
 * Returns the simulated milliseconds it took.
 */
static IUINT32 transfer(struct pair *p, int nmsg, int maxlen, int inflight, IUINT32 limit_ms)
{
  static char out[200000], in[200000];
  int sent = 0, got = 0;
  IUINT32 start = p->now;
  ck_assert_int_le(maxlen, (int)sizeof(out));
  while (got < nmsg) {
    int r;
    while (sent < nmsg && ikcp_waitsnd(p->a) < inflight) {
      int len = 1 + (sent * 97) % maxlen;
      fill_msg(out, len, sent);
      ck_assert_int_ge(ikcp_send(p->a, out, len), 0);
      sent++;
    }
    pair_step(p, 10);
    while ((r = ikcp_recv(p->b, in, sizeof(in))) >= 0) {
      expect_msg(in, r, 1 + (got * 97) % maxlen, got);
      got++;
    }
    ck_assert_msg(p->now - start < limit_ms, "transfer stalled: %d of %d after %u ms",
                  got, nmsg, (unsigned)(p->now - start));
  }
  return p->now - start;
}


/** Feed one hand-built segment to @p kcp; returns what ikcp_input returns. */
static int inject(ikcpcb *kcp, int cmd, int frg, int wnd, IUINT32 ts, IUINT32 sn,
                  IUINT32 una, const char *data, IUINT32 len)
{
  char *dgram = malloc(IKCP_OVERHEAD + len);
  int n, r;
  ck_assert_ptr_nonnull(dgram);
  n = build_seg(dgram, kcp->conv, cmd, frg, wnd, ts, sn, una, data, len);
  r = ikcp_input(kcp, dgram, n);
  free(dgram);
  return r;
}

/** Segments of command @p cmd in every datagram of @p box. */
static int count_cmd(const struct outbox *box, int cmd)
{
  int i, count = 0;
  for (i = 0; i < box->n; i++) {
    int off = 0;
    while (off + IKCP_OVERHEAD <= box->len[i]) {
      const char *p = box->data[i] + off;
      if ((unsigned char)p[IKCP_CMD_OFFSET] == cmd) {
        count++;
      }
      off += IKCP_OVERHEAD + (int)get32(p + IKCP_LEN_OFFSET);
    }
    ck_assert_int_eq(off, box->len[i]);
  }
  return count;
}

static IKCPSTATS stats_of(const ikcpcb *kcp)
{
  IKCPSTATS st;
  ikcp_getstats(kcp, &st);
  return st;
}

/*---------------------------------------------------------------------------
 * wire bytes
 *-------------------------------------------------------------------------*/

START_TEST(test_golden_push)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(0x04030201, &box);
  char expect[IKCP_OVERHEAD + 5];
  ck_assert_int_eq(ikcp_nodelay(kcp, -1, -1, -1, 1), 0);
  ck_assert_int_eq(ikcp_send(kcp, "hello", 5), 5);
  ikcp_update(kcp, 0x0a0b0c0d);
  ck_assert_int_eq(box.n, 1);
  build_seg(expect, 0x04030201, 81, 0, 128, 0x0a0b0c0d, 0, 0, "hello", 5);
  ck_assert_int_eq(box.len[0], IKCP_OVERHEAD + 5);
  ck_assert_int_eq(memcmp(box.data[0], expect, sizeof(expect)), 0);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_golden_ack)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(0xdeadbeef, &box);
  char expect[IKCP_OVERHEAD];
  ikcp_update(kcp, 20000);
  outbox_clear(&box);
  ck_assert_int_eq(inject(kcp, 81, 0, 32, 12345, 0, 0, "abc", 3), 0);
  ikcp_update(kcp, 20100);
  ck_assert_int_eq(box.n, 1);
  ck_assert_int_eq(outbox_bytes(&box), IKCP_OVERHEAD);
  /* wnd: 128 minus the one segment waiting in the receive queue; una 1 */
  build_seg(expect, 0xdeadbeef, 82, 0, 127, 12345, 0, 1, NULL, 0);
  ck_assert_int_eq(memcmp(box.data[0], expect, IKCP_OVERHEAD), 0);
  ck_assert_uint_eq(get32(box.data[0]), ikcp_getconv(box.data[0]));
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_golden_fragments)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(7, &box);
  char msg[60], expect[50];
  int i;
  fill_msg(msg, sizeof(msg), 1);
  ck_assert_int_eq(ikcp_setmtu(kcp, 50), 0);
  ck_assert_uint_eq(kcp->mss, 26);
  kcp->nocwnd = 1;
  ck_assert_int_eq(ikcp_send(kcp, msg, sizeof(msg)), (int)sizeof(msg));
  ck_assert_uint_eq(kcp->nsnd_que, 3);
  ikcp_update(kcp, 777);
  ck_assert_int_eq(box.n, 3);
  for (i = 0; i < 3; i++) {
    int len = i < 2 ? 26 : 8;
    build_seg(expect, 7, 81, 2 - i, 128, 777, (IUINT32)i, 0, msg + 26 * i, (IUINT32)len);
    ck_assert_int_eq(box.len[i], IKCP_OVERHEAD + len);
    ck_assert_int_eq(memcmp(box.data[i], expect, (size_t)(IKCP_OVERHEAD + len)), 0);
  }
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_golden_probe)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(0x01020304, &box);
  char expect[3 * IKCP_OVERHEAD];
  ikcp_update(kcp, 1000);
  /* WASK asks for a WINS; with an ACK in the same flush, the probe carries
   * that ACK's sn and ts, as the reference's does. */
  ck_assert_int_eq(inject(kcp, 83, 0, 64, 0, 0, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 81, 0, 64, 999, 0, 0, "x", 1), 0);
  ikcp_update(kcp, 1100);
  ck_assert_int_eq(box.n, 1);
  build_seg(expect, 0x01020304, 82, 0, 127, 999, 0, 1, NULL, 0);
  build_seg(expect + IKCP_OVERHEAD, 0x01020304, 84, 0, 127, 999, 0, 1, NULL, 0);
  ck_assert_int_eq(box.len[0], 2 * IKCP_OVERHEAD);
  ck_assert_int_eq(memcmp(box.data[0], expect, 2 * IKCP_OVERHEAD), 0);
  outbox_clear(&box);
  ck_assert_uint_eq(kcp->rmt_wnd, 64);

  /* The peer's window is 0: a WASK after 7 s, then 1.5 times longer. */
  ck_assert_int_eq(inject(kcp, 84, 0, 0, 0, 0, 0, NULL, 0), 0);
  ck_assert_uint_eq(kcp->rmt_wnd, 0);
  ikcp_update(kcp, 1200);
  ck_assert_int_eq(box.n, 0);
  ikcp_update(kcp, 8100);
  ck_assert_int_eq(box.n, 0);
  ikcp_update(kcp, 8200);
  ck_assert_int_eq(box.n, 1);
  build_seg(expect, 0x01020304, 83, 0, 127, 0, 0, 1, NULL, 0);
  ck_assert_int_eq(box.len[0], IKCP_OVERHEAD);
  ck_assert_int_eq(memcmp(box.data[0], expect, IKCP_OVERHEAD), 0);
  outbox_clear(&box);
  ikcp_update(kcp, 8200 + 10400);
  ck_assert_int_eq(box.n, 0);
  ikcp_update(kcp, 8200 + 10500);
  ck_assert_int_eq(count_cmd(&box, 83), 1);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/*---------------------------------------------------------------------------
 * error codes
 *-------------------------------------------------------------------------*/

START_TEST(test_input_malformed)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(42, &box);
  char seg[2 * IKCP_OVERHEAD + 8];
  char *exact;
  int n;
  IKCPSTATS st;

  ck_assert_int_eq(ikcp_input(kcp, NULL, 100), -1);
  ck_assert_int_eq(ikcp_input(kcp, seg, 0), -1);
  ck_assert_int_eq(ikcp_input(kcp, seg, -5), -1);
  n = build_seg(seg, 42, 81, 0, 9, 0, 0, 0, NULL, 0);
  ck_assert_int_eq(ikcp_input(kcp, seg, IKCP_OVERHEAD - 1), -1);

  n = build_seg(seg, 43, 81, 0, 9, 0, 0, 0, "abcd", 4);
  ck_assert_int_eq(ikcp_input(kcp, seg, n), -1);

  /* len one past the datagram: the datagram is allocated exactly, so a read
   * past it would be caught by ASan. */
  n = build_seg(seg, 42, 81, 0, 9, 0, 0, 0, "abcd", 4);
  put32(seg + 20, 5);
  exact = malloc((size_t)n);
  ck_assert_ptr_nonnull(exact);
  memcpy(exact, seg, (size_t)n);
  ck_assert_int_eq(ikcp_input(kcp, exact, n), -2);
  put32(exact + 20, 0xffffffffu);
  ck_assert_int_eq(ikcp_input(kcp, exact, n), -2);
  put32(exact + 20, 0x80000000u);
  ck_assert_int_eq(ikcp_input(kcp, exact, n), -2);
  free(exact);

  n = build_seg(seg, 42, 80, 0, 9, 0, 0, 0, NULL, 0);
  ck_assert_int_eq(ikcp_input(kcp, seg, n), -3);
  n = build_seg(seg, 42, 85, 0, 9, 0, 0, 0, NULL, 0);
  ck_assert_int_eq(ikcp_input(kcp, seg, n), -3);
  n = build_seg(seg, 42, 0, 0, 9, 0, 0, 0, NULL, 0);
  ck_assert_int_eq(ikcp_input(kcp, seg, n), -3);

  st = stats_of(kcp);
  ck_assert_uint_eq(st.malformed, 11);
  ck_assert_uint_eq(st.segs_in, 0);
  ck_assert_uint_eq(kcp->rmt_wnd, 128);
  ck_assert_uint_eq(kcp->rcv_nxt, 0);
  ck_assert_uint_eq(kcp->nrcv_buf + kcp->nrcv_que, 0);

  /* A good segment, then fewer than 24 trailing bytes: ignored, as the
   * reference does. A good segment then a bad conv: the first is kept. */
  n = build_seg(seg, 42, 81, 0, 9, 0, 0, 0, "abcd", 4);
  ck_assert_int_eq(ikcp_input(kcp, seg, n + 10), 0);
  ck_assert_uint_eq(kcp->rcv_nxt, 1);
  n = build_seg(seg, 42, 81, 0, 9, 0, 1, 0, "abcd", 4);
  n += build_seg(seg + n, 41, 81, 0, 9, 0, 2, 0, "abcd", 4);
  ck_assert_int_eq(ikcp_input(kcp, seg, n), -1);
  ck_assert_uint_eq(kcp->rcv_nxt, 2);
  ck_assert_uint_eq(kcp->rmt_wnd, 9);
  ck_assert_uint_eq(stats_of(kcp).malformed, 12);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/* The wire constants and ikcp_peek_header() against segments written byte
   by byte (build_seg), and the named codes against the reference's values. */
START_TEST(test_header_api)
{
  char seg[IKCP_OVERHEAD + 4];
  IKCPHDR h;
  int n;

  ck_assert_int_eq(IKCP_OVERHEAD, 24);
  ck_assert_int_eq(IKCP_CMD_PUSH, 81);
  ck_assert_int_eq(IKCP_CMD_ACK, 82);
  ck_assert_int_eq(IKCP_CMD_WASK, 83);
  ck_assert_int_eq(IKCP_CMD_WINS, 84);
  ck_assert_int_eq(IKCP_EINPUT_CONV, -1);
  ck_assert_int_eq(IKCP_EINPUT_LEN, -2);
  ck_assert_int_eq(IKCP_EINPUT_CMD, -3);
  ck_assert_int_eq(IKCP_ERECV_EMPTY, -1);
  ck_assert_int_eq(IKCP_ERECV_PARTIAL, -2);
  ck_assert_int_eq(IKCP_ERECV_SHORT, -3);
  ck_assert_int_eq(IKCP_ESEND_LEN, -1);
  ck_assert_int_eq(IKCP_ESEND_FRAGS, -2);

  n = build_seg(seg, 0x01020304, 81, 5, 0x1234, 0xa1a2a3a4, 0xb1b2b3b4, 0xc1c2c3c4, "abcd", 4);
  ck_assert_int_eq(ikcp_peek_header(seg, n, &h), 0);
  ck_assert_uint_eq(h.conv, 0x01020304);
  ck_assert_uint_eq(h.cmd, 81);
  ck_assert_uint_eq(h.frg, 5);
  ck_assert_uint_eq(h.wnd, 0x1234);
  ck_assert_uint_eq(h.ts, 0xa1a2a3a4);
  ck_assert_uint_eq(h.sn, 0xb1b2b3b4);
  ck_assert_uint_eq(h.una, 0xc1c2c3c4);
  ck_assert_uint_eq(h.len, 4);
  ck_assert_uint_eq(get32(seg + IKCP_CONV_OFFSET), h.conv);
  ck_assert_uint_eq((unsigned char)seg[IKCP_CMD_OFFSET], h.cmd);
  ck_assert_uint_eq((unsigned char)seg[IKCP_FRG_OFFSET], h.frg);
  ck_assert_uint_eq((unsigned char)seg[IKCP_WND_OFFSET], 0x34);
  ck_assert_uint_eq(get32(seg + IKCP_TS_OFFSET), h.ts);
  ck_assert_uint_eq(get32(seg + IKCP_SN_OFFSET), h.sn);
  ck_assert_uint_eq(get32(seg + IKCP_UNA_OFFSET), h.una);
  ck_assert_uint_eq(get32(seg + IKCP_LEN_OFFSET), h.len);
  ck_assert_uint_eq(ikcp_getconv(seg), h.conv);

  ck_assert_int_eq(ikcp_peek_header(NULL, n, &h), IKCP_EINPUT_CONV);
  ck_assert_int_eq(ikcp_peek_header(seg, IKCP_OVERHEAD - 1, &h), IKCP_EINPUT_CONV);
  ck_assert_int_eq(ikcp_peek_header(seg, n - 1, &h), IKCP_EINPUT_LEN);
  n = build_seg(seg, 7, 85, 0, 0, 0, 0, 0, NULL, 0);
  ck_assert_int_eq(ikcp_peek_header(seg, n, &h), IKCP_EINPUT_CMD);
  n = build_seg(seg, 7, 84, 0, 0, 0, 0, 0, NULL, 0);
  put32(seg + IKCP_LEN_OFFSET, 0x80000000u);
  ck_assert_int_eq(ikcp_peek_header(seg, n, &h), IKCP_EINPUT_LEN);
}
END_TEST

/* ikcp_profile_name() lists exactly the names ikcp_profile() takes. */
START_TEST(test_profile_names)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  static const char *const names[] = { "normal", "fast", "fast2", "fast3" };
  int i;

  for (i = 0; i < 4; i++) {
    ck_assert_str_eq(ikcp_profile_name(i), names[i]);
    ck_assert_int_eq(ikcp_profile(kcp, ikcp_profile_name(i)), 0);
  }
  ck_assert_ptr_null(ikcp_profile_name(4));
  ck_assert_ptr_null(ikcp_profile_name(-1));
  ck_assert_int_eq(ikcp_profile(kcp, "turbo"), -1);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_recv_codes)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  char buf[64];

  ck_assert_int_eq(ikcp_recv(kcp, buf, sizeof(buf)), -1);
  ck_assert_int_eq(ikcp_peeksize(kcp), -1);
  ck_assert_int_eq(inject(kcp, 81, 2, 128, 0, 0, 0, "aaaa", 4), 0);
  ck_assert_int_eq(inject(kcp, 81, 1, 128, 0, 1, 0, "bbbbb", 5), 0);
  ck_assert_int_eq(ikcp_peeksize(kcp), -1);
  ck_assert_int_eq(ikcp_recv(kcp, buf, sizeof(buf)), -2);
  ck_assert_int_eq(inject(kcp, 81, 0, 128, 0, 2, 0, "cc", 2), 0);
  ck_assert_int_eq(ikcp_peeksize(kcp), 11);
  ck_assert_int_eq(ikcp_recv(kcp, buf, 10), -3);
  ck_assert_int_eq(ikcp_recv(kcp, buf, -10), -3);
  ck_assert_uint_eq(kcp->nrcv_que, 3);
  memset(buf, 0, sizeof(buf));
  ck_assert_int_eq(ikcp_recv(kcp, buf, -11), 11);
  ck_assert_int_eq(memcmp(buf, "aaaabbbbbcc", 11), 0);
  ck_assert_uint_eq(kcp->nrcv_que, 3);
  ck_assert_int_eq(ikcp_recv(kcp, buf, INT_MIN), 11);
  ck_assert_uint_eq(kcp->nrcv_que, 3);
  memset(buf, 0, sizeof(buf));
  ck_assert_int_eq(ikcp_recv(kcp, buf, 11), 11);
  ck_assert_int_eq(memcmp(buf, "aaaabbbbbcc", 11), 0);
  ck_assert_uint_eq(kcp->nrcv_que, 0);
  ck_assert_int_eq(ikcp_recv(kcp, buf, sizeof(buf)), -1);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_setmtu_bounds)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  ck_assert_int_eq(ikcp_setmtu(kcp, -1), -1);
  ck_assert_int_eq(ikcp_setmtu(kcp, 0), -1);
  ck_assert_int_eq(ikcp_setmtu(kcp, 23), -1);
  ck_assert_int_eq(ikcp_setmtu(kcp, 49), -1);
  ck_assert_uint_eq(kcp->mtu, 1400);
  ck_assert_uint_eq(kcp->mss, 1376);
  ck_assert_int_eq(ikcp_setmtu(kcp, 50), 0);
  ck_assert_uint_eq(kcp->mss, 26);
  ck_assert_int_eq(ikcp_setmtu(kcp, 1500), 0);
  ck_assert_uint_eq(kcp->mtu, 1500);
  ck_assert_uint_eq(kcp->mss, 1476);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_fragment_limits)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  static char big[128 * 1376 + 1];
  int mss = (int)kcp->mss;
  IUINT32 queued = 0;
  int k;
  for (k = 1; k <= 127; k++) {
    ck_assert_int_eq(ikcp_send(kcp, big, k * mss), k * mss);
    queued += (IUINT32)k;
    ck_assert_uint_eq(kcp->nsnd_que, queued);
  }
  ck_assert_int_eq(ikcp_send(kcp, big, 127 * mss + 1), -2);
  ck_assert_int_eq(ikcp_send(kcp, big, 128 * mss), -2);
  ck_assert_int_eq(ikcp_send(kcp, big, -1), -1);
  ck_assert_uint_eq(kcp->nsnd_que, queued);
  ck_assert_int_eq(ikcp_send(kcp, big, 0), 0);
  ck_assert_uint_eq(kcp->nsnd_que, queued + 1);
  ck_assert_int_eq(ikcp_waitsnd(kcp), (int)queued + 1);
  ikcp_release(kcp);

  /* Stream mode: no fragment count; empty writes queue nothing. */
  kcp = make_kcp(5, &box);
  kcp->stream = 1;
  ck_assert_int_eq(ikcp_send(kcp, big, 0), 0);
  ck_assert_uint_eq(kcp->nsnd_que, 0);
  ck_assert_int_eq(ikcp_send(kcp, big, 10), 10);
  ck_assert_int_eq(ikcp_send(kcp, big, 10), 10);
  ck_assert_uint_eq(kcp->nsnd_que, 1);
  ck_assert_int_eq(ikcp_send(kcp, big, mss), mss);
  ck_assert_uint_eq(kcp->nsnd_que, 2);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_largest_message)
{
  struct pair *p = pair_new(9);
  static char out[127 * 1376], in[127 * 1376];
  int len = 127 * (int)p->a->mss;
  fill_msg(out, len, 3);
  ck_assert_int_eq(ikcp_wndsize(p->a, 128, 128), 0);
  ck_assert_int_eq(ikcp_profile(p->a, "fast"), 0);
  ck_assert_int_eq(ikcp_send(p->a, out, len), len);
  while (ikcp_peeksize(p->b) < 0) {
    pair_step(p, 10);
    ck_assert_uint_lt(p->now, 60000);
  }
  ck_assert_int_eq(ikcp_peeksize(p->b), len);
  ck_assert_int_eq(ikcp_recv(p->b, in, len - 1), -3);
  ck_assert_int_eq(ikcp_recv(p->b, in, len), len);
  ck_assert_int_eq(memcmp(in, out, (size_t)len), 0);
  pair_free(p);
}
END_TEST

START_TEST(test_sndq_cap)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  static char big[4 * 1376];
  ck_assert_int_eq(ikcp_setsndqmax(kcp, -1), -1);
  ck_assert_int_eq(ikcp_setsndqmax(kcp, 3), 0);
  ck_assert_int_eq(ikcp_send(kcp, big, 1), 1);
  ck_assert_int_eq(ikcp_send(kcp, big, 1), 1);
  ck_assert_int_eq(ikcp_send(kcp, big, 1377), IKCP_ESNDQFULL);
  ck_assert_uint_eq(kcp->nsnd_que, 2);
  ck_assert_int_eq(ikcp_sndqlen(kcp), 2);
  ck_assert_int_eq(ikcp_send(kcp, big, 1), 1);
  ck_assert_int_eq(ikcp_send(kcp, big, 1), IKCP_ESNDQFULL);
  ck_assert_int_eq(ikcp_send(kcp, big, 0), IKCP_ESNDQFULL);
  ck_assert_uint_eq(kcp->nsnd_que, 3);
  ck_assert_int_eq(ikcp_setsndqmax(kcp, 0), 0);
  ck_assert_int_eq(ikcp_send(kcp, big, (int)sizeof(big)), (int)sizeof(big));
  ck_assert_uint_eq(kcp->nsnd_que, 7);
  ck_assert_int_eq(ikcp_sndqlen(kcp), 7);
  kcp->nocwnd = 1;
  ikcp_update(kcp, 0);
  ikcp_flush(kcp);
  ck_assert_int_eq(ikcp_sndqlen(kcp), 0);
  ck_assert_int_eq(ikcp_waitsnd(kcp), 7);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/* The advertised window follows ikcp_setwndcap(); what arrives is still
   taken up to rcv_wnd. */
START_TEST(test_wnd_cap)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  char seg[IKCP_OVERHEAD + 4];
  int n;

  ikcp_nodelay(kcp, 0, 10, 0, 1);
  ikcp_update(kcp, 0);
  ck_assert_int_eq(ikcp_setwndcap(kcp, -1), -1);
  ck_assert_int_eq(ikcp_send(kcp, "a", 1), 1);
  ikcp_flush(kcp);
  ck_assert_int_eq(box.n, 1);
  ck_assert_int_eq((unsigned char)box.data[0][6] | ((unsigned char)box.data[0][7] << 8), 128);
  ck_assert_int_eq(ikcp_setwndcap(kcp, 5), 0);
  ck_assert_int_eq(ikcp_send(kcp, "b", 1), 1);
  ikcp_flush(kcp);
  ck_assert_int_eq(box.n, 2);
  ck_assert_int_eq((unsigned char)box.data[1][6] | ((unsigned char)box.data[1][7] << 8), 5);
  n = build_seg(seg, 5, 81, 0, 128, 0, 50, 0, "late", 4);
  ck_assert_int_eq(ikcp_input(kcp, seg, n), 0);
  ck_assert_uint_eq(kcp->nrcv_buf, 1);
  ck_assert_int_eq(ikcp_setwndcap(kcp, 0), 0);
  ck_assert_int_eq(ikcp_send(kcp, "c", 1), 1);
  ikcp_flush(kcp);
  ck_assert_int_eq((unsigned char)box.data[box.n - 1][6] | ((unsigned char)box.data[box.n - 1][7] << 8), 128);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/* Writes count 1-byte PUSH segments (conv 5), sn first, first + 1, ...,
   into dg; returns their length. */
static int dup_acks_run(char *dg, IUINT32 first, int count)
{
  int n = 0, i;

  for (i = 0; i < count; i++) {
    n += build_seg(dg + n, 5, IKCP_CMD_PUSH, 0, 128, 0, first + (IUINT32)i, 0, "x", 1);
  }
  return n;
}

/* Input one datagram of two 1-byte PUSH segments (conv 5), then flush. */
static void dup_acks_pair(ikcpcb *kcp, IUINT32 sn_a, IUINT32 sn_b)
{
  char dg[2 * (IKCP_OVERHEAD + 1)];
  int n = build_seg(dg, 5, IKCP_CMD_PUSH, 0, 128, 0, sn_a, 0, "x", 1);

  n += build_seg(dg + n, 5, IKCP_CMD_PUSH, 0, 128, 0, sn_b, 0, "x", 1);
  ck_assert_int_eq(ikcp_input(kcp, dg, n), 0);
  ikcp_flush(kcp);
}

/* The receiver's side of ikcp_setdupacks(): three segments above a hole in
   one datagram are acked in one datagram, or in three when it is on; once
   the hole is filled ACKs are packed again; twenty segments past the hole
   are never acked in more than three datagrams. */
START_TEST(test_dup_acks_wire)
{
  struct outbox box = { 0 };
  char dg[3 * (IKCP_OVERHEAD + 1)], many[20 * (IKCP_OVERHEAD + 1)];
  int on, n, i;

  for (on = 0; on <= 1; on++) {
    ikcpcb *kcp = make_kcp(5, &box);
    ikcp_update(kcp, 0);
    ck_assert_int_eq(ikcp_setdupacks(kcp, 2), -1);
    ck_assert_int_eq(ikcp_setdupacks(kcp, on), 0);
    n = dup_acks_run(dg, 1, 3);
    ck_assert_int_eq(ikcp_input(kcp, dg, n), 0);
    ck_assert_uint_eq(kcp->nrcv_buf, 3);
    ikcp_flush(kcp);
    ck_assert_int_eq(box.n, on ? 3 : 1);
    for (i = 0; i < box.n; i++) {
      ck_assert_int_eq(box.len[i], (on ? 1 : 3) * IKCP_OVERHEAD);
    }
    outbox_clear(&box);
    dup_acks_pair(kcp, 0, 5);
    ck_assert_uint_eq(kcp->nrcv_buf, 1);
    ck_assert_int_eq(box.n, on ? 2 : 1);
    outbox_clear(&box);
    dup_acks_pair(kcp, 4, 6);
    ck_assert_uint_eq(kcp->nrcv_buf, 0);
    ck_assert_int_eq(box.n, 1);
    ck_assert_int_eq(box.len[0], 2 * IKCP_OVERHEAD);
    outbox_clear(&box);
    n = dup_acks_run(many, 9, 20);
    ck_assert_int_eq(ikcp_input(kcp, many, n), 0);
    ikcp_flush(kcp);
    ck_assert_int_eq(box.n, on ? 3 : 1);
    ck_assert_int_eq(box.len[box.n - 1], (on ? 18 : 20) * IKCP_OVERHEAD);
    outbox_clear(&box);
    ikcp_release(kcp);
  }
}
END_TEST

/* The sender's side: a window of 4, the first datagram (sn 0) lost, sn 1..3
   packed in the next one. With packed ACKs the sender has one datagram of
   evidence against sn 0 and waits for its timer; with ikcp_setdupacks() on
   the receiver it has three, and resends sn 0 fast, within an interval. */
START_TEST(test_dup_acks_fast_resend)
{
  struct outbox sbox = { 0 }, rbox = { 0 };
  static char big[700];
  int on, i;

  for (on = 0; on <= 1; on++) {
    ikcpcb *snd = make_kcp(5, &sbox), *rcv = make_kcp(5, &rbox);
    IUINT32 now = 0;
    ck_assert_int_eq(ikcp_profile(snd, "fast"), 0);
    ck_assert_int_eq(ikcp_profile(rcv, "fast"), 0);
    ck_assert_int_eq(ikcp_wndsize(snd, 4, 128), 0);
    ck_assert_int_eq(ikcp_setdupacks(rcv, on), 0);
    ikcp_update(snd, now);
    ikcp_update(rcv, now);
    ck_assert_int_eq(ikcp_send(snd, big, (int)sizeof(big)), (int)sizeof(big));
    ikcp_flush(snd);
    for (i = 0; i < 3; i++) {
      ck_assert_int_eq(ikcp_send(snd, "small", 5), 5);
    }
    ikcp_flush(snd);
    ck_assert_int_eq(sbox.n, 2);
    ck_assert_int_eq(ikcp_input(rcv, sbox.data[1], sbox.len[1]), 0);
    outbox_clear(&sbox);
    ikcp_flush(rcv);
    ck_assert_int_eq(rbox.n, on ? 3 : 1);
    now += 5;
    ikcp_update(snd, now);
    for (i = 0; i < rbox.n; i++) {
      ck_assert_int_eq(ikcp_input(snd, rbox.data[i], rbox.len[i]), 0);
    }
    outbox_clear(&rbox);
    now += snd->interval;
    ikcp_update(snd, now);
    ikcp_flush(snd);
    ck_assert_uint_lt(now, (IUINT32)snd->rx_rto);
    ck_assert_uint_eq(snd->stats.retrans_fast, on ? 1 : 0);
    ck_assert_uint_eq(snd->stats.retrans_timeout, 0);
    outbox_clear(&sbox);
    ikcp_release(snd);
    ikcp_release(rcv);
  }
}
END_TEST

/*---------------------------------------------------------------------------
 * settings
 *-------------------------------------------------------------------------*/

START_TEST(test_nodelay_args)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  ck_assert_uint_eq(kcp->interval, 100);
  ck_assert_int_eq(kcp->rx_minrto, 100);
  ck_assert_int_eq(ikcp_nodelay(kcp, 1, 20, 2, 1), 0);
  ck_assert_uint_eq(kcp->nodelay, 1);
  ck_assert_int_eq(kcp->rx_minrto, 30);
  ck_assert_uint_eq(kcp->interval, 20);
  ck_assert_int_eq(kcp->fastresend, 2);
  ck_assert_int_eq(kcp->nocwnd, 1);
  ck_assert_int_eq(ikcp_nodelay(kcp, -1, -1, -1, -1), 0);
  ck_assert_uint_eq(kcp->nodelay, 1);
  ck_assert_int_eq(kcp->rx_minrto, 30);
  ck_assert_uint_eq(kcp->interval, 20);
  ck_assert_int_eq(kcp->fastresend, 2);
  ck_assert_int_eq(kcp->nocwnd, 1);
  ck_assert_int_eq(ikcp_nodelay(kcp, 0, 1, -1, -1), 0);
  ck_assert_int_eq(kcp->rx_minrto, 100);
  ck_assert_uint_eq(kcp->interval, 10);
  ck_assert_int_eq(ikcp_nodelay(kcp, -1, 100000, 0, 0), 0);
  ck_assert_uint_eq(kcp->interval, 5000);
  ck_assert_int_eq(ikcp_interval(kcp, 3), 0);
  ck_assert_uint_eq(kcp->interval, 10);

  ck_assert_int_eq(ikcp_profile(kcp, "fast3"), 0);
  ck_assert_uint_eq(kcp->nodelay, 1);
  ck_assert_uint_eq(kcp->interval, 10);
  ck_assert_int_eq(kcp->fastresend, 2);
  ck_assert_int_eq(kcp->nocwnd, 1);
  ck_assert_int_eq(ikcp_profile(kcp, "normal"), 0);
  ck_assert_uint_eq(kcp->nodelay, 0);
  ck_assert_uint_eq(kcp->interval, 40);
  ck_assert_int_eq(ikcp_profile(kcp, "fast"), 0);
  ck_assert_uint_eq(kcp->interval, 30);
  ck_assert_int_eq(ikcp_profile(kcp, "fast2"), 0);
  ck_assert_uint_eq(kcp->nodelay, 1);
  ck_assert_uint_eq(kcp->interval, 20);
  ck_assert_int_eq(ikcp_profile(kcp, "turbo"), -1);
  ck_assert_int_eq(ikcp_profile(kcp, NULL), -1);
  ck_assert_uint_eq(kcp->interval, 20);

  ck_assert_int_eq(ikcp_wndsize(kcp, 0, 10), 0);
  ck_assert_uint_eq(kcp->snd_wnd, 32);
  ck_assert_uint_eq(kcp->rcv_wnd, 128);
  ck_assert_int_eq(ikcp_wndsize(kcp, 1024, 4096), 0);
  ck_assert_uint_eq(kcp->snd_wnd, 1024);
  ck_assert_uint_eq(kcp->rcv_wnd, 4096);
  ck_assert_int_eq(ikcp_wndsize(kcp, 1 << 30, -1), IKCP_ENOMEM);
  ck_assert_uint_eq(kcp->snd_wnd, 1024);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_flush_before_update)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  ck_assert_int_eq(ikcp_send(kcp, "abc", 3), 3);
  ck_assert_int_eq(inject(kcp, 81, 0, 128, 0, 0, 0, "x", 1), 0);
  ikcp_flush(kcp);
  ck_assert_int_eq(box.n, 0);
  ck_assert_uint_eq(ikcp_check(kcp, 1234), 1234);
  /* The first tick flushes the ACK; data waits for cwnd, as the reference. */
  ikcp_update(kcp, 0);
  ck_assert_int_eq(count_cmd(&box, 82), 1);
  ck_assert_int_eq(count_cmd(&box, 81), 0);
  outbox_clear(&box);
  ikcp_update(kcp, 100);
  ck_assert_int_eq(count_cmd(&box, 81), 1);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/*---------------------------------------------------------------------------
 * bounds over the reference
 *-------------------------------------------------------------------------*/

START_TEST(test_ack_list_bounded)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  IUINT32 i;
  ikcp_update(kcp, 0);
  outbox_clear(&box);
  for (i = 0; i < 20000; i++) {
    ck_assert_int_eq(inject(kcp, 81, 0, 128, i, 0, 0, "d", 1), 0);
  }
  ikcp_update(kcp, 100);
  ck_assert_int_eq(count_cmd(&box, 82), 1);
  ck_assert_uint_eq(stats_of(kcp).dup_segs, 19999);
  /* the ACK carries the newest ts */
  ck_assert_uint_eq(get32(box.data[0] + 8), 19999);
  outbox_clear(&box);

  /* Distinct sn, in and below the window, many times over: at most one
   * window of ACKs per flush. */
  for (i = 0; i < 20000; i++) {
    IUINT32 sn = 1 + (i * 7919u) % 300u - 150u;
    inject(kcp, 81, 0, 128, i, sn, 0, "d", 1);
  }
  ikcp_update(kcp, 200);
  ck_assert_int_gt(count_cmd(&box, 82), 0);
  ck_assert_int_le(count_cmd(&box, 82), (int)kcp->rcv_wnd);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_forged_una_wnd)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  int i;
  kcp->nocwnd = 1;
  for (i = 0; i < 5; i++) {
    ck_assert_int_eq(ikcp_send(kcp, "m", 1), 1);
  }
  ikcp_update(kcp, 0);
  ck_assert_uint_eq(kcp->nsnd_buf, 5);
  ck_assert_uint_eq(kcp->snd_nxt, 5);
  outbox_clear(&box);

  /* una beyond snd_nxt: ignored whole, wnd included */
  ck_assert_int_eq(inject(kcp, 84, 0, 0, 0, 0, 1000, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 0, 0, 0, 6, NULL, 0), 0);
  ck_assert_uint_eq(kcp->nsnd_buf, 5);
  ck_assert_uint_eq(kcp->snd_una, 0);
  ck_assert_uint_eq(kcp->rmt_wnd, 128);
  /* ACK of an sn never sent */
  ck_assert_int_eq(inject(kcp, 82, 0, 0, 0, 77, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 0, 0, 5, 0, NULL, 0), 0);
  ck_assert_uint_eq(kcp->nsnd_buf, 5);
  ck_assert_uint_eq(kcp->rmt_wnd, 128);
  /* PUSH beyond (or far below) the receive window: not acked, no wnd */
  ck_assert_int_eq(inject(kcp, 81, 0, 0, 0, 5000, 0, "x", 1), 0);
  ck_assert_int_eq(inject(kcp, 81, 0, 0, 0, 128, 0, "x", 1), 0);
  ck_assert_int_eq(inject(kcp, 81, 0, 0, 0, 0xfffff000u, 0, "x", 1), 0);
  ck_assert_uint_eq(kcp->rmt_wnd, 128);
  ck_assert_uint_eq(stats_of(kcp).out_of_window, 7);
  ikcp_update(kcp, 100);
  ck_assert_int_eq(count_cmd(&box, 82), 0);
  outbox_clear(&box);

  /* the real una and an ACK still work */
  ck_assert_int_eq(inject(kcp, 82, 0, 50, 50, 4, 3, NULL, 0), 0);
  ck_assert_uint_eq(kcp->snd_una, 3);
  ck_assert_uint_eq(kcp->nsnd_buf, 1);
  ck_assert_uint_eq(kcp->rmt_wnd, 50);
  ck_assert_int_eq(inject(kcp, 82, 0, 50, 50, 3, 3, NULL, 0), 0);
  ck_assert_uint_eq(kcp->snd_una, 5);
  ck_assert_uint_eq(kcp->nsnd_buf, 0);
  ck_assert_uint_eq(stats_of(kcp).out_of_window, 7);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_forged_ts)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  int i;
  kcp->nocwnd = 1;
  for (i = 0; i < 40; i++) {
    ck_assert_int_eq(ikcp_send(kcp, "m", 1), 1);
  }
  ikcp_update(kcp, 0x70000000u);
  ck_assert_uint_eq(kcp->nsnd_buf, 32);
  /* ACKs echoing absurd send times: the estimator stays in range */
  for (i = 0; i < 32; i++) {
    IUINT32 ts = i % 2 ? 0x70000001u - 0x7fffffffu : 0x70000000u - (IUINT32)i * 0x1000000u;
    ck_assert_int_eq(inject(kcp, 82, 0, 128, ts, (IUINT32)i, 0, NULL, 0), 0);
    ck_assert_int_ge(kcp->rx_srtt, 0);
    ck_assert_int_le(kcp->rx_srtt, 60000);
    ck_assert_int_le(kcp->rx_rttval, 60000);
    ck_assert_int_ge(kcp->rx_rto, kcp->rx_minrto);
    ck_assert_int_le(kcp->rx_rto, 60000);
  }
  /* a ts in the future gives no sample at all */
  ck_assert_int_eq(inject(kcp, 81, 0, 128, 0, 0, 32, "x", 1), 0);
  ck_assert_uint_eq(kcp->snd_una, 32);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_resend_order)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  IUINT32 now, last = 0;
  int i, j, first = 1, resent = 0;
  kcp->nocwnd = 1;
  ikcp_wndsize(kcp, 64, -1);
  ikcp_nodelay(kcp, 1, 10, 1, 1);
  for (now = 0; now < 60; now += 10) {
    for (i = 0; i < 10; i++) {
      ck_assert_int_eq(ikcp_send(kcp, "m", 1), 1);
    }
    ikcp_update(kcp, now);
  }
  ck_assert_uint_eq(kcp->nsnd_buf, 60);
  outbox_clear(&box);
  /* ACK a few late ones: fast resends mix with timer resends below */
  for (i = 0; i < 3; i++) {
    ck_assert_int_eq(inject(kcp, 82, 0, 128, 50, (IUINT32)(55 + i), 0, NULL, 0), 0);
  }
  for (; now < 400 && resent < 57; now += 10) {
    ikcp_update(kcp, now);
    for (i = 0; i < box.n; i++) {
      for (j = 0; j + IKCP_OVERHEAD <= box.len[i]; j += IKCP_OVERHEAD + (int)get32(box.data[i] + j + 20)) {
        IUINT32 sn = get32(box.data[i] + j + 12);
        ck_assert(first || sn > last);
        first = 0;
        last = sn;
        resent++;
      }
    }
    outbox_clear(&box);
    first = 1;
  }
  ck_assert_int_ge(resent, 57);
  ck_assert_uint_gt(stats_of(kcp).retrans_fast, 0);
  ck_assert_uint_gt(stats_of(kcp).retrans_timeout, 0);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_frg_beyond_window)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  ikcp_update(kcp, 0);
  ck_assert_int_eq(inject(kcp, 81, 128, 0, 0, 0, 0, "x", 1), 0);
  ck_assert_int_eq(inject(kcp, 81, 255, 0, 0, 0, 0, "x", 1), 0);
  ck_assert_uint_eq(kcp->nrcv_buf + kcp->nrcv_que, 0);
  ck_assert_uint_eq(kcp->rmt_wnd, 128);
  ck_assert_uint_eq(stats_of(kcp).malformed, 2);
  ikcp_update(kcp, 100);
  ck_assert_int_eq(box.n, 0);
  ck_assert_int_eq(inject(kcp, 81, 127, 0, 0, 0, 0, "x", 1), 0);
  ck_assert_uint_eq(kcp->nrcv_que, 1);
  ck_assert_uint_eq(kcp->rmt_wnd, 0);
  ikcp_release(kcp);

  kcp = make_kcp(5, &box);
  ck_assert_int_eq(ikcp_wndsize(kcp, -1, 256), 0);
  ck_assert_int_eq(inject(kcp, 81, 200, 9, 0, 0, 0, "x", 1), 0);
  ck_assert_uint_eq(kcp->nrcv_que, 1);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_mtu_shrink_queued)
{
  struct pair *p = pair_new(77);
  static char msg[1376 * 3];
  int i, got = 0;
  char in[sizeof(msg)];
  ck_assert_int_eq(ikcp_wndsize(p->a, 8, 128), 0);
  for (i = 0; i < 20; i++) {
    fill_msg(msg, sizeof(msg), i);
    ck_assert_int_eq(ikcp_send(p->a, msg, sizeof(msg)), (int)sizeof(msg));
  }
  pair_step(p, 100);
  pair_step(p, 100);
  ck_assert_uint_gt(p->a->nsnd_buf, 0);
  ck_assert_int_eq(ikcp_setmtu(p->a, 50), 0);
  ck_assert_int_eq(ikcp_send(p->a, msg, 100), 100);
  for (i = 0; i < 2000 && got < 21; i++) {
    int j, r;
    pair_advance(p, 100);
    for (j = 0; j < p->box_a.n; j++) {
      ck_assert_int_le(p->box_a.len[j], 1400);
    }
    pair_exchange(p);
    while ((r = ikcp_recv(p->b, in, sizeof(in))) >= 0) {
      /* the last message is the first 100 bytes of message 19 */
      ck_assert_int_eq(r, got < 20 ? (int)sizeof(msg) : 100);
      fill_msg(msg, sizeof(msg), got < 20 ? got : 19);
      ck_assert_int_eq(memcmp(in, msg, (size_t)r), 0);
      got++;
    }
  }
  ck_assert_int_eq(got, 21);
  pair_free(p);
}
END_TEST

static int log_len;
static int log_calls;

static void record_log(const char *line, ikcpcb *kcp, void *user)
{
  (void)kcp;
  (void)user;
  log_len = (int)strlen(line);
  log_calls++;
}

static IUINT32 lcg_state;

static IUINT32 lcg(void)
{
  lcg_state = lcg_state * 1103515245u + 12345u;
  return lcg_state >> 8;
}

/**
 * Hostile input: datagrams of random segments, most with the right conv and
 * sn/una/len near the live values, between sends, reads and ticks. Nothing
 * may crash (ASan/UBSan build) and every bound must hold throughout.
 */
START_TEST(test_random_input)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(0x1234, &box);
  static char dgram[4096], buf[200000];
  IUINT32 now = 0;
  int round;
  lcg_state = 12345u + (IUINT32)_i;
  ck_assert_int_eq(ikcp_profile(kcp, _i % 2 ? "fast3" : "normal"), 0);
  kcp->stream = _i % 3 == 2;
  for (round = 0; round < 6000; round++) {
    int n = 0, nseg = 1 + (int)(lcg() % 4), k, r;
    for (k = 0; k < nseg && n + IKCP_OVERHEAD + 64 < (int)sizeof(dgram); k++) {
      IUINT32 len = lcg() % 8 == 0 ? lcg() : lcg() % 64;
      IUINT32 sn = kcp->rcv_nxt + lcg() % 300 - 100;
      IUINT32 una = kcp->snd_una + lcg() % 40 - 5;
      int cmd = 81 + (int)(lcg() % 4);
      if (lcg() % 20 == 0) {
        cmd = (int)(lcg() % 256);
      }
      if (cmd == 82) {
        sn = kcp->snd_una + lcg() % 50 - 10;
      }
      n += build_seg(dgram + n, lcg() % 50 == 0 ? lcg() : 0x1234, cmd, (int)(lcg() % 256),
                     (int)(lcg() % 300), now - lcg() % 1000, sn, una, NULL, 0);
      if (len <= 64) {
        memset(dgram + n, 'r', len);
        n += (int)len;
      }
    }
    r = ikcp_input(kcp, dgram, n - (int)(lcg() % 3 == 0 ? lcg() % (IUINT32)n : 0));
    ck_assert(r == 0 || r == -1 || r == -2 || r == -3);
    if (lcg() % 4 == 0) {
      r = ikcp_send(kcp, buf, (int)(lcg() % 5000));
      ck_assert(r >= 0 || r == -2);
    }
    if (lcg() % 3 == 0) {
      r = ikcp_recv(kcp, buf, (int)(lcg() % 2 ? sizeof(buf) : lcg() % 100));
      ck_assert(r >= -3);
    }
    if (lcg() % 5 == 0) {
      now += lcg() % 50;
      ikcp_update(kcp, now);
      outbox_clear(&box);
    }
    ck_assert_uint_le(kcp->nacks, kcp->rcv_mask + 1);
    ck_assert_uint_le(kcp->nrcv_buf, kcp->rcv_mask + 1);
    ck_assert_uint_le(kcp->nrcv_que, kcp->rcv_wnd);
    ck_assert_uint_le(kcp->nsnd_buf, kcp->snd_wnd);
    ck_assert_uint_le(kcp->snd_nxt - kcp->snd_una, kcp->snd_mask + 1);
    ck_assert_int_le(kcp->rx_rto, 60000);
  }
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_log_bounded)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  static char longarg[5000];
  memset(longarg, 'z', sizeof(longarg) - 1);
  kcp->writelog = record_log;
  kcp->logmask = IKCP_LOG_RECV;
  ikcp_log(kcp, IKCP_LOG_SEND, "%s", longarg);
  ck_assert_int_eq(log_calls, 0);
  ikcp_log(kcp, IKCP_LOG_RECV, "%s%s", longarg, longarg);
  ck_assert_int_eq(log_calls, 1);
  ck_assert_int_eq(log_len, 1023);
  kcp->logmask = 0xfff;
  ck_assert_int_eq(ikcp_send(kcp, "abc", 3), 3);
  ck_assert_int_eq(inject(kcp, 81, 0, 128, 0, 0, 0, "x", 1), 0);
  ikcp_update(kcp, 0);
  ck_assert_int_gt(log_calls, 3);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/*---------------------------------------------------------------------------
 * timing: check / update / retransmission
 *-------------------------------------------------------------------------*/

START_TEST(test_check_drives_update)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  IUINT32 now = 5, next;
  int iterations = 0, i;
  ck_assert_int_eq(ikcp_nodelay(kcp, _i, 100, 0, 1), 0);
  kcp->dead_link = 1000;
  for (i = 0; i < 4; i++) {
    ck_assert_int_eq(ikcp_send(kcp, "data", 4), 4);
  }
  ikcp_update(kcp, now);
  /* Nobody answers: every wake-up that check asks for must make progress. */
  while (now < 600000) {
    next = ikcp_check(kcp, now);
    ck_assert_uint_gt(next, now);
    ck_assert_uint_le(next - now, kcp->interval);
    now = next;
    ikcp_update(kcp, now);
    ck_assert_uint_gt(ikcp_check(kcp, now), now);
    iterations++;
    ck_assert_int_lt(iterations, 20000);
  }
  ck_assert_uint_gt(stats_of(kcp).retrans_timeout, 4);
  ck_assert_uint_eq(kcp->state, 0);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_resend_at_next_tick)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  IUINT32 now;
  ck_assert_int_eq(ikcp_nodelay(kcp, 1, 30, 0, 1), 0);
  ck_assert_int_eq(ikcp_send(kcp, "data", 4), 4);
  ikcp_update(kcp, 1000);
  ck_assert_int_eq(count_cmd(&box, 81), 1);
  outbox_clear(&box);
  /* rto 200: the timer expires at 1200, between the ticks at 1180 and 1210.
   * As the reference, the resend waits for the tick, and check names it. */
  for (now = 1001; now < 1210; now++) {
    ikcp_update(kcp, now);
    ck_assert_int_eq(box.n, 0);
    ck_assert_uint_le(ikcp_check(kcp, now), 1210);
    ck_assert_uint_gt(ikcp_check(kcp, now), now);
  }
  ck_assert_uint_eq(ikcp_check(kcp, 1200), 1210);
  ikcp_update(kcp, 1210);
  ck_assert_int_eq(count_cmd(&box, 81), 1);
  ck_assert_uint_eq(stats_of(kcp).retrans_timeout, 1);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/** PUSH sn values in @p box, in order, into @p sn; returns how many. */
static int pushed_sns(const struct outbox *box, IUINT32 *sn, int max)
{
  int i, off, n = 0;
  for (i = 0; i < box->n; i++) {
    for (off = 0; off + IKCP_OVERHEAD <= box->len[i]; off += IKCP_OVERHEAD + (int)get32(box->data[i] + off + 20)) {
      if ((unsigned char)box->data[i][off + 4] == 81 && n < max) {
        sn[n++] = get32(box->data[i] + off + 12);
      }
    }
  }
  return n;
}

START_TEST(test_fastack_counting)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  char two[2 * IKCP_OVERHEAD];
  IUINT32 sn[16];
  int i;
  ck_assert_int_eq(ikcp_nodelay(kcp, 0, 100, 2, 1), 0);
  kcp->fastlimit = 3;
  for (i = 0; i < 6; i++) {
    ck_assert_int_eq(ikcp_send(kcp, "m", 1), 1);
  }
  ikcp_update(kcp, 0);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 6);
  outbox_clear(&box);

  /* One count per input with ACKs, for every segment below the largest. */
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 2, 0, NULL, 0), 0);
  build_seg(two, 5, 82, 0, 128, 0, 3, 0, NULL, 0);
  build_seg(two + IKCP_OVERHEAD, 5, 82, 0, 128, 0, 4, 0, NULL, 0);
  ck_assert_int_eq(ikcp_input(kcp, two, sizeof(two)), 0);
  ikcp_update(kcp, 100);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 2);
  ck_assert_uint_eq(sn[0], 0);
  ck_assert_uint_eq(sn[1], 1);
  ck_assert_uint_eq(stats_of(kcp).retrans_fast, 2);
  outbox_clear(&box);

  /* Counted again by later ACKs (even repeated ones) sent after the
   * resend (ts 100), as the reference, until fastlimit: xmit 3 may still
   * go, xmit 4 no more. */
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 100, 5, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 100, 5, 0, NULL, 0), 0);
  ikcp_update(kcp, 200);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 2);
  ck_assert_uint_eq(stats_of(kcp).retrans_fast, 4);
  outbox_clear(&box);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 200, 5, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 200, 5, 0, NULL, 0), 0);
  ikcp_update(kcp, 210);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 0);
  ck_assert_uint_eq(stats_of(kcp).retrans_fast, 4);
  ck_assert_uint_eq(kcp->nsnd_buf, 2);
  /* the timer still resends them */
  for (i = 220; i < 2000 && stats_of(kcp).retrans_timeout == 0; i += 10) {
    ikcp_update(kcp, (IUINT32)i);
  }
  ck_assert_uint_eq(stats_of(kcp).retrans_timeout, 2);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_backoff_follows_estimate)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  IUINT32 sn[4], now;
  ck_assert_int_eq(ikcp_nodelay(kcp, 0, 10, 0, 1), 0);
  ck_assert_int_eq(ikcp_send(kcp, "a", 1), 1);
  ck_assert_int_eq(ikcp_send(kcp, "b", 1), 1);
  /* rto 200 + 200/8: both time out at the tick of 230, rto 200 + 200. */
  for (now = 0; now <= 230; now += 10) {
    outbox_clear(&box);
    ikcp_update(kcp, now);
  }
  ck_assert_int_eq(pushed_sns(&box, sn, 4), 2);
  ck_assert_uint_eq(stats_of(kcp).retrans_timeout, 2);
  /* An RTT of 500 raises the estimate to 1500 before sn 0 times out again
   * at 630: its timer then grows by the estimate, not by its own 400. */
  for (now = 240; now <= 600; now += 10) {
    outbox_clear(&box);
    ikcp_update(kcp, now);
    ck_assert_int_eq(pushed_sns(&box, sn, 4), 0);
  }
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 100, 1, 0, NULL, 0), 0);
  ck_assert_int_eq(kcp->rx_rto, 1500);
  for (now = 610; now <= 2530; now += 10) {
    outbox_clear(&box);
    ikcp_update(kcp, now);
    if (now == 630 || now == 2530) {
      ck_assert_int_eq(pushed_sns(&box, sn, 4), 1);
      ck_assert_uint_eq(sn[0], 0);
    } else {
      ck_assert_int_eq(pushed_sns(&box, sn, 4), 0);
    }
  }
  ck_assert_uint_eq(stats_of(kcp).retrans_timeout, 4);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_dead_link)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  IUINT32 now;
  kcp->dead_link = 5;
  kcp->nocwnd = 1;
  ck_assert_int_eq(ikcp_send(kcp, "data", 4), 4);
  for (now = 0; now < 120000 && kcp->state == 0; now += 10) {
    ck_assert(!ikcp_is_dead(kcp));
    ikcp_update(kcp, now);
    outbox_clear(&box);
  }
  ck_assert_uint_eq(kcp->state, 0xffffffffu);
  ck_assert(ikcp_is_dead(kcp));
  ck_assert_uint_eq(kcp->xmit, 4);
  ck_assert_uint_eq(stats_of(kcp).retrans_timeout, 4);
  ikcp_release(kcp);
}
END_TEST

START_TEST(test_fast_retransmit)
{
  struct pair *p = pair_new(3);
  IKCPSTATS st;
  ck_assert_int_eq(ikcp_profile(p->a, "fast2"), 0);
  ck_assert_int_eq(ikcp_profile(p->b, "fast2"), 0);
  ck_assert_int_eq(ikcp_wndsize(p->a, 128, 128), 0);
  p->imp.drop_every = 1000000;
  p->imp.drop_phase = 10;
  transfer(p, 300, 1000, 40, 60000);
  st = stats_of(p->a);
  ck_assert_uint_ge(st.retrans_fast, 1);
  ck_assert_uint_eq(st.retrans_timeout, 0);
  pair_free(p);
}
END_TEST

/*---------------------------------------------------------------------------
 * transfers
 *-------------------------------------------------------------------------*/

START_TEST(test_loopback_lossless)
{
  struct pair *p = pair_new(0x11223344);
  IKCPSTATS sa, sb;
  transfer(p, 500, 5000, 64, 60000);
  pair_step(p, 100);
  ck_assert_uint_eq(p->a->state, 0);
  ck_assert_int_eq(ikcp_peeksize(p->b), -1);
  ck_assert_int_eq(ikcp_waitsnd(p->a), 0);
  sa = stats_of(p->a);
  sb = stats_of(p->b);
  ck_assert_uint_eq(sa.data_segs_out, sb.data_segs_in);
  ck_assert_uint_eq(sa.segs_out, sb.segs_in);
  ck_assert_uint_eq(sa.bytes_out, sb.bytes_in);
  ck_assert_uint_eq(sb.segs_out, sa.segs_in);
  ck_assert_uint_eq(sa.retrans_timeout + sa.retrans_fast, 0);
  ck_assert_uint_eq(sb.dup_segs + sb.out_of_window + sb.malformed, 0);
  ck_assert_uint_gt(sa.data_segs_out, 500);
  pair_free(p);
}
END_TEST

START_TEST(test_loopback_lossy)
{
  static const struct impair cases[] = {
    { 10, 3, 0, 0 },
    { 7, 0, 5, 1 },
    { 3, 1, 4, 0 },
  };
  const char *profile = _i % 2 ? "fast3" : "normal";
  struct pair *p = pair_new(0x55aa);
  IKCPSTATS sa, sb;
  p->imp = cases[_i % 3];
  ck_assert_int_eq(ikcp_profile(p->a, profile), 0);
  ck_assert_int_eq(ikcp_profile(p->b, profile), 0);
  ck_assert_int_eq(ikcp_wndsize(p->a, 128, 128), 0);
  ck_assert_int_eq(ikcp_wndsize(p->b, 128, 128), 0);
  transfer(p, 400, 4000, 100, 600000);
  sa = stats_of(p->a);
  sb = stats_of(p->b);
  ck_assert_uint_gt(sa.retrans_timeout + sa.retrans_fast, 0);
  if (p->imp.dup_every > 0) {
    ck_assert_uint_gt(sb.dup_segs, 0);
  }
  pair_free(p);
}
END_TEST

START_TEST(test_wraparound)
{
  struct pair *p = pair_new(0xabcdef01);
  const IUINT32 start = 0xffffff00u;
  p->a->snd_una = p->a->snd_nxt = start;
  p->b->rcv_nxt = start;
  p->b->snd_una = p->b->snd_nxt = start + 50;
  p->a->rcv_nxt = start + 50;
  p->now = 0xffffffffu - 500;
  p->imp.drop_every = 9;
  p->imp.drop_phase = 4;
  p->imp.dup_every = 13;
  ck_assert_int_eq(ikcp_profile(p->a, "fast"), 0);
  ck_assert_int_eq(ikcp_profile(p->b, "fast"), 0);
  ck_assert_int_eq(ikcp_wndsize(p->a, 64, 128), 0);
  transfer(p, 600, 3000, 60, 600000);
  ck_assert_uint_lt(p->a->snd_nxt, 0x1000u);
  ck_assert_uint_lt(p->now, 0x100000u);
  pair_free(p);
}
END_TEST

START_TEST(test_window_full_probe)
{
  struct pair *p = pair_new(21);
  static char out[1000], in[1000];
  int i, got = 0, wasks = 0;
  ck_assert_int_eq(ikcp_nodelay(p->a, 1, 10, 2, 1), 0);
  ck_assert_int_eq(ikcp_nodelay(p->b, 1, 10, 2, 1), 0);
  ck_assert_int_eq(ikcp_wndsize(p->a, 256, 128), 0);
  for (i = 0; i < 300; i++) {
    fill_msg(out, sizeof(out), i);
    ck_assert_int_eq(ikcp_send(p->a, out, sizeof(out)), (int)sizeof(out));
  }
  /* b does not read: its queue fills and it advertises 0 */
  for (i = 0; i < 100; i++) {
    pair_step(p, 10);
  }
  ck_assert_uint_eq(p->b->nrcv_que, 128);
  ck_assert_uint_eq(p->a->rmt_wnd, 0);
  ck_assert_uint_eq(p->a->snd_una, 128);

  /* b drains but its WINS is lost: a must probe (WASK) and learn it */
  for (i = 0; i < 128; i++) {
    expect_msg(in, ikcp_recv(p->b, in, sizeof(in)), sizeof(in), got++);
  }
  p->now += 10;
  ikcp_update(p->b, p->now);
  ck_assert_int_eq(count_cmd(&p->box_b, 84), 1);
  outbox_clear(&p->box_b);
  ck_assert_uint_eq(p->a->rmt_wnd, 0);

  for (i = 0; i < 3000 && got < 300; i++) {
    pair_advance(p, 10);
    if (count_cmd(&p->box_a, 83) > 0) {
      /* the window closed after t = 0: the first probe waits 7 s */
      ck_assert_uint_ge(p->now, 7000);
      wasks++;
    }
    pair_exchange(p);
    pair_drain(p, in, sizeof(in), &got);
  }
  ck_assert_int_eq(got, 300);
  ck_assert_int_eq(wasks, 1);
  pair_free(p);
}
END_TEST

START_TEST(test_stream_mode)
{
  struct pair *p = pair_new(8);
  static char out[100000], in[100000];
  int sent = 0, got = 0, i;
  p->a->stream = 1;
  p->b->stream = 1;
  ck_assert_int_eq(ikcp_profile(p->a, "fast"), 0);
  p->imp.drop_every = 11;
  fill_msg(out, sizeof(out), 5);
  for (i = 0; i < 5000 && got < (int)sizeof(out); i++) {
    int chunk = 1 + (i * 31) % 700;
    if (sent + chunk > (int)sizeof(out)) {
      chunk = (int)sizeof(out) - sent;
    }
    if (chunk > 0 && ikcp_waitsnd(p->a) < 100) {
      ck_assert_int_eq(ikcp_send(p->a, out + sent, chunk), chunk);
      sent += chunk;
    }
    pair_step(p, 10);
    pair_drain_stream(p, in, sizeof(in), &got);
  }
  ck_assert_int_eq(got, (int)sizeof(out));
  ck_assert_int_eq(memcmp(in, out, sizeof(out)), 0);
  pair_free(p);
}
END_TEST

START_TEST(test_grow_midflight)
{
  struct pair *p = pair_new(31);
  static char out[1000], in[1000];
  int sent = 0, got = 0, step;
  p->imp.drop_every = 4;
  p->imp.drop_phase = 1;
  p->imp.reverse = 1;
  ck_assert_int_eq(ikcp_profile(p->a, "fast3"), 0);
  ck_assert_int_eq(ikcp_profile(p->b, "fast3"), 0);
  for (step = 0; step < 20000 && got < 3000; step++) {
    while (sent < 3000 && ikcp_waitsnd(p->a) < 2000) {
      fill_msg(out, sizeof(out), sent++);
      ck_assert_int_eq(ikcp_send(p->a, out, sizeof(out)), (int)sizeof(out));
    }
    /* rings grow with segments in flight and out of order */
    if (step == 20) {
      ck_assert_uint_gt(p->a->nsnd_buf, 0);
      ck_assert_uint_gt(p->b->nrcv_buf, 0);
      ck_assert_int_eq(ikcp_wndsize(p->a, 1000, 1000), 0);
      ck_assert_int_eq(ikcp_wndsize(p->b, 1000, 1000), 0);
    }
    if (step == 25) {
      ck_assert_uint_gt(p->b->nrcv_buf, 0);
      p->a->snd_wnd = 3000;
      p->b->rcv_wnd = 3000;
    }
    pair_step(p, 10);
    pair_drain(p, in, sizeof(in), &got);
  }
  ck_assert_int_eq(got, 3000);
  ck_assert_uint_ge(p->a->snd_mask + 1, 3000);
  ck_assert_uint_ge(p->b->rcv_mask + 1, 3000);
  pair_free(p);
}
END_TEST

START_TEST(test_stream_topup_grow)
{
  struct pair *p = pair_new(32);
  static char out[6000], in[6000];
  int got = 0, i;
  p->a->stream = 1;
  p->a->nocwnd = 1;
  fill_msg(out, sizeof(out), 9);
  ck_assert_int_eq(ikcp_send(p->a, out, 10), 10);
  ck_assert_int_eq(ikcp_setmtu(p->a, 3000), 0);
  ck_assert_int_eq(ikcp_setmtu(p->b, 3000), 0);
  /* the queued 10-byte segment is topped up to the new, larger mss */
  ck_assert_int_eq(ikcp_send(p->a, out + 10, 5990), 5990);
  ck_assert_uint_eq(p->a->nsnd_que, 3);
  for (i = 0; i < 100 && got < (int)sizeof(out); i++) {
    pair_step(p, 10);
    pair_drain_stream(p, in, sizeof(in), &got);
  }
  ck_assert_int_eq(got, (int)sizeof(out));
  ck_assert_int_eq(memcmp(in, out, sizeof(out)), 0);
  pair_free(p);
}
END_TEST

START_TEST(test_big_window)
{
  struct pair *p = pair_new(99);
  p->imp.drop_every = 10;
  p->imp.drop_phase = 2;
  ck_assert_int_eq(ikcp_profile(p->a, "fast3"), 0);
  ck_assert_int_eq(ikcp_profile(p->b, "fast3"), 0);
  ck_assert_int_eq(ikcp_wndsize(p->a, 8192, 8192), 0);
  ck_assert_int_eq(ikcp_wndsize(p->b, 8192, 8192), 0);
  transfer(p, 20000, 1000, 6000, 600000);
  /* a window set through the field grows the rings at the next flush */
  p->a->snd_wnd = 20000;
  p->b->rcv_wnd = 20000;
  transfer(p, 20000, 1000, 15000, 600000);
  pair_free(p);
}
END_TEST

/*---------------------------------------------------------------------------
 * allocator and congestion control hooks
 *-------------------------------------------------------------------------*/

static long alloc_live;
static long alloc_budget;   /* mallocs that may still succeed, -1 unlimited */
static long alloc_calls;    /* mallocs asked for, failed ones included */
static long alloc_fail_nth; /* the one call (counted from 0) that fails, -1 none */
static size_t alloc_bytes;  /* bytes of the successful mallocs */

static void alloc_reset(long budget, long fail_nth)
{
  alloc_live = 0;
  alloc_budget = budget;
  alloc_calls = 0;
  alloc_fail_nth = fail_nth;
  alloc_bytes = 0;
}

static void *counting_malloc(size_t size)
{
  void *p;
  long call = alloc_calls++;
  if (alloc_budget == 0 || call == alloc_fail_nth) {
    return NULL;
  }
  if (alloc_budget > 0) {
    alloc_budget--;
  }
  p = malloc(size);
  if (p != NULL) {
    alloc_live++;
    alloc_bytes += size;
  }
  return p;
}

static void counting_free(void *ptr)
{
  if (ptr != NULL) {
    alloc_live--;
  }
  free(ptr);
}

START_TEST(test_allocator_balanced)
{
  struct pair *p;
  alloc_reset(-1, -1);
  ikcp_allocator(counting_malloc, counting_free);
  p = pair_new(4);
  p->imp.drop_every = 5;
  ck_assert_int_gt(alloc_live, 0);
  transfer(p, 200, 3000, 50, 600000);
  ck_assert_int_eq(ikcp_send(p->a, "left", 4), 4);
  pair_step(p, 10);
  pair_free(p);
  ck_assert_int_eq(alloc_live, 0);
  ikcp_allocator(NULL, NULL);
}
END_TEST

/** Every operation with the allocator failing at each possible point. */
START_TEST(test_allocator_failures)
{
  long budget;
  char buf[5000];
  memset(buf, 'q', sizeof(buf));
  ikcp_allocator(counting_malloc, counting_free);
  for (budget = 0; budget < 60; budget++) {
    struct outbox box = { 0 };
    ikcpcb *kcp;
    IUINT32 que;
    int r;
    alloc_reset(budget, -1);
    kcp = ikcp_create(6, &box);
    if (kcp == NULL) {
      ck_assert_int_eq(alloc_live, 0);
      continue;
    }
    ikcp_setoutput(kcp, outbox_output);
    que = kcp->nsnd_que;
    r = ikcp_send(kcp, buf, sizeof(buf));
    ck_assert(r == (int)sizeof(buf) || r == IKCP_ENOMEM);
    ck_assert_uint_eq(kcp->nsnd_que, r == IKCP_ENOMEM ? que : que + 4);
    r = inject(kcp, 81, 0, 128, 0, 0, 0, "x", 1);
    ck_assert(r == 0 || r == IKCP_ENOMEM);
    ck_assert_uint_eq(kcp->rcv_nxt, r == 0 ? 1 : 0);
    r = ikcp_wndsize(kcp, 1000, 1000);
    ck_assert(r == 0 || r == IKCP_ENOMEM);
    ck_assert_uint_eq(kcp->snd_wnd, r == 0 ? 1000 : 32);
    r = ikcp_setmtu(kcp, 3000);
    ck_assert(r == 0 || r == -2);
    ck_assert_uint_eq(kcp->mtu, r == 0 ? 3000 : 1400);
    kcp->stream = 1;
    r = ikcp_send(kcp, buf, 10);
    ck_assert(r == 10 || r == IKCP_ENOMEM);
    ikcp_update(kcp, 0);
    ikcp_update(kcp, 100);
    ikcp_release(kcp);
    outbox_clear(&box);
    ck_assert_int_eq(alloc_live, 0);
  }
  ikcp_allocator(NULL, NULL);
}
END_TEST

/*---------------------------------------------------------------------------
 * lazy allocation and ikcp_trim()
 *-------------------------------------------------------------------------*/

/** Whether @p kcp holds no buffer and no ring (queued segments aside). */
static int kcp_bare(const ikcpcb *kcp)
{
  return kcp->buffer == NULL && kcp->snd_ring == NULL && kcp->rcv_ring == NULL;
}

START_TEST(test_lazy_create)
{
  struct outbox box = { 0 };
  char buf[16];
  ikcpcb *kcp;
  IUINT32 t;
  ikcp_allocator(counting_malloc, counting_free);
  alloc_reset(-1, -1);
  kcp = make_kcp(3, &box);
  ck_assert_int_eq(alloc_calls, 1);
  ck_assert_uint_eq(alloc_bytes, sizeof(ikcpcb));
  ck_assert(kcp_bare(kcp));
  /* settings, empty reads and idle flushes allocate nothing either */
  ck_assert_int_eq(ikcp_wndsize(kcp, 4096, 4096), 0);
  ck_assert_int_eq(ikcp_setmtu(kcp, 3000), 0);
  ck_assert_int_eq(ikcp_nodelay(kcp, 1, 10, 2, 1), 0);
  ck_assert_int_eq(ikcp_recv(kcp, buf, sizeof(buf)), -1);
  ck_assert_int_eq(ikcp_peeksize(kcp), -1);
  for (t = 0; t < 5000; t += 10) {
    ikcp_update(kcp, t);
  }
  ikcp_flush(kcp);
  ikcp_trim(kcp);
  ck_assert_int_eq(box.n, 0);
  ck_assert_int_eq(alloc_calls, 1);
  ck_assert(kcp_bare(kcp));
  ck_assert_uint_eq(kcp->snd_mask + 1, 4096);
  ck_assert_uint_eq(kcp->rcv_mask + 1, 4096);
  ck_assert_uint_eq(kcp->cwnd, 1);
  /* beyond the rings' limit fails even when only recorded */
  ck_assert_int_eq(ikcp_wndsize(kcp, 1 << 25, 0), IKCP_ENOMEM);
  ck_assert_uint_eq(kcp->snd_wnd, 4096);
  /* the first data allocates the buffer and the send ring, at the recorded
   * sizes, and not the receive side */
  ck_assert_int_eq(ikcp_send(kcp, "x", 1), 1);
  ikcp_update(kcp, t);
  ck_assert_int_eq(box.n, 1);
  ck_assert_ptr_nonnull(kcp->buffer);
  ck_assert_ptr_nonnull(kcp->snd_ring);
  ck_assert_ptr_null(kcp->rcv_ring);
  ck_assert_uint_eq(kcp->snd_mask + 1, 4096);
  ck_assert_uint_eq(kcp->bufcap, 3000);
  ck_assert_int_eq(alloc_live, 4);
  ikcp_release(kcp);
  ck_assert_int_eq(alloc_live, 0);
  outbox_clear(&box);
  ikcp_allocator(NULL, NULL);
}
END_TEST

static void outbox_same(const struct outbox *x, const struct outbox *y)
{
  int i;
  ck_assert_int_eq(x->n, y->n);
  for (i = 0; i < x->n; i++) {
    ck_assert_int_eq(x->len[i], y->len[i]);
    ck_assert_int_eq(memcmp(x->data[i], y->data[i], (size_t)x->len[i]), 0);
  }
}

/** Receive everything @p x and @p y (same state) hold; returns how many. */
static int recv_same(ikcpcb *x, ikcpcb *y)
{
  static char in1[4000], in2[4000];
  int r, n = 0;
  while ((r = ikcp_recv(x, in1, sizeof(in1))) >= 0) {
    ck_assert_int_eq(ikcp_recv(y, in2, sizeof(in2)), r);
    ck_assert_int_eq(memcmp(in1, in2, (size_t)r), 0);
    n++;
  }
  ck_assert_int_eq(ikcp_recv(y, in2, sizeof(in2)), r);
  return n;
}

/**
 * Trimming changes no byte on the wire: two pairs run the same lossy,
 * bursty exchange both ways, one trimmed at every step whatever its state.
 */
START_TEST(test_trim_same_wire)
{
  struct pair *p = pair_new(41), *q = pair_new(41);
  static char out[4000];
  struct pair *both[2];
  IKCPSTATS s1, s2;
  int step, k, sent = 0, got = 0, back = 0;
  both[0] = p;
  both[1] = q;
  for (k = 0; k < 2; k++) {
    both[k]->imp.drop_every = 5;
    both[k]->imp.drop_phase = 2;
    both[k]->imp.dup_every = 7;
    both[k]->imp.reverse = 1;
    ck_assert_int_eq(ikcp_nodelay(both[k]->a, 1, 10, 2, 1), 0);
  }
  for (step = 0; step < 5000 && !(got == 200 && back == 200 && kcp_bare(q->a) &&
                                   kcp_bare(q->b)); step++) {
    int n;
    /* bursts of ten messages with idle time between them */
    if (step % 50 == 0 && sent < 200) {
      for (n = 0; n < 10; n++, sent++) {
        int len = 1 + (sent * 577) % (int)sizeof(out);
        fill_msg(out, len, sent);
        for (k = 0; k < 2; k++) {
          ck_assert_int_eq(ikcp_send(both[k]->a, out, len), len);
        }
      }
    }
    for (k = 0; k < 2; k++) {
      both[k]->now += 10;
      ikcp_update(both[k]->a, both[k]->now);
      ikcp_update(both[k]->b, both[k]->now);
    }
    outbox_same(&p->box_a, &q->box_a);
    outbox_same(&p->box_b, &q->box_b);
    ikcp_trim(q->a);
    ikcp_trim(q->b);
    for (k = 0; k < 2; k++) {
      deliver(&both[k]->box_a, both[k]->b, &both[k]->count_ab, &both[k]->imp);
      deliver(&both[k]->box_b, both[k]->a, &both[k]->count_ba, &both[k]->imp);
    }
    n = recv_same(p->b, q->b);
    got += n;
    for (k = 0; k < 2; k++) {
      int i;
      for (i = 0; i < n; i++) {
        ck_assert_int_eq(ikcp_send(both[k]->b, "ok", 2), 2);
      }
    }
    back += recv_same(p->a, q->a);
    ikcp_trim(q->a);
    ikcp_trim(q->b);
  }
  ck_assert_int_eq(got, 200);
  ck_assert_int_eq(back, 200);
  ikcp_getstats(p->a, &s1);
  ikcp_getstats(q->a, &s2);
  ck_assert_int_eq(memcmp(&s1, &s2, sizeof(s1)), 0);
  ck_assert_uint_gt(s1.retrans_timeout + s1.retrans_fast, 0);
  ck_assert(kcp_bare(q->a));
  ck_assert(kcp_bare(q->b));
  pair_free(p);
  pair_free(q);
}
END_TEST

/** ikcp_trim() keeps what is in flight, out of order, pending or unread. */
START_TEST(test_trim_keeps_data)
{
  struct pair *p;
  static char out[3000], in[3000];
  long calls;
  int i;
  ikcp_allocator(counting_malloc, counting_free);
  alloc_reset(-1, -1);
  p = pair_new(23);
  ck_assert_int_eq(ikcp_nodelay(p->a, 1, 10, 2, 1), 0);
  ck_assert_int_eq(ikcp_nodelay(p->b, 1, 10, 2, 1), 0);
  for (i = 0; i < 5; i++) {
    fill_msg(out, sizeof(out), i);
    ck_assert_int_eq(ikcp_send(p->a, out, sizeof(out)), (int)sizeof(out));
  }
  p->now += 10;
  ikcp_update(p->a, p->now);
  ck_assert_int_eq(p->box_a.n, 15);
  /* in flight: the send ring stays, the buffer goes */
  ikcp_trim(p->a);
  ck_assert_ptr_null(p->a->buffer);
  ck_assert_ptr_nonnull(p->a->snd_ring);
  ck_assert_uint_eq(p->a->nsnd_buf, 15);
  /* b misses the first datagram: 14 segments out of order, 14 ACKs pending */
  p->imp.drop_every = 1000;
  deliver(&p->box_a, p->b, &p->count_ab, &p->imp);
  ck_assert_uint_eq(p->b->nrcv_buf, 14);
  ck_assert_uint_eq(p->b->nacks, 14);
  ikcp_trim(p->b);
  ck_assert_ptr_nonnull(p->b->rcv_ring);
  ck_assert_ptr_null(p->b->snd_ring);
  ck_assert_uint_eq(p->b->nacks, 14);
  p->now += 10;
  ikcp_update(p->b, p->now);
  ck_assert_int_eq(count_cmd(&p->box_b, 82), 14);
  /* ACKs gone, but the ring holds the segments still out of order */
  ikcp_trim(p->b);
  ck_assert_ptr_nonnull(p->b->rcv_ring);
  ck_assert_uint_eq(p->b->nrcv_buf, 14);
  p->imp.drop_every = 0;
  deliver(&p->box_b, p->a, &p->count_ba, &p->imp);
  ikcp_trim(p->a);
  ck_assert_uint_eq(p->a->nsnd_buf, 1);
  ck_assert_ptr_nonnull(p->a->snd_ring);
  /* the resend fills the gap, with trims all along */
  for (i = 0; i < 200 && ikcp_waitsnd(p->a) > 0; i++) {
    pair_step(p, 10);
    ikcp_trim(p->a);
    ikcp_trim(p->b);
  }
  ck_assert_int_eq(ikcp_waitsnd(p->a), 0);
  pair_step(p, 10);
  ikcp_trim(p->a);
  ikcp_trim(p->b);
  ck_assert(kcp_bare(p->a));
  ck_assert(kcp_bare(p->b));
  /* the two structs and the 15 segments b has not been asked for */
  ck_assert_uint_eq(p->b->nrcv_que, 15);
  ck_assert_int_eq(alloc_live, 2 + 15);
  for (i = 0; i < 5; i++) {
    ck_assert_int_eq(ikcp_recv(p->b, in, sizeof(in)), (int)sizeof(in));
    fill_msg(out, sizeof(out), i);
    ck_assert_int_eq(memcmp(in, out, sizeof(out)), 0);
  }
  ck_assert_int_eq(alloc_live, 2);
  /* idle flushes after a trim allocate nothing */
  calls = alloc_calls;
  for (i = 0; i < 100; i++) {
    pair_step(p, 10);
  }
  ck_assert_int_eq(alloc_calls, calls);
  /* traffic after a trim, both ways */
  p->imp.drop_every = 9;
  p->imp.drop_phase = 4;
  transfer(p, 100, 5000, 30, 60000);
  ck_assert_int_eq(ikcp_send(p->b, "back", 4), 4);
  for (i = 0; i < 200 && ikcp_peeksize(p->a) < 0; i++) {
    pair_step(p, 10);
  }
  ck_assert_int_eq(ikcp_recv(p->a, in, sizeof(in)), 4);
  ck_assert_int_eq(memcmp(in, "back", 4), 0);
  pair_free(p);
  ck_assert_int_eq(alloc_live, 0);
  ikcp_allocator(NULL, NULL);
}
END_TEST

/** What test_lazy_alloc_failure saw fail, per kind. */
struct lazy_seen {
  int send;
  int input;
  int flush;
  int wnd;
  int mtu;
};

static void lazy_deliver(struct outbox *box, ikcpcb *to, struct lazy_seen *seen)
{
  int i;
  for (i = 0; i < box->n; i++) {
    int r = ikcp_input(to, box->data[i], box->len[i]);
    ck_assert(r == 0 || r == IKCP_ENOMEM);
    seen->input += r != 0;
  }
  outbox_clear(box);
}

/** A flush left ACKs or data behind for want of its buffer or send ring. */
static void lazy_after_flush(const ikcpcb *kcp, struct lazy_seen *seen)
{
  if ((kcp->buffer == NULL && (kcp->nacks > 0 || kcp->nsnd_que > 0)) ||
      (kcp->snd_ring == NULL && kcp->nsnd_que > 0)) {
    seen->flush++;
  }
}

static void lazy_send(ikcpcb *kcp, int len, int id, struct lazy_seen *seen)
{
  static char out[3000];
  int r;
  fill_msg(out, len, id);
  r = ikcp_send(kcp, out, len);
  if (r == IKCP_ENOMEM) {
    seen->send++;
    r = ikcp_send(kcp, out, len);
  }
  ck_assert_int_eq(r, len);
}

static int lazy_recv(ikcpcb *kcp, int len, int id)
{
  static char out[3000], in[3000];
  int r, n = 0;
  while ((r = ikcp_recv(kcp, in, sizeof(in))) >= 0) {
    ck_assert_int_eq(r, len);
    fill_msg(out, len, id);
    ck_assert_int_eq(memcmp(in, out, (size_t)len), 0);
    n++;
  }
  return n;
}

/**
 * Three rounds of one message each way, both ends trimmed after each, so
 * every lazy allocation (buffer, send ring, receive ring) happens again
 * each round; a window and an mtu change while the arrays are allocated.
 * Every call returns a documented code and nothing is lost: a failed send
 * is retried, a dropped PUSH resent, a deferred flush done later.
 */
static void lazy_scenario(struct pair *p, struct lazy_seen *seen)
{
  int round;
  for (round = 0; round < 3; round++) {
    int len_ab = 2000 + round, len_ba = 100 + round;
    int got_ab = 0, got_ba = 0, step, r;
    lazy_send(p->a, len_ab, round, seen);
    lazy_send(p->b, len_ba, 10 + round, seen);
    for (step = 0; step < 1000; step++) {
      p->now += 10;
      ikcp_update(p->a, p->now);
      lazy_after_flush(p->a, seen);
      ikcp_update(p->b, p->now);
      lazy_after_flush(p->b, seen);
      if (step == 0 && round == 1) {
        r = ikcp_wndsize(p->a, 64, 256);
        ck_assert(r == 0 || r == IKCP_ENOMEM);
        ck_assert_uint_eq(p->a->snd_wnd, r == 0 ? 64 : 32);
        seen->wnd += r != 0;
      }
      if (step == 0 && round == 2) {
        r = ikcp_setmtu(p->b, 2000);
        ck_assert(r == 0 || r == -2);
        ck_assert_uint_eq(p->b->mtu, r == 0 ? 2000 : 1400);
        seen->mtu += r != 0;
      }
      lazy_deliver(&p->box_a, p->b, seen);
      lazy_deliver(&p->box_b, p->a, seen);
      got_ab += lazy_recv(p->b, len_ab, round);
      got_ba += lazy_recv(p->a, len_ba, 10 + round);
      if (got_ab && got_ba && ikcp_waitsnd(p->a) == 0 && ikcp_waitsnd(p->b) == 0 &&
          p->a->nacks == 0 && p->b->nacks == 0) {
        break;
      }
    }
    ck_assert_int_eq(got_ab, 1);
    ck_assert_int_eq(got_ba, 1);
    ikcp_trim(p->a);
    ikcp_trim(p->b);
    ck_assert(kcp_bare(p->a));
    ck_assert(kcp_bare(p->b));
  }
}

static struct pair *lazy_pair(void)
{
  struct pair *p = pair_new(51);
  ck_assert_int_eq(ikcp_nodelay(p->a, 1, 10, 2, 1), 0);
  ck_assert_int_eq(ikcp_nodelay(p->b, 1, 10, 2, 1), 0);
  return p;
}

/** The Nth allocation after creation fails, for every N a run makes. */
START_TEST(test_lazy_alloc_failure)
{
  struct lazy_seen none = { 0 }, seen = { 0 };
  struct pair *p;
  long total, n;
  ikcp_allocator(counting_malloc, counting_free);
  alloc_reset(-1, -1);
  p = lazy_pair();
  alloc_calls = 0;
  lazy_scenario(p, &none);
  total = alloc_calls;
  pair_free(p);
  ck_assert_int_eq(alloc_live, 0);
  ck_assert_int_eq(none.send + none.input + none.flush + none.wnd + none.mtu, 0);
  ck_assert_int_gt(total, 20);
  for (n = 0; n < total; n++) {
    alloc_reset(-1, -1);
    p = lazy_pair();
    alloc_calls = 0;
    alloc_fail_nth = n;
    lazy_scenario(p, &seen);
    pair_free(p);
    ck_assert_int_eq(alloc_live, 0);
  }
  /* every kind of lazy allocation was made to fail at least once */
  ck_assert_int_gt(seen.send, 0);
  ck_assert_int_gt(seen.input, 0);
  ck_assert_int_gt(seen.flush, 0);
  ck_assert_int_gt(seen.wnd, 0);
  ck_assert_int_gt(seen.mtu, 0);
  ikcp_allocator(NULL, NULL);
}
END_TEST

static int cc_acks;
static int cc_losses;
static int cc_ticks;
static int cc_released;

static int cc_init(ikcpcb *kcp)
{
  kcp->congest = &cc_acks;
  return 0;
}

static void cc_release(ikcpcb *kcp)
{
  ck_assert_ptr_eq(kcp->congest, &cc_acks);
  cc_released++;
}

static void cc_on_ack(ikcpcb *kcp, IUINT32 acked_segs, IUINT32 acked_bytes,
                      IUINT32 prior_in_flight)
{
  ck_assert_ptr_eq(kcp->congest, &cc_acks);
  ck_assert_uint_gt(acked_segs, 0);
  /* una may also pass segments acked by earlier inputs */
  ck_assert_uint_gt(acked_bytes, 0);
  ck_assert_uint_gt(prior_in_flight, 0);
  cc_acks++;
  kcp->cwnd = 4;
}

static void cc_on_fast(ikcpcb *kcp, IUINT32 fast_retrans, IUINT32 inflight,
                       IUINT32 prior_cwnd)
{
  (void)inflight;
  ck_assert_uint_gt(fast_retrans, 0);
  ck_assert_uint_le(prior_cwnd, 4);
  cc_losses++;
  kcp->cwnd = 2;
}

static void cc_on_timeout(ikcpcb *kcp, IUINT32 prior_cwnd)
{
  ck_assert_uint_le(prior_cwnd, 4);
  cc_losses++;
  kcp->cwnd = 2;
}

static void cc_on_tick(ikcpcb *kcp)
{
  (void)kcp;
  cc_ticks++;
}

static const struct IKCPOPS cc_test_ops = {
  "test", cc_init, cc_release, cc_on_ack, cc_on_fast, cc_on_timeout,
  cc_on_tick, NULL, NULL, NULL, NULL, NULL, NULL
};

static int cc_refuse(ikcpcb *kcp)
{
  (void)kcp;
  return -1;
}

static const struct IKCPOPS cc_refusing_ops = {
  "refuse", cc_refuse, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL
};

START_TEST(test_setcc)
{
  struct pair *p = pair_new(12);
  ck_assert_ptr_null(p->a->ccops); /* the built-in classic, as the reference */
  ck_assert_int_eq(ikcp_setcc(p->a, &cc_test_ops), 0);
  ck_assert_ptr_eq(p->a->ccops, &cc_test_ops);
  ck_assert_int_eq(ikcp_nodelay(p->a, -1, -1, -1, 1), 0);
  p->imp.drop_every = 6;
  transfer(p, 100, 3000, 30, 600000);
  ck_assert_int_gt(cc_acks, 0);
  ck_assert_int_gt(cc_losses, 0);
  ck_assert_int_gt(cc_ticks, 0);
  /* nocwnd is set, yet an installed module's cwnd governs */
  ck_assert_int_eq(p->a->nocwnd, 1);
  ck_assert_uint_le(p->a->cwnd, 4);
  ck_assert_int_eq(ikcp_setcc(p->a, NULL), 0);
  ck_assert_int_eq(cc_released, 1);
  ck_assert_ptr_null(p->a->ccops);
  ck_assert_int_eq(ikcp_setcc(p->a, &cc_refusing_ops), -1);
  ck_assert_ptr_null(p->a->ccops);
  ck_assert_ptr_eq(ikcp_cc_find("classic"), &ikcp_cc_classic);
  ck_assert_ptr_eq(ikcp_cc_find("bbr"), &ikcp_cc_bbr);
  ck_assert_ptr_null(ikcp_cc_find("reno"));
  ck_assert_ptr_null(ikcp_cc_find(NULL));
  ck_assert_str_eq(ikcp_cc_name(0), "classic");
  ck_assert_str_eq(ikcp_cc_name(1), "bbr");
  ck_assert_ptr_null(ikcp_cc_name(2));
  ck_assert_ptr_null(ikcp_cc_name(-1));
  transfer(p, 100, 3000, 30, 600000);
  ck_assert_int_eq(ikcp_setcc(p->a, &ikcp_cc_bbr), 0);
  transfer(p, 100, 3000, 30, 600000);
  pair_free(p);
}
END_TEST

/** Pacing that allows @c cc_pace_bytes per flush. */
static IUINT32 cc_pace_bytes;

static IUINT32 cc_pacing(ikcpcb *kcp)
{
  (void)kcp;
  return cc_pace_bytes;
}

static const struct IKCPOPS cc_pacing_ops = {
  "pace", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  cc_pacing
};

START_TEST(test_pacing_budget)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = make_kcp(5, &box);
  char msg[100];
  IUINT32 sn[16];
  int i;
  memset(msg, 'p', sizeof(msg));
  ck_assert_int_eq(ikcp_nodelay(kcp, 1, 10, 2, 1), 0);
  ck_assert_int_eq(ikcp_setcc(kcp, &cc_pacing_ops), 0);
  kcp->cwnd = 32;
  for (i = 0; i < 8; i++) {
    ck_assert_int_eq(ikcp_send(kcp, msg, sizeof(msg)), (int)sizeof(msg));
  }
  /* 250 bytes per flush: two 100-byte segments, the third waits */
  cc_pace_bytes = 250;
  ikcp_update(kcp, 0);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 2);
  outbox_clear(&box);
  cc_pace_bytes = 0;
  ikcp_update(kcp, 10);
  ck_assert_int_eq(box.n, 0);
  /* the resend timers of sn 0 and 1 expire under a zero budget: they keep
   * their place and go first once the budget allows */
  for (i = 20; i < 1000; i += 10) {
    ikcp_update(kcp, (IUINT32)i);
  }
  ck_assert_int_eq(box.n, 0);
  ck_assert_uint_eq(kcp->snd_nxt, 2);
  cc_pace_bytes = 300;
  ikcp_update(kcp, 1000);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 3);
  ck_assert_uint_eq(sn[0], 0);
  ck_assert_uint_eq(sn[1], 1);
  ck_assert_uint_eq(sn[2], 2);
  ck_assert_uint_eq(stats_of(kcp).retrans_timeout, 2);
  outbox_clear(&box);
  /* a budget that reads negative as IINT32 is no pacing, as the reference */
  cc_pace_bytes = 0xffffffffu;
  ikcp_update(kcp, 1010);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 5);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

/**
 * @p nmsg one-byte segments sent at 0 (fast resend 2, flush @p interval),
 * sn 1 and 2 acked with ts 0: sn 0 is skipped twice and resent fast by the
 * flush at @p interval, alone.
 */
static ikcpcb *fastack_resent(struct outbox *box, int nodelay, int interval, int nmsg)
{
  ikcpcb *kcp = make_kcp(5, box);
  IUINT32 sn[16];
  int i;
  ck_assert_int_eq(ikcp_nodelay(kcp, nodelay, interval, 2, 1), 0);
  for (i = 0; i < nmsg; i++) {
    ck_assert_int_eq(ikcp_send(kcp, "m", 1), 1);
  }
  ikcp_update(kcp, 0);
  ck_assert_int_eq(pushed_sns(box, sn, 16), nmsg);
  outbox_clear(box);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 1, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 2, 0, NULL, 0), 0);
  ikcp_update(kcp, (IUINT32)interval);
  ck_assert_int_eq(pushed_sns(box, sn, 16), 1);
  ck_assert_uint_eq(sn[0], 0);
  ck_assert_uint_eq(stats_of(kcp).retrans_fast, 1);
  outbox_clear(box);
  return kcp;
}

START_TEST(test_fastack_late)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = fastack_resent(&box, 0, 100, 4);
  IUINT32 sn[16];
  /* late ACKs of the first flight (ts 0, older than the resend at 100)
   * say nothing about the resend: it is not resent again */
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 3, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 2, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 3, 0, NULL, 0), 0);
  ikcp_update(kcp, 200);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 0);
  ck_assert_uint_eq(stats_of(kcp).retrans_fast, 1);
  ck_assert_uint_eq(kcp->nsnd_buf, 1);
  ikcp_release(kcp);
}
END_TEST

/* Late ACKs that keep coming two intervals after a resend count again, so
 * a resend that was lost too is retried before its timer. */
START_TEST(test_fastack_late_window)
{
  struct outbox box = { 0 };
  ikcpcb *kcp = fastack_resent(&box, 1, 10, 6);
  IUINT32 sn[16];
  /* within two intervals of the resend: not counted */
  ikcp_update(kcp, 20);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 3, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 4, 0, NULL, 0), 0);
  ikcp_update(kcp, 30);
  ck_assert_int_eq(box.n, 0);
  /* past them: counted, sn 0 goes again */
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 5, 0, NULL, 0), 0);
  ck_assert_int_eq(inject(kcp, 82, 0, 128, 0, 4, 0, NULL, 0), 0);
  ikcp_update(kcp, 40);
  ck_assert_int_eq(pushed_sns(&box, sn, 16), 1);
  ck_assert_uint_eq(sn[0], 0);
  ck_assert_uint_eq(stats_of(kcp).retrans_fast, 2);
  outbox_clear(&box);
  ikcp_release(kcp);
}
END_TEST

static Suite *ikcp_suite(void)
{
  Suite *s = suite_create("ikcp");
  TCase *wire = tcase_create("wire");
  TCase *codes = tcase_create("codes");
  TCase *bounds = tcase_create("bounds");
  TCase *timing = tcase_create("timing");
  TCase *xfer = tcase_create("transfer");
  TCase *hooks = tcase_create("hooks");

  /* The machine is shared and the sanitizer build is slow: generous limits. */
  tcase_set_timeout(wire, 60);
  tcase_set_timeout(codes, 60);
  tcase_set_timeout(bounds, 60);
  tcase_set_timeout(timing, 60);
  tcase_set_timeout(xfer, 120);
  tcase_set_timeout(hooks, 60);

  tcase_add_test(wire, test_golden_push);
  tcase_add_test(wire, test_golden_ack);
  tcase_add_test(wire, test_golden_fragments);
  tcase_add_test(wire, test_golden_probe);
  suite_add_tcase(s, wire);

  tcase_add_test(codes, test_input_malformed);
  tcase_add_test(codes, test_header_api);
  tcase_add_test(codes, test_recv_codes);
  tcase_add_test(codes, test_profile_names);
  tcase_add_test(codes, test_setmtu_bounds);
  tcase_add_test(codes, test_fragment_limits);
  tcase_add_test(codes, test_sndq_cap);
  tcase_add_test(codes, test_wnd_cap);
  tcase_add_test(codes, test_dup_acks_wire);
  tcase_add_test(codes, test_dup_acks_fast_resend);
  tcase_add_test(codes, test_nodelay_args);
  tcase_add_test(codes, test_flush_before_update);
  suite_add_tcase(s, codes);

  tcase_add_test(bounds, test_ack_list_bounded);
  tcase_add_test(bounds, test_forged_una_wnd);
  tcase_add_test(bounds, test_frg_beyond_window);
  tcase_add_test(bounds, test_forged_ts);
  tcase_add_test(bounds, test_resend_order);
  tcase_add_test(bounds, test_mtu_shrink_queued);
  tcase_add_test(bounds, test_log_bounded);
  tcase_add_loop_test(bounds, test_random_input, 0, 6);
  suite_add_tcase(s, bounds);

  tcase_add_loop_test(timing, test_check_drives_update, 0, 3);
  tcase_add_test(timing, test_resend_at_next_tick);
  tcase_add_test(timing, test_backoff_follows_estimate);
  tcase_add_test(timing, test_dead_link);
  tcase_add_test(timing, test_fastack_counting);
  tcase_add_test(timing, test_fastack_late);
  tcase_add_test(timing, test_fastack_late_window);
  tcase_add_test(timing, test_pacing_budget);
  tcase_add_test(timing, test_fast_retransmit);
  suite_add_tcase(s, timing);

  tcase_add_test(xfer, test_loopback_lossless);
  tcase_add_loop_test(xfer, test_loopback_lossy, 0, 6);
  tcase_add_test(xfer, test_largest_message);
  tcase_add_test(xfer, test_wraparound);
  tcase_add_test(xfer, test_window_full_probe);
  tcase_add_test(xfer, test_stream_mode);
  tcase_add_test(xfer, test_big_window);
  tcase_add_test(xfer, test_grow_midflight);
  tcase_add_test(xfer, test_stream_topup_grow);
  suite_add_tcase(s, xfer);

  tcase_add_test(hooks, test_allocator_balanced);
  tcase_add_test(hooks, test_allocator_failures);
  tcase_add_test(hooks, test_setcc);
  tcase_add_test(hooks, test_lazy_create);
  tcase_add_test(hooks, test_trim_same_wire);
  tcase_add_test(hooks, test_trim_keeps_data);
  tcase_add_test(hooks, test_lazy_alloc_failure);
  suite_add_tcase(s, hooks);
  return s;
}

int
main(void)
{
  return checkmain_run(ikcp_suite());
}
