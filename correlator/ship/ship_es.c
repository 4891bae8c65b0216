/* ship_es: the queue, batching, back-off and per-item outcomes of the bulk
 * shipper (see ship_es.h for the contract).
 *
 * Documents wait in one FIFO. A pass (kick) moves a batch from its head into
 * a _bulk request when the batch is full, when the age timer has fired or on
 * ship_es_flush(). Items to retry go back to the head in their original
 * order, so with max_inflight 1 documents reach each index in queue order.
 * The loop is never blocked: the CPU work per request is gzip of one batch
 * (<= batch_bytes, level 1) and parsing its filter_path'ed answer.
 */
#include "ship/ship_es_private.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "log.h"

#define ES_BULK_PATH "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason"

void ship_es_cfg_defaults(struct ship_es_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->verify_tls = true;
    c->gzip = true;
    c->batch_docs = 2000;
    c->batch_bytes = 4u << 20;
    c->flush_ms = 1000;
    c->max_inflight = 1;
    c->timeout_ms = 30000;
    c->retry_min_ms = 200;
    c->retry_max_ms = 30000;
    c->queue_max_bytes = 256u << 20;
    c->index_events = "canh-events-%Y.%m.%d";
    c->index_incidents = "canh-incidents";
}

static char *es_dup(const char *v)
{
    return v && *v ? strdup(v) : NULL;
}

static void es_kick_cb(evutil_socket_t fd, short kind, void *arg);
static void es_age_cb(evutil_socket_t fd, short kind, void *arg);
static void es_backoff_cb(evutil_socket_t fd, short kind, void *arg);

struct ship_es *ship_es_new(struct event_base *base, const struct ship_es_cfg *cfg)
{
    struct ship_es *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->base = base;
    s->cfg = *cfg;
    if (!cfg->url || (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0)) {
        log_error("ship_es", "elasticsearch.url: \"%s\" is not an http:// or https:// URL",
                  cfg->url ? cfg->url : "");
        goto fail;
    }
    if (cfg->batch_docs == 0 || cfg->batch_bytes == 0 || cfg->max_inflight == 0 ||
        cfg->timeout_ms == 0) {
        log_error("ship_es", "batch size, in-flight count and timeout must be above zero");
        goto fail;
    }
    s->url = strdup(cfg->url);
    if (!s->url)
        goto fail;
    size_t ul = strlen(s->url);
    while (ul > 0 && s->url[ul - 1] == '/')
        s->url[--ul] = '\0';
    s->username = es_dup(cfg->username);
    s->password = es_dup(cfg->password);
    s->api_key = es_dup(cfg->api_key);
    s->ca_file = es_dup(cfg->ca_file);
    s->index_events = strdup(cfg->index_events ? cfg->index_events : "canh-events-%Y.%m.%d");
    s->index_incidents = strdup(cfg->index_incidents ? cfg->index_incidents : "canh-incidents");
    if (!s->index_events || !s->index_incidents)
        goto fail;
    if (s->api_key) {
        size_t n = strlen(s->api_key) + 32;
        s->auth_header = malloc(n);
        if (!s->auth_header)
            goto fail;
        snprintf(s->auth_header, n, "Authorization: ApiKey %s", s->api_key);
    }
    /* Pointers in the copy must not outlive the caller's strings. */
    s->cfg.url = s->url;
    s->cfg.username = s->username;
    s->cfg.password = s->password;
    s->cfg.api_key = s->api_key;
    s->cfg.ca_file = s->ca_file;
    s->cfg.index_events = s->index_events;
    s->cfg.index_incidents = s->index_incidents;
    s->cfg.templates_dir = NULL;
    s->batch_bytes_cur = cfg->batch_bytes;
    s->kick_ev = event_new(base, -1, 0, es_kick_cb, s);
    s->age_ev = evtimer_new(base, es_age_cb, s);
    s->backoff_ev = evtimer_new(base, es_backoff_cb, s);
    if (!s->kick_ev || !s->age_ev || !s->backoff_ev || ship_es_curl_init(s) != 0)
        goto fail;
    if (cfg->templates_dir && ship_es_install_templates(s, cfg->templates_dir) != 0)
        goto fail;
    return s;
fail:
    ship_es_free(s);
    return NULL;
}

