/* ship_es_private: what the files of correlator/ship share (not public).
 *
 * ship_es.c owns the queue, batching, back-off and per-item outcomes;
 * ship_es_curl.c drives libcurl's multi handle from the libevent loop;
 * ship_es_tmpl.c installs the index templates before the first bulk request.
 * A request (struct ship_es_req) is built by its owner, started with
 * ship_es_curl_start() and handed back, finished, to ship_es_req_done().
 */
#ifndef CANH_SHIP_ES_PRIVATE_H
#define CANH_SHIP_ES_PRIVATE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ship/ship_es.h"

struct event;

/* One queued document, kept as the NDJSON it will be sent as:
 * {"create":{"_index":"<index>","_id":"<id>"}}\n<doc>\n */
struct ship_es_item {
    struct ship_es_item *next;
    uint64_t cookie;
    uint32_t attempts;
    uint32_t len;        /* bytes of data[] */
    uint16_t index_len, id_len;
    char data[];
};

#define SHIP_ES_ACTION_HEAD "{\"create\":{\"_index\":\""
#define SHIP_ES_ACTION_MID "\",\"_id\":\""
#define SHIP_ES_ACTION_TAIL "\"}}\n"

enum ship_es_req_kind {
    SHIP_ES_REQ_BULK,
    SHIP_ES_REQ_TMPL_GET,
    SHIP_ES_REQ_TMPL_PUT,
};

struct ship_es_req {
    struct ship_es *s;
    struct ship_es_req *next;     /* in-flight list */
    enum ship_es_req_kind kind;
    CURL *easy;
    struct curl_slist *hdrs;
    char *body;                   /* owned; what goes on the wire */
    size_t body_len, raw_len;
    char *resp;                   /* owned; response body, NUL-terminated */
    size_t resp_len, resp_cap;
    struct ship_es_item **items;  /* bulk: the batch, in request order */
    size_t nitems;
    size_t tmpl;                  /* template requests: index in s->tmpls */
    char errbuf[CURL_ERROR_SIZE];
};

struct ship_es_tmpl {
    char *name;
    char *body;
    long version;                 /* -1 when the file has none */
};

struct ship_es {
    struct event_base *base;
    struct ship_es_cfg cfg;       /* strings below are owned copies */
    char *url, *username, *password, *api_key, *ca_file;
    char *index_events, *index_incidents;
    char *auth_header;            /* "Authorization: ApiKey ..." */

    CURLM *multi;
    struct event *curl_timer;     /* curl's timeout */
    struct event *kick_ev;        /* deferred "send what can be sent" */
    struct event *age_ev;         /* oldest queued document reached flush_ms */
    struct event *backoff_ev;

    struct ship_es_item *head, *tail;
    size_t queued_docs;
    uint64_t queued_bytes;        /* NDJSON bytes in the queue */
    uint64_t held_bytes;          /* queued + in flight, against queue_max_bytes */
    size_t inflight_docs;
    unsigned ninflight;
    struct ship_es_req *inflight;
    uint32_t batch_bytes_cur;     /* lowered after a 413 */
    bool flush_due, age_armed, backoff_active;
    uint32_t backoff_ms;

    struct ship_es_tmpl *tmpls;
    size_t ntmpls, tmpl_next;
    bool tmpl_busy;

    struct ship_es_stats st;
};

/* ship_es_curl.c */
int ship_es_curl_init(struct ship_es *s);
void ship_es_curl_fini(struct ship_es *s);
/* Sets the common options (URL = s->url + path, auth, TLS, timeouts) on a
 * new easy handle for r and adds it to the multi handle. method: "GET",
 * "PUT" or "POST" (r->body is sent for PUT and POST). 0 or <0. */
int ship_es_curl_start(struct ship_es *s, struct ship_es_req *r, const char *method,
                       const char *path, const char *content_type, bool gzipped);
/* Removes r's easy handle (if any) and frees r with its body and response;
 * the items pointer array is freed, not the items. */
void ship_es_req_free(struct ship_es_req *r);

/* ship_es.c: called by the curl glue for every finished request. curl_rc
 * is CURLE_OK when an HTTP answer came back (status in http_status). */
void ship_es_req_done(struct ship_es *s, struct ship_es_req *r, CURLcode curl_rc,
                      long http_status);
/* Schedules a pass that starts what can be started (never re-entrant). */
void ship_es_kick(struct ship_es *s);
/* Arms the back-off timer after a failed request (doubling up to max). */
void ship_es_backoff(struct ship_es *s);
/* Resets the back-off after a success. */
void ship_es_backoff_reset(struct ship_es *s);
/* Records a request failure text in the stats and the log (rate-limited). */
void ship_es_note_error(struct ship_es *s, const char *what);

/* ship_es_tmpl.c */
/* Starts the next template step when one is due and none runs. */
void ship_es_tmpl_step(struct ship_es *s);
void ship_es_tmpl_done(struct ship_es *s, struct ship_es_req *r, CURLcode rc, long status);
void ship_es_tmpl_free_all(struct ship_es *s);

#endif
