/**
 * @file
 * Flood a KCP port with hostile datagrams, for the robustness tests
 * (tests/tap_robust_*.sh). A plain POSIX host tool: no engine, no lwIP.
 *
 *   kcp_flood [options] HOST PORT
 *
 * Three modes:
 * - garbage: datagrams no KCP session can take, in six kinds taken in turn
 *   (random bytes, truncated headers, a `len` larger than the datagram,
 *   unknown commands, segments of random conversations that cannot open a
 *   session, a valid stray segment followed by a bad one). A correct server
 *   counts each as malformed or dropped and answers none.
 * - sessions: valid first segments (PUSH, sn 0, one small message) from
 *   COUNT distinct (source port, conv) pairs, each of which may open a
 *   session: the test of the session cap and the idle timeout.
 * - pin: sessions that pin memory: each pushes --window full-size segments
 *   (sn 0, 1, ...; one message each) while advertising a zero window, so
 *   that its echoes can never leave: COUNT datagrams, COUNT / window
 *   sessions, each on one socket.
 * After the datagrams, --hold SEC keeps every session of the sessions and
 * pin modes alive the way an attacker would try to: a WINS (window 0) to
 * each, every --hold-every ms, for SEC seconds.
 *
 * Source ports vary because the datagrams rotate over --sockets UDP sockets,
 * each bound to its own ephemeral port; replies (sessions mode) are read
 * and thrown away so they do not pile up in the kernel.
 *
 * The result is one line on stdout, parsed by the tests:
 *   kcp_flood: mode M sent N errors E sockets S seconds T random R trunc T
 *   hugelen H badcmd B stray S tail T replies R wins W
 * errors: sendto() failures (the datagram did not leave).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ikcp.h"

#define KCP_FLOOD_MAX_DGRAM 1472   /* one Ethernet frame: no IP fragments */
#define KCP_FLOOD_MAX_SOCKS 1024
#define KCP_FLOOD_PAYLOAD   16     /* message size of a flooded session */
#define KCP_FLOOD_PIN_LEN   1376   /* pin mode: a full segment at KCP mtu 1400 */

/** Kinds of garbage, sent in turn so every kind gets a fair share. */
enum kcp_flood_kind {
  KCP_FLOOD_RANDOM,   /**< random bytes of random length */
  KCP_FLOOD_TRUNC,    /**< a header cut short (1..23 bytes) */
  KCP_FLOOD_HUGELEN,  /**< whole header whose len exceeds what follows */
  KCP_FLOOD_BADCMD,   /**< whole header, unknown cmd */
  KCP_FLOOD_STRAY,    /**< parses, but matches no session and cannot open one */
  KCP_FLOOD_TAIL,     /**< a stray segment followed by a truncated one */
  KCP_FLOOD_NKINDS
};

static const char *const kcp_flood_kind_names[KCP_FLOOD_NKINDS] = {
  "random", "trunc", "hugelen", "badcmd", "stray", "tail"
};

enum kcp_flood_mode { KCP_FLOOD_GARBAGE, KCP_FLOOD_SESSIONS, KCP_FLOOD_PIN };

static const char *const kcp_flood_mode_names[] = { "garbage", "sessions", "pin" };

struct kcp_flood_opts {
  enum kcp_flood_mode mode;
  unsigned long window;   /**< pin mode: segments per session */
  unsigned long hold_s;   /**< seconds of WINS keepalives afterwards */
  unsigned long hold_ms;  /**< between two rounds of them */
  unsigned long count;
  unsigned sockets;
  uint32_t seed;
  uint32_t conv_base;  /**< sessions mode: first conv */
  unsigned long pps;   /**< datagrams per second, 0 = as fast as sendto goes */
};

