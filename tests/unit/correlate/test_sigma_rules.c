/* test_sigma_rules: the default rule set in rules/ (run from the repo root).
 *
 * The folder loads with no error and every rule has a title_vi, a
 * description_vi and ATT&CK tags; each default detection fires on a crafted
 * event sequence and stays quiet on a near miss (one event short, one port
 * short, wrong order, ...).
 */
#include "../runner.h"
#include "corr_test_util.h"

#define RULES_DIR "rules"

#define ID_SEV1 "fc4fea5c-0280-433a-9be0-b621b6862f5e"
#define ID_MANY_SIGS "521399c0-8a09-4ce8-ae5a-0777baf3490a"
#define ID_PORTSCAN "5f948cfc-b8f1-4d22-abab-cf164f2be009"
#define ID_BRUTE "ee9f3ae8-ccaf-403b-b07d-d66d75fd1c10"
#define ID_YARA "5725fbac-1115-42e2-881c-5015e7bf0985"
#define ID_SENSORS "4f4c8a95-b4b8-4f67-97b9-6b4c4c82ab38"
#define ID_CALLBACK "f0148d69-17ef-4739-a47f-aa85fee48c6c"

struct env {
    struct corr_rules *r;
    struct corr_engine *e;
    struct hits h;
};

static int env_open(struct env *v)
{
    int nerr = 0;
    memset(&v->h, 0, sizeof(v->h));
    v->r = corr_rules_load_dir(RULES_DIR, &nerr);
    v->e = v->r ? corr_engine_new(v->r) : NULL;
    return v->e != NULL && nerr == 0 ? 0 : -1;
}

static void env_close(struct env *v)
{
    /* Every hit of a default rule carries its Vietnamese description too
     * (canh.description_vi, issue 10). */
    for (int i = 0; i < v->h.n; i++)
        CHECK(strlen(v->h.desc_vi[i]) > 20);
    corr_engine_free(v->e);
    corr_rules_free(v->r);
}

/* Feed an event: t seconds, sensor, event_type, src/dst, and extra JSON members. */
static void feed(struct env *v, int t, const char *sensor, const char *type, const char *src,
                 const char *dst, const char *extra)
{
    static int seq;
    char json[1024], tb[64];
    snprintf(json, sizeof(json),
             "{\"timestamp\":\"%s\",\"event_type\":\"%s\",\"src_ip\":\"%s\",\"dest_ip\":\"%s\","
             "\"canh\":{\"sensor\":\"%s\",\"seq\":%d,\"id\":\"%s:%d\"}%s%s}",
             ts(t, tb), type, src, dst, sensor, seq + 1, sensor, seq + 1, extra ? "," : "",
             extra ? extra : "");
    seq++;
    if (feed_json(v->e, json, &v->h) < 0)
        fprintf(stderr, "feed failed: %s\n", json);
}

static int count_rule(const struct env *v, const char *id)
{
    int n = 0;
    for (int i = 0; i < v->h.n; i++)
        n += strcmp(v->h.rule[i], id) == 0;
    return n;
}

static const char *alert(int sid, int sev, char *buf)
{
    sprintf(buf, "\"alert\":{\"signature_id\":%d,\"severity\":%d,\"gid\":1,\"signature\":\"t\"}",
            sid, sev);
    return buf;
}

static const char *flow(int dport, char *buf)
{
    sprintf(buf, "\"proto\":\"TCP\",\"src_port\":40000,\"dest_port\":%d,"
                 "\"flow\":{\"pkts_toserver\":3,\"bytes_toserver\":180}", dport);
    return buf;
}

TEST(default_rules_load_cleanly)
{
    int nerr = -1;
    struct corr_rules *r = corr_rules_load_dir(RULES_DIR, &nerr);
    CHECK(r != NULL);
    CHECK_EQ_INT(nerr, 0);
    CHECK_EQ_INT(corr_rules_count(r), 13); /* 7 detections + 6 base rules */
    corr_rules_free(r);
    CHECK_EQ_INT(corr_test_rules_main(RULES_DIR), 0);
}

