/* stix_build: incident and daily-summary bundles in STIX 2.1 (jansson).
 * Wire data (addresses, domains, hashes, YARA names) is checked before it
 * becomes a pattern: addresses through inet_pton, hashes as hex of the
 * right length, domains as LDH labels; anything else is left out.
 */
#include "report/stix_build.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/stix_id.h"

/* created/modified of objects with no time of their own (identities):
 * fixed, so a re-send is the same version. */
#define STIX_BUILD_EPOCH "2026-01-01T00:00:00.000Z"
#define STIX_BUILD_MAX_DOMAIN 253

static const struct {
    const char *name, *id;
} stix_tlps[] = {
    { "white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
    { "green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" },
    { "amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" },
    { "red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" },
};

int stix_build_tlp_parse(const char *s, enum stix_tlp *out)
{
    for (size_t i = 0; i < sizeof stix_tlps / sizeof *stix_tlps; i++) {
        if (strcasecmp(s, stix_tlps[i].name) == 0 ||
            (strncasecmp(s, "tlp:", 4) == 0 && strcasecmp(s + 4, stix_tlps[i].name) == 0)) {
            *out = (enum stix_tlp)i;
            return 0;
        }
    }
    return -1;
}

const char *stix_build_tlp_id(enum stix_tlp t)
{
    return stix_tlps[(unsigned)t < 4 ? t : STIX_TLP_AMBER].id;
}

/* What one bundle is being built from, and the ids already added. */
struct sb {
    const struct stix_build_opts *o;
    json_t *objects, *seen;
    char org[STIX_ID_MAX];
    char created[48], modified[48];
    long long inc;
};

/* Whether the n bytes at s are "YYYY-MM-DDTHH:MM:SS[.f+]" with fields in
 * range, so that a damaged time never reaches a bundle (the national
 * centre's validator rejects the whole bundle for one bad timestamp). */
static bool stix_time_valid(const char *s, size_t n)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    int f[6] = { 0 }, k = 0;
    if (n < sizeof shape - 1)
        return false;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (shape[i] != 'd') {
            if (s[i] != shape[i])
                return false;
            k++;
        } else if (!isdigit((unsigned char)s[i])) {
            return false;
        } else {
            f[k] = f[k] * 10 + (s[i] - '0');
        }
    }
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return false;
    size_t i = sizeof shape - 1;
    if (i < n && s[i] == '.') {
        if (++i == n)
            return false;
        for (; i < n; i++)
            if (!isdigit((unsigned char)s[i]))
                return false;
    }
    return i == n;
}

/* "...+00:00" (the store's form) -> "...Z"; NULL/garbage -> fallback. */
static void stix_time(const char *in, const char *fallback, char out[48])
{
    size_t n = in ? strlen(in) : 0;
    if (n >= 20 && n < 44 && strcmp(in + n - 6, "+00:00") == 0 && stix_time_valid(in, n - 6))
        snprintf(out, 48, "%.*sZ", (int)(n - 6), in);
    else if (n >= 20 && n < 47 && in[n - 1] == 'Z' && stix_time_valid(in, n - 1))
        snprintf(out, 48, "%s", in);
    else
        snprintf(out, 48, "%s", fallback);
}

static int sb_add(struct sb *b, json_t *obj)
{
    const char *id = json_string_value(json_object_get(obj, "id"));
    if (!id || json_object_get(b->seen, id)) {
        json_decref(obj);
        return 0;
    }
    json_object_set_new(b->seen, id, json_true());
    json_array_append_new(b->objects, obj);
    return 1;
}

/* The properties every SDO/SRO of an incident shares. */
static json_t *sb_sdo(struct sb *b, const char *type, const char *id)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type", type,
                          "spec_version", "2.1", "id", id, "created", b->created, "modified",
                          b->modified, "created_by_ref", b->org, "object_marking_refs",
                          stix_build_tlp_id(b->o->tlp));
    return o;
}

