/**
 * @file
 * kcp_client: command line of the host-side client of the kcpecho service.
 * Parses and checks every option (a bad one exits 2 with the usage), then
 * hands over to the interactive mode or the benchmark.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcp_client.h"

static const char *const kcpc_profiles[] = { "normal", "fast", "fast2", "fast3" };

static void
kcpc_usage(FILE *out)
{
  fprintf(out,
"usage: kcp_client [options] [HOST [PORT]]\n"
"\n"
"Talk to the KCP echo at HOST:PORT (default " KCPC_DEFAULT_HOST " %d), or with\n"
"--tcp to the TCP echo (default port %d).\n"
"\n"
"Interactive (default): each stdin line is sent as one message and its echo\n"
"printed, like telnet to an echo port; works through a pipe. At end of input\n"
"the client waits for the outstanding echoes (at most --timeout), then exits.\n"
"\n"
"  --bench            benchmark: send --count messages per client, check every\n"
"                     echo byte for byte, report RTT (from the send of a message\n"
"                     to the end of its echo), the client's retransmissions and\n"
"                     throughput; SIGINT/SIGTERM stop it with a report (exit 1)\n"
"  --count N          messages per client (default %d; with only --duration: no limit)\n"
"  --size S|MIN-MAX   message size in bytes, or random in MIN..MAX (default %d);\n"
"                     KCP message mode: at most 127 * (mtu - 24)\n"
"  --interval MS      pause between a client's messages; 0 = as fast as the\n"
"                     window allows (default 0)\n"
"  --duration SEC     stop sending new messages after SEC seconds\n"
"  --clients N        parallel sessions, conv+i and one local port each (default 1)\n"
"  --seed N           seed of sizes and contents (default 1)\n"
"  --json             print the report as one JSON object\n"
"  --reconnect        when a session dies (dead link or --timeout of silence),\n"
"                     open a new one (conv+i + 1000*k for the k-th, from a new local\n"
"                     port) and send again, in order, every message not yet echoed;\n"
"                     each echo is still checked, so a run ends with all messages\n"
"                     verified; the report counts reconnects and resent messages,\n"
"                     and their RTT counts from the first send\n"
"  --max-reconnects N reconnects allowed per client (default %d)\n"
"  --tcp              the same against the TCP echo (TCP_NODELAY, echoes matched\n"
"                     by byte counts; --reconnect opens a new connection); KCP\n"
"                     and TCP alike keep at most 2*wnd*(mtu-24) bytes unechoed\n"
"\n"
"  --conv N           KCP conversation id (default 0x%08x)\n"
"  --profile P        normal, fast, fast2 or fast3, as kcptun (default fast)\n"
"  --wnd N            send and receive window in segments (default %d)\n"
"  --mtu N            KCP mtu, 50..1500 (default %d)\n"
"  --stream           KCP stream mode: echoes checked as a byte stream\n"
"  --timeout SEC      silence (while echoes are due) that declares a session\n"
"                     dead (default %d)\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 all echoed (and verified), 1 a session died or an echo was\n"
"wrong, 2 bad command line.\n",
          KCPC_DEFAULT_PORT, KCPC_DEFAULT_TCP_PORT, KCPC_DEFAULT_COUNT, KCPC_DEFAULT_SIZE,
          KCPC_DEFAULT_RECONNECTS, KCPC_DEFAULT_CONV, KCPC_DEFAULT_WND, KCPC_DEFAULT_MTU,
          KCPC_DEFAULT_TIMEOUT);
}

/** Print what is wrong and the usage; exits 2. */
static void kcpc_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
kcpc_bad(const char *fmt, ...)
{
  va_list ap;

  fputs("kcp_client: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n", stderr);
  kcpc_usage(stderr);
  exit(KCPC_EXIT_USAGE);
}

/**
 * Parse a whole decimal (or 0x hex) number in [min, max]. Signs, spaces,
 * octal and trailing characters are refused: strtoull would quietly accept
 * them.
 */
static uint64_t
kcpc_num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
  int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char *digits = hex ? s + 2 : s;
  char *end;
  unsigned long long v;

  if (!(hex ? isxdigit((unsigned char)digits[0]) : isdigit((unsigned char)digits[0]))) {
    kcpc_bad("%s: '%s' is not a number", opt, s);
  }
  errno = 0;
  v = strtoull(digits, &end, hex ? 16 : 10);
  if (*end != '\0') {
    kcpc_bad("%s: '%s' is not a number", opt, s);
  }
  if (errno == ERANGE || v < min || v > max) {
    kcpc_bad("%s: %s is out of range %llu..%llu", opt, s,
             (unsigned long long)min, (unsigned long long)max);
  }
  return v;
}

