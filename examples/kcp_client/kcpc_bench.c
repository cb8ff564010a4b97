/**
 * @file
 * The benchmark: --clients sessions in one thread and one poll() set, each
 * sending its own numbered messages and checking every echo byte for byte.
 *
 * Each client keeps three counters over its message numbers:
 * next_echo <= replay <= next_send. Messages below next_echo are done;
 * [next_echo, replay) are on the current link awaiting their echo;
 * [replay, next_send) were sent on a link that died and still have to be sent
 * again on its replacement (--reconnect). Contents are regenerated from the
 * message number (kcpc_payload), so nothing is copied or kept per message but
 * its send time, in a ring as long as the most messages allowed in flight.
 *
 * With --sha256 (one client) every new message is hashed as it is first sent
 * and every echo byte as it is matched to its message; a reconnect rolls the
 * echo hash back to the last whole echo, since the new link starts the
 * unfinished message again.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "kcp_client.h"
#include "kcpc_clock.h"
#include "kcpc_link.h"
#include "kcpc_payload.h"
#include "kcpc_stats.h"

/** Most messages a client has sent and not seen echoed. */
#define KCPC_BENCH_RING 4096u
/** Progress line refresh period on a terminal. */
#define KCPC_BENCH_PROGRESS_US 250000u
/** Bad echoes described on stderr before going quiet. */
#define KCPC_BENCH_ERRORS_SHOWN 5

struct kcpc_client {
  unsigned id;
  struct kcpc_link *link;  /**< NULL once finished */
  uint32_t conv;           /**< conv of the current link */
  unsigned reconnects;
  uint64_t next_send;      /**< number of the next new message */
  uint64_t replay;         /**< next message to send again on a new link */
  uint64_t next_echo;      /**< oldest message not yet echoed */
  uint32_t rx_off;         /**< stream: bytes of next_echo already checked */
  int rx_bad;              /**< stream: next_echo already differs */
  int refused;             /**< the link refused a message it said it had room for */
  uint64_t due_us;         /**< --interval: earliest time of the next new message */
  uint64_t wait_us;        /**< since when an answer is awaited */
  uint64_t sent_us[KCPC_BENCH_RING]; /**< send time of message n at n % RING */
  uint64_t bytes;          /**< payload bytes of its verified echoes */
};

struct kcpc_bench {
  const struct kcpc_config *cfg;
  struct kcpc_client *cl;
  struct pollfd *pfd;
  struct kcpc_stats st;
  uint8_t *txbuf, *rxbuf;
  size_t rxcap;
  uint64_t start_us, stop_us;  /**< stop_us: --duration ends new messages */
  unsigned active;
  int progress;
  unsigned errors_shown;
  mbedtls_sha256_context sha_sent;    /**< --sha256: every new message, in order */
  mbedtls_sha256_context sha_echoed;  /**< --sha256: every echo byte matched to its message */
  mbedtls_sha256_context sha_whole;   /**< sha_echoed as it was after the last whole echo */
};

/* --sha256 through mbedTLS. Its software SHA-256 fails only on bad
   arguments, so the _ret codes carry nothing to act on here. */
static void
kcpc_bench_sha256_start(mbedtls_sha256_context *ctx)
{
  mbedtls_sha256_init(ctx);
  (void)mbedtls_sha256_starts_ret(ctx, 0);
}

static void
kcpc_bench_sha256_update(mbedtls_sha256_context *ctx, const void *data, size_t len)
{
  (void)mbedtls_sha256_update_ret(ctx, (const unsigned char *)data, len);
}

/** The digest of what @p ctx hashed so far, as lowercase hex; it is
    finished on a copy, so @p ctx goes on as it was. */
static void
kcpc_bench_sha256_hex(const mbedtls_sha256_context *ctx, char hex[KCPC_SHA256_HEX_LEN])
{
  mbedtls_sha256_context done;
  unsigned char digest[32];
  size_t i;

  mbedtls_sha256_init(&done);
  mbedtls_sha256_clone(&done, ctx);
  (void)mbedtls_sha256_finish_ret(&done, digest);
  mbedtls_sha256_free(&done);
  for (i = 0; i < sizeof(digest); i++) {
    snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  }
}

