/**
 * @file
 * Check tests of the smux module (apps/kcptun/smux.c): wire bytes of the
 * encoder, the parser on whole and byte-split input, its protocol errors
 * (sticky, no event after one), back-pressure from the data callback, the
 * stream id sequence and the version 2 window arithmetic.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "smux.h"
#include "checkmain.h"

/** Events the parser delivered, as text, and the PSH bytes taken. */
static char t_log[1024];
static uint8_t t_data[4096];
static size_t t_data_len;
/** The data callback takes at most this many bytes per call. */
static size_t t_take_max;

static void
t_logf(const char *s)
{
  strncat(t_log, s, sizeof(t_log) - strlen(t_log) - 1);
}

static void
t_frame(void *arg, uint8_t cmd, uint32_t sid)
{
  char s[32];
  (void)arg;
  snprintf(s, sizeof(s), "c%u:%u ", cmd, sid);
  t_logf(s);
}

static void
t_update(void *arg, uint32_t sid, uint32_t consumed, uint32_t window)
{
  char s[48];
  (void)arg;
  snprintf(s, sizeof(s), "u%u:%u/%u ", sid, consumed, window);
  t_logf(s);
}

static size_t
t_data_cb(void *arg, uint32_t sid, const uint8_t *buf, size_t len)
{
  char s[32];
  (void)arg;
  if (len > t_take_max) {
    len = t_take_max;
  }
  if (len > sizeof(t_data) - t_data_len) {
    len = sizeof(t_data) - t_data_len;
  }
  memcpy(t_data + t_data_len, buf, len);
  t_data_len += len;
  snprintf(s, sizeof(s), "d%u:%zu ", sid, len);
  t_logf(s);
  return len;
}

static const struct smux_parser_ops t_ops = { t_frame, t_update, t_data_cb };

static void
t_reset(void)
{
  t_log[0] = '\0';
  t_data_len = 0;
  t_take_max = (size_t)-1;
}

/** A version 2 session's frames: SYN 3, PSH 3 "hello", UPD 3, NOP, FIN 3. */
static size_t
t_build_v2(uint8_t *out)
{
  size_t n = 0;
  smux_header_encode(out + n, 2, SMUX_CMD_SYN, 0, 3);
  n += SMUX_HEADER_SIZE;
  smux_header_encode(out + n, 2, SMUX_CMD_PSH, 5, 3);
  n += SMUX_HEADER_SIZE;
  memcpy(out + n, "hello", 5);
  n += 5;
  smux_update_encode(out + n, 3, 70000, 65536);
  n += SMUX_HEADER_SIZE + SMUX_UPD_SIZE;
  smux_header_encode(out + n, 2, SMUX_CMD_NOP, 0, 0);
  n += SMUX_HEADER_SIZE;
  smux_header_encode(out + n, 2, SMUX_CMD_FIN, 0, 3);
  n += SMUX_HEADER_SIZE;
  return n;
}

static const char t_v2_log[] = "c0:3 d3:5 u3:70000/65536 c3:0 c1:3 ";

START_TEST(test_encode_bytes)
{
  uint8_t b[SMUX_HEADER_SIZE + SMUX_UPD_SIZE];
  static const uint8_t psh[] = { 1, 2, 0x34, 0x12, 0x03, 0, 0, 0x80 };
  static const uint8_t upd[] = { 2, 4, 8, 0, 5, 0, 0, 0,
                                 0x78, 0x56, 0x34, 0x12, 0, 0, 1, 0 };

  smux_header_encode(b, 1, SMUX_CMD_PSH, 0x1234, 0x80000003u);
  ck_assert_mem_eq(b, psh, sizeof(psh));
  smux_update_encode(b, 5, 0x12345678u, 65536);
  ck_assert_mem_eq(b, upd, sizeof(upd));
}
END_TEST

