/* ship_outbox_api: what the shipping to Elasticsearch/OpenSearch shows over
 * the API (viewer role): GET /api/v1/es/stats (outbox cursor and backlog,
 * the shipper's counters, the latest error) and GET /api/v1/es/rejected
 * (documents refused for good, newest first, with the cluster's reason).
 */
#include "ship/ship_outbox.h"

#include <stdlib.h>

#include "ingest/ing_http.h"
#include "store/db_outbox.h"

static int ship_outbox_api_int(const char *s, long lo, long hi, long def, long *out)
{
    char *end = NULL;
    if (!s) {
        *out = def;
        return 0;
    }
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void ship_outbox_api_rejected(struct ing_req *r, void *arg)
{
    struct ship_outbox *o = arg;
    long limit, offset;
    if (ship_outbox_api_int(ing_http_query(r, "limit"), 1, 1000, 100, &limit) != 0 ||
        ship_outbox_api_int(ing_http_query(r, "offset"), 0, 100000000, 0, &offset) != 0) {
        ing_http_error(r, 400, "limit must be 1..1000 and offset a non-negative integer", 0);
        return;
    }
    json_t *res = db_outbox_rejected_list(ship_outbox_db(o), (int)limit, (int)offset);
    if (!res) {
        ing_http_error(r, 500, "store query failed", 0);
        return;
    }
    ing_http_reply(r, 200, res);
}

static void ship_outbox_api_stats(struct ing_req *r, void *arg)
{
    struct ship_outbox *o = arg;
    struct ship_outbox_stats st;
    struct ship_es_stats es;
    ship_outbox_stats_get(o, &st);
    json_t *res = json_pack("{s:b, s:I}", "enabled", st.enabled, "rejected_total",
                            (json_int_t)st.rejected_total);
    if (ship_outbox_es_stats(o, &es)) {
        json_object_set_new(res, "outbox", json_pack(
            "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
            "templates_ready", st.templates_ready, "cursor", (json_int_t)st.cursor,
            "pulled", (json_int_t)st.pulled, "events_behind", (json_int_t)st.events_behind,
            "versions_waiting", (json_int_t)st.versions_waiting,
            "events_done", (json_int_t)st.events_done,
            "events_rejected", (json_int_t)st.events_rejected,
            "versions_done", (json_int_t)st.versions_done,
            "versions_rejected", (json_int_t)st.versions_rejected,
            "pulls", (json_int_t)st.pulls, "save_failures", (json_int_t)st.save_failures));
        json_object_set_new(res, "shipper", json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
            "added", (json_int_t)es.added, "refused_full", (json_int_t)es.refused_full,
            "done", (json_int_t)es.done, "duplicates", (json_int_t)es.duplicates,
            "rejected", (json_int_t)es.rejected, "retried", (json_int_t)es.retried,
            "requests", (json_int_t)es.requests,
            "request_failures", (json_int_t)es.request_failures,
            "bytes_raw", (json_int_t)es.bytes_raw, "bytes_sent", (json_int_t)es.bytes_sent,
            "templates_put", (json_int_t)es.templates_put,
            "queued_docs", (json_int_t)es.queued_docs,
            "queued_bytes", (json_int_t)es.queued_bytes,
            "inflight_docs", (json_int_t)es.inflight_docs,
            "last_reject", es.last_reject, "last_error", es.last_error));
    }
    ing_http_reply(r, 200, res);
}

int ship_outbox_register(struct ship_outbox *o, struct ing_http *h)
{
    int rc = 0;
    rc |= ing_http_route(h, EVHTTP_REQ_GET, "/api/v1/es/stats", DB_ROLE_VIEWER,
                         ship_outbox_api_stats, o);
    rc |= ing_http_route(h, EVHTTP_REQ_GET, "/api/v1/es/rejected", DB_ROLE_VIEWER,
                         ship_outbox_api_rejected, o);
    return rc ? -1 : 0;
}
