/**
 * @file
 * ikcp_peer: an echo server and a verifying client built on OUR KCP engine
 * (kcp/ikcp.c) over plain POSIX UDP, the counterpart of kcpgo_peer.
 *
 *   ikcp_peer server PORT [options]        echo every message, any conv
 *   ikcp_peer client HOST PORT [options]   send a workload, verify the echo
 *
 * It exists so that the engine's interop with kcp-go is tested on its own:
 * neither lwIP nor the product's client is involved, so a failure here is
 * the engine's. The server prints "listening ADDR:PORT" once bound (PORT 0
 * picks a free one) so scripts never guess ports. The client exits 0 only
 * when every byte came back unchanged and in order; 1 on any failure, 2 on
 * bad arguments.
 */

#include "ikcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEER_EXIT_FAIL   1
#define PEER_EXIT_USAGE  2

/** Sessions the server keeps at once; the least recently heard is evicted. */
#define PEER_MAX_SESSIONS 16
/** Larger than any datagram, so an oversized one reaches the engine whole. */
#define PEER_DGRAM_MAX   65536
/** Socket buffers that hold a full window: loss here would test recovery,
 * not compatibility. */
#define PEER_SOCKBUF     (4 * 1024 * 1024)
/** Largest message the client sends; bounds its buffers. */
#define PEER_MAX_SIZE    (1024 * 1024)
/** Largest window accepted, so rcvwnd * mss buffers stay small. */
#define PEER_MAX_WND     1024
/** The engine never receives with a window below this (the largest
 * fragment count), whatever --wnd asks. */
#define PEER_MIN_RCV_WND 128
/** Never wait longer than this between engine updates. */
#define PEER_MAX_WAIT_MS 50

/** The four ikcp_nodelay arguments of a named profile (kcptun's names). */
struct peer_profile {
  const char *name;
  int nodelay, interval, resend, nc;
};

static const struct peer_profile peer_profiles[] = {
  { "default", 0, 100, 0, 0 },
  { "normal",  0, 40,  2, 1 },
  { "fast",    0, 30,  2, 1 },
  { "fast2",   1, 20,  2, 1 },
  { "fast3",   1, 10,  2, 1 },
};

struct peer_options {
  int stream;
  int exact;
  int quiet;
  long count;
  long min_size;
  long max_size;
  int conv_set;
  IUINT32 conv;
  struct peer_profile prof;
  long sndwnd;
  long rcvwnd;
  long mtu;
  long timeout_s;
  long idle_s;
  unsigned long long seed;
  const char *bind_addr;
  long loss;
  long stall_ms;
};

/** A splitmix64 stream. The client regenerates what it sent instead of
 * keeping it, so memory does not grow with the workload; --loss draws from
 * one too, so a lossy run is repeatable. */
struct peer_rand {
  unsigned long long state;
  unsigned long long word;
  int left;
};

/** One KCP conversation with one remote UDP address. */
struct peer_session {
  ikcpcb *kcp;
  struct peer_rand loss;
  long loss_pct;
  int fd;
  struct sockaddr_in addr;
  IUINT32 last_ms;
  unsigned long long echoed;
  IUINT64 malformed;
};

static void
peer_usage(FILE *f)
{
  fprintf(f,
    "usage: ikcp_peer server PORT [options]\n"
    "       ikcp_peer client HOST PORT [options]\n"
    "  -s, --stream          stream mode (default: message mode)\n"
    "  -n, --count N         client: messages to send (default 20)\n"
    "  -z, --sizes MIN-MAX   client: message sizes in bytes (default 1-102400)\n"
    "  -c, --conv N          client: conversation id (default: random)\n"
    "  -p, --profile P       default|normal|fast|fast2|fast3 or N,I,R,C (default fast2)\n"
    "  -w, --wnd N           send and receive window, segments (default 128)\n"
    "  -m, --mtu N           KCP mtu, 50..1500 (default 1400)\n"
    "  -t, --timeout SEC     client: give up after; server: exit after (default 30)\n"
    "  -i, --idle SEC        server: drop a session silent this long (default 20)\n"
    "  -S, --seed N          client: workload seed (default 1)\n"
    "  -e, --exact           client: echoed messages must keep their sizes\n"
    "                        (only when the far end is our engine in message mode)\n"
    "  -b, --bind ADDR       server: IPv4 address to bind (default 127.0.0.1)\n"
    "  -l, --loss PCT        drop PCT %% of datagrams each way, 0..50 (default 0)\n"
    "  -P, --stall MS        client: read no echo for the first MS ms, so the\n"
    "                        peer sees our receive window full (default 0)\n"
    "  -q, --quiet           print only errors\n");
}

