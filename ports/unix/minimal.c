/**
 * @file
 * ./minimal: lwIP (Debian's liblwip, NO_SYS=0, core locking) on a Linux
 * tap, serving ICMP echo, UDP echo on port 7, TCP echo on port 7 and KCP
 * echo on port 8000.
 *
 * Threads: tcpip_init() starts the lwIP core thread; the tap driver adds a
 * reader thread that only queues frames to it. Every raw-API call runs in
 * the core thread or under LOCK_TCPIP_CORE(). The main thread blocks
 * SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 before any thread exists, so no
 * thread is ever interrupted, and reads them from a signalfd, beside the tap
 * driver's failure eventfd (tapif_fail_fd()); it prints counters (and
 * stops) while holding the core lock, since the counters belong to the core
 * thread. The watchdog (watchdog.h) has a thread of its own, which aborts
 * the process when the core thread hangs.
 *
 * Exit status: 0 after SIGINT/SIGTERM, 1 when the tap or a service cannot
 * be set up or the tap vanishes while running, 2 for a bad option; SIGABRT
 * from the watchdog.
 */
#include "icmpcount.h"
#include "ipstr.h"
#include "kcpecho.h"
#include "namelist.h"
#include "kcp_codec.h"
#include "kcp_crypt.h"
#include "kcp_fec.h"
#include "kcp_lwip.h"
#include "kcptun.h"
#include "kcptun_json.h"
#include "kcptun_opts.h"
#include "kcplwip_version.h"
#include "pcapdump.h"
#include "statsreport.h"
#include "tapif.h"
#include "tcpecho_raw.h"
#include "udpecho_raw.h"
#include "watchdog.h"

#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define MINIMAL_ECHO_PORT 7
#define MINIMAL_MAX_MS 10000
#define MINIMAL_MAX_STATS_SEC 86400
#define MINIMAL_MAX_PCAP_MB 1000000
#define MINIMAL_MAX_PCAP_FILES 100000

/** Everything the command line sets. */
struct minimal_opts {
  ip4_addr_t ip;
  ip4_addr_t netmask;
  ip4_addr_t gw;
  ip6_addr_t ip6;   /**< --ip6, or any (none): besides the link-local one */
  const char *tap;
  struct pcapdump_config pcap;
  struct linkemu_config emu;
  u32_t stats_sec;
  int stats_json;   /**< --stats-json: counters as JSON objects */
  u32_t tcp_idle_sec;
  int debug;
  u32_t watchdog_sec; /**< --watchdog; 0: off */
  int test_hang;      /**< --test-hang: SIGUSR2 hangs the core thread */
  struct kcpecho_config kcp;
  struct kcptun_config tun; /**< listen_port and remote_port 0: no kcptun */
};

enum {
  OPT_PCAP = 256,
  OPT_PCAP_SIZE,
  OPT_PCAP_COUNT,
  OPT_LOSS,
  OPT_DELAY,
  OPT_JITTER,
  OPT_DUP,
  OPT_REORDER,
  OPT_SEED,
  OPT_STATS,
  OPT_STATS_JSON,
  OPT_PROFILE,
  OPT_KCP_WND,
  OPT_KCP_MTU,
  OPT_KCP_IDLE,
  OPT_KCP_MAX,
  OPT_KCP_BUDGET,
  OPT_KCP_CC,
  OPT_KCP_CRYPT,
  OPT_KCP_KEY,
  OPT_KCP_DS,
  OPT_KCP_PS,
  OPT_TCP_IDLE,
  OPT_LINK_QUEUE,
  OPT_IP6,
  OPT_WATCHDOG,
  OPT_TEST_HANG,
  OPT_VERSION,
  OPT_KCPTUN,
  OPT_KCPTUN_CONFIG
};

static const struct option minimal_longopts[] = {
  {"help", no_argument, NULL, 'h'},
  {"version", no_argument, NULL, OPT_VERSION},
  {"ip", required_argument, NULL, 'i'},
  {"netmask", required_argument, NULL, 'm'},
  {"gateway", required_argument, NULL, 'g'},
  {"ip6", required_argument, NULL, OPT_IP6},
  {"tap", required_argument, NULL, 't'},
  {"pcap", required_argument, NULL, OPT_PCAP},
  {"pcap-size", required_argument, NULL, OPT_PCAP_SIZE},
  {"pcap-count", required_argument, NULL, OPT_PCAP_COUNT},
  {"loss", required_argument, NULL, OPT_LOSS},
  {"delay", required_argument, NULL, OPT_DELAY},
  {"jitter", required_argument, NULL, OPT_JITTER},
  {"dup", required_argument, NULL, OPT_DUP},
  {"reorder", required_argument, NULL, OPT_REORDER},
  {"seed", required_argument, NULL, OPT_SEED},
  {"stats", required_argument, NULL, OPT_STATS},
  {"stats-json", no_argument, NULL, OPT_STATS_JSON},
  {"debug", no_argument, NULL, 'd'},
  {"kcp-port", required_argument, NULL, 'k'},
  {"profile", required_argument, NULL, OPT_PROFILE},
  {"kcp-wnd", required_argument, NULL, OPT_KCP_WND},
  {"kcp-mtu", required_argument, NULL, OPT_KCP_MTU},
  {"kcp-idle", required_argument, NULL, OPT_KCP_IDLE},
  {"kcp-max", required_argument, NULL, OPT_KCP_MAX},
  {"kcp-budget", required_argument, NULL, OPT_KCP_BUDGET},
  {"kcp-cc", required_argument, NULL, OPT_KCP_CC},
  {"kcp-crypt", required_argument, NULL, OPT_KCP_CRYPT},
  {"kcp-key", required_argument, NULL, OPT_KCP_KEY},
  {"kcp-ds", required_argument, NULL, OPT_KCP_DS},
  {"kcp-ps", required_argument, NULL, OPT_KCP_PS},
  {"tcp-idle", required_argument, NULL, OPT_TCP_IDLE},
  {"link-queue", required_argument, NULL, OPT_LINK_QUEUE},
  {"kcptun-config", required_argument, NULL, OPT_KCPTUN_CONFIG},
  {"watchdog", required_argument, NULL, OPT_WATCHDOG},
  {"test-hang", no_argument, NULL, OPT_TEST_HANG},
  {NULL, 0, NULL, 0}
};

