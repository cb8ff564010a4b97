/**
 * @file
 * KCP link: one ikcpcb over one connected UDP socket. Connecting the socket
 * lets the kernel drop datagrams from anyone but the server and gives every
 * session its own local port, which is how the server tells sessions apart.
 *
 * Latency matters more here than the packet count: what the caller queued
 * and the ACKs for what arrived are flushed at once (kcpc_link_pump) instead
 * of waiting for the engine's next interval tick. A group of datagrams read
 * together is acked together, but while a segment is missing each is acked
 * as it is fed in, as the server does: a KCP sender counts later ACKs
 * toward a fast retransmission once per datagram of them.
 *
 * System calls, not the engine, are what a datagram costs here, so they
 * are batched: the datagrams one engine call outputs leave in one
 * sendmmsg(), runs of full-size ones as single UDP GSO messages, and
 * arriving ones are read by recvmmsg() in groups.
 *
 * With --crypt/--key/--ds/--ps every datagram goes through kcp-go's codec
 * (kcp_codec.h): sealed (and FEC-encoded) on its way out, opened (and
 * FEC-decoded) on its way in; one that fails to open is dropped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ikcp.h"
#include "kcp_codec.h"
#include "kcpc_clock.h"
#include "kcpc_link_impl.h"

/** Largest UDP payload: a datagram from the server cannot be bigger. */
#define KCPC_KCP_DGRAM_MAX 65536
/** Segments sent before the server's first answer tells its window: a
    server shared by many sessions may offer each far less than the
    default window every KCP sender assumes at first. */
#define KCPC_KCP_FIRST_WND 1
/** Datagrams read per service call, so one busy session cannot starve the rest. */
#define KCPC_KCP_RX_BURST 256
/** Datagrams read by one recvmmsg(). */
#define KCPC_KCP_RX_BATCH 32
/** Datagrams sent by one sendmmsg(); the engine's are at most mtu (<= 1500) bytes. */
#define KCPC_KCP_TX_BATCH 64
#define KCPC_KCP_TX_SLOT 1500
/** Payload bytes of one GSO message: what one UDP datagram can hold. */
#define KCPC_KCP_GSO_MAX 65000
/** Socket buffers asked for: a whole window of big messages in flight. */
#define KCPC_KCP_SOCKBUF (1 << 21)

struct kcpc_link_kcp {
  struct kcpc_link base;
  ikcpcb *kcp;
  unsigned wnd;
  int need_flush;        /**< something queued or ACKs owed since the last flush */
  int broken;            /**< the engine handed over something we cannot take */
  uint64_t queued;       /**< payload bytes given to ikcp_send */
  uint64_t received;     /**< payload bytes taken from ikcp_recv */
  uint64_t echo_cap;     /**< cap on queued - received */
  uint64_t send_errors;
  struct kcp_codec *codec;      /**< the client's codec (cfg->codec), or NULL */
  struct kcp_codec_link *clink; /**< the codec's state for this session */
  uint64_t rx_now_us;    /**< time of the datagrams being fed */
};

/** Datagram buffers shared by every link: the client has one thread, and
 *  each batch is used up before another link's turn. */
static char kcpc_kcp_rxbuf[KCPC_KCP_RX_BATCH][KCPC_KCP_DGRAM_MAX];
static struct mmsghdr kcpc_kcp_rxmsg[KCPC_KCP_RX_BATCH];
static struct iovec kcpc_kcp_rxiov[KCPC_KCP_RX_BATCH];

/** Datagrams one engine call output, not yet sent (all of one link). */
static char kcpc_kcp_txbuf[KCPC_KCP_TX_BATCH][KCPC_KCP_TX_SLOT];
static struct iovec kcpc_kcp_txiov[KCPC_KCP_TX_BATCH];
static unsigned kcpc_kcp_txlen;
/** The batch as sendmmsg() takes it: a run of same-size datagrams is one
 *  message with a UDP_SEGMENT control message (the kernel cuts it up,
 *  UDP GSO), so each costs far less than a datagram of its own. */
