/**
 * @file
 * The snappy framed stream format, as kcptun compresses its smux stream
 * (golang/snappy's Writer and Reader): a stream identifier chunk, then
 * chunks of at most 64 KiB of input, each compressed with snappy (or kept
 * as is when that saves less than 1/8) and checked by a masked CRC32C of
 * the uncompressed bytes.
 *
 * Pure module: no lwIP, no system calls. Blocks are (de)compressed by
 * libsnappy, CRC32C comes from ISA-L; this module only does the framing.
 *
 * Encoding is one call per write, like kcptun's Write followed by Flush.
 * Decoding is incremental and bounded: the decoder takes input only while
 * its one decoded chunk (at most SNAPPYFRAME_BLOCK bytes) has been taken
 * by the caller, so a slow consumer stops the input (back-pressure) and
 * memory stays at one chunk in each direction.
 */
#ifndef SNAPPYFRAME_H
#define SNAPPYFRAME_H

#include <stddef.h>
#include <stdint.h>

/** Largest uncompressed chunk. */
#define SNAPPYFRAME_BLOCK 65536
/** Chunk header: type and 3-byte length. */
#define SNAPPYFRAME_CHUNK_HEADER 4
/** Largest chunk body a reader accepts: CRC and snappy's worst case of a
 *  full block (as golang/snappy, whose limit this is). */
#define SNAPPYFRAME_MAX_CHUNK (4 + 76490)

#define SNAPPYFRAME_OK 0
#define SNAPPYFRAME_ERR_CORRUPT (-1)     /**< bad CRC, header or block */
#define SNAPPYFRAME_ERR_UNSUPPORTED (-2) /**< reserved chunk or too long */

/** Encoder state: whether the stream identifier has been written. */
struct snappyframe_enc {
  int started;
};

void snappyframe_enc_init(struct snappyframe_enc *e);
/** Output bytes one snappyframe_encode() of @p len input bytes may need. */
size_t snappyframe_encode_bound(size_t len);
/** Frame @p len bytes of @p in into @p out, which holds at least
 *  snappyframe_encode_bound(len) bytes. @return bytes written. */
size_t snappyframe_encode(struct snappyframe_enc *e, const uint8_t *in,
                          size_t len, uint8_t *out);

/** Decoder state: one chunk being collected, one decoded chunk. */
struct snappyframe_dec {
  int started;    /**< stream identifier seen */
  int error;      /**< first error, SNAPPYFRAME_OK when none */
  size_t have;    /**< bytes of the current chunk (header included) */
  size_t out_off; /**< decoded bytes already taken */
  size_t out_len; /**< decoded bytes of the last chunk */
  uint8_t chunk[SNAPPYFRAME_CHUNK_HEADER + SNAPPYFRAME_MAX_CHUNK];
  uint8_t out[SNAPPYFRAME_BLOCK];
};

void snappyframe_dec_init(struct snappyframe_dec *d);
/** Take input from @p in until a chunk is decoded (or an error).
 *  Takes nothing while decoded bytes are waiting.
 *  @return input bytes taken. */
size_t snappyframe_decode(struct snappyframe_dec *d, const uint8_t *in,
                          size_t len);
/** Decoded bytes waiting: *@p buf points at them. @return their count. */
size_t snappyframe_output(const struct snappyframe_dec *d, const uint8_t **buf);
/** Mark @p n of the waiting decoded bytes taken. */
void snappyframe_output_taken(struct snappyframe_dec *d, size_t n);

#endif /* SNAPPYFRAME_H */
