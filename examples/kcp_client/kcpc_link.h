/**
 * @file
 * A link is one echo session seen from the client: KCP over a connected UDP
 * socket, or a TCP connection. The modes drive links only through this
 * interface, so the benchmark and the interactive mode run the same code
 * against KCP and TCP, which is what makes the comparison fair.
 *
 * Every link is non-blocking and owns one file descriptor; the caller polls
 * all of them in one poll() set, then calls kcpc_link_service() with the
 * events, reads with kcpc_link_recv(), writes with kcpc_link_send(), and
 * finally kcpc_link_pump() so that what was queued goes out at once.
 */
#ifndef KCPC_LINK_H
#define KCPC_LINK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "kcp_client.h"

struct kcpc_link;

/** Transmission counters of a link, added up over every link a run opened. */
struct kcpc_link_counters {
  uint64_t retrans_timeout; /**< KCP segments resent after their timer */
  uint64_t retrans_fast;    /**< KCP segments resent after skipped ACKs */
  uint64_t retrans_tcp;     /**< TCP segments the kernel resent (TCP_INFO) */
  uint64_t send_errors;     /**< datagrams or writes the kernel refused */
  uint64_t data_segs;       /**< KCP data segments sent, resends included */
};

/**
 * Open a session to cfg's server.
 * @param conv KCP conversation id (ignored by TCP)
 * @param now_us current time, starts the KCP clock
 * @return the link, or NULL with a message on stderr
 */
struct kcpc_link *kcpc_link_open(const struct kcpc_config *cfg, uint32_t conv, uint64_t now_us);
/** Close, adding the link's counters to acc (may be NULL). */
void kcpc_link_close(struct kcpc_link *link, struct kcpc_link_counters *acc);

/** The descriptor to poll and the events to ask for. */
int kcpc_link_fd(const struct kcpc_link *link);
short kcpc_link_events(const struct kcpc_link *link);
/** Handle the events poll() reported (revents may be 0 for a timer wake-up). */
void kcpc_link_service(struct kcpc_link *link, short revents, uint64_t now_us);

/** Whether a message of len bytes may be queued now without overfilling the window. */
int kcpc_link_can_send(const struct kcpc_link *link, uint32_t len);
/** Queue one message; returns 0, or -1 when the link refused it. */
int kcpc_link_send(struct kcpc_link *link, const void *msg, uint32_t len);
/**
 * Take what the server echoed: one whole message in KCP message mode, any
 * number of bytes otherwise. Returns the length, 0 when nothing is ready.
 */
size_t kcpc_link_recv(struct kcpc_link *link, void *buf, size_t cap);
/** Whether the link keeps message boundaries (KCP message mode). */
int kcpc_link_is_message(const struct kcpc_link *link);
/** Send what was queued and run the protocol timers. */
void kcpc_link_pump(struct kcpc_link *link, uint64_t now_us);
/** When the link next needs kcpc_link_service() without an event (µs). */
uint64_t kcpc_link_deadline(const struct kcpc_link *link, uint64_t now_us);
/** Whether the transport itself gave up (KCP dead link, TCP reset or refused). */
int kcpc_link_dead(const struct kcpc_link *link);
/** Time of the last byte received from the server (µs; the open time before any). */
uint64_t kcpc_link_last_rx(const struct kcpc_link *link);

/**
 * Most bytes a link lets be sent and not yet echoed (unless none are): two
 * windows, 2 * wnd * (mtu - 24), for KCP and TCP alike.
 */
uint64_t kcpc_link_echo_cap(const struct kcpc_config *cfg);
/**
 * poll() the set until wake_us at the latest (at most a second), with
 * microsecond precision: --interval and the KCP timers need better than
 * poll()'s rounding up to whole milliseconds. Returns poll()'s result.
 */
int kcpc_link_poll(struct pollfd *pfd, nfds_t n, uint64_t now_us, uint64_t wake_us);

/** Largest message kcpc_link_recv() can return for cfg: the receive buffer size. */
size_t kcpc_link_recv_max(const struct kcpc_config *cfg);

#endif /* KCPC_LINK_H */
