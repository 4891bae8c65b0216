/* ing_http: the correlator's HTTP(S) server on the libevent loop (evhttp):
 * binding (port 0 allowed), TLS with OpenSSL when a certificate is
 * configured, bearer-token authentication, routing and JSON replies.
 *
 * Every request is authenticated before its handler runs: a route says
 * whether it wants a sensor token (ingest scope) or a user token of at
 * least some role. Handlers answer exactly once through ing_http_reply()
 * or ing_http_error(); errors are JSON {"error": "...", "line": n}.
 * One owner: the loop thread.
 */
#ifndef CANH_ING_HTTP_H
#define CANH_ING_HTTP_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db_auth.h"

struct ing_http;

struct ing_http_opts {
    const char *address;   /* e.g. "127.0.0.1" */
    int port;              /* 0: any free port (see ing_http_port) */
    const char *tls_cert;  /* PEM files; NULL for plain HTTP */
    const char *tls_key;
    size_t max_body;       /* bytes as sent (compressed); larger gets 413 */
    size_t max_headers;
    int timeout_s;
};

/* One request as a handler sees it; valid for the handler call only. */
struct ing_req {
    struct evhttp_request *req;
    enum evhttp_cmd_type method;
    const char *path;
    struct evkeyvalq query;       /* decoded query string */
    struct db_principal who;      /* the authenticated caller */
    int64_t id;                   /* the number in a "/#" path component, else 0 */
    uint64_t req_id;              /* for log lines */
    const char *peer;             /* client address */
    int64_t received_us;          /* when the full request had arrived */
};

typedef void (*ing_http_fn)(struct ing_req *r, void *arg);

/* What a route requires: a sensor token, or a user with at least min_role. */
#define ING_HTTP_SENSOR (-1)

struct ing_http *ing_http_new(struct event_base *base, struct db *d,
                              const struct ing_http_opts *o);
void ing_http_free(struct ing_http *h);
/* The bound port (useful with port 0). */
int ing_http_port(const struct ing_http *h);

/* Register a route. methods: EVHTTP_REQ_* mask. pattern: a path where a
 * "#" component matches a positive integer (r->id), e.g.
 * "/api/v1/incidents/#/comments". need: ING_HTTP_SENSOR or an enum db_role
 * (DB_ROLE_NONE: no token needed). 0 or -1 when the table is full. */
int ing_http_route(struct ing_http *h, int methods, const char *pattern, int need,
                   ing_http_fn fn, void *arg);

/* Browser sessions (the portal, correlator/portal/portal_auth.c): called
 * for a route that needs a user when the request has no bearer token.
 * Returns 0 after filling r->who (and checking the CSRF header of a
 * state-changing request), 1 when the request carries no session (it then
 * gets 401), or -1 after answering itself (e.g. 403 csrf). */
typedef int (*ing_http_session_fn)(struct ing_req *r, void *arg);
void ing_http_set_session(struct ing_http *h, ing_http_session_fn fn, void *arg);

/* GET/HEAD requests outside /api/ that no route matches go to fn without
 * authentication (the portal's static files) instead of a 404. */
void ing_http_set_fallback(struct ing_http *h, ing_http_fn fn, void *arg);

/* Whether the listener speaks TLS (the session cookie is then Secure). */
int ing_http_is_tls(const struct ing_http *h);

/* Add the security headers every answer carries (Content-Security-Policy,
 * X-Content-Type-Options, Referrer-Policy, X-Frame-Options). */
void ing_http_secure_headers(struct ing_req *r);

/* Answer with JSON (the reference is stolen; NULL sends {}). */
void ing_http_reply(struct ing_req *r, int status, json_t *body);
/* Answer {"error": msg[, "line": line]} (line 0 leaves it out). */
void ing_http_error(struct ing_req *r, int status, const char *msg, int line);

/* The request body as one contiguous buffer (borrowed), its length in *len. */
const char *ing_http_body(struct ing_req *r, size_t *len);
/* A request header, or NULL. */
const char *ing_http_header(struct ing_req *r, const char *name);
/* A decoded query parameter, or NULL. */
const char *ing_http_query(struct ing_req *r, const char *name);

#endif