static void sb_name(struct sb *b, char *out, size_t cap, const char *what, const char *key)
{
    snprintf(out, cap, "incident:%lld:%s:%s", b->inc, what, key ? key : "");
}

static void sb_relate(struct sb *b, const char *src, const char *type, const char *dst)
{
    char name[600], id[STIX_ID_MAX];
    snprintf(name, sizeof name, "relationship:%s:%s:%s", src, type, dst);
    if (stix_id_make("relationship", name, id, sizeof id) != 0)
        return;
    json_t *r = sb_sdo(b, "relationship", id);
    json_object_set_new(r, "relationship_type", json_string(type));
    json_object_set_new(r, "source_ref", json_string(src));
    json_object_set_new(r, "target_ref", json_string(dst));
    sb_add(b, r);
}

static void sb_fixed_objects(struct sb *b)
{
    enum stix_tlp t = (unsigned)b->o->tlp < 4 ? b->o->tlp : STIX_TLP_AMBER;
    char tlpname[16];
    snprintf(tlpname, sizeof tlpname, "TLP:%s", stix_tlps[t].name);
    for (char *p = tlpname; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    /* The standard object, exactly as the STIX 2.1 specification gives it. */
    sb_add(b, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type", "marking-definition",
                        "spec_version", "2.1", "id", stix_tlps[t].id, "created",
                        "2017-01-20T00:00:00.000Z", "definition_type", "tlp", "name", tlpname,
                        "definition", "tlp", stix_tlps[t].name));
    json_t *org = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "identity",
                            "spec_version", "2.1", "id", b->org, "created", STIX_BUILD_EPOCH,
                            "modified", STIX_BUILD_EPOCH, "name", b->o->org_name,
                            "identity_class", "organization");
    if (b->o->org_sector && b->o->org_sector[0])
        json_object_set_new(org, "sectors", json_pack("[s]", b->o->org_sector));
    if (b->o->org_contact && b->o->org_contact[0])
        json_object_set_new(org, "contact_information", json_string(b->o->org_contact));
    sb_add(b, org);
}

static int sb_init(struct sb *b, const struct stix_build_opts *o, long long inc,
                   const char *created, const char *modified)
{
    memset(b, 0, sizeof *b);
    b->o = o;
    b->inc = inc;
    stix_time(created, STIX_BUILD_EPOCH, b->created);
    stix_time(modified, b->created, b->modified);
    b->objects = json_array();
    b->seen = json_object();
    char name[300];
    snprintf(name, sizeof name, "identity:org:%s", o->org_name);
    if (!b->objects || !b->seen || stix_id_make("identity", name, b->org, sizeof b->org) != 0)
        return -1;
    sb_fixed_objects(b);
    return 0;
}

static json_t *sb_finish(struct sb *b, const char *bundle_name)
{
    char id[STIX_ID_MAX];
    json_t *bundle = NULL;
    if (stix_id_make("bundle", bundle_name, id, sizeof id) == 0)
        bundle = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", id, "objects", b->objects);
    json_decref(b->objects);
    json_decref(b->seen);
    return bundle;
}

/* ---- what the sensors saw ------------------------------------------------ */

struct sb_ioc {
    const char *sco_type;  /* ipv4-addr ipv6-addr domain-name file */
    char value[STIX_BUILD_MAX_DOMAIN + 1];
    const char *hash_alg;  /* for files: "SHA-256" "SHA-1" "MD5" */
};

static bool sb_hex(const char *s, size_t want)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isxdigit((unsigned char)s[n]))
            return false;
    return n == want;
}

static bool sb_domain(const char *s, char *out)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > STIX_BUILD_MAX_DOMAIN || !strchr(s, '.') || s[0] == '.')
        return false;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' || c == 0) {
            if (label == 0 && c == '.')
                return false;
            label = 0;
        } else if (isalnum(c) || c == '-' || c == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        out[i] = (char)tolower(c);
    }
    if (out[n - 1] == '.')
        out[n - 1] = 0;
    return true;
}

