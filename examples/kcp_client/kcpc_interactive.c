/**
 * @file
 * Interactive mode, like telnet to an echo port: every stdin line (with its
 * newline) goes out as one message and whatever comes back is written to
 * stdout as it arrives. Works the same on a terminal and through a pipe; at
 * end of input it waits for the outstanding echoes, at most --timeout.
 *
 * Memory is one line buffer of the largest message: a longer line is
 * refused with a message and skipped up to its newline.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcp_client.h"
#include "kcpc_clock.h"
#include "kcpc_link.h"

struct kcpc_inter {
  const struct kcpc_config *cfg;
  struct kcpc_link *link;
  char *line;          /**< stdin bytes not yet sent: line[0, len) */
  size_t len, cap;
  int eof;             /**< stdin ended */
  int skipping;        /**< dropping a refused line up to its newline */
  uint64_t outstanding;/**< bytes sent and not yet echoed */
  uint64_t wait_us;    /**< since when an answer is awaited */
};

/** Queue one message of n bytes from the front of the line buffer; 0 if the window is full. */
static int
kcpc_inter_send(struct kcpc_inter *in, size_t n, uint64_t now_us)
{
  if (!kcpc_link_can_send(in->link, (uint32_t)n)) {
    return 0;
  }
  if (kcpc_link_send(in->link, in->line, (uint32_t)n) < 0) {
    fprintf(stderr, "kcp_client: a %zu-byte line was refused by the link\n", n);
  } else {
    if (in->outstanding == 0) {
      in->wait_us = now_us;
    }
    in->outstanding += n;
  }
  in->len -= n;
  memmove(in->line, in->line + n, in->len);
  return 1;
}

/** Send every complete line in the buffer the window lets through. */
static void
kcpc_inter_lines(struct kcpc_inter *in, uint64_t now_us)
{
  for (;;) {
    char *nl = memchr(in->line, '\n', in->len);
    if (nl == NULL) {
      break;
    }
    if (in->skipping) {
      size_t n = (size_t)(nl - in->line) + 1;
      in->skipping = 0;
      in->len -= n;
      memmove(in->line, in->line + n, in->len);
      continue;
    }
    if (!kcpc_inter_send(in, (size_t)(nl - in->line) + 1, now_us)) {
      return;
    }
  }
  if (in->len == in->cap) {
    if (!in->skipping) {
      fprintf(stderr, "kcp_client: line longer than %zu bytes refused\n", in->cap);
    }
    in->skipping = 1;
    in->len = 0;
  }
  if (in->eof && in->len > 0) {
    if (in->skipping) {
      in->len = 0;
    } else {
      kcpc_inter_send(in, in->len, now_us);
    }
  }
}

/** Whether the buffer can take more input: no complete line waits for the window. */
static int
kcpc_inter_want_input(const struct kcpc_inter *in)
{
  return !in->eof && in->len < in->cap && memchr(in->line, '\n', in->len) == NULL;
}

static void
kcpc_inter_read(struct kcpc_inter *in)
{
  ssize_t n = read(STDIN_FILENO, in->line + in->len, in->cap - in->len);

  if (n > 0) {
    in->len += (size_t)n;
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    in->eof = 1;
  }
}

/** Print what the server echoed. */
static int
kcpc_inter_receive(struct kcpc_inter *in, char *buf, size_t cap, uint64_t now_us)
{
  size_t n;

  while ((n = kcpc_link_recv(in->link, buf, cap)) > 0) {
    if (fwrite(buf, 1, n, stdout) != n) {
      return -1;
    }
    in->outstanding = n < in->outstanding ? in->outstanding - n : 0;
    in->wait_us = now_us;
  }
  return fflush(stdout) == 0 ? 0 : -1;
}

static int
kcpc_inter_loop(struct kcpc_inter *in, char *rxbuf, size_t rxcap)
{
  uint64_t timeout_us = (uint64_t)in->cfg->timeout_s * 1000000u;

  for (;;) {
    struct pollfd pfd[2];
    uint64_t now_us = kcpc_now_us(), wake, since;
    int nfd = 1;

    if (in->eof && in->len == 0 && in->outstanding == 0) {
      return 0;
    }
    wake = kcpc_link_deadline(in->link, now_us);
    if (in->outstanding > 0) {
      since = kcpc_link_last_rx(in->link);
      since = since > in->wait_us ? since : in->wait_us;
      if (since + timeout_us < wake) {
        wake = since + timeout_us;
      }
    }
    pfd[0].fd = kcpc_link_fd(in->link);
    pfd[0].events = kcpc_link_events(in->link);
    pfd[0].revents = 0;
    pfd[1].fd = STDIN_FILENO;
    pfd[1].events = POLLIN;
    pfd[1].revents = 0;
    if (kcpc_inter_want_input(in)) {
      nfd = 2;
    }
    if (kcpc_link_poll(pfd, (nfds_t)nfd, now_us, wake) < 0 && errno != EINTR) {
      fprintf(stderr, "kcp_client: poll: %s\n", strerror(errno));
      return KCPC_EXIT_FAIL;
    }
    now_us = kcpc_now_us();
    if (nfd == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      kcpc_inter_read(in);
    }
    kcpc_link_service(in->link, pfd[0].revents, now_us);
    if (kcpc_inter_receive(in, rxbuf, rxcap, now_us) < 0) {
      fprintf(stderr, "kcp_client: stdout: %s\n", strerror(errno));
      return KCPC_EXIT_FAIL;
    }
    kcpc_inter_lines(in, now_us);
    kcpc_link_pump(in->link, now_us);
    if (kcpc_link_dead(in->link)) {
      fprintf(stderr, "kcp_client: %s: session dead%s\n", in->cfg->peer,
              in->cfg->tcp ? "" : " (a segment was sent dead_link times)");
      return KCPC_EXIT_FAIL;
    }
    if (in->outstanding > 0) {
      since = kcpc_link_last_rx(in->link);
      since = since > in->wait_us ? since : in->wait_us;
      if (since < now_us && now_us - since >= timeout_us) {
        fprintf(stderr, "kcp_client: %s: no answer for %u s, %" PRIu64 " bytes not echoed\n",
                in->cfg->peer, in->cfg->timeout_s, in->outstanding);
        return KCPC_EXIT_FAIL;
      }
    }
  }
}

int
kcpc_interactive_run(const struct kcpc_config *cfg)
{
  struct kcpc_inter in;
  size_t rxcap = kcpc_link_recv_max(cfg);
  char *rxbuf;
  int rc;

  memset(&in, 0, sizeof(in));
  in.cfg = cfg;
  in.cap = kcpc_msg_max(cfg);
  in.line = malloc(in.cap);
  rxbuf = malloc(rxcap);
  if (in.line == NULL || rxbuf == NULL) {
    fprintf(stderr, "kcp_client: out of memory\n");
    free(in.line);
    free(rxbuf);
    return KCPC_EXIT_FAIL;
  }
  in.link = kcpc_link_open(cfg, cfg->conv, kcpc_now_us());
  if (in.link == NULL) {
    rc = KCPC_EXIT_FAIL;
  } else {
    rc = kcpc_inter_loop(&in, rxbuf, rxcap);
    kcpc_link_close(in.link, NULL);
  }
  free(in.line);
  free(rxbuf);
  return rc;
}
