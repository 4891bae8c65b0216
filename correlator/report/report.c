/* report: the reporter's timer (collect -> daily -> deliver), the delivery
 * verdicts and the backoff. Bounded work per tick: at most REPORT_BATCH
 * incidents are built and signed, and one delivery is in flight.
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report/rep_daily.h"
#include "report/rep_http.h"
#include "report/rep_outbox.h"
#include "report/rep_post.h"
#include "report/rep_sign.h"
#include "report/rep_taxii.h"
#include "report/stix_build.h"
#include "store/db_incident.h"

#define REPORT_BATCH 16
#define REPORT_STATE_DAILY "report.daily.last"
#define REPORT_STATE_CFG "report.delivery.fingerprint"

struct report {
    struct event_base *base;
    struct db *db;
    const struct rep_cfg *cfg;
    struct rep_sign *sign;
    struct rep_http *http;
    struct rep_taxii *taxii;
    struct rep_post *post;
    struct rep_taxii_cfg tcfg;
    struct rep_post_cfg pcfg;
    struct stix_build_opts bopts;
    struct event *tick, *soon;
    int busy;
    struct rep_outbox_row cur;
    char *cur_body, *cur_sig;      /* what is in flight (envelope or bundle; base64 CMS) */
    int64_t channel_next_us;       /* no attempt before this (backoff of the link) */
    int backoff_s;
    struct report_stats st;
};

static struct rep_http_peer report_peer(const struct rep_cfg_peer *p)
{
    struct rep_http_peer hp = { p->user, p->password, p->ca_file, p->cert, p->key, p->verify,
                                p->timeout_s };
    return hp;
}

