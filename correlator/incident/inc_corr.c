/* inc_corr: feeds committed events to corr_engine and applies each hit to
 * the store in one transaction per batch. A hit without a group-by key is
 * grouped by the source address of its event, so a plain Sigma rule firing
 * on many hosts opens one incident per source, not one for the whole
 * network.
 */
#include "incident/inc_corr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/corr_engine.h"
#include "log.h"
#include "store/db_event.h"
#include "store/db_incident.h"

#define INC_CORR_DELAYS 65536 /* ring of the latest delay samples */
#define INC_CORR_REPLAY_CHUNK 5000
#define INC_CORR_WATERMARK "corr_rowid"

struct inc_corr {
    struct db *db;
    struct corr_rules *rules;
    struct corr_engine *engine;
    struct inc_corr_stats st;
    int64_t *delays;
    size_t ndelays, delay_pos;
    int64_t max_event_us;
    int64_t skipped_row; /* highest rowid committed but not fed (inc_corr_skip) */
    /* per feed call */
    json_t *cur_event;
    int64_t now_us;
    int rc;
    int hits;
    inc_corr_filter_fn filter;
    void *filter_arg;
};

struct inc_corr *inc_corr_new(struct db *d, const char *rules_dir, int *nerrors)
{
    struct inc_corr *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->db = d;
    *nerrors = 0;
    c->delays = calloc(INC_CORR_DELAYS, sizeof *c->delays);
    if (!c->delays)
        goto fail;
    c->rules = corr_rules_load_dir(rules_dir, nerrors);
    if (!c->rules) {
        log_warning("corr", "%s: cannot read the rules directory; correlation is off "
                    "(set rules-dir)", rules_dir);
        c->rules = corr_rules_load_string("(none)", "", 0, nerrors);
    }
    if (c->rules)
        c->engine = corr_engine_new(c->rules);
    if (!c->engine)
        goto fail;
    return c;
fail:
    inc_corr_free(c);
    return NULL;
}

void inc_corr_free(struct inc_corr *c)
{
    if (!c)
        return;
    corr_engine_free(c->engine);
    corr_rules_free(c->rules);
    free(c->delays);
    free(c);
}

size_t inc_corr_rule_count(const struct inc_corr *c)
{
    return c->rules ? corr_rules_count(c->rules) : 0;
}

void inc_corr_set_filter(struct inc_corr *c, inc_corr_filter_fn fn, void *arg)
{
    c->filter = fn;
    c->filter_arg = arg;
}

bool inc_corr_wants(const struct inc_corr *c, const char *event_type, bool present)
{
    return corr_rules_may_match(c->rules, event_type, present);
}

bool inc_corr_reads_key(const struct inc_corr *c, const char *key, size_t len)
{
    static const char *const own[] = { "timestamp", "event_type", "canh", "src_ip", "dest_ip" };
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (own[i][0] == key[0] && strncmp(own[i], key, len) == 0 && own[i][len] == '\0')
            return true;
    return corr_rules_reads_key(c->rules, key, len);
}

void inc_corr_skip(struct inc_corr *c, int64_t rowid, int64_t ts_us)
{
    if (rowid > c->skipped_row)
        c->skipped_row = rowid;
    if (ts_us > c->max_event_us)
        c->max_event_us = ts_us;
}

static void inc_corr_on_hit(const struct corr_hit *hit, void *arg)
{
    struct inc_corr *c = arg;
    if (c->rc < 0)
        return;
    struct corr_hit h = *hit;
    char key[192];
    if (!h.group_key || !h.group_key[0]) {
        const char *src = json_string_value(json_object_get(c->cur_event, "src_ip"));
        snprintf(key, sizeof key, "src_ip=%s", src ? src : "");
        h.group_key = key;
    }
    if (c->filter && c->filter(&h, c->cur_event, c->filter_arg) == 1) {
        c->st.suppressed++;
        return;
    }
    int64_t id = 0;
    bool created = false;
    int rc = db_incident_apply(c->db, &h, c->now_us, &id, &created);
    if (rc < 0) {
        c->rc = rc;
        return;
    }
    c->hits++;
    if (created)
        c->st.opened++;
    else
        c->st.appended++;
    log_debug("corr", "rule %s key %s -> incident %lld (%s)", h.rule_id, h.group_key,
              (long long)id, created ? "opened" : "appended");
}

static void inc_corr_record_delay(struct inc_corr *c, int64_t d)
{
    c->delays[c->delay_pos] = d;
    c->delay_pos = (c->delay_pos + 1) % INC_CORR_DELAYS;
    if (c->ndelays < INC_CORR_DELAYS)
        c->ndelays++;
}

static json_t *inc_corr_borrowed(size_t i, void *arg)
{
    json_t *const *events = arg;
    return json_incref(events[i]);
}

int inc_corr_feed(struct inc_corr *c, json_t *const *events, const int64_t *rowids, size_t n,
                  int64_t received_us)
{
    return inc_corr_feed_each(c, inc_corr_borrowed, (void *)(uintptr_t)events, rowids, n,
                              received_us);
}

