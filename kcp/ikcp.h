/**
 * @file
 * KCP engine: a reliable ARQ over any datagram output, wire compatible with
 * the reference implementation (skywind3000/kcp) and kcp-go.
 *
 * The API keeps the reference's names, types and public fields so that code
 * written for the reference header compiles unchanged, in C and C++. The
 * engine's own state sits after the public fields and is not part of the
 * API. Additions over the reference: ikcp_setsndqmax(), ikcp_getstats(),
 * ikcp_profile(), ikcp_profile_name(), ikcp_setwndcap(), ikcp_setdupacks(),
 * ikcp_trim(), ikcp_peek_header(), ikcp_is_dead(), ikcp_sndqlen(),
 * ikcp_ackqlen(), the wire constants (IKCP_OVERHEAD, IKCP_CMD_*,
 * IKCP_*_OFFSET), the IKCP_E* codes and two congestion modules for the v2
 * ikcp_setcc() (ikcp_cc_classic, the default, and ikcp_cc_bbr) with
 * ikcp_cc_find().
 *
 * The engine does no I/O and no system calls: the caller feeds datagrams to
 * ikcp_input(), drives time with ikcp_update()/ikcp_check() and receives
 * datagrams through the output callback.
 */
#ifndef IKCP_H
#define IKCP_H

#include <stddef.h>
#include <stdlib.h>

/* Integer types under the reference's names. */
typedef unsigned int ISTDUINT32;
typedef int ISTDINT32;

#ifndef __IINT8_DEFINED
#define __IINT8_DEFINED
typedef signed char IINT8;
#endif

#ifndef __IUINT8_DEFINED
#define __IUINT8_DEFINED
typedef unsigned char IUINT8;
#endif

#ifndef __IINT16_DEFINED
#define __IINT16_DEFINED
typedef short IINT16;
#endif

#ifndef __IUINT16_DEFINED
#define __IUINT16_DEFINED
typedef unsigned short IUINT16;
#endif

#ifndef __IINT32_DEFINED
#define __IINT32_DEFINED
typedef ISTDINT32 IINT32;
#endif

#ifndef __IUINT32_DEFINED
#define __IUINT32_DEFINED
typedef ISTDUINT32 IUINT32;
#endif

#ifndef __IINT64_DEFINED
#define __IINT64_DEFINED
typedef long long IINT64;
#endif

#ifndef __IUINT64_DEFINED
#define __IUINT64_DEFINED
typedef unsigned long long IUINT64;
#endif

/* Log masks for ikcpcb.logmask, as in the reference. */
#define IKCP_LOG_OUTPUT    1
#define IKCP_LOG_INPUT     2
#define IKCP_LOG_SEND      4
#define IKCP_LOG_RECV      8
#define IKCP_LOG_IN_DATA   16
#define IKCP_LOG_IN_ACK    32
#define IKCP_LOG_IN_PROBE  64
#define IKCP_LOG_IN_WINS   128
#define IKCP_LOG_OUT_DATA  256
#define IKCP_LOG_OUT_ACK   512
#define IKCP_LOG_OUT_PROBE 1024
#define IKCP_LOG_OUT_WINS  2048

/** Bytes of a segment header; a segment on the wire is a header and its data. */
#define IKCP_OVERHEAD 24

/* Segment commands, the header's cmd byte. */
#define IKCP_CMD_PUSH 81 /**< data */
#define IKCP_CMD_ACK  82 /**< acknowledges one sn */
#define IKCP_CMD_WASK 83 /**< asks for the peer's window */
#define IKCP_CMD_WINS 84 /**< tells our window */

/* Where each header field sits in a segment (little-endian), for callers
   that look at datagrams without a control block; kcp-go names them so. */
