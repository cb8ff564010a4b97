/**
 * @file
 * Frames written to a device in batches (see txbatch.h for why).
 */
#include "txbatch.h"

#include <errno.h>
#include <string.h>

/** Interrupted or busy submissions in a row before the ring counts as failed. */
#define TXBATCH_RETRIES 100

/**
 * Set up the ring and its slots for writes to fd.
 * @return 0, or an errno value (ENOMEM, ENOSYS, EPERM, ...): b is then
 *         not set up and the caller writes frames itself
 */
int
txbatch_init(struct txbatch *b, int fd)
{
  int err;

  memset(b, 0, sizeof(*b));
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

/**
 * Copy frame p (a chain is flattened) into the next slot and queue its
 * write; the caller keeps p.
 * @return the copy (valid until the next txbatch_submit(): for a capture),
 *         or NULL when the batch is full (submit first), b is not ready,
 *         or p is longer than a slot (the caller counts it as an error)
 */
const u8_t *
txbatch_put(struct txbatch *b, const struct pbuf *p)
{
  struct io_uring_sqe *sqe;
  u8_t *slot;

  if (!b->ready || b->queued >= TXBATCH_SLOTS || p->tot_len > TXBATCH_SLOT_SIZE) {
    return NULL;
  }
  sqe = io_uring_get_sqe(&b->u.ring);
  if (sqe == NULL) {
    return NULL;
  }
  slot = b->u.buf + (size_t)b->queued * TXBATCH_SLOT_SIZE;
  pbuf_copy_partial(p, slot, p->tot_len, 0);
  io_uring_prep_write_fixed(sqe, 0, slot, p->tot_len, 0, 0);
  sqe->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(sqe, b->queued);
  b->len[b->queued] = p->tot_len;
  b->queued++;
  return slot;
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
  u32_t done = 0;
  int tries = 0;

  while (done < b->queued) {
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    int ret = io_uring_submit_and_wait(&b->u.ring, b->queued - done);

    if (ret < 0 && ((ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) || ++tries > TXBATCH_RETRIES)) {
      res->errors += b->queued - done;
      b->ready = 0;
      break;
    }
    io_uring_for_each_cqe(&b->u.ring, head, cqe) {
      u64_t slot = io_uring_cqe_get_data64(cqe);

      if (slot < TXBATCH_SLOTS && cqe->res == (int)b->len[slot]) {
        res->frames++;
        res->bytes += b->len[slot];
      } else {
        res->errors++;
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
