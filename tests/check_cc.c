/**
 * @file
 * Congestion control tests: the engine's modules on N senders sharing one
 * bottleneck of fixed rate and buffer (tests/bnecksim.c), a module written
 * against the reference v2 declaration alone (tests/cc_v2_module.c), and
 * the classic module installed by name sending what the default sends.
 *
 * The bottleneck: 10 Mbit/s (1250 bytes per ms), 20 ms each way, so one
 * bandwidth-delay product (BDP) is 50 000 bytes. Rates are measured over
 * 20 s after a 5 s warm-up, as a share of the link's wire rate (payload at
 * most 1376 of every 1400 bytes, so 0.98 is the ceiling).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bnecksim.h"
#include "cc_v2_module.h"
#include "ikcp.h"
#include "linksim.h"
#include "checkmain.h"

#define CC_RATE    1250u
#define CC_DELAY   20u
#define CC_BDP     (CC_RATE * 2 * CC_DELAY)
#define CC_WARMUP  5000u
#define CC_MEASURE 20000u

/** One bottleneck run and what it measured. */
struct cc_run {
  const char *module;
  int nodelay, nc;
  uint32_t flows;
  uint32_t buffer;       /* bytes */
  double goodput;        /* all flows, share of the wire rate */
  double min_share;      /* smallest flow, share of its fair part */
  double queue_max;      /* in BDP */
  double queue_mean;     /* in BDP */
};

static void cc_bottleneck(struct cc_run *run)
{
  struct bnecksim_cfg cfg;
  struct bnecksim *sim;
  double capacity;
  uint64_t total = 0, least = UINT64_MAX;
  uint32_t i;
  int side;

  cfg.flows = run->flows;
  cfg.rate_bpms = CC_RATE;
  cfg.buffer_bytes = run->buffer;
  cfg.delay_ms = CC_DELAY;
  sim = bnecksim_new(&cfg);
  for (i = 0; i < run->flows; i++) {
    for (side = 0; side < 2; side++) {
      ikcpcb *kcp = bnecksim_kcp(sim, i, side);
      ck_assert_int_eq(ikcp_nodelay(kcp, run->nodelay, 10, 2, run->nc), 0);
      ck_assert_int_eq(ikcp_wndsize(kcp, 1024, 1024), 0);
    }
    ck_assert_int_eq(ikcp_setcc(bnecksim_kcp(sim, i, 0), ikcp_cc_find(run->module)), 0);
  }
  bnecksim_run(sim, CC_WARMUP);
  bnecksim_reset_stats(sim);
  bnecksim_run(sim, CC_MEASURE);
  capacity = (double)CC_RATE * bnecksim_elapsed(sim);
  for (i = 0; i < run->flows; i++) {
    uint64_t g = bnecksim_goodput(sim, i);
    total += g;
    if (g < least) {
      least = g;
    }
  }
  run->goodput = (double)total / capacity;
  run->min_share = (double)least * run->flows / capacity;
  run->queue_max = (double)bnecksim_queue_max(sim) / CC_BDP;
  run->queue_mean = (double)bnecksim_queue_mean(sim) / CC_BDP;
  bnecksim_free(sim);
}

/**
 * The classic window is loss-based: it fills whatever buffer the path has,
 * so the queue stays under 2 BDP here because the buffer is 1 BDP. Its
 * normal-mode timers (nodelay 0) keep the link busy.
 */
START_TEST(test_classic_shares_bottleneck)
{
  struct cc_run run = { "classic", 0, 0, 4, CC_BDP, 0, 0, 0, 0 };
  cc_bottleneck(&run);
  ck_assert_msg(run.goodput >= 0.90, "goodput %.3f", run.goodput);
  ck_assert_msg(run.queue_max < 2.0, "queue %.2f BDP", run.queue_max);
  ck_assert_msg(run.min_share >= 0.25, "a flow got %.2f of its share", run.min_share);
}
END_TEST

/** bbr in the fast profile (nc 1) bounds the queue itself in a deep buffer. */
START_TEST(test_bbr_deep_buffer)
{
  static const uint32_t flows[] = { 1, 4, 8 };
  struct cc_run run = { "bbr", 1, 1, 0, 8 * CC_BDP, 0, 0, 0, 0 };
  run.flows = flows[_i];
  cc_bottleneck(&run);
  ck_assert_msg(run.goodput >= 0.90, "%u flows: goodput %.3f", run.flows, run.goodput);
  ck_assert_msg(run.queue_max < 2.0, "%u flows: queue max %.2f BDP", run.flows, run.queue_max);
  ck_assert_msg(run.queue_mean < 1.0, "%u flows: queue mean %.2f BDP", run.flows, run.queue_mean);
  ck_assert_msg(run.min_share >= 0.25, "a flow got %.2f of its share", run.min_share);
}
END_TEST

/** bbr on a shallow buffer: its probing losses do not cost the goodput. */
START_TEST(test_bbr_shallow_buffer)
{
  struct cc_run run = { "bbr", 1, 1, 4, CC_BDP, 0, 0, 0, 0 };
  cc_bottleneck(&run);
  ck_assert_msg(run.goodput >= 0.90, "goodput %.3f", run.goodput);
  ck_assert_msg(run.queue_max < 2.0, "queue %.2f BDP", run.queue_max);
}
END_TEST

/**
 * Move @p nmsg messages of @p size bytes from side 0 to side 1 of @p sim,
 * checking each. Returns the simulated ms it took.
 */
