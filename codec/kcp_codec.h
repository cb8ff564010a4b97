/**
 * @file
 * kcp-go's datagram framing, between the UDP socket (or udp_pcb) and the
 * KCP engine, byte-compatible with kcp-go and kcptun:
 *
 *     | nonce (16) | CRC32 (4, LE) | payload ...                     |
 *     |<------------- encrypted with the chosen cipher ------------>|
 *
 * The CRC32 (IEEE, as zlib's) covers the payload; the nonce is random per
 * datagram. kcptun always sends this header, even with --crypt none. The
 * payload is a KCP datagram, or an FEC shard (kcp_fec.h) when FEC is on.
 *
 * Both directions work in place in the caller's buffer and allocate
 * nothing: kcp_codec_seal() fills the header room the caller left in front
 * of the payload, kcp_codec_open() leaves the payload after the header.
 * A codec is not thread-safe (its nonce generator has state): one per
 * thread, e.g. one per kcp_pcb in the lwIP core thread.
 */
#ifndef KCP_CODEC_H
#define KCP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define KCP_CODEC_NONCE_LEN  16
#define KCP_CODEC_CRC_LEN    4
/** Bytes kcp_codec_seal() puts in front of every payload. */
#define KCP_CODEC_HEADER_LEN (KCP_CODEC_NONCE_LEN + KCP_CODEC_CRC_LEN)
/** kcp-go's largest datagram (its receive buffer): a larger one is cut by
    kcp-go, so senders keep KCP's mtu plus headers within it. */
#define KCP_CODEC_MTU_LIMIT  1500

/** What kcptun's --crypt, --key, --datashard and --parityshard set. */
struct kcp_codec_config {
  const char *crypt;   /**< kcp_crypt_names() entry; kcptun's default is "aes" */
  const char *key;     /**< passphrase (kcptun's --key), derived with PBKDF2 */
  int datashard;       /**< FEC data shards, 0 with parityshard 0: FEC off */
  int parityshard;     /**< FEC parity shards */
};

/** Counters of one codec and all its links (datagrams, shards). */
struct kcp_codec_stats {
  uint32_t sealed;        /**< datagrams sealed */
  uint32_t opened;        /**< datagrams that decrypted with a good CRC */
  uint32_t short_in;      /**< dropped: shorter than the header */
  uint32_t crc_err;       /**< dropped: bad CRC (wrong key or cipher, garbage) */
  uint32_t fec_parity_out;/**< FEC parity shards sent */
  uint32_t fec_parity_in; /**< FEC parity shards received */
  uint32_t fec_recovered; /**< KCP datagrams rebuilt from parity */
  uint32_t fec_bad;       /**< malformed FEC shards, or parity with FEC off */
};

struct kcp_codec;
/** A codec's state for one peer: its FEC encoder and decoder. */
struct kcp_codec_link;

/**
 * Sends one sealed datagram (a link's output).
 * @param dgram the datagram, in the codec's scratch: valid during the call
 */
typedef void (*kcp_codec_emit_fn)(void *arg, const uint8_t *dgram, size_t len);
/** Takes one KCP datagram a link decoded (valid during the call). */
typedef void (*kcp_codec_deliver_fn)(void *arg, const uint8_t *kcp, size_t len);

int  kcp_codec_config_check(const struct kcp_codec_config *cfg, const char **why);
struct kcp_codec *kcp_codec_new(const struct kcp_codec_config *cfg);
void kcp_codec_free(struct kcp_codec *c);
const struct kcp_codec_config *kcp_codec_config_get(const struct kcp_codec *c);
size_t kcp_codec_overhead(const struct kcp_codec *c);
size_t kcp_codec_config_overhead(const struct kcp_codec_config *cfg);
void kcp_codec_seal(struct kcp_codec *c, uint8_t *dgram, size_t len);
int  kcp_codec_open(struct kcp_codec *c, uint8_t *dgram, size_t len);
void kcp_codec_stats_get(const struct kcp_codec *c, struct kcp_codec_stats *st);
const uint8_t *kcp_codec_kcp_view(const uint8_t *payload, size_t len, size_t *kcplen);

struct kcp_codec_link *kcp_codec_link_new(struct kcp_codec *c);
void kcp_codec_link_free(struct kcp_codec_link *l);
int  kcp_codec_link_send(struct kcp_codec_link *l, const void *kcp, size_t len,
                         kcp_codec_emit_fn emit, void *arg);
void kcp_codec_link_input(struct kcp_codec_link *l, const uint8_t *payload, size_t len,
                          uint32_t now_ms, kcp_codec_deliver_fn deliver, void *arg);

#endif /* KCP_CODEC_H */
