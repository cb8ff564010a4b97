/**
 * @file
 * kcp-go's BlockCrypt ciphers on library primitives (see kcp_crypt.h).
 *
 * Where each primitive comes from:
 * - libgcrypt: AES (aes, aes-128, aes-192), Blowfish, Twofish, CAST5,
 *   3DES and SM4, in libgcrypt's own CFB mode, which is kcp-go's: a whole
 *   datagram in one call. mbedTLS 2.28 has AES, Blowfish and 3DES too, but
 *   only a block at a time (and no Twofish, CAST5, SM4); libgcrypt decrypts
 *   CFB several blocks at once with AES-NI, and a server mostly decrypts:
 *   build/bench/codec_bench's aes seal+open went from 3.7 to 1.6 us per
 *   1372-byte datagram;
 * - mbedTLS: XTEA, and the PBKDF2-HMAC-SHA1 of the key derivation and of
 *   xor's table;
 * - libsodium: Salsa20 (64-bit nonce, block counter from 0);
 * - by hand: TEA, which no Debian C library offers; kcp-go uses it with 16
 *   rounds (8 cycles) instead of TEA's usual 64; and the CFB mode around
 *   XTEA and TEA.
 */
#include "kcp_crypt.h"

#include <mbedtls/xtea.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <gcrypt.h>
#include <sodium.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/** kcptun's PBKDF2 parameters for its --key. */
#define KCP_CRYPT_SALT       "kcp-go"
#define KCP_CRYPT_ITER       4096
/** kcp-go's PBKDF2 parameters for xor's table, and the table's length
    (kcp-go's largest datagram: bytes past it are sent in clear). */
#define KCP_CRYPT_XOR_SALT   "sH3CIVoF#rWLtJo6"
#define KCP_CRYPT_XOR_ITER   32
#define KCP_CRYPT_XOR_LEN    1500
/** TEA's rounds as kcp-go configures it (two per cycle). */
#define KCP_CRYPT_TEA_ROUNDS 16
#define KCP_CRYPT_TEA_DELTA  0x9e3779b9UL

/** kcp-go's fixed CFB initial vector. */
static const uint8_t kcp_crypt_iv[16] = {
  167, 115, 79, 156, 18, 172, 27, 1, 164, 21, 242, 193, 252, 120, 230, 107
};

enum kcp_crypt_kind {
  KCP_CRYPT_NONE, KCP_CRYPT_XOR, KCP_CRYPT_SALSA20,
  KCP_CRYPT_XTEA,
  KCP_CRYPT_GCRY, KCP_CRYPT_TEA
};

/** One row per kcptun --crypt name: the bytes of the derived key it uses. */
struct kcp_crypt_info {
  const char *name;
  enum kcp_crypt_kind kind;
  size_t keylen;
  int gcry_algo;   /* for KCP_CRYPT_GCRY */
};

static const struct kcp_crypt_info kcp_crypt_table[] = {
  { "aes",      KCP_CRYPT_GCRY,     32, GCRY_CIPHER_AES256 },
  { "aes-128",  KCP_CRYPT_GCRY,     16, GCRY_CIPHER_AES128 },
  { "aes-192",  KCP_CRYPT_GCRY,     24, GCRY_CIPHER_AES192 },
  { "salsa20",  KCP_CRYPT_SALSA20,  32, 0 },
  { "blowfish", KCP_CRYPT_GCRY,     32, GCRY_CIPHER_BLOWFISH },
  { "twofish",  KCP_CRYPT_GCRY,     32, GCRY_CIPHER_TWOFISH },
  { "cast5",    KCP_CRYPT_GCRY,     16, GCRY_CIPHER_CAST5 },
  { "3des",     KCP_CRYPT_GCRY,     24, GCRY_CIPHER_3DES },
  { "tea",      KCP_CRYPT_TEA,      16, 0 },
  { "xtea",     KCP_CRYPT_XTEA,     16, 0 },
  { "xor",      KCP_CRYPT_XOR,      32, 0 },
  { "sm4",      KCP_CRYPT_GCRY,     16, GCRY_CIPHER_SM4 },
  { "none",     KCP_CRYPT_NONE,      0, 0 },
};
#define KCP_CRYPT_COUNT (sizeof(kcp_crypt_table) / sizeof(kcp_crypt_table[0]))

