/**
 * @file
 * Deterministic virtual link between two KCP endpoints (see linksim.h).
 *
 * Each direction keeps its datagrams in a binary min-heap ordered by arrival
 * time and then by entry order, so equal arrival times keep the order the
 * datagrams were sent in and a run never depends on heap internals. The clock
 * is 64 bits wide inside and handed to the engine truncated to 32, so a run
 * that starts just below 2^32 exercises the engine's wrap-around while the
 * simulator itself never compares wrapped times.
 */
#include "linksim.h"

#include <stdlib.h>
#include <string.h>

/** Tickets in the reference test's loss bag. */
#define LINKSIM_BAG_SIZE 100
/** One in a million: the unit of the probabilities in linksim_dir_cfg. */
#define LINKSIM_PPM 1000000u

/** A datagram on its way; the payload follows the header in one allocation. */
struct linksim_pkt {
  uint64_t at;
  uint64_t order;
  int len;
  unsigned char data[];
};

struct linksim_dir {
  struct linksim_dir_cfg cfg;
  struct linksim_dir_stats st;
  uint64_t rng;
  /** Arrival time of the last datagram queued, for the FIFO model. */
  uint64_t last_at;
  struct linksim_pkt **heap;
  uint32_t nheap;
  uint32_t capheap;
  uint8_t bag[LINKSIM_BAG_SIZE];
  uint32_t bag_left;
};

struct linksim_end {
  ikcpcb *kcp;
  /** Time ikcp_check last asked for. */
  uint64_t next_update;
  /** No update before this time: set after a spin so that time moves on. */
  uint64_t floor;
  struct linksim_end_stats st;
};

struct linksim {
  uint64_t now;
  uint64_t start;
  uint64_t order;
  struct linksim_dir dir[2];
  struct linksim_end end[2];
};

/**
 * splitmix64: small, fast, and good enough that loss and delay patterns show
 * no structure a transport could lock onto.
 */
uint64_t
linksim_rand(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/** Uniform in [0, bound) by multiply-shift; the bias (< 2^-32) is irrelevant here. */
uint32_t
linksim_rand_below(uint64_t *state, uint32_t bound)
{
  return (uint32_t)(((linksim_rand(state) >> 32) * (uint64_t)bound) >> 32);
}

static int
linksim_chance(uint64_t *state, uint32_t ppm)
{
  return ppm > 0 && linksim_rand_below(state, LINKSIM_PPM) < ppm;
}

static int
linksim_pkt_before(const struct linksim_pkt *a, const struct linksim_pkt *b)
{
  return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static int
linksim_heap_push(struct linksim_dir *d, struct linksim_pkt *p)
{
  uint32_t i;

  if (d->nheap == d->capheap) {
    uint32_t cap = d->capheap ? d->capheap * 2 : 64;
    struct linksim_pkt **h = realloc(d->heap, cap * sizeof(*h));
    if (h == NULL) {
      return -1;
    }
    d->heap = h;
    d->capheap = cap;
  }
  i = d->nheap++;
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!linksim_pkt_before(p, d->heap[parent])) {
      break;
    }
    d->heap[i] = d->heap[parent];
    i = parent;
  }
  d->heap[i] = p;
  return 0;
}

static struct linksim_pkt *
linksim_heap_pop(struct linksim_dir *d)
{
  struct linksim_pkt *top = d->heap[0];
  struct linksim_pkt *last = d->heap[--d->nheap];
  uint32_t i = 0;

  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= d->nheap) {
      break;
    }
    if (c + 1 < d->nheap && linksim_pkt_before(d->heap[c + 1], d->heap[c])) {
      c++;
    }
    if (!linksim_pkt_before(d->heap[c], last)) {
      break;
    }
    d->heap[i] = d->heap[c];
    i = c;
  }
  if (d->nheap > 0) {
    d->heap[i] = last;
  }
  return top;
}