/* The SCO (added) and the pattern of one IOC. 0, or -1 when not added. */
static int sb_sco(struct sb *b, const struct sb_ioc *i, char *sco_id, char *pattern, size_t cap)
{
    json_t *canon, *sco;
    if (i->hash_alg) {
        canon = json_pack("{s:{s:s}}", "hashes", i->hash_alg, i->value);
        snprintf(pattern, cap, "[file:hashes.'%s' = '%s']", i->hash_alg, i->value);
    } else {
        canon = json_pack("{s:s}", "value", i->value);
        snprintf(pattern, cap, "[%s:value = '%s']", i->sco_type, i->value);
    }
    /* jansson with sorted keys and no spaces is RFC 8785 for these values
     * (ASCII only: addresses, LDH domains and hex). */
    char *txt = canon ? json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int ok = txt && stix_id_sco(i->sco_type, txt, sco_id, STIX_ID_MAX) == 0;
    free(txt);
    if (!ok) {
        json_decref(canon);
        return -1;
    }
    sco = canon;
    json_object_set_new(sco, "type", json_string(i->sco_type));
    json_object_set_new(sco, "spec_version", json_string("2.1"));
    json_object_set_new(sco, "id", json_string(sco_id));
    sb_add(b, sco);
    return 0;
}

struct sb_seen {
    json_t *scos;        /* SCO ids for the observed-data */
    json_t *indicators;  /* indicator ids */
    json_t *sensors;     /* sensor identity ids */
    int nind;
};

static const char *sb_indicator(struct sb *b, struct sb_seen *s, const struct sb_ioc *i)
{
    static char ind[STIX_ID_MAX];
    char sco[STIX_ID_MAX], pattern[400], name[600];
    if (s->nind >= b->o->max_indicators || sb_sco(b, i, sco, pattern, sizeof pattern) != 0)
        return NULL;
    json_array_append_new(s->scos, json_string(sco));
    sb_name(b, name, sizeof name, "indicator", pattern);
    if (stix_id_make("indicator", name, ind, sizeof ind) != 0)
        return NULL;
    if (json_object_get(b->seen, ind))
        return ind;
    json_t *o = sb_sdo(b, "indicator", ind);
    char title[500];
    snprintf(title, sizeof title, "%s %s", i->hash_alg ? "File" : i->sco_type[0] == 'd' ?
             "Domain" : "Address", i->value);
    json_object_set_new(o, "name", json_string(title));
    char desc[600];
    snprintf(desc, sizeof desc, "Seen by Canh sensors in incident %lld", b->inc);
    json_object_set_new(o, "description", json_string(desc));
    json_object_set_new(o, "indicator_types", json_pack("[s]", "malicious-activity"));
    json_object_set_new(o, "pattern", json_string(pattern));
    json_object_set_new(o, "pattern_type", json_string("stix"));
    json_object_set_new(o, "pattern_version", json_string("2.1"));
    json_object_set(o, "valid_from", json_object_get(o, "created"));
    sb_add(b, o);
    json_array_append_new(s->indicators, json_string(ind));
    s->nind++;
    return ind;
}

static void sb_address(struct sb *b, struct sb_seen *s, const char *a)
{
    struct sb_ioc i = { NULL, "", NULL };
    unsigned char buf[16];
    if (!a || strlen(a) >= sizeof i.value)
        return;
    if (inet_pton(AF_INET, a, buf) == 1)
        i.sco_type = "ipv4-addr";
    else if (inet_pton(AF_INET6, a, buf) == 1)
        i.sco_type = "ipv6-addr";
    else
        return;
    snprintf(i.value, sizeof i.value, "%s", a);
    sb_indicator(b, s, &i);
}

static const char *sb_path_str(const json_t *ev, const char *a, const char *k)
{
    return json_string_value(json_object_get(json_object_get(ev, a), k));
}

