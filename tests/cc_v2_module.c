/**
 * @file
 * A congestion control module as a user of the reference KCP v2 writes it:
 * only the v2 declaration of struct IKCPOPS, its positional initializer,
 * ikcp_setcc() and the public fields (congest, cwnd, mss, current,
 * interval), state from malloc. Nothing of this engine's own additions is
 * used, so that it compiling and running here shows such modules carry
 * over unchanged.
 */
#include "cc_v2_module.h"

#include <stdlib.h>
#include <string.h>

#define CC_V2_WINDOW 8
#define CC_V2_RATE   64 /* bytes per ms */

struct cc_v2_state {
  struct cc_v2_info info;
  IUINT32 last;
  IINT32 budget;
};

int cc_v2_released;

static int cc_v2_init(ikcpcb *kcp)
{
  struct cc_v2_state *st = (struct cc_v2_state *)malloc(sizeof(*st));
  if (st == NULL) {
    return -1;
  }
  memset(st, 0, sizeof(*st));
  st->info.inits = 1;
  st->last = kcp->current;
  kcp->congest = st;
  kcp->cwnd = CC_V2_WINDOW;
  return 0;
}

static void cc_v2_release(ikcpcb *kcp)
{
  free(kcp->congest);
  kcp->congest = NULL;
  cc_v2_released++;
}

static void cc_v2_on_ack(ikcpcb *kcp, IUINT32 acked_segs, IUINT32 acked_bytes,
                         IUINT32 prior_in_flight)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  (void)prior_in_flight;
  st->info.acks += acked_segs;
  st->info.acked_bytes += acked_bytes;
  kcp->cwnd = CC_V2_WINDOW;
}

static void cc_v2_on_fast(ikcpcb *kcp, IUINT32 fast_retrans, IUINT32 inflight,
                          IUINT32 prior_cwnd)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  (void)inflight;
  (void)prior_cwnd;
  st->info.fast += fast_retrans;
}

static void cc_v2_on_timeout(ikcpcb *kcp, IUINT32 prior_cwnd)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  (void)prior_cwnd;
  st->info.timeouts++;
}

static void cc_v2_on_tick(ikcpcb *kcp)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  st->info.ticks++;
}

static void cc_v2_on_app_limited(ikcpcb *kcp, IUINT32 inflight)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  (void)inflight;
  st->info.app_limited++;
}

static void cc_v2_on_rtt(ikcpcb *kcp, IINT32 rtt)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  (void)rtt;
  st->info.rtts++;
}

static void cc_v2_on_pkt_sent(ikcpcb *kcp, IUINT32 sn, IUINT32 ts, IUINT32 len,
                              IUINT32 inflight, IUINT32 xmit)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  (void)sn;
  (void)ts;
  (void)inflight;
  (void)xmit;
  st->info.pkts_sent++;
  st->budget -= (IINT32)len;
}

static void cc_v2_on_pkt_acked(ikcpcb *kcp, IUINT32 sn, IUINT32 ts, IUINT32 len,
                               IINT32 rtt, IUINT32 xmit)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  (void)sn;
  (void)ts;
  (void)len;
  (void)rtt;
  (void)xmit;
  st->info.pkts_acked++;
}

static IUINT32 cc_v2_get_info(ikcpcb *kcp, void *buf, IUINT32 bufsize)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  IUINT32 n = bufsize < sizeof(st->info) ? bufsize : (IUINT32)sizeof(st->info);
  memcpy(buf, &st->info, n);
  return n;
}

static IUINT32 cc_v2_pacing_rate(ikcpcb *kcp)
{
  struct cc_v2_state *st = (struct cc_v2_state *)kcp->congest;
  IINT32 elapsed = (IINT32)(kcp->current - st->last);
  st->last = kcp->current;
  if (elapsed > 0) {
    st->budget += elapsed * CC_V2_RATE;
  }
  if (st->budget > (IINT32)(2 * kcp->mss)) {
    st->budget = (IINT32)(2 * kcp->mss);
  }
  return st->budget > 0 ? (IUINT32)st->budget : 0;
}

const struct IKCPOPS cc_v2_fixed = {
  "v2-fixed",
  cc_v2_init,
  cc_v2_release,
  cc_v2_on_ack,
  cc_v2_on_fast,
  cc_v2_on_timeout,
  cc_v2_on_tick,
  cc_v2_on_app_limited,
  cc_v2_on_rtt,
  cc_v2_on_pkt_sent,
  cc_v2_on_pkt_acked,
  cc_v2_get_info,
  cc_v2_pacing_rate
};
