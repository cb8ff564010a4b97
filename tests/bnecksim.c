/**
 * @file
 * Bottleneck simulator (see bnecksim.h). Datagrams wait in three FIFO
 * lines: the bottleneck queue, then the forward and the return delay lines;
 * a constant delay keeps each line in arrival order, so none needs sorting.
 */
#include "bnecksim.h"

#include <stdlib.h>
#include <string.h>

/** Bytes each sender keeps queued beyond what is in flight. */
#define BNECKSIM_BACKLOG 64
/** Largest datagram an endpoint emits (its mtu). */
#define BNECKSIM_MTU 1400

struct bnecksim_dgram {
  struct bnecksim_dgram *next;
  uint32_t flow;
  uint32_t due;  /* ms it leaves the delay line */
  uint32_t len;
  char data[];
};

struct bnecksim_line {
  struct bnecksim_dgram *head;
  struct bnecksim_dgram *tail;
};

/** What an endpoint's output callback needs (its kcp->user). */
struct bnecksim_end {
  struct bnecksim *sim;
  uint32_t flow;
  int side;
};

struct bnecksim {
  struct bnecksim_cfg cfg;
  uint32_t now;
  uint32_t credit;              /* bytes the bottleneck may still serve */
  uint32_t queued;              /* bytes in the bottleneck queue */
  struct bnecksim_line queue;   /* the bottleneck */
  struct bnecksim_line fwd;     /* served, toward the receivers */
  struct bnecksim_line back;    /* toward the senders */
  ikcpcb **kcp;                 /* 2 per flow: sender, receiver */
  struct bnecksim_end *ends;
  uint64_t *goodput;
  uint64_t drops;
  uint64_t queue_sum;
  uint32_t queue_max;
  uint32_t elapsed;
  char buf[BNECKSIM_MTU * 4];
};

static void bnecksim_push(struct bnecksim_line *l, struct bnecksim_dgram *d)
{
  d->next = NULL;
  if (l->tail != NULL) {
    l->tail->next = d;
  } else {
    l->head = d;
  }
  l->tail = d;
}

static struct bnecksim_dgram *bnecksim_pop(struct bnecksim_line *l)
{
  struct bnecksim_dgram *d = l->head;
  l->head = d->next;
  if (l->head == NULL) {
    l->tail = NULL;
  }
  return d;
}

static void bnecksim_line_free(struct bnecksim_line *l)
{
  while (l->head != NULL) {
    free(bnecksim_pop(l));
  }
}

static int bnecksim_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct bnecksim_end *end = (struct bnecksim_end *)user;
  struct bnecksim *sim = end->sim;
  struct bnecksim_dgram *d;
  (void)kcp;
  if (end->side == 0 && sim->queued + (uint32_t)len > sim->cfg.buffer_bytes) {
    sim->drops++;
    return 0;
  }
  d = (struct bnecksim_dgram *)malloc(sizeof(*d) + (size_t)len);
  if (d == NULL) {
    abort();
  }
  d->flow = end->flow;
  d->len = (uint32_t)len;
  d->due = sim->now + sim->cfg.delay_ms;
  memcpy(d->data, buf, (size_t)len);
  if (end->side == 0) {
    sim->queued += d->len;
    bnecksim_push(&sim->queue, d);
  } else {
    bnecksim_push(&sim->back, d);
  }
  return 0;
}

struct bnecksim *bnecksim_new(const struct bnecksim_cfg *cfg)
{
  struct bnecksim *sim = (struct bnecksim *)calloc(1, sizeof(*sim));
  uint32_t i;
  if (sim == NULL) {
    abort();
  }
  sim->cfg = *cfg;
  sim->now = 1000;
  sim->kcp = (ikcpcb **)calloc(2 * cfg->flows, sizeof(*sim->kcp));
  sim->ends = (struct bnecksim_end *)calloc(2 * cfg->flows, sizeof(*sim->ends));
  sim->goodput = (uint64_t *)calloc(cfg->flows, sizeof(*sim->goodput));
  if (sim->kcp == NULL || sim->ends == NULL || sim->goodput == NULL) {
    abort();
  }
  for (i = 0; i < 2 * cfg->flows; i++) {
    struct bnecksim_end *end = &sim->ends[i];
    end->sim = sim;
    end->flow = i / 2;
    end->side = (int)(i % 2);
    sim->kcp[i] = ikcp_create(end->flow + 1, end);
    if (sim->kcp[i] == NULL) {
      abort();
    }
    ikcp_setoutput(sim->kcp[i], bnecksim_output);
    ikcp_setmtu(sim->kcp[i], BNECKSIM_MTU);
  }
  return sim;
}