static void sb_domains(struct sb *b, struct sb_seen *s, const json_t *ev)
{
    const char *cands[4] = { sb_path_str(ev, "http", "hostname"), sb_path_str(ev, "tls", "sni"),
                             sb_path_str(ev, "dns", "rrname"), NULL };
    json_t *qs = json_object_get(json_object_get(ev, "dns"), "queries");
    if (json_is_array(qs))
        cands[3] = json_string_value(json_object_get(json_array_get(qs, 0), "rrname"));
    for (int k = 0; k < 4; k++) {
        struct sb_ioc i = { "domain-name", "", NULL };
        if (cands[k] && sb_domain(cands[k], i.value))
            sb_indicator(b, s, &i);
    }
}

/* A YARA match names malware by its meta (malware / malware_family) when
 * the sensor passes it, else by the rule name. */
static const char *sb_yara_name(const json_t *m)
{
    if (json_is_string(m))
        return json_string_value(m);
    const json_t *meta = json_object_get(m, "meta");
    const char *fam = json_string_value(json_object_get(meta, "malware_family"));
    if (!fam)
        fam = json_string_value(json_object_get(meta, "malware"));
    return fam ? fam : json_string_value(json_object_get(m, "rule"));
}

static void sb_file(struct sb *b, struct sb_seen *s, const json_t *ev, const char *incident)
{
    const json_t *fi = json_object_get(ev, "fileinfo");
    static const struct { const char *key, *alg; size_t len; } algs[] = {
        { "sha256", "SHA-256", 64 }, { "sha1", "SHA-1", 40 }, { "md5", "MD5", 32 },
    };
    const char *ind = NULL;
    for (size_t k = 0; k < 3 && !ind; k++) {
        const char *h = json_string_value(json_object_get(fi, algs[k].key));
        if (!h || !sb_hex(h, algs[k].len))
            continue;
        struct sb_ioc i = { "file", "", algs[k].alg };
        for (size_t c = 0; c <= algs[k].len; c++)
            i.value[c] = (char)tolower((unsigned char)h[c]);
        ind = sb_indicator(b, s, &i);
    }
    char keep[STIX_ID_MAX] = "";
    if (ind)
        snprintf(keep, sizeof keep, "%s", ind);
    const json_t *yara = json_object_get(fi, "yara");
    size_t n;
    const json_t *m;
    json_array_foreach(yara, n, m) {
        const char *name = sb_yara_name(m);
        char oname[400], mid[STIX_ID_MAX];
        if (!name || !name[0] || strlen(name) > 200 || n >= 16)
            continue;
        sb_name(b, oname, sizeof oname, "malware", name);
        if (stix_id_make("malware", oname, mid, sizeof mid) != 0)
            continue;
        json_t *o = sb_sdo(b, "malware", mid);
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "is_family", json_true());
        json_object_set_new(o, "malware_types", json_pack("[s]", "unknown"));
        sb_add(b, o);
        sb_relate(b, keep[0] ? keep : incident, keep[0] ? "indicates" : "related-to", mid);
    }
}

static void sb_sensors(struct sb *b, struct sb_seen *s, const json_t *sensors)
{
    size_t k;
    const json_t *v;
    json_array_foreach(sensors, k, v) {
        const char *name = json_string_value(v);
        char key[200], id[STIX_ID_MAX], title[200];
        if (!name || strlen(name) > 64)
            continue;
        snprintf(key, sizeof key, "identity:sensor:%s", name);
        snprintf(title, sizeof title, "Canh sensor %s", name);
        if (stix_id_make("identity", key, id, sizeof id) != 0)
            continue;
        sb_add(b, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type",
                            "identity", "spec_version", "2.1", "id", id, "created",
                            STIX_BUILD_EPOCH, "modified", STIX_BUILD_EPOCH, "created_by_ref",
                            b->org, "name", title, "identity_class", "system",
                            "object_marking_refs", stix_build_tlp_id(b->o->tlp)));
        json_array_append_new(s->sensors, json_string(id));
    }
}

