/**
 * @file
 * UDP echo load for `make bench`: the ceiling that KCP's message rate and
 * bulk throughput are compared with. It loads the same lwIP UDP echo (:7)
 * that KCP runs on top of, with a fixed number of datagrams in flight, so the
 * difference to KCP is the ARQ alone.
 *
 *   udp_echo_bench [--size N] [--window N] [--duration SEC] [--interval MS]
 *                  [--timeout MS] HOST [PORT]
 *
 * Every datagram carries its number in its first 8 bytes and a pattern made
 * from that number, so each echo is matched and checked byte for byte. UDP
 * has no retransmission: a datagram not echoed within --timeout counts as
 * lost and frees its slot. The report is one JSON object on stdout, with the
 * field names of kcp_client's --json report where they mean the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/** Datagrams whose send time is remembered; bounds --window. */
#define UEB_RING 65536u
/** Largest UDP payload over IPv4. */
#define UEB_SIZE_MAX 65507u
/** RTT samples kept (16 MB); percentiles come from the first this many. */
#define UEB_SAMPLES_MAX (1u << 22)
/** Datagrams per sendmmsg()/recvmmsg(). */
#define UEB_BATCH 32
/** The number heading every datagram. */
#define UEB_HDR 8u

struct ueb_config {
  const char *host;
  unsigned port, size, window, duration_s, interval_ms, timeout_ms;
};

/** Buffers of one batched send or receive. */
struct ueb_bufs {
  struct mmsghdr msg[UEB_BATCH];
  struct iovec iov[UEB_BATCH];
  uint8_t *tx, *rx, *expect;
};

struct ueb_run {
  const struct ueb_config *cfg;
  int fd;
  uint64_t sent_us[UEB_RING]; /**< send time of datagram n at n % UEB_RING, 0 = not in flight */
  uint64_t next, oldest;      /**< in flight: some of [oldest, next) */
  unsigned inflight;
  uint64_t sent, verified, errors, lost, bytes;
  uint64_t rtt_n, rtt_sum, rtt_min, rtt_max;
  uint32_t *rtt;              /**< RTTs in µs (up to UEB_SAMPLES_MAX), for percentiles */
  size_t rtt_len, rtt_cap;
};

static uint64_t
ueb_now_us(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/** Datagram n: its number, then bytes derived from it (an echo from another
 * datagram, or a corrupted one, does not match). */
static void
ueb_fill(uint8_t *p, unsigned size, uint64_t n)
{
  unsigned i;

  for (i = 0; i < UEB_HDR && i < size; i++) {
    p[i] = (uint8_t)(n >> (8 * i));
  }
  for (; i < size; i++) {
    p[i] = (uint8_t)(n * 131u + i * 7u);
  }
}

static void
ueb_usage(FILE *out)
{
  fprintf(out, "usage: udp_echo_bench [--size N] [--window N] [--duration SEC] [--interval MS]\n"
               "                      [--timeout MS] HOST [PORT]\n"
               "  --size N       datagram payload, %u..%u bytes (64)\n"
               "  --window N     datagrams in flight, 1..%u (128)\n"
               "  --duration SEC send new datagrams this long, 1..3600 (10)\n"
               "  --interval MS  pause between datagrams, 0 = as the window allows (0)\n"
               "  --timeout MS   a datagram not echoed this long is lost, 1..60000 (1000)\n"
               "  PORT           UDP echo port (7)\n",
          UEB_HDR, UEB_SIZE_MAX, UEB_RING / 2);
}

/** A number option in [lo, hi]; exits 2 otherwise. */
static unsigned
ueb_number(const char *name, const char *s, unsigned lo, unsigned hi)
{
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
    fprintf(stderr, "udp_echo_bench: %s must be %u..%u, not '%s'\n", name, lo, hi, s);
    exit(2);
  }
  return (unsigned)v;
}

static void
ueb_parse(struct ueb_config *cfg, int argc, char **argv)
{
  int i, pos = 0;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      ueb_usage(stdout);
      exit(0);
    }
    if (a[0] == '-' && v == NULL) {
      fprintf(stderr, "udp_echo_bench: %s: unknown option or missing value\n", a);
      ueb_usage(stderr);
      exit(2);
    }
    if (strcmp(a, "--size") == 0) {
      cfg->size = ueb_number(a, v, UEB_HDR, UEB_SIZE_MAX);
    } else if (strcmp(a, "--window") == 0) {
      cfg->window = ueb_number(a, v, 1, UEB_RING / 2);
    } else if (strcmp(a, "--duration") == 0) {
      cfg->duration_s = ueb_number(a, v, 1, 3600);
    } else if (strcmp(a, "--interval") == 0) {
      cfg->interval_ms = ueb_number(a, v, 0, 60000);
    } else if (strcmp(a, "--timeout") == 0) {
      cfg->timeout_ms = ueb_number(a, v, 1, 60000);
    } else if (a[0] == '-') {
      fprintf(stderr, "udp_echo_bench: unknown option %s\n", a);
      ueb_usage(stderr);
      exit(2);
    } else if (pos == 0) {
      cfg->host = a;
      pos++;
      continue;
    } else if (pos == 1) {
      cfg->port = ueb_number("PORT", a, 1, 65535);
      pos++;
      continue;
    } else {
      ueb_usage(stderr);
      exit(2);
    }
    i++;
  }
  if (cfg->host == NULL) {
    ueb_usage(stderr);
    exit(2);
  }
}