TEST(sev1_alert)
{
    struct env v;
    char a[256];
    CHECK(env_open(&v) == 0);
    feed(&v, 0, "s1", "alert", "203.0.113.5", "10.1.1.1", alert(2001, 2, a));
    CHECK_EQ_INT(count_rule(&v, ID_SEV1), 0);
    feed(&v, 1, "s1", "alert", "203.0.113.5", "10.1.1.1", alert(2002, 1, a));
    CHECK_EQ_INT(count_rule(&v, ID_SEV1), 1);
    CHECK_EQ_INT(v.h.severity[0], 1);
    CHECK(v.h.title_vi[0][0] != '\0');
    CHECK(v.h.ntags[0] >= 1);
    CHECK_EQ_STR(v.h.key[0], "src_ip=203.0.113.5|dest_ip=10.1.1.1");
    /* another severity-1 signature between the same two hosts joins that key */
    feed(&v, 2, "s1", "alert", "203.0.113.5", "10.1.1.1", alert(2003, 1, a));
    CHECK_EQ_INT(count_rule(&v, ID_SEV1), 2);
    CHECK_EQ_STR(v.h.key[1], "src_ip=203.0.113.5|dest_ip=10.1.1.1");
    env_close(&v);
}

TEST(many_distinct_signatures)
{
    struct env v;
    char a[256];
    CHECK(env_open(&v) == 0);
    /* near miss: 3 alerts but only 2 signatures; then 3 signatures too late */
    feed(&v, 0, "s1", "alert", "198.51.100.7", "10.1.1.1", alert(1, 3, a));
    feed(&v, 10, "s1", "alert", "198.51.100.7", "10.1.1.2", alert(2, 3, a));
    feed(&v, 20, "s1", "alert", "198.51.100.7", "10.1.1.3", alert(1, 3, a));
    feed(&v, 400, "s1", "alert", "198.51.100.7", "10.1.1.3", alert(3, 3, a));
    CHECK_EQ_INT(count_rule(&v, ID_MANY_SIGS), 0);
    /* hit: a third distinct signature within 5 minutes */
    feed(&v, 420, "s1", "alert", "198.51.100.7", "10.1.1.3", alert(4, 3, a));
    CHECK_EQ_INT(count_rule(&v, ID_MANY_SIGS), 0);
    feed(&v, 430, "s1", "alert", "198.51.100.7", "10.1.1.4", alert(5, 3, a));
    CHECK_EQ_INT(count_rule(&v, ID_MANY_SIGS), 1);
    env_close(&v);
}

TEST(port_scan)
{
    struct env v;
    char f[256];
    CHECK(env_open(&v) == 0);
    /* near miss: 19 ports on one host, and a 20th port on another host */
    for (int p = 0; p < 19; p++)
        feed(&v, p, "s1", "flow", "192.0.2.9", "10.2.2.2", flow(1000 + p, f));
    feed(&v, 30, "s1", "flow", "192.0.2.9", "10.2.2.3", flow(2000, f));
    CHECK_EQ_INT(count_rule(&v, ID_PORTSCAN), 0);
    feed(&v, 31, "s1", "flow", "192.0.2.9", "10.2.2.2", flow(1000, f)); /* repeat: no */
    CHECK_EQ_INT(count_rule(&v, ID_PORTSCAN), 0);
    feed(&v, 32, "s1", "flow", "192.0.2.9", "10.2.2.2", flow(2000, f));
    CHECK_EQ_INT(count_rule(&v, ID_PORTSCAN), 1);
    env_close(&v);
}

TEST(password_brute_force)
{
    struct env v;
    char f[256];
    CHECK(env_open(&v) == 0);
    /* near miss: 9 SSH connections, and 10 to a web server */
    for (int i = 0; i < 9; i++)
        feed(&v, i * 10, "s1", "flow", "192.0.2.50", "10.3.3.3", flow(22, f));
    for (int i = 0; i < 10; i++)
        feed(&v, i, "s1", "flow", "192.0.2.50", "10.3.3.4", flow(80, f));
    CHECK_EQ_INT(count_rule(&v, ID_BRUTE), 0);
    feed(&v, 100, "s1", "flow", "192.0.2.50", "10.3.3.3", flow(22, f));
    CHECK_EQ_INT(count_rule(&v, ID_BRUTE), 1);
    /* RDP too, and a slow one (10 in more than 5 minutes) does not count */
    for (int i = 0; i < 10; i++)
        feed(&v, 1000 + i * 40, "s1", "flow", "192.0.2.51", "10.3.3.5", flow(3389, f));
    CHECK_EQ_INT(count_rule(&v, ID_BRUTE), 1);
    for (int i = 0; i < 10; i++)
        feed(&v, 2000 + i, "s1", "flow", "192.0.2.52", "10.3.3.5", flow(3389, f));
    CHECK_EQ_INT(count_rule(&v, ID_BRUTE), 2);
    env_close(&v);
}