/* Serialise and sign one bundle. 0 or -1 (logged). */
static int report_seal(struct report *r, json_t *bundle, char **text, char **sig)
{
    *text = bundle ? json_dumps(bundle, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    *sig = NULL;
    if (!*text || rep_sign_data(r->sign, *text, strlen(*text), sig) != 0) {
        free(*text);
        *text = NULL;
        return -1;
    }
    return 0;
}

static int report_enqueue_incident(struct report *r, int64_t id, int64_t version, int64_t now)
{
    json_t *inc = NULL, *bundle = NULL;
    char *text = NULL, *sig = NULL, subject[64];
    int rc = -1;
    if (db_incident_get(r->db, id, r->cfg->max_events, &inc) != 0)
        goto out;
    bundle = stix_build_incident(inc, &r->bopts);
    if (report_seal(r, bundle, &text, &sig) != 0)
        goto out;
    snprintf(subject, sizeof subject, "incident:%lld", (long long)id);
    rc = rep_outbox_enqueue(r->db, subject, id, version, text, sig, now, NULL);
out:
    if (rc < 0) {
        r->st.build_errors++;
        log_error("report", "incident %lld: the report could not be built, signed or stored",
                  (long long)id);
    }
    json_decref(inc);
    json_decref(bundle);
    free(text);
    free(sig);
    return rc;
}

/* New versions of incidents that meet the policy, in one transaction. */
static void report_collect(struct report *r, int64_t now)
{
    int64_t ids[REPORT_BATCH], vers[REPORT_BATCH];
    int n = rep_outbox_changed(r->db, r->cfg->min_severity, r->cfg->statuses_json,
                               r->cfg->rules_json, ids, vers, REPORT_BATCH);
    if (n <= 0 || db_begin(r->db) != 0)
        return;
    int added = 0;
    for (int i = 0; i < n; i++)
        if (report_enqueue_incident(r, ids[i], vers[i], now) > 0)
            added++;
    if (db_commit(r->db) != 0)
        return;
    r->st.enqueued += (uint64_t)added;
    if (added)
        log_info("report", "%d incident versions queued for the national centre", added);
}

static int report_daily_build(struct report *r, int64_t day, int64_t version, int64_t now,
                              int64_t *row_id)
{
    json_t *sum = rep_daily_summary(r->db, day, now, r->cfg->min_severity,
                                    r->cfg->statuses_json, r->cfg->rules_json);
    json_t *bundle = sum ? stix_build_daily(sum, &r->bopts) : NULL;
    char *text = NULL, *sig = NULL, subject[64], name[16];
    int rc = -1;
    rep_daily_name(day, name, sizeof name);
    snprintf(subject, sizeof subject, "daily:%s", name);
    if (report_seal(r, bundle, &text, &sig) == 0)
        rc = rep_outbox_enqueue(r->db, subject, 0, version, text, sig, now, row_id);
    if (rc < 0)
        log_error("report", "daily summary %s: could not be built, signed or stored", name);
    else
        log_notice("report", "daily summary %s queued", name);
    json_decref(sum);
    json_decref(bundle);
    free(text);
    free(sig);
    return rc;
}

/* The scheduled summary of the previous day, once (the state key is moved
 * in the same transaction as the enqueue). */
static void report_daily(struct report *r, int64_t now)
{
    int64_t last = 0;
    if (!r->cfg->daily || db_state_get_int(r->db, REPORT_STATE_DAILY, &last) < 0)
        return;
    int64_t day = rep_daily_due(now, r->cfg->daily_minute, last);
    if (!day || db_begin(r->db) != 0)
        return;
    /* Version: the end of the day, so a rebuild after a crash is the same row. */
    if (report_daily_build(r, day, day + REP_DAILY_DAY_US - 1, now, NULL) < 0 ||
        db_state_set_int(r->db, REPORT_STATE_DAILY, day) != 0) {
        db_rollback(r->db);
        return;
    }
    if (db_commit(r->db) == 0)
        r->st.enqueued++;
}

int report_daily_enqueue(struct report *r, int64_t day_us, int64_t *row_id)
{
    if (!r->sign)
        return -1;
    int64_t now = db_now_us();
    if (db_begin(r->db) != 0)
        return -1;
    int rc = report_daily_build(r, day_us, now, now, row_id);
    if (rc < 0) {
        db_rollback(r->db);
        return rc;
    }
    if (db_commit(r->db) != 0)
        return -1;
    r->st.enqueued++;
    event_active(r->soon, EV_TIMEOUT, 0);
    return rc;
}

static void report_deliver(struct report *r, int64_t now);

static void report_on_done(void *arg, enum rep_http_verdict v, const char *reason)
{
    struct report *r = arg;
    int64_t now = db_now_us(), next = 0;
    int attempts = r->cur.attempts + 1;
    const char *state = "sent", *tname = r->taxii ? "taxii" : "post";
    if (v == REP_HTTP_OK) {
        r->st.sent++;
        r->backoff_s = 0;
        r->channel_next_us = 0;
        log_notice("report", "%s (version %lld) delivered by %s after %d attempt%s",
                   r->cur.subject, (long long)r->cur.version_us, tname, attempts,
                   attempts == 1 ? "" : "s");
    } else if (v == REP_HTTP_RETRY) {
        r->st.retries++;
        r->backoff_s = r->backoff_s ? r->backoff_s * 2 : r->cfg->retry_min_s;
        if (r->backoff_s > r->cfg->retry_max_s)
            r->backoff_s = r->cfg->retry_max_s;
        state = "pending";
        next = now + (int64_t)r->backoff_s * 1000000;
        r->channel_next_us = next;
        log_warning("report", "%s: delivery failed (%s); retry in %d s", r->cur.subject,
                    reason, r->backoff_s);
    } else {
        r->st.refusals++;
        state = "failed";
        if (attempts < r->cfg->refused_max)
            next = now + (int64_t)r->cfg->refused_retry_s * 1000000;
        r->channel_next_us = now + (int64_t)r->cfg->retry_min_s * 1000000;
        log_error("report", "%s: refused (%s); %s", r->cur.subject, reason,
                  next ? "tried again later" : "no more attempts until the delivery "
                  "settings change (report.taxii.* / report.post.*)");
    }
    rep_outbox_mark(r->db, r->cur.id, state, attempts, next, v == REP_HTTP_OK ? NULL : reason,
                    v == REP_HTTP_OK ? tname : NULL, now);
    rep_outbox_row_fini(&r->cur);
    free(r->cur_body);
    free(r->cur_sig);
    r->cur_body = r->cur_sig = NULL;
    r->busy = 0;
    if (v == REP_HTTP_OK)
        event_active(r->soon, EV_TIMEOUT, 0); /* drain the queue */
}

/* The oldest due row goes out, unless one is in flight or the link waits. */
static void report_deliver(struct report *r, int64_t now)
{
    if (r->busy || now < r->channel_next_us)
        return;
    if (rep_outbox_next(r->db, now, &r->cur) != 1)
        return;
    int rc = -1;
    if (r->taxii) {
        json_t *b = json_loads(r->cur.bundle, 0, NULL), *env = b ? stix_build_envelope(b) : NULL;
        r->cur_body = env ? json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(b);
        json_decref(env);
        if (r->cur_body)
            rc = rep_taxii_send(r->taxii, r->cur_body, strlen(r->cur_body), report_on_done, r);
    } else if (r->cur.signature && rep_sign_pem_b64(r->cur.signature, &r->cur_sig) == 0) {
        rc = rep_post_send(r->post, r->cur.bundle, strlen(r->cur.bundle), r->cur_sig,
                           report_on_done, r);
    }
    if (rc != 0) {
        log_error("report", "%s: cannot start the delivery; retry in %d s", r->cur.subject,
                  r->cfg->retry_min_s);
        r->channel_next_us = now + (int64_t)r->cfg->retry_min_s * 1000000;
        rep_outbox_row_fini(&r->cur);
        free(r->cur_body);
        free(r->cur_sig);
        r->cur_body = r->cur_sig = NULL;
        return;
    }
    r->busy = 1;
}

static void report_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct report *r = arg;
    int64_t now = db_now_us();
    report_collect(r, now);
    report_daily(r, now);
    report_deliver(r, now);
}