static struct mmsghdr kcpc_kcp_txmsg[KCPC_KCP_TX_BATCH];
static union {
  char buf[CMSG_SPACE(sizeof(uint16_t))];
  struct cmsghdr align;
} kcpc_kcp_txcmsg[KCPC_KCP_TX_BATCH];
/** Cleared when the kernel refuses UDP_SEGMENT: one message per datagram. */
static int kcpc_kcp_gso = 1;

static struct kcpc_link_kcp *
kcpc_kcp(struct kcpc_link *link)
{
  return (struct kcpc_link_kcp *)link;
}

static const struct kcpc_link_kcp *
kcpc_kcp_c(const struct kcpc_link *link)
{
  return (const struct kcpc_link_kcp *)link;
}

/**
 * Group datagrams first.. of the batch into messages: a run of one size,
 * and at most one shorter datagram to end it (GSO's rule), within one UDP
 * datagram's size.
 * @return the number of messages
 */
static unsigned
kcpc_kcp_tx_group(unsigned first)
{
  unsigned i = first, m = 0;

  while (i < kcpc_kcp_txlen) {
    struct msghdr *h = &kcpc_kcp_txmsg[m].msg_hdr;
    size_t seg = kcpc_kcp_txiov[i].iov_len, total = seg;
    unsigned n = 1;

    while (kcpc_kcp_gso && i + n < kcpc_kcp_txlen && kcpc_kcp_txiov[i + n].iov_len <= seg &&
           total + kcpc_kcp_txiov[i + n].iov_len <= KCPC_KCP_GSO_MAX) {
      total += kcpc_kcp_txiov[i + n].iov_len;
      n++;
      if (kcpc_kcp_txiov[i + n - 1].iov_len < seg) {
        break;
      }
    }
    memset(h, 0, sizeof(*h));
    h->msg_iov = &kcpc_kcp_txiov[i];
    h->msg_iovlen = n;
    if (n > 1) {
      struct cmsghdr *c;
      uint16_t size = (uint16_t)seg;

      h->msg_control = kcpc_kcp_txcmsg[m].buf;
      h->msg_controllen = sizeof(kcpc_kcp_txcmsg[m].buf);
      c = CMSG_FIRSTHDR(h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(size));
      memcpy(CMSG_DATA(c), &size, sizeof(size));
    }
    i += n;
    m++;
  }
  return m;
}

/**
 * Send the batched datagrams. One the kernel will not take now is lost like
 * any other, and KCP resends it; only the count is kept. When the kernel
 * refuses a GSO message (no UDP_SEGMENT, or segments longer than the path's
 * MTU), GSO is off from then on and the rest goes one datagram a message.
 */
static void
kcpc_kcp_tx_send(struct kcpc_link_kcp *lk)
{
  unsigned first = 0, msgs = kcpc_kcp_tx_group(0), sent = 0;

  while (sent < msgs) {
    int n = sendmmsg(lk->base.fd, kcpc_kcp_txmsg + sent, msgs - sent, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && kcpc_kcp_txmsg[sent].msg_hdr.msg_iovlen > 1 &&
        (errno == EINVAL || errno == EMSGSIZE || errno == EIO || errno == ENOPROTOOPT)) {
      unsigned k;

      for (k = 0; k < sent; k++) {
        first += (unsigned)kcpc_kcp_txmsg[k].msg_hdr.msg_iovlen;
      }
      kcpc_kcp_gso = 0;
      msgs = kcpc_kcp_tx_group(first);
      sent = 0;
      continue;
    }
    if (n <= 0) {
      for (; sent < msgs; sent++) {
        lk->send_errors += kcpc_kcp_txmsg[sent].msg_hdr.msg_iovlen;
      }
      break;
    }
    sent += (unsigned)n;
  }
  kcpc_kcp_txlen = 0;
}

