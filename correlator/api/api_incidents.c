/* api_incidents: GET /api/v1/incidents (filters + paging), GET one with its
 * events, comments and audit trail, PATCH status/assignee/disposition and
 * POST comments. Changes are audited under the caller's user name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "log.h"
#include "portal/portal.h"
#include "report/rep_outbox.h"
#include "store/db_incident.h"

int api_incidents_filter(struct ing_req *r, const struct api_ctx *c,
                         struct db_incident_filter *f)
{
    memset(f, 0, sizeof *f);
    if (api_paging(r, c, &f->limit, &f->offset) || api_time_param(r, "since", &f->since_us) ||
        api_time_param(r, "until", &f->until_us) ||
        api_time_param(r, "updated_since", &f->updated_since_us))
        return -1;
    f->status = ing_http_query(r, "status");
    f->sensor = ing_http_query(r, "sensor");
    f->addr = ing_http_query(r, "address");
    f->rule = ing_http_query(r, "rule");
    f->assignee = ing_http_query(r, "assignee");
    f->text = ing_http_query(r, "q");
    f->sort = ing_http_query(r, "sort");
    if (f->sort && !db_incident_sort_valid(f->sort)) {
        ing_http_error(r, 400, "sort must be one of last_seen first_seen severity event_count "
                       "id, optionally with a leading - (descending)", 0);
        return -1;
    }
    const char *sev = ing_http_query(r, "severity");
    if (sev) {
        char *end = NULL;
        long v = strtol(sev, &end, 10);
        if (*end || v < 1 || v > 4) {
            ing_http_error(r, 400, "severity must be 1..4 (incidents at most this number)", 0);
            return -1;
        }
        f->severity = (int)v;
    }
    return 0;
}

void api_incidents_list(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    struct db_incident_filter f;
    if (api_incidents_filter(r, c, &f) != 0)
        return;
    json_t *out = NULL;
    int rc = db_incident_list(c->db, &f, &out);
    if (rc == DB_ERR_INVAL) {
        ing_http_error(r, 400, "status must be one or more of new, acknowledged, "
                       "investigating, resolved, false_positive (comma-separated)", 0);
        return;
    }
    if (rc) {
        ing_http_error(r, 500, "incident query failed", 0);
        return;
    }
    ing_http_reply(r, 200, out);
}

void api_incidents_get(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    json_t *out = NULL;
    int rc = db_incident_get(c->db, r->id, c->incident_events, &out);
    if (rc == DB_ERR_NOENT)
        ing_http_error(r, 404, "no such incident", 0);
    else if (rc)
        ing_http_error(r, 500, "incident query failed", 0);
    else {
        json_object_set_new(out, "reporting", rep_outbox_incident_state(c->db, r->id));
        portal_incident_extras(c->portal, c->db, r->id, out);
        ing_http_reply(r, 200, out);
    }
}

/* A string member, "" for JSON null (clears), NULL when absent; -1 if wrong type. */
static int api_inc_field(json_t *body, const char *key, const char **out)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v)
        return 0;
    if (json_is_null(v)) {
        *out = "";
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

void api_incidents_change(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    const char *status, *assignee, *disposition;
    if (api_inc_field(body, "status", &status) || api_inc_field(body, "assignee", &assignee) ||
        api_inc_field(body, "disposition", &disposition)) {
        ing_http_error(r, 400, "status, assignee and disposition must be strings (or null)", 0);
        goto out;
    }
    if (status && !status[0]) {
        ing_http_error(r, 400, "status cannot be cleared", 0);
        goto out;
    }
    /* Closing and judging an incident is the responder's call. */
    bool closing = status && (strcmp(status, "resolved") == 0 ||
                              strcmp(status, "false_positive") == 0);
    if ((closing || disposition) && r->who.role < DB_ROLE_RESPONDER) {
        ing_http_error(r, 403, "closing an incident or setting a disposition needs the "
                       "responder role", 0);
        goto out;
    }
    int rc = db_incident_update(c->db, r->id, r->who.name, status, assignee, disposition);
    if (rc == DB_ERR_INVAL) {
        ing_http_error(r, 400, "unknown status or disposition (status: new acknowledged "
                       "investigating resolved false_positive; disposition: true_positive "
                       "benign false_positive duplicate undetermined)", 0);
    } else if (rc == DB_ERR_NOENT) {
        ing_http_error(r, 404, "no such incident", 0);
    } else if (rc) {
        ing_http_error(r, 503, "update failed; retry later", 0);
    } else {
        json_t *inc = NULL;
        if (db_incident_get(c->db, r->id, 0, &inc) == 0) {
            json_object_del(inc, "events");
            ing_http_reply(r, 200, inc);
        } else {
            ing_http_reply(r, 200, NULL);
        }
        log_info("api", "user %s changed incident %lld", r->who.name, (long long)r->id);
    }
out:
    json_decref(body);
}

void api_incidents_comment(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    const char *text = json_string_value(json_object_get(body, "body"));
    if (!text || !text[0] || strlen(text) > 65536) {
        ing_http_error(r, 400, "\"body\" must be a non-empty string of at most 64 KiB", 0);
        goto out;
    }
    int64_t cid = 0;
    int rc = db_incident_comment(c->db, r->id, r->who.name, text, &cid);
    if (rc == DB_ERR_NOENT)
        ing_http_error(r, 404, "no such incident", 0);
    else if (rc)
        ing_http_error(r, 503, "comment failed; retry later", 0);
    else
        ing_http_reply(r, 201, json_pack("{s:I}", "id", (json_int_t)cid));
out:
    json_decref(body);
}