static IUINT32 cc_transfer(struct linksim *sim, int nmsg, int size)
{
  ikcpcb *a = linksim_kcp(sim, 0);
  ikcpcb *b = linksim_kcp(sim, 1);
  static char out[4096], in[4096];
  IUINT32 start = linksim_now(sim);
  int sent = 0, got = 0;
  while (got < nmsg) {
    int n;
    while (sent < nmsg && ikcp_waitsnd(a) < 64) {
      memset(out, 'a' + sent % 26, (size_t)size);
      ck_assert_int_eq(ikcp_send(a, out, size), size);
      sent++;
    }
    linksim_step(sim, 1000);
    while ((n = ikcp_recv(b, in, sizeof(in))) > 0) {
      ck_assert_int_eq(n, size);
      ck_assert_int_eq(in[0], 'a' + got % 26);
      ck_assert_int_eq(in[size - 1], 'a' + got % 26);
      got++;
    }
    ck_assert_uint_lt(linksim_now(sim) - start, 600000);
  }
  return linksim_now(sim) - start;
}

static struct linksim *cc_lossy_pair(uint64_t seed)
{
  struct linksim *sim = linksim_new(seed, 0x5eed, 1000);
  struct linksim_dir_cfg dir;
  int side;
  ck_assert_ptr_nonnull(sim);
  linksim_default_dir(&dir);
  dir.loss_ppm = 50000;
  dir.delay_min = 5;
  dir.delay_max = 15;
  linksim_set_dir(sim, 0, &dir);
  linksim_set_dir(sim, 1, &dir);
  for (side = 0; side < 2; side++) {
    ck_assert_int_eq(ikcp_nodelay(linksim_kcp(sim, side), 1, 10, 2, 1), 0);
  }
  return sim;
}

/** A module written against the reference v2 declaration alone runs here. */
START_TEST(test_v2_module_runs)
{
  struct linksim *sim = cc_lossy_pair(7);
  ikcpcb *a = linksim_kcp(sim, 0);
  struct cc_v2_info info;
  IUINT32 ms;
  int released = cc_v2_released;

  ck_assert_int_eq(ikcp_setcc(a, &cc_v2_fixed), 0);
  ck_assert_ptr_eq(a->ccops, &cc_v2_fixed);
  ck_assert_ptr_nonnull(a->congest);
  ms = cc_transfer(sim, 200, 1000);
  ck_assert_uint_eq(a->ccops->get_info(a, &info, sizeof(info)), sizeof(info));
  ck_assert_uint_eq(info.inits, 1);
  ck_assert_uint_gt(info.acks, 0);
  /* bytes of inputs that moved una only, as the reference counts them */
  ck_assert_uint_gt(info.acked_bytes, 100 * 1000);
  ck_assert_uint_ge(info.pkts_sent, 200);
  ck_assert_uint_ge(info.pkts_acked, 190); /* the last ACKs may be on their way */
  ck_assert_uint_gt(info.rtts, 0);
  ck_assert_uint_gt(info.ticks, 0);
  ck_assert_uint_gt(info.fast + info.timeouts, 0);
  /* its pacing (64 bytes per ms) is what limits the transfer */
  ck_assert_uint_ge(ms, 200 * 1000 / 64);
  ck_assert_uint_le(a->cwnd, 8);
  /* replaced: released; installed again, released with the control block */
  ck_assert_int_eq(ikcp_setcc(a, NULL), 0);
  ck_assert_int_eq(cc_v2_released, released + 1);
  ck_assert_ptr_null(a->ccops);
  ck_assert_int_eq(ikcp_setcc(a, &cc_v2_fixed), 0);
  linksim_free(sim);
  ck_assert_int_eq(cc_v2_released, released + 2);
}
END_TEST

/** The classic module installed by name sends exactly what the default sends. */
START_TEST(test_classic_is_default)
{
  struct linksim *plain = cc_lossy_pair(11 + (uint64_t)_i);
  struct linksim *named = cc_lossy_pair(11 + (uint64_t)_i);
  int side;
  for (side = 0; side < 2; side++) {
    ck_assert_int_eq(ikcp_setcc(linksim_kcp(named, side), ikcp_cc_find("classic")), 0);
  }
  ck_assert_uint_eq(cc_transfer(plain, 300, 1400), cc_transfer(named, 300, 1400));
  for (side = 0; side < 2; side++) {
    const struct linksim_dir_stats *p = linksim_dir_stats(plain, side);
    const struct linksim_dir_stats *n = linksim_dir_stats(named, side);
    ck_assert_uint_eq(p->sent, n->sent);
    ck_assert_uint_eq(p->bytes, n->bytes);
  }
  linksim_free(plain);
  linksim_free(named);
}
END_TEST

static Suite *cc_suite(void)
{
  Suite *s = suite_create("cc");
  TCase *bottleneck = tcase_create("bottleneck");
  TCase *api = tcase_create("api");
  tcase_set_timeout(bottleneck, 60);
  tcase_add_test(bottleneck, test_classic_shares_bottleneck);
  tcase_add_loop_test(bottleneck, test_bbr_deep_buffer, 0, 3);
  tcase_add_test(bottleneck, test_bbr_shallow_buffer);
  tcase_add_test(api, test_v2_module_runs);
  tcase_add_loop_test(api, test_classic_is_default, 0, 4);
  suite_add_tcase(s, bottleneck);
  suite_add_tcase(s, api);
  return s;
}

int
main(void)
{
  return checkmain_run(cc_suite());
}
