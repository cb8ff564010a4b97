/**
 * @file
 * kcp-go's FEC shards and Reed-Solomon parity on ISA-L (see kcp_fec.h).
 */
#include "kcp_fec.h"

#include <isa-l/erasure_code.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/** Offset of the size field: the part Reed-Solomon covers starts here. */
#define KCP_FEC_PAYLOAD_OFF 6
/** kcp-go's decoder keeps this many groups' worth of shards at most... */
#define KCP_FEC_RX_MULTI    3
/** ...and none older than this (ms). */
#define KCP_FEC_EXPIRE_MS   60000

static void
kcp_fec_wr16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static uint16_t
kcp_fec_rd16(const uint8_t *p)
{
  return (uint16_t)(p[0] | p[1] << 8);
}

static void
kcp_fec_wr32(uint8_t *p, uint32_t v)
{
  kcp_fec_wr16(p, (uint16_t)v);
  kcp_fec_wr16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t
kcp_fec_rd32(const uint8_t *p)
{
  return (uint32_t)kcp_fec_rd16(p) | (uint32_t)kcp_fec_rd16(p + 2) << 16;
}

/** Wrap-safe seqid comparison, as KCP's own. */
static int32_t
kcp_fec_diff(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b);
}

/**
 * Checks kcptun's --datashard/--parityshard pair: both 0 (FEC off) or
 * both >= 1 with ds + ps <= KCP_FEC_MAX_SHARDS.
 * @param why receives a message for the user when refused
 * @return 0 if accepted, -1 otherwise
 */
int
kcp_fec_shards_check(int datashard, int parityshard, const char **why)
{
  if (datashard == 0 && parityshard == 0) {
    return 0;
  }
  if (datashard < 1 || parityshard < 1) {
    *why = "FEC needs both data and parity shards (or both 0)";
    return -1;
  }
  if (datashard + parityshard > KCP_FEC_MAX_SHARDS) {
    *why = "too many FEC shards";
    return -1;
  }
  return 0;
}

/**
 * Tells an FEC shard from a plain KCP datagram, as kcp-go does: bytes 4-5
 * of a KCP segment are cmd (81-84) and frg, which never read 0x00f1/0x00f2.
 * @return 1 if dgram looks like an FEC shard, else 0
 */
int
kcp_fec_is_shard(const uint8_t *dgram, size_t len)
{
  uint16_t type;

  if (len < KCP_FEC_PAYLOAD_OFF) {
    return 0;
  }
  type = kcp_fec_rd16(dgram + 4);
  return type == KCP_FEC_TYPE_DATA || type == KCP_FEC_TYPE_PARITY;
}

/**
 * klauspost/reedsolomon's default encoding matrix, total rows by ds
 * columns: Vandermonde rows r^0..r^(ds-1) for r = 0..total-1, multiplied by
 * the inverse of its top ds x ds square so the top becomes the identity.
 * @return 0, or -1 if the square does not invert (it always does)
 */
static int
kcp_fec_matrix(int ds, int total, uint8_t *m)
{
  uint8_t *vm = malloc((size_t)total * ds + 2 * (size_t)ds * ds);
  uint8_t *top, *inv;
  int r, c, k;

  if (vm == NULL) {
    return -1;
  }
  top = vm + (size_t)total * ds;
  inv = top + (size_t)ds * ds;
  for (r = 0; r < total; r++) {
    uint8_t p = 1;
    for (c = 0; c < ds; c++) {
      vm[r * ds + c] = p;
      p = gf_mul(p, (uint8_t)r);
    }
  }
  memcpy(top, vm, (size_t)ds * ds);
  if (gf_invert_matrix(top, inv, ds) != 0) {
    free(vm);
    return -1;
  }
  for (r = 0; r < total; r++) {
    for (c = 0; c < ds; c++) {
      uint8_t acc = 0;
      for (k = 0; k < ds; k++) {
        acc ^= gf_mul(vm[r * ds + k], inv[k * ds + c]);
      }
      m[r * ds + c] = acc;
    }
  }
  free(vm);
  return 0;
}