/** One datagram into the batch (sent when it is full). */
static void
kcpc_kcp_queue(void *arg, const uint8_t *buf, size_t len)
{
  struct kcpc_link_kcp *lk = (struct kcpc_link_kcp *)arg;

  if (len > KCPC_KCP_TX_SLOT) {
    lk->send_errors++;
    return;
  }
  if (kcpc_kcp_txlen == KCPC_KCP_TX_BATCH) {
    kcpc_kcp_tx_send(lk);
  }
  memcpy(kcpc_kcp_txbuf[kcpc_kcp_txlen], buf, (size_t)len);
  kcpc_kcp_txiov[kcpc_kcp_txlen].iov_base = kcpc_kcp_txbuf[kcpc_kcp_txlen];
  kcpc_kcp_txiov[kcpc_kcp_txlen].iov_len = len;
  kcpc_kcp_txlen++;
}

/** Engine output: one datagram, through the codec if there is one. */
static int
kcpc_kcp_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct kcpc_link_kcp *lk = (struct kcpc_link_kcp *)user;
  (void)kcp;

  if (lk->clink == NULL) {
    kcpc_kcp_queue(lk, (const uint8_t *)buf, (size_t)len);
  } else if (kcp_codec_link_send(lk->clink, buf, (size_t)len, kcpc_kcp_queue, lk) != 0) {
    lk->send_errors++;
  }
  return 0;
}

/** One KCP datagram from the server (or the codec) into the engine. */
static void
kcpc_kcp_input(void *arg, const uint8_t *buf, size_t len)
{
  struct kcpc_link_kcp *lk = (struct kcpc_link_kcp *)arg;

  if (ikcp_input(lk->kcp, (const char *)buf, (long)len) >= 0) {
    lk->base.last_rx_us = lk->rx_now_us;
    lk->need_flush = 1;
    /* Past a hole, each datagram is acked at once, not with the group. */
    if (lk->kcp->nrcv_buf > 0) {
      ikcp_flush(lk->kcp);
    }
  }
}

static void
kcpc_kcp_close(struct kcpc_link *link, struct kcpc_link_counters *acc)
{
  struct kcpc_link_kcp *lk = kcpc_kcp(link);

  if (acc != NULL) {
    IKCPSTATS st;
    ikcp_getstats(lk->kcp, &st);
    acc->retrans_timeout += st.retrans_timeout;
    acc->retrans_fast += st.retrans_fast;
    acc->data_segs += st.data_segs_out;
    acc->send_errors += lk->send_errors;
  }
  ikcp_release(lk->kcp);
  kcp_codec_link_free(lk->clink);
  close(lk->base.fd);
  free(lk);
}

static short
kcpc_kcp_events(const struct kcpc_link *link)
{
  (void)link;
  return POLLIN;
}

static void
kcpc_kcp_service(struct kcpc_link *link, short revents, uint64_t now_us)
{
  struct kcpc_link_kcp *lk = kcpc_kcp(link);
  int budget = KCPC_KCP_RX_BURST, i;

  if (revents & (POLLIN | POLLERR)) {
    while (budget > 0) {
      int want = budget < KCPC_KCP_RX_BATCH ? budget : KCPC_KCP_RX_BATCH;
      int n;
      for (i = 0; i < want; i++) {
        kcpc_kcp_rxiov[i].iov_base = kcpc_kcp_rxbuf[i];
        kcpc_kcp_rxiov[i].iov_len = sizeof(kcpc_kcp_rxbuf[i]);
        memset(&kcpc_kcp_rxmsg[i].msg_hdr, 0, sizeof(kcpc_kcp_rxmsg[i].msg_hdr));
        kcpc_kcp_rxmsg[i].msg_hdr.msg_iov = &kcpc_kcp_rxiov[i];
        kcpc_kcp_rxmsg[i].msg_hdr.msg_iovlen = 1;
      }
      n = recvmmsg(link->fd, kcpc_kcp_rxmsg, (unsigned)want, 0, NULL);
      if (n < 0) {
        /* ECONNREFUSED is the server port being closed (ICMP): only the
         * --timeout decides that a session is dead, so keep reading. */
        if (errno == ECONNREFUSED || errno == EINTR) {
          budget--;
          continue;
        }
        break;
      }
      lk->rx_now_us = now_us;
      for (i = 0; i < n; i++) {
        uint8_t *d = (uint8_t *)kcpc_kcp_rxbuf[i];
        size_t len = kcpc_kcp_rxmsg[i].msg_len;
        int open;

        if (lk->clink == NULL) {
          kcpc_kcp_input(lk, d, len);
        } else if ((open = kcp_codec_open(lk->codec, d, len)) >= 0) {
          kcp_codec_link_input(lk->clink, d + KCP_CODEC_HEADER_LEN, (size_t)open,
                               kcpc_ms(now_us), kcpc_kcp_input, lk);
        }
      }
      budget -= n;
      if (n < want) {
        break;
      }
    }
  }
  ikcp_update(lk->kcp, kcpc_ms(now_us));
  kcpc_kcp_tx_send(lk);
}