/* ---- the incident ----------------------------------------------------------- */

static const char *stix_sev_name(int sev)
{
    /* The store's scale (corr_rule.c): critical and high are both 1. */
    static const char *const names[] = { "high", "medium", "low", "informational" };
    return sev >= 1 && sev <= 4 ? names[sev - 1] : "medium";
}

/* Canh's properties as x_canh_<name> custom properties. A STIX 2.1
 * property extension (extension-definition) would be the newer way, but
 * medallion 3.0.0 parses an extension-definition's `version` ("1.0.0") as a
 * timestamp and fails every read of it; custom properties are understood by
 * every 2.1 consumer (the validator only warns). Steals props. */
static void sb_custom(json_t *o, json_t *props)
{
    const char *k;
    json_t *v;
    json_object_foreach(props, k, v) {
        char key[64];
        snprintf(key, sizeof key, "x_canh_%s", k);
        json_object_set(o, key, v);
    }
    json_decref(props);
}

/* Sigma tags: attack.<tactic> -> kill-chain phase, attack.tNNNN -> reference. */
static void sb_attack(json_t *o, const json_t *tags)
{
    json_t *phases = json_array(), *refs = json_array();
    size_t k;
    const json_t *v;
    json_array_foreach(tags, k, v) {
        const char *t = json_string_value(v);
        if (!t || strncmp(t, "attack.", 7) != 0 || strlen(t) > 80)
            continue;
        char buf[80];
        t += 7;
        if ((t[0] == 't' || t[0] == 'T') && isdigit((unsigned char)t[1])) {
            /* The technique id alone: a URL would want a hash (validator 302). */
            size_t i = 0;
            for (; t[i]; i++)
                buf[i] = (char)toupper((unsigned char)t[i]);
            buf[i] = 0;
            json_array_append_new(refs, json_pack("{s:s, s:s}", "source_name", "mitre-attack",
                                                  "external_id", buf));
        } else {
            size_t i = 0;
            for (; t[i]; i++)
                buf[i] = t[i] == '_' ? '-' : (char)tolower((unsigned char)t[i]);
            buf[i] = 0;
            json_array_append_new(phases, json_pack("{s:s, s:s}", "kill_chain_name",
                                                    "mitre-attack", "phase_name", buf));
        }
    }
    if (json_array_size(phases))
        json_object_set(o, "kill_chain_phases", phases);
    json_t *ext = json_object_get(o, "external_references");
    json_array_extend(ext, refs);
    json_decref(phases);
    json_decref(refs);
}

static json_t *sb_incident(struct sb *b, const json_t *inc, const char *id)
{
    json_t *o = sb_sdo(b, "incident", id);
    int sev = (int)json_integer_value(json_object_get(inc, "severity"));
    const char *status = json_string_value(json_object_get(inc, "status"));
    char first[48], last[48], ref[64];
    stix_time(json_string_value(json_object_get(inc, "first_seen")), b->created, first);
    stix_time(json_string_value(json_object_get(inc, "last_seen")), b->modified, last);
    json_object_set(o, "name", json_object_get(inc, "title"));
    const char *desc = json_string_value(json_object_get(inc, "description"));
    if (desc && desc[0])
        json_object_set_new(o, "description", json_string(desc));
    json_object_set_new(o, "labels", json_pack("[s+, s+]", "severity:", stix_sev_name(sev),
                                               "status:", status ? status : "new"));
    snprintf(ref, sizeof ref, "incident-%lld", b->inc);
    json_object_set_new(o, "external_references",
                        json_pack("[{s:s, s:s}]", "source_name", "canh", "external_id", ref));
    sb_attack(o, json_object_get(inc, "tags"));
    json_t *props = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I}", "severity", sev,
                              "severity_name",
                              stix_sev_name(sev), "status", status ? status : "new",
                              "first_seen", first, "last_seen", last, "event_count",
                              json_integer_value(json_object_get(inc, "event_count")));
    static const char *const copy[] = { "level", "disposition", "rule_id" };
    for (size_t i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(inc, copy[i]));
        if (v && v[0])
            json_object_set_new(props, copy[i], json_string(v));
    }
    if (json_array_size(json_object_get(inc, "sensors")))
        json_object_set(props, "sensors", json_object_get(inc, "sensors"));
    sb_custom(o, props);
    return o;
}

