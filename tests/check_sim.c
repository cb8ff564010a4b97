/**
 * @file
 * Simulator tests of the KCP engine: two endpoints on a deterministic
 * virtual link (tests/linksim.c), each scenario on many seeds.
 *
 * Every payload byte is a function of its message number (or stream offset)
 * so the receiver can check exactly-once, in-order delivery without keeping
 * a copy of what was sent. Time limits are in simulated time: a stuck
 * transfer fails quickly instead of hanging.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ikcp.h"
#include "linksim.h"
#include "checkmain.h"

#define SIM_CONV      0x11223344u
#define SIM_START     1000u
#define SIM_PPM       10000u /* ppm per percent */
#define SIM_BUFSIZE   (128 * 1400)
#define SIM_CMD_PUSH  81
#define SIM_CMD_WASK  83
#define SIM_CMD_WINS  84

/** Transfer profiles the lossy tests alternate between. */
enum sim_mode {
  SIM_MODE_DEFAULT, /* nodelay 0, interval 10, no fast resend, congestion control */
  SIM_MODE_FAST,    /* nodelay 1, interval 10, resend 2, no congestion control */
  SIM_MODE_TURBO,   /* nodelay 2, interval 10, resend 1, rx_minrto 10 */
  SIM_NMODES
};

static unsigned char sim_buf[SIM_BUFSIZE];
static unsigned char sim_expect[SIM_BUFSIZE];

static uint32_t
sim_hash(uint32_t a, uint32_t b)
{
  uint32_t x = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u) * 0x85ebca6bu;
  x ^= x >> 15;
  x *= 0xc2b2ae35u;
  return x ^ (x >> 13);
}

/** Byte @p i of message @p msg of flow @p flow. */
static unsigned char
sim_byte(uint32_t flow, uint32_t msg, uint32_t i)
{
  return (unsigned char)(sim_hash(flow * 0x10001u + msg, i) >> 7);
}

static void
sim_fill(unsigned char *p, uint32_t flow, uint32_t msg, uint32_t off, uint32_t len)
{
  uint32_t i;
  for (i = 0; i < len; i++) {
    p[i] = sim_byte(flow, msg, off + i);
  }
}

static void
sim_mode(ikcpcb *kcp, enum sim_mode mode)
{
  ikcp_wndsize(kcp, 128, 128);
  switch (mode) {
  case SIM_MODE_DEFAULT:
    ikcp_nodelay(kcp, 0, 10, 0, 0);
    break;
  case SIM_MODE_FAST:
    ikcp_nodelay(kcp, 1, 10, 2, 1);
    break;
  default:
    ikcp_nodelay(kcp, 2, 10, 1, 1);
    kcp->rx_minrto = 10;
    break;
  }
}

/**
 * A link with the given loss each way, 20..60 ms of jitter (so datagrams
 * overtake each other), 5 % held back 40 ms more, and 5 % duplicated.
 */
static struct linksim *
sim_open(uint64_t seed, IUINT32 start, uint32_t loss_ppm, enum sim_mode mode)
{
  struct linksim *sim = linksim_new(seed, SIM_CONV, start);
  struct linksim_dir_cfg cfg;
  int side;

  ck_assert_ptr_nonnull(sim);
  linksim_default_dir(&cfg);
  cfg.loss_ppm = loss_ppm;
  cfg.delay_min = 20;
  cfg.delay_max = 60;
  cfg.reorder_ppm = 5 * SIM_PPM;
  cfg.reorder_ms = 40;
  cfg.dup_ppm = 5 * SIM_PPM;
  for (side = 0; side < 2; side++) {
    linksim_set_dir(sim, side, &cfg);
    sim_mode(linksim_kcp(sim, side), mode);
  }
  return sim;
}

/** One direction of message traffic: sizes and contents follow from seed and index. */
struct sim_flow {
  uint32_t id;
  uint32_t nmsg;
  uint32_t maxsize;
  uint32_t sent;
  uint32_t got;
};

static uint32_t
sim_flow_size(const struct sim_flow *f, uint32_t msg)
{
  return 1 + sim_hash(f->id ^ 0xabcdu, msg) % f->maxsize;
}

