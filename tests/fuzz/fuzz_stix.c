/* fuzz_stix: the STIX 2.1 bundle builder (report/stix_build.c) fed with
 * hostile incident data: titles, addresses, domains, hashes, YARA names,
 * sensors, tags and times from the input, or a whole incident / daily
 * summary as JSON. The bundle must always serialise to valid JSON, be the
 * same bytes when built twice, and hold together as STIX: ids are
 * "<type>--<uuid>" and unique, every *_ref(s) names an object of the
 * bundle (incident bundles), timestamps are RFC 3339 UTC, and patterns
 * carry no quote or backslash inside their value. abort() otherwise.
 *
 * Input: [mode][max indicators][field\n field\n ...] (mode bits 0-1:
 * 0 incident from fields, 1 incident JSON, 2 daily summary JSON,
 * 3 daily summary from fields; bits 2-3: TLP).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/stix_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    F_TITLE, F_DESC, F_STATUS, F_SRC1, F_SRC2, F_HTTP_HOST, F_SNI, F_RRNAME, F_QNAME, F_SHA256,
    F_SHA1, F_MD5, F_YARA_RULE, F_YARA_FAMILY, F_SENSOR1, F_SENSOR2, F_TAG1, F_TAG2,
    F_FIRST, F_LAST, F_RULE_ID, F_LEVEL, F_ORG, F_CREATED, F_UPDATED, F_NFIELDS
};

static const char *const fuzz_stix_defaults[F_NFIELDS] = {
    "SQL injection against the portal", "sqlmap from 203.0.113.9", "new", "203.0.113.9",
    "2001:db8::9", "portal.example.gov.vn", "cdn.example.com", "evil.example.net",
    "tunnel.example.org", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
    "3395856ce81f2b7382dee72602f798b642f14140", "44d88612fea8a8f36de82e1278abb02f",
    "EICAR_Test_File", "eicar", "hanoi-dc1", "hue-office", "attack.initial_access",
    "attack.t1190", "2026-11-27T02:56:47.123456+00:00", "2026-11-27T03:01:02.5+00:00",
    "web_sqli", "high", "Sở TT&TT", "2026-11-27T02:56:48.000000+00:00",
    "2026-11-27T03:10:00.000000+00:00",
};

/* A JSON string of arbitrary bytes: as they are when valid UTF-8, else
 * with every byte above 0x7f replaced (the store only holds valid text). */
static json_t *fuzz_stix_str(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    char *c = malloc(n + 1);
    if (!c)
        abort();
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    j = json_stringn(c, n);
    free(c);
    return j;
}

static void fuzz_stix_fields(const char *p, size_t n, json_t *f[F_NFIELDS])
{
    for (int i = 0; i < F_NFIELDS; i++) {
        const char *nl = p ? memchr(p, '\n', n) : NULL;
        if (!p) {
            f[i] = json_string(fuzz_stix_defaults[i]);
            continue;
        }
        size_t len = nl ? (size_t)(nl - p) : n;
        f[i] = fuzz_stix_str(p, len);
        if (nl) {
            n -= len + 1;
            p = nl + 1;
        } else {
            p = NULL;
        }
    }
}

static json_t *fuzz_stix_incident(json_t *f[F_NFIELDS])
{
    json_t *ev1 = json_pack("{s:{s:s, s:O, s:O, s:s, s:{s:O}, s:{s:O}, s:{s:O, s:[{s:O}]}, "
                            "s:{s:O, s:O, s:O, s:[O, {s:O, s:{s:O}}, s]}}}",
                            "event", "event_type", "alert", "src_ip", f[F_SRC1], "dest_ip",
                            f[F_SRC2], "proto", "TCP", "http", "hostname", f[F_HTTP_HOST],
                            "tls", "sni", f[F_SNI], "dns", "rrname", f[F_RRNAME], "queries",
                            "rrname", f[F_QNAME], "fileinfo", "sha256", f[F_SHA256], "sha1",
                            f[F_SHA1], "md5", f[F_MD5], "yara", f[F_YARA_RULE], "rule",
                            f[F_YARA_RULE], "meta", "malware_family", f[F_YARA_FAMILY],
                            "Trojan.Generic");
    json_t *inc = json_pack("{s:i, s:O, s:O, s:O, s:i, s:O, s:O, s:O, s:O, s:O, s:O, s:i, "
                            "s:[O, O], s:[O, O, s], s:[O, O], s:[o, {s:{s:{s:O}}}]}",
                            "id", 42, "title", f[F_TITLE], "description", f[F_DESC], "status",
                            f[F_STATUS], "severity", 1, "first_seen", f[F_FIRST], "last_seen",
                            f[F_LAST], "rule_id", f[F_RULE_ID], "level", f[F_LEVEL], "created",
                            f[F_CREATED], "updated", f[F_UPDATED], "event_count", 7, "sensors",
                            f[F_SENSOR1], f[F_SENSOR2], "src", f[F_SRC1], f[F_SRC2], "10.0.0.1",
                            "tags", f[F_TAG1], f[F_TAG2], "events", ev1, "event", "tls", "sni",
                            f[F_RRNAME]);
    if (!inc)
        abort();
    return inc;
}

