/**
 * @file
 * Decoding of fuzzer inputs into integers and byte strings (see fuzz_reader.h).
 * Integers are little-endian like the KCP header, so a seed written with
 * KCP field values reads back as those values.
 */
#include "fuzz_reader.h"

#include <string.h>

void
fuzz_reader_init(struct fuzz_reader *r, const uint8_t *data, size_t len)
{
  r->data = data;
  r->len = len;
  r->pos = 0;
}

int
fuzz_reader_done(const struct fuzz_reader *r)
{
  return r->pos >= r->len;
}

uint8_t
fuzz_reader_u8(struct fuzz_reader *r)
{
  if (r->pos >= r->len) {
    return 0;
  }
  return r->data[r->pos++];
}

uint16_t
fuzz_reader_u16(struct fuzz_reader *r)
{
  uint16_t lo = fuzz_reader_u8(r);
  return (uint16_t)(lo | (uint16_t)fuzz_reader_u8(r) << 8);
}

uint32_t
fuzz_reader_u32(struct fuzz_reader *r)
{
  uint32_t lo = fuzz_reader_u16(r);
  return lo | (uint32_t)fuzz_reader_u16(r) << 16;
}

size_t
fuzz_reader_bytes(struct fuzz_reader *r, uint8_t *dst, size_t want)
{
  size_t left = r->len - r->pos;
  size_t n = want < left ? want : left;

  if (n == 0) {
    return 0;
  }
  memcpy(dst, r->data + r->pos, n);
  r->pos += n;
  return n;
}
