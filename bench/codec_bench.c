/**
 * @file
 * CPU cost of kcp-go's datagram codec (codec/) on one core: COUNT KCP
 * datagrams of SIZE bytes go through a sending link (FEC encode, nonce,
 * CRC32, cipher) and each sealed datagram straight into a receiving link
 * (decrypt, CRC32, FEC decode), as a kcptun peer pair does. Every KCP
 * datagram must come out intact. bench/kcpgo_codec/main.go does the same
 * work with kcp-go's own pieces; bench/codec-bench.sh compares the two.
 *
 *   codec_bench CRYPT DS PS COUNT SIZE
 *
 * Prints one JSON object: crypt, ds, ps, datagrams, bytes, cpu_s,
 * ns_per_dgram, mbit_s (KCP bytes per CPU second).
 */
#include "kcp_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cb_state {
  struct kcp_codec *rx;
  struct kcp_codec_link *rl;
  const uint8_t *want;
  size_t want_len;
  unsigned long delivered, bad;
  uint8_t buf[KCP_CODEC_MTU_LIMIT];
};

static void
cb_deliver(void *arg, const uint8_t *kcp, size_t len)
{
  struct cb_state *st = (struct cb_state *)arg;

  st->delivered++;
  if (len != st->want_len || memcmp(kcp, st->want, len) != 0) {
    st->bad++;
  }
}

static void
cb_emit(void *arg, const uint8_t *dgram, size_t len)
{
  struct cb_state *st = (struct cb_state *)arg;
  int n;

  memcpy(st->buf, dgram, len);
  n = kcp_codec_open(st->rx, st->buf, len);
  if (n < 0) {
    st->bad++;
    return;
  }
  kcp_codec_link_input(st->rl, st->buf + KCP_CODEC_HEADER_LEN, (size_t)n, 0, cb_deliver, st);
}

static double
cb_cpu(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
  struct kcp_codec_config cfg;
  struct kcp_codec *tx;
  struct kcp_codec_link *tl;
  static struct cb_state st;
  static uint8_t msg[KCP_CODEC_MTU_LIMIT];
  unsigned long count, i;
  size_t size;
  double t0, t;

  if (argc != 6) {
    fprintf(stderr, "usage: codec_bench CRYPT DS PS COUNT SIZE\n");
    return 2;
  }
  cfg.crypt = argv[1];
  cfg.key = "bench";
  cfg.datashard = atoi(argv[2]);
  cfg.parityshard = atoi(argv[3]);
  count = strtoul(argv[4], NULL, 10);
  size = strtoul(argv[5], NULL, 10);
  if (size < 24 || size + kcp_codec_config_overhead(&cfg) > KCP_CODEC_MTU_LIMIT) {
    fprintf(stderr, "codec_bench: SIZE must be 24..%u\n",
            (unsigned)(KCP_CODEC_MTU_LIMIT - kcp_codec_config_overhead(&cfg)));
    return 2;
  }
  tx = kcp_codec_new(&cfg);
  st.rx = kcp_codec_new(&cfg);
  if (tx == NULL || st.rx == NULL) {
    fprintf(stderr, "codec_bench: bad setting %s %s %s\n", argv[1], argv[2], argv[3]);
    return 2;
  }
  tl = kcp_codec_link_new(tx);
  st.rl = kcp_codec_link_new(st.rx);
  if (tl == NULL || st.rl == NULL) {
    return 1;
  }
  for (i = 0; i < size; i++) {
    msg[i] = (uint8_t)(i * 7 + 3);
  }
  msg[4] = 81; /* a PUSH, as KCP would send: never read as an FEC type */
  st.want = msg;
  st.want_len = size;
  t0 = cb_cpu();
  for (i = 0; i < count; i++) {
    msg[8] = (uint8_t)i;
    kcp_codec_link_send(tl, msg, size, cb_emit, &st);
  }
  t = cb_cpu() - t0;
  if (st.bad != 0 || st.delivered != count) {
    fprintf(stderr, "codec_bench: %lu of %lu delivered, %lu bad\n", st.delivered, count, st.bad);
    return 1;
  }
  printf("{\"crypt\":\"%s\",\"ds\":%d,\"ps\":%d,\"datagrams\":%lu,\"bytes\":%lu,"
         "\"cpu_s\":%.4f,\"ns_per_dgram\":%.1f,\"mbit_s\":%.1f}\n",
         argv[1], cfg.datashard, cfg.parityshard, count, count * (unsigned long)size, t,
         t * 1e9 / (double)count, (double)count * (double)size * 8 / t / 1e6);
  kcp_codec_link_free(tl);
  kcp_codec_link_free(st.rl);
  kcp_codec_free(tx);
  kcp_codec_free(st.rx);
  return 0;
}
