/**
 * @file
 * kcp_client's command line, kept apart from main() so that it can be linked
 * alone (fuzz/fuzz_kcpc_args.c) and called any number of times: it never
 * exits, never touches the network, and resets getopt's state on entry.
 */
#ifndef KCPC_ARGS_H
#define KCPC_ARGS_H

#include <stdio.h>

#include "kcp_client.h"

/**
 * Parse and check argv into cfg. HOST and PORT are only taken, not resolved:
 * that is main's job, so that parsing stays free of system calls.
 *
 * @param cfg  filled with the defaults, then the options (addr, addrlen and
 *             peer are left zero)
 * @param host HOST from argv, or KCPC_DEFAULT_HOST
 * @param port PORT from argv, or the default port of the chosen echo
 * @param err  where a refusal is explained, followed by a hint to --help
 * @return 0 (cfg->help set if -h asked for the usage, cfg->version if
 *         --version asked for the version), or KCPC_EXIT_USAGE
 *         after a message on err
 */
int kcpc_args_parse(int argc, char **argv, struct kcpc_config *cfg,
                    const char **host, unsigned *port, FILE *err);

/** Print the usage text. */
void kcpc_args_usage(FILE *out);

#endif /* KCPC_ARGS_H */
