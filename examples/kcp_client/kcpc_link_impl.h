/**
 * @file
 * What the two link kinds (KCP, TCP) provide to kcpc_link.c, which turns
 * the public kcpc_link_* calls into calls through this table. Only the link
 * files include this header.
 */
#ifndef KCPC_LINK_IMPL_H
#define KCPC_LINK_IMPL_H

#include "kcpc_link.h"

/** The operations one link kind implements. */
struct kcpc_link_ops {
  void (*close)(struct kcpc_link *link, struct kcpc_link_counters *acc);
  short (*events)(const struct kcpc_link *link);
  void (*service)(struct kcpc_link *link, short revents, uint64_t now_us);
  int (*can_send)(const struct kcpc_link *link, uint32_t len);
  int (*send)(struct kcpc_link *link, const void *msg, uint32_t len);
  size_t (*recv)(struct kcpc_link *link, void *buf, size_t cap);
  void (*pump)(struct kcpc_link *link, uint64_t now_us);
  uint64_t (*deadline)(const struct kcpc_link *link, uint64_t now_us);
  int (*dead)(const struct kcpc_link *link);
  int message; /**< keeps message boundaries */
};

/** The part every link starts with. */
struct kcpc_link {
  const struct kcpc_link_ops *ops;
  int fd;
  uint64_t last_rx_us; /**< last time the server was heard from */
};

struct kcpc_link *kcpc_link_kcp_open(const struct kcpc_config *cfg, uint32_t conv, uint64_t now_us);
struct kcpc_link *kcpc_link_tcp_open(const struct kcpc_config *cfg, uint64_t now_us);

/** Make fd non-blocking and close-on-exec; 0 or -1 with errno. */
int kcpc_link_fd_setup(int fd);

#endif /* KCPC_LINK_IMPL_H */
