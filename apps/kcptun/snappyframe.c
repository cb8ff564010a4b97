/**
 * @file
 * Snappy framed stream format (see snappyframe.h).
 */
#include "snappyframe.h"

#include <isa-l/crc.h>
#include <snappy-c.h>
#include <string.h>

#define SF_TYPE_COMPRESSED 0x00
#define SF_TYPE_UNCOMPRESSED 0x01
#define SF_TYPE_PADDING 0xfe
#define SF_TYPE_IDENTIFIER 0xff
#define SF_CRC_SIZE 4

static const uint8_t sf_identifier[] = { SF_TYPE_IDENTIFIER, 6, 0, 0,
                                         's', 'N', 'a', 'P', 'p', 'Y' };

/** The format's checksum: CRC32C of the uncompressed bytes, rotated and
 *  offset so that a CRC of data containing CRCs stays useful. */
static uint32_t
sf_masked_crc(const uint8_t *buf, size_t len)
{
  /* ISA-L takes a non-const buffer but does not write it. */
  uint32_t c = crc32_iscsi((unsigned char *)(uintptr_t)buf, (int)len, 0xffffffffu) ^ 0xffffffffu;
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void
sf_put_le(uint8_t *p, uint32_t v, int n)
{
  int i;
  for (i = 0; i < n; i++) {
    p[i] = (uint8_t)(v >> (8 * i));
  }
}

static uint32_t
sf_get_le(const uint8_t *p, int n)
{
  uint32_t v = 0;
  int i;
  for (i = n - 1; i >= 0; i--) {
    v = (v << 8) | p[i];
  }
  return v;
}

void
snappyframe_enc_init(struct snappyframe_enc *e)
{
  e->started = 0;
}

size_t
snappyframe_encode_bound(size_t len)
{
  size_t full = len / SNAPPYFRAME_BLOCK, rest = len % SNAPPYFRAME_BLOCK;
  size_t head = SNAPPYFRAME_CHUNK_HEADER + SF_CRC_SIZE;
  size_t n = sizeof(sf_identifier) +
             full * (head + snappy_max_compressed_length(SNAPPYFRAME_BLOCK));

  if (rest > 0) {
    n += head + snappy_max_compressed_length(rest);
  }
  return n;
}

size_t
snappyframe_encode(struct snappyframe_enc *e, const uint8_t *in, size_t len,
                   uint8_t *out)
{
  size_t o = 0;

  if (!e->started) {
    memcpy(out, sf_identifier, sizeof(sf_identifier));
    o = sizeof(sf_identifier);
    e->started = 1;
  }
  while (len > 0) {
    size_t n = len > SNAPPYFRAME_BLOCK ? SNAPPYFRAME_BLOCK : len;
    uint8_t *body = out + o + SNAPPYFRAME_CHUNK_HEADER + SF_CRC_SIZE;
    size_t clen = snappy_max_compressed_length(n);
    uint8_t type = SF_TYPE_COMPRESSED;

    /* Compressed unless that saves less than 1/8, as golang/snappy does. */
    if (snappy_compress((const char *)in, n, (char *)body, &clen) != SNAPPY_OK ||
        clen >= n - n / 8) {
      type = SF_TYPE_UNCOMPRESSED;
      memcpy(body, in, n);
      clen = n;
    }
    out[o] = type;
    sf_put_le(out + o + 1, (uint32_t)(SF_CRC_SIZE + clen), 3);
    sf_put_le(out + o + SNAPPYFRAME_CHUNK_HEADER, sf_masked_crc(in, n), 4);
    o += SNAPPYFRAME_CHUNK_HEADER + SF_CRC_SIZE + clen;
    in += n;
    len -= n;
  }
  return o;
}

void
snappyframe_dec_init(struct snappyframe_dec *d)
{
  d->started = 0;
  d->error = SNAPPYFRAME_OK;
  d->have = 0;
  d->out_off = 0;
  d->out_len = 0;
}

/** Judge the complete chunk in d->chunk of body length @p blen. */
static int
sf_chunk(struct snappyframe_dec *d, uint8_t type, size_t blen)
{
  const uint8_t *body = d->chunk + SNAPPYFRAME_CHUNK_HEADER;
  size_t n;

  if (!d->started && type != SF_TYPE_IDENTIFIER) {
    return SNAPPYFRAME_ERR_CORRUPT;
  }
  switch (type) {
  case SF_TYPE_IDENTIFIER:
    if (blen != sizeof(sf_identifier) - SNAPPYFRAME_CHUNK_HEADER ||
        memcmp(body, sf_identifier + SNAPPYFRAME_CHUNK_HEADER, blen) != 0) {
      return SNAPPYFRAME_ERR_CORRUPT;
    }
    d->started = 1;
    return SNAPPYFRAME_OK;
  case SF_TYPE_COMPRESSED:
  case SF_TYPE_UNCOMPRESSED:
    if (blen < SF_CRC_SIZE) {
      return SNAPPYFRAME_ERR_CORRUPT;
    }
    n = blen - SF_CRC_SIZE;
    if (type == SF_TYPE_UNCOMPRESSED) {
      if (n > SNAPPYFRAME_BLOCK) {
        return SNAPPYFRAME_ERR_CORRUPT;
      }
      memcpy(d->out, body + SF_CRC_SIZE, n);
    } else {
      size_t dlen;
      if (snappy_uncompressed_length((const char *)body + SF_CRC_SIZE, n, &dlen) != SNAPPY_OK ||
          dlen > SNAPPYFRAME_BLOCK) {
        return SNAPPYFRAME_ERR_CORRUPT;
      }
      if (snappy_uncompress((const char *)body + SF_CRC_SIZE, n, (char *)d->out, &dlen) !=
          SNAPPY_OK) {
        return SNAPPYFRAME_ERR_CORRUPT;
      }
      n = dlen;
    }
    if (sf_masked_crc(d->out, n) != sf_get_le(body, 4)) {
      return SNAPPYFRAME_ERR_CORRUPT;
    }
    d->out_off = 0;
    d->out_len = n;
    return SNAPPYFRAME_OK;
  default:
    /* 0x02-0x7f must be understood; 0x80-0xfd and padding are skipped. */
    return type <= 0x7f ? SNAPPYFRAME_ERR_UNSUPPORTED : SNAPPYFRAME_OK;
  }
}

size_t
snappyframe_decode(struct snappyframe_dec *d, const uint8_t *in, size_t len)
{
  size_t used = 0;

  while (used < len && d->error == SNAPPYFRAME_OK && d->out_off == d->out_len) {
    size_t want = SNAPPYFRAME_CHUNK_HEADER, n;
    if (d->have >= SNAPPYFRAME_CHUNK_HEADER) {
      want += sf_get_le(d->chunk + 1, 3);
    }
    n = want - d->have;
    if (n > len - used) {
      n = len - used;
    }
    memcpy(d->chunk + d->have, in + used, n);
    d->have += n;
    used += n;
    if (d->have < want) {
      continue;
    }
    if (want == SNAPPYFRAME_CHUNK_HEADER) {
      if (sf_get_le(d->chunk + 1, 3) > SNAPPYFRAME_MAX_CHUNK) {
        d->error = SNAPPYFRAME_ERR_UNSUPPORTED;
      } else if (sf_get_le(d->chunk + 1, 3) > 0) {
        continue;
      }
    }
    if (d->error == SNAPPYFRAME_OK) {
      d->error = sf_chunk(d, d->chunk[0], want - SNAPPYFRAME_CHUNK_HEADER);
    }
    d->have = 0;
  }
  return used;
}

size_t
snappyframe_output(const struct snappyframe_dec *d, const uint8_t **buf)
{
  *buf = d->out + d->out_off;
  return d->out_len - d->out_off;
}

void
snappyframe_output_taken(struct snappyframe_dec *d, size_t n)
{
  if (n > d->out_len - d->out_off) {
    n = d->out_len - d->out_off;
  }
  d->out_off += n;
}
