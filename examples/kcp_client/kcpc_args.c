/**
 * @file
 * kcp_client's command line: every option parsed and checked, a bad one
 * explained in one line, with a hint to --help. Returns instead of exiting, and prints only to
 * the stream it is given, so that a fuzzer can drive it millions of times.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikcp.h"
#include "kcpc_args.h"
#include "namelist.h"
#include "kcp_codec.h"
#include "kcp_crypt.h"
#include "kcp_fec.h"

void
kcpc_args_usage(FILE *out)
{
  char profiles[128], ccs[128];

  fprintf(out,
"Usage: kcp_client [options] [HOST [PORT]]\n"
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
"                     KCP message mode: at most 127 * (min(mtu, %d) - 24),\n"
"                     since the server echoes in its own segments (mtu %d)\n"
"  --interval MS      pause between a client's messages; 0 = as fast as the\n"
"                     window allows (default 0)\n"
"  --duration SEC     stop sending new messages after SEC seconds\n"
"  --clients N        parallel sessions, conv+i and one local port each (default 1)\n"
"  --seed N           seed of sizes and contents (default 1)\n"
"  --json             print the report as one JSON object\n"
"  --sha256           also report the SHA-256 of every payload byte sent (each\n"
"                     message once, in order) and of every byte echoed (one\n"
"                     client only: --clients 1)\n"
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
"  --conv N           KCP conversation id (default: random, so that a blind\n"
"                     spoofer must guess it as well as the port)\n"
"  --profile P        as kcptun: %s (default fast)\n"
"  --cc NAME          congestion control: %s (default %s: the\n"
"                     reference's window, which the fast profiles switch off;\n"
"                     bbr paces at the measured bottleneck rate, little queueing)\n"
"  --wnd N            send and receive window in segments (default %d)\n"
"  --mtu N            KCP mtu, 50..1500 (default %d)\n"
"  --stream           KCP stream mode: echoes checked as a byte stream\n"
"  --timeout SEC      silence (while echoes are due) that declares a session\n"
"                     dead (default %d)\n"
"\n"
"kcp-go's datagram codec, as kcptun uses it (off unless one of these is given;\n"
"the server must use the same settings):\n"
"  --crypt NAME       aes, aes-128, aes-192, salsa20, blowfish, twofish, cast5,\n"
"                     3des, tea, xtea, xor, sm4 or none (default " KCPC_DEFAULT_CRYPT ")\n"
"  --key K            pre-shared passphrase (default kcptun's)\n"
"  --ds N, --ps N     FEC data and parity shards, both 0 or both >= 1\n"
"                     (default 0 0); mtu + 20 (+ 8 with FEC) must be <= 1500\n"
"  -h, --help         this text\n"
"      --version      print the version and exit\n"
"\n"
"Exit status: 0 all echoed (and verified), 1 a session died or an echo was\n"
"wrong, 2 bad command line.\n",
          KCPC_DEFAULT_PORT, KCPC_DEFAULT_TCP_PORT, KCPC_DEFAULT_COUNT, KCPC_DEFAULT_SIZE,
          KCPC_ECHO_MTU, KCPC_ECHO_MTU, KCPC_DEFAULT_RECONNECTS,
          namelist_join(ikcp_profile_name, profiles, sizeof(profiles)),
          namelist_join(ikcp_cc_name, ccs, sizeof(ccs)), ikcp_cc_classic.name,
          KCPC_DEFAULT_WND, KCPC_DEFAULT_MTU,
          KCPC_DEFAULT_TIMEOUT);
}

/** Say what is wrong, then where the usage is; returns the exit status to give. */
static int kcpc_args_bad(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
kcpc_args_bad(FILE *err, const char *fmt, ...)
{
  va_list ap;

  fputs("kcp_client: ", err);
  va_start(ap, fmt);
  vfprintf(err, fmt, ap);
  va_end(ap);
  fputs("\nTry 'kcp_client --help' for more information.\n", err);
  return KCPC_EXIT_USAGE;
}

/**
 * Parse a whole decimal (or 0x hex) number in [min, max] into *v. Signs,
 * spaces, octal and trailing characters are refused: strtoull would quietly
 * accept them.
 */
static int
kcpc_args_num(FILE *err, const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
  int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char *digits = hex ? s + 2 : s;
  char *end;
  unsigned long long n;

  if (!(hex ? isxdigit((unsigned char)digits[0]) : isdigit((unsigned char)digits[0]))) {
    return kcpc_args_bad(err, "%s: '%s' is not a number", opt, s);
  }
  errno = 0;
  n = strtoull(digits, &end, hex ? 16 : 10);
  if (*end != '\0') {
    return kcpc_args_bad(err, "%s: '%s' is not a number", opt, s);
  }
  if (errno == ERANGE || n < min || n > max) {
    return kcpc_args_bad(err, "%s: %s is out of range %llu..%llu", opt, s,
                         (unsigned long long)min, (unsigned long long)max);
  }
  *v = n;
  return 0;
}

/** kcpc_args_num for the unsigned fields. */
static int
kcpc_args_uint(FILE *err, const char *opt, const char *s, unsigned min, unsigned max, unsigned *v)
{
  uint64_t n;
  int rc = kcpc_args_num(err, opt, s, min, max, &n);

  if (rc == 0) {
    *v = (unsigned)n;
  }
  return rc;
}

/** --size S or MIN-MAX. */
static int
kcpc_args_size(FILE *err, const char *s, struct kcpc_config *cfg)
{
  char buf[64];
  char *dash;
  uint64_t lo, hi;
  int rc;

  if (strlen(s) >= sizeof(buf) || !isdigit((unsigned char)s[0])) {
    return kcpc_args_bad(err, "--size: '%s' is not a size: S or MIN-MAX, whole numbers from 1", s);
  }
  strcpy(buf, s);
  dash = strchr(buf, '-');
  if (dash != NULL) {
    *dash = '\0';
  }
  rc = kcpc_args_num(err, "--size", buf, 1, UINT32_MAX, &lo);
  hi = lo;
  if (rc == 0 && dash != NULL) {
    rc = kcpc_args_num(err, "--size", dash + 1, 1, UINT32_MAX, &hi);
  }
  if (rc == 0 && lo > hi) {
    rc = kcpc_args_bad(err, "--size %s: MIN is larger than MAX", s);
  }
  if (rc == 0) {
    cfg->size_min = (uint32_t)lo;
    cfg->size_max = (uint32_t)hi;
  }
  return rc;
}

static int
kcpc_args_profile(FILE *err, const char *s, struct kcpc_config *cfg)
{
  const char *name;
  int i;

  for (i = 0; (name = ikcp_profile_name(i)) != NULL; i++) {
    if (strcmp(s, name) == 0) {
      cfg->profile = name;
      return 0;
    }
  }
  return kcpc_args_bad(err, "--profile: unknown profile '%s'", s);
}

static int
kcpc_args_cc(FILE *err, const char *s, struct kcpc_config *cfg)
{
  const struct IKCPOPS *ops = ikcp_cc_find(s);

  if (ops == NULL) {
    char ccs[128];
    return kcpc_args_bad(err, "--cc: unknown congestion control '%s' (%s)", s,
                         namelist_join(ikcp_cc_name, ccs, sizeof(ccs)));
  }
  cfg->cc = ops->name;
  return 0;
}

uint32_t
kcpc_msg_max(const struct kcpc_config *cfg)
{
  unsigned mtu = cfg->mtu < KCPC_ECHO_MTU ? cfg->mtu : KCPC_ECHO_MTU;

  if (cfg->tcp || cfg->stream) {
    return KCPC_STREAM_MSG_MAX;
  }
  return KCPC_KCP_MAX_FRAGMENTS * (mtu - IKCP_OVERHEAD);
}

enum {
  KCPC_OPT_BENCH = 256, KCPC_OPT_TCP, KCPC_OPT_COUNT, KCPC_OPT_SIZE, KCPC_OPT_INTERVAL,
  KCPC_OPT_DURATION, KCPC_OPT_CLIENTS, KCPC_OPT_SEED, KCPC_OPT_JSON, KCPC_OPT_RECONNECT,
  KCPC_OPT_MAXRECON, KCPC_OPT_CONV, KCPC_OPT_PROFILE, KCPC_OPT_WND, KCPC_OPT_MTU,
  KCPC_OPT_STREAM, KCPC_OPT_TIMEOUT, KCPC_OPT_SHA256, KCPC_OPT_VERSION, KCPC_OPT_CC,
  KCPC_OPT_CRYPT, KCPC_OPT_KEY, KCPC_OPT_DS, KCPC_OPT_PS
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
  { "sha256", no_argument, NULL, KCPC_OPT_SHA256 },
  { "reconnect", no_argument, NULL, KCPC_OPT_RECONNECT },
  { "max-reconnects", required_argument, NULL, KCPC_OPT_MAXRECON },
  { "conv", required_argument, NULL, KCPC_OPT_CONV },
  { "profile", required_argument, NULL, KCPC_OPT_PROFILE },
  { "cc", required_argument, NULL, KCPC_OPT_CC },
  { "wnd", required_argument, NULL, KCPC_OPT_WND },
  { "mtu", required_argument, NULL, KCPC_OPT_MTU },
  { "stream", no_argument, NULL, KCPC_OPT_STREAM },
  { "timeout", required_argument, NULL, KCPC_OPT_TIMEOUT },
  { "crypt", required_argument, NULL, KCPC_OPT_CRYPT },
  { "key", required_argument, NULL, KCPC_OPT_KEY },
  { "ds", required_argument, NULL, KCPC_OPT_DS },
  { "ps", required_argument, NULL, KCPC_OPT_PS },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, KCPC_OPT_VERSION },
  { NULL, 0, NULL, 0 }
};

