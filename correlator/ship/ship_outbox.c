/* ship_outbox: moves documents from the store to ship_es and outcomes back
 * (see ship_outbox.h). Events in flight sit in a ring ordered by rowid; an
 * outcome marks its slot and the cursor follows the finished prefix.
 * Incident versions are few: their outbox rows are deleted one by one as
 * outcomes arrive. Outcomes only change memory; a deferred event writes the
 * cursor, the rejections and the deletions in one transaction, so a burst of
 * a thousand outcomes costs one commit.
 */
#include "ship/ship_outbox.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/db_event.h"
#include "store/db_outbox.h"

#define SHIP_OUTBOX_CHUNK 2000         /* rows read per pull */
#define SHIP_OUTBOX_VERSIONS_MAX 2000  /* incident versions in flight */
#define SHIP_OUTBOX_INCIDENT (UINT64_C(1) << 63) /* cookie flag; the rest is the row id */

struct ship_outbox_slot {
    int64_t rowid;
    int final;
};

/* An outcome to write at the next save. */
struct ship_outbox_note {
    uint64_t cookie;
    int outcome;
    char *reason; /* REJECTED only */
};

struct ship_outbox {
    struct event_base *base;
    struct db *db;
    struct ship_es *es;
    struct ship_outbox_cfg cfg;
    struct event *pull_ev, *save_ev, *tick_ev;
    /* events: ring of rows handed to ship_es, ascending rowid */
    struct ship_outbox_slot *ring;
    size_t cap, head, n;
    int64_t cursor, saved_cursor, pulled;
    /* incident versions */
    int64_t vpulled;
    size_t vinflight;
    size_t vnotes; /* version outcomes not saved yet (their rows still exist) */
    /* outcomes waiting for the next save */
    struct ship_outbox_note *notes;
    size_t nnotes, capnotes;
    bool full;
    struct ship_outbox_stats st;
};

static void ship_outbox_schedule(struct event *ev)
{
    if (ev && !event_pending(ev, EV_TIMEOUT, NULL))
        event_active(ev, EV_TIMEOUT, 0);
}

void ship_outbox_kick(void *arg)
{
    struct ship_outbox *o = arg;
    if (o && o->es)
        ship_outbox_schedule(o->pull_ev);
}

/* ---------------------------------------------------------------- pulling */

static int ship_outbox_add_event(void *arg, const struct db_outbox_event *ev)
{
    struct ship_outbox *o = arg;
    char index[256];
    if (o->n == o->cap)
        return 1;
    if (ship_es_index_name(o->es, 0, (time_t)(ev->time_us / 1000000), index, sizeof index) != 0)
        snprintf(index, sizeof index, "%s", "canh-events-invalid-name");
    int rc = ship_es_add(o->es, index, ev->canh_id, ev->raw, ev->len, (uint64_t)ev->rowid);
    if (rc == SHIP_ES_ERR_LIMIT) {
        o->full = true;
        return 1;
    }
    o->ring[(o->head + o->n) % o->cap] = (struct ship_outbox_slot){ ev->rowid, rc ? 2 : 0 };
    o->n++;
    o->pulled = ev->rowid;
    if (rc) /* a canh_id ship_es refuses (quote, too long): cannot ever be sent */
        log_warning("ship", "event %s (row %" PRId64 ") cannot be shipped: bad id; skipped",
                    ev->canh_id, ev->rowid);
    return 0;
}

static int ship_outbox_add_version(void *arg, const struct db_outbox_version *v)
{
    struct ship_outbox *o = arg;
    char index[256], id[64];
    if (o->vinflight >= SHIP_OUTBOX_VERSIONS_MAX)
        return 1;
    if (ship_es_index_name(o->es, 1, (time_t)(v->created_us / 1000000), index, sizeof index))
        snprintf(index, sizeof index, "%s", "canh-incidents-invalid-name");
    snprintf(id, sizeof id, "%" PRId64 ":%" PRId64, v->incident_id, v->version_us);
    int rc = ship_es_add(o->es, index, id, v->doc, v->len, SHIP_OUTBOX_INCIDENT | (uint64_t)v->id);
    if (rc == SHIP_ES_ERR_LIMIT) {
        o->full = true;
        return 1;
    }
    o->vpulled = v->id;
    if (rc == 0)
        o->vinflight++;
    return 0;
}