#define IKCP_CONV_OFFSET 0  /**< IUINT32 conversation */
#define IKCP_CMD_OFFSET  4  /**< IUINT8 IKCP_CMD_* */
#define IKCP_FRG_OFFSET  5  /**< IUINT8 fragments that follow in the message */
#define IKCP_WND_OFFSET  6  /**< IUINT16 sender's free receive window */
#define IKCP_TS_OFFSET   8  /**< IUINT32 timestamp */
#define IKCP_SN_OFFSET   12 /**< IUINT32 sequence number */
#define IKCP_UNA_OFFSET  16 /**< IUINT32 first sn the sender has not received */
#define IKCP_LEN_OFFSET  20 /**< IUINT32 bytes of data after the header */

/* Return codes by name; the values are the reference's (and shared between
   functions: test a code only against the function that returns it). */
/** ikcp_recv(): no message queued. */
#define IKCP_ERECV_EMPTY   (-1)
/** ikcp_recv(): no whole message yet. */
#define IKCP_ERECV_PARTIAL (-2)
/** ikcp_recv(): the buffer is smaller than the message (nothing consumed). */
#define IKCP_ERECV_SHORT   (-3)
/** ikcp_send(): negative length. */
#define IKCP_ESEND_LEN     (-1)
/** ikcp_send(): the message would need IKCP_FRG_MAX fragments or more. */
#define IKCP_ESEND_FRAGS   (-2)
/** ikcp_input(), ikcp_peek_header(): shorter than a header, or another conv. */
#define IKCP_EINPUT_CONV   (-1)
/** ikcp_input(), ikcp_peek_header(): a segment's len goes past the datagram. */
#define IKCP_EINPUT_LEN    (-2)
/** ikcp_input(), ikcp_peek_header(): unknown cmd. */
#define IKCP_EINPUT_CMD    (-3)
/** ikcp_send(): the send queue cap set by ikcp_setsndqmax() would be exceeded. */
#define IKCP_ESNDQFULL (-4)
/** An allocation failed; nothing was changed by the call that returns it. */
#define IKCP_ENOMEM    (-5)

/** A message spans fewer fragments than this (ikcp_send() refuses more). */
#define IKCP_FRG_MAX 128