/**
 * Explain an option getopt refused (its own messages are off, so that err
 * is the only output): '?' unknown or ambiguous, ':' value missing.
 */
static int
kcpc_args_getopt_bad(FILE *err, int opt, int argc, char **argv)
{
  const char *what = opt == ':' ? "needs a value" : "is unknown, ambiguous or takes no value";

  if (optopt > 0 && optopt < 256 && isprint(optopt)) {
    return kcpc_args_bad(err, "option '-%c' %s", optopt, what);
  }
  if (optind >= 1 && optind <= argc) {
    return kcpc_args_bad(err, "option '%s' %s", argv[optind - 1], what);
  }
  return kcpc_args_bad(err, "bad option");
}

/** Set the defaults every run starts from. */
static void
kcpc_args_defaults(struct kcpc_config *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->profile = "fast";
  cfg->cc = ikcp_cc_classic.name;
  cfg->wnd = KCPC_DEFAULT_WND;
  cfg->mtu = KCPC_DEFAULT_MTU;
  cfg->count = KCPC_DEFAULT_COUNT;
  cfg->size_min = cfg->size_max = KCPC_DEFAULT_SIZE;
  cfg->clients = 1;
  cfg->timeout_s = KCPC_DEFAULT_TIMEOUT;
  cfg->seed = 1;
  cfg->max_reconnects = KCPC_DEFAULT_RECONNECTS;
  cfg->crypt = KCPC_DEFAULT_CRYPT;
  cfg->key = KCPC_DEFAULT_KEY;
}

