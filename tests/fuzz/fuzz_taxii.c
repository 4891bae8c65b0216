/* fuzz_taxii: the TAXII 2.1 client (report/rep_taxii.c) reading what a
 * server answers: discovery, API root, collections, the POST's status and
 * status polls, and the object reads that check a status's failures; also
 * its error text (rep_http_reason) and verdicts (rep_http_verdict_of).
 * rep_http.c is compiled in with its curl start renamed, and a scripted
 * transport answers each request from the input, so the real chain of
 * callbacks runs with no network and no event loop.
 *
 * Input: records of [selector][len BE16][bytes]: the first is the config
 * ("discovery\napi-root\ncollection"), the second the envelope sent, each
 * further one answers the pending request (selector: HTTP status, bit 7:
 * the next start fails). The envelope is sent up to three times.
 * Checks: the done callback runs exactly once per accepted send, with a
 * reason exactly when not OK; the client is idle after it; every URL asked
 * for is http(s) with no control bytes or spaces, never http:// after an
 * https:// discovery (credentials in clear), and the POST goes to
 * {root}collections/{id}/objects/ with one path component as id.
 */
#define rep_http_start fuzz_taxii_curl_start /* the real one, unused */
#include "report/rep_http.c"
#undef rep_http_start

int rep_http_start(struct rep_http *h, const struct rep_http_req *rq, rep_http_fn cb, void *arg);

#include "report/rep_taxii.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TAXII_SENDS 3
#define FUZZ_TAXII_ANSWERS 24

static const long fuzz_taxii_status[] = { 200, 200, 200, 200, 200, 202, 0, 401, 403, 404,
                                          408, 429, 500, 503, 400, 413, 301 };

/* The one request in flight (rep_taxii has at most one). */
static struct {
    bool pending, fail_next;
    char method[8];
    char url[REP_TAXII_URL_MAX + 512];
    rep_http_fn cb;
    void *arg;
} fuzz_taxii_req;

static struct {
    int calls;
    enum rep_http_verdict v;
} fuzz_taxii_done;

static bool fuzz_taxii_https;

int rep_http_start(struct rep_http *h, const struct rep_http_req *rq, rep_http_fn cb, void *arg)
{
    (void)h;
    if (fuzz_taxii_req.pending)
        abort(); /* one request at a time */
    if (fuzz_taxii_req.fail_next) {
        fuzz_taxii_req.fail_next = false;
        return -1;
    }
    const char *u = rq->url;
    size_t n = strlen(u);
    if (n >= sizeof fuzz_taxii_req.url ||
        (strncmp(u, "https://", 8) != 0 && (fuzz_taxii_https || strncmp(u, "http://", 7) != 0)))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f)
            abort();
    if (strcmp(rq->method, "POST") == 0) {
        /* {root}collections/{id}/objects/ */
        struct rep_taxii *t = arg;
        size_t rl = strlen(t->root);
        const char *id = u + rl + strlen("collections/");
        const char *slash = strchr(id, '/');
        if (strncmp(u, t->root, rl) != 0 || strncmp(u + rl, "collections/", 12) != 0 ||
            !slash || slash == id || strcmp(slash, "/objects/") != 0)
            abort();
        if (rq->body_len == 0 || !rq->body)
            abort();
    }
    snprintf(fuzz_taxii_req.method, sizeof fuzz_taxii_req.method, "%s", rq->method);
    memcpy(fuzz_taxii_req.url, u, n + 1);
    fuzz_taxii_req.cb = cb;
    fuzz_taxii_req.arg = arg;
    fuzz_taxii_req.pending = true;
    return 0;
}

static void fuzz_taxii_on_done(void *arg, enum rep_http_verdict v, const char *reason)
{
    (void)arg;
    if ((v == REP_HTTP_OK) != (reason == NULL) || (reason && !reason[0]))
        abort();
    if (v != REP_HTTP_OK && v != REP_HTTP_RETRY && v != REP_HTTP_REFUSED)
        abort();
    fuzz_taxii_done.calls++;
    fuzz_taxii_done.v = v;
}