/** Prefix of the kcptun settings on our command line. */
#define MINIMAL_KCPTUN_PREFIX "kcptun-"
/** Room for minimal_longopts plus one --kcptun-NAME per kcptun setting. */
#define MINIMAL_MAX_OPTS 128

/** minimal_longopts, then --kcptun-NAME for each of kcptun_opt_names. */
static struct option minimal_allopts[MINIMAL_MAX_OPTS];
static char minimal_tun_names[MINIMAL_MAX_OPTS][32];

static void
minimal_build_opts(void)
{
  size_t n = 0, i;

  while (minimal_longopts[n].name != NULL) {
    minimal_allopts[n] = minimal_longopts[n];
    n++;
  }
  for (i = 0; kcptun_opt_names[i].name != NULL && n + 1 < MINIMAL_MAX_OPTS; i++, n++) {
    snprintf(minimal_tun_names[n], sizeof(minimal_tun_names[n]), "%s%s",
             MINIMAL_KCPTUN_PREFIX, kcptun_opt_names[i].name);
    minimal_allopts[n].name = minimal_tun_names[n];
    minimal_allopts[n].has_arg = kcptun_opt_names[i].has_value ? required_argument : no_argument;
    minimal_allopts[n].flag = NULL;
    minimal_allopts[n].val = OPT_KCPTUN;
  }
  /* An option left out would be refused as unknown: never silently. */
  LWIP_ASSERT("MINIMAL_MAX_OPTS holds every option", kcptun_opt_names[i].name == NULL);
}

/** What the KCP echo takes for @p field, from its own limits and the
    engine's lists of profiles and congestion modules; the text lives until
    the next call. */
static const char *
minimal_kcp_expected(enum kcpecho_cfg_field field)
{
  static char buf[128];

  buf[0] = '\0';
  switch (field) {
  case KCPECHO_CFG_PROFILE:
    namelist_join(ikcp_profile_name, buf, sizeof(buf));
    break;
  case KCPECHO_CFG_CC:
    namelist_join(ikcp_cc_name, buf, sizeof(buf));
    break;
  case KCPECHO_CFG_PORT:
    snprintf(buf, sizeof(buf), "a port 1..65535 other than %d (UDP echo)", MINIMAL_ECHO_PORT);
    break;
  case KCPECHO_CFG_WND:
    snprintf(buf, sizeof(buf), "segments %d..%d", KCPECHO_WND_MIN, KCPECHO_WND_MAX);
    break;
  case KCPECHO_CFG_MTU:
    snprintf(buf, sizeof(buf), "bytes %d..%d", KCPECHO_MTU_MIN, KCPECHO_MTU_MAX);
    break;
  case KCPECHO_CFG_IDLE:
    snprintf(buf, sizeof(buf), "seconds %d..%d", KCPECHO_IDLE_MIN, KCPECHO_IDLE_MAX);
    break;
  case KCPECHO_CFG_SESSIONS:
    snprintf(buf, sizeof(buf), "sessions %d..%d", KCPECHO_SESSIONS_MIN, KCPECHO_SESSIONS_MAX);
    break;
  case KCPECHO_CFG_BUDGET:
    snprintf(buf, sizeof(buf), "segments %d..%d", KCPECHO_BUDGET_MIN, KCPECHO_BUDGET_MAX);
    break;
  case KCPECHO_CFG_OK:
    break;
  }
  return buf;
}

