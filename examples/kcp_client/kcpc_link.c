/**
 * @file
 * The link interface: one call per operation, dispatched to the KCP or TCP
 * implementation chosen when the link was opened.
 */
#include <fcntl.h>
#include <time.h>

#include "kcpc_link_impl.h"

/** The receive buffer must hold the biggest whole KCP message a peer can
 *  send: frg is one byte, so 256 fragments of one mss. */
#define KCPC_LINK_RECV_MIN 65536u

struct kcpc_link *
kcpc_link_open(const struct kcpc_config *cfg, uint32_t conv, uint64_t now_us)
{
  if (cfg->tcp) {
    return kcpc_link_tcp_open(cfg, now_us);
  }
  return kcpc_link_kcp_open(cfg, conv, now_us);
}

void
kcpc_link_close(struct kcpc_link *link, struct kcpc_link_counters *acc)
{
  link->ops->close(link, acc);
}

int
kcpc_link_fd(const struct kcpc_link *link)
{
  return link->fd;
}

short
kcpc_link_events(const struct kcpc_link *link)
{
  return link->ops->events(link);
}

void
kcpc_link_service(struct kcpc_link *link, short revents, uint64_t now_us)
{
  link->ops->service(link, revents, now_us);
}

int
kcpc_link_can_send(const struct kcpc_link *link, uint32_t len)
{
  return link->ops->can_send(link, len);
}

int
kcpc_link_send(struct kcpc_link *link, const void *msg, uint32_t len)
{
  return link->ops->send(link, msg, len);
}

size_t
kcpc_link_recv(struct kcpc_link *link, void *buf, size_t cap)
{
  return link->ops->recv(link, buf, cap);
}

int
kcpc_link_is_message(const struct kcpc_link *link)
{
  return link->ops->message;
}

void
kcpc_link_pump(struct kcpc_link *link, uint64_t now_us)
{
  link->ops->pump(link, now_us);
}

uint64_t
kcpc_link_deadline(const struct kcpc_link *link, uint64_t now_us)
{
  return link->ops->deadline(link, now_us);
}

int
kcpc_link_dead(const struct kcpc_link *link)
{
  return link->ops->dead(link);
}

uint64_t
kcpc_link_last_rx(const struct kcpc_link *link)
{
  return link->last_rx_us;
}

size_t
kcpc_link_recv_max(const struct kcpc_config *cfg)
{
  size_t whole = 256u * (size_t)(cfg->mtu - IKCP_OVERHEAD);
  return whole > KCPC_LINK_RECV_MIN ? whole : KCPC_LINK_RECV_MIN;
}

uint64_t
kcpc_link_echo_cap(const struct kcpc_config *cfg)
{
  return 2u * (uint64_t)cfg->wnd * (cfg->mtu - IKCP_OVERHEAD);
}

int
kcpc_link_poll(struct pollfd *pfd, nfds_t n, uint64_t now_us, uint64_t wake_us)
{
  uint64_t wait = wake_us > now_us ? wake_us - now_us : 0;
  struct timespec ts;

  if (wait > 1000000u) {
    wait = 1000000u;
  }
  ts.tv_sec = (time_t)(wait / 1000000u);
  ts.tv_nsec = (long)(wait % 1000000u) * 1000L;
  return ppoll(pfd, n, &ts, NULL);
}

int
kcpc_link_fd_setup(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    return -1;
  }
  return fcntl(fd, F_SETFD, FD_CLOEXEC);
}