void ship_es_free(struct ship_es *s)
{
    if (!s)
        return;
    while (s->inflight) {
        struct ship_es_req *r = s->inflight;
        s->inflight = r->next;
        for (size_t i = 0; i < r->nitems; i++)
            free(r->items[i]);
        ship_es_req_free(r);
    }
    while (s->head) {
        struct ship_es_item *it = s->head;
        s->head = it->next;
        free(it);
    }
    ship_es_curl_fini(s);
    if (s->kick_ev)
        event_free(s->kick_ev);
    if (s->age_ev)
        event_free(s->age_ev);
    if (s->backoff_ev)
        event_free(s->backoff_ev);
    ship_es_tmpl_free_all(s);
    free(s->url);
    free(s->username);
    free(s->password);
    free(s->api_key);
    free(s->ca_file);
    free(s->index_events);
    free(s->index_incidents);
    free(s->auth_header);
    free(s);
}

/* Index names as Elasticsearch and OpenSearch accept them, and nothing that
 * could need escaping inside the action line. */
static bool es_index_ok(const char *ix, size_t n)
{
    if (n == 0 || n > 255 || ix[0] == '-' || ix[0] == '_' || ix[0] == '+' ||
        (n == 1 && ix[0] == '.') || (n == 2 && ix[0] == '.' && ix[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = ix[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '+'))
            return false;
    }
    return true;
}

static bool es_id_ok(const char *id, size_t n)
{
    if (n == 0 || n > 512)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            return false;
    }
    return true;
}

static void es_push_back(struct ship_es *s, struct ship_es_item *it)
{
    it->next = NULL;
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
    s->queued_docs++;
    s->queued_bytes += it->len;
}

int ship_es_add(struct ship_es *s, const char *index, const char *id, const char *json,
                size_t len, uint64_t cookie)
{
    size_t il = index ? strlen(index) : 0, dl = id ? strlen(id) : 0;

    while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '\r' || json[len - 1] == ' '))
        len--;
    if (!es_index_ok(index, il) || !es_id_ok(id, dl) || !json || len == 0 || json[0] != '{' ||
        memchr(json, '\n', len) || len > UINT32_MAX / 2)
        return SHIP_ES_ERR_INVAL;
    size_t total = sizeof(SHIP_ES_ACTION_HEAD) - 1 + il + sizeof(SHIP_ES_ACTION_MID) - 1 + dl +
                   sizeof(SHIP_ES_ACTION_TAIL) - 1 + len + 1;
    if (s->held_bytes + total > s->cfg.queue_max_bytes) {
        s->st.refused_full++;
        return SHIP_ES_ERR_LIMIT;
    }
    struct ship_es_item *it = malloc(sizeof(*it) + total);
    if (!it)
        return SHIP_ES_ERR_NOMEM;
    it->cookie = cookie;
    it->attempts = 0;
    it->len = (uint32_t)total;
    it->index_len = (uint16_t)il;
    it->id_len = (uint16_t)dl;
    char *p = it->data;
    memcpy(p, SHIP_ES_ACTION_HEAD, sizeof(SHIP_ES_ACTION_HEAD) - 1);
    p += sizeof(SHIP_ES_ACTION_HEAD) - 1;
    memcpy(p, index, il);
    p += il;
    memcpy(p, SHIP_ES_ACTION_MID, sizeof(SHIP_ES_ACTION_MID) - 1);
    p += sizeof(SHIP_ES_ACTION_MID) - 1;
    memcpy(p, id, dl);
    p += dl;
    memcpy(p, SHIP_ES_ACTION_TAIL, sizeof(SHIP_ES_ACTION_TAIL) - 1);
    p += sizeof(SHIP_ES_ACTION_TAIL) - 1;
    memcpy(p, json, len);
    p[len] = '\n';
    es_push_back(s, it);
    s->held_bytes += total;
    s->st.added++;
    ship_es_kick(s);
    return 0;
}

int ship_es_index_name(const struct ship_es *s, int kind, time_t t, char *out, size_t cap)
{
    struct tm tm;
    const char *pat = kind == 1 ? s->index_incidents : s->index_events;

    if (cap == 0 || !gmtime_r(&t, &tm))
        return SHIP_ES_ERR_INVAL;
    size_t n = strftime(out, cap, pat, &tm);
    if (n == 0 || !es_index_ok(out, n)) {
        out[0] = '\0';
        return SHIP_ES_ERR_LIMIT;
    }
    return 0;
}

void ship_es_flush(struct ship_es *s)
{
    s->flush_due = true;
    ship_es_kick(s);
}

size_t ship_es_pending(const struct ship_es *s)
{
    return s->queued_docs + s->inflight_docs;
}

