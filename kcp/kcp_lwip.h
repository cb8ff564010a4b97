/**
 * @file
 * KCP sessions on an lwIP raw-API udp_pcb.
 *
 * The engine (ikcp.h) knows one conversation and nothing about sockets,
 * time or memory limits. This module is the session layer it lacks, written
 * in the style of lwIP's raw tcp/udp API: a kcp_pcb owns one udp_pcb and a
 * table of kcp_session, each session one ikcpcb talking to one peer.
 *
 * Threading: every function here, and every callback it makes, runs in the
 * lwIP core thread (LWIP_ASSERT_CORE_LOCKED()). From another thread use
 * tcpip_callback() or LOCK_TCPIP_CORE().
 *
 * Sessions are keyed by (remote address, remote port, conv); lookups go
 * through a hash table, and timing through one sys_timeout per kcp_pcb armed
 * at the earliest wake-up of a binary min-heap of sessions. A datagram does
 * not flush its session: it makes it due now, so the ACKs and replies of a
 * burst leave together, in full datagrams, when lwIP next runs its due
 * timeouts (the tcpip thread does before it takes its next message; a
 * driver thread that feeds a burst in under the core lock should run them
 * after it; with NO_SYS, the main loop's sys_check_timeouts() after its
 * input). While a segment is missing, each datagram is acked at once
 * instead, so that the peer counts toward its fast retransmission per
 * datagram, as it expects. A session with nothing in flight and nothing
 * queued is woken only by its idle deadline
 * and keeps only its control blocks (the engine's buffers are trimmed):
 * about 0.8 KB of RSS per idle session (tests/tap_kcp_memory.sh).
 *
 * Resources are shared, not first come first served (kcp_set_budget()):
 * each active session advertises a max-min fair share of one budget of
 * segments in flight toward the pcb, so unmodified senders slow down as
 * sessions arrive; segments held in total are bounded, beyond which the
 * session holding most is evicted; a session holding segments that makes
 * no progress is closed (kcp_set_stall()); and a full table makes room for
 * a newcomer by closing the session that has made no progress the longest.
 *
 * What is done with datagrams that match no session:
 * - The first segment must parse (24-byte header, known cmd, len fits) or the
 *   datagram is dropped and counted as malformed.
 * - Only a PUSH with sn == 0 opens a session, on a pcb that has an accept
 *   callback; at the session cap (or the source's, kcp_set_source_max())
 *   the session that has made no progress the longest is evicted for it.
 *   An opening segment the new engine rejects (a frg beyond its window)
 *   closes the session at once and counts as malformed.
 * - Anything else (ACK, WASK, WINS, or a PUSH with sn != 0) is dropped and
 *   counted as "dropped", and nothing is sent back.
 * Why sn == 0: a segment with a later sn belongs to a conversation this pcb
 * has forgotten (server restarted, or the session timed out). Adopting it
 * would ACK data whose earlier messages can never arrive, so the peer would
 * believe it delivered and then wait forever for replies. Staying silent
 * instead leaves the peer's segments unacknowledged: its snd_una stops, its
 * retransmissions reach dead_link, and a client that watches for that (or
 * for missing progress) opens a new conversation with a new conv, whose
 * first segment (sn 0) is accepted. The cost: if a server forgets a session
 * while sn 0 is still being retransmitted, it sees message 0 twice.
 */
#ifndef KCP_LWIP_H
#define KCP_LWIP_H

#include "lwip/opt.h"
#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "ikcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A udp_pcb carrying KCP sessions: a listener, a client, or both. */
struct kcp_pcb;
/** One KCP conversation with one peer (address, port, conv). */
struct kcp_session;

/** Default session cap of a kcp_pcb. */
#define KCP_DEFAULT_MAX_SESSIONS 1024
/** Default idle timeout (ms): a session that made no progress (nothing new
    in order, nothing newly acknowledged) this long is closed. */
