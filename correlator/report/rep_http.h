/* rep_http: outbound HTTP(S) requests on the correlator's libevent loop
 * through one libcurl multi handle (the hiperfifo pattern: curl tells us
 * which sockets and timeout to watch; events drive curl_multi_socket_action).
 * Nothing blocks the loop. TLS verification is on unless a caller turns it
 * off; response bodies are capped (REP_HTTP_MAX_BODY) and larger answers
 * fail. One owner: the loop thread.
 */
#ifndef CANH_REP_HTTP_H
#define CANH_REP_HTTP_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#define REP_HTTP_MAX_BODY (4u << 20)

struct rep_http;

/* How to reach a peer: all strings borrowed for the request's life. */
struct rep_http_peer {
    const char *user, *password;   /* basic auth when user is set */
    const char *ca_file;           /* PEM CA bundle; NULL: the system's */
    const char *cert, *key;        /* client certificate (PEM); NULL: none */
    bool verify;                   /* peer and host name verification */
    long timeout_s;                /* whole request */
};

struct rep_http_req {
    const char *method;            /* "GET" or "POST" */
    const char *url;
    const char *const *headers;    /* "Name: value" lines */
    size_t nheaders;
    const char *body;              /* POST body, borrowed until the callback */
    size_t body_len;
    const struct rep_http_peer *peer;
};

struct rep_http_res {
    long status;                   /* HTTP status, 0 when no answer */
    const char *body;              /* NUL-terminated, borrowed for the callback */
    size_t len;
    const char *error;             /* curl's error text when status is 0, else "" */
};

typedef void (*rep_http_fn)(const struct rep_http_res *res, void *arg);

struct rep_http *rep_http_new(struct event_base *base);
/* Abandons requests in flight without calling their callbacks. */
void rep_http_free(struct rep_http *h);

/* Start a request; cb runs once on the loop when it ends (never from
 * inside this call). 0 or -1 (nothing started, cb not called). */
int rep_http_start(struct rep_http *h, const struct rep_http_req *rq, rep_http_fn cb, void *arg);

/* ---- what a delivery attempt ended with (shared by the transports) ---- */

enum rep_http_verdict {
    REP_HTTP_OK = 0,
    REP_HTTP_RETRY = 1,    /* transient: no answer, timeout, 408, 429, 5xx */
    REP_HTTP_REFUSED = 2,  /* needs a person: 401/403, 404 (wrong URL), 4xx on content */
};

/* The verdict for a finished request. */
enum rep_http_verdict rep_http_verdict_of(const struct rep_http_res *res);

/* "HTTP 401 from URL: <title/description of a TAXII error, or body start>"
 * or "URL: <curl error>" into out. */
void rep_http_reason(const struct rep_http_res *res, const char *url, char *out, size_t cap);

/* A transport's completion: verdict and, unless OK, why (borrowed). */
typedef void (*rep_http_done_fn)(void *arg, enum rep_http_verdict v, const char *reason);
#endif