START_TEST(test_parse_whole_and_split)
{
  uint8_t wire[128];
  size_t n = t_build_v2(wire);
  struct smux_parser p;
  size_t i;

  t_reset();
  smux_parser_init(&p, 2);
  ck_assert_uint_eq(smux_parser_input(&p, wire, n, &t_ops, NULL), n);
  ck_assert_int_eq(p.error, SMUX_OK);
  ck_assert_str_eq(t_log, t_v2_log);
  ck_assert_mem_eq(t_data, "hello", 5);
  ck_assert_uint_eq(p.frames, 5);

  /* One byte at a time: the same events, PSH data in 1-byte pieces. */
  t_reset();
  smux_parser_init(&p, 2);
  for (i = 0; i < n; i++) {
    ck_assert_uint_eq(smux_parser_input(&p, wire + i, 1, &t_ops, NULL), 1);
  }
  ck_assert_str_eq(t_log,
                   "c0:3 d3:1 d3:1 d3:1 d3:1 d3:1 u3:70000/65536 c3:0 c1:3 ");
  ck_assert_uint_eq(t_data_len, 5);
  ck_assert_uint_eq(p.frames, 5);

  /* Empty PSH is a frame without data. */
  t_reset();
  smux_parser_init(&p, 1);
  smux_header_encode(wire, 1, SMUX_CMD_PSH, 0, 7);
  ck_assert_uint_eq(smux_parser_input(&p, wire, SMUX_HEADER_SIZE, &t_ops, NULL),
                    SMUX_HEADER_SIZE);
  ck_assert_str_eq(t_log, "");
  ck_assert_uint_eq(p.frames, 1);
}
END_TEST

/** Feed @p wire whole to a fresh parser of @p ver; expect error @p err after
 *  exactly @p used bytes and the events in @p log. */
static void
t_expect_error(uint8_t ver, const uint8_t *wire, size_t n, int err,
               size_t used, const char *log)
{
  struct smux_parser p;

  t_reset();
  smux_parser_init(&p, ver);
  ck_assert_uint_eq(smux_parser_input(&p, wire, n, &t_ops, NULL), used);
  ck_assert_int_eq(p.error, err);
  ck_assert_str_eq(t_log, log);
  /* Sticky: nothing more is consumed or delivered. */
  ck_assert_uint_eq(smux_parser_input(&p, wire, n, &t_ops, NULL), 0);
  ck_assert_str_eq(t_log, log);
}

START_TEST(test_protocol_errors)
{
  uint8_t w[64];

  smux_header_encode(w, 1, SMUX_CMD_SYN, 0, 1);
  smux_header_encode(w + 8, 2, SMUX_CMD_SYN, 0, 3);
  t_expect_error(1, w, 24, SMUX_ERR_VERSION, 16, "c0:1 ");
  smux_header_encode(w, 1, 5, 0, 1);
  t_expect_error(1, w, 16, SMUX_ERR_CMD, 8, "");
  smux_update_encode(w, 1, 0, 0);
  w[0] = 1;
  t_expect_error(1, w, 16, SMUX_ERR_CMD, 8, "");
  smux_header_encode(w, 2, SMUX_CMD_UPD, 4, 1);
  t_expect_error(2, w, 16, SMUX_ERR_LENGTH, 8, "");
  smux_header_encode(w, 2, SMUX_CMD_FIN, 1, 1);
  t_expect_error(2, w, 16, SMUX_ERR_LENGTH, 8, "");
  smux_header_encode(w, 2, SMUX_CMD_NOP, 3, 0);
  t_expect_error(2, w, 16, SMUX_ERR_LENGTH, 8, "");
}
END_TEST