/** Queues messages while the sender has fewer than @p backlog segments waiting. */
static void
sim_flow_send(struct sim_flow *f, ikcpcb *kcp, int backlog)
{
  while (f->sent < f->nmsg && ikcp_waitsnd(kcp) < backlog) {
    uint32_t len = sim_flow_size(f, f->sent);
    sim_fill(sim_buf, f->id, f->sent, 0, len);
    ck_assert_int_ge(ikcp_send(kcp, (const char *)sim_buf, (int)len), 0);
    f->sent++;
  }
}

/** Reads every complete message and checks it is the next one, whole and intact. */
static void
sim_flow_recv(struct sim_flow *f, ikcpcb *kcp)
{
  int n;

  while ((n = ikcp_recv(kcp, (char *)sim_buf, SIM_BUFSIZE)) >= 0) {
    uint32_t len;
    ck_assert_msg(f->got < f->nmsg, "flow %u: message %u beyond the %u sent",
                  f->id, f->got, f->nmsg);
    len = sim_flow_size(f, f->got);
    ck_assert_msg((uint32_t)n == len, "flow %u msg %u: %d bytes, want %u",
                  f->id, f->got, n, len);
    sim_fill(sim_expect, f->id, f->got, 0, len);
    ck_assert_msg(memcmp(sim_buf, sim_expect, len) == 0,
                  "flow %u msg %u: payload differs", f->id, f->got);
    f->got++;
  }
  ck_assert_msg(n == -1 || n == -2, "ikcp_recv: %d", n);
}

/**
 * Runs two opposite message flows until both are complete, then keeps the
 * link running a while to show that nothing more arrives.
 */
static void
sim_run_flows(struct linksim *sim, struct sim_flow *f, uint32_t limit_ms)
{
  ikcpcb *a = linksim_kcp(sim, 0);
  ikcpcb *b = linksim_kcp(sim, 1);
  uint64_t tail = 0;

  while (linksim_elapsed(sim) < limit_ms) {
    sim_flow_send(&f[0], a, 256);
    sim_flow_send(&f[1], b, 256);
    linksim_step(sim, 1000);
    sim_flow_recv(&f[0], b);
    sim_flow_recv(&f[1], a);
    if (f[0].got == f[0].nmsg && f[1].got == f[1].nmsg) {
      if (tail == 0) {
        tail = linksim_elapsed(sim) + 3000;
      } else if (linksim_elapsed(sim) >= tail) {
        break;
      }
    }
  }
  ck_assert_msg(f[0].got == f[0].nmsg && f[1].got == f[1].nmsg,
                "after %u ms: %u/%u and %u/%u messages", (unsigned)linksim_elapsed(sim),
                f[0].got, f[0].nmsg, f[1].got, f[1].nmsg);
}

/** Runs one seeded transfer over a shaped link and returns the simulator for inspection. */
static struct linksim *
sim_model_run(uint64_t seed, const struct linksim_dir_cfg *cfg)
{
  struct linksim *sim = linksim_new(seed, SIM_CONV, SIM_START);
  struct sim_flow f[2] = {
    {1, 400, 1000, 0, 0},
    {2, 400, 1000, 0, 0},
  };
  int side;

  ck_assert_ptr_nonnull(sim);
  for (side = 0; side < 2; side++) {
    linksim_set_dir(sim, side, cfg);
    sim_mode(linksim_kcp(sim, side), SIM_MODE_FAST);
  }
  sim_run_flows(sim, f, 3600 * 1000);
  return sim;
}

/*
 * The simulator itself: a seed fixes the whole run, the loss, duplication
 * and bag models give the rates asked for, and a full direction drops
 * instead of growing.
 */