/* Next record, or false at the end. */
static bool fuzz_taxii_record(const uint8_t **p, const uint8_t *end, uint8_t *sel,
                              const uint8_t **body, size_t *len)
{
    if (end - *p < 3)
        return false;
    *sel = (*p)[0];
    *len = (size_t)(*p)[1] << 8 | (*p)[2];
    *p += 3;
    if (*len > (size_t)(end - *p))
        *len = (size_t)(end - *p);
    *body = *p;
    *p += *len;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    if (!base) {
        log_set_level(LOG_LVL_NONE);
        base = event_base_new();
    }
    const uint8_t *p = data, *end = data + size, *body;
    size_t len;
    uint8_t sel;
    char cfgtext[1024], *env = NULL;
    if (!base || !fuzz_taxii_record(&p, end, &sel, &body, &len) || len >= sizeof cfgtext)
        return 0;
    memcpy(cfgtext, body, len);
    cfgtext[len] = '\0';
    char *api_root = strchr(cfgtext, '\n'), *collection = NULL;
    if (api_root) {
        *api_root++ = '\0';
        collection = strchr(api_root, '\n');
        if (collection)
            *collection++ = '\0';
    }
    struct rep_taxii_cfg cfg = { cfgtext, api_root, collection ? collection : "canh", { 0 },
                                 sel & 1 ? 3600 : -1 };
    cfg.peer.user = "soc";
    cfg.peer.password = "secret";
    cfg.peer.verify = true;
    if (strncmp(cfgtext, "https://", 8) != 0 && strncmp(cfgtext, "http://", 7) != 0)
        return 0; /* rep_cfg.c only accepts http(s) URLs */
    for (const char *c = cfgtext; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return 0; /* nor a URL with spaces or control bytes */
    fuzz_taxii_https = strncmp(cfgtext, "https://", 8) == 0;
    if (!fuzz_taxii_record(&p, end, &sel, &body, &len))
        return 0;
    env = malloc(len + 1);
    if (!env)
        abort();
    memcpy(env, body, len);
    env[len] = '\0';
    memset(&fuzz_taxii_req, 0, sizeof fuzz_taxii_req);
    struct rep_taxii *t = rep_taxii_new(base, NULL, &cfg);
    if (!t)
        abort();
    int answers = 0;
    for (int send = 0; send < FUZZ_TAXII_SENDS && p < end; send++) {
        fuzz_taxii_done.calls = 0;
        if (rep_taxii_send(t, env, len, fuzz_taxii_on_done, NULL) != 0)
            abort(); /* idle: a send is always accepted */
        while (fuzz_taxii_done.calls == 0 && answers < FUZZ_TAXII_ANSWERS) {
            if (!fuzz_taxii_req.pending && t->step == RT_STATUS) {
                rep_taxii_on_wait(-1, 0, t); /* the one-second poll timer */
                continue;
            }
            if (!fuzz_taxii_req.pending || !fuzz_taxii_record(&p, end, &sel, &body, &len))
                break;
            answers++;
            char *b = malloc(len + 1);
            if (!b)
                abort();
            memcpy(b, body, len);
            b[len] = '\0';
            long status =
                fuzz_taxii_status[(sel & 0x7f) % (sizeof fuzz_taxii_status / sizeof *fuzz_taxii_status)];
            struct rep_http_res res = { status, b, len, status ? "" : "Connection refused" };
            fuzz_taxii_req.pending = false;
            fuzz_taxii_req.fail_next = sel & 0x80;
            fuzz_taxii_req.cb(&res, fuzz_taxii_req.arg);
            free(b);
        }
        if (fuzz_taxii_done.calls > 1 || (fuzz_taxii_done.calls == 1 && t->step != RT_IDLE))
            abort();
        if (fuzz_taxii_done.calls == 0) {
            if (!fuzz_taxii_req.pending && t->step != RT_STATUS)
                abort(); /* stalled: no request, no timer, no answer */
            break; /* out of input with a request in flight: abandon it */
        }
        if (fuzz_taxii_done.v == REP_HTTP_OK && t->objects[0] == '\0')
            abort(); /* a delivery that worked keeps its objects URL */
    }
    rep_taxii_free(t);
    free(env);
    return 0;
}
