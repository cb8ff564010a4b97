/**
 * @file
 * TCP link: one non-blocking connection to the TCP echo with TCP_NODELAY,
 * so that the comparison with KCP is not skewed by Nagle. Messages are
 * copied into a send buffer and written as the socket takes them; TCP is a
 * byte stream, so the caller matches echoes by byte counts.
 *
 * To compare like with like, the bytes sent but not yet echoed are capped
 * as on a KCP link (kcpc_link_echo_cap).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kcpc_link_impl.h"

struct kcpc_link_tcp {
  struct kcpc_link base;
  const char *peer;
  int connecting;
  int readable;        /**< poll said POLLIN and recv has not yet said EAGAIN */
  int dead;
  uint8_t *tx;         /**< unsent bytes are tx[tx_off, tx_off + tx_len) */
  size_t tx_off, tx_len, tx_alloc;
  uint64_t queued;     /**< bytes given to kcpc_link_send */
  uint64_t received;   /**< bytes read back */
  uint64_t window;     /**< cap on queued - received */
  uint64_t send_errors;
};

static struct kcpc_link_tcp *
kcpc_tcp(struct kcpc_link *link)
{
  return (struct kcpc_link_tcp *)link;
}

static const struct kcpc_link_tcp *
kcpc_tcp_c(const struct kcpc_link *link)
{
  return (const struct kcpc_link_tcp *)link;
}

/** Mark the connection dead, saying why once. */
static void
kcpc_tcp_fail(struct kcpc_link_tcp *lt, const char *why)
{
  if (!lt->dead) {
    fprintf(stderr, "kcp_client: tcp %s: %s\n", lt->peer, why);
    lt->dead = 1;
  }
}

static void
kcpc_tcp_close(struct kcpc_link *link, struct kcpc_link_counters *acc)
{
  struct kcpc_link_tcp *lt = kcpc_tcp(link);

  if (acc != NULL) {
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    if (getsockopt(lt->base.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
      acc->retrans_tcp += ti.tcpi_total_retrans;
    }
    acc->send_errors += lt->send_errors;
  }
  close(lt->base.fd);
  free(lt->tx);
  free(lt);
}

static short
kcpc_tcp_events(const struct kcpc_link *link)
{
  const struct kcpc_link_tcp *lt = kcpc_tcp_c(link);

  if (lt->dead) {
    return 0;
  }
  return (short)(POLLIN | ((lt->connecting || lt->tx_len > 0) ? POLLOUT : 0));
}

/** Write what the socket takes. */
static void
kcpc_tcp_write(struct kcpc_link_tcp *lt)
{
  while (!lt->dead && !lt->connecting && lt->tx_len > 0) {
    ssize_t n = send(lt->base.fd, lt->tx + lt->tx_off, lt->tx_len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        lt->send_errors++;
        kcpc_tcp_fail(lt, strerror(errno));
      }
      return;
    }
    lt->tx_off += (size_t)n;
    lt->tx_len -= (size_t)n;
  }
  if (lt->tx_len == 0) {
    lt->tx_off = 0;
  }
}

static void
kcpc_tcp_service(struct kcpc_link *link, short revents, uint64_t now_us)
{
  struct kcpc_link_tcp *lt = kcpc_tcp(link);

  if (lt->connecting && (revents & (POLLOUT | POLLERR | POLLHUP))) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(link->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
      err = errno;
    }
    if (err != 0) {
      kcpc_tcp_fail(lt, strerror(err));
      return;
    }
    lt->connecting = 0;
  }
  if (revents & (POLLIN | POLLERR | POLLHUP)) {
    lt->readable = 1;
    link->last_rx_us = now_us;
  }
  kcpc_tcp_write(lt);
}

static int
kcpc_tcp_can_send(const struct kcpc_link *link, uint32_t len)
{
  const struct kcpc_link_tcp *lt = kcpc_tcp_c(link);
  uint64_t inflight = lt->queued - lt->received;

  return !lt->dead && (inflight == 0 || inflight + len <= lt->window);
}

static int
kcpc_tcp_send(struct kcpc_link *link, const void *msg, uint32_t len)
{
  struct kcpc_link_tcp *lt = kcpc_tcp(link);

  if (lt->tx_off + lt->tx_len + len > lt->tx_alloc) {
    if (lt->tx_off > 0) {
      memmove(lt->tx, lt->tx + lt->tx_off, lt->tx_len);
      lt->tx_off = 0;
    }
    if (lt->tx_len + len > lt->tx_alloc) {
      uint8_t *p = realloc(lt->tx, lt->tx_len + len);
      if (p == NULL) {
        return -1;
      }
      lt->tx = p;
      lt->tx_alloc = lt->tx_len + len;
    }
  }
  memcpy(lt->tx + lt->tx_off + lt->tx_len, msg, len);
  lt->tx_len += len;
  lt->queued += len;
  return 0;
}

static size_t
kcpc_tcp_recv(struct kcpc_link *link, void *buf, size_t cap)
{
  struct kcpc_link_tcp *lt = kcpc_tcp(link);
  ssize_t n;

  if (!lt->readable || lt->connecting) {
    return 0;
  }
  for (;;) {
    n = recv(link->fd, buf, cap, 0);
    if (n > 0) {
      lt->received += (uint64_t)n;
      return (size_t)n;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    lt->readable = 0;
    if (n == 0) {
      kcpc_tcp_fail(lt, "connection closed by the server");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      kcpc_tcp_fail(lt, strerror(errno));
    }
    return 0;
  }
}

static void
kcpc_tcp_pump(struct kcpc_link *link, uint64_t now_us)
{
  (void)now_us;
  kcpc_tcp_write(kcpc_tcp(link));
}

static uint64_t
kcpc_tcp_deadline(const struct kcpc_link *link, uint64_t now_us)
{
  (void)link;
  (void)now_us;
  return UINT64_MAX;
}

static int
kcpc_tcp_dead(const struct kcpc_link *link)
{
  return kcpc_tcp_c(link)->dead;
}

static const struct kcpc_link_ops kcpc_tcp_ops = {
  kcpc_tcp_close, kcpc_tcp_events, kcpc_tcp_service, kcpc_tcp_can_send,
  kcpc_tcp_send, kcpc_tcp_recv, kcpc_tcp_pump, kcpc_tcp_deadline, kcpc_tcp_dead,
  0
};

struct kcpc_link *
kcpc_link_tcp_open(const struct kcpc_config *cfg, uint64_t now_us)
{
  struct kcpc_link_tcp *lt;
  int one = 1;
  int fd = socket(cfg->addr.ss_family, SOCK_STREAM, 0);

  if (fd < 0) {
    fprintf(stderr, "kcp_client: socket: %s\n", strerror(errno));
    return NULL;
  }
  lt = calloc(1, sizeof(*lt));
  if (lt == NULL || kcpc_link_fd_setup(fd) < 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
    fprintf(stderr, "kcp_client: tcp socket setup: %s\n", lt ? strerror(errno) : "out of memory");
    free(lt);
    close(fd);
    return NULL;
  }
  lt->base.ops = &kcpc_tcp_ops;
  lt->base.fd = fd;
  lt->base.last_rx_us = now_us;
  lt->peer = cfg->peer;
  lt->window = kcpc_link_echo_cap(cfg);
  if (connect(fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0) {
    if (errno == EINPROGRESS) {
      lt->connecting = 1;
    } else {
      kcpc_tcp_fail(lt, strerror(errno));
    }
  }
  return &lt->base;
}
