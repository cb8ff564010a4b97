/**
 * @file
 * libFuzzer target for kcp-go's datagram codec (codec/: kcp_codec,
 * kcp_crypt, kcp_fec).
 *
 * The input picks a cipher and an FEC setting, then is a program run
 * against a sending link and a receiving link of two codecs with the same
 * settings: send a KCP datagram, deliver, drop, reorder or corrupt the
 * sealed datagrams in flight, feed the receiver raw bytes, open a datagram
 * with a codec of another key, advance the clock, or round-trip bytes
 * through a cipher. After every op, a violation aborts:
 * - every sealed datagram fits kcp-go's 1500-byte limit, and the first of
 *   a send (the data itself) is its KCP datagram's length plus
 *   kcp_codec_overhead();
 * - a datagram delivered untouched always opens;
 * - until a raw datagram has opened, every KCP datagram the receiver
 *   delivers (an FEC data shard's or one rebuilt from parity) is byte for
 *   byte one the sender sent;
 * - another key never opens a datagram (but with cipher none; a CRC32
 *   collision, once in 2^32 tries, would be reported too);
 * - decrypt(encrypt(x)) == x for every cipher, in place.
 * Codecs are made once per setting (key derivation is slow on purpose).
 */
#include "kcp_codec.h"
#include "kcp_crypt.h"
#include "kcp_fec.h"
#include "fuzz_reader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Sealed datagrams in flight; a full link drops the oldest. */
#define FC_LINK_LEN 64
/** KCP datagrams the sender remembers for the delivery check. */
#define FC_SENT_LEN 256
/** Largest KCP datagram sent: kcp-go's limit less the largest overhead. */
#define FC_KCP_MAX  (KCP_CODEC_MTU_LIMIT - KCP_CODEC_HEADER_LEN - KCP_FEC_HEADER_LEN)

static const char *const fc_ciphers[] = {
  "aes", "aes-128", "aes-192", "salsa20", "blowfish", "twofish", "cast5", "3des",
  "tea", "xtea", "xor", "sm4", "none"
};
#define FC_NCIPHERS (sizeof(fc_ciphers) / sizeof(fc_ciphers[0]))
static const int fc_fec[][2] = { { 0, 0 }, { 1, 1 }, { 3, 2 }, { 10, 3 } };
#define FC_NFEC (sizeof(fc_fec) / sizeof(fc_fec[0]))

/** Per setting: sender, receiver, and a codec with another key. */
static struct kcp_codec *fc_codecs[FC_NCIPHERS][FC_NFEC][3];
static struct kcp_crypt *fc_crypts[FC_NCIPHERS];

struct fc_dgram {
  uint8_t buf[KCP_CODEC_MTU_LIMIT];
  size_t len;
};

static struct fc_dgram fc_link[FC_LINK_LEN];
static int fc_nlink;
static struct fc_dgram fc_sent[FC_SENT_LEN];
static int fc_nsent, fc_sent_next;
static int fc_tainted;       /* a raw datagram opened: deliveries unchecked */
static int fc_emitted;       /* datagrams emitted by the current send */
static size_t fc_overhead;

static void
fc_fail(const char *what)
{
  fprintf(stderr, "fuzz_codec: %s\n", what);
  abort();
}

static struct kcp_codec *
fc_codec(size_t c, size_t f, int which)
{
  if (fc_codecs[c][f][which] == NULL) {
    struct kcp_codec_config cfg;
    cfg.crypt = fc_ciphers[c];
    cfg.key = which == 2 ? "another key" : "fuzz";
    cfg.datashard = fc_fec[f][0];
    cfg.parityshard = fc_fec[f][1];
    fc_codecs[c][f][which] = kcp_codec_new(&cfg);
    if (fc_codecs[c][f][which] == NULL) {
      fc_fail("kcp_codec_new failed on a valid setting");
    }
  }
  return fc_codecs[c][f][which];
}

/** Sender's emit: checks the size, queues the datagram on the link. */
static void
fc_emit(void *arg, const uint8_t *dgram, size_t len)
{
  size_t kcplen = *(const size_t *)arg;

  if (len > KCP_CODEC_MTU_LIMIT || len < fc_overhead) {
    fc_fail("sealed datagram out of bounds");
  }
  if (fc_emitted++ == 0 && len != kcplen + fc_overhead) {
    fc_fail("sealed datagram is not its KCP datagram plus the headers");
  }
  if (fc_nlink == FC_LINK_LEN) {
    memmove(&fc_link[0], &fc_link[1], sizeof(fc_link[0]) * (FC_LINK_LEN - 1));
    fc_nlink--;
  }
  memcpy(fc_link[fc_nlink].buf, dgram, len);
  fc_link[fc_nlink].len = len;
  fc_nlink++;
}

/** Receiver's deliver: must be one of the KCP datagrams sent. */
static void
fc_deliver(void *arg, const uint8_t *kcp, size_t len)
{
  int i;

  (void)arg;
  if (len > FC_KCP_MAX + KCP_FEC_HEADER_LEN) {
    fc_fail("delivered datagram too long");
  }
  if (fc_tainted) {
    return;
  }
  for (i = 0; i < fc_nsent; i++) {
    if (fc_sent[i].len == len && memcmp(fc_sent[i].buf, kcp, len) == 0) {
      return;
    }
  }
  fc_fail("delivered a KCP datagram that was never sent");
}

/** Opens a datagram with the receiver and feeds its link; one that is not
    the sender's own (raw or corrupted) ends the delivery check if it opens. */