bool ship_es_templates_ready(const struct ship_es *s)
{
    return s->tmpl_next >= s->ntmpls;
}

void ship_es_stats_get(const struct ship_es *s, struct ship_es_stats *out)
{
    *out = s->st;
    out->queued_docs = s->queued_docs;
    out->queued_bytes = s->queued_bytes;
    out->inflight_docs = s->inflight_docs;
}

void ship_es_note_error(struct ship_es *s, const char *what)
{
    size_t n = strnlen(what, sizeof(s->st.last_error) - 1);
    memcpy(s->st.last_error, what, n);
    s->st.last_error[n] = '\0';
    /* One line per failure streak start and then every 100th, so a long
     * outage does not flood the log. */
    if (s->st.request_failures % 100 == 1)
        log_warning("ship_es", "%s: %s (failures so far: %llu; retrying with back-off)", s->url,
                    what, (unsigned long long)s->st.request_failures);
}

void ship_es_kick(struct ship_es *s)
{
    event_active(s->kick_ev, 0, 0);
}

void ship_es_backoff(struct ship_es *s)
{
    uint32_t b = s->backoff_ms ? s->backoff_ms * 2 : s->cfg.retry_min_ms;
    if (b > s->cfg.retry_max_ms)
        b = s->cfg.retry_max_ms;
    if (b == 0)
        b = 1;
    s->backoff_ms = b;
    s->backoff_active = true;
    struct timeval tv = { b / 1000, (b % 1000) * 1000 };
    evtimer_add(s->backoff_ev, &tv);
}

void ship_es_backoff_reset(struct ship_es *s)
{
    s->backoff_ms = 0;
}

static void es_backoff_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct ship_es *s = arg;
    (void)fd;
    (void)kind;
    s->backoff_active = false;
    ship_es_kick(s);
}

static void es_age_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct ship_es *s = arg;
    (void)fd;
    (void)kind;
    s->age_armed = false;
    if (s->queued_docs > 0)
        s->flush_due = true;
    ship_es_kick(s);
}

/* gzip (not raw deflate: Content-Encoding: gzip) at level 1: most of the
 * gain on repetitive EVE JSON for a fraction of the CPU of level 6. */
static int es_gzip(const char *in, size_t n, char **out, size_t *outn)
{
    z_stream z;
    int rc = SHIP_ES_ERR_NOMEM;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return SHIP_ES_ERR_NOMEM;
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    char *buf = malloc(cap);
    if (!buf)
        goto out;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        free(buf);
        rc = SHIP_ES_ERR_IO;
        goto out;
    }
    *out = buf;
    *outn = z.total_out;
    rc = 0;
out:
    deflateEnd(&z);
    return rc;
}

/* Moves one batch from the queue head into a started _bulk request. */
static int es_send_batch(struct ship_es *s)
{
    struct ship_es_req *r = calloc(1, sizeof(*r));
    size_t n = 0, bytes = 0;
    int rc = SHIP_ES_ERR_NOMEM;

    if (!r)
        return rc;
    for (struct ship_es_item *it = s->head; it && n < s->cfg.batch_docs; it = it->next) {
        if (n > 0 && bytes + it->len > s->batch_bytes_cur)
            break;
        n++;
        bytes += it->len;
    }
    r->kind = SHIP_ES_REQ_BULK;
    r->items = malloc(n * sizeof(*r->items));
    char *raw = malloc(bytes);
    if (!r->items || !raw) {
        free(raw);
        goto out;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        struct ship_es_item *it = s->head;
        s->head = it->next;
        if (!s->head)
            s->tail = NULL;
        it->next = NULL;
        s->queued_docs--;
        s->queued_bytes -= it->len;
        memcpy(raw + off, it->data, it->len);
        off += it->len;
        it->attempts++;
        r->items[r->nitems++] = it;
    }
    s->inflight_docs += n;
    r->raw_len = bytes;
    if (s->cfg.gzip) {
        rc = es_gzip(raw, bytes, &r->body, &r->body_len);
        free(raw);
        if (rc != 0)
            goto requeue;
    } else {
        r->body = raw;
        r->body_len = bytes;
    }
    rc = ship_es_curl_start(s, r, "POST", ES_BULK_PATH, "application/x-ndjson", s->cfg.gzip);
    if (rc != 0)
        goto requeue;
    return 0;
requeue:
    /* Could not even start: put the batch back where it was. */
    for (size_t i = r->nitems; i-- > 0;) {
        struct ship_es_item *it = r->items[i];
        it->attempts--;
        it->next = s->head;
        s->head = it;
        if (!s->tail)
            s->tail = it;
        s->queued_docs++;
        s->queued_bytes += it->len;
    }
    s->inflight_docs -= r->nitems;
    r->nitems = 0;
out:
    ship_es_req_free(r);
    return rc;
}

