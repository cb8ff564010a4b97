/**
 * @file
 * A snapshot of named counters (see counters.h).
 */
#include "counters.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

/** Empty the snapshot. */
void
counters_init(struct counters *c)
{
  c->ngroups = 0;
  c->nentries = 0;
}

/**
 * Start a group: the counters added next belong to it.
 * @param fmt its label, printf-style ("tap %s"); cut at COUNTERS_LABEL_LEN
 */
void
counters_group(struct counters *c, const char *fmt, ...)
{
  va_list ap;

  if (c->ngroups >= COUNTERS_MAX_GROUPS) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(c->groups[c->ngroups].label, COUNTERS_LABEL_LEN, fmt, ap);
  va_end(ap);
  c->groups[c->ngroups].first = c->nentries;
  c->groups[c->ngroups].count = 0;
  c->ngroups++;
}

/** Add one counter to the current group; name must outlive the snapshot. */
void
counters_add(struct counters *c, const char *name, u64_t value)
{
  if (c->ngroups == 0 || c->nentries >= COUNTERS_MAX) {
    return;
  }
  c->entries[c->nentries].name = name;
  c->entries[c->nentries].value = value;
  c->nentries++;
  c->groups[c->ngroups - 1].count++;
}

/** The value of counter name in group label, 0 if there is none. */
u64_t
counters_get(const struct counters *c, const char *label, const char *name)
{
  int g, i;

  for (g = 0; g < c->ngroups; g++) {
    if (strcmp(c->groups[g].label, label) != 0) {
      continue;
    }
    for (i = c->groups[g].first; i < c->groups[g].first + c->groups[g].count; i++) {
      if (strcmp(c->entries[i].name, name) == 0) {
        return c->entries[i].value;
      }
    }
  }
  return 0;
}

/** One line per group: "label: name value name value ...". */
void
counters_print_text(const struct counters *c, FILE *out)
{
  int g, i;

  for (g = 0; g < c->ngroups; g++) {
    fprintf(out, "%s:", c->groups[g].label);
    for (i = c->groups[g].first; i < c->groups[g].first + c->groups[g].count; i++) {
      fprintf(out, " %s %llu", c->entries[i].name, (unsigned long long)c->entries[i].value);
    }
    fputc('\n', out);
  }
}

/**
 * The groups as JSON members, without the enclosing braces, so that the
 * caller can add its own: "tap_tap0":{"in":5,...},"icmp":{...}
 */
void
counters_print_json(const struct counters *c, FILE *out)
{
  const char *l;
  int g, i;

  for (g = 0; g < c->ngroups; g++) {
    fputs(g > 0 ? ",\"" : "\"", out);
    for (l = c->groups[g].label; *l != '\0'; l++) {
      fputc(isalnum((unsigned char)*l) || *l == '.' || *l == '-' ? *l : '_', out);
    }
    fputs("\":{", out);
    for (i = c->groups[g].first; i < c->groups[g].first + c->groups[g].count; i++) {
      fprintf(out, "%s\"%s\":%llu", i > c->groups[g].first ? "," : "", c->entries[i].name,
              (unsigned long long)c->entries[i].value);
    }
    fputc('}', out);
  }
}
