/* fuzz_ship_bulk: the OpenSearch/Elasticsearch _bulk answer as ship_es
 * (correlator/ship/ship_es.c) settles it: per-item outcomes (2xx/409 done,
 * 400 rejected, anything else retried), 413 halving, transport errors.
 * A real ship_es queues 1..8 documents, builds its bulk request (curl easy
 * handle added to the multi, never run), and each round hands it back with
 * a fuzzed HTTP status and body through ship_es_req_done().
 *
 * Input: [flags] then rounds of [status selector][len BE16][body].
 * flags: bits 0-2 documents - 1, bit 3 gzip.
 * Checks: an item gets at most one final outcome and nothing after it; a
 * 200 answer whose "items" array matches the batch settles item i exactly
 * as its own status says; queued + finished = added; the byte and document
 * counters match the queue. The module is #included for its internals.
 */
#include "ship/ship_es.c"

#include <event2/event.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SHIP_DOCS 8
#define FUZZ_SHIP_ROUNDS 6

static const long fuzz_ship_status[] = { 200, 200, 200, 200, 413, 429, 500, 400, 404, 201, -1 };

struct fuzz_ship {
    int final[FUZZ_SHIP_DOCS + 1];   /* -1 until a final outcome */
    int last[FUZZ_SHIP_DOCS + 1];    /* last outcome seen this round, -1 none */
    size_t nfinal;
};

static void fuzz_ship_result(void *arg, uint64_t cookie, int outcome, const char *reason)
{
    struct fuzz_ship *f = arg;
    if (cookie < 1 || cookie > FUZZ_SHIP_DOCS || f->final[cookie] != -1)
        abort(); /* unknown item, or an outcome after a final one */
    if ((outcome == SHIP_ES_DONE) != (reason == NULL))
        abort();
    f->last[cookie] = outcome;
    if (outcome != SHIP_ES_RETRY) {
        f->final[cookie] = outcome;
        f->nfinal++;
    }
}

static void fuzz_ship_check_queue(const struct ship_es *s)
{
    size_t n = 0;
    uint64_t bytes = 0;
    for (const struct ship_es_item *it = s->head; it; it = it->next) {
        n++;
        bytes += it->len;
        if (!it->next && it != s->tail)
            abort();
    }
    if (n != s->queued_docs || bytes != s->queued_bytes || s->held_bytes != s->queued_bytes ||
        s->inflight_docs != 0 || s->ninflight != 0 || (n == 0 && s->tail))
        abort();
}

/* What the answer says about item i, by our own reading: outcome, or -1
 * when the answer is not a usable per-item list. */
static int fuzz_ship_expect(const char *body, size_t len, size_t nitems, size_t i)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *items = json_object_get(root, "items");
    int want = -1;
    if (json_is_array(items) && json_array_size(items) == nitems) {
        json_t *w = json_array_get(items, i);
        void *it = json_is_object(w) ? json_object_iter(w) : NULL;
        long st = (long)json_integer_value(json_object_get(it ? json_object_iter_value(it) : NULL,
                                                           "status"));
        want = (st >= 200 && st < 300) || st == 409 ? SHIP_ES_DONE
               : st == 400                          ? SHIP_ES_REJECTED
                                                    : SHIP_ES_RETRY;
    } else if (json_is_false(json_object_get(root, "errors")) && !items) {
        want = SHIP_ES_DONE;
    }
    json_decref(root);
    return want;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    if (!base) {
        log_set_level(LOG_LVL_NONE);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        base = event_base_new();
    }
    if (size < 1 || !base)
        return 0;
    struct fuzz_ship f;
    memset(&f, 0, sizeof f);
    for (int i = 0; i <= FUZZ_SHIP_DOCS; i++)
        f.final[i] = f.last[i] = -1;

    struct ship_es_cfg cfg;
    ship_es_cfg_defaults(&cfg);
    cfg.url = "http://127.0.0.1:9";
    cfg.gzip = data[0] & 8;
    cfg.batch_docs = FUZZ_SHIP_DOCS;
    cfg.on_result = fuzz_ship_result;
    cfg.on_result_arg = &f;
    struct ship_es *s = ship_es_new(base, &cfg);
    if (!s)
        abort();
    size_t ndocs = (size_t)(data[0] & 7) + 1;
    for (size_t i = 0; i < ndocs; i++) {
        char id[32], doc[64];
        snprintf(id, sizeof id, "s1:%zu", i + 1);
        snprintf(doc, sizeof doc, "{\"event_type\":\"alert\",\"n\":%zu}", i);
        if (ship_es_add(s, "canh-events-2026.01.01", id, doc, strlen(doc), i + 1) != 0)
            abort();
    }
    const uint8_t *p = data + 1, *end = data + size;
    for (int round = 0; round < FUZZ_SHIP_ROUNDS && end - p >= 3 && s->queued_docs > 0; round++) {
        long status = fuzz_ship_status[p[0] % (sizeof fuzz_ship_status / sizeof *fuzz_ship_status)];
        size_t len = (size_t)p[1] << 8 | p[2];
        p += 3;
        if (len > (size_t)(end - p))
            len = (size_t)(end - p);
        if (es_send_batch(s) != 0 || !s->inflight)
            abort();
        struct ship_es_req *r = s->inflight;
        size_t nitems = r->nitems;
        uint64_t cookies[FUZZ_SHIP_DOCS];
        for (size_t i = 0; i < nitems; i++)
            cookies[i] = r->items[i]->cookie;
        r->resp = malloc(len + 1);
        if (!r->resp)
            abort();
        memcpy(r->resp, p, len);
        r->resp[len] = '\0';
        r->resp_len = len;
        r->resp_cap = len + 1;
        for (int i = 0; i <= FUZZ_SHIP_DOCS; i++)
            f.last[i] = -1;
        /* our reading of the answer, before the module frees it */
        int want[FUZZ_SHIP_DOCS];
        for (size_t i = 0; i < nitems; i++)
            want[i] = status == 200 ? fuzz_ship_expect((const char *)p, len, nitems, i) : -1;
        if (status < 0)
            snprintf(r->errbuf, sizeof r->errbuf, "Failed to connect");
        ship_es_req_done(s, r, status < 0 ? CURLE_COULDNT_CONNECT : CURLE_OK,
                         status < 0 ? 0 : status);
        p += len;
        for (size_t i = 0; i < nitems; i++) {
            int got = f.last[cookies[i]];
            if (got == -1)
                abort(); /* every item of the batch hears how it went */
            if (want[i] != -1 && got != want[i])
                abort();
            if (status != 200 && status != 413 && got != SHIP_ES_RETRY)
                abort();
        }
        fuzz_ship_check_queue(s);
        if (f.nfinal + s->queued_docs != ndocs)
            abort();
        s->backoff_active = false;
    }
    ship_es_free(s);
    return 0;
}
