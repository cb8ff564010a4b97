/**
 * @file
 * Ethernet netif on a Linux tap device (see tapif.h for the threading and
 * for why every pbuf here is PBUF_RAM).
 */
#include "tapif.h"

#include "ipsrc.h"
#include "tcpgso.h"

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/ip4_addr.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

/** Read buffer: larger than TAPIF_FRAME_MAX so an oversize frame shows up
 *  as too long instead of being silently cut to a plausible length; the
 *  same as a batched read's slot, so both paths take the same frames. */
#define TAPIF_READ_BUF RXBATCH_SLOT_SIZE
_Static_assert(TAPIF_READ_BUF > TCPGSO_HDR_LEN + TAPIF_FRAME_MAX, "a read holds the header and an oversize frame");

/** Most frames the reader takes from the tap (non-blocking) between two
 *  poll()s; the core thread is kicked once for all of them. */
#define TAPIF_READ_BURST 64


/** Most sent frames that go to the tap in one system call: larger batches
 *  save little more, and reach the peer as one burst that it ACKs with one
 *  datagram, which costs our KCP sender fast-retransmit hints (tapif.h). */
#define TAPIF_TX_BURST 4

/** Pause of the reader (ms) before it retries telling the core thread
 *  about queued frames, after tcpip_thread's mailbox was full. */
#define TAPIF_KICK_RETRY_MS 1

/** Most pbufs of a chain written with one writev(); longer chains (never
 *  seen from lwIP's own output) are flattened first. */
#define TAPIF_TX_IOV 8

/** Locally administered prefix of our MAC; the low three bytes come from
 *  the IPv4 address, so two instances on one bridge do not collide. */
#define TAPIF_MAC0 0x02
#define TAPIF_MAC1 0x6c
#define TAPIF_MAC2 0x77

static void
tapif_trace(const struct tapif *tap, const char *dir, const u8_t *frame, u16_t len)
{
  unsigned type = len >= SIZEOF_ETH_HDR ? ((unsigned)frame[12] << 8) | frame[13] : 0;

  printf("tap %s %s %u bytes type 0x%04x\n", tap->name, dir, (unsigned)len, type);
  fflush(stdout);
}

/** Close whichever of the tap's descriptors are open. */
static void
tapif_close_fds(struct tapif *tap)
{
  int *fds[3];
  size_t i;

  fds[0] = &tap->fd;
  fds[1] = &tap->stop_fd;
  fds[2] = &tap->fail_fd;
  for (i = 0; i < LWIP_ARRAYSIZE(fds); i++) {
    if (*fds[i] >= 0) {
      close(*fds[i]);
      *fds[i] = -1;
    }
  }
}

/**
 * Attach to an existing tap. Opening /dev/net/tun with TUNSETIFF would
 * silently create a missing device as root, and a fresh unconfigured tap
 * is never what the user wants, so a missing name is an error.
 * @return 0, or an errno value: ENODEV (no such device), EACCES/EPERM (not
 *         ours), EBUSY (attached elsewhere), EINVAL (not a tap), ...
 */
