/* ing_eve: turns one POSTed batch (NDJSON, optionally gzip) into validated
 * events, or into one error with the HTTP status and line to report.
 *
 * The whole batch is checked before anything is stored: every line must be
 * a JSON object with canh.id (= "<canh.sensor>:<canh.seq>"), canh.sensor
 * equal to the sensor of the token, and canh.seq >= 0. Limits guard gzip
 * bombs and huge lines. No I/O and no global state: the fuzz target calls
 * it directly.
 */
#ifndef CANH_ING_EVE_H
#define CANH_ING_EVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db_event.h"

struct ing_limits {
    size_t max_decoded; /* bytes after gunzip */
    size_t max_line;    /* bytes of one NDJSON line */
    size_t max_events;  /* lines per batch */
};

/* The first problem found: status 400, 403 or 413; line is 1-based (0 when
 * the problem is not on one line). */
struct ing_error {
    int status;
    int line;
    char msg[200];
};

/* Which events get a jansson tree, and how much of it. Lines are parsed
 * onto a flat tape (ingest/ing_json.h); building a tree costs a malloc per
 * key and value, so it is built only for events that will be correlated
 * (or read, like `stats`), with only the top-level keys that are read. */
enum ing_want_kind { ING_WANT_NONE, ING_WANT_KEYS, ING_WANT_ALL };
struct ing_want {
    /* event_type: the event's "event_type" string, NULL when it is absent
     * (present false) or not a string (present true). */
    enum ing_want_kind (*type)(const char *event_type, bool present, void *arg);
    /* ING_WANT_KEYS: whether to copy this top-level member. */
    bool (*key)(const char *key, size_t len, void *arg);
    void *arg;
    /* true: ING_WANT_KEYS trees are not built while parsing; the caller
     * takes each with ing_batch_tree() when it uses it and frees it at once
     * (a tree used while still in cache, and malloc reusing its chunks, cost
     * about half of 5000 trees built first and freed with the batch). The
     * want (and its arg) must then live as long as the batch. */
    bool later;
};

/* One validated event. in.* point into the batch (valid until it is freed). */
struct ing_event {
    struct db_event_in in;
    json_t *json; /* borrowed from the batch; NULL when not built (struct ing_want) */
    enum ing_want_kind want; /* what want->type said (ING_WANT_ALL without a want) */
};

struct ing_batch;

/* Parse body (borrowed). gzip: body is a gzip stream (Content-Encoding).
 * sensor: the token's sensor, or NULL to accept any (tests, replay).
 * want: NULL gives every event its whole tree.
 * Returns NULL and fills *err when the batch is rejected or memory runs out
 * (status 500). Validation does not depend on want. */
struct ing_batch *ing_eve_parse_want(const char *body, size_t len, bool gzip,
                                     const char *sensor, const struct ing_limits *lim,
                                     const struct ing_want *want, struct ing_error *err);
/* ing_eve_parse_want with want NULL. */
struct ing_batch *ing_eve_parse(const char *body, size_t len, bool gzip, const char *sensor,
                                const struct ing_limits *lim, struct ing_error *err);
size_t ing_batch_count(const struct ing_batch *b);
/* The tree of event i as its want asks (struct ing_want.later): a new
 * reference for the caller, or NULL when it wants none or memory ran out.
 * The line is parsed again (it was valid), with the batch's own parser:
 * one caller at a time. */
json_t *ing_batch_tree(struct ing_batch *b, size_t i);
const struct ing_event *ing_batch_get(const struct ing_batch *b, size_t i);
void ing_batch_free(struct ing_batch *b);

/* Fill the indexed columns of *in from an EVE object (borrowed pointers into
 * ev). raw/raw_len and canh fields are left as they are. */
void ing_eve_columns(json_t *ev, struct db_event_in *in);

/* RFC 3339 ("2026-11-27T02:56:47.123456+00:00", also "Z" and +hhmm) to
 * microseconds since the epoch; 0 when it does not parse. */
int64_t ing_eve_time(const char *s);

#endif
