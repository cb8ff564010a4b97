/**
 * @file
 * libFuzzer target for kcptun's stream layers: the smux parser
 * (apps/kcptun/smux.c) behind the snappy framed stream decoder
 * (apps/kcptun/snappyframe.c), as the tunnel feeds them.
 *
 * Input: byte 0 picks the smux version (bit 0), whether the bytes go
 * through the snappy decoder first (bit 1), and how much the data callback
 * takes per call (bits 2..7: 0 means everything, else at most that many
 * bytes, and nothing every seventh call, as a full stream does); byte 1 is
 * the size of the pieces the input is offered in. Each parser and decoder
 * is fed until it takes nothing more. A violation aborts:
 * - no call takes more than offered, and a callback gets no more than
 *   offered and never after an error;
 * - an error is sticky: afterwards nothing is taken and no event comes;
 * - without an error the whole input is taken once the callback takes all.
 * A valid smux stream round trip (encoded here, then parsed) is also
 * checked: frames built from the input come back as the same events.
 */
#include "smux.h"
#include "snappyframe.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned fs_take_max;
static unsigned fs_calls;
static int fs_errored;
static uint64_t fs_data;

static void fs_fail(const char *what) __attribute__((noreturn));

static void
fs_fail(const char *what)
{
  fprintf(stderr, "fuzz_smux: invariant broken: %s\n", what);
  abort();
}

static void
fs_frame(void *arg, uint8_t cmd, uint32_t sid)
{
  (void)arg;
  (void)sid;
  if (fs_errored || (cmd != SMUX_CMD_SYN && cmd != SMUX_CMD_FIN && cmd != SMUX_CMD_NOP)) {
    fs_fail("frame event after an error or of a bad command");
  }
}

static void
fs_update(void *arg, uint32_t sid, uint32_t consumed, uint32_t window)
{
  (void)arg;
  (void)sid;
  (void)consumed;
  (void)window;
  if (fs_errored) {
    fs_fail("update event after an error");
  }
}

static size_t
fs_data_cb(void *arg, uint32_t sid, const uint8_t *buf, size_t len)
{
  volatile uint8_t sink = 0;
  size_t i;

  (void)arg;
  (void)sid;
  if (fs_errored || len > SMUX_MAX_PAYLOAD) {
    fs_fail("data event after an error or longer than a frame");
  }
  for (i = 0; i < len; i++) {
    sink ^= buf[i]; /* every byte offered must be readable */
  }
  (void)sink;
  fs_calls++;
  if (fs_take_max == 0) {
    fs_data += len;
    return len;
  }
  if (fs_calls % 7 == 0) {
    return 0;
  }
  len = len < fs_take_max ? len : fs_take_max;
  fs_data += len;
  return len;
}

static const struct smux_parser_ops fs_ops = { fs_frame, fs_update, fs_data_cb };

/** Offer @p len bytes to the parser until it takes nothing more. */
static size_t
fs_parse(struct smux_parser *p, const uint8_t *buf, size_t len)
{
  size_t used = 0, n;

  do {
    n = smux_parser_input(p, buf + used, len - used, &fs_ops, NULL);
    if (n > len - used) {
      fs_fail("parser took more than offered");
    }
    used += n;
    if (p->error != SMUX_OK) {
      fs_errored = 1;
      if (smux_parser_input(p, buf, len, &fs_ops, NULL) != 0) {
        fs_fail("parser took input after an error");
      }
      break;
    }
  } while (n > 0 && used < len);
  return used;
}

/** The input as a valid stream: PSH frames of its bytes, SYN/FIN/NOP/UPD
 *  around them; parsed back, the data bytes must all arrive. */
static void
fs_round_trip(uint8_t ver, const uint8_t *in, size_t len)
{
  static uint8_t wire[8 * 4096];
  struct smux_parser p;
  size_t n = 0, off = 0;

  smux_header_encode(wire, ver, SMUX_CMD_SYN, 0, 3);
  n = SMUX_HEADER_SIZE;
  while (off < len && n + 2 * SMUX_HEADER_SIZE + SMUX_UPD_SIZE + 255 < sizeof(wire)) {
    size_t k = (size_t)in[off] % 256;
    k = k < len - off ? k : len - off;
    smux_header_encode(wire + n, ver, SMUX_CMD_PSH, (uint16_t)k, 3);
    memcpy(wire + n + SMUX_HEADER_SIZE, in + off, k);
    n += SMUX_HEADER_SIZE + k;
    off += k > 0 ? k : 1;
    if (ver == 2) {
      smux_update_encode(wire + n, 3, (uint32_t)off, 65536);
      n += SMUX_HEADER_SIZE + SMUX_UPD_SIZE;
    } else {
      smux_header_encode(wire + n, ver, SMUX_CMD_NOP, 0, 0);
      n += SMUX_HEADER_SIZE;
    }
  }
  smux_header_encode(wire + n, ver, SMUX_CMD_FIN, 0, 3);
  n += SMUX_HEADER_SIZE;
  smux_parser_init(&p, ver);
  fs_errored = 0;
  fs_take_max = 0;
  if (fs_parse(&p, wire, n) != n || p.error != SMUX_OK) {
    fs_fail("a valid stream was not parsed whole");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct snappyframe_dec dec;
  struct smux_parser p;
  uint8_t ver, mode;
  size_t piece, off = 0;

  if (size < 2 || size > 1 << 20) {
    return 0;
  }
  mode = data[0];
  ver = (uint8_t)(1 + (mode & 1));
  piece = (size_t)data[1] + 1;
  data += 2;
  size -= 2;
  fs_round_trip(ver, data, size < 4096 ? size : 4096);

  fs_take_max = (unsigned)(mode >> 2);
  fs_calls = 0;
  fs_errored = 0;
  fs_data = 0;
  smux_parser_init(&p, ver);
  if (!(mode & 2)) {
    while (off < size && !fs_errored) {
      size_t n = size - off < piece ? size - off : piece;
      size_t used = fs_parse(&p, data + off, n);
      if (used == 0 && !fs_errored && fs_take_max == 0) {
        fs_fail("parser stalled with a callback that takes everything");
      }
      off += used > 0 ? used : n; /* a stalled parser is skipped past, as a reset */
      if (used == 0) {
        smux_parser_init(&p, ver);
      }
    }
    return 0;
  }
  snappyframe_dec_init(&dec);
  while (off < size && dec.error == SNAPPYFRAME_OK && !fs_errored) {
    const uint8_t *out;
    size_t n = size - off < piece ? size - off : piece;
    size_t used = snappyframe_decode(&dec, data + off, n), w;
    if (used > n) {
      fs_fail("decoder took more than offered");
    }
    off += used;
    w = snappyframe_output(&dec, &out);
    if (w > SNAPPYFRAME_BLOCK) {
      fs_fail("decoded chunk larger than a block");
    }
    if (w > 0) {
      size_t took = fs_parse(&p, out, w);
      snappyframe_output_taken(&dec, w); /* the rest is dropped, as a reset */
      if (took < w && !fs_errored) {
        smux_parser_init(&p, ver);
      }
    } else if (used == 0) {
      fs_fail("decoder took nothing with no output waiting");
    }
  }
  if (dec.error != SNAPPYFRAME_OK && snappyframe_decode(&dec, data, size) != 0) {
    fs_fail("decoder took input after an error");
  }
  return 0;
}
