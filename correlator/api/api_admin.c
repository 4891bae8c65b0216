/* api_admin: sensors (list with health; add, which returns its token once),
 * users and tokens (admin only), metrics, whoami and an unauthenticated
 * health check for load balancers.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "ingest/ing_auth.h"
#include "log.h"
#include "store/db_auth.h"
#include "store/db_event.h"

void api_admin_health(struct ing_req *r, void *arg)
{
    (void)arg;
    ing_http_reply(r, 200, json_pack("{s:s}", "status", "ok"));
}

void api_admin_whoami(struct ing_req *r, void *arg)
{
    (void)arg;
    ing_http_reply(r, 200, json_pack("{s:s, s:s}", "name", r->who.name, "role",
                                     db_auth_role_name(r->who.role)));
}

/* Reply 201 with a freshly created token for kind/owner. */
static void api_admin_issue(struct ing_req *r, struct api_ctx *c, enum db_principal_kind kind,
                            const char *owner)
{
    char tok[ING_AUTH_TOKEN_LEN + 1];
    long long id = 0;
    int rc = ing_auth_token_create(c->db, kind, owner, r->who.name, tok, &id);
    if (rc == DB_ERR_NOENT) {
        ing_http_error(r, 404, kind == DB_PRINCIPAL_SENSOR ? "no such sensor" : "no such user", 0);
        return;
    }
    if (rc) {
        ing_http_error(r, 503, "token creation failed", 0);
        return;
    }
    log_notice("api", "user %s created token %lld for %s %s", r->who.name, id,
               kind == DB_PRINCIPAL_SENSOR ? "sensor" : "user", owner);
    ing_http_reply(r, 201, json_pack("{s:s, s:I, s:s, s:s}", "owner", owner, "token_id",
                                     (json_int_t)id, "token", tok, "note",
                                     "shown once; store it now"));
}

void api_admin_sensors(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    if (r->method == EVHTTP_REQ_GET) {
        ing_http_reply(r, 200, json_pack("{s:o}", "sensors", api_health_sensors_mark(
                           db_event_sensors(c->db), db_now_us(), c->health.silent_after_s)));
        return;
    }
    json_t *body = api_json_body(r);
    if (!body)
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    int rc = name ? db_auth_sensor_add(c->db, name, r->who.name) : DB_ERR_INVAL;
    if (rc == DB_ERR_INVAL)
        ing_http_error(r, 400, "\"name\": 1..64 characters of A-Z a-z 0-9 . _ -", 0);
    else if (rc == DB_ERR_EXIST)
        ing_http_error(r, 409, "a sensor with this name exists", 0);
    else if (rc)
        ing_http_error(r, 503, "sensor creation failed", 0);
    else
        api_admin_issue(r, c, DB_PRINCIPAL_SENSOR, name);
    json_decref(body);
}

void api_admin_users(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    if (r->method == EVHTTP_REQ_GET) {
        ing_http_reply(r, 200, json_pack("{s:o}", "users", db_auth_users(c->db)));
        return;
    }
    json_t *body = api_json_body(r);
    if (!body)
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    enum db_role role = db_auth_role_parse(json_string_value(json_object_get(body, "role")));
    int rc = name && role ? db_auth_user_add(c->db, name, role, r->who.name) : DB_ERR_INVAL;
    if (rc == DB_ERR_INVAL)
        ing_http_error(r, 400, "\"name\" (A-Z a-z 0-9 . _ -) and \"role\" (viewer analyst "
                       "responder admin) are required", 0);
    else if (rc == DB_ERR_EXIST)
        ing_http_error(r, 409, "a user with this name exists", 0);
    else if (rc)
        ing_http_error(r, 503, "user creation failed", 0);
    else
        api_admin_issue(r, c, DB_PRINCIPAL_USER, name);
    json_decref(body);
}

void api_admin_tokens(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    if (r->method == EVHTTP_REQ_GET) {
        ing_http_reply(r, 200, json_pack("{s:o}", "tokens", db_auth_tokens(c->db)));
        return;
    }
    json_t *body = api_json_body(r);
    if (!body)
        return;
    const char *user = json_string_value(json_object_get(body, "user"));
    const char *sensor = json_string_value(json_object_get(body, "sensor"));
    if (!!user == !!sensor)
        ing_http_error(r, 400, "give exactly one of \"user\" or \"sensor\"", 0);
    else
        api_admin_issue(r, c, user ? DB_PRINCIPAL_USER : DB_PRINCIPAL_SENSOR,
                        user ? user : sensor);
    json_decref(body);
}

void api_admin_token_revoke(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    int rc = db_auth_token_revoke(c->db, r->id, r->who.name);
    if (rc == DB_ERR_NOENT)
        ing_http_error(r, 404, "no such live token", 0);
    else if (rc)
        ing_http_error(r, 503, "revocation failed", 0);
    else
        ing_http_reply(r, 200, json_pack("{s:I, s:b}", "token_id", (json_int_t)r->id,
                                         "revoked", 1));
}

void api_admin_metrics(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    struct inc_corr_stats cs;
    memset(&cs, 0, sizeof cs);
    if (c->corr)
        inc_corr_get_stats(c->corr, &cs);
    const struct ing_events_stats *is = &c->ingest->st;
    json_t *o = json_pack("{s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I,"
                          " s:I, s:I, s:I, s:I}}",
                          "uptime_s", (json_int_t)((db_now_us() - c->started_us) / 1000000),
                          "ingest",
                          "batches", (json_int_t)is->batches,
                          "accepted", (json_int_t)is->accepted,
                          "duplicates", (json_int_t)is->duplicates,
                          "rejected", (json_int_t)is->rejected,
                          "failed", (json_int_t)is->failed,
                          "conflicts", (json_int_t)is->conflicts,
                          "correlation",
                          "rules", (json_int_t)(c->corr ? inc_corr_rule_count(c->corr) : 0),
                          "events", (json_int_t)cs.events,
                          "hits", (json_int_t)cs.hits,
                          "incidents_opened", (json_int_t)cs.opened,
                          "incidents_appended", (json_int_t)cs.appended,
                          "failures", (json_int_t)cs.failures,
                          "delay_samples", (json_int_t)cs.delay_samples,
                          "delay_p50_us", (json_int_t)cs.delay_p50_us,
                          "delay_p99_us", (json_int_t)cs.delay_p99_us,
                          "delay_max_us", (json_int_t)cs.delay_max_us);
    ing_http_reply(r, 200, o);
}
