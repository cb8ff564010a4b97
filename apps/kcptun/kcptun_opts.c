/**
 * @file
 * kcptun settings by name (see kcptun_opts.h).
 */
#include "kcptun_opts.h"

#include "kcp_crypt.h"
#include "lwip/ip_addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Numeric settings: name, range, and where the value goes. */
struct kcptun_opt_num {
  const char *name;
  unsigned long min, max;
  size_t offset;
  int is_u32; /* else int */
};

#define KCPTUN_NUM(n, lo, hi, field, u) \
  { n, lo, hi, offsetof(struct kcptun_config, field), u }

static const struct kcptun_opt_num kcptun_nums[] = {
  KCPTUN_NUM("datashard", 0, 255, datashard, 0),
  KCPTUN_NUM("ds", 0, 255, datashard, 0),
  KCPTUN_NUM("parityshard", 0, 255, parityshard, 0),
  KCPTUN_NUM("ps", 0, 255, parityshard, 0),
  KCPTUN_NUM("nodelay", 0, 1, nodelay, 0),
  KCPTUN_NUM("interval", 1, 5000, interval, 0),
  KCPTUN_NUM("resend", 0, 100, resend, 0),
  KCPTUN_NUM("nc", 0, 1, nc, 0),
  KCPTUN_NUM("mtu", 50, 1500, mtu, 0),
  KCPTUN_NUM("sndwnd", 1, 32768, sndwnd, 0),
  KCPTUN_NUM("rcvwnd", 1, 32768, rcvwnd, 0),
  KCPTUN_NUM("smuxver", 1, 2, smuxver, 0),
  KCPTUN_NUM("smuxbuf", 1024, 0x7fffffffUL, smuxbuf, 1),
  KCPTUN_NUM("streambuf", 1024, 0x7fffffffUL, streambuf, 1),
  KCPTUN_NUM("keepalive", 1, 3600, keepalive, 1),
  KCPTUN_NUM("max-sessions", 1, 65536, max_sessions, 1),
  KCPTUN_NUM("conn", 1, KCPTUN_MAX_CONN, conn, 0),
  KCPTUN_NUM("autoexpire", 0, KCPTUN_MAX_EXPIRE, autoexpire, 1),
  KCPTUN_NUM("scavengettl", 0, KCPTUN_MAX_EXPIRE, scavengettl, 1),
};

const struct kcptun_opt_name kcptun_opt_names[] = {
  {"listen", 1}, {"target", 1}, {"remote", 1}, {"local", 1}, {"mode", 1}, {"nocomp", 0}, {"acknodelay", 0},
  {"crypt", 1}, {"key", 1}, {"datashard", 1}, {"ds", 1}, {"parityshard", 1}, {"ps", 1},
  {"nodelay", 1}, {"interval", 1}, {"resend", 1}, {"nc", 1}, {"mtu", 1},
  {"sndwnd", 1}, {"rcvwnd", 1}, {"smuxver", 1}, {"smuxbuf", 1},
  {"streambuf", 1}, {"keepalive", 1}, {"max-sessions", 1}, {"conn", 1}, {"autoexpire", 1},
  {"scavengettl", 1}, {NULL, 0}
};

static int
kcptun_opts_num(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
  char *end;
  unsigned long v;

  if (s == NULL || s[0] < '0' || s[0] > '9') {
    return -1;
  }
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) {
    return -1;
  }
  *out = v;
  return 0;
}

/** "ADDR:PORT", IPv4 or [IPv6], into @p ip and @p port. */
static int
kcptun_opts_addrport(const char *s, ip_addr_t *ip, u16_t *port)
{
  char host[64];
  const char *colon = strrchr(s, ':');
  unsigned long v;
  size_t n;

  if (colon == NULL || kcptun_opts_num(colon + 1, 1, 65535, &v) != 0) {
    return -1;
  }
  n = (size_t)(colon - s);
  if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
    s++;
    n -= 2;
  }
  if (n == 0 || n >= sizeof(host)) {
    return -1;
  }
  memcpy(host, s, n);
  host[n] = '\0';
  if (!ipaddr_aton(host, ip) || ip_addr_isany(ip)) {
    return -1;
  }
  *port = (u16_t)v;
  return 0;
}

/** A port, "PORT" or ":PORT" as kcptun writes its listen addresses. */
static int
kcptun_opts_port(const char *s, u16_t *port)
{
  unsigned long v;

  if (kcptun_opts_num(s[0] == ':' ? s + 1 : s, 1, 65535, &v) != 0) {
    return -1;
  }
  *port = (u16_t)v;
  return 0;
}

int
kcptun_opts_set(struct kcptun_config *cfg, const char *name, const char *value,
                char *why, size_t whylen)
{
  size_t i;
  unsigned long v;

  if (strcmp(name, "nocomp") == 0) {
    cfg->nocomp = 1;
    return 0;
  }
  if (strcmp(name, "acknodelay") == 0) {
    cfg->acknodelay = 1;
    return 0;
  }
  if (value == NULL) {
    snprintf(why, whylen, "a value");
    return -1;
  }
  if (strcmp(name, "listen") == 0 || strcmp(name, "local") == 0) {
    u16_t *port = name[1] == 'i' ? &cfg->listen_port : &cfg->local_port;
    if (kcptun_opts_port(value, port) != 0) {
      snprintf(why, whylen, "a port 1..65535 (or :PORT)");
      return -1;
    }
    return 0;
  }
  if (strcmp(name, "target") == 0 && strcmp(value, "echo") == 0) {
    cfg->target_echo = 1;
    return 0;
  }
  if (strcmp(name, "target") == 0 || strcmp(name, "remote") == 0) {
    int target = name[0] == 't';
    if (kcptun_opts_addrport(value, target ? &cfg->target_ip : &cfg->remote_ip,
                             target ? &cfg->target_port : &cfg->remote_port) != 0) {
      snprintf(why, whylen, target ? "ADDR:PORT (IPv4, or [IPv6]) or echo" :
               "ADDR:PORT (IPv4, or [IPv6])");
      return -1;
    }
    if (target) {
      cfg->target_echo = 0;
    }
    return 0;
  }
  if (strcmp(name, "crypt") == 0) {
    if (!kcp_crypt_valid_name(value)) {
      snprintf(why, whylen, "one of: %s", kcp_crypt_names());
      return -1;
    }
    cfg->crypt = value;
    return 0;
  }
  if (strcmp(name, "key") == 0) {
    cfg->key = value;
    return 0;
  }
  if (strcmp(name, "mode") == 0) {
    static const char *const modes[] = {"fast3", "fast2", "fast", "normal", "manual"};
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
      if (strcmp(value, modes[i]) == 0) {
        cfg->mode = modes[i];
        return 0;
      }
    }
    snprintf(why, whylen, "fast3, fast2, fast, normal or manual");
    return -1;
  }
  for (i = 0; i < sizeof(kcptun_nums) / sizeof(kcptun_nums[0]); i++) {
    const struct kcptun_opt_num *o = &kcptun_nums[i];
    if (strcmp(name, o->name) != 0) {
      continue;
    }
    if (kcptun_opts_num(value, o->min, o->max, &v) != 0) {
      snprintf(why, whylen, "a number %lu..%lu", o->min, o->max);
      return -1;
    }
    if (o->is_u32) {
      *(u32_t *)(void *)((char *)cfg + o->offset) = (u32_t)v;
    } else {
      *(int *)(void *)((char *)cfg + o->offset) = (int)v;
    }
    return 0;
  }
  snprintf(why, whylen, "a known kcptun setting");
  return -1;
}