static IUINT32
peer_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (IUINT32)((unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u);
}

static unsigned long long
peer_rand_next(struct peer_rand *r)
{
  unsigned long long z = (r->state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static unsigned char
peer_rand_byte(struct peer_rand *r)
{
  unsigned char b;
  if (r->left == 0) {
    r->word = peer_rand_next(r);
    r->left = 8;
  }
  b = (unsigned char)(r->word & 0xffu);
  r->word >>= 8;
  r->left--;
  return b;
}

/** Parse a whole decimal (or 0x hex) number within [lo, hi]. */
static int
peer_parse_num(const char *s, unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
  char *end;
  unsigned long long v;
  if (s == NULL || *s == '\0' || *s == '-') {
    return -1;
  }
  errno = 0;
  v = strtoull(s, &end, 0);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) {
    return -1;
  }
  *out = v;
  return 0;
}

static int
peer_parse_long(const char *s, long lo, long hi, long *out)
{
  unsigned long long v;
  if (peer_parse_num(s, (unsigned long long)lo, (unsigned long long)hi, &v) != 0) {
    return -1;
  }
  *out = (long)v;
  return 0;
}

static int
peer_parse_sizes(const char *s, struct peer_options *o)
{
  char lo[32];
  const char *dash = strchr(s, '-');
  size_t n = dash ? (size_t)(dash - s) : strlen(s);
  if (n == 0 || n >= sizeof(lo)) {
    return -1;
  }
  memcpy(lo, s, n);
  lo[n] = '\0';
  if (peer_parse_long(lo, 1, PEER_MAX_SIZE, &o->min_size) != 0 ||
      peer_parse_long(dash ? dash + 1 : lo, 1, PEER_MAX_SIZE, &o->max_size) != 0) {
    return -1;
  }
  return o->min_size <= o->max_size ? 0 : -1;
}

static int
peer_parse_profile(const char *s, struct peer_profile *p)
{
  long v[4];
  char buf[64];
  char *tok, *save = NULL;
  size_t i;
  for (i = 0; i < sizeof(peer_profiles) / sizeof(peer_profiles[0]); i++) {
    if (strcmp(s, peer_profiles[i].name) == 0) {
      *p = peer_profiles[i];
      return 0;
    }
  }
  if (strlen(s) >= sizeof(buf)) {
    return -1;
  }
  strcpy(buf, s);
  for (i = 0, tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save), i++) {
    if (i >= 4 || peer_parse_long(tok, 0, 5000, &v[i]) != 0) {
      return -1;
    }
  }
  if (i != 4) {
    return -1;
  }
  p->name = "custom";
  p->nodelay = (int)v[0];
  p->interval = (int)v[1];
  p->resend = (int)v[2];
  p->nc = (int)v[3];
  return 0;
}

/** With --loss, decide whether the next datagram of @p s is lost, so that
 * resends and duplicates cross the two engines too. */
static int
peer_drop(struct peer_session *s)
{
  return s->loss_pct > 0 && (long)(peer_rand_next(&s->loss) % 100u) < s->loss_pct;
}

static int
peer_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  struct peer_session *s = (struct peer_session *)user;
  (void)kcp;
  if (peer_drop(s)) {
    return 0;
  }
  /* A datagram the kernel refuses is a lost datagram: KCP resends it. */
  if (sendto(s->fd, buf, (size_t)len, 0, (const struct sockaddr *)&s->addr, sizeof(s->addr)) < 0) {
    return -1;
  }
  return 0;
}

