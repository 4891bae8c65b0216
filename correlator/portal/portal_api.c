/* portal_api: the portal's life cycle and route table, and the incident
 * endpoints it adds: counts per status, bulk changes, merge, move an event,
 * and the extras of GET /incidents/{id} (why it fired, related incidents,
 * suppressed hits, search links). Roles are enforced by the route table
 * (ing_http) and, for closing, here, whatever the page shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "portal/portal_private.h"
#include "store/db_incident.h"
#include "store/db_relate.h"
#include "store/db_sup.h"

#define PORTAL_BULK_MAX 1000
#define PORTAL_RELATED_MAX 20

struct portal *portal_new(struct db *d, const struct portal_cfg *cfg)
{
    struct portal *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->db = d;
    p->cfg = *cfg;
    if (portal_sup_reload(p) != 0) {
        portal_free(p);
        return NULL;
    }
    if (p->cfg.enabled)
        portal_static_init(p);
    return p;
}

void portal_free(struct portal *p)
{
    if (!p)
        return;
    free(p->sups);
    free(p);
}

void portal_reply_empty(struct ing_req *r, int status)
{
    ing_http_secure_headers(r);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
    evhttp_send_reply(r->req, status, status == 204 ? "No Content" : "OK", NULL);
}

static void portal_api_counts(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    struct db_incident_filter f;
    if (api_incidents_filter(r, p->api, &f) != 0)
        return;
    json_t *out = NULL;
    if (db_incident_counts(p->db, &f, &out) != 0)
        ing_http_error(r, 500, "incident count failed", 0);
    else
        ing_http_reply(r, 200, out);
}

static int portal_api_closing(const char *status)
{
    return status && (strcmp(status, "resolved") == 0 || strcmp(status, "false_positive") == 0);
}

static void portal_api_bulk(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    json_t *ids = json_object_get(body, "ids");
    json_t *js = json_object_get(body, "status"), *ja = json_object_get(body, "assignee");
    const char *status = json_string_value(js);
    const char *assignee = ja && json_is_null(ja) ? "" : json_string_value(ja);
    if (!json_is_array(ids) || json_array_size(ids) == 0 ||
        json_array_size(ids) > PORTAL_BULK_MAX || (js && !status) || (ja && !assignee) ||
        (!status && !assignee)) {
        ing_http_error(r, 400, "give \"ids\" (1..1000 incident ids) and \"status\" and/or "
                       "\"assignee\" (a string, null clears)", 0);
        goto out;
    }
    if (status && !db_incident_status_valid(status)) {
        ing_http_error(r, 400, "unknown status (new acknowledged investigating resolved "
                       "false_positive)", 0);
        goto out;
    }
    if (portal_api_closing(status) && r->who.role < DB_ROLE_RESPONDER) {
        ing_http_error(r, 403, "closing an incident needs the responder role", 0);
        goto out;
    }
    json_t *errors = json_array();
    int updated = 0;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        const char *why = NULL;
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            why = "not an incident id";
        } else {
            int rc = db_incident_update(p->db, json_integer_value(v), r->who.name, status,
                                        assignee, NULL);
            why = rc == 0 ? NULL : rc == DB_ERR_NOENT ? "no such incident"
                : rc == DB_ERR_INVAL ? "invalid value" : "update failed; retry later";
        }
        if (why)
            json_array_append_new(errors, json_pack("{s:O, s:s}", "id", v, "error", why));
        else
            updated++;
    }
    log_info("portal", "user %s bulk-changed %d incidents (%zu errors)", r->who.name, updated,
             json_array_size(errors));
    ing_http_reply(r, 200, json_pack("{s:i, s:o}", "updated", updated, "errors", errors));
out:
    json_decref(body);
}

static void portal_api_merge(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    json_t *into = json_object_get(body, "into");
    if (!json_is_integer(into) || json_integer_value(into) <= 0) {
        ing_http_error(r, 400, "\"into\" must be an incident id", 0);
        goto out;
    }
    int64_t to = json_integer_value(into);
    int rc = db_relate_merge(p->db, r->id, to, r->who.name);
    if (rc == DB_ERR_INVAL)
        ing_http_error(r, 400, "an incident cannot be merged into itself", 0);
    else if (rc == DB_ERR_NOENT)
        ing_http_error(r, 404, "no such incident", 0);
    else if (rc)
        ing_http_error(r, 503, "merge failed; retry later", 0);
    else {
        log_notice("portal", "user %s merged incident %lld into %lld", r->who.name,
                   (long long)r->id, (long long)to);
        ing_http_reply(r, 200, json_pack("{s:I, s:I}", "merged", (json_int_t)r->id, "into",
                                         (json_int_t)to));
    }
out:
    json_decref(body);
}

static void portal_api_move(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    const char *ev = json_string_value(json_object_get(body, "event_id"));
    json_t *to = json_object_get(body, "to");
    if (!ev || !ev[0] || strlen(ev) > 200 || !json_is_integer(to) ||
        json_integer_value(to) <= 0) {
        ing_http_error(r, 400, "give \"event_id\" (the event's canh.id) and \"to\" (an "
                       "incident id)", 0);
        goto out;
    }
    int rc = db_relate_move_event(p->db, r->id, ev, json_integer_value(to), r->who.name);
    if (rc == DB_ERR_INVAL)
        ing_http_error(r, 400, "the event is already in that incident", 0);
    else if (rc == DB_ERR_NOENT)
        ing_http_error(r, 404, "no such incident, or the event is not in this one", 0);
    else if (rc)
        ing_http_error(r, 503, "move failed; retry later", 0);
    else
        ing_http_reply(r, 200, json_pack("{s:s, s:I, s:I}", "event_id", ev, "from",
                                         (json_int_t)r->id, "to", json_integer_value(to)));
out:
    json_decref(body);
}

/* search-url with {ip} replaced by the URL-encoded address. */
static json_t *portal_api_link(const char *tmpl, const char *ip)
{
    char *enc = evhttp_uriencode(ip, -1, 0);
    const char *at = strstr(tmpl, "{ip}");
    json_t *out = NULL;
    if (enc && at) {
        size_t n = strlen(tmpl) + strlen(enc) + 1;
        char *s = malloc(n);
        if (s) {
            snprintf(s, n, "%.*s%s%s", (int)(at - tmpl), tmpl, enc, at + 4);
            out = json_string(s);
            free(s);
        }
    }
    free(enc);
    return out ? out : json_null();
}