static int
kcpc_kcp_can_send(const struct kcpc_link *link, uint32_t len)
{
  const struct kcpc_link_kcp *lk = kcpc_kcp_c(link);
  uint32_t mss = lk->kcp->mss;
  uint64_t frags = len == 0 ? 1 : ((uint64_t)len + mss - 1) / mss;
  uint64_t waiting = (uint64_t)ikcp_waitsnd(lk->kcp);
  uint64_t unechoed = lk->queued - lk->received;

  uint64_t wnd = lk->wnd;

  /* Two windows queued keep the pipe full; more would only grow memory.
   * The window is the one the server grants (it shares itself among its
   * sessions), so that messages do not wait in our own queue, where they
   * would count as RTT. Capping the unechoed bytes as well keeps the
   * echoes from queueing up at the server. */
  if (lk->kcp->rmt_wnd < wnd) {
    wnd = lk->kcp->rmt_wnd > 0 ? lk->kcp->rmt_wnd : 1;
  }
  if (unechoed > 0 && unechoed + len > lk->echo_cap) {
    return 0;
  }
  return waiting == 0 || waiting + frags <= 2u * wnd;
}

static int
kcpc_kcp_send(struct kcpc_link *link, const void *msg, uint32_t len)
{
  struct kcpc_link_kcp *lk = kcpc_kcp(link);

  if (ikcp_send(lk->kcp, (const char *)msg, (int)len) < 0) {
    return -1;
  }
  lk->queued += len;
  lk->need_flush = 1;
  return 0;
}

static size_t
kcpc_kcp_recv(struct kcpc_link *link, void *buf, size_t cap)
{
  struct kcpc_link_kcp *lk = kcpc_kcp(link);
  int size = ikcp_peeksize(lk->kcp);
  int n;

  if (size < 0) {
    return 0;
  }
  if ((size_t)size > cap) {
    lk->broken = 1;
    return 0;
  }
  n = ikcp_recv(lk->kcp, (char *)buf, (int)cap);
  if (n <= 0) {
    return 0;
  }
  lk->received += (uint64_t)n;
  return (size_t)n;
}

static void
kcpc_kcp_pump(struct kcpc_link *link, uint64_t now_us)
{
  struct kcpc_link_kcp *lk = kcpc_kcp(link);

  (void)now_us;
  if (lk->need_flush) {
    lk->need_flush = 0;
    ikcp_flush(lk->kcp);
    kcpc_kcp_tx_send(lk);
  }
}

static uint64_t
kcpc_kcp_deadline(const struct kcpc_link *link, uint64_t now_us)
{
  const struct kcpc_link_kcp *lk = kcpc_kcp_c(link);
  uint32_t now_ms = kcpc_ms(now_us);
  int32_t wait = (int32_t)(ikcp_check(lk->kcp, now_ms) - now_ms);

  /* The engine's clock has millisecond steps: "now" means the next step. */
  if (wait <= 0) {
    return (now_us / 1000u + 1u) * 1000u;
  }
  return (now_us / 1000u + (uint64_t)wait) * 1000u;
}