int
tapif_open(struct tapif *tap, const struct tapif_config *cfg)
{
  struct ifreq ifr;
  int err;

  memset(tap, 0, sizeof(*tap));
  tap->fd = -1;
  tap->stop_fd = -1;
  tap->fail_fd = -1;
  if (cfg->name == NULL || cfg->name[0] == '\0' || strlen(cfg->name) >= sizeof(tap->name)) {
    return EINVAL;
  }
  strcpy(tap->name, cfg->name);
  corecall_init(&tap->here);
  tap->emu_cfg = cfg->emu;
  tap->trace = cfg->trace;
  if (if_nametoindex(tap->name) == 0) {
    return ENODEV;
  }
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  memcpy(ifr.ifr_name, tap->name, strlen(tap->name));
  if ((tap->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0 ||
      ioctl(tap->fd, TUNSETIFF, &ifr) < 0 ||
      (tap->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0 ||
      (tap->fail_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
    err = errno;
    tapif_close_fds(tap);
    return err;
  }
  return 0;
}

/**
 * Record every frame crossing the tap in pcap (NULL: stop recording); the
 * caller keeps ownership. Set it before tapif_start(), or from the core
 * thread.
 */
void
tapif_set_pcap(struct tapif *tap, struct pcapdump *pcap)
{
  tap->pcap = pcap;
}

/** A surviving received frame enters lwIP. */
static void
tapif_deliver_in(struct pbuf *p, void *arg)
{
  struct tapif *tap = (struct tapif *)arg;

  if (ethernet_input(p, tap->netif) != ERR_OK) {
    pbuf_free(p);
  }
}

/** Write the batch of sent frames now, and count what became of them. */
static void
tapif_tx_submit(struct tapif *tap)
{
  struct txbatch_result res = { 0, 0, 0, 0 };

  if (txbatch_queued(&tap->tx) == 0) {
    return;
  }
  txbatch_submit(&tap->tx, &res);
  tap->tx_frames += res.frames;
  tap->tx_bytes += res.bytes;
  tap->tx_errors += res.errors;
  tap->tx_merged += res.merged;
}

/** The message the first frame of a batch in tcpip_thread posted: the
 *  core thread is done with what it was doing, so the batch goes. After
 *  tapif_shutdown() it only frees itself. */
static void
tapif_tx_flush(void *arg)
{
  struct tapif *tap = (struct tapif *)arg;

  LWIP_ASSERT_CORE_LOCKED();
  tap->tx_scheduled = 0;
  if (tap->closed) {
    tcpip_callbackmsg_delete(tap->tx_msg);
    tap->tx_msg = NULL;
    return;
  }
  tapif_tx_submit(tap);
}

/** Queue the frame in the batch, submitting a full one first, and submit
 *  once TAPIF_TX_BURST frames wait; the rest goes when the reader is done
 *  (tapif_input_here()) or, in tcpip_thread, once its current message is
 *  (at once if its mailbox is full).
 *  @return the frame's flat bytes for the capture, or NULL: not queued */
static const u8_t *
tapif_tx_queue(struct tapif *tap, const struct pbuf *p)
{
  const u8_t *frame = txbatch_put(&tap->tx, p);

  if (frame == NULL && txbatch_queued(&tap->tx) > 0) {
    tapif_tx_submit(tap);
    frame = txbatch_put(&tap->tx, p);
  }
  if (txbatch_queued(&tap->tx) >= TAPIF_TX_BURST) {
    tapif_tx_submit(tap);
  } else if (frame != NULL && !tap->tx_here && !tap->tx_scheduled) {
    if (tcpip_callbackmsg_trycallback(tap->tx_msg) == ERR_OK) {
      tap->tx_scheduled = 1;
    } else {
      tapif_tx_submit(tap);
    }
  }
  return frame;
}

/** A surviving sent frame goes on the wire, and into the capture: into the
 *  batch, or where that is not set up (or failed), with one writev() of its
 *  own. p may be a chain (lwIP's own pbufs, on a transparent link): the
 *  batch copies it flat; writev() takes it as it is, and it is flattened
 *  first only for the capture or the trace. */
static void
tapif_deliver_out(struct pbuf *p, void *arg)
{
  struct tapif *tap = (struct tapif *)arg;
  struct iovec iov[1 + TAPIF_TX_IOV];
  u8_t hdr[TCPGSO_HDR_LEN];
  const struct pbuf *q;
  const u8_t *frame;
  int n = 1;

  if (txbatch_ready(&tap->tx)) {
    frame = tapif_tx_queue(tap, p);
    if (frame == NULL) {
      tap->tx_errors++;
    } else {
      if (tap->pcap != NULL) {
        pcapdump_frame(tap->pcap, frame, p->tot_len);
      }
      if (tap->trace) {
        tapif_trace(tap, "out", frame, p->tot_len);
      }
    }
    pbuf_free(p);
    return;
  }
  if (p->next != NULL && (tap->pcap != NULL || tap->trace || pbuf_clen(p) > TAPIF_TX_IOV)) {
    struct pbuf *flat = pbuf_clone(PBUF_RAW, PBUF_RAM, p);

    pbuf_free(p);
    if (flat == NULL) {
      tap->tx_errors++;
      return;
    }
    p = flat;
  }
  if (tap->pcap != NULL) {
    pcapdump_frame(tap->pcap, p->payload, p->len);
  }
  if (tap->trace) {
    tapif_trace(tap, "out", (const u8_t *)p->payload, p->len);
  }
  tcpgso_hdr_plain(hdr);
  iov[0].iov_base = hdr;
  iov[0].iov_len = sizeof(hdr);
  for (q = p; q != NULL; q = q->next) {
    iov[n].iov_base = q->payload;
    iov[n].iov_len = q->len;
    n++;
  }
  if (writev(tap->fd, iov, n) == (ssize_t)(sizeof(hdr) + p->tot_len)) {
    tap->tx_frames++;
    tap->tx_bytes += p->tot_len;
  } else {
    tap->tx_errors++;
  }
  pbuf_free(p);
}

/**
 * Core-thread half of reception: rxring_drain() hands over each frame the
 * reader queued. Takes ownership of p.
 */
static void
tapif_wire_input(struct pbuf *p, void *arg)
{
  struct tapif *tap = (struct tapif *)arg;

  LWIP_ASSERT_CORE_LOCKED();
  if (tap->closed) {
    pbuf_free(p);
    return;
  }
  tap->rx_frames++;
  tap->rx_bytes += p->len;
  if (tap->pcap != NULL) {
    pcapdump_frame(tap->pcap, p->payload, p->len);
  }
  if (tap->trace) {
    tapif_trace(tap, "in", (const u8_t *)p->payload, p->len);
  }
  if (ipsrc_frame_is_bogus((const u8_t *)p->payload, p->len, tap->netif->hwaddr)) {
    tap->rx_bogus++;
    pbuf_free(p);
    return;
  }
  if (!synguard_input(&tap->syn, (const u8_t *)p->payload, p->len) ||
      !ip6guard_input(&tap->ip6, (const u8_t *)p->payload, p->len)) {
    pbuf_free(p);
    return;
  }
  linkemu_submit(&tap->emu, LINKEMU_IN, p);
}

/**
 * netif->linkoutput. On a transparent link the frame is written before this
 * returns, from lwIP's pbufs (a reference, no copy). Otherwise it may wait
 * in the link emulation, so it is copied into one PBUF_RAM pbuf: TCP keeps
 * and rewrites its segments for retransmission, and a UDP payload may be
 * the caller's (PBUF_REF), so a delayed frame must not share them.
 */
static err_t
tapif_linkoutput(struct netif *netif, struct pbuf *p)
{
  struct tapif *tap = (struct tapif *)netif->state;
  struct pbuf *q;

  LWIP_ASSERT_CORE_LOCKED();
  if (tap->closed) {
    return ERR_IF;
  }
  if (linkemu_is_transparent(&tap->emu_cfg)) {
    pbuf_ref(p);
    q = p;
  } else {
    q = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
    if (q == NULL) {
      tap->tx_errors++;
      return ERR_MEM;
    }
  }
  linkemu_submit(&tap->emu, LINKEMU_OUT, q);
  return ERR_OK;
}

/**
 * netif init function for netif_add(); netif->state must be a struct tapif
 * that tapif_open() succeeded on. Runs in the core thread.
 * @return ERR_OK, or ERR_MEM (no memory for the emulation's queue or the
 *         receive ring's message)
 */
err_t
tapif_netif_init(struct netif *netif)
{
  struct tapif *tap = (struct tapif *)netif->state;
  const ip4_addr_t *ip = netif_ip4_addr(netif);
  err_t err;

  LWIP_ASSERT("tapif_netif_init: no tap", tap != NULL && tap->fd >= 0);
  err = linkemu_init(&tap->emu, &tap->emu_cfg, tapif_deliver_in, tapif_deliver_out, tap);
  if (err != ERR_OK) {
    return err;
  }
  err = rxring_init(&tap->rx, tapif_wire_input, tap);
  if (err != ERR_OK) {
    linkemu_deinit(&tap->emu);
    return err;
  }
  /* Without io_uring (or its message) every frame is written on its own. */
  tap->tx_msg = tcpip_callbackmsg_new(tapif_tx_flush, tap);
  if (tap->tx_msg == NULL || txbatch_init(&tap->tx, tap->fd, TCPGSO_HDR_LEN, tcpgso_merge) != 0) {
    txbatch_deinit(&tap->tx);
  }
  synguard_init(&tap->syn, tapif_deliver_in, tap);
  ip6guard_start(&tap->ip6, netif);
  tap->netif = netif;
  netif->name[0] = 't';
  netif->name[1] = 'p';
  netif->output = etharp_output;
  netif->output_ip6 = ethip6_output;
  netif->linkoutput = tapif_linkoutput;
  netif->mtu = 1500;
  netif->hwaddr_len = ETH_HWADDR_LEN;
  netif->hwaddr[0] = TAPIF_MAC0;
  netif->hwaddr[1] = TAPIF_MAC1;
  netif->hwaddr[2] = TAPIF_MAC2;
  netif->hwaddr[3] = ip4_addr2(ip);
  netif->hwaddr[4] = ip4_addr3(ip);
  netif->hwaddr[5] = ip4_addr4(ip);
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
  return ERR_OK;
}

static void
tapif_count(u32_t *counter)
{
  __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/** The tap is gone (deleted, or the fd broke): record why and report it
 *  on fail_fd; what to do about it is the application's choice. */
static void
tapif_fail(struct tapif *tap, int err)
{
  u64_t one = 1;

  __atomic_store_n(&tap->error, err != 0 ? err : EIO, __ATOMIC_RELEASE);
  if (write(tap->fail_fd, &one, sizeof(one)) < 0) {
    perror("tapif: reporting the lost tap");
  }
}

/** One frame the reader took from the tap, behind its virtio-net header
 *  (IFF_VNET_HDR, for the offload of tcpgso.h). The header says nothing
 *  here: the tap is never told that we take offloaded frames
 *  (TUNSETOFFLOAD), so the host checksums and segments what it sends us.
 *  The frame goes into a PBUF_RAM pbuf of its size, and into the receive
 *  ring, waiting for room while it is full.
 *  @return 0, or -1 when the reader must stop (told to, or it failed) */
static int
tapif_take(struct tapif *tap, const u8_t *frame, u32_t len)
{
  struct pbuf *p;

  if (len < TCPGSO_HDR_LEN + SIZEOF_ETH_HDR || len > TCPGSO_HDR_LEN + TAPIF_FRAME_MAX) {
    tapif_count(&tap->rx_oversize);
    return 0;
  }
  frame += TCPGSO_HDR_LEN;
  len -= TCPGSO_HDR_LEN;
  p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
  if (p == NULL) {
    tapif_count(&tap->rx_dropped);
    return 0;
  }
  pbuf_take(p, frame, (u16_t)len);
  while (rxring_put(&tap->rx, p) != ERR_OK) {
    int err = rxring_wait_room(&tap->rx, tap->stop_fd);

    if (err != 0) {
      pbuf_free(p);
      if (err != ECANCELED) {
        tapif_fail(tap, err);
      }
      return -1;
    }
  }
  return 0;
}

/** What rxbatch_read() hands each frame to: the tap, and whether the
 *  reader must stop. */
struct tapif_take_ctx {
  struct tapif *tap;
  int stop;
};

static void
tapif_take_batched(void *arg, const u8_t *frame, u32_t len)
{
  struct tapif_take_ctx *ctx = (struct tapif_take_ctx *)arg;

  if (!ctx->stop && tapif_take(ctx->tap, frame, len) != 0) {
    ctx->stop = 1;
  }
}

/** Every frame already queued in the tap, at most TAPIF_READ_BURST: in
 *  batches of reads (rxbatch.h), or where those are not set up with a
 *  read() each.
 *  @return 0, or -1 when the reader must stop */
static int
tapif_read_burst(struct tapif *tap, struct rxbatch *rb, int batched)
{
  u8_t frame_buf[TAPIF_READ_BUF];
  int burst = 0;

  while (burst < TAPIF_READ_BURST) {
    ssize_t n;

    if (batched) {
      struct tapif_take_ctx ctx = { tap, 0 };
      u32_t want = rxbatch_next(rb);
      int got = rxbatch_read(rb, tapif_take_batched, &ctx);

      if (got < 0) {
        tapif_fail(tap, -got);
        return -1;
      }
      if (ctx.stop) {
        return -1;
      }
      if ((u32_t)got < want) {
        break;
      }
      burst += got;
      continue;
    }
    n = read(tap->fd, frame_buf, sizeof(frame_buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        break;
      }
      tapif_fail(tap, errno);
      return -1;
    }
    if (tapif_take(tap, frame_buf, (u32_t)n) != 0) {
      return -1;
    }
    burst++;
  }
  return 0;
}

/** Reader thread, under the core lock: the frames it just queued enter
 *  lwIP here rather than through a message to tcpip_thread; what they and
 *  the timers due after them make lwIP send is batched... */
static void
tapif_input_here(void *arg)
{
  struct tapif *tap = (struct tapif *)arg;

  tap->tx_here = 1;
  rxring_drain_here(&tap->rx);
}

/** ...and its last batch goes here, without a message either. */
static void
tapif_input_done(void *arg)
{
  struct tapif *tap = (struct tapif *)arg;

  tap->tx_here = 0;
  tapif_tx_submit(tap);
}

/** Reader thread. It allocates a PBUF_RAM pbuf (thread-safe with
 *  MEM_LIBC_MALLOC) and puts it in the receive ring; when the ring is full
 *  it waits for room, and frames back up in the kernel's tap queue. A short
 *  burst with no drain pending it delivers itself, under the core lock. */
static void *
tapif_reader(void *arg)
{
  struct tapif *tap = (struct tapif *)arg;
  struct pollfd fds[2];
  struct rxbatch rb;
  int batched = rxbatch_init(&rb, tap->fd) == 0;

  fds[0].fd = tap->fd;
  fds[0].events = POLLIN;
  fds[1].fd = tap->stop_fd;
  fds[1].events = POLLIN;
  for (;;) {
    int timeout = rxring_kick(&tap->rx) == ERR_OK ? -1 : TAPIF_KICK_RETRY_MS;

    if (poll(fds, 2, timeout) < 0) {
      if (errno == EINTR) {
        continue;
      }
      tapif_fail(tap, errno);
      break;
    }
    if (fds[1].revents != 0) {
      break;
    }
    if (fds[0].revents == 0) {
      continue;
    }
    if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      tapif_fail(tap, EIO);
      break;
    }
    /* every frame already queued (at most a burst), then lwIP here, unless
       a drain is on its way to tcpip_thread (then they go with it) */
    if (tapif_read_burst(tap, &rb, batched) != 0) {
      break;
    }
    if (rxring_unscheduled(&tap->rx) > 0) {
      corecall_run(&tap->here, tapif_input_here, tapif_input_done, tap);
    }
  }
  if (batched) {
    rxbatch_deinit(&rb);
  }
  return NULL;
}

/** Why the reader stopped on its own (it then made tapif_fail_fd()
 *  readable), or 0. */
int
tapif_error(const struct tapif *tap)
{
  return __atomic_load_n(&tap->error, __ATOMIC_ACQUIRE);
}

/**
 * An eventfd that becomes readable when the reader stops on its own (the
 * tap went away; tapif_error() says why): poll it beside the application's
 * other events and decide there, e.g. stop so a supervisor starts afresh.
 */
int
tapif_fail_fd(const struct tapif *tap)
{
  return tap->fail_fd;
}

/** Start receiving; call once the netif is added and up. @return 0 or errno */
int
tapif_start(struct tapif *tap)
{
  int err = pthread_create(&tap->reader, NULL, tapif_reader, tap);

  if (err == 0) {
    tap->reader_started = 1;
  }
  return err;
}

/** Stop and join the reader thread; the caller must not hold the core
 *  lock, which the reader takes to deliver short bursts. A reader waiting
 *  for room in the ring gives up when told to stop. */
void
tapif_stop(struct tapif *tap)
{
  u64_t one = 1;

  if (!tap->reader_started) {
    return;
  }
  if (write(tap->stop_fd, &one, sizeof(one)) == (ssize_t)sizeof(one)) {
    pthread_join(tap->reader, NULL);
  } else {
    pthread_cancel(tap->reader);
    pthread_join(tap->reader, NULL);
  }
  tap->reader_started = 0;
}

/**
 * Detach, after tapif_stop(); call in the core thread. Frames still in
 * the receive ring are freed, the netif goes down and frames waiting in the
 * link emulation are dropped. The tapif must outlive a drain message still
 * in tcpip_thread's mailbox (minimal's is static).
 */
void
tapif_shutdown(struct tapif *tap)
{
  LWIP_ASSERT_CORE_LOCKED();
  tap->closed = 1;
  if (tap->netif != NULL) {
    ip6guard_stop(&tap->ip6);
    netif_set_link_down(tap->netif);
    netif_set_down(tap->netif);
    rxring_close(&tap->rx);
    linkemu_deinit(&tap->emu);
    tapif_tx_submit(tap);
    txbatch_deinit(&tap->tx);
    if (tap->tx_msg != NULL && !tap->tx_scheduled) {
      tcpip_callbackmsg_delete(tap->tx_msg);
      tap->tx_msg = NULL;
    }
  }
  tapif_close_fds(tap);
}

/** The link emulation's counters of one direction, as group "link TAP DIR". */
static void
tapif_emu_counters(const struct tapif *tap, const char *dir, const struct linkemu_stats *st,
                   struct counters *c)
{
  counters_group(c, "link %s %s", tap->name, dir);
  counters_add(c, "frames", st->frames);
  counters_add(c, "lost", st->lost);
  counters_add(c, "dup", st->duplicated);
  counters_add(c, "delayed", st->delayed);
  counters_add(c, "reordered", st->reordered);
  counters_add(c, "queue_full", st->queue_full);
}

/**
 * Add the frame counters (group "tap NAME") and the link emulation's
 * ("link NAME in", "link NAME out") to c; call in the core thread.
 */
void
tapif_counters(struct tapif *tap, struct counters *c)
{
  LWIP_ASSERT_CORE_LOCKED();
  counters_group(c, "tap %s", tap->name);
  counters_add(c, "in", tap->rx_frames);
  counters_add(c, "bytes_in", tap->rx_bytes);
  counters_add(c, "dropped", __atomic_load_n(&tap->rx_dropped, __ATOMIC_RELAXED));
  counters_add(c, "oversize", __atomic_load_n(&tap->rx_oversize, __ATOMIC_RELAXED));
  counters_add(c, "ring_full", rxring_full_waits(&tap->rx));
  counters_add(c, "in_here", tap->here.runs);
  counters_add(c, "timers_here", tap->here.timers);
  counters_add(c, "core_wakes", tap->here.wakes);
  counters_add(c, "bogus_src", tap->rx_bogus);
  counters_add(c, "out", tap->tx_frames);
  counters_add(c, "bytes_out", tap->tx_bytes);
  counters_add(c, "send_err", tap->tx_errors);
  counters_add(c, "gso_merged", tap->tx_merged);
  synguard_counters(&tap->syn, c);
  ip6guard_counters(&tap->ip6, c);
  tapif_emu_counters(tap, "in", &tap->emu.stats[LINKEMU_IN], c);
  tapif_emu_counters(tap, "out", &tap->emu.stats[LINKEMU_OUT], c);
}
