/* api: the route table and the small helpers every handler shares
 * (paging, time parameters, JSON bodies). */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>

#include "ingest/ing_eve.h"
#include "store/db_auth.h"

int api_register(struct ing_http *h, struct api_ctx *c)
{
    const int G = EVHTTP_REQ_GET, P = EVHTTP_REQ_POST, PA = EVHTTP_REQ_PATCH,
              D = EVHTTP_REQ_DELETE;
    int rc = 0;
    rc |= ing_http_route(h, P, "/api/v1/events", ING_HTTP_SENSOR, ing_events_handle, c->ingest);
    rc |= ing_http_route(h, G, "/api/v1/events", DB_ROLE_VIEWER, api_events_search, c);
    rc |= ing_http_route(h, G, "/api/v1/health", DB_ROLE_NONE, api_admin_health, c);
    rc |= ing_http_route(h, G, "/healthz", DB_ROLE_NONE, api_health_healthz, c);
    rc |= ing_http_route(h, G, "/metrics", DB_ROLE_VIEWER, api_health_metrics, c);
    rc |= ing_http_route(h, G, "/api/v1/whoami", DB_ROLE_VIEWER, api_admin_whoami, c);
    rc |= ing_http_route(h, G, "/api/v1/metrics", DB_ROLE_VIEWER, api_admin_metrics, c);
    rc |= ing_http_route(h, G, "/api/v1/incidents", DB_ROLE_VIEWER, api_incidents_list, c);
    rc |= ing_http_route(h, G, "/api/v1/incidents/#", DB_ROLE_VIEWER, api_incidents_get, c);
    rc |= ing_http_route(h, PA | P, "/api/v1/incidents/#", DB_ROLE_ANALYST,
                         api_incidents_change, c);
    rc |= ing_http_route(h, P, "/api/v1/incidents/#/comments", DB_ROLE_ANALYST,
                         api_incidents_comment, c);
    rc |= ing_http_route(h, G, "/api/v1/sensors", DB_ROLE_VIEWER, api_admin_sensors, c);
    rc |= ing_http_route(h, P, "/api/v1/sensors", DB_ROLE_ADMIN, api_admin_sensors, c);
    rc |= ing_http_route(h, G | P, "/api/v1/users", DB_ROLE_ADMIN, api_admin_users, c);
    rc |= ing_http_route(h, G | P, "/api/v1/tokens", DB_ROLE_ADMIN, api_admin_tokens, c);
    rc |= ing_http_route(h, D, "/api/v1/tokens/#", DB_ROLE_ADMIN, api_admin_token_revoke, c);
    return rc ? -1 : 0;
}

static int api_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || *end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int api_paging(struct ing_req *r, const struct api_ctx *c, int *limit, int *offset)
{
    long l = 50, o = 0;
    const char *ls = ing_http_query(r, "limit"), *os = ing_http_query(r, "offset");
    if (ls && api_int(ls, 1, c->page_max, &l) != 0) {
        char msg[80];
        snprintf(msg, sizeof msg, "limit must be 1..%d", c->page_max);
        ing_http_error(r, 400, msg, 0);
        return -1;
    }
    if (os && api_int(os, 0, 100000000, &o) != 0) {
        ing_http_error(r, 400, "offset must be a non-negative integer", 0);
        return -1;
    }
    *limit = (int)l;
    *offset = (int)o;
    return 0;
}

int api_time_param(struct ing_req *r, const char *name, int64_t *out)
{
    const char *s = ing_http_query(r, name);
    *out = 0;
    if (!s)
        return 0;
    *out = ing_eve_time(s);
    if (*out == 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s must be an RFC 3339 time such as 2026-11-27T02:56:47Z",
                 name);
        ing_http_error(r, 400, msg, 0);
        return -1;
    }
    return 0;
}

json_t *api_json_body(struct ing_req *r)
{
    size_t len = 0;
    const char *body = ing_http_body(r, &len);
    json_error_t e;
    json_t *j = json_loadb(body, len, 0, &e);
    if (!j || !json_is_object(j)) {
        char msg[200];
        snprintf(msg, sizeof msg, "body must be a JSON object%s%s", j ? "" : ": ",
                 j ? "" : e.text);
        json_decref(j);
        ing_http_error(r, 400, msg, 0);
        return NULL;
    }
    return j;
}