START_TEST(test_linksim_model)
{
  uint32_t seed = (uint32_t)_i;
  struct linksim_dir_cfg cfg;
  struct linksim *s1, *s2, *s3;
  const struct linksim_dir_stats *d;
  double lost, dup;
  int side;

  linksim_default_dir(&cfg);
  cfg.loss_ppm = 20 * SIM_PPM;
  cfg.dup_ppm = 10 * SIM_PPM;
  cfg.delay_min = 10;
  cfg.delay_max = 90;
  s1 = sim_model_run(seed, &cfg);
  s2 = sim_model_run(seed, &cfg);
  s3 = sim_model_run(seed + 100, &cfg);
  ck_assert_uint_eq(linksim_elapsed(s1), linksim_elapsed(s2));
  for (side = 0; side < 2; side++) {
    ck_assert(memcmp(linksim_dir_stats(s1, side), linksim_dir_stats(s2, side), sizeof(*d)) == 0);
    ck_assert(memcmp(linksim_end_stats(s1, side), linksim_end_stats(s2, side),
                     sizeof(struct linksim_end_stats)) == 0);
  }
  ck_assert(memcmp(linksim_dir_stats(s1, 0), linksim_dir_stats(s3, 0), sizeof(*d)) != 0);
  d = linksim_dir_stats(s1, 0);
  lost = (double)d->lost / (double)d->sent;
  dup = (double)d->duplicated / (double)(d->sent - d->lost);
  ck_assert_msg(lost > 0.15 && lost < 0.25, "loss rate %.3f, want 0.20", lost);
  ck_assert_msg(dup > 0.06 && dup < 0.14, "duplication rate %.3f, want 0.10", dup);
  ck_assert_uint_eq(d->delivered + linksim_inflight(s1, 0), d->sent - d->lost + d->duplicated - d->overflow);
  linksim_free(s1);
  linksim_free(s2);
  linksim_free(s3);

  /* the reference's bag: exactly 5 of every 100 datagrams lost */
  linksim_default_dir(&cfg);
  cfg.loss_ppm = 5 * SIM_PPM;
  cfg.loss_bag = 1;
  cfg.fifo = 1;
  cfg.delay_min = 30;
  cfg.delay_max = 61;
  s1 = sim_model_run(seed, &cfg);
  d = linksim_dir_stats(s1, 0);
  ck_assert_uint_le(d->lost, d->sent / 100 * 5 + 5);
  ck_assert_uint_ge(d->lost, d->sent / 100 * 5);
  linksim_free(s1);

  /* eight datagrams in flight at most: the rest is dropped, the transfer still completes */
  linksim_default_dir(&cfg);
  cfg.max_inflight = 8;
  s1 = sim_model_run(seed, &cfg);
  ck_assert_uint_gt(linksim_dir_stats(s1, 0)->overflow, 0);
  ck_assert_uint_le(linksim_inflight(s1, 0), 8);
  linksim_free(s1);
}
END_TEST

static const uint32_t sim_losses[] = {0, 5, 10, 20, 30};
#define SIM_NLOSS (sizeof(sim_losses) / sizeof(sim_losses[0]))

/* Message mode: every message exactly once, in order, whole, both ways. */
START_TEST(test_message_mode_lossy)
{
  uint32_t seed = (uint32_t)_i;
  uint32_t loss = sim_losses[seed % SIM_NLOSS];
  struct linksim *sim = sim_open(seed, SIM_START, loss * SIM_PPM, (enum sim_mode)(seed % SIM_NMODES));
  struct sim_flow f[2] = {
    {2 * seed, 150, 3000, 0, 0},
    {2 * seed + 1, 150, 3000, 0, 0},
  };

  sim_run_flows(sim, f, 3600 * 1000);
  ck_assert_uint_eq(linksim_dir_stats(sim, 0)->input_errors, 0);
  ck_assert_uint_eq(linksim_dir_stats(sim, 1)->input_errors, 0);
  linksim_free(sim);
}
END_TEST

