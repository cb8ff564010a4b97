/**
 * @file
 * kcptun's JSON configuration file (kcptun's -c FILE, as in the examples
 * Debian ships under /usr/share/doc/kcptun/examples) read into a
 * kcptun_config through kcptun_opts, so a file and the command line accept
 * exactly the same settings. Parsed with json-c.
 */
#ifndef KCPTUN_JSON_H
#define KCPTUN_JSON_H

#include "kcptun.h"

#include <stddef.h>

/**
 * Apply every setting of the JSON object in @p path to @p cfg. kcptun's
 * client keys localaddr and remoteaddr are our local and remote; settings
 * that only tune kcptun's Go runtime or its logging (dscp, sockbuf,
 * acknodelay, pprof, quiet, log, snmplog, snmpperiod) are accepted and
 * ignored; "tcp": true and unknown keys are refused. On error @p why says which key and why;
 * settings before it may have been applied.
 * @return 0, or -1
 */
int kcptun_json_load(struct kcptun_config *cfg, const char *path, char *why, size_t whylen);

#endif /* KCPTUN_JSON_H */
