/* Unit tests of correlator/report: UUIDv5 ids (RFC 4122 vector), bundle
 * contents and determinism, versions, CMS signing (verified with OpenSSL's
 * CMS_verify against the signing certificate), the outbox's exactly-once
 * key and superseding on a real in-memory store, daily-summary days, and
 * the daily summary's text in Vietnamese and English from a real store. */
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/rep_daily.h"
#include "report/rep_outbox.h"
#include "report/rep_sign.h"
#include "report/stix_build.h"
#include "report/stix_id.h"
#include "store/db_private.h"
#include "../runner.h"

TEST(uuid5_matches_rfc4122_vector)
{
    /* uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") */
    static const uint8_t dns[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                     0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
    char out[37];
    CHECK(stix_id_uuid5(dns, "python.org", 10, out) == 0);
    CHECK_EQ_STR(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    char a[STIX_ID_MAX], b[STIX_ID_MAX];
    CHECK(stix_id_make("incident", "incident:1", a, sizeof a) == 0);
    CHECK(stix_id_make("incident", "incident:2", b, sizeof b) == 0);
    CHECK(strncmp(a, "incident--", 10) == 0 && strcmp(a, b) != 0);
}

static json_t *test_incident(const char *updated, const char *status)
{
    return json_pack("{s:i, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:[s, s], s:[s],"
                     " s:[s, s], s:[{s:s, s:{s:{s:s, s:[s]}}}]}",
                     "id", 7, "title", "Port scan", "rule_id", "r1", "severity", 2, "status",
                     status, "created", "2026-11-27T02:56:47.123456+00:00", "updated", updated,
                     "first_seen", "2026-11-27T02:50:00.000000+00:00", "last_seen",
                     "2026-11-27T02:55:00.000000+00:00", "event_count", 25, "tags",
                     "attack.discovery", "attack.t1046", "sensors", "s1", "src", "10.0.0.1",
                     "not-an-address", "events", "id", "s1:1", "event", "fileinfo", "sha256",
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "yara",
                     "Emotet");
}

static const json_t *test_find(const json_t *bundle, const char *type, int nth)
{
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(bundle, "objects"), i, o)
        if (strcmp(json_string_value(json_object_get(o, "type")), type) == 0 && nth-- == 0)
            return o;
    return NULL;
}

static const struct stix_build_opts test_opts = { "Test SOC", NULL, NULL, STIX_TLP_AMBER, 50,
                                                  STIX_LANG_VI };

TEST(incident_bundle_has_the_objects_and_is_deterministic)
{
    json_t *inc = test_incident("2026-11-27T03:00:00.000001+00:00", "new");
    json_t *b1 = stix_build_incident(inc, &test_opts), *b2 = stix_build_incident(inc, &test_opts);
    CHECK(b1 && b2);
    CHECK(json_equal(b1, b2));
    const json_t *i = test_find(b1, "incident", 0);
    CHECK(i != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(i, "modified")),
                 "2026-11-27T03:00:00.000001Z");
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(i, "object_marking_refs"), 0)),
                 "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82");
    CHECK(test_find(b1, "marking-definition", 0) != NULL);
    /* Two indicators: the valid address and the file hash; the bad address is left out. */
    const json_t *ind0 = test_find(b1, "indicator", 0), *ind1 = test_find(b1, "indicator", 1);
    CHECK(ind0 && ind1 && !test_find(b1, "indicator", 2));
    CHECK_EQ_STR(json_string_value(json_object_get(ind0, "pattern")),
                 "[ipv4-addr:value = '10.0.0.1']");
    CHECK(strstr(json_string_value(json_object_get(ind1, "pattern")), "file:hashes.'SHA-256'"));
    CHECK(test_find(b1, "malware", 0) != NULL);
    CHECK(test_find(b1, "sighting", 1) != NULL && test_find(b1, "observed-data", 0) != NULL);
    const json_t *kc = json_array_get(json_object_get(i, "kill_chain_phases"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(kc, "phase_name")), "discovery");
    json_decref(b1);
    json_decref(b2);
    json_decref(inc);
}

