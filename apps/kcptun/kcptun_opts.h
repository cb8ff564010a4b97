/**
 * @file
 * kcptun's settings by name, as its flags spell them, for a command line
 * (./minimal's --kcptun-NAME) or a config file: one table says each
 * setting's type and range, so every front end checks them alike.
 */
#ifndef KCPTUN_OPTS_H
#define KCPTUN_OPTS_H

#include "kcptun.h"

#include <stddef.h>

/** Settings kcptun_opts_set() knows, with whether each takes a value. */
struct kcptun_opt_name {
  const char *name;
  int has_value;
};
extern const struct kcptun_opt_name kcptun_opt_names[];

/**
 * Set the setting @p name (without prefix: "listen", "target", "remote",
 * "local", "mode",
 * "mtu", ...) from text @p value (NULL for a flag such as "nocomp").
 * On error nothing changes and @p why says what was expected.
 * @return 0, or -1 with @p why filled
 */
int kcptun_opts_set(struct kcptun_config *cfg, const char *name, const char *value,
                    char *why, size_t whylen);

#endif /* KCPTUN_OPTS_H */