static uint32_t
kcpc_bench_size(const struct kcpc_bench *b, const struct kcpc_client *c, uint64_t idx)
{
  uint64_t key = kcpc_payload_key(b->cfg->seed, c->id, idx);
  return kcpc_payload_size(key, b->cfg->size_min, b->cfg->size_max);
}

/** Generate message idx into txbuf and queue it; its size, 0 on refusal. */
static uint32_t
kcpc_bench_emit(struct kcpc_bench *b, struct kcpc_client *c, uint64_t idx)
{
  uint64_t key = kcpc_payload_key(b->cfg->seed, c->id, idx);
  uint32_t size = kcpc_payload_size(key, b->cfg->size_min, b->cfg->size_max);

  if (!kcpc_link_can_send(c->link, size)) {
    return 0;
  }
  kcpc_payload_fill(key, 0, b->txbuf, size);
  if (kcpc_link_send(c->link, b->txbuf, size) < 0) {
    b->st.errors++;
    c->refused = 1;
    return 0;
  }
  return size;
}

static void
kcpc_bench_bad_echo(struct kcpc_bench *b, const struct kcpc_client *c, uint64_t idx, const char *what)
{
  b->st.errors++;
  if (b->errors_shown < KCPC_BENCH_ERRORS_SHOWN) {
    b->errors_shown++;
    fprintf(stderr, "kcp_client: client %u: echo of message %" PRIu64 " %s\n", c->id, idx, what);
  }
}

/** The echo of message next_echo is complete. */
static void
kcpc_bench_echoed(struct kcpc_bench *b, struct kcpc_client *c, uint32_t size, int good, uint64_t now_us)
{
  b->st.echoed++;
  if (b->cfg->sha256) {
    mbedtls_sha256_clone(&b->sha_whole, &b->sha_echoed);
  }
  if (good) {
    b->st.verified++;
    b->st.bytes += size;
    c->bytes += size;
    kcpc_stats_rtt(&b->st, now_us - c->sent_us[c->next_echo % KCPC_BENCH_RING]);
  } else {
    kcpc_bench_bad_echo(b, c, c->next_echo, "differs from the message");
  }
  c->next_echo++;
  c->rx_off = 0;
  c->rx_bad = 0;
}

/** Check n received bytes of a byte stream against the messages in order. */
static void
kcpc_bench_stream(struct kcpc_bench *b, struct kcpc_client *c, const uint8_t *p, size_t n, uint64_t now_us)
{
  while (n > 0) {
    uint64_t key;
    uint32_t size, k;

    if (c->next_echo >= c->replay) {
      kcpc_bench_bad_echo(b, c, c->next_echo, "arrived before the message was sent");
      return;
    }
    key = kcpc_payload_key(b->cfg->seed, c->id, c->next_echo);
    size = kcpc_payload_size(key, b->cfg->size_min, b->cfg->size_max);
    k = size - c->rx_off;
    if (k > n) {
      k = (uint32_t)n;
    }
    if (!kcpc_payload_check(key, c->rx_off, p, k)) {
      c->rx_bad = 1;
    }
    if (b->cfg->sha256) {
      kcpc_bench_sha256_update(&b->sha_echoed, p, k);
    }
    c->rx_off += k;
    p += k;
    n -= k;
    if (c->rx_off == size) {
      kcpc_bench_echoed(b, c, size, !c->rx_bad, now_us);
    }
  }
}

/** Take every echo the link has ready. */
static void
kcpc_bench_receive(struct kcpc_bench *b, struct kcpc_client *c, uint64_t now_us)
{
  size_t n;

  while ((n = kcpc_link_recv(c->link, b->rxbuf, b->rxcap)) > 0) {
    c->wait_us = now_us;
    if (!kcpc_link_is_message(c->link)) {
      kcpc_bench_stream(b, c, b->rxbuf, n, now_us);
    } else if (c->next_echo >= c->replay) {
      kcpc_bench_bad_echo(b, c, c->next_echo, "arrived before the message was sent");
    } else {
      uint64_t key = kcpc_payload_key(b->cfg->seed, c->id, c->next_echo);
      uint32_t size = kcpc_payload_size(key, b->cfg->size_min, b->cfg->size_max);
      int good = n == size && kcpc_payload_check(key, 0, b->rxbuf, size);
      if (b->cfg->sha256) {
        kcpc_bench_sha256_update(&b->sha_echoed, b->rxbuf, n);
      }
      kcpc_bench_echoed(b, c, size, good, now_us);
    }
  }
}

