/**
 * @file
 * lwIP's tcpip thread for Check programs (see checktcpip.h).
 */
#include "checktcpip.h"

#include <check.h>

#include "lwip/sys.h"
#include "lwip/tcpip.h"

static void
checktcpip_done(void *arg)
{
  sys_sem_signal((sys_sem_t *)arg);
}

void
checktcpip_start(void)
{
  sys_sem_t sem;

  ck_assert_int_eq(sys_sem_new(&sem, 0), ERR_OK);
  tcpip_init(checktcpip_done, &sem);
  sys_sem_wait(&sem);
  sys_sem_free(&sem);
}