static int
kcpc_kcp_dead(const struct kcpc_link *link)
{
  const struct kcpc_link_kcp *lk = kcpc_kcp_c(link);
  return lk->broken || ikcp_is_dead(lk->kcp);
}

static const struct kcpc_link_ops kcpc_kcp_ops = {
  kcpc_kcp_close, kcpc_kcp_events, kcpc_kcp_service, kcpc_kcp_can_send,
  kcpc_kcp_send, kcpc_kcp_recv, kcpc_kcp_pump, kcpc_kcp_deadline, kcpc_kcp_dead,
  1
};

static const struct kcpc_link_ops kcpc_kcp_stream_ops = {
  kcpc_kcp_close, kcpc_kcp_events, kcpc_kcp_service, kcpc_kcp_can_send,
  kcpc_kcp_send, kcpc_kcp_recv, kcpc_kcp_pump, kcpc_kcp_deadline, kcpc_kcp_dead,
  0
};

struct kcpc_link *
kcpc_link_kcp_open(const struct kcpc_config *cfg, uint32_t conv, uint64_t now_us)
{
  struct kcpc_link_kcp *lk;
  int bufsize = KCPC_KCP_SOCKBUF;
  int fd = socket(cfg->addr.ss_family, SOCK_DGRAM, 0);

  if (fd < 0) {
    fprintf(stderr, "kcp_client: socket: %s\n", strerror(errno));
    return NULL;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
  if (kcpc_link_fd_setup(fd) < 0 ||
      connect(fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0) {
    fprintf(stderr, "kcp_client: %s: %s\n", cfg->peer, strerror(errno));
    close(fd);
    return NULL;
  }
  lk = calloc(1, sizeof(*lk));
  if (lk == NULL) {
    fprintf(stderr, "kcp_client: out of memory\n");
    close(fd);
    return NULL;
  }
  lk->kcp = ikcp_create(conv, lk);
  if (lk->kcp == NULL) {
    fprintf(stderr, "kcp_client: out of memory\n");
    free(lk);
    close(fd);
    return NULL;
  }
  lk->base.ops = cfg->stream ? &kcpc_kcp_stream_ops : &kcpc_kcp_ops;
  lk->base.fd = fd;
  lk->base.last_rx_us = now_us;
  lk->wnd = cfg->wnd;
  lk->echo_cap = kcpc_link_echo_cap(cfg);
  lk->codec = cfg->codec;
  if (cfg->codec != NULL && (lk->clink = kcp_codec_link_new(cfg->codec)) == NULL) {
    fprintf(stderr, "kcp_client: out of memory\n");
    ikcp_release(lk->kcp);
    free(lk);
    close(fd);
    return NULL;
  }
  ikcp_setoutput(lk->kcp, kcpc_kcp_output);
  if (ikcp_wndsize(lk->kcp, (int)cfg->wnd, (int)cfg->wnd) < 0 ||
      ikcp_setmtu(lk->kcp, (int)cfg->mtu) < 0 || ikcp_profile(lk->kcp, cfg->profile) < 0 ||
      ikcp_setcc(lk->kcp, ikcp_cc_find(cfg->cc)) < 0) {
    fprintf(stderr, "kcp_client: cannot set up KCP (wnd %u, mtu %u, profile %s, cc %s)\n",
            cfg->wnd, cfg->mtu, cfg->profile, cfg->cc);
    ikcp_release(lk->kcp);
    kcp_codec_link_free(lk->clink);
    free(lk);
    close(fd);
    return NULL;
  }
  lk->kcp->stream = cfg->stream;
  if (lk->kcp->rmt_wnd > KCPC_KCP_FIRST_WND) {
    lk->kcp->rmt_wnd = KCPC_KCP_FIRST_WND;
  }
  /* The first update starts the engine's clock, so that flush works. */
  ikcp_update(lk->kcp, kcpc_ms(now_us));
  kcpc_kcp_tx_send(lk);
  return &lk->base;
}