/* Stream mode: the byte stream arrives exactly, whatever the write and read sizes. */
START_TEST(test_stream_mode_lossy)
{
  uint32_t seed = (uint32_t)_i;
  uint32_t loss = sim_losses[seed % SIM_NLOSS];
  struct linksim *sim = sim_open(seed + 1000, SIM_START, loss * SIM_PPM, (enum sim_mode)(seed % SIM_NMODES));
  ikcpcb *a = linksim_kcp(sim, 0);
  ikcpcb *b = linksim_kcp(sim, 1);
  const uint32_t total = 300 * 1000;
  uint32_t wrote = 0, read = 0, w = 0;
  uint64_t rng = seed;

  a->stream = 1;
  b->stream = 1;
  while (read < total && linksim_elapsed(sim) < 3600 * 1000) {
    while (wrote < total && ikcp_waitsnd(a) < 256) {
      uint32_t len = 1 + linksim_rand_below(&rng, 3000);
      if (len > total - wrote) {
        len = total - wrote;
      }
      sim_fill(sim_buf, seed, 0, wrote, len);
      ck_assert_int_ge(ikcp_send(a, (const char *)sim_buf, (int)len), 0);
      wrote += len;
      w++;
    }
    linksim_step(sim, 1000);
    /* reads of at least one segment: the reference API returns -3 below that */
    for (;;) {
      int cap = (int)(b->mss + linksim_rand_below(&rng, 2 * b->mss));
      int n = ikcp_recv(b, (char *)sim_buf, cap);
      if (n < 0) {
        ck_assert_msg(n == -1 || n == -2, "ikcp_recv(%d): %d", cap, n);
        break;
      }
      ck_assert_uint_le(read + (uint32_t)n, total);
      sim_fill(sim_expect, seed, 0, read, (uint32_t)n);
      ck_assert_msg(memcmp(sim_buf, sim_expect, (size_t)n) == 0,
                    "stream bytes %u..%u differ", read, read + (uint32_t)n);
      read += (uint32_t)n;
    }
  }
  ck_assert_msg(read == total, "after %u ms: %u of %u bytes (%u writes)",
                (unsigned)linksim_elapsed(sim), read, total, w);
  linksim_free(sim);
}
END_TEST

/* Messages of 1..127 fragments pass end to end; 128 fragments are refused. */
START_TEST(test_fragments)
{
  uint32_t seed = (uint32_t)_i;
  struct linksim *sim = sim_open(seed + 2000, SIM_START, 10 * SIM_PPM, SIM_MODE_FAST);
  ikcpcb *a = linksim_kcp(sim, 0);
  ikcpcb *b = linksim_kcp(sim, 1);
  uint32_t mss;
  uint32_t n, sent = 0, got = 0;
  uint32_t first = 1 + seed * 31 % 127;
  uint32_t count = 127; /* 53 is prime to 127: every fragment count once */

  if (seed % 2 == 0) {
    /* a small MTU: 127 fragments of a few hundred bytes */
    ck_assert_int_eq(ikcp_setmtu(a, 300), 0);
    ck_assert_int_eq(ikcp_setmtu(b, 300), 0);
  }
  mss = a->mss;
  ck_assert_int_eq(ikcp_send(a, (const char *)sim_buf, (int)(127 * mss + 1)), -2);
  while (got < count && linksim_elapsed(sim) < 3600 * 1000) {
    if (sent == got && sent < count) {
      uint32_t len;
      n = 1 + (first + sent * 53) % 127;
      len = n * mss - sim_hash(seed, n) % mss;
      sim_fill(sim_buf, seed, n, 0, len);
      ck_assert_int_ge(ikcp_send(a, (const char *)sim_buf, (int)len), 0);
      ck_assert_int_ge(ikcp_waitsnd(a), n);
      sent++;
    }
    linksim_step(sim, 1000);
    for (;;) {
      int r = ikcp_recv(b, (char *)sim_buf, SIM_BUFSIZE);
      uint32_t len;
      if (r < 0) {
        ck_assert_msg(r == -1 || r == -2, "ikcp_recv: %d", r);
        break;
      }
      n = 1 + (first + got * 53) % 127;
      len = n * mss - sim_hash(seed, n) % mss;
      ck_assert_msg((uint32_t)r == len, "%u fragments: got %d bytes, want %u", n, r, len);
      sim_fill(sim_expect, seed, n, 0, len);
      ck_assert_msg(memcmp(sim_buf, sim_expect, len) == 0, "%u fragments: payload differs", n);
      got++;
    }
  }
  ck_assert_msg(got == count, "%u of %u messages after %u ms", got, count,
                (unsigned)linksim_elapsed(sim));
  linksim_free(sim);
}
END_TEST

