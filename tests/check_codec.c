/**
 * @file
 * Check tests of the datagram codec (codec/): key derivation, every cipher
 * and the FEC shards against golden vectors the real kcp-go produced
 * (tests/codec/golden.txt, made by tests/codec/golden), also with keys a
 * cipher library may call weak, then seal/open
 * round trips, wrong keys, short and garbage datagrams, lost shards.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcp_codec.h"
#include "kcp_crypt.h"
#include "kcp_fec.h"
#include "checkmain.h"

#define T_MAXLINE 8192
#define T_MAXVEC  64
#define T_MAXDG   2048

struct t_vec {
  char name[16];
  uint8_t key[KCP_CRYPT_KEY_LEN]; /* rawcrypt's key */
  size_t len;
  uint8_t a[T_MAXDG];
  uint8_t b[T_MAXDG];
};

static struct t_vec t_keys[T_MAXVEC], t_crypts[T_MAXVEC], t_rawcrypts[T_MAXVEC], t_shards[T_MAXVEC];
static int t_nkeys, t_ncrypts, t_nrawcrypts, t_nshards, t_ds, t_ps;

static size_t
t_unhex(const char *s, uint8_t *out, size_t max)
{
  size_t n = 0;
  unsigned v;

  while (s[0] != '\0' && s[0] != ' ' && s[0] != '\n' && n < max &&
         sscanf(s, "%2x", &v) == 1) {
    out[n++] = (uint8_t)v;
    s += 2;
  }
  return n;
}

static const char *
t_field(const char *s, int i)
{
  while (i-- > 0) {
    s = strchr(s, ' ');
    ck_assert_ptr_nonnull(s);
    s++;
  }
  return s;
}

/* A cipher line's name (field 1), plaintext (field @p plain) and
   ciphertext (the field after it). */
static void
t_parse_crypt(struct t_vec *v, const char *line, int plain)
{
  sscanf(t_field(line, 1), "%15s", v->name);
  v->len = t_unhex(t_field(line, plain), v->a, sizeof(v->a));
  ck_assert_uint_eq(t_unhex(t_field(line, plain + 1), v->b, sizeof(v->b)), v->len);
}

/** Reads the golden vectors (path from CODEC_GOLDEN or the default). */
static void
t_load(void)
{
  const char *path = getenv("CODEC_GOLDEN");
  static char line[T_MAXLINE];
  FILE *f;

  if (t_nkeys > 0) {
    return;
  }
  f = fopen(path != NULL ? path : "tests/codec/golden.txt", "r");
  ck_assert_msg(f != NULL, "golden vectors not found (run from the repository root)");
  while (fgets(line, sizeof(line), f) != NULL) {
    struct t_vec *v;
    if (strncmp(line, "key ", 4) == 0) {
      ck_assert_int_lt(t_nkeys, T_MAXVEC);
      v = &t_keys[t_nkeys++];
      v->len = t_unhex(t_field(line, 1), v->a, sizeof(v->a) - 1);
      v->a[v->len] = 0;
      ck_assert_uint_eq(t_unhex(t_field(line, 2), v->b, sizeof(v->b)), KCP_CRYPT_KEY_LEN);
    } else if (strncmp(line, "crypt ", 6) == 0) {
      ck_assert_int_lt(t_ncrypts, T_MAXVEC);
      t_parse_crypt(&t_crypts[t_ncrypts++], line, 2);
    } else if (strncmp(line, "rawcrypt ", 9) == 0) {
      ck_assert_int_lt(t_nrawcrypts, T_MAXVEC);
      v = &t_rawcrypts[t_nrawcrypts++];
      ck_assert_uint_eq(t_unhex(t_field(line, 2), v->key, sizeof(v->key)), KCP_CRYPT_KEY_LEN);
      t_parse_crypt(v, line, 3);
    } else if (strncmp(line, "fec ", 4) == 0) {
      ck_assert_int_eq(sscanf(line + 4, "%d %d", &t_ds, &t_ps), 2);
    } else if (strncmp(line, "shard ", 6) == 0) {
      ck_assert_int_lt(t_nshards, T_MAXVEC);
      v = &t_shards[t_nshards++];
      v->len = t_unhex(t_field(line, 1), v->a, sizeof(v->a));
    }
  }
  fclose(f);
  ck_assert_int_ge(t_nkeys, 1);
  ck_assert_int_ge(t_ncrypts, 13);
  ck_assert_int_ge(t_nrawcrypts, 13);
  ck_assert_int_ge(t_nshards, 2 * (t_ds + t_ps));
}

