/* Unit tests of sensor/filescan/fscan_yara.c (and fscan_ytext.c): our signatures/yara rules on
 * EICAR, a file with one broken rule (the others load, the error names file
 * and line), rule blocks, meta-derived severity/sid, JSON of a match, and
 * the corpus rules (../shared/corpus/yara) on the corpus samples against the
 * matches `yara` itself reported (reference/yara/samples-matches.txt), and
 * the stream-head set (imports left out) on hand-made and corpus rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "filescan/fscan_yara.c"
#include "../runner.h"

#define CORPUS "../shared/corpus"
static const char eicar[] =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

static bool has_match(const struct fscan_yara_result *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(fscan_yara_rule_name(r->rule[i]), name) == 0)
            return true;
    return false;
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/canh-yara-XXXXXX.yar");
    int fd = mkstemps(path, 4);
    if (fd < 0)
        return NULL;
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

TEST(own_rules_find_eicar_and_not_benign)
{
    const char *paths[] = { "signatures/yara" };
    struct fscan_yara_load_stats st;
    struct fscan_yara *y = fscan_yara_load(paths, 1, &st);
    struct fscan_yara_result r;
    const char *benign = "hello, this is an ordinary text file\n";

    CHECK(y != NULL);
    if (y == NULL)
        return;
    CHECK(st.files >= 3);
    CHECK_EQ_INT(st.rules_failed, 0);
    CHECK(fscan_yara_rule_count(y) >= 5);
    struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 5);
    CHECK_EQ_INT(fscan_yara_scan(s, (const uint8_t *)eicar, strlen(eicar), &r), 0);
    CHECK(has_match(&r, "canh_eicar"));
    CHECK(!has_match(&r, "canh_eicar_embedded"));
    for (int i = 0; i < r.n; i++) {
        if (strcmp(fscan_yara_rule_name(r.rule[i]), "canh_eicar") == 0) {
            CHECK_EQ_INT(fscan_yara_rule_sid(r.rule[i]), 2000001);
            CHECK_EQ_INT(fscan_yara_rule_severity(r.rule[i]), 3);
            CHECK_EQ_STR(fscan_yara_rule_ns(r.rule[i]), "canh_eicar");
        }
    }
    CHECK_EQ_INT(fscan_yara_scan(s, (const uint8_t *)benign, strlen(benign), &r), 0);
    CHECK_EQ_INT(r.n, 0);
    fscan_yara_scanner_free(s);
    fscan_yara_unref(y);
}

/* One rule with an undefined identifier between two good ones: the file
 * loads with two rules, the broken one is counted; a syntax error too. */
TEST(broken_rule_skipped_others_load)
{
    const char *src =
        "rule good_one { strings: $a = \"alpha-marker\" condition: $a }\n"
        "\n"
        "rule broken_one {\n"
        "  strings: $a = \"beta\"\n"
        "  condition: $a and no_such_identifier\n"
        "}\n"
        "// a comment with a brace }\n"
        "rule good_two { strings: $h = { 41 42 43 } $s = \"}{\" condition: $h or $s }\n"
        "rule broken_syntax { strings: $a = \"x\" condition: $a and and }\n";
    char *p = write_tmp(src);
    const char *paths[] = { p };
    struct fscan_yara_load_stats st;
    struct fscan_yara_result r;

    CHECK(p != NULL);
    struct fscan_yara *y = fscan_yara_load(paths, 1, &st);
    CHECK(y != NULL);
    if (y == NULL)
        goto out;
    CHECK_EQ_INT(st.rules_failed, 2);
    CHECK_EQ_INT(st.files_failed, 0);
    CHECK_EQ_INT(fscan_yara_rule_count(y), 2);
    struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 0);
    fscan_yara_scan(s, (const uint8_t *)"..alpha-marker..ABC", 19, &r);
    CHECK(has_match(&r, "good_one") && has_match(&r, "good_two"));
    CHECK_EQ_INT(r.n, 2);
    fscan_yara_scanner_free(s);
    fscan_yara_unref(y);
out:
    unlink(p);
}

/* The error callback carries the line of the broken rule. */
TEST(compile_error_reports_line)
{
    const char *src = "rule a { condition: true }\n\nrule b {\n condition: nope\n}\n";
    char *p = write_tmp(src);
    struct fscan_yara_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.path = p;
    yr_initialize();
    CHECK(fscan_yara_try(p, NULL, "t", &ctx) != 0);
    CHECK_EQ_INT(ctx.nerr, 1);
    CHECK_EQ_INT(ctx.err_line[0], 4);
    CHECK(strstr(ctx.err_msg[0], "nope") != NULL);
    yr_finalize();
    unlink(p);
}

