/**
 * @file
 * SHA-256 (FIPS 180-4), incremental, for --bench --sha256: the benchmark
 * hashes its payload as it sends it and the echo as it arrives, so that a
 * run of any length is summed up in two comparable digests without keeping
 * the bytes. The state is a plain struct: copying it snapshots the hash,
 * which is how a stream echo cut by a reconnect is rolled back.
 */
#ifndef KCPC_SHA256_H
#define KCPC_SHA256_H

#include <stddef.h>
#include <stdint.h>

/** Length of the digest as lowercase hex, with its terminating NUL. */
#define KCPC_SHA256_HEX_LEN 65

struct kcpc_sha256 {
  uint32_t h[8];       /**< chaining value */
  uint64_t len;        /**< bytes hashed so far */
  uint8_t block[64];   /**< the partial block */
  size_t fill;         /**< bytes in block */
};

void kcpc_sha256_init(struct kcpc_sha256 *s);
/** Hash len more bytes. */
void kcpc_sha256_update(struct kcpc_sha256 *s, const void *data, size_t len);
/** The digest of everything hashed so far, as hex; s is left as it was. */
void kcpc_sha256_hex(const struct kcpc_sha256 *s, char hex[KCPC_SHA256_HEX_LEN]);

#endif /* KCPC_SHA256_H */