static void
ueb_rtt(struct ueb_run *r, uint64_t us)
{
  r->rtt_sum += us;
  r->rtt_n++;
  r->rtt_min = us < r->rtt_min ? us : r->rtt_min;
  r->rtt_max = us > r->rtt_max ? us : r->rtt_max;
  if (r->rtt_len == UEB_SAMPLES_MAX) {
    return;
  }
  if (r->rtt_len == r->rtt_cap) {
    size_t cap = r->rtt_cap ? r->rtt_cap * 2 : 4096;
    uint32_t *p = realloc(r->rtt, cap * sizeof(*p));
    if (p == NULL) {
      fprintf(stderr, "udp_echo_bench: out of memory\n");
      exit(1);
    }
    r->rtt = p;
    r->rtt_cap = cap;
  }
  r->rtt[r->rtt_len++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/** Check one echo and free its slot. */
static void
ueb_echo(struct ueb_run *r, const uint8_t *rx, size_t n, uint8_t *expect, uint64_t now)
{
  unsigned size = r->cfg->size, i;
  uint64_t seq = 0, *slot;

  if (n < UEB_HDR) {
    r->errors++;
    return;
  }
  for (i = 0; i < UEB_HDR; i++) {
    seq |= (uint64_t)rx[i] << (8 * i);
  }
  if (seq < r->oldest || seq >= r->next) {
    return; /* a late echo of a datagram already counted lost, or a duplicate */
  }
  slot = &r->sent_us[seq % UEB_RING];
  if (*slot == 0) {
    return;
  }
  ueb_fill(expect, size, seq);
  if (n != size || memcmp(rx, expect, size) != 0) {
    r->errors++;
  } else {
    r->verified++;
    r->bytes += size;
    ueb_rtt(r, now - *slot);
  }
  *slot = 0;
  r->inflight--;
}

/** Take every echo waiting on the socket, UEB_BATCH per system call, so
 * that the client's own cost per datagram does not become the ceiling. */
static void
ueb_receive(struct ueb_run *r, struct ueb_bufs *b)
{
  size_t cap = r->cfg->size + 1u; /* one byte more: a longer echo shows as longer */
  int n, i;

  for (i = 0; i < UEB_BATCH; i++) {
    b->iov[i].iov_base = b->rx + (size_t)i * cap;
    b->iov[i].iov_len = cap;
    memset(&b->msg[i], 0, sizeof(b->msg[i]));
    b->msg[i].msg_hdr.msg_iov = &b->iov[i];
    b->msg[i].msg_hdr.msg_iovlen = 1;
  }
  while ((n = recvmmsg(r->fd, b->msg, UEB_BATCH, MSG_DONTWAIT, NULL)) > 0) {
    uint64_t now = ueb_now_us();
    for (i = 0; i < n; i++) {
      ueb_echo(r, b->iov[i].iov_base, b->msg[i].msg_len, b->expect, now);
    }
  }
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
      errno != ECONNREFUSED) {
    fprintf(stderr, "udp_echo_bench: recv: %s\n", strerror(errno));
    exit(1);
  }
}

/** Advance past answered datagrams and give up on those older than --timeout. */
static void
ueb_expire(struct ueb_run *r, uint64_t now)
{
  uint64_t limit = (uint64_t)r->cfg->timeout_ms * 1000u;

  while (r->oldest < r->next) {
    uint64_t *slot = &r->sent_us[r->oldest % UEB_RING];
    if (*slot != 0) {
      if (now - *slot < limit) {
        break;
      }
      *slot = 0;
      r->lost++;
      r->inflight--;
    }
    r->oldest++;
  }
}

static int
ueb_cmp(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/** Nearest-rank percentile in ms, as kcp_client computes it. */
static double
ueb_pct(const struct ueb_run *r, unsigned pct)
{
  size_t rank = (r->rtt_len * pct + 99u) / 100u;

  if (r->rtt_len == 0) {
    return 0.0;
  }
  return r->rtt[(rank ? rank : 1) - 1] / 1000.0;
}

static void
ueb_report(struct ueb_run *r, double secs)
{
  const struct ueb_config *cfg = r->cfg;
  double avg = r->rtt_n ? (double)r->rtt_sum / (double)r->rtt_n / 1000.0 : 0.0;

  qsort(r->rtt, r->rtt_len, sizeof(*r->rtt), ueb_cmp);
  printf("{\"mode\":\"udp\",\"size_min\":%u,\"size_max\":%u,\"window\":%u,\"interval_ms\":%u,"
         "\"sent\":%" PRIu64 ",\"echoed\":%" PRIu64 ",\"verified\":%" PRIu64 ",\"errors\":%" PRIu64
         ",\"lost\":%" PRIu64 ",\"rtt_min_ms\":%.3f,\"rtt_avg_ms\":%.3f,\"rtt_p50_ms\":%.3f,"
         "\"rtt_p99_ms\":%.3f,\"rtt_max_ms\":%.3f,\"bytes\":%" PRIu64 ",\"throughput_bps\":%.0f,"
         "\"msgs_per_s\":%.1f,\"duration_s\":%.3f}\n",
         cfg->size, cfg->size, cfg->window, cfg->interval_ms, r->sent, r->verified + r->errors,
         r->verified, r->errors, r->lost, r->rtt_n ? r->rtt_min / 1000.0 : 0.0, avg,
         ueb_pct(r, 50), ueb_pct(r, 99), r->rtt_max / 1000.0, r->bytes,
         secs > 0 ? (double)r->bytes * 8.0 / secs : 0.0,
         secs > 0 ? (double)r->verified / secs : 0.0, secs);
}

/** Send new datagrams while the window, --interval and --duration allow,
 * UEB_BATCH per system call. */
static void
ueb_send(struct ueb_run *r, struct ueb_bufs *b, uint64_t now, uint64_t stop, uint64_t *due)
{
  const struct ueb_config *cfg = r->cfg;
  uint64_t interval_us = (uint64_t)cfg->interval_ms * 1000u;

  for (;;) {
    unsigned k = 0;
    int n, i;

    while (k < UEB_BATCH && now < stop && now >= *due + k * interval_us &&
           r->inflight + k < cfg->window && r->next + k - r->oldest < UEB_RING) {
      uint8_t *p = b->tx + (size_t)k * cfg->size;
      ueb_fill(p, cfg->size, r->next + k);
      b->iov[k].iov_base = p;
      b->iov[k].iov_len = cfg->size;
      memset(&b->msg[k], 0, sizeof(b->msg[k]));
      b->msg[k].msg_hdr.msg_iov = &b->iov[k];
      b->msg[k].msg_hdr.msg_iovlen = 1;
      k++;
    }
    if (k == 0) {
      return;
    }
    n = sendmmsg(r->fd, b->msg, k, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == ECONNREFUSED) {
        return; /* a full socket buffer, or an ICMP error: try again later */
      }
      fprintf(stderr, "udp_echo_bench: send: %s\n", strerror(errno));
      exit(1);
    }
    for (i = 0; i < n; i++) {
      r->sent_us[r->next % UEB_RING] = now ? now : 1;
      r->next++;
      r->inflight++;
      r->sent++;
    }
    *due += (uint64_t)n * interval_us;
    if (*due + 1000000u < now) {
      *due = now; /* after a long stall, no catch-up burst */
    }
    if ((unsigned)n < k) {
      return;
    }
  }
}

int
main(int argc, char **argv)
{
  static struct ueb_run r;
  static struct ueb_bufs b;
  struct ueb_config cfg = { NULL, 7, 64, 128, 10, 0, 1000 };
  struct sockaddr_in sa;
  uint64_t start, stop, due;

  ueb_parse(&cfg, argc, argv);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)cfg.port);
  if (inet_pton(AF_INET, cfg.host, &sa.sin_addr) != 1) {
    fprintf(stderr, "udp_echo_bench: HOST must be an IPv4 address, not '%s'\n", cfg.host);
    return 2;
  }
  r.cfg = &cfg;
  r.rtt_min = UINT64_MAX;
  b.tx = malloc((size_t)UEB_BATCH * cfg.size);
  b.rx = malloc((size_t)UEB_BATCH * (cfg.size + 1u));
  b.expect = malloc(cfg.size);
  r.fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (b.tx == NULL || b.rx == NULL || b.expect == NULL || r.fd < 0 ||
      connect(r.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
    fprintf(stderr, "udp_echo_bench: cannot set up: %s\n", strerror(errno));
    return 1;
  }
  start = ueb_now_us();
  stop = start + (uint64_t)cfg.duration_s * 1000000u;
  due = start;
  for (;;) {
    uint64_t now = ueb_now_us(), wake;
    struct pollfd pfd = { r.fd, POLLIN, 0 };
    int ms;

    ueb_receive(&r, &b);
    ueb_expire(&r, now);
    ueb_send(&r, &b, now, stop, &due);
    if (now >= stop && r.inflight == 0) {
      break;
    }
    /* Wake for the oldest datagram's timeout, or the next --interval send. */
    wake = stop;
    if (r.oldest < r.next) { /* ueb_expire left the oldest datagram in flight */
      wake = r.sent_us[r.oldest % UEB_RING] + (uint64_t)cfg.timeout_ms * 1000u;
    }
    if (now < stop && r.inflight < cfg.window && due < wake) {
      wake = due;
    }
    ms = wake > now ? (int)((wake - now + 999u) / 1000u) : 0;
    if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
      fprintf(stderr, "udp_echo_bench: poll: %s\n", strerror(errno));
      return 1;
    }
  }
  ueb_report(&r, (ueb_now_us() - start) / 1e6);
  free(r.rtt);
  free(b.tx);
  free(b.rx);
  free(b.expect);
  close(r.fd);
  return r.verified > 0 && r.errors == 0 ? 0 : 1;
}
