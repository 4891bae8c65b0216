/* rep_cfg: the report.* schema table and its copy into struct rep_cfg,
 * with the checks that need more than one key (a transport without its URL,
 * signing without a certificate). Documented in deploy/correlator.yaml.
 */
#include "report/rep_cfg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "report/stix_build.h"

static const struct cfg_opt rep_cfg_schema[] = {
    { "report.enabled", CFG_BOOL, "no", 0, 0, "send incidents to the national centre" },
    { "report.transport", CFG_STR, "taxii", 0, 0, "taxii (TAXII 2.1) or post (HTTPS POST)" },
    { "report.poll-interval", CFG_INT, "5", 1, 3600, "seconds between looks for changes" },
    { "report.policy.min-severity", CFG_INT, "2", 1, 4,
      "report incidents of this severity or worse (1 high/critical, 2 medium, 3 low, 4 info)" },
    /* cfg_get_list() gives no schema default for lists: see rep_cfg_read. */
    { "report.policy.statuses", CFG_LIST, NULL, 0, 0,
      "incident statuses that are reported (default [investigating, resolved])" },
    { "report.policy.rules", CFG_LIST, NULL, 0, 0, "only these rule ids ([]: every rule)" },
    { "report.organization.name", CFG_STR, "Canh SOC", 0, 0,
      "the reporting organisation (STIX identity)" },
    { "report.organization.sector", CFG_STR, "government-local", 0, 0,
      "STIX industry sector of the organisation (\"\": none)" },
    { "report.organization.contact", CFG_STR, NULL, 0, 0, "contact information" },
    { "report.tlp", CFG_STR, "amber", 0, 0, "TLP marking: white green amber red" },
    { "report.language", CFG_STR, "vi", 0, 0,
      "language of the daily summary's name and description: vi or en" },
    { "report.max-indicators", CFG_INT, "200", 1, 100000, "indicators per incident bundle" },
    { "report.max-events", CFG_INT, "500", 0, 100000,
      "events of an incident searched for domains, hashes and malware" },
    { "report.sign.cert", CFG_STR, NULL, 0, 0, "PEM certificate that signs every bundle" },
    { "report.sign.key", CFG_STR, NULL, 0, 0, "PEM private key (default: sign.cert)" },
    { "report.sign.chain", CFG_STR, NULL, 0, 0, "PEM intermediate certificates to include" },
    { "report.taxii.url", CFG_STR, NULL, 0, 0, "TAXII 2.1 discovery URL (https://host/taxii2/)" },
    { "report.taxii.api-root", CFG_STR, NULL, 0, 0, "API root URL or path (default: the "
      "server's default)" },
    { "report.taxii.collection", CFG_STR, NULL, 0, 0, "collection id or title" },
    { "report.taxii.user", CFG_STR, NULL, 0, 0, "basic auth user" },
    { "report.taxii.password", CFG_STR, NULL, 0, 0, "basic auth password" },
    { "report.taxii.ca-file", CFG_STR, NULL, 0, 0, "PEM CA bundle (default: the system's)" },
    { "report.taxii.cert", CFG_STR, NULL, 0, 0, "client certificate (PEM)" },
    { "report.taxii.key", CFG_STR, NULL, 0, 0, "client key (PEM, default: taxii.cert)" },
    { "report.taxii.verify", CFG_BOOL, "yes", 0, 0, "verify the server certificate and name" },
    { "report.taxii.timeout", CFG_INT, "60", 1, 3600, "seconds per request" },
    { "report.taxii.status-timeout", CFG_INT, "300", 1, 86400,
      "seconds a pending TAXII status is followed" },
    { "report.post.url", CFG_STR, NULL, 0, 0, "URL the signed bundle is POSTed to" },
    { "report.post.user", CFG_STR, NULL, 0, 0, "basic auth user" },
    { "report.post.password", CFG_STR, NULL, 0, 0, "basic auth password" },
    { "report.post.ca-file", CFG_STR, NULL, 0, 0, "PEM CA bundle (default: the system's)" },
    { "report.post.cert", CFG_STR, NULL, 0, 0, "client certificate (PEM)" },
    { "report.post.key", CFG_STR, NULL, 0, 0, "client key (PEM, default: post.cert)" },
    { "report.post.verify", CFG_BOOL, "yes", 0, 0, "verify the server certificate and name" },
    { "report.post.timeout", CFG_INT, "60", 1, 3600, "seconds per request" },
    { "report.retry.min", CFG_INT, "10", 1, 86400, "first wait after a transient failure (s)" },
    { "report.retry.max", CFG_INT, "1800", 1, 604800, "longest wait between attempts (s)" },
    { "report.retry.refused-interval", CFG_INT, "3600", 1, 604800,
      "wait after a refusal (401, 403, 404, 4xx) before trying again (s)" },
    { "report.retry.refused-attempts", CFG_INT, "3", 1, 1000,
      "attempts of a refused report; then it stays failed until the delivery config changes" },
    { "report.daily.enabled", CFG_BOOL, "yes", 0, 0, "send a daily summary report" },
    { "report.daily.at", CFG_STR, "00:15", 0, 0, "UTC time (HH:MM) the previous day is sent" },
};