/** The codec options together: the shard pair and the room for headers. */
static int
kcpc_args_codec(FILE *err, const struct kcpc_config *cfg)
{
  struct kcp_codec_config cc;
  const char *why = NULL;
  unsigned overhead;

  cc.crypt = cfg->crypt;
  cc.key = cfg->key;
  cc.datashard = (int)cfg->ds;
  cc.parityshard = (int)cfg->ps;
  overhead = (unsigned)kcp_codec_config_overhead(&cc);
  if (kcp_codec_config_check(&cc, &why) != 0) {
    return kcpc_args_bad(err, "--ds %u --ps %u: %s", cfg->ds, cfg->ps, why);
  }
  if (cfg->mtu + overhead > KCP_CODEC_MTU_LIMIT) {
    return kcpc_args_bad(err, "--mtu %u: with the codec's %u header bytes it must be <= %u",
                         cfg->mtu, overhead, KCP_CODEC_MTU_LIMIT - overhead);
  }
  return 0;
}

/** The checks across options, once all are read. */
static int
kcpc_args_combined(FILE *err, struct kcpc_config *cfg, const char *bench_only,
                   const char *kcp_only, int count_set, int maxrecon_set)
{
  if (!cfg->bench && bench_only != NULL) {
    return kcpc_args_bad(err, "%s needs --bench", bench_only);
  }
  if (cfg->tcp && kcp_only != NULL) {
    return kcpc_args_bad(err, "%s is a KCP option, not for --tcp", kcp_only);
  }
  if (maxrecon_set && !cfg->reconnect) {
    return kcpc_args_bad(err, "--max-reconnects needs --reconnect");
  }
  if (cfg->sha256 && cfg->clients != 1) {
    return kcpc_args_bad(err, "--sha256 needs --clients 1 (one ordered stream of bytes)");
  }
  if (cfg->codec_on) {
    int rc = kcpc_args_codec(err, cfg);
    if (rc != 0) {
      return rc;
    }
  }
  if (cfg->duration_s && !count_set) {
    cfg->count = UINT64_MAX;
  }
  if (cfg->size_max > kcpc_msg_max(cfg)) {
    if (cfg->tcp || cfg->stream) {
      return kcpc_args_bad(err, "--size: messages are at most %u bytes", (unsigned)kcpc_msg_max(cfg));
    }
    return kcpc_args_bad(err, "--size: %u bytes is too large for one KCP message: at most %d "
                         "fragments of mss = mtu - %d, at our --mtu %u and at the server's "
                         "mtu %d that its echo uses, so at most %u bytes (--stream has no such limit)",
                         (unsigned)cfg->size_max, KCPC_KCP_MAX_FRAGMENTS, IKCP_OVERHEAD,
                         cfg->mtu, KCPC_ECHO_MTU, (unsigned)kcpc_msg_max(cfg));
  }
  return 0;
}