/** Create the control block of @p s with the options both sides share, so
 * that a test case differs from its mirror only in the engine. */
static int
peer_kcp_open(struct peer_session *s, IUINT32 conv, const struct peer_options *o)
{
  s->loss.state = o->seed ^ ((unsigned long long)conv << 16);
  s->loss_pct = o->loss;
  s->kcp = ikcp_create(conv, s);
  if (s->kcp == NULL) {
    fprintf(stderr, "ikcp_peer: ikcp_create failed\n");
    return -1;
  }
  ikcp_setoutput(s->kcp, peer_output);
  if (ikcp_setmtu(s->kcp, (int)o->mtu) < 0) {
    fprintf(stderr, "ikcp_peer: ikcp_setmtu(%ld) failed\n", o->mtu);
    ikcp_release(s->kcp);
    s->kcp = NULL;
    return -1;
  }
  if (ikcp_wndsize(s->kcp, (int)o->sndwnd, (int)o->rcvwnd) < 0) {
    fprintf(stderr, "ikcp_peer: ikcp_wndsize(%ld, %ld) failed\n", o->sndwnd, o->rcvwnd);
    ikcp_release(s->kcp);
    s->kcp = NULL;
    return -1;
  }
  ikcp_nodelay(s->kcp, o->prof.nodelay, o->prof.interval, o->prof.resend, o->prof.nc);
  s->kcp->stream = o->stream;
  return 0;
}

static int
peer_socket(void)
{
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int size = PEER_SOCKBUF;
  if (fd < 0) {
    perror("ikcp_peer: socket");
    return -1;
  }
  /* Best effort: the kernel caps these at rmem_max/wmem_max. */
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
    perror("ikcp_peer: fcntl");
    close(fd);
    return -1;
  }
  return fd;
}