static void
minimal_usage(FILE *out)
{
  char ccs[128];

  namelist_join(ikcp_cc_name, ccs, sizeof(ccs));
  fprintf(out,
    "Usage: minimal [options]\n"
    "  lwIP on a tap: ICMP echo, UDP echo :7, TCP echo :7, KCP echo :8000.\n"
    "  Create the tap first: sudo scripts/setup-tapif\n"
    "\n"
    "  -i, --ip ADDR        our address (192.168.0.2)\n"
    "  -m, --netmask ADDR   netmask (255.255.255.0)\n"
    "  -g, --gateway ADDR   default gateway, 0.0.0.0 for none (192.168.0.1)\n"
    "      --ip6 ADDR       an IPv6 address besides the link-local one, which\n"
    "                       comes from the MAC (none; not link-local, multicast\n"
    "                       or loopback); hosts on the tap's /64 reach it\n"
    "  -t, --tap NAME       tap device ($PRECONFIGURED_TAPIF, else tap0)\n"
    "      --pcap FILE      write every frame crossing the tap to FILE (received\n"
    "                       frames before link emulation, sent frames after it);\n"
    "                       readable while written (flushed every %d ms)\n"
    "      --pcap-size MB   as tcpdump -C: start a new file (FILE1, FILE2, ...)\n"
    "                       before one grows past MB million bytes (1..%u)\n"
    "      --pcap-count N   as tcpdump -W, with --pcap-size: keep N files,\n"
    "                       FILE0 .. FILE(N-1), reused in turn (1..%u)\n"
    "      --loss PCT       drop frames with this probability, each way (0..100)\n"
    "      --delay MS       add this one-way delay, each way (0..%d)\n"
    "      --jitter MS      vary the delay uniformly by +-MS (0..%d)\n"
    "      --dup PCT        deliver frames twice with this probability (0..100)\n"
    "      --reorder PCT    hold frames back past later ones (0..100)\n"
    "      --seed N         seed of the link emulation (1; 0..4294967295)\n"
    "      --link-queue N   frames the link emulation holds back at once, both\n"
    "                       ways together (%u; 1..%u); beyond that a frame to\n"
    "                       delay or reorder is dropped, counted as queue-full, on\n"
    "                       top of --loss (large windows with --delay need more)\n"
    "      --stats SEC      every SEC seconds, one line with the time and the rates\n"
    "                       since the last (0: none); SIGUSR1 and exit print\n"
    "                       every counter, a line per module\n"
    "      --stats-json     print all of these as JSON objects, one per line\n"
    "  -d, --debug          print one line per frame crossing the tap\n",
    PCAPDUMP_FLUSH_MS, MINIMAL_MAX_PCAP_MB, MINIMAL_MAX_PCAP_FILES,
    MINIMAL_MAX_MS, MINIMAL_MAX_MS, (unsigned)LINKEMU_QUEUE_DEFAULT, (unsigned)LINKEMU_QUEUE_LIMIT);
  /* The KCP echo's defaults and limits are its own (kcpecho.h). */
  fprintf(out,
    "  -k, --kcp-port N     KCP echo UDP port (%d; 1..65535, not %d)\n"
    "      --profile NAME   KCP profile: %s (%s)\n"
    "      --kcp-wnd N      KCP send/receive window in segments (%d; %d..%d)\n"
    "      --kcp-mtu N      KCP mtu in bytes (%d; %d..%d)\n"
    "      --kcp-idle SEC   close KCP sessions idle this long (%d; %d..%d)\n"
    "      --kcp-max N      KCP session cap (%d; %d..%d)\n"
    "      --kcp-budget N   KCP segments in flight toward us, shared fairly by\n"
    "                       the active sessions (%d; %d..%d)\n"
    "      --kcp-cc NAME    congestion control of each KCP session: %s (%s)\n"
    "      --kcp-crypt NAME kcp-go's datagram codec on the KCP echo, as kcptun's\n"
    "                       --crypt: aes, aes-128, aes-192, salsa20, blowfish,\n"
    "                       twofish, cast5, 3des, tea, xtea, xor, sm4, none (off)\n"
    "      --kcp-key K      its passphrase, kcptun's --key (kcptun's default)\n"
    "      --kcp-ds N, --kcp-ps N  its FEC data/parity shards, both 0 or both\n"
    "                       >= 1, at most 128 together (0 0); needs --kcp-crypt\n",
    KCPECHO_PORT_DEFAULT, MINIMAL_ECHO_PORT, minimal_kcp_expected(KCPECHO_CFG_PROFILE),
    KCPECHO_PROFILE_DEFAULT, KCPECHO_WND_DEFAULT, KCPECHO_WND_MIN, KCPECHO_WND_MAX,
    KCPECHO_MTU_DEFAULT, KCPECHO_MTU_MIN, KCPECHO_MTU_MAX,
    KCPECHO_IDLE_DEFAULT, KCPECHO_IDLE_MIN, KCPECHO_IDLE_MAX,
    KCPECHO_SESSIONS_DEFAULT, KCPECHO_SESSIONS_MIN, KCPECHO_SESSIONS_MAX,
    KCPECHO_BUDGET_DEFAULT, KCPECHO_BUDGET_MIN, KCPECHO_BUDGET_MAX, ccs, KCPECHO_CC_DEFAULT);
  fprintf(out,
    "      --tcp-idle SEC   close TCP echo connections on which no data moved\n"
    "                       either way for SEC seconds (%d; 1..%d)\n"
    "      --watchdog SEC   abort (SIGABRT, with a message) when the lwIP core\n"
    "                       thread makes no progress for SEC seconds, so that\n"
    "                       scripts/relaunch.sh restarts us (%d; 0 = off; ..%d)\n"
    "      --test-hang      for testing the watchdog only: SIGUSR2 then hangs\n"
    "                       the core thread forever, holding the core lock\n"
    "  kcptun (off unless --kcptun-listen or --kcptun-remote is given):\n"
    "      --kcptun-listen PORT     server: UDP port for kcptun clients\n"
    "      --kcptun-target T        server: ADDR:PORT every stream connects to,\n"
    "                               or echo (echo)\n"
    "      --kcptun-remote A:PORT   client: the kcptun server\n"
    "      --kcptun-local PORT      client: TCP port whose connections it carries\n"
    "      --kcptun-config FILE     kcptun's JSON config (its -c), applied where it\n"
    "                               stands among these options\n"
    "      --kcptun-crypt C --kcptun-key K   kcp-go's cipher and passphrase (aes,\n"
    "                               \"it's a secrect\"); see --kcp-crypt for the list\n"
    "      --kcptun-ds N --kcptun-ps N       FEC shards, also --kcptun-datashard,\n"
    "                               --kcptun-parityshard (10 3; 0 0: off)\n"
    "      --kcptun-mode M          fast3, fast2, fast, normal, manual (fast)\n"
    "      --kcptun-nodelay N --kcptun-interval MS --kcptun-resend N --kcptun-nc N\n"
    "                               engine settings of mode manual (0 50 0 0)\n"
    "      --kcptun-mtu N           (1350) --kcptun-sndwnd N --kcptun-rcvwnd N\n"
    "                               (server 1024 1024, client 128 512)\n"
    "      --kcptun-nocomp          no snappy compression (on by default)\n"
    "      --kcptun-acknodelay      ACK every datagram at once (off: with the\n"
    "                               next interval's flush, as kcptun)\n"
    "      --kcptun-smuxver N       smux version 1 or 2 (1)\n"
    "      --kcptun-smuxbuf B       (4194304) --kcptun-streambuf B (2097152)\n"
    "      --kcptun-keepalive SEC   NOP period; 3 silent periods close (10)\n"
    "      --kcptun-max-sessions N  (1024)\n"
    "      --kcptun-conn N          client: KCP sessions (UDP ports) new streams\n"
    "                               take in turn (1; ..%d)\n"
    "      --kcptun-autoexpire SEC  client: a session takes no new stream after\n"
    "                               SEC (0: never) and closes --kcptun-scavengettl\n"
    "                               SEC later (600)\n"
    "  -h, --help           this text\n"
    "      --version        print the version and exit\n"
    "\n"
    "  SIGUSR1 prints the counters; SIGINT/SIGTERM stop cleanly (exit 0).\n"
    "  Exit 1: tap missing or not permitted, or a service failed; 2: bad option.\n",
    TCPECHO_RAW_IDLE_DEFAULT, TCPECHO_RAW_IDLE_MAX, WATCHDOG_DEFAULT_SEC, WATCHDOG_MAX_SEC,
    KCPTUN_MAX_CONN);
}

/** Report a command line error, with where the usage is, and exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
minimal_fail_usage(const char *fmt, ...)
{
  va_list ap;

  fputs("minimal: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\nTry 'minimal --help' for more information.\n", stderr);
  exit(2);
}

/** Report a bad option value and exit 2. */
static void __attribute__((noreturn))
minimal_bad_value(const char *opt, const char *value, const char *expected)
{
  minimal_fail_usage("invalid %s '%s': expected %s", opt, value, expected);
}

