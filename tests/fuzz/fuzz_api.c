/* fuzz_api: the correlator's HTTP API request parsing and validation run
 * through the real handlers against a fresh in-memory store (two incidents
 * with events): GET /incidents and /events query strings (filters, sort,
 * paging, RFC 3339 times), the portal's counts, and the JSON bodies of
 * PATCH /incidents/{id}, comments, suppressions, bulk, merge, move and
 * PUT /me/prefs. Requests are evhttp_request_new() objects with the body
 * in their input buffer (no network); evhttp_send_reply is wrapped at link
 * time to see the answer. Checks: every request is answered exactly once
 * and never with a 5xx (bad input is a 4xx; the store is healthy).
 * POST /login is left out: each try runs an Argon2id verification.
 *
 * Input: [handler][role][query or body] (the query is decoded with
 * evhttp_parse_query_str, as ing_http does).
 */
#include "portal/portal_api.c" /* its handlers are static */

#include <event2/buffer.h>

#include "store/db_event.h"
#include "store/db_incident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void __real_evhttp_send_reply(struct evhttp_request *req, int code, const char *reason,
                              struct evbuffer *databuf);
void __wrap_evhttp_send_reply(struct evhttp_request *req, int code, const char *reason,
                              struct evbuffer *databuf);

static int fuzz_api_answers, fuzz_api_code;

void __wrap_evhttp_send_reply(struct evhttp_request *req, int code, const char *reason,
                              struct evbuffer *databuf)
{
    fuzz_api_answers++;
    fuzz_api_code = code;
    __real_evhttp_send_reply(req, code, reason, databuf);
}

struct fuzz_api_route {
    const char *name;
    enum evhttp_cmd_type method;
    bool query;          /* the input is a query string, else a body */
    bool portal;         /* arg: the portal, else the api_ctx */
    ing_http_fn fn;
};

static const struct fuzz_api_route fuzz_api_routes[] = {
    { "incidents", EVHTTP_REQ_GET, true, false, api_incidents_list },
    { "events", EVHTTP_REQ_GET, true, false, api_events_search },
    { "counts", EVHTTP_REQ_GET, true, true, portal_api_counts },
    { "change", EVHTTP_REQ_PATCH, false, false, api_incidents_change },
    { "comment", EVHTTP_REQ_POST, false, false, api_incidents_comment },
    { "suppress", EVHTTP_REQ_POST, false, true, portal_sup_create },
    { "bulk", EVHTTP_REQ_POST, false, true, portal_api_bulk },
    { "merge", EVHTTP_REQ_POST, false, true, portal_api_merge },
    { "move", EVHTTP_REQ_POST, false, true, portal_api_move },
    { "prefs", EVHTTP_REQ_PUT, false, true, portal_auth_prefs },
};

/* Two incidents (ids 1 and 2) as the correlation would open them; their
 * events are not stored, so a move finds none (404). */
static void fuzz_api_seed(struct db *d)
{
    static const char *const rules[2] = { "port_scan", "web_sqli" };
    for (int k = 0; k < 2; k++) {
        char id1[32], id2[32];
        const char *ids[2] = { id1, id2 };
        snprintf(id1, sizeof id1, "s1:%d", k * 2 + 1);
        snprintf(id2, sizeof id2, "s1:%d", k * 2 + 2);
        json_t *gf = json_pack("{s:s}", "src_ip", k ? "203.0.113.2" : "203.0.113.1");
        json_t *m = json_pack("{s:s}", "event_type", "alert");
        struct corr_hit h = { rules[k], k ? "SQL injection" : "Port scan", NULL, "fuzz", NULL,
                              1 + k, k ? "high" : "medium", NULL, 0,
                              k ? "src_ip=203.0.113.2" : "src_ip=203.0.113.1", gf, m, ids, 2,
                              1795748207000000LL, 1795748267000000LL };
        int64_t iid;
        bool created;
        if (db_incident_apply(d, &h, 1795748300000000LL, &iid, &created) != 0)
            abort();
        json_decref(gf);
        json_decref(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        log_set_level(LOG_LVL_NONE);
        init = true;
    }
    if (size < 2 || size > 16384)
        return 0;
    const struct fuzz_api_route *rt =
        &fuzz_api_routes[data[0] % (sizeof fuzz_api_routes / sizeof *fuzz_api_routes)];
    struct db *d = db_open(":memory:");
    if (!d)
        abort();
    fuzz_api_seed(d);
    struct api_ctx api = { .db = d, .page_max = 500, .incident_events = 20 };
    struct portal_cfg pc = { .enabled = false, .session_idle_s = 3600, .silent_after_s = 600,
                             .lockout_attempts = 5, .lockout_address_attempts = 20,
                             .lockout_window_s = 900 };
    struct portal *p = portal_new(d, &pc);
    if (!p)
        abort();
    p->api = &api;
    api.portal = p;

    struct ing_req r;
    memset(&r, 0, sizeof r);
    r.req = evhttp_request_new(NULL, NULL);
    if (!r.req)
        abort();
    r.method = rt->method;
    r.path = rt->name;
    r.peer = "192.0.2.1";
    r.id = 1 + (data[1] >> 4) % 3; /* 1, 2 (exist) or 3 (does not) */
    r.who.kind = DB_PRINCIPAL_USER;
    r.who.role = (enum db_role)(DB_ROLE_VIEWER + (data[1] & 3));
    snprintf(r.who.name, sizeof r.who.name, "analyst");
    char *q = NULL;
    bool answered_early = false;
    if (rt->query) {
        q = malloc(size - 1);
        if (!q)
            abort();
        memcpy(q, data + 2, size - 2);
        q[size - 2] = '\0';
        if (evhttp_parse_query_str(q, &r.query) != 0)
            answered_early = true; /* ing_http answers 400 itself */
    } else {
        evbuffer_add(evhttp_request_get_input_buffer(r.req), data + 2, size - 2);
    }
    fuzz_api_answers = 0;
    if (answered_early) {
        evhttp_request_free(r.req);
    } else {
        rt->fn(&r, rt->portal ? (void *)p : (void *)&api);
        if (fuzz_api_answers != 1 || fuzz_api_code >= 500 || fuzz_api_code < 200)
            abort();
    }
    evhttp_clear_headers(&r.query);
    free(q);
    portal_free(p);
    db_close(d);
    return 0;
}
