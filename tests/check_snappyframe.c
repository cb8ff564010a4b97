/**
 * @file
 * Check tests of the snappy framed stream module (apps/kcptun/snappyframe.c):
 * a golden vector from golang/snappy's Writer (the one kcptun uses, made by
 * tests/interop/snappygo_golden), decoded whole and byte by byte and matched
 * by our encoder; a large round trip taken out in small pieces
 * (back-pressure); corrupt, reserved, skippable and oversized chunks.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "snappyframe.h"
#include "checkmain.h"

/* Output of tests/interop/bin/snappygo_golden (golang/snappy, Debian's
 * golang-github-golang-snappy-dev): stream identifier, a compressed chunk
 * of t_text(), an uncompressed chunk of t_noise(). */
static const uint8_t t_golden[120] = {
  0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x00, 0x22,
  0x00, 0x00, 0x3d, 0x61, 0x3b, 0x78, 0xc8, 0x01, 0x44, 0x6b, 0x63, 0x70,
  0x74, 0x75, 0x6e, 0x20, 0x6f, 0x76, 0x65, 0x72, 0x20, 0x6c, 0x77, 0x49,
  0x50, 0x20, 0x6b, 0xfe, 0x11, 0x00, 0xfe, 0x11, 0x00, 0xd6, 0x11, 0x00,
  0x01, 0x44, 0x00, 0x00, 0xd3, 0x92, 0x7b, 0x74, 0xdc, 0x04, 0x65, 0xaa,
  0x1f, 0xad, 0x1d, 0x5a, 0xda, 0xe5, 0xac, 0x1b, 0x1e, 0x5f, 0x13, 0x70,
  0x79, 0x6c, 0xfd, 0x10, 0xff, 0x19, 0xaf, 0x60, 0x1d, 0x04, 0xac, 0xb4,
  0x1d, 0x02, 0x2b, 0x46, 0x78, 0x73, 0x3a, 0xf2, 0xdf, 0x5f, 0xae, 0xb7,
  0x08, 0x59, 0xd1, 0xee, 0x39, 0x10, 0xcb, 0x48, 0x95, 0xb5, 0xcc, 0x89,
  0x29, 0x11, 0xff, 0x06, 0xb6, 0x62, 0x2e, 0xdf, 0x3c, 0xf9, 0x35, 0xfd,
};

/** Offset of the uncompressed chunk in t_golden. */
#define T_NOISE_CHUNK (sizeof(t_golden) - 8 - 64)

static uint8_t t_in[264];

/** The two writes of the golden program: repetitive text, then noise. */
static void
t_inputs(void)
{
  static const char word[] = "kcptun over lwIP ";
  uint32_t x = 12345;
  size_t i;

  for (i = 0; i < 200; i++) {
    t_in[i] = (uint8_t)word[i % (sizeof(word) - 1)];
  }
  for (i = 0; i < 64; i++) {
    x = x * 1103515245u + 12345u;
    t_in[200 + i] = (uint8_t)(x >> 16);
  }
}

/** Decode @p len bytes fed @p step at a time, taking output at most
 *  @p take at a time into @p out. @return decoded bytes, or -1 on error. */
static long
t_decode(struct snappyframe_dec *d, const uint8_t *in, size_t len, size_t step,
         size_t take, uint8_t *out, size_t cap)
{
  size_t off = 0, got = 0;
  int rounds = 0;

  snappyframe_dec_init(d);
  while (rounds++ < 10000000) {
    const uint8_t *p;
    size_t n = snappyframe_output(d, &p);
    if (n > take) {
      n = take;
    }
    if (n > 0) {
      ck_assert_uint_le(got + n, cap);
      memcpy(out + got, p, n);
      got += n;
      snappyframe_output_taken(d, n);
      continue;
    }
    if (off == len) {
      break;
    }
    n = len - off < step ? len - off : step;
    off += snappyframe_decode(d, in + off, n);
    if (d->error != SNAPPYFRAME_OK) {
      return -1;
    }
  }
  return (long)got;
}

