/**
 * @file
 * Message contents for the benchmark: a counter-mode generator (splitmix64
 * over key + word number), so byte j of a message is computed without the
 * bytes before it.
 */
#include "kcpc_payload.h"

#include <endian.h>
#include <string.h>

/** splitmix64's odd increment, also used to spread the inputs. */
#define KCPC_GOLDEN 0x9e3779b97f4a7c15ull

/** splitmix64 finaliser: a bijection that mixes every input bit into every output bit. */
static uint64_t
kcpc_mix(uint64_t x)
{
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

uint64_t
kcpc_payload_key(uint64_t seed, unsigned client, uint64_t idx)
{
  return kcpc_mix(kcpc_mix(seed + KCPC_GOLDEN * ((uint64_t)client + 1)) ^ (idx * KCPC_GOLDEN));
}

uint32_t
kcpc_payload_size(uint64_t key, uint32_t min, uint32_t max)
{
  uint64_t span = (uint64_t)max - min + 1;
  return min + (uint32_t)(kcpc_mix(key ^ 0x5a5a5a5a5a5a5a5aull) % span);
}

/**
 * Word w of a message is scramble(key + G * w): splitmix64's state w steps
 * on, through a one-multiply finaliser. The key is fully mixed, so words of
 * different messages and offsets still differ; and the verifier keeps up
 * with a link of several Gbit/s (the full finaliser per word made it the
 * client's largest cost).
 */
static uint64_t
kcpc_scramble(uint64_t x)
{
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  return x ^ (x >> 29);
}

/* Byte k of a word is bits 8k..8k+7 on any host (little-endian order). */
static uint64_t
kcpc_load64(const uint8_t *p)
{
  uint64_t w;

  memcpy(&w, p, sizeof(w));
  return le64toh(w);
}

static void
kcpc_store64(uint8_t *p, uint64_t w)
{
  w = htole64(w);
  memcpy(p, &w, sizeof(w));
}

/* Bytes from..from+n-1 of word w, to buf or compared with buf. */
static void
kcpc_put_bytes(uint8_t *buf, uint64_t w, uint32_t from, uint32_t n)
{
  uint32_t k;

  for (k = 0; k < n; k++) {
    buf[k] = (uint8_t)(w >> (8u * (from + k)));
  }
}

static uint64_t
kcpc_diff_bytes(const uint8_t *buf, uint64_t w, uint32_t from, uint32_t n)
{
  uint64_t diff = 0;
  uint32_t k;

  for (k = 0; k < n; k++) {
    diff |= buf[k] ^ (uint8_t)(w >> (8u * (from + k)));
  }
  return diff;
}

/* A piece of a message: the rest of a partial first word (off not a
   multiple of 8), whole words in a loop without branches, a partial last. */
void
kcpc_payload_fill(uint64_t key, uint32_t off, uint8_t *buf, uint32_t len)
{
  uint64_t acc = key + KCPC_GOLDEN * (uint64_t)(off >> 3);
  uint32_t shift = off & 7u;

  if (shift != 0 && len > 0) {
    uint32_t n = len < 8u - shift ? len : 8u - shift;

    kcpc_put_bytes(buf, kcpc_scramble(acc), shift, n);
    buf += n;
    len -= n;
    acc += KCPC_GOLDEN;
  }
  for (; len >= 8u; len -= 8u, buf += 8, acc += KCPC_GOLDEN) {
    kcpc_store64(buf, kcpc_scramble(acc));
  }
  kcpc_put_bytes(buf, kcpc_scramble(acc), 0, len);
}

int
kcpc_payload_check(uint64_t key, uint32_t off, const uint8_t *buf, uint32_t len)
{
  uint64_t acc = key + KCPC_GOLDEN * (uint64_t)(off >> 3);
  uint64_t diff = 0;
  uint32_t shift = off & 7u;

  if (shift != 0 && len > 0) {
    uint32_t n = len < 8u - shift ? len : 8u - shift;

    diff = kcpc_diff_bytes(buf, kcpc_scramble(acc), shift, n);
    buf += n;
    len -= n;
    acc += KCPC_GOLDEN;
  }
  for (; len >= 8u; len -= 8u, buf += 8, acc += KCPC_GOLDEN) {
    diff |= kcpc_load64(buf) ^ kcpc_scramble(acc);
  }
  return (diff | kcpc_diff_bytes(buf, kcpc_scramble(acc), 0, len)) == 0;
}
