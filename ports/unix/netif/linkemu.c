/**
 * @file
 * Link emulation between the tap and lwIP (see linkemu.h).
 *
 * Per frame, in this order: loss, duplication, then each copy gets its own
 * delay (delay +- jitter) and maybe a reorder hold. A random number is drawn
 * only for an impairment that is switched on, so "--loss 20 --seed 1" sees
 * the same fates whatever else is configured. A frame with no wait at all is
 * delivered at once, in the caller's stack; everything else goes through the
 * queue, which keeps equal due times in arrival order so plain delay never
 * reorders.
 */
#include "linkemu.h"

#include "lwip/mem.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"

#include <string.h>

/** splitmix64: spreads a small seed over the whole xorshift state (which
 *  must not be zero). */
static u64_t
linkemu_seed_state(u32_t seed)
{
  u64_t z = (u64_t)seed + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z != 0 ? z : 0x2545f4914f6cdd1dULL;
}

/** xorshift64*: fast, and good enough to decide the fate of frames. */
static u64_t
linkemu_next(struct linkemu *emu)
{
  u64_t x = emu->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  emu->rng = x;
  return x * 0x2545f4914f6cdd1dULL;
}

/** Uniform in [0, 1). */
static double
linkemu_uniform(struct linkemu *emu)
{
  return (double)(linkemu_next(emu) >> 11) * (1.0 / 9007199254740992.0);
}

/** True with probability pct percent; draws nothing when pct is 0. */
static int
linkemu_chance(struct linkemu *emu, double pct)
{
  if (pct <= 0.0) {
    return 0;
  }
  return linkemu_uniform(emu) * 100.0 < pct;
}

int
linkemu_is_transparent(const struct linkemu_config *cfg)
{
  return cfg->loss_pct <= 0.0 && cfg->dup_pct <= 0.0 && cfg->reorder_pct <= 0.0 &&
         cfg->delay_ms == 0 && cfg->jitter_ms == 0;
}

/**
 * Initialise emu; deliver_in/deliver_out receive the frames that survive.
 * The queue's slots are allocated here, once, so that a burst never costs
 * an allocation per frame; linkemu_deinit() frees them.
 * @param arg passed to both deliver functions
 * @return ERR_OK, ERR_VAL for a queue_max above LINKEMU_QUEUE_LIMIT, or
 *         ERR_MEM
 */
err_t
linkemu_init(struct linkemu *emu, const struct linkemu_config *cfg,
             linkemu_deliver_fn deliver_in, linkemu_deliver_fn deliver_out, void *arg)
{
  u32_t n = cfg->queue_max != 0 ? cfg->queue_max : LINKEMU_QUEUE_DEFAULT;
  u32_t i;

  memset(emu, 0, sizeof(*emu));
  if (n > LINKEMU_QUEUE_LIMIT) {
    return ERR_VAL;
  }
  emu->slots = (struct linkemu_frame *)mem_calloc((mem_size_t)n, sizeof(*emu->slots));
  if (emu->slots == NULL) {
    return ERR_MEM;
  }
  emu->cfg = *cfg;
  emu->cfg.queue_max = n;
  emu->rng = linkemu_seed_state(cfg->seed);
  emu->deliver[LINKEMU_IN] = deliver_in;
  emu->deliver[LINKEMU_OUT] = deliver_out;
  emu->deliver_arg = arg;
  for (i = n; i > 0; i--) {
    emu->slots[i - 1].next = emu->free_list;
    emu->free_list = &emu->slots[i - 1];
  }
  return ERR_OK;
}

static void linkemu_timer(void *arg);

/** (Re)arm the single timer for the head of the queue. */
static void
linkemu_arm(struct linkemu *emu)
{
  if (emu->timer_armed) {
    sys_untimeout(linkemu_timer, emu);
    emu->timer_armed = 0;
  }
  if (emu->queue != NULL) {
    s32_t wait = (s32_t)(emu->queue->due - sys_now());
    sys_timeout(wait > 0 ? (u32_t)wait : 0, linkemu_timer, emu);
    emu->timer_armed = 1;
  }
}

/** Release every frame that is due. A delivery may submit new frames (an
 *  echo reply, say), so each frame leaves the queue before it is handed on. */
