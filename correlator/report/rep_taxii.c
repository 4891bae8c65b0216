/* rep_taxii: the TAXII 2.1 delivery as a chain of request callbacks, each
 * step starting the next request or finishing with a verdict. Wire JSON is
 * untrusted: every member is type-checked, URLs built from server strings
 * are bounded.
 */
#include "report/rep_taxii.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define REP_TAXII_MEDIA "application/taxii+json;version=2.1"
#define REP_TAXII_URL_MAX 1024
#define REP_TAXII_VERIFY_MAX 32 /* failed objects checked one by one */

enum rep_taxii_step { RT_IDLE, RT_DISCOVERY, RT_ROOT, RT_COLLECTIONS, RT_POST, RT_STATUS,
                      RT_VERIFY };

struct rep_taxii {
    struct event_base *base;
    struct rep_http *http;
    const struct rep_taxii_cfg *cfg;
    struct event *wait;
    enum rep_taxii_step step;
    char root[REP_TAXII_URL_MAX];     /* API root URL, with a trailing '/' */
    char objects[REP_TAXII_URL_MAX];  /* {root}collections/{id}/objects/, "" = unresolved */
    char url[REP_TAXII_URL_MAX + 400];
    char status_id[128];
    int64_t status_deadline;
    const char *envelope;
    size_t len;
    json_t *sent;                     /* id -> modified (or null) of what we POSTed */
    json_t *failures;                 /* still to check */
    size_t verify_i;
    rep_http_done_fn cb;
    void *arg;
};

static const char *const rep_taxii_get_hdrs[] = { "Accept: " REP_TAXII_MEDIA };
static const char *const rep_taxii_post_hdrs[] = { "Accept: " REP_TAXII_MEDIA,
                                                   "Content-Type: " REP_TAXII_MEDIA };

static void rep_taxii_on_res(const struct rep_http_res *res, void *arg);

static void rep_taxii_finish(struct rep_taxii *t, enum rep_http_verdict v, const char *why)
{
    if (v != REP_HTTP_OK)
        t->objects[0] = 0; /* discover again next time */
    json_decref(t->sent);
    json_decref(t->failures);
    t->sent = t->failures = NULL;
    t->step = RT_IDLE;
    rep_http_done_fn cb = t->cb;
    t->cb = NULL;
    cb(t->arg, v, why);
}

static void rep_taxii_get(struct rep_taxii *t, enum rep_taxii_step step)
{
    struct rep_http_req rq = { "GET", t->url, rep_taxii_get_hdrs, 1, NULL, 0, &t->cfg->peer };
    t->step = step;
    if (rep_http_start(t->http, &rq, rep_taxii_on_res, t) != 0)
        rep_taxii_finish(t, REP_HTTP_RETRY, "cannot start a TAXII request");
}

static void rep_taxii_post(struct rep_taxii *t)
{
    snprintf(t->url, sizeof t->url, "%s", t->objects);
    struct rep_http_req rq = { "POST", t->url, rep_taxii_post_hdrs, 2, t->envelope, t->len,
                               &t->cfg->peer };
    t->step = RT_POST;
    if (rep_http_start(t->http, &rq, rep_taxii_on_res, t) != 0)
        rep_taxii_finish(t, REP_HTTP_RETRY, "cannot start the TAXII POST");
}

/* Resolve a server-given URL against the discovery URL (absolute URLs and
 * absolute paths; TAXII 2.1 says api_roots are URLs). 0 or -1 (also for an
 * http:// root under an https:// discovery, and for spaces/control bytes). */
