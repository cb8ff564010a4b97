/**
 * @file
 * Bulk transfer through the engine on the simulated link, to be counted
 * with callgrind (bench/engine-bench.sh): instructions are a cost measure
 * that does not depend on the machine or on what else it is running.
 *
 * bulk_transfer() moves TOTAL bytes in 1 KB messages from side 0 to side 1
 * over a 20 ms one-way link with the given loss in both directions (ACKs are
 * lost too), fast mode (nodelay 2,10,2,1, rx_minrto 10), both windows W. The
 * sender keeps at most 2*W segments waiting so memory stays bounded.
 *
 * bulk_baseline() is what a plain two-copy implementation needs at least:
 * every 1 KB message copied from the application into a buffer and from the
 * buffer into the receiver's memory, nothing else. Run under callgrind with
 * --toggle-collect on one of the two functions, so only that work is counted.
 *
 * Usage: engine_bulk [--baseline] [-t TOTAL] [-w WINDOW] [-l LOSS_PCT] [-s SEED]
 * Prints one line: key=value results of the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikcp.h"
#include "linksim.h"

#define BULK_MSG     1024
#define BULK_DELAY   20
#define BULK_LIMIT_MS (3600u * 1000u)

/** What a bulk run did, for the line the script parses. */
struct bulk_result {
  IUINT32 delivered;
  IUINT32 errors;
  uint64_t ms;
  uint64_t datagrams;
  IKCPSTATS snd;
};

static unsigned char bulk_src[BULK_MSG];
static unsigned char bulk_dst[BULK_MSG * 2];

static void
bulk_tag(unsigned char *p, IUINT32 v)
{
  memcpy(p, &v, sizeof(v));
}

static IUINT32
bulk_untag(const unsigned char *p)
{
  IUINT32 v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/** The measured transfer: everything between the first send and the last read. */
void bulk_transfer(struct linksim *sim, IUINT32 nmsg, int window, struct bulk_result *res);

void
bulk_transfer(struct linksim *sim, IUINT32 nmsg, int window, struct bulk_result *res)
{
  ikcpcb *a = linksim_kcp(sim, 0);
  ikcpcb *b = linksim_kcp(sim, 1);
  IUINT32 sent = 0;
  int n;

  while (res->delivered < nmsg && linksim_elapsed(sim) < BULK_LIMIT_MS) {
    while (sent < nmsg && ikcp_waitsnd(a) < 2 * window) {
      bulk_tag(bulk_src, sent);
      if (ikcp_send(a, (const char *)bulk_src, BULK_MSG) < 0) {
        break;
      }
      sent++;
    }
    linksim_step(sim, 1000);
    while ((n = ikcp_recv(b, (char *)bulk_dst, (int)sizeof(bulk_dst))) >= 0) {
      if (n != BULK_MSG || bulk_untag(bulk_dst) != res->delivered) {
        res->errors++;
      }
      res->delivered++;
    }
  }
}

/** The two-copy lower bound: application -> buffer -> application. */
void bulk_baseline(IUINT32 nmsg, struct bulk_result *res);

void
bulk_baseline(IUINT32 nmsg, struct bulk_result *res)
{
  static unsigned char wire[BULK_MSG];
  IUINT32 i;

  for (i = 0; i < nmsg; i++) {
    bulk_tag(bulk_src, i);
    memcpy(wire, bulk_src, BULK_MSG);
    memcpy(bulk_dst, wire, BULK_MSG);
    if (bulk_untag(bulk_dst) != res->delivered) {
      res->errors++;
    }
    res->delivered++;
  }
}

static void
bulk_usage(const char *argv0)
{
  fprintf(stderr, "usage: %s [--baseline] [-t TOTAL_BYTES] [-w WINDOW] [-l LOSS_PCT] [-s SEED]\n",
          argv0);
  exit(2);
}

int
main(int argc, char **argv)
{
  long total = 20L * 1024 * 1024;
  long window = 128, loss = 0, seed = 1;
  int baseline = 0, i;
  struct bulk_result res;
  IUINT32 nmsg;

  for (i = 1; i < argc; i++) {
    char *end = NULL;
    long *dst = NULL;
    if (strcmp(argv[i], "--baseline") == 0) {
      baseline = 1;
      continue;
    }
    if (i + 1 >= argc) {
      bulk_usage(argv[0]);
    }
    if (strcmp(argv[i], "-t") == 0) {
      dst = &total;
    } else if (strcmp(argv[i], "-w") == 0) {
      dst = &window;
    } else if (strcmp(argv[i], "-l") == 0) {
      dst = &loss;
    } else if (strcmp(argv[i], "-s") == 0) {
      dst = &seed;
    } else {
      bulk_usage(argv[0]);
    }
    *dst = strtol(argv[++i], &end, 10);
    if (*end != '\0') {
      bulk_usage(argv[0]);
    }
  }
  if (total < BULK_MSG || total > (1L << 31) || window < 1 || window > 65536 || loss < 0 ||
      loss > 99 || seed < 0) {
    bulk_usage(argv[0]);
  }
  nmsg = (IUINT32)(total / BULK_MSG);
  memset(&res, 0, sizeof(res));
  if (baseline) {
    bulk_baseline(nmsg, &res);
  } else {
    struct linksim *sim = linksim_new((uint64_t)seed, 0x20212223, 1000);
    struct linksim_dir_cfg cfg;
    if (sim == NULL) {
      fprintf(stderr, "out of memory\n");
      return 1;
    }
    linksim_default_dir(&cfg);
    cfg.loss_ppm = (uint32_t)loss * 10000u;
    cfg.delay_min = BULK_DELAY;
    cfg.delay_max = BULK_DELAY;
    cfg.max_inflight = (uint32_t)(4 * window + 1024);
    for (i = 0; i < 2; i++) {
      ikcpcb *k = linksim_kcp(sim, i);
      linksim_set_dir(sim, i, &cfg);
      ikcp_wndsize(k, (int)window, (int)window);
      ikcp_nodelay(k, 2, 10, 2, 1);
      k->rx_minrto = 10;
    }
    bulk_transfer(sim, nmsg, (int)window, &res);
    res.ms = linksim_elapsed(sim);
    res.datagrams = linksim_dir_stats(sim, 0)->sent + linksim_dir_stats(sim, 1)->sent;
    ikcp_getstats(linksim_kcp(sim, 0), &res.snd);
    linksim_free(sim);
  }
  printf("messages=%u delivered=%u errors=%u sim_ms=%llu datagrams=%llu "
         "retrans_timeout=%llu retrans_fast=%llu\n",
         nmsg, res.delivered, res.errors, (unsigned long long)res.ms,
         (unsigned long long)res.datagrams, (unsigned long long)res.snd.retrans_timeout,
         (unsigned long long)res.snd.retrans_fast);
  return res.delivered == nmsg && res.errors == 0 ? 0 : 1;
}
