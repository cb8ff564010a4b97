/**
 * @file
 * Frames read from a device in batches (see rxbatch.h for why).
 */
#include "rxbatch.h"

#include "lwip/def.h"

#include <errno.h>
#include <valgrind/memcheck.h>

/**
 * Set up the ring and its slots for reads from fd.
 * @return 0, or an errno value (ENOMEM, ENOSYS, EPERM, ...): b is then
 *         not set up and the caller reads frames itself
 */
int
rxbatch_init(struct rxbatch *b, int fd)
{
  b->want = RXBATCH_MIN;
  return uringbuf_init(&b->u, fd, RXBATCH_SLOTS, (size_t)RXBATCH_SLOTS * RXBATCH_SLOT_SIZE);
}

/**
 * One batch: queue b's current number of reads, submit them at once, and
 * hand each frame read to fn, in order.
 * @return frames read (fewer than queued: the device had no more), or a
 *         negative errno: the submission or a read failed (not EAGAIN or
 *         EINTR); the frames before the failure were handed over
 */
int
rxbatch_read(struct rxbatch *b, rxbatch_frame_fn fn, void *arg)
{
  u32_t i, queued = b->want, done = 0;
  int frames = 0, fail = 0, ret;

  for (i = 0; i < queued; i++) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&b->u.ring);

    if (sqe == NULL) {
      break;
    }
    io_uring_prep_read_fixed(sqe, 0, b->u.buf + (size_t)i * RXBATCH_SLOT_SIZE, RXBATCH_SLOT_SIZE, 0, 0);
    /* EAGAIN at once when the device has no frame, never a read left
       waiting for one (io_uring would otherwise arm it for later) */
    sqe->rw_flags = RWF_NOWAIT;
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, i);
  }
  queued = i;
  do {
    ret = io_uring_submit_and_wait(&b->u.ring, queued - done);
  } while (ret == -EINTR);
  if (ret < 0) {
    return ret;
  }
  /* every read completes inline (RWF_NOWAIT); the wait is only for one
     the kernel chose to finish elsewhere */
  while (done < queued) {
    struct io_uring_cqe *cqe;

    ret = io_uring_wait_cqe(&b->u.ring, &cqe);
    if (ret == -EINTR) {
      continue;
    }
    if (ret < 0) {
      return ret;
    }
    i = (u32_t)io_uring_cqe_get_data64(cqe);
    if (cqe->res > 0 && fail == 0 && i < RXBATCH_SLOTS) {
      /* the kernel wrote the frame behind memcheck's back (no system call
         names the buffer): tell it, when running under it */
      VALGRIND_MAKE_MEM_DEFINED(b->u.buf + (size_t)i * RXBATCH_SLOT_SIZE, cqe->res);
      fn(arg, b->u.buf + (size_t)i * RXBATCH_SLOT_SIZE, (u32_t)cqe->res);
      frames++;
    } else if (cqe->res < 0 && cqe->res != -EAGAIN && cqe->res != -EINTR && fail == 0) {
      fail = cqe->res;
    }
    io_uring_cqe_seen(&b->u.ring, cqe);
    done++;
  }
  b->want = LWIP_MIN(LWIP_MAX(2 * (u32_t)frames, RXBATCH_MIN), RXBATCH_SLOTS);
  return fail != 0 ? fail : frames;
}

/** Reads the next rxbatch_read() queues: it found every frame the device
 *  held when it returns fewer. */
u32_t
rxbatch_next(const struct rxbatch *b)
{
  return b->want;
}

/** Release the ring and the slots. */
void
rxbatch_deinit(struct rxbatch *b)
{
  uringbuf_deinit(&b->u);
}