/* The store lost rows at the end (retention deleted every event, so SQLite
 * hands out small rowids again): start over from the beginning. */
static void ship_outbox_check_reuse(struct ship_outbox *o)
{
    if (o->n != 0 || o->cursor == 0)
        return;
    int64_t max = db_event_max_rowid(o->db);
    if (max >= 0 && max < o->cursor) {
        log_notice("ship", "event rows restart at %" PRId64 " below the cursor %" PRId64
                   " (every older event was deleted); shipping from the first row",
                   max, o->cursor);
        o->cursor = o->pulled = 0;
        ship_outbox_schedule(o->save_ev);
    }
}

static void ship_outbox_pull(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ship_outbox *o = arg;
    int more = 0;
    o->st.pulls++;
    o->full = false;
    ship_outbox_check_reuse(o);
    size_t room = o->cap - o->n;
    if (room > 0) {
        int lim = room < SHIP_OUTBOX_CHUNK ? (int)room : SHIP_OUTBOX_CHUNK;
        int got = db_outbox_events_after(o->db, o->pulled, lim, ship_outbox_add_event, o);
        more |= got == lim;
    }
    /* Delivered versions are deleted, and SQLite reuses the rowid of a
     * deleted last row: with nothing in flight and nothing left to delete,
     * every row present is new, so read from the start. */
    if (o->vinflight == 0 && !o->vnotes)
        o->vpulled = 0;
    if (!o->full && o->vinflight < SHIP_OUTBOX_VERSIONS_MAX) {
        int got = db_outbox_versions_after(o->db, o->vpulled, 200, ship_outbox_add_version, o);
        more |= got == 200;
    }
    if (o->full)
        o->st.full++;
    else if (more && o->n < o->cap)
        ship_outbox_schedule(o->pull_ev);
    /* Anything already final (bad ids) moves the cursor too. */
    while (o->n && o->ring[o->head].final) {
        o->cursor = o->ring[o->head].rowid;
        o->head = (o->head + 1) % o->cap;
        o->n--;
    }
    if (o->cursor != o->saved_cursor)
        ship_outbox_schedule(o->save_ev);
}

/* ---------------------------------------------------------------- outcomes */