static void sb_observed(struct sb *b, struct sb_seen *s, const json_t *inc)
{
    if (json_array_size(s->scos) == 0)
        return;
    char name[100], od[STIX_ID_MAX], first[48], last[48];
    sb_name(b, name, sizeof name, "observed-data", NULL);
    if (stix_id_make("observed-data", name, od, sizeof od) != 0)
        return;
    json_int_t n = json_integer_value(json_object_get(inc, "event_count"));
    if (n < 1)
        n = 1;
    if (n > 999999999)
        n = 999999999;
    stix_time(json_string_value(json_object_get(inc, "first_seen")), b->created, first);
    stix_time(json_string_value(json_object_get(inc, "last_seen")), b->modified, last);
    if (strcmp(last, first) < 0)
        memcpy(last, first, sizeof last);
    json_t *o = sb_sdo(b, "observed-data", od);
    json_object_set_new(o, "first_observed", json_string(first));
    json_object_set_new(o, "last_observed", json_string(last));
    json_object_set_new(o, "number_observed", json_integer(n));
    json_object_set(o, "object_refs", s->scos);
    sb_add(b, o);
    size_t k;
    const json_t *ind;
    json_array_foreach(s->indicators, k, ind) {
        char sname[200], sid[STIX_ID_MAX];
        snprintf(sname, sizeof sname, "sighting:%s", json_string_value(ind));
        if (stix_id_make("sighting", sname, sid, sizeof sid) != 0)
            continue;
        json_t *si = sb_sdo(b, "sighting", sid);
        json_object_set_new(si, "first_seen", json_string(first));
        json_object_set_new(si, "last_seen", json_string(last));
        json_object_set_new(si, "count", json_integer(n));
        json_object_set(si, "sighting_of_ref", (json_t *)ind);
        json_object_set_new(si, "observed_data_refs", json_pack("[s]", od));
        if (json_array_size(s->sensors))
            json_object_set(si, "where_sighted_refs", s->sensors);
        sb_add(b, si);
    }
}

json_t *stix_build_incident(const json_t *inc, const struct stix_build_opts *o)
{
    json_int_t num = json_integer_value(json_object_get(inc, "id"));
    const char *created = json_string_value(json_object_get(inc, "created"));
    const char *updated = json_string_value(json_object_get(inc, "updated"));
    if (num <= 0 || !json_is_string(json_object_get(inc, "title")) || !created || !updated)
        return NULL;
    struct sb b;
    struct sb_seen s = { json_array(), json_array(), json_array(), 0 };
    json_t *bundle = NULL;
    if (sb_init(&b, o, (long long)num, created, updated) != 0 || !s.scos || !s.indicators ||
        !s.sensors) {
        json_decref(b.objects);
        json_decref(b.seen);
        goto out;
    }
    char name[64], id[STIX_ID_MAX];
    snprintf(name, sizeof name, "incident:%lld", (long long)num);
    if (stix_id_make("incident", name, id, sizeof id) != 0) {
        sb_finish(&b, name);
        goto out;
    }
    sb_add(&b, sb_incident(&b, inc, id));
    sb_sensors(&b, &s, json_object_get(inc, "sensors"));
    size_t k;
    const json_t *v;
    json_array_foreach(json_object_get(inc, "src"), k, v)
        sb_address(&b, &s, json_string_value(v));
    json_array_foreach(json_object_get(inc, "events"), k, v) {
        const json_t *ev = json_object_get(v, "event");
        sb_domains(&b, &s, ev);
        sb_file(&b, &s, ev, id);
    }
    json_array_foreach(s.indicators, k, v)
        sb_relate(&b, id, "related-to", json_string_value(v));
    sb_observed(&b, &s, inc);
    char bname[100];
    snprintf(bname, sizeof bname, "bundle:incident:%lld:%s", (long long)num, b.modified);
    bundle = sb_finish(&b, bname);
out:
    json_decref(s.scos);
    json_decref(s.indicators);
    json_decref(s.sensors);
    return bundle;
}