/** Whether the client may start a new message (apart from the link's window). */
static int
kcpc_bench_may_start(const struct kcpc_bench *b, const struct kcpc_client *c, uint64_t now_us)
{
  return c->replay == c->next_send && c->next_send < b->cfg->count && now_us < b->stop_us &&
         c->next_send - c->next_echo < KCPC_BENCH_RING;
}

/** Resend what a dead link lost, then start new messages as the window and --interval allow. */
static void
kcpc_bench_send(struct kcpc_bench *b, struct kcpc_client *c, uint64_t now_us)
{
  uint64_t interval_us = (uint64_t)b->cfg->interval_ms * 1000u;

  while (c->replay < c->next_send) {
    if (kcpc_bench_emit(b, c, c->replay) == 0) {
      return;
    }
    c->replay++;
    b->st.resends++;
  }
  while (kcpc_bench_may_start(b, c, now_us) && now_us >= c->due_us) {
    uint32_t size = kcpc_bench_emit(b, c, c->next_send);
    if (size == 0) {
      return;
    }
    if (b->cfg->sha256) {
      kcpc_bench_sha256_update(&b->sha_sent, b->txbuf, size);
    }
    if (c->next_echo == c->next_send) {
      c->wait_us = now_us;
    }
    c->sent_us[c->next_send % KCPC_BENCH_RING] = now_us;
    c->next_send++;
    c->replay = c->next_send;
    b->st.sent++;
    /* Keep the schedule, but after a stall of over a second (a full
     * window, a reconnect) start afresh instead of bursting to catch up. */
    c->due_us += interval_us;
    if (c->due_us + 1000000u < now_us) {
      c->due_us = now_us;
    }
  }
}

static void
kcpc_bench_finish(struct kcpc_bench *b, struct kcpc_client *c)
{
  kcpc_link_close(c->link, &b->st.link);
  c->link = NULL;
  b->active--;
}

/** A session died: replace it (--reconnect) or give the client up. */
static void
kcpc_bench_dead(struct kcpc_bench *b, struct kcpc_client *c, const char *why, uint64_t now_us)
{
  const struct kcpc_config *cfg = b->cfg;
  int retry = cfg->reconnect && c->reconnects < cfg->max_reconnects;

  char conv[32] = "tcp";

  if (!cfg->tcp) {
    snprintf(conv, sizeof(conv), "conv %#" PRIx32, c->conv);
  }
  fprintf(stderr, "%skcp_client: client %u (%s): %s%s\n", b->progress ? "\r\033[K" : "",
          c->id, conv, why, retry ? ", reconnecting" : "");
  kcpc_link_close(c->link, &b->st.link);
  c->link = NULL;
  if (retry) {
    c->reconnects++;
    c->conv = cfg->conv + c->id + KCPC_CLIENTS_MAX * c->reconnects;
    c->link = kcpc_link_open(cfg, c->conv, now_us);
  }
  if (c->link == NULL) {
    b->st.dead++;
    b->st.lost += c->next_send - c->next_echo;
    b->active--;
    return;
  }
  b->st.reconnects++;
  mbedtls_sha256_clone(&b->sha_echoed, &b->sha_whole);
  c->replay = c->next_echo;
  c->rx_off = 0;
  c->rx_bad = 0;
  c->wait_us = now_us;
}

/** Since when the client has been waiting for the server, or UINT64_MAX if it is not. */
static uint64_t
kcpc_bench_waiting_since(const struct kcpc_client *c)
{
  uint64_t rx = kcpc_link_last_rx(c->link);

  if (c->next_echo == c->next_send) {
    return UINT64_MAX;
  }
  return rx > c->wait_us ? rx : c->wait_us;
}

