/* rep_http: libcurl multi driven by libevent (see curl's hiperfifo.c):
 * one event per socket curl asks us to watch, one timer for curl's
 * timeout, and completed transfers collected after each socket action.
 */
#include "report/rep_http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct rep_http {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    int running;
    struct rep_http_xfer *xfers; /* in flight, for rep_http_free */
};

/* One transfer. */
struct rep_http_xfer {
    struct rep_http *h;
    struct rep_http_xfer *next, **pprev;
    CURL *easy;
    struct curl_slist *headers;
    rep_http_fn cb;
    void *arg;
    char *buf;
    size_t len, cap;
    bool too_big;
    char err[CURL_ERROR_SIZE];
};

/* One watched socket. */
struct rep_http_sock {
    struct event *ev;
};

static void rep_http_xfer_free(struct rep_http_xfer *x)
{
    if (!x)
        return;
    if (x->pprev) {
        *x->pprev = x->next;
        if (x->next)
            x->next->pprev = x->pprev;
    }
    if (x->easy) {
        curl_multi_remove_handle(x->h->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers);
    free(x->buf);
    free(x);
}

static void rep_http_collect(struct rep_http *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct rep_http_xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode rc = m->data.result;
        long status = 0;
        char err[CURL_ERROR_SIZE + 32] = "";
        if (rc == CURLE_OK && !x->too_big)
            curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        else
            snprintf(err, sizeof err, "%s", x->too_big ? "response body too large" :
                     x->err[0] ? x->err : curl_easy_strerror(rc));
        /* Remove the transfer before the callback: removing a handle resets
         * curl's timer, which would stall a request the callback starts. */
        char *buf = x->buf;
        size_t len = x->len;
        rep_http_fn cb = x->cb;
        void *arg = x->arg;
        x->buf = NULL;
        rep_http_xfer_free(x);
        struct rep_http_res res = { status, buf ? buf : "", len, err };
        log_debug("report", "transfer done: curl %d, HTTP %ld, %zu bytes", (int)rc, status, len);
        cb(&res, arg);
        free(buf);
    }
}

static void rep_http_on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct rep_http *h = arg;
    int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(h->multi, fd, flags, &h->running);
    /* No evtimer_del when nothing runs (hiperfifo does): a callback may
     * just have added a transfer whose start timer must stay armed. */
    rep_http_collect(h);
}

static void rep_http_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rep_http *h = arg;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &h->running);
    rep_http_collect(h);
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget a socket. */
static int rep_http_sockcb(CURL *e, curl_socket_t s, int what, void *harg, void *sarg)
{
    (void)e;
    struct rep_http *h = harg;
    struct rep_http_sock *sk = sarg;
    if (what == CURL_POLL_REMOVE) {
        if (sk) {
            event_free(sk->ev);
            free(sk);
            curl_multi_assign(h->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
                         (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (!sk) {
        sk = calloc(1, sizeof *sk);
        if (!sk)
            return -1;
        curl_multi_assign(h->multi, s, sk);
    } else {
        event_free(sk->ev);
    }
    sk->ev = event_new(h->base, s, kind, rep_http_on_socket, h);
    if (!sk->ev || event_add(sk->ev, NULL) != 0)
        return -1;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: (re)arm or cancel the single timer. */
static int rep_http_timercb(CURLM *m, long ms, void *arg)
{
    (void)m;
    struct rep_http *h = arg;
    if (ms < 0)
        return evtimer_del(h->timer);
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    return evtimer_add(h->timer, &tv);
}

static size_t rep_http_write(char *p, size_t size, size_t n, void *arg)
{
    struct rep_http_xfer *x = arg;
    size_t add = size * n;
    if (x->len + add + 1 > REP_HTTP_MAX_BODY) {
        x->too_big = true;
        return 0;
    }
    if (x->len + add + 1 > x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 4096;
        while (cap < x->len + add + 1)
            cap *= 2;
        char *nb = realloc(x->buf, cap);
        if (!nb)
            return 0;
        x->buf = nb;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, p, add);
    x->len += add;
    x->buf[x->len] = 0;
    return add;
}

struct rep_http *rep_http_new(struct event_base *base)
{
    static int global_done;
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        global_done = 1;
    }
    struct rep_http *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->base = base;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, rep_http_on_timer, h);
    if (!h->multi || !h->timer) {
        rep_http_free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, rep_http_sockcb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, rep_http_timercb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    return h;
}

void rep_http_free(struct rep_http *h)
{
    if (!h)
        return;
    if (h->multi) {
        while (h->xfers)
            rep_http_xfer_free(h->xfers);
        curl_multi_cleanup(h->multi);
    }
    if (h->timer)
        event_free(h->timer);
    free(h);
}

static void rep_http_peer_opts(CURL *e, const struct rep_http_peer *p)
{
    if (p->user && p->user[0]) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, p->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, p->password ? p->password : "");
    }
    if (p->ca_file && p->ca_file[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
    if (p->cert && p->cert[0]) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, p->cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY, p->key && p->key[0] ? p->key : p->cert);
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, p->verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, p->verify ? 2L : 0L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, p->timeout_s > 0 ? p->timeout_s : 60L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
}

int rep_http_start(struct rep_http *h, const struct rep_http_req *rq, rep_http_fn cb, void *arg)
{
    struct rep_http_xfer *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->h = h;
    x->cb = cb;
    x->arg = arg;
    x->easy = curl_easy_init();
    if (!x->easy)
        goto fail;
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, rq->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->err);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, rep_http_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "canh-correlator");
    if (getenv("CANH_CURL_VERBOSE"))
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    for (size_t i = 0; i < rq->nheaders; i++) {
        struct curl_slist *n = curl_slist_append(x->headers, rq->headers[i]);
        if (!n)
            goto fail;
        x->headers = n;
    }
    /* No "Expect: 100-continue" round trip on POST. */
    struct curl_slist *n = curl_slist_append(x->headers, "Expect:");
    if (!n)
        goto fail;
    x->headers = n;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    if (strcmp(rq->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    }
    if (rq->peer)
        rep_http_peer_opts(e, rq->peer);
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
        goto fail;
    x->next = h->xfers;
    if (x->next)
        x->next->pprev = &x->next;
    x->pprev = &h->xfers;
    h->xfers = x;
    return 0;
fail:
    log_error("report", "%s: cannot start the request", rq->url);
    rep_http_xfer_free(x);
    return -1;
}

enum rep_http_verdict rep_http_verdict_of(const struct rep_http_res *res)
{
    long s = res->status;
    if (s >= 200 && s < 300)
        return REP_HTTP_OK;
    if (s == 0 || s == 408 || s == 429 || s >= 500)
        return REP_HTTP_RETRY;
    return REP_HTTP_REFUSED;
}

void rep_http_reason(const struct rep_http_res *res, const char *url, char *out, size_t cap)
{
    if (res->status == 0) {
        snprintf(out, cap, "%s: %s", url, res->error);
        return;
    }
    /* TAXII errors are {"title": ..., "description": ...}; else the body start. */
    char said[200] = "";
    json_t *j = res->len ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    const char *t = json_string_value(json_object_get(j, "title"));
    const char *d = json_string_value(json_object_get(j, "description"));
    if (t || d)
        snprintf(said, sizeof said, "%s%s%s", t ? t : "", t && d ? ": " : "", d ? d : "");
    else
        snprintf(said, sizeof said, "%.*s", (int)(res->len < 120 ? res->len : 120), res->body);
    for (char *p = said; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    json_decref(j);
    snprintf(out, cap, "HTTP %ld from %s%s%s", res->status, url, said[0] ? ": " : "", said);
}
