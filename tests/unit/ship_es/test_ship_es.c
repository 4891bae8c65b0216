/* Unit tests of correlator/ship (ship_es): argument checks, index names, the
 * queue bound, the config section, and the bulk protocol against an evhttp
 * server on the same event loop (127.0.0.1, port 0) that gunzips each body,
 * answers per item as the document asks (ok, dup → 409, bad → 400, busy →
 * 429 once, big → the whole request 413 above a size), and records what it
 * got. The real-cluster checks are the `opensearch` suite (tests/es).
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cfg.h"
#include "log.h"
#include "../runner.h"
#include "ship/ship_es.h"

/* ------------------------------------------------------------ fake cluster */
struct srv {
    struct evhttp *http;
    int port;
    int bulk_requests, gzip_requests, tmpl_gets, tmpl_puts;
    int busy_seen[64];          /* per doc seq: 429 given once */
    int fail_next_bulk;         /* whole-request 503s still to give */
    size_t max_body;            /* 413 above this many NDJSON bytes (0: never) */
    char order[4096];           /* ids of stored docs, in arrival order */
    int bulk_before_tmpl;       /* a bulk arrived before the template PUT */
    int tmpl_present;
};

static int gunzip(const unsigned char *in, size_t n, char **out, size_t *outn)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    size_t cap = n * 8 + 1024;
    char *buf = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    int rc;
    do {
        if (z.total_out == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        z.next_out = (Bytef *)buf + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        rc = inflate(&z, Z_NO_FLUSH);
    } while (rc == Z_OK);
    *outn = z.total_out;
    inflateEnd(&z);
    *out = buf;
    return rc == Z_STREAM_END ? 0 : -1;
}

static void srv_reply(struct evhttp_request *req, int code, const char *body)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, body, strlen(body));
    evhttp_send_reply(req, code, code == 200 ? "OK" : "ERR", b);
    evbuffer_free(b);
}

static void srv_bulk(struct srv *sv, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    unsigned char *raw = evbuffer_pullup(in, (ssize_t)n);
    const char *ce = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Encoding");
    char *body = NULL;
    size_t blen = 0;

    sv->bulk_requests++;
    if (sv->tmpl_puts == 0)
        sv->bulk_before_tmpl = 1;
    if (ce && strcmp(ce, "gzip") == 0) {
        sv->gzip_requests++;
        if (gunzip(raw, n, &body, &blen) != 0) {
            srv_reply(req, 400, "{\"error\":\"bad gzip\"}");
            free(body);
            return;
        }
    } else {
        body = malloc(n + 1);
        memcpy(body, raw, n);
        blen = n;
    }
    if (sv->fail_next_bulk > 0) {
        sv->fail_next_bulk--;
        srv_reply(req, 503, "{\"error\":\"unavailable\"}");
        free(body);
        return;
    }
    if (sv->max_body && blen > sv->max_body) {
        srv_reply(req, 413, "");
        free(body);
        return;
    }
    json_t *items = json_array();
    char *p = body, *end = body + blen;
    while (p < end) {
        char *nl1 = memchr(p, '\n', (size_t)(end - p));
        char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
        if (!nl2)
            break;
        json_t *act = json_loadb(p, (size_t)(nl1 - p), 0, NULL);
        json_t *doc = json_loadb(nl1 + 1, (size_t)(nl2 - nl1 - 1), 0, NULL);
        const char *id = json_string_value(json_object_get(json_object_get(act, "create"), "_id"));
        const char *t = json_string_value(json_object_get(doc, "t"));
        int seq = (int)json_integer_value(json_object_get(doc, "seq"));
        int status = 201;
        if (!t)
            status = 400;
        else if (strcmp(t, "dup") == 0)
            status = 409;
        else if (strcmp(t, "bad") == 0)
            status = 400;
        else if (strcmp(t, "busy") == 0 && seq < 64 && !sv->busy_seen[seq]++)
            status = 429;
        json_t *res = json_pack("{s:i}", "status", status);
        if (status == 400)
            json_object_set_new(res, "error", json_pack("{s:s,s:s}", "type", "mapper_parsing_exception",
                                                        "reason", "failed to parse field [src_ip]"));
        if (status == 429)
            json_object_set_new(res, "error", json_pack("{s:s,s:s}", "type", "es_rejected_execution_exception",
                                                        "reason", "queue full"));
        if (status == 201 && id && strlen(sv->order) + strlen(id) + 2 < sizeof(sv->order)) {
            strcat(sv->order, id);
            strcat(sv->order, " ");
        }
        json_array_append_new(items, json_pack("{s:o}", "create", res));
        json_decref(act);
        json_decref(doc);
        p = nl2 + 1;
    }
    json_t *root = json_pack("{s:b,s:o}", "errors", 1, "items", items);
    char *txt = json_dumps(root, JSON_COMPACT);
    srv_reply(req, 200, txt);
    free(txt);
    json_decref(root);
    free(body);
}

