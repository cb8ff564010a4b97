/**
 * @file
 * Check tests of the tap's batched I/O (ports/unix/netif/txbatch.c,
 * rxbatch.c, uringbuf.c) on a datagram socket pair, which keeps frame
 * boundaries as a tap does: frames written by one txbatch_submit()
 * arrive whole, in order and counted; a full batch refuses the next
 * frame until it is submitted; a headroom goes zeroed in front of each
 * frame and a merge function may put frames inside the one before;
 * rxbatch_read() hands every frame in order and returns at once on an
 * empty descriptor, growing and shrinking its batch with the bursts it
 * finds. Where io_uring is unavailable (old kernel, disabled) the tests
 * say so and pass: the callers then write and read frames themselves.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rxbatch.h"
#include "txbatch.h"
#include "checkmain.h"
#include "lwip/init.h"
#include "lwip/pbuf.h"

/** Frames of the ordering test: several full batches. */
#define T_FRAMES (3 * TXBATCH_SLOTS + 5)

static int t_fd[2];
static struct txbatch t_tx;
static struct rxbatch t_rx;
static int t_uring;

/* What the reader got: each frame's first byte and length, in order. */
static u32_t t_got;
static u32_t t_bad;

static void
t_setup(void)
{
  int i;

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, t_fd), 0);
  for (i = 0; i < 2; i++) {
    int sz = 4 << 20;
    ck_assert_int_eq(fcntl(t_fd[i], F_SETFL, O_NONBLOCK), 0);
    setsockopt(t_fd[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    setsockopt(t_fd[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
  }
  t_uring = txbatch_init(&t_tx, t_fd[0], 0, NULL) == 0;
  if (t_uring) {
    ck_assert_int_eq(rxbatch_init(&t_rx, t_fd[1]), 0);
  } else {
    fprintf(stderr, "check_iobatch: no io_uring here, batches not tested\n");
  }
  t_got = 0;
  t_bad = 0;
}

static void
t_teardown(void)
{
  if (t_uring) {
    rxbatch_deinit(&t_rx);
  }
  txbatch_deinit(&t_tx);
  close(t_fd[0]);
  close(t_fd[1]);
}

/** Frame n: length 60 + n % 1400, every byte (n + offset) & 0xff. */
static u16_t
t_len(u32_t n)
{
  return (u16_t)(60 + n % 1400);
}

/** Frame n as a chain of two pbufs, as lwIP hands a netif its headers and
 *  payload. */
static struct pbuf *
t_frame(u32_t n)
{
  u16_t len = t_len(n), head = 14;
  struct pbuf *h = pbuf_alloc(PBUF_RAW, head, PBUF_RAM);
  struct pbuf *d = pbuf_alloc(PBUF_RAW, (u16_t)(len - head), PBUF_RAM);
  u16_t i;

  ck_assert_ptr_nonnull(h);
  ck_assert_ptr_nonnull(d);
  pbuf_cat(h, d);
  for (i = 0; i < len; i++) {
    u8_t b = (u8_t)(n + i);
    pbuf_take_at(h, &b, 1, i);
  }
  return h;
}

static void
t_take(void *arg, const u8_t *frame, u32_t len)
{
  u32_t i;

  LWIP_UNUSED_ARG(arg);
  if (len != t_len(t_got)) {
    t_bad++;
  } else {
    for (i = 0; i < len; i++) {
      if (frame[i] != (u8_t)(t_got + i)) {
        t_bad++;
        break;
      }
    }
  }
  t_got++;
}

START_TEST(test_frames_in_order)
{
  struct txbatch_result res = { 0, 0, 0, 0 };
  u64_t bytes = 0;
  u32_t n;
  int reads = 0;

  if (!t_uring) {
    return;
  }
  for (n = 0; n < T_FRAMES; n++) {
    struct pbuf *p = t_frame(n);
    const u8_t *copy = txbatch_put(&t_tx, p);

    if (copy == NULL) {
      ck_assert_uint_eq(txbatch_queued(&t_tx), TXBATCH_SLOTS);
      txbatch_submit(&t_tx, &res);
      ck_assert_uint_eq(txbatch_queued(&t_tx), 0);
      copy = txbatch_put(&t_tx, p);
    }
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(memcmp(copy, ((const u8_t *)p->payload), p->len), 0);
    bytes += p->tot_len;
    pbuf_free(p);
  }
  txbatch_submit(&t_tx, &res);
  ck_assert_uint_eq(res.frames, T_FRAMES);
  ck_assert_uint_eq(res.bytes, bytes);
  ck_assert_uint_eq(res.errors, 0);
  ck_assert(txbatch_ready(&t_tx));
  /* bounded: every read batch but the last finds frames */
  while (t_got < T_FRAMES && reads++ < T_FRAMES) {
    ck_assert_int_ge(rxbatch_read(&t_rx, t_take, NULL), 0);
  }
  ck_assert_uint_eq(t_got, T_FRAMES);
  ck_assert_uint_eq(t_bad, 0);
  ck_assert_int_eq(rxbatch_read(&t_rx, t_take, NULL), 0);
}
END_TEST

START_TEST(test_empty_and_batch_size)
{
  struct txbatch_result res = { 0, 0, 0, 0 };
  u32_t n;

  if (!t_uring) {
    return;
  }
  /* nothing to read: at once, no frame */
  ck_assert_int_eq(rxbatch_read(&t_rx, t_take, NULL), 0);
  /* a burst of 5: the smallest batch takes RXBATCH_MIN of them, the next,
     twice as large, the rest */
  for (n = 0; n < RXBATCH_MIN + 1; n++) {
    struct pbuf *p = t_frame(n);
    ck_assert_ptr_nonnull(txbatch_put(&t_tx, p));
    pbuf_free(p);
  }
  txbatch_submit(&t_tx, &res);
  ck_assert_uint_eq(res.frames, RXBATCH_MIN + 1);
  ck_assert_int_eq(rxbatch_read(&t_rx, t_take, NULL), RXBATCH_MIN);
  ck_assert_int_eq(rxbatch_read(&t_rx, t_take, NULL), 1);
  ck_assert_int_eq(rxbatch_read(&t_rx, t_take, NULL), 0);
  ck_assert_uint_eq(t_got, RXBATCH_MIN + 1);
  ck_assert_uint_eq(t_bad, 0);
  /* an oversize frame is refused, not cut */
  {
    struct pbuf *big = pbuf_alloc(PBUF_RAW, TXBATCH_FRAME_MAX + 1, PBUF_RAM);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_null(txbatch_put(&t_tx, big));
    ck_assert_uint_eq(txbatch_queued(&t_tx), 0);
    pbuf_free(big);
  }
  /* submitting nothing changes nothing */
  txbatch_submit(&t_tx, &res);
  ck_assert_uint_eq(res.frames, RXBATCH_MIN + 1);
  ck_assert_uint_eq(res.errors, 0);
}
END_TEST

START_TEST(test_failed_writes_counted)
{
  struct txbatch_result res = { 0, 0, 0, 0 };
  struct pbuf *p;

  if (!t_uring) {
    return;
  }
  /* no more writing on this end: each write fails (EPIPE; SIGPIPE
     ignored) and counts as an error */
  signal(SIGPIPE, SIG_IGN);
  ck_assert_int_eq(shutdown(t_fd[0], SHUT_WR), 0);
  p = t_frame(0);
  ck_assert_ptr_nonnull(txbatch_put(&t_tx, p));
  ck_assert_ptr_nonnull(txbatch_put(&t_tx, p));
  pbuf_free(p);
  txbatch_submit(&t_tx, &res);
  ck_assert_uint_eq(res.frames, 0);
  ck_assert_uint_eq(res.errors, 2);
  ck_assert_uint_eq(txbatch_queued(&t_tx), 0);
}
END_TEST

/* The merge function of the headroom test: a frame shorter than
   T_MERGE_BELOW goes at the end of the one before. */
#define T_MERGE_BELOW 100
#define T_HEADROOM 4

static int
t_merge(u8_t *slot, u16_t *len, u16_t room, const struct pbuf *p)
{
  if (p->len >= T_MERGE_BELOW || *len + p->len > room) {
    return 0;
  }
  memcpy(slot + T_HEADROOM + *len, p->payload, p->len);
  *len = (u16_t)(*len + p->len);
  return 1;
}

/* Each write starts with the headroom, zeroed; frames the merge function
   takes go out inside the frame before them, each counted as a frame
   written, with its bytes. */
START_TEST(test_headroom_and_merge)
{
  struct txbatch_result res = { 0, 0, 0, 0 };
  u8_t want[TXBATCH_SLOT_SIZE];
  u8_t got[TXBATCH_SLOT_SIZE];
  u16_t wlen = T_HEADROOM;
  u32_t n, bytes = 0;
  ssize_t r;

  if (!t_uring) {
    return;
  }
  txbatch_deinit(&t_tx);
  ck_assert_int_eq(txbatch_init(&t_tx, t_fd[0], T_HEADROOM, t_merge), 0);
  memset(want, 0, T_HEADROOM);
  /* frames 0..9 (60..69 bytes, single pbufs): one slot */
  for (n = 0; n < 10; n++) {
    struct pbuf *chain = t_frame(n);
    struct pbuf *p = pbuf_clone(PBUF_RAW, PBUF_RAM, chain);

    pbuf_free(chain);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(txbatch_put(&t_tx, p));
    pbuf_copy_partial(p, want + wlen, p->tot_len, 0);
    wlen = (u16_t)(wlen + p->tot_len);
    bytes += p->tot_len;
    pbuf_free(p);
  }
  ck_assert_uint_eq(txbatch_queued(&t_tx), 1);
  txbatch_submit(&t_tx, &res);
  ck_assert_uint_eq(res.frames, 10);
  ck_assert_uint_eq(res.merged, 9);
  ck_assert_uint_eq(res.bytes, bytes);
  ck_assert_uint_eq(res.errors, 0);
  r = read(t_fd[1], got, sizeof(got));
  ck_assert_int_eq(r, wlen);
  ck_assert_int_eq(memcmp(got, want, wlen), 0);
}
END_TEST

static Suite *
iobatch_suite(void)
{
  Suite *s = suite_create("iobatch");
  TCase *tc = tcase_create("socketpair");

  tcase_add_checked_fixture(tc, t_setup, t_teardown);
  tcase_add_test(tc, test_frames_in_order);
  tcase_add_test(tc, test_empty_and_batch_size);
  tcase_add_test(tc, test_failed_writes_counted);
  tcase_add_test(tc, test_headroom_and_merge);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  lwip_init();
  return checkmain_run(iobatch_suite());
}