static bool es_batch_full(const struct ship_es *s)
{
    return s->queued_docs >= s->cfg.batch_docs || s->queued_bytes >= s->batch_bytes_cur;
}

static void es_kick_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct ship_es *s = arg;
    (void)fd;
    (void)kind;

    if (s->backoff_active)
        return;
    if (!ship_es_templates_ready(s)) {
        ship_es_tmpl_step(s);
        return;
    }
    while (s->ninflight < s->cfg.max_inflight && s->queued_docs > 0) {
        if (!es_batch_full(s) && !s->flush_due)
            break;
        if (es_send_batch(s) != 0) {
            ship_es_note_error(s, "cannot build a bulk request (out of memory)");
            ship_es_backoff(s);
            return;
        }
    }
    if (s->queued_docs == 0) {
        s->flush_due = false;
        if (s->age_armed) {
            evtimer_del(s->age_ev);
            s->age_armed = false;
        }
    } else if (!s->flush_due && !s->age_armed) {
        struct timeval tv = { s->cfg.flush_ms / 1000, (s->cfg.flush_ms % 1000) * 1000 };
        evtimer_add(s->age_ev, &tv);
        s->age_armed = true;
    }
}

/* Final or retry outcome of one item taken out of a request. Retried items
 * are collected by the caller and put back at the queue head in order. */
static void es_final(struct ship_es *s, struct ship_es_item *it, int outcome, const char *reason)
{
    s->held_bytes -= it->len;
    if (outcome == SHIP_ES_REJECTED) {
        s->st.rejected++;
        snprintf(s->st.last_reject, sizeof(s->st.last_reject), "%.*s/%.*s: %s",
                 (int)it->index_len, it->data + sizeof(SHIP_ES_ACTION_HEAD) - 1,
                 (int)it->id_len,
                 it->data + sizeof(SHIP_ES_ACTION_HEAD) - 1 + it->index_len +
                     sizeof(SHIP_ES_ACTION_MID) - 1,
                 reason ? reason : "");
        log_warning("ship_es", "rejected %s", s->st.last_reject);
    } else {
        s->st.done++;
    }
    if (s->cfg.on_result)
        s->cfg.on_result(s->cfg.on_result_arg, it->cookie, outcome, reason);
    free(it);
}

static void es_requeue_front(struct ship_es *s, struct ship_es_item **items, size_t n,
                             const char *reason)
{
    for (size_t i = n; i-- > 0;) {
        struct ship_es_item *it = items[i];
        s->st.retried++;
        if (s->cfg.on_result)
            s->cfg.on_result(s->cfg.on_result_arg, it->cookie, SHIP_ES_RETRY, reason);
        it->next = s->head;
        s->head = it;
        if (!s->tail)
            s->tail = it;
        s->queued_docs++;
        s->queued_bytes += it->len;
    }
    if (n > 0)
        s->flush_due = true;
}

/* Item status → outcome. 400 is the document's own fault (mapping, parse,
 * too large a field) and never gets better; everything else (429, 5xx, 403
 * cluster blocks such as a read-only index, 404 with auto-create off) is the
 * cluster's state, which an operator can fix, so it is retried. */
static int es_item_outcome(long status)
{
    if ((status >= 200 && status < 300) || status == 409)
        return SHIP_ES_DONE;
    if (status == 400)
        return SHIP_ES_REJECTED;
    return SHIP_ES_RETRY;
}

/* Parses the bulk answer and settles each item. Returns how many were
 * put back for a retry, or <0 when the answer makes no sense (the caller
 * then retries the whole batch). */
