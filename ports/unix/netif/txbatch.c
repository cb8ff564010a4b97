/**
 * @file
 * Frames written to a device in batches (see txbatch.h for why).
 */
#include "txbatch.h"

#include "lwip/debug.h"

#include <errno.h>
#include <string.h>

/** Interrupted or busy submissions in a row before the ring counts as failed. */
#define TXBATCH_RETRIES 100

/**
 * Set up the ring and its slots for writes to fd.
 * @param headroom bytes written in front of every frame, zeroed when it is
 *        queued (at most TXBATCH_HEADROOM_MAX)
 * @param merge may append a frame to the last one queued, or NULL
 * @return 0, or an errno value (ENOMEM, ENOSYS, EPERM, EINVAL, ...): b is
 *         then not set up and the caller writes frames itself
 */
int
txbatch_init(struct txbatch *b, int fd, u16_t headroom, txbatch_merge_fn merge)
{
  int err;

  memset(b, 0, sizeof(*b));
  if (headroom > TXBATCH_HEADROOM_MAX) {
    return EINVAL;
  }
  b->headroom = headroom;
  b->merge = merge;
  err = uringbuf_init(&b->u, fd, TXBATCH_SLOTS, (size_t)TXBATCH_SLOTS * TXBATCH_SLOT_SIZE);
  b->ready = err == 0;
  return err;
}

/** Whether b is set up and working: else the caller writes frames itself. */
int
txbatch_ready(const struct txbatch *b)
{
  return b->ready;
}

/** Frames queued and not yet submitted. */
u32_t
txbatch_queued(const struct txbatch *b)
{
  return b->queued;
}

/** Slot i: the headroom, then the frame. */
static u8_t *
txbatch_slot(const struct txbatch *b, u32_t i)
{
  return b->u.buf + (size_t)i * TXBATCH_SLOT_SIZE;
}

/**
 * Queue frame p: appended to the last frame queued when the merge function
 * takes it, else copied (a chain flattened) into the next slot after a
 * zeroed headroom. The caller keeps p.
 * @return p's bytes as they go out, flat, valid until the next
 *         txbatch_submit() (for a capture): the copy, or p's own payload
 *         when it was merged (only single pbufs are offered to a merge);
 *         NULL when the batch is full (submit first), b is not ready, or p
 *         is longer than TXBATCH_FRAME_MAX (the caller counts an error)
 */
const u8_t *
txbatch_put(struct txbatch *b, const struct pbuf *p)
{
  u8_t *slot;

  if (!b->ready) {
    return NULL;
  }
  if (b->merge != NULL && b->queued > 0 && p->next == NULL &&
      b->merge(txbatch_slot(b, b->queued - 1), &b->len[b->queued - 1], TXBATCH_FRAME_MAX, p)) {
    b->frames[b->queued - 1]++;
    b->bytes[b->queued - 1] += p->tot_len;
    return (const u8_t *)p->payload;
  }
  if (b->queued >= TXBATCH_SLOTS || p->tot_len > TXBATCH_FRAME_MAX) {
    return NULL;
  }
  slot = txbatch_slot(b, b->queued);
  memset(slot, 0, b->headroom);
  pbuf_copy_partial(p, slot + b->headroom, p->tot_len, 0);
  b->len[b->queued] = p->tot_len;
  b->frames[b->queued] = 1;
  b->bytes[b->queued] = p->tot_len;
  b->queued++;
  return slot + b->headroom;
}

/** Queue the write of every queued slot in the ring. */
static void
txbatch_prep(struct txbatch *b)
{
  u32_t i;

  for (i = 0; i < b->queued; i++) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&b->u.ring);

    LWIP_ASSERT("txbatch: the ring has an entry per slot", sqe != NULL);
    io_uring_prep_write_fixed(sqe, 0, txbatch_slot(b, i), (unsigned)b->headroom + b->len[i], 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, i);
  }
}

/**
 * Write every queued frame: one io_uring_enter(2) that returns once all of
 * them are done, then their results into res (added to what it holds).
 * Should the ring itself fail (an error other than an interruption, or
 * TXBATCH_RETRIES of those in a row), the frames not done count as errors
 * and b is no longer ready (the caller goes back to writing frames itself).
 */
void
txbatch_submit(struct txbatch *b, struct txbatch_result *res)
{
  u32_t done = 0, frames = 0, counted = 0, i;
  int tries = 0;

  txbatch_prep(b);
  for (i = 0; i < b->queued; i++) {
    frames += b->frames[i];
  }
  while (done < b->queued) {
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    int ret = io_uring_submit_and_wait(&b->u.ring, b->queued - done);

    if (ret < 0 && ((ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) || ++tries > TXBATCH_RETRIES)) {
      res->errors += frames - counted;
      b->ready = 0;
      break;
    }
    io_uring_for_each_cqe(&b->u.ring, head, cqe) {
      u64_t slot = io_uring_cqe_get_data64(cqe);

      if (slot < TXBATCH_SLOTS) {
        if (cqe->res == (int)b->headroom + b->len[slot]) {
          res->frames += b->frames[slot];
          res->bytes += b->bytes[slot];
          res->merged += b->frames[slot] - 1U;
        } else {
          res->errors += b->frames[slot];
        }
        counted += b->frames[slot];
      }
      n++;
    }
    io_uring_cq_advance(&b->u.ring, n);
    done += n;
  }
  b->queued = 0;
}

/** Release the ring and the slots; frames still queued are not written. */
void
txbatch_deinit(struct txbatch *b)
{
  uringbuf_deinit(&b->u);
  b->ready = 0;
  b->queued = 0;
}
