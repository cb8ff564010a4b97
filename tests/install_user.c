/**
 * @file
 * A user's program built against an installed kcp-lwip only: its headers
 * and libkcplwip.a come from `pkg-config --cflags --libs kcp-lwip`
 * (tests/install.sh). It sends one message from one engine to another in
 * memory, then binds and removes a KCP pcb of the binding in a running lwIP
 * core. Prints "install_user: ok" and exits 0 when all of it worked.
 */
#include "ikcp.h"
#include "kcp_lwip.h"

#include "lwip/sys.h"
#include "lwip/tcpip.h"

#include <stdio.h>
#include <string.h>

/** The other engine of the conversation: output goes straight into it. */
static int
install_user_output(const char *buf, int len, ikcpcb *kcp, void *user)
{
  (void)kcp;
  return ikcp_input((ikcpcb *)user, buf, len);
}

static void
install_user_tcpip_done(void *arg)
{
  sys_sem_signal((sys_sem_t *)arg);
}

int
main(void)
{
  static const char msg[] = "hello through an installed kcp-lwip";
  ikcpcb *a = ikcp_create(1, NULL);
  ikcpcb *b = ikcp_create(1, NULL);
  struct kcp_pcb *pcb;
  char got[64];
  sys_sem_t sem;
  err_t err;
  int n;

  ikcp_setoutput(a, install_user_output);
  ikcp_nodelay(a, 1, 10, 2, 1); /* no congestion window: the first flush sends */
  a->user = b;
  ikcp_send(a, msg, (int)sizeof(msg));
  ikcp_update(a, 0);
  n = ikcp_recv(b, got, (int)sizeof(got));
  ikcp_release(a);
  ikcp_release(b);
  if (n != (int)sizeof(msg) || memcmp(got, msg, sizeof(msg)) != 0) {
    printf("install_user: engine round trip failed (%d)\n", n);
    return 1;
  }

  if (sys_sem_new(&sem, 0) != ERR_OK) {
    return 1;
  }
  tcpip_init(install_user_tcpip_done, &sem);
  sys_sem_wait(&sem);
  sys_sem_free(&sem);
  LOCK_TCPIP_CORE();
  pcb = kcp_new();
  err = pcb != NULL ? kcp_bind(pcb, IP_ANY_TYPE, 8000) : ERR_MEM;
  if (pcb != NULL) {
    kcp_remove(pcb);
  }
  UNLOCK_TCPIP_CORE();
  if (err != ERR_OK) {
    printf("install_user: kcp_bind failed (%d)\n", (int)err);
    return 1;
  }
  printf("install_user: ok\n");
  return 0;
}
