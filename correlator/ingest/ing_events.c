/* ing_events: validate the whole batch (ing_eve), store it in one
 * transaction (INSERT OR IGNORE on canh.id), update the sensor's health,
 * COMMIT, answer, and only then correlate the events that were new and
 * that a rule may match (the rules' prefilter decides which get a tree;
 * each tree is built just before it is fed and freed right after).
 */
#include "ingest/ing_events.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "store/db_event.h"

/* Absolute counters of a `stats` event (Suricata's names). */
static void ing_events_stats(struct db *d, const struct ing_event *ev)
{
    json_t *stats = json_object_get(ev->json, "stats");
    json_t *cap = json_object_get(stats, "capture");
    json_t *pk = json_object_get(cap, "kernel_packets");
    if (!json_is_integer(pk))
        pk = json_object_get(json_object_get(stats, "decoder"), "pkts");
    json_t *dr = json_object_get(cap, "kernel_drops");
    if (!json_is_integer(pk))
        return;
    char *raw = json_dumps(stats, JSON_COMPACT);
    db_event_sensor_stats(d, ev->in.sensor, ev->in.ts_us, json_integer_value(pk),
                          json_is_integer(dr) ? json_integer_value(dr) : 0, raw);
    free(raw);
}

/* Trees only for what is read after the commit: `stats` events whole (the
 * sensor's health), the events a rule may match with the members the rules
 * read; the others are stored as raw lines only. */
static enum ing_want_kind ing_events_want(const char *event_type, bool present, void *arg)
{
    struct ing_events *ie = arg;
    if (event_type && strcmp(event_type, "stats") == 0)
        return ING_WANT_ALL;
    if (ie->corr && inc_corr_wants(ie->corr, event_type, present))
        return ING_WANT_KEYS;
    return ING_WANT_NONE;
}

static bool ing_events_key(const char *key, size_t len, void *arg)
{
    struct ing_events *ie = arg;
    return inc_corr_reads_key(ie->corr, key, len);
}

static int ing_events_media_ok(struct ing_req *r, int *gzip)
{
    const char *ct = ing_http_header(r, "Content-Type");
    if (ct && strncasecmp(ct, "application/x-ndjson", 20) != 0 &&
        strncasecmp(ct, "application/json", 16) != 0 &&
        strncasecmp(ct, "application/jsonl", 17) != 0 && strncasecmp(ct, "text/plain", 10) != 0) {
        ing_http_error(r, 415, "Content-Type must be application/x-ndjson", 0);
        return 0;
    }
    const char *ce = ing_http_header(r, "Content-Encoding");
    *gzip = 0;
    if (ce && strcasecmp(ce, "gzip") == 0) {
        *gzip = 1;
    } else if (ce && strcasecmp(ce, "identity") != 0) {
        ing_http_error(r, 415, "Content-Encoding must be gzip or identity", 0);
        return 0;
    }
    return 1;
}

/* inc_corr_feed_each: the tree of the batch's event fresh[i], built now. */
struct ing_events_feed {
    struct ing_batch *b;
    const size_t *fresh;
};

static json_t *ing_events_tree(size_t i, void *arg)
{
    struct ing_events_feed *f = arg;
    return ing_batch_tree(f->b, f->fresh[i]);
}