static int rep_taxii_resolve(const char *base, const char *ref, char *out, size_t cap)
{
    int n;
    if (strncmp(ref, "http://", 7) == 0 || strncmp(ref, "https://", 8) == 0) {
        n = snprintf(out, cap, "%s", ref);
    } else if (ref[0] == '/') {
        const char *p = strstr(base, "://");
        const char *slash = p ? strchr(p + 3, '/') : NULL;
        int hostlen = slash ? (int)(slash - base) : (int)strlen(base);
        n = snprintf(out, cap, "%.*s%s", hostlen, base, ref);
    } else {
        return -1;
    }
    if (n <= 0 || (size_t)n >= cap - 1)
        return -1;
    /* Never from https:// to http:// (the password would go in clear), and
     * nothing curl would refuse or read differently. */
    if (strncmp(base, "https://", 8) == 0 && strncmp(out, "https://", 8) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        if ((unsigned char)out[i] <= 0x20 || out[i] == 0x7f)
            return -1;
    if (out[n - 1] != '/') {
        out[n] = '/';
        out[n + 1] = 0;
    }
    return 0;
}

/* Does root (a URL) match the configured api-root (a URL or a path part)? */
static int rep_taxii_root_match(const char *want, const char *root)
{
    size_t wl = strlen(want), rl = strlen(root);
    while (wl && want[wl - 1] == '/')
        wl--;
    while (rl && root[rl - 1] == '/')
        rl--;
    return wl <= rl && strncmp(root + rl - wl, want, wl) == 0 &&
           (wl == rl || root[rl - wl - 1] == '/');
}

/* Is a server-given id safe as one URL path component? TAXII and STIX ids
 * are UUIDs or "type--uuid"; anything outside the unreserved URL characters
 * (RFC 3986: letters, digits, "-._~") would change the URL or reach curl as
 * bytes it refuses, and "." / ".." would walk the path. */
static int rep_taxii_id_ok(const char *id, size_t max)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > max || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~'))
            return 0;
    }
    return 1;
}

static void rep_taxii_on_discovery(struct rep_taxii *t, json_t *j)
{
    const char *want = t->cfg->api_root && t->cfg->api_root[0] ? t->cfg->api_root : NULL;
    const char *pick = want ? NULL : json_string_value(json_object_get(j, "default"));
    json_t *roots = json_object_get(j, "api_roots"), *v;
    size_t i;
    json_array_foreach(roots, i, v) {
        const char *r = json_string_value(v);
        if (!r)
            continue;
        if (want ? rep_taxii_root_match(want, r) : !pick)
            pick = r;
    }
    if (!pick || rep_taxii_resolve(t->cfg->discovery, pick, t->root, sizeof t->root) != 0) {
        char why[400];
        snprintf(why, sizeof why, "%s: no API root %s%s in the discovery resource",
                 t->cfg->discovery, want ? "matching " : "", want ? want : "(no default)");
        rep_taxii_finish(t, REP_HTTP_REFUSED, why);
        return;
    }
    snprintf(t->url, sizeof t->url, "%s", t->root);
    rep_taxii_get(t, RT_ROOT);
}

static void rep_taxii_on_root(struct rep_taxii *t, json_t *j)
{
    json_t *vers = json_object_get(j, "versions"), *v;
    size_t i;
    int ok = 0;
    json_array_foreach(vers, i, v) {
        const char *s = json_string_value(v);
        ok |= s && strncmp(s, "application/taxii+json;version=2.1", 34) == 0;
    }
    if (!ok) {
        char why[REP_TAXII_URL_MAX + 80];
        snprintf(why, sizeof why, "%s: the API root does not list TAXII 2.1 in versions",
                 t->root);
        rep_taxii_finish(t, REP_HTTP_REFUSED, why);
        return;
    }
    snprintf(t->url, sizeof t->url, "%scollections/", t->root);
    rep_taxii_get(t, RT_COLLECTIONS);
}