/* ---- the daily summary ------------------------------------------------------ */

int stix_build_lang_parse(const char *s, enum stix_lang *out)
{
    if (strcasecmp(s, "vi") == 0)
        *out = STIX_LANG_VI;
    else if (strcasecmp(s, "en") == 0)
        *out = STIX_LANG_EN;
    else
        return -1;
    return 0;
}

/* The summary's words in each language (index: enum stix_lang). */
static const struct sb_words {
    const char *code, *title, *opened, *by_sev, *by_rule, *by_sensor, *reported, *none;
    const char *sev[4];
} sb_words[] = {
    { "vi", "Canh: tổng hợp sự cố ngày %s (UTC)", "%lld sự cố mở trong ngày %s (UTC).",
      "Theo mức độ", "Theo luật", "Theo cảm biến", "Sự cố đã báo cáo", "không có",
      { "cao", "trung bình", "thấp", "thông tin" } },
    { "en", "Canh daily incident summary %s (UTC)", "%lld incidents opened on %s (UTC).",
      "By severity", "By rule", "By sensor", "Incidents reported", "none",
      { "high", "medium", "low", "informational" } },
};

/* The description, appended piece by piece: a piece that does not fit is
 * left out whole (never cut inside a UTF-8 sequence) and "…" ends the text. */
struct sb_text {
    char buf[8192];
    size_t n;
    int full;
};

static void sb_text_add(struct sb_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_text_add(struct sb_text *t, const char *fmt, ...)
{
    char piece[1024];
    va_list ap;
    if (t->full)
        return;
    va_start(ap, fmt);
    int len = vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof piece || t->n + (size_t)len + 4 >= sizeof t->buf) {
        memcpy(t->buf + t->n, "…", sizeof "…");
        t->n += sizeof "…" - 1;
        t->full = 1;
        return;
    }
    memcpy(t->buf + t->n, piece, (size_t)len + 1);
    t->n += (size_t)len;
}

/* A rule's title in the language: vi from title_vi, else the English
 * title, else the rule id itself. */
static const char *sb_rule_title(const json_t *titles, const char *rule, enum stix_lang lang)
{
    const json_t *t = json_object_get(titles, rule);
    const char *vi = json_string_value(json_object_get(t, "vi"));
    const char *en = json_string_value(json_object_get(t, "en"));
    if (lang == STIX_LANG_VI && vi && *vi)
        return vi;
    return en && *en ? en : rule;
}

static void sb_counts(struct sb_text *t, const struct sb_words *w, const char *title,
                      const json_t *m, const json_t *titles, enum stix_lang lang)
{
    const char *key;
    const json_t *v;
    int first = 1;
    sb_text_add(t, " %s:", title);
    json_object_foreach((json_t *)m, key, v) {
        const char *label = titles ? sb_rule_title(titles, key, lang) : key;
        sb_text_add(t, "%s %s %lld", first ? "" : ",", label, (long long)json_integer_value(v));
        first = 0;
    }
    sb_text_add(t, "%s%s.", first ? " " : "", first ? w->none : "");
}

static void sb_severities(struct sb_text *t, const struct sb_words *w, const json_t *m)
{
    static const char *const keys[] = { "high", "medium", "low", "informational" };
    int first = 1;
    sb_text_add(t, " %s:", w->by_sev);
    for (size_t i = 0; i < 4; i++) {
        const json_t *v = json_object_get(m, keys[i]);
        if (!v)
            continue;
        sb_text_add(t, "%s %s %lld", first ? "" : ",", w->sev[i],
                    (long long)json_integer_value(v));
        first = 0;
    }
    sb_text_add(t, "%s%s.", first ? " " : "", first ? w->none : "");
}