int rep_cfg_add_schema(struct cfg *c)
{
    return cfg_add_schema(c, rep_cfg_schema, sizeof rep_cfg_schema / sizeof *rep_cfg_schema);
}

static void rep_cfg_str(const struct cfg *c, const char *key, char *out, size_t cap)
{
    const char *v = cfg_get_str(c, key);
    snprintf(out, cap, "%s", v ? v : "");
}

static int rep_cfg_list(const struct cfg *c, const char *key, char *out, size_t cap,
                        const char *path)
{
    const char *const *items = NULL;
    size_t n = cfg_get_list(c, key, &items);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    char *txt = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    int bad = !txt || strlen(txt) >= cap;
    if (bad)
        log_error("cfg", "%s: %s: too many or too long entries", path, key);
    else
        snprintf(out, cap, "%s", txt);
    free(txt);
    return bad;
}

static void rep_cfg_peer(const struct cfg *c, const char *sect, struct rep_cfg_peer *p)
{
    char key[64];
#define REP_CFG_KEY(k) (snprintf(key, sizeof key, "report.%s.%s", sect, k), key)
    rep_cfg_str(c, REP_CFG_KEY("url"), p->url, sizeof p->url);
    rep_cfg_str(c, REP_CFG_KEY("user"), p->user, sizeof p->user);
    rep_cfg_str(c, REP_CFG_KEY("password"), p->password, sizeof p->password);
    rep_cfg_str(c, REP_CFG_KEY("ca-file"), p->ca_file, sizeof p->ca_file);
    rep_cfg_str(c, REP_CFG_KEY("cert"), p->cert, sizeof p->cert);
    rep_cfg_str(c, REP_CFG_KEY("key"), p->key, sizeof p->key);
    p->verify = cfg_get_bool(c, REP_CFG_KEY("verify"));
    p->timeout_s = (int)cfg_get_int(c, REP_CFG_KEY("timeout"));
#undef REP_CFG_KEY
}

/* Cross-key checks, only when reporting is on. */
static int rep_cfg_check(const struct rep_cfg *o, const char *path, const char *transport)
{
    int errors = 0;
    enum stix_tlp tlp;
    if (stix_build_tlp_parse(o->tlp, &tlp) != 0) {
        log_error("cfg", "%s: report.tlp: \"%s\" is not white, green, amber or red", path,
                  o->tlp);
        errors++;
    }
    enum stix_lang lang;
    if (stix_build_lang_parse(o->language, &lang) != 0) {
        log_error("cfg", "%s: report.language: \"%s\" is not vi or en", path, o->language);
        errors++;
    }
    if (strcmp(transport, "taxii") != 0 && strcmp(transport, "post") != 0) {
        log_error("cfg", "%s: report.transport: \"%s\" is not taxii or post", path, transport);
        errors++;
    }
    if (!o->enabled)
        return errors;
    if (strcmp(o->statuses_json, "[]") == 0) {
        log_error("cfg", "%s: report.policy.statuses is empty: no incident would ever be "
                  "reported (e.g. [investigating, resolved])", path);
        errors++;
    }
    if (!o->sign_cert[0]) {
        log_error("cfg", "%s: report.sign.cert: every report is signed; set the "
                  "organisation's PEM certificate (and report.sign.key)", path);
        errors++;
    }
    if (o->transport == REP_CFG_TAXII && (!o->taxii.url[0] || !o->collection[0])) {
        log_error("cfg", "%s: report.transport is taxii: set report.taxii.url (discovery) "
                  "and report.taxii.collection", path);
        errors++;
    }
    if (o->transport == REP_CFG_POST && !o->post.url[0]) {
        log_error("cfg", "%s: report.transport is post: set report.post.url", path);
        errors++;
    }
    if (o->retry_max_s < o->retry_min_s) {
        log_error("cfg", "%s: report.retry.max is below report.retry.min", path);
        errors++;
    }
    return errors;
}

