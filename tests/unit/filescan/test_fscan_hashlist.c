/* Unit tests of sensor/filescan/fscan_hashlist.c: Suricata-format lists
 * (comments, upper case, trailing text, bad lines), filemd5/filesha1/
 * filesha256 rules with negation, rejected keywords, and matching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "filescan/fscan_hashlist.c"
#include "../runner.h"

static char dir[64];

static void put(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static void hexs(const uint8_t *b, size_t n, char *out, int upper)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, upper ? "%02X" : "%02x", b[i]);
}

static struct file_info file_of(const char *content)
{
    struct file_info fi;
    unsigned l;
    memset(&fi, 0, sizeof(fi));
    EVP_Digest(content, strlen(content), fi.md5, &l, EVP_md5(), NULL);
    EVP_Digest(content, strlen(content), fi.sha1, &l, EVP_sha1(), NULL);
    EVP_Digest(content, strlen(content), fi.sha256, &l, EVP_sha256(), NULL);
    fi.hashed = true;
    fi.hashes = FILE_HASH_MD5 | FILE_HASH_SHA1 | FILE_HASH_SHA256;
    fi.state = FILE_STATE_CLOSED;
    return fi;
}

static uint32_t hits[16];
static int nhits;
static void on_hit(void *arg, const struct fscan_hashlist_rule *r)
{
    (void)arg;
    if (nhits < 16)
        hits[nhits++] = r->sid;
}

static int matched(const struct fscan_hashlist *h, const struct file_info *fi, uint32_t sid)
{
    nhits = 0;
    fscan_hashlist_match(h, fi, on_hit, NULL);
    for (int i = 0; i < nhits; i++)
        if (hits[i] == sid)
            return 1;
    return 0;
}

TEST(lists_and_rules)
{
    struct file_info bad = file_of("malware sample"), good = file_of("ordinary page");
    char md5[33], sha1[41], sha256[65], line[1024];
    struct fscan_hashlist_stats st;

    snprintf(dir, sizeof(dir), "/tmp/canh-hl-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    hexs(bad.md5, 16, md5, 1);
    hexs(bad.sha1, 20, sha1, 0);
    hexs(bad.sha256, 32, sha256, 0);
    snprintf(line, sizeof(line), "# IOC list\n\n%s sample.exe\nzz\n0123\n", md5);
    put("ioc.md5", line);
    snprintf(line, sizeof(line), "%s\n", sha1);
    put("ioc.sha1", line);
    snprintf(line, sizeof(line), "%s\n", sha256);
    put("ioc.sha256", line);
    put("r.rules",
        "# comment filemd5:ioc.md5; sid:1;\n"
        "alert http any any -> any any (msg:\"md5 \\\"hit\\\"\"; filemd5:ioc.md5; sid:10; rev:3; priority:1;)\n"
        "alert http any any -> any any (msg:\"sha1\"; filesha1:ioc.sha1; sid:11;)\n"
        "alert http any any -> any any (msg:\"not sha256\"; filesha256:!ioc.sha256; sid:12;)\n"
        "alert http any any -> any any (msg:\"both\"; filemd5:ioc.md5; filesha256:ioc.sha256; sid:13;)\n"
        "alert http any any -> any any (msg:\"bad kw\"; filemd5:ioc.md5; content:\"x\"; sid:14;)\n"
        "alert http any any -> any any (msg:\"no list\"; filemd5:missing.md5; sid:15;)\n"
        "alert http any any -> any any (msg:\"no sid\"; filemd5:ioc.md5;)\n"
        "alert http any any -> any any (msg:\"plain\"; content:\"filemd5\"; sid:16;)\n");
    const char *files[] = { "r.rules" };
    struct fscan_hashlist *h = fscan_hashlist_load(files, 1, dir, &st);
    CHECK(h != NULL);
    CHECK_EQ_INT(st.rules, 4);
    CHECK_EQ_INT(st.rules_failed, 3);
    CHECK_EQ_INT(st.lists, 3);
    CHECK_EQ_INT(st.hashes, 3);
    CHECK_EQ_INT(st.bad_lines, 2);
    CHECK(matched(h, &bad, 10) && matched(h, &bad, 11) && matched(h, &bad, 13));
    CHECK(!matched(h, &bad, 12));
    CHECK(!matched(h, &good, 10) && !matched(h, &good, 11) && !matched(h, &good, 13));
    CHECK(matched(h, &good, 12));
    /* the rules need all three digests; a file without md5 matches no md5 rule */
    CHECK_EQ_INT(fscan_hashlist_digests(h), FILE_HASH_MD5 | FILE_HASH_SHA1 | FILE_HASH_SHA256);
    bad.hashes = FILE_HASH_SHA256;
    CHECK(!matched(h, &bad, 10) && !matched(h, &bad, 11) && !matched(h, &bad, 13));
    bad.hashes = FILE_HASH_MD5 | FILE_HASH_SHA1 | FILE_HASH_SHA256;
    good.hashed = false;   /* a truncated file has no hashes: nothing matches */
    CHECK_EQ_INT(fscan_hashlist_match(h, &good, on_hit, NULL), 0);
    /* fields of the matched rule */
    for (size_t i = 0; i < h->nrules; i++) {
        if (h->rules[i].info.sid == 10) {
            CHECK_EQ_STR(h->rules[i].info.msg, "md5 \"hit\"");
            CHECK_EQ_INT(h->rules[i].info.rev, 3);
            CHECK_EQ_INT(h->rules[i].info.priority, 1);
            CHECK_EQ_INT(h->rules[i].info.gid, 1);
        }
    }
    fscan_hashlist_free(h);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(is_file_rule)
{
    CHECK(fscan_hashlist_is_file_rule("alert http any any -> any any (filemd5:x; sid:1;)"));
    CHECK(fscan_hashlist_is_file_rule("alert http any any -> any any (msg:\"a\"; filesha256 : x; sid:1;)"));
    CHECK(!fscan_hashlist_is_file_rule("alert http any any -> any any (content:\"filemd5\"; sid:1;)"));
    CHECK(!fscan_hashlist_is_file_rule("alert http any any -> any any (xfilemd5:a; sid:1;)"));
}

/* A big list is found by binary search, in any input order. */
TEST(large_list_sorted)
{
    struct fscan_hashlist h;
    struct fscan_hashlist_stats st;
    char p[128];
    FILE *f;

    snprintf(dir, sizeof(dir), "/tmp/canh-hl-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(p, sizeof(p), "%s/big.sha256", dir);
    f = fopen(p, "w");
    for (int i = 0; i < 5000; i++) {
        struct file_info fi;
        char s[16], hx[65];
        snprintf(s, sizeof(s), "f%d", (i * 7919) % 5000);
        fi = file_of(s);
        hexs(fi.sha256, 32, hx, 0);
        fprintf(f, "%s\n", hx);
    }
    fclose(f);
    memset(&h, 0, sizeof(h));
    memset(&st, 0, sizeof(st));
    int idx = fscan_hl_list(&h, p, FSCAN_HL_SHA256, &st);
    CHECK_EQ_INT(idx, 0);
    CHECK_EQ_INT(h.lists[0].n, 5000);
    struct file_info in = file_of("f4321"), out = file_of("f5000");
    CHECK(fscan_hl_in(&h.lists[0], in.sha256));
    CHECK(!fscan_hl_in(&h.lists[0], out.sha256));
    free(h.lists[0].hashes);
    free(h.lists);
    unlink(p);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