START_TEST(test_key_derivation)
{
  uint8_t key[KCP_CRYPT_KEY_LEN];
  int i;

  t_load();
  for (i = 0; i < t_nkeys; i++) {
    kcp_crypt_derive_key((const char *)t_keys[i].a, key);
    ck_assert_mem_eq(key, t_keys[i].b, KCP_CRYPT_KEY_LEN);
  }
}
END_TEST

/* Cipher v->name with @p key encrypts v->a into v->b as kcp-go does, in
   place or not, and decrypts back. */
static void
t_check_crypt(const struct t_vec *v, const uint8_t *key)
{
  static uint8_t out[T_MAXDG], back[T_MAXDG];
  struct kcp_crypt *c = kcp_crypt_new(v->name, key);

  ck_assert_msg(c != NULL, "cipher %s, key %02x%02x%02x...", v->name, key[0], key[1], key[2]);
  ck_assert_str_eq(kcp_crypt_name(c), v->name);
  kcp_crypt_encrypt(c, out, v->a, v->len);
  ck_assert_msg(memcmp(out, v->b, v->len) == 0, "%s, key %02x%02x%02x..., %zu bytes", v->name,
                key[0], key[1], key[2], v->len);
  memcpy(back, v->a, v->len);
  kcp_crypt_encrypt(c, back, back, v->len);
  ck_assert_msg(memcmp(back, v->b, v->len) == 0, "%s in place", v->name);
  kcp_crypt_decrypt(c, back, back, v->len);
  ck_assert_msg(memcmp(back, v->a, v->len) == 0, "%s decrypt", v->name);
  kcp_crypt_free(c);
}

/** Every cipher encrypts as kcp-go does, in place or not, and decrypts back. */
START_TEST(test_ciphers_golden)
{
  uint8_t key[KCP_CRYPT_KEY_LEN];
  int i, seen_names = 0;

  t_load();
  kcp_crypt_derive_key("it's a secrect", key);
  for (i = 0; i < t_ncrypts; i++) {
    t_check_crypt(&t_crypts[i], key);
    seen_names += strcmp(t_crypts[i].name, "none") == 0;
  }
  ck_assert_int_ge(seen_names, 1);
  ck_assert_ptr_null(kcp_crypt_new("rot13", key));
  ck_assert_int_eq(kcp_crypt_valid_name("aes"), 1);
  ck_assert_int_eq(kcp_crypt_valid_name(NULL), 0);
}
END_TEST

/**
 * Keys given as they are, among them all-zero and all-one DES parts that
 * libgcrypt refuses as weak unless told otherwise: kcp-go takes them, so
 * every cipher must take them and encrypt as kcp-go does.
 */
START_TEST(test_ciphers_raw_keys)
{
  int i;

  t_load();
  for (i = 0; i < t_nrawcrypts; i++) {
    t_check_crypt(&t_rawcrypts[i], t_rawcrypts[i].key);
  }
}
END_TEST

/** Seal/open round trips for each cipher; a wrong key is a CRC error. */
START_TEST(test_seal_open)
{
  static const char *names[] = { "aes", "aes-128", "aes-192", "salsa20", "blowfish",
    "twofish", "cast5", "3des", "tea", "xtea", "xor", "sm4", "none" };
  struct kcp_codec_config cfg = { NULL, "secret", 0, 0 }, bad = { NULL, "wrong", 0, 0 };
  struct kcp_codec_stats st;
  uint8_t dg[300], copy[300];
  size_t i, k;

  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    struct kcp_codec *a, *b, *w;
    cfg.crypt = bad.crypt = names[i];
    a = kcp_codec_new(&cfg);
    b = kcp_codec_new(&cfg);
    w = kcp_codec_new(&bad);
    ck_assert(a != NULL && b != NULL && w != NULL);
    ck_assert_uint_eq(kcp_codec_overhead(a), KCP_CODEC_HEADER_LEN);
    for (k = 0; k < sizeof(dg); k++) {
      dg[k] = (uint8_t)(k * 31 + i);
    }
    kcp_codec_seal(a, dg, sizeof(dg));
    memcpy(copy, dg, sizeof(dg));
    ck_assert_int_eq(kcp_codec_open(b, dg, sizeof(dg)), sizeof(dg) - KCP_CODEC_HEADER_LEN);
    for (k = KCP_CODEC_HEADER_LEN; k < sizeof(dg); k++) {
      ck_assert_uint_eq(dg[k], (uint8_t)(k * 31 + i));
    }
    if (strcmp(names[i], "none") != 0) {
      ck_assert_int_eq(kcp_codec_open(w, copy, sizeof(copy)), -1);
      kcp_codec_stats_get(w, &st);
      ck_assert_uint_eq(st.crc_err, 1);
    }
    ck_assert_int_eq(kcp_codec_open(b, copy, KCP_CODEC_HEADER_LEN - 1), -1);
    kcp_codec_stats_get(b, &st);
    ck_assert_uint_eq(st.short_in, 1);
    ck_assert_uint_eq(st.opened, 1);
    kcp_codec_free(a);
    kcp_codec_free(b);
    kcp_codec_free(w);
  }
}
END_TEST

