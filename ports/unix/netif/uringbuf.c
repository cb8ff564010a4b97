/**
 * @file
 * An io_uring set up for fixed-slot I/O on one descriptor (see uringbuf.h).
 */
#include "uringbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/**
 * Set up a ring of entries entries for fd, with a buffer of size bytes.
 * @return 0, or an errno value (ENOMEM, ENOSYS, EPERM, ...): u is then not
 *         set up (u->buf NULL)
 */
int
uringbuf_init(struct uringbuf *u, int fd, unsigned entries, size_t size)
{
  struct iovec iov;
  int err;

  memset(u, 0, sizeof(*u));
  u->buf = (u8_t *)malloc(size);
  if (u->buf == NULL) {
    return ENOMEM;
  }
  err = io_uring_queue_init(entries, &u->ring, 0);
  if (err < 0) {
    free(u->buf);
    u->buf = NULL;
    return -err;
  }
  iov.iov_base = u->buf;
  iov.iov_len = size;
  if ((err = io_uring_register_files(&u->ring, &fd, 1)) < 0 ||
      (err = io_uring_register_buffers(&u->ring, &iov, 1)) < 0) {
    uringbuf_deinit(u);
    return -err;
  }
  return 0;
}

/** Release the ring and the buffer (nothing when not set up). The
 *  descriptor is unregistered first: the kernel tears a ring down in a
 *  worker of its own, some time after io_uring_queue_exit(), and a file
 *  still registered stays open until then, so a tap would stay attached
 *  (busy for the next ./minimal) after this process has exited. */
void
uringbuf_deinit(struct uringbuf *u)
{
  if (u->buf == NULL) {
    return;
  }
  io_uring_unregister_files(&u->ring);
  io_uring_queue_exit(&u->ring);
  free(u->buf);
  u->buf = NULL;
}