/*
 * A minute with the link down both ways in the middle of a transfer: the
 * backed-off retransmissions get through once it is back, and every message
 * still arrives exactly once and in order.
 */
START_TEST(test_outage)
{
  uint32_t seed = (uint32_t)_i;
  struct linksim *sim = sim_open(seed + 8000, SIM_START, 5 * SIM_PPM, (enum sim_mode)(seed % SIM_NMODES));
  struct linksim_dir_cfg up, down;
  struct sim_flow f[2] = {
    {20 * seed, 1000, 2500, 0, 0},
    {20 * seed + 1, 1000, 2500, 0, 0},
  };
  int side;

  linksim_default_dir(&up);
  up.loss_ppm = 5 * SIM_PPM;
  up.delay_min = 20;
  up.delay_max = 60;
  down = up;
  down.loss_ppm = 100 * SIM_PPM;
  while (linksim_elapsed(sim) < 300) {
    sim_flow_send(&f[0], linksim_kcp(sim, 0), 256);
    sim_flow_send(&f[1], linksim_kcp(sim, 1), 256);
    linksim_step(sim, 1000);
    sim_flow_recv(&f[0], linksim_kcp(sim, 1));
    sim_flow_recv(&f[1], linksim_kcp(sim, 0));
  }
  for (side = 0; side < 2; side++) {
    linksim_set_dir(sim, side, &down);
  }
  while (linksim_elapsed(sim) < 60300) {
    linksim_step(sim, 1000);
    sim_flow_recv(&f[0], linksim_kcp(sim, 1));
    sim_flow_recv(&f[1], linksim_kcp(sim, 0));
  }
  ck_assert_uint_lt(f[0].got, f[0].nmsg);
  for (side = 0; side < 2; side++) {
    linksim_set_dir(sim, side, &up);
  }
  sim_run_flows(sim, f, 3600 * 1000);
  linksim_free(sim);
}
END_TEST

/*
 * A receiver that stops reading fills its window; the sender then probes
 * (WASK, answered by WINS) instead of sending data into it, and the transfer
 * resumes and completes once the receiver reads again.
 */
START_TEST(test_window_probe)
{
  uint32_t seed = (uint32_t)_i;
  struct linksim *sim = sim_open(seed + 3000, SIM_START, (seed % 3) * 5 * SIM_PPM,
                                 seed & 1 ? SIM_MODE_FAST : SIM_MODE_DEFAULT);
  ikcpcb *a = linksim_kcp(sim, 0);
  ikcpcb *b = linksim_kcp(sim, 1);
  struct sim_flow f = {seed, 600, 200, 0, 0};
  const struct linksim_dir_stats *ab = linksim_dir_stats(sim, 0);
  const struct linksim_dir_stats *ba = linksim_dir_stats(sim, 1);
  uint64_t push_stalled, wask_stalled, wins_stalled;

  /* 60 simulated seconds of a receiver that does not read. */
  while (linksim_elapsed(sim) < 60 * 1000) {
    sim_flow_send(&f, a, 1000);
    linksim_step(sim, 1000);
  }
  push_stalled = ab->cmd[LINKSIM_CMD_INDEX(SIM_CMD_PUSH)];
  ck_assert_uint_eq(f.sent, f.nmsg);
  ck_assert_uint_ge(b->nrcv_que, b->rcv_wnd);
  ck_assert_uint_eq(a->rmt_wnd, 0);
  wask_stalled = ab->cmd[LINKSIM_CMD_INDEX(SIM_CMD_WASK)];
  wins_stalled = ba->cmd[LINKSIM_CMD_INDEX(SIM_CMD_WINS)];
  ck_assert_msg(wask_stalled >= 2, "only %u window probes in 60 s", (unsigned)wask_stalled);
  ck_assert_msg(wins_stalled >= 1, "no window answer in 60 s");
  ck_assert_msg(wask_stalled <= 20, "%u window probes in 60 s", (unsigned)wask_stalled);

  /* Reading again: everything arrives (a lost WINS costs one more probe wait). */
  while (f.got < f.nmsg && linksim_elapsed(sim) < 600 * 1000) {
    linksim_step(sim, 1000);
    sim_flow_recv(&f, b);
  }
  ck_assert_msg(f.got == f.nmsg, "%u/%u after resuming", f.got, f.nmsg);
  ck_assert_uint_gt(ba->cmd[LINKSIM_CMD_INDEX(SIM_CMD_WINS)], wins_stalled);
  ck_assert_uint_gt(ab->cmd[LINKSIM_CMD_INDEX(SIM_CMD_PUSH)], push_stalled);
  linksim_free(sim);
}
END_TEST

