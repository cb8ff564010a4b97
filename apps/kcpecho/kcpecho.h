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

/** Settings of the service; ./minimal fills them from its command line. */
struct kcpecho_config {
  u16_t port;          /**< UDP port to listen on (8000) */
  const char *profile; /**< kcptun profile: normal, fast, fast2, fast3 ("fast") */
  int wnd;             /**< send and receive window, segments (128) */
  int mtu;             /**< KCP mtu, bytes (1400) */
  u32_t idle_sec;      /**< close a session silent this long (60) */
  int max_sessions;    /**< session cap (1024) */
  /* kcp-go's datagram codec (kcp_codec.h), as kcptun sets it up */
  const char *crypt;   /**< cipher name, or NULL: plain KCP (NULL) */
  const char *key;     /**< passphrase (kcptun's default "it's a secrect") */
  int datashard;       /**< FEC data shards, 0 with parityshard 0: off (0) */
  int parityshard;     /**< FEC parity shards (0) */
};

void kcpecho_config_default(struct kcpecho_config *cfg);
/**
 * Start the service; call in the lwIP core thread.
 * @return ERR_OK; ERR_VAL for a bad setting (unknown profile, wnd outside
 *         1..32768, mtu outside 50..1500, idle 0, cap 0, a codec setting
 *         kcp_codec_config_check() refuses, or mtu plus the codec's headers
 *         over 1500); ERR_USE when it already runs or the port is taken;
 *         ERR_MEM
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
 *
 * sessions: live now. opened/closed: sessions over the service's life;
 * idle/dead: closed by the idle timeout / by a dead link. refused: new
 * sessions refused (cap reached, no memory). in/out: UDP datagrams received
 * and sent. bytes_* segs_* data_* (PUSH segments), retrans (timer),
 * fast_retrans, dup (duplicate PUSH): engine counters, summed over live and
 * closed sessions. dropped: datagrams for no session that cannot open one
 * (not a PUSH with sn 0). malformed: datagrams that do not parse as KCP.
 * send_err: datagrams lost locally (no pbuf, udp_sendto failed).
 * sess_in: datagrams taken by a session's engine, so that
 * in = malformed + dropped + refused + sess_in.
 *
 * With a codec, a second group "kcpcodec" follows (kcp_codec_stats;
 * datagrams that failed to open also count as malformed above):
 *
 *   kcpcodec: opened N crc_err N short N parity_in N parity_out N
 *   recovered N fec_bad N
 */
void kcpecho_counters(struct counters *c);

#endif /* KCPECHO_H */
