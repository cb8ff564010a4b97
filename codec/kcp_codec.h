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

/** Counters of one codec (datagrams). */
struct kcp_codec_stats {
  uint32_t sealed;     /**< datagrams sealed */
  uint32_t opened;     /**< datagrams that decrypted with a good CRC */
  uint32_t short_in;   /**< dropped: shorter than the header */
  uint32_t crc_err;    /**< dropped: bad CRC (wrong key or cipher, garbage) */
};

struct kcp_codec;

int  kcp_codec_config_check(const struct kcp_codec_config *cfg, const char **why);
struct kcp_codec *kcp_codec_new(const struct kcp_codec_config *cfg);
void kcp_codec_free(struct kcp_codec *c);
const struct kcp_codec_config *kcp_codec_config_get(const struct kcp_codec *c);
size_t kcp_codec_overhead(const struct kcp_codec *c);
void kcp_codec_seal(struct kcp_codec *c, uint8_t *dgram, size_t len);
int  kcp_codec_open(struct kcp_codec *c, uint8_t *dgram, size_t len);
void kcp_codec_stats_get(const struct kcp_codec *c, struct kcp_codec_stats *st);

#endif /* KCP_CODEC_H */