START_TEST(test_config_check)
{
  struct kcp_codec_config cfg = { "aes", "k", 10, 3 };
  const char *why = NULL;

  ck_assert_int_eq(kcp_codec_config_check(&cfg, &why), 0);
  cfg.parityshard = 0;
  ck_assert_int_eq(kcp_codec_config_check(&cfg, &why), -1);
  ck_assert_ptr_nonnull(why);
  cfg.datashard = 0;
  ck_assert_int_eq(kcp_codec_config_check(&cfg, &why), 0);
  cfg.datashard = 100;
  cfg.parityshard = 100;
  ck_assert_int_eq(kcp_codec_config_check(&cfg, &why), -1);
  cfg.datashard = 10;
  cfg.parityshard = 3;
  cfg.crypt = "rot13";
  ck_assert_int_eq(kcp_codec_config_check(&cfg, &why), -1);
  ck_assert_ptr_null(kcp_codec_new(&cfg));
}
END_TEST

/** kcp-go's captured datagrams open with crypt none; FEC headers parse. */
static struct kcp_codec *
t_none_codec(void)
{
  struct kcp_codec_config cfg = { "none", "it's a secrect", 0, 0 };
  struct kcp_codec *c;

  cfg.datashard = t_ds;
  cfg.parityshard = t_ps;
  c = kcp_codec_new(&cfg);
  ck_assert_ptr_nonnull(c);
  ck_assert_uint_eq(kcp_codec_overhead(c), KCP_CODEC_HEADER_LEN + KCP_FEC_HEADER_LEN);
  return c;
}

/** Our encoder, fed kcp-go's KCP datagrams, makes kcp-go's shards. */
START_TEST(test_fec_encode_golden)
{
  static uint8_t buf[T_MAXDG];
  struct kcp_codec *c;
  struct kcp_fec_encoder *enc;
  int i, j, parity = 0;

  t_load();
  c = t_none_codec();
  enc = kcp_fec_encoder_new(t_ds, t_ps, KCP_CODEC_HEADER_LEN);
  ck_assert_ptr_nonnull(enc);
  for (i = 0; i < t_nshards; i++) {
    struct t_vec *v = &t_shards[i];
    memcpy(v->b, v->a, v->len);
    ck_assert_int_eq(kcp_codec_open(c, v->b, v->len), (int)(v->len - KCP_CODEC_HEADER_LEN));
    ck_assert_int_eq(kcp_fec_is_shard(v->b + KCP_CODEC_HEADER_LEN, v->len - KCP_CODEC_HEADER_LEN), 1);
  }
  for (i = 0; i < t_nshards; i++) {
    const struct t_vec *v = &t_shards[i];
    int n;
    if (v->b[KCP_CODEC_HEADER_LEN + 4] != KCP_FEC_TYPE_DATA) {
      continue;
    }
    memset(buf, 0xee, KCP_CODEC_HEADER_LEN + KCP_FEC_HEADER_LEN);
    memcpy(buf + KCP_CODEC_HEADER_LEN + KCP_FEC_HEADER_LEN,
           v->b + KCP_CODEC_HEADER_LEN + KCP_FEC_HEADER_LEN,
           v->len - KCP_CODEC_HEADER_LEN - KCP_FEC_HEADER_LEN);
    n = kcp_fec_encode(enc, buf, v->len);
    ck_assert_mem_eq(buf + KCP_CODEC_HEADER_LEN, v->b + KCP_CODEC_HEADER_LEN,
                     v->len - KCP_CODEC_HEADER_LEN);
    if (n == 0) {
      continue;
    }
    ck_assert_int_eq(n, t_ps);
    for (j = 0; j < n; j++) {
      const struct t_vec *p = &t_shards[i + 1 + j];
      size_t plen;
      const uint8_t *ps = kcp_fec_parity(enc, j, &plen);
      ck_assert_uint_eq(p->b[KCP_CODEC_HEADER_LEN + 4], KCP_FEC_TYPE_PARITY);
      ck_assert_uint_eq(plen, p->len);
      ck_assert_mem_eq(ps + KCP_CODEC_HEADER_LEN, p->b + KCP_CODEC_HEADER_LEN,
                       plen - KCP_CODEC_HEADER_LEN);
      parity++;
    }
  }
  ck_assert_int_ge(parity, 2 * t_ps);
  kcp_fec_encoder_free(enc);
  kcp_codec_free(c);
}
END_TEST