/* When the delivery settings changed since the last run, refused reports
 * get a fresh set of attempts. */
static void report_check_fingerprint(struct report *r)
{
    int64_t fp = (int64_t)rep_cfg_fingerprint(r->cfg), old = 0;
    int have = db_state_get_int(r->db, REPORT_STATE_CFG, &old);
    if (have == 0 && old == fp)
        return;
    int n = rep_outbox_retry_failed(r->db, db_now_us());
    if (n > 0)
        log_notice("report", "delivery settings changed: %d refused reports will be tried again",
                   n);
    db_state_set_int(r->db, REPORT_STATE_CFG, fp);
}

static int report_start_transport(struct report *r)
{
    const struct rep_cfg *c = r->cfg;
    enum stix_tlp tlp = STIX_TLP_AMBER;
    enum stix_lang lang = STIX_LANG_VI;
    stix_build_tlp_parse(c->tlp, &tlp);
    stix_build_lang_parse(c->language, &lang);
    r->bopts = (struct stix_build_opts){ c->org_name, c->org_sector, c->org_contact, tlp,
                                         c->max_indicators, lang };
    r->sign = rep_sign_new(c->sign_cert, c->sign_key, c->sign_chain);
    r->http = r->sign ? rep_http_new(r->base) : NULL;
    if (!r->http)
        return -1;
    if (c->transport == REP_CFG_TAXII) {
        r->tcfg = (struct rep_taxii_cfg){ c->taxii.url, c->api_root, c->collection,
                                          report_peer(&c->taxii), c->status_timeout_s };
        r->taxii = rep_taxii_new(r->base, r->http, &r->tcfg);
        if (!r->taxii)
            return -1;
    } else {
        r->pcfg = (struct rep_post_cfg){ c->post.url, report_peer(&c->post) };
        r->post = rep_post_new(r->http, &r->pcfg);
        if (!r->post)
            return -1;
    }
    const struct rep_cfg_peer *p = c->transport == REP_CFG_TAXII ? &c->taxii : &c->post;
    if (!p->verify)
        log_warning("report", "%s: TLS verification is OFF (report.%s.verify: no)", p->url,
                    c->transport == REP_CFG_TAXII ? "taxii" : "post");
    log_notice("report", "reporting to %s by %s, TLP:%s, incidents of severity <= %d with "
               "status in %s, rules %s, signed with %s", p->url,
               c->transport == REP_CFG_TAXII ? "TAXII 2.1" : "HTTPS POST", c->tlp,
               c->min_severity, c->statuses_json, c->rules_json, c->sign_cert);
    return 0;
}

struct report *report_new(struct event_base *base, struct db *d, const struct rep_cfg *cfg)
{
    struct report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base = base;
    r->db = d;
    r->cfg = cfg;
    if (!cfg->enabled)
        return r;
    r->tick = event_new(base, -1, EV_PERSIST, report_on_tick, r);
    r->soon = event_new(base, -1, 0, report_on_tick, r);
    struct timeval every = { cfg->poll_s, 0 };
    if (!r->tick || !r->soon || report_start_transport(r) != 0 || event_add(r->tick, &every)) {
        report_free(r);
        return NULL;
    }
    report_check_fingerprint(r);
    event_active(r->soon, EV_TIMEOUT, 0);
    return r;
}

void report_free(struct report *r)
{
    if (!r)
        return;
    if (r->tick)
        event_free(r->tick);
    if (r->soon)
        event_free(r->soon);
    rep_taxii_free(r->taxii);
    rep_post_free(r->post);
    rep_http_free(r->http); /* abandons the request in flight: its row stays pending */
    rep_sign_free(r->sign);
    rep_outbox_row_fini(&r->cur);
    free(r->cur_body);
    free(r->cur_sig);
    free(r);
}

void report_get_stats(const struct report *r, struct report_stats *s)
{
    *s = r->st;
}

int64_t report_queue_depth(void *arg)
{
    const struct report *r = arg;
    return rep_outbox_depth(r->db);
}

struct db *report_db(const struct report *r)
{
    return r->db;
}