TEST(blocks_found_with_modifiers_comments_and_regex)
{
    const char *src = "import \"pe\"\n"
                      "private rule p1 { condition: true }\n"
                      "/* rule fake { } */\n"
                      "global rule g2 : tag {\n strings: $r = /a}b/ $s = \"{\"\n condition: $r or $s\n}\n"
                      "rule r3 { condition: pe.number_of_sections > 1 }\n";
    struct fscan_ytext_block b[8];
    int n = fscan_ytext_blocks(src, strlen(src), b, 8);

    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_STR(b[0].name, "p1");
        CHECK_EQ_STR(b[1].name, "g2");
        CHECK_EQ_INT(b[1].line0, 4);
        CHECK_EQ_INT(b[1].line1, 7);
        CHECK_EQ_STR(b[2].name, "r3");
        CHECK_EQ_INT(b[2].line0, 8);
    }
}

TEST(severity_and_json_from_meta)
{
    const char *src =
        "rule s1 : t1 t2 { meta: score = 80 description = \"d\" hash = \"a\" hash = \"b\" condition: true }\n"
        "rule s2 { meta: severity = \"low\" enabled = true condition: true }\n"
        "rule s3 { condition: true }\n";
    char *p = write_tmp(src);
    const char *paths[] = { p };
    struct fscan_yara_result r;
    char buf[4096];
    struct jb j;

    struct fscan_yara *y = fscan_yara_load(paths, 1, NULL);
    struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 0);
    fscan_yara_scan(s, (const uint8_t *)"x", 1, &r);
    CHECK_EQ_INT(r.n, 3);
    jb_init(&j, buf, sizeof(buf));
    jb_open_array(&j, NULL);
    for (int i = 0; i < r.n; i++) {
        const char *n = fscan_yara_rule_name(r.rule[i]);
        int sev = fscan_yara_rule_severity(r.rule[i]);
        if (strcmp(n, "s1") == 0) {
            CHECK_EQ_INT(sev, 1);
            CHECK_EQ_STR(fscan_yara_rule_description(r.rule[i]), "d");
        } else if (strcmp(n, "s2") == 0) {
            CHECK_EQ_INT(sev, 3);
        } else {
            CHECK_EQ_INT(sev, 2);
            CHECK(fscan_yara_rule_description(r.rule[i]) == NULL);
        }
        uint32_t sid = fscan_yara_rule_sid(r.rule[i]);
        CHECK(sid >= 1 && sid <= 2147483647u);
        fscan_yara_rule_json(r.rule[i], &j);
    }
    jb_close_array(&j);
    CHECK(jb_ok(&j));
    json_error_t err;
    json_t *arr = json_loads(jb_text(&j), JSON_REJECT_DUPLICATES, &err);
    CHECK(arr != NULL);
    json_t *first = json_array_get(arr, 0);
    CHECK_EQ_STR(json_string_value(json_object_get(first, "rule")), "s1");
    CHECK_EQ_INT(json_array_size(json_object_get(first, "tags")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(first, "meta"), "score")), 80);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(first, "meta"), "hash")), "a");
    json_decref(arr);
    fscan_yara_scanner_free(s);
    fscan_yara_unref(y);
    unlink(p);
}

/* Two files of the same name in two directories, each with a rule "dup":
 * both load, each in its own namespace. */
