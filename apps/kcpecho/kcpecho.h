/**
 * @file
 * KCP echo service: every whole message a KCP session receives is sent back
 * on the same session. Runs in the lwIP core thread on top of kcp_lwip.
 */
#ifndef KCPECHO_H
#define KCPECHO_H

#include "counters.h"
#include "lwip/err.h"
#include "lwip/arch.h"
#include "kcp_lwip.h"

/* Defaults and limits of the settings: the only copy, which ./minimal's
   command line and usage use too. */
#define KCPECHO_PORT_DEFAULT     8000
#define KCPECHO_PROFILE_DEFAULT  "fast"
/* classic: the service's fair shares already bound what clients keep in
   flight toward it, and its replies follow what it receives; measured side
   by side (bench/kcp-sessions.sh), bbr on the echo's side was no better on
   a clean link and with 2 % loss had the higher p99 RTT. */
#define KCPECHO_CC_DEFAULT       "classic"
#define KCPECHO_WND_DEFAULT      128
#define KCPECHO_WND_MIN          1
#define KCPECHO_WND_MAX          32768
#define KCPECHO_MTU_DEFAULT      1400
#define KCPECHO_MTU_MIN          50
#define KCPECHO_MTU_MAX          KCP_DGRAM_MAX
#define KCPECHO_IDLE_DEFAULT     60
#define KCPECHO_IDLE_MIN         1
#define KCPECHO_IDLE_MAX         86400
#define KCPECHO_SESSIONS_DEFAULT KCP_DEFAULT_MAX_SESSIONS
#define KCPECHO_SESSIONS_MIN     1
#define KCPECHO_SESSIONS_MAX     65536
#define KCPECHO_BUDGET_DEFAULT   KCP_DEFAULT_BUDGET
#define KCPECHO_BUDGET_MIN       1
#define KCPECHO_BUDGET_MAX       1048576

/** Settings of the service; ./minimal fills them from its command line. */
struct kcpecho_config {
  u16_t port;          /**< UDP port to listen on, not 0 */
  const char *profile; /**< a profile ikcp_profile() knows (ikcp_profile_name()) */
  const char *cc;      /**< congestion module of every session, a name
                            ikcp_cc_find() knows (ikcp_cc_name()) */
  int wnd;             /**< send and receive window, segments */
  int mtu;             /**< KCP mtu, bytes */
  u32_t idle_sec;      /**< close a session silent this long */
  int max_sessions;    /**< session cap */
  u32_t budget;        /**< segments in flight toward the service, shared
                            fairly by its active sessions (kcp_set_budget()) */
  /* kcp-go's datagram codec (kcp_codec.h), as kcptun sets it up */
  const char *crypt;   /**< cipher name, or NULL: plain KCP (NULL) */
  const char *key;     /**< passphrase (kcptun's default "it's a secrect") */
  int datashard;       /**< FEC data shards, 0 with parityshard 0: off (0) */
  int parityshard;     /**< FEC parity shards (0) */
};

/** The setting kcpecho_config_check() found wrong, or KCPECHO_CFG_OK. */
enum kcpecho_cfg_field {
  KCPECHO_CFG_OK,
  KCPECHO_CFG_PORT,
  KCPECHO_CFG_PROFILE,
  KCPECHO_CFG_CC,
  KCPECHO_CFG_WND,
  KCPECHO_CFG_MTU,
  KCPECHO_CFG_IDLE,
  KCPECHO_CFG_SESSIONS,
  KCPECHO_CFG_BUDGET
};

void kcpecho_config_default(struct kcpecho_config *cfg);
/**
 * Check settings against the limits above, as kcpecho_init() does, so that
 * a command line can name the bad one before starting anything.
 * @return KCPECHO_CFG_OK, or the first setting out of its limits
 */
enum kcpecho_cfg_field kcpecho_config_check(const struct kcpecho_config *cfg);
/**
 * Start the service; call in the lwIP core thread.
 * @return ERR_OK; ERR_VAL for a bad setting (kcpecho_config_check(), a
 *         codec setting kcp_codec_config_check() refuses, or mtu plus the
 *         codec's headers over 1500); ERR_USE when it already runs or the
 *         port is taken; ERR_MEM
 */
err_t kcpecho_init(const struct kcpecho_config *cfg);
/**
 * Add the service's counters to c as group "kcpecho"; call in the lwIP core
 * thread. As a line (counters_print_text()) it is parsed by tests: "kcpecho:"
 * then "name value" pairs, all decimal, always all of them, in this order:
 *
 *   kcpecho: sessions S opened N closed N idle N dead N refused N in N out N
 *   bytes_in N bytes_out N segs_in N segs_out N data_in N data_out N
 *   dropped N malformed N send_err N retrans N fast_retrans N dup N sess_in N
 *   stalled N evicted N held N share N active N
 *
 * sessions: live now. opened/closed: sessions over the service's life;
 * idle/dead: closed by the idle timeout / by a dead link. refused: new
 * sessions refused (no memory; at the cap a newcomer evicts instead). in/out: UDP datagrams received
 * and sent. bytes_* segs_* data_* (PUSH segments), retrans (timer),
 * fast_retrans, dup (duplicate PUSH): engine counters, summed over live and
 * closed sessions. dropped: datagrams for no session that cannot open one
 * (not a PUSH with sn 0). malformed: datagrams that do not parse as KCP.
 * send_err: datagrams lost locally (no pbuf, udp_sendto failed).
 * sess_in: datagrams taken by a session's engine, so that
 * in = malformed + dropped + refused + sess_in. stalled: sessions closed
 * for holding segments without progress; evicted: closed to make room
 * (hold limit reached, table full). held: segments the sessions hold now;
 * share: the window each active session advertises now; active: sessions
 * that received data lately.
 *
 * With a codec, a second group "kcpcodec" follows (kcp_codec_stats;
 * datagrams that failed to open also count as malformed above):
 *
 *   kcpcodec: opened N crc_err N short N parity_in N parity_out N
 *   recovered N fec_bad N
 */
void kcpecho_counters(struct counters *c);

#endif /* KCPECHO_H */