static int
peer_addr(const char *host, unsigned long long port, struct sockaddr_in *sa)
{
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/** The largest message the engine can hand over: a full receive window. */
static int
peer_max_message(const struct peer_options *o)
{
  long wnd = o->rcvwnd < PEER_MIN_RCV_WND ? PEER_MIN_RCV_WND : o->rcvwnd;
  return (int)(wnd * (o->mtu - IKCP_OVERHEAD));
}

/** Milliseconds to sleep before @p kcp needs ikcp_update, bounded below by
 * 1 so that a check earlier than the next flush tick cannot spin. */
static int
peer_wait_ms(const ikcpcb *kcp, IUINT32 now, int limit)
{
  IINT32 d = (IINT32)(ikcp_check(kcp, now) - now);
  if (d < 1) {
    d = 1;
  }
  return d < limit ? (int)d : limit;
}

static IUINT32
peer_get32le(const unsigned char *p)
{
  return (IUINT32)p[0] | ((IUINT32)p[1] << 8) | ((IUINT32)p[2] << 16) | ((IUINT32)p[3] << 24);
}

/** Say when the engine rejected something a peer sent: from a correct
 * peer, that is an incompatibility even if the echo still completes. */
static int
peer_report_malformed(struct peer_session *s)
{
  IKCPSTATS st;
  ikcp_getstats(s->kcp, &st);
  if (st.malformed == s->malformed) {
    return 0;
  }
  fprintf(stderr, "ikcp_peer: %s:%u conv %#x: %llu datagrams or segments rejected as malformed\n",
          inet_ntoa(s->addr.sin_addr), ntohs(s->addr.sin_port), (unsigned)s->kcp->conv,
          (unsigned long long)(st.malformed - s->malformed));
  s->malformed = st.malformed;
  return -1;
}

static void
peer_session_close(struct peer_session *s, const struct peer_options *o, const char *why)
{
  if (!o->quiet) {
    printf("session %s:%u conv %#x %s after %llu bytes\n", inet_ntoa(s->addr.sin_addr),
           ntohs(s->addr.sin_port), (unsigned)s->kcp->conv, why, s->echoed);
  }
  ikcp_release(s->kcp);
  s->kcp = NULL;
}

/** Find the session of @p from, opening one keyed by the datagram's conv as
 * kcp-go's listener does: a new conv from a known address replaces the old
 * session only when it starts at sn 0 (the peer restarted). */
static struct peer_session *
peer_server_session(struct peer_session *tab, int fd, const unsigned char *pkt, size_t len,
                    const struct sockaddr_in *from, IUINT32 now, const struct peer_options *o)
{
  struct peer_session *s, *oldest = NULL, *free_slot = NULL;
  IUINT32 conv;
  int i;
  if (len < IKCP_OVERHEAD) {
    return NULL;
  }
  conv = peer_get32le(pkt);
  for (i = 0; i < PEER_MAX_SESSIONS; i++) {
    s = &tab[i];
    if (s->kcp == NULL) {
      if (free_slot == NULL) {
        free_slot = s;
      }
      continue;
    }
    if (s->addr.sin_addr.s_addr == from->sin_addr.s_addr && s->addr.sin_port == from->sin_port) {
      if (s->kcp->conv == conv) {
        return s;
      }
      if (peer_get32le(pkt + IKCP_SN_OFFSET) != 0) {
        return NULL;
      }
      peer_session_close(s, o, "replaced");
      free_slot = s;
      break;
    }
    if (oldest == NULL || (IINT32)(s->last_ms - oldest->last_ms) < 0) {
      oldest = s;
    }
  }
  if (free_slot == NULL) {
    peer_session_close(oldest, o, "evicted");
    free_slot = oldest;
  }
  s = free_slot;
  memset(s, 0, sizeof(*s));
  s->fd = fd;
  s->addr = *from;
  s->last_ms = now;
  if (peer_kcp_open(s, conv, o) != 0) {
    return NULL;
  }
  if (!o->quiet) {
    printf("session %s:%u conv %#x\n", inet_ntoa(from->sin_addr), ntohs(from->sin_port), (unsigned)conv);
    fflush(stdout);
  }
  return s;
}

/** Echo every whole message the session holds, but only while its send
 * queue is short: a slow reader then closes our receive window instead of
 * growing our memory. */
static int
peer_echo(struct peer_session *s, char *buf, int cap, const struct peer_options *o)
{
  int n, r;
  while (ikcp_waitsnd(s->kcp) < 2 * o->sndwnd) {
    n = ikcp_peeksize(s->kcp);
    if (n < 0) {
      break;
    }
    if (n > cap) {
      fprintf(stderr, "ikcp_peer: message of %d bytes exceeds %d\n", n, cap);
      return -1;
    }
    n = ikcp_recv(s->kcp, buf, cap);
    if (n < 0) {
      fprintf(stderr, "ikcp_peer: ikcp_recv returned %d after peeksize said a message was ready\n", n);
      return -1;
    }
    r = ikcp_send(s->kcp, buf, n);
    if (r < 0) {
      fprintf(stderr, "ikcp_peer: ikcp_send(%d bytes) returned %d\n", n, r);
      return -1;
    }
    s->echoed += (unsigned long long)n;
  }
  return 0;
}

static int
peer_server(const struct peer_options *o, unsigned long long port)
{
  static unsigned char pkt[PEER_DGRAM_MAX];
  struct peer_session tab[PEER_MAX_SESSIONS];
  struct sockaddr_in sa, from;
  socklen_t fromlen;
  struct pollfd pfd;
  IUINT32 now, end;
  char *buf;
  int fd, i, wait, cap, rc = 0;
  ssize_t n;

  memset(tab, 0, sizeof(tab));
  if (peer_addr(o->bind_addr, port, &sa) != 0) {
    fprintf(stderr, "ikcp_peer: bad bind address %s\n", o->bind_addr);
    return PEER_EXIT_USAGE;
  }
  fd = peer_socket();
  if (fd < 0) {
    return PEER_EXIT_FAIL;
  }
  fromlen = sizeof(sa);
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &fromlen) < 0) {
    perror("ikcp_peer: bind");
    close(fd);
    return PEER_EXIT_FAIL;
  }
  cap = peer_max_message(o);
  buf = malloc((size_t)cap);
  if (buf == NULL) {
    fprintf(stderr, "ikcp_peer: out of memory\n");
    close(fd);
    return PEER_EXIT_FAIL;
  }
  printf("listening %s:%u\n", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
  fflush(stdout);

  now = peer_now_ms();
  end = now + (IUINT32)o->timeout_s * 1000u;
  while ((IINT32)(end - now) > 0) {
    wait = PEER_MAX_WAIT_MS;
    for (i = 0; i < PEER_MAX_SESSIONS; i++) {
      if (tab[i].kcp != NULL) {
        wait = peer_wait_ms(tab[i].kcp, now, wait);
      }
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
      perror("ikcp_peer: poll");
      rc = PEER_EXIT_FAIL;
      break;
    }
    now = peer_now_ms();
    for (;;) {
      struct peer_session *s;
      fromlen = sizeof(from);
      n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &fromlen);
      if (n < 0) {
        break;
      }
      s = peer_server_session(tab, fd, pkt, (size_t)n, &from, now, o);
      if (s == NULL) {
        continue;
      }
      s->last_ms = now;
      if (peer_drop(s)) {
        continue;
      }
      i = ikcp_input(s->kcp, (const char *)pkt, (long)n);
      if (i < 0) {
        fprintf(stderr, "ikcp_peer: ikcp_input(%zd bytes) from %s:%u returned %d\n", n,
                inet_ntoa(from.sin_addr), ntohs(from.sin_port), i);
      }
      peer_report_malformed(s);
    }
    for (i = 0; i < PEER_MAX_SESSIONS; i++) {
      struct peer_session *s = &tab[i];
      if (s->kcp == NULL) {
        continue;
      }
      if (peer_echo(s, buf, cap, o) != 0) {
        peer_session_close(s, o, "failed");
        continue;
      }
      ikcp_update(s->kcp, now);
      if ((IINT32)(now - s->last_ms) > (IINT32)(o->idle_s * 1000)) {
        peer_session_close(s, o, "idle");
      }
    }
    fflush(stdout);
  }
  for (i = 0; i < PEER_MAX_SESSIONS; i++) {
    if (tab[i].kcp != NULL) {
      peer_session_close(&tab[i], o, "closed");
    }
  }
  free(buf);
  close(fd);
  return rc;
}