/** What getopt_long refused in arg (its '?'), named as the user wrote it. */
static void __attribute__((noreturn))
minimal_bad_option(const char *arg)
{
  const char *eq = strchr(arg, '=');

  if (strncmp(arg, "--", 2) != 0) {
    minimal_fail_usage("unknown option '-%c'", optopt);
  }
  if (eq != NULL) {
    minimal_fail_usage("option '%.*s' is unknown or takes no value", (int)(eq - arg), arg);
  }
  minimal_fail_usage("unknown or ambiguous option '%s'", arg);
}

/** Decimal integer in [min, max]; no sign, no spaces, nothing after. */
static u32_t
minimal_parse_u32(const char *opt, const char *s, u32_t min, u32_t max, const char *expected)
{
  unsigned long long v;
  char *end;

  if (!isdigit((unsigned char)s[0])) {
    minimal_bad_value(opt, s, expected);
  }
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) {
    minimal_bad_value(opt, s, expected);
  }
  return (u32_t)v;
}

/** Percentage, a decimal number in [0, 100]: digits and one point only
 *  (strtod alone would also take hex, exponents and "inf"). */
static double
minimal_parse_pct(const char *opt, const char *s)
{
  const char *expected = "a percentage 0..100";
  char *end;
  double v;

  if (s[0] == '\0' || strspn(s, "0123456789.") != strlen(s) || strchr(s, '.') != strrchr(s, '.')) {
    minimal_bad_value(opt, s, expected);
  }
  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0.0 || v > 100.0) {
    minimal_bad_value(opt, s, expected);
  }
  return v;
}

/** Dotted-quad IPv4 address (inet_pton: no shorthand forms). */
static void
minimal_parse_ip4(const char *opt, const char *s, ip4_addr_t *out)
{
  struct in_addr a;

  if (inet_pton(AF_INET, s, &a) != 1) {
    minimal_bad_value(opt, s, "a dotted-quad IPv4 address");
  }
  ip4_addr_set_u32(out, a.s_addr);
}

/** A global or unique-local IPv6 address for --ip6; not an IPv4-mapped one
 *  (::ffff:a.b.c.d names an IPv4 host, which lwIP would never match). */
static void
minimal_parse_ip6(const char *opt, const char *s, ip6_addr_t *out)
{
  struct in6_addr a;

  if (inet_pton(AF_INET6, s, &a) != 1) {
    minimal_bad_value(opt, s, "an IPv6 address");
  }
  IP6_ADDR(out, a.s6_addr32[0], a.s6_addr32[1], a.s6_addr32[2], a.s6_addr32[3]);
  if (ip6_addr_isany(out) || ip6_addr_islinklocal(out) || ip6_addr_ismulticast(out) ||
      ip6_addr_isloopback(out) || ip6_addr_isipv4mappedipv6(out)) {
    minimal_bad_value(opt, s, "a unicast IPv6 address that is not link-local, loopback or IPv4-mapped");
  }
}

/** A KCP echo number: its syntax here, its limits by minimal_check_kcp(). */
static u32_t
minimal_parse_kcp(const char *opt, const char *s, enum kcpecho_cfg_field field, u32_t max)
{
  return minimal_parse_u32(opt, s, 0, max, minimal_kcp_expected(field));
}

/** The KCP echo's settings, judged by the service's own validator. */
static void
minimal_check_kcp(const struct kcpecho_config *c)
{
  enum kcpecho_cfg_field bad = kcpecho_config_check(c);
  const char *opt = NULL;
  char value[16];
  u32_t v = 0;

  switch (bad) {
  case KCPECHO_CFG_OK:
    return;
  case KCPECHO_CFG_PROFILE:
    minimal_bad_value("--profile", c->profile, minimal_kcp_expected(bad));
  case KCPECHO_CFG_CC:
    minimal_bad_value("--kcp-cc", c->cc, minimal_kcp_expected(bad));
  case KCPECHO_CFG_PORT:
    opt = "--kcp-port";
    v = c->port;
    break;
  case KCPECHO_CFG_WND:
    opt = "--kcp-wnd";
    v = (u32_t)c->wnd;
    break;
  case KCPECHO_CFG_MTU:
    opt = "--kcp-mtu";
    v = (u32_t)c->mtu;
    break;
  case KCPECHO_CFG_IDLE:
    opt = "--kcp-idle";
    v = c->idle_sec;
    break;
  case KCPECHO_CFG_SESSIONS:
    opt = "--kcp-max";
    v = (u32_t)c->max_sessions;
    break;
  case KCPECHO_CFG_BUDGET:
    opt = "--kcp-budget";
    v = c->budget;
    break;
  }
  snprintf(value, sizeof(value), "%" U32_F, v);
  minimal_bad_value(opt, value, minimal_kcp_expected(bad));
}

/** Checks that need all the addresses at once. */
static void
minimal_check_addrs(const struct minimal_opts *o)
{
  u32_t ip = lwip_ntohl(ip4_addr_get_u32(&o->ip));
  u32_t mask = lwip_ntohl(ip4_addr_get_u32(&o->netmask));
  u32_t gw = lwip_ntohl(ip4_addr_get_u32(&o->gw));

  if (!ip4_addr_netmask_valid(ip4_addr_get_u32(&o->netmask)) || mask == 0) {
    minimal_fail_usage("invalid --netmask: not a contiguous netmask");
  }
  if (ip == 0 || ip == 0xffffffffUL || (ip >> 28) == 0xe || (ip >> 24) == 127) {
    minimal_fail_usage("invalid --ip: not a unicast host address");
  }
  if (mask < 0xfffffffeUL && ((ip & ~mask) == 0 || (ip & ~mask) == ~mask)) {
    minimal_fail_usage("invalid --ip: network or broadcast address of its subnet");
  }
  if (gw != 0 && ((gw & mask) != (ip & mask) || gw == ip)) {
    minimal_fail_usage("invalid --gateway: must be another address in our subnet, or 0.0.0.0");
  }
}

/** The KCP echo's codec options together (kcpecho_init() checks them too,
    but a bad command line must exit 2 with a reason). */
