/**
 * @file
 * TCP echo service on the raw API: every byte a client sends is sent back
 * on the same connection, for many clients at once. Runs in the lwIP core
 * thread.
 *
 * Connections cannot be hoarded: one on which no data moved in either
 * direction for the idle timeout is closed, at the cap the longest-idle one
 * is evicted for a newcomer, and TCP keepalive finds peers that vanished
 * without a FIN or RST. The counters of tcpecho_raw_counters()
 * add up: accepted = active + closed + reset + aborted + idle + evicted.
 */
#ifndef TCPECHO_RAW_H
#define TCPECHO_RAW_H

#include "counters.h"
#include "lwip/arch.h"
#include "lwip/err.h"

/** Connections served at once. Together with the per-connection bound
 *  (about TCP_WND buffered by us plus TCP_SND_BUF queued in lwIP) this caps
 *  the memory the service can be made to hold. A newcomer at the cap takes
 *  the place of the longest-idle connection, or else of the slowest one
 *  below TCPECHO_RAW_MIN_RATE, or is refused with a RST when every
 *  connection is busy. */
#define TCPECHO_RAW_MAX_CONNS 200

/** At the cap, only a connection idle at least this long (ms) is evicted:
 *  one that just moved data is in use, and evicting it would let two
 *  clients knock each other out in turn. */
#define TCPECHO_RAW_EVICT_MIN_MS 1000

/** At the cap, a connection that moved less than this many bytes a second
 *  (received plus echoed and acknowledged) over its last full
 *  TCPECHO_RAW_RATE_WINDOW_MS may be evicted though it is not idle: a
 *  slowloris client trickling a byte now and then holds a slot without
 *  using it. A connection younger than one window is never evicted for its
 *  rate; a busy client (hundreds of bytes a second) never is. */
#define TCPECHO_RAW_MIN_RATE 256
#define TCPECHO_RAW_RATE_WINDOW_MS 5000

/** Idle timeout (seconds) when the caller has no opinion, and its range. */
#define TCPECHO_RAW_IDLE_DEFAULT 60
#define TCPECHO_RAW_IDLE_MAX 86400

err_t tcpecho_raw_init(u16_t port, u32_t idle_sec);
void tcpecho_raw_counters(struct counters *c);

#endif /* TCPECHO_RAW_H */