/** Bit length of @p v (0 for 0). */
static int
peer_bits(unsigned long v)
{
  int b = 0;
  while (v != 0) {
    b++;
    v >>= 1;
  }
  return b;
}

/** Fill @p sizes: the sizes that matter to fragmentation (1, mss-1, mss,
 * mss+1, 2*mss+1, the bounds) first, then alternately sizes whose bit length
 * is uniform (every order of magnitude equally common) and sizes uniform in
 * the range (most of them many fragments long). */
static void
peer_workload(const struct peer_options *o, long *sizes)
{
  struct peer_rand r = { o->seed ^ 0x5eedULL, 0, 0 };
  long mss = o->mtu - IKCP_OVERHEAD;
  long edges[7];
  long i = 0, lo, hi;
  int k, blo = peer_bits((unsigned long)o->min_size), bhi = peer_bits((unsigned long)o->max_size);
  size_t e;

  edges[0] = o->min_size;
  edges[1] = 1;
  edges[2] = mss - 1;
  edges[3] = mss;
  edges[4] = mss + 1;
  edges[5] = 2 * mss + 1;
  edges[6] = o->max_size;
  for (e = 0; e < sizeof(edges) / sizeof(edges[0]) && i < o->count; e++) {
    if (edges[e] >= o->min_size && edges[e] <= o->max_size) {
      sizes[i++] = edges[e];
    }
  }
  for (; i < o->count; i++) {
    lo = o->min_size;
    hi = o->max_size;
    if (i % 2 == 0) {
      k = blo + (int)(peer_rand_next(&r) % (unsigned long long)(bhi - blo + 1));
      if (k > 1 && (1L << (k - 1)) > lo) {
        lo = 1L << (k - 1);
      }
      if ((1L << k) - 1 < hi) {
        hi = (1L << k) - 1;
      }
    }
    sizes[i] = lo + (long)(peer_rand_next(&r) % (unsigned long long)(hi - lo + 1));
  }
}