TEST(same_file_name_twice_gets_two_namespaces)
{
    char d[64], p1[128], p2[128];
    snprintf(d, sizeof(d), "/tmp/canh-ns-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    snprintf(p1, sizeof(p1), "%s/a", d);
    snprintf(p2, sizeof(p2), "%s/b", d);
    mkdir(p1, 0700);
    mkdir(p2, 0700);
    snprintf(p1, sizeof(p1), "%s/a/site.yar", d);
    snprintf(p2, sizeof(p2), "%s/b/site.yar", d);
    FILE *f = fopen(p1, "w");
    fputs("rule dup { strings: $a = \"one\" condition: $a }\n", f);
    fclose(f);
    f = fopen(p2, "w");
    fputs("rule dup { strings: $a = \"two\" condition: $a }\n", f);
    fclose(f);
    const char *paths[] = { d };
    struct fscan_yara_load_stats st;
    struct fscan_yara_result r;
    struct fscan_yara *y = fscan_yara_load(paths, 1, &st);
    CHECK(y != NULL);
    if (y != NULL) {
        CHECK_EQ_INT(fscan_yara_rule_count(y), 2);
        CHECK_EQ_INT(st.files_failed + st.rules_failed, 0);
        struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 0);
        fscan_yara_scan(s, (const uint8_t *)"one two", 7, &r);
        CHECK_EQ_INT(r.n, 2);
        if (r.n == 2)
            CHECK(strcmp(fscan_yara_rule_ns(r.rule[0]), fscan_yara_rule_ns(r.rule[1])) != 0);
        fscan_yara_scanner_free(s);
        fscan_yara_unref(y);
    }
    unlink(p1);
    unlink(p2);
    snprintf(p1, sizeof(p1), "%s/a", d);
    snprintf(p2, sizeof(p2), "%s/b", d);
    rmdir(p1);
    rmdir(p2);
    rmdir(d);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc(*len + 1);
    *len = fread(b, 1, *len, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* The corpus rules (index.yar with includes, pe/hash/math modules) on the
 * corpus samples give exactly the matches `yara` gave. */
TEST(corpus_rules_on_samples_match_reference)
{
    const char *paths[] = { CORPUS "/yara/index.yar" };
    const char *samples[] = { "eicar.com", "eicar-embedded.txt", "gtube.eml", "benign.txt" };
    struct fscan_yara_load_stats st;
    struct fscan_yara_result r;
    size_t rlen;
    char *ref;

    if (access(CORPUS "/yara/index.yar", R_OK) != 0)
        SKIP("corpus_rules_on_samples_match_reference: ../shared/corpus absent");
    ref = slurp(CORPUS "/reference/yara/samples-matches.txt", &rlen);
    struct fscan_yara *y = fscan_yara_load(paths, 1, &st);
    CHECK(y != NULL && ref != NULL);
    if (y == NULL || ref == NULL)
        return;
    CHECK_EQ_INT(st.rules_failed + st.files_failed, 0);
    CHECK(fscan_yara_rule_count(y) > 100);
    struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 10);
    for (size_t i = 0; i < 4; i++) {
        char path[512], line[256];
        size_t len, expected = 0;
        snprintf(path, sizeof(path), CORPUS "/yara/samples/%s", samples[i]);
        char *data = slurp(path, &len);
        CHECK(data != NULL);
        CHECK_EQ_INT(fscan_yara_scan(s, (const uint8_t *)data, len, &r), 0);
        /* every reference line "<rule> <file>" for this sample must match */
        for (char *l = ref; l != NULL && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            char rule[128], file[128];
            size_t ll = strcspn(l, "\n");
            snprintf(line, sizeof(line), "%.*s", (int)ll, l);
            if (line[0] == '#' || sscanf(line, "%127s %127s", rule, file) != 2)
                continue;
            if (strcmp(file, samples[i]) != 0)
                continue;
            expected++;
            if (!has_match(&r, rule))
                fprintf(stderr, "missing %s on %s\n", rule, samples[i]);
            CHECK(has_match(&r, rule));
        }
        CHECK_EQ_INT(r.n, expected);
        free(data);
    }
    fscan_yara_scanner_free(s);
    fscan_yara_unref(y);
    free(ref);
}

/* The stream-head set: the same sources with includes expanded and imports
 * left out. Rules that need a module (or a rule that does) are not in it,
 * a dropped global rule drops its namespace, and the plain rules of a file
 * that imports modules scan heads with the same identity (key) as in the
 * file set. */
static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

TEST(head_set_leaves_out_module_rules)
{
    char d[64], sub[96], inc1[128], inc2[128], index[128], gated[128];
    struct fscan_yara_load_stats st;
    struct fscan_yara_result r, h;
    const char *text = "xx head-marker xx";

    snprintf(d, sizeof(d), "/tmp/canh-heads-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    snprintf(sub, sizeof(sub), "%s/sub", d);
    mkdir(sub, 0700);
    snprintf(inc1, sizeof(inc1), "%s/pe_rules.yar", sub);
    snprintf(inc2, sizeof(inc2), "%s/plain.yar", sub);
    snprintf(index, sizeof(index), "%s/index.yar", d);
    snprintf(gated, sizeof(gated), "%s/gated.yar", d);
    put_file(inc1, "import \"pe\"\n"
                   "rule uses_pe { condition: pe.number_of_sections > 0 }\n"
                   "rule plain_in_pe_file { strings: $a = \"head-marker\" condition: $a }\n"
                   "rule needs_uses_pe { strings: $a = \"head-marker\" condition: $a and not uses_pe }\n");
    put_file(inc2, "import \"math\"\n"
                   "rule plain_two { strings: $a = \"head-marker\" condition: $a and filesize < 100 }\n"
                   "rule high_entropy { condition: math.entropy(0, filesize) > 7 }\n");
    put_file(index, "// includes, relative to this file\n"
                    "include \"sub/pe_rules.yar\"\ninclude \"sub/plain.yar\"\n");
    put_file(gated, "import \"pe\"\n"
                    "global rule only_not_pe { condition: not pe.is_pe }\n"
                    "rule gated_plain { strings: $a = \"head-marker\" condition: $a }\n");
    const char *paths[] = { index, gated };
    struct fscan_yara *y = fscan_yara_load_sets(paths, 2, true, &st);
    CHECK(y != NULL);
    if (y == NULL)
        goto out;
    CHECK_EQ_INT(st.rules_failed + st.files_failed, 0);
    CHECK_EQ_INT(st.rules, 7);
    CHECK(st.heads);
    CHECK_EQ_INT(st.head_rules, 2);
    CHECK_EQ_INT(fscan_yara_head_rule_count(y), 2);
    CHECK_EQ_STR(st.modules, "pe, math");
    struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 0);
    CHECK(s != NULL);
    if (s == NULL)
        goto unref;
    /* the file set: the global rule holds (no PE; it matches itself), so
     * gated_plain and needs_uses_pe match too */
    CHECK_EQ_INT(fscan_yara_scan(s, (const uint8_t *)text, strlen(text), &r), 0);
    CHECK(has_match(&r, "plain_in_pe_file") && has_match(&r, "plain_two"));
    CHECK(has_match(&r, "gated_plain") && has_match(&r, "needs_uses_pe"));
    CHECK(has_match(&r, "only_not_pe"));
    CHECK_EQ_INT(r.n, 5);
    /* the head set: only the two rules that need no module, and no rule of
     * the namespace whose global rule needs one */
    CHECK_EQ_INT(fscan_yara_scan_head(s, (const uint8_t *)text, strlen(text), &h), 0);
    CHECK(has_match(&h, "plain_in_pe_file") && has_match(&h, "plain_two"));
    CHECK_EQ_INT(h.n, 2);
    for (int i = 0; i < h.n; i++)
        for (int k = 0; k < r.n; k++)
            if (strcmp(fscan_yara_rule_name(h.rule[i]), fscan_yara_rule_name(r.rule[k])) == 0) {
                CHECK(h.rule[i] != r.rule[k]);
                CHECK(fscan_yara_rule_key(h.rule[i]) == fscan_yara_rule_key(r.rule[k]));
                CHECK_EQ_STR(fscan_yara_rule_ns(h.rule[i]), fscan_yara_rule_ns(r.rule[k]));
            }
    fscan_yara_scanner_free(s);
unref:
    fscan_yara_unref(y);
    /* without heads: no head set, a head scan matches nothing */
    y = fscan_yara_load(paths, 2, &st);
    CHECK(y != NULL && !st.heads && fscan_yara_head_rule_count(y) == 0);
    if (y != NULL) {
        s = fscan_yara_scanner_new(y, 0);
        CHECK_EQ_INT(fscan_yara_scan_head(s, (const uint8_t *)text, strlen(text), &h), 0);
        CHECK_EQ_INT(h.n, 0);
        fscan_yara_scanner_free(s);
        fscan_yara_unref(y);
    }
out:
    unlink(inc1);
    unlink(inc2);
    unlink(index);
    unlink(gated);
    rmdir(sub);
    rmdir(d);
}

/* The corpus rules (index.yar: 80+ included files, pe/math/hash imports):
 * most rules scan heads, and a head holding the EICAR string matches what
 * the file set gives for the same bytes among the rules of the head set. */
TEST(corpus_head_set)
{
    const char *paths[] = { CORPUS "/yara/index.yar" };
    struct fscan_yara_load_stats st;
    struct fscan_yara_result r, h;
    size_t len;

    if (access(CORPUS "/yara/index.yar", R_OK) != 0)
        SKIP("corpus_head_set: ../shared/corpus absent");
    char *data = slurp(CORPUS "/yara/samples/eicar-embedded.txt", &len);
    struct fscan_yara *y = fscan_yara_load_sets(paths, 1, true, &st);
    CHECK(y != NULL && data != NULL);
    if (y == NULL || data == NULL)
        goto out;
    CHECK(st.head_rules > st.rules / 2 && st.head_rules < st.rules);
    CHECK(strstr(st.modules, "pe") != NULL);
    struct fscan_yara_scanner *s = fscan_yara_scanner_new(y, 10);
    CHECK_EQ_INT(fscan_yara_scan(s, (const uint8_t *)data, len, &r), 0);
    CHECK_EQ_INT(fscan_yara_scan_head(s, (const uint8_t *)data, len, &h), 0);
    CHECK(r.n > 0);
    CHECK(h.n <= r.n);
    for (int i = 0; i < h.n; i++) {
        bool in_file = false;
        for (int k = 0; k < r.n; k++)
            in_file |= fscan_yara_rule_key(h.rule[i]) == fscan_yara_rule_key(r.rule[k]);
        CHECK(in_file);
    }
    fscan_yara_scanner_free(s);
    fscan_yara_unref(y);
out:
    free(data);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
