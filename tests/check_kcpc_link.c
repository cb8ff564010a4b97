/**
 * @file
 * Check tests of kcp_client's KCP link (kcpc_link_kcp) against a server
 * made of a UDP socket on loopback and an engine of the test's own: the
 * test decides which of the server's datagrams reach the link, and reads
 * every datagram the link sends back.
 */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ikcp.h"
#include "kcp_client.h"
#include "kcpc_link.h"
#include "checkmain.h"

#define T_CONV 0x4b43
/** Data segments the server sends in one flush. */
#define T_SEGS 10
/** Largest datagram either side sends. */
#define T_DGRAM 1500

static int t_fd;                  /* the server's socket */
static struct sockaddr_in t_cli;  /* the link's address, from its first datagram */
static ikcpcb *t_srv;
static unsigned t_out;            /* datagrams the server's engine put out */
static unsigned t_lose;           /* 1 + the number of one it loses, 0: none */

/* The server's engine output: to the link, but for the datagram lost. */
static int
t_srv_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  (void)kcp;
  (void)user;
  if (++t_out != t_lose) {
    ck_assert_int_eq(sendto(t_fd, buf, (size_t)len, 0, (const struct sockaddr *)&t_cli, sizeof(t_cli)), len);
  }
  return 0;
}

/* One datagram from the link, or 0 bytes when none waits. */
static ssize_t
t_srv_read(unsigned char *buf)
{
  socklen_t alen = sizeof(t_cli);
  ssize_t n = recvfrom(t_fd, buf, T_DGRAM, MSG_DONTWAIT, (struct sockaddr *)&t_cli, &alen);

  if (n < 0) {
    ck_assert_int_eq(errno, EAGAIN);
    return 0;
  }
  return n;
}

/* The link's configuration as kcp_client's defaults have it, to the
   server's socket (bound to a free loopback port). */
static void
t_setup(struct kcpc_config *cfg)
{
  struct sockaddr_in a;
  socklen_t alen = sizeof(a);

  t_fd = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_ge(t_fd, 0);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(bind(t_fd, (const struct sockaddr *)&a, sizeof(a)), 0);
  ck_assert_int_eq(getsockname(t_fd, (struct sockaddr *)&a, &alen), 0);
  memset(cfg, 0, sizeof(*cfg));
  memcpy(&cfg->addr, &a, sizeof(a));
  cfg->addrlen = sizeof(a);
  strcpy(cfg->peer, "loopback");
  cfg->profile = "fast";
  cfg->cc = "classic";
  cfg->wnd = 128;
  cfg->mtu = 1400;
  t_srv = ikcp_create(T_CONV, NULL);
  ck_assert_ptr_nonnull(t_srv);
  ikcp_setoutput(t_srv, t_srv_output);
  ck_assert_int_eq(ikcp_profile(t_srv, "fast"), 0);
  ck_assert_int_eq(ikcp_wndsize(t_srv, 128, 128), 0);
  t_out = 0;
  t_lose = 0;
}

/*
 * Past a hole the link acks each datagram at once: the server sends ten
 * full-size segments, the second is lost, and the other nine reach the
 * link together, as one read of its socket takes them. The link acks the
 * eight after the hole each in a datagram of its own (one datagram for
 * all nine would give the server's sender one count toward a fast
 * retransmission instead of eight), and the server, fed those datagrams,
 * resends the lost segment at its next flush, without waiting for its
 * retransmission timeout.
 */
START_TEST(test_hole_acks_at_once)
{
  struct kcpc_config cfg;
  struct kcpc_link *link;
  unsigned char buf[T_DGRAM];
  uint64_t now_us = 1000000;
  IUINT32 now = 1000;
  IKCPSTATS st;
  ssize_t n;
  unsigned i, acked[T_SEGS], dgrams = 0;

  t_setup(&cfg);
  link = kcpc_link_open(&cfg, T_CONV, now_us);
  ck_assert_ptr_nonnull(link);
  kcpc_link_service(link, 0, now_us);
  ikcp_update(t_srv, now);

  /* A message from the link tells the server its address. */
  ck_assert_int_eq(kcpc_link_send(link, "hi", 2), 0);
  kcpc_link_pump(link, now_us);
  n = t_srv_read(buf);
  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(ikcp_input(t_srv, (const char *)buf, (long)n), 0);
  ikcp_flush(t_srv);

  /* Ten segments, one per datagram; the second is lost. */
  memset(buf, 'd', sizeof(buf));
  for (i = 0; i < T_SEGS; i++) {
    ck_assert_int_ge(ikcp_send(t_srv, (const char *)buf, (int)t_srv->mss), 0);
  }
  t_lose = t_out + 2;
  ikcp_flush(t_srv);
  ck_assert_uint_eq(t_out, t_lose + T_SEGS - 2);

  now_us += 5000;
  kcpc_link_service(link, POLLIN, now_us);
  kcpc_link_pump(link, now_us);

  /* Which datagram first acked each segment. */
  for (i = 0; i < T_SEGS; i++) {
    acked[i] = 0;
  }
  while ((n = t_srv_read(buf)) > 0) {
    long off = 0;
    dgrams++;
    while (off < n) {
      IKCPHDR h;
      ck_assert_int_eq(ikcp_peek_header(buf + off, (size_t)(n - off), &h), 0);
      if (h.cmd == IKCP_CMD_ACK && h.sn < T_SEGS && acked[h.sn] == 0) {
        acked[h.sn] = dgrams;
      }
      off += IKCP_OVERHEAD + (long)h.len;
    }
    ck_assert_int_eq(ikcp_input(t_srv, (const char *)buf, (long)n), 0);
  }
  ck_assert_uint_eq(acked[1], 0);
  for (i = 2; i < T_SEGS; i++) {
    ck_assert_uint_ne(acked[i], 0);
    if (i > 2) {
      ck_assert_msg(acked[i] != acked[i - 1], "sn %u and %u acked in one datagram", i - 1, i);
    }
  }

  ikcp_update(t_srv, now + 5);
  ikcp_flush(t_srv);
  ikcp_getstats(t_srv, &st);
  ck_assert_uint_eq(st.retrans_fast, 1);
  ck_assert_uint_eq(st.retrans_timeout, 0);

  kcpc_link_close(link, NULL);
  ikcp_release(t_srv);
  close(t_fd);
}
END_TEST

static Suite *
kcpc_link_suite(void)
{
  Suite *s = suite_create("kcpc_link");
  TCase *tc = tcase_create("kcp");

  tcase_add_test(tc, test_hole_acks_at_once);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return checkmain_run(kcpc_link_suite());
}