static void rep_taxii_on_collections(struct rep_taxii *t, json_t *j)
{
    json_t *cols = json_object_get(j, "collections"), *c;
    size_t i;
    const char *want = t->cfg->collection, *id = NULL;
    int readonly = 0;
    json_array_foreach(cols, i, c) {
        const char *cid = json_string_value(json_object_get(c, "id"));
        const char *title = json_string_value(json_object_get(c, "title"));
        if (!rep_taxii_id_ok(cid, 100))
            continue;
        if (strcmp(cid, want) != 0 && !(title && strcmp(title, want) == 0))
            continue;
        if (!json_is_true(json_object_get(c, "can_write"))) {
            readonly = 1;
            continue;
        }
        id = cid;
        break;
    }
    if (!id) {
        char why[REP_TAXII_URL_MAX + 200];
        snprintf(why, sizeof why, "%scollections/: collection \"%s\" %s", t->root, want,
                 readonly ? "is not writable for this user (can_write false)" : "not found");
        rep_taxii_finish(t, REP_HTTP_REFUSED, why);
        return;
    }
    int n = snprintf(t->objects, sizeof t->objects, "%scollections/%s/objects/", t->root, id);
    if (n < 0 || (size_t)n >= sizeof t->objects) {
        t->objects[0] = 0;
        rep_taxii_finish(t, REP_HTTP_REFUSED, "the collection URL is too long");
        return;
    }
    rep_taxii_post(t);
}

static void rep_taxii_verify_next(struct rep_taxii *t);

/* A complete status: all delivered, or check the failures one by one. */
static void rep_taxii_on_status(struct rep_taxii *t, json_t *j)
{
    const char *st = json_string_value(json_object_get(j, "status"));
    const char *sid = json_string_value(json_object_get(j, "id"));
    if (st && strcmp(st, "complete") != 0) {
        struct timeval now;
        event_base_gettimeofday_cached(t->base, &now);
        if (!rep_taxii_id_ok(sid, sizeof t->status_id - 1) || now.tv_sec > t->status_deadline) {
            rep_taxii_finish(t, REP_HTTP_RETRY, rep_taxii_id_ok(sid, sizeof t->status_id - 1)
                             ? "TAXII status still pending at the status timeout"
                             : "TAXII status without a usable id");
            return;
        }
        snprintf(t->status_id, sizeof t->status_id, "%s", sid);
        struct timeval one = { 1, 0 };
        t->step = RT_STATUS;
        evtimer_add(t->wait, &one);
        return;
    }
    json_t *fails = json_object_get(j, "failures");
    if (json_integer_value(json_object_get(j, "failure_count")) == 0 &&
        json_array_size(fails) == 0) {
        rep_taxii_finish(t, REP_HTTP_OK, NULL);
        return;
    }
    t->failures = json_incref(fails);
    t->verify_i = 0;
    rep_taxii_verify_next(t);
}

static void rep_taxii_verify_next(struct rep_taxii *t)
{
    size_t n = json_array_size(t->failures);
    if (t->verify_i >= n) {
        rep_taxii_finish(t, REP_HTTP_OK, NULL);
        return;
    }
    json_t *f = json_array_get(t->failures, t->verify_i);
    const char *id = json_string_value(json_object_get(f, "id"));
    if (t->verify_i >= REP_TAXII_VERIFY_MAX || !rep_taxii_id_ok(id, 120) ||
        !json_object_get(t->sent, id)) {
        char why[400];
        const char *msg = json_string_value(json_object_get(f, "message"));
        snprintf(why, sizeof why, "the collection refused %s: %s", id ? id : "an object",
                 msg ? msg : "(no message)");
        rep_taxii_finish(t, REP_HTTP_REFUSED, why);
        return;
    }
    /* The latest version the collection holds (no match[version]: medallion
     * 3.0.0 answers 500 to it). */
    snprintf(t->url, sizeof t->url, "%s%s/", t->objects, id);
    rep_taxii_get(t, RT_VERIFY);
}