/** xorshift32: reproducible from --seed, cheap enough for 100k datagrams. */
static uint32_t
kcp_flood_rand(uint32_t *state)
{
  uint32_t x = *state;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

static void
kcp_flood_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/** Write a 24-byte KCP header at p. */
static void
kcp_flood_header(uint8_t *p, uint32_t conv, uint8_t cmd, uint8_t frg, uint16_t wnd,
                 uint32_t ts, uint32_t sn, uint32_t una, uint32_t len)
{
  kcp_flood_put32(p, conv);
  p[IKCP_CMD_OFFSET] = cmd;
  p[IKCP_FRG_OFFSET] = frg;
  p[IKCP_WND_OFFSET] = (uint8_t)wnd;
  p[IKCP_WND_OFFSET + 1] = (uint8_t)(wnd >> 8);
  kcp_flood_put32(p + IKCP_TS_OFFSET, ts);
  kcp_flood_put32(p + IKCP_SN_OFFSET, sn);
  kcp_flood_put32(p + IKCP_UNA_OFFSET, una);
  kcp_flood_put32(p + IKCP_LEN_OFFSET, len);
}

static void
kcp_flood_fill(uint8_t *p, size_t n, uint32_t *rng)
{
  size_t i;

  for (i = 0; i < n; i++) {
    p[i] = (uint8_t)kcp_flood_rand(rng);
  }
}

/** A cmd byte that is none of 81..84. */
static uint8_t
kcp_flood_bad_cmd(uint32_t *rng)
{
  uint8_t c = (uint8_t)kcp_flood_rand(rng);

  return (c >= IKCP_CMD_PUSH && c <= IKCP_CMD_WINS) ? (uint8_t)(c + 4) : c;
}

/**
 * A segment that parses but can open no session: ACK, WASK, WINS, or a PUSH
 * with sn != 0, of a random conv.
 */
static size_t
kcp_flood_stray(uint8_t *p, uint32_t *rng)
{
  uint32_t r = kcp_flood_rand(rng);
  uint8_t cmd = (uint8_t)(IKCP_CMD_PUSH + r % 4);
  uint32_t len = 0;
  uint32_t sn = kcp_flood_rand(rng);

  if (cmd == IKCP_CMD_PUSH) {
    len = (r >> 8) % 64;
    sn |= 1;
  }
  kcp_flood_header(p, kcp_flood_rand(rng), cmd, 0, (uint16_t)(r >> 16),
                   kcp_flood_rand(rng), sn, kcp_flood_rand(rng), len);
  kcp_flood_fill(p + IKCP_OVERHEAD, len, rng);
  return IKCP_OVERHEAD + len;
}

/** Build one garbage datagram of the given kind; returns its length. */
static size_t
kcp_flood_garbage(uint8_t *p, enum kcp_flood_kind kind, uint32_t *rng)
{
  size_t n;
  uint32_t extra;

  switch (kind) {
  case KCP_FLOOD_RANDOM:
    n = 1 + kcp_flood_rand(rng) % KCP_FLOOD_MAX_DGRAM;
    kcp_flood_fill(p, n, rng);
    return n;
  case KCP_FLOOD_TRUNC:
    n = 1 + kcp_flood_rand(rng) % (IKCP_OVERHEAD - 1);
    kcp_flood_header(p, kcp_flood_rand(rng), IKCP_CMD_PUSH, 0, 128, 0, 0, 0, 0);
    return n;
  case KCP_FLOOD_HUGELEN:
    extra = kcp_flood_rand(rng) % 64;
    kcp_flood_header(p, kcp_flood_rand(rng), IKCP_CMD_PUSH, 0, 128, 0, 0, 0,
                     (kcp_flood_rand(rng) & 1) ? 0xffffffffu : extra + 1 + kcp_flood_rand(rng) % 2000);
    kcp_flood_fill(p + IKCP_OVERHEAD, extra, rng);
    return IKCP_OVERHEAD + extra;
  case KCP_FLOOD_BADCMD:
    kcp_flood_header(p, kcp_flood_rand(rng), kcp_flood_bad_cmd(rng), 0, 128, 0, 0, 0, 0);
    return IKCP_OVERHEAD;
  case KCP_FLOOD_STRAY:
    return kcp_flood_stray(p, rng);
  case KCP_FLOOD_TAIL:
  default:
    n = kcp_flood_stray(p, rng);
    extra = 1 + kcp_flood_rand(rng) % (IKCP_OVERHEAD - 1);
    kcp_flood_fill(p + n, extra, rng);
    return n + extra;
  }
}

/** One whole message in one PUSH of conv: sn, advertised window wnd. */
static size_t
kcp_flood_push(uint8_t *p, uint32_t conv, uint32_t sn, uint16_t wnd, uint32_t len, uint32_t *rng)
{
  kcp_flood_header(p, conv, IKCP_CMD_PUSH, 0, wnd, kcp_flood_rand(rng), sn, 0, len);
  kcp_flood_fill(p + IKCP_OVERHEAD, len, rng);
  return IKCP_OVERHEAD + len;
}

/** Datagram i of a sessions or pin flood: its conv, sn and socket. */
static void
kcp_flood_slot(const struct kcp_flood_opts *o, unsigned long i, uint32_t *conv, uint32_t *sn,
               unsigned *sock)
{
  unsigned long s = o->mode == KCP_FLOOD_PIN ? i / o->window : i;

  *conv = o->conv_base + (uint32_t)(o->mode == KCP_FLOOD_PIN ? s : s / o->sockets);
  *sn = o->mode == KCP_FLOOD_PIN ? (uint32_t)(i % o->window) : 0;
  *sock = (unsigned)(s % o->sockets);
}

static uint64_t
kcp_flood_now_us(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/** Read and discard whatever arrived on the sockets; returns datagrams read. */
static unsigned long
kcp_flood_drain(const int *fds, unsigned n)
{
  static uint8_t sink[2048];
  unsigned long got = 0;
  unsigned i;

  for (i = 0; i < n; i++) {
    while (recv(fds[i], sink, sizeof(sink), MSG_DONTWAIT) >= 0) {
      got++;
    }
  }
  return got;
}

static void
kcp_flood_usage(FILE *out)
{
  fprintf(out,
    "usage: kcp_flood [options] HOST PORT\n"
    "  --mode garbage|sessions|pin  what to send (garbage)\n"
    "  --window N      pin mode: segments per session (512; 1..65536)\n"
    "  --hold SEC      then WINS keepalives to every session for SEC s (0; 0..3600)\n"
    "  --hold-every MS between two rounds of them (1000; 10..60000)\n"
    "  --count N       datagrams to send (100000; 1..100000000)\n"
    "  --sockets N     source sockets (ports) to rotate over (64; 1..1024)\n"
    "  --seed N        seed of the contents (1)\n"
    "  --conv-base N   sessions mode: conv of the first pair (0x50000000)\n"
    "  --pps N         datagrams per second, 0 = unlimited (0)\n"
    "  -h, --help      this text\n");
}

static int
kcp_flood_parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
    return -1;
  }
  *out = v;
  return 0;
}

