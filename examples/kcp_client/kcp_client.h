/**
 * @file
 * kcp_client: the host-side client of the kcpecho service. This header holds
 * what the parts share: the settings parsed from the command line
 * (kcpc_args.c) and the entry points of the two modes (interactive and
 * benchmark).
 */
#ifndef KCP_CLIENT_H
#define KCP_CLIENT_H

#include <stdint.h>
#include <sys/socket.h>

#include "ikcp.h"

struct kcp_codec;

/** Exit status of a dead session or a failed check. */
#define KCPC_EXIT_FAIL  1
/** Exit status of a bad command line. */
#define KCPC_EXIT_USAGE 2

/** Defaults, also shown by the usage text. */
#define KCPC_DEFAULT_HOST     "192.168.0.2"
#define KCPC_DEFAULT_PORT     8000
#define KCPC_DEFAULT_TCP_PORT 7
#define KCPC_DEFAULT_WND      128
#define KCPC_DEFAULT_MTU      1400
#define KCPC_DEFAULT_COUNT    1000
#define KCPC_DEFAULT_SIZE     1024
#define KCPC_DEFAULT_TIMEOUT  10
#define KCPC_DEFAULT_RECONNECTS 10
/** kcptun's defaults for --crypt and --key. */
#define KCPC_DEFAULT_CRYPT    "aes"
#define KCPC_DEFAULT_KEY      "it's a secrect"
/** Most parallel clients; also the conv step between a client's successive
 *  sessions (--reconnect), so that no two sessions of a run share a conv. */
#define KCPC_CLIENTS_MAX      1000u

/** A KCP message may have at most this many fragments (frg counts down from 126). */
#define KCPC_KCP_MAX_FRAGMENTS (IKCP_FRG_MAX - 1)
/** The echo comes back in the server's segments: ./minimal's default
 *  --kcp-mtu. A message must fit in 127 of its fragments too, or the server
 *  cannot send the echo and closes the session. */
#define KCPC_ECHO_MTU 1400
/** Largest message in stream and TCP modes, where fragments do not limit it. */
#define KCPC_STREAM_MSG_MAX (1024u * 1024u)

/** Everything the command line sets; filled once by main, read-only afterwards. */
struct kcpc_config {
  int help;                     /**< -h: print the usage, nothing else */
  int version;                  /**< --version: print the version, nothing else */
  struct sockaddr_storage addr; /**< the server, resolved */
  socklen_t addrlen;
  char peer[128];               /**< "host:port" for messages */
  int tcp;                      /**< talk to the TCP echo instead of KCP */
  int bench;                    /**< benchmark instead of interactive */
  int json;                     /**< report as one JSON object */
  int sha256;                   /**< report SHA-256 of the bytes sent and echoed */
  int stream;                   /**< KCP stream mode (TCP always is) */
  int reconnect;                /**< replace a dead session and resend */
  unsigned max_reconnects;      /**< per client, so a vanished server ends the run */
  uint32_t conv;                /**< conversation id of client 0 */
  int conv_set;                 /**< --conv given; else main picks conv at random */
  const char *profile;          /**< kcptun profile name */
  const char *cc;               /**< congestion control module (ikcp_cc_find()) */
  unsigned wnd;                 /**< send and receive window, segments */
  unsigned mtu;                 /**< KCP mtu, bytes */
  uint64_t count;               /**< messages per client; UINT64_MAX with only --duration */
  uint32_t size_min, size_max;  /**< message size range, bytes */
  unsigned interval_ms;         /**< pause between a client's messages; 0: window-bound */
  unsigned duration_s;          /**< stop sending after this long; 0: no limit */
  unsigned clients;             /**< parallel sessions */
  unsigned timeout_s;           /**< silence that declares a session dead */
  uint64_t seed;                /**< seeds sizes and contents */
  /* kcp-go's datagram codec (kcp_codec.h), on when any of its options is given */
  int codec_on;                 /**< --crypt, --key, --ds or --ps given */
  const char *crypt;            /**< --crypt (default kcptun's "aes") */
  const char *key;              /**< --key (default kcptun's) */
  unsigned ds, ps;              /**< --ds/--ps FEC shards (default 0/0: off) */
  struct kcp_codec *codec;      /**< made by main from the above, or NULL */
};

/** The largest message the configuration can carry in one piece. */
uint32_t kcpc_msg_max(const struct kcpc_config *cfg);

/** Run the interactive mode; returns the exit status. */
int kcpc_interactive_run(const struct kcpc_config *cfg);
/** Run the benchmark; returns the exit status. */
int kcpc_bench_run(const struct kcpc_config *cfg);

#endif /* KCP_CLIENT_H */