static void sb_daily_text(const json_t *sum, const char *day, enum stix_lang lang,
                          char *title, size_t tcap, struct sb_text *t)
{
    const struct sb_words *w = &sb_words[lang == STIX_LANG_EN ? STIX_LANG_EN : STIX_LANG_VI];
    const json_t *ids = json_object_get(sum, "incidents"), *v;
    size_t k;
    snprintf(title, tcap, w->title, day);
    sb_text_add(t, w->opened, (long long)json_integer_value(json_object_get(sum, "total")), day);
    sb_severities(t, w, json_object_get(sum, "by_severity"));
    sb_counts(t, w, w->by_rule, json_object_get(sum, "by_rule"),
              json_object_get(sum, "rule_titles"), lang);
    sb_counts(t, w, w->by_sensor, json_object_get(sum, "by_sensor"), NULL, lang);
    sb_text_add(t, " %s (%zu):", w->reported, json_array_size(ids));
    json_array_foreach(ids, k, v)
        sb_text_add(t, "%s #%lld", k ? "," : "", (long long)json_integer_value(v));
    sb_text_add(t, "%s%s.", json_array_size(ids) ? "" : " ", json_array_size(ids) ? "" : w->none);
}

json_t *stix_build_daily(const json_t *sum, const struct stix_build_opts *o)
{
    const char *day = json_string_value(json_object_get(sum, "day"));
    const char *gen = json_string_value(json_object_get(sum, "generated"));
    if (!day || strlen(day) != 10 || !gen)
        return NULL;
    struct sb b;
    if (sb_init(&b, o, 0, gen, gen) != 0) {
        json_decref(b.objects);
        json_decref(b.seen);
        return NULL;
    }
    char name[64], id[STIX_ID_MAX], title[160];
    struct sb_text desc = { .n = 0 };
    snprintf(name, sizeof name, "report:daily:%s", day);
    json_t *refs = json_pack("[s]", b.org);
    size_t k;
    const json_t *v;
    json_array_foreach(json_object_get(sum, "incidents"), k, v) {
        char iname[64], iid[STIX_ID_MAX];
        snprintf(iname, sizeof iname, "incident:%lld", (long long)json_integer_value(v));
        if (stix_id_make("incident", iname, iid, sizeof iid) == 0)
            json_array_append_new(refs, json_string(iid));
    }
    if (stix_id_make("report", name, id, sizeof id) == 0) {
        json_t *r = sb_sdo(&b, "report", id);
        sb_daily_text(sum, day, o->lang, title, sizeof title, &desc);
        json_object_set_new(r, "name", json_string(title));
        json_object_set_new(r, "description", json_string(desc.buf));
        json_object_set_new(r, "lang", json_string(sb_words[o->lang == STIX_LANG_EN].code));
        json_object_set_new(r, "report_types", json_pack("[s]", "threat-report"));
        json_object_set_new(r, "published", json_string(b.modified));
        json_object_set(r, "object_refs", refs);
        json_t *props = json_pack("{s:s, s:O, s:O, s:O, s:O}", "day", day, "total",
                                  json_object_get(sum, "total"), "by_severity",
                                  json_object_get(sum, "by_severity"), "by_rule",
                                  json_object_get(sum, "by_rule"), "by_sensor",
                                  json_object_get(sum, "by_sensor"));
        if (props)
            sb_custom(r, props);
        sb_add(&b, r);
    }
    json_decref(refs);
    char bname[100];
    snprintf(bname, sizeof bname, "bundle:daily:%s:%s", day, b.modified);
    return sb_finish(&b, bname);
}

json_t *stix_build_envelope(const json_t *bundle)
{
    return json_pack("{s:O}", "objects", json_object_get(bundle, "objects"));
}