START_TEST(test_golden_decode)
{
  static struct snappyframe_dec d;
  uint8_t out[300];

  t_inputs();
  ck_assert_int_eq(t_decode(&d, t_golden, sizeof(t_golden), sizeof(t_golden), 1000,
                            out, sizeof(out)), 264);
  ck_assert_mem_eq(out, t_in, 264);
  ck_assert_int_eq(t_decode(&d, t_golden, sizeof(t_golden), 1, 7, out, sizeof(out)), 264);
  ck_assert_mem_eq(out, t_in, 264);
}
END_TEST

START_TEST(test_golden_encode)
{
  static struct snappyframe_dec d;
  struct snappyframe_enc e;
  uint8_t out[600], back[300];
  size_t n1, n2;

  t_inputs();
  snappyframe_enc_init(&e);
  ck_assert_uint_le(snappyframe_encode_bound(200), 300);
  n1 = snappyframe_encode(&e, t_in, 200, out);
  n2 = snappyframe_encode(&e, t_in + 200, 64, out + n1);
  /* The stream identifier and the uncompressed chunk have one encoding
   * only; libsnappy's compressed block differs from golang/snappy's by a
   * byte here (both are valid snappy), so that chunk must decode instead. */
  ck_assert_mem_eq(out, t_golden, 10);
  ck_assert_uint_eq(n2, 72);
  ck_assert_mem_eq(out + n1, t_golden + T_NOISE_CHUNK, n2);
  ck_assert_uint_lt(n1, 10 + 8 + 200 - 200 / 8);
  ck_assert_int_eq(out[10], 0x00);
  ck_assert_int_eq(t_decode(&d, out, n1 + n2, 5, 1000, back, sizeof(back)), 264);
  ck_assert_mem_eq(back, t_in, 264);
  ck_assert_uint_eq(snappyframe_encode(&e, t_in, 0, out), 0);
}
END_TEST

START_TEST(test_round_trip_large)
{
  static struct snappyframe_dec d;
  struct snappyframe_enc e;
  size_t len = 300000, i, o = 0, w;
  uint8_t *in = malloc(len), *enc, *out = malloc(len);
  uint32_t x = 1;

  ck_assert_ptr_nonnull(in);
  ck_assert_ptr_nonnull(out);
  /* Runs of noise and of repeats, so both chunk types occur. */
  for (i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    in[i] = (i / 20000) % 2 ? (uint8_t)(i % 7) : (uint8_t)(x >> 16);
  }
  enc = malloc(snappyframe_encode_bound(len) * 2);
  ck_assert_ptr_nonnull(enc);
  snappyframe_enc_init(&e);
  /* Writes of 100000 bytes: chunks of 64 KiB and the rest. */
  for (w = 0; w < len; w += 100000) {
    o += snappyframe_encode(&e, in + w, 100000, enc + o);
  }
  ck_assert_uint_lt(o, len);
  ck_assert_int_eq(t_decode(&d, enc, o, 4096, 1000, out, len), (long)len);
  ck_assert_mem_eq(out, in, len);
  free(in);
  free(out);
  free(enc);
}
END_TEST

START_TEST(test_back_pressure)
{
  static struct snappyframe_dec d;
  const uint8_t *p;

  snappyframe_dec_init(&d);
  /* The first data chunk is decoded; nothing more is taken until its
   * bytes are. */
  ck_assert_uint_eq(snappyframe_decode(&d, t_golden, sizeof(t_golden)), T_NOISE_CHUNK);
  ck_assert_uint_eq(snappyframe_output(&d, &p), 200);
  ck_assert_uint_eq(snappyframe_decode(&d, t_golden + T_NOISE_CHUNK, 10), 0);
  snappyframe_output_taken(&d, 150);
  ck_assert_uint_eq(snappyframe_output(&d, &p), 50);
  ck_assert_uint_eq(snappyframe_decode(&d, t_golden + T_NOISE_CHUNK, 10), 0);
  snappyframe_output_taken(&d, 1000);
  ck_assert_uint_eq(snappyframe_output(&d, &p), 0);
  ck_assert_uint_eq(snappyframe_decode(&d, t_golden + T_NOISE_CHUNK, 72), 72);
  ck_assert_uint_eq(snappyframe_output(&d, &p), 64);
}
END_TEST