/** One client's turn after poll(): read, write, check health. */
static void
kcpc_bench_step(struct kcpc_bench *b, struct kcpc_client *c, short revents, uint64_t now_us)
{
  uint64_t timeout_us = (uint64_t)b->cfg->timeout_s * 1000000u;
  uint64_t since;

  kcpc_link_service(c->link, revents, now_us);
  kcpc_bench_receive(b, c, now_us);
  kcpc_bench_send(b, c, now_us);
  kcpc_link_pump(c->link, now_us);

  if ((c->next_send >= b->cfg->count || now_us >= b->stop_us) && c->next_echo == c->next_send) {
    kcpc_bench_finish(b, c);
    return;
  }
  if (c->refused) {
    c->refused = 0;
    kcpc_bench_dead(b, c, "the link refused a message (out of memory?)", now_us);
    return;
  }
  if (kcpc_link_dead(c->link)) {
    kcpc_bench_dead(b, c, b->cfg->tcp ? "connection lost" : "dead link (a segment was sent dead_link times)", now_us);
    return;
  }
  since = kcpc_bench_waiting_since(c);
  if (since < now_us && now_us - since >= timeout_us) {
    char why[64];
    snprintf(why, sizeof(why), "no answer for %u s", b->cfg->timeout_s);
    kcpc_bench_dead(b, c, why, now_us);
  }
}

/** The earliest time any client needs a turn without a poll event. */
static uint64_t
kcpc_bench_wake(const struct kcpc_bench *b, uint64_t now_us)
{
  uint64_t timeout_us = (uint64_t)b->cfg->timeout_s * 1000000u;
  uint64_t wake = UINT64_MAX;
  unsigned i;

  for (i = 0; i < b->cfg->clients; i++) {
    const struct kcpc_client *c = &b->cl[i];
    uint64_t t, since;
    if (c->link == NULL) {
      continue;
    }
    t = kcpc_link_deadline(c->link, now_us);
    wake = t < wake ? t : wake;
    since = kcpc_bench_waiting_since(c);
    if (since != UINT64_MAX && since + timeout_us < wake) {
      wake = since + timeout_us;
    }
    if (c->due_us < wake && kcpc_bench_may_start(b, c, now_us) &&
        kcpc_link_can_send(c->link, kcpc_bench_size(b, c, c->next_send))) {
      wake = c->due_us;
    }
  }
  if (b->stop_us > now_us && b->stop_us < wake) {
    wake = b->stop_us;
  }
  return wake;
}

/** Poll every live link once, then give every live client its turn. */
static void
kcpc_bench_round(struct kcpc_bench *b)
{
  uint64_t now_us = kcpc_now_us();
  uint64_t wake = kcpc_bench_wake(b, now_us);
  unsigned i;

  if (b->progress) {
    uint64_t tick = now_us + KCPC_BENCH_PROGRESS_US;
    wake = tick < wake ? tick : wake;
  }
  for (i = 0; i < b->cfg->clients; i++) {
    struct kcpc_client *c = &b->cl[i];
    b->pfd[i].fd = c->link ? kcpc_link_fd(c->link) : -1;
    b->pfd[i].events = c->link ? kcpc_link_events(c->link) : 0;
    b->pfd[i].revents = 0;
  }
  if (kcpc_link_poll(b->pfd, b->cfg->clients, now_us, wake) < 0 && errno != EINTR) {
    fprintf(stderr, "kcp_client: poll: %s\n", strerror(errno));
    exit(KCPC_EXIT_FAIL);
  }
  now_us = kcpc_now_us();
  for (i = 0; i < b->cfg->clients; i++) {
    if (b->cl[i].link != NULL) {
      kcpc_bench_step(b, &b->cl[i], b->pfd[i].revents, now_us);
    }
  }
}

/** Set by SIGINT/SIGTERM: stop, and report what was done so far. */
static volatile sig_atomic_t kcpc_bench_stop;

static void
kcpc_bench_on_signal(int sig)
{
  (void)sig;
  kcpc_bench_stop = 1;
}

