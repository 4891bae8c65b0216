/* ing_http: evhttp glue. Binds (reading back the port when 0 was asked),
 * wraps connections in OpenSSL when TLS is configured, authenticates each
 * request by its bearer token, routes it by method and path pattern and
 * turns every failure into a JSON error: 401 no/unknown token, 403 wrong
 * kind or role, 404 no route, 405 wrong method.
 */
#include "ingest/ing_http.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "ingest/ing_auth.h"
#include "log.h"
#include "store/db.h"

#define ING_HTTP_MAX_ROUTES 64

struct ing_route {
    int methods;
    const char *pattern;
    int need;
    ing_http_fn fn;
    void *arg;
};

struct ing_http {
    struct event_base *base;
    struct evhttp *http;
    struct db *db;
    SSL_CTX *ssl;
    int port;
    uint64_t next_req;
    struct ing_route routes[ING_HTTP_MAX_ROUTES];
    int nroutes;
    ing_http_session_fn session_fn;
    void *session_arg;
    ing_http_fn fallback_fn;
    void *fallback_arg;
};

static const char *ing_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

void ing_http_secure_headers(struct ing_req *r)
{
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(hdr, "Content-Security-Policy",
                      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
                      "data:; object-src 'none'; frame-ancestors 'none'");
    evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(hdr, "Referrer-Policy", "no-referrer");
    evhttp_add_header(hdr, "X-Frame-Options", "DENY");
}

void ing_http_reply(struct ing_req *r, int status, json_t *body)
{
    struct evbuffer *buf = evbuffer_new();
    char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(r->req);
    ing_http_secure_headers(r);
    evhttp_add_header(hdr, "Content-Type", "application/json");
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    if (buf) {
        evbuffer_add_printf(buf, "%s\n", txt ? txt : "{}");
        evhttp_send_reply(r->req, status, ing_http_reason(status), buf);
        evbuffer_free(buf);
    } else {
        evhttp_send_error(r->req, 500, NULL);
    }
    free(txt);
}

void ing_http_error(struct ing_req *r, int status, const char *msg, int line)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    if (o && line > 0)
        json_object_set_new(o, "line", json_integer(line));
    if (status >= 500 || status == 401 || status == 403)
        log_notice("http", "req %llu %s %s: %d %s", (unsigned long long)r->req_id, r->peer,
                   r->path, status, msg);
    else
        log_info("http", "req %llu %s %s: %d %s", (unsigned long long)r->req_id, r->peer,
                 r->path, status, msg);
    ing_http_reply(r, status, o);
}

const char *ing_http_body(struct ing_req *r, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    *len = evbuffer_get_length(in);
    if (*len == 0)
        return "";
    return (const char *)evbuffer_pullup(in, -1);
}

const char *ing_http_header(struct ing_req *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

const char *ing_http_query(struct ing_req *r, const char *name)
{
    const char *v = evhttp_find_header(&r->query, name);
    return v && v[0] ? v : NULL;
}

/* Match pattern against path; "#" matches one component of digits. */
static int ing_http_match(const char *pat, const char *path, int64_t *id)
{
    while (*pat && *path) {
        if (*pat == '#') {
            int64_t v = 0;
            int digits = 0;
            while (*path >= '0' && *path <= '9' && digits < 18) {
                v = v * 10 + (*path - '0');
                path++;
                digits++;
            }
            if (digits == 0 || (*path && *path != '/'))
                return 0;
            *id = v;
            pat++;
            continue;
        }
        if (*pat != *path)
            return 0;
        pat++;
        path++;
    }
    /* A trailing slash on the request is tolerated. */
    return *pat == '\0' && (*path == '\0' || (path[0] == '/' && path[1] == '\0'));
}

/* 0 when the caller may use the route; otherwise the reply has been sent. */
static int ing_http_authorize(struct ing_http *h, struct ing_req *r, int need)
{
    if (need == DB_ROLE_NONE)
        return 0;
    size_t tlen = 0;
    const char *tok = ing_auth_bearer(ing_http_header(r, "Authorization"), &tlen);
    if (!tok && need != ING_HTTP_SENSOR && h->session_fn) {
        int s = h->session_fn(r, h->session_arg);
        if (s < 0)
            return -1;
        if (s == 0)
            goto role;
    }
    if (!tok) {
        ing_http_error(r, 401, "missing bearer token (Authorization: Bearer <token>)", 0);
        return -1;
    }
    unsigned char hash[DB_AUTH_HASH_LEN];
    ing_auth_hash(tok, tlen, hash);
    int rc = db_auth_lookup(h->db, hash, &r->who);
    if (rc == DB_ERR_NOENT) {
        ing_http_error(r, 401, "unknown or revoked token", 0);
        return -1;
    }
    if (rc != 0) {
        ing_http_error(r, 500, "token lookup failed", 0);
        return -1;
    }
    if (need == ING_HTTP_SENSOR) {
        if (r->who.kind != DB_PRINCIPAL_SENSOR) {
            ing_http_error(r, 403, "this endpoint needs a sensor token", 0);
            return -1;
        }
        return 0;
    }
role:
    if (r->who.kind != DB_PRINCIPAL_USER) {
        ing_http_error(r, 403, "sensor tokens may only ingest events", 0);
        return -1;
    }
    if ((int)r->who.role < need) {
        char msg[96];
        snprintf(msg, sizeof msg, "role %s may not do this (needs %s)",
                 db_auth_role_name(r->who.role), db_auth_role_name((enum db_role)need));
        ing_http_error(r, 403, msg, 0);
        return -1;
    }
    return 0;
}

static void ing_http_dispatch(struct evhttp_request *req, void *arg)
{
    struct ing_http *h = arg;
    struct ing_req r;
    memset(&r, 0, sizeof r);
    TAILQ_INIT(&r.query);
    r.req = req;
    r.method = evhttp_request_get_command(req);
    r.req_id = ++h->next_req;
    r.received_us = db_now_us();
    char *peer = NULL;
    ev_uint16_t pport = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer, &pport);
    r.peer = peer ? peer : "?";
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    r.path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!r.path || !r.path[0]) {
        r.path = "/";
    }
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
    if (q && evhttp_parse_query_str(q, &r.query) != 0) {
        ing_http_error(&r, 400, "malformed query string", 0);
        goto out;
    }
    int path_found = 0;
    for (int i = 0; i < h->nroutes; i++) {
        struct ing_route *rt = &h->routes[i];
        int64_t id = 0;
        if (!ing_http_match(rt->pattern, r.path, &id))
            continue;
        path_found = 1;
        if (!(rt->methods & (int)r.method))
            continue;
        r.id = id;
        if (ing_http_authorize(h, &r, rt->need) == 0)
            rt->fn(&r, rt->arg);
        goto out;
    }
    if (!path_found && h->fallback_fn && strncmp(r.path, "/api/", 5) != 0 &&
        (r.method == EVHTTP_REQ_GET || r.method == EVHTTP_REQ_HEAD)) {
        h->fallback_fn(&r, h->fallback_arg);
        goto out;
    }
    ing_http_error(&r, path_found ? 405 : 404, path_found ? "method not allowed" : "no such endpoint",
                   0);