static int es_bulk_items(struct ship_es *s, struct ship_es_req *r, char *why, size_t whycap)
{
    json_error_t jerr;
    json_t *root = json_loadb(r->resp ? r->resp : "", r->resp_len, 0, &jerr);
    struct ship_es_item **retry = NULL;
    size_t nretry = 0;
    int rc = SHIP_ES_ERR_PARSE;

    if (!json_is_object(root))
        goto out;
    json_t *errors = json_object_get(root, "errors");
    json_t *items = json_object_get(root, "items");
    if (json_is_false(errors) && !items) {
        for (size_t i = 0; i < r->nitems; i++)
            es_final(s, r->items[i], SHIP_ES_DONE, NULL);
        r->nitems = 0;
        rc = 0;
        goto out;
    }
    if (!json_is_array(items) || json_array_size(items) != r->nitems)
        goto out;
    retry = malloc(r->nitems * sizeof(*retry));
    if (!retry) {
        rc = SHIP_ES_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < r->nitems; i++) {
        json_t *wrap = json_array_get(items, i);
        void *iter = json_is_object(wrap) ? json_object_iter(wrap) : NULL;
        json_t *res = iter ? json_object_iter_value(iter) : NULL;
        long status = (long)json_integer_value(json_object_get(res, "status"));
        int outcome = es_item_outcome(status);
        char reason[512] = "";
        if (status == 409)
            s->st.duplicates++;
        if (outcome != SHIP_ES_DONE) {
            json_t *err = json_object_get(res, "error");
            const char *et = json_string_value(json_object_get(err, "type"));
            const char *er = json_string_value(json_object_get(err, "reason"));
            snprintf(reason, sizeof(reason), "%ld %s: %s", status, et ? et : "error",
                     er ? er : "(no reason given)");
        }
        if (outcome == SHIP_ES_RETRY)
            retry[nretry++] = r->items[i];
        else
            es_final(s, r->items[i], outcome, outcome == SHIP_ES_DONE ? NULL : reason);
        if (outcome == SHIP_ES_RETRY && nretry == 1)
            snprintf(why, whycap, "%s", reason);
    }
    r->nitems = 0;
    es_requeue_front(s, retry, nretry, nretry ? why : NULL);
    rc = (int)nretry;
out:
    free(retry);
    json_decref(root);
    return rc;
}

static void es_bulk_done(struct ship_es *s, struct ship_es_req *r, CURLcode crc, long status)
{
    char what[512];

    s->st.requests++;
    s->inflight_docs -= r->nitems;
    s->st.bytes_raw += r->raw_len;
    s->st.bytes_sent += r->body_len;
    if (crc == CURLE_OK && status == 200) {
        int n = es_bulk_items(s, r, what, sizeof(what));
        if (n == 0) {
            ship_es_backoff_reset(s);
            if (s->batch_bytes_cur < s->cfg.batch_bytes)
                s->batch_bytes_cur = s->batch_bytes_cur * 2 < s->cfg.batch_bytes
                                         ? s->batch_bytes_cur * 2 : s->cfg.batch_bytes;
            return;
        }
        if (n > 0) {
            /* Some items were pushed back (429 or a transient refusal). */
            s->st.request_failures++;
            ship_es_note_error(s, what);
            ship_es_backoff(s);
            return;
        }
        snprintf(what, sizeof(what), "unreadable _bulk answer (%zu bytes)", r->resp_len);
    } else if (crc != CURLE_OK) {
        snprintf(what, sizeof(what), "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(crc));
    } else if (status == 413 && r->nitems > 1) {
        /* Too large for http.max_content_length: halve and resend now. */
        s->batch_bytes_cur = (uint32_t)(r->raw_len / 2 > 1 ? r->raw_len / 2 : 1);
        s->st.request_failures++;
        ship_es_note_error(s, "413: bulk request too large; halving the batch size");
        es_requeue_front(s, r->items, r->nitems, "413 request too large");
        r->nitems = 0;
        return;
    } else if (status == 413) {
        es_final(s, r->items[0], SHIP_ES_REJECTED,
                 "413 document larger than the cluster's http.max_content_length");
        r->nitems = 0;
        return;
    } else {
        const char *body = r->resp ? r->resp : "";
        snprintf(what, sizeof(what), "HTTP %ld from _bulk: %.200s", status, body);
    }
    s->st.request_failures++;
    ship_es_note_error(s, what);
    es_requeue_front(s, r->items, r->nitems, what);
    r->nitems = 0;
    ship_es_backoff(s);
}

void ship_es_req_done(struct ship_es *s, struct ship_es_req *r, CURLcode crc, long status)
{
    for (struct ship_es_req **pp = &s->inflight; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    s->ninflight--;
    if (r->kind == SHIP_ES_REQ_BULK)
        es_bulk_done(s, r, crc, status);
    else
        ship_es_tmpl_done(s, r, crc, status);
    ship_es_req_free(r);
    ship_es_kick(s);
}
