/**
 * @file
 * A module's list of names as one line (see namelist.h).
 */
#include "namelist.h"

#include <stdio.h>

const char *
namelist_join(const char *(*name_of)(int), char *buf, size_t size)
{
  const char *name;
  size_t n = 0;
  int i;

  if (size == 0) {
    return buf;
  }
  buf[0] = '\0';
  for (i = 0; (name = name_of(i)) != NULL && n < size; i++) {
    n += (size_t)snprintf(buf + n, size - n, "%s%s", i > 0 ? ", " : "", name);
  }
  return buf;
}