out:
    evhttp_clear_headers(&r.query);
}

int ing_http_route(struct ing_http *h, int methods, const char *pattern, int need,
                   ing_http_fn fn, void *arg)
{
    if (h->nroutes == ING_HTTP_MAX_ROUTES)
        return -1;
    h->routes[h->nroutes++] = (struct ing_route){ methods, pattern, need, fn, arg };
    return 0;
}

void ing_http_set_session(struct ing_http *h, ing_http_session_fn fn, void *arg)
{
    h->session_fn = fn;
    h->session_arg = arg;
}

void ing_http_set_fallback(struct ing_http *h, ing_http_fn fn, void *arg)
{
    h->fallback_fn = fn;
    h->fallback_arg = arg;
}

int ing_http_is_tls(const struct ing_http *h)
{
    return h->ssl != NULL;
}

static struct bufferevent *ing_http_ssl_bev(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(arg);
    if (!ssl)
        return NULL;
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

static SSL_CTX *ing_http_ssl_ctx(const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char e[256];
        ERR_error_string_n(ERR_get_error(), e, sizeof e);
        log_error("http", "tls: %s / %s: %s (check tls.cert and tls.key are a matching PEM "
                  "certificate chain and key)", cert, key, e);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

struct ing_http *ing_http_new(struct event_base *base, struct db *d,
                              const struct ing_http_opts *o)
{
    struct ing_http *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->base = base;
    h->db = d;
    h->http = evhttp_new(base);
    if (!h->http)
        goto fail;
    if (o->tls_cert) {
        h->ssl = ing_http_ssl_ctx(o->tls_cert, o->tls_key ? o->tls_key : o->tls_cert);
        if (!h->ssl)
            goto fail;
        evhttp_set_bevcb(h->http, ing_http_ssl_bev, h->ssl);
    }
    evhttp_set_max_body_size(h->http, (ev_ssize_t)o->max_body);
    evhttp_set_max_headers_size(h->http, (ev_ssize_t)o->max_headers);
    evhttp_set_timeout(h->http, o->timeout_s);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                        EVHTTP_REQ_PATCH | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(h->http, ing_http_dispatch, h);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(h->http, o->address,
                                                                    (ev_uint16_t)o->port);
    if (!bs) {
        log_error("http", "cannot listen on %s:%d (address in use or not local? set "
                  "listen.address / listen.port)", o->address, o->port);
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return h;
fail:
    ing_http_free(h);
    return NULL;
}

int ing_http_port(const struct ing_http *h)
{
    return h->port;
}

void ing_http_free(struct ing_http *h)
{
    if (!h)
        return;
    if (h->http)
        evhttp_free(h->http);
    if (h->ssl)
        SSL_CTX_free(h->ssl);
    free(h);
}