void bnecksim_free(struct bnecksim *sim)
{
  uint32_t i;
  for (i = 0; i < 2 * sim->cfg.flows; i++) {
    ikcp_release(sim->kcp[i]);
  }
  bnecksim_line_free(&sim->queue);
  bnecksim_line_free(&sim->fwd);
  bnecksim_line_free(&sim->back);
  free(sim->kcp);
  free(sim->ends);
  free(sim->goodput);
  free(sim);
}

ikcpcb *bnecksim_kcp(struct bnecksim *sim, uint32_t i, int side)
{
  return sim->kcp[2 * i + (side ? 1 : 0)];
}

/** Hand what is due on @p l to the endpoints on @p side, each flushing after. */
static void bnecksim_deliver(struct bnecksim *sim, struct bnecksim_line *l, int side)
{
  while (l->head != NULL && (int32_t)(sim->now - l->head->due) >= 0) {
    struct bnecksim_dgram *d = bnecksim_pop(l);
    ikcpcb *kcp = bnecksim_kcp(sim, d->flow, side);
    ikcp_input(kcp, d->data, (long)d->len);
    ikcp_flush(kcp);
    free(d);
  }
}

/** Serve the bottleneck for one ms: its rate in bytes, no saving up when idle. */
static void bnecksim_serve(struct bnecksim *sim)
{
  sim->credit += sim->cfg.rate_bpms;
  while (sim->queue.head != NULL && sim->credit >= sim->queue.head->len) {
    struct bnecksim_dgram *d = bnecksim_pop(&sim->queue);
    sim->credit -= d->len;
    sim->queued -= d->len;
    d->due = sim->now + sim->cfg.delay_ms;
    bnecksim_push(&sim->fwd, d);
  }
  if (sim->queue.head == NULL && sim->credit > sim->cfg.rate_bpms) {
    sim->credit = sim->cfg.rate_bpms;
  }
}

/** Keep every sender backlogged and have every receiver read all it can. */
static void bnecksim_apps(struct bnecksim *sim)
{
  uint32_t i;
  for (i = 0; i < sim->cfg.flows; i++) {
    ikcpcb *snd = bnecksim_kcp(sim, i, 0);
    ikcpcb *rcv = bnecksim_kcp(sim, i, 1);
    int n;
    while (ikcp_waitsnd(snd) < (int)snd->snd_wnd + BNECKSIM_BACKLOG) {
      if (ikcp_send(snd, sim->buf, (int)snd->mss) < 0) {
        break;
      }
    }
    while ((n = ikcp_recv(rcv, sim->buf, (int)sizeof(sim->buf))) > 0) {
      sim->goodput[i] += (uint64_t)n;
    }
  }
}

void bnecksim_run(struct bnecksim *sim, uint32_t ms)
{
  uint32_t t, i;
  for (t = 0; t < ms; t++) {
    bnecksim_deliver(sim, &sim->fwd, 1);
    bnecksim_deliver(sim, &sim->back, 0);
    for (i = 0; i < 2 * sim->cfg.flows; i++) {
      ikcp_update(sim->kcp[i], sim->now);
    }
    bnecksim_apps(sim);
    bnecksim_serve(sim);
    if (sim->queued > sim->queue_max) {
      sim->queue_max = sim->queued;
    }
    sim->queue_sum += sim->queued;
    sim->elapsed++;
    sim->now++;
  }
}

void bnecksim_reset_stats(struct bnecksim *sim)
{
  memset(sim->goodput, 0, sim->cfg.flows * sizeof(*sim->goodput));
  sim->drops = 0;
  sim->queue_sum = 0;
  sim->queue_max = 0;
  sim->elapsed = 0;
}

uint64_t bnecksim_goodput(const struct bnecksim *sim, uint32_t i)
{
  return sim->goodput[i];
}

uint32_t bnecksim_queue_max(const struct bnecksim *sim)
{
  return sim->queue_max;
}

uint32_t bnecksim_queue_mean(const struct bnecksim *sim)
{
  return sim->elapsed > 0 ? (uint32_t)(sim->queue_sum / sim->elapsed) : 0;
}

uint64_t bnecksim_drops(const struct bnecksim *sim)
{
  return sim->drops;
}

uint32_t bnecksim_elapsed(const struct bnecksim *sim)
{
  return sim->elapsed;
}