/** Feeds shard i of the capture (opened) to the decoder. */
static int
t_feed(struct kcp_fec_decoder *dec, int i, uint32_t now)
{
  const struct t_vec *v = &t_shards[i];
  return kcp_fec_decode(dec, v->b + KCP_CODEC_HEADER_LEN, v->len - KCP_CODEC_HEADER_LEN, now);
}

static void
t_expect_recovered(struct kcp_fec_decoder *dec, int k, int shard)
{
  const struct t_vec *v = &t_shards[shard];
  size_t len;
  const uint8_t *r = kcp_fec_recovered(dec, k, &len);

  ck_assert_uint_eq(len, v->len - KCP_CODEC_HEADER_LEN - KCP_FEC_HEADER_LEN);
  ck_assert_mem_eq(r, v->b + KCP_CODEC_HEADER_LEN + KCP_FEC_HEADER_LEN, len);
}

/** Lost data shards come back from kcp-go's parity, up to ps per group. */
START_TEST(test_fec_decode_golden)
{
  struct kcp_fec_decoder *dec;
  struct kcp_fec_stats st;
  struct kcp_codec *c;
  int g, i;

  t_load();
  g = t_ds + t_ps;
  ck_assert_int_eq(t_ds, 3);
  ck_assert_int_eq(t_ps, 2);
  c = t_none_codec();
  for (i = 0; i < t_nshards; i++) {
    struct t_vec *v = &t_shards[i];
    memcpy(v->b, v->a, v->len);
    kcp_codec_open(c, v->b, v->len);
  }
  dec = kcp_fec_decoder_new(t_ds, t_ps);
  ck_assert_ptr_nonnull(dec);
  /* group 0: data shard 1 lost */
  ck_assert_int_eq(t_feed(dec, 0, 0), 0);
  ck_assert_int_eq(t_feed(dec, 2, 0), 0);
  ck_assert_int_eq(t_feed(dec, 0, 0), 0);               /* duplicate */
  ck_assert_int_eq(t_feed(dec, 3, 0), 1);
  t_expect_recovered(dec, 0, 1);
  ck_assert_int_eq(t_feed(dec, 4, 0), 0);               /* group done */
  /* group 1: two data shards lost, both rebuilt from the two parity */
  ck_assert_int_eq(t_feed(dec, g + 2, 0), 0);
  ck_assert_int_eq(t_feed(dec, g + 4, 0), 0);
  ck_assert_int_eq(t_feed(dec, g + 3, 0), 2);
  t_expect_recovered(dec, 0, g + 0);
  t_expect_recovered(dec, 1, g + 1);
  kcp_fec_stats_get(dec, &st);
  ck_assert_uint_eq(st.recovered, 3);
  ck_assert_uint_eq(st.dup, 1);
  kcp_fec_decoder_free(dec);

  /* three lost of a group: nothing to rebuild */
  dec = kcp_fec_decoder_new(t_ds, t_ps);
  ck_assert_int_eq(t_feed(dec, 0, 0), 0);
  ck_assert_int_eq(t_feed(dec, 3, 0), 0);
  kcp_fec_decoder_free(dec);
  kcp_codec_free(c);
}
END_TEST