/** Let SIGINT and SIGTERM end the run with a report instead of killing it. */
static void
kcpc_bench_signals(void)
{
  struct sigaction sa;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = kcpc_bench_on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/** Allow a descriptor per client (the soft limit is often 1024). */
static void
kcpc_bench_fd_limit(unsigned clients)
{
  struct rlimit rl;
  rlim_t need = (rlim_t)clients + 16u;

  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
    rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int
kcpc_bench_run(const struct kcpc_config *cfg)
{
  struct kcpc_bench b;
  uint64_t last_progress = 0;
  double duration;
  unsigned i;
  int ok;

  memset(&b, 0, sizeof(b));
  b.cfg = cfg;
  b.rxcap = kcpc_link_recv_max(cfg);
  b.cl = calloc(cfg->clients, sizeof(*b.cl));
  b.pfd = calloc(cfg->clients, sizeof(*b.pfd));
  b.txbuf = malloc(cfg->size_max);
  b.rxbuf = malloc(b.rxcap);
  if (b.cl == NULL || b.pfd == NULL || b.txbuf == NULL || b.rxbuf == NULL) {
    fprintf(stderr, "kcp_client: out of memory\n");
    return KCPC_EXIT_FAIL;
  }
  kcpc_stats_init(&b.st, cfg->seed);
  kcpc_bench_sha256_start(&b.sha_sent);
  kcpc_bench_sha256_start(&b.sha_echoed);
  kcpc_bench_sha256_start(&b.sha_whole);
  kcpc_bench_fd_limit(cfg->clients);
  kcpc_bench_signals();
  b.progress = isatty(STDERR_FILENO);

  for (i = 0; i < cfg->clients; i++) {
    struct kcpc_client *c = &b.cl[i];
    c->id = i;
    c->conv = cfg->conv + i;
    c->link = kcpc_link_open(cfg, c->conv, kcpc_now_us());
    if (c->link == NULL) {
      b.st.dead++;
      continue;
    }
    b.active++;
  }
  /* The clock starts once every session exists: opening 1000 sockets is not
   * part of the run, and would make --interval start with a burst. */
  b.start_us = kcpc_now_us();
  b.stop_us = cfg->duration_s ? b.start_us + (uint64_t)cfg->duration_s * 1000000u : UINT64_MAX;
  for (i = 0; i < cfg->clients; i++) {
    b.cl[i].due_us = b.start_us;
  }
  while (b.active > 0 && !kcpc_bench_stop) {
    kcpc_bench_round(&b);
    if (b.progress) {
      uint64_t now_us = kcpc_now_us();
      if (now_us - last_progress >= KCPC_BENCH_PROGRESS_US) {
        last_progress = now_us;
        kcpc_stats_progress(&b.st, (now_us - b.start_us) / 1e6, stderr);
      }
    }
  }
  for (i = 0; i < cfg->clients; i++) {
    struct kcpc_client *c = &b.cl[i];
    if (c->link != NULL) {
      b.st.interrupted = 1;
      b.st.lost += c->next_send - c->next_echo;
      kcpc_bench_finish(&b, c);
    }
  }
  duration = (kcpc_now_us() - b.start_us) / 1e6;
  if (b.progress) {
    fputs("\r\033[K", stderr);
  }
  kcpc_bench_sha256_hex(&b.sha_sent, b.st.sha256_sent);
  kcpc_bench_sha256_hex(&b.sha_echoed, b.st.sha256_echoed);
  {
    uint64_t *bytes = calloc(cfg->clients, sizeof(*bytes));
    if (bytes != NULL) {
      for (i = 0; i < cfg->clients; i++) {
        bytes[i] = b.cl[i].bytes;
      }
      kcpc_stats_sessions(&b.st, bytes, cfg->clients, duration);
      free(bytes);
    }
  }
  kcpc_stats_report(&b.st, cfg, duration, cfg->json, stdout);
  fflush(stdout);
  ok = !b.st.interrupted && b.st.dead == 0 && b.st.errors == 0 &&
       b.st.verified == b.st.sent && b.st.sent > 0;

  kcpc_stats_free(&b.st);
  mbedtls_sha256_free(&b.sha_sent);
  mbedtls_sha256_free(&b.sha_echoed);
  mbedtls_sha256_free(&b.sha_whole);
  free(b.cl);
  free(b.pfd);
  free(b.txbuf);
  free(b.rxbuf);
  return ok ? 0 : KCPC_EXIT_FAIL;
}