/** Counts the segments of a datagram by command, as a capture tool would. */
static void
linksim_count_cmds(struct linksim_dir_stats *st, const unsigned char *p, int len)
{
  int off = 0;

  while (len - off >= IKCP_OVERHEAD) {
    const unsigned char *h = p + off;
    const unsigned char *l = h + IKCP_LEN_OFFSET;
    uint32_t seglen = (uint32_t)l[0] | (uint32_t)l[1] << 8 |
                      (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
    if (h[IKCP_CMD_OFFSET] >= IKCP_CMD_PUSH && h[IKCP_CMD_OFFSET] < IKCP_CMD_PUSH + LINKSIM_NCMD) {
      st->cmd[LINKSIM_CMD_INDEX(h[IKCP_CMD_OFFSET])]++;
    }
    if (seglen > (uint32_t)(len - off - IKCP_OVERHEAD)) {
      break;
    }
    off += IKCP_OVERHEAD + (int)seglen;
  }
}

static int
linksim_lost(struct linksim_dir *d)
{
  if (d->cfg.loss_bag) {
    uint32_t i, ticket;
    if (d->bag_left == 0) {
      for (i = 0; i < LINKSIM_BAG_SIZE; i++) {
        d->bag[i] = (uint8_t)i;
      }
      d->bag_left = LINKSIM_BAG_SIZE;
    }
    i = linksim_rand_below(&d->rng, d->bag_left);
    ticket = d->bag[i];
    d->bag[i] = d->bag[--d->bag_left];
    return ticket < d->cfg.loss_ppm / (LINKSIM_PPM / LINKSIM_BAG_SIZE);
  }
  return linksim_chance(&d->rng, d->cfg.loss_ppm);
}

/** Puts one copy of a datagram on the wire, with its own delay. */
static void
linksim_queue(struct linksim *sim, struct linksim_dir *d, const char *buf, int len)
{
  struct linksim_pkt *p;
  uint64_t at;

  if (d->nheap >= d->cfg.max_inflight) {
    d->st.overflow++;
    return;
  }
  at = sim->now + d->cfg.delay_min;
  if (d->cfg.delay_max > d->cfg.delay_min) {
    at += linksim_rand_below(&d->rng, d->cfg.delay_max - d->cfg.delay_min + 1);
  }
  if (linksim_chance(&d->rng, d->cfg.reorder_ppm)) {
    at += d->cfg.reorder_ms;
  }
  if (d->cfg.fifo && at < d->last_at) {
    at = d->last_at;
  }
  p = malloc(sizeof(*p) + (size_t)len);
  if (p == NULL) {
    d->st.overflow++;
    return;
  }
  p->at = at;
  p->order = sim->order++;
  p->len = len;
  memcpy(p->data, buf, (size_t)len);
  if (linksim_heap_push(d, p) != 0) {
    free(p);
    d->st.overflow++;
    return;
  }
  d->last_at = at;
}

/** The endpoints' output: every datagram enters the link in its direction. */
static int
linksim_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct linksim *sim = (struct linksim *)user;
  struct linksim_dir *d = &sim->dir[kcp == sim->end[0].kcp ? 0 : 1];

  if (len <= 0) {
    return 0;
  }
  d->st.sent++;
  d->st.bytes += (uint64_t)len;
  linksim_count_cmds(&d->st, (const unsigned char *)buf, len);
  if (linksim_lost(d)) {
    d->st.lost++;
    return 0;
  }
  linksim_queue(sim, d, buf, len);
  if (linksim_chance(&d->rng, d->cfg.dup_ppm)) {
    d->st.duplicated++;
    linksim_queue(sim, d, buf, len);
  }
  return 0;
}

/** A lossless, 10 ms link holding up to 4096 datagrams each way. */
void
linksim_default_dir(struct linksim_dir_cfg *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->delay_min = 10;
  cfg->delay_max = 10;
  cfg->max_inflight = 4096;
}

/**
 * Creates the link and its two endpoints.
 * @param seed every random choice of the run follows from it
 * @param conv conversation id of both endpoints
 * @param start_ms initial clock; near 2^32 to test the engine's wrap-around
 * @return NULL when out of memory
 */
struct linksim *
linksim_new(uint64_t seed, IUINT32 conv, IUINT32 start_ms)
{
  struct linksim *sim = calloc(1, sizeof(*sim));
  int i;

  if (sim == NULL) {
    return NULL;
  }
  sim->now = start_ms;
  sim->start = start_ms;
  for (i = 0; i < 2; i++) {
    linksim_default_dir(&sim->dir[i].cfg);
    sim->dir[i].rng = seed ^ (0x5851f42d4c957f2dull * (uint64_t)(i + 1));
    sim->dir[i].last_at = sim->now;
    sim->end[i].next_update = sim->now;
    sim->end[i].kcp = ikcp_create(conv, sim);
    if (sim->end[i].kcp == NULL) {
      linksim_free(sim);
      return NULL;
    }
    ikcp_setoutput(sim->end[i].kcp, linksim_output);
  }
  return sim;
}

/** Releases the endpoints and every datagram still on the wire. */
void
linksim_free(struct linksim *sim)
{
  int i;

  if (sim == NULL) {
    return;
  }
  for (i = 0; i < 2; i++) {
    while (sim->dir[i].nheap > 0) {
      free(linksim_heap_pop(&sim->dir[i]));
    }
    free(sim->dir[i].heap);
    if (sim->end[i].kcp != NULL) {
      ikcp_release(sim->end[i].kcp);
    }
  }
  free(sim);
}

/** @return the endpoint of a side (0 or 1); configure it freely before traffic. */
ikcpcb *
linksim_kcp(struct linksim *sim, int side)
{
  return sim->end[side & 1].kcp;
}

/** Reshapes the direction leaving side @p from; datagrams already queued keep their times. */
void
linksim_set_dir(struct linksim *sim, int from, const struct linksim_dir_cfg *cfg)
{
  sim->dir[from & 1].cfg = *cfg;
}