int rep_cfg_read(const struct cfg *c, const char *path, struct rep_cfg *o)
{
    int errors = 0;
    char transport[16], at[16];
    path = path ? path : "(defaults)";
    memset(o, 0, sizeof *o);
    o->enabled = cfg_get_bool(c, "report.enabled");
    rep_cfg_str(c, "report.transport", transport, sizeof transport);
    o->transport = strcmp(transport, "post") == 0 ? REP_CFG_POST : REP_CFG_TAXII;
    o->poll_s = (int)cfg_get_int(c, "report.poll-interval");
    o->min_severity = (int)cfg_get_int(c, "report.policy.min-severity");
    if (cfg_is_set(c, "report.policy.statuses"))
        errors += rep_cfg_list(c, "report.policy.statuses", o->statuses_json,
                               sizeof o->statuses_json, path);
    else
        snprintf(o->statuses_json, sizeof o->statuses_json, "%s",
                 "[\"investigating\",\"resolved\"]");
    errors += rep_cfg_list(c, "report.policy.rules", o->rules_json, sizeof o->rules_json, path);
    const char *const *st = NULL;
    size_t nst = cfg_get_list(c, "report.policy.statuses", &st);
    static const char *const known[] = { "new", "acknowledged", "investigating", "resolved",
                                         "false_positive" };
    for (size_t i = 0; i < nst; i++) {
        int ok = 0;
        for (size_t k = 0; k < 5; k++)
            ok |= strcmp(st[i], known[k]) == 0;
        if (!ok) {
            log_error("cfg", "%s: report.policy.statuses: \"%s\" is not one of new "
                      "acknowledged investigating resolved false_positive", path, st[i]);
            errors++;
        }
    }
    rep_cfg_str(c, "report.organization.name", o->org_name, sizeof o->org_name);
    rep_cfg_str(c, "report.organization.sector", o->org_sector, sizeof o->org_sector);
    rep_cfg_str(c, "report.organization.contact", o->org_contact, sizeof o->org_contact);
    rep_cfg_str(c, "report.tlp", o->tlp, sizeof o->tlp);
    rep_cfg_str(c, "report.language", o->language, sizeof o->language);
    o->max_indicators = (int)cfg_get_int(c, "report.max-indicators");
    o->max_events = (int)cfg_get_int(c, "report.max-events");
    rep_cfg_str(c, "report.sign.cert", o->sign_cert, sizeof o->sign_cert);
    rep_cfg_str(c, "report.sign.key", o->sign_key, sizeof o->sign_key);
    rep_cfg_str(c, "report.sign.chain", o->sign_chain, sizeof o->sign_chain);
    rep_cfg_peer(c, "taxii", &o->taxii);
    rep_cfg_str(c, "report.taxii.api-root", o->api_root, sizeof o->api_root);
    rep_cfg_str(c, "report.taxii.collection", o->collection, sizeof o->collection);
    o->status_timeout_s = (int)cfg_get_int(c, "report.taxii.status-timeout");
    rep_cfg_peer(c, "post", &o->post);
    o->retry_min_s = (int)cfg_get_int(c, "report.retry.min");
    o->retry_max_s = (int)cfg_get_int(c, "report.retry.max");
    o->refused_retry_s = (int)cfg_get_int(c, "report.retry.refused-interval");
    o->refused_max = (int)cfg_get_int(c, "report.retry.refused-attempts");
    o->daily = cfg_get_bool(c, "report.daily.enabled");
    rep_cfg_str(c, "report.daily.at", at, sizeof at);
    int hh = -1, mm = -1;
    char extra;
    if (sscanf(at, "%d:%d%c", &hh, &mm, &extra) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59) {
        log_error("cfg", "%s: report.daily.at: \"%s\" is not a UTC time HH:MM (e.g. 00:15)",
                  path, at);
        errors++;
    }
    o->daily_minute = hh * 60 + mm;
    return errors + rep_cfg_check(o, path, transport);
}

static uint64_t rep_cfg_fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* field separator */
}

uint64_t rep_cfg_fingerprint(const struct rep_cfg *c)
{
    const struct rep_cfg_peer *p = c->transport == REP_CFG_TAXII ? &c->taxii : &c->post;
    uint64_t h = 14695981039346656037ull;
    h = rep_cfg_fnv(h, c->transport == REP_CFG_TAXII ? "taxii" : "post");
    const char *parts[] = { p->url, p->user, p->password, p->ca_file, p->cert, p->key,
                            c->api_root, c->collection, p->verify ? "v" : "n" };
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        h = rep_cfg_fnv(h, parts[i]);
    return h;
}