static int
fc_receive(struct kcp_codec *rx, struct kcp_codec_link *rl, uint8_t *d, size_t len,
           uint32_t now, int untrusted)
{
  int n = kcp_codec_open(rx, d, len);

  if (n >= 0) {
    fc_tainted |= untrusted;
    kcp_codec_link_input(rl, d + KCP_CODEC_HEADER_LEN, (size_t)n, now, fc_deliver, NULL);
  }
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static uint8_t buf[KCP_CODEC_MTU_LIMIT], copy[KCP_CODEC_MTU_LIMIT];
  struct fuzz_reader r;
  struct kcp_codec *tx, *rx, *other;
  struct kcp_codec_link *tl, *rl;
  size_t c, f, len;
  uint32_t now = 0;
  int ops = 0;

  fuzz_reader_init(&r, data, size);
  c = fuzz_reader_u8(&r) % FC_NCIPHERS;
  f = fuzz_reader_u8(&r) % FC_NFEC;
  tx = fc_codec(c, f, 0);
  rx = fc_codec(c, f, 1);
  other = fc_codec(c, f, 2);
  fc_overhead = kcp_codec_overhead(tx);
  tl = kcp_codec_link_new(tx);
  rl = kcp_codec_link_new(rx);
  if (tl == NULL || rl == NULL) {
    fc_fail("kcp_codec_link_new failed");
  }
  fc_nlink = fc_nsent = fc_sent_next = fc_tainted = 0;

  while (!fuzz_reader_done(&r) && ops++ < 4096) {
    uint8_t op = fuzz_reader_u8(&r);
    int i = fc_nlink > 0 ? fuzz_reader_u8(&r) % fc_nlink : 0;

    switch (op % 8) {
    case 0: /* send a KCP datagram */
      len = fuzz_reader_u16(&r) % (FC_KCP_MAX + 1);
      len = fuzz_reader_bytes(&r, buf, len);
      memcpy(fc_sent[fc_sent_next].buf, buf, len);
      fc_sent[fc_sent_next].len = len;
      fc_sent_next = (fc_sent_next + 1) % FC_SENT_LEN;
      if (fc_nsent < FC_SENT_LEN) {
        fc_nsent++;
      }
      fc_emitted = 0;
      if (kcp_codec_link_send(tl, buf, len, fc_emit, &len) != 0) {
        fc_fail("a datagram within the limit was refused");
      }
      break;
    case 1: /* deliver one in flight */
    case 2:
      if (fc_nlink > 0) {
        memcpy(copy, fc_link[i].buf, fc_link[i].len);
        if (fc_receive(rx, rl, copy, fc_link[i].len, now, 0) < 0) {
          fc_fail("a datagram delivered untouched did not open");
        }
        memmove(&fc_link[i], &fc_link[i + 1], sizeof(fc_link[0]) * (size_t)(fc_nlink - i - 1));
        fc_nlink--;
      }
      break;
    case 3: /* drop one in flight */
      if (fc_nlink > 0) {
        memmove(&fc_link[i], &fc_link[i + 1], sizeof(fc_link[0]) * (size_t)(fc_nlink - i - 1));
        fc_nlink--;
      }
      break;
    case 4: /* corrupt one byte of one in flight (delivered later) */
      if (fc_nlink > 0) {
        size_t at = fuzz_reader_u16(&r) % fc_link[i].len;
        fc_link[i].buf[at] ^= (uint8_t)(fuzz_reader_u8(&r) | 1);
        memcpy(copy, fc_link[i].buf, fc_link[i].len);
        (void)fc_receive(rx, rl, copy, fc_link[i].len, now, 1);
        memmove(&fc_link[i], &fc_link[i + 1], sizeof(fc_link[0]) * (size_t)(fc_nlink - i - 1));
        fc_nlink--;
      }
      break;
    case 5: /* raw bytes to the receiver */
      len = fuzz_reader_u16(&r) % (KCP_CODEC_MTU_LIMIT + 1);
      len = fuzz_reader_bytes(&r, buf, len);
      (void)fc_receive(rx, rl, buf, len, now, 1);
      break;
    case 6: /* another key, and the clock */
      if (fc_nlink > 0) {
        memcpy(copy, fc_link[i].buf, fc_link[i].len);
        if (kcp_codec_open(other, copy, fc_link[i].len) >= 0 && strcmp(fc_ciphers[c], "none") != 0) {
          fc_fail("a codec with another key opened a datagram");
        }
      }
      now += (uint32_t)fuzz_reader_u16(&r) * 10u;
      break;
    default: /* a cipher round trip, in place */
      {
        size_t k = fuzz_reader_u8(&r) % FC_NCIPHERS;
        uint8_t key[KCP_CRYPT_KEY_LEN] = { 1, 2, 3 };
        if (fc_crypts[k] == NULL && (fc_crypts[k] = kcp_crypt_new(fc_ciphers[k], key)) == NULL) {
          fc_fail("kcp_crypt_new failed");
        }
        len = fuzz_reader_u16(&r) % (KCP_CODEC_MTU_LIMIT + 1);
        len = fuzz_reader_bytes(&r, buf, len);
        memcpy(copy, buf, len);
        kcp_crypt_encrypt(fc_crypts[k], copy, copy, len);
        kcp_crypt_decrypt(fc_crypts[k], copy, copy, len);
        if (memcmp(copy, buf, len) != 0) {
          fc_fail("decrypt(encrypt(x)) != x");
        }
      }
      break;
    }
  }
  kcp_codec_link_free(tl);
  kcp_codec_link_free(rl);
  return 0;
}