#ifdef __cplusplus
extern "C" {
#endif

struct IKCPCB;
struct IKCPSEG;

/** Counters of one control block, read with ikcp_getstats(). */
typedef struct IKCPSTATS {
  IUINT64 segs_in;         /**< well-formed segments given to ikcp_input() */
  IUINT64 segs_out;        /**< segments handed to the output callback */
  IUINT64 bytes_in;        /**< datagram bytes given to ikcp_input() */
  IUINT64 bytes_out;       /**< datagram bytes handed to the output callback */
  IUINT64 data_segs_in;    /**< well-formed PUSH segments received */
  IUINT64 data_segs_out;   /**< PUSH segments sent, retransmissions included */
  IUINT64 retrans_timeout; /**< retransmissions on timer expiry */
  IUINT64 retrans_fast;    /**< fast retransmissions (skipped by later ACKs) */
  IUINT64 dup_segs;        /**< PUSH segments already received */
  IUINT64 out_of_window;   /**< PUSH outside the window, ACK sn or una beyond snd_nxt */
  IUINT64 malformed;       /**< datagrams rejected (-1/-2/-3), PUSH with frg >= rcv_wnd */
} IKCPSTATS;

typedef struct IKCPCB ikcpcb;

/**
 * A congestion control module, installed per control block with
 * ikcp_setcc(): the reference v2's declaration, hook for hook, so a module
 * written for it compiles and runs unchanged. Every hook may be NULL. A
 * module keeps its state behind kcp->congest (set it in init) and governs
 * kcp->cwnd (the engine keeps it >= 1); while one is installed the engine
 * limits the window to cwnd whatever nocwnd says.
 */
struct IKCPOPS {
  const char *name;
  /** Installed: 0, or < 0 to refuse (the built-in module stays). */
  int (*init)(ikcpcb *kcp);
  /** Replaced or the control block released: free kcp->congest. */
  void (*release)(ikcpcb *kcp);
  /**
   * One ikcp_input() moved snd_una by @p acked_segs; @p acked_bytes is the
   * payload of every segment it acknowledged, @p prior_in_flight the
   * segments in flight before it.
   */
  void (*on_ack)(ikcpcb *kcp, IUINT32 acked_segs, IUINT32 acked_bytes,
                 IUINT32 prior_in_flight);
  /** One flush resent @p fast_retrans segments by fast retransmit. */
  void (*on_fast_retransmit)(ikcpcb *kcp, IUINT32 fast_retrans,
                             IUINT32 inflight, IUINT32 prior_cwnd);
  /** One flush resent segments on timer expiry. */
  void (*on_timeout)(ikcpcb *kcp, IUINT32 prior_cwnd);
  /** Start of every flush. */
  void (*on_tick)(ikcpcb *kcp);
  /** A flush emptied the send queue with the window not full. */
  void (*on_app_limited)(ikcpcb *kcp, IUINT32 inflight);
  /** An RTT sample (ms) from an ACK. */
  void (*on_rtt)(ikcpcb *kcp, IINT32 rtt);
  /** A PUSH segment leaves (@p xmit 1 for its first transmission). */
  void (*on_pkt_sent)(ikcpcb *kcp, IUINT32 sn, IUINT32 ts, IUINT32 len,
                      IUINT32 inflight, IUINT32 xmit);
  /** A segment is acknowledged; @p rtt is -1 when acked through una only. */
  void (*on_pkt_acked)(ikcpcb *kcp, IUINT32 sn, IUINT32 ts, IUINT32 len,
                       IINT32 rtt, IUINT32 xmit);
  /** Copy module state to @p buf for a user; bytes written. */
  IUINT32 (*get_info)(ikcpcb *kcp, void *buf, IUINT32 bufsize);
  /**
   * Payload bytes the coming flush may send (checked before each PUSH: a
   * segment longer than what is left waits for a later flush).
   */
  IUINT32 (*pacing_rate)(ikcpcb *kcp);
};

/** One segment header, as ikcp_peek_header() decodes it. */
typedef struct IKCPHDR {
  IUINT32 conv;
  IUINT8 cmd;
  IUINT8 frg;
  IUINT16 wnd;
  IUINT32 ts;
  IUINT32 sn;
  IUINT32 una;
  IUINT32 len;
} IKCPHDR;

/** A queue of segments (engine internal). */
struct IKCPLIST {
  struct IKCPSEG *head;
  struct IKCPSEG *tail;
};

/** A pending ACK (engine internal). */
struct IKCPACK {
  IUINT32 sn;
  IUINT32 ts;
};

/**
 * The KCP control block. The fields up to writelog are the reference's
 * public ones (v2's ccops and congest included), with its names and types
 * and in its relative order (ts_recent and ts_lastack are unused there
 * too); the reference's own queues and ACK list (snd_queue, rcv_queue,
 * snd_buf, rcv_buf, acklist, ackcount, ackblock, between incr and user
 * there) are not among them, so the layout differs from the reference's
 * from user on.
 */
struct IKCPCB {
  IUINT32 conv, mtu, mss, state;
  IUINT32 snd_una, snd_nxt, rcv_nxt;
  IUINT32 ts_recent, ts_lastack, ssthresh;
  IINT32 rx_rttval, rx_srtt, rx_rto, rx_minrto;
  IUINT32 snd_wnd, rcv_wnd, rmt_wnd, cwnd, probe;
  IUINT32 current, interval, ts_flush, xmit;
  IUINT32 nrcv_buf, nsnd_buf;
  IUINT32 nrcv_que, nsnd_que;
  IUINT32 nodelay, updated;
  IUINT32 ts_probe, probe_wait;
  IUINT32 dead_link, incr;
  void *user;
  char *buffer;               /* NULL until a flush has something to write */
  int fastresend;
  int fastlimit;
  int nocwnd, stream;
  const struct IKCPOPS *ccops; /* NULL: the built-in ikcp_cc_classic */
  void *congest;               /* the module's state */
  int logmask;
  int (*output)(const char *buf, int len, struct IKCPCB *kcp, void *user);
  void (*writelog)(const char *log, struct IKCPCB *kcp, void *user);

  /* Engine internal state below: not API, may change. */
  IUINT32 bufcap;              /* bytes buffer has (or gets), >= mtu */
  IUINT32 sndq_max;            /* send queue cap, 0 = none */
  IUINT32 wnd_cap;             /* advertised window cap, 0 = none */
  IUINT32 dup_acks;            /* ikcp_setdupacks() */
  struct IKCPLIST snd_queue;   /* not yet sent */
  struct IKCPLIST rcv_queue;   /* in order, for ikcp_recv */
  struct IKCPLIST watch;       /* in flight, below the fast-ack threshold, sn order */
  struct IKCPLIST due;         /* in flight, fast retransmit due */
  struct IKCPSEG **snd_ring;   /* in flight by sn & snd_mask; NULL until needed */
  struct IKCPSEG **timers;     /* in flight, min-heap on resendts (in snd_ring's block) */
  struct IKCPSEG **scratch;    /* flush: segments to resend (in snd_ring's block) */
  IUINT32 ntimers;             /* entries in timers */
  IUINT32 snd_mask;            /* ring capacity - 1, also while not allocated */
  struct IKCPSEG **rcv_ring;   /* out of order by sn & rcv_mask; NULL until needed */
  struct IKCPACK *acks;        /* ACKs for the next flush (in rcv_ring's block) */
  IUINT32 *ack_slot;           /* 1 + index in acks by sn & rcv_mask (same block) */
  IUINT32 rcv_mask;            /* ring capacity - 1, also while not allocated */
  IUINT32 nacks;
  IUINT32 acked_bytes;         /* payload acked during one ikcp_input() */
  IKCPSTATS stats;
};

/**
 * Create a control block for conversation @p conv; @p user is passed back
 * to the output and log callbacks. Returns NULL when out of memory. Only
 * the struct is allocated: the flush buffer and the send and receive rings
 * come on first need (a flush with something to write, the first segment
 * sent or received), so idle control blocks are cheap.
 */
ikcpcb *ikcp_create(IUINT32 conv, void *user);

/** Free the control block and every segment it holds. */
void ikcp_release(ikcpcb *kcp);

/**
 * Give back what an idle control block does not need: the flush buffer
 * always, the send ring and timer heap when nothing is in flight (nsnd_buf
 * 0), the receive ring and ACK list when no segment waits out of order
 * (nrcv_buf 0) and no ACK is pending (nacks 0). Queued and received
 * messages are kept. The next use allocates again, so call this on a
 * session that has been idle a while, not per message. Not from inside the
 * output callback.
 */
void ikcp_trim(ikcpcb *kcp);

/** Set the callback that puts a datagram on the wire. */
void ikcp_setoutput(ikcpcb *kcp, int (*output)(const char *buf, int len,
                                               ikcpcb *kcp, void *user));

/**
 * Take the next whole message. Returns its size, IKCP_ERECV_EMPTY,
 * IKCP_ERECV_PARTIAL or IKCP_ERECV_SHORT (nothing consumed). A negative
 * @p len peeks at most -len bytes without consuming.
 */
int ikcp_recv(ikcpcb *kcp, char *buffer, int len);

/**
 * Queue a message (or stream bytes). Returns the bytes queued,
 * IKCP_ESEND_LEN, IKCP_ESEND_FRAGS, IKCP_ESNDQFULL or IKCP_ENOMEM; on
 * error nothing is queued.
 */
int ikcp_send(ikcpcb *kcp, const char *buffer, int len);

/**
 * Advance the clock to @p current (ms) and flush when the interval tick is
 * due; retransmission timers that expired since are served by that flush,
 * as the reference serves them.
 */
void ikcp_update(ikcpcb *kcp, IUINT32 current);

/**
 * When ikcp_update() is next needed: @p current if now, else the next flush
 * tick (never further than interval away), the only time an update does
 * anything, so a loop sleeping until then never spins.
 */
IUINT32 ikcp_check(const ikcpcb *kcp, IUINT32 current);

/**
 * Feed one received datagram. Returns 0, or IKCP_EINPUT_CONV (another conv
 * or shorter than a header), IKCP_EINPUT_LEN (segment length beyond the
 * datagram), IKCP_EINPUT_CMD (unknown command), IKCP_ENOMEM (a PUSH
 * dropped unacked for want of memory for it or for the receive ring, the
 * peer will resend it; the rest is processed). Segments before the one
 * that fails are processed.
 */
int ikcp_input(ikcpcb *kcp, const char *data, long size);

/**
 * Send pending ACKs, probes and data now (after the first ikcp_update()).
 * The flush buffer and the send ring are allocated when first needed; if
 * that fails nothing is lost: ACKs, probes and data wait for a later flush.
 */
void ikcp_flush(ikcpcb *kcp);

/** Size of the next whole message, or -1 when none is complete. */
int ikcp_peeksize(const ikcpcb *kcp);

/**
 * Set the MTU (>= 50): 0, -1 for a bad value, -2 when out of memory (only
 * when the flush buffer is allocated and must grow; else just recorded).
 */
int ikcp_setmtu(ikcpcb *kcp, int mtu);

/**
 * Set the send and receive windows (segments; <= 0 leaves one alone, the
 * receive window is at least 128). 0, or IKCP_ENOMEM (nothing changed).
 * Rings not allocated yet (new or trimmed control block) only record the
 * size, so IKCP_ENOMEM then means a window beyond 2^24.
 */
int ikcp_wndsize(ikcpcb *kcp, int sndwnd, int rcvwnd);

/** Segments queued or in flight, not yet acknowledged. */
int ikcp_waitsnd(const ikcpcb *kcp);

/**
 * Tune latency: @p nodelay 0/1/2 (min RTO 100 or 30, RTO backoff), flush
 * @p interval ms (10..5000), fast @p resend after that many skips (0 off),
 * @p nc 1 disables congestion window. A negative argument leaves its setting.
 */
int ikcp_nodelay(ikcpcb *kcp, int nodelay, int interval, int resend, int nc);

/** Log through writelog when @p mask is in logmask. */
void ikcp_log(ikcpcb *kcp, int mask, const char *fmt, ...);

/** Replace malloc/free for every later allocation of the engine (NULL = libc). */
void ikcp_allocator(void *(*new_malloc)(size_t), void (*new_free)(void *));

/** The conv of a datagram (at least 4 bytes). */
IUINT32 ikcp_getconv(const void *ptr);

/**
 * Decode the first segment header of a datagram without a control block,
 * checked as ikcp_input() checks it (any conv): 0, IKCP_EINPUT_CONV (fewer
 * than IKCP_OVERHEAD bytes), IKCP_EINPUT_LEN (its data goes past @p size),
 * IKCP_EINPUT_CMD. For a server deciding whether a datagram for no
 * control block may create one.
 */
int ikcp_peek_header(const void *data, long size, IKCPHDR *hdr);

/**
 * Whether the link is dead: a segment was sent dead_link times without
 * an ACK. The control block still works, but its peer is likely gone.
 */
int ikcp_is_dead(const ikcpcb *kcp);

/**
 * Segments queued and not yet sent: the part of ikcp_waitsnd() that
 * ikcp_setsndqmax() caps.
 */
int ikcp_sndqlen(const ikcpcb *kcp);

/** ACKs waiting for the next flush. */
int ikcp_ackqlen(const ikcpcb *kcp);

/** Set the flush interval (10..5000 ms). */
int ikcp_interval(ikcpcb *kcp, int interval);

/**
 * Install congestion control module @p ops (kept by pointer in ccops: it
 * must outlive the control block); NULL (ccops NULL, as after
 * ikcp_create()) is the built-in ikcp_cc_classic. The old module's release
 * runs first, then the new one's init. Returns 0, or -1 when init refused
 * (ccops is NULL then).
 */
int ikcp_setcc(ikcpcb *kcp, const struct IKCPOPS *ops);

/**
 * The reference's own window, the default: slow start, then about one
 * segment per RTT; on fast retransmit half the flight plus the resend
 * threshold, on timeout back to 1. nocwnd (the fast profiles) switches
 * its limit off, as in the reference: same bytes on the wire.
 */
extern const struct IKCPOPS ikcp_cc_classic;

/**
 * Delay-bounding module in the spirit of BBR: estimates the bottleneck
 * bandwidth (largest delivery rate over the last few RTTs) and the minimum
 * RTT, paces at that rate and keeps about 1.5 bandwidth-delay products in
 * flight, so a deep buffer on the path stays nearly empty; while a queue
 * stands whole rounds (sessions sharing the path) it scales its rate down
 * until the queue drains.
 * Loss does not shrink its window.
 */
extern const struct IKCPOPS ikcp_cc_bbr;

/** The module called @p name ("classic", "bbr"), or NULL. */
const struct IKCPOPS *ikcp_cc_find(const char *name);

/**
 * The name of module @p index (0, 1, ...) that ikcp_cc_find() knows, or
 * NULL past the last: for listing names.
 */
const char *ikcp_cc_name(int index);

/**
 * Cap the send queue at @p max_segments (0 = unlimited, the default): a
 * send that would exceed it fails with IKCP_ESNDQFULL. 0, or -1 if < 0.
 */
int ikcp_setsndqmax(ikcpcb *kcp, int max_segments);

/**
 * Cap the receive window advertised to the peer at @p segments (0 = no
 * cap, the default): a receiver that shares its memory or its link among
 * many peers asks each for less than rcv_wnd, and every KCP sender keeps
 * within the window it is told. The cap only shapes what is advertised:
 * what arrives is still accepted up to rcv_wnd, so segments sent under a
 * larger earlier window are not lost when the cap shrinks. Applies from
 * the next segment sent. 0, or -1 if < 0.
 */
int ikcp_setwndcap(ikcpcb *kcp, int segments);

/**
 * While a segment is missing before others received, send the ACKs of a
 * flush in separate datagrams (@p on 1): each of the first two alone, the
 * rest together in a third, much as a TCP receiver sends a duplicate ACK
 * for every segment out of order; 0 (the default) packs them as the
 * reference does. Every KCP sender counts fast-retransmit evidence once
 * per datagram of ACKs it reads, so a sender held to a small window (a
 * few segments in one or two datagrams behind the lost one) would
 * otherwise wait for its timer; the extra datagrams last only as long as
 * the hole, and are never more than two per flush. 0, or -1 if @p on is
 * neither 0 nor 1.
 */
int ikcp_setdupacks(ikcpcb *kcp, int on);

/** Copy the counters of @p kcp. */
void ikcp_getstats(const ikcpcb *kcp, IKCPSTATS *out);

/**
 * Apply a kcptun profile: "normal" (0,40,2,1), "fast" (0,30,2,1), "fast2"
 * (1,20,2,1), "fast3" (1,10,2,1) as ikcp_nodelay() arguments. 0, or -1 for
 * an unknown name (nothing changed).
 */
int ikcp_profile(ikcpcb *kcp, const char *name);

/**
 * The name of profile @p index (0, 1, ...) that ikcp_profile() knows, or
 * NULL past the last: for listing and checking names without a control
 * block.
 */
const char *ikcp_profile_name(int index);

#ifdef __cplusplus
}
#endif

#endif /* IKCP_H */
