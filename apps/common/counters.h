/**
 * @file
 * A snapshot of named counters, grouped by the module that keeps them, so
 * that one program can print every module's counters in one format: a line
 * per group ("udpecho: requests 6 bytes 9712 ..."), or one JSON object.
 *
 * Modules add their counters with counters_group() and counters_add() (in
 * the lwIP core thread, as they own them); the program then formats,
 * compares two snapshots for rates, or looks one counter up by name.
 * Names are lower case words joined by '_', the same in text and JSON.
 */
#ifndef COUNTERS_H
#define COUNTERS_H

#include "lwip/arch.h"

#include <stdio.h>

/** Most groups and counters a snapshot holds; more are ignored. */
#define COUNTERS_MAX_GROUPS 24
#define COUNTERS_MAX 192
#define COUNTERS_LABEL_LEN 32

struct counters {
  struct {
    char label[COUNTERS_LABEL_LEN]; /**< "tap tap0"; its JSON key has '_' for
                                         anything but letters, digits, '.', '-' */
    int first, count;               /**< its counters in entries[] */
  } groups[COUNTERS_MAX_GROUPS];
  struct {
    const char *name;               /**< a string literal of the module */
    u64_t value;
  } entries[COUNTERS_MAX];
  int ngroups, nentries;
};

void counters_init(struct counters *c);
void counters_group(struct counters *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void counters_add(struct counters *c, const char *name, u64_t value);
u64_t counters_get(const struct counters *c, const char *label, const char *name);
void counters_print_text(const struct counters *c, FILE *out);
void counters_print_json(const struct counters *c, FILE *out);

#endif /* COUNTERS_H */