static void srv_cb(struct evhttp_request *req, void *arg)
{
    struct srv *sv = arg;
    const char *uri = evhttp_request_get_uri(req);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

    if (strncmp(uri, "/_bulk", 6) == 0 && cmd == EVHTTP_REQ_POST) {
        srv_bulk(sv, req);
    } else if (strncmp(uri, "/_index_template/", 17) == 0 && cmd == EVHTTP_REQ_GET) {
        sv->tmpl_gets++;
        srv_reply(req, sv->tmpl_present ? 200 : 404,
                  sv->tmpl_present ? "{\"index_templates\":[{\"name\":\"t\",\"index_template\":{\"version\":1}}]}"
                                   : "{}");
    } else if (strncmp(uri, "/_index_template/", 17) == 0 && cmd == EVHTTP_REQ_PUT) {
        sv->tmpl_puts++;
        sv->tmpl_present = 1;
        srv_reply(req, 200, "{\"acknowledged\":true}");
    } else {
        srv_reply(req, 404, "{}");
    }
}

static struct bufferevent *srv_tls_bev(struct event_base *base, void *arg)
{
    return bufferevent_openssl_socket_new(base, -1, SSL_new((SSL_CTX *)arg),
                                          BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static int srv_start(struct event_base *base, struct srv *sv)
{
    memset(sv, 0, sizeof(*sv));
    sv->http = evhttp_new(base);
    evhttp_set_allowed_methods(sv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT);
    evhttp_set_gencb(sv->http, srv_cb, sv);
    struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(sv->http, "127.0.0.1", 0);
    if (!h)
        return -1;
    struct sockaddr_storage ss;
    ev_socklen_t sl = sizeof(ss);
    getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&ss, &sl);
    sv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

/* ------------------------------------------------------------ client side */
#define NDOC 40

struct outcome {
    int final[NDOC];  /* -1 none yet, else SHIP_ES_DONE / SHIP_ES_REJECTED */
    int finals[NDOC]; /* how many final outcomes (must be exactly 1) */
    int retries[NDOC];
    char reason[NDOC][200];
};

static void on_result(void *arg, uint64_t cookie, int outcome, const char *reason)
{
    struct outcome *o = arg;
    if (cookie >= NDOC)
        return;
    if (outcome == SHIP_ES_RETRY) {
        o->retries[cookie]++;
        return;
    }
    o->final[cookie] = outcome;
    o->finals[cookie]++;
    snprintf(o->reason[cookie], sizeof(o->reason[cookie]), "%s", reason ? reason : "");
}

struct runctx {
    struct ship_es *s;
    struct event_base *base;
    int ticks;
};

static void run_tick(evutil_socket_t fd, short what, void *arg)
{
    struct runctx *r = arg;
    (void)fd;
    (void)what;
    if (ship_es_pending(r->s) == 0 || ++r->ticks > 1500)
        event_base_loopbreak(r->base);
}

/* Runs the loop until nothing is pending or ~15 s passed. */
static void run_until_idle(struct event_base *base, struct ship_es *s)
{
    struct runctx r = { s, base, 0 };
    struct event *t = event_new(base, -1, EV_PERSIST, run_tick, &r);
    struct timeval tv = { 0, 10000 };
    event_add(t, &tv);
    event_base_dispatch(base);
    event_free(t);
}

static void base_cfg(struct ship_es_cfg *c, char *url, size_t cap, int port, struct outcome *o)
{
    ship_es_cfg_defaults(c);
    snprintf(url, cap, "http://127.0.0.1:%d/", port);
    c->url = url;
    c->flush_ms = 20;
    c->retry_min_ms = 5;
    c->retry_max_ms = 40;
    c->on_result = on_result;
    c->on_result_arg = o;
    for (int i = 0; i < NDOC; i++)
        o->final[i] = -1;
}

static void add_doc(struct ship_es *s, int seq, const char *t)
{
    char id[32], doc[128];
    snprintf(id, sizeof(id), "s:%d", seq);
    int n = snprintf(doc, sizeof(doc), "{\"t\":\"%s\",\"seq\":%d,\"src_ip\":\"10.0.0.%d\"}", t, seq, seq);
    CHECK_EQ_INT(ship_es_add(s, "canh-events-2026.11.27", id, doc, (size_t)n, (uint64_t)seq), 0);
}

TEST(per_item_outcomes_retry_and_order)
{
    struct event_base *base = event_base_new();
    struct srv sv;
    struct outcome o;
    struct ship_es_cfg c;
    char url[64];

    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(srv_start(base, &sv), 0);
    base_cfg(&c, url, sizeof(url), sv.port, &o);
    c.batch_docs = 10;
    struct ship_es *s = ship_es_new(base, &c);
    CHECK(s != NULL);
    if (!s)
        return;
    const char *kinds[] = { "ok", "ok", "dup", "ok", "bad", "busy", "ok" };
    for (int i = 0; i < 25; i++)
        add_doc(s, i, kinds[i % 7]);
    CHECK_EQ_INT(ship_es_pending(s), 25);
    run_until_idle(base, s);
    CHECK_EQ_INT(ship_es_pending(s), 0);
    int rejected = 0, dups = 0, busy = 0;
    for (int i = 0; i < 25; i++) {
        const char *k = kinds[i % 7];
        CHECK_EQ_INT(o.finals[i], 1);
        if (strcmp(k, "bad") == 0) {
            CHECK_EQ_INT(o.final[i], SHIP_ES_REJECTED);
            CHECK(strstr(o.reason[i], "400 mapper_parsing_exception") != NULL);
            rejected++;
        } else {
            CHECK_EQ_INT(o.final[i], SHIP_ES_DONE);
        }
        if (strcmp(k, "busy") == 0) {
            CHECK_EQ_INT(o.retries[i], 1);
            busy++;
        } else {
            CHECK_EQ_INT(o.retries[i], 0);
        }
        if (strcmp(k, "dup") == 0)
            dups++;
    }
    struct ship_es_stats st;
    ship_es_stats_get(s, &st);
    CHECK_EQ_INT(st.rejected, rejected);
    CHECK_EQ_INT(st.duplicates, dups);
    CHECK_EQ_INT(st.retried, busy);
    CHECK_EQ_INT(st.done, 25 - rejected);
    CHECK(strstr(st.last_reject, "canh-events-2026.11.27/s:") != NULL);
    /* 25 documents in batches of 10, plus the retried ones. */
    CHECK(sv.bulk_requests >= 3);
    CHECK_EQ_INT(sv.gzip_requests, sv.bulk_requests);
    /* Documents that went through first time arrived in the order added. */
    CHECK(strncmp(sv.order, "s:0 s:1 s:3 s:6 s:7 s:8 ", 24) == 0);
    ship_es_free(s);
    evhttp_free(sv.http);
    event_base_free(base);
}

TEST(whole_request_failure_backs_off_and_resends)
{
    struct event_base *base = event_base_new();
    struct srv sv;
    struct outcome o;
    struct ship_es_cfg c;
    char url[64];

    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(srv_start(base, &sv), 0);
    sv.fail_next_bulk = 3;
    base_cfg(&c, url, sizeof(url), sv.port, &o);
    c.gzip = false;
    struct ship_es *s = ship_es_new(base, &c);
    for (int i = 0; i < 5; i++)
        add_doc(s, i, "ok");
    run_until_idle(base, s);
    struct ship_es_stats st;
    ship_es_stats_get(s, &st);
    CHECK_EQ_INT(st.done, 5);
    CHECK_EQ_INT(st.request_failures, 3);
    CHECK_EQ_INT(st.retried, 15);
    CHECK(strstr(st.last_error, "HTTP 503") != NULL);
    CHECK_EQ_INT(sv.gzip_requests, 0);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(o.final[i], SHIP_ES_DONE);
        CHECK_EQ_INT(o.retries[i], 3);
    }
    CHECK(strncmp(sv.order, "s:0 s:1 s:2 s:3 s:4 ", 20) == 0);
    ship_es_free(s);
    evhttp_free(sv.http);
    event_base_free(base);
}

TEST(too_large_request_is_split)
{
    struct event_base *base = event_base_new();
    struct srv sv;
    struct outcome o;
    struct ship_es_cfg c;
    char url[64];

    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(srv_start(base, &sv), 0);
    sv.max_body = 700; /* about 6 documents */
    base_cfg(&c, url, sizeof(url), sv.port, &o);
    struct ship_es *s = ship_es_new(base, &c);
    for (int i = 0; i < 20; i++)
        add_doc(s, i, "ok");
    run_until_idle(base, s);
    struct ship_es_stats st;
    ship_es_stats_get(s, &st);
    CHECK_EQ_INT(st.done, 20);
    CHECK_EQ_INT(st.rejected, 0);
    CHECK(st.request_failures >= 1);
    CHECK(sv.bulk_requests >= 4);
    ship_es_free(s);
    evhttp_free(sv.http);
    event_base_free(base);
}

TEST(templates_go_in_before_any_bulk)
{
    struct event_base *base = event_base_new();
    struct srv sv;
    struct outcome o;
    struct ship_es_cfg c;
    char url[64];

    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(srv_start(base, &sv), 0);
    base_cfg(&c, url, sizeof(url), sv.port, &o);
    c.templates_dir = "deploy/elasticsearch";
    struct ship_es *s = ship_es_new(base, &c);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(!ship_es_templates_ready(s));
    for (int i = 0; i < 3; i++)
        add_doc(s, i, "ok");
    run_until_idle(base, s);
    CHECK(ship_es_templates_ready(s));
    CHECK_EQ_INT(sv.bulk_before_tmpl, 0);
    /* The first GET finds nothing and PUTs; the fake then reports version 1
     * for every name, which is as new as the files: no more PUTs. */
    CHECK_EQ_INT(sv.tmpl_puts, 1);
    CHECK(sv.tmpl_gets >= 2);
    struct ship_es_stats st;
    ship_es_stats_get(s, &st);
    CHECK_EQ_INT(st.templates_put, 1);
    CHECK_EQ_INT(st.done, 3);
    ship_es_free(s);
    evhttp_free(sv.http);
    event_base_free(base);
}

TEST(cluster_down_keeps_documents)
{
    struct event_base *base = event_base_new();
    struct outcome o;
    struct ship_es_cfg c;
    char url[64];

    memset(&o, 0, sizeof(o));
    base_cfg(&c, url, sizeof(url), 1, &o); /* port 1: connection refused */
    c.timeout_ms = 500;
    struct ship_es *s = ship_es_new(base, &c);
    for (int i = 0; i < 4; i++)
        add_doc(s, i, "ok");
    struct timeval tv = { 0, 300000 };
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    struct ship_es_stats st;
    ship_es_stats_get(s, &st);
    CHECK_EQ_INT(ship_es_pending(s), 4);
    CHECK(st.request_failures >= 2);
    CHECK_EQ_INT(st.done, 0);
    CHECK(st.last_error[0] != '\0');
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(o.finals[i], 0);
    ship_es_free(s);
    event_base_free(base);
}

/* A self-signed certificate for 127.0.0.1 made with the openssl tool. */
static int make_cert(char *dir, size_t cap)
{
    char cmd[1024];
    snprintf(dir, cap, "/tmp/canh-ship-es-tls.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=canh-test "
             "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
             ">/dev/null 2>&1", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* One TLS run: 3 documents; returns how many were delivered. */
static int tls_run(int port, const char *ca, bool verify, struct ship_es_stats *st)
{
    struct event_base *base = event_base_new();
    struct outcome o;
    struct ship_es_cfg c;
    char url[64];

    memset(&o, 0, sizeof(o));
    base_cfg(&c, url, sizeof(url), port, &o);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
    c.ca_file = ca;
    c.verify_tls = verify;
    struct ship_es *s = ship_es_new(base, &c);
    for (int i = 0; i < 3; i++)
        add_doc(s, i, "ok");
    struct timeval tv = { 1, 0 };
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    ship_es_stats_get(s, st);
    ship_es_free(s);
    event_base_free(base);
    return (int)st->done;
}

/* The server runs on its own loop in a child process, so each client run
 * gets a fresh base. */
TEST(tls_verification_on_by_default_with_ca_file)
{
    char dir[64], cert[128], key[128];
    if (make_cert(dir, sizeof(dir)) != 0) {
        SKIP("the openssl tool could not make a test certificate");
    }
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    int pfd[2];
    CHECK_EQ_INT(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct event_base *base = event_base_new();
        struct srv sv;
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || srv_start(base, &sv) != 0)
            _exit(1);
        evhttp_set_bevcb(sv.http, srv_tls_bev, ctx);
        if (write(pfd[1], &sv.port, sizeof(sv.port)) != sizeof(sv.port))
            _exit(1);
        struct timeval tv = { 10, 0 };
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
        _exit(0);
    }
    int port = 0;
    CHECK_EQ_INT(read(pfd[0], &port, sizeof(port)), sizeof(port));
    struct ship_es_stats st;
    /* The certificate is not in the system store: refused by default. */
    CHECK_EQ_INT(tls_run(port, NULL, true, &st), 0);
    CHECK(st.request_failures >= 1);
    CHECK(strstr(st.last_error, "certificate") != NULL || strstr(st.last_error, "SSL") != NULL);
    /* With its CA file: delivered, verification still on. */
    CHECK_EQ_INT(tls_run(port, cert, true, &st), 3);
    CHECK_EQ_INT(st.request_failures, 0);
    /* Verification off (logged as a warning by the config loader). */
    CHECK_EQ_INT(tls_run(port, NULL, false, &st), 3);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(pfd[0]);
    close(pfd[1]);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

TEST(add_checks_arguments_and_bound)
{
    struct event_base *base = event_base_new();
    struct outcome o;
    struct ship_es_cfg c;
    char url[64];

    memset(&o, 0, sizeof(o));
    base_cfg(&c, url, sizeof(url), 1, &o);
    c.queue_max_bytes = 4096;
    c.flush_ms = 100000;
    c.batch_docs = 1000;
    struct ship_es *s = ship_es_new(base, &c);
    const char *d = "{\"a\":1}";
    CHECK_EQ_INT(ship_es_add(s, "Canh-Events", "x", d, 7, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "canh-*", "x", d, 7, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "-canh", "x", d, 7, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "", "x", d, 7, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "canh", "a\"b", d, 7, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "canh", "", d, 7, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "canh", "x", "{\"a\":\n1}", 8, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "canh", "x", "[1]", 3, 0), SHIP_ES_ERR_INVAL);
    char longid[600];
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    CHECK_EQ_INT(ship_es_add(s, "canh", longid, d, 7, 0), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(ship_es_add(s, "canh", "s:1", "{\"a\":1}\n", 8, 0), 0);
    int ok = 1, added = 1;
    while (ok && added < 1000) {
        int rc = ship_es_add(s, "canh", "s:2", d, 7, 0);
        if (rc == SHIP_ES_ERR_LIMIT)
            ok = 0;
        else
            added++;
    }
    struct ship_es_stats st;
    ship_es_stats_get(s, &st);
    CHECK(added > 10 && added < 1000);
    CHECK_EQ_INT(st.refused_full, 1);
    CHECK_EQ_INT(st.added, added);
    CHECK_EQ_INT(ship_es_pending(s), added);
    CHECK(st.queued_bytes <= 4096);
    ship_es_free(s);
    event_base_free(base);
}

TEST(index_names_from_event_time)
{
    struct event_base *base = event_base_new();
    struct ship_es_cfg c;
    char out[64];

    ship_es_cfg_defaults(&c);
    c.url = "http://127.0.0.1:1";
    struct ship_es *s = ship_es_new(base, &c);
    CHECK_EQ_INT(ship_es_index_name(s, 0, 0, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "canh-events-1970.01.01");
    /* 2026-11-27T23:59:59Z: UTC, whatever the local zone says. */
    setenv("TZ", "Asia/Ho_Chi_Minh", 1);
    tzset();
    CHECK_EQ_INT(ship_es_index_name(s, 0, 1795823999, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "canh-events-2026.11.27");
    CHECK_EQ_INT(ship_es_index_name(s, 1, 1795823999, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "canh-incidents");
    CHECK_EQ_INT(ship_es_index_name(s, 0, 0, out, 8), SHIP_ES_ERR_LIMIT);
    ship_es_free(s);
    c.index_events = "Canh-%Y";
    s = ship_es_new(base, &c);
    CHECK_EQ_INT(ship_es_index_name(s, 0, 0, out, sizeof(out)), SHIP_ES_ERR_LIMIT);
    ship_es_free(s);
    c.url = "ftp://x";
    CHECK(ship_es_new(base, &c) == NULL);
    event_base_free(base);
}

/* The strings in *out are borrowed from the cfg, which is kept until the
 * next call (and freed by a call with yaml NULL). */
static int load_cfg(const char *yaml, struct ship_es_cfg *out)
{
    static struct cfg *c;
    cfg_free(c);
    c = NULL;
    if (!yaml)
        return 0;
    c = cfg_new();
    ship_es_cfg_schema(c);
    int errs = cfg_load_string(c, "test.yaml", yaml, strlen(yaml));
    return errs ? -100 : ship_es_cfg_load(c, out);
}

TEST(config_section)
{
    struct ship_es_cfg out;
    CHECK_EQ_INT(load_cfg("elasticsearch:\n  url: http://x:9200\n", &out), 0);
    CHECK(out.url == NULL); /* not enabled */
    CHECK_EQ_INT(load_cfg("elasticsearch:\n  enabled: yes\n", &out), SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(load_cfg("elasticsearch:\n  enabled: yes\n  url: https://es:9200\n"
                          "  username: u\n  password: p\n  api-key: k\n", &out),
                 SHIP_ES_ERR_INVAL);
    CHECK_EQ_INT(load_cfg("elasticsearch:\n  enabled: yes\n  url: https://es:9200\n"
                          "  batch-docs: 0\n", &out), -100);
    CHECK_EQ_INT(load_cfg("elasticsearch:\n  enabled: yes\n  bogus: 1\n", &out), -100);
    CHECK_EQ_INT(load_cfg("elasticsearch:\n  enabled: yes\n  url: https://es:9200\n"
                          "  batch-size: 1mb\n  max-inflight: 2\n  ca-file: /etc/ca.pem\n", &out), 0);
    CHECK(out.url != NULL);
    CHECK(out.verify_tls);
    CHECK(out.gzip);
    CHECK_EQ_INT(out.batch_bytes, 1 << 20);
    CHECK_EQ_INT(out.max_inflight, 2);
    CHECK_EQ_STR(out.ca_file, "/etc/ca.pem");
    load_cfg(NULL, &out);
}

int main(int argc, char **argv)
{
    log_init("test_ship_es");
    log_set_level(LOG_LVL_ERROR);
    return runner_main(argc, argv);
}
