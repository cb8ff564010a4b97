/**
 * @file
 * Addresses as people read them (see ipstr.h).
 */
#include "ipstr.h"

#include <ctype.h>

const char *
ipstr_ip6(const ip6_addr_t *addr, char *buf, size_t len)
{
  char *c;

  ip6addr_ntoa_r(addr, buf, (int)len);
  for (c = buf; *c != '\0'; c++) {
    *c = (char)tolower((unsigned char)*c);
  }
  return buf;
}