static struct ship_outbox_slot *ship_outbox_find(struct ship_outbox *o, int64_t rowid)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct ship_outbox_slot *s = &o->ring[(o->head + mid) % o->cap];
        if (s->rowid == rowid)
            return s;
        if (s->rowid < rowid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void ship_outbox_note(struct ship_outbox *o, uint64_t cookie, int outcome,
                             const char *reason)
{
    if (o->nnotes == o->capnotes) {
        size_t cap = o->capnotes ? o->capnotes * 2 : 256;
        struct ship_outbox_note *n = realloc(o->notes, cap * sizeof *n);
        if (!n) {
            /* Not recorded now: the row is sent again after a restart. */
            log_error("ship", "out of memory recording an outcome");
            return;
        }
        o->notes = n;
        o->capnotes = cap;
    }
    o->notes[o->nnotes++] = (struct ship_outbox_note){
        cookie, outcome, outcome == SHIP_ES_REJECTED && reason ? strdup(reason) : NULL };
}

static void ship_outbox_on_result(void *arg, uint64_t cookie, int outcome, const char *reason)
{
    struct ship_outbox *o = arg;
    if (outcome == SHIP_ES_RETRY)
        return; /* ship_es counts and retries it */
    if (cookie & SHIP_OUTBOX_INCIDENT) {
        if (o->vinflight)
            o->vinflight--;
        o->vnotes++;
        if (outcome == SHIP_ES_DONE)
            o->st.versions_done++;
        else
            o->st.versions_rejected++;
        ship_outbox_note(o, cookie, outcome, reason);
    } else {
        struct ship_outbox_slot *s = ship_outbox_find(o, (int64_t)cookie);
        if (s)
            s->final = 1;
        if (outcome == SHIP_ES_DONE) {
            o->st.events_done++;
        } else {
            o->st.events_rejected++;
            ship_outbox_note(o, cookie, outcome, reason);
        }
        while (o->n && o->ring[o->head].final) {
            o->cursor = o->ring[o->head].rowid;
            o->head = (o->head + 1) % o->cap;
            o->n--;
        }
    }
    ship_outbox_schedule(o->save_ev);
    ship_outbox_schedule(o->pull_ev);
}

/* Write one note inside the save transaction. */
static int ship_outbox_write_note(struct ship_outbox *o, const struct ship_outbox_note *n,
                                  int64_t now)
{
    char id[160], index[256] = "";
    int64_t t = 0;
    if (n->cookie & SHIP_OUTBOX_INCIDENT) {
        int64_t row = (int64_t)(n->cookie & ~SHIP_OUTBOX_INCIDENT), iid = 0, ver = 0;
        if (n->outcome == SHIP_ES_REJECTED &&
            db_outbox_version_ident(o->db, row, &iid, &ver, &t) == 0) {
            snprintf(id, sizeof id, "%" PRId64 ":%" PRId64, iid, ver);
            ship_es_index_name(o->es, 1, (time_t)(t / 1000000), index, sizeof index);
            log_warning("ship", "incident version %s refused by %s: %s", id, index,
                        n->reason ? n->reason : "");
            if (db_outbox_reject(o->db, "incident", id, index, n->reason, now) != 0)
                return -1;
        }
        return db_outbox_version_done(o->db, row);
    }
    int rc = db_outbox_event_ident(o->db, (int64_t)n->cookie, id, sizeof id, &t);
    if (rc == DB_ERR_NOENT)
        return 0; /* expired meanwhile */
    if (rc)
        return rc;
    ship_es_index_name(o->es, 0, (time_t)(t / 1000000), index, sizeof index);
    log_warning("ship", "event %s refused by %s: %s", id, index, n->reason ? n->reason : "");
    return db_outbox_reject(o->db, "event", id, index, n->reason, now);
}

static int ship_outbox_save_now(struct ship_outbox *o)
{
    if (o->nnotes == 0 && o->cursor == o->saved_cursor)
        return 0;
    int64_t now = db_now_us();
    int rc = db_begin(o->db);
    if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < o->nnotes; i++)
            rc = ship_outbox_write_note(o, &o->notes[i], now);
        if (rc == 0 && o->cursor != o->saved_cursor)
            rc = db_outbox_cursor_set(o->db, o->cursor);
        if (rc == 0)
            rc = db_commit(o->db); /* rolls back itself on failure */
        else
            db_rollback(o->db);
    }
    o->st.saves++;
    if (rc) {
        o->st.save_failures++;
        log_error("ship", "saving the outbox cursor (%" PRId64 ") and %zu outcomes failed; "
                  "retrying on the next tick", o->cursor, o->nnotes);
        return rc;
    }
    for (size_t i = 0; i < o->nnotes; i++)
        free(o->notes[i].reason);
    o->nnotes = 0;
    o->vnotes = 0;
    o->saved_cursor = o->cursor;
    return 0;
}

static void ship_outbox_save(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ship_outbox_save_now(arg);
}

static void ship_outbox_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ship_outbox *o = arg;
    ship_outbox_save_now(o);
    ship_outbox_kick(o);
}

/* ---------------------------------------------------------------- life cycle */

