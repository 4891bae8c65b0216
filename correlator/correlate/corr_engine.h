/* corr_engine: Sigma detection rules and Sigma correlation rules evaluated
 * on EVE events, producing "hits" that the correlator turns into incidents.
 *
 * Rules are YAML files (libyaml) whose detection fields are EVE field paths
 * (alert.signature_id, src_ip, app_proto, fileinfo.sha256, ...). Correlation
 * windows use event time (the EVE "timestamp"), never the wall clock, so a
 * replayed capture correlates the same way every time.
 *
 * Ownership: a corr_rules set is immutable once loaded and may be shared;
 * a corr_engine holds the correlation state and has one owner (the
 * correlator's loop). Events are jansson objects, borrowed for the call.
 */
#ifndef CANH_CORR_ENGINE_H
#define CANH_CORR_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct corr_rules;
struct corr_engine;

/* Load every *.yml / *.yaml under dir (recursively). Each rule that does not
 * parse is logged as "file:line: reason" and counted in *nerrors; the others
 * load. Returns NULL only when dir cannot be read. */
struct corr_rules *corr_rules_load_dir(const char *dir, int *nerrors);
/* One file or a YAML text (for tests and fuzzing); name is used in messages. */
struct corr_rules *corr_rules_load_string(const char *name, const char *yaml, size_t len,
                                          int *nerrors);
size_t corr_rules_count(const struct corr_rules *r);
void corr_rules_free(struct corr_rules *r);

/* A hit: a plain Sigma rule matched one event, or a correlation rule's
 * condition became true for one group-by key. Everything is borrowed for
 * the duration of the callback. */
struct corr_hit {
    const char *rule_id;       /* Sigma id (uuid) or the file-derived name */
    const char *rule_title;
    const char *rule_title_vi; /* optional Vietnamese title, NULL if none */
    const char *description;
    const char *description_vi; /* optional Vietnamese description, NULL if none */
    int severity;              /* 1 (critical/high) .. 4 (low/informational), from `level` */
    const char *level;         /* the Sigma level text */
    const char *const *tags;   /* e.g. "attack.t1046" */
    size_t ntags;
    const char *group_key;     /* canonical "field=value|field=value", "" for none */
    json_t *group_fields;      /* object: group-by field -> value */
    json_t *matched;           /* object: field -> value that matched (of the last event) */
    const char *const *event_ids; /* canh.id of the events making up the hit */
    size_t nevents;
    int64_t first_us, last_us; /* event times (microseconds since the epoch) */
};

typedef void (*corr_hit_fn)(const struct corr_hit *hit, void *arg);

struct corr_engine *corr_engine_new(const struct corr_rules *rules);
void corr_engine_free(struct corr_engine *e);

/* Evaluate one event (its time is read from "timestamp"); calls cb for every
 * hit. Returns the number of hits, or a negative value when the event is not
 * an object. */
int corr_engine_feed(struct corr_engine *e, json_t *event, corr_hit_fn cb, void *arg);

/* Forget correlation state older than every window at event time now_us. */
void corr_engine_expire(struct corr_engine *e, int64_t now_us);

/* Parse an EVE/RFC 3339 timestamp to microseconds since the epoch; -1 if bad. */
int64_t corr_parse_time(const char *s);

/* Added by the correlation engine (see correlate/README.md). */

/* Bounds of the correlation state. max_groups caps the (rule, group key)
 * entries across all rules (the least recently touched is evicted and
 * counted); max_values caps what one group keeps (event times for
 * event_count, distinct values for value_count). 0 keeps the default
 * (CORR_DEFAULT_MAX_GROUPS, CORR_DEFAULT_MAX_VALUES). */
#define CORR_DEFAULT_MAX_GROUPS 100000
#define CORR_DEFAULT_MAX_VALUES 4096
/* event_ids of a correlation hit: the most recent contributors, at most this. */
#define CORR_HIT_MAX_EVENTS 100
void corr_engine_set_limits(struct corr_engine *e, size_t max_groups, size_t max_values);

struct corr_stats {
    uint64_t events;         /* events fed */
    uint64_t bad_time;       /* events without a parsable "timestamp" (last good time used) */
    uint64_t hits;           /* hits reported to the callback */
    uint64_t groups;         /* correlation groups held now */
    uint64_t groups_evicted; /* groups dropped because max_groups was reached */
    uint64_t groups_expired; /* groups dropped by corr_engine_expire */
    uint64_t values_dropped; /* times/values dropped because max_values was reached */
};
void corr_engine_stats(const struct corr_engine *e, struct corr_stats *out);

/* Prefilter, for the caller that parses events (ingest): false when no rule
 * can match an event whose "event_type" is this string (it need not be fed
 * at all). event_type NULL: the event has none (present false) or it is not
 * a string (present true). */
bool corr_rules_may_match(const struct corr_rules *r, const char *event_type, bool present);
/* Whether some rule (or the engine: timestamp, canh) reads this top-level
 * member of an event; the others may be left out of the events fed. */
bool corr_rules_reads_key(const struct corr_rules *r, const char *key, size_t len);

/* `canh-correlator --test-rules DIR`: load DIR, print "N rules loaded, M failed"
 * on stdout (each failure is logged with file:line), return 0 when M == 0
 * else 1 (an exit code). */
int corr_test_rules_main(const char *dir);

#endif