/** --size S or MIN-MAX. */
static void
kcpc_size(const char *s, struct kcpc_config *cfg)
{
  char buf[64];
  char *dash;

  if (strlen(s) >= sizeof(buf)) {
    kcpc_bad("--size: '%s' is not a size", s);
  }
  strcpy(buf, s);
  dash = strchr(buf, '-');
  if (dash == NULL) {
    cfg->size_min = cfg->size_max = (uint32_t)kcpc_num("--size", buf, 1, UINT32_MAX);
    return;
  }
  *dash = '\0';
  cfg->size_min = (uint32_t)kcpc_num("--size", buf, 1, UINT32_MAX);
  cfg->size_max = (uint32_t)kcpc_num("--size", dash + 1, 1, UINT32_MAX);
  if (cfg->size_min > cfg->size_max) {
    kcpc_bad("--size %s: MIN is larger than MAX", s);
  }
}

static const char *
kcpc_profile(const char *s)
{
  size_t i;

  for (i = 0; i < sizeof(kcpc_profiles) / sizeof(kcpc_profiles[0]); i++) {
    if (strcmp(s, kcpc_profiles[i]) == 0) {
      return kcpc_profiles[i];
    }
  }
  kcpc_bad("--profile: unknown profile '%s'", s);
}

uint32_t
kcpc_msg_max(const struct kcpc_config *cfg)
{
  if (cfg->tcp || cfg->stream) {
    return KCPC_STREAM_MSG_MAX;
  }
  return KCPC_KCP_MAX_FRAGMENTS * (cfg->mtu - KCPC_KCP_OVERHEAD);
}

/** Resolve HOST and PORT into cfg->addr; a name that does not resolve is a bad value. */
static void
kcpc_resolve(struct kcpc_config *cfg, const char *host, unsigned port)
{
  struct addrinfo hints, *res;
  char service[16];
  int rc;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = cfg->tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  snprintf(service, sizeof(service), "%u", port);
  rc = getaddrinfo(host, service, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "kcp_client: %s: %s\n", host, gai_strerror(rc));
    exit(KCPC_EXIT_USAGE);
  }
  memcpy(&cfg->addr, res->ai_addr, res->ai_addrlen);
  cfg->addrlen = res->ai_addrlen;
  freeaddrinfo(res);
  snprintf(cfg->peer, sizeof(cfg->peer), "%s:%u", host, port);
}

enum {
  KCPC_OPT_BENCH = 256, KCPC_OPT_TCP, KCPC_OPT_COUNT, KCPC_OPT_SIZE, KCPC_OPT_INTERVAL,
  KCPC_OPT_DURATION, KCPC_OPT_CLIENTS, KCPC_OPT_SEED, KCPC_OPT_JSON, KCPC_OPT_RECONNECT,
  KCPC_OPT_MAXRECON, KCPC_OPT_CONV, KCPC_OPT_PROFILE, KCPC_OPT_WND, KCPC_OPT_MTU,
  KCPC_OPT_STREAM, KCPC_OPT_TIMEOUT
};

