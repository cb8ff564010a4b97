/**
 * @file
 * A fuzzer's input read as a program: small integers and byte strings taken
 * from the front, in order. Reads past the end give zeros, so every input,
 * however short, decodes to a complete program and the harnesses never need
 * to check lengths themselves.
 */
#ifndef FUZZ_READER_H
#define FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>

/** The unread part of one fuzzer input. */
struct fuzz_reader {
  const uint8_t *data; /**< the input, owned by libFuzzer */
  size_t len;          /**< its length */
  size_t pos;          /**< bytes consumed so far */
};

void fuzz_reader_init(struct fuzz_reader *r, const uint8_t *data, size_t len);
/** Nonzero once every byte has been consumed: ends a harness's op loop. */
int fuzz_reader_done(const struct fuzz_reader *r);
uint8_t fuzz_reader_u8(struct fuzz_reader *r);
uint16_t fuzz_reader_u16(struct fuzz_reader *r);
uint32_t fuzz_reader_u32(struct fuzz_reader *r);
/**
 * Copy up to @p want bytes to @p dst.
 * @return how many were left to copy (fewer than @p want near the end), so a
 * fuzzer-chosen length never makes the harness invent bytes.
 */
size_t fuzz_reader_bytes(struct fuzz_reader *r, uint8_t *dst, size_t want);

#endif /* FUZZ_READER_H */