void ing_events_handle(struct ing_req *r, void *arg)
{
    struct ing_events *ie = arg;
    struct ing_batch *b = NULL;
    size_t *fresh = NULL;
    int64_t *rows = NULL;
    int gzip = 0;
    ie->st.batches++;
    if (!ing_events_media_ok(r, &gzip)) {
        ie->st.rejected++;
        return;
    }
    size_t len = 0;
    const char *body = ing_http_body(r, &len);
    struct ing_error err;
    struct ing_want want = { ing_events_want, ing_events_key, ie, true };
    b = ing_eve_parse_want(body, len, gzip, r->who.name, &ie->lim, &want, &err);
    if (!b) {
        ie->st.rejected++;
        log_notice("ingest", "sensor %s req %llu %s: batch rejected: %d %s (line %d)",
                   r->who.name, (unsigned long long)r->req_id, r->peer, err.status, err.msg,
                   err.line);
        ing_http_error(r, err.status, err.msg, err.line);
        goto out;
    }
    size_t n = ing_batch_count(b), nnew = 0, nfeed = 0;
    fresh = malloc(n * sizeof *fresh);
    rows = malloc(n * sizeof *rows);
    if (!fresh || !rows) {
        ie->st.failed++;
        ing_http_error(r, 503, "out of memory; retry later", 0);
        goto out;
    }
    int64_t now = db_now_us(), max_seq = -1, conflicts = 0, last_row = 0, max_ts = 0;
    if (db_begin(ie->db) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct ing_event *ev = ing_batch_get(b, i);
        int64_t rowid = 0;
        int rc = db_event_insert(ie->db, &ev->in, now, &rowid);
        if (rc < 0)
            goto fail_tx;
        if (ev->in.seq > max_seq)
            max_seq = ev->in.seq;
        if (rc == 0) {
            int same = db_event_same(ie->db, ev->in.canh_id, ev->in.raw, ev->in.raw_len);
            if (same < 0)
                goto fail_tx;
            conflicts += !same;
        } else {
            bool stats = ev->in.event_type && strcmp(ev->in.event_type, "stats") == 0;
            if (stats)
                ing_events_stats(ie->db, ev);
            /* Fed to correlation only when a rule may match it (the tree
             * of a stats event is built for the health update too); the
             * other trees are built one by one while feeding. */
            if (ie->corr && ev->want != ING_WANT_NONE &&
                (!stats || inc_corr_wants(ie->corr, "stats", true))) {
                fresh[nfeed] = i;
                rows[nfeed] = rowid;
                nfeed++;
            }
            last_row = rowid;
            if (ev->in.ts_us > max_ts)
                max_ts = ev->in.ts_us;
            nnew++;
        }
    }
    if (db_event_sensor_seen(ie->db, r->who.name, now, max_seq, (int64_t)nnew) != 0)
        goto fail_tx;
    if (db_commit(ie->db) != 0)
        goto fail;
    ie->st.accepted += nnew;
    ie->st.duplicates += n - nnew;
    ie->st.conflicts += (uint64_t)conflicts;
    if (conflicts)
        log_warning("ingest", "sensor %s req %llu: %lld events reuse a stored canh.id with "
                    "different content (sensor seq reset?); they were not stored",
                    r->who.name, (unsigned long long)r->req_id, (long long)conflicts);
    log_debug("ingest", "sensor %s req %llu: %zu events, %zu new", r->who.name,
              (unsigned long long)r->req_id, n, nnew);
    json_t *ans = json_pack("{s:I, s:I}", "accepted", (json_int_t)nnew, "duplicates",
                            (json_int_t)(n - nnew));
    if (conflicts)
        json_object_set_new(ans, "conflicts", json_integer(conflicts));
    ing_http_reply(r, 200, ans);
    /* Correlation runs after the answer: the events are durable already
     * and a crash here is covered by inc_corr_replay() at the next start. */
    if (ie->corr && nnew) {
        inc_corr_skip(ie->corr, last_row, max_ts);
        struct ing_events_feed f = { b, fresh };
        if (nfeed)
            inc_corr_feed_each(ie->corr, ing_events_tree, &f, rows, nfeed, r->received_us);
    }
    if (ie->on_commit && nnew)
        ie->on_commit(ie->on_commit_arg);
    goto out;
fail_tx:
    db_rollback(ie->db);
fail:
    ie->st.failed++;
    ing_http_error(r, 503, "store failed; nothing was stored, retry later", 0);
out:
    free(fresh);
    free(rows);
    ing_batch_free(b);
}
