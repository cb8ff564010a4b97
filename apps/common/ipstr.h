/**
 * @file
 * Addresses as people read them: IPv6 in lower case, as RFC 5952 and ip(8)
 * write it (lwIP's ip6addr_ntoa_r() writes upper case), so that every line
 * a program prints names an address the same way.
 */
#ifndef IPSTR_H
#define IPSTR_H

#include "lwip/ip6_addr.h"

#include <stddef.h>

/** Writes addr into buf (len bytes, IP6ADDR_STRLEN_MAX is enough); returns buf. */
const char *ipstr_ip6(const ip6_addr_t *addr, char *buf, size_t len);

#endif /* IPSTR_H */