/* Is the version we sent of the object being verified in the answer? */
static void rep_taxii_on_verify(struct rep_taxii *t, json_t *j)
{
    json_t *f = json_array_get(t->failures, t->verify_i);
    const char *id = json_string_value(json_object_get(f, "id"));
    json_t *mine = json_object_get(t->sent, id), *o;
    size_t i;
    int found = 0;
    json_array_foreach(json_object_get(j, "objects"), i, o) {
        json_t *m = json_object_get(o, "modified");
        /* Ours, or a later version (RFC 3339 UTC strings sort as times). */
        if (json_equal(json_object_get(o, "id"), json_object_get(f, "id")) &&
            (json_is_null(mine) || (json_is_string(m) && json_is_string(mine) &&
                                    strcmp(json_string_value(m), json_string_value(mine)) >= 0)))
            found = 1;
    }
    if (!found) {
        char why[400];
        const char *msg = json_string_value(json_object_get(f, "message"));
        snprintf(why, sizeof why, "the collection refused %s: %s", id,
                 msg ? msg : "(no message)");
        rep_taxii_finish(t, REP_HTTP_REFUSED, why);
        return;
    }
    t->verify_i++;
    rep_taxii_verify_next(t);
}

static void rep_taxii_on_res(const struct rep_http_res *res, void *arg)
{
    struct rep_taxii *t = arg;
    char why[sizeof t->url + 400];
    log_debug("report", "taxii step %d: %s: HTTP %ld", (int)t->step, t->url, res->status);
    if (rep_http_verdict_of(res) != REP_HTTP_OK) {
        rep_http_reason(res, t->url, why, sizeof why);
        rep_taxii_finish(t, rep_http_verdict_of(res), why);
        return;
    }
    json_error_t e;
    json_t *j = json_loadb(res->body, res->len, 0, &e);
    if (!json_is_object(j)) {
        snprintf(why, sizeof why, "%s: HTTP %ld with a body that is not a JSON object (%s)",
                 t->url, res->status, j ? "wrong type" : e.text);
        json_decref(j);
        rep_taxii_finish(t, REP_HTTP_RETRY, why);
        return;
    }
    switch (t->step) {
    case RT_DISCOVERY: rep_taxii_on_discovery(t, j); break;
    case RT_ROOT: rep_taxii_on_root(t, j); break;
    case RT_COLLECTIONS: rep_taxii_on_collections(t, j); break;
    case RT_POST:
    case RT_STATUS: rep_taxii_on_status(t, j); break;
    case RT_VERIFY: rep_taxii_on_verify(t, j); break;
    case RT_IDLE: break;
    }
    json_decref(j);
}

static void rep_taxii_on_wait(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rep_taxii *t = arg;
    snprintf(t->url, sizeof t->url, "%sstatus/%s/", t->root, t->status_id);
    rep_taxii_get(t, RT_STATUS);
}

struct rep_taxii *rep_taxii_new(struct event_base *base, struct rep_http *h,
                                const struct rep_taxii_cfg *c)
{
    struct rep_taxii *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base = base;
    t->http = h;
    t->cfg = c;
    t->wait = evtimer_new(base, rep_taxii_on_wait, t);
    if (!t->wait) {
        free(t);
        return NULL;
    }
    return t;
}

void rep_taxii_free(struct rep_taxii *t)
{
    if (!t)
        return;
    event_free(t->wait);
    json_decref(t->sent);
    json_decref(t->failures);
    free(t);
}

int rep_taxii_send(struct rep_taxii *t, const char *envelope, size_t len, rep_http_done_fn cb,
                   void *arg)
{
    if (t->step != RT_IDLE)
        return -1;
    json_t *env = json_loadb(envelope, len, 0, NULL), *o;
    t->sent = json_object();
    size_t i;
    json_array_foreach(json_object_get(env, "objects"), i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        json_t *m = json_object_get(o, "modified");
        if (id)
            json_object_set(t->sent, id, m ? m : json_null());
    }
    json_decref(env);
    t->envelope = envelope;
    t->len = len;
    t->cb = cb;
    t->arg = arg;
    struct timeval now;
    event_base_gettimeofday_cached(t->base, &now);
    t->status_deadline = now.tv_sec + t->cfg->status_timeout_s;
    if (t->objects[0]) {
        rep_taxii_post(t);
    } else {
        snprintf(t->url, sizeof t->url, "%s", t->cfg->discovery);
        rep_taxii_get(t, RT_DISCOVERY);
    }
    return 0;
}
