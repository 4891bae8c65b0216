/* rep_post: the plain HTTPS POST transport (one request per report). */
#include "report/rep_post.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rep_post {
    struct rep_http *http;
    const struct rep_post_cfg *cfg;
    char *sig_header;
    int busy;
    rep_http_done_fn cb;
    void *arg;
};

struct rep_post *rep_post_new(struct rep_http *h, const struct rep_post_cfg *c)
{
    struct rep_post *p = calloc(1, sizeof *p);
    if (p) {
        p->http = h;
        p->cfg = c;
    }
    return p;
}

void rep_post_free(struct rep_post *p)
{
    if (!p)
        return;
    free(p->sig_header);
    free(p);
}

static void rep_post_on_res(const struct rep_http_res *res, void *arg)
{
    struct rep_post *p = arg;
    char why[1400] = "";
    enum rep_http_verdict v = rep_http_verdict_of(res);
    if (v != REP_HTTP_OK)
        rep_http_reason(res, p->cfg->url, why, sizeof why);
    p->busy = 0;
    free(p->sig_header);
    p->sig_header = NULL;
    p->cb(p->arg, v, v == REP_HTTP_OK ? NULL : why);
}

int rep_post_send(struct rep_post *p, const char *body, size_t len, const char *sig_b64,
                  rep_http_done_fn cb, void *arg)
{
    if (p->busy)
        return -1;
    size_t n = strlen(sig_b64) + 32;
    p->sig_header = malloc(n);
    if (!p->sig_header)
        return -1;
    snprintf(p->sig_header, n, "X-Canh-Signature: %s", sig_b64);
    const char *hdrs[] = { "Content-Type: application/stix+json;version=2.1",
                           "Accept: application/json", p->sig_header };
    struct rep_http_req rq = { "POST", p->cfg->url, hdrs, 3, body, len, &p->cfg->peer };
    p->cb = cb;
    p->arg = arg;
    if (rep_http_start(p->http, &rq, rep_post_on_res, p) != 0) {
        free(p->sig_header);
        p->sig_header = NULL;
        return -1;
    }
    p->busy = 1;
    return 0;
}
