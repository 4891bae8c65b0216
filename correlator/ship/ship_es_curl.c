/* ship_es_curl: libcurl's multi interface driven by the correlator's libevent
 * loop (the hiperfifo pattern): curl tells us which sockets to watch and
 * when to time out; libevent tells curl when a socket is ready. No call here
 * blocks. Finished transfers go to ship_es_req_done(); new transfers are
 * started only from ship_es.c's kick pass, never inside a curl callback.
 */
#include "ship/ship_es_private.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* A response larger than this is cut and the request retried: with
 * filter_path a bulk answer is ~40 bytes per item, so this is far above
 * any batch; a template GET is a few kB. */
#define ES_RESP_MAX (64u << 20)

/* Per-socket state curl hands back through curl_multi_assign. */
struct es_sock {
    struct event *ev;
    curl_socket_t fd;
    int what;
};

static void es_check_done(struct ship_es *s)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result;
        struct ship_es_req *r = NULL;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(s->multi, easy);
        curl_easy_cleanup(easy);
        r->easy = NULL;
        ship_es_req_done(s, r, rc, status);
    }
}

static void es_event_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct ship_es *s = arg;
    int running = 0;
    int flags = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
                ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);

    curl_multi_socket_action(s->multi, fd, flags, &running);
    es_check_done(s);
}

static void es_timer_cb(evutil_socket_t fd, short kind, void *arg)
{
    struct ship_es *s = arg;
    int running = 0;
    (void)fd;
    (void)kind;

    curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    es_check_done(s);
}

/* CURLMOPT_TIMERFUNCTION: -1 deletes the timer, otherwise (re)arm it. */
static int es_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct ship_es *s = userp;
    (void)multi;

    if (timeout_ms < 0) {
        evtimer_del(s->curl_timer);
    } else {
        struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
        evtimer_add(s->curl_timer, &tv);
    }
    return 0;
}

/* CURLMOPT_SOCKETFUNCTION: keep one persistent event per socket in step
 * with what curl wants to wait for. */
static int es_curl_sock(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
    struct ship_es *s = userp;
    struct es_sock *es = sockp;
    (void)easy;

    if (what == CURL_POLL_REMOVE) {
        if (es) {
            event_free(es->ev);
            free(es);
            curl_multi_assign(s->multi, fd, NULL);
        }
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!es) {
        es = calloc(1, sizeof(*es));
        if (!es)
            return -1;
        es->fd = fd;
        curl_multi_assign(s->multi, fd, es);
    } else {
        event_free(es->ev);
    }
    es->what = what;
    es->ev = event_new(s->base, fd, kind, es_event_cb, s);
    if (!es->ev || event_add(es->ev, NULL) != 0) {
        log_error("ship_es", "cannot watch socket %d on the event loop", (int)fd);
        return -1;
    }
    return 0;
}

int ship_es_curl_init(struct ship_es *s)
{
    s->multi = curl_multi_init();
    s->curl_timer = evtimer_new(s->base, es_timer_cb, s);
    if (!s->multi || !s->curl_timer)
        return SHIP_ES_ERR_NOMEM;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, es_curl_sock);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, es_curl_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    /* One host: a few kept-alive connections are all we ever need. */
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->cfg.max_inflight + 1);
    return 0;
}

void ship_es_curl_fini(struct ship_es *s)
{
    /* Requests are freed by the owner first (each removes its handle);
     * curl then closes its sockets through es_curl_sock(CURL_POLL_REMOVE). */
    if (s->multi)
        curl_multi_cleanup(s->multi);
    s->multi = NULL;
    if (s->curl_timer)
        event_free(s->curl_timer);
    s->curl_timer = NULL;
}

static size_t es_write(char *p, size_t sz, size_t n, void *arg)
{
    struct ship_es_req *r = arg;
    size_t len = sz * n;

    if (r->resp_len + len + 1 > r->resp_cap) {
        size_t cap = r->resp_cap ? r->resp_cap : 4096;
        while (cap < r->resp_len + len + 1)
            cap *= 2;
        if (cap > ES_RESP_MAX)
            return 0; /* CURLE_WRITE_ERROR: retried */
        char *nr = realloc(r->resp, cap);
        if (!nr)
            return 0;
        r->resp = nr;
        r->resp_cap = cap;
    }
    memcpy(r->resp + r->resp_len, p, len);
    r->resp_len += len;
    r->resp[r->resp_len] = '\0';
    return len;
}

int ship_es_curl_start(struct ship_es *s, struct ship_es_req *r, const char *method,
                       const char *path, const char *content_type, bool gzipped)
{
    char url[2048], ct[128];
    int rc = SHIP_ES_ERR_NOMEM;

    if (snprintf(url, sizeof(url), "%s%s", s->url, path) >= (int)sizeof(url))
        return SHIP_ES_ERR_INVAL;
    r->s = s;
    r->easy = curl_easy_init();
    if (!r->easy)
        goto out;
    if (content_type) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
        r->hdrs = curl_slist_append(r->hdrs, ct);
    }
    if (gzipped)
        r->hdrs = curl_slist_append(r->hdrs, "Content-Encoding: gzip");
    /* No 100-continue round trip before every large bulk body. */
    r->hdrs = curl_slist_append(r->hdrs, "Expect:");
    if (s->auth_header)
        r->hdrs = curl_slist_append(r->hdrs, s->auth_header);
    if (!r->hdrs)
        goto out;

    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, es_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->cfg.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(s->cfg.timeout_ms < 10000 ? s->cfg.timeout_ms : 10000));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    if (s->username) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, s->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, s->password ? s->password : "");
    }
    if (s->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, s->cfg.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, s->cfg.verify_tls ? 2L : 0L);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    if (curl_multi_add_handle(s->multi, e) != CURLM_OK)
        goto out;
    r->next = s->inflight;
    s->inflight = r;
    s->ninflight++;
    rc = 0;
out:
    if (rc != 0 && r->easy) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    return rc;
}

void ship_es_req_free(struct ship_es_req *r)
{
    if (!r)
        return;
    if (r->easy) {
        curl_multi_remove_handle(r->s->multi, r->easy);
        curl_easy_cleanup(r->easy);
    }
    curl_slist_free_all(r->hdrs);
    free(r->body);
    free(r->resp);
    free(r->items);
    free(r);
}
