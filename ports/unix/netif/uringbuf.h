/**
 * @file
 * An io_uring set up for fixed-slot I/O on one descriptor: the descriptor
 * registered as file 0 and one buffer as buffer 0, so that an operation
 * takes neither a file reference nor a page pin of its own. Shared by the
 * tap's batched reads (rxbatch.h) and writes (txbatch.h).
 */
#ifndef URINGBUF_H
#define URINGBUF_H

#include "lwip/arch.h"

#include <liburing.h>
#include <stddef.h>

/** A ring and its registered buffer. */
struct uringbuf {
  struct io_uring ring;
  u8_t *buf;   /**< size bytes, registered; NULL when not set up */
};

int uringbuf_init(struct uringbuf *u, int fd, unsigned entries, size_t size);
void uringbuf_deinit(struct uringbuf *u);

#endif /* URINGBUF_H */
