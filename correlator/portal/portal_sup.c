/* portal_sup: suppressions. The live ones (not expired, wall time) are
 * cached in struct portal and reloaded after every change, so the filter
 * the correlation runs on each hit costs a scan of a short array and no
 * query unless it matches; a match bumps the suppression's counter inside
 * the correlation transaction. Also GET/POST /suppressions and DELETE
 * /suppressions/{id} (created and removed by analysts, audited).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ing_eve.h"
#include "log.h"
#include "portal/portal_private.h"

int portal_sup_reload(struct portal *p)
{
    struct db_sup *arr = NULL;
    size_t n = 0;
    int rc = db_sup_active(p->db, db_now_us(), &arr, &n);
    if (rc) {
        log_error("portal", "cannot load suppressions; the previous set stays active");
        return rc;
    }
    free(p->sups);
    p->sups = arr;
    p->nsups = n;
    return 0;
}

static int portal_sup_addr_in(const char *addr, const struct corr_hit *hit, const char *src,
                              const char *dest)
{
    if ((src && strcmp(src, addr) == 0) || (dest && strcmp(dest, addr) == 0))
        return 1;
    const char *k;
    json_t *v;
    json_object_foreach(hit->group_fields, k, v) {
        const char *s = json_string_value(v);
        if (s && strcmp(s, addr) == 0)
            return 1;
    }
    return 0;
}

int portal_sup_filter(const struct corr_hit *hit, json_t *event, void *arg)
{
    struct portal *p = arg;
    if (p->nsups == 0 || !hit->rule_id)
        return 0;
    int64_t now = db_now_us();
    const char *src = json_string_value(json_object_get(event, "src_ip"));
    const char *dest = json_string_value(json_object_get(event, "dest_ip"));
    for (size_t i = 0; i < p->nsups; i++) {
        const struct db_sup *s = &p->sups[i];
        if (s->expires_us <= now)
            continue;
        if (s->rule_id[0] && strcmp(s->rule_id, hit->rule_id) != 0)
            continue;
        if (s->address[0] && !portal_sup_addr_in(s->address, hit, src, dest))
            continue;
        if (db_sup_hit(p->db, s->id, now) != 0)
            return 0; /* could not count it: apply the hit rather than lose it */
        log_debug("portal", "hit of rule %s folded by suppression %lld", hit->rule_id,
                  (long long)s->id);
        return 1;
    }
    return 0;
}

void portal_sup_list(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    json_t *arr = db_sup_list(p->db);
    if (!arr)
        ing_http_error(r, 500, "suppression query failed", 0);
    else
        ing_http_reply(r, 200, arr);
}

static int portal_sup_ip_valid(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

void portal_sup_create(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    json_t *body = api_json_body(r);
    if (!body)
        return;
    json_t *jr = json_object_get(body, "rule_id"), *ja = json_object_get(body, "address");
    json_t *ji = json_object_get(body, "incident");
    const char *rule = json_string_value(jr), *addr = json_string_value(ja);
    const char *reason = json_string_value(json_object_get(body, "reason"));
    const char *exp = json_string_value(json_object_get(body, "expires"));
    int64_t expires = exp ? ing_eve_time(exp) : 0;
    if ((jr && !json_is_null(jr) && (!rule || !rule[0])) ||
        (ja && !json_is_null(ja) && (!addr || !portal_sup_ip_valid(addr))) ||
        (ji && !json_is_null(ji) && (!json_is_integer(ji) || json_integer_value(ji) <= 0))) {
        ing_http_error(r, 400, "\"rule_id\" must be a rule id, \"address\" an IPv4/IPv6 address "
                       "and \"incident\" an incident id", 0);
        goto out;
    }
    if (!rule && !addr) {
        ing_http_error(r, 400, "give \"rule_id\", \"address\" or both", 0);
        goto out;
    }
    if (!reason || !reason[0] || strlen(reason) > 4096) {
        ing_http_error(r, 400, "\"reason\" is required (at most 4096 bytes)", 0);
        goto out;
    }
    if (!expires || expires <= db_now_us()) {
        ing_http_error(r, 400, "\"expires\" must be an RFC 3339 time in the future", 0);
        goto out;
    }
    int64_t id = 0, inc = ji && json_is_integer(ji) ? json_integer_value(ji) : 0;
    int rc = db_sup_add(p->db, rule, addr, reason, expires, r->who.name, inc, &id);
    if (rc == DB_ERR_NOENT)
        ing_http_error(r, 404, "no such incident", 0);
    else if (rc == DB_ERR_INVAL)
        ing_http_error(r, 400, "rule_id (at most 200 bytes) or address too long", 0);
    else if (rc)
        ing_http_error(r, 503, "suppression failed; retry later", 0);
    else {
        portal_sup_reload(p);
        log_notice("portal", "user %s suppressed rule %s address %s until %s (id %lld)",
                   r->who.name, rule ? rule : "*", addr ? addr : "*", exp, (long long)id);
        ing_http_reply(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
    }
out:
    json_decref(body);
}

void portal_sup_delete(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    int rc = db_sup_delete(p->db, r->id, r->who.name);
    if (rc == DB_ERR_NOENT) {
        ing_http_error(r, 404, "no such suppression", 0);
        return;
    }
    if (rc) {
        ing_http_error(r, 503, "deletion failed; retry later", 0);
        return;
    }
    portal_sup_reload(p);
    log_notice("portal", "user %s removed suppression %lld", r->who.name, (long long)r->id);
    portal_reply_empty(r, 204);
}