static void
linkemu_timer(void *arg)
{
  struct linkemu *emu = (struct linkemu *)arg;
  u32_t now = sys_now();

  LWIP_ASSERT_CORE_LOCKED();
  emu->timer_armed = 0;
  while (emu->queue != NULL && (s32_t)(emu->queue->due - now) <= 0) {
    struct linkemu_frame *f = emu->queue;
    struct pbuf *p = f->p;
    u8_t dir = f->dir;

    emu->queue = f->next;
    if (emu->queue == NULL) {
      emu->queue_tail = NULL;
    }
    f->p = NULL;
    f->next = emu->free_list;
    emu->free_list = f;
    emu->deliver[dir](p, emu->deliver_arg);
  }
  linkemu_arm(emu);
}

/** Wait of one copy: delay +- jitter, plus the reorder hold if drawn. */
static u32_t
linkemu_wait(struct linkemu *emu, struct linkemu_stats *st)
{
  const struct linkemu_config *cfg = &emu->cfg;
  s64_t wait = cfg->delay_ms;

  if (cfg->jitter_ms > 0) {
    wait += (s64_t)(linkemu_uniform(emu) * (2.0 * cfg->jitter_ms + 1.0)) - cfg->jitter_ms;
    if (wait < 0) {
      wait = 0;
    }
  }
  if (linkemu_chance(emu, cfg->reorder_pct)) {
    /* the earliest a held frame leaves is delay - jitter + hold: that is
       LINKEMU_REORDER_HOLD_MS after the latest any unheld frame can leave */
    wait += 2 * (s64_t)cfg->jitter_ms + LINKEMU_REORDER_HOLD_MS;
    st->reordered++;
  }
  return (u32_t)wait;
}

static void
linkemu_schedule(struct linkemu *emu, u8_t dir, struct pbuf *p)
{
  struct linkemu_stats *st = &emu->stats[dir];
  struct linkemu_frame *f, **pp;
  u32_t wait = linkemu_wait(emu, st);

  if (wait == 0) {
    emu->deliver[dir](p, emu->deliver_arg);
    return;
  }
  f = emu->free_list;
  if (f == NULL) {
    st->queue_full++;
    pbuf_free(p);
    return;
  }
  emu->free_list = f->next;
  f->p = p;
  f->dir = dir;
  f->due = sys_now() + wait;
  if (emu->queue_tail != NULL && (s32_t)(emu->queue_tail->due - f->due) <= 0) {
    pp = &emu->queue_tail->next;
  } else {
    /* jitter or a reorder hold: due before the last, walk to its place */
    pp = &emu->queue;
    while (*pp != NULL && (s32_t)((*pp)->due - f->due) <= 0) {
      pp = &(*pp)->next;
    }
  }
  f->next = *pp;
  *pp = f;
  if (f->next == NULL) {
    emu->queue_tail = f;
  }
  st->delayed++;
  if (emu->queue == f) {
    linkemu_arm(emu);
  }
}

/**
 * Pass one frame through the emulated link; call in the core thread.
 * @param p a pbuf the link now owns. Behind impairments (anything but a
 *          transparent link, linkemu_is_transparent()) it must be a single
 *          PBUF_RAM pbuf, since it may wait and be duplicated, and the
 *          receiver may change it in place as ICMP echo does (copies are
 *          real copies). A transparent link hands it on at once as it is,
 *          so it may be lwIP's own chain, referenced.
 */
void
linkemu_submit(struct linkemu *emu, enum linkemu_dir dir, struct pbuf *p)
{
  struct linkemu_stats *st = &emu->stats[dir];
  struct pbuf *copy = NULL;

  LWIP_ASSERT_CORE_LOCKED();
  st->frames++;
  if (linkemu_chance(emu, emu->cfg.loss_pct)) {
    st->lost++;
    pbuf_free(p);
    return;
  }
  if (linkemu_chance(emu, emu->cfg.dup_pct)) {
    copy = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
    if (copy != NULL) {
      st->duplicated++;
    }
  }
  linkemu_schedule(emu, (u8_t)dir, p);
  if (copy != NULL) {
    linkemu_schedule(emu, (u8_t)dir, copy);
  }
}

/** Drop every waiting frame, stop the timer and free the queue; call in
 *  the core thread. */
void
linkemu_deinit(struct linkemu *emu)
{
  LWIP_ASSERT_CORE_LOCKED();
  if (emu->timer_armed) {
    sys_untimeout(linkemu_timer, emu);
    emu->timer_armed = 0;
  }
  while (emu->queue != NULL) {
    struct linkemu_frame *f = emu->queue;

    emu->queue = f->next;
    pbuf_free(f->p);
  }
  emu->queue_tail = NULL;
  emu->free_list = NULL;
  if (emu->slots != NULL) {
    mem_free(emu->slots);
    emu->slots = NULL;
  }
}
