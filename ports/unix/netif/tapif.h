/**
 * @file
 * Ethernet netif on a Linux tap device, for lwIP built NO_SYS=0.
 *
 * Every received frame goes into a PBUF_RAM pbuf of its exact size, never
 * PBUF_POOL: Debian's liblwip 2.1.3 carves PBUF_POOL pbufs out of 616-byte
 * blocks while pbuf_alloc() believes they hold 1536 bytes, so a full-size
 * frame in a pool pbuf overruns the heap (the bundled tapif does exactly
 * that). The names differ from the bundled driver's tapif_init/tapif_poll,
 * which liblwip.so exports.
 *
 * Threads: one reader thread blocks on the tap, reads what it holds in
 * batches (rxbatch.h: one system call for many frames) and hands the
 * frames to the core thread through a receive ring (rxring.h: one message
 * per burst instead of one per frame). A burst that finds no drain pending
 * the reader delivers itself under the core lock (corecall.h), which spares
 * tcpip_thread a wake-up per burst (at a paced rate often one frame), and
 * at high rates the hand-off of every frame from one core to the other:
 * one thread reading and processing (with batched reads and writes) carries
 * more than the two side by side did, at half the CPU per byte. Frames
 * read while a drain is pending go to tcpip_thread with it. Everything else runs in the core thread or under the core
 * lock: counting, the pcap record, link emulation, ethernet_input() and
 * linkoutput. In the capture, a received frame is recorded before
 * emulation and a sent frame after it, i.e. each frame as it was on the
 * wire (a frame lwIP sent that the emulation dropped is not in the file;
 * one it duplicated is there twice).
 *
 * Sending: sent frames go out in batches (txbatch.h: one system call
 * each) of at most TAPIF_TX_BURST frames; the last of a batch goes when the
 * reader is done delivering its burst or, in tcpip_thread, by a message
 * behind the current one (a drain, a timer such as a KCP flush). The cap
 * matters: a batch reaches the peer in one go, a peer that reads all it
 * has before it answers (kcp_client, kcp-go) ACKs it with one datagram,
 * and our KCP sender counts one fast-retransmit hint per ACK datagram, so
 * a lost segment waits a round longer. One bulk KCP echo session at 2 %
 * loss fell from 250-390 Mbit/s (no batching) to 115-160 with batches of
 * up to 64 frames; with batches of 8 it carried 350-380 against 440-460
 * with none, with batches of 4 520-530 (back to back, same CPU per GB on
 * the paced kcptun run as with 8). Consecutive TCP segments of one flow
 * in a batch go as one GSO frame (tcpgso.h, the tap opened with
 * IFF_VNET_HDR), so the host's stack takes them in one pass: on the paced
 * kcptun run, 43 % of lwIP's segments went inside another, and in eleven
 * alternating runs ./minimal spent 5 % less CPU per GB (13.1 against 13.8
 * s; 9 of the 11 pairs lower). The counter gso_merged says how many.
 *
 * If the tap goes away under us (ip link del), the reader records the error
 * and makes tapif_fail_fd() readable; see tapif_error(). The application
 * decides what follows.
 */
#ifndef TAPIF_H
#define TAPIF_H

#include "corecall.h"
#include "counters.h"
#include "linkemu.h"
#include "pcapdump.h"
#include "rxbatch.h"
#include "rxring.h"
#include "ip6guard.h"
#include "synguard.h"
#include "txbatch.h"

#include "lwip/err.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"

#include <net/if.h>
#include <pthread.h>

/** Largest frame accepted from the tap: 1500-byte MTU plus an Ethernet
 *  header and a VLAN tag. Longer ones are dropped and counted. */
#define TAPIF_FRAME_MAX 1518

/** How a tap is attached. */
struct tapif_config {
  const char *name;            /**< tap device, created beforehand (scripts/setup-tapif) */
  struct linkemu_config emu;   /**< impairments between tap and lwIP */
  int trace;                   /**< print one line per frame crossing the tap */
};

/** One attached tap; the netif's state. Fields are private to tapif.c. */
struct tapif {
  char name[IFNAMSIZ];
  int fd;
  int stop_fd;
  int fail_fd;        /**< eventfd: the reader stopped on its own */
  int reader_started;
  pthread_t reader;
  struct netif *netif;
  struct linkemu_config emu_cfg;
  struct pcapdump *pcap;
  int trace;
  u8_t closed;
  /* core thread only */
  u32_t rx_frames;
  u64_t rx_bytes;
  u32_t rx_bogus;     /**< forged source: ours, loopback, broadcast, ... (ipsrc.h) */
  u32_t tx_frames;
  u64_t tx_bytes;
  u32_t tx_errors;
  u32_t tx_merged;     /**< TCP segments sent inside the frame before them (tcpgso.h) */
  struct txbatch tx;   /**< frames queued for one write system call */
  struct tcpip_callback_msg *tx_msg; /**< submits tx once tcpip_thread's current message is done */
  u8_t tx_scheduled;   /**< tx_msg is in the mailbox */
  u8_t tx_here;        /**< the reader delivers under the core lock: it submits tx */
  /* reader thread, read with atomics */
  u32_t rx_dropped;   /**< no memory for a pbuf */
  u32_t rx_oversize;  /**< runt or longer than TAPIF_FRAME_MAX */
  int error;           /**< errno that stopped the reader, or 0 */
  struct linkemu emu;
  struct rxring rx;
  struct corecall here; /**< the reader's own deliveries (under the core lock) */
  struct synguard syn;  /**< half-open TCP handshakes, core thread */
  struct ip6guard ip6;  /**< our IPv6 addresses against forged advertisements */
};

int tapif_open(struct tapif *tap, const struct tapif_config *cfg);
void tapif_set_pcap(struct tapif *tap, struct pcapdump *pcap);
err_t tapif_netif_init(struct netif *netif);
int tapif_start(struct tapif *tap);
void tapif_stop(struct tapif *tap);
void tapif_shutdown(struct tapif *tap);
void tapif_counters(struct tapif *tap, struct counters *c);
int tapif_error(const struct tapif *tap);
int tapif_fail_fd(const struct tapif *tap);

#endif /* TAPIF_H */