/** Decode @p in whole after the golden stream identifier: @return error. */
static int
t_error_of(const uint8_t *in, size_t len)
{
  static struct snappyframe_dec d;
  static uint8_t buf[200000];
  const uint8_t *p;

  memcpy(buf, t_golden, 10);
  memcpy(buf + 10, in, len);
  snappyframe_dec_init(&d);
  snappyframe_decode(&d, buf, 10 + len);
  if (d.error != SNAPPYFRAME_OK) {
    /* Sticky, and nothing decoded comes out. */
    ck_assert_uint_eq(snappyframe_decode(&d, buf, 10), 0);
    ck_assert_uint_eq(snappyframe_output(&d, &p), 0);
  }
  return d.error;
}

START_TEST(test_bad_chunks)
{
  uint8_t c[200], *big;
  static struct snappyframe_dec d;

  /* No stream identifier first. */
  snappyframe_dec_init(&d);
  snappyframe_decode(&d, t_golden + T_NOISE_CHUNK, 72);
  ck_assert_int_eq(d.error, SNAPPYFRAME_ERR_CORRUPT);
  /* A flipped data byte fails the CRC, in either chunk type. */
  memcpy(c, t_golden + T_NOISE_CHUNK, 72);
  c[40] ^= 1;
  ck_assert_int_eq(t_error_of(c, 72), SNAPPYFRAME_ERR_CORRUPT);
  memcpy(c, t_golden + 10, T_NOISE_CHUNK - 10);
  c[30] ^= 0x10;
  ck_assert_int_eq(t_error_of(c, T_NOISE_CHUNK - 10), SNAPPYFRAME_ERR_CORRUPT);
  /* A compressed chunk that is not snappy. */
  memcpy(c, "\x00\x08\x00\x00\x01\x02\x03\x04\xff\xff\xff\xff", 12);
  ck_assert_int_eq(t_error_of(c, 12), SNAPPYFRAME_ERR_CORRUPT);
  /* Too short for a CRC; a bad identifier. */
  ck_assert_int_eq(t_error_of((const uint8_t *)"\x01\x03\x00\x00xyz", 7),
                   SNAPPYFRAME_ERR_CORRUPT);
  ck_assert_int_eq(t_error_of((const uint8_t *)"\xff\x06\x00\x00sNaPpX", 10),
                   SNAPPYFRAME_ERR_CORRUPT);
  /* Reserved unskippable; longer than any chunk can be. */
  ck_assert_int_eq(t_error_of((const uint8_t *)"\x02\x01\x00\x00z", 5),
                   SNAPPYFRAME_ERR_UNSUPPORTED);
  ck_assert_int_eq(t_error_of((const uint8_t *)"\x01\xff\xff\x01", 4),
                   SNAPPYFRAME_ERR_UNSUPPORTED);
  /* An uncompressed chunk larger than a block (CRC + 65537 bytes). */
  big = calloc(1, 4 + 0x10005);
  ck_assert_ptr_nonnull(big);
  memcpy(big, "\x01\x05\x00\x01", 4);
  ck_assert_int_eq(t_error_of(big, 4 + 0x10005), SNAPPYFRAME_ERR_CORRUPT);
  free(big);
  /* Skippable, padding (also empty) and a repeated identifier pass. */
  ck_assert_int_eq(t_error_of((const uint8_t *)"\x80\x02\x00\x00" "ab" "\xfe\x00\x00\x00"
                              "\xff\x06\x00\x00sNaPpY", 20), SNAPPYFRAME_OK);
}
END_TEST

static Suite *
snappyframe_suite(void)
{
  Suite *s = suite_create("snappyframe");
  TCase *tc = tcase_create("frames");

  tcase_add_test(tc, test_golden_decode);
  tcase_add_test(tc, test_golden_encode);
  tcase_add_test(tc, test_round_trip_large);
  tcase_add_test(tc, test_back_pressure);
  tcase_add_test(tc, test_bad_chunks);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(snappyframe_suite());
}