struct kcp_crypt {
  const struct kcp_crypt_info *info;
  size_t bs;                       /* a libgcrypt cipher's block (IV) size */
  union {
    mbedtls_xtea_context xtea;
    gcry_cipher_hd_t gcry;
    uint32_t tea[4];
    uint8_t salsa[32];
    uint8_t xortbl[KCP_CRYPT_XOR_LEN];
  } u;
};

/** PBKDF2-HMAC-SHA1 with mbedTLS; cannot fail with SHA-1 built in. */
static void
kcp_crypt_pbkdf2(const uint8_t *pass, size_t plen, const char *salt,
                 unsigned iter, uint8_t *out, size_t outlen)
{
  mbedtls_md_context_t md;

  mbedtls_md_init(&md);
  mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), 1);
  mbedtls_pkcs5_pbkdf2_hmac(&md, pass, plen, (const uint8_t *)salt, strlen(salt),
                            iter, (uint32_t)outlen, out);
  mbedtls_md_free(&md);
}

/**
 * Derives the 32-byte key from a passphrase as kcptun does for --key
 * (PBKDF2-HMAC-SHA1, salt "kcp-go", 4096 iterations). Slow on purpose
 * (milliseconds): call it once per configuration, not per session.
 * @param passphrase NUL-terminated, as given on kcptun's command line
 * @param key receives the key every cipher takes its bytes from
 */
void
kcp_crypt_derive_key(const char *passphrase, uint8_t key[KCP_CRYPT_KEY_LEN])
{
  kcp_crypt_pbkdf2((const uint8_t *)passphrase, strlen(passphrase),
                   KCP_CRYPT_SALT, KCP_CRYPT_ITER, key, KCP_CRYPT_KEY_LEN);
}

static const struct kcp_crypt_info *
kcp_crypt_find(const char *name)
{
  size_t i;

  for (i = 0; name != NULL && i < KCP_CRYPT_COUNT; i++) {
    if (strcmp(kcp_crypt_table[i].name, name) == 0) {
      return &kcp_crypt_table[i];
    }
  }
  return NULL;
}

/** @return 1 if name is one of kcptun's --crypt names, else 0. */
int
kcp_crypt_valid_name(const char *name)
{
  return kcp_crypt_find(name) != NULL;
}

/** @return the --crypt names, space-separated, for usage messages. */
const char *
kcp_crypt_names(void)
{
  return "aes aes-128 aes-192 salsa20 blowfish twofish cast5 3des tea xtea xor sm4 none";
}

/** libgcrypt wants to be initialised once before use; done here only if
    the program has not done it itself. */
static int
kcp_crypt_gcry_init(void)
{
  if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
    if (gcry_check_version(NULL) == NULL) {
      return -1;
    }
    gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
  }
  return 0;
}