struct kcp_fec_encoder {
  int ds, ps, total;
  uint32_t paws;            /* seqids wrap here: a multiple of total */
  uint32_t next;            /* next seqid */
  int count;                /* data shards of the current group so far */
  size_t maxlen;            /* longest of them, headroom included */
  size_t headroom;          /* caller's bytes in front of the FEC header */
  size_t slot;              /* bytes per shard buffer */
  size_t len[KCP_FEC_MAX_SHARDS];
  uint8_t *shard[KCP_FEC_MAX_SHARDS];
  uint8_t *gftbls;           /* ISA-L's tables of the parity rows */
  uint8_t *bufs;             /* total shard buffers of slot bytes */
};

/**
 * Makes an encoder.
 * @param headroom bytes the caller keeps in front of each shard's FEC
 *        header (the codec's nonce and CRC); parity shards get them too
 * @return the encoder, or NULL with errno EINVAL or ENOMEM
 */
struct kcp_fec_encoder *
kcp_fec_encoder_new(int datashard, int parityshard, size_t headroom)
{
  struct kcp_fec_encoder *enc;
  uint8_t *m;
  const char *why;
  int i;

  if (kcp_fec_shards_check(datashard, parityshard, &why) != 0 || datashard == 0) {
    errno = EINVAL;
    return NULL;
  }
  enc = calloc(1, sizeof(*enc));
  if (enc == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  enc->ds = datashard;
  enc->ps = parityshard;
  enc->total = datashard + parityshard;
  enc->paws = 0xffffffffUL / (uint32_t)enc->total * (uint32_t)enc->total;
  enc->headroom = headroom;
  enc->slot = headroom + KCP_FEC_SHARD_MAX;
  enc->bufs = calloc((size_t)enc->total, enc->slot);
  enc->gftbls = malloc(32 * (size_t)enc->ds * enc->ps);
  m = malloc((size_t)enc->total * enc->ds);
  if (enc->bufs == NULL || enc->gftbls == NULL || m == NULL ||
      kcp_fec_matrix(enc->ds, enc->total, m) != 0) {
    free(m);
    kcp_fec_encoder_free(enc);
    errno = ENOMEM;
    return NULL;
  }
  for (i = 0; i < enc->total; i++) {
    enc->shard[i] = enc->bufs + (size_t)i * enc->slot;
  }
  ec_init_tables(enc->ds, enc->ps, m + enc->ds * enc->ds, enc->gftbls);
  free(m);
  return enc;
}

/** Frees an encoder (NULL is ignored). */
void
kcp_fec_encoder_free(struct kcp_fec_encoder *enc)
{
  if (enc != NULL) {
    free(enc->gftbls);
    free(enc->bufs);
    free(enc);
  }
}

static void
kcp_fec_mark(uint8_t *hdr, uint32_t seqid, uint16_t type)
{
  kcp_fec_wr32(hdr, seqid);
  kcp_fec_wr16(hdr + 4, type);
}

/**
 * Makes a datagram a data shard (in place) and, when it completes a group,
 * computes the group's parity shards.
 * @param dgram headroom bytes, KCP_FEC_HEADER_LEN bytes of room for the
 *        FEC header, then the KCP datagram
 * @param len all of dgram; at most headroom + KCP_FEC_SHARD_MAX
 * @return the number of parity shards now ready (0 or parityshard; fetch
 *         them with kcp_fec_parity() before the next call), or -1 if len is
 *         out of range (dgram untouched)
 */
int
kcp_fec_encode(struct kcp_fec_encoder *enc, uint8_t *dgram, size_t len)
{
  size_t off = enc->headroom + KCP_FEC_PAYLOAD_OFF, plen;
  uint8_t *data[KCP_FEC_MAX_SHARDS];
  int i;

  if (len < enc->headroom + KCP_FEC_HEADER_LEN || len > enc->slot) {
    return -1;
  }
  kcp_fec_mark(dgram + enc->headroom, enc->next++, KCP_FEC_TYPE_DATA);
  kcp_fec_wr16(dgram + off, (uint16_t)(len - off));
  memcpy(enc->shard[enc->count] + off, dgram + off, len - off);
  enc->len[enc->count++] = len;
  if (len > enc->maxlen) {
    enc->maxlen = len;
  }
  if (enc->count < enc->ds) {
    return 0;
  }
  plen = enc->maxlen - off;
  for (i = 0; i < enc->ds; i++) {
    memset(enc->shard[i] + enc->len[i], 0, enc->maxlen - enc->len[i]);
    data[i] = enc->shard[i] + off;
  }
  for (i = 0; i < enc->ps; i++) {
    data[enc->ds + i] = enc->shard[enc->ds + i] + off;
    kcp_fec_mark(enc->shard[enc->ds + i] + enc->headroom, enc->next, KCP_FEC_TYPE_PARITY);
    enc->next = (enc->next + 1) % enc->paws;
    enc->len[enc->ds + i] = enc->maxlen;
  }
  ec_encode_data((int)plen, enc->ds, enc->ps, enc->gftbls, data, data + enc->ds);
  enc->count = 0;
  enc->maxlen = 0;
  return enc->ps;
}

/**
 * @param i parity shard 0..parityshard-1 of the group kcp_fec_encode() completed
 * @param len receives its length, headroom included
 * @return the shard, with headroom bytes free in front for the caller
 *         (writable: the codec seals it in place)
 */
uint8_t *
kcp_fec_parity(struct kcp_fec_encoder *enc, int i, size_t *len)
{
  *len = enc->len[enc->ds + i];
  return enc->shard[enc->ds + i];
}

/** A shard the decoder holds. */
struct kcp_fec_rx {
  uint32_t seqid;
  uint32_t ts;
  uint16_t type;
  uint16_t len;     /* bytes from the size field on */
  uint8_t *buf;     /* its slot: the shard from the size field on */
};

struct kcp_fec_decoder {
  int ds, ps, total, rxlimit;
  int n;                              /* shards in rx */
  int nfree;                          /* slots in freeslot */
  int nrec;                           /* shards in rec from the last decode */
  struct kcp_fec_stats stats;
  uint16_t reclen[KCP_FEC_MAX_SHARDS];
  uint8_t *rec[KCP_FEC_MAX_SHARDS];   /* rebuilt shards, from size field on */
  int valid[KCP_FEC_MAX_SHARDS];      /* rec index of each result */
  struct kcp_fec_rx *rx;              /* ordered by seqid */
  uint8_t **freeslot;
  uint8_t *bufs;                      /* rxlimit + 1 slots, then rec */
  uint8_t *m;                         /* encoding matrix, total x ds */
  uint8_t *sub, *inv, *rows;          /* ds x ds scratch of a rebuild */
  uint8_t *gftbls;                    /* ISA-L's tables of a rebuild */
};

/**
 * Makes a decoder; all its memory is allocated here:
 * (3 * (ds + ps) + 1 + ds) * KCP_FEC_SHARD_MAX bytes of shard buffers.
 * @return the decoder, or NULL with errno EINVAL or ENOMEM
 */
struct kcp_fec_decoder *
kcp_fec_decoder_new(int datashard, int parityshard)
{
  struct kcp_fec_decoder *dec;
  const char *why;
  int i, slots;

  if (kcp_fec_shards_check(datashard, parityshard, &why) != 0 || datashard == 0) {
    errno = EINVAL;
    return NULL;
  }
  dec = calloc(1, sizeof(*dec));
  if (dec == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  dec->ds = datashard;
  dec->ps = parityshard;
  dec->total = datashard + parityshard;
  dec->rxlimit = KCP_FEC_RX_MULTI * dec->total;
  slots = dec->rxlimit + 1;
  dec->rx = calloc((size_t)slots, sizeof(*dec->rx));
  dec->freeslot = calloc((size_t)slots, sizeof(*dec->freeslot));
  dec->bufs = calloc((size_t)(slots + dec->ds), KCP_FEC_SHARD_MAX);
  dec->m = malloc((size_t)dec->total * dec->ds + 3 * (size_t)dec->ds * dec->ds);
  dec->gftbls = malloc(32 * (size_t)dec->ds * dec->ps);
  if (dec->rx == NULL || dec->freeslot == NULL || dec->bufs == NULL ||
      dec->m == NULL || dec->gftbls == NULL ||
      kcp_fec_matrix(dec->ds, dec->total, dec->m) != 0) {
    kcp_fec_decoder_free(dec);
    errno = ENOMEM;
    return NULL;
  }
  for (i = 0; i < slots; i++) {
    dec->freeslot[dec->nfree++] = dec->bufs + (size_t)i * KCP_FEC_SHARD_MAX;
  }
  for (i = 0; i < dec->ds; i++) {
    dec->rec[i] = dec->bufs + (size_t)(slots + i) * KCP_FEC_SHARD_MAX;
  }
  dec->sub = dec->m + (size_t)dec->total * dec->ds;
  dec->inv = dec->sub + (size_t)dec->ds * dec->ds;
  dec->rows = dec->inv + (size_t)dec->ds * dec->ds;
  return dec;
}

/** Frees a decoder (NULL is ignored). */
void
kcp_fec_decoder_free(struct kcp_fec_decoder *dec)
{
  if (dec != NULL) {
    free(dec->gftbls);
    free(dec->m);
    free(dec->rx);
    free(dec->freeslot);
    free(dec->bufs);
    free(dec);
  }
}

/** Forgets rx[first .. first+count), returning their slots. */
static void
kcp_fec_forget(struct kcp_fec_decoder *dec, int first, int count)
{
  int i;

  for (i = first; i < first + count; i++) {
    dec->freeslot[dec->nfree++] = dec->rx[i].buf;
  }
  memmove(&dec->rx[first], &dec->rx[first + count],
          (size_t)(dec->n - first - count) * sizeof(*dec->rx));
  dec->n -= count;
}

/**
 * Rebuilds the group's missing data shards from any ds of its shards.
 * @param at rx index of each group member by its index in the group, -1 if missing
 * @param maxlen longest member (bytes from the size field on)
 */
static void
kcp_fec_rebuild(struct kcp_fec_decoder *dec, const int *at, size_t maxlen)
{
  uint8_t *src[KCP_FEC_MAX_SHARDS];
  int i, k = 0, nmiss = 0, ds = dec->ds;

  for (i = 0; i < dec->total && k < ds; i++) {
    if (at[i] >= 0) {
      struct kcp_fec_rx *e = &dec->rx[at[i]];
      memset(e->buf + e->len, 0, maxlen - e->len);
      memcpy(&dec->sub[k * ds], &dec->m[i * ds], (size_t)ds);
      src[k++] = e->buf;
    }
  }
  if (gf_invert_matrix(dec->sub, dec->inv, ds) != 0) {
    return;
  }
  /* data = inv * present: row i of inv rebuilds data shard i */
  for (i = 0; i < ds; i++) {
    if (at[i] < 0) {
      memcpy(&dec->rows[nmiss++ * ds], &dec->inv[i * ds], (size_t)ds);
    }
  }
  ec_init_tables(ds, nmiss, dec->rows, dec->gftbls);
  ec_encode_data((int)maxlen, ds, nmiss, dec->gftbls, src, dec->rec);
  for (i = 0; i < nmiss; i++) {
    uint16_t sz = kcp_fec_rd16(dec->rec[i]);
    if (sz >= 2 && sz <= maxlen) {
      dec->valid[dec->nrec] = i;
      dec->reclen[dec->nrec++] = (uint16_t)(sz - 2);
      dec->stats.recovered++;
    } else {
      dec->stats.bad++;
    }
  }
}

/**
 * Takes one received shard (after the codec opened it) into the group it
 * belongs to and rebuilds lost data shards when enough are there.
 * @param shard from the FEC header on; its KCP datagram, if a data shard,
 *        is for the caller to feed the engine (shard + KCP_FEC_HEADER_LEN)
 * @param now_ms a millisecond clock, for the 60 s expiry
 * @return the number of data shards rebuilt (read them with
 *         kcp_fec_recovered() before the next call), or -1 if the shard is
 *         malformed (counted, nothing kept)
 */
int
kcp_fec_decode(struct kcp_fec_decoder *dec, const uint8_t *shard, size_t len,
               uint32_t now_ms)
{
  struct kcp_fec_rx *e;
  uint32_t seqid, begin, end;
  int at[KCP_FEC_MAX_SHARDS];
  int i, ins = 0, sb, se, numshard = 0, numdata = 0, first = 0;
  size_t maxlen = 0;

  dec->nrec = 0;
  if (len < KCP_FEC_HEADER_LEN || len > KCP_FEC_SHARD_MAX || !kcp_fec_is_shard(shard, len)) {
    dec->stats.bad++;
    return -1;
  }
  seqid = kcp_fec_rd32(shard);
  for (i = dec->n - 1; i >= 0; i--) {
    if (dec->rx[i].seqid == seqid) {
      dec->stats.dup++;
      return 0;
    }
    if (kcp_fec_diff(seqid, dec->rx[i].seqid) > 0) {
      ins = i + 1;
      break;
    }
  }
  memmove(&dec->rx[ins + 1], &dec->rx[ins], (size_t)(dec->n - ins) * sizeof(*dec->rx));
  dec->n++;
  e = &dec->rx[ins];
  e->seqid = seqid;
  e->ts = now_ms;
  e->type = kcp_fec_rd16(shard + 4);
  e->len = (uint16_t)(len - KCP_FEC_PAYLOAD_OFF);
  e->buf = dec->freeslot[--dec->nfree];
  memcpy(e->buf, shard + KCP_FEC_PAYLOAD_OFF, e->len);
  if (e->type == KCP_FEC_TYPE_DATA) {
    dec->stats.data_in++;
  } else {
    dec->stats.parity_in++;
  }

  begin = seqid - seqid % (uint32_t)dec->total;
  end = begin + (uint32_t)dec->total - 1;
  sb = ins - (int)(seqid % (uint32_t)dec->total);
  if (sb < 0) {
    sb = 0;
  }
  se = sb + dec->total - 1;
  if (se >= dec->n) {
    se = dec->n - 1;
  }
  if (se - sb + 1 >= dec->ds) {
    for (i = 0; i < dec->total; i++) {
      at[i] = -1;
    }
    for (i = sb; i <= se; i++) {
      uint32_t s = dec->rx[i].seqid;
      if (kcp_fec_diff(s, end) > 0) {
        break;
      }
      if (kcp_fec_diff(s, begin) >= 0) {
        at[s % (uint32_t)dec->total] = i;
        if (numshard++ == 0) {
          first = i;
        }
        numdata += dec->rx[i].type == KCP_FEC_TYPE_DATA;
        if (dec->rx[i].len > maxlen) {
          maxlen = dec->rx[i].len;
        }
      }
    }
    if (numdata == dec->ds) {
      kcp_fec_forget(dec, first, numshard);
    } else if (numshard >= dec->ds) {
      kcp_fec_rebuild(dec, at, maxlen);
      kcp_fec_forget(dec, first, numshard);
    }
  }

  if (dec->n > dec->rxlimit) {
    if (dec->rx[0].type == KCP_FEC_TYPE_DATA) {
      dec->stats.short_shards++;
    }
    kcp_fec_forget(dec, 0, 1);
  }
  for (i = 0; i < dec->n && kcp_fec_diff(now_ms, dec->rx[i].ts) > KCP_FEC_EXPIRE_MS; i++) {
  }
  if (i > 0) {
    kcp_fec_forget(dec, 0, i);
  }
  return dec->nrec;
}

/**
 * @param i 0 .. (kcp_fec_decode()'s result - 1)
 * @param len receives the rebuilt KCP datagram's length
 * @return the rebuilt KCP datagram (valid until the next kcp_fec_decode())
 */
const uint8_t *
kcp_fec_recovered(const struct kcp_fec_decoder *dec, int i, size_t *len)
{
  *len = dec->reclen[i];
  return dec->rec[dec->valid[i]] + 2;
}

/** Copies the decoder's counters. */
void
kcp_fec_stats_get(const struct kcp_fec_decoder *dec, struct kcp_fec_stats *st)
{
  *st = dec->stats;
}