TEST(yara_file_match)
{
    struct env v;
    CHECK(env_open(&v) == 0);
    feed(&v, 0, "s1", "fileinfo", "203.0.113.80", "10.4.4.4",
         "\"fileinfo\":{\"filename\":\"a.exe\",\"sha256\":\"ab12\",\"size\":68}");
    feed(&v, 1, "s1", "fileinfo", "203.0.113.80", "10.4.4.4",
         "\"fileinfo\":{\"filename\":\"b.exe\",\"sha256\":\"cd34\",\"yara\":[]}");
    CHECK_EQ_INT(count_rule(&v, ID_YARA), 0);
    feed(&v, 2, "s1", "fileinfo", "203.0.113.80", "10.4.4.4",
         "\"fileinfo\":{\"filename\":\"c.exe\",\"sha256\":\"ef56\","
         "\"yara\":[{\"rule\":\"EICAR_Test_File\"}]}");
    CHECK_EQ_INT(count_rule(&v, ID_YARA), 1);
    CHECK_EQ_STR(v.h.key[v.h.n - 1], "dest_ip=10.4.4.4|fileinfo.sha256=ef56");
    env_close(&v);
}

TEST(one_source_several_sensors)
{
    struct env v;
    char a[256];
    CHECK(env_open(&v) == 0);
    /* near miss: two alerts on one sensor; another sensor 11 minutes later */
    feed(&v, 0, "dc", "alert", "198.51.100.99", "10.5.5.5", alert(7, 3, a));
    feed(&v, 5, "dc", "alert", "198.51.100.99", "10.5.5.6", alert(8, 3, a));
    feed(&v, 665, "ubnd", "alert", "198.51.100.99", "10.6.6.6", alert(7, 3, a));
    CHECK_EQ_INT(count_rule(&v, ID_SENSORS), 0);
    /* a flow on a third sensor is not an alert: no */
    char f[256];
    feed(&v, 670, "tinhuy", "flow", "198.51.100.99", "10.7.7.7", flow(80, f));
    CHECK_EQ_INT(count_rule(&v, ID_SENSORS), 0);
    feed(&v, 700, "tinhuy", "alert", "198.51.100.99", "10.7.7.7", alert(9, 3, a));
    CHECK_EQ_INT(count_rule(&v, ID_SENSORS), 1);
    env_close(&v);
}

TEST(victim_calls_back)
{
    struct env v;
    char a[256], f[256];
    CHECK(env_open(&v) == 0);
    /* near misses: the victim connects back before the alert; connects to
     * someone else; an alert on an external host */
    feed(&v, 0, "s1", "flow", "10.8.8.8", "203.0.113.66", flow(4444, f));
    feed(&v, 10, "s1", "alert", "203.0.113.66", "10.8.8.8", alert(11, 1, a));
    feed(&v, 20, "s1", "flow", "10.8.8.8", "203.0.113.67", flow(4444, f));
    feed(&v, 30, "s1", "alert", "203.0.113.66", "198.51.100.1", alert(11, 1, a));
    feed(&v, 40, "s1", "flow", "198.51.100.1", "203.0.113.66", flow(4444, f));
    CHECK_EQ_INT(count_rule(&v, ID_CALLBACK), 0);
    /* a download alert (to_client: the internal host fetched something) is
     * followed by the flow event of that same download connection: no callback */
    char d[320];
    snprintf(d, sizeof(d), "\"direction\":\"to_client\",%s", alert(13, 3, a));
    feed(&v, 50, "s1", "alert", "198.51.100.80", "10.8.8.9", d);
    feed(&v, 51, "s1", "flow", "10.8.8.9", "198.51.100.80", flow(80, f));
    CHECK_EQ_INT(count_rule(&v, ID_CALLBACK), 0);
    /* too late: more than 10 minutes after the alert */
    feed(&v, 611, "s1", "flow", "10.8.8.8", "203.0.113.66", flow(4444, f));
    CHECK_EQ_INT(count_rule(&v, ID_CALLBACK), 0);
    /* hit: alert on 10.9.9.9, then 10.9.9.9 -> attacker within 10 minutes */
    feed(&v, 1000, "s1", "alert", "203.0.113.70", "10.9.9.9", alert(12, 2, a));
    feed(&v, 1300, "s1", "flow", "10.9.9.9", "203.0.113.70", flow(443, f));
    CHECK_EQ_INT(count_rule(&v, ID_CALLBACK), 1);
    for (int i = 0; i < v.h.n; i++)
        if (strcmp(v.h.rule[i], ID_CALLBACK) == 0) {
            CHECK_EQ_STR(v.h.key[i], "victim=10.9.9.9|attacker=203.0.113.70");
            CHECK_EQ_INT(v.h.nevents[i], 2);
            CHECK_EQ_INT(v.h.severity[i], 1);
        }
    env_close(&v);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