static IUINT32
peer_random_conv(void)
{
  struct timespec ts;
  struct peer_rand r;
  clock_gettime(CLOCK_REALTIME, &ts);
  r.state = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)ts.tv_sec ^
            ((unsigned long long)getpid() << 40);
  return (IUINT32)peer_rand_next(&r);
}

/** Progress of the client's check of the echo, for its reports. */
struct peer_check {
  struct peer_rand gen;
  unsigned long long got;
  long msg;
  long msg_off;
};

/** Check @p n echoed bytes against the stream sent; in exact mode each
 * message must also come back as one message of the size it was sent. */
static int
peer_check_bytes(struct peer_check *c, const unsigned char *p, int n, const long *sizes,
                 const struct peer_options *o)
{
  int i;
  unsigned char want;
  if (o->exact && (c->msg >= o->count || n != sizes[c->msg])) {
    fprintf(stderr, "ikcp_peer: echoed message %ld is %d bytes, sent %ld\n", c->msg, n,
            c->msg < o->count ? sizes[c->msg] : 0L);
    return -1;
  }
  for (i = 0; i < n; i++) {
    if (c->msg >= o->count) {
      fprintf(stderr, "ikcp_peer: %d bytes more than were sent\n", n - i);
      return -1;
    }
    want = peer_rand_byte(&c->gen);
    if (p[i] != want) {
      fprintf(stderr, "ikcp_peer: byte %llu (message %ld, size %ld, offset %ld) is 0x%02x, sent 0x%02x\n",
              c->got, c->msg, sizes[c->msg], c->msg_off, p[i], want);
      return -1;
    }
    c->got++;
    if (++c->msg_off == sizes[c->msg]) {
      c->msg++;
      c->msg_off = 0;
    }
  }
  return 0;
}