static const struct option kcpc_options[] = {
  { "bench", no_argument, NULL, KCPC_OPT_BENCH },
  { "tcp", no_argument, NULL, KCPC_OPT_TCP },
  { "count", required_argument, NULL, KCPC_OPT_COUNT },
  { "size", required_argument, NULL, KCPC_OPT_SIZE },
  { "interval", required_argument, NULL, KCPC_OPT_INTERVAL },
  { "duration", required_argument, NULL, KCPC_OPT_DURATION },
  { "clients", required_argument, NULL, KCPC_OPT_CLIENTS },
  { "seed", required_argument, NULL, KCPC_OPT_SEED },
  { "json", no_argument, NULL, KCPC_OPT_JSON },
  { "reconnect", no_argument, NULL, KCPC_OPT_RECONNECT },
  { "max-reconnects", required_argument, NULL, KCPC_OPT_MAXRECON },
  { "conv", required_argument, NULL, KCPC_OPT_CONV },
  { "profile", required_argument, NULL, KCPC_OPT_PROFILE },
  { "wnd", required_argument, NULL, KCPC_OPT_WND },
  { "mtu", required_argument, NULL, KCPC_OPT_MTU },
  { "stream", no_argument, NULL, KCPC_OPT_STREAM },
  { "timeout", required_argument, NULL, KCPC_OPT_TIMEOUT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
  struct kcpc_config cfg;
  const char *host = KCPC_DEFAULT_HOST;
  unsigned port = 0;
  /* the last option given that only the benchmark, or only KCP, knows */
  const char *bench_only = NULL, *kcp_only = NULL;
  int count_set = 0, opt, maxrecon_set = 0;

  memset(&cfg, 0, sizeof(cfg));
  cfg.conv = KCPC_DEFAULT_CONV;
  cfg.profile = "fast";
  cfg.wnd = KCPC_DEFAULT_WND;
  cfg.mtu = KCPC_DEFAULT_MTU;
  cfg.count = KCPC_DEFAULT_COUNT;
  cfg.size_min = cfg.size_max = KCPC_DEFAULT_SIZE;
  cfg.clients = 1;
  cfg.timeout_s = KCPC_DEFAULT_TIMEOUT;
  cfg.seed = 1;
  cfg.max_reconnects = KCPC_DEFAULT_RECONNECTS;

  while ((opt = getopt_long(argc, argv, "+h", kcpc_options, NULL)) != -1) {
    switch (opt) {
    case KCPC_OPT_BENCH: cfg.bench = 1; break;
    case KCPC_OPT_TCP: cfg.tcp = 1; break;
    case KCPC_OPT_COUNT:
      cfg.count = kcpc_num("--count", optarg, 1, 1000000000000ull);
      count_set = 1;
      bench_only = "--count";
      break;
    case KCPC_OPT_SIZE: kcpc_size(optarg, &cfg); bench_only = "--size"; break;
    case KCPC_OPT_INTERVAL:
      cfg.interval_ms = (unsigned)kcpc_num("--interval", optarg, 0, 3600000);
      bench_only = "--interval";
      break;
    case KCPC_OPT_DURATION:
      cfg.duration_s = (unsigned)kcpc_num("--duration", optarg, 1, 86400);
      bench_only = "--duration";
      break;
    case KCPC_OPT_CLIENTS:
      cfg.clients = (unsigned)kcpc_num("--clients", optarg, 1, KCPC_CLIENTS_MAX);
      bench_only = "--clients";
      break;
    case KCPC_OPT_SEED: cfg.seed = kcpc_num("--seed", optarg, 0, UINT64_MAX); bench_only = "--seed"; break;
    case KCPC_OPT_JSON: cfg.json = 1; bench_only = "--json"; break;
    case KCPC_OPT_RECONNECT: cfg.reconnect = 1; bench_only = "--reconnect"; break;
    case KCPC_OPT_MAXRECON:
      cfg.max_reconnects = (unsigned)kcpc_num("--max-reconnects", optarg, 1, 1000);
      maxrecon_set = 1;
      break;
    case KCPC_OPT_CONV: cfg.conv = (uint32_t)kcpc_num("--conv", optarg, 0, UINT32_MAX); kcp_only = "--conv"; break;
    case KCPC_OPT_PROFILE: cfg.profile = kcpc_profile(optarg); kcp_only = "--profile"; break;
    case KCPC_OPT_WND: cfg.wnd = (unsigned)kcpc_num("--wnd", optarg, 1, 32768); break;
    case KCPC_OPT_MTU: cfg.mtu = (unsigned)kcpc_num("--mtu", optarg, 50, 1500); break;
    case KCPC_OPT_STREAM: cfg.stream = 1; kcp_only = "--stream"; break;
    case KCPC_OPT_TIMEOUT: cfg.timeout_s = (unsigned)kcpc_num("--timeout", optarg, 1, 3600); break;
    case 'h': kcpc_usage(stdout); return 0;
    default: kcpc_usage(stderr); return KCPC_EXIT_USAGE;
    }
  }
  if (!cfg.bench && bench_only != NULL) {
    kcpc_bad("%s needs --bench", bench_only);
  }
  if (cfg.tcp && kcp_only != NULL) {
    kcpc_bad("%s is a KCP option, not for --tcp", kcp_only);
  }
  if (maxrecon_set && !cfg.reconnect) {
    kcpc_bad("--max-reconnects needs --reconnect");
  }
  if (cfg.duration_s && !count_set) {
    cfg.count = UINT64_MAX;
  }
  if (cfg.size_max > kcpc_msg_max(&cfg)) {
    kcpc_bad("--size: messages are at most %u bytes here%s", (unsigned)kcpc_msg_max(&cfg),
             cfg.tcp || cfg.stream ? "" : " (127 fragments of mtu - 24)");
  }
  if (optind < argc) {
    host = argv[optind++];
  }
  if (optind < argc) {
    port = (unsigned)kcpc_num("PORT", argv[optind++], 1, 65535);
  }
  if (optind < argc) {
    kcpc_bad("unexpected argument '%s'", argv[optind]);
  }
  if (port == 0) {
    port = cfg.tcp ? KCPC_DEFAULT_TCP_PORT : KCPC_DEFAULT_PORT;
  }
  kcpc_resolve(&cfg, host, port);
  return cfg.bench ? kcpc_bench_run(&cfg) : kcpc_interactive_run(&cfg);
}