/** @return the virtual clock as the engine sees it (wraps at 2^32). */
IUINT32
linksim_now(const struct linksim *sim)
{
  return (IUINT32)sim->now;
}

/** @return milliseconds simulated since linksim_new, never wrapping. */
uint64_t
linksim_elapsed(const struct linksim *sim)
{
  return sim->now - sim->start;
}

/** @return datagrams on the wire leaving side @p from. */
uint32_t
linksim_inflight(const struct linksim *sim, int from)
{
  return sim->dir[from & 1].nheap;
}

/** Moves the clock on without doing anything else, for callers that tick themselves. */
void
linksim_advance(struct linksim *sim, IUINT32 ms)
{
  sim->now += ms;
}

/**
 * Hands every datagram that has arrived at side @p to to its ikcp_input, in
 * arrival order, without touching the endpoint's clock.
 * @return the number of datagrams delivered
 */
int
linksim_deliver(struct linksim *sim, int to)
{
  struct linksim_dir *d = &sim->dir[(to & 1) ^ 1];
  ikcpcb *kcp = sim->end[to & 1].kcp;
  int n = 0;

  while (d->nheap > 0 && d->heap[0]->at <= sim->now) {
    struct linksim_pkt *p = linksim_heap_pop(d);
    d->st.delivered++;
    if (ikcp_input(kcp, (const char *)p->data, p->len) < 0) {
      d->st.input_errors++;
    }
    free(p);
    n++;
  }
  return n;
}

/** Asks the endpoint when it next needs ikcp_update, never earlier than its floor. */
static void
linksim_schedule(struct linksim *sim, struct linksim_end *e)
{
  IINT32 wait = (IINT32)(ikcp_check(e->kcp, (IUINT32)sim->now) - (IUINT32)sim->now);

  e->next_update = sim->now + (uint64_t)(wait > 0 ? wait : 0);
  if (e->next_update < e->floor) {
    e->next_update = e->floor;
  }
}

/**
 * After an update at the current time the endpoint must not want another
 * one at that same time: if it does, one more update is granted (the input
 * may have queued work), then the wish counts as a spin and is deferred.
 */
static void
linksim_reschedule(struct linksim *sim, struct linksim_end *e)
{
  linksim_schedule(sim, e);
  if (e->next_update > sim->now) {
    return;
  }
  ikcp_update(e->kcp, (IUINT32)sim->now);
  e->st.updates++;
  linksim_schedule(sim, e);
  if (e->next_update <= sim->now) {
    e->st.spins++;
    e->floor = sim->now + 1;
    e->next_update = e->floor;
  }
}

/**
 * Moves the clock to the next event, at most @p max_wait ms ahead, and
 * handles everything due then: endpoints whose ikcp_check time has come are
 * updated, arrived datagrams are input (the receiving endpoint's clock is
 * brought to the current time first, so RTT samples are exact), and each
 * endpoint touched is asked again when it next needs an update.
 * Between calls the caller sends and receives as its application would.
 * @return the new clock
 */
IUINT32
linksim_step(struct linksim *sim, IUINT32 max_wait)
{
  uint64_t next = sim->now + max_wait;
  int touched[2] = {0, 0};
  int i;

  for (i = 0; i < 2; i++) {
    linksim_schedule(sim, &sim->end[i]);
    if (sim->end[i].next_update < next) {
      next = sim->end[i].next_update;
    }
    if (sim->dir[i].nheap > 0 && sim->dir[i].heap[0]->at < next) {
      next = sim->dir[i].heap[0]->at;
    }
  }
  if (next > sim->now) {
    sim->now = next;
  }
  for (i = 0; i < 2; i++) {
    struct linksim_end *e = &sim->end[i];
    const struct linksim_dir *in = &sim->dir[i ^ 1];
    int due = e->next_update <= sim->now;
    if (due || (in->nheap > 0 && in->heap[0]->at <= sim->now)) {
      ikcp_update(e->kcp, (IUINT32)sim->now);
      e->st.updates++;
      e->st.timer_updates += (uint64_t)due;
      touched[i] = 1;
    }
  }
  for (i = 0; i < 2; i++) {
    if (touched[i]) {
      linksim_deliver(sim, i);
    }
  }
  for (i = 0; i < 2; i++) {
    if (touched[i]) {
      linksim_reschedule(sim, &sim->end[i]);
    }
  }
  return (IUINT32)sim->now;
}

/** @return what the direction leaving side @p from saw so far. */
const struct linksim_dir_stats *
linksim_dir_stats(const struct linksim *sim, int from)
{
  return &sim->dir[from & 1].st;
}

/** @return how side @p side was driven so far. */
const struct linksim_end_stats *
linksim_end_stats(const struct linksim *sim, int side)
{
  return &sim->end[side & 1].st;
}