static void
minimal_check_codec(const struct minimal_opts *o)
{
  struct kcp_codec_config cc;
  const char *why = NULL;
  static char msg[160];
  struct kcpecho_config def;

  kcpecho_config_default(&def);
  if (o->kcp.crypt == NULL) {
    if (o->kcp.datashard != 0 || o->kcp.parityshard != 0 || strcmp(o->kcp.key, def.key) != 0) {
      minimal_fail_usage("--kcp-key, --kcp-ds and --kcp-ps need --kcp-crypt");
    }
    return;
  }
  cc.crypt = o->kcp.crypt;
  cc.key = o->kcp.key;
  cc.datashard = o->kcp.datashard;
  cc.parityshard = o->kcp.parityshard;
  if (kcp_codec_config_check(&cc, &why) != 0) {
    snprintf(msg, sizeof(msg), "--kcp-ds/--kcp-ps: %s", why);
    minimal_fail_usage(msg);
  }
  if ((size_t)o->kcp.mtu + kcp_codec_config_overhead(&cc) > KCP_DGRAM_MAX) {
    snprintf(msg, sizeof(msg), "--kcp-mtu %d: with the codec's %u header bytes it must be <= %u",
             o->kcp.mtu, (unsigned)kcp_codec_config_overhead(&cc),
             (unsigned)(KCP_DGRAM_MAX - kcp_codec_config_overhead(&cc)));
    minimal_fail_usage(msg);
  }
}

static void
minimal_parse(int argc, char **argv, struct minimal_opts *o)
{
  const char *env_tap = getenv("PRECONFIGURED_TAPIF");
  int c, idx = 0;

  memset(o, 0, sizeof(*o));
  minimal_parse_ip4("--ip", "192.168.0.2", &o->ip);
  minimal_parse_ip4("--netmask", "255.255.255.0", &o->netmask);
  minimal_parse_ip4("--gateway", "192.168.0.1", &o->gw);
  o->tap = (env_tap != NULL && env_tap[0] != '\0') ? env_tap : "tap0";
  o->emu.seed = 1;
  o->emu.queue_max = LINKEMU_QUEUE_DEFAULT;
  o->tcp_idle_sec = TCPECHO_RAW_IDLE_DEFAULT;
  o->watchdog_sec = WATCHDOG_DEFAULT_SEC;
  kcpecho_config_default(&o->kcp);
  kcptun_config_default(&o->tun);
  o->tun.listen_port = 0;
  minimal_build_opts();

  opterr = 0; /* our own messages, with our own prefix */
  while ((c = getopt_long(argc, argv, ":hi:m:g:t:dk:", minimal_allopts, &idx)) != -1) {
    switch (c) {
    case OPT_KCPTUN_CONFIG: {
      char why[256];
      if (kcptun_json_load(&o->tun, optarg, why, sizeof(why)) != 0) {
        minimal_fail_usage("--kcptun-config: %s", why);
      }
      break;
    }
    case OPT_KCPTUN: {
      char why[96];
      const char *name = minimal_allopts[idx].name + strlen(MINIMAL_KCPTUN_PREFIX);
      if (kcptun_opts_set(&o->tun, name, optarg, why, sizeof(why)) != 0) {
        char opt[48];
        snprintf(opt, sizeof(opt), "--%s", minimal_allopts[idx].name);
        minimal_bad_value(opt, optarg != NULL ? optarg : "", why);
      }
      break;
    }
    case 'h':
      minimal_usage(stdout);
      exit(0);
    case OPT_VERSION:
      printf("minimal (kcp-lwip) %s\n", KCPLWIP_VERSION);
      exit(0);
    case 'i':
      minimal_parse_ip4("--ip", optarg, &o->ip);
      break;
    case 'm':
      minimal_parse_ip4("--netmask", optarg, &o->netmask);
      break;
    case 'g':
      minimal_parse_ip4("--gateway", optarg, &o->gw);
      break;
    case OPT_IP6:
      minimal_parse_ip6("--ip6", optarg, &o->ip6);
      break;
    case 't':
      if (optarg[0] == '\0' || strlen(optarg) >= IFNAMSIZ || strchr(optarg, '/') != NULL) {
        minimal_bad_value("--tap", optarg, "an interface name of 1..15 characters");
      }
      o->tap = optarg;
      break;
    case OPT_PCAP:
      if (optarg[0] == '\0') {
        minimal_bad_value("--pcap", optarg, "a file name");
      }
      o->pcap.file = optarg;
      break;
    case OPT_PCAP_SIZE:
      o->pcap.size = 1000000ULL * minimal_parse_u32("--pcap-size", optarg, 1, MINIMAL_MAX_PCAP_MB,
                                                    "megabytes 1..1000000");
      break;
    case OPT_PCAP_COUNT:
      o->pcap.count = minimal_parse_u32("--pcap-count", optarg, 1, MINIMAL_MAX_PCAP_FILES,
                                        "files 1..100000");
      break;
    case OPT_LOSS:
      o->emu.loss_pct = minimal_parse_pct("--loss", optarg);
      break;
    case OPT_DELAY:
      o->emu.delay_ms = minimal_parse_u32("--delay", optarg, 0, MINIMAL_MAX_MS, "milliseconds 0..10000");
      break;
    case OPT_JITTER:
      o->emu.jitter_ms = minimal_parse_u32("--jitter", optarg, 0, MINIMAL_MAX_MS, "milliseconds 0..10000");
      break;
    case OPT_DUP:
      o->emu.dup_pct = minimal_parse_pct("--dup", optarg);
      break;
    case OPT_REORDER:
      o->emu.reorder_pct = minimal_parse_pct("--reorder", optarg);
      break;
    case OPT_SEED:
      o->emu.seed = minimal_parse_u32("--seed", optarg, 0, 0xffffffffUL, "an integer 0..4294967295");
      break;
    case OPT_LINK_QUEUE:
      o->emu.queue_max = minimal_parse_u32("--link-queue", optarg, 1, LINKEMU_QUEUE_LIMIT,
                                           "frames 1..65536");
      break;
    case OPT_STATS:
      o->stats_sec = minimal_parse_u32("--stats", optarg, 0, MINIMAL_MAX_STATS_SEC, "seconds 0..86400");
      break;
    case OPT_STATS_JSON:
      o->stats_json = 1;
      break;
    case 'd':
      o->debug = 1;
      break;
    case OPT_WATCHDOG:
      o->watchdog_sec = minimal_parse_u32("--watchdog", optarg, 0, WATCHDOG_MAX_SEC, "seconds 0..3600");
      break;
    case OPT_TEST_HANG:
      o->test_hang = 1;
      break;
    case 'k':
      o->kcp.port = (u16_t)minimal_parse_kcp("--kcp-port", optarg, KCPECHO_CFG_PORT, 65535);
      if (o->kcp.port == MINIMAL_ECHO_PORT) {
        minimal_bad_value("--kcp-port", optarg, minimal_kcp_expected(KCPECHO_CFG_PORT));
      }
      break;
    case OPT_PROFILE:
      o->kcp.profile = optarg;
      break;
    case OPT_KCP_WND:
      o->kcp.wnd = (int)minimal_parse_kcp("--kcp-wnd", optarg, KCPECHO_CFG_WND, INT_MAX);
      break;
    case OPT_KCP_MTU:
      o->kcp.mtu = (int)minimal_parse_kcp("--kcp-mtu", optarg, KCPECHO_CFG_MTU, INT_MAX);
      break;
    case OPT_KCP_IDLE:
      o->kcp.idle_sec = minimal_parse_kcp("--kcp-idle", optarg, KCPECHO_CFG_IDLE, UINT32_MAX);
      break;
    case OPT_KCP_MAX:
      o->kcp.max_sessions = (int)minimal_parse_kcp("--kcp-max", optarg, KCPECHO_CFG_SESSIONS, INT_MAX);
      break;
    case OPT_KCP_BUDGET:
      o->kcp.budget = minimal_parse_kcp("--kcp-budget", optarg, KCPECHO_CFG_BUDGET, UINT32_MAX);
      break;
    case OPT_KCP_CC:
      o->kcp.cc = optarg;
      break;
    case OPT_KCP_CRYPT:
      if (!kcp_crypt_valid_name(optarg)) {
        minimal_bad_value("--kcp-crypt", optarg, kcp_crypt_names());
      }
      o->kcp.crypt = optarg;
      break;
    case OPT_KCP_KEY:
      o->kcp.key = optarg;
      break;
    case OPT_KCP_DS:
      o->kcp.datashard = (int)minimal_parse_u32("--kcp-ds", optarg, 0, KCP_FEC_MAX_SHARDS - 1,
                                                "shards 0..127");
      break;
    case OPT_KCP_PS:
      o->kcp.parityshard = (int)minimal_parse_u32("--kcp-ps", optarg, 0, KCP_FEC_MAX_SHARDS - 1,
                                                  "shards 0..127");
      break;
    case OPT_TCP_IDLE:
      o->tcp_idle_sec = minimal_parse_u32("--tcp-idle", optarg, 1, TCPECHO_RAW_IDLE_MAX,
                                          "seconds 1..86400");
      break;
    case ':':
      minimal_fail_usage("option '%s' needs a value", argv[optind - 1]);
    default:
      minimal_bad_option(argv[optind - 1]);
    }
  }
  if (optind < argc) {
    minimal_fail_usage("unexpected argument '%s'", argv[optind]);
  }
  if (o->pcap.file == NULL && (o->pcap.size > 0 || o->pcap.count > 0)) {
    minimal_fail_usage("--pcap-size and --pcap-count need --pcap FILE");
  }
  if (o->pcap.count > 0 && o->pcap.size == 0) {
    minimal_fail_usage("--pcap-count needs --pcap-size");
  }
  minimal_check_codec(o);
  minimal_check_addrs(o);
  if (o->tun.listen_port != 0 && o->tun.remote_port != 0) {
    minimal_fail_usage("--kcptun-listen (server) and --kcptun-remote (client) exclude each other");
  }
  if ((o->tun.remote_port != 0) != (o->tun.local_port != 0)) {
    minimal_fail_usage("--kcptun-remote and --kcptun-local go together (the client role)");
  }
  if (o->tun.listen_port != 0 && (o->tun.conn != 1 || o->tun.autoexpire != 0)) {
    minimal_fail_usage("--kcptun-conn and --kcptun-autoexpire are client settings (--kcptun-remote)");
  }
  minimal_check_kcp(&o->kcp);
}