static int
peer_client_run(const struct peer_options *o, struct peer_session *s, const long *sizes,
                unsigned long long total, unsigned char *txbuf, unsigned char *rxbuf, int rxcap)
{
  static unsigned char pkt[PEER_DGRAM_MAX];
  struct peer_rand tx = { o->seed, 0, 0 };
  struct peer_check chk;
  struct pollfd pfd;
  IUINT32 now = peer_now_ms(), start = now, end = now + (IUINT32)o->timeout_s * 1000u;
  long next = 0, i;
  int r, n;
  ssize_t len;

  memset(&chk, 0, sizeof(chk));
  chk.gen.state = o->seed;
  while (chk.got < total) {
    while (next < o->count && ikcp_waitsnd(s->kcp) < 2 * o->sndwnd) {
      for (i = 0; i < sizes[next]; i++) {
        txbuf[i] = peer_rand_byte(&tx);
      }
      r = ikcp_send(s->kcp, (const char *)txbuf, (int)sizes[next]);
      if (r < 0) {
        fprintf(stderr, "ikcp_peer: ikcp_send(%ld bytes) of message %ld returned %d\n", sizes[next], next, r);
        return -1;
      }
      next++;
    }
    ikcp_update(s->kcp, now);
    if (ikcp_is_dead(s->kcp)) {
      fprintf(stderr, "ikcp_peer: dead link after %llu of %llu bytes\n", chk.got, total);
      return -1;
    }
    pfd.fd = s->fd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, peer_wait_ms(s->kcp, now, PEER_MAX_WAIT_MS)) < 0 && errno != EINTR) {
      perror("ikcp_peer: poll");
      return -1;
    }
    while ((len = recv(s->fd, pkt, sizeof(pkt), 0)) >= 0) {
      if (peer_drop(s)) {
        continue;
      }
      r = ikcp_input(s->kcp, (const char *)pkt, (long)len);
      if (r < 0) {
        fprintf(stderr, "ikcp_peer: ikcp_input(%zd bytes) returned %d\n", len, r);
        return -1;
      }
      if (peer_report_malformed(s) != 0) {
        return -1;
      }
    }
    while ((IINT32)(now - start) >= (IINT32)o->stall_ms && (n = ikcp_peeksize(s->kcp)) >= 0) {
      if (n > rxcap) {
        fprintf(stderr, "ikcp_peer: echoed message of %d bytes exceeds %d\n", n, rxcap);
        return -1;
      }
      r = ikcp_recv(s->kcp, (char *)rxbuf, rxcap);
      if (r != n) {
        fprintf(stderr, "ikcp_peer: ikcp_recv returned %d, ikcp_peeksize said %d\n", r, n);
        return -1;
      }
      if (peer_check_bytes(&chk, rxbuf, n, sizes, o) != 0) {
        return -1;
      }
    }
    now = peer_now_ms();
    if ((IINT32)(end - now) <= 0) {
      fprintf(stderr, "ikcp_peer: timeout after %llu of %llu bytes (%ld of %ld messages sent)\n",
              chk.got, total, next, o->count);
      return -1;
    }
  }
  /* Acknowledge the last echo so the server stops resending it. */
  ikcp_flush(s->kcp);
  if (!o->quiet) {
    IKCPSTATS st;
    ikcp_getstats(s->kcp, &st);
    printf("verified %ld messages, %llu bytes in %u ms (conv %#x, resent %llu+%llu, dup %llu)\n",
           o->count, total, (unsigned)(now - start), (unsigned)s->kcp->conv,
           (unsigned long long)st.retrans_timeout, (unsigned long long)st.retrans_fast,
           (unsigned long long)st.dup_segs);
  }
  return 0;
}

static int
peer_client(const struct peer_options *o, const char *host, unsigned long long port)
{
  struct peer_session s;
  unsigned long long total = 0;
  unsigned char *txbuf, *rxbuf;
  long *sizes, i;
  int rxcap, rc = PEER_EXIT_FAIL;

  memset(&s, 0, sizeof(s));
  if (peer_addr(host, port, &s.addr) != 0) {
    fprintf(stderr, "ikcp_peer: bad IPv4 address %s\n", host);
    return PEER_EXIT_USAGE;
  }
  s.fd = peer_socket();
  if (s.fd < 0) {
    return PEER_EXIT_FAIL;
  }
  /* Connected: datagrams from anyone but the server never reach the engine. */
  if (connect(s.fd, (const struct sockaddr *)&s.addr, sizeof(s.addr)) < 0) {
    perror("ikcp_peer: connect");
    close(s.fd);
    return PEER_EXIT_FAIL;
  }
  rxcap = peer_max_message(o);
  if (rxcap < o->max_size) {
    rxcap = (int)o->max_size;
  }
  sizes = malloc((size_t)o->count * sizeof(*sizes));
  txbuf = malloc((size_t)o->max_size);
  rxbuf = malloc((size_t)rxcap);
  if (sizes == NULL || txbuf == NULL || rxbuf == NULL) {
    fprintf(stderr, "ikcp_peer: out of memory\n");
  } else if (peer_kcp_open(&s, o->conv_set ? o->conv : peer_random_conv(), o) == 0) {
    peer_workload(o, sizes);
    for (i = 0; i < o->count; i++) {
      total += (unsigned long long)sizes[i];
    }
    if (peer_client_run(o, &s, sizes, total, txbuf, rxbuf, rxcap) == 0) {
      rc = 0;
    }
    ikcp_release(s.kcp);
  }
  free(sizes);
  free(txbuf);
  free(rxbuf);
  close(s.fd);
  return rc;
}

