/**
 * @file
 * Message contents for the benchmark: a counter-mode generator (splitmix64
 * over key + word number), so byte j of a message is computed without the
 * bytes before it.
 */
#include "kcpc_payload.h"

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

/** The 8-byte word that holds byte off of the message. */
static uint64_t
kcpc_word(uint64_t key, uint32_t off)
{
  return kcpc_mix(key + KCPC_GOLDEN * (uint64_t)(off >> 3));
}

/* Byte k of a word is bits 8k..8k+7 on any host; compilers turn these into
   one load or store where the host is little-endian. */
static uint64_t
kcpc_load64(const uint8_t *p)
{
  uint64_t w = 0;
  unsigned k;

  for (k = 0; k < 8u; k++) {
    w |= (uint64_t)p[k] << (8u * k);
  }
  return w;
}

static void
kcpc_store64(uint8_t *p, uint64_t w)
{
  unsigned k;

  for (k = 0; k < 8u; k++) {
    p[k] = (uint8_t)(w >> (8u * k));
  }
}

/* Both walk the message a word at a time (a whole one in one step), so a
   16 KB message costs 2048 word computations and no per-byte branch. */
void
kcpc_payload_fill(uint64_t key, uint32_t off, uint8_t *buf, uint32_t len)
{
  while (len > 0) {
    uint64_t w = kcpc_word(key, off);
    uint32_t shift = off & 7u, n = 8u - shift, k;

    if (n > len) {
      n = len;
    }
    if (n == 8u) {
      kcpc_store64(buf, w);
    } else {
      for (k = 0; k < n; k++) {
        buf[k] = (uint8_t)(w >> (8u * (shift + k)));
      }
    }
    buf += n;
    off += n;
    len -= n;
  }
}

int
kcpc_payload_check(uint64_t key, uint32_t off, const uint8_t *buf, uint32_t len)
{
  while (len > 0) {
    uint64_t w = kcpc_word(key, off);
    uint32_t shift = off & 7u, n = 8u - shift, k;

    if (n > len) {
      n = len;
    }
    if (n == 8u) {
      if (kcpc_load64(buf) != w) {
        return 0;
      }
    } else {
      for (k = 0; k < n; k++) {
        if (buf[k] != (uint8_t)(w >> (8u * (shift + k)))) {
          return 0;
        }
      }
    }
    buf += n;
    off += n;
    len -= n;
  }
  return 1;
}