/** One line naming the fix, for each way attaching the tap fails. */
static void
minimal_tap_error(const char *tap, int err)
{
  switch (err) {
  case ENODEV:
    fprintf(stderr, "minimal: tap device '%s' does not exist; create it with: "
            "sudo scripts/setup-tapif --tap %s\n", tap, tap);
    break;
  case EACCES:
  case EPERM:
    fprintf(stderr, "minimal: no permission to attach tap '%s' (%s); run as root, or "
            "give it to your user with: sudo scripts/setup-tapif --tap %s --user $USER\n",
            tap, strerror(err), tap);
    break;
  case EINVAL:
    fprintf(stderr, "minimal: '%s' is not a tap device; create a tap with: "
            "sudo scripts/setup-tapif --tap NAME\n", tap);
    break;
  case EBUSY:
    fprintf(stderr, "minimal: tap '%s' is busy (another ./minimal attached?); stop that one, "
            "or make another tap with: sudo scripts/setup-tapif --tap NAME\n", tap);
    break;
  default:
    fprintf(stderr, "minimal: cannot attach tap '%s' (%s); (re)create it with: "
            "sudo scripts/setup-tapif --tap %s\n", tap, strerror(err), tap);
    break;
  }
}

/** Give up during start-up, with the reason. */
static void __attribute__((noreturn))
minimal_die(const char *what, err_t err)
{
  fprintf(stderr, "minimal: %s failed: lwIP error %d (%s)\n", what, (int)err,
          strerror(err_to_errno(err)));
  exit(1);
}

static struct tapif minimal_tap;
static struct netif minimal_netif;
static struct pcapdump *minimal_pcap;

static struct statsreport minimal_report;
/** The counters being reported: static, as they are large. */
static struct counters minimal_snapshot;

/** Every module's counters, now; called with the core lock held, since the
 *  counters belong to the core thread. */
static void
minimal_counters(struct counters *c)
{
  counters_init(c);
  tapif_counters(&minimal_tap, c);
  icmpcount_counters(c);
  udpecho_raw_counters(c);
  tcpecho_raw_counters(c);
  kcpecho_counters(c);
  kcptun_counters(c);
  if (minimal_pcap != NULL) {
    pcapdump_flush(minimal_pcap);
    counters_group(c, "pcap");
    counters_add(c, "frames", pcapdump_count(minimal_pcap));
    counters_add(c, "files", pcapdump_files(minimal_pcap));
  }
}

/** The first report's rates count from now; core lock held. */
static void
minimal_stats_start(const struct minimal_opts *o)
{
  minimal_counters(&minimal_snapshot);
  statsreport_init(&minimal_report, o->stats_json, o->tap, &minimal_snapshot);
}