static json_t *fuzz_stix_summary(json_t *f[F_NFIELDS])
{
    json_t *sum = json_pack("{s:s, s:O, s:i, s:{s:i, s:i}, s:{s:i}, s:{}, s:[i, i, i]}",
                            "day", "2026-11-26", "generated", f[F_CREATED], "total", 3,
                            "by_severity", "1", 2, "3", 1, "by_rule", "web_sqli", 2,
                            "by_sensor", "incidents", 40, 41, 42);
    if (!sum)
        abort();
    /* keys from the input (json_pack takes keys as C strings only) */
    json_object_set_new(json_object_get(sum, "by_rule"), json_string_value(f[F_TITLE]),
                        json_integer(1));
    json_object_set_new(json_object_get(sum, "by_sensor"), json_string_value(f[F_SENSOR1]),
                        json_integer(2));
    json_object_set_new(json_object_get(sum, "by_sensor"), json_string_value(f[F_SENSOR2]),
                        json_integer(1));
    return sum;
}

/* RFC 3339 UTC as STIX wants it: YYYY-MM-DDTHH:MM:SS[.s+]Z */
static bool fuzz_stix_time_ok(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i = 0;
    for (; shape[i]; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    int mo = atoi(s + 5), d = atoi(s + 8), h = atoi(s + 11), mi = atoi(s + 14), se = atoi(s + 17);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    if (s[i] == '.') {
        if (!isdigit((unsigned char)s[++i]))
            return false;
        while (isdigit((unsigned char)s[i]))
            i++;
    }
    return s[i] == 'Z' && s[i + 1] == '\0';
}

static bool fuzz_stix_id_ok(const char *id, const char *type)
{
    const char *dd = id ? strstr(id, "--") : NULL;
    if (!dd || (type && (strncmp(id, type, strlen(type)) != 0 || id + strlen(type) != dd)))
        return false;
    const char *u = dd + 2;
    if (strlen(u) != 36)
        return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? u[i] != '-'
                                                      : !isxdigit((unsigned char)u[i]))
            return false;
    return true;
}

static void fuzz_stix_refs(const char *key, json_t *v, json_t *ids, bool check_refs)
{
    size_t kl = strlen(key), i;
    json_t *e;
    if (kl > 4 && strcmp(key + kl - 4, "_ref") == 0) {
        if (!json_is_string(v) || !fuzz_stix_id_ok(json_string_value(v), NULL) ||
            (check_refs && !json_object_get(ids, json_string_value(v))))
            abort();
    } else if (kl > 5 && strcmp(key + kl - 5, "_refs") == 0) {
        if (!json_is_array(v))
            abort();
        json_array_foreach(v, i, e)
            if (!json_is_string(e) || !fuzz_stix_id_ok(json_string_value(e), NULL) ||
                (check_refs && !json_object_get(ids, json_string_value(e))))
                abort();
    }
}

