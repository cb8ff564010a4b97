/**
 * @file
 * Reference-API compatibility, C++: includes the engine's source the way
 * the reference's test.cpp does, then drives two control blocks through the
 * public API and fields. Prints one PASS/FAIL line per check; exits 0 when
 * all pass.
 */
#include "ikcp.c"

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

struct Link {
  std::vector<std::vector<char> > wire[2];
};

int failures = 0;

void check(bool ok, const char *name)
{
  std::printf("%s: compat_cxx %s\n", ok ? "PASS" : "FAIL", name);
  failures += !ok;
}

int output(const char *buf, int len, ikcpcb *, void *user)
{
  Link *link = static_cast<Link *>(user);
  link->wire[0].push_back(std::vector<char>(buf, buf + len));
  return 0;
}

int output_back(const char *buf, int len, ikcpcb *, void *user)
{
  Link *link = static_cast<Link *>(user);
  link->wire[1].push_back(std::vector<char>(buf, buf + len));
  return 0;
}

void deliver(std::vector<std::vector<char> > &q, ikcpcb *to)
{
  for (size_t i = 0; i < q.size(); i++) {
    if (!q[i].empty()) {
      ikcp_input(to, &q[i][0], static_cast<long>(q[i].size()));
    }
  }
  q.clear();
}

} // namespace

int main()
{
  Link link;
  ikcpcb *a = ikcp_create(1, &link);
  ikcpcb *b = ikcp_create(1, &link);
  check(a != NULL && b != NULL, "create");
  if (a == NULL || b == NULL) {
    return 1;
  }
  a->output = output;
  ikcp_setoutput(b, output_back);
  check(ikcp_profile(a, "fast2") == 0 && ikcp_profile(b, "fast2") == 0, "profile");
  ikcp_wndsize(a, 256, 256);
  ikcp_wndsize(b, 256, 256);
  a->stream = 1;
  b->stream = 1;

  std::vector<char> sent, got;
  char chunk[3000];
  for (int i = 0; i < 200; i++) {
    int len = 1 + (i * 37) % static_cast<int>(sizeof(chunk));
    for (int j = 0; j < len; j++) {
      chunk[j] = static_cast<char>(i + j);
    }
    if (ikcp_send(a, chunk, len) >= 0) {
      sent.insert(sent.end(), chunk, chunk + len);
    }
  }
  IUINT32 now = 0;
  for (int step = 0; step < 2000 && got.size() < sent.size(); step++) {
    now += 10;
    ikcp_update(a, now);
    ikcp_update(b, now);
    deliver(link.wire[0], b);
    deliver(link.wire[1], a);
    int n;
    while ((n = ikcp_recv(b, chunk, sizeof(chunk))) > 0) {
      got.insert(got.end(), chunk, chunk + n);
    }
  }
  check(got == sent, "stream transfer");
  for (int step = 0; step < 20; step++) {
    now += 10;
    ikcp_update(a, now);
    ikcp_update(b, now);
    deliver(link.wire[0], b);
    deliver(link.wire[1], a);
  }
  check(ikcp_waitsnd(a) == 0 && a->snd_una == a->snd_nxt, "all acknowledged");

  IKCPSTATS st;
  ikcp_getstats(a, &st);
  check(st.data_segs_out > 0 && st.bytes_out > 0 && st.malformed == 0, "stats");
  check(ikcp_setsndqmax(a, 1) == 0 && ikcp_send(a, chunk, 10) >= 0 &&
        ikcp_send(a, chunk, static_cast<int>(sizeof(chunk))) == IKCP_ESNDQFULL,
        "send queue cap");
  check(ikcp_waitsnd(a) == 1 && a->nsnd_que == 1, "waitsnd");
  check(ikcp_setcc(a, NULL) == 0 && ikcp_interval(a, 1) == 0 && a->interval == 10,
        "setcc interval");
  ikcp_release(a);
  ikcp_release(b);
  std::printf("compat_cxx: %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
