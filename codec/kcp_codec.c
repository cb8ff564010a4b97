/**
 * @file
 * kcp-go's datagram framing: nonce + CRC32 + whole-datagram encryption
 * (see kcp_codec.h). The CRC is ISA-L's (zlib's reflected CRC32 IEEE); the
 * nonces come from AES-128 in a feedback chain keyed with random bytes
 * from libsodium, as kcp-go makes its own, so no system call is made per
 * datagram.
 */
#include "kcp_codec.h"
#include "kcp_crypt.h"
#include "kcp_fec.h"

#include <mbedtls/aes.h>
#include <isa-l/crc.h>
#include <sodium.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct kcp_codec {
  struct kcp_codec_config cfg;     /* key NULL: not kept */
  struct kcp_crypt *crypt;
  mbedtls_aes_context nonce_aes;
  uint8_t nonce[KCP_CODEC_NONCE_LEN];
  struct kcp_codec_stats stats;
  /* where links build a datagram: header, FEC header, KCP datagram */
  uint8_t tx[KCP_CODEC_MTU_LIMIT];
};

struct kcp_codec_link {
  struct kcp_codec *codec;
  struct kcp_fec_encoder *enc;     /* NULL: FEC off */
  struct kcp_fec_decoder *dec;
};

static uint32_t
kcp_codec_rd32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/**
 * Checks a configuration without building anything.
 * @param why receives a message for the user when it is refused
 * @return 0 if kcp_codec_new() would accept it, -1 otherwise
 */
int
kcp_codec_config_check(const struct kcp_codec_config *cfg, const char **why)
{
  if (!kcp_crypt_valid_name(cfg->crypt)) {
    *why = "unknown cipher";
    return -1;
  }
  if (cfg->key == NULL) {
    *why = "no key";
    return -1;
  }
  return kcp_fec_shards_check(cfg->datashard, cfg->parityshard, why);
}

/**
 * Builds a codec: derives the key (PBKDF2, milliseconds) and sets up the
 * cipher and the nonce generator.
 * @return the codec, or NULL with errno EINVAL (bad configuration), ENOMEM
 *         or EIO (a library failed)
 */
