/* ship_es: the correlator's bulk shipper to Elasticsearch 8 / OpenSearch 2.
 *
 * Documents queued with ship_es_add() are sent as gzip'ed `_bulk` requests
 * of `create` actions with the caller's deterministic _id (canh.id for an
 * event, "<incident id>:<version>" for an incident), so a resend never makes
 * a duplicate: a 409 on an item counts as delivered. Batches close by size,
 * by count or by age. All I/O runs on the caller's libevent loop through
 * libcurl's multi interface (the hiperfifo pattern): nothing ever blocks the
 * loop, and ship_es_add() only copies into a bounded in-memory queue.
 *
 * Per item, the bulk response decides: 2xx/409 done; 429, 5xx and other
 * transient refusals (blocks, missing index) are retried in order at the
 * head of the queue after a back-off; a 400 (mapping or parse error) rejects
 * that item alone, with its reason, and the rest go on. Each queued item gets
 * exactly one final outcome (DONE or REJECTED) through the result callback,
 * possibly after RETRY notes. The durable outbox (SQLite) is the store's; it
 * feeds ship_es_add() and deletes a row on its final outcome.
 *
 * One owner, the loop's thread. Not thread-safe.
 */
#ifndef CANH_SHIP_ES_H
#define CANH_SHIP_ES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;
struct cfg;

enum ship_es_err {
    SHIP_ES_ERR_NOMEM = -1,
    SHIP_ES_ERR_INVAL = -2,
    SHIP_ES_ERR_LIMIT = -3, /* queue full: not queued, the caller keeps it */
    SHIP_ES_ERR_EXIST = -4,
    SHIP_ES_ERR_NOENT = -5,
    SHIP_ES_ERR_IO = -6,
    SHIP_ES_ERR_PARSE = -7,
};

/* Outcomes passed to the result callback. */
enum ship_es_outcome {
    SHIP_ES_DONE = 0,     /* final: stored (2xx) or already there (409) */
    SHIP_ES_RETRY = 1,    /* note: this attempt failed, it will be sent again */
    SHIP_ES_REJECTED = 2, /* final: refused for good (400: mapping, parse); reason says why */
};

/* reason: NULL for DONE; "<http status> <error.type>: <error.reason>" or the
 * transport error otherwise. Borrowed for the call. Called on the loop. */
typedef void (*ship_es_result_fn)(void *arg, uint64_t cookie, int outcome, const char *reason);

/* Typed `elasticsearch` section. Strings are borrowed; ship_es_new() copies
 * what it keeps. */
struct ship_es_cfg {
    const char *url;           /* http(s)://host:port[/prefix] of the cluster */
    const char *username;      /* basic auth when set (with password) */
    const char *password;
    const char *api_key;       /* "Authorization: ApiKey <api_key>" when set */
    const char *ca_file;       /* PEM CA bundle; NULL = system store */
    bool verify_tls;           /* peer and host name verification (default on) */
    bool gzip;                 /* Content-Encoding: gzip request bodies */
    uint32_t batch_docs;       /* a batch closes at this many documents */
    uint32_t batch_bytes;      /* ... or at this many NDJSON bytes (before gzip) */
    uint32_t flush_ms;         /* ... or when its oldest document is this old */
    uint32_t max_inflight;     /* concurrent _bulk requests (1 keeps order per index) */
    uint32_t timeout_ms;       /* whole request */
    uint32_t retry_min_ms, retry_max_ms; /* back-off after a failed request, doubling */
    uint64_t queue_max_bytes;  /* bound of queued + in-flight documents */
    const char *index_events;  /* strftime pattern in UTC, e.g. "canh-events-%Y.%m.%d" */
    const char *index_incidents;
    const char *templates_dir; /* deploy/elasticsearch; NULL = do not install */
    ship_es_result_fn on_result;
    void *on_result_arg;
};

/* Fills *cfg with the built-in defaults (no URL). */
void ship_es_cfg_defaults(struct ship_es_cfg *cfg);
/* Adds the elasticsearch.* keys to the schema (ship_es_cfg.c). */
int ship_es_cfg_schema(struct cfg *c);
/* Fills *out from a loaded cfg (strings borrowed from it). 0, or
 * SHIP_ES_ERR_INVAL after logging what is wrong. out->url is NULL when
 * elasticsearch.enabled is false. Callback fields are left NULL. */
int ship_es_cfg_load(const struct cfg *c, struct ship_es_cfg *out);

struct ship_es;

/* A shipper on base. NULL on error (logged). Sends nothing until documents
 * are added or templates are to be installed. */
struct ship_es *ship_es_new(struct event_base *base, const struct ship_es_cfg *cfg);
/* Drops what is queued or in flight without outcomes (the outbox still has
 * them) and frees; accepts NULL. */
void ship_es_free(struct ship_es *s);

/* Reads every *.json in dir (the file name without .json is the template
 * name; each is checked to be a JSON object) and schedules, before any bulk
 * request, GET _index_template/<name> and a PUT when it is missing or older
 * (its "version" is lower). Bulk sending waits until all are in place, so no
 * index is created with dynamic mappings. Retried with back-off while the
 * cluster is unreachable. 0, or <0 when the directory or a file is bad. */
int ship_es_install_templates(struct ship_es *s, const char *dir);
/* True once every template is in place (or none was asked for). */
bool ship_es_templates_ready(const struct ship_es *s);

/* Queue one document. index: a concrete index name (lowercase, no '*' or
 * spaces); id: 1-512 printable bytes without '"' or '\\'; json: one JSON
 * object on one line (not checked further: the cluster judges it and a bad
 * one is REJECTED). Copies everything. 0, SHIP_ES_ERR_INVAL, or
 * SHIP_ES_ERR_LIMIT when the queue bound is reached (nothing queued; ingest
 * goes on and the outbox resends later). */
int ship_es_add(struct ship_es *s, const char *index, const char *id, const char *json,
                size_t len, uint64_t cookie);

/* Index name for an event at time t (UTC) from the configured pattern.
 * kind 0: events, 1: incidents. 0 or SHIP_ES_ERR_LIMIT when it does not fit. */
int ship_es_index_name(const struct ship_es *s, int kind, time_t t, char *out, size_t cap);

/* Send partial batches now instead of waiting for flush_ms. */
void ship_es_flush(struct ship_es *s);
/* Documents queued or in flight (not yet final). */
size_t ship_es_pending(const struct ship_es *s);

struct ship_es_stats {
    uint64_t added;           /* accepted by ship_es_add */
    uint64_t refused_full;    /* SHIP_ES_ERR_LIMIT returns */
    uint64_t done;            /* final DONE, of which: */
    uint64_t duplicates;      /*   409: was already stored */
    uint64_t rejected;        /* final REJECTED */
    uint64_t retried;         /* RETRY notes (one per item per failed attempt) */
    uint64_t requests;        /* _bulk requests completed (any status) */
    uint64_t request_failures;/* transport errors and non-200 statuses */
    uint64_t bytes_raw;       /* NDJSON bytes sent */
    uint64_t bytes_sent;      /* body bytes on the wire (after gzip) */
    uint64_t templates_put;   /* templates installed or upgraded */
    uint64_t queued_docs, queued_bytes, inflight_docs;
    char last_reject[256];    /* "<index>/<id>: <reason>" of the latest rejection */
    char last_error[256];     /* latest request failure (curl or HTTP) */
};
void ship_es_stats_get(const struct ship_es *s, struct ship_es_stats *out);

#endif