void portal_incident_extras(struct portal *p, struct db *d, int64_t id, json_t *inc)
{
    json_t *why = json_object();
    json_object_set(why, "rule_id", json_object_get(inc, "rule_id"));
    json_object_set(why, "rule_title", json_object_get(inc, "title"));
    json_object_set(why, "rule_title_vi", json_object_get(inc, "title_vi"));
    json_object_set(why, "group_key", json_object_get(inc, "group_key"));
    json_object_set(why, "group_fields", json_object_get(inc, "group_fields"));
    json_object_set(why, "matched", json_object_get(inc, "matched"));
    json_object_set_new(inc, "why", why);
    json_object_set_new(inc, "related", db_relate_related(d, id, PORTAL_RELATED_MAX));
    json_object_set_new(inc, "suppressed_count", json_integer(db_sup_incident_count(d, id)));
    if (!p || !p->cfg.search_url[0])
        return;
    json_t *links = json_object(), *by_ip = json_object();
    static const char *const roles[] = { "src", "dest" };
    for (size_t k = 0; k < 2; k++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(inc, roles[k]), i, v) {
            const char *ip = json_string_value(v);
            if (!ip)
                continue;
            if (i == 0)
                json_object_set_new(links, roles[k], portal_api_link(p->cfg.search_url, ip));
            json_object_set_new(by_ip, ip, portal_api_link(p->cfg.search_url, ip));
        }
    }
    json_object_set_new(links, "by_ip", by_ip);
    json_object_set_new(inc, "es_links", links);
}

int portal_register(struct portal *p, struct ing_http *h, struct api_ctx *api)
{
    const int G = EVHTTP_REQ_GET, P = EVHTTP_REQ_POST, PU = EVHTTP_REQ_PUT,
              D = EVHTTP_REQ_DELETE;
    int rc = 0;
    p->api = api;
    p->tls = ing_http_is_tls(h);
    if (p->cfg.enabled) {
        ing_http_set_session(h, portal_auth_session, p);
        ing_http_set_fallback(h, portal_static_serve, p);
        rc |= ing_http_route(h, P, "/api/v1/login", DB_ROLE_NONE, portal_auth_login, p);
        rc |= ing_http_route(h, P, "/api/v1/logout", DB_ROLE_VIEWER, portal_auth_logout, p);
    }
    rc |= ing_http_route(h, G, "/api/v1/whoami", DB_ROLE_VIEWER, portal_auth_whoami, p);
    rc |= ing_http_route(h, PU, "/api/v1/me/prefs", DB_ROLE_VIEWER, portal_auth_prefs, p);
    rc |= ing_http_route(h, G, "/api/v1/incidents/counts", DB_ROLE_VIEWER, portal_api_counts, p);
    rc |= ing_http_route(h, P, "/api/v1/incidents/bulk", DB_ROLE_ANALYST, portal_api_bulk, p);
    rc |= ing_http_route(h, P, "/api/v1/incidents/#/merge", DB_ROLE_RESPONDER,
                         portal_api_merge, p);
    rc |= ing_http_route(h, P, "/api/v1/incidents/#/events/move", DB_ROLE_ANALYST,
                         portal_api_move, p);
    rc |= ing_http_route(h, G, "/api/v1/suppressions", DB_ROLE_VIEWER, portal_sup_list, p);
    rc |= ing_http_route(h, P, "/api/v1/suppressions", DB_ROLE_ANALYST, portal_sup_create, p);
    rc |= ing_http_route(h, D, "/api/v1/suppressions/#", DB_ROLE_ANALYST, portal_sup_delete, p);
    rc |= ing_http_route(h, G, "/api/v1/dashboard", DB_ROLE_VIEWER, portal_dash_get, p);
    return rc ? -1 : 0;
}
