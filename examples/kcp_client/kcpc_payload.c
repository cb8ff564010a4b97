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

void
kcpc_payload_fill(uint64_t key, uint32_t off, uint8_t *buf, uint32_t len)
{
  uint64_t w = kcpc_word(key, off);
  uint32_t i;

  for (i = 0; i < len; i++, off++) {
    if ((off & 7u) == 0) {
      w = kcpc_word(key, off);
    }
    buf[i] = (uint8_t)(w >> (8u * (off & 7u)));
  }
}

int
kcpc_payload_check(uint64_t key, uint32_t off, const uint8_t *buf, uint32_t len)
{
  uint64_t w = kcpc_word(key, off);
  uint32_t i;

  for (i = 0; i < len; i++, off++) {
    if ((off & 7u) == 0) {
      w = kcpc_word(key, off);
    }
    if (buf[i] != (uint8_t)(w >> (8u * (off & 7u)))) {
      return 0;
    }
  }
  return 1;
}