int inc_corr_feed_each(struct inc_corr *c, inc_corr_event_fn get, void *arg,
                       const int64_t *rowids, size_t n, int64_t received_us)
{
    if (n == 0)
        return 0;
    int rc = db_begin(c->db);
    if (rc)
        return rc;
    c->rc = 0;
    c->hits = 0;
    c->now_us = db_now_us();
    int64_t last_row = 0;
    for (size_t i = 0; i < n && c->rc == 0; i++) {
        if (rowids[i] > last_row)
            last_row = rowids[i];
        json_t *ev = get(i, arg);
        if (!ev) {
            c->rc = DB_ERR_NOMEM; /* counted below; replayed at the next start */
            break;
        }
        c->cur_event = ev;
        corr_engine_feed(c->engine, ev, inc_corr_on_hit, c);
        int64_t t = corr_parse_time(json_string_value(json_object_get(ev, "timestamp")));
        if (t > c->max_event_us)
            c->max_event_us = t;
        c->cur_event = NULL;
        json_decref(ev);
    }
    if (c->skipped_row > last_row)
        last_row = c->skipped_row;
    int64_t prev = 0;
    if (c->rc == 0 && (db_state_get_int(c->db, INC_CORR_WATERMARK, &prev) != 0 || last_row > prev))
        c->rc = db_state_set_int(c->db, INC_CORR_WATERMARK, last_row);
    if (c->rc == 0)
        c->rc = db_commit(c->db);
    else
        db_rollback(c->db);
    if (c->rc != 0) {
        c->st.failures++;
        log_error("corr", "applying %d hits of %zu events failed; they will be correlated "
                  "again at the next start", c->hits, n);
        return c->rc;
    }
    c->st.events += n;
    c->st.hits += (uint64_t)c->hits;
    if (c->hits > 0 && received_us > 0)
        inc_corr_record_delay(c, db_now_us() - received_us);
    /* Windows run on event time: forget state older than every window. */
    if (c->max_event_us > 0)
        corr_engine_expire(c->engine, c->max_event_us);
    return c->hits;
}

struct inc_corr_chunk {
    json_t **ev;
    int64_t *rows;
    size_t n;
};

static void inc_corr_collect(int64_t rowid, const char *raw, size_t len, void *arg)
{
    struct inc_corr_chunk *ch = arg;
    json_t *j = json_loadb(raw, len, JSON_ALLOW_NUL, NULL);
    if (!j)
        return;
    ch->ev[ch->n] = j;
    ch->rows[ch->n] = rowid;
    ch->n++;
}

int inc_corr_replay(struct inc_corr *c)
{
    int64_t mark = 0;
    if (db_state_get_int(c->db, INC_CORR_WATERMARK, &mark) == DB_ERR_NOENT)
        mark = 0;
    struct inc_corr_chunk ch = { calloc(INC_CORR_REPLAY_CHUNK, sizeof(json_t *)),
                                 calloc(INC_CORR_REPLAY_CHUNK, sizeof(int64_t)), 0 };
    int total = 0;
    if (!ch.ev || !ch.rows) {
        total = DB_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        ch.n = 0;
        int got = db_event_since(c->db, mark, INC_CORR_REPLAY_CHUNK, inc_corr_collect, &ch);
        if (got <= 0) {
            if (got < 0)
                total = got;
            break;
        }
        int rc = ch.n ? inc_corr_feed(c, ch.ev, ch.rows, ch.n, 0) : 0;
        for (size_t i = 0; i < ch.n; i++)
            json_decref(ch.ev[i]);
        if (rc < 0) {
            total = rc;
            break;
        }
        total += (int)ch.n;
        db_state_get_int(c->db, INC_CORR_WATERMARK, &mark);
        if (got < INC_CORR_REPLAY_CHUNK)
            break;
    }
    if (total > 0)
        log_notice("corr", "correlated %d events stored before the last stop", total);
out:
    free(ch.ev);
    free(ch.rows);
    return total;
}

static int inc_corr_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

void inc_corr_get_stats(struct inc_corr *c, struct inc_corr_stats *s)
{
    *s = c->st;
    s->delay_samples = c->ndelays;
    s->delay_p50_us = s->delay_p99_us = s->delay_max_us = 0;
    if (c->ndelays == 0)
        return;
    int64_t *tmp = malloc(c->ndelays * sizeof *tmp);
    if (!tmp)
        return;
    memcpy(tmp, c->delays, c->ndelays * sizeof *tmp);
    qsort(tmp, c->ndelays, sizeof *tmp, inc_corr_cmp);
    s->delay_p50_us = tmp[(c->ndelays - 1) / 2];
    s->delay_p99_us = tmp[(c->ndelays - 1) * 99 / 100];
    s->delay_max_us = tmp[c->ndelays - 1];
    free(tmp);
}