START_TEST(test_back_pressure)
{
  uint8_t wire[128];
  size_t n = t_build_v2(wire);
  struct smux_parser p;
  size_t used, off = 0;

  t_reset();
  t_take_max = 0;
  smux_parser_init(&p, 2);
  /* A full stream: the parser stops right after the PSH header. */
  used = smux_parser_input(&p, wire, n, &t_ops, NULL);
  ck_assert_uint_eq(used, 2 * SMUX_HEADER_SIZE);
  ck_assert_str_eq(t_log, "c0:3 d3:0 ");
  off = used;
  /* Room for 2 bytes at a time: the rest of "hello" in three calls. */
  t_take_max = 2;
  used = smux_parser_input(&p, wire + off, n - off, &t_ops, NULL);
  ck_assert_uint_eq(used, 2);
  off += used;
  used = smux_parser_input(&p, wire + off, n - off, &t_ops, NULL);
  ck_assert_uint_eq(used, 2);
  off += used;
  used = smux_parser_input(&p, wire + off, n - off, &t_ops, NULL);
  ck_assert_uint_eq(off + used, n);
  ck_assert_int_eq(p.error, SMUX_OK);
  ck_assert_str_eq(t_log,
                   "c0:3 d3:0 d3:2 d3:2 d3:1 u3:70000/65536 c3:0 c1:3 ");
  ck_assert_mem_eq(t_data, "hello", 5);
}
END_TEST

START_TEST(test_stream_ids)
{
  uint32_t client = 1, server = 0;

  ck_assert_uint_eq(smux_sid_next(&client), 3);
  ck_assert_uint_eq(smux_sid_next(&client), 5);
  ck_assert_uint_eq(smux_sid_next(&server), 2);
  ck_assert_uint_eq(smux_sid_next(&server), 4);
  client = 0xfffffffdu;
  ck_assert_uint_eq(smux_sid_next(&client), 0xffffffffu);
  ck_assert_uint_eq(smux_sid_next(&client), 0);
  ck_assert_uint_eq(client, 0xffffffffu);
  server = 0xfffffffeu;
  ck_assert_uint_eq(smux_sid_next(&server), 0);
}
END_TEST

START_TEST(test_window)
{
  struct smux_window w;

  smux_window_init(&w);
  ck_assert_int_eq(smux_window_room(&w), SMUX_INITIAL_PEER_WINDOW);
  smux_window_sent(&w, 200000);
  ck_assert_int_eq(smux_window_room(&w), SMUX_INITIAL_PEER_WINDOW - 200000);
  smux_window_sent(&w, 62144);
  ck_assert_int_eq(smux_window_room(&w), 0);
  smux_window_sent(&w, 10); /* over the window: still no room, not negative */
  ck_assert_int_eq(smux_window_room(&w), 0);
  smux_window_update(&w, 100000, 65536);
  ck_assert_int_eq(smux_window_room(&w), 0);
  smux_window_update(&w, 262154, 65536);
  ck_assert_int_eq(smux_window_room(&w), 65536);
  /* The peer claims more than was sent: a protocol error. */
  smux_window_update(&w, 262155, 65536);
  ck_assert_int_eq(smux_window_room(&w), -1);
  /* Counters wrap modulo 2^32 and the arithmetic still holds. */
  w.sent = 5;
  w.peer_consumed = 0xfffffff0u;
  ck_assert_int_eq(smux_window_room(&w), 65536 - 21);

  /* Receiver: UPD after the first read, then each half buffer. */
  smux_window_init(&w);
  ck_assert_int_eq(smux_window_consume(&w, 0, 65536), 0);
  ck_assert_int_eq(smux_window_consume(&w, 100, 65536), 1);
  ck_assert_int_eq(smux_window_consume(&w, 32767, 65536), 0);
  ck_assert_int_eq(smux_window_consume(&w, 1, 65536), 1);
  ck_assert_uint_eq(w.consumed, 32868);
  ck_assert_int_eq(smux_window_consume(&w, 40000, 65536), 1);
}
END_TEST

static Suite *
smux_suite(void)
{
  Suite *s = suite_create("smux");
  TCase *tc = tcase_create("frames");

  tcase_add_test(tc, test_encode_bytes);
  tcase_add_test(tc, test_parse_whole_and_split);
  tcase_add_test(tc, test_protocol_errors);
  tcase_add_test(tc, test_back_pressure);
  tcase_add_test(tc, test_stream_ids);
  tcase_add_test(tc, test_window);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(smux_suite());
}