#define KCP_DEFAULT_IDLE_MS      60000
/** Default send-queue cap per session, in segments (see kcp_write()). */
#define KCP_DEFAULT_SNDQ_MAX     256
/** Default server-wide budget (segments) of what peers may have in flight
    toward a kcp_pcb, shared among its active sessions (kcp_set_budget()):
    four default windows, under half of what the path of ./minimal buffers
    (a 256-frame receive ring and the tap's 1000-frame queue), so that many
    sessions together keep the queue, hence the RTT, short; and 100 bulk
    sessions still get 5 segments each, enough for fast retransmission to
    repair a loss (with 2 they wait for a timeout: at 2 % loss, a budget of
    256 gave 100 sessions a quarter of the goodput of 512). */
#define KCP_DEFAULT_BUDGET       512
/** Segments a kcp_pcb may hold in total (receive and send queues, out of
    order and unacknowledged) per segment of budget before it evicts
    sessions that make no progress; at twice that it evicts any. */
#define KCP_HOLD_PER_BUDGET      16
/** Default stall limit (ms): a session that holds segments and moved
    nothing (no new data in order, nothing newly acknowledged) this long is
    closed, however many window probes or updates its peer sends. */
#define KCP_DEFAULT_STALL_MS     10000
/** Largest datagram accepted (bytes of UDP payload); KCP mtu must not exceed it. */
#define KCP_DGRAM_MAX            1500

/**
 * A new session was opened by a peer's first PUSH. Set its callbacks here;
 * the datagram that opened it is fed to the engine right after this returns,
 * so engine settings (window, mtu, profile) made here already apply to it.
 * @param arg the kcp_pcb's arg (kcp_arg()), also the new session's arg
 * @param s the new session
 * @param err ERR_OK
 * @return ERR_OK to keep the session; anything else refuses it (it is freed,
 *         the datagram dropped and counted as refused)
 */
typedef err_t (*kcp_accept_fn)(void *arg, struct kcp_session *s, err_t err);

/**
 * A whole message arrived. The bytes are lent for the duration of the call
 * (a KCP message can reach 127 * mss bytes, more than a pbuf's u16_t
 * tot_len, so it is not handed over as a pbuf).
 * @return ERR_OK when the message was consumed. ERR_ABRT when the callback
 *         closed the session (kcp_close()), as a tcp_recv callback returns
 *         it after tcp_abort(): the session is freed once the callback
 *         returns and nothing more is delivered. Anything else leaves the
 *         message in the engine: the session stops delivering, which
 *         shrinks the window it advertises (back-pressure on the peer), and
 *         the same message is offered again at the session's next activity
 *         (input, freed send space, or at least every engine interval).
 */
typedef err_t (*kcp_recv_fn)(void *arg, struct kcp_session *s,
                             const void *data, u32_t len);

/**
 * Send-queue space was freed (the peer acknowledged data or the window
 * opened): a kcp_write() that failed with ERR_MEM may be retried.
 * @param space free send-queue slots, in segments
 */
typedef void (*kcp_sent_fn)(void *arg, struct kcp_session *s, u32_t space);

/**
 * The session was closed by this module and is already freed; do not use
 * it. Not called for kcp_close().
 * @param err ERR_TIMEOUT: idle timeout, or stalled (kcp_set_stall());
 *        ERR_ABRT: dead link (a segment was sent dead_link times
 *        unacknowledged) or its opening segment was invalid; ERR_MEM:
 *        evicted to make room (see kcp_set_budget()); ERR_CLSD: its kcp_pcb
 *        was removed (kcp_remove())
 */
typedef void (*kcp_err_fn)(void *arg, err_t err);

/** Counters of one session; the engine's plus the datagrams it carried. */
struct kcp_session_stats {
  IKCPSTATS engine;  /**< ikcp_getstats() of the session */
  u32_t dgram_in;    /**< datagrams fed to the engine */
  u32_t dgram_out;   /**< datagrams sent */
  u32_t malformed;   /**< datagrams the engine rejected (ikcp_input < 0) */
};

