/**
 * @file
 * kcptun on lwIP's raw API, either role.
 * Server: KCP sessions from kcptun clients on one UDP port, each carrying a
 * smux session (optionally inside kcptun's snappy framed compression);
 * every smux stream becomes a TCP connection through lwIP to the one target
 * fixed by configuration (a tunnel is never an open proxy), or is served by
 * the in-process echo. Client: every TCP connection accepted on a local
 * port becomes a smux stream of one KCP session to a kcptun server (opened
 * on demand, again after it died; with conn N, N sessions take new streams
 * in turn); streams the server opens are refused.
 *
 * Runs in the lwIP core thread. Memory is bounded: a session cap (the
 * binding's), a stream cap per session and in total, and per stream at most
 * one TCP window of target data waiting for the KCP send queue, or
 * KCPTUN_ECHO_BUF bytes for the echo. Back-pressure: a stream whose TCP side
 * has no send buffer stops the smux parser of its session, which leaves the
 * data in KCP and closes its receive window; target data is acknowledged
 * to TCP (tcp_recved) only once it is in the KCP send queue, and version 2
 * sends only within the peer's stream window.
 *
 * Datagrams go through kcp-go's codec (kcp_codec.h: nonce, CRC32, cipher,
 * FEC) set on the binding's pcb, as kcptun always has one (also with
 * --crypt none); a NULL crypt leaves raw KCP, kcp-go with no block.
 */
#ifndef KCPTUN_H
#define KCPTUN_H

#include "lwip/arch.h"
#include "lwip/err.h"
#include "lwip/ip_addr.h"

struct counters;

/** Streams served at once, per session and in total. */
#define KCPTUN_MAX_STREAMS_PER_SESSION 256
#define KCPTUN_MAX_STREAMS 4096
/** Bytes the echo target holds per stream before it stops reading (one
 *  pbuf chain: its tot_len is 16 bits). */
#define KCPTUN_ECHO_BUF 65535
/** Smux version 2: bytes held, over all streams, for streams whose TCP
 *  side is full (each within its window, each session within smuxbuf);
 *  past it a session stops reading, as in version 1. */
#define KCPTUN_HOLD_MAX (32UL * 1024 * 1024)
/** PSH payload per frame we send (smux allows up to 65535). */
#define KCPTUN_FRAME 8192
/** Client role: most KCP sessions kept open to the server (--conn). */
#define KCPTUN_MAX_CONN 64
/** Client role: longest autoexpire and scavengettl (s), so that their sum
 *  in milliseconds stays within sys_now()'s half range. */
#define KCPTUN_MAX_EXPIRE 1000000

/** Settings, named and defaulted as kcptun's flags. The role is the
 *  server's when listen_port is set, the client's when remote_port is. */
struct kcptun_config {
  u16_t listen_port;     /**< server: UDP port to accept kcptun clients on */
  int target_echo;       /**< server: 1 serves streams with the echo */
  ip_addr_t target_ip;   /**< server: else the TCP target of every stream */
  u16_t target_port;
  ip_addr_t remote_ip;   /**< client: the kcptun server */
  u16_t remote_port;
  u16_t local_port;      /**< client: TCP port whose connections become streams */
  const char *crypt;     /**< kcp-go's cipher (kcp_crypt_names()), "aes"; or
                              NULL: raw KCP datagrams, no codec (not kcptun's) */
  const char *key;       /**< "it's a secrect" */
  int datashard;         /**< FEC data shards, 10 */
  int parityshard;       /**< FEC parity shards, 3 */
  const char *mode;      /**< fast3, fast2, fast, normal or manual */
  int nodelay, interval, resend, nc; /**< manual mode's engine settings */
  int mtu;               /**< 1350 */
  int sndwnd, rcvwnd;    /**< server 1024, 1024; client 128, 512 (0: the role's) */
  int nocomp;            /**< 0: snappy framed compression on */
  int acknodelay;        /**< 0: ACKs wait for the next interval's flush */
  int smuxver;           /**< 1 or 2 */
  u32_t smuxbuf;         /**< 4194304: session receive buffer (v1 bound) */
  u32_t streambuf;       /**< 2097152: version 2 stream window */
  u32_t keepalive;       /**< 10 s between NOPs; 3 missed close a session */
  u32_t max_sessions;    /**< 1024 (client role: its own sessions in all) */
  int conn;              /**< client: KCP sessions new streams are spread
                              over in turn, each from a UDP port of its own, 1 */
  u32_t autoexpire;      /**< client: s after which a session takes no new
                              stream (a new one takes its turn), 0: never */
  u32_t scavengettl;     /**< client, with autoexpire: s an expired session
                              still serves its streams before it closes, 600 */
};

void  kcptun_config_default(struct kcptun_config *cfg);
err_t kcptun_init(const struct kcptun_config *cfg);
void  kcptun_counters(struct counters *c);

#endif /* KCPTUN_H */