int
kcpc_args_parse(int argc, char **argv, struct kcpc_config *cfg,
                const char **host, unsigned *port, FILE *err)
{
  /* the last option given that only the benchmark, or only KCP, knows */
  const char *bench_only = NULL, *kcp_only = NULL;
  int count_set = 0, maxrecon_set = 0, opt, rc;
  uint64_t v;

  kcpc_args_defaults(cfg);
  *host = KCPC_DEFAULT_HOST;
  *port = 0;
  /* 0, not 1: glibc then also forgets where it was inside a group of short
   * options, so a previous parse cannot leak into this one. */
  optind = 0;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+:h", kcpc_options, NULL)) != -1) {
    rc = 0;
    switch (opt) {
    case KCPC_OPT_BENCH: cfg->bench = 1; break;
    case KCPC_OPT_TCP: cfg->tcp = 1; break;
    case KCPC_OPT_COUNT:
      rc = kcpc_args_num(err, "--count", optarg, 1, 1000000000000ull, &cfg->count);
      count_set = 1;
      bench_only = "--count";
      break;
    case KCPC_OPT_SIZE: rc = kcpc_args_size(err, optarg, cfg); bench_only = "--size"; break;
    case KCPC_OPT_INTERVAL:
      rc = kcpc_args_uint(err, "--interval", optarg, 0, 3600000, &cfg->interval_ms);
      bench_only = "--interval";
      break;
    case KCPC_OPT_DURATION:
      rc = kcpc_args_uint(err, "--duration", optarg, 1, 86400, &cfg->duration_s);
      bench_only = "--duration";
      break;
    case KCPC_OPT_CLIENTS:
      rc = kcpc_args_uint(err, "--clients", optarg, 1, KCPC_CLIENTS_MAX, &cfg->clients);
      bench_only = "--clients";
      break;
    case KCPC_OPT_SEED:
      rc = kcpc_args_num(err, "--seed", optarg, 0, UINT64_MAX, &cfg->seed);
      bench_only = "--seed";
      break;
    case KCPC_OPT_JSON: cfg->json = 1; bench_only = "--json"; break;
    case KCPC_OPT_SHA256: cfg->sha256 = 1; bench_only = "--sha256"; break;
    case KCPC_OPT_RECONNECT: cfg->reconnect = 1; bench_only = "--reconnect"; break;
    case KCPC_OPT_MAXRECON:
      rc = kcpc_args_uint(err, "--max-reconnects", optarg, 1, 1000, &cfg->max_reconnects);
      maxrecon_set = 1;
      break;
    case KCPC_OPT_CONV:
      rc = kcpc_args_num(err, "--conv", optarg, 0, UINT32_MAX, &v);
      cfg->conv = (uint32_t)v;
      cfg->conv_set = 1;
      kcp_only = "--conv";
      break;
    case KCPC_OPT_PROFILE: rc = kcpc_args_profile(err, optarg, cfg); kcp_only = "--profile"; break;
    case KCPC_OPT_CC: rc = kcpc_args_cc(err, optarg, cfg); kcp_only = "--cc"; break;
    case KCPC_OPT_WND: rc = kcpc_args_uint(err, "--wnd", optarg, 1, 32768, &cfg->wnd); break;
    case KCPC_OPT_MTU: rc = kcpc_args_uint(err, "--mtu", optarg, 50, 1500, &cfg->mtu); break;
    case KCPC_OPT_STREAM: cfg->stream = 1; kcp_only = "--stream"; break;
    case KCPC_OPT_TIMEOUT: rc = kcpc_args_uint(err, "--timeout", optarg, 1, 3600, &cfg->timeout_s); break;
    case KCPC_OPT_CRYPT:
      if (!kcp_crypt_valid_name(optarg)) {
        return kcpc_args_bad(err, "--crypt: unknown cipher '%s'", optarg);
      }
      cfg->crypt = optarg;
      cfg->codec_on = 1;
      kcp_only = "--crypt";
      break;
    case KCPC_OPT_KEY: cfg->key = optarg; cfg->codec_on = 1; kcp_only = "--key"; break;
    case KCPC_OPT_DS:
      rc = kcpc_args_uint(err, "--ds", optarg, 0, KCP_FEC_MAX_SHARDS - 1, &cfg->ds);
      cfg->codec_on = 1;
      kcp_only = "--ds";
      break;
    case KCPC_OPT_PS:
      rc = kcpc_args_uint(err, "--ps", optarg, 0, KCP_FEC_MAX_SHARDS - 1, &cfg->ps);
      cfg->codec_on = 1;
      kcp_only = "--ps";
      break;
    case 'h': cfg->help = 1; return 0;
    case KCPC_OPT_VERSION: cfg->version = 1; return 0;
    default: return kcpc_args_getopt_bad(err, opt, argc, argv);
    }
    if (rc != 0) {
      return rc;
    }
  }
  rc = kcpc_args_combined(err, cfg, bench_only, kcp_only, count_set, maxrecon_set);
  if (rc != 0) {
    return rc;
  }
  if (optind < argc) {
    *host = argv[optind++];
  }
  if (optind < argc) {
    rc = kcpc_args_uint(err, "PORT", argv[optind++], 1, 65535, port);
    if (rc != 0) {
      return rc;
    }
  }
  if (optind < argc) {
    return kcpc_args_bad(err, "unexpected argument '%s'", argv[optind]);
  }
  if (*port == 0) {
    *port = cfg->tcp ? KCPC_DEFAULT_TCP_PORT : KCPC_DEFAULT_PORT;
  }
  return 0;
}