/** Report the counters, the periodic line or all of them; core lock held. */
static void
minimal_stats_print(int periodic)
{
  static int pcap_error_told;

  minimal_counters(&minimal_snapshot);
  if (periodic) {
    statsreport_interval(&minimal_report, &minimal_snapshot, stdout);
  } else {
    statsreport_full(&minimal_report, &minimal_snapshot, stdout);
  }
  fflush(stdout);
  if (minimal_pcap != NULL && pcapdump_error(minimal_pcap) != NULL && !pcap_error_told) {
    fprintf(stderr, "minimal: pcap capture stopped: %s\n", pcapdump_error(minimal_pcap));
    pcap_error_told = 1;
  }
}

/** The netif's IPv6 addresses: the link-local one, and --ip6's. They are
 *  usable once duplicate address detection has passed (about a second). */
static void
minimal_print_ip6(struct netif *netif)
{
  char a[IP6ADDR_STRLEN_MAX];
  int i;

  for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
    if (!ip6_addr_isinvalid(netif_ip6_addr_state(netif, i))) {
      ipstr_ip6(netif_ip6_addr(netif, i), a, sizeof(a));
      printf("minimal: IPv6 %s%s\n", a, ip6_addr_islinklocal(netif_ip6_addr(netif, i)) ? " (link-local)" : "");
    }
  }
}

/**
 * Where a service answers, as the host writes it: the IPv4 address, then
 * each IPv6 one in brackets, link-local ones with the tap as their scope
 * ("192.168.0.2:7, [fe80::1%tap0]:7"). port < 0: addresses alone.
 */
static const char *
minimal_endpoints(const struct minimal_opts *o, int port, char *buf, size_t len)
{
  char a[IP6ADDR_STRLEN_MAX];
  size_t n;
  int i;

  ip4addr_ntoa_r(&o->ip, a, sizeof(a));
  n = (size_t)snprintf(buf, len, port < 0 ? "%s" : "%s:%d", a, port);
  for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES && n < len; i++) {
    const ip6_addr_t *ip6 = netif_ip6_addr(&minimal_netif, i);
    const char *scope = ip6_addr_islinklocal(ip6) ? "%" : "";

    if (ip6_addr_isinvalid(netif_ip6_addr_state(&minimal_netif, i))) {
      continue;
    }
    ipstr_ip6(ip6, a, sizeof(a));
    if (port < 0) {
      n += (size_t)snprintf(buf + n, len - n, ", %s%s%s", a, scope, *scope ? o->tap : "");
    } else {
      n += (size_t)snprintf(buf + n, len - n, ", [%s%s%s]:%d", a, scope, *scope ? o->tap : "", port);
    }
  }
  return buf;
}