static int
kcp_flood_parse(int argc, char **argv, struct kcp_flood_opts *o, struct sockaddr_in *dst)
{
  static const struct option longopts[] = {
    {"mode", required_argument, NULL, 'M'},
    {"count", required_argument, NULL, 'c'},
    {"sockets", required_argument, NULL, 's'},
    {"seed", required_argument, NULL, 'S'},
    {"conv-base", required_argument, NULL, 'b'},
    {"pps", required_argument, NULL, 'p'},
    {"window", required_argument, NULL, 'w'},
    {"hold", required_argument, NULL, 'H'},
    {"hold-every", required_argument, NULL, 'e'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  unsigned long v, port;
  int c;

  o->mode = KCP_FLOOD_GARBAGE;
  o->window = 512;
  o->hold_s = 0;
  o->hold_ms = 1000;
  o->count = 100000;
  o->sockets = 64;
  o->seed = 1;
  o->conv_base = 0x50000000u;
  o->pps = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'M':
      if (strcmp(optarg, "garbage") == 0) {
        o->mode = KCP_FLOOD_GARBAGE;
      } else if (strcmp(optarg, "sessions") == 0) {
        o->mode = KCP_FLOOD_SESSIONS;
      } else if (strcmp(optarg, "pin") == 0) {
        o->mode = KCP_FLOOD_PIN;
      } else {
        fprintf(stderr, "kcp_flood: invalid --mode '%s': expected garbage, sessions or pin\n", optarg);
        return -1;
      }
      break;
    case 'w':
      if (kcp_flood_parse_ulong(optarg, 1, 65536, &o->window) < 0) {
        fprintf(stderr, "kcp_flood: invalid --window '%s'\n", optarg);
        return -1;
      }
      break;
    case 'H':
      if (kcp_flood_parse_ulong(optarg, 0, 3600, &o->hold_s) < 0) {
        fprintf(stderr, "kcp_flood: invalid --hold '%s'\n", optarg);
        return -1;
      }
      break;
    case 'e':
      if (kcp_flood_parse_ulong(optarg, 10, 60000, &o->hold_ms) < 0) {
        fprintf(stderr, "kcp_flood: invalid --hold-every '%s'\n", optarg);
        return -1;
      }
      break;
    case 'c':
      if (kcp_flood_parse_ulong(optarg, 1, 100000000ul, &o->count) < 0) {
        fprintf(stderr, "kcp_flood: invalid --count '%s'\n", optarg);
        return -1;
      }
      break;
    case 's':
      if (kcp_flood_parse_ulong(optarg, 1, KCP_FLOOD_MAX_SOCKS, &v) < 0) {
        fprintf(stderr, "kcp_flood: invalid --sockets '%s'\n", optarg);
        return -1;
      }
      o->sockets = (unsigned)v;
      break;
    case 'S':
      if (kcp_flood_parse_ulong(optarg, 0, 0xffffffffu, &v) < 0) {
        fprintf(stderr, "kcp_flood: invalid --seed '%s'\n", optarg);
        return -1;
      }
      o->seed = (uint32_t)v;
      break;
    case 'b':
      if (kcp_flood_parse_ulong(optarg, 0, 0xffffffffu, &v) < 0) {
        fprintf(stderr, "kcp_flood: invalid --conv-base '%s'\n", optarg);
        return -1;
      }
      o->conv_base = (uint32_t)v;
      break;
    case 'p':
      if (kcp_flood_parse_ulong(optarg, 0, 100000000ul, &o->pps) < 0) {
        fprintf(stderr, "kcp_flood: invalid --pps '%s'\n", optarg);
        return -1;
      }
      break;
    case 'h':
      kcp_flood_usage(stdout);
      exit(0);
    default:
      return -1;
    }
  }
  if (argc - optind != 2) {
    fprintf(stderr, "kcp_flood: expected HOST PORT\n");
    return -1;
  }
  memset(dst, 0, sizeof(*dst));
  dst->sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[optind], &dst->sin_addr) != 1 ||
      kcp_flood_parse_ulong(argv[optind + 1], 1, 65535, &port) < 0) {
    fprintf(stderr, "kcp_flood: invalid HOST '%s' or PORT '%s'\n", argv[optind], argv[optind + 1]);
    return -1;
  }
  dst->sin_port = htons((uint16_t)port);
  if (o->seed == 0) {
    o->seed = 0x9e3779b9u; /* xorshift's one fixed point */
  }
  return 0;
}