static int
kcp_crypt_setup(struct kcp_crypt *c, const uint8_t *key)
{
  const struct kcp_crypt_info *in = c->info;
  unsigned i;
  gcry_error_t err;

  switch (in->kind) {
  case KCP_CRYPT_NONE:
    return 0;
  case KCP_CRYPT_XOR:
    kcp_crypt_pbkdf2(key, in->keylen, KCP_CRYPT_XOR_SALT, KCP_CRYPT_XOR_ITER,
                     c->u.xortbl, sizeof(c->u.xortbl));
    return 0;
  case KCP_CRYPT_SALSA20:
    memcpy(c->u.salsa, key, sizeof(c->u.salsa));
    return sodium_init() < 0 ? -1 : 0;
  case KCP_CRYPT_XTEA:
    mbedtls_xtea_init(&c->u.xtea);
    mbedtls_xtea_setup(&c->u.xtea, key);
    return 0;
  case KCP_CRYPT_GCRY:
    c->bs = gcry_cipher_get_algo_blklen(in->gcry_algo);
    if (kcp_crypt_gcry_init() != 0 ||
        gcry_cipher_open(&c->u.gcry, in->gcry_algo, GCRY_CIPHER_MODE_CFB, 0) != 0) {
      return -1;
    }
    /* kcp-go (Go's crypto/des and blowfish) takes any key; libgcrypt
     * refuses DES and Blowfish keys it calls weak unless told to take
     * them, and then still says so while it sets the key. */
    gcry_cipher_ctl(c->u.gcry, GCRYCTL_SET_ALLOW_WEAK_KEY, NULL, 1);
    err = gcry_cipher_setkey(c->u.gcry, key, in->keylen);
    if (err != 0 && gpg_err_code(err) != GPG_ERR_WEAK_KEY) {
      gcry_cipher_close(c->u.gcry);
      return -1;
    }
    return 0;
  case KCP_CRYPT_TEA:
    for (i = 0; i < 4; i++) {
      c->u.tea[i] = (uint32_t)key[4 * i] << 24 | (uint32_t)key[4 * i + 1] << 16 |
                    (uint32_t)key[4 * i + 2] << 8 | key[4 * i + 3];
    }
    return 0;
  }
  return -1;
}

/**
 * Makes a cipher context: kcptun's --crypt name on the derived key.
 * @param name one of kcp_crypt_names()
 * @param key from kcp_crypt_derive_key(); each cipher takes the bytes
 *        kcptun gives it (e.g. aes-128 the first 16)
 * @return the context, or NULL with errno EINVAL (unknown name) or ENOMEM
 *         or EIO (a library refused the key)
 */
