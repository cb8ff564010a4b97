/**
 * @file
 * kcp-go's forward error correction, byte-compatible with kcp-go/kcptun:
 * every KCP datagram becomes a data shard, and after each group of
 * datashard data shards come parityshard Reed-Solomon parity shards.
 *
 *     | seqid (4, LE) | type (2, LE) | size (2, LE) | KCP datagram |
 *
 * type is 0xf1 (data) or 0xf2 (parity); size is the KCP datagram's length
 * plus 2 (data shards only; in parity shards these two bytes are parity
 * too). seqids run on across groups; a group is the seqids
 * [n*(ds+ps), (n+1)*(ds+ps)). Parity is computed over the shards from the
 * size field on, zero-padded to the group's longest, with the parity rows
 * of klauspost/reedsolomon's default matrix (a Vandermonde matrix over
 * GF(2^8), polynomial 0x11d, multiplied by the inverse of its top square),
 * so the parity bytes are identical to kcp-go's.
 *
 * The arithmetic is ISA-L's (gf_mul, gf_invert_matrix, ec_encode_data);
 * only the matrix is built here, since ISA-L's own gf_gen_rs_matrix is a
 * different one. Memory is fixed when the encoder/decoder is made: no
 * allocation per datagram. A decoder keeps at most 3 * (ds + ps) shards
 * and forgets any older than 60 s, as kcp-go's does.
 */
#ifndef KCP_FEC_H
#define KCP_FEC_H

#include <stddef.h>
#include <stdint.h>

/** Bytes of the FEC header, size field included. */
#define KCP_FEC_HEADER_LEN  8
#define KCP_FEC_TYPE_DATA   0xf1
#define KCP_FEC_TYPE_PARITY 0xf2
/** Largest ds + ps accepted (bounds a session's FEC memory). */
#define KCP_FEC_MAX_SHARDS  128
/** Largest shard, FEC header included (kcp-go's datagram limit). */
#define KCP_FEC_SHARD_MAX   1500

struct kcp_fec_encoder;
struct kcp_fec_decoder;

/** Counters of a decoder (shards). */
struct kcp_fec_stats {
  uint32_t data_in;     /**< data shards taken */
  uint32_t parity_in;   /**< parity shards taken */
  uint32_t dup;         /**< shards already held: ignored */
  uint32_t recovered;   /**< data shards rebuilt from parity */
  uint32_t short_shards;/**< data shards given up (group never completed) */
  uint32_t bad;         /**< malformed: too short, too long, unknown type */
};

int kcp_fec_shards_check(int datashard, int parityshard, const char **why);
int kcp_fec_is_shard(const uint8_t *dgram, size_t len);

struct kcp_fec_encoder *kcp_fec_encoder_new(int datashard, int parityshard, size_t headroom);
void kcp_fec_encoder_free(struct kcp_fec_encoder *enc);
int  kcp_fec_encode(struct kcp_fec_encoder *enc, uint8_t *dgram, size_t len);
uint8_t *kcp_fec_parity(struct kcp_fec_encoder *enc, int i, size_t *len);

struct kcp_fec_decoder *kcp_fec_decoder_new(int datashard, int parityshard);
void kcp_fec_decoder_free(struct kcp_fec_decoder *dec);
int  kcp_fec_decode(struct kcp_fec_decoder *dec, const uint8_t *shard, size_t len,
                    uint32_t now_ms);
const uint8_t *kcp_fec_recovered(const struct kcp_fec_decoder *dec, int i, size_t *len);
void kcp_fec_stats_get(const struct kcp_fec_decoder *dec, struct kcp_fec_stats *st);

#endif /* KCP_FEC_H */