/** Counters of a kcp_pcb, over its whole life. */
struct kcp_stats {
  u32_t sessions;     /**< live sessions now */
  u32_t opened;       /**< sessions opened (accepted or kcp_connect()) */
  u32_t closed;       /**< sessions closed, for any reason */
  u32_t closed_idle;  /**< ... by the idle timeout */
  u32_t closed_dead;  /**< ... by a dead link */
  u32_t refused;      /**< new sessions refused: accept refused, no memory, kcp_connect()
                           at the cap (a peer at the cap evicts instead) */
  u32_t dgram_in;     /**< datagrams received */
  u32_t dgram_out;    /**< datagrams sent */
  u32_t dropped;      /**< datagrams for no session that could not open one */
  u32_t malformed;    /**< datagrams that do not parse as KCP, or too large */
  u32_t sess_in;      /**< datagrams a session's engine took (dgram_in = malformed
                           + dropped + refused + sess_in, without kcp_connect()) */
  u32_t send_err;     /**< datagrams lost locally (no pbuf, udp_sendto failed) */
  u32_t closed_stall; /**< sessions closed because they held segments and moved nothing */
  u32_t evicted;      /**< sessions closed to make room (hold limit, full table, source limit) */
  u32_t held;         /**< segments held by all live sessions now */
  u32_t share;        /**< window (segments) each active session is offered now */
  u32_t active;       /**< sessions that received data lately (at the last count) */
  IKCPSTATS engine;   /**< engine counters summed over live and closed sessions */
};

struct kcp_pcb *kcp_new(void);
err_t kcp_bind(struct kcp_pcb *pcb, const ip_addr_t *ipaddr, u16_t port);
void  kcp_remove(struct kcp_pcb *pcb);
void  kcp_arg(struct kcp_pcb *pcb, void *arg);
void  kcp_accept(struct kcp_pcb *pcb, kcp_accept_fn accept);
void  kcp_set_max_sessions(struct kcp_pcb *pcb, u32_t max);
void  kcp_set_idle(struct kcp_pcb *pcb, u32_t idle_ms);
void  kcp_set_sndq_max(struct kcp_pcb *pcb, u32_t segments);
void  kcp_set_budget(struct kcp_pcb *pcb, u32_t segments);
void  kcp_set_stall(struct kcp_pcb *pcb, u32_t stall_ms);
void  kcp_set_source_max(struct kcp_pcb *pcb, u32_t sessions);
void  kcp_set_ack_nodelay(struct kcp_pcb *pcb, int nodelay);
err_t kcp_connect(struct kcp_pcb *pcb, const ip_addr_t *ipaddr, u16_t port,
                  IUINT32 conv, struct kcp_session **out);
void  kcp_stats_get(const struct kcp_pcb *pcb, struct kcp_stats *st);
void  kcp_stats_add(struct kcp_stats *sum, const struct kcp_stats *st);
struct kcp_codec;
err_t kcp_set_codec(struct kcp_pcb *pcb, struct kcp_codec *codec);

void  kcp_session_arg(struct kcp_session *s, void *arg);
void  kcp_recv(struct kcp_session *s, kcp_recv_fn recv);
void  kcp_sent(struct kcp_session *s, kcp_sent_fn sent);
void  kcp_err(struct kcp_session *s, kcp_err_fn err);
err_t kcp_write(struct kcp_session *s, const void *data, u32_t len);
void  kcp_close(struct kcp_session *s);
ikcpcb *kcp_session_ikcp(struct kcp_session *s);
err_t kcp_setcc(struct kcp_session *s, const char *name);
void  kcp_session_peer(const struct kcp_session *s, ip_addr_t *ip, u16_t *port);
void  kcp_session_stats_get(const struct kcp_session *s, struct kcp_session_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* KCP_LWIP_H */
