/* cfg: one YAML config file per daemon, checked against a schema table.
 *
 * The schema lists every key path with its type, default, bounds and a
 * one-line help (as Redis's static_configs[] and nginx's directive tables).
 * A key component '*' matches any one map key or sequence index, for
 * user-named entries such as "vars.address-groups.*". Unknown keys, wrong
 * types and values out of range are errors reported as
 *   sensor: error: cfg: /etc/canh/sensor.yaml:14:5: flow.memcap: "12X" is not a size (e.g. 512mb)
 * and every error is reported, not just the first. `--set key=value`
 * overrides go through the same checks ("--set" stands for the file).
 *
 * Getters are for start-up: each module copies its typed values into its own
 * struct in x_init; nothing looks up a string on the packet path.
 * Not thread-safe; one owner.
 */
#ifndef CANH_CFG_H
#define CANH_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
    CFG_BOOL,     /* yes/no true/false on/off 1/0 */
    CFG_INT,      /* decimal integer, checked against min..max when min < max */
    CFG_SIZE,     /* bytes: 4096, 64kb, 512mb, 2gb (1024-based), checked like CFG_INT */
    CFG_STR,      /* any scalar */
    CFG_LIST,     /* a sequence of scalars, or one scalar (a list of one) */
};

struct cfg_opt {
    const char *key;    /* dotted path, '*' matches one component */
    enum cfg_type type;
    const char *def;    /* default as YAML text; NULL means unset */
    int64_t min, max;   /* bounds for INT and SIZE when min < max */
    const char *help;   /* one line, shown by cfg_dump and in the example configs */
};

struct cfg;

/* An empty config; each module adds its own schema table (which must outlive
 * the cfg) before anything is loaded. Errors go to log_error("cfg", ...). */
struct cfg *cfg_new(void);
int cfg_add_schema(struct cfg *c, const struct cfg_opt *opts, size_t nopts);
void cfg_free(struct cfg *c);

/* Load a YAML file. Returns the number of errors found (0 when all is well);
 * each one has been logged with file:line:col. */
int cfg_load_file(struct cfg *c, const char *path);
/* The same from memory; name is used in messages. For tests and fuzzing. */
int cfg_load_string(struct cfg *c, const char *name, const char *yaml, size_t len);
/* "key=value" from the command line. 0 or 1 (errors logged). A LIST value
 * may be given as "[a, b]" or "a,b". */
int cfg_set(struct cfg *c, const char *assignment);

/* Getters take a concrete key (no '*'); an unset key gives the schema default.
 * A key that is not in the schema is a programming error: logged, zero returned. */
bool cfg_get_bool(const struct cfg *c, const char *key);
int64_t cfg_get_int(const struct cfg *c, const char *key);   /* INT and SIZE */
const char *cfg_get_str(const struct cfg *c, const char *key); /* NULL if unset */
/* Items of a LIST (borrowed, valid until the cfg changes); returns the count. */
size_t cfg_get_list(const struct cfg *c, const char *key, const char *const **items);
/* True when the key was set by the file or --set (not just a default). */
bool cfg_is_set(const struct cfg *c, const char *key);

/* Calls cb for each key set in the file or by --set that matches pattern
 * (with '*' components), in file order. Returns how many matched. */
typedef void (*cfg_each_fn)(const char *key, const char *value, void *arg);
size_t cfg_each(const struct cfg *c, const char *pattern, cfg_each_fn cb, void *arg);

/* Every schema key with its effective value, as "key: value  # help" lines. */
void cfg_dump(const struct cfg *c, FILE *out);

/* Parse helpers shared with callers that take values elsewhere. 0 or -1. */
int cfg_parse_bool(const char *s, bool *out);
int cfg_parse_size(const char *s, int64_t *out);

#endif