static void fuzz_stix_check(json_t *bundle, bool check_refs)
{
    json_t *objs = json_object_get(bundle, "objects"), *o, *ids = json_object();
    size_t i;
    if (!json_is_array(objs) ||
        !fuzz_stix_id_ok(json_string_value(json_object_get(bundle, "id")), "bundle"))
        abort();
    json_array_foreach(objs, i, o) {
        const char *type = json_string_value(json_object_get(o, "type"));
        const char *id = json_string_value(json_object_get(o, "id"));
        if (!type || !fuzz_stix_id_ok(id, type) || json_object_get(ids, id))
            abort();
        json_object_set_new(ids, id, json_true());
    }
    json_array_foreach(objs, i, o) {
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v) {
            fuzz_stix_refs(k, v, ids, check_refs);
            if ((strcmp(k, "created") == 0 || strcmp(k, "modified") == 0 ||
                 strcmp(k, "valid_from") == 0 || strcmp(k, "published") == 0 ||
                 strcmp(k, "first_seen") == 0 || strcmp(k, "last_seen") == 0 ||
                 strcmp(k, "first_observed") == 0 || strcmp(k, "last_observed") == 0) &&
                !fuzz_stix_time_ok(json_string_value(v) ? json_string_value(v) : ""))
                abort();
        }
        const char *pat = json_string_value(json_object_get(o, "pattern"));
        if (pat) {
            /* [type:prop = 'value']: one quoted value, nothing escaped in it */
            const char *q1 = strchr(pat, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
            const char *q3 = q2 ? strchr(q2 + 1, '\'') : NULL, *q4 = q3 ? strchr(q3 + 1, '\'') : NULL;
            const char *vq = q3 ? q3 : q1, *ve = q3 ? q4 : q2;
            if (pat[0] != '[' || !vq || !ve || strcmp(ve, "']") != 0 ||
                memchr(vq + 1, '\\', (size_t)(ve - vq - 1)))
                abort();
        }
    }
    json_decref(ids);
}

/* Build, serialise, re-read and rebuild: the same bytes every time. */
static void fuzz_stix_run(const json_t *in, bool daily, bool must,
                          const struct stix_build_opts *o)
{
    json_t *copy = json_deep_copy(in);
    json_t *b1 = daily ? stix_build_daily(in, o) : stix_build_incident(in, o);
    json_t *b2 = daily ? stix_build_daily(copy, o) : stix_build_incident(copy, o);
    if (!b1 != !b2 || (must && !b1))
        abort();
    if (b1) {
        char *t1 = json_dumps(b1, JSON_COMPACT | JSON_SORT_KEYS);
        char *t2 = json_dumps(b2, JSON_COMPACT | JSON_SORT_KEYS);
        if (!t1 || !t2 || strcmp(t1, t2) != 0)
            abort();
        json_error_t e;
        json_t *back = json_loads(t1, JSON_ALLOW_NUL, &e); /* "\u0000" is valid JSON */
        if (!back || !json_equal(back, b1))
            abort();
        fuzz_stix_check(back, !daily);
        json_t *env = stix_build_envelope(back);
        if (!env || json_array_size(json_object_get(env, "objects")) !=
                        json_array_size(json_object_get(back, "objects")))
            abort();
        json_decref(env);
        json_decref(back);
        free(t1);
        free(t2);
    }
    json_decref(b1);
    json_decref(b2);
    json_decref(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int mode = data[0] & 3;
    struct stix_build_opts o = { "Sở Thông tin và Truyền thông", "government",
                                 "soc@example.gov.vn", (enum stix_tlp)((data[0] >> 2) & 3),
                                 1 + data[1] % 64, (enum stix_lang)((data[0] >> 4) & 1) };
    const char *p = (const char *)data + 2;
    size_t n = size - 2;
    json_t *in = NULL, *f[F_NFIELDS] = { NULL };
    if (mode == 1 || mode == 2) {
        in = json_loadb(p, n, 0, NULL);
        if (in)
            fuzz_stix_run(in, mode == 2, false, &o);
        json_decref(in);
        return 0;
    }
    fuzz_stix_fields(p, n, f);
    for (int i = 0; i < F_NFIELDS; i++)
        if (!f[i])
            abort();
    o.org_name = json_string_value(f[F_ORG]);
    o.org_contact = json_string_value(f[F_LEVEL]);
    in = mode == 0 ? fuzz_stix_incident(f) : fuzz_stix_summary(f);
    /* fields mode always carries id, title, created and updated (day, generated) */
    fuzz_stix_run(in, mode == 3, true, &o);
    json_decref(in);
    for (int i = 0; i < F_NFIELDS; i++)
        json_decref(f[i]);
    return 0;
}