struct ship_outbox *ship_outbox_new(struct event_base *base, struct db *d,
                                    const struct ship_outbox_cfg *cfg)
{
    struct ship_outbox *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->base = base;
    o->db = d;
    o->cfg = *cfg;
    o->st.enabled = cfg->enabled;
    if (db_outbox_enable(d, cfg->enabled) != 0)
        goto fail;
    if (!cfg->enabled)
        return o;
    struct ship_es_cfg ec;
    ship_outbox_cfg_es(&o->cfg, &ec);
    ec.on_result = ship_outbox_on_result;
    ec.on_result_arg = o;
    o->cap = cfg->window ? cfg->window : 20000;
    o->ring = calloc(o->cap, sizeof *o->ring);
    o->es = ship_es_new(base, &ec);
    o->pull_ev = event_new(base, -1, 0, ship_outbox_pull, o);
    o->save_ev = event_new(base, -1, 0, ship_outbox_save, o);
    o->tick_ev = event_new(base, -1, EV_PERSIST, ship_outbox_tick, o);
    struct timeval sec = { 1, 0 };
    if (!o->ring || !o->es || !o->pull_ev || !o->save_ev || !o->tick_ev ||
        event_add(o->tick_ev, &sec) != 0)
        goto fail;
    if (ec.templates_dir && ship_es_install_templates(o->es, ec.templates_dir) != 0) {
        log_error("ship", "%s: index templates unreadable (elasticsearch.templates-dir)",
                  ec.templates_dir);
        goto fail;
    }
    if (db_outbox_cursor_get(d, &o->cursor) != 0)
        goto fail;
    o->saved_cursor = o->pulled = o->cursor;
    int64_t max = db_event_max_rowid(d), waiting = db_outbox_versions_pending(d);
    log_notice("ship", "shipping to %s: events %s, incidents %s; %" PRId64 " events and %" PRId64
               " incident versions wait in the outbox", ec.url, ec.index_events,
               ec.index_incidents, max > o->cursor ? max - o->cursor : 0,
               waiting > 0 ? waiting : 0);
    ship_outbox_kick(o);
    return o;
fail:
    ship_outbox_free(o);
    return NULL;
}

void ship_outbox_free(struct ship_outbox *o)
{
    if (!o)
        return;
    if (o->es)
        ship_outbox_save_now(o);
    ship_es_free(o->es);
    if (o->pull_ev)
        event_free(o->pull_ev);
    if (o->save_ev)
        event_free(o->save_ev);
    if (o->tick_ev)
        event_free(o->tick_ev);
    for (size_t i = 0; i < o->nnotes; i++)
        free(o->notes[i].reason);
    free(o->notes);
    free(o->ring);
    free(o);
}

int64_t ship_outbox_depth(void *arg)
{
    struct ship_outbox *o = arg;
    if (!o || !o->es)
        return 0;
    int64_t max = db_event_max_rowid(o->db), v = db_outbox_versions_pending(o->db);
    return (max > o->cursor ? max - o->cursor : 0) + (v > 0 ? v : 0);
}

void ship_outbox_stats_get(struct ship_outbox *o, struct ship_outbox_stats *out)
{
    *out = o->st;
    out->rejected_total = db_outbox_rejected_count(o->db);
    if (!o->es)
        return;
    int64_t max = db_event_max_rowid(o->db);
    out->templates_ready = ship_es_templates_ready(o->es);
    out->cursor = o->cursor;
    out->pulled = o->pulled;
    out->events_behind = max > o->cursor ? max - o->cursor : 0;
    out->versions_waiting = db_outbox_versions_pending(o->db);
}

bool ship_outbox_es_stats(struct ship_outbox *o, struct ship_es_stats *out)
{
    if (!o->es)
        return false;
    ship_es_stats_get(o->es, out);
    return true;
}

struct db *ship_outbox_db(struct ship_outbox *o)
{
    return o->db;
}