/* A silent peer: state turns -1 exactly when a segment was sent dead_link times. */
START_TEST(test_dead_link)
{
  uint32_t seed = (uint32_t)_i;
  IUINT32 start = seed & 1 ? 0xffffffffu - 60000u * seed : SIM_START;
  struct linksim *sim = sim_open(seed + 4000, start, 100 * SIM_PPM, (enum sim_mode)(seed % SIM_NMODES));
  ikcpcb *a = linksim_kcp(sim, 0);
  const struct linksim_dir_stats *ab = linksim_dir_stats(sim, 0);
  IUINT32 dead_link = seed % 2 ? 20 : 3 + seed % 17;

  a->dead_link = dead_link;
  /* a 100 ms tick: the RTO backs off to a minute, and only the count matters */
  ikcp_interval(a, 100);
  ikcp_interval(linksim_kcp(sim, 1), 100);
  ck_assert_int_ge(ikcp_send(a, "ping", 4), 0);
  while ((IUINT32)a->state != 0xffffffffu && linksim_elapsed(sim) < 24u * 3600 * 1000) {
    ck_assert_uint_eq(a->state, 0);
    ck_assert_uint_lt(ab->cmd[LINKSIM_CMD_INDEX(SIM_CMD_PUSH)], dead_link);
    linksim_step(sim, 60 * 1000);
  }
  ck_assert_uint_eq((IUINT32)a->state, 0xffffffffu);
  ck_assert_uint_eq(ab->cmd[LINKSIM_CMD_INDEX(SIM_CMD_PUSH)], dead_link);
  linksim_free(sim);
}
END_TEST

/*
 * sn and ts wrap around 2^32: both ends start with sequence numbers 256 below
 * the top and a clock under a second below it, and traffic both ways crosses both wraps.
 */
START_TEST(test_wraparound)
{
  uint32_t seed = (uint32_t)_i;
  IUINT32 start = 0xffffffffu - 500u - seed * 37;
  struct linksim *sim = sim_open(seed + 5000, start, (seed % 4) * 5 * SIM_PPM,
                                 (enum sim_mode)(seed % SIM_NMODES));
  struct sim_flow f[2] = {
    {10 * seed, 400, 2000, 0, 0},
    {10 * seed + 1, 400, 2000, 0, 0},
  };
  IUINT32 top = 0xffffff00u + seed;
  int side;

  for (side = 0; side < 2; side++) {
    ikcpcb *k = linksim_kcp(sim, side);
    k->snd_una = top;
    k->snd_nxt = top;
    k->rcv_nxt = top;
  }
  sim_run_flows(sim, f, 3600 * 1000);
  ck_assert_uint_lt(linksim_now(sim), start);
  for (side = 0; side < 2; side++) {
    ikcpcb *k = linksim_kcp(sim, side);
    ck_assert_uint_lt(k->snd_una, 0x1000u);
    ck_assert_uint_eq(k->snd_una, k->snd_nxt);
    ck_assert_uint_lt(k->rcv_nxt, 0x1000u);
    ck_assert_msg(k->rx_srtt > 0 && k->rx_srtt < 2000, "srtt %d after the wrap", (int)k->rx_srtt);
  }
  linksim_free(sim);
}
END_TEST

/*
 * A loop that sleeps until ikcp_check's time never finds the endpoint
 * wanting an update at the time it was just updated, and wakes no more often
 * than its flush interval plus its resend timers need. 10 000 simulated
 * seconds of sparse traffic, then half a lossy bulk minute in fast mode.
 */
