/**
 * @file
 * Our smux module (apps/kcptun/smux.c) as an interop peer of Go's smux,
 * over one TCP connection on loopback, single-threaded with poll().
 *
 *   smux_peer echo   VER PORT           connect, echo every stream
 *   smux_peer client VER PORT N BYTES   connect, N streams of BYTES each
 *
 * echo: each stream keeps what arrived in a buffer of its own and sends
 * it back as PSH frames; in version 2 within the peer's window, with UPD
 * frames for what it consumed, and the buffer covers the peer's initial
 * window guess so a conforming peer never overruns it. A full buffer
 * stops the parser (back-pressure onto the connection). A FIN is answered
 * with FIN once the buffer is empty. Ends 0 when the peer closes the
 * connection.
 * client: opens N streams, sends BYTES pseudo-random bytes on each within
 * the peer's window, checks the echo byte for byte, FINs, and ends 0 when
 * every stream has been echoed completely and FINed by the peer.
 * Both send a NOP every second; both print the frames, SYNs, UPDs and NOPs
 * they got.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smux.h"

#define P_MAX_STREAMS 64
#define P_STREAMBUF 65536
#define P_BUF (SMUX_INITIAL_PEER_WINDOW > P_STREAMBUF ? SMUX_INITIAL_PEER_WINDOW : P_STREAMBUF)
#define P_OUT (1 << 20)
#define P_TIMEOUT_MS 60000

struct p_stream {
  uint32_t sid;
  int used, fin_in, fin_out;
  struct smux_window win;
  uint8_t *buf; /* echo: bytes to send back */
  size_t len;
  uint64_t tx, rx; /* client: bytes sent and verified */
  int bad;
};

static struct p_stream p_streams[P_MAX_STREAMS];
static uint8_t p_ver;
static int p_client;
static uint64_t p_bytes;
static uint8_t p_out[P_OUT];
static size_t p_out_len;
static unsigned long p_nops, p_syns, p_upds, p_errors;

static uint8_t
p_pattern(uint32_t sid, uint64_t i)
{
  return (uint8_t)((i * 131u) ^ (i >> 9) ^ (sid * 29u));
}

static struct p_stream *
p_find(uint32_t sid)
{
  int i;
  for (i = 0; i < P_MAX_STREAMS; i++) {
    if (p_streams[i].used && p_streams[i].sid == sid) {
      return &p_streams[i];
    }
  }
  return NULL;
}

static struct p_stream *
p_open(uint32_t sid)
{
  int i;
  for (i = 0; i < P_MAX_STREAMS; i++) {
    struct p_stream *s = &p_streams[i];
    if (!s->used) {
      memset(s, 0, sizeof(*s));
      s->used = 1;
      s->sid = sid;
      smux_window_init(&s->win);
      if (!p_client) {
        s->buf = malloc(P_BUF);
        if (s->buf == NULL) {
          s->used = 0;
          return NULL;
        }
      }
      return s;
    }
  }
  return NULL;
}

/** Append a frame with @p len payload bytes to the output, if it fits. */
static int
p_emit(uint8_t cmd, uint32_t sid, const uint8_t *data, uint16_t len)
{
  if (P_OUT - p_out_len < (size_t)SMUX_HEADER_SIZE + len) {
    return 0;
  }
  smux_header_encode(p_out + p_out_len, p_ver, cmd, len, sid);
  if (len > 0) {
    memcpy(p_out + p_out_len + SMUX_HEADER_SIZE, data, len);
  }
  p_out_len += SMUX_HEADER_SIZE + len;
  return 1;
}

/** Account @p n bytes consumed on @p s; queue an UPD when one is due. */
static void
p_consumed(struct p_stream *s, uint32_t n)
{
  if (p_ver >= 2 && smux_window_consume(&s->win, n, P_STREAMBUF) &&
      P_OUT - p_out_len >= SMUX_HEADER_SIZE + SMUX_UPD_SIZE) {
    smux_update_encode(p_out + p_out_len, s->sid, s->win.consumed, P_STREAMBUF);
    p_out_len += SMUX_HEADER_SIZE + SMUX_UPD_SIZE;
  }
}