int
main(int argc, char **argv)
{
  struct kcp_flood_opts o;
  struct sockaddr_in dst;
  static int fds[KCP_FLOOD_MAX_SOCKS];
  static uint8_t buf[KCP_FLOOD_MAX_DGRAM];
  unsigned long kinds[KCP_FLOOD_NKINDS] = {0};
  unsigned long i, sent = 0, errors = 0, replies = 0, wins = 0;
  uint64_t start;
  uint32_t rng;
  unsigned k;

  if (kcp_flood_parse(argc, argv, &o, &dst) < 0) {
    kcp_flood_usage(stderr);
    return 2;
  }
  rng = o.seed;
  for (k = 0; k < o.sockets; k++) {
    struct sockaddr_in any;

    memset(&any, 0, sizeof(any));
    any.sin_family = AF_INET;
    fds[k] = socket(AF_INET, SOCK_DGRAM, 0);
    if (fds[k] < 0 || bind(fds[k], (struct sockaddr *)&any, sizeof(any)) < 0) {
      fprintf(stderr, "kcp_flood: socket %u: %s\n", k, strerror(errno));
      return 1;
    }
  }
  start = kcp_flood_now_us();
  for (i = 0; i < o.count; i++) {
    int fd = fds[i % o.sockets];
    size_t n;

    if (o.mode != KCP_FLOOD_GARBAGE) {
      uint32_t conv, sn;
      unsigned sock;

      kcp_flood_slot(&o, i, &conv, &sn, &sock);
      fd = fds[sock];
      n = o.mode == KCP_FLOOD_PIN ? kcp_flood_push(buf, conv, sn, 0, KCP_FLOOD_PIN_LEN, &rng) :
                                    kcp_flood_push(buf, conv, 0, 128, KCP_FLOOD_PAYLOAD, &rng);
    } else {
      enum kcp_flood_kind kind = (enum kcp_flood_kind)(i % KCP_FLOOD_NKINDS);

      n = kcp_flood_garbage(buf, kind, &rng);
      kinds[kind]++;
    }
    if (sendto(fd, buf, n, 0, (struct sockaddr *)&dst, sizeof(dst)) == (ssize_t)n) {
      sent++;
    } else {
      errors++;
    }
    if (i % 256 == 255) {
      replies += kcp_flood_drain(fds, o.sockets);
      if (o.pps > 0) {
        /* pace in batches: sleep until this batch is due */
        uint64_t due = start + (uint64_t)(i + 1) * 1000000u / o.pps;
        uint64_t now = kcp_flood_now_us();

        if (due > now) {
          usleep((useconds_t)(due - now));
        }
      }
    }
  }
  replies += kcp_flood_drain(fds, o.sockets);
  if (o.mode != KCP_FLOOD_GARBAGE && o.hold_s > 0) {
    uint64_t end = kcp_flood_now_us() + (uint64_t)o.hold_s * 1000000u;
    unsigned long step = o.mode == KCP_FLOOD_PIN ? o.window : 1;

    while (kcp_flood_now_us() < end) {
      uint64_t next = kcp_flood_now_us() + (uint64_t)o.hold_ms * 1000u;
      for (i = 0; i < o.count; i += step) {
        uint32_t conv, sn;
        unsigned sock;

        kcp_flood_slot(&o, i, &conv, &sn, &sock);
        kcp_flood_header(buf, conv, IKCP_CMD_WINS, 0, 0, 0, 0, 0, 0);
        if (sendto(fds[sock], buf, IKCP_OVERHEAD, 0, (struct sockaddr *)&dst, sizeof(dst)) == IKCP_OVERHEAD) {
          wins++;
        }
        if (i % 256 == 0) {
          replies += kcp_flood_drain(fds, o.sockets);
        }
      }
      while (kcp_flood_now_us() < next && kcp_flood_now_us() < end) {
        replies += kcp_flood_drain(fds, o.sockets);
        usleep(5000);
      }
    }
  }
  printf("kcp_flood: mode %s sent %lu errors %lu sockets %u seconds %.3f",
         kcp_flood_mode_names[o.mode], sent, errors, o.sockets,
         (double)(kcp_flood_now_us() - start) / 1e6);
  for (k = 0; k < KCP_FLOOD_NKINDS; k++) {
    printf(" %s %lu", kcp_flood_kind_names[k], kinds[k]);
  }
  printf(" replies %lu wins %lu\n", replies, wins);
  for (k = 0; k < o.sockets; k++) {
    close(fds[k]);
  }
  return errors == 0 ? 0 : 1;
}