START_TEST(test_check_no_spin)
{
  uint32_t seed = (uint32_t)_i;
  struct linksim *sim = sim_open(seed + 6000, SIM_START, 10 * SIM_PPM, SIM_MODE_DEFAULT);
  ikcpcb *a = linksim_kcp(sim, 0);
  ikcpcb *b = linksim_kcp(sim, 1);
  struct sim_flow f = {seed, 5000, 100, 0, 0};
  const struct linksim_end_stats *ea = linksim_end_stats(sim, 0);
  const struct linksim_end_stats *eb = linksim_end_stats(sim, 1);
  uint64_t ua, ub, next;

  ikcp_nodelay(a, 0, 100, 0, 0);
  ikcp_nodelay(b, 0, 100, 0, 0);
  while (linksim_elapsed(sim) < 10000u * 1000) {
    if (f.sent < f.nmsg && linksim_elapsed(sim) >= (uint64_t)f.sent * 2000) {
      sim_flow_send(&f, a, (int)ikcp_waitsnd(a) + 1);
    }
    next = (uint64_t)f.sent * 2000;
    linksim_step(sim, next > linksim_elapsed(sim) ? (IUINT32)(next - linksim_elapsed(sim)) : 1);
    sim_flow_recv(&f, b);
  }
  ck_assert_uint_ge(f.got, f.nmsg - 5);
  ck_assert_uint_eq(ea->spins, 0);
  ck_assert_uint_eq(eb->spins, 0);
  /* interval 100: 10 flushes a second, plus resend timers for 10 % loss */
  ck_assert_msg(ea->timer_updates <= 10000u * 12, "%u timer wakeups in 10000 s",
                (unsigned)ea->timer_updates);
  ck_assert_msg(eb->timer_updates <= 10000u * 12, "%u timer wakeups in 10000 s",
                (unsigned)eb->timer_updates);
  linksim_free(sim);

  sim = sim_open(seed + 7000, SIM_START, 20 * SIM_PPM, SIM_MODE_FAST);
  a = linksim_kcp(sim, 0);
  f.nmsg = 1u << 30;
  f.sent = f.got = 0;
  ea = linksim_end_stats(sim, 0);
  eb = linksim_end_stats(sim, 1);
  while (linksim_elapsed(sim) < 30u * 1000) {
    sim_flow_send(&f, a, 256);
    linksim_step(sim, 1000);
    sim_flow_recv(&f, linksim_kcp(sim, 1));
  }
  ua = ea->timer_updates;
  ub = eb->timer_updates;
  ck_assert_uint_gt(f.got, 1000);
  ck_assert_uint_eq(ea->spins, 0);
  ck_assert_uint_eq(eb->spins, 0);
  /* interval 10: 100 flushes a second, at most as many again for resend timers */
  ck_assert_msg(ua <= 30u * 200, "%u timer wakeups in 30 s", (unsigned)ua);
  ck_assert_msg(ub <= 30u * 200, "%u timer wakeups in 30 s", (unsigned)ub);
  linksim_free(sim);
}
END_TEST

/** Adds a scenario as its own case (CK_RUN_CASE=name runs one), on seeds 1..nseeds. */
static void
sim_add(Suite *s, const char *name, const TTest *test, int nseeds)
{
  TCase *tc = tcase_create(name);

  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test, 1, nseeds + 1);
  suite_add_tcase(s, tc);
}

static Suite *
sim_suite(void)
{
  Suite *s = suite_create("sim");

  sim_add(s, "linksim", test_linksim_model, 2);
  sim_add(s, "message", test_message_mode_lossy, 20);
  sim_add(s, "stream", test_stream_mode_lossy, 15);
  sim_add(s, "fragments", test_fragments, 2);
  sim_add(s, "outage", test_outage, 4);
  sim_add(s, "probe", test_window_probe, 6);
  sim_add(s, "deadlink", test_dead_link, 9);
  sim_add(s, "wrap", test_wraparound, 9);
  sim_add(s, "nospin", test_check_no_spin, 1);
  return s;
}

int
main(void)
{
  return checkmain_run(sim_suite());
}