/** Garbage and floods of shards: counted, memory stays within the decoder. */
START_TEST(test_fec_hostile)
{
  struct kcp_fec_decoder *dec = kcp_fec_decoder_new(10, 3);
  struct kcp_fec_stats st;
  uint8_t sh[KCP_FEC_SHARD_MAX + 1];
  uint32_t seed = 1;
  int i, k;

  ck_assert_ptr_nonnull(dec);
  memset(sh, 0, sizeof(sh));
  ck_assert_int_eq(kcp_fec_decode(dec, sh, 8, 0), -1);          /* type 0 */
  sh[4] = KCP_FEC_TYPE_DATA;
  ck_assert_int_eq(kcp_fec_decode(dec, sh, 7, 0), -1);          /* short */
  ck_assert_int_eq(kcp_fec_decode(dec, sh, sizeof(sh), 0), -1); /* long */
  for (i = 0; i < 100000; i++) {
    size_t len;
    seed = seed * 1103515245u + 12345u;
    len = 8 + (seed >> 8) % (KCP_FEC_SHARD_MAX - 7);
    for (k = 0; k < 4; k++) {
      sh[k] = (uint8_t)(seed >> (8 * k));
    }
    sh[4] = (seed & 0x10000) ? KCP_FEC_TYPE_DATA : KCP_FEC_TYPE_PARITY;
    sh[6] = (uint8_t)(seed >> 3);
    sh[7] = (uint8_t)(seed >> 11);
    (void)kcp_fec_decode(dec, sh, len, (uint32_t)i * 7u);
  }
  kcp_fec_stats_get(dec, &st);
  ck_assert_uint_eq(st.bad >= 3, 1);
  ck_assert_uint_gt(st.data_in + st.parity_in, 90000);
  kcp_fec_decoder_free(dec);
}
END_TEST

/** Random data through encoder and decoder with up to ps losses per group. */
START_TEST(test_fec_roundtrip)
{
  static uint8_t dg[40][KCP_FEC_SHARD_MAX];
  static size_t len[40];
  struct kcp_fec_encoder *enc = kcp_fec_encoder_new(10, 3, 0);
  struct kcp_fec_decoder *dec = kcp_fec_decoder_new(10, 3);
  struct kcp_fec_stats st;
  uint32_t seed = 7;
  int i, k, n = 0, rec = 0;

  ck_assert(enc != NULL && dec != NULL);
  for (i = 0; i < 10; i++) {
    int np;
    seed = seed * 1103515245u + 12345u;
    len[n] = KCP_FEC_HEADER_LEN + 24 + (seed >> 8) % 1000;
    for (k = KCP_FEC_HEADER_LEN; k < (int)len[n]; k++) {
      dg[n][k] = (uint8_t)(k ^ i ^ (seed >> 16));
    }
    np = kcp_fec_encode(enc, dg[n], len[n]);
    n++;
    for (k = 0; k < np; k++) {
      uint8_t *p = kcp_fec_parity(enc, k, &len[n]);
      memcpy(dg[n], p, len[n]);
      n++;
    }
  }
  ck_assert_int_eq(n, 13);
  /* lose data shards 0, 4 and 9 */
  for (i = 0; i < n; i++) {
    if (i == 0 || i == 4 || i == 9) {
      continue;
    }
    rec = kcp_fec_decode(dec, dg[i], len[i], 0);
    if (rec > 0) {
      break;
    }
  }
  ck_assert_int_eq(rec, 3);
  for (k = 0; k < rec; k++) {
    static const int lost[3] = { 0, 4, 9 };
    size_t rl;
    const uint8_t *r = kcp_fec_recovered(dec, k, &rl);
    ck_assert_uint_eq(rl, len[lost[k]] - KCP_FEC_HEADER_LEN);
    ck_assert_mem_eq(r, dg[lost[k]] + KCP_FEC_HEADER_LEN, rl);
  }
  kcp_fec_stats_get(dec, &st);
  ck_assert_uint_eq(st.recovered, 3);
  kcp_fec_encoder_free(enc);
  kcp_fec_decoder_free(dec);
}
END_TEST

static Suite *
codec_suite(void)
{
  Suite *s = suite_create("codec");
  TCase *tc = tcase_create("codec");

  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_key_derivation);
  tcase_add_test(tc, test_ciphers_golden);
  tcase_add_test(tc, test_ciphers_raw_keys);
  tcase_add_test(tc, test_seal_open);
  tcase_add_test(tc, test_config_check);
  tcase_add_test(tc, test_fec_encode_golden);
  tcase_add_test(tc, test_fec_decode_golden);
  tcase_add_test(tc, test_fec_hostile);
  tcase_add_test(tc, test_fec_roundtrip);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(codec_suite());
}