static void
p_frame(void *arg, uint8_t cmd, uint32_t sid)
{
  struct p_stream *s = p_find(sid);
  (void)arg;
  if (cmd == SMUX_CMD_NOP) {
    p_nops++;
  } else if (cmd == SMUX_CMD_SYN) {
    p_syns++;
    if (p_client || s != NULL || p_open(sid) == NULL) {
      p_errors++;
    }
  } else if (cmd == SMUX_CMD_FIN && s != NULL) {
    s->fin_in = 1;
  }
}

static void
p_update(void *arg, uint32_t sid, uint32_t consumed, uint32_t window)
{
  struct p_stream *s = p_find(sid);
  (void)arg;
  p_upds++;
  if (s != NULL) {
    smux_window_update(&s->win, consumed, window);
  }
}

static size_t
p_data(void *arg, uint32_t sid, const uint8_t *buf, size_t len)
{
  struct p_stream *s = p_find(sid);
  size_t i;
  (void)arg;
  if (s == NULL) {
    return len; /* closed stream: dropped, as the reference does */
  }
  if (p_client) {
    for (i = 0; i < len; i++) {
      if (buf[i] != p_pattern(sid, s->rx + i)) {
        s->bad = 1;
      }
    }
    s->rx += len;
    p_consumed(s, (uint32_t)len);
    return len;
  }
  if (len > P_BUF - s->len) {
    len = P_BUF - s->len;
  }
  memcpy(s->buf + s->len, buf, len);
  s->len += len;
  return len;
}

static const struct smux_parser_ops p_ops = { p_frame, p_update, p_data };

/** How many payload bytes stream @p s may put in one PSH now. */
static size_t
p_room(struct p_stream *s, size_t want)
{
  size_t room = SMUX_DEFAULT_FRAME;
  if (p_ver >= 2) {
    int64_t w = smux_window_room(&s->win);
    if (w < 0) {
      p_errors++;
      return 0;
    }
    if ((uint64_t)w < room) {
      room = (size_t)w;
    }
  }
  if (want < room) {
    room = want;
  }
  if (P_OUT - p_out_len < SMUX_HEADER_SIZE + room + SMUX_HEADER_SIZE + SMUX_UPD_SIZE) {
    return 0;
  }
  return room;
}

/** Queue what every stream can send now. @return 1 when all are done. */
static int
p_pump(void)
{
  static uint8_t chunk[SMUX_DEFAULT_FRAME];
  int i, done = 1;

  for (i = 0; i < P_MAX_STREAMS; i++) {
    struct p_stream *s = &p_streams[i];
    size_t n;
    if (!s->used) {
      continue;
    }
    if (p_client) {
      while ((n = p_room(s, (size_t)(p_bytes - s->tx))) > 0) {
        size_t k;
        for (k = 0; k < n; k++) {
          chunk[k] = p_pattern(s->sid, s->tx + k);
        }
        p_emit(SMUX_CMD_PSH, s->sid, chunk, (uint16_t)n);
        smux_window_sent(&s->win, (uint32_t)n);
        s->tx += n;
      }
      if (s->tx == p_bytes && !s->fin_out && p_emit(SMUX_CMD_FIN, s->sid, NULL, 0)) {
        s->fin_out = 1;
      }
      if (!(s->fin_out && s->fin_in && s->rx == p_bytes)) {
        done = 0;
      }
      continue;
    }
    while (s->len > 0 && (n = p_room(s, s->len)) > 0) {
      p_emit(SMUX_CMD_PSH, s->sid, s->buf, (uint16_t)n);
      smux_window_sent(&s->win, (uint32_t)n);
      memmove(s->buf, s->buf + n, s->len - n);
      s->len -= n;
      p_consumed(s, (uint32_t)n);
    }
    if (s->fin_in && s->len == 0 && !s->fin_out && p_emit(SMUX_CMD_FIN, s->sid, NULL, 0)) {
      s->fin_out = 1;
      free(s->buf);
      s->buf = NULL;
      s->used = 0;
    }
  }
  return done;
}

