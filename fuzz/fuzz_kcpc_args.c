/**
 * @file
 * libFuzzer target for kcp_client's command line
 * (examples/kcp_client/kcpc_args.c).
 *
 * The input is an argument vector: its bytes split at every NUL (a final
 * NUL ends the last argument, it does not start an empty one), at most
 * FA_ARGS_MAX arguments after "kcp_client", and no input longer than
 * FA_INPUT_MAX. kcpc_args_parse() gets it twice, and a violation aborts:
 * - the result is 0 or KCPC_EXIT_USAGE (2), the same both times, with the
 *   same configuration, host and port: getopt's state does not leak from one
 *   parse into the next (the first parse may stop inside "-hh");
 * - a refusal writes an explanation to the error stream, a success nothing;
 * - on success every value lies in the range the usage documents, options
 *   that need --bench or KCP were not taken without them, the size fits a
 *   message, HOST is the default or one of the arguments, PORT is 1..65535,
 *   and nothing was resolved (no network from the parser).
 * The error stream is a counting sink, so refusals print nothing while
 * fuzzing and sanitizer reports still reach stderr.
 */
#include "ikcp.h"
#include "kcpc_args.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Arguments after argv[0]; more than any real command line needs. */
#define FA_ARGS_MAX 32
/** Longer inputs are skipped: the parser's cost is per argument, not per byte. */
#define FA_INPUT_MAX 4096

/** Bytes the parser wrote to its error stream since the last reset. */
static size_t fa_err_bytes;
static FILE *fa_err;

static void fa_fail(const char *what) __attribute__((noreturn));

static void
fa_fail(const char *what)
{
  fprintf(stderr, "fuzz_kcpc_args: invariant broken: %s\n", what);
  abort();
}

static ssize_t
fa_err_write(void *cookie, const char *buf, size_t len)
{
  (void)cookie;
  (void)buf;
  fa_err_bytes += len;
  return (ssize_t)len;
}

static void
fa_check_range(uint64_t v, uint64_t min, uint64_t max, const char *what)
{
  if (v < min || v > max) {
    fa_fail(what);
  }
}

/** What a successful parse promises about cfg, host and port. */
static void
fa_check_config(const struct kcpc_config *cfg, const char *host, unsigned port,
                int argc, char **argv)
{
  static const char *const profiles[] = { "normal", "fast", "fast2", "fast3" };
  int i, known = 0;

  if (cfg->help || cfg->version) {
    return; /* -h and --version stop the parse: nothing else was taken */
  }
  fa_check_range(cfg->wnd, 1, 32768, "--wnd out of range");
  fa_check_range(cfg->mtu, 50, 1500, "--mtu out of range");
  fa_check_range(cfg->timeout_s, 1, 3600, "--timeout out of range");
  fa_check_range(cfg->clients, 1, KCPC_CLIENTS_MAX, "--clients out of range");
  fa_check_range(cfg->interval_ms, 0, 3600000, "--interval out of range");
  fa_check_range(cfg->duration_s, 0, 86400, "--duration out of range");
  fa_check_range(cfg->max_reconnects, 1, 1000, "--max-reconnects out of range");
  if (cfg->count != UINT64_MAX) {
    fa_check_range(cfg->count, 1, 1000000000000ull, "--count out of range");
  } else if (cfg->duration_s == 0) {
    fa_fail("unlimited --count without --duration");
  }
  if (cfg->size_min < 1 || cfg->size_min > cfg->size_max || cfg->size_max > kcpc_msg_max(cfg)) {
    fa_fail("--size outside 1..largest message, or MIN > MAX");
  }
  for (i = 0; i < 4; i++) {
    known |= cfg->profile != NULL && strcmp(cfg->profile, profiles[i]) == 0;
  }
  if (!known) {
    fa_fail("unknown profile accepted");
  }
  if (cfg->cc == NULL || ikcp_cc_find(cfg->cc) == NULL) {
    fa_fail("unknown congestion control accepted");
  }
  if (!cfg->bench && (cfg->count != KCPC_DEFAULT_COUNT || cfg->size_min != KCPC_DEFAULT_SIZE ||
                      cfg->size_max != KCPC_DEFAULT_SIZE || cfg->interval_ms != 0 ||
                      cfg->duration_s != 0 || cfg->clients != 1 || cfg->seed != 1 ||
                      cfg->json || cfg->reconnect || cfg->sha256)) {
    fa_fail("a benchmark option taken without --bench");
  }
  if (cfg->tcp && (cfg->stream || cfg->conv_set || strcmp(cfg->profile, "fast") != 0 ||
                   strcmp(cfg->cc, "classic") != 0)) {
    fa_fail("a KCP option taken with --tcp");
  }
  if (cfg->max_reconnects != KCPC_DEFAULT_RECONNECTS && !cfg->reconnect) {
    fa_fail("--max-reconnects taken without --reconnect");
  }
  if (cfg->sha256 && cfg->clients != 1) {
    fa_fail("--sha256 taken with several clients");
  }
  if (cfg->addrlen != 0 || cfg->peer[0] != '\0') {
    fa_fail("the parser resolved the server");
  }
  known = host != NULL && strcmp(host, KCPC_DEFAULT_HOST) == 0;
  for (i = 1; i < argc; i++) {
    known |= host == argv[i];
  }
  if (!known) {
    fa_fail("HOST is neither the default nor an argument");
  }
  fa_check_range(port, 1, 65535, "PORT out of range");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  static const cookie_io_functions_t sink = { NULL, fa_err_write, NULL, NULL };

  (void)argc;
  (void)argv;
  fa_err = fopencookie(NULL, "w", sink);
  if (fa_err == NULL) {
    fa_fail("no error stream");
  }
  setvbuf(fa_err, NULL, _IONBF, 0);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char prog[] = "kcp_client";
  char *args[FA_ARGS_MAX + 2];
  char *buf;
  struct kcpc_config cfg[2];
  const char *host[2];
  unsigned port[2];
  size_t i, start;
  int argc = 1, rc[2], k;

  if (size > FA_INPUT_MAX) {
    return 0;
  }
  /* A copy of exactly the input plus its terminator: ASan sees any read past an argument. */
  buf = malloc(size + 1);
  if (buf == NULL) {
    return 0;
  }
  memcpy(buf, data, size);
  buf[size] = '\0';
  args[0] = prog;
  for (i = 0, start = 0; i < size && argc <= FA_ARGS_MAX; i++) {
    if (buf[i] == '\0') {
      args[argc++] = buf + start;
      start = i + 1;
    }
  }
  if (start < size && argc <= FA_ARGS_MAX) {
    args[argc++] = buf + start;
  }
  args[argc] = NULL;

  for (k = 0; k < 2; k++) {
    fa_err_bytes = 0;
    rc[k] = kcpc_args_parse(argc, args, &cfg[k], &host[k], &port[k], fa_err);
    if (rc[k] != 0 && rc[k] != KCPC_EXIT_USAGE) {
      fa_fail("result neither 0 nor KCPC_EXIT_USAGE");
    }
    if ((rc[k] != 0) != (fa_err_bytes != 0)) {
      fa_fail(rc[k] ? "refused without a message" : "accepted with a message");
    }
    if (rc[k] == 0) {
      fa_check_config(&cfg[k], host[k], port[k], argc, args);
    }
  }
  if (rc[0] != rc[1] ||
      (rc[0] == 0 && (memcmp(&cfg[0], &cfg[1], sizeof(cfg[0])) != 0 ||
                      host[0] != host[1] || port[0] != port[1]))) {
    fa_fail("a second parse of the same arguments differs");
  }
  free(buf);
  return 0;
}
