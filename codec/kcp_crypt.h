/**
 * @file
 * kcp-go's BlockCrypt ciphers, byte-compatible with kcp-go and kcptun:
 * the key derivation kcptun applies to its --key, and each cipher applied
 * to a whole datagram the way kcp-go does it.
 *
 * The primitives come from libraries (mbedTLS, libgcrypt, libsodium); this
 * module only adds kcp-go's mode around them: a full-block CFB whose IV is
 * a fixed 16-byte constant (its first 8 bytes for 64-bit ciphers), with the
 * datagram's last partial block XORed with the keystream's next block. The
 * 16-byte random nonce at the front of every datagram (kcp_codec.h) is what
 * makes two equal datagrams encrypt differently. salsa20 takes its 8-byte
 * nonce from the datagram's first 8 bytes and leaves them in clear; xor
 * XORs the datagram with a 1500-byte table derived from the key.
 *
 * No allocation per datagram: kcp_crypt_new() allocates the context once.
 */
#ifndef KCP_CRYPT_H
#define KCP_CRYPT_H

#include <stddef.h>
#include <stdint.h>

/** Bytes of the key kcp_crypt_derive_key() produces (kcptun's PBKDF2 output). */
#define KCP_CRYPT_KEY_LEN 32

struct kcp_crypt;

void kcp_crypt_derive_key(const char *passphrase, uint8_t key[KCP_CRYPT_KEY_LEN]);
int  kcp_crypt_valid_name(const char *name);
const char *kcp_crypt_names(void);
struct kcp_crypt *kcp_crypt_new(const char *name, const uint8_t key[KCP_CRYPT_KEY_LEN]);
void kcp_crypt_free(struct kcp_crypt *c);
const char *kcp_crypt_name(const struct kcp_crypt *c);
void kcp_crypt_encrypt(struct kcp_crypt *c, uint8_t *dst, const uint8_t *src, size_t len);
void kcp_crypt_decrypt(struct kcp_crypt *c, uint8_t *dst, const uint8_t *src, size_t len);

#endif /* KCP_CRYPT_H */
