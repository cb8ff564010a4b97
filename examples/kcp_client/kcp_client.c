/**
 * @file
 * kcp_client: entry point of the host-side client of the kcpecho service.
 * The command line is parsed by kcpc_args.c (a bad one exits 2 with a
 * one-line error); here the server is resolved and the chosen mode started.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "kcp_client.h"
#include "kcpc_args.h"
#include "kcp_codec.h"
#include "kcplwip_version.h"

/** Resolve HOST and PORT into cfg->addr; a name that does not resolve is a bad value. */
static int
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
    return KCPC_EXIT_USAGE;
  }
  memcpy(&cfg->addr, res->ai_addr, res->ai_addrlen);
  cfg->addrlen = res->ai_addrlen;
  freeaddrinfo(res);
  if (cfg->addr.ss_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&cfg->addr;

    if ((IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&a6->sin6_addr)) &&
        a6->sin6_scope_id == 0) {
      fprintf(stderr, "kcp_client: %s: a link-local address needs the interface it is on, "
              "e.g. %s%%tap0\n", host, host);
      return KCPC_EXIT_USAGE;
    }
  }
  /* an IPv6 endpoint is written [addr]:port, so that the port stands apart */
  snprintf(cfg->peer, sizeof(cfg->peer), strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host, port);
  return 0;
}

/** Without --conv, a random conv: an off-path spoofer then has to guess 32
 *  more bits than the port to inject into our session. */
static int
kcpc_random_conv(struct kcpc_config *cfg)
{
  if (cfg->conv_set) {
    return 0;
  }
  if (getrandom(&cfg->conv, sizeof(cfg->conv), 0) != (ssize_t)sizeof(cfg->conv)) {
    fprintf(stderr, "kcp_client: getrandom: %s\n", strerror(errno));
    return KCPC_EXIT_FAIL;
  }
  return 0;
}

int
main(int argc, char **argv)
{
  struct kcpc_config cfg;
  const char *host;
  unsigned port;
  int rc;

  rc = kcpc_args_parse(argc, argv, &cfg, &host, &port, stderr);
  if (rc != 0) {
    return rc;
  }
  if (cfg.help) {
    kcpc_args_usage(stdout);
    return 0;
  }
  if (cfg.version) {
    printf("kcp_client (kcp-lwip) %s\n", KCPLWIP_VERSION);
    return 0;
  }
  rc = kcpc_resolve(&cfg, host, port);
  if (rc == 0) {
    rc = kcpc_random_conv(&cfg);
  }
  if (rc != 0) {
    return rc;
  }
  if (cfg.codec_on) {
    struct kcp_codec_config cc;
    cc.crypt = cfg.crypt;
    cc.key = cfg.key;
    cc.datashard = (int)cfg.ds;
    cc.parityshard = (int)cfg.ps;
    cfg.codec = kcp_codec_new(&cc);
    if (cfg.codec == NULL) {
      fprintf(stderr, "kcp_client: cannot set up the codec (%s)\n", strerror(errno));
      return KCPC_EXIT_FAIL;
    }
  }
  rc = cfg.bench ? kcpc_bench_run(&cfg) : kcpc_interactive_run(&cfg);
  if (cfg.codec != NULL) {
    struct kcp_codec_stats cs;
    kcp_codec_stats_get(cfg.codec, &cs);
    fprintf(stderr, "codec      %s, opened %u, dropped %u (crc %u, short %u), "
            "fec parity out %u in %u, recovered %u\n", cfg.crypt, (unsigned)cs.opened,
            (unsigned)(cs.crc_err + cs.short_in), (unsigned)cs.crc_err, (unsigned)cs.short_in,
            (unsigned)cs.fec_parity_out, (unsigned)cs.fec_parity_in, (unsigned)cs.fec_recovered);
  }
  kcp_codec_free(cfg.codec);
  return rc;
}