static uint64_t
p_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
p_usage(void)
{
  fprintf(stderr, "usage: smux_peer echo VER PORT | client VER PORT STREAMS BYTES\n");
  return 2;
}

int
main(int argc, char **argv)
{
  static uint8_t in[65536];
  size_t in_off = 0, in_len = 0;
  struct smux_parser parser;
  struct sockaddr_in sa;
  uint64_t start, last_nop;
  uint32_t next_sid = 1;
  int fd, i, nstreams = 0, rc = 1, peer_closed = 0;

  if (argc < 4 || (strcmp(argv[1], "echo") != 0 && strcmp(argv[1], "client") != 0)) {
    return p_usage();
  }
  p_client = strcmp(argv[1], "client") == 0;
  p_ver = (uint8_t)atoi(argv[2]);
  if ((p_ver != 1 && p_ver != 2) || atoi(argv[3]) <= 0 || atoi(argv[3]) > 65535) {
    return p_usage();
  }
  if (p_client) {
    if (argc != 6 || atoi(argv[4]) <= 0 || atoi(argv[4]) > P_MAX_STREAMS) {
      return p_usage();
    }
    nstreams = atoi(argv[4]);
    p_bytes = strtoull(argv[5], NULL, 10);
  }
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)atoi(argv[3]));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)) {
    perror("smux_peer: connect");
    return 1;
  }
  smux_parser_init(&parser, p_ver);
  for (i = 0; i < nstreams; i++) {
    uint32_t sid = smux_sid_next(&next_sid);
    p_open(sid);
    p_emit(SMUX_CMD_SYN, sid, NULL, 0);
  }
  start = last_nop = p_now_ms();
  while (p_now_ms() - start < P_TIMEOUT_MS) {
    struct pollfd pfd = { fd, 0, 0 };
    int done = p_pump();
    if (p_client && done) {
      rc = 0;
      break;
    }
    if (p_now_ms() - last_nop >= 1000) {
      last_nop = p_now_ms();
      p_emit(SMUX_CMD_NOP, 0, NULL, 0);
    }
    pfd.events = (in_len == 0 && !peer_closed ? POLLIN : 0) | (p_out_len > 0 ? POLLOUT : 0);
    if (poll(&pfd, 1, in_len > 0 ? 1 : 100) < 0 && errno != EINTR) {
      break;
    }
    if (pfd.revents & POLLOUT) {
      ssize_t w = write(fd, p_out, p_out_len);
      if (w > 0) {
        memmove(p_out, p_out + w, p_out_len - (size_t)w);
        p_out_len -= (size_t)w;
      } else if (w < 0 && errno != EAGAIN) {
        perror("smux_peer: write");
        break;
      }
    }
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(fd, in, sizeof(in));
      if (r == 0 || (r < 0 && errno != EAGAIN)) {
        peer_closed = 1;
        if (!p_client) {
          rc = 0;
          break;
        }
      } else if (r > 0) {
        in_off = 0;
        in_len = (size_t)r;
      }
    }
    if (in_len > 0) {
      size_t used = smux_parser_input(&parser, in + in_off, in_len, &p_ops, NULL);
      in_off += used;
      in_len -= used;
    }
    if (parser.error != SMUX_OK) {
      fprintf(stderr, "smux_peer: protocol error %d\n", parser.error);
      break;
    }
    if (peer_closed && p_client) {
      break;
    }
  }
  for (i = 0; i < P_MAX_STREAMS; i++) {
    if (p_streams[i].used && p_client && (p_streams[i].bad || p_streams[i].rx != p_bytes)) {
      fprintf(stderr, "smux_peer: stream %u: %llu of %llu bytes%s\n", p_streams[i].sid,
              (unsigned long long)p_streams[i].rx, (unsigned long long)p_bytes,
              p_streams[i].bad ? ", corrupt" : "");
      rc = 1;
    }
    free(p_streams[i].buf);
  }
  if (p_errors > 0) {
    rc = 1;
  }
  printf("frames %llu syn %lu upd %lu nop %lu errors %lu\n",
         (unsigned long long)parser.frames, p_syns, p_upds, p_nops, p_errors);
  close(fd);
  return rc;
}
