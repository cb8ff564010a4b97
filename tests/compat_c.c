/**
 * @file
 * Reference-API compatibility, C: uses the engine the way code written for
 * the reference ikcp.h does (callbacks set through fields, fields read and
 * written directly, ikcp_allocator with malloc/free) and moves data between
 * two control blocks. Prints one PASS/FAIL line per check; exits 0 when all
 * pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikcp.h"

static ikcpcb *peer[2];
static int failures;
static int log_lines;

static void check(int ok, const char *name)
{
  printf("%s: compat_c %s\n", ok ? "PASS" : "FAIL", name);
  failures += !ok;
}

/* Delivers straight to the other endpoint; user holds this endpoint's index. */
static int udp_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  long self = (long)(size_t)user;
  (void)kcp;
  return ikcp_input(peer[1 - self], buf, len);
}

static void writelog(const char *log, struct IKCPCB *kcp, void *user)
{
  (void)log;
  (void)kcp;
  (void)user;
  log_lines++;
}

int main(void)
{
  char buf[4096];
  IUINT32 current = 1000;
  IUINT32 conv;
  IINT32 srtt;
  IUINT8 b8 = 1;
  IUINT16 b16 = 2;
  IINT16 s16 = -2;
  IINT8 s8 = -1;
  IINT64 s64 = -3;
  IUINT64 b64 = 3;
  int i, n, got = 0;

  ikcp_allocator(malloc, free);
  peer[0] = ikcp_create(0x11223344, (void *)0);
  peer[1] = ikcp_create(0x11223344, (void *)1);
  check(peer[0] != NULL && peer[1] != NULL, "create");
  if (peer[0] == NULL || peer[1] == NULL) {
    return 1;
  }
  peer[0]->output = udp_output;
  ikcp_setoutput(peer[1], udp_output);
  peer[0]->writelog = writelog;
  peer[0]->logmask = IKCP_LOG_OUTPUT | IKCP_LOG_INPUT | IKCP_LOG_SEND | IKCP_LOG_RECV |
                     IKCP_LOG_IN_DATA | IKCP_LOG_IN_ACK | IKCP_LOG_IN_PROBE |
                     IKCP_LOG_IN_WINS | IKCP_LOG_OUT_DATA | IKCP_LOG_OUT_ACK |
                     IKCP_LOG_OUT_PROBE | IKCP_LOG_OUT_WINS;

  ikcp_wndsize(peer[0], 128, 128);
  ikcp_wndsize(peer[1], 128, 128);
  ikcp_nodelay(peer[0], 1, 10, 2, 1);
  ikcp_nodelay(peer[1], 1, 10, 2, 1);
  ikcp_interval(peer[0], 10);
  ikcp_setmtu(peer[0], 1400);
  peer[0]->rx_minrto = 10;
  peer[0]->fastresend = 1;
  peer[1]->fastlimit = 5;
  peer[1]->dead_link = 30;
  peer[1]->stream = 0;
  peer[1]->nocwnd = 1;

  for (i = 0; i < 50; i++) {
    memset(buf, 'a' + i % 26, sizeof(buf));
    ikcp_send(peer[0], buf, 100 + i * 50);
  }
  check(ikcp_waitsnd(peer[0]) > 0, "waitsnd");
  for (n = 0; n < 1000 && got < 50; n++) {
    current += 10;
    ikcp_update(peer[0], current);
    if (ikcp_check(peer[1], current) <= current) {
      ikcp_update(peer[1], current);
    }
    while (ikcp_peeksize(peer[1]) > 0) {
      int len = ikcp_recv(peer[1], buf, sizeof(buf));
      if (len != 100 + got * 50 || buf[0] != 'a' + got % 26) {
        break;
      }
      got++;
    }
  }
  check(got == 50, "transfer");

  conv = ikcp_getconv("\x44\x33\x22\x11");
  check(conv == peer[0]->conv, "getconv");
  srtt = peer[0]->rx_srtt;
  check(srtt >= 0 && peer[0]->rx_rttval >= 0 && peer[0]->rx_rto >= peer[0]->rx_minrto,
        "rtt fields");
  check(peer[0]->mtu == 1400 && peer[0]->mss == 1376 && peer[0]->state == 0,
        "mtu mss state");
  check(peer[0]->snd_una == peer[0]->snd_nxt && peer[1]->rcv_nxt == peer[0]->snd_nxt,
        "sequence fields");
  check(peer[0]->snd_wnd == 128 && peer[0]->rcv_wnd == 128 && peer[0]->rmt_wnd > 0 &&
        peer[0]->cwnd >= 1 && peer[0]->interval == 10 && peer[0]->nodelay == 1,
        "window fields");
  check(peer[0]->nsnd_buf == 0 && peer[0]->nsnd_que == 0 && peer[1]->nrcv_buf == 0 &&
        peer[1]->nrcv_que == 0 && peer[0]->xmit == 0 && peer[0]->dead_link == 20,
        "count fields");
  check(peer[0]->user == (void *)0 && peer[1]->user == (void *)1, "user field");
  check(log_lines > 0, "writelog");
  check(b8 + b16 + s16 + s8 + s64 + (IINT64)b64 == 0, "integer types");

  ikcp_flush(peer[0]);
  ikcp_release(peer[0]);
  ikcp_release(peer[1]);
  printf("compat_c: %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
