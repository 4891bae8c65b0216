/* rep_api: the reporting endpoints. GET /api/v1/reports (outbox rows and
 * counts per state; ?state=&limit=&offset=), GET /api/v1/reports/# (one
 * row with the exact bundle bytes and the detached CMS signature, for
 * audit and for a centre that wants the signature of a TAXII delivery) and
 * POST /api/v1/reports/daily {"day": "YYYY-MM-DD"} (admin: send the
 * summary of a day again as a new version).
 */
#include <stdlib.h>
#include <string.h>

#include "report/rep_daily.h"
#include "report/rep_outbox.h"
#include "report/report.h"

/* The reporter's store, reached without exposing struct report. */
struct rep_api_ctx {
    struct report *r;
    struct db *db;
};

static struct rep_api_ctx rep_api_ctx;

static int rep_api_int(const char *s, int lo, int hi, int dflt)
{
    if (!s)
        return dflt;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return end && !*end && end != s && v >= lo && v <= hi ? (int)v : -1;
}

static void rep_api_list(struct ing_req *q, void *arg)
{
    struct rep_api_ctx *c = arg;
    const char *state = ing_http_query(q, "state");
    int limit = rep_api_int(ing_http_query(q, "limit"), 1, 1000, 50);
    int offset = rep_api_int(ing_http_query(q, "offset"), 0, 100000000, 0);
    if (limit < 0 || offset < 0) {
        ing_http_error(q, 400, "limit must be 1..1000 and offset >= 0", 0);
        return;
    }
    if (state && strcmp(state, "pending") && strcmp(state, "sent") && strcmp(state, "failed") &&
        strcmp(state, "superseded")) {
        ing_http_error(q, 400, "state must be pending, sent, failed or superseded", 0);
        return;
    }
    json_t *out = rep_outbox_list(c->db, state, limit, offset);
    if (!out)
        ing_http_error(q, 500, "outbox query failed", 0);
    else
        ing_http_reply(q, 200, out);
}

static void rep_api_get(struct ing_req *q, void *arg)
{
    struct rep_api_ctx *c = arg;
    json_t *out = rep_outbox_get(c->db, q->id);
    if (!out)
        ing_http_error(q, 404, "no such report", 0);
    else
        ing_http_reply(q, 200, out);
}

static void rep_api_daily(struct ing_req *q, void *arg)
{
    struct rep_api_ctx *c = arg;
    size_t len = 0;
    const char *body = ing_http_body(q, &len);
    json_t *j = json_loadb(body, len, 0, NULL);
    int64_t day = rep_daily_parse(json_string_value(json_object_get(j, "day")));
    json_decref(j);
    int64_t row = 0;
    if (!day) {
        ing_http_error(q, 400, "body must be {\"day\": \"YYYY-MM-DD\"} (a UTC day)", 0);
        return;
    }
    int rc = report_daily_enqueue(c->r, day, &row);
    if (rc < 0)
        ing_http_error(q, 409, "reporting is disabled or the summary could not be built "
                       "(see the correlator log)", 0);
    else
        ing_http_reply(q, 202, json_pack("{s:I}", "id", (json_int_t)row));
}

int report_register(struct report *r, struct ing_http *h)
{
    int rc = 0;
    rep_api_ctx.r = r;
    rep_api_ctx.db = report_db(r);
    rc |= ing_http_route(h, EVHTTP_REQ_GET, "/api/v1/reports", DB_ROLE_VIEWER, rep_api_list,
                         &rep_api_ctx);
    rc |= ing_http_route(h, EVHTTP_REQ_GET, "/api/v1/reports/#", DB_ROLE_VIEWER, rep_api_get,
                         &rep_api_ctx);
    rc |= ing_http_route(h, EVHTTP_REQ_POST, "/api/v1/reports/daily", DB_ROLE_ADMIN,
                         rep_api_daily, &rep_api_ctx);
    return rc ? -1 : 0;
}