TEST(update_is_a_new_version_with_the_same_ids)
{
    json_t *a = test_incident("2026-11-27T03:00:00.000001+00:00", "new");
    json_t *b = test_incident("2026-11-27T04:00:00.000000+00:00", "resolved");
    json_t *ba = stix_build_incident(a, &test_opts), *bb = stix_build_incident(b, &test_opts);
    const json_t *ia = test_find(ba, "incident", 0), *ib = test_find(bb, "incident", 0);
    CHECK(json_equal(json_object_get(ia, "id"), json_object_get(ib, "id")));
    CHECK(json_equal(json_object_get(ia, "created"), json_object_get(ib, "created")));
    CHECK(strcmp(json_string_value(json_object_get(ia, "modified")),
                 json_string_value(json_object_get(ib, "modified"))) < 0);
    CHECK_EQ_STR(json_string_value(json_object_get(ib, "x_canh_status")), "resolved");
    CHECK(!json_equal(json_object_get(ba, "id"), json_object_get(bb, "id")));
    json_t *bad = json_pack("{s:i}", "id", 3);
    CHECK(stix_build_incident(bad, &test_opts) == NULL);
    json_decref(bad);
    json_decref(ba);
    json_decref(bb);
    json_decref(a);
    json_decref(b);
}

TEST(cms_signature_verifies_and_detects_a_change)
{
    char dir[] = "/tmp/canh-rep-XXXXXX", cmd[1024], cert[64], key[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cert, sizeof cert, "%s/c.pem", dir);
    snprintf(key, sizeof key, "%s/k.pem", dir);
    snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=t "
             "-keyout %s -out %s >/dev/null 2>&1", key, cert);
    if (system(cmd) != 0)
        SKIP("openssl command not available");
    struct rep_sign *s = rep_sign_new(cert, key, NULL);
    CHECK(s != NULL);
    CHECK(rep_sign_new(cert, "/nonexistent", NULL) == NULL);
    const char *data = "{\"type\":\"bundle\"}";
    char *pem = NULL, *b64 = NULL;
    CHECK(rep_sign_data(s, data, strlen(data), &pem) == 0);
    CHECK(strncmp(pem, "-----BEGIN CMS-----", 19) == 0);
    CHECK(rep_sign_pem_b64(pem, &b64) == 0 && !strchr(b64, '\n') && !strchr(b64, '-'));
    /* The one-line base64 is the DER: decode it and parse it back. */
    unsigned char *der = malloc(strlen(b64));
    int dlen = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)strlen(b64));
    while (dlen > 0 && b64[0] && b64[strlen(b64) - 1] == '=' && dlen--)
        b64[strlen(b64) - 1] = 0; /* EVP_DecodeBlock counts the padding */
    const unsigned char *dp = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &dp, dlen);
    BIO *cb = BIO_new_file(cert, "r");
    X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, x);
    BIO *good = BIO_new_mem_buf(data, -1), *bad = BIO_new_mem_buf("{\"type\":\"bundlE\"}", -1);
    int flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY;
    CHECK(cms && CMS_verify(cms, certs, NULL, good, NULL, flags) == 1);
    CHECK(CMS_verify(cms, certs, NULL, bad, NULL, flags) != 1);
    BIO_free(good);
    BIO_free(bad);
    free(der);
    BIO_free(cb);
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    free(pem);
    free(b64);
    rep_sign_free(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(outbox_stores_a_version_once_and_supersedes_older)
{
    struct db *d = db_open(":memory:");
    CHECK(d != NULL);
    int64_t row = 0;
    CHECK(rep_outbox_enqueue(d, "incident:1", 1, 100, "{}", "sig", 1000, &row) == 1);
    CHECK(row > 0);
    CHECK(rep_outbox_enqueue(d, "incident:1", 1, 100, "{}", "sig", 1001, NULL) == 0);
    struct rep_outbox_row r;
    CHECK(rep_outbox_next(d, 999, &r) == 0);      /* not due yet */
    CHECK(rep_outbox_next(d, 1000, &r) == 1);
    CHECK(r.id == row && r.version_us == 100 && strcmp(r.signature, "sig") == 0);
    rep_outbox_row_fini(&r);
    CHECK(rep_outbox_enqueue(d, "incident:1", 1, 200, "{\"v\":2}", "sig2", 1002, NULL) == 1);
    json_t *st = rep_outbox_incident_state(d, 1);
    CHECK_EQ_STR(json_string_value(json_object_get(st, "state")), "pending");
    json_decref(st);
    json_t *list = rep_outbox_list(d, "superseded", 10, 0);
    CHECK(json_array_size(json_object_get(list, "reports")) == 1);
    json_decref(list);
    CHECK(rep_outbox_next(d, 5000, &r) == 1 && r.version_us == 200);
    CHECK(rep_outbox_mark(d, r.id, "failed", 1, 0, "HTTP 401", NULL, 5000) == 0);
    rep_outbox_row_fini(&r);
    CHECK(rep_outbox_next(d, 9000, &r) == 0);      /* failed, no retry planned */
    CHECK(rep_outbox_retry_failed(d, 9000) == 1);
    CHECK(rep_outbox_next(d, 9000, &r) == 1);
    CHECK(rep_outbox_mark(d, r.id, "sent", 2, 0, NULL, "taxii", 9100) == 0);
    rep_outbox_row_fini(&r);
    st = rep_outbox_incident_state(d, 1);
    CHECK_EQ_STR(json_string_value(json_object_get(st, "state")), "sent");
    CHECK(json_is_null(json_object_get(st, "reason")));
    json_decref(st);
    st = rep_outbox_incident_state(d, 2);
    CHECK_EQ_STR(json_string_value(json_object_get(st, "state")), "none");
    json_decref(st);
    db_close(d);
}

TEST(daily_due_is_the_previous_day_once)
{
    int64_t day = rep_daily_parse("2026-11-27");
    CHECK(day > 0);
    CHECK(rep_daily_parse("2026-11-27x") == 0 && rep_daily_parse("yesterday") == 0);
    char name[16];
    rep_daily_name(day + 3600LL * 1000000, name, sizeof name);
    CHECK_EQ_STR(name, "2026-11-27");
    int64_t t = day + 10LL * 60 * 1000000;          /* 00:10 UTC */
    CHECK(rep_daily_due(t, 15, 0) == 0);            /* before 00:15 */
    t = day + 20LL * 60 * 1000000;
    CHECK(rep_daily_due(t, 15, 0) == day - REP_DAILY_DAY_US);
    CHECK(rep_daily_due(t, 15, day - REP_DAILY_DAY_US) == 0);
}

/* Three incidents on 2026-11-26 (one with a Vietnamese title, one without,
 * one not matching the policy) and one on the next day, inserted with SQL
 * into a real in-memory store. */
static struct db *test_daily_store(void)
{
    struct db *d = db_open(":memory:");
    int64_t day = rep_daily_parse("2026-11-26"), h = 3600LL * 1000000;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO incidents (id, rule_id, group_key, title, title_vi, severity, status,"
             " first_us, last_us, created_us, updated_us) VALUES"
             " (1, 'scan', 'a', 'Port scan', 'Quét cổng', 2, 'investigating', %lld, %lld,"
             " %lld, %lld),"
             " (2, 'scan', 'b', 'Port scan', 'Quét cổng', 1, 'resolved', %lld, %lld, %lld, %lld),"
             " (3, 'c2', 'c', 'C2 beacon', NULL, 3, 'new', %lld, %lld, %lld, %lld),"
             " (4, 'c2', 'd', 'C2 beacon', NULL, 1, 'resolved', %lld, %lld, %lld, %lld);"
             "INSERT INTO incident_sensors (incident_id, sensor) VALUES (1, 's1'), (2, 's1'),"
             " (3, 's2'), (4, 's1');",
             (long long)(day + h), (long long)(day + h), (long long)(day + h),
             (long long)(day + h), (long long)(day + 2 * h), (long long)(day + 2 * h),
             (long long)(day + 2 * h), (long long)(day + 2 * h), (long long)(day + 3 * h),
             (long long)(day + 3 * h), (long long)(day + 3 * h), (long long)(day + 3 * h),
             (long long)(day + 25 * h), (long long)(day + 25 * h), (long long)(day + 25 * h),
             (long long)(day + 25 * h));
    if (d && sqlite3_exec(d->h, sql, NULL, NULL, NULL) != SQLITE_OK) {
        db_close(d);
        return NULL;
    }
    return d;
}

/* The report object of a daily bundle, after a dump/parse round trip (the
 * bundle must stay valid JSON, UTF-8 included). */
static json_t *test_daily_report(const json_t *sum, enum stix_lang lang)
{
    struct stix_build_opts o = test_opts;
    o.lang = lang;
    json_t *b = stix_build_daily(sum, &o);
    char *txt = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_t *back = txt ? json_loads(txt, 0, NULL) : NULL;
    json_t *r = back ? json_incref((json_t *)test_find(back, "report", 0)) : NULL;
    free(txt);
    json_decref(b);
    json_decref(back);
    return r;
}

TEST(daily_summary_is_in_the_configured_language)
{
    enum stix_lang l = STIX_LANG_EN;
    CHECK(stix_build_lang_parse("vi", &l) == 0 && l == STIX_LANG_VI);
    CHECK(stix_build_lang_parse("EN", &l) == 0 && l == STIX_LANG_EN);
    CHECK(stix_build_lang_parse("fr", &l) != 0);
    struct db *d = test_daily_store();
    CHECK(d != NULL);
    if (!d)
        return;
    json_t *sum = rep_daily_summary(d, rep_daily_parse("2026-11-26"), 1000000,
                                    2, "[\"investigating\",\"resolved\"]", "[]");
    CHECK(sum != NULL);
    CHECK(json_integer_value(json_object_get(sum, "total")) == 3);
    json_t *vi = test_daily_report(sum, STIX_LANG_VI), *en = test_daily_report(sum, STIX_LANG_EN);
    CHECK(vi && en);
    const char *vn = json_string_value(json_object_get(vi, "name"));
    const char *vd = json_string_value(json_object_get(vi, "description"));
    const char *en_n = json_string_value(json_object_get(en, "name"));
    const char *ed = json_string_value(json_object_get(en, "description"));
    CHECK(vn && vd && en_n && ed);
    if (!vn || !vd || !en_n || !ed)
        goto out;
    CHECK_EQ_STR(json_string_value(json_object_get(vi, "lang")), "vi");
    CHECK_EQ_STR(json_string_value(json_object_get(en, "lang")), "en");
    CHECK(strstr(vn, "tổng hợp sự cố") && strstr(vn, "2026-11-26"));
    CHECK(strstr(en_n, "daily incident summary") && strstr(en_n, "2026-11-26"));
    /* Counts by severity, rule (title_vi, else the English title) and sensor. */
    CHECK(strstr(vd, "3 sự cố mở trong ngày 2026-11-26 (UTC)."));
    CHECK(strstr(vd, "Theo mức độ: cao 1, trung bình 1, thấp 1."));
    CHECK(strstr(vd, "Quét cổng 2") && strstr(vd, "C2 beacon 1"));
    CHECK(strstr(vd, "Theo cảm biến:") && strstr(vd, "s1 2") && strstr(vd, "s2 1"));
    CHECK(strstr(vd, "Sự cố đã báo cáo (2): #1, #2."));
    CHECK(!strstr(vd, "Port scan") && !strstr(vd, "By severity"));
    CHECK(strstr(ed, "3 incidents opened on 2026-11-26 (UTC)."));
    CHECK(strstr(ed, "By severity: high 1, medium 1, low 1."));
    CHECK(strstr(ed, "Port scan 2") && strstr(ed, "C2 beacon 1"));
    CHECK(strstr(ed, "Incidents reported (2): #1, #2."));
    CHECK(!strstr(ed, "Quét cổng") && !strstr(ed, "Theo"));
    /* The same object either way: only the text and lang differ. */
    CHECK_EQ_STR(json_string_value(json_object_get(vi, "id")),
                 json_string_value(json_object_get(en, "id")));
out:
    json_decref(vi);
    json_decref(en);
    json_decref(sum);
    db_close(d);
}

TEST(daily_summary_text_stops_whole_at_its_cap)
{
    /* 3,000 incident ids overflow the description: it ends in "…", stays
     * valid UTF-8 (json_string refuses anything else) and lists no cut id. */
    json_t *ids = json_array(), *rule = json_object(), *titles = json_object();
    for (int i = 0; i < 3000; i++)
        json_array_append_new(ids, json_integer(100000 + i));
    json_object_set_new(rule, "r", json_integer(3000));
    json_object_set_new(titles, "r", json_pack("{s:s}", "vi", "Tiêu đề dài"));
    json_t *sum = json_pack("{s:s, s:s, s:i, s:{}, s:o, s:{}, s:o, s:o}", "day", "2026-11-26",
                            "generated", "2026-11-27T00:15:00.000000+00:00", "total", 3000,
                            "by_severity", "by_rule", rule, "by_sensor", "rule_titles", titles,
                            "incidents", ids);
    json_t *r = test_daily_report(sum, STIX_LANG_VI);
    const char *dsc = json_string_value(json_object_get(r, "description"));
    CHECK(dsc != NULL);
    if (dsc) {
        size_t n = strlen(dsc);
        CHECK(n > 3 && n < 8192 && strcmp(dsc + n - 3, "…") == 0);
        CHECK(strstr(dsc, "Tiêu đề dài 3000") && strstr(dsc, "Theo mức độ: không có."));
        const char *last = strrchr(dsc, '#');
        CHECK(last && strlen(last) == 7 + 3 && last[7] == '\xe2'); /* "#1xxxxx…" */
    }
    json_decref(r);
    json_decref(sum);
}

int main(int c, char **v)
{
    return runner_main(c, v);
}