struct kcp_codec *
kcp_codec_new(const struct kcp_codec_config *cfg)
{
  uint8_t key[KCP_CRYPT_KEY_LEN], nkey[16];
  struct kcp_codec *c;
  const char *why;

  if (kcp_codec_config_check(cfg, &why) != 0) {
    errno = EINVAL;
    return NULL;
  }
  if (sodium_init() < 0) {
    errno = EIO;
    return NULL;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  kcp_crypt_derive_key(cfg->key, key);
  c->crypt = kcp_crypt_new(cfg->crypt, key);
  sodium_memzero(key, sizeof(key));
  if (c->crypt == NULL) {
    int e = errno;
    free(c);
    errno = e;
    return NULL;
  }
  c->cfg = *cfg;
  c->cfg.crypt = kcp_crypt_name(c->crypt);
  c->cfg.key = NULL;
  randombytes_buf(nkey, sizeof(nkey));
  randombytes_buf(c->nonce, sizeof(c->nonce));
  mbedtls_aes_init(&c->nonce_aes);
  mbedtls_aes_setkey_enc(&c->nonce_aes, nkey, 128);
  sodium_memzero(nkey, sizeof(nkey));
  return c;
}

/** Frees a codec (NULL is ignored). */
void
kcp_codec_free(struct kcp_codec *c)
{
  if (c == NULL) {
    return;
  }
  kcp_crypt_free(c->crypt);
  mbedtls_aes_free(&c->nonce_aes);
  sodium_memzero(c, sizeof(*c));
  free(c);
}

/** @return the codec's configuration (its key member is NULL). */
const struct kcp_codec_config *
kcp_codec_config_get(const struct kcp_codec *c)
{
  return &c->cfg;
}

/**
 * @return bytes the codec adds in front of each KCP datagram: the nonce and
 *         CRC, plus the FEC header when FEC is on. KCP's mtu plus this must
 *         stay within KCP_CODEC_MTU_LIMIT for kcp-go peers.
 */
size_t
kcp_codec_overhead(const struct kcp_codec *c)
{
  return kcp_codec_config_overhead(&c->cfg);
}

/** kcp_codec_overhead() of the codec a configuration would make. */
size_t
kcp_codec_config_overhead(const struct kcp_codec_config *cfg)
{
  return KCP_CODEC_HEADER_LEN + (cfg->datashard > 0 ? KCP_FEC_HEADER_LEN : 0);
}

/**
 * Seals a datagram in place: writes a fresh nonce and the payload's CRC
 * into its first KCP_CODEC_HEADER_LEN bytes, then encrypts all of it.
 * @param dgram header room followed by the payload
 * @param len bytes of dgram, header included (>= KCP_CODEC_HEADER_LEN)
 */
void
kcp_codec_seal(struct kcp_codec *c, uint8_t *dgram, size_t len)
{
  uint32_t crc;

  mbedtls_aes_crypt_ecb(&c->nonce_aes, MBEDTLS_AES_ENCRYPT, c->nonce, c->nonce);
  memcpy(dgram, c->nonce, KCP_CODEC_NONCE_LEN);
  crc = crc32_gzip_refl(0, dgram + KCP_CODEC_HEADER_LEN, len - KCP_CODEC_HEADER_LEN);
  dgram[KCP_CODEC_NONCE_LEN] = (uint8_t)crc;
  dgram[KCP_CODEC_NONCE_LEN + 1] = (uint8_t)(crc >> 8);
  dgram[KCP_CODEC_NONCE_LEN + 2] = (uint8_t)(crc >> 16);
  dgram[KCP_CODEC_NONCE_LEN + 3] = (uint8_t)(crc >> 24);
  kcp_crypt_encrypt(c->crypt, dgram, dgram, len);
  c->stats.sealed++;
}

/**
 * Opens a received datagram in place: decrypts it and checks its CRC.
 * @return the payload's length (it starts at dgram + KCP_CODEC_HEADER_LEN),
 *         or -1 if the datagram is too short or its CRC is wrong (counted;
 *         its bytes are then garbage)
 */
int
kcp_codec_open(struct kcp_codec *c, uint8_t *dgram, size_t len)
{
  if (len < KCP_CODEC_HEADER_LEN) {
    c->stats.short_in++;
    return -1;
  }
  kcp_crypt_decrypt(c->crypt, dgram, dgram, len);
  if (crc32_gzip_refl(0, dgram + KCP_CODEC_HEADER_LEN, len - KCP_CODEC_HEADER_LEN) !=
      kcp_codec_rd32(dgram + KCP_CODEC_NONCE_LEN)) {
    c->stats.crc_err++;
    return -1;
  }
  c->stats.opened++;
  return (int)(len - KCP_CODEC_HEADER_LEN);
}

/** Copies the codec's counters. */
void
kcp_codec_stats_get(const struct kcp_codec *c, struct kcp_codec_stats *st)
{
  *st = c->stats;
}

/**
 * Finds the KCP datagram in an opened payload without decoding anything:
 * a plain KCP datagram, or the one an FEC data shard carries.
 * @return the KCP datagram (its first bytes give conv and cmd), or NULL for
 *         a parity shard or a shard too short to carry one
 */
const uint8_t *
kcp_codec_kcp_view(const uint8_t *payload, size_t len, size_t *kcplen)
{
  if (!kcp_fec_is_shard(payload, len)) {
    *kcplen = len;
    return payload;
  }
  if (payload[4] != KCP_FEC_TYPE_DATA || len < KCP_FEC_HEADER_LEN) {
    return NULL;
  }
  *kcplen = len - KCP_FEC_HEADER_LEN;
  return payload + KCP_FEC_HEADER_LEN;
}

/**
 * Makes the per-peer state of a codec: with FEC on, an encoder and a
 * decoder (about (4 * (ds + ps) + ds) * 1.5 KB, e.g. 95 KB at 10/3).
 * @return the link, or NULL with errno ENOMEM
 */
struct kcp_codec_link *
kcp_codec_link_new(struct kcp_codec *c)
{
  struct kcp_codec_link *l = calloc(1, sizeof(*l));

  if (l == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  l->codec = c;
  if (c->cfg.datashard > 0) {
    l->enc = kcp_fec_encoder_new(c->cfg.datashard, c->cfg.parityshard, KCP_CODEC_HEADER_LEN);
    l->dec = kcp_fec_decoder_new(c->cfg.datashard, c->cfg.parityshard);
    if (l->enc == NULL || l->dec == NULL) {
      kcp_codec_link_free(l);
      errno = ENOMEM;
      return NULL;
    }
  }
  return l;
}

/** Frees a link (NULL is ignored). */
void
kcp_codec_link_free(struct kcp_codec_link *l)
{
  if (l != NULL) {
    kcp_fec_encoder_free(l->enc);
    kcp_fec_decoder_free(l->dec);
    free(l);
  }
}

/**
 * Sends one KCP datagram through the codec: as an FEC data shard when FEC
 * is on (followed by the group's parity shards when it completes one),
 * each sealed and passed to emit.
 * @return 0, or -1 if the datagram with the codec's headers would exceed
 *         KCP_CODEC_MTU_LIMIT (nothing sent: kcp-go would cut it)
 */
int
kcp_codec_link_send(struct kcp_codec_link *l, const void *kcp, size_t len,
                    kcp_codec_emit_fn emit, void *arg)
{
  struct kcp_codec *c = l->codec;
  size_t off = kcp_codec_overhead(c), plen;
  int np, i;

  if (len > sizeof(c->tx) - off) {
    return -1;
  }
  memcpy(c->tx + off, kcp, len);
  np = l->enc != NULL ? kcp_fec_encode(l->enc, c->tx, off + len) : 0;
  kcp_codec_seal(c, c->tx, off + len);
  emit(arg, c->tx, off + len);
  for (i = 0; i < np; i++) {
    uint8_t *p = kcp_fec_parity(l->enc, i, &plen);
    kcp_codec_seal(c, p, plen);
    c->stats.fec_parity_out++;
    emit(arg, p, plen);
  }
  return 0;
}

/**
 * Takes one opened payload (kcp_codec_open()) from the link's peer and
 * delivers the KCP datagrams it yields: the datagram itself, an FEC data
 * shard's datagram, and any lost ones its group now rebuilds. Shards from
 * a peer with FEC while ours is off: data shards are delivered (as kcp-go
 * does), parity counted and dropped.
 * @param now_ms a millisecond clock (the decoder's 60 s expiry)
 */
void
kcp_codec_link_input(struct kcp_codec_link *l, const uint8_t *payload, size_t len,
                     uint32_t now_ms, kcp_codec_deliver_fn deliver, void *arg)
{
  struct kcp_codec *c = l->codec;
  const uint8_t *kcp;
  size_t klen;
  int n, i;

  if (!kcp_fec_is_shard(payload, len)) {
    deliver(arg, payload, len);
    return;
  }
  if (len < KCP_FEC_HEADER_LEN || (l->dec == NULL && payload[4] != KCP_FEC_TYPE_DATA)) {
    c->stats.fec_bad++;
    return;
  }
  if (payload[4] == KCP_FEC_TYPE_PARITY) {
    c->stats.fec_parity_in++;
  }
  n = l->dec != NULL ? kcp_fec_decode(l->dec, payload, len, now_ms) : 0;
  kcp = kcp_codec_kcp_view(payload, len, &klen);
  if (kcp != NULL) {
    deliver(arg, kcp, klen);
  }
  for (i = 0; i < n; i++) {
    kcp = kcp_fec_recovered(l->dec, i, &klen);
    c->stats.fec_recovered++;
    deliver(arg, kcp, klen);
  }
}