struct kcp_crypt *
kcp_crypt_new(const char *name, const uint8_t key[KCP_CRYPT_KEY_LEN])
{
  const struct kcp_crypt_info *in = kcp_crypt_find(name);
  struct kcp_crypt *c;

  if (in == NULL) {
    errno = EINVAL;
    return NULL;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  c->info = in;
  if (kcp_crypt_setup(c, key) != 0) {
    free(c);
    errno = EIO;
    return NULL;
  }
  return c;
}

/** Frees a context from kcp_crypt_new() (NULL is ignored), wiping keys. */
void
kcp_crypt_free(struct kcp_crypt *c)
{
  if (c == NULL) {
    return;
  }
  switch (c->info->kind) {
  case KCP_CRYPT_XTEA:     mbedtls_xtea_free(&c->u.xtea); break;
  case KCP_CRYPT_GCRY:     gcry_cipher_close(c->u.gcry); break;
  default: break;
  }
  sodium_memzero(c, sizeof(*c));
  free(c);
}

/** @return the context's --crypt name. */
const char *
kcp_crypt_name(const struct kcp_crypt *c)
{
  return c->info->name;
}

/** TEA encryption of one 8-byte big-endian block, kcp-go's round count. */
static void
kcp_crypt_tea_block(const uint32_t k[4], const uint8_t in[8], uint8_t out[8])
{
  uint32_t v0 = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
  uint32_t v1 = (uint32_t)in[4] << 24 | (uint32_t)in[5] << 16 | (uint32_t)in[6] << 8 | in[7];
  uint32_t sum = 0;
  int i;

  for (i = 0; i < KCP_CRYPT_TEA_ROUNDS / 2; i++) {
    sum += (uint32_t)KCP_CRYPT_TEA_DELTA;
    v0 += ((v1 << 4) + k[0]) ^ (v1 + sum) ^ ((v1 >> 5) + k[1]);
    v1 += ((v0 << 4) + k[2]) ^ (v0 + sum) ^ ((v0 >> 5) + k[3]);
  }
  for (i = 0; i < 4; i++) {
    out[i] = (uint8_t)(v0 >> (24 - 8 * i));
    out[4 + i] = (uint8_t)(v1 >> (24 - 8 * i));
  }
}

/** The forward direction on one block of the ciphers libgcrypt lacks (CFB
    needs only it). */
static void
kcp_crypt_block(struct kcp_crypt *c, const uint8_t *in, uint8_t *out)
{
  switch (c->info->kind) {
  case KCP_CRYPT_XTEA:
    mbedtls_xtea_crypt_ecb(&c->u.xtea, MBEDTLS_XTEA_ENCRYPT, in, out);
    break;
  case KCP_CRYPT_TEA:
    kcp_crypt_tea_block(c->u.tea, in, out);
    break;
  default:
    break;
  }
}

/** The block size of the ciphers kcp_crypt_cfb() serves (XTEA, TEA). */
#define KCP_CRYPT_BS8 8

/**
 * kcp-go's CFB for the ciphers libgcrypt lacks: keystream block 0 is
 * E(IV), block i+1 is E(ciphertext block i); a trailing partial block is
 * XORed with the next keystream block. It is libgcrypt's CFB mode, which
 * serves every other block cipher. Safe in place (dst == src).
 */
static void
kcp_crypt_cfb(struct kcp_crypt *c, uint8_t *dst, const uint8_t *src, size_t len, int decrypt)
{
  uint8_t ks[KCP_CRYPT_BS8], ct[KCP_CRYPT_BS8];
  size_t off, i;

  kcp_crypt_block(c, kcp_crypt_iv, ks);
  for (off = 0; off < len; off += KCP_CRYPT_BS8) {
    size_t n = len - off < KCP_CRYPT_BS8 ? len - off : KCP_CRYPT_BS8;
    for (i = 0; i < n; i++) {
      uint8_t in = src[off + i];
      dst[off + i] = (uint8_t)(in ^ ks[i]);
      ct[i] = decrypt ? in : dst[off + i];
    }
    if (n == KCP_CRYPT_BS8) {
      kcp_crypt_block(c, ct, ks);
    }
  }
}

static void
kcp_crypt_apply(struct kcp_crypt *c, uint8_t *dst, const uint8_t *src, size_t len,
                int decrypt)
{
  size_t i, n;

  switch (c->info->kind) {
  case KCP_CRYPT_NONE:
    if (dst != src) {
      memmove(dst, src, len);
    }
    break;
  case KCP_CRYPT_XOR:
    n = len < sizeof(c->u.xortbl) ? len : sizeof(c->u.xortbl);
    for (i = 0; i < n; i++) {
      dst[i] = (uint8_t)(src[i] ^ c->u.xortbl[i]);
    }
    if (dst != src && len > n) {
      memmove(dst + n, src + n, len - n);
    }
    break;
  case KCP_CRYPT_SALSA20:
    if (len >= 8) {
      if (dst != src) {
        memmove(dst, src, 8);
      }
      crypto_stream_salsa20_xor(dst + 8, src + 8, len - 8, src, c->u.salsa);
    } else if (dst != src) {
      /* kcp-go never sends such a datagram; left in clear */
      memmove(dst, src, len);
    }
    break;
  case KCP_CRYPT_GCRY:
    /* libgcrypt's own CFB is kcp-go's: whole datagram, one call */
    gcry_cipher_setiv(c->u.gcry, kcp_crypt_iv, c->bs);
    if (dst != src) {
      memmove(dst, src, len);
    }
    if (decrypt) {
      gcry_cipher_decrypt(c->u.gcry, dst, len, NULL, 0);
    } else {
      gcry_cipher_encrypt(c->u.gcry, dst, len, NULL, 0);
    }
    break;
  default:
    kcp_crypt_cfb(c, dst, src, len, decrypt);
    break;
  }
}

/**
 * Encrypts a whole datagram (nonce and CRC included) as kcp-go does.
 * @param dst receives len bytes; may be src itself (in place)
 */
void
kcp_crypt_encrypt(struct kcp_crypt *c, uint8_t *dst, const uint8_t *src, size_t len)
{
  kcp_crypt_apply(c, dst, src, len, 0);
}

/** Decrypts a whole datagram; dst may be src itself. */
void
kcp_crypt_decrypt(struct kcp_crypt *c, uint8_t *dst, const uint8_t *src, size_t len)
{
  kcp_crypt_apply(c, dst, src, len, 1);
}