int
main(int argc, char **argv)
{
  static const struct option longopts[] = {
    { "stream",  no_argument,       NULL, 's' },
    { "count",   required_argument, NULL, 'n' },
    { "sizes",   required_argument, NULL, 'z' },
    { "conv",    required_argument, NULL, 'c' },
    { "profile", required_argument, NULL, 'p' },
    { "wnd",     required_argument, NULL, 'w' },
    { "mtu",     required_argument, NULL, 'm' },
    { "timeout", required_argument, NULL, 't' },
    { "idle",    required_argument, NULL, 'i' },
    { "seed",    required_argument, NULL, 'S' },
    { "exact",   no_argument,       NULL, 'e' },
    { "bind",    required_argument, NULL, 'b' },
    { "quiet",   no_argument,       NULL, 'q' },
    { "loss",    required_argument, NULL, 'l' },
    { "stall",   required_argument, NULL, 'P' },
    { "help",    no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  struct peer_options o;
  unsigned long long v, port;
  int c, bad = 0, server;

  memset(&o, 0, sizeof(o));
  o.count = 20;
  o.min_size = 1;
  o.max_size = 102400;
  o.prof = peer_profiles[3];
  o.sndwnd = o.rcvwnd = 128;
  o.mtu = 1400;
  o.timeout_s = 30;
  o.idle_s = 20;
  o.seed = 1;
  o.bind_addr = "127.0.0.1";

  while ((c = getopt_long(argc, argv, "sn:z:c:p:w:m:t:i:S:eb:ql:P:h", longopts, NULL)) != -1) {
    switch (c) {
      case 's': o.stream = 1; break;
      case 'e': o.exact = 1; break;
      case 'q': o.quiet = 1; break;
      case 'b': o.bind_addr = optarg; break;
      case 'n': bad |= peer_parse_long(optarg, 1, 100000, &o.count); break;
      case 'z': bad |= peer_parse_sizes(optarg, &o); break;
      case 'p': bad |= peer_parse_profile(optarg, &o.prof); break;
      case 'm': bad |= peer_parse_long(optarg, 50, 1500, &o.mtu); break;
      case 't': bad |= peer_parse_long(optarg, 1, 3600, &o.timeout_s); break;
      case 'i': bad |= peer_parse_long(optarg, 1, 3600, &o.idle_s); break;
      case 'S': bad |= peer_parse_num(optarg, 0, ~0ULL, &o.seed); break;
      case 'l': bad |= peer_parse_long(optarg, 0, 50, &o.loss); break;
      case 'P': bad |= peer_parse_long(optarg, 0, 60000, &o.stall_ms); break;
      case 'w':
        bad |= peer_parse_long(optarg, 1, PEER_MAX_WND, &o.sndwnd);
        o.rcvwnd = o.sndwnd;
        break;
      case 'c':
        bad |= peer_parse_num(optarg, 0, 0xffffffffULL, &v);
        o.conv = (IUINT32)v;
        o.conv_set = 1;
        break;
      case 'h':
        peer_usage(stdout);
        return 0;
      default:
        bad = 1;
        break;
    }
    if (bad) {
      if (c != '?') {
        fprintf(stderr, "ikcp_peer: bad value for -%c: %s\n", c, optarg);
      }
      peer_usage(stderr);
      return PEER_EXIT_USAGE;
    }
  }
  argc -= optind;
  argv += optind;
  server = argc == 2 && strcmp(argv[0], "server") == 0;
  if (!server && !(argc == 3 && strcmp(argv[0], "client") == 0)) {
    peer_usage(stderr);
    return PEER_EXIT_USAGE;
  }
  if (peer_parse_num(argv[argc - 1], server ? 0 : 1, 65535, &port) != 0) {
    fprintf(stderr, "ikcp_peer: bad port %s\n", argv[argc - 1]);
    return PEER_EXIT_USAGE;
  }
  if (server) {
    return peer_server(&o, port);
  }
  return peer_client(&o, argv[1], port);
}
