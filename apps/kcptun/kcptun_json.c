/**
 * @file
 * kcptun's JSON configuration file (see kcptun_json.h).
 */
#include "kcptun_json.h"

#include "kcptun_opts.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Keys kcptun knows that change nothing kcptun's peers can see. */
static const char *const kcptun_json_ignored[] = {
  "dscp", "sockbuf", "pprof", "quiet", "log", "snmplog", "snmpperiod", NULL
};

static int
kcptun_json_ignored_key(const char *key)
{
  int i;

  for (i = 0; kcptun_json_ignored[i] != NULL; i++) {
    if (strcmp(key, kcptun_json_ignored[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

/** One key and its value. @return 0, or -1 with @p why filled */
static int
kcptun_json_set(struct kcptun_config *cfg, const char *key, struct json_object *val,
                char *why, size_t whylen)
{
  char num[32], reason[128];
  const char *name = key, *text = NULL;
  char *copy;

  if (kcptun_json_ignored_key(key)) {
    return 0;
  }
  if (strcmp(key, "localaddr") == 0) {
    name = "local";
  } else if (strcmp(key, "remoteaddr") == 0) {
    name = "remote";
  }
  switch (json_object_get_type(val)) {
  case json_type_boolean:
    if (strcmp(key, "nocomp") == 0) {
      cfg->nocomp = json_object_get_boolean(val);
      return 0;
    }
    if (strcmp(key, "acknodelay") == 0) {
      cfg->acknodelay = json_object_get_boolean(val);
      return 0;
    }
    if (strcmp(key, "tcp") == 0 && !json_object_get_boolean(val)) {
      return 0;
    }
    snprintf(why, whylen, "\"%s\": %s", key,
             strcmp(key, "tcp") == 0 ? "kcptun's TCP emulation is not supported" :
             "not a true/false setting");
    return -1;
  case json_type_int:
    snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(val));
    text = num;
    break;
  case json_type_string:
    text = json_object_get_string(val);
    break;
  default:
    snprintf(why, whylen, "\"%s\": expected a string, number or boolean", key);
    return -1;
  }
  /* The configuration keeps pointers to strings (key, crypt): a copy that
     lives as long as the program. */
  copy = strdup(text);
  if (copy == NULL) {
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  if (kcptun_opts_set(cfg, name, copy, reason, sizeof(reason)) != 0) {
    snprintf(why, whylen, "\"%s\": '%s': expected %s", key, text, reason);
    free(copy);
    return -1;
  }
  if (cfg->key != copy && cfg->crypt != copy) {
    free(copy);
  }
  return 0;
}

int
kcptun_json_load(struct kcptun_config *cfg, const char *path, char *why, size_t whylen)
{
  struct json_object *root = json_object_from_file(path);
  int r = 0;

  if (root == NULL || !json_object_is_type(root, json_type_object)) {
    const char *err = json_util_get_last_err();
    int n = err != NULL ? (int)strcspn(err, "\n") : 0;
    snprintf(why, whylen, "%s: not a readable JSON object (%.*s)", path, n > 0 ? n : 13,
             n > 0 ? err : "not an object");
    json_object_put(root);
    return -1;
  }
  {
    json_object_object_foreach(root, key, val) {
      if (r == 0 && kcptun_json_set(cfg, key, val, why, whylen) != 0) {
        r = -1;
      }
    }
  }
  json_object_put(root);
  return r;
}