/** Add the netif and start the services; called with the core lock held. */
static void
minimal_start_stack(const struct minimal_opts *o)
{
  char ip[IP4ADDR_STRLEN_MAX], mask[IP4ADDR_STRLEN_MAX], gw[IP4ADDR_STRLEN_MAX];
  char at[IP4ADDR_STRLEN_MAX + LWIP_IPV6_NUM_ADDRESSES * (IP6ADDR_STRLEN_MAX + IFNAMSIZ + 12)];
  const u8_t *mac;
  err_t err;

  if (netif_add(&minimal_netif, &o->ip, &o->netmask, &o->gw, &minimal_tap,
                tapif_netif_init, tcpip_input) == NULL) {
    minimal_die("netif_add", ERR_IF);
  }
  netif_set_default(&minimal_netif);
  netif_create_ip6_linklocal_address(&minimal_netif, 1);
  if (!ip6_addr_isany(&o->ip6) && netif_add_ip6_address(&minimal_netif, &o->ip6, NULL) != ERR_OK) {
    minimal_die("--ip6", ERR_VAL);
  }
  netif_set_up(&minimal_netif);
  netif_set_link_up(&minimal_netif);

  ip4addr_ntoa_r(&o->ip, ip, sizeof(ip));
  ip4addr_ntoa_r(&o->netmask, mask, sizeof(mask));
  ip4addr_ntoa_r(&o->gw, gw, sizeof(gw));
  mac = minimal_netif.hwaddr;
  printf("minimal: tap %s, %s netmask %s gateway %s, mac %02x:%02x:%02x:%02x:%02x:%02x\n",
         o->tap, ip, mask, gw, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  minimal_print_ip6(&minimal_netif);
  if (!linkemu_is_transparent(&o->emu)) {
    printf("minimal: link emulation, each way: loss %g%% delay %u ms jitter %u ms dup %g%% "
           "reorder %g%% seed %u; queue %u frames both ways\n", o->emu.loss_pct, (unsigned)o->emu.delay_ms,
           (unsigned)o->emu.jitter_ms, o->emu.dup_pct, o->emu.reorder_pct, (unsigned)o->emu.seed,
           (unsigned)o->emu.queue_max);
  }
  if (o->pcap.file != NULL) {
    printf("minimal: capturing to %s (received frames before emulation, sent frames after)",
           o->pcap.file);
    if (o->pcap.size > 0 && o->pcap.count > 0) {
      printf("; %u files of at most %llu bytes, reused in turn", o->pcap.count, o->pcap.size);
    } else if (o->pcap.size > 0) {
      printf("; a new file every %llu bytes", o->pcap.size);
    }
    printf("\n");
  }

  err = icmpcount_init();
  if (err != ERR_OK) {
    minimal_die("ICMP counter", err);
  }
  printf("minimal: ICMP echo on %s\n", minimal_endpoints(o, -1, at, sizeof(at)));
  err = udpecho_raw_init(MINIMAL_ECHO_PORT);
  if (err != ERR_OK) {
    minimal_die("UDP echo", err);
  }
  printf("minimal: UDP echo on %s\n", minimal_endpoints(o, MINIMAL_ECHO_PORT, at, sizeof(at)));
  err = tcpecho_raw_init(MINIMAL_ECHO_PORT, o->tcp_idle_sec);
  if (err != ERR_OK) {
    minimal_die("TCP echo", err);
  }
  printf("minimal: TCP echo on %s\n", minimal_endpoints(o, MINIMAL_ECHO_PORT, at, sizeof(at)));
  err = kcpecho_init(&o->kcp);
  if (err != ERR_OK) {
    minimal_die("KCP echo", err);
  }
  printf("minimal: KCP echo on %s (profile %s, congestion control %s)\n",
         minimal_endpoints(o, o->kcp.port, at, sizeof(at)),
         o->kcp.profile != NULL ? o->kcp.profile : "default", o->kcp.cc);
  if (watchdog_start(o->watchdog_sec) != ERR_OK) {
    minimal_die("watchdog", ERR_MEM);
  }
  if (o->watchdog_sec > 0) {
    printf("minimal: watchdog: abort after %u s without progress of the core thread\n",
           (unsigned)o->watchdog_sec);
  }
  if (o->tun.listen_port != 0 || o->tun.remote_port != 0) {
    err = kcptun_init(&o->tun);
    if (err != ERR_OK) {
      minimal_die("kcptun", err);
    }
    if (o->tun.listen_port != 0) {
      printf("minimal: kcptun server on %s, smux %d, compression %s, target %s\n",
             minimal_endpoints(o, o->tun.listen_port, at, sizeof(at)), o->tun.smuxver, o->tun.nocomp ? "off" : "on",
             o->tun.target_echo ? "echo" : ipaddr_ntoa(&o->tun.target_ip));
    } else {
      printf("minimal: kcptun client on TCP %s to %s:%u, smux %d, compression %s\n",
             minimal_endpoints(o, o->tun.local_port, at, sizeof(at)), ipaddr_ntoa(&o->tun.remote_ip),
             (unsigned)o->tun.remote_port, o->tun.smuxver, o->tun.nocomp ? "off" : "on");
    }
  }
  fflush(stdout);
}

/** Milliseconds until the next periodic print, or -1 for none. */
static int
minimal_poll_timeout(const struct timespec *next, u32_t stats_sec)
{
  struct timespec now;
  long long ms;

  if (stats_sec == 0) {
    return -1;
  }
  clock_gettime(CLOCK_MONOTONIC, &now);
  ms = (long long)(next->tv_sec - now.tv_sec) * 1000 + (next->tv_nsec - now.tv_nsec) / 1000000;
  return ms > 0 ? (int)ms : 0;
}

/** Wait for signals and timer ticks until SIGINT or SIGTERM, or until
    the tap reader reports on @p fail_fd that it stopped (then 0). SIGUSR2
    hangs the core thread with --test-hang, and is ignored without it. */
static int
minimal_run(int sfd, int fail_fd, u32_t stats_sec, int test_hang)
{
  struct timespec next = {0, 0};

  if (stats_sec > 0) {
    clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_sec += stats_sec;
  }
  for (;;) {
    struct pollfd pfd[2] = {{sfd, POLLIN, 0}, {fail_fd, POLLIN, 0}};
    struct signalfd_siginfo si;
    int n = poll(pfd, 2, minimal_poll_timeout(&next, stats_sec));

    if (n < 0 && errno != EINTR) {
      perror("minimal: poll");
      return SIGTERM;
    }
    if (n > 0 && pfd[1].revents != 0) {
      return 0;
    }
    if (n == 0) {
      next.tv_sec += stats_sec;
      LOCK_TCPIP_CORE();
      minimal_stats_print(1);
      UNLOCK_TCPIP_CORE();
      continue;
    }
    if (n < 0 || read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si)) {
      continue;
    }
    if (si.ssi_signo == SIGUSR1) {
      LOCK_TCPIP_CORE();
      minimal_stats_print(0);
      UNLOCK_TCPIP_CORE();
    } else if (si.ssi_signo == SIGUSR2) {
      if (test_hang && tcpip_callback(watchdog_test_hang, NULL) != ERR_OK) {
        fprintf(stderr, "minimal: --test-hang: cannot reach the core thread\n");
      }
    } else {
      return (int)si.ssi_signo;
    }
  }
}

int
main(int argc, char **argv)
{
  struct minimal_opts opts;
  struct tapif_config tcfg;
  sigset_t sigs;
  int sfd, err, sig, status;

  minimal_parse(argc, argv, &opts);

  /* a background job of a non-interactive shell starts with SIGINT
     ignored; we want it, through the signalfd */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGUSR1);
  sigaddset(&sigs, SIGUSR2);
  if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0 || (sfd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0) {
    perror("minimal: signalfd");
    return 1;
  }

  memset(&tcfg, 0, sizeof(tcfg));
  tcfg.name = opts.tap;
  tcfg.emu = opts.emu;
  tcfg.trace = opts.debug;
  err = tapif_open(&minimal_tap, &tcfg);
  if (err != 0) {
    minimal_tap_error(opts.tap, err);
    return 1;
  }

  /* only now: a failed start must not have truncated an old capture */
  if (opts.pcap.file != NULL) {
    char why[512];

    minimal_pcap = pcapdump_open(&opts.pcap, why, sizeof(why));
    if (minimal_pcap == NULL) {
      fprintf(stderr, "minimal: cannot write pcap file %s: %s\n", opts.pcap.file, why);
      return 1;
    }
    tapif_set_pcap(&minimal_tap, minimal_pcap);
  }

  tcpip_init(NULL, NULL);
  LOCK_TCPIP_CORE();
  minimal_start_stack(&opts);
  minimal_stats_start(&opts);
  UNLOCK_TCPIP_CORE();

  err = tapif_start(&minimal_tap);
  if (err != 0) {
    fprintf(stderr, "minimal: cannot start the tap reader: %s\n", strerror(err));
    return 1;
  }

  sig = minimal_run(sfd, tapif_fail_fd(&minimal_tap), opts.stats_sec, opts.test_hang);

  tapif_stop(&minimal_tap);
  status = tapif_error(&minimal_tap) != 0 ? 1 : 0;
  if (status != 0) {
    fprintf(stderr, "minimal: lost tap '%s' (%s); recreate it with: sudo scripts/setup-tapif --tap %s\n",
            opts.tap, strerror(tapif_error(&minimal_tap)), opts.tap);
  }
  LOCK_TCPIP_CORE();
  printf("minimal: stopping on %s\n", status != 0 ? "tap failure" : strsignal(sig));
  minimal_stats_print(0);
  tapif_shutdown(&minimal_tap);
  if (minimal_pcap != NULL) {
    pcapdump_close(minimal_pcap);
    minimal_pcap = NULL;
  }
  UNLOCK_TCPIP_CORE();
  close(sfd);
  return status;
}
